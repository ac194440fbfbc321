import { App, LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { GrafanaProvider } from "../../../.gen/providers/grafana/provider";
import { GrafanaDashboard } from "../../../modules/grafana-dashboard";

/** Grafana OSS, pinned; 12.x is the current major the grafana/grafana 4.x provider supports. */
export const GRAFANA_IMAGE = "grafana/grafana:12.2.0";
export const GRAFANA_PORT = 3000;

export const GRAFANA_STACK_ID = "grafana-dashboard-e2e";
/** Fed through TF_VAR_grafana_auth so the admin password never lands in the synthesized JSON. */
export const GRAFANA_AUTH_VARIABLE = "grafana_auth";

export interface GrafanaDashboardStackProps {
  readonly grafanaUrl: string;
  /** Exported dashboard JSON bound at synth time (`sourceFile`): no grafana.com download in the test. */
  readonly sourceFile: string;
  readonly datasourceUid: string;
  readonly folderTitle: string;
  readonly folderUid: string;
}

/** The dashboard part of the product in `grafana-api` mode, as a stack of its own. */
export class GrafanaDashboardStack extends TerraformStack {
  readonly dashboard: GrafanaDashboard;

  constructor(scope: Construct, id: string, props: GrafanaDashboardStackProps) {
    super(scope, id);
    // Relative to `terraform -chdir=<stack dir>`: the state stays in the run's temp dir, never in the checkout.
    new LocalBackend(this, { path: "terraform.tfstate" });
    const auth = new TerraformVariable(this, GRAFANA_AUTH_VARIABLE, {
      type: "string",
      sensitive: true,
      description: "Grafana basic auth as user:password",
    });
    new GrafanaProvider(this, "grafana", { url: props.grafanaUrl, auth: auth.stringValue });
    this.dashboard = new GrafanaDashboard(this, "trivy-dashboard", {
      delivery: "grafana-api",
      sourceFile: props.sourceFile,
      datasourceUid: props.datasourceUid,
      folderTitle: props.folderTitle,
      folderUid: props.folderUid,
    });
  }
}

/** Synthesizes the stack into `outDir`; returns the stack's directory for terraform. */
export function synthGrafanaDashboardStack(outDir: string, props: GrafanaDashboardStackProps): string {
  const app = new App({ outdir: outDir });
  new GrafanaDashboardStack(app, GRAFANA_STACK_ID, props);
  app.synth();
  return `${outDir}/stacks/${GRAFANA_STACK_ID}`;
}

/** What `GET /api/dashboards/uid/<uid>` tells us about a dashboard's datasource binding. */
export interface DashboardBinding {
  /** Every datasource uid (or legacy name string) referenced anywhere in the model. */
  readonly datasourceRefs: readonly string[];
  /** `${DS_…}` placeholders that were never bound: Grafana shows "datasource not found" for them. */
  readonly unboundPlaceholders: readonly string[];
}

const PLACEHOLDER = /\$\{DS_[A-Za-z0-9_]+\}/g;
// Grafana's built-in pseudo datasources (annotations, dashboard/panel reuse) are not ours to bind.
const BUILT_IN_DATASOURCES = new Set(["grafana", "-- Grafana --", "-- Dashboard --", "-- Mixed --", "__expr__"]);

export function dashboardBinding(model: unknown): DashboardBinding {
  const refs = new Set<string>();
  const unbound = new Set<string>();
  const visit = (value: unknown, key: string | undefined): void => {
    if (typeof value === "string") {
      for (const match of value.match(PLACEHOLDER) ?? []) unbound.add(match);
      if (key === "datasource" && !BUILT_IN_DATASOURCES.has(value)) refs.add(value);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item) => visit(item, undefined));
      return;
    }
    if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      if (key === "datasource" && typeof record["uid"] === "string" && !BUILT_IN_DATASOURCES.has(record["uid"])) {
        refs.add(record["uid"]);
      }
      for (const [childKey, child] of Object.entries(record)) visit(child, childKey);
    }
  };
  visit(model, undefined);
  return { datasourceRefs: [...refs].sort(), unboundPlaceholders: [...unbound].sort() };
}

/** Basic-auth header value for Grafana's HTTP API. */
export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
