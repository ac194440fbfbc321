import { UserError } from "../io";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses Go-style durations as the chart spells them (`24h`, `1h30m`, `10m0s`, `7d`). `d` is
 * accepted as a convenience for monthly reports; Go itself has no day unit.
 */
export function parseDuration(text: string, optionName: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(trimmed); match !== null; match = pattern.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 0);
    consumed = pattern.lastIndex;
  }
  if (trimmed.length === 0 || consumed !== trimmed.length) {
    throw new UserError(`${optionName}: "${text}" is not a duration; use e.g. 24h, 90m, 7d`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours >= 48) return `${Math.round(hours / 24)}d`;
  if (hours >= 1) return `${Math.round(hours)}h`;
  return `${Math.round(ms / 60_000)}m`;
}
