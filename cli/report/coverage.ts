import { kindsOfFamily } from "./kinds";
import type { FindingKeyParts } from "./keys";

const ALL = "*";

/**
 * Which lists a run read completely, as scopes `cluster|Kind|namespace` (`*` = every namespace; a
 * cluster-scoped kind always uses `*`). Only a finding whose scope was read completely — in both
 * runs — can be called new or resolved by `--baseline`; anything else is "not compared".
 *
 * A scope is complete when its list was read to the end without a problem; a problem marks its
 * scope (or the whole cluster, when the problem could hide anything: a truncated file) incomplete,
 * and incomplete wins over complete from another source.
 */
export class Coverage {
  private readonly complete = new Set<string>();
  private readonly incomplete = new Set<string>();

  markComplete(cluster: string, kind: string, namespace: string | undefined): void {
    this.complete.add(scope(cluster, kind, namespace));
  }

  /** `kind` and `namespace` undefined = every kind / namespace of the cluster. */
  markIncomplete(cluster: string, kind?: string, namespace?: string): void {
    this.incomplete.add(scope(cluster, kind ?? ALL, namespace));
  }

  /** Is the list of `kind` in `namespace` ("" or undefined: every namespace / cluster-scoped) of `cluster` complete? */
  covers(cluster: string, kind: string, namespace: string | undefined): boolean {
    const all = scope(cluster, kind, undefined);
    const one = scope(cluster, kind, namespace);
    if (
      this.incomplete.has(scope(cluster, ALL, undefined)) ||
      this.incomplete.has(all) ||
      this.incomplete.has(one) ||
      this.incomplete.has(scope(cluster, ALL, namespace))
    )
      return false;
    return this.complete.has(all) || this.complete.has(one);
  }

  /** Can this finding's presence or absence be trusted? A schemaVersion 1 key (no namespace) needs every kind of its family read in full. */
  coversKey(parts: FindingKeyParts): boolean {
    const kinds = kindsOfFamily(parts.family);
    if (kinds.length === 0) return false;
    if (parts.namespace === undefined) return kinds.every((kind) => this.covers(parts.cluster, kind.kind, undefined));
    const kind = kinds.find((entry) => entry.namespaced === (parts.namespace !== ""));
    return kind !== undefined && this.covers(parts.cluster, kind.kind, parts.namespace || undefined);
  }

  /** Clusters of which at least one list was read completely. */
  clusters(): Set<string> {
    return new Set([...this.complete].map((entry) => entry.split("|")[0] ?? ""));
  }

  /** The complete scopes that no problem marked incomplete, sorted (the JSON output's `coverage`). */
  toJSON(): string[] {
    return [...this.complete]
      .filter((entry) => {
        const [cluster = "", kind = "", namespace = ALL] = entry.split("|");
        return this.covers(cluster, kind, namespace === ALL ? undefined : namespace);
      })
      .sort();
  }

  static fromScopes(scopes: readonly string[]): Coverage {
    const coverage = new Coverage();
    for (const entry of scopes) {
      const [cluster = "", kind = "", namespace = ALL] = entry.split("|");
      coverage.markComplete(cluster, kind, namespace === ALL ? undefined : namespace);
    }
    return coverage;
  }
}

function scope(cluster: string, kind: string, namespace: string | undefined): string {
  return `${cluster}|${kind}|${namespace ? namespace : ALL}`;
}
