import { withoutControlCharacters } from "../../common/terminal";
import type { NormalizedReport } from "../normalize";

/** One row per finding occurrence (report × finding): written while reading, so CSV never holds the fleet in memory. */
export const CSV_HEADER = [
  "cluster",
  "namespace",
  "report_kind",
  "report_name",
  "workload",
  "container",
  "image",
  "finding_type",
  "id",
  "severity",
  "title",
  "package",
  "installed_version",
  "fixed_version",
  "fixable",
  "target",
];

/**
 * One RFC 4180 cell. Titles and targets come from third-party advisories and images, so a cell a
 * spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR, OWASP "CSV
 * injection") gets a leading `'`, which spreadsheets show as text.
 */
export function csvCell(raw: string): string {
  // Control characters (an ESC sequence in a title) would act on a terminal that shows the file; line breaks and tabs are quoted instead.
  const value = withoutControlCharacters(raw);
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

function line(cells: readonly string[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

export function csvHeaderLine(): string {
  return line(CSV_HEADER);
}

/** Pure: the CSV lines of one report's findings. */
export function csvLinesForReport(report: NormalizedReport): string {
  const { ref } = report;
  const prefix = [ref.cluster, ref.namespace, ref.kind, ref.name, report.workload, report.container, report.image];
  let out = "";
  for (const v of report.vulnerabilities) {
    out += line([
      ...prefix,
      "vulnerability",
      v.id,
      v.severity.toUpperCase(),
      v.title,
      v.packageName,
      v.installedVersion,
      v.fixedVersion,
      v.fixedVersion ? "true" : "false",
      "",
    ]);
  }
  for (const s of report.secrets) {
    out += line([...prefix, "exposedSecret", s.ruleId, s.severity.toUpperCase(), s.title, "", "", "", "", s.target]);
  }
  for (const c of report.failedChecks) {
    out += line([...prefix, report.family, c.id, c.severity.toUpperCase(), c.title, "", "", "", "", ""]);
  }
  return out;
}
