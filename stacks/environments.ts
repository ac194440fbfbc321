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
          networkPolicy: { flavor: "kubernetes" },
          operator: {
            // Developers want fast feedback on fresh images more than a quiet node.
            scannerReportTTL: "12h",
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
          networkPolicy: { flavor: "calico" },
          operator: {
            builtInTrivyServer: true,
            // AKS/Calico ship Windows DaemonSets that Trivy cannot scan.
            excludeImages: ["mcr.microsoft.com/oss/calico/windows-*", "mcr.microsoft.com/windows/*"],
            skipResourceByLabels: ["trivy-operator-cdktf/skip-scan"],
          },
        },
        {
          name: "us-1",
          kubeconfigPath: "~/.kube/config",
          kubeContext: "prod-us-1",
          taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
          networkPolicy: { flavor: "cilium" },
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
          operator: {
            namespace: CI_CLUSTER.operatorNamespace,
            // A kind node is small; one scan at a time keeps the vulnerable workload schedulable.
            scanJobsConcurrentLimit: 1,
          },
        },
      ],
    },
  };
}
