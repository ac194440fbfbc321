import { describeKubeError, type ResolvedContext } from "../../common/kube";
import { asArray, asRecord, asString, getPath } from "../../common/json-access";
import { REPORT_API_GROUP, REPORT_API_VERSION, REPORT_KINDS, type ReportKind } from "../kinds";

export interface ReportListPage {
  readonly items: readonly unknown[];
  readonly continueToken: string | undefined;
}

/** The one call `report` makes against a cluster; injected so the paging and error handling are unit-tested without a network. */
export interface ReportLister {
  list(request: { readonly kind: ReportKind; readonly namespace: string | undefined; readonly limit: number; readonly continueToken: string | undefined }): Promise<ReportListPage>;
}

export interface ClusterReadOptions {
  /** Empty = every namespace (needs cluster-wide list permission) plus the cluster-scoped kinds. */
  readonly namespaces: readonly string[];
  readonly pageSize: number;
  readonly onObject: (object: unknown) => void;
}

export interface ClusterReadResult {
  readonly objects: number;
  /** Warnings (without the context name): 403s, unreachable API server, missing CRDs. */
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

/**
 * Lists every report kind page by page (`limit` + `continue`), handing each object on and keeping
 * none. A 403 skips that kind/namespace; an unreachable or unauthenticated API server stops the
 * context; a 404 means the CRD is not installed (older charts lack some kinds).
 */
export async function readClusterReports(lister: ReportLister, options: ClusterReadOptions): Promise<ClusterReadResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const targets: { kind: ReportKind; namespace: string | undefined }[] = [];
  for (const kind of REPORT_KINDS) {
    if (options.namespaces.length === 0) targets.push({ kind, namespace: undefined });
    else if (kind.namespaced) for (const namespace of options.namespaces) targets.push({ kind, namespace });
  }
  if (options.namespaces.length > 0) notes.push("cluster-scoped report kinds are not listed when --namespace is given");

  let objects = 0;
  const missingKinds = new Set<string>();
  for (const target of targets) {
    let continueToken: string | undefined;
    // Objects of this list already handed on: a list can break on a later page (expired `continue`, dropped connection).
    let listed = 0;
    do {
      let page: ReportListPage;
      try {
        page = await lister.list({ kind: target.kind, namespace: target.namespace, limit: options.pageSize, continueToken });
      } catch (error) {
        const described = describeKubeError(error);
        const scope = target.namespace ? `in namespace "${target.namespace}"` : target.kind.namespaced ? "across all namespaces" : "(cluster-scoped)";
        if (described.kind === "unreachable") {
          const read = objects > 0 ? `stopped after ${objects} object(s), the rest of this context was not read` : "nothing read from this context";
          problems.push(`cannot reach the API server: ${described.message}; ${read}`);
          return { objects, problems, notes };
        }
        if (described.kind === "unauthorized") {
          problems.push(`the API server rejected the credentials (${described.message}); nothing more read from this context`);
          return { objects, problems, notes };
        }
        const after = listed > 0 ? ` after ${listed} object(s)` : "";
        const skipped = listed > 0 ? "the rest of that list was skipped" : "skipped";
        if (described.kind === "not-found" && listed === 0) missingKinds.add(target.kind.kind);
        else if (described.kind === "forbidden") problems.push(`forbidden to list ${target.kind.plural} ${scope}${after} (${described.message}); ${skipped}`);
        else problems.push(`listing ${target.kind.plural} ${scope} failed${after} (${described.message}); ${skipped}`);
        break;
      }
      for (const item of page.items) {
        objects++;
        listed++;
        options.onObject(item);
      }
      continueToken = page.continueToken;
    } while (continueToken);
  }
  const listedKinds = new Set(targets.map((target) => target.kind.kind));
  if (missingKinds.size > 0 && missingKinds.size === listedKinds.size) {
    problems.push("no Trivy Operator report CRDs found (HTTP 404 for every kind): is the operator installed in this cluster?");
  } else if (missingKinds.size > 0) {
    notes.push(`CRDs not installed (older chart?): ${[...missingKinds].join(", ")}`);
  }
  return { objects, problems, notes };
}

/** The real lister over @kubernetes/client-node 1.4.0 (object parameters, resolves to the body). */
export function clientNodeLister(resolved: ResolvedContext): ReportLister {
  const api = resolved.kubeConfig.makeApiClient(resolved.client.CustomObjectsApi);
  return {
    async list({ kind, namespace, limit, continueToken }) {
      const common = { group: REPORT_API_GROUP, version: REPORT_API_VERSION, plural: kind.plural, limit, _continue: continueToken };
      const body: unknown = namespace ? await api.listNamespacedCustomObject({ ...common, namespace }) : await api.listClusterCustomObject(common);
      return { items: asArray(asRecord(body)?.["items"]), continueToken: asString(getPath(body, "metadata", "continue")) || undefined };
    },
  };
}
