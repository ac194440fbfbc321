import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CI_CLUSTER } from "../../../stacks/ci-cluster";
import { describeProbePod, probeOutcome, probePodManifest, toApplyInput, VULNERABLE_IMAGE, workloadManifests } from "../../integration/harness/workload";

/** The fields these tests read; the manifests are plain objects for `kubectl apply`. */
interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec: {
    readonly restartPolicy?: string;
    readonly nodeSelector?: Record<string, string>;
    readonly tolerations?: unknown[];
    readonly selector?: Record<string, string>;
    readonly securityContext?: Record<string, unknown>;
    readonly containers: Array<{ readonly image: string; readonly command?: string[]; readonly securityContext?: Record<string, unknown> }>;
  };
}

describe("vulnerable workload", () => {
  const [namespace, pod, service] = workloadManifests() as unknown as Manifest[];

  it("runs nginx:1.14.2, the image upstream's e2e scans", () => {
    expect(VULNERABLE_IMAGE).toBe("nginx:1.14.2");
    expect(pod?.spec.containers[0]?.image).toBe(VULNERABLE_IMAGE);
  });

  it("is pinned to the tainted worker and tolerates exactly its taint", () => {
    expect(pod?.spec.nodeSelector).toEqual({ [CI_CLUSTER.workerLabel.key]: CI_CLUSTER.workerLabel.value });
    expect(pod?.spec.tolerations).toEqual([{ ...CI_CLUSTER.workerTaint, operator: "Equal" }]);
  });

  it("lives in its own namespace, with a Service selecting it as the probe target", () => {
    expect(namespace?.kind).toBe("Namespace");
    expect(pod?.metadata.namespace).toBe(namespace?.metadata.name);
    expect(service?.spec.selector).toEqual(pod?.metadata.labels);
  });

  it("becomes a multi-document stream kubectl apply can read", () => {
    const documents = parseAllDocuments(toApplyInput(workloadManifests())).map((document) => document.toJS() as { kind: string });

    expect(documents.map((document) => document.kind)).toEqual(["Namespace", "Pod", "Service"]);
  });
});

describe("network probe", () => {
  const probe = probePodManifest({ name: "network-probe-1", namespace: "trivy-system", targetIp: "10.96.0.42", port: 80 }) as unknown as Manifest;

  it("connects to an IP, not a name, with a connect timeout, and runs once", () => {
    expect(probe.spec.restartPolicy).toBe("Never");
    expect(probe.spec.containers[0]?.command).toEqual(["wget", "-q", "-T", "5", "-O", "/dev/null", "http://10.96.0.42:80/"]);
  });

  it("satisfies Pod Security restricted", () => {
    expect(probe.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(probe.spec.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("reads Succeeded as reachable, Failed as blocked, anything else as pending", () => {
    expect(probeOutcome({ status: { phase: "Succeeded" } })).toBe("reachable");
    expect(probeOutcome({ status: { phase: "Failed" } })).toBe("blocked");
    expect(probeOutcome({ status: { phase: "Running" } })).toBe("pending");
    expect(probeOutcome({})).toBe("pending");
  });

  it("explains a pending probe with the container's waiting reason", () => {
    const pod = { status: { phase: "Pending", containerStatuses: [{ state: { waiting: { reason: "ImagePullBackOff" } } }] } };

    expect(describeProbePod(pod)).toBe("phase Pending (ImagePullBackOff)");
    expect(describeProbePod({})).toBe("phase unknown");
  });
});
