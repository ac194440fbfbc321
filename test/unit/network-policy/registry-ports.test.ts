import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { describe, expect, it } from "vitest";
import type { KubernetesManifest } from "../../../modules/manifest-bundle";
import { trivyNetworkFlows, type NetworkFlow } from "../../../modules/network-policy/flows";
import type { NetworkPolicyFlavor } from "../../../modules/network-policy/props";
import { trivyNetworkPolicyProblems } from "../../../modules/network-policy/validate";
import { TrivyOperator } from "../../../modules/trivy-operator/trivy-operator";
import { synthesize } from "../../helpers/synth";
import { SCAN_JOB_LABELS, OPERATOR_LABELS, baseProps, nativePolicyFor, portsOf } from "./helpers";

/**
 * Registries on a port other than 443. trivy-operator passes `trivy.dbRegistry` (and the Java DB
 * one) to Trivy as `<registry>/<repository>` (chart 0.34.0 templates/configmaps/trivy.yaml
 * `trivy.dbRepository`), so `harbor.corp.example:8443` is dialled on 8443; the checks bundle ref is
 * `<policiesBundle.registry>/<repository>:<tag>` (templates/configmaps/operator.yaml
 * `policies.bundle.oci.ref`), pulled by the operator. Our operator options accept `host:port`
 * (modules/trivy-operator/validation.ts REGISTRY_HOST); the policies must open that port.
 */

const HARBOR = "harbor.corp.example:8443";

const portsFrom = (flows: NetworkFlow[], component: string): string[] =>
  flows
    .filter((flow) => flow.action === "allow" && flow.from.kind === "component" && flow.from.component === component)
    .filter((flow) => flow.to.kind === "registries")
    .flatMap((flow) => flow.ports.map((port) => `${port.protocol}/${port.port}`));

function synthOperatorPolicy(flavor: NetworkPolicyFlavor, registryHosts?: readonly string[]) {
  return synthesize((stack) => {
    const helmProvider = new HelmProvider(stack, "helm", {});
    const kubernetesProvider = new KubernetesProvider(stack, "kubernetes", {});
    const operator = new TrivyOperator(stack, "trivy", {
      helmProvider,
      kubernetesProvider,
      dbRegistry: HARBOR,
      javaDbRegistry: HARBOR,
      extraValues: { policiesBundle: { registry: HARBOR, repository: "mirror/trivy-checks" } },
    });
    operator.addNetworkPolicy("network-policy", { flavor, registryHosts });
  }).parsed;
}

describe("trivyNetworkFlows | registries on other ports", () => {
  it("opens 443 to registries by default, and only what registryPorts lists when it is set", () => {
    const flows = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true });
    expect(portsFrom(flows, "scan-job")).toEqual(["TCP/443"]);
    const replaced = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true, registryPorts: [80, 5000] });
    expect(portsFrom(replaced, "scan-job")).toEqual(["TCP/80", "TCP/5000"]);
    expect(portsFrom(replaced, "trivy-server")).toEqual(["TCP/80", "TCP/5000"]);
  });

  it("takes the port of a `host:port` registry host into the ports, and the host alone into toFQDNs", () => {
    const flows = trivyNetworkFlows({ ...baseProps, flavor: "cilium", registryHosts: ["mirror.gcr.io", "registry.corp.example:5000"] });
    const scanJob = flows.find(
      (flow) => flow.from.kind === "component" && flow.from.component === "scan-job" && flow.to.kind === "registries",
    );
    expect(scanJob?.to).toMatchObject({ hosts: ["mirror.gcr.io", "registry.corp.example"] });
    expect(portsFrom(flows, "scan-job")).toEqual(["TCP/443", "TCP/5000"]);
  });

  it("lets the operator pull a checks bundle from `host:port` on that port only", () => {
    const flows = trivyNetworkFlows({ ...baseProps, flavor: "cilium", nodeCollector: true, checksBundleHosts: [HARBOR] });
    expect(portsFrom(flows, "operator")).toEqual(["TCP/8443"]);
    expect(
      flows.find((flow) => flow.from.kind === "component" && flow.from.component === "operator" && flow.to.kind === "registries")?.to,
    ).toMatchObject({
      hosts: ["harbor.corp.example"],
    });
  });

  it.each([
    ["registry.corp.example:70000", /port 70000 is not a TCP port \(1-65535\)/],
    ["registry.corp.example:https", /a colon: use a host name, optionally with a port/],
    ["Registry.corp.example:5000", /upper-case letters: use "registry\.corp\.example"/],
  ])("refuses the registry host %s, naming what is wrong", (host, message) => {
    const problems = trivyNetworkPolicyProblems({ ...baseProps, flavor: "cilium", registryHosts: [host] });
    expect(problems.map((problem) => `${problem.path} ${problem.expected}`).join("\n")).toMatch(message);
    expect(problems[0]?.path).toBe("registryHosts[0]");
  });

  it("refuses registryPorts that are not ports", () => {
    const problems = trivyNetworkPolicyProblems({ ...baseProps, registryPorts: [0] });
    expect(problems).toEqual([{ path: "registryPorts[0]", value: 0, expected: "not a port: use an integer from 1 to 65535" }]);
  });
});

describe("operator.addNetworkPolicy | DB mirror and checks bundle on harbor.corp.example:8443", () => {
  it("kubernetes flavor: scan jobs reach registries on 443 and 8443, the operator its checks bundle on 8443", () => {
    const synth = synthOperatorPolicy("kubernetes");
    const scanJobEgress = nativePolicyFor(synth, SCAN_JOB_LABELS).spec.egress ?? [];
    expect(portsOf(scanJobEgress.filter((rule) => rule.to?.some((peer) => "ip_block" in peer)))).toEqual(
      expect.arrayContaining(["TCP/443", "TCP/8443"]),
    );
    const operatorEgress = nativePolicyFor(synth, OPERATOR_LABELS).spec.egress ?? [];
    // The operator's other egress is DNS (53) and the API server (443, 6443); the bundle rule is the 8443 one.
    expect(portsOf(operatorEgress)).toContain("TCP/8443");
  });

  it("cilium flavor: the DB host joins the FQDN list without its port, which toPorts opens", () => {
    const synth = synthOperatorPolicy("cilium", ["registry.corp.example"]);
    const release = Object.entries(synth.resource?.helm_release ?? {}).find(([id]) => id.includes("network-policy"));
    const manifests = (JSON.parse((release?.[1].values as string[])[0]!.replaceAll("$${", "${")) as { manifests: KubernetesManifest[] })
      .manifests;
    const scanJob = manifests.find((manifest) => manifest.metadata.name === "trivy-operator-allow-scan-job") as unknown as {
      spec: { egress: Array<{ toFQDNs?: Array<{ matchName?: string }>; toPorts?: Array<{ ports: Array<{ port: string }> }> }> };
    };
    const fqdnRule = scanJob.spec.egress.find((rule) => rule.toFQDNs !== undefined);
    expect(fqdnRule?.toFQDNs).toEqual([{ matchName: "registry.corp.example" }, { matchName: "harbor.corp.example" }]);
    expect(fqdnRule?.toPorts?.[0]?.ports.map((port) => port.port)).toEqual(["443", "8443"]);
  });
});
