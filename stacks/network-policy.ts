import type { Construct } from "constructs";
import type { TrivyOperator } from "../modules/trivy-operator/trivy-operator";
import type { ClusterConfig, NetworkPolicyFlavor } from "./config";

/** The props `TrivyNetworkPolicy` (modules/network-policy) takes, derived from the cluster config and the operator. */
export interface NetworkPolicyWiring {
  readonly flavor: NetworkPolicyFlavor;
  readonly namespace: string;
  readonly releaseName: string;
  readonly builtInTrivyServer: boolean;
  readonly nodeCollector: boolean;
  readonly apiServerCidrs?: readonly string[];
  readonly registryCidrs?: readonly string[];
  readonly registryHosts: readonly string[];
  readonly metrics?: { readonly prometheusNamespace: string; readonly prometheusPodLabels: Readonly<Record<string, string>> };
}

/** Pure: what the network policies of a cluster must know about its operator. */
export function networkPolicyWiring(cluster: ClusterConfig, operator: TrivyOperator): NetworkPolicyWiring {
  const policy = cluster.networkPolicy ?? {};
  const prometheus = policy.prometheus;
  return {
    flavor: policy.flavor ?? "kubernetes",
    namespace: operator.namespace,
    releaseName: operator.releaseName,
    builtInTrivyServer: operator.builtInTrivyServer,
    nodeCollector: operator.nodeCollector,
    apiServerCidrs: policy.apiServerCidrs,
    registryCidrs: policy.registryCidrs,
    registryHosts: [...new Set([...operator.dbRegistryHosts, ...(policy.registryHosts ?? [])])],
    metrics:
      operator.serviceMonitor && prometheus
        ? { prometheusNamespace: prometheus.namespace, prometheusPodLabels: prometheus.podLabels }
        : undefined,
  };
}

/**
 * Adds the cluster's network policies below `scope`. Returns the construct, or undefined for
 * flavor `none`.
 */
export function wireNetworkPolicy(scope: Construct, cluster: ClusterConfig, operator: TrivyOperator): Construct | undefined {
  const wiring = networkPolicyWiring(cluster, operator);
  if (wiring.flavor === "none") return undefined;
  // modules/network-policy has no index.ts yet; wire `new TrivyNetworkPolicy(scope, "network-policy",
  // { ...wiring, dependsOn: [operator.release] })` here once it exists.
  void scope;
  return undefined;
}
