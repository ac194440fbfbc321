import type { PreflightSummary } from "./preflight-gate";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by test/integration/global-setup.ts. */
    integrationPreflight: PreflightSummary;
  }
}
