# shellcheck shell=bash disable=SC2034 # its globals are for the scripts that source it
# Shared by the tests/crash scripts.  Each case runs in mount and network
# namespaces of its own, whose sysctl.d directories, /run and /etc/sysctl.conf
# are scratch mounts (tests/fixns/lib.sh), and continues the script's TAP
# count; the state a --fix run leaves behind is judged against the two
# complete states it may leave: the old one and the new one.
# Source tests/lib/tap.sh first.
. "$abs_top_srcdir/tests/fixns/lib.sh"

killer=$abs_top_builddir/tests/crash/killer
live_range="40000 40999"
case_pid=''

bail() {
	echo "Bail out! $*"
	exit 1
}

# Skip unless root with unshare; anything else missing is a failure, not a skip.
crash_preflight() {
	local tool
	[ "$(id -u)" = 0 ] || skip_all "needs root for mount and network namespaces"
	command -v unshare >/dev/null || skip_all "unshare is missing"
	unshare -m -n --propagation private true 2>/dev/null ||
		skip_all "cannot create mount and network namespaces here"
	for tool in strace findmnt ip awk cmp; do
		command -v "$tool" >/dev/null || bail "$tool is missing"
	done
	[ -x "$killer" ] || bail "$killer is not built"
	[ -x "$PORTAUDIT" ] || bail "$PORTAUDIT is not built"
	if [ ! -f /etc/sysctl.conf ] || [ ! -d /etc/sysctl.d ]; then
		bail "/etc/sysctl.conf or /etc/sysctl.d is missing, so neither can be covered"
	fi
}

# crash_case NAME: run "$0 --case NAME" in new mount and network namespaces
# (the script dispatches it); the case's TAP lines continue this count.
crash_case() {
	rm -f "$tmp/tap.state"
	CRASH_TAP="$tap_n $tap_failed" unshare -m -n --propagation private \
		bash "$0" --case "$1" &
	case_pid=$!
	wait "$case_pid"
	case_pid=''
	read -r tap_n tap_failed <"$tmp/tap.state" 2>/dev/null ||
		bail "case $1 ended without handing its TAP count back"
}

# Kill the case still running (for the outer script's trap).
crash_case_stop() {
	[ -n "$case_pid" ] && kill "$case_pid" 2>/dev/null && wait "$case_pid" 2>/dev/null
	case_pid=''
}

# In the case, first: take over the TAP count, cover the configuration with
# scratch mounts, bring lo up and narrow the ephemeral range.  crash_bg_pids
# lists what the case starts in the background; its EXIT trap kills them.
crash_bg_pids=''
crash_case_enter() {
	read -r tap_n tap_failed <<<"$CRASH_TAP"
	trap crash_case_exit EXIT
	trap 'exit 1' INT TERM
	fixns_cover "$tmp/sysctl.conf.$1" || bail "case $1: could not cover the sysctl.d directories"
	if ! { ip link set lo up && echo "$live_range" >"$range_proc"; }; then
		bail "case $1: cannot set up the network namespace"
	fi
}

crash_case_exit() {
	local p
	for p in $crash_bg_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $crash_bg_pids; do
		wait "$p" 2>/dev/null
	done
	echo "$tap_n $tap_failed" >"$tmp/tap.state"
}

# inventory FILE PORT...: one service with these ports (quoted ranges allowed).
inventory() {
	local f=$1
	shift
	printf 'version: 1\nservices:\n  web:\n    ports: [%s]\n' "$(IFS=,; echo "$*")" >"$f"
}

# slurp VAR FILE: FILE's bytes in VAR (never NUL in these files); fails when FILE is missing.
slurp() {
	local -n slurp_var=$1
	slurp_var=''
	[ -e "$2" ] || [ -L "$2" ] || return 1
	IFS= read -rd '' slurp_var <"$2"
	return 0
}

# The comment header of portaudit's fragments, from the one $1 names.
fragment_header() {
	grep '^#' "$1"
}

# fragment_text VAR LIST: the fragment portaudit must write for LIST (built
# with pset, not by portaudit): the header, then the canonical assignment.
fragment_text() {
	local -n fragment_var=$1
	fragment_var="$frag_header"$'\n'"net.ipv4.ip_local_reserved_ports = $(pset norm "$2")"$'\n'
}

# The state a run left, in three words:
#   frag   old | new | absent | torn    (absent only when the old state has none)
#   live   old | new | other            (the live value, as the kernel prints it)
#   temp   none | stale | other         (stale: byte for byte the one the case started with)
# against old_frag/old_frag_absent, new_frag, old_live, new_live, stale_temp.
observe() {
	local cur
	if slurp cur "$frag"; then
		if [ "$cur" = "$new_frag" ]; then
			frag_state=new
		elif [ -z "$old_frag_absent" ] && [ "$cur" = "$old_frag" ]; then
			frag_state=old
		else
			frag_state=torn
		fi
	elif [ -n "$old_frag_absent" ]; then
		frag_state=absent
	else
		frag_state=torn
	fi
	read -r cur <"$reserved_proc"
	if [ "$cur" = "$new_live" ]; then
		live_state=new
	elif [ "$cur" = "$old_live" ]; then
		live_state=old
	else
		live_state=other
	fi
	live_value=$cur
	if ! slurp cur "$frag_temp"; then
		temp_state=none
	elif [ -n "$stale_temp" ] && [ "$cur" = "$stale_temp" ]; then
		temp_state=stale
	else
		temp_state=other
	fi
}

# Whether the fragment is one of the two complete files and the live value one of the two sets.
consistent() {
	[ "$frag_state" != torn ] && [ "$live_state" != other ]
}

# Whether the state is the new one, complete: fragment, live value, no temporary file.
complete() {
	[ "$frag_state" = new ] && [ "$live_state" = new ] && [ "$temp_state" = none ]
}

# Put the case's start state back: the old fragment (or none), the stale
# temporary file (or none), the old live value.
restore_start() {
	rm -f "$frag" "$frag_temp"
	[ -n "$old_frag_absent" ] || printf '%s' "$old_frag" >"$frag"
	[ -z "$stale_temp" ] || printf '%s' "$stale_temp" >"$frag_temp"
	echo "$old_live" >"$reserved_proc"
}

# The report text $1 tells the truth about the state observe() saw: a fragment
# it says is written is the new one, one it says is unchanged the old one; a
# live value it says is set (verified or not) is the new set, one it says is
# not set the old one.  Prints what is wrong; fails when anything is.
truthful() {
	local out=$1 bad=''
	case $out in
	*"fix: $frag written: "*) [ "$frag_state" = new ] || bad+=" says written, is $frag_state;" ;;
	esac
	case $out in
	*"the previous fragment is unchanged"*)
		[ "$frag_state" = old ] || [ "$frag_state" = absent ] ||
			bad+=" says the previous fragment is unchanged, is $frag_state;" ;;
	esac
	case $out in
	*"read back and verified"*) [ "$live_state" = new ] || bad+=" says live set, is $live_state;" ;;
	esac
	case $out in
	*"$reserved_proc: not set ("*)
		[ "$live_state" = old ] || bad+=" says live not set, is $live_state;" ;;
	*"$reserved_proc: written, but "*)
		[ "$live_state" = new ] || bad+=" says live written, is $live_state;" ;;
	esac
	[ -z "$bad" ] && return 0
	echo "$bad"
	return 1
}

# The one-line cause of exit 3 in a run's output $1: a "fix failed:" line, or
# main()'s lock message (it exits before any report).
fix_failed_line() {
	local line
	while IFS= read -r line; do
		case $line in
		"fix failed: "* | "portaudit: cannot take the lock "* | \
			"portaudit: another portaudit --fix has held "*)
			echo "$line"
			return 0 ;;
		esac
	done <<<"$1"
	return 1
}

is_0_or_1() {
	[ "$1" = 0 ] || [ "$1" = 1 ]
}

# live_after LIVE PREVIOUS OTHERS D: the live value --fix leaves behind,
# (live - (previous - others - D)) ∪ D (include/portaudit/fix.h).
live_after() {
	pset union "$(pset minus "$1" "$(pset minus "$(pset minus "$2" "$3")" "$4")")" "$4"
}

# The sets of the start states, and inventories for the new and the old one.
new_set=40100,40200,40300-40302
old_set=40200,40250-40251,40777
other_set=40998
foreign=40999
crash_inventories() {
	new_inv=$tmp/new.yaml
	old_inv=$tmp/old.yaml
	inventory "$new_inv" 40100 40200 '"40300-40302"'
	inventory "$old_inv" 40200 '"40250-40251"' 40777
}

# first_run INVENTORY FRAGMENT-SET LIVE-SET: a run from nothing, for the
# fragment's comment header; its assignment and the live value must be the
# sets pset computed (a TAP line).
first_run() {
	local inv=$1 want got rc
	rm -f "$frag" "$frag_temp"
	echo >"$reserved_proc"
	"$PORTAUDIT" --fix -c "$inv" >"$tmp/first.$name" 2>&1
	rc=$?
	frag_header=$(fragment_header "$frag")
	fragment_text want "$2"
	slurp got "$frag"
	is_0_or_1 "$rc" && [ "$got" = "$want" ] && [ "$(cat "$reserved_proc")" = "$(pset norm "$3")" ]
	ok $? "$name: a plain --fix from nothing writes exactly the fragment for $2 and sets $3 live"
}

# Start states (one TAP line each, from first_run), and the new state every
# run from them must reach with new_inv:
# fresh: no fragment; the live value holds a port someone else reserved.
state_fresh() {
	first_run "$new_inv" "$new_set" "$new_set"
	old_frag_absent=1 old_frag='' old_live=$foreign stale_temp=''
	fragment_text new_frag "$new_set"
	new_live=$(live_after "$old_live" "" "" "$new_set")
}

# replace: the fragment an older inventory gave, which also carries a port
# another file reserves; that port, the old set and someone else's port live;
# a torn temporary file of a crashed run.
state_replace() {
	echo "net.ipv4.ip_local_reserved_ports = $other_set" >/run/sysctl.d/50-other.conf
	first_run "$old_inv" "$old_set,$other_set" "$old_set"
	old_frag_absent='' stale_temp=$'net.ipv4.ip_local_reserved_ports = 1\n# torn'
	slurp old_frag "$frag"
	old_live=$(pset norm "$old_set,$other_set,$foreign")
	fragment_text new_frag "$new_set,$other_set"
	new_live=$(live_after "$old_live" "$old_set,$other_set" "$other_set" "$new_set")
}

# trace_targets TRACE: the system calls of the write path in an strace -f
# output, one a line:
#   NAME OCCURRENCE AFTER-TEMP NEXT-UNLINKAT FRAG LIVE TEMP CALL
# OCCURRENCE counts the calls of that name from the start (strace's when=N);
# AFTER-TEMP is 1 from the creation of the temporary file to its rename;
# NEXT-UNLINKAT is the occurrence the next unlinkat would have; FRAG LIVE TEMP
# is the state a run stopped at the entry of this call leaves (old | new,
# old | new, start | other | none); CALL is the call, cut short.
# The write path is the lock (its open and flock) and everything from the
# first lookup of the fragment's directory for fix_read_current()
# (root_lstat() opens it O_PATH) to the report's first write to stdout or
# stderr.  Memory calls are left out: the kernel's brk never fails with an
# errno (it returns the old break), so an injected one corrupts glibc's heap
# instead of testing portaudit, and running out of memory is a matter for an
# allocation-failure build, not for the write path.
trace_targets() {
	awk '
	$2 !~ /^[a-z_0-9]+\(/ { next }
	{
		sc = $2; sub(/\(.*/, "", sc); n[sc]++
		call = $0; sub(/^[0-9]+ +/, "", call); sub(/ += .*$/, "", call)
		if (length(call) > 70) call = substr(call, 1, 67) "..."
		ret = $0; sub(/.* = /, "", ret); sub(/ .*/, "", ret)
	}
	sc ~ /^(brk|mmap|munmap|mremap|mprotect|madvise)$/ { next }
	sc == "openat2" && /"run\/portaudit\.lock"/ { lock = 1; target(); next }
	sc == "flock" && lock && !fix { target(); next }
	sc == "openat2" && lock && /"etc\/sysctl\.d", \{flags=[^}]*O_PATH/ { fix = 1 }
	!fix { next }
	$2 ~ /^write\([12],/ || sc == "exit_group" { exit }
	{ target() }
	sc == "openat2" && /ip_local_reserved_ports/ && /O_WRONLY/ { live_fd = ret }
	sc == "write" && live_fd != "" && $2 == "write(" live_fd "," { live = 1 }
	sc == "unlinkat" && /\.tmp"/ { stale_gone = 1 }
	sc == "openat" && /\.tmp"/ && /O_CREAT/ { temp = 1 }
	sc ~ /^rename/ { temp = 0; renamed = 1 }
	function target() {
		print sc, n[sc], temp + 0, n["unlinkat"] + 1, renamed ? "new" : "old",
			live ? "new" : "old", temp ? "other" : stale_gone ? "none" : "start", call
	}
	' "$1"
}
