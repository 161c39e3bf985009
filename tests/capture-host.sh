#!/bin/sh
# Capture what portaudit reads of this host into a tree that `portaudit --root`
# audits offline, so that a bug report can become a test fixture (the habit of
# util-linux's tests/ts/lscpu/mk-input.sh).
#
#   tests/capture-host.sh OUTDIR      then: portaudit --root OUTDIR
#
# It copies the three port sysctls of the caller's network namespace, the
# sockets of /proc/net/{tcp,tcp6,udp,udp6}, every sysctl.d directory and
# /etc/sysctl.conf (symlinks kept as symlinks: a /dev/null mask stays a mask),
# /etc/services, and the inventory sources.  It reads only; OUTDIR must not exist.
# Review the copy before sharing it: socket tables show addresses and ports.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
[ ! -e "$out" ] || { echo "$0: '$out' already exists" >&2; exit 2; }
mkdir -p "$out"

# copy_value FILE: one read of up to 1 MiB, since /proc/sys values exist only
# in the first read (cat would cut ip_local_reserved_ports at 128 KiB).
copy_value() {
	[ -r "$1" ] || return 0
	mkdir -p "$out$(dirname "$1")"
	dd if="$1" of="$out$1" bs=1048576 count=1 status=none
}

# copy_tree PATH: a file or a directory, symlinks kept, nothing outside it followed.
copy_tree() {
	[ -e "$1" ] || [ -L "$1" ] || return 0
	mkdir -p "$out$(dirname "$1")"
	cp -a "$1" "$out$(dirname "$1")/"
}

for key in ip_local_port_range ip_local_reserved_ports ip_unprivileged_port_start; do
	copy_value "/proc/sys/net/ipv4/$key"
done
# The socket tables are ordinary sequential files: cat reads them whole.
for f in tcp tcp6 udp udp6; do
	if [ -r "/proc/net/$f" ]; then
		mkdir -p "$out/proc/net"
		cat "/proc/net/$f" >"$out/proc/net/$f"
	fi
done
for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /etc/sysctl.conf \
	/etc/services /etc/portaudit /run/portaudit /usr/lib/portaudit; do
	copy_tree "$d"
done
# A split-/usr host has its own /lib/sysctl.d; on merged /usr it is /usr/lib's.
if [ ! -L /lib ] && [ -d /lib/sysctl.d ]; then
	copy_tree /lib/sysctl.d
fi
echo "captured into $out: audit it with 'portaudit --root $out'"
