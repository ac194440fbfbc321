import { describe, expect, it } from "vitest";
import { ReportAggregator } from "../../../cli/report/aggregate";
import { normalizeReport, type NormalizedReport } from "../../../cli/report/normalize";

const NOW = new Date("2024-05-01T00:00:00Z");

function vulnerabilityReport(metadata: Record<string, unknown>, kind = "VulnerabilityReport"): NormalizedReport {
  const outcome = normalizeReport(
    { kind, metadata, report: { vulnerabilities: [{ vulnerabilityID: "CVE-1", severity: "CRITICAL" }] } },
    "prod",
  );
  if (outcome.type !== "report") throw new Error(`fixture is not a report: ${outcome.type}`);
  return outcome.report;
}

function totalsOf(reports: readonly NormalizedReport[]): { added: boolean[]; critical: number; reports: number } {
  const aggregator = new ReportAggregator({ now: NOW, staleAfterMs: 86_400_000, listLimit: 50 });
  const added = reports.map((report) => aggregator.add(report));
  const summary = aggregator.result({ sources: [], warnings: [], notes: [], coverage: [] });
  return { added, critical: summary.totals.critical, reports: summary.vulnerabilityReports };
}

describe("ReportAggregator deduplication", () => {
  it("counts a report read twice (same cluster, kind, namespace and name) once, whatever its uid", () => {
    const first = vulnerabilityReport({ name: "nginx", namespace: "shop", uid: "u1" });
    // Deleted and re-created between two pages of a restarted list: new uid, same report.
    const again = vulnerabilityReport({ name: "nginx", namespace: "shop", uid: "u2" });
    expect(totalsOf([first, again])).toEqual({ added: [true, false], critical: 1, reports: 1 });
  });

  it("keeps reports that differ in namespace, name or kind", () => {
    const reports = [
      vulnerabilityReport({ name: "nginx", namespace: "shop" }),
      vulnerabilityReport({ name: "nginx", namespace: "blog" }),
      vulnerabilityReport({ name: "nginx-2", namespace: "shop" }),
      vulnerabilityReport({ name: "nginx" }, "ClusterVulnerabilityReport"),
    ];
    expect(totalsOf(reports).critical).toBe(4);
  });

  it("never merges objects without a name: by uid when they have one, else not at all", () => {
    expect(totalsOf([vulnerabilityReport({ namespace: "shop" }), vulnerabilityReport({ namespace: "shop" })]).critical).toBe(2);
    expect(
      totalsOf([vulnerabilityReport({ uid: "u1" }), vulnerabilityReport({ uid: "u1" }), vulnerabilityReport({ uid: "u2" })]).critical,
    ).toBe(2);
  });
});
