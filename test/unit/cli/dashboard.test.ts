import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { captureIo } from "../report/helpers";
import { afterAll, describe, expect, it } from "vitest";
import { runDashboardCommand } from "../../../cli/dashboard/command";
import { unboundPlaceholders } from "../../../modules/grafana-dashboard/prepare-dashboard";

/** File problems are tested with a valid datasource, so only the file can be at fault. */
const UID = ["--datasource-uid", "prom"];
const FIXTURE = path.resolve(__dirname, "../../fixtures/dashboards/trivy-operator-export.json");

/** Runs the command against in-memory streams and returns what it printed. */
async function run(argv: string[], stdinText = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = captureIo(stdinText);
  const code = await runDashboardCommand(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe("dashboard command |", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-cli-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, content: string): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it("can print the import-ready dashboard bound to a datasource uid", async () => {
    // WHEN
    const { code, stdout, stderr } = await run(["--file", FIXTURE, "--datasource-uid", "prom-main"]);

    // THEN
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const dashboard = JSON.parse(stdout) as { title: string; panels: unknown[]; __inputs?: unknown; __requires?: unknown; id: unknown };
    expect(dashboard.title).toBe("Trivy Operator Dashboard");
    expect(dashboard.panels).toHaveLength(4);
    expect(dashboard).not.toHaveProperty("__inputs");
    expect(dashboard).not.toHaveProperty("__requires");
    expect(dashboard.id).toBeNull();
    expect(stdout).not.toContain("${DS_");
    expect(unboundPlaceholders(dashboard)).toEqual([]);
    expect(stdout.match(/"uid": "prom-main"/g)).toHaveLength(6);
    expect(stdout).toContain('"datasource": "prom-main"');
  });

  it("can wrap the dashboard as an HTTP API payload with --folder-uid", async () => {
    const { code, stdout } = await run(["--file", FIXTURE, "--datasource-name", "Prometheus", "--folder-uid", "security"]);
    expect(code).toBe(0);
    const payload = JSON.parse(stdout) as {
      dashboard: { title: string; panels: Array<{ datasource?: unknown }> };
      folderUid: string;
      overwrite: boolean;
    };
    expect(payload).toMatchObject({ folderUid: "security", overwrite: true, dashboard: { title: "Trivy Operator Dashboard" } });
    expect(payload.dashboard.panels[1]!.datasource).toEqual({ type: "prometheus", uid: "Prometheus" });
  });

  it("can read the export from stdin and bind extra inputs", async () => {
    const exported = {
      __inputs: [
        { name: "DS_PROM", type: "datasource", pluginId: "prometheus" },
        { name: "DS_LOKI", type: "datasource", pluginId: "loki" },
        { name: "VAR_CLUSTER", type: "constant", value: "default-cluster" },
      ],
      title: "Mixed",
      panels: [
        { datasource: { type: "loki", uid: "${DS_LOKI}" }, targets: [{ expr: '{cluster="${VAR_CLUSTER}"}' }] },
        { datasource: { type: "prometheus", uid: "${DS_PROM}" } },
      ],
    };
    const { code, stdout, stderr } = await run(
      ["--file", "-", "--datasource-uid", "prom", "--input", "DS_LOKI=loki-uid"],
      JSON.stringify(exported),
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      panels: [{ datasource: { uid: "loki-uid" }, targets: [{ expr: '{cluster="default-cluster"}' }] }, { datasource: { uid: "prom" } }],
    });
  });

  it("prints help on stdout with exit code 0", async () => {
    const { code, stdout, stderr } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("--datasource-uid");
    expect(stderr).toBe("");
  });

  it.each([
    ["invalid JSON", () => ["--file", write("broken.json", '{"title": "x", "panels": ['), ...UID], /is not valid JSON/],
    ["not a dashboard", () => ["--file", path.resolve(__dirname, "../../../package.json"), ...UID], /not a Grafana dashboard/],
    [
      "a placeholder it cannot bind",
      () => [
        "--file",
        write(
          "loki.json",
          JSON.stringify({
            __inputs: [{ name: "DS_LOKI", type: "datasource", pluginId: "loki" }],
            title: "t",
            panels: [{ datasource: "${DS_LOKI}" }],
          }),
        ),
        ...UID,
      ],
      /cannot bind placeholder \$\{DS_LOKI\}: it is a "loki" datasource/,
    ],
    [
      "an undeclared input placeholder",
      () => ["--file", write("undeclared.json", JSON.stringify({ title: "t", panels: [{ datasource: { uid: "${DS_OTHER}" } }] })), ...UID],
      /cannot bind placeholder \$\{DS_OTHER\} at panels\[0\]\.datasource\.uid/,
    ],
    ["a missing file", () => ["--file", path.join(tmp, "nope.json"), ...UID], /cannot read --file .*no such file/],
    ["no datasource", () => ["--file", FIXTURE], /exactly one of --datasource-uid/],
    ["both datasources", () => ["--file", FIXTURE, "--datasource-uid", "a", "--datasource-name", "b"], /exactly one of --datasource-uid/],
    ["a bad uid", () => ["--file", FIXTURE, "--datasource-uid", "has space"], /--datasource-uid "has space" is not a Grafana uid/],
    ["an unknown option", () => ["--file", FIXTURE, "--datasource-uid", "p", "--colour"], /Unknown option '--colour'/],
    ["no --file", () => ["--datasource-uid", "p"], /--file <exported.json> is required/],
  ])("fails with exit code 2 and one stderr line on %s", async (_case, argv, message) => {
    const { code, stdout, stderr } = await run(argv());
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^trivy-operator-cdktf dashboard: /);
  });
});
