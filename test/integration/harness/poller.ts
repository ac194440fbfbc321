/** Time, injected so the poller is tested without waiting. */
export interface Clock {
  /** Milliseconds, monotonic enough for deadlines. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One look at the world: either done (with a value) or not yet (with what was seen). */
export type Observation<T> = { readonly done: true; readonly value: T } | { readonly done: false; readonly seen: string };

export interface WaitOptions<T> {
  /** What we wait for, e.g. "VulnerabilityReport of Pod trivy-e2e/vulnerable-nginx". */
  readonly description: string;
  /** This wait's own deadline, measured from its start. */
  readonly timeoutMs: number;
  /** 5 s mirrors trivy-operator's own itest (Eventually(5 min, 5 s)). */
  readonly intervalMs?: number;
  /**
   * Progress is printed when what we see changes, and at least this often while it does not,
   * so a CI log shows the wait is alive without one line per poll.
   */
  readonly heartbeatMs?: number;
  readonly observe: () => Promise<Observation<T>>;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
}

/** A wait that ran past its deadline; the message says what was last seen. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly description: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
    readonly attempts: number,
  ) {
    super(`timed out after ${formatDuration(timeoutMs)} (${attempts} attempts) waiting for ${description}; last seen: ${lastSeen}`);
    this.name = "WaitTimeoutError";
  }
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/**
 * A multi-line error (CommandFailedError: the command, then the tool's stderr) as one progress
 * line, keeping the first lines of stderr: the reason is usually there, not in the first line.
 */
function oneLine(message: string): string {
  return message
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 4)
    .join(" | ");
}

/**
 * Polls `observe` until it reports done or the deadline passes. An observation that throws (API
 * not ready, CRD not installed yet) counts as "not yet" with the error as what was seen: early in
 * a deployment these are expected, and the deadline still bounds the wait.
 */
export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => console.log(line));
  const intervalMs = options.intervalMs ?? 5_000;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const startedAt = clock.now();
  const deadline = startedAt + options.timeoutMs;
  let attempts = 0;
  let lastPrinted: { seen: string; at: number } | undefined;

  log(`waiting up to ${formatDuration(options.timeoutMs)} for ${options.description}`);
  for (;;) {
    attempts++;
    let observation: Observation<T>;
    try {
      observation = await options.observe();
    } catch (error) {
      observation = { done: false, seen: `error: ${error instanceof Error ? oneLine(error.message) : String(error)}` };
    }
    const elapsed = clock.now() - startedAt;
    if (observation.done) {
      log(`  found after ${formatDuration(elapsed)}: ${options.description}`);
      return observation.value;
    }
    const lastSeen = observation.seen;
    if (!lastPrinted || lastPrinted.seen !== lastSeen || clock.now() - lastPrinted.at >= heartbeatMs) {
      log(`  [${formatDuration(elapsed)}] ${lastSeen}`);
      lastPrinted = { seen: lastSeen, at: clock.now() };
    }
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      throw new WaitTimeoutError(options.description, options.timeoutMs, lastSeen, attempts);
    }
    await clock.sleep(Math.min(intervalMs, remaining));
  }
}
