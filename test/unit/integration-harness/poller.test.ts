import { describe, expect, it } from "vitest";
import { formatDuration, waitFor, WaitTimeoutError, type Clock, type Observation } from "../../integration/harness/poller";

/** A clock that advances only when the poller sleeps (plus a fixed cost per observation). */
function fakeClock(observationCostMs = 0): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms + observationCostMs;
    },
  };
}

function sequence<T>(observations: Array<Observation<T> | Error>): () => Promise<Observation<T>> {
  let index = 0;
  return async () => {
    const next = observations[Math.min(index++, observations.length - 1)] as Observation<T> | Error;
    if (next instanceof Error) {
      throw next;
    }
    return next;
  };
}

describe("waitFor", () => {
  it("returns the value as soon as an observation is done, polling at the interval", async () => {
    const clock = fakeClock();
    const lines: string[] = [];

    const value = await waitFor({
      description: "the thing",
      timeoutMs: 60_000,
      intervalMs: 5_000,
      clock,
      log: (line) => lines.push(line),
      observe: sequence<string>([
        { done: false, seen: "nothing" },
        { done: false, seen: "nothing" },
        { done: true, value: "found it" },
      ]),
    });

    expect(value).toBe("found it");
    expect(clock.sleeps).toEqual([5_000, 5_000]);
    expect(lines[0]).toBe("waiting up to 1m00s for the thing");
    expect(lines.at(-1)).toBe("  found after 10s: the thing");
  });

  it("times out at its own deadline with what it saw last", async () => {
    const clock = fakeClock();

    const waiting = waitFor({
      description: "VulnerabilityReport",
      timeoutMs: 12_000,
      intervalMs: 5_000,
      clock,
      log: () => undefined,
      observe: sequence<never>([
        { done: false, seen: "no report yet" },
        { done: false, seen: "report with critical=0" },
      ]),
    });

    await expect(waiting).rejects.toThrow(WaitTimeoutError);
    await expect(waiting).rejects.toThrow(
      "timed out after 12s (4 attempts) waiting for VulnerabilityReport; last seen: report with critical=0",
    );
    // The last sleep is shortened to the deadline instead of overshooting it.
    expect(clock.sleeps).toEqual([5_000, 5_000, 2_000]);
  });

  it("counts a throwing observation as not yet and keeps polling, keeping the error's first lines on one line", async () => {
    const clock = fakeClock();
    const lines: string[] = [];

    const value = await waitFor({
      description: "CRD",
      timeoutMs: 60_000,
      clock,
      log: (line) => lines.push(line),
      observe: sequence<number>([
        new Error('the server doesn\'t have a resource type "configauditreports"\nmore'),
        { done: true, value: 1 },
      ]),
    });

    expect(value).toBe(1);
    expect(lines).toContain('  [0s] error: the server doesn\'t have a resource type "configauditreports" | more');
  });

  it("prints progress when what it sees changes, and a heartbeat while it does not", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const seen = ["a", "a", "a", "b", "b", "b", "b", "b", "b", "b"];
    let index = 0;

    await expect(
      waitFor({
        description: "x",
        timeoutMs: 45_000,
        intervalMs: 5_000,
        heartbeatMs: 20_000,
        clock,
        log: (line) => lines.push(line),
        observe: async () => ({ done: false, seen: seen[index++] ?? "b" }),
      }),
    ).rejects.toThrow(WaitTimeoutError);

    expect(lines.slice(1)).toEqual(["  [0s] a", "  [15s] b", "  [35s] b"]);
  });

  it("makes at least one attempt even with a zero deadline", async () => {
    let attempts = 0;
    await expect(
      waitFor({
        description: "x",
        timeoutMs: 0,
        clock: fakeClock(),
        log: () => undefined,
        observe: async () => {
          attempts++;
          return { done: false, seen: "no" };
        },
      }),
    ).rejects.toThrow(/1 attempts/);
    expect(attempts).toBe(1);
  });
});

describe("formatDuration", () => {
  it("prints seconds below a minute and m/s above", () => {
    expect(formatDuration(4_400)).toBe("4s");
    expect(formatDuration(600_000)).toBe("10m00s");
    expect(formatDuration(65_000)).toBe("1m05s");
  });
});
