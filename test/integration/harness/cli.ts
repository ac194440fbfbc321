import { join } from "node:path";
import type { CommandResult } from "./command-runner";
import type { PlannedCommand } from "./deploy-stack";

/**
 * The product's `report` and `doctor` commands run the way a user runs them: the BUILT bin
 * (`package.json` "bin" → dist/cli/main.js) under node, against the run's kubeconfig and context.
 * Building argv and judging the JSON are pure, so they are unit-tested offline.
 */

/** `package.json` "bin" of `trivy-operator-cdktf`, relative to the repository root. */
export const CLI_ENTRY = join("dist", "cli", "main.js");

/**
 * What `npm run build` runs (`tsc -p tsconfig.build.json`), as node + the TypeScript compiler script:
 * no npm and no shell, so a developer's stale dist/ never gets tested. `npm ci` in CI already ran
 * it through `prepare`; running it again costs a few seconds.
 */
export function cliBuildCommand(repoRoot: string): PlannedCommand {
  return {
    description: "build the CLI (npm run build: tsc -p tsconfig.build.json → dist/cli/main.js)",
    file: process.execPath,
    args: [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", join(repoRoot, "tsconfig.build.json")],
    cwd: repoRoot,
    env: {},
    timeoutMs: 3 * 60_000,
  };
}

export interface LiveCliTarget {
  readonly repoRoot: string;
  readonly kubeconfigPath: string;
  readonly kubeContext: string;
}

/** `node dist/cli/main.js report --kubeconfig … --context … --format …`. */
export function reportCommand(target: LiveCliTarget, format: "json" | "table"): PlannedCommand {
  return {
    description: `report --format ${format} (live, context ${target.kubeContext})`,
    file: process.execPath,
    args: [
      join(target.repoRoot, CLI_ENTRY),
      "report",
      "--kubeconfig",
      target.kubeconfigPath,
      "--context",
      target.kubeContext,
      "--format",
      format,
    ],
    cwd: target.repoRoot,
    env: {},
    // A two-node cluster has a few dozen reports: one page per kind, seconds.
    timeoutMs: 2 * 60_000,
  };
}

/** `node dist/cli/main.js doctor --kubeconfig … --context … --namespace … --format …`. */
export function doctorCommand(target: LiveCliTarget, namespace: string, format: "json" | "text"): PlannedCommand {
  return {
    description: `doctor --namespace ${namespace} --format ${format} (live, context ${target.kubeContext})`,
    file: process.execPath,
    args: [
      join(target.repoRoot, CLI_ENTRY),
      "doctor",
      "--kubeconfig",
      target.kubeconfigPath,
      "--context",
      target.kubeContext,
      "--namespace",
      namespace,
      "--format",
      format,
    ],
    cwd: target.repoRoot,
    env: {},
    timeoutMs: 2 * 60_000,
  };
}

/** The outcome of a check: empty `problems` means it passed; each entry says what was wrong. */
export interface LiveCheck<T> {
  readonly problems: readonly string[];
  readonly parsed?: T;
}

function excerptOf(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 400 ? `${trimmed.slice(0, 400)}…` : trimmed;
}

function parseObject(result: CommandResult, what: string, problems: string[]): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(result.stdout);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    problems.push(`${what} printed JSON that is not an object`);
  } catch {
    problems.push(
      `${what} did not print JSON on stdout (exit ${result.exitCode ?? "signal"}); stderr: ${excerptOf(result.stderr) || "(empty)"}`,
    );
  }
  return undefined;
}

function numberAt(record: Record<string, unknown> | undefined, ...path: string[]): number | undefined {
  let current: unknown = record;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "number" ? current : undefined;
}

/** The fields of `report --format json` (cli/report/summary.ts) this check reads. */
export interface LiveReportSummary {
  readonly totals: { readonly critical: number };
  readonly vulnerabilityReports: number;
  readonly configAuditReports: number;
  readonly workloadNamespaceCritical: number | undefined;
}

/**
 * What the live report of the kind cluster must show once the three reports exist: exit 0 (no
 * warnings: every CRD is installed and the kind admin may list everything), at least one
 * VulnerabilityReport, critical vulnerabilities counted from the findings lists, the workload's
 * namespace (with its criticals) among the namespaces, and at least one ConfigAuditReport read.
 */
export function checkLiveReport(result: CommandResult, expected: { readonly workloadNamespace: string }): LiveCheck<LiveReportSummary> {
  const problems: string[] = [];
  if (result.exitCode !== 0) {
    problems.push(
      `report exited with ${result.exitCode ?? "a signal"}${result.timedOut ? " (timed out)" : ""}, expected 0 (3 = part of the input unreadable, 2 = nothing readable); stderr: ${excerptOf(result.stderr) || "(empty)"}`,
    );
  }
  const json = parseObject(result, "report --format json", problems);
  if (!json) return { problems };

  const critical = numberAt(json, "totals", "critical");
  const vulnerabilityReports = numberAt(json, "vulnerabilityReports");
  const configAuditReports = numberAt(json, "reportsByKind", "ConfigAuditReport") ?? 0;
  const namespaceRows = Array.isArray(json["byNamespace"]) ? (json["byNamespace"] as unknown[]) : [];
  const workloadRow = namespaceRows.find(
    (row): row is Record<string, unknown> =>
      typeof row === "object" && row !== null && (row as Record<string, unknown>)["namespace"] === expected.workloadNamespace,
  );
  const workloadNamespaceCritical = numberAt(workloadRow, "vulnerabilities", "critical");

  if (vulnerabilityReports === undefined || vulnerabilityReports < 1) {
    problems.push(`vulnerabilityReports is ${vulnerabilityReports ?? "missing"}, expected >= 1`);
  }
  if (critical === undefined || critical <= 0) {
    problems.push(`totals.critical is ${critical ?? "missing"}, expected > 0 (the vulnerable workload's image has critical CVEs)`);
  }
  if (!workloadRow) {
    const seen = namespaceRows.map((row) =>
      typeof row === "object" && row !== null ? String((row as Record<string, unknown>)["namespace"]) : "?",
    );
    problems.push(`namespace ${expected.workloadNamespace} is not in byNamespace (seen: ${seen.join(", ") || "none"})`);
  } else if (workloadNamespaceCritical === undefined || workloadNamespaceCritical <= 0) {
    problems.push(
      `byNamespace ${expected.workloadNamespace} has ${workloadNamespaceCritical ?? "no"} critical vulnerabilities, expected > 0`,
    );
  }
  if (configAuditReports < 1) {
    problems.push(
      `reportsByKind.ConfigAuditReport is ${configAuditReports}, expected >= 1 (reportsByKind: ${JSON.stringify(json["reportsByKind"] ?? {})})`,
    );
  }
  return {
    problems,
    parsed: {
      totals: { critical: critical ?? 0 },
      vulnerabilityReports: vulnerabilityReports ?? 0,
      configAuditReports,
      workloadNamespaceCritical,
    },
  };
}

/**
 * Doctor rules whose cause lies outside the stack, so a healthy `ci` stack may still show them:
 * - db-download-rate-limited: mirror.gcr.io throttling shared by every Trivy user;
 * - scan-deadline-exceeded / trivy-timeout: a slow shared runner (the Job deadline, or Trivy's own
 *   timeout, ends a scan that is only slow).
 * Every other rule is a problem the `ci` stack's settings exist to prevent (tolerations for the
 * tainted worker, 1500M scan memory, network policies that allow API server and DNS, no scanJobTTL,
 * the operator in trivy-system, no Windows or private images), so finding one fails the test.
 */
export const ENVIRONMENTAL_DOCTOR_RULES: ReadonlySet<string> = new Set([
  "db-download-rate-limited",
  "scan-deadline-exceeded",
  "trivy-timeout",
]);

/** The fields of `doctor --format json` (cli/doctor/render.ts) this check reads. */
export interface LiveDoctorSummary {
  readonly ruleIds: readonly string[];
  /** Found, but caused by the environment (ENVIRONMENTAL_DOCTOR_RULES): logged, not failed. */
  readonly environmental: readonly string[];
}

/**
 * What doctor must say about the healthy `ci` stack: it read the namespace live (the operator
 * Deployment, its pods and its log), and found no problem the stack is configured to prevent.
 * Exit 0 = no problem; exit 1 is accepted only when every problem is environmental; exit 2 (nothing
 * readable) and 3 (part unreadable, though the kind admin may read everything) fail.
 */
export function checkLiveDoctor(result: CommandResult, expected: { readonly namespace: string }): LiveCheck<LiveDoctorSummary> {
  const problems: string[] = [];
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    problems.push(
      `doctor exited with ${result.exitCode ?? "a signal"}${result.timedOut ? " (timed out)" : ""}, expected 0 (no problem) or 1 (problems listed); stderr: ${excerptOf(result.stderr) || "(empty)"}`,
    );
  }
  const json = parseObject(result, "doctor --format json", problems);
  if (!json) return { problems };

  if (json["namespace"] !== expected.namespace) {
    problems.push(`doctor inspected namespace ${String(json["namespace"])}, expected ${expected.namespace}`);
  }
  for (const [field, what] of [
    ["deployments", "the operator Deployment"],
    ["pods", "any pod"],
    ["logLines", "any operator log line"],
  ] as const) {
    const count = numberAt(json, "inspected", field);
    if (count === undefined || count < 1) {
      problems.push(`doctor did not read ${what} (inspected.${field} = ${count ?? "missing"}): it did not look at the live namespace`);
    }
  }
  const listed = Array.isArray(json["problems"]) ? (json["problems"] as unknown[]) : [];
  const found = listed.map((problem) => {
    const record = typeof problem === "object" && problem !== null ? (problem as Record<string, unknown>) : {};
    const occurrences = Array.isArray(record["occurrences"]) ? (record["occurrences"] as unknown[]) : [];
    const first = occurrences[0];
    const excerpt = typeof first === "object" && first !== null ? (first as Record<string, unknown>)["excerpt"] : undefined;
    return { ruleId: typeof record["ruleId"] === "string" ? record["ruleId"] : "?", excerpt: typeof excerpt === "string" ? excerpt : "" };
  });
  for (const problem of found.filter((candidate) => !ENVIRONMENTAL_DOCTOR_RULES.has(candidate.ruleId))) {
    problems.push(`doctor found ${problem.ruleId}, which the ci stack is configured to prevent: ${problem.excerpt}`);
  }
  if ((result.exitCode === 0) !== (found.length === 0) && (result.exitCode === 0 || result.exitCode === 1)) {
    problems.push(`doctor exit code ${result.exitCode} does not match its ${found.length} listed problem(s)`);
  }
  const ruleIds = found.map((problem) => problem.ruleId);
  return { problems, parsed: { ruleIds, environmental: ruleIds.filter((id) => ENVIRONMENTAL_DOCTOR_RULES.has(id)) } };
}
