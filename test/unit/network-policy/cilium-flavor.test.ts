import { describe, expect, it } from "vitest";
import type { KubernetesManifest } from "../../../modules/manifest-bundle";
import type { CiliumEgressRule, CiliumIngressRule } from "../../../modules/network-policy/render-cilium";
import { onlyResourceOfType } from "../../helpers/synth";
import { OPERATOR_LABELS, SCAN_JOB_LABELS, SERVER_LABELS, bundledManifests, synthPolicy } from "./helpers";

interface CiliumSpec {
  endpointSelector: { matchLabels?: Record<string, string> };
  ingress?: CiliumIngressRule[];
  egress?: CiliumEgressRule[];
  egressDeny?: CiliumEgressRule[];
}
const spec = (manifests: KubernetesManifest[], name: string): CiliumSpec => {
  const found = manifests.find((m) => m.metadata.name === name);
  if (!found) throw new Error(`no ${name} in ${manifests.map((m) => m.metadata.name).join(", ")}`);
  return found.spec as CiliumSpec;
};
const tcp = (...ports: number[]) => [{ ports: ports.map((port) => ({ port: String(port), protocol: "TCP" })) }];
const DNS_PORTS = [
  { port: "53", protocol: "UDP" },
  { port: "53", protocol: "TCP" },
];
const KUBE_DNS = { matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } };

describe("TrivyNetworkPolicy | cilium flavor", () => {
  it("can deliver CiliumNetworkPolicies through one helm release, default deny first", () => {
    const synth = synthPolicy({ flavor: "cilium" });
    expect(onlyResourceOfType(synth, "helm_release")).toMatchObject({ name: "trivy-operator-netpol", namespace: "trivy-system" });
    const manifests = bundledManifests(synth);
    expect(manifests.every((m) => m.apiVersion === "cilium.io/v2" && m.kind === "CiliumNetworkPolicy")).toBe(true);
    expect(spec(manifests, "trivy-operator-default-deny")).toEqual({ endpointSelector: {}, ingress: [{}], egress: [{}] });
  });

  it("can let the operator reach the kube-apiserver entity on 443 and 6443", () => {
    const operator = spec(bundledManifests(synthPolicy({ flavor: "cilium" })), "trivy-operator-allow-operator");
    expect(operator.endpointSelector).toEqual({ matchLabels: OPERATOR_LABELS });
    expect(operator.egress).toContainEqual({ toEntities: ["kube-apiserver"], toPorts: tcp(443, 6443) });
  });

  it("can allow DNS on UDP and TCP 53 without DNS inspection when no FQDNs are used", () => {
    const manifests = bundledManifests(synthPolicy({ flavor: "cilium" }));
    for (const name of ["trivy-operator-allow-operator", "trivy-operator-allow-scan-job"]) {
      expect(spec(manifests, name).egress).toContainEqual({ toEndpoints: [KUBE_DNS], toPorts: [{ ports: DNS_PORTS }] });
    }
  });

  it("can let scan jobs reach public addresses on 443 and deny the API server", () => {
    const scanJob = spec(bundledManifests(synthPolicy({ flavor: "cilium" })), "trivy-operator-allow-scan-job");
    expect(scanJob.endpointSelector).toEqual({ matchLabels: SCAN_JOB_LABELS });
    // Not the `world` entity: it covers private addresses outside the cluster too, which the other
    // flavors keep closed unless they are named in privateRegistryCidrs.
    expect(scanJob.egress).toContainEqual({
      toCIDRSet: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }],
      toPorts: tcp(443),
    });
    expect(scanJob.egress?.some((r) => r.toEntities?.includes("world"))).toBe(false);
    expect(scanJob.egress?.some((r) => r.toEntities?.includes("kube-apiserver"))).toBe(false);
    expect(scanJob.egressDeny).toEqual([{ toEntities: ["kube-apiserver"] }]);
  });

  it("can restrict registries to FQDNs, inspecting DNS only for the pods that need it", () => {
    const manifests = bundledManifests(synthPolicy({ flavor: "cilium", registryHosts: ["mirror.gcr.io", "*.docker.io"] }));
    const scanJob = spec(manifests, "trivy-operator-allow-scan-job");
    expect(scanJob.egress).toContainEqual({
      toFQDNs: [{ matchName: "mirror.gcr.io" }, { matchPattern: "*.docker.io" }],
      toPorts: tcp(443),
    });
    expect(scanJob.egress?.some((r) => r.toEntities?.includes("world"))).toBe(false);
    expect(scanJob.egress).toContainEqual({
      toEndpoints: [KUBE_DNS],
      toPorts: [{ ports: DNS_PORTS, rules: { dns: [{ matchPattern: "*" }] } }],
    });
    // The operator resolves no registry names, so its DNS stays out of the proxy.
    const operatorDns = spec(manifests, "trivy-operator-allow-operator").egress?.find((r) =>
      JSON.stringify(r.toEndpoints ?? []).includes("kube-dns"),
    );
    expect(operatorDns).toEqual({ toEndpoints: [KUBE_DNS], toPorts: [{ ports: DNS_PORTS }] });
  });

  it("can let the operator pull the checks bundle by FQDN only, inspecting its DNS", () => {
    // trivy-operator v0.32.0 pkg/configauditreport/controller/node.go reconcileNodes pulls the bundle
    // (pkg/policy/loader.go) from the operator pod before each node-collector Job.
    const operator = spec(bundledManifests(synthPolicy({ flavor: "cilium", nodeCollector: true })), "trivy-operator-allow-operator");
    expect(operator.egress).toContainEqual({ toFQDNs: [{ matchName: "mirror.gcr.io" }], toPorts: tcp(443) });
    expect(operator.egress?.some((r) => r.toCIDRSet !== undefined || r.toEntities?.includes("world"))).toBe(false);
    expect(operator.egress).toContainEqual({
      toEndpoints: [KUBE_DNS],
      toPorts: [{ ports: DNS_PORTS, rules: { dns: [{ matchPattern: "*" }] } }],
    });
  });

  it("can use CIDR sets when registry CIDRs are given", () => {
    const scanJob = spec(
      bundledManifests(synthPolicy({ flavor: "cilium", registryCidrs: ["0.0.0.0/0"], registryExcludedCidrs: ["10.0.0.0/8"] })),
      "trivy-operator-allow-scan-job",
    );
    expect(scanJob.egress).toContainEqual({
      toCIDRSet: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }],
      toPorts: tcp(443),
    });
  });

  it("can open private registry ranges next to an FQDN list, with the API server still denied", () => {
    const scanJob = spec(
      bundledManifests(synthPolicy({ flavor: "cilium", registryHosts: ["mirror.gcr.io"], privateRegistryCidrs: ["10.20.0.0/16"] })),
      "trivy-operator-allow-scan-job",
    );
    expect(scanJob.egress).toContainEqual({ toFQDNs: [{ matchName: "mirror.gcr.io" }], toPorts: tcp(443) });
    expect(scanJob.egress).toContainEqual({ toCIDRSet: [{ cidr: "10.20.0.0/16" }], toPorts: tcp(443) });
    expect(scanJob.egressDeny).toEqual([{ toEntities: ["kube-apiserver"] }]);
  });

  it("can open 4954 only with the built-in server", () => {
    expect(JSON.stringify(bundledManifests(synthPolicy({ flavor: "cilium" })))).not.toContain("4954");
    const server = spec(bundledManifests(synthPolicy({ flavor: "cilium", builtInTrivyServer: true })), "trivy-operator-allow-trivy-server");
    expect(server.ingress).toEqual([
      { fromEndpoints: [{ matchLabels: SCAN_JOB_LABELS }], toPorts: tcp(4954) },
      { fromEndpoints: [{ matchLabels: OPERATOR_LABELS }], toPorts: tcp(4954) },
    ]);
    expect(server.endpointSelector).toEqual({ matchLabels: SERVER_LABELS });
  });

  it("can open 8080 from Prometheus only when metrics are set", () => {
    expect(spec(bundledManifests(synthPolicy({ flavor: "cilium" })), "trivy-operator-allow-operator").ingress).toBeUndefined();
    const operator = spec(
      bundledManifests(
        synthPolicy({ flavor: "cilium", metrics: { prometheusNamespace: "monitoring", prometheusPodLabels: { app: "prometheus" } } }),
      ),
      "trivy-operator-allow-operator",
    );
    expect(operator.ingress).toEqual([
      { fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "monitoring", app: "prometheus" } }], toPorts: tcp(8080) },
    ]);
  });

  it("can add the node collector policy only when infra assessment is on", () => {
    expect(bundledManifests(synthPolicy({ flavor: "cilium" })).map((m) => m.metadata.name)).not.toContain(
      "trivy-operator-allow-node-collector",
    );
    const collector = spec(bundledManifests(synthPolicy({ flavor: "cilium", nodeCollector: true })), "trivy-operator-allow-node-collector");
    expect(collector).toMatchObject({ endpointSelector: { matchLabels: { app: "node-collector" } } });
    expect(collector.egress).toContainEqual({ toEntities: ["kube-apiserver"], toPorts: tcp(443, 6443) });
  });
});
