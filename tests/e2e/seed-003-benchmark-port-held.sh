#!/bin/sh
# Seed 003: MySQL listens on 28350 and sysbench runs on the same host; once
# MySQL goes down it cannot come back, because a sysbench connection took 28350
# as its source port.  Reproduced for real in a network namespace of this test:
# a "database" (socat) on 28350, another service of the host on 33060 that the
# benchmark (tests/e2e/benchloop.c, comm "sysbench") keeps connecting to; the
# database crashes, the benchmark's next connections walk the range until one
# has source port 28350, and the database's bind() fails with EADDRINUSE.
# Also the document's "nc ADDR 18082 -p 18082", connected to itself at once on
# the host's own address (192.168.0.79, on a dummy or veth link inside).
#
# The range is narrowed inside the namespace to 28300-28401: 28350 is at an
# even offset (50) from the low end, the parity connect() tries first
# (REFERENCE §2.2).  While the database listens, connect() skips its port.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/e2e/lib.sh"

e2e_require
e2e_tools socat:socat nc:netcat-openbsd jq:jq ss:iproute2
e2e_setup seed-003

db=28350
other=33060
addr=192.168.0.79
ncport=18082
lo=28300
hi=28401

plan 28

e2e_netns
ok $? "a network namespace of the test's own, lo up"
e2e_range "$E2E_NS" $lo $hi
ok $? "ip_local_port_range narrowed to $lo-$hi inside it"
e2e_address "$E2E_NS" $addr/24
ok $? "address $addr on a link inside it"

repro_portheld_bench "$E2E_NS" $db $other
ok $? "reproduced: $REPRO_DETAIL"
echo "# the benchmark made $REPRO_EARLY connections while the database was up"
bench=$REPRO_PID
is "$(e2e_comm "$bench")" sysbench \
	"127.0.0.1:$db -> 127.0.0.1:$other is the benchmark's (pid $bench, comm sysbench)"
contains "$REPRO_RESTART" "Address already in use" \
	"restarting the database fails: address already in use"

repro_selfconnect_nc "$E2E_NS" $addr $ncport
ok $? "reproduced: $REPRO_DETAIL"
nc=$REPRO_PID
is "$REPRO_ECHO" "same socket, both ends" "what nc sent came back to it"
ncomm=$(e2e_comm "$nc")

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

e2e_audit json "$E2E_NS" "$inv" --format json
is "$AUDIT_RC" 1 "portaudit --format json exits 1: errors found"
is "$(e2e_error_ids)" "ephemeral-overlap port-held self-connect" \
	"the error findings: ephemeral-overlap, port-held, self-connect"
e2e_check_finding port-held mysql $db
e2e_check_socket port-held mysql 127.0.0.1:$db 127.0.0.1:$other "$bench" sysbench
is "$(e2e_jq '[.findings[] | select(.service == "mysqlx" and .severity == "error")] | length')" 0 \
	"no error about mysqlx, whose port lies outside the range"
e2e_check_finding ephemeral-overlap mysql $db
e2e_check_range ephemeral-overlap mysql $lo $hi
# A self-connect on a port no service has: its service is null.
e2e_check_finding self-connect null $ncport
e2e_check_socket self-connect null $addr:$ncport $addr:$ncport "$nc" "$ncomm"
is "$(e2e_jq '[.findings[] | select(.id == "port-held") | .port] | join(",")')" "$db" \
	"port-held only for the inventory's port"
is "$(e2e_jq '.summary.exit')" 1 "summary.exit is 1"

e2e_audit text "$E2E_NS" "$inv"
is "$AUDIT_RC" 1 "portaudit (text) exits 1"
e2e_has_word "$(cat "$AUDIT_OUT")" $db "the text report names port $db"
e2e_has_word "$(cat "$AUDIT_OUT")" "$bench" "the text report names the benchmark's pid $bench"
e2e_has_word "$(cat "$AUDIT_OUT")" sysbench "the text report names the benchmark's comm"

e2e_host_range_kept
done_testing
