import type { Construct } from "constructs";
import { ENVIRONMENT_NAMES, type EnvironmentName, type EnvironmentsConfig } from "./config";
import { TrivyEnvironmentStack, type ClusterExtension } from "./environment-stack";
import { validateEnvironments } from "./validate";

export interface BuildStacksOptions {
  /**
   * Environments to synthesize.
   * @default - every environment
   */
  readonly only?: readonly string[];
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
}

/** Parses a comma list of environment names (e.g. `TRIVY_ENVIRONMENTS=dev,ci`). */
export function parseEnvironmentSelection(selection: string | undefined): EnvironmentName[] | undefined {
  if (selection === undefined || selection.trim() === "") return undefined;
  const names = selection.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (!ENVIRONMENT_NAMES.includes(name as EnvironmentName)) {
      throw new ConfigurationError(`TRIVY_ENVIRONMENTS entries must be one of ${ENVIRONMENT_NAMES.join(", ")}, got ${JSON.stringify(name)}`);
    }
  }
  return [...new Set(names)] as EnvironmentName[];
}

/**
 * Validates every selected environment first, then creates one stack each; a bad config therefore
 * fails before any construct exists instead of leaving a half-built app.
 */
export function buildStacks(app: Construct, environments: EnvironmentsConfig, options: BuildStacksOptions = {}): TrivyEnvironmentStack[] {
  const selected = (options.only ?? ENVIRONMENT_NAMES) as readonly EnvironmentName[];
  try {
    validateEnvironments(Object.fromEntries(selected.map((name) => [name, environments[name]])));
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
  return selected.map((environment) => new TrivyEnvironmentStack(app, { environment, config: environments[environment], extensions: options.extensions }));
}
