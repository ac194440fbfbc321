import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  CHART_SEVERITIES,
  lowerSeverity,
  SEVERITY_LEVELS,
  TITLE_SEVERITIES,
  titleSeverity,
  upperSeverity,
} from "../../../modules/common/severity";
import { VULNERABILITY_SEVERITIES } from "../../fixtures/metrics/emitted-series";

/** Every `enum` list in a CRD schema that names CRITICAL: the severity fields. */
function severityEnums(node: unknown): string[][] {
  if (Array.isArray(node)) return node.flatMap(severityEnums);
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "enum" && Array.isArray(value) && value.includes("CRITICAL") ? [value as string[]] : severityEnums(value),
  );
}

describe("one severity list, three spellings", () => {
  it("can spell the CRDs' severities: the VulnerabilityReport enum of trivy-operator v0.32.0", () => {
    const crd = parse(
      readFileSync(path.resolve(__dirname, "../../fixtures/crds/aquasecurity.github.io_vulnerabilityreports.yaml"), "utf8"),
    ) as unknown;
    const enums = severityEnums(crd);
    expect(enums.length).toBeGreaterThan(0);
    for (const values of enums) expect([...values].sort()).toEqual([...CHART_SEVERITIES].sort());
  });

  it("can list them in the chart's own default order (values.yaml trivy.severity)", () => {
    expect(CHART_SEVERITIES.join(",")).toBe("UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL");
  });

  it("can spell the metric labels as the operator emits them (pkg/metrics/types.go), worst first", () => {
    expect(TITLE_SEVERITIES).toEqual(VULNERABILITY_SEVERITIES);
  });

  it("can convert between the spellings both ways", () => {
    for (const severity of SEVERITY_LEVELS) {
      expect(lowerSeverity(upperSeverity(severity))).toBe(severity);
      expect(lowerSeverity(titleSeverity(severity))).toBe(severity);
    }
    expect(upperSeverity("medium")).toBe("MEDIUM");
    expect(titleSeverity("unknown")).toBe("Unknown");
  });

  it.each(["", "NONE", "severe", "CRITICAL ", "crit"])("refuses %j as a severity", (value) => {
    expect(lowerSeverity(value)).toBeUndefined();
  });
});
