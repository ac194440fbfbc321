/**
 * `npm run up`: a local kind cluster (created or reused) with the `ci` stack deployed, waits for
 * the first reports and prints their summary. `npm run down`: deletes it. Same harness code as
 * kind.integ.ts, so what a new user sees on a laptop is what CI tests.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { CLI_ENTRY, cliBuildCommand, reportCommand } from "./harness/cli";
import { execFileRunner, runChecked } from "./harness/command-runner";
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
  // The summary at the end is the product's own `report`, from the built bin, as a user runs it.
  const build = cliBuildCommand(REPO_ROOT);
  log(build.description);
  await runChecked(runner, build.file, build.args, build);
  const cluster = (await kindClusterExists(runner, name))
    ? (log(`reusing kind cluster ${name}`), await useExistingKindCluster(runner, name, environment.playgroundDir))
    : await createKindCluster(runner, name, environment.playgroundDir, log);
  const scenario = { runner, kubectl: new Kubectl(runner, cluster.kubeconfigPath, cluster.context), clusterName: name, log };

  await deployVulnerableWorkload(scenario);
  // The synth output and Terraform state stay in the playground dir, so a second `up` updates in place.
  await deployCiStack(
    runner,
    {
      repoRoot: REPO_ROOT,
      outDir: join(environment.playgroundDir, "cdktf.out"),
      kubeconfigPath: cluster.kubeconfigPath,
      kubeContext: cluster.context,
    },
    log,
  );

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
  const report = reportCommand({ repoRoot: REPO_ROOT, kubeconfigPath: cluster.kubeconfigPath, kubeContext: cluster.context }, "table");
  log(`\n$ node ${CLI_ENTRY} report --kubeconfig ${cluster.kubeconfigPath} --context ${cluster.context}`);
  const table = await runner(report.file, report.args, report);
  log(table.stdout.trimEnd() || "(no output)");
  if (table.stderr.trim()) log(table.stderr.trim());
  // 0 = done, 3 = done with warnings (printed above); anything else means no report was produced.
  if (table.exitCode !== 0 && table.exitCode !== 3) {
    log(`report exited with ${table.exitCode ?? "a signal"}${table.timedOut ? " (timed out)" : ""}`);
    process.exitCode = 1;
  }
  log(
    `\nexplore it:\n  export KUBECONFIG=${cluster.kubeconfigPath}\n  kubectl get vulnerabilityreports,configauditreports -A\n  kubectl get clusterinfraassessmentreports\n  node ${CLI_ENTRY} report --context ${cluster.context} --format html --output report.html\n  node ${CLI_ENTRY} doctor --context ${cluster.context}\nremove it: npm run down`,
  );
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
