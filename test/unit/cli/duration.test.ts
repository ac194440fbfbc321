import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../cli/common/duration";

describe("durations", () => {
  it("are shown exactly, never rounded (60h is 2d12h, not 3d) and the chart's 24h stays 24h", () => {
    expect(formatDuration(parseDuration("60h", "--x"))).toBe("2d12h");
    expect(formatDuration(parseDuration("24h", "--x"))).toBe("24h");
    expect(formatDuration(parseDuration("90m", "--x"))).toBe("1h30m");
    expect(formatDuration(parseDuration("1500ms", "--x"))).toBe("1s500ms");
  });

  it("read back to the same milliseconds (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 * 86_400_000 }), (ms) => parseDuration(formatDuration(ms), "--x") === ms));
  });

  it("refuse zero and garbage, naming the option", () => {
    expect(() => parseDuration("0s", "--read-timeout")).toThrow('--read-timeout: "0s" is zero; give a duration of at least 1ms');
    expect(() => parseDuration("1 day", "--stale-after")).toThrow('--stale-after: "1 day" is not a duration; use e.g. 24h, 90m, 7d');
  });
});
