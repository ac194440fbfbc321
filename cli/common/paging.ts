import { asString, getPath } from "./json-access";
import { describeKubeError } from "./kube";

export interface ListPage {
  readonly items: readonly unknown[];
  /** The API server's `metadata.continue`; undefined (or "") on the last page. */
  readonly continueToken: string | undefined;
}

/** Fetches one page of a list: the first without a token, the next with the previous page's token. */
export type PageFetcher = (continueToken: string | undefined) => Promise<ListPage>;

export interface PagedListResult {
  /** Distinct objects handed on. */
  readonly listed: number;
  /** True when a `continue` token expired (HTTP 410) and the list was read again from the start. */
  readonly restarted: boolean;
}

/** A list that broke: the API error, and how far it got so the warning does not claim nothing was read. */
export class PagedListError extends Error {
  constructor(
    readonly apiError: unknown,
    readonly listed: number,
    readonly restarted: boolean,
  ) {
    super(describeKubeError(apiError).message);
    this.name = "PagedListError";
  }
}

/** uid when the object has one (the API server always sets it), else namespace/name; undefined when neither identifies it. */
function objectIdentity(object: unknown): string | undefined {
  const uid = asString(getPath(object, "metadata", "uid"));
  if (uid) return `uid:${uid}`;
  const name = asString(getPath(object, "metadata", "name"));
  if (!name) return undefined;
  return `name:${asString(getPath(object, "metadata", "namespace")) ?? ""}/${name}`;
}

/**
 * Reads a list page by page (`limit` + `continue`), handing each object on and keeping only its
 * identity. A `continue` token older than the etcd compaction window gets HTTP 410 Gone; the API
 * server's advice is to start a new list, so the list is read once more from the beginning and the
 * objects already handed on are skipped (by uid): nothing is counted twice. A second failure, or
 * any other error, throws a PagedListError.
 *
 * Memory: one page plus one short string per object of this list (dropped when the list ends).
 */
export async function readPagedList(
  fetchPage: PageFetcher,
  onItem: (item: unknown) => void,
  afterPage?: () => Promise<void>,
): Promise<PagedListResult> {
  const seen = new Set<string>();
  let listed = 0;
  let restarted = false;
  let continueToken: string | undefined;
  for (;;) {
    let page: ListPage;
    try {
      page = await fetchPage(continueToken);
    } catch (error) {
      const expiredToken = continueToken !== undefined && describeKubeError(error).status === 410;
      if (expiredToken && !restarted) {
        restarted = true;
        continueToken = undefined;
        continue;
      }
      throw new PagedListError(error, listed, restarted);
    }
    for (const item of page.items) {
      const identity = objectIdentity(item);
      if (identity !== undefined) {
        if (seen.has(identity)) continue;
        seen.add(identity);
      }
      listed++;
      onItem(item);
    }
    await afterPage?.();
    continueToken = page.continueToken || undefined;
    if (continueToken === undefined) return { listed, restarted };
  }
}
