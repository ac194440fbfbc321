import { TRIVY_OPERATOR_DASHBOARD } from "../dashboards/catalog";
import { trivyAlertRules } from "../modules/monitoring/alert-rules";
import { describeNetworkFlow, describeRegistryDestinations, trivyNetworkFlows } from "../modules/network-policy/flows";
import type { Toleration } from "../modules/tolerations/taint";
import { SERVER_CONFIG_HASH_ANNOTATION } from "../modules/trivy-operator/defaults";
import { trivyOperatorWarnings } from "../modules/trivy-operator/validation";
import { checksBundleReference, serverRollTriggers } from "../modules/trivy-operator/values";
import { tolerationsForTaints } from "../modules/tolerations/tolerations";
import { resolvedOperatorOptions, type BackendConfig, type ClusterConfig, type EnvironmentConfig, type EnvironmentName } from "./config";
import { stackName } from "./environment-stack";
import { alertsShareDashboardFolder, dashboardProps, monitoringSecrets, operatorMonitoringProps } from "./monitoring";
import { networkPolicyProps } from "./network-policy";
import { dbPasswordSecret } from "./secrets";

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
    case "local":
      return "local state file";
  }
}

/** The connections the cluster's network policies allow, in words. */
export function describeFlows(cluster: ClusterConfig): string[] {
  const props = networkPolicyProps(cluster);
  if (props.flavor === "none") return ["no policies (the cluster's own policies apply)"];
  return ["default deny in and out of the namespace", ...trivyNetworkFlows(props).map(describeNetworkFlow)];
}

/** Monitoring, dashboard and alert lines of one cluster (labels padded like the other lines). */
export function describeMonitoring(cluster: ClusterConfig): string[] {
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return ["monitoring   off (no ServiceMonitor, alerts or dashboard)"];
  const lines: string[] = [];
  const bundle = operatorMonitoringProps(cluster);
  const selector = Object.entries(monitoring.prometheusSelectorLabels ?? {}).map(([key, value]) => `${key}=${value}`).join(",") || "none";
  const delivered = [
    bundle?.serviceMonitor ? `ServiceMonitor every ${bundle.scrapeInterval ?? "60s"}` : undefined,
    bundle?.prometheusRule ? `PrometheusRule (${trivyAlertRules(bundle.alertRules).length} alerts)` : undefined,
  ].filter((part) => part !== undefined);
  lines.push(`monitoring   ${delivered.length > 0 ? `${delivered.join(", ")}; selector labels ${selector}` : "no Prometheus Operator objects"}`);

  const board = dashboardProps(cluster);
  if (board === undefined) {
    lines.push("dashboard    none");
  } else {
    const datasource = board.datasourceUid !== undefined ? `datasource uid ${board.datasourceUid}` : `datasource name "${board.datasourceName}"`;
    const where = {
      "grafana-api": `grafana_dashboard at ${monitoring.grafanaUrl}`,
      sidecar: `sidecar ConfigMap in ${board.namespace}`,
      "helm-values": `helm-values output ${board.helmValuesOutputName}`,
    }[board.delivery];
    const source = board.delivery === "helm-values" ? "" : board.sourceFile !== undefined ? `, from ${board.sourceFile}` : ", downloaded at plan time";
    lines.push(
      `dashboard    grafana.com ${TRIVY_OPERATOR_DASHBOARD.gnetId} r${TRIVY_OPERATOR_DASHBOARD.revision} via ${where}, ${datasource}, folder ${board.folderTitle ?? "General"}${source}`,
    );
  }

  const alerts = monitoring.grafanaAlerts;
  if (alerts === undefined) {
    lines.push("alerts       no Grafana-managed rules");
  } else {
    const contact = alerts.contactPoint;
    const target = {
      slack: contact.slackRecipient === undefined ? "slack (incoming webhook)" : `slack bot to ${contact.slackRecipient}`,
      webhook: `webhook${contact.webhookAuthorization ? " with bearer token" : ""}`,
      email: `email to ${(contact.emailAddresses ?? []).join(", ")}`,
    }[contact.type];
    const folder = alertsShareDashboardFolder(cluster) ? `dashboard folder ${monitoring.dashboard?.folderTitle}` : `folder ${alerts.folderTitle ?? "Trivy Operator alerts"}`;
    const count = trivyAlertRules({ ...monitoring.alertRules }).length;
    lines.push(`alerts       Grafana-managed, ${count} rules at ${monitoring.grafanaUrl} (datasource uid ${alerts.datasourceUid}, ${folder}) -> ${target}`);
  }
  return lines;
}

/** The TF_VAR_ names the cluster needs set before plan/apply, or "none". */
function describeSecrets(cluster: ClusterConfig): string {
  const dbPassword = dbPasswordSecret(cluster);
  const secrets = [...(dbPassword ? [dbPassword] : []), ...monitoringSecrets(cluster)];
  return secrets.length > 0 ? secrets.map((secret) => secret.envVar).join(", ") : "none";
}

/** Where scan jobs (and the Trivy server) may pull images and the DB from, and what stays closed. */
export function describeRegistryReach(cluster: ClusterConfig): string {
  const props = networkPolicyProps(cluster);
  if (props.flavor === "none") return "not restricted by this module (flavor none)";
  const registryFlow = trivyNetworkFlows(props).find((flow) => flow.from.kind === "component" && flow.from.component === "scan-job" && flow.to.kind === "registries");
  if (registryFlow?.to.kind !== "registries") return "none";
  const hint = registryFlow.to.privateRanges.length === 0 ? " (a private registry needs networkPolicy.privateRegistryCidrs)" : "";
  const apiServer = { kubernetes: "its endpoints read at plan time", calico: "Service default/kubernetes", cilium: "entity kube-apiserver" }[props.flavor ?? "kubernetes"];
  return `TCP/443 to ${describeRegistryDestinations(registryFlow.to)}${hint}; never the API server (${apiServer})`;
}

/** Where the checks bundle comes from and whether the policies let the operator fetch it. */
export function describeChecksBundle(cluster: ClusterConfig): string {
  const options = resolvedOperatorOptions(cluster);
  if (!options.infraAssessment) return "not pulled (infra assessment off; config audit uses the embedded checks)";
  const bundle = checksBundleReference(options.extraValues, options.chartVersion);
  const props = networkPolicyProps(cluster);
  const egress =
    props.flavor === "none"
      ? "egress not managed here"
      : props.flavor === "cilium"
        ? `operator egress TCP/443 to FQDN ${bundle.registry}`
        : "operator egress TCP/443 to the public registry ranges (and networkPolicy.privateRegistryCidrs)";
  return `${bundle.ref}, pulled by the operator before each node-collector Job; ${egress}`;
}

/** What rolls the built-in Trivy server; it reads its config only at start-up. */
export function describeTrivyServerRoll(cluster: ClusterConfig): string {
  const options = resolvedOperatorOptions(cluster);
  if (!options.builtInTrivyServer) return "none (Standalone: every scan job downloads the DB itself)";
  const dbPassword = dbPasswordSecret(cluster);
  const password = dbPassword ? `, the DB user name and the variable ${dbPassword.variable} (not its value: after changing only ${dbPassword.envVar}, restart trivy-server)` : "";
  return `rolls on a change of ${serverRollTriggers().join(", ")}${password} or the chart version (pod annotation ${SERVER_CONFIG_HASH_ANNOTATION})`;
}

/** A short human summary of one environment stack, for `npm start`. Pure; input must be valid. */
export function summarizeEnvironment(environment: EnvironmentName, config: EnvironmentConfig): string {
  const lines = [`${stackName(environment)}  (state: ${describeBackend(config.backend)})`];
  for (const cluster of config.clusters) {
    const options = resolvedOperatorOptions(cluster);
    const tolerations = tolerationsForTaints(options.taints);
    const credentials = cluster.operator?.dbRepositoryCredentials;
    lines.push(
      `  cluster ${cluster.name}  (${cluster.kubeContext ?? "current context"} in ${cluster.kubeconfigPath})`,
      `    chart        trivy-operator ${options.chartVersion} from ${options.chartSource}, release ${options.releaseName} in ${options.namespace}`,
      `    scan jobs    ${options.scanJobsConcurrentLimit} at once, memory limit ${options.scanJobResources.limits?.memory ?? "none"}, timeout ${options.trivyTimeout} (job ${options.scanJobTimeout})`,
      `    findings     ${options.ignoreUnfixed ? "fixable only" : "all"}, severities ${options.severities.join(",")}, rescan every ${options.scannerReportTTL}`,
      `    trivy db     ${options.dbRegistry}/${options.dbRepository}${credentials ? ` as ${credentials.username}` : ""}${options.builtInTrivyServer ? " via built-in Trivy server (ClientServer)" : " in every scan job (Standalone)"}`,
      `    trivy server ${describeTrivyServerRoll(cluster)}`,
      ...trivyOperatorWarnings(options).map((warning) => `    warning      ${warning}`),
      `    skipped      namespaces ${options.excludeNamespaces.join(",") || "none"}; images ${options.excludeImages.join(",") || "none"}`,
      `    tolerations  ${tolerations.length > 0 ? `${tolerations.map(describeToleration).join(", ")} (operator, scan jobs${options.infraAssessment ? ", node collector" : ""})` : "none"}`,
      `    node collector ${options.infraAssessment ? "on (namespace enforces privileged, warns restricted)" : "off (namespace enforces restricted)"}`,
      `    registries   ${describeRegistryReach(cluster)}`,
      `    checks       ${describeChecksBundle(cluster)}`,
      `    policies     ${cluster.networkPolicy?.flavor ?? "kubernetes"}`,
      ...describeFlows(cluster).map((flow) => `      - ${flow}`),
      ...describeMonitoring(cluster).map((line) => `    ${line}`),
      `    secrets      ${describeSecrets(cluster)}`,
    );
  }
  return lines.join("\n");
}
