import * as path from "node:path";
import { TerraformVariable } from "cdktf";
import { describe, expect, it } from "vitest";
import { GrafanaDashboard, type GrafanaDashboardProps } from "../../../modules/grafana-dashboard";
import { ValidationError } from "../../../modules/common/validation-error";
import { onlyResourceOfType, resourcesOfType, synthesize } from "../../helpers/synth";

const FIXTURE = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

describe("GrafanaDashboard |", () => {
  it("can deliver through the Grafana API with a folder, downloading the pinned revision", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      new GrafanaDashboard(stack, "trivy-dashboard", {
        delivery: "grafana-api",
        datasourceUid: "prometheus",
        folderTitle: "Security",
        folderUid: "security",
      });
    });

    // THEN
    const download = Object.values(parsed.data?.http ?? {});
    expect(download).toHaveLength(1);
    expect(download[0]).toMatchObject({ url: "https://grafana.com/api/dashboards/17813/revisions/2/download" });
    expect(onlyResourceOfType(parsed, "grafana_folder")).toEqual({ title: "Security", uid: "security" });
    const dashboard = onlyResourceOfType(parsed, "grafana_dashboard");
    expect(dashboard).toMatchObject({
      overwrite: true,
      folder: expect.stringMatching(/^\$\{grafana_folder\.trivy-dashboard_folder_\w+\.uid\}$/),
    });
    expect(dashboard.config_json).toMatch(/^\$\{local\.trivy-dashboard_bound-json_\w+\}$/);
    const bound = Object.entries(parsed.locals ?? {}).find(([name]) => name.startsWith("trivy-dashboard_bound-json"))![1];
    expect(bound).toContain("replace(data.http.trivy-dashboard_download_");
    expect(bound).toContain('"$${DS_PROMETHEUS}"');
    expect(resourcesOfType(parsed, "kubernetes_config_map_v1")).toHaveLength(0);
  });

  it("can put the dashboard into an existing folder without creating one", () => {
    const { parsed } = synthesize((stack) => {
      new GrafanaDashboard(stack, "d", { delivery: "grafana-api", datasourceName: "Prometheus", folderUid: "existing", overwrite: false });
    });
    expect(resourcesOfType(parsed, "grafana_folder")).toHaveLength(0);
    expect(onlyResourceOfType(parsed, "grafana_dashboard")).toMatchObject({ folder: "existing", overwrite: false });
  });

  it("can bind a local file at synth time for air-gapped clusters", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      new GrafanaDashboard(stack, "d", { delivery: "grafana-api", datasourceUid: "prom-main", sourceFile: FIXTURE });
    });

    // THEN no download, and the JSON is escaped so Terraform passes `${namespace}` through as text
    expect(parsed.data?.http).toBeUndefined();
    const configJson = String(onlyResourceOfType(parsed, "grafana_dashboard").config_json);
    expect(configJson).not.toContain("DS_PROMETHEUS");
    expect(configJson).toContain("$${__interval}");
    const dashboard = JSON.parse(configJson.replaceAll("$${", "${").replaceAll("%%{", "%{")) as {
      title: string;
      panels: Array<{ datasource?: unknown }>;
    };
    expect(dashboard.title).toBe("Trivy Operator Dashboard");
    expect(dashboard.panels[1]!.datasource).toEqual({ type: "prometheus", uid: "prom-main" });
  });

  it("can deliver a ConfigMap for the Grafana sidecar", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      new GrafanaDashboard(stack, "d", {
        delivery: "sidecar",
        datasourceName: "Prometheus",
        namespace: "observability",
        folderTitle: "Security",
        sidecarLabel: "grafana_dashboard_custom",
      });
    });

    // THEN
    const configMap = onlyResourceOfType(parsed, "kubernetes_config_map_v1") as {
      metadata: Record<string, unknown>;
      data: Record<string, string>;
    };
    expect(configMap.metadata).toEqual({
      name: "trivy-operator-dashboard",
      namespace: "observability",
      labels: { grafana_dashboard_custom: "1", "app.kubernetes.io/managed-by": "trivy-operator-cdktf" },
      annotations: { grafana_folder: "Security" },
    });
    expect(configMap.data["trivy-operator-dashboard.json"]).toMatch(/^\$\{local\.d_bound-json_\w+\}$/);
    expect(resourcesOfType(parsed, "grafana_dashboard")).toHaveLength(0);
    expect(Object.keys(parsed.data?.http ?? {})).toHaveLength(1);
  });

  it("can emit Grafana chart values as a stack output", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      const dashboard = new GrafanaDashboard(stack, "d", { delivery: "helm-values", datasourceUid: "prometheus", folderTitle: "Security" });
      // THEN the values are also available to code
      expect(dashboard.helmValues?.dashboards).toEqual({
        "trivy-operator": {
          "trivy-operator-dashboard": { gnetId: 17813, revision: 2, datasource: [{ name: "DS_PROMETHEUS", value: "prometheus" }] },
        },
      });
      expect(dashboard.helmValues?.dashboardProviders["dashboardproviders.yaml"].providers[0]).toMatchObject({
        name: "trivy-operator",
        folder: "Security",
        type: "file",
        options: { path: "/var/lib/grafana/dashboards/trivy-operator" },
      });
    });

    // THEN no resources, one stable output
    expect(parsed.resource).toBeUndefined();
    expect(parsed.data).toBeUndefined();
    const output = parsed.output?.grafana_dashboard_helm_values;
    expect(String(output?.value)).toMatch(/^\$\{jsonencode\(\{"dashboardProviders" = /);
    expect(String(output?.value)).toContain('"gnetId" = 17813, "revision" = 2');
  });

  it("can take a datasource uid from a variable", () => {
    const { parsed } = synthesize((stack) => {
      const uid = new TerraformVariable(stack, "prometheus_uid", { type: "string" });
      new GrafanaDashboard(stack, "d", { delivery: "sidecar", datasourceUid: uid.stringValue });
    });
    const datasource = Object.entries(parsed.locals ?? {}).find(([name]) => name.startsWith("d_datasource"))![1];
    expect(datasource).toBe("${var.prometheus_uid}");
  });

  it("can provision a dashboard outside the catalog with a pinned revision", () => {
    const { parsed } = synthesize((stack) => {
      new GrafanaDashboard(stack, "d", {
        delivery: "sidecar",
        datasourceUid: "p",
        gnetId: 16337,
        revision: 12,
        datasourceInputs: ["DS_PROMETHEUS", "DS_PROM2"],
      });
    });
    expect(Object.values(parsed.data!.http!)[0]).toMatchObject({ url: "https://grafana.com/api/dashboards/16337/revisions/12/download" });
    expect(onlyResourceOfType(parsed, "kubernetes_config_map_v1")).toMatchObject({ metadata: { name: "grafana-dashboard-16337" } });
    const bound = String(Object.entries(parsed.locals ?? {}).find(([name]) => name.startsWith("d_bound-json"))![1]);
    expect(bound).toContain('"$${DS_PROMETHEUS}"');
    expect(bound).toContain('"$${DS_PROM2}"');
  });

  const base: GrafanaDashboardProps = { delivery: "grafana-api", datasourceUid: "prometheus" };
  it.each<[string, GrafanaDashboardProps, RegExp]>([
    ["no datasource", { delivery: "grafana-api" }, /datasourceUid\/datasourceName .* set exactly one of them/],
    ["both datasources", { ...base, datasourceName: "Prometheus" }, /set exactly one of them/],
    ["a bad datasource uid", { ...base, datasourceUid: "not a uid" }, /datasourceUid "not a uid" is invalid: use 1-40 letters/],
    [
      "an unknown delivery",
      { ...base, delivery: "configmap" as never },
      /delivery "configmap" is invalid: use one of grafana-api, sidecar, helm-values/,
    ],
    [
      "an unpinned dashboard outside the catalog",
      { ...base, gnetId: 16337 },
      /revision undefined is invalid: pin a revision for gnetId 16337/,
    ],
    ["a zero revision", { ...base, revision: 0 }, /revision 0 is invalid: use a positive integer/],
    [
      "a download base URL that is not http(s)",
      { ...base, downloadBaseUrl: "ftp://mirror" },
      /downloadBaseUrl "ftp:\/\/mirror" is invalid: use an http\(s\) URL/,
    ],
    [
      "an unreadable local file",
      { ...base, sourceFile: "/nonexistent/dashboard.json" },
      /sourceFile "\/nonexistent\/dashboard.json" is invalid: cannot be read \(ENOENT\); use a readable exported dashboard JSON file/,
    ],
    [
      "a folder uid without title for the sidecar",
      { delivery: "sidecar", datasourceUid: "p", folderUid: "sec" },
      /folderUid "sec" is invalid: needs folderTitle with delivery sidecar/,
    ],
    ["empty datasource inputs", { ...base, datasourceInputs: [] }, /datasourceInputs \[\] is invalid/],
  ])("fails when given %s", (_case, props, message) => {
    expect(() => synthesize((stack) => new GrafanaDashboard(stack, "d", props))).toThrow(message);
  });

  it("fails with every problem at once, each with its path, value and the construct's path", () => {
    // GIVEN props with three independent mistakes
    const props: GrafanaDashboardProps = { delivery: "sidecar", datasourceUid: "not a uid", revision: 0, namespace: "Monitoring" };
    // WHEN the construct is built
    let error: unknown;
    try {
      synthesize((stack) => new GrafanaDashboard(stack, "dashboard", props));
    } catch (caught) {
      error = caught;
    }
    // THEN one ValidationError lists all three as data and names the construct
    expect(error).toBeInstanceOf(ValidationError);
    const validation = error as ValidationError;
    expect(validation.constructPath).toBe("test/dashboard");
    expect(validation.problems.map((problem) => [problem.path, problem.value])).toEqual([
      ["datasourceUid", "not a uid"],
      ["revision", 0],
      ["namespace", "Monitoring"],
    ]);
    expect(validation.message.split("\n")).toEqual([
      `test/dashboard: grafana dashboard datasourceUid "not a uid" is invalid: use 1-40 letters, digits, '-' or '_'`,
      "test/dashboard: grafana dashboard revision 0 is invalid: use a positive integer",
      `test/dashboard: grafana dashboard namespace "Monitoring" is invalid: use a lowercase DNS label`,
    ]);
  });
});

// Options of another delivery do not compile (`npm run typecheck` checks these lines): the props
// are one type per delivery, so there is no run-time "only applies to" rule left to test.
export const refusedAtCompileTime: GrafanaDashboardProps[] = [
  {
    delivery: "grafana-api",
    datasourceUid: "p",
    // @ts-expect-error namespace is a sidecar option
    namespace: "monitoring",
  },
  {
    delivery: "helm-values",
    datasourceUid: "p",
    // @ts-expect-error Grafana downloads by gnetId itself; there is no file to read
    sourceFile: "dashboard.json",
  },
  {
    delivery: "sidecar",
    datasourceUid: "p",
    // @ts-expect-error overwrite is a grafana-api option
    overwrite: false,
  },
];
