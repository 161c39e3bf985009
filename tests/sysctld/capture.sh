#!/bin/sh
# tests/capture-host.sh against the live snapshot: in a network namespace of
# the test's own, with a listener, a UDP socket and the longest reserved list
# the kernel prints (more than cat's 128 KiB read), a capture audited with
# --root must show the same kernel values, sysctl.d configuration and sockets
# as the live run.
. "$abs_top_srcdir/tests/lib/tap.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a network namespace"
command -v unshare >/dev/null || skip_all "unshare (util-linux) is missing"
command -v jq >/dev/null || skip_all "jq is missing"
unshare -n true 2>/dev/null || skip_all "cannot create a network namespace here"
tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-capture-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

plan 5
# Pairs 0-1,3-4,6-7,...: the longest list the kernel prints.  Written as lines
# of 300 items on one descriptor: each write stays under the kernel's 4095
# bytes and is ORed into the set (REFERENCE §1.2).
seq 0 3 65533 | awk '{ printf "%s%d-%d", (NR % 300 == 1 ? "" : ","), $1, $1 + 1 }
	NR % 300 == 0 { printf "\n" } END { printf "\n" }' >"$tmp/list"
want=$(seq 0 3 65533 | awk '{ printf "%s%d-%d", (NR > 1 ? "," : ""), $1, $1 + 1 }' | wc -c)
unshare -n sh -c '
	exec 3>/proc/sys/net/ipv4/ip_local_reserved_ports
	while read -r part; do
		printf "%s\n" "$part" >&3 || exit 1
	done <"$1/list"
	exec 3>&-
	echo "40000 40999" >/proc/sys/net/ipv4/ip_local_port_range
	ip link set lo up
	# A listener, so that the capture has a socket to show.
	python3 -c "
import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.1\", 40005)); s.listen()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind((\"::1\", 40006))
sys.stdout.write(\"up\\n\"); sys.stdout.flush(); time.sleep(60)" >"$1/up" &
	pid=$!
	for _ in $(seq 100); do [ -s "$1/up" ] && break; sleep 0.05; done
	"$2" --snapshot >"$1/live.json" &&
	sh "$3/tests/capture-host.sh" "$1/tree" >/dev/null
	rc=$?
	kill "$pid"
	wait "$pid" 2>/dev/null
	exit $rc
' _ "$tmp" "$PORTAUDIT" "$abs_top_srcdir"
ok $? "a live snapshot and a capture inside the namespace"

"$PORTAUDIT" --root "$tmp/tree" --snapshot >"$tmp/captured.json"
ok $? "the capture audits with --root"

is "$(jq -r '.kernel.ip_local_reserved_ports | length' "$tmp/captured.json")" "$want" \
	"the capture holds the whole $want-byte list"
same() { jq -S '{kernel: (.kernel | del(.source)), sysctl_d}' "$1"; }
same "$tmp/live.json" >"$tmp/live.norm"
same "$tmp/captured.json" >"$tmp/captured.norm"
cmp -s "$tmp/live.norm" "$tmp/captured.norm"
ok $? "kernel values and sysctl.d read from the capture equal the live ones"
[ $tap_failed = 0 ] || diff "$tmp/live.norm" "$tmp/captured.norm" | head -20 | sed 's/^/# /'
# netlink live, /proc/net from the capture: the same sockets.
socks() { jq -c '[.sockets.listeners[], .sockets.udp[] | {family, protocol, state, local, uid, inode}]' "$1"; }
is "$(socks "$tmp/captured.json")" "$(socks "$tmp/live.json")" \
	"the capture's /proc/net shows the live listener and UDP socket"
done_testing
