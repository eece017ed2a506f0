#!/usr/bin/env bash
# Prepares this machine for the demo and the tests, from a fresh clone on a fresh Debian 12 machine as root:
# the Debian packages (libvirt, QEMU, the tools the tests use), the daemons, the npm dependencies, the build and
# the test guest. Idempotent and quick when everything is there: it installs only what is missing, starts only
# what does not run, and rebuilds the guest only when its packages changed.
#
#   bash scripts/setup-host.sh          progress on stderr; the test guest's cache directory alone on stdout
#
# Used by `npm run demo`, by `npm test` (pretest) and by .ci/run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# What the provider, the tests and the demo need on the host. Kept here only, so CI and the demo agree.
PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils ovmf
  dnsmasq-base iptables python3-libvirt libxml2-utils
  openssh-client openssh-server netcat-openbsd openssl ca-certificates e2fsprogs util-linux
  kmod cpio genisoimage python3-yaml)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]}; run this as root (or: apt-get install ${missing[*]})"
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  apt-get update -q >/tmp/pulumi-virt-apt.log 2>&1 \
    && apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/pulumi-virt-apt.log 2>&1 \
    || { tail -30 /tmp/pulumi-virt-apt.log >&2; die "apt-get failed (is the Debian mirror reachable?); log: /tmp/pulumi-virt-apt.log"; }
fi

log "libvirtd"
bash scripts/ensure-libvirtd.sh >&2

# npm ci when node_modules is missing or older than the lock file (a pull changed the dependencies).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
fi

log "build"
npm run --silent build >&2

log "test guest (Debian kernel + busybox, cached)"
bash tools/guest/build.sh
