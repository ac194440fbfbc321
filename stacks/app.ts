import type { Construct } from "constructs";
import { stackBackend, stateLocation } from "./backend";
import type { BackendConfig, EnvironmentName, EnvironmentsConfig, StackLayout } from "./config";
import { stackName, TrivyEnvironmentStack, type ClusterExtension } from "./environment-stack";
import { summarizeEnvironment } from "./summary";
import { validateEnvironments } from "./validate";

export interface BuildStacksOptions {
  /**
   * Environments to synthesize.
   * @default - every environment
   */
  readonly only?: readonly EnvironmentName[];
  /** @default - none */
  readonly extensions?: readonly ClusterExtension[];
}

/**
 * A configuration the user must fix (bad environment config or selection): `main.ts` prints its
 * message alone, without a stack trace, which it keeps for real bugs.
 */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigurationError";
  }

  /** What the CLI prints: one `invalid configuration: …` line per problem, no stack trace. */
  public report(): string {
    return this.message
      .split("\n")
      .map((problem) => `invalid configuration: ${problem}`)
      .join("\n");
  }
}

/** One Terraform stack the app synthesizes, known before any construct exists. */
export interface PlannedStack {
  /** Stack name: `trivy-<env>` or `trivy-<env>-<cluster>`; what `cdktf deploy` and the workflow take. */
  readonly name: string;
  readonly environment: EnvironmentName;
  readonly layout: StackLayout;
  /** The cluster of a per-cluster stack. */
  readonly cluster?: string;
  /** The clusters the stack holds. */
  readonly clusters: readonly string[];
  /** The backend with this stack's own state key. */
  readonly backend: BackendConfig;
}

/**
 * Parses a comma list of environment names (e.g. `TRIVY_ENVIRONMENTS=dev,ci`) against the
 * environments the app defines.
 */
export function parseEnvironmentSelection(selection: string | undefined, environments: EnvironmentsConfig): EnvironmentName[] | undefined {
  if (selection === undefined || selection.trim() === "") return undefined;
  const known = Object.keys(environments);
  const names = selection
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  for (const name of names) {
    if (!known.includes(name)) {
      throw new ConfigurationError(
        `TRIVY_ENVIRONMENTS entries must be environments the app defines (${known.join(", ")}), got ${JSON.stringify(name)}`,
      );
    }
  }
  return [...new Set(names)];
}

/**
 * Validates the selected environments and lists their stacks with names and state locations, without
 * building any construct. Besides each environment's own rules, stacks must differ across the whole
 * app in name (`prod` + cluster `eu-1` and `prod-eu` + cluster `1` would both be `trivy-prod-eu-1`)
 * and in state location (two stacks on one state destroy each other's resources at every apply).
 */
export function planStacks(environments: EnvironmentsConfig, only?: readonly EnvironmentName[]): PlannedStack[] {
  const selected = only ?? Object.keys(environments);
  const unknown = selected.filter((name) => !Object.hasOwn(environments, name));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `selected environments must be defined (${Object.keys(environments).join(", ")}), got ${JSON.stringify(unknown[0])}`,
    );
  }
  try {
    validateEnvironments(Object.fromEntries(selected.map((name) => [name, environments[name]])));
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
  const planned = selected.flatMap((environment): PlannedStack[] => {
    const config = environments[environment]!;
    const clusters = config.clusters.map((cluster) => cluster.name);
    if ((config.stackLayout ?? "per-environment") === "per-environment") {
      const name = stackName(environment);
      return [{ name, environment, layout: "per-environment", clusters, backend: stackBackend(config.backend, name) }];
    }
    return clusters.map((cluster) => {
      const name = stackName(environment, cluster);
      return {
        name,
        environment,
        layout: "per-cluster",
        cluster,
        clusters: [cluster],
        backend: stackBackend(config.backend, name, cluster),
      };
    });
  });
  const byName = new Map<string, PlannedStack>();
  const byState = new Map<string, PlannedStack>();
  const owner = (stack: PlannedStack): string =>
    `environment "${stack.environment}"${stack.cluster === undefined ? "" : `, cluster "${stack.cluster}"`}`;
  for (const stack of planned) {
    const sameName = byName.get(stack.name);
    if (sameName !== undefined) {
      throw new ConfigurationError(
        `${owner(stack)}: stack name must be unique in the app, got ${JSON.stringify(stack.name)} also from ${owner(sameName)}; rename the environment or the cluster`,
      );
    }
    byName.set(stack.name, stack);
    const location = stateLocation(stack.backend, stack.name);
    const sameState = byState.get(location);
    if (sameState !== undefined) {
      throw new ConfigurationError(
        `${owner(stack)}: backend must give stack ${stack.name} a state of its own, got ${JSON.stringify(location)} also used by stack ${sameState.name}; give each environment its own key`,
      );
    }
    byState.set(location, stack);
  }
  return planned;
}

/**
 * Validates every selected environment first, then creates its stacks (one per environment, or one
 * per cluster); a bad config therefore fails before any construct exists instead of leaving a
 * half-built app.
 */
export function buildStacks(app: Construct, environments: EnvironmentsConfig, options: BuildStacksOptions = {}): TrivyEnvironmentStack[] {
  return planStacks(environments, options.only).map(
    (stack) =>
      new TrivyEnvironmentStack(app, {
        environment: stack.environment,
        config: environments[stack.environment]!,
        cluster: stack.cluster,
        extensions: options.extensions,
      }),
  );
}

/**
 * What `npm start` prints after synthesizing `stacks`: each stack with its own state (a per-cluster
 * environment shows one block per cluster stack), then the stack count.
 */
export function summarizeStacks(stacks: readonly TrivyEnvironmentStack[], environments: EnvironmentsConfig, outdir: string): string {
  return [
    ...stacks.map((stack) => `${summarizeEnvironment(stack, environments[stack.environment]!)}\n`),
    `synthesized ${stacks.length} stack(s) into ${outdir}`,
  ].join("\n");
}

/**
 * Runs `work` (building and synthesizing stacks) without cdktf's token creation traces. cdktf records
 * the complete creation stack of every token, list and reference it makes
 * (cdktf/lib/tokens/private/stack-trace.js `captureStackTrace`, called from `Intrinsic`, `Lazy` and
 * `ComplexResolvable`; constructs/lib/private/stack-trace.js is the same helper): it raises
 * `Error.stackTraceLimit` to `Number.MAX_SAFE_INTEGER`, calls `Error.captureStackTrace` and formats the
 * result at once, through the source maps tsx enables. Capturing and formatting were about 40% of
 * synthesizing a 200-cluster fleet, and capturing alone still a third of building its constructs
 * (bench/fleet.ts). The traces only decorate cdktf's token-misuse errors, and cdktf has no switch for
 * them (`App({ stackTraces: false })` covers annotations only), so inside `work` a capture asked for
 * with that unlimited depth, the helpers' signature, is skipped: the helper finds its `stack: ""`
 * untouched and records no frames. Every other capture, and the trace of an error thrown inside,
 * stays as it is.
 */
export function withoutTokenStackTraces<T>(work: () => T): T {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a static builtin, called through Error below
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (...args: Parameters<typeof capture>) => {
    if (Error.stackTraceLimit !== Number.MAX_SAFE_INTEGER) capture.apply(Error, args);
  };
  try {
    return work();
  } finally {
    Error.captureStackTrace = capture;
  }
}
