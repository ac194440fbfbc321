// The layer rule of ARCHITECTURE.md ("Layers") as an ESLint plugin: every relative import is
// resolved to the layer of the file it names and checked against ALLOWED_LAYERS; the CLI must not
// load CDKTF. Tested in test/unit/lint/import-boundaries.test.ts.
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

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
 * stacks/ reach modules/ only through its public API (modules/index.ts), like a user's app would.
 * `dashboards/` is data (the pinned dashboard catalog) that modules and stacks may read.
 */
const ALLOWED_LAYERS = {
  main: ["main", "stacks"],
  stacks: ["stacks", "modules/common", ".gen", "dashboards"],
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
  // The package's public API; everything else under modules/ is private (`import … from "../modules"`).
  stacks: ["modules", "modules/index"],
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

export const layersPlugin = {
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
