#!/bin/bash
# 16 portaudit --fix runs at once with different inventories, round after
# round, in mount and network namespaces of their own (issue 9), while a
# reader cats the fragment in a loop.
#
# Which outcomes are valid.  The lock serialises the runs in some order; each
# run i plans live_after = (live - (previous - others - D_i)) ∪ D_i, previous
# being what the fragment it finds assigns (the last run's D ∪ others).  Here
# others = O (another file reserves it), the live value starts as x ∪ O (x:
# a port someone reserved by hand) plus the previous round's D, and each
# round's D_i share one port s_r with each other and nothing else with x, O or
# an earlier round.  After the first run of a round the live value is
# x ∪ O ∪ D_first (the previous round's D is released), and each later run j
# releases D_prev - D_j and adds D_j, so whatever the order the round ends
# with x ∪ O ∪ D_last, where last is the run whose fragment D_last ∪ O is in
# place.  So exactly 16 final states are valid: fragment i byte for byte with
# live value x ∪ O ∪ D_i, the same i; a fragment of one run with the live
# value of another means two runs overlapped.  The reader may see only the
# complete fragments of this round or the one the round started with (none,
# before the first run ever), never a partial or missing file once one
# exists.  A 17th inventory then converges, and a repeat run changes nothing.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/crash/lib.sh"

rounds=5
runs=16

if [ "$1" != --case ]; then
	crash_preflight
	command -v md5sum >/dev/null || bail "md5sum is missing"
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-crash-concurrent-XXXXXX") || exit 1
	export tmp
	trap 'crash_case_stop; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	plan $((1 + 4 * rounds + 1))
	t0=$SECONDS
	crash_case rounds
	read -r n_runs n_reads <"$tmp/totals" || bail "the case left no totals"
	echo "# $n_runs runs in $rounds rounds of $runs at once, $n_reads reads of the fragment," \
		"$((SECONDS - t0)) s"
	done_testing
fi

name=$2
crash_case_enter "$name"
crash_inventories

x=$foreign
o=$other_set
echo "net.ipv4.ip_local_reserved_ports = $o" >/run/sysctl.d/50-other.conf
# The header, and a check of the simplest case.
first_run "$new_inv" "$new_set,$o" "$new_set"
rm -f "$frag"
echo "$x,$o" >"$reserved_proc"

# D of run i in round r: three ports of its own and s_r.
d_set() {
	local base=$((40100 + 160 * $1 + 10 * $2))
	echo "$((40010 + $1)),$base,$((base + 1)),$((base + 5))"
}

md5() {
	md5sum | cut -d' ' -f1
}

# The reader: each cat of the fragment followed by a line holding only RS (\036).
reader() {
	while [ ! -e "$tmp/stop" ]; do
		cat "$frag" 2>/dev/null
		printf '\036\n'
	done >"$1"
}

# judge_reads READS MISSING-OK FILE...: "READS DISTINCT TORN": how many reads,
# how many different contents, how many of them are none of the FILEs (an
# empty read, a missing file, counts as one of them when MISSING-OK is 1).
judge_reads() {
	local reads=$1 missing_ok=$2
	shift 2
	awk -v RS='\036\n' -v missing_ok="$missing_ok" '
		FILENAME != reads { ok[$0] = 1; next }
		{ n++; if (!($0 in seen)) { seen[$0] = 1; d++; if (!($0 in ok) && !($0 == "" && missing_ok)) t++ } }
		END { printf "%d %d %d\n", n, d, t }' reads="$reads" "$@" "$reads"
}

missing_ok=1 # the first round starts with no fragment
: >"$tmp/start"
total_runs=0 total_reads=0
for ((r = 0; r < rounds; r++)); do
	# The candidates: fragment i and its live set.
	declare -A cand_md5=()
	for ((i = 0; i < runs; i++)); do
		d=$(d_set "$r" "$i")
		IFS=, read -ra ports <<<"$d"
		inventory "$tmp/r$r-$i.yaml" "${ports[@]}"
		text=''
		fragment_text text "$d,$o"
		printf '%s' "$text" >"$tmp/want$r-$i"
		cand_md5[$(md5 <"$tmp/want$r-$i")]=$i
		pset norm "$x,$o,$d" >"$tmp/live$r-$i"
	done

	rm -f "$tmp/stop"
	reader "$tmp/reads$r" &
	reader_pid=$!
	crash_bg_pids+=" $reader_pid"
	pids=''
	for ((i = 0; i < runs; i++)); do
		"$PORTAUDIT" --fix -c "$tmp/r$r-$i.yaml" >"$tmp/out$r-$i" 2>&1 &
		pids+=" $!"
	done
	crash_bg_pids+=" $pids"
	bad='' i=0
	for p in $pids; do
		wait "$p"
		rc=$?
		if ! is_0_or_1 "$rc" || grep -q '^fix failed: ' "$tmp/out$r-$i"; then
			bad+="#   run $i: exit $rc: $(grep -m 1 -e '^fix failed' -e '^portaudit:' "$tmp/out$r-$i")"$'\n'
		fi
		i=$((i + 1))
	done
	touch "$tmp/stop"
	wait "$reader_pid"
	crash_bg_pids=${crash_bg_pids/ $reader_pid/}
	crash_bg_pids=${crash_bg_pids/ $pids/}
	total_runs=$((total_runs + runs))
	[ -z "$bad" ]
	ok $? "round $r: $runs parallel --fix runs with different inventories each exit 0 or 1, none failed"
	printf '%s' "$bad"

	last=${cand_md5[$(md5 <"$frag")]}
	[ -n "$last" ] && cmp -s "$frag" "$tmp/want$r-$last" && [ ! -e "$frag_temp" ] &&
		[ "$(ls -A /etc/sysctl.d)" = 99-zz-portaudit.conf ]
	ok $? "round $r: the fragment is byte for byte the complete one of run ${last:-(none)}, no temporary file"

	read -r live_now <"$reserved_proc"
	[ -n "$last" ] && [ "$live_now" = "$(cat "$tmp/live$r-$last")" ]
	ok $? "round $r: the live value ($live_now) is x ∪ O ∪ D of that same run"

	# Each distinct thing the reader saw: a candidate, or what the round started with.
	read -r n_reads seen torn < <(judge_reads "$tmp/reads$r" "$missing_ok" \
		"$tmp"/want"$r"-* "$tmp/start")
	total_reads=$((total_reads + n_reads))
	[ "$n_reads" -gt 0 ] && [ "$torn" = 0 ]
	ok $? "round $r: the reader's $n_reads cats saw $seen different contents, each a complete fragment ($torn torn or missing)"

	cp "$frag" "$tmp/start"
	missing_ok=0
	unset cand_md5
done

# A 17th inventory converges from the last round's state, and again changes nothing.
d=40950,40960-40962
inventory "$tmp/last.yaml" 40950 '"40960-40962"'
"$PORTAUDIT" --fix -c "$tmp/last.yaml" >"$tmp/out.last" 2>&1
rc=$?
fragment_text want "$d,$o"
slurp got "$frag"
read -r live_now <"$reserved_proc"
stamp=$(stat -c %Y.%y "$frag")
"$PORTAUDIT" --fix -c "$tmp/last.yaml" >"$tmp/out.again" 2>&1
rc2=$?
is_0_or_1 "$rc" && is_0_or_1 "$rc2" && [ "$got" = "$want" ] &&
	[ "$live_now" = "$(pset norm "$x,$o,$d")" ] && [ "$(stat -c %Y.%y "$frag")" = "$stamp" ] &&
	grep -q "is up to date" "$tmp/out.again"
ok $? "a 17th inventory converges: its fragment, live value x ∪ O ∪ D ($live_now), and a repeat run changes nothing"
echo "$total_runs $total_reads" >"$tmp/totals"
