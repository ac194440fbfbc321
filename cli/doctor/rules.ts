import type { DoctorEvidence, Signal } from "./evidence";
import { artifactOf, dialTimeouts, isPrivateAddress, printable, registryHostOf } from "./messages";

/** The fix, always as a setting of our module (`TrivyOperator` / `TrivyNetworkPolicy` props) and the chart value it sets. */
export interface Fix {
  /** e.g. `scanJobResources.limits.memory: "1500M"` (TrivyOperator option). */
  readonly moduleSetting: string;
  /** e.g. `trivy.resources.limits.memory` (Helm value path of trivy-operator chart 0.34.0). */
  readonly chartValue: string;
  readonly advice: string;
}

export interface Occurrence {
  readonly subject: string;
  readonly location: string;
  /** The matched text, shortened. */
  readonly excerpt: string;
  /** The whole message, for rules that extract names from it (not printed). */
  readonly fullText?: string;
  /** The scan or node-collector Job it is about, when known (ties failed scans to their diagnosis). */
  readonly job?: string;
}

export interface Problem {
  readonly ruleId: string;
  readonly title: string;
  readonly cause: string;
  readonly fixes: readonly Fix[];
  readonly occurrences: readonly Occurrence[];
}

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly cause: string;
  /** Fixes may depend on what was matched (a taint's key, an image name). */
  readonly fixes: (occurrences: readonly Occurrence[], evidence: DoctorEvidence) => readonly Fix[];
  /** `explainedJobs`: Jobs that rules listed before this one already diagnosed. */
  readonly match: (evidence: DoctorEvidence, explainedJobs: ReadonlySet<string>) => readonly Occurrence[];
}

function excerpt(text: string, pattern?: RegExp): string {
  // Whitespace (newlines, tabs) first becomes one space; then nothing unprintable is left.
  const oneLine = printable(text.replace(/\s+/g, " ")).trim();
  if (pattern) {
    const found = pattern.exec(oneLine);
    if (found && oneLine.length > 200) {
      const start = Math.max(0, found.index - 80);
      return `${start > 0 ? "…" : ""}${oneLine.slice(start, start + 200)}${start + 200 < oneLine.length ? "…" : ""}`;
    }
  }
  return oneLine.length > 200 ? `${oneLine.slice(0, 199)}…` : oneLine;
}

function occurrence(signal: Signal, pattern?: RegExp): Occurrence {
  const what =
    signal.reason && !signal.message.includes(signal.reason)
      ? signal.message
        ? `${signal.reason}: ${signal.message}`
        : signal.reason
      : signal.message || signal.reason;
  return {
    subject: `${signal.subject}${signal.container ? ` container ${signal.container}` : ""}`,
    location: signal.location,
    excerpt: excerpt(what, pattern),
    fullText: what,
    job: signal.job,
  };
}

/** A rule that fires on signals whose reason or message matches. */
function signalRule(rule: Omit<Rule, "match"> & { readonly test: (signal: Signal) => boolean; readonly highlight?: RegExp }): Rule {
  return {
    ...rule,
    match: (evidence) => evidence.signals.filter(rule.test).map((signal) => occurrence(signal, rule.highlight)),
  };
}

/** Kubernetes ≥ 1.25 `had untolerated taint {k: v}`; before, `had taint {k: v}, that the pod didn't tolerate` (aquasecurity/trivy-operator#1682). */
const UNTOLERATED_TAINT = /untolerated taint|that the pod didn't tolerate/i;
const API_SERVER_DIAL = /dial tcp [^\s]+:(443|6443): (i\/o timeout|connect: connection refused)/;
const DNS_FAILURE = /lookup [^\s]+ on [^\s]+:53|no such host|server misbehaving/;
const NETWORK_POLICY_CHART_VALUE = "(none: the chart ships no NetworkPolicy; the module's network-policy construct adds the egress rule)";

function isApiServerFailure(signal: Signal): boolean {
  return (
    signal.component !== "scan-job" &&
    API_SERVER_DIAL.test(signal.message) &&
    artifactOf(signal) === undefined &&
    registryHostOf(signal.message) === undefined
  );
}

const isDatabase = (signal: Signal): boolean => {
  const artifact = artifactOf(signal);
  return artifact === "vulnerability-db" || artifact === "java-db";
};
const isPull = (signal: Signal): boolean => isDatabase(signal) || artifactOf(signal) === "image";

/** `untolerated taint {dedicated: infra}` or `untolerated taint(s) {node-role.kubernetes.io/control-plane: }` → `{ key, value }`. */
export function taintsFromMessages(occurrences: readonly Occurrence[]): string[] {
  const found = new Set<string>();
  for (const entry of occurrences) {
    for (const match of (entry.fullText ?? entry.excerpt).matchAll(/(?:untolerated taint(?:\(s\))?s?|had taints?) \{([^}]*)\}/g)) {
      for (const pair of (match[1] ?? "").split(/,\s*/)) {
        const [key, value] = pair.split(/:\s*/);
        if (!key) continue;
        found.add(value ? `{ key: "${key.trim()}", value: "${value.trim()}" }` : `{ key: "${key.trim()}" }`);
      }
    }
  }
  return [...found];
}

function taintFix(occurrences: readonly Occurrence[], chartValue: string): Fix {
  const taints = taintsFromMessages(occurrences);
  return {
    moduleSetting: `taints: [${taints.length > 0 ? taints.join(", ") : '{ key: "<taint key>", value: "<value>", effect: "NoSchedule" }'}]`,
    chartValue,
    advice:
      "List the taints of your nodes (`kubectl get nodes -o json | jq '.items[].spec.taints'`); the module turns each into tolerations for the operator, scan jobs and node collector.",
  };
}

/** `MANIFEST_UNKNOWN … GET https://mcr.microsoft.com/v2/oss/calico/windows-upgrade/manifests/v3.26.3` → `mcr.microsoft.com/oss/calico/windows-upgrade:*`. */
export function imageGlobsFromMessages(occurrences: readonly Occurrence[]): string[] {
  const globs = new Set<string>();
  for (const entry of occurrences) {
    const source = entry.fullText ?? entry.excerpt;
    const manifest = /GET https?:\/\/([^/\s]+)\/v2\/(\S+?)\/manifests\//.exec(source);
    const inspected = /unable to inspect the image \(([^)\s]+?)(?::[^:/)\s]+)?\)/.exec(source);
    if (manifest) globs.add(`${manifest[1]}/${manifest[2]}:*`);
    else if (inspected?.[1]) globs.add(`${inspected[1]}:*`);
  }
  return [...globs];
}

/** Registry hosts named in the occurrences, for fixes that depend on the registry. */
function registryHosts(occurrences: readonly Occurrence[]): string[] {
  return [
    ...new Set(
      occurrences.map((entry) => registryHostOf(entry.fullText ?? entry.excerpt)).filter((host): host is string => host !== undefined),
    ),
  ];
}

/** Docker Hub's registry answers as `index.docker.io` / `registry-1.docker.io`; the operator's mirror map is keyed `index.docker.io`. */
const mirrorKey = (host: string): string => (/(^|\.)docker\.io$/.test(host) ? "index.docker.io" : host);

function addressesOf(occurrences: readonly Occurrence[]): { readonly privateCidrs: string[]; readonly publicAddresses: string[] } {
  const privateCidrs = new Set<string>();
  const publicAddresses = new Set<string>();
  for (const entry of occurrences) {
    for (const { address, port } of dialTimeouts(entry.fullText ?? entry.excerpt)) {
      if (isPrivateAddress(address)) privateCidrs.add(address.includes(":") ? `${address}/128` : `${address}/32`);
      else publicAddresses.add(`${address}:${port}`);
    }
  }
  return { privateCidrs: [...privateCidrs], publicAddresses: [...publicAddresses] };
}

/** Scan-job signals that say a scan failed (not only that it waits to be scheduled). */
export function isScanFailure(signal: Signal): boolean {
  if (signal.component !== "scan-job" || signal.job === undefined) return false;
  if (signal.reason === "FailedScheduling" || signal.location === "condition PodScheduled=False") return false;
  return true;
}

export const RULES: readonly Rule[] = [
  signalRule({
    id: "scan-job-oom-killed",
    title: "Scan jobs are OOMKilled",
    cause:
      "Each scan container gets the chart's 500M memory limit by default, too small for large (Java, CSI, ML) images; many parallel scans also exhaust node memory.",
    test: (signal) => signal.component === "scan-job" && signal.reason === "OOMKilled",
    fixes: () => [
      {
        moduleSetting: 'scanJobResources: { limits: { memory: "1500M" } }  (raise further for very large images)',
        chartValue: "trivy.resources.limits.memory",
        advice: "1500M covers typical images (docs/field-report.md); large Java images need 2-3G.",
      },
      {
        moduleSetting: "scanJobsConcurrentLimit: 2",
        chartValue: "operator.scanJobsConcurrentLimit",
        advice: "Fewer scans at once leave the nodes room.",
      },
    ],
  }),
  signalRule({
    id: "operator-oom-or-crash-loop",
    title: "The operator pod is OOMKilled or crash-looping",
    cause:
      "The operator caches every report of the cluster; the chart sets no resources. A crash loop without OOMKilled usually has its cause in another problem listed here (API server unreachable).",
    test: (signal) =>
      signal.component === "operator" &&
      signal.origin === "pod" &&
      (signal.reason === "OOMKilled" || signal.reason === "CrashLoopBackOff" || signal.reason === "Error"),
    fixes: () => [
      {
        moduleSetting: 'operatorResources: { requests: { memory: "256Mi" }, limits: { memory: "2Gi" } }',
        chartValue: "resources.limits.memory",
        advice:
          "Raise the limit with the number of workloads; check `kubectl logs -n trivy-system deploy/trivy-operator --previous` for the last error.",
      },
    ],
  }),
  signalRule({
    id: "scan-job-untolerated-taint",
    title: "Scan jobs cannot be scheduled: untolerated taint",
    cause: "Scan jobs must run on tainted nodes too, but they only get the tolerations in `trivyOperator.scanJobTolerations`.",
    test: (signal) => signal.component === "scan-job" && UNTOLERATED_TAINT.test(signal.message),
    highlight: UNTOLERATED_TAINT,
    fixes: (occurrences) => [taintFix(occurrences, "trivyOperator.scanJobTolerations")],
  }),
  signalRule({
    id: "node-collector-untolerated-taint",
    title: "Node collector cannot be scheduled: untolerated taint",
    cause:
      "The node collector is pinned to each node by hostname; since chart 0.22.0 it takes its tolerations from `nodeCollector.tolerations`, not from the scan-job tolerations.",
    test: (signal) => signal.component === "node-collector" && UNTOLERATED_TAINT.test(signal.message),
    highlight: UNTOLERATED_TAINT,
    fixes: (occurrences) => [taintFix(occurrences, "nodeCollector.tolerations")],
  }),
  signalRule({
    id: "scan-job-insufficient-resources",
    title: "Scan jobs are Pending: Insufficient memory or cpu",
    cause:
      "No node has the scan job's requests (`trivy.resources.requests`) free; every pending scan holds one of the scanJobsConcurrentLimit slots until the Job deadline.",
    test: (signal) => signal.component === "scan-job" && /Insufficient (?:memory|cpu)/.test(signal.message),
    highlight: /Insufficient (?:memory|cpu)/,
    fixes: () => [
      {
        moduleSetting:
          'operator.scanJobResources.requests (TrivyOperator scanJobResources: { requests: { cpu: "100m", memory: "<what your nodes have free>" } })',
        chartValue: "trivy.resources.requests",
        advice: "The request decides where a scan fits; keep limits.memory high enough against OOMKill.",
      },
      {
        moduleSetting: "scanJobsConcurrentLimit: <lower>",
        chartValue: "operator.scanJobsConcurrentLimit",
        advice: "Fewer scans at once need less free memory on the nodes.",
      },
    ],
  }),
  signalRule({
    id: "node-collector-insufficient-memory",
    title: "Node collector is Pending: Insufficient memory",
    cause:
      "The operator gives the node collector the scan-job resources (trivy-operator v0.32.0 pkg/configauditreport/controller/node.go: GetResourceRequirements → WithContainerResourceRequirements), so every per-node collector requests the scan-job memory. It is pinned to its node; while it stays Pending it holds the single node-collector slot until the Job deadline (operator.scanJobTimeout) and infra assessment stalls for every other node.",
    test: (signal) => signal.component === "node-collector" && /Insufficient memory/.test(signal.message),
    highlight: /Insufficient memory/,
    fixes: () => [
      {
        moduleSetting:
          'operator.scanJobResources.requests.memory (TrivyOperator scanJobResources: { requests: { memory: "<what a busy node has free, e.g. 128M>" } }); keep limits.memory high for scan jobs',
        chartValue: "trivy.resources.requests.memory",
        advice:
          "The request is what the scheduler needs free on the collector's own node; the limit is what protects scan jobs from OOMKill. Check the node's free memory with `kubectl describe node <node>` (Allocated resources).",
      },
    ],
  }),
  signalRule({
    id: "db-download-rate-limited",
    title: "Vulnerability DB download is rate-limited (TOOMANYREQUESTS)",
    cause:
      "In Standalone mode every scan job downloads the vulnerability DB; the DB registry (ghcr.io by default upstream) rate-limits all Trivy users together.",
    test: (signal) => /TOOMANYREQUESTS/.test(signal.message) && isDatabase(signal),
    highlight: /TOOMANYREQUESTS/,
    fixes: () => [
      {
        moduleSetting:
          'dbRegistry: "mirror.gcr.io", dbRepository: "aquasec/trivy-db" (module default) or your own mirror; same for javaDbRegistry/javaDbRepository',
        chartValue: "trivy.dbRegistry, trivy.dbRepository",
        advice: "Point the DB at a mirror instead of ghcr.io.",
      },
      {
        moduleSetting: "builtInTrivyServer: true",
        chartValue: "operator.builtInTrivyServer",
        advice: "The built-in server downloads the DB once instead of once per scan job.",
      },
    ],
  }),
  signalRule({
    id: "image-pull-rate-limited",
    title: "Scanned images hit the registry's pull rate limit (TOOMANYREQUESTS)",
    cause:
      "A scan job reads the image it scans from the registry itself, not from the node's image cache, so every scan is a pull; Docker Hub limits anonymous pulls per source IP. This is the workload image, not the vulnerability DB: a DB mirror or the built-in Trivy server does not help.",
    test: (signal) => /TOOMANYREQUESTS/.test(signal.message) && artifactOf(signal) === "image",
    highlight: /TOOMANYREQUESTS/,
    fixes: (occurrences) => {
      const hosts = registryHosts(occurrences);
      const host = mirrorKey(hosts[0] ?? "index.docker.io");
      return [
        {
          moduleSetting: `extraValues: { trivy: { registry: { mirror: { "${host}": "<your pull-through mirror>" } } } }`,
          chartValue: `trivy.registry.mirror."${host}"`,
          advice:
            "Scan jobs then read those images from the mirror (trivy-operator v0.32.0 pkg/plugins/trivy/image.go GetMirroredImage); use the mirror your nodes already pull through.",
        },
        {
          moduleSetting:
            'privateRegistryScanSecretsNames: { "<workload namespace>": ["<docker-registry secret with a Docker Hub account>"] }',
          chartValue: "operator.privateRegistryScanSecretsNames",
          advice:
            "Authenticated pulls get a higher Docker Hub limit; workloads whose pods already have imagePullSecrets pass them to their scan jobs.",
        },
      ];
    },
  }),
  // loader.go logs it with `log.V(1).Error(err, "failed to load policies")`, which is still emitted at the
  // default level: go-logr/logr logr.go `Logger.Error` calls the sink without checking V ("always be
  // emitted, regardless of verbosity level"); real default-level lines: aquasecurity/trivy-operator#2202, #2309.
  signalRule({
    id: "checks-bundle-download-failed",
    title: "The operator cannot download the checks bundle (trivy-checks)",
    cause:
      "Before node-collector and config-audit scans the operator pulls the checks bundle (policiesBundle, mirror.gcr.io/aquasec/trivy-checks by default) from its own pod; on failure it logs `failed to load policies` and falls back to the checks built into the binary (trivy-operator v0.32.0 pkg/policy/loader.go). This is not the vulnerability DB.",
    test: (signal) => artifactOf(signal) === "checks-bundle",
    highlight: /TOOMANYREQUESTS|i\/o timeout|connection refused|no such host|DENIED|UNAUTHORIZED|x509|failed to (?:load|download) policies/,
    fixes: () => [
      {
        moduleSetting: 'extraValues: { policiesBundle: { registry: "<registry the operator may reach>", repository: "<…/trivy-checks>" } }',
        chartValue: "policiesBundle.registry, policiesBundle.repository",
        advice:
          "Mirror trivy-checks next to your DB mirror; with a default-deny network policy the operator pod also needs egress to that registry on 443.",
      },
    ],
  }),
  signalRule({
    id: "scan-registry-timeout",
    title: "Scan jobs time out connecting to a registry (image or DB pull)",
    cause:
      "The connection to the registry was never answered (`dial tcp <address>:<port>: i/o timeout`): a network policy or firewall drops it. The module's `kubernetes` flavor allows scan jobs public addresses on 443 only; private addresses (in-cluster registries, private endpoints of ECR/ACR/Artifact Registry, an internal DB mirror) must be listed.",
    // A ClientServer scan job's call to the Trivy server (`/twirp/…`, port 4954) is not a registry pull.
    test: (signal) => isPull(signal) && dialTimeouts(signal.message).length > 0 && !/\/twirp\/|:4954\b/.test(signal.message),
    highlight: /dial tcp [^\s]+: i\/o timeout/,
    fixes: (occurrences) => {
      const { privateCidrs, publicAddresses } = addressesOf(occurrences);
      const fixes: Fix[] = [
        {
          moduleSetting: `networkPolicy.privateRegistryCidrs: [${privateCidrs.length > 0 ? privateCidrs.map((cidr) => `"${cidr}"`).join(", ") : '"<registry address>/32"'}]  (TrivyNetworkPolicy privateRegistryCidrs)`,
          chartValue: NETWORK_POLICY_CHART_VALUE,
          advice:
            "Lets scan jobs and the Trivy server reach these private registry or DB-mirror addresses; use the registry's address range if it changes.",
        },
      ];
      if (publicAddresses.length > 0) {
        fixes.push({
          moduleSetting: `networkPolicy.registryCidrs (TrivyNetworkPolicy registryCidrs) must include ${publicAddresses.join(", ")} if you narrowed it`,
          chartValue: NETWORK_POLICY_CHART_VALUE,
          advice: "A public address on 443 is allowed by default; if it still times out, a firewall or proxy outside the cluster drops it.",
        });
      }
      return fixes;
    },
  }),
  signalRule({
    id: "api-server-unreachable",
    title: "The operator cannot reach the Kubernetes API server",
    cause: "A default-deny network policy (Calico, Cilium, Kubernetes) blocks the operator's egress to the API server.",
    test: isApiServerFailure,
    highlight: API_SERVER_DIAL,
    fixes: () => [
      {
        moduleSetting:
          'TrivyNetworkPolicy: flavor matching your CNI ("kubernetes" | "calico" | "cilium"), apiServerCidrs: ["<API server endpoint IP>/32"], apiServerPorts: [443, 6443]',
        chartValue: NETWORK_POLICY_CHART_VALUE,
        advice:
          "The address in the error is the `kubernetes` Service IP; policies match the endpoint after DNAT, so use `kubectl get endpoints kubernetes -n default`.",
      },
    ],
  }),
  signalRule({
    id: "dns-resolution-failed",
    title: "DNS lookups fail",
    cause:
      "Egress to cluster DNS (UDP and TCP 53) is blocked by a network policy (a hand-written policy that forgets DNS: docs/field-report.md), or a registry host name is wrong.",
    test: (signal) => DNS_FAILURE.test(signal.message),
    highlight: DNS_FAILURE,
    fixes: () => [
      {
        moduleSetting:
          'TrivyNetworkPolicy dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, ports: [53] } (plus nodeLocalDns when the cluster runs NodeLocal DNSCache)',
        chartValue: "(none: network policy of the module)",
        advice:
          "Check that the DNS pods' namespace and labels match your cluster; `no such host` for a registry can also mean a typo in dbRegistry.",
      },
    ],
  }),
  signalRule({
    id: "windows-image-not-scannable",
    title: "Windows images cannot be scanned",
    cause:
      "Trivy scans linux images only: the image has no linux manifest (`Scanning Windows images is not supported`, or the operator's `By default, only Linux amd64 images are supported for scanning.` for `no child with platform linux`, trivy-operator v0.32.0 pkg/vulnerabilityreport/controller/scanjob.go completedContainers).",
    test: (signal) =>
      /Scanning Windows images is not supported|no child with platform linux|only Linux amd64 images are supported/.test(signal.message),
    highlight: /Windows|platform linux|Linux amd64/,
    fixes: (occurrences) => {
      const globs = imageGlobsFromMessages(occurrences);
      return [
        {
          moduleSetting: `excludeImages: [${globs.length > 0 ? globs.map((glob) => `"${glob}"`).join(", ") : '"<registry>/<repository>:*"'}]`,
          chartValue: "trivyOperator.excludeImages",
          advice:
            "Globs use Go filepath.Match: `*` does not cross `/`. Alternatives: skipResourceByLabels, or excludeNamespaces for a Windows-only namespace.",
        },
      ];
    },
  }),
  signalRule({
    id: "image-manifest-unknown",
    title: "The scanned image's manifest is not in the registry (MANIFEST_UNKNOWN)",
    cause:
      "The scan job asks the registry for the image by name and tag, and the registry has no such manifest: the tag was deleted or overwritten after the node pulled it, the nodes pull through a mirror or rewrite (containerd registry config) that scan jobs do not know, or the image exists only for Windows. Excluding the image would stop scanning it: first check what it is.",
    test: (signal) =>
      /MANIFEST_UNKNOWN/.test(signal.message) &&
      artifactOf(signal) === "image" &&
      !/Scanning Windows images is not supported|no child with platform linux/.test(signal.message),
    highlight: /MANIFEST_UNKNOWN/,
    fixes: (occurrences) => {
      const host = mirrorKey(registryHosts(occurrences)[0] ?? "<registry>");
      const fixes: Fix[] = [
        {
          moduleSetting: `extraValues: { trivy: { registry: { mirror: { "${host}": "<the mirror your nodes pull from>" } } } }`,
          chartValue: `trivy.registry.mirror."${host}"`,
          advice:
            "If the nodes pull this registry through a mirror, point scan jobs at the same one. Check the tag with `crane manifest <image>` (or `docker manifest inspect`).",
        },
      ];
      const windows = imageGlobsFromMessages(occurrences).filter((glob) => /windows/i.test(glob));
      if (windows.length > 0) {
        fixes.push({
          moduleSetting: `excludeImages: [${windows.map((glob) => `"${glob}"`).join(", ")}]  — only after \`crane manifest\` shows no linux platform`,
          chartValue: "trivyOperator.excludeImages",
          advice: "The name suggests a Windows-only image; an excluded image is never scanned again, so confirm it first.",
        });
      }
      return fixes;
    },
  }),
  signalRule({
    id: "sbom-multiple-os-components",
    title: "Cluster SBOM scan fails: multiple OS components are not supported",
    cause: "The cluster KBOM has one OS component per node; Trivy before 0.51 failed hard on it.",
    test: (signal) => /multiple OS components are not supported/.test(signal.message),
    highlight: /multiple OS components/,
    fixes: () => [
      {
        moduleSetting: 'chartVersion: "0.34.0" (module default; any chart ≥ 0.23.0 ships Trivy ≥ 0.51)',
        chartValue: "trivy.image.tag (through the chart version)",
        advice: "Upgrade the chart; Trivy 0.51 (PR aquasecurity/trivy#6541) turns this into a warning.",
      },
    ],
  }),
  signalRule({
    id: "trivy-timeout",
    title: "Trivy's own timeout ends the scan (context deadline exceeded)",
    cause:
      "The scan container's Trivy stopped at `trivy.timeout` (TRIVY_TIMEOUT, given to the scan containers only: trivy-operator v0.32.0 pkg/plugins/trivy/image.go) while analysing a large image.",
    test: (signal) =>
      (signal.component === "scan-job" || artifactOf(signal) !== undefined) &&
      (signal.origin === "log" || signal.origin === "pod") &&
      /context deadline exceeded/.test(signal.message) &&
      !/https?:\/\/\S+: context deadline exceeded/.test(signal.message),
    highlight: /context deadline exceeded/,
    fixes: () => [
      {
        moduleSetting: 'operator.trivyTimeout (TrivyOperator trivyTimeout: "20m0s")',
        chartValue: "trivy.timeout",
        advice: "Raise Trivy's timeout for large images.",
      },
      {
        moduleSetting:
          "operator.scanJobTimeout (TrivyOperator scanJobTimeout) above trivyTimeout plus image pull and, in Standalone mode, the DB download",
        chartValue: "operator.scanJobTimeout",
        advice: "Otherwise the Job deadline kills the longer scan instead (see scan-deadline-exceeded).",
      },
    ],
  }),
  signalRule({
    id: "scan-deadline-exceeded",
    title: "The scan Job's deadline kills the scan (DeadlineExceeded)",
    cause:
      "The Job's activeDeadlineSeconds (operator.scanJobTimeout: trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go) counts from Job start: scheduling, the Trivy image pull and, in Standalone mode, the DB-download init container, which gets no TRIVY_TIMEOUT (pkg/plugins/trivy/image.go). The Job controller then kills the pod and the operator deletes the Job without a report.",
    test: (signal) =>
      signal.component === "scan-job" && (signal.origin === "job" || signal.origin === "event") && signal.reason === "DeadlineExceeded",
    highlight: /deadline/i,
    fixes: () => [
      {
        moduleSetting:
          "operator.scanJobTimeout (TrivyOperator scanJobTimeout): trivyTimeout plus headroom for scheduling, image pull and the DB download",
        chartValue: "operator.scanJobTimeout",
        advice: "A Job killed by its deadline leaves only this event (about an hour) and no report.",
      },
      {
        moduleSetting: "builtInTrivyServer: true",
        chartValue: "operator.builtInTrivyServer",
        advice: "In ClientServer mode scan jobs download no DB, so the deadline covers only pull and scan.",
      },
    ],
  }),
  signalRule({
    id: "private-registry-unauthorized",
    title: "Scans of private images are denied (401/DENIED)",
    cause: "The scan job pulls the image manifest remotely without the registry credentials the nodes use.",
    test: (signal) =>
      /401 Unauthorized|\bUNAUTHORIZED\b|\bDENIED\b/.test(signal.message) &&
      !/TOOMANYREQUESTS/.test(signal.message) &&
      artifactOf(signal) === "image",
    highlight: /401 Unauthorized|UNAUTHORIZED|DENIED/,
    fixes: () => [
      {
        moduleSetting: 'privateRegistryScanSecretsNames: { "<workload namespace>": ["<image pull secret>"] }',
        chartValue: "operator.privateRegistryScanSecretsNames",
        advice:
          "Or give the workload's pods/ServiceAccount imagePullSecrets (the operator uses them), or use IRSA/Workload Identity for ECR/ACR.",
      },
    ],
  }),
  {
    id: "completed-jobs-block-concurrency",
    title: "Completed scan jobs block new scans",
    cause:
      "With `operator.scanJobTTL` set, finished scan jobs are left for the TTL controller but still count toward the concurrency limit (trivy-operator #2793), so no new scan starts.",
    match: (evidence) => {
      const limit = evidence.scanJobsConcurrentLimit ?? 2;
      if (evidence.completedScanJobsWithTtl.length < limit) return [];
      return [
        {
          subject: `${evidence.completedScanJobsWithTtl.length} completed scan Job(s) with ttlSecondsAfterFinished (limit ${limit})`,
          location: "Jobs",
          excerpt: evidence.completedScanJobsWithTtl.slice(0, 5).join(", "),
        },
      ];
    },
    fixes: () => [
      {
        moduleSetting: "remove operator.scanJobTTL from extraValues (the module never sets it)",
        chartValue: "operator.scanJobTTL",
        advice: 'Leave it empty ("") so the operator deletes finished jobs itself.',
      },
      {
        moduleSetting: "scanJobsConcurrentLimit: <higher>",
        chartValue: "operator.scanJobsConcurrentLimit",
        advice: "Only a stopgap while completed jobs linger.",
      },
    ],
  },
  {
    id: "operator-deployment-missing",
    title: "No trivy-operator Deployment in the namespace",
    cause: "The operator is not installed in this namespace (or the namespace is wrong).",
    // Scan Jobs without an operator beside them: a workload namespace of an operator with
    // trivyOperator.scanJobsInSameNamespace (docs/reports.md sends users there), not a missing install.
    match: (evidence) =>
      evidence.operatorDeploymentFound === false && evidence.scanJobObjects === 0
        ? [
            {
              subject: `namespace ${evidence.namespace}`,
              location: "Deployments",
              excerpt: "no Deployment named trivy-operator* or labelled app.kubernetes.io/name=trivy-operator",
            },
          ]
        : [],
    fixes: () => [
      {
        moduleSetting: 'namespace: "trivy-system" (module default) — or pass doctor --namespace <the namespace you installed to>',
        chartValue: "(release namespace)",
        advice: "Deploy the stack, then rerun doctor.",
      },
    ],
  },
  {
    // Last: it reports the failed scans that no rule above explained.
    id: "scan-job-failed-unrecognised",
    title: "Scan jobs fail for a reason doctor does not recognise",
    cause:
      "The operator deletes a failed scan Job as soon as it sees it fail (trivy-operator v0.32.0 pkg/vulnerabilityreport/controller/scanjob.go reconcileJobs); the scan container's own message, quoted here, is what survives in its events and the operator log.",
    match: (evidence, explainedJobs) =>
      failedScanEvidence(evidence)
        .filter((failed) => !explainedJobs.has(failed.job))
        .map((failed) => ({
          subject: `Job ${failed.job}`,
          location: failed.best.location,
          excerpt: occurrence(failed.best).excerpt,
          fullText: occurrence(failed.best).fullText,
          job: failed.job,
        })),
    fixes: () => [
      {
        moduleSetting: "extraValues: { trivy: { debug: true } } until the cause is found",
        chartValue: "trivy.debug",
        advice:
          "The next failure's status.message (operator log, `Scan job container`) then carries Trivy's debug output; compare it with the rules in docs/reports.md.",
      },
    ],
  },
];

interface FailedScan {
  readonly job: string;
  readonly signals: readonly Signal[];
  /** The most telling signal: a log or pod message over a bare event. */
  readonly best: Signal;
}

function failedScanEvidence(evidence: DoctorEvidence): FailedScan[] {
  const byJob = new Map<string, Signal[]>();
  for (const signal of evidence.signals) {
    if (!isScanFailure(signal) || signal.job === undefined) continue;
    byJob.set(signal.job, [...(byJob.get(signal.job) ?? []), signal]);
  }
  const weight = (signal: Signal): number =>
    signal.origin === "log" && signal.message ? 3 : signal.origin === "pod" && signal.message ? 2 : signal.message ? 1 : 0;
  return [...byJob].map(([job, signals]) => ({ job, signals, best: [...signals].sort((a, b) => weight(b) - weight(a))[0]! }));
}

/** A scan Job that failed, what survives of it, and which rules explained it. */
export interface FailedScanJob {
  readonly job: string;
  /** Where it was seen: `Event BackoffLimitExceeded (×3)`, `operator.log line 5`, … */
  readonly evidence: readonly string[];
  readonly diagnosedBy: readonly string[];
}

export function failedScanJobs(evidence: DoctorEvidence, problems: readonly Problem[]): FailedScanJob[] {
  return failedScanEvidence(evidence).map((failed) => ({
    job: failed.job,
    evidence: evidenceSummary(failed.signals),
    diagnosedBy: problems
      .filter((problem) => problem.occurrences.some((entry) => entry.job === failed.job))
      .map((problem) => problem.ruleId),
  }));
}

/** `Event BackoffLimitExceeded (×3)`, `containerStatuses: terminated`, `operator.log lines 5, 93`: log lines of one log on one entry. */
function evidenceSummary(signals: readonly Signal[]): string[] {
  const entries = new Map<string, number[]>();
  for (const signal of signals) {
    const line = signal.origin === "log" ? /^(.*) line (\d+)$/.exec(signal.location) : null;
    const key = line ? `${line[1]} line` : signal.location;
    entries.set(key, [...(entries.get(key) ?? []), ...(line ? [Number(line[2])] : [])]);
  }
  return [...entries].map(([key, lines]) => {
    if (lines.length === 0) return key;
    const unique = [...new Set(lines)];
    return `${key}${unique.length > 1 ? "s" : ""} ${unique.join(", ")}`;
  });
}

/** Pure: runs every rule in order; occurrences of the same subject and text are reported once. */
export function diagnose(evidence: DoctorEvidence, rules: readonly Rule[] = RULES): Problem[] {
  const problems: Problem[] = [];
  const explainedJobs = new Set<string>();
  for (const rule of rules) {
    const seen = new Set<string>();
    const occurrences = rule.match(evidence, explainedJobs).filter((entry) => {
      const key = `${entry.subject}\0${entry.excerpt}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    for (const entry of occurrences) if (entry.job !== undefined) explainedJobs.add(entry.job);
    if (occurrences.length > 0)
      problems.push({ ruleId: rule.id, title: rule.title, cause: rule.cause, fixes: rule.fixes(occurrences, evidence), occurrences });
  }
  return problems;
}
