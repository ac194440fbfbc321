export {
  DASHBOARD_DELIVERIES,
  GrafanaDashboard,
  grafanaDashboardProblems,
  validateGrafanaDashboardProps,
  type DashboardDelivery,
  type DeliveredDashboardProps,
  type GrafanaApiDashboardProps,
  type GrafanaDashboardCommonProps,
  type GrafanaDashboardProps,
  type HelmValuesDashboardProps,
  type SidecarDashboardProps,
} from "./grafana-dashboard";
export type { GrafanaChartDashboardValues } from "./helm-values";
export {
  DashboardBindingError,
  parseDashboardJson,
  prepareDashboard,
  type DatasourceTarget,
  type PrepareDashboardOptions,
} from "./prepare-dashboard";
