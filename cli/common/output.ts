import { lstatSync, realpathSync, statSync, unlinkSync, type Stats } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ExitCode, UserError } from "../io";
import { firstLine } from "./kube";

/**
 * Where a command's result goes: a file (`-o`) or stdout. Output is complete or the command fails:
 * every write error (ENOSPC, EIO, EPIPE, …) is kept, and `commit` turns it into a UserError with
 * exit code 2 ("nothing was produced"), never 0 or the --fail-on code.
 */
export interface OutputTarget {
  /** Writes with backpressure; after a failed write further writes are dropped (commit reports the failure). */
  write(text: string): Promise<void>;
  /** Flushes; for a file, renames the temporary file onto the path. Throws a UserError when anything failed. */
  commit(): Promise<void>;
  /** Removes the temporary file; a no-op after commit. */
  discard(): Promise<void>;
  /** Starts over from an empty output; false when that is impossible (bytes already went to a stream or device). */
  restart(): Promise<boolean>;
}

/** Temporary files not yet renamed or removed: a signal handler removes them (installSignalCleanup). */
const pendingTemporaries = new Set<string>();

function removeQuietly(path: string): void {
  pendingTemporaries.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Ctrl-C / SIGTERM while a report is being written: remove the temporary files, then end with the
 * shell's code for that signal (130, 143). Called once by the CLI entry point, not by commands.
 */
export function installSignalCleanup(target: NodeJS.Process): void {
  const cleanup = (): void => {
    for (const path of [...pendingTemporaries]) removeQuietly(path);
  };
  target.on("exit", cleanup);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    target.on(signal, () => {
      cleanup();
      target.exit(code);
    });
  }
}

const notProduced = (where: string, error: unknown): UserError =>
  new UserError(
    `${where}: cannot write (${firstLine(error).replace(/, (open|write|rename) '.*'$/, "")}); the report was not produced`,
    ExitCode.USAGE,
  );

function statOrUndefined(read: () => Stats): Stats | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Opens `-o PATH` before any input is read, so a typo in the directory fails in a second with one
 * line instead of after reading the fleet.
 *
 * - A regular file (new or existing) is written through a temporary file next to it and renamed
 *   onto it only when complete, so a failed run leaves the last good report as it was; an existing
 *   file keeps its permission bits.
 * - A symlink is followed: the file it points to is replaced the same way and the link stays.
 * - A device, FIFO or socket (`-o /dev/stdout`, a named pipe) is written to directly: it cannot be
 *   replaced, and renaming over it would destroy it.
 */
export async function openOutputFile(path: string, option: string): Promise<OutputTarget> {
  const where = `${option} ${path}`;
  if (path.trim() === "") throw new UserError(`${option}: an empty path is not allowed`);
  const link = statOrUndefined(() => lstatSync(path));
  let target = path;
  if (link?.isSymbolicLink()) {
    try {
      target = realpathSync(path);
    } catch (error) {
      throw new UserError(`${where}: is a symlink to a missing file (${firstLine(error)}); give the file itself`);
    }
  }
  const existing = statOrUndefined(() => statSync(target));
  if (existing?.isDirectory()) throw new UserError(`${where}: is a directory; give a file name`);
  const writeThrough = existing !== undefined && !existing.isFile();
  const temporary = writeThrough ? undefined : join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temporary ?? target, "w");
  } catch (error) {
    // The system message names the temporary file; the user only knows the path they gave.
    throw new UserError(`${where}: cannot write (${firstLine(error).replace(/, open '.*'$/, "")})`);
  }
  if (temporary !== undefined) pendingTemporaries.add(temporary);
  if (existing?.isFile() && temporary !== undefined) {
    try {
      await handle.chmod(existing.mode & 0o7777);
    } catch {
      // Not the owner: the new file gets the default mode, as `cp` would give it.
    }
  }
  let failure: unknown;
  let settled = false;
  let position = 0;
  const finish = async (): Promise<void> => {
    try {
      await handle.close();
    } catch (error) {
      failure ??= error;
    }
  };
  return {
    async write(text) {
      if (failure !== undefined || settled || text.length === 0) return;
      const data = Buffer.from(text);
      try {
        for (let offset = 0; offset < data.length;) {
          // Explicit positions so restart() can truncate; a device or FIFO has none.
          const { bytesWritten } = await handle.write(data, offset, data.length - offset, writeThrough ? null : position);
          offset += bytesWritten;
          position += bytesWritten;
        }
      } catch (error) {
        failure = error;
      }
    },
    async restart() {
      if (writeThrough) return position === 0;
      if (failure !== undefined) return false;
      try {
        await handle.truncate(0);
        position = 0;
        return true;
      } catch (error) {
        failure = error;
        return false;
      }
    },
    async commit() {
      if (settled) return;
      settled = true;
      if (failure === undefined) {
        try {
          await handle.sync();
        } catch (error) {
          // fsync is not supported on every device (a FIFO, a terminal): only a real write error counts there.
          if (!writeThrough) failure = error;
        }
      }
      await finish();
      if (failure === undefined && temporary !== undefined) {
        try {
          await rename(temporary, target);
          pendingTemporaries.delete(temporary);
        } catch (error) {
          failure = error;
        }
      }
      if (failure !== undefined) {
        if (temporary !== undefined) removeQuietly(temporary);
        throw notProduced(where, failure);
      }
    },
    async discard() {
      if (settled) return;
      settled = true;
      await finish();
      if (temporary !== undefined) removeQuietly(temporary);
    },
  };
}

/**
 * stdout as an OutputTarget. A failed write (`> /dev/full`, a closed pipe) arrives as an `error`
 * event or as the write callback's error; both are kept and commit reports them.
 */
export function stdoutTarget(stream: NodeJS.WritableStream): OutputTarget {
  let failure: unknown;
  const waiting = new Set<() => void>();
  stream.on("error", (error) => {
    failure ??= error;
    // A stream that errored never calls back or drains: release whoever waits.
    for (const resolve of waiting) resolve();
    waiting.clear();
  });
  const writeOnce = (text: string): Promise<void> =>
    new Promise((resolve) => {
      waiting.add(resolve);
      let pending = 2;
      const step = (): void => {
        pending -= 1;
        if (pending > 0) return;
        waiting.delete(resolve);
        resolve();
      };
      const accepted = stream.write(text, (error?: Error | null) => {
        if (error) failure ??= error;
        step();
      });
      if (accepted) step();
      else stream.once("drain", step);
    });
  let written = false;
  return {
    async write(text) {
      if (failure !== undefined || text.length === 0) return;
      written = true;
      await writeOnce(text);
    },
    restart() {
      return Promise.resolve(!written);
    },
    async commit() {
      if (failure === undefined) await writeOnce("");
      if (failure !== undefined) throw notProduced("stdout", failure);
    },
    async discard() {
      // Nothing to undo on a stream.
    },
  };
}
