export * from "./common";
export * from "./manifest-bundle";
export * from "./tolerations";
export * from "./trivy-operator";
export * from "./grafana-dashboard";
export * from "./monitoring";
export * from "./network-policy";
