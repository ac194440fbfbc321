import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TRIVY_OPERATOR_DASHBOARD } from "../../../dashboards/catalog";
import { downloadFileName, main } from "../../../scripts/download-dashboards";

/**
 * scripts/download-dashboards.ts against a loopback stand-in for grafana.com's API: what the
 * `dashboard-revisions` CI job relies on (the file the dashboard test reads, and a failure that
 * says why instead of an empty directory).
 */

const EXPORT = readFileSync(join(__dirname, "../../fixtures/dashboards/trivy-operator-export.json"), "utf8");
const REVISION_PATH = `/api/dashboards/${TRIVY_OPERATOR_DASHBOARD.gnetId}/revisions/${TRIVY_OPERATOR_DASHBOARD.revision}/download`;

let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** Serves one answer per request, in order (the last one repeats); records the paths asked for. */
async function grafanaStandIn(answers: ReadonlyArray<{ status: number; body: string }>): Promise<{ baseUrl: string; paths: string[] }> {
  const paths: string[] = [];
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const answer = answers[Math.min(paths.length, answers.length - 1)]!;
    paths.push(request.url ?? "");
    response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
  });
  await new Promise<void>((listening) => server!.listen(0, "127.0.0.1", listening));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

function captureStderr(): () => string {
  const written: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  return () => written.join("");
}

describe("scripts/download-dashboards.ts", () => {
  it("writes each pinned revision where the dashboard test looks for it", async () => {
    const { baseUrl, paths } = await grafanaStandIn([{ status: 200, body: EXPORT }]);
    const directory = mkdtempSync(join(tmpdir(), "dashboards-"));
    captureStderr();

    expect(await main(["--base-url", `${baseUrl}/`, directory])).toBe(0);
    expect(paths).toEqual([REVISION_PATH]);
    expect(readFileSync(join(directory, downloadFileName(TRIVY_OPERATOR_DASHBOARD)), "utf8")).toBe(EXPORT);
  });

  it("retries a server error, and gives up on an answer that is not the dashboard", async () => {
    const retried = await grafanaStandIn([
      { status: 503, body: "{}" },
      { status: 200, body: EXPORT },
    ]);
    const directory = mkdtempSync(join(tmpdir(), "dashboards-"));
    captureStderr();
    expect(await main(["--base-url", retried.baseUrl, directory])).toBe(0);
    expect(retried.paths).toHaveLength(2);
  });

  it.each([
    [404, '{"message":"Not found"}', "HTTP 404"],
    [200, "<html>maintenance</html>", "the answer is not JSON (<html>maintenance</html>…)"],
  ])("fails with exit 1 on HTTP %i %s, naming the URL, and writes nothing", async (status, body, reason) => {
    const { baseUrl, paths } = await grafanaStandIn([{ status, body }]);
    const directory = mkdtempSync(join(tmpdir(), "dashboards-"));
    const stderr = captureStderr();

    expect(await main(["--base-url", baseUrl, directory])).toBe(1);
    expect(stderr()).toBe(`download-dashboards: ${baseUrl}${REVISION_PATH}: ${reason}\n`);
    expect(paths).toHaveLength(1);
    expect(existsSync(join(directory, downloadFileName(TRIVY_OPERATOR_DASHBOARD)))).toBe(false);
  });

  it.each([[[]], [["a", "b"]], [["--base-url", "grafana.com", "dir"]], [["--bogus", "dir"]]])(
    "rejects arguments %j with exit 2",
    async (argv) => {
      const stderr = captureStderr();
      expect(await main(argv)).toBe(2);
      expect(stderr()).toContain("usage: tsx scripts/download-dashboards.ts");
    },
  );
});
