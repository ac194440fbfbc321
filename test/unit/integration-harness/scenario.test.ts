import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { CommandResult, CommandRunner } from "../../integration/harness/command-runner";
import { createKindCluster } from "../../integration/harness/kind-cluster";
import { Kubectl } from "../../integration/harness/kubectl";
import type { Clock } from "../../integration/harness/poller";
import { deployVulnerableWorkload, expectationsFor, probeDefaultDeny, waitForReport, type ScenarioContext } from "../../integration/harness/scenario";

/**
 * The glue between harness and tools, against a scripted fake of kind/kubectl: checks the
 * arguments the real tools would get, which the integration tier cannot check on this machine.
 */
type Handler = (args: readonly string[], input: string | undefined) => Partial<CommandResult> | undefined;

function scriptedRunner(handler: Handler): { runner: CommandRunner; calls: Array<{ file: string; args: readonly string[]; input?: string }> } {
  const calls: Array<{ file: string; args: readonly string[]; input?: string }> = [];
  const runner: CommandRunner = async (file, args, options) => {
    calls.push({ file, args, ...(options.input === undefined ? {} : { input: options.input }) });
    const answer = handler([file, ...args], options.input) ?? {};
    return { command: [file, ...args].join(" "), exitCode: 0, stdout: "", stderr: "", timedOut: false, notFound: false, ...answer };
  };
  return { runner, calls };
}

const instantClock: Clock = (() => {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
})();

/** kubectl args without the executable and the --kubeconfig/--context prefix. */
function verb(args: readonly string[]): string {
  return (args[0] === "kubectl" ? args.slice(1) : args).slice(4).join(" ");
}

describe("createKindCluster", () => {
  it("creates the cluster from the generated config into its own kubeconfig, then makes the control plane schedulable", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "kind-cluster-test-"));
    const { runner, calls } = scriptedRunner((args) =>
      args[0] === "kubectl" && verb(args).startsWith("get node")
        ? { stdout: JSON.stringify({ spec: { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } }) }
        : undefined,
    );

    const cluster = await createKindCluster(runner, "trivy-e2e-x", workDir, () => undefined);

    expect(cluster).toEqual({ name: "trivy-e2e-x", kubeconfigPath: join(workDir, "kubeconfig"), context: "kind-trivy-e2e-x" });
    expect(calls[0]?.args).toEqual([
      "create", "cluster", "--name", "trivy-e2e-x", "--config", join(workDir, "kind-config.yaml"), "--kubeconfig", join(workDir, "kubeconfig"), "--wait", "5m",
    ]);
    const config = parse(await readFile(join(workDir, "kind-config.yaml"), "utf8")) as { name: string; nodes: unknown[] };
    expect(config).toMatchObject({ name: "trivy-e2e-x", nodes: [{ role: "control-plane" }, { role: "worker" }] });
    // `kind create --wait` covers the control plane only: every node (the tainted worker) must be Ready before the taint edit.
    expect(calls[1]?.args).toEqual([
      "--kubeconfig", join(workDir, "kubeconfig"), "--context", "kind-trivy-e2e-x",
      "wait", "--for=condition=Ready", "nodes", "--all", "--timeout=300s",
    ]);
    expect(calls.at(-1)?.args).toEqual([
      "--kubeconfig", join(workDir, "kubeconfig"), "--context", "kind-trivy-e2e-x",
      "taint", "node", "trivy-e2e-x-control-plane", "node-role.kubernetes.io/control-plane:NoSchedule-",
    ]);
  });

  it("fails with kubectl's message when a node never becomes Ready", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "kind-cluster-test-"));
    const { runner, calls } = scriptedRunner((args) =>
      args[0] === "kubectl" && verb(args).startsWith("wait")
        ? { exitCode: 1, stderr: "error: timed out waiting for the condition on nodes/trivy-e2e-x-worker" }
        : undefined,
    );

    await expect(createKindCluster(runner, "trivy-e2e-x", workDir, () => undefined)).rejects.toThrow(/timed out waiting for the condition on nodes\/trivy-e2e-x-worker/);
    expect(calls.some((call) => call.args.includes("taint"))).toBe(false);
  });

  it("fails with kind's own error when creation fails", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "kind-cluster-test-"));
    const { runner } = scriptedRunner(() => ({ exitCode: 1, stderr: "ERROR: failed to create cluster: node(s) already exist for a cluster with the name \"x\"" }));

    await expect(createKindCluster(runner, "trivy-e2e-x", workDir, () => undefined)).rejects.toThrow(/kind create cluster .* exited with 1:\nERROR: failed to create cluster/);
  });
});

describe("scenario steps", () => {
  function context(handler: Handler): { scenario: ScenarioContext; calls: ReturnType<typeof scriptedRunner>["calls"] } {
    const { runner, calls } = scriptedRunner(handler);
    return { scenario: { runner, kubectl: new Kubectl(runner, "/tmp/kc", "kind-c"), clusterName: "c", log: () => undefined, clock: instantClock }, calls };
  }

  it("applies the workload and waits until the pod runs on the tainted worker", async () => {
    let polls = 0;
    const { scenario, calls } = context((args) => {
      if (verb(args).startsWith("get pod vulnerable-nginx")) {
        polls++;
        return { stdout: JSON.stringify(polls < 3 ? { status: { phase: "Pending" } } : { spec: { nodeName: "c-worker" }, status: { phase: "Running" } }) };
      }
      return undefined;
    });

    await deployVulnerableWorkload(scenario);

    expect(verb(calls[0]?.args ?? [])).toBe("apply --filename -");
    expect(calls[0]?.input).toContain('"image":"nginx:1.14.2"');
    expect(polls).toBe(3);
  });

  it("lists reports by label selector in the workload namespace and returns the matching one", async () => {
    const report = {
      metadata: {
        name: "pod-vulnerable-nginx-app",
        labels: { "trivy-operator.resource.kind": "Pod", "trivy-operator.resource.name": "vulnerable-nginx", "trivy-operator.resource.namespace": "trivy-e2e-workload" },
      },
      report: { summary: { criticalCount: 3 } },
    };
    const { scenario, calls } = context(() => ({ stdout: JSON.stringify({ items: [report] }) }));
    const vulnerability = expectationsFor("c").find((expectation) => expectation.plural === "vulnerabilityreports");

    await expect(waitForReport(scenario, vulnerability!, 60_000)).resolves.toEqual(report);
    expect(verb(calls[0]?.args ?? [])).toBe(
      "get vulnerabilityreports.aquasecurity.github.io --namespace trivy-e2e-workload --selector trivy-operator.resource.kind=Pod,trivy-operator.resource.name=vulnerable-nginx,trivy-operator.resource.namespace=trivy-e2e-workload --output json",
    );
  });

  it("lists the node report cluster-wide", async () => {
    const { scenario, calls } = context(() => ({ stdout: JSON.stringify({ items: [] }) }));
    const infra = expectationsFor("c").find((expectation) => expectation.plural === "clusterinfraassessmentreports");

    await expect(waitForReport(scenario, infra!, 10_000)).rejects.toThrow(/no report of Node c-worker yet/);
    expect(verb(calls[0]?.args ?? [])).not.toContain("--namespace");
  });

  it("probes the Service IP from both namespaces and reports each outcome", async () => {
    const { scenario, calls } = context((args, input) => {
      const command = verb(args);
      if (command.startsWith("get service probe-target")) return { stdout: JSON.stringify({ spec: { clusterIP: "10.96.0.42" } }) };
      if (command.startsWith("apply")) {
        expect(input).toContain("http://10.96.0.42:80/");
        return undefined;
      }
      if (command.includes("--namespace trivy-system")) return { stdout: JSON.stringify({ status: { phase: "Failed" } }) };
      return { stdout: JSON.stringify({ status: { phase: "Succeeded" } }) };
    });

    const result = await probeDefaultDeny(scenario, "abc123");

    expect(result).toEqual({ fromUnrestrictedNamespace: "reachable", fromOperatorNamespace: "blocked", target: "trivy-e2e-workload/probe-target (10.96.0.42:80)" });
    const applied = calls.filter((call) => verb(call.args).startsWith("apply")).map((call) => JSON.parse(call.input ?? "{}") as { metadata: { namespace: string } });
    expect(applied.map((pod) => pod.metadata.namespace)).toEqual(["trivy-e2e-workload", "trivy-system"]);
  });
});
