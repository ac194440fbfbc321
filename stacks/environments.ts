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
 * The organisation's environments: add, rename or drop entries freely (docs/fleet.md). Edit this
 * file to add a cluster: append an entry to an environment's `clusters` with a new, stable `name`
 * (see docs/operator.md "Adding a cluster"). The return type is inferred (`satisfies`), so callers
 * see exactly the environments written here.
 */
export function defineEnvironments(inputs: EnvironmentInputs = {}) {
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
          // The dedicated pool of docs/field-report.md §5: the node collector stayed Pending without tolerations.
          taints: [{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }],
          networkPolicy: { flavor: "calico", prometheus: KUBE_PROMETHEUS_STACK_SCRAPER },
          operator: {
            builtInTrivyServer: true,
            // AKS/Calico ship Windows DaemonSets that Trivy cannot scan. Go's filepath.Match: "*" never
            // crosses "/", so each repository depth below mcr.microsoft.com/windows/ needs its own pattern.
            excludeImages: ["mcr.microsoft.com/oss/calico/windows-*", "mcr.microsoft.com/windows/*", "mcr.microsoft.com/windows/*/*"],
            skipResourceByLabels: ["trivy-operator-cdktf/skip-scan"],
          },
          monitoring: {
            // eu-1 alerts through kube-prometheus-stack's Alertmanager, and its Grafana sidecar loads the dashboard.
            prometheusSelectorLabels: { release: "kube-prometheus-stack" },
            alertRules: { additionalLabels: { team: "security" } },
            dashboard: { delivery: "sidecar", datasourceName: "Prometheus", folderTitle: "Security", namespace: "monitoring" },
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
          // Tuned so the kind tier's one VulnerabilityReport comes quickly (docs/integration-tests.md,
          // "Why the ci stack scans fast"): the DB is downloaded once, by the built-in Trivy server,
          // while Helm waits for the release; only two scan jobs exist (the cluster KBOM and the
          // vulnerable workload), and both run at once.
          operator: {
            namespace: CI_CLUSTER.operatorNamespace,
            // ClientServer mode: scan jobs get no `--download-db-only` init container (trivy-operator
            // pkg/plugins/trivy/image.go, Standalone only), and the operator starts no scan job before
            // the server's /healthz answers (pkg/vulnerabilityreport/controller/workload.go).
            builtInTrivyServer: true,
            // Each scan job requests 100m CPU / 512M; kind nodes offer the runner's 4 CPUs / 16 GB,
            // so three at once fit with room to spare, and the two the test causes never queue
            // behind `scanJobsRetryDelay` (30 s per retry when the limit is reached).
            scanJobsConcurrentLimit: 3,
            // The operator namespace is added by the module; kind's own namespaces cost scan jobs
            // (local-path-provisioner) without proving anything.
            excludeNamespaces: CI_CLUSTER.kindSystemNamespaces,
            skipResourceByLabels: [CI_CLUSTER.skipScanLabel],
            // The kind tier asserts critical findings in knqyf263/vuln-image:1.2.3 (Alpine 3.7, end of
            // life), with unfixed findings included as in upstream's own e2e; whether the DB still
            // lists fixed versions for that release is not something the test should depend on.
            ignoreUnfixed: false,
            // The server's DB cache on an emptyDir: the cluster lives for one run, and a PVC would
            // wait on kind's local-path provisioner for nothing (chart templates/trivy-server/statefulset.yaml).
            extraValues: { trivy: { storageClassEnabled: false } },
          },
        },
      ],
    },
  } satisfies EnvironmentsConfig;
}
