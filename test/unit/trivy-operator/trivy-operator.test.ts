import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TrivyOperator, type TrivyOperatorProps } from "../../../modules/trivy-operator/trivy-operator";
import { SCAN_JOBS_IN_SAME_NAMESPACE_WARNING } from "../../../modules/trivy-operator/validation";
import { onlyResourceOfType, synthesize } from "../../helpers/synth";

function synthOperator(props: TrivyOperatorProps = {}) {
  const { parsed, json } = synthesize((stack) => new TrivyOperator(stack, "trivy-operator", props));
  const release = onlyResourceOfType(parsed, "helm_release");
  const namespace = onlyResourceOfType(parsed, "kubernetes_namespace_v1") as { metadata: { name: string; labels: Record<string, string> } };
  const values = parse((release.values as string[])[0] ?? "") as Record<string, Record<string, unknown>>;
  return { release, namespace, values, json };
}

describe("TrivyOperator", () => {
  it("can install the pinned chart from the aquasecurity repository", () => {
    const { release } = synthOperator();
    expect(release).toMatchObject({
      name: "trivy-operator",
      namespace: "trivy-system",
      chart: "trivy-operator",
      version: "0.34.0",
      repository: "https://aquasecurity.github.io/helm-charts/",
      create_namespace: false,
      atomic: true,
      wait: true,
    });
  });

  it("can install from the OCI registry", () => {
    expect(synthOperator({ chartSource: "oci" }).release.repository).toBe("oci://ghcr.io/aquasecurity/helm-charts");
  });

  it("can create the namespace before the release", () => {
    const { release, namespace } = synthOperator({ namespace: "security" });
    expect(namespace.metadata.name).toBe("security");
    expect(release.namespace).toBe("security");
    expect(release.depends_on).toEqual([expect.stringMatching(/^kubernetes_namespace_v1\./)]);
  });

  it("can enforce privileged Pod Security only while the node collector runs", () => {
    const withCollector = synthOperator().namespace.metadata.labels;
    expect(withCollector["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(withCollector["pod-security.kubernetes.io/warn"]).toBe("restricted");
    expect(withCollector["pod-security.kubernetes.io/audit"]).toBe("restricted");
    const without = synthOperator({ infraAssessment: false }).namespace.metadata.labels;
    expect(without["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("can send the tuned values at the chart's exact paths", () => {
    const { values } = synthOperator({ taints: [{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }] });
    const toleration = { key: "dedicated", operator: "Equal", value: "security-scans", effect: "NoSchedule" };
    expect(values.trivy).toMatchObject({ resources: { limits: { memory: "1500M" } }, ignoreUnfixed: true });
    expect(values.operator).toMatchObject({ scanJobsConcurrentLimit: 2 });
    expect(values.trivyOperator).toMatchObject({ scanJobTolerations: [toleration] });
    expect(values.nodeCollector).toMatchObject({ tolerations: [toleration] });
  });

  it("can expose what network policies and monitoring need", () => {
    let operator: TrivyOperator | undefined;
    synthesize((stack) => {
      operator = new TrivyOperator(stack, "trivy-operator", { builtInTrivyServer: true, dbRegistry: "registry.example.com" });
    });
    expect(operator).toMatchObject({
      namespace: "trivy-system",
      releaseName: "trivy-operator",
      builtInTrivyServer: true,
      serviceMonitor: false,
      nodeCollector: true,
      dbRegistryHosts: ["registry.example.com", "mirror.gcr.io"],
    });
  });

  it("can keep ${ in user values from becoming Terraform interpolation", () => {
    const { release } = synthOperator({ extraValues: { podAnnotations: { note: "${not_a_reference}" } } });
    expect((release.values as string[])[0]).toContain("$${not_a_reference}");
  });

  it("fails when asked for the chart's own ServiceMonitor, naming the construct that delivers one", () => {
    // GIVEN the option that used to render it inside the operator release, and the same through extraValues
    // THEN both are refused, pointing at TrivyOperatorMonitoring instead of being ignored
    expect(() => synthOperator({ serviceMonitor: true } as never)).toThrow(
      /test\/trivy-operator: trivy operator serviceMonitor true is invalid: no longer an option: .*use operator\.addMonitoring\(\)/,
    );
    expect(() => synthOperator({ extraValues: { serviceMonitor: { enabled: true } } })).toThrow(
      /extraValues\.serviceMonitor\.enabled true is invalid: must not be true: .*use operator\.addMonitoring\(\)/,
    );
  });

  it("fails when an option is invalid, at construction", () => {
    expect(() => synthOperator({ scanJobsConcurrentLimit: 0 })).toThrow(
      "test/trivy-operator: trivy operator scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100",
    );
  });

  it("fails when the release timeout is out of range", () => {
    expect(() => synthOperator({ releaseTimeoutSeconds: 5 })).toThrow(
      "test/trivy-operator: trivy operator releaseTimeoutSeconds 5 is invalid: use an integer from 60 to 3600",
    );
  });
});

describe("TrivyOperator scanJobsInSameNamespace", () => {
  const warningsOf = (construct: { node: { metadata: ReadonlyArray<{ type: string; data: unknown }> } }) =>
    construct.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));

  /** An operator with `trivyOperator.scanJobsInSameNamespace` as given, and its network policy. */
  const operatorWithPolicy = (scanJobsInSameNamespace: boolean) => {
    const stack = new TerraformStack(Testing.app(), "same-namespace");
    const operator = new TrivyOperator(stack, "trivy-operator", { extraValues: { trivyOperator: { scanJobsInSameNamespace } } });
    return { operator, policy: operator.addNetworkPolicy("network-policy") };
  };

  it("tells companions and warns that scan jobs leave the operator namespace's policies", () => {
    const { operator, policy } = operatorWithPolicy(true);

    expect(operator.scanJobsInSameNamespace).toBe(true);
    expect(warningsOf(operator)).toEqual([SCAN_JOBS_IN_SAME_NAMESPACE_WARNING]);
    expect(warningsOf(policy)).toEqual([expect.stringContaining('these policies lock down "trivy-system" only')]);
  });

  it("stays quiet with the chart default", () => {
    const { operator, policy } = operatorWithPolicy(false);

    expect(operator.scanJobsInSameNamespace).toBe(false);
    expect([...warningsOf(operator), ...warningsOf(policy)]).toEqual([]);
  });
});

describe("TrivyOperator excludeImages warnings", () => {
  it("can warn at synth when an excludeImages pattern stops at one path level", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "warn");
    const operator = new TrivyOperator(stack, "trivy-operator", { excludeImages: ["mcr.microsoft.com/windows/*"] });
    const warnings = operator.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
    expect(warnings).toEqual([expect.stringContaining('"*" never crosses "/"')]);
  });
});
