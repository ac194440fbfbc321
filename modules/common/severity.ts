// One list of Trivy severities, spelt three ways because three upstreams read them:
//
// - UPPER (`CRITICAL`): the report CRDs and the chart. trivy-operator v0.32.0
//   pkg/apis/aquasecurity/v1alpha1/common_types.go `SeverityCritical Severity = "CRITICAL"`, the
//   `severity` enum of deploy/helm/crds/aquasecurity.github.io_vulnerabilityreports.yaml, and
//   chart 0.34.0 values.yaml `trivy.severity: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL`.
// - Title (`Critical`): the `severity` label of the operator's metrics. pkg/metrics/types.go
//   `SeverityCritical()` `Label: "Critical"`, used by pkg/metrics/collector.go for every series.
// - lower (`critical`): ours, the CLI's options and output (`--fail-on critical`), as command-line
//   flags are spelt.

/** Worst first: the order every list the product prints or alerts on uses. */
export const SEVERITY_LEVELS = ["critical", "high", "medium", "low", "unknown"] as const;

/** The CLI's spelling. */
export type LowerSeverity = (typeof SEVERITY_LEVELS)[number];
/** The CRDs' and the chart's spelling. */
export type UpperSeverity = Uppercase<LowerSeverity>;
/** The metrics' `severity` label. */
export type TitleSeverity = Capitalize<LowerSeverity>;

export function upperSeverity<S extends LowerSeverity>(severity: S): Uppercase<S> {
  return severity.toUpperCase() as Uppercase<S>;
}

export function titleSeverity<S extends LowerSeverity>(severity: S): Capitalize<S> {
  return `${severity.charAt(0).toUpperCase()}${severity.slice(1)}` as Capitalize<S>;
}

/** A known severity in any spelling (`CRITICAL`, `Critical`, `critical`); undefined for anything else. */
export function lowerSeverity(value: string): LowerSeverity | undefined {
  const lower = value.toLowerCase();
  return SEVERITY_LEVELS.find((severity) => severity === lower);
}

/** Worst first, metric-label spelling. */
export const TITLE_SEVERITIES: readonly TitleSeverity[] = SEVERITY_LEVELS.map(titleSeverity);

/**
 * Best first, as the chart's `trivy.severity` default lists them (values.yaml:
 * `UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL`), so our default renders exactly as the chart's.
 */
export const CHART_SEVERITIES: readonly UpperSeverity[] = [...SEVERITY_LEVELS].reverse().map(upperSeverity);
