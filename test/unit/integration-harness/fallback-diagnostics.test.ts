import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The workflow's fallback step, run by real bash against stub `kind` and `kubectl` executables
 * that record their arguments: what a cancelled or timed-out run leaves for the artifact upload.
 */
const SCRIPT = resolve(__dirname, "../../integration/fallback-diagnostics.sh");
const bash = spawnSync("bash", ["--version"]).status === 0;
if (!bash) console.warn("fallback-diagnostics.sh tests skipped: bash is not on PATH");

interface Sandbox {
  readonly dir: string;
  readonly artifacts: string;
  readonly calls: () => string[];
  readonly run: () => { status: number | null; stdout: string };
}

/** `clusters`: what the stub `kind get clusters` prints; `exportFails`: the stub `kind export logs` exits 1. */
function sandbox(options: { clusters: string; exportFails?: boolean }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "fallback-diagnostics-"));
  const bin = join(dir, "bin");
  const log = join(dir, "calls.log");
  execFileSync("mkdir", ["-p", bin]);
  const stub = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub(
    "kind",
    [
      `case "$1 $2" in`,
      `  "get clusters") printf '%s' "${options.clusters}" ;;`,
      `  "get kubeconfig") echo "apiVersion: v1 # admin credentials" ;;`,
      `  "export logs") ${options.exportFails ? "exit 1" : 'mkdir -p "$3" && echo journal > "$3/journal.log"'} ;;`,
      `esac`,
    ].join("\n"),
  );
  stub("kubectl", 'echo "output of kubectl $*"');
  const artifacts = join(dir, "test-results");
  return {
    dir,
    artifacts,
    calls: () => readFileSync(log, "utf8").trim().split("\n"),
    run: () => {
      const result = spawnSync("bash", [SCRIPT, artifacts], {
        env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
        encoding: "utf8",
      });
      return { status: result.status, stdout: result.stdout };
    },
  };
}

describe.skipIf(!bash)("fallback-diagnostics.sh", () => {
  it("exports node logs and cluster state for every cluster still there, without saving the kubeconfig", () => {
    const box = sandbox({ clusters: "trivy-e2e-202612020900-abc123\nother\n" });

    const { status, stdout } = box.run();

    expect(status).toBe(0);
    expect(stdout).toContain("kind cluster trivy-e2e-202612020900-abc123 is still there");
    const out = join(box.artifacts, "trivy-e2e-202612020900-abc123", "fallback");
    expect(box.calls()).toContain(`kind export logs ${join(out, "kind-logs")} --name trivy-e2e-202612020900-abc123`);
    expect(readFileSync(join(out, "kind-logs", "journal.log"), "utf8")).toBe("journal\n");
    expect(readFileSync(join(out, "pods-and-jobs.txt"), "utf8")).toContain("get pods,jobs --all-namespaces");
    expect(readFileSync(join(out, "events.txt"), "utf8")).toContain("--context kind-trivy-e2e-202612020900-abc123");
    expect(readdirSync(join(box.artifacts, "other", "fallback"))).toContain("networkpolicies.yaml");
    // The kubeconfig kubectl used lives outside the artifacts, and its content is in no artifact.
    const kubeconfigArg =
      box
        .calls()
        .find((call) => call.startsWith("kubectl"))
        ?.split(" ")[2] ?? "";
    expect(kubeconfigArg.startsWith(box.artifacts)).toBe(false);
    const saved = readdirSync(out)
      .map((file) => (file === "kind-logs" ? "" : readFileSync(join(out, file), "utf8")))
      .join("\n");
    expect(saved).not.toContain("admin credentials");
  });

  it("does nothing and succeeds when the suite deleted its cluster", () => {
    const box = sandbox({ clusters: "" });

    const { status, stdout } = box.run();

    expect(status).toBe(0);
    expect(stdout).toContain("no kind cluster left");
    expect(box.calls()).toEqual(["kind get clusters"]);
  });

  it("still saves the cluster state and exits 0 when kind export logs fails", () => {
    const box = sandbox({ clusters: "c1\n", exportFails: true });

    const { status, stdout } = box.run();

    expect(status).toBe(0);
    expect(stdout).toContain("kind export logs failed");
    expect(readdirSync(join(box.artifacts, "c1", "fallback"))).toEqual(
      expect.arrayContaining(["kind-export.err", "pods-and-jobs.txt", "events.txt"]),
    );
  });
});
