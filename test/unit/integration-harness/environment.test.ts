import { describe, expect, it } from "vitest";
import { DEFAULT_REPORT_TIMEOUT_SECONDS, parseHarnessEnvironment } from "../../integration/harness/environment";

describe("harness environment", () => {
  it("defaults to failing on missing tools, deleting the cluster and test-results/", () => {
    const environment = parseHarnessEnvironment({}, "/repo");

    expect(environment).toMatchObject({
      skipWhenMissing: false,
      keepCluster: false,
      artifactsDir: "/repo/test-results",
      playgroundClusterName: "trivy-playground",
      reportTimeoutMs: DEFAULT_REPORT_TIMEOUT_SECONDS * 1000,
    });
  });

  it("reads the opt-ins as flags", () => {
    expect(parseHarnessEnvironment({ TRIVY_E2E_SKIP_MISSING: "1", TRIVY_E2E_KEEP_CLUSTER: "true" }, "/repo")).toMatchObject({
      skipWhenMissing: true,
      keepCluster: true,
    });
    expect(parseHarnessEnvironment({ TRIVY_E2E_SKIP_MISSING: "0" }, "/repo").skipWhenMissing).toBe(false);
  });

  it("resolves a relative artifacts dir against the repo root", () => {
    expect(parseHarnessEnvironment({ TRIVY_E2E_ARTIFACTS_DIR: "out/e2e" }, "/repo").artifactsDir).toBe("/repo/out/e2e");
  });

  it("fails on a report timeout that is not a positive number", () => {
    expect(parseHarnessEnvironment({ TRIVY_E2E_REPORT_TIMEOUT_SECONDS: "90" }, "/repo").reportTimeoutMs).toBe(90_000);
    expect(() => parseHarnessEnvironment({ TRIVY_E2E_REPORT_TIMEOUT_SECONDS: "ten" }, "/repo")).toThrow(
      /positive number of seconds, got "ten"/,
    );
  });
});
