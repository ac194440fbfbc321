import type { CHART_SOURCES, SEVERITIES, WORKLOAD_KINDS } from "./defaults";
import type { Taint } from "../tolerations/taint";

/** CPU and memory quantities in Kubernetes notation (`500m`, `1500M`, `1Gi`). */
export interface ResourceQuantities {
  /**
   * CPU in cores or millicores (`"500m"`, `"1"`).
   * @default - the chart's value for this key, if any (Helm merges maps key by key)
   */
  readonly cpu?: string;
  /**
   * Memory in bytes with a suffix (`"1500M"`, `"1Gi"`).
   * @default - the chart's value for this key, if any (Helm merges maps key by key)
   */
  readonly memory?: string;
}

/**
 * A container's resource requests and limits. Giving this object replaces the module's default
 * for the container as a whole; keys left out still get the chart's own default, because Helm
 * merges value maps key by key.
 */
export interface ResourceRequirements {
  /**
   * What the scheduler reserves.
   * @default - the chart's requests, if any
   */
  readonly requests?: ResourceQuantities;
  /**
   * What the container may use before it is throttled (CPU) or OOM-killed (memory).
   * @default - the chart's limits, if any
   */
  readonly limits?: ResourceQuantities;
}

/** Where the chart comes from. */
export type ChartSource = (typeof CHART_SOURCES)[number];

/**
 * What a platform engineer tunes on Trivy Operator. Names follow the chart's vocabulary
 * (`deploy/helm/values.yaml` of trivy-operator); every default is chosen for production and
 * explained by the failure it prevents (see README "Why these defaults").
 */
export interface TrivyOperatorOptions {
  /**
   * Chart version, pinned. Every value path this module sends is checked against this version's
   * value paths at synth time.
   * @default "0.34.0"
   */
  readonly chartVersion?: string;
  /**
   * `https` = `https://aquasecurity.github.io/helm-charts/`; `oci` = `oci://ghcr.io/aquasecurity/helm-charts`.
   * @default "https"
   */
  readonly chartSource?: ChartSource;
  /**
   * Namespace the operator runs in; the module creates it with Pod Security labels.
   * @default "trivy-system"
   */
  readonly namespace?: string;
  /**
   * Helm release name; also the `app.kubernetes.io/instance` label the network policies select on.
   * @default "trivy-operator"
   */
  readonly releaseName?: string;

  /**
   * Requests and limits of every scan-job container (`trivy.resources`) and, because the operator
   * reuses them, of every per-node node-collector Job (trivy-operator `node.go`
   * `GetResourceRequirements`). The chart's 500M limit OOMKills scans of large images; the field
   * report (docs/field-report.md §3) needed 1500M. The request stays at a typical scan's footprint
   * so that a collector, pinned to its node, still schedules on a busy node; the price is up to
   * limit minus request of overcommit per running scan (2 at once by default), see docs/operator.md.
   * @default { requests: { cpu: "100m", memory: "256M" }, limits: { cpu: "1", memory: "1500M" } }
   */
  readonly scanJobResources?: ResourceRequirements;
  /**
   * How many scan jobs run at once (`operator.scanJobsConcurrentLimit`). The chart's 10 exhausted
   * node memory in the field report (docs/field-report.md §4); 2 worked.
   * @default 2
   */
  readonly scanJobsConcurrentLimit?: number;
  /**
   * Report only vulnerabilities that have a fix (`trivy.ignoreUnfixed`).
   * @default true
   */
  readonly ignoreUnfixed?: boolean;
  /**
   * Severities to report (`trivy.severity`).
   * @default ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
   */
  readonly severities?: ReadonlyArray<(typeof SEVERITIES)[number]>;

  /**
   * Registry of the vulnerability DB (`trivy.dbRegistry`); point it at a mirror to avoid
   * TOOMANYREQUESTS from ghcr.io.
   * @default "mirror.gcr.io"
   */
  readonly dbRegistry?: string;
  /**
   * Repository of the vulnerability DB in `dbRegistry` (`trivy.dbRepository`), without tag.
   * @default "aquasec/trivy-db"
   */
  readonly dbRepository?: string;
  /**
   * Pull the DB over plain HTTP or with an unverified certificate (`trivy.dbRepositoryInsecure`,
   * which the chart takes as the string "true"/"false"). Only for an in-cluster mirror.
   * @default false
   */
  readonly dbRepositoryInsecure?: boolean;
  /**
   * Registry of the Java index DB (`trivy.javaDbRegistry`), downloaded when a scan finds JARs.
   * @default "mirror.gcr.io"
   */
  readonly javaDbRegistry?: string;
  /**
   * Repository of the Java index DB in `javaDbRegistry` (`trivy.javaDbRepository`), without tag.
   * @default "aquasec/trivy-java-db"
   */
  readonly javaDbRepository?: string;

  /**
   * Run the chart's built-in Trivy server (`operator.builtInTrivyServer`, ClientServer mode): the
   * DB is downloaded once by the server instead of once per scan job.
   * @default false
   */
  readonly builtInTrivyServer?: boolean;

  /**
   * Namespaces to scan (`targetNamespaces`, sent as a comma-separated string).
   * @default - all namespaces
   */
  readonly targetNamespaces?: readonly string[];
  /**
   * Namespace globs to skip (`excludeNamespaces`); only honoured when scanning all namespaces.
   * @default ["kube-system", "trivy-system"] - plus the operator namespace
   */
  readonly excludeNamespaces?: readonly string[];
  /**
   * Workload kinds to scan (`targetWorkloads`), lower case.
   * @default ["pod", "replicaset", "replicationcontroller", "statefulset", "daemonset", "cronjob", "job"]
   */
  readonly targetWorkloads?: ReadonlyArray<(typeof WORKLOAD_KINDS)[number]>;
  /**
   * Image globs never scanned (`trivyOperator.excludeImages`), e.g. Windows images Trivy cannot scan.
   * Matched per container with Go's `filepath.Match` against the image as written in the pod spec:
   * `*` never crosses `/`, so `mcr.microsoft.com/windows/*` misses `…/windows/servercore/iis`
   * (add one more `/*` per deeper level). A workload with only some containers excluded never gets a complete set
   * of reports and is rescanned on every reconcile (see docs/operator.md).
   * @default - none
   */
  readonly excludeImages?: readonly string[];
  /**
   * Label keys that exempt a workload from scanning (`trivyOperator.skipResourceByLabels`).
   * @default - none
   */
  readonly skipResourceByLabels?: readonly string[];

  /**
   * How long a report lives before the workload is rescanned (`operator.scannerReportTTL`).
   * @default "24h"
   */
  readonly scannerReportTTL?: string;
  /**
   * Trivy's own timeout inside a scan job (`trivy.timeout`).
   * @default "10m0s"
   */
  readonly trivyTimeout?: string;
  /**
   * The scan Job's deadline (`operator.scanJobTimeout`), which also bounds the node collector. It
   * runs from the Job's start, so it covers scheduling, the Trivy image pull and, in Standalone mode,
   * the DB-download init container (which gets no `TRIVY_TIMEOUT`) before Trivy's own timeout starts:
   * it must be at least `trivyTimeout` + 3m in Standalone mode, + 1m in ClientServer mode.
   * @default "13m"
   */
  readonly scanJobTimeout?: string;

  /**
   * Requests and limits of the operator pod (`resources`); the chart sets none and the operator
   * caches every report.
   * @default { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } }
   */
  readonly operatorResources?: ResourceRequirements;

  /**
   * Run infra assessment (`operator.infraAssessmentScannerEnabled`), i.e. the node collector that
   * reads node files for CIS checks. It needs hostPID and hostPath, so the namespace then enforces
   * the `privileged` Pod Security level instead of `restricted`.
   * @default true
   */
  readonly infraAssessment?: boolean;

  /**
   * Existing image-pull Secrets the scan jobs may use, per namespace
   * (`operator.privateRegistryScanSecretsNames`). Names only; credentials never pass through here.
   * @default - none
   */
  readonly privateRegistryScanSecretsNames?: Readonly<Record<string, readonly string[]>>;

  /**
   * Taints of the cluster's nodes; tolerated by the operator, scan jobs, node collector and Trivy server.
   * @default - none
   */
  readonly taints?: readonly Taint[];

  /**
   * Any other chart value, deep-merged last. Paths are checked against the pinned chart.
   * @default - none
   */
  readonly extraValues?: Readonly<Record<string, unknown>>;
}
