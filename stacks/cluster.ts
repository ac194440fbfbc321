import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformDataSource, TerraformResource, type TerraformVariable } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { TrivyOperator, type TrivyNetworkPolicy } from "../modules";
import type { ClusterConfig } from "./config";
import { wireMonitoring, type ClusterMonitoring } from "./monitoring";
import { wireNetworkPolicy } from "./network-policy";
import { dbPasswordSecret, declareSensitiveVariable } from "./secrets";

/**
 * The helm_/kubernetes_ resources below `scope` that name no provider. In a stack of several
 * clusters Terraform would give them the unaliased default provider, i.e. whatever cluster the
 * deploying machine's kubeconfig points at, so they are an error rather than a guess.
 */
export function resourcesWithoutProvider(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .filter(
      (node): node is TerraformResource | TerraformDataSource => node instanceof TerraformResource || node instanceof TerraformDataSource,
    )
    .filter((resource) => resource.provider === undefined && /^(helm|kubernetes)_/.test(resource.terraformResourceType))
    .map(
      (resource) =>
        `${resource.terraformResourceType} at ${resource.node.path} names no provider: pass the cluster's helmProvider/kubernetesProvider, or create it with cluster.operator.add*()`,
    );
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

    const { dbRepositoryCredentials, ...operatorOptions } = config.operator ?? {};
    const dbPassword = dbPasswordSecret(config);
    this.dbPasswordVariable = dbPassword ? declareSensitiveVariable(this, dbPassword) : undefined;
    this.operator = new TrivyOperator(this, "trivy-operator", {
      ...operatorOptions,
      dbRepositoryCredentials:
        dbRepositoryCredentials && this.dbPasswordVariable
          ? { username: dbRepositoryCredentials.username, password: this.dbPasswordVariable.stringValue }
          : undefined,
      taints: config.taints,
      helmProvider: this.helmProvider,
      kubernetesProvider: this.kubernetesProvider,
    });
    // Every companion takes the operator, and with it the providers of this cluster.
    this.monitoring = wireMonitoring(this, config, this.operator);
    // Either ServiceMonitor (ours, or the chart's) makes Prometheus scrape port 8080.
    const scraped = this.operator.serviceMonitor || this.monitoring.operatorMonitoring?.serviceMonitor === true;
    this.networkPolicy = wireNetworkPolicy(this, config, this.operator, scraped);
    // Extensions add constructs later; checked at synth, when the tree is complete.
    this.node.addValidation({ validate: () => resourcesWithoutProvider(this) });
  }
}
