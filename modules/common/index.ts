export * from "./terraform-literal";
export * from "./plain-object";
export * from "./kubernetes-names";
