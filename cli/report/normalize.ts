import { asArray, asNumber, asRecord, asString, getPath } from "../common/json-access";
import { emptySeverityCounts, parseSeverity, type Severity, type SeverityCounts } from "../common/severity";
import { findReportKind, KINDS_WITHOUT_FINDINGS, type FindingFamily } from "./kinds";

export interface ReportRef {
  readonly cluster: string;
  readonly kind: string;
  /** "" for cluster-scoped kinds. */
  readonly namespace: string;
  readonly name: string;
}

export interface VulnerabilityFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly packageName: string;
  readonly installedVersion: string;
  readonly fixedVersion: string;
  readonly score: number | undefined;
}

export interface SecretFinding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly title: string;
  readonly category: string;
  readonly target: string;
}

export interface CheckFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
}

/** One report object reduced to what the aggregation needs; built per object and dropped after use. */
export interface NormalizedReport {
  readonly ref: ReportRef;
  /**
   * What makes two objects the same report: cluster, kind, namespace and name (unique in a cluster),
   * else the uid; undefined when the object has neither, so unnamed objects are never merged.
   */
  readonly identity: string | undefined;
  readonly family: FindingFamily;
  /** `ReplicaSet/nginx-6d4cf56db6`, from the `trivy-operator.resource.*` labels (falls back to the report name). */
  readonly workload: string;
  readonly container: string;
  /** `index.docker.io/library/nginx:1.16`; "" for reports without an artifact (config audits). */
  readonly image: string;
  /** Report time: `report.updateTimestamp`, else `metadata.creationTimestamp`. */
  readonly timestamp: string | undefined;
  /** `metadata.resourceVersion`: breaks a tie between two copies with the same timestamp. */
  readonly resourceVersion: string | undefined;
  readonly vulnerabilities: readonly VulnerabilityFinding[];
  readonly secrets: readonly SecretFinding[];
  /** Only checks with `success: false`; passed checks are not findings. */
  readonly failedChecks: readonly CheckFinding[];
  /** The report's own `summary` counts, when present; compared with the findings, which win. */
  readonly summary: SeverityCounts | undefined;
}

export type NormalizeOutcome =
  | { readonly type: "report"; readonly report: NormalizedReport }
  /** A Trivy kind without findings (SBOM, compliance): skipped with a note. */
  | { readonly type: "no-findings-kind"; readonly kind: string }
  /** Not a Trivy report at all (ConfigMap, Pod, …) or unusable: skipped with a warning. */
  | { readonly type: "rejected"; readonly kind: string; readonly reason: string };

/** Turns one decoded object into a report, or says why it was skipped. Pure; never throws. */
export function normalizeReport(object: unknown, cluster: string): NormalizeOutcome {
  const record = asRecord(object);
  if (!record) return { type: "rejected", kind: "(not an object)", reason: "not a Kubernetes object" };
  const kind = asString(record["kind"]) ?? "";
  const reportKind = findReportKind(kind);
  if (!reportKind) {
    if (KINDS_WITHOUT_FINDINGS.has(kind)) return { type: "no-findings-kind", kind };
    return { type: "rejected", kind: kind || "(no kind)", reason: kind ? "not a Trivy Operator report kind" : "object has no kind" };
  }
  const metadataName = asString(getPath(record, "metadata", "name"));
  const name = metadataName ?? "(unnamed)";
  const namespace = asString(getPath(record, "metadata", "namespace")) ?? "";
  const uid = asString(getPath(record, "metadata", "uid"));
  const body = asRecord(record["report"]);
  if (!body) return { type: "rejected", kind, reason: `${kind} "${name}" has no .report` };

  const labels = asRecord(getPath(record, "metadata", "labels")) ?? {};
  const resourceKind = asString(labels["trivy-operator.resource.kind"]);
  const resourceName =
    asString(labels["trivy-operator.resource.name"]) ??
    asString(getPath(record, "metadata", "annotations", "trivy-operator.resource.name"));
  return {
    type: "report",
    report: {
      ref: { cluster, kind, namespace, name },
      identity: metadataName
        ? [cluster, kind, namespace, metadataName].join("\0")
        : uid
          ? [cluster, kind, "uid", uid].join("\0")
          : undefined,
      family: reportKind.family,
      workload: resourceKind && resourceName ? `${resourceKind}/${resourceName}` : `${kind}/${name}`,
      container: asString(labels["trivy-operator.container.name"]) ?? "",
      image: imageReference(body),
      timestamp: asString(body["updateTimestamp"]) ?? asString(getPath(record, "metadata", "creationTimestamp")),
      resourceVersion: asString(getPath(record, "metadata", "resourceVersion")),
      vulnerabilities: reportKind.family === "vulnerability" ? asArray(body["vulnerabilities"]).map(toVulnerability) : [],
      secrets: reportKind.family === "exposedSecret" ? asArray(body["secrets"]).map(toSecret) : [],
      failedChecks: isCheckFamily(reportKind.family) ? failedChecks(body["checks"]) : [],
      summary: summaryCounts(body["summary"]),
    },
  };
}

function isCheckFamily(family: FindingFamily): boolean {
  return family === "configAudit" || family === "rbacAssessment" || family === "infraAssessment";
}

/** `registry.server` + `artifact.repository` + `:tag` (or `@digest` when there is no tag). */
export function imageReference(body: Record<string, unknown>): string {
  const repository = asString(getPath(body, "artifact", "repository"));
  if (!repository) return "";
  const server = asString(getPath(body, "registry", "server"));
  const tag = asString(getPath(body, "artifact", "tag"));
  const digest = asString(getPath(body, "artifact", "digest"));
  const suffix = tag ? `:${tag}` : digest ? `@${digest}` : "";
  return `${server ? `${server}/` : ""}${repository}${suffix}`;
}

function toVulnerability(value: unknown): VulnerabilityFinding {
  const entry = asRecord(value) ?? {};
  return {
    id: asString(entry["vulnerabilityID"]) ?? "(no id)",
    severity: parseSeverity(entry["severity"]),
    title: asString(entry["title"]) ?? "",
    packageName: asString(entry["resource"]) ?? "",
    installedVersion: asString(entry["installedVersion"]) ?? "",
    fixedVersion: asString(entry["fixedVersion"]) ?? "",
    score: asNumber(entry["score"]),
  };
}

function toSecret(value: unknown): SecretFinding {
  const entry = asRecord(value) ?? {};
  return {
    ruleId: asString(entry["ruleID"]) ?? "(no rule)",
    severity: parseSeverity(entry["severity"]),
    title: asString(entry["title"]) ?? "",
    category: asString(entry["category"]) ?? "",
    target: asString(entry["target"]) ?? "",
  };
}

function failedChecks(value: unknown): CheckFinding[] {
  const failed: CheckFinding[] = [];
  for (const item of asArray(value)) {
    const entry = asRecord(item);
    // A check without `success` counts as failed: hiding a possible finding is worse than a false alarm.
    if (!entry || entry["success"] === true) continue;
    failed.push({
      id: asString(entry["checkID"]) ?? asString(entry["id"]) ?? "(no id)",
      severity: parseSeverity(entry["severity"]),
      title: asString(entry["title"]) ?? asString(asArray(entry["messages"])[0]) ?? "",
    });
  }
  return failed;
}

function summaryCounts(value: unknown): SeverityCounts | undefined {
  const summary = asRecord(value);
  if (!summary) return undefined;
  const counts = emptySeverityCounts();
  counts.critical = asNumber(summary["criticalCount"]) ?? 0;
  counts.high = asNumber(summary["highCount"]) ?? 0;
  counts.medium = asNumber(summary["mediumCount"]) ?? 0;
  counts.low = asNumber(summary["lowCount"]) ?? 0;
  counts.unknown = asNumber(summary["unknownCount"]) ?? 0;
  return counts;
}

/** Counts the findings of a report by severity (vulnerabilities, secrets or failed checks). */
export function countFindings(report: NormalizedReport): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const finding of report.vulnerabilities) counts[finding.severity] += 1;
  for (const finding of report.secrets) counts[finding.severity] += 1;
  for (const finding of report.failedChecks) counts[finding.severity] += 1;
  return counts;
}
