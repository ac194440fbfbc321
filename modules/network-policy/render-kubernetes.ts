import type {
  NetworkPolicyV1Metadata,
  NetworkPolicyV1Spec,
  NetworkPolicyV1SpecEgress,
  NetworkPolicyV1SpecEgressTo,
  NetworkPolicyV1SpecIngress,
  NetworkPolicyV1SpecIngressFrom,
} from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { componentPodLabels } from "./components";
import { planComponentPolicies, policyName } from "./component-policies";
import { strictlyInside, type FlowEndpoint, type FlowPort, type NetworkFlow, type ResolvedNetworkPolicyProps } from "./flows";

/** One `kubernetes_network_policy_v1` to create, keyed by its construct id. */
export interface KubernetesPolicyDefinition {
  readonly id: string;
  readonly metadata: NetworkPolicyV1Metadata;
  readonly spec: NetworkPolicyV1Spec;
}

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/**
 * Renders flows as `networking.k8s.io/v1` NetworkPolicies: one default deny for the namespace and one
 * allow policy per Trivy pod.
 *
 * NetworkPolicy cannot select the API server by label and cannot deny, so the API server is an
 * `ipBlock`, and deny flows become `except` ranges cut out of the same pod's wider `ipBlock` allows.
 */
export function renderKubernetesPolicies(props: ResolvedNetworkPolicyProps, flows: readonly NetworkFlow[]): KubernetesPolicyDefinition[] {
  const metadata = (name: string): NetworkPolicyV1Metadata => ({
    name,
    namespace: props.namespace,
    labels: { "app.kubernetes.io/part-of": "trivy-operator", "app.kubernetes.io/managed-by": "trivy-operator-cdktf" },
  });
  const definitions: KubernetesPolicyDefinition[] = [
    {
      id: "default-deny",
      metadata: metadata(policyName(props.releaseName, "default-deny")),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
  ];

  for (const plan of planComponentPolicies(flows)) {
    const deniedCidrs = plan.egressDenies.flatMap((flow) => (flow.to.kind === "api-server" ? flow.to.cidrs : []));
    const egress = plan.egress.map((flow): NetworkPolicyV1SpecEgress => ({
      to: egressPeers(flow.to, props.releaseName, deniedCidrs),
      ports: flow.ports.map(toPolicyPort),
    }));
    const ingress = plan.ingress.map((flow): NetworkPolicyV1SpecIngress => ({
      from: [ingressPeer(flow.from, props.releaseName)],
      ports: flow.ports.map(toPolicyPort),
    }));
    definitions.push({
      id: plan.component,
      metadata: metadata(policyName(props.releaseName, plan.component)),
      spec: {
        podSelector: { matchLabels: { ...componentPodLabels(plan.component, props.releaseName) } },
        policyTypes: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
        ...(ingress.length > 0 ? { ingress } : {}),
        ...(egress.length > 0 ? { egress } : {}),
      },
    });
  }
  return definitions;
}

function egressPeers(to: FlowEndpoint, releaseName: string, deniedCidrs: readonly string[]): NetworkPolicyV1SpecEgressTo[] {
  const ipBlock = (cidr: string, except: readonly string[] = []): NetworkPolicyV1SpecEgressTo => {
    const allExcept = [...new Set([...except, ...strictlyInside(cidr, deniedCidrs)])];
    return { ipBlock: allExcept.length > 0 ? { cidr, except: allExcept } : { cidr } };
  };
  switch (to.kind) {
    case "api-server":
      return to.cidrs.map((cidr) => ipBlock(cidr));
    case "cluster-dns":
      return [
        {
          namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: to.namespace } },
          podSelector: { matchLabels: { ...to.podLabels } },
        },
      ];
    case "node-local-dns":
      // node-local-dns runs on the host network, so only its address identifies it.
      return [ipBlock(`${to.address}/32`)];
    case "registries":
      return to.ranges.map((range) => ipBlock(range.cidr, range.except));
    case "component":
      return [{ podSelector: { matchLabels: { ...componentPodLabels(to.component, releaseName) } } }];
    case "prometheus":
      throw new Error("internal: prometheus is never an egress destination of a Trivy pod");
  }
}

function ingressPeer(from: FlowEndpoint, releaseName: string): NetworkPolicyV1SpecIngressFrom {
  switch (from.kind) {
    case "component":
      return { podSelector: { matchLabels: { ...componentPodLabels(from.component, releaseName) } } };
    case "prometheus":
      return {
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: from.namespace } },
        podSelector: { matchLabels: { ...from.podLabels } },
      };
    // Destinations only: listed so that a new endpoint kind must decide here whether it can be a source.
    case "api-server":
    case "cluster-dns":
    case "node-local-dns":
    case "registries":
      throw new Error(`internal: no ingress rule renders a ${from.kind} source`);
  }
}

function toPolicyPort(port: FlowPort): { port: string; protocol: string } {
  return { port: String(port.port), protocol: port.protocol };
}
