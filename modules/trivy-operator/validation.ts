import { parseGoDuration } from "../common/duration";
import { isDnsLabel, isDnsSubdomain, isLabelKey } from "../common/kubernetes-names";
import { isPlainObject, valueAt } from "../common/plain-object";
import type { Toleration } from "../tolerations/taint";
import type { IConstruct } from "constructs";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { taintProblems, tolerationProblems } from "../tolerations/tolerations";
import { chartValuePathProblems, chartValuePaths, isSupportedChartVersion, SUPPORTED_CHART_VERSIONS } from "./chart-value-paths";
import { excludeImagesDepthWarnings, malformedGlobProblem } from "./image-glob";
import {
  CHART_SOURCES,
  DEFAULT_CHART_VERSION,
  DEFAULT_SCAN_JOB_TIMEOUT,
  DEFAULT_TRIVY_TIMEOUT,
  MIN_SCAN_JOB_HEADROOM,
  SEVERITIES,
  WORKLOAD_KINDS,
} from "./defaults";
import type { ResourceRequirements, TrivyOperatorOptions } from "./options";

export const MAX_SCAN_JOBS_CONCURRENT_LIMIT = 100;

// Kubernetes resource.Quantity: a decimal number with an optional binary, decimal or exponent suffix.
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?\d+)?$/;
const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d{1,5})?$/;
const REPOSITORY_PATH = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
// filepath.Match patterns over namespace names: name characters plus glob metacharacters.
const NAMESPACE_GLOB = /^[a-z0-9*?[\]^!-]+$/;

const QUANTITY_SUFFIX_FACTORS: Readonly<Record<string, number>> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const isPositiveGoDuration = (value: unknown): boolean => typeof value === "string" && (parseGoDuration(value) ?? 0) > 0;
/** Only for durations isPositiveGoDuration accepted (or our defaults); NaN makes a comparison fail loudly. */
const goMilliseconds = (duration: string): number => parseGoDuration(duration) ?? Number.NaN;

export function isKubernetesQuantity(value: unknown): value is string {
  return typeof value === "string" && QUANTITY.test(value);
}

/** A quantity in base units (cores, bytes); only call it on values `isKubernetesQuantity` accepted. */
export function quantityValue(quantity: string): number {
  const match = /^([\d.]+)(.*)$/.exec(quantity);
  if (!match) return Number.NaN;
  const [, number, suffix] = match;
  if (suffix && /^[eE]/.test(suffix)) return Number(`${number}${suffix}`);
  return Number(number) * (QUANTITY_SUFFIX_FACTORS[suffix ?? ""] ?? Number.NaN);
}

/**
 * Options that are valid but probably do less than their author meant; synth prints them as
 * warnings and `npm start` lists them. Call after validation.
 */
export function trivyOperatorWarnings(options: TrivyOperatorOptions): string[] {
  return [...excludeImagesDepthWarnings(options.excludeImages ?? []), ...scanJobsInSameNamespaceWarnings(options.extraValues)];
}

/**
 * trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go updateScanJobForWorkloadNamespace runs
 * each vulnerability scan Job in its workload's namespace, with the workload's service account and
 * pull secrets; pkg/operator/jobs/limit_checker.go countJobs then counts Jobs in every namespace.
 */
export const SCAN_JOBS_IN_SAME_NAMESPACE_WARNING =
  "extraValues.trivyOperator.scanJobsInSameNamespace is true: vulnerability scan Jobs run in each workload's namespace with the workload's service account, outside the operator namespace's network policies: a default-deny policy in a workload namespace must allow them DNS and registry egress, or their scans time out; and that namespace's Pod Security level applies (with infraAssessment on, scan Jobs keep the image's root user, which `restricted` rejects)";

function scanJobsInSameNamespaceWarnings(extraValues: TrivyOperatorOptions["extraValues"]): string[] {
  return valueAt(extraValues, ["trivyOperator", "scanJobsInSameNamespace"]) === true ? [SCAN_JOBS_IN_SAME_NAMESPACE_WARNING] : [];
}

/** Standalone unless scan jobs talk to a Trivy server (built-in, or `trivy.mode: ClientServer` through extraValues). */
export function scanMode(options: TrivyOperatorOptions): "Standalone" | "ClientServer" {
  return options.builtInTrivyServer === true || valueAt(options.extraValues, ["trivy", "mode"]) === "ClientServer"
    ? "ClientServer"
    : "Standalone";
}

/** What is wrong with one field: one problem, several, or none. */
type Problem = ValidationProblem | readonly ValidationProblem[] | undefined;

function problemList(problem: Problem): readonly ValidationProblem[] {
  if (problem === undefined) return [];
  return isProblemArray(problem) ? problem : [problem];
}

function isProblemArray(problem: ValidationProblem | readonly ValidationProblem[]): problem is readonly ValidationProblem[] {
  return Array.isArray(problem);
}

interface OptionRule {
  /** The option the problem is reported on, without the caller's prefix. */
  readonly field: string;
  /** `at` is the field's full path (`fieldPrefix` + field), which every problem's path starts with. */
  readonly check: (options: TrivyOperatorOptions, at: string, fieldPrefix: string) => Problem;
}

type OptionName = keyof TrivyOperatorOptions;

/** A single-value option: `allowed` completes "use …". */
function valueRule(field: OptionName, isValid: (value: unknown) => boolean, allowed: string): OptionRule {
  return {
    field,
    check: (options, at) => {
      const value = options[field];
      return value !== undefined && !isValid(value) ? { path: at, value, expected: `use ${allowed}` } : undefined;
    },
  };
}

const booleanRule = (field: OptionName): OptionRule => valueRule(field, (value) => typeof value === "boolean", "true or false");

// The operator reads these with time.ParseDuration; zero or negative would disable the TTL / timeout.
const durationRule = (field: OptionName): OptionRule =>
  valueRule(field, isPositiveGoDuration, 'a positive Go duration such as "24h", "10m0s" or "90s"');

interface ListOptions {
  readonly nonEmpty?: boolean;
}

/** Checks a list that the chart receives as one comma-separated string. */
function listProblem(
  value: unknown,
  at: string,
  isValidItem: (item: unknown) => boolean,
  allowed: string,
  { nonEmpty = false }: ListOptions = {},
): Problem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return { path: at, value, expected: `use a list of ${allowed}` };
  if (nonEmpty && value.length === 0) return { path: at, value, expected: `name at least one entry (${allowed})` };
  const problems: ValidationProblem[] = [];
  for (const [index, item] of value.entries()) {
    // The chart joins these with commas, so a comma inside one entry would split it in two.
    if (!isValidItem(item) || (typeof item === "string" && item.includes(","))) {
      problems.push({ path: `${at}[${index}]`, value: item, expected: `use ${allowed}` });
    }
  }
  const duplicate: unknown = value.find((item, index) => value.indexOf(item) !== index);
  if (duplicate !== undefined) problems.push({ path: at, value: duplicate, expected: "listed twice: name each entry once" });
  return problems;
}

const listRule = (field: OptionName, isValidItem: (item: unknown) => boolean, allowed: string, listOptions?: ListOptions): OptionRule => ({
  field,
  check: (options, at) => listProblem(options[field], at, isValidItem, allowed, listOptions),
});

/**
 * `chartPath` names the chart value the resources are sent to: Helm merges our map into the chart's
 * defaults, so a bound left out keeps the chart's quantity (scan jobs: 500M memory limit) and a
 * larger request alone would make every scan pod invalid.
 */
function resourcesProblem(resources: ResourceRequirements | undefined, at: string, chartVersion: string, chartPath: string): Problem {
  if (resources === undefined) return undefined;
  // Typed callers cannot pass null, but a stack config is read from data: name the field, not a TypeError.
  const given: unknown = resources;
  if (!isPlainObject(given)) return { path: at, value: resources, expected: "use an object with requests and/or limits" };
  const problems: ValidationProblem[] = [];
  for (const bound of ["requests", "limits"] as const) {
    const quantities: unknown = resources[bound];
    if (quantities === undefined) continue;
    if (!isPlainObject(quantities)) {
      problems.push({ path: `${at}.${bound}`, value: quantities, expected: "use an object with cpu and/or memory" });
      continue;
    }
    for (const resource of ["cpu", "memory"] as const) {
      const quantity = quantities[resource];
      if (quantity !== undefined && !isKubernetesQuantity(quantity)) {
        problems.push({
          path: `${at}.${bound}.${resource}`,
          value: quantity,
          expected: `use a Kubernetes quantity such as ${resource === "cpu" ? '"500m" or "1"' : '"1500M" or "1Gi"'}`,
        });
      }
    }
  }
  // The comparison below needs quantities the checks above accepted.
  if (problems.length > 0) return problems;
  const paths = chartValuePaths(chartVersion);
  const chartDefault = (bound: string, resource: string): string | undefined => {
    const value = paths.get(`${chartPath}.${bound}.${resource}`)?.default;
    return typeof value === "string" && isKubernetesQuantity(value) ? value : undefined;
  };
  for (const resource of ["cpu", "memory"] as const) {
    const request = resources.requests?.[resource];
    const givenLimit = resources.limits?.[resource];
    const limit = givenLimit ?? chartDefault("limits", resource);
    if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
      const limitSource =
        givenLimit !== undefined
          ? `${at}.limits.${resource}`
          : `the chart's ${chartPath}.limits.${resource}, which Helm keeps when ${at}.limits.${resource} is left out`;
      problems.push({ path: `${at}.requests.${resource}`, value: request, expected: `must not exceed ${limitSource} (${limit})` });
    }
  }
  return problems;
}

const resourcesRule = (field: "scanJobResources" | "operatorResources", chartPath: string): OptionRule => ({
  field,
  check: (options, at) => resourcesProblem(options[field], at, options.chartVersion ?? DEFAULT_CHART_VERSION, chartPath),
});

const chartVersionRule: OptionRule = {
  field: "chartVersion",
  check: ({ chartVersion }, at) =>
    chartVersion === undefined || isSupportedChartVersion(chartVersion)
      ? undefined
      : {
          path: at,
          value: chartVersion,
          expected: `use one of ${SUPPORTED_CHART_VERSIONS.join(", ")} (versions whose value paths are committed in modules/trivy-operator/chart-values)`,
        },
};

const retiredServiceMonitorRule: OptionRule = {
  field: "serviceMonitor",
  check: (options, at) => {
    const retired = (options as { readonly serviceMonitor?: unknown }).serviceMonitor;
    return retired === undefined
      ? undefined
      : {
          path: at,
          value: retired,
          expected:
            "no longer an option: the chart's ServiceMonitor sits inside the operator release and fails the whole install without the Prometheus Operator CRDs; use operator.addMonitoring() (TrivyOperatorMonitoring; in a stack config monitoring.serviceMonitor), a release of its own",
        };
  },
};

const excludeImagesGlobRule: OptionRule = {
  field: "excludeImages",
  check: ({ excludeImages }, at) => {
    // Only the entries the list rule accepted: a non-string has its problem there already.
    const patterns: unknown = excludeImages;
    if (!Array.isArray(patterns)) return undefined;
    return (patterns as readonly unknown[]).flatMap((pattern, index) => {
      const problem = typeof pattern === "string" ? malformedGlobProblem(pattern) : undefined;
      return problem === undefined
        ? []
        : [
            {
              path: `${at}[${index}]`,
              value: pattern,
              expected: `not a pattern Go's filepath.Match accepts (${problem}): the operator ignores a malformed pattern and so excludes nothing (trivy-operator plugin.go ExcludeImage)`,
            },
          ];
    });
  },
};

/** Compares the two timeouts only when both are durations: a bad one has its own problem. */
const scanJobHeadroomRule: OptionRule = {
  field: "scanJobTimeout",
  check: (options, at) => {
    const trivyTimeout = options.trivyTimeout ?? DEFAULT_TRIVY_TIMEOUT;
    const scanJobTimeout = options.scanJobTimeout ?? DEFAULT_SCAN_JOB_TIMEOUT;
    if (!isPositiveGoDuration(trivyTimeout) || !isPositiveGoDuration(scanJobTimeout)) return undefined;
    const mode = scanMode(options);
    const headroom = MIN_SCAN_JOB_HEADROOM[mode];
    if (goMilliseconds(scanJobTimeout) >= goMilliseconds(trivyTimeout) + goMilliseconds(headroom)) return undefined;
    const covers =
      mode === "Standalone"
        ? "scheduling, pulling the Trivy image and the DB-download init container, which runs without TRIVY_TIMEOUT"
        : "scheduling and pulling the Trivy image";
    return {
      path: at,
      value: scanJobTimeout,
      expected: `must be at least trivyTimeout (${trivyTimeout}) + ${headroom} in ${mode} mode: the Job deadline also covers ${covers}, and a Job killed by it (DeadlineExceeded) is deleted without a report or Trivy's own error; raise scanJobTimeout or lower trivyTimeout`,
    };
  },
};

const privateRegistrySecretsRule: OptionRule = {
  field: "privateRegistryScanSecretsNames",
  check: ({ privateRegistryScanSecretsNames: secrets }, at) => {
    if (secrets === undefined) return undefined;
    if (!isPlainObject(secrets)) return { path: at, value: secrets, expected: "use a map of namespaces to lists of Secret names" };
    return Object.entries(secrets).flatMap(([namespace, names]): readonly ValidationProblem[] => {
      if (!isDnsLabel(namespace)) return [{ path: at, value: namespace, expected: "keys must be namespace names (DNS-1123 labels)" }];
      const problem = listProblem(names, `${at}.${namespace}`, isDnsSubdomain, "the name of an existing Secret (DNS-1123 subdomain)", {
        nonEmpty: true,
      });
      return problemList(problem);
    });
  },
};

const taintsRule: OptionRule = {
  field: "taints",
  check: ({ taints }, at) => {
    if (taints === undefined) return undefined;
    if (!Array.isArray(taints)) return { path: at, value: taints, expected: "use a list of taints" };
    return taintProblems(taints, at);
  },
};

/** Comes before the `extraValuesRule` rules, which pass over an `extraValues` that is not an object. */
const extraValuesObjectRule = valueRule("extraValues", isPlainObject, "an object of chart values");

/** A rule on `extraValues` once it is known to be an object of chart values. */
const extraValuesRule = (check: (extra: Readonly<Record<string, unknown>>, at: string, chartVersion: string) => Problem): OptionRule => ({
  field: "extraValues",
  check: ({ extraValues, chartVersion }, at) =>
    extraValues !== undefined && isPlainObject(extraValues) ? check(extraValues, at, chartVersion ?? DEFAULT_CHART_VERSION) : undefined,
});

const extraServiceMonitorRule = extraValuesRule((extra, at) =>
  valueAt(extra, ["serviceMonitor", "enabled"]) === true
    ? {
        path: `${at}.serviceMonitor.enabled`,
        value: true,
        expected:
          "must not be true: the chart's ServiceMonitor sits inside the operator release and fails the whole install without the Prometheus Operator CRDs; use operator.addMonitoring() (TrivyOperatorMonitoring), a release of its own",
      }
    : undefined,
);

const scanJobTtlRule = extraValuesRule((extra, at) => {
  const scanJobTtl = valueAt(extra, ["operator", "scanJobTTL"]);
  if (scanJobTtl === undefined || scanJobTtl === null || scanJobTtl === "") return undefined;
  // trivy-operator v0.32.0 pkg/operator/jobs/limit_checker.go countJobs counts every Job with the
  // scan-job labels, finished or not; pkg/vulnerabilityreport/controller/scanjob.go deleteJob
  // keeps a Job only when it has TTLSecondsAfterFinished (builder.go sets it from scanJobTTL).
  return {
    path: `${at}.operator.scanJobTTL`,
    value: scanJobTtl,
    expected:
      'must not be set: kept scan Jobs still count against scanJobsConcurrentLimit (trivy-operator limit_checker.go countJobs counts every scan Job, finished or not), so a few failures would stall all scanning until the TTL expires; failed scans leave their evidence in the operator log ("Scan job container") and in Job/pod events, see docs/operator.md',
  };
});

/** Every option's rules, in the order their problems are reported. */
const OPTION_RULES: readonly OptionRule[] = [
  chartVersionRule,
  valueRule(
    "chartSource",
    (value) => CHART_SOURCES.includes(value as (typeof CHART_SOURCES)[number]),
    `one of ${CHART_SOURCES.join(", ")}`,
  ),
  valueRule(
    "namespace",
    (value) => isDnsLabel(value),
    "a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)",
  ),
  // Helm caps release names at 53 characters so that generated object names stay within 63.
  valueRule(
    "releaseName",
    (value) => isDnsLabel(value, 53),
    "a DNS-1123 label of at most 53 characters (lowercase letters, digits and '-')",
  ),
  resourcesRule("scanJobResources", "trivy.resources"),
  resourcesRule("operatorResources", "resources"),
  valueRule(
    "scanJobsConcurrentLimit",
    (value) => typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_SCAN_JOBS_CONCURRENT_LIMIT,
    `an integer from 1 to ${MAX_SCAN_JOBS_CONCURRENT_LIMIT}`,
  ),
  booleanRule("ignoreUnfixed"),
  booleanRule("builtInTrivyServer"),
  retiredServiceMonitorRule,
  booleanRule("infraAssessment"),
  booleanRule("dbRepositoryInsecure"),
  listRule("severities", (item) => SEVERITIES.includes(item as (typeof SEVERITIES)[number]), `one of ${SEVERITIES.join(", ")}`, {
    nonEmpty: true,
  }),
  ...(["dbRegistry", "javaDbRegistry"] as const).map((field) =>
    valueRule(
      field,
      (value) => typeof value === "string" && REGISTRY_HOST.test(value),
      'a registry host name with an optional port, such as "mirror.gcr.io"',
    ),
  ),
  ...(["dbRepository", "javaDbRepository"] as const).map((field) =>
    valueRule(
      field,
      (value) => typeof value === "string" && REPOSITORY_PATH.test(value),
      'a repository path without registry or tag, such as "aquasec/trivy-db"',
    ),
  ),
  listRule("targetNamespaces", (item) => isDnsLabel(item), "a namespace name (DNS-1123 label)"),
  listRule(
    "excludeNamespaces",
    (item) => typeof item === "string" && item.length > 0 && item.length <= 63 && NAMESPACE_GLOB.test(item),
    'a namespace name or glob such as "kube-*"',
  ),
  listRule(
    "targetWorkloads",
    (item) => WORKLOAD_KINDS.includes(item as (typeof WORKLOAD_KINDS)[number]),
    `one of ${WORKLOAD_KINDS.join(", ")}`,
    { nonEmpty: true },
  ),
  listRule(
    "excludeImages",
    (item) => typeof item === "string" && item.length > 0 && !/\s/.test(item),
    'an image glob without spaces or commas, such as "mcr.microsoft.com/*/*"',
  ),
  excludeImagesGlobRule,
  listRule("skipResourceByLabels", isLabelKey, 'a label key such as "example.com/skip-scan"'),
  durationRule("scannerReportTTL"),
  durationRule("trivyTimeout"),
  durationRule("scanJobTimeout"),
  scanJobHeadroomRule,
  privateRegistrySecretsRule,
  taintsRule,
  extraValuesObjectRule,
  extraValuesRule((extra, at) => secretChartValueProblems(extra, at)),
  extraValuesRule((extra, at, chartVersion) => extraValuesProblems(extra, chartVersion, at)),
  extraServiceMonitorRule,
  scanJobTtlRule,
];

/**
 * Every problem of the options (empty when valid), each naming the field, the bad value and what is
 * allowed. `fieldPrefix` lets callers that nest the options (stacks) name the full field. With a
 * chart version that has no committed value paths, the checks that need the chart are skipped.
 * Defaults are not checked here; they are valid by construction and covered by tests.
 */
export function trivyOperatorOptionProblems(options: TrivyOperatorOptions, fieldPrefix = ""): ValidationProblem[] {
  const chartKnown = options.chartVersion === undefined || isSupportedChartVersion(options.chartVersion);
  return OPTION_RULES.flatMap((rule) => {
    if (!chartKnown && CHART_DEPENDENT_FIELDS.has(rule.field)) return [];
    return problemList(rule.check(options, `${fieldPrefix}${rule.field}`, fieldPrefix));
  });
}

/** Options whose checks read the chart's value paths. */
const CHART_DEPENDENT_FIELDS: ReadonlySet<string> = new Set(["scanJobResources", "operatorResources", "extraValues"]);

/** Throws one ValidationError listing every problem of the options (see trivyOperatorOptionProblems). */
export function validateTrivyOperatorOptions(options: TrivyOperatorOptions, fieldPrefix = "", scope?: IConstruct): void {
  const problems = trivyOperatorOptionProblems(options, fieldPrefix);
  if (problems.length > 0) throw new ValidationError("trivy operator", problems, scope);
}

/** Where the chart reads tolerations; hand-written ones in `extraValues` are checked like the generated ones. */
const TOLERATION_VALUE_PATHS: readonly (readonly string[])[] = [
  ["tolerations"],
  ["trivyOperator", "scanJobTolerations"],
  ["nodeCollector", "tolerations"],
];

/** `extraValues` against the pinned chart: every path exists with its type (did-you-mean on typos), tolerations are valid. */
function extraValuesProblems(extra: Readonly<Record<string, unknown>>, chartVersion: string, field: string): ValidationProblem[] {
  const secretPaths = new Set(SECRET_CHART_VALUES.map(([path]) => path.join(".")));
  return [
    ...chartValuePathProblems(extra, chartVersion, field, secretPaths),
    ...TOLERATION_VALUE_PATHS.flatMap((location) => {
      const tolerations = valueAt(extra, location);
      return Array.isArray(tolerations) ? tolerationProblems(tolerations as Toleration[], `${field}.${location.join(".")}`) : [];
    }),
  ];
}

/**
 * Chart values that carry credentials (every secret-bearing value of chart 0.34.0 `values.yaml`,
 * found through `templates/secrets/*.yaml` and the URL/header values of the operator config).
 * Sent through `extraValues` they would be written into `cdk.tf.json` (and a token there would be
 * escaped, not resolved); the webhook values would even land in a ConfigMap
 * (`templates/configmaps/trivy-operator-config.yaml`).
 */
const OWN_TRIVY_SECRET = "set trivy.existingSecret: true and create Secret trivy-operator-trivy-config yourself";
const OPERATOR_ENV_SECRET = (env: string): string => `put ${env} into a Secret of your own and name it in operator.valuesFromSecret`;
export const SECRET_CHART_VALUES: readonly (readonly [path: readonly string[], instead: string])[] = [
  [["trivy", "dbRepositoryPassword"], "use dbRepositoryCredentials with a sensitive TerraformVariable"],
  [
    ["trivy", "serverPassword"],
    "use dbRepositoryCredentials with a sensitive TerraformVariable; with builtInTrivyServer it reaches trivy.serverPassword through set_sensitive",
  ],
  [["trivy", "githubToken"], OWN_TRIVY_SECRET],
  [["trivy", "serverToken"], OWN_TRIVY_SECRET],
  [["trivy", "serverCustomHeaders"], OWN_TRIVY_SECRET],
  [["policiesBundle", "registryPassword"], "set policiesBundle.existingSecret: true and create the Secret yourself"],
  [["operator", "webhookBroadcastURL"], OPERATOR_ENV_SECRET("OPERATOR_WEBHOOK_BROADCAST_URL")],
  [["operator", "webhookBroadcastCustomHeaders"], OPERATOR_ENV_SECRET("OPERATOR_WEBHOOK_BROADCAST_CUSTOM_HEADERS")],
];

/** Proxy URLs the chart writes into ConfigMaps; a `user:password@` part would be a secret in clear. */
const PROXY_CHART_VALUES: readonly (readonly string[])[] = [
  ["trivy", "httpProxy"],
  ["trivy", "httpsProxy"],
  ["operator", "httpProxy"],
  ["operator", "httpsProxy"],
];

/** Secrets and proxy credentials in `extraValues`; their values are never echoed. */
function secretChartValueProblems(extraValues: Readonly<Record<string, unknown>>, field: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const [path, instead] of SECRET_CHART_VALUES) {
    const value = valueAt(extraValues, path);
    if (value !== undefined && value !== null && value !== "") {
      problems.push({
        path: `${field}.${path.join(".")}`,
        value: "(a secret, not shown)",
        expected: `must not be set: the secret would be written into cdk.tf.json; ${instead}`,
      });
    }
  }
  for (const path of PROXY_CHART_VALUES) {
    const value = valueAt(extraValues, path);
    if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(value)) {
      problems.push({
        path: `${field}.${path.join(".")}`,
        value: "(a URL with credentials, not shown)",
        expected:
          "must not carry user:password@: the chart writes it into a ConfigMap and cdk.tf.json; use a proxy that admits the cluster by address",
      });
    }
  }
  return problems;
}
