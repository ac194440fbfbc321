/**
 * The job matrix of .github/workflows/deploy.yml: which stacks to plan or apply, one matrix job each.
 *
 *   tsx scripts/deploy-matrix.ts --stacks stacks.json --head cdktf.out [--base base/cdktf.out]
 *
 * `stacks.json` is what the app itself lists (`tsx main.ts --list-stacks --json`), never a hand-kept
 * list. A stack is changed when its synthesized Terraform JSON differs between the base commit's
 * synth (`--base`) and this commit's (`--head`); the bundled chart's archive name carries a content
 * hash, so a changed chart counts too. Without `--base` (scheduled drift check, first push, or a base that no longer
 * synthesizes) every stack is in the matrix.
 *
 * Prints `{"include":[{"stack","environment"}…]}` on stdout; stacks that exist only in the base go to
 * stderr as warnings (their state still holds resources: docs/fleet.md). Exit codes: 0 matrix
 * printed (possibly empty); 1 a stack cannot be deployed from CI (local state) or too many stacks;
 * 2 bad arguments or unreadable input.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/** One entry of `main.ts --list-stacks --json`. */
export interface ListedStack {
  readonly name: string;
  readonly environment: string;
  readonly layout: string;
  readonly cluster?: string;
  readonly state: string;
}

export interface MatrixEntry {
  readonly stack: string;
  /** The app's environment; the workflow maps it to GitHub environments `<env>` (apply) and `<env>-plan`. */
  readonly environment: string;
}

export interface DeployMatrix {
  readonly include: readonly MatrixEntry[];
}

/** GitHub Actions runs at most 256 jobs from one matrix. */
export const GITHUB_MATRIX_LIMIT = 256;

/** Thrown for a stack list the workflow must not deploy; the message says what to change. */
export class MatrixError extends Error {}

interface CdktfManifest {
  readonly stacks: Readonly<Record<string, { readonly synthesizedStackPath: string }>>;
}

/** Synthesized Terraform JSON by stack name, from a `cdktf.out` directory's manifest. */
export function readSynthesizedStacks(outdir: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as CdktfManifest;
  return new Map(
    Object.entries(manifest.stacks).map(([name, stack]) => [name, readFileSync(path.join(outdir, stack.synthesizedStackPath), "utf8")]),
  );
}

/**
 * Stacks whose Terraform JSON is new or different in `head`, in head's order, and stacks that only
 * `base` has. Without a base every head stack counts as changed.
 */
export function changedStacks(
  head: ReadonlyMap<string, string>,
  base?: ReadonlyMap<string, string>,
): { changed: string[]; removed: string[] } {
  if (base === undefined) return { changed: [...head.keys()], removed: [] };
  return {
    changed: [...head].filter(([name, json]) => base.get(name) !== json).map(([name]) => name),
    removed: [...base.keys()].filter((name) => !head.has(name)),
  };
}

/**
 * The matrix for the changed stacks, in the app's order. A stack with local state cannot be deployed
 * from CI (the runner's disk, and the state with it, is gone after the job), and GitHub refuses a
 * matrix above 256 jobs; both fail here with what to do instead of failing half-way through a run.
 */
export function deployMatrix(listed: readonly ListedStack[], changed: readonly string[]): DeployMatrix {
  const known = new Set(listed.map((stack) => stack.name));
  const unlisted = changed.filter((name) => !known.has(name));
  if (unlisted.length > 0) {
    throw new MatrixError(
      `synthesized stacks must be listed by main.ts --list-stacks, got ${unlisted.join(", ")}; list and synthesize with the same TRIVY_ENVIRONMENTS`,
    );
  }
  const selected = listed.filter((stack) => changed.includes(stack.name));
  const local = selected.filter((stack) => stack.state.startsWith("local:"));
  if (local.length > 0) {
    const environments = [...new Set(local.map((stack) => stack.environment))].join(", ");
    throw new MatrixError(
      `stacks deployed from CI need remote state, got local state for ${local.map((stack) => stack.name).join(", ")}; give environment ${environments} an s3, gcs, azurerm or remote backend, or leave it out of TRIVY_DEPLOY_ENVIRONMENTS`,
    );
  }
  if (selected.length > GITHUB_MATRIX_LIMIT) {
    throw new MatrixError(
      `a GitHub Actions matrix runs at most ${GITHUB_MATRIX_LIMIT} jobs, got ${selected.length} changed stacks; split the run by TRIVY_DEPLOY_ENVIRONMENTS (docs/fleet.md "More than 256 stacks")`,
    );
  }
  return { include: selected.map((stack) => ({ stack: stack.name, environment: stack.environment })) };
}

function main(argv: readonly string[]): number {
  let values: { stacks?: string; head?: string; base?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { stacks: { type: "string" }, head: { type: "string" }, base: { type: "string" } },
    }));
  } catch (error) {
    console.error(`deploy-matrix: ${(error as Error).message}`);
    return 2;
  }
  if (values.stacks === undefined || values.head === undefined) {
    console.error("usage: deploy-matrix --stacks <list.json> --head <cdktf.out> [--base <cdktf.out>]");
    return 2;
  }
  let listed: ListedStack[];
  let head: Map<string, string>;
  let base: Map<string, string> | undefined;
  try {
    listed = JSON.parse(readFileSync(values.stacks, "utf8")) as ListedStack[];
    head = readSynthesizedStacks(values.head);
    base = values.base === undefined ? undefined : readSynthesizedStacks(values.base);
  } catch (error) {
    console.error(`deploy-matrix: cannot read the stack list or a synthesized app: ${(error as Error).message}`);
    return 2;
  }
  const { changed, removed } = changedStacks(head, base);
  for (const name of removed) {
    console.error(
      `::warning title=Stack ${name} removed::${name} is no longer synthesized, but its state still holds resources; destroy it or move its state first (docs/fleet.md)`,
    );
  }
  try {
    console.log(JSON.stringify(deployMatrix(listed, changed)));
  } catch (error) {
    if (!(error instanceof MatrixError)) throw error;
    console.error(`::error::${error.message}`);
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
