#!/usr/bin/env node
import { firstLine } from "./common/kube";
import { installSignalCleanup } from "./common/output";
import { ExitCode, UserError, type CliIo } from "./io";

type Command = (argv: string[], io: CliIo) => Promise<number>;

// Loaded lazily so `doctor` does not pay for the report code and vice versa.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  report: {
    summary: "security report across clusters or kubectl output files",
    load: async () => (await import("./report/command.js")).runReportCommand,
  },
  doctor: {
    summary: "diagnose failed scans in the operator namespace",
    load: async () => (await import("./doctor/command.js")).runDoctorCommand,
  },
  dashboard: {
    summary: "bind an exported Grafana dashboard to a datasource, offline",
    load: async () => (await import("./dashboard/command.js")).runDashboardCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    "usage: trivy-operator-cdktf <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "Run `trivy-operator-cdktf <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout).write(usage() + "\n");
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`trivy-operator-cdktf: unknown command "${name}"; expected one of: ${Object.keys(COMMANDS).join(", ")}\n`);
    return ExitCode.USAGE;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`trivy-operator-cdktf ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

if (require.main === module) {
  installSignalCleanup(process);
  // A failed write to stdout (`> /dev/full`, `| head` closing the pipe) arrives as an `error` event;
  // unhandled it would end the process with exit code 1, which means "found something". `report`
  // reports it itself; for any command it makes the exit code 2: the output was not produced.
  let stdoutFailure: unknown;
  process.stdout.on("error", (error) => {
    stdoutFailure ??= error;
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
    (code) => {
      if (stdoutFailure !== undefined && code !== ExitCode.USAGE) {
        process.stderr.write(`trivy-operator-cdktf: cannot write to stdout (${firstLine(stdoutFailure)}); the output was not produced\n`);
        process.exitCode = ExitCode.USAGE;
      } else {
        process.exitCode = code;
      }
    },
    (error: unknown) => {
      // A bug, not a user error: keep the stack so it can be reported.
      console.error(error);
      process.exitCode = ExitCode.BUG;
    },
  );
}
