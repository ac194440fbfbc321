import { Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";

/** A synthesized stack as Terraform JSON, parsed. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  readonly variable?: Record<string, { type?: string; sensitive?: boolean; description?: string; default?: unknown }>;
  readonly provider?: Record<string, unknown[]>;
  readonly terraform?: Record<string, unknown>;
  readonly locals?: Record<string, unknown>;
}

/** Builds constructs inside a throwaway stack and returns the synthesized JSON (raw and parsed). */
export function synthesize(build: (stack: TerraformStack) => void): { json: string; parsed: SynthesizedStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  build(stack);
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json) as SynthesizedStack };
}

/** Synthesizes an existing stack. */
export function synthesizeStack(stack: TerraformStack): { json: string; parsed: SynthesizedStack } {
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json) as SynthesizedStack };
}

/** All resources of one Terraform type, keyed by logical id. */
export function resourcesOfType(synth: SynthesizedStack, type: string): Array<Record<string, unknown>> {
  return Object.values(synth.resource?.[type] ?? {});
}

/** The single resource of a type; fails the test when there are zero or several. */
export function onlyResourceOfType(synth: SynthesizedStack, type: string): Record<string, unknown> {
  const found = resourcesOfType(synth, type);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${found.length}`);
  }
  return found[0] as Record<string, unknown>;
}

export type { Construct };
