import { asArray, asNumber, asRecord, asString, getPath, type JsonRecord } from "../common/json-access";

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
  readonly counts: { readonly pods: number; readonly jobs: number; readonly events: number; readonly deployments: number; readonly logLines: number };
}

export function componentOf(name: string, labels: JsonRecord = {}): Component {
  const appName = asString(labels["app.kubernetes.io/name"]) ?? asString(labels["app"]) ?? "";
  const bare = name.includes("/") ? name.slice(name.lastIndexOf("/") + 1) : name;
  if (appName === "node-collector" || bare.startsWith("node-collector")) return "node-collector";
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
  private readonly counts = { pods: 0, jobs: 0, events: 0, deployments: 0 };

  add(object: unknown): void {
    const { signals, completedScanJobsWithTtl, counts } = this;
    const record = asRecord(object);
    if (!record) return;
    const kind = asString(record["kind"]);
    const name = asString(getPath(record, "metadata", "name")) ?? "";
    const labels = asRecord(getPath(record, "metadata", "labels")) ?? {};
    const component = componentOf(name, labels);
    if (kind === "Pod") {
      counts.pods++;
      if (component === "operator") this.operatorPods.push(name);
      for (const status of [...asArray(getPath(record, "status", "initContainerStatuses")), ...asArray(getPath(record, "status", "containerStatuses"))]) {
        const container = asString(asRecord(status)?.["name"]) ?? "";
        for (const [path, label] of [[["state", "terminated"], "terminated"], [["lastState", "terminated"], "last terminated"], [["state", "waiting"], "waiting"]] as const) {
          const state = asRecord(getPath(status, ...path));
          const reason = asString(state?.["reason"]);
          if (!state || !reason || reason === "Completed" || reason === "ContainerCreating" || reason === "PodInitializing") continue;
          signals.push({ origin: "pod", component, subject: `Pod ${name}`, container, reason, message: asString(state["message"]) ?? "", location: `containerStatuses: ${label}` });
        }
      }
      for (const condition of asArray(getPath(record, "status", "conditions"))) {
        const entry = asRecord(condition);
        if (asString(entry?.["type"]) === "PodScheduled" && asString(entry?.["status"]) === "False") {
          signals.push({ origin: "pod", component, subject: `Pod ${name}`, reason: asString(entry?.["reason"]) ?? "Unschedulable", message: asString(entry?.["message"]) ?? "", location: "condition PodScheduled=False" });
        }
      }
    } else if (kind === "Job") {
      counts.jobs++;
      for (const condition of asArray(getPath(record, "status", "conditions"))) {
        const entry = asRecord(condition);
        if (asString(entry?.["type"]) === "Failed" && asString(entry?.["status"]) === "True") {
          signals.push({ origin: "job", component, subject: `Job ${name}`, reason: asString(entry?.["reason"]) ?? "Failed", message: asString(entry?.["message"]) ?? "", location: "condition Failed" });
        }
      }
      const succeeded = (asNumber(getPath(record, "status", "succeeded")) ?? 0) > 0 || asArray(getPath(record, "status", "conditions")).some((condition) => asString(asRecord(condition)?.["type"]) === "Complete" && asString(asRecord(condition)?.["status"]) === "True");
      if (component === "scan-job" && succeeded && asNumber(getPath(record, "spec", "ttlSecondsAfterFinished")) !== undefined) completedScanJobsWithTtl.push(name);
    } else if (kind === "Event") {
      counts.events++;
      const involved = asRecord(record["involvedObject"]) ?? {};
      const involvedName = asString(involved["name"]) ?? "";
      const reason = asString(record["reason"]) ?? "";
      if (asString(record["type"]) === "Normal" && reason !== "FailedScheduling") return;
      signals.push({ origin: "event", component: componentOf(involvedName), subject: `${asString(involved["kind"]) ?? "Object"} ${involvedName}`, reason, message: asString(record["message"]) ?? "", location: `Event ${reason}` });
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
    const operatorDeploymentFound = this.counts.deployments > 0 && this.operatorDeploymentFound === undefined ? false : this.operatorDeploymentFound;
    return {
      signals: [...this.signals],
      completedScanJobsWithTtl: [...this.completedScanJobsWithTtl],
      scanJobsConcurrentLimit: this.scanJobsConcurrentLimit,
      operatorDeploymentFound,
      operatorPods: [...this.operatorPods],
      counts: { ...this.counts },
    };
  }
}

/** Splits a `kubectl get pods,jobs,events,deployments -o json` answer (a List's items, or separate objects) into signals. */
export function signalsFromObjects(objects: readonly unknown[]): ObjectEvidence {
  const collector = new ObjectEvidenceCollector();
  for (const object of objects) collector.add(object);
  return collector.result();
}

/**
 * Operator logs are zap JSON lines (`{"level":"error","msg":"Scan job container","job":…,"status.reason":…}`);
 * plain-text lines (a scan pod's own `FATAL …` output) are kept as they are.
 */
export function signalsFromLog(text: string, logName: string): Signal[] {
  const signals: Signal[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const location = `${logName} line ${index + 1}`;
    let entry: JsonRecord | undefined;
    if (trimmed.startsWith("{")) {
      try {
        entry = asRecord(JSON.parse(trimmed));
      } catch {
        entry = undefined;
      }
    }
    if (!entry) {
      if (/error|fatal|fail/i.test(trimmed)) signals.push({ origin: "log", component: "other", subject: logName, reason: "", message: trimmed, location });
      return;
    }
    const level = asString(entry["level"]) ?? "";
    const job = asString(entry["job"]);
    const message = [asString(entry["msg"]), asString(entry["error"]), asString(entry["status.message"])].filter((part): part is string => Boolean(part)).join(": ");
    if (level !== "error" && level !== "warn" && level !== "fatal" && !entry["status.reason"] && !/error|fail/i.test(message)) return;
    signals.push({
      origin: "log",
      component: job ? componentOf(job) : "operator",
      subject: job ? `Job ${job}` : "operator",
      container: asString(entry["container"]),
      reason: asString(entry["status.reason"]) ?? "",
      message,
      location,
    });
  });
  return signals;
}
