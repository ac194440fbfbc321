export * from "./alert-rules";
export * from "./manifests";
export * from "./trivy-grafana-alerts";
export * from "./trivy-operator-monitoring";
