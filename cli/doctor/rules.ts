import type { DoctorEvidence, Signal } from "./evidence";

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
  readonly match: (evidence: DoctorEvidence) => readonly Occurrence[];
}

function excerpt(text: string, pattern?: RegExp): string {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes in operator logs start with ESC
  const oneLine = text.replace(/\u001b\[[0-9;]*m/g, "").replace(/\s+/g, " ").trim();
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
  const what = signal.reason && !signal.message.includes(signal.reason) ? (signal.message ? `${signal.reason}: ${signal.message}` : signal.reason) : signal.message || signal.reason;
  return { subject: `${signal.subject}${signal.container ? ` container ${signal.container}` : ""}`, location: signal.location, excerpt: excerpt(what, pattern), fullText: what };
}

/** A rule that fires on signals whose reason or message matches. */
function signalRule(rule: Omit<Rule, "match"> & { readonly test: (signal: Signal) => boolean; readonly highlight?: RegExp }): Rule {
  return {
    ...rule,
    match: (evidence) => evidence.signals.filter(rule.test).map((signal) => occurrence(signal, rule.highlight)),
  };
}


const UNTOLERATED_TAINT = /untolerated taint/i;
const API_SERVER_DIAL = /dial tcp [^\s]+:(443|6443): (i\/o timeout|connect: connection refused)/;
const DNS_FAILURE = /lookup [^\s]+ on [^\s]+:53|no such host|server misbehaving/;

function isApiServerFailure(signal: Signal): boolean {
  return signal.component !== "scan-job" && API_SERVER_DIAL.test(signal.message) && !/ghcr\.io|mirror\.gcr\.io|docker\.io|\/v2\//.test(signal.message);
}

/** `untolerated taint {dedicated: infra}` or `untolerated taint(s) {node-role.kubernetes.io/control-plane: }` → `{ key, value }`. */
export function taintsFromMessages(occurrences: readonly Occurrence[]): string[] {
  const found = new Set<string>();
  for (const entry of occurrences) {
    for (const match of (entry.fullText ?? entry.excerpt).matchAll(/untolerated taint(?:\(s\))?s? \{([^}]*)\}/g)) {
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
    advice: "List the taints of your nodes (`kubectl get nodes -o json | jq '.items[].spec.taints'`); the module turns each into tolerations for the operator, scan jobs and node collector.",
  };
}

/** `MANIFEST_UNKNOWN … GET https://mcr.microsoft.com/v2/oss/calico/windows-upgrade/manifests/v3.26.3` → `mcr.microsoft.com/oss/calico/windows-upgrade:*`. */
export function imageGlobsFromMessages(occurrences: readonly Occurrence[]): string[] {
  const globs = new Set<string>();
  for (const entry of occurrences) {
    const source = entry.fullText ?? entry.excerpt;
    const manifest = /GET https:\/\/([^/\s]+)\/v2\/(\S+?)\/manifests\//.exec(source);
    const inspected = /unable to inspect the image \(([^)\s]+?)(?::[^:/)\s]+)?\)/.exec(source);
    if (manifest) globs.add(`${manifest[1]}/${manifest[2]}:*`);
    else if (inspected?.[1]) globs.add(`${inspected[1]}:*`);
  }
  return [...globs];
}

export const RULES: readonly Rule[] = [
  signalRule({
    id: "scan-job-oom-killed",
    title: "Scan jobs are OOMKilled",
    cause: "Each scan container gets the chart's 500M memory limit by default, too small for large (Java, CSI, ML) images; many parallel scans also exhaust node memory.",
    test: (signal) => signal.component === "scan-job" && signal.reason === "OOMKilled",
    fixes: () => [
      { moduleSetting: 'scanJobResources: { limits: { memory: "1500M" } }  (raise further for very large images)', chartValue: "trivy.resources.limits.memory", advice: "The field report needed 1500M; large Java images need 2-3G." },
      { moduleSetting: "scanJobsConcurrentLimit: 2", chartValue: "operator.scanJobsConcurrentLimit", advice: "Fewer scans at once leave the nodes room." },
    ],
  }),
  signalRule({
    id: "operator-oom-or-crash-loop",
    title: "The operator pod is OOMKilled or crash-looping",
    cause: "The operator caches every report of the cluster; the chart sets no resources. A crash loop without OOMKilled usually has its cause in another problem listed here (API server unreachable).",
    test: (signal) => signal.component === "operator" && signal.origin === "pod" && (signal.reason === "OOMKilled" || signal.reason === "CrashLoopBackOff" || signal.reason === "Error"),
    fixes: () => [{ moduleSetting: 'operatorResources: { requests: { memory: "256Mi" }, limits: { memory: "2Gi" } }', chartValue: "resources.limits.memory", advice: "Raise the limit with the number of workloads; check `kubectl logs -n trivy-system deploy/trivy-operator --previous` for the last error." }],
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
    cause: "The node collector is pinned to each node by hostname; since chart 0.22.0 it takes its tolerations from `nodeCollector.tolerations`, not from the scan-job tolerations.",
    test: (signal) => signal.component === "node-collector" && UNTOLERATED_TAINT.test(signal.message),
    highlight: UNTOLERATED_TAINT,
    fixes: (occurrences) => [taintFix(occurrences, "nodeCollector.tolerations")],
  }),
  signalRule({
    id: "db-download-rate-limited",
    title: "Vulnerability DB download is rate-limited (TOOMANYREQUESTS)",
    cause: "In Standalone mode every scan job downloads the DB; ghcr.io rate-limits all Trivy users together.",
    test: (signal) => /TOOMANYREQUESTS/.test(signal.message),
    highlight: /TOOMANYREQUESTS/,
    fixes: () => [
      { moduleSetting: 'dbRegistry: "mirror.gcr.io", dbRepository: "aquasec/trivy-db" (module default) or your own mirror; same for javaDbRegistry/javaDbRepository', chartValue: "trivy.dbRegistry, trivy.dbRepository", advice: "Point the DB at a mirror instead of ghcr.io." },
      { moduleSetting: "builtInTrivyServer: true", chartValue: "operator.builtInTrivyServer", advice: "The built-in server downloads the DB once instead of once per scan job." },
    ],
  }),
  signalRule({
    id: "api-server-unreachable",
    title: "The operator cannot reach the Kubernetes API server",
    cause: "A default-deny network policy (Calico, Cilium, Kubernetes) blocks the operator's egress to the API server.",
    test: isApiServerFailure,
    highlight: API_SERVER_DIAL,
    fixes: () => [
      {
        moduleSetting: 'TrivyNetworkPolicy: flavor matching your CNI ("kubernetes" | "calico" | "cilium"), apiServerCidrs: ["<API server endpoint IP>/32"], apiServerPorts: [443, 6443]',
        chartValue: "(none: the chart ships no NetworkPolicy; the module's network-policy construct adds the egress rule)",
        advice: "The address in the error is the `kubernetes` Service IP; policies match the endpoint after DNAT, so use `kubectl get endpoints kubernetes -n default`.",
      },
    ],
  }),
  signalRule({
    id: "dns-resolution-failed",
    title: "DNS lookups fail",
    cause: "Egress to cluster DNS (UDP and TCP 53) is blocked by a network policy (the field report's policy forgot DNS), or a registry host name is wrong.",
    test: (signal) => DNS_FAILURE.test(signal.message),
    highlight: DNS_FAILURE,
    fixes: () => [
      { moduleSetting: 'TrivyNetworkPolicy dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, ports: [53] } (plus nodeLocalDns when the cluster runs NodeLocal DNSCache)', chartValue: "(none: network policy of the module)", advice: "Check that the DNS pods' namespace and labels match your cluster; `no such host` for a registry can also mean a typo in dbRegistry." },
    ],
  }),
  signalRule({
    id: "windows-image-not-scannable",
    title: "Windows images cannot be scanned",
    cause: "Trivy cannot scan Windows images; AKS/Calico ship Windows DaemonSets whose manifests have no Linux variant (MANIFEST_UNKNOWN).",
    test: (signal) => /Scanning Windows images is not supported|MANIFEST_UNKNOWN/.test(signal.message),
    highlight: /MANIFEST_UNKNOWN|Windows/,
    fixes: (occurrences) => {
      const globs = imageGlobsFromMessages(occurrences);
      return [{ moduleSetting: `excludeImages: [${globs.length > 0 ? globs.map((glob) => `"${glob}"`).join(", ") : '"mcr.microsoft.com/*/*"'}]`, chartValue: "trivyOperator.excludeImages", advice: "Globs use Go filepath.Match: `*` does not cross `/`. Alternatives: skipResourceByLabels, or excludeNamespaces for a Windows-only namespace." }];
    },
  }),
  signalRule({
    id: "sbom-multiple-os-components",
    title: "Cluster SBOM scan fails: multiple OS components are not supported",
    cause: "The cluster KBOM has one OS component per node; Trivy before 0.51 failed hard on it.",
    test: (signal) => /multiple OS components are not supported/.test(signal.message),
    highlight: /multiple OS components/,
    fixes: () => [{ moduleSetting: 'chartVersion: "0.34.0" (module default; any chart ≥ 0.23.0 ships Trivy ≥ 0.51)', chartValue: "trivy.image.tag (through the chart version)", advice: "Upgrade the chart; Trivy 0.51 (PR aquasecurity/trivy#6541) turns this into a warning." }],
  }),
  signalRule({
    id: "scan-deadline-exceeded",
    title: "Scans time out",
    cause: "Two clocks: Trivy's own timeout (`trivy.timeout`) and the Job deadline (`operator.scanJobTimeout`); large images or a slow DB download exceed them.",
    test: (signal) => /context deadline exceeded/.test(signal.message) || (signal.origin === "job" && signal.reason === "DeadlineExceeded"),
    highlight: /deadline exceeded/i,
    fixes: () => [
      { moduleSetting: 'trivyTimeout: "10m0s"', chartValue: "trivy.timeout", advice: "Raise Trivy's timeout for large images." },
      { moduleSetting: 'scanJobTimeout: "12m"', chartValue: "operator.scanJobTimeout", advice: "Keep the Job deadline above trivyTimeout so Trivy reports its own timeout instead of being killed." },
    ],
  }),
  signalRule({
    id: "private-registry-unauthorized",
    title: "Scans of private images are denied (401/DENIED)",
    cause: "The scan job pulls the image manifest remotely without the registry credentials the nodes use.",
    test: (signal) => /401 Unauthorized|\bUNAUTHORIZED\b|\bDENIED\b/.test(signal.message) && !/TOOMANYREQUESTS/.test(signal.message),
    highlight: /401 Unauthorized|UNAUTHORIZED|DENIED/,
    fixes: () => [{ moduleSetting: 'privateRegistryScanSecretsNames: { "<workload namespace>": ["<image pull secret>"] }', chartValue: "operator.privateRegistryScanSecretsNames", advice: "Or give the workload's pods/ServiceAccount imagePullSecrets (the operator uses them), or use IRSA/Workload Identity for ECR/ACR." }],
  }),
  {
    id: "completed-jobs-block-concurrency",
    title: "Completed scan jobs block new scans",
    cause: "With `operator.scanJobTTL` set, finished scan jobs are left for the TTL controller but still count toward the concurrency limit (trivy-operator #2793), so no new scan starts.",
    match: (evidence) => {
      const limit = evidence.scanJobsConcurrentLimit ?? 2;
      if (evidence.completedScanJobsWithTtl.length < limit) return [];
      return [{ subject: `${evidence.completedScanJobsWithTtl.length} completed scan Job(s) with ttlSecondsAfterFinished (limit ${limit})`, location: "Jobs", excerpt: evidence.completedScanJobsWithTtl.slice(0, 5).join(", ") }];
    },
    fixes: () => [
      { moduleSetting: "remove operator.scanJobTTL from extraValues (the module never sets it)", chartValue: "operator.scanJobTTL", advice: 'Leave it empty ("") so the operator deletes finished jobs itself.' },
      { moduleSetting: "scanJobsConcurrentLimit: <higher>", chartValue: "operator.scanJobsConcurrentLimit", advice: "Only a stopgap while completed jobs linger." },
    ],
  },
  {
    id: "operator-deployment-missing",
    title: "No trivy-operator Deployment in the namespace",
    cause: "The operator is not installed in this namespace (or the namespace is wrong).",
    match: (evidence) => (evidence.operatorDeploymentFound === false ? [{ subject: `namespace ${evidence.namespace}`, location: "Deployments", excerpt: "no Deployment named trivy-operator* or labelled app.kubernetes.io/name=trivy-operator" }] : []),
    fixes: () => [{ moduleSetting: 'namespace: "trivy-system" (module default) — or pass doctor --namespace <the namespace you installed to>', chartValue: "(release namespace)", advice: "Deploy the stack, then rerun doctor." }],
  },
];

/** Pure: runs every rule; occurrences of the same subject and text are reported once. */
export function diagnose(evidence: DoctorEvidence, rules: readonly Rule[] = RULES): Problem[] {
  const problems: Problem[] = [];
  for (const rule of rules) {
    const seen = new Set<string>();
    const occurrences = rule.match(evidence).filter((entry) => {
      const key = `${entry.subject}\0${entry.excerpt}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (occurrences.length > 0) problems.push({ ruleId: rule.id, title: rule.title, cause: rule.cause, fixes: rule.fixes(occurrences, evidence), occurrences });
  }
  return problems;
}
