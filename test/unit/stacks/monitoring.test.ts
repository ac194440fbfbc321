import * as path from "node:path";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildStacks } from "../../../stacks/app";
import type { ClusterConfig, EnvironmentConfig, EnvironmentName, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { monitoringSecrets } from "../../../stacks/monitoring";
import { summarizeEnvironment } from "../../../stacks/summary";
import { validateEnvironmentConfig } from "../../../stacks/validate";
import { resourcesOfType, synthesizeStack, type SynthesizedStack } from "../../helpers/synth";

const environments = defineEnvironments({ ciKubeconfigPath: "/tmp/kind.kubeconfig", ciKubeContext: "kind-trivy-test" });

/** The `npm start` summary of one environment, read from the stack built for it. */
function summaryOf(environment: EnvironmentName, config: EnvironmentsConfig = environments): string {
  const [stack] = buildStacks(Testing.app(), config, { only: [environment] });
  return summarizeEnvironment(stack!, config[environment]!);
}
const FIXTURE_DASHBOARD = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

function synthAll(config: EnvironmentsConfig = environments): Record<string, { json: string; parsed: SynthesizedStack }> {
  const app = Testing.app();
  return Object.fromEntries(buildStacks(app, config).map((stack) => [stack.environment, synthesizeStack(stack)]));
}

/** One prod-like environment holding just `clusters`, synthesized alone. */
function synthProd(clusters: readonly ClusterConfig[]): { json: string; parsed: SynthesizedStack } {
  const app = Testing.app();
  const [stack] = buildStacks(app, { ...environments, prod: { clusters } }, { only: ["prod"] });
  return synthesizeStack(stack!);
}

/** The manifests a ManifestBundle release carries. */
function bundleManifests(
  release: Record<string, unknown> | undefined,
): Array<{ kind: string; metadata: { name: string; labels?: Record<string, string> } }> {
  const values = parse((release?.values as string[])[0] ?? "{}") as { manifests?: Array<{ kind: string; metadata: { name: string } }> };
  return values.manifests ?? [];
}

const monitoringReleases = (synth: SynthesizedStack) =>
  resourcesOfType(synth, "helm_release").filter((release) => release.name === "trivy-operator-monitoring");

const scraper = { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } };
const base: ClusterConfig = { name: "eu-2", kubeconfigPath: "~/.kube/config", kubeContext: "eu-2", networkPolicy: { prometheus: scraper } };

describe("monitoring of the organisation's environments", () => {
  const stacks = synthAll();
  const prod = stacks.prod!.parsed;

  it("can deliver ServiceMonitor and PrometheusRule on eu-1, and only the ServiceMonitor where Grafana alerts", () => {
    // GIVEN the prod config WHEN synthesized THEN each cluster has one monitoring release on its own helm provider
    const releases = monitoringReleases(prod);
    expect(releases.map((release) => [release.provider, bundleManifests(release).map((manifest) => manifest.kind)])).toEqual([
      ["helm.eu-1", ["ServiceMonitor", "PrometheusRule"]],
      ["helm.us-1", ["ServiceMonitor"]],
    ]);
    const [serviceMonitor] = bundleManifests(releases[0]);
    expect(serviceMonitor?.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(
      releases.every(
        (release) =>
          (release.depends_on as string[])[0]?.startsWith("helm_release.") &&
          (release.depends_on as string[])[0]?.includes("trivy-operator_release"),
      ),
    ).toBe(true);
  });

  it("can keep the operator chart's own ServiceMonitor off", () => {
    const operatorReleases = resourcesOfType(prod, "helm_release").filter((release) => release.chart === "trivy-operator");
    for (const release of operatorReleases) {
      expect(parse((release.values as string[])[0] ?? "")).toMatchObject({ serviceMonitor: { enabled: false } });
    }
  });

  it("can deliver the eu-1 dashboard as a sidecar ConfigMap through eu-1's kubernetes provider", () => {
    const [configMap] = resourcesOfType(prod, "kubernetes_config_map_v1");
    expect(configMap).toMatchObject({
      provider: "kubernetes.eu-1",
      metadata: {
        name: "trivy-operator-dashboard",
        namespace: "monitoring",
        labels: { grafana_dashboard: "1" },
        annotations: { grafana_folder: "Security" },
      },
    });
  });

  it("can deliver the us-1 dashboard and Grafana-managed alerts through us-1's Grafana provider, in one folder", () => {
    expect(prod.provider?.grafana).toEqual([{ alias: "us-1", url: "https://grafana.example.com", auth: "${var.grafana_auth_us_1}" }]);
    const [dashboard] = resourcesOfType(prod, "grafana_dashboard");
    const [ruleGroup] = resourcesOfType(prod, "grafana_rule_group");
    const [contactPoint] = resourcesOfType(prod, "grafana_contact_point");
    expect(dashboard).toMatchObject({ provider: "grafana.us-1", overwrite: true });
    expect(ruleGroup).toMatchObject({ provider: "grafana.us-1", folder_uid: dashboard?.folder });
    expect((ruleGroup?.rule as unknown[]).length).toBe(5);
    expect(contactPoint).toMatchObject({ provider: "grafana.us-1", slack: [{ url: "${var.slack_webhook_url_us_1}" }] });
    // Grafana refuses two top-level folders titled "Security": the alerts reuse the dashboard's.
    expect(resourcesOfType(prod, "grafana_folder")).toHaveLength(1);
  });

  it("can declare one http provider per stack for the plan-time downloads", () => {
    expect(prod.provider?.http).toEqual([{}]);
    expect(Object.keys(prod.data?.http ?? {})).toHaveLength(2);
  });

  it("can let Prometheus scrape the operator through every prod policy flavor", () => {
    const netpol = resourcesOfType(prod, "helm_release").filter((release) => release.name === "trivy-operator-netpol");
    for (const release of netpol) expect((release.values as string[])[0]).toMatch(/8080/);
  });

  it("can give dev the dashboard as helm-values output and no download", () => {
    const dev = stacks.dev!.parsed;
    expect(Object.keys(dev.output ?? {})).toEqual(["grafana_dashboard_helm_values_dev"]);
    expect(dev.provider?.http).toBeUndefined();
    expect(monitoringReleases(dev).map((release) => bundleManifests(release).map((manifest) => manifest.kind))).toEqual([
      ["ServiceMonitor"],
    ]);
  });

  it("can keep ci deployable on a bare kind cluster", () => {
    const ci = stacks.ci!.json;
    expect(ci).not.toContain("monitoring.coreos.com");
    expect(stacks.ci!.parsed.provider?.grafana).toBeUndefined();
    expect(stacks.ci!.parsed.variable).toBeUndefined();
  });
});

describe("monitoring secrets", () => {
  const stacks = synthAll();

  it("can declare every secret as a sensitive stack variable", () => {
    const variables = Object.values(stacks).flatMap(({ parsed }) => Object.entries(parsed.variable ?? {}));
    expect(variables.map(([name]) => name).sort()).toEqual(["grafana_auth_us_1", "slack_webhook_url_us_1"]);
    for (const [, variable] of variables) expect(variable).toMatchObject({ sensitive: true, type: "string" });
  });

  it("can keep webhook URLs, tokens and Grafana auth out of the synthesized JSON", () => {
    // GIVEN every contact-point kind that carries a credential
    const { json, parsed } = synthProd([
      {
        ...base,
        monitoring: {
          prometheusRule: false,
          grafanaUrl: "https://grafana.example.com",
          grafanaAlerts: { datasourceUid: "prom", contactPoint: { type: "webhook", webhookAuthorization: true } },
        },
      },
      {
        ...base,
        name: "eu-3",
        kubeContext: "eu-3",
        monitoring: {
          prometheusRule: false,
          grafanaUrl: "https://grafana-eu-3.example.com",
          grafanaAlerts: { datasourceUid: "prom", contactPoint: { type: "slack", recipient: "#security" } },
        },
      },
    ]);
    // THEN each credential field is a variable reference, and nothing looks like a literal secret
    const [webhookPoint, slackPoint] = resourcesOfType(parsed, "grafana_contact_point");
    expect(webhookPoint).toMatchObject({
      webhook: [
        {
          url: "${var.alert_webhook_url_eu_2}",
          authorization_credentials: "${var.alert_webhook_token_eu_2}",
          authorization_scheme: "Bearer",
        },
      ],
    });
    expect(slackPoint).toMatchObject({ slack: [{ token: "${var.slack_token_eu_3}", recipient: "#security" }] });
    expect(parsed.provider?.grafana).toEqual([
      { alias: "eu-2", url: "https://grafana.example.com", auth: "${var.grafana_auth_eu_2}" },
      { alias: "eu-3", url: "https://grafana-eu-3.example.com", auth: "${var.grafana_auth_eu_3}" },
    ]);
    expect(Object.values(parsed.variable ?? {}).every((variable) => variable.sensitive === true)).toBe(true);
    expect(json).not.toMatch(/hooks\.slack\.com|xox[abp]-|glsa_|Bearer [A-Za-z0-9._-]{16,}/);
  });

  it("fails when a secret is put into the config, without echoing it", () => {
    const sentinel = "https://hooks.slack.com/services/T0/B0/SENTINEL-not-a-real-secret";
    const config = {
      clusters: [
        {
          ...base,
          monitoring: {
            prometheusRule: false,
            grafanaUrl: "https://grafana.example.com",
            grafanaAlerts: { datasourceUid: "prom", contactPoint: { type: "slack", url: sentinel } },
          },
        },
      ],
    };
    let message = "";
    try {
      validateEnvironmentConfig("prod", config);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('environment "prod", cluster "eu-2": monitoring.grafanaAlerts.contactPoint.url is not an option');
    expect(message).toContain("TF_VAR_");
    expect(message).not.toContain("SENTINEL");
  });

  it("can name the TF_VAR variables shell-safely per cluster", () => {
    expect(
      monitoringSecrets({
        ...base,
        name: "prod-eu-1",
        monitoring: { dashboard: { delivery: "grafana-api", datasourceUid: "p" }, grafanaUrl: "https://g" },
      }).map((secret) => secret.envVar),
    ).toEqual(["TF_VAR_grafana_auth_prod_eu_1"]);
  });
});

describe("monitoring wiring", () => {
  it("can bind a local dashboard file without the http provider", () => {
    const { parsed } = synthProd([
      {
        ...base,
        monitoring: {
          prometheusRule: false,
          dashboard: { delivery: "sidecar", datasourceUid: "prom", sourceFile: FIXTURE_DASHBOARD, namespace: "grafana" },
        },
      },
    ]);
    expect(parsed.provider?.http).toBeUndefined();
    // No download: the only data source left is the network policy's read of the API server endpoints.
    expect(parsed.data?.http).toBeUndefined();
    const [configMap] = resourcesOfType(parsed, "kubernetes_config_map_v1");
    expect(configMap).toMatchObject({ provider: "kubernetes.eu-2", metadata: { namespace: "grafana" } });
    expect(JSON.stringify(configMap?.data)).not.toContain("${DS_PROMETHEUS}");
  });

  it("can give alerts their own folder when the dashboard is not delivered through the Grafana API", () => {
    const { parsed } = synthProd([
      {
        ...base,
        monitoring: {
          prometheusRule: false,
          grafanaUrl: "https://grafana.example.com",
          grafanaAlerts: {
            datasourceUid: "prom",
            folderTitle: "Trivy",
            contactPoint: { type: "email", addresses: ["security@example.com"] },
          },
        },
      },
    ]);
    expect(resourcesOfType(parsed, "grafana_folder")).toEqual([expect.objectContaining({ title: "Trivy", provider: "grafana.eu-2" })]);
    expect(Object.keys(parsed.variable ?? {})).toEqual(["grafana_auth_eu_2"]);
  });

  it("can skip the Prometheus Operator objects and the metrics ingress when both are off", () => {
    const { parsed, json } = synthProd([
      {
        ...base,
        networkPolicy: {},
        monitoring: { serviceMonitor: false, prometheusRule: false, dashboard: { delivery: "helm-values", datasourceUid: "prom" } },
      },
    ]);
    expect(monitoringReleases(parsed)).toEqual([]);
    expect(json).not.toContain("8080");
    expect(Object.keys(parsed.output ?? {})).toEqual(["grafana_dashboard_helm_values_eu_2"]);
  });

  it("can derive the alert namespace and the scan-job window from the operator options", () => {
    const { parsed } = synthProd([{ ...base, operator: { namespace: "security", scannerReportTTL: "12h" }, monitoring: {} }]);
    const [release] = monitoringReleases(parsed);
    const rule = JSON.stringify(bundleManifests(release).find((manifest) => manifest.kind === "PrometheusRule"));
    expect(rule).toContain('namespace=\\"security\\"');
    // One healthy scan per report TTL: failed scans are counted within it.
    expect(rule).toContain('job_name=~\\"scan-vulnerabilityreport-.*\\"}[12h]');
    expect(release?.namespace).toBe("security");
  });

  // The operator reads scannerReportTTL with Go's time.ParseDuration (fractions allowed); a PromQL
  // range takes prometheus/common model.ParseDuration (whole numbers only): 1.5h must reach the
  // rules as 1h30m, on either delivery.
  it("can synthesize alert rules for a fractional Go scannerReportTTL", () => {
    const { parsed } = synthProd([{ ...base, operator: { scannerReportTTL: "1.5h" }, monitoring: {} }]);
    const rule = JSON.stringify(bundleManifests(monitoringReleases(parsed)[0]).find((manifest) => manifest.kind === "PrometheusRule"));
    expect(rule).toContain('job_name=~\\"scan-vulnerabilityreport-.*\\"}[1h30m]');
    expect(rule).toContain("created {{ $value }} times in the last 1h30m");
    expect(rule).not.toContain("1.5h");

    const grafana = synthProd([
      {
        ...base,
        operator: { scannerReportTTL: "1.5h" },
        monitoring: {
          prometheusRule: false,
          grafanaUrl: "https://grafana.example.com",
          grafanaAlerts: { datasourceUid: "prom", contactPoint: { type: "email", addresses: ["security@example.com"] } },
        },
      },
    ]);
    expect(grafana.json).toMatch(/scan-vulnerabilityreport-\.\*[^\]]*\[1h30m\]/);
    expect(grafana.json).not.toContain("[1.5h]");
  });
});

describe("monitoring validation", () => {
  const withMonitoring = (monitoring: unknown, extra: Record<string, unknown> = {}): EnvironmentConfig =>
    ({ clusters: [{ ...base, ...extra, monitoring }] }) as unknown as EnvironmentConfig;
  const grafana = { prometheusRule: false, grafanaUrl: "https://grafana.example.com" };
  const context = 'environment "prod", cluster "eu-2": ';

  it.each<[string, EnvironmentConfig, string]>([
    [
      "a ServiceMonitor without networkPolicy.prometheus",
      withMonitoring({}, { networkPolicy: { flavor: "calico" } }),
      'monitoring.serviceMonitor needs networkPolicy.prometheus (namespace and podLabels of the Prometheus pods) so the "calico" default-deny policies let Prometheus scrape port 8080, got networkPolicy.prometheus undefined',
    ],
    [
      "the retired operator ServiceMonitor",
      withMonitoring({}, { operator: { serviceMonitor: true } }),
      "operator.serviceMonitor true is invalid: no longer an option",
    ],
    [
      "PrometheusRule and Grafana alerts together",
      withMonitoring({
        grafanaUrl: "https://g.example.com",
        grafanaAlerts: { datasourceUid: "p", contactPoint: { type: "email", addresses: ["a@b.c"] } },
      }),
      "monitoring.prometheusRule must be false with monitoring.grafanaAlerts (both deliver the Trivy alerts, every alert would fire twice), got undefined",
    ],
    [
      "an unknown delivery",
      withMonitoring({ dashboard: { delivery: "configmap", datasourceUid: "p" } }),
      'monitoring.dashboard.delivery "configmap" is invalid: use one of grafana-api, sidecar, helm-values',
    ],
    [
      "both datasource fields",
      withMonitoring({ dashboard: { delivery: "sidecar", datasourceUid: "p", datasourceName: "Prometheus" } }),
      'monitoring.dashboard.datasourceUid/datasourceName {"datasourceUid":"p","datasourceName":"Prometheus"} is invalid: set exactly one of them',
    ],
    [
      "a bad datasource uid",
      withMonitoring({ dashboard: { delivery: "sidecar", datasourceUid: "has space" } }),
      "monitoring.dashboard.datasourceUid \"has space\" is invalid: use 1-40 letters, digits, '-' or '_'",
    ],
    [
      "grafana-api without a URL",
      withMonitoring({ dashboard: { delivery: "grafana-api", datasourceUid: "p" } }),
      'monitoring.grafanaUrl must be an http(s) URL such as "https://grafana.example.com" with dashboard delivery "grafana-api" or grafanaAlerts, got undefined',
    ],
    [
      "a Grafana URL nobody uses",
      withMonitoring({ grafanaUrl: "https://g.example.com", dashboard: { delivery: "sidecar", datasourceUid: "p" } }),
      'monitoring.grafanaUrl only applies with dashboard delivery "grafana-api" or grafanaAlerts, got "https://g.example.com"',
    ],
    [
      "credentials in the Grafana URL",
      withMonitoring({
        ...grafana,
        grafanaUrl: "https://admin:pw@g.example.com",
        dashboard: { delivery: "grafana-api", datasourceUid: "p" },
      }),
      "monitoring.grafanaUrl must not contain credentials",
    ],
    [
      "a sidecar namespace with helm-values",
      withMonitoring({ dashboard: { delivery: "helm-values", datasourceUid: "p", namespace: "monitoring" } }),
      'monitoring.dashboard.namespace "monitoring" is invalid: only applies to delivery sidecar, not helm-values',
    ],
    [
      "a source file with helm-values",
      withMonitoring({ dashboard: { delivery: "helm-values", datasourceUid: "p", sourceFile: "x.json" } }),
      'monitoring.dashboard.sourceFile "x.json" is invalid: only applies to delivery grafana-api or sidecar, not helm-values',
    ],
    [
      "a missing source file",
      withMonitoring({ dashboard: { delivery: "sidecar", datasourceUid: "p", sourceFile: "/nonexistent/trivy.json" } }),
      'monitoring.dashboard.sourceFile "/nonexistent/trivy.json" is invalid: cannot be read (ENOENT); use a readable exported dashboard JSON file',
    ],
    [
      "an unknown contact point type",
      withMonitoring({ ...grafana, grafanaAlerts: { datasourceUid: "p", contactPoint: { type: "pagerduty" } } }),
      'monitoring.grafanaAlerts.contactPoint.type must be one of slack, webhook, email, got "pagerduty"',
    ],
    [
      "email without addresses",
      withMonitoring({ ...grafana, grafanaAlerts: { datasourceUid: "p", contactPoint: { type: "email" } } }),
      'monitoring.grafanaAlerts.contactPoint.addresses must be a non-empty list of email addresses for type "email", got undefined',
    ],
    [
      "a bad email address",
      withMonitoring({ ...grafana, grafanaAlerts: { datasourceUid: "p", contactPoint: { type: "email", addresses: ["security"] } } }),
      'monitoring.grafanaAlerts.contactPoint.addresses[0] must be an email address such as "security@example.com", got "security"',
    ],
    [
      "a Slack recipient on a webhook",
      withMonitoring({ ...grafana, grafanaAlerts: { datasourceUid: "p", contactPoint: { type: "webhook", recipient: "#sec" } } }),
      'monitoring.grafanaAlerts.contactPoint.recipient "#sec" is invalid: only applies to type slack, not webhook',
    ],
    [
      "a negative threshold",
      withMonitoring({ alertRules: { criticalVulnerabilitiesThreshold: -1 } }),
      "monitoring.alertRules.criticalVulnerabilitiesThreshold -1 is invalid: use a whole number >= 0",
    ],
    [
      "an upper-case severity",
      withMonitoring({ alertRules: { exposedSecretSeverities: ["CRITICAL"] } }),
      'monitoring.alertRules.exposedSecretSeverities "CRITICAL" is invalid: the operator emits Title-case severities (Critical, High, Medium, Low); did you mean "Critical"?',
    ],
    [
      "an alert namespace of its own",
      withMonitoring({ alertRules: { operatorNamespace: "x" } }),
      'monitoring.alertRules.operatorNamespace must not be set; it comes from operator.namespace, got "x"',
    ],
    [
      "a misspelt alert option",
      withMonitoring({ alertRules: { criticalVulnerabilityThreshold: 3 } }),
      "monitoring.alertRules.criticalVulnerabilityThreshold is not an option; allowed: operatorJob",
    ],
    [
      "a bare-number scrape interval",
      withMonitoring({ scrapeInterval: "60" }),
      'monitoring.scrapeInterval "60" is invalid: use a Prometheus duration longer than 0s such as 60s or 2m',
    ],
    [
      "a bad selector label value",
      withMonitoring({ prometheusSelectorLabels: { release: "kube prometheus" } }),
      "monitoring.prometheusSelectorLabels.release must be a Kubernetes label value (at most 63 letters, digits, '-', '_', '.'), got \"kube prometheus\"",
    ],
    [
      "a misspelt monitoring option",
      withMonitoring({ serviceMonitors: true }),
      "monitoring.serviceMonitors is not an option; allowed: serviceMonitor",
    ],
  ])("fails when given %s", (_name, config, message) => {
    expect(() => validateEnvironmentConfig("prod", config)).toThrow(`${context}${message}`);
  });

  it("can report every dashboard problem at once, under the config's own key names", () => {
    // GIVEN a dashboard with a bad uid, an empty folder title and a sidecar namespace on helm-values
    const config = withMonitoring({
      dashboard: { delivery: "helm-values", datasourceUid: "has space", folderTitle: " ", namespace: "grafana" },
    });
    // THEN one error names all three, each line with its cluster, config path and value
    expect(() => validateEnvironmentConfig("prod", config)).toThrow(
      [
        `${context}monitoring.dashboard.datasourceUid "has space" is invalid: use 1-40 letters, digits, '-' or '_'`,
        `${context}monitoring.dashboard.folderTitle " " is invalid: use a non-empty title, or leave it unset for the General folder`,
        `${context}monitoring.dashboard.namespace "grafana" is invalid: only applies to delivery sidecar, not helm-values`,
      ].join("\n"),
    );
  });

  it("fails when two clusters deliver to one Grafana", () => {
    const onGrafana = (name: string): ClusterConfig => ({
      ...base,
      name,
      kubeContext: name,
      monitoring: {
        serviceMonitor: false,
        grafanaUrl: "https://grafana.example.com/",
        dashboard: { delivery: "grafana-api", datasourceUid: "p" },
      },
    });
    expect(() => validateEnvironmentConfig("prod", { clusters: [onGrafana("eu-2"), onGrafana("eu-3")] })).toThrow(
      'environment "prod", cluster "eu-3": monitoring.grafanaUrl must differ from cluster "eu-2" (dashboard uid, folder, contact point and rule group would collide in one Grafana), got "https://grafana.example.com" for both',
    );
  });

  it("fails when the monitoring config is invalid, before any stack exists", () => {
    const app = Testing.app();
    const broken: EnvironmentsConfig = {
      ...environments,
      prod: withMonitoring({ dashboard: { delivery: "grafana-api", datasourceUid: "p" } }),
    };
    expect(() => buildStacks(app, broken)).toThrow("monitoring.grafanaUrl");
    expect(app.node.children).toHaveLength(0);
  });
});

describe("summarizeEnvironment monitoring lines", () => {
  it("can list monitoring, dashboard, alerts and the TF_VAR names per cluster", () => {
    const summary = summaryOf("prod");
    expect(summary).toContain(
      "monitoring   ServiceMonitor every 60s, PrometheusRule (5 alerts); selector labels release=kube-prometheus-stack",
    );
    expect(summary).toContain(
      'dashboard    grafana.com 17813 r2 via sidecar ConfigMap in monitoring, datasource name "Prometheus", folder Security, downloaded at plan time',
    );
    expect(summary).toContain(
      "alerts       Grafana-managed, 5 rules at https://grafana.example.com (datasource uid prometheus-us-1, dashboard folder Security) -> slack (incoming webhook)",
    );
    expect(summary).toContain("secrets      TF_VAR_grafana_auth_us_1, TF_VAR_slack_webhook_url_us_1");
    expect(summaryOf("ci")).toContain("monitoring   off");
  });
});
