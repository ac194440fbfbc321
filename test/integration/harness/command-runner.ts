import { execFile } from "node:child_process";

/** What a finished (or killed) command left behind. */
export interface CommandResult {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was killed because it ran past its timeout. */
  readonly timedOut: boolean;
  /** True when the executable was not found on PATH (ENOENT). */
  readonly notFound: boolean;
}

export interface CommandOptions {
  /** Killed after this long; every call states it so nothing in the harness can hang. */
  readonly timeoutMs: number;
  readonly cwd?: string;
  /** Merged over process.env. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin (e.g. a manifest for `kubectl apply -f -`). */
  readonly input?: string;
}

/** Runs one executable without a shell. Injected everywhere so the harness logic is unit-testable. */
export type CommandRunner = (file: string, args: readonly string[], options: CommandOptions) => Promise<CommandResult>;

/** kubectl logs and `-o yaml` of every report can be large; 64 MiB keeps them whole. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The real runner: child_process.execFile with a hard timeout; never rejects. */
export const execFileRunner: CommandRunner = (file, args, options) =>
  new Promise((resolve) => {
    const command = [file, ...args].join(" ");
    const child = execFile(
      file,
      [...args],
      {
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: MAX_OUTPUT_BYTES,
        cwd: options.cwd,
        env: options.env ? { ...process.env, ...options.env } : process.env,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ command, exitCode: 0, stdout, stderr, timedOut: false, notFound: false });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        resolve({
          command,
          exitCode: typeof code === "number" ? code : null,
          stdout: stdout ?? "",
          stderr: stderr || error.message,
          // execFile sets `killed` when it sent killSignal because of the timeout.
          timedOut: error.killed === true && code !== "ENOENT",
          notFound: code === "ENOENT",
        });
      },
    );
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });

/** A command that did not exit 0, with everything needed to understand why. */
export class CommandFailedError extends Error {
  constructor(readonly result: CommandResult) {
    super(describeFailure(result));
    this.name = "CommandFailedError";
  }
}

export function describeFailure(result: CommandResult): string {
  if (result.notFound) {
    return `\`${result.command}\` failed: executable not found on PATH`;
  }
  const why = result.timedOut ? "timed out and was killed" : `exited with ${result.exitCode ?? "a signal"}`;
  const output = lastLines(result.stderr.trim() || result.stdout.trim(), 20);
  return `\`${result.command}\` ${why}${output ? `:\n${output}` : ""}`;
}

/** Runs a command and throws CommandFailedError unless it exits 0. */
export async function runChecked(
  runner: CommandRunner,
  file: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  const result = await runner(file, args, options);
  if (result.exitCode !== 0) {
    throw new CommandFailedError(result);
  }
  return result;
}

export function lastLines(text: string, count: number): string {
  const lines = text.split("\n");
  return lines.slice(Math.max(0, lines.length - count)).join("\n");
}
