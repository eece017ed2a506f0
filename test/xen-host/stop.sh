#!/usr/bin/env bash
# Stops the Xen test host started by start.sh: a clean power-off of dom0 (ssh `systemctl poweroff`, else the ACPI
# power button through QEMU's monitor), then, if QEMU has not exited after $PVT_XEN_STOP_TIMEOUT seconds
# (default 90), SIGTERM and SIGKILL to the QEMU pid from the pidfile — never to any other process. Removes the
# disk overlay and the monitor socket. Safe to run when nothing runs.
set -euo pipefail

SSH_PORT=${PVT_XEN_SSH_PORT:-26522}
STATE=${PVT_XEN_STATE:-/run/pulumi-virt-xen}
STOP_TIMEOUT=${PVT_XEN_STOP_TIMEOUT:-90}

log() { echo "xen-host: $*" >&2; }
[ -d "$STATE" ] || { log "not running (no $STATE)"; exit 0; }
exec 9>"$STATE/.lock"
flock 9

running_pid() {
  local pid
  pid=$(cat "$STATE/qemu.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "qemu-system-x86_64.*$STATE/overlay.qcow2" && echo "$pid"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_gone() { # PID SECONDS
  local until=$((SECONDS + $2))
  while [ $SECONDS -lt $until ]; do gone "$1" && return 0; sleep 1; done
  gone "$1"
}
monitor() { # one human-monitor command
  [ -S "$STATE/monitor.sock" ] && command -v nc >/dev/null 2>&1 && echo "$1" | timeout 5 nc -U -q 1 "$STATE/monitor.sock" >/dev/null 2>&1
}

t0=$SECONDS
if pid=$(running_pid); then
  if [ -f "$STATE/id_ed25519" ] &&
    timeout 20 ssh -i "$STATE/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1 'systemctl poweroff' 2>/dev/null; then
    log "dom0 powering off (ssh), waiting for QEMU pid $pid to exit"
  elif monitor system_powerdown; then
    log "ACPI power button pressed (QEMU monitor), waiting for QEMU pid $pid to exit"
  else
    log "could not ask dom0 to power off"
  fi
  # dom0 stops its guests' backends and services, then Xen enters ACPI S5 and QEMU exits (about 20 s).
  if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
    log "QEMU pid $pid still running after $STOP_TIMEOUT s: SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 10; then
      log "QEMU pid $pid still running: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || { log "ERROR: QEMU pid $pid survived SIGKILL"; exit 1; }
    fi
  fi
  log "stopped after $((SECONDS - t0)) s"
else
  log "not running"
fi
rm -f "$STATE/qemu.pid" "$STATE/monitor.sock" "$STATE/overlay.qcow2" "$STATE/image-dir" "$STATE/id_ed25519"
