#!/bin/sh
# Seed 001 ("TCP Loop Connect"): tcploop, a client with ONE socket (SO_REUSEADDR)
# whose connect() to 127.0.0.1:33333 is retried until it succeeds.  No server
# runs, so it ends connected to itself.  Reproduced for real in a network
# namespace of this test (tests/e2e/tcploop.c behaves as the document
# describes), then audited by portaudit there.
#
# The range is narrowed inside the namespace to 33001-33666.  33333 is at an even
# offset (332) from the low end, the parity connect() tries first (REFERENCE
# §2.2); at an odd offset, with every even candidate free, connect() would never
# pick it.  The document's 32768-61000 predates that scheme.  A few hundred
# tries of the 333 candidates take milliseconds.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools jq:jq ss:iproute2
e2e_setup seed-001

port=33333
lo=33001
hi=33666

plan $((6 + E2E_SELF_CONNECT_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

repro_tcploop "$E2E_NS" $port
ok $? "reproduced: $REPRO_DETAIL"
pid=$REPRO_PID
is "$(e2e_comm "$pid")" tcploop \
	"the socket 127.0.0.1:$port -> 127.0.0.1:$port is tcploop's (pid $pid)"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  loopserver:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

e2e_audit_self_connect "$E2E_NS" "$inv" loopserver 127.0.0.1 $port "$pid" tcploop $lo $hi "tcploop"

e2e_host_range_kept
done_testing
