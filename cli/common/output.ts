import { createWriteStream, openSync, renameSync, statSync, unlinkSync, type WriteStream } from "node:fs";
import { basename, dirname, join } from "node:path";
import { UserError } from "../io";
import { firstLine } from "./kube";

/** A file written through a temporary name next to it, so a failed run never leaves half a report or truncates the last good one. */
export interface OutputFile {
  readonly stream: NodeJS.WritableStream;
  /** Flushes and renames the temporary file onto the path; a write error becomes a one-line UserError. */
  commit(): Promise<void>;
  /** Removes the temporary file; a no-op after commit. */
  discard(): Promise<void>;
}

/**
 * Opens `path` for writing before any input is read, so a typo in the directory fails in a second
 * with one line (`--output out/r.html: cannot write (ENOENT: …)`) instead of after reading the fleet.
 */
export function openOutputFile(path: string, option: string): OutputFile {
  const isDirectory = ((): boolean => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  })();
  if (isDirectory) throw new UserError(`${option} ${path}: is a directory; give a file name`);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(temporary, "w");
  } catch (error) {
    // The system message names the temporary file; the user only knows the path they gave.
    throw new UserError(`${option} ${path}: cannot write (${firstLine(error).replace(/, open '.*'$/, "")})`);
  }
  const stream: WriteStream = createWriteStream(temporary, { fd });
  let writeError: unknown;
  // Without a listener a failed write (disk full) would crash the process with a stack trace.
  stream.on("error", (error) => {
    writeError ??= error;
  });
  let settled = false;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      if (stream.closed || stream.destroyed) resolve();
      else stream.end(() => resolve());
      stream.once("error", () => resolve());
    });
  const remove = (): void => {
    try {
      unlinkSync(temporary);
    } catch {
      // Already gone.
    }
  };
  return {
    stream,
    async commit() {
      if (settled) return;
      settled = true;
      await close();
      if (writeError !== undefined) {
        remove();
        throw new UserError(`${option} ${path}: cannot write (${firstLine(writeError)}); nothing was written`);
      }
      try {
        renameSync(temporary, path);
      } catch (error) {
        remove();
        throw new UserError(`${option} ${path}: cannot write (${firstLine(error)}); nothing was written`);
      }
    },
    async discard() {
      if (settled) return;
      settled = true;
      await close();
      remove();
    },
  };
}
