/** The streams a command talks to; injected so commands are testable without a process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Documented exit codes of every `trivy-operator-cdktf` command (docs/reports.md "Exit codes"). */
export const ExitCode = {
  /** Done; nothing wrong found. */
  OK: 0,
  /** Done; the command found what it looks for (doctor: problems; report with --fail-on: findings at or above the threshold). */
  FINDINGS: 1,
  /** Nothing was produced: bad usage, no usable input, or the output could not be written (disk full, closed pipe). */
  USAGE: 2,
  /** Done, but some inputs could not be read (unreachable context, forbidden namespace, bad file); the rest was reported. */
  PARTIAL: 3,
  /** A bug: an uncaught error, printed with its stack trace (sysexits EX_SOFTWARE). Never 1, which means "found something". */
  BUG: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error caused by the user's input or environment: printed as one line, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.USAGE,
  ) {
    super(message);
    this.name = "UserError";
  }
}
