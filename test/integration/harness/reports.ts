/**
 * Which Trivy Operator reports prove the stack works, and how to recognise them. Reports are found
 * by the labels the operator puts on them (`trivy-operator.resource.*`, constants in its
 * pkg/trivyoperator/constants.go), never by name: names are derived and change between versions.
 */

export const REPORT_API_GROUP = "aquasecurity.github.io";
export const REPORT_API_VERSION = "v1alpha1";

export const RESOURCE_KIND_LABEL = "trivy-operator.resource.kind";
export const RESOURCE_NAME_LABEL = "trivy-operator.resource.name";
export const RESOURCE_NAMESPACE_LABEL = "trivy-operator.resource.namespace";

export type ReportPlural = "configauditreports" | "vulnerabilityreports" | "clusterinfraassessmentreports";

/** Every report kind the operator writes; all of them are saved as artifacts on failure. */
export const ALL_REPORT_PLURALS = [
  "vulnerabilityreports",
  "configauditreports",
  "exposedsecretreports",
  "sbomreports",
  "rbacassessmentreports",
  "infraassessmentreports",
  "clustervulnerabilityreports",
  "clusterconfigauditreports",
  "clusterrbacassessmentreports",
  "clustersbomreports",
  "clusterinfraassessmentreports",
  "clustercompliancereports",
] as const;

/** The fields of a report object the harness reads; everything else is ignored. */
export interface ReportObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly report?: {
    readonly summary?: Readonly<Record<string, number | undefined>>;
  };
}

/** The Kubernetes object a report is about. */
export interface ReportedResource {
  readonly kind: string;
  readonly name: string;
  /** Absent for cluster-scoped resources such as Nodes. */
  readonly namespace?: string;
}

/** One report the scenario waits for. */
export interface ReportExpectation {
  /** Shown in progress output and timeouts, e.g. "VulnerabilityReport of Pod trivy-e2e/vulnerable-nginx". */
  readonly description: string;
  readonly plural: ReportPlural;
  /** Namespace to list in; undefined for cluster-scoped reports. */
  readonly namespace?: string;
  readonly resource: ReportedResource;
  /** The condition beyond existence, in words, for the timeout message. */
  readonly conditionDescription: string;
  readonly condition: (report: ReportObject) => boolean;
}

/** `kubectl -l` / client-node `labelSelector` selecting the reports of one resource. */
export function labelSelectorFor(resource: ReportedResource): string {
  const selectors = [`${RESOURCE_KIND_LABEL}=${resource.kind}`, `${RESOURCE_NAME_LABEL}=${resource.name}`];
  if (resource.namespace !== undefined) {
    selectors.push(`${RESOURCE_NAMESPACE_LABEL}=${resource.namespace}`);
  }
  return selectors.join(",");
}

/** Whether a report is about the resource, judged by its labels (also used on unfiltered lists). */
export function isReportOf(report: ReportObject, resource: ReportedResource): boolean {
  const labels = report.metadata?.labels ?? {};
  return (
    labels[RESOURCE_KIND_LABEL] === resource.kind &&
    labels[RESOURCE_NAME_LABEL] === resource.name &&
    (resource.namespace === undefined || labels[RESOURCE_NAMESPACE_LABEL] === resource.namespace)
  );
}

export function summaryCount(report: ReportObject, field: string): number | undefined {
  const value = report.report?.summary?.[field];
  return typeof value === "number" ? value : undefined;
}

/** A one-line description of a report for progress and timeout output. */
export function describeReport(report: ReportObject): string {
  const where = report.metadata?.namespace ? `${report.metadata.namespace}/` : "";
  const summary = report.report?.summary;
  const counts = summary
    ? Object.entries(summary)
        .filter(([, value]) => typeof value === "number")
        .map(([key, value]) => `${key.replace(/Count$/, "")}=${value}`)
        .join(" ")
    : "no summary";
  return `${where}${report.metadata?.name ?? "<unnamed>"} (${counts})`;
}

export type ReportMatch = { readonly found: true; readonly report: ReportObject } | { readonly found: false; readonly seen: string };

/** Picks the report that meets the expectation, or says what was seen instead. */
export function matchReport(reports: readonly ReportObject[], expectation: ReportExpectation): ReportMatch {
  const ofResource = reports.filter((report) => isReportOf(report, expectation.resource));
  const satisfying = ofResource.find(expectation.condition);
  if (satisfying) {
    return { found: true, report: satisfying };
  }
  if (ofResource.length === 0) {
    const others =
      reports.length === 0
        ? "no reports at all"
        : `${reports.length} report(s) of other resources: ${reports.slice(0, 5).map(describeReport).join("; ")}`;
    return { found: false, seen: `no report of ${describeResource(expectation.resource)} yet (${others})` };
  }
  return {
    found: false,
    seen: `report(s) exist but not yet ${expectation.conditionDescription}: ${ofResource.map(describeReport).join("; ")}`,
  };
}

export function describeResource(resource: ReportedResource): string {
  return `${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ""}${resource.name}`;
}

/** The three reports that prove the `ci` stack works on a tainted dedicated worker. */
export function scenarioExpectations(params: {
  readonly workloadNamespace: string;
  readonly workloadPodName: string;
  readonly workerNodeName: string;
}): readonly ReportExpectation[] {
  const pod: ReportedResource = { kind: "Pod", name: params.workloadPodName, namespace: params.workloadNamespace };
  const node: ReportedResource = { kind: "Node", name: params.workerNodeName };
  return [
    {
      // Works without network: the chart embeds its Rego checks (useEmbeddedRegoPolicies).
      description: `ConfigAuditReport of ${describeResource(pod)}`,
      plural: "configauditreports",
      namespace: params.workloadNamespace,
      resource: pod,
      conditionDescription: "with a summary",
      condition: (report) => report.report?.summary !== undefined,
    },
    {
      // Needs the trivy-db download through the network policies, and a scan job on the tainted worker.
      description: `VulnerabilityReport of ${describeResource(pod)} with critical findings`,
      plural: "vulnerabilityreports",
      namespace: params.workloadNamespace,
      resource: pod,
      conditionDescription: "with report.summary.criticalCount > 0",
      condition: (report) => (summaryCount(report, "criticalCount") ?? 0) > 0,
    },
    {
      // Written from node-collector output; node-collector only runs on the worker if it tolerates the taint.
      description: `ClusterInfraAssessmentReport of ${describeResource(node)} (node-collector tolerates the taint)`,
      plural: "clusterinfraassessmentreports",
      resource: node,
      conditionDescription: "with a summary",
      condition: (report) => report.report?.summary !== undefined,
    },
  ];
}

/** `kubectl get -o json` of a list: `{ "items": [...] }`. */
export function parseReportList(json: string): ReportObject[] {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { items?: unknown }).items)) {
    throw new Error("expected a Kubernetes list with an `items` array");
  }
  return (parsed as { items: ReportObject[] }).items;
}
