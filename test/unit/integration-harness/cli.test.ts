import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runDoctorCommand } from "../../../cli/doctor/command";
import { RULES } from "../../../cli/doctor/rules";
import { runReportCommand } from "../../../cli/report/command";
import {
  checkLiveDoctor,
  checkLiveReport,
  CLI_ENTRY,
  cliBuildCommand,
  doctorCommand,
  ENVIRONMENTAL_DOCTOR_RULES,
  reportCommand,
} from "../../integration/harness/cli";
import type { CommandResult } from "../../integration/harness/command-runner";
import { captureIo } from "../report/helpers";

/**
 * The live CLI checks of kind.integ.ts, offline: argv as the real bin gets it, and the JSON
 * judged from the real commands' output on the fixtures (run in-process), so a renamed field in
 * `report`/`doctor --format json` fails here and not first on a user's runner.
 */
const REPO = resolve(__dirname, "../../..");
const target = { repoRoot: "/repo", kubeconfigPath: "/tmp/run/kubeconfig", kubeContext: "kind-trivy-e2e-1" };

function result(exitCode: number | null, stdout: string, stderr = ""): CommandResult {
  return { command: "node dist/cli/main.js", exitCode, stdout, stderr, timedOut: false, notFound: false };
}

async function realReport(args: string[]): Promise<CommandResult> {
  const captured = captureIo();
  const code = await runReportCommand([...args, "--format", "json", "--now", "2024-05-01T00:00:00Z"], captured.io);
  return result(code, captured.stdout(), captured.stderr());
}

async function realDoctor(args: string[]): Promise<CommandResult> {
  const captured = captureIo();
  const code = await runDoctorCommand([...args, "--format", "json"], captured.io);
  return result(code, captured.stdout(), captured.stderr());
}

const reportFixture = (name: string): string => join(REPO, "test/fixtures/reports", name);
const doctorFixture = (name: string): string => join(REPO, "test/fixtures/doctor", name);

describe("CLI commands of the live checks", () => {
  it("builds with exactly what `npm run build` runs, under the current node", () => {
    const packageJson = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    const build = cliBuildCommand("/repo");

    expect(packageJson.scripts["build"]).toBe("tsc -p tsconfig.build.json");
    expect(build.file).toBe(process.execPath);
    expect(build.args).toEqual(["/repo/node_modules/typescript/bin/tsc", "-p", "/repo/tsconfig.build.json"]);
    // The bin a user gets from `npx trivy-operator-cdktf` is the file the checks run.
    expect(packageJson.bin["trivy-operator-cdktf"]).toBe(CLI_ENTRY);
  });

  it("runs report on the built bin with the run's kubeconfig and context", () => {
    const command = reportCommand(target, "json");

    expect(command.file).toBe(process.execPath);
    expect(command.args).toEqual([
      "/repo/dist/cli/main.js",
      "report",
      "--kubeconfig",
      "/tmp/run/kubeconfig",
      "--context",
      "kind-trivy-e2e-1",
      "--format",
      "json",
    ]);
    expect(command.timeoutMs).toBeGreaterThan(0);
  });

  it("runs doctor on the operator namespace with the run's kubeconfig and context", () => {
    const command = doctorCommand(target, "trivy-system", "json");

    expect(command.args).toEqual([
      "/repo/dist/cli/main.js",
      "doctor",
      "--kubeconfig",
      "/tmp/run/kubeconfig",
      "--context",
      "kind-trivy-e2e-1",
      "--namespace",
      "trivy-system",
      "--format",
      "json",
    ]);
  });

  it("passes only options the real commands accept (each parses without a usage error)", async () => {
    // --help short-circuits after parsing: a misspelt option would be a usage error (UserError) instead.
    const reportArgs = [...reportCommand(target, "json").args.slice(2), "--help"];
    const doctorArgs = [...doctorCommand(target, "trivy-system", "json").args.slice(2), "--help"];

    await expect(runReportCommand(reportArgs, captureIo().io)).resolves.toBe(0);
    await expect(runDoctorCommand(doctorArgs, captureIo().io)).resolves.toBe(0);
  });
});

describe("checkLiveReport", () => {
  const files = ["vulnerabilityreport.replicaset-nginx.yaml", "configauditreport.replicaset-nginx.yaml"].map(reportFixture);

  it("passes on the real report JSON of a namespace with critical vulnerabilities and a ConfigAuditReport", async () => {
    const check = checkLiveReport(await realReport([...files, "--cluster", "kind-x"]), { workloadNamespace: "default" });

    expect(check.problems).toEqual([]);
    expect(check.parsed).toMatchObject({ vulnerabilityReports: 1, configAuditReports: 1 });
    expect(check.parsed?.totals.critical).toBeGreaterThan(0);
    expect(check.parsed?.workloadNamespaceCritical).toBeGreaterThan(0);
  });

  it("names the workload namespace when it is missing", async () => {
    const check = checkLiveReport(await realReport([...files, "--cluster", "kind-x"]), { workloadNamespace: "trivy-e2e-workload" });

    expect(check.problems).toEqual([expect.stringMatching(/^namespace trivy-e2e-workload is not in byNamespace \(seen: default\)$/)]);
  });

  it("fails without a ConfigAuditReport, and without critical vulnerabilities", async () => {
    const noAudit = checkLiveReport(await realReport([files[0] as string]), { workloadNamespace: "default" });
    // One HIGH vulnerability in kube-system, nothing critical.
    const noCritical = checkLiveReport(await realReport([reportFixture("vulnerabilityreport.vulnerability-ttl.yaml")]), {
      workloadNamespace: "kube-system",
    });

    expect(noAudit.problems).toEqual([expect.stringContaining("reportsByKind.ConfigAuditReport is 0")]);
    expect(noCritical.problems).toEqual([
      expect.stringContaining("totals.critical is 0"),
      "byNamespace kube-system has 0 critical vulnerabilities, expected > 0",
      expect.stringContaining("reportsByKind.ConfigAuditReport is 0"),
    ]);
  });

  it("fails on exit 3 (part of the input unreadable) even when the numbers are fine", async () => {
    const partial = await realReport([...files, reportFixture("vulnerabilityreport.replicaset-nginx-extended.INVALID.yaml")]);

    expect(partial.exitCode).toBe(3);
    expect(checkLiveReport(partial, { workloadNamespace: "default" }).problems).toEqual([
      expect.stringMatching(/^report exited with 3, expected 0 .*stderr: warning: /),
    ]);
  });

  it("reports stderr when there is no JSON at all (unreachable context: exit 2)", () => {
    const check = checkLiveReport(result(2, "", "warning: context kind-x: cannot reach the API server\nreport: no input could be read"), {
      workloadNamespace: "default",
    });

    expect(check.problems).toEqual([
      expect.stringContaining("report exited with 2"),
      expect.stringMatching(/did not print JSON on stdout \(exit 2\); stderr: warning: context kind-x: cannot reach the API server/),
    ]);
    expect(check.parsed).toBeUndefined();
  });
});

describe("checkLiveDoctor", () => {
  it("treats only rules that exist in the product as environmental", () => {
    const ruleIds = RULES.map((rule) => rule.id);

    for (const id of ENVIRONMENTAL_DOCTOR_RULES) {
      expect(ruleIds).toContain(id);
    }
    // The rules the ci stack's settings prevent must stay failures.
    for (const prevented of [
      "scan-job-oom-killed",
      "scan-job-untolerated-taint",
      "node-collector-untolerated-taint",
      "api-server-unreachable",
      "dns-resolution-failed",
    ]) {
      expect(ENVIRONMENTAL_DOCTOR_RULES.has(prevented)).toBe(false);
    }
  });

  it("passes on the real doctor JSON of a healthy namespace (exit 0)", async () => {
    const run = await realDoctor(["--from", doctorFixture("healthy.json"), "--logs", doctorFixture("healthy.log")]);
    const check = checkLiveDoctor(run, { namespace: "trivy-system" });

    expect(run.exitCode).toBe(0);
    expect(check.problems).toEqual([]);
    expect(check.parsed).toEqual({ ruleIds: [], environmental: [] });
  });

  it("fails on the field report's problems, naming each prevented rule", async () => {
    const run = await realDoctor(["--from", doctorFixture("pods-jobs-events.json"), "--logs", doctorFixture("operator.log")]);
    const check = checkLiveDoctor(run, { namespace: "trivy-system" });

    expect(run.exitCode).toBe(1);
    expect(check.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^doctor found scan-job-oom-killed, which the ci stack is configured to prevent: /),
        expect.stringMatching(/^doctor found node-collector-untolerated-taint, /),
      ]),
    );
    expect(check.problems.some((problem) => problem.includes("db-download-rate-limited"))).toBe(false);
    expect(check.parsed?.environmental).toEqual(expect.arrayContaining(["db-download-rate-limited"]));
  });

  it("accepts exit 1 when every problem is environmental, and logs them", () => {
    const json = {
      namespace: "trivy-system",
      problems: [{ ruleId: "db-download-rate-limited", occurrences: [{ subject: "Job x", location: "log", excerpt: "TOOMANYREQUESTS" }] }],
      inspected: { pods: 3, jobs: 1, events: 4, deployments: 1, logLines: 120 },
    };

    expect(checkLiveDoctor(result(1, JSON.stringify(json)), { namespace: "trivy-system" })).toEqual({
      problems: [],
      parsed: { ruleIds: ["db-download-rate-limited"], environmental: ["db-download-rate-limited"] },
    });
  });

  it("fails when doctor did not read the live namespace (no deployment, no log) or read only part of it (exit 3)", () => {
    const json = { namespace: "trivy-system", problems: [], inspected: { pods: 0, jobs: 0, events: 0, deployments: 0, logLines: 0 } };
    const check = checkLiveDoctor(result(3, JSON.stringify(json), "warning: context kind-x: cannot list Pods"), {
      namespace: "trivy-system",
    });

    expect(check.problems).toEqual([
      expect.stringMatching(/^doctor exited with 3, expected 0/),
      expect.stringContaining("inspected.deployments = 0"),
      expect.stringContaining("inspected.pods = 0"),
      expect.stringContaining("inspected.logLines = 0"),
    ]);
  });

  it("fails when the exit code contradicts the listed problems, or the namespace is another one", () => {
    const json = { namespace: "default", problems: [], inspected: { pods: 1, jobs: 0, events: 0, deployments: 1, logLines: 5 } };

    expect(checkLiveDoctor(result(1, JSON.stringify(json)), { namespace: "trivy-system" }).problems).toEqual([
      "doctor inspected namespace default, expected trivy-system",
      "doctor exit code 1 does not match its 0 listed problem(s)",
    ]);
  });
});
