import { AzurermBackend } from "cdktf/lib/backends/azurerm-backend";
import { GcsBackend } from "cdktf/lib/backends/gcs-backend";
import { LocalBackend } from "cdktf/lib/backends/local-backend";
import { RemoteBackend } from "cdktf/lib/backends/remote-backend";
import { S3Backend } from "cdktf/lib/backends/s3-backend";
import type { TerraformStack } from "cdktf";
import type { BackendConfig } from "./config";

const STATE_SUFFIX = ".tfstate";

/**
 * The key of one cluster's state below an environment's key: `trivy-operator/prod.tfstate` becomes
 * `trivy-operator/prod/eu-1.tfstate`. The environment's own key stays free, so during a move between
 * layouts (docs/fleet.md) the old and the new states sit side by side instead of overwriting each other.
 */
export function clusterStateKey(environmentKey: string, cluster: string): string {
  const base = environmentKey.endsWith(STATE_SUFFIX) ? environmentKey.slice(0, -STATE_SUFFIX.length) : environmentKey;
  return `${base}/${cluster}${environmentKey.endsWith(STATE_SUFFIX) ? STATE_SUFFIX : ""}`;
}

/**
 * The backend of one stack: the environment's backend as written for a per-environment stack, or
 * with a state key of its own for the stack of `cluster` (per-cluster layout). Every backend type
 * names its state differently, so each gets its own rule:
 * - local: `path`, else `terraform.<stack>.tfstate` (the stack name already names the cluster);
 * - s3 and azurerm: `key` through {@link clusterStateKey};
 * - gcs: `prefix` is a directory (Terraform stores `<prefix>/default.tfstate`), so `<prefix>/<cluster>`;
 * - remote: one HCP Terraform workspace per state, `<workspace>-<cluster>`.
 */
export function stackBackend(environmentBackend: BackendConfig | undefined, stackName: string, cluster?: string): BackendConfig {
  const backend = environmentBackend ?? { type: "local" };
  switch (backend.type) {
    case "local":
      return {
        ...backend,
        path:
          backend.path === undefined
            ? `terraform.${stackName}${STATE_SUFFIX}`
            : cluster
              ? clusterStateKey(backend.path, cluster)
              : backend.path,
      };
    case "s3":
    case "azurerm":
      return cluster ? { ...backend, key: clusterStateKey(backend.key, cluster) } : backend;
    case "gcs":
      return cluster
        ? { ...backend, prefix: backend.prefix === undefined ? cluster : `${backend.prefix.replace(/\/+$/, "")}/${cluster}` }
        : backend;
    case "remote":
      return cluster ? { ...backend, workspace: `${backend.workspace}-${cluster}` } : backend;
  }
}

/**
 * Where a stack's state lives, as one comparable string. Two stacks with the same location would
 * share a state, and each apply would destroy what the other created. A relative local path lives in
 * the stack's own working directory (`cdktf.out/stacks/<stack>`), so the stack name is part of it.
 */
export function stateLocation(backend: BackendConfig, stackName: string): string {
  switch (backend.type) {
    case "local":
      return backend.path !== undefined && backend.path.startsWith("/")
        ? `local:${backend.path}`
        : `local:${stackName}/${backend.path ?? ""}`;
    case "s3":
      return `s3://${backend.bucket}/${backend.key}`;
    case "gcs":
      return `gcs://${backend.bucket}/${backend.prefix === undefined ? "" : `${backend.prefix.replace(/\/+$/, "")}/`}default.tfstate`;
    case "azurerm":
      return `azurerm://${backend.storageAccountName}/${backend.containerName}/${backend.key}`;
    case "remote":
      return `remote://${backend.hostname ?? "app.terraform.io"}/${backend.organization}/${backend.workspace}`;
  }
}

/** The state of a stack in words, for the summary. */
export function describeBackend(backend: BackendConfig): string {
  switch (backend.type) {
    case "local":
      return `local state file ${backend.path ?? "(default)"}`;
    case "s3":
      return `s3://${backend.bucket}/${backend.key} (lock: ${backend.dynamodbTable ? `dynamodb ${backend.dynamodbTable}` : "s3 lock file"})`;
    case "gcs":
      return `gcs://${backend.bucket}/${backend.prefix === undefined ? "" : `${backend.prefix}/`}default.tfstate`;
    case "azurerm":
      return `azurerm ${backend.storageAccountName}/${backend.containerName}/${backend.key}`;
    case "remote":
      return `remote ${backend.organization}/${backend.workspace}`;
  }
}

/** Configures where the stack keeps its Terraform state; every remote choice locks the state. */
export function configureBackend(stack: TerraformStack, backend: BackendConfig): void {
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: backend.path });
      return;
    case "s3": {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        encrypt: backend.encrypt ?? true,
        dynamodbTable: backend.dynamodbTable,
      });
      // cdktf 0.21 predates Terraform 1.10's S3-native locking, so its config type lacks `use_lockfile`.
      if (backend.useLockfile) s3.addOverride("use_lockfile", true);
      return;
    }
    case "gcs":
      new GcsBackend(stack, { bucket: backend.bucket, prefix: backend.prefix });
      return;
    case "azurerm":
      new AzurermBackend(stack, {
        resourceGroupName: backend.resourceGroupName,
        storageAccountName: backend.storageAccountName,
        containerName: backend.containerName,
        key: backend.key,
      });
      return;
    case "remote":
      new RemoteBackend(stack, {
        hostname: backend.hostname ?? "app.terraform.io",
        organization: backend.organization,
        workspaces: { name: backend.workspace },
      });
      return;
  }
}
