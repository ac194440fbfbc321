/**
 * The alerts a security team wants from Trivy Operator metrics, as plain data. The same list
 * feeds the PrometheusRule (Prometheus Operator) and the Grafana-managed rule group.
 *
 * Facts the expressions rely on (trivy-operator `pkg/metrics/collector.go`, `types.go`):
 * - findings are gauges computed at scrape time from report CRs, one series per severity and
 *   report, zeros included: alert on `> threshold`, never on presence;
 * - severity label values are Title case (`Critical`, not `CRITICAL`);
 * - reports are deleted and recreated every `scannerReportTTL`: the series vanish until the
 *   rescan finishes, so findings are read through `max_over_time(...[lookback])` with a lookback
 *   longer than the TTL, or every alert would resolve and re-fire once a day.
 */

/** Severity values exactly as the operator emits them in the `severity` label. */
export type TrivySeverity = "Critical" | "High" | "Medium" | "Low" | "Unknown";
export const TRIVY_SEVERITIES: readonly TrivySeverity[] = ["Critical", "High", "Medium", "Low", "Unknown"];

export type TrivyAlertName =
  | "TrivyCriticalVulnerabilities"
  | "TrivyExposedSecrets"
  | "TrivyCriticalConfigAuditFindings"
  | "TrivyOperatorAbsent"
  | "TrivyScanJobsFailing";
export const TRIVY_ALERT_NAMES: readonly TrivyAlertName[] = [
  "TrivyCriticalVulnerabilities",
  "TrivyExposedSecrets",
  "TrivyCriticalConfigAuditFindings",
  "TrivyOperatorAbsent",
  "TrivyScanJobsFailing",
];

export interface TrivyAlertRulesOptions {
  /**
   * Namespace the operator runs in (`namespace` label of `up` and of the scan jobs).
   * @default "trivy-system"
   */
  readonly operatorNamespace?: string;
  /**
   * `job` label of the operator's scrape target. The ServiceMonitor of this module sets it from
   * the Service label `app.kubernetes.io/name`, which the chart sets to `trivy-operator`.
   * @default "trivy-operator"
   */
  readonly operatorJob?: string;
  /**
   * The operator's `operator.scannerReportTTL`; the findings lookback is derived from it.
   * @default "24h"
   */
  readonly scannerReportTTL?: string;
  /**
   * Window of `max_over_time` over findings: must outlast the gap between a report's deletion at
   * TTL and its rescan. The price: an alert clears up to this long after the fix.
   * @default - scannerReportTTL + 1h ("25h")
   */
  readonly findingsLookback?: string;

  /**
   * Alert when a workload's image has more than this many Critical vulnerabilities.
   * @default 0
   */
  readonly criticalVulnerabilitiesThreshold?: number;
  /** @default "15m" - a new image is usually rescanned and fixed images replace it within minutes */
  readonly criticalVulnerabilitiesFor?: string;
  /**
   * Exposed-secret severities that alert.
   * @default ["Critical", "High"]
   */
  readonly exposedSecretSeverities?: readonly TrivySeverity[];
  /** @default "0m" - a leaked secret is urgent */
  readonly exposedSecretsFor?: string;
  /**
   * Alert when a resource has more than this many Critical config-audit findings.
   * @default 0
   */
  readonly criticalConfigAuditThreshold?: number;
  /** @default "30m" */
  readonly criticalConfigAuditFor?: string;
  /** @default "15m" - rolling restarts and leader changes stay quiet */
  readonly operatorAbsentFor?: string;
  /**
   * Alert when at least this many scan jobs failed within `scanJobFailureWindow`.
   * @default 3
   */
  readonly failedScanJobsThreshold?: number;
  /**
   * Window in which failed scan jobs are counted. The operator deletes failed jobs after
   * reading their logs, so kube-state-metrics shows each one only briefly.
   * @default "1h"
   */
  readonly scanJobFailureWindow?: string;
  /**
   * `job_name` regex of scan jobs (kube-state-metrics `kube_job_status_failed`).
   * @default "scan-vulnerabilityreport-.*"
   */
  readonly scanJobNamePattern?: string;
  /** @default "0m" */
  readonly scanJobsFailingFor?: string;
  /**
   * Labels added to every alert (routing, e.g. `{ team: "security" }`).
   * @default {}
   */
  readonly additionalLabels?: Readonly<Record<string, string>>;
  /**
   * Alerts left out, e.g. `TrivyScanJobsFailing` without kube-state-metrics.
   * @default []
   */
  readonly disabledAlerts?: readonly TrivyAlertName[];
}

/** One alerting rule in Prometheus' rule-file vocabulary. */
export interface TrivyAlertRule {
  readonly alert: TrivyAlertName;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<{ summary: string; description: string }>;
}

const PROMETHEUS_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const DURATION_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Seconds in a Prometheus/Go duration such as `24h` or `1h30m`; undefined when it is not one. */
export function durationSeconds(duration: string): number | undefined {
  if (!PROMETHEUS_DURATION.test(duration)) return undefined;
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(amount) * DURATION_SECONDS[unit!]!;
  return total;
}

/** The shortest exact Prometheus duration for whole seconds (`90000` → `25h`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** Escapes a value for a double-quoted PromQL label matcher. */
function promString(value: string): string {
  return JSON.stringify(value);
}

/** Builds the enabled rules; throws with the field, value and what is allowed on bad options. */
export function trivyAlertRules(options: TrivyAlertRulesOptions = {}): TrivyAlertRule[] {
  validateTrivyAlertRulesOptions(options);
  const namespace = options.operatorNamespace ?? "trivy-system";
  const job = options.operatorJob ?? "trivy-operator";
  // Outlast one report TTL plus the rescan; see findingsLookback.
  const lookback = options.findingsLookback ?? formatDuration(durationSeconds(options.scannerReportTTL ?? "24h")! + 3600);
  const extra = options.additionalLabels ?? {};
  const secretSeverities = options.exposedSecretSeverities ?? ["Critical", "High"];
  const disabled = new Set(options.disabledAlerts ?? []);
  const imageLabels = "namespace, resource_kind, resource_name, container_name, image_registry, image_repository, image_tag";

  const rules: TrivyAlertRule[] = [
    {
      alert: "TrivyCriticalVulnerabilities",
      expr: `sum by (${imageLabels}) (max_over_time(trivy_image_vulnerabilities{severity="Critical"}[${lookback}])) > ${options.criticalVulnerabilitiesThreshold ?? 0}`,
      for: options.criticalVulnerabilitiesFor ?? "15m",
      labels: { severity: "critical", ...extra },
      annotations: {
        summary: "{{ $value }} critical vulnerabilities in {{ $labels.namespace }}/{{ $labels.resource_name }}",
        description:
          "Image {{ $labels.image_registry }}/{{ $labels.image_repository }}:{{ $labels.image_tag }} (container {{ $labels.container_name }} of {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }}) has {{ $value }} Critical vulnerabilities. See `kubectl get vulnerabilityreports -n {{ $labels.namespace }}`.",
      },
    },
    {
      alert: "TrivyExposedSecrets",
      expr: `sum by (${imageLabels}) (max_over_time(trivy_image_exposedsecrets{severity=~${promString(secretSeverities.join("|"))}}[${lookback}])) > 0`,
      for: options.exposedSecretsFor ?? "0m",
      labels: { severity: "critical", ...extra },
      annotations: {
        summary: "Secrets exposed in the image of {{ $labels.namespace }}/{{ $labels.resource_name }}",
        description: `Image {{ $labels.image_repository }}:{{ $labels.image_tag }} of {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }} contains {{ $value }} exposed secrets (${secretSeverities.join("/")}). Rotate them, then rebuild the image. See \`kubectl get exposedsecretreports -n {{ $labels.namespace }}\`.`,
      },
    },
    {
      alert: "TrivyCriticalConfigAuditFindings",
      expr: `sum by (namespace, resource_kind, resource_name) (max_over_time(trivy_resource_configaudits{severity="Critical"}[${lookback}])) > ${options.criticalConfigAuditThreshold ?? 0}`,
      for: options.criticalConfigAuditFor ?? "30m",
      labels: { severity: "warning", ...extra },
      annotations: {
        summary: "{{ $value }} critical config audit findings on {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }}",
        description: "See `kubectl get configauditreports -n {{ $labels.namespace }}` for the failed checks and their remediation.",
      },
    },
    {
      alert: "TrivyOperatorAbsent",
      // `== 1` inside absent(): fires both when the target is gone and when it is down.
      expr: `absent(up{job=${promString(job)}, namespace=${promString(namespace)}} == 1)`,
      for: options.operatorAbsentFor ?? "15m",
      labels: { severity: "critical", ...extra },
      annotations: {
        summary: "Trivy Operator is down or not scraped: findings are no longer reported",
        description: `No healthy scrape of job "${job}" in namespace "${namespace}". Every other Trivy alert is blind until it is back. Check the operator pod and the ServiceMonitor.`,
      },
    },
    {
      alert: "TrivyScanJobsFailing",
      // kube-state-metrics, not the operator: the operator exports no scan-failure metric.
      expr: `count(max_over_time(kube_job_status_failed{namespace=${promString(namespace)}, job_name=~${promString(options.scanJobNamePattern ?? "scan-vulnerabilityreport-.*")}}[${options.scanJobFailureWindow ?? "1h"}]) > 0) >= ${options.failedScanJobsThreshold ?? 3}`,
      for: options.scanJobsFailingFor ?? "0m",
      labels: { severity: "warning", ...extra },
      annotations: {
        summary: "{{ $value }} Trivy scan jobs failed in the last " + (options.scanJobFailureWindow ?? "1h"),
        description: `Scan jobs in "${namespace}" are failing (OOMKilled, image pull errors, TOOMANYREQUESTS from the DB registry, untolerated taints). Run \`npm run doctor\` or check the operator logs.`,
      },
    },
  ];
  return rules.filter((rule) => !disabled.has(rule.alert));
}

export function validateTrivyAlertRulesOptions(options: TrivyAlertRulesOptions): void {
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new Error(`trivy alert rules ${field} ${JSON.stringify(value)} is invalid: ${allowed}`);
  };
  const durations = [
    "scannerReportTTL",
    "findingsLookback",
    "criticalVulnerabilitiesFor",
    "exposedSecretsFor",
    "criticalConfigAuditFor",
    "operatorAbsentFor",
    "scanJobFailureWindow",
    "scanJobsFailingFor",
  ] as const;
  for (const field of durations) {
    const value = options[field];
    if (value !== undefined && durationSeconds(value) === undefined) fail(field, value, "use a Prometheus duration such as 30m, 24h or 1h30m");
  }
  for (const field of ["findingsLookback", "scanJobFailureWindow"] as const) {
    if (options[field] !== undefined && durationSeconds(options[field]) === 0) fail(field, options[field], "use a window longer than 0s");
  }
  for (const field of ["criticalVulnerabilitiesThreshold", "criticalConfigAuditThreshold"] as const) {
    const value = options[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) fail(field, value, "use a whole number >= 0 (the alert fires above it)");
  }
  if (options.failedScanJobsThreshold !== undefined && (!Number.isInteger(options.failedScanJobsThreshold) || options.failedScanJobsThreshold < 1)) {
    fail("failedScanJobsThreshold", options.failedScanJobsThreshold, "use a whole number >= 1");
  }
  if (options.exposedSecretSeverities !== undefined) {
    if (options.exposedSecretSeverities.length === 0) fail("exposedSecretSeverities", options.exposedSecretSeverities, "list at least one severity, or disable TrivyExposedSecrets");
    for (const severity of options.exposedSecretSeverities) {
      if (!TRIVY_SEVERITIES.includes(severity)) {
        const titleCase = severity.charAt(0).toUpperCase() + severity.slice(1).toLowerCase();
        fail("exposedSecretSeverities", severity, `the operator emits Title-case severities (${TRIVY_SEVERITIES.join(", ")})${TRIVY_SEVERITIES.includes(titleCase as TrivySeverity) ? `; did you mean "${titleCase}"?` : ""}`);
      }
    }
  }
  for (const name of options.disabledAlerts ?? []) {
    if (!TRIVY_ALERT_NAMES.includes(name)) fail("disabledAlerts", name, `use alert names: ${TRIVY_ALERT_NAMES.join(", ")}`);
  }
  for (const key of Object.keys(options.additionalLabels ?? {})) {
    if (!LABEL_NAME.test(key)) fail("additionalLabels", key, "use Prometheus label names (letters, digits, '_', not starting with a digit)");
  }
  if (options.scanJobNamePattern !== undefined) {
    try {
      new RegExp(`^(?:${options.scanJobNamePattern})$`);
    } catch {
      fail("scanJobNamePattern", options.scanJobNamePattern, "use a valid regular expression");
    }
  }
  for (const field of ["operatorNamespace", "operatorJob"] as const) {
    if (options[field] !== undefined && options[field].trim() === "") fail(field, options[field], "use a non-empty value");
  }
}
