/**
 * `npm run up`: a local kind cluster (created or reused) with the `ci` stack deployed, waits for
 * the first reports and prints their summary. `npm run down`: deletes it. Same harness code as
 * kind.integ.ts, so what a new user sees on a laptop is what CI tests.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { execFileRunner } from "./harness/command-runner";
import { deployCiStack } from "./harness/deploy-stack";
import { harnessEnvironment, REPO_ROOT, type HarnessEnvironment } from "./harness/environment";
import { createKindCluster, deleteKindCluster, kindClusterExists, useExistingKindCluster } from "./harness/kind-cluster";
import { Kubectl } from "./harness/kubectl";
import { formatDuration } from "./harness/poller";
import { gate } from "./harness/preflight-gate";
import type { ReportExpectation, ReportObject } from "./harness/reports";
import { deployVulnerableWorkload, expectationsFor, summarizeReports, waitForReport } from "./harness/scenario";

const USAGE = "usage: tsx test/integration/playground.ts up|down   (npm run up / npm run down)";
const log = (line: string): void => console.log(line);

async function up(environment: HarnessEnvironment): Promise<void> {
  const startedAt = Date.now();
  const runner = execFileRunner;
  const name = environment.playgroundClusterName;
  const cluster = (await kindClusterExists(runner, name))
    ? (log(`reusing kind cluster ${name}`), await useExistingKindCluster(runner, name, environment.playgroundDir))
    : await createKindCluster(runner, name, environment.playgroundDir, log);
  const scenario = { runner, kubectl: new Kubectl(runner, cluster.kubeconfigPath, cluster.context), clusterName: name, log };

  await deployVulnerableWorkload(scenario);
  // The synth output and Terraform state stay in the playground dir, so a second `up` updates in place.
  await deployCiStack(runner, { repoRoot: REPO_ROOT, outDir: join(environment.playgroundDir, "cdktf.out"), kubeconfigPath: cluster.kubeconfigPath, kubeContext: cluster.context }, log);

  const found: Array<{ expectation: ReportExpectation; report: ReportObject }> = [];
  const timedOut: string[] = [];
  for (const expectation of expectationsFor(name)) {
    try {
      found.push({ expectation, report: await waitForReport(scenario, expectation, environment.reportTimeoutMs) });
    } catch (error) {
      // Keep going: a missing VulnerabilityReport (DB download) should not hide the node report.
      timedOut.push(error instanceof Error ? error.message : String(error));
    }
  }

  log(`\nplayground ${name} is up after ${formatDuration(Date.now() - startedAt)}`);
  log(`reports:\n${found.length > 0 ? summarizeReports(found) : "  none yet"}`);
  for (const message of timedOut) {
    log(`  not yet: ${message}`);
  }
  log(`\nexplore it:\n  export KUBECONFIG=${cluster.kubeconfigPath}\n  kubectl get vulnerabilityreports,configauditreports -A\n  kubectl get clusterinfraassessmentreports\nremove it: npm run down`);
  if (timedOut.length > 0) {
    process.exitCode = 1;
  }
}

async function down(environment: HarnessEnvironment): Promise<void> {
  await deleteKindCluster(execFileRunner, environment.playgroundClusterName, log);
  await rm(environment.playgroundDir, { recursive: true, force: true });
  log(`deleted kind cluster ${environment.playgroundClusterName} and ${environment.playgroundDir}`);
}

async function main(command: string | undefined): Promise<void> {
  if (command !== "up" && command !== "down") {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const environment = harnessEnvironment();
  // `down` only needs kind and Docker; `up` needs everything the suite needs.
  await gate(environment, "playground", undefined, command === "down" ? ["docker", "kind"] : undefined);
  await (command === "up" ? up(environment) : down(environment));
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
