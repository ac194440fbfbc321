import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GrafanaDashboard } from "../../../modules/grafana-dashboard/grafana-dashboard";
import { parseDashboardJson, prepareDashboard, unboundPlaceholders } from "../../../modules/grafana-dashboard/prepare-dashboard";
import { synthesize, type SynthesizedStack } from "../../helpers/synth";
import { runTerraform, terraformAvailability } from "../../helpers/terraform";

/**
 * Proves the plan-time binding with the real terraform binary: the expression is taken from the
 * synthesized stack (not retyped), its `data.http` source is swapped for `file()` of a fixture,
 * and a providerless config (locals and outputs only) evaluates it. No provider is downloaded.
 */
const FIXTURES = path.resolve(__dirname, "../../fixtures/dashboards");
const terraform = terraformAvailability();
const terraformMissing = !terraform.available;
if (terraformMissing) console.warn(`skipping terraform escaping tests: ${terraform.reason}`);

interface Extracted {
  /** Every local of the construct, the download swapped for the fixture file. */
  readonly locals: Record<string, string>;
  readonly localName: string;
  readonly precondition: string;
}

/** The bound-json local and the resource precondition the stack emits for one dashboard, with the download replaced by a file. */
function extract(synth: SynthesizedStack, constructId: string, fixtureFile: string): Extracted {
  const localName = Object.keys(synth.locals ?? {}).find((name) => name.startsWith(`${constructId}_bound-json`));
  const downloadId = Object.keys(synth.data?.http ?? {}).find((name) => name.startsWith(`${constructId}_download`));
  if (localName === undefined || downloadId === undefined) throw new Error(`no bound-json local or download for ${constructId}`);
  const source = `data.http.${downloadId}.response_body`;
  expect(String(synth.locals![localName])).toContain(source);
  const locals = Object.fromEntries(
    Object.entries(synth.locals!)
      .filter(([name]) => name.startsWith(`${constructId}_`))
      .map(([name, value]) => [name, String(value).replaceAll(source, `file(${JSON.stringify(fixtureFile)})`)]),
  );
  const resources = { ...synth.resource?.grafana_dashboard, ...synth.resource?.kubernetes_config_map_v1 };
  const resource = Object.entries(resources).find(([name]) => name.startsWith(`${constructId}_`))![1] as {
    lifecycle: { precondition: Array<{ condition: string }> };
  };
  return {
    locals,
    localName,
    precondition: resource.lifecycle.precondition[0]!.condition,
  };
}

/** Evaluates the extracted locals/conditions in a providerless config and returns the outputs. */
function evaluate(dir: string, cases: Record<string, Extracted>): Record<string, { value: unknown }> {
  const config = {
    locals: Object.assign({}, ...Object.values(cases).map((c) => c.locals)) as Record<string, string>,
    output: Object.fromEntries(
      Object.entries(cases).flatMap(([label, c]) => [
        [`${label}_json`, { value: `\${local.${c.localName}}` }],
        [`${label}_fully_bound`, { value: c.precondition }],
      ]),
    ),
  };
  fs.writeFileSync(path.join(dir, "empty.tfrc"), "");
  fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
  runTerraform(dir, ["init", "-backend=false", "-input=false", "-no-color"]);
  runTerraform(dir, ["apply", "-auto-approve", "-input=false", "-no-color"]);
  return JSON.parse(runTerraform(dir, ["output", "-json"])) as Record<string, { value: unknown }>;
}

describe.skipIf(terraformMissing)("grafana dashboard plan-time binding, evaluated by terraform |", () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-dashboard-binding-"));
  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));
  const fixtureText = fs.readFileSync(path.join(FIXTURES, "trivy-operator-export.json"), "utf8");
  fs.copyFileSync(path.join(FIXTURES, "trivy-operator-export.json"), path.join(workDir, "dashboard.json"));
  // The same export with a second, non-Prometheus input the catalog does not declare.
  const withLoki = JSON.parse(fixtureText) as { __inputs: unknown[]; panels: Array<Record<string, unknown>> };
  withLoki.__inputs.push({ name: "DS_LOKI", type: "datasource", pluginId: "loki", pluginName: "Loki" });
  withLoki.panels.push({ id: 99, type: "logs", title: "Operator logs", datasource: { type: "loki", uid: "${DS_LOKI}" } });
  fs.writeFileSync(path.join(workDir, "with-loki.json"), JSON.stringify(withLoki));

  // GIVEN the stack as the product emits it: one dashboard per delivery that downloads
  const { parsed } = synthesize((stack) => {
    new GrafanaDashboard(stack, "by-uid", { delivery: "grafana-api", datasourceUid: "prom-main", folderTitle: "Security" });
    new GrafanaDashboard(stack, "by-name", { delivery: "sidecar", datasourceName: 'Prometheus "EU" \\ main' });
    new GrafanaDashboard(stack, "unbound", { delivery: "grafana-api", datasourceUid: "prom-main" });
  });
  let outputs: Record<string, { value: unknown }> = {};

  it("can evaluate the emitted expressions without errors", () => {
    // WHEN terraform evaluates them on the fixtures
    outputs = evaluate(workDir, {
      by_uid: extract(parsed, "by-uid", "dashboard.json"),
      by_name: extract(parsed, "by-name", "dashboard.json"),
      unbound: extract(parsed, "unbound", "with-loki.json"),
    });
    // THEN every case produced a JSON string
    expect(Object.keys(outputs).sort()).toEqual([
      "by_name_fully_bound",
      "by_name_json",
      "by_uid_fully_bound",
      "by_uid_json",
      "unbound_fully_bound",
      "unbound_json",
    ]);
  });

  it("can bind every input exactly like prepareDashboard does offline", () => {
    const bound = JSON.parse(String(outputs.by_uid_json?.value)) as Record<string, unknown>;
    const offline = prepareDashboard(parseDashboardJson(fixtureText), { datasource: { uid: "prom-main" } });
    expect(bound).toEqual(offline);
    expect(unboundPlaceholders(bound)).toEqual([]);
    expect(bound).not.toHaveProperty("__inputs");
    expect(bound).not.toHaveProperty("__requires");
    expect(bound).not.toHaveProperty("__elements");
    expect(bound).toMatchObject({ id: null, uid: "ycwPj724k", title: "Trivy Operator Dashboard" });
    expect(outputs.by_uid_fully_bound?.value).toBe(true);
  });

  it("can keep Grafana variables, % and %{ as text", () => {
    const text = String(outputs.by_uid_json?.value);
    const bound = JSON.parse(text) as { description: string; panels: Array<{ targets?: Array<{ expr: string; legendFormat: string }> }> };
    expect(bound.description).toBe("Trivy Operator findings per namespace: 100% of images scanned, %{not a directive}, ${not_an_input}");
    const targets = bound.panels[2]!.targets!;
    expect(targets[0]!.expr).toContain('namespace=~"${namespace:regex}"}[${__interval}]');
    expect(targets[0]!.legendFormat).toBe("{{severity}} (% of all findings)");
    expect(targets[1]!.expr).toContain("[$__rate_interval]");
    expect(text).not.toContain("$${");
  });

  it("can JSON-escape a datasource name with quotes and backslashes", () => {
    const bound = JSON.parse(String(outputs.by_name_json?.value)) as { panels: Array<{ datasource: unknown }> };
    expect(bound.panels[1]!.datasource).toEqual({ type: "prometheus", uid: 'Prometheus "EU" \\ main' });
    expect(bound.panels[2]!.datasource).toBe('Prometheus "EU" \\ main');
    expect(outputs.by_name_fully_bound?.value).toBe(true);
  });

  it("fails when the download has an input the catalog does not declare (precondition)", () => {
    expect(String(outputs.unbound_json?.value)).toContain("${DS_LOKI}");
    expect(outputs.unbound_fully_bound?.value).toBe(false);
  });
});
