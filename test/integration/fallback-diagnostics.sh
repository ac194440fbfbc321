#!/usr/bin/env bash
# The workflow's last word on a run that did not clean up after itself: for every kind cluster
# still there, save what explains it under <artifacts dir>/<cluster>/fallback/.
#
#   bash test/integration/fallback-diagnostics.sh test-results
#
# Why it exists: the suite's own afterAll saves artifacts and deletes its cluster, but a step
# timeout or a cancelled run kills vitest before afterAll runs. A cluster that is still there
# afterwards is exactly the one whose story was not told. Clusters are found with
# `kind get clusters`, so this works whatever the (per-run, unique) cluster name was.
#
# Never fails: it runs after a failure and must not hide it or stop the upload that follows.
# The cluster's kubeconfig holds admin credentials, so it goes to a temp file, never to the artifacts.
set -uo pipefail

artifacts_dir="${1:?usage: fallback-diagnostics.sh <artifacts dir>}"

if ! command -v kind >/dev/null 2>&1; then
  echo "fallback diagnostics: kind is not on PATH, nothing to export"
  exit 0
fi

clusters="$(kind get clusters 2>/dev/null)"
if [ -z "$clusters" ]; then
  echo "fallback diagnostics: no kind cluster left (the suite cleaned up after itself)"
  exit 0
fi

kubeconfig="$(mktemp)"
trap 'rm -f "$kubeconfig"' EXIT

while IFS= read -r cluster; do
  [ -n "$cluster" ] || continue
  out="${artifacts_dir}/${cluster}/fallback"
  mkdir -p "$out"
  echo "fallback diagnostics: kind cluster ${cluster} is still there; saving to ${out}"
  # Node journals, kubelet and containerd logs, and every pod's log (the operator's included).
  timeout 180 kind export logs "${out}/kind-logs" --name "$cluster" >/dev/null 2>"${out}/kind-export.err" || echo "  kind export logs failed (see kind-export.err)"
  if timeout 30 kind get kubeconfig --name "$cluster" >"$kubeconfig" 2>/dev/null && command -v kubectl >/dev/null 2>&1; then
    k() { timeout 60 kubectl --kubeconfig "$kubeconfig" --context "kind-${cluster}" "$@"; }
    k get pods,jobs --all-namespaces --output wide >"${out}/pods-and-jobs.txt" 2>&1
    k get events --all-namespaces --sort-by .lastTimestamp >"${out}/events.txt" 2>&1
    k get nodes --output yaml >"${out}/nodes.yaml" 2>&1
    k get networkpolicies --all-namespaces --output yaml >"${out}/networkpolicies.yaml" 2>&1
    k get vulnerabilityreports,configauditreports,clusterinfraassessmentreports --all-namespaces --output wide >"${out}/reports.txt" 2>&1
  else
    echo "  no kubeconfig for ${cluster} (the API server never came up?); node logs only"
  fi
done <<<"$clusters"
exit 0
