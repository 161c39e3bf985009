#!/bin/sh
# Seed 004 after portaudit --fix: "while true; do telnet 127.0.0.1 50000; done"
# can no longer connect to itself.  In a network namespace of this test, with
# the range narrowed as seed-004-telnet-loop.sh does (49950-50049: 50000 is one
# of the 50 ports at an even offset, connect()'s first choice), the loop first
# connects to itself as it does there; then portaudit --fix reserves 50000
# (fragment and lock on tmpfs in a mount namespace of the test), the same loop
# runs at least E2E_FIX_BUDGET (2000) telnets without taking the port, a
# server binds 50000 and answers, and the audit has nothing left to say about it.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools telnet:telnet jq:jq ss:iproute2 socat:socat
e2e_setup fix-004

port=50000
lo=49950
hi=50049

plan $((14 + E2E_FIX_CHECKS + E2E_CLEAN_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

# 1. Without the fix the loop takes the port, so what follows can fail.
repro_selfconnect_telnet "$E2E_NS" $port
ok $? "without the fix: $REPRO_DETAIL"
unfixed=$REPRO_ATTEMPTS
e2e_release "$E2E_NS" $port
ok $? "the loop stopped, its telnet's socket destroyed (ss -K): no socket has local port $port"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  port50000:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

# 2. The fix, in the namespace.
e2e_fixns "$E2E_NS"
e2e_check_fix "$inv" $port

# 3. The same loop, with an attempt budget instead of the port.
e2e_budgeted repro_selfconnect_telnet "$E2E_NS" $port
is $? 1 "after --fix: $REPRO_DETAIL"
[ "$REPRO_ATTEMPTS" -ge "$E2E_FIX_BUDGET" ]
ok $? "the loop ran $REPRO_ATTEMPTS telnets in $E2E_BUDGET_MS ms (budget $E2E_FIX_BUDGET;\
 without the fix one connected to itself after $unfixed)"
e2e_check_never_connected $port

# 4. A server on the port (the seed has none) can start.
e2e_spawn "$E2E_NS" /dev/null "$E2E_TMP/server.out" socat "TCP-LISTEN:$port,fork" EXEC:cat
server=$E2E_LAST
e2e_wait 5 e2e_listening "$E2E_NS" $port
ok $? "a server binds $port (without SO_REUSEADDR) and listens"
is "$(e2e_echo "$E2E_NS" 127.0.0.1 $port test1)" test1 \
	"it accepts a connection: a client's line comes back"

# 5. The audit.
e2e_audit_fixns post "$inv" --format json
e2e_check_clean port50000 $port
e2e_kill "$server"

e2e_host_kept
done_testing
