import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildStacks, planStacks, summarizeStacks } from "../../../stacks/app";
import { clusterStateKey } from "../../../stacks/backend";
import type { BackendConfig, ClusterConfig, EnvironmentConfig, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { synthesizeStack, type SynthesizedStack } from "../../helpers/synth";

const shipped = defineEnvironments({ ciKubeconfigPath: "/tmp/kind.kubeconfig", ciKubeContext: "kind-trivy-test" });

/**
 * The shipped prod clusters (calico + sidecar dashboard downloaded over http; cilium + Grafana API
 * + Slack alerts) plus one with a DB mirror password and a helm-values output, so stack-level
 * variables, outputs and providers of every kind are in play.
 */
const mirrorCluster: ClusterConfig = {
  name: "ap-1",
  kubeconfigPath: "~/.kube/config",
  kubeContext: "prod-ap-1",
  networkPolicy: { flavor: "none" },
  operator: { dbRegistry: "registry.example.com", dbRepository: "mirrors/trivy-db", dbRepositoryCredentials: { username: "trivy-puller" } },
  monitoring: { serviceMonitor: false, prometheusRule: false, dashboard: { delivery: "helm-values", datasourceName: "Prometheus" } },
};
const prodClusters: readonly ClusterConfig[] = [...shipped.prod.clusters, mirrorCluster];

function environmentWith(layout: EnvironmentConfig["stackLayout"], backend: BackendConfig = shipped.prod.backend): EnvironmentConfig {
  return { clusters: prodClusters, backend, stackLayout: layout };
}

function synthesize(environments: EnvironmentsConfig, only?: readonly string[]): Map<string, SynthesizedStack> {
  const app = Testing.app();
  return new Map(buildStacks(app, environments, { only }).map((stack) => [stack.node.id, synthesizeStack(stack).parsed]));
}

type Blocks = Record<string, Record<string, unknown>>;

/** `{ type: { id: body } }` of several stacks merged; fails on an id two stacks both define. */
function mergeBlocks(parts: ReadonlyArray<Blocks | undefined>): Blocks {
  const merged: Blocks = {};
  for (const part of parts) {
    for (const [type, byId] of Object.entries(part ?? {})) {
      for (const [id, body] of Object.entries(byId)) {
        expect(merged[type]?.[id], `${type}.${id} in two per-cluster stacks`).toBeUndefined();
        merged[type] = { ...merged[type], [id]: body };
      }
    }
  }
  return merged;
}

function addresses(blocks: Blocks | undefined): string[] {
  return Object.entries(blocks ?? {}).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`));
}

describe("environments as data", () => {
  it("can synthesize any number of environments with any valid name", () => {
    // GIVEN an organisation with staging, qa and two regional prods, none of them the shipped names
    const cluster = (name: string): ClusterConfig => ({ name, kubeconfigPath: "~/.kube/config", kubeContext: name });
    const environments: EnvironmentsConfig = {
      staging: { clusters: [cluster("stg-1")] },
      qa: { clusters: [cluster("qa-1"), cluster("qa-2")] },
      "prod-eu": { clusters: [cluster("eu-1")], stackLayout: "per-cluster" },
      "prod-us": { clusters: [cluster("us-1")] },
    };

    // WHEN / THEN every environment gets its stacks, in the order written
    expect([...synthesize(environments).keys()]).toEqual(["trivy-staging", "trivy-qa", "trivy-prod-eu-eu-1", "trivy-prod-us"]);
  });

  it("fails when an environment name would not make a valid stack name, naming it", () => {
    const environments: EnvironmentsConfig = { ...shipped, Prod_EU: shipped.prod };
    expect(() => planStacks(environments)).toThrow(
      'environment name must be a lowercase DNS label starting with a letter (at most 63 lowercase letters, digits and \'-\'), such as "staging" or "prod-eu", got "Prod_EU"',
    );
  });

  it("fails when an environment's stackLayout is unknown", () => {
    const environments = { prod: { ...shipped.prod, stackLayout: "per-region" } } as unknown as EnvironmentsConfig;
    expect(() => planStacks(environments)).toThrow(
      'environment "prod": stackLayout must be one of per-environment, per-cluster, got "per-region"',
    );
  });

  it("fails when two environments would produce one stack name", () => {
    // GIVEN prod split per cluster (trivy-prod-eu-1) and an environment prod-eu-1 (trivy-prod-eu-1)
    const environments: EnvironmentsConfig = {
      prod: { clusters: [{ name: "eu-1", kubeconfigPath: "~/.kube/config" }], stackLayout: "per-cluster" },
      "prod-eu-1": { clusters: [{ name: "main", kubeconfigPath: "~/.kube/config" }] },
    };
    expect(() => planStacks(environments)).toThrow(
      'environment "prod-eu-1": stack name must be unique in the app, got "trivy-prod-eu-1" also from environment "prod", cluster "eu-1"',
    );
  });

  it("fails when two environments share one state", () => {
    // GIVEN staging copied from prod, backend and all
    const environments: EnvironmentsConfig = { prod: shipped.prod, staging: shipped.prod };
    expect(() => planStacks(environments)).toThrow(
      'environment "staging": backend must give stack trivy-staging a state of its own, got "s3://example-org-terraform-state/trivy-operator/prod.tfstate" also used by stack trivy-prod',
    );
  });

  it("fails when a selection names an environment the app does not define", () => {
    expect(() => planStacks(shipped, ["staging"])).toThrow('selected environments must be defined (dev, prod, ci), got "staging"');
  });
});

describe("per-cluster stack layout", () => {
  it("can name one stack per cluster and keep per-environment stacks as they are", () => {
    const planned = planStacks({ ...shipped, prod: environmentWith("per-cluster") });
    expect(planned.map((stack) => [stack.name, stack.environment, stack.cluster])).toEqual([
      ["trivy-dev", "dev", undefined],
      ["trivy-prod-eu-1", "prod", "eu-1"],
      ["trivy-prod-us-1", "prod", "us-1"],
      ["trivy-prod-ap-1", "prod", "ap-1"],
      ["trivy-ci", "ci", undefined],
    ]);
  });

  it.each<[string, BackendConfig, Record<string, unknown>, Record<string, unknown>]>([
    [
      "s3 key",
      { type: "s3", bucket: "state", key: "trivy-operator/prod.tfstate", region: "eu-west-1", useLockfile: true },
      { s3: { bucket: "state", key: "trivy-operator/prod.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true } },
      { s3: { bucket: "state", key: "trivy-operator/prod/eu-1.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true } },
    ],
    [
      "azurerm key",
      { type: "azurerm", resourceGroupName: "rg", storageAccountName: "acct", containerName: "tfstate", key: "trivy-prod" },
      { azurerm: { resource_group_name: "rg", storage_account_name: "acct", container_name: "tfstate", key: "trivy-prod" } },
      { azurerm: { resource_group_name: "rg", storage_account_name: "acct", container_name: "tfstate", key: "trivy-prod/eu-1" } },
    ],
    [
      "gcs prefix",
      { type: "gcs", bucket: "state", prefix: "trivy/prod/" },
      { gcs: { bucket: "state", prefix: "trivy/prod/" } },
      { gcs: { bucket: "state", prefix: "trivy/prod/eu-1" } },
    ],
    ["gcs bucket root", { type: "gcs", bucket: "state" }, { gcs: { bucket: "state" } }, { gcs: { bucket: "state", prefix: "eu-1" } }],
    [
      "remote workspace",
      { type: "remote", organization: "org", workspace: "trivy-prod" },
      { remote: { hostname: "app.terraform.io", organization: "org", workspaces: { name: "trivy-prod" } } },
      { remote: { hostname: "app.terraform.io", organization: "org", workspaces: { name: "trivy-prod-eu-1" } } },
    ],
    [
      "local default path",
      { type: "local" },
      { local: { path: "terraform.trivy-prod.tfstate" } },
      { local: { path: "terraform.trivy-prod-eu-1.tfstate" } },
    ],
    [
      "local path",
      { type: "local", path: "/srv/state/prod.tfstate" },
      { local: { path: "/srv/state/prod.tfstate" } },
      { local: { path: "/srv/state/prod/eu-1.tfstate" } },
    ],
  ])("can give each cluster its own state: %s", (_name, backend, environmentBackend, clusterBackend) => {
    // WHEN the same environment is synthesized in both layouts
    const perEnvironment = synthesize({ prod: environmentWith("per-environment", backend) });
    const perCluster = synthesize({ prod: environmentWith("per-cluster", backend) });

    // THEN the environment keeps its state and each cluster's state sits below it, all different
    expect(perEnvironment.get("trivy-prod")?.terraform?.backend).toEqual(environmentBackend);
    expect(perCluster.get("trivy-prod-eu-1")?.terraform?.backend).toEqual(clusterBackend);
    const states = [...perEnvironment.values(), ...perCluster.values()].map((stack) => JSON.stringify(stack.terraform?.backend));
    expect(new Set(states).size).toBe(states.length);
  });

  it("can derive a state key with or without the .tfstate suffix", () => {
    expect(clusterStateKey("trivy-operator/prod.tfstate", "eu-1")).toBe("trivy-operator/prod/eu-1.tfstate");
    expect(clusterStateKey("trivy-prod", "eu-1")).toBe("trivy-prod/eu-1");
  });

  describe("contents equal to the cluster's part of the environment stack", () => {
    const environmentStack = synthesize({ prod: environmentWith("per-environment") }).get("trivy-prod")!;
    const clusterStacks = synthesize({ prod: environmentWith("per-cluster") });

    it("can put every resource and data source into exactly one cluster stack, unchanged and at the same address", () => {
      for (const [name, stack] of clusterStacks) {
        const cluster = name.replace(/^trivy-prod-/, "");
        // Construct ids start with the cluster name, and cluster names have no '_': this prefix is
        // what docs/fleet.md's state move selects addresses by.
        expect(
          addresses(stack.resource).every((address) => address.split(".")[1]!.startsWith(`${cluster}_`)),
          name,
        ).toBe(true);
        expect(
          addresses(stack.data).every((address) => address.split(".")[1]!.startsWith(`${cluster}_`)),
          name,
        ).toBe(true);
        expect(addresses(stack.resource).length, name).toBeGreaterThan(0);
      }
      const stacks = [...clusterStacks.values()];
      expect(mergeBlocks(stacks.map((stack) => stack.resource))).toEqual(environmentStack.resource);
      expect(mergeBlocks(stacks.map((stack) => stack.data))).toEqual(environmentStack.data);
    });

    it("can split the stack-level variables and outputs by cluster", () => {
      const stacks = [...clusterStacks.values()];
      expect(Object.assign({}, ...stacks.map((stack) => stack.variable))).toEqual(environmentStack.variable);
      expect(Object.assign({}, ...stacks.map((stack) => stack.output))).toEqual(environmentStack.output);
      expect(Object.keys(clusterStacks.get("trivy-prod-ap-1")?.variable ?? {})).toEqual(["trivy_db_password_ap_1"]);
      expect(Object.keys(clusterStacks.get("trivy-prod-ap-1")?.output ?? {})).toEqual(["grafana_dashboard_helm_values_ap_1"]);
    });

    it("can give each cluster stack only its own aliased providers, and http only where the dashboard is downloaded", () => {
      const providers = (stack: SynthesizedStack) =>
        Object.entries(stack.provider ?? {})
          .flatMap(([type, configs]) => configs.map((config) => `${type}.${(config as { alias?: string }).alias ?? "default"}`))
          .sort();
      expect(providers(clusterStacks.get("trivy-prod-eu-1")!)).toEqual(["helm.eu-1", "http.default", "kubernetes.eu-1"]);
      expect(providers(clusterStacks.get("trivy-prod-us-1")!)).toEqual(["grafana.us-1", "helm.us-1", "http.default", "kubernetes.us-1"]);
      expect(providers(clusterStacks.get("trivy-prod-ap-1")!)).toEqual(["helm.ap-1", "kubernetes.ap-1"]);
      const union = [...new Set([...clusterStacks.values()].flatMap(providers))].sort();
      expect(union).toEqual(providers(environmentStack));
      // The provider blocks themselves (kubeconfig, context, Grafana URL) are the environment stack's.
      for (const stack of clusterStacks.values()) {
        for (const [type, configs] of Object.entries(stack.provider ?? {})) {
          for (const config of configs) expect(environmentStack.provider?.[type]).toContainEqual(config);
        }
      }
    });
  });

  it("can ship one copy of the manifest chart per stack, whatever the number of bundles", () => {
    // GIVEN the three prod clusters in one stack: five manifest bundles (network policies, monitoring)
    const outdir = mkdtempSync(path.join(tmpdir(), "fleet-assets-"));
    try {
      const app = new App({ outdir, stackTraces: false });
      buildStacks(app, { prod: environmentWith("per-environment") });
      app.synth();

      // THEN every bundle release points at the one chart archive the stack directory holds
      const stackDir = path.join(outdir, "stacks/trivy-prod");
      const synth = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as SynthesizedStack;
      const bundleCharts = Object.values(synth.resource?.helm_release ?? {})
        .map((release) => String(release.chart))
        .filter((chart) => chart !== "trivy-operator");
      expect(bundleCharts.length).toBeGreaterThanOrEqual(4);
      expect(new Set(bundleCharts).size).toBe(1);
      expect(readdirSync(stackDir).sort()).toEqual([bundleCharts[0]!.replace(/^\.\//, ""), "cdk.tf.json"].sort());
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("can ship the chart into each per-cluster stack directory that installs a bundle, written once and linked into the others", () => {
    // GIVEN prod split per cluster: eu-1 and us-1 install manifest bundles, ap-1 none
    const outdir = mkdtempSync(path.join(tmpdir(), "fleet-assets-"));
    try {
      const app = new App({ outdir, stackTraces: false });
      buildStacks(app, { prod: environmentWith("per-cluster") });
      app.synth();

      // THEN each directory with a bundle holds the archive its releases name, and nothing else besides its JSON
      const archives = ["eu-1", "us-1"].map((cluster) => {
        const stackDir = path.join(outdir, `stacks/trivy-prod-${cluster}`);
        const synth = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as SynthesizedStack;
        const charts = new Set(Object.values(synth.resource?.helm_release ?? {}).map((release) => String(release.chart)));
        charts.delete("trivy-operator");
        expect(charts.size).toBe(1);
        const archive = path.join(stackDir, [...charts][0]!);
        expect(readdirSync(stackDir).sort()).toEqual([path.basename(archive), "cdk.tf.json"].sort());
        return archive;
      });
      expect(readdirSync(path.join(outdir, "stacks/trivy-prod-ap-1"))).toEqual(["cdk.tf.json"]);
      // AND the files are one: the same bytes, a hard link instead of a second write
      expect(readFileSync(archives[1]!)).toEqual(readFileSync(archives[0]!));
      expect(statSync(archives[1]!).ino).toBe(statSync(archives[0]!).ino);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("can summarize a per-cluster environment stack by stack, each with its own state", () => {
    // GIVEN prod split per cluster
    const environments: EnvironmentsConfig = { ...shipped, prod: environmentWith("per-cluster") };
    const app = Testing.app();
    const stacks = buildStacks(app, environments, { only: ["dev", "prod"] });

    // WHEN
    const summary = summarizeStacks(stacks, environments, "cdktf.out");

    // THEN each cluster stack names its state below the environment's key, followed by its cluster
    expect(summary).toContain(
      "trivy-prod-eu-1  (state: s3://example-org-terraform-state/trivy-operator/prod/eu-1.tfstate (lock: s3 lock file))\n  cluster eu-1  (prod-eu-1 in ~/.kube/config)",
    );
    expect(summary).toContain("trivy-prod-ap-1  (state: s3://example-org-terraform-state/trivy-operator/prod/ap-1.tfstate");
    expect(summary.match(/^ {2}cluster /gm)).toHaveLength(4);
    // AND the per-environment dev stays one stack, and the count is the stacks'
    expect(summary).toContain("trivy-dev  (state: local state file terraform.trivy-dev.tfstate)");
    expect(summary.endsWith("synthesized 4 stack(s) into cdktf.out")).toBe(true);
  });
});
