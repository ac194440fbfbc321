import { TerraformStack, type TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import {
  GrafanaDashboard,
  GrafanaProvider,
  TrivyGrafanaAlerts,
  TrivyOperatorMonitoring,
  type GrafanaDashboardProps,
  type ITrivyOperator,
  type TrivyAlertsContactPoint,
  type TrivyGrafanaAlertsProps,
  type TrivyOperatorMonitoringOptions,
} from "../modules";
import type { ClusterConfig, ContactPointConfig } from "./config";
import { clusterSecret, declareSensitiveVariable, terraformNameSuffix, type StackSecret } from "./secrets";

/** Which credential a sensitive variable carries. */
export type MonitoringSecretKind = "grafanaAuth" | "slackWebhookUrl" | "slackToken" | "webhookUrl" | "webhookToken";

/** A stack-level sensitive variable one cluster's monitoring reads. */
export interface MonitoringSecret extends StackSecret {
  readonly kind: MonitoringSecretKind;
}

/** True when the cluster gets our ServiceMonitor (which Prometheus must be let in to scrape). */
export function monitoringServiceMonitor(cluster: ClusterConfig): boolean {
  return cluster.monitoring !== undefined && cluster.monitoring.serviceMonitor !== false;
}

/** True when the cluster talks to a Grafana API (dashboard via grafana-api, or Grafana alerts). */
export function needsGrafanaProvider(cluster: ClusterConfig): boolean {
  return cluster.monitoring?.dashboard?.delivery === "grafana-api" || cluster.monitoring?.grafanaAlerts !== undefined;
}

/** True when the dashboard is downloaded from grafana.com at plan time (needs the stack's http provider). */
export function needsDashboardDownload(cluster: ClusterConfig): boolean {
  const dashboard = cluster.monitoring?.dashboard;
  return dashboard !== undefined && dashboard.delivery !== "helm-values" && dashboard.sourceFile === undefined;
}

/** Pure: the sensitive variables a cluster needs, in a stable order. */
export function monitoringSecrets(cluster: ClusterConfig): MonitoringSecret[] {
  const secret = (kind: MonitoringSecretKind, prefix: string, description: string): MonitoringSecret => ({
    kind,
    ...clusterSecret(cluster.name, prefix, description),
  });
  const secrets: MonitoringSecret[] = [];
  if (needsGrafanaProvider(cluster)) secrets.push(secret("grafanaAuth", "grafana_auth", "Grafana service account token or user:password"));
  const contact = cluster.monitoring?.grafanaAlerts?.contactPoint;
  if (contact?.type === "slack") {
    secrets.push(
      contact.recipient === undefined
        ? secret("slackWebhookUrl", "slack_webhook_url", "Slack incoming-webhook URL for Trivy alerts")
        : secret("slackToken", "slack_token", "Slack bot token for Trivy alerts"),
    );
  }
  if (contact?.type === "webhook") {
    secrets.push(secret("webhookUrl", "alert_webhook_url", "Webhook URL for Trivy alerts"));
    if (contact.webhookAuthorization === true)
      secrets.push(secret("webhookToken", "alert_webhook_token", "Bearer token of the Trivy alert webhook"));
  }
  return secrets;
}

/**
 * Pure: options of the ServiceMonitor/PrometheusRule bundle, or undefined when neither is wanted.
 * The operator supplies namespace, release name and report TTL.
 */
export function operatorMonitoringOptions(cluster: ClusterConfig): TrivyOperatorMonitoringOptions | undefined {
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return undefined;
  const serviceMonitor = monitoring.serviceMonitor ?? true;
  const prometheusRule = monitoring.prometheusRule ?? true;
  if (!serviceMonitor && !prometheusRule) return undefined;
  return {
    serviceMonitor,
    prometheusRule,
    alertRules: monitoring.alertRules,
    prometheusSelectorLabels: monitoring.prometheusSelectorLabels,
    scrapeInterval: monitoring.scrapeInterval,
  };
}

/** Pure: props of the dashboard (without the providers), or undefined without one. */
export function dashboardProps(cluster: ClusterConfig): GrafanaDashboardProps | undefined {
  const dashboard = cluster.monitoring?.dashboard;
  if (dashboard === undefined || dashboard.delivery !== "helm-values") return dashboard;
  // One output per cluster: two helm-values clusters in one stack would otherwise share a name.
  return { ...dashboard, helmValuesOutputName: `grafana_dashboard_helm_values_${terraformNameSuffix(cluster.name)}` };
}

/**
 * True when the Grafana alerts share the `grafana-api` dashboard's folder instead of creating one:
 * Grafana refuses a second top-level folder with the same title.
 */
export function alertsShareDashboardFolder(cluster: ClusterConfig): boolean {
  const dashboard = cluster.monitoring?.dashboard;
  const alerts = cluster.monitoring?.grafanaAlerts;
  if (alerts === undefined || dashboard?.delivery !== "grafana-api" || dashboard.folderTitle === undefined) return false;
  return alerts.folderTitle === undefined || alerts.folderTitle === dashboard.folderTitle;
}

/** The contact point of the alerts, its secrets read from the cluster's sensitive variables. */
function contactPointProps(
  contact: ContactPointConfig,
  variables: Partial<Record<MonitoringSecretKind, TerraformVariable>>,
): TrivyAlertsContactPoint {
  switch (contact.type) {
    case "slack":
      return contact.recipient === undefined
        ? { type: "slack", url: variables.slackWebhookUrl!.stringValue }
        : { type: "slack", token: variables.slackToken!.stringValue, recipient: contact.recipient };
    case "webhook":
      return { type: "webhook", url: variables.webhookUrl!.stringValue, authorizationCredentials: variables.webhookToken?.stringValue };
    case "email":
      return contact;
  }
}

/** What wireMonitoring created for one cluster. */
export interface ClusterMonitoring {
  readonly operatorMonitoring?: TrivyOperatorMonitoring;
  readonly dashboard?: GrafanaDashboard;
  readonly grafanaAlerts?: TrivyGrafanaAlerts;
  readonly grafanaProvider?: GrafanaProvider;
  /** The stack-level sensitive variables, by kind. */
  readonly variables: Readonly<Partial<Record<MonitoringSecretKind, TerraformVariable>>>;
}

/**
 * Adds the cluster's monitoring below `scope` (ids `monitoring`, `dashboard`, `grafana-alerts`,
 * addresses kept from before the companions took their operator). Sensitive variables and the
 * aliased Grafana provider belong to the stack, like the cluster's other providers; helm_ and
 * kubernetes_ resources use the operator's providers. The http provider the download needs is
 * declared once per stack by TrivyEnvironmentStack.
 */
export function wireMonitoring(scope: Construct, cluster: ClusterConfig, operator: ITrivyOperator): ClusterMonitoring {
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return { variables: {} };
  const stack = TerraformStack.of(scope);

  const variables: Partial<Record<MonitoringSecretKind, TerraformVariable>> = {};
  for (const secret of monitoringSecrets(cluster)) {
    variables[secret.kind] = declareSensitiveVariable(scope, secret);
  }

  const grafanaProvider = needsGrafanaProvider(cluster)
    ? new GrafanaProvider(stack, `grafana-${cluster.name}`, {
        alias: cluster.name,
        url: monitoring.grafanaUrl,
        auth: variables.grafanaAuth!.stringValue,
      })
    : undefined;

  const bundleOptions = operatorMonitoringOptions(cluster);
  const operatorMonitoring = bundleOptions ? new TrivyOperatorMonitoring(scope, "monitoring", { ...bundleOptions, operator }) : undefined;

  const boardProps = dashboardProps(cluster);
  let dashboard: GrafanaDashboard | undefined;
  if (boardProps?.delivery === "grafana-api") dashboard = new GrafanaDashboard(scope, "dashboard", { ...boardProps, grafanaProvider });
  else if (boardProps?.delivery === "sidecar")
    dashboard = new GrafanaDashboard(scope, "dashboard", { ...boardProps, kubernetesProvider: operator.kubernetesProvider });
  else if (boardProps !== undefined) dashboard = new GrafanaDashboard(scope, "dashboard", boardProps);

  const alerts = monitoring.grafanaAlerts;
  let grafanaAlerts: TrivyGrafanaAlerts | undefined;
  if (alerts !== undefined) {
    const contact = alerts.contactPoint;
    const shareFolder = alertsShareDashboardFolder(cluster);
    const props: TrivyGrafanaAlertsProps = {
      datasourceUid: alerts.datasourceUid,
      folderUid: shareFolder ? dashboard?.folder?.uid : undefined,
      folderTitle: shareFolder ? undefined : alerts.folderTitle,
      alertRules: monitoring.alertRules,
      operator,
      contactPoint: contactPointProps(contact, variables),
      grafanaProvider,
    };
    grafanaAlerts = new TrivyGrafanaAlerts(scope, "grafana-alerts", props);
  }
  return { operatorMonitoring, dashboard, grafanaAlerts, grafanaProvider, variables };
}
