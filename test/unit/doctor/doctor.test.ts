import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runDoctorCommand } from "../../../cli/doctor/command";
import { signalsFromLog } from "../../../cli/doctor/evidence";
import { imageGlobsFromMessages, RULES, taintsFromMessages } from "../../../cli/doctor/rules";
import { ExitCode, UserError } from "../../../cli/io";
import { captureIo } from "../report/helpers";

const FIXTURES = resolve(__dirname, "../../fixtures/doctor");
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
        "node-collector-untolerated-taint",
        "operator-oom-or-crash-loop",
        "private-registry-unauthorized",
        "sbom-multiple-os-components",
        "scan-deadline-exceeded",
        "scan-job-oom-killed",
        "scan-job-untolerated-taint",
        "windows-image-not-scannable",
      ].sort(),
    );
    const fixOf = (id: string) => report.problems.find((problem) => problem.ruleId === id)?.fixes ?? [];
    expect(fixOf("scan-job-oom-killed").map((fix) => fix.chartValue)).toEqual(["trivy.resources.limits.memory", "operator.scanJobsConcurrentLimit"]);
    expect(fixOf("scan-job-oom-killed")[0]?.moduleSetting).toMatch(/^scanJobResources: \{ limits: \{ memory:/);
    expect(fixOf("node-collector-untolerated-taint")[0]).toMatchObject({ chartValue: "nodeCollector.tolerations", moduleSetting: 'taints: [{ key: "node-role.kubernetes.io/control-plane" }]' });
    expect(fixOf("scan-job-untolerated-taint")[0]).toMatchObject({ chartValue: "trivyOperator.scanJobTolerations", moduleSetting: 'taints: [{ key: "dedicated", value: "infra" }]' });
    expect(fixOf("windows-image-not-scannable")[0]?.moduleSetting).toBe('excludeImages: ["mcr.microsoft.com/oss/calico/windows-upgrade:*"]');
    expect(fixOf("db-download-rate-limited").map((fix) => fix.chartValue)).toEqual(["trivy.dbRegistry, trivy.dbRepository", "operator.builtInTrivyServer"]);
    expect(fixOf("scan-deadline-exceeded").map((fix) => fix.chartValue)).toEqual(["trivy.timeout", "operator.scanJobTimeout"]);
    expect(fixOf("private-registry-unauthorized")[0]?.chartValue).toBe("operator.privateRegistryScanSecretsNames");
    expect(fixOf("api-server-unreachable")[0]?.moduleSetting).toMatch(/apiServerCidrs/);
  });

  it("exits 0 on a healthy namespace and prints text by default", async () => {
    const captured = captureIo();
    const code = await runDoctorCommand(["--from", fixture("healthy.json"), "--logs", fixture("healthy.log")], captured.io);
    expect(code).toBe(ExitCode.OK);
    expect(captured.stdout()).toMatch(/No known problem found\./);
  });

  it("exits 3 when a log file cannot be read but nothing else is wrong", async () => {
    const { code, report } = await doctorJson(["--from", fixture("healthy.json"), "--logs", fixture("missing.log")]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(report.warnings[0]).toMatch(/--logs .*missing\.log: cannot read \(ENOENT/);
  });

  it("rejects unusable input with a one-line UserError", async () => {
    await expect(runDoctorCommand(["--from", fixture("operator.log")], captureIo().io)).rejects.toThrow(/--from .*operator\.log: not valid JSON/);
    await expect(runDoctorCommand(["--from", fixture("healthy.json"), "--context", "x"], captureIo().io)).rejects.toBeInstanceOf(UserError);
    await expect(runDoctorCommand(["--format", "yaml", "--from", fixture("healthy.json")], captureIo().io)).rejects.toThrow(/--format/);
  });
});

describe("doctor rules", () => {
  it("every rule has a unique id, a cause and at least one fix naming a module setting and a chart value", () => {
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    const evidence = { namespace: "trivy-system", signals: [], completedScanJobsWithTtl: [], scanJobsConcurrentLimit: undefined, operatorDeploymentFound: undefined, counts: { pods: 0, jobs: 0, events: 0, deployments: 0, logLines: 0 } };
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
    const signals = signalsFromLog('{"level":"error","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-5c498d8bc6","container":"prometheus","status.reason":"OOMKilled","status.message":""}\nnot json at all\n', "op.log");
    expect(signals).toEqual([expect.objectContaining({ component: "scan-job", reason: "OOMKilled", container: "prometheus", location: "op.log line 1" })]);
    expect(taintsFromMessages([{ subject: "", location: "", excerpt: "1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) had untolerated taint {node-role.kubernetes.io/master: }" }])).toEqual(['{ key: "dedicated", value: "gpu" }', '{ key: "node-role.kubernetes.io/master" }']);
    expect(imageGlobsFromMessages([{ subject: "", location: "", excerpt: "docker error: unable to inspect the image (mcr.microsoft.com/windows/nanoserver:ltsc2022): Cannot connect" }])).toEqual(["mcr.microsoft.com/windows/nanoserver:*"]);
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
          if (kind === "Pod") return page([{ metadata: { name: "trivy-operator-abc", labels: { "app.kubernetes.io/name": "trivy-operator" } }, status: { containerStatuses: [{ name: "trivy-operator", state: { running: {} } }] } }]);
          if (kind === "Event") return page([{ involvedObject: { kind: "Pod", name: "node-collector-x1" }, reason: "FailedScheduling", type: "Warning", message: "0/3 nodes are available: 3 node(s) had untolerated taint {team: data}." }]);
          return page([]);
        },
        podLog: async () => Promise.reject(Object.assign(new Error("forbidden"), { code: 403, body: { message: 'pods "trivy-operator-abc" is forbidden: cannot get resource "pods/log"' } })),
      },
    }));
    const report = JSON.parse(captured.stdout()) as DoctorJson;
    expect(code).toBe(ExitCode.FINDINGS);
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(["node-collector-untolerated-taint"]);
    expect(report.warnings[0]).toMatch(/^context prod: cannot read the logs of pod trivy-operator-abc \(HTTP 403: .*pods\/log/);
  });

  it("exits 2 when the API server is unreachable", async () => {
    const captured = captureIo();
    const unreachable = Object.assign(new Error("request to https://127.0.0.1:1/apis/apps/v1/namespaces/trivy-system/deployments failed, reason: connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const code = await runDoctorCommand(["--context", "gone"], captured.io, async () => ({ context: "gone", api: { list: async () => Promise.reject(unreachable), podLog: async () => "" } }));
    expect(code).toBe(ExitCode.USAGE);
    expect(captured.stderr()).toMatch(/^warning: context gone: cannot read from the API server \(request to https:\/\/127\.0\.0\.1:1.*ECONNREFUSED/m);
  });
});
