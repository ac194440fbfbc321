import type { FindingIndex } from "../finding-index";
import type { ReportSummary } from "../summary";

const INDEX_LINES_PER_PIECE = 2000;

/**
 * `--format json`, byte for byte `JSON.stringify(summary, null, 2)` plus a line break with the
 * `findingIndex` keys sorted, but in pieces: the index can hold 100,000s of keys, and one string of
 * the whole document (plus its Buffer on the way out) would double the command's peak memory.
 */
export function* renderJsonPieces(summary: ReportSummary): Generator<string> {
  const entries = Object.entries(summary).filter(([, value]) => value !== undefined);
  yield "{\n";
  for (const [position, [key, value]] of entries.entries()) {
    const comma = position < entries.length - 1 ? "," : "";
    if (key !== "findingIndex") {
      yield `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, "\n  ")}${comma}\n`;
      continue;
    }
    const index = value as FindingIndex;
    if (index.size === 0) {
      yield `  "findingIndex": {}${comma}\n`;
      continue;
    }
    yield '  "findingIndex": {\n';
    let lines: string[] = [];
    let written = 0;
    for (const [name, severity] of index.sortedEntries()) {
      written++;
      lines.push(`    ${JSON.stringify(name)}: ${JSON.stringify(severity)}${written < index.size ? "," : ""}`);
      if (lines.length === INDEX_LINES_PER_PIECE) {
        yield `${lines.join("\n")}\n`;
        lines = [];
      }
    }
    if (lines.length > 0) yield `${lines.join("\n")}\n`;
    yield `  }${comma}\n`;
  }
  yield "}\n";
}
