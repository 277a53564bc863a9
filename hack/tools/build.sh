#!/usr/bin/env bash
# Builds the real servers and tools that the tests and the dev environment run — etcd,
# kube-apiserver, kube-controller-manager, kcp, dex, the node binaries (kubelet, kube-scheduler)
# and helm — from their Go modules through the Go module proxy; and Gateway API's CRDs, copied
# from its module.
#
#   hack/tools/build.sh [etcd|kubernetes|kubernetes-node|kcp|dex|helm|gateway-api|all]... (default: all)
#
# Every tool lands in $KBT_CACHE_DIR/tools/<tool>-<version>/ (default ~/.cache/kube-bind-ts),
# outside the repository, keyed by the pinned version in versions.env. A finished build is
# marked with a `.complete` file and never rebuilt; a half-finished one is thrown away.
#
# None of the four can be built with `go install pkg@version`, because their go.mod files carry
# replace directives. Each gets a throw-away "tools" module that requires the target at its
# release and restates the replace lines the target's own go.mod would have applied.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${KBT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-bind-ts}
tools_dir=$cache/tools
work_root=$cache/work
mkdir -p "$tools_dir" "$work_root"

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=${CGO_ENABLED:-0}
# Keep Go's own build cache and module cache where they already are (shared with other Go work
# on the machine); only our outputs are keyed by version.

log() { printf '[tools] %s\n' "$*" >&2; }

# go_mod_of MODULE@VERSION -> path of that version's go.mod in the module cache.
go_mod_of() {
  (cd "$work_root" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

# new_tools_module DIR NAME GOVERSION: an empty module to build from.
new_tools_module() {
  rm -rf "$1" && mkdir -p "$1"
  printf 'module kube-bind-ts.local/tools/%s\n\ngo %s\n' "$2" "$3" >"$1/go.mod"
}

# build_into OUT_DIR CMD...: runs CMD (which writes into $staging) and publishes atomically.
run_build() {
  local name=$1 out=$2
  shift 2
  if [[ -f $out/.complete ]]; then
    log "$name: cached in $out"
    return 0
  fi
  local staging=$out.partial
  rm -rf "$staging" && mkdir -p "$staging"
  local started=$SECONDS
  log "$name: building into $out (this takes minutes when the cache is cold)"
  "$@" "$staging"
  date -u +%FT%TZ >"$staging/.complete"
  rm -rf "$out" && mv "$staging" "$out"
  log "$name: done in $((SECONDS - started))s"
}

build_etcd() {
  local staging=$1 dir=$work_root/etcd-$ETCD_VERSION
  # The server's main package is the root of go.etcd.io/etcd/server/v3; its sibling modules are
  # required at the same tag, so only the local-path replaces need dropping (we never had them).
  new_tools_module "$dir" etcd 1.25
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
    go build -trimpath -o "$staging/etcd" go.etcd.io/etcd/server/v3)
}

# kubernetes_module: prepares (idempotently) the tools module that builds k8s.io/kubernetes
# commands, and prints its directory.
kubernetes_module() {
  local dir=$work_root/kubernetes-$KUBERNETES_VERSION
  local kmod minor patch staging_version
  kmod=$(go_mod_of "k8s.io/kubernetes@$KUBERNETES_VERSION")
  IFS=. read -r _ minor patch <<<"${KUBERNETES_VERSION#v}"
  staging_version=v0.$minor.$patch
  new_tools_module "$dir" kubernetes "$(sed -n 's/^go //p' "$kmod")"
  {
    printf '\nrequire k8s.io/kubernetes %s\n\n' "$KUBERNETES_VERSION"
    # k/k requires every staging module at v0.0.0 and maps it to ./staging/src/...; as a
    # dependency those replaces are ignored, so point each one at its published v0.<minor>.<patch>.
    printf 'replace (\n'
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$kmod" |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
    printf ')\n'
  } >>"$dir/go.mod"
  echo "$dir"
}

# build_kubernetes_binaries STAGING CMD...: builds k8s.io/kubernetes/cmd/<CMD> into STAGING.
build_kubernetes_binaries() {
  local staging=$1 dir minor
  shift
  dir=$(kubernetes_module)
  IFS=. read -r _ minor _ <<<"${KUBERNETES_VERSION#v}"
  local ldflags="-s -w"
  local v=k8s.io/component-base/version
  ldflags+=" -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
  ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  local cmd
  for cmd in "$@"; do
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$staging/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  done
}

build_kubernetes() {
  build_kubernetes_binaries "$1" kube-apiserver kube-controller-manager
}

# kubelet and kube-scheduler: the test clusters' nodes. Same module setup as build_kubernetes
# (its work directory and Go build cache are shared), but a cache entry of their own, so a
# cached control plane is not rebuilt when the node binaries are added.
build_kubernetes_node() {
  local staging=$1
  build_kubernetes_binaries "$staging" kubelet kube-scheduler
}

# helm: a plain module without replace directives; built from its release tag.
build_helm() {
  local staging=$1 dir=$work_root/helm-$HELM_VERSION
  local hmod
  hmod=$(go_mod_of "helm.sh/helm/v4@$HELM_VERSION")
  new_tools_module "$dir" helm "$(sed -n 's/^go //p' "$hmod")"
  printf '\nrequire helm.sh/helm/v4 %s\n' "$HELM_VERSION" >>"$dir/go.mod"
  local ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$staging/helm" helm.sh/helm/v4/cmd/helm)
}

build_kcp() {
  local staging=$1 dir=$work_root/kcp-$KCP_VERSION
  local kmod minor patch
  # The checksum database is not reachable for kcp's fork modules through this proxy; their
  # content still comes from the proxy, pinned by the exact pseudo-versions kcp's go.mod names.
  local -x GONOSUMDB='github.com/kcp-dev/*'
  kmod=$(go_mod_of "github.com/kcp-dev/kcp@$KCP_VERSION")
  IFS=. read -r _ minor patch <<<"${KCP_VERSION#v}"
  new_tools_module "$dir" kcp "$(sed -n 's/^go //p' "$kmod")"
  {
    printf '\nrequire github.com/kcp-dev/kcp %s\n\n' "$KCP_VERSION"
    printf 'replace (\n'
    # kcp's fork of Kubernetes: its replace lines apply as they are (module-path targets) — but the
    # proxy does not serve every staging module of the fork at every commit. Those it lacks are
    # leaf modules kcp does not patch; the upstream release the fork is based on stands in.
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \(github.com/kcp-dev/kubernetes[^ ]*\) \(v[^ ]*\)$#\1 \2 \3#p' "$kmod" |
      while read -r m fork version; do
        if ! (cd "$work_root" && go mod download "$fork@$version") >/dev/null 2>&1; then
          log "kcp: $fork@$version is not served; using $m $KCP_KUBERNETES_STAGING_FALLBACK"
          printf '\t%s => %s %s\n' "$m" "$m" "$KCP_KUBERNETES_STAGING_FALLBACK"
        else
          printf '\t%s => %s %s\n' "$m" "$fork" "$version"
        fi
      done
    # kcp's own staging modules are local paths (missing from the module zip); they are
    # published with release-aligned tags: vN.<minor>.<patch> for a /vN path, else the kcp tag.
    sed -n 's#^[[:space:]]*\(github.com/kcp-dev/[a-z0-9/-]*\) => ./staging/src/.*#\1#p' "$kmod" |
      while read -r m; do
        case $m in
          */code-generator/*) continue ;; # a build tool of kcp's, not linked into the binary
          */v[0-9]*) printf '\t%s => %s %s\n' "$m" "$m" "${m##*/}.$minor.$patch" ;;
          *) printf '\t%s => %s %s\n' "$m" "$m" "$KCP_VERSION" ;;
        esac
      done
    printf ')\n'
  } >>"$dir/go.mod"
  # kcp reports the Kubernetes version it is built on, with its own as build metadata (its feature
  # gates are keyed by that Kubernetes version and refuse to start on anything else).
  local v=k8s.io/component-base/version kube_minor kube_patch
  IFS=. read -r _ kube_minor kube_patch <<<"${KCP_KUBERNETES_STAGING_FALLBACK#v}"
  local ldflags="-s -w -X $v.gitVersion=v1.$kube_minor.$kube_patch+kcp-$KCP_VERSION"
  ldflags+=" -X $v.gitMajor=1 -X $v.gitMinor=$kube_minor -X $v.gitTreeState=clean"
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$staging/kcp" github.com/kcp-dev/kcp/cmd/kcp)
}

build_dex() {
  local staging=$1 dir=$work_root/dex-$DEX_VERSION
  if [[ -z $DEX_VERSION ]]; then
    log "dex: no DEX_VERSION pinned in versions.env"
    return 1
  fi
  local dmod
  dmod=$(go_mod_of "github.com/dexidp/dex@$DEX_VERSION")
  new_tools_module "$dir" dex "$(sed -n 's/^go //p' "$dmod")"
  # dex replaces its api/v2 module with ./api/v2; the published api/v2 release stands in for it.
  printf '\nrequire (\n\tgithub.com/dexidp/dex %s\n\tgithub.com/dexidp/dex/api/v2 %s\n)\n' \
    "$DEX_VERSION" "$DEX_API_VERSION" >>"$dir/go.mod"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$staging/dex" github.com/dexidp/dex/cmd/dex)
}

# gateway-api: no build, its standard channel's CRDs as the release ships them in the module.
build_gateway_api() {
  local staging=$1 dir
  dir=$(cd "$work_root" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp "$dir"/config/crd/standard/gateway.networking.k8s.io_{gatewayclasses,gateways,httproutes,referencegrants}.yaml "$staging/"
  chmod u+w "$staging"/*.yaml
}

build_tool() {
  case $1 in
    etcd) run_build etcd "$tools_dir/etcd-$ETCD_VERSION" build_etcd ;;
    kubernetes) run_build kubernetes "$tools_dir/kubernetes-$KUBERNETES_VERSION" build_kubernetes ;;
    kcp) run_build kcp "$tools_dir/kcp-$KCP_VERSION" build_kcp ;;
    kubernetes-node) run_build kubernetes-node "$tools_dir/kubernetes-node-$KUBERNETES_VERSION" build_kubernetes_node ;;
    dex) run_build dex "$tools_dir/dex-$DEX_VERSION" build_dex ;;
    helm) run_build helm "$tools_dir/helm-$HELM_VERSION" build_helm ;;
    gateway-api) run_build gateway-api "$tools_dir/gateway-api-$GATEWAY_API_VERSION" build_gateway_api ;;
    *)
      log "unknown tool '$1' (etcd, kubernetes, kubernetes-node, kcp, dex, helm, gateway-api, all)"
      return 2
      ;;
  esac
}

main() {
  local wanted=("$@")
  [[ ${#wanted[@]} -gt 0 ]] || wanted=(all)
  [[ ${wanted[0]} != all ]] || wanted=(etcd kubernetes kubernetes-node helm gateway-api dex kcp)
  # One build at a time per cache: CI, the dev command and a developer may start it together.
  exec 9>"$cache/.build.lock"
  flock 9
  for t in "${wanted[@]}"; do build_tool "$t"; done
}

main "$@"
