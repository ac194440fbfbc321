// Lint configuration: typescript-eslint with type information (the rules that need the type
// checker are the ones that catch real bugs here), plus the layer rule from ARCHITECTURE.md.
// Formatting is Prettier's job (.prettierrc.json); nothing here is about whitespace.
import path from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const repoRoot = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layer a repository file belongs to, from its path relative to the repository root.
 * `modules/common` is a layer of its own because the CLI may use it and nothing else of modules/.
 */
function layerOf(relativePath) {
  const [first, second] = relativePath.replace(/\.m?ts$/, "").split(/[\\/]/);
  if (first === "main") return "main";
  if (first === "modules") return second === "common" ? "modules/common" : "modules";
  return first;
}

/**
 * Which layers each layer may import (relative imports only; packages are checked below).
 * main → stacks → modules → .gen; cli → modules/common; nothing outside test/ imports test/.
 * `dashboards/` is data (the pinned dashboard catalog) that modules and stacks may read.
 */
const ALLOWED_LAYERS = {
  main: ["main", "stacks"],
  stacks: ["stacks", "modules", "modules/common", ".gen", "dashboards"],
  modules: ["modules", "modules/common", ".gen", "dashboards"],
  "modules/common": ["modules/common"],
  dashboards: ["dashboards"],
  cli: ["cli", "modules/common"],
};

/**
 * Single files a layer may import outside its allowed layers, each with the reason.
 * The dashboard binding is pure JSON work shared by the construct and `trivy-operator-cdktf
 * dashboard`; it imports only modules/common, so the CLI stays free of CDKTF.
 */
const ALLOWED_FILES = {
  cli: ["modules/grafana-dashboard/prepare-dashboard"],
};

/** Packages a layer must not import: the CLI runs without CDKTF or the provider bindings. */
const FORBIDDEN_PACKAGES = {
  cli: [/^cdktf$/, /^constructs$/, /^@cdktf\//],
  "modules/common": [/^@cdktf\//],
};

/** The repository-relative path an import names, without extension, with forward slashes. */
function resolveTarget(fromFile, specifier) {
  const resolved = path.resolve(path.dirname(fromFile), specifier).replace(/\.(js|ts)$/, "");
  return path.relative(repoRoot, resolved).split(path.sep).join("/");
}

const layersPlugin = {
  rules: {
    "import-boundaries": {
      meta: {
        type: "problem",
        docs: { description: "Imports follow the layers in ARCHITECTURE.md" },
        schema: [],
        messages: {
          layer: "{{from}} must not import {{to}} ({{target}}): see 'Layers' in ARCHITECTURE.md",
          test: "only test/ may import test/ ({{target}})",
          package: "{{from}} must not import the package {{target}}: see 'Layers' in ARCHITECTURE.md",
        },
      },
      create(context) {
        const fromRelative = path.relative(repoRoot, context.filename);
        const from = layerOf(fromRelative);
        function check(node, specifier) {
          if (typeof specifier !== "string") return;
          if (!specifier.startsWith(".")) {
            const forbidden = FORBIDDEN_PACKAGES[from] ?? [];
            if (forbidden.some((pattern) => pattern.test(specifier))) {
              context.report({ node, messageId: "package", data: { from, target: specifier } });
            }
            return;
          }
          const target = resolveTarget(context.filename, specifier);
          const to = layerOf(target);
          if (to === "test" && from !== "test") {
            context.report({ node, messageId: "test", data: { target } });
            return;
          }
          const allowed = ALLOWED_LAYERS[from];
          if (allowed === undefined || allowed.includes(to)) return;
          if ((ALLOWED_FILES[from] ?? []).includes(target)) return;
          context.report({ node, messageId: "layer", data: { from, to, target } });
        }
        return {
          ImportDeclaration: (node) => check(node.source, node.source.value),
          ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
          ExportAllDeclaration: (node) => check(node.source, node.source.value),
          ImportExpression: (node) => node.source.type === "Literal" && check(node.source, node.source.value),
          TSImportType: (node) => {
            const literal = node.argument?.literal ?? node.argument;
            if (literal?.type === "Literal") check(literal, literal.value);
          },
        };
      },
    },
  },
};

export default tseslint.config(
  {
    ignores: ["node_modules/", "dist/", "cdktf.out/", ".gen/", "coverage/", "test-results/", "**/*.js", "**/*.mjs", "**/*.cjs"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: repoRoot },
    },
    plugins: { layers: layersPlugin },
    rules: {
      "layers/import-boundaries": "error",
      // Bugs the type checker alone does not catch.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: false }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
    },
  },
  {
    // Vitest's asymmetric matchers (`expect.stringContaining`, …) are typed `any`, and fakes of
    // async interfaces are async functions that need no await.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/require-await": "off",
    },
  },
);
