import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { changedStacks, deployMatrix, GITHUB_MATRIX_LIMIT, readSynthesizedStacks, type ListedStack } from "../../../scripts/deploy-matrix";
import { buildStacks, planStacks } from "../../../stacks/app";
import { stateLocation } from "../../../stacks/backend";
import type { EnvironmentConfig, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";

const shipped = defineEnvironments();
const workdir = mkdtempSync(path.join(tmpdir(), "deploy-matrix-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Synthesizes `environments` the way `tsx main.ts` does, into a directory of its own. */
let synths = 0;
function synthesize(environments: EnvironmentsConfig): string {
  const outdir = path.join(workdir, `out-${synths++}`);
  const app = new App({ outdir, stackTraces: false });
  buildStacks(app, environments);
  app.synth();
  return outdir;
}

/** What `main.ts --list-stacks --json` prints for `environments`. */
function listed(environments: EnvironmentsConfig): ListedStack[] {
  return planStacks(environments).map((stack) => ({
    name: stack.name,
    environment: stack.environment,
    layout: stack.layout,
    cluster: stack.cluster,
    state: stateLocation(stack.backend, stack.name),
  }));
}

const prodPerCluster: EnvironmentConfig = { ...shipped.prod, stackLayout: "per-cluster" };

describe("changed stacks (from two real synths)", () => {
  const base = readSynthesizedStacks(synthesize({ prod: prodPerCluster }));

  it("can find no change when the config did not change, assets included", () => {
    const head = readSynthesizedStacks(synthesize({ prod: prodPerCluster }));
    expect([...head.keys()]).toEqual(["trivy-prod-eu-1", "trivy-prod-us-1"]);
    expect(changedStacks(head, base)).toEqual({ changed: [], removed: [] });
  });

  it("can find only the stack of the cluster whose config changed", () => {
    // GIVEN us-1 scans two images at a time more
    const clusters = prodPerCluster.clusters.map((cluster) =>
      cluster.name === "us-1" ? { ...cluster, operator: { ...cluster.operator, scanJobsConcurrentLimit: 4 } } : cluster,
    );
    const head = readSynthesizedStacks(synthesize({ prod: { ...prodPerCluster, clusters } }));

    // THEN only trivy-prod-us-1 is planned
    expect(changedStacks(head, base)).toEqual({ changed: ["trivy-prod-us-1"], removed: [] });
  });

  it("can report the environment stack as removed when the environment moves to per-cluster stacks", () => {
    const perEnvironment = readSynthesizedStacks(synthesize({ prod: shipped.prod }));
    expect(changedStacks(base, perEnvironment)).toEqual({ changed: ["trivy-prod-eu-1", "trivy-prod-us-1"], removed: ["trivy-prod"] });
  });

  it("can treat every stack as changed without a base (drift check, first push)", () => {
    expect(changedStacks(base).changed).toEqual(["trivy-prod-eu-1", "trivy-prod-us-1"]);
  });
});

describe("deployMatrix", () => {
  it("can make one job per changed stack with its environment, in the app's order", () => {
    const environments: EnvironmentsConfig = {
      staging: { ...shipped.prod, backend: { type: "gcs", bucket: "state", prefix: "staging" } },
      prod: prodPerCluster,
    };
    expect(deployMatrix(listed(environments), ["trivy-prod-us-1", "trivy-staging"])).toEqual({
      include: [
        { stack: "trivy-staging", environment: "staging" },
        { stack: "trivy-prod-us-1", environment: "prod" },
      ],
    });
    expect(deployMatrix(listed(environments), [])).toEqual({ include: [] });
  });

  it("fails when a changed stack keeps its state in a local file, which the runner throws away", () => {
    expect(() => deployMatrix(listed(shipped), ["trivy-dev", "trivy-prod"])).toThrow(
      "stacks deployed from CI need remote state, got local state for trivy-dev; give environment dev an s3, gcs, azurerm or remote backend, or leave it out of TRIVY_DEPLOY_ENVIRONMENTS",
    );
  });

  it("fails when more stacks changed than one GitHub matrix can run", () => {
    // GIVEN a 257-cluster environment split per cluster
    const clusters = Array.from({ length: GITHUB_MATRIX_LIMIT + 1 }, (_, index) => ({
      name: `c-${index}`,
      kubeconfigPath: "~/.kube/config",
      kubeContext: `c-${index}`,
    }));
    const fleet = listed({ fleet: { clusters, stackLayout: "per-cluster", backend: shipped.prod.backend } });
    expect(() =>
      deployMatrix(
        fleet,
        fleet.map((stack) => stack.name),
      ),
    ).toThrow("a GitHub Actions matrix runs at most 256 jobs, got 257 changed stacks");
    expect(
      deployMatrix(
        fleet,
        fleet.slice(0, GITHUB_MATRIX_LIMIT).map((stack) => stack.name),
      ).include,
    ).toHaveLength(GITHUB_MATRIX_LIMIT);
  });

  it("fails when the synth holds a stack the list does not, naming it", () => {
    expect(() => deployMatrix(listed({ prod: shipped.prod }), ["trivy-ci"])).toThrow(
      "synthesized stacks must be listed by main.ts --list-stacks, got trivy-ci",
    );
  });
});
