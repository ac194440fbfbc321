export { TrivyNetworkPolicy, trivyNetworkPolicySpec, type TrivyNetworkPolicyOptions, type TrivyNetworkPolicyProps } from "./network-policy";
export {
  DEFAULT_NETWORK_POLICY_FLAVOR,
  NETWORK_POLICY_FLAVORS,
  type ClusterDnsOptions,
  type NetworkPolicyFlavor,
  type NodeLocalDnsOptions,
  type PrometheusScrapeOptions,
  type TrivyNetworkPolicySpec,
} from "./props";
export {
  describeFlowPorts,
  describeNetworkFlow,
  describeRegistryDestinations,
  trivyNetworkFlows,
  type CidrRange,
  type FlowEndpoint,
  type FlowPort,
  type FlowProtocol,
  type NetworkFlow,
} from "./flows";
export type { TrivyComponent } from "./components";
export { PRIVATE_IPV4_RANGES } from "./ports";
export { trivyNetworkPolicyProblems, validateTrivyNetworkPolicyProps } from "./validate";
