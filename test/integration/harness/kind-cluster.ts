import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runChecked, type CommandRunner } from "./command-runner";
import { controlPlaneNodeName, kindClusterConfig, kindContextName, renderKindClusterConfig } from "./kind-cluster-config";
import { Kubectl } from "./kubectl";

/** A kind cluster the harness created or found, with its own kubeconfig file. */
export interface KindCluster {
  readonly name: string;
  readonly kubeconfigPath: string;
  readonly context: string;
}

/** `kind create cluster --wait` bound; the node image pull (~1 GB) on a cold runner is most of it. */
const CREATE_TIMEOUT_MS = 10 * 60_000;
/** After create: nodes that joined become Ready in well under a minute; 5 min like trivy-operator's CI. */
export const NODES_READY_TIMEOUT_SECONDS = 300;

export async function kindClusterExists(runner: CommandRunner, name: string): Promise<boolean> {
  const result = await runChecked(runner, "kind", ["get", "clusters"], { timeoutMs: 30_000 });
  return result.stdout
    .split("\n")
    .map((line) => line.trim())
    .includes(name);
}

/**
 * Creates the cluster from the generated config and writes only `<workDir>/kubeconfig` (kind does
 * not merge into ~/.kube/config when `--kubeconfig` is given).
 */
export async function createKindCluster(
  runner: CommandRunner,
  name: string,
  workDir: string,
  log: (line: string) => void,
): Promise<KindCluster> {
  await mkdir(workDir, { recursive: true });
  const configPath = join(workDir, "kind-config.yaml");
  const kubeconfigPath = join(workDir, "kubeconfig");
  await writeFile(configPath, renderKindClusterConfig(kindClusterConfig(name)));
  log(`creating kind cluster ${name} (config ${configPath}, kubeconfig ${kubeconfigPath})`);
  // --retain: on a failed create, kind deletes the nodes unless told not to (kind v0.30.0
  // pkg/cluster/internal/create/create.go `Cluster`: `if !opts.Retain { delete.Cluster(…) }`), and
  // `kind export logs` would then have nothing to show. The suite's afterAll (or the workflow's
  // fallback step) exports the logs and deletes the cluster itself.
  await runChecked(
    runner,
    "kind",
    ["create", "cluster", "--name", name, "--config", configPath, "--kubeconfig", kubeconfigPath, "--wait", "5m", "--retain"],
    {
      timeoutMs: CREATE_TIMEOUT_MS,
    },
  );
  const cluster = { name, kubeconfigPath, context: kindContextName(name) };
  await waitForNodesReady(runner, cluster);
  await makeControlPlaneSchedulable(runner, cluster);
  return cluster;
}

/** Writes the kubeconfig of an existing cluster (the playground reuses its cluster between runs). */
export async function useExistingKindCluster(runner: CommandRunner, name: string, workDir: string): Promise<KindCluster> {
  await mkdir(workDir, { recursive: true });
  const kubeconfigPath = join(workDir, "kubeconfig");
  const result = await runChecked(runner, "kind", ["get", "kubeconfig", "--name", name], { timeoutMs: 30_000 });
  await writeFile(kubeconfigPath, result.stdout, { mode: 0o600 });
  return { name, kubeconfigPath, context: kindContextName(name) };
}

/**
 * `kind create cluster --wait` waits for the control plane only, and a timed-out wait is just a
 * warning (kind v0.30.0 pkg/cluster/internal/create/actions/waitforready). The worker, which the
 * whole scenario is about, must be Ready too: wait for every node, like trivy-operator's own CI
 * (`kubectl wait --for=condition=Ready nodes --all --timeout=300s`), so a node that never joins
 * fails here with kubectl's message instead of later as "pod not scheduled".
 */
async function waitForNodesReady(runner: CommandRunner, cluster: KindCluster): Promise<void> {
  const kubectl = new Kubectl(runner, cluster.kubeconfigPath, cluster.context);
  await kubectl.run(["wait", "--for=condition=Ready", "nodes", "--all", `--timeout=${NODES_READY_TIMEOUT_SECONDS}s`], {
    timeoutMs: (NODES_READY_TIMEOUT_SECONDS + 30) * 1000,
  });
}

/**
 * kind removes the control-plane taint only from single-node clusters. We remove it here so the
 * control plane plays the ordinary node pool and the worker is the only dedicated (tainted) pool:
 * the operator itself schedules normally, and only the components that must reach the dedicated
 * pool (scan jobs, node-collector) need the `ci` stack's toleration — exactly what the test proves.
 */
async function makeControlPlaneSchedulable(runner: CommandRunner, cluster: KindCluster): Promise<void> {
  const kubectl = new Kubectl(runner, cluster.kubeconfigPath, cluster.context);
  // The trailing "-" removes the taint; `--overwrite` is not needed. Fails if already absent, hence the check.
  const node = await kubectl.getJson<{ spec?: { taints?: Array<{ key: string }> } }>(["node", controlPlaneNodeName(cluster.name)]);
  if ((node.spec?.taints ?? []).some((taint) => taint.key === "node-role.kubernetes.io/control-plane")) {
    await kubectl.run(["taint", "node", controlPlaneNodeName(cluster.name), "node-role.kubernetes.io/control-plane:NoSchedule-"]);
  }
}

/** Idempotent: deleting a cluster that does not exist succeeds in kind. */
export async function deleteKindCluster(runner: CommandRunner, name: string, log: (line: string) => void): Promise<void> {
  log(`deleting kind cluster ${name}`);
  await runChecked(runner, "kind", ["delete", "cluster", "--name", name], { timeoutMs: 5 * 60_000 });
}
