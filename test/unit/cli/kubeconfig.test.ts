import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../../cli/io";
import { main } from "../../../cli/main";
import { captureIo } from "../report/helpers";

describe("kubeconfig discovery", () => {
  // client-node reads HOME and KUBECONFIG itself; the test gives it an empty home and no KUBECONFIG.
  const saved = { home: process.env.HOME, kubeconfig: process.env.KUBECONFIG };
  let emptyHome = "";

  beforeEach(() => {
    emptyHome = mkdtempSync(join(tmpdir(), "no-kubeconfig-"));
    process.env.HOME = emptyHome;
    delete process.env.KUBECONFIG;
  });

  afterEach(() => {
    process.env.HOME = saved.home;
    if (saved.kubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved.kubeconfig;
    rmSync(emptyHome, { recursive: true, force: true });
  });

  it("fails when no kubeconfig exists, saying so instead of naming client-node's invented localhost:8080 context", async () => {
    const captured = captureIo();
    const code = await main(["doctor"], captured.io);
    expect(code).toBe(ExitCode.USAGE);
    expect(captured.stderr()).toBe(
      "trivy-operator-cdktf doctor: no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config\n",
    );
  });

  it("names the context and the missing kubeconfig in report's warning", async () => {
    const captured = captureIo();
    const code = await main(["report", "--context", "prod"], captured.io);
    expect(code).toBe(ExitCode.USAGE);
    expect(captured.stderr()).toContain(
      "warning: context prod: no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config",
    );
    expect(captured.stderr()).not.toMatch(/localhost:8080|loaded-context/);
  });
});
