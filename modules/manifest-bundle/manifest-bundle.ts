import * as fs from "node:fs";
import * as path from "node:path";
import { Release } from "@cdktf/provider-helm/lib/release";
import { Manifest, TerraformStack, type ISynthesisSession, type ITerraformDependable, type TerraformProvider } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { DNS_LABEL } from "../common/kubernetes-names";
import { terraformLiteral } from "../common/terraform-literal";
import { ValidationError, type ValidationProblem } from "../common/validation-error";
import { packChart, type ChartArchive } from "./chart-archive";

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

/**
 * The bundled chart lives in `charts/raw-manifests` at the package root: the repository when run
 * from source (modules/manifest-bundle), the installed package when run from dist/ (the root is
 * the nearest directory with a package.json, since dist/ has none).
 */
function packageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}: the raw-manifests chart cannot be located`);
  }
}
const RAW_MANIFESTS_CHART = path.join(packageRoot(__dirname), "charts/raw-manifests");

/** Packed once per process: the chart's files do not change while an app synthesizes. */
let rawManifestsArchive: ChartArchive | undefined;

const stacksShippingTheChart = new WeakSet<TerraformStack>();

/** Per synthesis (App.synth passes one session to every stack): the archive file written first. */
const firstArchiveOfSynth = new WeakMap<ISynthesisSession, string>();

/**
 * Ships the chart inside the stack's own directory as one `raw-manifests-<hash>.tgz` and returns
 * the release's `chart` path, relative to that directory (where `cdktf deploy` and the deploy
 * workflow run Terraform). The stack directory holds all it deploys with, so it can be planned on
 * its own (a CI job, an HCP Terraform run uploading it), and the hash in the name changes the
 * synthesized JSON when the chart changes. A per-stack `TerraformAsset` directory instead cost a
 * hash, four directories and three file copies per stack: a fifth of synthesizing 200 per-cluster
 * stacks (bench/fleet.ts).
 */
function shipRawManifestsChart(scope: IConstruct): string {
  rawManifestsArchive ??= packChart(RAW_MANIFESTS_CHART);
  const archive = rawManifestsArchive;
  const stack = TerraformStack.of(scope);
  if (!stacksShippingTheChart.has(stack)) {
    stacksShippingTheChart.add(stack);
    // `synthesizer` is the stack's public hook for what synthesis writes (App.synth calls it per stack).
    const synthesizer = stack.synthesizer;
    stack.synthesizer = {
      synthesize(session: ISynthesisSession): void {
        // Archives an earlier synth left go before the stack synthesizes, not after: were two copies of
        // this package to hook one stack, the outer hook would otherwise delete what the inner one had
        // just written. The directory is Manifest.forStack's `stacks/<stack id>`; forStack itself is not
        // asked this early because the entry it creates records the stack's dependencies at that time.
        removeChartArchives(path.join(session.outdir, Manifest.stacksFolder, stack.node.id));
        synthesizer.synthesize(session);
        const file = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory, archive.fileName);
        placeChartArchive(file, archive, firstArchiveOfSynth.get(session));
        if (!firstArchiveOfSynth.has(session)) firstArchiveOfSynth.set(session, file);
      },
    };
  }
  return `./${archive.fileName}`;
}

/** Removes every chart archive in a stack directory, ours included: a file left by an earlier synth is replaced, never trusted. */
function removeChartArchives(stackDir: string): void {
  if (!fs.existsSync(stackDir)) return;
  for (const name of fs.readdirSync(stackDir)) {
    if (/^raw-manifests-[0-9a-f]{32}\.tgz$/.test(name)) fs.rmSync(path.join(stackDir, name));
  }
}

/**
 * Puts the archive at `file`. After the first stack of a synthesis, the others get a hard link to
 * the first one's file: a regular file in every directory (copied, uploaded and read like any other),
 * made without writing the bytes again, which costs 25 times less than writing a new file on the ext4
 * development machine (0.04 against 1.1 ms). Where links are refused (another file system, no link
 * support) the bytes are written.
 */
function placeChartArchive(file: string, archive: ChartArchive, linkFrom: string | undefined): void {
  if (linkFrom !== undefined) {
    try {
      fs.linkSync(linkFrom, file);
      return;
    } catch {
      // fall through to writing the bytes
    }
  }
  fs.writeFileSync(file, archive.bytes);
}

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
    validateManifestBundle(props, this);
    if (props.manifests.length === 0) return;

    const chart = shipRawManifestsChart(this);
    this.release = new Release(this, "release", {
      provider: props.helmProvider,
      name: props.releaseName,
      namespace: props.namespace,
      chart,
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

/** Throws one ValidationError listing every problem of the props (see manifestBundleProblems). */
export function validateManifestBundle(props: ManifestBundleProps, scope?: IConstruct): void {
  const problems = manifestBundleProblems(props);
  if (problems.length > 0) throw new ValidationError(`manifest bundle "${props.releaseName}"`, problems, scope);
}

/** Every reason Helm would refuse the release, as data (empty when valid). */
export function manifestBundleProblems(props: ManifestBundleProps): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (props.releaseName.length > 53 || !DNS_LABEL.test(props.releaseName)) {
    problems.push({
      path: "releaseName",
      value: props.releaseName,
      expected: "use at most 53 lowercase letters, digits and '-', starting and ending with a letter or digit",
    });
  }
  const seen = new Set<string>();
  for (const [index, manifest] of props.manifests.entries()) {
    if (!manifest.apiVersion || !manifest.kind || !manifest.metadata?.name) {
      problems.push({
        path: `manifests[${index}]`,
        value: { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata?.name },
        expected: "give apiVersion, kind and metadata.name",
      });
      continue;
    }
    const key = `${manifest.apiVersion}/${manifest.kind}/${manifest.metadata.namespace ?? props.namespace}/${manifest.metadata.name}`;
    if (seen.has(key)) {
      problems.push({
        path: `manifests[${index}]`,
        value: `${manifest.kind} "${manifest.metadata.name}"`,
        expected: "appears twice; Helm would reject the release, so deliver each object once",
      });
    }
    seen.add(key);
  }
  return problems;
}
