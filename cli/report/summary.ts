import type { Severity, SeverityCounts } from "../common/severity";
import type { FindingIndex } from "./finding-index";
import type { FindingFamily } from "./kinds";

/**
 * The `--format json` document; also what every other format renders and what `--baseline` reads.
 * `schemaVersion` changes when a field changes meaning.
 */
export interface ReportSummary {
  readonly schemaVersion: 2;
  readonly generatedAt: string;
  readonly staleAfter: string;
  /** Vulnerabilities by severity, counted from the findings lists of (Cluster)VulnerabilityReports, one per report entry. */
  readonly totals: SeverityCounts;
  /** Number of VulnerabilityReport objects read. */
  readonly vulnerabilityReports: number;
  readonly reportsByKind: Readonly<Record<string, number>>;
  readonly vulnerabilities: {
    readonly total: number;
    /** Entries with a `fixedVersion`. */
    readonly fixable: SeverityCounts;
    readonly unfixed: SeverityCounts;
    /** Distinct vulnerability IDs. */
    readonly distinctIds: number;
  };
  readonly byCluster: readonly GroupRow[];
  readonly byNamespace: readonly GroupRow[];
  readonly byWorkload: readonly GroupRow[];
  /** Per image, each distinct (vulnerability, package) once, however many workloads run the image. */
  readonly byImage: readonly ImageRow[];
  readonly topVulnerabilities: readonly TopVulnerabilityRow[];
  readonly exposedSecrets: { readonly totals: SeverityCounts; readonly items: readonly SecretRow[] };
  readonly failedChecks: Readonly<Record<CheckFamily, CheckFamilySummary>>;
  readonly staleReports: { readonly count: number; readonly withoutTimestamp: number; readonly items: readonly StaleRow[] };
  /** Reports whose `summary` disagrees with their findings lists. The findings are counted; the summary is ignored. */
  readonly summaryMismatches: { readonly count: number; readonly items: readonly MismatchRow[] };
  readonly sources: readonly SourceRow[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  readonly baseline?: BaselineDiff;
  /**
   * The lists this run read completely (`cluster|Kind|namespace`, `*` = every namespace): only
   * findings inside them can be new or resolved when this output is a later run's `--baseline`.
   */
  readonly coverage: readonly string[];
  /** Stable key → severity of every distinct finding; `--baseline` compares these keys (see docs/reports.md). A plain object in the JSON output. */
  readonly findingIndex: FindingIndex;
}

export type CheckFamily = Extract<FindingFamily, "configAudit" | "rbacAssessment" | "infraAssessment">;
export const CHECK_FAMILIES: readonly CheckFamily[] = ["configAudit", "rbacAssessment", "infraAssessment"];

export interface GroupRow {
  readonly cluster: string;
  readonly namespace?: string;
  readonly workload?: string;
  readonly reports: number;
  readonly vulnerabilities: SeverityCounts;
  readonly fixable: number;
  readonly exposedSecrets: number;
  readonly failedChecks: number;
}

export interface ImageRow {
  readonly image: string;
  readonly clusters: readonly string[];
  /** Distinct workloads (cluster, namespace, kind/name) running the image. */
  readonly workloads: number;
  /** VulnerabilityReports of the image: one per container, so a 3-container pod with this image in each counts 3. */
  readonly containers: number;
  readonly vulnerabilities: SeverityCounts;
  readonly fixable: number;
}

export interface TopVulnerabilityRow {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly affectedImages: number;
  /** Distinct workloads, not reports (a workload has one report per container). */
  readonly affectedWorkloads: number;
  readonly fixable: boolean;
}

export interface SecretRow {
  readonly cluster: string;
  readonly namespace: string;
  readonly workload: string;
  readonly container: string;
  readonly image: string;
  readonly ruleId: string;
  readonly category: string;
  readonly title: string;
  readonly severity: Severity;
  readonly target: string;
}

export interface CheckFamilySummary {
  readonly reports: number;
  readonly failed: SeverityCounts;
  readonly topChecks: readonly {
    readonly id: string;
    readonly title: string;
    readonly severity: Severity;
    readonly failedResources: number;
  }[];
}

export interface StaleRow {
  readonly cluster: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly timestamp: string;
  readonly ageHours: number;
}

export interface MismatchRow {
  readonly cluster: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly summary: SeverityCounts;
  readonly findings: SeverityCounts;
}

export interface SourceRow {
  readonly source: string;
  readonly cluster: string;
  /** Reports counted from this source (duplicates and skipped objects excluded). */
  readonly reports: number;
  readonly warnings: number;
}

export interface BaselineFinding {
  readonly key: string;
  readonly severity: Severity;
  /** The key as a sentence: `CVE-2019-20367 in libwebp6, image index.docker.io/library/nginx (cluster prod, namespace default)`. */
  readonly text: string;
}

export interface BaselineDiff {
  readonly file: string;
  readonly generatedAt: string | undefined;
  /** Clusters both runs read; none means nothing was compared (a warning says so). */
  readonly commonClusters: readonly string[];
  readonly newFindings: SeverityCounts;
  readonly resolvedFindings: SeverityCounts;
  /** Baseline findings whose list this run did not read completely: neither resolved nor confirmed (exit 3). */
  readonly notCompared: SeverityCounts;
  /** Findings of this run in lists the baseline did not read completely: not counted as new. */
  readonly outsideBaseline: SeverityCounts;
  /** Worst first, at most the `--top` limit; the counts above are complete. */
  readonly newItems: readonly BaselineFinding[];
  readonly resolvedItems: readonly BaselineFinding[];
  readonly notComparedItems: readonly BaselineFinding[];
}
