import type { ITerraformDependable, TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { parsePrometheusDuration } from "../common/duration";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { ManifestBundle } from "../manifest-bundle/manifest-bundle";
import type { ITrivyOperator } from "../trivy-operator/operator-ref";
import { trivyAlertRules, type TrivyAlertRule, type TrivyAlertRulesOptions } from "./alert-rules";
import { trivyPrometheusRule, trivyServiceMonitor } from "./manifests";

/** Alert options without what the operator decides (its namespace, report TTL and where scan Jobs run). */
export type OperatorAlertRulesOptions = Omit<TrivyAlertRulesOptions, "operatorNamespace" | "scannerReportTTL" | "scanJobsInSameNamespace">;

/** What `operator.addMonitoring(id, options)` takes: the choices the operator cannot make. */
export interface TrivyOperatorMonitoringOptions {
  /**
   * Deliver a ServiceMonitor for the operator's metrics.
   * @default true
   */
  readonly serviceMonitor?: boolean;
  /**
   * Deliver the PrometheusRule with the Trivy alerts.
   * @default true
   */
  readonly prometheusRule?: boolean;
  /**
   * Alert thresholds, `for` durations, and which alerts to leave out. The namespace and the
   * scan-job failure window follow the operator (its namespace and `scannerReportTTL`).
   * @default - see TrivyAlertRulesOptions
   */
  readonly alertRules?: OperatorAlertRulesOptions;
  /**
   * Labels your Prometheus selects ServiceMonitors and rules by. kube-prometheus-stack selects
   * `release: <its release name>` unless `serviceMonitorSelectorNilUsesHelmValues` /
   * `ruleSelectorNilUsesHelmValues` are false.
   * @default {}
   */
  readonly prometheusSelectorLabels?: Readonly<Record<string, string>>;
  /**
   * Scrape interval. Every scrape walks all report CRs, so large clusters want it slower.
   * @default "60s"
   */
  readonly scrapeInterval?: string;
  /**
   * Name of the Helm release that carries the two objects.
   * @default "<operator release name>-monitoring" ("trivy-operator-monitoring")
   */
  readonly bundleReleaseName?: string;
  /**
   * What must exist first besides the operator release, e.g. the release in the same stack that
   * installs the Prometheus Operator CRDs.
   * @default - only the operator release
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Helm provider of the release carrying the objects.
   * @default - the operator's helm provider
   */
  readonly helmProvider?: TerraformProvider;
}

export interface TrivyOperatorMonitoringProps extends TrivyOperatorMonitoringOptions {
  /** The operator to scrape and alert on: namespace, release name and report TTL come from it. */
  readonly operator: ITrivyOperator;
}

/**
 * Prometheus Operator objects for Trivy Operator: a ServiceMonitor and a PrometheusRule, delivered
 * through a ManifestBundle (Helm release of a local chart). `kubernetes_manifest` would fail at
 * plan time on a cluster where the monitoring.coreos.com CRDs are not installed yet; Helm resolves
 * the kinds at apply time, after `dependsOn`. Without the CRDs at all, only this release fails, never the
 * operator release.
 */
export class TrivyOperatorMonitoring extends Construct {
  /** The alert rules as delivered (empty when prometheusRule is false). */
  public readonly rules: readonly TrivyAlertRule[];
  public readonly bundle: ManifestBundle;
  /** Whether a ServiceMonitor is delivered (Prometheus then scrapes the operator on 8080). */
  public readonly serviceMonitor: boolean;
  /** Whether the PrometheusRule is delivered. */
  public readonly prometheusRule: boolean;
  /** Scrape interval of the ServiceMonitor. */
  public readonly scrapeInterval: string;

  constructor(scope: Construct, id: string, props: TrivyOperatorMonitoringProps) {
    super(scope, id);
    const { operator } = props;
    const namespace = operator.namespace;
    const operatorReleaseName = operator.releaseName;
    const scrapeInterval = props.scrapeInterval ?? "60s";
    const labels = props.prometheusSelectorLabels ?? {};
    const problems = trivyOperatorMonitoringProblems(props);
    if (problems.length > 0) throw new ValidationError("trivy operator monitoring", problems, this);

    this.serviceMonitor = props.serviceMonitor !== false;
    this.prometheusRule = props.prometheusRule !== false;
    this.scrapeInterval = scrapeInterval;

    // The alerts watch the namespace and job the ServiceMonitor produces, and count scan-job failures over the report TTL.
    this.rules = this.prometheusRule
      ? trivyAlertRules({
          ...props.alertRules,
          operatorNamespace: namespace,
          scannerReportTTL: operator.scannerReportTTL,
          scanJobsInSameNamespace: operator.scanJobsInSameNamespace,
        })
      : [];
    const manifests = [];
    if (props.serviceMonitor !== false) {
      manifests.push(trivyServiceMonitor({ name: operatorReleaseName, namespace, operatorReleaseName, scrapeInterval, labels }));
    }
    if (props.prometheusRule !== false) {
      manifests.push(trivyPrometheusRule({ name: `${operatorReleaseName}-alerts`, namespace, labels, rules: this.rules }));
    }
    this.bundle = new ManifestBundle(this, "bundle", {
      releaseName: props.bundleReleaseName ?? `${operatorReleaseName}-monitoring`,
      namespace,
      manifests,
      helmProvider: props.helmProvider ?? operator.helmProvider,
      dependsOn:
        operator.release || props.dependsOn ? [...(operator.release ? [operator.release] : []), ...(props.dependsOn ?? [])] : undefined,
    });
  }
}

/** Every reason the options cannot make a working bundle, as data (empty when valid); alert-rule options are checked by trivyAlertRulesProblems. */
export function trivyOperatorMonitoringProblems(options: TrivyOperatorMonitoringOptions): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (options.scrapeInterval !== undefined && !parsePrometheusDuration(options.scrapeInterval)) {
    // 0s is no interval: Prometheus would fall back to its global one, which is not what was asked for.
    problems.push({
      path: "scrapeInterval",
      value: options.scrapeInterval,
      expected: "use a Prometheus duration longer than 0s such as 60s or 2m",
    });
  }
  if (options.serviceMonitor === false && options.prometheusRule === false) {
    problems.push({
      path: "serviceMonitor/prometheusRule",
      value: false,
      expected: "both false: nothing to deliver; remove the construct instead",
    });
  }
  return problems;
}
