import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { stringify } from "yaml";
import { buildStacks } from "../../../stacks/app";
import type { EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { resourcesOfType, synthesizeStack } from "../../helpers/synth";

/**
 * The real Prometheus rule engine: `promtool` from Debian's `prometheus` package (2.42). CI sets
 * TRIVY_REQUIRE_PROMTOOL=1 so a missing promtool fails instead of skipping.
 */
export interface PromtoolAvailability {
  readonly available: boolean;
  readonly version?: string;
  /** Why the promtool tier does not run (printed once by the test file). */
  readonly skipReason?: string;
  readonly required: boolean;
}

export function promtoolAvailability(): PromtoolAvailability {
  const required = process.env.TRIVY_REQUIRE_PROMTOOL === "1";
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    return {
      available: false,
      required,
      skipReason:
        "promtool not found: the tests on the real Prometheus engine are skipped (install it with `apt-get install -y prometheus`)",
    };
  }
  const version = /promtool, version (\S+)/.exec(probe.stdout)?.[1];
  return { available: true, required, version };
}

export interface PromtoolRun {
  readonly ok: boolean;
  readonly output: string;
  readonly dir: string;
}

/**
 * Runs promtool without blocking the test worker (a synchronous child would stall vitest's RPC
 * on a busy machine); resolves with the exit status and the combined output.
 */
function promtool(args: readonly string[], cwd: string): Promise<PromtoolRun> {
  return new Promise((resolvePromise) => {
    execFile("promtool", args, { cwd, encoding: "utf8", timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolvePromise({ ok: error === null, output: `${stdout}${stderr}`, dir: cwd });
    });
  });
}

/** Writes the rule file and the test file into a fresh directory and runs `promtool test rules`. */
export function runPromtoolTests(ruleFile: unknown, testFile: unknown): Promise<PromtoolRun> {
  const dir = mkdtempSync(join(tmpdir(), "promtool-"));
  writeFileSync(join(dir, "rules.yml"), stringify(ruleFile, { lineWidth: 0 }));
  writeFileSync(join(dir, "tests.yml"), stringify(testFile, { lineWidth: 0 }));
  return promtool(["test", "rules", "tests.yml"], dir);
}

/** Runs `promtool check rules` with every lint, lint findings fatal. */
export function checkRules(ruleFile: unknown): Promise<PromtoolRun> {
  const dir = mkdtempSync(join(tmpdir(), "promtool-"));
  writeFileSync(join(dir, "rules.yml"), stringify(ruleFile, { lineWidth: 0 }));
  return promtool(["check", "rules", "--lint=all", "--lint-fatal", "rules.yml"], dir);
}

export interface RuleFile {
  groups: Array<{ name: string; rules: Array<Record<string, unknown> & { alert?: string; expr: string }> }>;
}

/**
 * The PrometheusRule spec the prod stack deploys to `cluster`, taken from the synthesized
 * `helm_release` of the monitoring bundle (its values are Terraform strings: `$${` is `${`).
 */
export function deployedRuleFile(cluster = "eu-1", environments: EnvironmentsConfig = defineEnvironments()): RuleFile {
  const app = Testing.app();
  const [stack] = buildStacks(app, environments, { only: ["prod"] });
  const { parsed } = synthesizeStack(stack!);
  const release = resourcesOfType(parsed, "helm_release").find(
    (candidate) => candidate.name === "trivy-operator-monitoring" && candidate.provider === `helm.${cluster}`,
  );
  if (release === undefined) throw new Error(`no monitoring release for ${cluster} in the prod stack`);
  const values = JSON.parse((release.values as string[])[0]!.replaceAll("$${", "${").replaceAll("%%{", "%{")) as {
    manifests: Array<{ kind: string; spec: RuleFile }>;
  };
  const rule = values.manifests.find((manifest) => manifest.kind === "PrometheusRule");
  if (rule === undefined) throw new Error(`the monitoring release of ${cluster} carries no PrometheusRule`);
  return rule.spec;
}
