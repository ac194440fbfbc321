import { describeKubeError, type ResolvedContext } from "../common/kube";
import { asArray, asRecord, asString, getPath } from "../common/json-access";
import { componentOf } from "./evidence";

export type NamespacedKind = "Pod" | "Job" | "Event" | "Deployment";

/** What doctor reads from a cluster; injected so unit tests need no network. */
export interface DoctorApi {
  list(kind: NamespacedKind, namespace: string): Promise<readonly unknown[]>;
  podLog(pod: string, namespace: string, tailLines: number): Promise<string>;
}

export interface LiveEvidence {
  readonly objects: readonly unknown[];
  readonly logs: readonly { readonly name: string; readonly text: string }[];
  readonly problems: readonly string[];
}

const KINDS: readonly NamespacedKind[] = ["Deployment", "Job", "Pod", "Event"];

/** Lists the namespace's objects and the operator pods' logs; a 403 on one kind is a warning, an unreachable server stops. */
export async function collectLiveEvidence(api: DoctorApi, namespace: string, tailLines: number): Promise<LiveEvidence> {
  const objects: unknown[] = [];
  const logs: { name: string; text: string }[] = [];
  const problems: string[] = [];
  for (const [index, kind] of KINDS.entries()) {
    try {
      for (const item of await api.list(kind, namespace)) objects.push({ ...asRecord(item), kind });
    } catch (error) {
      const described = describeKubeError(error);
      if (described.kind === "unreachable" || described.kind === "unauthorized") {
        // Kinds listed before the failure are still diagnosed, so say what was left out rather than "nothing".
        const left = [...KINDS.slice(index).map((name) => `${name}s`), "the operator logs"];
        const read = objects.length > 0 ? `stopped after ${objects.length} object(s): ${left.slice(0, -1).join(", ")} and ${left.at(-1)} were not inspected` : "nothing inspected";
        problems.push(`cannot read from the API server (${described.message}); ${read}`);
        return { objects, logs, problems };
      }
      problems.push(`cannot list ${kind}s in namespace "${namespace}" (${described.message}); rules that need them were skipped`);
    }
  }
  const operatorPods = objects.filter((object) => asString(getPath(object, "kind")) === "Pod" && componentOf(asString(getPath(object, "metadata", "name")) ?? "", asRecord(getPath(object, "metadata", "labels"))) === "operator");
  for (const pod of operatorPods) {
    const name = asString(getPath(pod, "metadata", "name")) ?? "";
    try {
      logs.push({ name: `logs of ${name}`, text: await api.podLog(name, namespace, tailLines) });
    } catch (error) {
      problems.push(`cannot read the logs of pod ${name} (${describeKubeError(error).message}); log rules were skipped for it`);
    }
  }
  return { objects, logs, problems };
}

/** The real API over @kubernetes/client-node 1.4.0. */
export function clientNodeDoctorApi(resolved: ResolvedContext): DoctorApi {
  const core = resolved.kubeConfig.makeApiClient(resolved.client.CoreV1Api);
  const apps = resolved.kubeConfig.makeApiClient(resolved.client.AppsV1Api);
  const batch = resolved.kubeConfig.makeApiClient(resolved.client.BatchV1Api);
  // Typed clients return class instances (dates as Date); doctor reads plain JSON shapes, so round-trip them.
  const plainItems = (body: unknown): readonly unknown[] => asArray(asRecord(JSON.parse(JSON.stringify(body)))?.["items"]);
  return {
    async list(kind, namespace) {
      switch (kind) {
        case "Pod":
          return plainItems(await core.listNamespacedPod({ namespace }));
        case "Event":
          return plainItems(await core.listNamespacedEvent({ namespace }));
        case "Job":
          return plainItems(await batch.listNamespacedJob({ namespace }));
        case "Deployment":
          return plainItems(await apps.listNamespacedDeployment({ namespace }));
      }
    },
    async podLog(pod, namespace, tailLines) {
      return String(await core.readNamespacedPodLog({ name: pod, namespace, tailLines }));
    },
  };
}
