import { describeKubeError, NotKubernetesApiError, type KubeErrorKind, type ResolvedContext } from "../common/kube";
import { kubeRequestOptions, type KubeTimeouts } from "../common/kube-timeouts";
import { asArray, asRecord, asString, getPath } from "../common/json-access";
import { PagedListError, readPagedList, type ListPage } from "../common/paging";
import { componentOf, ObjectEvidenceCollector, type ObjectEvidence } from "./evidence";

export type NamespacedKind = "Pod" | "Job" | "Event" | "Deployment";
/** What `--all-namespaces` reads outside the operator namespace. */
export type ScanJobKind = "Pod" | "Job" | "Event";

/** What doctor reads from a cluster; injected so unit tests need no network. */
export interface DoctorApi {
  /** One page of a namespaced list (`limit` + `continue`), items as plain JSON. */
  list(request: {
    readonly kind: NamespacedKind;
    readonly namespace: string;
    readonly limit: number;
    readonly continueToken: string | undefined;
  }): Promise<ListPage>;
  /** One page of a list across every namespace, narrowed by the API server's label or field selector. */
  listAllNamespaces(request: {
    readonly kind: ScanJobKind;
    readonly labelSelector?: string;
    readonly fieldSelector?: string;
    readonly limit: number;
    readonly continueToken: string | undefined;
  }): Promise<ListPage>;
  podLog(pod: string, namespace: string, tailLines: number): Promise<string>;
}

export interface LiveEvidence {
  readonly objects: ObjectEvidence;
  readonly logs: readonly { readonly name: string; readonly text: string }[];
  readonly problems: readonly string[];
}

export interface LiveReadOptions {
  readonly namespace: string;
  readonly tailLines: number;
  /** Objects per list call: a namespace with thousands of Events never comes back in one response. */
  readonly pageSize: number;
  /** Also read scan Jobs, their Pods and the Warning Events about them in every other namespace. */
  readonly allNamespaces: boolean;
}

/**
 * Where `--all-namespaces` finds scan objects outside the operator namespace. A scan Job and its pod
 * template carry `vulnerabilityReport.scanner` (trivy-operator v0.32.0 pkg/vulnerabilityreport/builder.go
 * `ScanJobBuilder.Get`: `jobLabels`, copied into `podTemplateLabels`, before
 * `updateScanJobForWorkloadNamespace` moves the Job); Events carry no label: the API server keeps only Warnings
 * (`type` is a selectable Event field: kubernetes pkg/registry/core/event/strategy.go `ToSelectableFields`), and
 * doctor keeps those about a scan Job or Pod. FailedScheduling, BackoffLimitExceeded and
 * DeadlineExceeded are all Warnings.
 */
const OTHER_NAMESPACES: readonly { readonly kind: ScanJobKind; readonly labelSelector?: string; readonly fieldSelector?: string }[] = [
  { kind: "Job", labelSelector: "vulnerabilityReport.scanner" },
  { kind: "Pod", labelSelector: "vulnerabilityReport.scanner" },
  { kind: "Event", fieldSelector: "type=Warning" },
];

const KINDS: readonly NamespacedKind[] = ["Deployment", "Job", "Pod", "Event"];

/** Answers every later request would get too (no server, rejected credentials, not an API server): stop listing. */
const SERVER_WIDE_FAILURES: ReadonlySet<KubeErrorKind> = new Set(["unreachable", "unauthorized", "not-api"]);

/**
 * Lists the namespace's objects page by page, folding each into signals and dropping it, then reads
 * the operator pods' logs. A 403 on one kind is a warning; an unreachable server or rejected
 * credentials stop the run.
 */
export async function collectLiveEvidence(api: DoctorApi, options: LiveReadOptions): Promise<LiveEvidence> {
  const { namespace } = options;
  const collector = new ObjectEvidenceCollector(namespace);
  const logs: { name: string; text: string }[] = [];
  const problems: string[] = [];
  let objectsRead = 0;
  for (const [index, kind] of KINDS.entries()) {
    try {
      await readPagedList(
        (continueToken) => api.list({ kind, namespace, limit: options.pageSize, continueToken }),
        // Typed list items carry no `kind`; the collector needs it.
        (item) => {
          objectsRead++;
          collector.add({ ...asRecord(item), kind });
        },
      );
    } catch (error) {
      if (!(error instanceof PagedListError)) throw error;
      const described = describeKubeError(error.apiError);
      if (SERVER_WIDE_FAILURES.has(described.kind)) {
        // Kinds listed before the failure are still diagnosed, so say what was left out rather than "nothing".
        const left = [...KINDS.slice(index).map((name) => `${name}s`), "the operator logs"];
        const read =
          objectsRead > 0
            ? `stopped after ${objectsRead} object(s): ${left.slice(0, -1).join(", ")} and ${left.at(-1)} were not inspected`
            : "nothing inspected";
        problems.push(`cannot read from the API server (${described.message}); ${read}`);
        return { objects: collector.result(), logs, problems };
      }
      const after = error.listed > 0 ? ` after ${error.listed} of them` : "";
      problems.push(
        `cannot list ${kind}s in namespace "${namespace}"${after} (${described.message}); rules that need them ${error.listed > 0 ? "saw only those" : "were skipped"}`,
      );
    }
  }
  if (options.allNamespaces) {
    for (const { kind, labelSelector, fieldSelector } of OTHER_NAMESPACES) {
      try {
        await readPagedList(
          (continueToken) => api.listAllNamespaces({ kind, labelSelector, fieldSelector, limit: options.pageSize, continueToken }),
          (item) => {
            const record = asRecord(item);
            // The operator namespace was read whole above.
            if (asString(getPath(record, "metadata", "namespace")) === namespace) return;
            if (kind === "Event" && componentOf(asString(getPath(record, "involvedObject", "name")) ?? "") !== "scan-job") return;
            objectsRead++;
            collector.add({ ...record, kind });
          },
        );
      } catch (error) {
        if (!(error instanceof PagedListError)) throw error;
        const described = describeKubeError(error.apiError);
        const after = error.listed > 0 ? ` after ${error.listed} of them` : "";
        problems.push(
          `cannot list ${kind}s in all namespaces${after} (${described.message}); scan ${kind}s outside namespace "${namespace}" ${error.listed > 0 ? "were read only in part" : "were not inspected"}`,
        );
        if (SERVER_WIDE_FAILURES.has(described.kind)) break;
      }
    }
  }
  const objects = collector.result();
  for (const name of objects.operatorPods) {
    try {
      logs.push({ name: `logs of ${name}`, text: await api.podLog(name, namespace, options.tailLines) });
    } catch (error) {
      problems.push(`cannot read the logs of pod ${name} (${describeKubeError(error).message}); log rules were skipped for it`);
    }
  }
  return { objects, logs, problems };
}

/**
 * The real API over @kubernetes/client-node 1.4.0, with connect and read timeouts on every call
 * (cli/common/kube-timeouts.ts). An answer that is not a list (a proxy's HTML login page answering
 * 200) is an error, never an empty namespace.
 */
export function clientNodeDoctorApi(resolved: ResolvedContext, timeouts: KubeTimeouts): DoctorApi {
  const core = resolved.kubeConfig.makeApiClient(resolved.client.CoreV1Api);
  const apps = resolved.kubeConfig.makeApiClient(resolved.client.AppsV1Api);
  const batch = resolved.kubeConfig.makeApiClient(resolved.client.BatchV1Api);
  const options = kubeRequestOptions(resolved.client, timeouts);
  // Typed clients return class instances (dates as Date); doctor reads plain JSON shapes, so round-trip them.
  const plainPage = (list: unknown): ListPage => {
    const items = asRecord(list)?.["items"];
    if (!Array.isArray(items)) throw new NotKubernetesApiError(resolved.server, list);
    return {
      items: asArray(JSON.parse(JSON.stringify(items))),
      continueToken: asString(getPath(list, "metadata", "_continue")) || undefined,
    };
  };
  return {
    async list({ kind, namespace, limit, continueToken }) {
      const request = { namespace, limit, _continue: continueToken };
      switch (kind) {
        case "Pod":
          return plainPage(await core.listNamespacedPod(request, options));
        case "Event":
          return plainPage(await core.listNamespacedEvent(request, options));
        case "Job":
          return plainPage(await batch.listNamespacedJob(request, options));
        case "Deployment":
          return plainPage(await apps.listNamespacedDeployment(request, options));
      }
    },
    async listAllNamespaces({ kind, labelSelector, fieldSelector, limit, continueToken }) {
      const request = { labelSelector, fieldSelector, limit, _continue: continueToken };
      switch (kind) {
        case "Pod":
          return plainPage(await core.listPodForAllNamespaces(request, options));
        case "Event":
          return plainPage(await core.listEventForAllNamespaces(request, options));
        case "Job":
          return plainPage(await batch.listJobForAllNamespaces(request, options));
      }
    },
    async podLog(pod, namespace, tailLines) {
      return String(await core.readNamespacedPodLog({ name: pod, namespace, tailLines }, options));
    },
  };
}
