import { CI_CLUSTER } from "../../../stacks/ci-cluster";

/** Namespace of the deliberately vulnerable workload; not excluded by the `ci` stack. */
export const WORKLOAD_NAMESPACE = "trivy-e2e-workload";
/** A bare Pod, like upstream's itest (`unmanaged-vuln-image`), so its reports carry `trivy-operator.resource.kind=Pod`. */
export const VULNERABLE_POD_NAME = "vulnerable-app";
/**
 * The image trivy-operator's own itest scans, from Google's Docker Hub mirror rather than Docker Hub
 * (tests/itest/trivy-operator/behavior/behavior.go `VulnerabilityScannerBehavior`): no anonymous
 * pull limit for the node's pull or for trivy's own fetch of the image when it scans. Alpine 3.7.1
 * with packages built to be vulnerable: trivy's README listed it with CRITICAL OS findings
 * (curl CVE-2018-14618 among them), fixed in later Alpine releases.
 */
export const VULNERABLE_IMAGE = "mirror.gcr.io/knqyf263/vuln-image:1.2.3";
/** The image has no long-running entrypoint of its own; upstream's itest keeps it alive the same way. */
const VULNERABLE_COMMAND = ["/bin/sh", "-c", "--", "while true; do sleep 30; done;"];
/**
 * Kubernetes' own e2e image on registry.k8s.io (no Docker Hub pull limit): `netexec` serves HTTP for
 * the probe target, `pause` keeps the probe client alive, `connect` makes one TCP connection. The
 * NetworkPolicy conformance tests probe exactly this way (kubernetes test/e2e/network/netpol/
 * kubemanager.go `probeConnectivity`: `kubectl exec … /agnhost connect <ip>:<port> --timeout=5s --protocol=tcp`).
 */
export const AGNHOST_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.53";
/** Target of the network probes: an agnhost `netexec` Pod behind a ClusterIP Service. */
export const PROBE_TARGET_POD_NAME = "probe-target";
export const PROBE_TARGET_SERVICE = "probe-target";
/** The Service port probed; netexec listens on 8080 (unprivileged) behind it. */
export const PROBE_TARGET_PORT = 80;
const PROBE_TARGET_CONTAINER_PORT = 8080;
/** How long one probe connection may take before it counts as blocked (the conformance tests use 5 s too). */
export const PROBE_CONNECT_TIMEOUT_SECONDS = 5;
/** Exempts the test's helper pods from scanning (the `ci` stack's `operator.skipResourceByLabels`). */
export const SKIP_SCAN_LABEL = CI_CLUSTER.skipScanLabel;

type Manifest = Record<string, unknown>;

const { workerTaint, workerLabel } = CI_CLUSTER;

/** The namespace alone: applied first, so the Pods never race its `default` ServiceAccount. */
export function workloadNamespaceManifest(): Manifest {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: WORKLOAD_NAMESPACE } };
}

/** The vulnerable Pod on the tainted worker, the probe target, and a Service in front of the target. */
export function workloadManifests(): Manifest[] {
  return [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: VULNERABLE_POD_NAME, namespace: WORKLOAD_NAMESPACE, labels: { app: VULNERABLE_POD_NAME } },
      spec: {
        // Pinned to the dedicated pool: scanning it then needs scan jobs that tolerate the taint too.
        nodeSelector: { [workerLabel.key]: workerLabel.value },
        tolerations: [{ key: workerTaint.key, operator: "Equal", value: workerTaint.value, effect: workerTaint.effect }],
        // No grace period: the shell loop ignores SIGTERM, and nothing needs a clean shutdown.
        terminationGracePeriodSeconds: 0,
        containers: [{ name: "app", image: VULNERABLE_IMAGE, command: VULNERABLE_COMMAND }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: PROBE_TARGET_POD_NAME,
        namespace: WORKLOAD_NAMESPACE,
        labels: { app: PROBE_TARGET_POD_NAME, [SKIP_SCAN_LABEL]: "true" },
      },
      spec: {
        containers: [
          {
            name: "netexec",
            image: AGNHOST_IMAGE,
            args: ["netexec", `--http-port=${PROBE_TARGET_CONTAINER_PORT}`],
            ports: [{ containerPort: PROBE_TARGET_CONTAINER_PORT }],
          },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: PROBE_TARGET_SERVICE, namespace: WORKLOAD_NAMESPACE },
      spec: { selector: { app: PROBE_TARGET_POD_NAME }, ports: [{ port: PROBE_TARGET_PORT, targetPort: PROBE_TARGET_CONTAINER_PORT }] },
    },
  ];
}

/**
 * A long-running probe client: the connection is made later with `kubectl exec`, once the pod is
 * Running with `status.podIP` set, never by the container's own command at start-up. A connection
 * at start-up races the policy: kube-network-policies v0.8.0 (kindnetd's) only queues packets of IPs
 * in its nft set `podips-v4`, filled from the `status.podIPs` the API server reports
 * (pkg/networkpolicy/controller.go `syncNFTablesRules`), which kubelet sets on a sync after the
 * containers start; anything else, and every `ct state established` packet, is accepted.
 * The security context satisfies Pod Security "restricted", which the operator namespace may enforce.
 */
export function probeClientManifest(params: { readonly name: string; readonly namespace: string }): Manifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: params.name,
      namespace: params.namespace,
      labels: { "app.kubernetes.io/name": "trivy-e2e-network-probe", [SKIP_SCAN_LABEL]: "true" },
    },
    spec: {
      restartPolicy: "Never",
      // kubectl delete without waiting 30 s for a process that ignores SIGTERM.
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "probe",
          image: AGNHOST_IMAGE,
          args: ["pause"],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
}

/**
 * What `kubectl exec` runs in the probe client: one TCP connection to an IP (not a name, so a
 * blocked DNS lookup cannot pass for a blocked connection), bounded by the connect timeout.
 */
export function probeConnectCommand(targetIp: string, port: number): string[] {
  return ["/agnhost", "connect", `${targetIp}:${port}`, `--timeout=${PROBE_CONNECT_TIMEOUT_SECONDS}s`, "--protocol=tcp"];
}

export type ProbeOutcome = "reachable" | "blocked";

export interface ProbeVerdict {
  readonly outcome: ProbeOutcome;
  /** agnhost's error line for a blocked connection (TIMEOUT, REFUSED, OTHER: …). */
  readonly detail: string;
}

/**
 * agnhost `connect` (test/images/agnhost/connect/connect.go `connectTCP`) exits 0 on a connection
 * and 1 with a line starting TIMEOUT, REFUSED or OTHER when the network said no. `kubectl exec`
 * passes that exit code and stderr through. Anything else (kubectl could not reach the pod, an
 * API error, agnhost's UNKNOWN/DNS) says nothing about the policy: undefined, so the caller retries
 * or fails with the output instead of calling it "blocked".
 */
export function probeVerdict(result: { readonly exitCode: number | null; readonly stderr: string }): ProbeVerdict | undefined {
  if (result.exitCode === 0) {
    return { outcome: "reachable", detail: "connected" };
  }
  const networkError = /^(TIMEOUT|REFUSED|OTHER)\b.*$/m.exec(result.stderr);
  return result.exitCode === 1 && networkError ? { outcome: "blocked", detail: networkError[0].trim() } : undefined;
}

/** The parts of a Pod (kubectl -o json) the harness reads while waiting for it. */
export interface PodStatusView {
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly containerStatuses?: ReadonlyArray<{
      readonly image?: string;
      readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
    }>;
  };
}

/**
 * Ready to probe: Running, and the API server already reports its IP — the moment from which
 * kindnetd can put the IP in its set (plus a short settle, see probeDefaultDeny).
 */
export function isReadyToProbe(pod: PodStatusView): boolean {
  return pod.status?.phase === "Running" && Boolean(pod.status.podIP);
}

/** kubelet's waiting reasons for an image it could not pull (pkg/kubelet/images: ErrImagePull, then ImagePullBackOff between retries). */
const PULL_FAILURE_REASONS: ReadonlySet<string> = new Set(["ErrImagePull", "ImagePullBackOff"]);

export interface PullFailure {
  readonly image: string;
  readonly reason: string;
  /** kubelet's message, which carries the registry's answer (e.g. `429 Too Many Requests`). */
  readonly message: string;
  /** The registry refused for its pull rate limit rather than because the image is missing. */
  readonly rateLimited: boolean;
}

/** The first container kubelet cannot pull, if any. */
export function pullFailure(pod: PodStatusView): PullFailure | undefined {
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && PULL_FAILURE_REASONS.has(waiting.reason)) {
      const message = waiting.message ?? "";
      return {
        image: status.image ?? "?",
        reason: waiting.reason,
        message,
        rateLimited: /toomanyrequests|429 Too Many Requests|rate limit/i.test(message),
      };
    }
  }
  return undefined;
}

/** What to do about a pull failure, in words, for the wait's progress and timeout message. */
export function explainPullFailure(failure: PullFailure): string {
  const hint = failure.rateLimited
    ? "the registry's pull rate limit: for Docker Hub images, configure the DOCKERHUB_USERNAME and DOCKERHUB_TOKEN secrets (integration.yml logs in with them)"
    : "check that the image exists and the node can reach its registry";
  return `cannot pull ${failure.image} (${failure.reason}${failure.message ? `: ${failure.message}` : ""}); likely ${hint}`;
}

/** Why a pod is not there yet, e.g. "phase Pending (ImagePullBackOff)", for progress output. */
export function describePod(pod: PodStatusView): string {
  const failure = pullFailure(pod);
  if (failure) {
    return `phase ${pod.status?.phase ?? "unknown"}: ${explainPullFailure(failure)}`;
  }
  const waiting = pod.status?.containerStatuses?.find((status) => status.state?.waiting)?.state?.waiting?.reason;
  const ip = pod.status?.phase === "Running" && !pod.status.podIP ? ", no podIP yet" : "";
  return `phase ${pod.status?.phase ?? "unknown"}${waiting ? ` (${waiting})` : ""}${ip}`;
}

/** Manifests as one `kubectl apply -f -` document stream (JSON is valid YAML). */
export function toApplyInput(manifests: readonly Manifest[]): string {
  return manifests.map((manifest) => JSON.stringify(manifest)).join("\n---\n");
}
