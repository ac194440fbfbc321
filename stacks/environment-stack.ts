import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { configureBackend, stackBackend } from "./backend";
import { TrivyCluster } from "./cluster";
import type { EnvironmentConfig, EnvironmentName } from "./config";
import { needsDashboardDownload } from "./monitoring";
import { isValidatedEnvironment, validateEnvironmentConfig } from "./validate";

/** Adds more modules to each cluster; their helm_/kubernetes_ resources must name the cluster's providers (synth fails otherwise). */
export type ClusterExtension = (cluster: TrivyCluster) => void;

export interface TrivyEnvironmentStackProps {
  readonly environment: EnvironmentName;
  readonly config: EnvironmentConfig;
  /**
   * Build the stack of this one cluster (`trivy-<env>-<cluster>`, per-cluster layout) instead of
   * the environment's stack.
   * @default - every cluster of the environment in `trivy-<env>`
   */
  readonly cluster?: string;
  /**
   * Called once per cluster after the operator and network policies exist.
   * @default - none
   */
  readonly extensions?: readonly ClusterExtension[];
}

/** `trivy-<env>`, or `trivy-<env>-<cluster>` for a per-cluster stack. */
export function stackName(environment: EnvironmentName, cluster?: string): string {
  return cluster === undefined ? `trivy-${environment}` : `trivy-${environment}-${cluster}`;
}

/**
 * The Terraform stack of an environment (`trivy-<env>`, every cluster) or of one of its clusters
 * (`trivy-<env>-<cluster>`). Both build the same constructs with the same ids below the stack, so a
 * cluster's resources have the same Terraform addresses in either layout: moving between layouts
 * moves state, it does not rename anything (docs/fleet.md).
 */
export class TrivyEnvironmentStack extends TerraformStack {
  public readonly environment: EnvironmentName;
  /** The one cluster of a per-cluster stack; undefined for an environment stack. */
  public readonly cluster?: string;
  public readonly clusters: readonly TrivyCluster[];

  constructor(scope: Construct, props: TrivyEnvironmentStackProps) {
    const clusters =
      props.cluster === undefined ? props.config.clusters : props.config.clusters.filter((cluster) => cluster.name === props.cluster);
    if (clusters.length === 0) {
      const known = props.config.clusters.map((cluster) => cluster.name).join(", ");
      throw new Error(`environment "${props.environment}": cluster must be one of ${known}, got ${JSON.stringify(props.cluster)}`);
    }
    // A config `planStacks` (buildStacks) checked is not checked again. Otherwise only the clusters this
    // stack holds: checking all of them in each of 200 per-cluster stacks would grow with N².
    if (!isValidatedEnvironment(props.environment, props.config)) {
      validateEnvironmentConfig(props.environment, { ...props.config, clusters });
    }
    const name = stackName(props.environment, props.cluster);
    super(scope, name);
    this.environment = props.environment;
    this.cluster = props.cluster;
    configureBackend(this, stackBackend(props.config.backend, name, props.cluster));
    // data.http reads the same public grafana.com for every cluster: one unaliased provider suffices.
    if (clusters.some(needsDashboardDownload)) new HttpProvider(this, "http");
    this.clusters = clusters.map((cluster) => new TrivyCluster(this, cluster));
    for (const cluster of this.clusters) {
      for (const extend of props.extensions ?? []) extend(cluster);
    }
  }
}
