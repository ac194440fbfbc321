import { validateTrivyNetworkPolicyProps } from "../modules/network-policy/validate";
import { validateTaints } from "../modules/tolerations/tolerations";
import { buildTrivyOperatorValues } from "../modules/trivy-operator/values";
import { isDnsLabel } from "../modules/trivy-operator/validation";
import {
  BACKEND_TYPES,
  ENVIRONMENT_NAMES,
  NETWORK_POLICY_FLAVORS,
  type BackendConfig,
  type ClusterConfig,
  type EnvironmentConfig,
  type EnvironmentName,
} from "./config";
import { networkPolicyProps } from "./network-policy";

const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
const HOST_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function isCidr(value: unknown): value is string {
  return typeof value === "string" && (IPV4_CIDR.test(value) || IPV6_CIDR.test(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

/** Rethrows a module's validation error with the environment/cluster context in front. */
function withContext(context: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new Error(`${context}: ${(error as Error).message}`);
  }
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
    s3: [["bucket", "my-terraform-state"], ["key", "trivy/prod.tfstate"], ["region", "eu-west-1"]],
    gcs: [["bucket", "my-terraform-state"]],
    azurerm: [["resourceGroupName", "tfstate"], ["storageAccountName", "tfstate"], ["containerName", "tfstate"], ["key", "trivy-prod.tfstate"]],
    remote: [["organization", "my-org"], ["workspace", "trivy-prod"]],
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

function validateNetworkPolicy(networkPolicy: unknown): void {
  if (networkPolicy === undefined) return;
  if (!isPlainObject(networkPolicy)) throw new Error(`networkPolicy must be an object, got ${show(networkPolicy)}`);
  const flavor = networkPolicy.flavor;
  if (flavor !== undefined && !NETWORK_POLICY_FLAVORS.includes(flavor as (typeof NETWORK_POLICY_FLAVORS)[number])) {
    throw new Error(`networkPolicy.flavor must be one of ${NETWORK_POLICY_FLAVORS.join(", ")}, got ${show(flavor)}`);
  }
  requireStringList(networkPolicy.apiServerCidrs, "networkPolicy.apiServerCidrs", isCidr, 'a CIDR such as "10.0.0.1/32"');
  requireStringList(networkPolicy.registryCidrs, "networkPolicy.registryCidrs", isCidr, 'a CIDR such as "0.0.0.0/0"');
  const prometheus = networkPolicy.prometheus;
  if (prometheus !== undefined) {
    if (!isPlainObject(prometheus) || !isDnsLabel(prometheus.namespace)) {
      throw new Error(`networkPolicy.prometheus.namespace must be a namespace name (DNS-1123 label), got ${show(isPlainObject(prometheus) ? prometheus.namespace : prometheus)}`);
    }
    const labels = prometheus.podLabels;
    if (!isPlainObject(labels) || Object.keys(labels).length === 0 || Object.values(labels).some((value) => typeof value !== "string")) {
      throw new Error(`networkPolicy.prometheus.podLabels must be a non-empty map of label keys to string values, got ${show(labels)}`);
    }
  }
  requireStringList(
    networkPolicy.registryHosts,
    "networkPolicy.registryHosts",
    (item) => typeof item === "string" && item.length <= 253 && HOST_NAME.test(item),
    'a host name such as "registry.example.com"',
  );
}

function validateCluster(cluster: unknown, index: number, environment: string): void {
  const name = isPlainObject(cluster) ? cluster.name : undefined;
  const context = isDnsLabel(name) ? `environment "${environment}", cluster "${name}"` : `environment "${environment}", clusters[${index}]`;
  withContext(context, () => {
    if (!isPlainObject(cluster)) throw new Error(`must be an object, got ${show(cluster)}`);
    if (!isDnsLabel(name)) {
      throw new Error(`name must be a DNS-1123 label (at most 63 lowercase letters, digits and '-'), got ${show(name)}`);
    }
    requireNonEmptyString(cluster.kubeconfigPath, "kubeconfigPath", "~/.kube/config");
    if (cluster.kubeContext !== undefined) requireNonEmptyString(cluster.kubeContext, "kubeContext", "kind-trivy");
    if (cluster.taints !== undefined) {
      if (!Array.isArray(cluster.taints)) throw new Error(`taints must be a list of taints, got ${show(cluster.taints)}`);
      validateTaints(cluster.taints, "taints");
    }
    validateNetworkPolicy(cluster.networkPolicy);
    const operator = cluster.operator;
    if (operator !== undefined && !isPlainObject(operator)) throw new Error(`operator must be an object of operator options, got ${show(operator)}`);
    if (isPlainObject(operator) && operator.taints !== undefined) {
      throw new Error(`operator.taints must not be set; put taints on the cluster (taints), got ${show(operator.taints)}`);
    }
    // Building the values runs every option check and the chart value-path check (extraValues included).
    const options = (operator ?? {}) as ClusterConfig["operator"];
    withPrefix("operator.", () => buildTrivyOperatorValues({ ...options, taints: cluster.taints as ClusterConfig["taints"] }));
    validateTrivyNetworkPolicyProps(networkPolicyProps(cluster as unknown as ClusterConfig));
  });
}

/** Module errors name the option; in a cluster config the option lives under `operator.`. */
function withPrefix(prefix: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith("taints") || message.startsWith("chart value") ? message : `${prefix}${message}`);
  }
}

/**
 * Checks one environment and throws on the first problem, naming the environment, the cluster,
 * the field, the bad value and what is allowed.
 */
export function validateEnvironmentConfig(environment: string, config: unknown): asserts config is EnvironmentConfig {
  if (!ENVIRONMENT_NAMES.includes(environment as EnvironmentName)) {
    throw new Error(`environment must be one of ${ENVIRONMENT_NAMES.join(", ")}, got ${show(environment)}`);
  }
  withContext(`environment "${environment}"`, () => {
    if (!isPlainObject(config)) throw new Error(`config must be an object with clusters, got ${show(config)}`);
    if (!Array.isArray(config.clusters) || config.clusters.length === 0) {
      throw new Error(`clusters must be a non-empty list of clusters, got ${show(config.clusters)}`);
    }
    validateBackend(config.backend);
  });
  const clusters = (config as { clusters: unknown[] }).clusters;
  clusters.forEach((cluster, index) => validateCluster(cluster, index, environment));

  const seenNames = new Map<string, number>();
  const seenTargets = new Map<string, string>();
  for (const cluster of clusters as ClusterConfig[]) {
    if (seenNames.has(cluster.name)) {
      throw new Error(`environment "${environment}", cluster "${cluster.name}": name must be unique in the environment, got ${show(cluster.name)} twice`);
    }
    seenNames.set(cluster.name, 1);
    // Two entries pointing at one cluster would install the operator twice into the same namespace.
    const target = `${cluster.kubeconfigPath}#${cluster.kubeContext ?? ""}`;
    const other = seenTargets.get(target);
    if (other !== undefined) {
      throw new Error(
        `environment "${environment}", cluster "${cluster.name}": kubeconfigPath and kubeContext must differ from cluster "${other}", got ${show(target)} for both`,
      );
    }
    seenTargets.set(target, cluster.name);
  }
}

/** Checks every environment before anything is built, so a bad config never half-synthesizes. */
export function validateEnvironments(environments: Readonly<Record<string, unknown>>): void {
  for (const [environment, config] of Object.entries(environments)) {
    validateEnvironmentConfig(environment, config);
  }
}
