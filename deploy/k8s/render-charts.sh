#!/usr/bin/env bash
# Renders every chart with Helm: dependency build, lint --strict, template with the local values. Needs a `helm`
# binary (not on the build machines, so `make test` cannot run it); run it where Helm is installed, before a release.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v helm >/dev/null || { echo "helm is not installed: https://helm.sh/docs/intro/install/" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Copies, so the vendored library (charts/<chart>/charts/*.tgz) never lands in the repository.
cp -r "$root/charts/perspective-lib" "$work/"
for chart in ledger registry gateway subdao platform treasury; do
  cp -r "$root/charts/$chart" "$work/"
  helm dependency build "$work/$chart" >/dev/null
  helm lint "$work/$chart" --strict
  helm template "$chart" "$work/$chart" --namespace perspective -f "$root/deploy/k8s/local/values/$chart.yaml" >"$work/$chart.rendered.yaml"
  for kind in Deployment Service ServiceAccount ConfigMap PodDisruptionBudget; do
    grep -q "^kind: $kind$" "$work/$chart.rendered.yaml" || { echo "$chart: no $kind rendered" >&2; exit 1; }
  done
  echo "$chart: rendered"
done
