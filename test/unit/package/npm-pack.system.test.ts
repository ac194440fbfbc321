import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * Proves the package works for a user: `npm pack`, install the tarball into a fresh CDKTF app
 * outside the repository, compile the app against the shipped type declarations and synthesize a
 * stack with two clusters through the public entry point only.
 *
 * Offline: the unit tier has no network. `npm ci` fills npm's cache with the tarballs of the
 * repository's lockfile, but not with registry metadata, so `npm install <tarball> --offline`
 * cannot resolve the package's dependencies (ENOTCACHED). The fresh app therefore gets a lockfile
 * made of the repository's lockfile entries for the packages a production install contains (no
 * dev-only ones) plus the tarball, and `npm ci --offline` installs it from the cache: the same
 * versions `npm install trivy-operator-cdktf` resolves for the exact pins in package.json.
 */

const REPO = path.resolve(__dirname, "../../..");
// Asynchronous on purpose: a synchronous child blocks the worker for seconds and vitest's RPC times out.
const run = promisify(execFile);
const npm = async (cwd: string, args: readonly string[]): Promise<string> =>
  (await run("npm", [...args], { cwd, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 })).stdout;

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly [field: string]: unknown;
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly peerDependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
  readonly bin: Record<string, string>;
  readonly engines: Record<string, string>;
  readonly license: string;
}

/** Newest modification time below `dir` (files only), 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `dist/` as `npm run build` (run by `npm ci` through `prepare`) leaves it, rebuilt when a source is
 * newer. Under the same lock as the CLI tests' build (test/unit/cli/built-cli.ts), so two workers
 * never write dist/ at once or pack a half-written one.
 */
async function ensureFreshBuild(): Promise<void> {
  const isFresh = (): boolean => {
    const built = fs.existsSync(path.join(REPO, "dist/modules/index.js"))
      ? fs.statSync(path.join(REPO, "dist/modules/index.js")).mtimeMs
      : 0;
    const sources = Math.max(
      ...["modules", "dashboards", ".gen", "cli"].map((dir) => newestMtime(path.join(REPO, dir))),
      fs.statSync(path.join(REPO, "package.json")).mtimeMs,
      fs.statSync(path.join(REPO, "tsconfig.build.json")).mtimeMs,
    );
    return built >= sources;
  };
  if (isFresh()) return;
  const lock = path.join(REPO, "dist", ".build-lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 5 minutes: remove it if no build is running`);
      await new Promise((wait) => setTimeout(wait, 200));
    }
  }
  try {
    if (!isFresh())
      await run(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", path.join(REPO, "tsconfig.build.json")], {
        cwd: REPO,
      });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

const USER_APP = `import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { App, TerraformStack } from "cdktf";
import { TrivyOperator, type NetworkPolicyFlavor } from "trivy-operator-cdktf";

const clusters: ReadonlyArray<{ name: string; flavor: NetworkPolicyFlavor }> = [
  { name: "eu-1", flavor: "kubernetes" },
  { name: "us-1", flavor: "calico" },
];

const app = new App({ outdir: "cdktf.out" });
const stack = new TerraformStack(app, "security");
for (const { name, flavor } of clusters) {
  const connection = { configPath: "~/.kube/config", configContext: name };
  const kubernetesProvider = new KubernetesProvider(stack, \`kubernetes-\${name}\`, { alias: name, ...connection });
  const helmProvider = new HelmProvider(stack, \`helm-\${name}\`, { alias: name, kubernetes: connection });
  const operator = new TrivyOperator(stack, \`trivy-\${name}\`, {
    helmProvider,
    kubernetesProvider,
    taints: [{ key: "dedicated", value: "security", effect: "NoSchedule" }],
  });
  operator.addNetworkPolicy("network-policy", { flavor });
  operator.addMonitoring("monitoring", { prometheusSelectorLabels: { release: "kube-prometheus-stack" } });
}
app.synth();
`;

describe("the npm package", () => {
  it("can be installed from its tarball into a fresh CDKTF app and synthesize two clusters from the public API", async () => {
    // GIVEN the packed package and a fresh app outside the repository that depends on it
    await ensureFreshBuild();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-cdktf-app-"));
    const [packed] = JSON.parse(await npm(REPO, ["pack", "--ignore-scripts", "--json", "--pack-destination", work])) as Array<{
      filename: string;
      integrity: string;
      files: Array<{ path: string }>;
    }>;
    const shipped = packed!.files.map((file) => file.path);
    expect(shipped).toEqual(expect.arrayContaining(["dist/modules/index.d.ts", "dist/cli/main.js", "charts/raw-manifests/Chart.yaml"]));
    // Sources, tests and the example organisation's stacks stay out of the package.
    expect(shipped.filter((file) => /^(modules|stacks|test|cli)\/|\.test\.|^dist\/stacks\//.test(file))).toEqual([]);

    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as PackageJson;
    const repoLock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    const tarball = `file:${packed!.filename}`;
    const appDependencies = {
      "@cdktf/provider-helm": pkg.dependencies["@cdktf/provider-helm"]!,
      "@cdktf/provider-kubernetes": pkg.dependencies["@cdktf/provider-kubernetes"]!,
      cdktf: pkg.peerDependencies.cdktf!,
      constructs: pkg.peerDependencies.constructs!,
      "trivy-operator-cdktf": tarball,
    };
    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.renameSync(path.join(work, packed!.filename), path.join(app, packed!.filename));
    fs.writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "fresh-cdktf-app", version: "1.0.0", private: true, dependencies: appDependencies }),
    );
    const productionEntries = Object.entries(repoLock.packages).filter(
      ([key, entry]) => key.startsWith("node_modules/") && entry.dev !== true,
    );
    fs.writeFileSync(
      path.join(app, "package-lock.json"),
      JSON.stringify({
        name: "fresh-cdktf-app",
        version: "1.0.0",
        lockfileVersion: 3,
        requires: true,
        packages: {
          "": { name: "fresh-cdktf-app", version: "1.0.0", dependencies: appDependencies },
          ...Object.fromEntries(productionEntries),
          "node_modules/trivy-operator-cdktf": {
            version: pkg.version,
            resolved: tarball,
            integrity: packed!.integrity,
            license: pkg.license,
            dependencies: pkg.dependencies,
            peerDependencies: pkg.peerDependencies,
            bin: pkg.bin,
            engines: pkg.engines,
          },
        },
      }),
    );
    fs.writeFileSync(path.join(app, "main.ts"), USER_APP);
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "Node16", moduleResolution: "Node16", strict: true, skipLibCheck: true, types: [] },
        files: ["main.ts"],
      }),
    );

    // WHEN it is installed offline, compiled against the shipped declarations and run
    await npm(app, ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"]);
    await run(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", app], { cwd: app });
    await run(process.execPath, ["main.js"], { cwd: app });

    // THEN the stack holds both clusters, each resource on its own cluster's aliased providers
    const stackDir = path.join(app, "cdktf.out/stacks/security");
    const synth = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, { provider?: string; chart?: string; name?: string }>>;
    };
    const placed: string[] = [];
    for (const [type, resources] of Object.entries(synth.resource)) {
      for (const [logicalId, resource] of Object.entries(resources)) {
        const cluster = /^trivy-(eu-1|us-1)_/.exec(logicalId)?.[1];
        expect(cluster, `${type}.${logicalId} belongs to no cluster`).toBeDefined();
        expect(resource.provider, `${type}.${logicalId}`).toBe(`${type.split("_")[0]}.${cluster}`);
        placed.push(`${cluster} ${type === "helm_release" ? `helm_release ${resource.name}` : type}`);
      }
    }
    expect(placed.filter((entry) => entry.startsWith("eu-1 ")).sort()).toEqual([
      "eu-1 helm_release trivy-operator",
      "eu-1 helm_release trivy-operator-monitoring",
      "eu-1 kubernetes_namespace_v1",
      ...Array<string>(4).fill("eu-1 kubernetes_network_policy_v1"),
    ]);
    expect(placed.filter((entry) => entry.startsWith("us-1 ")).sort()).toEqual([
      "us-1 helm_release trivy-operator",
      "us-1 helm_release trivy-operator-monitoring",
      "us-1 helm_release trivy-operator-netpol",
      "us-1 kubernetes_namespace_v1",
    ]);
    // AND the local chart the policy and monitoring bundles install travelled with the package
    const bundle = Object.values(synth.resource.helm_release!).find((release) => release.name === "trivy-operator-netpol")!;
    // (packed into the stack directory, where Terraform runs; GNU tar reads it as Helm would read the archive)
    expect(bundle.chart).toMatch(/^\.\/raw-manifests-[0-9a-f]{32}\.tgz$/);
    const { stdout: chartEntries } = await run("tar", ["-tzf", bundle.chart!], { cwd: stackDir });
    expect(chartEntries.trim().split("\n")).toContain("raw-manifests/Chart.yaml");
    // AND private helpers cannot be deep-imported, while the CLI bin is installed
    await expect(
      run(process.execPath, ["-e", 'require("trivy-operator-cdktf/dist/modules/network-policy/cidr")'], { cwd: app }),
    ).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    expect(fs.existsSync(path.join(app, "node_modules/.bin/trivy-operator-cdktf"))).toBe(true);
  }, 180_000);
});
