import { isPlainObject, valueAt } from "../../modules/common/plain-object";

/** Narrowing helpers for objects that come from JSON/YAML: real reports often lack "required" fields. */
export type JsonRecord = Record<string, unknown>;

export function asRecord(value: unknown): JsonRecord | undefined {
  return isPlainObject(value) ? value : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `get(obj, "metadata", "labels")`: undefined as soon as one step is not an object. */
export function getPath(value: unknown, ...path: string[]): unknown {
  return valueAt(value, path);
}
