import { describe, expect, it } from "vitest";
import type { CommandResult, CommandRunner } from "../../integration/harness/command-runner";
import {
  evaluateDocker,
  evaluateKind,
  evaluateKubectl,
  evaluateTerraform,
  formatPreflightReport,
  isAtLeast,
  parseVersion,
  PREFLIGHT_EXIT_CODE,
  runPreflight,
} from "../../integration/harness/preflight";

function result(partial: Partial<CommandResult>): CommandResult {
  return { command: "tool", exitCode: 0, stdout: "", stderr: "", timedOut: false, notFound: false, ...partial };
}

describe("version parsing", () => {
  it("reads x.y.z with or without v and vendor suffixes", () => {
    expect(parseVersion("v0.30.0")).toEqual([0, 30, 0]);
    expect(parseVersion("1.11.4")).toEqual([1, 11, 4]);
    expect(parseVersion("v1.32.4-dispatcher")).toEqual([1, 32, 4]);
    expect(parseVersion("unknown")).toBeUndefined();
  });

  it("compares numerically, not as strings", () => {
    expect(isAtLeast([0, 30, 0], [0, 24, 0])).toBe(true);
    expect(isAtLeast([0, 9, 0], [0, 24, 0])).toBe(false);
    expect(isAtLeast([0, 24, 0], [0, 24, 0])).toBe(true);
    expect(isAtLeast([1, 0, 0], [0, 24, 5])).toBe(true);
  });
});

describe("docker", () => {
  it("is ok when the daemon reports its version", () => {
    expect(evaluateDocker(result({ stdout: "28.0.4\n" }))).toMatchObject({ ok: true, detail: "engine 28.0.4" });
  });

  it("is missing when no daemon answers, quoting docker's reason", () => {
    const check = evaluateDocker(
      result({
        exitCode: 1,
        stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
      }),
    );

    expect(check.ok).toBe(false);
    expect(check.detail).toContain("Cannot connect to the Docker daemon");
    expect(check.installHint).toMatch(/Docker/);
  });

  it("is missing when the CLI is not installed", () => {
    expect(evaluateDocker(result({ exitCode: null, notFound: true }))).toMatchObject({ ok: false, detail: "`docker` not found on PATH" });
  });

  it("is missing when docker info hangs past its timeout", () => {
    expect(evaluateDocker(result({ exitCode: null, timedOut: true, command: "docker info" })).detail).toMatch(/did not answer within 10 s/);
  });
});

describe("kind", () => {
  it("accepts v0.24.0 and newer", () => {
    expect(evaluateKind(result({ stdout: "kind v0.30.0 go1.24.6 linux/amd64\n" }))).toMatchObject({ ok: true, detail: "version 0.30.0" });
    expect(evaluateKind(result({ stdout: "kind v0.24.0 go1.22.6 linux/amd64" })).ok).toBe(true);
  });

  it("rejects kind older than 0.24 and says NetworkPolicy is why", () => {
    const check = evaluateKind(result({ stdout: "kind v0.23.0 go1.22.2 linux/amd64" }));

    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/0\.23\.0 is older than the required 0\.24\.0.*NetworkPolicy/);
    expect(check.installHint).toContain("v0.30.0");
  });

  it("rejects output without a version", () => {
    expect(evaluateKind(result({ stdout: "something else" })).ok).toBe(false);
  });
});

describe("terraform", () => {
  it("reads terraform_version from -json output", () => {
    const stdout = JSON.stringify({
      terraform_version: "1.11.4",
      platform: "linux_amd64",
      provider_selections: {},
      terraform_outdated: false,
    });

    expect(evaluateTerraform(result({ stdout }))).toMatchObject({ ok: true, detail: "version 1.11.4" });
  });

  it("rejects a too old terraform and non-JSON output", () => {
    expect(evaluateTerraform(result({ stdout: JSON.stringify({ terraform_version: "1.4.7" }) })).ok).toBe(false);
    expect(evaluateTerraform(result({ stdout: "Terraform v1.11.4" })).ok).toBe(false);
  });
});

describe("kubectl", () => {
  it("reads clientVersion.gitVersion, which stays parseable when minor is '32+'", () => {
    const stdout = JSON.stringify({
      clientVersion: { major: "1", minor: "32+", gitVersion: "v1.32.4-dispatcher" },
      kustomizeVersion: "v5.5.0",
    });

    expect(evaluateKubectl(result({ stdout }))).toMatchObject({ ok: true, detail: "version 1.32.4" });
  });

  it("rejects a kubectl older than the minimum", () => {
    expect(evaluateKubectl(result({ stdout: JSON.stringify({ clientVersion: { gitVersion: "v1.25.0" } }) })).ok).toBe(false);
  });
});

describe("runPreflight", () => {
  const outputs: Record<string, Partial<CommandResult>> = {
    docker: { exitCode: 1, stderr: "Cannot connect to the Docker daemon" },
    kind: { exitCode: null, notFound: true },
    terraform: { stdout: JSON.stringify({ terraform_version: "1.11.4" }) },
    kubectl: { stdout: JSON.stringify({ clientVersion: { gitVersion: "v1.34.0" } }) },
  };
  const fakeRunner: CommandRunner = async (file, args, options) => {
    expect(options.timeoutMs).toBeGreaterThan(0);
    return result({ command: [file, ...args].join(" "), ...outputs[file] });
  };

  it("lists what is missing, each with an install hint", async () => {
    const preflight = await runPreflight(fakeRunner);

    expect(preflight.ok).toBe(false);
    expect(preflight.missing.map((check) => check.prerequisite)).toEqual(["docker", "kind"]);
    expect(preflight.missing.every((check) => (check.installHint ?? "").length > 0)).toBe(true);
  });

  it("passes a timeout to every probe so none can hang", async () => {
    const timeouts: number[] = [];
    await runPreflight(
      async (file, _args, options) => {
        timeouts.push(options.timeoutMs);
        return result({ ...outputs[file] });
      },
      undefined,
      1234,
    );

    expect(timeouts).toEqual([1234, 1234, 1234, 1234]);
  });

  it("keeps terraform from calling HashiCorp's checkpoint service", async () => {
    const envs: Record<string, Readonly<Record<string, string>> | undefined> = {};
    await runPreflight(async (file, _args, options) => {
      envs[file] = options.env;
      return result({ ...outputs[file] });
    });

    expect(envs["terraform"]).toMatchObject({ CHECKPOINT_DISABLE: "1" });
  });

  it("checks only the prerequisites asked for", async () => {
    const preflight = await runPreflight(fakeRunner, ["terraform", "kubectl"]);

    expect(preflight.ok).toBe(true);
    expect(preflight.checks.map((check) => check.prerequisite)).toEqual(["terraform", "kubectl"]);
  });

  it("formats a message naming the missing tools, the fix, the skip variable and the exit code", async () => {
    const message = formatPreflightReport(await runPreflight(fakeRunner), "fail-suite", "TRIVY_E2E_SKIP_MISSING");

    expect(message).toMatch(/^integration tier: 2 of 4 prerequisites missing \(docker, kind\)/);
    expect(message).toMatch(/MISSING {2}kind: `kind` not found on PATH\n +fix: install kind/);
    expect(message).toMatch(/ok {7}terraform: version 1\.11\.4/);
    expect(message).toContain("TRIVY_E2E_SKIP_MISSING=1");
    expect(message).toContain(`Exit code ${PREFLIGHT_EXIT_CODE}`);
  });

  it("words the skip and playground outcomes differently", async () => {
    const preflight = await runPreflight(fakeRunner);

    expect(formatPreflightReport(preflight, "skip-suite", "TRIVY_E2E_SKIP_MISSING")).toMatch(/TRIVY_E2E_SKIP_MISSING=1 is set: skipping/);
    expect(formatPreflightReport(preflight, "stop-playground", "TRIVY_E2E_SKIP_MISSING")).not.toContain("TRIVY_E2E_SKIP_MISSING");
  });
});
