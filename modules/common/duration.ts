// The three duration grammars the product reads and writes, each named after its upstream so a
// value is checked by the program that will read it. All values are milliseconds.
//
// - Go (operator options such as `operator.scannerReportTTL`, `trivy.timeout`): the operator reads
//   them with Go's time.ParseDuration (go/src/time/format.go `ParseDuration`).
// - Prometheus (alert rule `for:`, range selectors, scrape intervals): prometheus/common
//   model/time.go `ParseDuration` and `Duration.String`.
// - The CLI's own (`--stale-after`, `--connect-timeout`): Go's units without ns/us, plus `d`.
//
// A string valid in two grammars means the same time in both, so converting only ever changes
// the spelling (Go `1.5h` is Prometheus `1h30m`).

// time.ParseDuration refuses anything above MaxInt64 nanoseconds; model.ParseDuration the same
// ("duration out of range").
const MAX_MILLISECONDS = (2 ** 63 - 1) / 1e6;

const GO_UNIT_MILLISECONDS: ReadonlyMap<string, number> = new Map([
  ["ns", 1e-6],
  ["us", 1e-3],
  ["µs", 1e-3], // U+00B5 micro sign
  ["μs", 1e-3], // U+03BC Greek mu
  ["ms", 1],
  ["s", 1e3],
  ["m", 60e3],
  ["h", 3600e3],
]);

/**
 * Go's time.ParseDuration (go/src/time/format.go): `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or a bare
 * `0`; fractions on any unit (`1.5h`, `.5s`, `1.s`), units in any order and repeated (`1m1h`),
 * ns/us/µs/ms/s/m/h, no days. The unit is the whole run of characters up to the next digit or
 * `.`, so `1hm` is an unknown unit. Signed values are returned signed: callers decide whether
 * zero or negative means anything for their option. undefined when Go would return an error.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  const term = /(\d*)(?:\.(\d*))?([^\d.]*)/y;
  let total = 0;
  while (term.lastIndex < rest.length) {
    const match = term.exec(rest);
    const [, whole = "", fraction, unit = ""] = match ?? [];
    // Go: "no digits (e.g. ".s" or "-.s")" and "missing unit".
    if (!match || (whole === "" && (fraction ?? "") === "")) return undefined;
    const size = GO_UNIT_MILLISECONDS.get(unit);
    if (size === undefined) return undefined;
    total += Number(`${whole === "" ? "0" : whole}.${fraction ?? ""}0`) * size;
  }
  if (total > MAX_MILLISECONDS) return undefined;
  return sign * total;
}

// model/time.go `unitMap`: the position enforces "units must go in order from biggest to smallest".
const PROMETHEUS_UNITS: readonly (readonly [string, number])[] = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/**
 * prometheus/common model/time.go `ParseDuration`: a bare `0`, or whole numbers each followed by
 * one of y w d h m s ms, every unit at most once and biggest first (`1h30m`, not `30m1h` nor
 * `1.5h`); no sign, no spaces. undefined when Prometheus (and so promtool) would refuse it.
 */
export function parsePrometheusDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  const term = /(\d+)(\D*)/y;
  let lastPosition = -1;
  let total = 0;
  while (term.lastIndex < text.length) {
    const match = term.exec(text);
    if (!match) return undefined;
    const [, amount = "", unit = ""] = match;
    const position = PROMETHEUS_UNITS.findIndex(([name]) => name === unit);
    if (position <= lastPosition) return undefined; // unknown (-1), missing, repeated or out of order
    lastPosition = position;
    total += Number(amount) * (PROMETHEUS_UNITS[position]?.[1] ?? Number.NaN);
  }
  if (total > MAX_MILLISECONDS) return undefined;
  return total;
}

/**
 * prometheus/common model/time.go `Duration.String`: biggest unit first, years and weeks only
 * when they divide the value exactly (90d stays `90d`, not `12w6d`); truncated to milliseconds;
 * `0s` for zero. 5 400 000 → `1h30m`, 90 000 000 → `1d1h`.
 */
export function formatPrometheusDuration(milliseconds: number): string {
  let rest = Math.trunc(Math.abs(milliseconds));
  if (rest === 0) return "0s";
  let text = milliseconds < 0 ? "-" : "";
  for (const [unit, size] of PROMETHEUS_UNITS) {
    if ((unit === "y" || unit === "w") && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/**
 * The same time in Prometheus' grammar: a Prometheus duration as it is, a Go duration (such as
 * the operator's `scannerReportTTL: 1.5h`) respelled (`1h30m`). undefined for neither or for a
 * negative Go duration (Prometheus has no sign).
 */
export function prometheusDurationOf(text: string): string | undefined {
  if (parsePrometheusDuration(text) !== undefined) return text;
  const milliseconds = parseGoDuration(text);
  return milliseconds === undefined || milliseconds < 0 ? undefined : formatPrometheusDuration(milliseconds);
}

const CLI_UNITS: readonly (readonly [string, number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];
const CLI_UNIT_MILLISECONDS: ReadonlyMap<string, number> = new Map(CLI_UNITS);

/**
 * The CLI's options (`--stale-after 7d`): Go's spelling for what an operator option would say
 * (`24h`, `1h30m`, `1.5h`, `10m0s`) plus `d`, because reports are read monthly; no ns/us, no sign,
 * surrounding spaces ignored. `0s` parses (to 0): the CLI says itself why zero means nothing.
 */
export function parseCliDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const term = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let consumed = 0;
  for (let match = term.exec(trimmed); match !== null; match = term.exec(trimmed)) {
    total += Number(match[1]) * (CLI_UNIT_MILLISECONDS.get(match[2] ?? "") ?? Number.NaN);
    consumed = term.lastIndex;
  }
  return trimmed.length === 0 || consumed !== trimmed.length ? undefined : total;
}

/**
 * Exact, largest unit first: 60h → `2d12h`, 90m → `1h30m`, 1500ms → `1s500ms` (never rounded: a
 * reader compares it with what was given). Days only from 48h on, so the chart's `24h` stays `24h`.
 */
export function formatCliDuration(milliseconds: number): string {
  let rest = Math.round(milliseconds);
  if (rest <= 0) return "0s";
  let text = "";
  for (const [unit, size] of CLI_UNITS) {
    if (unit === "d" && rest < 2 * size) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
