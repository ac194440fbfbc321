import { describe, expect, it } from "vitest";
import { ManifestBundle, type KubernetesManifest } from "../../../modules/manifest-bundle";
import { onlyResourceOfType, resourcesOfType, synthesize } from "../../helpers/synth";

const rule: KubernetesManifest = {
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: { name: "trivy-alerts", namespace: "trivy-system" },
  spec: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up == 0", annotations: { summary: "${x} {{ $labels.namespace }}" } }] }] },
};

describe("ManifestBundle |", () => {
  it("can deliver custom resources through a local chart release", () => {
    // WHEN
    const { parsed } = synthesize((stack) => {
      new ManifestBundle(stack, "bundle", { releaseName: "trivy-extras", namespace: "trivy-system", manifests: [rule] });
    });

    // THEN
    const release = onlyResourceOfType(parsed, "helm_release");
    expect(release).toMatchObject({ name: "trivy-extras", namespace: "trivy-system", atomic: true, wait: true });
    expect(String(release.chart)).toMatch(/^assets\//);
    const values = release.values as string[];
    // `${` is escaped for Terraform, so the object arrives in the cluster as written.
    expect(values[0]).toContain("$${x}");
    expect(values[0]).toContain("{{ $labels.namespace }}");
    const unescaped = JSON.parse(values[0]!.replaceAll("$${", "${")) as { manifests: KubernetesManifest[] };
    expect(unescaped.manifests).toEqual([rule]);
  });

  it("can create no release when there is nothing to deliver", () => {
    const { parsed } = synthesize((stack) => {
      new ManifestBundle(stack, "bundle", { releaseName: "trivy-extras", namespace: "trivy-system", manifests: [] });
    });
    expect(resourcesOfType(parsed, "helm_release")).toHaveLength(0);
  });

  it("fails when the release name is not a DNS label", () => {
    expect(() =>
      synthesize((stack) => {
        new ManifestBundle(stack, "bundle", { releaseName: "Trivy_Extras", namespace: "trivy-system", manifests: [rule] });
      }),
    ).toThrow(/releaseName "Trivy_Extras" is invalid/);
  });

  it("fails when the same object appears twice", () => {
    expect(() =>
      synthesize((stack) => {
        new ManifestBundle(stack, "bundle", { releaseName: "x", namespace: "trivy-system", manifests: [rule, rule] });
      }),
    ).toThrow(/manifests\[1\] "PrometheusRule \\"trivy-alerts\\"" is invalid: appears twice/);
  });
});
