import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileRunner, runChecked } from "./harness/command-runner";
import { REPO_ROOT } from "./harness/environment";
import {
  basicAuthHeader,
  dashboardBinding,
  GRAFANA_AUTH_VARIABLE,
  GRAFANA_IMAGE,
  GRAFANA_PORT,
  synthGrafanaDashboardStack,
  type GrafanaDashboardStackProps,
} from "./harness/grafana";
import { missingFor } from "./harness/requirements";

/**
 * The dashboard part of the product in `grafana-api` mode against a real Grafana OSS: the
 * dashboard from a local file lands in its folder with every panel bound to the datasource.
 * Needs Docker (testcontainers) and terraform (the grafana provider is downloaded by `init`).
 */
const missing = missingFor(["docker", "terraform"]);

const DATASOURCE_UID = "prometheus-e2e";
const FOLDER = { title: "Security (e2e)", uid: "trivy-e2e" };
const DASHBOARD_FILE = resolve(REPO_ROOT, "test/fixtures/dashboards/trivy-operator-export.json");

interface DashboardResponse {
  readonly dashboard: Record<string, unknown> & { readonly title?: string };
  readonly meta: { readonly folderUid?: string; readonly folderTitle?: string };
}

describe.skipIf(missing.length > 0)("grafana dashboard via the Grafana API (testcontainers)", () => {
  const password = randomBytes(12).toString("hex");
  let grafana: StartedTestContainer | undefined;
  let workDir: string | undefined;
  let baseUrl = "";

  async function grafanaApi<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const response = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? "GET",
      headers: { Authorization: basicAuthHeader("admin", password), "Content-Type": "application/json" },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${init.method ?? "GET"} ${path} answered ${response.status}: ${text}`);
    }
    return JSON.parse(text) as T;
  }

  beforeAll(async () => {
    grafana = await new GenericContainer(GRAFANA_IMAGE)
      .withExposedPorts(GRAFANA_PORT)
      .withEnvironment({
        GF_SECURITY_ADMIN_PASSWORD: password,
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
      })
      .withWaitStrategy(Wait.forHttp("/api/health", GRAFANA_PORT).forStatusCode(200))
      .withStartupTimeout(180_000)
      .start();
    baseUrl = `http://${grafana.getHost()}:${grafana.getMappedPort(GRAFANA_PORT)}`;

    // A real datasource with the uid the dashboard is bound to, as a user's Grafana would have.
    await grafanaApi("/api/datasources", {
      method: "POST",
      body: { name: "Prometheus (e2e)", uid: DATASOURCE_UID, type: "prometheus", access: "proxy", url: "http://prometheus.invalid:9090" },
    });

    workDir = await mkdtemp(join(tmpdir(), "grafana-dashboard-e2e-"));
    const props: GrafanaDashboardStackProps = {
      grafanaUrl: baseUrl,
      sourceFile: DASHBOARD_FILE,
      datasourceUid: DATASOURCE_UID,
      folderTitle: FOLDER.title,
      folderUid: FOLDER.uid,
    };
    const stackDir = synthGrafanaDashboardStack(join(workDir, "cdktf.out"), props);
    const env = { TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", [`TF_VAR_${GRAFANA_AUTH_VARIABLE}`]: `admin:${password}` };
    await runChecked(execFileRunner, "terraform", [`-chdir=${stackDir}`, "init", "-input=false", "-no-color"], {
      timeoutMs: 5 * 60_000,
      env,
    });
    await runChecked(execFileRunner, "terraform", [`-chdir=${stackDir}`, "apply", "-auto-approve", "-input=false", "-no-color"], {
      timeoutMs: 5 * 60_000,
      env,
    });
  });

  afterAll(async () => {
    await grafana?.stop();
    if (workDir) {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  async function findDashboard(): Promise<DashboardResponse> {
    const hits = await grafanaApi<Array<{ uid: string; title: string; folderUid?: string }>>(
      `/api/search?type=dash-db&folderUIDs=${encodeURIComponent(FOLDER.uid)}`,
    );
    const hit = hits.find((candidate) => candidate.title === "Trivy Operator Dashboard");
    if (!hit) {
      throw new Error(
        `no "Trivy Operator Dashboard" in folder ${FOLDER.uid}; found: ${hits.map((candidate) => candidate.title).join(", ") || "nothing"}`,
      );
    }
    return grafanaApi<DashboardResponse>(`/api/dashboards/uid/${encodeURIComponent(hit.uid)}`);
  }

  it("puts the dashboard in the folder the stack created", async () => {
    const { meta } = await findDashboard();

    expect(meta).toMatchObject({ folderUid: FOLDER.uid, folderTitle: FOLDER.title });
  });

  it("binds every panel to the Prometheus datasource, with no ${DS_…} placeholder left", async () => {
    const { dashboard } = await findDashboard();

    expect(dashboardBinding(dashboard)).toEqual({ datasourceRefs: [DATASOURCE_UID], unboundPlaceholders: [] });
    const datasource = await grafanaApi<{ uid: string; type: string }>(`/api/datasources/uid/${DATASOURCE_UID}`);
    expect(datasource).toMatchObject({ uid: DATASOURCE_UID, type: "prometheus" });
  });
});
