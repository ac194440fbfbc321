import { describe, expect, it } from "vitest";
import type { KubernetesManifest } from "../../../modules/manifest-bundle";
import { onlyResourceOfType, resourcesOfType } from "../../helpers/synth";
import { bundledManifests, synthPolicy } from "./helpers";

interface CalicoRule {
  action: string;
  protocol?: string;
  source?: Record<string, unknown>;
  destination?: {
    ports?: number[];
    nets?: string[];
    notNets?: string[];
    selector?: string;
    namespaceSelector?: string;
    services?: unknown;
  };
}
interface CalicoSpec {
  selector: string;
  types: string[];
  ingress?: CalicoRule[];
  egress?: CalicoRule[];
}

const spec = (manifests: KubernetesManifest[], name: string): CalicoSpec => {
  const found = manifests.find((m) => m.metadata.name === name);
  if (!found) throw new Error(`no ${name} in ${manifests.map((m) => m.metadata.name).join(", ")}`);
  return found.spec as CalicoSpec;
};
const API_SERVICE = { services: { name: "kubernetes", namespace: "default" } };
const metrics = { prometheusNamespace: "monitoring", prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" } };

describe("TrivyNetworkPolicy | calico flavor", () => {
  it("can deliver every object through one helm release of the raw-manifests chart", () => {
    // WHEN
    const synth = synthPolicy({ flavor: "calico" });

    // THEN
    const release = onlyResourceOfType(synth, "helm_release");
    expect(release).toMatchObject({ name: "trivy-operator-netpol", namespace: "trivy-system" });
    expect(resourcesOfType(synth, "kubernetes_network_policy_v1")).toHaveLength(0);
    const manifests = bundledManifests(synth);
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.name}`)).toEqual([
      "projectcalico.org/v3/NetworkPolicy/trivy-operator-default-deny",
      "projectcalico.org/v3/NetworkPolicy/trivy-operator-allow-operator",
      "projectcalico.org/v3/NetworkPolicy/trivy-operator-allow-scan-job",
    ]);
  });

  it("can deny all ingress and egress of every pod by default", () => {
    expect(spec(bundledManifests(synthPolicy({ flavor: "calico" })), "trivy-operator-default-deny")).toEqual({
      selector: "all()",
      types: ["Ingress", "Egress"],
    });
  });

  it("can let the operator reach the API server through the default/kubernetes Service", () => {
    const operator = spec(bundledManifests(synthPolicy({ flavor: "calico" })), "trivy-operator-allow-operator");
    expect(operator.selector).toBe("app.kubernetes.io/name == 'trivy-operator' && app.kubernetes.io/instance == 'trivy-operator'");
    expect(operator.egress).toContainEqual({ action: "Allow", destination: API_SERVICE });
  });

  it("can allow DNS to kube-dns on UDP and TCP 53", () => {
    const manifests = bundledManifests(synthPolicy({ flavor: "calico", builtInTrivyServer: true, nodeCollector: true }));
    for (const component of ["operator", "scan-job", "node-collector", "trivy-server"]) {
      const dns = spec(manifests, `trivy-operator-allow-${component}`).egress?.filter(
        (r) => r.destination?.selector === "k8s-app == 'kube-dns'",
      );
      expect(
        dns?.map((r) => `${r.protocol}/${r.destination?.ports?.join(",")}`),
        component,
      ).toEqual(["UDP/53", "TCP/53"]);
      expect(dns?.[0]?.destination?.namespaceSelector).toBe("kubernetes.io/metadata.name == 'kube-system'");
    }
  });

  it("can let scan jobs reach 443 but deny the API server before any allow", () => {
    const scanJob = spec(
      bundledManifests(synthPolicy({ flavor: "calico", registryExcludedCidrs: ["10.0.0.0/8"] })),
      "trivy-operator-allow-scan-job",
    );
    expect(scanJob.selector).toBe("app.kubernetes.io/managed-by == 'trivy-operator' && vulnerabilityReport.scanner == 'Trivy'");
    expect(scanJob.egress?.[0]).toEqual({ action: "Deny", destination: API_SERVICE });
    expect(scanJob.egress).toContainEqual({
      action: "Allow",
      protocol: "TCP",
      destination: { nets: ["0.0.0.0/0"], notNets: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], ports: [443] },
    });
    expect(scanJob.egress?.filter((r) => r.action === "Allow" && r.destination?.services !== undefined)).toEqual([]);
  });

  it("can open private registry ranges after the API server deny, which still wins inside them", () => {
    const scanJob = spec(
      bundledManifests(synthPolicy({ flavor: "calico", privateRegistryCidrs: ["10.20.0.0/16"] })),
      "trivy-operator-allow-scan-job",
    );
    expect(scanJob.egress?.[0]).toEqual({ action: "Deny", destination: API_SERVICE });
    expect(scanJob.egress).toContainEqual({ action: "Allow", protocol: "TCP", destination: { nets: ["10.20.0.0/16"], ports: [443] } });
  });

  it("can let the operator pull the checks bundle on 443 from public addresses when the node collector runs", () => {
    // trivy-operator v0.32.0 pkg/configauditreport/controller/node.go reconcileNodes → pkg/policy/loader.go.
    const operator = spec(bundledManifests(synthPolicy({ flavor: "calico", nodeCollector: true })), "trivy-operator-allow-operator");
    expect(operator.egress).toContainEqual({
      action: "Allow",
      protocol: "TCP",
      destination: { nets: ["0.0.0.0/0"], notNets: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], ports: [443] },
    });
    expect(JSON.stringify(spec(bundledManifests(synthPolicy({ flavor: "calico" })), "trivy-operator-allow-operator").egress)).not.toContain(
      "0.0.0.0/0",
    );
  });

  it("can open 4954 only with the built-in server", () => {
    expect(JSON.stringify(bundledManifests(synthPolicy({ flavor: "calico" })))).not.toContain("4954");
    const manifests = bundledManifests(synthPolicy({ flavor: "calico", builtInTrivyServer: true }));
    const server = spec(manifests, "trivy-operator-allow-trivy-server");
    expect(server.types).toEqual(["Ingress", "Egress"]);
    expect(server.ingress).toContainEqual({
      action: "Allow",
      protocol: "TCP",
      source: { selector: "app.kubernetes.io/managed-by == 'trivy-operator' && vulnerabilityReport.scanner == 'Trivy'" },
      destination: { ports: [4954] },
    });
    expect(spec(manifests, "trivy-operator-allow-operator").egress).toContainEqual({
      action: "Allow",
      protocol: "TCP",
      destination: { selector: "app.kubernetes.io/name == 'trivy-server' && app.kubernetes.io/instance == 'trivy-server'", ports: [4954] },
    });
  });

  it("can open 8080 from Prometheus only when metrics are set", () => {
    expect(spec(bundledManifests(synthPolicy({ flavor: "calico" })), "trivy-operator-allow-operator").ingress).toBeUndefined();
    const operator = spec(bundledManifests(synthPolicy({ flavor: "calico", metrics })), "trivy-operator-allow-operator");
    expect(operator.ingress).toEqual([
      {
        action: "Allow",
        protocol: "TCP",
        source: { namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'", selector: "app.kubernetes.io/name == 'prometheus'" },
        destination: { ports: [8080] },
      },
    ]);
  });

  it("can add the node collector policy only when infra assessment is on", () => {
    expect(bundledManifests(synthPolicy({ flavor: "calico" })).map((m) => m.metadata.name)).not.toContain(
      "trivy-operator-allow-node-collector",
    );
    const collector = spec(bundledManifests(synthPolicy({ flavor: "calico", nodeCollector: true })), "trivy-operator-allow-node-collector");
    expect(collector.selector).toBe("app == 'node-collector'");
    expect(collector.egress).toContainEqual({ action: "Allow", destination: API_SERVICE });
  });
});
