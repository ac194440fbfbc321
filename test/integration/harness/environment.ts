import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Every environment variable the integration harness reads, parsed in one place.
 * (Product code reads the environment only in main.ts; this is test code.)
 */
export interface HarnessEnvironment {
  /** `TRIVY_E2E_SKIP_MISSING=1`: skip the tier (exit 0) instead of failing when a prerequisite is missing. */
  readonly skipWhenMissing: boolean;
  /** `TRIVY_E2E_KEEP_CLUSTER=1`: leave the kind cluster running after the suite, to debug it. */
  readonly keepCluster: boolean;
  /** `TRIVY_E2E_ARTIFACTS_DIR`: where failure artifacts go. */
  readonly artifactsDir: string;
  /** `TRIVY_PLAYGROUND_CLUSTER`: name of the long-lived cluster of `npm run up`. */
  readonly playgroundClusterName: string;
  /** `TRIVY_PLAYGROUND_DIR`: kubeconfig, synthesized stack and Terraform state of the playground. */
  readonly playgroundDir: string;
  /** `TRIVY_E2E_REPORT_TIMEOUT_SECONDS`: deadline of each report wait (slow runners, cold DB mirrors). */
  readonly reportTimeoutMs: number;
}

export const SKIP_MISSING_VARIABLE = "TRIVY_E2E_SKIP_MISSING";

/** 10 min per report: trivy-operator's own itest uses 5 min, plus the DB download of a cold cluster. */
export const DEFAULT_REPORT_TIMEOUT_SECONDS = 600;

function flag(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes"].includes(value.trim().toLowerCase());
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(`${name} must be a positive number of seconds, got "${value}"`);
  }
  return parsed;
}

export function parseHarnessEnvironment(env: Readonly<Record<string, string | undefined>>, repoRoot: string): HarnessEnvironment {
  return {
    skipWhenMissing: flag(env[SKIP_MISSING_VARIABLE]),
    keepCluster: flag(env["TRIVY_E2E_KEEP_CLUSTER"]),
    artifactsDir: resolve(repoRoot, env["TRIVY_E2E_ARTIFACTS_DIR"] || "test-results"),
    playgroundClusterName: env["TRIVY_PLAYGROUND_CLUSTER"] || "trivy-playground",
    playgroundDir: resolve(env["TRIVY_PLAYGROUND_DIR"] || join(tmpdir(), "trivy-operator-cdktf-playground")),
    reportTimeoutMs:
      positiveNumber("TRIVY_E2E_REPORT_TIMEOUT_SECONDS", env["TRIVY_E2E_REPORT_TIMEOUT_SECONDS"], DEFAULT_REPORT_TIMEOUT_SECONDS) * 1000,
  };
}

/** The repository root (this file lives in test/integration/harness/). */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..");

export function harnessEnvironment(): HarnessEnvironment {
  return parseHarnessEnvironment(process.env, REPO_ROOT);
}
