#!/bin/bash
# Garbage in a --root tree's proc/sys/net/ipv4 and a tree without proc:
#   - ip_local_port_range "9 1", "", "abc", "1024", "70000 80000", 1 MB of
#     digits, a FIFO, a directory, and (as root) a link to a character device;
#   - ip_local_reserved_ports "abc", "1-", "65536", "40100 40200", 1 MB of
#     digits, bytes that are not text, and a FIFO;
#   - no proc/sys at all, and no proc at all;
#   - --fix on such a tree.
# Each is exit 2, nothing on stdout, one line on stderr naming the file (and
# quoting the value or the byte where it applies), no hang, bounded time and
# memory, and nothing written, --fix included.  An empty
# ip_local_reserved_ports is the kernel's own way of saying "none" (exit 1
# from the findings), and a missing ip_unprivileged_port_start is fine.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp procsys
plan 22

t=$tmp/tree
v4=$t/proc/sys/net/ipv4
range=$v4/ip_local_port_range
reserved=$v4/ip_local_reserved_ports

# bad WHAT REGEX [ARG...]: the audit of the tree is exit 2 with the one line; nothing written.
bad() {
	local what=$1 want=$2 before
	shift 2
	before=$(tree_state "$t")
	run_pa "$tmp/out" "$tmp/err" --root "$t" "$@"
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$ms" -lt $((limit_s * 1000)) ] &&
		[ "$rss" -lt "$limit_rss_kib" ] && [ "$(tree_state "$t")" = "$before" ]; then
		one_error "$tmp/err" "$want" \
			"$what: exit 2, one line, bounded ($ms ms, $rss KiB), nothing written"
	else
		ok 1 "$what: exit 2, one line, bounded, nothing written"
		echo "# exit $rc after $ms ms, $rss KiB; stdout $(wc -c <"$tmp/out") bytes; stderr:"
		head -n 3 "$tmp/err" | cut -c 1-200 | sed 's/^/#   /'
	fi
}

# set_value FILE VALUE: a fresh tree with FILE holding VALUE and a newline.
set_value() {
	base_tree "$t"
	printf '%s\n' "$2" >"$1"
}

range_re="^portaudit: cannot read '$(re "$range")':"
range_re="$range_re expected two port numbers 'min max', min <= max, not"
for v in '9 1' '' abc 1024 '70000 80000'; do
	set_value "$range" "$v"
	bad "ip_local_port_range '$v'" "$range_re '$(re "$v")'$"
done
base_tree "$t"
head -c 1048576 /dev/zero | tr '\0' 7 >"$range"
bad "ip_local_port_range of 1 MB" "$range_re '7{24}\.\.\.'$"

reserved_re="^portaudit: cannot read '$(re "$reserved")': byte"
set_value "$reserved" abc
bad "ip_local_reserved_ports 'abc'" "$reserved_re 1: expected a port number$"
set_value "$reserved" 1-
bad "ip_local_reserved_ports '1-'" "$reserved_re 3: expected a port number$"
set_value "$reserved" 65536
bad "ip_local_reserved_ports '65536'" "$reserved_re 1: port number above 65535$"
set_value "$reserved" '40100 40200'
bad "ip_local_reserved_ports '40100 40200'" "$reserved_re 6: blanks are not allowed in the list$"
base_tree "$t"
head -c 1048576 /dev/zero | tr '\0' 7 >"$reserved"
bad "ip_local_reserved_ports of 1 MB" "$reserved_re 1: number longer than 20 characters$"
base_tree "$t"
printf '\377\000\033[2J\n' >"$reserved"
bad "ip_local_reserved_ports of bytes that are not text" "$reserved_re 1: expected a port number$"

base_tree "$t"
rm "$range" && mkfifo "$range"
bad "ip_local_port_range a FIFO" "^portaudit: cannot read '$(re "$range")': not a regular file$"
base_tree "$t"
rm "$reserved" && mkfifo "$reserved"
bad "ip_local_reserved_ports a FIFO" \
	"^portaudit: cannot read '$(re "$reserved")': not a regular file$"
base_tree "$t"
rm "$range" && mkdir "$range"
bad "ip_local_port_range a directory" "^portaudit: cannot read '$(re "$range")': Is a directory$"
base_tree "$t"
if [ "$(id -u)" = 0 ] && mkdir "$t/dev" && mknod "$t/dev/zero" c 1 5 2>/dev/null; then
	rm "$range" && ln -s /dev/zero "$range"
	bad "ip_local_port_range -> /dev/zero, a device inside the tree" \
		"^portaudit: cannot read '$(re "$range")': not a regular file$"
else
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP mknod needs root"
fi

# --- values that are fine ------------------------------------------------------------
base_tree "$t"
: >"$reserved"
run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
got=$(jq -c '[.host.kernel.ip_local_reserved_ports, ([.findings[].id] | unique)]' "$tmp/out")
is "$rc:$got" '1:["",["ephemeral-overlap"]]' \
	"an empty ip_local_reserved_ports is no port reserved: exit 1"
base_tree "$t"
rm "$v4/ip_unprivileged_port_start"
run_pa "$tmp/out" "$tmp/err" --root "$t"
is "$rc:$(cat "$tmp/err")" "0:" "no ip_unprivileged_port_start (Linux < 4.11): exit 0"

# --- no proc -------------------------------------------------------------------------------
base_tree "$t"
rm -r "$t/proc/sys"
bad "a tree without proc/sys" "^portaudit: cannot read '$(re "$range")': No such file or directory$"
base_tree "$t"
rm -r "$t/proc"
bad "a tree without proc" "^portaudit: cannot read '$(re "$range")': No such file or directory$"
# --fix says first that the tree has no run/ for its lock.
before=$(tree_state "$t")
run_pa "$tmp/out" "$tmp/err" --root "$t" --fix
[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(lines "$tmp/err")" = 2 ] &&
	head -n 1 "$tmp/err" | grep -q '^portaudit: /run/portaudit.lock cannot be created' &&
	[ "$(tail -n 1 "$tmp/err")" = \
		"portaudit: cannot read '$range': No such file or directory" ] &&
	[ "$(tree_state "$t")" = "$before" ]
ok $? "--fix on a tree without proc: exit 2, the lock's note and the one error, nothing written"
set_value "$range" '9 1'
mkdir "$t/run"
before=$(tree_state "$t")
run_pa "$tmp/out" "$tmp/err" --root "$t" --fix
diff <(echo "$before") <(tree_state "$t") | grep '^[<>]' | grep -vF ' ./run/portaudit.lock' |
	grep -v '^[<>] ./run|' >"$tmp/diff"
[ "$rc" = 2 ] && [ ! -s "$tmp/diff" ] && [ ! -e "$t/etc/sysctl.d/99-zz-portaudit.conf" ]
ok $? "--fix on a range '9 1': exit 2, no fragment, nothing but the lock file written"
sed 's/^/# /' "$tmp/diff"

done_testing
