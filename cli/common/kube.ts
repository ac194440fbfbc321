import { asRecord, asString } from "./json-access";

/** The ESM-only client (1.4.0 on Node 20), loaded with a real dynamic import from this CommonJS build. */
// A type query is the only way a CommonJS file can name the types of an ESM-only package; the
// import attributes in it are not a value, whatever no-unsafe-assignment takes them for.
// eslint-disable-next-line @typescript-eslint/consistent-type-imports, @typescript-eslint/no-unsafe-assignment
export type ClientNode = typeof import("@kubernetes/client-node", { with: { "resolution-mode": "import" } });
export type KubeConfigInstance = InstanceType<ClientNode["KubeConfig"]>;

export interface ResolvedContext {
  readonly client: ClientNode;
  readonly kubeConfig: KubeConfigInstance;
  readonly context: string;
  readonly server: string;
}

/** A problem with a context that is the user's to fix (unknown name, no kubeconfig): one line, no stack. */
export class ContextError extends Error {}

export async function loadClientNode(): Promise<ClientNode> {
  return await import("@kubernetes/client-node");
}

/**
 * Loads the kubeconfig (`--kubeconfig`, else the default chain: $KUBECONFIG, ~/.kube/config, in-cluster)
 * and selects a context (the current one when none is named).
 */
export async function resolveContext(contextName: string | undefined, kubeconfigPath: string | undefined): Promise<ResolvedContext> {
  const client = await loadClientNode();
  const kubeConfig = new client.KubeConfig();
  try {
    if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new ContextError(`cannot load kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ""}: ${firstLine(error)}`);
  }
  if (!kubeconfigPath && isClientNodeFallback(kubeConfig)) {
    throw new ContextError("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config");
  }
  const context = contextName ?? kubeConfig.getCurrentContext();
  if (!context || !kubeConfig.getContextObject(context)) {
    const known = kubeConfig.getContexts().map((entry) => entry.name);
    throw new ContextError(`context "${context ?? ""}" is not in the kubeconfig (known: ${known.length > 0 ? known.join(", ") : "none"})`);
  }
  kubeConfig.setCurrentContext(context);
  const cluster = kubeConfig.getCurrentCluster();
  // client-node refuses plain http unless TLS verification is off, and would say so once per request.
  if (cluster?.server.startsWith("http://") && !cluster.skipTLSVerify) {
    throw new ContextError(
      `context "${context}" points at plain-HTTP server ${cluster.server}; the Kubernetes client only allows that with insecure-skip-tls-verify: true in the kubeconfig's cluster entry`,
    );
  }
  return { client, kubeConfig, context, server: cluster?.server ?? "(no server)" };
}

/**
 * With no KUBECONFIG, no ~/.kube/config and no in-cluster service account, client-node invents a
 * context "loaded-context" for http://localhost:8080 instead of failing; a user would then read
 * about a server they never configured.
 */
function isClientNodeFallback(kubeConfig: {
  getContexts(): ReadonlyArray<{ name: string }>;
  getCurrentCluster(): { server: string } | null;
}): boolean {
  const contexts = kubeConfig.getContexts();
  return (
    contexts.length === 1 && contexts[0]?.name === "loaded-context" && kubeConfig.getCurrentCluster()?.server === "http://localhost:8080"
  );
}

export type KubeErrorKind = "forbidden" | "not-found" | "unauthorized" | "unreachable" | "not-api" | "other";

/**
 * A 2xx answer that is not a Kubernetes list: an HTML page (a proxy, a login portal, a wrong
 * server) or anything else. Never an empty list.
 */
export class NotKubernetesApiError extends Error {
  constructor(server: string, body: unknown) {
    const text = typeof body === "string" ? body : (JSON.stringify(body) ?? String(body));
    const title = /<title[^>]*>([^<]{0,120})/i.exec(text)?.[1]?.trim();
    const what = /<html|<!doctype/i.test(text)
      ? `an HTML page${title ? ` ("${title}")` : ""}`
      : `something that is not a Kubernetes list (${text.replace(/\s+/g, " ").slice(0, 80)})`;
    super(
      `${server} answered with ${what} instead of the Kubernetes API (a proxy or login page in between, or the wrong server in the kubeconfig?)`,
    );
    this.name = "NotKubernetesApiError";
  }
}

export interface KubeErrorDescription {
  readonly kind: KubeErrorKind;
  readonly status: number | undefined;
  /** One line, for the user: the API's own `message` when there is one. */
  readonly message: string;
}

const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Classifies what @kubernetes/client-node throws: `ApiException` (HTTP status in `code`) or node-fetch's `FetchError` (`code: "ECONNREFUSED"`, …). */
export function describeKubeError(error: unknown): KubeErrorDescription {
  if (error instanceof NotKubernetesApiError) return { kind: "not-api", status: undefined, message: error.message };
  const record = asRecord(error) ?? {};
  const code = record["code"];
  if (typeof code === "number") {
    const body = record["body"];
    const bodyMessage = asString(asRecord(body)?.["message"]) ?? (typeof body === "string" ? tryStatusMessage(body) : undefined);
    const message = `HTTP ${code}${bodyMessage ? `: ${bodyMessage}` : ""}`;
    const kind: KubeErrorKind = code === 403 ? "forbidden" : code === 404 ? "not-found" : code === 401 ? "unauthorized" : "other";
    return { kind, status: code, message };
  }
  const message = firstLine(error);
  if (
    (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) ||
    asString(record["type"]) === "system" ||
    /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|socket hang up/.test(message)
  ) {
    return { kind: "unreachable", status: undefined, message };
  }
  return { kind: "other", status: undefined, message };
}

function tryStatusMessage(body: string): string | undefined {
  try {
    return asString(asRecord(JSON.parse(body))?.["message"]);
  } catch {
    return body.slice(0, 200) || undefined;
  }
}

export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n")[0] ?? text).trim();
}
