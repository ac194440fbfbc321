import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CHECKOUT_CONFIG_AUDIT,
  CHECKOUT_REPORT,
  clusterRoleRbacSeries,
  configAuditSeries,
  during,
  exposedSecretSeries,
  reconcileTotalSeries,
  roleRbacSeries,
  vulnerabilitySeries,
  type InputSeries,
} from "../../fixtures/metrics/emitted-series";
import { existsSync } from "node:fs";
import { DASHBOARD_CATALOG } from "../../../dashboards/catalog";
import { fixTrivyQueries, type DashboardModel } from "../../../modules/grafana-dashboard/prepare-dashboard";
import { downloadFileName } from "../../../scripts/download-dashboards";
import { promtoolAvailability, runPromtoolTests } from "./promtool";

/**
 * Every query of the dashboard we provision, evaluated by the real Prometheus engine on the series
 * of test/fixtures/metrics/emitted-series.ts (promtool `promql_expr_test`).
 *
 * - The export the repository keeps for air-gapped delivery (test/fixtures/dashboards/
 *   trivy-operator-export.json, the `sourceFile` example of docs/monitoring.md) is checked against
 *   values worked out by hand.
 * - Any dashboard (that export, a revision-2-shaped variant built below, and the pinned grafana.com
 *   revisions when `TRIVY_DASHBOARD_DOWNLOADS=<dir>` names a directory written by
 *   scripts/download-dashboards.ts — the `dashboard-revisions` job of .github/workflows/ci.yml) is
 *   checked for emptiness: as published, a query returns nothing exactly when fixTrivyQueries has
 *   to change it, and after fixTrivyQueries (what sidecar/grafana-api `sourceFile` deliveries
 *   get) every visible query returns data. grafana.com cannot be reached offline.
 */
const promtool = promtoolAvailability();
if (!promtool.available && !promtool.required) console.log(`[promtool-dashboard] ${promtool.skipReason}`);

const DASHBOARDS = [resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json")];

/** Grafana's built-in variables at view time: a 1m step over the last hour. */
const BUILT_IN_VARIABLES: ReadonlyArray<[RegExp, string]> = [
  [/\$\{__interval\}|\$__interval\b/g, "1m"],
  // Grafana: max(4 × scrape interval, interval + scrape interval); the ServiceMonitor scrapes every 60s.
  [/\$\{__rate_interval\}|\$__rate_interval\b/g, "4m"],
  [/\$\{__range\}|\$__range\b/g, "1h"],
];
/** A dashboard variable in any of Grafana's syntaxes: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
const DASHBOARD_VARIABLE = /\$\{[^}]+\}|\$\w+|\[\[[\w:]+\]\]/g;
/** A label matcher whose value uses a dashboard variable. */
const MATCHER_WITH_VARIABLE = /(\w+)\s*(=~|=)\s*"([^"]*(?:\$|\[\[)[^"]*)"/g;

/**
 * A query as Grafana sends it with every dashboard variable on "All": a matcher on a variable
 * becomes a regex that matches every value (`namespace="$namespace"` → `namespace=~".*"`).
 */
function resolveVariables(expr: string): string {
  const withBuiltIns = BUILT_IN_VARIABLES.reduce((text, [pattern, value]) => text.replace(pattern, value), expr);
  return withBuiltIns.replace(MATCHER_WITH_VARIABLE, (_matcher, label: string, _op: string, value: string) => {
    return `${label}=~"${value.replace(DASHBOARD_VARIABLE, ".*")}"`;
  });
}

interface DashboardQuery {
  /** `<panel id>/<refId>`, or `var/<name>` for a variable's query. */
  readonly key: string;
  readonly title: string;
  readonly expr: string;
}

/** Every Prometheus query: panel targets (collapsed rows' and legacy `rows` panels included) and query variables. */
function dashboardQueries(dashboard: {
  panels?: unknown[];
  rows?: Array<{ panels?: unknown[] }>;
  templating?: { list?: unknown[] };
}): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: unknown[] | undefined): void => {
    for (const panel of (panels ?? []) as Array<{
      id?: number;
      title?: string;
      targets?: Array<{ refId?: string; expr?: string; hide?: boolean }>;
      panels?: unknown[];
    }>) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === "string" && target.hide !== true)
          queries.push({ key: `${panel.id}/${target.refId}`, title: panel.title ?? "", expr: target.expr });
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  // Dashboards of schema < 16 keep their panels in rows.
  for (const row of dashboard.rows ?? []) visit(row.panels);
  for (const variable of (dashboard.templating?.list ?? []) as Array<{ name: string; type: string; query?: string | { query?: string } }>) {
    if (variable.type !== "query") continue;
    const text = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
    queries.push({ key: `var/${variable.name}`, title: `variable ${variable.name}`, expr: variableQueryAsPromql(text.trim()) });
  }
  return queries;
}

/**
 * Grafana's Prometheus variable functions as the PromQL they stand for: `label_values(metric,
 * label)` and `label_values(label)` are series queries (group by the label); a plain query stays.
 */
function variableQueryAsPromql(text: string): string {
  const ofMetric = /^label_values\((\w+)(\{[^}]*\})?,\s*(\w+)\)$/.exec(text);
  if (ofMetric) return `group by (${ofMetric[3]}) (${ofMetric[1]}${ofMetric[2] ?? ""})`;
  const ofLabel = /^label_values\((\w+)\)$/.exec(text);
  if (ofLabel) return `group by (${ofLabel[1]}) ({${ofLabel[1]}!=""})`;
  const queryResult = /^query_result\((.*)\)$/s.exec(text);
  return queryResult ? queryResult[1]! : text;
}

/** A second namespace, so "All" and per-namespace sums differ from one report's numbers. */
const PAYMENTS_REPORT = {
  ...CHECKOUT_REPORT,
  namespace: "payments",
  name: "replicaset-ledger-6b7c8d9e0f-app",
  resourceName: "ledger-6b7c8d9e0f",
  containerName: "ledger",
  repository: "payments/ledger",
  tag: "2.0.1",
};

const SERIES: InputSeries[] = [
  ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 3, High: 5, Medium: 11, Low: 2, Unknown: 1 }, [during(60)]),
  ...vulnerabilitySeries(PAYMENTS_REPORT, { Critical: 1, High: 2 }, [during(60)]),
  ...configAuditSeries(CHECKOUT_CONFIG_AUDIT, { Critical: 2, High: 1, Medium: 4 }, [during(60)]),
  ...configAuditSeries({ namespace: "shop", name: "service-checkout", resourceKind: "Service", resourceName: "checkout" }, { High: 3 }, [
    during(60),
  ]),
  ...roleRbacSeries(
    { namespace: "shop", name: "role-868458b9d6", resourceKind: "Role", resourceName: "checkout-reader" },
    { High: 1, Medium: 2 },
    [during(60)],
  ),
  ...clusterRoleRbacSeries(
    { name: "clusterrole-6f69bb5b79", resourceKind: "ClusterRole", resourceName: "admin" },
    { Critical: 1, High: 4 },
    [during(60)],
  ),
  // 60 reconciles a minute: 1/s.
  reconcileTotalSeries("job", "success", "0+60x60"),
  // Not used by the shipped export: here so that a grafana.com revision's secrets panel has data.
  ...exposedSecretSeries(CHECKOUT_REPORT, { Critical: 1, High: 0, Medium: 2, Low: 0 }, [during(60)]),
];

/** What each query returns at 30m on SERIES, worked out by hand from the counts above. */
const EXPECTED: Record<string, Array<{ labels: string; value: number }>> = {
  // sum(Critical) over both namespaces: 3 + 1.
  "2/A": [{ labels: "{}", value: 4 }],
  // Share of all 25 findings per severity: Critical 4, High 7, Medium 11, Low 2, Unknown 1.
  "3/A": [
    { labels: '{severity="Critical"}', value: 16 },
    { labels: '{severity="High"}', value: 28 },
    { labels: '{severity="Low"}', value: 8 },
    { labels: '{severity="Medium"}', value: 44 },
    { labels: '{severity="Unknown"}', value: 4 },
  ],
  "3/B": [{ labels: "{}", value: 1 }],
  "5/A": [
    { labels: '{namespace="shop", resource_kind="ReplicaSet", resource_name="checkout-7c9f8d6b5", severity="Critical"}', value: 2 },
    { labels: '{namespace="shop", resource_kind="ReplicaSet", resource_name="checkout-7c9f8d6b5", severity="High"}', value: 1 },
    { labels: '{namespace="shop", resource_kind="Service", resource_name="checkout", severity="High"}', value: 3 },
  ],
  "var/namespace": [
    { labels: '{namespace="payments"}', value: 1 },
    { labels: '{namespace="shop"}', value: 1 },
  ],
};

/**
 * Queries that return nothing on what the operator emits, and why (docs/monitoring.md lists them).
 * Empty for this file; revision 2's RBAC panel (`severity="UNKNOWN"`, which RBAC series never
 * carry: collector.go rbacAssessmentSeverities) would belong here.
 */
const EMPTY_QUERIES: Record<string, string> = {};

describe.skipIf(!promtool.available)(
  `dashboard queries on the real Prometheus engine (promtool ${promtool.version ?? "missing"}) |`,
  () => {
    for (const file of DASHBOARDS) {
      const dashboard = JSON.parse(readFileSync(file, "utf8")) as Parameters<typeof dashboardQueries>[0];
      const queries = dashboardQueries(dashboard);

      it("has an expectation or a documented reason for every query of the dashboard", () => {
        expect(queries.map((query) => query.key).sort()).toEqual([...Object.keys(EXPECTED), ...Object.keys(EMPTY_QUERIES)].sort());
      });

      it("can evaluate every query on the operator's and kube-state-metrics' series", async () => {
        const tests = [
          {
            interval: "1m",
            input_series: SERIES,
            promql_expr_test: queries.map((query) => ({
              expr: resolveVariables(query.expr),
              eval_time: "30m",
              exp_samples: (EXPECTED[query.key] ?? []).map((sample) => ({ labels: sample.labels, value: sample.value })),
            })),
          },
        ];
        const run = await runPromtoolTests({ groups: [] }, { rule_files: [], evaluation_interval: "1m", tests });
        expect(run.output, `promtool output (files in ${run.dir})`).toContain("SUCCESS");
        expect(run.ok).toBe(true);
      });

      it("returns something for every query not listed as empty", () => {
        for (const query of queries) {
          if (!(query.key in EMPTY_QUERIES))
            expect(EXPECTED[query.key]?.length, `${query.key} ${query.title}: ${query.expr}`).toBeGreaterThan(0);
        }
      });
    }

    it("fails when a query asks for a severity the operator does not emit", async () => {
      // The mistake EMPTY_QUERIES exists for: promtool returns nothing, so an expectation of a value fails.
      const run = await runPromtoolTests(
        { groups: [] },
        {
          rule_files: [],
          evaluation_interval: "1m",
          tests: [
            {
              interval: "1m",
              input_series: SERIES,
              promql_expr_test: [
                {
                  expr: 'sum(trivy_role_rbacassessments{severity="UNKNOWN"})',
                  eval_time: "30m",
                  exp_samples: [{ labels: "{}", value: 0 }],
                },
              ],
            },
          ],
        },
      );
      expect(run.ok).toBe(false);
      expect(run.output).toContain("got: nil");
    });
  },
);

/** The query's result reduced to `{} 1` when it returns any series and `{} 0` when it returns none. */
function dataProbe(expr: string): string {
  return `(count((${resolveVariables(expr)})) > bool 0) or vector(0)`;
}

interface EmptinessCheck {
  readonly asPublished: ReadonlyArray<DashboardQuery & { readonly hasData: boolean }>;
  readonly delivered: readonly DashboardQuery[];
  /** What fixTrivyQueries changed, as it reports it (the reasons a published query is empty). */
  readonly fixes: readonly string[];
}

/**
 * What each query should return on SERIES: as published, data unless fixTrivyQueries rewrites or
 * hides it (an upper-case severity, or `Unknown` from a family that never emits it); as delivered
 * from a file (after fixTrivyQueries), data for every query still visible.
 */
function emptinessCheck(dashboard: DashboardModel): EmptinessCheck {
  const fixed = fixTrivyQueries(dashboard);
  const delivered = dashboardQueries(fixed.dashboard);
  const deliveredExpr = new Map(delivered.map((query) => [query.key, query.expr]));
  const asPublished = dashboardQueries(dashboard as Parameters<typeof dashboardQueries>[0]).map((query) => ({
    ...query,
    hasData: deliveredExpr.get(query.key) === query.expr,
  }));
  return { asPublished, delivered, fixes: fixed.changes };
}

/** One promtool run: every probe at 30m on SERIES against the expected `{} 1` / `{} 0`. */
async function runEmptinessProbes(probes: ReadonlyArray<{ readonly expr: string; readonly hasData: boolean }>) {
  const tests = [
    {
      interval: "1m",
      input_series: SERIES,
      promql_expr_test: probes.map((probe) => ({
        expr: dataProbe(probe.expr),
        eval_time: "30m",
        exp_samples: [{ labels: "{}", value: probe.hasData ? 1 : 0 }],
      })),
    },
  ];
  return runPromtoolTests({ groups: [] }, { rule_files: [], evaluation_interval: "1m", tests });
}

/**
 * The shape the 2026-12-02 metrics review reports for grafana.com revision 2 (an RBAC panel asking
 * for `severity="UNKNOWN"`), plus an upper-case severity that fixTrivyQueries can repair: built
 * from the shipped export, not a copy of revision 2.
 */
function revisionTwoShaped(export_: DashboardModel): DashboardModel {
  const panels = [...((export_.panels as unknown[] | undefined) ?? [])];
  panels.push(
    {
      id: 6,
      title: "RBAC assessments",
      type: "stat",
      targets: [{ refId: "A", expr: 'sum(trivy_role_rbacassessments{severity="UNKNOWN"})' }],
    },
    {
      id: 7,
      title: "Critical config audits",
      type: "stat",
      targets: [{ refId: "A", expr: 'sum(trivy_resource_configaudits{severity="CRITICAL", namespace=~"$namespace"})' }],
    },
  );
  return { ...export_, panels };
}

/** The pinned catalog revisions downloaded by scripts/download-dashboards.ts, when CI provides them. */
const DOWNLOADS = process.env.TRIVY_DASHBOARD_DOWNLOADS;

const SHIPPED_EXPORT = JSON.parse(readFileSync(DASHBOARDS[0]!, "utf8")) as DashboardModel;
const EMPTINESS_CASES: ReadonlyArray<{ readonly name: string; readonly load: () => DashboardModel; readonly inputs?: readonly string[] }> =
  [
    { name: "the shipped export", load: () => SHIPPED_EXPORT },
    { name: "a revision-2-shaped variant", load: () => revisionTwoShaped(SHIPPED_EXPORT) },
    ...(DOWNLOADS === undefined
      ? []
      : Object.values(DASHBOARD_CATALOG).map((entry) => ({
          name: `grafana.com ${entry.gnetId} revision ${entry.revision} (downloaded)`,
          inputs: entry.datasourceInputs,
          load: (): DashboardModel => {
            const file = resolve(DOWNLOADS, downloadFileName(entry));
            if (!existsSync(file))
              throw new Error(`${file} is missing: run \`tsx scripts/download-dashboards.ts ${DOWNLOADS}\` first (it needs internet)`);
            return JSON.parse(readFileSync(file, "utf8")) as DashboardModel;
          },
        }))),
  ];
if (DOWNLOADS === undefined)
  console.log("[promtool-dashboard] grafana.com revisions not checked: TRIVY_DASHBOARD_DOWNLOADS is unset (the ci workflow sets it)");

describe.skipIf(!promtool.available)(`which dashboard queries return data (promtool ${promtool.version ?? "missing"}) |`, () => {
  for (const { name, load, inputs } of EMPTINESS_CASES) {
    it(`${name}: empty as published exactly where fixTrivyQueries changes a query; every delivered query has data`, async () => {
      const dashboard = load();
      const check = emptinessCheck(dashboard);
      expect(check.asPublished.length, "queries found").toBeGreaterThan(0);
      // The job log lists what returns nothing as grafana.com publishes it, and why (docs/monitoring.md).
      for (const fix of check.fixes) console.log(`[promtool-dashboard] ${name}: ${fix}`);

      const run = await runEmptinessProbes([...check.asPublished, ...check.delivered.map((query) => ({ ...query, hasData: true }))]);
      expect(run.output, `promtool output (files in ${run.dir}); a probe expecting {} 1 got {} 0 means a query returns nothing`).toContain(
        "SUCCESS",
      );
      expect(run.ok).toBe(true);
      if (inputs !== undefined) {
        const declared = ((dashboard.__inputs as Array<{ name?: string; type?: string }> | undefined) ?? [])
          .filter((input) => input.type === "datasource")
          .map((input) => input.name);
        expect(declared, "the catalog's datasourceInputs (dashboards/catalog.ts) are the revision's __inputs").toEqual([...inputs]);
      }
    });
  }

  it("the revision-2-shaped variant: the RBAC Unknown query is hidden and the upper-case one rewritten", () => {
    const check = emptinessCheck(revisionTwoShaped(SHIPPED_EXPORT));
    expect(check.asPublished.filter((query) => !query.hasData).map((query) => query.key)).toEqual(["6/A", "7/A"]);
    expect(check.delivered.map((query) => query.key)).not.toContain("6/A");
    expect(check.delivered.find((query) => query.key === "7/A")?.expr).toContain('severity="Critical"');
  });

  it("a probe tells a query with data from one without", async () => {
    // If the probe were always 1 (or always 0), the emptiness checks above would prove nothing.
    const wrong = await runEmptinessProbes([{ expr: 'sum(trivy_role_rbacassessments{severity="UNKNOWN"})', hasData: true }]);
    expect(wrong.ok).toBe(false);
    const right = await runEmptinessProbes([
      { expr: 'sum(trivy_role_rbacassessments{severity="UNKNOWN"})', hasData: false },
      { expr: 'sum(trivy_role_rbacassessments{severity="High", namespace="$namespace"})', hasData: true },
    ]);
    expect(right.output).toContain("SUCCESS");
  });
});

describe.runIf(!promtool.available && promtool.required)("promtool required (TRIVY_REQUIRE_PROMTOOL=1) |", () => {
  it("fails because promtool is missing", () => {
    expect.fail(`${promtool.skipReason}; TRIVY_REQUIRE_PROMTOOL=1 forbids skipping`);
  });
});
