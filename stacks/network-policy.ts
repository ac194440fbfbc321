import type { Construct } from "constructs";
import { TrivyNetworkPolicy, type ITrivyOperator, type TrivyNetworkPolicyOptions } from "../modules";
import type { ClusterConfig } from "./config";

/**
 * Pure: the network-policy options of a cluster's config. Namespace, release, Trivy server, node
 * collector and DB hosts are not among them: the policy takes those from its operator.
 * `scraped` says whether a ServiceMonitor (ours or the chart's) makes Prometheus scrape port 8080.
 */
export function networkPolicyOptions(cluster: ClusterConfig, scraped: boolean): TrivyNetworkPolicyOptions {
  const { prometheus, ...options } = cluster.networkPolicy ?? {};
  return {
    ...options,
    metrics: scraped && prometheus ? { prometheusNamespace: prometheus.namespace, prometheusPodLabels: prometheus.podLabels } : undefined,
  };
}

/**
 * Adds the cluster's network policies below `scope` (id `network-policy`, an address kept from
 * before the policies took their operator), after the operator release. `scraped` as in
 * networkPolicyOptions. Returns undefined for flavor `none`.
 */
export function wireNetworkPolicy(
  scope: Construct,
  cluster: ClusterConfig,
  operator: ITrivyOperator,
  scraped: boolean,
): TrivyNetworkPolicy | undefined {
  if (cluster.networkPolicy?.flavor === "none") return undefined;
  return new TrivyNetworkPolicy(scope, "network-policy", { ...networkPolicyOptions(cluster, scraped), operator });
}
