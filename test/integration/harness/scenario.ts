import { CI_CLUSTER } from "../../../stacks/ci-cluster";
import { describeFailure, type CommandRunner } from "./command-runner";
import type { Kubectl } from "./kubectl";
import { systemClock, waitFor, type Clock } from "./poller";
import { describeReport, matchReport, scenarioExpectations, type ReportExpectation, type ReportObject } from "./reports";
import {
  PROBE_TARGET_POD_NAME,
  PROBE_TARGET_PORT,
  PROBE_TARGET_SERVICE,
  VULNERABLE_POD_NAME,
  WORKLOAD_NAMESPACE,
  describePod,
  explainPullFailure,
  isReadyToProbe,
  probeClientManifest,
  probeConnectCommand,
  probeVerdict,
  pullFailure,
  toApplyInput,
  workloadManifests,
  workloadNamespaceManifest,
  type PodStatusView,
  type ProbeVerdict,
} from "./workload";
import { workerNodeName } from "./kind-cluster-config";

/** Steps shared by the suite (kind.integ.ts) and the playground (`npm run up`). */
export interface ScenarioContext {
  readonly runner: CommandRunner;
  readonly kubectl: Kubectl;
  readonly clusterName: string;
  readonly log: (line: string) => void;
  readonly clock?: Clock;
}

function clockOf(context: ScenarioContext): { clock?: Clock } {
  return context.clock ? { clock: context.clock } : {};
}

/**
 * One `kubectl apply`, retried for a minute: right after cluster creation the API server and
 * admission can briefly refuse (a webhook or a namespace's ServiceAccount not there yet), and a
 * failure here would fail every test of the file. `kubectl apply` is idempotent, so a retry after a
 * partial apply is harmless.
 */
export async function applyWithRetry(context: ScenarioContext, documents: string, what: string): Promise<void> {
  await waitFor({
    description: `kubectl apply of ${what} to succeed`,
    timeoutMs: 60_000,
    intervalMs: 5_000,
    log: context.log,
    ...clockOf(context),
    observe: async () => {
      await context.kubectl.apply(documents);
      return { done: true, value: undefined };
    },
  });
}

/**
 * A new namespace's `default` ServiceAccount is created asynchronously by the controller-manager's
 * serviceaccounts controller, and the ServiceAccount admission plugin, after a short retry of its
 * own, rejects a Pod whose account is missing (`serviceaccount "default" not found`). Waiting for
 * the account keeps the first Pod apply from racing it.
 */
async function waitForDefaultServiceAccount(context: ScenarioContext, namespace: string): Promise<void> {
  await waitFor({
    description: `serviceaccount/default in namespace ${namespace}`,
    timeoutMs: 60_000,
    intervalMs: 1_000,
    log: context.log,
    ...clockOf(context),
    observe: async () => {
      await context.kubectl.getJson(["serviceaccount", "default", "--namespace", namespace]);
      return { done: true, value: undefined };
    },
  });
}

/**
 * How long an image pull may keep failing before the pod is re-created once. kubelet retries a
 * failed pull itself, with a back-off that doubles from 10 s to 5 min (pkg/kubelet/kubelet.go
 * `NewMainKubelet`: `flowcontrol.NewBackOff(imageBackOffPeriod, MaxImageBackOff)`, keyed by pod UID
 * and image in pkg/kubelet/images); after 2 min of failures its next try can be minutes away, so a
 * registry that recovered (a rate limit window, a mirror hiccup) would be noticed too late. A new
 * pod has a new UID, hence a fresh back-off.
 */
export const PULL_RETRY_AFTER_MS = 2 * 60_000;

/**
 * Waits until `ready(pod)`, printing the pod's phase and waiting reason while it is not. A pod
 * whose image keeps failing to pull is re-created once from `manifest`; the progress lines and
 * the timeout message say which image, the registry's answer and what to do.
 */
async function waitForPod(
  context: ScenarioContext,
  params: {
    readonly namespace: string;
    readonly name: string;
    readonly description: string;
    readonly timeoutMs: number;
    readonly ready: (pod: PodStatusView) => boolean;
    /** The pod's manifest as an apply stream, for the one re-creation after failed pulls. */
    readonly manifest: string;
  },
): Promise<PodStatusView> {
  const clock = context.clock ?? systemClock;
  let failingSince: number | undefined;
  let recreated = false;
  return waitFor({
    description: params.description,
    timeoutMs: params.timeoutMs,
    intervalMs: 2_000,
    log: context.log,
    ...clockOf(context),
    observe: async () => {
      const pod = await context.kubectl.getJson<PodStatusView>(["pod", params.name, "--namespace", params.namespace]);
      if (params.ready(pod)) {
        return { done: true, value: pod };
      }
      const seen = `${params.namespace}/${params.name}: ${describePod(pod)} on node ${pod.spec?.nodeName ?? "<not scheduled>"}`;
      const failure = pullFailure(pod);
      if (!failure) {
        failingSince = undefined;
        return { done: false, seen };
      }
      failingSince ??= clock.now();
      if (!recreated && clock.now() - failingSince >= PULL_RETRY_AFTER_MS) {
        recreated = true;
        failingSince = undefined;
        context.log(
          `  ${explainPullFailure(failure)}: re-creating ${params.namespace}/${params.name} once, so kubelet retries the pull without its back-off`,
        );
        await context.kubectl.run(
          ["delete", "pod", params.name, "--namespace", params.namespace, "--ignore-not-found", "--wait=true", "--timeout=60s"],
          { timeoutMs: 90_000 },
        );
        await applyWithRetry(context, params.manifest, `${params.namespace}/${params.name} (re-created)`);
        return { done: false, seen: `${seen}; re-created once` };
      }
      return { done: false, seen: recreated ? `${seen}; already re-created once` : seen };
    },
  });
}

/**
 * Namespace first, then its `default` ServiceAccount, then the Pods and the Service; then waits
 * until the vulnerable Pod runs on the tainted worker and the probe target runs.
 */
export async function deployVulnerableWorkload(context: ScenarioContext): Promise<void> {
  context.log(`deploying ${WORKLOAD_NAMESPACE}/${VULNERABLE_POD_NAME} onto the tainted worker`);
  await applyWithRetry(context, toApplyInput([workloadNamespaceManifest()]), `namespace ${WORKLOAD_NAMESPACE}`);
  await waitForDefaultServiceAccount(context, WORKLOAD_NAMESPACE);
  const manifests = workloadManifests();
  await applyWithRetry(context, toApplyInput(manifests), `the workload in ${WORKLOAD_NAMESPACE}`);
  const podManifest = (name: string): string =>
    toApplyInput(manifests.filter((manifest) => manifest["kind"] === "Pod" && (manifest["metadata"] as { name?: string }).name === name));
  const worker = workerNodeName(context.clusterName);
  await waitForPod(context, {
    namespace: WORKLOAD_NAMESPACE,
    name: VULNERABLE_POD_NAME,
    description: `Pod ${WORKLOAD_NAMESPACE}/${VULNERABLE_POD_NAME} running on ${worker}`,
    timeoutMs: 5 * 60_000,
    ready: (pod) => pod.status?.phase === "Running" && pod.spec?.nodeName === worker,
    manifest: podManifest(VULNERABLE_POD_NAME),
  });
  await waitForPod(context, {
    namespace: WORKLOAD_NAMESPACE,
    name: PROBE_TARGET_POD_NAME,
    description: `Pod ${WORKLOAD_NAMESPACE}/${PROBE_TARGET_POD_NAME} (the network probes' target) running`,
    timeoutMs: 5 * 60_000,
    ready: (pod) => pod.status?.phase === "Running",
    manifest: podManifest(PROBE_TARGET_POD_NAME),
  });
}

export function expectationsFor(clusterName: string): readonly ReportExpectation[] {
  return scenarioExpectations({
    workloadNamespace: WORKLOAD_NAMESPACE,
    workloadPodName: VULNERABLE_POD_NAME,
    workerNodeName: workerNodeName(clusterName),
  });
}

/** Waits for one report, polling by label selector, with its own deadline. */
export function waitForReport(context: ScenarioContext, expectation: ReportExpectation, timeoutMs: number): Promise<ReportObject> {
  return waitFor({
    description: expectation.description,
    timeoutMs,
    log: context.log,
    ...(context.clock ? { clock: context.clock } : {}),
    observe: async () => {
      const match = matchReport(await context.kubectl.listReports(expectation), expectation);
      return match.found ? { done: true, value: match.report } : { done: false, seen: match.seen };
    },
  });
}

export interface NetworkProbeResult {
  /** From the operator namespace (default-deny): must be "blocked". */
  readonly fromOperatorNamespace: ProbeVerdict;
  /** The same connection from the workload namespace (no policies): must be "reachable", else the probe proves nothing. */
  readonly fromUnrestrictedNamespace: ProbeVerdict;
  readonly target: string;
}

/**
 * Pause between "Running with status.podIP" and the connection: kindnetd's policy controller
 * learns the IP from its pod informer and rewrites its nft set in the same sync (kube-network-
 * policies v0.8.0 pkg/networkpolicy/controller.go: pod UpdateFunc → queue → syncNFTablesRules),
 * normally within a second; other implementations advise "2-5 secs" (aws-network-policy-agent#186).
 */
export const PROBE_SETTLE_MS = 5_000;

/**
 * kindnetd fails open (a policy controller that did not start enforces nothing), so the policy is
 * proven by an active connection attempt, with a control: the same connection from a namespace
 * without policies must succeed, otherwise "blocked" could just mean a broken target. Both probes
 * run the same way: a long-running client pod, Running with its IP known to the API server, a
 * settle, then `kubectl exec … /agnhost connect` (exec goes API server → kubelet, not through the
 * pod network). A connection from the container's start-up command would race the policy.
 */
export async function probeDefaultDeny(context: ScenarioContext, runId: string): Promise<NetworkProbeResult> {
  const service = await context.kubectl.getJson<{ spec?: { clusterIP?: string } }>([
    "service",
    PROBE_TARGET_SERVICE,
    "--namespace",
    WORKLOAD_NAMESPACE,
  ]);
  const targetIp = service.spec?.clusterIP;
  if (!targetIp) {
    throw new Error(`service ${WORKLOAD_NAMESPACE}/${PROBE_TARGET_SERVICE} has no clusterIP`);
  }
  const clock = context.clock ?? systemClock;
  const command = probeConnectCommand(targetIp, PROBE_TARGET_PORT);
  const probe = async (namespace: string): Promise<ProbeVerdict> => {
    const name = `network-probe-${runId}`;
    const manifest = toApplyInput([probeClientManifest({ name, namespace })]);
    await applyWithRetry(context, manifest, `probe client ${namespace}/${name}`);
    const pod = await waitForPod(context, {
      namespace,
      name,
      description: `probe client ${namespace}/${name} Running with a pod IP`,
      // Image pull (agnhost, ~50 MB) and start.
      timeoutMs: 3 * 60_000,
      ready: isReadyToProbe,
      manifest,
    });
    context.log(
      `probe client ${namespace}/${name} runs with IP ${pod.status?.podIP ?? "?"}; waiting ${PROBE_SETTLE_MS / 1000} s for the policy controller to know it`,
    );
    await clock.sleep(PROBE_SETTLE_MS);
    return waitFor({
      description: `kubectl exec ${namespace}/${name} -- ${command.join(" ")} to give a network verdict`,
      // Retries only when kubectl itself failed (no verdict); a verdict is final.
      timeoutMs: 60_000,
      intervalMs: 5_000,
      log: context.log,
      ...clockOf(context),
      observe: async () => {
        const result = await context.kubectl.exec(namespace, name, command, 30_000);
        const verdict = probeVerdict(result);
        return verdict
          ? { done: true, value: verdict }
          : { done: false, seen: `no network verdict: ${describeFailure(result).split("\n").join(" | ")}` };
      },
    });
  };
  return {
    fromUnrestrictedNamespace: await probe(WORKLOAD_NAMESPACE),
    fromOperatorNamespace: await probe(CI_CLUSTER.operatorNamespace),
    target: `${WORKLOAD_NAMESPACE}/${PROBE_TARGET_SERVICE} (${targetIp}:${PROBE_TARGET_PORT})`,
  };
}

/** Lines for the playground's summary and the suite's log. */
export function summarizeReports(found: ReadonlyArray<{ readonly expectation: ReportExpectation; readonly report: ReportObject }>): string {
  return found.map(({ expectation, report }) => `  ${expectation.description}: ${describeReport(report)}`).join("\n");
}
