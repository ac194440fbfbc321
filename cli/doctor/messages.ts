import type { Signal } from "./evidence";

/**
 * What a failing pull was fetching, read from the message itself: the registry path names the
 * artifact (`…/v2/aquasecurity/trivy-db/blobs/…` is the vulnerability DB, `…/v2/aquasec/trivy/manifests/…`
 * an image being scanned), and Trivy's error chain says which step failed (`DB error:`, `image scan error:`,
 * the operator's `failed to download policies`). A rate limit or a timeout means different fixes for each.
 */
export type Artifact = "vulnerability-db" | "java-db" | "checks-bundle" | "image";

/** `GET https://ghcr.io/v2/aquasecurity/trivy-db/blobs/sha256:…` → host + repository. */
const REGISTRY_REQUEST = /\b(?:GET|Get|HEAD|Head)\s+\\?"?(https?):\/\/([^/\s"\\]+)\/v2\/(?:([^\s"\\]+?)\/(?:manifests|blobs|tags)\/)?/;

export interface RegistryRequest {
  readonly host: string;
  /** Undefined for the `/v2/` ping. */
  readonly repository: string | undefined;
}

export function registryRequestOf(message: string): RegistryRequest | undefined {
  const match = REGISTRY_REQUEST.exec(message);
  return match ? { host: match[2] ?? "", repository: match[3] } : undefined;
}

export function registryHostOf(message: string): string | undefined {
  return registryRequestOf(message)?.host;
}

export function artifactOf(signal: Pick<Signal, "message" | "logger">): Artifact | undefined {
  const { message } = signal;
  const repository = registryRequestOf(message)?.repository;
  if (repository !== undefined) {
    if (/(?:^|\/)trivy-java-db$/.test(repository)) return "java-db";
    if (/(?:^|\/)trivy-db$/.test(repository)) return "vulnerability-db";
    if (/(?:^|\/)trivy-checks$/.test(repository)) return "checks-bundle";
  }
  // trivy-operator v0.32.0 pkg/policy/loader.go: `failed to load policies` under logger `policyLoader.…`.
  if (signal.logger?.startsWith("policyLoader") || /failed to (?:load|download) policies|built-in policies/.test(message))
    return "checks-bundle";
  if (/java DB|Java DB|javadb/i.test(message) && /download|OCI/i.test(message)) return "java-db";
  if (/DB error|failed to download vulnerability DB|database download error/.test(message)) return "vulnerability-db";
  if (
    repository !== undefined ||
    /image scan error|unable to inspect the image|remote error|unable to find the specified image|unable to initialize an? (?:remote )?image scanner/.test(
      message,
    )
  )
    return "image";
  return undefined;
}

/** `dial tcp 10.20.0.15:443: i/o timeout` → `{ address: "10.20.0.15", port: 443 }`; a DNS timeout (`dial tcp: lookup …`) is not one. */
export function dialTimeouts(message: string): { readonly address: string; readonly port: number }[] {
  return [...message.matchAll(/dial tcp (\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\]):(\d+): i\/o timeout/g)].map((match) => ({
    address: (match[1] ?? "").replace(/^\[|\]$/g, ""),
    port: Number(match[2]),
  }));
}

/** RFC 1918, RFC 6598 (carrier-grade NAT, used for pod/service ranges on some clouds), and IPv6 ULA. */
export function isPrivateAddress(address: string): boolean {
  const octets = address.split(".").map(Number);
  if (octets.length === 4 && octets.every((octet) => Number.isInteger(octet) && octet >= 0 && octet <= 255)) {
    const [a = 0, b = 0] = octets;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return /^f[cd][0-9a-f]{2}:/i.test(address);
}

/* eslint-disable no-control-regex -- finding escape sequences and control characters is the point */
const COLOUR_CODE = /\u001b\[[0-9;]*m/g;
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]/g;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/g;
/* eslint-enable no-control-regex */

/** Without colour codes: Trivy before 0.50 colours its level (`\u001b[31mFATAL\u001b[0m`) even in a pod's log. */
export function withoutColour(text: string): string {
  return text.replace(COLOUR_CODE, "");
}

/** Log and capture text is untrusted: no escape sequence (colour, "clear screen", …) or control character reaches the terminal. */
export function printable(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(CONTROL_CHARACTER, "");
}
