import type { Construct } from "constructs";
import { TrivyNetworkPolicy } from "../modules/network-policy/network-policy";
import type { TrivyNetworkPolicyProps } from "../modules/network-policy/props";
import type { TrivyOperator } from "../modules/trivy-operator/trivy-operator";
import { checksBundleReference } from "../modules/trivy-operator/values";
import { resolvedOperatorOptions, type ClusterConfig } from "./config";
import { monitoringServiceMonitor } from "./monitoring";

/**
 * Pure: the network-policy props of a cluster, derived from its config and operator options, so
 * the stack can validate them before any construct exists and the summary can list the flows.
 */
export function networkPolicyProps(cluster: ClusterConfig): TrivyNetworkPolicyProps {
  const policy = cluster.networkPolicy ?? {};
  const operator = resolvedOperatorOptions(cluster);
  const prometheus = policy.prometheus;
  return {
    flavor: policy.flavor ?? "kubernetes",
    namespace: operator.namespace,
    releaseName: operator.releaseName,
    builtInTrivyServer: operator.builtInTrivyServer,
    nodeCollector: operator.infraAssessment,
    apiServerCidrs: policy.apiServerCidrs,
    apiServerPorts: policy.apiServerPorts,
    registryCidrs: policy.registryCidrs,
    privateRegistryCidrs: policy.privateRegistryCidrs,
    registryExcludedCidrs: policy.registryExcludedCidrs,
    dns: policy.dns,
    // Host lists turn cilium's `world` rule into an FQDN allow-list, so the DB hosts join only a list
    // the user started; adding them alone would cut scan jobs off from every image registry.
    // The operator pulls the checks bundle before each node-collector Job (docs/network-policy.md flow 9).
    checksBundleHosts: [checksBundleReference(operator.extraValues, operator.chartVersion).registry],
    registryHosts: policy.registryHosts ? [...new Set([operator.dbRegistry, operator.javaDbRegistry, ...policy.registryHosts])] : undefined,
    // Either ServiceMonitor (ours from `monitoring`, or the chart's) makes Prometheus scrape port 8080.
    metrics:
      (operator.serviceMonitor || monitoringServiceMonitor(cluster)) && prometheus ? { prometheusNamespace: prometheus.namespace, prometheusPodLabels: prometheus.podLabels } : undefined,
  };
}

/**
 * Adds the cluster's network policies below `scope`, after the operator release (which owns the
 * namespace's workloads). Returns undefined for flavor `none`.
 */
export function wireNetworkPolicy(scope: Construct, cluster: ClusterConfig, operator: TrivyOperator): TrivyNetworkPolicy | undefined {
  const props = networkPolicyProps(cluster);
  if (props.flavor === "none") return undefined;
  return new TrivyNetworkPolicy(scope, "network-policy", { ...props, dependsOn: [operator.release] });
}
