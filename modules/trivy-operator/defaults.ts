import { CHART_SEVERITIES } from "../common/severity";
import type { ChartSource, ResourceRequirements } from "./options";

// Each default is documented on its option in options.ts; the failure it prevents is in docs/operator.md.

/** What `trivy.severity` accepts in chart 0.34.0, in the chart's order (modules/common/severity.ts). */
export const SEVERITIES = CHART_SEVERITIES;
/** What `targetWorkloads` accepts in chart 0.34.0. */
export const WORKLOAD_KINDS = ["pod", "replicaset", "replicationcontroller", "statefulset", "daemonset", "cronjob", "job"] as const;
/** Where the chart can come from: the Helm repository over HTTPS or the OCI registry. */
export const CHART_SOURCES = ["https", "oci"] as const;

export const DEFAULT_CHART_VERSION = "0.34.0";
export const DEFAULT_CHART_SOURCE: ChartSource = "https";
export const CHART_NAME = "trivy-operator";
export const CHART_REPOSITORIES: Readonly<Record<ChartSource, string>> = {
  https: "https://aquasecurity.github.io/helm-charts/",
  oci: "oci://ghcr.io/aquasecurity/helm-charts",
};
export const DEFAULT_NAMESPACE = "trivy-system";
export const DEFAULT_RELEASE_NAME = "trivy-operator";

/**
 * Also the node collector's: trivy-operator v0.32.0 `pkg/configauditreport/controller/node.go`
 * `reconcileNodes` gives every per-node collector Job `trivy.resources` (`GetResourceRequirements`),
 * and a collector is pinned to its node, so its request decides whether it can start at all there.
 * The limit keeps large-image scans from OOMKill; the request is what a typical scan uses, small
 * enough for a collector to fit on a busy node (a Pending one holds the single node-collector slot
 * until its `scanJobTimeout` deadline).
 */
export const DEFAULT_SCAN_JOB_RESOURCES: ResourceRequirements = {
  requests: { cpu: "100m", memory: "256M" },
  limits: { cpu: "1", memory: "1500M" },
};
export const DEFAULT_SCAN_JOBS_CONCURRENT_LIMIT = 2;
export const DEFAULT_IGNORE_UNFIXED = true;
// Every severity and every workload kind, as the chart does: narrowing them hides findings.
export const DEFAULT_SEVERITIES = SEVERITIES;
export const DEFAULT_DB_REGISTRY = "mirror.gcr.io";
export const DEFAULT_DB_REPOSITORY = "aquasec/trivy-db";
export const DEFAULT_JAVA_DB_REGISTRY = "mirror.gcr.io";
export const DEFAULT_JAVA_DB_REPOSITORY = "aquasec/trivy-java-db";
export const DEFAULT_EXCLUDE_NAMESPACES = ["kube-system", "trivy-system"] as const;
export const DEFAULT_TARGET_WORKLOADS = WORKLOAD_KINDS;
export const DEFAULT_SCANNER_REPORT_TTL = "24h";
export const DEFAULT_TRIVY_TIMEOUT = "10m0s";
export const DEFAULT_SCAN_JOB_TIMEOUT = "13m";
/**
 * What the scan Job's deadline must leave on top of `trivy.timeout`. The deadline
 * (`activeDeadlineSeconds`, trivy-operator v0.32.0 `pkg/vulnerabilityreport/builder.go`
 * `ScanJobBuilder.Get`) runs from the Job's start, so it covers scheduling and pulling the Trivy
 * image, and in Standalone mode also the DB-download init container, which gets no `TRIVY_TIMEOUT`
 * (`pkg/plugins/trivy/image.go` `GetPodSpecForImageScan`: only the scan containers get it). Each
 * pull or download moves about 100 MB: a minute on a slow or throttled link.
 */
export const MIN_SCAN_JOB_HEADROOM = { Standalone: "3m", ClientServer: "1m" } as const;
export const DEFAULT_OPERATOR_RESOURCES: ResourceRequirements = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { memory: "1Gi" },
};

/** UID of the `trivyoperator` user in the operator image (build/trivy-operator/Dockerfile: `USER 10000`). */
export const OPERATOR_UID = 10000;
/** Pod annotation carrying the hash of the values the operator reads only at start-up. */
export const CONFIG_HASH_ANNOTATION = "trivy-operator-cdktf/config-hash";
/**
 * Trivy-server pod annotation (through `operator.serverAdditionalAnnotations`) carrying the hash of
 * what the built-in Trivy server reads only at start-up; the chart's own `checksum/config` on the
 * StatefulSet is a constant.
 */
export const SERVER_CONFIG_HASH_ANNOTATION = "trivy-operator-cdktf/server-config-hash";
