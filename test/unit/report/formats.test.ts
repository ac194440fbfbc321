import { readFileSync as readFixture } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ReportAggregator } from "../../../cli/report/aggregate";
import { FindingIndex } from "../../../cli/report/finding-index";
import { normalizeReport } from "../../../cli/report/normalize";
import { renderJsonPieces } from "../../../cli/report/render/json";
import { REPORT_FIXTURE_FILES as FIXTURE_FILES } from "./helpers";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES } from "../../../cli/common/severity";
import { runReportCommand } from "../../../cli/report/command";
import { CSV_HEADER, csvCell } from "../../../cli/report/render/csv";
import { severityChartSvg } from "../../../cli/report/render/html";
import { escapeMarkdown } from "../../../cli/report/render/text";
import { captureIo } from "./helpers";

const SPECIAL = resolve(__dirname, "../../fixtures/reports/hand-made/vulnerabilityreport.special-characters.yaml");
const NGINX = join(resolve(__dirname, "../../fixtures/reports"), "vulnerabilityreport.replicaset-nginx.yaml");
const TITLE_1 = '<script>alert(1)</script> in a|b & "c", d';
const TITLE_2 = "First line with *stars* and _underscores_ and `ticks`\nsecond line \\ backslash | pipe";

async function render(format: string, files: readonly string[] = [SPECIAL, NGINX]): Promise<string> {
  const captured = captureIo();
  await runReportCommand([...files, "--format", format, "--now", "2024-05-01T00:00:00Z"], captured.io);
  return captured.stdout();
}

/** GFM splits a table row on pipes that no backslash escapes. */
const gfmCells = (row: string): string[] =>
  row
    .replace(/^\| /, "")
    .replace(/ \|$/, "")
    .split(/(?<!\\) \| /);
/** CommonMark: a backslash before ASCII punctuation stands for that character. */
const unescapeMarkdown = (text: string): string => text.replace(/\\([!-/:-@[-`{-~])/g, "$1");

/** A strict RFC 4180 reader: CRLF between records, quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let index = 0;
  while (index < text.length) {
    let field = "";
    if (text[index] === '"') {
      index++;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote === -1) throw new Error("unterminated quoted field");
        field += text.slice(index, quote);
        index = quote + 1;
        if (text[index] === '"') {
          field += '"';
          index++;
        } else break;
      }
    } else {
      const end = text.slice(index).search(/[,\r\n"]/);
      field = end === -1 ? text.slice(index) : text.slice(index, index + end);
      index = end === -1 ? text.length : index + end;
      if (text[index] === '"') throw new Error(`bare quote in an unquoted field at ${index}`);
    }
    record.push(field);
    if (text[index] === ",") index++;
    else if (text.startsWith("\r\n", index)) {
      records.push(record);
      record = [];
      index += 2;
    } else if (index < text.length) throw new Error(`expected , or CRLF at ${index}, got ${JSON.stringify(text[index])}`);
  }
  if (record.length > 0) throw new Error("last record not ended by CRLF");
  return records;
}

describe("markdown output is valid GFM", () => {
  it("keeps every table row at the header's cell count and every cell literal", async () => {
    const markdown = await render("markdown");
    const lines = markdown.split("\n");
    let tables = 0;
    lines.forEach((line, index) => {
      if (!/^\| (-{3}:?|:?-{3})/.test(line)) return;
      tables++;
      const width = gfmCells(lines[index - 1] ?? "").length;
      expect(gfmCells(line)).toHaveLength(width);
      for (let row = index + 1; lines[row]?.startsWith("| "); row++) expect(gfmCells(lines[row] ?? ""), lines[row]).toHaveLength(width);
    });
    expect(tables).toBeGreaterThanOrEqual(8);
    const titleRow = lines.find((line) => line.startsWith("| CVE-2024-0001 |")) ?? "";
    expect(titleRow).toBe('| CVE-2024-0001 | CRITICAL | 1 | 1 | yes | \\<script\\>alert(1)\\</script\\> in a\\|b \\& "c", d |');
    expect(unescapeMarkdown(gfmCells(titleRow).at(-1) ?? "")).toBe(TITLE_1);
    // The multi-line title stays in its row, on one line.
    expect(lines.find((line) => line.startsWith("| CVE-2024-0002 |"))).toMatch(/ \\`ticks\\` secon… \|$/);
    expect(
      lines.find((line) => line.startsWith("| vulnerabilityreport.special-characters | shop \\& co | ReplicaSet/web\\|7f9c6d5b8 |")),
    ).toBeDefined();
  });

  it("escapes any text so that it reads back unchanged and cannot start markup (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", " ", "|", "\\", "<", ">", "&", "*", "_", "`", "[", "]", "~", "\n", "\r", "é") }),
        (text) => {
          const escaped = escapeMarkdown(text);
          expect(escaped).not.toMatch(/[\r\n]/);
          // Every special character is preceded by an odd number of backslashes, i.e. escaped.
          expect(escaped.replace(/\\[\\`*_[\]<>|&~]/g, "")).not.toMatch(/[\\`*_[\]<>|&~]/);
          expect(unescapeMarkdown(escaped)).toBe(text.replace(/\r\n|\r|\n/g, " "));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("CSV output is RFC 4180", () => {
  it("quotes commas, quotes and line breaks, ends every record with CRLF, and round-trips each value", async () => {
    const records = parseCsv(await render("csv"));
    expect(records[0]).toEqual(CSV_HEADER);
    expect(records).toHaveLength(1 + 3 + 2);
    for (const record of records) expect(record).toHaveLength(CSV_HEADER.length);
    const byId = new Map(
      records
        .slice(1)
        .map((record) => [
          record[CSV_HEADER.indexOf("id")],
          Object.fromEntries(CSV_HEADER.map((column, index) => [column, record[index]])),
        ]),
    );
    expect(byId.get("CVE-2024-0001")).toMatchObject({
      namespace: "shop & co",
      workload: "ReplicaSet/web|7f9c6d5b8",
      title: TITLE_1,
      severity: "CRITICAL",
      fixable: "true",
    });
    expect(byId.get("CVE-2024-0002")).toMatchObject({ title: TITLE_2, package: "pkg,with,commas", fixed_version: "", fixable: "false" });
  });
});

describe("CSV output is safe to open in a spreadsheet", () => {
  it.each([
    ['=HYPERLINK("http://evil")', '"\'=HYPERLINK(""http://evil"")"'],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
  ])("can neutralise a formula-like cell %j by a leading quote", (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it("leaves ordinary text, versions and empty cells as they are", () => {
    expect(csvCell("CVE-2024-0001")).toBe("CVE-2024-0001");
    expect(csvCell("1.2.3-r0")).toBe("1.2.3-r0");
    expect(csvCell("")).toBe("");
  });
});

describe("html output", () => {
  it("escapes titles and names, and names no external resource", async () => {
    const html = await render("html");
    expect(html).toContain("<td>&lt;script&gt;alert(1)&lt;/script&gt; in a|b &amp; &quot;c&quot;, d</td>");
    expect(html).toContain("<td>shop &amp; co</td>");
    // A URL may appear only as escaped text of a cell (CVE-2024-0003's title has one), never in markup.
    const markup = html.replace(/<td[^>]*>[^<]*<\/td>/g, "");
    expect(markup).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref="(?!#)|url\(|@import|:\/\//i);
  });

  it("says at the top that the report is incomplete when there are warnings", async () => {
    const html = await render("html", [NGINX, join(__dirname, "does-not-exist.yaml")]);
    const banner = html.indexOf('class="warn"');
    expect(banner).toBeGreaterThan(-1);
    expect(banner).toBeLessThan(html.indexOf("<svg"));
    expect(html).toContain('<h2 id="warnings">Warnings (1)</h2>');
    expect(await render("html", [NGINX])).not.toContain('class="warn"');
  });

  it("draws bars proportional to the counts, labelled with the counts", () => {
    const counts = { critical: 3, high: 6, medium: 12, low: 0, unknown: 1 };
    const svg = severityChartSvg(counts);
    const bars = [...svg.matchAll(/<rect [^>]*width="(\d+)"[^>]*><title>(\w+): (\d+)<\/title>/g)].map((match) => ({
      severity: match[2],
      width: Number(match[1]),
      label: Number(match[3]),
    }));
    expect(bars.map((bar) => bar.severity)).toEqual([...SEVERITIES]);
    for (const bar of bars) {
      const count = counts[bar.severity as keyof typeof counts];
      expect(bar.label).toBe(count);
      expect(bar.width).toBe(Math.round((count / 12) * 360));
    }
    // The visible number next to each bar is the count too.
    expect([...svg.matchAll(/font-size="13">(\d+)<\/text>/g)].map((match) => Number(match[1]))).toEqual([3, 6, 12, 0, 1]);
  });
});

describe("json format", () => {
  it("is written in pieces, byte for byte JSON.stringify(summary, null, 2) with the findingIndex keys sorted", () => {
    const aggregator = new ReportAggregator({ now: new Date("2024-05-01T00:00:00Z"), staleAfterMs: 86_400_000, listLimit: 50 });
    // Reverse order: the index is built in another order than the sorted one it is written in.
    for (const file of [...FIXTURE_FILES].reverse()) {
      const outcome = normalizeReport(parseYaml(readFixture(file, "utf8"), { schema: "core" }), "prod");
      if (outcome.type === "report") aggregator.add(outcome.report);
    }
    const summary = aggregator.result({ sources: [], warnings: [], notes: [], coverage: [] });
    const sortedIndex = Object.fromEntries([...summary.findingIndex.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(Object.keys(sortedIndex).length).toBeGreaterThan(40);
    expect([...renderJsonPieces(summary)].join("")).toBe(`${JSON.stringify({ ...summary, findingIndex: sortedIndex }, null, 2)}\n`);
    const empty = aggregator.result({ sources: [], warnings: [], notes: [], coverage: [] });
    expect([...renderJsonPieces({ ...empty, findingIndex: new FindingIndex() })].join("")).toBe(
      `${JSON.stringify({ ...empty, findingIndex: {} }, null, 2)}\n`,
    );
  });

  it("writes any JSON value member by member exactly as JSON.stringify(value, null, 2) does", () => {
    // Members JSON.stringify leaves out (undefined, functions) in objects and writes as null in
    // arrays, empty containers, line breaks and non-ASCII text in strings, objects with a toJSON.
    const special = { a: undefined, b: [undefined, () => 1, {}, []], c: "line\nbreak é 😀", d: new Date(0), e: null };
    const valueWithSpecials = fc.oneof(fc.jsonValue(), fc.constant(special));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(valueWithSpecials, fc.array(valueWithSpecials))), (value) => {
        const summary = value as unknown as Parameters<typeof renderJsonPieces>[0];
        expect([...renderJsonPieces(summary)].join("")).toBe(`${JSON.stringify(value, null, 2)}\n`);
      }),
      { numRuns: 300 },
    );
  });

  it("never builds a piece much longer than 32 Ki characters, however large a table or the index is", () => {
    const index = new FindingIndex();
    for (let entry = 0; entry < 20_000; entry++)
      index.addParts(`vulnerability|prod|ns-${entry % 7}|ghcr.io/a/b`, `CVE-2024-${entry}|openssl`, "high");
    const rows = Array.from({ length: 20_000 }, (_, row) => ({ cluster: "prod", workload: `ReplicaSet/app-${row}`, reports: row }));
    const summary = { byWorkload: rows, findingIndex: index } as unknown as Parameters<typeof renderJsonPieces>[0];
    const pieces = [...renderJsonPieces(summary)];
    expect(pieces.length).toBeGreaterThan(100);
    // One piece may overshoot by the last text added to it (a line of the index, a member).
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(33 * 1024);
    expect(pieces.join("")).toBe(`${JSON.stringify({ byWorkload: rows, findingIndex: index.toJSON() }, null, 2)}\n`);
  });
});
