import { describeKubeError, NotKubernetesApiError, type ResolvedContext } from "../../common/kube";
import { kubeRequestOptions, type KubeTimeouts } from "../../common/kube-timeouts";
import { PagedListError, readPagedList, type ListPage, type PageFetcher } from "../../common/paging";
import { asArray, asRecord, asString, getPath } from "../../common/json-access";
import { REPORT_API_GROUP, REPORT_API_VERSION, REPORT_KINDS, type ReportKind } from "../kinds";

/** The one call `report` makes against a cluster; injected so the paging and error handling are unit-tested without a network. */
export interface ReportLister {
  list(request: {
    readonly kind: ReportKind;
    readonly namespace: string | undefined;
    readonly limit: number;
    readonly continueToken: string | undefined;
  }): Promise<ListPage>;
}

export interface ClusterReadOptions {
  /** Empty = every namespace (needs cluster-wide list permission) plus the cluster-scoped kinds. */
  readonly namespaces: readonly string[];
  readonly pageSize: number;
  readonly onObject: (object: unknown) => void;
  /** Awaited after each list, so a caller can flush output with backpressure (CSV). */
  readonly afterPage?: () => Promise<void>;
}

/** One list: a kind, in one namespace or (undefined) across all namespaces / cluster-scoped. */
export interface ListTarget {
  readonly kind: ReportKind;
  readonly namespace: string | undefined;
}

export interface ClusterReadResult {
  readonly objects: number;
  /** The lists read to the end without a problem: what `--baseline` may compare. */
  readonly completed: readonly ListTarget[];
  /** Warnings (without the context name): 403s, unreachable API server, missing CRDs. */
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Lists every report kind page by page (`limit` + `continue`, see readPagedList: an expired token
 * restarts that list once without counting anything twice), handing each object on and keeping
 * none. A 403 skips that kind/namespace; an unreachable or unauthenticated API server stops the
 * context; a 404 means the CRD is not installed (older charts lack some kinds).
 */
export async function readClusterReports(lister: ReportLister, options: ClusterReadOptions): Promise<ClusterReadResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const targets = listTargets(options.namespaces);
  const completed: ListTarget[] = [];
  if (options.namespaces.length > 0) notes.push("cluster-scoped report kinds are not listed when --namespace is given");

  let objects = 0;
  const missingKinds = new Set<string>();
  for (const target of targets) {
    const fetchPage: PageFetcher = (continueToken) =>
      lister.list({ kind: target.kind, namespace: target.namespace, limit: options.pageSize, continueToken });
    try {
      const result = await readPagedList(
        fetchPage,
        (item) => {
          objects++;
          options.onObject(item);
        },
        options.afterPage,
      );
      completed.push(target);
      if (result.restarted)
        notes.push(
          `${listLabel(target)}: a continue token expired (HTTP 410), so the list was read again from the start; objects already read were not counted twice`,
        );
    } catch (error) {
      if (!(error instanceof PagedListError)) throw error;
      const described = describeKubeError(error.apiError);
      if (described.kind === "unreachable") {
        const read =
          objects > 0 ? `stopped after ${objects} object(s), the rest of this context was not read` : "nothing read from this context";
        problems.push(`cannot reach the API server: ${described.message}; ${read}`);
        return { objects, completed, problems, notes };
      }
      if (described.kind === "unauthorized" || described.kind === "not-api") {
        problems.push(
          described.kind === "not-api"
            ? `${described.message}; nothing more read from this context`
            : `the API server rejected the credentials (${described.message}); nothing more read from this context`,
        );
        return { objects, completed, problems, notes };
      }
      // A list can break on a later page (expired `continue` twice, dropped connection): say how far it got.
      const after = error.listed > 0 ? ` after ${error.listed} object(s)` : "";
      const restarted = error.restarted ? ", again after a restart from the beginning" : "";
      const skipped = error.listed > 0 ? "the rest of that list was skipped" : "skipped";
      if (described.kind === "not-found" && error.listed === 0) missingKinds.add(target.kind.kind);
      else if (described.kind === "forbidden")
        problems.push(`forbidden to list ${listLabel(target)}${after} (${described.message}); ${skipped}`);
      else problems.push(`listing ${listLabel(target)} failed${after}${restarted} (${described.message}); ${skipped}`);
    }
  }
  const listedKinds = new Set(targets.map((target) => target.kind.kind));
  if (missingKinds.size > 0 && missingKinds.size === listedKinds.size) {
    problems.push("no Trivy Operator report CRDs found (HTTP 404 for every kind): is the operator installed in this cluster?");
  } else if (missingKinds.size > 0) {
    notes.push(`CRDs not installed (older chart?): ${[...missingKinds].join(", ")}`);
  }
  return { objects, completed, problems, notes };
}

/** Every list `report` reads from a cluster: each kind across all namespaces, or each namespaced kind per namespace. */
export function listTargets(namespaces: readonly string[]): ListTarget[] {
  const targets: ListTarget[] = [];
  for (const kind of REPORT_KINDS) {
    if (namespaces.length === 0) targets.push({ kind, namespace: undefined });
    else if (kind.namespaced) for (const namespace of namespaces) targets.push({ kind, namespace });
  }
  return targets;
}

/** `vulnerabilityreports in namespace "shop"`, `vulnerabilityreports across all namespaces`, `clustervulnerabilityreports (cluster-scoped)`. */
function listLabel(target: { readonly kind: ReportKind; readonly namespace: string | undefined }): string {
  const scope = target.namespace
    ? `in namespace "${target.namespace}"`
    : target.kind.namespaced
      ? "across all namespaces"
      : "(cluster-scoped)";
  return `${target.kind.plural} ${scope}`;
}

/**
 * The real lister over @kubernetes/client-node 1.4.0 (object parameters, resolves to the body), with
 * connect and read timeouts on every call. client-node hands back a `text/html` answer as a string
 * (`ObjectSerializer.parse` keeps text-like media types as text), so a proxy's login page answering
 * 200 would otherwise read as an empty list: anything but a list object is an error.
 */
export function clientNodeLister(resolved: ResolvedContext, timeouts: KubeTimeouts): ReportLister {
  const api = resolved.kubeConfig.makeApiClient(resolved.client.CustomObjectsApi);
  const options = kubeRequestOptions(resolved.client, timeouts);
  return {
    async list({ kind, namespace, limit, continueToken }) {
      const common = { group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: kind.plural, limit, _continue: continueToken };
      const body: unknown = namespace
        ? await api.listNamespacedCustomObject({ ...common, namespace }, options)
        : await api.listClusterCustomObject(common, options);
      const items = asRecord(body)?.["items"];
      if (!Array.isArray(items)) throw new NotKubernetesApiError(resolved.server, body);
      return { items: asArray(items), continueToken: asString(getPath(body, "metadata", "continue")) || undefined };
    },
  };
}
