#!/usr/bin/env bash
# Builds the Xen test host: a Debian 12 dom0 disk image (Xen 4.17 + libvirtd's libxl driver) plus the files to
# boot it under QEMU, and the PV guest payload inside it (/var/lib/xen/images/{vmlinuz,tiny-initrd.gz}).
# Debian packages only: debootstrap, then apt-get install in a chroot.
#
#   bash test/xen-host/build.sh      progress on stderr, the cache directory alone on stdout
#
# Cache: $PVT_XEN_CACHE (default /var/cache/pulumi-virt/xen-host)/<key>/, outside the repository because CI
# clones afresh on the same machine each run. The key hashes the package set, SCRIPT_VERSION and this folder's
# build inputs (this script, guest/), so any change to what goes in rebuilds; package versions are whatever the
# mirror serves on the day of the build (manifest.txt records them). When <key>/ exists the script only prints
# it. The build happens in a temporary directory beside it, renamed into place at the end (atomic: an
# interrupted build leaves no half cache; the next run deletes the leftover). Bind mounts are undone on any exit.
# Needs root, debootstrap (installed when missing), the Debian mirror and about 2 GB of disk while building.
set -euo pipefail
export LC_ALL=C

SCRIPT_VERSION=1
MIRROR=${PVT_XEN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${PVT_XEN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
cache_root=${PVT_XEN_CACHE:-/var/cache/pulumi-virt/xen-host}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# debootstrap's base additions, then what the chroot installs (no recommends).
INCLUDE=(systemd-sysv udev kmod iproute2 ca-certificates)
PACKAGES=(linux-image-amd64 initramfs-tools xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
  xen-hypervisor-common libvirt-daemon libvirt-daemon-driver-xen libvirt-daemon-system libvirt-clients
  busybox-static openssh-server)
# The PV guest's kernel modules (each with its dependencies, in load order).
GUEST_MODULES=(xen-blkfront xen-netfront)

log() { echo "xen-host: $*" >&2; }
die() { echo "xen-host: ERROR: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "build.sh needs root (debootstrap, chroot, bind mounts)"

inputs_hash() {
  {
    printf '%s\n' "version=$SCRIPT_VERSION" "suite=$SUITE" "include=${INCLUDE[*]}" "packages=${PACKAGES[*]}" "modules=${GUEST_MODULES[*]}"
    (cd "$here" && find build.sh guest -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}
key=$(inputs_hash)
out=$cache_root/$key

done_already() { [ -f "$out/manifest.txt" ] && [ -f "$out/dom0.img" ] && [ -f "$out/boot/xen" ]; }
if done_already; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
# One build at a time (ci.sh and someone by hand may race); the loser finds the cache made by the winner.
exec 9>"$cache_root/.lock"
flock 9
if done_already; then
  log "cached (built by a concurrent run): $out"
  echo "$out"
  exit 0
fi
# Every mount under DIR (ours, and debootstrap's own), deepest first. A build killed with SIGKILL leaves its bind
# mounts of /dev, /proc and /sys behind: they must be gone before anything under DIR is deleted.
unmount_under() {
  local m
  for m in $(awk -v w="$1/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  ! awk -v w="$1/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/mounts
}
remove_build_dir() {
  unmount_under "$1" || die "cannot unmount everything under $1; not deleting it (see /proc/mounts)"
  rm -rf --one-file-system "$1"
}
# Leftovers of interrupted builds.
for old in "$cache_root"/.build.*; do
  [ -e "$old" ] && remove_build_dir "$old"
done

work=$(mktemp -d "$cache_root/.build.XXXXXX")
R=$work/rootfs
cleanup() { remove_build_dir "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t0=$SECONDS
stage() { log "$1 ($((SECONDS - t0)) s so far)"; }

if ! command -v debootstrap >/dev/null 2>&1; then
  log "apt-get install debootstrap"
  apt-get install -y -q --no-install-recommends debootstrap >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends debootstrap >&2; } ||
    die "could not install debootstrap on this host (is the Debian mirror reachable?)"
fi
for tool in mkfs.ext4 cpio gzip zcat ssh-keygen qemu-img; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing on this host"
done

# Fail early, and say why, when the mirror cannot be reached: the image cannot be made without it.
if ! timeout 60 /usr/lib/apt/apt-helper download-file "$MIRROR/dists/$SUITE/InRelease" "$work/InRelease" >/dev/null 2>&1; then
  die "the Debian mirror $MIRROR is unreachable (cannot fetch dists/$SUITE/InRelease), and no cached dom0 image exists for key $key in $cache_root: the Xen host cannot be built"
fi

stage "debootstrap $SUITE (log: $work/debootstrap.log)"
s=$SECONDS
if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${INCLUDE[*]}")" "$SUITE" "$R" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap failed (Debian mirror $MIRROR unreachable?)"
fi
t_debootstrap=$((SECONDS - s))

stage "apt-get install in the chroot"
s=$SECONDS
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
  "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SECURITY_MIRROR" "$SUITE" >"$R/etc/apt/sources.list"
# No daemon may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
mount --bind /dev "$R/dev"
mount -t devpts devpts "$R/dev/pts"
in_chroot() { DEBIAN_FRONTEND=noninteractive chroot "$R" "$@"; }
if ! in_chroot apt-get update -q >"$work/apt.log" 2>&1 ||
  ! in_chroot apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$work/apt.log" 2>&1; then
  tail -n 20 "$work/apt.log" >&2
  die "apt-get in the chroot failed (Debian mirror $MIRROR or $SECURITY_MIRROR unreachable?)"
fi
in_chroot dpkg-query -W -f '${Package} ${Version}\n' >"$work/packages.txt"
in_chroot apt-get clean
umount "$R/dev/pts" "$R/dev" "$R/sys" "$R/proc"
rm -f "$R/usr/sbin/policy-rc.d"
t_apt=$((SECONDS - s))

stage "configuring dom0"
s=$SECONDS
K=$(ls "$R/lib/modules")
[ "$(echo "$K" | wc -w)" = 1 ] || die "expected one kernel in the chroot, found: $K"
echo xendom0 >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 xendom0\n' >"$R/etc/hosts"
echo '/dev/vda / ext4 defaults,noatime 0 1' >"$R/etc/fstab"
# ssh as root with a key made here (kept in the cache beside the image): stop.sh powers dom0 off with it, and
# it is the way in for debugging. The port is forwarded to 127.0.0.1 only.
mkdir -p "$work/out/boot"
ssh-keygen -q -t ed25519 -N '' -C pulumi-virt-xen-host -f "$work/out/id_ed25519"
install -d -m700 "$R/root/.ssh"
install -m600 "$work/out/id_ed25519.pub" "$R/root/.ssh/authorized_keys"
# Networking: DHCP from QEMU's user network on the virtio NIC; xenbr0 is the guests' bridge (no uplink: the
# guests only need a NIC that exists and a bridge to put it on).
printf '[Match]\nName=en* eth*\n[Network]\nDHCP=ipv4\n' >"$R/etc/systemd/network/10-wired.network"
printf '[NetDev]\nName=xenbr0\nKind=bridge\n' >"$R/etc/systemd/network/20-xenbr0.netdev"
printf '[Match]\nName=xenbr0\n[Network]\nConfigureWithoutCarrier=yes\nLinkLocalAddressing=no\n' >"$R/etc/systemd/network/20-xenbr0.network"
# libvirtd on TCP without auth: reachable only through QEMU's hostfwd on 127.0.0.1. Debian 12's libvirtd is
# socket-activated, so the TCP socket unit is what listens (--listen would conflict with it).
sed -i 's/^#\?auth_tcp = .*/auth_tcp = "none"/' "$R/etc/libvirt/libvirtd.conf"
# No timeout-based exit: the daemon would otherwise stop after 120 s idle between test runs (it would come back
# through socket activation, but a fresh libxl driver start costs seconds under TCG).
printf 'LIBVIRTD_ARGS=""\n' >"$R/etc/default/libvirtd"
# dom0 has a fixed memory size (dom0_mem=...,max:...): libvirt must not balloon it down for guests.
sed -i 's/^#\?autoballoon = .*/autoballoon = 0/' "$R/etc/libvirt/libxl.conf"
# Xen's daemons (xenstored, xenconsoled) come from the SysV script /etc/init.d/xen: libvirtd after it.
mkdir -p "$R/etc/systemd/system/libvirtd.service.d"
printf '[Unit]\nWants=xen.service\nAfter=xen.service\n' >"$R/etc/systemd/system/libvirtd.service.d/10-xen.conf"
# xenconsoled also logs every guest console to /var/log/xen/console/guest-<name>.log (for debugging over ssh;
# Debian's /etc/init.d/xen passes XENCONSOLED_ARGS from this file).
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' >>"$R/etc/default/xen"
mkdir -p "$R/var/log/xen/console" # xenconsoled does not make it
chroot "$R" systemctl -q enable systemd-networkd.service libvirtd-tcp.socket
# Less to do at boot under emulation: no periodic jobs, no ext4 snapshot reaper.
chroot "$R" systemctl -q mask e2scrub_reap.service 2>/dev/null || true
chroot "$R" systemctl -q disable apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer 2>/dev/null || true
# The journal to the console too: the serial log then shows why a service failed.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nForwardToConsole=yes\nMaxLevelConsole=warning\n' >"$R/etc/systemd/journald.conf.d/console.conf"

# --- the PV guest payload: this kernel + a busybox initramfs (guest/init) -------------------------------------
I=$work/initrd
mkdir -p "$I"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,lib/modules/"$K"}
cp "$R/bin/busybox" "$I/bin/busybox"
"$I/bin/busybox" --list-full | while read -r applet; do
  [ -e "$I/$applet" ] || ln -s /bin/busybox "$I/$applet"
done
: >"$I/etc/modules.order"
for m in "${GUEST_MODULES[@]}"; do
  chroot "$R" modprobe -S "$K" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
    rel=${ko#/lib/modules/$K/}
    grep -qxF "$rel" "$I/etc/modules.order" && continue
    mkdir -p "$I/lib/modules/$K/$(dirname "$rel")"
    cp "$R$ko" "$I/lib/modules/$K/$rel"
    echo "$rel" >>"$I/etc/modules.order"
  done
done
[ -s "$I/etc/modules.order" ] || die "no guest modules found for kernel $K"
echo "$K" >"$I/etc/kernel-version"
install -m755 "$here/guest/init" "$I/init"
rm -f "$I/sbin/poweroff"
install -m755 "$here/guest/poweroff" "$I/sbin/poweroff"
mkdir -p "$R/var/lib/xen/images"
(cd "$I" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$R/var/lib/xen/images/tiny-initrd.gz"
cp "$R/boot/vmlinuz-$K" "$R/var/lib/xen/images/vmlinuz"
cp "$R/var/lib/xen/images/vmlinuz" "$R/var/lib/xen/images/tiny-initrd.gz" "$work/out/"

# --- boot files for QEMU's multiboot loader ---------------------------------------------------------------------
# QEMU's -kernel does not decompress: the uncompressed xen is an ELF32 with a multiboot1 header it loads as is.
zcat "$R"/boot/xen-4.17*.gz >"$work/out/boot/xen"
cp "$R/boot/vmlinuz-$K" "$work/out/boot/vmlinuz"
cp "$R/boot/initrd.img-$K" "$work/out/boot/initrd.img"
t_config=$((SECONDS - s))

stage "making the 4 GiB ext4 image"
s=$SECONDS
# mkfs.ext4 -d copies the tree into the new file system: no loop device, no mount.
truncate -s 4G "$work/out/dom0.img"
mkfs.ext4 -q -F -L dom0 -d "$R" "$work/out/dom0.img"
t_image=$((SECONDS - s))

{
  echo "key: $key (script version $SCRIPT_VERSION)"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) from $MIRROR ($SUITE)"
  echo "dom0 kernel: $K"
  echo "xen: $(grep -E '^xen-hypervisor-4' "$work/packages.txt" | head -1)"
  echo "libvirt: $(grep -E '^libvirt-daemon ' "$work/packages.txt")"
  echo "guest initrd: $(stat -c %s "$work/out/tiny-initrd.gz") bytes; modules: $(tr '\n' ' ' <"$I/etc/modules.order")"
  echo "image: $(du -k "$work/out/dom0.img" | cut -f1) KiB used of 4 GiB"
  echo "timings: debootstrap ${t_debootstrap}s, chroot apt ${t_apt}s, configure+payload ${t_config}s, mkfs ${t_image}s"
  echo "packages:"
  sed 's/^/  /' "$work/packages.txt"
} >"$work/out/manifest.txt"
cp "$work/debootstrap.log" "$work/apt.log" "$work/out/"

# Into place atomically, then drop the builds of other keys (about 1 GB each).
rm -rf "$out"
mv -T "$work/out" "$out"
for d in "$cache_root"/*/; do
  d=${d%/}
  [ "$d" != "$out" ] && rm -rf "$d"
done
log "built in $((SECONDS - t0)) s: debootstrap ${t_debootstrap}s, chroot apt ${t_apt}s, configure+payload ${t_config}s, mkfs ${t_image}s"
echo "$out"
