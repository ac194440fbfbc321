import { readFileSync } from "node:fs";
import { ExitCode, UserError, type CliIo } from "../io";
import { ContextError, firstLine, resolveContext } from "../common/kube";
import { asArray, asRecord, asString, getPath } from "../common/json-access";
import { KUBE_TIMEOUT_OPTIONS, kubeTimeoutsFrom, type KubeTimeouts } from "../common/kube-timeouts";
import { choice, optionsUsage, parseCommandLine, positiveInteger, readJsonFile, type OptionTable } from "../common/options";
import { readLog, signalsFromObjects, type DoctorEvidence, type ObjectEvidence, type Signal } from "./evidence";
import { clientNodeDoctorApi, collectLiveEvidence, type DoctorApi } from "./live";
import { renderDoctorJson, renderDoctorText, type DoctorReport } from "./render";
import { diagnose, failedScanJobs } from "./rules";

/** Every option of `doctor`, once: parseArgs reads it and the usage text is generated from it. */
export const DOCTOR_OPTIONS = {
  context: {
    type: "string",
    value: "NAME",
    section: "Input (live by default)",
    help: "live, from this kube context (default: the kubeconfig's current context)",
  },
  kubeconfig: {
    type: "string",
    value: "PATH",
    section: "Input (live by default)",
    help: "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)",
  },
  ...KUBE_TIMEOUT_OPTIONS,
  from: {
    type: "string",
    value: "FILE",
    section: "Input (live by default)",
    help: "captured: kubectl get pods,jobs,events,deployments -n trivy-system -o json > FILE",
  },
  logs: {
    type: "string",
    multiple: true,
    value: "FILE",
    section: "Input (live by default)",
    help: "captured operator log (kubectl logs -n trivy-system deploy/trivy-operator > FILE;\ncaptured with timestamps or pod prefixes is fine); repeatable; with --from or\nalone, not with --context (live runs read the logs)",
  },
  namespace: {
    type: "string",
    short: "n",
    value: "NS",
    section: "Options",
    help: "operator namespace (default trivy-system; with --from, the namespace of the captured objects)",
  },
  "all-namespaces": {
    type: "boolean",
    short: "A",
    section: "Options",
    help: "live: also read scan Jobs, their Pods and Warning Events in every namespace (with\ntrivyOperator.scanJobsInSameNamespace); needs list on jobs, pods and events cluster-wide",
  },
  format: { type: "string", short: "f", value: "F", section: "Options", help: "text (default) | json" },
  "scan-jobs-limit": {
    type: "string",
    value: "N",
    section: "Options",
    help: "operator.scanJobsConcurrentLimit, when it cannot be read from the Deployment (default 2, the module default)",
  },
  tail: { type: "string", value: "N", section: "Options", help: "live: operator log lines to read per operator pod (default 5000)" },
  "page-size": { type: "string", value: "N", section: "Options", help: "live: objects per API list call (default 500)" },
  help: { type: "boolean", short: "h", section: "Options", help: "show this help" },
} as const satisfies OptionTable;

export const DOCTOR_USAGE = `usage: trivy-operator-cdktf doctor [--context NAME | --from FILE] [options]

Diagnoses failed scans: reads the operator namespace (Deployment, scan Jobs and Pods, Events,
operator logs) and prints each known problem with its cause and the setting of our module that fixes it.

${optionsUsage(DOCTOR_OPTIONS)}

Exit codes: 0 no problem found; 1 problems found; 2 usage error, or nothing inspected (no input
readable, an empty namespace or capture, files that are not pods/jobs/events/deployments or an
operator log); 3 no problem found, but some input could not be read (printed as "warning:" lines on stderr).`;

/** Test seam: how a context becomes the API doctor reads from. */
export type DoctorApiFactory = (
  context: string | undefined,
  kubeconfig: string | undefined,
  timeouts: KubeTimeouts,
) => Promise<{ api: DoctorApi; context: string }>;

const defaultApiFactory: DoctorApiFactory = async (context, kubeconfig, timeouts) => {
  const resolved = await resolveContext(context, kubeconfig);
  return { api: clientNodeDoctorApi(resolved, timeouts), context: resolved.context };
};

export interface DoctorOptions {
  readonly input:
    | { readonly mode: "captured"; readonly from: string | undefined; readonly logs: readonly string[] }
    | {
        readonly mode: "live";
        readonly context: string | undefined;
        readonly kubeconfig: string | undefined;
        readonly timeouts: KubeTimeouts;
      };
  /** Undefined when not given: captured input then takes the namespace of its objects. */
  readonly namespace: string | undefined;
  readonly format: "text" | "json";
  readonly scanJobsLimit: number | undefined;
  readonly tail: number;
  readonly pageSize: number;
  /** Live: scan Jobs, their Pods and Warning Events in every namespace too. */
  readonly allNamespaces: boolean;
}

const DEFAULT_NAMESPACE = "trivy-system";

/** argv → options, or "help"; every mistake is a UserError naming the option. */
export function parseDoctorOptions(argv: string[]): DoctorOptions | "help" {
  const { values } = parseCommandLine("doctor", DOCTOR_OPTIONS, argv, false);
  if (values.help) return "help";
  const format = choice(values.format, ["text", "json"] as const, "text", "--format");
  if (values.from !== undefined && values.context !== undefined)
    throw new UserError("give either --from (captured files) or --context (live), not both");
  // Live runs read the operator logs themselves; silently ignoring a given log file would hide evidence.
  if (values.logs !== undefined && values.context !== undefined)
    throw new UserError(
      "--logs goes with captured input (--from, or alone), not with --context: a live run reads the operator pod logs itself",
    );
  const captured = values.from !== undefined || values.logs !== undefined;
  if (captured && values["all-namespaces"] === true)
    throw new UserError(
      "--all-namespaces goes with live input (--context): a capture holds what kubectl read, so capture with kubectl get pods,jobs,events,deployments -A -o json instead",
    );
  const timeouts = kubeTimeoutsFrom(values);
  return {
    input: captured
      ? { mode: "captured", from: values.from, logs: values.logs ?? [] }
      : { mode: "live", context: values.context, kubeconfig: values.kubeconfig, timeouts },
    namespace: values.namespace,
    format,
    scanJobsLimit: values["scan-jobs-limit"] === undefined ? undefined : positiveInteger(values["scan-jobs-limit"], 0, "--scan-jobs-limit"),
    tail: positiveInteger(values.tail, 5000, "--tail"),
    pageSize: positiveInteger(values["page-size"], 500, "--page-size"),
    allNamespaces: values["all-namespaces"] === true,
  };
}

/** What was read, before any rule runs. */
export interface CollectedEvidence {
  readonly evidence: DoctorEvidence;
  readonly source: string;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

const DOCTOR_KINDS = new Set(["Pod", "Job", "Event", "Deployment"]);
const CAPTURE_HINT = "kubectl get pods,jobs,events,deployments -n <namespace> -o json";

/** Reads the captured files or the live namespace. Nothing inspected at all is a UserError (exit 2), never "no known problem". */
export async function collectDoctorEvidence(
  options: DoctorOptions,
  apiFactory: DoctorApiFactory = defaultApiFactory,
): Promise<CollectedEvidence> {
  return options.input.mode === "captured"
    ? collectCaptured(options, options.input)
    : await collectLive(options, options.input, apiFactory);
}

function collectCaptured(
  options: DoctorOptions,
  input: { readonly from: string | undefined; readonly logs: readonly string[] },
): CollectedEvidence {
  const warnings: string[] = [];
  const notes: string[] = [];
  const unusable: string[] = [];
  let objects: ObjectEvidence = signalsFromObjects([]);
  let namespace = options.namespace;
  let namespaces = new Set<string>();
  if (input.from !== undefined) {
    const read = readCapturedObjects(input.from);
    namespaces = new Set(
      read.map((object) => asString(getPath(object, "metadata", "namespace"))).filter((value): value is string => value !== undefined),
    );
    if (namespace === undefined && namespaces.size === 1) namespace = [...namespaces][0];
    else if (namespace !== undefined && namespaces.size > 0 && !namespaces.has(namespace)) {
      warnings.push(`--from ${input.from}: its objects are in namespace ${[...namespaces].join(", ")}, not ${namespace} (--namespace)`);
    }
    // A capture made with -A names the objects of other namespaces `namespace/name`, as a live -A run does.
    objects = signalsFromObjects(read, namespace ?? DEFAULT_NAMESPACE);
    const kinds = countKinds(read);
    const known = [...kinds].filter(([kind]) => DOCTOR_KINDS.has(kind)).reduce((sum, [, count]) => sum + count, 0);
    if (read.length === 0) {
      unusable.push(
        `--from ${input.from}: an empty list (kubectl found no pods, jobs, events or deployments: wrong namespace? the module installs into ${DEFAULT_NAMESPACE})`,
      );
    } else if (known === 0) {
      const found = [...kinds].map(([kind, count]) => `${count} ${kind}`).join(", ");
      unusable.push(
        `--from ${input.from}: no Pod, Job, Event or Deployment in it (found ${found}); doctor reads the output of ${CAPTURE_HINT}, not report objects`,
      );
    } else if (known < read.length) {
      notes.push(`--from ${input.from}: ${read.length - known} object(s) of other kinds ignored`);
    }
    notes.push(...workloadNamespaceNotes(namespace ?? DEFAULT_NAMESPACE, objects));
  } else {
    notes.push("no --from file: only the log rules ran (Pods, Jobs, Events and Deployments were not inspected)");
  }
  const logSignals: Signal[] = [];
  let logLines = 0;
  let logEntries = 0;
  for (const logFile of input.logs) {
    let text: string;
    try {
      text = readFileSync(logFile, "utf8");
    } catch (error) {
      warnings.push(`--logs ${logFile}: cannot read (${firstLine(error)}); log rules skipped for it`);
      continue;
    }
    const log = readLog(text, logFile);
    logLines += log.lines;
    logEntries += log.entries;
    logSignals.push(...log.signals);
    if (log.lines === 0) unusable.push(`--logs ${logFile}: empty`);
    else if (log.entries === 0 && log.signals.length === 0)
      unusable.push(`--logs ${logFile}: ${log.lines} line(s), none of them an operator log entry (zap JSON or console) or an error line`);
  }
  if (input.logs.length === 0)
    notes.push(
      "no --logs file: rules that need the operator log (failed scan containers, TOOMANYREQUESTS, registry timeouts, API server, Windows images) only saw Pods, Jobs and Events",
    );
  const inspectedSomething =
    (input.from !== undefined && !unusable.some((line) => line.startsWith("--from"))) || logEntries > 0 || logSignals.length > 0;
  if (!inspectedSomething) {
    throw new UserError(`nothing inspected: ${[...unusable, ...warnings].join("; ") || "no input"}`);
  }
  warnings.push(...unusable);
  if (input.from !== undefined)
    notes.push(
      ...unreadScanJobNamespacesNote(
        logSignals,
        new Set([...namespaces, namespace ?? DEFAULT_NAMESPACE]),
        "capture them too: kubectl get pods,jobs,events,deployments -A -o json (or -n <namespace>)",
      ),
    );
  return {
    evidence: evidenceOf(namespace ?? DEFAULT_NAMESPACE, objects, logSignals, { logLines, logEntries }, options.scanJobsLimit),
    source: [input.from, ...input.logs].filter(Boolean).join(" + "),
    warnings,
    notes,
  };
}

async function collectLive(
  options: DoctorOptions,
  input: { readonly context: string | undefined; readonly kubeconfig: string | undefined; readonly timeouts: KubeTimeouts },
  apiFactory: DoctorApiFactory,
): Promise<CollectedEvidence> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  let connection;
  try {
    connection = await apiFactory(input.context, input.kubeconfig, input.timeouts);
  } catch (error) {
    if (error instanceof ContextError) throw new UserError(error.message);
    throw error;
  }
  const live = await collectLiveEvidence(connection.api, {
    namespace,
    tailLines: options.tail,
    pageSize: options.pageSize,
    allNamespaces: options.allNamespaces,
  });
  const warnings = live.problems.map((problem) => `context ${connection.context}: ${problem}`);
  const notes: string[] = [];
  const logSignals: Signal[] = [];
  let logLines = 0;
  let logEntries = 0;
  for (const entry of live.logs) {
    const log = readLog(entry.text, entry.name);
    logLines += log.lines;
    logEntries += log.entries;
    logSignals.push(...log.signals);
  }
  const objectsRead = Object.values(live.objects.counts).reduce((sum, count) => sum + count, 0);
  if (objectsRead === 0 && logLines === 0) {
    const why =
      live.problems.length > 0
        ? live.problems.join("; ")
        : `namespace "${namespace}" has no Pods, Jobs, Events or Deployments: wrong namespace? (-n; the module installs into ${DEFAULT_NAMESPACE})`;
    throw new UserError(`nothing inspected in context ${connection.context}: ${why}`);
  }
  if (live.objects.operatorPods.length === 0) notes.push(`no operator pod in namespace ${namespace}: the log rules did not run`);
  notes.push(...workloadNamespaceNotes(namespace, live.objects));
  if (!options.allNamespaces)
    notes.push(...unreadScanJobNamespacesNote(logSignals, new Set([namespace]), "rerun with -A (or -n <namespace>)"));
  return {
    evidence: evidenceOf(namespace, live.objects, logSignals, { logLines, logEntries }, options.scanJobsLimit),
    source: `context ${connection.context}`,
    warnings,
    notes,
  };
}

/**
 * A namespace with scan Jobs but Deployments none of which is the operator is read as a workload
 * namespace: with `trivyOperator.scanJobsInSameNamespace` the operator creates each scan Job beside
 * its workload (trivy-operator v0.32.0 `builder.go` `updateScanJobForWorkloadNamespace`), and
 * docs/reports.md sends users there with `-n`.
 */
function workloadNamespaceNotes(namespace: string, objects: ObjectEvidence): string[] {
  if (objects.operatorDeploymentFound !== false || objects.scanJobObjects === 0) return [];
  return [
    `namespace ${namespace} holds ${objects.scanJobObjects} scan Job object(s) (Jobs, Pods, Events) but no trivy-operator Deployment: read as a workload namespace of an operator with trivyOperator.scanJobsInSameNamespace; run doctor on the operator's namespace as well (-n ${DEFAULT_NAMESPACE} by default) for its own checks and logs, or there with -A to read every namespace's scan Jobs in one run`,
  ];
}

/**
 * The operator logs each failed scan container with `job: "<namespace>/<name>"` (trivy-operator v0.32.0
 * pkg/vulnerabilityreport/controller/scanjob.go `completedContainers`). Namespaces there that doctor did
 * not read mean scan Jobs run beside their workloads, and their pods and events were not inspected.
 */
function unreadScanJobNamespacesNote(logSignals: readonly Signal[], read: ReadonlySet<string>, howToRead: string): string[] {
  const unread = [...new Set(logSignals.map((signal) => signal.jobNamespace))]
    .filter((namespace): namespace is string => namespace !== undefined && !read.has(namespace))
    .sort();
  if (unread.length === 0) return [];
  return [
    `the operator log names scan Jobs in namespace(s) ${unread.join(", ")}, which doctor did not read: the operator runs them beside their workloads (trivyOperator.scanJobsInSameNamespace), so their pods and events were not inspected; ${howToRead}`,
  ];
}

function evidenceOf(
  namespace: string,
  objects: ObjectEvidence,
  logSignals: readonly Signal[],
  log: { readonly logLines: number; readonly logEntries: number },
  scanJobsLimit: number | undefined,
): DoctorEvidence {
  return {
    namespace,
    signals: [...objects.signals, ...logSignals],
    completedScanJobsWithTtl: objects.completedScanJobsWithTtl,
    scanJobsConcurrentLimit: objects.scanJobsConcurrentLimit ?? scanJobsLimit,
    operatorDeploymentFound: objects.operatorDeploymentFound,
    scanJobObjects: objects.scanJobObjects,
    counts: { ...objects.counts, ...log },
  };
}

/** The objects of a captured `kubectl get … -o json`: a List's items, a bare array, or one object. */
function readCapturedObjects(path: string): readonly unknown[] {
  const document = readJsonFile(path, "--from", `the output of ${CAPTURE_HINT}`);
  const items = asRecord(document)?.["items"];
  if (Array.isArray(items)) return asArray(items);
  return Array.isArray(document) ? asArray(document) : [document];
}

function countKinds(objects: readonly unknown[]): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const object of objects) {
    const kind = asString(asRecord(object)?.["kind"]) ?? "(no kind)";
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds;
}

export async function runDoctorCommand(argv: string[], io: CliIo, apiFactory: DoctorApiFactory = defaultApiFactory): Promise<number> {
  const options = parseDoctorOptions(argv);
  if (options === "help") {
    io.stdout.write(`${DOCTOR_USAGE}\n`);
    return ExitCode.OK;
  }
  const collected = await collectDoctorEvidence(options, apiFactory);
  const problems = diagnose(collected.evidence);
  const report: DoctorReport = {
    namespace: collected.evidence.namespace,
    source: collected.source,
    problems,
    failedScanJobs: failedScanJobs(collected.evidence, problems),
    inspected: collected.evidence.counts,
    warnings: collected.warnings,
    notes: collected.notes,
  };
  io.stdout.write(options.format === "json" ? renderDoctorJson(report) : renderDoctorText(report));
  for (const warning of collected.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (problems.length > 0) return ExitCode.FINDINGS;
  return collected.warnings.length > 0 ? ExitCode.PARTIAL : ExitCode.OK;
}
