import { describe, expect, it } from "vitest";
import { decide } from "../../integration/harness/preflight-gate";
import type { PreflightResult } from "../../integration/harness/preflight";

const missingDocker: PreflightResult = {
  ok: false,
  checks: [
    { prerequisite: "docker", ok: false, detail: "the Docker daemon is not reachable", installHint: "start Docker" },
    { prerequisite: "terraform", ok: true, detail: "version 1.11.4" },
  ],
  missing: [{ prerequisite: "docker", ok: false, detail: "the Docker daemon is not reachable", installHint: "start Docker" }],
};
const allPresent: PreflightResult = { ok: true, checks: [{ prerequisite: "docker", ok: true, detail: "engine 28" }], missing: [] };

describe("preflight decision", () => {
  it("runs when everything is present, even without the skip opt-in", () => {
    expect(decide(allPresent, { skipWhenMissing: false }, "suite")).toEqual({ action: "run", summary: { missing: [], message: "" } });
  });

  it("exits 78 with the message when something is missing", () => {
    const decision = decide(missingDocker, { skipWhenMissing: false }, "suite");

    expect(decision).toMatchObject({ action: "exit", exitCode: 78 });
    expect(decision.action === "exit" ? decision.message : "").toContain("MISSING  docker");
  });

  it("skips, naming what is missing, when the user opted in", () => {
    const decision = decide(missingDocker, { skipWhenMissing: true }, "suite");

    expect(decision).toMatchObject({ action: "skip", summary: { missing: ["docker"] } });
  });

  it("never skips the playground: it has nothing to do without the tools", () => {
    expect(decide(missingDocker, { skipWhenMissing: true }, "playground")).toMatchObject({ action: "exit", exitCode: 78 });
  });
});
