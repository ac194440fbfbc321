/**
 * `npm run validate:stacks`: synthesizes every environment and runs `terraform init -backend=false`
 * and `terraform validate` on each stack, against the real provider schemas (helm, kubernetes,
 * http, grafana). The unit tier checks intent offline; this catches what only the providers know
 * (a required attribute, a block shape). It needs terraform and access to the provider registry,
 * so it runs in the CI workflow, not in `npm test`.
 *
 * Exit codes: 0 every stack is valid; 1 a stack is invalid; 2 terraform is missing or `init`
 * could not install the providers (no registry access), so nothing was validated.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..");

interface Manifest {
  readonly stacks: Readonly<Record<string, { readonly workingDirectory: string }>>;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: repoRoot, env, encoding: "utf8", timeout: 10 * 60_000 });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function main(): number {
  const terraform = run("terraform", ["version"]);
  if (terraform.status !== 0) {
    console.error(`validate:stacks needs terraform on the PATH: ${terraform.output.trim()}`);
    return 2;
  }
  const outdir = mkdtempSync(path.join(tmpdir(), "trivy-validate-"));
  try {
    const synth = run(process.execPath, [require.resolve("tsx/cli"), "main.ts"], {
      ...process.env,
      CDKTF_OUTDIR: outdir,
      CHECKPOINT_DISABLE: "1",
    });
    if (synth.status !== 0) {
      console.error(`synth failed:\n${synth.output}`);
      return 1;
    }
    const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as Manifest;
    let invalid = 0;
    for (const [name, stack] of Object.entries(manifest.stacks)) {
      const directory = path.join(outdir, stack.workingDirectory);
      // -backend=false: validation needs the providers, not the (remote, credentialed) state.
      const init = run("terraform", [`-chdir=${directory}`, "init", "-backend=false", "-input=false", "-no-color"]);
      if (init.status !== 0) {
        console.error(`${name}: terraform init could not install the providers, so nothing was validated:\n${init.output.trim()}`);
        return 2;
      }
      const validate = run("terraform", [`-chdir=${directory}`, "validate", "-no-color"]);
      if (validate.status === 0) {
        console.log(`${name}: valid`);
      } else {
        invalid++;
        console.error(`${name}: INVALID\n${validate.output.trim()}`);
      }
    }
    return invalid === 0 ? 0 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main();
