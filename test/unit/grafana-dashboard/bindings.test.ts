import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const COMMITTED = path.join(ROOT, ".gen/providers/grafana");

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe("grafana bindings |", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "gen-grafana-"));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it("can regenerate the committed bindings exactly with npm run gen:grafana", () => {
    // GIVEN the committed schema; WHEN the script regenerates into a temp dir
    execFileSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, "scripts/gen-grafana.ts"), "--out", outdir], {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      stdio: "pipe",
    });
    const regenerated = path.join(outdir, "providers/grafana");

    // THEN the file set and every byte match: a schema change without regeneration, or a hand edit of .gen, fails here
    const files = listFiles(COMMITTED);
    expect(listFiles(regenerated)).toEqual(files);
    const drifted = files.filter(
      (file) => !fs.readFileSync(path.join(COMMITTED, file)).equals(fs.readFileSync(path.join(regenerated, file))),
    );
    expect(drifted, "run `npm run gen:grafana` and commit .gen/providers/grafana").toEqual([]);
  });

  it("can pin the provider version that cdktf.json declares", () => {
    const cdktfJson = JSON.parse(fs.readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { terraformProviders: string[] };
    const declared = cdktfJson.terraformProviders.find((p) => p.startsWith("grafana/grafana@"));
    const provider = fs.readFileSync(path.join(COMMITTED, "provider/index.ts"), "utf8");
    expect(declared).toBeDefined();
    expect(provider).toContain(`providerVersion: '${declared!.split("@")[1]}'`);
  });
});
