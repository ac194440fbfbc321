import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * globalSetup of the `unit` project: every temp directory the tier creates (cdktf's
 * `Testing.app()` makes one per app, the synth property test one per generated config) goes below one
 * per-run directory that is deleted afterwards. Workers inherit TMPDIR, and `os.tmpdir()`
 * reads it on every call.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const runDirectory = mkdtempSync(join(tmpdir(), "trivy-operator-cdktf-unit-"));
  process.env.TMPDIR = runDirectory;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runDirectory, { recursive: true, force: true });
  };
}
