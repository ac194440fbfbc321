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
 * The identity of a finding across runs (`--baseline`): a vulnerability or secret is identified by
 * cluster + image repository (not tag), a failed check by cluster + namespace + stable workload.
 */
export function findingKey(family: FindingFamily, cluster: string, subject: string, id: string, detail: string): string {
  return [family, cluster, subject, id, detail].join("|");
}
