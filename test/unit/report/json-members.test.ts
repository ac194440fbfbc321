import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonMemberSplitter, type MemberHandling } from "../../../cli/report/json-members";
import { writeInChunks } from "./helpers";

interface Split {
  readonly values: Record<string, unknown>;
  /** Every batch of the "members" member, as [key, value] pairs in order. */
  readonly batches: [string, unknown][][];
  readonly error: string | undefined;
}

/** Wants `findingIndex` in batches, `keep*` whole, skips the rest. */
function split(text: string, chunkSizes: readonly number[], batchBytes = 40): Split {
  const values: Record<string, unknown> = {};
  const batches: [string, unknown][][] = [];
  // The splitter checks structure; what it hands on, the caller validates with JSON.parse.
  let parseError: string | undefined;
  const parse = (json: string): unknown => {
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      parseError ??= String(error);
      return [];
    }
  };
  const splitter = new JsonMemberSplitter(
    {
      handling: (key): MemberHandling => (key === "findingIndex" ? "members" : key.startsWith("keep") ? "value" : "skip"),
      onValue: (key, json) => void (values[key] = parse(json)),
      onMembers: (_key, json) => {
        const flat = parse(json) as unknown[];
        const pairs: [string, unknown][] = [];
        for (let at = 0; at < flat.length; at += 2) pairs.push([flat[at] as string, flat[at + 1]]);
        batches.push(pairs);
      },
    },
    batchBytes,
  );
  writeInChunks(splitter, text, chunkSizes);
  return { values, batches, error: splitter.end() ?? parseError };
}

const tricky = fc.string({ unit: fc.constantFrom("a", '"', "\\", "{", "}", "[", "]", ",", ":", "µ", "😀", " ", "\n") });
const jsonish = fc.oneof(
  tricky,
  fc.integer(),
  fc.constant(null),
  fc.array(tricky, { maxLength: 3 }),
  fc.dictionary(tricky, tricky, { maxKeys: 3 }),
);

describe("JsonMemberSplitter", () => {
  it("hands on wanted members whole and a large object's members in batches, whatever the chunking and indentation (property)", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(tricky, fc.constantFrom("keepA", "keepB", "skipMe")), jsonish, { maxKeys: 5 }),
        fc.uniqueArray(tricky, { maxLength: 40 }),
        fc.array(jsonish, { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(undefined, 2, 4),
        (others, indexKeys, indexValues, chunks, indentation) => {
          const index = Object.fromEntries(indexKeys.map((key, at) => [key, indexValues[at]]));
          const document = { ...others, findingIndex: index };
          const text = JSON.stringify(document, null, indentation);
          const { values, batches, error } = split(text, chunks);
          expect(error).toBeUndefined();
          // Batches cut at member borders: together they are the index, in order, one pair per member.
          expect(batches.flat()).toEqual(Object.entries(JSON.parse(JSON.stringify(index)) as Record<string, unknown>));
          expect(batches.length).toBeGreaterThanOrEqual(1);
          const wanted = Object.fromEntries(Object.entries(document).filter(([key]) => key.startsWith("keep")));
          expect(values).toEqual(JSON.parse(JSON.stringify(wanted)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never takes a cut-off file for a complete one (property: every proper prefix is an error)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(tricky, fc.constant("findingIndex")), jsonish, { minKeys: 1, maxKeys: 4 }), (document) => {
        const text = JSON.stringify({ ...document, findingIndex: { "a|b": "high", c: ["x"] } }, null, 2);
        for (let cut = 1; cut < text.length; cut++) expect(split(text.slice(0, cut), [7]).error, text.slice(0, cut)).toBeDefined();
      }),
      { numRuns: 40 },
    );
  });

  it('refuses what is not one JSON object, and members that are not `"key": value`', () => {
    const cases: [string, RegExp][] = [
      ["", /^empty/],
      ["   \n", /^empty/],
      ["[1, 2]", /expected a JSON object at byte 0/],
      ["apiVersion: v1\n", /expected a JSON object at byte 0/],
      ['{"a": 1} {"b": 2}', /unexpected data after the object at byte 9/],
      ['{"a": 1,}', /expected a key at byte 8/],
      ['{"a" 1}', /expected `:` after a key/],
      ['{"a": }', /a member without a value/],
      ['{"a": 1]', /`]` closes the object/],
      ['{"findingIndex": {"k": 1,}}', /expected a key/],
      ['{"findingIndex": {"k" 1}}', /a member without `:` and a value/],
      ['{"findingIndex": {"k": 1: 2}}', /unexpected `:`/],
      ['{"findingIndex": {5: 1}}', /expected a key/],
      ['{"findingIndex": {"k": 1]}', /a member without|`]` closes an object/],
      // Bracket types are not matched inside a member: `}` closes the `[`, the object stays open.
      ['{"findingIndex": {"k": [1}}', /ends in the middle of the object/],
      ['{"findingIndex": {"k": [1}}}', /SyntaxError/],
    ];
    for (const [text, message] of cases) expect(split(text, [3]).error, text).toMatch(message);
  });

  it("hands an empty object on as one empty batch, and a wanted member that is not an object whole", () => {
    expect(split('{"findingIndex": {}}', [5]).batches).toEqual([[]]);
    const notObject = { values: {} as Record<string, unknown>, batches: 0 };
    const splitter = new JsonMemberSplitter({
      handling: () => "members",
      onValue: (key, json) => void (notObject.values[key] = JSON.parse(json) as unknown),
      onMembers: () => void notObject.batches++,
    });
    splitter.write(Buffer.from('{"findingIndex": ["a"], "other": null}'));
    expect(splitter.end()).toBeUndefined();
    expect(notObject).toEqual({ values: { findingIndex: ["a"], other: null }, batches: 0 });
  });
});
