/**
 * How much synthesizing every environment stack costs on top of merely loading cdktf.
 *
 * Both are measured in the same run, in fresh child processes (so module caches do not flatter
 * the second measurement), several times each; the medians are compared. A ratio near 1 means the
 * stacks add little over the framework itself, which is what deep per-resource provider imports buy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const REPETITIONS = 7;
const TARGET_RATIO = 1.5;
const repoRoot = path.resolve(__dirname, "..");
const tsxCli = require.resolve("tsx/cli");

const LOAD_CDKTF = `require("cdktf");`;
// Same work as `cdktf synth` does through main.ts, into a throwaway directory.
const SYNTH_ALL = `
const { App } = require("cdktf");
const { buildStacks, defineEnvironments } = require(${JSON.stringify(path.join(repoRoot, "stacks"))});
const app = new App({ outdir: process.env.BENCH_OUTDIR });
buildStacks(app, defineEnvironments());
app.synth();
`;

function runMilliseconds(script: string, outdir: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [tsxCli, "-e", script], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`benchmark child failed (exit ${result.status}):\n${result.stderr}`);
  return elapsed;
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const outdir = mkdtempSync(path.join(tmpdir(), "trivy-bench-"));
try {
  // One untimed round each warms the OS file cache and tsx's transform cache.
  runMilliseconds(LOAD_CDKTF, outdir);
  runMilliseconds(SYNTH_ALL, outdir);
  const load: number[] = [];
  const synth: number[] = [];
  // Interleaved, so drift in machine load hits both series alike.
  for (let round = 0; round < REPETITIONS; round++) {
    load.push(runMilliseconds(LOAD_CDKTF, outdir));
    synth.push(runMilliseconds(SYNTH_ALL, outdir));
  }
  const loadMedian = median(load);
  const synthMedian = median(synth);
  const ratio = synthMedian / loadMedian;
  console.log(`load cdktf           median ${loadMedian.toFixed(0)} ms over ${REPETITIONS} runs`);
  console.log(`synthesize all stacks median ${synthMedian.toFixed(0)} ms over ${REPETITIONS} runs`);
  console.log(`ratio synth/load     ${ratio.toFixed(2)} (target <= ${TARGET_RATIO})${ratio <= TARGET_RATIO ? "" : "  ABOVE TARGET"}`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
