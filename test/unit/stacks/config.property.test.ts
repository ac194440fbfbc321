import * as path from "node:path";
import { Testing } from "cdktf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildStacks } from "../../../stacks/app";
import type { ClusterConfig, ContactPointConfig, DashboardConfig, EnvironmentConfig, EnvironmentName, EnvironmentsConfig, MonitoringConfig } from "../../../stacks/config";
import { monitoringSecrets, monitoringServiceMonitor, needsGrafanaProvider, operatorMonitoringOptions } from "../../../stacks/monitoring";
import { defineEnvironments } from "../../../stacks/environments";
import { dbPasswordSecret } from "../../../stacks/secrets";
import { validateEnvironmentConfig } from "../../../stacks/validate";

// GIVEN a valid environment config and, optionally, one mutation that breaks exactly one field,
// THEN validation fails naming environment, field and bad value exactly when the config is broken.

const environmentName = fc.constantFrom<EnvironmentName>("dev", "prod", "ci");
const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);

const FIXTURE_DASHBOARD = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

const datasource = fc.constantFrom<Pick<DashboardConfig, "datasourceUid" | "datasourceName">>({ datasourceUid: "prometheus" }, { datasourceName: "Prometheus" });
const validDashboard: fc.Arbitrary<DashboardConfig> = fc.oneof(
  fc.record({ delivery: fc.constant("helm-values" as const), datasource, folderTitle: fc.option(fc.constant("Security"), { nil: undefined }) }),
  fc.record({
    delivery: fc.constant("sidecar" as const),
    datasource,
    folderTitle: fc.option(fc.constant("Security"), { nil: undefined }),
    sourceFile: fc.option(fc.constant(FIXTURE_DASHBOARD), { nil: undefined }),
    sidecarNamespace: fc.option(fc.constantFrom("monitoring", "grafana"), { nil: undefined }),
  }),
  fc.record({
    delivery: fc.constant("grafana-api" as const),
    datasource,
    folderTitle: fc.option(fc.constantFrom("Security", "Trivy"), { nil: undefined }),
    sourceFile: fc.option(fc.constant(FIXTURE_DASHBOARD), { nil: undefined }),
  }),
).map(({ datasource: source, ...rest }) => ({ ...rest, ...source }));

const validContactPoint = fc.oneof(
  fc.record({ type: fc.constant("slack" as const), slackRecipient: fc.option(fc.constant("#security"), { nil: undefined }) }),
  fc.record({ type: fc.constant("webhook" as const), webhookAuthorization: fc.option(fc.boolean(), { nil: undefined }) }),
  fc.record({ type: fc.constant("email" as const), emailAddresses: fc.constantFrom(["security@example.com"], ["a@example.com", "b@example.com"]) }),
) as fc.Arbitrary<ContactPointConfig>;

const validMonitoring: fc.Arbitrary<MonitoringConfig> = fc.record(
  {
    serviceMonitor: fc.boolean(),
    prometheusRule: fc.boolean(),
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
    dashboard: validDashboard,
    grafanaAlerts: fc.record({ datasourceUid: fc.constant("prometheus"), folderTitle: fc.option(fc.constantFrom("Security", "Trivy alerts"), { nil: undefined }), contactPoint: validContactPoint }),
  },
  { requiredKeys: [] },
);

/** Fills in what a valid monitoring section depends on: the metrics ingress, the Grafana URL, no doubled alerts. */
function consistentMonitoring(cluster: ClusterConfig): ClusterConfig {
  const monitoring = cluster.monitoring;
  if (monitoring === undefined) return cluster;
  const fixed: MonitoringConfig = {
    ...monitoring,
    prometheusRule: monitoring.grafanaAlerts !== undefined ? false : monitoring.prometheusRule,
    grafanaUrl: needsGrafanaProvider(cluster) ? `https://grafana-${cluster.name}.example.com` : undefined,
  };
  const withFixed = { ...cluster, monitoring: fixed };
  if (!monitoringServiceMonitor(withFixed)) return withFixed;
  return { ...withFixed, networkPolicy: { ...cluster.networkPolicy, prometheus: { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } } } };
}

const validCluster = (name: string): fc.Arbitrary<ClusterConfig> =>
  fc.record({
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
        flavor: fc.constantFrom("kubernetes" as const, "calico" as const, "cilium" as const, "none" as const),
        registryCidrs: fc.constantFrom(["0.0.0.0/0"], ["203.0.113.0/24", "198.51.100.0/24"]),
      },
      { requiredKeys: [] },
    ),
    operator: fc.record(
      {
        scanJobsConcurrentLimit: fc.integer({ min: 1, max: 100 }),
        ignoreUnfixed: fc.boolean(),
        builtInTrivyServer: fc.boolean(),
        infraAssessment: fc.boolean(),
        excludeImages: fc.constantFrom(["mcr.microsoft.com/windows/*"], []),
        scanJobResources: fc.constantFrom({ limits: { memory: "1500M" } }, { requests: { cpu: "200m" }, limits: { cpu: "2", memory: "3Gi" } }),
        trivyTimeout: fc.constantFrom("5m", "10m0s"),
        dbRepositoryCredentials: fc.constantFrom({ username: "trivy-puller" }, { username: "robot$trivy" }),
      },
      { requiredKeys: [] },
    ),
    monitoring: fc.option(validMonitoring, { nil: undefined, freq: 2 }),
  }).map(consistentMonitoring);

const validEnvironment: fc.Arbitrary<EnvironmentConfig> = fc
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

interface Mutation {
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

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, scanJobResources: { limits: { memory } } } })),
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
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, trivyTimeout: "5m", scanJobTimeout: timeout } })),
  })),
  fc.constantFrom("trivy puller", "").map((username) => ({
    field: "operator.dbRepositoryCredentials.username",
    shown: JSON.stringify(username),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, dbRepositoryCredentials: { username } } })),
  })),
  fc.constantFrom("triyvOperator", "trivyoperator").map((root) => ({
    field: `${root}.scanJobTolerations`,
    shown: "trivyOperator.scanJobTolerations",
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, extraValues: { [root]: { scanJobTolerations: [] } } } })),
  })),
  fc.constant({
    field: "backend.s3",
    shown: "dynamodbTable or useLockfile",
    apply: (c: EnvironmentConfig) => ({ ...c, backend: { type: "s3", bucket: "b", key: "k", region: "r" } }),
  }),
  fc.constantFrom("grafana", "configmap", "Sidecar").map((delivery) => ({
    field: "monitoring.dashboard.delivery",
    shown: JSON.stringify(delivery),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, monitoring: { serviceMonitor: false, dashboard: { delivery, datasourceUid: "prometheus" } } })),
  })),
  fc.constantFrom("pagerduty", "Slack", "").map((type) => ({
    field: "monitoring.grafanaAlerts.contactPoint.type",
    shown: JSON.stringify(type),
    apply: (c: EnvironmentConfig) =>
      withCluster(c, (cl) => ({
        ...cl,
        monitoring: { serviceMonitor: false, prometheusRule: false, grafanaUrl: "https://grafana.example.com", grafanaAlerts: { datasourceUid: "prometheus", contactPoint: { type } } },
      })),
  })),
  fc.constant({
    field: "monitoring.grafanaUrl",
    shown: "undefined",
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, monitoring: { serviceMonitor: false, dashboard: { delivery: "grafana-api", datasourceUid: "prometheus" } } })),
  }),
  fc.constantFrom("kubernetes", "calico", "cilium").map((flavor) => ({
    field: "networkPolicy.prometheus",
    shown: `"${flavor}" default-deny`,
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { flavor }, monitoring: {} })),
  })),
  fc.oneof(fc.integer({ min: -50, max: -1 }), fc.double({ min: 0.1, max: 9.9, noNaN: true }).filter((n) => !Number.isInteger(n))).map((threshold) => ({
    field: "monitoring.alertRules.criticalVulnerabilitiesThreshold",
    shown: String(threshold),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, monitoring: { serviceMonitor: false, alertRules: { criticalVulnerabilitiesThreshold: threshold } } })),
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
          grafanaAlerts: { datasourceUid: "prometheus", contactPoint: { type: "email", emailAddresses: ["security@example.com"] } },
        },
      })),
  }),
  fc.constantFrom("", 42).map((path) => ({
    field: "kubeconfigPath",
    shown: JSON.stringify(path),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, kubeconfigPath: path })),
  })),
);

/** Builds the one stack of `config` and checks what every valid config must produce. */
function expectSynthesizes(environment: EnvironmentName, config: EnvironmentConfig, defaults: EnvironmentsConfig): void {
  const app = Testing.app();
  const environments: EnvironmentsConfig = { ...defaults, [environment]: config };
  const [stack] = buildStacks(app, environments, { only: [environment] });
  const synth = JSON.parse(Testing.synth(stack!)) as {
    resource: Record<string, Record<string, { name?: string }>>;
    provider: Record<string, unknown[]>;
    variable?: Record<string, { sensitive?: boolean }>;
  };
  expect(Object.keys(synth.resource.helm_release ?? {}).filter((id) => /trivy-operator_release_/.test(id))).toHaveLength(config.clusters.length);
  // Monitoring: one bundle per cluster that wants one, one Grafana provider per Grafana-using
  // cluster, and exactly the declared secrets (DB password and monitoring), all sensitive.
  const bundles = Object.values(synth.resource.helm_release ?? {}).filter((release) => release.name === "trivy-operator-monitoring");
  expect(bundles).toHaveLength(config.clusters.filter((cluster) => operatorMonitoringOptions(cluster) !== undefined).length);
  expect(synth.provider.grafana ?? []).toHaveLength(config.clusters.filter(needsGrafanaProvider).length);
  const secrets = config.clusters.flatMap((cluster) => [dbPasswordSecret(cluster), ...monitoringSecrets(cluster)].flatMap((secret) => (secret ? [secret.variable] : [])));
  expect(Object.keys(synth.variable ?? {}).sort()).toEqual(secrets.sort());
  expect(Object.values(synth.variable ?? {}).every((variable) => variable.sensitive === true)).toBe(true);
}

describe("environment config (property-based)", () => {
  // 1,000 generated configs, about a third of them valid: every broken one must fail validation
  // with a message naming environment, field and value; every valid one must validate and synthesize.
  it("can tell every valid config from every broken one, and synthesizes every valid one", () => {
    const defaults = defineEnvironments();
    let synthesized = 0;
    fc.assert(
      fc.property(environmentName, validEnvironment, fc.option(mutation, { freq: 2 }), (environment, config, broken) => {
        if (broken === null) {
          expect(() => validateEnvironmentConfig(environment, config)).not.toThrow();
          expectSynthesizes(environment, config, defaults);
          synthesized++;
          return;
        }
        const badConfig = broken.apply(config);
        let message = "";
        try {
          validateEnvironmentConfig(environment, badConfig);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toContain(`environment "${environment}"`);
        expect(message).toContain(broken.field);
        expect(message).toContain(broken.shown);
      }),
      { numRuns: 1_000 },
    );
    // Guards the generator: a mutation rate drifting to 100% would leave the synth half untested.
    expect(synthesized).toBeGreaterThan(200);
    // Some 330 full synths take ~12 s here; the margin is for slower CI machines.
  }, 120_000);
});
