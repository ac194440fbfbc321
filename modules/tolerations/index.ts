export * from "./taint";
export * from "./tolerations";
