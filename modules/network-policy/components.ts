/**
 * The pods Trivy Operator runs. Each has its own selector because each needs different flows;
 * one namespace-wide allow would hand scan jobs the operator's API-server access.
 */
export type TrivyComponent = "operator" | "scan-job" | "node-collector" | "trivy-server";

/**
 * Labels that select a component's pods, as set by chart 0.34.0 / operator 0.32.0.
 *
 * Only stable identity labels are used, never `app.kubernetes.io/version` or `helm.sh/chart`,
 * so a chart upgrade cannot silently leave pods unselected (and so denied).
 * - operator: chart `_helpers.tpl` selectorLabels. It does not carry the scan-job `managed-by` label.
 * - scan-job: set by `pkg/vulnerabilityreport/builder.go` on the vulnerability scan pod.
 * - node-collector: trivy-kubernetes puts only `app: node-collector` on the pod (the rest is on the Job).
 * - trivy-server: the chart's built-in server StatefulSet; its instance label is fixed, not the release.
 */
export function componentPodLabels(component: TrivyComponent, releaseName: string): Readonly<Record<string, string>> {
  switch (component) {
    case "operator":
      return { "app.kubernetes.io/name": "trivy-operator", "app.kubernetes.io/instance": releaseName };
    case "scan-job":
      return { "app.kubernetes.io/managed-by": "trivy-operator", "vulnerabilityReport.scanner": "Trivy" };
    case "node-collector":
      return { app: "node-collector" };
    case "trivy-server":
      return { "app.kubernetes.io/name": "trivy-server", "app.kubernetes.io/instance": "trivy-server" };
  }
}
