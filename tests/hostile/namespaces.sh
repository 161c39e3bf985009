#!/bin/bash
# Hostile environments that need mount namespaces (root and unshare; skipped
# without them).  Every case runs in a private mount namespace of its own, so
# nothing is mounted, hidden or written on the host:
#   - a --root tree on a read-only bind mount: the audit, --fix (exit 3, one
#     "fix failed:" line saying the file system is read-only, in JSON too),
#     --fix --dry-run; the tree is unchanged afterwards;
#   - the live system with an empty tmpfs over /proc, with /proc unmounted, and
#     with an empty tmpfs over /proc/sys: the audit and --fix are exit 2 with
#     one line naming /proc/sys/net/ipv4/ip_local_port_range, and no fragment;
#     those also get a network namespace, and tmpfs mounts of ours over /run
#     and /etc/sysctl.d (where --fix would put its lock and fragment);
#   - an empty tmpfs over /proc/net only: the live audit reads sockets over
#     netlink and is not disturbed.
# The host's /etc/sysctl.d is compared before and after.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root for mount namespaces"
command -v unshare >/dev/null || skip_all "unshare is missing"
unshare -m -n --propagation private true 2>/dev/null ||
	skip_all "cannot create mount and network namespaces here"

hostile_tmp namespaces
plan 21

# The host's directory --fix writes to, as it is now (read only).  The host's
# /run/portaudit.lock is left out: other test suites on the host may take it.
host_state() {
	ls -la --time-style=+%s.%N /etc/sysctl.d 2>&1
}
host_before=$(host_state)

inv=$tmp/inv.yaml
printf 'version: 1\nservices:\n  web:\n    ports: [40100, 40300]\n' >"$inv"
chmod 0644 "$inv"

# --- a read-only root -------------------------------------------------------------
t=$tmp/tree
base_tree "$t" || exit 1
mkdir "$t/run"
# 40300 is in the inventory but neither reserved nor in sysctl.d: --fix has to write.
printf 'version: 1\nservices:\n  web:\n    ports: [40100, 40200, 40300]\n' \
	>"$t/etc/portaudit/inventory.yaml"

# in_ro ARG...: portaudit --root TREE ARG... with TREE bind-mounted read-only over itself.
in_ro() {
	# shellcheck disable=SC2016 # the script expands its own arguments
	"$runlimit" "$limit_s" "$tmp/runlimit.report" unshare -m --propagation private sh -c '
		t=$1; shift
		mount --bind "$t" "$t" && mount -o remount,bind,ro "$t" || exit 99
		touch "$t/written" 2>/dev/null && exit 98
		exec "$@"' _ "$t" "$PORTAUDIT" --root "$t" "$@" >"$tmp/out" 2>"$tmp/err"
	read -r rc ms rss <"$tmp/runlimit.report"
}

before=$(tree_state "$t")
in_ro
is "$rc:$(cat "$tmp/err")" "1:" "read-only root: the audit runs (exit 1, 40300 is unreserved)"
in_ro --fix
grep '^fix failed: ' "$tmp/out" >"$tmp/failed"
frag=$t/etc/sysctl.d/99-zz-portaudit.conf
[ "$rc" = 3 ] && [ "$(lines "$tmp/failed")" = 1 ] &&
	grep -q "^fix failed: $(re "$frag"): not written (.*Read-only file system" "$tmp/failed"
ok $? "read-only root: --fix exits 3 with one 'fix failed:' line naming the fragment, read-only"
sed 's/^/# /' "$tmp/failed"
lock_re='^portaudit: /run/portaudit.lock cannot be created \(Read-only file system\),'
one_error "$tmp/err" "$lock_re so the lock is taken on /etc/sysctl.d$" \
	"read-only root: the lock's one note on stderr"
within_limits "read-only root, --fix"
in_ro --fix -f json
[ "$rc" = 3 ] && [ "$(jq -r '.fix.failed' "$tmp/out")" = true ] &&
	[ "$(jq -r '.fix.written' "$tmp/out")" = false ] &&
	[ "$(jq '.fix.errors | length' "$tmp/out")" = 1 ]
ok $? "read-only root: --fix -f json: fix.failed, not written, one fix.errors entry (exit $rc)"
in_ro --fix --dry-run
is "$rc:$(grep -c '^fix failed' "$tmp/out")" "1:0" \
	"read-only root: --fix --dry-run plans, fails nothing (exit 1)"
is "$(tree_state "$t")" "$before" "read-only root: the tree is unchanged"

# --- no /proc on the live system --------------------------------------------------------
cover_ok=yes
[ -d /etc/sysctl.d ] && [ -d /run ] || cover_ok=
# in_live HIDE ARG...: portaudit ARG... on the live system in new mount and network
# namespaces, /run and /etc/sysctl.d covered by tmpfs mounts of ours, and /proc
# hidden as HIDE says (tmpfs-proc, umount-proc, tmpfs-sys, tmpfs-net).  Afterwards
# $tmp/fragments lists what is in the covered /etc/sysctl.d.
in_live() {
	local hide=$1
	shift
	rm -f "$tmp/runlimit.report" "$tmp/fragments"
	# shellcheck disable=SC2016 # the script expands its own arguments
	unshare -m -n --propagation private sh -c '
		hide=$1 report=$2 fragments=$3 runlimit=$4 limit=$5; shift 5
		ours() { [ "$(findmnt -n -o SOURCE -T "$1" | tail -n 1)" = portaudit-hostile ]; }
		for d in /run /etc/sysctl.d; do
			mount -t tmpfs -o size=1m,mode=0755 portaudit-hostile "$d" &&
				ours "$d" || exit 99
		done
		ip link set lo up 2>/dev/null
		case $hide in
		tmpfs-proc) mount -t tmpfs portaudit-hostile /proc ;;
		umount-proc) umount -l /proc ;;
		tmpfs-sys) mount -t tmpfs portaudit-hostile /proc/sys ;;
		tmpfs-net) mount -t tmpfs portaudit-hostile /proc/net ;;
		esac || exit 97
		"$runlimit" "$limit" "$report" "$@"
		rc=$?
		ls -A /etc/sysctl.d >"$fragments"
		exit $rc' _ "$hide" "$tmp/runlimit.report" "$tmp/fragments" "$runlimit" "$limit_s" \
		"$PORTAUDIT" -c "$inv" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -s "$tmp/runlimit.report" ]; then
		read -r rc ms rss <"$tmp/runlimit.report"
	else
		ms=0 rss=0
		echo "# the namespace was not set up (exit $rc): $(head -c 200 "$tmp/err")"
	fi
}

if [ -n "$cover_ok" ]; then
	proc_err="^portaudit: cannot read '/proc/sys/net/ipv4/ip_local_port_range':"
	proc_err="$proc_err No such file or directory$"
	for hide in tmpfs-proc umount-proc tmpfs-sys; do
		# ASan's runtime reads /proc/self/maps before main(): an ASan build
		# cannot start without /proc at all.  The normal pass runs these.
		if [ "$hide" != tmpfs-sys ] && grep -q __asan_init "$PORTAUDIT"; then
			for _ in 1 2 3 4; do
				tap_n=$((tap_n + 1))
				echo "ok $tap_n # SKIP live, $hide: an ASan build cannot start without /proc"
			done
			continue
		fi
		in_live $hide
		[ "$rc" = 2 ] && [ ! -s "$tmp/out" ]
		ok $? "live, $hide: the audit exits 2 with nothing on stdout"
		one_error "$tmp/err" "$proc_err" "live, $hide: one line naming the sysctl"
		in_live $hide --fix
		[ "$rc" = 2 ] && [ ! -s "$tmp/fragments" ] && [ -e "$tmp/fragments" ] &&
			grep -qE "$proc_err" "$tmp/err" && [ "$(lines "$tmp/err")" = 1 ]
		ok $? "live, $hide: --fix exits 2 with the same one line and writes no fragment"
		within_limits "live, $hide, --fix"
	done
	in_live tmpfs-net -f json
	[ "$rc" = 1 ] && [ "$(jq -r .host.sockets.source "$tmp/out")" = netlink ] &&
		[ "$(jq -r '[.findings[].id] | unique | join(",")' "$tmp/out")" = \
			"ephemeral-overlap,not-listening" ]
	ok $? "live, tmpfs over /proc/net only: sockets come over netlink, the audit is whole"
else
	for _ in $(seq 1 13); do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP no /etc/sysctl.d or /run to cover with a private tmpfs"
	done
fi

is "$(host_state)" "$host_before" "the host's /etc/sysctl.d is as it was"

done_testing
