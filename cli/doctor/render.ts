import type { InspectedCounts } from "./evidence";
import { printable } from "./messages";
import type { FailedScanJob, Problem } from "./rules";

export interface DoctorReport {
  readonly namespace: string;
  readonly source: string;
  readonly problems: readonly Problem[];
  /** Scan Jobs seen failing in what survives their deletion (events, operator log), and the rules that explained them. */
  readonly failedScanJobs: readonly FailedScanJob[];
  readonly inspected: InspectedCounts;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Why doctor reads events and logs for failed scans: trivy-operator v0.32.0
 * pkg/vulnerabilityreport/controller/scanjob.go reconcileJobs deletes a failed scan Job in the reconcile
 * that sees it fail, and completedContainers logs each failed container as `Scan job container`.
 */
export const DELETED_JOBS_NOTE =
  'the operator deletes a failed scan Job at once; what survives is its Events (BackoffLimitExceeded, DeadlineExceeded, pod events; kept about 1 h by the API server) and the operator\'s "Scan job container" log lines with status.reason/status.message';

export function inspectedLine(inspected: InspectedCounts): string {
  return `inspected ${inspected.pods} pod(s), ${inspected.jobs} job(s), ${inspected.events} event(s), ${inspected.deployments} deployment(s), ${inspected.logLines} operator log line(s) (${inspected.logEntries} log entries)`;
}

/** Names from captured files are untrusted too. */
const clean = printable;

export function renderDoctorText(report: DoctorReport): string {
  const out: string[] = [];
  out.push(`trivy-operator doctor — namespace ${clean(report.namespace)} (${clean(report.source)})`);
  out.push(inspectedLine(report.inspected));
  out.push(`failed scans: ${DELETED_JOBS_NOTE}`);
  if (report.failedScanJobs.length > 0) {
    out.push(`${report.failedScanJobs.length} scan Job(s) seen failing:`);
    for (const failed of report.failedScanJobs.slice(0, 10)) {
      out.push(
        `  - ${clean(failed.job)}: ${clean(failed.evidence.join(", "))} → ${failed.diagnosedBy.length > 0 ? failed.diagnosedBy.join(", ") : "not recognised"}`,
      );
    }
    if (report.failedScanJobs.length > 10) out.push(`  … ${report.failedScanJobs.length - 10} more (--format json for all)`);
  }
  out.push("");
  if (report.problems.length === 0) out.push("No known problem found in what was inspected.");
  report.problems.forEach((problem, index) => {
    out.push(`${index + 1}. ${problem.title}  [${problem.ruleId}]`);
    out.push(`   cause: ${problem.cause}`);
    out.push(`   seen ${problem.occurrences.length} time(s):`);
    for (const occurrence of problem.occurrences.slice(0, 5))
      out.push(`     - ${clean(occurrence.subject)} (${clean(occurrence.location)}): ${occurrence.excerpt}`);
    if (problem.occurrences.length > 5) out.push(`     … ${problem.occurrences.length - 5} more (--format json for all)`);
    for (const fix of problem.fixes) {
      out.push(`   fix: ${clean(fix.moduleSetting)}`);
      out.push(`        chart value: ${clean(fix.chartValue)}`);
      out.push(`        ${fix.advice}`);
    }
    out.push("");
  });
  for (const warning of report.warnings) out.push(`warning: ${clean(warning)}`);
  for (const note of report.notes) out.push(`note: ${note}`);
  return `${out.join("\n").trimEnd()}\n`;
}

export function renderDoctorJson(report: DoctorReport): string {
  const problems = report.problems.map((problem) => ({
    ...problem,
    occurrences: problem.occurrences.map(({ subject, location, excerpt, job }) => ({
      subject,
      location,
      excerpt,
      ...(job !== undefined ? { job } : {}),
    })),
  }));
  return `${JSON.stringify({ ...report, problems, failedScansNote: DELETED_JOBS_NOTE }, null, 2)}\n`;
}
