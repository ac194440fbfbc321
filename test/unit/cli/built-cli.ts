import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const REPO = resolve(__dirname, "../../..");
export const CLI = join(REPO, "dist", "cli", "main.js");

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * These tests run the CLI as a user does: `node dist/cli/main.js`. dist is built here when it is
 * missing or older than a source under cli/ or modules/common/ (what the build includes), so a
 * test never judges yesterday's build. Asynchronous: a synchronous 30 s build would block the vitest
 * worker's event loop and time out its RPC ("Timeout calling onTaskUpdate").
 */
export async function ensureBuiltCli(): Promise<void> {
  const isFresh = (): boolean =>
    (existsSync(CLI) ? statSync(CLI).mtimeMs : 0) >
    Math.max(newestSource(join(REPO, "cli")), newestSource(join(REPO, "modules", "common")));
  if (isFresh()) return;
  // Test files run in parallel workers: one builds, the others wait, so none runs a half-written dist.
  const lock = join(REPO, "dist", ".build-lock");
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 5 minutes: remove it if no build is running`);
      await new Promise((wait) => setTimeout(wait, 200));
    }
  }
  try {
    if (isFresh()) return;
    const build = spawn(
      process.execPath,
      [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", join(REPO, "tsconfig.build.json")],
      { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    build.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    build.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => build.on("close", done));
    if (code !== 0) throw new Error(`npm run build failed:\n${output}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function startCli(
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; stdout?: "pipe" | number; cwd?: string } = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd ?? REPO,
    stdio: ["pipe", options.stdout ?? "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolveRun) => child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr })));
  return { child, done };
}

export async function runCli(
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; stdout?: "pipe" | number; stdin?: string; cwd?: string } = {},
): Promise<CliRun> {
  const { child, done } = startCli(args, options);
  child.stdin?.end(options.stdin ?? "");
  return await done;
}
