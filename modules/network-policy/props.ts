/**
 * How the policies are expressed:
 * - `kubernetes`: `networking.k8s.io/v1` NetworkPolicy, enforced by any conforming CNI (kindnet ≥ kind 0.24, Calico, Cilium, …).
 * - `calico`: `projectcalico.org/v3` NetworkPolicy; selects the API server by its Service. Needs the Calico API server.
 * - `cilium`: `cilium.io/v2` CiliumNetworkPolicy; selects the API server by entity and registries by FQDN.
 * - `none`: no policies (the cluster's own policies govern the namespace).
 */
export type NetworkPolicyFlavor = "kubernetes" | "calico" | "cilium" | "none";

/** Every flavor, for validation and for config schemas that enumerate them. */
export const NETWORK_POLICY_FLAVORS: readonly NetworkPolicyFlavor[] = ["kubernetes", "calico", "cilium", "none"];

/** The flavor when none is given: native NetworkPolicy objects, which every CNI that enforces policies reads. */
export const DEFAULT_NETWORK_POLICY_FLAVOR: NetworkPolicyFlavor = "kubernetes";

/** Node-local DNS cache (NodeLocal DNSCache), when the cluster runs one. */
export interface NodeLocalDnsOptions {
  /**
   * Address the cache listens on; allowed as a /32 by the kubernetes and calico flavors.
   * @default "169.254.20.10"
   */
  readonly address?: string;
  /**
   * Labels of the cache's pods in the DNS namespace; the cilium flavor selects these because with a
   * Local Redirect Policy the traffic is delivered to the pod, not to the link-local address.
   * @default { "k8s-app": "node-local-dns" }
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Ports the cache answers on (some setups move it to 1053 to free 53 for CoreDNS).
   * @default [53]
   */
  readonly ports?: readonly number[];
}

/** Where cluster DNS runs. Every Trivy pod resolves registry and DB host names through it. */
export interface ClusterDnsOptions {
  /**
   * Namespace of the DNS pods.
   * @default "kube-system"
   */
  readonly namespace?: string;
  /**
   * Labels of the DNS pods; CoreDNS keeps the historical kube-dns label for compatibility.
   * @default { "k8s-app": "kube-dns" }
   */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Container ports of the DNS pods. Policies see the port after the Service DNAT, so this is the
   * pod's port (53 for CoreDNS; 5353 on OpenShift), not the Service's.
   * @default [53]
   */
  readonly ports?: readonly number[];
  /**
   * Also allow a node-local DNS cache.
   * @default - no node-local DNS cache
   */
  readonly nodeLocalDns?: NodeLocalDnsOptions;
}

/** Who scrapes the operator's metrics. */
export interface PrometheusScrapeOptions {
  /** Namespace Prometheus runs in. */
  readonly prometheusNamespace: string;
  /** Labels of the Prometheus pods (at least one: an empty selector would let every pod of that namespace in). */
  readonly prometheusPodLabels: Readonly<Record<string, string>>;
}

/**
 * Everything the policies are rendered from: what the operator runs (namespace, release, Trivy
 * server, node collector) and the user's options. `TrivyNetworkPolicy` builds it from its
 * operator; the pure functions (`trivyNetworkFlows`, the renderers, the validation) take it.
 */
export interface TrivyNetworkPolicySpec {
  /**
   * How the policies are expressed.
   * @default "kubernetes"
   */
  readonly flavor?: NetworkPolicyFlavor;
  /** Namespace of the operator, its scan jobs, node collector and Trivy server. */
  readonly namespace: string;
  /** Helm release of the operator; its `app.kubernetes.io/instance` label selects the operator pod. */
  readonly releaseName: string;
  /**
   * ClientServer mode (`operator.builtInTrivyServer`): open 4954 from scan jobs and the operator to
   * the server, and 443 from the server to the DB registry.
   * @default false
   */
  readonly builtInTrivyServer?: boolean;
  /**
   * Infra assessment is on: the node collector reads the kubelet's config through the API server
   * (node proxy `configz`); the operator reads its output from the pod log.
   * @default false
   */
  readonly nodeCollector?: boolean;
  /**
   * Where the operator and node collector may reach the API server (kubernetes flavor only:
   * NetworkPolicy cannot select the API server by label, and it applies after DNAT, so the endpoint
   * IP matters, not the `kubernetes` Service's ClusterIP). Calico uses the Service, Cilium the
   * `kube-apiserver` entity. This is only the *allow*; the *deny* that keeps scan jobs and the Trivy
   * server off the API server uses the exact endpoint addresses, read at plan time from Endpoints
   * `default/kubernetes`, so it never cuts a private registry off.
   * @default - the RFC 1918 ranges (kind, kubeadm, EKS, private GKE/AKS); set it for public endpoints
   */
  readonly apiServerCidrs?: readonly string[];
  /**
   * Endpoint ports of the API server (after DNAT). Calico ignores it: the Service carries the port.
   * @default [443, 6443]
   */
  readonly apiServerPorts?: readonly number[];
  /**
   * Where scan jobs (and the Trivy server) may reach public registries and the DB mirror, on 443
   * only. Registries sit behind CDNs whose addresses change, hence the wide default. The private
   * ranges (RFC 1918) strictly inside a range given here are carved out of it in every flavor, so
   * scan jobs cannot reach internal HTTPS services; name private registries in `privateRegistryCidrs`.
   * @default ["0.0.0.0/0"] - every public address
   */
  readonly registryCidrs?: readonly string[];
  /**
   * Private destinations (RFC 1918 or other internal ranges) where scan jobs and the Trivy server
   * may reach registries and DB mirrors on 443: an in-house registry, ECR/ACR/Artifact Registry
   * private endpoints, an internal Trivy DB mirror. A scan job whose pull ends in `i/o timeout`
   * against a private address needs its range here. The API server stays denied even inside these.
   * @default - none: private addresses are closed to scan jobs
   */
  readonly privateRegistryCidrs?: readonly string[];
  /**
   * Ranges carved out of `registryCidrs` and `privateRegistryCidrs` (e.g. a partner network). The
   * API server is always kept out of scan-job egress, whatever this says.
   * @default - none
   */
  readonly registryExcludedCidrs?: readonly string[];
  /**
   * TCP ports registries and DB mirrors listen on, for scan jobs and the Trivy server. The port of
   * a registry given as `host:port` (here in `registryHosts`, or the operator's `dbRegistry`,
   * `javaDbRegistry` and `policiesBundle.registry`) is added on its own: an in-house Harbor on
   * `harbor.corp.example:8443` needs nothing here.
   * @default [443]
   */
  readonly registryPorts?: readonly number[];
  /**
   * Registry host names (e.g. `mirror.gcr.io`, `*.docker.io`, or `registry.corp.example:5000`),
   * cilium flavor only: replaces the `world` rule with `toFQDNs` and turns on DNS inspection for
   * the pods that use it. Include blob redirect hosts (ghcr.io redirects to
   * `pkg-containers.githubusercontent.com`). A `:port` joins `registryPorts`.
   * @default - any public address on 443
   */
  readonly registryHosts?: readonly string[];
  /**
   * Host names the operator pulls the checks bundle from (the chart's `policiesBundle.registry`,
   * plus any host its blobs redirect to), used with `nodeCollector`: before each node-collector
   * Job the operator pulls the bundle, over 443 or the `:port` given with the host (trivy-operator v0.32.0
   * `pkg/configauditreport/controller/node.go` `reconcileNodes` → `PolicyLoader.GetPoliciesAndBundlePath`).
   * The cilium flavor allows exactly these names (`toFQDNs`); kubernetes and calico cannot filter by
   * name and allow the operator the same public (and `privateRegistryCidrs`) ranges as scan jobs.
   * @default ["mirror.gcr.io"] - the chart's policiesBundle.registry
   */
  readonly checksBundleHosts?: readonly string[];
  /**
   * Let Prometheus scrape the operator on 8080 (set together with the ServiceMonitor).
   * @default - no metrics ingress
   */
  readonly metrics?: PrometheusScrapeOptions;
  /**
   * Where cluster DNS runs.
   * @default - CoreDNS/kube-dns in kube-system on port 53, no node-local cache
   */
  readonly dns?: ClusterDnsOptions;
}
