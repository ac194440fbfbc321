import { MIN_KIND_VERSION, RECOMMENDED_KIND_VERSION } from "./kind-cluster-config";
import type { CommandResult, CommandRunner } from "./command-runner";

/**
 * Exit code of `npm run test:integration`, `npm run up` and `npm run down` when a prerequisite is
 * missing: 78 is EX_CONFIG of sysexits.h ("something was found in an unconfigured or misconfigured
 * state"), distinct from a failing test (1) so CI can tell "runner not set up" from "product broken".
 */
export const PREFLIGHT_EXIT_CODE = 78;

/** Each probe is a local version query; 10 s is generous and keeps the whole preflight in seconds. */
export const PREFLIGHT_CHECK_TIMEOUT_MS = 10_000;

export type Prerequisite = "docker" | "kind" | "terraform" | "kubectl";

export interface PreflightCheck {
  readonly prerequisite: Prerequisite;
  readonly ok: boolean;
  /** Version found, or why it is unusable. */
  readonly detail: string;
  /** How to fix it; set when not ok. */
  readonly installHint?: string;
}

export interface PreflightResult {
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
  readonly missing: readonly PreflightCheck[];
}

export const MINIMUM_VERSIONS: Readonly<Record<Exclude<Prerequisite, "docker">, string>> = {
  kind: MIN_KIND_VERSION,
  // cdktf 0.21 supports Terraform >= 1.2; 1.5 is the oldest still receiving fixes we test against.
  terraform: "1.5.0",
  // kubectl's supported skew is one minor to the v1.34 server; the get/apply/logs/taint calls of
  // the harness are stable for much longer, so accept a few more minors than the policy promises.
  kubectl: "1.30.0",
};

export const INSTALL_HINTS: Readonly<Record<Prerequisite, string>> = {
  docker:
    "start a Docker engine (Docker Desktop, or `sudo apt-get install docker.io && sudo systemctl start docker` on Debian/Ubuntu) and make sure `docker info` works for your user",
  kind: `install kind v${RECOMMENDED_KIND_VERSION}: \`go install sigs.k8s.io/kind@v${RECOMMENDED_KIND_VERSION}\`, \`brew install kind\`, or the binary from https://kind.sigs.k8s.io/docs/user/quick-start/#installing-from-release-binaries`,
  terraform: "install Terraform >= 1.5: https://developer.hashicorp.com/terraform/install (or `brew install hashicorp/tap/terraform`)",
  kubectl:
    "install kubectl >= 1.30 (1.34 matches the cluster): https://kubernetes.io/docs/tasks/tools/#kubectl (or `brew install kubectl`)",
};

/** The probe command of each prerequisite; all are local and answer in well under a second. */
export const PREFLIGHT_COMMANDS: Readonly<
  Record<Prerequisite, { file: string; args: readonly string[]; env?: Readonly<Record<string, string>> }>
> = {
  // `docker version` succeeds without a daemon; `docker info` needs one, which is what kind needs.
  docker: { file: "docker", args: ["info", "--format", "{{.ServerVersion}}"] },
  kind: { file: "kind", args: ["version"] },
  // `terraform version` asks checkpoint-api.hashicorp.com for a newer release unless told not to.
  terraform: { file: "terraform", args: ["version", "-json"], env: { CHECKPOINT_DISABLE: "1" } },
  kubectl: { file: "kubectl", args: ["version", "--client", "-o", "json"] },
};

type Version = readonly [number, number, number];

/** Parses `1.2.3`, `v1.2.3`, `v1.32.4-dispatcher` into numbers; undefined if there is no x.y.z. */
export function parseVersion(text: string): Version | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function isAtLeast(found: Version, minimum: Version): boolean {
  for (let index = 0; index < 3; index++) {
    if (found[index] !== minimum[index]) {
      return (found[index] as number) > (minimum[index] as number);
    }
  }
  return true;
}

function unusable(prerequisite: Prerequisite, result: CommandResult, what: string): PreflightCheck {
  let detail: string;
  if (result.notFound) {
    detail = `\`${PREFLIGHT_COMMANDS[prerequisite].file}\` not found on PATH`;
  } else if (result.timedOut) {
    detail = `\`${result.command}\` did not answer within ${PREFLIGHT_CHECK_TIMEOUT_MS / 1000} s`;
  } else {
    const firstLine = (result.stderr.trim() || result.stdout.trim()).split("\n")[0] ?? "";
    detail = `${what}${firstLine ? `: ${firstLine}` : ""}`;
  }
  return { prerequisite, ok: false, detail, installHint: INSTALL_HINTS[prerequisite] };
}

function versionCheck(
  prerequisite: Exclude<Prerequisite, "docker">,
  versionText: string | undefined,
  result: CommandResult,
): PreflightCheck {
  const version = versionText === undefined ? undefined : parseVersion(versionText);
  if (!version) {
    return unusable(prerequisite, result, `could not read a version from \`${result.command}\``);
  }
  const minimum = parseVersion(MINIMUM_VERSIONS[prerequisite]) as Version;
  const shown = version.join(".");
  if (!isAtLeast(version, minimum)) {
    return {
      prerequisite,
      ok: false,
      detail: `version ${shown} is older than the required ${MINIMUM_VERSIONS[prerequisite]}`,
      installHint: INSTALL_HINTS[prerequisite],
    };
  }
  return { prerequisite, ok: true, detail: `version ${shown}` };
}

/** `docker info --format {{.ServerVersion}}` prints the engine version, or fails when no daemon answers. */
export function evaluateDocker(result: CommandResult): PreflightCheck {
  const serverVersion = result.stdout.trim();
  if (result.exitCode !== 0 || serverVersion === "") {
    return unusable("docker", result, "the Docker daemon is not reachable");
  }
  return { prerequisite: "docker", ok: true, detail: `engine ${serverVersion}` };
}

/** `kind version` prints `kind v0.30.0 go1.24.6 linux/amd64`. */
export function evaluateKind(result: CommandResult): PreflightCheck {
  if (result.exitCode !== 0) {
    return unusable("kind", result, "`kind version` failed");
  }
  const check = versionCheck("kind", /kind\s+(v\S+)/.exec(result.stdout)?.[1], result);
  return check.ok || check.installHint === undefined
    ? check
    : { ...check, detail: `${check.detail} (kind < ${MIN_KIND_VERSION} does not enforce NetworkPolicy)` };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `terraform version -json` prints `{"terraform_version":"1.11.4",…}`. */
export function evaluateTerraform(result: CommandResult): PreflightCheck {
  if (result.exitCode !== 0) {
    return unusable("terraform", result, "`terraform version` failed");
  }
  const version = parseJsonObject(result.stdout)?.["terraform_version"];
  return versionCheck("terraform", typeof version === "string" ? version : undefined, result);
}

/**
 * `kubectl version --client -o json` prints `{"clientVersion":{"gitVersion":"v1.32.4",…}}`.
 * gitVersion, not major/minor: vendor builds report minor as "32+".
 */
export function evaluateKubectl(result: CommandResult): PreflightCheck {
  if (result.exitCode !== 0) {
    return unusable("kubectl", result, "`kubectl version --client` failed");
  }
  const clientVersion = parseJsonObject(result.stdout)?.["clientVersion"];
  const gitVersion =
    typeof clientVersion === "object" && clientVersion !== null ? (clientVersion as Record<string, unknown>)["gitVersion"] : undefined;
  return versionCheck("kubectl", typeof gitVersion === "string" ? gitVersion : undefined, result);
}

const EVALUATORS: Readonly<Record<Prerequisite, (result: CommandResult) => PreflightCheck>> = {
  docker: evaluateDocker,
  kind: evaluateKind,
  terraform: evaluateTerraform,
  kubectl: evaluateKubectl,
};

export const ALL_PREREQUISITES: readonly Prerequisite[] = ["docker", "kind", "terraform", "kubectl"];

/** Runs the probes in parallel, each with its own timeout, so the whole preflight ends in seconds. */
export async function runPreflight(
  runner: CommandRunner,
  prerequisites: readonly Prerequisite[] = ALL_PREREQUISITES,
  timeoutMs: number = PREFLIGHT_CHECK_TIMEOUT_MS,
): Promise<PreflightResult> {
  const checks = await Promise.all(
    prerequisites.map(async (prerequisite) => {
      const { file, args, env } = PREFLIGHT_COMMANDS[prerequisite];
      return EVALUATORS[prerequisite](await runner(file, args, { timeoutMs, ...(env ? { env } : {}) }));
    }),
  );
  const missing = checks.filter((check) => !check.ok);
  return { ok: missing.length === 0, checks, missing };
}

/**
 * What happens after a failed preflight: the suite fails (exit 78) or skips when the user opted in;
 * the playground always stops (exit 78), since it has nothing useful to do without the tools.
 */
export type PreflightOutcome = "fail-suite" | "skip-suite" | "stop-playground";

/** The message printed when prerequisites are missing; the same checks for the suite and the playground. */
export function formatPreflightReport(result: PreflightResult, outcome: PreflightOutcome, skipVariable: string): string {
  const lines = result.checks.map((check) =>
    check.ok
      ? `  ok       ${check.prerequisite}: ${check.detail}`
      : `  MISSING  ${check.prerequisite}: ${check.detail}\n           fix: ${check.installHint ?? ""}`,
  );
  const header = `integration tier: ${result.missing.length} of ${result.checks.length} prerequisites missing (${result.missing.map((check) => check.prerequisite).join(", ")})`;
  const footers: Record<PreflightOutcome, string> = {
    "fail-suite": `Install the missing tools and run again (docs/integration-tests.md), or set ${skipVariable}=1 to skip the integration tests instead of failing. Exit code ${PREFLIGHT_EXIT_CODE}.`,
    "skip-suite": `${skipVariable}=1 is set: skipping the integration tests that need the missing tools.`,
    "stop-playground": `Install the missing tools and run again (docs/integration-tests.md). Exit code ${PREFLIGHT_EXIT_CODE}.`,
  };
  return [header, ...lines, footers[outcome]].join("\n");
}
