import { TerraformVariable } from "cdktf";
import { describe, expect, it } from "vitest";
import type { KubernetesManifest } from "../../../modules/manifest-bundle";
import {
  TrivyGrafanaAlerts,
  TrivyOperatorMonitoring,
  type TrivyAlertRulesOptions,
  type TrivyGrafanaAlertsProps,
} from "../../../modules/monitoring";
import { missingSeriesEvalsToResolve } from "../../../modules/monitoring/trivy-grafana-alerts";
import { TrivyOperator } from "../../../modules/trivy-operator";
import { onlyResourceOfType, resourcesOfType, synthesize } from "../../helpers/synth";
import { promqlFacts } from "./promql";

/** Stands for a real credential; it must never show up in synthesized output. */
const SENTINEL_SECRET = "https://hooks.slack.com/services/T000SENTINEL/B000SENTINEL/never-in-synth";

interface SynthRule {
  name: string;
  for: string;
  keep_firing_for?: string;
  missing_series_evals_to_resolve?: number;
  labels: Record<string, string>;
  data: Array<{ ref_id: string; datasource_uid: string; model: string }>;
  notification_settings?: { contact_point: string };
  annotations: Record<string, string>;
}

/** Query A's model of each rule, as Grafana receives it (the literal JSON string, Terraform's escapes undone). */
function queryModels(rules: readonly SynthRule[]): Record<string, { expr: string; refId: string; datasource: { uid: string } }> {
  return Object.fromEntries(
    rules.map((rule) => [rule.name, JSON.parse(rule.data[0]!.model.replaceAll("$${", "${").replaceAll("%%{", "%{")) as never]),
  );
}

describe("TrivyGrafanaAlerts |", () => {
  it("can create a rule group and a Slack contact point whose URL comes from a sensitive variable", () => {
    // GIVEN the secret lives only in a sensitive stack variable (TF_VAR_slack_webhook_url)
    const { json, parsed } = synthesize((stack) => {
      const slackUrl = new TerraformVariable(stack, "slack_webhook_url", {
        type: "string",
        sensitive: true,
        description: "Slack incoming webhook",
      });
      // WHEN
      new TrivyGrafanaAlerts(stack, "alerts", { datasourceUid: "prometheus", contactPoint: { type: "slack", url: slackUrl.stringValue } });
    });

    // THEN
    expect(json).not.toContain(SENTINEL_SECRET);
    expect(json).not.toContain("hooks.slack.com");
    expect(parsed.variable?.slack_webhook_url).toMatchObject({ sensitive: true });
    expect(onlyResourceOfType(parsed, "grafana_contact_point")).toEqual({
      name: "trivy-security",
      slack: [{ url: "${var.slack_webhook_url}" }],
    });
    expect(onlyResourceOfType(parsed, "grafana_folder")).toEqual({ title: "Trivy Operator alerts" });
    const group = onlyResourceOfType(parsed, "grafana_rule_group") as { name: string; interval_seconds: number; rule: SynthRule[] };
    expect(group).toMatchObject({ name: "trivy-operator", interval_seconds: 60 });
    expect(group.rule.map((rule) => rule.name)).toEqual([
      "TrivyCriticalVulnerabilities",
      "TrivyExposedSecrets",
      "TrivyCriticalConfigAuditFindings",
      "TrivyOperatorAbsent",
      "TrivyScanJobsFailing",
    ]);
    const first = group.rule[0]!;
    expect(first.data.map((d) => [d.ref_id, d.datasource_uid])).toEqual([
      ["A", "prometheus"],
      ["C", "__expr__"],
    ]);
    expect(first.notification_settings?.contact_point).toMatch(/^\$\{grafana_contact_point\.alerts_contact-point_\w+\.name\}$/);
    expect(first.annotations.summary).toContain("{{ $values.A.Value }}");
    expect(resourcesOfType(parsed, "grafana_notification_policy")).toHaveLength(0);
  });

  it("can write each query model as JSON when the datasource uid is literal, and through a local when it is a token", () => {
    const { parsed } = synthesize((stack) => {
      new TrivyGrafanaAlerts(stack, "alerts", {
        datasourceUid: "prometheus",
        contactPoint: { type: "email", addresses: ["security@example.com"] },
        folderUid: "security",
      });
    });
    const group = onlyResourceOfType(parsed, "grafana_rule_group") as { folder_uid: string; rule: SynthRule[] };
    const vulns = queryModels(group.rule).TrivyCriticalVulnerabilities!;
    expect(promqlFacts(vulns.expr).selectors[0]).toEqual({
      metric: "trivy_image_vulnerabilities",
      matchers: [{ label: "severity", op: "=", value: "Critical" }],
    });
    expect(vulns).toMatchObject({ refId: "A", instant: true, datasource: { type: "prometheus", uid: "prometheus" } });
    expect(Object.keys(parsed.locals ?? {}).filter((name) => name.includes("query-models"))).toEqual([]);
    expect(group.folder_uid).toBe("security");
    expect(resourcesOfType(parsed, "grafana_folder")).toHaveLength(0);
    expect(onlyResourceOfType(parsed, "grafana_contact_point")).toMatchObject({ email: [{ addresses: ["security@example.com"] }] });

    const withToken = synthesize((stack) => {
      const uid = new TerraformVariable(stack, "datasource_uid", { type: "string" });
      new TrivyGrafanaAlerts(stack, "alerts", { datasourceUid: uid.stringValue, contactPoint: { type: "email", addresses: ["a@b.c"] } });
    }).parsed;
    const tokenRules = (onlyResourceOfType(withToken, "grafana_rule_group") as { rule: SynthRule[] }).rule;
    expect(tokenRules[0]!.data[0]!.model).toMatch(/^\$\{jsonencode\(local\.alerts_query-models_\w+\.TrivyCriticalVulnerabilities\)\}$/);
  });

  it("can route through a notification policy and a webhook with sensitive credentials", () => {
    const { json, parsed } = synthesize((stack) => {
      const token = new TerraformVariable(stack, "alert_webhook_token", { type: "string", sensitive: true });
      new TrivyGrafanaAlerts(stack, "alerts", {
        datasourceUid: "prometheus",
        contactPoint: { type: "webhook", url: "https://alerts.example.com/trivy", authorizationCredentials: token.stringValue },
        notificationPolicy: true,
      });
    });
    expect(json).not.toContain(SENTINEL_SECRET);
    expect(onlyResourceOfType(parsed, "grafana_contact_point")).toMatchObject({
      webhook: [
        {
          url: "https://alerts.example.com/trivy",
          authorization_credentials: "${var.alert_webhook_token}",
          authorization_scheme: "Bearer",
        },
      ],
    });
    expect(onlyResourceOfType(parsed, "grafana_notification_policy")).toMatchObject({ group_by: ["alertname", "namespace"] });
    const group = onlyResourceOfType(parsed, "grafana_rule_group") as { rule: SynthRule[] };
    expect(group.rule[0]!.notification_settings).toBeUndefined();
  });

  it("can alert exactly as the PrometheusRule: same PromQL, for, labels, annotations and grace", () => {
    // GIVEN one set of non-default options for both kinds of rules
    const alertRules: TrivyAlertRulesOptions = {
      operatorNamespace: "security",
      scannerReportTTL: "12h",
      findingsKeepFiringFor: "45m",
      criticalVulnerabilitiesThreshold: 2,
      criticalConfigAuditFor: "1h",
      exposedSecretSeverities: ["Critical"],
      additionalLabels: { team: "security" },
    };
    const { parsed } = synthesize((stack) => {
      // The PrometheusRule takes namespace and report TTL from its operator, the Grafana rules from alertRules.
      const operator = TrivyOperator.fromAttributes(stack, "operator", { namespace: "security", scannerReportTTL: "12h" });
      new TrivyOperatorMonitoring(stack, "monitoring", { operator, alertRules });
      new TrivyGrafanaAlerts(stack, "alerts", {
        datasourceUid: "prometheus",
        contactPoint: { type: "email", addresses: ["security@example.com"] },
        alertRules,
        intervalSeconds: 60,
      });
    });
    const release = resourcesOfType(parsed, "helm_release")[0]!;
    const manifests = (JSON.parse((release.values as string[])[0]!.replaceAll("$${", "${")) as { manifests: KubernetesManifest[] })
      .manifests;
    const prometheusRules = (
      manifests.find((manifest) => manifest.kind === "PrometheusRule")!.spec as {
        groups: Array<{
          rules: Array<{
            alert: string;
            expr: string;
            for: string;
            keep_firing_for?: string;
            labels: Record<string, string>;
            annotations: Record<string, string>;
          }>;
        }>;
      }
    ).groups[0]!.rules;
    const grafanaRules = (onlyResourceOfType(parsed, "grafana_rule_group") as { rule: SynthRule[] }).rule;
    const models = queryModels(grafanaRules);

    // THEN rule by rule
    expect(grafanaRules.map((rule) => rule.name)).toEqual(prometheusRules.map((rule) => rule.alert));
    const unescape = (text: string) => text.replaceAll("$${", "${").replaceAll("%%{", "%{");
    for (const [index, prometheusRule] of prometheusRules.entries()) {
      const grafanaRule = grafanaRules[index]!;
      expect(models[prometheusRule.alert]!.expr).toBe(prometheusRule.expr);
      expect(grafanaRule.for).toBe(prometheusRule.for);
      expect(grafanaRule.keep_firing_for).toBe(prometheusRule.keep_firing_for);
      // Resolves when Prometheus' keep_firing_for does: 45m of 60s evaluations after the first missing one.
      expect(grafanaRule.missing_series_evals_to_resolve).toBe(prometheusRule.keep_firing_for === undefined ? 1 : 46);
      expect(Object.fromEntries(Object.entries(grafanaRule.labels).map(([key, value]) => [key, unescape(value)]))).toEqual(
        prometheusRule.labels,
      );
      for (const key of ["summary", "description"] as const) {
        expect(unescape(grafanaRule.annotations[key]!)).toBe(
          prometheusRule.annotations[key]!.replaceAll("{{ $value }}", "{{ $values.A.Value }}"),
        );
      }
    }
    expect(prometheusRules.filter((rule) => rule.keep_firing_for === "45m").map((rule) => rule.alert)).toEqual([
      "TrivyCriticalVulnerabilities",
      "TrivyExposedSecrets",
      "TrivyCriticalConfigAuditFindings",
    ]);
  });

  it("can resolve a missing series after the grace, counted in evaluations", () => {
    expect(missingSeriesEvalsToResolve(undefined, 60)).toBe(1);
    expect(missingSeriesEvalsToResolve("1h", 60)).toBe(61);
    expect(missingSeriesEvalsToResolve("1h", 90)).toBe(41);
  });

  it("fails when given a literal secret, without echoing it", () => {
    let message = "";
    try {
      synthesize(
        (stack) =>
          new TrivyGrafanaAlerts(stack, "alerts", { datasourceUid: "prometheus", contactPoint: { type: "slack", url: SENTINEL_SECRET } }),
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /contactPoint\.url "<literal secret>" is invalid: a literal string; pass the value of a sensitive TerraformVariable/,
    );
    expect(message).not.toContain(SENTINEL_SECRET);
  });

  const base: TrivyGrafanaAlertsProps = { datasourceUid: "prometheus", contactPoint: { type: "email", addresses: ["a@example.com"] } };
  it.each<[string, TrivyGrafanaAlertsProps, RegExp]>([
    [
      "no contact point",
      { datasourceUid: "prometheus" } as never,
      /contactPoint.type undefined is invalid: use one of slack, webhook, email/,
    ],
    [
      "a Slack bot token without recipient",
      { ...base, contactPoint: { type: "slack", token: "${var.t}" } as never },
      /contactPoint.recipient undefined is invalid: name the channel or user/,
    ],
    ["a bad datasource uid", { ...base, datasourceUid: "a b" }, /datasourceUid "a b" is invalid/],
    [
      "both folder title and uid",
      { ...base, folderTitle: "x", folderUid: "y" },
      /folderTitle "x" is invalid: set folderTitle \(created\) or folderUid \(existing\), not both/,
    ],
    ["a too short interval", { ...base, intervalSeconds: 5 }, /intervalSeconds 5 is invalid/],
    ["an empty address list", { ...base, contactPoint: { type: "email", addresses: [] } }, /contactPoint.addresses \[\] is invalid/],
    ["upper-case severities", { ...base, alertRules: { exposedSecretSeverities: ["CRITICAL" as never] } }, /did you mean "Critical"/],
  ])("fails when given %s", (_case, props, message) => {
    expect(() => synthesize((stack) => new TrivyGrafanaAlerts(stack, "alerts", props))).toThrow(message);
  });
});
