#!/bin/sh
# Seed 001 after portaudit --fix: tcploop (one socket, connect() retried) can no
# longer connect to itself on 33333.  In a network namespace of this test, with
# the range narrowed as seed-001-tcploop.sh does (33001-33666, 33333 at an even
# offset: connect()'s first choice of parity), the loop first connects to itself
# as it does there; then portaudit --fix reserves 33333 (fragment and lock on
# tmpfs in a mount namespace of the test), the same loop makes at least
# E2E_FIX_BUDGET (2000) connection attempts without taking the port, a server
# binds 33333 and answers, and the audit has nothing left to say about it.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools jq:jq ss:iproute2 socat:socat
e2e_setup fix-001

port=33333
lo=33001
hi=33666

plan $((14 + E2E_FIX_CHECKS + E2E_CLEAN_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

# 1. Without the fix the loop takes the port, so what follows can fail.
repro_tcploop "$E2E_NS" $port
ok $? "without the fix: $REPRO_DETAIL"
unfixed=$REPRO_ATTEMPTS
e2e_release "$E2E_NS" $port
ok $? "tcploop stopped, its socket destroyed (ss -K): no socket has local port $port"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  loopserver:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

# 2. The fix, in the namespace.
e2e_fixns "$E2E_NS"
e2e_check_fix "$inv" $port

# 3. The same loop, with an attempt budget instead of the port.
e2e_budgeted repro_tcploop "$E2E_NS" $port
is $? 1 "after --fix: $REPRO_DETAIL"
[ "$REPRO_ATTEMPTS" -ge "$E2E_FIX_BUDGET" ]
ok $? "tcploop made $REPRO_ATTEMPTS connection attempts in $E2E_BUDGET_MS ms (budget\
 $E2E_FIX_BUDGET; without the fix it connected to itself after $unfixed)"
e2e_check_never_connected $port

# 4. The service the port belongs to can start.
e2e_spawn "$E2E_NS" /dev/null "$E2E_TMP/server.out" socat "TCP-LISTEN:$port,fork" EXEC:cat
server=$E2E_LAST
e2e_wait 5 e2e_listening "$E2E_NS" $port
ok $? "a server binds $port (without SO_REUSEADDR) and listens"
is "$(e2e_echo "$E2E_NS" 127.0.0.1 $port hello)" hello \
	"it accepts a connection: a client's line comes back"

# 5. The audit.
e2e_audit_fixns post "$inv" --format json
e2e_check_clean loopserver $port
e2e_kill "$server"

e2e_host_kept
done_testing
