import { join, resolve } from "node:path";
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

/**
 * Every real fixture report that parses and carries findings (the INVALID one is tested separately);
 * the hand count in report-command.test.ts gives their totals.
 */
export const REPORT_FIXTURE_FILES: readonly string[] = [
  "vulnerabilityreport.replicaset-nginx.yaml",
  "vulnerabilityreport.vulnerability-ttl.yaml",
  "clustervulnerabilityreport.k8s-cluster.yaml",
  "configauditreport.replicaset-nginx.yaml",
  "configauditreport.pod-configauditreport-expected.yaml",
  "exposedsecretreport.replicaset-app.yaml",
  "rbacassessmentreport.role-868458b9d6.yaml",
  "rbacassessmentreport.role-rbacassessment-expected.yaml",
  "infraassessmentreport.pod-kube-apiserver-minikube.yaml",
].map((name) => join(resolve(__dirname, "../../fixtures/reports"), name));

/**
 * Feeds `text` to a streaming splitter in chunks of the given sizes (cycled), so item and document
 * boundaries land inside chunks, between them and inside multi-byte characters.
 */
export function writeInChunks(splitter: { write(chunk: Buffer): void }, text: string, chunkSizes: readonly number[]): void {
  const bytes = Buffer.from(text);
  // One buffer for every chunk, scribbled over after each write, as fileChunks reuses its buffer:
  // a splitter that kept a view of a chunk instead of a copy would read garbage.
  const reused = Buffer.alloc(Math.max(1, ...chunkSizes));
  let offset = 0;
  let index = 0;
  while (offset < bytes.length) {
    const size = Math.min(Math.max(1, chunkSizes[index++ % chunkSizes.length] ?? 1), bytes.length - offset);
    bytes.copy(reused, 0, offset, offset + size);
    splitter.write(reused.subarray(0, size));
    reused.fill("x");
    offset += size;
  }
}
