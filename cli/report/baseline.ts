import { readFileSync, statSync } from "node:fs";
import { UserError } from "../io";
import { asArray, asNumber, asRecord, asString } from "../common/json-access";
import { firstLine } from "../common/kube";
import { emptySeverityCounts, parseSeverity, severityRank, sumCounts, type Severity } from "../common/severity";
import { Coverage } from "./coverage";
import type { FindingIndex } from "./finding-index";
import { JsonMemberSplitter } from "./json-members";
import { describeFindingKey, keyInSchema1, parseFindingKey, type FindingKeyParts } from "./keys";
import { REPORT_KINDS } from "./kinds";
import { FILE_CHUNK_BYTES, fileChunks } from "./sources/file-chunks";
import type { BaselineDiff, BaselineFinding } from "./summary";

const EXPECTED = "a previous `report --format json` output";
/** The members of a baseline besides its findingIndex that the comparison reads; the rest is skipped. */
const HEADER_KEYS = new Set(["schemaVersion", "generatedAt", "coverage", "sources"]);
/** The comparison reads the baseline a JsonMemberSplitter batch (64 KiB) at a time. */
const BATCH_CHUNK_BYTES = 64 * 1024;

/**
 * What a previous `--format json` output says about itself, read once at the start (so a bad
 * baseline fails before any input is read). Its findingIndex is only checked and counted then, and
 * read again, batch by batch, when the comparison runs (readBaselineFindings): the index of a large
 * fleet has 100,000s of keys, and holding them (JSON.parse of the whole file) cost about 2.5× the
 * file's size in peak memory (87 MB for the 34 MB baseline of the bench:report variety data).
 */
export interface BaselineHeader {
  readonly path: string;
  readonly schemaVersion: 1 | 2;
  readonly generatedAt: string | undefined;
  /** What the baseline run read completely. */
  readonly coverage: Coverage;
  /** Set when the coverage had to be inferred (schemaVersion 1 recorded none). */
  readonly inferredCoverage: boolean;
  readonly findings: number;
  /**
   * The index keys are in strictly increasing order (as this command writes them, see
   * FindingIndex.sortedEntries), so they can be compared with this run's keys in one merge pass.
   * Otherwise (a hand-edited or re-sorted file, a duplicate key) they are read whole and sorted.
   */
  readonly sorted: boolean;
  /** Where the bytes are read from, each time. */
  readonly source: BaselineSource;
}

/**
 * A regular file is read twice (header, then findings), and must be the same file both times
 * (size, mtime, inode). Anything else (`--baseline <(aws s3 cp … -)`, a FIFO) can be read only
 * once: its bytes are kept in memory for both reads.
 */
type BaselineSource = { readonly path: string; readonly fingerprint: string } | { readonly path: string; readonly bytes: Buffer };

/** Some hundred consecutive baseline findings, in key order (two arrays: no object per finding). */
export interface BaselineBatch {
  readonly keys: readonly string[];
  readonly severities: readonly Severity[];
}

/**
 * Reads a previous `--format json` output's header and checks its findingIndex without keeping it.
 * schemaVersion 2 records its coverage; a schemaVersion 1 output did not, so each of its sources
 * without warnings counts as every list of its cluster read completely (what version 1 itself
 * assumed), and a source with warnings as nothing. Members other than the header's and the index
 * are checked for structure (balanced, in one object) but not parsed. Errors are UserErrors.
 */
export async function readBaselineHeader(path: string): Promise<BaselineHeader> {
  const source = openBaseline(path);
  const values = new Map<string, unknown>();
  let indexes = 0;
  /** The last findingIndex member is an object (JSON.parse keeps the last of duplicate keys). */
  let indexIsObject = false;
  let findings = 0;
  let sorted = true;
  let previous: string | undefined;
  const splitter = new JsonMemberSplitter({
    handling: (key) => {
      if (key === "findingIndex") {
        indexes++;
        indexIsObject = false;
        return "members";
      }
      return HEADER_KEYS.has(key) ? "value" : "skip";
    },
    onValue: (key, json) => {
      const value = parseJsonText(path, json);
      if (key !== "findingIndex") values.set(key, value);
    },
    onMembers: (_key, json) => {
      indexIsObject = true;
      const members = parseMembers(path, json);
      for (let at = 0; at < members.length; at += 2) {
        const key = members[at] as string;
        findings++;
        if (previous !== undefined && !(previous < key)) sorted = false;
        previous = key;
      }
    },
  });
  await scan(source, splitter);
  if (!indexIsObject) throw baselineError(path, "not a `report --format json` output (no findingIndex)");
  const version = asNumber(values.get("schemaVersion")) ?? 1;
  if (version !== 1 && version !== 2)
    throw baselineError(
      path,
      `schemaVersion ${version} is newer than this version of the command understands (1, 2); upgrade trivy-operator-cdktf`,
    );
  let coverage: Coverage;
  if (version === 2) {
    coverage = Coverage.fromScopes(asArray(values.get("coverage")).map((entry) => asString(entry) ?? ""));
  } else {
    coverage = new Coverage();
    for (const source of asArray(values.get("sources"))) {
      const row = asRecord(source);
      const cluster = asString(row?.["cluster"]);
      if (cluster === undefined) continue;
      if ((asNumber(row?.["warnings"]) ?? 0) === 0) for (const kind of REPORT_KINDS) coverage.markComplete(cluster, kind.kind, undefined);
      else coverage.markIncomplete(cluster);
    }
  }
  return {
    path,
    schemaVersion: version,
    generatedAt: asString(values.get("generatedAt")),
    coverage,
    inferredCoverage: version === 1,
    findings,
    // Two findingIndex members: JSON.parse keeps the last; only a whole read can say which keys that leaves.
    sorted: sorted && indexes === 1,
    source,
  };
}

/**
 * The baseline's findings in strictly increasing key order, a batch (some hundred) at a time, read
 * from the file again. A file whose keys are not in order is read whole (JSON.parse, duplicate keys:
 * the last wins) and sorted: correct for any file, in memory only for such files.
 */
export async function* readBaselineFindings(header: BaselineHeader): AsyncGenerator<BaselineBatch> {
  const { source } = header;
  if ("fingerprint" in source && fileFingerprint(source.path) !== source.fingerprint) throw changedError(header.path);
  if (!header.sorted) {
    const document = parseJsonText(header.path, ("bytes" in source ? source.bytes : readFileSync(source.path)).toString("utf8"));
    const index = asRecord(asRecord(document)?.["findingIndex"]) ?? {};
    const keys = Object.keys(index).sort(compareKeys);
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      yield { keys: batch, severities: batch.map((key) => parseSeverity(index[key])) };
    }
    return;
  }
  let batches: BaselineBatch[] = [];
  let previous: string | undefined;
  let findings = 0;
  let outOfOrder = false;
  const splitter = new JsonMemberSplitter({
    handling: (key) => (key === "findingIndex" ? "members" : "skip"),
    onValue: () => undefined,
    onMembers: (_key, json) => {
      const members = parseMembers(header.path, json);
      const keys: string[] = [];
      const severities: Severity[] = [];
      for (let at = 0; at < members.length; at += 2) {
        const key = members[at] as string;
        if (previous !== undefined && !(previous < key)) outOfOrder = true;
        previous = key;
        keys.push(key);
        severities.push(parseSeverity(members[at + 1]));
      }
      findings += keys.length;
      batches.push({ keys, severities });
    },
  });
  // Small chunks: the merge consumes each batch before the next is parsed, so a batch's keys die
  // young (a scavenge frees them) instead of being promoted to the old generation in bulk.
  for await (const chunk of chunksOf(source, BATCH_CHUNK_BYTES)) {
    splitter.write(chunk);
    if (outOfOrder) throw changedError(header.path);
    for (const batch of batches) yield batch;
    batches = [];
  }
  const problem = splitter.end();
  if (problem !== undefined || findings !== header.findings) throw changedError(header.path);
}

export interface BaselineComparison {
  readonly diff: BaselineDiff;
  /** Each makes the report incomplete (exit 3). */
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/**
 * New = in this run only; resolved = in the baseline only; each only where both runs read the
 * finding's list completely (Coverage). A baseline finding whose list this run did not read
 * completely is "not compared" (and the report is incomplete); a finding of this run outside what
 * the baseline read is "not in the baseline's scope" (a cluster or namespace added since).
 *
 * Both sides are walked once in key order, side by side (a merge): neither is looked up in the
 * other, so the baseline's keys are never all in memory. Only the listed items (worst first, at most
 * `listLimit` of each kind) are kept. A schemaVersion 1 baseline spells keys without the namespace:
 * this run's keys are respelled and sorted that way first, and several of them (one per namespace)
 * can match one baseline key.
 */
export async function compareWithBaseline(
  baseline: BaselineHeader,
  baselineFindings: AsyncIterable<BaselineBatch>,
  current: FindingIndex,
  currentCoverage: Coverage,
  listLimit: number,
): Promise<BaselineComparison> {
  const file = baseline.path;
  const newFindings = emptySeverityCounts();
  const resolvedFindings = emptySeverityCounts();
  const notCompared = emptySeverityCounts();
  const outsideBaseline = emptySeverityCounts();
  const newItems = new WorstFirst(listLimit);
  const resolvedItems = new WorstFirst(listLimit);
  const notComparedItems = new WorstFirst(listLimit);
  const currentClusters = new Set<string>();
  const baselineClusters = new Set<string>();
  const missingScopes = new Set<string>();
  const schema1 = baseline.schemaVersion === 1;

  const cursor = new BaselineCursor(baselineFindings);
  await cursor.next();
  /** The baseline entry under the cursor was matched by a key of this run. */
  let matched = false;
  /** `family|cluster|` of the last baseline key whose cluster was recorded. */
  let clusterHead = "\0";
  /** Settles the entry under the cursor and moves on; a promise only when the next batch must be read. */
  const advance = (): Promise<void> | undefined => {
    const key = cursor.key;
    if (key !== undefined) {
      if (!key.startsWith(clusterHead)) {
        clusterHead = headOfCluster(key);
        baselineClusters.add(clusterOfKey(key));
      }
      if (!matched) {
        const severity = cursor.severity;
        const parts = parseFindingKey(key, baseline.schemaVersion);
        if (currentCoverage.coversKey(parts)) {
          resolvedFindings[severity] += 1;
          resolvedItems.offer(key, severity, parts);
        } else {
          notCompared[severity] += 1;
          notComparedItems.offer(key, severity, parts);
          missingScopes.add(parts.namespace ? `cluster ${parts.cluster} namespace ${parts.namespace}` : `cluster ${parts.cluster}`);
        }
      }
    }
    matched = false;
    return cursor.next();
  };

  for (const group of currentInBaselineOrder(current, schema1)) {
    if (group.keys === undefined) currentClusters.add(clusterOfKey(group.head));
    for (let at = 0; at < group.rests.length; at++) {
      const rest = group.rests[at] ?? "";
      // The baseline's key is compared with head + rest without building that string: 100,000s of
      // keys built (and flattened for the comparison) were most of what a comparison allocated.
      let order = -1;
      while (cursor.key !== undefined && (order = compareKeyWith(cursor.key, group.head, rest)) < 0) {
        const reading = advance();
        if (reading) await reading;
        order = -1;
      }
      const key = group.keys?.[at];
      if (key !== undefined) currentClusters.add(clusterOfKey(key));
      if (cursor.key !== undefined && order === 0) {
        matched = true;
        continue;
      }
      const severity = group.severities[at] ?? "unknown";
      const fullKey = key ?? group.head + rest;
      const parts = parseFindingKey(fullKey, 2);
      if (!baseline.coverage.coversKey(schema1 ? { ...parts, namespace: undefined } : parts)) {
        outsideBaseline[severity] += 1;
        continue;
      }
      newFindings[severity] += 1;
      newItems.offer(fullKey, severity, parts);
    }
  }
  while (cursor.key !== undefined) {
    const reading = advance();
    if (reading) await reading;
  }

  const warnings: string[] = [];
  const notes: string[] = [];
  for (const cluster of baseline.coverage.clusters()) baselineClusters.add(cluster);
  const runClusters = new Set([...currentClusters, ...currentCoverage.clusters()]);
  const common = [...baselineClusters].filter((cluster) => runClusters.has(cluster)).sort();
  if (common.length === 0 && baselineClusters.size > 0) {
    warnings.push(
      `--baseline ${file}: no cluster in common with this run (baseline: ${[...baselineClusters].sort().join(", ")}; this run: ${[...runClusters].sort().join(", ") || "none"}); nothing was compared. Name clusters the same way in both runs: --cluster NAME for files, --context NAME=CLUSTER for live clusters`,
    );
  } else if (sumCounts(notCompared) > 0) {
    const scopes = [...missingScopes].sort();
    warnings.push(
      `--baseline ${file}: ${sumCounts(notCompared)} finding(s) of the baseline not compared, because this run did not read their lists completely (${scopes.slice(0, 5).join("; ")}${scopes.length > 5 ? `; ${scopes.length - 5} more` : ""}): they are neither resolved nor still present`,
    );
  }
  if (sumCounts(outsideBaseline) > 0 && common.length > 0)
    notes.push(
      `--baseline ${file}: ${sumCounts(outsideBaseline)} finding(s) of this run are in lists the baseline did not read completely (a cluster or namespace added since?): not counted as new`,
    );
  if (baseline.inferredCoverage)
    notes.push(
      `--baseline ${file}: written by an older version (schemaVersion 1) that did not record which lists it read completely; its sources without warnings are taken as complete`,
    );

  return {
    diff: {
      file,
      generatedAt: baseline.generatedAt,
      commonClusters: common,
      newFindings,
      resolvedFindings,
      notCompared,
      outsideBaseline,
      newItems: newItems.items(),
      resolvedItems: resolvedItems.items(),
      notComparedItems: notComparedItems.items(),
    },
    warnings,
    notes,
  };
}

/**
 * This run's findings in the baseline's key order, a group at a time: each key as the baseline
 * spells it is `head + rest`. schemaVersion 2: the index's own groups (head = `prefix|`), sorted.
 * schemaVersion 1: every key respelled and sorted in one group with head "" (all keys in memory
 * once more, for an old baseline only), `keys` holding the key of this run for each.
 */
function* currentInBaselineOrder(
  current: FindingIndex,
  schema1: boolean,
): Generator<{
  readonly head: string;
  readonly rests: readonly string[];
  readonly severities: readonly Severity[];
  readonly keys?: readonly string[];
}> {
  if (!schema1) {
    for (const [prefix, rests, severities] of current.sortedGroups()) yield { head: `${prefix}|`, rests, severities };
    return;
  }
  const respelled = [...current.entries()].map(([key, severity]) => [keyInSchema1(parseFindingKey(key, 2)), key, severity] as const);
  respelled.sort((a, b) => compareKeys(a[0], b[0]) || compareKeys(a[1], b[1]));
  yield {
    head: "",
    rests: respelled.map(([spelled]) => spelled),
    keys: respelled.map(([, key]) => key),
    severities: respelled.map(([, , severity]) => severity),
  };
}

/** `key` against `head + rest` in code-unit order (that of `<`), without concatenating them. */
function compareKeyWith(key: string, head: string, rest: string): number {
  // Not starting with head, key differs from head + rest within head (or is shorter): compare with head alone.
  if (!key.startsWith(head)) return key < head ? -1 : 1;
  const length = Math.min(key.length - head.length, rest.length);
  for (let at = 0; at < length; at++) {
    const difference = key.charCodeAt(head.length + at) - rest.charCodeAt(at);
    if (difference !== 0) return difference;
  }
  return key.length - head.length - rest.length;
}

/**
 * Walks the baseline's batches one finding at a time; `key` is undefined after the last. Moving
 * within a batch is synchronous (an async step per finding allocated promises for each of 100,000s).
 */
class BaselineCursor {
  key: string | undefined;
  severity: Severity = "unknown";
  private batch: BaselineBatch = { keys: [], severities: [] };
  private position = -1;
  private readonly batches: AsyncIterator<BaselineBatch>;

  constructor(source: AsyncIterable<BaselineBatch>) {
    this.batches = source[Symbol.asyncIterator]();
  }

  /** Moves to the next finding; returns a promise only when the next batch has to be read. */
  next(): Promise<void> | undefined {
    this.position++;
    if (this.position < this.batch.keys.length) {
      this.settle();
      return undefined;
    }
    return this.nextBatch();
  }

  private async nextBatch(): Promise<void> {
    for (;;) {
      const result = await this.batches.next();
      if (result.done) {
        this.key = undefined;
        return;
      }
      if (result.value.keys.length === 0) continue;
      this.batch = result.value;
      this.position = 0;
      this.settle();
      return;
    }
  }

  private settle(): void {
    this.key = this.batch.keys[this.position];
    this.severity = this.batch.severities[this.position] ?? "unknown";
  }
}

const collator = new Intl.Collator();

/** The `limit` worst findings offered (severity, then key as a reader sorts, then code units): what the report lists. */
class WorstFirst {
  private readonly kept: { key: string; severity: Severity; parts: FindingKeyParts }[] = [];

  constructor(private readonly limit: number) {}

  offer(key: string, severity: Severity, parts: FindingKeyParts): void {
    const order = (a: { key: string; severity: Severity }, b: { key: string; severity: Severity }): number =>
      severityRank(a.severity) - severityRank(b.severity) || collator.compare(a.key, b.key) || compareKeys(a.key, b.key);
    const candidate = { key, severity, parts };
    const last = this.kept[this.kept.length - 1];
    if (this.kept.length >= this.limit && (last === undefined || order(candidate, last) >= 0)) return;
    let low = 0;
    let high = this.kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const probe = this.kept[middle];
      if (probe !== undefined && order(probe, candidate) <= 0) low = middle + 1;
      else high = middle;
    }
    this.kept.splice(low, 0, candidate);
    if (this.kept.length > this.limit) this.kept.pop();
  }

  items(): BaselineFinding[] {
    return this.kept.map(({ key, severity, parts }) => ({ key, severity, text: describeFindingKey(parts) }));
  }
}

/** Code-unit order: the order FindingIndex.sortedEntries writes keys in. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `family|cluster|` of a key of either schema version; for a key without them, a head no key starts with. */
function headOfCluster(key: string): string {
  const first = key.indexOf("|");
  const second = key.indexOf("|", first + 1);
  return first === -1 || second === -1 ? "\0" : key.slice(0, second + 1);
}

/** The second field of a key of either schema version, without splitting the whole key. */
function clusterOfKey(key: string): string {
  const first = key.indexOf("|");
  const second = key.indexOf("|", first + 1);
  return key.slice(first + 1, second === -1 ? undefined : second);
}

function openBaseline(path: string): BaselineSource {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new Error("is a directory");
    if (stat.isFile()) return { path, fingerprint: fileFingerprint(path) };
    return { path, bytes: readFileSync(path) };
  } catch (error) {
    throw baselineError(path, `cannot read (${firstLine(error)})`);
  }
}

function fileFingerprint(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
  } catch {
    return "gone";
  }
}

async function scan(source: BaselineSource, splitter: JsonMemberSplitter): Promise<void> {
  for await (const chunk of chunksOf(source)) splitter.write(chunk);
  const problem = splitter.end();
  if (problem === undefined) return;
  if (problem.startsWith("empty")) throw baselineError(source.path, `empty file; expected ${EXPECTED}`);
  throw baselineError(source.path, `not valid JSON (${problem}); expected ${EXPECTED}`);
}

async function* chunksOf(source: BaselineSource, chunkBytes = FILE_CHUNK_BYTES): AsyncGenerator<Buffer> {
  if ("bytes" in source) {
    for (let start = 0; start < source.bytes.length; start += chunkBytes) yield source.bytes.subarray(start, start + chunkBytes);
    return;
  }
  try {
    yield* fileChunks(source.path, chunkBytes);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw baselineError(source.path, `cannot read (${firstLine(error)})`);
  }
}

function parseJsonText(path: string, json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw baselineError(path, `not valid JSON (${firstLine(error)}); expected ${EXPECTED}`);
  }
}

/** `[key, value, key, value, …]` from JsonMemberSplitter; the splitter guarantees the shape, checked here once more. */
function parseMembers(path: string, json: string): readonly unknown[] {
  const members = parseJsonText(path, json);
  if (!Array.isArray(members) || members.length % 2 !== 0 || members.some((member, at) => at % 2 === 0 && typeof member !== "string"))
    throw baselineError(path, `not valid JSON (a findingIndex member is not "key": value); expected ${EXPECTED}`);
  return members;
}

function baselineError(path: string, message: string): UserError {
  return new UserError(`--baseline ${path}: ${message}`);
}

function changedError(path: string): UserError {
  return baselineError(path, "the file changed while it was read; run again with a baseline nothing writes to");
}
