import type { Taint } from "../modules";

/**
 * The kind cluster of the integration tier and the `ci` environment describe the same cluster:
 * the harness creates a worker with this taint and the `ci` stack tolerates it. One definition
 * keeps them from drifting apart.
 */
export const CI_CLUSTER = {
  /** Name of the cluster inside the `ci` environment (not the kind cluster name, which is unique per run). */
  name: "kind",
  /** The taint of the dedicated worker pool, like the "untolerated taint" of docs/field-report.md §5. */
  workerTaint: { key: "dedicated", value: "security-scans", effect: "NoSchedule" } satisfies Taint,
  /** Node label of the tainted worker, used to pin the vulnerable workload onto it. */
  workerLabel: { key: "pool", value: "dedicated" },
  /** Namespace the operator is installed into by the `ci` stack. */
  operatorNamespace: "trivy-system",
  /**
   * Label key of the test's helper pods (network probe client and target): the `ci` stack skips
   * resources carrying it (`operator.skipResourceByLabels`), so only the workload under test costs
   * a scan job.
   */
  skipScanLabel: "trivy-operator-cdktf/skip-scan",
  /**
   * Namespaces of a kind cluster the test does not need scanned: kind's storage provisioner runs in
   * `local-path-storage` (kind pkg/build/nodeimage/const_storage.go), `kube-system` holds the rest.
   */
  kindSystemNamespaces: ["kube-system", "local-path-storage"],
} as const;
