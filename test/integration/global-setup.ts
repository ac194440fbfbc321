import type { TestProject } from "vitest/node" with { "resolution-mode": "import" };
import { harnessEnvironment } from "./harness/environment";
import { gate } from "./harness/preflight-gate";
import "./harness/provided-context";

/**
 * globalSetup of the `integration` vitest project: checks Docker, kind, terraform and kubectl once,
 * before any integration file is loaded. Missing tools end the run within seconds with exit code
 * 78, or, with TRIVY_E2E_SKIP_MISSING=1, let each file skip what it cannot run.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide("integrationPreflight", await gate(harnessEnvironment(), "suite"));
}
