import { Token } from "cdktf";
import { describe, expect, it } from "vitest";
import type { NetworkPolicyFlavor, TrivyNetworkPolicySpec } from "../../../modules/network-policy/props";
import { trivyNetworkPolicyProblems } from "../../../modules/network-policy/validate";
import { synthesize } from "../../helpers/synth";
import { addPolicy, baseProps } from "./helpers";

const build = (props: Partial<TrivyNetworkPolicySpec>) => () =>
  synthesize((stack) => {
    addPolicy(stack, props);
  });

describe("TrivyNetworkPolicy | validation", () => {
  it("can accept a fully specified valid configuration", () => {
    expect(
      trivyNetworkPolicyProblems({
        ...baseProps,
        flavor: "kubernetes",
        builtInTrivyServer: true,
        nodeCollector: true,
        apiServerCidrs: ["172.18.0.2/32", "fd00:10::/64"],
        apiServerPorts: [6443],
        registryCidrs: ["0.0.0.0/0", "::/0"],
        registryExcludedCidrs: ["10.0.0.0/8"],
        metrics: { prometheusNamespace: "monitoring", prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" } },
        dns: {
          namespace: "kube-system",
          podLabels: { "k8s-app": "kube-dns" },
          ports: [53],
          nodeLocalDns: { address: "169.254.20.10", ports: [53, 1053] },
        },
      }),
    ).toEqual([]);
  });

  it("fails when the flavor is unknown", () => {
    expect(build({ flavor: "antrea" as NetworkPolicyFlavor })).toThrow(
      /flavor "antrea" is invalid: use one of "kubernetes", "calico", "cilium", "none"/,
    );
  });

  it("fails when a CIDR has no prefix length, suggesting /32", () => {
    expect(build({ apiServerCidrs: ["172.18.0.2"] })).toThrow(
      /apiServerCidrs\[0\] "172\.18\.0\.2" is invalid: not a valid CIDR: it has no prefix length; did you mean "172\.18\.0\.2\/32"\?/,
    );
  });

  it("fails when a CIDR has host bits set", () => {
    expect(build({ registryCidrs: ["10.1.2.3/8"] })).toThrow(/registryCidrs\[0\] "10\.1\.2\.3\/8" .*did you mean "10\.0\.0\.0\/8"/);
  });

  it("fails when a CIDR list is empty", () => {
    expect(build({ registryCidrs: [] })).toThrow(/registryCidrs \[\] is invalid: list at least one CIDR/);
  });

  it("fails when a port is outside 1-65535", () => {
    expect(build({ apiServerPorts: [0, 6443.5, 70000] })).toThrow(
      /apiServerPorts\[0\] 0 is invalid: not a port: use an integer from 1 to 65535/,
    );
    expect(build({ dns: { ports: [65536] } })).toThrow(/dns\.ports\[0\] 65536 is invalid: not a port/);
  });

  it("can report every problem at once", () => {
    const problems = trivyNetworkPolicyProblems({ ...baseProps, namespace: "Trivy_System", apiServerPorts: [0], registryCidrs: ["x"] });
    expect(problems).toHaveLength(3);
    expect(problems.map((problem) => [problem.path, problem.value])).toEqual([
      ["namespace", "Trivy_System"],
      ["apiServerPorts[0]", 0],
      ["registryCidrs[0]", "x"],
    ]);
  });

  it("fails when the namespace or release name is not a DNS-1123 label", () => {
    // The spec checks them for callers of the pure functions; a construct gets them from its operator, which refuses them first.
    expect(trivyNetworkPolicyProblems({ ...baseProps, namespace: "trivy.system" })).toMatchObject([
      { path: "namespace", value: "trivy.system", expected: expect.stringMatching(/^use a DNS-1123 label: at most 63 lowercase letters/) },
    ]);
    expect(trivyNetworkPolicyProblems({ ...baseProps, releaseName: "a".repeat(54) })).toMatchObject([
      { path: "releaseName", expected: expect.stringMatching(/at most 53/) },
    ]);
    expect(build({ namespace: "trivy.system" })).toThrow(
      /trivy operator attributes namespace "trivy\.system" is invalid: use a DNS-1123 label/,
    );
  });

  it("fails when the release name leaves no room for the policy release of calico or cilium", () => {
    expect(build({ flavor: "cilium", releaseName: "a".repeat(50) })).toThrow(
      /releaseName "a{50}" is invalid: too long for the cilium flavor: .*at most 46/,
    );
    expect(trivyNetworkPolicyProblems({ ...baseProps, releaseName: "a".repeat(50) })).toEqual([]);
  });

  it("fails when a registry host is a URL, has a bad port or is not a domain name", () => {
    expect(build({ flavor: "cilium", registryHosts: ["https://mirror.gcr.io/v2"] })).toThrow(
      /registryHosts\[0\] "https:\/\/mirror\.gcr\.io\/v2" is invalid: a URL: drop the scheme \(use "mirror\.gcr\.io"\)/,
    );
    expect(build({ flavor: "cilium", registryHosts: ["ghcr.io:99999"] })).toThrow(
      /registryHosts\[0\] "ghcr\.io:99999" is invalid: port 99999 is not a TCP port/,
    );
    expect(build({ flavor: "cilium", registryHosts: ["Mirror.GCR.io"] })).toThrow(/use "mirror\.gcr\.io"/);
    expect(build({ flavor: "cilium", registryHosts: ["localhost"] })).toThrow(
      /registryHosts\[0\] "localhost" is invalid: not a fully qualified domain name/,
    );
  });

  it("fails when registry hosts are given to a flavor that cannot filter by name", () => {
    expect(build({ flavor: "calico", registryHosts: ["mirror.gcr.io"] })).toThrow(
      /registryHosts \["mirror\.gcr\.io"\] is invalid: only supported by the cilium flavor .*use registryCidrs instead/,
    );
    expect(build({ registryHosts: ["mirror.gcr.io"] })).toThrow(/the kubernetes flavor filters by address/);
  });

  it("fails when API server CIDRs are given to calico or cilium, which find the API server themselves", () => {
    expect(build({ flavor: "calico", apiServerCidrs: ["10.0.0.0/8"] })).toThrow(
      /apiServerCidrs \["10\.0\.0\.0\/8"\] is invalid: only used by the kubernetes flavor; the calico flavor selects the API server itself \(by the default\/kubernetes Service\)/,
    );
  });

  it("can take a private registry inside the API server's allow range, because the deny uses the exact endpoints", () => {
    expect(build({ registryCidrs: ["10.20.0.5/32"] })).not.toThrow();
    expect(build({ privateRegistryCidrs: ["10.0.0.0/8"] })).not.toThrow();
  });

  it("fails when a private registry range is not a CIDR", () => {
    expect(build({ privateRegistryCidrs: ["10.20.0.0"] })).toThrow(
      /privateRegistryCidrs\[0\] "10\.20\.0\.0" is invalid: not a valid CIDR: it has no prefix length/,
    );
  });

  it("fails when a selector label map is empty or malformed", () => {
    expect(build({ metrics: { prometheusNamespace: "monitoring", prometheusPodLabels: {} } })).toThrow(
      /metrics\.prometheusPodLabels \{\} is invalid: name at least one label/,
    );
    expect(build({ dns: { podLabels: { "k8s app": "kube-dns" } } })).toThrow(/dns\.podLabels key "k8s app" is invalid: not a label key/);
    expect(build({ dns: { podLabels: { "k8s-app": "kube dns" } } })).toThrow(
      /dns\.podLabels\["k8s-app"\] "kube dns" is invalid: not a label value/,
    );
  });

  it("fails when the Prometheus namespace is not a DNS-1123 label", () => {
    expect(build({ metrics: { prometheusNamespace: "Monitoring", prometheusPodLabels: { app: "prometheus" } } })).toThrow(
      /metrics\.prometheusNamespace "Monitoring" is invalid: use a DNS-1123 label/,
    );
  });

  it("fails when the node-local DNS address is a CIDR", () => {
    expect(build({ dns: { nodeLocalDns: { address: "169.254.20.10/32" } } })).toThrow(
      /dns\.nodeLocalDns\.address "169\.254\.20\.10\/32" is invalid: use a single IPv4 address/,
    );
  });

  it("can accept a Terraform token as namespace, and as release name in the kubernetes flavor only", () => {
    const token = Token.asString({ Ref: "from-the-operator" });
    expect(trivyNetworkPolicyProblems({ ...baseProps, flavor: "calico", namespace: token })).toEqual([]);
    expect(trivyNetworkPolicyProblems({ ...baseProps, releaseName: token })).toEqual([]);
    expect(build({ flavor: "calico", releaseName: token })).toThrow(
      /releaseName "<token>" is invalid: a Terraform token; the calico flavor embeds it in a manifest and needs a literal string/,
    );
  });
});
