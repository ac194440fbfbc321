import { TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { ClusterConfig } from "./config";

/** A stack-level sensitive variable one cluster reads; its value comes from `TF_VAR_<variable>`. */
export interface StackSecret {
  /** Terraform variable name (also the construct id at stack level). */
  readonly variable: string;
  /** Environment variable Terraform reads it from. */
  readonly envVar: string;
  readonly description: string;
}

/**
 * Cluster names are DNS labels; `-` becomes `_` so `export TF_VAR_…` works in every shell.
 * Labels have no `_`, so two clusters never map to one name.
 */
export function terraformNameSuffix(clusterName: string): string {
  return clusterName.replaceAll("-", "_");
}

/** The variable `<prefix>_<cluster>` and its `TF_VAR_` name. */
export function clusterSecret(clusterName: string, prefix: string, description: string): StackSecret {
  const variable = `${prefix}_${terraformNameSuffix(clusterName)}`;
  return { variable, envVar: `TF_VAR_${variable}`, description: `${description} (cluster ${clusterName})` };
}

/** Declares `secret` as a sensitive string variable of the stack that holds `scope`. */
export function declareSensitiveVariable(scope: Construct, secret: StackSecret): TerraformVariable {
  return new TerraformVariable(TerraformStack.of(scope), secret.variable, {
    type: "string",
    sensitive: true,
    description: `${secret.description}; set ${secret.envVar}`,
  });
}

/** Pure: the password of the cluster's private DB registry, when `operator.dbRepositoryCredentials` is set. */
export function dbPasswordSecret(cluster: ClusterConfig): StackSecret | undefined {
  if (cluster.operator?.dbRepositoryCredentials === undefined) return undefined;
  return clusterSecret(cluster.name, "trivy_db_password", "Password of the private Trivy DB registry");
}
