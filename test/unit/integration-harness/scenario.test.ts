import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { CommandResult, CommandRunner } from "../../integration/harness/command-runner";
import { createKindCluster } from "../../integration/harness/kind-cluster";
import { Kubectl } from "../../integration/harness/kubectl";
import type { Clock } from "../../integration/harness/poller";
import {
  deployVulnerableWorkload,
  expectationsFor,
  PROBE_SETTLE_MS,
  probeDefaultDeny,
  waitForReport,
  type ScenarioContext,
} from "../../integration/harness/scenario";

/**
 * The glue between harness and tools, against a scripted fake of kind/kubectl: checks the
 * arguments the real tools would get, which the integration tier cannot check on this machine.
 */
type Handler = (args: readonly string[], input: string | undefined) => Partial<CommandResult> | undefined;

function scriptedRunner(handler: Handler): {
  runner: CommandRunner;
  calls: Array<{ file: string; args: readonly string[]; input?: string }>;
} {
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
      "create",
      "cluster",
      "--name",
      "trivy-e2e-x",
      "--config",
      join(workDir, "kind-config.yaml"),
      "--kubeconfig",
      join(workDir, "kubeconfig"),
      "--wait",
      "5m",
      "--retain",
    ]);
    const config = parse(await readFile(join(workDir, "kind-config.yaml"), "utf8")) as { name: string; nodes: unknown[] };
    expect(config).toMatchObject({ name: "trivy-e2e-x", nodes: [{ role: "control-plane" }, { role: "worker" }] });
    // `kind create --wait` covers the control plane only: every node (the tainted worker) must be Ready before the taint edit.
    expect(calls[1]?.args).toEqual([
      "--kubeconfig",
      join(workDir, "kubeconfig"),
      "--context",
      "kind-trivy-e2e-x",
      "wait",
      "--for=condition=Ready",
      "nodes",
      "--all",
      "--timeout=300s",
    ]);
    expect(calls.at(-1)?.args).toEqual([
      "--kubeconfig",
      join(workDir, "kubeconfig"),
      "--context",
      "kind-trivy-e2e-x",
      "taint",
      "node",
      "trivy-e2e-x-control-plane",
      "node-role.kubernetes.io/control-plane:NoSchedule-",
    ]);
  });

  it("fails with kubectl's message when a node never becomes Ready", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "kind-cluster-test-"));
    const { runner, calls } = scriptedRunner((args) =>
      args[0] === "kubectl" && verb(args).startsWith("wait")
        ? { exitCode: 1, stderr: "error: timed out waiting for the condition on nodes/trivy-e2e-x-worker" }
        : undefined,
    );

    await expect(createKindCluster(runner, "trivy-e2e-x", workDir, () => undefined)).rejects.toThrow(
      /timed out waiting for the condition on nodes\/trivy-e2e-x-worker/,
    );
    expect(calls.some((call) => call.args.includes("taint"))).toBe(false);
  });

  it("fails with kind's own error when creation fails", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "kind-cluster-test-"));
    const { runner } = scriptedRunner(() => ({
      exitCode: 1,
      stderr: 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "x"',
    }));

    await expect(createKindCluster(runner, "trivy-e2e-x", workDir, () => undefined)).rejects.toThrow(
      /kind create cluster .* exited with 1:\nERROR: failed to create cluster/,
    );
  });
});

describe("scenario steps", () => {
  function context(handler: Handler): { scenario: ScenarioContext; calls: ReturnType<typeof scriptedRunner>["calls"] } {
    const { runner, calls } = scriptedRunner(handler);
    return {
      scenario: { runner, kubectl: new Kubectl(runner, "/tmp/kc", "kind-c"), clusterName: "c", log: () => undefined, clock: instantClock },
      calls,
    };
  }

  it("applies the namespace, waits for its default ServiceAccount, then applies the pods, and waits until they run", async () => {
    let polls = 0;
    let serviceAccountLookups = 0;
    const { scenario, calls } = context((args) => {
      const command = verb(args);
      if (command.startsWith("get serviceaccount default")) {
        serviceAccountLookups++;
        return serviceAccountLookups < 3
          ? { exitCode: 1, stderr: 'Error from server (NotFound): serviceaccounts "default" not found' }
          : { stdout: "{}" };
      }
      if (command.startsWith("get pod vulnerable-app")) {
        polls++;
        return {
          stdout: JSON.stringify(
            polls < 3 ? { status: { phase: "Pending" } } : { spec: { nodeName: "c-worker" }, status: { phase: "Running" } },
          ),
        };
      }
      if (command.startsWith("get pod probe-target")) return { stdout: JSON.stringify({ status: { phase: "Running" } }) };
      return undefined;
    });

    await deployVulnerableWorkload(scenario);

    const applies = calls.filter((call) => verb(call.args).startsWith("apply"));
    expect(applies[0]?.input).toContain('"kind":"Namespace"');
    expect(applies[0]?.input).not.toContain('"kind":"Pod"');
    expect(applies[1]?.input).toContain('"image":"mirror.gcr.io/knqyf263/vuln-image:1.2.3"');
    // The pods were applied only after the ServiceAccount lookup succeeded.
    const lastLookup = calls
      .map((call) => verb(call.args))
      .lastIndexOf("get serviceaccount default --namespace trivy-e2e-workload --output json");
    expect(calls.indexOf(applies[1]!)).toBeGreaterThan(lastLookup);
    expect(serviceAccountLookups).toBe(3);
    expect(polls).toBe(3);
  });

  it("retries an apply the API server refused, and gives up with kubectl's message after a minute", async () => {
    let attempts = 0;
    const flaky = context((args) => {
      if (verb(args).startsWith("apply") && ++attempts < 3)
        return { exitCode: 1, stderr: "Error from server (InternalError): failed calling webhook" };
      if (verb(args).startsWith("get pod vulnerable-app"))
        return { stdout: JSON.stringify({ spec: { nodeName: "c-worker" }, status: { phase: "Running" } }) };
      if (verb(args).startsWith("get pod")) return { stdout: JSON.stringify({ status: { phase: "Running" } }) };
      return { stdout: "{}" };
    });
    await deployVulnerableWorkload(flaky.scenario);
    expect(attempts).toBe(4);

    const broken = context((args) =>
      verb(args).startsWith("apply")
        ? { exitCode: 1, stderr: 'Error from server (Forbidden): namespaces "trivy-e2e-workload" is forbidden' }
        : undefined,
    );
    await expect(deployVulnerableWorkload(broken.scenario)).rejects.toThrow(
      /kubectl apply of namespace trivy-e2e-workload to succeed; last seen: error: .* exited with 1: \| Error from server \(Forbidden\)/,
    );
  });

  it("re-creates a pod once when its image pull keeps failing, then fails naming the image and the registry's answer", async () => {
    const pullBackOff = {
      spec: { nodeName: "c-worker" },
      status: {
        phase: "Pending",
        containerStatuses: [
          {
            image: "mirror.gcr.io/knqyf263/vuln-image:1.2.3",
            state: { waiting: { reason: "ImagePullBackOff", message: "429 Too Many Requests" } },
          },
        ],
      },
    };
    const { scenario, calls } = context((args) => {
      const command = verb(args);
      if (command.startsWith("get serviceaccount")) return { stdout: "{}" };
      if (command.startsWith("get pod vulnerable-app")) return { stdout: JSON.stringify(pullBackOff) };
      return undefined;
    });

    const failure = deployVulnerableWorkload(scenario);

    await expect(failure).rejects.toThrow(
      /Pod trivy-e2e-workload\/vulnerable-app running on c-worker; last seen: .*cannot pull mirror\.gcr\.io\/knqyf263\/vuln-image:1\.2\.3 \(ImagePullBackOff: 429 Too Many Requests\); likely the registry's pull rate limit.*already re-created once/,
    );
    const deletes = calls.filter((call) => verb(call.args).startsWith("delete pod"));
    expect(deletes.map((call) => verb(call.args).split(" ").slice(0, 3).join(" "))).toEqual(["delete pod vulnerable-app"]);
    const reapplied = calls.slice(calls.indexOf(deletes[0]!)).find((call) => verb(call.args).startsWith("apply"));
    expect(
      parseAllDocuments(reapplied?.input ?? "").map((document) => (document.toJS() as { metadata: { name: string } }).metadata.name),
    ).toEqual(["vulnerable-app"]);
  });

  it("lists reports by label selector in the workload namespace and returns the matching one", async () => {
    const report = {
      metadata: {
        name: "pod-vulnerable-app-app",
        labels: {
          "trivy-operator.resource.kind": "Pod",
          "trivy-operator.resource.name": "vulnerable-app",
          "trivy-operator.resource.namespace": "trivy-e2e-workload",
        },
      },
      report: { summary: { criticalCount: 3 } },
    };
    const { scenario, calls } = context(() => ({ stdout: JSON.stringify({ items: [report] }) }));
    const vulnerability = expectationsFor("c").find((expectation) => expectation.plural === "vulnerabilityreports");

    await expect(waitForReport(scenario, vulnerability!, 60_000)).resolves.toEqual(report);
    expect(verb(calls[0]?.args ?? [])).toBe(
      "get vulnerabilityreports.aquasecurity.github.io --namespace trivy-e2e-workload --selector trivy-operator.resource.kind=Pod,trivy-operator.resource.name=vulnerable-app,trivy-operator.resource.namespace=trivy-e2e-workload --output json",
    );
  });

  it("lists the node report cluster-wide", async () => {
    const { scenario, calls } = context(() => ({ stdout: JSON.stringify({ items: [] }) }));
    const infra = expectationsFor("c").find((expectation) => expectation.plural === "clusterinfraassessmentreports");

    await expect(waitForReport(scenario, infra!, 10_000)).rejects.toThrow(/no report of Node c-worker yet/);
    expect(verb(calls[0]?.args ?? [])).not.toContain("--namespace");
  });

  /** A cluster where probe clients get their IP on the second look, and exec answers per namespace. */
  function probeCluster(execAnswer: (namespace: string) => Partial<CommandResult>) {
    const looks = new Map<string, number>();
    const events: string[] = [];
    const scripted = context((args) => {
      const command = verb(args);
      if (command.startsWith("get service probe-target")) return { stdout: JSON.stringify({ spec: { clusterIP: "10.96.0.42" } }) };
      if (command.startsWith("get pod network-probe-")) {
        const namespace = command.split("--namespace ")[1]?.split(" ")[0] ?? "";
        const count = (looks.get(namespace) ?? 0) + 1;
        looks.set(namespace, count);
        const ready = count >= 2;
        events.push(`${ready ? "ready" : "starting"} ${namespace} @${instantClock.now()}`);
        return { stdout: JSON.stringify(ready ? { status: { phase: "Running", podIP: "10.244.0.9" } } : { status: { phase: "Running" } }) };
      }
      if (command.startsWith("exec")) {
        const namespace = command.split("--namespace ")[1]?.split(" ")[0] ?? "";
        events.push(`exec ${namespace} @${instantClock.now()}`);
        return execAnswer(namespace);
      }
      return undefined;
    });
    return { ...scripted, events };
  }

  it("connects only from a client that runs with its IP known, after the settle, from both namespaces", async () => {
    const { scenario, calls, events } = probeCluster((namespace) =>
      namespace === "trivy-system" ? { exitCode: 1, stderr: "TIMEOUT\ncommand terminated with exit code 1" } : { exitCode: 0 },
    );

    const result = await probeDefaultDeny(scenario, "abc123");

    expect(result).toEqual({
      fromUnrestrictedNamespace: { outcome: "reachable", detail: "connected" },
      fromOperatorNamespace: { outcome: "blocked", detail: "TIMEOUT" },
      target: "trivy-e2e-workload/probe-target (10.96.0.42:80)",
    });
    for (const namespace of ["trivy-e2e-workload", "trivy-system"]) {
      const readyAt = Number(events.find((event) => event.startsWith(`ready ${namespace}`))?.split("@")[1]);
      const execAt = Number(events.find((event) => event.startsWith(`exec ${namespace}`))?.split("@")[1]);
      expect(events.findIndex((event) => event.startsWith(`exec ${namespace}`))).toBeGreaterThan(
        events.findIndex((event) => event.startsWith(`ready ${namespace}`)),
      );
      expect(execAt - readyAt).toBeGreaterThanOrEqual(PROBE_SETTLE_MS);
    }
    const applied = calls
      .filter((call) => verb(call.args).startsWith("apply"))
      .map(
        (call) => JSON.parse(call.input ?? "{}") as { metadata: { namespace: string }; spec: { containers: Array<{ args: string[] }> } },
      );
    expect(applied.map((pod) => pod.metadata.namespace)).toEqual(["trivy-e2e-workload", "trivy-system"]);
    const exec = calls.find((call) => verb(call.args).startsWith("exec"));
    expect(verb(exec?.args ?? [])).toBe(
      "exec --namespace trivy-e2e-workload network-probe-abc123 -- /agnhost connect 10.96.0.42:80 --timeout=5s --protocol=tcp",
    );
  });

  it("retries when kubectl exec fails without a network verdict, instead of calling it blocked", async () => {
    let execs = 0;
    const { scenario } = probeCluster(() =>
      ++execs === 1 ? { exitCode: 1, stderr: "error: unable to upgrade connection: container not found" } : { exitCode: 0 },
    );

    const result = await probeDefaultDeny(scenario, "abc123");

    expect(result.fromUnrestrictedNamespace.outcome).toBe("reachable");
    expect(execs).toBe(3);
  });
});
