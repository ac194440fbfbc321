import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ExitCode, UserError, type CliIo } from "../io";
import { ContextError, firstLine, resolveContext } from "../common/kube";
import { asArray, asRecord } from "../common/json-access";
import { signalsFromLog, signalsFromObjects, type DoctorEvidence, type Signal } from "./evidence";
import { clientNodeDoctorApi, collectLiveEvidence, type DoctorApi } from "./live";
import { renderDoctorJson, renderDoctorText, type DoctorReport } from "./render";
import { diagnose } from "./rules";

export const DOCTOR_USAGE = `usage: trivy-operator-cdktf doctor [--context NAME | --from FILE] [options]

Diagnoses failed scans: reads the operator namespace (Deployment, scan Jobs and Pods, Events,
operator logs) and prints each known problem with its cause and the setting of our module that fixes it.

Input (one of):
  --context NAME         live, from this kube context (default: the current context)
  --kubeconfig PATH      kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)
  --from FILE            captured: kubectl get pods,jobs,events,deployments -n trivy-system -o json > FILE
  --logs FILE            captured operator log (kubectl logs -n trivy-system deploy/trivy-operator > FILE); repeatable

Options:
  --namespace NS         operator namespace (default trivy-system)
  --format text|json     output (default text)
  --scan-jobs-limit N    operator.scanJobsConcurrentLimit, when it cannot be read from the Deployment (default 2, the module default)
  --tail N               live: operator log lines to read (default 5000)

Exit codes: 0 no problem found; 1 problems found; 2 usage error or no input readable;
3 no problem found, but some input could not be read (printed as warnings).`;

/** Test seam: how a context becomes the API doctor reads from. */
export type DoctorApiFactory = (context: string | undefined, kubeconfig: string | undefined) => Promise<{ api: DoctorApi; context: string }>;

const defaultApiFactory: DoctorApiFactory = async (context, kubeconfig) => {
  const resolved = await resolveContext(context, kubeconfig);
  return { api: clientNodeDoctorApi(resolved), context: resolved.context };
};

function readJsonObjects(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(`--from ${path}: cannot read (${firstLine(error)})`);
  }
  if (text.trim() === "") throw new UserError(`--from ${path}: empty file; expected the output of kubectl get pods,jobs,events,deployments -o json`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UserError(`--from ${path}: not valid JSON (${firstLine(error)}); expected kubectl … -o json output`);
  }
  const record = asRecord(document);
  if (Array.isArray(record?.["items"])) return [...asArray(record?.["items"])];
  if (Array.isArray(document)) return [...document];
  return [document];
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
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UserError(`${firstLine(error)}\n${DOCTOR_USAGE}`);
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(`${DOCTOR_USAGE}\n`);
    return ExitCode.OK;
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json") throw new UserError(`--format: "${format}" is not one of text, json`);
  if (values.from !== undefined && values.context !== undefined) throw new UserError("give either --from (captured files) or --context (live), not both");
  const namespace = values.namespace ?? "trivy-system";
  const scanJobsLimit = values["scan-jobs-limit"] === undefined ? undefined : Number(values["scan-jobs-limit"]);
  if (scanJobsLimit !== undefined && (!Number.isInteger(scanJobsLimit) || scanJobsLimit < 1)) throw new UserError(`--scan-jobs-limit: "${values["scan-jobs-limit"]}" is not a positive integer`);
  const tail = values.tail === undefined ? 5000 : Number(values.tail);
  if (!Number.isInteger(tail) || tail < 1) throw new UserError(`--tail: "${values.tail}" is not a positive integer`);

  const warnings: string[] = [];
  const notes: string[] = [];
  let objects: readonly unknown[] = [];
  const logSignals: Signal[] = [];
  let logLines = 0;
  let source: string;

  const addLog = (name: string, text: string): void => {
    logLines += text.split(/\r?\n/).filter((line) => line.trim() !== "").length;
    logSignals.push(...signalsFromLog(text, name));
  };

  if (values.from !== undefined || (values.logs !== undefined && values.context === undefined)) {
    source = [values.from, ...(values.logs ?? [])].filter(Boolean).join(" + ");
    if (values.from !== undefined) objects = readJsonObjects(values.from);
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
    const live = await collectLiveEvidence(connection.api, namespace, tail);
    objects = live.objects;
    for (const log of live.logs) addLog(log.name, log.text);
    warnings.push(...live.problems.map((problem) => `context ${connection.context}: ${problem}`));
    if (live.objects.length === 0 && live.logs.length === 0 && live.problems.length > 0) {
      for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
      io.stderr.write("doctor: nothing could be read; no diagnosis\n");
      return ExitCode.USAGE;
    }
  }

  const fromObjects = signalsFromObjects(objects);
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
