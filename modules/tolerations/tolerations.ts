import { isLabelValue, labelKeyProblem } from "../common/kubernetes-names";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import type { Taint, TaintEffect, Toleration } from "./taint";

export const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

const LABEL_VALUE_RULE = "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** Every problem of a taint list, as data (empty when valid). `field` is the list's path, e.g. `taints`. */
export function taintProblems(taints: readonly Taint[], field = "taints"): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const [index, taint] of taints.entries()) {
    const at = `${field}[${index}]`;
    if (typeof taint.key !== "string") {
      problems.push({ path: `${at}.key`, value: taint.key, expected: "use a label key string such as dedicated" });
    } else {
      const keyProblem = labelKeyProblem(taint.key);
      if (keyProblem) problems.push({ path: `${at}.key`, value: taint.key, expected: `not a valid label key (${keyProblem})` });
    }
    if (taint.value !== undefined && !isLabelValue(taint.value)) {
      problems.push({ path: `${at}.value`, value: taint.value, expected: `not a valid label value (${LABEL_VALUE_RULE})` });
    }
    if (taint.effect !== undefined && !TAINT_EFFECTS.includes(taint.effect)) {
      problems.push({ path: `${at}.effect`, value: taint.effect, expected: `use one of ${TAINT_EFFECTS.join(", ")}` });
    }
  }
  return problems;
}

/** Throws one ValidationError listing every problem of the taints (see taintProblems). */
export function validateTaints(taints: readonly Taint[], field = "taints"): void {
  const problems = taintProblems(taints, field);
  if (problems.length > 0) throw new ValidationError("taint", problems);
}

/** Every problem of tolerations written by hand (e.g. through `extraValues`); `Exists` takes no value. */
export function tolerationProblems(tolerations: readonly Toleration[], field = "tolerations"): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const [index, toleration] of tolerations.entries()) {
    const at = `${field}[${index}]`;
    if (toleration.operator !== "Equal" && toleration.operator !== "Exists") {
      problems.push({ path: `${at}.operator`, value: toleration.operator, expected: "use one of Equal, Exists" });
    }
    if (toleration.operator === "Exists" && toleration.value !== undefined && toleration.value !== "") {
      problems.push({ path: `${at}.value`, value: toleration.value, expected: "must be empty when operator is Exists" });
    }
    if (toleration.operator === "Equal" && toleration.key === undefined) {
      problems.push({ path: `${at}.key`, value: toleration.key, expected: "required when operator is Equal" });
    }
    if (toleration.key !== undefined) {
      const keyProblem = labelKeyProblem(toleration.key);
      if (keyProblem) problems.push({ path: `${at}.key`, value: toleration.key, expected: `not a valid label key (${keyProblem})` });
    }
    if (toleration.effect !== undefined && !TAINT_EFFECTS.includes(toleration.effect)) {
      problems.push({ path: `${at}.effect`, value: toleration.effect, expected: `use one of ${TAINT_EFFECTS.join(", ")}` });
    }
    if (
      toleration.tolerationSeconds !== undefined &&
      (toleration.effect !== "NoExecute" || !Number.isInteger(toleration.tolerationSeconds))
    ) {
      problems.push({
        path: `${at}.tolerationSeconds`,
        value: toleration.tolerationSeconds,
        expected: "use an integer, together with effect NoExecute",
      });
    }
  }
  return problems;
}

/** Throws one ValidationError listing every problem of the tolerations (see tolerationProblems). */
export function validateTolerations(tolerations: readonly Toleration[], field = "tolerations"): void {
  const problems = tolerationProblems(tolerations, field);
  if (problems.length > 0) throw new ValidationError("toleration", problems);
}

/**
 * One toleration per taint: `Equal` when the taint names a value, `Exists` (any value) otherwise.
 * Duplicate taints collapse to one toleration.
 */
export function tolerationsForTaints(taints: readonly Taint[]): Toleration[] {
  validateTaints(taints);
  const seen = new Set<string>();
  const tolerations: Toleration[] = [];
  for (const taint of taints) {
    const toleration: Toleration =
      taint.value === undefined
        ? { key: taint.key, operator: "Exists", ...(taint.effect ? { effect: taint.effect } : {}) }
        : { key: taint.key, operator: "Equal", value: taint.value, ...(taint.effect ? { effect: taint.effect } : {}) };
    const identity = JSON.stringify(toleration);
    if (seen.has(identity)) continue;
    seen.add(identity);
    tolerations.push(toleration);
  }
  return tolerations;
}

/** The chart values that carry tolerations, one entry per Trivy component. */
export interface TolerationChartValues {
  /** Operator Deployment and, when enabled, the built-in Trivy server StatefulSet. */
  readonly tolerations: Toleration[];
  readonly trivyOperator: { readonly scanJobTolerations: Toleration[] };
  /** Present only when the node collector runs; the chart reads it since 0.22.0. */
  readonly nodeCollector?: { readonly tolerations: Toleration[] };
}

export interface TolerationChartValuesOptions {
  /**
   * Whether the node collector runs (infra assessment on). Its pods are pinned to each node by
   * hostname, so a missing toleration leaves them Pending until the scan job deadline.
   * @default true
   */
  readonly nodeCollector?: boolean;
}

/**
 * Maps the cluster's taints to the chart values of every component. The chart keeps them
 * separate: top-level `tolerations` only reach the operator (and Trivy server), scan jobs read
 * `trivyOperator.scanJobTolerations`, and since chart 0.22.0 the node collector reads only
 * `nodeCollector.tolerations` — the field report (docs/field-report.md §5) set the first and
 * still saw Pending pods.
 */
export function tolerationChartValues(taints: readonly Taint[], options: TolerationChartValuesOptions = {}): TolerationChartValues {
  const tolerations = tolerationsForTaints(taints);
  const includeNodeCollector = options.nodeCollector ?? true;
  return {
    tolerations: [...tolerations],
    trivyOperator: { scanJobTolerations: [...tolerations] },
    ...(includeNodeCollector ? { nodeCollector: { tolerations: [...tolerations] } } : {}),
  };
}
