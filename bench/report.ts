/**
 * `npm run bench:report`: `report --format json` on a synthetic fleet of ≥ 10,000 VulnerabilityReports,
 * next to `jq` computing the same totals and a bare `JSON.parse` of the same bytes, in one run, on two
 * data shapes:
 * - shared: 1,500 images and 4,000 CVEs shared across the fleet (replicas, common base images);
 * - variety: a distinct CVE (and title) for every entry, the worst case for the aggregates, which
 *   grow with the number of distinct findings.
 * Each shape also runs `--baseline` against its own output (every finding matched), and the variety
 * shape against the shared shape's output (nothing in common: every finding new or resolved, the
 * most the comparison has to count and list).
 * Targets (issues 5 and 11): faster than jq, within 2× of the bare parse, peak memory ≤ ½ the input
 * size on both shapes, with and without --baseline.
 *
 * Each contender runs as its own child process under `/usr/bin/time -v` (wall time + peak RSS). Without
 * GNU time, Node children report `process.resourceUsage().maxRSS` through a preload hook and jq's
 * memory is shown as n/a.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { seededRandom } from "./seeded-random";

const REPORTS = Number(process.argv[2] ?? 10_000);
type Shape = "shared" | "variety";
const SHAPES: readonly Shape[] = process.argv[3] === "shared" || process.argv[3] === "variety" ? [process.argv[3]] : ["shared", "variety"];
const SEVERITY_WEIGHTS: readonly [string, number][] = [
  ["CRITICAL", 0.06],
  ["HIGH", 0.22],
  ["MEDIUM", 0.4],
  ["LOW", 0.27],
  ["UNKNOWN", 0.05],
];
const PACKAGES = [
  "openssl",
  "libssl3",
  "zlib1g",
  "libc6",
  "curl",
  "libcurl4",
  "libxml2",
  "glibc",
  "busybox",
  "golang.org/x/net",
  "golang.org/x/crypto",
  "google.golang.org/grpc",
  "github.com/containerd/containerd",
  "log4j-core",
  "jackson-databind",
  "spring-core",
  "netty-codec-http",
  "urllib3",
  "requests",
  "lodash",
  "minimist",
  "libexpat1",
  "perl-base",
  "tar",
  "gnutls28",
  "krb5",
  "libsqlite3-0",
  "ncurses-base",
  "systemd",
  "util-linux",
];
const WORDS =
  "buffer overflow in parser allows remote attackers to cause denial of service via crafted input out-of-bounds read use-after-free integer overflow when handling certificate chain memory leak improper validation of length field in header leads to heap corruption".split(
    " ",
  );

interface SyntheticCve {
  id: string;
  severity: string;
  packageName: string;
  title: string;
  description: string;
  score: number;
}

function generateFleet(path: string, shape: Shape): { bytes: number; totals: Record<string, number>; vulnerabilities: number } {
  const random = seededRandom(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const sentence = (words: number): string => Array.from({ length: words }, () => pick(WORDS)).join(" ");
  const severity = (): string => {
    let roll = random();
    for (const [name, weight] of SEVERITY_WEIGHTS) {
      roll -= weight;
      if (roll <= 0) return name;
    }
    return "LOW";
  };
  const cves: SyntheticCve[] = Array.from({ length: 4000 }, (_, index) => ({
    id: `CVE-20${18 + (index % 7)}-${10000 + index * 7}`,
    severity: severity(),
    packageName: pick(PACKAGES),
    title: `${pick(PACKAGES)}: ${sentence(6)}`,
    description: sentence(12 + Math.floor(random() * 14)),
    score: Math.round((2 + random() * 8) * 10) / 10,
  }));
  // 1,500 images shared by 10,000 workloads, as in a real fleet (replicas, shared base images).
  const images = Array.from({ length: 1500 }, (_, index) => ({
    registry: pick(["index.docker.io", "ghcr.io", "quay.io", "registry.k8s.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]),
    repository: `team-${index % 40}/service-${index}`,
    tag: `v1.${index % 30}.${index % 7}`,
    cves: Array.from({ length: 10 + Math.floor(random() * 36) }, () => pick(cves)),
  }));
  const totals: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
  let vulnerabilities = 0;
  const fd = openSync(path, "w");
  let bytes = 0;
  const write = (text: string): void => {
    bytes += writeSync(fd, text);
  };
  write('{\n    "apiVersion": "v1",\n    "items": [\n');
  for (let index = 0; index < REPORTS; index++) {
    const image = images[index % images.length] ?? images[0];
    if (!image) throw new Error("no images");
    const namespace = `ns-${index % 120}`;
    const workload = `app-${index}-${((index * 2654435761) >>> 0).toString(16).slice(0, 8)}`;
    // variety: every entry its own CVE (id and title), as in a fleet of unrelated images.
    const entries =
      shape === "shared"
        ? image.cves
        : image.cves.map((cve, position) => ({
            ...cve,
            id: `CVE-2024-${index * 64 + position + 100000}`,
            title: `${cve.packageName}: ${sentence(5)} (${index}.${position})`,
          }));
    const findings = entries.map((cve) => {
      totals[cve.severity.toLowerCase()] = (totals[cve.severity.toLowerCase()] ?? 0) + 1;
      vulnerabilities++;
      const fixed = random() < 0.7;
      return {
        class: "os-pkgs",
        cvss: { nvd: { V3Score: cve.score, V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" } },
        description: cve.description,
        fixedVersion: fixed ? `1.${Math.floor(random() * 9)}.${Math.floor(random() * 20)}-r1` : "",
        installedVersion: `1.${Math.floor(random() * 9)}.${Math.floor(random() * 20)}-r0`,
        lastModifiedDate: "2024-03-12T14:15:09Z",
        links: [
          `https://access.redhat.com/security/cve/${cve.id}`,
          `https://nvd.nist.gov/vuln/detail/${cve.id}`,
          `https://www.cve.org/CVERecord?id=${cve.id}`,
        ],
        packageType: "debian",
        pkgPath: "",
        primaryLink: `https://avd.aquasec.com/nvd/${cve.id.toLowerCase()}`,
        publishedDate: "2023-11-02T09:15:07Z",
        resource: cve.packageName,
        score: cve.score,
        severity: cve.severity,
        target: `${image.repository}:${image.tag} (debian 12.5)`,
        title: cve.title,
        vulnerabilityID: cve.id,
      };
    });
    const count = (name: string): number => findings.filter((finding) => finding.severity === name).length;
    const report = {
      apiVersion: "aquasecurity.github.io/v1alpha1",
      kind: "VulnerabilityReport",
      metadata: {
        annotations: { "trivy-operator.aquasecurity.github.io/report-ttl": "24h0m0s" },
        creationTimestamp: "2024-04-30T08:00:00Z",
        generation: 1,
        labels: {
          "app.kubernetes.io/managed-by": "trivy-operator",
          "resource-spec-hash": "7cb64cb677",
          "trivy-operator.container.name": "app",
          "trivy-operator.resource.kind": "ReplicaSet",
          "trivy-operator.resource.name": workload,
          "trivy-operator.resource.namespace": namespace,
        },
        name: `replicaset-${workload}-app`,
        namespace,
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            blockOwnerDeletion: false,
            controller: true,
            kind: "ReplicaSet",
            name: workload,
            uid: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
          },
        ],
        resourceVersion: String(100000 + index),
        uid: `11111111-0000-4000-8000-${String(index).padStart(12, "0")}`,
      },
      report: {
        artifact: { repository: image.repository, tag: image.tag },
        os: { family: "debian", name: "12.5" },
        registry: { server: image.registry },
        scanner: { name: "Trivy", vendor: "Aqua Security", version: "0.72.0" },
        summary: {
          criticalCount: count("CRITICAL"),
          highCount: count("HIGH"),
          lowCount: count("LOW"),
          mediumCount: count("MEDIUM"),
          noneCount: 0,
          unknownCount: count("UNKNOWN"),
        },
        updateTimestamp: "2024-04-30T08:00:00Z",
        vulnerabilities: findings,
      },
    };
    // kubectl indents with 4 spaces; items sit 8 deep.
    write(`        ${JSON.stringify(report, null, 4).replace(/\n/g, "\n        ")}${index + 1 < REPORTS ? "," : ""}\n`);
  }
  write('    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
  closeSync(fd);
  return { bytes, totals, vulnerabilities };
}

interface Measurement {
  readonly seconds: number;
  readonly peakRssBytes: number | undefined;
  readonly stdout: string;
  readonly ok: boolean;
  readonly error: string;
}

const GNU_TIME = "/usr/bin/time";
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ["-v", "true"]).status === 0;

function measure(command: string, args: readonly string[], rssHook: string | undefined): Measurement {
  const useTime = hasGnuTime;
  const finalCommand = useTime ? GNU_TIME : command;
  const finalArgs = useTime ? ["-v", command, ...args] : command === process.execPath && rssHook ? ["-r", rssHook, ...args] : [...args];
  const started = process.hrtime.bigint();
  const result = spawnSync(finalCommand, finalArgs, { encoding: "utf8", maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stderr = result.stderr ?? "";
  let peakRssBytes: number | undefined;
  const gnu = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const hook = /BENCH_MAX_RSS_KB=(\d+)/.exec(stderr);
  if (gnu?.[1]) peakRssBytes = Number(gnu[1]) * 1024;
  else if (hook?.[1]) peakRssBytes = Number(hook[1]) * 1024;
  const exit = useTime ? /Exit status: (\d+)/.exec(stderr)?.[1] : String(result.status);
  return {
    seconds,
    peakRssBytes,
    stdout: result.stdout ?? "",
    ok: exit === "0",
    error: stderr
      .split("\n")
      .filter((line) => line && !line.startsWith("\t"))
      .slice(0, 3)
      .join(" | "),
  };
}

const mb = (bytes: number | undefined): string => (bytes === undefined ? "n/a" : `${(bytes / 1e6).toFixed(0)} MB`);
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined ? "n/a" : `${(a / b).toFixed(2)}×`;

interface ShapeResult {
  readonly ok: boolean;
  /** This shape's `--format json` output and its number of findingIndex keys. */
  readonly output: string;
  readonly findings: number;
}

type BaselineCounts = Record<"newFindings" | "resolvedFindings" | "notCompared" | "outsideBaseline", Record<string, number>>;

function benchShape(
  shape: Shape,
  directory: string,
  cli: string,
  rssHook: string,
  bareParse: string,
  other: ShapeResult | undefined,
): ShapeResult {
  const input = join(directory, `fleet-${shape}.json`);
  const output = join(directory, `report-${shape}.json`);
  const generationStart = Date.now();
  const fleet = generateFleet(input, shape);
  const inputBytes = statSync(input).size;
  console.log(`\n=== shape "${shape}" ===`);
  console.log(
    `input: ${REPORTS} VulnerabilityReports, ${fleet.vulnerabilities} vulnerabilities (avg ${(fleet.vulnerabilities / REPORTS).toFixed(1)}/report), ${mb(inputBytes)} (kind: List, kubectl-style indentation), generated in ${((Date.now() - generationStart) / 1000).toFixed(1)} s`,
  );
  readFileSync(input); // warm the page cache so the first contender is not penalised

  const reportArgs = [cli, "report", input, "--format", "json", "--cluster", "bench", "--now", "2024-05-01T00:00:00Z"];
  const ours = measure(process.execPath, [...reportArgs, "--output", output], rssHook);
  if (!ours.ok) throw new Error(`report command failed: ${ours.error}`);
  const oursSummary = JSON.parse(readFileSync(output, "utf8")) as {
    totals: Record<string, number>;
    findingIndex: Record<string, string>;
    vulnerabilities: { distinctIds: number };
  };
  const oursTotals = oursSummary.totals;
  const distinctFindings = Object.keys(oursSummary.findingIndex).length;
  const distinctIds = oursSummary.vulnerabilities.distinctIds;
  // --baseline against its own output: everything compared, nothing new or resolved.
  const withBaseline = measure(
    process.execPath,
    [...reportArgs, "--baseline", output, "--output", join(directory, `report-${shape}-2.json`)],
    rssHook,
  );
  const baselineDiff = withBaseline.ok
    ? (JSON.parse(readFileSync(join(directory, `report-${shape}-2.json`), "utf8")) as { baseline?: BaselineCounts }).baseline
    : undefined;
  // --baseline of the other shape's output: no key in common (the variety shape's IDs are its own).
  const crossOutput = join(directory, `report-${shape}-3.json`);
  const crossBaseline = other
    ? measure(process.execPath, [...reportArgs, "--baseline", other.output, "--output", crossOutput], rssHook)
    : undefined;
  const crossDiff = crossBaseline?.ok
    ? (JSON.parse(readFileSync(crossOutput, "utf8")) as { baseline?: BaselineCounts }).baseline
    : undefined;

  const bare = measure(process.execPath, ["--max-old-space-size=8192", bareParse, input], rssHook);

  const jqPath = spawnSync("sh", ["-c", "command -v jq"], { encoding: "utf8" }).stdout.trim();
  let jq: Measurement | undefined;
  let jqTotals: Record<string, number> | undefined;
  if (jqPath) {
    const program =
      "reduce (.items[].report.vulnerabilities[]?.severity | ascii_downcase) as $s ({critical:0,high:0,medium:0,low:0,unknown:0}; .[$s] += 1)";
    jq = measure(jqPath, ["-c", program, input], undefined);
    if (jq.ok) jqTotals = JSON.parse(jq.stdout) as Record<string, number>;
  }

  const rows: [string, Measurement | undefined][] = [
    ["report --format json (ours, streaming)", ours],
    ["report --format json --baseline (ours)", withBaseline],
    ...(crossBaseline ? [["report --baseline <shared output> (ours)", crossBaseline] as [string, Measurement]] : []),
    ["JSON.parse of the whole file (node)", bare],
    ["jq totals (reduce over .items[])", jq],
  ];
  console.log(`distinct vulnerability IDs: ${distinctIds}; distinct findings (findingIndex keys): ${distinctFindings}`);
  console.log("");
  console.log(`${"contender".padEnd(42)} ${"time".padStart(9)} ${"peak RSS".padStart(10)}`);
  for (const [name, measurement] of rows) {
    if (!measurement) console.log(`${name.padEnd(42)} SKIPPED: jq not found (install it, e.g. apt-get install -y jq)`);
    else if (!measurement.ok) console.log(`${name.padEnd(42)} FAILED: ${measurement.error}`);
    else
      console.log(`${name.padEnd(42)} ${`${measurement.seconds.toFixed(2)} s`.padStart(9)} ${mb(measurement.peakRssBytes).padStart(10)}`);
  }
  console.log("");
  console.log(`ratio time ours/jq:          ${jq?.ok ? ratio(ours.seconds, jq.seconds) : "n/a (jq skipped)"}   (target < 1)`);
  console.log(`ratio time ours/JSON.parse:  ${bare.ok ? ratio(ours.seconds, bare.seconds) : "n/a"}   (target ≤ 2)`);
  console.log(`ratio peak RSS/input size:   ${ratio(ours.peakRssBytes, inputBytes)}   (target ≤ 0.5×)`);
  console.log(`ratio peak RSS/input size with --baseline: ${ratio(withBaseline.peakRssBytes, inputBytes)}   (target ≤ 0.5×)`);
  if (crossBaseline)
    console.log(
      `ratio peak RSS/input size with --baseline of the shared output: ${ratio(crossBaseline.peakRssBytes, inputBytes)}   (target ≤ 0.5×)`,
    );
  console.log(`ratio peak RSS ours/JSON.parse: ${bare.ok ? ratio(ours.peakRssBytes, bare.peakRssBytes) : "n/a"}`);
  const same = (a: Record<string, number> | undefined, b: Record<string, number> | undefined): boolean =>
    a !== undefined && b !== undefined && ["critical", "high", "medium", "low", "unknown"].every((key) => a[key] === b[key]);
  const zero = (counts: Record<string, number> | undefined): boolean =>
    counts !== undefined && Object.values(counts).every((count) => count === 0);
  console.log("");
  console.log(`totals (generator): ${JSON.stringify(fleet.totals)}`);
  console.log(
    `totals (ours):      ${JSON.stringify(oursTotals)}  ${same(oursTotals, fleet.totals) ? "= generator" : "DIFFERENT from generator"}`,
  );
  if (jqTotals)
    console.log(
      `totals (jq):        ${JSON.stringify(jqTotals)}  ${same(oursTotals, jqTotals) ? "= ours: totals agree" : "DIFFERENT: totals disagree"}`,
    );
  else console.log("totals (jq):        skipped (jq not available)");
  const baselineOk = zero(baselineDiff?.newFindings) && zero(baselineDiff?.resolvedFindings) && zero(baselineDiff?.notCompared);
  console.log(
    `--baseline against itself: ${baselineOk ? "0 new, 0 resolved, 0 not compared" : `UNEXPECTED ${JSON.stringify(baselineDiff)}`}`,
  );
  const total = (counts: Record<string, number> | undefined): number => Object.values(counts ?? {}).reduce((sum, count) => sum + count, 0);
  // Nothing in common: every finding of this run is new and every one of the other's resolved.
  const crossOk =
    !other ||
    (total(crossDiff?.newFindings) === distinctFindings &&
      total(crossDiff?.resolvedFindings) === other.findings &&
      zero(crossDiff?.notCompared) &&
      zero(crossDiff?.outsideBaseline));
  if (other)
    console.log(
      `--baseline of the shared output: ${total(crossDiff?.newFindings)} new (= ${distinctFindings} findings of this run: ${crossOk ? "yes" : "NO"}), ${total(crossDiff?.resolvedFindings)} resolved (= ${other.findings} of the shared run: ${crossOk ? "yes" : "NO"})`,
    );
  rmSync(input, { force: true });
  const memoryOk =
    ours.peakRssBytes === undefined ||
    [ours, withBaseline, crossBaseline].every((run) => run === undefined || (run.peakRssBytes ?? 0) <= inputBytes / 2);
  if (!memoryOk) console.log("PEAK RSS ABOVE ½ INPUT");
  return {
    ok: same(oursTotals, fleet.totals) && (!jqTotals || same(oursTotals, jqTotals)) && baselineOk && crossOk && memoryOk,
    output,
    findings: distinctFindings,
  };
}

function main(): void {
  const cli = resolve(__dirname, "..", "dist", "cli", "main.js");
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm run bench:report does)`);
  const directory = mkdtempSync(join(tmpdir(), "report-bench-"));
  try {
    const rssHook = join(directory, "rss-hook.cjs");
    writeFileSync(rssHook, 'process.on("exit", () => process.stderr.write(`BENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\\n`));\n');
    const bareParse = join(directory, "bare-parse.cjs");
    writeFileSync(
      bareParse,
      'const text = require("fs").readFileSync(process.argv[2], "utf8"); const list = JSON.parse(text); process.stdout.write(String(list.items.length) + "\\n");\n',
    );
    console.log(
      `measuring with ${hasGnuTime ? "/usr/bin/time -v" : "process.resourceUsage() in a preload hook (jq memory: n/a)"}; one run each, file in page cache; load average ${loadavg()
        .map((value) => value.toFixed(1))
        .join(" ")} on ${cpus().length} CPUs`,
    );
    const results: ShapeResult[] = [];
    for (const shape of SHAPES)
      results.push(benchShape(shape, directory, cli, rssHook, bareParse, shape === "variety" ? results[0] : undefined));
    if (results.some((result) => !result.ok)) process.exitCode = 1;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

main();
