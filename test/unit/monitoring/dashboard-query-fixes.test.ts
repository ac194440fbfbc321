import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GrafanaDashboard } from "../../../modules/grafana-dashboard/grafana-dashboard";
import { fixTrivyQueries } from "../../../modules/grafana-dashboard/prepare-dashboard";
import { onlyResourceOfType, synthesize } from "../../helpers/synth";
import { during, roleRbacSeries, vulnerabilitySeries, CHECKOUT_REPORT } from "../../fixtures/metrics/emitted-series";
import { promtoolAvailability, runPromtoolTests } from "./promtool";

const promtool = promtoolAvailability();
if (!promtool.available) console.log(`[dashboard-query-fixes] ${promtool.skipReason}`);

/** A dashboard with the two kinds of query that cannot match what trivy-operator emits. */
const dashboard = {
  title: "Trivy",
  panels: [
    {
      id: 1,
      title: "Critical",
      targets: [{ refId: "A", expr: 'sum(trivy_image_vulnerabilities{severity="CRITICAL", namespace=~"$namespace"})' }],
    },
    {
      id: 2,
      type: "row",
      panels: [
        {
          id: 3,
          title: "RBAC",
          targets: [
            { refId: "A", expr: 'sum(trivy_role_rbacassessments{severity=~"CRITICAL|HIGH"})' },
            { refId: "B", expr: 'sum(trivy_role_rbacassessments{severity="UNKNOWN"})' },
          ],
        },
      ],
    },
    { id: 4, title: "Unknown vulnerabilities", targets: [{ refId: "A", expr: 'sum(trivy_image_vulnerabilities{severity="UNKNOWN"})' }] },
  ],
};

describe("fixTrivyQueries |", () => {
  const { dashboard: fixed, changes } = fixTrivyQueries(dashboard);
  const panels = fixed.panels as typeof dashboard.panels;

  it("can Title-case severities and hide a query for a severity the family never emits", () => {
    expect(panels[0]!.targets![0]!.expr).toBe('sum(trivy_image_vulnerabilities{severity="Critical", namespace=~"$namespace"})');
    const rbac = (panels[1]!.panels as Array<{ targets: Array<{ expr: string; hide?: boolean }> }>)[0]!.targets;
    expect(rbac[0]).toEqual({ refId: "A", expr: 'sum(trivy_role_rbacassessments{severity=~"Critical|High"})' });
    expect(rbac[1]).toEqual({ refId: "B", expr: 'sum(trivy_role_rbacassessments{severity="Unknown"})', hide: true });
    // Vulnerabilities do have Unknown: fixed, not hidden.
    expect(panels[2]!.targets![0]).toEqual({ refId: "A", expr: 'sum(trivy_image_vulnerabilities{severity="Unknown"})' });
    expect(changes).toHaveLength(4);
    expect(changes[2]).toMatch(/^panel 3 "RBAC" query B hidden: .* selects severity "Unknown", which this family never emits$/);
    expect(dashboard.panels[0]!.targets![0]!.expr).toContain("CRITICAL"); // the input is untouched
  });

  it("can deliver the fixed queries from a local sourceFile (sidecar)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "dashboard-")), "dashboard.json");
    writeFileSync(file, JSON.stringify(dashboard));
    const { parsed } = synthesize(
      (stack) => new GrafanaDashboard(stack, "d", { delivery: "sidecar", datasourceName: "Prometheus", sourceFile: file }),
    );
    const configMap = onlyResourceOfType(parsed, "kubernetes_config_map_v1") as { data: Record<string, string> };
    const delivered = JSON.parse(Object.values(configMap.data)[0]!.replaceAll("$${", "${")) as typeof dashboard;
    expect(delivered.panels[0]!.targets![0]!.expr).toBe('sum(trivy_image_vulnerabilities{severity="Critical", namespace=~"$namespace"})');
    expect((delivered.panels[1]!.panels as Array<{ targets: Array<{ hide?: boolean }> }>)[0]!.targets[1]!.hide).toBe(true);
  });

  it("can leave a dashboard without such queries as it is", () => {
    const clean = {
      title: "t",
      panels: [{ id: 1, targets: [{ refId: "A", expr: 'sum(trivy_image_vulnerabilities{severity="Critical"})' }] }],
    };
    expect(fixTrivyQueries(clean)).toEqual({ dashboard: clean, changes: [] });
  });

  it.skipIf(!promtool.available)(
    "can turn queries that return nothing on the operator's series into ones that return the findings (promtool)",
    async () => {
      const series = [
        ...vulnerabilitySeries(CHECKOUT_REPORT, { Critical: 3, Unknown: 2 }, [during(10)]),
        ...roleRbacSeries({ namespace: "shop", name: "role-x", resourceKind: "Role", resourceName: "x" }, { Critical: 1, High: 2 }, [
          during(10),
        ]),
      ];
      const evaluate = (expressions: Array<[string, number | undefined]>) =>
        runPromtoolTests(
          { groups: [] },
          {
            rule_files: [],
            tests: [
              {
                interval: "1m",
                input_series: series,
                promql_expr_test: expressions.map(([expr, value]) => ({
                  expr: expr.replace("$namespace", ".*"),
                  eval_time: "5m",
                  exp_samples: value === undefined ? [] : [{ labels: "{}", value }],
                })),
              },
            ],
          },
        );
      const before = await evaluate([
        [dashboard.panels[0]!.targets![0]!.expr, undefined],
        ['sum(trivy_role_rbacassessments{severity=~"CRITICAL|HIGH"})', undefined],
      ]);
      expect(before.output).toContain("SUCCESS");
      const after = await evaluate([
        [panels[0]!.targets![0]!.expr, 3],
        [(panels[1]!.panels as Array<{ targets: Array<{ expr: string }> }>)[0]!.targets[0]!.expr, 3],
        [panels[2]!.targets![0]!.expr, 2],
      ]);
      expect(after.output).toContain("SUCCESS");
    },
  );
});
