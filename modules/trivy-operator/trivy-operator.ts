import { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { Annotations, DefaultTokenResolver, StringConcat, Token, Tokenization, type TerraformProvider } from "cdktf";
import type { Construct, IConstruct } from "constructs";
import { valueAt } from "../common/plain-object";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { terraformLiteral } from "../common/terraform-literal";
import type { Toleration } from "../tolerations/taint";
import { tolerationsForTaints } from "../tolerations/tolerations";
import { dbRepositoryCredentialSettings, dbRepositoryCredentialsProblems, type DbRepositoryCredentials } from "./db-credentials";
import { CHART_NAME, CHART_REPOSITORIES, CONFIG_HASH_ANNOTATION, SERVER_CONFIG_HASH_ANNOTATION } from "./defaults";
import {
  ImportedTrivyOperator,
  TrivyOperatorBase,
  trivyOperatorFacts,
  type ITrivyOperator,
  type TrivyOperatorAttributes,
} from "./operator-ref";
import type { TrivyOperatorOptions } from "./options";
import { trivyOperatorOptionProblems, trivyOperatorWarnings } from "./validation";
import {
  checksBundleReference,
  resolvedTrivyOperatorValues,
  resolveTrivyOperatorOptions,
  type ChartValues,
  type ChecksBundleReference,
  type ResolvedTrivyOperatorOptions,
} from "./values";

export interface TrivyOperatorProps extends TrivyOperatorOptions {
  /**
   * Helm provider of the target cluster; needed when a stack holds several clusters.
   * @default - the stack's default `helm` provider
   */
  readonly helmProvider?: TerraformProvider;
  /**
   * Kubernetes provider of the target cluster, for the namespace.
   * @default - the stack's default `kubernetes` provider
   */
  readonly kubernetesProvider?: TerraformProvider;
  /**
   * How long Helm waits for the release to become ready.
   * @default 600 - the first DB download and image pulls on a fresh cluster take minutes
   */
  readonly releaseTimeoutSeconds?: number;
  /**
   * User name and password of a private or authenticated vulnerability-DB registry, e.g. the
   * organisation's own mirror of `aquasec/trivy-db` (set `dbRegistry`/`dbRepository` to it). The
   * password must be a token (a sensitive TerraformVariable's `stringValue`); it reaches Helm
   * through `set_sensitive`, never the values YAML. Scan jobs get them as
   * `trivy.dbRepositoryUsername/Password`; with `builtInTrivyServer` the server gets them as
   * `trivy.serverUser/serverPassword` too (its DB download reads only those). The chart stores them
   * in Secret `trivy-operator-trivy-config`, so `trivy.existingSecret` must stay false.
   * @default - anonymous pulls (right for the public mirror.gcr.io)
   * @see https://aquasecurity.github.io/trivy-operator/latest/tutorials/private-registries/
   */
  readonly dbRepositoryCredentials?: DbRepositoryCredentials;
}

/** Pod Security Standards level of the namespace (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Trivy Operator in its own namespace, installed from the pinned upstream Helm chart with values
 * tuned for production (see `TrivyOperatorOptions` for each default and the failure it prevents).
 *
 * The namespace enforces Pod Security `restricted`, except when infra assessment is on: the node
 * collector needs hostPID and hostPath, so the namespace then enforces `privileged` and keeps
 * `restricted` as warn/audit level. The operator always runs non-root; scan jobs do too unless the
 * node collector, which inherits their pod security context, must read root-only host files.
 */
export class TrivyOperator extends TrivyOperatorBase {
  /**
   * A Trivy Operator installed elsewhere (another stack, Argo CD, by hand), for companions:
   * `TrivyOperator.fromAttributes(this, "trivy", { namespace: "security" }).addNetworkPolicy("policy")`.
   */
  public static fromAttributes(scope: Construct, id: string, attributes: TrivyOperatorAttributes = {}): ITrivyOperator {
    return new ImportedTrivyOperator(scope, id, attributes);
  }

  /** Namespace the operator, its scan jobs, node collector and Trivy server run in. */
  public readonly namespace: string;
  /** Helm release name; the `app.kubernetes.io/instance` label of the operator pods. */
  public readonly releaseName: string;
  public readonly chartVersion: string;
  public readonly release: Release;
  public readonly namespaceResource: NamespaceV1;
  /** Whether the built-in Trivy server (port 4954) runs; scan jobs and the operator then talk to it. */
  public readonly builtInTrivyServer: boolean;
  /** Whether the chart renders a ServiceMonitor; Prometheus then scrapes the operator on port 8080. */
  public readonly serviceMonitor: boolean;
  /** Whether the node collector runs (infra assessment); it needs the API server and privileged pods. */
  public readonly nodeCollector: boolean;
  /** Registries the DB downloads come from (`host` or `host:port`), for egress policies. */
  public readonly dbRegistryHosts: readonly string[];
  /** The checks bundle the operator pulls over 443 before each node-collector Job, for egress policies. */
  public readonly checksBundle: ChecksBundleReference;
  /** Registries the checks bundle comes from (`host` or `host:port`), for egress policies. */
  public readonly checksBundleHosts: readonly string[];
  /** Whether vulnerability scan Jobs run in the workloads' namespaces (`extraValues.trivyOperator.scanJobsInSameNamespace`). */
  public readonly scanJobsInSameNamespace: boolean;
  /** Pod Security level the namespace enforces. */
  public readonly podSecurityEnforce: PodSecurityLevel;
  /** Tolerations given to every component, derived from the cluster taints. */
  public readonly tolerations: readonly Toleration[];
  /** The chart values sent to Helm, after defaults and `extraValues`. */
  public readonly values: ChartValues;
  /** Hash of the start-up config; a change rolls the operator Deployment. */
  public readonly configHash: string;
  /** Hash of what the built-in Trivy server reads at start-up; a change rolls its StatefulSet. Undefined without the server. */
  public readonly serverConfigHash?: string;
  /** How long a report lives before a rescan (`operator.scannerReportTTL`). */
  public readonly scannerReportTTL: string;
  /** The options with every default applied, as the values were built from them. */
  public readonly resolvedOptions: ResolvedTrivyOperatorOptions;
  /** Helm provider of the release; companions added with `add*` use it too. */
  public readonly helmProvider?: TerraformProvider;
  /** Kubernetes provider of the namespace; companions added with `add*` use it too. */
  public readonly kubernetesProvider?: TerraformProvider;

  constructor(scope: Construct, id: string, props: TrivyOperatorProps = {}) {
    super(scope, id);
    validateTrivyOperatorProps(props, "", this);
    for (const warning of trivyOperatorWarnings(props)) Annotations.of(this).addWarning(warning);
    const options = resolveTrivyOperatorOptions(props);
    // validateTrivyOperatorProps has checked the options; build from the resolved ones instead of again.
    const credentialsGiven = props.dbRepositoryCredentials;
    // Resolved to their Terraform expressions (`${var.…}`): stable across synths, unlike token
    // placeholders, and without the password itself, which is only known at apply time.
    const serverCredentials =
      credentialsGiven && options.builtInTrivyServer
        ? {
            username: this.terraformExpression(credentialsGiven.username),
            passwordSource: this.terraformExpression(credentialsGiven.password),
          }
        : undefined;
    this.values = resolvedTrivyOperatorValues(options, serverCredentials);
    const credentials = props.dbRepositoryCredentials
      ? dbRepositoryCredentialSettings(props.dbRepositoryCredentials, options.chartVersion, {
          builtInTrivyServer: options.builtInTrivyServer,
        })
      : undefined;

    this.resolvedOptions = options;
    this.helmProvider = props.helmProvider;
    this.kubernetesProvider = props.kubernetesProvider;
    const facts = trivyOperatorFacts(options);
    this.namespace = facts.namespace;
    this.releaseName = facts.releaseName;
    this.builtInTrivyServer = facts.builtInTrivyServer;
    this.serviceMonitor = facts.serviceMonitor;
    this.nodeCollector = facts.nodeCollector;
    this.dbRegistryHosts = facts.dbRegistryHosts;
    this.scannerReportTTL = facts.scannerReportTTL;
    this.chartVersion = options.chartVersion;
    this.checksBundle = checksBundleReference(this.values, this.chartVersion);
    this.checksBundleHosts = facts.checksBundleHosts;
    this.scanJobsInSameNamespace = facts.scanJobsInSameNamespace;
    this.tolerations = tolerationsForTaints(options.taints);
    this.podSecurityEnforce = this.nodeCollector ? "privileged" : "restricted";
    const podAnnotations = this.values.podAnnotations as Record<string, string>;
    this.configHash = podAnnotations[CONFIG_HASH_ANNOTATION] ?? "";
    const serverAnnotations = valueAt(this.values, ["operator", "serverAdditionalAnnotations"]) as Record<string, string> | undefined;
    this.serverConfigHash = serverAnnotations?.[SERVER_CONFIG_HASH_ANNOTATION];

    this.namespaceResource = new NamespaceV1(this, "namespace", {
      provider: props.kubernetesProvider,
      metadata: {
        name: this.namespace,
        labels: {
          "pod-security.kubernetes.io/enforce": this.podSecurityEnforce,
          "pod-security.kubernetes.io/enforce-version": "latest",
          // Reports what would break under `restricted` even while the node collector forces `privileged`.
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "latest",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": "latest",
          "app.kubernetes.io/part-of": "trivy-operator-cdktf",
        },
      },
    });

    this.release = new Release(this, "release", {
      provider: props.helmProvider,
      name: this.releaseName,
      namespace: this.namespace,
      repository: CHART_REPOSITORIES[options.chartSource],
      chart: CHART_NAME,
      version: this.chartVersion,
      // The module owns the namespace so it can carry Pod Security labels.
      createNamespace: false,
      // Escaped so a literal `${` in user values (e.g. annotations) is not read as interpolation.
      // JSON is YAML to Helm; it spares every synth from loading a YAML library.
      values: [terraformLiteral(JSON.stringify(this.values, null, 2))],
      set: credentials ? [...credentials.set] : undefined,
      setSensitive: credentials ? [...credentials.setSensitive] : undefined,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.releaseTimeoutSeconds ?? 600,
      dependsOn: [this.namespaceResource],
    });
  }

  /** A literal as is; a token as the Terraform expression it stands for (`${var.x}`). */
  private terraformExpression(value: string): string {
    if (!Token.isUnresolved(value)) return value;
    return String(Tokenization.resolve(value, { scope: this, resolver: new DefaultTokenResolver(new StringConcat()) }));
  }
}

/**
 * Every problem of the props (empty when valid): those the construct adds on top of
 * `TrivyOperatorOptions`, the options, and the rules between them. `fieldPrefix` names where the
 * props live for callers that nest them (a stack config's `operator.`).
 */
export function trivyOperatorPropsProblems(props: TrivyOperatorProps, fieldPrefix = ""): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const timeout = props.releaseTimeoutSeconds;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 60 || timeout > 3600)) {
    problems.push({ path: `${fieldPrefix}releaseTimeoutSeconds`, value: timeout, expected: "use an integer from 60 to 3600" });
  }
  problems.push(...dbRepositoryCredentialsProblems(props.dbRepositoryCredentials, `${fieldPrefix}dbRepositoryCredentials`));
  problems.push(...trivyOperatorOptionProblems(props, fieldPrefix));
  // Without the chart's Secret the credentials would be dropped silently and pulls fail with 401.
  if (props.dbRepositoryCredentials !== undefined && valueAt(props.extraValues, ["trivy", "existingSecret"]) === true) {
    problems.push({
      path: `${fieldPrefix}extraValues.trivy.existingSecret`,
      value: true,
      expected: `must not be set with ${fieldPrefix}dbRepositoryCredentials, which needs the chart's own Secret; put the DB registry credentials into your own Secret trivy-operator-trivy-config instead, or drop existingSecret`,
    });
  }
  // Two sources for the server's TRIVY_USERNAME would make the rendered one depend on Helm's merge order.
  const serverUser = valueAt(props.extraValues, ["trivy", "serverUser"]);
  if (props.dbRepositoryCredentials !== undefined && props.builtInTrivyServer === true && serverUser !== undefined && serverUser !== "") {
    problems.push({
      path: `${fieldPrefix}extraValues.trivy.serverUser`,
      value: serverUser,
      expected:
        "must not be set together with dbRepositoryCredentials and builtInTrivyServer: the module sends dbRepositoryCredentials.username there",
    });
  }
  return problems;
}

/** Throws one ValidationError listing every problem of the props (see trivyOperatorPropsProblems). */
export function validateTrivyOperatorProps(props: TrivyOperatorProps, fieldPrefix = "", scope?: IConstruct): void {
  const problems = trivyOperatorPropsProblems(props, fieldPrefix);
  if (problems.length > 0) throw new ValidationError("trivy operator", problems, scope);
}
