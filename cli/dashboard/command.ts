import * as fs from "node:fs";
import {
  DashboardBindingError,
  dashboardInputNames,
  parseDashboardJson,
  prepareDashboard,
} from "../../modules/grafana-dashboard/prepare-dashboard";
import { ExitCode, UserError, type CliIo } from "../io";
import { optionsUsage, parseCommandLine, type OptionTable } from "../common/options";

/** Every option of `dashboard`, once: parseArgs reads it and the usage text is generated from it. */
export const DASHBOARD_OPTIONS = {
  file: { type: "string", value: "PATH", section: "options", help: 'exported dashboard JSON; "-" reads stdin' },
  "datasource-uid": { type: "string", value: "UID", section: "options", help: "uid of the Prometheus datasource (preferred)" },
  "datasource-name": { type: "string", value: "NAME", section: "options", help: "name of the Prometheus datasource, instead of the uid" },
  "folder-uid": {
    type: "string",
    value: "UID",
    section: "options",
    help: 'print the Grafana HTTP API payload instead of the bare dashboard:\n{"dashboard": …, "folderUid": <uid>, "overwrite": true}, ready for\nPOST /api/dashboards/db',
  },
  input: {
    type: "string",
    multiple: true,
    value: "NAME=VALUE",
    section: "options",
    help: 'value of another input: a non-Prometheus datasource uid (DS_LOKI=loki)\nor a constant (VAR_CLUSTER=prod); repeatable. NAME is everything before the\nfirst "=", spaces included (--input "DS_JSON_API KUBE BENCH=kube-bench");\nit must be an input of the dashboard',
  },
  help: { type: "boolean", short: "h", section: "options", help: "show this help" },
} as const satisfies OptionTable;

const HELP = `usage: trivy-operator-cdktf dashboard --file <exported.json> (--datasource-uid <uid> | --datasource-name <name>) [options]

Binds an exported Grafana dashboard ("Export for sharing externally", or a grafana.com download)
to your Prometheus datasource, offline, and prints the import-ready JSON on stdout:
every \${DS_…} input and Prometheus datasource reference bound, __inputs/__requires removed.

${optionsUsage(DASHBOARD_OPTIONS)}

exit codes: 0 printed; 2 bad usage, invalid JSON, not a dashboard, an --input the dashboard does not
have, or a placeholder that cannot be bound

example:
  npx trivy-operator-cdktf dashboard --file trivy.json --datasource-uid prometheus > trivy-bound.json
`;

const GRAFANA_UID = /^[A-Za-z0-9_-]{1,40}$/;

/** `dashboard` command: argv in, exit code out; nothing is printed on stdout unless it succeeds. */
export async function runDashboardCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const options = parseOptions(argv);
    if (options === "help") {
      io.stdout.write(HELP);
      return ExitCode.OK;
    }
    const text = options.file === "-" ? await readStream(io.stdin) : readFile(options.file);
    const sourceName = options.file === "-" ? "stdin" : options.file;
    const parsed = parseDashboardJson(text, sourceName);
    refuseUnknownInputs(options.inputs, dashboardInputNames(parsed));
    const dashboard = prepareDashboard(parsed, {
      datasource: options.datasourceUid !== undefined ? { uid: options.datasourceUid } : { name: options.datasourceName! },
      inputs: options.inputs,
    });
    const output = options.folderUid !== undefined ? { dashboard, folderUid: options.folderUid, overwrite: true } : dashboard;
    io.stdout.write(JSON.stringify(output, null, 2) + "\n");
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof UserError || error instanceof DashboardBindingError) {
      // One line, even when a JSON parser message spans several.
      io.stderr.write(`trivy-operator-cdktf dashboard: ${error.message.replace(/\s*\n\s*/g, " ")}\n`);
      return error instanceof UserError ? error.exitCode : ExitCode.USAGE;
    }
    throw error;
  }
}

interface DashboardOptions {
  readonly file: string;
  readonly datasourceUid?: string;
  readonly datasourceName?: string;
  readonly folderUid?: string;
  readonly inputs: Record<string, string>;
}

function parseOptions(argv: string[]): DashboardOptions | "help" {
  const { values } = parseCommandLine("dashboard", DASHBOARD_OPTIONS, argv, false);
  if (values.help) return "help";
  if (values.file === undefined) throw new UserError("--file <exported.json> is required; see --help");
  const datasourceUid = values["datasource-uid"];
  const datasourceName = values["datasource-name"];
  if ((datasourceUid === undefined) === (datasourceName === undefined)) {
    throw new UserError("give exactly one of --datasource-uid <uid> or --datasource-name <name>");
  }
  for (const [flag, uid] of [
    ["--datasource-uid", datasourceUid],
    ["--folder-uid", values["folder-uid"]],
  ] as const) {
    if (uid !== undefined && !GRAFANA_UID.test(uid))
      throw new UserError(`${flag} "${uid}" is not a Grafana uid: use 1-40 letters, digits, '-' or '_'`);
  }
  if (datasourceName !== undefined && datasourceName.trim() === "") throw new UserError("--datasource-name must not be empty");
  // No prototype: an input named "__proto__" or "constructor" is just a name.
  const inputs: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const assignment of values.input ?? []) {
    // Exported input names may contain spaces (`DS_JSON_API KUBE BENCH`), never "=" or "}".
    const match = /^([^=}]+)=(.*)$/s.exec(assignment);
    if (match === null || match[1]!.trim() === "")
      throw new UserError(`--input "${assignment}" must look like NAME=VALUE, e.g. DS_LOKI=loki`);
    if (Object.hasOwn(inputs, match[1]!)) throw new UserError(`--input ${match[1]} is given twice`);
    inputs[match[1]!] = match[2]!;
  }
  return { file: values.file, datasourceUid, datasourceName, folderUid: values["folder-uid"], inputs };
}

/** An --input that binds nothing is a typo (or the wrong dashboard): say so instead of printing a dashboard that ignores it. */
function refuseUnknownInputs(inputs: Readonly<Record<string, string>>, known: readonly string[]): void {
  for (const name of Object.keys(inputs)) {
    if (known.includes(name)) continue;
    const list = known.length > 0 ? known.map((entry) => `"${entry}"`).join(", ") : "none";
    throw new UserError(`--input "${name}": the dashboard has no input of that name (its inputs: ${list})`);
  }
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read --file "${file}": ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? String(error))}`,
    );
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}
