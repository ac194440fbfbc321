import { readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  basicAuthHeader,
  dashboardBinding,
  GRAFANA_IMAGE,
  GrafanaDashboardStack,
  synthGrafanaDashboardStack,
} from "../../integration/harness/grafana";

const fixture = resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");
const props = {
  grafanaUrl: "http://localhost:32768",
  sourceFile: fixture,
  datasourceUid: "prometheus-e2e",
  folderTitle: "Security",
  folderUid: "trivy-e2e",
};

interface SynthesizedGrafanaStack {
  terraform: { backend: { local: { path: string } }; required_providers: Record<string, { source: string; version: string }> };
  provider: { grafana: Array<{ url: string; auth: string }> };
  variable: Record<string, { sensitive?: boolean }>;
  resource: {
    grafana_folder: Record<string, { title: string; uid: string }>;
    grafana_dashboard: Record<string, { config_json: string; folder: string }>;
  };
}

function synth(): SynthesizedGrafanaStack {
  const stack = new GrafanaDashboardStack(Testing.app(), "test", props);
  return JSON.parse(Testing.synth(stack)) as SynthesizedGrafanaStack;
}

describe("grafana dashboard stack of the testcontainers check", () => {
  it("pins the Grafana image to an exact tag", () => {
    expect(GRAFANA_IMAGE).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it("points the grafana provider at the container with auth from a sensitive variable, never a literal", () => {
    const synthesized = synth();

    expect(synthesized.provider.grafana[0]?.url).toBe("http://localhost:32768");
    expect(synthesized.provider.grafana[0]?.auth).toBe("${var.grafana_auth}");
    expect(synthesized.variable["grafana_auth"]?.sensitive).toBe(true);
  });

  it("keeps its state next to the synthesized stack and pins the grafana provider", () => {
    const synthesized = synth();

    expect(synthesized.terraform.backend.local.path).toBe("terraform.tfstate");
    expect(synthesized.terraform.required_providers["grafana"]).toEqual({ source: "grafana/grafana", version: "4.45.1" });
  });

  it("creates the folder and puts the dashboard in it", () => {
    const synthesized = synth();
    const [folderId, folder] = Object.entries(synthesized.resource.grafana_folder)[0] ?? [];
    const dashboard = Object.values(synthesized.resource.grafana_dashboard)[0];

    expect(folder).toMatchObject({ title: "Security", uid: "trivy-e2e" });
    expect(dashboard?.folder).toBe(`\${grafana_folder.${folderId}.uid}`);
  });

  it("binds every Prometheus reference of the local dashboard file to the datasource uid at synth time", () => {
    const dashboard = Object.values(synth().resource.grafana_dashboard)[0];
    const model: unknown = JSON.parse(dashboard?.config_json ?? "{}");

    expect(dashboardBinding(model)).toEqual({ datasourceRefs: ["prometheus-e2e"], unboundPlaceholders: [] });
  });

  it("writes the stack where terraform -chdir expects it", () => {
    const outDir = mkdtempSync(join(tmpdir(), "grafana-synth-"));
    const stackDir = synthGrafanaDashboardStack(outDir, props);

    expect(stackDir).toBe(join(outDir, "stacks", "grafana-dashboard-e2e"));
    expect(JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"))).toHaveProperty("resource.grafana_dashboard");
  });
});

describe("dashboardBinding", () => {
  it("finds unbound placeholders and every datasource reference, ignoring Grafana's built-ins", () => {
    const exported: unknown = JSON.parse(readFileSync(fixture, "utf8"));
    const binding = dashboardBinding({
      ...(exported as Record<string, unknown>),
      annotations: { list: [{ datasource: { type: "grafana", uid: "-- Grafana --" } }] },
    });

    expect(binding.unboundPlaceholders).toEqual(["${DS_PROMETHEUS}"]);
    expect(binding.datasourceRefs).toEqual(["${DS_PROMETHEUS}"]);
  });

  it("reports a legacy string datasource and a second datasource", () => {
    const binding = dashboardBinding({ panels: [{ datasource: "prom-a" }, { targets: [{ datasource: { uid: "prom-b" } }] }] });

    expect(binding).toEqual({ datasourceRefs: ["prom-a", "prom-b"], unboundPlaceholders: [] });
  });
});

describe("basicAuthHeader", () => {
  it("encodes user:password", () => {
    expect(basicAuthHeader("admin", "s3cret")).toBe(`Basic ${Buffer.from("admin:s3cret").toString("base64")}`);
  });
});
