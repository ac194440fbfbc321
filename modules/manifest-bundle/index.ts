export * from "./manifest-bundle";
