/**
 * Every port the policies open, in one place, so the flows, the three renderers and the docs
 * cannot drift apart. Values are the chart 0.34.0 defaults.
 */
export const TRIVY_PORTS = {
  /** Operator container port `metrics` that the chart's Service/ServiceMonitor target (Service port 80 maps here). */
  operatorMetrics: 8080,
  /** Built-in Trivy server (`trivy.serverPort`), used in ClientServer mode. */
  trivyServer: 4954,
  /** OCI registries and the DB mirrors serve HTTPS; one given as `host:port` adds its port. */
  registryHttps: 443,
  /** Cluster DNS. */
  dns: 53,
} as const;

/**
 * API server ports. Policies are enforced after the Service DNAT, so the endpoint port counts:
 * 443 on most managed clusters, 6443 on kind and kubeadm.
 */
export const DEFAULT_API_SERVER_PORTS: readonly number[] = [443, 6443];

/**
 * A registry as the chart spells it (`harbor.corp.example:8443`): host, and the port when one is
 * given. Chart 0.34.0 joins it to the repository unchanged (templates/configmaps/trivy.yaml
 * `TRIVY_DB_REPOSITORY: "{{ .Values.trivy.dbRegistry }}/{{ .Values.trivy.dbRepository }}"`,
 * templates/configmaps/operator.yaml `policies.bundle.oci.ref`), so Trivy and the operator dial
 * exactly that port.
 */
export function registryHostAndPort(address: string): { readonly host: string; readonly port?: number } {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  return match ? { host: match[1]!, port: Number(match[2]) } : { host: address };
}

/** The ports named by registries given as `host:port` (none for a bare host, which means 443). */
export function explicitRegistryPorts(addresses: readonly string[]): number[] {
  return addresses.flatMap((address) => registryHostAndPort(address).port ?? []);
}

/** The chart's `policiesBundle.registry` (chart 0.34.0 values.yaml): where the checks bundle comes from. */
export const DEFAULT_CHECKS_BUNDLE_REGISTRY = "mirror.gcr.io";

/** The link-local address node-local-dns conventionally binds on every node. */
export const DEFAULT_NODE_LOCAL_DNS_ADDRESS = "169.254.20.10";

/** RFC 1918 ranges: where API server endpoints of kind, kubeadm, EKS and private clusters live. */
export const PRIVATE_IPV4_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
