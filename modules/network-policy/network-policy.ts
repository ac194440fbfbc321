import { DataKubernetesEndpointsV1 } from "@cdktf/provider-kubernetes/lib/data-kubernetes-endpoints-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { Annotations, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { ManifestBundle, type KubernetesManifest } from "../manifest-bundle/manifest-bundle";
import type { ITrivyOperator } from "../trivy-operator/operator-ref";
import { resolveNetworkPolicyProps, trivyNetworkFlows, type NetworkFlow } from "./flows";
import { explicitRegistryPorts, TRIVY_PORTS } from "./ports";
import type { NetworkPolicyFlavor, TrivyNetworkPolicySpec } from "./props";
import { renderCalicoPolicies } from "./render-calico";
import { renderCiliumPolicies } from "./render-cilium";
import { renderKubernetesPolicies } from "./render-kubernetes";
import { BUNDLE_SUFFIX, validateTrivyNetworkPolicyProps } from "./validate";

/** What the operator decides; a policy takes these from its operator, never from its own props. */
type OperatorDerivedField = "namespace" | "releaseName" | "builtInTrivyServer" | "nodeCollector" | "checksBundleHosts";

/** What `operator.addNetworkPolicy(id, options)` takes: the choices the operator cannot make. */
export interface TrivyNetworkPolicyOptions extends Omit<TrivyNetworkPolicySpec, OperatorDerivedField> {
  /**
   * Kubernetes provider of the `kubernetes` flavor's NetworkPolicies and API-server endpoints lookup.
   * @default - the operator's kubernetes provider
   */
  readonly kubernetesProvider?: TerraformProvider;
  /**
   * Helm provider of the release carrying the calico/cilium policies.
   * @default - the operator's helm provider
   */
  readonly helmProvider?: TerraformProvider;
}

export interface TrivyNetworkPolicyProps extends TrivyNetworkPolicyOptions {
  /** The operator whose namespace the policies lock down; they wait for its release. */
  readonly operator: ITrivyOperator;
}

/** The operator facts a policy is derived from. */
export type NetworkPolicyOperatorFacts = Pick<ITrivyOperator, OperatorDerivedField | "dbRegistryHosts">;

/**
 * Pure: the full description of the policies, from the operator's facts and the user's options.
 * A registry host list turns cilium's `world` rule into an FQDN allow-list, so the operator's DB
 * hosts join only a list the user started: adding them alone would cut scan jobs off from every
 * image registry. A DB registry given as `host:port` opens its port in every flavor: Trivy
 * downloads the DB from exactly that address.
 */
export function trivyNetworkPolicySpec(
  operator: NetworkPolicyOperatorFacts,
  options: TrivyNetworkPolicyOptions = {},
): TrivyNetworkPolicySpec {
  const { kubernetesProvider: _kubernetes, helmProvider: _helm, ...choices } = options;
  const dbRegistryPorts = explicitRegistryPorts(operator.dbRegistryHosts);
  return {
    ...choices,
    namespace: operator.namespace,
    releaseName: operator.releaseName,
    builtInTrivyServer: operator.builtInTrivyServer,
    nodeCollector: operator.nodeCollector,
    checksBundleHosts: operator.checksBundleHosts,
    registryHosts: options.registryHosts ? [...new Set([...options.registryHosts, ...operator.dbRegistryHosts])] : undefined,
    registryPorts:
      dbRegistryPorts.length === 0
        ? options.registryPorts
        : [...new Set([...(options.registryPorts ?? [TRIVY_PORTS.registryHttps]), ...dbRegistryPorts])],
  };
}

/**
 * Locks the Trivy Operator namespace down to the connections Trivy needs.
 *
 * A namespace-wide default deny (ingress and egress, every pod) comes first; each Trivy pod
 * (operator, scan jobs, node collector, Trivy server) then gets one allow policy with exactly its
 * flows (`trivyNetworkFlows`). Policies are additive: a connection passes when any policy selecting
 * the pod allows it, and a connection between two pods needs the sender's egress and the receiver's
 * ingress, so flows between Trivy pods are rendered on both ends. Anything else in the namespace
 * stays denied.
 *
 * The `kubernetes` flavor creates `kubernetes_network_policy_v1` resources. Calico and Cilium
 * policies are custom resources, delivered in one Helm release of the bundled `raw-manifests`
 * chart (`ManifestBundle`), because `kubernetes_manifest` needs their CRDs at plan time.
 *
 * @see docs/network-policy.md
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class TrivyNetworkPolicy extends Construct {
  /** The flavor in effect. */
  public readonly flavor: NetworkPolicyFlavor;
  /** The flows the policies implement, for summaries and reviews. */
  public readonly flows: readonly NetworkFlow[];
  /** The native policies (kubernetes flavor), keyed like their construct ids. */
  public readonly kubernetesPolicies: readonly NetworkPolicyV1[];
  /** The Calico or Cilium objects (empty for the other flavors). */
  public readonly manifests: readonly KubernetesManifest[];
  /** The release delivering `manifests` (calico and cilium flavors). */
  public readonly bundle?: ManifestBundle;
  /** Endpoints `default/kubernetes`, read at plan time (kubernetes flavor): the addresses scan jobs may never reach. */
  public readonly apiServerEndpoints?: DataKubernetesEndpointsV1;

  /** The description the policies were rendered from (operator facts plus options). */
  public readonly spec: TrivyNetworkPolicySpec;

  constructor(scope: Construct, id: string, props: TrivyNetworkPolicyProps) {
    super(scope, id);
    const { operator, ...options } = props;
    this.spec = trivyNetworkPolicySpec(operator, options);
    validateTrivyNetworkPolicyProps(this.spec, this);
    const resolved = resolveNetworkPolicyProps(this.spec);
    this.flavor = resolved.flavor;
    this.flows = trivyNetworkFlows(this.spec);
    const dependsOn = operator.release ? [operator.release] : undefined;
    const kubernetesProvider = props.kubernetesProvider ?? operator.kubernetesProvider;
    if (operator.scanJobsInSameNamespace && resolved.flavor !== "none") {
      Annotations.of(this).addWarning(
        `scan Jobs of this operator run in the workloads' namespaces (scanJobsInSameNamespace); these policies lock down "${resolved.namespace}" only and do not reach them`,
      );
    }

    if (resolved.flavor === "kubernetes") {
      this.manifests = [];
      // The API server's real endpoint addresses, read at plan time: the exact deny for scan jobs and
      // the Trivy server. The Endpoints API is deprecated in favour of EndpointSlices (1.33) but still
      // served, and the kubernetes provider has no EndpointSlice data source.
      this.apiServerEndpoints = new DataKubernetesEndpointsV1(this, "api-server-endpoints", {
        provider: kubernetesProvider,
        metadata: { name: "kubernetes", namespace: "default" },
      });
      const endpointIps = `flatten([for subset in ${this.apiServerEndpoints.fqn}.subset : [for address in subset.address : address.ip]])`;
      this.kubernetesPolicies = renderKubernetesPolicies(resolved, this.flows, endpointIps).map(
        (definition) =>
          new NetworkPolicyV1(this, definition.id, {
            provider: kubernetesProvider,
            metadata: definition.metadata,
            spec: definition.spec,
            dependsOn,
          }),
      );
      return;
    }

    this.kubernetesPolicies = [];
    if (resolved.flavor === "none") {
      this.manifests = [];
      return;
    }
    this.manifests = resolved.flavor === "calico" ? renderCalicoPolicies(resolved, this.flows) : renderCiliumPolicies(resolved, this.flows);
    this.bundle = new ManifestBundle(this, "bundle", {
      releaseName: `${resolved.releaseName}${BUNDLE_SUFFIX}`,
      namespace: resolved.namespace,
      manifests: this.manifests,
      helmProvider: props.helmProvider ?? operator.helmProvider,
      dependsOn,
    });
  }
}
