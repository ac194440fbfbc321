import { isLabelValue, labelKeyProblem } from "../common/kubernetes-names";
import type { Taint, TaintEffect, Toleration } from "./taint";

export const TAINT_EFFECTS: readonly TaintEffect[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/**
 * Checks every taint and throws on the first problem. `field` prefixes each message so callers can
 * say where the list came from (e.g. `environment "prod", cluster "eu-1": taints`).
 */
export function validateTaints(taints: readonly Taint[], field = "taints"): void {
  for (const [index, taint] of taints.entries()) {
    const at = `${field}[${index}]`;
    if (typeof taint.key !== "string") {
      throw new Error(`${at}.key must be a string, got ${JSON.stringify(taint.key)}`);
    }
    const keyProblem = labelKeyProblem(taint.key);
    if (keyProblem) {
      throw new Error(`${at}.key must be a valid label key (${keyProblem}), got ${JSON.stringify(taint.key)}`);
    }
    if (taint.value !== undefined && !isLabelValue(taint.value)) {
      throw new Error(
        `${at}.value must be a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got ${JSON.stringify(taint.value)}`,
      );
    }
    if (taint.effect !== undefined && !TAINT_EFFECTS.includes(taint.effect)) {
      throw new Error(`${at}.effect must be one of ${TAINT_EFFECTS.join(", ")}, got ${JSON.stringify(taint.effect)}`);
    }
  }
}

/** Checks tolerations written by hand (e.g. through `extraValues`); `Exists` takes no value. */
export function validateTolerations(tolerations: readonly Toleration[], field = "tolerations"): void {
  for (const [index, toleration] of tolerations.entries()) {
    const at = `${field}[${index}]`;
    if (toleration.operator !== "Equal" && toleration.operator !== "Exists") {
      throw new Error(`${at}.operator must be one of Equal, Exists, got ${JSON.stringify(toleration.operator)}`);
    }
    if (toleration.operator === "Exists" && toleration.value !== undefined && toleration.value !== "") {
      throw new Error(`${at}.value must be empty when operator is Exists, got ${JSON.stringify(toleration.value)}`);
    }
    if (toleration.operator === "Equal" && toleration.key === undefined) {
      throw new Error(`${at}.key is required when operator is Equal`);
    }
    if (toleration.key !== undefined) {
      const keyProblem = labelKeyProblem(toleration.key);
      if (keyProblem) throw new Error(`${at}.key must be a valid label key (${keyProblem}), got ${JSON.stringify(toleration.key)}`);
    }
    if (toleration.effect !== undefined && !TAINT_EFFECTS.includes(toleration.effect)) {
      throw new Error(`${at}.effect must be one of ${TAINT_EFFECTS.join(", ")}, got ${JSON.stringify(toleration.effect)}`);
    }
    if (
      toleration.tolerationSeconds !== undefined &&
      (toleration.effect !== "NoExecute" || !Number.isInteger(toleration.tolerationSeconds))
    ) {
      throw new Error(
        `${at}.tolerationSeconds must be an integer and needs effect NoExecute, got ${JSON.stringify(toleration.tolerationSeconds)}`,
      );
    }
  }
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
