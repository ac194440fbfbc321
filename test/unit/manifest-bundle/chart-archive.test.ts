import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packChart } from "../../../modules/manifest-bundle/chart-archive";

const CHART = path.resolve(__dirname, "../../../charts/raw-manifests");
const CHART_FILES = ["Chart.yaml", "templates/manifests.yaml", "values.yaml"];

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "chart-archive-"));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** GNU tar, an independent reader: it verifies every header checksum and fails on a malformed archive. */
function tar(args: readonly string[]): string {
  return execFileSync("tar", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("packChart |", () => {
  it("can pack the raw-manifests chart so tar extracts exactly its files, below the chart's directory name", () => {
    // WHEN
    const archive = packChart(CHART);
    const dir = tempDir();
    const file = path.join(dir, archive.fileName);
    writeFileSync(file, archive.bytes);

    // THEN every entry is a regular file below `raw-manifests/` (Helm drops that first component) ...
    expect(archive.fileName).toMatch(/^raw-manifests-[0-9a-f]{32}\.tgz$/);
    const listing = tar(["-tzvf", file]).trim().split("\n");
    expect(listing.map((line) => line.split(/\s+/).at(-1))).toEqual(CHART_FILES.map((name) => `raw-manifests/${name}`));
    for (const line of listing) expect(line).toMatch(/^-rw-r--r-- 0\/0 /);
    // ... holding the chart's bytes unchanged
    tar(["-xzf", file, "-C", dir]);
    for (const name of CHART_FILES) {
      expect(readFileSync(path.join(dir, "raw-manifests", name))).toEqual(readFileSync(path.join(CHART, name)));
    }
  });

  it("can give the same name and bytes for the same files, and another name when a file changes", () => {
    const copy = path.join(tempDir(), "raw-manifests");
    cpSync(CHART, copy, { recursive: true });
    const original = packChart(CHART);
    expect(packChart(copy)).toEqual(original);

    writeFileSync(path.join(copy, "templates/manifests.yaml"), `${readFileSync(path.join(copy, "templates/manifests.yaml"), "utf8")}\n`);
    expect(packChart(copy).fileName).not.toBe(original.fileName);
  });

  it("fails on a chart entry that is not a regular file or directory, naming it", () => {
    const copy = path.join(tempDir(), "raw-manifests");
    cpSync(CHART, copy, { recursive: true });
    symlinkSync("values.yaml", path.join(copy, "templates/linked.yaml"));
    expect(() => packChart(copy)).toThrow(/templates\/linked\.yaml is neither a file nor a directory/);
  });
});
