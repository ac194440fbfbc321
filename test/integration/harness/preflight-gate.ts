import { execFileRunner, type CommandRunner } from "./command-runner";
import { SKIP_MISSING_VARIABLE, type HarnessEnvironment } from "./environment";
import {
  ALL_PREREQUISITES,
  formatPreflightReport,
  PREFLIGHT_EXIT_CODE,
  runPreflight,
  type Prerequisite,
  type PreflightResult,
} from "./preflight";

/** What the integration files learn from the global setup (vitest `provide`/`inject`). */
export interface PreflightSummary {
  readonly missing: readonly Prerequisite[];
  readonly message: string;
}

export type PreflightDecision =
  | { readonly action: "run"; readonly summary: PreflightSummary }
  | { readonly action: "skip"; readonly summary: PreflightSummary }
  | { readonly action: "exit"; readonly exitCode: number; readonly message: string };

/** Pure: what to do with a preflight result, for the suite or the playground. */
export function decide(
  result: PreflightResult,
  environment: Pick<HarnessEnvironment, "skipWhenMissing">,
  caller: "suite" | "playground",
): PreflightDecision {
  if (result.ok) {
    return { action: "run", summary: { missing: [], message: "" } };
  }
  const missing = result.missing.map((check) => check.prerequisite);
  if (caller === "suite" && environment.skipWhenMissing) {
    return { action: "skip", summary: { missing, message: formatPreflightReport(result, "skip-suite", SKIP_MISSING_VARIABLE) } };
  }
  const outcome = caller === "suite" ? "fail-suite" : "stop-playground";
  return { action: "exit", exitCode: PREFLIGHT_EXIT_CODE, message: formatPreflightReport(result, outcome, SKIP_MISSING_VARIABLE) };
}

/**
 * Runs the preflight and acts on it: prints the message and ends the process with exit code 78
 * when something is missing (unless skipping), so `npm run test:integration` stops in seconds
 * instead of failing minutes later inside `kind create cluster`.
 */
export async function gate(
  environment: HarnessEnvironment,
  caller: "suite" | "playground",
  runner: CommandRunner = execFileRunner,
  prerequisites: readonly Prerequisite[] = ALL_PREREQUISITES,
): Promise<PreflightSummary> {
  const decision = decide(await runPreflight(runner, prerequisites), environment, caller);
  if (decision.action === "exit") {
    process.stderr.write(`\n${decision.message}\n`);
    // process.exit, not a thrown error: a thrown error in vitest's globalSetup prints a stack trace
    // and exits 1, which hides the message and the documented exit code.
    process.exit(decision.exitCode);
  }
  if (decision.action === "skip") {
    process.stderr.write(`\n${decision.summary.message}\n`);
  }
  return decision.summary;
}
