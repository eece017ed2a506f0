#!/usr/bin/env bash
# A multi-host libvirt test bed on this one machine: N real libvirtds (default 3), each a "host" of its own.
#
#   bash scripts/hosts.sh up [N]     start them (idempotent: a host that answers is left alone)
#   bash scripts/hosts.sh status     one line per host; exit 1 unless every host answers
#   bash scripts/hosts.sh env        shell assignments PVT_HOST<i>_{NAME,ADDR,TCP,TLS,SSH,SOCK,DIR} for tests and benches
#   bash scripts/hosts.sh stop I     stop host I's libvirtd only (a host that is down; its guests keep running)
#   bash scripts/hosts.sh down       stop everything it started (guests, daemons, namespaces, bridge); keeps keys and CA
#   bash scripts/hosts.sh purge      down, then remove its state folder too
#
# Each host i (1..N) is
#   - a network namespace pvt-mh-h<i> with one veth (eth0, 10.252.0.1<i>/24) on the bridge pvt-mh-br0, which holds
#     10.252.0.1/24 in the main namespace: the hosts reach each other and the main namespace reaches them; nothing
#     is forwarded or NATed, so no packet leaves the machine;
#   - a UTS namespace with host name pvt-mh-h<i> and a mount namespace in which /etc/libvirt, /run/libvirt,
#     /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt and /etc/hosts are bind mounts of folders under
#     $PVT_HOSTS_DIR/h<i> (default /var/lib/pulumi-virt/hosts): its own definitions, pools, run state, logs;
#   - its own virtlogd, libvirtd (host_uuid fixed per host, so libvirt sees distinct hosts and allows migration
#     between them) and sshd, all started inside those namespaces with pid files in its folder.
# libvirtd listens on its namespace address only: qemu+tcp (port 16509, no auth), qemu+tls (16514, certificates
# from a throwaway CA this script makes), and qemu+ssh through that host's sshd (root, a key made here, host keys
# checked against a known_hosts file made here: the ssh wrapper `$DIR/ssh/ssh` is given as the URI's command=).
# The unix socket is reachable from the main namespace too: qemu:///system?socket=$DIR/h<i>/run/libvirt-sock.
#
# The system libvirtd (qemu:///system) is never touched: everything here is found by its own pid files.
# Why namespaced daemons rather than nested VMs: see docs/multihost.md.
set -euo pipefail

DIR=${PVT_HOSTS_DIR:-/var/lib/pulumi-virt/hosts}
BR=pvt-mh-br0
NET=10.252.0
MAIN_ADDR=$NET.1
MAX=3

die() { echo "hosts.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, bind mounts, daemons)"

name() { echo "pvt-mh-h$1"; }
addr() { echo "$NET.1$1"; }
hdir() { echo "$DIR/h$1"; }

# How many hosts: the argument, else what an earlier `up` recorded, else 3.
count() {
  local n=${1:-}
  if [ -z "$n" ] && [ -f "$DIR/count" ]; then n=$(cat "$DIR/count"); fi
  n=${n:-3}
  case "$n" in 1|2|3) ;; *) die "N must be 1, 2 or 3 (got $n)";; esac
  echo "$n"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

tcp_uri() { echo "qemu+tcp://$(addr "$1")/system"; }
tls_uri() { echo "qemu+tls://$(addr "$1")/system?pkipath=$DIR/pki/client"; }
ssh_uri() { echo "qemu+ssh://root@$(addr "$1")/system?keyfile=$DIR/ssh/id_ed25519&no_tty=1&command=$DIR/ssh/ssh"; }
sock_uri() { echo "qemu:///system?socket=$(hdir "$1")/run/libvirt-sock"; }

answers() { timeout 10 virsh -q -c "$(tcp_uri "$1")" version >/dev/null 2>&1; }

# --- once: CA, certificates, ssh keys --------------------------------------------------------------------------

make_ca() {
  local pki=$DIR/pki
  [ -f "$pki/ca/cacert.pem" ] && return 0
  mkdir -p "$pki/ca" "$pki/client"
  chmod 700 "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=pulumi-virt test bed CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$pki/ca/cakey.pem" -out "$pki/ca/cacert.pem" 2>/dev/null
  cp "$pki/ca/cacert.pem" "$pki/client/cacert.pem"
  # One client certificate: the provider and every host's libvirtd (peer-to-peer migration over TLS) use it.
  sign "$pki/client/clientkey.pem" "$pki/client/clientcert.pem" "/CN=pvt-mh-client" "extendedKeyUsage=clientAuth"
}

# sign KEY CERT SUBJECT EXTRA-EXTENSION...
sign() {
  local key=$1 cert=$2 subj=$3; shift 3
  local ext; ext=$(mktemp)
  { echo "basicConstraints=critical,CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"; printf '%s\n' "$@"; } >"$ext"
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$key" -out "$key.csr" 2>/dev/null
  openssl x509 -req -in "$key.csr" -CA "$DIR/pki/ca/cacert.pem" -CAkey "$DIR/pki/ca/cakey.pem" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$cert" 2>/dev/null
  rm -f "$key.csr" "$ext"
  chmod 600 "$key"
}

make_ssh() {
  local s=$DIR/ssh
  mkdir -p "$s"
  chmod 700 "$s"
  [ -f "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C pvt-mh-client -f "$s/id_ed25519"
  # The ssh the URIs run (command=): host keys checked against our own known_hosts, never the user's files.
  cat >"$s/ssh" <<EOF
#!/bin/sh
exec ssh -F none -o UserKnownHostsFile=$s/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes "\$@"
EOF
  chmod 755 "$s/ssh"
}

# --- per host ----------------------------------------------------------------------------------------------------

write_config() {
  local i=$1 d; d=$(hdir "$i")
  mkdir -p "$d"/{etc/qemu/networks,etc/storage,run,lib/qemu,lib/dnsmasq,lib/images,cache,log/qemu,pki,sshd}
  [ -f "$d/host_uuid" ] || cat /proc/sys/kernel/random/uuid >"$d/host_uuid"
  # Inside the host's mount namespace these paths are /etc/libvirt, /run/libvirt, ...: write them as such.
  cat >"$d/etc/libvirtd.conf" <<EOF
# pulumi-virt test bed host $(name "$i") (scripts/hosts.sh)
host_uuid = "$(cat "$d/host_uuid")"
listen_tcp = 1
listen_tls = 1
listen_addr = "$(addr "$i")"
auth_tcp = "none"
auth_tls = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_rw_perms = "0700"
key_file = "/etc/libvirt/pki/serverkey.pem"
cert_file = "/etc/libvirt/pki/servercert.pem"
ca_file = "/etc/libvirt/pki/cacert.pem"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  # QEMU as root without a security driver or cgroups: two daemons on one kernel would otherwise share cgroup
  # paths (qemu-<id>-<name>) and fight over labels. migration_host: the address the destination gives the source
  # for the migration and NBD streams (its host name would need DNS).
  cat >"$d/etc/qemu.conf" <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
migration_host = "$(addr "$i")"
EOF
  cat >"$d/etc/virtlogd.conf" <<EOF
log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
EOF
  # libvirtd's TLS files (peer-to-peer migration between the hosts uses qemu+tcp, so they need no client files).
  local pki=$d/etc/pki
  mkdir -p "$pki"
  cp "$DIR/pki/ca/cacert.pem" "$pki/cacert.pem"
  if [ ! -f "$pki/servercert.pem" ]; then
    sign "$pki/serverkey.pem" "$pki/servercert.pem" "/CN=$(name "$i")" "extendedKeyUsage=serverAuth" "subjectAltName=IP:$(addr "$i"),DNS:$(name "$i")"
  fi
  # /etc/hosts of the host: every host's name, so host names resolve as on a real network.
  { echo "127.0.0.1 localhost"; for j in 1 2 3; do echo "$(addr "$j") $(name "$j")"; done; } >"$d/hosts"
  # sshd: its own host key, root by key only, listening on this host's address only.
  [ -f "$d/sshd/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -f "$d/sshd/ssh_host_ed25519_key"
  cp "$DIR/ssh/id_ed25519.pub" "$d/sshd/authorized_keys"
  cat >"$d/sshd/sshd_config" <<EOF
ListenAddress $(addr "$i")
HostKey $d/sshd/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/sshd/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  local kh=$DIR/ssh/known_hosts
  touch "$kh"
  grep -v "^$(addr "$i") " "$kh" >"$kh.new" || true
  echo "$(addr "$i") $(cut -d' ' -f1-2 "$d/sshd/ssh_host_ed25519_key.pub")" >>"$kh.new"
  mv "$kh.new" "$kh"
}

net_up() {
  local n=$1
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
  fi
  ip addr replace "$MAIN_ADDR/24" dev "$BR"
  ip link set "$BR" up
  for i in $(seq 1 "$n"); do
    local ns; ns=$(name "$i")
    ip netns list | grep -qw "^$ns" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
      ip link del "pvt-mh-v$i" 2>/dev/null || true
      ip link add "pvt-mh-v$i" type veth peer name "pvt-mh-p$i"
      ip link set "pvt-mh-p$i" netns "$ns"
      ip -n "$ns" link set "pvt-mh-p$i" name eth0
    fi
    ip link set "pvt-mh-v$i" master "$BR"
    ip link set "pvt-mh-v$i" up
    ip -n "$ns" addr replace "$(addr "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

start_host() {
  local i=$1 d ns; d=$(hdir "$i"); ns=$(name "$i")
  if alive "$d/libvirtd.pid" && answers "$i"; then
    echo "$ns: already up ($(tcp_uri "$i"))"
    return 0
  fi
  rm -f "$d/run/libvirt-sock" "$d/run/libvirt-sock-ro" "$d/run/libvirt-admin-sock"
  if alive "$d/virtlogd.pid" && ! alive "$d/libvirtd.pid"; then
    # Only libvirtd was stopped (`stop I`): start it again in the namespaces its guests and virtlogd still hold,
    # as after a daemon restart on a real host (the running guests are taken over again).
    nsenter --target "$(cat "$d/virtlogd.pid")" --mount --uts --net \
      libvirtd -d --listen -f /etc/libvirt/libvirtd.conf -p "$d/libvirtd.pid" >"$d/start.log" 2>&1 || die "$ns: libvirtd start failed: $(cat "$d/start.log")"
    wait_answers "$i"
    echo "$ns: libvirtd restarted ($(tcp_uri "$i"))"
    return 0
  fi
  stop_host "$i" quiet
  mkdir -p /run/sshd # sshd's privilege separation folder (a standard path; empty)
  local mounts="mount --bind $d/etc /etc/libvirt && mount --bind $d/run /run/libvirt && mount --bind $d/lib /var/lib/libvirt"
  mounts="$mounts && mount --bind $d/cache /var/cache/libvirt && mount --bind $d/log /var/log/libvirt && mount --bind $d/hosts /etc/hosts"
  # One shell in the new namespaces starts the three daemons (each daemonizes and keeps the namespaces alive).
  ip netns exec "$ns" unshare --mount --uts --propagation private sh -c "
    set -e
    hostname $ns
    $mounts
    virtlogd -d -f /etc/libvirt/virtlogd.conf -p $d/virtlogd.pid
    libvirtd -d --listen -f /etc/libvirt/libvirtd.conf -p $d/libvirtd.pid
    /usr/sbin/sshd -f $d/sshd/sshd_config -E $d/log/sshd.log
  " >"$d/start.log" 2>&1 || die "$ns: start failed: $(cat "$d/start.log")"
  wait_answers "$i"
  echo "$ns: up ($(tcp_uri "$i"), uuid $(cat "$d/host_uuid"))"
}

wait_answers() {
  local i=$1 t=0
  until answers "$i"; do
    t=$((t + 1))
    [ $t -le 60 ] || die "$(name "$i"): libvirtd does not answer on $(tcp_uri "$i") after 30 s; see $(hdir "$i")/log/libvirtd.log"
    sleep 0.5
  done
}

# Kills a pid from a pid file: TERM, then KILL after 10 s.
stop_pid() {
  local f=$1
  if alive "$f"; then
    local p; p=$(cat "$f")
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_host() {
  local i=$1 quiet=${2:-} d; d=$(hdir "$i")
  [ -d "$d" ] || return 0
  # Guests and dnsmasqs this host's libvirtd started (their pid files are in its run folder), then the daemons.
  for f in "$d"/run/qemu/*.pid "$d"/run/network/*.pid; do
    [ -f "$f" ] && stop_pid "$f"
  done
  stop_pid "$d/libvirtd.pid"
  stop_pid "$d/virtlogd.pid"
  stop_pid "$d/sshd.pid"
  [ -n "$quiet" ] || echo "$(name "$i"): stopped"
}

net_down() {
  for i in 1 2 3; do
    ip link del "pvt-mh-v$i" 2>/dev/null || true
    ip netns del "$(name "$i")" 2>/dev/null || true
  done
  ip link del "$BR" 2>/dev/null || true
}

status() {
  local n; n=$(count "${1:-}") ok=0
  for i in $(seq 1 "$n"); do
    local d; d=$(hdir "$i")
    if alive "$d/libvirtd.pid" && answers "$i"; then
      echo "$(name "$i"): up  $(tcp_uri "$i")  hostname=$(virsh -q -c "$(tcp_uri "$i")" hostname 2>/dev/null)  uuid=$(cat "$d/host_uuid")"
    else
      echo "$(name "$i"): down"
      ok=1
    fi
  done
  return $ok
}

env_lines() {
  local n; n=$(count "${1:-}")
  echo "PVT_HOSTS=$n"
  echo "PVT_HOSTS_DIR=$DIR"
  for i in $(seq 1 "$n"); do
    echo "PVT_HOST${i}_NAME=$(name "$i")"
    echo "PVT_HOST${i}_ADDR=$(addr "$i")"
    echo "PVT_HOST${i}_DIR=$(hdir "$i")"
    echo "PVT_HOST${i}_TCP='$(tcp_uri "$i")'"
    echo "PVT_HOST${i}_TLS='$(tls_uri "$i")'"
    echo "PVT_HOST${i}_SSH='$(ssh_uri "$i")'"
    echo "PVT_HOST${i}_SOCK='$(sock_uri "$i")'"
  done
}

cmd=${1:-status}
case "$cmd" in
  up)
    n=$(count "${2:-}")
    for bin in libvirtd virtlogd virsh sshd ssh-keygen openssl unshare; do command -v "$bin" >/dev/null || die "$bin not found"; done
    mkdir -p "$DIR"
    chmod 711 "$DIR"
    echo "$n" >"$DIR/count"
    make_ca
    make_ssh
    net_up "$n"
    for i in $(seq 1 "$n"); do write_config "$i"; done
    for i in $(seq 1 "$n"); do start_host "$i"; done
    ;;
  down | purge)
    for i in 1 2 3; do stop_host "$i"; done
    net_down
    if [ "$cmd" = purge ]; then rm -rf "$DIR"; echo "removed $DIR"; fi
    ;;
  stop)
    # One host's libvirtd only, as a daemon that went down: its guests keep running; `up` starts it again.
    i=${2:-}
    case "$i" in 1|2|3) ;; *) die "usage: hosts.sh stop 1|2|3";; esac
    stop_pid "$(hdir "$i")/libvirtd.pid"
    echo "$(name "$i"): libvirtd stopped (guests, virtlogd and sshd keep running; up starts it again)"
    ;;
  status) status "${2:-}" ;;
  env) env_lines "${2:-}" ;;
  *) die "usage: hosts.sh up [N] | stop I | down | purge | status | env" ;;
esac
