#!/bin/sh
# Run by busybox acpid on the ACPI power button (event PWRF/00000080): power off now. There is nothing to save
# in this guest; "poweroff -f" calls the kernel directly (plain poweroff would signal PID 1, a shell).
echo "GUEST: poweroff (ACPI power button)" >"${OUT:-/dev/console}"
sync
poweroff -f
