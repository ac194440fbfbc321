import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import { TerraformStack, Token } from "cdktf";
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
  /** True when every element below was built in the constructor from token-free configuration data; see prepareStack. */
  private readonly builtFromDataAlone: boolean;
  /** How many constructs were below the stack when the constructor returned; see prepareStack. */
  private readonly constructsWhenBuilt: number;

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
    this.builtFromDataAlone = (props.extensions ?? []).length === 0 && !holdsUnresolvedToken({ ...props.config, clusters });
    this.constructsWhenBuilt = this.node.findAll().length;
  }

  /**
   * Skips cdktf's preparing pass when it can show that the pass has nothing to do. `App.synth` prepares every stack
   * before synthesizing any (cdktf 0.21.0 lib/app.js `synth`): `prepareStack` makes sure a backend
   * exists, then resolves every element once with `preparing: true` (lib/terraform-stack.js
   * `prepareStack`). The only token that reads that flag is a reference to an element of *another*
   * stack, which then adds an output there and a remote-state data source here
   * (lib/tfExpression.js `Reference.resolve`, lib/app.js `crossStackReference`). A stack built here from
   * configuration data alone holds no such reference: its constructs take plain values and the
   * providers, variables and resources this stack itself creates. The pass then changes nothing, and
   * it was a quarter of synthesizing a 200-cluster fleet (bench/fleet.ts). Whenever that cannot be
   * shown, cdktf prepares as usual: a cluster extension ran (user code may hold any token), the
   * configuration holds a token, or a construct was added below the stack after it was built. Not seen:
   * an `addOverride` with another stack's token made on one of its elements after it was built; make
   * such changes in a cluster extension. cdktf's own `Testing.synth` never runs the pass at all.
   * test/unit/stacks/stack-preparation.test.ts proves both: the same files either way for the shipped
   * and a fleet configuration, and a cross-stack reference still wired in each fallback.
   */
  public override prepareStack(): void {
    if (this.builtFromDataAlone && this.node.findAll().length === this.constructsWhenBuilt) {
      this.ensureBackendExists();
      return;
    }
    super.prepareStack();
  }
}

/** Whether a configuration value holds a cdktf token anywhere (an encoded string, number or list, or an IResolvable). */
function holdsUnresolvedToken(value: unknown): boolean {
  if (Token.isUnresolved(value)) return true;
  if (Array.isArray(value)) return value.some(holdsUnresolvedToken);
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsUnresolvedToken);
  return false;
}
