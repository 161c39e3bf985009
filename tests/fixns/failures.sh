#!/bin/bash
# portaudit --fix where writing goes wrong, each case in a mount and network
# namespace of its own whose sysctl.d directories, /run and /etc/sysctl.conf
# are fresh scratch mounts (tests/fixns/lib.sh): read-only /etc/sysctl.d,
# read-only /proc/sys, symlinks at the fragment and at its temporary name, a
# stale temporary file, a full file system, a missing /etc/sysctl.d, a run
# that has to wait for the lock, 16 runs at once, --dry-run and --no-apply.
# A failure is exit 3 with one "fix failed:" line per problem and fix.errors in
# JSON; the fragment is the old one byte for byte or the complete new one, and
# no temporary file is left behind.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/fixns/lib.sh"

if [ "$1" != --inner ]; then
	fixns_preflight
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-fixns-failures-XXXXXX") || exit 1
	inner=
	trap '[ -n "$inner" ] && { kill "$inner"; wait "$inner"; } 2>/dev/null; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	export tmp
	unshare -m -n --propagation private bash "$0" --inner &
	inner=$!
	wait "$inner"
	rc=$?
	inner=
	exit "$rc"
fi

# --- inside a private mount namespace, itself covered -----------------------

ns_pids='' bg_pids=''
cleanup() {
	local p
	ns_stop_all
	for p in $bg_pids $(cat "$tmp"/*.pid 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fixns_cover "$tmp/outer-sysctl.conf" ||
	{ echo "1..0 # SKIP could not cover the sysctl.d directories with private mounts"; exit 1; }

live_range="40000 40999"

# A namespace for one case (NS): fresh scratch mounts, lo up, a narrow range.
case_start() {
	ns_start -m -n --propagation private || return 1
	nsenter -t "$NS" -m -n bash -c '
		. "$1/tests/lib/tap.sh"; . "$1/tests/fixns/lib.sh"
		fixns_cover "$2" && ip link set lo up && echo "$3" >"$range_proc"' _ \
		"$abs_top_srcdir" "$tmp/sysctl.conf.$NS" "$live_range"
}

case_end() {
	ns_stop "$NS"
}

in_ns() {
	nsenter -t "$NS" -m -n "$@"
}

pa() {
	in_ns "$PORTAUDIT" "$@"
}

live() {
	in_ns cat "$reserved_proc"
}

set_live() {
	in_ns bash -c 'echo "$1" >"$2"' _ "$1" "$reserved_proc"
}

# How many temporary files /etc/sysctl.d holds.
temp_files() {
	in_ns find /etc/sysctl.d -maxdepth 1 -name '*.tmp' | wc -l
}

# The one name in /etc/sysctl.d.
only_file() {
	in_ns ls -A /etc/sysctl.d
}

# The fragment's part of the diff that --dry-run's text output $1 prints
# after its plan line (the live value's part follows it).
dry_run_diff() {
	sed -n '/^fix (dry run): nothing written; portaudit --fix would make these changes:$/,/^$/p' \
		"$1" | sed '1d;$d' | awk '/^--- / { n++ } n == 1'
}

# The fragment portaudit writes for the set $1, from the header of a real one.
expected() {
	cat "$tmp/header"
	echo "net.ipv4.ip_local_reserved_ports = $1"
}

inventory() { # inventory FILE PORT...
	local f=$1
	shift
	printf 'version: 1\nservices:\n  web:\n    ports: [%s]\n' "$(IFS=,; echo "$*")" >"$f"
}

# The JSON field $2 of file $1.
jf() {
	jq -r "$2" "$1"
}

# In a failed run's outputs (text $1, JSON $2, exit statuses $4 and $5): exit
# 3 both times, each problem on one "fix failed:" line, as many as fix.errors
# holds, and both say $3.
failed_clearly() {
	local text=$1 json=$2 word=$3 rc_t=$4 rc_j=$5 n_lines n_errors
	n_lines=$(grep -c '^fix failed: ' "$text")
	n_errors=$(jf "$json" '.fix.errors | length')
	[ "$rc_t" = 3 ] && [ "$rc_j" = 3 ] && [ "$(jf "$json" .fix.failed)" = true ] &&
		[ "$(jf "$json" .summary.exit)" = 3 ] && [ "$n_lines" -ge 1 ] &&
		[ "$n_errors" = "$n_lines" ] && grep '^fix failed: ' "$text" | grep -q -- "$word" &&
		jf "$json" '.fix.errors[]' | grep -q -- "$word"
	local r=$?
	if [ "$r" != 0 ]; then
		echo "# exit $rc_t (text), $rc_j (JSON); $n_lines 'fix failed:' lines," \
			"$n_errors fix.errors; want '$word'"
		grep '^fix' "$text" | sed 's/^/#   /'
		jf "$json" '.fix.errors[]' | sed 's/^/#   /'
	fi
	return $r
}

is_0_or_1() {
	[ "$1" = 0 ] || [ "$1" = 1 ]
}

plan 38

inventory "$tmp/a.yaml" 40100 40200
inventory "$tmp/b.yaml" '"40300-40302"' 40400
set_a=40100,40200
set_b=40300-40302,40400

# --- the header, from a plain run ------------------------------------------
case_start || { echo "Bail out! cannot start a namespace"; exit 1; }
pa --fix -c "$tmp/a.yaml" >"$tmp/out" 2>&1
rc=$?
in_ns cat "$frag" >"$tmp/frag"
head -n 4 "$tmp/frag" >"$tmp/header"
is_0_or_1 "$rc" && [ "$(sed -n 5p "$tmp/frag")" = "net.ipv4.ip_local_reserved_ports = $set_a" ] &&
	[ "$(wc -l <"$tmp/frag")" = 5 ] && grep -q '^# ' "$tmp/header" &&
	[ "$(in_ns stat -c %a "$frag")" = 644 ]
ok $? "a plain --fix writes a 0644 fragment: 4 comment lines and the assignment"
case_end

# --- read-only /etc/sysctl.d -------------------------------------------------
case_start
pa --fix -c "$tmp/a.yaml" >/dev/null 2>&1
in_ns cat "$frag" >"$tmp/old"
in_ns mount -o remount,bind,ro /etc/sysctl.d
pa --fix -c "$tmp/b.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
live_j=$(live)
pa --fix -c "$tmp/b.yaml" >"$tmp/t" 2>&1
rc_t=$?
failed_clearly "$tmp/t" "$tmp/j" "read-only" "$rc_t" "$rc_j"
ok $? "read-only /etc/sysctl.d: exit 3, 'fix failed:' and fix.errors say it is read-only"
in_ns cat "$frag" | cmp -s - "$tmp/old" && [ "$(temp_files)" = 0 ]
ok $? "read-only /etc/sysctl.d: the old fragment is byte-identical, no temporary file"
pset eq "$live_j" "$set_b" && [ "$(jf "$tmp/j" .fix.applied)" = true ] &&
	[ "$(jf "$tmp/j" .fix.written)" = false ]
ok $? "read-only /etc/sysctl.d: the live value is still applied ($live_j)"
case_end

# --- read-only /proc/sys ------------------------------------------------------
case_start
set_live 40999
in_ns mount --bind /proc/sys /proc/sys && in_ns mount -o remount,bind,ro /proc/sys
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
pa --fix -c "$tmp/a.yaml" >"$tmp/t" 2>&1
rc_t=$?
failed_clearly "$tmp/t" "$tmp/j" "read-only" "$rc_t" "$rc_j"
ok $? "read-only /proc/sys: exit 3, 'fix failed:' and fix.errors say /proc/sys is read-only"
expected "$set_a" >"$tmp/want"
in_ns cat "$frag" | cmp -s - "$tmp/want" && [ "$(jf "$tmp/j" .fix.written)" = true ] &&
	[ "$(temp_files)" = 0 ]
ok $? "read-only /proc/sys: the fragment is written"
[ "$(live)" = 40999 ] && [ "$(jf "$tmp/j" .fix.applied)" = false ]
ok $? "read-only /proc/sys: the live value is unchanged, fix.applied false"
case_end

# --- a symlink at the fragment's path ----------------------------------------
case_start
printf 'the administrator keeps this\n' >"$tmp/target"
cp -p "$tmp/target" "$tmp/target.orig"
stamp=$(stat -c %y "$tmp/target")
in_ns ln -s "$tmp/target" "$frag"
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
live_j=$(live)
pa --fix -c "$tmp/a.yaml" >"$tmp/t" 2>&1
rc_t=$?
failed_clearly "$tmp/t" "$tmp/j" "symlink" "$rc_t" "$rc_j"
ok $? "symlink at the fragment: exit 3, 'fix failed:' and fix.errors say it is a symlink"
cmp -s "$tmp/target" "$tmp/target.orig" && [ "$(stat -c %y "$tmp/target")" = "$stamp" ] &&
	[ "$(in_ns readlink "$frag")" = "$tmp/target" ] && [ "$(temp_files)" = 0 ]
ok $? "symlink at the fragment: it and its target are untouched, no temporary file"
pset eq "$live_j" "$set_a" && [ "$(jf "$tmp/j" .fix.written)" = false ]
ok $? "symlink at the fragment: the live value is still applied ($live_j)"
case_end

# --- a /dev/null mask at the fragment's path ---------------------------------
case_start
in_ns ln -s /dev/null "$frag"
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
pa --fix -c "$tmp/a.yaml" >"$tmp/t" 2>&1
rc_t=$?
is_0_or_1 "$rc_j" && is_0_or_1 "$rc_t" && [ "$(jf "$tmp/j" .fix.skipped)" = disabled ] &&
	[ "$(jf "$tmp/j" .fix.failed)" = false ] && [ "$(jf "$tmp/j" .fix.written)" = false ] &&
	! grep -q '^fix failed' "$tmp/t" && grep -q '^fix: nothing done: .*/dev/null' "$tmp/t"
ok $? "/dev/null at the fragment: skipped \"disabled\", exit $rc_j/$rc_t, no 'fix failed:'"
[ "$(in_ns readlink "$frag")" = /dev/null ] && [ "$(only_file)" = 99-zz-portaudit.conf ] &&
	[ "$(live)" = "" ]
ok $? "/dev/null at the fragment: the mask stays, nothing is written, the live value is unchanged"
case_end

# --- a symlink at the temporary name -----------------------------------------
case_start
printf 'not for portaudit\n' >"$tmp/target2"
cp -p "$tmp/target2" "$tmp/target2.orig"
stamp=$(stat -c %y "$tmp/target2")
in_ns ln -s "$tmp/target2" "$frag_temp"
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc=$?
is_0_or_1 "$rc" && [ "$(jf "$tmp/j" .fix.failed)" = false ] &&
	[ "$(jf "$tmp/j" .fix.written)" = true ]
ok $? "symlink at the temporary name: the fix succeeds (exit $rc)"
expected "$set_a" >"$tmp/want"
cmp -s "$tmp/target2" "$tmp/target2.orig" && [ "$(stat -c %y "$tmp/target2")" = "$stamp" ] &&
	in_ns cat "$frag" | cmp -s - "$tmp/want" && [ "$(only_file)" = 99-zz-portaudit.conf ]
ok $? "symlink at the temporary name: its target is untouched, the link gone, the fragment right"
case_end

# --- a stale temporary file --------------------------------------------------
case_start
in_ns bash -c 'printf "net.ipv4.ip_local_reserved_ports = 1\n# torn" >"$1"' _ "$frag_temp"
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc=$?
expected "$set_a" >"$tmp/want"
is_0_or_1 "$rc" && [ "$(jf "$tmp/j" .fix.written)" = true ] &&
	in_ns cat "$frag" | cmp -s - "$tmp/want" && [ "$(only_file)" = 99-zz-portaudit.conf ]
ok $? "a stale temporary file is removed and the fix succeeds (exit $rc)"
case_end

# --- a full file system ------------------------------------------------------
case_start
in_ns bash -c '
	. "$1/tests/lib/tap.sh"; . "$1/tests/fixns/lib.sh"
	fixns_tmpfs /etc/sysctl.d 16k' _ "$abs_top_srcdir"
ok $? "a 16 KiB tmpfs over /etc/sysctl.d"
pa --fix -c "$tmp/a.yaml" >/dev/null 2>&1
in_ns cat "$frag" >"$tmp/old"
in_ns dd if=/dev/zero of=/etc/sysctl.d/zz-filler bs=4k count=64 2>/dev/null
pa --fix -c "$tmp/b.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
live_j=$(live)
pa --fix -c "$tmp/b.yaml" >"$tmp/t" 2>&1
rc_t=$?
failed_clearly "$tmp/t" "$tmp/j" "No space left on device" "$rc_t" "$rc_j"
ok $? "full file system: exit 3, 'fix failed:' and fix.errors say ENOSPC"
in_ns cat "$frag" | cmp -s - "$tmp/old" && [ "$(temp_files)" = 0 ]
ok $? "full file system: the old fragment is intact, no temporary file"
pset eq "$live_j" "$set_b"
ok $? "full file system: the live value is still applied ($live_j)"
case_end

# --- /etc/sysctl.d missing ---------------------------------------------------
# /etc becomes an overlay whose upper layer is a tmpfs of ours; the host's /etc
# is only its lower layer, which overlayfs never writes.
case_start
mkdir -p "$tmp/ovl"
in_ns bash -c '
	set -e
	. "$1/tests/lib/tap.sh"; . "$1/tests/fixns/lib.sh"
	fixns_tmpfs "$2"
	mkdir "$2/upper" "$2/work"
	dev=$(stat -c %d /etc)
	mount -t overlay portaudit-fixns -o "lowerdir=/etc,upperdir=$2/upper,workdir=$2/work" /etc
	# Removed only from the overlay: /etc/sysctl.d must be on it now.
	[ "$(stat -f -c %T /etc/sysctl.d)" = overlayfs ]
	[ "$(stat -c %d /etc/sysctl.d)" != "$dev" ]
	rm -rf /etc/sysctl.d
	mount --bind "$3" /etc/sysctl.conf
	[ ! -e /etc/sysctl.d ]' _ "$abs_top_srcdir" "$tmp/ovl" "$tmp/sysctl.conf.$NS" \
	2>"$tmp/ovl.err"
if [ $? = 0 ]; then
	pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
	rc=$?
	expected "$set_a" >"$tmp/want"
	is_0_or_1 "$rc" && [ "$(jf "$tmp/j" .fix.written)" = true ] &&
		[ "$(in_ns stat -c %F:%a /etc/sysctl.d)" = directory:755 ] &&
		in_ns cat "$frag" | cmp -s - "$tmp/want"
	ok $? "/etc/sysctl.d missing: it is created (0755) and the fragment written (exit $rc)"
	pset eq "$(live)" "$set_a"
	ok $? "/etc/sysctl.d missing: the live value is applied"
else
	for what in "created" "live value applied"; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP /etc/sysctl.d missing, $what: no overlay over /etc" \
			"($(head -c 100 "$tmp/ovl.err"))"
	done
fi
case_end

# --- a concurrent run holds the lock ------------------------------------------
case_start
rm -f "$tmp/held.pid"
nsenter -t "$NS" -m -n flock /run/portaudit.lock \
	sh -c 'echo $$ >"$1.new" && mv "$1.new" "$1" && exec sleep 3' _ "$tmp/held.pid" &
holder=$!
bg_pids="$bg_pids $holder"
for ((i = 0; i < 300; i++)); do
	[ -s "$tmp/held.pid" ] && break
	sleep 0.01
done
t0=$(date +%s%N)
pa --fix -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc=$?
t1=$(date +%s%N)
waited=$(( (t1 - t0) / 1000000 ))
wait "$holder"
rc_h=$?
expected "$set_a" >"$tmp/want"
[ -s "$tmp/held.pid" ] && [ "$waited" -ge 2000 ] && [ "$rc_h" = 0 ]
ok $? "a --fix started while flock(1) holds /run/portaudit.lock waits for it (${waited} ms)"
is_0_or_1 "$rc" && [ "$(jf "$tmp/j" .fix.written)" = true ] &&
	in_ns cat "$frag" | cmp -s - "$tmp/want"
ok $? "... and then succeeds (exit $rc)"
rm -f "$tmp/held.pid"
case_end

# --- 16 runs at once -----------------------------------------------------------
case_start
pids=
for i in $(seq 0 15); do
	inventory "$tmp/p$i.yaml" $((40500 + 10 * i)) $((40501 + 10 * i)) $((40505 + 10 * i))
	expected "$(pset norm "$((40500 + 10 * i))-$((40501 + 10 * i)),$((40505 + 10 * i))")" \
		>"$tmp/want$i"
done
for i in $(seq 0 15); do
	nsenter -t "$NS" -m -n "$PORTAUDIT" --fix -c "$tmp/p$i.yaml" -f json \
		>"$tmp/p$i.json" 2>"$tmp/p$i.err" &
	pids="$pids $!"
done
bg_pids="$bg_pids $pids"
bad=0 i=0
for p in $pids; do
	wait "$p"
	rc=$?
	if ! is_0_or_1 "$rc" || [ "$(jf "$tmp/p$i.json" .fix.failed)" != false ]; then
		bad=$((bad + 1))
		echo "# run $i: exit $rc: $(head -c 200 "$tmp/p$i.err")"
	fi
	i=$((i + 1))
done
bg_pids=
is "$bad" 0 "16 parallel --fix runs with different inventories each exit 0 or 1, none failed"
in_ns cat "$frag" >"$tmp/final"
last=
for i in $(seq 0 15); do
	cmp -s "$tmp/final" "$tmp/want$i" && last=$i
done
fragment_value "$tmp/final" >/dev/null && [ -n "$last" ] && [ "$(temp_files)" = 0 ]
ok $? "the final fragment parses and is one of the 16 expected (run ${last:-none} wrote it last)"
live_p=$(live)
want_last=$(fragment_value "$tmp/want${last:-0}")
pset subset "$want_last" "$live_p" >/dev/null
ok $? "the live value ($live_p) holds the last writer's set ($want_last)"
# Each run released what only the previous fragment reserved, so nothing else is left.
pset eq "$want_last" "$live_p"
ok $? "the live value is exactly the last writer's set: the runs were serialised"
case_end

# --- --dry-run ----------------------------------------------------------------
case_start
set_live 40998
pa --fix --dry-run -c "$tmp/a.yaml" >"$tmp/t" 2>&1
rc_t=$?
pa --fix --dry-run -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc_j=$?
is_0_or_1 "$rc_t" && is_0_or_1 "$rc_j" && [ "$(jf "$tmp/j" .fix.dry_run)" = true ] &&
	[ "$(jf "$tmp/j" .fix.changed)" = true ] && [ "$(jf "$tmp/j" .fix.written)" = false ] &&
	[ "$(jf "$tmp/j" .fix.applied)" = false ]
ok $? "--dry-run: exit $rc_t/$rc_j, fix.dry_run, changed, not written, not applied"
[ "$(in_ns ls -A /etc/sysctl.d)" = "" ] && ! in_ns test -e /run/portaudit.lock &&
	[ "$(live)" = 40998 ]
ok $? "--dry-run: no fragment, no lock file, live value unchanged"
dry_run_diff "$tmp/t" >"$tmp/diff"
jf "$tmp/j" .fix.diff | awk '/^--- / { n++ } n == 1' >"$tmp/diff.json"
: >"$tmp/empty"
patch -s -o "$tmp/patched" "$tmp/empty" <"$tmp/diff" >/dev/null 2>&1 &&
	patch -s -o "$tmp/patched.json" "$tmp/empty" <"$tmp/diff.json" >/dev/null 2>&1
ok $? "--dry-run: patch applies the printed diff and the JSON fix.diff"
grep -q '^+++ /proc/sys/net/ipv4/ip_local_reserved_ports' "$tmp/t" &&
	grep -q '^+40100,40200,40998$' "$tmp/t"
ok $? "--dry-run: the diff shows the live change too"
pa --fix -c "$tmp/a.yaml" >/dev/null 2>&1
in_ns cat "$frag" >"$tmp/real"
cmp -s "$tmp/patched" "$tmp/real" && cmp -s "$tmp/patched.json" "$tmp/real"
ok $? "--dry-run: the patched empty file is the fragment --fix then writes"
stamp=$(in_ns stat -c %y "$frag")
pa --fix --dry-run -c "$tmp/b.yaml" >"$tmp/t" 2>&1
dry_run_diff "$tmp/t" >"$tmp/diff"
live_d=$(live)
in_ns cat "$frag" | cmp -s - "$tmp/real" && [ "$(in_ns stat -c %y "$frag")" = "$stamp" ] &&
	pset eq "$live_d" "40100,40200,40998"
ok $? "--dry-run over a fragment: fragment (bytes, mtime) and live value unchanged"
cp "$tmp/real" "$tmp/patched"
patch -s "$tmp/patched" <"$tmp/diff" >/dev/null 2>&1
ok $? "--dry-run over a fragment: patch applies the diff to it"
pa --fix -c "$tmp/b.yaml" >/dev/null 2>&1
in_ns cat "$frag" | cmp -s - "$tmp/patched"
ok $? "--dry-run over a fragment: the patched copy is what --fix then writes"
pset eq "$(live)" "$set_b,40998"
ok $? "--fix then releases what only the old fragment reserved and keeps the rest"
case_end

# --- --no-apply -----------------------------------------------------------------
case_start
set_live 40997
pa --fix --no-apply -c "$tmp/a.yaml" -f json >"$tmp/j" 2>&1
rc=$?
expected "$set_a" >"$tmp/want"
is_0_or_1 "$rc" && [ "$(jf "$tmp/j" .fix.no_apply)" = true ] &&
	[ "$(jf "$tmp/j" .fix.written)" = true ] && [ "$(jf "$tmp/j" .fix.applied)" = false ] &&
	[ "$(jf "$tmp/j" .fix.failed)" = false ]
ok $? "--no-apply: exit $rc, fix.no_apply, written, not applied, not failed"
in_ns cat "$frag" | cmp -s - "$tmp/want" && [ "$(live)" = 40997 ]
ok $? "--no-apply: the fragment is written, the live value is unchanged"
case_end

done_testing
