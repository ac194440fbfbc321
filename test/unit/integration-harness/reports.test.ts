import { describe, expect, it } from "vitest";
import {
  isReportOf,
  labelSelectorFor,
  matchReport,
  parseReportList,
  scenarioExpectations,
  type ReportObject,
} from "../../integration/harness/reports";

const expectations = scenarioExpectations({
  workloadNamespace: "trivy-e2e-workload",
  workloadPodName: "vulnerable-nginx",
  workerNodeName: "c-worker",
});
const [configAudit, vulnerability, infraAssessment] = expectations as [
  (typeof expectations)[number],
  (typeof expectations)[number],
  (typeof expectations)[number],
];

function podReport(name: string, summary?: Record<string, number>, podName = "vulnerable-nginx"): ReportObject {
  return {
    metadata: {
      name,
      namespace: "trivy-e2e-workload",
      labels: {
        "trivy-operator.resource.kind": "Pod",
        "trivy-operator.resource.name": podName,
        "trivy-operator.resource.namespace": "trivy-e2e-workload",
      },
    },
    ...(summary ? { report: { summary } } : {}),
  };
}

describe("label selectors", () => {
  it("select by kind, name and namespace of the resource", () => {
    expect(labelSelectorFor({ kind: "Pod", name: "vulnerable-nginx", namespace: "ns" })).toBe(
      "trivy-operator.resource.kind=Pod,trivy-operator.resource.name=vulnerable-nginx,trivy-operator.resource.namespace=ns",
    );
  });

  it("omit the namespace for cluster-scoped resources", () => {
    expect(labelSelectorFor(infraAssessment.resource)).toBe("trivy-operator.resource.kind=Node,trivy-operator.resource.name=c-worker");
  });
});

describe("isReportOf", () => {
  it("matches on labels, whatever the report is named", () => {
    expect(isReportOf(podReport("renamed-in-a-future-version"), configAudit.resource)).toBe(true);
  });

  it("rejects a report of another pod or namespace", () => {
    expect(isReportOf(podReport("pod-other", {}, "other"), configAudit.resource)).toBe(false);
    const otherNamespace = podReport("x");
    const labels = { ...otherNamespace.metadata?.labels, "trivy-operator.resource.namespace": "default" };
    expect(isReportOf({ metadata: { labels } }, configAudit.resource)).toBe(false);
  });
});

describe("scenario expectations", () => {
  it("waits for three reports: config audit, vulnerabilities, node infra assessment", () => {
    expect(expectations.map((expectation) => expectation.plural)).toEqual([
      "configauditreports",
      "vulnerabilityreports",
      "clusterinfraassessmentreports",
    ]);
    expect(infraAssessment.namespace).toBeUndefined();
    expect(configAudit.namespace).toBe("trivy-e2e-workload");
  });

  it("accepts a config audit report once it has a summary", () => {
    expect(matchReport([podReport("pod-vulnerable-nginx", { criticalCount: 0, lowCount: 3 })], configAudit).found).toBe(true);
    expect(matchReport([podReport("pod-vulnerable-nginx")], configAudit).found).toBe(false);
  });

  it("accepts a vulnerability report only with criticalCount > 0", () => {
    const clean = podReport("pod-vulnerable-nginx-app", { criticalCount: 0, highCount: 4 });
    const critical = podReport("pod-vulnerable-nginx-app", { criticalCount: 7 });

    expect(matchReport([clean], vulnerability)).toEqual({
      found: false,
      seen: "report(s) exist but not yet with report.summary.criticalCount > 0: trivy-e2e-workload/pod-vulnerable-nginx-app (critical=0 high=4)",
    });
    expect(matchReport([clean, critical], vulnerability)).toEqual({ found: true, report: critical });
  });

  it("accepts the infra assessment of the tainted worker, not of the control plane", () => {
    const nodeReport = (node: string): ReportObject => ({
      metadata: { name: `node-${node}`, labels: { "trivy-operator.resource.kind": "Node", "trivy-operator.resource.name": node } },
      report: { summary: { highCount: 2 } },
    });

    expect(matchReport([nodeReport("c-control-plane")], infraAssessment).found).toBe(false);
    expect(matchReport([nodeReport("c-control-plane"), nodeReport("c-worker")], infraAssessment).found).toBe(true);
  });

  it("says when nothing was seen, and what other reports exist", () => {
    expect(matchReport([], configAudit)).toEqual({
      found: false,
      seen: "no report of Pod trivy-e2e-workload/vulnerable-nginx yet (no reports at all)",
    });
    const seen = matchReport([podReport("pod-other", { lowCount: 1 }, "other")], configAudit);
    expect(seen).toMatchObject({ found: false });
    expect(seen.found ? "" : seen.seen).toContain("1 report(s) of other resources: trivy-e2e-workload/pod-other (low=1)");
  });
});

describe("parseReportList", () => {
  it("returns the items of a kubectl list", () => {
    expect(parseReportList(JSON.stringify({ apiVersion: "v1", kind: "List", items: [podReport("a")] }))).toHaveLength(1);
  });

  it("fails on anything that is not a list", () => {
    expect(() => parseReportList(JSON.stringify({ kind: "Pod" }))).toThrow(/items/);
  });
});
