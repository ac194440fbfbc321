/**
 * Grafana.com dashboards this project provisions, by gnetId, with the revision pinned.
 *
 * Revisions are never "latest": grafana.com serves whatever the author last uploaded, so an
 * unpinned import can change panels (or datasource inputs) under a running deployment. Bump a
 * revision in its own commit, after checking its `__inputs` with `npm run dashboard -- --file`.
 */
export interface CatalogDashboard {
  /** grafana.com dashboard id (`https://grafana.com/grafana/dashboards/<gnetId>`). */
  readonly gnetId: number;
  /** Pinned revision, as in `https://grafana.com/api/dashboards/<gnetId>/revisions/<revision>/download`. */
  readonly revision: number;
  /** Title the dashboard shows in Grafana. */
  readonly title: string;
  /**
   * Names of the dashboard's Prometheus datasource inputs (`__inputs[].name`, used in the JSON as
   * `${NAME}`). Every one is bound to the Prometheus datasource you pass.
   */
  readonly datasourceInputs: readonly string[];
  /** Where the pinned revision and the inputs come from. */
  readonly source: string;
}

/**
 * "Trivy Operator Dashboard" by the Trivy Operator maintainers.
 *
 * - Revision 2 is the one the upstream tutorial pins (aquasecurity/trivy-operator
 *   `docs/tutorials/grafana-dashboard.md`, Grafana chart `dashboards.default.*.revision: 2`).
 *   A later revision could not be verified offline.
 * - Its single Prometheus input is `DS_PROMETHEUS`: community Grafana chart values bind it with
 *   the list form `datasource: [{ name: DS_PROMETHEUS, value: ... }]`.
 */
export const TRIVY_OPERATOR_DASHBOARD: CatalogDashboard = {
  gnetId: 17813,
  revision: 2,
  title: "Trivy Operator Dashboard",
  datasourceInputs: ["DS_PROMETHEUS"],
  source: "aquasecurity/trivy-operator docs/tutorials/grafana-dashboard.md (revision 2)",
};

/** Every catalog entry, keyed by gnetId. */
export const DASHBOARD_CATALOG: Readonly<Record<number, CatalogDashboard>> = {
  [TRIVY_OPERATOR_DASHBOARD.gnetId]: TRIVY_OPERATOR_DASHBOARD,
};

/** Where grafana.com (or a mirror of its API) serves one pinned revision of a dashboard. */
export function dashboardDownloadUrl(gnetId: number, revision: number, baseUrl = "https://grafana.com"): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/dashboards/${gnetId}/revisions/${revision}/download`;
}

/** The catalog entry of a gnetId, or undefined for dashboards outside the catalog. */
export function catalogDashboard(gnetId: number): CatalogDashboard | undefined {
  return DASHBOARD_CATALOG[gnetId];
}
