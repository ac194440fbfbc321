import type { KubernetesManifest } from "../manifest-bundle";
import { componentPodLabels } from "./components";
import { planComponentPolicies, policyName } from "./component-policies";
import type { FlowEndpoint, FlowPort, FlowProtocol, NetworkFlow, ResolvedNetworkPolicyProps } from "./flows";

const CALICO_API_VERSION = "projectcalico.org/v3";

/** A Calico rule, typed to the fields this module writes. */
export interface CalicoRule {
  readonly action: "Allow" | "Deny";
  readonly protocol?: FlowProtocol;
  readonly source?: CalicoEntityRule;
  readonly destination?: CalicoEntityRule;
}

export interface CalicoEntityRule {
  readonly selector?: string;
  readonly namespaceSelector?: string;
  readonly nets?: readonly string[];
  readonly notNets?: readonly string[];
  readonly ports?: readonly number[];
  readonly services?: { readonly name: string; readonly namespace: string };
}

/** The API server, as Calico knows it: the endpoints of the `default/kubernetes` Service, on their real port. */
const KUBERNETES_SERVICE = { name: "kubernetes", namespace: "default" } as const;

/**
 * Renders flows as `projectcalico.org/v3` NetworkPolicies: a default deny and one policy per Trivy
 * pod. Deny rules come first in a policy, because Calico stops at the first matching rule.
 *
 * These objects are served by the Calico API server (or Calico's native v3 CRDs); without it the
 * cluster has no `projectcalico.org/v3` API and the release fails.
 */
export function renderCalicoPolicies(props: ResolvedNetworkPolicyProps, flows: readonly NetworkFlow[]): KubernetesManifest[] {
  const manifest = (name: string, spec: Record<string, unknown>): KubernetesManifest => ({
    apiVersion: CALICO_API_VERSION,
    kind: "NetworkPolicy",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "trivy-operator" } },
    spec,
  });
  const manifests = [manifest(policyName(props.releaseName, "default-deny"), { selector: "all()", types: ["Ingress", "Egress"] })];

  for (const plan of planComponentPolicies(flows)) {
    const egress: CalicoRule[] = [
      ...plan.egressDenies.map((flow) => denyRule(flow.to)),
      ...plan.egress.flatMap((flow) => egressRules(flow, props.releaseName)),
    ];
    const ingress = plan.ingress.flatMap((flow) => ingressRules(flow, props.releaseName));
    manifests.push(
      manifest(policyName(props.releaseName, plan.component), {
        selector: calicoSelector(componentPodLabels(plan.component, props.releaseName)),
        types: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
        ...(ingress.length > 0 ? { ingress } : {}),
        ...(egress.length > 0 ? { egress } : {}),
      }),
    );
  }
  return manifests;
}

function denyRule(to: FlowEndpoint): CalicoRule {
  if (to.kind !== "api-server-endpoints") throw new Error(`internal: no deny rule renders a ${to.kind} destination`);
  return { action: "Deny", destination: { services: KUBERNETES_SERVICE } };
}

function egressRules(flow: NetworkFlow, releaseName: string): CalicoRule[] {
  const to = flow.to;
  switch (to.kind) {
    case "api-server":
      // A services match takes its ports from the Service's endpoints and allows no protocol/ports of its own.
      return [{ action: "Allow", destination: { services: KUBERNETES_SERVICE } }];
    case "cluster-dns":
      return byProtocol(flow.ports, (protocol, ports) => ({
        action: "Allow",
        protocol,
        destination: { namespaceSelector: namespaceSelector(to.namespace), selector: calicoSelector(to.podLabels), ports },
      }));
    case "node-local-dns":
      return byProtocol(flow.ports, (protocol, ports) => ({
        action: "Allow",
        protocol,
        destination: { nets: [`${to.address}/32`], ports },
      }));
    case "api-server-endpoints":
      throw new Error("internal: the exact API server endpoints are only ever denied");
    case "registries":
      // One rule per range: notNets applies to the whole rule, so ranges must not share one.
      return [...to.ranges, ...to.privateRanges].flatMap((range) =>
        byProtocol(flow.ports, (protocol, ports) => ({
          action: "Allow",
          protocol,
          destination: { nets: [range.cidr], ...(range.except.length > 0 ? { notNets: range.except } : {}), ports },
        })),
      );
    case "component":
      return byProtocol(flow.ports, (protocol, ports) => ({
        action: "Allow",
        protocol,
        destination: { selector: calicoSelector(componentPodLabels(to.component, releaseName)), ports },
      }));
    case "prometheus":
      throw new Error("internal: prometheus is never an egress destination of a Trivy pod");
  }
}

function ingressRules(flow: NetworkFlow, releaseName: string): CalicoRule[] {
  const from = flow.from;
  const source =
    from.kind === "component"
      ? { selector: calicoSelector(componentPodLabels(from.component, releaseName)) }
      : from.kind === "prometheus"
        ? { namespaceSelector: namespaceSelector(from.namespace), selector: calicoSelector(from.podLabels) }
        : undefined;
  if (!source) throw new Error(`internal: no ingress rule renders a ${from.kind} source`);
  return byProtocol(flow.ports, (protocol, ports) => ({ action: "Allow", protocol, source, destination: { ports } }));
}

/** Calico rules carry one protocol each. */
function byProtocol(ports: readonly FlowPort[], rule: (protocol: FlowProtocol, ports: number[]) => CalicoRule): CalicoRule[] {
  const protocols = [...new Set(ports.map((p) => p.protocol))];
  return protocols.map((protocol) =>
    rule(
      protocol,
      ports.filter((p) => p.protocol === protocol).map((p) => p.port),
    ),
  );
}

/** `a == 'x' && b == 'y'`; label values are validated, so they never contain quotes. */
export function calicoSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key} == '${value}'`)
    .join(" && ");
}

function namespaceSelector(namespace: string): string {
  return `kubernetes.io/metadata.name == '${namespace}'`;
}
