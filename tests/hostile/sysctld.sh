#!/bin/bash
# Hostile sysctl.d files in --root trees:
#   - a line of 1.1 MB between two assignments: systemd-sysctl stops at it,
#     procps reads on (both checked against the real tools in a fresh network
#     namespace when run as root, as tests/sysctld/differential.sh does);
#   - a NUL byte inside an assignment (the real tools again), a bare CR;
#   - bytes that are not UTF-8 in a value and in a file name: notes escape
#     them, and the JSON report stays valid UTF-8 for a strict parser;
#   - a 100 MB file (over the 16 MiB limit), 100,000 files in one directory;
#   - a FIFO, a symlink to a FIFO, a directory named x.conf, and a FIFO as
#     /etc/sysctl.conf.
# Each gives one note naming FILE[:LINE] (or, for what no tool would read, is
# passed over), exit 0 or 1 from the findings alone, bounded time (20 s) and
# peak RSS (256 MiB), no hang, and nothing written.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp sysctld
plan 36

t=$tmp/tree
sd=$t/etc/sysctl.d
key=net.ipv4.ip_local_reserved_ports

# audit WHAT [WANT-EXIT]: the JSON audit of the tree into $tmp/out: exit
# status, bounds, nothing written.
audit() {
	local before
	before=$(tree_state "$t")
	run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
	is "$rc:$(cat "$tmp/err")" "${2:-0}:" "$1: exit ${2:-0}, nothing on stderr"
	within_limits "$1"
	is "$(tree_state "$t")" "$before" "$1: nothing written"
}

notes() {
	jq -r '.host.notes[]' "$tmp/out"
}

# next_boot TOOL: the value portaudit expects TOOL to leave at the next boot.
next_boot() {
	jq -r ".host.sysctl_d.keys[\"$key\"].next_boot.$1.value" "$tmp/out"
}

# The real tools, applied to FILE in a fresh network namespace, when they can be.
oracle=
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -x /lib/systemd/systemd-sysctl ] &&
	command -v sysctl >/dev/null && unshare -n true 2>/dev/null; then
	oracle=yes
fi
# shellcheck disable=SC2016 # the scripts expand their own arguments
real_systemd() {
	unshare -n sh -c '/lib/systemd/systemd-sysctl "$1" >/dev/null 2>&1; cat "$2"' _ "$1" \
		/proc/sys/net/ipv4/ip_local_reserved_ports
}
# shellcheck disable=SC2016
real_procps() {
	unshare -n sh -c 'sysctl -q -p "$1" >/dev/null 2>&1; cat "$2"' _ "$1" \
		/proc/sys/net/ipv4/ip_local_reserved_ports
}
# agrees TOOL FILE WHAT: portaudit's next boot for TOOL is what the real tool does.
agrees() {
	if [ -z "$oracle" ]; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $3: needs root, unshare, systemd-sysctl and procps"
		return
	fi
	local real
	if [ "$1" = systemd_sysctl ]; then
		real=$(real_systemd "$2")
	else
		real=$(real_procps "$2")
	fi
	is "$(next_boot "$1")" "$real" "$3"
}

# --- a line over 1 MiB --------------------------------------------------------
base_tree "$t" || exit 1
rm "$sd/50-web.conf"
{
	echo "$key = 40100,40200"
	printf 'kernel.portaudit_nonexistent = '
	head -c 1100000 /dev/zero | tr '\0' x
	echo
	echo "$key = 40100"
} >"$sd/10-long.conf"
audit "a 1.1 MB line"
ignores_rest='systemd-sysctl ignores the rest of the file'
odd_eol='has a carriage return or NUL byte that does not end a line: systemd-sysctl and procps'
odd_eol="$odd_eol split its lines differently"
has_note "$sd/10-long.conf:2: line longer than 1048576 bytes: $ignores_rest"
ok $? "a 1.1 MB line: one note naming FILE:2"
is "$(next_boot systemd_sysctl):$(next_boot procps)" "40100,40200:40100" \
	"a 1.1 MB line: systemd-sysctl keeps line 1, procps reads on to line 3"
agrees systemd_sysctl "$sd/10-long.conf" "a 1.1 MB line: the real systemd-sysctl agrees"
agrees procps "$sd/10-long.conf" "a 1.1 MB line: the real sysctl -p agrees"

# --- NUL and CR --------------------------------------------------------------------
base_tree "$t"
rm "$sd/50-web.conf"
printf '%s = 40100\0,40200\n' "$key" >"$sd/10-nul.conf"
audit "a NUL byte in a value"
has_note "$sd/10-nul.conf:2: line is not an assignment, ignoring (as both tools do): ',40200'" &&
	has_note "$sd/10-nul.conf: $odd_eol"
ok $? "a NUL byte: the rest of the line is a note at FILE:2, and the file is noted"
agrees systemd_sysctl "$sd/10-nul.conf" \
	"a NUL byte: the real systemd-sysctl agrees ($(next_boot systemd_sysctl))"
agrees procps "$sd/10-nul.conf" "a NUL byte: the real sysctl -p agrees ($(next_boot procps))"

base_tree "$t"
printf 'kernel.a = 1\r%s = 40100,40200\r' "$key" >"$sd/60-cr.conf"
audit "bare CRs as line ends"
has_note "$sd/60-cr.conf: $odd_eol"
ok $? "bare CRs: one note naming the file"

# --- not UTF-8 -------------------------------------------------------------------
base_tree "$t"
printf '%s = \377\376\033[2J40100\n' "$key" >"$sd/20-latin1.conf"
printf '%s = 40100,40200\n' "$key" >"$sd/30-$(printf '\351')t$(printf '\351').conf"
printf '%s = 40100,40200\n' "$key" >"$sd/31-été.conf"
audit "bytes that are not UTF-8"
utf8_json "$tmp/out"
ok $? "not UTF-8: the JSON report is valid UTF-8 to a strict parser"
jq -r '.host.sysctl_d.files[].path' "$tmp/out" >"$tmp/paths"
grep -qx '/etc/sysctl.d/30-�t�.conf' "$tmp/paths" &&
	grep -qx '/etc/sysctl.d/31-été.conf' "$tmp/paths"
ok $? "not UTF-8: the Latin-1 name shows U+FFFD, the UTF-8 name is unchanged"
jq -e ".host.sysctl_d.keys[\"$key\"].assignments[]
	| select(.file == \"/etc/sysctl.d/20-latin1.conf\")
	| .problem | test(\"^the kernel refuses it\")" "$tmp/out" >/dev/null
ok $? "not UTF-8: the value is one the kernel refuses, and said so"
run_pa "$tmp/text" "$tmp/err" --root "$t" -v
! grep -q "$(printf '\033')" "$tmp/text"
ok $? "not UTF-8: no raw escape byte reaches the text report"

# --- size ---------------------------------------------------------------------------
base_tree "$t"
{
	echo "$key = 1-65535"
	head -c 100000000 /dev/zero | tr '\0' '#' | fold -w 100
} >"$sd/10-big.conf"
audit "a 100 MB file"
has_note "$sd/10-big.conf: cannot read: File too large, ignoring" && [ "$rss" -lt 65536 ]
ok $? "a 100 MB file: one note naming it ($rss KiB peak RSS)"

# An ASan build gets 10,000: its realloc() always moves the block, and the
# file list grows one entry at a time, so 100,000 files cost it minutes.
nfiles=100000
grep -q __asan_init "$PORTAUDIT" && nfiles=10000
base_tree "$t"
(cd "$sd" && seq -f '%06g-empty.conf' 1 $nfiles | xargs touch) || exit 1
printf '%s = 40100,40200,40300\n' "$key" >"$sd/99-last.conf"
audit "$nfiles files in etc/sysctl.d"
winner=$(jq -r ".host.sysctl_d.keys[\"$key\"].next_boot.systemd_sysctl.from.file" "$tmp/out")
is "$(jq '.host.sysctl_d.files | length' "$tmp/out"):$winner" \
	"$((nfiles + 2)):/etc/sysctl.d/99-last.conf" "$nfiles files: all listed, the last one wins"

# --- no files --------------------------------------------------------------------------
base_tree "$t"
mkfifo "$sd/70-fifo.conf" "$t/etc/sysctl.conf"
mkdir "$sd/71-dir.conf"
mkdir -p "$t/srv" && mkfifo "$t/srv/fifo"
ln -s /srv/fifo "$sd/72-to-fifo.conf"
audit "FIFOs and a directory"
notes | grep "^$(re "$t")/etc/sysctl" >"$tmp/notes"
is "$(cat "$tmp/notes")" "$sd/72-to-fifo.conf: cannot read: not a regular file, ignoring" \
	"FIFOs: a link to one is a note; a FIFO, a directory, a FIFO sysctl.conf are passed over"

done_testing
