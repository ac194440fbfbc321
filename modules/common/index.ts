// Shared helpers of the modules; none of them is public API (modules/index.ts exports nothing from here).
export { terraformLiteral } from "./terraform-literal";
export type { CoversAll } from "./covers-all";
export { isPlainObject, valueAt } from "./plain-object";
export {
  DNS_LABEL,
  DNS_SUBDOMAIN,
  LABEL_NAME,
  LABEL_VALUE,
  isDnsLabel,
  isDnsSubdomain,
  isLabelKey,
  isLabelValue,
  labelKeyProblem,
} from "./kubernetes-names";
export { GRAFANA_UID, isGrafanaUid } from "./grafana-names";
export { ValidationError, describeProblem, type ValidationProblem } from "./validation-error";
export {
  formatCliDuration,
  formatPrometheusDuration,
  parseCliDuration,
  parseGoDuration,
  parsePrometheusDuration,
  prometheusDurationOf,
} from "./duration";
export {
  CHART_SEVERITIES,
  SEVERITY_LEVELS,
  TITLE_SEVERITIES,
  lowerSeverity,
  titleSeverity,
  upperSeverity,
  type LowerSeverity,
  type TitleSeverity,
  type UpperSeverity,
} from "./severity";
