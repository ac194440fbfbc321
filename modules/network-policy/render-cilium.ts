import type { KubernetesManifest } from "../manifest-bundle";
import { componentPodLabels } from "./components";
import { planComponentPolicies, policyName } from "./component-policies";
import type { FlowEndpoint, FlowPort, NetworkFlow, ResolvedNetworkPolicyProps } from "./flows";

const CILIUM_API_VERSION = "cilium.io/v2";
/** Cilium's label for "pod in namespace X"; a selector without it stays in the policy's namespace. */
const CILIUM_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";

export interface CiliumPortRule {
  readonly ports: ReadonlyArray<{ readonly port: string; readonly protocol: string }>;
  readonly rules?: { readonly dns: ReadonlyArray<{ readonly matchPattern: string }> };
}

export interface CiliumEgressRule {
  readonly toEntities?: readonly string[];
  readonly toEndpoints?: ReadonlyArray<{ readonly matchLabels: Readonly<Record<string, string>> }>;
  readonly toFQDNs?: ReadonlyArray<{ readonly matchName: string } | { readonly matchPattern: string }>;
  readonly toCIDRSet?: ReadonlyArray<{ readonly cidr: string; readonly except?: readonly string[] }>;
  readonly toPorts?: readonly CiliumPortRule[];
}

export interface CiliumIngressRule {
  readonly fromEndpoints: ReadonlyArray<{ readonly matchLabels: Readonly<Record<string, string>> }>;
  readonly toPorts: readonly CiliumPortRule[];
}

/**
 * Renders flows as `cilium.io/v2` CiliumNetworkPolicies: a default deny and one policy per Trivy pod.
 *
 * The API server is the `kube-apiserver` entity, registries are `toFQDNs` when host names are given
 * (which needs DNS inspection, so those pods' DNS egress gets an L7 `rules.dns`), else the `world`
 * entity or the given CIDRs. Deny flows become `egressDeny`, which wins over any allow.
 */
export function renderCiliumPolicies(props: ResolvedNetworkPolicyProps, flows: readonly NetworkFlow[]): KubernetesManifest[] {
  const manifest = (name: string, spec: Record<string, unknown>): KubernetesManifest => ({
    apiVersion: CILIUM_API_VERSION,
    kind: "CiliumNetworkPolicy",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "trivy-operator" } },
    spec,
  });
  // An empty rule selects nothing but switches the endpoints to default deny in that direction.
  const manifests = [manifest(policyName(props.releaseName, "default-deny"), { endpointSelector: {}, ingress: [{}], egress: [{}] })];

  for (const plan of planComponentPolicies(flows)) {
    const usesFqdns = plan.egress.some((flow) => flow.to.kind === "registries" && flow.to.hosts.length > 0);
    const egress = plan.egress.flatMap((flow) => egressRules(flow, props.releaseName, usesFqdns));
    const egressDeny = plan.egressDenies.map((flow) => denyRule(flow.to));
    const ingress = plan.ingress.map((flow) => ingressRule(flow, props.releaseName));
    manifests.push(
      manifest(policyName(props.releaseName, plan.component), {
        endpointSelector: { matchLabels: { ...componentPodLabels(plan.component, props.releaseName) } },
        ...(ingress.length > 0 ? { ingress } : {}),
        ...(egress.length > 0 ? { egress } : {}),
        ...(egressDeny.length > 0 ? { egressDeny } : {}),
      }),
    );
  }
  return manifests;
}

function egressRules(flow: NetworkFlow, releaseName: string, inspectDns: boolean): CiliumEgressRule[] {
  const to = flow.to;
  const toPorts = [portRule(flow.ports)];
  // Cilium learns FQDN -> IP only from DNS answers it proxied; matchPattern "*" inspects without restricting.
  const dnsPorts = [{ ...portRule(flow.ports), ...(inspectDns ? { rules: { dns: [{ matchPattern: "*" }] } } : {}) }];
  switch (to.kind) {
    case "api-server":
      return [{ toEntities: ["kube-apiserver"], toPorts }];
    case "cluster-dns":
      return [{ toEndpoints: [{ matchLabels: { [CILIUM_NAMESPACE_LABEL]: to.namespace, ...to.podLabels } }], toPorts: dnsPorts }];
    case "node-local-dns":
      // With Cilium, node-local-dns runs behind a Local Redirect Policy: the packet reaches its pod.
      return [{ toEndpoints: [{ matchLabels: { [CILIUM_NAMESPACE_LABEL]: to.namespace, ...to.podLabels } }], toPorts: dnsPorts }];
    case "api-server-endpoints":
      throw new Error("internal: the exact API server endpoints are only ever denied");
    case "registries": {
      const rules: CiliumEgressRule[] = [];
      const cidrSet = (ranges: typeof to.ranges) =>
        ranges.map((range) => (range.except.length > 0 ? { cidr: range.cidr, except: range.except } : { cidr: range.cidr }));
      if (to.hosts.length > 0) {
        rules.push({
          toFQDNs: to.hosts.map((host) => (host.startsWith("*.") ? { matchPattern: host } : { matchName: host })),
          toPorts,
        });
      }
      // Not the `world` entity: it also covers private addresses outside the cluster, which the
      // other flavors keep closed unless named in privateRegistryCidrs.
      if (!to.anyPublicAddress || to.hosts.length === 0) rules.push({ toCIDRSet: cidrSet(to.ranges), toPorts });
      if (to.privateRanges.length > 0) rules.push({ toCIDRSet: cidrSet(to.privateRanges), toPorts });
      return rules;
    }
    case "component":
      return [{ toEndpoints: [{ matchLabels: { ...componentPodLabels(to.component, releaseName) } }], toPorts }];
    case "prometheus":
      throw new Error("internal: prometheus is never an egress destination of a Trivy pod");
  }
}

function denyRule(to: FlowEndpoint): CiliumEgressRule {
  if (to.kind !== "api-server-endpoints") throw new Error(`internal: no deny rule renders a ${to.kind} destination`);
  return { toEntities: ["kube-apiserver"] };
}

function ingressRule(flow: NetworkFlow, releaseName: string): CiliumIngressRule {
  const from = flow.from;
  const matchLabels =
    from.kind === "component"
      ? { ...componentPodLabels(from.component, releaseName) }
      : from.kind === "prometheus"
        ? { [CILIUM_NAMESPACE_LABEL]: from.namespace, ...from.podLabels }
        : undefined;
  if (!matchLabels) throw new Error(`internal: no ingress rule renders a ${from.kind} source`);
  return { fromEndpoints: [{ matchLabels }], toPorts: [portRule(flow.ports)] };
}

function portRule(ports: readonly FlowPort[]): CiliumPortRule {
  return { ports: ports.map((p) => ({ port: String(p.port), protocol: p.protocol })) };
}
