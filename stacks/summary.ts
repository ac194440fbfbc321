import {
  describeFlowPorts,
  describeNetworkFlow,
  describeRegistryDestinations,
  serverRollTriggers,
  trivyOperatorWarnings,
  SERVER_CONFIG_HASH_ANNOTATION,
  type Toleration,
} from "../modules";
import type { TrivyCluster } from "./cluster";
import { describeBackend, stackBackend } from "./backend";
import type { BackendConfig, ClusterConfig, EnvironmentConfig } from "./config";
import type { TrivyEnvironmentStack } from "./environment-stack";
import { alertsShareDashboardFolder, dashboardProps, monitoringSecrets } from "./monitoring";
import { dbPasswordSecret } from "./secrets";

function describeToleration(toleration: Toleration): string {
  const match = toleration.operator === "Equal" ? `${toleration.key}=${toleration.value}` : `${toleration.key} (any value)`;
  return `${match}:${toleration.effect ?? "any effect"}`;
}

/** The connections the cluster's network policies allow, in words, as the policy construct implements them. */
export function describeFlows(trivyCluster: TrivyCluster): string[] {
  const policy = trivyCluster.networkPolicy;
  if (policy === undefined) return ["no policies (the cluster's own policies apply)"];
  return ["default deny in and out of the namespace", ...policy.flows.map(describeNetworkFlow)];
}

/** Monitoring, dashboard and alert lines of one cluster (labels padded like the other lines). */
export function describeMonitoring(trivyCluster: TrivyCluster): string[] {
  const cluster = trivyCluster.config;
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return ["monitoring   off (no ServiceMonitor, alerts or dashboard)"];
  const lines: string[] = [];
  const bundle = trivyCluster.monitoring.operatorMonitoring;
  const selector =
    Object.entries(monitoring.prometheusSelectorLabels ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(",") || "none";
  const delivered = [
    bundle?.serviceMonitor ? `ServiceMonitor every ${bundle.scrapeInterval}` : undefined,
    bundle?.prometheusRule ? `PrometheusRule (${bundle.rules.length} alerts)` : undefined,
  ].filter((part) => part !== undefined);
  lines.push(
    `monitoring   ${delivered.length > 0 ? `${delivered.join(", ")}; selector labels ${selector}` : "no Prometheus Operator objects"}`,
  );

  const board = dashboardProps(cluster);
  const dashboard = trivyCluster.monitoring.dashboard;
  if (board === undefined || dashboard === undefined) {
    lines.push("dashboard    none");
  } else {
    const datasource =
      board.datasourceUid !== undefined ? `datasource uid ${board.datasourceUid}` : `datasource name "${board.datasourceName}"`;
    const where =
      board.delivery === "grafana-api"
        ? `grafana_dashboard at ${monitoring.grafanaUrl}`
        : board.delivery === "sidecar"
          ? `sidecar ConfigMap in ${dashboard.namespace}`
          : `helm-values output ${board.helmValuesOutputName}`;
    const source =
      board.delivery === "helm-values" ? "" : board.sourceFile !== undefined ? `, from ${board.sourceFile}` : ", downloaded at plan time";
    lines.push(
      `dashboard    grafana.com ${dashboard.gnetId} r${dashboard.revision} via ${where}, ${datasource}, folder ${board.folderTitle ?? "General"}${source}`,
    );
  }

  const alerts = monitoring.grafanaAlerts;
  const grafanaAlerts = trivyCluster.monitoring.grafanaAlerts;
  if (alerts === undefined || grafanaAlerts === undefined) {
    lines.push("alerts       no Grafana-managed rules");
  } else {
    const contact = alerts.contactPoint;
    const target =
      contact.type === "slack"
        ? contact.recipient === undefined
          ? "slack (incoming webhook)"
          : `slack bot to ${contact.recipient}`
        : contact.type === "webhook"
          ? `webhook${contact.webhookAuthorization ? " with bearer token" : ""}`
          : `email to ${contact.addresses.join(", ")}`;
    const folder = alertsShareDashboardFolder(cluster)
      ? `dashboard folder ${monitoring.dashboard?.folderTitle}`
      : `folder ${alerts.folderTitle ?? "Trivy Operator alerts"}`;
    lines.push(
      `alerts       Grafana-managed, ${grafanaAlerts.rules.length} rules at ${monitoring.grafanaUrl} (datasource uid ${alerts.datasourceUid}, ${folder}) -> ${target}`,
    );
  }
  return lines;
}

/** The TF_VAR_ names the cluster needs set before plan/apply, or "none". */
function describeSecrets(cluster: ClusterConfig): string {
  const dbPassword = dbPasswordSecret(cluster);
  const secrets = [...(dbPassword ? [dbPassword] : []), ...monitoringSecrets(cluster)];
  return secrets.length > 0 ? secrets.map((secret) => secret.envVar).join(", ") : "none";
}

/** Where scan jobs (and the Trivy server) may pull images and the DB from, and what stays closed, as the policy implements it. */
export function describeRegistryReach(trivyCluster: TrivyCluster): string {
  const policy = trivyCluster.networkPolicy;
  if (policy === undefined) return "not restricted by this module (flavor none)";
  const registryFlow = policy.flows.find(
    (flow) => flow.from.kind === "component" && flow.from.component === "scan-job" && flow.to.kind === "registries",
  );
  if (registryFlow?.to.kind !== "registries") return "none";
  const hint = registryFlow.to.privateRanges.length === 0 ? " (a private registry needs networkPolicy.privateRegistryCidrs)" : "";
  const apiServer = {
    kubernetes: "its endpoints read at plan time",
    calico: "Service default/kubernetes",
    cilium: "entity kube-apiserver",
    none: "",
  }[policy.flavor];
  return `${describeFlowPorts(registryFlow)} to ${describeRegistryDestinations(registryFlow.to)}${hint}; never the API server (${apiServer})`;
}

/** Where the operator pulls the checks bundle from and whether its policy lets it. */
export function describeChecksBundle(trivyCluster: TrivyCluster): string {
  const operator = trivyCluster.operator;
  if (!operator.nodeCollector) return "not pulled (infra assessment off; config audit uses the embedded checks)";
  const policy = trivyCluster.networkPolicy;
  const bundleFlow = policy?.flows.find(
    (flow) => flow.from.kind === "component" && flow.from.component === "operator" && flow.to.kind === "registries",
  );
  const egress =
    policy === undefined || bundleFlow?.to.kind !== "registries"
      ? "egress not managed here"
      : policy.flavor === "cilium"
        ? `operator egress ${describeFlowPorts(bundleFlow)} to FQDN ${bundleFlow.to.hosts.join(", ")}`
        : `operator egress ${describeFlowPorts(bundleFlow)} to the public registry ranges (and networkPolicy.privateRegistryCidrs)`;
  return `${operator.checksBundle.ref}, pulled by the operator before each node-collector Job; ${egress}`;
}

/** What rolls the built-in Trivy server; it reads its config only at start-up. */
export function describeTrivyServerRoll(trivyCluster: TrivyCluster): string {
  if (!trivyCluster.operator.builtInTrivyServer) return "none (Standalone: every scan job downloads the DB itself)";
  const dbPassword = dbPasswordSecret(trivyCluster.config);
  const password = dbPassword
    ? `, the DB user name and the variable ${dbPassword.variable} (not its value: after changing only ${dbPassword.envVar}, restart trivy-server)`
    : "";
  return `rolls on a change of ${serverRollTriggers().join(", ")}${password} or the chart version (pod annotation ${SERVER_CONFIG_HASH_ANNOTATION})`;
}

/**
 * The summary lines of one cluster, read from its constructs (operator, policies, monitoring) plus
 * the config's connection and secret names. Either stack layout lists its clusters with these.
 */
export function summarizeCluster(trivyCluster: TrivyCluster): string[] {
  const cluster = trivyCluster.config;
  const operator = trivyCluster.operator;
  const options = operator.resolvedOptions;
  const tolerations = operator.tolerations;
  const credentials = cluster.operator?.dbRepositoryCredentials;
  return [
    `  cluster ${cluster.name}  (${cluster.kubeContext ?? "current context"} in ${cluster.kubeconfigPath})`,
    `    chart        trivy-operator ${operator.chartVersion} from ${options.chartSource}, release ${operator.releaseName} in ${operator.namespace}`,
    `    scan jobs    ${options.scanJobsConcurrentLimit} at once, memory limit ${options.scanJobResources.limits?.memory ?? "none"}, timeout ${options.trivyTimeout} (job ${options.scanJobTimeout})`,
    `    findings     ${options.ignoreUnfixed ? "fixable only" : "all"}, severities ${options.severities.join(",")}, rescan every ${operator.scannerReportTTL}`,
    `    trivy db     ${options.dbRegistry}/${options.dbRepository}${credentials ? ` as ${credentials.username}` : ""}${operator.builtInTrivyServer ? " via built-in Trivy server (ClientServer)" : " in every scan job (Standalone)"}`,
    `    trivy server ${describeTrivyServerRoll(trivyCluster)}`,
    ...trivyOperatorWarnings(options).map((warning) => `    warning      ${warning}`),
    `    skipped      namespaces ${options.excludeNamespaces.join(",") || "none"}; images ${options.excludeImages.join(",") || "none"}`,
    `    tolerations  ${tolerations.length > 0 ? `${tolerations.map(describeToleration).join(", ")} (operator, scan jobs${operator.nodeCollector ? ", node collector" : ""})` : "none"}`,
    `    node collector ${operator.nodeCollector ? `on (namespace enforces ${operator.podSecurityEnforce}, warns restricted)` : `off (namespace enforces ${operator.podSecurityEnforce})`}`,
    `    registries   ${describeRegistryReach(trivyCluster)}`,
    `    checks       ${describeChecksBundle(trivyCluster)}`,
    `    policies     ${trivyCluster.networkPolicy?.flavor ?? "none"}`,
    ...describeFlows(trivyCluster).map((flow) => `      - ${flow}`),
    ...describeMonitoring(trivyCluster).map((line) => `    ${line}`),
    `    secrets      ${describeSecrets(cluster)}`,
  ];
}

/** A short human summary of one stack, for `npm start`: its state, then each cluster (summarizeCluster). */
export function summarizeStack(name: string, backend: BackendConfig, clusters: readonly TrivyCluster[]): string {
  return [`${name}  (state: ${describeBackend(backend)})`, ...clusters.flatMap(summarizeCluster)].join("\n");
}

/** The summary of a stack of either layout (`trivy-<env>`, `trivy-<env>-<cluster>`), with its own state. */
export function summarizeEnvironment(stack: TrivyEnvironmentStack, config: EnvironmentConfig): string {
  return summarizeStack(stack.node.id, stackBackend(config.backend, stack.node.id, stack.cluster), stack.clusters);
}
