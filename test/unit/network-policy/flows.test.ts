import { describe, expect, it } from "vitest";
import {
  activeComponents,
  describeNetworkFlow,
  trivyNetworkFlows,
  type FlowEndpoint,
  type NetworkFlow,
} from "../../../modules/network-policy/flows";
import type { TrivyComponent } from "../../../modules/network-policy/components";
import { baseProps } from "./helpers";

const isComponent = (endpoint: FlowEndpoint, component: TrivyComponent) =>
  endpoint.kind === "component" && endpoint.component === component;
const allowsFrom = (flows: NetworkFlow[], component: TrivyComponent) =>
  flows.filter((f) => f.action === "allow" && isComponent(f.from, component));
const portsOf = (flows: NetworkFlow[]) => flows.flatMap((f) => f.ports.map((p) => `${p.protocol}/${p.port}`));

describe("trivyNetworkFlows |", () => {
  it("can let the operator reach the API server on the endpoint ports 443 and 6443", () => {
    const flows = trivyNetworkFlows(baseProps);
    const toApi = allowsFrom(flows, "operator").filter((f) => f.to.kind === "api-server");
    expect(portsOf(toApi)).toEqual(["TCP/443", "TCP/6443"]);
    expect(toApi[0]?.to).toEqual({ kind: "api-server", cidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] });
  });

  it("can let every Trivy pod resolve names over UDP and TCP 53", () => {
    const flows = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true, nodeCollector: true });
    for (const component of ["operator", "scan-job", "node-collector", "trivy-server"] as const) {
      const dns = allowsFrom(flows, component).filter((f) => f.to.kind === "cluster-dns");
      expect(portsOf(dns), component).toEqual(["UDP/53", "TCP/53"]);
      expect(dns[0]?.to).toMatchObject({ namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } });
    }
  });

  it("can add a node-local DNS cache on a custom port", () => {
    const flows = trivyNetworkFlows({ ...baseProps, dns: { nodeLocalDns: { ports: [1053] } } });
    const nodeLocal = allowsFrom(flows, "scan-job").filter((f) => f.to.kind === "node-local-dns");
    expect(portsOf(nodeLocal)).toEqual(["UDP/1053", "TCP/1053"]);
    expect(nodeLocal[0]?.to).toMatchObject({ address: "169.254.20.10" });
  });

  it("can let scan jobs reach registries on 443 only, at any public address by default", () => {
    const flows = trivyNetworkFlows(baseProps);
    const registry = allowsFrom(flows, "scan-job").filter((f) => f.to.kind === "registries");
    expect(portsOf(registry)).toEqual(["TCP/443"]);
    // Private ranges are internal services unless named in privateRegistryCidrs, in every flavor.
    expect(registry[0]?.to).toMatchObject({
      ranges: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }],
      privateRanges: [],
      anyPublicAddress: true,
    });
  });

  it("can open private registry ranges named in privateRegistryCidrs, minus the excluded ranges inside them", () => {
    const flows = trivyNetworkFlows({
      ...baseProps,
      privateRegistryCidrs: ["10.20.0.0/16", "192.168.7.0/24"],
      registryExcludedCidrs: ["10.20.9.0/24"],
    });
    const registry = allowsFrom(flows, "scan-job").find((f) => f.to.kind === "registries");
    expect(registry?.to).toMatchObject({
      privateRanges: [
        { cidr: "10.20.0.0/16", except: ["10.20.9.0/24"] },
        { cidr: "192.168.7.0/24", except: [] },
      ],
    });
    expect(describeNetworkFlow(registry!)).toContain(
      "registries(0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,10.20.9.0/24; private 10.20.0.0/16 except 10.20.9.0/24; 192.168.7.0/24)",
    );
  });

  it("can carve excluded ranges out of the registry CIDRs that contain them", () => {
    const flows = trivyNetworkFlows({
      ...baseProps,
      registryCidrs: ["0.0.0.0/0", "10.20.0.0/16", "::/0"],
      registryExcludedCidrs: ["10.0.0.0/8", "fd00::/8"],
    });
    const registry = allowsFrom(flows, "scan-job").find((f) => f.to.kind === "registries");
    expect(registry?.to).toMatchObject({
      anyPublicAddress: false,
      ranges: [
        { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] },
        // A private range given as a registry range is the user's explicit choice: nothing is carved from it.
        { cidr: "10.20.0.0/16", except: [] },
        { cidr: "::/0", except: ["fd00::/8"] },
      ],
    });
  });

  it("can keep scan jobs and the Trivy server off exactly the API server endpoints, not a guessed range", () => {
    const flows = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true, nodeCollector: true });
    expect(allowsFrom(flows, "scan-job").some((f) => f.to.kind === "api-server")).toBe(false);
    for (const component of ["scan-job", "trivy-server"] as const) {
      expect(flows).toContainEqual(
        expect.objectContaining({ action: "deny", from: { kind: "component", component }, to: { kind: "api-server-endpoints" } }),
      );
    }
  });

  it("can open 4954 only with the built-in Trivy server", () => {
    const without = trivyNetworkFlows(baseProps);
    expect(portsOf(without)).not.toContain("TCP/4954");
    expect(activeComponents(baseProps)).not.toContain("trivy-server");

    const withServer = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true });
    const toServer = withServer.filter((f) => f.action === "allow" && isComponent(f.to, "trivy-server"));
    expect(toServer.map((f) => (f.from.kind === "component" ? f.from.component : f.from.kind)).sort()).toEqual(["operator", "scan-job"]);
    expect(portsOf(toServer)).toEqual(["TCP/4954", "TCP/4954"]);
    expect(portsOf(allowsFrom(withServer, "trivy-server").filter((f) => f.to.kind === "registries"))).toEqual(["TCP/443"]);
  });

  it("can open 8080 from Prometheus only when metrics are scraped", () => {
    expect(portsOf(trivyNetworkFlows(baseProps))).not.toContain("TCP/8080");
    const flows = trivyNetworkFlows({
      ...baseProps,
      metrics: { prometheusNamespace: "monitoring", prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" } },
    });
    const scrape = flows.filter((f) => f.from.kind === "prometheus");
    expect(scrape).toHaveLength(1);
    expect(scrape[0]?.to).toEqual({ kind: "component", component: "operator" });
    expect(portsOf(scrape)).toEqual(["TCP/8080"]);
  });

  it("can let the node collector reach the API server only when infra assessment is on", () => {
    expect(trivyNetworkFlows(baseProps).some((f) => isComponent(f.from, "node-collector"))).toBe(false);
    const flows = trivyNetworkFlows({ ...baseProps, nodeCollector: true, apiServerPorts: [6443] });
    expect(portsOf(allowsFrom(flows, "node-collector").filter((f) => f.to.kind === "api-server"))).toEqual(["TCP/6443"]);
  });

  it("can describe what the node collector really does with the API server", () => {
    // Upstream fact: k8s-node-collector pkg/collector/collect.go GETs the kubelet's configz through
    // the API server's node proxy and prints its result; the operator reads it from the pod log
    // (trivy-kubernetes jobs collector). Nothing is posted to the API server.
    const [flow] = allowsFrom(trivyNetworkFlows({ ...baseProps, nodeCollector: true }), "node-collector").filter(
      (f) => f.to.kind === "api-server",
    );
    expect(flow!.reason).toContain("configz");
    expect(flow!.reason).toContain("pod log");
    expect(flow!.reason).not.toContain("posts");
  });

  it("can produce no flows for the none flavor", () => {
    expect(trivyNetworkFlows({ ...baseProps, flavor: "none", builtInTrivyServer: true })).toEqual([]);
  });

  it("can explain every flow", () => {
    const flows = trivyNetworkFlows({ ...baseProps, builtInTrivyServer: true, nodeCollector: true });
    for (const flow of flows) expect(flow.reason.length).toBeGreaterThan(20);
    expect(describeNetworkFlow(flows[0]!)).toBe(
      "operator -> api-server [TCP/443, TCP/6443]: the operator watches workloads and writes reports through the API server",
    );
  });
});

describe("trivyNetworkFlows | checks bundle", () => {
  // Upstream fact (trivy-operator v0.32.0): pkg/configauditreport/controller/node.go reconcileNodes
  // calls PolicyLoader.GetPoliciesAndBundlePath before creating every node-collector Job, with no
  // switch to skip it; pkg/policy/loader.go pulls `policies.bundle.oci.ref`
  // (mirror.gcr.io/aquasec/trivy-checks:1, chart templates/configmaps/operator.yaml) from the
  // operator pod and, on failure, logs "failed to load policies" (an Error: go-logr emits it at any V) and caches nothing.
  it("can let the operator pull the checks bundle on 443 when the node collector runs", () => {
    const flows = trivyNetworkFlows({ ...baseProps, nodeCollector: true });
    const bundle = allowsFrom(flows, "operator").filter((f) => f.to.kind === "registries");
    expect(portsOf(bundle)).toEqual(["TCP/443"]);
    expect(bundle[0]!.reason).toContain("checks bundle");
    // kubernetes/calico cannot filter by name: the same public ranges as scan jobs.
    expect(bundle[0]!.to).toMatchObject({
      ranges: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] }],
      hosts: [],
    });
  });

  it("can allow exactly the bundle's host names with cilium", () => {
    const flows = trivyNetworkFlows({ ...baseProps, flavor: "cilium", nodeCollector: true, checksBundleHosts: ["registry.example.com"] });
    const bundle = allowsFrom(flows, "operator").find((f) => f.to.kind === "registries");
    expect(bundle?.to).toEqual({
      kind: "registries",
      ranges: [],
      privateRanges: [],
      hosts: ["registry.example.com"],
      anyPublicAddress: true,
    });
  });

  it("can leave the operator without internet egress when no node collector runs", () => {
    expect(allowsFrom(trivyNetworkFlows(baseProps), "operator").some((f) => f.to.kind === "registries")).toBe(false);
  });
});
