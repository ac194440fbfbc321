import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { runReportCommand } from "../../../cli/report/command";
import type { ReportSummary } from "../../../cli/report/summary";
import { displayWidth } from "../../../cli/common/terminal";
import { captureIo } from "./helpers";

const FIXTURES = resolve(__dirname, "../../fixtures/reports");
const NOW = "2024-05-01T00:00:00Z";
type Json = Record<string, unknown>;
const load = (name: string): Json => parse(readFileSync(join(FIXTURES, name), "utf8"), { schema: "core" }) as Json;
const NGINX = "vulnerabilityreport.replicaset-nginx.yaml";
const COREDNS = "vulnerabilityreport.vulnerability-ttl.yaml";
const K8S = "clustervulnerabilityreport.k8s-cluster.yaml";

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "report-accounting-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function run(
  args: string[],
  stdin?: string,
): Promise<{ code: number; summary: ReportSummary | undefined; stdout: string; stderr: string }> {
  const captured = captureIo(stdin);
  const code = await runReportCommand([...args, "--now", NOW], captured.io);
  const stdout = captured.stdout();
  let summary: ReportSummary | undefined;
  if (args.includes("json")) summary = stdout ? (JSON.parse(stdout) as ReportSummary) : undefined;
  return { code, summary, stdout, stderr: captured.stderr() };
}

/** A copy of the nginx report at a time, with only its first `keep` vulnerabilities. */
function nginxAt(updateTimestamp: string, resourceVersion: string, keep: number): Json {
  const report = load(NGINX);
  const body = report["report"] as Json;
  body["updateTimestamp"] = updateTimestamp;
  body["vulnerabilities"] = (body["vulnerabilities"] as unknown[]).slice(0, keep);
  (report["metadata"] as Json)["resourceVersion"] = resourceVersion;
  return report;
}

describe("every object read is counted or accounted for", () => {
  it("keeps the newest copy of a duplicate report, in whichever order the inputs come, and says how many were dropped", async () => {
    const older = write("older.json", nginxAt("2024-04-01T00:00:00Z", "100", 2));
    const newer = write("newer.json", nginxAt("2024-04-20T00:00:00Z", "200", 1));
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const { code, summary } = await run([...order, "--cluster", "prod", "-f", "json"]);
      expect(code).toBe(ExitCode.OK);
      expect(summary?.totals.critical, order.join(" ")).toBe(1);
      expect(summary?.reportsByKind).toEqual({ VulnerabilityReport: 1 });
      expect(summary?.notes.filter((note) => /dropped 1 duplicate report\(s\)/.test(note))).toHaveLength(1);
    }
    // Same timestamp: the higher resourceVersion wins.
    const sameTimeNewer = write("same-time.json", nginxAt("2024-04-01T00:00:00Z", "101", 1));
    expect((await run([older, sameTimeNewer, "--cluster", "prod", "-f", "json"])).summary?.totals.critical).toBe(1);
  });

  it("warns when a newer copy comes after the older one from stdin, which cannot be read twice", async () => {
    const older = write("older-2.json", nginxAt("2024-04-01T00:00:00Z", "100", 2));
    const { code, summary, stderr } = await run(
      [older, "-", "--cluster", "prod", "-f", "json"],
      JSON.stringify(nginxAt("2024-04-20T00:00:00Z", "200", 1)),
    );
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary?.totals.critical).toBe(2);
    expect(stderr).toMatch(/^warning: 1 report\(s\) came again later in a newer version, but the input cannot be read twice/m);
  });

  it("counts items that are not objects, with a warning", async () => {
    const list = write("odd-items.json", { apiVersion: "v1", kind: "List", items: [1, "x", null, [load(COREDNS)], load(NGINX)] });
    const { code, summary, stderr } = await run([list, "--cluster", "prod", "-f", "json"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary?.totals.critical).toBe(2);
    expect(stderr).toMatch(/^warning: .*odd-items\.json: skipped 4 item\(s\) that are not objects/m);
  });

  it("opens Lists inside the input (jq -s output, a List in a List) instead of rejecting them", async () => {
    const listOf = (...names: string[]): Json => ({
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: "" },
      items: names.map(load),
    });
    const slurped = write("slurped.json", [listOf(NGINX, COREDNS), listOf(K8S)]);
    const nested = write(
      "nested.yaml",
      stringify({ apiVersion: "v1", kind: "List", items: [listOf(NGINX, COREDNS), listOf(K8S)] }, { indentSeq: false }),
    );
    const expected = (await run([join(FIXTURES, NGINX), join(FIXTURES, COREDNS), join(FIXTURES, K8S), "--cluster", "prod", "-f", "json"]))
      .summary?.totals;
    for (const input of [slurped, nested]) {
      const { code, summary } = await run([input, "--cluster", "prod", "-f", "json"]);
      expect(code, input).toBe(ExitCode.OK);
      expect(summary?.totals, input).toEqual(expected);
      expect(
        summary?.notes.some((note) => /opened 2 List\(s\) inside the input/.test(note)),
        input,
      ).toBe(true);
    }
  });

  it("does not count a report from a YAML List that was cut off (exit 3)", async () => {
    const list = stringify(
      { apiVersion: "v1", items: [load(COREDNS), load(NGINX)], kind: "List", metadata: { resourceVersion: "" } },
      { indentSeq: false },
    );
    // Cut at a line break after nginx's first vulnerability: every line is valid YAML, only `kind: List` is missing.
    const cut = write("cut.yaml", list.slice(0, list.indexOf("\n", list.indexOf("CVE-2019-20367")) + 1));
    const { code, summary, stderr } = await run([cut, "--cluster", "prod", "-f", "json"]);
    expect(code).toBe(ExitCode.PARTIAL);
    expect(summary?.totals).toEqual({ critical: 0, high: 1, medium: 0, low: 0, unknown: 0 });
    expect(stderr).toMatch(
      /^warning: .*cut\.yaml: the input ends inside a List's items, before its `kind: List` line \(truncated file\?\); the incomplete object was skipped, 1 complete object\(s\) were read$/m,
    );
  });

  it("applies --namespace to files and counts what it skipped", async () => {
    const { code, summary } = await run([
      join(FIXTURES, NGINX),
      join(FIXTURES, COREDNS),
      join(FIXTURES, K8S),
      "--cluster",
      "prod",
      "-n",
      "kube-system",
      "-f",
      "json",
    ]);
    expect(code).toBe(ExitCode.OK);
    expect(summary?.reportsByKind).toEqual({ VulnerabilityReport: 1 });
    expect(summary?.notes.filter((note) => /skipped 1 object\(s\) outside --namespace kube-system/.test(note))).toHaveLength(2);
  });

  it("names the cluster-scoped reports in the summary line of the table", async () => {
    const { stdout } = await run([join(FIXTURES, NGINX), join(FIXTURES, K8S), "--cluster", "prod"]);
    expect(stdout).toContain("1 VulnerabilityReport(s) and 1 ClusterVulnerabilityReport(s), 17 distinct vulnerability ID(s)");
  });
});

describe("Workloads count workloads, not reports", () => {
  it("a 3-container ReplicaSet with the same image and CVE in each container is 1 workload and 3 containers", async () => {
    const containers = ["nginx", "sidecar", "init"].map((container) => {
      const report = load(NGINX);
      const metadata = report["metadata"] as Json;
      metadata["name"] = `replicaset-nginx-6d4cf56db6-${container}`;
      (metadata["labels"] as Json)["trivy-operator.container.name"] = container;
      return report;
    });
    const { summary, stdout } = await run([
      write("three-containers.json", { apiVersion: "v1", kind: "List", items: containers }),
      "--cluster",
      "prod",
      "-f",
      "json",
    ]);
    expect(summary?.byImage[0]).toMatchObject({ image: "index.docker.io/library/nginx:1.16", workloads: 1, containers: 3 });
    expect(summary?.topVulnerabilities.find((row) => row.id === "CVE-2018-25009")).toMatchObject({
      affectedImages: 1,
      affectedWorkloads: 1,
    });
    expect(stdout).not.toBe("");
  });
});

describe("terminal output", () => {
  it("strips control characters from report text and keeps columns aligned with wide characters", async () => {
    const report = load(NGINX);
    const vulnerabilities = (report["report"] as Json)["vulnerabilities"] as Json[];
    vulnerabilities[1] = { ...vulnerabilities[1], title: "libwebp\u001b[2J\u001b]0;owned\u0007: 越界读取 \u202eevil\u202c bug" };
    const file = write("hostile.json", report);
    for (const format of ["table", "markdown", "html"]) {
      const { stdout } = await run([file, "--cluster", "prod", "-f", format]);
      // eslint-disable-next-line no-control-regex -- the control characters are what must not be there
      expect(stdout, format).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      expect(stdout, format).toContain("越界读取");
    }
    const { stdout } = await run([file, "--cluster", "prod", "--top", "3"]);
    const lines = stdout.split("\n");
    const header = lines.findIndex((line) => line.startsWith("ID ") && line.includes("Title"));
    const rows = lines.slice(header, header + 4);
    // Every row's "Fix available" cell starts in the same terminal column, and the underline of the
    // Title column is as wide as the widest title as a terminal shows it (a CJK character takes 2 columns).
    const column = (line: string): number => displayWidth(line.slice(0, line.search(/ {2}(yes|no|Fix available)( |$)/)));
    expect(new Set(rows.filter((line) => !line.startsWith("--")).map(column)).size).toBe(1);
    const title = rows.find((line) => line.includes("越界读取"))?.replace(/^.* {2}no +/, "") ?? "";
    expect(title).toBe("libwebp[2J]0;owned: 越界读取 evil bug");
    expect(rows[1]?.split("  ").at(-1)?.length).toBe(displayWidth(title));
    expect(rows.some((line) => line.includes("越界读取"))).toBe(true);
  });
});
