import { SEVERITIES, type SeverityCounts } from "../../common/severity";
import type { ReportSummary } from "../summary";
import { buildSections } from "./sections";

const SEVERITY_COLOURS: Record<(typeof SEVERITIES)[number], string> = {
  critical: "#b91c1c",
  high: "#ea580c",
  medium: "#ca8a04",
  low: "#2563eb",
  unknown: "#6b7280",
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Horizontal bar chart of vulnerabilities by severity, inline SVG (no script, no external asset). */
export function severityChartSvg(counts: SeverityCounts): string {
  const barHeight = 26;
  const gap = 8;
  const labelWidth = 80;
  const barSpace = 360;
  const max = Math.max(1, ...SEVERITIES.map((severity) => counts[severity]));
  const height = SEVERITIES.length * (barHeight + gap);
  const bars = SEVERITIES.map((severity, index) => {
    const y = index * (barHeight + gap);
    const width = Math.round((counts[severity] / max) * barSpace);
    return [
      `<text x="0" y="${y + barHeight * 0.7}" font-size="13">${severity.toUpperCase()}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${width}" height="${barHeight}" fill="${SEVERITY_COLOURS[severity]}"><title>${severity}: ${counts[severity]}</title></rect>`,
      `<text x="${labelWidth + width + 6}" y="${y + barHeight * 0.7}" font-size="13">${counts[severity]}</text>`,
    ].join("");
  });
  // No xmlns: inline SVG in HTML does not need it, and the file then names no URL at all.
  return `<svg role="img" aria-label="Vulnerabilities by severity" width="${labelWidth + barSpace + 80}" height="${height}" font-family="system-ui, sans-serif">${bars.join("")}</svg>`;
}

/** One self-contained HTML file: inline CSS and SVG, no scripts, nothing fetched. */
export function renderHtml(summary: ReportSummary, top: number): string {
  const body: string[] = [];
  body.push(
    `<h1>Trivy Operator report</h1>`,
    `<p>Generated ${escapeHtml(summary.generatedAt)}; reports older than ${escapeHtml(summary.staleAfter)} count as stale.</p>`,
  );
  // The warnings are listed at the end; a reader must know before the numbers that they are incomplete.
  if (summary.warnings.length > 0) {
    body.push(
      `<p class="warn"><strong>Incomplete:</strong> ${summary.warnings.length} input problem(s), the numbers below cover the rest of the input; see <a href="#warnings">Warnings</a>.</p>`,
    );
  }
  body.push(
    `<figure>${severityChartSvg(summary.totals)}<figcaption>Vulnerabilities by severity (from the findings lists)</figcaption></figure>`,
  );
  for (const section of buildSections(summary, top)) {
    body.push(`<h2>${escapeHtml(section.title)}</h2>`);
    if (section.rows.length === 0) body.push("<p><em>None.</em></p>");
    else {
      const head = section.headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("");
      const rows = section.rows
        .map((row) => `<tr>${row.map((cell) => `<td${/^-?\d+$/.test(cell) ? ' class="n"' : ""}>${escapeHtml(cell)}</td>`).join("")}</tr>`)
        .join("\n");
      body.push(`<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
    }
    if (section.note) body.push(`<p class="note">${escapeHtml(section.note)}</p>`);
  }
  if (summary.warnings.length > 0)
    body.push(
      `<h2 id="warnings">Warnings (${summary.warnings.length})</h2><ul>${summary.warnings.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`,
    );
  if (summary.notes.length > 0) body.push(`<h2>Notes</h2><ul>${summary.notes.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`);
  const style = [
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#111}",
    "table{border-collapse:collapse;margin:.5rem 0}",
    "th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;font-size:.9rem}",
    "td.n{text-align:right;font-variant-numeric:tabular-nums}",
    "th{background:#f3f4f6}",
    ".note{color:#555;font-size:.85rem}",
    ".warn{background:#fef3c7;border:1px solid #d97706;padding:.5rem .75rem;max-width:60rem}",
  ].join("");
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Trivy Operator report</title><style>${style}</style></head><body>\n${body.join("\n")}\n</body></html>\n`;
}
