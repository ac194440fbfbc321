import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/**
 * A small stand-in for the Kubernetes API server, so the real @kubernetes/client-node wiring
 * (kubeconfig, bearer token, paths, `limit`/`continue` paging, Status errors, pod logs) runs in the
 * offline unit tier. It listens on 127.0.0.1 only, answers GET requests the way the API server does,
 * records every request, and lists the ones no real client of ours should make in `unexpected`.
 *
 * One server serves several kube contexts: each context's user has its own bearer token, and the
 * token selects the scenario (objects, failures) that server answers with. An unknown token gets
 * the API server's 401, which is how an expired credential looks.
 */

/** A resource the API server serves (a built-in type or an installed CRD). */
export interface ApiResource {
  /** `v1` for the core group, else `group/version`. */
  readonly groupVersion: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /**
   * Custom resources keep `apiVersion`/`kind` on every list item; built-in types do not (the real
   * API server drops them from the items of a PodList), which is why callers must not rely on them.
   */
  readonly custom: boolean;
}

/** The built-in resources `doctor` reads. */
export const BUILTIN_RESOURCES: readonly ApiResource[] = [
  { groupVersion: "v1", plural: "pods", kind: "Pod", namespaced: true, custom: false },
  { groupVersion: "v1", plural: "events", kind: "Event", namespaced: true, custom: false },
  { groupVersion: "batch/v1", plural: "jobs", kind: "Job", namespaced: true, custom: false },
  { groupVersion: "apps/v1", plural: "deployments", kind: "Deployment", namespaced: true, custom: false },
];

/** The resources that CRD manifests (e.g. test/fixtures/crds) install: one per served version. */
export function resourcesFromCrds(directory: string): ApiResource[] {
  const resources: ApiResource[] = [];
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith(".yaml"))
    .sort()) {
    const crd = parse(readFileSync(join(directory, file), "utf8")) as {
      spec: { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string; served: boolean }[] };
    };
    for (const version of crd.spec.versions.filter((entry) => entry.served)) {
      resources.push({
        groupVersion: `${crd.spec.group}/${version.name}`,
        plural: crd.spec.names.plural,
        kind: crd.spec.names.kind,
        namespaced: crd.spec.scope === "Namespaced",
        custom: true,
      });
    }
  }
  return resources;
}

/** A canned error answer: the API server's `Status` object with this code, or a dropped connection. */
export interface FailureRule {
  /** Exact request path (no query), or a pattern over it. */
  readonly path: string | RegExp;
  /**
   * 410 is what an expired `continue` token gets; "reset" closes the socket without an answer;
   * "hang" accepts the request and never answers (a stuck proxy or API server); "html" answers
   * 200 with an HTML page, as a proxy's or SSO portal's login page does.
   */
  readonly code: 401 | 403 | 404 | 410 | 500 | "reset" | "hang" | "html";
  /** Empty for "reset". */
  readonly message: string;
  /** Only for requests that carry `continue`: the list breaks after its first page. */
  readonly onlyWithContinue?: boolean;
  /** Answer only the first N matching requests with this failure, then serve normally (a token that expired once). */
  readonly times?: number;
}

export interface FakeScenario {
  /** Objects with `apiVersion`, `kind` and `metadata` (namespace when namespaced); served by list endpoints in this order. */
  readonly objects: readonly unknown[];
  /** What the server knows; a CRD left out answers 404 like one that is not installed. */
  readonly resources: readonly ApiResource[];
  /** Answers pages smaller than the client's `limit` (the API server may: `limit` is an upper bound). */
  readonly maxPageSize?: number;
  /** Pod logs by pod name (any namespace); a pod without one answers 404. */
  readonly logs?: Readonly<Record<string, string>>;
  readonly failures?: readonly FailureRule[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The bearer token, i.e. which kube context sent it. */
  readonly token: string | undefined;
  /** 0 when the connection was dropped on purpose. */
  readonly status: number;
  /** For list answers: how many items, and the continue token handed back ("" on the last page). */
  readonly items?: number;
  readonly continueOut?: string;
}

export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** `METHOD path?query (why)` for every request a real client of ours should never send. */
  readonly unexpected: readonly string[];
  requestsFrom(token: string): RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeKubeApiOptions {
  /** By bearer token. */
  readonly scenarios: Readonly<Record<string, FakeScenario>>;
  /** Bound on the requests answered; later ones get 503 and count as unexpected (a paging loop that never ends). */
  readonly maxRequests?: number;
}

/** The query parameters our client is expected to send, per endpoint shape; anything else is unexpected (e.g. `watch`). */
const LIST_PARAMS = new Set(["limit", "continue", "labelSelector", "fieldSelector"]);
const LOG_PARAMS = new Set(["tailLines"]);

const PATH_PATTERN = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

const REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  410: "Expired",
  500: "InternalError",
  503: "ServiceUnavailable",
};

interface ContinuePosition {
  readonly path: string;
  readonly offset: number;
}

// Opaque to the client, like the real one; it names the list it belongs to so a token replayed on another list is caught.
const encodeContinue = (position: ContinuePosition): string => Buffer.from(JSON.stringify(position)).toString("base64url");
function decodeContinue(token: string): ContinuePosition | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<ContinuePosition>;
    return typeof value.path === "string" && typeof value.offset === "number" ? { path: value.path, offset: value.offset } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The API server's selector forms our clients send: a label selector of `key`, `!key`, `key=value`
 * or `key!=value` requirements, and a field selector of `path=value` / `path!=value` over
 * dotted field paths (`type`, `involvedObject.kind`), comma-separated and all required. Any other form
 * answers undefined, which the fake reports as unexpected.
 */
function selectorMatcher(
  selector: string,
  valueAt: (object: unknown, key: string) => string | undefined,
): ((object: unknown) => boolean) | undefined {
  const requirements = selector.split(",").map((requirement) => {
    const match = /^(!?)([A-Za-z0-9._/-]+)(?:(!=|==?)(.*))?$/.exec(requirement.trim());
    if (!match) return undefined;
    const [, negated, key = "", operator, expected] = match;
    if (negated && operator) return undefined;
    return (object: unknown): boolean => {
      const actual = valueAt(object, key);
      if (operator === undefined) return negated ? actual === undefined : actual !== undefined;
      return operator === "!=" ? actual !== expected : actual === expected;
    };
  });
  if (requirements.some((requirement) => requirement === undefined)) return undefined;
  return (object) => requirements.every((requirement) => requirement!(object));
}

const labelValue = (object: unknown, key: string): string | undefined => {
  const value = (object as { metadata?: { labels?: Record<string, unknown> } }).metadata?.labels?.[key];
  return typeof value === "string" ? value : undefined;
};

const fieldValue = (object: unknown, path: string): string | undefined => {
  let current: unknown = object;
  for (const part of path.split("."))
    current = typeof current === "object" && current !== null ? (current as Record<string, unknown>)[part] : undefined;
  return typeof current === "string" ? current : undefined;
};

interface ObjectShape {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { readonly namespace?: unknown };
}

export async function startFakeKubeApi(options: FakeKubeApiOptions): Promise<FakeKubeApi> {
  const maxRequests = options.maxRequests ?? 2000;
  const requests: RecordedRequest[] = [];
  const unexpected: string[] = [];
  // Per rule, per server: how often it has answered (for `times`).
  const failuresServed = new Map<FailureRule, number>();

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries(url.searchParams);
    const method = request.method ?? "GET";
    const authorization = request.headers.authorization;
    const token = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined;
    const record = (status: number, extra: { items?: number; continueOut?: string } = {}): void => {
      requests.push({ method, path: url.pathname, query, token, status, ...extra });
    };
    const sendJson = (status: number, body: unknown, extra: { items?: number; continueOut?: string } = {}): void => {
      record(status, extra);
      const text = JSON.stringify(body);
      response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      response.end(text);
    };
    const fail = (status: number, message: string, why?: string): void => {
      if (why) unexpected.push(`${method} ${url.pathname}${url.search} (${why})`);
      sendJson(status, statusBody(status, REASONS[status] ?? "Unknown", message));
    };

    if (requests.length >= maxRequests) return fail(503, "fake API server: request bound reached", `more than ${maxRequests} requests`);
    if (method !== "GET") return fail(405, `the server does not allow this method on the requested resource`, "not a GET");
    const scenario = token === undefined ? undefined : options.scenarios[token];
    // Same answer as a real API server to an expired or unknown token (and the client reads nothing else from it).
    if (!scenario) return fail(401, "Unauthorized");

    const failure = scenario.failures?.find(
      (rule) =>
        (typeof rule.path === "string" ? rule.path === url.pathname : rule.path.test(url.pathname)) &&
        (!rule.onlyWithContinue || query["continue"] !== undefined) &&
        (rule.times === undefined || (failuresServed.get(rule) ?? 0) < rule.times),
    );
    if (failure) failuresServed.set(failure, (failuresServed.get(failure) ?? 0) + 1);
    if (failure?.code === "reset") {
      record(0);
      request.socket.destroy();
      return;
    }
    if (failure?.code === "hang") {
      record(0);
      return;
    }
    if (failure?.code === "html") {
      record(200);
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(`<!doctype html><html><head><title>${failure.message}</title></head><body><form>…</form></body></html>`);
      return;
    }
    if (failure) return fail(failure.code, failure.message);

    const match = PATH_PATTERN.exec(url.pathname);
    if (!match) return fail(404, "the server could not find the requested resource", "not an API path");
    const groupVersion = match[1] ?? `${match[2]}/${match[3]}`;
    const [namespace, plural, name, subresource] = [match[4], match[5] ?? "", match[6], match[7]];
    const resource = scenario.resources.find((entry) => entry.groupVersion === groupVersion && entry.plural === plural);

    if (name !== undefined) {
      if (plural !== "pods" || subresource !== "log" || namespace === undefined)
        return fail(404, "the server could not find the requested resource", "only pod logs are read by name");
      const extra = Object.keys(query).filter((key) => !LOG_PARAMS.has(key));
      if (extra.length > 0) unexpected.push(`${method} ${url.pathname}${url.search} (unexpected query ${extra.join(", ")})`);
      const log = scenario.logs?.[name];
      if (log === undefined) return fail(404, `pods "${name}" not found`, "log of a pod the scenario has no log for");
      const tail = query["tailLines"] === undefined ? undefined : Number(query["tailLines"]);
      const lines = log.split("\n");
      if (lines.at(-1) === "") lines.pop();
      const text = tail === undefined ? log : `${lines.slice(-tail).join("\n")}\n`;
      record(200);
      response.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
      response.end(text);
      return;
    }

    if (!resource) {
      // A CRD that is not installed answers 404, which `report` handles; an unknown built-in group is our mistake.
      const why = groupVersion.startsWith("aquasecurity.github.io/") ? undefined : `no such resource ${groupVersion}/${plural}`;
      return fail(404, "the server could not find the requested resource", why);
    }
    if (namespace !== undefined && !resource.namespaced)
      return fail(404, "the server could not find the requested resource", `${plural} is cluster-scoped`);
    const extra = Object.keys(query).filter((key) => !LIST_PARAMS.has(key));
    if (extra.length > 0) unexpected.push(`${method} ${url.pathname}${url.search} (unexpected query ${extra.join(", ")})`);

    const selectors = [
      [query["labelSelector"], labelValue],
      [query["fieldSelector"], fieldValue],
    ] as const;
    const matchers: Array<(object: unknown) => boolean> = [];
    for (const [selector, valueAt] of selectors) {
      if (selector === undefined) continue;
      const matcher = selectorMatcher(selector, valueAt);
      if (!matcher) return fail(400, `unable to parse requirement: ${selector}`, "a selector form the fake does not serve");
      matchers.push(matcher);
    }
    const selected = scenario.objects.filter((object) => {
      const shape = object as ObjectShape;
      if (shape.kind !== resource.kind || shape.apiVersion !== resource.groupVersion) return false;
      if (!matchers.every((matches) => matches(object))) return false;
      return namespace === undefined || shape.metadata?.namespace === namespace;
    });
    let offset = 0;
    if (query["continue"] !== undefined) {
      const position = decodeContinue(query["continue"]);
      if (!position || position.path !== url.pathname) return fail(400, "continue key is not valid", "continue token of another list");
      offset = position.offset;
    }
    const limit = query["limit"] === undefined ? Number.POSITIVE_INFINITY : Number(query["limit"]);
    if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY) return fail(400, `invalid limit ${query["limit"]}`, "bad limit");
    const pageSize = Math.min(limit, scenario.maxPageSize ?? Number.POSITIVE_INFINITY);
    const page = selected.slice(offset, offset + pageSize);
    const next = offset + page.length;
    const continueOut = next < selected.length ? encodeContinue({ path: url.pathname, offset: next }) : "";
    const items = page.map((object) => {
      if (resource.custom) return object;
      const { apiVersion: _apiVersion, kind: _kind, ...rest } = object as Record<string, unknown>;
      return rest;
    });
    const metadata: Record<string, unknown> = { resourceVersion: "424242" };
    if (continueOut) Object.assign(metadata, { continue: continueOut, remainingItemCount: selected.length - next });
    sendJson(
      200,
      { apiVersion: resource.groupVersion, kind: `${resource.kind}List`, metadata, items },
      { items: page.length, continueOut },
    );
  };

  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      // A bug in the fake itself: answer 500 and make the test fail on it rather than hang the client.
      unexpected.push(`${request.method} ${request.url} (fake server error: ${String(error)})`);
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify(statusBody(500, "InternalError", "fake server error")));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unexpected,
    requestsFrom: (token) => requests.filter((request) => request.token === token),
    async close() {
      // Keep-alive sockets of the client's agent would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL nothing listens on (a port that was just free), for "API server unreachable". */
export async function unusedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface KubeconfigContext {
  readonly name: string;
  /** Bearer token: selects the fake server's scenario. */
  readonly token: string;
  readonly server: string;
}

/**
 * Writes a kubeconfig with one cluster, user and context per entry. client-node 1.4.0 refuses a plain
 * `http://` server unless `insecure-skip-tls-verify` is set ("HTTP protocol is not allowed when
 * skipTLSVerify is not set or false"), so it is set; no TLS is needed on loopback.
 */
export function writeKubeconfig(path: string, contexts: readonly KubeconfigContext[], currentContext?: string): string {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: contexts.map((context) => ({ name: context.name, cluster: { server: context.server, "insecure-skip-tls-verify": true } })),
    users: contexts.map((context) => ({ name: context.name, user: { token: context.token } })),
    contexts: contexts.map((context) => ({ name: context.name, context: { cluster: context.name, user: context.name } })),
    "current-context": currentContext ?? contexts[0]?.name ?? "",
    preferences: {},
  };
  writeFileSync(path, stringify(config));
  return path;
}
