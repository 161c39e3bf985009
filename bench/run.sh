#!/bin/bash
# The benchmark of issue 8 (bench/README.md): portaudit against ss and netstat
# on the same network namespace, side by side, at 1k, 10k and 100k established
# loopback connections, and the boot path (--fix with a few hundred sockets and
# a 200-service inventory).  Needs root (network and mount namespaces); the
# host's own sysctls and /etc are never changed: every socket lives in a
# namespace made here, and --fix writes to a copy of /etc/sysctl.d mounted over
# it in a private mount namespace.
#
#   bench/run.sh [-r RUNS] [-n "1000 10000 100000"] [-o OUTDIR] [-B] [-U]
#
# -B: the boot scenario only.  -U: leave the inventory's ports inside the
# ephemeral range unreserved, so that clients take some (see start_load).  Environment (make bench sets them): PORTAUDIT,
# BENCH_LOAD, BENCH_RUNNER, BENCH_SUMMARY.  Writes OUTDIR/samples.tsv (every
# run), OUTDIR/medians.tsv and OUTDIR/results.md (the tables), prints the
# tables and the DESIGN §10 targets, and exits 1 when a target is missed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
runs=11
sizes="1000 10000 100000"
out=${BENCH_OUT:-bench/out}
boot_only=false
unreserved=false
while getopts "r:n:o:BU" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	n) sizes=$OPTARG ;;
	o) out=$OPTARG ;;
	B) boot_only=true ;;
	U) unreserved=true ;;
	*) echo "usage: $0 [-r RUNS] [-n SIZES] [-o OUTDIR] [-B] [-U]" >&2; exit 2 ;;
	esac
done
$boot_only && sizes=

portaudit=${PORTAUDIT:-$top/portaudit}
load=${BENCH_LOAD:-$top/bench/bench-load}
runner=${BENCH_RUNNER:-$top/bench/bench-runner}
summary=${BENCH_SUMMARY:-$top/bench/bench-summary}
listeners=40      # idle listeners, half IPv4, half IPv6
boot_listeners=100
boot_conns=100
base=20000        # their ports: BASE.., then one per load worker
held_port=45000   # a client holds this inventory port (held-port finding)
self_port=46000   # a TCP self-connect on this inventory port

die() { echo "bench/run.sh: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network and mount namespaces)"
for f in "$portaudit" "$load" "$runner" "$summary"; do
	[ -x "$f" ] || die "$f missing: run 'make bench' (or 'make' first)"
done
missing=
for t in ip ss netstat unshare; do
	command -v $t >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	# netstat is in net-tools, which Debian no longer installs by default.
	command -v apt-get >/dev/null || die "missing:$missing"
	echo "bench/run.sh: installing iproute2 net-tools util-linux for:$missing" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		iproute2 net-tools util-linux >&2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
ns=
load_pid=
cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
	[ -n "$ns" ] && ip netns delete "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
: >"$out/samples.tsv"

# inventory FILE LISTENERS WORKERS: 200 services in all.  One per idle listener,
# one for the workers' listeners, one each for the held and the self-connected
# port, the rest idle ports: 100 below the ephemeral range and the others
# inside it, unreserved (ephemeral-overlap errors, as on a host never fixed).
inventory() {
	awk -v l="$2" -v w="$3" -v base=$base -v held=$held_port -v self=$self_port 'BEGIN {
		print "version: 1"; print "services:"
		for (i = 0; i < l; i++)
			printf "  listener-%03d:\n    ports: [%d]\n", i, base + i
		printf "  workers:\n    ports: [\"%d-%d\"]\n", base + l, base + l + w
		printf "  held:\n    ports: [%d]\n", held
		printf "  selfconnect:\n    ports: [%d]\n", self
		for (i = 0; i < 197 - l; i++)
			if (i < 100) printf "  idle-%03d:\n    ports: [%d]\n", i, 1000 + 3 * i
			else printf "  idle-%03d:\n    ports: [%d]\n", i, 33000 + 13 * i
	}' >"$1"
	chmod 0644 "$1"
	[ "$(grep -c '^  [a-z]' "$1")" = 200 ] || die "inventory generator: not 200 services"
}

# The idle inventory ports inside the ephemeral range (see inventory()).
inrange_ports() {
	awk -v l="$1" 'BEGIN { for (i = 100; i < 197 - l; i++) printf "%s%d", (i > 100 ? "," : ""), 33000 + 13 * i }'
}

# start_load NAME CONNS LISTENERS: a fresh namespace with lo up and the load.
# Unless -U, the inventory's ports inside the range are reserved first, as
# --fix leaves a host, so that no worker's client takes one: the findings are
# then the deliberate held port and self-connect, and what the audit costs is
# the checks, not naming the holders of hundreds of ports taken at random
# (which costs what ss -p costs: see RESULTS.md).
start_load() {
	ns=portaudit-bench-$$-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	if ! $unreserved; then
		ip netns exec "$ns" sh -c "echo $(inrange_ports "$3") >/proc/sys/net/ipv4/ip_local_reserved_ports"
	fi
	ip netns exec "$ns" "$load" -n "$2" -l "$3" -b $base -H $held_port -s $self_port \
		>"$tmp/ready" &
	load_pid=$!
	for _ in $(seq 1 1200); do
		grep -q '^ready' "$tmp/ready" && break
		kill -0 $load_pid 2>/dev/null || die "bench-load failed"
		sleep 0.1
	done
	grep -q '^ready' "$tmp/ready" || die "bench-load not ready after 120 s"
}

stop_load() {
	kill "$load_pid"
	wait "$load_pid" || true
	load_pid=
	ip netns delete "$ns"
	ns=
}

# sockets: what the namespace holds, as ss counts it.
sockets() {
	ip netns exec "$ns" ss -tanH | awk '{ n[$1]++ } END { for (s in n) printf "%s %d, ", s, n[s] }' |
		sed 's/, $//'
}

# measure SCENARIO COMMANDS-FILE [WRAP...]: the runner in the namespace.
measure() {
	local scen=$1 cmds=$2
	shift 2
	ip netns exec "$ns" "$@" "$runner" -r "$runs" "$cmds" >"$tmp/s.tsv"
	sed "s/^/$scen\t/" "$tmp/s.tsv" >>"$out/samples.tsv"
}

{
	echo "# bench/run.sh -r $runs -n \"$sizes\"$($boot_only && echo ' -B')$($unreserved && echo ' -U')"
	echo "# $(uname -srm), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "# portaudit: $("$portaudit" --version | head -1); $(ss -V); $(netstat -V 2>&1 | head -1)"
} >"$out/env.txt"
info="$out/scenarios.txt"
: >"$info"

for n in $sizes; do
	inventory "$tmp/inv.yaml" $listeners $(((n + 7999) / 8000))
	start_load "$n" "$n" $listeners
	echo "conns-$n: $(sockets)" | tee -a "$info"
	cat >"$tmp/cmds" <<-EOF
	portaudit	$portaudit -c $tmp/inv.yaml --format json
	portaudit-fix-dry-run	$portaudit -c $tmp/inv.yaml --fix --dry-run --format json
	ss-ltnH	ss -ltnH
	ss-tanH	ss -tanH
	ss-tanpH	ss -tanpH
	netstat-tan	netstat -tan
	EOF
	measure "conns-$n" "$tmp/cmds"
	stop_load
done

# The boot path: what portaudit.service runs, on a host whose earlier boots
# left the fragment in place (the steady state: the fragment is already
# right, so --fix reads, plans, compares and writes nothing), in a private
# mount namespace over a copy of /etc/sysctl.d.
inventory "$tmp/boot.yaml" $boot_listeners 1
start_load boot $boot_conns $boot_listeners
echo "boot: $(sockets)" | tee -a "$info"
mkdir "$tmp/sysctl.d"
cp -a /etc/sysctl.d/. "$tmp/sysctl.d/"
cat >"$tmp/cmds" <<-EOF
portaudit-fix	$portaudit -c $tmp/boot.yaml --fix --quiet
portaudit-fix-dry-run	$portaudit -c $tmp/boot.yaml --fix --dry-run --format json
portaudit	$portaudit -c $tmp/boot.yaml --format json
ss-ltnH	ss -ltnH
ss-tanH	ss -tanH
EOF
cat >"$tmp/wrap" <<-EOF
mount --bind "$tmp/sysctl.d" /etc/sysctl.d
exec "\$@"
EOF
measure boot "$tmp/cmds" unshare -m --propagation private sh "$tmp/wrap"
stop_load

"$summary" "$out/samples.tsv" >"$out/results.md"
"$summary" -m "$out/samples.tsv" >"$out/medians.tsv"
cat "$out/env.txt" "$info" "$out/results.md"

# The targets of DESIGN §10, from the medians.
echo
awk -F '\t' -v big="conns-${sizes##* }" '
	{ wall[$1, $2] = $4; rss[$1, $2] = $6; rssmax[$1, $2] = $7 }
	function check(ok, what) { printf "%s %s\n", ok ? "met:   " : "MISSED:", what; if (!ok) bad = 1 }
	END {
		if ((big, "portaudit") in wall) {
			a = wall[big, "portaudit"]
			check(a <= 0.5 * wall[big, "ss-tanH"], sprintf("%s: audit %.2f ms <= 0.5 x ss -tanH %.2f ms", big, a / 1000, wall[big, "ss-tanH"] / 1000))
			check(a <= 0.2 * wall[big, "ss-tanpH"], sprintf("%s: audit %.2f ms <= 0.2 x ss -tanpH %.2f ms", big, a / 1000, wall[big, "ss-tanpH"] / 1000))
			check(rssmax[big, "portaudit"] < 8192, sprintf("%s: audit peak RSS %.1f MiB < 8 MiB (max of all runs)", big, rssmax[big, "portaudit"] / 1024))
		}
		check(wall["boot", "portaudit-fix"] < 5000, sprintf("boot: --fix median %.2f ms < 5 ms", wall["boot", "portaudit-fix"] / 1000))
		exit bad
	}' "$out/medians.tsv"
