#!/usr/bin/env bash
# Builds the tiny Linux test guest (a Debian kernel + a busybox initramfs) from Debian packages only, into
# tools/guest/.cache/<key>/{vmlinuz,initrd.gz}. Idempotent: when the cache for the current package versions (and
# for the current content of this folder's guest files) exists, it only prints where it is.
#
#   bash tools/guest/build.sh          human messages on stderr, the cache directory alone on stdout
#
# Needs: apt-get (Debian 12). Nothing is installed on the host except `kmod` and `cpio` when they are missing
# (that needs root); the kernel and busybox packages are only downloaded (`apt-get download`) and unpacked with
# `dpkg -x` into a temporary directory. PVT_GUEST_CACHE overrides the cache directory.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${PVT_GUEST_CACHE:-$here/.cache}
log() { echo "guest: $*" >&2; }
die() { echo "guest: ERROR: $*" >&2; exit 1; }

# The kernel modules the guest carries (each with its dependencies, in load order). Xen PV front ends are loaded
# only when the guest runs on Xen. virtio_scsi/sd_mod are there so a test may attach SCSI disks too.
MODULES=(virtio_pci virtio_net virtio_blk virtio_balloon virtio_scsi sd_mod
  ahci sr_mod isofs button evdev xen-blkfront xen-netfront)

# --- which versions would we build? (apt-cache only reads the local package lists) ---------------------------
resolve() {
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
  [ -n "$kpkg" ] || return 1
  local pol
  pol=$(apt-cache policy "$kpkg" busybox-static 2>/dev/null)
  kver=$(awk -v p="$kpkg:" '/^[^ ]/ { cur = $1 } cur == p && $1 == "Candidate:" && $2 != "(none)" { print $2 }' <<<"$pol")
  bver=$(awk '/^[^ ]/ { cur = $1 } cur == "busybox-static:" && $1 == "Candidate:" && $2 != "(none)" { print $2 }' <<<"$pol")
  [ -n "$kver" ] && [ -n "$bver" ]
}

# The guest's own files are part of the key, so editing init rebuilds the initramfs.
content_hash() {
  (cd "$here" && find build.sh rootfs -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

newest_cache() {
  local d
  d=$(ls -1dt "$cache"/*/ 2>/dev/null | while read -r x; do [ -s "$x/vmlinuz" ] && [ -s "$x/initrd.gz" ] && { echo "${x%/}"; break; }; done)
  echo "$d"
}

use_cache() { # DIR WHY
  log "$2: $1"
  log "  kernel $(cat "$1/kernel-version" 2>/dev/null || echo '?'), vmlinuz $(du -k "$1/vmlinuz" | cut -f1) KiB, initrd.gz $(du -k "$1/initrd.gz" | cut -f1) KiB"
  echo "$1"
  exit 0
}

updated=0
apt_update() {
  [ $updated = 1 ] && return 1
  updated=1
  log "apt-get update"
  apt-get update -q >&2
}

if ! resolve; then
  if ! apt_update || ! resolve; then
    old=$(newest_cache)
    [ -n "$old" ] && use_cache "$old" "cannot resolve the package versions (Debian mirror unreachable?); using the existing cache"
    die "cannot find linux-image-amd64 / busybox-static in the apt lists and 'apt-get update' could not fix that (is the Debian mirror reachable?); no cached guest exists in $cache"
  fi
fi

# One build at a time (CI, the demo and a test may all ask for the guest).
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

hash=$(content_hash)
key=$(printf '%s_%s_busybox-%s_%s' "${kpkg#linux-image-}" "$kver" "$bver" "$hash" | tr -c 'A-Za-z0-9._\n-' '_')
out=$cache/$key
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then
  use_cache "$out" "cached"
fi

# --- build ----------------------------------------------------------------------------------------------------
for tool in depmod:kmod modprobe:kmod cpio:cpio gzip:gzip; do
  command -v "${tool%%:*}" >/dev/null 2>&1 && continue
  [ "$(id -u)" = 0 ] || die "'${tool%%:*}' is missing; install the ${tool#*:} package (as root: apt-get install ${tool#*:})"
  log "apt-get install ${tool#*:}"
  apt-get install -y -q --no-install-recommends "${tool#*:}" >&2 \
    || { apt_update && apt-get install -y -q --no-install-recommends "${tool#*:}" >&2; } \
    || die "could not install ${tool#*:} (is the Debian mirror reachable?)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pvt-guest-build.XXXXXX")
tmp_out=""
trap 'rm -rf "$work" ${tmp_out:+"$tmp_out"}' EXIT
started=$SECONDS

download() {
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$kver" "busybox-static=$bver" >&2)
}
log "downloading $kpkg=$kver and busybox-static=$bver"
if ! download; then
  if apt_update && resolve; then
    hash=$(content_hash)
    key=$(printf '%s_%s_busybox-%s_%s' "${kpkg#linux-image-}" "$kver" "$bver" "$hash" | tr -c 'A-Za-z0-9._\n-' '_')
    out=$cache/$key
    [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] && use_cache "$out" "cached"
    log "downloading $kpkg=$kver and busybox-static=$bver (after apt-get update)"
  fi
  if ! download; then
    old=$(newest_cache)
    [ -n "$old" ] && use_cache "$old" "download failed (Debian mirror unreachable?); using the existing cache"
    die "could not download $kpkg=$kver / busybox-static=$bver with apt-get (is the Debian mirror reachable?); no cached guest exists in $cache"
  fi
fi

mkdir -p "$work/kernel" "$work/busybox"
dpkg -x "$work"/"$kpkg"_*.deb "$work/kernel"
dpkg -x "$work"/busybox-static_*.deb "$work/busybox"
kdir=$(ls -1d "$work"/kernel/lib/modules/*/ | head -1)
kv=$(basename "$kdir")
[ -f "$work/kernel/boot/vmlinuz-$kv" ] || die "no /boot/vmlinuz-$kv in $kpkg"
bb=$work/busybox/bin/busybox
[ -x "$bb" ] || die "no /bin/busybox in busybox-static"
depmod -b "$work/kernel" "$kv"

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,var/log,mnt/cidata,lib/modules/"$kv"}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
"$bb" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Modules, each with its dependencies, in load order, without duplicates.
order=$root/etc/modules.order
: >"$order"
for m in "${MODULES[@]}"; do
  modprobe -d "$work/kernel" -S "$kv" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
    rel=${ko#"$kdir"}
    grep -qxF "$rel" "$order" && continue
    mkdir -p "$root/lib/modules/$kv/$(dirname "$rel")"
    cp "$ko" "$root/lib/modules/$kv/$rel"
    echo "$rel" >>"$order"
  done
done
cp "$kdir"/modules.builtin "$kdir"/modules.builtin.modinfo "$kdir"/modules.order "$root/lib/modules/$kv/" 2>/dev/null || true
depmod -b "$root" "$kv" # so that busybox modprobe also works inside the guest

cp -a "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root"/etc/udhcpc.script "$root"/etc/power-button.sh
echo "$kv" >"$root/etc/kernel-version"

mkdir -p "$cache"
tmp_out=$(mktemp -d "$cache/.building.XXXXXX")
cp "$work/kernel/boot/vmlinuz-$kv" "$tmp_out/vmlinuz"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$tmp_out/initrd.gz"
echo "$kv" >"$tmp_out/kernel-version"
{
  echo "kernel package: $kpkg $kver (kernel $kv)"
  echo "busybox package: busybox-static $bver"
  echo "guest files hash: $hash"
  echo "vmlinuz: $(stat -c %s "$tmp_out/vmlinuz") bytes"
  echo "initrd.gz: $(stat -c %s "$tmp_out/initrd.gz") bytes"
  echo "modules (load order):"
  sed 's/^/  /' "$order"
} >"$tmp_out/manifest.txt"
chmod 0755 "$tmp_out"
chmod 0644 "$tmp_out"/*
rm -rf "$out"
mv "$tmp_out" "$out"
tmp_out=""

# Keep only the current build.
for d in "$cache"/*/; do
  d=${d%/}
  [ "$d" != "$out" ] && [ -d "$d" ] && rm -rf "$d"
done
log "built in $((SECONDS - started)) s"
use_cache "$out" "ready"
