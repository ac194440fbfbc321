/** Which list of a report holds its findings. */
export type FindingFamily = "vulnerability" | "exposedSecret" | "configAudit" | "rbacAssessment" | "infraAssessment";

export interface ReportKind {
  readonly kind: string;
  /** Resource name in the API path (`/apis/aquasecurity.github.io/v1alpha1/<plural>`). */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly family: FindingFamily;
}

export const REPORT_API_GROUP = "aquasecurity.github.io";
export const REPORT_API_VERSION = "v1alpha1";

/**
 * Every CRD of trivy-operator (chart 0.34.0) whose objects carry findings. The SBOM and compliance
 * kinds are left out on purpose: an SBOM lists components, not findings, and a compliance report
 * only re-counts the checks that the kinds below already carry.
 */
export const REPORT_KINDS: readonly ReportKind[] = [
  { kind: "VulnerabilityReport", plural: "vulnerabilityreports", namespaced: true, family: "vulnerability" },
  { kind: "ClusterVulnerabilityReport", plural: "clustervulnerabilityreports", namespaced: false, family: "vulnerability" },
  { kind: "ExposedSecretReport", plural: "exposedsecretreports", namespaced: true, family: "exposedSecret" },
  { kind: "ConfigAuditReport", plural: "configauditreports", namespaced: true, family: "configAudit" },
  { kind: "ClusterConfigAuditReport", plural: "clusterconfigauditreports", namespaced: false, family: "configAudit" },
  { kind: "RbacAssessmentReport", plural: "rbacassessmentreports", namespaced: true, family: "rbacAssessment" },
  { kind: "ClusterRbacAssessmentReport", plural: "clusterrbacassessmentreports", namespaced: false, family: "rbacAssessment" },
  { kind: "InfraAssessmentReport", plural: "infraassessmentreports", namespaced: true, family: "infraAssessment" },
  { kind: "ClusterInfraAssessmentReport", plural: "clusterinfraassessmentreports", namespaced: false, family: "infraAssessment" },
];

/** Trivy kinds that are recognised but carry no findings: skipped with a note, not a warning. */
export const KINDS_WITHOUT_FINDINGS: ReadonlySet<string> = new Set([
  "SbomReport",
  "ClusterSbomReport",
  "ClusterComplianceReport",
  "ClusterComplianceDetailReport",
]);

const KIND_BY_NAME = new Map(REPORT_KINDS.map((entry) => [entry.kind, entry]));

export function findReportKind(kind: unknown): ReportKind | undefined {
  return typeof kind === "string" ? KIND_BY_NAME.get(kind) : undefined;
}

/** The kinds a finding of this family can come from: the namespaced one, or the cluster-scoped one. */
export function kindsOfFamily(family: string): readonly ReportKind[] {
  return REPORT_KINDS.filter((entry) => entry.family === family);
}
