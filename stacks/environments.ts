import { CI_CLUSTER } from "./ci-cluster";
import type { EnvironmentsConfig } from "./config";

/** What only the caller (main.ts, from the environment) knows about where the ci cluster is. */
export interface EnvironmentInputs {
  /**
   * Kubeconfig of the kind cluster the integration tier creates.
   * @default "~/.kube/config"
   */
  readonly ciKubeconfigPath?: string;
  /**
   * Context of that kind cluster.
   * @default "kind-trivy-e2e"
   */
  readonly ciKubeContext?: string;
}

/** kube-prometheus-stack's Prometheus pods, in the namespace it is usually installed into. */
const KUBE_PROMETHEUS_STACK_SCRAPER = { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } } as const;

/**
 * The organisation's environments. Edit this file to add a cluster: append an entry to an
 * environment's `clusters` with a new, stable `name` (see docs/operator.md "Adding a cluster").
 */
export function defineEnvironments(inputs: EnvironmentInputs = {}): EnvironmentsConfig {
  return {
    dev: {
      backend: { type: "local" },
      clusters: [
        {
          name: "dev",
          kubeconfigPath: "~/.kube/config",
          kubeContext: "dev",
          networkPolicy: { flavor: "kubernetes", prometheus: KUBE_PROMETHEUS_STACK_SCRAPER },
          operator: {
            // Developers want fast feedback on fresh images more than a quiet node.
            scannerReportTTL: "12h",
          },
          monitoring: {
            // Metrics feed the dashboard; nobody is paged for a dev cluster, so no PrometheusRule.
            prometheusRule: false,
            prometheusSelectorLabels: { release: "kube-prometheus-stack" },
            // The dev Grafana is a chart release of its own: the stack only outputs its values.
            dashboard: { delivery: "helm-values", datasourceName: "Prometheus", folderTitle: "Security" },
          },
        },
      ],
    },
    prod: {
      backend: {
        type: "s3",
        bucket: "example-org-terraform-state",
        key: "trivy-operator/prod.tfstate",
        region: "eu-west-1",
        useLockfile: true,
      },
      clusters: [
        {
          name: "eu-1",
          kubeconfigPath: "~/.kube/config",
          kubeContext: "prod-eu-1",
          // The dedicated pool of the field report: the node collector stayed Pending without tolerations.
          taints: [{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }],
          networkPolicy: { flavor: "calico", prometheus: KUBE_PROMETHEUS_STACK_SCRAPER },
          operator: {
            builtInTrivyServer: true,
            // AKS/Calico ship Windows DaemonSets that Trivy cannot scan.
            excludeImages: ["mcr.microsoft.com/oss/calico/windows-*", "mcr.microsoft.com/windows/*"],
            skipResourceByLabels: ["trivy-operator-cdktf/skip-scan"],
          },
          monitoring: {
            // eu-1 alerts through kube-prometheus-stack's Alertmanager, and its Grafana sidecar loads the dashboard.
            prometheusSelectorLabels: { release: "kube-prometheus-stack" },
            alertRules: { additionalLabels: { team: "security" } },
            dashboard: { delivery: "sidecar", datasourceName: "Prometheus", folderTitle: "Security", sidecarNamespace: "monitoring" },
          },
        },
        {
          name: "us-1",
          kubeconfigPath: "~/.kube/config",
          kubeContext: "prod-us-1",
          taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
          networkPolicy: { flavor: "cilium", prometheus: KUBE_PROMETHEUS_STACK_SCRAPER },
          monitoring: {
            // us-1 reports to the central Grafana: dashboard through its API, alerts as Grafana-managed
            // rules to Slack, so no PrometheusRule (every alert would fire twice).
            prometheusRule: false,
            prometheusSelectorLabels: { release: "kube-prometheus-stack" },
            grafanaUrl: "https://grafana.example.com",
            alertRules: { additionalLabels: { team: "security" } },
            dashboard: { delivery: "grafana-api", datasourceUid: "prometheus-us-1", folderTitle: "Security" },
            grafanaAlerts: { datasourceUid: "prometheus-us-1", contactPoint: { type: "slack" } },
          },
        },
      ],
    },
    ci: {
      backend: { type: "local" },
      clusters: [
        {
          name: CI_CLUSTER.name,
          kubeconfigPath: inputs.ciKubeconfigPath ?? "~/.kube/config",
          kubeContext: inputs.ciKubeContext ?? "kind-trivy-e2e",
          taints: [CI_CLUSTER.workerTaint],
          networkPolicy: { flavor: "kubernetes" },
          // No monitoring: a bare kind cluster has no Prometheus Operator CRDs, so a ServiceMonitor or
          // PrometheusRule release would fail the integration tier's apply (docs/monitoring-config.md).
          operator: {
            namespace: CI_CLUSTER.operatorNamespace,
            // A kind node is small; one scan at a time keeps the vulnerable workload schedulable.
            scanJobsConcurrentLimit: 1,
            // The kind tier asserts critical findings in nginx:1.14.2 (Debian 9, end of life), as
            // upstream's own e2e does with unfixed findings included; whether the DB still lists
            // fixed versions for that release is not something the test should depend on.
            ignoreUnfixed: false,
          },
        },
      ],
    },
  };
}
