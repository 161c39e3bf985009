# shellcheck shell=bash
# Shared by the tests/hostile scripts (source tests/lib/tap.sh first): a clean
# --root tree to plant hostile things in, a snapshot of a directory tree to
# prove that nothing was written, and a runner that bounds time and measures
# peak memory (runlimit.c).  Every path is below the build directory.

runlimit=$abs_top_builddir/tests/hostile/runlimit
# Bounds for one run: generous, so that a busy CI host never flakes them.
limit_s=20
limit_rss_kib=$((256 * 1024))
# An ASan build runs several times slower and its shadow memory counts in its
# RSS: the same bounds, scaled for it (the normal pass checks the real ones).
if grep -q __asan_init "$PORTAUDIT"; then
	limit_s=$((limit_s * 6))
	limit_rss_kib=$((limit_rss_kib * 4))
fi

# hostile_tmp NAME: a fresh scratch directory in $tmp, removed on exit.
hostile_tmp() {
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-hostile-$1-XXXXXX") || exit 1
	# A read-only or 0000 directory planted by a case must not stop the cleanup.
	trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
}

# base_tree DIR: a new tree (DIR below $tmp is replaced) whose audit is clean
# (exit 0, no finding): web serves 40100 and 40200, both listening, reserved
# live and in sysctl.d.
base_tree() {
	local d=$1
	case $d in
	"$tmp"/?*) ;;
	*) echo "Bail out! base_tree: $d is not below $tmp"; exit 1 ;;
	esac
	chmod -R u+rwx "$d" 2>/dev/null
	rm -rf "$d"
	mkdir -p "$d/etc/portaudit" "$d/etc/sysctl.d" "$d/proc/net" "$d/proc/sys/net/ipv4" \
		"$d/usr/lib/sysctl.d" || return 1
	printf 'version: 1\nservices:\n  web:\n    ports: [40100, 40200]\n' \
		>"$d/etc/portaudit/inventory.yaml"
	printf 'net.ipv4.ip_local_reserved_ports = 40100,40200\n' >"$d/etc/sysctl.d/50-web.conf"
	printf '32768\t60999\n' >"$d/proc/sys/net/ipv4/ip_local_port_range"
	printf '40100,40200\n' >"$d/proc/sys/net/ipv4/ip_local_reserved_ports"
	printf '1024\n' >"$d/proc/sys/net/ipv4/ip_unprivileged_port_start"
	{
		procnet_header
		procnet_line 0 9CA4 0A 61001
		procnet_line 1 9D08 0A 61002
	} >"$d/proc/net/tcp"
	procnet_header >"$d/proc/net/tcp6"
	procnet_header >"$d/proc/net/udp"
	procnet_header >"$d/proc/net/udp6"
	chmod -R go-w "$d"
}

procnet_header() {
	printf '%s%s\n' '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when' \
		' retrnsmt   uid  timeout inode'
}

# procnet_line SLOT HEXPORT HEXSTATE INODE: one /proc/net/tcp line on 0.0.0.0.
procnet_line() {
	printf '%4d: 00000000:%s 00000000:0000 %s %s     0        0 %d %s\n' "$1" "$2" "$3" \
		'00000000:00000000 00:00000000 00000000' "$4" '1 0000000000000000 100 0 0 10 0'
}

# tree_state DIR: every entry below DIR with its type, mode, owner, size, link
# target and modification time, and the checksum of every regular file.  Two
# equal states mean nothing was created, removed, written or touched.
tree_state() {
	(
		cd "$1" || exit 1
		find . -printf '%p|%y|%m|%U|%s|%l|%T@\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
	)
}

# run_pa OUT ERR ARG...: run portaudit under runlimit; sets rc, ms and rss (KiB).
run_pa() {
	local out=$1 err=$2
	shift 2
	"$runlimit" "$limit_s" "$tmp/runlimit.report" "$PORTAUDIT" "$@" >"$out" 2>"$err"
	read -r rc ms rss <"$tmp/runlimit.report"
}

# within_limits WHAT: the last run_pa stayed within the time and memory bounds.
within_limits() {
	if [ "$rc" != 124 ] && [ "$ms" -lt $((limit_s * 1000)) ] &&
		[ "$rss" -lt "$limit_rss_kib" ]; then
		ok 0 "$1: bounded ($ms ms, $rss KiB peak RSS)"
	else
		ok 1 "$1: bounded"
		echo "# exit $rc after $ms ms, peak RSS $rss KiB;" \
			"limits ${limit_s} s, $limit_rss_kib KiB"
	fi
}

# lines FILE: how many lines FILE has.
lines() {
	wc -l <"$1" | tr -d ' '
}

# one_error ERR REGEX WHAT: ERR holds exactly one line, and it matches REGEX
# (grep -E, anchored by the caller).
one_error() {
	if [ "$(lines "$1")" = 1 ] && grep -qE -- "$2" "$1"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		echo "# want one line matching: $2"
		sed 's/^/#   /' "$1" | head -n 5
	fi
}

# re STRING: STRING with the characters grep -E treats specially escaped.
re() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# utf8_json FILE: FILE is JSON in valid UTF-8 by a strict parser.
utf8_json() {
	python3 -c 'import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1" 2>/dev/null
}

# has_note TEXT: the JSON report in $tmp/out has the note TEXT, exactly.
has_note() {
	jq -r '.host.notes[]' "$tmp/out" | grep -qxF -- "$1"
}
