#!/bin/sh
# Time loading a generated inventory of N services (default 5000): the whole
# process, 'portaudit -c FILE --print-inventory' (load, every check, emit) and
# 'portaudit -c FILE -q' (load, then the kernel read), N_RUNS times each, and
# print min/median/max wall time and the peak RSS of one run.
# Usage: bench/inventory-load.sh [SERVICES] [RUNS]   (from a built tree)
set -eu
n=${1:-5000}
runs=${2:-21}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${PORTAUDIT:-$top/portaudit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every fifth service a range, every seventh both protocols, every eleventh a
# name from /etc/services and a unit and process; ports never collide.
awk -v n="$n" 'BEGIN {
	print "version: 1"; print "services:"
	for (i = 0; i < n; i++) {
		p = 1024 + i * 12
		printf "  svc-%05d:\n", i
		if (i % 5 == 0) printf "    ports: [%d, \"%d-%d\"]\n", p, p + 1, p + 9
		else printf "    ports: [%d, %d]\n", p, p + 1
		if (i % 7 == 0) print "    protocol: [tcp, udp]"
		if (i % 11 == 0) printf "    unit: svc-%05d.service\n    process: svc%05d\n", i, i
	}
	print "  names:"; print "    ports: [ssh, domain, http, https, imap, imaps, ldap, smtp]"
	print "policy: {reserve: ephemeral, unlisted_listeners: warning, min_ephemeral_ports: 16384}"
}' >"$tmp/inv.yaml"
chmod 0644 "$tmp/inv.yaml"

# time_runs LABEL CMD...: median of $runs wall times in milliseconds.
time_runs() {
	label=$1
	shift
	i=0
	: >"$tmp/times"
	while [ $i -lt "$runs" ]; do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) >>"$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk -v label="$label" '{ t[NR] = $1 } END {
		printf "%-40s min %7.2f ms  median %7.2f ms  max %7.2f ms  (%d runs)\n",
			label, t[1] / 1000, t[int((NR + 1) / 2)] / 1000, t[NR] / 1000, NR }'
}

echo "inventory: $n services + 1, $(wc -c <"$tmp/inv.yaml") bytes, $(wc -l <"$tmp/inv.yaml") lines"
"$bin" -c "$tmp/inv.yaml" --print-inventory >"$tmp/out.yaml"
"$bin" -c "$tmp/out.yaml" --print-inventory | cmp -s - "$tmp/out.yaml" && echo "round trip: ok"
time_runs "portaudit --version (process baseline)" "$bin" --version
time_runs "portaudit -c inv --print-inventory" "$bin" -c "$tmp/inv.yaml" --print-inventory
time_runs "portaudit -c inv -q" "$bin" -c "$tmp/inv.yaml" -q
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f "peak RSS of -c inv --print-inventory: %M KiB" "$bin" -c "$tmp/inv.yaml" --print-inventory >/dev/null
fi
