import { asArray, asNumber, asRecord, asString } from "../common/json-access";
import { emptySeverityCounts, parseSeverity, severityRank, sumCounts, type Severity } from "../common/severity";
import { Coverage } from "./coverage";
import type { FindingIndex } from "./finding-index";
import { describeFindingKey, keyInSchema1, parseFindingKey } from "./keys";
import { REPORT_KINDS } from "./kinds";
import type { BaselineDiff, BaselineFinding } from "./summary";

/**
 * The baseline's findingIndex, kept as the object JSON.parse made (keys → severity words): copying
 * 100,000s of keys into another structure would only add memory; lookups and iteration are all the
 * comparison needs.
 */
export class BaselineFindings {
  constructor(private readonly index: Readonly<Record<string, unknown>>) {}

  has(key: string): boolean {
    return Object.hasOwn(this.index, key);
  }

  *entries(): Generator<[string, Severity]> {
    for (const key in this.index) yield [key, parseSeverity(this.index[key])];
  }
}

export interface BaselineIndex {
  readonly schemaVersion: 1 | 2;
  readonly generatedAt: string | undefined;
  readonly findings: BaselineFindings;
  /** What the baseline run read completely. */
  readonly coverage: Coverage;
  /** Set when the coverage had to be inferred (schemaVersion 1 recorded none). */
  readonly inferredCoverage: boolean;
}

/**
 * Reads a previous `--format json` output. schemaVersion 2 records its coverage; a schemaVersion 1
 * output did not, so each of its sources without warnings counts as every list of its cluster
 * read completely (what version 1 itself assumed), and a source with warnings as nothing.
 */
export function parseBaseline(document: unknown): BaselineIndex | { readonly error: string } {
  const record = asRecord(document);
  const index = asRecord(record?.["findingIndex"]);
  if (!record || !index) return { error: "not a `report --format json` output (no findingIndex)" };
  const version = asNumber(record["schemaVersion"]) ?? 1;
  if (version !== 1 && version !== 2)
    return { error: `schemaVersion ${version} is newer than this version of the command understands (1, 2); upgrade trivy-operator-cdktf` };
  const findings = new BaselineFindings(index);
  let coverage: Coverage;
  if (version === 2) {
    coverage = Coverage.fromScopes(asArray(record["coverage"]).map((entry) => asString(entry) ?? ""));
  } else {
    coverage = new Coverage();
    for (const source of asArray(record["sources"])) {
      const row = asRecord(source);
      const cluster = asString(row?.["cluster"]);
      if (cluster === undefined) continue;
      if ((asNumber(row?.["warnings"]) ?? 0) === 0) for (const kind of REPORT_KINDS) coverage.markComplete(cluster, kind.kind, undefined);
      else coverage.markIncomplete(cluster);
    }
  }
  return { schemaVersion: version, generatedAt: asString(record["generatedAt"]), findings, coverage, inferredCoverage: version === 1 };
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
 * the baseline read is "not in the baseline's scope" (a cluster or namespace added since). Pure.
 */
export function compareWithBaseline(
  file: string,
  baseline: BaselineIndex,
  current: FindingIndex,
  currentCoverage: Coverage,
  listLimit: number,
): BaselineComparison {
  const newFindings = emptySeverityCounts();
  const resolvedFindings = emptySeverityCounts();
  const notCompared = emptySeverityCounts();
  const outsideBaseline = emptySeverityCounts();
  const newItems: BaselineFinding[] = [];
  const resolvedItems: BaselineFinding[] = [];
  const notComparedItems: BaselineFinding[] = [];
  const currentClusters = new Set<string>();
  const schema1 = baseline.schemaVersion === 1;
  // Only an old baseline needs this run's keys respelled; a schemaVersion 2 one is looked up as is.
  const currentSpelled = new Set<string>();

  for (const [key, severity] of current.entries()) {
    currentClusters.add(clusterOfKey(key));
    const parts = schema1 ? parseFindingKey(key, 2) : undefined;
    const spelled = parts ? keyInSchema1(parts) : key;
    if (schema1) currentSpelled.add(spelled);
    if (baseline.findings.has(spelled)) continue;
    const full = parts ?? parseFindingKey(key, 2);
    if (!baseline.coverage.coversKey(schema1 ? { ...full, namespace: undefined } : full)) {
      outsideBaseline[severity] += 1;
      continue;
    }
    newFindings[severity] += 1;
    newItems.push({ key, severity, text: describeFindingKey(full) });
  }
  const missingScopes = new Set<string>();
  for (const [key, severity] of baseline.findings.entries()) {
    if (schema1 ? currentSpelled.has(key) : current.has(key)) continue;
    const parts = parseFindingKey(key, baseline.schemaVersion);
    const item = { key, severity, text: describeFindingKey(parts) };
    if (currentCoverage.coversKey(parts)) {
      resolvedFindings[severity] += 1;
      resolvedItems.push(item);
    } else {
      notCompared[severity] += 1;
      notComparedItems.push(item);
      missingScopes.add(parts.namespace ? `cluster ${parts.cluster} namespace ${parts.namespace}` : `cluster ${parts.cluster}`);
    }
  }

  const warnings: string[] = [];
  const notes: string[] = [];
  const baselineClusters = new Set<string>();
  for (const [key] of baseline.findings.entries()) baselineClusters.add(clusterOfKey(key));
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

  const worstFirst = (a: BaselineFinding, b: BaselineFinding): number =>
    severityRank(a.severity) - severityRank(b.severity) || a.key.localeCompare(b.key);
  return {
    diff: {
      file,
      generatedAt: baseline.generatedAt,
      commonClusters: common,
      newFindings,
      resolvedFindings,
      notCompared,
      outsideBaseline,
      newItems: newItems.sort(worstFirst).slice(0, listLimit),
      resolvedItems: resolvedItems.sort(worstFirst).slice(0, listLimit),
      notComparedItems: notComparedItems.sort(worstFirst).slice(0, listLimit),
    },
    warnings,
    notes,
  };
}

/** The second field of a key of either schema version, without splitting the whole key. */
function clusterOfKey(key: string): string {
  const first = key.indexOf("|");
  const second = key.indexOf("|", first + 1);
  return key.slice(first + 1, second === -1 ? undefined : second);
}
