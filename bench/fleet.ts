/**
 * What a fleet costs to synthesize: N = 10, 50 and 200 clusters in one environment, in both stack
 * layouts (one stack, or one stack per cluster), next to `npm start` on the shipped environments.
 *
 * Every measurement is a fresh child process (module caches and the JIT would otherwise flatter
 * later runs), interleaved over several rounds so drift in machine load hits every series alike;
 * medians are compared. A child reports its own CPU time and peak RSS (`process.resourceUsage()`).
 * Beside the headline ratio the bench prints the same ratio of the fastest rounds: other processes
 * on a shared machine only add time, in bursts that a short child like `npm start` slips between more
 * often than a long one, so a wide gap between the two says the machine was busy.
 *
 * The comparison with `npm start` is like for like: every child, `npm start`'s included, is
 * `node tsx/cli …` from the same warm transform cache (one untimed round first), loads cdktf and the
 * stacks the same way, builds and synthesizes inside `withoutTokenStackTraces` as main.ts does, and
 * writes into a fresh directory on the same file system, removed only after the last round. `npm start`
 * is run as `tsx main.ts --summary`, without npm's own CLI start-up, which the fleet children do not
 * pay either.
 *
 * Per-cluster cost is the marginal cost of one more cluster between two sizes, (time(N) −
 * time(previous N)) / (N − previous N): the fixed cost of Node, tsx, cdktf and the app would otherwise
 * hide any growth, and subtracting a separately measured start-up cost leaves mostly noise at N = 10.
 * Its ratio compares the step 50 → 200 with the step 10 → 50: above 1, each cluster costs more the
 * more there are. `load` (a child that loads the same modules and builds nothing) is printed for scale.
 *
 * Goals (docs/fleet.md): per-cluster cost flat (step 50 → 200 at most 1.2× step 10 → 50), judged on
 * CPU time (user + system, every thread), the cost the process itself pays: a step is a difference of
 * two totals divided by 40 or 150, so the few hundred milliseconds another process's load adds to one
 * wall-time median swing it by a third. 200 clusters in at most 3× the time of `npm start`, judged
 * on wall time, what a user waits for. The other measure is printed beside each verdict. CPU time
 * also counts V8's and tsx's helper threads (garbage collection, compilation, the loader thread) that
 * run beside the main thread, so it exceeds wall time on an idle machine.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import type * as Cdktf from "cdktf";
import type * as Stacks from "../stacks";

const SIZES = [10, 50, 200] as const;
const LAYOUTS = ["per-environment", "per-cluster"] as const;
const ROUNDS = Number(process.argv.find((arg) => arg.startsWith("--rounds="))?.slice("--rounds=".length) ?? 7);
const PER_CLUSTER_GOAL = 1.2;
const NPM_START_GOAL = 3;
const repoRoot = path.resolve(__dirname, "..");
const tsxCli = require.resolve("tsx/cli");

type Layout = (typeof LAYOUTS)[number];

/** The child: builds N clusters shaped like the shipped prod clusters in one environment, then synthesizes. */
function child(size: number, layout: Layout | "load", outdir: string): void {
  // Loaded here so the parent stays light; the `load` child loads exactly what the others load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded in the child only
  const { App } = require("cdktf") as typeof Cdktf;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded in the child only
  const stacks = require("../stacks") as typeof Stacks;
  if (layout !== "load") {
    const shapes = stacks.defineEnvironments().prod.clusters;
    const clusters = Array.from({ length: size }, (_, index) => {
      const shape = shapes[index % shapes.length]!;
      const name = `c-${index}`;
      // One Grafana per grafana-api cluster: validation refuses two clusters writing one Grafana's objects.
      const monitoring =
        shape.monitoring?.grafanaUrl === undefined
          ? shape.monitoring
          : { ...shape.monitoring, grafanaUrl: `https://grafana-${name}.example.com` };
      return { ...shape, name, kubeContext: name, monitoring };
    });
    const app = new App({ outdir });
    // As main.ts does it.
    stacks.withoutTokenStackTraces(() => {
      stacks.buildStacks(app, {
        fleet: {
          clusters,
          stackLayout: layout,
          backend: {
            type: "s3",
            bucket: "example-org-terraform-state",
            key: "trivy/fleet.tfstate",
            region: "eu-west-1",
            useLockfile: true,
          },
        },
      });
      app.synth();
    });
  }
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
}

interface Sample {
  /** Wall time seen by the parent, process start to exit. */
  readonly ms: number;
  /** CPU time (user + system) the child reports; steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly rssMb: number;
}

/**
 * The caller's environment without what would change `npm start`'s work: a `TRIVY_ENVIRONMENTS`
 * selection (fewer stacks) or `TRIVY_SYNTH_STACK_TRACES=1` (cdktf's traces back on) left in the shell.
 */
const childEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== "TRIVY_ENVIRONMENTS" && name !== "TRIVY_SYNTH_STACK_TRACES"),
);

function run(args: readonly string[], outdir: string): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [tsxCli, ...args], {
    cwd: repoRoot,
    env: { ...childEnvironment, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`benchmark child ${args.join(" ")} failed (exit ${result.status}):\n${result.stderr}`);
  return { ms, ...usageOf(result.stdout) };
}

/** The child's own report is the last JSON object on stdout (`npm start` prints its summary first). */
function usageOf(stdout: string): { cpuMs: number; rssMb: number } {
  const match = /\{"maxRssKb":(\d+),"cpuMs":([\d.]+)\}\s*$/.exec(stdout);
  if (!match) throw new Error(`benchmark child printed no usage report:\n${stdout.slice(-500)}`);
  return { rssMb: Number(match[1]) / 1024, cpuMs: Number(match[2]) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function parent(): void {
  const workdir = mkdtempSync(path.join(tmpdir(), "trivy-bench-fleet-"));
  let children = 0;
  // A directory of its own for every child, all removed at the end: removing 200 stack directories
  // between two children would leave the file system busy (journal commits, discards) in the next.
  const outdir = (): string => path.join(workdir, `out-${children++}`);
  const self = path.relative(repoRoot, __filename);
  const series = new Map<string, Sample[]>();
  const loadBefore = loadavg()[0]!;
  const jobs: Array<[string, string[]]> = [
    ["load", [self, "--child", "0", "load"]],
    // `npm start` is `tsx main.ts --summary`; the report to stdout is part of what it costs. Its peak
    // RSS comes from the same resource report, appended by a preloaded hook.
    ["npm start", ["--import", path.join(repoRoot, "bench/report-usage.mjs"), "main.ts", "--summary"]],
    ...LAYOUTS.flatMap((layout) => SIZES.map((size): [string, string[]] => [`${layout} ${size}`, [self, "--child", String(size), layout]])),
  ];
  try {
    // One untimed round warms the OS file cache and tsx's transform cache.
    for (const [, args] of jobs) run(args, outdir());
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, args] of jobs) series.set(name, [...(series.get(name) ?? []), run(args, outdir())]);
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }

  const stat = (name: string): Sample => {
    const samples = series.get(name)!;
    return {
      ms: median(samples.map((sample) => sample.ms)),
      cpuMs: median(samples.map((sample) => sample.cpuMs)),
      rssMb: median(samples.map((sample) => sample.rssMb)),
    };
  };
  const fastestWall = (name: string): number => Math.min(...series.get(name)!.map((sample) => sample.ms));
  const loadAfter = loadavg()[0]!;
  const line = (label: string, s: Sample) =>
    `${label.padEnd(22)}${s.ms.toFixed(0).padStart(7)} ms wall ${s.cpuMs.toFixed(0).padStart(7)} ms CPU ${s.rssMb.toFixed(0).padStart(5)} MB peak RSS`;
  const load = stat("load");
  const npmStart = stat("npm start");
  console.log(
    `medians of ${ROUNDS} interleaved rounds, each a fresh child process; 1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${availableParallelism()} cores`,
  );
  console.log("every child, npm start included, runs `node tsx/cli` from a warm transform cache and writes to a fresh directory;");
  console.log("npm start is `tsx main.ts --summary` without npm's own CLI start-up, which the fleet children do not pay either.");
  console.log(
    "per-cluster cost is judged on CPU time (every thread, user + system), 200 clusters vs npm start on wall time; the other in brackets.",
  );
  console.log(line("load modules only", load));
  console.log(line("npm start (shipped)", npmStart));
  let missed = false;
  const verdict = (ratio: number, goal: number) => `${ratio.toFixed(2)}× (goal <= ${goal})${ratio <= goal ? "" : "  MISSED"}`;
  for (const layout of LAYOUTS) {
    console.log(`\n${layout}: N clusters in one environment`);
    console.log(
      "     N     wall ms    CPU ms   RSS MB | per added cluster since the previous N: wall ms   CPU ms   RSS MB (ratio to 10 -> 50)",
    );
    const step = (from: Sample, to: Sample, clusters: number): Sample => ({
      ms: (to.ms - from.ms) / clusters,
      cpuMs: (to.cpuMs - from.cpuMs) / clusters,
      rssMb: (to.rssMb - from.rssMb) / clusters,
    });
    const steps: Sample[] = [];
    SIZES.forEach((size, index) => {
      const s = stat(`${layout} ${size}`);
      const totals = `  ${String(size).padStart(4)}  ${s.ms.toFixed(0).padStart(9)} ${s.cpuMs.toFixed(0).padStart(9)} ${s.rssMb.toFixed(0).padStart(8)} | `;
      if (index === 0) {
        console.log(`${totals}${"-".padStart(10)}`);
        return;
      }
      const previous = SIZES[index - 1]!;
      const each = step(stat(`${layout} ${previous}`), s, size - previous);
      steps.push(each);
      const base = steps[0]!;
      console.log(
        `${totals}${each.ms.toFixed(1).padStart(10)} (${(each.ms / base.ms).toFixed(2)}×) ${each.cpuMs.toFixed(1).padStart(7)} (${(each.cpuMs / base.cpuMs).toFixed(2)}×) ${each.rssMb.toFixed(2).padStart(6)} (${(each.rssMb / base.rssMb).toFixed(2)}×)`,
      );
    });
    const largest = SIZES[SIZES.length - 1]!;
    const last = stat(`${layout} ${largest}`);
    const [firstStep, lastStep] = [steps[0]!, steps[steps.length - 1]!];
    const perCluster = lastStep.cpuMs / firstStep.cpuMs;
    const versusNpmStart = last.ms / npmStart.ms;
    const fastestRatio = fastestWall(`${layout} ${largest}`) / fastestWall("npm start");
    missed ||= perCluster > PER_CLUSTER_GOAL || versusNpmStart > NPM_START_GOAL;
    console.log(
      `  per-cluster cost, step ${SIZES[1]}->${largest} vs ${SIZES[0]}->${SIZES[1]}: CPU ${verdict(perCluster, PER_CLUSTER_GOAL)}  [wall ${(lastStep.ms / firstStep.ms).toFixed(2)}×]`,
    );
    console.log(
      `  ${largest} clusters vs npm start:       wall ${verdict(versusNpmStart, NPM_START_GOAL)}  [CPU ${(last.cpuMs / npmStart.cpuMs).toFixed(2)}×; wall of the fastest rounds ${fastestRatio.toFixed(2)}×]`,
    );
  }
  if (missed) process.exitCode = 1;
}

if (process.argv[2] === "--child") child(Number(process.argv[3]), process.argv[4] as Layout | "load", process.env.CDKTF_OUTDIR!);
else parent();
