import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UserError } from "../io";
import { firstLine } from "./kube";

/**
 * One option of a command: what parseArgs needs plus what the usage text shows. A command declares
 * its options once in a table; parseArgs reads the table and the usage text is generated from it,
 * so the two cannot disagree.
 */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value's placeholder in the usage text (`NAME`, `PATH`); omitted for booleans. */
  readonly value?: string;
  /** One line, or several separated by `\n` (continuation lines are indented under the first). */
  readonly help: string;
  /** Usage section the option is listed under (`Sources`, `Output`); options keep table order. */
  readonly section: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed values, typed from the table: booleans, repeatable strings, or single strings. */
export type OptionValues<T extends OptionTable> = {
  readonly [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : T[K]["multiple"] extends true ? readonly string[] : string;
};

export interface ParsedCommandLine<T extends OptionTable> {
  readonly values: OptionValues<T>;
  readonly positionals: readonly string[];
}

/**
 * Parses argv strictly against the table: unknown options, a missing value and an empty value
 * (`-o ''`, `--context=`) are one-line UserErrors naming the option, before any input is read.
 * `--top -1` is refused by parseArgs as ambiguous; the message names the option and the value and
 * says to write `--top=-1` when it is meant as the value (which the option's own check then judges).
 */
export function parseCommandLine<T extends OptionTable>(
  command: string,
  table: T,
  argv: readonly string[],
  allowPositionals: boolean,
): ParsedCommandLine<T> {
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    config[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals });
  } catch (error) {
    // `--top -1`: parseArgs will not take a value that starts with a dash (it could be an option).
    const message = error instanceof Error ? error.message : "";
    const flag = /^Option '(-[\w-]+)/.exec(message)?.[1];
    if (flag && / argument is ambiguous/.test(message)) {
      const long = flag.startsWith("--") ? flag.slice(2) : Object.entries(table).find(([, spec]) => spec.short === flag.slice(1))?.[0];
      const value = argv[argv.indexOf(flag) + 1] ?? "";
      throw new UserError(
        `--${long ?? flag}: "${value}" starts with "-" and is taken for an option; if it is the value, write --${long ?? flag}=${value}; see trivy-operator-cdktf ${command} --help`,
      );
    }
    throw new UserError(`${firstLine(error)}; see trivy-operator-cdktf ${command} --help`);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((entry) => typeof entry === "string" && entry.trim() === ""))
      throw new UserError(`--${name}: an empty value is not allowed; see trivy-operator-cdktf ${command} --help`);
  }
  if (parsed.positionals.some((entry) => entry === ""))
    throw new UserError(`an empty argument ("") is not a file name; see trivy-operator-cdktf ${command} --help`);
  return { values: parsed.values as OptionValues<T>, positionals: parsed.positionals };
}

/** The options part of a usage text, grouped by section in table order: `  -f, --format F     help`. */
export function optionsUsage(table: OptionTable): string {
  const rows = Object.entries(table).map(([name, spec]) => ({
    section: spec.section,
    left: `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`,
    help: spec.help.split("\n"),
  }));
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  const sections: string[] = [];
  for (const section of [...new Set(rows.map((row) => row.section))]) {
    const lines = [`${section}:`];
    for (const row of rows.filter((entry) => entry.section === section)) {
      const [first = "", ...rest] = row.help;
      lines.push(`  ${row.left.padEnd(width)}${first}`, ...rest.map((line) => `  ${" ".repeat(width)}${line}`));
    }
    sections.push(lines.join("\n"));
  }
  return sections.join("\n\n");
}

/** `--top 10` → 10; the fallback when the option is absent; a UserError naming the option and value otherwise. */
export function positiveInteger(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1)
    throw new UserError(`${option}: "${text}" is not a positive integer (1, 2, …)`);
  return value;
}

/**
 * One of a fixed set of lower-case words, matched without regard to case (`-f JSON`, `--fail-on
 * CRITICAL`): every enumerated option of every command behaves the same.
 */
export function choice<const C extends string>(text: string | undefined, allowed: readonly C[], fallback: C, option: string): C;
export function choice<const C extends string>(
  text: string | undefined,
  allowed: readonly C[],
  fallback: undefined,
  option: string,
): C | undefined;
export function choice<const C extends string>(
  text: string | undefined,
  allowed: readonly C[],
  fallback: C | undefined,
  option: string,
): C | undefined {
  if (text === undefined) return fallback;
  const lower = text.trim().toLowerCase();
  const match = allowed.find((entry) => entry === lower);
  if (match === undefined) throw new UserError(`${option}: "${text}" is not one of ${allowed.join(", ")}`);
  return match;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * An ISO 8601 date, or date-time with a zone (`2024-05-01`, `2024-05-01T00:00:00Z`,
 * `2024-05-01T02:00:00+02:00`). `new Date("12")` would be 2001-12-01 in local time; anything but a
 * full date, and a time without a zone (whose meaning depends on the machine), is refused.
 */
export function isoTime(text: string | undefined, fallback: () => Date, option: string): Date {
  if (text === undefined) return fallback();
  const trimmed = text.trim();
  const time = ISO_TIME.test(trimmed) ? Date.parse(/T|\s/i.test(trimmed) ? trimmed.replace(" ", "T") : `${trimmed}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time))
    throw new UserError(
      `${option}: "${text}" is not an ISO time such as 2024-05-01T00:00:00Z (a date, or a date and time with Z or an offset)`,
    );
  return new Date(time);
}

/**
 * Reads and parses a JSON file that an option names; every failure is one UserError line that names
 * the option, the file and what was expected (`--baseline old.json: not valid JSON (…); expected …`).
 */
export function readJsonFile(path: string, option: string, expected: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UserError(`${option} ${path}: cannot read (${firstLine(error)})`);
  }
  if (text.trim() === "") throw new UserError(`${option} ${path}: empty file; expected ${expected}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`${option} ${path}: not valid JSON (${firstLine(error)}); expected ${expected}`);
  }
}
