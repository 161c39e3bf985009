#!/bin/sh
# Seed 002 ("TCP Self Connection Problem"): on host 10.22.5.3, a client binds
# its source port 55555 explicitly and connects to 10.22.5.3:55555.  The
# connection is established at once, with itself, and the request it writes
# comes back as the response.  Reproduced for real in a network namespace of
# this test, the address on a dummy (or veth) link inside it, then audited.
#
# 55555 lies inside the range narrowed here (55500-55601), so portaudit also
# reports the overlap.  Reserving the port would not have stopped this client:
# net.ipv4.ip_local_reserved_ports only keeps the kernel from PICKING a port;
# an explicit bind() of a reserved port succeeds (REFERENCE §1.4).
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools jq:jq ss:iproute2
e2e_setup seed-002

addr=10.22.5.3
port=55555
lo=55500
hi=55601

plan $((8 + E2E_SELF_CONNECT_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"
e2e_address "$E2E_NS" $addr/24
ok $? "address $addr on a link inside it"

repro_selfbind "$E2E_NS" $addr $port
ok $? "reproduced: $REPRO_DETAIL"
pid=$REPRO_PID
is "$REPRO_ECHO" "request,hostname" "the client read back its own request"
is "$(e2e_comm "$pid")" selfbind "the socket $addr:$port -> $addr:$port is the client's (pid $pid)"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  hostname-service:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

e2e_audit_self_connect "$E2E_NS" "$inv" hostname-service $addr $port "$pid" selfbind $lo $hi "the client"

e2e_host_range_kept
done_testing
