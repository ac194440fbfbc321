import { CI_CLUSTER } from "../../../stacks/ci-cluster";

/** Namespace of the deliberately vulnerable workload; not excluded by the `ci` stack. */
export const WORKLOAD_NAMESPACE = "trivy-e2e-workload";
/** A bare Pod, like upstream's e2e (`my-pod`), so its reports carry `trivy-operator.resource.kind=Pod`. */
export const VULNERABLE_POD_NAME = "vulnerable-nginx";
/** The image upstream's own e2e scans; old enough to have critical CVEs with fixes. */
export const VULNERABLE_IMAGE = "nginx:1.14.2";
/** Target of the network probes: the vulnerable nginx behind a ClusterIP Service. */
export const PROBE_TARGET_SERVICE = "probe-target";
export const PROBE_TARGET_PORT = 80;
export const PROBE_IMAGE = "busybox:1.36.1";
/** How long one probe connection may take before it counts as blocked. */
export const PROBE_CONNECT_TIMEOUT_SECONDS = 5;

type Manifest = Record<string, unknown>;

const { workerTaint, workerLabel } = CI_CLUSTER;

/** The namespace, the vulnerable Pod on the tainted worker, and a Service in front of it. */
export function workloadManifests(): Manifest[] {
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: WORKLOAD_NAMESPACE } },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: VULNERABLE_POD_NAME, namespace: WORKLOAD_NAMESPACE, labels: { app: VULNERABLE_POD_NAME } },
      spec: {
        // Pinned to the dedicated pool: scanning it then needs scan jobs that tolerate the taint too.
        nodeSelector: { [workerLabel.key]: workerLabel.value },
        tolerations: [{ key: workerTaint.key, operator: "Equal", value: workerTaint.value, effect: workerTaint.effect }],
        containers: [{ name: "app", image: VULNERABLE_IMAGE, ports: [{ containerPort: PROBE_TARGET_PORT }] }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: PROBE_TARGET_SERVICE, namespace: WORKLOAD_NAMESPACE },
      spec: { selector: { app: VULNERABLE_POD_NAME }, ports: [{ port: PROBE_TARGET_PORT, targetPort: PROBE_TARGET_PORT }] },
    },
  ];
}

/**
 * A one-shot pod that tries one TCP/HTTP connection and exits 0 if it got through.
 * It targets an IP, not a DNS name, so a blocked DNS lookup cannot pass for a blocked connection.
 * The security context satisfies Pod Security "restricted", which the operator namespace may enforce.
 */
export function probePodManifest(params: { readonly name: string; readonly namespace: string; readonly targetIp: string; readonly port: number }): Manifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: params.name, namespace: params.namespace, labels: { "app.kubernetes.io/name": "trivy-e2e-network-probe" } },
    spec: {
      restartPolicy: "Never",
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "probe",
          image: PROBE_IMAGE,
          command: ["wget", "-q", "-T", String(PROBE_CONNECT_TIMEOUT_SECONDS), "-O", "/dev/null", `http://${params.targetIp}:${params.port}/`],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
}

export type ProbeOutcome = "reachable" | "blocked" | "pending";

/** The parts of a Pod (kubectl -o json) a probe's outcome is read from. */
export interface ProbePodStatus {
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: ReadonlyArray<{ readonly state?: { readonly waiting?: { readonly reason?: string } } }>;
  };
}

/** Succeeded = connection made, Failed = refused or timed out, anything else = not finished. */
export function probeOutcome(pod: ProbePodStatus): ProbeOutcome {
  switch (pod.status?.phase ?? "Unknown") {
    case "Succeeded":
      return "reachable";
    case "Failed":
      return "blocked";
    default:
      return "pending";
  }
}

/** Why a probe is still pending, e.g. "phase Pending (ImagePullBackOff)", for progress output. */
export function describeProbePod(pod: ProbePodStatus): string {
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
  return `phase ${pod.status?.phase ?? "unknown"}${waiting ? ` (${waiting})` : ""}`;
}

/** Manifests as one `kubectl apply -f -` document stream (JSON is valid YAML). */
export function toApplyInput(manifests: readonly Manifest[]): string {
  return manifests.map((manifest) => JSON.stringify(manifest)).join("\n---\n");
}
