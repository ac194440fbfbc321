import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ExitCode, UserError, type CliIo } from "../io";
import { ContextError, firstLine, resolveContext } from "../common/kube";
import { asArray, asRecord } from "../common/json-access";
import { positiveInteger, readJsonFile } from "../common/options";
import { signalsFromLog, signalsFromObjects, type DoctorEvidence, type ObjectEvidence, type Signal } from "./evidence";
import { clientNodeDoctorApi, collectLiveEvidence, type DoctorApi } from "./live";
import { renderDoctorJson, renderDoctorText, type DoctorReport } from "./render";
import { diagnose } from "./rules";

export const DOCTOR_USAGE = `usage: trivy-operator-cdktf doctor [--context NAME | --from FILE] [options]

Diagnoses failed scans: reads the operator namespace (Deployment, scan Jobs and Pods, Events,
operator logs) and prints each known problem with its cause and the setting of our module that fixes it.

Input (live by default):
  --context NAME         live, from this kube context (default: the kubeconfig's current context)
  --kubeconfig PATH      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)
  --from FILE            captured: kubectl get pods,jobs,events,deployments -n trivy-system -o json > FILE
  --logs FILE            captured operator log (kubectl logs -n trivy-system deploy/trivy-operator > FILE);
                         repeatable; with --from or alone, not with --context (live runs read the logs)

Options:
  -n, --namespace NS     operator namespace (default trivy-system)
  -f, --format F         text (default) | json
  --scan-jobs-limit N    operator.scanJobsConcurrentLimit, when it cannot be read from the Deployment (default 2, the module default)
  --tail N               live: operator log lines to read per operator pod (default 5000)
  --page-size N          live: objects per API list call (default 500)
  -h, --help             show this help

Exit codes: 0 no problem found; 1 problems found; 2 usage error or no input readable;
3 no problem found, but some input could not be read (printed as "warning:" lines on stderr).`;

/** Test seam: how a context becomes the API doctor reads from. */
export type DoctorApiFactory = (context: string | undefined, kubeconfig: string | undefined) => Promise<{ api: DoctorApi; context: string }>;

const defaultApiFactory: DoctorApiFactory = async (context, kubeconfig) => {
  const resolved = await resolveContext(context, kubeconfig);
  return { api: clientNodeDoctorApi(resolved), context: resolved.context };
};

/** The objects of a captured `kubectl get … -o json`: a List's items, a bare array, or one object. */
function readCapturedObjects(path: string): readonly unknown[] {
  const document = readJsonFile(path, "--from", "the output of kubectl get pods,jobs,events,deployments -n <namespace> -o json");
  const items = asRecord(document)?.["items"];
  if (Array.isArray(items)) return asArray(items);
  return Array.isArray(document) ? asArray(document) : [document];
}

export async function runDoctorCommand(argv: string[], io: CliIo, apiFactory: DoctorApiFactory = defaultApiFactory): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        context: { type: "string" },
        kubeconfig: { type: "string" },
        from: { type: "string" },
        logs: { type: "string", multiple: true },
        namespace: { type: "string", short: "n" },
        format: { type: "string", short: "f" },
        "scan-jobs-limit": { type: "string" },
        tail: { type: "string" },
        "page-size": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UserError(`${firstLine(error)}; see trivy-operator-cdktf doctor --help`);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(`${DOCTOR_USAGE}\n`);
    return ExitCode.OK;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json") throw new UserError(`--format: "${format}" is not one of text, json`);
  if (values.from !== undefined && values.context !== undefined) throw new UserError("give either --from (captured files) or --context (live), not both");
  // Live runs read the operator logs themselves; silently ignoring a given log file would hide evidence.
  if (values.logs !== undefined && values.context !== undefined) throw new UserError("--logs goes with captured input (--from, or alone), not with --context: a live run reads the operator pod logs itself");
  const namespace = values.namespace ?? "trivy-system";
  const scanJobsLimit = values["scan-jobs-limit"] === undefined ? undefined : positiveInteger(values["scan-jobs-limit"], 0, "--scan-jobs-limit");
  const tail = positiveInteger(values.tail, 5000, "--tail");
  const pageSize = positiveInteger(values["page-size"], 500, "--page-size");

  const warnings: string[] = [];
  const notes: string[] = [];
  let objectEvidence: ObjectEvidence = signalsFromObjects([]);
  const logSignals: Signal[] = [];
  let logLines = 0;
  let source: string;

  const addLog = (name: string, text: string): void => {
    logLines += text.split(/\r?\n/).filter((line) => line.trim() !== "").length;
    logSignals.push(...signalsFromLog(text, name));
  };

  if (values.from !== undefined || (values.logs !== undefined && values.context === undefined)) {
    source = [values.from, ...(values.logs ?? [])].filter(Boolean).join(" + ");
    if (values.from !== undefined) objectEvidence = signalsFromObjects(readCapturedObjects(values.from));
    else notes.push("no --from file: only the log rules ran");
    for (const logFile of values.logs ?? []) {
      try {
        addLog(logFile, readFileSync(logFile, "utf8"));
      } catch (error) {
        warnings.push(`--logs ${logFile}: cannot read (${firstLine(error)}); log rules skipped for it`);
      }
    }
    if (!values.logs) notes.push("no --logs file: rules that need the operator log (OOMKilled scan containers, TOOMANYREQUESTS, API server, Windows images) only saw Pods, Jobs and Events");
  } else {
    let connection;
    try {
      connection = await apiFactory(values.context, values.kubeconfig);
    } catch (error) {
      if (error instanceof ContextError) throw new UserError(error.message);
      throw error;
    }
    source = `context ${connection.context}`;
    const live = await collectLiveEvidence(connection.api, { namespace, tailLines: tail, pageSize });
    objectEvidence = live.objects;
    for (const log of live.logs) addLog(log.name, log.text);
    warnings.push(...live.problems.map((problem) => `context ${connection.context}: ${problem}`));
    const objectsRead = Object.values(live.objects.counts).reduce((sum, count) => sum + count, 0);
    if (objectsRead === 0 && live.logs.length === 0 && live.problems.length > 0) {
      for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
      io.stderr.write("doctor: nothing could be read; no diagnosis\n");
      return ExitCode.USAGE;
    }
  }

  const fromObjects = objectEvidence;
  const evidence: DoctorEvidence = {
    namespace,
    signals: [...fromObjects.signals, ...logSignals],
    completedScanJobsWithTtl: fromObjects.completedScanJobsWithTtl,
    scanJobsConcurrentLimit: fromObjects.scanJobsConcurrentLimit ?? scanJobsLimit,
    operatorDeploymentFound: fromObjects.operatorDeploymentFound,
    counts: { ...fromObjects.counts, logLines },
  };
  const problems = diagnose(evidence);
  const report: DoctorReport = { namespace, source, problems, inspected: evidence.counts, warnings, notes };
  io.stdout.write(format === "json" ? renderDoctorJson(report) : renderDoctorText(report));
  for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
  if (problems.length > 0) return ExitCode.FINDINGS;
  return warnings.length > 0 ? ExitCode.PARTIAL : ExitCode.OK;
}
