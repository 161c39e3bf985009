#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What report_journal() puts on the journal's native socket: in a private mount
# namespace a tmpfs hides the host's /run/systemd (or its journal directory), a
# stand-in journald (journal-receiver.py) binds /run/systemd/journal/socket, and
# journal-send sends the sample findings (tests/report/sample.c) through
# libsystemd's real client.  The host's journal and /run are never touched.
# Also report_journal_stream() against the dev:ino of real files.
. "$abs_top_srcdir/tests/lib/tap.sh"

helper="$abs_top_builddir/tests/report/journal-send"
receiver="$abs_top_srcdir/tests/report/journal-receiver.py"
socket=/run/systemd/journal/socket

if [ "${1-}" = --in-namespace ]; then
	# Inside unshare -m --propagation private: these mounts are this namespace's own.
	tmp=$2
	rpid=
	trap '[ -z "$rpid" ] || kill "$rpid" 2>/dev/null' EXIT
	trap 'exit 1' INT TERM
	if [ -d /run/systemd/journal ]; then
		mnt=/run/systemd/journal
	elif [ -d /run/systemd ]; then
		mnt=/run/systemd
	else
		mnt=/run
	fi
	mount -t tmpfs -o mode=0755,size=128m portaudit-journal-test "$mnt" || exit 1
	mkdir -p /run/systemd/journal || exit 1

	# receiver_start RUN [TIMEOUT]: the stand-in journald, writing $tmp/RUN.entries,
	# once its socket is there.  receiver_stop RUN: its exit status into
	# $tmp/RUN.receiver-rc, and the socket gone for the next one.
	receiver_start() {
		python3 "$receiver" "$socket" "$tmp/$1.entries" ${2-} &
		rpid=$!
		i=0
		while [ ! -S "$socket" ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	}
	receiver_stop() {
		wait "$rpid"
		echo $? >"$tmp/$1.receiver-rc"
		rpid=
		rm -f "$socket"
	}

	# No journal at all: logging must not fail the run.
	"$helper" send >"$tmp/nojournal.out" 2>&1
	echo $? >"$tmp/nojournal.rc"

	for run in send send-big; do
		receiver_start "$run"
		"$helper" "$run" >"$tmp/$run.out" 2>&1
		echo $? >"$tmp/$run.rc"
		receiver_stop "$run"
	done

	# The real binary on the golden "problems" tree, without its planted /proc/PID/fd
	# links: 15 findings (unexpected-owner needs an owner). With --journal, under a journal
	# stream ($JOURNAL_STREAM naming its stdout), and with neither (nothing sent).
	tree="$abs_top_srcdir/tests/golden/problems/tree"
	for run in cli-journal cli-stream cli-none; do
		receiver_start "$run" 3
		: >"$tmp/$run.out"
		case $run in
		cli-journal) env -u JOURNAL_STREAM "$PORTAUDIT" --root "$tree" --journal >"$tmp/$run.out" ;;
		cli-stream) JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/$run.out") "$PORTAUDIT" --root "$tree" >"$tmp/$run.out" ;;
		cli-none) env -u JOURNAL_STREAM "$PORTAUDIT" --root "$tree" >"$tmp/$run.out" ;;
		esac
		echo $? >"$tmp/$run.rc"
		receiver_stop "$run"
	done
	exit 0
fi

[ "$(id -u)" = 0 ] || skip_all "needs root for a private mount namespace (unshare -m)"
command -v unshare >/dev/null 2>&1 || skip_all "unshare not found"

tmp=$(mktemp -d "$abs_top_builddir/tests/report/journal.XXXXXX") || exit 1
nspid=
cleanup() {
	[ -z "$nspid" ] || kill "$nspid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

plan 45

unshare -m --propagation private sh "$abs_top_srcdir/tests/report/journal.sh" --in-namespace "$tmp" &
nspid=$!
wait "$nspid"
ok $? "the namespace part ran"
nspid=

e="$tmp/send.entries"
# values N KEY: every value of KEY in entry N, one per line.
values() { sed -n "s/^$1 $2=//p" "$e"; }
nvalues() { values "$1" "$2" | wc -l; }
msgid() { "$helper" ids | sed -n "s/^$1 //p"; }

is "$(cat "$tmp/nojournal.rc")" 0 "without a journal socket, report_journal() returns 0"
is "$(cat "$tmp/send.rc"):$(cat "$tmp/send.receiver-rc")" 0:0 \
	"report_journal() returns 0 and the receiver saw the summary"
[ -s "$tmp/send.out" ] && sed 's/^/# /' "$tmp/send.out"

is "$(cut -d' ' -f1 "$e" | sort -un | tail -n1)" 11 "one entry per finding and a summary"
is "$(grep -c ' \.via=inline$' "$e")" 11 "every entry fits one datagram"
is "$(grep -c '^[0-9]* SYSLOG_IDENTIFIER=portaudit$' "$e")" 11 "SYSLOG_IDENTIFIER=portaudit in each"
is "$(grep -c '^[0-9]* CODE_' "$e")" 0 "no CODE_FILE/CODE_LINE/CODE_FUNC of report-journal.c"

# fields N: the finding's fixed fields on one line, "-" for an absent one.
fields() {
	for k in PORTAUDIT_ID MESSAGE_ID PRIORITY PORTAUDIT_SEVERITY PORTAUDIT_SERVICE \
		PORTAUDIT_PORT PORTAUDIT_PORTS PORTAUDIT_PROTOCOL; do
		v=$(values "$1" $k)
		printf '%s ' "${v:--}"
	done
	printf 'evidence=%s' "$(nvalues "$1" PORTAUDIT_EVIDENCE | tr -d ' ')"
}
# expect N ID PRIORITY SEVERITY SERVICE PORT PORTS PROTOCOL EVIDENCE-COUNT
expect() {
	n=$1 id=$2
	shift 2
	is "$(fields "$n")" "$id $(msgid "$id") $1 $2 $3 $4 $5 $6 evidence=$7" "entry $n: $id fields"
}
# The sample's findings, in its (unsorted) order: report_journal() keeps it.
expect 1 range-parity 6 info - - - - 1
expect 2 port-held 3 error mysql 28350 28350 tcp 3
expect 3 ephemeral-pool-small 4 warning - - - - 2
expect 4 self-connect 3 error - 40000 40000 tcp 1
expect 5 ephemeral-overlap 3 error mysql 28350 28350 tcp 3
expect 6 config-overridden 3 error mysql 28350 28350 tcp 3
expect 7 not-listening 6 info kube 30000 30000-32767 tcp 1
expect 8 unexpected-owner 4 warning web 8080 8080 tcp 3
expect 9 not-persistent 4 warning mysql 28350 28350 tcp 1
expect 10 unlisted-listener 4 warning - 28500 28500 tcp 1

is "$(values 2 MESSAGE)" \
	"portaudit: port-held: mysql tcp/28350: port 28350 is the local port of 2 sockets that do not listen: mysql cannot bind it" \
	"MESSAGE names id, service, protocol and port"
is "$(values 7 MESSAGE)" "portaudit: not-listening: kube tcp/30000-32767: nothing listens on 2768 ports of kube" \
	"MESSAGE of a port range"
is "$(values 4 MESSAGE)" "portaudit: self-connect: tcp/40000: a TCP socket is connected to itself on 127.0.0.1:40000" \
	"MESSAGE without a service"
is "$(values 1 MESSAGE)" "portaudit: range-parity: both ends of ip_local_port_range are even (28000 29000)" \
	"MESSAGE of a host-wide finding"
is "$(values 2 PORTAUDIT_EVIDENCE)" "tcp ESTABLISHED 127.0.0.1:28350 -> 127.0.0.1:3306, pid 4242 (sysbench, session-1.scope), via netlink
tcp TIME_WAIT 127.0.0.1:28350 -> 127.0.0.2:3306, no owner (TIME_WAIT), via netlink
service defined at /etc/portaudit/inventory.yaml:3:3" "PORTAUDIT_EVIDENCE repeats, one per evidence, in order"
contains "$(values 3 PORTAUDIT_EVIDENCE)" "28026,28028... (1000 ports) (/proc/sys/net/ipv4/ip_local_reserved_ports)" \
	"a long value is cut as in the text report"
is "$(values 2 PORTAUDIT_REMEDIATION)" 'stop the client holding it (pid 4242, sysbench)\nthen reserve the port: portaudit --fix' \
	"a remediation of two lines arrives whole"
is "$(sed -n 's/^2 \.binary=//p' "$e")" PORTAUDIT_REMEDIATION "... in the binary form, the only such field"

is "$(values 11 MESSAGE)" "portaudit: 10 findings: 4 errors, 4 warnings, 2 info" "summary MESSAGE"
is "$(values 11 PORTAUDIT_FINDINGS) $(values 11 PORTAUDIT_ERRORS) $(values 11 PORTAUDIT_WARNINGS) $(values 11 PORTAUDIT_INFOS)" \
	"10 4 4 2" "summary counts"
is "$(nvalues 11 MESSAGE_ID) $(nvalues 11 PORTAUDIT_ID) $(values 11 PRIORITY)" "0 0 5" \
	"the summary is no finding: no MESSAGE_ID, no PORTAUDIT_ID; PRIORITY notice"

# An entry larger than the client's socket buffer goes as a memfd, uncut.
e="$tmp/send-big.entries"
is "$(cat "$tmp/send-big.rc"):$(cat "$tmp/send-big.receiver-rc")" 0:0 "a 20 MiB entry is sent"
is "$(sed -n 's/^1 \.via=//p' "$e")" fd "... passed as a file descriptor"
# 20 MiB of x with one newline escaped as two characters, and sed's newline.
is "$(values 1 PORTAUDIT_REMEDIATION | wc -c)" $((20 * 1024 * 1024 + 2)) "... and arrives whole"
is "$(values 1 PORTAUDIT_ID) $(values 2 PORTAUDIT_FINDINGS)" "port-held 1" "... followed by its summary"

# The binary: one entry per finding plus the summary, whichever way it is asked.
for run in cli-journal cli-stream; do
	e="$tmp/$run.entries"
	is "$(cat "$tmp/$run.rc"):$(cat "$tmp/$run.receiver-rc")" 1:0 "$run: exit 1 (errors found), and the summary reached the journal"
	is "$(grep -c '^[0-9]* PORTAUDIT_ID=' "$e"):$(grep '^[0-9]* PORTAUDIT_FINDINGS=' "$e" | sed 's/.*=//')" 15:15 "$run: 15 finding entries, and a summary that counts 15"
	is "$(sed -n 's/^\([0-9]*\) PORTAUDIT_ID=self-connect$/\1/p' "$e" | while read -r n; do values "$n" MESSAGE_ID; values "$n" PORTAUDIT_PORT; values "$n" PRIORITY; done | tr '\n' ' ')" \
		"$(msgid self-connect) 33000 3 " "$run: the self-connect entry has its MESSAGE_ID, port and priority"
done
is "$(cat "$tmp/cli-none.receiver-rc"):$(wc -c <"$tmp/cli-none.entries")" 1:0 "without --journal or a journal stream, nothing is sent"

# report_journal_stream(): JOURNAL_STREAM is "st_dev:st_ino" of stdout or stderr.
out="$tmp/stream.out"
: >"$out"
devino=$(stat -c '%d:%i' "$out")
dev=${devino%:*} ino=${devino#*:}
JOURNAL_STREAM=$devino "$helper" stream >"$out"
is "$(cat "$out")" yes "stdout is the stream JOURNAL_STREAM names"
JOURNAL_STREAM=$devino "$helper" stream 2>"$out" >"$tmp/stream.other"
is "$(cat "$tmp/stream.other")" yes "stderr is the stream JOURNAL_STREAM names"
JOURNAL_STREAM=$dev:$((ino + 1)) "$helper" stream >"$out"
is "$(cat "$out")" no "another inode is not"
JOURNAL_STREAM=$((dev + 1)):$ino "$helper" stream >"$out"
is "$(cat "$out")" no "another device is not"
bad=
for v in "" "$dev" "$dev:" ":$ino" "$devino:1" "${devino}x" "-$devino" " $devino" "$dev:+$ino"; do
	r=$(JOURNAL_STREAM=$v "$helper" stream)
	[ "$r" = no ] || bad="$bad '$v'"
done
is "$bad" "" "malformed values are no stream"
r=$(env -u JOURNAL_STREAM "$helper" stream >"$out" && cat "$out")
is "$r" no "unset is no stream"

done_testing
