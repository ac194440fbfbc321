import { captureIo } from "../report/helpers";
import { describe, expect, it } from "vitest";
import { runDashboardCommand } from "../../../cli/dashboard/command";
import { unboundPlaceholders } from "../../../modules/grafana-dashboard/prepare-dashboard";

/*
 * Input names with spaces: Grafana's exporter names a datasource input
 * `"DS_" + datasource.name.replace(" ", "_").toUpperCase()` (DashboardExporter; JavaScript's
 * String.replace with a string pattern replaces the first match only), so a JSON API datasource
 * named "JSON API kube bench" is exported as `${DS_JSON_API KUBE BENCH}`.
 */
const EXPORT = {
  __inputs: [
    { name: "DS_PROMETHEUS", label: "Prometheus", type: "datasource", pluginId: "prometheus", pluginName: "Prometheus" },
    {
      name: "DS_JSON_API KUBE BENCH",
      label: "JSON API kube bench",
      type: "datasource",
      pluginId: "marcusolsson-json-datasource",
      pluginName: "JSON API",
    },
  ],
  title: "Trivy Operator - kube-bench",
  panels: [
    {
      type: "table",
      datasource: { type: "marcusolsson-json-datasource", uid: "${DS_JSON_API KUBE BENCH}" },
      targets: [{ datasource: { type: "marcusolsson-json-datasource", uid: "${DS_JSON_API KUBE BENCH}" }, urlPath: "/report" }],
    },
    { type: "stat", datasource: { type: "prometheus", uid: "${DS_PROMETHEUS}" }, targets: [{ expr: "sum(trivy_image_vulnerabilities)" }] },
  ],
};

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = captureIo(JSON.stringify(EXPORT));
  const code = await runDashboardCommand(["--file", "-", "--datasource-uid", "prom", ...argv], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe("dashboard --input", () => {
  it("binds an input whose name has spaces", async () => {
    const { code, stdout, stderr } = await run(["--input", "DS_JSON_API KUBE BENCH=kube-bench-json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const dashboard = JSON.parse(stdout) as typeof EXPORT;
    expect(unboundPlaceholders(dashboard)).toEqual([]);
    expect(dashboard.panels[0]).toMatchObject({
      datasource: { uid: "kube-bench-json" },
      targets: [{ datasource: { uid: "kube-bench-json" } }],
    });
    expect(dashboard.panels[1]).toMatchObject({ datasource: { uid: "prom" } });
  });

  it("keeps everything after the first '=' as the value", async () => {
    const { code, stdout } = await run(["--input", "DS_JSON_API KUBE BENCH=a=b"]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as typeof EXPORT).panels[0]?.datasource.uid).toBe("a=b");
  });

  it("without the binding, names the spaced input it cannot bind", async () => {
    const { code, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'trivy-operator-cdktf dashboard: cannot bind placeholder ${DS_JSON_API KUBE BENCH}: it is a "marcusolsson-json-datasource" datasource, not prometheus; give its uid with --input DS_JSON_API KUBE BENCH=<uid>\n',
    );
  });

  it.each([
    [
      "a name the dashboard does not have",
      ["--input", "DS_JSON_API=kube-bench-json"],
      '--input "DS_JSON_API": the dashboard has no input of that name (its inputs: "DS_JSON_API KUBE BENCH", "DS_PROMETHEUS")',
    ],
    ["no name", ["--input", "=x"], '--input "=x" must look like NAME=VALUE, e.g. DS_LOKI=loki'],
    ["the same name twice", ["--input", "DS_PROMETHEUS=a", "--input", "DS_PROMETHEUS=b"], "--input DS_PROMETHEUS is given twice"],
  ])("fails with exit 2, one line and no output on %s", async (_case, argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(`trivy-operator-cdktf dashboard: ${message}\n`);
  });
});
