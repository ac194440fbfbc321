import type {
  EmailContactPoint,
  GrafanaApiDashboardProps,
  HelmValuesDashboardProps,
  SidecarDashboardProps,
  SlackBotContactPoint,
  Taint,
  TrivyAlertRulesOptions,
  TrivyNetworkPolicyProps,
  TrivyOperatorOptions,
  WebhookContactPoint,
} from "../modules";

/**
 * Name of an environment (`dev`, `staging`, `prod-eu`, …): a lowercase DNS label that starts with a
 * letter, part of every stack name (`trivy-<env>`, `trivy-<env>-<cluster>`). Any number of them.
 */
export type EnvironmentName = string;

/**
 * How an environment's clusters map to Terraform stacks (and states).
 * - `per-environment`: one stack `trivy-<env>` holding every cluster, one state.
 * - `per-cluster`: one stack `trivy-<env>-<cluster>` per cluster, each with its own state, so an
 *   unreachable cluster fails only its own plan and `cdktf deploy 'trivy-<env>-*' --parallelism N`
 *   deploys clusters side by side (docs/fleet.md).
 */
export const STACK_LAYOUTS = ["per-environment", "per-cluster"] as const;
export type StackLayout = (typeof STACK_LAYOUTS)[number];

export { DEFAULT_NETWORK_POLICY_FLAVOR, NETWORK_POLICY_FLAVORS, type NetworkPolicyFlavor } from "../modules";

/**
 * Which network policies guard the operator namespace, and where its traffic may go. The fields
 * and their defaults are those of the network-policy module; namespace, release, Trivy server and
 * node collector come from the operator options.
 */
export interface NetworkPolicyConfig extends Pick<
  TrivyNetworkPolicyProps,
  | "flavor"
  | "apiServerCidrs"
  | "apiServerPorts"
  | "registryCidrs"
  | "privateRegistryCidrs"
  | "registryExcludedCidrs"
  | "registryPorts"
  | "dns"
> {
  /**
   * Registry host names scan jobs may reach, for the FQDN-aware flavor (cilium). When set, the DB
   * registries of the operator options are added to the list.
   * @default - any public address on 443
   */
  readonly registryHosts?: readonly string[];
  /**
   * Prometheus that scrapes the operator on 8080; needed together with `monitoring.serviceMonitor`.
   * @default - no metrics ingress
   */
  readonly prometheus?: PrometheusScrapeConfig;
}

/** Who scrapes the operator's metrics. */
export interface PrometheusScrapeConfig {
  readonly namespace: string;
  /** Labels of the Prometheus pods; at least one, so not every pod of that namespace gets in. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** What every delivery of the config takes; the docs and defaults are those of the GrafanaDashboard module. */
type DashboardConfigKeys = "delivery" | "datasourceUid" | "datasourceName" | "folderTitle";

/**
 * grafana.com dashboard 17813 (pinned in dashboards/catalog.ts), bound to one Prometheus datasource,
 * one shape per delivery (see modules/grafana-dashboard):
 * - `grafana-api`: grafana_dashboard through the cluster's Grafana provider (needs `monitoring.grafanaUrl`);
 *   `sourceFile` reads the dashboard at synth time instead of downloading it (air-gapped clusters);
 * - `sidecar`: a ConfigMap in `namespace` (default "monitoring") for the kube-prometheus-stack Grafana sidecar;
 * - `helm-values`: only a stack output `grafana_dashboard_helm_values_<cluster>` for the Grafana chart.
 */
export type DashboardConfig =
  | Pick<GrafanaApiDashboardProps, DashboardConfigKeys | "sourceFile">
  | Pick<SidecarDashboardProps, DashboardConfigKeys | "sourceFile" | "namespace">
  | Pick<HelmValuesDashboardProps, DashboardConfigKeys>;

/**
 * Where Grafana-managed alerts are sent, one shape per type. Secrets are never config fields: they
 * come from sensitive stack variables (`TF_VAR_…`, see docs/monitoring-config.md).
 * - `slack`: incoming webhook URL from `TF_VAR_slack_webhook_url_<cluster>`, or with `recipient`
 *   a bot token from `TF_VAR_slack_token_<cluster>`;
 * - `webhook`: URL from `TF_VAR_alert_webhook_url_<cluster>` (webhook URLs often embed a credential);
 *   `webhookAuthorization: true` sends `Authorization: Bearer <TF_VAR_alert_webhook_token_<cluster>>`;
 * - `email`: `addresses` (Grafana's SMTP settings are used), no secret.
 */
export type ContactPointConfig =
  | (Pick<SlackBotContactPoint, "type"> & Partial<Pick<SlackBotContactPoint, "recipient">>)
  | { readonly type: WebhookContactPoint["type"]; readonly webhookAuthorization?: boolean }
  | Pick<EmailContactPoint, "type" | "addresses">;

/** The Trivy alerts as Grafana-managed rules instead of a PrometheusRule. */
export interface GrafanaAlertsConfig {
  /** uid of the Prometheus datasource that scrapes the operator. */
  readonly datasourceUid: string;
  /**
   * Folder of the rule group, created unless it is the title of the `grafana-api` dashboard's folder.
   * @default - the dashboard's folder with `grafana-api` + folderTitle, else "Trivy Operator alerts"
   */
  readonly folderTitle?: string;
  readonly contactPoint: ContactPointConfig;
}

/** What the alerts may be tuned with; namespace and report TTL come from the operator options. */
export type MonitoringAlertRulesConfig = Omit<TrivyAlertRulesOptions, "operatorNamespace" | "scannerReportTTL" | "scanJobsInSameNamespace">;

/**
 * Metrics, alerts and dashboard of the operator. The ServiceMonitor and PrometheusRule need the
 * Prometheus Operator CRDs (kube-prometheus-stack) in the cluster.
 */
export interface MonitoringConfig {
  /**
   * ServiceMonitor for the operator's metrics, in a release of its own (the one way to get one).
   * Unless `networkPolicy.flavor` is `none`, needs `networkPolicy.prometheus`.
   * @default true
   */
  readonly serviceMonitor?: boolean;
  /**
   * PrometheusRule with the Trivy alerts. Must be false with `grafanaAlerts` (every alert would fire twice).
   * @default true
   */
  readonly prometheusRule?: boolean;
  /**
   * Labels the Prometheus selects ServiceMonitors and rules by (kube-prometheus-stack: `release: <its release>`).
   * @default {}
   */
  readonly prometheusSelectorLabels?: Readonly<Record<string, string>>;
  /**
   * Scrape interval; every scrape walks all report CRs.
   * @default "60s"
   */
  readonly scrapeInterval?: string;
  /**
   * Thresholds, `for` durations, extra labels and disabled alerts (PrometheusRule and Grafana alerts alike).
   * @default - see TrivyAlertRulesOptions
   */
  readonly alertRules?: MonitoringAlertRulesConfig;
  /**
   * Base URL of the Grafana the `grafana-api` dashboard and `grafanaAlerts` go to; the token comes
   * from `TF_VAR_grafana_auth_<cluster>`.
   * @default - none; required with delivery grafana-api or grafanaAlerts, refused otherwise
   */
  readonly grafanaUrl?: string;
  /**
   * The Trivy Operator dashboard.
   * @default - no dashboard
   */
  readonly dashboard?: DashboardConfig;
  /**
   * Grafana-managed alert rules and a contact point.
   * @default - no Grafana alerts
   */
  readonly grafanaAlerts?: GrafanaAlertsConfig;
}

/**
 * Who the operator pulls the vulnerability DB as, from a private or authenticated mirror
 * (`dbRegistry`/`dbRepository`). The password is never a config field: it comes from the
 * sensitive stack variable `trivy_db_password_<cluster>` (`TF_VAR_trivy_db_password_<cluster>`).
 */
export interface DbRepositoryCredentialsConfig {
  /** Registry user name (e.g. a Harbor robot account or a read-only token's user). */
  readonly username: string;
}

/** The operator options of one cluster; taints live on the cluster, the DB password in a variable. */
export interface OperatorConfig extends Omit<TrivyOperatorOptions, "taints"> {
  /**
   * Pull the vulnerability DB with credentials, e.g. from the organisation's own mirror (the fix
   * for TOOMANYREQUESTS). Adds the sensitive variable `trivy_db_password_<cluster>`.
   * @default - anonymous pulls
   */
  readonly dbRepositoryCredentials?: DbRepositoryCredentialsConfig;
}

/** One Kubernetes cluster of an environment. */
export interface ClusterConfig {
  /**
   * Short name, unique in the environment. Part of Terraform addresses and provider aliases:
   * renaming it re-creates the cluster's resources.
   */
  readonly name: string;
  /** Path of the kubeconfig file the providers read (`~` is expanded by the providers). */
  readonly kubeconfigPath: string;
  /**
   * Context in the kubeconfig.
   * @default - the kubeconfig's current context
   */
  readonly kubeContext?: string;
  /**
   * Taints of the cluster's nodes; every Trivy component tolerates them.
   * @default - none
   */
  readonly taints?: readonly Taint[];
  /** @default { flavor: "kubernetes" } */
  readonly networkPolicy?: NetworkPolicyConfig;
  /**
   * Overrides of the operator options (module defaults apply otherwise). Put taints on the cluster.
   * @default - module defaults
   */
  readonly operator?: OperatorConfig;
  /**
   * ServiceMonitor, PrometheusRule, dashboard and Grafana alerts (docs/monitoring-config.md).
   * @default - no monitoring objects
   */
  readonly monitoring?: MonitoringConfig;
}

export const BACKEND_TYPES = ["local", "s3", "gcs", "azurerm", "remote"] as const;

/** Local state file; fine for one engineer, not for CI. */
export interface LocalBackendConfig {
  readonly type: "local";
  /** @default - `terraform.<stack>.tfstate` in the working directory */
  readonly path?: string;
}

/** S3 state; locking through a DynamoDB table or, with Terraform >= 1.10, an S3 lock file. */
export interface S3BackendConfig {
  readonly type: "s3";
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  /** @default - none; then `useLockfile` must be true */
  readonly dynamodbTable?: string;
  /** @default false */
  readonly useLockfile?: boolean;
  /** @default true */
  readonly encrypt?: boolean;
}

/** GCS state; GCS locks natively. */
export interface GcsBackendConfig {
  readonly type: "gcs";
  readonly bucket: string;
  /** @default - the bucket root */
  readonly prefix?: string;
}

/** Azure blob state; blob leases lock natively. */
export interface AzurermBackendConfig {
  readonly type: "azurerm";
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
  readonly key: string;
}

/** HCP Terraform / Terraform Enterprise workspace; runs lock the workspace. */
export interface RemoteBackendConfig {
  readonly type: "remote";
  readonly organization: string;
  readonly workspace: string;
  /** @default "app.terraform.io" */
  readonly hostname?: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig | GcsBackendConfig | AzurermBackendConfig | RemoteBackendConfig;

export interface EnvironmentConfig {
  /** At least one cluster. */
  readonly clusters: readonly ClusterConfig[];
  /**
   * Where the state lives. With `stackLayout: "per-cluster"` each cluster's state key is derived from
   * it (docs/fleet.md "State keys").
   * @default { type: "local" }
   */
  readonly backend?: BackendConfig;
  /**
   * One stack for the environment, or one per cluster. Switching an existing environment moves
   * state, it must not reinstall anything: follow docs/fleet.md "Moving between layouts".
   * @default "per-environment"
   */
  readonly stackLayout?: StackLayout;
}

/** Every environment by name; each becomes one stack, or one per cluster. */
export type EnvironmentsConfig = Readonly<Record<EnvironmentName, EnvironmentConfig>>;
