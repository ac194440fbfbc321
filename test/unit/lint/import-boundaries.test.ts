import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

// The layer rule of ARCHITECTURE.md, run through ESLint's own Linter on code that imports across
// layers, the way `npm run lint` runs it on the repository's files.

const ROOT = path.resolve(__dirname, "../../..");

type Lint = (file: string, code: string) => string[];
let lint: Lint;

beforeAll(async () => {
  const [{ Linter }, { default: tseslint }, { layersPlugin }] = await Promise.all([
    import("eslint"),
    import("typescript-eslint"),
    import("../../../eslint-rules/import-boundaries.mjs"),
  ]);
  const linter = new Linter({ cwd: ROOT });
  const config = [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser },
      plugins: { layers: layersPlugin },
      rules: { "layers/import-boundaries": "error" as const },
    },
  ];
  lint = (file, code) => linter.verify(code, config, { filename: path.join(ROOT, file) }).map((message) => message.message);
});

describe("layers/import-boundaries", () => {
  it.each([
    ["main.ts", 'import { buildStacks } from "./stacks";'],
    ["stacks/cluster.ts", 'import { TrivyOperator } from "../modules";'],
    ["stacks/validate.ts", 'import { isPlainObject } from "../modules/common/plain-object";'],
    ["stacks/monitoring.ts", 'import { GrafanaProvider } from "../.gen/providers/grafana/provider";'],
    ["modules/network-policy/network-policy.ts", 'import { ManifestBundle } from "../manifest-bundle";'],
    ["modules/grafana-dashboard/grafana-dashboard.ts", 'import { catalogDashboard } from "../../dashboards/catalog";'],
    ["modules/trivy-operator/validation.ts", 'import { isDnsLabel } from "../common/kubernetes-names";'],
    ["cli/report/sources/cluster.ts", 'import { asArray } from "../../common/json-access";'],
    ["cli/common/json-access.ts", 'import { isPlainObject } from "../../modules/common/plain-object";'],
    ["cli/dashboard/command.ts", 'import { prepareDashboard } from "../../modules/grafana-dashboard/prepare-dashboard";'],
    ["cli/common/kube.ts", 'export type ClientNode = typeof import("@kubernetes/client-node");'],
    ["test/unit/stacks/stacks.test.ts", 'import { synthesize } from "../../helpers/synth";'],
  ])("lets %s import what its layer may: %s", (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });

  it.each([
    [
      "modules/trivy-operator/values.ts",
      'import { defineEnvironments } from "../../stacks/environments";',
      "modules must not import stacks (stacks/environments)",
    ],
    [
      "modules/common/index.ts",
      'export * from "../trivy-operator/defaults";',
      "modules/common must not import modules (modules/trivy-operator/defaults)",
    ],
    ["main.ts", 'import { TrivyOperator } from "./modules/trivy-operator";', "main must not import modules (modules/trivy-operator)"],
    [
      "stacks/cluster.ts",
      'import { TrivyOperator } from "../modules/trivy-operator/trivy-operator";',
      "stacks must not import modules (modules/trivy-operator/trivy-operator)",
    ],
    [
      "cli/doctor/rules.ts",
      'import type { TrivyOperatorOptions } from "../../modules/trivy-operator/options";',
      "cli must not import modules (modules/trivy-operator/options)",
    ],
    ["cli/report/command.ts", 'import { buildStacks } from "../../stacks/app";', "cli must not import stacks (stacks/app)"],
    ["stacks/app.ts", 'const load = () => import("../cli/main.js");', "stacks must not import cli (cli/main)"],
    [
      "dashboards/catalog.ts",
      'import { isDnsLabel } from "../modules/common";',
      "dashboards must not import modules/common (modules/common)",
    ],
  ])("reports %s importing across the layers: %s", (file, code, problem) => {
    expect(lint(file, code)).toEqual([expect.stringContaining(problem)]);
  });

  it("reports a product file that imports test code", () => {
    expect(lint("bench/synth.ts", 'import { synthesize } from "../test/helpers/synth";')).toEqual([
      "only test/ may import test/ (test/helpers/synth)",
    ]);
  });

  it("keeps CDKTF out of the CLI, which runs without it", () => {
    expect(
      lint(
        "cli/doctor/live.ts",
        'import { App } from "cdktf";\nimport { Construct } from "constructs";\nimport { Release } from "@cdktf/provider-helm/lib/release";',
      ),
    ).toEqual([
      expect.stringContaining("cli must not import the package cdktf"),
      expect.stringContaining("cli must not import the package constructs"),
      expect.stringContaining("cli must not import the package @cdktf/provider-helm/lib/release"),
    ]);
  });
});
