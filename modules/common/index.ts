export * from "./terraform-literal";
