import { CI_CLUSTER } from "../../../stacks/ci-cluster";
import type { CommandRunner } from "./command-runner";
import type { Kubectl } from "./kubectl";
import { waitFor, type Clock } from "./poller";
import { describeReport, matchReport, scenarioExpectations, type ReportExpectation, type ReportObject } from "./reports";
import {
  PROBE_TARGET_PORT,
  PROBE_TARGET_SERVICE,
  VULNERABLE_POD_NAME,
  WORKLOAD_NAMESPACE,
  describeProbePod,
  probeOutcome,
  probePodManifest,
  toApplyInput,
  workloadManifests,
  type ProbeOutcome,
  type ProbePodStatus,
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

/** Applies the vulnerable Pod and waits until it runs on the tainted worker. */
export async function deployVulnerableWorkload(context: ScenarioContext): Promise<void> {
  context.log(`deploying ${WORKLOAD_NAMESPACE}/${VULNERABLE_POD_NAME} onto the tainted worker`);
  await context.kubectl.apply(toApplyInput(workloadManifests()));
  await waitFor({
    description: `Pod ${WORKLOAD_NAMESPACE}/${VULNERABLE_POD_NAME} running on ${workerNodeName(context.clusterName)}`,
    timeoutMs: 5 * 60_000,
    log: context.log,
    ...(context.clock ? { clock: context.clock } : {}),
    observe: async () => {
      const pod = await context.kubectl.getJson<{ spec?: { nodeName?: string }; status?: { phase?: string } }>([
        "pod",
        VULNERABLE_POD_NAME,
        "--namespace",
        WORKLOAD_NAMESPACE,
      ]);
      const phase = pod.status?.phase ?? "unknown";
      return phase === "Running" && pod.spec?.nodeName === workerNodeName(context.clusterName)
        ? { done: true, value: undefined }
        : { done: false, seen: `phase ${phase} on node ${pod.spec?.nodeName ?? "<not scheduled>"}` };
    },
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
  readonly fromOperatorNamespace: ProbeOutcome;
  /** The same connection from the workload namespace (no policies): must be "reachable", else the probe proves nothing. */
  readonly fromUnrestrictedNamespace: ProbeOutcome;
  readonly target: string;
}

/**
 * kindnetd fails open (a policy controller that did not start enforces nothing), so the policy is
 * proven by an active connection attempt, with a control: the same connection from a namespace
 * without policies must succeed, otherwise "blocked" could just mean a broken target.
 */
export async function probeDefaultDeny(context: ScenarioContext, runId: string): Promise<NetworkProbeResult> {
  const service = await context.kubectl.getJson<{ spec?: { clusterIP?: string } }>(["service", PROBE_TARGET_SERVICE, "--namespace", WORKLOAD_NAMESPACE]);
  const targetIp = service.spec?.clusterIP;
  if (!targetIp) {
    throw new Error(`service ${WORKLOAD_NAMESPACE}/${PROBE_TARGET_SERVICE} has no clusterIP`);
  }
  const probe = async (namespace: string): Promise<ProbeOutcome> => {
    const name = `network-probe-${runId}`;
    await context.kubectl.apply(toApplyInput([probePodManifest({ name, namespace, targetIp, port: PROBE_TARGET_PORT })]));
    return waitFor({
      description: `network probe ${namespace}/${name} → ${targetIp}:${PROBE_TARGET_PORT} to finish`,
      // Image pull plus one connection attempt of a few seconds.
      timeoutMs: 3 * 60_000,
      intervalMs: 2_000,
      log: context.log,
      ...(context.clock ? { clock: context.clock } : {}),
      observe: async () => {
        const pod = await context.kubectl.getJson<ProbePodStatus>(["pod", name, "--namespace", namespace]);
        const outcome = probeOutcome(pod);
        return outcome === "pending" ? { done: false, seen: `probe pod ${describeProbePod(pod)}` } : { done: true, value: outcome };
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
