#!/bin/sh
# Run the libFuzzer targets for a while each and summarise what they found.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     (targets: inventory portset services sysctld)
#
# Needs a build configured with --enable-fuzz CC=clang (`make fuzz` builds the
# binaries and calls this).  Each target starts from the committed corpus
# tests/fuzz/corpus/TARGET, which is only read: inputs that reach new code go
# to a scratch corpus, findings (crash-*, leak-*, timeout-*, oom-*) to an
# artifacts directory, libFuzzer's output to a log, all below FUZZ_SCRATCH.
# To keep useful new inputs, merge them into the committed corpus by hand:
#   tests/fuzz/fuzz-T -merge=1 SRCDIR/tests/fuzz/corpus/T FUZZ_SCRATCH/corpus/T
#
# Environment:
#   FUZZ_BUILDDIR  directory of the fuzz-* binaries
#                  (default: $abs_top_builddir/tests/fuzz, else ./tests/fuzz)
#   FUZZ_SCRATCH   scratch directory (default: $abs_top_builddir/tests/fuzz/scratch)
#   FUZZ_JOBS      targets run at the same time (default 1)
#   FUZZ_ARGS      more libFuzzer options, e.g. "-max_len=16384 -only_ascii=1"
# Exit status: 0 when nothing was found, 1 when a target found something,
# 2 on a usage or setup error.

set -u

here=$(cd "$(dirname "$0")" && pwd)
usage() {
	echo "usage: $0 SECONDS [TARGET...]   (targets: inventory portset services sysctld)" >&2
	exit 2
}

[ $# -ge 1 ] || usage
secs=$1
shift
case $secs in '' | *[!0-9]*) usage ;; esac
[ $# -gt 0 ] || set -- inventory portset services

if [ -n "${abs_top_builddir:-}" ]; then
	top=$abs_top_builddir
else
	top=$(pwd)
fi
bindir=${FUZZ_BUILDDIR:-$top/tests/fuzz}
scratch=${FUZZ_SCRATCH:-$top/tests/fuzz/scratch}
jobs=${FUZZ_JOBS:-1}
corpus=$here/corpus

for t in "$@"; do
	if [ ! -x "$bindir/fuzz-$t" ]; then
		echo "$0: $bindir/fuzz-$t not found: configure with --enable-fuzz CC=clang and run make" >&2
		exit 2
	fi
	if [ ! -d "$corpus/$t" ]; then
		echo "$0: no corpus $corpus/$t" >&2
		exit 2
	fi
done

# Count the findings in a directory.
findings() {
	find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
		-name 'timeout-*' -o -name 'oom-*' \) | wc -l
}

# One target: libFuzzer writes new inputs to the first corpus directory only.
run_one() {
	t=$1
	mkdir -p "$scratch/corpus/$t" "$scratch/artifacts/$t" "$scratch/logs" || return 2
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	before=$(findings "$scratch/artifacts/$t")
	# shellcheck disable=SC2086 # FUZZ_ARGS and dict are lists of options
	"$bindir/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t/" $dict \
		${FUZZ_ARGS:-} "$scratch/corpus/$t" "$corpus/$t" \
		>"$scratch/logs/$t.log" 2>&1
	status=$?
	after=$(findings "$scratch/artifacts/$t")
	echo "$status $((after - before))" >"$scratch/logs/$t.status"
}

running=0
for t in "$@"; do
	echo "fuzzing $t for ${secs}s (log: $scratch/logs/$t.log)"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

found=0
printf '\n%-10s %12s %8s %7s %7s %7s %8s  %s\n' target executions exec/s cov features corpus findings status
for t in "$@"; do
	log=$scratch/logs/$t.log
	read -r status new <"$scratch/logs/$t.status" || { status=2; new=0; }
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# The last status line: "#N  DONE  cov: C ft: F corp: K/S ...".
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	printf '%-10s %12s %8s %7s %7s %7s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$new" "$status"
	if [ "$new" -gt 0 ] || [ "$status" -ne 0 ]; then
		found=1
		echo "  $t: libFuzzer exited $status; see $log and $scratch/artifacts/$t/"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed)' "$log" | head -n 3 | sed 's/^/    /'
	fi
done
exit $found
