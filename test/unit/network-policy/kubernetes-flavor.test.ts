import { describe, expect, it } from "vitest";
import { resourcesOfType } from "../../helpers/synth";
import {
  NODE_COLLECTOR_LABELS,
  OPERATOR_LABELS,
  SCAN_JOB_LABELS,
  SERVER_LABELS,
  nativePolicies,
  nativePolicyFor,
  portsOf,
  synthPolicy,
} from "./helpers";

const metrics = { prometheusNamespace: "monitoring", prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" } };

describe("TrivyNetworkPolicy | kubernetes flavor", () => {
  it("can deny all ingress and egress in the namespace by default", () => {
    // WHEN
    const synth = synthPolicy({});

    // THEN
    const deny = nativePolicies(synth).find((p) => p.metadata.name === "trivy-operator-default-deny");
    expect(deny).toEqual({
      metadata: expect.objectContaining({ namespace: "trivy-system" }),
      spec: { pod_selector: {}, policy_types: ["Ingress", "Egress"] },
    });
    expect(resourcesOfType(synth, "helm_release")).toHaveLength(0);
  });

  it("can let the operator reach the API server CIDRs on 443 and 6443", () => {
    const synth = synthPolicy({ apiServerCidrs: ["172.18.0.2/32"] });
    const operator = nativePolicyFor(synth, OPERATOR_LABELS);
    const toApi = operator.spec.egress?.filter((rule) => JSON.stringify(rule.to).includes("ip_block"));
    expect(toApi).toEqual([
      {
        to: [{ ip_block: { cidr: "172.18.0.2/32" } }],
        ports: [
          { port: "443", protocol: "TCP" },
          { port: "6443", protocol: "TCP" },
        ],
      },
    ]);
  });

  it("can allow DNS on UDP and TCP 53 to kube-dns from every Trivy pod", () => {
    const synth = synthPolicy({ builtInTrivyServer: true, nodeCollector: true });
    for (const labels of [OPERATOR_LABELS, SCAN_JOB_LABELS, NODE_COLLECTOR_LABELS, SERVER_LABELS]) {
      const dnsRules = nativePolicyFor(synth, labels).spec.egress?.filter((rule) => JSON.stringify(rule.to).includes("kube-dns"));
      expect(dnsRules).toEqual([
        {
          to: [
            {
              namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } },
              pod_selector: { match_labels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
          ],
        },
      ]);
    }
  });

  it("can allow node-local DNS by its link-local address", () => {
    const synth = synthPolicy({ dns: { nodeLocalDns: {} } });
    const egress = nativePolicyFor(synth, SCAN_JOB_LABELS).spec.egress ?? [];
    expect(egress).toContainEqual({
      to: [{ ip_block: { cidr: "169.254.20.10/32" } }],
      ports: [
        { port: "53", protocol: "UDP" },
        { port: "53", protocol: "TCP" },
      ],
    });
  });

  it("can let scan jobs reach public registries on 443, keeping private ranges and the API server's real endpoints out", () => {
    const synth = synthPolicy({ apiServerCidrs: ["10.0.0.0/8"] });
    const scanJob = nativePolicyFor(synth, SCAN_JOB_LABELS);
    expect(scanJob.spec.policy_types).toEqual(["Egress"]);
    const registryRule = scanJob.spec.egress!.find((rule) => rule.ports?.some((port) => port.port === "443"))!;
    const block = registryRule.to![0]!.ip_block as { cidr: string; except: string };
    expect(block.cidr).toBe("0.0.0.0/0");
    // The except list is the private ranges plus the endpoints of default/kubernetes read at plan
    // time (evaluated by terraform in api-server-deny.terraform.test.ts), not apiServerCidrs.
    expect(block.except).toMatch(
      /^\$\{distinct\(concat\(\["10\.0\.0\.0\/8","172\.16\.0\.0\/12","192\.168\.0\.0\/16"\], \[for ip in .*data\.kubernetes_endpoints_v1\./,
    );
    // No rule targets the API server's own CIDR or its 6443 port.
    expect(JSON.stringify(scanJob.spec.egress)).not.toContain('"cidr":"10.0.0.0/8"');
    expect(portsOf(scanJob.spec.egress)).not.toContain("TCP/6443");
  });

  it("can let the operator pull the checks bundle on 443 when the node collector runs", () => {
    // trivy-operator v0.32.0 pkg/configauditreport/controller/node.go reconcileNodes pulls
    // policies.bundle.oci.ref (pkg/policy/loader.go) before each node-collector Job; blocked, it
    // logs "failed to load policies" and falls back to embedded checks. The operator keeps its own API access, so nothing is carved out here.
    const operator = nativePolicyFor(synthPolicy({ nodeCollector: true }), OPERATOR_LABELS);
    expect(operator.spec.egress).toContainEqual({
      to: [{ ip_block: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
      ports: [{ port: "443", protocol: "TCP" }],
    });
  });

  it("can read the API server endpoints at plan time instead of carving all of RFC 1918 out of private registries", () => {
    // Before: apiServerCidrs (default RFC 1918) was carved out of the registry rule, so every
    // private registry timed out. Now a private registry range keeps everything but the endpoints.
    const synth = synthPolicy({ privateRegistryCidrs: ["10.20.0.0/16"] });
    expect(Object.values(synth.data?.kubernetes_endpoints_v1 ?? {})).toEqual([{ metadata: { name: "kubernetes", namespace: "default" } }]);
    const registryRule = nativePolicyFor(synth, SCAN_JOB_LABELS).spec.egress!.find((rule) =>
      rule.ports?.some((port) => port.port === "443"),
    )!;
    const privateBlock = registryRule.to![1]!.ip_block as { cidr: string; except: string };
    expect(privateBlock.cidr).toBe("10.20.0.0/16");
    expect(privateBlock.except).toMatch(/^\$\{distinct\(concat\(\[\], /);
  });

  it("can open 4954 between scan jobs, operator and Trivy server only with the built-in server", () => {
    const without = synthPolicy({});
    expect(JSON.stringify(nativePolicies(without))).not.toContain("4954");
    expect(() => nativePolicyFor(without, SERVER_LABELS)).toThrow(/found 0/);

    const synth = synthPolicy({ builtInTrivyServer: true });
    const server = nativePolicyFor(synth, SERVER_LABELS);
    expect(server.spec.ingress).toEqual([
      { from: [{ pod_selector: { match_labels: SCAN_JOB_LABELS } }], ports: [{ port: "4954", protocol: "TCP" }] },
      { from: [{ pod_selector: { match_labels: OPERATOR_LABELS } }], ports: [{ port: "4954", protocol: "TCP" }] },
    ]);
    expect(nativePolicyFor(synth, SCAN_JOB_LABELS).spec.egress).toContainEqual({
      to: [{ pod_selector: { match_labels: SERVER_LABELS } }],
      ports: [{ port: "4954", protocol: "TCP" }],
    });
    expect(portsOf(nativePolicyFor(synth, OPERATOR_LABELS).spec.egress)).toContain("TCP/4954");
    expect(portsOf(server.spec.egress)).toContain("TCP/443");
  });

  it("can open 8080 from Prometheus only when metrics are set", () => {
    expect(nativePolicyFor(synthPolicy({}), OPERATOR_LABELS).spec.ingress).toBeUndefined();
    const operator = nativePolicyFor(synthPolicy({ metrics }), OPERATOR_LABELS);
    expect(operator.spec.policy_types).toEqual(["Ingress", "Egress"]);
    expect(operator.spec.ingress).toEqual([
      {
        from: [
          {
            namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "monitoring" } },
            pod_selector: { match_labels: { "app.kubernetes.io/name": "prometheus" } },
          },
        ],
        ports: [{ port: "8080", protocol: "TCP" }],
      },
    ]);
  });

  it("can add the node collector's API server rule only when infra assessment is on", () => {
    expect(() => nativePolicyFor(synthPolicy({}), NODE_COLLECTOR_LABELS)).toThrow(/found 0/);
    const collector = nativePolicyFor(synthPolicy({ nodeCollector: true, apiServerCidrs: ["192.168.1.10/32"] }), NODE_COLLECTOR_LABELS);
    expect(collector.spec.egress).toContainEqual({
      to: [{ ip_block: { cidr: "192.168.1.10/32" } }],
      ports: [
        { port: "443", protocol: "TCP" },
        { port: "6443", protocol: "TCP" },
      ],
    });
  });

  it("can select pods without version labels", () => {
    const json = JSON.stringify(nativePolicies(synthPolicy({ builtInTrivyServer: true, nodeCollector: true, metrics })));
    expect(json).not.toMatch(/app\.kubernetes\.io\/version|helm\.sh\/chart/);
  });

  it("can follow the release name in the operator selector", () => {
    const synth = synthPolicy({ releaseName: "trivy" });
    expect(
      nativePolicyFor(synth, { "app.kubernetes.io/name": "trivy-operator", "app.kubernetes.io/instance": "trivy" }).metadata.name,
    ).toBe("trivy-allow-operator");
  });

  it("can create nothing for the none flavor", () => {
    const synth = synthPolicy({ flavor: "none", builtInTrivyServer: true });
    expect(synth.resource ?? {}).toEqual({});
  });
});
