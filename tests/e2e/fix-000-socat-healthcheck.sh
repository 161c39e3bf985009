#!/bin/sh
# Seed 000 after portaudit --fix: the socat health-check loop can no longer
# connect to itself on 33000 while the web server is down, and the server comes
# back.  In a network namespace of this test, with the range narrowed as
# seed-000-socat-healthcheck.sh does (32980-33019: 33000 is one of the 20 ports
# at an even offset, connect()'s first choice), the health check first connects
# to itself as it does there and the server cannot restart; then portaudit --fix
# reserves 33000 (fragment and lock on tmpfs in a mount namespace of the test),
# the same server-and-loop scenario runs again, at least E2E_FIX_BUDGET (2000)
# health checks after the server stopped without taking the port, the server
# starts and answers, and the audit has nothing left to say about it.
#
# While a server socket of an answered health check is in TIME_WAIT on 33000,
# connect() does not pick 33000 anyway (seed-000 explains why), so the budget
# only counts the health checks made once those were seen gone.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools socat:socat script:bsdutils jq:jq ss:iproute2
e2e_setup fix-000

port=33000
lo=32980
hi=33019

plan $((18 + E2E_FIX_CHECKS + E2E_CLEAN_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

# 1. Without the fix a health check takes the port, so what follows can fail.
repro_selfconnect_socat "$E2E_NS" $port
ok $? "without the fix: $REPRO_DETAIL"
unfixed=$REPRO_ATTEMPTS
contains "$REPRO_RESTART" "Address already in use" \
	"without the fix: restarting the web server fails: address already in use"
e2e_release "$E2E_NS" $port
ok $? "the loop stopped, its socket destroyed (ss -K): no socket has local port $port"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  webserver:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

# 2. The fix, in the namespace.
e2e_fixns "$E2E_NS"
e2e_check_fix "$inv" $port

# 3. The same scenario: the server serves the health checks, is stopped, and the
# loop goes on with an attempt budget instead of the port.
e2e_budgeted repro_selfconnect_socat "$E2E_NS" $port
is $? 1 "after --fix: $REPRO_DETAIL"
ok $([ "$REPRO_SERVED" -ge 2 ]; echo $?) \
	"the web server answered $REPRO_SERVED health checks before it was stopped"
[ -n "$REPRO_CLEAR_AT" ]
ok $? "its $REPRO_TIMEWAIT sockets in TIME_WAIT on $port were gone after\
 ${REPRO_CLEAR_AT:-?} health checks"
[ $((REPRO_ATTEMPTS - ${REPRO_CLEAR_AT:-$REPRO_ATTEMPTS})) -ge "$E2E_FIX_BUDGET" ]
ok $? "the loop ran $REPRO_ATTEMPTS health checks in $E2E_BUDGET_MS ms,\
 $((REPRO_ATTEMPTS - ${REPRO_CLEAR_AT:-$REPRO_ATTEMPTS})) after that (budget $E2E_FIX_BUDGET;\
 without the fix one connected to itself after $unfixed)"
e2e_check_never_connected $port

# 4. Terminal 1 again: the web server comes back and answers.
e2e_webserver "$E2E_NS" $port "$E2E_TMP/server.out"
server=$E2E_LAST
e2e_wait 5 e2e_listening "$E2E_NS" $port
ok $? "the web server binds $port again and listens"
contains "$(e2e_in "$E2E_NS" timeout 5 socat TCP4:127.0.0.1:$port STDOUT </dev/null 2>&1)" \
	hello "a health check gets its answer"
e2e_wait 5 e2e_served "$E2E_TMP/server.out" 1 && e2e_wait 5 e2e_listening "$E2E_NS" $port
ok $? "the server served it and listens again"

# 5. The audit.
e2e_audit_fixns post "$inv" --format json
e2e_check_clean webserver $port
e2e_kill "$server"

e2e_host_kept
done_testing
