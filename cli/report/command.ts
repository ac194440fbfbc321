import { statSync } from "node:fs";
import { basename, extname } from "node:path";
import { ExitCode, type CliIo } from "../io";
import { ContextError, firstLine, resolveContext } from "../common/kube";
import type { KubeTimeouts } from "../common/kube-timeouts";
import { openOutputFile, stdoutTarget, type OutputTarget } from "../common/output";
import { terminalText } from "../common/terminal";
import { ReportAggregator } from "./aggregate";
import { parseReportArguments, REPORT_USAGE, type LiveSource, type OutputFormat, type ReportArguments } from "./arguments";
import { compareWithBaseline, readBaselineFindings, readBaselineHeader, type BaselineHeader } from "./baseline";
import { Coverage } from "./coverage";
import { ReportIntake, type SourceOutcome } from "./intake";
import { csvHeaderLine } from "./render/csv";
import { renderHtml } from "./render/html";
import { renderJsonPieces } from "./render/json";
import { renderMarkdown, renderTable } from "./render/text";
import { clientNodeLister, listTargets, readClusterReports, type ReportLister } from "./sources/cluster";
import { fileChunks } from "./sources/file-chunks";
import { readObjects, type InputFormat } from "./sources/read-objects";
import type { ReportSummary } from "./summary";

export { parseReportArguments, REPORT_USAGE } from "./arguments";

/** Test seam: how a kube context becomes a lister. The default uses @kubernetes/client-node. */
export type ListerFactory = (context: string, kubeconfig: string | undefined, timeouts: KubeTimeouts) => Promise<ReportLister>;

const defaultListerFactory: ListerFactory = async (context, kubeconfig, timeouts) =>
  clientNodeLister(await resolveContext(context, kubeconfig), timeouts);

/** What every source reads into during one pass. */
interface PassContext {
  readonly intake: ReportIntake;
  readonly coverage: Coverage;
  /** Awaited between chunks and lists, so CSV rows reach the output with backpressure. */
  readonly flush: () => Promise<void>;
}

/** One input: a file, stdin or a live context. Each reads itself completely and says what it contributed. */
interface ReportSource {
  /** stdin can be read once; files and contexts again (a second pass, see produceReport). */
  readonly rereadable: boolean;
  read(pass: PassContext): Promise<SourceOutcome>;
}

export async function runReportCommand(argv: string[], io: CliIo, listerFactory: ListerFactory = defaultListerFactory): Promise<number> {
  const args = parseReportArguments(argv);
  if (args === "help") {
    io.stdout.write(`${REPORT_USAGE}\n`);
    return ExitCode.OK;
  }
  const baseline = args.baseline === undefined ? undefined : await readBaselineHeader(args.baseline);
  const output = args.output === undefined ? stdoutTarget(io.stdout) : await openOutputFile(args.output, "--output");
  try {
    return await produceReport(args, baseline, output, io, planSources(args, io, listerFactory));
  } finally {
    // No-op after a commit; otherwise (no input readable, a bug) the temporary file goes.
    await output.discard();
  }
}

function planSources(args: ReportArguments, io: CliIo, listerFactory: ListerFactory): ReportSource[] {
  return [
    ...args.files.map((file) => fileSource(file, args, io)),
    ...args.contexts.map((live) => contextSource(live, args, listerFactory)),
  ];
}

interface PassResult {
  readonly aggregator: ReportAggregator;
  readonly intake: ReportIntake;
  readonly coverage: Coverage;
  readonly outcomes: readonly SourceOutcome[];
  /** CSV rows were written to the output during the pass. */
  readonly wroteRows: boolean;
}

/** Reads every source once into a fresh aggregation. */
async function readAll(
  args: ReportArguments,
  sources: readonly ReportSource[],
  output: OutputTarget,
  preferredVersions: ReadonlyMap<string, string> | undefined,
): Promise<PassResult> {
  const aggregator = new ReportAggregator({
    now: args.now,
    staleAfterMs: args.staleAfterMs,
    listLimit: Math.max(args.top, 50),
    preferredVersions,
  });
  let csvPending = "";
  let wroteRows = false;
  const intake = new ReportIntake({
    aggregator,
    failOn: args.failOn,
    onCsv: args.format === "csv" ? (text) => void (csvPending += text) : undefined,
  });
  // The header goes out with the first rows, so a run that reads nothing writes nothing.
  const flush = async (): Promise<void> => {
    if (csvPending === "") return;
    const text = wroteRows ? csvPending : csvHeaderLine() + csvPending;
    csvPending = "";
    wroteRows = true;
    await output.write(text);
  };
  const coverage = new Coverage();
  const outcomes: SourceOutcome[] = [];
  for (const source of sources) {
    outcomes.push(await source.read({ intake, coverage, flush }));
    await flush();
  }
  return { aggregator, intake, coverage, outcomes, wroteRows };
}

async function produceReport(
  args: ReportArguments,
  baseline: BaselineHeader | undefined,
  output: OutputTarget,
  io: CliIo,
  sources: readonly ReportSource[],
): Promise<number> {
  let pass = await readAll(args, sources, output, undefined);
  const extraWarnings: string[] = [];
  const replaced = pass.aggregator.newerCopiesLater;
  if (replaced.size > 0) {
    // A newer copy of a report came after an older one was counted. Counts cannot be taken back
    // while streaming, so the input is read once more, counting only the newest copy of those reports.
    if (sources.every((source) => source.rereadable) && (await output.restart())) {
      pass = await readAll(args, sources, output, replaced);
    } else {
      extraWarnings.push(
        `${replaced.size} report(s) came again later in a newer version, but the input cannot be read twice (stdin, or CSV already written to stdout): the first copy read was counted; pass the newest input first or use files`,
      );
    }
  }
  const warnings = [...pass.outcomes.flatMap((outcome) => outcome.warnings), ...extraWarnings];
  const notes = pass.outcomes.flatMap((outcome) => outcome.notes);
  if (!pass.outcomes.some((outcome) => outcome.usable)) {
    for (const warning of warnings) io.stderr.write(`warning: ${terminalText(warning)}\n`);
    io.stderr.write(`report: no input could be read (${warnings.length} warning(s) above); nothing was produced\n`);
    return ExitCode.USAGE;
  }

  let summary: ReportSummary = pass.aggregator.result({
    sources: pass.outcomes.map((outcome) => outcome.row),
    warnings,
    notes,
    coverage: pass.coverage.toJSON(),
  });
  if (baseline) {
    const comparison = await compareWithBaseline(
      baseline,
      readBaselineFindings(baseline),
      summary.findingIndex,
      pass.coverage,
      Math.max(args.top, 50),
    );
    warnings.push(...comparison.warnings);
    notes.push(...comparison.notes);
    summary = { ...summary, warnings, notes, baseline: comparison.diff };
  }

  for (const warning of warnings) io.stderr.write(`warning: ${terminalText(warning)}\n`);
  if (args.format === "csv") {
    if (!pass.wroteRows) await output.write(csvHeaderLine());
  } else if (args.format === "json") {
    for (const piece of renderJsonPieces(summary)) await output.write(piece);
  } else {
    await output.write(render(summary, args.format, args.top));
  }
  await output.commit();
  if (warnings.length > 0) io.stderr.write(`report: ${warnings.length} warning(s); the report covers the rest of the input\n`);
  if (pass.intake.failOnMatched) return ExitCode.FINDINGS;
  return warnings.length > 0 ? ExitCode.PARTIAL : ExitCode.OK;
}

function render(summary: ReportSummary, format: Exclude<OutputFormat, "csv" | "json">, top: number): string {
  switch (format) {
    case "markdown":
      return renderMarkdown(summary, top);
    case "html":
      return renderHtml(summary, top);
    case "table":
      return renderTable(summary, top);
  }
}

function formatFromExtension(file: string): InputFormat | undefined {
  const extension = extname(file).toLowerCase();
  return extension === ".json" ? "json" : extension === ".yaml" || extension === ".yml" ? "yaml" : undefined;
}

/**
 * A file or stdin. Coverage: a file read without any problem covers the (kind, namespace) lists it
 * contains, not more: it may have been captured with `-n`. A file with any problem (truncated,
 * invalid, an unknown kind) covers nothing of its cluster: the missing part could be anything.
 */
function fileSource(file: string, args: ReportArguments, io: CliIo): ReportSource {
  const isStdin = file === "-";
  const sourceName = isStdin ? "stdin" : file;
  const cluster = args.fileCluster ?? (isStdin ? "stdin" : basename(file, extname(file)));
  return {
    rereadable: !isStdin,
    async read({ intake, coverage, flush }) {
      const tally = intake.source(sourceName, cluster, args.namespaces);
      let usable = false;
      let size: number | undefined;
      let readable = true;
      if (!isStdin) {
        try {
          const stat = statSync(file);
          if (stat.isDirectory()) throw new Error("is a directory");
          size = stat.isFile() ? stat.size : undefined;
        } catch (error) {
          tally.problem(`cannot read (${firstLine(error)})`);
          readable = false;
        }
      }
      if (readable) {
        const progress = progressReporter(io, sourceName, size);
        const input = isStdin ? (io.stdin as AsyncIterable<Buffer | string>) : fileChunks(file);
        try {
          const result = await readObjects(input, {
            format: isStdin ? undefined : formatFromExtension(file),
            onObject: (object) => tally.onObject(object),
            onProgress: (bytes, objects) => progress.update(bytes, objects),
            afterChunk: flush,
          });
          for (const problem of result.problems) tally.problem(problem);
          usable = result.objects > 0 || result.problems.length === 0;
        } catch (error) {
          tally.problem(`cannot read (${firstLine(error)})`);
        } finally {
          progress.done();
        }
      }
      const outcome = tally.finish(usable);
      if (outcome.warnings.length === 0) {
        for (const scope of tally.seenScopes) {
          const [kind = "", namespace = ""] = scope.split("\0");
          coverage.markComplete(cluster, kind, namespace || undefined);
        }
      } else {
        coverage.markIncomplete(cluster);
      }
      return outcome;
    },
  };
}

/** A live context: every report kind, page by page. Coverage: each list read to the end. */
function contextSource(live: LiveSource, args: ReportArguments, listerFactory: ListerFactory): ReportSource {
  return {
    rereadable: true,
    async read({ intake, coverage, flush }) {
      const tally = intake.source(`context ${live.context}`, live.cluster);
      let lister: ReportLister;
      try {
        lister = await listerFactory(live.context, args.kubeconfig, args.timeouts);
      } catch (error) {
        if (!(error instanceof ContextError)) throw error;
        tally.problem(error.message);
        coverage.markIncomplete(live.cluster);
        return tally.finish(false);
      }
      const result = await readClusterReports(lister, {
        namespaces: args.namespaces,
        pageSize: args.pageSize,
        onObject: (object) => tally.onObject(object),
        afterPage: flush,
      });
      for (const problem of result.problems) tally.problem(problem);
      for (const note of result.notes) tally.note(note);
      const completed = new Set(result.completed);
      for (const target of listTargets(args.namespaces)) {
        const done = [...completed].some((entry) => entry.kind === target.kind && entry.namespace === target.namespace);
        if (done) coverage.markComplete(live.cluster, target.kind.kind, target.namespace);
        else coverage.markIncomplete(live.cluster, target.kind.kind, target.namespace);
      }
      const outcome = tally.finish(result.objects > 0 || result.problems.length === 0);
      // Objects the intake refused (unknown kind from a list) make the lists they came from untrustworthy too.
      if (outcome.warnings.length > result.problems.length) coverage.markIncomplete(live.cluster);
      return outcome;
    },
  };
}

/** Progress on stderr, only on a terminal (never in pipes or CI logs), at most 5 times a second. */
function progressReporter(
  io: CliIo,
  label: string,
  totalBytes: number | undefined,
): { update(bytes: number, objects: number): void; done(): void } {
  if (!io.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  const name = terminalText(label);
  return {
    update(bytes, objects) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      const size = totalBytes ? `${(bytes / 1e6).toFixed(0)}/${(totalBytes / 1e6).toFixed(0)} MB` : `${(bytes / 1e6).toFixed(0)} MB`;
      io.stderr.write(`\rreading ${name}: ${size}, ${objects} objects`);
    },
    done() {
      if (shown) io.stderr.write("\r\x1b[K");
    },
  };
}
