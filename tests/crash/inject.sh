#!/bin/bash
# Crash consistency of portaudit --fix under injected faults (issue 9).  For
# three start states (no fragment yet; an old fragment with another set, a
# port another file reserves and a stale temporary file; no /etc/sysctl.d at
# all), each in mount and network namespaces of its own:
#   1. strace -f records a real --fix; every system call of its write path
#      (the lock, then from reading the current fragment to reading the live
#      value back) is a target, numbered by its occurrence among the calls of
#      the same name, so "-e inject=SYSCALL:error=ERRNO:when=N" hits exactly it;
#   2. each target fails once with each errno that means something for it; the
#      run must exit 0/1 with the complete new state (a harmless fault: a retry
#      or a fallback) or 3 with a "fix failed:" line; the fragment is the old
#      file or the new one byte for byte, the live value the old set or the new
#      one, the report says truly what was written and set, and no temporary
#      file is left unless its removal was what failed;
#   3. then a plain --fix (no fault) leaves exactly the new fragment and live
#      set, no temporary file: it repairs without help;
#   4. a failure after the temporary file exists, together with a failure of
#      its removal: the file is left, and the next run removes it.
# The counts of faults per system call go to the TAP comments.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/crash/lib.sh"
# Under ASan the runtime makes system calls of its own (its start, its reports),
# which the traced write path would then include and the injected faults and
# kills would hit: this test is of the production binary, in the normal pass.
grep -q __asan_init "$PORTAUDIT" &&
	skip_all "an ASan build: its runtime's own system calls would be the targets"

# The system calls every start state must show on its write path, each with a
# TAP line of its own; "others" collects the rest (newfstatat, read, ...).
write_path="openat2 flock unlinkat openat fchmod write fsync close renameat pread64"

# The errnos that mean something for each call; "*" for any other.
declare -A errnos=(
	[openat2]="EACCES EROFS ENOSPC EIO EINTR ENOSYS EAGAIN"
	[openat]="EACCES EROFS ENOSPC EDQUOT EIO EINTR"
	[mkdirat]="EACCES EROFS ENOSPC EDQUOT EIO"
	[flock]="EINTR EAGAIN ENOLCK"
	[unlinkat]="EACCES EROFS EBUSY EIO"
	[fchmod]="EPERM EROFS EIO"
	[write]="EIO ENOSPC EDQUOT EINTR EPERM EINVAL"
	[fsync]="EIO ENOSPC EROFS EINVAL"
	[close]="EIO EINTR ENOSPC"
	[renameat]="EACCES EROFS ENOSPC EBUSY EXDEV EIO"
	[renameat2]="EACCES EROFS ENOSPC EBUSY EXDEV EIO"
	[pread64]="EIO EINTR"
	[other]="EIO EACCES EINTR"
)

# TAP lines of a start state: the first run, the discovery, one for each
# call of the write path, "others", the double fault.
lines_of() {
	local n=$((2 + $(wc -w <<<"$write_path") + 2))
	[ "$1" = nodir ] && n=$((n + 1))
	echo "$n"
}

if [ "$1" != --case ]; then
	crash_preflight
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-crash-inject-XXXXXX") || exit 1
	export tmp
	trap 'crash_case_stop; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	plan $(($(lines_of fresh) + $(lines_of replace) + $(lines_of nodir)))
	t0=$SECONDS
	crash_case fresh
	crash_case replace
	crash_case nodir
	total=0
	while read -r state n; do
		echo "# $state: $n faults injected"
		total=$((total + n))
	done <"$tmp/totals"
	echo "# $total faults injected in all, $((SECONDS - t0)) s"
	done_testing
fi

# --- one start state, in namespaces of its own -------------------------------

name=$2
crash_case_enter "$name"

crash_inventories

# How a state starts, and the new state every run must reach.
etc_dev=''
case $name in
fresh | replace)
	state_"$name"
	;;
nodir)
	# /etc becomes an overlay whose upper layer is a tmpfs of ours (as in
	# tests/fixns/failures.sh); the host's /etc is only its lower layer,
	# which overlayfs never writes.
	mkdir -p "$tmp/ovl.$name"
	if fixns_tmpfs "$tmp/ovl.$name" && mkdir "$tmp/ovl.$name/upper" "$tmp/ovl.$name/work" &&
		host_dev=$(stat -c %d /etc) &&
		mount -t overlay portaudit-fixns \
			-o "lowerdir=/etc,upperdir=$tmp/ovl.$name/upper,workdir=$tmp/ovl.$name/work" /etc &&
		[ "$(stat -f -c %T /etc)" = overlayfs ] && etc_dev=$(stat -c %d /etc) &&
		[ "$etc_dev" != "$host_dev" ] && rm -rf /etc/sysctl.d &&
		mount --bind "$tmp/sysctl.conf.$name" /etc/sysctl.conf && [ ! -e /etc/sysctl.d ]
	then
		first_run "$new_inv" "$new_set" "$new_set"
	else
		for ((i = 0; i < $(lines_of "$name"); i++)); do
			tap_n=$((tap_n + 1))
			echo "ok $tap_n # SKIP $name: no overlay over /etc here"
		done
		echo "$name 0" >>"$tmp/totals"
		exit 0
	fi
	old_frag_absent=1 old_frag='' old_live=$foreign stale_temp=''
	fragment_text new_frag "$new_set"
	new_live=$(live_after "$old_live" "" "" "$new_set")
	;;
*)
	bail "unknown case $name"
	;;
esac

# restore_start, and for nodir: no /etc/sysctl.d.  Only the two names portaudit
# writes are removed, then the directory with rmdir (which fails unless it is
# empty), and only while /etc is still the overlay made above.
start() {
	if [ -n "$etc_dev" ]; then
		[ "$(stat -c %d /etc)" = "$etc_dev" ] || bail "$name: /etc is no longer the overlay"
		rm -f "$frag" "$frag_temp"
		[ ! -d /etc/sysctl.d ] || rmdir /etc/sysctl.d || bail "$name: cannot remove /etc/sysctl.d"
		echo "$old_live" >"$reserved_proc"
		return
	fi
	restore_start
}

# --- discovery -----------------------------------------------------------------

start
strace -f -o "$tmp/trace.$name" "$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out.$name" 2>&1
rc=$?
observe
trace_targets "$tmp/trace.$name" >"$tmp/targets.$name"
found=$(awk '{ c[$1]++ } END { for (s in c) printf "%s:%d ", s, c[s] }' "$tmp/targets.$name")
missing=''
want=$write_path
[ "$name" = nodir ] && want+=" mkdirat"
for sc in $want; do
	grep -q "^$sc " "$tmp/targets.$name" || missing+=" $sc"
done
is_0_or_1 "$rc" && complete && [ -z "$missing" ]
ok $? "$name: strace -f of a plain --fix shows its write path: $found${missing:+(missing:$missing)}"

# --- one fault at a time -------------------------------------------------------

declare -A injected harmless failed bad why_bad
n_faults=0

# judge KIND DESC: the run's exit status (rc) and output (out) against the
# state it left, then a plain --fix and its repair; counted under KIND.
judge() {
	local kind=$1 desc=$2 why='' line t
	observe
	case $rc in
	0 | 1)
		complete ||
			why+=" exit $rc with frag=$frag_state live=$live_state temp=$temp_state;"
		harmless[$kind]=$((${harmless[$kind]:-0} + 1)) ;;
	3)
		line=$(fix_failed_line "$out") || why+=" exit 3 without a 'fix failed:' line;"
		consistent || why+=" frag=$frag_state live=$live_state ($live_value);"
		case $temp_state/$kind in
		none/* | stale/* | other/unlinkat) ;;
		*) why+=" a temporary file is left;" ;;
		esac
		failed[$kind]=$((${failed[$kind]:-0} + 1)) ;;
	*)
		why+=" exit $rc: $(tail -n 1 <<<"$out");" ;;
	esac
	t=$(truthful "$out") || why+=" the report is wrong:$t"
	"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out2.$name" 2>&1
	rc=$?
	observe
	{ is_0_or_1 "$rc" && complete; } ||
		why+=" the next run: exit $rc, frag=$frag_state live=$live_state ($live_value) temp=$temp_state;"
	injected[$kind]=$((${injected[$kind]:-0} + 1))
	n_faults=$((n_faults + 1))
	if [ -n "$why" ]; then
		bad[$kind]=$((${bad[$kind]:-0} + 1))
		[ "${bad[$kind]}" -le 3 ] && why_bad[$kind]+="#   $desc:$why"$'\n'
	fi
}

# The TAP line's name for a system call.
kind_of() {
	case " $write_path mkdirat " in
	*" $1 "*) echo "$1" ;;
	*) echo others ;;
	esac
}

while read -r sc occ _ _ _ _ _ call; do
	kind=$(kind_of "$sc")
	list=${errnos[$sc]:-${errnos[other]}}
	for e in $list; do
		start
		strace -f -o /dev/null -e "inject=$sc:error=$e:when=$occ" \
			"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out.$name" 2>&1
		rc=$?
		slurp out "$tmp/out.$name"
		judge "$kind" "$e at $sc #$occ: $call"
	done
done <"$tmp/targets.$name"

for kind in $write_path $([ "$name" = nodir ] && echo mkdirat) others; do
	n=${injected[$kind]:-0}
	[ "$n" -gt 0 ] && [ "${bad[$kind]:-0}" = 0 ]
	ok $? "$name: $n faults in $kind: ${harmless[$kind]:-0} harmless, ${failed[$kind]:-0} failed cleanly with exit 3, each left the old or new state and was repaired by the next run"
	[ -n "${why_bad[$kind]}" ] && printf '%s' "${why_bad[$kind]}"
done

# --- a failure after the temporary file exists, and of its removal -------------

double=0 double_bad=0 double_why=''
while read -r sc occ after next_unlink _ _ _ call; do
	[ "$after" = 1 ] || continue
	start
	strace -f -o /dev/null -e "inject=$sc:error=EIO:when=$occ" \
		-e "inject=unlinkat:error=EIO:when=$next_unlink" \
		"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out.$name" 2>&1
	rc=$?
	observe
	why=''
	[ "$rc" = 3 ] && [ "$temp_state" = other ] && consistent ||
		why+=" exit $rc, frag=$frag_state live=$live_state temp=$temp_state;"
	"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out2.$name" 2>&1
	rc=$?
	observe
	{ is_0_or_1 "$rc" && complete; } ||
		why+=" the next run: exit $rc, frag=$frag_state live=$live_state temp=$temp_state;"
	double=$((double + 1))
	n_faults=$((n_faults + 2))
	if [ -n "$why" ]; then
		double_bad=$((double_bad + 1))
		double_why+="#   EIO at $sc #$occ and at unlinkat #$next_unlink:$why"$'\n'
	fi
done <"$tmp/targets.$name"
[ "$double" -gt 0 ] && [ "$double_bad" = 0 ]
ok $? "$name: $double failures after the temporary file exists, each with its removal failing too: the file stays, the next run removes it and completes"
printf '%s' "$double_why"

for kind in "${!injected[@]}"; do
	echo "# $name: $kind: ${injected[$kind]} injected, ${harmless[$kind]:-0} harmless, ${failed[$kind]:-0} exit 3, ${bad[$kind]:-0} wrong"
done
echo "$name $n_faults" >>"$tmp/totals"
