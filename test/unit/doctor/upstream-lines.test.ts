import { describe, expect, it } from "vitest";
import { readLog, signalsFromObjects, type DoctorEvidence } from "../../../cli/doctor/evidence";
import { renderDoctorText } from "../../../cli/doctor/render";
import { diagnose, failedScanJobs, RULES, type Problem } from "../../../cli/doctor/rules";

/*
 * Each rule against log lines and events copied from upstream issues (the URL beside each line), and
 * against lines that must NOT fire it. Lines are verbatim unless marked "derived" (then the change is
 * named); only the `stacktrace` field of the operator's JSON entries is left out.
 */

interface UpstreamLine {
  readonly source: string;
  readonly text: string;
}

const LINES = {
  /** A scanned Docker Hub *image* hits the anonymous pull limit. */
  dockerHubImageRateLimit: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/251",
    text: String.raw`{"level":"error","ts":1657020655.7990713,"logger":"reconciler.vulnerabilityreport","msg":"Scan job container","job":"trivy-operator/scan-vulnerabilityreport-57455996dc","container":"ff8ec51e-1ac5-4a71-938e-dafffc1dabc8","status.reason":"Error","status.message":"2022-07-05T11:30:53.305Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize a docker scanner: 4 errors occurred:\n\t* unable to inspect the image (docker.io/aquasec/trivy:0.29.1): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* containerd socket not found: /run/containerd/containerd.sock\n\t* GET https://index.docker.io/v2/aquasec/trivy/manifests/0.29.1: TOOMANYREQUESTS: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit\n\n\n"}`,
  },
  dockerHubImageRateLimitUnauthenticated: {
    // GitHub rendered the URL at the end as a markdown link; the text before it is verbatim.
    source: "https://github.com/aquasecurity/trivy-operator/issues/2496",
    text: String.raw`{"level":"error","ts":"2025-03-25T01:35:02Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-5b786b579f","container":"vuln-image","status.reason":"Error","status.message":"2025-03-25T01:35:00Z\tFATAL\tFatal error\timage scan error: scan error: unable to initialize a scanner: unable to initialize an image scanner: unable to find the specified image \"knqyf263/vuln-image:1.2.3\" in [\"docker\" \"containerd\" \"podman\" \"remote\"]: 4 errors occurred:\n\t* docker error: unable to inspect the image (knqyf263/vuln-image:1.2.3): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* containerd error: containerd socket not found: /run/containerd/containerd.sock\n\t* podman error: unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* remote error: GET https://index.docker.io/v2/knqyf263/vuln-image/manifests/1.2.3: TOOMANYREQUESTS: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit\n\n\n"}`,
  },
  /** The vulnerability DB download hits ghcr.io's limit: Trivy's own console output. */
  dbRateLimit: {
    source: "https://github.com/dagger/dagger/issues/8644",
    text: "2024-10-08T10:20:52Z\tFATAL\tFatal error\tinit error: DB error: failed to download vulnerability DB: database download error: oci download error: failed to fetch the layer: GET https://ghcr.io/v2/aquasecurity/trivy-db/blobs/sha256:95d05be1e5cf9431ddaa617d84af4d0526511a39984d7a709f4043339931da6a: TOOMANYREQUESTS: retry-after: 454.813µs, allowed: 44000/minute",
  },
  /** The operator's checks-bundle pull: neither the DB nor an image. */
  checksBundleRateLimit: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2309",
    text: String.raw`{"level":"error","ts":"2024-11-21T14:40:53Z","logger":"policyLoader.Get misconfig bundle policies","msg":"failed to load policies","error":"failed to download policies: failed to download built-in policies: download error: oci download error: failed to fetch the layer: GET https://ghcr.io/v2/aquasecurity/trivy-checks/blobs/sha256:cba49b6781cfcdeb6b063283a711ce0ddb1f36d6e2a5db69ef7d2e3f13998149: TOOMANYREQUESTS: retry-after: 35.881µs, allowed: 44000/minute"}`,
  },
  checksBundleRefused: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2202",
    text: String.raw`{"level":"error","ts":"2025-01-30T06:24:45Z","logger":"policyLoader.Get misconfig bundle policies","msg":"failed to load policies","error":"failed to download policies: failed to download built-in policies: download error: oci download error: failed to fetch the layer: Get \"https://mirror.gcr.io/v2/aquasec/trivy-checks/blobs/sha256:d42567de6666044bbf31833e2948c24262d857d9fdf40f695ac2267192f3dba3\": dial tcp 142.251.1.82:443: connect: connection refused"}`,
  },
  /** zap console encoding (operator.logDevMode: true). */
  checksBundleDeniedConsole: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2220",
    text: '2025-03-19T02:09:27Z\tERROR\tpolicyLoader.Get misconfig bundle policies\tfailed to load policies\t{"error": "failed to download policies: failed to download built-in policies: download error: oci download error: failed to fetch the layer: GET https://123456789012.dkr.ecr.eu-north-1.amazonaws.com/v2/ghcr_io/aquasecurity/trivy-checks/blobs/sha256:fe9a49f17a4a57ffd584f3a408bfa0d056ddf1b2dcb91005bb4948fecc9def70: DENIED: Your authorization token has expired. Reauthenticate and try again."}',
  },
  checksBundleNoSuchHost: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2072",
    text: String.raw`{"level":"error","ts":"2024-05-14T01:09:10Z","logger":"policyLoader.Get misconfig bundle policies","msg":"failed to load policies","error":"failed to donwload policies: failed to download built-in policies: download error: OCI repository error: 1 error occurred:\n\t* Get \"https://ghcr.io/v2/\": dial tcp: lookup ghcr.io on 10.96.0.10:53: no such host\n\n"}`,
  },
  /** A Linux image whose tag the registry does not have. */
  manifestUnknownDockerHub: {
    source: "https://github.com/deckhouse/deckhouse/pull/7016",
    text: String.raw`{"level":"error","ts":"2023-12-26T07:17:30Z","logger":"reconciler.scan job","msg":"Scan job container","job":"d8-operator-trivy/scan-vulnerabilityreport-7ccc99f576","container":"ubuntuuuuuuuuu","status.reason":"Error","status.message":"2023-12-26T07:17:26.302Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize a docker scanner: 4 errors occurred:\n\t* unable to inspect the image (ubuntu:220.04): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* containerd socket not found: /run/containerd/containerd.sock\n\t* unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* GET https://index.docker.io/v2/library/ubuntu/manifests/220.04: MANIFEST_UNKNOWN: manifest unknown; unknown tag=220.04\n\n\n"}`,
  },
  /** A Linux image in a private registry, as the scan pod printed it (multi-line), captured with `kubectl logs --prefix`; the pod name is ours. */
  manifestUnknownPrivateRegistry: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/1256",
    text: [
      "2023-06-01T13:45:19.023Z\tFATAL\timage scan error: scan error: unable to initialize a scanner: unable to initialize the remote docker scanner: 4 errors occurred:",
      "\t* unable to inspect the image (10.121.0.9:5000/kube-state-metrics/kube-state-metrics:v2.8.2): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      "\t* unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory",
      "\t* containerd socket not found: /run/containerd/containerd.sock",
      "\t* GET http://10.121.0.9:5000/v2/kube-state-metrics/kube-state-metrics/manifests/v2.8.2: MANIFEST_UNKNOWN: manifest unknown; map[Tag:v2.8.2]",
    ]
      .map((line) => `[pod/scan-vulnerabilityreport-6d5c8b7f9c-k2x7p/kube-state-metrics] ${line}`)
      .join("\n"),
  },
  /** The field report's Windows-only image (calico-windows-upgrade on AKS): MANIFEST_UNKNOWN too. */
  manifestUnknownWindowsNamed: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (Debugging: calico-windows-upgrade)",
    text: String.raw`{"level":"error","ts":"2024-04-23T03:07:55Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-7f665c795b","container":"calico-windows-upgrade","status.reason":"Error","status.message":"2024-04-23T03:07:53.141Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize an image scanner: 4 errors occurred:\n\t* docker error: unable to inspect the image (mcr.microsoft.com/oss/calico/windows-upgrade:v3.26.3): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* containerd error: containerd socket not found: /run/containerd/containerd.sock\n\t* podman error: unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* remote error: GET https://mcr.microsoft.com/v2/oss/calico/windows-upgrade/manifests/v3.26.3: MANIFEST_UNKNOWN: manifest tagged by \"v3.26.3\" is not found; map[Tag:v3.26.3]\n\n\n"}`,
  },
  windowsNotSupported: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (Scanning Windows images is not supported)",
    text: String.raw`{"level":"info","ts":"2024-04-08T10:07:35Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-7f4d674d74","container":"init","status.reason":"Error","status.message":"Scanning Windows images is not supported."}`,
  },
  /** What v0.32.0 logs itself for `no child with platform linux` (derived from the code: pkg/vulnerabilityreport/controller/scanjob.go completedContainers, log.Info). */
  windowsNoLinuxPlatform: {
    source:
      "trivy-operator v0.32.0 pkg/vulnerabilityreport/controller/scanjob.go completedContainers (derived: job and container names ours)",
    text: String.raw`{"level":"info","ts":"2025-11-02T09:12:40Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-65b9d7c4f8","container":"cloud-node-manager","status.reason":"Error","status.message":"By default, only Linux amd64 images are supported for scanning."}`,
  },
  /** A registry that refuses: not a timeout (policies drop, they do not refuse). */
  imageRegistryRefused: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2095",
    text: String.raw`{"level":"error","ts":"2024-05-21T10:46:12Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy/scan-vulnerabilityreport-6543cd987d","container":"linkerd-proxy","status.reason":"Error","status.message":"2024-05-21T10:46:09.102Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize a remote image scanner: 4 errors occurred:\n\t* docker error: unable to inspect the image (cr.l5d.io/linkerd/proxy:stable-2.14.10): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* containerd error: containerd socket not found: /run/containerd/containerd.sock\n\t* podman error: unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* remote error: Get \"https://cr.l5d.io/v2/\": dial tcp 3.67.33.93:443: connect: connection refused\n\n\n"}`,
  },
  /** Derived from #2095: the same line with Go's text for an unanswered dial (`i/o timeout`) instead of `connect: connection refused`. */
  imageRegistryTimeoutPublic: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2095 (derived: connect: connection refused → i/o timeout)",
    text: String.raw`{"level":"error","ts":"2024-05-21T10:46:12Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy/scan-vulnerabilityreport-6543cd987d","container":"linkerd-proxy","status.reason":"Error","status.message":"2024-05-21T10:46:09.102Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize a remote image scanner: 4 errors occurred:\n\t* docker error: unable to inspect the image (cr.l5d.io/linkerd/proxy:stable-2.14.10): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* containerd error: containerd socket not found: /run/containerd/containerd.sock\n\t* podman error: unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* remote error: Get \"https://cr.l5d.io/v2/\": dial tcp 3.67.33.93:443: i/o timeout\n\n\n"}`,
  },
  /** Derived from #2021 (the DB download in a scan job): an internal DB mirror on a private address that a policy drops. */
  dbMirrorTimeoutPrivate: {
    source:
      "https://github.com/aquasecurity/trivy-operator/issues/2021 (derived: ghcr.io 140.82.121.33 → registry.internal 10.40.3.17, connection refused → i/o timeout)",
    text: String.raw`{"level":"error","ts":"2024-04-19T12:07:34Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy/scan-vulnerabilityreport-8cd79b","container":"e472375a-1193-468f-942b-59ab3c475ab8","status.reason":"Error","status.message":"2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tNeed to update DB\n2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tDB Repository: registry.internal/aquasecurity/trivy-db\n2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tDownloading DB...\n2024-04-19T12:07:30.563Z\t\u001b[31mFATAL\u001b[0m\tinit error: DB error: failed to download vulnerability DB: database download error: OCI repository error: 1 error occurred:\n\t* Get \"https://registry.internal/v2/\": dial tcp 10.40.3.17:443: i/o timeout\n\n\n"}`,
  },
  dbRefused: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/2021",
    text: String.raw`{"level":"error","ts":"2024-04-19T12:07:34Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy/scan-vulnerabilityreport-8cd79b","container":"e472375a-1193-468f-942b-59ab3c475ab8","status.reason":"Error","status.message":"2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tNeed to update DB\n2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tDB Repository: ghcr.io/aquasecurity/trivy-db\n2024-04-19T12:07:30.522Z\t\u001b[34mINFO\u001b[0m\tDownloading DB...\n2024-04-19T12:07:30.563Z\t\u001b[31mFATAL\u001b[0m\tinit error: DB error: failed to download vulnerability DB: database download error: OCI repository error: 1 error occurred:\n\t* Get \"https://ghcr.io/v2/\": dial tcp 140.82.121.33:443: connect: connection refused\n\n\n"}`,
  },
  /** A DNS timeout: `dial tcp: lookup …`, not a dial to an address. */
  dnsTimeout: {
    source: "https://github.com/opendatahub-io/notebooks/issues/776",
    text: [
      "2024-11-22T19:53:49Z\tFATAL\tFatal error\tinit error: DB error: failed to download vulnerability DB: database download error: OCI repository error: 1 error occurred:",
      '\t* Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io on 168.63.129.16:53: read udp 10.88.0.2:43149->168.63.129.16:53: i/o timeout',
    ].join("\n"),
  },
  apiServerTimeout: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (Calico: i/o timeout to the API server)",
    text: 'unable to run trivy operator: failed getting configmap: trivy-operator: Get "https://10.0.0.1:443/api/v1/namespaces/trivy-system/configmaps/trivy-operator": dial tcp 10.0.0.1:443: i/o timeout',
  },
  /** Trivy's own timeout inside the scan container. */
  trivyTimeout: {
    source: "https://github.com/aquasecurity/trivy-operator/issues/1325",
    text: String.raw`{"level":"error","ts":"2023-06-26T09:01:00Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-operator/scan-vulnerabilityreport-77d66d9c54","container":"clamav-scanner","status.reason":"Error","status.message":"2023-06-26T09:00:57.273Z\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: scan failed: failed analysis: analyze error: pipeline error: context deadline exceeded\n"}`,
  },
  /** An HTTP call that timed out: not `trivy.timeout`. */
  registryPingDeadline: {
    source: "https://github.com/aquasecurity/trivy/issues/495",
    text: "2020-05-15T05:22:34.686Z\tFATAL\tunable to initialize the docker scanner: unable to initialize a image struct: failed to initialize source: error pinging docker registry registry-1.docker.io: Get http://registry-1.docker.io/v2/: context deadline exceeded",
  },
  privateRegistryDenied: {
    // status.message verbatim (GitHub's autolink of the image name undone); the envelope around it is ours, the issue quotes only its tail.
    source: "https://github.com/aquasecurity/trivy-operator/issues/1279",
    text: String.raw`{"level":"error","ts":"2023-06-08T10:00:00Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-5f7c9d6b8a","container":"project","status.reason":"Error","status.message":"time\t\u001b[31mFATAL\u001b[0m\timage scan error: scan error: unable to initialize a scanner: unable to initialize a docker scanner: 4 errors occurred:\n\t* unable to inspect the image (registry.private.com/project:4**7): Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n\t* unable to initialize Podman client: no podman socket found: stat podman/podman.sock: no such file or directory\n\t* containerd socket not found: /run/containerd/containerd.sock\n\t* GET https://gitlab.private.com/jwt/auth?scope=repository%3Arepo%2Fproject%3Apull&service=container_registry: DENIED: access forbidden\n\n\n"}`,
  },
  oomKilled: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (OOMKilled)",
    text: String.raw`{"level":"error","ts":"2024-04-08T10:08:16Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-5c498d8bc6","container":"prometheus","status.reason":"OOMKilled","status.message":""}`,
  },
  sbomMultipleOs: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (multiple OS components)",
    text: String.raw`{"level":"error","ts":"2024-04-08T10:04:45Z","logger":"reconciler.scan job","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-6cccfb67dd","container":"k8s-cluster","status.reason":"Error","status.message":"2024-04-08T10:04:37.564Z\t\u001b[31mFATAL\u001b[0m\tsbom scan error: scan error: scan failed: failed analysis: SBOM decode error: failed to decode: failed to decode components: multiple OS components are not supported\n"}`,
  },
  /** The same failure as the scan pod printed it (the status.message above, decoded): Trivy's coloured console line. */
  sbomMultipleOsScanPod: {
    source: "/work/shared/seed/trivy-in-kubernetes.md (multiple OS components: status.message decoded)",
    text: "2024-04-08T10:04:37.564Z\t\u001b[31mFATAL\u001b[0m\tsbom scan error: scan error: scan failed: failed analysis: SBOM decode error: failed to decode: failed to decode components: multiple OS components are not supported",
  },
} satisfies Record<string, UpstreamLine>;

type LineName = keyof typeof LINES;

function evidenceOf(signals: DoctorEvidence["signals"]): DoctorEvidence {
  return {
    namespace: "trivy-system",
    signals,
    completedScanJobsWithTtl: [],
    scanJobsConcurrentLimit: undefined,
    operatorDeploymentFound: undefined,
    scanJobObjects: 0,
    counts: { pods: 0, jobs: 0, events: 0, deployments: 0, logLines: 0, logEntries: 0 },
  };
}

const diagnoseLog = (text: string): Problem[] => diagnose(evidenceOf(readLog(text, "captured.log").signals));
const ruleIds = (problems: readonly Problem[]): string[] => problems.map((problem) => problem.ruleId).sort();

/** How `kubectl logs` can decorate a capture; each must diagnose the same. */
const CAPTURES: Record<string, (line: string) => string> = {
  plain: (line) => line,
  "--timestamps": (line) => `2025-11-02T09:12:40.123456789Z ${line}`,
  "--prefix": (line) => (line.startsWith("[pod/") ? line : `[pod/trivy-operator-7d9f8c6b5-x2k4p/trivy-operator] ${line}`),
  "--prefix --timestamps": (line) =>
    line.startsWith("[pod/")
      ? line.replace(/^(\[[^\]]+\] )/, "$12025-11-02T09:12:40.123456789Z ")
      : `[pod/trivy-operator-7d9f8c6b5-x2k4p/trivy-operator] 2025-11-02T09:12:40.123456789Z ${line}`,
};

/** Every line, the exact rules it must fire (so every other rule must not). */
const EXPECTED: Record<LineName, readonly string[]> = {
  dockerHubImageRateLimit: ["image-pull-rate-limited"],
  dockerHubImageRateLimitUnauthenticated: ["image-pull-rate-limited"],
  dbRateLimit: ["db-download-rate-limited"],
  checksBundleRateLimit: ["checks-bundle-download-failed"],
  checksBundleRefused: ["checks-bundle-download-failed"],
  checksBundleDeniedConsole: ["checks-bundle-download-failed"],
  checksBundleNoSuchHost: ["checks-bundle-download-failed", "dns-resolution-failed"],
  manifestUnknownDockerHub: ["image-manifest-unknown"],
  manifestUnknownPrivateRegistry: ["image-manifest-unknown"],
  manifestUnknownWindowsNamed: ["image-manifest-unknown"],
  windowsNotSupported: ["windows-image-not-scannable"],
  windowsNoLinuxPlatform: ["windows-image-not-scannable"],
  // Recognised as a failed scan, but no rule claims a refused connection.
  imageRegistryRefused: ["scan-job-failed-unrecognised"],
  imageRegistryTimeoutPublic: ["scan-registry-timeout"],
  dbMirrorTimeoutPrivate: ["scan-registry-timeout"],
  dbRefused: ["scan-job-failed-unrecognised"],
  dnsTimeout: ["dns-resolution-failed"],
  apiServerTimeout: ["api-server-unreachable"],
  trivyTimeout: ["trivy-timeout"],
  registryPingDeadline: [],
  privateRegistryDenied: ["private-registry-unauthorized"],
  oomKilled: ["scan-job-oom-killed"],
  sbomMultipleOs: ["sbom-multiple-os-components"],
  sbomMultipleOsScanPod: ["sbom-multiple-os-components"],
};

describe("doctor rules on real upstream log lines", () => {
  for (const [name, line] of Object.entries(LINES) as [LineName, UpstreamLine][]) {
    it(`${name} (${line.source}) fires exactly ${EXPECTED[name].join(", ") || "nothing"}, however kubectl captured it`, () => {
      const plain = diagnoseLog(line.text);
      expect(ruleIds(plain)).toEqual([...EXPECTED[name]].sort());
      for (const [capture, decorate] of Object.entries(CAPTURES)) {
        const decorated = diagnoseLog(line.text.split("\n").map(decorate).join("\n"));
        expect(ruleIds(decorated), capture).toEqual(ruleIds(plain));
        expect(
          decorated.map((problem) => problem.occurrences.map((entry) => entry.excerpt)),
          capture,
        ).toEqual(plain.map((problem) => problem.occurrences.map((entry) => entry.excerpt)));
      }
    });
  }

  it("every message rule is exercised by a real line above", () => {
    const fired = new Set(Object.values(EXPECTED).flat());
    const objectRules = [
      "operator-oom-or-crash-loop",
      "scan-job-untolerated-taint",
      "scan-job-insufficient-resources",
      "node-collector-untolerated-taint",
      "node-collector-insufficient-memory",
      "scan-deadline-exceeded",
      "completed-jobs-block-concurrency",
      "operator-deployment-missing",
    ];
    expect(RULES.map((rule) => rule.id).filter((id) => !fired.has(id) && !objectRules.includes(id))).toEqual([]);
  });

  it("names the registry and the artifact in the fix: a Docker Hub image gets a Docker Hub mirror, never the DB mirror", () => {
    const [problem] = diagnoseLog(LINES.dockerHubImageRateLimit.text);
    expect(problem?.fixes.map((fix) => fix.chartValue)).toEqual([
      'trivy.registry.mirror."index.docker.io"',
      "operator.privateRegistryScanSecretsNames",
    ]);
    expect(problem?.fixes.map((fix) => fix.moduleSetting).join(" ")).not.toMatch(/dbRegistry|builtInTrivyServer/);
  });

  it("never suggests excluding a Linux image whose tag is missing; suggests it (after a check) only for a Windows-named one", () => {
    for (const name of ["manifestUnknownDockerHub", "manifestUnknownPrivateRegistry"] as const) {
      const fixes = diagnoseLog(LINES[name].text)[0]?.fixes ?? [];
      expect(
        fixes.map((fix) => fix.chartValue),
        name,
      ).not.toContain("trivyOperator.excludeImages");
    }
    expect(diagnoseLog(LINES.manifestUnknownPrivateRegistry.text)[0]?.fixes[0]?.moduleSetting).toBe(
      'extraValues: { trivy: { registry: { mirror: { "10.121.0.9:5000": "<the mirror your nodes pull from>" } } } }',
    );
    const windows = diagnoseLog(LINES.manifestUnknownWindowsNamed.text)[0]?.fixes ?? [];
    expect(windows[1]?.moduleSetting).toMatch(
      /^excludeImages: \["mcr\.microsoft\.com\/oss\/calico\/windows-upgrade:\*"\] {2}— only after `crane manifest`/,
    );
  });

  it("names networkPolicy.privateRegistryCidrs with the blocked private address for a registry i/o timeout, and says a public one is not our policy's doing", () => {
    const privateFixes = diagnoseLog(LINES.dbMirrorTimeoutPrivate.text)[0]?.fixes ?? [];
    expect(privateFixes.map((fix) => fix.moduleSetting)).toEqual([
      'networkPolicy.privateRegistryCidrs: ["10.40.3.17/32"]  (TrivyNetworkPolicy privateRegistryCidrs)',
    ]);
    const publicFixes = diagnoseLog(LINES.imageRegistryTimeoutPublic.text)[0]?.fixes ?? [];
    expect(publicFixes[1]?.moduleSetting).toBe(
      "networkPolicy.registryCidrs (TrivyNetworkPolicy registryCidrs) must include 3.67.33.93:443 if you narrowed it",
    );
  });

  it("does not take a ClientServer scan job's timeout to the Trivy server for a registry pull", () => {
    // Derived from the #2095 line: the remote error replaced by a call to the built-in server's Service (port 4954, /twirp/ API).
    const toServer = LINES.imageRegistryTimeoutPublic.text.replace(
      String.raw`* remote error: Get \"https://cr.l5d.io/v2/\": dial tcp 3.67.33.93:443: i/o timeout`,
      String.raw`* remote error: Post \"http://trivy-service.trivy-system:4954/twirp/trivy.cache.v1.Cache/MissingBlobs\": dial tcp 10.96.41.7:4954: i/o timeout`,
    );
    expect(toServer).toContain("/twirp/");
    expect(ruleIds(diagnoseLog(toServer))).toEqual(["scan-job-failed-unrecognised"]);
  });

  it("reads the operator's console (logDevMode) entries and skips the Go stack trace after them", () => {
    const console = [
      LINES.checksBundleDeniedConsole.text,
      "github.com/aquasecurity/trivy-operator/pkg/policy.(*policyLoader).GetPoliciesAndBundlePath",
      "\t/home/runner/work/trivy-operator/trivy-operator/pkg/policy/loader.go:65",
    ].join("\n");
    const log = readLog(console, "dev.log");
    expect(log).toMatchObject({ lines: 3, entries: 1 });
    expect(log.signals).toEqual([
      expect.objectContaining({ component: "operator", logger: "policyLoader.Get misconfig bundle policies", location: "dev.log line 1" }),
    ]);
  });

  it("reads Trivy's coloured console line as an entry, with the colour codes gone", () => {
    const log = readLog(LINES.sbomMultipleOsScanPod.text, "scan.log");
    expect(log).toMatchObject({ lines: 1, entries: 1 });
    expect(log.signals[0]?.message).toBe(
      "sbom scan error: scan error: scan failed: failed analysis: SBOM decode error: failed to decode: failed to decode components: multiple OS components are not supported",
    );
  });

  it("joins Trivy's indented error lines to the FATAL line they belong to", () => {
    const { signals } = readLog(LINES.manifestUnknownPrivateRegistry.text, "scan.log");
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      component: "scan-job",
      job: "scan-vulnerabilityreport-6d5c8b7f9c",
      subject: "Pod scan-vulnerabilityreport-6d5c8b7f9c-k2x7p",
    });
    expect(signals[0]?.message).toMatch(
      /4 errors occurred:\n\* unable to inspect[\s\S]*MANIFEST_UNKNOWN: manifest unknown; map\[Tag:v2\.8\.2\]$/,
    );
  });
});

/** An Event as `kubectl get events -o json` lists it. */
function event(involved: { kind: string; name: string }, reason: string, message: string, type = "Warning"): unknown {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${involved.name}.1860c1d2e3f4a5b6`, namespace: "trivy-system" },
    involvedObject: { ...involved, namespace: "trivy-system" },
    reason,
    type,
    message,
  };
}

describe("doctor rules on real Kubernetes event and condition messages", () => {
  const diagnoseObjects = (objects: readonly unknown[], log = ""): { problems: Problem[]; evidence: DoctorEvidence } => {
    const evidence = evidenceOf([...signalsFromObjects(objects).signals, ...readLog(log, "operator.log").signals]);
    return { problems: diagnose(evidence), evidence };
  };
  // https://github.com/aws/karpenter-provider-aws/issues/4450 (the scheduler's message; the pod is a node collector named as in aquasecurity/trivy-operator#1610)
  const INSUFFICIENT_MEMORY =
    "0/4 nodes are available: 4 Insufficient memory. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.";

  it("names operator.scanJobResources.requests.memory for a Pending node collector (Insufficient memory); a scan job gets its own rule", () => {
    const collector = diagnoseObjects([
      event({ kind: "Pod", name: "node-collector-756ffb6f47-9xk2q" }, "FailedScheduling", INSUFFICIENT_MEMORY),
    ]).problems;
    expect(ruleIds(collector)).toEqual(["node-collector-insufficient-memory"]);
    expect(collector[0]?.fixes[0]).toMatchObject({
      chartValue: "trivy.resources.requests.memory",
      moduleSetting: expect.stringMatching(/^operator\.scanJobResources\.requests\.memory /),
    });
    const scan = diagnoseObjects([
      event({ kind: "Pod", name: "scan-vulnerabilityreport-7d9c5f4b8d-x7k2p" }, "FailedScheduling", INSUFFICIENT_MEMORY),
    ]).problems;
    expect(ruleIds(scan)).toEqual(["scan-job-insufficient-resources"]);
    expect(scan[0]?.fixes.map((fix) => fix.chartValue)).toEqual(["trivy.resources.requests", "operator.scanJobsConcurrentLimit"]);
  });

  it("recognises the node collector by its pod label too (app: node-collector), from a PodScheduled=False condition", () => {
    // https://github.com/kubernetes/kubernetes/issues/86942 (the scheduler's message)
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "collector-x", labels: { app: "node-collector" } },
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/12 nodes are available: 3 Insufficient memory, 9 node(s) didn't match node selector.",
          },
        ],
      },
    };
    expect(ruleIds(diagnoseObjects([pod]).problems)).toEqual(["node-collector-insufficient-memory"]);
  });

  it("reads the pre-1.25 taint wording (`had taint {…}, that the pod didn't tolerate`)", () => {
    // https://github.com/aquasecurity/trivy-operator/issues/1682
    const message =
      "1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate, 2 node(s) had taint {dedicated: ams}, that the pod didn't tolerate , 8 node(s) didn't match Pod's node affinity/selector";
    const problems = diagnoseObjects([
      event({ kind: "Pod", name: "node-collector-677f9fb5b8-jc6tw" }, "FailedScheduling", message),
    ]).problems;
    expect(ruleIds(problems)).toEqual(["node-collector-untolerated-taint"]);
    expect(problems[0]?.fixes[0]?.moduleSetting).toBe(
      'taints: [{ key: "node-role.kubernetes.io/master" }, { key: "dedicated", value: "ams" }]',
    );
  });

  it("tells the Job deadline (DeadlineExceeded) from Trivy's own timeout", () => {
    // https://github.com/kubernetes/kubernetes/issues/62134 (the Job controller's event)
    const deadline = event(
      { kind: "Job", name: "scan-vulnerabilityreport-77d66d9c54" },
      "DeadlineExceeded",
      "Job was active longer than specified deadline",
    );
    const killed = diagnoseObjects([deadline]).problems;
    expect(ruleIds(killed)).toEqual(["scan-deadline-exceeded"]);
    expect(killed[0]?.fixes.map((fix) => fix.chartValue)).toEqual(["operator.scanJobTimeout", "operator.builtInTrivyServer"]);
    expect(killed[0]?.cause).toMatch(/DB-download init container, which gets no TRIVY_TIMEOUT/);
    const own = diagnoseLog(LINES.trivyTimeout.text);
    expect(own[0]?.fixes.map((fix) => fix.chartValue)).toEqual(["trivy.timeout", "operator.scanJobTimeout"]);
    // A node collector's deadline is not a scan's.
    expect(
      ruleIds(
        diagnoseObjects([
          event({ kind: "Job", name: "node-collector-756ffb6f47" }, "DeadlineExceeded", "Job was active longer than specified deadline"),
        ]).problems,
      ),
    ).toEqual([]);
  });

  it("ties a deleted scan Job's BackoffLimitExceeded event to the operator's log line for it, and reports one it cannot explain", () => {
    // https://github.com/aquasecurity/trivy-operator/issues/1256 (the Job controller's message)
    const backoff = (job: string) =>
      event({ kind: "Job", name: job }, "BackoffLimitExceeded", "Job has reached the specified backoff limit");
    const { problems, evidence } = diagnoseObjects(
      [backoff("scan-vulnerabilityreport-5b786b579f"), backoff("scan-vulnerabilityreport-0a1b2c3d4e")],
      LINES.dockerHubImageRateLimitUnauthenticated.text,
    );
    expect(ruleIds(problems)).toEqual(["image-pull-rate-limited", "scan-job-failed-unrecognised"]);
    expect(problems.find((problem) => problem.ruleId === "scan-job-failed-unrecognised")?.occurrences).toEqual([
      expect.objectContaining({
        subject: "Job scan-vulnerabilityreport-0a1b2c3d4e",
        excerpt: "BackoffLimitExceeded: Job has reached the specified backoff limit",
      }),
    ]);
    expect(failedScanJobs(evidence, problems)).toEqual([
      {
        job: "scan-vulnerabilityreport-5b786b579f",
        evidence: ["Event BackoffLimitExceeded", "operator.log line 1"],
        diagnosedBy: ["image-pull-rate-limited"],
      },
      {
        job: "scan-vulnerabilityreport-0a1b2c3d4e",
        evidence: ["Event BackoffLimitExceeded"],
        diagnosedBy: ["scan-job-failed-unrecognised"],
      },
    ]);
  });
});

describe("failed scan Jobs in the output", () => {
  it("lists each failed Job once, its log lines together, with the rules that explained it", () => {
    // The same scan Job failing again (the operator re-creates it under the same name for the same workload).
    const log = [LINES.oomKilled.text, LINES.oomKilled.text.replace("2024-04-08T10:08:16Z", "2024-04-08T10:38:16Z")].join("\n");
    const evidence = evidenceOf(readLog(log, "operator.log").signals);
    expect(failedScanJobs(evidence, diagnose(evidence))).toEqual([
      { job: "scan-vulnerabilityreport-5c498d8bc6", evidence: ["operator.log lines 1, 2"], diagnosedBy: ["scan-job-oom-killed"] },
    ]);
  });
});

describe("doctor output on hostile log text", () => {
  it("prints no escape sequence or control character from a log line", () => {
    const hostile = String.raw`{"level":"error","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-1a2b3c4d5e","container":"x","status.reason":"Error","status.message":"\u001b[2J\u001b[Hboom\u0007 TOOMANYREQUESTS GET https://index.docker.io/v2/library/nginx/manifests/1.27: TOOMANYREQUESTS"}`;
    const [problem] = diagnose(evidenceOf(readLog(hostile, "x.log").signals));
    expect(problem?.ruleId).toBe("image-pull-rate-limited");
    expect(problem?.occurrences[0]?.excerpt).toBe(
      "Error: Scan job container: boom TOOMANYREQUESTS GET https://index.docker.io/v2/library/nginx/manifests/1.27: TOOMANYREQUESTS",
    );
  });
});

describe("doctor text output on a hostile capture", () => {
  it("prints names and fixes taken from the input without control characters", () => {
    const hostile = String.raw`{"level":"error","msg":"Scan job container","job":"trivy-system/scan-vulnerabilityreport-1a2b3c4d5e\u001b[2J","container":"x\u0007","status.reason":"Error","status.message":"GET https://evil\u001b[31m.example/v2/a/manifests/1: TOOMANYREQUESTS"}`;
    const evidence = evidenceOf(readLog(hostile, "x.log").signals);
    const problems = diagnose(evidence);
    const text = renderDoctorText({
      namespace: "trivy-system",
      source: "x.log",
      problems,
      failedScanJobs: failedScanJobs(evidence, problems),
      inspected: evidence.counts,
      warnings: [],
      notes: [],
    });
    expect(problems.map((problem) => problem.ruleId)).toEqual(["image-pull-rate-limited"]);
    // eslint-disable-next-line no-control-regex -- asserting their absence
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
