import { execFileSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { startFakeKubeApi, writeKubeconfig, type FakeKubeApi } from "../../helpers/fake-kube-api";
import { ensureBuiltCli, runCli, startCli } from "./built-cli";

const FIXTURE = resolve(__dirname, "../../fixtures/reports/vulnerabilityreport.replicaset-nginx.yaml");
const NOW = ["--now", "2024-05-01T00:00:00Z"];

let scratch: string;
beforeAll(async () => {
  await ensureBuiltCli();
  scratch = mkdtempSync(join(tmpdir(), "cli-no-false-success-"));
}, 180_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const temporaries = (): string[] => readdirSync(scratch).filter((name) => name.endsWith(".tmp"));

describe("a report that cannot be written is not produced (exit 2), whatever was found", () => {
  it("stdout on a full disk (/dev/full: every write fails with ENOSPC)", async () => {
    const full = openSync("/dev/full", "w");
    try {
      const run = await runCli(["report", FIXTURE, ...NOW, "-f", "json", "--fail-on", "critical"], { stdout: full });
      expect(run.code).toBe(ExitCode.USAGE);
      expect(run.stderr).toBe(
        "trivy-operator-cdktf report: stdout: cannot write (ENOSPC: no space left on device, write); the report was not produced\n",
      );
    } finally {
      closeSync(full);
    }
  });

  it("-o on a full disk, CSV written while reading included", async () => {
    for (const format of ["json", "csv"]) {
      const run = await runCli(["report", FIXTURE, ...NOW, "-f", format, "-o", "/dev/full", "--fail-on", "critical"]);
      expect(run.code, format).toBe(ExitCode.USAGE);
      expect(run.stderr, format).toMatch(
        /^trivy-operator-cdktf report: --output \/dev\/full: cannot write \(ENOSPC: no space left on device, write\); the report was not produced\n$/,
      );
    }
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});

describe("-o writes through what it must not replace", () => {
  it("a FIFO gets the report and stays a FIFO", async () => {
    const fifo = join(scratch, "report.fifo");
    execFileSync("mkfifo", [fifo]);
    const received = new Promise<string>((resolveText) => {
      let text = "";
      createReadStream(fifo)
        .on("data", (chunk) => (text += chunk.toString()))
        .on("end", () => resolveText(text));
    });
    const run = await runCli(["report", FIXTURE, ...NOW, "-f", "json", "-o", fifo]);
    expect(run.code).toBe(ExitCode.OK);
    expect(JSON.parse(await received)).toMatchObject({ totals: { critical: 2 } });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("a symlink keeps pointing at the file, which gets the report and keeps its mode", async () => {
    const target = join(scratch, "kept-private.json");
    writeFileSync(target, "last month\n");
    chmodSync(target, 0o600);
    const link = join(scratch, "latest.json");
    symlinkSync(target, link);
    const run = await runCli(["report", FIXTURE, ...NOW, "-f", "json", "-o", link]);
    expect(run.code).toBe(ExitCode.OK);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(target, "utf8"))).toMatchObject({ totals: { critical: 2 } });
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(temporaries()).toEqual([]);
  });

  it("refuses a dangling symlink and names it", async () => {
    const link = join(scratch, "dangling.json");
    symlinkSync(join(scratch, "missing-dir", "r.json"), link);
    const run = await runCli(["report", FIXTURE, "-o", link]);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toMatch(/^trivy-operator-cdktf report: --output .*dangling\.json: is a symlink to a missing file/);
  });
});

describe("Ctrl-C / SIGTERM while reading", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)(
    "%s removes the temporary file and leaves the previous report as it was",
    async (signal, code) => {
      const output = join(scratch, `interrupted-${signal}.json`);
      writeFileSync(output, "previous report\n");
      // stdin stays open: the command is still reading when the signal comes.
      const { child, done } = startCli(["report", "-", "-f", "json", "-o", output]);
      child.stdin?.write("apiVersion: v1\nitems:\n");
      const deadline = Date.now() + 60_000;
      while (!readdirSync(scratch).some((name) => name.startsWith(`.interrupted-${signal}.json.`)) && Date.now() < deadline)
        await new Promise((wait) => setTimeout(wait, 50));
      expect(readdirSync(scratch).filter((name) => name.startsWith(`.interrupted-${signal}.json.`))).toHaveLength(1);
      child.kill(signal);
      const run = await done;
      expect(run.code).toBe(code);
      expect(readdirSync(scratch).filter((name) => name.startsWith(`.interrupted-${signal}.json.`))).toEqual([]);
      expect(readFileSync(output, "utf8")).toBe("previous report\n");
    },
    90_000,
  );
});

describe("live calls time out instead of hanging", () => {
  let api: FakeKubeApi;
  let silentTls: Server;
  const sockets: Socket[] = [];
  let kubeconfig: string;
  beforeAll(async () => {
    api = await startFakeKubeApi({
      scenarios: {
        hang: { objects: [], resources: [], failures: [{ path: /./, code: "hang", message: "" }] },
        html: { objects: [], resources: [], failures: [{ path: /./, code: "html", message: "Sign in - Corporate SSO" }] },
      },
    });
    // Accepts TCP and never speaks TLS: the handshake never completes.
    silentTls = createServer((socket) => sockets.push(socket));
    await new Promise<void>((ready) => silentTls.listen(0, "127.0.0.1", () => ready()));
    const address = silentTls.address();
    const port = typeof address === "object" && address ? address.port : 0;
    kubeconfig = writeKubeconfig(join(scratch, "kubeconfig"), [
      { name: "hang", token: "hang", server: api.url },
      { name: "html", token: "html", server: api.url },
      { name: "no-tls", token: "x", server: `https://127.0.0.1:${port}` },
    ]);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((closed) => silentTls.close(() => closed()));
    await api.close();
  });

  it("an API server that accepts and never answers: --read-timeout, one line, exit 2", async () => {
    const started = Date.now();
    const run = await runCli(["report", "--kubeconfig", kubeconfig, "--context", "hang", "--read-timeout", "1s"]);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toMatch(
      /^warning: context hang: cannot reach the API server: request to http:\/\/127\.0\.0\.1:\d+\/apis\/aquasecurity\.github\.io\/v1alpha1\/vulnerabilityreports\?limit=500 failed, reason: no answer for 1s \(--read-timeout\); nothing read from this context\n/,
    );
    // Stopped at the first list, not after one timeout per kind.
    expect(api.requestsFrom("hang")).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it("a server that never completes the TLS handshake: --connect-timeout", async () => {
    const run = await runCli([
      "report",
      "--kubeconfig",
      kubeconfig,
      "--context",
      "no-tls",
      "--connect-timeout",
      "1s",
      "--read-timeout",
      "1h",
    ]);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toMatch(
      /^warning: context no-tls: cannot reach the API server: .*no connection within 1s \(--connect-timeout\); nothing read from this context\n/,
    );
  }, 90_000);

  it("an HTML page answered with 200 is not an empty cluster", async () => {
    const run = await runCli(["report", "--kubeconfig", kubeconfig, "--context", "html"]);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toMatch(
      /^warning: context html: http:\/\/127\.0\.0\.1:\d+ answered with an HTML page \("Sign in - Corporate SSO"\) instead of the Kubernetes API \(a proxy or login page in between, or the wrong server in the kubeconfig\?\); nothing more read from this context\n/,
    );
    expect(api.requestsFrom("html")).toHaveLength(1);
  }, 90_000);
});

describe("a bug is exit 70 with its stack, never 1", () => {
  it("an uncaught error in a command ends with 70", async () => {
    // A report path that is a FIFO nobody writes to would hang; a directory is a clean user error. The
    // only way to crash the built CLI from outside is a broken install: a command module that throws on load.
    const run = await runCli(["report", "--help"], { nodeArgs: ["--require", join(scratch, "break-report.cjs")] });
    expect(run.code).toBe(ExitCode.BUG);
    expect(run.stderr).toMatch(/Error: simulated defect/);
  });
});

beforeAll(() => {
  // Makes the lazily loaded report command module throw when it is required (see the test above).
  writeFileSync(
    join(scratch, "break-report.cjs"),
    `const Module = require("module"); const load = Module._load; Module._load = function (request, parent, isMain) { if (String(request).endsWith("report/command.js")) throw new Error("simulated defect"); return load.apply(this, arguments); };\n`,
  );
  expect(existsSync(join(scratch, "break-report.cjs"))).toBe(true);
});
