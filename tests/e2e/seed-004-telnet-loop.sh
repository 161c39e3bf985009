#!/bin/sh
# Seed 004 ("TCP client self connect..."): "while true; do telnet 127.0.0.1
# 50000; done" with no server at all; after many "Connection refused", one
# telnet is connected and echoes whatever is typed: it is connected to itself.
# Reproduced for real with telnet (Debian's telnet works with its input on a
# pipe) in a network namespace of this test, then audited by portaudit there.
#
# The range is narrowed inside the namespace to 49950-50049: 50000 is at an even
# offset (50) from the low end, the parity connect() tries first (REFERENCE
# §2.2), one of 50 candidates the kernel walks in small random steps: some tens
# of telnets, a second or so.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools telnet:telnet jq:jq ss:iproute2
e2e_setup seed-004

port=50000
lo=49950
hi=50049

plan $((8 + E2E_SELF_CONNECT_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"

repro_selfconnect_telnet "$E2E_NS" $port
ok $? "reproduced: $REPRO_DETAIL"
pid=$REPRO_PID
is "$(e2e_comm "$pid")" telnet "the socket 127.0.0.1:$port -> 127.0.0.1:$port is the loop's telnet"
is "$REPRO_ECHO" test1 "what was typed into telnet came back to it"
[ "${REPRO_SENT:-0}" -gt 0 ] && [ "$REPRO_RECEIVED" = "$REPRO_SENT" ]
ok $? "the kernel counts what the socket sent as received by it\
 ($REPRO_SENT/$REPRO_RECEIVED bytes, ss -i)"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  port50000:
    ports: [$port]
EOI
ok $? "inventory written (root, 0644)"

e2e_audit_self_connect "$E2E_NS" "$inv" port50000 127.0.0.1 $port "$pid" telnet $lo $hi "telnet"

e2e_host_range_kept
done_testing
