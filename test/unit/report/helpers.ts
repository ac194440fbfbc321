import { PassThrough, Readable } from "node:stream";
import type { CliIo } from "../../../cli/io";

export interface CapturedIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** A CliIo over in-memory streams; stdin gets `stdinText` when given. */
export function captureIo(stdinText?: string): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on("data", (chunk: Buffer) => err.push(chunk.toString()));
  const stdin = Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]);
  return { io: { stdout, stderr, stdin }, stdout: () => out.join(""), stderr: () => err.join("") };
}
