import { parseDocument } from "yaml";
import { asRecord } from "../../common/json-access";
import { JsonItemSplitter } from "../json-items";
import { YamlItemSplitter } from "../yaml-items";

export type InputFormat = "json" | "yaml";

export interface ReadObjectsOptions {
  /** Known from the file extension; otherwise sniffed from the first byte (`{`/`[` = JSON). */
  readonly format?: InputFormat;
  readonly onObject: (object: unknown) => void;
  /** Called after each chunk with the bytes read so far (for a progress line). */
  readonly onProgress?: (bytesRead: number, objects: number) => void;
  /** Awaited after each chunk, so a caller can flush output with backpressure (CSV). */
  readonly afterChunk?: () => Promise<void>;
}

export interface ReadObjectsResult {
  readonly objects: number;
  readonly bytes: number;
  /** One line each, without the input name (the caller prefixes it). */
  readonly problems: readonly string[];
}

/**
 * Decodes `kubectl get … -o json|yaml` output: a `List`, a single object, several concatenated JSON
 * objects, or a multi-document YAML stream. Both are streamed one object at a time (JsonItemSplitter,
 * YamlItemSplitter), so memory does not grow with the input.
 */
export async function readObjects(input: AsyncIterable<Buffer | string>, options: ReadObjectsOptions): Promise<ReadObjectsResult> {
  const problems: string[] = [];
  let objects = 0;
  let bytes = 0;
  const emit = (object: unknown): void => {
    objects++;
    options.onObject(object);
  };
  let format = options.format;
  let yamlDocuments = 0;
  const yamlSplitter = new YamlItemSplitter({
    onItem: (text, line) => {
      const value = parseYaml(text, line, "item", problems);
      if (value !== undefined) emit(value);
    },
    onDocument: (text, line, hadItems) => {
      const value = parseYaml(text, line, "document", problems);
      if (value === undefined || value === null) return;
      yamlDocuments++;
      // A List's document without its items (already handed on one by one).
      if (hadItems) return;
      const items = asRecord(value)?.["items"];
      // `items: []` or a flow-style list on one line: the List itself is not an object to count.
      if (Array.isArray(items)) for (const item of items) emit(item);
      else emit(value);
    },
  });
  let itemNumber = 0;
  const splitter = new JsonItemSplitter({
    onItem: (json, byteOffset) => {
      itemNumber++;
      const parsed = parseJson(json);
      if (parsed.ok) emit(parsed.value);
      else problems.push(`item #${itemNumber} (byte ${byteOffset}) is not valid JSON (${parsed.error}); skipped`);
    },
    // Handed on as null: the intake counts it among the items that are not objects.
    onScalarItem: () => emit(null),
    onDocument: (json, byteOffset) => {
      const parsed = parseJson(json);
      if (!parsed.ok) {
        problems.push(`object at byte ${byteOffset} is not valid JSON (${parsed.error}); skipped`);
        return;
      }
      // A List wrapper: its items were already emitted one by one.
      if (Array.isArray(asRecord(parsed.value)?.["items"])) return;
      emit(parsed.value);
    },
  });

  for await (const piece of input) {
    const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
    if (format === undefined) format = sniffFormat(chunk);
    bytes += chunk.length;
    if (format === "json") splitter.write(chunk);
    else if (format === "yaml") yamlSplitter.write(chunk);
    options.onProgress?.(bytes, objects);
    if (options.afterChunk) await options.afterChunk();
  }

  let empty = format === undefined;
  if (format === "yaml") {
    const result = yamlSplitter.end();
    empty = yamlDocuments === 0 && result.items === 0;
    if (result.truncated) problems.push(`${result.truncated}; the incomplete object was skipped, ${objects} complete object(s) were read`);
  } else if (format === "json") {
    const result = splitter.end();
    empty = result.empty;
    if (result.error)
      problems.push(`not valid JSON at byte ${result.error.byteOffset}: ${result.error.message}; ${objects} object(s) before it were read`);
    else if (result.truncated)
      problems.push(
        `input ends in the middle of an object (truncated file?); the incomplete object was skipped, ${objects} complete object(s) were read`,
      );
  }
  if (empty && problems.length === 0) problems.push("empty input: no objects found");
  return { objects, bytes, problems };
}

/** JSON when the first non-blank byte opens an object or array; YAML otherwise; undefined while blank. */
function sniffFormat(chunk: Buffer): InputFormat | undefined {
  for (const byte of chunk) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
    return byte === 0x7b || byte === 0x5b ? "json" : "yaml";
  }
  return undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Parses one YAML item or document (`core` schema: timestamps stay strings, `updateTimestamp:
 * 2023-01-29T19:01:44Z` is not a Date); on an error records it with its line in the input and
 * returns undefined. `null` is an empty document.
 */
function parseYaml(text: string, firstLine: number, what: "item" | "document", problems: string[]): unknown {
  const document = parseDocument(text, { schema: "core" });
  const error = document.errors[0];
  if (error) {
    const position = error.linePos?.[0];
    const where = position ? `line ${firstLine + position.line - 1}, column ${position.col}` : `the ${what} at line ${firstLine}`;
    problems.push(
      `invalid YAML at ${where}: ${(error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}; that ${what} was skipped`,
    );
    return undefined;
  }
  // The yaml package's scalars are substrings of the item's text, and V8 keeps the whole parent
  // string alive for as long as a substring of it is referenced: one kept title would hold on to a
  // 300 KB report. A JSON round trip makes every string its own, so only what the aggregation keeps
  // stays in memory (JSON.parse creates fresh strings).
  return JSON.parse(JSON.stringify(document.toJS({ maxAliasCount: 1000 }) ?? null)) as unknown;
}
