import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parse, parseAllDocuments, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { YamlItemSplitter } from "../../../cli/report/yaml-items";
import { REPORT_FIXTURE_FILES, writeInChunks } from "./helpers";

function split(text: string, chunkSizes: readonly number[] = [text.length || 1]) {
  const items: unknown[] = [];
  const documents: unknown[] = [];
  const splitter = new YamlItemSplitter({
    onItem: (yaml) => items.push(parse(yaml, { schema: "core" })),
    onDocument: (yaml, _line, hadItems) => documents.push({ hadItems, value: parse(yaml, { schema: "core" }) as unknown }),
  });
  writeInChunks(splitter, text, chunkSizes);
  return { items, documents, result: splitter.end() };
}

// The real fixture reports, as `kubectl get … -o yaml` prints a List (keys sorted: apiVersion, items, kind, metadata).
const reports = REPORT_FIXTURE_FILES.map((file) => parse(readFileSync(file, "utf8"), { schema: "core" }) as unknown);
// kubectl (sigs.k8s.io/yaml) does not indent a sequence under its key: `items:\n- apiVersion: …`.
const kubectlList = stringify({ apiVersion: "v1", items: reports, kind: "List", metadata: { resourceVersion: "" } }, { indentSeq: false });

describe("YamlItemSplitter", () => {
  it("hands on each item of a kubectl List, equal to parsing the whole document, whatever the chunk boundaries", () => {
    const whole = (parse(kubectlList, { schema: "core" }) as { items: unknown[] }).items;
    expect(whole).toHaveLength(REPORT_FIXTURE_FILES.length);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 }), (chunks) => {
        const { items, documents, result } = split(kubectlList, chunks);
        expect(items).toEqual(whole);
        expect(documents).toEqual([
          { hadItems: true, value: { apiVersion: "v1", items: [], kind: "List", metadata: { resourceVersion: "" } } },
        ]);
        expect(result.truncated).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it("splits multi-document streams at --- and ..., and reads an indented items sequence", () => {
    const indented =
      "apiVersion: v1\nitems:\n  - kind: A\n    x: 1\n  # comment\n  - kind: B\n    y: |\n      - not an item\n      ---x\nkind: List\n";
    const stream = `--- \nkind: One\n...\n---\n${indented}--- # c\nkind: Two\n`;
    const { items, documents, result } = split(stream, [7]);
    expect(items).toEqual([
      { kind: "A", x: 1 },
      { kind: "B", y: "- not an item\n---x\n" },
    ]);
    expect(documents.map((entry) => (entry as { value: { kind: string } }).value.kind)).toEqual(["One", "List", "Two"]);
    expect(result.truncated).toBeUndefined();
    // Every document the yaml package sees, the splitter sees.
    expect(parseAllDocuments(stream)).toHaveLength(3);
  });

  it("hands a flow-style items list on as a whole document for the YAML parser", () => {
    const { items, documents } = split("apiVersion: v1\nitems: [{kind: A}, {kind: B}]\nkind: List\n");
    expect(items).toEqual([]);
    expect(documents).toEqual([{ hadItems: false, value: { apiVersion: "v1", items: [{ kind: "A" }, { kind: "B" }], kind: "List" } }]);
  });

  it("says a List was cut off and drops the incomplete item, at a line break or mid-line", () => {
    // Cut at a line break inside the last report: every line parses, but `kind: List` never came.
    const lastItem = kubectlList.lastIndexOf("\n- ");
    const atLineBreak = kubectlList.slice(0, kubectlList.indexOf("\n", lastItem + 200) + 1);
    const cut = split(atLineBreak);
    expect(cut.items).toHaveLength(REPORT_FIXTURE_FILES.length - 1);
    expect(cut.result.truncated).toMatch(/ends inside a List's items, before its `kind: List` line/);

    const midLine = split(kubectlList.slice(0, kubectlList.indexOf("\n", lastItem + 200) - 3));
    expect(midLine.items).toHaveLength(REPORT_FIXTURE_FILES.length - 1);
    expect(midLine.result.truncated).toMatch(/ends in the middle of a line/);

    const singleObject = stringify(reports[0]);
    const cutObject = split(singleObject.slice(0, -5));
    expect(cutObject.documents).toEqual([]);
    expect(cutObject.result.truncated).toMatch(/middle of a line/);
  });
});
