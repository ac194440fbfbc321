import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateEnvironmentConfig } from "../../../stacks/validate";
import { environmentName, mutation, numRuns, validEnvironment, yieldToEventLoop } from "./config-arbitraries";

// GIVEN a valid environment config with one mutation that breaks exactly one field,
// THEN validation fails with a message naming the environment, the field and the bad value.
// Validation alone, no synth: cheap enough for 1,000 configs in every `npm test`.

const RUNS = numRuns(1_000);

describe("environment config validation (property-based)", () => {
  it(
    `rejects each of ${RUNS} broken configs, naming environment, field and value`,
    async () => {
      const exercised = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(environmentName, validEnvironment, mutation, async (environment, config, broken) => {
          await yieldToEventLoop();
          // The unbroken config is valid, so the mutation alone is what validation must catch.
          expect(() => validateEnvironmentConfig(environment, config)).not.toThrow();
          let message: string | undefined;
          try {
            validateEnvironmentConfig(environment, broken.apply(config));
          } catch (error) {
            message = (error as Error).message;
          }
          expect(message, `a broken ${broken.field} passed validation`).toBeDefined();
          expect(message).toContain(`environment "${environment}"`);
          expect(message).toContain(broken.field);
          expect(message).toContain(broken.shown);
          exercised.set(broken.field, (exercised.get(broken.field) ?? 0) + 1);
        }),
        { numRuns: RUNS },
      );
      // Guards the generator: every mutation was drawn. 17 kinds name 18 fields (the misspelt
      // `trivyOperator` root comes in two spellings); ~55 draws each at 1,000 runs.
      if (RUNS >= 500) expect(exercised.size).toBe(18);
    },
    Math.max(60_000, RUNS * 200),
  );
});
