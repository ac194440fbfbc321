import type { Severity } from "../common/severity";
import { severityRank } from "../common/severity";

/**
 * The `findingIndex`: full key → severity, stored as prefix → rest → severity. On a real fleet most
 * findings share their prefix (`vulnerability|prod|shop|ghcr.io/team/app`), so each prefix is kept
 * once, and the rest (`CVE-2024-1234|openssl`) is the same string the image table already holds:
 * on high-variety data (a distinct CVE per entry) this is a third of the aggregate's memory.
 * Serialises (toJSON) as the plain object the JSON output and `--baseline` use, keys sorted.
 */
/** family, cluster, namespace, subject (findingPrefix). */
const PREFIX_FIELDS = 4;

export class FindingIndex {
  private readonly groups = new Map<string, Map<string, Severity>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Keeps the worst severity seen for the key. */
  addParts(prefix: string, rest: string, severity: Severity): void {
    let group = this.groups.get(prefix);
    if (!group) {
      group = new Map();
      this.groups.set(prefix, group);
    }
    const known = group.get(rest);
    if (known === undefined) this.count++;
    if (known === undefined || severityRank(severity) < severityRank(known)) group.set(rest, severity);
  }

  get(key: string): Severity | undefined {
    const [prefix, rest] = this.split(key);
    return this.groups.get(prefix)?.get(rest);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** In insertion order. */
  *entries(): Generator<[string, Severity]> {
    for (const [prefix, group] of this.groups) for (const [rest, severity] of group) yield [`${prefix}|${rest}`, severity];
  }

  /** Sorted by full key (a prefix sorts as `prefix|`, which orders exactly like the full keys). */
  *sortedEntries(): Generator<[string, Severity]> {
    for (const [prefix, rests, severities] of this.sortedGroups())
      for (let at = 0; at < rests.length; at++) yield [`${prefix}|${rests[at]}`, severities[at] ?? "unknown"];
  }

  /**
   * The same order a group at a time: [prefix, its rests sorted, their severities]. A prefix sorts as
   * `prefix|`: a prefix has exactly three `|` (its fields cannot hold one), so two keys compare as
   * their `prefix|` do unless the prefixes are equal.
   */
  *sortedGroups(): Generator<[string, string[], Severity[]]> {
    const prefixes = [...this.groups.keys()].map((prefix) => `${prefix}|`).sort(compare);
    for (const head of prefixes) {
      const prefix = head.slice(0, -1);
      const group = this.groups.get(prefix) ?? new Map<string, Severity>();
      const rests = [...group.keys()].sort(compare);
      yield [prefix, rests, rests.map((rest) => group.get(rest) ?? "unknown")];
    }
  }

  toJSON(): Record<string, Severity> {
    return Object.fromEntries(this.sortedEntries());
  }

  private split(key: string): [string, string] {
    let at = -1;
    for (let field = 0; field < PREFIX_FIELDS; field++) {
      at = key.indexOf("|", at + 1);
      if (at === -1) return [key, ""];
    }
    return [key.slice(0, at), key.slice(at + 1)];
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
