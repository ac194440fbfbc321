import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildStacks, ConfigurationError, parseEnvironmentSelection } from "../../../stacks/app";
import { defineEnvironments } from "../../../stacks/environments";

const ROOT = path.resolve(__dirname, "../../..");

describe("configuration errors", () => {
  it("fails with a ConfigurationError when an environment config is invalid", () => {
    const environments = defineEnvironments();
    const broken = { ...environments, dev: { ...environments.dev, clusters: [{ ...environments.dev.clusters[0]!, networkPolicy: { flavor: "calcio" } }] } };
    expect(() => buildStacks(Testing.app(), broken as never, { only: ["dev"] })).toThrow(ConfigurationError);
    expect(() => buildStacks(Testing.app(), broken as never, { only: ["dev"] })).toThrow('got "calcio"');
  });

  it("fails with a ConfigurationError for an unknown environment in the selection", () => {
    expect(() => parseEnvironmentSelection("dev,cii")).toThrow(ConfigurationError);
  });

  it("prints a bad selection as one line without a stack trace and exits 1 (main.ts)", () => {
    // WHEN the app runs the way `cdktf synth` runs it, with a typo in TRIVY_ENVIRONMENTS
    const result = spawnSync(process.execPath, [require.resolve("tsx/cli"), "main.ts"], {
      cwd: ROOT,
      env: { ...process.env, TRIVY_ENVIRONMENTS: "dev,cii", CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });

    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('invalid configuration: TRIVY_ENVIRONMENTS entries must be one of dev, prod, ci, got "cii"');
    expect(result.stdout).toBe("");
  });
});
