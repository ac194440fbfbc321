export * from "./terraform-literal";
export * from "./plain-object";
