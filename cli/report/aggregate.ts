import {
  emptySeverityCounts,
  compareCountsDescending,
  severityRank,
  SEVERITIES,
  sumCounts,
  type Severity,
  type SeverityCounts,
} from "../common/severity";
import { formatDuration } from "../common/duration";
import { FindingIndex } from "./finding-index";
import { findingPrefix, imageRepository, stableWorkload } from "./keys";
import { countFindings, type NormalizedReport } from "./normalize";
import { VulnerabilityIdTable } from "./vulnerability-ids";
import {
  CHECK_FAMILIES,
  type CheckFamily,
  type CheckFamilySummary,
  type GroupRow,
  type ImageRow,
  type MismatchRow,
  type ReportSummary,
  type SecretRow,
  type SourceRow,
  type StaleRow,
  type TopVulnerabilityRow,
} from "./summary";

export interface AggregateOptions {
  /** Reports whose timestamp is older than `now - staleAfterMs` are stale. */
  readonly now: Date;
  readonly staleAfterMs: number;
  /** Length of the lists that could grow with the fleet (top CVEs, top checks). JSON keeps full group tables. */
  readonly listLimit: number;
  /**
   * identity → version of the copy to count, from an earlier pass that saw a newer copy arrive after
   * an older one was counted (see newerCopiesLater); other copies of those reports are skipped.
   */
  readonly preferredVersions?: ReadonlyMap<string, string>;
}

/** `timestamp\0resourceVersion`: what "newest" compares. */
export function reportVersion(report: Pick<NormalizedReport, "timestamp" | "resourceVersion">): string {
  return `${report.timestamp ?? ""}\0${report.resourceVersion ?? ""}`;
}

/** > 0 when version a is newer: later timestamp, then higher resourceVersion (an integer in every API server, opaque by contract). */
export function compareVersions(a: string, b: string): number {
  const [timeA = "", rvA = ""] = a.split("\0");
  const [timeB = "", rvB = ""] = b.split("\0");
  const parsedA = Date.parse(timeA);
  const parsedB = Date.parse(timeB);
  if (!Number.isNaN(parsedA) && !Number.isNaN(parsedB) && parsedA !== parsedB) return parsedA - parsedB;
  if (/^\d+$/.test(rvA) && /^\d+$/.test(rvB) && rvA !== rvB) return BigInt(rvA) > BigInt(rvB) ? 1 : -1;
  return 0;
}

interface GroupAccumulator {
  cluster: string;
  namespace?: string;
  workload?: string;
  reports: number;
  vulnerabilities: SeverityCounts;
  fixable: number;
  exposedSecrets: number;
  failedChecks: number;
}

interface ImageAccumulator {
  clusters: Set<string>;
  /** Distinct workload keys (cluster, namespace, workload). */
  workloads: Set<string>;
  /** Reports, i.e. containers. */
  containers: number;
  /** `id|package` → severity rank × 2 + fixable, so an image with 50 replicas counts each CVE once (a number, not an object: there can be millions). */
  vulnerabilities: Map<string, number>;
}

interface CheckAccumulator {
  title: string;
  severity: Severity;
  failedResources: number;
}

/** Hard caps for lists whose length grows with the fleet; counts stay exact. */
const MAX_STALE_ITEMS = 500;
const MAX_MISMATCH_ITEMS = 200;

/**
 * Folds reports into counters one at a time, so a caller can stream thousands of reports and drop
 * each after `add`. Memory grows with the number of distinct groups and (image, CVE) pairs, not
 * with the input size.
 */
export class ReportAggregator {
  private readonly totals = emptySeverityCounts();
  private readonly fixable = emptySeverityCounts();
  private readonly unfixed = emptySeverityCounts();
  private readonly reportsByKind = new Map<string, number>();
  private readonly clusters = new Map<string, GroupAccumulator>();
  private readonly namespaces = new Map<string, GroupAccumulator>();
  private readonly workloads = new Map<string, GroupAccumulator>();
  private readonly images = new Map<string, ImageAccumulator>();
  private readonly vulnerabilityIds: VulnerabilityIdTable;
  private readonly secretTotals = emptySeverityCounts();
  private readonly secrets: SecretRow[] = [];
  private readonly checkReports = new Map<CheckFamily, number>();
  private readonly checkTotals = new Map<CheckFamily, SeverityCounts>(CHECK_FAMILIES.map((family) => [family, emptySeverityCounts()]));
  private readonly checks = new Map<CheckFamily, Map<string, CheckAccumulator>>(CHECK_FAMILIES.map((family) => [family, new Map()]));
  private readonly stale: StaleRow[] = [];
  private staleCount = 0;
  private withoutTimestamp = 0;
  private readonly mismatches: MismatchRow[] = [];
  private mismatchCount = 0;
  private readonly findingIndex = new FindingIndex();
  /** identity → version of the copy counted. */
  private readonly seenReports = new Map<string, string>();
  /** identity → newest version of a copy that arrived after an older copy had been counted. */
  readonly newerCopiesLater = new Map<string, string>();
  private readonly staleBefore: number;

  constructor(private readonly options: AggregateOptions) {
    this.staleBefore = options.now.getTime() - options.staleAfterMs;
    this.vulnerabilityIds = new VulnerabilityIdTable(options.listLimit);
  }

  /**
   * Adds one report; returns false (and ignores it) when the same report (see NormalizedReport.identity)
   * was already added: the same object in two input files, or read twice from a cluster.
   */
  add(report: NormalizedReport): boolean {
    const { ref, identity } = report;
    if (identity !== undefined) {
      const version = reportVersion(report);
      const preferred = this.options.preferredVersions?.get(identity);
      if (preferred !== undefined && preferred !== version) return false;
      const counted = this.seenReports.get(identity);
      if (counted !== undefined) {
        const newest = this.newerCopiesLater.get(identity) ?? counted;
        if (compareVersions(version, newest) > 0) this.newerCopiesLater.set(identity, version);
        return false;
      }
      this.seenReports.set(identity, version);
    }
    this.reportsByKind.set(ref.kind, (this.reportsByKind.get(ref.kind) ?? 0) + 1);

    const groups = [
      this.group(this.clusters, ref.cluster, { cluster: ref.cluster }),
      this.group(this.namespaces, `${ref.cluster}\0${ref.namespace}`, { cluster: ref.cluster, namespace: ref.namespace }),
      this.group(this.workloads, `${ref.cluster}\0${ref.namespace}\0${report.workload}`, {
        cluster: ref.cluster,
        namespace: ref.namespace,
        workload: report.workload,
      }),
    ];
    for (const group of groups) {
      group.reports += 1;
      group.exposedSecrets += report.secrets.length;
      group.failedChecks += report.failedChecks.length;
    }

    if (report.family === "vulnerability") this.addVulnerabilities(report, groups);
    else if (report.family === "exposedSecret") this.addSecrets(report);
    else this.addChecks(report, report.family);

    this.checkSummary(report);
    this.checkStaleness(report);
    return true;
  }

  private group(
    map: Map<string, GroupAccumulator>,
    key: string,
    identity: Pick<GroupAccumulator, "cluster" | "namespace" | "workload">,
  ): GroupAccumulator {
    let group = map.get(key);
    if (!group) {
      group = { ...identity, reports: 0, vulnerabilities: emptySeverityCounts(), fixable: 0, exposedSecrets: 0, failedChecks: 0 };
      map.set(key, group);
    }
    return group;
  }

  private addVulnerabilities(report: NormalizedReport, groups: readonly GroupAccumulator[]): void {
    const image = report.image || `(${report.ref.kind} ${report.ref.name})`;
    let imageEntry = this.images.get(image);
    if (!imageEntry) {
      imageEntry = { clusters: new Set(), workloads: new Set(), containers: 0, vulnerabilities: new Map() };
      this.images.set(image, imageEntry);
    }
    const workloadKey = `${report.ref.cluster}\0${report.ref.namespace}\0${report.workload}`;
    imageEntry.clusters.add(report.ref.cluster);
    imageEntry.workloads.add(workloadKey);
    imageEntry.containers += 1;
    const vulnerabilityPrefix = findingPrefix("vulnerability", report.ref.cluster, report.ref.namespace, imageRepository(image));

    for (const vulnerability of report.vulnerabilities) {
      const isFixable = vulnerability.fixedVersion !== "";
      this.totals[vulnerability.severity] += 1;
      (isFixable ? this.fixable : this.unfixed)[vulnerability.severity] += 1;
      for (const group of groups) {
        group.vulnerabilities[vulnerability.severity] += 1;
        if (isFixable) group.fixable += 1;
      }
      // One string for both the image table and the finding index (findingKey's last two fields).
      // join builds a flat string; a template literal builds a rope of two 32-byte cons cells, which
      // V8 keeps as such in a Map key: 16 bytes more per distinct finding (4 MB on the bench data).
      const idAndPackage = [vulnerability.id, vulnerability.packageName].join("|");
      imageEntry.vulnerabilities.set(idAndPackage, severityRank(vulnerability.severity) * 2 + (isFixable ? 1 : 0));

      this.vulnerabilityIds.add(vulnerability.id, vulnerability.severity, vulnerability.title, image, workloadKey, isFixable);
      this.findingIndex.addParts(vulnerabilityPrefix, idAndPackage, vulnerability.severity);
    }
  }

  private addSecrets(report: NormalizedReport): void {
    const prefix = findingPrefix("exposedSecret", report.ref.cluster, report.ref.namespace, imageRepository(report.image));
    for (const secret of report.secrets) {
      this.secretTotals[secret.severity] += 1;
      this.secrets.push({
        cluster: report.ref.cluster,
        namespace: report.ref.namespace,
        workload: report.workload,
        container: report.container,
        image: report.image,
        ruleId: secret.ruleId,
        category: secret.category,
        title: secret.title,
        severity: secret.severity,
        target: secret.target,
      });
      this.findingIndex.addParts(prefix, `${secret.ruleId}|${secret.target}`, secret.severity);
    }
  }

  private addChecks(report: NormalizedReport, family: CheckFamily): void {
    this.checkReports.set(family, (this.checkReports.get(family) ?? 0) + 1);
    const totals = this.checkTotals.get(family) ?? emptySeverityCounts();
    const checks = this.checks.get(family) ?? new Map<string, CheckAccumulator>();
    const prefix = findingPrefix(family, report.ref.cluster, report.ref.namespace, stableWorkload(report.workload));
    for (const check of report.failedChecks) {
      totals[check.severity] += 1;
      const entry = checks.get(check.id) ?? { title: check.title, severity: check.severity, failedResources: 0 };
      entry.failedResources += 1;
      checks.set(check.id, entry);
      this.findingIndex.addParts(prefix, `${check.id}|`, check.severity);
    }
  }

  private checkSummary(report: NormalizedReport): void {
    if (!report.summary) return;
    const findings = countFindings(report);
    // Secret and check summaries have no unknownCount; compare only what the summary can express.
    const comparable = report.family === "vulnerability" ? SEVERITIES : SEVERITIES.filter((severity) => severity !== "unknown");
    if (comparable.every((severity) => report.summary?.[severity] === findings[severity])) return;
    this.mismatchCount += 1;
    if (this.mismatches.length < MAX_MISMATCH_ITEMS) this.mismatches.push({ ...report.ref, summary: report.summary, findings });
  }

  private checkStaleness(report: NormalizedReport): void {
    const time = report.timestamp === undefined ? Number.NaN : Date.parse(report.timestamp);
    if (Number.isNaN(time)) {
      this.withoutTimestamp += 1;
      return;
    }
    if (time >= this.staleBefore) return;
    this.staleCount += 1;
    if (this.stale.length < MAX_STALE_ITEMS) {
      const ageHours = Math.round((this.options.now.getTime() - time) / 3_600_000);
      this.stale.push({ ...report.ref, timestamp: report.timestamp ?? "", ageHours });
    }
  }

  /** The finished summary. Sources, warnings and notes are I/O facts the caller passes in. */
  result(context: {
    sources: readonly SourceRow[];
    warnings: readonly string[];
    notes: readonly string[];
    coverage: readonly string[];
  }): ReportSummary {
    const { listLimit } = this.options;
    const reportsByKind = Object.fromEntries([...this.reportsByKind].sort(([a], [b]) => a.localeCompare(b)));
    return {
      schemaVersion: 2,
      generatedAt: this.options.now.toISOString(),
      staleAfter: formatDuration(this.options.staleAfterMs),
      totals: { ...this.totals },
      vulnerabilityReports: this.reportsByKind.get("VulnerabilityReport") ?? 0,
      reportsByKind,
      vulnerabilities: {
        total: sumCounts(this.totals),
        fixable: { ...this.fixable },
        unfixed: { ...this.unfixed },
        distinctIds: this.vulnerabilityIds.size,
      },
      byCluster: sortGroups(this.clusters),
      byNamespace: sortGroups(this.namespaces),
      byWorkload: sortGroups(this.workloads),
      byImage: this.imageRows(),
      topVulnerabilities: this.topVulnerabilities(listLimit),
      exposedSecrets: {
        totals: { ...this.secretTotals },
        items: [...this.secrets].sort((a, b) => severityRank(a.severity) - severityRank(b.severity)),
      },
      failedChecks: Object.fromEntries(CHECK_FAMILIES.map((family) => [family, this.checkFamilySummary(family, listLimit)])) as Record<
        CheckFamily,
        CheckFamilySummary
      >,
      staleReports: {
        count: this.staleCount,
        withoutTimestamp: this.withoutTimestamp,
        items: [...this.stale].sort((a, b) => b.ageHours - a.ageHours),
      },
      summaryMismatches: { count: this.mismatchCount, items: this.mismatches },
      sources: context.sources,
      warnings: context.warnings,
      notes: context.notes,
      coverage: context.coverage,
      findingIndex: this.findingIndex,
    };
  }

  private imageRows(): ImageRow[] {
    const rows: ImageRow[] = [];
    for (const [image, entry] of this.images) {
      const vulnerabilities = emptySeverityCounts();
      let fixable = 0;
      for (const packed of entry.vulnerabilities.values()) {
        vulnerabilities[SEVERITIES[packed >> 1] ?? "unknown"] += 1;
        if ((packed & 1) === 1) fixable += 1;
      }
      rows.push({
        image,
        clusters: [...entry.clusters].sort(),
        workloads: entry.workloads.size,
        containers: entry.containers,
        vulnerabilities,
        fixable,
      });
    }
    return rows.sort((a, b) => compareCountsDescending(a.vulnerabilities, b.vulnerabilities) || a.image.localeCompare(b.image));
  }

  /** The first `limit` rows in "fix these first" order, without building a row for each of possibly 100,000s of IDs. */
  private topVulnerabilities(limit: number): TopVulnerabilityRow[] {
    // "Top" = the worst severity first, then the widest spread: that is the order to fix them in.
    const order = (a: TopVulnerabilityRow, b: TopVulnerabilityRow): number =>
      severityRank(a.severity) - severityRank(b.severity) ||
      b.affectedImages - a.affectedImages ||
      b.affectedWorkloads - a.affectedWorkloads ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const best: TopVulnerabilityRow[] = [];
    for (const row of this.vulnerabilityIds.rowsInOrder()) {
      const last = best[best.length - 1];
      if (best.length >= limit && last !== undefined && order(row, last) >= 0) continue;
      let low = 0;
      let high = best.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        const probe = best[middle];
        if (probe !== undefined && order(probe, row) <= 0) low = middle + 1;
        else high = middle;
      }
      best.splice(low, 0, row);
      if (best.length > limit) best.pop();
    }
    return best;
  }

  private checkFamilySummary(family: CheckFamily, listLimit: number): CheckFamilySummary {
    const topChecks = [...(this.checks.get(family) ?? new Map<string, CheckAccumulator>())]
      .map(([id, entry]) => ({ id, title: entry.title, severity: entry.severity, failedResources: entry.failedResources }))
      .sort(
        (a, b) => severityRank(a.severity) - severityRank(b.severity) || b.failedResources - a.failedResources || a.id.localeCompare(b.id),
      )
      .slice(0, listLimit);
    return {
      reports: this.checkReports.get(family) ?? 0,
      failed: { ...(this.checkTotals.get(family) ?? emptySeverityCounts()) },
      topChecks,
    };
  }
}

function sortGroups(map: Map<string, GroupAccumulator>): GroupRow[] {
  return [...map.values()]
    .map((group) => ({ ...group, vulnerabilities: { ...group.vulnerabilities } }))
    .sort(
      (a, b) =>
        compareCountsDescending(a.vulnerabilities, b.vulnerabilities) ||
        b.exposedSecrets - a.exposedSecrets ||
        b.failedChecks - a.failedChecks ||
        `${a.cluster}/${a.namespace ?? ""}/${a.workload ?? ""}`.localeCompare(`${b.cluster}/${b.namespace ?? ""}/${b.workload ?? ""}`),
    );
}
