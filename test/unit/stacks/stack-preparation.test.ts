import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, TerraformLocal, TerraformOutput, TerraformStack } from "cdktf";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildStacks, withoutTokenStackTraces } from "../../../stacks/app";
import type { ClusterConfig, EnvironmentsConfig } from "../../../stacks/config";
import type { ClusterExtension } from "../../../stacks/environment-stack";
import { defineEnvironments } from "../../../stacks/environments";

/**
 * TrivyEnvironmentStack skips cdktf's preparing pass when it can show the pass has nothing to do
 * (stacks/environment-stack.ts `prepareStack`). These tests run the real `App.synth` (cdktf 0.21.0
 * lib/app.js: every stack's `prepareStack`, then every stack's synthesizer) and compare files.
 */

const shipped = defineEnvironments({ ciKubeconfigPath: "/tmp/kind.kubeconfig", ciKubeContext: "kind-trivy-test" });

/** The shipped environments plus prod's clusters again in the per-cluster layout on a local backend. */
const environments: EnvironmentsConfig = {
  ...shipped,
  fleet: { clusters: shipped.prod.clusters, backend: { type: "local" }, stackLayout: "per-cluster" },
};

const outdirs: string[] = [];
afterEach(() => {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function newApp(): App {
  const outdir = path.join(mkdtempSync(path.join(tmpdir(), "trivy-prepare-")), "out");
  outdirs.push(path.dirname(outdir));
  return new App({ outdir });
}

/** Every file below `dir`, by relative path, with its bytes. */
function filesOf(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (relative: string): void => {
    const full = path.join(dir, relative);
    if (statSync(full).isDirectory()) for (const entry of readdirSync(full).sort()) visit(path.join(relative, entry));
    else files.set(relative, readFileSync(full, "latin1"));
  };
  visit("");
  return files;
}

/** How often cdktf's own `prepareStack` (the full pass) ran during `work`. */
function fullPreparations(work: () => void): number {
  const prepare = vi.spyOn(TerraformStack.prototype, "prepareStack");
  work();
  const calls = prepare.mock.calls.length;
  prepare.mockRestore();
  return calls;
}

function stackJson(app: App, stack: string): Record<string, Record<string, Record<string, unknown>>> {
  return JSON.parse(readFileSync(path.join(app.outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
}

describe("preparing the environment stacks", () => {
  it("writes the same files whether cdktf's preparing pass runs or is skipped", () => {
    // GIVEN the shipped environments and a per-cluster fleet, built once as main.ts builds them
    // and once with a no-op cluster extension, which makes every stack fall back to the full pass
    const skipped = newApp();
    const prepared = newApp();

    // WHEN both apps synthesize
    const skippedPasses = fullPreparations(() =>
      withoutTokenStackTraces(() => {
        buildStacks(skipped, environments);
        skipped.synth();
      }),
    );
    const noOp: ClusterExtension = () => undefined;
    const preparedPasses = fullPreparations(() =>
      withoutTokenStackTraces(() => {
        buildStacks(prepared, environments, { extensions: [noOp] });
        prepared.synth();
      }),
    );

    // THEN the optimisation really ran (no full pass) and the fallback really prepared (one per stack) ...
    const stackCount = readdirSync(path.join(skipped.outdir, "stacks")).length;
    expect(stackCount).toBe(3 + shipped.prod.clusters.length);
    expect(skippedPasses).toBe(0);
    expect(preparedPasses).toBe(stackCount);
    // ... and every file is byte for byte the same
    const skippedFiles = filesOf(skipped.outdir);
    const preparedFiles = filesOf(prepared.outdir);
    expect([...skippedFiles.keys()]).toEqual([...preparedFiles.keys()]);
    for (const [file, bytes] of skippedFiles) expect(bytes, file).toBe(preparedFiles.get(file));
  });

  describe("falls back to the full pass, which wires a reference to another stack", () => {
    /** A stack of the user's own with a value other stacks read. */
    function sharedStack(app: App): TerraformLocal {
      return new TerraformLocal(new TerraformStack(app, "shared"), "organisation", "example-org");
    }

    /** True when `stack` reads `shared` through remote state and `shared` exports an output for it. */
    function wiredAcrossStacks(app: App, stack: string): boolean {
      const reader = stackJson(app, stack);
      const remoteStates = Object.keys(reader.data?.terraform_remote_state ?? {});
      const exported = Object.keys(stackJson(app, "shared").output ?? {});
      return remoteStates.some((id) => id.includes("shared")) && exported.some((id) => id.startsWith("cross-stack-output-"));
    }

    it("when a cluster extension ran", () => {
      const app = newApp();
      const organisation = sharedStack(app);
      const tagOrganisation: ClusterExtension = (cluster) => {
        new TerraformOutput(cluster, "organisation", { value: organisation.asString });
      };
      buildStacks(app, { dev: shipped.dev }, { extensions: [tagOrganisation] });
      app.synth();
      expect(wiredAcrossStacks(app, "trivy-dev")).toBe(true);
    });

    it("when the configuration holds a token", () => {
      const app = newApp();
      const organisation = sharedStack(app);
      const dev = shipped.dev.clusters[0]!;
      const cluster: ClusterConfig = { ...dev, kubeContext: organisation.asString };
      buildStacks(app, { dev: { ...shipped.dev, clusters: [cluster] } });
      app.synth();
      expect(wiredAcrossStacks(app, "trivy-dev")).toBe(true);
    });

    it("when a construct was added below the stack after it was built", () => {
      const app = newApp();
      const organisation = sharedStack(app);
      const [dev] = buildStacks(app, { dev: shipped.dev });
      new TerraformOutput(dev!, "organisation", { value: organisation.asString });
      app.synth();
      expect(wiredAcrossStacks(app, "trivy-dev")).toBe(true);
    });
  });
});
