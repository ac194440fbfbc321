import { isPlainObject } from "./plain-object";

/**
 * JSON without spaces and with object keys sorted (by UTF-16 code unit, which is byte order for
 * ASCII keys), so that equal values always give equal text: what a hash is taken over, and the key
 * order of Terraform's `jsonencode`. Keys whose value is undefined are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
