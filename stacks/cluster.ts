import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Aspects, TerraformDataSource, TerraformResource, type IAspect, type TerraformProvider, type TerraformVariable } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import type { TrivyNetworkPolicy } from "../modules/network-policy/network-policy";
import { TrivyOperator } from "../modules/trivy-operator/trivy-operator";
import type { ClusterConfig } from "./config";
import { wireMonitoring, type ClusterMonitoring } from "./monitoring";
import { wireNetworkPolicy } from "./network-policy";
import { dbPasswordSecret, declareSensitiveVariable } from "./secrets";

/**
 * Points every helm_* and kubernetes_* resource below a cluster's scope at that cluster's
 * providers, unless it already names one. Modules written without provider props (network
 * policies, dashboards) then land in the right cluster when a stack holds several.
 */
class ClusterProviders implements IAspect {
  constructor(
    private readonly helm: TerraformProvider,
    private readonly kubernetes: TerraformProvider,
  ) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource || node instanceof TerraformDataSource) || node.provider) return;
    if (node.terraformResourceType.startsWith("helm_")) node.provider = this.helm;
    else if (node.terraformResourceType.startsWith("kubernetes_")) node.provider = this.kubernetes;
  }
}

/**
 * Everything Trivy needs in one cluster: aliased providers for its kubeconfig context, the operator,
 * the network policies and the monitoring (docs/monitoring-config.md). The construct id is the cluster name, so it is part of every Terraform
 * address below it.
 */
export class TrivyCluster extends Construct {
  public readonly name: string;
  public readonly config: ClusterConfig;
  public readonly helmProvider: HelmProvider;
  public readonly kubernetesProvider: KubernetesProvider;
  public readonly operator: TrivyOperator;
  /** Stack-level sensitive variable with the DB registry password, when the cluster pulls the DB with credentials. */
  public readonly dbPasswordVariable?: TerraformVariable;
  /** The network policies, or undefined for flavor `none`. */
  public readonly networkPolicy?: TrivyNetworkPolicy;
  /** ServiceMonitor/PrometheusRule, dashboard, Grafana alerts and their provider and variables (all optional). */
  public readonly monitoring: ClusterMonitoring;

  constructor(scope: Construct, config: ClusterConfig) {
    super(scope, config.name);
    this.name = config.name;
    this.config = config;
    const connection = { configPath: config.kubeconfigPath, configContext: config.kubeContext };
    // Providers belong to the stack; the alias keeps clusters of one environment apart.
    this.kubernetesProvider = new KubernetesProvider(scope, `kubernetes-${config.name}`, { alias: config.name, ...connection });
    this.helmProvider = new HelmProvider(scope, `helm-${config.name}`, { alias: config.name, kubernetes: connection });
    Aspects.of(this).add(new ClusterProviders(this.helmProvider, this.kubernetesProvider));

    const { dbRepositoryCredentials, ...operatorOptions } = config.operator ?? {};
    const dbPassword = dbPasswordSecret(config);
    this.dbPasswordVariable = dbPassword ? declareSensitiveVariable(this, dbPassword) : undefined;
    this.operator = new TrivyOperator(this, "trivy-operator", {
      ...operatorOptions,
      dbRepositoryCredentials:
        dbRepositoryCredentials && this.dbPasswordVariable ? { username: dbRepositoryCredentials.username, password: this.dbPasswordVariable.stringValue } : undefined,
      taints: config.taints,
      helmProvider: this.helmProvider,
      kubernetesProvider: this.kubernetesProvider,
    });
    this.networkPolicy = wireNetworkPolicy(this, config, this.operator);
    this.monitoring = wireMonitoring(this, config, this.operator);
  }
}
