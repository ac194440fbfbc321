import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { RECOMMENDED_KIND_VERSION } from "../../integration/harness/kind-cluster-config";

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly "timeout-minutes"?: number;
}
interface Job {
  readonly "runs-on": string;
  readonly "timeout-minutes"?: number;
  readonly env?: Record<string, string>;
  readonly strategy?: { readonly matrix?: Record<string, unknown> };
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress"?: boolean };
  readonly jobs: Record<string, Job>;
}

function loadWorkflow(file: string): Workflow {
  const document = parseDocument(readFileSync(resolve(__dirname, "../../../.github/workflows", file), "utf8"));
  // Duplicate keys, bad indentation and tabs are errors here, like on GitHub.
  expect(document.errors.map((error) => error.message)).toEqual([]);
  return document.toJS() as Workflow;
}

/** Only these maintained actions, each pinned to a version tag (never a branch). */
const ALLOWED_ACTIONS =
  /^(actions\/checkout|actions\/setup-node|actions\/upload-artifact|actions\/cache|hashicorp\/setup-terraform|helm\/kind-action)@v\d+(\.\d+\.\d+)?$/;

function allSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => [...job.steps]);
}

describe.each(["ci.yml", "integration.yml"])("%s", (file) => {
  const workflow = loadWorkflow(file);

  it("uses no action major that still declares the Node 20 runtime (removed from GitHub runners on 2026-09-16)", () => {
    // Checked in each action's action.yml `runs.using`: these majors say node20, their successors node24.
    const node20Majors = [
      "actions/checkout@v4",
      "actions/setup-node@v4",
      "hashicorp/setup-terraform@v3",
      "actions/upload-artifact@v4",
      "actions/upload-artifact@v5",
      "actions/cache@v4",
    ];
    const uses = allSteps(workflow).flatMap((step) => (step.uses ? [step.uses] : []));

    expect(uses.filter((action) => node20Majors.some((major) => action === major || action.startsWith(`${major}.`)))).toEqual([]);
  });

  it("runs on pushes and pull requests", () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
  });

  it("uses only maintained actions pinned to a version", () => {
    const uses = allSteps(workflow).flatMap((step) => (step.uses ? [step.uses] : []));

    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) {
      expect(action).toMatch(ALLOWED_ACTIONS);
    }
  });

  it("bounds every job with a timeout on ubuntu-latest", () => {
    for (const job of Object.values(workflow.jobs)) {
      expect(job["runs-on"]).toBe("ubuntu-latest");
      expect(job["timeout-minutes"]).toBeGreaterThan(0);
    }
  });

  it("installs dependencies from the lockfile", () => {
    expect(allSteps(workflow).some((step) => step.run === "npm ci")).toBe(true);
  });

  it("never runs terraform with its checkpoint call, and caches the providers it downloads", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const usesTerraform = job.steps.some((step) => step.uses?.startsWith("hashicorp/setup-terraform@"));
      if (!usesTerraform) continue;
      expect(job.env?.["CHECKPOINT_DISABLE"], name).toBe("1");
      // Without a lock file terraform ignores the cache unless told it may (terraform CLI config docs).
      expect(job.env?.["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"], name).toBe("true");
      const cacheDirStep = job.steps.findIndex((step) => step.run?.includes("TF_PLUGIN_CACHE_DIR=") ?? false);
      const cache = job.steps.findIndex((step) => step.uses?.startsWith("actions/cache@") ?? false);
      const firstTerraformUse = job.steps.findIndex((step) => /npm run (validate:stacks|test:integration)/.test(step.run ?? ""));
      expect(cacheDirStep, name).toBeGreaterThanOrEqual(0);
      expect(cache, name).toBeGreaterThan(cacheDirStep);
      expect(firstTerraformUse, name).toBeGreaterThan(cache);
      const cachedPath = String(job.steps[cache]?.with?.["path"]).replace(/^~/, "$HOME");
      expect(job.steps[cacheDirStep]?.run, name).toContain(`TF_PLUGIN_CACHE_DIR=${cachedPath}`);
      expect(String(job.steps[cache]?.with?.["key"]), name).toContain("hashFiles('package-lock.json')");
    }
  });

  it("tests on active Node LTS lines only (22, 24): Node 20 reached end of life on 2026-04-30", () => {
    const versions = allSteps(workflow)
      .filter((step) => step.uses?.startsWith("actions/setup-node@"))
      .map((step) => String(step.with?.["node-version"]));
    const matrixVersions = Object.values(workflow.jobs).flatMap(
      (job) => (job.strategy?.matrix?.["node-version"] as unknown[] | undefined) ?? [],
    );
    const concrete = [...versions.filter((version) => !version.includes("matrix")), ...matrixVersions.map(String)];

    expect(concrete.length).toBeGreaterThan(0);
    for (const version of concrete) {
      expect(["22", "24"]).toContain(version);
    }
  });
});

describe("ci.yml", () => {
  const workflow = loadWorkflow("ci.yml");

  it("typechecks, lints, then runs the offline test tiers on Node 22 and 24, with promtool installed and required", () => {
    const unit = workflow.jobs["unit"];
    const runs = unit?.steps.map((step) => step.run ?? "") ?? [];
    const at = (command: string): number => runs.findIndex((run) => run === command);
    const promtool = runs.findIndex((run) => /apt-get install -y prometheus\b/.test(run));
    const check =
      (JSON.parse(readFileSync(resolve(__dirname, "../../../package.json"), "utf8")) as { scripts: Record<string, string> }).scripts[
        "check"
      ] ?? "";

    expect(unit?.strategy?.matrix?.["node-version"]).toEqual([22, 24]);
    expect(unit?.steps.find((step) => step.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe(
      "${{ matrix.node-version }}",
    );
    expect(runs[promtool]).toMatch(/apt-get update &&/);
    expect(unit?.env?.["TRIVY_REQUIRE_PROMTOOL"]).toBe("1");
    expect(at("npm ci")).toBeGreaterThanOrEqual(0);
    expect(at("npm run check")).toBeGreaterThan(at("npm ci"));
    expect(at("npm run check")).toBeGreaterThan(promtool);
    // `check` is the one command CI runs: the type check first (a type error fails before the
    // tests run), then the linter, both test tiers that run offline, and nothing that needs Docker.
    const parts = check.split("&&").map((part) => part.trim());
    expect(parts[0]).toBe("npm run typecheck");
    expect(parts).toEqual(expect.arrayContaining(["npm run lint", "npm test", "npm run test:system"]));
    expect(parts).not.toContain("npm run test:integration");
  });

  it("downloads the pinned dashboard revisions, then evaluates their queries with promtool required", () => {
    const job = workflow.jobs["dashboard-revisions"];
    const runs = job?.steps.map((step) => step.run ?? "") ?? [];
    const download = runs.findIndex((run) => run.startsWith("npx tsx scripts/download-dashboards.ts "));
    const evaluate = runs.indexOf("npx vitest run --project unit test/unit/monitoring/promtool-dashboard.test.ts");

    expect(job?.env?.["TRIVY_REQUIRE_PROMTOOL"]).toBe("1");
    // The script writes where the test reads: the same variable, not two spellings of one path.
    expect(job?.env?.["TRIVY_DASHBOARD_DOWNLOADS"]).toBeTruthy();
    expect(runs[download]).toContain('"$TRIVY_DASHBOARD_DOWNLOADS"');
    expect(runs.findIndex((run) => /apt-get install -y prometheus\b/.test(run))).toBeGreaterThanOrEqual(0);
    expect(download).toBeGreaterThan(runs.indexOf("npm ci"));
    expect(evaluate).toBeGreaterThan(download);
  });

  it("validates every synthesized stack with a pinned terraform, without the stdout wrapper", () => {
    const validate = workflow.jobs["terraform-validate"];

    expect(validate?.steps.find((step) => step.uses?.startsWith("hashicorp/setup-terraform@"))?.with).toMatchObject({
      terraform_wrapper: false,
      terraform_version: "1.11.4",
    });
    const runs = validate?.steps.map((step) => step.run ?? "") ?? [];
    expect(runs.indexOf("npm run validate:stacks")).toBeGreaterThan(runs.indexOf("npm ci"));
    expect(runs.indexOf("npm ci")).toBeGreaterThanOrEqual(0);
  });
});

describe("integration.yml", () => {
  const workflow = loadWorkflow("integration.yml");
  const job = workflow.jobs["integration"]!;
  const steps = job.steps;
  const indexOf = (predicate: (step: Step) => boolean): number => steps.findIndex(predicate);
  const testIndex = indexOf((step) => step.run === "npm run test:integration");
  const testStep = steps[testIndex];

  it("installs kind >= 0.24 (the version the docs recommend) and kubectl, without creating a cluster", () => {
    const kind = steps.find((step) => step.uses?.startsWith("helm/kind-action@"));

    expect(kind?.with).toMatchObject({ install_only: true, version: `v${RECOMMENDED_KIND_VERSION}` });
    expect(kind?.with?.["kubectl_version"]).toMatch(/^v1\.\d+\.\d+$/);
  });

  it("installs a pinned terraform without the stdout wrapper the preflight cannot parse", () => {
    const terraform = steps.find((step) => step.uses?.startsWith("hashicorp/setup-terraform@"));

    expect(terraform?.with).toMatchObject({ terraform_wrapper: false });
    expect(terraform?.with?.["terraform_version"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("runs npm run test:integration after the tools are installed", () => {
    expect(testIndex).toBeGreaterThan(indexOf((step) => step.uses?.startsWith("helm/kind-action@") ?? false));
    expect(testIndex).toBeGreaterThan(indexOf((step) => step.uses?.startsWith("hashicorp/setup-terraform@") ?? false));
    expect(testIndex).toBeGreaterThan(indexOf((step) => step.run === "npm ci"));
  });

  it("leaves time for the diagnostics after a hung suite: every step is capped, and the caps fit in the job's", () => {
    const caps = steps.map((step) => step["timeout-minutes"]);

    expect(caps.every((cap) => typeof cap === "number" && cap > 0)).toBe(true);
    expect(testStep?.["timeout-minutes"]).toBeLessThan(job["timeout-minutes"]!);
    // Worst case: every step runs to its cap. The job's cap must still not cut off the last step.
    expect(caps.reduce<number>((sum, cap) => sum + (cap ?? 0), 0)).toBeLessThanOrEqual(job["timeout-minutes"]!);
  });

  it("exports kind logs of leftover clusters after the tests whatever happened, then uploads on failure or cancellation", () => {
    const fallbackIndex = indexOf((step) => step.run?.includes("test/integration/fallback-diagnostics.sh") ?? false);
    const uploadIndex = indexOf((step) => step.uses?.startsWith("actions/upload-artifact@") ?? false);
    const upload = steps[uploadIndex];

    expect(fallbackIndex).toBeGreaterThan(testIndex);
    expect(steps[fallbackIndex]?.if).toBe("always()");
    expect(steps[fallbackIndex]?.run).toContain(String(testStep?.env?.["TRIVY_E2E_ARTIFACTS_DIR"]));
    expect(uploadIndex).toBeGreaterThan(fallbackIndex);
    expect(upload?.if).toBe("failure() || cancelled()");
    expect(upload?.with?.["path"]).toBe(`${testStep?.env?.["TRIVY_E2E_ARTIFACTS_DIR"]}/`);
  });

  it("keeps a push from cancelling the weekly scheduled run", () => {
    const group = workflow.concurrency?.group ?? "";
    const render = (event: string, ref: string): string =>
      group.replace("${{ github.event_name }}", event).replace("${{ github.ref }}", ref);

    expect(Object.keys(workflow.on)).toContain("schedule");
    expect(render("schedule", "refs/heads/main")).not.toBe(render("push", "refs/heads/main"));
    expect(render("push", "refs/heads/main")).toBe(render("push", "refs/heads/main"));
    expect(render("pull_request", "refs/pull/1/merge")).not.toBe(render("pull_request", "refs/pull/2/merge"));
  });

  it("logs in to Docker Hub only with configured secrets, which no other step sees", () => {
    const login = steps.filter((step) => step.run?.includes("docker login"));
    const secretSteps = steps.filter((step) => JSON.stringify(step).includes("secrets."));

    expect(login).toHaveLength(1);
    expect(secretSteps).toEqual(login);
    expect(JSON.stringify(job.env ?? {})).not.toContain("secrets.");
    expect(login[0]?.run).toMatch(/if \[ -z "\$DOCKERHUB_USERNAME" \] \|\| \[ -z "\$DOCKERHUB_TOKEN" \]; then[\s\S]*exit 0/);
    expect(login[0]?.run).toContain("--password-stdin");
    expect(indexOf((step) => step.run?.includes("docker login") ?? false)).toBeLessThan(testIndex);
  });
});
