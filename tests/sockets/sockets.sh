#!/bin/sh
# The socket readers against the real kernel, in a network namespace of this
# test's own (REFERENCE §3.1, §4): sockpeer creates TCP listeners (IPv4, IPv6,
# dual-stack and v6-only [::]), connections, a TIME_WAIT, UDP sockets bound and
# connected, bound-inactive TCP sockets and a TCP self-connect; sockdump prints
# what sockets_read() returns.  Oracles: ss(8) for the sets, netlink and procfs
# for each other, the kernel version for bound-inactive support.  Also the held
# filter, an offline root made of this namespace's /proc/net, and a few hundred
# connections that must be counted but not kept.
. "$abs_top_srcdir/tests/lib/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root for a network namespace"
command -v unshare >/dev/null 2>&1 || skip_all "needs unshare (util-linux)"
if [ "${PORTAUDIT_SOCKETS_NETNS:-}" != 1 ]; then
	unshare -n true 2>/dev/null || skip_all "cannot create a network namespace"
	PORTAUDIT_SOCKETS_NETNS=1 exec unshare -n /bin/sh "$0" "$@"
fi

bin=$abs_top_builddir/tests/sockets
tmp=$(mktemp -d "${TMPDIR:-/tmp}/portaudit-sockets.XXXXXX") || exit 1
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

plan 35

ip link set lo up || exit 1
range=/proc/sys/net/ipv4/ip_local_port_range

# start NAME COMMAND...: a sockpeer in the background; waits for its "ready".
start() {
	name=$1
	shift
	: >"$tmp/$name.out"
	"$bin/sockpeer" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids="$pids $pid"
	n=0
	while ! grep -qx ready "$tmp/$name.out"; do
		if ! kill -0 "$pid" 2>/dev/null || [ $n -ge 400 ]; then
			sed 's/^/# /' "$tmp/$name.err"
			return 1
		fi
		sleep 0.05
		n=$((n + 1))
	done
}

# ss's view as "proto STATE LOCAL REMOTE", in sockdump's spelling: kernel state
# names, "[::]" for ss's "*" (a dual-stack IPv6 wildcard), port 0 for "*".
ss_view() {
	ss -tuanH | awk '
		function addr(a) {
			sub(/^\*:/, "[::]:", a)
			sub(/:\*$/, ":0", a)
			return a
		}
		{
			st = $2
			if (st == "ESTAB") st = "ESTABLISHED"
			else if (st == "UNCONN") st = ($1 == "udp") ? "UNCONN" : "CLOSE"
			gsub(/-/, "_", st)
			sub(/^FIN_WAIT_/, "FIN_WAIT", st)
			print $1, st, addr($5), addr($6)
		}' | sort
}

# kept FILE: the ss view FILE as sockets_read() keeps it with every port held: a TCP
# socket neither listening nor self-connected on a port some TCP socket listens on
# is an accepted connection, which holds nothing, and is left out.
kept() {
	awk '
		function port(a) { n = split(a, p, ":"); return p[n] }
		{ line[NR] = $0; proto[NR] = $1; st[NR] = $2; l[NR] = $3; r[NR] = $4 }
		$1 == "tcp" && $2 == "LISTEN" { listened[port($3)] = 1 }
		END {
			for (i = 1; i <= NR; i++)
				if (proto[i] != "tcp" || st[i] == "LISTEN" || l[i] == r[i] ||
				    !(port(l[i]) in listened))
					print line[i]
		}' "$1"
}

# dump NAME ARGS...: sockdump's records into $tmp/NAME, notes into $tmp/NAME.err.
dump() {
	name=$1
	shift
	"$bin/sockdump" "$@" >"$tmp/$name" 2>"$tmp/$name.err"
}

# The records of a dump as "proto STATE LOCAL REMOTE" (ss's fields), without the
# bound-inactive ones that ss 6.1 cannot show.
tuples() {
	awk '!/^#/ && $3 != "BOUND_INACTIVE" { print $2, $3, $4, $5 }' "$tmp/$1" | sort
}

# The summary value KEY of a dump.
summary() {
	sed -n "s/^#.* $2=\\([^ ]*\\).*/\\1/p" "$tmp/$1"
}

kver=$(uname -r)
kmajor=${kver%%.*}
kminor=${kver#*.}
kminor=${kminor%%[!0-9]*}
if [ "$kmajor" -gt 6 ] || { [ "$kmajor" -eq 6 ] && [ "$kminor" -ge 8 ]; }; then
	has_bound_inactive=yes
else
	has_bound_inactive=no
fi

# A self-connect: with only 40000 and 40001 to choose from, connect() to
# 127.0.0.1:40000, where nothing listens, soon picks 40000 as its source.
echo "40000 40001" >"$range"
start self selfconnect 127.0.0.1 40000 2000
ok $? "a TCP self-connect on 127.0.0.1:40000"

echo "41000 41999" >"$range"
start main \
	listen 127.0.0.1 5000 listen 0.0.0.0 5001 listen ::1 5002 \
	listen :: 5003 listen-v6only :: 5004 \
	connect 127.0.0.1 5000 connect ::1 5002 connect 127.0.0.1 5003 connect ::1 5003 \
	timewait 127.0.0.1 5005 timewait ::1 5006 \
	udp 0.0.0.0 5300 udp ::1 5301 udp :: 5302 udp-v6only :: 5303 \
	udpconn 127.0.0.1 0 127.0.0.1 5300 udpconn ::1 0 ::1 5301 \
	udpconn :: 0 ::ffff:127.0.0.1 5300 \
	bind 127.0.0.1 7000 bind :: 7001
ok $? "sockets of every kind"

# Every TCP socket is "held" with all ports held, so a dump shows them all.
dump nl -b netlink -p 0-65535
ok $? "netlink: sockets_read succeeds"
is "$(cat "$tmp/nl.err")" "" "netlink: no notes"
dump pf -b procfs -p 0-65535
ok $? "procfs: sockets_read succeeds"
is "$(cat "$tmp/pf.err")" "" "procfs: no notes"
ss_view >"$tmp/ss"
echo "# ss: $(wc -l <"$tmp/ss") sockets; netlink: $(grep '^#' "$tmp/nl"); procfs: $(grep '^#' "$tmp/pf")"

is "$(tuples nl)" "$(kept "$tmp/ss")" "netlink and ss list the same sockets (connections on listened ports left out)"
is "$(tuples pf)" "$(kept "$tmp/ss")" "procfs and ss list the same sockets (connections on listened ports left out)"
is "$(awk '$1 == "tcp" && $2 == "ESTABLISHED" && $3 ~ /:500[023]$/' "$tmp/ss" | wc -l)" 4 \
	"ss shows the 4 accepted connections on the listened ports 5000, 5002 and 5003 that are left out"
# Beyond ss's fields: the same uid and inode for every socket.
is "$(awk '!/^#/ && $3 != "BOUND_INACTIVE" { print $1, $2, $3, $4, $5, $7, $8 }' "$tmp/nl" | sort)" \
	"$(awk '!/^#/ { print $1, $2, $3, $4, $5, $7, $8 }' "$tmp/pf" | sort)" \
	"netlink and procfs agree on every record, uid and inode included"

is "$(summary nl bound_inactive)" "$has_bound_inactive" \
	"netlink dumps bound-inactive sockets exactly when the kernel ($kver) has TCP_BOUND_INACTIVE"
if [ "$has_bound_inactive" = yes ]; then
	want_bi='tcp BOUND_INACTIVE 127.0.0.1:7000 0.0.0.0:0 v6only=-
tcp BOUND_INACTIVE [::]:7001 [::]:0 v6only=1'
else
	want_bi=
fi
is "$(awk '$3 == "BOUND_INACTIVE" { print $2, $3, $4, $5, $6 }' "$tmp/nl" | sort)" "$want_bi" \
	"netlink: the two bound-inactive sockets, and not its own probe"
is "$(summary pf bound_inactive)" "no" "procfs cannot see bound-inactive sockets"

# v6only DUMP PROTO LOCAL: the v6only field of the listener or unconnected UDP socket.
v6only() {
	awk -v p="$2" -v s="$3" '$2 == p && ($3 == "LISTEN" || $3 == "UNCONN") && $4 == s { print $6 }' "$tmp/$1"
}
is "$(v6only nl tcp '[::]:5003')" "v6only=0" "netlink: [::]:5003 is dual-stack"
is "$(v6only nl tcp '[::]:5004')" "v6only=1" "netlink: [::]:5004 is v6-only"
is "$(v6only nl tcp '[::1]:5002')" "v6only=1" \
	"netlink: [::1]:5002 is v6-only (the kernel sets it for a specific address)"
is "$(v6only nl udp '[::]:5302') $(v6only nl udp '[::]:5303')" "v6only=0 v6only=1" \
	"netlink: UDP [::]:5302 dual-stack, [::]:5303 v6-only"
is "$(awk '!/^#/ && $4 !~ /^\[/ && $6 != "v6only=-"' "$tmp/nl")" "" \
	"netlink: no v6only on IPv4 records"
is "$(awk '!/^#/ && $6 != "v6only=-"' "$tmp/pf")" "" "procfs: v6only unknown everywhere"
is "$(grep -c '^held tcp ESTABLISHED [^ ]*:500[023] ' "$tmp/nl" "$tmp/pf" | sed 's/.*://' | tr '\n' ' ')" "0 0 " \
	"neither backend keeps an accepted connection, even the IPv4 one of the dual-stack listener (in tcp6, read after tcp)"

dump auto
is "$(summary auto backend)" "netlink" "the live root reads over netlink"
# No held ports: only the self-connect is kept.
want_self='held tcp ESTABLISHED 127.0.0.1:40000 127.0.0.1:40000'
is "$(awk '$1 == "held" { print $1, $2, $3, $4, $5 }' "$tmp/auto")" "$want_self" \
	"netlink: without held ports only the self-connect is kept"
dump pf0 -b procfs
is "$(awk '$1 == "held" { print $1, $2, $3, $4, $5 }' "$tmp/pf0")" "$want_self" \
	"procfs: without held ports only the self-connect is kept"

# The held filter: the client port of "connect 127.0.0.1 5000".
port=$(awk '$1 == "connect" && $3 == "127.0.0.1:5000" { n = split($2, a, ":"); print a[n] }' "$tmp/main.out")
want=$(awk -v p="$port" '$1 == "tcp" && $2 != "LISTEN" {
	n = split($3, a, ":"); if (a[n] == p || $3 == $4) print }' "$tmp/ss" | sort)
others=$(awk '$1 == "tcp" && $2 != "LISTEN"' "$tmp/ss" | wc -l)
for b in netlink procfs; do
	dump held-$b -b $b -p "$port"
	is "$(awk '$1 == "held" { print $2, $3, $4, $5 }' "$tmp/held-$b" | sort)" "$want" \
		"$b: held port $port keeps exactly its sockets and the self-connect"
	is "$(summary held-$b tcp_other)" "$others" "$b: all $others other TCP sockets are counted"
done

# An offline root: this namespace's /proc/net copied into a tree.
mkdir -p "$tmp/root/proc/net"
for f in tcp tcp6 udp udp6; do cat /proc/net/$f >"$tmp/root/proc/net/$f"; done
dump offline -r "$tmp/root" -p 0-65535
is "$(grep -v '^#' "$tmp/offline")" "$(grep -v '^#' "$tmp/pf")" \
	"offline root: the same records as the live procfs"
rm "$tmp/root/proc/net/tcp6"
dump offline4 -r "$tmp/root" -p 0-65535
is "$(cat "$tmp/offline4.err")" "note: $tmp/root/proc/net/tcp6: missing, its sockets are not listed" \
	"offline root without tcp6: a note names the file"
is "$(grep -v '^#' "$tmp/offline4")" \
	"$(awk '!/^#/ && !($2 == "tcp" && $4 ~ /^\[/)' "$tmp/pf")" \
	"offline root without tcp6: everything else is read"

# Streaming: 300 connections more are counted, and only what the filter keeps
# is stored (sockets-netlink.c allocates nothing per socket).
start many pairs 300 127.0.0.1 6000
ok $? "300 more connections"
port=$(awk '$1 == "pair" { n = split($2, a, ":"); print a[n] }' "$tmp/many.out")
ss_view >"$tmp/ss2"
others=$(awk '$1 == "tcp" && $2 != "LISTEN"' "$tmp/ss2" | wc -l)
for b in netlink procfs; do
	dump many-$b -b $b -p "$port"
	is "$(awk '$1 == "held" { print $2, $3, $4 }' "$tmp/many-$b" | sort)" \
		"tcp ESTABLISHED 127.0.0.1:40000
tcp ESTABLISHED 127.0.0.1:$port" \
		"$b: of $others other TCP sockets, the held port's and the self-connect are kept"
	is "$(summary many-$b tcp_other) $(summary many-$b held_cap)" "$others 16" \
		"$b: all counted, and the held list never grew past its first 16 slots"
	echo "# $b: $(grep '^#' "$tmp/many-$b")"
done

done_testing
