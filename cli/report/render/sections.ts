import { SEVERITIES, sumCounts, type SeverityCounts } from "../../common/severity";
import { terminalText } from "../../common/terminal";
import { CHECK_FAMILIES, type CheckFamily, type GroupRow, type ReportSummary } from "../summary";

/** A titled table: the shape every human format (table, markdown, html) renders. */
export interface Section {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Shown under the table, e.g. "12 more not shown". */
  readonly note?: string;
}

const CHECK_FAMILY_TITLES: Record<CheckFamily, string> = {
  configAudit: "Failed config-audit checks",
  rbacAssessment: "Failed RBAC checks",
  infraAssessment: "Failed infra-assessment checks",
};

const SEVERITY_HEADERS = ["Critical", "High", "Medium", "Low", "Unknown"];

function severityCells(counts: SeverityCounts): string[] {
  return SEVERITIES.map((severity) => String(counts[severity]));
}

function more(total: number, shown: number): string | undefined {
  return total > shown ? `${total - shown} more not shown (--top, or --format json for all)` : undefined;
}

function groupSection(
  title: string,
  identity: readonly string[],
  rows: readonly GroupRow[],
  top: number,
  cells: (row: GroupRow) => string[],
): Section {
  const shown = rows.slice(0, top);
  return {
    title,
    headers: [...identity, ...SEVERITY_HEADERS, "Fixable", "Secrets", "Failed checks"],
    rows: shown.map((row) => [
      ...cells(row),
      ...severityCells(row.vulnerabilities),
      String(row.fixable),
      String(row.exposedSecrets),
      String(row.failedChecks),
    ]),
    note: more(rows.length, shown.length),
  };
}

/** Pure: the human-readable report as a list of tables, `top` rows per long table; report text is stripped of control characters. */
export function buildSections(summary: ReportSummary, top: number): Section[] {
  return rawSections(summary, top).map((section) => ({
    title: terminalText(section.title),
    headers: section.headers,
    rows: section.rows.map((row) => row.map(terminalText)),
    ...(section.note === undefined ? {} : { note: terminalText(section.note) }),
  }));
}

/** `2 VulnerabilityReport(s) and 1 ClusterVulnerabilityReport(s)`: every kind the totals were counted from. */
function vulnerabilityReportsRead(summary: ReportSummary): string {
  const cluster = summary.reportsByKind["ClusterVulnerabilityReport"] ?? 0;
  return `${summary.vulnerabilityReports} VulnerabilityReport(s)${cluster > 0 ? ` and ${cluster} ClusterVulnerabilityReport(s)` : ""}`;
}

function rawSections(summary: ReportSummary, top: number): Section[] {
  const sections: Section[] = [];
  const { vulnerabilities } = summary;
  sections.push({
    title: "Vulnerabilities by severity",
    headers: ["", ...SEVERITY_HEADERS, "Total"],
    rows: [
      ["All", ...severityCells(summary.totals), String(sumCounts(summary.totals))],
      ["Fixable", ...severityCells(vulnerabilities.fixable), String(sumCounts(vulnerabilities.fixable))],
      ["Unfixed", ...severityCells(vulnerabilities.unfixed), String(sumCounts(vulnerabilities.unfixed))],
    ],
    note: `${vulnerabilityReportsRead(summary)}, ${vulnerabilities.distinctIds} distinct vulnerability ID(s); counted from the findings lists`,
  });
  sections.push({
    title: "Reports read",
    headers: ["Kind", "Reports"],
    rows: Object.entries(summary.reportsByKind).map(([kind, count]) => [kind, String(count)]),
  });
  sections.push(groupSection("By cluster", ["Cluster"], summary.byCluster, top, (row) => [row.cluster]));
  sections.push(
    groupSection("By namespace", ["Cluster", "Namespace"], summary.byNamespace, top, (row) => [
      row.cluster,
      row.namespace || "(cluster-scoped)",
    ]),
  );
  sections.push(
    groupSection("By workload", ["Cluster", "Namespace", "Workload"], summary.byWorkload, top, (row) => [
      row.cluster,
      row.namespace || "(cluster-scoped)",
      row.workload ?? "",
    ]),
  );
  const images = summary.byImage.slice(0, top);
  sections.push({
    title: "By image (each vulnerability once per image)",
    headers: ["Image", "Clusters", "Workloads", "Containers", ...SEVERITY_HEADERS, "Fixable"],
    rows: images.map((row) => [
      row.image,
      String(row.clusters.length),
      String(row.workloads),
      String(row.containers),
      ...severityCells(row.vulnerabilities),
      String(row.fixable),
    ]),
    note: [
      more(summary.byImage.length, images.length),
      "Workloads = distinct workloads; Containers = scanned containers (one VulnerabilityReport each)",
    ]
      .filter(Boolean)
      .join("; "),
  });
  const topVulnerabilities = summary.topVulnerabilities.slice(0, top);
  sections.push({
    title: "Top vulnerabilities by affected images",
    headers: ["ID", "Severity", "Images", "Workloads", "Fix available", "Title"],
    rows: topVulnerabilities.map((row) => [
      row.id,
      row.severity.toUpperCase(),
      String(row.affectedImages),
      String(row.affectedWorkloads),
      row.fixable ? "yes" : "no",
      truncate(row.title, 60),
    ]),
    note: more(summary.vulnerabilities.distinctIds, topVulnerabilities.length),
  });
  const secrets = summary.exposedSecrets.items.slice(0, top);
  sections.push({
    title: `Exposed secrets (${sumCounts(summary.exposedSecrets.totals)})`,
    headers: ["Severity", "Cluster", "Namespace", "Workload", "Container", "Rule", "Target"],
    rows: secrets.map((row) => [
      row.severity.toUpperCase(),
      row.cluster,
      row.namespace,
      row.workload,
      row.container,
      row.ruleId,
      row.target,
    ]),
    note: more(summary.exposedSecrets.items.length, secrets.length),
  });
  for (const family of CHECK_FAMILIES) {
    const checks = summary.failedChecks[family];
    sections.push({
      title: `${CHECK_FAMILY_TITLES[family]} (${sumCounts(checks.failed)} in ${checks.reports} report(s))`,
      headers: ["Check", "Severity", "Failed resources", "Title"],
      rows: checks.topChecks
        .slice(0, top)
        .map((row) => [row.id, row.severity.toUpperCase(), String(row.failedResources), truncate(row.title, 70)]),
      note: `by severity: ${SEVERITIES.filter((severity) => severity !== "unknown")
        .map((severity) => `${severity} ${checks.failed[severity]}`)
        .join(", ")}`,
    });
  }
  const stale = summary.staleReports;
  sections.push({
    title: `Stale reports (older than ${summary.staleAfter}): ${stale.count}`,
    headers: ["Cluster", "Kind", "Namespace", "Name", "Updated", "Age (h)"],
    rows: stale.items.slice(0, top).map((row) => [row.cluster, row.kind, row.namespace, row.name, row.timestamp, String(row.ageHours)]),
    note:
      [
        more(stale.count, Math.min(top, stale.items.length)),
        stale.withoutTimestamp > 0 ? `${stale.withoutTimestamp} report(s) carry no timestamp and cannot be judged` : undefined,
      ]
        .filter(Boolean)
        .join("; ") || undefined,
  });
  const mismatches = summary.summaryMismatches;
  if (mismatches.count > 0) {
    sections.push({
      title: `Reports whose summary disagrees with their findings: ${mismatches.count} (findings are counted)`,
      headers: ["Cluster", "Kind", "Namespace", "Name", "Summary C/H/M/L/U", "Findings C/H/M/L/U"],
      rows: mismatches.items
        .slice(0, top)
        .map((row) => [row.cluster, row.kind, row.namespace, row.name, slashCounts(row.summary), slashCounts(row.findings)]),
      note: more(mismatches.count, Math.min(top, mismatches.items.length)),
    });
  }
  if (summary.baseline) {
    const { baseline } = summary;
    sections.push({
      title: `Since baseline ${baseline.file}${baseline.generatedAt ? ` (${baseline.generatedAt})` : ""}`,
      headers: ["", ...SEVERITY_HEADERS, "Total"],
      rows: [
        ["New", ...severityCells(baseline.newFindings), String(sumCounts(baseline.newFindings))],
        ["Resolved", ...severityCells(baseline.resolvedFindings), String(sumCounts(baseline.resolvedFindings))],
        ["Not compared", ...severityCells(baseline.notCompared), String(sumCounts(baseline.notCompared))],
      ],
      note: `compared only where both runs read the list completely; not compared = baseline findings whose list this run did not read completely${sumCounts(baseline.outsideBaseline) > 0 ? `; ${sumCounts(baseline.outsideBaseline)} finding(s) of this run are outside what the baseline read and are not counted as new` : ""}`,
    });
    const findingList = (title: string, items: typeof baseline.newItems, total: SeverityCounts): Section => ({
      title,
      headers: ["Severity", "Finding"],
      rows: items.slice(0, top).map((item) => [item.severity.toUpperCase(), item.text]),
      note: more(sumCounts(total), Math.min(top, items.length)),
    });
    sections.push(findingList("New findings (worst first)", baseline.newItems, baseline.newFindings));
    sections.push(findingList("Resolved findings", baseline.resolvedItems, baseline.resolvedFindings));
    if (sumCounts(baseline.notCompared) > 0)
      sections.push(
        findingList("Not compared (their list was not read completely in this run)", baseline.notComparedItems, baseline.notCompared),
      );
  }
  sections.push({
    title: "Sources",
    headers: ["Source", "Cluster", "Reports", "Warnings"],
    rows: summary.sources.map((row) => [row.source, row.cluster, String(row.reports), String(row.warnings)]),
  });
  return sections;
}

function slashCounts(counts: SeverityCounts): string {
  return SEVERITIES.map((severity) => counts[severity]).join("/");
}

export function truncate(text: string, length: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > length ? `${oneLine.slice(0, length - 1)}…` : oneLine;
}
