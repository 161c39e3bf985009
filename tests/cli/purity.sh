#!/bin/sh
# Review rules of STYLE.md that a grep can hold: pure modules do no I/O, and only
# root.c opens host paths.
. "$abs_top_srcdir/tests/lib/tap.sh"
src="$abs_top_srcdir/src"

pure="portset.c policy.c fix-plan.c finding.c diag.c"
io_headers='<fcntl.h>|<dirent.h>|<sys/socket.h>|<sys/stat.h>|portaudit/(root|sysctl|sysctld|sockets|owners|units|snapshot|log|report)\.h'

plan 3

bad=
for f in $pure; do
	[ -f "$src/$f" ] || continue
	if grep -nE "#include *($io_headers)" "$src/$f" >/dev/null; then
		bad="$bad $f"
	fi
done
is "$bad" "" "pure modules include no I/O header"

opens=$(grep -nE '\b(open|openat|fopen|opendir|creat)[[:space:]]*\(' "$src"/*.c | grep -v '^[^:]*/root\.c:' || true)
is "$opens" "" "only root.c opens paths"

printers=$(grep -nE '\b(printf|fprintf|puts|fputs|perror)[[:space:]]*\(' "$src"/*.c |
	grep -vE '^[^:]*/(main|log|report-[a-z]+)\.c:' || true)
is "$printers" "" "only main, log and report modules print"

done_testing
