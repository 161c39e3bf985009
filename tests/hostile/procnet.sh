#!/bin/bash
# Hostile /proc/net/{tcp,tcp6,udp,udp6} in --root trees (no root needed, but
# for the device case):
#   - garbage text, binary bytes with a NUL, a 1 MiB line, a bad state, a port
#     above 65535, an escape sequence in the slot, and a truncated last line
#     without its newline, between valid lines (one with a CRLF ending);
#   - 64 KiB of every byte value as udp;
#   - a 64 MiB tcp of 420,000 connections with the listeners last;
#   - a 300 MB (sparse) tcp6, over the 256 MiB limit;
#   - a FIFO and a character device as tcp6, a FIFO as the comm of a listener's
#     owner, and a tree without proc/net.
# Each bad line is one note "FILE:LINE: ..., skipping" (at most 50 kept, then
# a count), control bytes are escaped, the valid lines still count, a file
# that cannot be read is one note naming it and the audit goes on without
# sockets; exit 0 (the tree is otherwise clean), bounded time and memory, and
# nothing written.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp procnet
plan 38

t=$tmp/tree
base_tree "$t" || exit 1
tcp=$t/proc/net/tcp

# audit WHAT: run the JSON and the text audit of the tree; both exit 0, the
# tree unchanged, within the bounds.  The JSON is in $tmp/out, the text in $tmp/text.
audit() {
	local before
	before=$(tree_state "$t")
	run_pa "$tmp/text" "$tmp/err" --root "$t" -v
	local rc_t=$rc
	run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
	is "$rc_t:$rc:$(cat "$tmp/err")" "0:0:" "$1: exit 0 (text and JSON), nothing on stderr"
	within_limits "$1"
	is "$(tree_state "$t")" "$before" "$1: nothing written"
}

listening() {
	jq -r '[.host.sockets.listeners[].port] | sort | map(tostring) | join(",")' "$tmp/out"
}

# --- garbage between valid lines ------------------------------------------------
{
	procnet_header
	procnet_line 0 9CA4 0A 61001
	echo 'garbage line here'
	printf '\001\002\377\376\000\177 binary\n'
	printf '   5: '
	head -c 1048576 /dev/zero | tr '\0' A
	echo
	procnet_line 6 1F90 ZZ 61006
	procnet_line 7 1FFFF 0A 61007
	procnet_line 8 1F92 0A 61008 | sed 's/^   8:/\x1b[2J:/'
	procnet_line 9 9D08 0A 61002 | sed 's/$/\r/'
	printf '  10: 00000000:1F91 00000000:0000 0A 000000'
} >"$tcp"
audit "garbage lines"
jq -r '.host.notes[]' "$tmp/out" | grep "^$(re "$tcp"):" >"$tmp/notes"
cat >"$tmp/want" <<EOF
$tcp:3: expected at least 10 fields, found 3, skipping
$tcp:4: expected at least 10 fields, found 2, skipping
$tcp:5: line too long (1048582 bytes), skipping
$tcp:6: bad state 'ZZ', skipping
$tcp:7: local port out of range in '00000000:1FFFF', skipping
$tcp:8: bad slot '\\x1b[2J:', skipping
$tcp:10: expected at least 10 fields, found 5, skipping
EOF
diff -u "$tmp/want" "$tmp/notes" | sed 's/^/# /'
cmp -s "$tmp/want" "$tmp/notes"
ok $? "garbage lines: one note per bad line, FILE:LINE, the values quoted and escaped"
is "$(listening)" "40100,40200" "garbage lines: both valid listeners count (one with CRLF)"
is "$(jq -c '[.findings[].id]' "$tmp/out")" "[]" "garbage lines: no finding"
! grep -q "$(printf '\033')" "$tmp/text" &&
	grep -qF "note: $tcp:8: bad slot '\\x1b[2J:', skipping" "$tmp/text"
ok $? "garbage lines: the text report shows the notes, with no raw escape byte"

# --- every byte value as udp ---------------------------------------------------
base_tree "$t"
for ((i = 0; i < 256; i++)); do printf '%b' "\\$(printf %03o $i)"; done >"$tmp/bytes"
for ((i = 0; i < 256; i++)); do cat "$tmp/bytes"; done >"$t/proc/net/udp"
audit "64 KiB of every byte value as udp"
n_udp=$(jq -r '.host.notes[]' "$tmp/out" | grep -c "^$(re "$t/proc/net/udp"):[0-9]*: ")
[ "$n_udp" -ge 1 ] && [ "$(jq '.host.notes | length' "$tmp/out")" -le 51 ] &&
	jq -e '.host.notes | last | test("^[0-9]+ more notes left out$")' "$tmp/out" >/dev/null
ok $? "every byte value: notes naming udp:LINE, at most 50 kept, then how many more ($n_udp shown)"
is "$(listening)" "40100,40200" "every byte value: the tcp listeners still count"

# --- 64 MiB of connections ------------------------------------------------------
base_tree "$t"
# Lines as long as the kernel's (150 bytes and its padding), listeners last.
procnet_header >"$tcp"
awk 'BEGIN {
	tail = " 00000000:00000000 00:00000000 00000000  1000        0 %d 1"
	tail = tail " 0000000000000000 20 4 30 10 -1"
	pad = sprintf("%32s", "")
	for (i = 0; i < 420000; i++)
		printf "%6d: 0100007F:%04X 0100007F:0050 01" tail pad "\n",
			i, 1024 + i % 30000, 100000 + i
	printf "%6d: 00000000:9CA4 00000000:0000 0A" tail "\n", 420000, 61001
	printf "%6d: 00000000:9D08 00000000:0000 0A" tail "\n", 420001, 61002
}' >>"$tcp"
[ "$(stat -c %s "$tcp")" -ge $((64 * 1024 * 1024)) ]
ok $? "a tcp of $(($(stat -c %s "$tcp") / 1048576)) MiB"
audit "64 MiB of connections"
is "$(listening):$(jq .host.sockets.tcp_other_seen "$tmp/out")" "40100,40200:420000" \
	"64 MiB of connections: every line read, the listeners at the end count"

# --- over the limit ---------------------------------------------------------------
base_tree "$t"
truncate -s 300M "$t/proc/net/tcp6"
audit "a 300 MB tcp6"
has_note "$t/proc/net/tcp6: cannot read: File too large" &&
	has_note 'sockets: not read: File too large' && [ "$rss" -lt 32768 ]
ok $? "a 300 MB tcp6: one note naming it, the sockets not read, refused by its size ($rss KiB)"

# --- no file at all ----------------------------------------------------------------
base_tree "$t"
rm "$t/proc/net/tcp6" && mkfifo "$t/proc/net/tcp6"
audit "a FIFO as tcp6"
has_note "$t/proc/net/tcp6: cannot read: not a regular file"
ok $? "a FIFO as tcp6: one note naming it, no hang"
rm "$t/proc/net/tcp6"
if [ "$(id -u)" = 0 ] && mkdir -p "$t/dev" && mknod "$t/dev/zero" c 1 5 2>/dev/null; then
	ln -s /dev/zero "$t/proc/net/tcp6"
	audit "tcp6 -> /dev/zero"
	has_note "$t/proc/net/tcp6: cannot read: not a regular file"
	ok $? "tcp6 -> /dev/zero, a device inside the tree: one note naming it, nothing read"
else
	for _ in 1 2 3 4; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP mknod needs root"
	done
fi

# An unlisted listener makes a finding, whose owner is looked up: its comm is a FIFO.
base_tree "$t"
procnet_line 2 C35A 0A 61003 >>"$tcp"
mkdir -p "$t/proc/77/fd" && ln -s 'socket:[61003]' "$t/proc/77/fd/3" && mkfifo "$t/proc/77/comm"
before=$(tree_state "$t")
run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
[ "$rc" = 0 ] && [ "$(tree_state "$t")" = "$before" ] &&
	[ "$(jq -r '.findings[0] | .id + " " + (.evidence[0].pid | tostring)' "$tmp/out")" = \
		"unlisted-listener 77" ]
ok $? "a FIFO as the owner's proc/PID/comm: no hang, the owner found without a name (exit $rc)"
within_limits "a FIFO as comm"

base_tree "$t"
rm -r "$t/proc/net"
audit "a tree without proc/net"
for f in tcp tcp6 udp udp6; do
	has_note "$t/proc/net/$f: missing, its sockets are not listed"
	ok $? "a tree without proc/net: one note for $f"
done

done_testing
