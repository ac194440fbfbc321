import type {
  NetworkPolicyV1Metadata,
  NetworkPolicyV1Spec,
  NetworkPolicyV1SpecEgress,
  NetworkPolicyV1SpecEgressTo,
  NetworkPolicyV1SpecIngress,
  NetworkPolicyV1SpecIngressFrom,
} from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { Token } from "cdktf";
import { mustParseCidr } from "./cidr";
import { componentPodLabels } from "./components";
import { planComponentPolicies, policyName } from "./component-policies";
import { type FlowEndpoint, type FlowPort, type NetworkFlow, type ResolvedNetworkPolicyProps } from "./flows";

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
 * The denied addresses are the API server's real endpoints, `apiServerEndpointIps` (a Terraform
 * expression for the list of IPs, evaluated at plan time), not a guessed range: a guessed RFC 1918
 * carve-out would also cut off every private registry.
 */
export function renderKubernetesPolicies(
  props: ResolvedNetworkPolicyProps,
  flows: readonly NetworkFlow[],
  apiServerEndpointIps: string,
): KubernetesPolicyDefinition[] {
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
    const deniesApiServer = plan.egressDenies.some((flow) => flow.to.kind === "api-server-endpoints");
    const egress = plan.egress.map((flow): NetworkPolicyV1SpecEgress => ({
      to: egressPeers(flow.to, props.releaseName, deniesApiServer ? apiServerEndpointIps : undefined),
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

function egressPeers(to: FlowEndpoint, releaseName: string, deniedEndpointIps: string | undefined): NetworkPolicyV1SpecEgressTo[] {
  const ipBlock = (cidr: string, except: readonly string[] = []): NetworkPolicyV1SpecEgressTo => {
    if (deniedEndpointIps !== undefined) {
      const withEndpoints = exceptWithEndpoints(cidr, except, deniedEndpointIps);
      if (withEndpoints !== undefined) return { ipBlock: { cidr, except: Token.asList(withEndpoints) } };
    }
    return { ipBlock: except.length > 0 ? { cidr, except: [...except] } : { cidr } };
  };
  switch (to.kind) {
    case "api-server":
      return to.cidrs.map((cidr) => ipBlock(cidr));
    case "api-server-endpoints":
      throw new Error("internal: the exact API server endpoints are only ever denied");
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
      return [...to.ranges, ...to.privateRanges].map((range) => ipBlock(range.cidr, range.except));
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
    case "api-server-endpoints":
    case "cluster-dns":
    case "node-local-dns":
    case "registries":
      throw new Error(`internal: no ingress rule renders a ${from.kind} source`);
  }
}

function toPolicyPort(port: FlowPort): { port: string; protocol: string } {
  return { port: String(port.port), protocol: port.protocol };
}

/**
 * The Terraform expression (with `${…}`) for `cidr`'s except list: `staticExcept` plus each API
 * server endpoint IP that lies strictly inside `cidr`, as a /32 (/128). NetworkPolicy rejects an
 * `except` outside its `cidr` ("must be a strict subset"), so containment is checked in Terraform:
 * an address is inside `cidr` when masking it to `cidr`'s prefix length gives `cidr`'s network
 * (`cidrhost(…, 0)` on both sides, so Terraform formats both addresses the same way). Undefined
 * when no endpoint can lie strictly inside (a /32 or /128).
 */
export function exceptWithEndpoints(cidr: string, staticExcept: readonly string[], endpointIps: string): string | undefined {
  const parsed = mustParseCidr(cidr);
  const hostPrefix = parsed.version === 4 ? 32 : 128;
  if (parsed.prefixLength >= hostPrefix) return undefined;
  // An address of the other family would make cidrhost fail (IPv4 with a /64), so it is filtered first.
  const family = parsed.version === 4 ? `!strcontains(ip, ":")` : `strcontains(ip, ":")`;
  const inside = `cidrhost(format("%s/%d", ip, ${parsed.prefixLength}), 0) == cidrhost(${JSON.stringify(cidr)}, 0)`;
  const endpoints = `[for ip in [for ip in ${endpointIps} : ip if ${family}] : format("%s/${hostPrefix}", ip) if ${inside}]`;
  return `\${distinct(concat(${JSON.stringify(staticExcept)}, ${endpoints}))}`;
}
