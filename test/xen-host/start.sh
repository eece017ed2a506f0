#!/usr/bin/env bash
# Boots the Xen test host (build.sh's image) under QEMU TCG and waits until its libvirtd answers over TCP.
#
#   bash test/xen-host/start.sh      progress on stderr, the libvirt URI alone on stdout
#
# QEMU runs daemonized with its pidfile, serial log, monitor socket and disk overlay in $PVT_XEN_STATE
# (default /run/pulumi-virt-xen). The disk is a throwaway qcow2 overlay on the cached raw image, so the cache is
# never modified. User networking is restricted (the host sees no traffic from dom0 or its guests) and the two
# forwarded ports listen on 127.0.0.1 only: $PVT_XEN_PORT (default 26509) → libvirtd's TCP socket (16509, no
# auth) and $PVT_XEN_SSH_PORT (default 26522) → dom0's sshd (key in the cache directory). Already running:
# waits for libvirt and prints the URI (idempotent). On failure it shows the tail of the serial log and stops
# QEMU again (PVT_XEN_KEEP=1 leaves it running to look at).
#
# TCG only: this machine's /dev/kvm cannot run Xen (shared/docs/xen-host.md). -cpu Nehalem: an Intel-vendor
# model, so Xen keeps SEP and libvirt's libxl driver finds a CPU model for the host (qemu64 fails there).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${PVT_XEN_PORT:-26509}
SSH_PORT=${PVT_XEN_SSH_PORT:-26522}
STATE=${PVT_XEN_STATE:-/run/pulumi-virt-xen}
MEM_MB=${PVT_XEN_QEMU_MEM:-3072}
BOOT_TIMEOUT=${PVT_XEN_BOOT_TIMEOUT:-600}
URI="xen+tcp://127.0.0.1:$PORT/system"

log() { echo "xen-host: $*" >&2; }
serial_tail() { [ -f "$STATE/serial.log" ] && { echo "--- last 40 lines of $STATE/serial.log ---"; tail -n 40 "$STATE/serial.log" | tr -d '\r'; echo "---"; } >&2 || true; }
fail() {
  echo "xen-host: ERROR: $*" >&2
  serial_tail
  if [ "${PVT_XEN_KEEP:-0}" != 1 ]; then
    flock -u 9 || true
    bash "$here/stop.sh" >&2 || true
  fi
  exit 1
}

answers() { timeout 20 virsh -c "$URI" version >/dev/null 2>&1; }
# The pid in the pidfile, if that process is alive and is our QEMU (a pid can be reused).
running_pid() {
  local pid
  pid=$(cat "$STATE/qemu.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "qemu-system-x86_64.*$STATE/overlay.qcow2" && echo "$pid"
}

img=$(bash "$here/build.sh")
mkdir -p "$STATE"
exec 9>"$STATE/.lock"
flock 9

t0=$SECONDS
if pid=$(running_pid); then
  log "already running (QEMU pid $pid)"
else
  for p in "$PORT" "$SSH_PORT"; do
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
      fail "port 127.0.0.1:$p is already in use by another program (set PVT_XEN_PORT / PVT_XEN_SSH_PORT)"
    fi
  done
  rm -f "$STATE/qemu.pid" "$STATE/monitor.sock" "$STATE/overlay.qcow2" "$STATE/serial.log"
  qemu-img create -q -f qcow2 -b "$img/dom0.img" -F raw "$STATE/overlay.qcow2"
  echo "$img" >"$STATE/image-dir"
  # stop.sh's way in, kept beside the state: a newer build may remove this cache directory while QEMU runs.
  install -m600 "$img/id_ed25519" "$STATE/id_ed25519"
  # Xen on com1 (the serial log), dom0's kernel on hvc0 (which Xen also writes to com1). The multiboot modules
  # are separated by commas in -initrd; "noreboot": a crash stops instead of looping. Speculation mitigations
  # off (xpti, spec-ctrl, pv-l1tf; dom0's mitigations): on an emulated Intel CPU Xen turns XPTI on for PV
  # domains, which makes every syscall of dom0 (the hotplug scripts are thousands of them) several times slower,
  # and a throwaway test host has no secrets to protect. -nodefaults: no VGA, CD-ROM, floppy or parallel port
  # for dom0 to probe. 9>&-: QEMU must not inherit the lock of this script (it would hold it as long as it runs).
  qemu-system-x86_64 -name pulumi-virt-xen-host -nodefaults -machine q35 -accel tcg,thread=multi -cpu Nehalem -smp 2 -m "$MEM_MB" \
    -kernel "$img/boot/xen" \
    -append "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 noreboot xpti=false spec-ctrl=no pv-l1tf=false" \
    -initrd "$img/boot/vmlinuz root=/dev/vda rw console=hvc0 mitigations=off,$img/boot/initrd.img" \
    -drive "file=$STATE/overlay.qcow2,format=qcow2,if=virtio,cache=unsafe" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:16509,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" \
    -device virtio-net-pci,netdev=n0 \
    -serial "file:$STATE/serial.log" -monitor "unix:$STATE/monitor.sock,server,nowait" \
    -display none -daemonize -pidfile "$STATE/qemu.pid" 9>&-
  pid=$(running_pid) || fail "QEMU did not start"
  log "QEMU started (pid $pid), waiting for $URI (up to $BOOT_TIMEOUT s)"
fi

deadline=$((SECONDS + BOOT_TIMEOUT))
until answers; do
  running_pid >/dev/null || fail "QEMU exited while booting"
  [ $SECONDS -lt $deadline ] || fail "libvirt at $URI did not answer within $BOOT_TIMEOUT s"
  sleep 3
done
log "libvirt answers at $URI after $((SECONDS - t0)) s"
echo "$URI"
