import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatCliDuration,
  formatPrometheusDuration,
  parseCliDuration,
  parseGoDuration,
  parsePrometheusDuration,
  prometheusDurationOf,
} from "../../../modules/common/duration";

// Expected values follow the upstream functions' documented behaviour: Go time.ParseDuration
// (go/src/time/format.go; its table test time_test.go parseDurationTests) and prometheus/common
// model/time.go ParseDuration / Duration.String (model/time_test.go TestParseDuration).
describe("Go durations (time.ParseDuration)", () => {
  it.each<[string, number]>([
    ["0", 0],
    ["+0", 0],
    ["10m0s", 600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["1.s", 1000],
    ["-1.5h", -5_400_000],
    ["1m1h", 3_660_000], // any order
    ["1s1s", 2000], // units may repeat
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["250000ns", 0.25],
  ])("reads %s", (text, milliseconds) => {
    expect(parseGoDuration(text)).toBeCloseTo(milliseconds, 9);
  });

  it.each(["", "1", "0s1", "1d", "1hm", ".s", "-", "1h 30m", " 1h", "1.5.h", "1e3s", "10000000h"])("refuses %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe("Prometheus durations (model.ParseDuration)", () => {
  it.each<[string, number]>([
    ["0", 0],
    ["0s", 0],
    ["90s", 90_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["1y2w3d4h5m6s7ms", 31_536_000_000 + 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6000 + 7],
  ])("reads %s", (text, milliseconds) => {
    expect(parsePrometheusDuration(text)).toBe(milliseconds);
  });

  it.each(["", "1.5h", "30m1h", "1h1h", "1", "-1h", "1ns", "1us", "24 h", "1hm", "300y"])("refuses %j", (text) => {
    expect(parsePrometheusDuration(text)).toBeUndefined();
  });

  it.each<[number, string]>([
    [0, "0s"],
    [5_400_000, "1h30m"],
    [90_000_000, "1d1h"],
    [90 * 86_400_000, "90d"], // weeks only when exact
    [14 * 86_400_000, "2w"],
    [365 * 86_400_000, "1y"],
    [1500, "1s500ms"],
    [1.9, "1ms"], // truncated to milliseconds, as Duration.String does
  ])("formats %d ms as %s", (milliseconds, text) => {
    expect(formatPrometheusDuration(milliseconds)).toBe(text);
  });

  it("reads back every duration it formats", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 * 365 * 86_400_000 }),
        (ms) => parsePrometheusDuration(formatPrometheusDuration(ms)) === ms,
      ),
    );
  });
});

describe("Go to Prometheus", () => {
  it.each<[string, string | undefined]>([
    ["24h", "24h"], // already Prometheus: kept as written
    ["1.5h", "1h30m"],
    ["10m0s", "10m0s"],
    ["30m1h", "1h30m"],
    ["1d", "1d"],
    ["-1h", undefined],
    ["soon", undefined],
  ])("spells %s as %s", (text, prometheus) => {
    expect(prometheusDurationOf(text)).toBe(prometheus);
  });
});

describe("CLI durations", () => {
  it.each<[string, number]>([
    ["24h", 86_400_000],
    ["7d", 604_800_000],
    ["1.5h", 5_400_000],
    ["10m0s", 600_000],
    [" 90m ", 5_400_000],
    ["0s", 0],
  ])("reads %j", (text, milliseconds) => {
    expect(parseCliDuration(text)).toBe(milliseconds);
  });

  it.each(["", "0", "1 day", "1w", "1ns", "-1h", ".5h", "1h 30m"])("refuses %j", (text) => {
    expect(parseCliDuration(text)).toBeUndefined();
  });

  it("formats exactly, days only from 48h", () => {
    expect(formatCliDuration(86_400_000)).toBe("24h");
    expect(formatCliDuration(60 * 3_600_000)).toBe("2d12h");
    expect(formatCliDuration(0)).toBe("0s");
  });
});
