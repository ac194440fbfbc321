import { asArray, asNumber, asRecord, asString, getPath, type JsonRecord } from "../common/json-access";
import { withoutColour } from "./messages";

/** Which Trivy component an object or log line belongs to; rules care (a taint on a scan job and on the node collector have different fixes). */
export type Component = "scan-job" | "node-collector" | "operator" | "trivy-server" | "other";

/**
 * One observation, whatever its origin: an operator log line, a container's termination, a Job
 * condition or an Event. Rules match on these, so each rule is written once for live and captured input.
 */
export interface Signal {
  readonly origin: "log" | "pod" | "job" | "event";
  readonly component: Component;
  /** Job, Pod or log `job` field, e.g. `trivy-system/scan-vulnerabilityreport-5c498d8bc6`. */
  readonly subject: string;
  readonly container?: string;
  /** The scan or node-collector Job the signal is about (`scan-vulnerabilityreport-5c498d8bc6`), when known. */
  readonly job?: string;
  /** The namespace of that Job, where the operator log names it (`job: "<namespace>/<name>"`). */
  readonly jobNamespace?: string;
  /** The operator's logger (`reconciler.scan job`, `policyLoader.Get misconfig bundle policies`) for log entries. */
  readonly logger?: string;
  /** `OOMKilled`, `CrashLoopBackOff`, `DeadlineExceeded`, `FailedScheduling`, … */
  readonly reason: string;
  readonly message: string;
  /** Where it came from, for the user: `operator.log line 12`, `Event …`. */
  readonly location: string;
}

export interface DoctorEvidence {
  readonly namespace: string;
  readonly signals: readonly Signal[];
  /** Completed scan Jobs that carry `ttlSecondsAfterFinished` (kept around, still counted by the limit checker). */
  readonly completedScanJobsWithTtl: readonly string[];
  /** From the operator Deployment's env when visible; else the caller's `--scan-jobs-limit`. */
  readonly scanJobsConcurrentLimit: number | undefined;
  readonly operatorDeploymentFound: boolean | undefined;
  /** Scan Jobs, their Pods and Events about either: with none, a namespace without the operator Deployment is a finding. */
  readonly scanJobObjects: number;
  readonly counts: InspectedCounts;
}

/** What doctor read: objects by kind, log lines, and how many of those lines were log entries it understands. */
export interface InspectedCounts {
  readonly pods: number;
  readonly jobs: number;
  readonly events: number;
  readonly deployments: number;
  readonly logLines: number;
  readonly logEntries: number;
}

export function componentOf(name: string, labels: JsonRecord = {}): Component {
  const appName = asString(labels["app.kubernetes.io/name"]) ?? asString(labels["app"]) ?? "";
  const bare = name.includes("/") ? name.slice(name.lastIndexOf("/") + 1) : name;
  // The node-collector Job carries `node-info.collector: Trivy`, its pod `app: node-collector` (trivy-kubernetes pkg/jobs/builder.go).
  if (appName === "node-collector" || labels["node-info.collector"] !== undefined || bare.startsWith("node-collector"))
    return "node-collector";
  if (appName === "trivy-server" || bare.startsWith("trivy-server")) return "trivy-server";
  if (labels["vulnerabilityReport.scanner"] !== undefined || bare.startsWith("scan-")) return "scan-job";
  if (appName === "trivy-operator" || bare.startsWith("trivy-operator")) return "operator";
  return "other";
}

/** What the namespace's objects say, before the logs are added. */
export interface ObjectEvidence {
  readonly signals: readonly Signal[];
  readonly completedScanJobsWithTtl: readonly string[];
  readonly scanJobsConcurrentLimit: number | undefined;
  readonly operatorDeploymentFound: boolean | undefined;
  /** Scan Jobs, their Pods and Events about either. */
  readonly scanJobObjects: number;
  /** Names of the operator's Pods, whose logs a live run reads. */
  readonly operatorPods: readonly string[];
  readonly counts: { readonly pods: number; readonly jobs: number; readonly events: number; readonly deployments: number };
}

/**
 * Folds Pods, Jobs, Events and Deployments into signals one object at a time, so a live run can
 * drop each page after reading it: memory grows with the signals (failures), not with the namespace.
 */
export class ObjectEvidenceCollector {
  private readonly signals: Signal[] = [];
  private readonly completedScanJobsWithTtl: string[] = [];
  private readonly operatorPods: string[] = [];
  private scanJobsConcurrentLimit: number | undefined;
  private operatorDeploymentFound: boolean | undefined;
  private scanJobObjects = 0;
  private readonly counts = { pods: 0, jobs: 0, events: 0, deployments: 0 };

  /** @param homeNamespace objects elsewhere (doctor --all-namespaces) are named `namespace/name`. */
  constructor(private readonly homeNamespace?: string) {}

  /** `name`, or `namespace/name` for an object outside the home namespace. */
  private shown(name: string, namespace: string | undefined): string {
    return this.homeNamespace !== undefined && namespace !== undefined && namespace !== this.homeNamespace ? `${namespace}/${name}` : name;
  }

  add(object: unknown): void {
    const { signals, completedScanJobsWithTtl, counts } = this;
    const record = asRecord(object);
    if (!record) return;
    const kind = asString(record["kind"]);
    const name = asString(getPath(record, "metadata", "name")) ?? "";
    const labels = asRecord(getPath(record, "metadata", "labels")) ?? {};
    const component = componentOf(name, labels);
    const shownName = this.shown(name, asString(getPath(record, "metadata", "namespace")));
    if ((kind === "Pod" || kind === "Job") && component === "scan-job") this.scanJobObjects++;
    if (kind === "Pod") {
      counts.pods++;
      const job = asString(labels["job-name"]) ?? asString(labels["batch.kubernetes.io/job-name"]) ?? jobOfPod(name);
      if (component === "operator") this.operatorPods.push(name);
      for (const status of [
        ...asArray(getPath(record, "status", "initContainerStatuses")),
        ...asArray(getPath(record, "status", "containerStatuses")),
      ]) {
        const container = asString(asRecord(status)?.["name"]) ?? "";
        for (const [path, label] of [
          [["state", "terminated"], "terminated"],
          [["lastState", "terminated"], "last terminated"],
          [["state", "waiting"], "waiting"],
        ] as const) {
          const state = asRecord(getPath(status, ...path));
          const reason = asString(state?.["reason"]);
          if (!state || !reason || reason === "Completed" || reason === "ContainerCreating" || reason === "PodInitializing") continue;
          signals.push({
            origin: "pod",
            component,
            subject: `Pod ${shownName}`,
            container,
            job,
            reason,
            message: asString(state["message"]) ?? "",
            location: `containerStatuses: ${label}`,
          });
        }
      }
      for (const condition of asArray(getPath(record, "status", "conditions"))) {
        const entry = asRecord(condition);
        if (asString(entry?.["type"]) === "PodScheduled" && asString(entry?.["status"]) === "False") {
          signals.push({
            origin: "pod",
            component,
            subject: `Pod ${shownName}`,
            job,
            reason: asString(entry?.["reason"]) ?? "Unschedulable",
            message: asString(entry?.["message"]) ?? "",
            location: "condition PodScheduled=False",
          });
        }
      }
    } else if (kind === "Job") {
      counts.jobs++;
      for (const condition of asArray(getPath(record, "status", "conditions"))) {
        const entry = asRecord(condition);
        if (asString(entry?.["type"]) === "Failed" && asString(entry?.["status"]) === "True") {
          signals.push({
            origin: "job",
            component,
            subject: `Job ${shownName}`,
            job: name,
            reason: asString(entry?.["reason"]) ?? "Failed",
            message: asString(entry?.["message"]) ?? "",
            location: "condition Failed",
          });
        }
      }
      const succeeded =
        (asNumber(getPath(record, "status", "succeeded")) ?? 0) > 0 ||
        asArray(getPath(record, "status", "conditions")).some(
          (condition) => asString(asRecord(condition)?.["type"]) === "Complete" && asString(asRecord(condition)?.["status"]) === "True",
        );
      if (component === "scan-job" && succeeded && asNumber(getPath(record, "spec", "ttlSecondsAfterFinished")) !== undefined)
        completedScanJobsWithTtl.push(name);
    } else if (kind === "Event") {
      counts.events++;
      const involved = asRecord(record["involvedObject"]) ?? {};
      const involvedName = asString(involved["name"]) ?? "";
      const reason = asString(record["reason"]) ?? "";
      const involvedComponent = componentOf(involvedName);
      if (involvedComponent === "scan-job") this.scanJobObjects++;
      if (asString(record["type"]) === "Normal" && reason !== "FailedScheduling") return;
      const involvedKind = asString(involved["kind"]) ?? "Object";
      const count = asNumber(record["count"]) ?? asNumber(getPath(record, "series", "count"));
      signals.push({
        origin: "event",
        component: involvedComponent,
        subject: `${involvedKind} ${this.shown(involvedName, asString(involved["namespace"]) ?? asString(getPath(record, "metadata", "namespace")))}`,
        job: involvedKind === "Job" ? involvedName : involvedKind === "Pod" ? jobOfPod(involvedName) : undefined,
        reason,
        message: asString(record["message"]) ?? "",
        location: `Event ${reason}${count !== undefined && count > 1 ? ` (×${count})` : ""}`,
      });
    } else if (kind === "Deployment") {
      counts.deployments++;
      if (component !== "operator") return;
      this.operatorDeploymentFound = true;
      for (const container of asArray(getPath(record, "spec", "template", "spec", "containers"))) {
        for (const env of asArray(asRecord(container)?.["env"])) {
          if (asString(asRecord(env)?.["name"]) === "OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT") {
            const value = Number(asString(asRecord(env)?.["value"]));
            if (Number.isInteger(value) && value > 0) this.scanJobsConcurrentLimit = value;
          }
        }
      }
    }
  }

  result(): ObjectEvidence {
    // Deployments were seen but none is the operator's: that is a finding, unlike seeing no Deployments at all.
    const operatorDeploymentFound =
      this.counts.deployments > 0 && this.operatorDeploymentFound === undefined ? false : this.operatorDeploymentFound;
    return {
      signals: [...this.signals],
      completedScanJobsWithTtl: [...this.completedScanJobsWithTtl],
      scanJobsConcurrentLimit: this.scanJobsConcurrentLimit,
      operatorDeploymentFound,
      scanJobObjects: this.scanJobObjects,
      operatorPods: [...this.operatorPods],
      counts: { ...this.counts },
    };
  }
}

/** Splits a `kubectl get pods,jobs,events,deployments -o json` answer (a List's items, or separate objects) into signals. */
export function signalsFromObjects(objects: readonly unknown[], homeNamespace?: string): ObjectEvidence {
  const collector = new ObjectEvidenceCollector(homeNamespace);
  for (const object of objects) collector.add(object);
  return collector.result();
}

/** What one line of a captured or live log says, once `kubectl logs` decorations are removed. */
export interface LogLine {
  /** `kubectl logs --prefix`: `[pod/<pod>/<container>] `. */
  readonly pod?: string;
  readonly podContainer?: string;
  /** A structured entry (zap JSON, or zap/Trivy console `time<TAB>LEVEL<TAB>…`); undefined for plain text. */
  readonly entry?: LogEntry;
  /** The line without the decorations. */
  readonly text: string;
}

/** The fields of a controller-runtime zap entry doctor reads (same names in JSON and console form). */
export interface LogEntry {
  readonly level: string;
  readonly logger?: string;
  readonly msg: string;
  readonly fields: JsonRecord;
}

const KUBECTL_PREFIX = /^\[pod\/([^/\]\s]+)\/([^\]\s]+)\] /;
/** `kubectl logs --timestamps` puts RFC 3339 (nano) time and one space before each line. */
const KUBECTL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}) /;
/**
 * zap's console encoder (the operator with `operator.logDevMode: true`, and Trivy's own output):
 * `2025-03-19T02:09:27Z<TAB>ERROR<TAB>policyLoader.Get misconfig bundle policies<TAB>failed to load policies<TAB>{"error": …}`
 * (real line: aquasecurity/trivy-operator#2220).
 */
const CONSOLE_ENTRY = /^\S+\t(DEBUG|INFO|WARN|ERROR|DPANIC|PANIC|FATAL)\t(.*)$/;
/** A frame of a Go stack trace (`github.com/…/controller.(*ScanJobController).completedContainers`) or its `\t/path/file.go:353` line. */
const STACK_FRAME = /^\s+\/\S+\.go:\d+$|^[\w.-]+(?:\/[\w.-]+)+\.[\w.()*[\]]+$/;

/**
 * Removes what `kubectl logs --prefix` and `--timestamps` add (in either order, as kubectl prints
 * `[pod/…] <time> <line>`), then recognises zap JSON and console entries. Same diagnosis for
 * `kubectl logs`, `kubectl logs --timestamps` and `kubectl logs --prefix` captures.
 */
export function parseLogLine(raw: string): LogLine {
  let text = raw.replace(/\r$/, "");
  let pod: string | undefined;
  let podContainer: string | undefined;
  for (let changed = true; changed;) {
    changed = false;
    const prefix = KUBECTL_PREFIX.exec(text);
    if (prefix && pod === undefined) {
      pod = prefix[1];
      podContainer = prefix[2];
      text = text.slice(prefix[0].length);
      changed = true;
    }
    const timestamp = KUBECTL_TIMESTAMP.exec(text);
    if (timestamp) {
      text = text.slice(timestamp[0].length);
      changed = true;
    }
  }
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    const record = tryJson(trimmed);
    if (record && (typeof record["msg"] === "string" || typeof record["level"] === "string")) {
      return {
        pod,
        podContainer,
        text: trimmed,
        entry: {
          level: (asString(record["level"]) ?? "").toLowerCase(),
          logger: asString(record["logger"]),
          msg: asString(record["msg"]) ?? "",
          fields: record,
        },
      };
    }
  }
  const consoleEntry = CONSOLE_ENTRY.exec(withoutColour(text));
  if (consoleEntry) {
    const parts = (consoleEntry[2] ?? "").split("\t");
    const tail = parts.length > 1 ? tryJson(parts.at(-1) ?? "") : undefined;
    const words = tail ? parts.slice(0, -1) : parts;
    // With key-values (a JSON tail) controller-runtime writes `logger<TAB>msg`; Trivy writes `msg<TAB>detail`.
    const [logger, msg] = tail && words.length > 1 ? [words[0], words.slice(1).join(": ")] : [undefined, words.join(": ")];
    return {
      pod,
      podContainer,
      text: trimmed,
      entry: { level: (consoleEntry[1] ?? "").toLowerCase(), logger, msg: msg ?? "", fields: tail ?? {} },
    };
  }
  return { pod, podContainer, text: trimmed };
}

function tryJson(text: string): JsonRecord | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Signals of one log, and how much of it was a log doctor understands. */
export interface LogEvidence {
  readonly signals: readonly Signal[];
  /** Non-blank lines read. */
  readonly lines: number;
  /** Lines that are zap (operator) or Trivy console entries: 0 means the file was not such a log. */
  readonly entries: number;
}

/**
 * The operator's own entries (`{"level":"error","logger":"reconciler.scan job","msg":"Scan job container",
 * "job":…,"container":…,"status.reason":…,"status.message":…}`, written by trivy-operator v0.32.0
 * pkg/vulnerabilityreport/controller/scanjob.go completedContainers: Error level, or Info for an image
 * with no linux platform), console entries of the same, and plain-text lines of scan pods (`FATAL …`).
 */
export function readLog(text: string, logName: string): LogEvidence {
  const signals: Signal[] = [];
  let lines = 0;
  let entries = 0;
  // An error may span lines: Trivy prints `FATAL …: 4 errors occurred:` then indented `\t* remote error: GET …` lines.
  let open: { signal: Signal; pod: string | undefined } | undefined;
  const close = (): void => {
    if (open) signals.push(open.signal);
    open = undefined;
  };
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    lines++;
    const line = parseLogLine(raw);
    const location = `${logName} line ${index + 1}`;
    const fromPod = line.pod ? componentOf(line.pod) : undefined;
    const podSubject = line.pod ? `Pod ${line.pod}` : undefined;
    const podJob = line.pod ? jobOfPod(line.pod) : undefined;
    const entry = line.entry;
    if (!entry) {
      const undecorated = stripDecorations(raw);
      if (STACK_FRAME.test(undecorated)) return close();
      if (open && open.pod === line.pod && /^\s/.test(undecorated)) {
        open.signal = { ...open.signal, message: `${open.signal.message}\n${line.text}` };
        return;
      }
      close();
      if (/error|fatal|fail/i.test(line.text))
        open = {
          pod: line.pod,
          signal: {
            origin: "log",
            component: fromPod ?? "other",
            subject: podSubject ?? logName,
            container: line.podContainer,
            job: podJob,
            reason: "",
            message: line.text,
            location,
          },
        };
      return;
    }
    close();
    entries++;
    const { fields } = entry;
    const job = asString(fields["job"]);
    const reason = asString(fields["status.reason"]);
    const message = [entry.msg, asString(fields["error"]), asString(fields["status.message"])]
      .filter((part): part is string => Boolean(part))
      .join(": ");
    if (!["error", "warn", "fatal", "dpanic", "panic"].includes(entry.level) && !reason && !/error|fail/i.test(message)) return;
    const bareJob = job?.slice(job.lastIndexOf("/") + 1);
    const jobNamespace = job?.includes("/") ? job.slice(0, job.lastIndexOf("/")) : undefined;
    // Without a `job` field: the operator's own entry (JSON, or console with a logger), or Trivy's console output.
    const unattributed: Component = entry.logger !== undefined || line.text.startsWith("{") ? "operator" : "other";
    open = {
      pod: line.pod,
      signal: {
        origin: "log",
        component: job ? componentOf(job) : (fromPod ?? unattributed),
        subject: job ? `Job ${job}` : (podSubject ?? (unattributed === "operator" ? "operator" : logName)),
        container: asString(fields["container"]) ?? (job ? undefined : line.podContainer),
        job: bareJob ?? podJob,
        jobNamespace,
        logger: entry.logger,
        reason: reason ?? "",
        message,
        location,
      },
    };
  });
  close();
  return { signals, lines, entries };
}

function stripDecorations(raw: string): string {
  let text = raw.replace(/\r$/, "");
  for (let before = ""; before !== text;) {
    before = text;
    text = text.replace(KUBECTL_PREFIX, "").replace(KUBECTL_TIMESTAMP, "");
  }
  return text;
}

/** `scan-vulnerabilityreport-5c498d8bc6-qz7mn` → `scan-vulnerabilityreport-5c498d8bc6` (a Job's pod adds 5 characters). */
export function jobOfPod(pod: string): string | undefined {
  const match = /^((?:scan-|node-collector-)[\w-]+)-[a-z0-9]{5}$/.exec(pod);
  return match?.[1];
}
