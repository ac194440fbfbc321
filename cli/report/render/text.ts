import { displayWidth, padDisplay, terminalText } from "../../common/terminal";
import type { ReportSummary } from "../summary";
import { buildSections, type Section } from "./sections";

function isNumeric(cell: string): boolean {
  return /^-?\d+$/.test(cell);
}

/** Terminal table: aligned columns, numbers right-aligned. */
export function renderTable(summary: ReportSummary, top: number): string {
  const out: string[] = [`Trivy Operator report — generated ${summary.generatedAt}`, ""];
  for (const section of buildSections(summary, top)) {
    out.push(section.title, "=".repeat(Math.min(displayWidth(section.title), 100)));
    if (section.rows.length === 0) out.push("(none)");
    else out.push(...alignedTable(section));
    if (section.note) out.push(`  ${section.note}`);
    out.push("");
  }
  appendMessages(out, summary, (line) => terminalText(line));
  return out.join("\n");
}

function alignedTable(section: Section): string[] {
  const widths = section.headers.map((header, column) =>
    Math.max(displayWidth(header), ...section.rows.map((row) => displayWidth(row[column] ?? ""))),
  );
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => padDisplay(cell, widths[column] ?? 0, isNumeric(cell) ? "right" : "left"))
      .join("  ")
      .trimEnd();
  return [format(section.headers), widths.map((width) => "-".repeat(width)).join("  "), ...section.rows.map(format)];
}

/**
 * Makes text literal inside a GFM table cell, heading or list item: a line break would end the row,
 * an unescaped `|` splits the cell, and `<tag>`, `&lt;`, `*`, `_`, `` ` ``, `[…](…)` and `~` would be
 * rendered as HTML, entities, emphasis, code, links or strikethrough. CommonMark lets a backslash
 * escape any ASCII punctuation, and GFM tables honour `\|`.
 */
export function escapeMarkdown(text: string): string {
  return terminalText(text).replace(/[\\`*_[\]<>|&~]/g, "\\$&");
}

export function renderMarkdown(summary: ReportSummary, top: number): string {
  const out: string[] = [
    "# Trivy Operator report",
    "",
    `Generated ${summary.generatedAt}; reports older than ${summary.staleAfter} count as stale.`,
    "",
  ];
  for (const section of buildSections(summary, top)) {
    out.push(`## ${escapeMarkdown(section.title)}`, "");
    if (section.rows.length === 0) out.push("_None._");
    else {
      out.push(`| ${section.headers.map(escapeMarkdown).join(" | ")} |`);
      out.push(
        `| ${section.headers.map((_, column) => (section.rows.every((row) => isNumeric(row[column] ?? "")) ? "---:" : "---")).join(" | ")} |`,
      );
      for (const row of section.rows) out.push(`| ${row.map(escapeMarkdown).join(" | ")} |`);
    }
    if (section.note) out.push("", `_${escapeMarkdown(section.note)}_`);
    out.push("");
  }
  appendMessages(out, summary, (line) => `- ${escapeMarkdown(line)}`, "## ");
  return out.join("\n");
}

function appendMessages(out: string[], summary: ReportSummary, bullet: (line: string) => string, headingPrefix = ""): void {
  if (summary.warnings.length > 0) {
    out.push(`${headingPrefix}Warnings (${summary.warnings.length})`, ...summary.warnings.map(bullet), "");
  }
  if (summary.notes.length > 0) {
    out.push(`${headingPrefix}Notes`, ...summary.notes.map(bullet), "");
  }
}
