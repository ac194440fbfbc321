import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";

interface Step {
  readonly name?: string;
  readonly run?: string;
}
interface Job {
  readonly environment?: string;
  readonly steps: readonly Step[];
}

// The credentials step runs jq, as GitHub's ubuntu runners have it.
const jqVersion = spawnSync("jq", ["--version"], { encoding: "utf8" });
const jqMissing = jqVersion.error !== undefined || jqVersion.status !== 0;
if (jqMissing)
  console.warn(
    `skipping the deploy.yml credentials test: no usable \`jq\` on PATH (${jqVersion.error?.message ?? jqVersion.stderr}); apt-get install -y jq`,
  );

const WORKFLOW = path.resolve(__dirname, "../../../.github/workflows/deploy.yml");
const document = parseDocument(readFileSync(WORKFLOW, "utf8"));
const workflow = document.toJS() as { env: Record<string, string>; jobs: Record<string, Job> };
const workdir = mkdtempSync(path.join(tmpdir(), "deploy-workflow-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

function stepScript(job: string, name: string): string {
  const step = workflow.jobs[job]!.steps.find((candidate) => candidate.name === name);
  if (step?.run === undefined) throw new Error(`deploy.yml: job ${job} has no step "${name}" with a run script`);
  return step.run.replaceAll("${{ matrix.stack }}", "trivy-prod-eu-1");
}

/**
 * Runs a step's script in bash the way the runner does (`bash -e`), with a stand-in `terraform` that
 * records its arguments and exits with `planExit` for `plan` (0 for anything else).
 */
function runStep(script: string, planExit: number): { status: number | null; stdout: string; calls: string[]; summary: string } {
  const dir = mkdtempSync(path.join(workdir, "run-"));
  const calls = path.join(dir, "calls");
  const fake = path.join(dir, "terraform");
  writeFileSync(fake, `#!/bin/bash\necho "$*" >> ${JSON.stringify(calls)}\ncase "$2" in plan) exit ${planExit} ;; esac\nexit 0\n`);
  chmodSync(fake, 0o755);
  writeFileSync(calls, "");
  const summary = path.join(dir, "summary");
  writeFileSync(summary, "");
  const result = spawnSync("bash", ["-e", "-c", script], {
    env: { PATH: `${dir}:${process.env.PATH}`, RUNNER_TEMP: dir, GITHUB_STEP_SUMMARY: summary },
    encoding: "utf8",
  });
  return {
    status: result.status,
    stdout: result.stdout,
    calls: readFileSync(calls, "utf8").trim().split("\n").filter(Boolean),
    summary: readFileSync(summary, "utf8"),
  };
}

describe("deploy.yml", () => {
  it("parses as YAML without errors and disables the Terraform CDK checkpoint calls", () => {
    expect(document.errors.map((error) => error.message)).toEqual([]);
    expect(workflow.env.CHECKPOINT_DISABLE).toBe("1");
  });

  it("can only apply behind the approval of the stack's own GitHub environment; plans use the read-only one", () => {
    expect(workflow.jobs.apply?.environment).toBe("${{ matrix.environment }}");
    expect(workflow.jobs.plan?.environment).toBe("${{ matrix.environment }}-plan");
    expect(workflow.jobs.drift?.environment).toBe("${{ matrix.environment }}-plan");
  });

  it.skipIf(jqMissing).each(["plan", "apply", "drift"])(
    "%s: can hand Terraform the TF_VAR_ and backend secrets of the environment, and nothing else",
    (job) => {
      // GIVEN the environment's secrets as GitHub passes them (names upper-cased)
      const step = workflow.jobs[job]!.steps.find((candidate) => candidate.name?.startsWith("Credentials"));
      const dir = mkdtempSync(path.join(workdir, "credentials-"));
      const githubEnv = path.join(dir, "github-env");
      const secrets = {
        github_token: "not-for-terraform",
        KUBECONFIG: "apiVersion: v1",
        TF_VAR_GRAFANA_AUTH_US_1: "glsa_token\nsecond line",
        AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
        SLACK_BOT: "unrelated",
      };

      // WHEN the step runs
      const result = spawnSync("bash", ["-e", "-c", step!.run!], {
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          GITHUB_ENV: githubEnv,
          KUBECONFIG_CONTENT: "apiVersion: v1\nkind: Config",
          SECRETS: JSON.stringify(secrets),
        },
        encoding: "utf8",
      });

      // THEN the variable has Terraform's lower-case name, multi-line values survive, the rest stays out
      expect(result.stderr).toBe("");
      expect(readFileSync(githubEnv, "utf8")).toBe(
        "TF_VAR_grafana_auth_us_1<<SECRET_EOF\nglsa_token\nsecond line\nSECRET_EOF\nAWS_ACCESS_KEY_ID<<SECRET_EOF\nAKIAEXAMPLE\nSECRET_EOF\n",
      );
      expect(readFileSync(path.join(dir, ".kube/config"), "utf8")).toBe("apiVersion: v1\nkind: Config\n");
    },
  );

  describe("drift check", () => {
    const script = stepScript("drift", "terraform plan -detailed-exitcode");

    it("fails loudly when the plan finds drift (exit 2)", () => {
      const run = runStep(script, 2);
      expect(run.status).toBe(2);
      expect(run.stdout).toContain("::error title=Drift in trivy-prod-eu-1::");
      expect(run.summary).toContain("DRIFT in trivy-prod-eu-1");
      expect(run.calls).toEqual([expect.stringMatching(/^-chdir=cdktf.out\/stacks\/trivy-prod-eu-1 plan .*-detailed-exitcode/)]);
    });

    it("can pass when nothing drifted, and fails when the plan itself fails", () => {
      expect(runStep(script, 0).status).toBe(0);
      const failed = runStep(script, 1);
      expect(failed.status).toBe(1);
      expect(failed.stdout).toContain("::error title=Plan failed for trivy-prod-eu-1::terraform plan exited 1");
    });
  });

  describe("apply", () => {
    const script = stepScript("apply", "terraform plan and apply");

    it("can apply the saved plan only when it has changes", () => {
      expect(runStep(script, 0).calls.some((call) => call.includes(" apply "))).toBe(false);
      const changed = runStep(script, 2);
      expect(changed.status).toBe(0);
      expect(changed.calls.at(-1)).toMatch(/^-chdir=cdktf.out\/stacks\/trivy-prod-eu-1 apply .*tfplan$/);
    });

    it("fails without applying when the plan fails", () => {
      const failed = runStep(script, 1);
      expect(failed.status).toBe(1);
      expect(failed.calls.some((call) => call.includes(" apply "))).toBe(false);
    });
  });
});
