import type { IConstruct } from "constructs";

/** One thing wrong with a construct's props: where, what was given, and what is allowed. */
export interface ValidationProblem {
  /** Prop path as the caller wrote it, e.g. `datasourceUid` or `alertRules.exposedSecretSeverities[0]`. */
  readonly path: string;
  /** The value given (never a secret: constructs refuse literal secrets before echoing anything). */
  readonly value: unknown;
  /** What would be accepted, and how to fix it. */
  readonly expected: string;
}

/** `path value is invalid: expected`, the one line every problem prints as. */
export function describeProblem(problem: ValidationProblem, pathPrefix = ""): string {
  return `${pathPrefix}${problem.path} ${JSON.stringify(problem.value) ?? String(problem.value)} is invalid: ${problem.expected}`;
}

/**
 * Every problem of a construct's props at once, with the construct path (`trivy-prod/eu-1/dashboard`)
 * that names the stack and cluster it belongs to. Callers that map props to their own config
 * (stacks/) read `problems` instead of parsing the message.
 */
export class ValidationError extends Error {
  /** Path of the construct in the tree; undefined when the props were checked without a construct. */
  public readonly constructPath?: string;
  public readonly problems: readonly ValidationProblem[];

  constructor(subject: string, problems: readonly ValidationProblem[], scope?: IConstruct) {
    const where = scope ? `${scope.node.path}: ` : "";
    super(problems.map((problem) => `${where}${subject} ${describeProblem(problem)}`).join("\n"));
    this.name = "ValidationError";
    this.constructPath = scope?.node.path;
    this.problems = problems;
  }
}
