#!/usr/bin/env bash
# Removes libvirt objects that tests left behind: every domain, network, pool and volume whose name starts
# with a test prefix (pvt-). `--check` only lists them and exits 1 when there are any.
# Tests clean up after themselves; this is the safety net for a run that was killed.
set -uo pipefail
prefix=${SWEEP_PREFIX:-pvt-}
check=0
[ "${1:-}" = "--check" ] && check=1
left=0

for uri in qemu:///system; do
  virsh -c "$uri" version >/dev/null 2>&1 || continue
  for d in $(virsh -c "$uri" list --all --name 2>/dev/null | grep "^$prefix" || true); do
    left=1; echo "domain $d"
    [ $check = 1 ] && continue
    virsh -c "$uri" destroy "$d" >/dev/null 2>&1
    virsh -c "$uri" undefine "$d" --nvram --managed-save --snapshots-metadata >/dev/null 2>&1 || virsh -c "$uri" undefine "$d" >/dev/null 2>&1
  done
  for n in $(virsh -c "$uri" net-list --all --name 2>/dev/null | grep "^$prefix" || true); do
    left=1; echo "network $n"
    [ $check = 1 ] && continue
    virsh -c "$uri" net-destroy "$n" >/dev/null 2>&1
    virsh -c "$uri" net-undefine "$n" >/dev/null 2>&1
  done
  for p in $(virsh -c "$uri" pool-list --all --name 2>/dev/null | grep "^$prefix" || true); do
    left=1; echo "pool $p"
    [ $check = 1 ] && continue
    virsh -c "$uri" pool-start "$p" >/dev/null 2>&1
    for v in $(virsh -c "$uri" vol-list "$p" 2>/dev/null | awk 'NR>2 && $1 != "" {print $1}'); do
      virsh -c "$uri" vol-delete "$v" --pool "$p" >/dev/null 2>&1
    done
    virsh -c "$uri" pool-destroy "$p" >/dev/null 2>&1
    virsh -c "$uri" pool-delete "$p" >/dev/null 2>&1
    virsh -c "$uri" pool-undefine "$p" >/dev/null 2>&1
  done
done

# Host links and network namespaces tests make (the host-bridge tests: links pvthb…, namespaces pvt-hb-…, each
# possibly with a dnsmasq of theirs). The multi-host test bed (scripts/hosts.sh: pvt-mh-…) is infrastructure like
# the system libvirtd, left running on purpose: `bash scripts/hosts.sh down` stops it.
for l in $(ip -o link 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^pvthb' || true); do
  left=1; echo "link $l"
  [ $check = 1 ] && continue
  ip link del "$l" >/dev/null 2>&1 || true
done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^pvt-hb-' || true); do
  left=1; echo "netns $ns"
  [ $check = 1 ] && continue
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  ip netns del "$ns" >/dev/null 2>&1 || true
done

if [ $check = 1 ] && [ $left = 1 ]; then
  echo "sweep: the objects above were left on the host by tests" >&2
  exit 1
fi
exit 0
