import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { Lazy, Testing, Tokenization } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildStacks, ConfigurationError, parseEnvironmentSelection, withoutTokenStackTraces } from "../../../stacks/app";
import { defineEnvironments } from "../../../stacks/environments";

const ROOT = path.resolve(__dirname, "../../..");

describe("configuration errors", () => {
  it("fails with a ConfigurationError when an environment config is invalid", () => {
    const environments = defineEnvironments();
    const broken = {
      ...environments,
      dev: { ...environments.dev, clusters: [{ ...environments.dev.clusters[0]!, networkPolicy: { flavor: "calcio" } }] },
    };
    expect(() => buildStacks(Testing.app(), broken as never, { only: ["dev"] })).toThrow(ConfigurationError);
    expect(() => buildStacks(Testing.app(), broken as never, { only: ["dev"] })).toThrow('networkPolicy.flavor "calcio" is invalid');
  });

  it("fails with a ConfigurationError for an unknown environment in the selection", () => {
    expect(() => parseEnvironmentSelection("dev,cii", defineEnvironments())).toThrow(ConfigurationError);
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
    expect(result.stderr.trim()).toBe(
      'invalid configuration: TRIVY_ENVIRONMENTS entries must be environments the app defines (dev, prod, ci), got "cii"',
    );
    expect(result.stdout).toBe("");
  });
});

describe("a config of several problems", () => {
  it("reports each problem on its own line, every one prefixed as main.ts prints it", () => {
    // GIVEN a dev cluster with a bad flavor and a bad operator option
    const environments = defineEnvironments();
    const devCluster = environments.dev.clusters[0]!;
    const cluster = {
      ...devCluster,
      networkPolicy: { ...devCluster.networkPolicy, flavor: "calcio" },
      operator: { scanJobsConcurrentLimit: 0 },
    };
    let report = "";
    try {
      buildStacks(Testing.app(), { ...environments, dev: { ...environments.dev, clusters: [cluster] } } as never, { only: ["dev"] });
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      report = error.report();
    }
    // THEN both come out at once, each a line of its own (main.ts prints error.report())
    expect(report.split("\n")).toEqual([
      'invalid configuration: environment "dev", cluster "dev": operator.scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100',
      'invalid configuration: environment "dev", cluster "dev": networkPolicy.flavor "calcio" is invalid: use one of "kubernetes", "calico", "cilium", "none"',
    ]);
  });
});

describe("main.ts --list-stacks", () => {
  it("can list the selected stacks with environment, layout and state as JSON, without synthesizing", () => {
    // WHEN the deploy workflow asks the app for its stacks
    const result = spawnSync(process.execPath, [require.resolve("tsx/cli"), "main.ts", "--list-stacks", "--json"], {
      cwd: ROOT,
      env: { ...process.env, TRIVY_ENVIRONMENTS: "prod,dev", CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: "/nonexistent/must-not-be-written" },
      encoding: "utf8",
      timeout: 60_000,
    });

    // THEN it prints the stacks in selection order and exits 0
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        name: "trivy-prod",
        environment: "prod",
        layout: "per-environment",
        state: "s3://example-org-terraform-state/trivy-operator/prod.tfstate",
      },
      { name: "trivy-dev", environment: "dev", layout: "per-environment", state: "local:trivy-dev/terraform.trivy-dev.tfstate" },
    ]);
  });
});

describe("withoutTokenStackTraces", () => {
  it("can skip cdktf's token creation traces inside, and keeps them outside", () => {
    const inside = withoutTokenStackTraces(() => Lazy.stringValue({ produce: () => "x" }));
    const outside = Lazy.stringValue({ produce: () => "x" });
    const creationStack = (token: string) => Tokenization.reverseString(token).tokens[0]!.creationStack;
    expect(creationStack(inside)).toEqual([]);
    expect(creationStack(outside).length).toBeGreaterThan(0);
  });

  it("keeps the full trace of an error thrown inside, and puts Error.captureStackTrace back", () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    const before = Error.captureStackTrace;
    let caught: Error | undefined;
    try {
      withoutTokenStackTraces(function failingBuild(): never {
        throw new Error("boom");
      });
    } catch (error) {
      caught = error as Error;
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    expect(Error.captureStackTrace).toBe(before);
    expect(caught?.stack).toMatch(/^Error: boom\n\s+at failingBuild /);
  });

  it("skips only the unlimited captures of cdktf's helper: other code capturing a trace inside still gets it", () => {
    const traced = withoutTokenStackTraces(function libraryCapture() {
      const target: { stack?: string } = {};
      Error.captureStackTrace(target);
      return target.stack;
    });
    expect(traced).toMatch(/\n\s+at libraryCapture /);
  });
});
