import { asArray, asRecord, asString } from "../common/json-access";
import { severityRank, type Severity } from "../common/severity";
import type { ReportAggregator } from "./aggregate";
import { findReportKind } from "./kinds";
import { normalizeReport } from "./normalize";
import { csvLinesForReport } from "./render/csv";
import type { SourceRow } from "./summary";

/** Lists nested deeper than this (a List in a List in a List…) are not opened; nothing real does it. */
const MAX_LIST_DEPTH = 8;

export interface IntakeOptions {
  readonly aggregator: ReportAggregator;
  readonly failOn: Severity | undefined;
  /** CSV: each counted report's rows are handed on as they are counted. */
  readonly onCsv: ((text: string) => void) | undefined;
}

/** What one source contributed: its Sources row, its warning lines (each makes the run incomplete) and notes. */
export interface SourceOutcome {
  readonly row: SourceRow;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  /** Something usable was read (objects, or a valid empty answer). */
  readonly usable: boolean;
}

/**
 * The one path from a decoded object to the aggregation, shared by every source. Every object a
 * source hands in is accounted for: counted, or dropped with a count (duplicate, kind without
 * findings, not a report, not an object, outside --namespace), and a List found inside the input
 * (`jq -s` output, a List in a List) is opened, not rejected.
 */
export class ReportIntake {
  private failOnMatchedFlag = false;

  constructor(private readonly options: IntakeOptions) {}

  get failOnMatched(): boolean {
    return this.failOnMatchedFlag;
  }

  /** Starts the tally of one source. `namespaces` (non-empty) keeps only those namespaces: --namespace applied to files. */
  source(sourceName: string, cluster: string, namespaces: readonly string[] = []): SourceTally {
    return new SourceTally(this, this.options, sourceName, cluster, new Set(namespaces));
  }

  /** @internal */
  matched(): void {
    this.failOnMatchedFlag = true;
  }
}

export class SourceTally {
  private reports = 0;
  private duplicates = 0;
  private nestedLists = 0;
  private notObjects = 0;
  private outsideNamespaces = 0;
  private readonly rejected = new Map<string, number>();
  private readonly withoutFindings = new Map<string, number>();
  private readonly problems: string[] = [];
  private readonly extraNotes: string[] = [];
  /** `Kind\0namespace` of every report object seen (counted or duplicate): what a complete file covers. */
  readonly seenScopes = new Set<string>();

  constructor(
    private readonly intake: ReportIntake,
    private readonly options: IntakeOptions,
    readonly sourceName: string,
    readonly cluster: string,
    private readonly namespaces: ReadonlySet<string>,
  ) {}

  get problemCount(): number {
    return this.problems.length;
  }

  onObject(object: unknown, depth = 0): void {
    const record = asRecord(object);
    if (!record) {
      this.notObjects++;
      return;
    }
    const items = record["items"];
    if (Array.isArray(items) && !findReportKind(record["kind"])) {
      if (depth >= MAX_LIST_DEPTH) {
        this.problem(`a List nested more than ${MAX_LIST_DEPTH} deep was not opened (${items.length} item(s) skipped)`);
        return;
      }
      this.nestedLists++;
      for (const item of asArray(items)) this.onObject(item, depth + 1);
      return;
    }
    if (this.namespaces.size > 0) {
      const namespace = asString(asRecord(record["metadata"])?.["namespace"]) ?? "";
      if (!this.namespaces.has(namespace)) {
        this.outsideNamespaces++;
        return;
      }
    }
    const outcome = normalizeReport(record, this.cluster);
    if (outcome.type === "no-findings-kind") {
      this.withoutFindings.set(outcome.kind, (this.withoutFindings.get(outcome.kind) ?? 0) + 1);
      return;
    }
    if (outcome.type === "rejected") {
      const key = `${outcome.kind}: ${outcome.reason}`;
      this.rejected.set(key, (this.rejected.get(key) ?? 0) + 1);
      return;
    }
    const { report } = outcome;
    this.seenScopes.add(`${report.ref.kind}\0${report.ref.namespace}`);
    if (!this.options.aggregator.add(report)) {
      this.duplicates++;
      return;
    }
    this.reports++;
    if (this.options.failOn !== undefined && !this.intake.failOnMatched) {
      const threshold = severityRank(this.options.failOn);
      if ([...report.vulnerabilities, ...report.secrets].some((finding) => severityRank(finding.severity) <= threshold))
        this.intake.matched();
    }
    this.options.onCsv?.(csvLinesForReport(report));
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  note(message: string): void {
    this.extraNotes.push(message);
  }

  finish(usable: boolean): SourceOutcome {
    const warnings = [...this.problems];
    const notes = [...this.extraNotes];
    if (this.notObjects > 0)
      warnings.push(
        `skipped ${this.notObjects} item(s) that are not objects (a number, string, null or array where a Kubernetes object belongs)`,
      );
    for (const [what, count] of this.rejected) warnings.push(`skipped ${count} object(s) of kind ${what}`);
    for (const [kind, count] of this.withoutFindings) notes.push(`skipped ${count} ${kind}(s): this kind carries no findings`);
    if (this.duplicates > 0)
      notes.push(
        `dropped ${this.duplicates} duplicate report(s) (same cluster, kind, namespace and name as one already counted; the newest copy is counted)`,
      );
    if (this.nestedLists > 0)
      notes.push(`opened ${this.nestedLists} List(s) inside the input (e.g. \`jq -s\` output) and read their items`);
    if (this.outsideNamespaces > 0)
      notes.push(
        `skipped ${this.outsideNamespaces} object(s) outside --namespace ${[...this.namespaces].join(", ")} (cluster-scoped kinds included)`,
      );
    return {
      row: { source: this.sourceName, cluster: this.cluster, reports: this.reports, warnings: warnings.length },
      warnings: warnings.map((line) => `${this.sourceName}: ${line}`),
      notes: notes.map((line) => `${this.sourceName}: ${line}`),
      usable,
    };
  }
}
