#!/bin/sh
# Seed 000 ("TCP Simultaneous Open & connect to itself"): a socat web server on
# 33000 and a socat health-check loop on the same host.  The server is stopped
# (Ctrl-C); the loop goes on until one health check is connected to itself;
# the server then cannot bind again ("Address already in use").  Reproduced for
# real in a network namespace of this test, then audited by portaudit there.
#
# The range is narrowed inside the namespace to 32980-33019 so that this takes
# seconds: connect() tries the ports at an even offset from the low end first
# (REFERENCE §2.2), 33000 is one of those 20 (offset 20), and the kernel walks
# them in small random steps, so some tens of health checks reach it.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools socat:socat script:bsdutils jq:jq ss:iproute2
e2e_setup seed-000

port=33000
lo=32980
hi=33019

plan $((7 + E2E_SELF_CONNECT_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

repro_selfconnect_socat "$E2E_NS" $port
ok $? "reproduced: $REPRO_DETAIL"
echo "# the server answered $REPRO_SERVED health checks before it was stopped;" \
	"$REPRO_TIMEWAIT of its sockets on $port were in TIME_WAIT then"
pid=$REPRO_PID
is "$(e2e_comm "$pid")" socat \
	"the socket 127.0.0.1:$port -> 127.0.0.1:$port is held by the loop's socat"
contains "$REPRO_RESTART" "Address already in use" \
	"restarting the web server fails: address already in use"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOF
version: 1
services:
  webserver:
    ports: [$port]
EOF
ok $? "inventory written (root, 0644)"

e2e_audit_self_connect "$E2E_NS" "$inv" webserver 127.0.0.1 $port "$pid" socat $lo $hi "the health check"

e2e_host_range_kept
done_testing
