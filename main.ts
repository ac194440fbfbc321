import { App } from "cdktf";
import { buildStacks, ConfigurationError, defineEnvironments, parseEnvironmentSelection, summarizeEnvironment } from "./stacks";

function synthesize(): void {
  // The only place that reads the process environment; everything below takes plain values.
  const environments = defineEnvironments({
    ciKubeconfigPath: process.env.TRIVY_CI_KUBECONFIG,
    ciKubeContext: process.env.TRIVY_CI_KUBE_CONTEXT,
  });
  const only = parseEnvironmentSelection(process.env.TRIVY_ENVIRONMENTS);

  const app = new App();
  const stacks = buildStacks(app, environments, { only });
  app.synth();

  if (process.argv.includes("--summary")) {
    for (const stack of stacks) {
      console.log(summarizeEnvironment(stack, environments[stack.environment]));
      console.log("");
    }
    console.log(`synthesized ${stacks.length} stack(s) into ${app.outdir}`);
  }
}

try {
  synthesize();
} catch (error) {
  // A config the user must fix gets its message alone; anything else is a bug and keeps its trace.
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`invalid configuration: ${error.message}`);
  process.exitCode = 1;
}
