import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { filepathMatch } from "../../../modules/trivy-operator/image-glob";
import { CI_CLUSTER } from "../../../stacks/ci-cluster";
import { buildStacks, parseEnvironmentSelection } from "../../../stacks/app";
import type { EnvironmentConfig, EnvironmentName, EnvironmentsConfig } from "../../../stacks/config";
import { defineEnvironments } from "../../../stacks/environments";
import { summarizeEnvironment } from "../../../stacks/summary";
import { validateEnvironmentConfig, validateEnvironments } from "../../../stacks/validate";
import { resourcesOfType, synthesizeStack, type SynthesizedStack } from "../../helpers/synth";

const environments = defineEnvironments({ ciKubeconfigPath: "/tmp/kind.kubeconfig", ciKubeContext: "kind-trivy-test" });

/** The `npm start` summary of one environment, read from the stack built for it. */
function summaryOf(environment: EnvironmentName, config: EnvironmentsConfig = environments): string {
  const [stack] = buildStacks(Testing.app(), config, { only: [environment] });
  return summarizeEnvironment(stack!, config[environment]!);
}

function synthAll(config: EnvironmentsConfig = environments): Record<string, SynthesizedStack> {
  const app = Testing.app();
  return Object.fromEntries(buildStacks(app, config).map((stack) => [stack.environment, synthesizeStack(stack).parsed]));
}

/** Drops what changes without a config change (provider versions, the chart archive's hash), for regression snapshots. */
function scrub(synth: SynthesizedStack): unknown {
  const { terraform: _terraform, ...rest } = synth;
  return JSON.parse(JSON.stringify(rest).replace(/raw-manifests-[0-9a-f]{32}\.tgz/g, "raw-manifests-<hash>.tgz"));
}

describe("environment stacks", () => {
  const stacks = synthAll();

  it("can build one stack per environment", () => {
    expect(Object.keys(stacks).sort()).toEqual(["ci", "dev", "prod"]);
  });

  it("can point the ci stack at the kind cluster given by main.ts", () => {
    expect(stacks.ci?.provider?.helm).toEqual([
      { alias: "kind", kubernetes: { config_path: "/tmp/kind.kubeconfig", config_context: "kind-trivy-test" } },
    ]);
  });

  it("can tolerate the ci worker taint on scan jobs and the node collector", () => {
    const [release] = resourcesOfType(stacks.ci!, "helm_release").filter((r) => r.chart === "trivy-operator");
    const values = parse((release?.values as string[])[0] ?? "") as { trivyOperator: unknown; nodeCollector: unknown };
    const toleration = { ...CI_CLUSTER.workerTaint, operator: "Equal" };
    expect(values.trivyOperator).toMatchObject({ scanJobTolerations: [toleration] });
    expect(values.nodeCollector).toMatchObject({ tolerations: [toleration] });
    expect(release?.namespace).toBe(CI_CLUSTER.operatorNamespace);
  });

  it("can give each prod cluster its own provider alias and stable construct ids", () => {
    const releases = stacks.prod?.resource?.helm_release ?? {};
    const operatorReleases = Object.entries(releases).filter(([, r]) => r.chart === "trivy-operator");
    expect(operatorReleases.map(([id, r]) => [id.replace(/_[0-9A-F]{8}$/, ""), r.provider])).toEqual([
      ["eu-1_trivy-operator_release", "helm.eu-1"],
      ["us-1_trivy-operator_release", "helm.us-1"],
    ]);
  });

  it("can route network-policy resources to their cluster's providers", () => {
    const unaliased = Object.values(stacks).flatMap((synth) =>
      Object.values(synth.resource ?? {}).flatMap((byId) => Object.values(byId).filter((resource) => !resource.provider)),
    );
    expect(unaliased).toEqual([]);
  });

  it("can create the chosen network-policy flavor", () => {
    expect(resourcesOfType(stacks.dev!, "kubernetes_network_policy_v1").length).toBeGreaterThan(1);
    const bundles = resourcesOfType(stacks.prod!, "helm_release").filter((r) => r.name === "trivy-operator-netpol");
    expect(bundles).toHaveLength(2);
  });

  it("can lock S3 state with a lock file", () => {
    expect(stacks.prod?.terraform?.backend).toEqual({
      s3: {
        bucket: "example-org-terraform-state",
        key: "trivy-operator/prod.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(stacks.dev?.terraform?.backend).toEqual({ local: { path: "terraform.trivy-dev.tfstate" } });
  });

  it.each(["dev", "prod", "ci"])("can synthesize %s like the reviewed snapshot", (environment) => {
    expect(scrub(stacks[environment]!)).toMatchSnapshot();
  });
});

describe("buildStacks", () => {
  it("can synthesize a subset of environments", () => {
    const app = Testing.app();
    expect(buildStacks(app, environments, { only: ["ci"] }).map((stack) => stack.node.id)).toEqual(["trivy-ci"]);
  });

  it("fails when one environment is invalid, before creating any stack", () => {
    const app = Testing.app();
    const broken: EnvironmentsConfig = {
      ...environments,
      prod: { clusters: [{ name: "eu-1", kubeconfigPath: "~/.kube/config", networkPolicy: { flavor: "calcio" as "calico" } }] },
    };
    expect(() => buildStacks(app, broken)).toThrow(
      'environment "prod", cluster "eu-1": networkPolicy.flavor "calcio" is invalid: use one of "kubernetes", "calico", "cilium", "none"',
    );
    expect(app.node.children).toHaveLength(0);
  });

  it("fails when TRIVY_ENVIRONMENTS names an environment the app does not define", () => {
    expect(() => parseEnvironmentSelection("dev,staging", environments)).toThrow(
      'TRIVY_ENVIRONMENTS entries must be environments the app defines (dev, prod, ci), got "staging"',
    );
    expect(parseEnvironmentSelection(" dev , ci ", environments)).toEqual(["dev", "ci"]);
  });
});

describe("validateEnvironmentConfig", () => {
  const cluster = { name: "eu-1", kubeconfigPath: "~/.kube/config" };
  it("can report every problem of every environment at once, one line each, naming environment, cluster, field and value", () => {
    // GIVEN two environments with problems in different sections, clusters and rules between clusters
    const environments = {
      prod: {
        backend: { type: "consul" },
        clusters: [
          { ...cluster, taints: [{ key: "a", effect: "Never" }], operator: { scanJobsConcurrentLimit: 0, scannerReportTTL: "1d" } },
          { name: "eu-2", kubeconfigPath: "~/.kube/config", kubeContext: "eu-2", networkPolicy: { apiServerPorts: [70000] } },
          { ...cluster, kubeContext: "other" },
        ],
      },
      staging: { clusters: [{ name: "Stage", kubeconfigPath: "" }] },
    };
    // WHEN they are checked THEN one error lists all of them
    let message = "";
    try {
      validateEnvironments(environments);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split("\n")).toEqual([
      'environment "prod": backend.type must be one of local, s3, gcs, azurerm, remote, got "consul"',
      'environment "prod", cluster "eu-1": taints[0].effect "Never" is invalid: use one of NoSchedule, PreferNoSchedule, NoExecute',
      'environment "prod", cluster "eu-1": operator.scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100',
      'environment "prod", cluster "eu-1": operator.scannerReportTTL "1d" is invalid: use a positive Go duration such as "24h", "10m0s" or "90s"',
      'environment "prod", cluster "eu-2": networkPolicy.apiServerPorts[0] 70000 is invalid: not a port: use an integer from 1 to 65535',
      'environment "prod", cluster "eu-1": name must be unique in the environment, got "eu-1" twice',
      'environment "staging", clusters[0]: name must be a DNS-1123 label (at most 63 lowercase letters, digits and \'-\'), got "Stage"',
      'environment "staging", clusters[0]: kubeconfigPath must be a non-empty string such as "~/.kube/config", got ""',
    ]);
  });

  it.each<[string, unknown, string]>([
    [
      "an S3 backend without locking",
      { clusters: [cluster], backend: { type: "s3", bucket: "b", key: "k", region: "r" } },
      'environment "prod": backend.s3 needs state locking: set dynamodbTable or useLockfile: true',
    ],
    [
      "an unknown backend",
      { clusters: [cluster], backend: { type: "consul" } },
      'environment "prod": backend.type must be one of local, s3, gcs, azurerm, remote, got "consul"',
    ],
    ["no clusters", { clusters: [] }, 'environment "prod": clusters must be a non-empty list of clusters, got []'],
    [
      "a duplicate cluster name",
      { clusters: [cluster, { ...cluster, kubeContext: "other" }] },
      'environment "prod", cluster "eu-1": name must be unique in the environment',
    ],
    [
      "two entries for one kube context",
      { clusters: [cluster, { ...cluster, name: "eu-2" }] },
      'environment "prod", cluster "eu-2": kubeconfigPath and kubeContext must differ from cluster "eu-1"',
    ],
    [
      "a bad CIDR",
      { clusters: [{ ...cluster, networkPolicy: { apiServerCidrs: ["10.0.0.1"] } }] },
      'environment "prod", cluster "eu-1": networkPolicy.apiServerCidrs[0] "10.0.0.1" is invalid: not a valid CIDR: it has no prefix length; did you mean "10.0.0.1/32"?',
    ],
    [
      "an operator option out of range",
      { clusters: [{ ...cluster, operator: { scanJobsConcurrentLimit: 0 } }] },
      'environment "prod", cluster "eu-1": operator.scanJobsConcurrentLimit 0 is invalid: use an integer from 1 to 100',
    ],
    [
      "a chart path typo",
      { clusters: [{ ...cluster, operator: { extraValues: { triyvOperator: { scanJobTolerations: [] } } } }] },
      'environment "prod", cluster "eu-1": operator.extraValues "triyvOperator.scanJobTolerations" is invalid: not a value of trivy-operator chart 0.34.0; did you mean "trivyOperator.scanJobTolerations"?',
    ],
    [
      "a hand-written toleration the chart would reject",
      {
        clusters: [
          { ...cluster, operator: { extraValues: { nodeCollector: { tolerations: [{ key: "a", operator: "Exists", value: "b" }] } } } },
        ],
      },
      'environment "prod", cluster "eu-1": operator.extraValues.nodeCollector.tolerations[0].value "b" is invalid: must be empty when operator is Exists',
    ],
    [
      "a port the network-policy module refuses",
      { clusters: [{ ...cluster, networkPolicy: { apiServerPorts: [70000] } }] },
      'environment "prod", cluster "eu-1": networkPolicy.apiServerPorts[0] 70000 is invalid: not a port: use an integer from 1 to 65535',
    ],
    [
      "an excluded registry range without a mask",
      { clusters: [{ ...cluster, networkPolicy: { registryExcludedCidrs: ["10.0.0.1"] } }] },
      'environment "prod", cluster "eu-1": networkPolicy.registryExcludedCidrs[0] "10.0.0.1" is invalid: not a valid CIDR: it has no prefix length; did you mean "10.0.0.1/32"?',
    ],
    [
      "a bad taint effect",
      { clusters: [{ ...cluster, taints: [{ key: "a", effect: "Never" }] }] },
      'environment "prod", cluster "eu-1": taints[0].effect "Never" is invalid: use one of NoSchedule, PreferNoSchedule, NoExecute',
    ],
    [
      "a cluster name with capitals",
      { clusters: [{ ...cluster, name: "EU" }] },
      'environment "prod", clusters[0]: name must be a DNS-1123 label',
    ],
  ])("fails when given %s", (_name, config, message) => {
    expect(() => validateEnvironmentConfig("prod", config)).toThrow(message);
  });

  it.each(["Staging", "1prod", "prod_eu", "prod-", ""])(
    "fails when the environment name %j is not a DNS label starting with a letter",
    (name) => {
      expect(() => validateEnvironmentConfig(name, { clusters: [cluster] })).toThrow(
        `environment name must be a lowercase DNS label starting with a letter`,
      );
      expect(() => validateEnvironmentConfig(name, { clusters: [cluster] })).toThrow(`got ${JSON.stringify(name)}`);
    },
  );
});

interface PolicyPeer {
  readonly ip_block?: { readonly cidr: string; readonly except?: readonly string[] };
}
interface PolicySpec {
  readonly pod_selector: unknown;
  readonly egress?: ReadonlyArray<{
    readonly ports: ReadonlyArray<{ readonly port: string; readonly protocol: string }>;
    readonly to: readonly PolicyPeer[];
  }>;
}

describe("network policy config", () => {
  it("can pass the module's ports, exclusions and DNS options through to the policies", () => {
    // GIVEN a dev cluster that narrows the API server ports, keeps scan jobs off internal ranges and uses node-local DNS
    const dev = environments.dev;
    const tuned: EnvironmentsConfig = {
      ...environments,
      dev: {
        ...dev,
        clusters: [
          {
            ...dev.clusters[0]!,
            networkPolicy: {
              ...dev.clusters[0]!.networkPolicy,
              apiServerPorts: [6443],
              registryExcludedCidrs: ["192.168.0.0/16"],
              dns: { nodeLocalDns: { address: "169.254.20.10" } },
            },
          },
        ],
      },
    };

    // WHEN
    const policies = resourcesOfType(synthAll(tuned).dev!, "kubernetes_network_policy_v1") as Array<{ spec: PolicySpec }>;
    const policyOf = (component: string) => policies.find((policy) => JSON.stringify(policy.spec.pod_selector).includes(component))!.spec;

    // THEN the operator reaches the API server on 6443 only
    const apiServerRule = policyOf('"trivy-operator"').egress!.find((rule) =>
      rule.to.some((peer) => peer.ip_block?.cidr === "10.0.0.0/8"),
    )!;
    expect(apiServerRule.ports).toEqual([{ port: "6443", protocol: "TCP" }]);
    // AND scan jobs reach registries on 443 except the excluded range, and resolve through node-local DNS
    const scanJobEgress = policyOf('"vulnerabilityReport.scanner"').egress!;
    const registryRule = scanJobEgress.find((rule) => rule.ports.some((port) => port.port === "443"))!;
    expect(registryRule.to[0]!.ip_block!.except).toContain("192.168.0.0/16");
    expect(scanJobEgress.some((rule) => rule.to.some((peer) => peer.ip_block?.cidr === "169.254.20.10/32"))).toBe(true);
  });
});

describe("prod example excludeImages", () => {
  // trivy-operator v0.32.0 plugin.go ExcludeImage: filepath.Match(pattern, c.Image) per container.
  const eu1 = environments.prod.clusters.find((cluster) => cluster.name === "eu-1")!;
  const patterns = eu1.operator?.excludeImages ?? [];

  it.each([
    "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022",
    "mcr.microsoft.com/windows/nanoserver:ltsc2022",
    "mcr.microsoft.com/oss/calico/windows-upgrade:v3.26.1",
  ])("can exclude %s", (image) => {
    expect(patterns.some((pattern) => filepathMatch(pattern, image))).toBe(true);
  });

  it("can leave Linux images of the same registry scanned", () => {
    expect(patterns.some((pattern) => filepathMatch(pattern, "mcr.microsoft.com/oss/kubernetes/pause:3.9"))).toBe(false);
  });

  it("can warn in the summary when a pattern stops at one level", () => {
    const single: EnvironmentConfig = {
      clusters: [{ ...eu1, operator: { ...eu1.operator, excludeImages: ["mcr.microsoft.com/windows/*"] } }],
    };
    expect(summaryOf("prod", { ...environments, prod: single })).toContain(
      '    warning      excludeImages[0] "mcr.microsoft.com/windows/*" does not match "mcr.microsoft.com/windows/example/nested"',
    );
    expect(summaryOf("prod")).not.toContain("warning ");
  });
});

describe("summarizeEnvironment", () => {
  it("can list chart, tuned values, tolerations, flavor and flows", () => {
    const summary = summaryOf("ci");
    expect(summary).toContain("trivy-ci");
    expect(summary).toContain("trivy-operator 0.34.0");
    expect(summary).toContain("3 at once, memory limit 1500M");
    expect(summary).toContain("dedicated=security-scans:NoSchedule (operator, scan jobs, node collector)");
    expect(summary).toContain("policies     kubernetes");
    expect(summary).toMatch(/dns\(kube-system\) \[UDP\/53, TCP\/53\]/);
    // The kind tier's timing rests on these (docs/integration-tests.md "Why the ci stack scans fast").
    expect(summary).toContain("via built-in Trivy server (ClientServer)");
    expect(summary).toContain(
      "registries   TCP/443 to 0.0.0.0/0 except 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16; no private ranges (a private registry needs networkPolicy.privateRegistryCidrs); never the API server (its endpoints read at plan time)",
    );
  });

  it("can say where the checks bundle comes from and how the operator reaches it", () => {
    const summary = summaryOf("prod");
    expect(summary).toContain(
      "checks       mirror.gcr.io/aquasec/trivy-checks:1, pulled by the operator before each node-collector Job; operator egress TCP/443 to FQDN mirror.gcr.io",
    );
    expect(summary).toContain(
      "checks       mirror.gcr.io/aquasec/trivy-checks:1, pulled by the operator before each node-collector Job; operator egress TCP/443 to the public registry ranges",
    );
  });

  it("can open private registry ranges from networkPolicy.privateRegistryCidrs and say so", () => {
    const ci = environments.ci;
    const withPrivate: EnvironmentConfig = {
      ...ci,
      clusters: [{ ...ci.clusters[0]!, networkPolicy: { flavor: "calico", privateRegistryCidrs: ["10.20.0.0/16"] } }],
    };
    validateEnvironmentConfig("ci", withPrivate);
    expect(summaryOf("ci", { ...environments, ci: withPrivate })).toContain(
      "private 10.20.0.0/16; never the API server (Service default/kubernetes)",
    );
    expect(() =>
      validateEnvironmentConfig("ci", {
        ...ci,
        clusters: [{ ...ci.clusters[0]!, networkPolicy: { privateRegistryCidrs: ["10.20.0.0"] } }],
      }),
    ).toThrow(
      'networkPolicy.privateRegistryCidrs[0] "10.20.0.0" is invalid: not a valid CIDR: it has no prefix length; did you mean "10.20.0.0/32"?',
    );
  });
});

describe("private DB mirror credentials", () => {
  // Stands in for a password someone pastes into the config; it must never be echoed or synthesized.
  const SENTINEL = "SENTINEL-db-password-not-a-real-secret";
  const mirrorCluster = {
    name: "eu-1",
    kubeconfigPath: "~/.kube/config",
    networkPolicy: { flavor: "none" as const },
    operator: {
      dbRegistry: "registry.example.com",
      dbRepository: "mirrors/trivy-db",
      dbRepositoryCredentials: { username: "trivy-puller" },
    },
  };
  const withMirror = { ...environments, prod: { clusters: [mirrorCluster] } } satisfies EnvironmentsConfig;

  it("can read the password from a sensitive stack variable through set_sensitive", () => {
    // GIVEN a cluster that pulls the DB from its own mirror with a user name
    // WHEN the stack is synthesized
    const prod = synthAll(withMirror).prod!;

    // THEN the password is a sensitive variable named after the cluster
    expect(prod.variable?.trivy_db_password_eu_1).toMatchObject({ type: "string", sensitive: true });
    expect(prod.variable?.trivy_db_password_eu_1?.description).toContain("TF_VAR_trivy_db_password_eu_1");
    // AND the operator release references it only through set_sensitive, the user name through set
    const [release] = resourcesOfType(prod, "helm_release").filter((r) => r.chart === "trivy-operator");
    expect(release?.set_sensitive).toEqual([
      { name: "trivy.dbRepositoryPassword", type: "string", value: expect.stringContaining("var.trivy_db_password_eu_1") },
    ]);
    expect(release?.set).toEqual([{ name: "trivy.dbRepositoryUsername", type: "string", value: "trivy-puller" }]);
    expect(parse((release?.values as string[])[0]!)).toMatchObject({ trivy: { dbRegistry: "registry.example.com" } });
  });

  it("can say in the summary what rolls the built-in Trivy server, and what does not", () => {
    const serverMirror = {
      ...environments,
      prod: { clusters: [{ ...mirrorCluster, operator: { ...mirrorCluster.operator, builtInTrivyServer: true } }] },
    } satisfies EnvironmentsConfig;
    const summary = summaryOf("prod", serverMirror);
    expect(summary).toContain("trivy server rolls on a change of TRIVY_DB_REPOSITORY, TRIVY_JAVA_DB_REPOSITORY, TRIVY_INSECURE");
    expect(summary).toContain(
      "the variable trivy_db_password_eu_1 (not its value: after changing only TF_VAR_trivy_db_password_eu_1, restart trivy-server)",
    );
    expect(summaryOf("prod", withMirror)).toContain("trivy server none (Standalone");
  });

  it("can list the password variable in the summary's secrets line", () => {
    const summary = summaryOf("prod", withMirror);
    expect(summary).toContain("trivy db     registry.example.com/mirrors/trivy-db as trivy-puller");
    expect(summary).toContain("secrets      TF_VAR_trivy_db_password_eu_1");
    // Clusters without credentials or monitoring still say so.
    expect(summaryOf("ci")).toContain("secrets      none");
  });

  it("fails when the config carries the password, without echoing it", () => {
    const config = {
      clusters: [{ ...mirrorCluster, operator: { dbRepositoryCredentials: { username: "trivy-puller", password: SENTINEL } } }],
    };
    let message = "";
    try {
      validateEnvironmentConfig("prod", config);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'environment "prod", cluster "eu-1": operator.dbRepositoryCredentials.password is not an option; allowed: username; the password comes from TF_VAR_trivy_db_password_<cluster>, never from the config',
    );
    expect(message).not.toContain(SENTINEL);
  });

  it.each<[string, unknown, string]>([
    [
      "a user name with a space",
      { username: "trivy puller" },
      'operator.dbRepositoryCredentials.username "trivy puller" is invalid: use a registry user name of 1-256 printable characters without spaces',
    ],
    ["a bare string", "trivy-puller", 'operator.dbRepositoryCredentials must be an object (username), got "trivy-puller"'],
  ])("fails when given %s", (_name, dbRepositoryCredentials, message) => {
    const config = { clusters: [{ ...mirrorCluster, operator: { dbRepositoryCredentials } }] };
    expect(() => validateEnvironmentConfig("prod", config)).toThrow(`environment "prod", cluster "eu-1": ${message}`);
  });

  it("fails when the chart's own Secret is switched off, which would drop the credentials", () => {
    const config = {
      clusters: [{ ...mirrorCluster, operator: { ...mirrorCluster.operator, extraValues: { trivy: { existingSecret: true } } } }],
    };
    expect(() => validateEnvironmentConfig("prod", config)).toThrow(
      "operator.extraValues.trivy.existingSecret true is invalid: must not be set with operator.dbRepositoryCredentials, which needs the chart's own Secret",
    );
  });
});
