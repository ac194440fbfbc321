import { access } from "node:fs/promises";
import { join } from "node:path";
import { runChecked, type CommandRunner } from "./command-runner";

/** Stack id of the `ci` environment; `cdktf synth` writes it to `<outdir>/stacks/trivy-ci/cdk.tf.json`. */
export const CI_STACK_ID = "trivy-ci";

export interface DeployTarget {
  readonly repoRoot: string;
  /** A per-run synth output dir, so the run never overwrites the checkout's cdktf.out. */
  readonly outDir: string;
  readonly kubeconfigPath: string;
  readonly kubeContext: string;
}

export interface PlannedCommand {
  readonly description: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export function ciStackDir(outDir: string): string {
  return join(outDir, "stacks", CI_STACK_ID);
}

const TERRAFORM_ENV = {
  // Plain, non-interactive output in CI logs, no update checks.
  TF_IN_AUTOMATION: "1",
  TF_INPUT: "0",
  CHECKPOINT_DISABLE: "1",
};

/**
 * The user's code path: synthesize the app (what `cdktf synth` runs, the `app` of cdktf.json) with
 * only the `ci` environment pointed at the kind cluster, then `terraform init` + `apply` on the
 * synthesized stack. The environment variables are the contract with main.ts.
 */
export function ciStackDeployPlan(target: DeployTarget): PlannedCommand[] {
  const stackDir = ciStackDir(target.outDir);
  return [
    {
      description: "synthesize the ci stack",
      file: join(target.repoRoot, "node_modules", ".bin", "tsx"),
      args: ["main.ts"],
      cwd: target.repoRoot,
      env: {
        CDKTF_OUTDIR: target.outDir,
        TRIVY_ENVIRONMENTS: "ci",
        TRIVY_CI_KUBECONFIG: target.kubeconfigPath,
        TRIVY_CI_KUBE_CONTEXT: target.kubeContext,
      },
      timeoutMs: 3 * 60_000,
    },
    {
      description: "terraform init (downloads the providers)",
      file: "terraform",
      args: [`-chdir=${stackDir}`, "init", "-input=false", "-no-color"],
      cwd: target.repoRoot,
      env: TERRAFORM_ENV,
      timeoutMs: 5 * 60_000,
    },
    {
      description: "terraform apply (installs the operator, waits for the Helm release)",
      file: "terraform",
      args: [`-chdir=${stackDir}`, "apply", "-auto-approve", "-input=false", "-no-color"],
      cwd: target.repoRoot,
      env: TERRAFORM_ENV,
      timeoutMs: 20 * 60_000,
    },
  ];
}

export async function deployCiStack(runner: CommandRunner, target: DeployTarget, log: (line: string) => void): Promise<void> {
  const plan = ciStackDeployPlan(target);
  for (const [index, step] of plan.entries()) {
    log(`${step.description}: ${step.file} ${step.args.join(" ")}`);
    await runChecked(runner, step.file, step.args, step);
    if (index === 0) {
      await assertSynthesized(target.outDir);
    }
  }
}

/** Fails with the contract in words when main.ts did not produce the ci stack. */
async function assertSynthesized(outDir: string): Promise<void> {
  const synthesized = join(ciStackDir(outDir), "cdk.tf.json");
  try {
    await access(synthesized);
  } catch {
    throw new Error(`synth did not write ${synthesized}: main.ts must synthesize stack "${CI_STACK_ID}" when TRIVY_ENVIRONMENTS=ci`);
  }
}
