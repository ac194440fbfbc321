import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { ManifestBundle, type KubernetesManifest } from "../../../modules/manifest-bundle";
import { onlyResourceOfType, resourcesOfType, synthesize, type SynthesizedStack } from "../../helpers/synth";

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
    expect(release.chart).toMatch(/^\.\/raw-manifests-[0-9a-f]{32}\.tgz$/);
    const values = release.values as string[];
    // `${` is escaped for Terraform, so the object arrives in the cluster as written.
    expect(values[0]).toContain("$${x}");
    expect(values[0]).toContain("{{ $labels.namespace }}");
    const unescaped = JSON.parse(values[0]!.replaceAll("$${", "${")) as { manifests: KubernetesManifest[] };
    expect(unescaped.manifests).toEqual([rule]);
  });

  it("can ship the chart as one archive inside the stack directory Terraform runs in, replacing an older version's", () => {
    // GIVEN a stack directory left by an earlier synth with another chart version, and a file of the user's
    const app = Testing.app();
    const stack = new TerraformStack(app, "bundles");
    new HelmProvider(stack, "helm", {});
    new ManifestBundle(stack, "first", { releaseName: "first", namespace: "trivy-system", manifests: [rule] });
    new ManifestBundle(stack, "second", { releaseName: "second", namespace: "trivy-system", manifests: [rule] });
    const stackDir = path.join(app.outdir, "stacks/bundles");
    try {
      app.synth();
      const older = "raw-manifests-0123456789abcdef0123456789abcdef.tgz";
      writeFileSync(path.join(stackDir, older), "an older chart");
      writeFileSync(path.join(stackDir, "notes.txt"), "kept");

      // WHEN it synthesizes again
      app.synth();

      // THEN both releases point at the one archive, relative to the stack directory, and only the older archive is gone
      const synth = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as SynthesizedStack;
      const charts = [...new Set(resourcesOfType(synth, "helm_release").map((release) => String(release.chart)))];
      expect(charts).toHaveLength(1);
      const archive = charts[0]!.replace(/^\.\//, "");
      expect(readdirSync(stackDir).sort()).toEqual(["cdk.tf.json", "notes.txt", archive]);
      expect(existsSync(path.join(stackDir, older))).toBe(false);
      // AND it is a chart archive holding the chart's files (read by GNU tar, which checks every header)
      const entries = execFileSync("tar", ["-tzf", path.join(stackDir, charts[0]!)], { encoding: "utf8" })
        .trim()
        .split("\n");
      expect(entries).toEqual(["raw-manifests/Chart.yaml", "raw-manifests/templates/manifests.yaml", "raw-manifests/values.yaml"]);
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
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
