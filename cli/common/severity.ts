/** Severities in the order every output lists them (worst first). Trivy spells them upper-case. */
export const SEVERITIES = ["critical", "high", "medium", "low", "unknown"] as const;
export type Severity = (typeof SEVERITIES)[number];
export type SeverityCounts = Record<Severity, number>;

export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

/** `CRITICAL` → `critical`; anything Trivy might add later (or a missing value) counts as `unknown`. */
export function parseSeverity(value: unknown): Severity {
  if (typeof value !== "string") return "unknown";
  switch (value.toLowerCase()) {
    case "critical":
      return "critical";
    case "high":
      return "high";
    case "medium":
      return "medium";
    case "low":
      return "low";
    default:
      return "unknown";
  }
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
