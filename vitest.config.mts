import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// Three tiers:
// - `unit` (`npm test`): offline, fast enough to run after every change (< 30 s on 2 cores).
// - `system` (`npm run test:system`): offline too, but each file drives a whole program as a user
//   would and takes seconds: `npm pack` + an offline install into a fresh app, the built CLI on a
//   260 MB input, full disks and signals, terraform moving state between layouts. Files named
//   `*.system.test.ts`, kept beside the unit tests of the same area. `npm run check` (CI) runs both.
// - `integration` needs Docker, kind, terraform and kubectl: `npm run test:integration`.
export default defineConfig({
  test: {
    // The pool is shared by the projects; the integration project keeps isolating its files.
    poolOptions: { forks: { isolate: false } },
    // Vitest's default (cores - 1) is one worker on our 2-core machines; the unit tier's files are
    // mostly waiting on child processes (promtool, terraform, the built CLI), so two workers take
    // its wall time from ~35 s to ~29 s there (measured side by side under the same load).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          exclude: ["test/unit/**/*.system.test.ts"],
          // Keeps the hundreds of temp directories the tier creates out of the machine's /tmp.
          globalSetup: ["test/unit/global-setup.ts"],
          environment: "node",
          // Files share each worker's module cache instead of re-importing cdktf, the provider
          // bindings and the stacks per file: collect time drops about fourfold. Safe because no
          // unit test mocks modules or leaves global state behind (kubeconfig.test.ts restores
          // the variables it sets); keep it that way, or give such a file its own project.
          // Vitest 3 reads this per project (module reset between files in one worker) and at
          // the root below (whether each file gets a fresh worker): both must say false.
          poolOptions: { forks: { isolate: false } },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "system",
          include: ["test/unit/**/*.system.test.ts"],
          globalSetup: ["test/unit/global-setup.ts"],
          environment: "node",
          poolOptions: { forks: { isolate: false } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.integ.ts"],
          // Preflight (Docker, kind, terraform, kubectl): exit 78 within seconds when tools are missing.
          globalSetup: ["test/integration/global-setup.ts"],
          environment: "node",
          // A kind cluster, a Helm release and the first vulnerability scan take minutes.
          testTimeout: 30 * 60_000,
          hookTimeout: 15 * 60_000,
          // One cluster and one Grafana container at a time: two files never run side by side.
          pool: "forks",
          poolOptions: { forks: { singleFork: true, isolate: true } },
        },
      },
    ],
  },
});
