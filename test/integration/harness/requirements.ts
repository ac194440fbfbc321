import { inject } from "vitest";
import type { Prerequisite } from "./preflight";
import "./provided-context";

/**
 * Whether this file's prerequisites are present, from the global setup's preflight. Only reached
 * when tools are missing and TRIVY_E2E_SKIP_MISSING=1 (otherwise the run already stopped with 78);
 * then the file is skipped and the reason is in the log above.
 */
export function missingFor(required: readonly Prerequisite[]): readonly Prerequisite[] {
  const preflight = inject("integrationPreflight");
  return preflight.missing.filter((prerequisite) => required.includes(prerequisite));
}
