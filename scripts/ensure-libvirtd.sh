#!/usr/bin/env bash
# Makes sure virtlogd and libvirtd run and that libvirtd answers on its socket.
# Idempotent: does nothing when they already run. There is no systemd on our machines (and none in CI),
# so the daemons are started directly with -d. Used by .ci/run, the tests' setup notes and the demo.
set -euo pipefail

sock=/run/libvirt/libvirt-sock

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-libvirtd: must run as root to start the system libvirtd (or start it yourself)" >&2
  exit 1
fi

for bin in libvirtd virtlogd virsh; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "ensure-libvirtd: $bin not found; install it with: apt-get install -y libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils" >&2
    exit 1
  fi
done

# Without udev (our machines, CI) /dev/kvm stays root:root 0600, and QEMU, which libvirt runs as libvirt-qemu,
# gets "Could not access KVM kernel module: Permission denied". Apply what udev's rule does on a normal host.
if [ -c /dev/kvm ] && getent group kvm >/dev/null 2>&1; then
  if [ "$(stat -c %G /dev/kvm)" != kvm ] || [ $(( 0$(stat -c %a /dev/kvm) & 060 )) -ne 48 ]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
  fi
fi

answers() { timeout 5 virsh -c qemu:///system version >/dev/null 2>&1; }

if answers; then
  exit 0
fi

mkdir -p /run/libvirt
# The system daemons by their pid files, not by name: the multi-host test bed (scripts/hosts.sh) runs more
# libvirtd and virtlogd processes on this machine, in their own namespaces.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
alive /run/virtlogd.pid || virtlogd -d
if ! alive /run/libvirtd.pid; then
  rm -f /run/libvirtd.pid
  libvirtd -d
fi

# The first start probes QEMU's capabilities, which took over a minute on our 2-core machines.
deadline=$((SECONDS + ${LIBVIRTD_START_TIMEOUT:-240}))
while [ $SECONDS -lt $deadline ]; do
  if [ -S "$sock" ] && answers; then
    exit 0
  fi
  sleep 0.2
done
echo "ensure-libvirtd: libvirtd did not answer on $sock within ${LIBVIRTD_START_TIMEOUT:-240} s; see /var/log/libvirt/libvirtd.log" >&2
exit 1
