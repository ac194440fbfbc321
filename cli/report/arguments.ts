import { UserError } from "../io";
import { formatDuration, parseDuration } from "../common/duration";
import { KUBE_TIMEOUT_OPTIONS, kubeTimeoutsFrom, type KubeTimeouts } from "../common/kube-timeouts";
import { choice, isoTime, optionsUsage, parseCommandLine, positiveInteger, type OptionTable } from "../common/options";
import { SEVERITIES, type Severity } from "../common/severity";

export const FORMATS = ["table", "markdown", "html", "csv", "json"] as const;
export type OutputFormat = (typeof FORMATS)[number];

const DEFAULT_STALE_AFTER_MS = 24 * 3_600_000;

/** Every option of `report`, once: parseArgs reads it and the usage text is generated from it. */
export const REPORT_OPTIONS = {
  context: {
    type: "string",
    multiple: true,
    value: "NAME[=CLUSTER]",
    section: "Sources (at least one)",
    help: "read live from this kube context (repeatable); =CLUSTER names the cluster in the report\n(default: the context name, or --cluster) — use the same name on every machine for --baseline",
  },
  kubeconfig: {
    type: "string",
    value: "PATH",
    section: "Sources (at least one)",
    help: "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)",
  },
  namespace: {
    type: "string",
    short: "n",
    multiple: true,
    value: "NS",
    section: "Sources (at least one)",
    help: "only these namespaces (repeatable; cluster-scoped kinds are then skipped);\nlive: only these are listed; files: objects elsewhere are skipped and counted in a note",
  },
  cluster: {
    type: "string",
    value: "NAME",
    section: "Sources (at least one)",
    help: 'cluster name for FILE inputs and for a single --context without =CLUSTER\n(default: the file name without extension; "stdin" for -; the context name)',
  },
  "page-size": { type: "string", value: "N", section: "Sources (at least one)", help: "live: objects per API list call (default 500)" },
  ...KUBE_TIMEOUT_OPTIONS,
  format: { type: "string", short: "f", value: "F", section: "Content and output", help: "table (default) | markdown | html | csv | json" },
  output: {
    type: "string",
    short: "o",
    value: "PATH",
    section: "Content and output",
    help: "write to PATH instead of stdout (replaced only when the report is complete)",
  },
  baseline: {
    type: "string",
    value: "PATH",
    section: "Content and output",
    help: 'a previous `--format json` output: adds new and resolved findings\n(only where both runs read the list completely; the rest is "not compared")',
  },
  "stale-after": {
    type: "string",
    value: "DUR",
    section: "Content and output",
    help: `reports older than this are stale (default ${formatDuration(DEFAULT_STALE_AFTER_MS)} = operator.scannerReportTTL; units ms s m h d)`,
  },
  now: {
    type: "string",
    value: "ISO-TIME",
    section: "Content and output",
    help: "reference time for staleness, e.g. 2024-05-01T00:00:00Z (default: now; for reproducible reports)",
  },
  top: { type: "string", value: "N", section: "Content and output", help: "rows per long table in table/markdown/html (default 10)" },
  "fail-on": {
    type: "string",
    value: "SEVERITY",
    section: "Content and output",
    help: `exit 1 when a vulnerability or exposed secret of this severity or worse exists\n(${SEVERITIES.join(" | ")})`,
  },
  help: { type: "boolean", short: "h", section: "Content and output", help: "show this help" },
} as const satisfies OptionTable;

export const REPORT_USAGE = `usage: trivy-operator-cdktf report [FILE… | -] [--context NAME[=CLUSTER]…] [options]

Security report over Trivy Operator report objects, from files or live clusters.
FILE: output of \`kubectl get <kinds> -A -o json|yaml\` (a List, one object, several, or Lists in an array); - = stdin

${optionsUsage(REPORT_OPTIONS)}

Exit codes: 0 done; 1 --fail-on matched; 2 nothing produced (usage error, no input readable, or the
output could not be written); 3 done, but some input could not be read or compared (each problem is
printed as one "warning:" line on stderr); 70 a bug (stack trace).`;

export interface LiveSource {
  readonly context: string;
  readonly cluster: string;
}

export interface ReportArguments {
  readonly files: readonly string[];
  readonly contexts: readonly LiveSource[];
  readonly kubeconfig: string | undefined;
  readonly namespaces: readonly string[];
  /** The cluster name of each file input (undefined = derived from the file name). */
  readonly fileCluster: string | undefined;
  readonly format: OutputFormat;
  readonly output: string | undefined;
  readonly baseline: string | undefined;
  readonly staleAfterMs: number;
  readonly now: Date;
  readonly top: number;
  readonly failOn: Severity | undefined;
  readonly pageSize: number;
  readonly timeouts: KubeTimeouts;
}

function clusterName(name: string, option: string): string {
  if (name.includes("|"))
    throw new UserError(`${option}: "${name}" contains "|", which --baseline keys use as separator; choose another cluster name`);
  return name;
}

export function parseReportArguments(argv: readonly string[]): ReportArguments | "help" {
  const { values, positionals } = parseCommandLine("report", REPORT_OPTIONS, argv, true);
  if (values.help) return "help";
  const format = choice(values.format, FORMATS, "table", "--format");
  const failOn = choice(values["fail-on"], SEVERITIES, undefined, "--fail-on");
  const now = isoTime(values.now, () => new Date(), "--now");
  const files = positionals;
  const contextArguments = values.context ?? [];
  if (files.length === 0 && contextArguments.length === 0)
    throw new UserError("no input: give report files (or - for stdin) or --context NAME; see trivy-operator-cdktf report --help");
  if (files.filter((file) => file === "-").length > 1) throw new UserError("stdin (-) can be given only once");
  const cluster = values.cluster === undefined ? undefined : clusterName(values.cluster, "--cluster");
  const unnamed = contextArguments.filter((entry) => !entry.includes("="));
  if (cluster !== undefined && unnamed.length > 1) {
    throw new UserError(
      `--cluster ${cluster} would merge the contexts ${unnamed.join(", ")} into one cluster; name each with --context NAME=CLUSTER`,
    );
  }
  const contexts = contextArguments.map((entry): LiveSource => {
    const separator = entry.indexOf("=");
    if (separator === -1) return { context: entry, cluster: clusterName(cluster ?? entry, "--context") };
    const context = entry.slice(0, separator);
    const name = entry.slice(separator + 1);
    if (context === "" || name === "") throw new UserError(`--context: "${entry}" is not NAME or NAME=CLUSTER`);
    return { context, cluster: clusterName(name, "--context") };
  });
  const seen = new Map<string, string>();
  for (const { context, cluster: name } of contexts) {
    if (seen.has(context)) throw new UserError(`--context ${context} is given twice`);
    seen.set(context, name);
  }
  return {
    files,
    contexts,
    kubeconfig: values.kubeconfig,
    namespaces: values.namespace ?? [],
    fileCluster: cluster,
    format,
    output: values.output,
    baseline: values.baseline,
    staleAfterMs: values["stale-after"] === undefined ? DEFAULT_STALE_AFTER_MS : parseDuration(values["stale-after"], "--stale-after"),
    now,
    top: positiveInteger(values.top, 10, "--top"),
    failOn,
    pageSize: positiveInteger(values["page-size"], 500, "--page-size"),
    timeouts: kubeTimeoutsFrom(values),
  };
}
