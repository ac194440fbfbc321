import { App } from "cdktf";
import {
  buildStacks,
  ConfigurationError,
  defineEnvironments,
  parseEnvironmentSelection,
  planStacks,
  stateLocation,
  summarizeStacks,
  withoutTokenStackTraces,
} from "./stacks";

/**
 * `tsx main.ts` synthesizes (what `cdktf synth` runs); `--summary` also prints what each environment
 * installs (`npm start`); `--list-stacks` prints the stack names without synthesizing, one a line,
 * or with `--json` as `[{ name, environment, layout, cluster?, state }]` for the deploy workflow.
 * `TRIVY_ENVIRONMENTS=dev,prod` limits all of them to those environments; `TRIVY_SYNTH_STACK_TRACES=1`
 * keeps cdktf's token creation traces (slower; for debugging a token error).
 */
function run(argv: readonly string[]): void {
  // The only place that reads the process environment; everything below takes plain values.
  const environments = defineEnvironments({
    ciKubeconfigPath: process.env.TRIVY_CI_KUBECONFIG,
    ciKubeContext: process.env.TRIVY_CI_KUBE_CONTEXT,
  });
  const only = parseEnvironmentSelection(process.env.TRIVY_ENVIRONMENTS, environments);

  if (argv.includes("--list-stacks")) {
    const planned = planStacks(environments, only);
    if (argv.includes("--json")) {
      const list = planned.map((stack) => ({
        name: stack.name,
        environment: stack.environment,
        layout: stack.layout,
        ...(stack.cluster === undefined ? {} : { cluster: stack.cluster }),
        state: stateLocation(stack.backend, stack.name),
      }));
      console.log(JSON.stringify(list, null, 2));
    } else {
      for (const stack of planned) console.log(stack.name);
    }
    return;
  }

  const app = new App();
  const build = () => {
    const built = buildStacks(app, environments, { only });
    app.synth();
    return built;
  };
  // TRIVY_SYNTH_STACK_TRACES=1 keeps cdktf's token creation traces, for debugging a token error.
  const stacks = process.env.TRIVY_SYNTH_STACK_TRACES === "1" ? build() : withoutTokenStackTraces(build);

  if (argv.includes("--summary")) console.log(summarizeStacks(stacks, environments, app.outdir));
}

try {
  run(process.argv.slice(2));
} catch (error) {
  // A config the user must fix gets its problems alone, one line each; anything else is a bug and keeps its trace.
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.report());
  process.exitCode = 1;
}
