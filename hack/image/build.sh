#!/usr/bin/env bash
# Builds the backend and konnector images without pulling a base image (`npm run image`):
#   hack/image/build.sh            build if the inputs changed, print sizes and the manifest path
#
# Layers (FROM scratch, COPY only, so no container runtime runs at build time):
#   base     the root filesystem from Debian packages (rootfs.sh)
#   node     the pinned Node.js binary, /usr/local/bin/node, and its licence
#   notices  /app/licenses: the licences of the packages bundled into dist/ (notices.ts)
#   app      /app/dist/*.js (the bundles of `npm run build`, with their dependencies),
#            package.json, build-info.json
#   web      /app/web/dist (the backend only)
# The same layers in both images are the same blobs, so a node stores them once. There is no
# node_modules: the bundles hold every dependency (test/deploy/build.test.ts runs a copy of dist/
# without one), and a pod's read-only root has no compile cache, so the bundle's few files start
# far faster than src/'s hundreds of modules stripped of their types at each start. The entry
# point is `node <the program's flags in hack/build/node-flags> /app/dist/<program>.js`.
#
# Everything lands in $KBT_CACHE_DIR/images (default ~/.cache/kube-bind-ts/images): the .debs and
# per image a docker-archive (`ctr -n k8s.io images import` accepts it) plus manifest.json, which
# the tests read. The build is keyed by a hash of its inputs; when it matches the manifest,
# nothing is rebuilt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/hack/image
# shellcheck source=../tools/versions.env
source "$root/hack/tools/versions.env"
cache=${KBT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-bind-ts}/images
mkdir -p "$cache/debs"
log() { printf '[image] %s\n' "$*" >&2; }

# One build at a time per cache (setup, `npm run image` and test workers may race).
exec 9>"$cache/.lock"
flock 9

started=$(date +%s%N)
node_bin=$(bash "$root/hack/tools/node.sh")
version=v$("$node_bin/node" -p 'require(process.argv[1]).version' "$root/package.json")
registry=${KBT_IMAGE_REGISTRY:-ghcr.io/kube-bind-ts}
source_url=https://github.com/kube-bind-ts/kube-bind-ts
packages=(libc6 libgcc-s1 gcc-12-base libstdc++6 ca-certificates tzdata)

# The .debs apt would fetch now: names carry versions, lines carry checksums (no download). apt
# leaves out files already in the working directory, hence an empty one.
mkdir -p "$cache/empty"
print_uris() { (cd "$cache/empty" && apt-get download --print-uris "${packages[@]}" 2>/dev/null); }
# Without package lists (a fresh or cleaned machine) apt knows no versions: fetch them once.
deb_uris=$(print_uris) || { apt-get update -qq && deb_uris=$(print_uris); }

# The bundles, built here when their inputs changed (a second or two otherwise; setup usually
# has). Into the checkout's dist/, beside src/: the bundles find files relative to src/'s modules
# (hack/build/import-meta.ts), which only holds for an output directory beside src/.
(cd "$root" && "$node_bin/node" hack/build.ts --if-changed >&2)

# The image's package.json: what Node reads at run time (type: module) and what identifies the
# release. Nothing resolves dependencies (they are in the bundles; /app/licenses lists them);
# scripts and devDependencies would only rebuild the image for nothing.
app_package_json() {
  "$node_bin/node" -e '
    const p = require(process.argv[1]);
    const keep = ["name", "version", "description", "license", "type", "engines"];
    console.log(JSON.stringify(Object.fromEntries(keep.filter((k) => k in p).map((k) => [k, p[k]])), null, 2));
  ' "$root/package.json"
}
# The bundles and their chunks; the source maps stay out (2.4 times the bytes, read only under
# --enable-source-maps; names are not minified, so stack traces name the functions anyway).
app_files() {
  (cd "$root" && find dist -maxdepth 1 -type f -name '*.js' && find web/dist -type f) | LC_ALL=C sort
}
# A program's Node.js flags, one a line, from hack/build/node-flags (as launch.sh reads them).
node_flags() { # PROGRAM
  awk -v p="$1" '$1 == p { for (i = 2; i <= NF; i++) print $i }' "$root/hack/build/node-flags"
}
key=$(
  {
    echo "node $NODE_VERSION $version $registry"
    echo "$deb_uris"
    cd "$root"
    app_files | xargs -d '\n' sha256sum
    # The lock file: which licences notices.ts copies.
    sha256sum package-lock.json hack/build/node-flags hack/image/*
    app_package_json
  } | sha256sum | cut -c1-16
)
manifest=$cache/manifest.json

# The sizes, against the usual base image of a Node service: node:22-slim is 220 MB uncompressed
# (`docker images`, as published by labs.iximiuz.com); node:24-slim is of the same build. It
# carries Node, npm, corepack and Debian's slim userland, but no application.
summary() {
  "$node_bin/node" -e '
    const m = require(process.argv[1]);
    const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;
    for (const name of ["backend", "konnector"]) {
      const i = m[name];
      console.error(`[image] ${i.ref}: ${mb(i.size)} uncompressed, archive ${mb(i.archiveSize)}` +
        ` (${mb(i.gzipSize)} gzipped), ${i.archive}`);
    }
    console.error("[image] for comparison: node:22-slim, without any application, is 220 MB uncompressed");
  ' "$manifest"
}
if [[ -f $manifest ]] && grep -q "\"key\": \"$key\"" "$manifest"; then
  log "images up to date (key $key): $manifest"
  summary
  echo "$manifest"
  exit 0
fi

engine=podman
if docker info >/dev/null 2>&1; then engine=docker; fi
command -v "$engine" >/dev/null || {
  log "neither a docker engine nor podman: run hack/setup.sh"
  exit 1
}

# Base root filesystem, keyed by the .debs it comes from.
deb_key=$(echo "$deb_uris" | sha256sum | cut -c1-16)
base=$cache/base-$deb_key
if [[ ! -f $base.complete ]]; then
  log "downloading Debian packages: ${packages[*]}"
  rm -f "$cache/debs/"*.deb
  # apt drops root to _apt for downloads; the cache dir may not be readable by it.
  (cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "${packages[@]}" >/dev/null)
  bash "$here/rootfs.sh" "$cache/debs" "$base"
  touch "$base.complete"
fi

# The build context: the base as hard links into the cache, the rest per build.
ctx=$cache/context
rm -rf "$ctx" && mkdir -p "$ctx/node/usr/local/bin" "$ctx/node/usr/local/share/doc/node" \
  "$ctx/notices/app" "$ctx/app/app" "$ctx/web/app/web"
cp -al "$base" "$ctx/base"
cp "$node_bin/node" "$ctx/node/usr/local/bin/node"
cp "$node_bin/../LICENSE" "$ctx/node/usr/local/share/doc/node/LICENSE"
"$node_bin/node" "$here/notices.ts" "$root/dist" "$ctx/notices/app/licenses"
(cd "$root" && app_files | grep '^dist/' | tar -cf - -T -) | tar -xf - -C "$ctx/app/app"
app_package_json >"$ctx/app/app/package.json"
cp -r "$root/web/dist" "$ctx/web/app/web/dist"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain -- src web/dist package.json package-lock.json hack/build 2>/dev/null) ]]; then
  commit=$commit-dirty
fi
built=$(date -u +%FT%TZ)
printf '{ "version": "%s", "commit": "%s", "built": "%s" }\n' "$version" "$commit" "$built" \
  >"$ctx/app/app/build-info.json"

build_image() { # NAME EXTRA_LAYER
  local name=$1 extra=$2 ref=$registry/$1:$version entrypoint
  # JSON (exec form: no shell in the image), from the flags as separate words.
  entrypoint=$(node_flags "$name" | "$node_bin/node" -e '
    const flags = require("node:fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
    console.log(JSON.stringify(["/usr/local/bin/node", ...flags, process.argv[1]]));
  ' "/app/dist/$name.js")
  {
    echo 'FROM scratch'
    echo 'COPY base/ /'
    echo 'COPY node/ /'
    echo 'COPY notices/ /'
    echo 'COPY app/ /'
    [[ -z $extra ]] || echo "COPY $extra/ /"
    echo 'USER 65532:65532'
    echo 'WORKDIR /app'
    echo 'ENV NODE_ENV=production'
    # Fewer glibc malloc arenas (why: hack/build/node-flags).
    echo 'ENV MALLOC_ARENA_MAX=2'
    echo "ENTRYPOINT $entrypoint"
    echo "LABEL org.opencontainers.image.title=\"kube-bind-ts $name\" \\"
    echo "  org.opencontainers.image.version=\"$version\" \\"
    echo "  org.opencontainers.image.revision=\"$commit\" \\"
    echo "  org.opencontainers.image.created=\"$built\" \\"
    echo "  org.opencontainers.image.source=\"$source_url\" \\"
    echo "  org.opencontainers.image.licenses=\"Apache-2.0\""
  } >"$ctx/Containerfile.$name"
  local old
  old=$("$engine" image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  log "$engine build $ref"
  # --timestamp 0: layers with the same files are byte-identical across builds and images.
  local flags=(--quiet --timestamp 0)
  [[ $engine == podman ]] || flags=(--quiet)
  "$engine" build "${flags[@]}" -f "$ctx/Containerfile.$name" -t "$ref" "$ctx" >/dev/null
  rm -f "$cache/$name.tar.partial"
  "$engine" save --format docker-archive -o "$cache/$name.tar.partial" "$ref" 2>/dev/null ||
    "$engine" save -o "$cache/$name.tar.partial" "$ref"
  mv "$cache/$name.tar.partial" "$cache/$name.tar"
  # The previous build of this ref, now untagged, would pile up in the engine's storage.
  local new
  new=$("$engine" image inspect --format '{{.Id}}' "$ref")
  if [[ -n $old && $old != "$new" ]]; then "$engine" rmi "$old" >/dev/null 2>&1 || true; fi
}
build_image backend web
build_image konnector ''
rm -rf "$ctx"
# Older bases are not used by these images any more, nor the node_modules the images had before
# they ran the bundles (deps-*).
for old in "$cache"/base-* "$cache"/deps-*; do
  [[ $old == "$base" || $old == "$base.complete" ]] || rm -rf "$old"
done

size_of() { "$engine" image inspect --format '{{.Size}}' "$1"; }
entry() { # NAME
  local ref=$registry/$1:$version
  # gzipSize: about what a registry stores and a node pulls (layers are gzipped tars).
  printf '"%s": { "ref": "%s", "archive": "%s", "size": %s, "archiveSize": %s, "gzipSize": %s }' \
    "$1" "$ref" "$cache/$1.tar" "$(size_of "$ref")" "$(stat -c %s "$cache/$1.tar")" \
    "$(gzip -c "$cache/$1.tar" | wc -c)"
}
printf '{\n  "key": "%s",\n  "version": "%s",\n  "commit": "%s",\n  "engine": "%s",\n  %s,\n  %s\n}\n' \
  "$key" "$version" "$commit" "$engine" "$(entry backend)" "$(entry konnector)" >"$manifest.partial"
mv "$manifest.partial" "$manifest"
log "built in $((($(date +%s%N) - started) / 1000000)) ms (key $key)"
summary
echo "$manifest"
