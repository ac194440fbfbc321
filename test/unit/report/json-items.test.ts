import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonItemSplitter } from "../../../cli/report/json-items";
import { writeInChunks } from "./helpers";

function split(text: string, chunkSizes: readonly number[] = [text.length || 1]) {
  const items: unknown[] = [];
  const documents: unknown[] = [];
  const splitter = new JsonItemSplitter({
    onItem: (json) => items.push(JSON.parse(json)),
    onScalarItem: () => items.push("(scalar)"),
    onDocument: (json) => documents.push(JSON.parse(json)),
  });
  writeInChunks(splitter, text, chunkSizes);
  return { items, documents, result: splitter.end() };
}

const tricky = {
  kind: "VulnerabilityReport",
  s: 'quote " brace { ] } backslash \\ end\\',
  u: "µ→ü 😀",
  nested: { items: [1, { a: "]" }] },
};

describe("JsonItemSplitter", () => {
  it("emits each item of a kind: List and the list without its items", () => {
    const list = { apiVersion: "v1", items: [tricky, { kind: "B" }], kind: "List", metadata: { resourceVersion: "" } };
    const { items, documents, result } = split(JSON.stringify(list, null, 4));
    expect(items).toEqual([tricky, { kind: "B" }]);
    expect(documents).toEqual([{ ...list, items: [] }]);
    expect(result).toMatchObject({ items: 2, truncated: false, error: undefined, empty: false });
  });

  it("splits identically whatever the chunk boundaries (property)", () => {
    const stringArbitrary = fc.string({ unit: fc.constantFrom("a", '"', "\\", "{", "}", "[", "]", ",", ":", "µ", "😀", " ") });
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(fc.constantFrom("kind", "items", "x", "y"), fc.oneof(stringArbitrary, fc.integer(), fc.array(stringArbitrary))),
          { maxLength: 6 },
        ),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        (objects, chunks) => {
          const text = JSON.stringify({ items: objects, kind: "List" });
          expect(split(text, chunks).items).toEqual(objects);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("treats a single object as a document and a bare array's elements as items", () => {
    expect(split(JSON.stringify(tricky)).documents).toEqual([tricky]);
    expect(split('[{"a":1}, {"b":2}]').items).toEqual([{ a: 1 }, { b: 2 }]);
    // Every element is handed on or counted: scalars (strings with brackets inside too) and arrays.
    expect(split('{"items": [1, "x]", null, [ {"c":3} ], {"d":4}, true], "kind": "List"}').items).toEqual([
      "(scalar)",
      "(scalar)",
      "(scalar)",
      [{ c: 3 }],
      { d: 4 },
      "(scalar)",
    ]);
    expect(split('{"a":1}\n{"b":2}\n').documents).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("reports truncation after the complete items, garbage, and empty input", () => {
    const text = JSON.stringify({ items: [{ a: 1 }, { b: 2 }, { c: 3 }], kind: "List" });
    const truncated = split(text.slice(0, text.indexOf('{"c"') + 3));
    expect(truncated.items).toEqual([{ a: 1 }, { b: 2 }]);
    expect(truncated.result.truncated).toBe(true);
    expect(split("kind: List").result.error?.message).toMatch(/unexpected "k"/);
    expect(split("  \n").result.empty).toBe(true);
  });
});
