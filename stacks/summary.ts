import { describeNetworkFlow, trivyNetworkFlows } from "../modules/network-policy/flows";
import type { Toleration } from "../modules/tolerations/taint";
import { tolerationsForTaints } from "../modules/tolerations/tolerations";
import { resolveTrivyOperatorOptions } from "../modules/trivy-operator/values";
import type { BackendConfig, ClusterConfig, EnvironmentConfig, EnvironmentName } from "./config";
import { stackName } from "./environment-stack";
import { networkPolicyProps } from "./network-policy";

function describeToleration(toleration: Toleration): string {
  const match = toleration.operator === "Equal" ? `${toleration.key}=${toleration.value}` : `${toleration.key} (any value)`;
  return `${match}:${toleration.effect ?? "any effect"}`;
}

function describeBackend(backend: BackendConfig | undefined): string {
  switch (backend?.type ?? "local") {
    case "s3": {
      const s3 = backend as Extract<BackendConfig, { type: "s3" }>;
      return `s3://${s3.bucket}/${s3.key} (lock: ${s3.dynamodbTable ? `dynamodb ${s3.dynamodbTable}` : "s3 lock file"})`;
    }
    case "gcs":
      return `gcs://${(backend as Extract<BackendConfig, { type: "gcs" }>).bucket}`;
    case "azurerm":
      return `azurerm ${(backend as Extract<BackendConfig, { type: "azurerm" }>).storageAccountName}`;
    case "remote":
      return `remote ${(backend as Extract<BackendConfig, { type: "remote" }>).organization}/${(backend as Extract<BackendConfig, { type: "remote" }>).workspace}`;
    default:
      return "local state file";
  }
}

/** The connections the cluster's network policies allow, in words. */
export function describeFlows(cluster: ClusterConfig): string[] {
  const props = networkPolicyProps(cluster);
  if (props.flavor === "none") return ["no policies (the cluster's own policies apply)"];
  return ["default deny in and out of the namespace", ...trivyNetworkFlows(props).map(describeNetworkFlow)];
}

/** A short human summary of one environment stack, for `npm start`. Pure; input must be valid. */
export function summarizeEnvironment(environment: EnvironmentName, config: EnvironmentConfig): string {
  const lines = [`${stackName(environment)}  (state: ${describeBackend(config.backend)})`];
  for (const cluster of config.clusters) {
    const options = resolveTrivyOperatorOptions({ ...cluster.operator, taints: cluster.taints });
    const tolerations = tolerationsForTaints(options.taints);
    lines.push(
      `  cluster ${cluster.name}  (${cluster.kubeContext ?? "current context"} in ${cluster.kubeconfigPath})`,
      `    chart        trivy-operator ${options.chartVersion} from ${options.chartSource}, release ${options.releaseName} in ${options.namespace}`,
      `    scan jobs    ${options.scanJobsConcurrentLimit} at once, memory limit ${options.scanJobResources.limits?.memory ?? "none"}, timeout ${options.trivyTimeout} (job ${options.scanJobTimeout})`,
      `    findings     ${options.ignoreUnfixed ? "fixable only" : "all"}, severities ${options.severities.join(",")}, rescan every ${options.scannerReportTTL}`,
      `    trivy db     ${options.dbRegistry}/${options.dbRepository}${options.builtInTrivyServer ? " via built-in Trivy server (ClientServer)" : " in every scan job (Standalone)"}`,
      `    skipped      namespaces ${options.excludeNamespaces.join(",") || "none"}; images ${options.excludeImages.join(",") || "none"}`,
      `    tolerations  ${tolerations.length > 0 ? `${tolerations.map(describeToleration).join(", ")} (operator, scan jobs${options.infraAssessment ? ", node collector" : ""})` : "none"}`,
      `    node collector ${options.infraAssessment ? "on (namespace enforces privileged, warns restricted)" : "off (namespace enforces restricted)"}`,
      `    policies     ${cluster.networkPolicy?.flavor ?? "kubernetes"}`,
      ...describeFlows(cluster).map((flow) => `      - ${flow}`),
    );
  }
  return lines.join("\n");
}
