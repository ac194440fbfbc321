import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { buildStacks } from "../../../stacks/app";
import type { ClusterConfig, EnvironmentConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { synthesizeStack, type SynthesizedStack } from "../../helpers/synth";
import { terraformAvailability } from "../../helpers/terraform";

/**
 * docs/fleet.md "Moving an environment between layouts", run with the real terraform binary on
 * state files: a state holding every address of the environment stack is split with the documented
 * `state list | grep | state rm` into one state per cluster, and merged back with `state mv
 * -state -state-out`. Only local state files are touched, so no provider or backend is needed.
 */
const terraform = terraformAvailability();
const terraformMissing = !terraform.available;
if (terraformMissing) console.warn(`skipping layout move tests: ${terraform.reason}`);

const shipped = defineEnvironments();
const mirrorCluster: ClusterConfig = {
  name: "ap-1",
  kubeconfigPath: "~/.kube/config",
  kubeContext: "prod-ap-1",
  networkPolicy: { flavor: "none" },
  operator: { dbRepositoryCredentials: { username: "trivy-puller" } },
};
const prod = (stackLayout: EnvironmentConfig["stackLayout"]): EnvironmentConfig => ({
  ...shipped.prod,
  clusters: [...shipped.prod.clusters, mirrorCluster],
  stackLayout,
});

function synthesize(config: EnvironmentConfig): Map<string, SynthesizedStack> {
  return new Map(buildStacks(Testing.app(), { prod: config }).map((stack) => [stack.node.id, synthesizeStack(stack).parsed]));
}

/** `terraform state list` of a stack's state: every resource and data source address. */
function addresses(stack: SynthesizedStack): string[] {
  const of = (blocks: SynthesizedStack["resource"], prefix: string) =>
    Object.entries(blocks ?? {}).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${prefix}${type}.${id}`));
  return [...of(stack.resource, ""), ...of(stack.data, "data.")].sort();
}

/** A state file (format 4) with one instance at each address of `stack`, bound to the stack's providers. */
function stateOf(stack: SynthesizedStack): string {
  const source = (type: string) => (type.startsWith("grafana_") ? "grafana/grafana" : `hashicorp/${type.split("_")[0]}`);
  const resources = [
    ...Object.entries(stack.resource ?? {}).map(([type, byId]) => ["managed", type, byId] as const),
    ...Object.entries(stack.data ?? {}).map(([type, byId]) => ["data", type, byId] as const),
  ].flatMap(([mode, type, byId]) =>
    Object.entries(byId).map(([name, body]) => {
      const alias = typeof body.provider === "string" ? `.${body.provider.split(".")[1]}` : "";
      return {
        mode,
        type,
        name,
        provider: `provider["registry.terraform.io/${source(type)}"]${alias}`,
        instances: [{ schema_version: 0, attributes: { id: name } }],
      };
    }),
  );
  return JSON.stringify({
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "3f1c2a4e-0000-4000-8000-000000000001",
    outputs: {},
    resources,
  });
}

const workdir = mkdtempSync(path.join(tmpdir(), "layout-move-"));
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

/** Runs `script` without blocking the test worker (dozens of terraform calls take a while on a busy machine). */
function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-eo", "pipefail", "-c", script],
      { cwd: workdir, env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" }, encoding: "utf8" },
      (error, stdout, stderr) =>
        error ? reject(new Error(`bash failed (${String(error.code)}):\n${script}\n${stderr}`)) : resolve(stdout),
    );
  });
}

async function stateList(file: string): Promise<string[]> {
  return (await bash(`terraform state list -state=${file}`)).trim().split("\n").filter(Boolean).sort();
}

describe.skipIf(terraformMissing)("moving prod between layouts with state files (real terraform)", () => {
  const environmentStack = synthesize(prod("per-environment")).get("trivy-prod")!;
  const clusterStacks = synthesize(prod("per-cluster"));
  writeFileSync(path.join(workdir, "trivy-prod.tfstate"), stateOf(environmentStack));

  it.each(["eu-1", "us-1", "ap-1"])(
    "can split the environment state so %s's state holds exactly its stack's addresses",
    async (cluster) => {
      // WHEN the documented filter runs on a copy of the environment state
      copyFileSync(path.join(workdir, "trivy-prod.tfstate"), path.join(workdir, `${cluster}.tfstate`));
      await bash(
        `terraform state list -state="${cluster}.tfstate" | grep -Ev "^(data\\.)?[a-z0-9_]+\\.${cluster}_" | xargs -r terraform state rm -state="${cluster}.tfstate" > /dev/null`,
      );

      // THEN what is left is what the per-cluster stack declares, nothing more, nothing less
      const expected = addresses(clusterStacks.get(`trivy-prod-${cluster}`)!);
      expect(expected.length).toBeGreaterThan(0);
      expect(await stateList(`${cluster}.tfstate`)).toEqual(expected);
    },
  );

  it("can merge the cluster states back into one environment state with state mv", async () => {
    // GIVEN one state per cluster, split as above
    for (const cluster of ["eu-1", "us-1", "ap-1"]) {
      copyFileSync(path.join(workdir, "trivy-prod.tfstate"), path.join(workdir, `back-${cluster}.tfstate`));
      await bash(
        `terraform state list -state="back-${cluster}.tfstate" | grep -Ev "^(data\\.)?[a-z0-9_]+\\.${cluster}_" | xargs -r terraform state rm -state="back-${cluster}.tfstate" > /dev/null`,
      );
    }

    // WHEN every address moves into one file, as docs/fleet.md does it
    await bash(
      `for cluster in eu-1 us-1 ap-1; do terraform state list -state="back-$cluster.tfstate" | while read -r address; do ` +
        `terraform state mv -state="back-$cluster.tfstate" -state-out=merged.tfstate "$address" "$address" > /dev/null; done; done`,
    );

    // THEN the merged state holds the environment stack's addresses, and the cluster states are empty
    expect(await stateList("merged.tfstate")).toEqual(addresses(environmentStack));
    expect(await stateList("back-eu-1.tfstate")).toEqual([]);
  }, 120_000);
});
