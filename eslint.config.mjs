// Lint configuration: typescript-eslint with type information (the rules that need the type
// checker are the ones that catch real bugs here), plus the layer rule from ARCHITECTURE.md.
// Formatting is Prettier's job (.prettierrc.json); nothing here is about whitespace.
import path from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { layersPlugin } from "./eslint-rules/import-boundaries.mjs";

const repoRoot = path.dirname(fileURLToPath(import.meta.url));

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
