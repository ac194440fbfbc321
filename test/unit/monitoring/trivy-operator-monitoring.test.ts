import { describe, expect, it } from "vitest";
import type { Construct } from "constructs";
import type { KubernetesManifest } from "../../../modules/manifest-bundle/manifest-bundle";
import { TrivyOperatorMonitoring } from "../../../modules/monitoring/trivy-operator-monitoring";
import { TrivyOperator, type TrivyOperatorAttributes } from "../../../modules/trivy-operator";
import { onlyResourceOfType, resourcesOfType, synthesize } from "../../helpers/synth";
import { promqlFacts } from "./promql";

/** The objects a ManifestBundle release carries, unescaped as Helm receives them. */
function deliveredManifests(values: unknown): KubernetesManifest[] {
  const text = (values as string[])[0]!.replaceAll("$${", "${").replaceAll("%%{", "%{");
  return (JSON.parse(text) as { manifests: KubernetesManifest[] }).manifests;
}

/** An operator with the chart's defaults (namespace trivy-system, release trivy-operator), installed elsewhere. */
const operatorIn = (scope: Construct, attributes: TrivyOperatorAttributes = {}) =>
  TrivyOperator.fromAttributes(scope, "operator", attributes);

describe("TrivyOperatorMonitoring |", () => {
  it("can deliver a ServiceMonitor and a PrometheusRule in their own release", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      new TrivyOperatorMonitoring(stack, "monitoring", {
        operator: operatorIn(stack),
        prometheusSelectorLabels: { release: "kube-prometheus-stack" },
      });
    });

    // THEN one release of the local chart, separate from the operator's
    const release = onlyResourceOfType(parsed, "helm_release");
    expect(release).toMatchObject({ name: "trivy-operator-monitoring", namespace: "trivy-system" });
    const [serviceMonitor, rule] = deliveredManifests(release.values);
    expect(serviceMonitor).toEqual({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: {
        name: "trivy-operator",
        namespace: "trivy-system",
        labels: {
          "app.kubernetes.io/part-of": "trivy-operator",
          "app.kubernetes.io/managed-by": "trivy-operator-cdktf",
          release: "kube-prometheus-stack",
        },
      },
      spec: {
        jobLabel: "app.kubernetes.io/name",
        selector: { matchLabels: { "app.kubernetes.io/name": "trivy-operator", "app.kubernetes.io/instance": "trivy-operator" } },
        namespaceSelector: { matchNames: ["trivy-system"] },
        endpoints: [{ port: "metrics", interval: "60s", honorLabels: true }],
      },
    });
    expect(rule).toMatchObject({
      kind: "PrometheusRule",
      metadata: { name: "trivy-operator-alerts", labels: { release: "kube-prometheus-stack" } },
    });
    const rules = (rule!.spec as { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: Record<string, string> }> }> })
      .groups[0]!.rules;
    expect(rules).toHaveLength(5);
    for (const alert of rules) expect(promqlFacts(alert.expr).errors).toEqual([]);
    // Alert templates arrive as text, not as Helm or Terraform templates.
    expect(rules[0]!.annotations.summary).toContain("{{ $labels.namespace }}");
  });

  it("can select the operator's release and namespace everywhere", () => {
    const { parsed } = synthesize((stack) => {
      operatorIn(stack, { namespace: "security", releaseName: "trivy" }).addMonitoring("monitoring", { scrapeInterval: "2m" });
    });
    const release = onlyResourceOfType(parsed, "helm_release");
    expect(release).toMatchObject({ name: "trivy-monitoring", namespace: "security" });
    const [serviceMonitor, rule] = deliveredManifests(release.values);
    expect(serviceMonitor!.spec).toMatchObject({
      selector: { matchLabels: { "app.kubernetes.io/instance": "trivy" } },
      namespaceSelector: { matchNames: ["security"] },
      endpoints: [{ interval: "2m" }],
    });
    const absent = (rule!.spec as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups[0]!.rules.find(
      (r) => r.alert === "TrivyOperatorAbsent",
    )!;
    expect(promqlFacts(absent.expr).selectors[0]!.matchers).toContainEqual({ label: "namespace", op: "=", value: "security" });
  });

  it("can deliver only the ServiceMonitor", () => {
    const { parsed } = synthesize((stack) => {
      const monitoring = new TrivyOperatorMonitoring(stack, "monitoring", { operator: operatorIn(stack), prometheusRule: false });
      expect(monitoring.rules).toEqual([]);
    });
    expect(deliveredManifests(onlyResourceOfType(parsed, "helm_release").values).map((m) => m.kind)).toEqual(["ServiceMonitor"]);
  });

  it("fails when there is nothing to deliver or the interval is not a duration", () => {
    expect(() => synthesize((stack) => operatorIn(stack).addMonitoring("m", { serviceMonitor: false, prometheusRule: false }))).toThrow(
      /both false: nothing to deliver/,
    );
    expect(() => synthesize((stack) => operatorIn(stack).addMonitoring("m", { scrapeInterval: "1 minute" }))).toThrow(
      /scrapeInterval "1 minute" is invalid/,
    );
    expect(() => synthesize((stack) => operatorIn(stack).addMonitoring("m", { scrapeInterval: "0s" }))).toThrow(
      /scrapeInterval "0s" is invalid: use a Prometheus duration longer than 0s/,
    );
    expect(() =>
      synthesize((stack) => operatorIn(stack).addMonitoring("m", { alertRules: { exposedSecretSeverities: ["HIGH" as never] } })),
    ).toThrow(/did you mean "High"/);
  });

  it("can create no kubernetes_manifest, which would fail at plan time without the CRDs", () => {
    const { parsed } = synthesize((stack) => operatorIn(stack).addMonitoring("m"));
    expect(resourcesOfType(parsed, "kubernetes_manifest")).toHaveLength(0);
  });
});
