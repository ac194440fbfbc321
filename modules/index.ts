export * from "./common";
export * from "./manifest-bundle";
export * from "./tolerations";
export * from "./trivy-operator";
