import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runDoctorCommand } from "../../../cli/doctor/command";
import { ExitCode } from "../../../cli/io";
import { main } from "../../../cli/main";
import { BUILTIN_RESOURCES, startFakeKubeApi, writeKubeconfig, type FakeKubeApi, type FakeScenario } from "../../helpers/fake-kube-api";
import { captureIo } from "../report/helpers";

/*
 * `doctor --context` end to end over the real @kubernetes/client-node 1.4.0 (typed Core/Apps/Batch
 * clients, pod log read) against a fake API server on 127.0.0.1 serving the captured fixtures.
 */

const FIXTURES = resolve(__dirname, "../../fixtures/doctor");
const fixture = (name: string): string => join(FIXTURES, name);
const itemsOf = (name: string): readonly unknown[] => (JSON.parse(readFileSync(fixture(name), "utf8")) as { items: unknown[] }).items;
const OPERATOR_POD = "trivy-operator-7d9f8c6b5-x2k4p";
const NS = "/api/v1/namespaces/trivy-system";

/** A busy namespace: the healthy objects plus this many Normal Events and one FailedScheduling warning at the end. */
const NORMAL_EVENTS = 1203;
function busyNamespace(): unknown[] {
  const event = (index: number, type: string, reason: string, message: string) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `scan-vulnerabilityreport-${index}.17c0`, namespace: "trivy-system", uid: `event-${index}` },
    involvedObject: { kind: "Pod", name: `scan-vulnerabilityreport-${index}`, namespace: "trivy-system" },
    type,
    reason,
    message,
  });
  const normal = Array.from({ length: NORMAL_EVENTS }, (_, index) =>
    event(index, "Normal", "Scheduled", `Successfully assigned trivy-system/scan-vulnerabilityreport-${index} to node-1`),
  );
  return [
    ...itemsOf("healthy.json"),
    ...normal,
    event(NORMAL_EVENTS, "Warning", "FailedScheduling", "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: infra}."),
  ];
}

/** A cluster whose operator runs scan Jobs beside their workloads: the healthy operator namespace, and `shop`. */
const SHOP_SCAN_POD = "scan-vulnerabilityreport-6b5f7c9d8-x7k2p";
const workloadNamespaces = (): unknown[] => [...itemsOf("healthy.json"), ...itemsOf("workload-namespace.json")];

/** The operator's entry for that scan pod, as scanjob.go `completedContainers` writes it: `job` is `<namespace>/<name>`. */
const SHOP_OOM_LOG_LINE = JSON.stringify({
  level: "error",
  ts: "2026-11-30T09:12:44Z",
  logger: "reconciler.scan job",
  msg: "Scan job container",
  job: "shop/scan-vulnerabilityreport-6b5f7c9d8",
  container: "frontend",
  "status.reason": "OOMKilled",
  "status.message": "",
});
const loggedShopLog = (): string => `${readFileSync(fixture("healthy.log"), "utf8")}${SHOP_OOM_LOG_LINE}\n`;

const SCENARIOS: Record<string, FakeScenario> = {
  "workloads-logged": { objects: workloadNamespaces(), resources: BUILTIN_RESOURCES, logs: { [OPERATOR_POD]: loggedShopLog() } },
  workloads: {
    objects: workloadNamespaces(),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") },
  },
  "workloads-no-cluster-pods": {
    objects: workloadNamespaces(),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") },
    failures: [
      {
        path: "/api/v1/pods",
        code: 403,
        message: 'pods is forbidden: User "x" cannot list resource "pods" in API group "" at the cluster scope',
      },
    ],
  },
  field: {
    objects: itemsOf("pods-jobs-events.json"),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("operator.log"), "utf8") },
  },
  healthy: {
    objects: itemsOf("healthy.json"),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") },
  },
  "no-logs": {
    objects: itemsOf("healthy.json"),
    resources: BUILTIN_RESOURCES,
    failures: [
      {
        path: `${NS}/pods/${OPERATOR_POD}/log`,
        code: 403,
        message: `pods "${OPERATOR_POD}" is forbidden: User "x" cannot get resource "pods/log" in API group "" in the namespace "trivy-system"`,
      },
    ],
  },
  "no-events": {
    objects: itemsOf("healthy.json"),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") },
    failures: [
      {
        path: `${NS}/events`,
        code: 403,
        message: 'events is forbidden: User "x" cannot list resource "events" in API group "" in the namespace "trivy-system"',
      },
    ],
  },
  busy: { objects: busyNamespace(), resources: BUILTIN_RESOURCES, logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") } },
  // The Events list's continue token expires once (HTTP 410) on the second page.
  "events-expire-once": {
    objects: busyNamespace(),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("healthy.log"), "utf8") },
    failures: [
      {
        path: `${NS}/events`,
        code: 410,
        message: "The provided continue parameter is too old to display a consistent list result.",
        onlyWithContinue: true,
        times: 1,
      },
    ],
  },
  // The connection drops on the last list: what was read before is diagnosed, and the warning must say so.
  "drops-midway": {
    objects: itemsOf("pods-jobs-events.json"),
    resources: BUILTIN_RESOURCES,
    logs: { [OPERATOR_POD]: readFileSync(fixture("operator.log"), "utf8") },
    failures: [{ path: `${NS}/events`, code: "reset", message: "" }],
  },
};

interface DoctorJson {
  source: string;
  problems: { ruleId: string; occurrences: { subject: string; location: string; excerpt: string }[] }[];
  inspected: Record<string, number>;
  warnings: string[];
}

let api: FakeKubeApi;
let scratch: string;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeKubeApi({ scenarios: SCENARIOS, maxRequests: 200 });
  scratch = mkdtempSync(join(tmpdir(), "doctor-live-"));
  kubeconfig = writeKubeconfig(
    join(scratch, "kubeconfig"),
    [
      ...Object.keys(SCENARIOS).map((name) => ({ name, token: name, server: api.url })),
      { name: "expired", token: "expired", server: api.url },
    ],
    "healthy",
  );
});

afterAll(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  expect(api.unexpected).toEqual([]);
});

async function doctor(args: string[]): Promise<{ code: number; report: DoctorJson | undefined; stdout: string; stderr: string }> {
  const captured = captureIo();
  // Through the CLI entry point, which turns a UserError into its one stderr line and exit code.
  const code = await main(["doctor", ...args, "--kubeconfig", kubeconfig], captured.io);
  const stdout = captured.stdout();
  const stderr = captured.stderr();
  expect(stderr).not.toMatch(/^ {4}at /m); // no stack trace, whatever happened
  return { code, report: args.includes("json") && stdout ? (JSON.parse(stdout) as DoctorJson) : undefined, stdout, stderr };
}

/**
 * What a diagnosis says, without where each observation came from: the log is named by its file on
 * one side and `logs of <pod>` on the other (plain-text log lines use that name as their subject).
 */
const LOG_NAMES = new Set([fixture("operator.log"), `logs of ${OPERATOR_POD}`]);
const findings = (report: DoctorJson | undefined) =>
  (report?.problems ?? [])
    .map((problem) => ({
      ruleId: problem.ruleId,
      occurrences: problem.occurrences.map(({ subject, excerpt }) => ({
        subject: LOG_NAMES.has(subject) ? "<operator log>" : subject,
        excerpt,
      })),
    }))
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId));

describe("doctor --context against a fake API server (real client-node)", () => {
  it("finds the same problems live as on the captured files, reading each endpoint once", async () => {
    const live = await doctor(["--context", "field", "--format", "json"]);
    const captured = captureIo();
    const filesCode = await runDoctorCommand(
      ["--from", fixture("pods-jobs-events.json"), "--logs", fixture("operator.log"), "--format", "json"],
      captured.io,
    );
    const files = JSON.parse(captured.stdout()) as DoctorJson;

    expect(live.code).toBe(ExitCode.FINDINGS);
    expect(live.code).toBe(filesCode);
    expect(findings(live.report).map((problem) => problem.ruleId)).toHaveLength(14);
    expect(findings(live.report)).toEqual(findings(files));
    expect(live.report?.inspected).toEqual(files.inspected);
    expect(live.report?.source).toBe("context field");
    expect(live.report?.warnings).toEqual([]);

    // What doctor asks for: four lists of the namespace, paged at 500 (one page each here), and the operator pod's log tail.
    expect(api.requestsFrom("field").map((request) => [request.path, request.query])).toEqual([
      ["/apis/apps/v1/namespaces/trivy-system/deployments", { limit: "500" }],
      ["/apis/batch/v1/namespaces/trivy-system/jobs", { limit: "500" }],
      [`${NS}/pods`, { limit: "500" }],
      [`${NS}/events`, { limit: "500" }],
      [`${NS}/pods/${OPERATOR_POD}/log`, { tailLines: "5000" }],
    ]);
  });

  it("uses the kubeconfig's current context when none is named, and exits 0 on a healthy namespace", async () => {
    const { code, stdout, stderr } = await doctor([]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toMatch(
      /^trivy-operator doctor — namespace trivy-system \(context healthy\)\ninspected 1 pod\(s\), 1 job\(s\), 1 event\(s\), 1 deployment\(s\), 2 operator log line\(s\)/,
    );
    expect(stdout).toMatch(/^No known problem found in what was inspected\.$/m);
    expect(stderr).toBe("");
  });

  it("warns about a forbidden pods/log read and exits 3 when nothing else is wrong", async () => {
    const { code, report, stderr } = await doctor(["--context", "no-logs", "--format", "json"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(report?.problems).toEqual([]);
    expect(stderr.split("\n").filter(Boolean)).toEqual([
      `warning: context no-logs: cannot read the logs of pod ${OPERATOR_POD} (HTTP 403: pods "${OPERATOR_POD}" is forbidden: User "x" cannot get resource "pods/log" in API group "" in the namespace "trivy-system"); log rules were skipped for it`,
    ]);
  });

  it("warns about a kind it may not list and still inspects the rest", async () => {
    const { code, report } = await doctor(["--context", "no-events", "--format", "json"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(report?.inspected).toMatchObject({ pods: 1, jobs: 1, events: 0, deployments: 1, logLines: 2 });
    expect(report?.warnings).toEqual([
      expect.stringMatching(/^context no-events: cannot list Events in namespace "trivy-system" \(HTTP 403: events is forbidden: /),
    ]);
  });

  it("stops after the first request when the credentials are rejected (401), exit 2", async () => {
    const { code, stdout, stderr } = await doctor(["--context", "expired"]);
    expect(code).toBe(ExitCode.USAGE);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "trivy-operator-cdktf doctor: nothing inspected in context expired: cannot read from the API server (HTTP 401); nothing inspected\n",
    );
    expect(api.requestsFrom("expired")).toHaveLength(1);
  });

  it("does not claim nothing was inspected when the connection drops after some lists", async () => {
    const { code, report, stderr } = await doctor(["--context", "drops-midway", "--format", "json"]);
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report?.inspected).toMatchObject({ pods: 3, jobs: 4, events: 0, deployments: 1, logLines: 0 });
    expect(report?.problems.map((problem) => problem.ruleId)).toContain("scan-job-oom-killed");
    expect(stderr.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(
        /^warning: context drops-midway: cannot read from the API server \(request to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/trivy-system\/events\?limit=500 failed, reason: socket hang up\); stopped after 8 object\(s\): Events and the operator logs were not inspected$/,
      ),
    ]);
  });

  it("lists a namespace with many Events page by page (limit + continue), never more than a page per response", async () => {
    const { code, report } = await doctor(["--context", "busy", "--format", "json"]);
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report?.inspected).toMatchObject({ pods: 1, jobs: 1, events: 1 + NORMAL_EVENTS + 1, deployments: 1 });
    // The one warning Event, on the last page, is still found.
    expect(report?.problems.map((problem) => problem.ruleId)).toEqual(["scan-job-untolerated-taint"]);
    const events = api.requestsFrom("busy").filter((request) => request.path === `${NS}/events`);
    expect(events.map((page) => [page.query["limit"], page.items])).toEqual([
      ["500", 500],
      ["500", 500],
      ["500", 205],
    ]);
    events.slice(1).forEach((page, index) => expect(page.query["continue"]).toBe(events[index]?.continueOut));
  });

  it("sends --page-size as limit", async () => {
    await doctor(["--context", "busy", "--page-size", "1000"]);
    const events = api.requestsFrom("busy").filter((request) => request.path === `${NS}/events` && request.query["limit"] === "1000");
    expect(events.map((page) => page.items)).toEqual([1000, 205]);
  });

  it("restarts a list whose continue token expired (410) and counts each Event once", async () => {
    const { code, report, stderr } = await doctor(["--context", "events-expire-once", "--format", "json"]);
    expect(code).toBe(ExitCode.FINDINGS);
    expect(stderr).toBe("");
    expect(report?.inspected).toMatchObject({ events: 1 + NORMAL_EVENTS + 1 });
    expect(report?.problems.map((problem) => problem.ruleId)).toEqual(["scan-job-untolerated-taint"]);
    const events = api.requestsFrom("events-expire-once").filter((request) => request.path === `${NS}/events`);
    expect(events.map((page) => [page.query["continue"] !== undefined, page.status])).toEqual([
      [false, 200],
      [true, 410],
      [false, 200],
      [true, 200],
      [true, 200],
    ]);
  });

  it("gives one clean line for an unknown context name (through the CLI entry point)", async () => {
    const before = api.requests.length;
    const captured = captureIo();
    const code = await main(["doctor", "--context", "nope", "--kubeconfig", kubeconfig], captured.io);
    expect(code).toBe(ExitCode.USAGE);
    expect(captured.stdout()).toBe("");
    expect(captured.stderr()).toBe(
      `trivy-operator-cdktf doctor: context "nope" is not in the kubeconfig (known: ${[...Object.keys(SCENARIOS), "expired"].join(", ")})\n`,
    );
    expect(api.requests.length).toBe(before);
  });
});

describe("doctor --context against an API server that accepts and never answers", () => {
  it("fails after --read-timeout with one line (exit 2) instead of hanging", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket); // accepted, never answered
    });
    await new Promise<void>((resolveListen) => silent.listen(0, "127.0.0.1", resolveListen));
    const { port } = silent.address() as AddressInfo;
    const dir = mkdtempSync(join(tmpdir(), "doctor-hang-"));
    try {
      const config = writeKubeconfig(join(dir, "kubeconfig"), [{ name: "hang", token: "t", server: `http://127.0.0.1:${port}` }]);
      const captured = captureIo();
      const code = await main(["doctor", "--kubeconfig", config, "--context", "hang", "--read-timeout", "300ms"], captured.io);
      expect(code).toBe(ExitCode.USAGE);
      expect(captured.stdout()).toBe("");
      expect(captured.stderr()).toMatch(
        /^trivy-operator-cdktf doctor: nothing inspected in context hang: cannot read from the API server \(request to http:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/trivy-system\/deployments\?limit=500 failed, reason: no answer for 300ms \(--read-timeout\)\); nothing inspected\n$/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolveClose) => silent.close(resolveClose));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("doctor --all-namespaces (scan Jobs beside their workloads)", () => {
  it("reads the scan Jobs, Pods and Warnings of every namespace through selectors, and nothing else there", async () => {
    const { code, report } = await doctor(["--context", "workloads", "-A", "--format", "json"]);
    expect(code).toBe(ExitCode.FINDINGS);
    expect(findings(report)).toEqual([
      {
        ruleId: "scan-job-oom-killed",
        occurrences: [{ subject: `Pod shop/${SHOP_SCAN_POD} container frontend`, excerpt: expect.stringContaining("OOMKilled") }],
      },
    ]);
    const { report: healthy } = await doctor(["--context", "healthy", "--format", "json"]);
    // One scan pod and one Warning about a scan Job more than the operator namespace alone; the workload's own are left out.
    expect(report?.inspected).toEqual({
      ...healthy?.inspected,
      pods: healthy!.inspected["pods"]! + 1,
      events: healthy!.inspected["events"]! + 1,
    });
    const clusterWide = api
      .requestsFrom("workloads")
      .filter((request) => !request.path.includes("/namespaces/"))
      .map(
        (request) => `${request.path}?${new URLSearchParams(Object.entries(request.query).filter(([key]) => key !== "limit")).toString()}`,
      );
    expect(clusterWide).toEqual([
      "/apis/batch/v1/jobs?labelSelector=vulnerabilityReport.scanner",
      "/api/v1/pods?labelSelector=vulnerabilityReport.scanner",
      "/api/v1/events?fieldSelector=type%3DWarning",
    ]);
  });

  it("reads the operator namespace alone without -A", async () => {
    const { code, report } = await doctor(["--context", "workloads", "--format", "json"]);
    expect(code).toBe(ExitCode.OK);
    expect(report?.problems).toEqual([]);
  });

  it("diagnoses what it could read when a cluster-wide list is forbidden, and says what it left out", async () => {
    const { code, report } = await doctor(["--context", "workloads-no-cluster-pods", "-A", "--format", "json"]);
    // The scan pod was not read, so its OOM is not seen; the Warning about its Job still is, and no rule explains it.
    expect(code).toBe(ExitCode.FINDINGS);
    expect(findings(report).map((problem) => problem.ruleId)).toEqual(["scan-job-failed-unrecognised"]);
    expect(report?.warnings).toEqual([
      expect.stringMatching(
        /^context workloads-no-cluster-pods: cannot list Pods in all namespaces \(HTTP 403: pods is forbidden: .*\); scan Pods outside namespace "trivy-system" were not inspected$/,
      ),
    ]);
  });

  it("finds the same in a kubectl get -A capture of the same cluster", async () => {
    const live = await doctor(["--context", "workloads", "-A", "--format", "json"]);
    const capture = join(scratch, "all-namespaces.json");
    writeFileSync(capture, JSON.stringify({ apiVersion: "v1", kind: "List", items: workloadNamespaces() }));
    const files = await doctor(["--from", capture, "--logs", fixture("healthy.log"), "--format", "json"]);
    expect(files.code).toBe(live.code);
    expect(findings(files.report)).toEqual(findings(live.report));
  });

  it("says when the operator log names scan Jobs in namespaces it did not read, live and captured", async () => {
    const unread = /^the operator log names scan Jobs in namespace\(s\) shop, which doctor did not read: .*scanJobsInSameNamespace.*; /;
    const notesOf = (stdout: string): string[] => (JSON.parse(stdout) as { notes: string[] }).notes;
    const operatorOnly = await doctor(["--context", "workloads-logged", "--format", "json"]);
    expect(notesOf(operatorOnly.stdout)).toContainEqual(
      expect.stringMatching(new RegExp(`${unread.source}rerun with -A \\(or -n <namespace>\\)$`)),
    );
    const everyNamespace = await doctor(["--context", "workloads-logged", "-A", "--format", "json"]);
    expect(notesOf(everyNamespace.stdout).join("\n")).not.toMatch(unread);

    const log = join(scratch, "operator-shop.log");
    writeFileSync(log, loggedShopLog());
    const operatorCapture = await doctor(["--from", fixture("healthy.json"), "--logs", log, "--format", "json"]);
    expect(notesOf(operatorCapture.stdout)).toContainEqual(
      expect.stringMatching(new RegExp(`${unread.source}capture them too: kubectl get pods,jobs,events,deployments -A -o json`)),
    );
    const capture = join(scratch, "all-namespaces-logged.json");
    writeFileSync(capture, JSON.stringify({ apiVersion: "v1", kind: "List", items: workloadNamespaces() }));
    const clusterCapture = await doctor(["--from", capture, "--logs", log, "--format", "json"]);
    expect(notesOf(clusterCapture.stdout).join("\n")).not.toMatch(unread);
  });

  it("refuses -A with captured input, pointing at kubectl's own -A", async () => {
    const { code, stderr } = await doctor(["--from", fixture("healthy.json"), "-A"]);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toMatch(/--all-namespaces goes with live input \(--context\).*kubectl get pods,jobs,events,deployments -A -o json/);
  });
});
