import { Testing } from "cdktf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildStacks } from "../../../stacks/app";
import type { ClusterConfig, EnvironmentConfig, EnvironmentName, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { validateEnvironmentConfig } from "../../../stacks/validate";

// GIVEN a valid environment config and, optionally, one mutation that breaks exactly one field,
// THEN validation fails naming environment, field and bad value exactly when the config is broken.

const environmentName = fc.constantFrom<EnvironmentName>("dev", "prod", "ci");
const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);

const validCluster = (name: string): fc.Arbitrary<ClusterConfig> =>
  fc.record({
    name: fc.constant(name),
    kubeconfigPath: fc.constantFrom("~/.kube/config", "/etc/kube/config"),
    kubeContext: fc.constant(`ctx-${name}`),
    taints: fc.array(
      fc.record(
        {
          key: fc.constantFrom("dedicated", "node-role.kubernetes.io/control-plane", "example.com/pool"),
          value: fc.constantFrom("security-scans", "gpu"),
          effect: fc.constantFrom("NoSchedule" as const, "PreferNoSchedule" as const, "NoExecute" as const),
        },
        { requiredKeys: ["key"] },
      ),
      { maxLength: 3 },
    ),
    networkPolicy: fc.record(
      {
        flavor: fc.constantFrom("kubernetes" as const, "calico" as const, "cilium" as const, "none" as const),
        registryCidrs: fc.constantFrom(["0.0.0.0/0"], ["203.0.113.0/24", "198.51.100.0/24"]),
      },
      { requiredKeys: [] },
    ),
    operator: fc.record(
      {
        scanJobsConcurrentLimit: fc.integer({ min: 1, max: 100 }),
        ignoreUnfixed: fc.boolean(),
        builtInTrivyServer: fc.boolean(),
        infraAssessment: fc.boolean(),
        excludeImages: fc.constantFrom(["mcr.microsoft.com/windows/*"], []),
        scanJobResources: fc.constantFrom({ limits: { memory: "1500M" } }, { requests: { cpu: "200m" }, limits: { cpu: "2", memory: "3Gi" } }),
        trivyTimeout: fc.constantFrom("5m", "10m0s"),
      },
      { requiredKeys: [] },
    ),
  });

const validEnvironment: fc.Arbitrary<EnvironmentConfig> = fc
  .uniqueArray(dnsLabel, { minLength: 1, maxLength: 3 })
  .chain((names) => fc.tuple(...names.map(validCluster)))
  .chain((clusters) =>
    fc.record({
      clusters: fc.constant(clusters),
      backend: fc.constantFrom<EnvironmentConfig["backend"]>(
        { type: "local" },
        { type: "s3", bucket: "state", key: "trivy.tfstate", region: "eu-west-1", dynamodbTable: "locks" },
        { type: "gcs", bucket: "state", prefix: "trivy" },
        { type: "remote", organization: "org", workspace: "trivy" },
      ),
    }),
  );

interface Mutation {
  /** Field name the error must mention. */
  readonly field: string;
  /** The bad value, as the error must show it. */
  readonly shown: string;
  readonly apply: (config: EnvironmentConfig) => unknown;
}

const withCluster = (config: EnvironmentConfig, change: (cluster: ClusterConfig) => unknown): unknown => ({
  ...config,
  clusters: [change(config.clusters[0]!), ...config.clusters.slice(1)],
});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom("calcio", "Kubernetes", "istio").map((flavor) => ({
    field: "networkPolicy.flavor",
    shown: JSON.stringify(flavor),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { flavor } })),
  })),
  fc.oneof(fc.integer({ min: -5, max: 0 }), fc.integer({ min: 101, max: 10_000 })).map((limit) => ({
    field: "operator.scanJobsConcurrentLimit",
    shown: String(limit),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, scanJobsConcurrentLimit: limit } })),
  })),
  fc.constantFrom("1500MB", "lots", "1,5G").map((memory) => ({
    field: "operator.scanJobResources.limits.memory",
    shown: JSON.stringify(memory),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, scanJobResources: { limits: { memory } } } })),
  })),
  fc.constantFrom("Never", "noschedule").map((effect) => ({
    field: "taints[0].effect",
    shown: JSON.stringify(effect),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, taints: [{ key: "dedicated", effect }] })),
  })),
  fc.constantFrom("10.0.0.1", "300.0.0.0/8", "10.0.0.0/33").map((cidr) => ({
    field: "networkPolicy.apiServerCidrs[0]",
    shown: JSON.stringify(cidr),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, networkPolicy: { apiServerCidrs: [cidr] } })),
  })),
  fc.constantFrom("4m", "90s").map((timeout) => ({
    field: "operator.scanJobTimeout",
    shown: JSON.stringify(timeout),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, trivyTimeout: "5m", scanJobTimeout: timeout } })),
  })),
  fc.constantFrom("triyvOperator", "trivyoperator").map((root) => ({
    field: `${root}.scanJobTolerations`,
    shown: "trivyOperator.scanJobTolerations",
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, operator: { ...cl.operator, extraValues: { [root]: { scanJobTolerations: [] } } } })),
  })),
  fc.constant({
    field: "backend.s3",
    shown: "dynamodbTable or useLockfile",
    apply: (c: EnvironmentConfig) => ({ ...c, backend: { type: "s3", bucket: "b", key: "k", region: "r" } }),
  }),
  fc.constantFrom("", 42).map((path) => ({
    field: "kubeconfigPath",
    shown: JSON.stringify(path),
    apply: (c: EnvironmentConfig) => withCluster(c, (cl) => ({ ...cl, kubeconfigPath: path })),
  })),
);

describe("environment config (property-based)", () => {
  it("can tell every valid config from every broken one, naming environment, field and value", () => {
    fc.assert(
      fc.property(environmentName, validEnvironment, fc.option(mutation, { freq: 2 }), (environment, config, broken) => {
        if (broken === null) {
          expect(() => validateEnvironmentConfig(environment, config)).not.toThrow();
          return;
        }
        const badConfig = broken.apply(config);
        let message = "";
        try {
          validateEnvironmentConfig(environment, badConfig);
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toContain(`environment "${environment}"`);
        expect(message).toContain(broken.field);
        expect(message).toContain(broken.shown);
      }),
      { numRuns: 1_200 },
    );
  });

  it("can synthesize valid configs", () => {
    const defaults = defineEnvironments();
    fc.assert(
      fc.property(environmentName, validEnvironment, (environment, config) => {
        const app = Testing.app();
        const environments: EnvironmentsConfig = { ...defaults, [environment]: config };
        const [stack] = buildStacks(app, environments, { only: [environment] });
        const synth = JSON.parse(Testing.synth(stack!)) as { resource: Record<string, Record<string, unknown>> };
        expect(Object.keys(synth.resource.helm_release ?? {}).filter((id) => id.endsWith("trivy-operator_release") || /trivy-operator_release_/.test(id))).toHaveLength(
          config.clusters.length,
        );
      }),
      { numRuns: 60 },
    );
  });
});
