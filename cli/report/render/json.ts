import { FindingIndex } from "../finding-index";
import type { ReportSummary } from "../summary";

/**
 * Pieces handed to the output stay below 32 Ki characters (at most 64 KiB as a V8 string, 96 KiB as
 * UTF-8): below V8's large-object size (128 KiB), so each piece, and the row strings it is made of,
 * is young-generation garbage a scavenge frees at once. Larger strings are allocated in large-object
 * space and freed only by a full GC: writing the byWorkload table of 10,000 workloads as one string
 * (and one `replace` copy) left 23 MB of garbage on the heap, and the findingIndex in 200 KB pieces
 * another 20 MB, at the very end of a run, when the aggregates are largest (measured on the
 * `bench:report` variety data).
 */
const PIECE_CHARS = 32 * 1024;

/**
 * `--format json`, byte for byte `JSON.stringify(summary, null, 2)` plus a line break with the
 * `findingIndex` keys sorted, but in small pieces: arrays and objects are written member by member,
 * the index (100,000s of keys) line by line, so no string of the whole document, of a whole table or
 * of the whole index is ever built.
 */
export function* renderJsonPieces(summary: ReportSummary): Generator<string> {
  let piece = "";
  for (const text of jsonTexts(summary, "")) {
    piece += text;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = "";
    }
  }
  yield `${piece}\n`;
}

/** JSON.stringify(value, null, 2) as a sequence of strings, for a value that starts at `indent`. */
function* jsonTexts(value: unknown, indent: string): Generator<string> {
  if (value instanceof FindingIndex) {
    yield* findingIndexTexts(value, indent);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield "[]";
      return;
    }
    yield "[\n";
    for (let position = 0; position < value.length; position++) {
      yield inner;
      // In an array, what JSON.stringify cannot represent (undefined, a function) is written as null.
      const element: unknown = value[position];
      if (isOmitted(element)) yield "null";
      else yield* jsonTexts(element, inner);
      yield position < value.length - 1 ? ",\n" : "\n";
    }
    yield `${indent}]`;
    return;
  }
  if (isPlainObject(value)) {
    // In an object, members JSON.stringify cannot represent are left out.
    const members = Object.entries(value).filter(([, member]) => !isOmitted(member));
    if (members.length === 0) {
      yield "{}";
      return;
    }
    yield "{\n";
    for (const [position, [key, member]] of members.entries()) {
      yield `${inner}${JSON.stringify(key)}: `;
      yield* jsonTexts(member, inner);
      yield position < members.length - 1 ? ",\n" : "\n";
    }
    yield `${indent}}`;
    return;
  }
  // A primitive, or an object with its own JSON form (toJSON, a class instance): small in a summary.
  const text = JSON.stringify(value, null, 2) as string | undefined;
  yield text === undefined ? "null" : text.replace(/\n/g, `\n${indent}`);
}

/** The index as a JSON object, keys sorted, one key per line. */
function* findingIndexTexts(index: FindingIndex, indent: string): Generator<string> {
  if (index.size === 0) {
    yield "{}";
    return;
  }
  yield "{\n";
  let written = 0;
  for (const [name, severity] of index.sortedEntries()) {
    written++;
    yield `${indent}  ${JSON.stringify(name)}: ${JSON.stringify(severity)}${written < index.size ? ",\n" : "\n"}`;
  }
  yield `${indent}}`;
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== "function";
}
