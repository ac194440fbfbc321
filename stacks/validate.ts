import type { CoversAll } from "../modules/common/covers-all";
import { isGrafanaUid } from "../modules/common/grafana-names";
import { isDnsLabel, isLabelKey, isLabelValue } from "../modules/common/kubernetes-names";
import { isPlainObject } from "../modules/common/plain-object";
import {
  DASHBOARD_DELIVERIES,
  describeProblem,
  grafanaDashboardProblems,
  resolveTrivyOperatorOptions,
  trivyAlertRulesProblems,
  trivyNetworkPolicyProblems,
  trivyNetworkPolicySpec,
  trivyOperatorFacts,
  trivyOperatorMonitoringProblems,
  taintProblems,
  trivyOperatorPropsProblems,
  type ValidationProblem,
} from "../modules";
import {
  BACKEND_TYPES,
  DEFAULT_NETWORK_POLICY_FLAVOR,
  STACK_LAYOUTS,
  type NetworkPolicyConfig,
  type BackendConfig,
  type ClusterConfig,
  type ContactPointConfig,
  type DashboardConfig,
  type EnvironmentConfig,
  type StackLayout,
  type MonitoringAlertRulesConfig,
  type OperatorConfig,
} from "./config";
import { dashboardProps, needsGrafanaProvider } from "./monitoring";
import { networkPolicyOptions } from "./network-policy";

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

function requireNonEmptyString(value: unknown, field: string, example: string): void {
  if (typeof value !== "string" || value.trim().length === 0) {
    throw new Error(`${field} must be a non-empty string such as ${show(example)}, got ${show(value)}`);
  }
}

function requireStringList(value: unknown, field: string, isValid: (item: unknown) => boolean, allowed: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new Error(`${field} must be a list of ${allowed}, got ${show(value)}`);
  for (const [index, item] of value.entries()) {
    if (!isValid(item)) throw new Error(`${field}[${index}] must be ${allowed}, got ${show(item)}`);
  }
}

/**
 * Runs one section's checks and adds its problems to `lines` (a thrown message may hold several,
 * one per line); true when the section passed. Sections are independent, so one config reports
 * every problem at once; a section whose checks need another one to pass runs only after it.
 */
function section(lines: string[], check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    lines.push(...error.message.split("\n"));
    return false;
  }
}

/** Throws the problems of a module as one message, each under its config path. */
function throwProblems(problems: readonly ValidationProblem[], pathPrefix = ""): void {
  if (problems.length > 0) throw new Error(problems.map((problem) => describeProblem(problem, pathPrefix)).join("\n"));
}

function validateBackend(backend: unknown): void {
  if (backend === undefined) return;
  if (!isPlainObject(backend)) throw new Error(`backend must be an object with a type, got ${show(backend)}`);
  const type = backend.type;
  if (!BACKEND_TYPES.includes(type as BackendConfig["type"])) {
    throw new Error(`backend.type must be one of ${BACKEND_TYPES.join(", ")}, got ${show(type)}`);
  }
  const required: Record<BackendConfig["type"], readonly [string, string][]> = {
    local: [],
    s3: [
      ["bucket", "my-terraform-state"],
      ["key", "trivy/prod.tfstate"],
      ["region", "eu-west-1"],
    ],
    gcs: [["bucket", "my-terraform-state"]],
    azurerm: [
      ["resourceGroupName", "tfstate"],
      ["storageAccountName", "tfstate"],
      ["containerName", "tfstate"],
      ["key", "trivy-prod.tfstate"],
    ],
    remote: [
      ["organization", "my-org"],
      ["workspace", "trivy-prod"],
    ],
  };
  for (const [name, example] of required[type as BackendConfig["type"]]) {
    requireNonEmptyString(backend[name], `backend.${name}`, example);
  }
  if (type === "local" && backend.path !== undefined) requireNonEmptyString(backend.path, "backend.path", "terraform.trivy-dev.tfstate");
  if (type === "s3") {
    if (backend.dynamodbTable !== undefined) requireNonEmptyString(backend.dynamodbTable, "backend.dynamodbTable", "terraform-locks");
    if (backend.useLockfile !== undefined && typeof backend.useLockfile !== "boolean") {
      throw new Error(`backend.useLockfile must be true or false, got ${show(backend.useLockfile)}`);
    }
    // Without a lock, two CI runs can apply at once and corrupt the state.
    if (backend.dynamodbTable === undefined && backend.useLockfile !== true) {
      throw new Error(`backend.s3 needs state locking: set dynamodbTable or useLockfile: true, got neither`);
    }
  }
}

/** NetworkPolicyConfig keys; `satisfies` keeps the list in step with the type. */
const NETWORK_POLICY_CONFIG_KEYS = [
  "flavor",
  "apiServerCidrs",
  "apiServerPorts",
  "registryCidrs",
  "privateRegistryCidrs",
  "registryExcludedCidrs",
  "registryPorts",
  "dns",
  "registryHosts",
  "prometheus",
] as const satisfies readonly (keyof NetworkPolicyConfig)[];
const NETWORK_POLICY_CONFIG_KEYS_COMPLETE: CoversAll<keyof NetworkPolicyConfig, typeof NETWORK_POLICY_CONFIG_KEYS> = true;
void NETWORK_POLICY_CONFIG_KEYS_COMPLETE;

/** The shape of the network-policy config (keys, lists, objects); every rule on the values belongs to the module. */
function validateNetworkPolicyShape(networkPolicy: unknown): void {
  if (networkPolicy === undefined) return;
  requireObject(networkPolicy, "networkPolicy", "flavor, apiServerCidrs, registryCidrs, prometheus …");
  requireKnownKeys(networkPolicy, "networkPolicy", NETWORK_POLICY_CONFIG_KEYS);
  for (const key of ["apiServerCidrs", "registryCidrs", "privateRegistryCidrs", "registryExcludedCidrs", "registryHosts"] as const) {
    requireStringList(networkPolicy[key], `networkPolicy.${key}`, (item) => typeof item === "string", "strings");
  }
  for (const key of ["apiServerPorts", "registryPorts"] as const) {
    requireStringList(networkPolicy[key], `networkPolicy.${key}`, (item) => typeof item === "number", "port numbers");
  }
  if (networkPolicy.dns !== undefined) requireObject(networkPolicy.dns, "networkPolicy.dns", "namespace, podLabels, ports, nodeLocalDns");
  const prometheus = networkPolicy.prometheus;
  if (prometheus !== undefined) {
    requireObject(prometheus, "networkPolicy.prometheus", "namespace and podLabels of the Prometheus pods");
    requireNonEmptyString(prometheus.namespace, "networkPolicy.prometheus.namespace", "monitoring");
    const labels = prometheus.podLabels;
    if (!isPlainObject(labels) || Object.values(labels).some((value) => typeof value !== "string")) {
      throw new Error(`networkPolicy.prometheus.podLabels must be a map of label keys to string values, got ${show(labels)}`);
    }
  }
}

/**
 * Where a network-policy prop comes from in a cluster config: the operator supplies namespace,
 * release and the checks bundle host; `metrics` is `networkPolicy.prometheus`.
 */
function networkPolicyConfigPath(path: string): string {
  const fromOperator: Readonly<Record<string, string>> = {
    namespace: "operator.namespace",
    releaseName: "operator.releaseName",
    checksBundleHosts: "operator.extraValues.policiesBundle.registry",
  };
  const root = path.split(/[.[ ]/)[0]!;
  if (fromOperator[root] !== undefined) return fromOperator[root] + path.slice(root.length);
  return `networkPolicy.${path.replace(/^metrics\.prometheusNamespace/, "prometheus.namespace").replace(/^metrics\.prometheusPodLabels/, "prometheus.podLabels")}`;
}

/**
 * The cluster's policy as the TrivyNetworkPolicy construct would derive it from its operator,
 * checked by the module; problems are reported under the config's keys. The Prometheus peer is
 * checked whenever it is configured, scraped or not. With operator options that have problems of
 * their own, the policy's own options are still checked, against a default operator.
 */
function validateNetworkPolicyValues(cluster: ClusterConfig, operatorValid: boolean): void {
  const { dbRepositoryCredentials: _password, ...options } = operatorValid ? (cluster.operator ?? {}) : {};
  const operatorFacts = trivyOperatorFacts(resolveTrivyOperatorOptions({ ...options, taints: cluster.taints }));
  const spec = trivyNetworkPolicySpec(operatorFacts, networkPolicyOptions(cluster, cluster.networkPolicy?.prometheus !== undefined));
  const problems = trivyNetworkPolicyProblems(spec).map((problem) => ({ ...problem, path: networkPolicyConfigPath(problem.path) }));
  throwProblems(operatorValid ? problems : problems.filter((problem) => !problem.path.startsWith("operator.")));
}

/** Every problem of one cluster entry, each line prefixed with the environment and the cluster. */
function clusterProblems(cluster: unknown, index: number, environment: string): string[] {
  const name = isPlainObject(cluster) ? cluster.name : undefined;
  const context = isDnsLabel(name) ? `environment "${environment}", cluster "${name}"` : `environment "${environment}", clusters[${index}]`;
  if (!isPlainObject(cluster)) return [`${context}: must be an object, got ${show(cluster)}`];
  const lines: string[] = [];
  section(lines, () => {
    if (!isDnsLabel(name)) {
      throw new Error(`name must be a DNS-1123 label (at most 63 lowercase letters, digits and '-'), got ${show(name)}`);
    }
  });
  section(lines, () => requireNonEmptyString(cluster.kubeconfigPath, "kubeconfigPath", "~/.kube/config"));
  section(lines, () => {
    if (cluster.kubeContext !== undefined) requireNonEmptyString(cluster.kubeContext, "kubeContext", "kind-trivy");
  });
  const taintsValid = section(lines, () => {
    if (cluster.taints === undefined) return;
    if (!Array.isArray(cluster.taints)) throw new Error(`taints must be a list of taints, got ${show(cluster.taints)}`);
    throwProblems(taintProblems(cluster.taints, "taints"));
  });
  const networkPolicyShapeValid = section(lines, () => validateNetworkPolicyShape(cluster.networkPolicy));
  const operatorValid = section(lines, () => validateOperatorConfig(cluster.operator));
  if (taintsValid && networkPolicyShapeValid) {
    section(lines, () => validateNetworkPolicyValues(cluster as unknown as ClusterConfig, operatorValid));
  }
  if (networkPolicyShapeValid) section(lines, () => validateMonitoring(cluster as unknown as ClusterConfig));
  return lines.map((line) => `${context}: ${line}`);
}

/**
 * The operator options through the module's own rules. The password is not config (it comes from
 * TF_VAR_trivy_db_password_<cluster> at synth): only its rule is left out.
 */
function validateOperatorConfig(operator: unknown): void {
  if (operator === undefined) return;
  if (!isPlainObject(operator)) throw new Error(`operator must be an object of operator options, got ${show(operator)}`);
  if (operator.taints !== undefined) {
    throw new Error(`operator.taints must not be set; put taints on the cluster (taints), got ${show(operator.taints)}`);
  }
  const { dbRepositoryCredentials, ...options } = operator as OperatorConfig;
  if (dbRepositoryCredentials !== undefined) validateDbRepositoryCredentialsConfig(dbRepositoryCredentials);
  const passwordPath = "operator.dbRepositoryCredentials.password";
  const problems = trivyOperatorPropsProblems(
    { ...options, dbRepositoryCredentials: dbRepositoryCredentials && { username: dbRepositoryCredentials.username, password: "" } },
    "operator.",
  );
  throwProblems(problems.filter((problem) => problem.path !== passwordPath));
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const HTTP_URL = /^https?:\/\/[^\s/]+\S*$/;

/**
 * Unknown keys are refused rather than ignored: a typo would silently switch a feature off, and a
 * key such as `slackWebhookUrl` would put a secret into code. The value is not echoed for that reason.
 */
function requireKnownKeys(value: Record<string, unknown>, field: string, allowed: readonly string[], hint = ""): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${field}.${key} is not an option; allowed: ${allowed.join(", ")}${hint}`);
  }
}

function requireObject(value: unknown, field: string, what: string): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) throw new Error(`${field} must be an object (${what}), got ${show(value)}`);
}

function requireOptionalBoolean(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== "boolean") throw new Error(`${field} must be true or false, got ${show(value)}`);
}

/** TrivyAlertRulesOptions without what the operator options decide; `satisfies` keeps the list in step with the type. */
const ALERT_RULE_OPTIONS = [
  "operatorJob",
  "findingsKeepFiringFor",
  "criticalVulnerabilitiesThreshold",
  "criticalVulnerabilitiesFor",
  "exposedSecretSeverities",
  "exposedSecretsFor",
  "criticalConfigAuditThreshold",
  "criticalConfigAuditFor",
  "operatorAbsentFor",
  "failedScanJobsThreshold",
  "scanJobFailureWindow",
  "scanJobNamePattern",
  "scanJobsFailingFor",
  "additionalLabels",
  "disabledAlerts",
] as const satisfies readonly (keyof MonitoringAlertRulesConfig)[];
const ALERT_RULE_OPTIONS_COMPLETE: CoversAll<keyof MonitoringAlertRulesConfig, typeof ALERT_RULE_OPTIONS> = true;
void ALERT_RULE_OPTIONS_COMPLETE;

const SECRET_HINT =
  "; secrets (Grafana token, Slack/webhook URLs and tokens) come from TF_VAR_ variables, never from the config (docs/monitoring-config.md)";

/** The config keys of each dashboard delivery; a key of another delivery is named as such rather than as unknown. */
const DASHBOARD_CONFIG_KEYS = {
  "grafana-api": ["delivery", "datasourceUid", "datasourceName", "folderTitle", "sourceFile"],
  sidecar: ["delivery", "datasourceUid", "datasourceName", "folderTitle", "sourceFile", "namespace"],
  "helm-values": ["delivery", "datasourceUid", "datasourceName", "folderTitle"],
} as const satisfies { readonly [D in DashboardConfig["delivery"]]: readonly (keyof Extract<DashboardConfig, { delivery: D }>)[] };

/** The config keys of each contact point type. */
const CONTACT_POINT_CONFIG_KEYS = {
  slack: ["type", "recipient"],
  webhook: ["type", "webhookAuthorization"],
  email: ["type", "addresses"],
} as const satisfies { readonly [T in ContactPointConfig["type"]]: readonly (keyof Extract<ContactPointConfig, { type: T }>)[] };

/**
 * Keys that belong to another variant of an either/or section, as problems: `namespace` on a
 * helm-values dashboard "only applies to delivery sidecar, not helm-values".
 */
function otherVariantKeys(
  value: Record<string, unknown>,
  discriminant: string,
  variants: Readonly<Record<string, readonly string[]>>,
  chosen: string,
): ValidationProblem[] {
  const own: readonly string[] = variants[chosen] ?? [];
  return Object.keys(value)
    .filter((key) => !own.includes(key))
    .map((key) => {
      const owners = Object.entries(variants)
        .filter(([, keys]) => keys.includes(key))
        .map(([variant]) => variant);
      return { path: key, value: value[key], expected: `only applies to ${discriminant} ${owners.join(" or ")}, not ${chosen}` };
    });
}

/** The config knows its keys; every rule on their values belongs to the GrafanaDashboard module. */
function validateDashboard(cluster: ClusterConfig, dashboard: unknown): void {
  const field = "monitoring.dashboard";
  requireObject(dashboard, field, "delivery and datasourceUid or datasourceName");
  requireKnownKeys(dashboard, field, [...new Set(Object.values(DASHBOARD_CONFIG_KEYS).flat())]);
  const delivery = dashboard.delivery;
  if (!(DASHBOARD_DELIVERIES as readonly unknown[]).includes(delivery)) {
    throw new Error(
      describeProblem({ path: "delivery", value: delivery, expected: `use one of ${DASHBOARD_DELIVERIES.join(", ")}` }, `${field}.`),
    );
  }
  const problems = [
    ...grafanaDashboardProblems(dashboardProps(cluster)!),
    ...otherVariantKeys(dashboard, "delivery", DASHBOARD_CONFIG_KEYS, delivery as string),
  ];
  if (problems.length > 0) throw new Error(problems.map((problem) => describeProblem(problem, `${field}.`)).join("\n"));
}

function validateGrafanaAlerts(alerts: unknown): void {
  const field = "monitoring.grafanaAlerts";
  requireObject(alerts, field, "datasourceUid and contactPoint");
  requireKnownKeys(alerts, field, ["datasourceUid", "folderTitle", "contactPoint"], SECRET_HINT);
  if (typeof alerts.datasourceUid !== "string" || !isGrafanaUid(alerts.datasourceUid)) {
    throw new Error(`${field}.datasourceUid must be a Grafana uid (1-40 letters, digits, '-' or '_'), got ${show(alerts.datasourceUid)}`);
  }
  if (alerts.folderTitle !== undefined) requireNonEmptyString(alerts.folderTitle, `${field}.folderTitle`, "Trivy Operator alerts");
  const contact = alerts.contactPoint;
  const types = Object.keys(CONTACT_POINT_CONFIG_KEYS);
  requireObject(contact, `${field}.contactPoint`, `type ${types.join(", ")}`);
  requireKnownKeys(contact, `${field}.contactPoint`, [...new Set(Object.values(CONTACT_POINT_CONFIG_KEYS).flat())], SECRET_HINT);
  const type = contact.type;
  if (typeof type !== "string" || !types.includes(type)) {
    throw new Error(`${field}.contactPoint.type must be one of ${types.join(", ")}, got ${show(type)}`);
  }
  const misplaced = otherVariantKeys(contact, "type", CONTACT_POINT_CONFIG_KEYS, type);
  if (misplaced.length > 0) throw new Error(misplaced.map((problem) => describeProblem(problem, `${field}.contactPoint.`)).join("\n"));
  if (contact.recipient !== undefined) requireNonEmptyString(contact.recipient, `${field}.contactPoint.recipient`, "#security-alerts");
  requireOptionalBoolean(contact.webhookAuthorization, `${field}.contactPoint.webhookAuthorization`);
  if (type === "email") {
    const addresses = contact.addresses;
    if (!Array.isArray(addresses) || addresses.length === 0) {
      throw new Error(
        `${field}.contactPoint.addresses must be a non-empty list of email addresses for type "email", got ${show(addresses)}`,
      );
    }
    requireStringList(
      addresses,
      `${field}.contactPoint.addresses`,
      (item) => typeof item === "string" && EMAIL.test(item),
      'an email address such as "security@example.com"',
    );
  }
}

function validateMonitoring(cluster: ClusterConfig): void {
  const monitoring: unknown = cluster.monitoring;
  if (monitoring === undefined) return;
  requireObject(monitoring, "monitoring", "serviceMonitor, prometheusRule, dashboard, grafanaAlerts …");
  requireKnownKeys(
    monitoring,
    "monitoring",
    [
      "serviceMonitor",
      "prometheusRule",
      "prometheusSelectorLabels",
      "scrapeInterval",
      "alertRules",
      "grafanaUrl",
      "dashboard",
      "grafanaAlerts",
    ],
    SECRET_HINT,
  );
  requireOptionalBoolean(monitoring.serviceMonitor, "monitoring.serviceMonitor");
  requireOptionalBoolean(monitoring.prometheusRule, "monitoring.prometheusRule");
  const labels = monitoring.prometheusSelectorLabels;
  if (labels !== undefined) {
    requireObject(labels, "monitoring.prometheusSelectorLabels", 'label keys to values, such as { release: "kube-prometheus-stack" }');
    for (const [key, value] of Object.entries(labels)) {
      if (!isLabelKey(key))
        throw new Error(`monitoring.prometheusSelectorLabels key must be a Kubernetes label key such as "release", got ${show(key)}`);
      if (typeof value !== "string" || !isLabelValue(value)) {
        throw new Error(
          `monitoring.prometheusSelectorLabels.${key} must be a Kubernetes label value (at most 63 letters, digits, '-', '_', '.'), got ${show(value)}`,
        );
      }
    }
  }
  const interval = monitoring.scrapeInterval;
  if (interval !== undefined && typeof interval !== "string")
    throw new Error(`monitoring.scrapeInterval must be a string such as "60s", got ${show(interval)}`);
  const bundleProblems = trivyOperatorMonitoringProblems({ scrapeInterval: interval });
  if (bundleProblems.length > 0) throw new Error(bundleProblems.map((problem) => describeProblem(problem, "monitoring.")).join("\n"));
  const alertRules = monitoring.alertRules;
  if (alertRules !== undefined) {
    requireObject(alertRules, "monitoring.alertRules", "thresholds, durations, additionalLabels, disabledAlerts");
    for (const [key, from] of [
      ["operatorNamespace", "operator.namespace"],
      ["scannerReportTTL", "operator.scannerReportTTL"],
    ] as const) {
      if (alertRules[key] !== undefined)
        throw new Error(`monitoring.alertRules.${key} must not be set; it comes from ${from}, got ${show(alertRules[key])}`);
    }
    requireKnownKeys(alertRules, "monitoring.alertRules", ALERT_RULE_OPTIONS);
    const problems = trivyAlertRulesProblems(alertRules);
    if (problems.length > 0) throw new Error(problems.map((problem) => describeProblem(problem, "monitoring.alertRules.")).join("\n"));
  }
  if (monitoring.dashboard !== undefined) validateDashboard(cluster, monitoring.dashboard);
  if (monitoring.grafanaAlerts !== undefined) validateGrafanaAlerts(monitoring.grafanaAlerts);

  const grafanaUrl = monitoring.grafanaUrl;
  if (needsGrafanaProvider(cluster)) {
    if (typeof grafanaUrl !== "string" || !HTTP_URL.test(grafanaUrl)) {
      throw new Error(
        `monitoring.grafanaUrl must be an http(s) URL such as "https://grafana.example.com" with dashboard delivery "grafana-api" or grafanaAlerts, got ${show(grafanaUrl)}`,
      );
    }
    // user:password in the URL would put a credential into cdk.tf.json; the token has its own variable.
    if (/^https?:\/\/[^/]*@/.test(grafanaUrl))
      throw new Error(`monitoring.grafanaUrl must not contain credentials; set TF_VAR_grafana_auth_<cluster> instead`);
  } else if (grafanaUrl !== undefined) {
    throw new Error(
      `monitoring.grafanaUrl only applies with dashboard delivery "grafana-api" or grafanaAlerts, got ${show(grafanaUrl)} without either`,
    );
  }

  const serviceMonitor = monitoring.serviceMonitor !== false;
  if (monitoring.prometheusRule !== false && monitoring.grafanaAlerts !== undefined) {
    throw new Error(
      `monitoring.prometheusRule must be false with monitoring.grafanaAlerts (both deliver the Trivy alerts, every alert would fire twice), got ${show(monitoring.prometheusRule)}`,
    );
  }
  const flavor = cluster.networkPolicy?.flavor ?? DEFAULT_NETWORK_POLICY_FLAVOR;
  if (serviceMonitor && flavor !== "none" && cluster.networkPolicy?.prometheus === undefined) {
    // The pod labels of Prometheus differ per install; guessing them would open the port to the wrong pods or to none.
    throw new Error(
      `monitoring.serviceMonitor needs networkPolicy.prometheus (namespace and podLabels of the Prometheus pods) so the ${show(flavor)} default-deny policies let Prometheus scrape port 8080, got networkPolicy.prometheus undefined; set it, or set monitoring.serviceMonitor: false`,
    );
  }
}

/** Only the user name is config; a `password` key would put the secret into code. */
function validateDbRepositoryCredentialsConfig(credentials: unknown): void {
  const field = "operator.dbRepositoryCredentials";
  requireObject(credentials, field, "username");
  requireKnownKeys(credentials, field, ["username"], "; the password comes from TF_VAR_trivy_db_password_<cluster>, never from the config");
}

/**
 * Environment names become stack names, state keys and GitHub environment names: a DNS label keeps
 * them valid everywhere, and the leading letter keeps `trivy-<env>` from reading like a number.
 */
export function isEnvironmentName(name: unknown): name is string {
  return isDnsLabel(name) && /^[a-z]/.test(name);
}

/**
 * Environment configs that passed `validateEnvironmentConfig`, by object and environment name: the
 * stacks built from a config `planStacks` has just checked need not check it a second time (that
 * pass cost about 5% of a 200-cluster synth). Configs are readonly data; a new object is checked anew.
 */
const validatedConfigs = new WeakMap<object, Set<string>>();

function markValidated(environment: string, config: EnvironmentConfig): void {
  const names = validatedConfigs.get(config) ?? new Set<string>();
  names.add(environment);
  validatedConfigs.set(config, names);
}

/** Whether `config` already passed `validateEnvironmentConfig` as environment `environment`. */
export function isValidatedEnvironment(environment: string, config: EnvironmentConfig): boolean {
  return validatedConfigs.get(config)?.has(environment) ?? false;
}

/**
 * Every problem of one environment, each line naming the environment, the cluster, the field, the
 * bad value and what is allowed (empty when valid).
 */
export function environmentProblems(environment: string, config: unknown): string[] {
  if (!isEnvironmentName(environment)) {
    return [
      `environment name must be a lowercase DNS label starting with a letter (at most 63 lowercase letters, digits and '-'), such as "staging" or "prod-eu", got ${show(environment)}`,
    ];
  }
  const context = `environment "${environment}"`;
  if (!isPlainObject(config)) return [`${context}: config must be an object with clusters, got ${show(config)}`];
  const lines: string[] = [];
  section(lines, () => validateBackend(config.backend));
  section(lines, () => {
    if (config.stackLayout !== undefined && !STACK_LAYOUTS.includes(config.stackLayout as StackLayout)) {
      throw new Error(`stackLayout must be one of ${STACK_LAYOUTS.join(", ")}, got ${show(config.stackLayout)}`);
    }
  });
  if (!Array.isArray(config.clusters) || config.clusters.length === 0) {
    lines.push(`clusters must be a non-empty list of clusters, got ${show(config.clusters)}`);
    return lines.map((line) => `${context}: ${line}`);
  }
  const clusters: unknown[] = config.clusters;
  return [
    ...lines.map((line) => `${context}: ${line}`),
    ...clusters.flatMap((cluster, index) => clusterProblems(cluster, index, environment)),
    ...crossClusterProblems(environment, clusters),
  ];
}

/** Rules between the clusters of one environment: unique names, targets and Grafanas. */
function crossClusterProblems(environment: string, clusters: readonly unknown[]): string[] {
  const lines: string[] = [];
  const seenNames = new Set<string>();
  const seenTargets = new Map<string, string>();
  const seenGrafanas = new Map<string, string>();
  for (const cluster of clusters) {
    // Entries with their own problems are reported there; comparing them would add noise.
    if (!isPlainObject(cluster) || !isDnsLabel(cluster.name) || typeof cluster.kubeconfigPath !== "string") continue;
    const { name } = cluster;
    if (seenNames.has(name)) {
      lines.push(`environment "${environment}", cluster "${name}": name must be unique in the environment, got ${show(name)} twice`);
      continue;
    }
    seenNames.add(name);
    // Two entries pointing at one cluster would install the operator twice into the same namespace.
    const target = `${cluster.kubeconfigPath}#${typeof cluster.kubeContext === "string" ? cluster.kubeContext : ""}`;
    const other = seenTargets.get(target);
    if (other !== undefined) {
      lines.push(
        `environment "${environment}", cluster "${name}": kubeconfigPath and kubeContext must differ from cluster "${other}", got ${show(target)} for both`,
      );
    }
    seenTargets.set(target, name);
    const grafanaUrl = isPlainObject(cluster.monitoring) ? cluster.monitoring.grafanaUrl : undefined;
    if (typeof grafanaUrl === "string" && needsGrafanaProvider(cluster as unknown as ClusterConfig)) {
      // The grafana.com dashboard keeps its uid, and folder, contact point and rule group names are
      // fixed: two clusters on one Grafana would overwrite each other's objects at every apply.
      const grafana = grafanaUrl.replace(/\/+$/, "");
      const owner = seenGrafanas.get(grafana);
      if (owner !== undefined) {
        lines.push(
          `environment "${environment}", cluster "${name}": monitoring.grafanaUrl must differ from cluster "${owner}" (dashboard uid, folder, contact point and rule group would collide in one Grafana), got ${show(grafana)} for both`,
        );
      }
      seenGrafanas.set(grafana, name);
    }
  }
  return lines;
}

/**
 * Checks one environment and throws one error listing every problem (see environmentProblems).
 */
export function validateEnvironmentConfig(environment: string, config: unknown): asserts config is EnvironmentConfig {
  const problems = environmentProblems(environment, config);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  markValidated(environment, config as EnvironmentConfig);
}

/** Checks every environment before anything is built, so a bad config never half-synthesizes; reports every problem at once. */
export function validateEnvironments(environments: Readonly<Record<string, unknown>>): void {
  const problems = Object.entries(environments).flatMap(([environment, config]) => environmentProblems(environment, config));
  if (problems.length > 0) throw new Error(problems.join("\n"));
  for (const [environment, config] of Object.entries(environments)) markValidated(environment, config as EnvironmentConfig);
}
