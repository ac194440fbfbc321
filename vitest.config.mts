import { defineConfig } from "vitest/config";

// Two tiers: `unit` is offline and always runs (`npm test`); `integration` needs Docker, kind,
// terraform and kubectl and runs only through `npm run test:integration`.
export default defineConfig({
  test: {
    // The pool is shared by both projects; the integration project keeps isolating its files.
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
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
