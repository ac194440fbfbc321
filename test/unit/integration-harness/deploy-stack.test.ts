import { describe, expect, it } from "vitest";
import { ciStackDeployPlan, ciStackDir } from "../../integration/harness/deploy-stack";

const target = { repoRoot: "/repo", outDir: "/tmp/run/cdktf.out", kubeconfigPath: "/tmp/run/kubeconfig", kubeContext: "kind-trivy-e2e-1" };

describe("ci stack deploy plan", () => {
  const [synth, init, apply] = ciStackDeployPlan(target);

  it("synthesizes only the ci environment, pointed at the kind kubeconfig and context", () => {
    // The variables main.ts reads; with another name, synth would target the default kubeconfig.
    expect(synth?.env).toMatchObject({
      CDKTF_OUTDIR: "/tmp/run/cdktf.out",
      TRIVY_ENVIRONMENTS: "ci",
      TRIVY_CI_KUBECONFIG: "/tmp/run/kubeconfig",
      TRIVY_CI_KUBE_CONTEXT: "kind-trivy-e2e-1",
    });
  });

  it("runs terraform init, then a non-interactive apply, in the synthesized trivy-ci stack", () => {
    const inStack = `-chdir=${ciStackDir(target.outDir)}`;

    expect(ciStackDir(target.outDir)).toBe("/tmp/run/cdktf.out/stacks/trivy-ci");
    expect(init?.file).toBe("terraform");
    expect(init?.args).toEqual(expect.arrayContaining([inStack, "init"]));
    expect(apply?.file).toBe("terraform");
    expect(apply?.args).toEqual(expect.arrayContaining([inStack, "apply", "-auto-approve"]));
    expect(apply?.env).toMatchObject({ TF_IN_AUTOMATION: "1", TF_INPUT: "0" });
  });

  it("bounds every step, giving apply (Helm release wait) the most time", () => {
    expect([synth, init, apply].every((step) => (step?.timeoutMs ?? 0) > 0)).toBe(true);
    expect(apply?.timeoutMs).toBeGreaterThan(init?.timeoutMs ?? Infinity);
  });
});
