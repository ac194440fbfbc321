import { Token, type ITerraformDependable, type TerraformProvider } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { parseGoDuration } from "../common/duration";
import { DNS_LABEL } from "../common/kubernetes-names";
import { valueAt } from "../common/plain-object";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { GrafanaDashboard, type GrafanaDashboardProps } from "../grafana-dashboard/grafana-dashboard";
import { TrivyOperatorMonitoring, type TrivyOperatorMonitoringOptions } from "../monitoring/trivy-operator-monitoring";
import { TrivyNetworkPolicy, type TrivyNetworkPolicyOptions } from "../network-policy/network-policy";
import type { Toleration } from "../tolerations/taint";
import { validateTolerations } from "../tolerations/tolerations";
import {
  DEFAULT_CHART_VERSION,
  DEFAULT_DB_REGISTRY,
  DEFAULT_JAVA_DB_REGISTRY,
  DEFAULT_NAMESPACE,
  DEFAULT_RELEASE_NAME,
  DEFAULT_SCANNER_REPORT_TTL,
} from "./defaults";
import { checksBundleReference, type ResolvedTrivyOperatorOptions } from "./values";

/**
 * What a companion construct (network policy, monitoring, dashboard) needs to know about a Trivy
 * Operator install. Companions take this instead of their own copies of namespace, release name
 * and feature flags, so they cannot disagree with the operator they belong to: a policy that
 * did not know about the built-in Trivy server would block port 4954 and every scan would fail.
 *
 * Implemented by `TrivyOperator` (installed by this stack) and by `TrivyOperator.fromAttributes()`
 * (installed elsewhere).
 */
export interface ITrivyOperator extends IConstruct {
  /** Namespace the operator, its scan jobs, node collector and Trivy server run in. */
  readonly namespace: string;
  /** Helm release name; the `app.kubernetes.io/instance` label of the operator pods. */
  readonly releaseName: string;
  /** Whether the built-in Trivy server (port 4954) runs (`operator.builtInTrivyServer`). */
  readonly builtInTrivyServer: boolean;
  /** Whether the node collector runs (option `infraAssessment`, `operator.infraAssessmentScannerEnabled`). */
  readonly nodeCollector: boolean;
  /**
   * Whether the operator's own chart release renders a ServiceMonitor (`serviceMonitor.enabled`),
   * so policies let Prometheus in. Only an operator installed elsewhere can: `TrivyOperator` never
   * renders it (TrivyOperatorMonitoring is the one way).
   */
  readonly serviceMonitor: boolean;
  /** Registries the vulnerability and Java DBs come from (`host`, on 443, or `host:port`), for egress policies. */
  readonly dbRegistryHosts: readonly string[];
  /** Registries the checks bundle comes from (`host` or `host:port`); the operator pulls it before each node-collector Job. */
  readonly checksBundleHosts: readonly string[];
  /**
   * Whether vulnerability scan Jobs run in each workload's namespace (`trivyOperator.scanJobsInSameNamespace`)
   * instead of the operator's: alerts then look for them in every namespace, and this namespace's
   * network policies do not cover them.
   */
  readonly scanJobsInSameNamespace: boolean;
  /** How long a report lives before a rescan (`operator.scannerReportTTL`); alert lookbacks derive from it. */
  readonly scannerReportTTL: string;
  /** Tolerations every operator component carries. */
  readonly tolerations: readonly Toleration[];
  /** What companions must wait for (the Helm release that creates the operator's workloads); undefined when installed elsewhere. */
  readonly release?: ITerraformDependable;
  /** Helm provider of the operator's cluster; companions default to it. Undefined means the stack's default provider. */
  readonly helmProvider?: TerraformProvider;
  /** Kubernetes provider of the operator's cluster; companions default to it. Undefined means the stack's default provider. */
  readonly kubernetesProvider?: TerraformProvider;

  /** Locks the operator's namespace down to the flows this operator needs (see TrivyNetworkPolicy). */
  addNetworkPolicy(id: string, options?: TrivyNetworkPolicyOptions): TrivyNetworkPolicy;
  /** ServiceMonitor and PrometheusRule for this operator (see TrivyOperatorMonitoring). */
  addMonitoring(id: string, options?: TrivyOperatorMonitoringOptions): TrivyOperatorMonitoring;
  /** The Trivy Operator Grafana dashboard; a `sidecar` ConfigMap goes through this operator's kubernetes provider. */
  addDashboard(id: string, props: GrafanaDashboardProps): GrafanaDashboard;
}

/** The facts about an operator that companions derive from, without its constructs and providers. */
export type TrivyOperatorFacts = Pick<
  ITrivyOperator,
  | "namespace"
  | "releaseName"
  | "builtInTrivyServer"
  | "nodeCollector"
  | "serviceMonitor"
  | "dbRegistryHosts"
  | "checksBundleHosts"
  | "scanJobsInSameNamespace"
  | "scannerReportTTL"
>;

/** Pure: what an operator with these resolved options tells its companions; `TrivyOperator` exposes exactly this. */
export function trivyOperatorFacts(options: ResolvedTrivyOperatorOptions): TrivyOperatorFacts {
  return {
    namespace: options.namespace,
    releaseName: options.releaseName,
    builtInTrivyServer: options.builtInTrivyServer,
    nodeCollector: options.infraAssessment,
    // The chart's own ServiceMonitor is never rendered (values.ts); TrivyOperatorMonitoring is the one way.
    serviceMonitor: false,
    dbRegistryHosts: [...new Set([options.dbRegistry, options.javaDbRegistry])],
    checksBundleHosts: [checksBundleReference(options.extraValues, options.chartVersion).registry],
    // Chart 0.34.0 templates/configmaps/operator.yaml renders it as vulnerabilityReports.scanJobsInSameNamespace;
    // trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go updateScanJobForWorkloadNamespace moves the Job.
    scanJobsInSameNamespace: valueAt(options.extraValues, ["trivyOperator", "scanJobsInSameNamespace"]) === true,
    scannerReportTTL: options.scannerReportTTL,
  };
}

/** A Trivy Operator installed outside this stack (another stack, Argo CD, by hand), as companions need to know it. */
export interface TrivyOperatorAttributes {
  /**
   * Namespace the operator runs in.
   * @default "trivy-system"
   */
  readonly namespace?: string;
  /**
   * Helm release name of the operator.
   * @default "trivy-operator"
   */
  readonly releaseName?: string;
  /**
   * Whether it runs the built-in Trivy server.
   * @default false - the chart's default
   */
  readonly builtInTrivyServer?: boolean;
  /**
   * Whether infra assessment (the node collector) is on.
   * @default true - the chart's default
   */
  readonly nodeCollector?: boolean;
  /**
   * Whether the chart renders its own ServiceMonitor.
   * @default false - the chart's default
   */
  readonly serviceMonitor?: boolean;
  /**
   * Registry hosts the DBs come from.
   * @default ["mirror.gcr.io"] - the chart's default for both DBs
   */
  readonly dbRegistryHosts?: readonly string[];
  /**
   * Registry hosts the checks bundle (`policiesBundle.registry`) comes from.
   * @default - the pinned chart's `policiesBundle.registry` (mirror.gcr.io)
   */
  readonly checksBundleHosts?: readonly string[];
  /**
   * Whether its vulnerability scan Jobs run in the workloads' namespaces (`trivyOperator.scanJobsInSameNamespace`).
   * @default false - the chart's default
   */
  readonly scanJobsInSameNamespace?: boolean;
  /**
   * The operator's `operator.scannerReportTTL`.
   * @default "24h"
   */
  readonly scannerReportTTL?: string;
  /**
   * Tolerations the operator's components carry.
   * @default - none
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * What companions must wait for, e.g. a release in this stack that installs the operator.
   * @default - nothing
   */
  readonly release?: ITerraformDependable;
  /**
   * Helm provider of the operator's cluster.
   * @default - the stack's default `helm` provider
   */
  readonly helmProvider?: TerraformProvider;
  /**
   * Kubernetes provider of the operator's cluster.
   * @default - the stack's default `kubernetes` provider
   */
  readonly kubernetesProvider?: TerraformProvider;
}

/**
 * The `add*` methods shared by the operator this stack installs and one referenced by attributes.
 * Each companion is created below `this`, so its Terraform addresses sit beside the operator's.
 */
export abstract class TrivyOperatorBase extends Construct implements ITrivyOperator {
  public abstract readonly namespace: string;
  public abstract readonly releaseName: string;
  public abstract readonly builtInTrivyServer: boolean;
  public abstract readonly nodeCollector: boolean;
  public abstract readonly serviceMonitor: boolean;
  public abstract readonly dbRegistryHosts: readonly string[];
  public abstract readonly checksBundleHosts: readonly string[];
  public abstract readonly scanJobsInSameNamespace: boolean;
  public abstract readonly scannerReportTTL: string;
  public abstract readonly tolerations: readonly Toleration[];
  public abstract readonly release?: ITerraformDependable;
  public abstract readonly helmProvider?: TerraformProvider;
  public abstract readonly kubernetesProvider?: TerraformProvider;

  public addNetworkPolicy(id: string, options: TrivyNetworkPolicyOptions = {}): TrivyNetworkPolicy {
    return new TrivyNetworkPolicy(this, id, { ...options, operator: this });
  }

  public addMonitoring(id: string, options: TrivyOperatorMonitoringOptions = {}): TrivyOperatorMonitoring {
    return new TrivyOperatorMonitoring(this, id, { ...options, operator: this });
  }

  public addDashboard(id: string, props: GrafanaDashboardProps): GrafanaDashboard {
    // Only the sidecar delivery creates a Kubernetes object; the other deliveries have no such prop.
    if (props.delivery !== "sidecar") return new GrafanaDashboard(this, id, props);
    return new GrafanaDashboard(this, id, { ...props, kubernetesProvider: props.kubernetesProvider ?? this.kubernetesProvider });
  }
}

/** `TrivyOperator.fromAttributes()`: a reference, no resources. */
export class ImportedTrivyOperator extends TrivyOperatorBase {
  public readonly namespace: string;
  public readonly releaseName: string;
  public readonly builtInTrivyServer: boolean;
  public readonly nodeCollector: boolean;
  public readonly serviceMonitor: boolean;
  public readonly dbRegistryHosts: readonly string[];
  public readonly checksBundleHosts: readonly string[];
  public readonly scanJobsInSameNamespace: boolean;
  public readonly scannerReportTTL: string;
  public readonly tolerations: readonly Toleration[];
  public readonly release?: ITerraformDependable;
  public readonly helmProvider?: TerraformProvider;
  public readonly kubernetesProvider?: TerraformProvider;

  constructor(scope: Construct, id: string, attributes: TrivyOperatorAttributes) {
    super(scope, id);
    validateTrivyOperatorAttributes(attributes, this);
    this.namespace = attributes.namespace ?? DEFAULT_NAMESPACE;
    this.releaseName = attributes.releaseName ?? DEFAULT_RELEASE_NAME;
    this.builtInTrivyServer = attributes.builtInTrivyServer ?? false;
    this.nodeCollector = attributes.nodeCollector ?? true;
    this.serviceMonitor = attributes.serviceMonitor ?? false;
    this.dbRegistryHosts = attributes.dbRegistryHosts ?? [...new Set([DEFAULT_DB_REGISTRY, DEFAULT_JAVA_DB_REGISTRY])];
    this.checksBundleHosts = attributes.checksBundleHosts ?? [checksBundleReference({}, DEFAULT_CHART_VERSION).registry];
    this.scanJobsInSameNamespace = attributes.scanJobsInSameNamespace ?? false;
    this.scannerReportTTL = attributes.scannerReportTTL ?? DEFAULT_SCANNER_REPORT_TTL;
    this.tolerations = attributes.tolerations ?? [];
    this.release = attributes.release;
    this.helmProvider = attributes.helmProvider;
    this.kubernetesProvider = attributes.kubernetesProvider;
  }
}

function validateTrivyOperatorAttributes(attributes: TrivyOperatorAttributes, scope: IConstruct): void {
  const problems: ValidationProblem[] = [];
  const label = (path: string, value: string | undefined, maxLength: number): void => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (value.length > maxLength || !DNS_LABEL.test(value)) {
      problems.push({
        path,
        value,
        expected: `use a DNS-1123 label: at most ${maxLength} lowercase letters, digits and '-', starting and ending with a letter or digit`,
      });
    }
  };
  label("namespace", attributes.namespace, 63);
  label("releaseName", attributes.releaseName, 53);
  if (attributes.scannerReportTTL !== undefined && !((parseGoDuration(attributes.scannerReportTTL) ?? 0) > 0)) {
    problems.push({
      path: "scannerReportTTL",
      value: attributes.scannerReportTTL,
      expected: `use the operator's operator.scannerReportTTL, a duration such as "24h"`,
    });
  }
  if (attributes.dbRegistryHosts !== undefined && attributes.dbRegistryHosts.length === 0) {
    problems.push({
      path: "dbRegistryHosts",
      value: [],
      expected: "list the registry hosts of the vulnerability and Java DBs, or leave it unset for mirror.gcr.io",
    });
  }
  if (attributes.checksBundleHosts !== undefined && attributes.checksBundleHosts.length === 0) {
    problems.push({
      path: "checksBundleHosts",
      value: [],
      expected: "list the registry host of the checks bundle, or leave it unset for the chart's",
    });
  }
  if (attributes.tolerations !== undefined) {
    try {
      validateTolerations(attributes.tolerations);
    } catch (error) {
      problems.push({ path: "tolerations", value: attributes.tolerations, expected: (error as Error).message });
    }
  }
  if (problems.length > 0) throw new ValidationError("trivy operator attributes", problems, scope);
}
