import * as path from "node:path";
import { Release } from "@cdktf/provider-helm/lib/release";
import { AssetType, TerraformAsset, type ITerraformDependable, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { DNS_LABEL } from "../common/kubernetes-names";
import { terraformLiteral } from "../common/terraform-literal";

/** A complete Kubernetes object as it would appear in a manifest file. */
export interface KubernetesManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface ManifestBundleProps {
  /** Helm release name; at most 53 characters, lowercase DNS label. */
  readonly releaseName: string;
  /** Namespace the release (and namespaced objects without their own namespace) go into. */
  readonly namespace: string;
  /** The objects to deliver. An empty list creates no release. */
  readonly manifests: readonly KubernetesManifest[];
  /**
   * Resources that must exist first (e.g. the operator release that creates the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * Helm provider of the target cluster; needed when a stack holds several clusters.
   * @default - the stack's default `helm` provider
   */
  readonly helmProvider?: TerraformProvider;
}

const RAW_MANIFESTS_CHART = path.resolve(__dirname, "../../charts/raw-manifests");

/**
 * Delivers custom resources through a Helm release of the bundled `raw-manifests` chart.
 *
 * Why not `kubernetes_manifest`: that resource asks the API server for the CRD at plan time and
 * fails with "no matches for kind" on a cluster where the CRD does not exist yet (terraform-provider-kubernetes
 * #1367), so a single `cdktf deploy` on a fresh cluster could never succeed. Helm resolves kinds at
 * apply time, after everything this release depends on is in place.
 */
export class ManifestBundle extends Construct {
  /** The Helm release, or undefined when there was nothing to deliver. */
  public readonly release?: Release;

  constructor(scope: Construct, id: string, props: ManifestBundleProps) {
    super(scope, id);
    validateManifestBundle(props);
    if (props.manifests.length === 0) return;

    const chart = new TerraformAsset(this, "chart", { path: RAW_MANIFESTS_CHART, type: AssetType.DIRECTORY });
    this.release = new Release(this, "release", {
      provider: props.helmProvider,
      name: props.releaseName,
      namespace: props.namespace,
      chart: chart.path,
      // Escaped so `${...}` inside the objects (dashboard variables, alert templates) stays text.
      values: [terraformLiteral(JSON.stringify({ manifests: props.manifests }))],
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: 300,
      dependsOn: props.dependsOn,
    });
  }
}

export function validateManifestBundle(props: ManifestBundleProps): void {
  if (props.releaseName.length > 53 || !DNS_LABEL.test(props.releaseName)) {
    throw new Error(
      `manifest bundle releaseName "${props.releaseName}" is invalid: use at most 53 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  const seen = new Set<string>();
  for (const [index, manifest] of props.manifests.entries()) {
    if (!manifest.apiVersion || !manifest.kind || !manifest.metadata?.name) {
      throw new Error(
        `manifest bundle "${props.releaseName}": manifests[${index}] needs apiVersion, kind and metadata.name (got ${JSON.stringify({ apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata?.name })})`,
      );
    }
    const key = `${manifest.apiVersion}/${manifest.kind}/${manifest.metadata.namespace ?? props.namespace}/${manifest.metadata.name}`;
    if (seen.has(key)) {
      throw new Error(`manifest bundle "${props.releaseName}": ${manifest.kind} "${manifest.metadata.name}" appears twice; Helm would reject the release`);
    }
    seen.add(key);
  }
}
