import { createHash } from "node:crypto";
import { canonicalJson } from "../common/canonical-json";
import { isPlainObject, valueAt } from "../common/plain-object";
import { tolerationChartValues, validateTolerations } from "../tolerations/tolerations";
import type { Toleration } from "../tolerations/taint";
import { chartValuePaths, checkChartValuePaths } from "./chart-value-paths";
import * as defaults from "./defaults";
import type { ResourceRequirements, TrivyOperatorOptions } from "./options";
import { validateTrivyOperatorOptions } from "./validation";

/** Chart values as Helm receives them: nested maps of JSON values. */
export type ChartValues = { readonly [key: string]: unknown };

/** Options with every default applied; what the module actually sends, before `extraValues`. */
export interface ResolvedTrivyOperatorOptions extends Required<Omit<TrivyOperatorOptions, "targetNamespaces" | "extraValues">> {
  readonly targetNamespaces: readonly string[];
  readonly extraValues: Readonly<Record<string, unknown>>;
}

export function resolveTrivyOperatorOptions(options: TrivyOperatorOptions): ResolvedTrivyOperatorOptions {
  const namespace = options.namespace ?? defaults.DEFAULT_NAMESPACE;
  return {
    chartVersion: options.chartVersion ?? defaults.DEFAULT_CHART_VERSION,
    chartSource: options.chartSource ?? defaults.DEFAULT_CHART_SOURCE,
    namespace,
    releaseName: options.releaseName ?? defaults.DEFAULT_RELEASE_NAME,
    scanJobResources: options.scanJobResources ?? defaults.DEFAULT_SCAN_JOB_RESOURCES,
    scanJobsConcurrentLimit: options.scanJobsConcurrentLimit ?? defaults.DEFAULT_SCAN_JOBS_CONCURRENT_LIMIT,
    ignoreUnfixed: options.ignoreUnfixed ?? defaults.DEFAULT_IGNORE_UNFIXED,
    severities: options.severities ?? defaults.DEFAULT_SEVERITIES,
    dbRegistry: options.dbRegistry ?? defaults.DEFAULT_DB_REGISTRY,
    dbRepository: options.dbRepository ?? defaults.DEFAULT_DB_REPOSITORY,
    dbRepositoryInsecure: options.dbRepositoryInsecure ?? false,
    javaDbRegistry: options.javaDbRegistry ?? defaults.DEFAULT_JAVA_DB_REGISTRY,
    javaDbRepository: options.javaDbRepository ?? defaults.DEFAULT_JAVA_DB_REPOSITORY,
    builtInTrivyServer: options.builtInTrivyServer ?? false,
    // Empty means all namespaces (the chart's AllNamespaces install mode).
    targetNamespaces: options.targetNamespaces ?? [],
    // The operator's own namespace is always excluded: scanning its scan jobs would recurse.
    excludeNamespaces: unique([...(options.excludeNamespaces ?? defaults.DEFAULT_EXCLUDE_NAMESPACES), namespace]),
    targetWorkloads: options.targetWorkloads ?? defaults.DEFAULT_TARGET_WORKLOADS,
    excludeImages: options.excludeImages ?? [],
    skipResourceByLabels: options.skipResourceByLabels ?? [],
    scannerReportTTL: options.scannerReportTTL ?? defaults.DEFAULT_SCANNER_REPORT_TTL,
    trivyTimeout: options.trivyTimeout ?? defaults.DEFAULT_TRIVY_TIMEOUT,
    scanJobTimeout: options.scanJobTimeout ?? defaults.DEFAULT_SCAN_JOB_TIMEOUT,
    operatorResources: options.operatorResources ?? defaults.DEFAULT_OPERATOR_RESOURCES,
    infraAssessment: options.infraAssessment ?? true,
    privateRegistryScanSecretsNames: options.privateRegistryScanSecretsNames ?? {},
    taints: options.taints ?? [],
    extraValues: options.extraValues ?? {},
  };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** Comma-joined, because the chart passes these through as one string (env var or ConfigMap key). */
function commaList(items: readonly string[]): string {
  return items.join(",");
}

function resourceValues(resources: ResourceRequirements): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const bound of ["requests", "limits"] as const) {
    const quantities = resources[bound];
    if (!quantities) continue;
    const entries = Object.entries(quantities).filter((entry): entry is [string, string] => entry[1] !== undefined);
    if (entries.length > 0) result[bound] = Object.fromEntries(entries);
  }
  return result;
}

/** Helm's merge semantics: maps merge key by key, everything else (lists included) is replaced. */
export function deepMergeValues(base: ChartValues, override: ChartValues): ChartValues {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMergeValues(current, value) : value;
  }
  return merged;
}

/**
 * Values the operator reads from ConfigMap `trivy-operator` (chart `templates/configmaps/operator.yaml`)
 * once at start-up. The chart's `checksum/config` annotation hashes only the other ConfigMap, so
 * changing these through `helm upgrade` alone leaves the running operator on the old config.
 */
const START_UP_CONFIG_PATHS: readonly (readonly string[])[] = [
  ["trivyOperator"],
  ["nodeCollector"],
  ["policiesBundle"],
  ["compliance", "failEntriesLimit"],
  ["operator", "builtInTrivyServer"],
  ["operator", "vulnerabilityScannerEnabled"],
  ["operator", "exposedSecretScannerEnabled"],
  ["operator", "configAuditScannerEnabled"],
  ["operator", "clusterComplianceEnabled"],
  ["trivy", "serverServiceName"],
  ["global", "image", "registry"],
];

/**
 * sha256 of the start-up config in `values` plus the chart version; changes when a restart is needed
 * to apply them. The version counts because the ConfigMap is rendered from the chart's defaults as
 * well as our values: a chart bump that moves `nodeCollector.tag` or `policiesBundle.tag` (rendered
 * into `node.collector.imageRef` / `policies.bundle.oci.ref`) changes what the operator must read
 * without changing anything we send.
 */
export function startUpConfigHash(values: ChartValues, chartVersion: string): string {
  const subset = START_UP_CONFIG_PATHS.map((path) => [path.join("."), valueAt(values, path) ?? null]);
  return createHash("sha256")
    .update(canonicalJson({ chartVersion, values: subset }))
    .digest("hex");
}

/**
 * What the built-in Trivy server reads, only at start-up, as env from ConfigMap and Secret
 * `trivy-operator-trivy-config` (chart 0.34.0 `templates/trivy-server/statefulset.yaml` `envFrom`):
 * the value paths the chart renders those env vars from (`templates/configmaps/trivy.yaml`,
 * `templates/secrets/trivy.yaml`), and the switches that decide which objects the env comes from.
 * The StatefulSet's `checksum/config` annotation is a constant in the chart, so without our own
 * hash a `helm upgrade` that moves the DB mirror leaves the server on the old one.
 */
export const SERVER_START_UP_CONFIG_PATHS: readonly (readonly [path: readonly string[], readAs: string])[] = [
  [["trivy", "dbRegistry"], "TRIVY_DB_REPOSITORY"],
  [["trivy", "dbRepository"], "TRIVY_DB_REPOSITORY"],
  [["trivy", "javaDbRegistry"], "TRIVY_JAVA_DB_REPOSITORY"],
  [["trivy", "javaDbRepository"], "TRIVY_JAVA_DB_REPOSITORY"],
  [["operator", "builtInServerRegistryInsecure"], "TRIVY_INSECURE"],
  [["trivy", "debug"], "TRIVY_DEBUG"],
  [["trivy", "serverUser"], "TRIVY_USERNAME"],
  [["trivy", "existingSecret"], "trivy.existingSecret"],
  [["trivy", "createConfig"], "trivy.createConfig"],
  [["trivy", "valuesFromConfigMap"], "trivy.valuesFromConfigMap"],
  [["trivy", "valuesFromSecret"], "trivy.valuesFromSecret"],
];

/** The server env vars and sources whose change rolls the built-in Trivy server, for summaries. */
export function serverRollTriggers(): string[] {
  return [...new Set(SERVER_START_UP_CONFIG_PATHS.map(([, envVar]) => envVar))];
}

/**
 * What is known at synth time about the server's DB credentials: the user name and the identity of
 * the password's source (e.g. `${var.trivy_db_password_eu_1}`), never the password. Changing the
 * variable's value alone therefore does not roll the server; docs/operator.md says so.
 */
export interface ServerCredentialIdentity {
  readonly username: string;
  readonly passwordSource: string;
}

/**
 * sha256 of what the built-in Trivy server reads at start-up, plus the chart version (a chart bump
 * can change how those values are rendered).
 */
export function serverStartUpConfigHash(values: ChartValues, chartVersion: string, credentials?: ServerCredentialIdentity): string {
  const subset = SERVER_START_UP_CONFIG_PATHS.map(([path]) => [path.join("."), valueAt(values, path) ?? null]);
  const identity = credentials ? { username: credentials.username, passwordSource: credentials.passwordSource } : null;
  return createHash("sha256")
    .update(canonicalJson({ chartVersion, values: subset, credentials: identity }))
    .digest("hex");
}

/** The OCI checks bundle the operator pulls (chart `templates/configmaps/operator.yaml` `policies.bundle.oci.ref`). */
export interface ChecksBundleReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  /** `registry/repository:tag`, as the chart renders it. */
  readonly ref: string;
}

/**
 * Where the operator pulls the checks bundle from, given the chart values (or just `extraValues`):
 * `policiesBundle.registry/repository:tag`, each falling back to the pinned chart's default.
 */
export function checksBundleReference(values: ChartValues, chartVersion: string): ChecksBundleReference {
  const paths = chartValuePaths(chartVersion);
  const pick = (key: string): string => {
    const value = valueAt(values, ["policiesBundle", key]) ?? paths.get(`policiesBundle.${key}`)?.default;
    // The chart renders these with `{{ }}`: strings as is, the default tag 1 as "1".
    return typeof value === "string" || typeof value === "number" ? String(value) : "";
  };
  const [registry, repository, tag] = [pick("registry"), pick("repository"), pick("tag")];
  return { registry, repository, tag, ref: `${registry}/${repository}:${tag}` };
}

/** Pod Security `restricted` for the pods the module controls: non-root, RuntimeDefault seccomp, no capabilities. */
const RUNTIME_DEFAULT_SECCOMP = { type: "RuntimeDefault" } as const;
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } as const;

/**
 * The scan jobs' pod security context. The Trivy image runs as root by default; the operator's UID
 * keeps scan jobs `restricted`. But the operator gives the node collector the same pod security
 * context (trivy-operator `NodeReconciler`, trivy-kubernetes `JobBuilder` replaces the template's),
 * and the collector must read root-only host files (`/var/lib/etcd`, kubelet and PKI files): with
 * infra assessment on, the scan jobs therefore keep the image's user, still without capabilities,
 * privilege escalation or a writable root filesystem.
 */
function scanJobPodSecurityContext(infraAssessment: boolean): ChartValues {
  if (infraAssessment) return { seccompProfile: RUNTIME_DEFAULT_SECCOMP };
  return {
    runAsNonRoot: true,
    runAsUser: defaults.OPERATOR_UID,
    runAsGroup: defaults.OPERATOR_UID,
    seccompProfile: RUNTIME_DEFAULT_SECCOMP,
  };
}

/** The chart values the module sends for `options`, before `extraValues`. */
function tunedValues(resolved: ResolvedTrivyOperatorOptions): ChartValues {
  const tolerations = tolerationChartValues(resolved.taints, { nodeCollector: resolved.infraAssessment });
  const privateRegistrySecrets = Object.fromEntries(
    Object.entries(resolved.privateRegistryScanSecretsNames).map(([namespace, names]) => [namespace, commaList(names)]),
  );
  return {
    targetNamespaces: commaList(resolved.targetNamespaces),
    excludeNamespaces: commaList(resolved.excludeNamespaces),
    targetWorkloads: commaList(resolved.targetWorkloads),
    operator: {
      scanJobsConcurrentLimit: resolved.scanJobsConcurrentLimit,
      scanJobTimeout: resolved.scanJobTimeout,
      scannerReportTTL: resolved.scannerReportTTL,
      builtInTrivyServer: resolved.builtInTrivyServer,
      // The built-in server's TRIVY_INSECURE comes from this value, not from trivy.dbRepositoryInsecure
      // (chart templates/configmaps/trivy.yaml), so the server would refuse the same mirror the scan jobs accept.
      ...(resolved.builtInTrivyServer ? { builtInServerRegistryInsecure: resolved.dbRepositoryInsecure } : {}),
      infraAssessmentScannerEnabled: resolved.infraAssessment,
      privateRegistryScanSecretsNames: privateRegistrySecrets,
    },
    trivyOperator: {
      scanJobTolerations: tolerations.trivyOperator.scanJobTolerations,
      excludeImages: commaList(resolved.excludeImages),
      skipResourceByLabels: commaList(resolved.skipResourceByLabels),
      scanJobPodTemplatePodSecurityContext: scanJobPodSecurityContext(resolved.infraAssessment),
      scanJobPodTemplateContainerSecurityContext: { ...RESTRICTED_CONTAINER, privileged: false, readOnlyRootFilesystem: true },
    },
    trivy: {
      resources: resourceValues(resolved.scanJobResources),
      ignoreUnfixed: resolved.ignoreUnfixed,
      severity: commaList(resolved.severities),
      timeout: resolved.trivyTimeout,
      dbRegistry: resolved.dbRegistry,
      dbRepository: resolved.dbRepository,
      dbRepositoryInsecure: String(resolved.dbRepositoryInsecure),
      javaDbRegistry: resolved.javaDbRegistry,
      javaDbRepository: resolved.javaDbRepository,
      ...(resolved.builtInTrivyServer
        ? {
            server: {
              podSecurityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
              securityContext: RESTRICTED_CONTAINER,
            },
          }
        : {}),
    },
    ...(tolerations.nodeCollector ? { nodeCollector: { tolerations: tolerations.nodeCollector.tolerations } } : {}),
    // Never the chart's: inside the operator release it fails the whole install on clusters without
    // the Prometheus Operator CRDs. TrivyOperatorMonitoring (operator.addMonitoring) is the one way.
    serviceMonitor: { enabled: false },
    resources: resourceValues(resolved.operatorResources),
    tolerations: tolerations.tolerations,
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: defaults.OPERATOR_UID,
      runAsGroup: defaults.OPERATOR_UID,
      seccompProfile: RUNTIME_DEFAULT_SECCOMP,
    },
  };
}

/**
 * The complete chart values for `options`: validated options, production defaults, `extraValues`
 * deep-merged last, every path checked against the pinned chart, and the start-up config hash as a
 * pod annotation so that changing it rolls the operator.
 */
export function buildTrivyOperatorValues(options: TrivyOperatorOptions = {}, serverCredentials?: ServerCredentialIdentity): ChartValues {
  validateTrivyOperatorOptions(options);
  return resolvedTrivyOperatorValues(resolveTrivyOperatorOptions(options), serverCredentials);
}

/**
 * `buildTrivyOperatorValues` for options that were already validated and resolved.
 * `serverCredentials` is what is known of the DB credentials the built-in server gets.
 */
export function resolvedTrivyOperatorValues(
  resolved: ResolvedTrivyOperatorOptions,
  serverCredentials?: ServerCredentialIdentity,
): ChartValues {
  const merged = deepMergeValues(tunedValues(resolved), resolved.extraValues);
  const podAnnotations = isPlainObject(merged.podAnnotations) ? merged.podAnnotations : {};
  const serverRuns = valueAt(merged, ["operator", "builtInTrivyServer"]) === true;
  const serverAnnotations = valueAt(merged, ["operator", "serverAdditionalAnnotations"]);
  const values = deepMergeValues(merged, {
    podAnnotations: { ...podAnnotations, [defaults.CONFIG_HASH_ANNOTATION]: startUpConfigHash(merged, resolved.chartVersion) },
    ...(serverRuns
      ? {
          operator: {
            serverAdditionalAnnotations: {
              ...(isPlainObject(serverAnnotations) ? serverAnnotations : {}),
              [defaults.SERVER_CONFIG_HASH_ANNOTATION]: serverStartUpConfigHash(merged, resolved.chartVersion, serverCredentials),
            },
          },
        }
      : {}),
  });
  checkChartValuePaths(values, resolved.chartVersion);
  validateMergedTolerations(values);
  return values;
}

/** Tolerations may also arrive through `extraValues`; check them where the chart reads them. */
function validateMergedTolerations(values: ChartValues): void {
  const locations: readonly (readonly string[])[] = [
    ["tolerations"],
    ["trivyOperator", "scanJobTolerations"],
    ["nodeCollector", "tolerations"],
  ];
  for (const location of locations) {
    const tolerations = valueAt(values, location);
    if (Array.isArray(tolerations)) {
      validateTolerations(tolerations as Toleration[], `chart value "${location.join(".")}"`);
    }
  }
}
