export {
  TrivyOperator,
  trivyOperatorPropsProblems,
  validateTrivyOperatorProps,
  type PodSecurityLevel,
  type TrivyOperatorProps,
} from "./trivy-operator";
export { trivyOperatorFacts, type ITrivyOperator, type TrivyOperatorAttributes, type TrivyOperatorFacts } from "./operator-ref";
export type { ChartSource, ResourceQuantities, ResourceRequirements, TrivyOperatorOptions } from "./options";
export type { DbRepositoryCredentials } from "./db-credentials";
export {
  buildTrivyOperatorValues,
  checksBundleReference,
  resolveTrivyOperatorOptions,
  serverRollTriggers,
  serverStartUpConfigHash,
  startUpConfigHash,
  type ChartValues,
  type ChecksBundleReference,
  type ResolvedTrivyOperatorOptions,
  type ServerCredentialIdentity,
} from "./values";
export { trivyOperatorOptionProblems, trivyOperatorWarnings, validateTrivyOperatorOptions } from "./validation";
export { checkChartValuePaths, SUPPORTED_CHART_VERSIONS } from "./chart-value-paths";
export { filepathMatch } from "./image-glob";
export { SERVER_CONFIG_HASH_ANNOTATION, SEVERITIES, WORKLOAD_KINDS } from "./defaults";
