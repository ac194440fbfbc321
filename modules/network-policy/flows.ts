import { cidrContains, mustParseCidr } from "./cidr";
import type { TrivyComponent } from "./components";
import {
  DEFAULT_API_SERVER_PORTS,
  DEFAULT_CHECKS_BUNDLE_REGISTRY,
  DEFAULT_NODE_LOCAL_DNS_ADDRESS,
  PRIVATE_IPV4_RANGES,
  explicitRegistryPorts,
  registryHostAndPort,
  TRIVY_PORTS,
} from "./ports";
import { DEFAULT_NETWORK_POLICY_FLAVOR, type NetworkPolicyFlavor, type TrivyNetworkPolicySpec } from "./props";

export type FlowProtocol = "TCP" | "UDP";

export interface FlowPort {
  readonly port: number;
  readonly protocol: FlowProtocol;
}

/** One allowed range and the parts of it that stay closed. */
export interface CidrRange {
  readonly cidr: string;
  readonly except: readonly string[];
}

/** Either end of a flow. Renderers pick the mechanism; the flow states the intent. */
export type FlowEndpoint =
  | { readonly kind: "component"; readonly component: TrivyComponent }
  /** Where the API server may be, for allows (kubernetes flavor: `apiServerCidrs`). */
  | { readonly kind: "api-server"; readonly cidrs: readonly string[] }
  /**
   * Exactly the API server, for denies: the endpoints of Service `default/kubernetes` (kubernetes
   * flavor: read at plan time; calico: the Service; cilium: the `kube-apiserver` entity).
   */
  | { readonly kind: "api-server-endpoints" }
  | { readonly kind: "cluster-dns"; readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> }
  | {
      readonly kind: "node-local-dns";
      readonly address: string;
      readonly namespace: string;
      readonly podLabels: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "registries";
      /** Public side: `registryCidrs` with the private ranges inside them carved out. */
      readonly ranges: readonly CidrRange[];
      /** `privateRegistryCidrs`: private registries and DB mirrors named by the user. */
      readonly privateRanges: readonly CidrRange[];
      readonly hosts: readonly string[];
      /** True when no CIDRs were given: "any public address" (cilium replaces it with `hosts` when given). */
      readonly anyPublicAddress: boolean;
    }
  | { readonly kind: "prometheus"; readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };

/**
 * A connection the policies must allow, or one they must keep closed even though a wider allow
 * would cover it. Deny flows have no ports: they close the peer entirely.
 */
export interface NetworkFlow {
  readonly action: "allow" | "deny";
  readonly from: FlowEndpoint;
  readonly to: FlowEndpoint;
  readonly ports: readonly FlowPort[];
  readonly reason: string;
}

/** Props with every default applied; the one place defaults live. */
export interface ResolvedNetworkPolicyProps {
  readonly flavor: NetworkPolicyFlavor;
  readonly namespace: string;
  readonly releaseName: string;
  readonly builtInTrivyServer: boolean;
  readonly nodeCollector: boolean;
  readonly apiServerCidrs: readonly string[];
  readonly apiServerPorts: readonly number[];
  readonly registryCidrs: readonly string[];
  readonly registryCidrsGiven: boolean;
  readonly privateRegistryCidrs: readonly string[];
  readonly registryExcludedCidrs: readonly string[];
  /** Host names only (cilium `toFQDNs`); their ports are in `registryPorts`. */
  readonly registryHosts: readonly string[];
  /** Where scan jobs and the Trivy server reach registries: `registryPorts` and every `host:port`'s port. */
  readonly registryPorts: readonly number[];
  /** Host names only; their ports are in `checksBundlePorts`. */
  readonly checksBundleHosts: readonly string[];
  /** Where the operator pulls the checks bundle: each checks-bundle host's port, 443 when it names none. */
  readonly checksBundlePorts: readonly number[];
  readonly metrics?: TrivyNetworkPolicySpec["metrics"];
  readonly dnsNamespace: string;
  readonly dnsPodLabels: Readonly<Record<string, string>>;
  readonly dnsPorts: readonly number[];
  readonly nodeLocalDns?: {
    readonly address: string;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly ports: readonly number[];
  };
}

export function resolveNetworkPolicyProps(props: TrivyNetworkPolicySpec): ResolvedNetworkPolicyProps {
  const nodeLocal = props.dns?.nodeLocalDns;
  const registryHosts = (props.registryHosts ?? []).map(registryHostAndPort);
  const checksBundleHosts = (props.checksBundleHosts ?? [DEFAULT_CHECKS_BUNDLE_REGISTRY]).map(registryHostAndPort);
  return {
    flavor: props.flavor ?? DEFAULT_NETWORK_POLICY_FLAVOR,
    namespace: props.namespace,
    releaseName: props.releaseName,
    builtInTrivyServer: props.builtInTrivyServer ?? false,
    nodeCollector: props.nodeCollector ?? false,
    // Private ranges cover kind, kubeadm, EKS and private control planes; public endpoints must be named.
    apiServerCidrs: props.apiServerCidrs ?? PRIVATE_IPV4_RANGES,
    apiServerPorts: props.apiServerPorts ?? DEFAULT_API_SERVER_PORTS,
    // Registries and DB mirrors are CDNs with changing addresses; 443 only keeps the hole narrow.
    registryCidrs: props.registryCidrs ?? ["0.0.0.0/0"],
    registryCidrsGiven: props.registryCidrs !== undefined,
    // Private addresses are internal services until the user names a registry among them.
    privateRegistryCidrs: props.privateRegistryCidrs ?? [],
    registryExcludedCidrs: props.registryExcludedCidrs ?? [],
    registryHosts: unique(registryHosts.map((address) => address.host)),
    registryPorts: unique([...(props.registryPorts ?? [TRIVY_PORTS.registryHttps]), ...explicitRegistryPorts(props.registryHosts ?? [])]),
    checksBundleHosts: unique(checksBundleHosts.map((address) => address.host)),
    checksBundlePorts: unique(checksBundleHosts.map((address) => address.port ?? TRIVY_PORTS.registryHttps)),
    metrics: props.metrics,
    dnsNamespace: props.dns?.namespace ?? "kube-system",
    // CoreDNS deployments keep the kube-dns label for compatibility.
    dnsPodLabels: props.dns?.podLabels ?? { "k8s-app": "kube-dns" },
    dnsPorts: props.dns?.ports ?? [TRIVY_PORTS.dns],
    nodeLocalDns: nodeLocal && {
      address: nodeLocal.address ?? DEFAULT_NODE_LOCAL_DNS_ADDRESS,
      podLabels: nodeLocal.podLabels ?? { "k8s-app": "node-local-dns" },
      ports: nodeLocal.ports ?? [TRIVY_PORTS.dns],
    },
  };
}

/** The Trivy pods that exist with these props. */
export function activeComponents(props: TrivyNetworkPolicySpec): TrivyComponent[] {
  const resolved = resolveNetworkPolicyProps(props);
  return [
    "operator",
    "scan-job",
    ...(resolved.nodeCollector ? (["node-collector"] as const) : []),
    ...(resolved.builtInTrivyServer ? (["trivy-server"] as const) : []),
  ];
}

/**
 * Every connection Trivy Operator needs, and nothing else (docs/network-policy.md). Pure data: the
 * renderers turn it into Kubernetes, Calico or Cilium objects, and the stack summary prints it.
 * Everything not listed is closed by the namespace's default deny.
 */
export function trivyNetworkFlows(props: TrivyNetworkPolicySpec): NetworkFlow[] {
  const p = resolveNetworkPolicyProps(props);
  if (p.flavor === "none") return [];

  const component = (name: TrivyComponent): FlowEndpoint => ({ kind: "component", component: name });
  const tcp = (...ports: readonly number[]): FlowPort[] => ports.map((port) => ({ port, protocol: "TCP" }));
  const udpAndTcp = (ports: readonly number[]): FlowPort[] =>
    ports.flatMap((port) => [
      { port, protocol: "UDP" as const },
      { port, protocol: "TCP" as const },
    ]);
  const apiServer: FlowEndpoint = { kind: "api-server", cidrs: p.apiServerCidrs };
  const apiServerEndpoints: FlowEndpoint = { kind: "api-server-endpoints" };
  const registries: FlowEndpoint = {
    kind: "registries",
    ranges: p.registryCidrs.map((cidr) => ({
      cidr,
      except: strictlyInside(cidr, unique([...PRIVATE_IPV4_RANGES, ...p.registryExcludedCidrs])),
    })),
    privateRanges: p.privateRegistryCidrs.map((cidr) => ({ cidr, except: strictlyInside(cidr, p.registryExcludedCidrs) })),
    hosts: p.registryHosts,
    anyPublicAddress: !p.registryCidrsGiven,
  };

  const flows: NetworkFlow[] = [
    {
      action: "allow",
      from: component("operator"),
      to: apiServer,
      ports: tcp(...p.apiServerPorts),
      reason: "the operator watches workloads and writes reports through the API server",
    },
  ];

  for (const name of activeComponents(props)) {
    flows.push({
      action: "allow",
      from: component(name),
      to: { kind: "cluster-dns", namespace: p.dnsNamespace, podLabels: p.dnsPodLabels },
      // TCP too: answers over 512 bytes (long CNAME chains of registry CDNs) fall back to TCP.
      ports: udpAndTcp(p.dnsPorts),
      reason:
        "every name (registries, DB mirror, services) resolves through cluster DNS; a policy without it breaks every pull (docs/field-report.md)",
    });
    if (p.nodeLocalDns) {
      flows.push({
        action: "allow",
        from: component(name),
        to: { kind: "node-local-dns", namespace: p.dnsNamespace, ...p.nodeLocalDns },
        ports: udpAndTcp(p.nodeLocalDns.ports),
        reason: "pods resolve through the node-local DNS cache",
      });
    }
  }

  flows.push(
    {
      action: "allow",
      from: component("scan-job"),
      to: registries,
      ports: tcp(...p.registryPorts),
      reason: p.builtInTrivyServer
        ? "scan jobs pull image manifests and layers from the registries of the scanned images"
        : "scan jobs download the vulnerability DB and Java DB and pull the scanned images",
    },
    {
      action: "deny",
      from: component("scan-job"),
      to: apiServerEndpoints,
      ports: [],
      reason:
        "scan jobs run without a service account token (scanJobAutomountServiceAccountToken: false); the wide registry rule must not reach the API server",
    },
  );

  if (p.builtInTrivyServer) {
    flows.push(
      {
        action: "allow",
        from: component("scan-job"),
        to: component("trivy-server"),
        ports: tcp(TRIVY_PORTS.trivyServer),
        reason: "in ClientServer mode scan jobs send the image's packages to the Trivy server for matching",
      },
      {
        action: "allow",
        from: component("operator"),
        to: component("trivy-server"),
        ports: tcp(TRIVY_PORTS.trivyServer),
        reason: "the operator health-checks the Trivy server before starting scan jobs",
      },
      {
        action: "allow",
        from: component("trivy-server"),
        to: registries,
        ports: tcp(...p.registryPorts),
        reason: "the Trivy server downloads the vulnerability DB once for all scans",
      },
      {
        action: "deny",
        from: component("trivy-server"),
        to: apiServerEndpoints,
        ports: [],
        reason: "the Trivy server never talks to Kubernetes; the wide registry rule must not reach the API server",
      },
    );
  }

  if (p.metrics) {
    flows.push({
      action: "allow",
      from: { kind: "prometheus", namespace: p.metrics.prometheusNamespace, podLabels: p.metrics.prometheusPodLabels },
      to: component("operator"),
      ports: tcp(TRIVY_PORTS.operatorMetrics),
      reason: "Prometheus scrapes the operator's report metrics (ServiceMonitor)",
    });
  }

  if (p.nodeCollector) {
    // Nothing gates the pull, and a blocked one is swallowed: pkg/policy/loader.go
    // GetPoliciesAndBundlePath logs "failed to load policies" (an Error, which go-logr v1.4 emits
    // whatever the V level) and caches nothing, so every node reconcile waits for the dial to time
    // out and the collector falls back to the operator's embedded commands.
    flows.push({
      action: "allow",
      from: component("operator"),
      to:
        p.flavor === "cilium"
          ? { kind: "registries", ranges: [], privateRanges: [], hosts: p.checksBundleHosts, anyPublicAddress: true }
          : { ...registries, hosts: [] },
      ports: tcp(...p.checksBundlePorts),
      reason:
        'the operator pulls the checks bundle (policiesBundle, an OCI artifact) before each node-collector Job; blocked, it waits for the dial timeout, logs "failed to load policies" and falls back to its embedded checks',
    });
    flows.push({
      action: "allow",
      from: component("node-collector"),
      to: apiServer,
      ports: tcp(...p.apiServerPorts),
      // k8s-node-collector pkg/collector/collect.go: GET /api/v1/nodes/<node>/proxy/configz; the
      // operator then reads the collector's output from its pod log (trivy-kubernetes jobs).
      reason:
        "the node collector reads the kubelet's config through the API server's node proxy (configz); the operator reads its output from the pod log",
    });
  }

  return flows;
}

function unique<T extends string | number>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** The ranges of `candidates` that lie strictly inside `cidr` (what NetworkPolicy accepts as `except`). */
export function strictlyInside(cidr: string, candidates: readonly string[]): string[] {
  const outer = mustParseCidr(cidr);
  return candidates.filter((candidate) => {
    const inner = mustParseCidr(candidate);
    return inner.prefixLength > outer.prefixLength && cidrContains(outer, inner);
  });
}

/** One line per flow, for the stack summary and for error messages. */
/** A flow's ports as the summary and the docs print them: `TCP/443, TCP/6443`, or `all ports`. */
export function describeFlowPorts(flow: NetworkFlow): string {
  return flow.ports.length === 0 ? "all ports" : flow.ports.map((p) => `${p.protocol}/${p.port}`).join(", ");
}

export function describeNetworkFlow(flow: NetworkFlow): string {
  const ports = describeFlowPorts(flow);
  const verb = flow.action === "allow" ? "->" : "-x->";
  return `${describeEndpoint(flow.from)} ${verb} ${describeEndpoint(flow.to)} [${ports}]: ${flow.reason}`;
}

function describeEndpoint(endpoint: FlowEndpoint): string {
  switch (endpoint.kind) {
    case "component":
      return endpoint.component;
    case "api-server":
      return "api-server";
    case "api-server-endpoints":
      return "api-server(endpoints of default/kubernetes)";
    case "cluster-dns":
      return `dns(${endpoint.namespace})`;
    case "node-local-dns":
      return `node-local-dns(${endpoint.address})`;
    case "registries":
      return `registries(${describeRegistryDestinations(endpoint)})`;
    case "prometheus":
      return `prometheus(${endpoint.namespace})`;
  }
}

/** Where a registries endpoint lets traffic go, in words: public side, then private registries. */
export function describeRegistryDestinations(endpoint: Extract<FlowEndpoint, { kind: "registries" }>): string {
  const range = (r: CidrRange): string => (r.except.length > 0 ? `${r.cidr} except ${r.except.join(",")}` : r.cidr);
  const publicSide =
    endpoint.hosts.length > 0 && endpoint.anyPublicAddress ? `hosts ${endpoint.hosts.join(",")}` : endpoint.ranges.map(range).join("; ");
  const privateSide = endpoint.privateRanges.length > 0 ? `private ${endpoint.privateRanges.map(range).join("; ")}` : "no private ranges";
  return `${publicSide}; ${privateSide}`;
}
