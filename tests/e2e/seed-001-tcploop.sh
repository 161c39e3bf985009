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

plan 20

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

e2e_audit json "$E2E_NS" "$inv" --format json
is "$AUDIT_RC" 1 "portaudit --format json exits 1: errors found"
is "$(e2e_error_ids)" "ephemeral-overlap port-held self-connect" \
	"the error findings: ephemeral-overlap, port-held, self-connect"
e2e_check_finding self-connect loopserver $port
e2e_check_socket self-connect loopserver 127.0.0.1:$port 127.0.0.1:$port "$pid" tcploop
e2e_check_finding port-held loopserver $port
e2e_check_socket port-held loopserver 127.0.0.1:$port 127.0.0.1:$port "$pid" tcploop
e2e_check_finding ephemeral-overlap loopserver $port
e2e_check_range ephemeral-overlap loopserver $lo $hi

e2e_audit text "$E2E_NS" "$inv"
is "$AUDIT_RC" 1 "portaudit (text) exits 1"
e2e_has_word "$(cat "$AUDIT_OUT")" $port "the text report names port $port"
e2e_has_word "$(cat "$AUDIT_OUT")" "$pid" "the text report names tcploop's pid $pid"

e2e_host_range_kept
done_testing
