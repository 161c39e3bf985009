#!/bin/sh
# Seed 002 after portaudit --fix: the opposite of the other fix tests, said
# honestly.  A client that binds its source port explicitly and connects to
# that same port on an address of the host connects to itself whether or not
# the port is reserved: net.ipv4.ip_local_reserved_ports only keeps the kernel
# from picking a port, and an explicit bind() is not a pick (REFERENCE §1.4).
# Seed 003's "nc ADDR 18082 -p 18082" is the same case (netcat-openbsd's -p is
# an explicit bind), so it is here too, on a port of the range.
#
# In a network namespace of this test, range 55500-55601 as in
# seed-002-explicit-bind.sh, address 10.22.5.3: both clients connect to
# themselves without the fix; portaudit --fix reserves both ports (fragment and
# lock on tmpfs in a mount namespace of the test); both still connect to
# themselves; the audit no longer reports ephemeral-overlap, still reports
# self-connect, and its remediation says that a reservation cannot prevent it.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools nc:netcat-openbsd jq:jq ss:iproute2
e2e_setup fix-002

addr=10.22.5.3
port=55555
ncport=55557
lo=55500
hi=55601
says="the port is reserved, so the client chose it itself (bind before connect):\
 a reservation cannot prevent that"

plan $((24 + E2E_FIX_CHECKS))

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"
e2e_address "$E2E_NS" $addr/24
ok $? "address $addr on a link inside it"

# 1. Without the fix.
repro_selfbind "$E2E_NS" $addr $port
ok $? "without the fix: $REPRO_DETAIL"
e2e_release "$E2E_NS" $port
ok $? "the client stopped, its socket destroyed (ss -K): no socket has local port $port"
repro_selfconnect_nc "$E2E_NS" $addr $ncport
ok $? "without the fix: $REPRO_DETAIL (nc $addr $ncport -p $ncport)"
e2e_release "$E2E_NS" $ncport
ok $? "nc stopped, its socket destroyed (ss -K): no socket has local port $ncport"

inv=$E2E_TMP/inventory.yaml
e2e_inventory "$inv" <<EOI
version: 1
services:
  hostname-service:
    ports: [$port]
  nc-service:
    ports: [$ncport]
EOI
ok $? "inventory written (root, 0644)"

# 2. The fix reserves both ports.
e2e_fixns "$E2E_NS"
e2e_check_fix "$inv" $port
e2e_list_has "$E2E_RESERVED" $ncport
ok $? "the namespace's ip_local_reserved_ports '$E2E_RESERVED' holds $ncport too"

# 3. The same explicit binds: still connected to themselves.
repro_selfbind "$E2E_NS" $addr $port
ok $? "after --fix, the explicit bind of reserved $port still: $REPRO_DETAIL"
pid=$REPRO_PID
is "$REPRO_ECHO" "request,hostname" "the client still reads back its own request"
repro_selfconnect_nc "$E2E_NS" $addr $ncport
ok $? "after --fix, nc -p $ncport (reserved) still: $REPRO_DETAIL"
ncpid=$REPRO_PID
is "$REPRO_ECHO" "same socket, both ends" "what nc sent still comes back to it"
e2e_list_has "$(e2e_in "$E2E_NS" cat /proc/sys/net/ipv4/ip_local_reserved_ports)" $port &&
	e2e_list_has "$(e2e_in "$E2E_NS" cat /proc/sys/net/ipv4/ip_local_reserved_ports)" $ncport
ok $? "while both ports are reserved in the namespace"

# 4. The audit: no overlap any more, the self-connects still, and why.
e2e_audit_fixns post "$inv" --format json
is "$AUDIT_RC" 1 "portaudit --format json exits 1: errors remain"
is "$(e2e_error_ids)" "port-held self-connect" \
	"the error findings: port-held and self-connect, no ephemeral-overlap"
e2e_check_socket self-connect hostname-service "$addr:$port" "$addr:$port" "$pid" selfbind
contains "$(e2e_jq '.findings[] | select(.id == "self-connect" and
	.service == "hostname-service") | .remediation')" "$says" \
	"self-connect for hostname-service: the remediation says a reservation cannot prevent it"
e2e_check_socket self-connect nc-service "$addr:$ncport" "$addr:$ncport" "$ncpid" \
	"$(e2e_comm "$ncpid")"
contains "$(e2e_jq '.findings[] | select(.id == "self-connect" and
	.service == "nc-service") | .remediation')" "$says" \
	"self-connect for nc-service: the same remediation"
e2e_audit_fixns text "$inv"
contains "$(cat "$AUDIT_OUT")" "$says" "the text report says it too"

e2e_host_kept
done_testing
