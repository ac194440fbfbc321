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
}
interface Job {
  readonly "runs-on": string;
  readonly "timeout-minutes"?: number;
  readonly strategy?: { readonly matrix?: Record<string, unknown> };
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

function loadWorkflow(file: string): Workflow {
  const document = parseDocument(readFileSync(resolve(__dirname, "../../../.github/workflows", file), "utf8"));
  // Duplicate keys, bad indentation and tabs are errors here, like on GitHub.
  expect(document.errors.map((error) => error.message)).toEqual([]);
  return document.toJS() as Workflow;
}

/** Only these maintained actions, each pinned to a version tag (never a branch). */
const ALLOWED_ACTIONS = /^(actions\/checkout|actions\/setup-node|actions\/upload-artifact|hashicorp\/setup-terraform|helm\/kind-action)@v\d+(\.\d+\.\d+)?$/;

function allSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => [...job.steps]);
}

describe.each(["ci.yml", "integration.yml"])("%s", (file) => {
  const workflow = loadWorkflow(file);

  it("uses no action major that still declares the Node 20 runtime (removed from GitHub runners on 2026-09-16)", () => {
    // Checked in each action's action.yml `runs.using`: these majors say node20, their successors node24.
    const node20Majors = ["actions/checkout@v4", "actions/setup-node@v4", "hashicorp/setup-terraform@v3", "actions/upload-artifact@v4", "actions/upload-artifact@v5"];
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
});

describe("ci.yml", () => {
  const workflow = loadWorkflow("ci.yml");

  it("runs the unit tier on Node 20 and 22", () => {
    const unit = workflow.jobs["unit"];

    expect(unit?.strategy?.matrix?.["node-version"]).toEqual([20, 22]);
    expect(unit?.steps.find((step) => step.uses?.startsWith("actions/setup-node"))?.with?.["node-version"]).toBe("${{ matrix.node-version }}");
    expect(unit?.steps.map((step) => step.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
  });

  it("validates every synthesized stack with a pinned terraform, without the stdout wrapper", () => {
    const validate = workflow.jobs["terraform-validate"];

    expect(validate?.steps.find((step) => step.uses?.startsWith("hashicorp/setup-terraform@"))?.with).toMatchObject({ terraform_wrapper: false, terraform_version: "1.11.4" });
    expect(validate?.steps.map((step) => step.run).filter(Boolean)).toEqual(["npm ci", "npm run validate:stacks"]);
  });
});

describe("integration.yml", () => {
  const workflow = loadWorkflow("integration.yml");
  const steps = workflow.jobs["integration"]?.steps ?? [];
  const indexOf = (predicate: (step: Step) => boolean): number => steps.findIndex(predicate);

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
    const testStep = indexOf((step) => step.run === "npm run test:integration");

    expect(testStep).toBeGreaterThan(indexOf((step) => step.uses?.startsWith("helm/kind-action@") ?? false));
    expect(testStep).toBeGreaterThan(indexOf((step) => step.uses?.startsWith("hashicorp/setup-terraform@") ?? false));
    expect(testStep).toBeGreaterThan(indexOf((step) => step.run === "npm ci"));
  });

  it("uploads test-results/ only on failure, after the tests", () => {
    const uploadIndex = indexOf((step) => step.uses?.startsWith("actions/upload-artifact@") ?? false);
    const upload = steps[uploadIndex];

    expect(upload?.if).toBe("failure()");
    expect(upload?.with?.["path"]).toBe("test-results/");
    expect(uploadIndex).toBeGreaterThan(indexOf((step) => step.run === "npm run test:integration"));
  });
});
