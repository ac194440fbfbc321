import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CI_CLUSTER } from "../../stacks/ci-cluster";
import { collectArtifacts, failureArtifactPlan } from "./harness/artifacts";
import {
  checkLiveDoctor,
  checkLiveReport,
  CLI_ENTRY,
  cliBuildCommand,
  doctorCommand,
  reportCommand,
  type LiveCliTarget,
} from "./harness/cli";
import { execFileRunner, runChecked, type CommandResult } from "./harness/command-runner";
import { deployCiStack, type PlannedCommand } from "./harness/deploy-stack";
import { harnessEnvironment, REPO_ROOT } from "./harness/environment";
import { createKindCluster, deleteKindCluster, type KindCluster } from "./harness/kind-cluster";
import { kindContextName, uniqueClusterName } from "./harness/kind-cluster-config";
import { Kubectl } from "./harness/kubectl";
import { missingFor } from "./harness/requirements";
import type { ReportExpectation } from "./harness/reports";
import { deployVulnerableWorkload, expectationsFor, probeDefaultDeny, waitForReport, type ScenarioContext } from "./harness/scenario";
import { VULNERABLE_IMAGE, WORKLOAD_NAMESPACE } from "./harness/workload";

/**
 * The product's promise, end to end: the `ci` stack, applied the way a user applies it, makes
 * Trivy Operator scan a workload on a tainted dedicated node pool, behind default-deny policies.
 */
const missing = missingFor(["docker", "kind", "terraform", "kubectl"]);

/**
 * beforeAll runs build, kind create (10 min), nodes Ready (5), workload (1 + 1 + 1 + 5 + 5), synth (3),
 * init (5) and apply (20). Realistic total is 4-7 min; this bound sits above the realistic total and
 * below the workflow's 35 min cap on the test step, so in practice a step's own deadline (which
 * names the step) fires first, not vitest's anonymous "hook timed out" while terraform keeps running.
 */
const SETUP_TIMEOUT_MS = 30 * 60_000;

describe.skipIf(missing.length > 0)("ci stack on kind with a tainted dedicated worker", () => {
  const environment = harnessEnvironment();
  const runner = execFileRunner;
  const clusterName = uniqueClusterName();
  const log = (line: string): void => console.log(line);
  const expectations = expectationsFor(clusterName);
  let workDir: string | undefined;
  let cluster: KindCluster | undefined;
  let scenario: ScenarioContext | undefined;
  let failed = false;

  function context(): ScenarioContext {
    if (!scenario) {
      throw new Error("the cluster was not set up; see the beforeAll error above");
    }
    return scenario;
  }

  beforeAll(async () => {
    try {
      // First, before minutes of cluster setup: the CLI tests below run the BUILT bin, and this
      // keeps a stale dist/ from being tested (npm ci's `prepare` built it once already).
      const build = cliBuildCommand(REPO_ROOT);
      log(`${build.description}`);
      await runChecked(runner, build.file, build.args, build);
      workDir = await mkdtemp(join(tmpdir(), `${clusterName}-`));
      cluster = await createKindCluster(runner, clusterName, workDir, log);
      scenario = { runner, kubectl: new Kubectl(runner, cluster.kubeconfigPath, cluster.context), clusterName, log };
      // Workload first: the operator scans it as soon as it starts, which saves a scan cycle.
      await deployVulnerableWorkload(scenario);
      await deployCiStack(
        runner,
        { repoRoot: REPO_ROOT, outDir: join(workDir, "cdktf.out"), kubeconfigPath: cluster.kubeconfigPath, kubeContext: cluster.context },
        log,
      );
    } catch (error) {
      failed = true;
      throw error;
    }
  }, SETUP_TIMEOUT_MS);

  afterEach((testContext) => {
    if (testContext.task.result?.state === "fail") {
      failed = true;
    }
  });

  // Always runs, also after a failed beforeAll: artifacts first (they need the cluster), then delete.
  afterAll(async () => {
    try {
      // Also when creation failed half-way: `kind export logs` then still shows why nodes never joined.
      if (failed && workDir) {
        const runDir = join(environment.artifactsDir, clusterName);
        const plan = failureArtifactPlan({
          clusterName,
          kubeconfigPath: cluster?.kubeconfigPath ?? join(workDir, "kubeconfig"),
          kubeContext: kindContextName(clusterName),
          operatorNamespace: CI_CLUSTER.operatorNamespace,
          runDir,
          cliEntry: join(REPO_ROOT, CLI_ENTRY),
        });
        await collectArtifacts(plan, runDir, runner, log);
      }
    } finally {
      if (environment.keepCluster) {
        log(
          `TRIVY_E2E_KEEP_CLUSTER=1: keeping kind cluster ${clusterName} (kubeconfig ${cluster?.kubeconfigPath}); delete it with \`kind delete cluster --name ${clusterName}\``,
        );
      } else {
        // Also when creation failed half-way: kind may have left containers behind.
        await deleteKindCluster(runner, clusterName, log);
        if (workDir) {
          await rm(workDir, { recursive: true, force: true });
        }
      }
    }
  });

  function expectation(plural: ReportExpectation["plural"]): ReportExpectation {
    const found = expectations.find((candidate) => candidate.plural === plural);
    if (!found) {
      throw new Error(`no expectation for ${plural}`);
    }
    return found;
  }

  it("writes a ConfigAuditReport of the workload on the tainted worker", async () => {
    const report = await waitForReport(context(), expectation("configauditreports"), environment.reportTimeoutMs);

    expect(report.report?.summary).toBeDefined();
  });

  it(`writes a VulnerabilityReport with critical findings for ${VULNERABLE_IMAGE}`, async () => {
    const report = await waitForReport(context(), expectation("vulnerabilityreports"), environment.reportTimeoutMs);

    expect(report.report?.summary?.["criticalCount"]).toBeGreaterThan(0);
  });

  it("writes a ClusterInfraAssessmentReport of the tainted worker (node-collector tolerates the taint)", async () => {
    const report = await waitForReport(context(), expectation("clusterinfraassessmentreports"), environment.reportTimeoutMs);

    expect(report.metadata?.labels?.["trivy-operator.resource.name"]).toBe(`${clusterName}-worker`);
  });

  function cliTarget(): LiveCliTarget {
    const { kubectl } = context();
    return { repoRoot: REPO_ROOT, kubeconfigPath: kubectl.kubeconfigPath, kubeContext: kubectl.context };
  }

  /** Runs the built CLI; prints its stderr and keeps stdout under test-results/ for the failure artifacts. */
  async function runCli(command: PlannedCommand, outputName: string): Promise<CommandResult> {
    log(`${command.description}: node ${command.args.join(" ")}`);
    const result = await runner(command.file, command.args, command);
    const runDir = join(environment.artifactsDir, clusterName);
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, outputName), result.stdout);
    if (result.stderr.trim()) log(result.stderr.trim());
    return result;
  }

  // After the three reports (tests run in file order): issue 5's "live clusters" promise, checked
  // with the bin a user runs, the same flags, against the same cluster.
  it("reads the reports live with the built CLI: report --format json", async () => {
    const check = checkLiveReport(await runCli(reportCommand(cliTarget(), "json"), "report.json"), {
      workloadNamespace: WORKLOAD_NAMESPACE,
    });
    log(`report: ${JSON.stringify(check.parsed ?? {})}`);

    expect(check.problems).toEqual([]);
  });

  // Before the network probe, so doctor sees only what the stack deployed in trivy-system.
  it("doctor finds no problem the ci stack is configured to prevent", async () => {
    const check = checkLiveDoctor(await runCli(doctorCommand(cliTarget(), CI_CLUSTER.operatorNamespace, "json"), "doctor.json"), {
      namespace: CI_CLUSTER.operatorNamespace,
    });
    if ((check.parsed?.environmental.length ?? 0) > 0) {
      log(`doctor found environmental problems (not failed): ${check.parsed?.environmental.join(", ")}`);
    }

    expect(check.problems).toEqual([]);
  });

  it("enforces default-deny egress in the operator namespace", async () => {
    const probe = await probeDefaultDeny(context(), clusterName.slice(-6));
    const { fromOperatorNamespace: operator, fromUnrestrictedNamespace: control } = probe;
    log(
      `network probe to ${probe.target}: from ${CI_CLUSTER.operatorNamespace} ${operator.outcome} (${operator.detail}), from an unrestricted namespace ${control.outcome} (${control.detail})`,
    );

    // The control: without it, "blocked" could mean a broken target rather than an enforced policy.
    expect(control.outcome, `the target must be reachable from a namespace without policies (${control.detail})`).toBe("reachable");
    expect(operator.outcome, "the operator namespace must not reach a destination its policies do not allow").toBe("blocked");
  });
});
