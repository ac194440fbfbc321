import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { runReportCommand } from "../../../cli/report/command";
import type { ReportSummary } from "../../../cli/report/summary";
import {
  resourcesFromCrds,
  startFakeKubeApi,
  unusedLoopbackUrl,
  writeKubeconfig,
  type FakeKubeApi,
  type FakeScenario,
} from "../../helpers/fake-kube-api";
import { captureIo, REPORT_FIXTURE_FILES } from "./helpers";

/*
 * `report --context` end to end over the real @kubernetes/client-node 1.4.0: kubeconfig loading,
 * context selection, bearer token, list paths, `limit`/`continue` paging and the Status errors,
 * against a fake API server on 127.0.0.1 (test/helpers/fake-kube-api.ts).
 */

const CRDS = resolve(__dirname, "../../fixtures/crds");
const NOW = "2024-05-01T00:00:00Z";
const GROUP_PATH = "/apis/aquasecurity.github.io/v1alpha1";

/** The same fixture reports as report-command.test.ts, whose hand count gives the totals below. */
const REPORT_FILES = REPORT_FIXTURE_FILES;
// `core` schema, as `report` reads YAML: timestamps stay strings, as the API server sends them.
const REPORT_OBJECTS: readonly unknown[] = REPORT_FILES.map((file) => parse(readFileSync(file, "utf8"), { schema: "core" }) as unknown);
const HAND_COUNT_TOTALS = { critical: 2, high: 5, medium: 9, low: 2, unknown: 0 };

const ALL_CRDS = resourcesFromCrds(CRDS);
/** The report kinds `report` lists (every CRD but SBOM and compliance), in its order. */
const LISTED_PLURALS = [
  "vulnerabilityreports",
  "clustervulnerabilityreports",
  "exposedsecretreports",
  "configauditreports",
  "clusterconfigauditreports",
  "rbacassessmentreports",
  "clusterrbacassessmentreports",
  "infraassessmentreports",
  "clusterinfraassessmentreports",
];

const forbidden = (plural: string, where: string) =>
  `${plural}.aquasecurity.github.io is forbidden: User "x" cannot list resource "${plural}" in API group "aquasecurity.github.io" ${where}`;

// The API server's answer to a `continue` token older than the etcd compaction window.
const EXPIRED_CONTINUE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

/** 1201 distinct copies of the nginx report: three pages at the default limit of 500. */
const BULK_COUNT = 1201;
function bulkObjects(): unknown[] {
  const template = REPORT_OBJECTS[0] as { metadata: Record<string, unknown> };
  return Array.from({ length: BULK_COUNT }, (_, index) => ({
    ...template,
    metadata: { ...template.metadata, name: `replicaset-nginx-${index}-nginx`, uid: `uid-${index}` },
  }));
}

const SCENARIOS: Record<string, FakeScenario> = {
  // One object per page, whatever the limit: every kind with two reports needs a `continue` round trip.
  all: { objects: REPORT_OBJECTS, resources: ALL_CRDS, maxPageSize: 1 },
  bulk: { objects: bulkObjects(), resources: ALL_CRDS },
  partial: {
    objects: REPORT_OBJECTS,
    resources: ALL_CRDS.filter((resource) => resource.plural !== "clusterinfraassessmentreports"),
    failures: [
      { path: `${GROUP_PATH}/exposedsecretreports`, code: 403, message: forbidden("exposedsecretreports", "at the cluster scope") },
    ],
  },
  namespaces: {
    objects: REPORT_OBJECTS,
    resources: ALL_CRDS,
    failures: [
      {
        path: new RegExp(`^${GROUP_PATH}/namespaces/kube-system/`),
        code: 403,
        message: forbidden("vulnerabilityreports", 'in the namespace "kube-system"'),
      },
    ],
  },
  "no-operator": { objects: [], resources: [] },
  // Lists that break after their first page: the warnings must not claim that nothing was read.
  "breaks-midway": {
    objects: REPORT_OBJECTS,
    resources: ALL_CRDS,
    maxPageSize: 1,
    failures: [{ path: `${GROUP_PATH}/configauditreports`, code: 410, message: EXPIRED_CONTINUE, onlyWithContinue: true }],
  },
  // The etcd compaction window passes once, between the first and second page of config audits.
  "expires-once": {
    objects: REPORT_OBJECTS,
    resources: ALL_CRDS,
    maxPageSize: 1,
    failures: [{ path: `${GROUP_PATH}/configauditreports`, code: 410, message: EXPIRED_CONTINUE, onlyWithContinue: true, times: 1 }],
  },
  "drops-midway": {
    objects: REPORT_OBJECTS,
    resources: ALL_CRDS,
    maxPageSize: 1,
    failures: [{ path: `${GROUP_PATH}/vulnerabilityreports`, code: "reset", message: "", onlyWithContinue: true }],
  },
};

let api: FakeKubeApi;
let scratch: string;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeKubeApi({ scenarios: SCENARIOS, maxRequests: 500 });
  scratch = mkdtempSync(join(tmpdir(), "report-live-"));
  const down = await unusedLoopbackUrl();
  kubeconfig = writeKubeconfig(join(scratch, "kubeconfig"), [
    ...Object.keys(SCENARIOS).map((name) => ({ name, token: name, server: api.url })),
    // A token the server does not know: 401, like an expired one.
    { name: "expired", token: "expired", server: api.url },
    { name: "down", token: "all", server: down },
  ]);
});

afterAll(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  // Every request the fake could not place (unknown path, query parameter, method) fails the test that made it.
  expect(api.unexpected).toEqual([]);
});

async function report(args: string[]): Promise<{ code: number; summary: ReportSummary | undefined; stderr: string }> {
  const captured = captureIo();
  const code = await runReportCommand([...args, "--kubeconfig", kubeconfig, "--format", "json", "--now", NOW], captured.io);
  const text = captured.stdout();
  const stderr = captured.stderr();
  expect(stderr).not.toMatch(/^ {4}at /m); // no stack trace, whatever happened
  return { code, summary: text ? (JSON.parse(text) as ReportSummary) : undefined, stderr };
}

const warningLines = (stderr: string): string[] => stderr.split("\n").filter((line) => line.startsWith("warning: "));

describe("report --context against a fake API server (real client-node)", () => {
  it("reads every kind page by page (limit=500, continue) and gets the file-based totals", async () => {
    const live = await report(["--context", "all"]);
    expect(live.code).toBe(ExitCode.OK);
    expect(live.stderr).toBe("");
    expect(live.summary?.totals).toEqual(HAND_COUNT_TOTALS);

    // Same objects from files, named like the context: the live path must not change a single count or row.
    const captured = captureIo();
    await runReportCommand([...REPORT_FILES, "--cluster", "all", "--format", "json", "--now", NOW], captured.io);
    const files = JSON.parse(captured.stdout()) as ReportSummary;
    // Only the source rows (file names vs "context all") and the generation time may differ.
    // Coverage differs by design: a live list covers every namespace, a file only the namespaces it contains.
    const comparable = ({ generatedAt: _generatedAt, sources: _sources, coverage: _coverage, ...rest }: ReportSummary) => rest;
    expect(live.summary && comparable(live.summary)).toEqual(comparable(files));
    expect(live.summary?.sources).toEqual([{ source: "context all", cluster: "all", reports: REPORT_OBJECTS.length, warnings: 0 }]);

    // Paging: each kind is listed across all namespaces with limit=500; every `continue` handed back is sent back.
    const requests = api.requestsFrom("all");
    expect(new Set(requests.map((request) => request.path))).toEqual(new Set(LISTED_PLURALS.map((plural) => `${GROUP_PATH}/${plural}`)));
    for (const plural of LISTED_PLURALS) {
      const pages = requests.filter((request) => request.path === `${GROUP_PATH}/${plural}`);
      const served = REPORT_OBJECTS.filter((object) => `${(object as { kind: string }).kind.toLowerCase()}s` === plural).length;
      expect(pages.length, plural).toBe(Math.max(served, 1));
      pages.forEach((page, index) => {
        expect(page.query, `${plural} page ${index + 1}`).toEqual(
          index === 0 ? { limit: "500" } : { limit: "500", continue: pages[index - 1]?.continueOut },
        );
      });
      expect(pages.at(-1)?.continueOut).toBe("");
    }
    expect(requests.filter((request) => request.query["continue"] !== undefined)).toHaveLength(3); // the 2nd vulnerability, config-audit and RBAC report
  });

  it("follows three full pages of a big list (500 + 500 + 201)", async () => {
    const { code, summary } = await report(["--context", "bulk"]);
    expect(code).toBe(ExitCode.OK);
    const pages = api.requestsFrom("bulk").filter((request) => request.path === `${GROUP_PATH}/vulnerabilityreports`);
    expect(pages.map((page) => [page.query["limit"], page.query["continue"] !== undefined, page.items])).toEqual([
      ["500", false, 500],
      ["500", true, 500],
      ["500", true, 201],
    ]);
    expect(summary?.vulnerabilityReports).toBe(BULK_COUNT);
    expect(summary?.totals.critical).toBe(2 * BULK_COUNT);
  });

  it("sends --page-size as limit", async () => {
    await report(["--context", "bulk", "--page-size", "1000"]);
    const pages = api
      .requestsFrom("bulk")
      .filter((request) => request.path === `${GROUP_PATH}/vulnerabilityreports` && request.query["limit"] === "1000");
    expect(pages.map((page) => page.items)).toEqual([1000, 201]);
  });

  it("warns about a kind it may not list (403), names context and kind, counts the rest, exits 3; a missing CRD is only a note", async () => {
    const { code, summary, stderr } = await report(["--context", "partial"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(warningLines(stderr)).toEqual([
      'warning: context partial: forbidden to list exposedsecretreports across all namespaces (HTTP 403: exposedsecretreports.aquasecurity.github.io is forbidden: User "x" cannot list resource "exposedsecretreports" in API group "aquasecurity.github.io" at the cluster scope); skipped',
    ]);
    expect(summary?.totals).toEqual(HAND_COUNT_TOTALS);
    expect(summary?.exposedSecrets.items).toHaveLength(0);
    expect(Object.values(summary?.failedChecks.infraAssessment.failed ?? {}).reduce((a, b) => a + b, 0)).toBe(11);
    expect(summary?.notes).toContain("context partial: CRDs not installed (older chart?): ClusterInfraAssessmentReport");
    expect(summary?.warnings).toHaveLength(1);
  });

  it("with --namespace, lists each namespace and skips a forbidden one with a warning per kind", async () => {
    const { code, summary, stderr } = await report(["--context", "namespaces", "--namespace", "default", "--namespace", "kube-system"]);
    expect(code).toBe(ExitCode.PARTIAL);
    const warnings = warningLines(stderr);
    expect(warnings).toHaveLength(5); // the five namespaced kinds
    for (const warning of warnings)
      expect(warning).toMatch(
        /^warning: context namespaces: forbidden to list \w+ in namespace "kube-system" \(HTTP 403: .*is forbidden: User "x"/,
      );
    // default: nginx (2 critical) only; the coredns report and the cluster-scoped one are not read.
    expect(summary?.totals).toEqual({ critical: 2, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(summary?.exposedSecrets.totals.high).toBe(2);
    const paths = new Set(api.requestsFrom("namespaces").map((request) => request.path));
    expect(paths).toEqual(
      new Set(
        ["default", "kube-system"].flatMap((namespace) =>
          ["vulnerabilityreports", "exposedsecretreports", "configauditreports", "rbacassessmentreports", "infraassessmentreports"].map(
            (plural) => `${GROUP_PATH}/namespaces/${namespace}/${plural}`,
          ),
        ),
      ),
    );
  });

  it("stops a context whose credentials are rejected (401) after one request and reports the others", async () => {
    const { code, summary, stderr } = await report(["--context", "all", "--context", "expired"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(warningLines(stderr)).toEqual([
      "warning: context expired: the API server rejected the credentials (HTTP 401); nothing more read from this context",
    ]);
    expect(api.requestsFrom("expired")).toHaveLength(1);
    expect(summary?.totals).toEqual(HAND_COUNT_TOTALS);
    expect(summary?.byCluster.map((row) => row.cluster)).toEqual(["all"]);
  });

  it("stops a context whose API server does not answer (connection refused)", async () => {
    const { code, stderr } = await report(["--context", "down", "--context", "all"]);
    expect(code).toBe(ExitCode.PARTIAL);
    const warnings = warningLines(stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: context down: cannot reach the API server: request to http:\/\/127\.0\.0\.1:\d+\/apis\/aquasecurity\.github\.io\/v1alpha1\/vulnerabilityreports\?limit=500 failed, reason: connect ECONNREFUSED .*; nothing read from this context$/,
    );
  });

  it("restarts a list once when its continue token expires (410 Gone), counting nothing twice and warning about nothing", async () => {
    const { code, summary, stderr } = await report(["--context", "expires-once"]);
    expect(code).toBe(ExitCode.OK);
    expect(stderr).toBe("");
    expect(summary?.failedChecks.configAudit.reports).toBe(2);
    expect(Object.values(summary?.failedChecks.configAudit.failed ?? {}).reduce((a, b) => a + b, 0)).toBe(2 + 13);
    expect(summary?.totals).toEqual(HAND_COUNT_TOTALS);
    expect(summary?.sources).toEqual([
      { source: "context expires-once", cluster: "expires-once", reports: REPORT_OBJECTS.length, warnings: 0 },
    ]);
    expect(summary?.notes).toEqual([
      "context expires-once: configauditreports across all namespaces: a continue token expired (HTTP 410), so the list was read again from the start; objects already read were not counted twice",
    ]);
    // page 1, page 2 → 410, page 1 again (its object skipped), page 2 with the new token.
    const pages = api.requestsFrom("expires-once").filter((request) => request.path === `${GROUP_PATH}/configauditreports`);
    expect(pages.map((page) => [page.query["continue"] !== undefined, page.status])).toEqual([
      [false, 200],
      [true, 410],
      [false, 200],
      [true, 200],
    ]);
    expect(pages[3]?.query["continue"]).toBe(pages[2]?.continueOut);
  });

  it("writes each finding once to CSV when a list is restarted after 410 Gone", async () => {
    const captured = captureIo();
    const code = await runReportCommand(
      ["--context", "expires-once", "--kubeconfig", kubeconfig, "--format", "csv", "--now", NOW],
      captured.io,
    );
    expect(code).toBe(ExitCode.OK);
    const rows = captured.stdout().trimEnd().split("\r\n");
    // header + 18 vulnerabilities + 2 secrets + 15 config-audit + 2 RBAC + 11 infra failed checks
    expect(rows).toHaveLength(1 + 18 + 2 + 15 + 2 + 11);
    expect(rows.filter((row) => row.includes(",configAudit,"))).toHaveLength(15);
  });

  it("warns, and says how much was read, when the restarted list breaks again (410 twice)", async () => {
    const { code, summary, stderr } = await report(["--context", "breaks-midway"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(warningLines(stderr)).toEqual([
      `warning: context breaks-midway: listing configauditreports across all namespaces failed after 1 object(s), again after a restart from the beginning (HTTP 410: ${EXPIRED_CONTINUE}); the rest of that list was skipped`,
    ]);
    expect(summary?.failedChecks.configAudit.reports).toBe(1);
    expect(summary?.totals).toEqual(HAND_COUNT_TOTALS);
    const pages = api.requestsFrom("breaks-midway").filter((request) => request.path === `${GROUP_PATH}/configauditreports`);
    expect(pages.map((page) => [page.query["continue"] !== undefined, page.status])).toEqual([
      [false, 200],
      [true, 410],
      [false, 200],
      [true, 410],
    ]);
  });

  it("does not claim nothing was read when the connection drops after some objects", async () => {
    const { code, summary, stderr } = await report(["--context", "drops-midway"]);
    expect(code).toBe(ExitCode.PARTIAL);
    const warnings = warningLines(stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: context drops-midway: cannot reach the API server: request to http:\/\/127\.0\.0\.1:\d+\/apis\/aquasecurity\.github\.io\/v1alpha1\/vulnerabilityreports\?continue=[\w-]+&limit=500 failed, reason: socket hang up; stopped after 1 object\(s\), the rest of this context was not read$/,
    );
    expect(summary?.vulnerabilityReports).toBe(1);
    expect(api.requestsFrom("drops-midway")).toHaveLength(2);
  });

  it("gives one clean line for a context name that is not in the kubeconfig, and calls no server", async () => {
    const before = api.requests.length;
    const { code, summary, stderr } = await report(["--context", "nope"]);
    expect(code).toBe(ExitCode.USAGE);
    expect(summary).toBeUndefined();
    expect(warningLines(stderr)).toEqual([
      `warning: context nope: context "nope" is not in the kubeconfig (known: ${[...Object.keys(SCENARIOS), "expired", "down"].join(", ")})`,
    ]);
    expect(stderr.split("\n").filter(Boolean)).toHaveLength(2); // that warning and "no input could be read"
    expect(api.requests.length).toBe(before);
  });

  it("says the operator is not installed when every report CRD answers 404 (exit 2)", async () => {
    const { code, stderr } = await report(["--context", "no-operator"]);
    expect(code).toBe(ExitCode.USAGE);
    expect(warningLines(stderr)).toEqual([
      "warning: context no-operator: no Trivy Operator report CRDs found (HTTP 404 for every kind): is the operator installed in this cluster?",
    ]);
    expect(api.requestsFrom("no-operator")).toHaveLength(LISTED_PLURALS.length);
  });

  it("names a plain-HTTP server without insecure-skip-tls-verify in one line instead of one per request", async () => {
    // GIVEN a kubeconfig whose http:// cluster entry keeps TLS verification on, which client-node refuses
    const kubeconfig = join(scratch, "plain-http-kubeconfig");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "plain", cluster: { server: "http://127.0.0.1:1" } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "plain", context: { cluster: "plain", user: "u" } }],
        "current-context": "plain",
      }),
    );

    // WHEN
    const captured = captureIo();
    const code = await runReportCommand(["--context", "plain", "--kubeconfig", kubeconfig], captured.io);

    // THEN
    expect(code).toBe(ExitCode.USAGE);
    expect(warningLines(captured.stderr())).toEqual([
      'warning: context plain: context "plain" points at plain-HTTP server http://127.0.0.1:1; the Kubernetes client only allows that with insecure-skip-tls-verify: true in the kubeconfig\'s cluster entry',
    ]);
  });

  it("names an unreadable kubeconfig in one line", async () => {
    const captured = captureIo();
    const code = await runReportCommand(["--context", "all", "--kubeconfig", join(scratch, "missing-kubeconfig")], captured.io);
    expect(code).toBe(ExitCode.USAGE);
    expect(warningLines(captured.stderr())).toEqual([
      expect.stringMatching(/^warning: context all: cannot load kubeconfig .*missing-kubeconfig: ENOENT/),
    ]);
  });
});
