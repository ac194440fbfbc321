import { asRecord, asString } from "../common/json-access";
import { emptySeverityCounts, parseSeverity, severityRank, type Severity } from "../common/severity";
import type { BaselineDiff, BaselineFinding } from "./summary";

export interface BaselineIndex {
  readonly generatedAt: string | undefined;
  readonly findings: ReadonlyMap<string, Severity>;
}

/** Reads the `findingIndex` of a previous `--format json` output; returns a reason when it is not one. */
export function parseBaseline(document: unknown): BaselineIndex | { readonly error: string } {
  const record = asRecord(document);
  const index = asRecord(record?.["findingIndex"]);
  if (!record || !index) return { error: "not a `report --format json` output (no findingIndex)" };
  const findings = new Map<string, Severity>();
  for (const [key, severity] of Object.entries(index)) findings.set(key, parseSeverity(severity));
  return { generatedAt: asString(record["generatedAt"]), findings };
}

/** New = in the current run only; resolved = in the baseline only. Pure. */
export function diffAgainstBaseline(file: string, baseline: BaselineIndex, current: Readonly<Record<string, Severity>>, listLimit: number): BaselineDiff {
  const newFindings = emptySeverityCounts();
  const resolvedFindings = emptySeverityCounts();
  const newItems: BaselineFinding[] = [];
  const resolvedItems: BaselineFinding[] = [];
  for (const [key, severity] of Object.entries(current)) {
    if (baseline.findings.has(key)) continue;
    newFindings[severity] += 1;
    newItems.push({ key, severity });
  }
  const currentKeys = new Set(Object.keys(current));
  for (const [key, severity] of baseline.findings) {
    if (currentKeys.has(key)) continue;
    resolvedFindings[severity] += 1;
    resolvedItems.push({ key, severity });
  }
  const worstFirst = (a: BaselineFinding, b: BaselineFinding): number => severityRank(a.severity) - severityRank(b.severity) || a.key.localeCompare(b.key);
  return {
    file,
    generatedAt: baseline.generatedAt,
    newFindings,
    resolvedFindings,
    newItems: newItems.sort(worstFirst).slice(0, listLimit),
    resolvedItems: resolvedItems.sort(worstFirst).slice(0, listLimit),
  };
}
