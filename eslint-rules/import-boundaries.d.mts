import type { ESLint } from "eslint";

/** The `layers` plugin with its one rule, `import-boundaries`. */
export declare const layersPlugin: ESLint.Plugin;
