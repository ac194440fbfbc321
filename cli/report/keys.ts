import type { FindingFamily } from "./kinds";

/** `index.docker.io/library/nginx:1.16` → `index.docker.io/library/nginx` (tags and digests change every release). */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

/**
 * `ReplicaSet/nginx-6d4cf56db6` → `ReplicaSet/nginx`: every rollout creates a new ReplicaSet name,
 * and a finding of the same Deployment must not look "new" each month.
 */
export function stableWorkload(workload: string): string {
  if (!workload.startsWith("ReplicaSet/")) return workload;
  return workload.replace(/-[a-z0-9]{6,10}$/, "");
}

/**
 * The identity of a finding across runs (`--baseline`, schemaVersion 2):
 * `family|cluster|namespace|subject|id|detail`. The namespace ("" for the cluster-scoped kinds)
 * says which list the finding came from, so a comparison can tell whether that list was read
 * completely. A vulnerability or secret's subject is the image repository (not tag), a failed
 * check's the stable workload. Cluster names may not contain `|` (checked at parse time).
 */
export function findingKey(family: FindingFamily, cluster: string, namespace: string, subject: string, id: string, detail: string): string {
  return `${findingPrefix(family, cluster, namespace, subject)}|${id}|${detail}`;
}

/** The first four fields of a findingKey: what all findings of one report share. */
export function findingPrefix(family: FindingFamily, cluster: string, namespace: string, subject: string): string {
  return [family, cluster, namespace, subject].join("|");
}

export interface FindingKeyParts {
  readonly family: string;
  readonly cluster: string;
  /** undefined for a schemaVersion 1 key, which did not record it. */
  readonly namespace: string | undefined;
  readonly subject: string;
  readonly id: string;
  readonly detail: string;
}

/** Splits a key of either schema version; a schemaVersion 1 check key kept the namespace in its subject (`ns/Kind/name`). */
export function parseFindingKey(key: string, schemaVersion: 1 | 2): FindingKeyParts {
  const parts = key.split("|");
  if (schemaVersion === 2 && parts.length >= 6) {
    const [family = "", cluster = "", namespace = "", subject = "", id = "", ...detail] = parts;
    return { family, cluster, namespace, subject, id, detail: detail.join("|") };
  }
  const [family = "", cluster = "", subject = "", id = "", ...detail] = parts;
  return { family, cluster, namespace: undefined, subject, id, detail: detail.join("|") };
}

/** The schemaVersion 1 spelling of a key, to compare a current run with an old baseline. */
export function keyInSchema1(parts: FindingKeyParts): string {
  const subject =
    parts.family === "vulnerability" || parts.family === "exposedSecret" ? parts.subject : `${parts.namespace ?? ""}/${parts.subject}`;
  return [parts.family, parts.cluster, subject, parts.id, parts.detail].join("|");
}

const FAMILY_WORDS: Readonly<Record<string, string>> = {
  vulnerability: "vulnerability",
  exposedSecret: "exposed secret",
  configAudit: "failed config-audit check",
  rbacAssessment: "failed RBAC check",
  infraAssessment: "failed infra check",
};

/**
 * A key as a reader says it: `CVE-2019-20367 in libwebp6, image index.docker.io/library/nginx (cluster prod, namespace default)`,
 * `failed config-audit check KSV014 on ReplicaSet/nginx (cluster prod, namespace default)`.
 */
export function describeFindingKey(parts: FindingKeyParts): string {
  const where = `cluster ${parts.cluster}${parts.namespace === undefined ? "" : parts.namespace === "" ? ", cluster-scoped" : `, namespace ${parts.namespace}`}`;
  if (parts.family === "vulnerability") return `${parts.id}${parts.detail ? ` in ${parts.detail}` : ""}, image ${parts.subject} (${where})`;
  if (parts.family === "exposedSecret")
    return `exposed secret ${parts.id}${parts.detail ? ` in ${parts.detail}` : ""}, image ${parts.subject} (${where})`;
  return `${FAMILY_WORDS[parts.family] ?? parts.family} ${parts.id} on ${parts.subject} (${where})`;
}
