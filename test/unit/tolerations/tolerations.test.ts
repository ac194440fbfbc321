import { describe, expect, it } from "vitest";
import type { Taint } from "../../../modules/tolerations/taint";
import { tolerationChartValues, tolerationsForTaints, validateTaints, validateTolerations } from "../../../modules/tolerations/tolerations";

describe("tolerationsForTaints", () => {
  it("can tolerate a taint with a value using Equal", () => {
    expect(tolerationsForTaints([{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }])).toEqual([
      { key: "dedicated", operator: "Equal", value: "security-scans", effect: "NoSchedule" },
    ]);
  });

  it("can tolerate every value of a key using Exists without a value", () => {
    const [toleration] = tolerationsForTaints([{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]);
    expect(toleration).toEqual({ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" });
    expect(toleration).not.toHaveProperty("value");
  });

  it("can tolerate every effect when the taint names none", () => {
    expect(tolerationsForTaints([{ key: "spot" }])).toEqual([{ key: "spot", operator: "Exists" }]);
  });

  it("can collapse duplicate taints into one toleration", () => {
    const taint: Taint = { key: "dedicated", value: "a", effect: "NoExecute" };
    expect(tolerationsForTaints([taint, { ...taint }])).toHaveLength(1);
  });

  it("fails when an effect is not a Kubernetes taint effect", () => {
    expect(() => tolerationsForTaints([{ key: "dedicated", effect: "NoScheduel" as Taint["effect"] }])).toThrow(
      'taints[0].effect "NoScheduel" is invalid: use one of NoSchedule, PreferNoSchedule, NoExecute',
    );
  });

  it.each([["bad key!"], ["Example.com/x"], ["/name"], [""], ["a".repeat(64)]])("fails when the key %j is not a label key", (key) => {
    expect(() => validateTaints([{ key }], "taints")).toThrow(/taints\[0\]\.key ".*" is invalid: not a valid label key/);
  });

  it("fails when a value is not a label value", () => {
    expect(() => validateTaints([{ key: "dedicated", value: "has space" }])).toThrow(
      'taints[0].value "has space" is invalid: not a valid label value',
    );
  });
});

describe("validateTolerations", () => {
  it("fails when an Exists toleration carries a value", () => {
    expect(() => validateTolerations([{ key: "dedicated", operator: "Exists", value: "x" }])).toThrow(
      'tolerations[0].value "x" is invalid: must be empty when operator is Exists',
    );
  });

  it("fails when the operator is neither Equal nor Exists", () => {
    expect(() => validateTolerations([{ key: "k", operator: "In" as "Equal" }])).toThrow(
      'tolerations[0].operator "In" is invalid: use one of Equal, Exists',
    );
  });

  it("can accept a NoExecute toleration with tolerationSeconds", () => {
    expect(() => validateTolerations([{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }])).not.toThrow();
  });
});

describe("tolerationChartValues", () => {
  const taints: Taint[] = [{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }];

  it("can give the same tolerations to the operator, scan jobs and node collector", () => {
    const values = tolerationChartValues(taints);
    const expected = [{ key: "dedicated", operator: "Equal", value: "security-scans", effect: "NoSchedule" }];
    expect(values.tolerations).toEqual(expected);
    expect(values.trivyOperator.scanJobTolerations).toEqual(expected);
    expect(values.nodeCollector?.tolerations).toEqual(expected);
  });

  it("can leave the node collector out when it does not run", () => {
    expect(tolerationChartValues(taints, { nodeCollector: false })).not.toHaveProperty("nodeCollector");
  });
});
