import type { Severity, SeverityCounts } from "../common/severity";
import type { FindingFamily } from "./kinds";

/**
 * The `--format json` document; also what every other format renders and what `--baseline` reads.
 * `schemaVersion` changes when a field changes meaning.
 */
export interface ReportSummary {
  readonly schemaVersion: 1;
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
  /** Stable key → severity of every distinct finding; `--baseline` compares these keys (see docs/reports.md). */
  readonly findingIndex: Readonly<Record<string, Severity>>;
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
  readonly workloads: number;
  readonly vulnerabilities: SeverityCounts;
  readonly fixable: number;
}

export interface TopVulnerabilityRow {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly affectedImages: number;
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
  readonly topChecks: readonly { readonly id: string; readonly title: string; readonly severity: Severity; readonly failedResources: number }[];
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
  readonly reports: number;
  readonly warnings: number;
}

export interface BaselineFinding {
  readonly key: string;
  readonly severity: Severity;
}

export interface BaselineDiff {
  readonly file: string;
  readonly generatedAt: string | undefined;
  readonly newFindings: SeverityCounts;
  readonly resolvedFindings: SeverityCounts;
  /** Worst first, at most the `--top` limit; the counts above are complete. */
  readonly newItems: readonly BaselineFinding[];
  readonly resolvedItems: readonly BaselineFinding[];
}
