import type { Socket } from "node:net";
import type { ClientNode } from "./kube";
import { formatDuration, parseDuration } from "./duration";
import type { OptionTable } from "./options";

/** How long a live call may wait; every command that talks to an API server takes these options. */
export interface KubeTimeouts {
  /** TCP connect plus TLS handshake. */
  readonly connectMs: number;
  /** Silence on an open connection: no answer yet, or a body that stopped arriving. Reset by every byte. */
  readonly readMs: number;
}

export const DEFAULT_KUBE_TIMEOUTS: KubeTimeouts = { connectMs: 10_000, readMs: 30_000 };

/** The two options, for a command's option table (`{ ...own, ...KUBE_TIMEOUT_OPTIONS }`). */
export const KUBE_TIMEOUT_OPTIONS = {
  "connect-timeout": {
    type: "string",
    value: "DUR",
    section: "Live clusters",
    help: `live: give up on an API server that does not accept the connection (TCP + TLS) in time (default ${formatDuration(DEFAULT_KUBE_TIMEOUTS.connectMs)})`,
  },
  "read-timeout": {
    type: "string",
    value: "DUR",
    section: "Live clusters",
    help: `live: give up on a connection that stays silent this long (default ${formatDuration(DEFAULT_KUBE_TIMEOUTS.readMs)})`,
  },
} as const satisfies OptionTable;

export function kubeTimeoutsFrom(values: { readonly "connect-timeout"?: string; readonly "read-timeout"?: string }): KubeTimeouts {
  return {
    connectMs:
      values["connect-timeout"] === undefined
        ? DEFAULT_KUBE_TIMEOUTS.connectMs
        : parseDuration(values["connect-timeout"], "--connect-timeout"),
    readMs: values["read-timeout"] === undefined ? DEFAULT_KUBE_TIMEOUTS.readMs : parseDuration(values["read-timeout"], "--read-timeout"),
  };
}

interface AgentLike {
  createConnection?: (...args: unknown[]) => unknown;
}

/** The per-call options every generated API method of client-node 1.4.0 takes last. */
export type KubeCallOptions = NonNullable<Parameters<InstanceType<ClientNode["CustomObjectsApi"]>["listClusterCustomObject"]>[1]>;
type KubeMiddleware = NonNullable<KubeCallOptions["middleware"]>[number];

/**
 * Per-call options for @kubernetes/client-node 1.4.0 API calls (the last argument of e.g.
 * `listClusterCustomObject(param, options)`) that put both timeouts on the request's socket.
 *
 * client-node's generated `RequestFactory` calls `KubeConfig.applySecurityAuthentication`, which
 * gives each request a fresh agent (`KubeConfig.createAgent`: https.Agent, http.Agent or a proxy
 * agent), before `ObservableAPI` runs each `middleware.pre` (the object-parameter API hands these
 * options to the Observable API, so `pre` returns client-node's own `Observable`). node-fetch 2
 * (`gen/http/isomorphic-fetch.js`) hands that agent to http.request, which asks it for the socket.
 * Wrapping the agent's `createConnection` is therefore the one place that sees the socket of every
 * call; a destroyed socket surfaces as node-fetch's FetchError (type "system"), which
 * describeKubeError classifies as "unreachable", with our message in it.
 */
export function kubeRequestOptions(client: Pick<ClientNode, "Observable">, timeouts: KubeTimeouts): KubeCallOptions {
  const middleware: KubeMiddleware = {
    pre(context) {
      const agent = context.getAgent() as AgentLike | undefined;
      if (agent && typeof agent.createConnection === "function") guardAgent(agent, timeouts);
      return new client.Observable(Promise.resolve(context));
    },
    post(context) {
      return new client.Observable(Promise.resolve(context));
    },
  };
  return { middlewareMergeStrategy: "append", middleware: [middleware] };
}

const guarded = new WeakSet<object>();

function guardAgent(agent: AgentLike, timeouts: KubeTimeouts): void {
  if (guarded.has(agent)) return;
  guarded.add(agent);
  const create = agent.createConnection?.bind(agent);
  if (!create) return;
  agent.createConnection = (...args: unknown[]): unknown => {
    const socket = create(...args);
    if (socket && typeof (socket as Socket).setTimeout === "function") guardSocket(socket as Socket, timeouts);
    return socket;
  };
}

export function guardSocket(socket: Socket, timeouts: KubeTimeouts): void {
  const secure = (socket as Socket & { encrypted?: boolean }).encrypted === true;
  const connectTimer = setTimeout(() => {
    socket.destroy(new Error(`no connection within ${formatDuration(timeouts.connectMs)} (--connect-timeout)`));
  }, timeouts.connectMs);
  const connected = (): void => {
    clearTimeout(connectTimer);
    socket.setTimeout(timeouts.readMs);
  };
  socket.once(secure ? "secureConnect" : "connect", connected);
  socket.once("close", () => clearTimeout(connectTimer));
  socket.on("timeout", () => {
    socket.destroy(new Error(`no answer for ${formatDuration(timeouts.readMs)} (--read-timeout)`));
  });
}
