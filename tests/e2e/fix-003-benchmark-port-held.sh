#!/bin/sh
# Seed 003 after portaudit --fix: the benchmark can no longer take the
# database's port 28350 while the database is down, and the database comes
# back.  In a network namespace of this test, with the range narrowed as
# seed-003-benchmark-port-held.sh does (28300-28401: 28350 at an even offset,
# connect()'s first choice), the benchmark first takes 28350 as it does there
# and the database cannot restart; then portaudit --fix reserves 28350
# (fragment and lock on tmpfs in a mount namespace of the test), the same
# crash-and-benchmark scenario runs again for at least E2E_FIX_BUDGET (2000)
# connections after the crash without ever using 28350 as a source port, the
# database restarts and answers, and the audit has nothing left to say about it.
#
# The benchmark closes each connection first, so each waits in TIME_WAIT; on
# loopback the kernel lets connect() reuse one after tcp_tw_reuse_delay (1 s by
# default), which would hold 101 ports to about 100 connections a second.  The
# test lowers that delay inside its namespace, where the kernel has it, so the
# 2000 connections take seconds; every source port choice still goes through
# the same search of the range and its reserved ports.
#
# The seed's other demonstration, "nc ADDR 18082 -p 18082", binds its source
# port explicitly: no reservation applies to it (REFERENCE §1.4), see
# fix-002-explicit-bind.sh.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools socat:socat jq:jq ss:iproute2
e2e_setup fix-003

db=28350
other=33060
lo=28300
hi=28401

plan $((19 + E2E_FIX_CHECKS + E2E_CLEAN_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

# 1. Without the fix the benchmark takes the port, so what follows can fail.
repro_portheld_bench "$E2E_NS" $db $other
ok $? "without the fix: $REPRO_DETAIL"
unfixed=$REPRO_ATTEMPTS
contains "$REPRO_RESTART" "Address already in use" \
	"without the fix: restarting the database fails: address already in use"
e2e_release "$E2E_NS" $db
ok $? "the benchmark stopped, its connection destroyed (ss -K): no socket has local port $db"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  mysql:
    ports: [$db]
  mysqlx:
    ports: [$other]
EOI
ok $? "inventory written (root, 0644)"

# 2. The fix, in the namespace.
e2e_fixns "$E2E_NS"
e2e_check_fix "$inv" $db

# 3. The same scenario: the database and the other service up, the benchmark
# running, the database crashes; with a connection budget instead of the port.
delay=/proc/sys/net/ipv4/tcp_tw_reuse_delay
if e2e_in "$E2E_NS" sh -c '[ -e "$1" ] && echo 1 >"$1"' sh $delay; then
	is "$(e2e_in "$E2E_NS" cat $delay)" 1 \
		"tcp_tw_reuse_delay lowered to 1 ms inside the namespace"
else
	ok 0 "tcp_tw_reuse_delay lowered inside the namespace # SKIP the kernel has none:\
 about 100 connections/s"
fi
e2e_budgeted repro_portheld_bench "$E2E_NS" $db $other
is $? 1 "after --fix: $REPRO_DETAIL"
[ "$REPRO_ATTEMPTS" -ge "$E2E_FIX_BUDGET" ]
ok $? "the benchmark made $REPRO_ATTEMPTS connections after the crash in $E2E_BUDGET_MS ms\
 (budget $E2E_FIX_BUDGET; without the fix it took $db at connection $unfixed)"
is "$(e2e_count "$REPRO_LOG" "^query [0-9]* from local port $db\$")" 0 \
	"none of its $(e2e_count "$REPRO_LOG" '^query ') connections had source port $db (its own\
 log, from getsockname); it used $(sed -n 's/^query .* port //p' "$REPRO_LOG" | sort -u |
	wc -l) other source ports"
e2e_tcp_since "$E2E_NS" "$REPRO_TCP0"
[ "$E2E_OPENS" -ge "$REPRO_ATTEMPTS" ]
ok $? "the kernel counted $E2E_OPENS connection attempts in the namespace after the crash"
is "$(e2e_sockets "$E2E_NS" "( sport = :$db )")" "" \
	"no socket has local port $db (a closed connection from it would stay 60 s in TIME_WAIT)"
tw=$(e2e_sockets "$E2E_NS" "( dport = :$other )" | grep -c '^TIME-WAIT')
[ "$tw" -gt 0 ]
ok $? "where the benchmark's closed connections are: $tw in TIME_WAIT, to $other"

# 4. The database restarts and answers; so does the other service, stopped
# with the benchmark (else its port, in TIME_WAIT, would be port-held).
e2e_spawn "$E2E_NS" /dev/null "$E2E_TMP/db.out" socat "TCP-LISTEN:$db,reuseaddr,fork" EXEC:cat
dbpid=$E2E_LAST
e2e_wait 5 e2e_listening "$E2E_NS" $db
ok $? "the database binds $db again and listens"
is "$(e2e_echo "$E2E_NS" 127.0.0.1 $db 'SELECT 1;')" "SELECT 1;" \
	"it accepts a connection and answers a query"
e2e_spawn "$E2E_NS" /dev/null "$E2E_TMP/other.out" \
	socat "TCP-LISTEN:$other,reuseaddr,fork" EXEC:cat
otherpid=$E2E_LAST
e2e_wait 5 e2e_listening "$E2E_NS" $other
ok $? "the other service listens on $other again"

# 5. The audit.
e2e_audit_fixns post "$inv" --format json
e2e_check_clean mysql $db
e2e_kill "$dbpid"
e2e_kill "$otherpid"

e2e_host_kept
done_testing
