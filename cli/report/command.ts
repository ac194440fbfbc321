import { createReadStream, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { ExitCode, UserError, type CliIo } from "../io";
import { ContextError, firstLine, resolveContext } from "../common/kube";
import { parseDuration } from "../common/duration";
import { openOutputFile, type OutputFile } from "../common/output";
import { positiveInteger, readJsonFile } from "../common/options";
import { SEVERITIES, severityRank, type Severity } from "../common/severity";
import { ReportAggregator } from "./aggregate";
import { diffAgainstBaseline, parseBaseline, type BaselineIndex } from "./baseline";
import { normalizeReport } from "./normalize";
import { csvHeaderLine, csvLinesForReport } from "./render/csv";
import { renderHtml } from "./render/html";
import { renderMarkdown, renderTable } from "./render/text";
import { clientNodeLister, readClusterReports, type ReportLister } from "./sources/cluster";
import { readObjects, type InputFormat } from "./sources/read-objects";
import type { ReportSummary, SourceRow } from "./summary";

const FORMATS = ["table", "markdown", "html", "csv", "json"] as const;
type OutputFormat = (typeof FORMATS)[number];

export const REPORT_USAGE = `usage: trivy-operator-cdktf report [FILE… | -] [--context NAME…] [options]

Security report over Trivy Operator report objects, from files or live clusters.

Sources (at least one):
  FILE                 output of \`kubectl get <kinds> -A -o json|yaml\` (a List, one object, or several); - = stdin
  --context NAME       read live from this kube context (repeatable; one cluster per context)
  --kubeconfig PATH    kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)
  -n, --namespace NS   live: only these namespaces (repeatable; cluster-scoped kinds are then skipped)
  --cluster NAME       cluster name for FILE inputs (default: the file name without extension; "stdin" for -)
  --page-size N        live: objects per API list call (default 500)

Content and output:
  -f, --format F       table (default) | markdown | html | csv | json
  -o, --output PATH    write to PATH instead of stdout (replaced only when the report is complete)
  --baseline PATH      a previous \`--format json\` output: adds new and resolved findings
  --stale-after DUR    reports older than this are stale (default 24h = operator.scannerReportTTL; units ms s m h d)
  --now ISO-TIME       reference time for staleness (default: now; for reproducible reports)
  --top N              rows per long table in table/markdown/html (default 10)
  --fail-on SEVERITY   exit 1 when a vulnerability or exposed secret of this severity or worse exists
                       (critical | high | medium | low | unknown)
  -h, --help           show this help

Exit codes: 0 done; 1 --fail-on matched; 2 usage error or no input readable; 3 done, but some input
could not be read (each problem is printed as one "warning:" line on stderr).`;

interface ReportArguments {
  readonly files: readonly string[];
  readonly contexts: readonly string[];
  readonly kubeconfig: string | undefined;
  readonly namespaces: readonly string[];
  readonly cluster: string | undefined;
  readonly format: OutputFormat;
  readonly output: string | undefined;
  readonly baseline: string | undefined;
  readonly staleAfterMs: number;
  readonly now: Date;
  readonly top: number;
  readonly failOn: Severity | undefined;
  readonly pageSize: number;
}

/** Test seam: how a kube context becomes a lister. The default uses @kubernetes/client-node. */
export type ListerFactory = (context: string, kubeconfig: string | undefined) => Promise<ReportLister>;

const defaultListerFactory: ListerFactory = async (context, kubeconfig) => clientNodeLister(await resolveContext(context, kubeconfig));

export function parseReportArguments(argv: readonly string[]): ReportArguments | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        context: { type: "string", multiple: true },
        kubeconfig: { type: "string" },
        namespace: { type: "string", multiple: true, short: "n" },
        cluster: { type: "string" },
        format: { type: "string", short: "f" },
        output: { type: "string", short: "o" },
        baseline: { type: "string" },
        "stale-after": { type: "string" },
        now: { type: "string" },
        top: { type: "string" },
        "fail-on": { type: "string" },
        "page-size": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UserError(`${firstLine(error)}; see trivy-operator-cdktf report --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const format = (values.format ?? "table") as OutputFormat;
  if (!FORMATS.includes(format)) throw new UserError(`--format: "${values.format}" is not one of ${FORMATS.join(", ")}`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new UserError(`--now: "${values.now}" is not an ISO time such as 2024-05-01T00:00:00Z`);
  const failOn = values["fail-on"]?.toLowerCase();
  if (failOn !== undefined && !SEVERITIES.includes(failOn as Severity)) throw new UserError(`--fail-on: "${values["fail-on"]}" is not one of ${SEVERITIES.join(", ")}`);
  const files = positionals;
  const contexts = values.context ?? [];
  if (files.length === 0 && contexts.length === 0) throw new UserError("no input: give report files (or - for stdin) or --context NAME; see trivy-operator-cdktf report --help");
  if (files.filter((file) => file === "-").length > 1) throw new UserError("stdin (-) can be given only once");
  return {
    files,
    contexts,
    kubeconfig: values.kubeconfig,
    namespaces: values.namespace ?? [],
    cluster: values.cluster,
    format,
    output: values.output,
    baseline: values.baseline,
    staleAfterMs: parseDuration(values["stale-after"] ?? "24h", "--stale-after"),
    now,
    top: positiveInteger(values.top, 10, "--top"),
    failOn: failOn as Severity | undefined,
    pageSize: positiveInteger(values["page-size"], 500, "--page-size"),
  };
}

function readBaseline(path: string): BaselineIndex {
  const baseline = parseBaseline(readJsonFile(path, "--baseline", "a previous `report --format json` output"));
  if ("error" in baseline) throw new UserError(`--baseline ${path}: ${baseline.error}`);
  return baseline;
}

function formatFromExtension(file: string): InputFormat | undefined {
  const extension = extname(file).toLowerCase();
  return extension === ".json" ? "json" : extension === ".yaml" || extension === ".yml" ? "yaml" : undefined;
}

/** Progress on stderr, only on a terminal (never in pipes or CI logs), at most 5 times a second. */
function progressReporter(io: CliIo, label: string, totalBytes: number | undefined): { update(bytes: number, objects: number): void; done(): void } {
  if (!io.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(bytes, objects) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      const size = totalBytes ? `${(bytes / 1e6).toFixed(0)}/${(totalBytes / 1e6).toFixed(0)} MB` : `${(bytes / 1e6).toFixed(0)} MB`;
      io.stderr.write(`\rreading ${label}: ${size}, ${objects} objects`);
    },
    done() {
      if (shown) io.stderr.write("\r\x1b[K");
    },
  };
}

async function writeWithBackpressure(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text.length === 0) return;
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
}

export async function runReportCommand(argv: string[], io: CliIo, listerFactory: ListerFactory = defaultListerFactory): Promise<number> {
  const parsedArguments = parseReportArguments(argv);
  if (parsedArguments === "help") {
    io.stdout.write(`${REPORT_USAGE}\n`);
    return ExitCode.OK;
  }
  const args = parsedArguments;
  const baseline = args.baseline === undefined ? undefined : readBaseline(args.baseline);
  const outputFile: OutputFile | undefined = args.output === undefined ? undefined : openOutputFile(args.output, "--output");
  try {
    return await produceReport(args, baseline, outputFile, io, listerFactory);
  } finally {
    // No-op after a commit; otherwise (no input readable, a bug) the temporary file goes.
    await outputFile?.discard();
  }
}

async function produceReport(args: ReportArguments, baseline: BaselineIndex | undefined, outputFile: OutputFile | undefined, io: CliIo, listerFactory: ListerFactory): Promise<number> {
  const output: NodeJS.WritableStream = outputFile?.stream ?? io.stdout;
  const aggregator = new ReportAggregator({ now: args.now, staleAfterMs: args.staleAfterMs, listLimit: Math.max(args.top, 50) });
  const warnings: string[] = [];
  const notes: string[] = [];
  const sources: SourceRow[] = [];
  let csvPending = "";
  if (args.format === "csv") csvPending = csvHeaderLine();
  const flushCsv = async (): Promise<void> => {
    const text = csvPending;
    csvPending = "";
    await writeWithBackpressure(output, text);
  };
  let anySourceRead = false;
  let failOnMatched = false;

  /** Turns decoded objects into reports for one source; collects per-source warnings and notes. */
  const makeConsumer = (sourceName: string, cluster: string) => {
    let reports = 0;
    const rejected = new Map<string, number>();
    const withoutFindings = new Map<string, number>();
    const problems: string[] = [];
    return {
      onObject(object: unknown): void {
        const outcome = normalizeReport(object, cluster);
        if (outcome.type === "report") {
          if (!aggregator.add(outcome.report)) return;
          reports++;
          if (args.failOn !== undefined && !failOnMatched) {
            const threshold = severityRank(args.failOn);
            failOnMatched = [...outcome.report.vulnerabilities, ...outcome.report.secrets].some((finding) => severityRank(finding.severity) <= threshold);
          }
          if (args.format === "csv") csvPending += csvLinesForReport(outcome.report);
        } else if (outcome.type === "no-findings-kind") {
          withoutFindings.set(outcome.kind, (withoutFindings.get(outcome.kind) ?? 0) + 1);
        } else {
          const key = `${outcome.kind}: ${outcome.reason}`;
          rejected.set(key, (rejected.get(key) ?? 0) + 1);
        }
      },
      problem(message: string): void {
        problems.push(message);
      },
      finish(): void {
        for (const [what, count] of rejected) problems.push(`skipped ${count} object(s) of kind ${what}`);
        for (const [kind, count] of withoutFindings) notes.push(`${sourceName}: skipped ${count} ${kind}(s): this kind carries no findings`);
        for (const problem of problems) warnings.push(`${sourceName}: ${problem}`);
        sources.push({ source: sourceName, cluster, reports, warnings: problems.length });
      },
    };
  };

  for (const file of args.files) {
    const isStdin = file === "-";
    const sourceName = isStdin ? "stdin" : file;
    const cluster = args.cluster ?? (isStdin ? "stdin" : basename(file, extname(file)));
    const consumer = makeConsumer(sourceName, cluster);
    let size: number | undefined;
    if (!isStdin) {
      try {
        const stat = statSync(file);
        if (stat.isDirectory()) throw new Error("is a directory");
        size = stat.size;
      } catch (error) {
        consumer.problem(`cannot read (${firstLine(error)})`);
        consumer.finish();
        continue;
      }
    }
    const progress = progressReporter(io, sourceName, size);
    const input = isStdin ? (io.stdin as AsyncIterable<Buffer | string>) : createReadStream(file, { highWaterMark: 1 << 20 });
    try {
      const result = await readObjects(input, {
        format: isStdin ? undefined : formatFromExtension(file),
        onObject: (object) => consumer.onObject(object),
        onProgress: (bytes, objects) => progress.update(bytes, objects),
        afterChunk: args.format === "csv" ? flushCsv : undefined,
      });
      for (const problem of result.problems) consumer.problem(problem);
      if (result.objects > 0) anySourceRead = true;
      else if (result.problems.length === 0) anySourceRead = true;
    } catch (error) {
      consumer.problem(`cannot read (${firstLine(error)})`);
    } finally {
      progress.done();
    }
    consumer.finish();
  }

  for (const context of args.contexts) {
    const consumer = makeConsumer(`context ${context}`, context);
    try {
      const lister = await listerFactory(context, args.kubeconfig);
      const result = await readClusterReports(lister, { namespaces: args.namespaces, pageSize: args.pageSize, onObject: (object) => consumer.onObject(object) });
      for (const problem of result.problems) consumer.problem(problem);
      for (const note of result.notes) notes.push(`context ${context}: ${note}`);
      if (result.objects > 0 || result.problems.length === 0) anySourceRead = true;
    } catch (error) {
      if (!(error instanceof ContextError)) throw error;
      consumer.problem(error.message);
    }
    if (args.format === "csv") await flushCsv();
    consumer.finish();
  }

  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
  if (!anySourceRead) {
    io.stderr.write(`report: no input could be read (${warnings.length} warning(s) above); nothing was produced\n`);
    return ExitCode.USAGE;
  }

  const summaryWithoutBaseline = aggregator.result({ sources, warnings, notes });
  const summary: ReportSummary = baseline
    ? { ...summaryWithoutBaseline, baseline: diffAgainstBaseline(args.baseline ?? "", baseline, summaryWithoutBaseline.findingIndex, Math.max(args.top, 50)) }
    : summaryWithoutBaseline;

  if (args.format === "csv") await flushCsv();
  else await writeWithBackpressure(output, render(summary, args.format, args.top));
  await outputFile?.commit();
  if (warnings.length > 0) io.stderr.write(`report: ${warnings.length} warning(s); the report covers the rest of the input\n`);
  if (failOnMatched) return ExitCode.FINDINGS;
  return warnings.length > 0 ? ExitCode.PARTIAL : ExitCode.OK;
}

function render(summary: ReportSummary, format: Exclude<OutputFormat, "csv">, top: number): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(summary, null, 2)}\n`;
    case "markdown":
      return renderMarkdown(summary, top);
    case "html":
      return renderHtml(summary, top);
    case "table":
      return renderTable(summary, top);
  }
}
