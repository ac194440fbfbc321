import type { IConstruct } from "constructs";
import { parsePrometheusDuration, prometheusDurationOf } from "../common/duration";
import { TITLE_SEVERITIES, type TitleSeverity } from "../common/severity";
import { ValidationError, type ValidationProblem } from "../common/validation-error";

/**
 * The alerts a security team wants from Trivy Operator metrics, as plain data. The same list
 * feeds the PrometheusRule (Prometheus Operator) and the Grafana-managed rule group.
 *
 * Facts the expressions rely on (trivy-operator v0.32.0; the series are pinned in
 * test/fixtures/metrics/emitted-series.ts and the rules run on promtool in
 * test/unit/monitoring/promtool-rules.test.ts):
 * - findings are gauges computed at scrape time from report CRs (`pkg/metrics/collector.go`
 *   `collectVulnerabilityReports` and siblings), one series per report and severity, zeros
 *   included: alert on `> threshold`, never on presence;
 * - severity label values are Title case (`pkg/metrics/types.go` `SeverityCritical`: `Critical`);
 * - a series exists exactly as long as its report: a replaced workload's report is deleted at
 *   once, a re-pulled tag gets a new `image_digest` (a new series), and Vulnerability and
 *   ExposedSecret reports are deleted at `scannerReportTTL` and rescanned
 *   (`pkg/operator/ttl_report.go` `applicableForDeletion`). The expressions therefore read the
 *   current value only, so `for:` sees a short-lived finding end, and only the alert's
 *   `keep_firing_for` bridges the rescan gap after a TTL deletion;
 * - failed scan Jobs are deleted in the reconcile that sees them fail
 *   (`pkg/vulnerabilityreport/controller/scanjob.go` `reconcileJobs`), so a failure is
 *   read from what survives it: the same deterministic Job name created again and again.
 */

/** Severity values exactly as the operator emits them in the `severity` label (modules/common/severity.ts). */
export type TrivySeverity = TitleSeverity;
export const TRIVY_SEVERITIES: readonly TrivySeverity[] = TITLE_SEVERITIES;
/**
 * Severities of `trivy_image_exposedsecrets`: `collector.go` `buildMetricDescriptors`
 * `exposedSecretSeverities` has no Unknown, so a rule matching it would match nothing.
 */
export type TrivySecretSeverity = Exclude<TrivySeverity, "Unknown">;
export const TRIVY_SECRET_SEVERITIES: readonly TrivySecretSeverity[] = TRIVY_SEVERITIES.filter(
  (severity): severity is TrivySecretSeverity => severity !== "Unknown",
);

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
   * The operator's `operator.scannerReportTTL`: a healthy workload's scan Job is created once per
   * TTL, which sets the default `scanJobFailureWindow` and bounds `findingsKeepFiringFor`. In the
   * operator's grammar (a Go duration such as `1.5h`) or Prometheus' (`1h30m`, `1d`); the rules
   * spell it the Prometheus way.
   * @default "24h"
   */
  readonly scannerReportTTL?: string;
  /**
   * How long a firing findings alert keeps firing after its series is gone or back under the
   * threshold (`keep_firing_for`). It bridges the rescan after a TTL deletion (report deleted,
   * scan Job queued and run, next scrape); it is also how long an alert outlives the fix.
   * @default "1h"
   */
  readonly findingsKeepFiringFor?: string;

  /**
   * Alert when a workload's image has more than this many Critical vulnerabilities.
   * @default 0
   */
  readonly criticalVulnerabilitiesThreshold?: number;
  /** @default "15m" - a new image is usually rescanned and fixed images replace it within minutes */
  readonly criticalVulnerabilitiesFor?: string;
  /**
   * Exposed-secret severities that alert (the operator emits no `Unknown` for secrets).
   * @default ["Critical", "High"]
   */
  readonly exposedSecretSeverities?: readonly TrivySecretSeverity[];
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
   * Alert when the same scan Job (one per workload: `scan-vulnerabilityreport-<hash>`) was
   * created at least this many times within `scanJobFailureWindow`. A healthy workload's scan
   * Job is created once per `scannerReportTTL`; a failed one is deleted at once and created
   * again at the workload's next reconcile (any change to it, an operator restart, or the
   * informer resync, 10h). A StatefulSet or DaemonSet whose pod template changes this often
   * within the window also reaches it.
   * @default 3
   */
  readonly failedScanJobsThreshold?: number;
  /**
   * Window in which the creations of one scan Job are counted; at most `scannerReportTTL`
   * unless the threshold exceeds the number of TTL rescans it spans.
   * @default - scannerReportTTL ("24h")
   */
  readonly scanJobFailureWindow?: string;
  /**
   * `job_name` regex of scan jobs (kube-state-metrics `kube_job_created`).
   * @default "scan-vulnerabilityreport-.*"
   */
  readonly scanJobNamePattern?: string;
  /**
   * Whether scan Jobs run in the workloads' namespaces (`trivyOperator.scanJobsInSameNamespace`):
   * `TrivyScanJobsFailing` then counts them in every namespace, not only `operatorNamespace`.
   * @default false - the chart's default: scan Jobs run in the operator's namespace
   */
  readonly scanJobsInSameNamespace?: boolean;
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
  /** Prometheus `keep_firing_for` (Grafana `keep_firing_for` + `missing_series_evals_to_resolve`); absent = resolve at once. */
  readonly keepFiringFor?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<{ summary: string; description: string }>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a value for a double-quoted PromQL label matcher. */
function promString(value: string): string {
  return JSON.stringify(value);
}

const DEFAULT_SCANNER_REPORT_TTL = "24h";
const DEFAULT_FINDINGS_KEEP_FIRING_FOR = "1h";

/** Builds the enabled rules; throws with the field, value and what is allowed on bad options. */
export function trivyAlertRules(options: TrivyAlertRulesOptions = {}): TrivyAlertRule[] {
  validateTrivyAlertRulesOptions(options);
  const namespace = options.operatorNamespace ?? "trivy-system";
  const job = options.operatorJob ?? "trivy-operator";
  const keepFiringFor = options.findingsKeepFiringFor ?? DEFAULT_FINDINGS_KEEP_FIRING_FOR;
  // The TTL comes from the operator as a Go duration; a range selector needs Prometheus' spelling.
  const scanJobWindow = options.scanJobFailureWindow ?? prometheusDurationOf(options.scannerReportTTL ?? DEFAULT_SCANNER_REPORT_TTL)!;
  const extra = options.additionalLabels ?? {};
  const secretSeverities = options.exposedSecretSeverities ?? ["Critical", "High"];
  const disabled = new Set(options.disabledAlerts ?? []);
  // trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go updateScanJobForWorkloadNamespace puts
  // the Job in the workload's namespace when scanJobsInSameNamespace is on.
  const scanJobNamespaceMatcher = options.scanJobsInSameNamespace === true ? "" : `namespace=${promString(namespace)}, `;
  // image_digest is left out: a re-pulled tag is the same image to the reader, and its old and
  // new series never coexist, so the alert keeps its identity (and its for:) across a re-pull.
  const imageLabels = "namespace, resource_kind, resource_name, container_name, image_registry, image_repository, image_tag";

  const rules: TrivyAlertRule[] = [
    {
      alert: "TrivyCriticalVulnerabilities",
      // The current value only: max, never sum, so series that never coexisted are not added.
      expr: `max by (${imageLabels}) (trivy_image_vulnerabilities{severity="Critical"}) > ${options.criticalVulnerabilitiesThreshold ?? 0}`,
      for: options.criticalVulnerabilitiesFor ?? "15m",
      keepFiringFor,
      labels: { severity: "critical", ...extra },
      annotations: {
        summary: "{{ $value }} critical vulnerabilities in {{ $labels.namespace }}/{{ $labels.resource_name }}",
        description:
          "Image {{ $labels.image_registry }}/{{ $labels.image_repository }}:{{ $labels.image_tag }} (container {{ $labels.container_name }} of {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }}) has {{ $value }} Critical vulnerabilities. See `kubectl get vulnerabilityreports -n {{ $labels.namespace }}`.",
      },
    },
    {
      alert: "TrivyExposedSecrets",
      // Severities of one report version add up (inner sum by digest); versions never do (outer max).
      expr: `max by (${imageLabels}) (sum by (${imageLabels}, image_digest) (trivy_image_exposedsecrets{severity=~${promString(secretSeverities.join("|"))}})) > 0`,
      for: options.exposedSecretsFor ?? "0m",
      keepFiringFor,
      labels: { severity: "critical", ...extra },
      annotations: {
        summary: "Secrets exposed in the image of {{ $labels.namespace }}/{{ $labels.resource_name }}",
        description: `Image {{ $labels.image_repository }}:{{ $labels.image_tag }} of {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }} contains {{ $value }} exposed secrets (${secretSeverities.join("/")}). Rotate them, then rebuild the image. See \`kubectl get exposedsecretreports -n {{ $labels.namespace }}\`.`,
      },
    },
    {
      alert: "TrivyCriticalConfigAuditFindings",
      expr: `max by (namespace, resource_kind, resource_name) (trivy_resource_configaudits{severity="Critical"}) > ${options.criticalConfigAuditThreshold ?? 0}`,
      for: options.criticalConfigAuditFor ?? "30m",
      keepFiringFor,
      labels: { severity: "warning", ...extra },
      annotations: {
        summary:
          "{{ $value }} critical config audit findings on {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }}",
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
      // kube-state-metrics `kube_job_created` (value: the Job's creation time, one series per
      // namespace/job_name). The operator deletes a failed Job at once, but the next one of the
      // same workload has the same name and a new creation time: changes() counts re-creations
      // (staleness markers between two Jobs are skipped by range selection). max by: one Job
      // counts once whatever other series (scrape targets, KSM replicas) carry it.
      expr: `max by (namespace, job_name) (changes(kube_job_created{${scanJobNamespaceMatcher}job_name=~${promString(options.scanJobNamePattern ?? "scan-vulnerabilityreport-.*")}}[${scanJobWindow}])) + 1 >= ${options.failedScanJobsThreshold ?? 3}`,
      for: options.scanJobsFailingFor ?? "0m",
      labels: { severity: "warning", ...extra },
      annotations: {
        summary: `Scan job {{ $labels.job_name }} was created {{ $value }} times in the last ${scanJobWindow}: the scan of one workload keeps failing`,
        description: `The operator deletes a failed scan job and creates it again at the workload's next reconcile; a healthy workload is scanned once per report TTL. Find the workload and the reason with \`npx trivy-operator-cdktf doctor\` or the operator log line "Scan job container" (status.reason, status.message) in "${namespace}"${options.scanJobsInSameNamespace === true ? "; the Job ran in {{ $labels.namespace }}" : ""}.`,
      },
    },
  ];
  return rules.filter((rule) => !disabled.has(rule.alert));
}

/** Throws one ValidationError listing every problem of the options (see trivyAlertRulesProblems). */
export function validateTrivyAlertRulesOptions(options: TrivyAlertRulesOptions, scope?: IConstruct): void {
  const problems = trivyAlertRulesProblems(options);
  if (problems.length > 0) throw new ValidationError("trivy alert rules", problems, scope);
}

/** Every reason the options cannot make sound rules, as data (empty when valid). */
export function trivyAlertRulesProblems(options: TrivyAlertRulesOptions): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const fail = (path: string, value: unknown, expected: string): void => {
    problems.push({ path, value, expected });
  };
  const durations = [
    "scannerReportTTL",
    "findingsKeepFiringFor",
    "criticalVulnerabilitiesFor",
    "exposedSecretsFor",
    "criticalConfigAuditFor",
    "operatorAbsentFor",
    "scanJobFailureWindow",
    "scanJobsFailingFor",
  ] as const;
  for (const field of durations) {
    const value = options[field];
    if (value !== undefined && field !== "scannerReportTTL" && parsePrometheusDuration(value) === undefined)
      fail(field, value, "use a Prometheus duration such as 30m, 24h or 1h30m");
  }
  const ttl = options.scannerReportTTL;
  // The operator's Go duration (1.5h), respelled for Prometheus (1h30m); negative has no Prometheus form.
  const ttlPrometheus = prometheusDurationOf(ttl ?? DEFAULT_SCANNER_REPORT_TTL);
  if (ttlPrometheus === undefined)
    fail("scannerReportTTL", ttl, "use the operator's Go duration (such as 24h, 1.5h or 10m0s) or a Prometheus duration (such as 1d)");
  // Prometheus keeps milliseconds: a TTL below 1ms would be a 0s range.
  if (ttl !== undefined && ttlPrometheus !== undefined && parsePrometheusDuration(ttlPrometheus) === 0)
    fail("scannerReportTTL", ttl, "use a duration longer than 0s");
  if (options.scanJobFailureWindow !== undefined && parsePrometheusDuration(options.scanJobFailureWindow) === 0)
    fail("scanJobFailureWindow", options.scanJobFailureWindow, "use a duration longer than 0s");
  // The rules below compare durations; with one of them malformed (reported above) they cannot.
  const ttlMilliseconds = (ttlPrometheus === undefined ? undefined : parsePrometheusDuration(ttlPrometheus)) ?? Number.NaN;
  if (options.findingsKeepFiringFor !== undefined && (parsePrometheusDuration(options.findingsKeepFiringFor) ?? 0) >= ttlMilliseconds) {
    fail(
      "findingsKeepFiringFor",
      options.findingsKeepFiringFor,
      `use a duration shorter than scannerReportTTL (${options.scannerReportTTL ?? DEFAULT_SCANNER_REPORT_TTL}): it bridges the rescan after a TTL deletion, and a fixed finding keeps alerting that long`,
    );
  }
  for (const field of ["criticalVulnerabilitiesThreshold", "criticalConfigAuditThreshold"] as const) {
    const value = options[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      fail(field, value, "use a whole number >= 0 (the alert fires above it)");
  }
  const threshold = options.failedScanJobsThreshold;
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 2)) {
    fail("failedScanJobsThreshold", threshold, "use a whole number >= 2 (creations of the same scan job; every scan creates one)");
  }
  // A healthy, unchanged workload's scan Job is created once per TTL, so a window of W holds up
  // to ceil(W / TTL) of its creations; the threshold must lie above that.
  const windowMilliseconds =
    options.scanJobFailureWindow === undefined ? ttlMilliseconds : parsePrometheusDuration(options.scanJobFailureWindow);
  const healthyCreations = windowMilliseconds === undefined ? 1 : Math.ceil(windowMilliseconds / ttlMilliseconds);
  if (!Number.isNaN(healthyCreations) && (threshold ?? 3) <= healthyCreations) {
    fail(
      threshold === undefined ? "scanJobFailureWindow" : "failedScanJobsThreshold",
      threshold ?? options.scanJobFailureWindow,
      `a healthy workload's scan job is created ${healthyCreations} times in ${options.scanJobFailureWindow} with scannerReportTTL ${options.scannerReportTTL ?? DEFAULT_SCANNER_REPORT_TTL}; use a threshold above ${healthyCreations} or a window of at most the TTL`,
    );
  }
  if (options.exposedSecretSeverities !== undefined) {
    if (options.exposedSecretSeverities.length === 0)
      fail("exposedSecretSeverities", options.exposedSecretSeverities, "list at least one severity, or disable TrivyExposedSecrets");
    for (const severity of options.exposedSecretSeverities as readonly string[]) {
      if (severity === "Unknown") {
        fail(
          "exposedSecretSeverities",
          severity,
          `the operator never emits Unknown for exposed secrets (trivy-operator pkg/metrics/collector.go); use ${TRIVY_SECRET_SEVERITIES.join(", ")}`,
        );
      }
      if (!TRIVY_SECRET_SEVERITIES.includes(severity as TrivySecretSeverity)) {
        const titleCase = severity.charAt(0).toUpperCase() + severity.slice(1).toLowerCase();
        fail(
          "exposedSecretSeverities",
          severity,
          `the operator emits Title-case severities (${TRIVY_SECRET_SEVERITIES.join(", ")})${TRIVY_SECRET_SEVERITIES.includes(titleCase as TrivySecretSeverity) ? `; did you mean "${titleCase}"?` : ""}`,
        );
      }
    }
  }
  for (const name of options.disabledAlerts ?? []) {
    if (!TRIVY_ALERT_NAMES.includes(name)) fail("disabledAlerts", name, `use alert names: ${TRIVY_ALERT_NAMES.join(", ")}`);
  }
  for (const key of Object.keys(options.additionalLabels ?? {})) {
    if (!LABEL_NAME.test(key))
      fail("additionalLabels", key, "use Prometheus label names (letters, digits, '_', not starting with a digit)");
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
  return problems;
}
