import { Testing } from "cdktf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildStacks } from "../../../stacks/app";
import type { ClusterConfig, EnvironmentConfig, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { validateEnvironmentConfig } from "../../../stacks/validate";
import type { SynthesizedStack } from "../../helpers/synth";
import { environmentName, numRuns, usesGrafanaApi, validEnvironment, yieldToEventLoop } from "./config-arbitraries";

// GIVEN a generated valid environment config,
// THEN it validates, synthesizes, and every cluster gets what its config asks for, on its own
// providers. The expectations are written from the config and the documented defaults
// (README "Why", docs/monitoring-config.md), never computed with the stacks' own helpers.
// A full synth costs ~0.1-0.2 s, so `npm test` runs a few dozen; the scheduled full-size run sets
// FC_NUM_RUNS (see config-arbitraries.ts).

const RUNS = numRuns(32);

type HelmRelease = { name: string; namespace: string; provider: string; values?: string[] };
type Values = Record<string, unknown>;

/** Terraform variable suffix of a cluster: `-` becomes `_` so `TF_VAR_…` works in every shell. */
const suffix = (cluster: ClusterConfig): string => cluster.name.replaceAll("-", "_");

/** The sensitive variables a cluster must declare, by the rules in docs/monitoring-config.md "Secrets". */
function expectedVariables(cluster: ClusterConfig): string[] {
  const names: string[] = [];
  if (cluster.operator?.dbRepositoryCredentials !== undefined) names.push("trivy_db_password");
  if (usesGrafanaApi(cluster.monitoring)) names.push("grafana_auth");
  const contact = cluster.monitoring?.grafanaAlerts?.contactPoint;
  if (contact?.type === "slack") names.push(contact.recipient === undefined ? "slack_webhook_url" : "slack_token");
  if (contact?.type === "webhook") {
    names.push("alert_webhook_url");
    if (contact.webhookAuthorization === true) names.push("alert_webhook_token");
  }
  return names.map((name) => `${name}_${suffix(cluster)}`);
}

function releaseValues(release: HelmRelease): Values {
  expect(release.values).toHaveLength(1);
  return JSON.parse(release.values![0]!) as Values;
}

function manifestKinds(release: HelmRelease): string[] {
  const { manifests } = releaseValues(release) as { manifests: Array<{ kind: string }> };
  return [...new Set(manifests.map((manifest) => manifest.kind))].sort();
}

/** Checks one cluster's resources in the synthesized stack against its config. */
function expectCluster(synth: SynthesizedStack, cluster: ClusterConfig): void {
  const helm = `helm.${cluster.name}`;
  const kubernetes = `kubernetes.${cluster.name}`;
  const releases = Object.values(synth.resource?.helm_release ?? {}) as unknown as HelmRelease[];
  const ours = (name: string): HelmRelease[] => releases.filter((release) => release.provider === helm && release.name === name);

  // The operator, with the values the config sets or the documented defaults.
  const [operator, ...extraOperators] = ours("trivy-operator");
  expect(operator, `no trivy-operator release on ${helm}`).toBeDefined();
  expect(extraOperators).toEqual([]);
  const values = releaseValues(operator!) as {
    operator: { scanJobsConcurrentLimit: number };
    trivy: { ignoreUnfixed: boolean; timeout: string; resources: { limits: { memory: string } } };
    tolerations: unknown[];
    trivyOperator: { scanJobTolerations: unknown[] };
    nodeCollector?: { tolerations: unknown[] };
  };
  const options = cluster.operator ?? {};
  expect(values.operator.scanJobsConcurrentLimit).toBe(options.scanJobsConcurrentLimit ?? 2);
  expect(values.trivy.ignoreUnfixed).toBe(options.ignoreUnfixed ?? true);
  expect(values.trivy.timeout).toBe(options.trivyTimeout ?? "10m0s");
  expect(values.trivy.resources.limits.memory).toBe(options.scanJobResources?.limits?.memory ?? "1500M");
  // Every taint is tolerated by the operator, the scan jobs and (while it runs) the node collector.
  const tolerationLists = [values.tolerations, values.trivyOperator.scanJobTolerations];
  if (options.infraAssessment ?? true) tolerationLists.push(values.nodeCollector?.tolerations ?? []);
  else expect(values.nodeCollector).toBeUndefined();
  for (const taint of cluster.taints ?? []) {
    const toleration =
      taint.value === undefined ? { key: taint.key, operator: "Exists" } : { key: taint.key, operator: "Equal", value: taint.value };
    for (const list of tolerationLists) expect(list).toContainEqual(taint.effect ? { ...toleration, effect: taint.effect } : toleration);
  }

  // Network policies: native objects for `kubernetes` (the default), a manifest release for calico and cilium.
  const flavor = cluster.networkPolicy?.flavor ?? "kubernetes";
  const nativePolicies = Object.values(synth.resource?.kubernetes_network_policy_v1 ?? {}).filter(
    (policy) => policy.provider === kubernetes,
  );
  const policyBundles = ours("trivy-operator-netpol");
  expect(nativePolicies.length > 0).toBe(flavor === "kubernetes");
  if (flavor === "calico") expect(manifestKinds(policyBundles[0]!)).toEqual(["NetworkPolicy"]);
  else if (flavor === "cilium") expect(manifestKinds(policyBundles[0]!)).toEqual(["CiliumNetworkPolicy"]);
  else expect(policyBundles).toEqual([]);

  // Monitoring: our ServiceMonitor unless `serviceMonitor: false`, the PrometheusRule unless
  // `prometheusRule: false`, both in one release, which is absent when neither is wanted.
  const monitoring = cluster.monitoring;
  const wanted = [
    ...(monitoring !== undefined && monitoring.prometheusRule !== false ? ["PrometheusRule"] : []),
    ...(monitoring !== undefined && monitoring.serviceMonitor !== false ? ["ServiceMonitor"] : []),
  ];
  const monitoringBundles = ours("trivy-operator-monitoring");
  if (wanted.length === 0) expect(monitoringBundles).toEqual([]);
  else expect(manifestKinds(monitoringBundles[0]!)).toEqual(wanted);

  // The dashboard where its delivery mode puts it.
  const grafana = `grafana.${cluster.name}`;
  const delivery = monitoring?.dashboard?.delivery;
  const dashboards = Object.values(synth.resource?.grafana_dashboard ?? {}).filter((dashboard) => dashboard.provider === grafana);
  const configMaps = Object.values(synth.resource?.kubernetes_config_map_v1 ?? {}).filter((configMap) => configMap.provider === kubernetes);
  expect(dashboards).toHaveLength(delivery === "grafana-api" ? 1 : 0);
  expect(configMaps).toHaveLength(delivery === "sidecar" ? 1 : 0);
  expect(Object.keys(synth.output ?? {}).includes(`grafana_dashboard_helm_values_${suffix(cluster)}`)).toBe(delivery === "helm-values");

  // Grafana alerts: one rule group and the contact point of the configured type.
  const alerts = monitoring?.grafanaAlerts;
  const ruleGroups = Object.values(synth.resource?.grafana_rule_group ?? {}).filter((group) => group.provider === grafana);
  expect(ruleGroups).toHaveLength(alerts === undefined ? 0 : 1);
  if (alerts !== undefined) {
    const [contactPoint] = Object.values(synth.resource?.grafana_contact_point ?? {}).filter((point) => point.provider === grafana);
    expect(contactPoint).toHaveProperty(alerts.contactPoint.type);
  }
}

function expectSynthesizes(environment: keyof EnvironmentsConfig, config: EnvironmentConfig, defaults: EnvironmentsConfig): void {
  const app = Testing.app();
  const [stack] = buildStacks(app, { ...defaults, [environment]: config }, { only: [environment] });
  const synth = JSON.parse(Testing.synth(stack!)) as SynthesizedStack;

  // One helm and one kubernetes provider per cluster, aliased by its name, on its own context;
  // one Grafana provider per cluster that talks to a Grafana API.
  const aliases = (name: string): string[] =>
    ((synth.provider?.[name] ?? []) as Array<{ alias: string }>).map((provider) => provider.alias).sort();
  const names = config.clusters.map((cluster) => cluster.name).sort();
  expect(aliases("helm")).toEqual(names);
  expect(aliases("kubernetes")).toEqual(names);
  expect(aliases("grafana")).toEqual(
    config.clusters
      .filter((cluster) => usesGrafanaApi(cluster.monitoring))
      .map((cluster) => cluster.name)
      .sort(),
  );
  for (const cluster of config.clusters) expectCluster(synth, cluster);

  // Exactly the secrets the config needs, all sensitive: no credential ever has a default value.
  expect(Object.keys(synth.variable ?? {}).sort()).toEqual(config.clusters.flatMap(expectedVariables).sort());
  for (const variable of Object.values(synth.variable ?? {})) {
    expect(variable.sensitive).toBe(true);
    expect(variable).not.toHaveProperty("default");
  }
}

describe("environment config synthesis (property-based)", () => {
  it(
    `synthesizes each of ${RUNS} valid configs into what every cluster's config asks for`,
    async () => {
      const defaults = defineEnvironments();
      await fc.assert(
        fc.asyncProperty(environmentName, validEnvironment, async (environment, config) => {
          await yieldToEventLoop();
          expect(() => validateEnvironmentConfig(environment, config)).not.toThrow();
          expectSynthesizes(environment, config, defaults);
        }),
        { numRuns: RUNS },
      );
    },
    Math.max(60_000, RUNS * 1_000),
  );
});
