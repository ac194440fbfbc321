export * from "./options";
export * from "./defaults";
export * from "./chart-value-paths";
export * from "./validation";
export * from "./values";
export * from "./trivy-operator";
export * from "./db-credentials";
export * from "./image-glob";
