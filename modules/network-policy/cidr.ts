import { isIPv4, isIPv6 } from "node:net";

/** A parsed CIDR block; `network` holds the address bits as one integer. */
export interface ParsedCidr {
  readonly text: string;
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

/** Why a CIDR string was rejected, phrased as the fix. */
export type CidrProblem = { readonly ok: false; readonly problem: string };
export type CidrParseResult = { readonly ok: true; readonly cidr: ParsedCidr } | CidrProblem;

/**
 * Parses `a.b.c.d/n` or an IPv6 `x::y/n`. Rejects a missing mask and host bits set, because every
 * policy engine reads those differently (Kubernetes keeps the host bits, Calico masks them) and a
 * single address without a mask is the classic "/32 forgotten" slip.
 */
export function parseCidr(text: string): CidrParseResult {
  const slash = text.indexOf("/");
  if (slash < 0) {
    if (isIPv4(text)) return { ok: false, problem: `it has no prefix length; did you mean "${text}/32"?` };
    if (isIPv6(text)) return { ok: false, problem: `it has no prefix length; did you mean "${text}/128"?` };
    return { ok: false, problem: "it is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8" };
  }
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const version = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  if (version === undefined) return { ok: false, problem: `"${address}" is not an IPv4 or IPv6 address` };
  const maxPrefix = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return { ok: false, problem: `the prefix length must be 0-${maxPrefix}` };
  }
  const prefixLength = Number(prefixText);
  const bits = version === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  const network = bits & prefixMask(version, prefixLength);
  if (network !== bits) {
    const suggestion = `${formatAddress(version, network)}/${prefixLength}`;
    return { ok: false, problem: `it has host bits set; did you mean "${suggestion}" (or "${address}/${maxPrefix}" for one address)?` };
  }
  return { ok: true, cidr: { text, version, network, prefixLength } };
}

/** Parses a CIDR that has already passed validation. */
export function mustParseCidr(text: string): ParsedCidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(`internal: "${text}" should have been validated: ${result.problem}`);
  return result.cidr;
}

/** True when every address of `inner` is also in `outer` (equal blocks included). */
export function cidrContains(outer: ParsedCidr, inner: ParsedCidr): boolean {
  if (outer.version !== inner.version || inner.prefixLength < outer.prefixLength) return false;
  return (inner.network & prefixMask(outer.version, outer.prefixLength)) === outer.network;
}

function prefixMask(version: 4 | 6, prefixLength: number): bigint {
  const width = version === 4 ? 32n : 128n;
  const all = (1n << width) - 1n;
  return all ^ ((1n << (width - BigInt(prefixLength))) - 1n);
}

function ipv4ToBigInt(address: string): bigint {
  return address.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4ToBigInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function formatAddress(version: 4 | 6, bits: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((bits >> shift) & 0xffn).toString()).join(".");
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups so the suggestion looks like what people type.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}
