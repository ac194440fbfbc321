import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { configureBackend } from "./backend";
import { TrivyCluster } from "./cluster";
import type { EnvironmentConfig, EnvironmentName } from "./config";
import { needsDashboardDownload } from "./monitoring";
import { validateEnvironmentConfig } from "./validate";

/** Adds more modules to each cluster; their helm_/kubernetes_ resources must name the cluster's providers (synth fails otherwise). */
export type ClusterExtension = (cluster: TrivyCluster) => void;

export interface TrivyEnvironmentStackProps {
  readonly environment: EnvironmentName;
  readonly config: EnvironmentConfig;
  /**
   * Called once per cluster after the operator and network policies exist.
   * @default - none
   */
  readonly extensions?: readonly ClusterExtension[];
}

export function stackName(environment: EnvironmentName): string {
  return `trivy-${environment}`;
}

/** One Terraform stack per environment (`trivy-<env>`), holding every cluster of it. */
export class TrivyEnvironmentStack extends TerraformStack {
  public readonly environment: EnvironmentName;
  public readonly clusters: readonly TrivyCluster[];

  constructor(scope: Construct, props: TrivyEnvironmentStackProps) {
    validateEnvironmentConfig(props.environment, props.config);
    super(scope, stackName(props.environment));
    this.environment = props.environment;
    configureBackend(this, stackName(props.environment), props.config.backend);
    // data.http reads the same public grafana.com for every cluster: one unaliased provider suffices.
    if (props.config.clusters.some(needsDashboardDownload)) new HttpProvider(this, "http");
    this.clusters = props.config.clusters.map((cluster) => new TrivyCluster(this, cluster));
    for (const cluster of this.clusters) {
      for (const extend of props.extensions ?? []) extend(cluster);
    }
  }
}
