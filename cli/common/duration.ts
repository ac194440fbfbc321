import { formatCliDuration, parseCliDuration } from "../../modules/common/duration";
import { UserError } from "../io";

/**
 * An option's duration in the CLI's grammar (modules/common/duration.ts `parseCliDuration`:
 * `24h`, `1h30m`, `10m0s`, `7d`). Zero is refused: no option that takes a duration means
 * anything with it.
 */
export function parseDuration(text: string, optionName: string): number {
  const total = parseCliDuration(text);
  if (total === undefined) throw new UserError(`${optionName}: "${text}" is not a duration; use e.g. 24h, 90m, 7d`);
  if (total < 1) throw new UserError(`${optionName}: "${text}" is zero; give a duration of at least 1ms`);
  return Math.round(total);
}

export { formatCliDuration as formatDuration };
