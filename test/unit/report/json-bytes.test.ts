import { describe, expect, it } from "vitest";
import { byteOrderMarkLength, jsonStringEnd } from "../../../cli/report/json-bytes";

const at = (text: string, from = 0, carried = 0) => jsonStringEnd(Buffer.from(text, "latin1"), from, carried);

describe("jsonStringEnd", () => {
  it("finds the closing quote, skipping quotes escaped by an odd number of backslashes", () => {
    expect(at('abc", 1')).toEqual({ quote: 3, backslashRun: 0 });
    expect(at('a\\"b"')).toEqual({ quote: 4, backslashRun: 0 });
    expect(at('a\\\\"b"')).toEqual({ quote: 3, backslashRun: 0 });
    expect(at('x"a\\"b"', 2)).toEqual({ quote: 6, backslashRun: 0 });
  });

  it("carries the backslashes that end a chunk into the next one", () => {
    expect(at("abc\\")).toEqual({ quote: -1, backslashRun: 1 });
    // One backslash carried: the next chunk's first quote is escaped.
    expect(at('"x"', 0, 1)).toEqual({ quote: 2, backslashRun: 0 });
    // Two carried: they escape each other, so the first quote closes the string.
    expect(at('"x"', 0, 2)).toEqual({ quote: 0, backslashRun: 0 });
    // A chunk of backslashes only adds to what was carried.
    expect(at("\\\\", 0, 1)).toEqual({ quote: -1, backslashRun: 3 });
  });
});

describe("byteOrderMarkLength", () => {
  it("skips a UTF-8 byte-order mark only at the start of the stream", () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
    expect(byteOrderMarkLength(bom, 0)).toBe(3);
    expect(byteOrderMarkLength(bom, 4096)).toBe(0);
    expect(byteOrderMarkLength(Buffer.from("{}"), 0)).toBe(0);
    expect(byteOrderMarkLength(Buffer.from([0xef, 0xbb]), 0)).toBe(0);
  });
});
