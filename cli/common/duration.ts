import { UserError } from "../io";

const UNITS: readonly (readonly [string, number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];
const UNIT_MS: ReadonlyMap<string, number> = new Map(UNITS);

/**
 * Parses Go-style durations as the chart spells them (`24h`, `1h30m`, `10m0s`, `7d`). `d` is
 * accepted as a convenience for monthly reports; Go itself has no day unit. Zero is refused: no
 * option that takes a duration means anything with it.
 */
export function parseDuration(text: string, optionName: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match !== null; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS.get(match[2] ?? "s") ?? 0);
    consumed = pattern.lastIndex;
  }
  if (trimmed.length === 0 || consumed !== trimmed.length) {
    throw new UserError(`${optionName}: "${text}" is not a duration; use e.g. 24h, 90m, 7d`);
  }
  if (total < 1) throw new UserError(`${optionName}: "${text}" is zero; give a duration of at least 1ms`);
  return Math.round(total);
}

/**
 * Exact, largest unit first: 60h → `2d12h`, 90m → `1h30m`, 1500ms → `1s500ms` (never rounded: a
 * reader compares it with what was given). Days only from 48h on, so the chart's `24h` stays `24h`.
 */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest <= 0) return "0s";
  let text = "";
  for (const [unit, size] of UNITS) {
    if (unit === "d" && rest < 2 * size) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
