import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runDoctorCommand } from "../../../cli/doctor/command";
import { readLog } from "../../../cli/doctor/evidence";
import { imageGlobsFromMessages, RULES, taintsFromMessages } from "../../../cli/doctor/rules";
import { ExitCode, UserError } from "../../../cli/io";
import { captureIo } from "../report/helpers";

const FIXTURES = resolve(__dirname, "../../fixtures/doctor");
/** The injected APIs' cross-namespace list: a run without --all-namespaces must never call it. */
const onlyWithAllNamespaces = (): Promise<never> => Promise.reject(new Error("listAllNamespaces called without --all-namespaces"));
const fixture = (name: string): string => resolve(FIXTURES, name);

interface DoctorJson {
  problems: { ruleId: string; fixes: { moduleSetting: string; chartValue: string }[]; occurrences: { subject: string }[] }[];
  warnings: string[];
}

async function doctorJson(args: string[]): Promise<{ code: number; report: DoctorJson; stderr: string }> {
  const captured = captureIo();
  const code = await runDoctorCommand([...args, "--format", "json"], captured.io);
  return { code, report: JSON.parse(captured.stdout()) as DoctorJson, stderr: captured.stderr() };
}

describe("doctor on captured files", () => {
  it("finds every known failure of the field report, each with a module setting and chart value", async () => {
    const { code, report } = await doctorJson(["--from", fixture("pods-jobs-events.json"), "--logs", fixture("operator.log")]);
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report.problems.map((problem) => problem.ruleId).sort()).toEqual(
      [
        "api-server-unreachable",
        "completed-jobs-block-concurrency",
        "db-download-rate-limited",
        "dns-resolution-failed",
        "image-manifest-unknown",
        "node-collector-untolerated-taint",
        "operator-oom-or-crash-loop",
        "private-registry-unauthorized",
        "sbom-multiple-os-components",
        "scan-deadline-exceeded",
        "scan-job-oom-killed",
        "scan-job-untolerated-taint",
        "trivy-timeout",
        "windows-image-not-scannable",
      ].sort(),
    );
    const fixOf = (id: string) => report.problems.find((problem) => problem.ruleId === id)?.fixes ?? [];
    expect(fixOf("scan-job-oom-killed").map((fix) => fix.chartValue)).toEqual([
      "trivy.resources.limits.memory",
      "operator.scanJobsConcurrentLimit",
    ]);
    expect(fixOf("scan-job-oom-killed")[0]?.moduleSetting).toMatch(/^scanJobResources: \{ limits: \{ memory:/);
    expect(fixOf("node-collector-untolerated-taint")[0]).toMatchObject({
      chartValue: "nodeCollector.tolerations",
      moduleSetting: 'taints: [{ key: "node-role.kubernetes.io/control-plane" }]',
    });
    expect(fixOf("scan-job-untolerated-taint")[0]).toMatchObject({
      chartValue: "trivyOperator.scanJobTolerations",
      moduleSetting: 'taints: [{ key: "dedicated", value: "infra" }]',
    });
    // MANIFEST_UNKNOWN says the tag is missing, not that the image is Windows: excluding comes second, only for a Windows-named image, after a check.
    expect(fixOf("image-manifest-unknown").map((fix) => fix.chartValue)).toEqual([
      'trivy.registry.mirror."mcr.microsoft.com"',
      "trivyOperator.excludeImages",
    ]);
    expect(fixOf("image-manifest-unknown")[1]?.moduleSetting).toMatch(
      /^excludeImages: \["mcr\.microsoft\.com\/oss\/calico\/windows-upgrade:\*"\] {2}— only after `crane manifest` shows no linux platform$/,
    );
    expect(fixOf("db-download-rate-limited").map((fix) => fix.chartValue)).toEqual([
      "trivy.dbRegistry, trivy.dbRepository",
      "operator.builtInTrivyServer",
    ]);
    expect(fixOf("trivy-timeout").map((fix) => fix.chartValue)).toEqual(["trivy.timeout", "operator.scanJobTimeout"]);
    expect(fixOf("scan-deadline-exceeded").map((fix) => fix.chartValue)).toEqual([
      "operator.scanJobTimeout",
      "operator.builtInTrivyServer",
    ]);
    expect(fixOf("private-registry-unauthorized")[0]?.chartValue).toBe("operator.privateRegistryScanSecretsNames");
    expect(fixOf("api-server-unreachable")[0]?.moduleSetting).toMatch(/apiServerCidrs/);
  });

  it("exits 0 on a healthy namespace and prints text by default", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(["--from", fixture("healthy.json"), "--logs", fixture("healthy.log")], captured.io);
    expect(code).toBe(ExitCode.OK);
    expect(captured.stdout()).toMatch(
      /^inspected 1 pod\(s\), 1 job\(s\), 1 event\(s\), 1 deployment\(s\), 2 operator log line\(s\) \(2 log entries\)$/m,
    );
    expect(captured.stdout()).toMatch(/^No known problem found in what was inspected\.$/m);
  });

  it("exits 3 when a log file cannot be read but nothing else is wrong", async () => {
    const { code, report } = await doctorJson(["--from", fixture("healthy.json"), "--logs", fixture("missing.log")]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(report.warnings[0]).toMatch(/--logs .*missing\.log: cannot read \(ENOENT/);
  });

  it("rejects unusable input with a one-line UserError", async () => {
    await expect(runDoctorCommand(["--from", fixture("operator.log")], captureIo().io)).rejects.toThrow(
      /--from .*operator\.log: not valid JSON/,
    );
    await expect(runDoctorCommand(["--from", fixture("healthy.json"), "--context", "x"], captureIo().io)).rejects.toBeInstanceOf(UserError);
    await expect(runDoctorCommand(["--format", "yaml", "--from", fixture("healthy.json")], captureIo().io)).rejects.toThrow(/--format/);
  });
});

describe("doctor rules", () => {
  it("every rule has a unique id, a cause and at least one fix naming a module setting and a chart value", () => {
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    const evidence = {
      namespace: "trivy-system",
      signals: [],
      completedScanJobsWithTtl: [],
      scanJobsConcurrentLimit: undefined,
      operatorDeploymentFound: undefined,
      scanJobObjects: 0,
      counts: { pods: 0, jobs: 0, events: 0, deployments: 0, logLines: 0, logEntries: 0 },
    };
    for (const rule of RULES) {
      expect(rule.cause.length, rule.id).toBeGreaterThan(20);
      const fixes = rule.fixes([{ subject: "s", location: "l", excerpt: "e" }], evidence);
      expect(fixes.length, rule.id).toBeGreaterThan(0);
      for (const fix of fixes) {
        expect(fix.moduleSetting.trim(), rule.id).not.toBe("");
        expect(fix.chartValue.trim(), rule.id).not.toBe("");
      }
    }
  });

  it("parses the real seed log lines and extracts taints and image globs", () => {
    const { signals } = readLog(
      '{"level":"error","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-5c498d8bc6","container":"prometheus","status.reason":"OOMKilled","status.message":""}\nnot json at all\n',
      "op.log",
    );
    expect(signals).toEqual([
      expect.objectContaining({ component: "scan-job", reason: "OOMKilled", container: "prometheus", location: "op.log line 1" }),
    ]);
    expect(
      taintsFromMessages([
        {
          subject: "",
          location: "",
          excerpt: "1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) had untolerated taint {node-role.kubernetes.io/master: }",
        },
      ]),
    ).toEqual(['{ key: "dedicated", value: "gpu" }', '{ key: "node-role.kubernetes.io/master" }']);
    expect(
      imageGlobsFromMessages([
        {
          subject: "",
          location: "",
          excerpt: "docker error: unable to inspect the image (mcr.microsoft.com/windows/nanoserver:ltsc2022): Cannot connect",
        },
      ]),
    ).toEqual(["mcr.microsoft.com/windows/nanoserver:*"]);
  });
});

describe("doctor live, with an injected API", () => {
  it("diagnoses a live namespace and warns about a forbidden log read (exit 1)", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(["--context", "prod", "--format", "json"], captured.io, async () => ({
      context: "prod",
      api: {
        async list({ kind }) {
          const page = (items: readonly unknown[]) => ({ items, continueToken: undefined });
          if (kind === "Pod")
            return page([
              {
                metadata: { name: "trivy-operator-abc", labels: { "app.kubernetes.io/name": "trivy-operator" } },
                status: { containerStatuses: [{ name: "trivy-operator", state: { running: {} } }] },
              },
            ]);
          if (kind === "Event")
            return page([
              {
                involvedObject: { kind: "Pod", name: "node-collector-x1" },
                reason: "FailedScheduling",
                type: "Warning",
                message: "0/3 nodes are available: 3 node(s) had untolerated taint {team: data}.",
              },
            ]);
          return page([]);
        },
        listAllNamespaces: onlyWithAllNamespaces,
        podLog: async () =>
          Promise.reject(
            Object.assign(new Error("forbidden"), {
              code: 403,
              body: { message: 'pods "trivy-operator-abc" is forbidden: cannot get resource "pods/log"' },
            }),
          ),
      },
    }));
    const report = JSON.parse(captured.stdout()) as DoctorJson;
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(["node-collector-untolerated-taint"]);
    expect(report.warnings[0]).toMatch(/^context prod: cannot read the logs of pod trivy-operator-abc \(HTTP 403: .*pods\/log/);
  });

  it('exits 2 with one line when the API server is unreachable: nothing inspected is never "no known problem"', async () => {
    const unreachable = Object.assign(
      new Error(
        "request to https://127.0.0.1:1/apis/apps/v1/namespaces/trivy-system/deployments failed, reason: connect ECONNREFUSED 127.0.0.1:1",
      ),
      { code: "ECONNREFUSED" },
    );
    const run = runDoctorCommand(["--context", "gone"], captureIo().io, async () => ({
      context: "gone",
      api: { list: async () => Promise.reject(unreachable), listAllNamespaces: onlyWithAllNamespaces, podLog: async () => "" },
    }));
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toMatchObject({
      exitCode: ExitCode.USAGE,
      message: expect.stringMatching(
        /^nothing inspected in context gone: cannot read from the API server \(request to https:\/\/127\.0\.0\.1:1.*ECONNREFUSED/,
      ),
    });
  });
});

describe('doctor never says "no known problem" about nothing', () => {
  const scratch = mkdtempSync(join(tmpdir(), "doctor-nothing-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (name: string, content: string): string => {
    const path = join(scratch, name);
    writeFileSync(path, content);
    return path;
  };
  const rejects = async (args: string[], message: RegExp): Promise<void> => {
    const run = runDoctorCommand(args, captureIo().io);
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringMatching(message) });
  };

  it("rejects an empty capture (kubectl's answer for a namespace with nothing in it) with a hint at the namespace", async () => {
    const empty = write(
      "empty-list.json",
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [], metadata: { resourceVersion: "" } }),
    );
    await rejects(
      ["--from", empty],
      /^nothing inspected: --from .*empty-list\.json: an empty list \(kubectl found no pods, jobs, events or deployments: wrong namespace\? the module installs into trivy-system\)$/,
    );
  });

  it("rejects report objects passed as evidence, naming what it found", async () => {
    const report = parseYaml(
      readFileSync(resolve(__dirname, "../../fixtures/reports/vulnerabilityreport.replicaset-nginx.yaml"), "utf8"),
    ) as unknown;
    const reports = write("reports.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: [report, report] }));
    await rejects(
      ["--from", reports],
      /^nothing inspected: --from .*reports\.json: no Pod, Job, Event or Deployment in it \(found 2 VulnerabilityReport\); doctor reads the output of kubectl get pods,jobs,events,deployments -n <namespace> -o json, not report objects$/,
    );
  });

  it("rejects an empty log and a file that is not a log when they are all there is", async () => {
    await rejects(["--logs", write("empty.log", "\n\n")], /^nothing inspected: --logs .*empty\.log: empty$/);
    await rejects(
      ["--logs", write("report.yaml", "apiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata:\n  name: x\n")],
      /^nothing inspected: --logs .*report\.yaml: 4 line\(s\), none of them an operator log entry \(zap JSON or console\) or an error line$/,
    );
  });

  it("diagnoses what it could inspect and warns about the unusable part (exit 3 when nothing is wrong)", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(
      ["--from", fixture("healthy.json"), "--logs", write("empty-too.log", ""), "--format", "json"],
      captured.io,
    );
    expect(code).toBe(ExitCode.PARTIAL);
    expect(JSON.parse(captured.stdout())).toMatchObject({
      problems: [],
      warnings: [expect.stringMatching(/--logs .*empty-too\.log: empty$/)],
    });
  });

  it("takes the namespace from the captured objects, and warns when --namespace names another", async () => {
    const { report: fromObjects } = await doctorJson(["--from", fixture("healthy.json"), "--logs", fixture("healthy.log")]);
    expect(fromObjects).toMatchObject({ namespace: "trivy-system" });
    const captured = captureIo();
    await runDoctorCommand(
      ["--from", fixture("healthy.json"), "--logs", fixture("healthy.log"), "-n", "security", "--format", "json"],
      captured.io,
    );
    expect(JSON.parse(captured.stdout())).toMatchObject({
      namespace: "security",
      warnings: [expect.stringMatching(/its objects are in namespace trivy-system, not security \(--namespace\)$/)],
    });
  });

  it("rejects a live namespace with nothing in it (wrong -n)", async () => {
    const run = runDoctorCommand(["--context", "prod", "-n", "trivy"], captureIo().io, async () => ({
      context: "prod",
      api: {
        list: async () => ({ items: [], continueToken: undefined }),
        listAllNamespaces: onlyWithAllNamespaces,
        podLog: async () => "",
      },
    }));
    await expect(run).rejects.toMatchObject({
      exitCode: ExitCode.USAGE,
      message:
        'nothing inspected in context prod: namespace "trivy" has no Pods, Jobs, Events or Deployments: wrong namespace? (-n; the module installs into trivy-system)',
    });
  });

  it("diagnoses a capture made with kubectl logs --timestamps --prefix as the bare one", async () => {
    const bare = readFileSync(fixture("operator.log"), "utf8");
    const decorated = write(
      "decorated.log",
      bare
        .split("\n")
        .map((line, index) =>
          line
            ? `[pod/trivy-operator-7d9f8c6b5-x2k4p/trivy-operator] 2024-10-03T08:${String(index).padStart(2, "0")}:00.123456789Z ${line}`
            : line,
        )
        .join("\n"),
    );
    const summary = (report: DoctorJson) => report.problems.map((problem) => [problem.ruleId, problem.occurrences.length]);
    const plain = await doctorJson(["--from", fixture("pods-jobs-events.json"), "--logs", fixture("operator.log")]);
    const withDecorations = await doctorJson(["--from", fixture("pods-jobs-events.json"), "--logs", decorated]);
    expect(summary(withDecorations.report)).toEqual(summary(plain.report));
    expect(withDecorations.code).toBe(plain.code);
  });

  it("says in its output what it inspected, and what survives a deleted failed scan Job", async () => {
    const captured = captureIo();
    await runDoctorCommand(["--from", fixture("pods-jobs-events.json"), "--logs", fixture("operator.log")], captured.io);
    const text = captured.stdout();
    expect(text).toMatch(
      /^inspected 3 pod\(s\), 4 job\(s\), 3 event\(s\), 1 deployment\(s\), 10 operator log line\(s\) \(9 log entries\)$/m,
    );
    expect(text).toMatch(
      /^failed scans: the operator deletes a failed scan Job at once; what survives is its Events \(BackoffLimitExceeded, DeadlineExceeded, pod events; kept about 1 h by the API server\) and the operator's "Scan job container" log lines/m,
    );
    expect(text).toMatch(
      /^ {2}- scan-vulnerabilityreport-5c498d8bc6: containerStatuses: terminated, .*operator\.log line 5 → scan-job-oom-killed$/m,
    );
  });
});

describe("doctor on a workload namespace (trivyOperator.scanJobsInSameNamespace)", () => {
  const shop = (JSON.parse(readFileSync(fixture("workload-namespace.json"), "utf8")) as { items: Array<{ metadata: { name: string } }> })
    .items;
  const scratch = mkdtempSync(join(tmpdir(), "doctor-workload-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const capture = (name: string, items: readonly unknown[]): string => {
    const path = join(scratch, name);
    writeFileSync(path, JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    return path;
  };
  const notesOf = (stdout: string): string[] => (JSON.parse(stdout) as { notes: string[] }).notes;

  it("diagnoses the scan Jobs there and does not call the operator missing", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(["--from", fixture("workload-namespace.json"), "--format", "json"], captured.io);
    const report = JSON.parse(captured.stdout()) as DoctorJson;
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(["scan-job-oom-killed"]);
    expect(notesOf(captured.stdout())).toContainEqual(
      expect.stringMatching(
        /^namespace shop holds 2 scan Job object\(s\) .* no trivy-operator Deployment: read as a workload namespace .*scanJobsInSameNamespace; run doctor on the operator's namespace as well \(-n trivy-system by default\)/,
      ),
    );
  });

  it("still calls the operator missing in a namespace without scan Jobs", async () => {
    const captured = captureIo();
    const withoutScans = shop.filter((object) => !object.metadata.name.startsWith("scan-"));
    await runDoctorCommand(["--from", capture("shop-no-scans.json", withoutScans), "--format", "json"], captured.io);
    const report = JSON.parse(captured.stdout()) as DoctorJson;
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(["operator-deployment-missing"]);
    expect(notesOf(captured.stdout()).join("\n")).not.toMatch(/workload namespace/);
  });

  it("reads a live workload namespace the same way", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(["--context", "prod", "-n", "shop", "--format", "json"], captured.io, async () => ({
      context: "prod",
      api: {
        async list({ kind, namespace }) {
          expect(namespace).toBe("shop");
          const items = shop.filter((object) => (object as { kind?: string }).kind === kind);
          return { items, continueToken: undefined };
        },
        listAllNamespaces: onlyWithAllNamespaces,
        podLog: async () => "",
      },
    }));
    const report = JSON.parse(captured.stdout()) as DoctorJson;
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(["scan-job-oom-killed"]);
    expect(notesOf(captured.stdout())).toContainEqual(expect.stringMatching(/^namespace shop holds 2 scan Job object\(s\)/));
  });
});
