import { describe, expect, it } from "vitest";
import { TRIVY_ALERT_NAMES, trivyAlertRules, type TrivyAlertName, type TrivyAlertRule } from "../../../modules/monitoring/alert-rules";
import { ValidationError } from "../../../modules/common/validation-error";
import { promqlFacts } from "./promql";

const byName = (rules: TrivyAlertRule[], name: TrivyAlertName): TrivyAlertRule => {
  const rule = rules.find((candidate) => candidate.alert === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};

describe("trivyAlertRules |", () => {
  const defaults = trivyAlertRules();

  it("can build the five alerts a security team needs", () => {
    expect(defaults.map((rule) => rule.alert)).toEqual([...TRIVY_ALERT_NAMES]);
  });

  it.each(TRIVY_ALERT_NAMES)("can parse %s as PromQL without error nodes", (name) => {
    const facts = promqlFacts(byName(defaults, name).expr);
    expect(facts.errors).toEqual([]);
    expect(facts.selectors.length).toBeGreaterThan(0);
  });

  it("can select Critical image vulnerabilities per workload and image, current values only, bridged by keep_firing_for", () => {
    const rule = byName(defaults, "TrivyCriticalVulnerabilities");
    const facts = promqlFacts(rule.expr);
    expect(facts.selectors).toEqual([
      { metric: "trivy_image_vulnerabilities", matchers: [{ label: "severity", op: "=", value: "Critical" }] },
    ]);
    // No range function: for: must see a short-lived finding end (behaviour: promtool-rules.test.ts).
    expect(facts.functions).toEqual([]);
    expect(facts.ranges).toEqual([]);
    expect(rule.expr).toMatch(
      /^max by \(namespace, resource_kind, resource_name, container_name, image_registry, image_repository, image_tag\)/,
    );
    expect(rule.expr).toMatch(/> 0$/);
    expect(rule).toMatchObject({ for: "15m", keepFiringFor: "1h", labels: { severity: "critical" } });
  });

  it("can use the Title-case severity values the operator emits", () => {
    for (const rule of defaults) {
      for (const selector of promqlFacts(rule.expr).selectors) {
        for (const matcher of selector.matchers.filter((m) => m.label === "severity")) {
          expect(matcher.value).not.toMatch(/CRITICAL|HIGH/);
          expect(matcher.value.split("|").every((value) => /^[A-Z][a-z]+$/.test(value))).toBe(true);
        }
      }
    }
  });

  it("can select exposed secrets, critical config audits, operator health and failed scan jobs", () => {
    expect(promqlFacts(byName(defaults, "TrivyExposedSecrets").expr).selectors).toEqual([
      { metric: "trivy_image_exposedsecrets", matchers: [{ label: "severity", op: "=~", value: "Critical|High" }] },
    ]);
    expect(promqlFacts(byName(defaults, "TrivyCriticalConfigAuditFindings").expr).selectors).toEqual([
      { metric: "trivy_resource_configaudits", matchers: [{ label: "severity", op: "=", value: "Critical" }] },
    ]);
    const absent = promqlFacts(byName(defaults, "TrivyOperatorAbsent").expr);
    expect(absent.functions).toEqual(["absent"]);
    expect(absent.selectors).toEqual([
      {
        metric: "up",
        matchers: [
          { label: "job", op: "=", value: "trivy-operator" },
          { label: "namespace", op: "=", value: "trivy-system" },
        ],
      },
    ]);
    const jobs = promqlFacts(byName(defaults, "TrivyScanJobsFailing").expr);
    expect(jobs.selectors).toEqual([
      {
        metric: "kube_job_created",
        matchers: [
          { label: "namespace", op: "=", value: "trivy-system" },
          { label: "job_name", op: "=~", value: "scan-vulnerabilityreport-.*" },
        ],
      },
    ]);
    expect(jobs.functions).toEqual(["changes"]);
    expect(jobs.ranges).toEqual(["24h"]);
    expect(jobs.numbers).toEqual([1, 3]);
    expect(byName(defaults, "TrivyScanJobsFailing").keepFiringFor).toBeUndefined();
    expect(byName(defaults, "TrivyOperatorAbsent").keepFiringFor).toBeUndefined();
  });

  it("can tune thresholds, durations, namespaces and labels", () => {
    // WHEN
    const rules = trivyAlertRules({
      operatorNamespace: "security",
      operatorJob: "trivy",
      scannerReportTTL: "12h",
      criticalVulnerabilitiesThreshold: 5,
      criticalVulnerabilitiesFor: "1h",
      criticalConfigAuditThreshold: 2,
      exposedSecretSeverities: ["Critical"],
      failedScanJobsThreshold: 10,
      scanJobFailureWindow: "2h",
      additionalLabels: { team: "security" },
    });

    // THEN
    const vulns = byName(rules, "TrivyCriticalVulnerabilities");
    expect(promqlFacts(vulns.expr).numbers).toEqual([5]);
    expect(vulns).toMatchObject({ for: "1h", labels: { severity: "critical", team: "security" } });
    expect(promqlFacts(byName(rules, "TrivyCriticalConfigAuditFindings").expr).numbers).toEqual([2]);
    expect(promqlFacts(byName(rules, "TrivyExposedSecrets").expr).selectors[0]!.matchers).toEqual([
      { label: "severity", op: "=~", value: "Critical" },
    ]);
    expect(promqlFacts(byName(rules, "TrivyOperatorAbsent").expr).selectors[0]!.matchers).toEqual([
      { label: "job", op: "=", value: "trivy" },
      { label: "namespace", op: "=", value: "security" },
    ]);
    const jobs = promqlFacts(byName(rules, "TrivyScanJobsFailing").expr);
    expect(jobs.ranges).toEqual(["2h"]);
    expect(jobs.numbers).toEqual([1, 10]);
    for (const rule of rules) expect(promqlFacts(rule.expr).errors).toEqual([]);
  });

  it("can take an explicit keep_firing_for and leave alerts out", () => {
    const rules = trivyAlertRules({ findingsKeepFiringFor: "2h", disabledAlerts: ["TrivyScanJobsFailing"] });
    expect(rules.map((rule) => rule.alert)).not.toContain("TrivyScanJobsFailing");
    expect(rules.filter((rule) => rule.keepFiringFor !== undefined).map((rule) => [rule.alert, rule.keepFiringFor])).toEqual([
      ["TrivyCriticalVulnerabilities", "2h"],
      ["TrivyExposedSecrets", "2h"],
      ["TrivyCriticalConfigAuditFindings", "2h"],
    ]);
  });

  it("can count scan-job creations within the report TTL by default", () => {
    expect(promqlFacts(byName(trivyAlertRules({ scannerReportTTL: "12h" }), "TrivyScanJobsFailing").expr).ranges).toEqual(["12h"]);
  });

  it("can take the operator's Go-duration TTL and count in Prometheus' spelling of it", () => {
    // The operator's time.ParseDuration takes 1.5h; a PromQL range (model.ParseDuration) does not.
    expect(promqlFacts(byName(trivyAlertRules({ scannerReportTTL: "1.5h" }), "TrivyScanJobsFailing").expr).ranges).toEqual(["1h30m"]);
    // The TTL still bounds keep_firing_for at its real length (90m), whatever the spelling.
    expect(() => trivyAlertRules({ scannerReportTTL: "1.5h", findingsKeepFiringFor: "90m" })).toThrow(
      /findingsKeepFiringFor "90m" is invalid: use a duration shorter than scannerReportTTL \(1.5h\)/,
    );
    expect(() => trivyAlertRules({ scannerReportTTL: "1.5h", findingsKeepFiringFor: "89m" })).not.toThrow();
  });

  it.each<[string, Parameters<typeof trivyAlertRules>[0], RegExp]>([
    [
      "upper-case severities",
      { exposedSecretSeverities: ["CRITICAL" as never] },
      /exposedSecretSeverities "CRITICAL" is invalid: the operator emits Title-case severities .*did you mean "Critical"\?/,
    ],
    [
      "a bad duration",
      { criticalVulnerabilitiesFor: "15 minutes" },
      /criticalVulnerabilitiesFor "15 minutes" is invalid: use a Prometheus duration/,
    ],
    [
      "a Go duration where Prometheus reads it",
      { criticalVulnerabilitiesFor: "1.5h" },
      /criticalVulnerabilitiesFor "1.5h" is invalid: use a Prometheus duration such as 30m, 24h or 1h30m/,
    ],
    [
      "a TTL in no grammar",
      { scannerReportTTL: "a day" },
      /scannerReportTTL "a day" is invalid: use the operator's Go duration \(such as 24h, 1.5h or 10m0s\) or a Prometheus duration/,
    ],
    ["a negative TTL", { scannerReportTTL: "-1h" }, /scannerReportTTL "-1h" is invalid: use the operator's Go duration/],
    ["a zero TTL", { scannerReportTTL: "0s" }, /scannerReportTTL "0s" is invalid: use a duration longer than 0s/],
    [
      "a negative threshold",
      { criticalVulnerabilitiesThreshold: -1 },
      /criticalVulnerabilitiesThreshold -1 is invalid: use a whole number >= 0/,
    ],
    [
      "a scan-job threshold every scan reaches",
      { failedScanJobsThreshold: 1 },
      /failedScanJobsThreshold 1 is invalid: use a whole number >= 2/,
    ],
    [
      "a scan-job window that holds healthy TTL rescans",
      { scannerReportTTL: "12h", scanJobFailureWindow: "36h" },
      /scanJobFailureWindow "36h" is invalid: a healthy workload's scan job is created 3 times in 36h with scannerReportTTL 12h; use a threshold above 3/,
    ],
    [
      "Unknown exposed-secret severities",
      { exposedSecretSeverities: ["Unknown" as never] },
      /exposedSecretSeverities "Unknown" is invalid: the operator never emits Unknown for exposed secrets/,
    ],
    [
      "a keep_firing_for as long as the TTL",
      { findingsKeepFiringFor: "1d" },
      /findingsKeepFiringFor "1d" is invalid: use a duration shorter than scannerReportTTL \(24h\)/,
    ],
    [
      "an unknown alert name",
      { disabledAlerts: ["TrivyEverything" as never] },
      /disabledAlerts "TrivyEverything" is invalid: use alert names/,
    ],
    ["a bad label name", { additionalLabels: { "team-name": "x" } }, /additionalLabels "team-name" is invalid/],
    ["a bad job regex", { scanJobNamePattern: "scan-(" }, /scanJobNamePattern "scan-\(" is invalid/],
  ])("fails when given %s", (_case, options, message) => {
    expect(() => trivyAlertRules(options)).toThrow(message);
  });

  it("fails with every problem at once, as data", () => {
    // GIVEN options with three independent mistakes, one of them a malformed duration the cross-checks depend on
    let error: unknown;
    try {
      trivyAlertRules({ scannerReportTTL: "a day", criticalVulnerabilitiesThreshold: -1, disabledAlerts: ["TrivyEverything" as never] });
    } catch (caught) {
      error = caught;
    }
    // THEN one ValidationError lists all three, and no cross-check trips over the bad TTL
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((problem) => [problem.path, problem.value])).toEqual([
      ["scannerReportTTL", "a day"],
      ["criticalVulnerabilitiesThreshold", -1],
      ["disabledAlerts", "TrivyEverything"],
    ]);
  });
});
