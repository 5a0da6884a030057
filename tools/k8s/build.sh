#!/usr/bin/env bash
# Build the Kubernetes binaries the test environment needs (kube-apiserver, etcd,
# kubectl, helm) and the ones the e2e cluster adds (kubelet, kube-controller-manager,
# kube-scheduler, kube-proxy, coredns; see tools/cluster) from source through the Go
# module proxy, into a cache outside the checkout keyed by version. Idempotent: binaries already present are not rebuilt.
#
#   bash tools/k8s/build.sh          # build what is missing, print the bin dir
#   bash tools/k8s/build.sh --print  # only print the bin dir
#
# Env: SKIFF_CACHE (default $HOME/.cache/skiff), SKIFF_BUILD_NICE (default 10).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Keep these in sync with tools/k8s/go.mod and tools/testenv/paths.ts.
K8S_VERSION="v1.34.4"
HELM_VERSION="v3.22.0"
# CoreDNS: cluster DNS of the e2e cluster (tools/cluster); its own module, like helm.
COREDNS_VERSION="v1.14.7"
bin_dir="${SKIFF_CACHE:-$HOME/.cache/skiff}/k8s/${K8S_VERSION}/bin"

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin_dir"
  exit 0
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false"
nice_cmd=(nice -n "${SKIFF_BUILD_NICE:-10}")
mkdir -p "$bin_dir"
start=$(date +%s)

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
vpkg="k8s.io/component-base/version"
ldflags="-s -w -X ${vpkg}.gitVersion=${K8S_VERSION} -X ${vpkg}.gitMajor=1 -X ${vpkg}.gitMinor=${minor} -X ${vpkg}.gitTreeState=clean"
ldflags+=" -X ${vpkg}.buildDate=1970-01-01T00:00:00Z"

declare -A pkgs=(
  [kube-apiserver]="k8s.io/kubernetes/cmd/kube-apiserver"
  [kubectl]="k8s.io/kubernetes/cmd/kubectl"
  [etcd]="go.etcd.io/etcd/server/v3"
  [kubelet]="k8s.io/kubernetes/cmd/kubelet"
  [kube-controller-manager]="k8s.io/kubernetes/cmd/kube-controller-manager"
  [kube-scheduler]="k8s.io/kubernetes/cmd/kube-scheduler"
  [kube-proxy]="k8s.io/kubernetes/cmd/kube-proxy"
)

missing=()
# The test environment's binaries first, so an interrupted cold build leaves them usable.
for name in kube-apiserver etcd kubectl kubelet kube-controller-manager kube-scheduler kube-proxy; do
  [[ -x "$bin_dir/$name" ]] || missing+=("$name")
done

if ((${#missing[@]})); then
  tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  for name in "${missing[@]}"; do
    echo "build.sh: building $name (${pkgs[$name]}) ..." >&2
    (cd "$here" && "${nice_cmd[@]}" go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "${pkgs[$name]}")
    mv -f "$tmp/$name" "$bin_dir/$name" # atomic within one filesystem
  done
fi

if [[ ! -x "$bin_dir/helm" ]]; then
  echo "build.sh: building helm ${HELM_VERSION} ..." >&2
  tmp_helm="$(mktemp -d "$bin_dir/.helm.XXXXXX")"
  # helm is its own module: go install pkg@version, no replace lines needed.
  (cd "$here" && GOBIN="$tmp_helm" "${nice_cmd[@]}" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}")
  mv -f "$tmp_helm/helm" "$bin_dir/helm"
  rm -rf "$tmp_helm"
fi

if [[ ! -x "$bin_dir/coredns" ]]; then
  echo "build.sh: building coredns ${COREDNS_VERSION} ..." >&2
  tmp_dns="$(mktemp -d "$bin_dir/.coredns.XXXXXX")"
  (cd "$here" && GOBIN="$tmp_dns" "${nice_cmd[@]}" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@${COREDNS_VERSION}")
  mv -f "$tmp_dns/coredns" "$bin_dir/coredns"
  rm -rf "$tmp_dns"
fi

echo "build.sh: binaries ready in $bin_dir ($(( $(date +%s) - start ))s)" >&2
echo "$bin_dir"
