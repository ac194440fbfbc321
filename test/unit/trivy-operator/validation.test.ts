import { describe, expect, it } from "vitest";
import type { TrivyOperatorOptions } from "../../../modules/trivy-operator/options";
import { quantityValue, trivyOperatorOptionProblems, validateTrivyOperatorOptions } from "../../../modules/trivy-operator/validation";

describe("validateTrivyOperatorOptions", () => {
  it("can accept the Go spellings the operator reads: fractions and mixed units", () => {
    expect(() => validateTrivyOperatorOptions({ scannerReportTTL: "1.5h", trivyTimeout: "10m0s", scanJobTimeout: "0.25h" })).not.toThrow();
    // Compared by value, not by spelling: 87m + 3m is exactly 1.5h; 1.49h is 36s short of it.
    expect(() => validateTrivyOperatorOptions({ trivyTimeout: "87m", scanJobTimeout: "1.5h" })).not.toThrow();
    expect(() => validateTrivyOperatorOptions({ trivyTimeout: "87m", scanJobTimeout: "1.49h" })).toThrow(
      'scanJobTimeout "1.49h" is invalid: must be at least trivyTimeout (87m) + 3m in Standalone mode',
    );
  });

  it("can accept the empty options (all defaults)", () => {
    expect(() => validateTrivyOperatorOptions({})).not.toThrow();
  });

  it("can accept a request alone when it fits the chart's limit, or the chart sets none", () => {
    expect(() =>
      validateTrivyOperatorOptions({
        scanJobResources: { requests: { memory: "400M" } },
        operatorResources: { requests: { memory: "4Gi" } },
      }),
    ).not.toThrow();
  });

  it.each<[string, TrivyOperatorOptions, string]>([
    ["scanJobsConcurrentLimit 0", { scanJobsConcurrentLimit: 0 }, "scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100"],
    [
      "scanJobsConcurrentLimit 1.5",
      { scanJobsConcurrentLimit: 1.5 },
      "scanJobsConcurrentLimit 1.5 is invalid: use an integer from 1 to 100",
    ],
    [
      "a memory typo",
      { scanJobResources: { limits: { memory: "1500MB" } } },
      'scanJobResources.limits.memory "1500MB" is invalid: use a Kubernetes quantity such as "1500M" or "1Gi"',
    ],
    // Stack configs are data: null where an object belongs must name the field, not raise a TypeError.
    [
      "null resources",
      { scanJobResources: null } as unknown as TrivyOperatorOptions,
      "scanJobResources null is invalid: use an object with requests and/or limits",
    ],
    [
      "null limits",
      { operatorResources: { limits: null } } as unknown as TrivyOperatorOptions,
      "operatorResources.limits null is invalid: use an object with cpu and/or memory",
    ],
    [
      "a request above its limit",
      { operatorResources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } },
      'operatorResources.requests.memory "2Gi" is invalid: must not exceed operatorResources.limits.memory (1Gi)',
    ],
    [
      "a request above the chart's limit that Helm keeps",
      { scanJobResources: { requests: { memory: "1Gi" } } },
      'scanJobResources.requests.memory "1Gi" is invalid: must not exceed the chart\'s trivy.resources.limits.memory, which Helm keeps when scanJobResources.limits.memory is left out (500M)',
    ],
    [
      "a duration without unit",
      { scannerReportTTL: "24" },
      'scannerReportTTL "24" is invalid: use a positive Go duration such as "24h", "10m0s" or "90s"',
    ],
    // time.ParseDuration reads "0" and "-1h"; neither is a TTL.
    [
      "a zero TTL",
      { scannerReportTTL: "0" },
      'scannerReportTTL "0" is invalid: use a positive Go duration such as "24h", "10m0s" or "90s"',
    ],
    [
      "a negative TTL",
      { scannerReportTTL: "-1h" },
      'scannerReportTTL "-1h" is invalid: use a positive Go duration such as "24h", "10m0s" or "90s"',
    ],
    [
      "a Prometheus day",
      { scannerReportTTL: "1d" },
      'scannerReportTTL "1d" is invalid: use a positive Go duration such as "24h", "10m0s" or "90s"',
    ],
    [
      "a Job deadline below Trivy's timeout",
      { trivyTimeout: "15m", scanJobTimeout: "10m" },
      'scanJobTimeout "10m" is invalid: must be at least trivyTimeout (15m) + 3m in Standalone mode',
    ],
    [
      "an equal Job deadline",
      { trivyTimeout: "10m", scanJobTimeout: "600s" },
      'scanJobTimeout "600s" is invalid: must be at least trivyTimeout (10m) + 3m in Standalone mode',
    ],
    // Upstream fact: the Job deadline (builder.go ScanJobBuilder.Get activeDeadlineSeconds) also covers
    // the Standalone DB-download init container, which gets no TRIVY_TIMEOUT (image.go
    // GetPodSpecForImageScan); the old 12m/10m pair left 2 minutes for scheduling, pull and download.
    // limit_checker.go countJobs counts every Job with the scan-job labels whatever its status, so Jobs
    // kept by a TTL (scanjob.go deleteJob returns early when TTLSecondsAfterFinished is set) hold slots.
    [
      "a scan Job TTL through extraValues",
      { extraValues: { operator: { scanJobTTL: "1h" } } },
      'extraValues.operator.scanJobTTL "1h" is invalid: must not be set: kept scan Jobs still count against scanJobsConcurrentLimit (trivy-operator limit_checker.go countJobs',
    ],
    // plugin.go ExcludeImage drops a pattern whose filepath.Match returns ErrBadPattern: it would exclude nothing.
    [
      "a malformed image glob",
      { excludeImages: ["registry.example.com/[team"] },
      'excludeImages[0] "registry.example.com/[team" is invalid: not a pattern Go\'s filepath.Match accepts',
    ],
    [
      "the old 12m deadline over a 10m0s Trivy timeout in Standalone mode",
      { scanJobTimeout: "12m" },
      "the Job deadline also covers scheduling, pulling the Trivy image and the DB-download init container, which runs without TRIVY_TIMEOUT",
    ],
    [
      "too little headroom for the image pull in ClientServer mode",
      { builtInTrivyServer: true, scanJobTimeout: "10m30s" },
      'scanJobTimeout "10m30s" is invalid: must be at least trivyTimeout (10m0s) + 1m in ClientServer mode: the Job deadline also covers scheduling and pulling the Trivy image',
    ],
    [
      "an upper-case namespace",
      { namespace: "Trivy" },
      "namespace \"Trivy\" is invalid: use a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)",
    ],
    [
      "a long release name",
      { releaseName: "r".repeat(54) },
      `releaseName "${"r".repeat(54)}" is invalid: use a DNS-1123 label of at most 53 characters`,
    ],
    [
      "an unknown chart version",
      { chartVersion: "0.99.0" },
      'chartVersion "0.99.0" is invalid: use one of 0.34.0 (versions whose value paths are committed in modules/trivy-operator/chart-values)',
    ],
    ["an unknown chart source", { chartSource: "git" as "oci" }, 'chartSource "git" is invalid: use one of https, oci'],
    [
      "a severity typo",
      { severities: ["CRITICAL", "HIHG" as "HIGH"] },
      'severities[1] "HIHG" is invalid: use one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL',
    ],
    ["no severities", { severities: [] }, "severities [] is invalid: name at least one entry"],
    [
      "an upper-case workload kind",
      { targetWorkloads: ["Deployment" as "pod"] },
      'targetWorkloads[0] "Deployment" is invalid: use one of pod, replicaset, replicationcontroller, statefulset, daemonset, cronjob, job',
    ],
    [
      "a comma inside a list entry",
      { excludeImages: ["a/*,b/*"] },
      'excludeImages[0] "a/*,b/*" is invalid: use an image glob without spaces or commas',
    ],
    [
      "a repeated namespace",
      { targetNamespaces: ["apps", "apps"] },
      'targetNamespaces "apps" is invalid: listed twice: name each entry once',
    ],
    [
      "a registry with a scheme",
      { dbRegistry: "https://mirror.gcr.io" },
      'dbRegistry "https://mirror.gcr.io" is invalid: use a registry host name with an optional port, such as "mirror.gcr.io"',
    ],
    [
      "a repository with a tag",
      { dbRepository: "aquasec/trivy-db:2" },
      'dbRepository "aquasec/trivy-db:2" is invalid: use a repository path without registry or tag',
    ],
    ["a string boolean", { ignoreUnfixed: "true" as unknown as boolean }, 'ignoreUnfixed "true" is invalid: use true or false'],
    [
      "a secret namespace that is no namespace",
      { privateRegistryScanSecretsNames: { "Apps!": ["pull"] } },
      'privateRegistryScanSecretsNames "Apps!" is invalid: keys must be namespace names (DNS-1123 labels)',
    ],
    [
      "a label key with spaces",
      { skipResourceByLabels: ["skip me"] },
      'skipResourceByLabels[0] "skip me" is invalid: use a label key such as "example.com/skip-scan"',
    ],
  ])("fails when given %s", (_name, options, message) => {
    expect(() => validateTrivyOperatorOptions(options)).toThrow(message);
  });

  it("can prefix messages with the caller's field path", () => {
    expect(() => validateTrivyOperatorOptions({ scanJobsConcurrentLimit: 0 }, "operator.")).toThrow(
      /^trivy operator operator\.scanJobsConcurrentLimit 0 is invalid/,
    );
  });

  it("can report every problem at once, one line each, in the order of the options", () => {
    const problems = trivyOperatorOptionProblems({
      scanJobsConcurrentLimit: 0,
      severities: ["CRITICAL", "HIHG" as "HIGH"],
      targetNamespaces: ["apps", "apps"],
      scannerReportTTL: "24",
      trivyTimeout: "x",
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      "scanJobsConcurrentLimit",
      "severities[1]",
      "targetNamespaces",
      "scannerReportTTL",
      "trivyTimeout",
    ]);
    // Two bad durations leave nothing to compare: no headroom problem on top of them.
    expect(() => validateTrivyOperatorOptions({ scanJobsConcurrentLimit: 0, scannerReportTTL: "24" })).toThrow(
      /scanJobsConcurrentLimit 0 is invalid.*\n.*scannerReportTTL "24" is invalid/,
    );
  });

  it("can skip the chart-dependent checks of an unknown chart version, and still report the rest", () => {
    const problems = trivyOperatorOptionProblems({
      chartVersion: "0.99.0",
      scanJobResources: { requests: { memory: "1Gi" } },
      extraValues: { nope: true },
      scanJobsConcurrentLimit: 0,
    });
    expect(problems.map((problem) => problem.path)).toEqual(["chartVersion", "scanJobsConcurrentLimit"]);
  });

  it("can report every extraValues problem at once, never echoing a secret", () => {
    const problems = trivyOperatorOptionProblems({
      extraValues: {
        triyvOperator: { scanJobTolerations: [] },
        trivy: { dbRepositoryPassword: "hunter2", ignoreUnfixed: "yes" },
        nodeCollector: { tolerations: [{ operator: "Exists", value: "x" }] },
      },
    });
    expect(problems).toEqual([
      expect.objectContaining({ path: "extraValues.trivy.dbRepositoryPassword", value: "(a secret, not shown)" }),
      expect.objectContaining({
        path: "extraValues",
        value: "triyvOperator.scanJobTolerations",
        expected: 'not a value of trivy-operator chart 0.34.0; did you mean "trivyOperator.scanJobTolerations"?',
      }),
      expect.objectContaining({ path: "extraValues.trivy.ignoreUnfixed", value: "yes" }),
      expect.objectContaining({ path: "extraValues.nodeCollector.tolerations[0].value", value: "x" }),
    ]);
    expect(JSON.stringify(problems)).not.toContain("hunter2");
  });
});

describe("quantities and durations", () => {
  it("can compare decimal and binary memory units", () => {
    expect(quantityValue("1500M")).toBe(1.5e9);
    expect(quantityValue("1Gi")).toBe(2 ** 30);
    expect(quantityValue("500m")).toBeCloseTo(0.5);
  });
});
