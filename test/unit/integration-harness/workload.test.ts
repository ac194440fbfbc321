import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CI_CLUSTER } from "../../../stacks/ci-cluster";
import {
  describePod,
  explainPullFailure,
  isReadyToProbe,
  probeClientManifest,
  probeConnectCommand,
  probeVerdict,
  pullFailure,
  SKIP_SCAN_LABEL,
  toApplyInput,
  VULNERABLE_IMAGE,
  workloadManifests,
  workloadNamespaceManifest,
} from "../../integration/harness/workload";

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
    readonly ports?: Array<{ readonly port: number; readonly targetPort: number }>;
    readonly containers: Array<{
      readonly image: string;
      readonly command?: string[];
      readonly args?: string[];
      readonly ports?: Array<{ readonly containerPort: number }>;
      readonly securityContext?: Record<string, unknown>;
    }>;
  };
}

describe("vulnerable workload", () => {
  const namespace = workloadNamespaceManifest() as unknown as Manifest;
  const [pod, target, service] = workloadManifests() as unknown as Manifest[];

  it("pulls every image from a registry without Docker Hub's anonymous pull limit", () => {
    const images = [...workloadManifests(), probeClientManifest({ name: "p", namespace: "n" })].flatMap((manifest) =>
      ((manifest as unknown as Manifest).spec.containers ?? []).map((container) => container.image),
    );

    expect(pod?.spec.containers[0]?.image).toBe(VULNERABLE_IMAGE);
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (const image of images) {
      // A name without a registry host ("nginx:1.14.2", "library/busybox") resolves to docker.io.
      expect(image.split("/")[0], image).toMatch(/^(mirror\.gcr\.io|registry\.k8s\.io)$/);
    }
  });

  it("keeps the vulnerable container running: the image has no long-running entrypoint", () => {
    expect(pod?.spec.containers[0]?.command?.join(" ")).toMatch(/while true; do sleep \d+; done/);
  });

  it("is pinned to the tainted worker and tolerates exactly its taint", () => {
    expect(pod?.spec.nodeSelector).toEqual({ [CI_CLUSTER.workerLabel.key]: CI_CLUSTER.workerLabel.value });
    expect(pod?.spec.tolerations).toEqual([{ ...CI_CLUSTER.workerTaint, operator: "Equal" }]);
  });

  it("puts the pods in the namespace that is applied before them, with a Service selecting only the probe target", () => {
    expect(namespace.kind).toBe("Namespace");
    expect([pod, target, service].map((manifest) => manifest?.metadata.namespace)).toEqual([
      namespace.metadata.name,
      namespace.metadata.name,
      namespace.metadata.name,
    ]);
    expect(service?.spec.selector).toEqual({ app: target?.metadata.labels?.["app"] });
    expect(pod?.metadata.labels?.["app"]).not.toBe(target?.metadata.labels?.["app"]);
  });

  it("routes the Service port to the port the probe target listens on", () => {
    const listening = target?.spec.containers[0]?.ports?.[0]?.containerPort;

    expect(service?.spec.ports?.[0]?.targetPort).toBe(listening);
    expect(target?.spec.containers[0]?.args).toContain(`--http-port=${listening}`);
  });

  it("exempts the helper pods from scanning but not the vulnerable workload", () => {
    expect(target?.metadata.labels?.[SKIP_SCAN_LABEL]).toBeDefined();
    expect(pod?.metadata.labels?.[SKIP_SCAN_LABEL]).toBeUndefined();
  });

  it("becomes a multi-document stream kubectl apply can read", () => {
    const documents = parseAllDocuments(toApplyInput(workloadManifests())).map((document) => document.toJS() as { kind: string });

    expect(documents.map((document) => document.kind)).toEqual(["Pod", "Pod", "Service"]);
  });
});

describe("network probe", () => {
  const client = probeClientManifest({ name: "network-probe-1", namespace: "trivy-system" }) as unknown as Manifest;

  it("keeps the client running without connecting: the connection comes later through kubectl exec", () => {
    expect(client.spec.restartPolicy).toBe("Never");
    expect(client.spec.containers[0]?.args).toEqual(["pause"]);
    expect(client.spec.containers[0]?.command).toBeUndefined();
  });

  it("connects to an IP and port, not a name, with a connect timeout", () => {
    expect(probeConnectCommand("10.96.0.42", 80)).toEqual(["/agnhost", "connect", "10.96.0.42:80", "--timeout=5s", "--protocol=tcp"]);
  });

  it("satisfies Pod Security restricted", () => {
    expect(client.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(client.spec.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("is ready to probe only when Running with a pod IP the API server reports", () => {
    expect(isReadyToProbe({ status: { phase: "Running", podIP: "10.244.0.7" } })).toBe(true);
    expect(isReadyToProbe({ status: { phase: "Running" } })).toBe(false);
    expect(isReadyToProbe({ status: { phase: "Pending", podIP: "10.244.0.7" } })).toBe(false);
  });

  it("reads agnhost's exit 0 as reachable and its network errors as blocked", () => {
    expect(probeVerdict({ exitCode: 0, stderr: "" })?.outcome).toBe("reachable");
    expect(probeVerdict({ exitCode: 1, stderr: "TIMEOUT\ncommand terminated with exit code 1\n" })).toEqual({
      outcome: "blocked",
      detail: "TIMEOUT",
    });
    expect(probeVerdict({ exitCode: 1, stderr: "REFUSED\ncommand terminated with exit code 1" })?.outcome).toBe("blocked");
    expect(probeVerdict({ exitCode: 1, stderr: "OTHER: dial tcp 10.96.0.42:80: connect: no route to host\n" })?.detail).toBe(
      "OTHER: dial tcp 10.96.0.42:80: connect: no route to host",
    );
  });

  it("gives no verdict when kubectl, not the network, failed", () => {
    expect(probeVerdict({ exitCode: 1, stderr: 'error: unable to upgrade connection: container not found ("probe")' })).toBeUndefined();
    expect(probeVerdict({ exitCode: 1, stderr: 'Error from server (NotFound): pods "network-probe-1" not found' })).toBeUndefined();
    expect(probeVerdict({ exitCode: 1, stderr: "UNKNOWN: address 10.96.0.42: missing port in address" })).toBeUndefined();
    expect(probeVerdict({ exitCode: null, stderr: "TIMEOUT" })).toBeUndefined();
  });

  it("explains a pod that is not ready with the container's waiting reason", () => {
    const pod = { status: { phase: "Pending", containerStatuses: [{ state: { waiting: { reason: "ContainerCreating" } } }] } };

    expect(describePod(pod)).toBe("phase Pending (ContainerCreating)");
    expect(describePod({ status: { phase: "Running" } })).toBe("phase Running, no podIP yet");
    expect(describePod({})).toBe("phase unknown");
  });
});

describe("image pull failures", () => {
  const rateLimited = {
    status: {
      phase: "Pending",
      containerStatuses: [
        {
          image: "docker.io/library/nginx:1.14.2",
          state: {
            waiting: {
              reason: "ErrImagePull",
              message:
                'failed to pull and unpack image "docker.io/library/nginx:1.14.2": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:f7988fb6c02e: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit.',
            },
          },
        },
      ],
    },
  };

  it("recognises a rate-limited pull and says which secret to configure", () => {
    const failure = pullFailure(rateLimited);

    expect(failure).toMatchObject({ image: "docker.io/library/nginx:1.14.2", reason: "ErrImagePull", rateLimited: true });
    expect(explainPullFailure(failure!)).toMatch(
      /cannot pull docker\.io\/library\/nginx:1\.14\.2 \(ErrImagePull: .*429 Too Many Requests.*\); likely the registry's pull rate limit: .*DOCKERHUB_TOKEN/,
    );
    expect(describePod(rateLimited)).toMatch(/^phase Pending: cannot pull docker\.io\/library\/nginx:1\.14\.2/);
  });

  it("tells a missing image from a rate limit, and ignores containers that are merely starting", () => {
    const missing = {
      status: {
        containerStatuses: [
          {
            image: "mirror.gcr.io/x:1",
            state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "mirror.gcr.io/x:1": not found' } },
          },
        ],
      },
    };

    expect(pullFailure(missing)?.rateLimited).toBe(false);
    expect(explainPullFailure(pullFailure(missing)!)).toMatch(/check that the image exists/);
    expect(pullFailure({ status: { containerStatuses: [{ state: { waiting: { reason: "ContainerCreating" } } }] } })).toBeUndefined();
  });
});
