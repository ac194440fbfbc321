export * from "./grafana-dashboard";
export * from "./helm-values";
export * from "./prepare-dashboard";
export * from "./terraform-binding";
