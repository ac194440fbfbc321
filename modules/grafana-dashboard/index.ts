export {
  GrafanaDashboard,
  grafanaDashboardProblems,
  validateGrafanaDashboardProps,
  type DashboardDelivery,
  type GrafanaDashboardProps,
} from "./grafana-dashboard";
export type { GrafanaChartDashboardValues } from "./helm-values";
export {
  DashboardBindingError,
  parseDashboardJson,
  prepareDashboard,
  type DatasourceTarget,
  type PrepareDashboardOptions,
} from "./prepare-dashboard";
