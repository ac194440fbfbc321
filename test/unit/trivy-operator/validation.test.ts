import { describe, expect, it } from "vitest";
import type { TrivyOperatorOptions } from "../../../modules/trivy-operator/options";
import { quantityValue, validateTrivyOperatorOptions } from "../../../modules/trivy-operator/validation";

describe("validateTrivyOperatorOptions", () => {
  it("can accept the Go spellings the operator reads: fractions and mixed units", () => {
    expect(() => validateTrivyOperatorOptions({ scannerReportTTL: "1.5h", trivyTimeout: "10m0s", scanJobTimeout: "0.25h" })).not.toThrow();
    // Compared by value, not by spelling: 87m + 3m is exactly 1.5h; 1.49h is 36s short of it.
    expect(() => validateTrivyOperatorOptions({ trivyTimeout: "87m", scanJobTimeout: "1.5h" })).not.toThrow();
    expect(() => validateTrivyOperatorOptions({ trivyTimeout: "87m", scanJobTimeout: "1.49h" })).toThrow(
      'scanJobTimeout must be at least trivyTimeout (87m) + 3m in Standalone mode, got "1.49h"',
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
    ["scanJobsConcurrentLimit 0", { scanJobsConcurrentLimit: 0 }, "scanJobsConcurrentLimit must be an integer from 1 to 100, got 0"],
    ["scanJobsConcurrentLimit 1.5", { scanJobsConcurrentLimit: 1.5 }, "scanJobsConcurrentLimit must be an integer from 1 to 100, got 1.5"],
    [
      "a memory typo",
      { scanJobResources: { limits: { memory: "1500MB" } } },
      'scanJobResources.limits.memory must be a Kubernetes quantity such as "1500M" or "1Gi", got "1500MB"',
    ],
    // Stack configs are data: null where an object belongs must name the field, not raise a TypeError.
    [
      "null resources",
      { scanJobResources: null } as unknown as TrivyOperatorOptions,
      "scanJobResources must be an object with requests and/or limits, got null",
    ],
    [
      "null limits",
      { operatorResources: { limits: null } } as unknown as TrivyOperatorOptions,
      "operatorResources.limits must be an object with cpu and/or memory, got null",
    ],
    [
      "a request above its limit",
      { operatorResources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } },
      'operatorResources.requests.memory must not exceed operatorResources.limits.memory (1Gi), got "2Gi"',
    ],
    [
      "a request above the chart's limit that Helm keeps",
      { scanJobResources: { requests: { memory: "1Gi" } } },
      'scanJobResources.requests.memory must not exceed the chart\'s trivy.resources.limits.memory, which Helm keeps when scanJobResources.limits.memory is left out (500M), got "1Gi"',
    ],
    [
      "a duration without unit",
      { scannerReportTTL: "24" },
      'scannerReportTTL must be a positive Go duration such as "24h", "10m0s" or "90s", got "24"',
    ],
    // time.ParseDuration reads "0" and "-1h"; neither is a TTL.
    ["a zero TTL", { scannerReportTTL: "0" }, 'scannerReportTTL must be a positive Go duration such as "24h", "10m0s" or "90s", got "0"'],
    [
      "a negative TTL",
      { scannerReportTTL: "-1h" },
      'scannerReportTTL must be a positive Go duration such as "24h", "10m0s" or "90s", got "-1h"',
    ],
    [
      "a Prometheus day",
      { scannerReportTTL: "1d" },
      'scannerReportTTL must be a positive Go duration such as "24h", "10m0s" or "90s", got "1d"',
    ],
    [
      "a Job deadline below Trivy's timeout",
      { trivyTimeout: "15m", scanJobTimeout: "10m" },
      'scanJobTimeout must be at least trivyTimeout (15m) + 3m in Standalone mode, got "10m"',
    ],
    [
      "an equal Job deadline",
      { trivyTimeout: "10m", scanJobTimeout: "600s" },
      "scanJobTimeout must be at least trivyTimeout (10m) + 3m in Standalone mode",
    ],
    // Upstream fact: the Job deadline (builder.go ScanJobBuilder.Get activeDeadlineSeconds) also covers
    // the Standalone DB-download init container, which gets no TRIVY_TIMEOUT (image.go
    // GetPodSpecForImageScan); the old 12m/10m pair left 2 minutes for scheduling, pull and download.
    // limit_checker.go countJobs counts every Job with the scan-job labels whatever its status, so Jobs
    // kept by a TTL (scanjob.go deleteJob returns early when TTLSecondsAfterFinished is set) hold slots.
    [
      "a scan Job TTL through extraValues",
      { extraValues: { operator: { scanJobTTL: "1h" } } },
      'extraValues.operator.scanJobTTL must not be set, got "1h": kept scan Jobs still count against scanJobsConcurrentLimit (trivy-operator limit_checker.go countJobs',
    ],
    // plugin.go ExcludeImage drops a pattern whose filepath.Match returns ErrBadPattern: it would exclude nothing.
    [
      "a malformed image glob",
      { excludeImages: ["registry.example.com/[team"] },
      'excludeImages[0] must be a pattern Go\'s filepath.Match accepts, got "registry.example.com/[team"',
    ],
    [
      "the old 12m deadline over a 10m0s Trivy timeout in Standalone mode",
      { scanJobTimeout: "12m" },
      "the Job deadline also covers scheduling, pulling the Trivy image and the DB-download init container, which runs without TRIVY_TIMEOUT",
    ],
    [
      "too little headroom for the image pull in ClientServer mode",
      { builtInTrivyServer: true, scanJobTimeout: "10m30s" },
      'scanJobTimeout must be at least trivyTimeout (10m0s) + 1m in ClientServer mode, got "10m30s": the Job deadline also covers scheduling and pulling the Trivy image',
    ],
    [
      "an upper-case namespace",
      { namespace: "Trivy" },
      "namespace must be a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit), got \"Trivy\"",
    ],
    ["a long release name", { releaseName: "r".repeat(54) }, "releaseName must be a DNS-1123 label of at most 53 characters"],
    [
      "an unknown chart version",
      { chartVersion: "0.99.0" },
      'chartVersion must be one of 0.34.0 (versions whose value paths are committed in modules/trivy-operator/chart-values), got "0.99.0"',
    ],
    ["an unknown chart source", { chartSource: "git" as "oci" }, 'chartSource must be one of https, oci, got "git"'],
    [
      "a severity typo",
      { severities: ["CRITICAL", "HIHG" as "HIGH"] },
      'severities[1] must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL, got "HIHG"',
    ],
    ["no severities", { severities: [] }, "severities must name at least one entry"],
    [
      "an upper-case workload kind",
      { targetWorkloads: ["Deployment" as "pod"] },
      'targetWorkloads[0] must be one of pod, replicaset, replicationcontroller, statefulset, daemonset, cronjob, job, got "Deployment"',
    ],
    ["a comma inside a list entry", { excludeImages: ["a/*,b/*"] }, "excludeImages[0] must be an image glob without spaces or commas"],
    ["a repeated namespace", { targetNamespaces: ["apps", "apps"] }, 'targetNamespaces must not repeat entries, got "apps" twice'],
    [
      "a registry with a scheme",
      { dbRegistry: "https://mirror.gcr.io" },
      'dbRegistry must be a registry host name with an optional port, such as "mirror.gcr.io", got "https://mirror.gcr.io"',
    ],
    ["a repository with a tag", { dbRepository: "aquasec/trivy-db:2" }, "dbRepository must be a repository path without registry or tag"],
    ["a string boolean", { ignoreUnfixed: "true" as unknown as boolean }, 'ignoreUnfixed must be true or false, got "true"'],
    [
      "a secret namespace that is no namespace",
      { privateRegistryScanSecretsNames: { "Apps!": ["pull"] } },
      'privateRegistryScanSecretsNames keys must be namespace names (DNS-1123 labels), got "Apps!"',
    ],
    [
      "a label key with spaces",
      { skipResourceByLabels: ["skip me"] },
      'skipResourceByLabels[0] must be a label key such as "example.com/skip-scan", got "skip me"',
    ],
  ])("fails when given %s", (_name, options, message) => {
    expect(() => validateTrivyOperatorOptions(options)).toThrow(message);
  });

  it("can prefix messages with the caller's field path", () => {
    expect(() => validateTrivyOperatorOptions({ scanJobsConcurrentLimit: 0 }, "operator.")).toThrow(/^operator\.scanJobsConcurrentLimit/);
  });
});

describe("quantities and durations", () => {
  it("can compare decimal and binary memory units", () => {
    expect(quantityValue("1500M")).toBe(1.5e9);
    expect(quantityValue("1Gi")).toBe(2 ** 30);
    expect(quantityValue("500m")).toBeCloseTo(0.5);
  });
});
