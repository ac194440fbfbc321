import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCTOR_USAGE } from "../../../cli/doctor/command";
import { ExitCode } from "../../../cli/io";
import { main } from "../../../cli/main";
import { REPORT_OPTIONS } from "../../../cli/report/arguments";
import { REPORT_USAGE } from "../../../cli/report/command";
import { captureIo } from "../report/helpers";

const REPORT_FIXTURE = resolve(__dirname, "../../fixtures/reports/vulnerabilityreport.replicaset-nginx.yaml");
const DOCTOR_FIXTURE = resolve(__dirname, "../../fixtures/doctor/healthy.json");
const DOCS = readFileSync(resolve(__dirname, "../../../docs/reports.md"), "utf8");

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = captureIo();
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** The long options a usage text lists (`--page-size`), in order. */
const optionsIn = (text: string): string[] => [
  ...new Set([...text.matchAll(/(?<![\w`-])--([a-z][a-z-]+)/g)].map((match) => match[1] ?? "")),
];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "cli-main-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("trivy-operator-cdktf entry point", () => {
  it("prints the command list on --help (exit 0) and on no arguments (stderr, exit 2)", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(ExitCode.OK);
    expect(help.stdout).toMatch(/^usage: trivy-operator-cdktf <command>/);
    for (const command of ["report", "doctor", "dashboard"]) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    const bare = await run([]);
    expect(bare.code).toBe(ExitCode.USAGE);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toBe(help.stdout);
  });

  it("names an unknown command and the known ones in one line", async () => {
    expect(await run(["raport"])).toEqual({
      code: ExitCode.USAGE,
      stdout: "",
      stderr: 'trivy-operator-cdktf: unknown command "raport"; expected one of: report, doctor, dashboard\n',
    });
  });

  it.each([
    [["report", "--bogus"], /^trivy-operator-cdktf report: Unknown option '--bogus'.*; see trivy-operator-cdktf report --help\n$/],
    [
      ["report"],
      /^trivy-operator-cdktf report: no input: give report files \(or - for stdin\) or --context NAME; see trivy-operator-cdktf report --help\n$/,
    ],
    [
      ["report", "x.json", "--format", "pdf"],
      /^trivy-operator-cdktf report: --format: "pdf" is not one of table, markdown, html, csv, json\n$/,
    ],
    [["report", "x.json", "--top", "0"], /^trivy-operator-cdktf report: --top: "0" is not a positive integer \(1, 2, …\)\n$/],
    [["report", "x.json", "--page-size", ""], /^trivy-operator-cdktf report: --page-size: an empty value is not allowed/],
    [["report", "x.json", "--page-size", "1e3"], /^trivy-operator-cdktf report: --page-size: "1e3" is not a positive integer/],
    [["report", "x.json", "--top=-1"], /^trivy-operator-cdktf report: --top: "-1" is not a positive integer \(1, 2, …\)\n$/],
    [
      ["report", "x.json", "--top", "-1"],
      /^trivy-operator-cdktf report: --top: "-1" starts with "-" and is taken for an option; if it is the value, write --top=-1; see trivy-operator-cdktf report --help\n$/,
    ],
    [
      ["report", "x.json", "-f", "JSON", "--fail-on", "CRITICAL", "-o", "-x"],
      /^trivy-operator-cdktf report: --output: "-x" starts with "-"/,
    ],
    [["report", "x.json", "--now", "12"], /^trivy-operator-cdktf report: --now: "12" is not an ISO time such as 2024-05-01T00:00:00Z/],
    [
      ["report", "x.json", "--now", "2024-05-01T00:00:00"],
      /^trivy-operator-cdktf report: --now: "2024-05-01T00:00:00" is not an ISO time .*with Z or an offset/,
    ],
    [["report", "x.json", "-o", ""], /^trivy-operator-cdktf report: --output: an empty value is not allowed/],
    [["report", ""], /^trivy-operator-cdktf report: an empty argument \(""\) is not a file name/],
    [["report", "x.json", "--stale-after", "0h"], /^trivy-operator-cdktf report: --stale-after: "0h" is zero/],
    [["report", "x.json", "--read-timeout", "soon"], /^trivy-operator-cdktf report: --read-timeout: "soon" is not a duration/],
    [
      ["report", "--context", "a", "--context", "b", "--cluster", "prod"],
      /^trivy-operator-cdktf report: --cluster prod would merge the contexts a, b into one cluster; name each with --context NAME=CLUSTER\n$/,
    ],
    [["report", "--context", "a=", "x.json"], /^trivy-operator-cdktf report: --context: "a=" is not NAME or NAME=CLUSTER\n$/],
    [["report", "x.json", "--cluster", "a|b"], /^trivy-operator-cdktf report: --cluster: "a\|b" contains "\|"/],
    [
      ["report", "x.json", "--fail-on", "severe"],
      /^trivy-operator-cdktf report: --fail-on: "severe" is not one of critical, high, medium, low, unknown\n$/,
    ],
    [
      ["report", "x.json", "--now", "yesterday"],
      /^trivy-operator-cdktf report: --now: "yesterday" is not an ISO time such as 2024-05-01T00:00:00Z/,
    ],
    [
      ["report", "x.json", "--stale-after", "1 day"],
      /^trivy-operator-cdktf report: --stale-after: "1 day" is not a duration; use e\.g\. 24h, 90m, 7d\n$/,
    ],
    [
      ["report", "x.json", "--baseline", REPORT_FIXTURE],
      /^trivy-operator-cdktf report: --baseline .*replicaset-nginx\.yaml: not valid JSON \(.*\); expected a previous `report --format json` output\n$/,
    ],
    [["doctor", "--tail", "many"], /^trivy-operator-cdktf doctor: --tail: "many" is not a positive integer \(1, 2, …\)\n$/],
    [["doctor", "--format", "yaml"], /^trivy-operator-cdktf doctor: --format: "yaml" is not one of text, json\n$/],
    [
      ["doctor", "--context", "prod", "--logs", "operator.log"],
      /^trivy-operator-cdktf doctor: --logs goes with captured input \(--from, or alone\), not with --context/,
    ],
    [["doctor", "--from", "missing.json"], /^trivy-operator-cdktf doctor: --from missing\.json: cannot read \(ENOENT/],
  ])("%j: one line naming the option, the value and what is allowed (exit 2)", async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(ExitCode.USAGE);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("says an empty --from file is empty rather than invalid JSON", async () => {
    const empty = join(scratch, "empty.json");
    writeFileSync(empty, "\n");
    expect((await run(["doctor", "--from", empty])).stderr).toBe(
      `trivy-operator-cdktf doctor: --from ${empty}: empty file; expected the output of kubectl get pods,jobs,events,deployments -n <namespace> -o json\n`,
    );
  });
});

describe("--help of each command", () => {
  it("prints the usage on stdout and exits 0", async () => {
    for (const [command, usage] of [
      ["report", REPORT_USAGE],
      ["doctor", DOCTOR_USAGE],
    ] as const) {
      for (const flag of ["--help", "-h"])
        expect(await run([command, flag])).toEqual({ code: ExitCode.OK, stdout: `${usage}\n`, stderr: "" });
    }
    expect((await run(["dashboard", "--help"])).stdout).toMatch(/^usage: trivy-operator-cdktf dashboard/);
  });

  it("lists every option the command accepts, and the docs name the same ones", async () => {
    expect(optionsIn(REPORT_USAGE).sort()).toEqual(Object.keys(REPORT_OPTIONS).sort());
    expect(optionsIn(REPORT_USAGE).sort()).toEqual([
      "baseline",
      "cluster",
      "connect-timeout",
      "context",
      "fail-on",
      "format",
      "help",
      "kubeconfig",
      "namespace",
      "now",
      "output",
      "page-size",
      "read-timeout",
      "stale-after",
      "top",
    ]);
    expect(optionsIn(DOCTOR_USAGE).sort()).toEqual([
      "all-namespaces",
      "connect-timeout",
      "context",
      "format",
      "from",
      "help",
      "kubeconfig",
      "logs",
      "namespace",
      "page-size",
      "read-timeout",
      "scan-jobs-limit",
      "tail",
    ]);
    // Each command's section of the docs names the same options.
    const section = (from: string, to: string): string => DOCS.slice(DOCS.indexOf(from), DOCS.indexOf(to));
    for (const option of optionsIn(REPORT_USAGE))
      expect(section("\n## report", "\n## doctor"), `docs/reports.md report section mentions --${option}`).toContain(`--${option}`);
    for (const option of optionsIn(DOCTOR_USAGE))
      expect(section("\n## doctor", "\n## Tests"), `docs/reports.md doctor section mentions --${option}`).toContain(`--${option}`);
  });

  it("accepts the short options the usage shows", async () => {
    const { code, stdout } = await run(["report", REPORT_FIXTURE, "-f", "json", "-n", "default", "--now", "2024-05-01T00:00:00Z"]);
    expect(code).toBe(ExitCode.OK);
    expect(JSON.parse(stdout)).toMatchObject({ totals: { critical: 2 } });
    const doctor = await run(["doctor", "--from", DOCTOR_FIXTURE, "-f", "json", "-n", "trivy-system"]);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ namespace: "trivy-system" });
  });
});

describe("report --output", () => {
  it("fails fast, in one line, when the file cannot be written, before reading any input", async () => {
    const missingDirectory = join(scratch, "no-such-dir", "r.html");
    expect(await run(["report", REPORT_FIXTURE, "--output", missingDirectory])).toEqual({
      code: ExitCode.USAGE,
      stdout: "",
      stderr: `trivy-operator-cdktf report: --output ${missingDirectory}: cannot write (ENOENT: no such file or directory)\n`,
    });
    expect(await run(["report", REPORT_FIXTURE, "--output", scratch])).toEqual({
      code: ExitCode.USAGE,
      stdout: "",
      stderr: `trivy-operator-cdktf report: --output ${scratch}: is a directory; give a file name\n`,
    });
  });

  it("writes the report to the file, and keeps the previous file when no input could be read", async () => {
    const target = join(scratch, "report.json");
    expect((await run(["report", REPORT_FIXTURE, "--output", target, "--format", "json"])).code).toBe(ExitCode.OK);
    const written = readFileSync(target, "utf8");
    expect(JSON.parse(written)).toMatchObject({ totals: { critical: 2 } });

    const failed = await run(["report", join(scratch, "missing.yaml"), "--output", target, "--format", "json"]);
    expect(failed.code).toBe(ExitCode.USAGE);
    expect(readFileSync(target, "utf8")).toBe(written);
    expect(readdirSync(scratch).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
