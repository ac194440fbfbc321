import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectArtifacts, failureArtifactPlan, type ArtifactStep } from "../../integration/harness/artifacts";
import type { CommandResult, CommandRunner } from "../../integration/harness/command-runner";

const context = {
  clusterName: "trivy-e2e-1",
  kubeconfigPath: "/tmp/run/kubeconfig",
  kubeContext: "kind-trivy-e2e-1",
  operatorNamespace: "trivy-system",
  runDir: "/repo/test-results/trivy-e2e-1",
};

describe("failureArtifactPlan", () => {
  const plan = failureArtifactPlan(context);

  it("exports kind's node logs first, into the run's directory", () => {
    expect(plan[0]).toMatchObject({
      file: "kind",
      args: ["export", "logs", "/repo/test-results/trivy-e2e-1/kind-logs", "--name", "trivy-e2e-1"],
    });
  });

  it("saves the operator log from the operator namespace", () => {
    const operatorLog = plan.find((step) => step.outputFile === "operator.log");

    expect(operatorLog?.args).toEqual(expect.arrayContaining(["logs", "--namespace", "trivy-system", "deployment/trivy-operator"]));
  });

  it("saves every report kind as YAML, cluster-wide", () => {
    const reportSteps = plan.filter((step) => step.outputFile?.startsWith("reports/"));

    expect(reportSteps.map((step) => step.outputFile)).toEqual(
      expect.arrayContaining([
        "reports/vulnerabilityreports.yaml",
        "reports/configauditreports.yaml",
        "reports/clusterinfraassessmentreports.yaml",
      ]),
    );
    expect(reportSteps.length).toBe(12);
    for (const step of reportSteps) {
      expect(step.args).toEqual(expect.arrayContaining(["--all-namespaces", "--output", "yaml"]));
    }
  });

  it("points every kubectl call at the run's kubeconfig and context, never the user's default", () => {
    for (const step of plan.filter((candidate) => candidate.file === "kubectl")) {
      expect(step.args.slice(0, 4)).toEqual(["--kubeconfig", "/tmp/run/kubeconfig", "--context", "kind-trivy-e2e-1"]);
    }
  });

  it("bounds every step with a timeout", () => {
    expect(plan.every((step) => step.timeoutMs > 0 && step.timeoutMs <= 120_000)).toBe(true);
  });

  it("runs the product's doctor on the failed cluster only when the built CLI is given", () => {
    const withCli = failureArtifactPlan({ ...context, cliEntry: "/repo/dist/cli/main.js" });
    const doctor = withCli.find((step) => step.outputFile === "doctor.txt");

    expect(plan.some((step) => step.outputFile === "doctor.txt")).toBe(false);
    expect(doctor?.file).toBe(process.execPath);
    expect(doctor?.args).toEqual([
      "/repo/dist/cli/main.js",
      "doctor",
      "--kubeconfig",
      "/tmp/run/kubeconfig",
      "--context",
      "kind-trivy-e2e-1",
      "--namespace",
      "trivy-system",
    ]);
    // Exit 1 means "problems found": that is the diagnosis, not a failed step.
    expect(doctor?.okExitCodes).toEqual([0, 1, 3]);
  });
});

describe("collectArtifacts", () => {
  it("writes outputs, records failures in place, and carries on after a failing step", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "artifacts-test-"));
    const steps: ArtifactStep[] = [
      { description: "broken", file: "kubectl", args: ["logs"], outputFile: "operator.log", timeoutMs: 1000 },
      { description: "reports", file: "kubectl", args: ["get"], outputFile: "reports/vulnerabilityreports.yaml", timeoutMs: 1000 },
    ];
    const runner: CommandRunner = async (file, args) => {
      const failed: CommandResult = {
        command: `${file} ${args.join(" ")}`,
        exitCode: 1,
        stdout: "",
        stderr: "deployment not found",
        timedOut: false,
        notFound: false,
      };
      return args[0] === "logs" ? failed : { ...failed, exitCode: 0, stdout: "items: []\n", stderr: "" };
    };
    const lines: string[] = [];

    await collectArtifacts(steps, runDir, runner, (line) => lines.push(line));

    expect(await readFile(join(runDir, "operator.log"), "utf8")).toMatch(
      /# kubectl logs\n# failed \(exit 1, timed out: false\)\ndeployment not found/,
    );
    expect(await readFile(join(runDir, "reports", "vulnerabilityreports.yaml"), "utf8")).toBe("items: []\n");
    expect(lines.slice(1)).toEqual(["  FAILED broken", "  saved  reports"]);
  });

  it("saves the output of a step whose non-zero exit code is listed as ok", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "artifacts-test-"));
    const steps: ArtifactStep[] = [
      { description: "doctor", file: "node", args: ["doctor"], outputFile: "doctor.txt", timeoutMs: 1000, okExitCodes: [0, 1] },
    ];
    const runner: CommandRunner = async () => ({
      command: "node doctor",
      exitCode: 1,
      stdout: "1. Scan jobs are OOMKilled\n",
      stderr: "",
      timedOut: false,
      notFound: false,
    });
    const lines: string[] = [];

    await collectArtifacts(steps, runDir, runner, (line) => lines.push(line));

    expect(await readFile(join(runDir, "doctor.txt"), "utf8")).toBe("1. Scan jobs are OOMKilled\n");
    expect(lines.slice(1)).toEqual(["  saved  doctor"]);
  });
});
