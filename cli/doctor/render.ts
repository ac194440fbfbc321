import type { Problem } from "./rules";

export interface DoctorReport {
  readonly namespace: string;
  readonly source: string;
  readonly problems: readonly Problem[];
  readonly inspected: { readonly pods: number; readonly jobs: number; readonly events: number; readonly deployments: number; readonly logLines: number };
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

export function renderDoctorText(report: DoctorReport): string {
  const out: string[] = [];
  const { inspected } = report;
  out.push(`trivy-operator doctor — namespace ${report.namespace} (${report.source})`);
  out.push(`inspected ${inspected.pods} pod(s), ${inspected.jobs} job(s), ${inspected.events} event(s), ${inspected.deployments} deployment(s), ${inspected.logLines} operator log line(s)`);
  out.push("");
  if (report.problems.length === 0) out.push("No known problem found.");
  report.problems.forEach((problem, index) => {
    out.push(`${index + 1}. ${problem.title}  [${problem.ruleId}]`);
    out.push(`   cause: ${problem.cause}`);
    out.push(`   seen ${problem.occurrences.length} time(s):`);
    for (const occurrence of problem.occurrences.slice(0, 5)) out.push(`     - ${occurrence.subject} (${occurrence.location}): ${occurrence.excerpt}`);
    if (problem.occurrences.length > 5) out.push(`     … ${problem.occurrences.length - 5} more (--format json for all)`);
    for (const fix of problem.fixes) {
      out.push(`   fix: ${fix.moduleSetting}`);
      out.push(`        chart value: ${fix.chartValue}`);
      out.push(`        ${fix.advice}`);
    }
    out.push("");
  });
  for (const warning of report.warnings) out.push(`warning: ${warning}`);
  for (const note of report.notes) out.push(`note: ${note}`);
  return `${out.join("\n").trimEnd()}\n`;
}

export function renderDoctorJson(report: DoctorReport): string {
  const problems = report.problems.map((problem) => ({ ...problem, occurrences: problem.occurrences.map(({ subject, location, excerpt }) => ({ subject, location, excerpt })) }));
  return `${JSON.stringify({ ...report, problems }, null, 2)}\n`;
}
