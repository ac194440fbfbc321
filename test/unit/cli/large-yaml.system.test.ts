import { mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import type { ReportSummary } from "../../../cli/report/summary";
import { ensureBuiltCli, runCli } from "./built-cli";

const TARGET_BYTES = 260 * 1024 * 1024;
const ITEMS = 1000;

let scratch: string;
beforeAll(async () => {
  await ensureBuiltCli();
  scratch = mkdtempSync(join(tmpdir(), "report-large-yaml-"));
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * `kubectl get vulnerabilityreports -A -o yaml` shape (sigs.k8s.io/yaml: keys sorted, sequences not
 * indented under their key), 1,000 reports of ~270 KB: each carries an advisory description as a
 * block scalar, so the file is large while the YAML parser's work (and the test's time) stays small.
 */
async function writeLargeList(path: string): Promise<{ bytes: number; critical: number; high: number }> {
  const line = `        ${"The vulnerability allows a remote attacker to read memory out of bounds via a crafted image. ".repeat(2).trim()}\n`;
  const description = line.repeat(Math.ceil(TARGET_BYTES / ITEMS / line.length));
  // Asynchronous writes: the vitest worker's event loop must stay responsive while 260 MB are written.
  const file = await open(path, "w");
  const write = async (text: string): Promise<number> => (await file.write(text)).bytesWritten;
  let bytes = await write("apiVersion: v1\nitems:\n");
  for (let index = 0; index < ITEMS; index++) {
    const item = [
      "- apiVersion: aquasecurity.github.io/v1alpha1",
      "  kind: VulnerabilityReport",
      "  metadata:",
      "    labels:",
      "      trivy-operator.container.name: app",
      "      trivy-operator.resource.kind: ReplicaSet",
      `      trivy-operator.resource.name: app-${index}-5d8f7c6b9`,
      `    name: replicaset-app-${index}-5d8f7c6b9-app`,
      `    namespace: ns-${index % 20}`,
      "  report:",
      "    artifact:",
      `      repository: team/app-${index % 50}`,
      "      tag: v1.2.3",
      "    registry:",
      "      server: ghcr.io",
      '    updateTimestamp: "2024-04-30T08:00:00Z"',
      "    vulnerabilities:",
      "    - description: |",
      description.trimEnd(),
      "      fixedVersion: 1.1.1w-0+deb11u2",
      "      installedVersion: 1.1.1n-0+deb11u4",
      "      resource: libssl1.1",
      "      severity: CRITICAL",
      `      title: "openssl: issue ${index}"`,
      `      vulnerabilityID: CVE-2024-${10000 + index}`,
      '    - fixedVersion: ""',
      "      installedVersion: 2.36-9",
      "      resource: libc6",
      "      severity: HIGH",
      '      title: "glibc: stack overflow"',
      "      vulnerabilityID: CVE-2023-4911",
      "",
    ].join("\n");
    bytes += await write(item);
  }
  bytes += await write('kind: List\nmetadata:\n  resourceVersion: ""\n');
  await file.close();
  return { bytes, critical: ITEMS, high: ITEMS };
}

describe("YAML input streams with bounded memory", () => {
  it("reads a 260 MB kubectl YAML List with a 256 MB heap limit, counting every report", async () => {
    const input = join(scratch, "fleet.yaml");
    const written = await writeLargeList(input);
    expect(statSync(input).size).toBeGreaterThanOrEqual(TARGET_BYTES);
    // Holding the file as one string would already need 260 MB of heap; parsing it whole, several times that.
    const run = await runCli(["report", input, "--cluster", "big", "-f", "json", "--now", "2024-05-01T00:00:00Z"], {
      nodeArgs: ["--max-old-space-size=256"],
    });
    rmSync(input);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(ExitCode.OK);
    const summary = JSON.parse(run.stdout) as ReportSummary;
    expect(summary.vulnerabilityReports).toBe(ITEMS);
    expect(summary.totals).toEqual({ critical: written.critical, high: written.high, medium: 0, low: 0, unknown: 0 });
    expect(summary.byWorkload).toHaveLength(ITEMS);
  }, 600_000);
});
