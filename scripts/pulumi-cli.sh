#!/usr/bin/env bash
# The real Pulumi CLI, built from the Go module proxy (or reused from a cache outside the clone):
#   bash scripts/pulumi-cli.sh      → progress on stderr; the last stdout line is the folder holding `pulumi`.
#
# That folder holds:
#   pulumi                          the CLI: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the release pinned in
#                                   scripts/pulumi-cli/go.mod (our wrapper module: it requires pkg/v3 and sdk/v3 at one
#                                   release and repeats their non-local replace directives; no Pulumi source is here)
#   pulumi-language-nodejs          the engine's LanguageRuntime for `runtime: nodejs` (ours, scripts/pulumi-cli/
#                                   language-host.js: Pulumi's is an untagged Go module the proxy refuses to serve)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider plugin: node on @pulumi/pulumi/cmd/dynamic-provider, resolved
#                                   from the program's folder (the engine finds both "bundled" plugins beside `pulumi`)
#
# Cache: ${PULUMI_VIRT_CLI_CACHE:-/var/cache/pulumi-virt/pulumi-cli}/<version>/. The binaries are rebuilt only when
# the wrapper's go.mod/go.sum change; a build goes to a temporary folder beside the cache and is renamed into place,
# so a killed build never leaves a half cache. Go modules go to the default module cache (`go env GOMODCACHE`).
#
# Options: --check   print the folder if the cache is complete (refreshing our two plugin scripts), else exit 1;
#                    never builds (for tests and the demo)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/pulumi-cli"
log() { echo "pulumi-cli: $*" >&2; }

version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2 } $2 == "github.com/pulumi/pulumi/pkg/v3" { print $3 }' "$mod/go.mod")"
[ -n "$version" ] || { log "no github.com/pulumi/pulumi/pkg/v3 requirement in $mod/go.mod"; exit 1; }
cache_root="${PULUMI_VIRT_CLI_CACHE:-/var/cache/pulumi-virt/pulumi-cli}"
dest="$cache_root/$version"
# What the binaries are made from: the wrapper module's go.mod and go.sum, and the build flags below.
build_flags=(-trimpath -tags osusergo,grpcnotrace -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version")
inputs="$(cat "$mod/go.mod" "$mod/go.sum" <(printf '%s\n' "${build_flags[@]}") | sha256sum | cut -d' ' -f1)"

cached() { [ -x "$dest/pulumi" ] && [ -f "$dest/.inputs" ] && [ "$(cat "$dest/.inputs")" = "$inputs" ]; }

# Our two plugin scripts: written beside `pulumi` on every run (cheap), each by rename, so they follow the repository.
write_plugins() {
  local dir="$1" tmp
  tmp="$(mktemp "$dir/.plugin-XXXXXX")"
  cp "$mod/language-host.js" "$tmp" && chmod 644 "$tmp"
  cmp -s "$tmp" "$dir/pulumi-language-nodejs.js" 2>/dev/null && rm -f "$tmp" || mv -f "$tmp" "$dir/pulumi-language-nodejs.js"
  tmp="$(mktemp "$dir/.plugin-XXXXXX")"
  cat >"$tmp" <<EOF
#!/bin/sh
# pulumi-virt's pulumi-language-nodejs (scripts/pulumi-cli/language-host.js), installed by scripts/pulumi-cli.sh.
PULUMI_VIRT_LANGUAGE_HOST_VERSION=${version#v} exec node "\$(dirname "\$0")/pulumi-language-nodejs.js" "\$@"
EOF
  chmod 755 "$tmp"
  cmp -s "$tmp" "$dir/pulumi-language-nodejs" 2>/dev/null && rm -f "$tmp" || mv -f "$tmp" "$dir/pulumi-language-nodejs"
  tmp="$(mktemp "$dir/.plugin-XXXXXX")"
  cat >"$tmp" <<'EOF'
#!/bin/sh
# pulumi-virt's dynamic-provider plugin, installed by scripts/pulumi-cli.sh: runs @pulumi/pulumi's
# cmd/dynamic-provider from the program's node_modules (the engine starts plugins in the program's folder).
script="$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" || exit 1
exec node "$script" "$@"
EOF
  chmod 755 "$tmp"
  cmp -s "$tmp" "$dir/pulumi-resource-pulumi-nodejs" 2>/dev/null && rm -f "$tmp" || mv -f "$tmp" "$dir/pulumi-resource-pulumi-nodejs"
}

if [ "${1:-}" = "--check" ]; then
  cached || exit 1
  write_plugins "$dest" 2>/dev/null || true # our plugin scripts follow the repository even when only checked
  [ -x "$dest/pulumi-language-nodejs" ] && [ -x "$dest/pulumi-resource-pulumi-nodejs" ] || exit 1
  echo "$dest"
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9 # one build at a time; a second caller waits, then finds the cache
rm -rf "$cache_root"/.build-* "$cache_root"/.old-* # what a killed build left (we hold the lock: none is running)

if cached; then
  write_plugins "$dest"
  log "cached: $(cat "$dest/BUILD_INFO" 2>/dev/null | tr '\n' ' ')"
  log "pulumi version: $("$dest/pulumi" version)"
  echo "$dest"
  exit 0
fi

command -v go >/dev/null || { log "no go on PATH: the CLI is built with Go >= 1.25.11 from the Go module proxy"; exit 1; }
log "building pulumi $version with $(go version | cut -d' ' -f3) into $dest (cold: several minutes; modules into $(go env GOMODCACHE))"
start=$SECONDS
tmp="$(mktemp -d "$cache_root/.build-$version-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$mod"
  export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
  go build "${build_flags[@]}" -o "$tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
got="$("$tmp/pulumi" version)"
[ "$got" = "$version" ] || { log "the built pulumi says version '$got', expected $version"; exit 1; }
write_plugins "$tmp"
seconds=$((SECONDS - start))
printf 'version=%s built_in_s=%s built_at=%s go=%s pulumi_bytes=%s\n' "$version" "$seconds" "$(date -u +%FT%TZ)" \
  "$(go env GOVERSION)" "$(stat -c %s "$tmp/pulumi")" >"$tmp/BUILD_INFO"
echo "$inputs" >"$tmp/.inputs"
chmod 755 "$tmp"
# Into place by rename: a stale folder (other inputs) is moved aside first, then removed.
if [ -e "$dest" ]; then
  old="$(mktemp -d "$cache_root/.old-XXXXXX")"
  mv "$dest" "$old/"
  rm -rf "$old"
fi
mv "$tmp" "$dest"
trap - EXIT
log "built pulumi $got in ${seconds} s ($(du -sh "$dest" | cut -f1) in $dest)"
echo "$dest"
