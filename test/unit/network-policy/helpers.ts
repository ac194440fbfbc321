import type { Construct } from "constructs";
import { expect } from "vitest";
import type { KubernetesManifest } from "../../../modules/manifest-bundle/manifest-bundle";
import type { TrivyNetworkPolicy } from "../../../modules/network-policy/network-policy";
import type { TrivyNetworkPolicySpec } from "../../../modules/network-policy/props";
import { TrivyOperator } from "../../../modules/trivy-operator/trivy-operator";
import { onlyResourceOfType, resourcesOfType, synthesize, type SynthesizedStack } from "../../helpers/synth";

export const baseProps: TrivyNetworkPolicySpec = { namespace: "trivy-system", releaseName: "trivy-operator" };

export const OPERATOR_LABELS = { "app.kubernetes.io/name": "trivy-operator", "app.kubernetes.io/instance": "trivy-operator" };
export const SCAN_JOB_LABELS = { "app.kubernetes.io/managed-by": "trivy-operator", "vulnerabilityReport.scanner": "Trivy" };
export const NODE_COLLECTOR_LABELS = { app: "node-collector" };
export const SERVER_LABELS = { "app.kubernetes.io/name": "trivy-server", "app.kubernetes.io/instance": "trivy-server" };

/**
 * A policy for an operator installed elsewhere whose facts are the spec's operator fields (the
 * chart defaults otherwise, with the node collector off unless asked for); the rest are options.
 */
export function addPolicy(scope: Construct, props: Partial<TrivyNetworkPolicySpec>): TrivyNetworkPolicy {
  const { namespace, releaseName, builtInTrivyServer, nodeCollector, ...options } = { ...baseProps, ...props };
  const operator = TrivyOperator.fromAttributes(scope, "operator", {
    namespace,
    releaseName,
    builtInTrivyServer,
    nodeCollector: nodeCollector ?? false,
  });
  return operator.addNetworkPolicy("network-policy", options);
}

export function synthPolicy(props: Partial<TrivyNetworkPolicySpec>): SynthesizedStack {
  return synthesize((stack) => {
    addPolicy(stack, props);
  }).parsed;
}

/** The objects inside the single helm_release, with Terraform's `$${` escaping undone. */
export function bundledManifests(synth: SynthesizedStack): KubernetesManifest[] {
  const release = onlyResourceOfType(synth, "helm_release");
  const values = release.values as string[];
  expect(values).toHaveLength(1);
  return (JSON.parse(values[0]!.replaceAll("$${", "${")) as { manifests: KubernetesManifest[] }).manifests;
}

export interface NativePolicy {
  metadata: { name: string; namespace: string };
  spec: {
    pod_selector: { match_labels?: Record<string, string> };
    policy_types: string[];
    egress?: Array<{ to?: Array<Record<string, unknown>>; ports?: Array<{ port: string; protocol: string }> }>;
    ingress?: Array<{ from?: Array<Record<string, unknown>>; ports?: Array<{ port: string; protocol: string }> }>;
  };
}

export function nativePolicies(synth: SynthesizedStack): NativePolicy[] {
  return resourcesOfType(synth, "kubernetes_network_policy_v1") as unknown as NativePolicy[];
}

export function nativePolicyFor(synth: SynthesizedStack, labels: Record<string, string>): NativePolicy {
  // Testing.synth sorts keys, so compare label sets, not their order.
  const canonical = (l: Record<string, string> | undefined) => JSON.stringify(Object.entries(l ?? {}).sort());
  const found = nativePolicies(synth).filter((p) => canonical(p.spec.pod_selector.match_labels) === canonical(labels));
  if (found.length !== 1) throw new Error(`expected one policy selecting ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!;
}

/** "PROTOCOL/port" strings of a list of rules. */
export function portsOf(rules: ReadonlyArray<{ ports?: Array<{ port: string; protocol: string }> }> | undefined): string[] {
  return (rules ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`));
}
