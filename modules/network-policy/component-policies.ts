import type { TrivyComponent } from "./components";
import type { NetworkFlow } from "./flows";

/** What one component's policy has to say: its allowed egress and ingress, and the peers it must never reach. */
export interface ComponentPolicyPlan {
  readonly component: TrivyComponent;
  readonly egress: readonly NetworkFlow[];
  readonly ingress: readonly NetworkFlow[];
  readonly egressDenies: readonly NetworkFlow[];
}

/**
 * Groups flows by the Trivy pod they concern. A flow between two Trivy pods lands twice, as egress
 * of the client and ingress of the server, because under default deny both ends must allow it.
 */
export function planComponentPolicies(flows: readonly NetworkFlow[]): ComponentPolicyPlan[] {
  const plans = new Map<TrivyComponent, { egress: NetworkFlow[]; ingress: NetworkFlow[]; egressDenies: NetworkFlow[] }>();
  const planFor = (component: TrivyComponent) => {
    let plan = plans.get(component);
    if (!plan) {
      plan = { egress: [], ingress: [], egressDenies: [] };
      plans.set(component, plan);
    }
    return plan;
  };
  for (const flow of flows) {
    if (flow.from.kind === "component") {
      const plan = planFor(flow.from.component);
      (flow.action === "allow" ? plan.egress : plan.egressDenies).push(flow);
    }
    if (flow.to.kind === "component" && flow.action === "allow") planFor(flow.to.component).ingress.push(flow);
  }
  return [...plans.entries()].map(([component, plan]) => ({ component, ...plan }));
}

/** Policy object names: stable, because renaming one replaces the object (a window without it). */
export function policyName(releaseName: string, component: TrivyComponent | "default-deny"): string {
  return component === "default-deny" ? `${releaseName}-default-deny` : `${releaseName}-allow-${component}`;
}
