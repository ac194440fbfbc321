import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CHECKOUT_CONFIG_AUDIT,
  CHECKOUT_REPORT,
  clusterRoleRbacSeries,
  configAuditSeries,
  during,
  reconcileTotalSeries,
  roleRbacSeries,
  vulnerabilitySeries,
  type InputSeries,
} from "../../fixtures/metrics/emitted-series";
import { promtoolAvailability, runPromtoolTests } from "./promtool";

/**
 * Every query of the dashboard we provision, evaluated by the real Prometheus engine on the series
 * of test/fixtures/metrics/emitted-series.ts (promtool `promql_expr_test`). A query whose
 * selectors match nothing the operator emits returns nothing: it must be listed in
 * EMPTY_QUERIES with the reason, which docs/monitoring.md repeats.
 *
 * The file under test is the dashboard export the repository keeps for air-gapped delivery
 * (test/fixtures/dashboards/trivy-operator-export.json, the `sourceFile` example of
 * docs/monitoring.md); grafana.com's revision 2 of 17813 cannot be downloaded offline. Put an
 * export of it next to it and add it to DASHBOARDS to run the same checks on it.
 */

const promtool = promtoolAvailability();
if (!promtool.available && !promtool.required) console.log(`[promtool-dashboard] ${promtool.skipReason}`);

const DASHBOARDS = [resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json")];

/** Grafana's values for the variables at view time: "All" namespaces, a 1m step. */
const VARIABLES: ReadonlyArray<[RegExp, string]> = [
  [/\$\{namespace:regex\}|\$\{namespace\}|\$namespace\b/g, ".*"],
  [/\$\{__interval\}|\$__interval\b/g, "1m"],
  // Grafana: max(4 × scrape interval, interval + scrape interval); the ServiceMonitor scrapes every 60s.
  [/\$\{__rate_interval\}|\$__rate_interval\b/g, "4m"],
  [/\$\{__range\}|\$__range\b/g, "1h"],
];

function resolveVariables(expr: string): string {
  return VARIABLES.reduce((text, [pattern, value]) => text.replace(pattern, value), expr);
}

interface DashboardQuery {
  /** `<panel id>/<refId>`, or `var/<name>` for a variable's query. */
  readonly key: string;
  readonly title: string;
  readonly expr: string;
}

/** Every Prometheus query: panel targets (rows' nested panels included) and query variables. */
function dashboardQueries(dashboard: { panels?: unknown[]; templating?: { list?: unknown[] } }): DashboardQuery[] {
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
  for (const variable of (dashboard.templating?.list ?? []) as Array<{ name: string; type: string; query?: string | { query?: string } }>) {
    if (variable.type !== "query") continue;
    const text = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
    // label_values(metric, label) is a series query; as PromQL it is group by (label) (metric).
    const labelValues = /^label_values\((\w+)(\{[^}]*\})?,\s*(\w+)\)$/.exec(text.trim());
    queries.push({
      key: `var/${variable.name}`,
      title: `variable ${variable.name}`,
      expr: labelValues ? `group by (${labelValues[3]}) (${labelValues[1]}${labelValues[2] ?? ""})` : text,
    });
  }
  return queries;
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

describe.runIf(!promtool.available && promtool.required)("promtool required (TRIVY_REQUIRE_PROMTOOL=1) |", () => {
  it("fails because promtool is missing", () => {
    expect.fail(`${promtool.skipReason}; TRIVY_REQUIRE_PROMTOOL=1 forbids skipping`);
  });
});
