import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { planStacks } from "../../../stacks/app";
import type { EnvironmentConfig } from "../../../stacks/config";
import { TrivyEnvironmentStack } from "../../../stacks/environment-stack";
import { defineEnvironments } from "../../../stacks/environments";
import { isValidatedEnvironment } from "../../../stacks/validate";

const shipped = defineEnvironments();

describe("TrivyEnvironmentStack validation", () => {
  it("fails when built directly from a config nobody checked", () => {
    // GIVEN a config with a bad value, never passed through planStacks
    const config: EnvironmentConfig = {
      ...shipped.dev,
      clusters: [{ ...shipped.dev.clusters[0]!, operator: { scanJobsConcurrentLimit: 0 } }],
    };
    // WHEN the stack is built directly THEN it checks the config itself
    expect(() => new TrivyEnvironmentStack(Testing.app(), { environment: "dev", config })).toThrow(
      /operator\.scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100/,
    );
  });

  it("can remember a config planStacks checked, per object and environment name", () => {
    const config: EnvironmentConfig = { ...shipped.dev };
    expect(isValidatedEnvironment("dev", config)).toBe(false);
    planStacks({ dev: config });
    expect(isValidatedEnvironment("dev", config)).toBe(true);
    // The same object under another name, or a copy, is checked anew.
    expect(isValidatedEnvironment("staging", config)).toBe(false);
    expect(isValidatedEnvironment("dev", { ...config })).toBe(false);
  });
});
