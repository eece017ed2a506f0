#!/usr/bin/env bash
# The domains bench's reference (npm run bench -- domains): the same libvirt operations as the Pulumi stack,
# done the way a plain shell script would, one domain after the other, one virsh process per operation.
#
# usage: domains_virsh.sh apply URI XMLDIR          for each XMLDIR/<name>.xml: virsh define, virsh start
#        domains_virsh.sh update URI KIB NAME...    virsh setmem NAME KIB --live --config, each
#        domains_virsh.sh destroy URI NAME...       virsh destroy (force-off: no OS answers ACPI), virsh undefine, each
# Prints nothing; exits non-zero at the first failing virsh.
set -euo pipefail
mode=$1 uri=$2
shift 2
case $mode in
  apply)
    for xml in "$1"/*.xml; do
      name=$(basename "$xml" .xml)
      virsh -q -c "$uri" define "$xml" >/dev/null
      virsh -q -c "$uri" start "$name" >/dev/null
    done
    ;;
  update)
    kib=$1
    shift
    for name in "$@"; do
      virsh -q -c "$uri" setmem "$name" "$kib" --live --config >/dev/null
    done
    ;;
  destroy)
    for name in "$@"; do
      virsh -q -c "$uri" destroy "$name" >/dev/null
      virsh -q -c "$uri" undefine "$name" >/dev/null
    done
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
