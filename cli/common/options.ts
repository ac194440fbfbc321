import { readFileSync } from "node:fs";
import { UserError } from "../io";
import { firstLine } from "./kube";

/** `--top 10` → 10; the fallback when the option is absent; a UserError naming the option and value otherwise. */
export function positiveInteger(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 1) throw new UserError(`${option}: "${text}" is not a positive integer (1, 2, …)`);
  return value;
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
