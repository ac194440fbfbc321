import { describe, expect, it } from "vitest";
import { CommandFailedError, execFileRunner, runChecked } from "../../integration/harness/command-runner";

// Real child processes of this Node binary: offline, and proves the timeout actually kills.
const node = process.execPath;

describe("execFileRunner", () => {
  it("returns stdout and exit code 0", async () => {
    const result = await execFileRunner(node, ["-e", "process.stdout.write('hello')"], { timeoutMs: 10_000 });

    expect(result).toMatchObject({ exitCode: 0, stdout: "hello", timedOut: false, notFound: false });
  });

  it("returns a non-zero exit code with stderr instead of rejecting", async () => {
    const result = await execFileRunner(node, ["-e", "console.error('boom'); process.exit(3)"], { timeoutMs: 10_000 });

    expect(result).toMatchObject({ exitCode: 3, timedOut: false });
    expect(result.stderr).toContain("boom");
  });

  it("kills a command that runs past its timeout", async () => {
    const started = Date.now();
    const result = await execFileRunner(node, ["-e", "setTimeout(() => {}, 60_000)"], { timeoutMs: 300 });

    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reports a missing executable as not found", async () => {
    const result = await execFileRunner("definitely-not-installed-trivy-e2e", ["version"], { timeoutMs: 5_000 });

    expect(result).toMatchObject({ notFound: true, timedOut: false });
  });

  it("feeds input to stdin and merges env over process.env", async () => {
    const script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(s+process.env.TRIVY_RUNNER_TEST))";
    const result = await execFileRunner(node, ["-e", script], { timeoutMs: 10_000, input: "kind: Pod\n", env: { TRIVY_RUNNER_TEST: "!" } });

    expect(result.stdout).toBe("kind: Pod\n!");
  });
});

describe("runChecked", () => {
  it("throws a CommandFailedError quoting the command and its stderr", async () => {
    await expect(
      runChecked(execFileRunner, node, ["-e", "console.error('no such cluster'); process.exit(1)"], { timeoutMs: 10_000 }),
    ).rejects.toThrow(CommandFailedError);
    await expect(
      runChecked(execFileRunner, node, ["-e", "console.error('no such cluster'); process.exit(1)"], { timeoutMs: 10_000 }),
    ).rejects.toThrow(/exited with 1:\nno such cluster/);
  });
});
