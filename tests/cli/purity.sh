#!/bin/sh
# Review rules of STYLE.md that a grep can hold: pure modules do no I/O, only
# root.c opens host paths, and only main and the reporters print.
. "$abs_top_srcdir/tests/lib/tap.sh"
src="$abs_top_srcdir/src"

pure="portset.c policy.c fix-plan.c finding.c diag.c"
# A pure module may read the snapshot's and the inventory's types, so it may include
# their headers; what it must not do is reach the system: no system I/O header, and no
# call of a function that reads or writes the host (the readers' entry points, root.c's
# functions, stdio on files).
io_headers='<fcntl.h>|<dirent.h>|<sys/socket.h>|<sys/stat.h>|<libmnl/|<systemd/|portaudit/(root|log)\.h'
io_calls='\b(root_[a-z_]+|sysctl_read|sysctl_write[a-z_]*|sysctld_load|sockets_read[a-z_]*|sockets_(netlink|proc)_read|owners_find|units_read[a-z_]*|snapshot_gather|snapshot_resolve_owners|inventory_sources_load|services_load|f?open[a-z0-9]*|read|write|pread|pwrite|socket|fopen|fdopen|open_memstream|syscall)[[:space:]]*\('

plan 3

bad=
for f in $pure; do
	[ -f "$src/$f" ] || continue
	if grep -nE "#include *($io_headers)" "$src/$f" >/dev/null ||
	   grep -nE "$io_calls" "$src/$f" >/dev/null; then
		bad="$bad $f"
	fi
done
is "$bad" "" "pure modules include no I/O header and call nothing that reads or writes the host"

opens=$(grep -nE '\b(open|openat|fopen|opendir|creat)[[:space:]]*\(' "$src"/*.c | grep -v '^[^:]*/root\.c:' || true)
is "$opens" "" "only root.c opens paths"

printers=$(grep -nE '\b(printf|fprintf|puts|fputs|perror)[[:space:]]*\(' "$src"/*.c |
	grep -vE '^[^:]*/(main|log|report-[a-z]+)\.c:' || true)
is "$printers" "" "only main, log and report modules print"

done_testing
