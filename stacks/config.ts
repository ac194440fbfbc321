import type { Taint } from "../modules/tolerations/taint";
import type { TrivyOperatorOptions } from "../modules/trivy-operator/options";

/** Environments this repository deploys; each becomes one Terraform stack `trivy-<env>`. */
export const ENVIRONMENT_NAMES = ["dev", "prod", "ci"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export const NETWORK_POLICY_FLAVORS = ["kubernetes", "calico", "cilium", "none"] as const;
export type NetworkPolicyFlavor = (typeof NETWORK_POLICY_FLAVORS)[number];

/** Which network policies guard the operator namespace, and where its traffic may go. */
export interface NetworkPolicyConfig {
  /**
   * `kubernetes` = networking.k8s.io/v1, `calico` = projectcalico.org/v3, `cilium` = cilium.io/v2,
   * `none` = no policies (the cluster has no default-deny, or another team owns them).
   * @default "kubernetes"
   */
  readonly flavor?: NetworkPolicyFlavor;
  /**
   * CIDRs of the Kubernetes API server endpoints (NetworkPolicy cannot name the API server).
   * @default - any destination on the API server ports
   */
  readonly apiServerCidrs?: readonly string[];
  /**
   * CIDRs of the DB registry and image registries the scan jobs pull from (port 443).
   * @default ["0.0.0.0/0"] - registries are behind CDNs with changing addresses
   */
  readonly registryCidrs?: readonly string[];
  /**
   * Extra registry host names scan jobs may reach, for FQDN-aware flavors (cilium); the DB
   * registries of the operator options are always included.
   * @default - none
   */
  readonly registryHosts?: readonly string[];
  /**
   * Prometheus that scrapes the operator on 8080; needed together with `operator.serviceMonitor`.
   * @default - no metrics ingress
   */
  readonly prometheus?: PrometheusScrapeConfig;
}

/** Who scrapes the operator's metrics. */
export interface PrometheusScrapeConfig {
  readonly namespace: string;
  /** Labels of the Prometheus pods; at least one, so not every pod of that namespace gets in. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** One Kubernetes cluster of an environment. */
export interface ClusterConfig {
  /**
   * Short name, unique in the environment. Part of Terraform addresses and provider aliases:
   * renaming it re-creates the cluster's resources.
   */
  readonly name: string;
  /** Path of the kubeconfig file the providers read (`~` is expanded by the providers). */
  readonly kubeconfigPath: string;
  /**
   * Context in the kubeconfig.
   * @default - the kubeconfig's current context
   */
  readonly kubeContext?: string;
  /**
   * Taints of the cluster's nodes; every Trivy component tolerates them.
   * @default - none
   */
  readonly taints?: readonly Taint[];
  /** @default { flavor: "kubernetes" } */
  readonly networkPolicy?: NetworkPolicyConfig;
  /**
   * Overrides of the operator options (module defaults apply otherwise). Put taints on the cluster.
   * @default - module defaults
   */
  readonly operator?: Omit<TrivyOperatorOptions, "taints">;
}

export const BACKEND_TYPES = ["local", "s3", "gcs", "azurerm", "remote"] as const;

/** Local state file; fine for one engineer, not for CI. */
export interface LocalBackendConfig {
  readonly type: "local";
  /** @default - `terraform.<stack>.tfstate` in the working directory */
  readonly path?: string;
}

/** S3 state; locking through a DynamoDB table or, with Terraform >= 1.10, an S3 lock file. */
export interface S3BackendConfig {
  readonly type: "s3";
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  /** @default - none; then `useLockfile` must be true */
  readonly dynamodbTable?: string;
  /** @default false */
  readonly useLockfile?: boolean;
  /** @default true */
  readonly encrypt?: boolean;
}

/** GCS state; GCS locks natively. */
export interface GcsBackendConfig {
  readonly type: "gcs";
  readonly bucket: string;
  /** @default - the bucket root */
  readonly prefix?: string;
}

/** Azure blob state; blob leases lock natively. */
export interface AzurermBackendConfig {
  readonly type: "azurerm";
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
  readonly key: string;
}

/** HCP Terraform / Terraform Enterprise workspace; runs lock the workspace. */
export interface RemoteBackendConfig {
  readonly type: "remote";
  readonly organization: string;
  readonly workspace: string;
  /** @default "app.terraform.io" */
  readonly hostname?: string;
}

export type BackendConfig = LocalBackendConfig | S3BackendConfig | GcsBackendConfig | AzurermBackendConfig | RemoteBackendConfig;

export interface EnvironmentConfig {
  /** At least one cluster. */
  readonly clusters: readonly ClusterConfig[];
  /** @default { type: "local" } */
  readonly backend?: BackendConfig;
}

export type EnvironmentsConfig = Readonly<Record<EnvironmentName, EnvironmentConfig>>;
