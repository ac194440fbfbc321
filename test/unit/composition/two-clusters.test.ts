import * as path from "node:path";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, it } from "vitest";
// Only the package's public entry point: this is what another CDKTF app gets.
import { TrivyOperator, type NetworkPolicyFlavor } from "../../../modules";

const FIXTURE_DASHBOARD = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

/** One cluster as a user of the package would write it: its providers, the operator, the companions. */
class Cluster extends Construct {
  constructor(scope: TerraformStack, id: string, flavor: NetworkPolicyFlavor) {
    super(scope, id);
    const connection = { configPath: "~/.kube/config", configContext: id };
    const kubernetesProvider = new KubernetesProvider(scope, `kubernetes-${id}`, { alias: id, ...connection });
    const helmProvider = new HelmProvider(scope, `helm-${id}`, { alias: id, kubernetes: connection });
    const operator = new TrivyOperator(this, "trivy", { helmProvider, kubernetesProvider, builtInTrivyServer: true });
    operator.addNetworkPolicy("network-policy", { flavor });
    operator.addMonitoring("monitoring");
    operator.addDashboard("dashboard", { delivery: "sidecar", datasourceName: "Prometheus", sourceFile: FIXTURE_DASHBOARD });
  }
}

type Resources = Record<string, Record<string, { provider?: string }>>;

describe("two clusters in one stack, from the public module API", () => {
  it("can route every helm_ and kubernetes_ resource to its own cluster's providers", () => {
    // GIVEN one stack with two clusters, one with native policies and one with Calico's
    const app = Testing.app();
    const stack = new TerraformStack(app, "fleet");
    new Cluster(stack, "eu", "kubernetes");
    new Cluster(stack, "us", "calico");

    // WHEN it is synthesized
    const synth = JSON.parse(Testing.synth(stack)) as {
      resource: Resources;
      data: Resources;
      provider: Record<string, Array<{ alias?: string }>>;
    };

    // THEN every resource and data source names the provider aliased to the cluster its address belongs to
    const routed: string[] = [];
    for (const [type, resources] of [...Object.entries(synth.resource), ...Object.entries(synth.data)]) {
      const family = type.startsWith("helm_") ? "helm" : type.startsWith("kubernetes_") ? "kubernetes" : undefined;
      expect(family, `${type} is neither a helm_ nor a kubernetes_ resource`).toBeDefined();
      for (const [logicalId, resource] of Object.entries(resources)) {
        const cluster = logicalId.split("_")[0];
        expect(resource.provider, `${type}.${logicalId}`).toBe(`${family}.${cluster}`);
        routed.push(`${cluster} ${type}`);
      }
    }
    // AND both clusters got all of it: namespace, operator, 5 native policies (with the Trivy
    // server and node collector) or one Calico bundle, the monitoring bundle and the dashboard
    const count = (entry: string) => routed.filter((item) => item === entry).length;
    expect([
      count("eu helm_release"),
      count("eu kubernetes_namespace_v1"),
      count("eu kubernetes_network_policy_v1"),
      count("eu kubernetes_config_map_v1"),
      count("eu kubernetes_endpoints_v1"),
    ]).toEqual([2, 1, 5, 1, 1]);
    expect([
      count("us helm_release"),
      count("us kubernetes_namespace_v1"),
      count("us kubernetes_network_policy_v1"),
      count("us kubernetes_config_map_v1"),
    ]).toEqual([3, 1, 0, 1]);
    // AND no unaliased default provider exists that a forgotten resource could fall back to
    for (const family of ["helm", "kubernetes"]) {
      expect(synth.provider[family]?.map((provider) => provider.alias).sort()).toEqual(["eu", "us"]);
    }
  });
});
