/** Effects a node taint can have (core/v1 Taint.effect). */
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/**
 * A taint that nodes of the cluster carry, as `kubectl get nodes -o json` shows it in `.spec.taints`.
 * Every Trivy component that must run on such nodes gets a matching toleration.
 */
export interface Taint {
  /** Taint key, e.g. `dedicated` or `node-role.kubernetes.io/control-plane`. */
  readonly key: string;
  /**
   * Taint value. Leave undefined to tolerate every value of the key (`operator: Exists`).
   * @default - any value (operator Exists)
   */
  readonly value?: string;
  /**
   * Effect to tolerate. Leave undefined to tolerate every effect of the key.
   * @default - every effect
   */
  readonly effect?: TaintEffect;
}

/** A core/v1 Toleration as the chart and the Kubernetes API spell it. */
export interface Toleration {
  readonly key?: string;
  readonly operator: "Equal" | "Exists";
  readonly value?: string;
  readonly effect?: TaintEffect;
  readonly tolerationSeconds?: number;
}
