import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  DashboardBindingError,
  parseDashboardJson,
  prepareDashboard,
  unboundPlaceholders,
} from "../../../modules/grafana-dashboard/prepare-dashboard";

const fixture = (): unknown =>
  parseDashboardJson(fs.readFileSync(path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json"), "utf8"));

describe("prepareDashboard |", () => {
  it("can bind every Prometheus input of an exported dashboard", () => {
    // WHEN
    const bound = prepareDashboard(fixture(), { datasource: { uid: "prom-main" } }) as {
      panels: Array<{ datasource?: unknown; panels?: Array<{ datasource: unknown }>; targets?: Array<{ datasource?: unknown }> }>;
      templating: { list: Array<{ datasource?: unknown }> };
      annotations: { list: Array<{ datasource: unknown }> };
    };

    // THEN
    expect(unboundPlaceholders(bound)).toEqual([]);
    expect(bound.panels[1]!.datasource).toEqual({ type: "prometheus", uid: "prom-main" });
    expect(bound.panels[1]!.targets![0]!.datasource).toEqual({ type: "prometheus", uid: "prom-main" });
    expect(bound.panels[2]!.datasource).toBe("prom-main");
    expect(bound.panels[3]!.panels![0]!.datasource).toEqual({ type: "prometheus", uid: "prom-main" });
    expect(bound.templating.list[0]!.datasource).toEqual({ type: "prometheus", uid: "prom-main" });
    // The built-in annotation source is Grafana itself, not a datasource to rebind.
    expect(bound.annotations.list[0]!.datasource).toEqual({ type: "grafana", uid: "-- Grafana --" });
  });

  it("can remove export-only keys, null the id and keep everything else", () => {
    const original = fixture() as Record<string, unknown>;
    const bound = prepareDashboard(original, { datasource: { name: "Prometheus" } });
    expect(Object.keys(bound)).not.toEqual(expect.arrayContaining(["__inputs"]));
    expect(bound).not.toHaveProperty("__requires");
    expect(bound).not.toHaveProperty("__elements");
    expect(bound).toMatchObject({ id: null, uid: "ycwPj724k", title: "Trivy Operator Dashboard", version: 3, schemaVersion: 39 });
    expect(JSON.stringify(bound)).toContain("[${__interval}]");
    expect(JSON.stringify(bound)).toContain("${namespace:regex}");
    expect(bound.description).toBe(original.description);
    // The input is not modified.
    expect(original).toHaveProperty("__inputs");
  });

  it("can rebind concrete Prometheus uids and preselect a datasource variable", () => {
    // GIVEN an "Export" without "share externally": real uids of the exporting Grafana
    const exported = {
      title: "Internal",
      panels: [
        { datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" } },
        { datasource: { type: "prometheus", uid: "${datasource}" } },
        { datasource: { type: "loki", uid: "P8E80F9AEF21F6940" } },
        { datasource: "-- Mixed --" },
        { datasource: "$datasource" },
        { datasource: "Prometheus-EU" },
        { datasource: null },
      ],
      templating: {
        list: [
          { type: "datasource", name: "datasource", query: "prometheus", current: { text: "Prometheus-EU", value: "P1809F7CD0C75ACF3" } },
        ],
      },
    };

    // WHEN
    const bound = prepareDashboard(exported, { datasource: { uid: "prom" } }) as typeof exported;

    // THEN
    expect(bound.panels.map((panel) => panel.datasource)).toEqual([
      { type: "prometheus", uid: "prom" },
      { type: "prometheus", uid: "${datasource}" },
      { type: "loki", uid: "P8E80F9AEF21F6940" },
      "-- Mixed --",
      "$datasource",
      "prom",
      null,
    ]);
    expect(bound.templating.list[0]!.current).toEqual({ selected: true, text: "prom", value: "prom" });
  });

  it("can accept the { dashboard, meta } shape of the Grafana HTTP API", () => {
    const bound = prepareDashboard({ meta: { slug: "x" }, dashboard: { title: "Wrapped", panels: [] } }, { datasource: { uid: "p" } });
    expect(bound).toEqual({ title: "Wrapped", panels: [], id: null });
  });

  it("can bind declared constants to their default and explicit inputs to their value", () => {
    const exported = {
      __inputs: [
        { name: "VAR_CLUSTER", type: "constant", value: "prod" },
        { name: "DS_LOKI", type: "datasource", pluginId: "loki" },
      ],
      title: "t",
      panels: [{ title: "${VAR_CLUSTER} logs", datasource: { type: "loki", uid: "${DS_LOKI}" } }],
    };
    const bound = prepareDashboard(exported, { datasource: { uid: "p" }, inputs: { DS_LOKI: "loki" } });
    expect(bound.panels).toEqual([{ title: "prod logs", datasource: { type: "loki", uid: "loki" } }]);
  });

  it.each([
    ["an array", [], /not a Grafana dashboard: .*got an array/],
    ["an object without panels", { title: "x" }, /not a Grafana dashboard/],
    [
      "a datasource input of another type",
      { __inputs: [{ name: "DS_LOKI", type: "datasource", pluginId: "loki" }], title: "t", panels: [] },
      /cannot bind placeholder \$\{DS_LOKI\}: it is a "loki" datasource/,
    ],
    [
      "an undeclared DS_ placeholder",
      { title: "t", panels: [{ targets: [{ datasource: { uid: "${DS_X}" } }] }] },
      /\$\{DS_X\} at panels\[0\]\.targets\[0\]\.datasource\.uid/,
    ],
    [
      "a constant without a value",
      { __inputs: [{ name: "VAR_ENV", type: "constant" }], title: "t", panels: [] },
      /\$\{VAR_ENV\}: the constant has no default value/,
    ],
  ])("fails when given %s", (_case, input, message) => {
    expect(() => prepareDashboard(input, { datasource: { uid: "p" } })).toThrow(DashboardBindingError);
    expect(() => prepareDashboard(input, { datasource: { uid: "p" } })).toThrow(message);
  });

  it("fails when the datasource has neither or both of uid and name", () => {
    expect(() => prepareDashboard(fixture(), { datasource: {} })).toThrow(/exactly one non-empty uid or name/);
    expect(() => prepareDashboard(fixture(), { datasource: { uid: "a", name: "b" } })).toThrow(/exactly one non-empty uid or name/);
  });

  it("fails when the JSON has a syntax error, naming the source", () => {
    expect(() => parseDashboardJson("{", "x.json")).toThrow(/^x\.json is not valid JSON/);
  });
});
