#!/usr/bin/env bash
# Skiff on a local kind cluster, for a first look: creates the cluster, builds and loads the
# Skiff image, installs the chart, pushes the hello example component to a local registry,
# runs it as a Workload and prints how to reach it.
#
# Needs internet (kind's node image, the NATS and registry images), Docker or Podman, kind,
# kubectl, helm, and this repository with `npm install` done (Node 24).
# It follows the steps of the offline cluster CI tests (npm run cluster): build the image,
# load it into the node, run a registry, helm install, push a component, apply a Workload.
#
#   deploy/kind/up.sh            # create or reuse the cluster "skiff"
#   deploy/kind/up.sh --delete   # delete the cluster and the registry
#
# Env: SKIFF_KIND_CLUSTER (default skiff), SKIFF_CONTAINER_ENGINE (docker or podman; default:
# whichever is found, docker first), SKIFF_REGISTRY_PORT (default 5001), SKIFF_HELLO_IMAGE
# (a published component to run instead of pushing the hello example).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cluster="${SKIFF_KIND_CLUSTER:-skiff}"
registry="${cluster}-registry"
registry_port="${SKIFF_REGISTRY_PORT:-5001}"
namespace=skiff-system

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

usage() {
  # The comment block at the top of this file, without the #.
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
}

engine="${SKIFF_CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v docker >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null 2>&1; then engine=podman
  fi
fi

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --delete)
    need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
    [[ "$engine" == podman ]] && export KIND_EXPERIMENTAL_PROVIDER=podman
    kind delete cluster --name "$cluster"
    if [[ -n "$engine" ]]; then "$engine" rm -f "$registry" >/dev/null 2>&1 || true; fi
    exit 0 ;;
  "") ;;
  *) usage; exit 2 ;;
esac

[[ -n "$engine" ]] || die "neither docker nor podman found"
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need helm "https://helm.sh/docs/intro/install/"
need node "Node 24 (npm install in $root fetches it)"
[[ -d "$root/node_modules" ]] || die "run npm install in $root first"
[[ "$engine" == podman ]] && export KIND_EXPERIMENTAL_PROVIDER=podman

version="$(node -p "require('$root/package.json').version")"
image="skiff:${version}"
context="kind-${cluster}"

say "kind cluster ${cluster}"
if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  kind create cluster --name "$cluster" --wait 120s
fi

say "image ${image} (Dockerfile), loaded into the node"
"$engine" build -t "$image" "$root"
if [[ "$engine" == docker ]]; then
  kind load docker-image "$image" --name "$cluster"
else
  archive="$(mktemp -d)/skiff.tar"
  podman save --format oci-archive -o "$archive" "$image"
  kind load image-archive "$archive" --name "$cluster"
  rm -f "$archive"
fi

# The component: SKIFF_HELLO_IMAGE names one you published (an https registry), else the hello
# example goes to a local plain-HTTP registry, which the hosts are told about
# (hostConfig.insecureRegistries: plain HTTP to it, HTTPS to every other registry).
hello_image="${SKIFF_HELLO_IMAGE:-}"
if [[ -z "$hello_image" ]]; then
  say "registry ${registry} (plain HTTP): localhost:${registry_port} here, ${registry}:5000 in the cluster"
  if ! "$engine" inspect "$registry" >/dev/null 2>&1; then
    "$engine" run -d --restart=always --name "$registry" -p "127.0.0.1:${registry_port}:5000" registry:2 >/dev/null
  fi
  "$engine" network connect kind "$registry" >/dev/null 2>&1 || true
fi

say "helm install skiff (namespace ${namespace})"
kubectl --context "$context" create namespace "$namespace" --dry-run=client -o yaml |
  kubectl --context "$context" apply -f - >/dev/null
kubectl --context "$context" label namespace "$namespace" --overwrite \
  pod-security.kubernetes.io/enforce=restricted >/dev/null
helm --kube-context "$context" upgrade --install skiff "$root/charts/skiff" \
  --namespace "$namespace" \
  --set image.repository=skiff --set "image.tag=${version}" \
  --set "hostConfig.insecureRegistries={${registry}:5000}" \
  --wait --timeout 5m

if [[ -z "$hello_image" ]]; then
  say "the hello example component, pushed to the registry"
  (cd "$root" && node bin/build-example.js)
  node "$root/bin/skiff.js" push --insecure "$root/examples/hello/hello.wasm" \
    "localhost:${registry_port}/skiff/hello:${version}" >&2
  hello_image="${registry}:5000/skiff/hello:${version}"
fi

say "Workload hello (namespace default)"
kubectl --context "$context" apply --server-side -f - <<YAML
apiVersion: runtime.skiff.dev/v1alpha1
kind: Workload
metadata:
  name: hello
  namespace: default
spec:
  components:
    - name: hello
      image: ${hello_image}
      config: { greeting: ahoy }
  hostInterfaces:
    - { namespace: wasi, package: keyvalue, interfaces: [store, atomics], version: 0.2.0-draft }
    - { namespace: wasi, package: logging, interfaces: [logging], version: 0.1.0-draft }
    - { namespace: wasi, package: config, interfaces: [store], version: 0.2.0-rc.1 }
    - namespace: wasi
      package: http
      interfaces: [incoming-handler]
      version: 0.2.0
      config: { host: hello.localhost }
YAML
if ! kubectl --context "$context" wait --for=condition=Ready workload/hello -n default --timeout=180s; then
  kubectl --context "$context" get workload hello -n default \
    -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2
  die "the Workload did not become Ready (see its conditions above)"
fi

cat <<EOF_DONE

Skiff runs on kind cluster ${cluster}. The hello Workload answers through its Service
(hello.default.svc, port 80) inside the cluster:
  kubectl --context ${context} run curl --rm -it --restart=Never --image=curlimages/curl -- \\
    curl -s -H 'Host: hello.localhost' http://hello.default.svc/
or on this machine through a host pod:
  kubectl --context ${context} -n ${namespace} port-forward \\
    "\$(kubectl --context ${context} -n ${namespace} get pod -l app.kubernetes.io/name=skiff-host -o name | head -1)" 8080:8080 &
  curl -H 'Host: hello.localhost' http://127.0.0.1:8080/

Look around:
  kubectl --context ${context} get skiff -A
  kubectl --context ${context} -n ${namespace} logs deployment/skiff-operator
Remove it all: $0 --delete
EOF_DONE
