import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ExitCode, UserError } from "../../../cli/io";
import { runReportCommand } from "../../../cli/report/command";
import type { ReportSummary } from "../../../cli/report/summary";
import { captureIo, REPORT_FIXTURE_FILES } from "./helpers";

const FIXTURES = resolve(__dirname, "../../fixtures/reports");
const fixture = (name: string): string => join(FIXTURES, name);
const NOW = "2024-05-01T00:00:00Z";

const REPORT_FILES = [...REPORT_FIXTURE_FILES];

async function runJson(args: string[], stdin?: string): Promise<{ code: number; summary: ReportSummary | undefined; stderr: string }> {
  const captured = captureIo(stdin);
  const code = await runReportCommand([...args, "--format", "json", "--now", NOW], captured.io);
  const text = captured.stdout();
  return { code, summary: text ? (JSON.parse(text) as ReportSummary) : undefined, stderr: captured.stderr() };
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "report-test-"));
});

describe("report totals on the real fixture reports", () => {
  it("match a hand count of the findings lists", async () => {
    // Hand count (severity lines under `vulnerabilities:` in each file):
    //   vulnerabilityreport.replicaset-nginx.yaml      CVE-2019-20367 CRITICAL (fixed 0.9.1-2+deb10u1), CVE-2018-25009 CRITICAL (no fix) → C 2
    //   vulnerabilityreport.vulnerability-ttl.yaml     CVE-2021-3121 HIGH (fixed 1.3.2)                                           → H 1
    //     (its summary claims high 12 / medium 6 / unknown 9: the findings list wins)
    //   clustervulnerabilityreport.k8s-cluster.yaml    15 entries: HIGH ×4, MEDIUM ×9, LOW ×2, all with a fixedVersion         → H 4, M 9, L 2
    //   total: critical 2, high 5, medium 9, low 2, unknown 0 (18); fixable 1 + 1 + 15 = 17, unfixed 1.
    const { code, summary } = await runJson(REPORT_FILES);
    expect(code).toBe(ExitCode.OK);
    expect(summary?.totals).toEqual({ critical: 2, high: 5, medium: 9, low: 2, unknown: 0 });
    expect(summary?.vulnerabilityReports).toBe(2);
    expect(summary?.reportsByKind["ClusterVulnerabilityReport"]).toBe(1);
    expect(summary?.vulnerabilities.fixable).toEqual({ critical: 1, high: 5, medium: 9, low: 2, unknown: 0 });
    expect(summary?.vulnerabilities.unfixed).toEqual({ critical: 1, high: 0, medium: 0, low: 0, unknown: 0 });

    // Secrets: 2 HIGH stripe-access-token in exposedsecretreport.replicaset-app.yaml.
    expect(summary?.exposedSecrets.totals.high).toBe(2);
    expect(summary?.exposedSecrets.items).toHaveLength(2);
    // Failed config-audit checks: replicaset-nginx has success:false on notReadOnlyRootFilesystem (LOW) and
    // privilegeEscalationAllowed (CRITICAL); pod-configauditreport-expected has 13 checks, all success:false.
    expect(summary?.failedChecks.configAudit.reports).toBe(2);
    expect(summary?.failedChecks.configAudit.failed.critical).toBe(1);
    expect(Object.values(summary?.failedChecks.configAudit.failed ?? {}).reduce((a, b) => a + b, 0)).toBe(2 + 13);
    // RBAC: one success:false per file (KSV041 CRITICAL in role-868458b9d6, KSV113 MEDIUM in the expected fixture).
    expect(summary?.failedChecks.rbacAssessment.failed).toMatchObject({ critical: 1, medium: 1 });
    // Infra: 11 of 43 checks have success:false.
    expect(Object.values(summary?.failedChecks.infraAssessment.failed ?? {}).reduce((a, b) => a + b, 0)).toBe(11);
  });

  it("counts reports whose summary disagrees with their findings, and ignores those summaries", async () => {
    const { summary } = await runJson(REPORT_FILES);
    const mismatched = summary?.summaryMismatches.items.map((row) => row.name).sort();
    expect(mismatched).toEqual(["replicaset-coredns-558bd4d5db-coredns", "replicaset-nginx-6d4cf56db6"]);
    expect(summary?.summaryMismatches.items.find((row) => row.kind === "VulnerabilityReport")?.summary).toEqual({
      critical: 0,
      high: 12,
      medium: 6,
      low: 0,
      unknown: 9,
    });
  });

  it("flags reports older than --stale-after relative to --now, and groups by cluster/namespace/workload/image", async () => {
    const { summary } = await runJson([...REPORT_FILES, "--cluster", "prod"]);
    // Timestamps before 2024-04-30: every fixture with a timestamp (6 of 9); 3 have none.
    expect(summary?.staleReports.count).toBe(6);
    expect(summary?.staleReports.withoutTimestamp).toBe(3);
    expect(summary?.byCluster.map((row) => row.cluster)).toEqual(["prod"]);
    expect(summary?.byWorkload[0]).toMatchObject({ namespace: "default", workload: "ReplicaSet/nginx-6d4cf56db6" });
    expect(summary?.byImage.map((row) => row.image)).toContain("index.docker.io/library/nginx:1.16");
    expect(summary?.topVulnerabilities[0]?.severity).toBe("critical");
  });

  it("reads a kubectl List from stdin with the same totals", async () => {
    const objects = REPORT_FILES.map((file) => parse(readFileSync(file, "utf8"), { schema: "core" }) as unknown);
    const { code, summary } = await runJson(["-"], JSON.stringify({ apiVersion: "v1", items: objects, kind: "List" }));
    expect(code).toBe(ExitCode.OK);
    expect(summary?.totals).toEqual({ critical: 2, high: 5, medium: 9, low: 2, unknown: 0 });
    expect(summary?.sources[0]).toMatchObject({ source: "stdin", reports: 9 });
  });
});

describe("report on bad input", () => {
  it("names the invalid YAML fixture, still reports the rest, and exits 3", async () => {
    const { code, summary, stderr } = await runJson([
      fixture("vulnerabilityreport.replicaset-nginx-extended.INVALID.yaml"),
      fixture("vulnerabilityreport.replicaset-nginx.yaml"),
    ]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(stderr).toMatch(/^warning: .*INVALID\.yaml: invalid YAML at line 49, column \d+: /m);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(summary?.totals.critical).toBe(2);
    expect(summary?.warnings).toHaveLength(1);
  });

  it("keeps the complete items of a truncated JSON List", async () => {
    const objects = [fixture("vulnerabilityreport.replicaset-nginx.yaml"), fixture("clustervulnerabilityreport.k8s-cluster.yaml")].map(
      (file) => parse(readFileSync(file, "utf8"), { schema: "core" }) as unknown,
    );
    const text = JSON.stringify({ apiVersion: "v1", items: objects, kind: "List" }, null, 2);
    const truncated = join(scratch, "truncated.json");
    writeFileSync(truncated, text.slice(0, Math.floor(text.length * 0.7)));
    const { code, summary, stderr } = await runJson([truncated]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(stderr).toMatch(/truncated\.json: input ends in the middle of an object \(truncated file\?\)/);
    expect(summary?.totals.critical).toBe(2);
    expect(summary?.reportsByKind["ClusterVulnerabilityReport"]).toBeUndefined();
  });

  it("warns about an empty file and an object of the wrong kind", async () => {
    const empty = join(scratch, "empty.json");
    writeFileSync(empty, "");
    const configMap = join(scratch, "configmap.yaml");
    writeFileSync(configMap, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: trivy-operator\ndata: {}\n");
    const { code, summary, stderr } = await runJson([empty, configMap, fixture("vulnerabilityreport.replicaset-nginx.yaml")]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(stderr).toMatch(/empty\.json: empty input: no objects found/);
    expect(stderr).toMatch(/configmap\.yaml: skipped 1 object\(s\) of kind ConfigMap: not a Trivy Operator report kind/);
    expect(summary?.warnings).toHaveLength(2);
    expect(summary?.totals.critical).toBe(2);
  });

  it("exits 2 when no input at all is readable", async () => {
    const { code, summary, stderr } = await runJson([join(scratch, "does-not-exist.json")]);
    expect(code).toBe(ExitCode.USAGE);
    expect(summary).toBeUndefined();
    expect(stderr).toMatch(/does-not-exist\.json: cannot read \(ENOENT/);
  });

  it("rejects bad usage with a UserError", async () => {
    await expect(runReportCommand([], captureIo().io)).rejects.toBeInstanceOf(UserError);
    await expect(runReportCommand(["x.json", "--format", "pdf"], captureIo().io)).rejects.toThrow(/--format/);
    await expect(runReportCommand(["x.json", "--stale-after", "soon"], captureIo().io)).rejects.toThrow(/not a duration/);
  });
});

describe("report formats, baseline and --fail-on", () => {
  it("renders table, markdown, self-contained html with an SVG chart, and one CSV row per finding", async () => {
    const render = async (format: string): Promise<string> => {
      const captured = captureIo();
      await runReportCommand([...REPORT_FILES, "--format", format, "--now", NOW], captured.io);
      return captured.stdout();
    };
    expect(await render("table")).toMatch(/Vulnerabilities by severity\n=+\n.*Critical\s+High/);
    expect(await render("markdown")).toMatch(/^\| All \| 2 \| 5 \| 9 \| 2 \| 0 \| 18 \|$/m);
    const html = await render("html");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link|src="http/);
    const csv = (await render("csv")).trim().split("\r\n");
    expect(csv[0]).toMatch(/^cluster,namespace,report_kind/);
    // 18 vulnerabilities + 2 secrets + 15 config-audit + 2 RBAC + 11 infra failed checks
    expect(csv).toHaveLength(1 + 18 + 2 + 15 + 2 + 11);
  });

  it("exits 1 with --fail-on when a finding at or above the threshold exists", async () => {
    expect((await runJson([fixture("vulnerabilityreport.replicaset-nginx.yaml"), "--fail-on", "critical"])).code).toBe(ExitCode.FINDINGS);
    expect((await runJson([fixture("vulnerabilityreport.vulnerability-ttl.yaml"), "--fail-on", "critical"])).code).toBe(ExitCode.OK);
  });
});

describe("report --baseline compares only what both runs read completely", () => {
  const NGINX = fixture("vulnerabilityreport.replicaset-nginx.yaml");
  const COREDNS = fixture("vulnerabilityreport.vulnerability-ttl.yaml");
  const K8S = fixture("clustervulnerabilityreport.k8s-cluster.yaml");
  const loadYaml = (file: string): Record<string, unknown> =>
    parse(readFileSync(file, "utf8"), { schema: "core" }) as Record<string, unknown>;

  async function baselineOf(args: string[]): Promise<string> {
    const previous = await runJson(args);
    expect(previous.code).toBe(ExitCode.OK);
    const path = join(scratch, `baseline-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(previous.summary));
    return path;
  }

  it("resolves a finding whose list was read again completely, and says it as text", async () => {
    const baseline = await baselineOf([NGINX, COREDNS, "--cluster", "prod"]);
    // Next month coredns is patched: same report object, empty vulnerabilities list.
    const patched = loadYaml(COREDNS);
    (patched["report"] as Record<string, unknown>)["vulnerabilities"] = [];
    const patchedFile = join(scratch, "coredns-patched.json");
    writeFileSync(patchedFile, JSON.stringify(patched));
    const { code, summary } = await runJson([NGINX, patchedFile, "--cluster", "prod", "--baseline", baseline]);
    expect(code).toBe(ExitCode.OK);
    expect(summary?.baseline?.resolvedFindings).toEqual({ critical: 0, high: 1, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.newFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.notCompared).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.resolvedItems[0]?.text).toBe(
      "CVE-2021-3121 in github.com/gogo/protobuf, image k8s.gcr.io/coredns/coredns (cluster prod, namespace kube-system)",
    );
    const table = captureIo();
    await runReportCommand([NGINX, patchedFile, "--cluster", "prod", "--baseline", baseline, "--now", NOW], table.io);
    expect(table.stdout()).toContain(
      "HIGH      CVE-2021-3121 in github.com/gogo/protobuf, image k8s.gcr.io/coredns/coredns (cluster prod, namespace kube-system)",
    );
    expect(table.stdout()).not.toMatch(/vulnerability\|prod\|/);
  });

  it("does not resolve findings of a list this run did not read: not compared, with a warning and exit 3", async () => {
    const baseline = await baselineOf([NGINX, COREDNS, "--cluster", "prod"]);
    // coredns's file is missing this month, and the cluster-scoped report is new to the comparison.
    const { code, summary, stderr } = await runJson([NGINX, K8S, "--cluster", "prod", "--baseline", baseline]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary?.baseline?.resolvedFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.notCompared).toEqual({ critical: 0, high: 1, medium: 0, low: 0, unknown: 0 });
    // The baseline never read ClusterVulnerabilityReports: their 15 findings are not "new".
    expect(summary?.baseline?.newFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.outsideBaseline).toEqual({ critical: 0, high: 4, medium: 9, low: 2, unknown: 0 });
    expect(stderr).toMatch(
      /^warning: --baseline .*: 1 finding\(s\) of the baseline not compared, because this run did not read their lists completely \(cluster prod namespace kube-system\)/m,
    );
  });

  it("resolves nothing of a cluster whose file was truncated", async () => {
    const baseline = await baselineOf([NGINX, COREDNS, "--cluster", "prod"]);
    const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: [loadYaml(NGINX), loadYaml(COREDNS)] });
    const truncated = join(scratch, "truncated.json");
    // Cut inside the coredns report: nginx is complete, coredns is lost.
    writeFileSync(truncated, list.slice(0, list.indexOf("CVE-2021-3121")));
    const { code, summary } = await runJson([truncated, "--cluster", "prod", "--baseline", baseline]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary?.totals.critical).toBe(2);
    expect(summary?.baseline?.resolvedFindings.high).toBe(0);
    expect(summary?.baseline?.notCompared.high).toBe(1);
    expect(summary?.coverage).toEqual([]);
  });

  it("warns when the baseline has no cluster in common with this run, and calls nothing new or resolved", async () => {
    const baseline = await baselineOf([NGINX, COREDNS, "--cluster", "prod-laptop"]);
    const { code, summary, stderr } = await runJson([NGINX, COREDNS, "--cluster", "prod", "--baseline", baseline]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(stderr).toMatch(
      /^warning: --baseline .*: no cluster in common with this run \(baseline: prod-laptop; this run: prod\); nothing was compared\. Name clusters the same way in both runs: --cluster NAME for files, --context NAME=CLUSTER for live clusters$/m,
    );
    expect(summary?.baseline?.newFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.resolvedFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.baseline?.commonClusters).toEqual([]);
  });

  it("reads a schemaVersion 1 baseline (no coverage recorded) with a note", async () => {
    const baseline = await baselineOf([NGINX, "--cluster", "prod"]);
    const current = JSON.parse(readFileSync(baseline, "utf8")) as Record<string, unknown>;
    // What version 1 wrote: keys without the namespace, no coverage.
    const v1Index = Object.fromEntries(
      Object.entries(current["findingIndex"] as Record<string, string>).map(([key, severity]) => [
        key
          .split("|")
          .filter((_, index) => index !== 2)
          .join("|"),
        severity,
      ]),
    );
    const v1 = join(scratch, "v1.json");
    writeFileSync(v1, JSON.stringify({ ...current, schemaVersion: 1, coverage: undefined, findingIndex: v1Index }));
    const { summary } = await runJson([NGINX, "--cluster", "prod", "--baseline", v1]);
    expect(summary?.baseline?.newFindings).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.notes.some((note) => /schemaVersion 1/.test(note))).toBe(true);
  });
});
