/**
 * Regenerates the Grafana provider bindings in `.gen/providers/grafana` from the committed schema
 * `providers/grafana/provider-schema.json`, offline (no terraform, no registry).
 *
 *   npm run gen:grafana                 # writes .gen/providers/grafana
 *   npm run gen:grafana -- --out <dir>  # writes <dir>/providers/grafana (the drift test uses this)
 *
 * The output is committed: a fresh clone typechecks and tests without running this, and
 * `test/unit/grafana-dashboard/bindings.test.ts` regenerates into a temp dir and fails on any
 * byte difference, so a schema edit without regeneration (or a hand edit of .gen) is caught.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/** The provider the bindings are for; `cdktf.json` declares the same version for `cdktf get` users. */
export const GRAFANA_PROVIDER = {
  fqpn: "registry.terraform.io/grafana/grafana",
  source: "grafana/grafana",
  version: "4.45.1",
  constraint: "~> 4.45",
} as const;

const PROJECT_ROOT = path.resolve(__dirname, "..");
export const GRAFANA_SCHEMA_PATH = path.join(PROJECT_ROOT, "providers/grafana/provider-schema.json");
export const DEFAULT_GEN_DIR = path.join(PROJECT_ROOT, ".gen");

export async function generateGrafanaBindings(schemaPath: string, outdir: string): Promise<string> {
  // @cdktf/commons runs `terraform version` when it loads and, if that fails, phones
  // checkpoint-api.hashicorp.com; this script must work offline, so opt out before loading it.
  process.env.CHECKPOINT_DISABLE = "1";
  // Deep import: the package index require.resolve()s jsii-pacmak, which is not installed.
  const { TerraformProviderGenerator } = await import("@cdktf/provider-generator/lib/get/generator/provider-generator.js");
  const { CodeMaker } = await import("codemaker");
  const { ConstructsMakerProviderTarget, Language, TerraformProviderConstraint } = await import("@cdktf/commons");

  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  // `cdktf get` adds this; without it the generated provider pins no version in required_providers.
  schema.provider_versions = { [GRAFANA_PROVIDER.fqpn]: GRAFANA_PROVIDER.version };

  const target = path.join(outdir, "providers", "grafana");
  // CodeMaker never deletes files, so a resource dropped from the schema would linger.
  fs.rmSync(target, { recursive: true, force: true });
  const code = new CodeMaker();
  // The committed file is `terraform providers schema -json` output, the input `cdktf get` gives the generator.
  const generator = new TerraformProviderGenerator(code, schema);
  generator.generate(
    new ConstructsMakerProviderTarget(
      new TerraformProviderConstraint(`${GRAFANA_PROVIDER.source}@${GRAFANA_PROVIDER.constraint}`),
      Language.TYPESCRIPT,
    ),
  );
  await code.save(outdir);
  return target;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { out: { type: "string" }, schema: { type: "string" } },
    strict: true,
  });
  const written = await generateGrafanaBindings(values.schema ?? GRAFANA_SCHEMA_PATH, values.out ?? DEFAULT_GEN_DIR);
  process.stdout.write(`grafana bindings written to ${path.relative(process.cwd(), written) || written}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
