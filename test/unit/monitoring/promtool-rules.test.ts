import { describe, expect, it } from "vitest";
import {
  absent,
  CHECKOUT_CONFIG_AUDIT,
  CHECKOUT_REPORT,
  configAuditSeries,
  during,
  exposedSecretSeries,
  gone,
  jobCreatedSeries,
  jobStatusFailedSeries,
  KUBE_STATE_METRICS_TARGET,
  operatorUpSeries,
  present,
  scanJobName,
  vulnerabilitySeries,
  type ImageReport,
  type InputSeries,
} from "../../fixtures/metrics/emitted-series";
import type { EnvironmentsConfig, OperatorConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { checkRules, deployedRuleFile, promtoolAvailability, runPromtoolTests, type RuleFile } from "./promtool";

type DeployedRule = RuleFile["groups"][number]["rules"][number];

/**
 * The alert rules prod/eu-1 deploys, evaluated by the real Prometheus engine (`promtool test
 * rules`) on series shaped by test/fixtures/metrics/emitted-series.ts. One promtool group per
 * behaviour; times are scrapes of 1m (the ServiceMonitor scrapes every 60s).
 */

const promtool = promtoolAvailability();
if (!promtool.available && !promtool.required) console.log(`[promtool-rules] ${promtool.skipReason}`);

const H = 60; // scrapes per hour at 1m
const ROUTING = { team: "security" }; // eu-1's alertRules.additionalLabels

interface AlertExpectation {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }>;
}
interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertExpectation[];
}

const imageAlertLabels = (report: ImageReport) => ({
  namespace: report.namespace,
  resource_kind: report.resourceKind,
  resource_name: report.resourceName,
  container_name: report.containerName,
  image_registry: report.registry,
  image_repository: report.repository,
  image_tag: report.tag,
});

const vulnerabilityAlert = (report: ImageReport, value: number) => ({
  exp_labels: { ...imageAlertLabels(report), severity: "critical", ...ROUTING },
  exp_annotations: {
    summary: `${value} critical vulnerabilities in ${report.namespace}/${report.resourceName}`,
    description: `Image ${report.registry}/${report.repository}:${report.tag} (container ${report.containerName} of ${report.resourceKind} ${report.namespace}/${report.resourceName}) has ${value} Critical vulnerabilities. See \`kubectl get vulnerabilityreports -n ${report.namespace}\`.`,
  },
});

const secretAlert = (report: ImageReport, value: number) => ({
  exp_labels: { ...imageAlertLabels(report), severity: "critical", ...ROUTING },
  exp_annotations: {
    summary: `Secrets exposed in the image of ${report.namespace}/${report.resourceName}`,
    description: `Image ${report.repository}:${report.tag} of ${report.resourceKind} ${report.namespace}/${report.resourceName} contains ${value} exposed secrets (Critical/High). Rotate them, then rebuild the image. See \`kubectl get exposedsecretreports -n ${report.namespace}\`.`,
  },
});

const configAuditAlert = (value: number) => ({
  exp_labels: { namespace: "shop", resource_kind: "ReplicaSet", resource_name: "checkout-7c9f8d6b5", severity: "warning", ...ROUTING },
  exp_annotations: {
    summary: `${value} critical config audit findings on ReplicaSet shop/checkout-7c9f8d6b5`,
    description: "See `kubectl get configauditreports -n shop` for the failed checks and their remediation.",
  },
});

const operatorAbsentAlert = {
  // absent() of a comparison has no selector to take labels from: only the rule's labels.
  exp_labels: { severity: "critical", ...ROUTING },
  exp_annotations: {
    summary: "Trivy Operator is down or not scraped: findings are no longer reported",
    description:
      'No healthy scrape of job "trivy-operator" in namespace "trivy-system". Every other Trivy alert is blind until it is back. Check the operator pod and the ServiceMonitor.',
  },
};

const expectAt = (alertname: string, evalTime: string, alerts: AlertExpectation["exp_alerts"]): AlertExpectation => ({
  eval_time: evalTime,
  alertname,
  exp_alerts: alerts,
});
const silentAt = (alertname: string, ...times: string[]): AlertExpectation[] => times.map((time) => expectAt(alertname, time, []));

/** A later ReplicaSet of the same Deployment: other report name, other resource_name. */
const REPLACEMENT: ImageReport = {
  ...CHECKOUT_REPORT,
  name: "replicaset-checkout-5d4f9b8c7-app",
  resourceName: "checkout-5d4f9b8c7",
  tag: "1.4.3",
  digest: "sha256:9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d",
};
const REPULLED: ImageReport = { ...CHECKOUT_REPORT, digest: "sha256:7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b" };

const VULNS = "TrivyCriticalVulnerabilities";
const SECRETS = "TrivyExposedSecrets";
const AUDITS = "TrivyCriticalConfigAuditFindings";
const ABSENT = "TrivyOperatorAbsent";
const JOBS = "TrivyScanJobsFailing";

const FAILING_JOB = scanJobName("5d8f7c6b9a");
const scanJobAlert = (jobName: string, creations: number) => ({
  exp_labels: { namespace: "trivy-system", job_name: jobName, severity: "warning", ...ROUTING },
  exp_annotations: {
    summary: `Scan job ${jobName} was created ${creations} times in the last 24h: the scan of one workload keeps failing`,
    description:
      'The operator deletes a failed scan job and creates it again at the workload\'s next reconcile; a healthy workload is scanned once per report TTL. Find the workload and the reason with `npx trivy-operator-cdktf doctor` or the operator log line "Scan job container" (status.reason, status.message) in "trivy-system".',
  },
});
/** Unix time of the test's start (promtool's t=0 is the epoch); creation times only need to differ. */
const createdAt = (minute: number) => 1_764_000_000 + minute * 60;

const GROUPS: TestGroup[] = [
  // TrivyCriticalVulnerabilities
  {
    name: "critical vulnerabilities fire at the for: boundary, with labels and rendered annotations",
    interval: "1m",
    input_series: vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 3, High: 5, Medium: 11, Low: 2, Unknown: 1 }, [during(3 * H)]),
    alert_rule_test: [
      ...silentAt(VULNS, "14m"),
      expectAt(VULNS, "15m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
      expectAt(VULNS, "2h", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
    ],
  },
  {
    name: "High-only findings stay silent",
    interval: "1m",
    input_series: vulnerabilitySeries(CHECKOUT_REPORT, { High: 7, Medium: 3 }, [during(3 * H)]),
    alert_rule_test: silentAt(VULNS, "16m", "2h"),
  },
  {
    name: "D1: a vulnerable ReplicaSet replaced after 4 minutes never fires (its report is deleted at once)",
    interval: "1m",
    input_series: [
      ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 4 }, [during(5), gone(3 * H)]),
      ...vulnerabilitySeries(REPLACEMENT, { High: 1 }, [absent(6), during(3 * H)]),
    ],
    alert_rule_test: silentAt(VULNS, "15m", "20m", "2h"),
  },
  {
    name: "D2: a new digest for the same report replaces the count, never adds to it",
    interval: "1m",
    input_series: [
      ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 5 }, [during(10 * H), gone(2 * H)]),
      ...vulnerabilitySeries(REPULLED, { Critical: 3 }, [absent(10 * H), during(2 * H)]),
    ],
    alert_rule_test: [
      expectAt(VULNS, "9h", [vulnerabilityAlert(CHECKOUT_REPORT, 5)]),
      expectAt(VULNS, "10h30m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
      expectAt(VULNS, "11h", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
    ],
  },
  {
    name: "a new digest without Critical findings raises no alert of its own, and the old one clears after the grace",
    interval: "1m",
    input_series: [
      ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 2 }, [during(H), gone(3 * H)]),
      ...vulnerabilitySeries(REPULLED, { High: 4 }, [absent(H), during(3 * H)]),
    ],
    alert_rule_test: [expectAt(VULNS, "1h59m", [vulnerabilityAlert(CHECKOUT_REPORT, 2)]), ...silentAt(VULNS, "2h", "3h")],
  },
  {
    name: "a firing alert survives the rescan gap after the TTL deletion (45m) without going back to pending",
    interval: "1m",
    input_series: vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 3 }, [during(24 * H), gone(45), during(2 * H)]),
    alert_rule_test: [
      expectAt(VULNS, "24h10m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
      expectAt(VULNS, "24h44m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
      expectAt(VULNS, "24h50m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]),
    ],
  },
  {
    name: "critical vulnerabilities clear 1h (keep_firing_for) after the fix",
    interval: "1m",
    input_series: [
      ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 3 }, [during(2 * H), gone(3 * H)]),
      ...vulnerabilitySeries(REPLACEMENT, {}, [absent(2 * H), during(3 * H)]),
    ],
    alert_rule_test: [expectAt(VULNS, "2h59m", [vulnerabilityAlert(CHECKOUT_REPORT, 3)]), ...silentAt(VULNS, "3h", "4h")],
  },
  // TrivyExposedSecrets
  {
    name: "exposed Critical and High secrets of one report add up and fire at once",
    interval: "1m",
    input_series: exposedSecretSeries(CHECKOUT_REPORT, { Critical: 1, High: 2, Medium: 4 }, [during(2 * H)]),
    alert_rule_test: [
      expectAt(SECRETS, "0m", [secretAlert(CHECKOUT_REPORT, 3)]),
      expectAt(SECRETS, "1h", [secretAlert(CHECKOUT_REPORT, 3)]),
    ],
  },
  {
    name: "Medium-only secrets stay silent",
    interval: "1m",
    input_series: exposedSecretSeries(CHECKOUT_REPORT, { Medium: 2, Low: 5 }, [during(2 * H)]),
    alert_rule_test: silentAt(SECRETS, "0m", "1h"),
  },
  {
    name: "a new digest's secrets replace the old digest's count",
    interval: "1m",
    input_series: [
      ...exposedSecretSeries(CHECKOUT_REPORT, { Critical: 1, High: 1 }, [during(H), gone(2 * H)]),
      ...exposedSecretSeries(REPULLED, { High: 1 }, [absent(H), during(2 * H)]),
    ],
    alert_rule_test: [
      expectAt(SECRETS, "30m", [secretAlert(CHECKOUT_REPORT, 2)]),
      expectAt(SECRETS, "2h", [secretAlert(CHECKOUT_REPORT, 1)]),
    ],
  },
  {
    name: "exposed secrets clear 1h after the fix",
    interval: "1m",
    input_series: exposedSecretSeries(CHECKOUT_REPORT, { Critical: 1 }, [during(H), gone(3 * H)]),
    alert_rule_test: [expectAt(SECRETS, "1h59m", [secretAlert(CHECKOUT_REPORT, 1)]), ...silentAt(SECRETS, "2h")],
  },
  // TrivyCriticalConfigAuditFindings
  {
    name: "critical config audit findings fire at the 30m boundary; a resource with only High stays silent",
    interval: "1m",
    input_series: [
      ...configAuditSeries(CHECKOUT_CONFIG_AUDIT, { Critical: 2, High: 1 }, [during(2 * H)]),
      ...configAuditSeries(
        { namespace: "shop", name: "service-checkout", resourceKind: "Service", resourceName: "checkout" },
        { High: 3 },
        [during(2 * H)],
      ),
    ],
    alert_rule_test: [...silentAt(AUDITS, "29m"), expectAt(AUDITS, "30m", [configAuditAlert(2)])],
  },
  {
    name: "D4: a Critical finding that drops back to 0 after 5 minutes never fires",
    interval: "1m",
    input_series: configAuditSeries(CHECKOUT_CONFIG_AUDIT, { Critical: 1 }, [during(5)]).map((series) =>
      series.series.includes('severity="Critical"') ? { ...series, values: "1x4 0x120" } : { ...series, values: "0x125" },
    ),
    alert_rule_test: silentAt(AUDITS, "30m", "45m", "2h"),
  },
  {
    name: "critical config audit findings clear 1h after the fix",
    interval: "1m",
    input_series: configAuditSeries(CHECKOUT_CONFIG_AUDIT, { Critical: 1 }, [during(2 * H)]).map((series) =>
      series.series.includes('severity="Critical"') ? { ...series, values: "1x59 0x180" } : { ...series, values: "0x240" },
    ),
    alert_rule_test: [expectAt(AUDITS, "1h59m", [configAuditAlert(1)]), ...silentAt(AUDITS, "2h")],
  },
  // TrivyOperatorAbsent
  {
    name: "the operator's target gone for 15m fires",
    interval: "1m",
    input_series: [operatorUpSeries([present(1, 10), gone(H)])],
    alert_rule_test: [...silentAt(ABSENT, "24m"), expectAt(ABSENT, "25m", [operatorAbsentAlert])],
  },
  {
    name: "the operator's target down (up 0) for 15m fires, and clears as soon as it is back",
    interval: "1m",
    input_series: [operatorUpSeries([present(1, 10), present(0, 30), present(1, 30)])],
    alert_rule_test: [...silentAt(ABSENT, "24m"), expectAt(ABSENT, "25m", [operatorAbsentAlert]), ...silentAt(ABSENT, "40m")],
  },
  {
    name: "a healthy operator stays silent",
    interval: "1m",
    input_series: [operatorUpSeries([present(1, 2 * H)])],
    alert_rule_test: silentAt(ABSENT, "30m", "2h"),
  },
  // TrivyScanJobsFailing
  {
    name: "the same scan job created a third time within 24h fires, and clears when the first leaves the window",
    interval: "1m",
    input_series: [
      jobCreatedSeries(
        FAILING_JOB,
        [
          { startScrape: 0, scrapes: 2, createdUnix: createdAt(0) },
          { startScrape: 10 * H, scrapes: 2, createdUnix: createdAt(10 * H) },
          { startScrape: 20 * H, scrapes: 2, createdUnix: createdAt(20 * H) },
        ],
        26 * H,
      ),
    ],
    alert_rule_test: [
      ...silentAt(JOBS, "10h5m", "19h59m"),
      expectAt(JOBS, "20h", [scanJobAlert(FAILING_JOB, 3)]),
      expectAt(JOBS, "24h", [scanJobAlert(FAILING_JOB, 3)]),
      ...silentAt(JOBS, "24h5m"),
    ],
  },
  {
    name: "a healthy workload, scanned once per TTL, and a StatefulSet rolled out once stay silent",
    interval: "1m",
    input_series: [
      jobCreatedSeries(
        scanJobName("7c6b5a4d3e"),
        [
          { startScrape: 0, scrapes: 3, createdUnix: createdAt(0) },
          { startScrape: 24 * H + 10, scrapes: 3, createdUnix: createdAt(24 * H + 10) },
        ],
        30 * H,
      ),
      jobCreatedSeries(
        scanJobName("0f9e8d7c6b"),
        [
          { startScrape: 60, scrapes: 3, createdUnix: createdAt(60) },
          { startScrape: 300, scrapes: 3, createdUnix: createdAt(300) },
        ],
        30 * H,
      ),
    ],
    alert_rule_test: silentAt(JOBS, "5h10m", "24h15m", "30h"),
  },
  {
    name: "D3: one failed job counts once, whatever its kube_job_status_failed series and however many kube-state-metrics replicas report it",
    interval: "1m",
    input_series: [
      jobCreatedSeries(
        FAILING_JOB,
        [
          { startScrape: 0, scrapes: 2, createdUnix: createdAt(0) },
          { startScrape: 10 * H, scrapes: 2, createdUnix: createdAt(10 * H) },
        ],
        12 * H,
      ),
      // The second kube-state-metrics replica of an HA install reports the same Job.
      (() => {
        const series = jobCreatedSeries(
          FAILING_JOB,
          [
            { startScrape: 0, scrapes: 2, createdUnix: createdAt(0) },
            { startScrape: 10 * H, scrapes: 2, createdUnix: createdAt(10 * H) },
          ],
          12 * H,
        );
        return { ...series, series: series.series.replace(KUBE_STATE_METRICS_TARGET.instance, "10.244.2.9:8080") };
      })(),
      // The failure as kube-state-metrics shows it, when a scrape catches it: reason "" first,
      // then the known reason once the Failed condition is set.
      jobStatusFailedSeries(FAILING_JOB, undefined, "0 stale"),
      jobStatusFailedSeries(FAILING_JOB, "", "_ 1 stale"),
      jobStatusFailedSeries(FAILING_JOB, "BackoffLimitExceeded", "_ _ 1 stale"),
    ],
    alert_rule_test: silentAt(JOBS, "1m", "10h1m", "11h"),
  },
  {
    name: "node collector jobs are not scan jobs",
    interval: "1m",
    input_series: [
      {
        ...jobCreatedSeries(
          "node-collector-6d5c4b3a2f",
          [0, 1, 2, 3, 4].map((i) => ({ startScrape: i * 60, scrapes: 2, createdUnix: createdAt(i * 60) })),
          6 * H,
        ),
      },
    ],
    alert_rule_test: silentAt(JOBS, "4h5m", "5h"),
  },
];

/** The shipped environments with prod/eu-1's operator options changed. */
function withEu1Operator(operator: Partial<OperatorConfig>): EnvironmentsConfig {
  const environments = defineEnvironments();
  const prod = environments.prod;
  const clusters = prod.clusters.map((cluster) =>
    cluster.name === "eu-1" ? { ...cluster, operator: { ...cluster.operator, ...operator } } : cluster,
  );
  return { ...environments, prod: { ...prod, clusters } };
}

describe.skipIf(!promtool.available)(`alert rules on the real Prometheus engine (promtool ${promtool.version ?? "missing"}) |`, () => {
  const rules = deployedRuleFile();
  const testFile = { rule_files: ["rules.yml"], evaluation_interval: "1m", tests: GROUPS };

  it("can pass promtool check rules on the PrometheusRule prod/eu-1 deploys", async () => {
    const run = await checkRules(rules);
    expect(run.output).toContain("SUCCESS: 5 rules found");
    expect(run.ok).toBe(true);
  });

  it("can pass promtool check rules when the operator's scannerReportTTL is a fractional Go duration", async () => {
    // GIVEN prod/eu-1 with scannerReportTTL "1.5h": valid for the operator (Go time.ParseDuration),
    // not for Prometheus (model.ParseDuration takes whole numbers) WHEN its rules are synthesized
    // THEN the scan-job window is respelled 1h30m and the real engine accepts the file.
    const fractional = deployedRuleFile("eu-1", withEu1Operator({ scannerReportTTL: "1.5h" }));
    const scanJobs = fractional.groups.flatMap((group) => group.rules).find((rule) => rule.alert === "TrivyScanJobsFailing");
    expect(scanJobs?.expr).toContain("}[1h30m])");
    const run = await checkRules(fractional);
    expect(run.output).toContain("SUCCESS: 5 rules found");
    expect(run.ok).toBe(true);
  });

  it("can count scan jobs in the workloads' namespaces when the operator runs them there (scanJobsInSameNamespace)", async () => {
    // GIVEN prod/eu-1 with extraValues.trivyOperator.scanJobsInSameNamespace: the operator creates
    // each scan Job in its workload's namespace (trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go
    // updateScanJobForWorkloadNamespace), so kube-state-metrics reports it there.
    const sameNamespace = withEu1Operator({ extraValues: { trivyOperator: { scanJobsInSameNamespace: true } } });
    const workloadJob = jobCreatedSeries(
      FAILING_JOB,
      [0, 5, 10].map((hour) => ({ startScrape: hour * H, scrapes: 2, createdUnix: createdAt(hour * H) })),
      12 * H,
      "shop",
    );
    const group = (name: string, alerts: AlertExpectation["exp_alerts"]): TestGroup => ({
      name,
      interval: "1m",
      input_series: [workloadJob],
      alert_rule_test: [expectAt(JOBS, "10h1m", alerts)],
    });
    const inShop = scanJobAlert(FAILING_JOB, 3);
    const fired = {
      exp_labels: { ...inShop.exp_labels, namespace: "shop" },
      exp_annotations: {
        ...inShop.exp_annotations,
        description: inShop.exp_annotations.description.replace(/\.$/, "; the Job ran in shop."),
      },
    };
    // WHEN the synthesized rules see a scan job in "shop" created a third time
    // THEN they fire for it, with the workload's namespace
    const widened = await runPromtoolTests(deployedRuleFile("eu-1", sameNamespace), {
      ...testFile,
      tests: [group("a scan job in the workload's namespace counts", [fired])],
    });
    expect(widened.output, `promtool output (files in ${widened.dir})`).toContain("SUCCESS");
    // AND the default rules (scan jobs in trivy-system only) do not look there
    const narrow = await runPromtoolTests(rules, { ...testFile, tests: [group("the default rules watch trivy-system only", [])] });
    expect(narrow.output, `promtool output (files in ${narrow.dir})`).toContain("SUCCESS");
  });

  it("covers every alert the stack deploys", () => {
    const deployed = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    const tested = new Set(GROUPS.flatMap((group) => group.alert_rule_test.map((test) => test.alertname)));
    expect([...tested].sort()).toEqual([...deployed].sort());
  });

  it("can behave as documented: for:, silence, the rescan gap, keep_firing_for and the scan-job re-creations", async () => {
    const run = await runPromtoolTests(rules, testFile);
    expect(run.output, `promtool output (files in ${run.dir})`).toContain("SUCCESS");
    expect(run.ok).toBe(true);
  });

  // The tests above must be able to fail: each mutation is a mistake they exist to catch.
  it.concurrent.each<[string, (rule: DeployedRule) => DeployedRule, string[]]>([
    [
      "upper-case severities",
      (rule) => ({ ...rule, expr: rule.expr.replaceAll('severity="Critical"', 'severity="CRITICAL"') }),
      ["critical vulnerabilities fire at the for: boundary"],
    ],
    [
      "the previous findings rule (sum over max_over_time[25h]): D1 and D2",
      (rule) =>
        rule.alert === VULNS
          ? {
              ...rule,
              expr: rule.expr.replace(
                /^max by \((.*?)\) \((trivy_image_vulnerabilities\{[^}]*\})\)/,
                "sum by ($1) (max_over_time($2[25h]))",
              ),
            }
          : rule,
      ["D1: a vulnerable ReplicaSet replaced", "D2: a new digest"],
    ],
    [
      "a sum instead of max over scan-job series: D3",
      (rule) =>
        rule.alert === JOBS ? { ...rule, expr: rule.expr.replace("max by (namespace, job_name)", "sum by (namespace, job_name)") } : rule,
      ["D3: one failed job counts once"],
    ],
    [
      "the wrong scan-job name pattern",
      (rule) => ({ ...rule, expr: rule.expr.replace("scan-vulnerabilityreport-.*", "scan-vulnerability-.*") }),
      ["the same scan job created a third time"],
    ],
    [
      "no keep_firing_for",
      ({ keep_firing_for: _dropped, ...rule }) => rule,
      ["a firing alert survives the rescan gap", "critical vulnerabilities clear 1h", "exposed secrets clear 1h"],
    ],
  ])("fails when the rules have %s", async (_mutation, mutate, failingGroups) => {
    const mutated: RuleFile = { groups: rules.groups.map((group) => ({ ...group, rules: group.rules.map(mutate) })) };
    // Only the groups meant to catch it: promtool evaluates every rule over every group's time span.
    const run = await runPromtoolTests(mutated, {
      ...testFile,
      tests: GROUPS.filter((group) => failingGroups.some((prefix) => group.name.startsWith(prefix))),
    });
    expect(run.ok).toBe(false);
    for (const prefix of failingGroups) expect(run.output).toContain(`name: ${prefix}`);
  });
});

describe.runIf(!promtool.available && promtool.required)("promtool required (TRIVY_REQUIRE_PROMTOOL=1) |", () => {
  it("fails because promtool is missing", () => {
    expect.fail(`${promtool.skipReason}; TRIVY_REQUIRE_PROMTOOL=1 forbids skipping`);
  });
});
