import type { Taint } from "../modules/tolerations/taint";

/**
 * The kind cluster of the integration tier and the `ci` environment describe the same cluster:
 * the harness creates a worker with this taint and the `ci` stack tolerates it. One definition
 * keeps them from drifting apart.
 */
export const CI_CLUSTER = {
  /** Name of the cluster inside the `ci` environment (not the kind cluster name, which is unique per run). */
  name: "kind",
  /** The taint of the dedicated worker pool, like the field report's "untolerated taint". */
  workerTaint: { key: "dedicated", value: "security-scans", effect: "NoSchedule" } satisfies Taint,
  /** Node label of the tainted worker, used to pin the vulnerable workload onto it. */
  workerLabel: { key: "pool", value: "dedicated" },
  /** Namespace the operator is installed into by the `ci` stack. */
  operatorNamespace: "trivy-system",
} as const;
