#!/bin/sh
# owners_find() against real processes: listeners in network namespaces of this
# test, a pid namespace in which the holder is PID 1, and an unprivileged run.
# The oracles are the kernel (ss's inode, the pids we started, /proc/PID/comm)
# and /proc/PID/cgroup for the unit.  Needs root and unshare.
. "$abs_top_srcdir/tests/lib/tap.sh"
obin=$abs_top_builddir/tests/owners

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
for t in unshare nsenter setpriv ss; do
	command -v "$t" >/dev/null 2>&1 || skip_all "no $t"
done
unshare -n true 2>/dev/null || skip_all "cannot create a network namespace"
unshare -n -p -f --mount-proc true 2>/dev/null || skip_all "cannot create a pid namespace"

tmp=$(mktemp -d /tmp/portaudit-owners.XXXXXX) || exit 1
pids=
cg=
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$cg" 2>/dev/null && break
			sleep 0.1
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The helpers, where uid 65534 can run them whatever the build directory's mode.
chmod 755 "$tmp"
cp "$obin/ownerdump" "$obin/sockhold" "$tmp/" || exit 1

# wait_line FILE: until the helper printed its "pid ... inode ..." line (5 s at most).
wait_line() {
	for i in $(seq 50); do
		grep -q inode "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# no line from the helper in $1: $(cat "$1")"
	return 1
}

# field KEY FILE: the word after KEY on the helper's line.
field() {
	awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"
}

# children PID: the children of PID (unshare --fork's child is PID 1 of the new pid namespace).
children() {
	for i in $(seq 50); do
		c=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
		[ -n "$c" ] && { echo $c; return 0; }
		sleep 0.1
	done
	return 1
}

# The cgroup2 hierarchy sd_pid_get_unit() reads: the unified one, whole or hybrid.
cgroot=
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup/unified
fi

# The unit systemd's cg_path_get_unit() finds in the unified line of /proc/PID/cgroup:
# the first path component that is not a slice, when it has a unit suffix.
unit_from_cgroup() {
	sed -n 's/^0:://p' "/proc/$1/cgroup" | tr '/' '\n' |
		awk 'NF && !/\.slice$/ { print; exit }' |
		grep -E '\.(service|scope|socket|mount|swap|target|timer|path|automount|device)$' ||
		echo -
}

plan 25

# 1. One listener, in a cgroup named like a scope unit so that sd_pid_get_unit() has
# something to find.
launch="exec"
if [ -n "$cgroot" ]; then
	cg=$cgroot/portaudit-test-$$.scope
	mkdir "$cg" && launch="echo \$\$ > $cg/cgroup.procs && exec"
fi
sh -c "$launch unshare -n $obin/sockhold 7001" >"$tmp/a" 2>&1 &
pids="$pids $!"
wait_line "$tmp/a"
a_pid=$(field pid "$tmp/a")
a_ino=$(field inode "$tmp/a")
ss_ino=$(nsenter -t "$a_pid" -n ss -ltneH 'sport = :7001' 2>/dev/null | sed -n 's/.* ino:\([0-9]*\).*/\1/p')
is "$ss_ino" "$a_ino" "ss sees the listener with the inode the helper fstat()ed"

out=$("$obin/ownerdump" "$a_ino" 18446744073709551615)
ok $? "ownerdump runs"
a_unit=$(unit_from_cgroup "$a_pid")
is "$(echo "$out" | grep "^owner $a_ino ")" "owner $a_ino $a_pid $(cat /proc/$a_pid/comm) $a_unit" \
	"the one holder: its pid, comm and unit"
if [ -n "$cgroot" ]; then
	is "$a_unit" "portaudit-test-$$.scope" "the unit is the one its cgroup names"
else
	ok 0 "# SKIP no cgroup2 hierarchy to place the helper in"
fi
contains "$out" "lookup $a_ino $a_pid" "owners_lookup() finds it"
contains "$out" "lookup 18446744073709551615 -" "an inode nobody holds has no owner"
echo "# one scan of every process (an inode nobody holds): $(echo "$out" | head -n1)"

# 1b. The scan starts with the processes of the caller's network namespace: run in
# the helper's namespace, where only it and ownerdump live, it reads one or two fd
# directories; from the host's namespace it finds the helper only in the second
# pass, after every process of the host's namespace.
out_ns=$(nsenter -t "$a_pid" -n "$obin/ownerdump" "$a_ino")
pids_ns=$(echo "$out_ns" | sed -n 's/^scan .* pids=\([0-9]*\) .*/\1/p')
out_host=$("$obin/ownerdump" "$a_ino")
pids_host=$(echo "$out_host" | sed -n 's/^scan .* pids=\([0-9]*\) .*/\1/p')
contains "$out_ns" "lookup $a_ino $a_pid" "from the helper's network namespace the holder is found"
ok $([ "${pids_ns:-99}" -le 2 ] && echo 0 || echo 1) \
	"... after reading ${pids_ns:-?} fd directories (its namespace's processes first)"
contains "$out_host" "lookup $a_ino $a_pid" "from the host's namespace it is found too (second pass)"
ok $([ "${pids_host:-0}" -gt "${pids_ns:-99}" ] && echo 0 || echo 1) \
	"... after reading more: ${pids_host:-?} fd directories"

# 2. fork after listen, and a dup() in the parent: two holders, one entry each.  An
# inode nobody holds keeps the scan going to the last process.
unshare -n "$obin/sockhold" --dup --fork 7002 >"$tmp/b" 2>&1 &
pids="$pids $!"
wait_line "$tmp/b"
b_pid=$(field pid "$tmp/b")
b_child=$(field child "$tmp/b")
b_ino=$(field inode "$tmp/b")
out=$("$obin/ownerdump" "$b_ino" 18446744073709551615)
got=$(echo "$out" | awk -v i="$b_ino" '$1 == "owner" && $2 == i { print $3 }' | sort -n | tr '\n' ' ')
want=$(printf '%s\n' "$b_pid" "$b_child" | sort -n | tr '\n' ' ')
is "$got" "$want" "a forked socket has both processes as holders, each once despite dup()"
# Asked for alone, the first holder other than PID 1 ends the scan.
out=$("$obin/ownerdump" "$b_ino")
is "$(echo "$out" | grep -c '^owner ')" 1 "asked for alone, the scan stops at its first holder"
look=$(echo "$out" | sed -n "s/^lookup $b_ino //p")
case " $want" in *" $look "*) r=0 ;; *) r=1 ;; esac
ok $r "owners_lookup() gives one of them ($look)"

# 3. In a pid namespace where the holder is PID 1 and its child PID 2 holds the same
# socket: both are recorded, the lookup prefers PID 2, and the scan stops after PID 2
# (the only other process, PID 3, is ownerdump itself, run in the helper's network
# namespace too, so that the first pass takes the pids in order).
unshare -n -p -f --mount-proc --kill-child "$obin/sockhold" --fork 7003 >"$tmp/c" 2>&1 &
c_unshare=$!
pids="$pids $c_unshare"
wait_line "$tmp/c"
c_host=$(children "$c_unshare")
pids="$pids $c_host"
c_ino=$(field inode "$tmp/c")
is "$(field pid "$tmp/c") $(field child "$tmp/c")" "1 2" "the helper is PID 1 of its pid namespace, its child PID 2"
out=$(nsenter -t "$c_host" -p -m -n "$obin/ownerdump" "$c_ino")
is "$(echo "$out" | awk '$1 == "owner" { print $3, $4 }' | tr '\n' ' ')" "1 sockhold 2 sockhold " \
	"PID 1 and PID 2 both recorded"
contains "$out" "lookup $c_ino 2" "the holder other than PID 1 is the owner"
contains "$out" "pids=2 " "the scan stopped once a holder other than PID 1 was found"

# 4. PID 1 the only holder: the scan goes on to the end, and PID 1 is the answer.
unshare -n -p -f --mount-proc --kill-child "$obin/sockhold" 7004 >"$tmp/d" 2>&1 &
d_unshare=$!
pids="$pids $d_unshare"
wait_line "$tmp/d"
d_host=$(children "$d_unshare")
pids="$pids $d_host"
d_ino=$(field inode "$tmp/d")
out=$(nsenter -t "$d_host" -p -m "$obin/ownerdump" "$d_ino")
contains "$out" "lookup $d_ino 1" "PID 1 alone holds it: PID 1 is the owner"
contains "$out" "scan complete=1 denied=0 pids=2 " "every process was examined (PID 1 and ownerdump)"

# 5. Unprivileged: uid 65534 cannot read root's fd directories, but sees its own.
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
unshare -n $nobody "$tmp/sockhold" 7005 >"$tmp/e" 2>&1 &
pids="$pids $!"
wait_line "$tmp/e"
e_pid=$(field pid "$tmp/e")
e_ino=$(field inode "$tmp/e")
out=$($nobody "$tmp/ownerdump" "$a_ino" "$e_ino")
ok $? "unprivileged, ownerdump still succeeds"
denied=$(echo "$out" | sed -n 's/.* denied=\([0-9]*\).*/\1/p')
[ "${denied:-0}" -gt 0 ]
ok $? "some fd directories were denied ($denied)"
contains "$out" "scan complete=0 " "and the result says it is incomplete"
is "$(echo "$out" | grep -c "^owner $a_ino ")" 0 "no owner for root's socket"
contains "$out" "lookup $a_ino -" "root's socket: owner unknown"
contains "$out" "owner $e_ino $e_pid sockhold" "its own socket is found"

done_testing
