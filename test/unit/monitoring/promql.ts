import { createRequire } from "node:module";
import type * as LezerPromql from "@prometheus-io/lezer-promql" with { "resolution-mode": "import" };

// The package is ESM-typed ("type": "module") but ships a CommonJS build; this project compiles
// tests as CommonJS, so load that build explicitly and keep the types.
const { parser } = createRequire(__filename)("@prometheus-io/lezer-promql") as typeof LezerPromql;

/** What a PromQL expression selects, read from its lezer syntax tree rather than with regexes. */
export interface PromqlFacts {
  /** Syntax error nodes; empty for a valid expression. */
  readonly errors: string[];
  /** Every vector selector: metric name and label matchers (`label`, `op`, unquoted value). */
  readonly selectors: Array<{ metric: string; matchers: Array<{ label: string; op: string; value: string }> }>;
  /** Range windows such as `25h`. */
  readonly ranges: string[];
  /** Number literals, e.g. thresholds. */
  readonly numbers: number[];
  /** Function names used. */
  readonly functions: string[];
}

export function promqlFacts(expr: string): PromqlFacts {
  const tree = parser.parse(expr);
  const text = (from: number, to: number): string => expr.slice(from, to);
  const facts: PromqlFacts = { errors: [], selectors: [], ranges: [], numbers: [], functions: [] };
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) facts.errors.push(`error at ${node.from}: "${text(node.from, node.to)}"`);
      if (node.name === "FunctionIdentifier") facts.functions.push(text(node.from, node.to));
      if (node.name === "NumberDurationLiteralInDurationContext") facts.ranges.push(text(node.from, node.to));
      if (node.name === "NumberDurationLiteral") facts.numbers.push(Number(text(node.from, node.to)));
      if (node.name === "VectorSelector") {
        const selector = node.node;
        const metric = selector.getChild("Identifier");
        const matchers = selector.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? [];
        facts.selectors.push({
          metric: metric ? text(metric.from, metric.to) : "",
          matchers: matchers.map((matcher) => {
            const label = matcher.getChild("LabelName")!;
            const op = matcher.getChild("MatchOp")!;
            const value = matcher.getChild("StringLiteral")!;
            return { label: text(label.from, label.to), op: text(op.from, op.to), value: JSON.parse(text(value.from, value.to)) as string };
          }),
        });
      }
    },
  });
  return facts;
}
