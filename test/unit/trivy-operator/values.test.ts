import { describe, expect, it } from "vitest";
import { CONFIG_HASH_ANNOTATION, SERVER_CONFIG_HASH_ANNOTATION } from "../../../modules/trivy-operator/defaults";
import type { TrivyOperatorOptions } from "../../../modules/trivy-operator/options";
import { quantityValue } from "../../../modules/trivy-operator/validation";
import {
  buildTrivyOperatorValues,
  checksBundleReference,
  serverStartUpConfigHash,
  startUpConfigHash,
  type ChartValues,
  type ServerCredentialIdentity,
} from "../../../modules/trivy-operator/values";

/** Reads a dotted chart path, so assertions name the exact value paths of the chart. */
function at(values: ChartValues, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
}

function configHash(options: TrivyOperatorOptions): string {
  const annotations = at(buildTrivyOperatorValues(options), "podAnnotations") as Record<string, string>;
  return annotations[CONFIG_HASH_ANNOTATION] ?? "";
}

describe("buildTrivyOperatorValues defaults", () => {
  const values = buildTrivyOperatorValues();

  it("can raise the scan-job memory limit to the field report's 1500M", () => {
    expect(at(values, "trivy.resources.limits.memory")).toBe("1500M");
  });

  it("can keep the memory request small enough for a node collector to schedule on a busy node", () => {
    // Upstream fact: trivy-operator v0.32.0 pkg/configauditreport/controller/node.go reconcileNodes
    // gives every node-collector Job trivy.resources (trivy.Config GetResourceRequirements), and
    // trivy-kubernetes pins the collector to its node; the collector itself needs tens of MB
    // (trivy-kubernetes' own template requests 50M). At 512M a collector stayed Pending on a node with
    // less free, holding the single node-collector slot (scanNodeCollectorLimit 1) until its deadline.
    const request = quantityValue(String(at(values, "trivy.resources.requests.memory")));
    expect(request).toBeLessThanOrEqual(256e6);
    // The OOMKill protection is the limit, which is unchanged.
    expect(quantityValue(String(at(values, "trivy.resources.limits.memory")))).toBeGreaterThanOrEqual(1500e6);
  });

  it("can limit concurrent scan jobs to 2", () => {
    expect(at(values, "operator.scanJobsConcurrentLimit")).toBe(2);
  });

  it("can report only fixable vulnerabilities", () => {
    expect(at(values, "trivy.ignoreUnfixed")).toBe(true);
  });

  it("can pull the DBs from mirror.gcr.io instead of rate-limited ghcr.io", () => {
    expect(at(values, "trivy.dbRegistry")).toBe("mirror.gcr.io");
    expect(at(values, "trivy.javaDbRepository")).toBe("aquasec/trivy-java-db");
  });

  it("can leave the Job deadline 3m above Trivy's own timeout, for scheduling, image pull and DB download", () => {
    expect(at(values, "trivy.timeout")).toBe("10m0s");
    expect(at(values, "operator.scanJobTimeout")).toBe("13m");
  });

  it("can give the operator requests and a memory limit", () => {
    expect(at(values, "resources")).toEqual({ requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } });
  });

  it("can run the operator as non-root with RuntimeDefault seccomp, and scan-job containers without capabilities", () => {
    expect(at(values, "podSecurityContext")).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(at(values, "trivyOperator.scanJobPodTemplateContainerSecurityContext")).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    });
  });

  it("can keep the image's user for scan jobs while the node collector, which shares their pod security context, needs root-only host files", () => {
    // GIVEN infra assessment on (the default): the operator hands the scan-job pod security context to the node collector
    expect(at(values, "trivyOperator.scanJobPodTemplatePodSecurityContext")).toEqual({ seccompProfile: { type: "RuntimeDefault" } });

    // WHEN infra assessment is off, THEN scan jobs run as the operator's non-root UID
    const withoutNodeCollector = buildTrivyOperatorValues({ infraAssessment: false });
    expect(at(withoutNodeCollector, "trivyOperator.scanJobPodTemplatePodSecurityContext")).toEqual({
      runAsNonRoot: true,
      runAsUser: 10000,
      runAsGroup: 10000,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("can send the chart's string booleans as strings", () => {
    expect(at(values, "trivy.dbRepositoryInsecure")).toBe("false");
  });

  it("can exclude kube-system and the operator namespace", () => {
    expect(at(values, "excludeNamespaces")).toBe("kube-system,trivy-system");
  });
});

describe("buildTrivyOperatorValues encoding", () => {
  it("can join list options into the chart's comma-separated strings", () => {
    const values = buildTrivyOperatorValues({
      targetNamespaces: ["apps", "payments"],
      excludeNamespaces: ["kube-*"],
      targetWorkloads: ["pod", "cronjob"],
      excludeImages: ["mcr.microsoft.com/windows/*", "*/calico/windows-*"],
      skipResourceByLabels: ["example.com/skip", "no-scan"],
      severities: ["HIGH", "CRITICAL"],
      namespace: "security",
    });
    expect(at(values, "targetNamespaces")).toBe("apps,payments");
    expect(at(values, "excludeNamespaces")).toBe("kube-*,security");
    expect(at(values, "targetWorkloads")).toBe("pod,cronjob");
    expect(at(values, "trivyOperator.excludeImages")).toBe("mcr.microsoft.com/windows/*,*/calico/windows-*");
    expect(at(values, "trivyOperator.skipResourceByLabels")).toBe("example.com/skip,no-scan");
    expect(at(values, "trivy.severity")).toBe("HIGH,CRITICAL");
  });

  it("can reference private-registry secrets by name only", () => {
    const values = buildTrivyOperatorValues({ privateRegistryScanSecretsNames: { apps: ["pull-a", "pull-b"] } });
    expect(at(values, "operator.privateRegistryScanSecretsNames")).toEqual({ apps: "pull-a,pull-b" });
  });

  it("can put the taints on scan jobs and the node collector, not only the operator", () => {
    const values = buildTrivyOperatorValues({ taints: [{ key: "dedicated", value: "security-scans", effect: "NoSchedule" }] });
    const expected = [{ key: "dedicated", operator: "Equal", value: "security-scans", effect: "NoSchedule" }];
    expect(at(values, "tolerations")).toEqual(expected);
    expect(at(values, "trivyOperator.scanJobTolerations")).toEqual(expected);
    expect(at(values, "nodeCollector.tolerations")).toEqual(expected);
  });

  it("can turn the node collector off together with its tolerations", () => {
    const values = buildTrivyOperatorValues({ infraAssessment: false, taints: [{ key: "dedicated" }] });
    expect(at(values, "operator.infraAssessmentScannerEnabled")).toBe(false);
    expect(at(values, "nodeCollector")).toBeUndefined();
  });

  it("can make the built-in Trivy server restricted-compliant", () => {
    const values = buildTrivyOperatorValues({ builtInTrivyServer: true });
    expect(at(values, "operator.builtInTrivyServer")).toBe(true);
    expect(at(values, "trivy.server.podSecurityContext.seccompProfile")).toEqual({ type: "RuntimeDefault" });
    expect(at(values, "trivy.server.securityContext.capabilities")).toEqual({ drop: ["ALL"] });
  });
});

describe("buildTrivyOperatorValues extraValues", () => {
  it("can deep-merge extra values last, replacing lists", () => {
    const values = buildTrivyOperatorValues({
      extraValues: {
        operator: { metricsVulnIdEnabled: true },
        trivy: { resources: { limits: { memory: "3000M" } } },
        nodeSelector: { pool: "system" },
      },
    });
    expect(at(values, "operator.metricsVulnIdEnabled")).toBe(true);
    expect(at(values, "operator.scanJobsConcurrentLimit")).toBe(2);
    expect(at(values, "trivy.resources.limits")).toEqual({ cpu: "1", memory: "3000M" });
    expect(at(values, "nodeSelector")).toEqual({ pool: "system" });
  });

  it("fails when a path does not exist in the chart, suggesting the right one", () => {
    expect(() => buildTrivyOperatorValues({ extraValues: { triyvOperator: { scanJobTolerations: [] } } })).toThrow(
      'extraValues "triyvOperator.scanJobTolerations" is invalid: not a value of trivy-operator chart 0.34.0; did you mean "trivyOperator.scanJobTolerations"?',
    );
  });

  it("fails when given the case typo that real modules shipped", () => {
    expect(() => buildTrivyOperatorValues({ extraValues: { operator: { ScannerReportTTL: "1h" } } })).toThrow(
      'did you mean "operator.scannerReportTTL"?',
    );
  });

  it("fails when a value has the wrong type for the chart", () => {
    expect(() => buildTrivyOperatorValues({ extraValues: { trivy: { useBuiltinRegoPolicies: true } } })).toThrow(
      "extraValues.trivy.useBuiltinRegoPolicies true is invalid: use a string, as trivy-operator chart 0.34.0 does (got a bool)",
    );
  });

  it("can put anything below free-form maps and lists of the chart", () => {
    const values = buildTrivyOperatorValues({
      extraValues: {
        podAnnotations: { "example.com/owner": "security" },
        serviceAccount: { annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/trivy" } },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      },
    });
    expect(at(values, "podAnnotations")).toMatchObject({ "example.com/owner": "security" });
    expect(at(values, "serviceAccount.annotations")).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/trivy" });
  });

  it("fails when a hand-written toleration uses Exists with a value", () => {
    expect(() =>
      buildTrivyOperatorValues({ extraValues: { nodeCollector: { tolerations: [{ key: "a", operator: "Exists", value: "b" }] } } }),
    ).toThrow('extraValues.nodeCollector.tolerations[0].value "b" is invalid: must be empty when operator is Exists');
  });
});

describe("start-up config hash", () => {
  const base: TrivyOperatorOptions = { taints: [{ key: "dedicated", value: "a", effect: "NoSchedule" }], excludeImages: ["a/*"] };

  it("can change when scan-job tolerations change", () => {
    expect(configHash({ ...base, taints: [{ key: "dedicated", value: "b", effect: "NoSchedule" }] })).not.toBe(configHash(base));
  });

  it("can change when excluded images change", () => {
    expect(configHash({ ...base, excludeImages: ["b/*"] })).not.toBe(configHash(base));
  });

  it("can change when node-collector values arrive through extraValues", () => {
    expect(configHash({ ...base, extraValues: { nodeCollector: { excludeNodes: "pool=gpu" } } })).not.toBe(configHash(base));
  });

  it("can stay the same when only values re-read per scan job change", () => {
    expect(configHash({ ...base, ignoreUnfixed: false, scanJobsConcurrentLimit: 5, severities: ["CRITICAL"] })).toBe(configHash(base));
  });

  it("can change with the chart version, whose defaults are rendered into ConfigMap trivy-operator too", () => {
    // Upstream fact: chart templates/configmaps/operator.yaml renders node.collector.imageRef and
    // policies.bundle.oci.ref from chart defaults (nodeCollector.tag, policiesBundle.tag), and the
    // operator reads that ConfigMap only at start-up (pkg/operator/operator.go Start →
    // trivyoperator.ConfigManager.Read). A chart bump can change it while every value we send stays the same.
    const values = buildTrivyOperatorValues(base);
    expect(startUpConfigHash(values, "0.34.0")).toBe(configHash(base));
    expect(startUpConfigHash(values, "0.35.0")).not.toBe(startUpConfigHash(values, "0.34.0"));
  });

  it("can keep user pod annotations next to the hash", () => {
    const values = buildTrivyOperatorValues({ extraValues: { podAnnotations: { team: "sec" } } });
    expect(Object.keys(at(values, "podAnnotations") as object).sort()).toEqual([CONFIG_HASH_ANNOTATION, "team"].sort());
    expect(at(values, "podAnnotations")).toMatchObject({ [CONFIG_HASH_ANNOTATION]: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe("built-in Trivy server start-up config hash", () => {
  // Upstream fact (chart 0.34.0 templates/trivy-server/statefulset.yaml): the server gets its
  // settings only as env at start-up (envFrom ConfigMap/Secret trivy-operator-trivy-config), and
  // the StatefulSet's `checksum/config` annotation is a constant; `operator.serverAdditionalAnnotations`
  // is rendered into the same pod template, so a hash there is what rolls the server.
  const server: TrivyOperatorOptions = { builtInTrivyServer: true };
  const serverHash = (options: TrivyOperatorOptions, credentials?: ServerCredentialIdentity): string | undefined =>
    (at(buildTrivyOperatorValues(options, credentials), "operator.serverAdditionalAnnotations") as Record<string, string> | undefined)?.[
      SERVER_CONFIG_HASH_ANNOTATION
    ];

  it("can annotate the server pod template with a sha256", () => {
    expect(serverHash(server)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, TrivyOperatorOptions]>([
    ["dbRegistry (TRIVY_DB_REPOSITORY, configmaps/trivy.yaml)", { dbRegistry: "registry.example.com" }],
    ["dbRepository (TRIVY_DB_REPOSITORY)", { dbRepository: "mirrors/trivy-db" }],
    ["javaDbRegistry (TRIVY_JAVA_DB_REPOSITORY)", { javaDbRegistry: "registry.example.com" }],
    ["javaDbRepository (TRIVY_JAVA_DB_REPOSITORY)", { javaDbRepository: "mirrors/trivy-java-db" }],
    ["dbRepositoryInsecure (TRIVY_INSECURE via operator.builtInServerRegistryInsecure)", { dbRepositoryInsecure: true }],
    ["trivy.debug (TRIVY_DEBUG)", { extraValues: { trivy: { debug: true } } }],
    ["trivy.valuesFromSecret (extra envFrom)", { extraValues: { trivy: { valuesFromSecret: "trivy-env" } } }],
  ])("can change when %s changes", (_name, change) => {
    expect(serverHash({ ...server, ...change })).not.toBe(serverHash(server));
  });

  it("can change with the chart version, which decides how those values are rendered", () => {
    const values = buildTrivyOperatorValues(server);
    expect(serverStartUpConfigHash(values, "0.34.0")).toBe(serverHash(server));
    expect(serverStartUpConfigHash(values, "0.35.0")).not.toBe(serverHash(server));
  });

  it("can change with the DB user name and the password's source, never needing the password", () => {
    const credentials = { username: "trivy-puller", passwordSource: "${var.trivy_db_password_eu_1}" };
    expect(serverHash(server, credentials)).not.toBe(serverHash(server));
    expect(serverHash(server, { ...credentials, username: "other" })).not.toBe(serverHash(server, credentials));
    expect(serverHash(server, { ...credentials, passwordSource: "${var.other}" })).not.toBe(serverHash(server, credentials));
  });

  it("can stay the same when only what scan jobs read per scan changes", () => {
    expect(serverHash({ ...server, severities: ["CRITICAL"], ignoreUnfixed: false, scanJobsConcurrentLimit: 5 })).toBe(serverHash(server));
  });

  it("can keep user server annotations next to the hash", () => {
    const values = buildTrivyOperatorValues({ ...server, extraValues: { operator: { serverAdditionalAnnotations: { team: "sec" } } } });
    expect(Object.keys(at(values, "operator.serverAdditionalAnnotations") as object).sort()).toEqual(
      [SERVER_CONFIG_HASH_ANNOTATION, "team"].sort(),
    );
  });

  it("can leave the server annotations out when no server runs", () => {
    expect(at(buildTrivyOperatorValues({}), "operator.serverAdditionalAnnotations")).toBeUndefined();
  });
});

describe("checksBundleReference", () => {
  // chart 0.34.0 templates/configmaps/operator.yaml renders
  // policies.bundle.oci.ref: "{{ policiesBundle.registry }}/{{ .repository }}:{{ .tag }}".
  it("can name the chart's default bundle", () => {
    expect(checksBundleReference(buildTrivyOperatorValues(), "0.34.0").ref).toBe("mirror.gcr.io/aquasec/trivy-checks:1");
  });

  it("can follow a bundle mirror given through extraValues", () => {
    const bundle = checksBundleReference(
      buildTrivyOperatorValues({ extraValues: { policiesBundle: { registry: "registry.example.com" } } }),
      "0.34.0",
    );
    expect(bundle).toEqual({
      registry: "registry.example.com",
      repository: "aquasec/trivy-checks",
      tag: "1",
      ref: "registry.example.com/aquasec/trivy-checks:1",
    });
  });
});
