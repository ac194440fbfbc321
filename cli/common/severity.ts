import { lowerSeverity, SEVERITY_LEVELS, type LowerSeverity } from "../../modules/common/severity";

/** Severities in the order every output lists them (worst first), spelt lower-case as our options are. */
export const SEVERITIES = SEVERITY_LEVELS;
export type Severity = LowerSeverity;
export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

/** `CRITICAL` (report CRDs) → `critical`; anything Trivy might add later (or a missing value) counts as `unknown`. */
export function parseSeverity(value: unknown): Severity {
  return (typeof value === "string" ? lowerSeverity(value) : undefined) ?? "unknown";
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function sumCounts(counts: SeverityCounts): number {
  return counts.critical + counts.high + counts.medium + counts.low + counts.unknown;
}

/** Sorts worst first: more criticals, then more highs, … */
export function compareCountsDescending(a: SeverityCounts, b: SeverityCounts): number {
  for (const severity of SEVERITIES) {
    if (a[severity] !== b[severity]) return b[severity] - a[severity];
  }
  return 0;
}
