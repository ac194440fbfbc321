import * as path from "node:path";
import fc from "fast-check";
import type {
  ClusterConfig,
  ContactPointConfig,
  DashboardConfig,
  EnvironmentConfig,
  EnvironmentName,
  MonitoringConfig,
} from "../../../stacks/config";

// Generators shared by the two property tests of the environment config:
// config-validation.property.test.ts (broken configs, validation only) and
// config-synth.property.test.ts (valid configs, full synth). Nothing here calls the code under test:
// a valid config is made consistent by the rules docs/monitoring-config.md states.

/**
 * Runs of each property. `FC_NUM_RUNS` (a positive integer) overrides the per-file default, for the
 * scheduled full-size run: `FC_NUM_RUNS=1000 npx vitest run --project unit test/unit/stacks/config-`.
 */
export function numRuns(defaultRuns: number): number {
  const fromEnv = process.env.FC_NUM_RUNS;
  if (fromEnv === undefined || fromEnv === "") return defaultRuns;
  const runs = Number(fromEnv);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FC_NUM_RUNS must be a positive integer, got ${JSON.stringify(fromEnv)}`);
  return runs;
}

/**
 * Lets the worker answer Vitest's RPC between runs: a long synchronous property starves it and
 * fails the run with `Timeout calling "onTaskUpdate"` although every test passed.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export const environmentName = fc.constantFrom<EnvironmentName>("dev", "prod", "ci");
const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);

// Optional fields are left out a third to a half of the time, so that a few dozen configs
// already exercise each default (an absent key is otherwise rare in fast-check's records).
const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined, freq: 2 });
const optionalBoolean = fc.constantFrom(undefined, true, false);

const FIXTURE_DASHBOARD = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

const datasource = fc.constantFrom<Pick<DashboardConfig, "datasourceUid" | "datasourceName">>(
  { datasourceUid: "prometheus" },
  { datasourceName: "Prometheus" },
);
const validDashboard: fc.Arbitrary<DashboardConfig> = fc
  .oneof(
    fc.record({
      delivery: fc.constant("helm-values" as const),
      datasource,
      folderTitle: fc.option(fc.constant("Security"), { nil: undefined }),
    }),
    fc.record({
      delivery: fc.constant("sidecar" as const),
      datasource,
      folderTitle: fc.option(fc.constant("Security"), { nil: undefined }),
      sourceFile: fc.option(fc.constant(FIXTURE_DASHBOARD), { nil: undefined }),
      namespace: fc.option(fc.constantFrom("monitoring", "grafana"), { nil: undefined }),
    }),
    fc.record({
      delivery: fc.constant("grafana-api" as const),
      datasource,
      folderTitle: fc.option(fc.constantFrom("Security", "Trivy"), { nil: undefined }),
      sourceFile: fc.option(fc.constant(FIXTURE_DASHBOARD), { nil: undefined }),
    }),
  )
  .map(({ datasource: source, ...rest }) => ({ ...rest, ...source }));

const validContactPoint = fc.oneof(
  fc.record({ type: fc.constant("slack" as const), recipient: fc.option(fc.constant("#security"), { nil: undefined }) }),
  fc.record({ type: fc.constant("webhook" as const), webhookAuthorization: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({
    type: fc.constant("email" as const),
    addresses: fc.constantFrom(["security@example.com"], ["a@example.com", "b@example.com"]),
  }),
) as fc.Arbitrary<ContactPointConfig>;

const validMonitoring: fc.Arbitrary<MonitoringConfig> = fc.record(
  {
    serviceMonitor: optionalBoolean,
    prometheusRule: optionalBoolean,
    prometheusSelectorLabels: fc.constantFrom<Readonly<Record<string, string>>>({ release: "kube-prometheus-stack" }, {}),
    scrapeInterval: fc.constantFrom("30s", "2m"),
    alertRules: fc.record(
      {
        criticalVulnerabilitiesThreshold: fc.integer({ min: 0, max: 50 }),
        failedScanJobsThreshold: fc.integer({ min: 2, max: 10 }),
        exposedSecretSeverities: fc.constantFrom<Array<"Critical" | "High">>(["Critical"], ["Critical", "High"]),
        additionalLabels: fc.constant({ team: "security" }),
        disabledAlerts: fc.constantFrom<Array<"TrivyScanJobsFailing">>([], ["TrivyScanJobsFailing"]),
      },
      { requiredKeys: [] },
    ),
    dashboard: optional(validDashboard),
    grafanaAlerts: optional(
      fc.record({
        datasourceUid: fc.constant("prometheus"),
        folderTitle: fc.option(fc.constantFrom("Security", "Trivy alerts"), { nil: undefined }),
        contactPoint: validContactPoint,
      }),
    ),
  },
  { requiredKeys: [] },
);

/** True when the cluster's monitoring talks to a Grafana API: a `grafana-api` dashboard or Grafana alerts (docs/monitoring-config.md). */
export function usesGrafanaApi(monitoring: MonitoringConfig | undefined): boolean {
  return monitoring?.dashboard?.delivery === "grafana-api" || monitoring?.grafanaAlerts !== undefined;
}

/**
 * Fills in what a valid monitoring section depends on (docs/monitoring-config.md, "Rules checked
 * before anything is built"): a Grafana URL when a Grafana API is used, no PrometheusRule beside
 * Grafana alerts (they would fire twice), and the Prometheus pods let in when our ServiceMonitor
 * (on unless `serviceMonitor: false`) is there to be scraped.
 */
function consistentMonitoring(cluster: ClusterConfig): ClusterConfig {
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return cluster;
  const fixed: MonitoringConfig = {
    ...monitoring,
    prometheusRule: monitoring.grafanaAlerts !== undefined ? false : monitoring.prometheusRule,
    grafanaUrl: usesGrafanaApi(monitoring) ? `https://grafana-${cluster.name}.example.com` : undefined,
  };
  const withFixed = { ...cluster, monitoring: fixed };
  if (fixed.serviceMonitor === false) return withFixed;
  return {
    ...withFixed,
    networkPolicy: {
      ...cluster.networkPolicy,
      prometheus: { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } },
    },
  };
}

const validCluster = (name: string): fc.Arbitrary<ClusterConfig> =>
  fc
    .record({
      name: fc.constant(name),
      kubeconfigPath: fc.constantFrom("~/.kube/config", "/etc/kube/config"),
      kubeContext: fc.constant(`ctx-${name}`),
      taints: fc.array(
        fc.record(
          {
            key: fc.constantFrom("dedicated", "node-role.kubernetes.io/control-plane", "example.com/pool"),
            value: fc.constantFrom("security-scans", "gpu"),
            effect: fc.constantFrom("NoSchedule" as const, "PreferNoSchedule" as const, "NoExecute" as const),
          },
          { requiredKeys: ["key"] },
        ),
        { maxLength: 3 },
      ),
      networkPolicy: fc.record(
        {
          flavor: optional(fc.constantFrom("kubernetes" as const, "calico" as const, "cilium" as const, "none" as const)),
          registryCidrs: fc.constantFrom(["0.0.0.0/0"], ["203.0.113.0/24", "198.51.100.0/24"]),
        },
        { requiredKeys: [] },
      ),
      operator: fc.record(
        {
          scanJobsConcurrentLimit: optional(fc.integer({ min: 1, max: 100 })),
          ignoreUnfixed: optionalBoolean,
          builtInTrivyServer: optionalBoolean,
          infraAssessment: optionalBoolean,
          excludeImages: fc.constantFrom(["mcr.microsoft.com/windows/*"], []),
          scanJobResources: optional(
            fc.constantFrom({ limits: { memory: "2Gi" } }, { requests: { cpu: "200m" }, limits: { cpu: "2", memory: "3Gi" } }),
          ),
          trivyTimeout: optional(fc.constantFrom("5m", "8m")),
          dbRepositoryCredentials: optional(fc.constantFrom({ username: "trivy-puller" }, { username: "robot$trivy" })),
        },
        { requiredKeys: [] },
      ),
      monitoring: fc.option(validMonitoring, { nil: undefined, freq: 2 }),
    })
    .map(consistentMonitoring);

export const validEnvironment: fc.Arbitrary<EnvironmentConfig> = fc
  .uniqueArray(dnsLabel, { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map(validCluster)))
  .chain((clusters) =>
    fc.record({
      clusters: fc.constant(clusters),
      backend: fc.constantFrom<EnvironmentConfig["backend"]>(
        { type: "local" },
        { type: "s3", bucket: "state", key: "trivy.tfstate", region: "eu-west-1", dynamodbTable: "locks" },
        { type: "gcs", bucket: "state", prefix: "trivy" },
        { type: "remote", organization: "org", workspace: "trivy" },
      ),
    }),
  );

export interface Mutation {
  /** Field name the error must mention. */
  readonly field: string;
  /** The bad value, as the error must show it. */
  readonly shown: string;
  readonly apply: (config: EnvironmentConfig) => unknown;
}

const withCluster = (config: EnvironmentConfig, change: (cluster: ClusterConfig) => unknown): unknown => ({
  ...config,
  clusters: [change(config.clusters[0]!), ...config.clusters.slice(1)],
});

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom("calcio", "Kubernetes", "istio").map((flavor) => ({
    field: "networkPolicy.flavor",
    shown: JSON.stringify(flavor),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { flavor } })),
  })),
  fc.oneof(fc.integer({ min: -5, max: 0 }), fc.integer({ min: 101, max: 10_000 })).map((limit) => ({
    field: "operator.scanJobsConcurrentLimit",
    shown: String(limit),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, scanJobsConcurrentLimit: limit } })),
  })),
  fc.constantFrom("1500MB", "lots", "1,5G").map((memory) => ({
    field: "operator.scanJobResources.limits.memory",
    shown: JSON.stringify(memory),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, scanJobResources: { limits: { memory } } } })),
  })),
  fc.constantFrom("Never", "noschedule").map((effect) => ({
    field: "taints[0].effect",
    shown: JSON.stringify(effect),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, taints: [{ key: "dedicated", effect }] })),
  })),
  fc.constantFrom("10.0.0.1", "300.0.0.0/8", "10.0.0.0/33").map((cidr) => ({
    field: "networkPolicy.apiServerCidrs[0]",
    shown: JSON.stringify(cidr),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { apiServerCidrs: [cidr] } })),
  })),
  fc.constantFrom("4m", "90s").map((timeout) => ({
    field: "operator.scanJobTimeout",
    shown: JSON.stringify(timeout),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, trivyTimeout: "5m", scanJobTimeout: timeout } })),
  })),
  fc.constantFrom("trivy puller", "").map((username) => ({
    field: "operator.dbRepositoryCredentials.username",
    shown: JSON.stringify(username),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, dbRepositoryCredentials: { username } } })),
  })),
  fc.constantFrom("triyvOperator", "trivyoperator").map((root) => ({
    field: `${root}.scanJobTolerations`,
    shown: "trivyOperator.scanJobTolerations",
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, extraValues: { [root]: { scanJobTolerations: [] } } } })),
  })),
  fc.constant({
    field: "backend.s3",
    shown: "dynamodbTable or useLockfile",
    apply: (c: EnvironmentConfig) => ({ ...c, backend: { type: "s3", bucket: "b", key: "k", region: "r" } }),
  }),
  fc.constantFrom("grafana", "configmap", "Sidecar").map((delivery) => ({
    field: "monitoring.dashboard.delivery",
    shown: JSON.stringify(delivery),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({ ...cl, monitoring: { serviceMonitor: false, dashboard: { delivery, datasourceUid: "prometheus" } } })),
  })),
  fc.constantFrom("pagerduty", "Slack", "").map((type) => ({
    field: "monitoring.grafanaAlerts.contactPoint.type",
    shown: JSON.stringify(type),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({
        ...cl,
        monitoring: {
          serviceMonitor: false,
          prometheusRule: false,
          grafanaUrl: "https://grafana.example.com",
          grafanaAlerts: { datasourceUid: "prometheus", contactPoint: { type } },
        },
      })),
  })),
  fc.constant({
    field: "monitoring.grafanaUrl",
    shown: "undefined",
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({
        ...cl,
        monitoring: { serviceMonitor: false, dashboard: { delivery: "grafana-api", datasourceUid: "prometheus" } },
      })),
  }),
  fc.constantFrom("kubernetes", "calico", "cilium").map((flavor) => ({
    field: "networkPolicy.prometheus",
    shown: `"${flavor}" default-deny`,
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { flavor }, monitoring: {} })),
  })),
  fc
    .oneof(
      fc.integer({ min: -50, max: -1 }),
      fc.double({ min: 0.1, max: 9.9, noNaN: true }).filter((n) => !Number.isInteger(n)),
    )
    .map((threshold) => ({
      field: "monitoring.alertRules.criticalVulnerabilitiesThreshold",
      shown: String(threshold),
      apply: (c: EnvironmentConfig) =>
        withCluster(c, (cl) => ({
          ...cl,
          monitoring: { serviceMonitor: false, alertRules: { criticalVulnerabilitiesThreshold: threshold } },
        })),
    })),
  fc.constantFrom("60", "0s", "fast").map((interval) => ({
    field: "monitoring.scrapeInterval",
    shown: JSON.stringify(interval),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, monitoring: { serviceMonitor: false, scrapeInterval: interval } })),
  })),
  fc.constant({
    field: "monitoring.prometheusRule",
    shown: "fire twice",
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({
        ...cl,
        monitoring: {
          serviceMonitor: false,
          grafanaUrl: "https://grafana.example.com",
          grafanaAlerts: { datasourceUid: "prometheus", contactPoint: { type: "email", addresses: ["security@example.com"] } },
        },
      })),
  }),
  fc.constantFrom("", 42).map((path) => ({
    field: "kubeconfigPath",
    shown: JSON.stringify(path),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, kubeconfigPath: path })),
  })),
);
