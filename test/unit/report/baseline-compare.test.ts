import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { readBaselineFindings, readBaselineHeader } from "../../../cli/report/baseline";
import { runReportCommand } from "../../../cli/report/command";
import type { ReportSummary } from "../../../cli/report/summary";
import { SEVERITIES, type Severity, type SeverityCounts } from "../../../cli/common/severity";
import { captureIo } from "./helpers";
import { seededRandom } from "../../../bench/seeded-random";

const NOW = "2024-05-01T00:00:00Z";
const TRIVY_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"] as const;

interface Finding {
  readonly namespace: string;
  readonly image: { readonly registry: string; readonly repository: string; readonly tag: string };
  readonly id: string;
  readonly packageName: string;
  readonly severity: (typeof TRIVY_SEVERITIES)[number];
}

/** One VulnerabilityReport per (namespace, image) in the shape trivy-operator writes (as in bench/report.ts). */
function fleetFile(path: string, findings: readonly Finding[]): void {
  const reports = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = `${finding.namespace}/${finding.image.repository}`;
    reports.set(key, [...(reports.get(key) ?? []), finding]);
  }
  const items = [...reports.values()].map((list, index) => {
    const first = list[0] as Finding;
    const workload = `${first.image.repository.split("/").pop() ?? "app"}-${index}`;
    return {
      apiVersion: "aquasecurity.github.io/v1alpha1",
      kind: "VulnerabilityReport",
      metadata: {
        name: `replicaset-${workload}-app`,
        namespace: first.namespace,
        labels: {
          "trivy-operator.container.name": "app",
          "trivy-operator.resource.kind": "ReplicaSet",
          "trivy-operator.resource.name": workload,
          "trivy-operator.resource.namespace": first.namespace,
        },
        resourceVersion: String(1000 + index),
      },
      report: {
        artifact: { repository: first.image.repository, tag: first.image.tag },
        registry: { server: first.image.registry },
        updateTimestamp: "2024-04-30T08:00:00Z",
        vulnerabilities: list.map((finding) => ({
          vulnerabilityID: finding.id,
          resource: finding.packageName,
          severity: finding.severity,
          installedVersion: "1.0.0",
          fixedVersion: "",
          title: `${finding.packageName}: ${finding.id}`,
        })),
      },
    };
  });
  writeFileSync(path, JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 4));
}

/**
 * A month's worth of change on high-variety data (a distinct CVE for most entries): findings fixed,
 * found, re-rated, the same CVE and package twice in one image with two ratings, a namespace gone
 * (its baseline findings cannot be resolved) and a namespace added (its findings cannot be new).
 */
function twoMonths(): { previous: Finding[]; current: Finding[] } {
  const random = seededRandom(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const packages = ["openssl", "zlib1g", "libc6", "curl", "golang.org/x/net", "log4j-core", "urllib3", "busybox"];
  const images = Array.from({ length: 60 }, (_, index) => ({
    registry: pick(["ghcr.io", "quay.io", "index.docker.io"]),
    repository: `team-${index % 7}/service-${index}`,
    tag: `v1.${index % 5}`,
  }));
  const previous: Finding[] = [];
  let cve = 0;
  for (let namespace = 0; namespace < 10; namespace++)
    for (const image of images.slice(namespace * 5, namespace * 5 + 9))
      for (let entry = 0; entry < 40; entry++)
        previous.push({
          namespace: `ns-${namespace}`,
          image,
          // Every eighth entry shares its CVE with other images (a common base image); the rest are distinct.
          id: entry % 8 === 0 ? `CVE-2023-${100 + entry}` : `CVE-2024-${100000 + cve++}`,
          packageName: pick(packages),
          severity: pick(TRIVY_SEVERITIES),
        });
  const current: Finding[] = [];
  for (const finding of previous) {
    if (finding.namespace === "ns-9") continue; // not read this month
    const roll = random();
    if (roll < 0.15) continue; // fixed
    current.push(roll < 0.25 ? { ...finding, severity: pick(TRIVY_SEVERITIES) } : finding);
    if (roll > 0.9) current.push({ ...finding, id: `CVE-2025-${100000 + cve++}`, severity: pick(TRIVY_SEVERITIES) }); // found
  }
  for (const image of images.slice(50, 54))
    for (let entry = 0; entry < 10; entry++)
      current.push({
        namespace: "ns-new",
        image,
        id: `CVE-2025-${200000 + cve++}`,
        packageName: pick(packages),
        severity: pick(TRIVY_SEVERITIES),
      });
  // The same CVE and package twice in one image, rated differently: the worst rating is the finding's.
  const twice = current[3] as Finding;
  current.push({ ...twice, severity: twice.severity === "CRITICAL" ? "LOW" : "CRITICAL" });
  return { previous, current };
}

/** The documented key (docs/reports.md): family|cluster|namespace|image repository|id|package, with the worst severity. */
function findingKeys(findings: readonly Finding[]): Map<string, Severity> {
  const keys = new Map<string, Severity>();
  for (const finding of findings) {
    const key = [
      "vulnerability",
      "prod",
      finding.namespace,
      `${finding.image.registry}/${finding.image.repository}`,
      finding.id,
      finding.packageName,
    ].join("|");
    const severity = finding.severity.toLowerCase() as Severity;
    const known = keys.get(key);
    if (known === undefined || SEVERITIES.indexOf(severity) < SEVERITIES.indexOf(known)) keys.set(key, severity);
  }
  return keys;
}

interface Expected {
  newFindings: SeverityCounts;
  resolvedFindings: SeverityCounts;
  notCompared: SeverityCounts;
  outsideBaseline: SeverityCounts;
  newKeys: string[];
  resolvedKeys: string[];
  notComparedKeys: string[];
}

/**
 * What the comparison must say, computed from the generated findings with Maps and the rules of
 * docs/reports.md: a file covers the namespaces it holds reports of.
 */
function expectedComparison(previous: readonly Finding[], current: readonly Finding[], listLimit: number): Expected {
  const before = findingKeys(previous);
  const now = findingKeys(current);
  const readBefore = new Set(previous.map((finding) => finding.namespace));
  const readNow = new Set(current.map((finding) => finding.namespace));
  const namespaceOf = (key: string): string => key.split("|")[2] ?? "";
  const zero = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
  const result: Expected = {
    newFindings: zero(),
    resolvedFindings: zero(),
    notCompared: zero(),
    outsideBaseline: zero(),
    newKeys: [],
    resolvedKeys: [],
    notComparedKeys: [],
  };
  const listed: [string, Severity][][] = [[], [], []];
  for (const [key, severity] of now) {
    if (before.has(key)) continue;
    if (readBefore.has(namespaceOf(key))) {
      result.newFindings[severity]++;
      listed[0]?.push([key, severity]);
    } else result.outsideBaseline[severity]++;
  }
  for (const [key, severity] of before) {
    if (now.has(key)) continue;
    if (readNow.has(namespaceOf(key))) {
      result.resolvedFindings[severity]++;
      listed[1]?.push([key, severity]);
    } else {
      result.notCompared[severity]++;
      listed[2]?.push([key, severity]);
    }
  }
  // Listed: worst first, then by key as a reader sorts them (localeCompare), at most listLimit.
  const [newKeys, resolvedKeys, notComparedKeys] = listed.map((items) =>
    items
      .sort(([keyA, a], [keyB, b]) => SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b) || keyA.localeCompare(keyB))
      .slice(0, listLimit)
      .map(([key]) => key),
  );
  return { ...result, newKeys: newKeys ?? [], resolvedKeys: resolvedKeys ?? [], notComparedKeys: notComparedKeys ?? [] };
}

async function report(args: string[]): Promise<{ code: number; summary: ReportSummary; stdout: string; stderr: string }> {
  const captured = captureIo();
  const code = await runReportCommand([...args, "--cluster", "prod", "--format", "json", "--now", NOW], captured.io);
  const stdout = captured.stdout();
  return { code, summary: JSON.parse(stdout || "null") as ReportSummary, stdout, stderr: captured.stderr() };
}

let scratch: string;
let previousFile: string;
let currentFile: string;
let baselineFile: string;
let fleets: { previous: Finding[]; current: Finding[] };

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "baseline-compare-"));
  fleets = twoMonths();
  previousFile = join(scratch, "april.json");
  currentFile = join(scratch, "may.json");
  fleetFile(previousFile, fleets.previous);
  fleetFile(currentFile, fleets.current);
  baselineFile = join(scratch, "april-report.json");
  const april = await report([previousFile]);
  expect(april.code).toBe(ExitCode.OK);
  writeFileSync(baselineFile, april.stdout);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectComparison(summary: ReportSummary, expected: Expected): void {
  const diff = summary.baseline;
  expect(diff?.newFindings).toEqual(expected.newFindings);
  expect(diff?.resolvedFindings).toEqual(expected.resolvedFindings);
  expect(diff?.notCompared).toEqual(expected.notCompared);
  expect(diff?.outsideBaseline).toEqual(expected.outsideBaseline);
  expect(diff?.newItems.map((item) => item.key)).toEqual(expected.newKeys);
  expect(diff?.resolvedItems.map((item) => item.key)).toEqual(expected.resolvedKeys);
  expect(diff?.notComparedItems.map((item) => item.key)).toEqual(expected.notComparedKeys);
}

describe("--baseline on generated high-variety data agrees with an independent computation", () => {
  it("counts and lists new, resolved, not compared and outside-the-baseline findings exactly", async () => {
    const expected = expectedComparison(fleets.previous, fleets.current, 50);
    // The data exercises every outcome, across many 64 KiB batches of the baseline's index.
    for (const counts of [expected.newFindings, expected.resolvedFindings, expected.notCompared, expected.outsideBaseline])
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    expect(readFileSync(baselineFile).length).toBeGreaterThan(6 * 64 * 1024);

    const may = await report([currentFile, "--baseline", baselineFile]);
    // ns-9 was not read this month: its baseline findings are not compared, which makes the run incomplete.
    expect(may.code).toBe(ExitCode.PARTIAL);
    expect(may.stderr).toMatch(
      /finding\(s\) of the baseline not compared, because this run did not read their lists completely \(cluster prod namespace ns-9\)/,
    );
    expectComparison(may.summary, expected);
    // --top 3 lists fewer; the counts stay complete.
    const top3 = await report([currentFile, "--baseline", baselineFile, "--top", "3"]);
    expect(top3.summary.baseline?.newFindings).toEqual(expected.newFindings);
  });

  it("gives the same answer when the baseline's keys are out of order or one is duplicated (read whole, the last wins)", async () => {
    const document = JSON.parse(readFileSync(baselineFile, "utf8")) as { findingIndex: Record<string, string> };
    const random = seededRandom(3);
    const entries = Object.entries(document.findingIndex).sort(() => random() - 0.5);
    const [firstKey, firstSeverity] = entries[0] as [string, string];
    // A duplicate key in the text: JSON.parse keeps the last value, which is the real one.
    const index = `{"${firstKey}": "unknown", ${entries.map(([key, severity]) => `${JSON.stringify(key)}: ${JSON.stringify(severity)}`).join(", ")}}`;
    expect(firstSeverity).not.toBe("unknown");
    const shuffled = join(scratch, "shuffled.json");
    writeFileSync(shuffled, JSON.stringify({ ...document, findingIndex: "INDEX" }).replace('"INDEX"', index));
    const header = await readBaselineHeader(shuffled);
    expect(header.sorted).toBe(false);
    const may = await report([currentFile, "--baseline", shuffled]);
    expectComparison(may.summary, expectedComparison(fleets.previous, fleets.current, 50));
  });

  it("compares against its own output as nothing new, nothing resolved", async () => {
    const april = await report([previousFile, "--baseline", baselineFile]);
    expect(april.code).toBe(ExitCode.OK);
    const zero = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
    expect(april.summary.baseline).toMatchObject({ newFindings: zero, resolvedFindings: zero, notCompared: zero, outsideBaseline: zero });
  });
});

describe("--baseline file handling", () => {
  it("reads the index again for the comparison, and refuses a file that changed in between", async () => {
    const copy = join(scratch, "changing.json");
    writeFileSync(copy, readFileSync(baselineFile));
    const header = await readBaselineHeader(copy);
    expect(header.sorted).toBe(true);
    let read = 0;
    for await (const batch of readBaselineFindings(header)) read += batch.keys.length;
    expect(read).toBe(header.findings);
    expect(read).toBe(findingKeys(fleets.previous).size);
    writeFileSync(copy, readFileSync(baselineFile, "utf8").replace('"high"', '"low" '));
    await expect(async () => {
      for await (const batch of readBaselineFindings(header)) void batch;
    }).rejects.toThrow(/--baseline .*changing\.json: the file changed while it was read/);
  });

  it("compares with the file it is about to replace (`--baseline latest.json -o latest.json`)", async () => {
    const latest = join(scratch, "latest.json");
    writeFileSync(latest, readFileSync(baselineFile));
    const captured = captureIo();
    const code = await runReportCommand(
      [currentFile, "--cluster", "prod", "--format", "json", "--now", NOW, "--baseline", latest, "-o", latest],
      captured.io,
    );
    expect(code).toBe(ExitCode.PARTIAL);
    // The output replaces the baseline only when complete, after the comparison read it a second time.
    const written = JSON.parse(readFileSync(latest, "utf8")) as ReportSummary;
    expectComparison(written, expectedComparison(fleets.previous, fleets.current, 50));
  });

  it("reads a baseline from a pipe once (`--baseline <(aws s3 cp … -)`), with the same answer", async () => {
    const fifo = join(scratch, "baseline.fifo");
    execFileSync("mkfifo", [fifo]);
    // Another process writes it, as a shell's process substitution does.
    const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", baselineFile, fifo], { stdio: "ignore" });
    const may = await report([currentFile, "--baseline", fifo]);
    writer.kill();
    expectComparison(may.summary, expectedComparison(fleets.previous, fleets.current, 50));
  });

  it("says what is wrong with a truncated, empty or foreign baseline before reading any input (exit 2)", async () => {
    const text = readFileSync(baselineFile, "utf8");
    const cases: [string, string, RegExp][] = [
      [
        "truncated.json",
        text.slice(0, Math.floor(text.length * 0.7)),
        /not valid JSON \(the file ends in the middle of the object \(truncated file\?\)\); expected a previous `report --format json` output/,
      ],
      ["empty.json", "\n", /empty file; expected a previous `report --format json` output/],
      ["list.json", readFileSync(previousFile, "utf8"), /not a `report --format json` output \(no findingIndex\)/],
      [
        "index-array.json",
        JSON.stringify({ schemaVersion: 2, findingIndex: ["a"] }),
        /not a `report --format json` output \(no findingIndex\)/,
      ],
      ["future.json", JSON.stringify({ schemaVersion: 3, findingIndex: {} }), /schemaVersion 3 is newer than this version/],
      ["bad-member.json", '{"schemaVersion": 2, "findingIndex": {"a": "high" "b": "low"}}', /not valid JSON \(.*\); expected/],
    ];
    for (const [name, content, message] of cases) {
      const path = join(scratch, name);
      writeFileSync(path, content);
      const captured = captureIo();
      const code = await runReportCommand([currentFile, "--baseline", path, "--format", "json"], captured.io).catch(
        (error: unknown) => error,
      );
      // The CLI entry point turns a UserError into its message and exit 2; in-process it is thrown.
      expect(code, name).toBeInstanceOf(Error);
      expect(String((code as Error).message), name).toMatch(message);
      expect(captured.stdout(), name).toBe("");
    }
  });
});
