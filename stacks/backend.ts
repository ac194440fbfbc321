import { AzurermBackend } from "cdktf/lib/backends/azurerm-backend";
import { GcsBackend } from "cdktf/lib/backends/gcs-backend";
import { LocalBackend } from "cdktf/lib/backends/local-backend";
import { RemoteBackend } from "cdktf/lib/backends/remote-backend";
import { S3Backend } from "cdktf/lib/backends/s3-backend";
import type { TerraformStack } from "cdktf";
import type { BackendConfig } from "./config";

/** Configures where the stack keeps its Terraform state; every remote choice locks the state. */
export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendConfig = { type: "local" }): void {
  switch (backend.type) {
    case "local":
      new LocalBackend(stack, { path: backend.path ?? `terraform.${stackName}.tfstate` });
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
