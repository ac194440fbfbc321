import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildStacks } from "../../../stacks/app";
import type { TrivyCluster } from "../../../stacks/cluster";
import { defineEnvironments } from "../../../stacks/environments";

const environments = defineEnvironments({ ciKubeconfigPath: "/tmp/kind.kubeconfig", ciKubeContext: "kind-trivy-test" });

/** Synthesizes the ci stack with one extension, running the constructs' validations as `cdktf synth` does. */
function synthWith(extension: (cluster: TrivyCluster) => void): string {
  const [stack] = buildStacks(Testing.app(), environments, { only: ["ci"], extensions: [extension] });
  return Testing.synth(stack!, true);
}

describe("TrivyCluster providers", () => {
  it("fails at synth on an extension's kubernetes_ resource that names no provider, instead of sending it to the default cluster", () => {
    expect(() =>
      synthWith((cluster) => new ConfigMapV1(cluster, "extra", { metadata: { name: "extra", namespace: cluster.operator.namespace } })),
    ).toThrow(
      /kubernetes_config_map_v1 at trivy-ci\/kind\/extra\/?\S* names no provider: pass the cluster's helmProvider\/kubernetesProvider/,
    );
  });

  it("can synthesize an extension that passes the cluster's provider, and the shipped companions without any", () => {
    const synth = JSON.parse(
      synthWith(
        (cluster) =>
          new ConfigMapV1(cluster, "extra", {
            provider: cluster.kubernetesProvider,
            metadata: { name: "extra", namespace: cluster.operator.namespace },
          }),
      ),
    ) as { resource: Record<string, Record<string, { provider?: string }>> };
    const providers = Object.values(synth.resource).flatMap((resources) => Object.values(resources).map((resource) => resource.provider));
    expect(new Set(providers)).toEqual(new Set(["helm.kind", "kubernetes.kind"]));
  });
});
