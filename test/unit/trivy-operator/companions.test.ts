import { describe, expect, it } from "vitest";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TrivyGrafanaAlerts } from "../../../modules/monitoring/trivy-grafana-alerts";
import { TrivyNetworkPolicy } from "../../../modules/network-policy/network-policy";
import { TrivyOperator } from "../../../modules/trivy-operator/trivy-operator";
import { resourcesOfType, synthesize } from "../../helpers/synth";

/** Names of the kubernetes-flavor NetworkPolicies in a synthesized stack. */
function policyNames(parsed: ReturnType<typeof synthesize>["parsed"]): string[] {
  return resourcesOfType(parsed, "kubernetes_network_policy_v1")
    .map((policy) => (policy.metadata as { name: string }).name)
    .sort();
}

describe("companions of TrivyOperator |", () => {
  it("can derive the policy's components from the operator, so the Trivy server port cannot be forgotten", () => {
    // GIVEN an operator with the built-in Trivy server and without the node collector
    const { parsed } = synthesize((stack) => {
      const operator = new TrivyOperator(stack, "trivy", {
        releaseName: "trivy",
        namespace: "security",
        builtInTrivyServer: true,
        infraAssessment: false,
      });
      // WHEN a policy is added with no operator facts repeated
      operator.addNetworkPolicy("policy");
    });

    // THEN the server gets its own policy, the node collector none, all in the operator's namespace
    expect(policyNames(parsed)).toEqual(["trivy-allow-operator", "trivy-allow-scan-job", "trivy-allow-trivy-server", "trivy-default-deny"]);
    const policies = resourcesOfType(parsed, "kubernetes_network_policy_v1") as Array<{
      metadata: { namespace: string };
      depends_on: string[];
    }>;
    for (const policy of policies) {
      expect(policy.metadata.namespace).toBe("security");
      // AND every policy waits for the operator release
      expect(policy.depends_on).toEqual([expect.stringMatching(/^helm_release\.trivy_release_/)]);
    }
  });

  it("can add the operator's DB registries to a cilium FQDN allow-list the user started", () => {
    const { parsed } = synthesize((stack) => {
      const operator = new TrivyOperator(stack, "trivy", { dbRegistry: "registry.example.com", javaDbRegistry: "mirror.gcr.io" });
      operator.addNetworkPolicy("policy", { flavor: "cilium", registryHosts: ["*.docker.io"] });
    });
    const bundle = resourcesOfType(parsed, "helm_release").find((release) => release.name === "trivy-operator-netpol")!;
    const manifests = JSON.parse((bundle.values as string[])[0]!.replaceAll("$${", "${")) as {
      manifests: Array<{ metadata: { name: string }; spec: { egress?: Array<{ toFQDNs?: unknown[] }> } }>;
    };
    const scanJob = manifests.manifests.find((manifest) => manifest.metadata.name === "trivy-operator-allow-scan-job")!;
    expect(scanJob.spec.egress?.find((rule) => rule.toFQDNs)?.toFQDNs).toEqual([
      { matchPattern: "*.docker.io" },
      { matchName: "registry.example.com" },
      { matchName: "mirror.gcr.io" },
    ]);
  });

  it("can alert on the operator's namespace, counting scan-job failures over its report TTL", () => {
    // GIVEN an operator that rescans every 48h
    let monitoringRules: readonly { alert: string; expr: string }[] = [];
    let grafanaRules: readonly { alert: string; expr: string }[] = [];
    synthesize((stack) => {
      const operator = new TrivyOperator(stack, "trivy", { namespace: "security", scannerReportTTL: "48h" });
      monitoringRules = operator.addMonitoring("monitoring").rules;
      grafanaRules = new TrivyGrafanaAlerts(stack, "alerts", {
        operator,
        datasourceUid: "prometheus",
        contactPoint: { type: "email", addresses: ["security@example.com"] },
      }).rules;
    });
    // THEN both rule sets count scan-job re-creations over 48h in namespace "security"
    for (const rules of [monitoringRules, grafanaRules]) {
      const scanJobs = rules.find((rule) => rule.alert === "TrivyScanJobsFailing")!.expr;
      expect(scanJobs).toContain("[48h]");
      expect(scanJobs).toContain('namespace="security"');
      expect(rules.find((rule) => rule.alert === "TrivyOperatorAbsent")!.expr).toContain('namespace="security"');
    }
  });

  it("can take an operator installed elsewhere, without waiting for a release", () => {
    const { parsed } = synthesize((stack) => {
      const operator = TrivyOperator.fromAttributes(stack, "trivy", { namespace: "security", releaseName: "trivy", nodeCollector: false });
      new TrivyNetworkPolicy(stack, "policy", { operator, flavor: "calico" });
      operator.addMonitoring("monitoring");
    });
    // THEN no operator resources exist, and the companions name the given release and namespace
    expect(resourcesOfType(parsed, "kubernetes_namespace_v1")).toHaveLength(0);
    const releases = resourcesOfType(parsed, "helm_release");
    expect(releases.map((release) => `${String(release.name)} in ${String(release.namespace)}`).sort()).toEqual([
      "trivy-monitoring in security",
      "trivy-netpol in security",
    ]);
    for (const release of releases) expect(release.depends_on).toBeUndefined();
  });

  it("fails on attributes that cannot name an operator, listing every problem", () => {
    expect(() =>
      synthesize((stack) =>
        TrivyOperator.fromAttributes(stack, "trivy", { namespace: "Security", releaseName: "trivy_operator", scannerReportTTL: "a day" }),
      ),
    ).toThrow(
      [
        "test/trivy: trivy operator attributes namespace \"Security\" is invalid: use a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        "test/trivy: trivy operator attributes releaseName \"trivy_operator\" is invalid: use a DNS-1123 label: at most 53 lowercase letters, digits and '-', starting and ending with a letter or digit",
        'test/trivy: trivy operator attributes scannerReportTTL "a day" is invalid: use the operator\'s operator.scannerReportTTL, a duration such as "24h"',
      ].join("\n"),
    );
  });

  it("can leave a dashboard delivery that creates no Kubernetes object without a kubernetes provider", () => {
    // GIVEN an operator with a provider, and a helm-values dashboard (whose props have no kubernetesProvider)
    const { parsed } = synthesize((stack) => {
      const provider = new KubernetesProvider(stack, "k8s", { alias: "eu-1" });
      TrivyOperator.fromAttributes(stack, "trivy", { kubernetesProvider: provider }).addDashboard("dashboard", {
        delivery: "helm-values",
        datasourceName: "Prometheus",
      });
    });
    // THEN nothing but the output is created
    expect(Object.keys(parsed.resource ?? {})).toEqual([]);
    expect(Object.keys(parsed.output ?? {})).toEqual(["grafana_dashboard_helm_values"]);
  });
});
