import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { ManifestBundle } from "../manifest-bundle/manifest-bundle";
import { durationSeconds, trivyAlertRules, type TrivyAlertRule, type TrivyAlertRulesOptions } from "./alert-rules";
import { trivyPrometheusRule, trivyServiceMonitor } from "./manifests";

export interface TrivyOperatorMonitoringProps {
  /**
   * Namespace of the operator; the ServiceMonitor and PrometheusRule go there too.
   * @default "trivy-system"
   */
  readonly namespace?: string;
  /**
   * Helm release name of the operator (`app.kubernetes.io/instance` of its Service).
   * @default "trivy-operator"
   */
  readonly operatorReleaseName?: string;
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
   * Alert thresholds, `for` durations, and which alerts to leave out.
   * @default - see TrivyAlertRulesOptions
   */
  readonly alertRules?: TrivyAlertRulesOptions;
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
   * @default "trivy-operator-monitoring"
   */
  readonly bundleReleaseName?: string;
  /**
   * What must exist first: the operator release (namespace) and, when it comes from the same
   * stack, the release that installs the Prometheus Operator CRDs.
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
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

  constructor(scope: Construct, id: string, props: TrivyOperatorMonitoringProps = {}) {
    super(scope, id);
    const namespace = props.namespace ?? "trivy-system";
    const operatorReleaseName = props.operatorReleaseName ?? "trivy-operator";
    const scrapeInterval = props.scrapeInterval ?? "60s";
    const labels = props.prometheusSelectorLabels ?? {};
    if (durationSeconds(scrapeInterval) === undefined) {
      throw new Error(`trivy operator monitoring scrapeInterval "${scrapeInterval}" is invalid: use a Prometheus duration such as 60s or 2m`);
    }
    if (props.serviceMonitor === false && props.prometheusRule === false) {
      throw new Error("trivy operator monitoring serviceMonitor and prometheusRule are both false: nothing to deliver; remove the construct instead");
    }

    // Alerts default to the same namespace and job the ServiceMonitor produces.
    this.rules = props.prometheusRule === false ? [] : trivyAlertRules({ operatorNamespace: namespace, ...props.alertRules });
    const manifests = [];
    if (props.serviceMonitor !== false) {
      manifests.push(trivyServiceMonitor({ name: operatorReleaseName, namespace, operatorReleaseName, scrapeInterval, labels }));
    }
    if (props.prometheusRule !== false) {
      manifests.push(trivyPrometheusRule({ name: `${operatorReleaseName}-alerts`, namespace, labels, rules: this.rules }));
    }
    this.bundle = new ManifestBundle(this, "bundle", {
      releaseName: props.bundleReleaseName ?? "trivy-operator-monitoring",
      namespace,
      manifests,
      dependsOn: props.dependsOn,
    });
  }
}
