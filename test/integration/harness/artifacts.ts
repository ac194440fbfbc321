import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ALL_REPORT_PLURALS, REPORT_API_GROUP } from "./reports";
import type { CommandRunner } from "./command-runner";

/** One thing to save when the scenario fails. */
export interface ArtifactStep {
  readonly description: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Where stdout goes, relative to the artifacts dir; undefined when the command writes its own files. */
  readonly outputFile?: string;
  readonly timeoutMs: number;
  /** Exit codes that still mean "output saved"; default [0]. */
  readonly okExitCodes?: readonly number[];
}

export interface ArtifactContext {
  readonly clusterName: string;
  readonly kubeconfigPath: string;
  readonly kubeContext: string;
  readonly operatorNamespace: string;
  /** A directory of its own for this run, e.g. test-results/<cluster name>. */
  readonly runDir: string;
  /** The built CLI (dist/cli/main.js); when given, the product's own `doctor` diagnoses the failure too. */
  readonly cliEntry?: string;
}

/**
 * What to collect, in order of usefulness, before the cluster is deleted: kind's node logs,
 * the operator's log, every report as YAML, and the state that explains missing reports (pods,
 * scan jobs, events, network policies, nodes with their taints).
 */
export function failureArtifactPlan(context: ArtifactContext): ArtifactStep[] {
  const kubectl = (args: readonly string[]) => ["--kubeconfig", context.kubeconfigPath, "--context", context.kubeContext, ...args];
  const steps: ArtifactStep[] = [
    {
      description: "kind node logs (kubelet, containerd, pods)",
      file: "kind",
      args: ["export", "logs", join(context.runDir, "kind-logs"), "--name", context.clusterName],
      timeoutMs: 120_000,
    },
    {
      description: "operator log",
      file: "kubectl",
      args: kubectl(["logs", "--namespace", context.operatorNamespace, "deployment/trivy-operator", "--all-containers", "--tail=-1"]),
      outputFile: "operator.log",
      timeoutMs: 60_000,
    },
    {
      description: "pods and jobs of all namespaces",
      file: "kubectl",
      args: kubectl(["get", "pods,jobs", "--all-namespaces", "--output", "wide"]),
      outputFile: "pods-and-jobs.txt",
      timeoutMs: 30_000,
    },
    {
      description: "events of all namespaces",
      file: "kubectl",
      args: kubectl(["get", "events", "--all-namespaces", "--sort-by", ".lastTimestamp"]),
      outputFile: "events.txt",
      timeoutMs: 30_000,
    },
    {
      description: "nodes with labels and taints",
      file: "kubectl",
      args: kubectl(["get", "nodes", "--output", "yaml"]),
      outputFile: "nodes.yaml",
      timeoutMs: 30_000,
    },
    {
      description: "network policies",
      file: "kubectl",
      args: kubectl(["get", "networkpolicies", "--all-namespaces", "--output", "yaml"]),
      outputFile: "networkpolicies.yaml",
      timeoutMs: 30_000,
    },
  ];
  if (context.cliEntry !== undefined) {
    // The product's diagnosis of failed scans, on the very cluster that failed: often names the cause outright.
    steps.push({
      description: "trivy-operator-cdktf doctor (the product's diagnosis)",
      file: process.execPath,
      args: [
        context.cliEntry,
        "doctor",
        "--kubeconfig",
        context.kubeconfigPath,
        "--context",
        context.kubeContext,
        "--namespace",
        context.operatorNamespace,
      ],
      outputFile: "doctor.txt",
      timeoutMs: 120_000,
      // 1 = problems found, 3 = found nothing but could not read everything: both are a diagnosis.
      okExitCodes: [0, 1, 3],
    });
  }
  for (const plural of ALL_REPORT_PLURALS) {
    steps.push({
      description: `${plural} as YAML`,
      file: "kubectl",
      args: kubectl(["get", `${plural}.${REPORT_API_GROUP}`, "--all-namespaces", "--output", "yaml"]),
      outputFile: join("reports", `${plural}.yaml`),
      timeoutMs: 30_000,
    });
  }
  return steps;
}

/**
 * Runs every step and never throws: a broken cluster is exactly when some steps fail, and the
 * others must still be saved. Failures are written next to the output they should have produced.
 */
export async function collectArtifacts(
  steps: readonly ArtifactStep[],
  runDir: string,
  runner: CommandRunner,
  log: (line: string) => void = (line) => console.log(line),
): Promise<void> {
  await mkdir(runDir, { recursive: true });
  log(`saving failure artifacts to ${runDir}`);
  for (const step of steps) {
    const result = await runner(step.file, step.args, { timeoutMs: step.timeoutMs });
    const ok = result.exitCode !== null && (step.okExitCodes ?? [0]).includes(result.exitCode);
    if (step.outputFile !== undefined) {
      const target = join(runDir, step.outputFile);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(
        target,
        ok
          ? result.stdout
          : `# ${result.command}\n# failed (exit ${result.exitCode}, timed out: ${result.timedOut})\n${result.stderr}\n${result.stdout}`,
      );
    }
    log(`  ${ok ? "saved " : "FAILED"} ${step.description}`);
  }
}
