export type { Taint, TaintEffect, Toleration } from "./taint";
export {
  TAINT_EFFECTS,
  tolerationChartValues,
  taintProblems,
  tolerationsForTaints,
  validateTaints,
  type TolerationChartValues,
  type TolerationChartValuesOptions,
} from "./tolerations";
