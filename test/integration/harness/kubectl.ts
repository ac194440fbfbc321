import { runChecked, type CommandResult, type CommandRunner } from "./command-runner";
import { parseReportList, REPORT_API_GROUP, type ReportExpectation, type ReportObject, labelSelectorFor } from "./reports";

/** kubectl bound to one kubeconfig file and context, so nothing ever touches the user's ~/.kube/config. */
export class Kubectl {
  constructor(
    private readonly runner: CommandRunner,
    readonly kubeconfigPath: string,
    readonly context: string,
  ) {}

  private args(args: readonly string[]): string[] {
    return ["--kubeconfig", this.kubeconfigPath, "--context", this.context, ...args];
  }

  /** Runs kubectl and returns stdout; throws with stderr when it fails. */
  async run(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const result = await runChecked(this.runner, "kubectl", this.args(args), {
      timeoutMs: options.timeoutMs ?? 60_000,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    return result.stdout;
  }

  async apply(documents: string): Promise<void> {
    await this.run(["apply", "--filename", "-"], { input: documents });
  }

  /**
   * `kubectl exec <pod> -- <command>`, returning the result whatever the exit code: the caller
   * reads the command's own exit code and stderr, which kubectl passes through.
   */
  async exec(namespace: string, pod: string, command: readonly string[], timeoutMs: number): Promise<CommandResult> {
    return this.runner("kubectl", this.args(["exec", "--namespace", namespace, pod, "--", ...command]), { timeoutMs });
  }

  async getJson<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.run(["get", ...args, "--output", "json"])) as T;
  }

  /** Lists the reports of an expectation by label selector (`-l`), in its namespace or cluster-wide. */
  async listReports(expectation: ReportExpectation): Promise<ReportObject[]> {
    const scope = expectation.namespace === undefined ? [] : ["--namespace", expectation.namespace];
    const stdout = await this.run([
      "get",
      `${expectation.plural}.${REPORT_API_GROUP}`,
      ...scope,
      "--selector",
      labelSelectorFor(expectation.resource),
      "--output",
      "json",
    ]);
    return parseReportList(stdout);
  }
}
