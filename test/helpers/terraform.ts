import { spawnSync } from "node:child_process";
import * as path from "node:path";

/**
 * The real terraform binary for tests that evaluate providerless configurations or move state
 * files. Whether it is usable is decided once per file; a missing one skips with the reason.
 */
export interface TerraformAvailability {
  readonly available: boolean;
  /** Why it is not usable, for the skip line. */
  readonly reason: string;
}

export function terraformAvailability(): TerraformAvailability {
  const version = spawnSync("terraform", ["version"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  const available = version.error === undefined && version.status === 0;
  return { available, reason: available ? "" : `no usable \`terraform\` on PATH (${version.error?.message ?? version.stderr})` };
}

/**
 * Runs terraform in `dir` and returns its stdout; throws with stderr and stdout when it fails.
 * The CLI config is `dir/empty.tfrc`, an empty file the caller writes, so no
 * ~/.terraformrc plugin cache or mirror changes what a test sees; no checkpoint call, no prompts.
 */
export function runTerraform(dir: string, args: readonly string[]): string {
  const result = spawnSync("terraform", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      TF_CLI_CONFIG_FILE: path.join(dir, "empty.tfrc"),
    },
  });
  if (result.status !== 0) throw new Error(`terraform ${args.join(" ")} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}
