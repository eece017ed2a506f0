#!/usr/bin/env bash
# CI's Xen stage: build the dom0 image (cached), boot the Xen host, run the Xen suite against it, and stop the
# host whatever happened. Exits non-zero on any failure; prints the time of each stage. Run from anywhere, as
# root, after `npm run build` (the suite runs from dist/). Takes both cores while Xen boots: run it after the
# other tests, not beside them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
timings=()
stage_start=0
begin() { stage_start=$SECONDS; echo "== xen: $1" >&2; }
end() { timings+=("$(printf '%5d s  %s' $((SECONDS - stage_start)) "$1")"); }
report() {
  echo "== xen: timings" >&2
  local t
  for t in "${timings[@]}"; do echo "   $t" >&2; done
}

stopped=0
finish() {
  local rc=$?
  if [ $stopped = 0 ]; then
    begin "stop"
    bash "$here/stop.sh" || rc=1
    end "stop"
  fi
  report
  [ $rc = 0 ] && echo "== xen: passed" >&2 || echo "== xen: FAILED (exit $rc)" >&2
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

begin "build the dom0 image (cached in ${PVT_XEN_CACHE:-/var/cache/pulumi-virt/xen-host})"
bash "$here/build.sh" >/dev/null
end "build (cached or not)"

begin "boot the Xen host"
uri=$(bash "$here/start.sh")
end "boot until libvirt answers"

# The suite runs examples/xen-guest under the real pulumi CLI too (test/xen/xen-guest-cli.test.ts): the CLI from
# PULUMI_VIRT_CLI_DIR (.ci/run exports it) or scripts/pulumi-cli.sh's cache; without one that test is skipped,
# and fails under CI=true.
cli=${PULUMI_VIRT_CLI_DIR:-$(bash "$repo/scripts/pulumi-cli.sh" --check 2>/dev/null | tail -1 || true)}
if [ -n "$cli" ] && [ -x "$cli/pulumi" ]; then
  export PULUMI_VIRT_CLI_DIR=$cli
  echo "== xen: pulumi $("$cli/pulumi" version) in $cli" >&2
else
  echo "== xen: no Pulumi CLI (bash scripts/pulumi-cli.sh builds it): the CLI part of the Xen suite is skipped" >&2
fi

begin "run the Xen suite against $uri"
cd "$repo"
suite_rc=0
PVT_XEN_URI=$uri npx mocha --no-config --exit --timeout 900000 'dist/test/xen/**/*.test.js' || suite_rc=$?
end "Xen suite"

begin "stop"
stopped=1
bash "$here/stop.sh"
end "stop"
exit $suite_rc
