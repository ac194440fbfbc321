/**
 * Downloads the pinned revision of every catalog dashboard (dashboards/catalog.ts) from grafana.com,
 * so that test/unit/monitoring/promtool-dashboard.test.ts can evaluate its queries on the real
 * Prometheus engine (`TRIVY_DASHBOARD_DOWNLOADS=<dir>`). Needs internet: the `dashboard-revisions`
 * job of .github/workflows/ci.yml runs it; the offline tiers never do.
 *
 *   tsx scripts/download-dashboards.ts [--base-url https://grafana.com] <dir>
 *
 * Writes `<dir>/<gnetId>-r<revision>.json` per entry; `--base-url` is a mirror of grafana.com's API
 * (the construct's `downloadBaseUrl`). Each download is tried 3 times. Exit codes: 0 all written;
 * 1 a download failed (the message names the URL and why); 2 bad arguments.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DASHBOARD_CATALOG, dashboardDownloadUrl, type CatalogDashboard } from "../dashboards/catalog";

/** The file name the dashboard test reads a downloaded revision from. */
export function downloadFileName(entry: Pick<CatalogDashboard, "gnetId" | "revision">): string {
  return `${entry.gnetId}-r${entry.revision}.json`;
}

const DOWNLOAD_TIMEOUT_MS = 30_000;
const ATTEMPTS = 3;

async function downloadWithRetries(entry: CatalogDashboard, directory: string, baseUrl: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await download(entry, directory, baseUrl);
    } catch (error) {
      if (attempt >= ATTEMPTS || error instanceof NotRetryable) throw error;
      await new Promise((wait) => setTimeout(wait, 1000 * attempt));
    }
  }
}

/** A failure another attempt cannot fix (the server answered, with something that is not the dashboard). */
class NotRetryable extends Error {}

async function download(entry: CatalogDashboard, directory: string, baseUrl: string): Promise<string> {
  const url = dashboardDownloadUrl(entry.gnetId, entry.revision, baseUrl);
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new Error(`${url}: ${error instanceof Error ? error.message : String(error)}${cause} (this needs internet access)`, {
      cause: error,
    });
  }
  const body = await response.text();
  if (response.status >= 500 || response.status === 429) throw new Error(`${url}: HTTP ${response.status}`);
  if (!response.ok) throw new NotRetryable(`${url}: HTTP ${response.status}`);
  try {
    JSON.parse(body);
  } catch {
    throw new NotRetryable(`${url}: the answer is not JSON (${body.slice(0, 80).replace(/\s+/g, " ")}…)`);
  }
  const file = path.join(directory, downloadFileName(entry));
  writeFileSync(file, body);
  return file;
}

const USAGE = "usage: tsx scripts/download-dashboards.ts [--base-url https://grafana.com] <dir>\n";

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: { "base-url": { type: "string" } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: { "base-url": { type: "string" } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`download-dashboards: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const baseUrl = parsed.values["base-url"] ?? "https://grafana.com";
  if (parsed.positionals.length !== 1 || parsed.positionals[0] === "" || !/^https?:\/\/[^/]+/.test(baseUrl)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const directory = path.resolve(parsed.positionals[0]!);
  mkdirSync(directory, { recursive: true });
  let failed = 0;
  for (const entry of Object.values(DASHBOARD_CATALOG)) {
    try {
      process.stdout.write(`${await downloadWithRetries(entry, directory, baseUrl)}\n`);
    } catch (error) {
      failed += 1;
      process.stderr.write(`download-dashboards: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
