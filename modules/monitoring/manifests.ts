import type { KubernetesManifest } from "../manifest-bundle/manifest-bundle";
import type { TrivyAlertRule } from "./alert-rules";

export interface TrivyServiceMonitorOptions {
  /** ServiceMonitor name. */
  readonly name: string;
  /** Operator namespace; the ServiceMonitor lives there and selects the Service there. */
  readonly namespace: string;
  /** Operator Helm release name: the Service's `app.kubernetes.io/instance` label. */
  readonly operatorReleaseName: string;
  /** Scrape interval; findings are computed from every report CR at each scrape. */
  readonly scrapeInterval: string;
  /** Labels the Prometheus `serviceMonitorSelector` / `ruleSelector` matches (kube-prometheus-stack: `release: <its release>`). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * A ServiceMonitor for the operator's metrics Service (chart labels `app.kubernetes.io/name:
 * trivy-operator` and `app.kubernetes.io/instance: <release>`, port `metrics`).
 *
 * Delivered by us instead of the chart's `serviceMonitor.enabled`: from chart 0.31 that flag puts
 * the ServiceMonitor into the operator release, so a cluster without the Prometheus Operator
 * CRDs fails the whole operator install. Ours sits in a separate release that may fail alone.
 */
export function trivyServiceMonitor(options: TrivyServiceMonitorOptions): KubernetesManifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: options.name, namespace: options.namespace, labels: { ...managedLabels(), ...options.labels } },
    spec: {
      // job="trivy-operator" whatever the Service is called, so the absent() alert keeps matching.
      jobLabel: "app.kubernetes.io/name",
      selector: { matchLabels: { "app.kubernetes.io/name": "trivy-operator", "app.kubernetes.io/instance": options.operatorReleaseName } },
      namespaceSelector: { matchNames: [options.namespace] },
      endpoints: [{ port: "metrics", interval: options.scrapeInterval, honorLabels: true }],
    },
  };
}

export interface TrivyPrometheusRuleOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly rules: readonly TrivyAlertRule[];
}

export function trivyPrometheusRule(options: TrivyPrometheusRuleOptions): KubernetesManifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: options.name, namespace: options.namespace, labels: { ...managedLabels(), ...options.labels } },
    spec: {
      groups: [
        {
          name: "trivy-operator",
          rules: options.rules.map((rule) => ({
            alert: rule.alert,
            expr: rule.expr,
            for: rule.for,
            // prometheus-operator's Rule.keep_firing_for (a NonEmptyDuration) reaches Prometheus >= 2.42 as is.
            ...(rule.keepFiringFor !== undefined ? { keep_firing_for: rule.keepFiringFor } : {}),
            labels: rule.labels,
            annotations: rule.annotations,
          })),
        },
      ],
    },
  };
}

function managedLabels(): Record<string, string> {
  return { "app.kubernetes.io/part-of": "trivy-operator", "app.kubernetes.io/managed-by": "trivy-operator-cdktf" };
}
