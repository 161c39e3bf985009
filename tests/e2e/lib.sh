# tests/e2e/lib.sh: the seed reproductions of issue 5 and what they need --
# network namespaces of the test's own, processes killed by pid, waiting with a
# time limit, and portaudit run inside the namespace with its JSON checked by jq.
# Source it after tests/lib/tap.sh.  POSIX sh (dash) plus "local".
#
# Every process started here is the leader of a process group of its own
# (setsid) and is recorded in E2E_PIDS; e2e_cleanup (run it from a trap on EXIT)
# kills each one, its group and its descendants, by pid, and removes E2E_TMP
# (unless E2E_KEEP is set: then it says where it is).
#
# The reproductions, repro_* below, return 0 when the failure happened and 1
# when it did not within E2E_TIMEOUT seconds (then their processes are already
# stopped, so a caller can also use them to show that a fix holds).  They set:
#   REPRO_PID       the process that holds the port (a pid of this test or a
#                   descendant of one: a loop's current client)
#   REPRO_PIDS      the process groups the reproduction started (loops, servers)
#   REPRO_INODE     the inode of the socket that holds the port (from ss -e)
#   REPRO_ATTEMPTS  how many connection attempts it took
#   REPRO_MS        how long it took, in milliseconds
#   REPRO_DETAIL    one line on what happened, for the TAP log
# and some of them REPRO_RESTART (what a restarted server said) or REPRO_ECHO.

E2E_PIDS=
E2E_TMP=
E2E_TIMEOUT=${E2E_TIMEOUT:-20}
e2e_bin=$abs_top_builddir/tests/e2e

# e2e_require: skip unless root with unshare, nsenter and ip that can make a netns.
e2e_require() {
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	for t in unshare nsenter ip; do
		command -v "$t" >/dev/null 2>&1 || skip_all "needs $t"
	done
	unshare -n true 2>/dev/null || skip_all "cannot create a network namespace"
}

# e2e_tools TOOL:PACKAGE...: the reproduction cannot run without these; not a skip.
e2e_tools() {
	local t missing=
	for t in "$@"; do
		command -v "${t%%:*}" >/dev/null 2>&1 ||
			missing="$missing ${t%%:*} (Debian package ${t#*:})"
	done
	if [ -n "$missing" ]; then
		echo "Bail out! missing:$missing"
		exit 1
	fi
}

# e2e_setup NAME: a scratch directory under the build tree, and the cleanup trap.
e2e_setup() {
	mkdir -p "$abs_top_builddir/tests/e2e/tmp" || exit 1
	E2E_TMP=$(mktemp -d "$abs_top_builddir/tests/e2e/tmp/$1.XXXXXX") || exit 1
	trap e2e_cleanup EXIT
	# PIPE too: a reader that goes away must not leave the loops running.
	trap 'exit 1' INT TERM HUP PIPE
	e2e_host_range=$(cat /proc/sys/net/ipv4/ip_local_port_range)
}

# e2e_descendants PID: every descendant of PID, children first.
e2e_descendants() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		e2e_descendants "$c"
	done
}

# e2e_kill PID: kill PID, its process group and its descendants (found first:
# script(1) puts its child in a session of its own), then reap PID.
e2e_kill() {
	local d
	[ -n "$1" ] || return 0
	d=$(e2e_descendants "$1")
	kill -s KILL -- "-$1" 2>/dev/null
	kill -s KILL "$1" $d 2>/dev/null
	wait "$1" 2>/dev/null
	E2E_PIDS=$(echo " $E2E_PIDS " | sed "s/ $1 / /g; s/  */ /g")
	REPRO_PIDS=$(echo " $REPRO_PIDS " | sed "s/ $1 / /g; s/  */ /g")
}

e2e_cleanup() {
	local p
	for p in $E2E_PIDS; do
		e2e_kill "$p"
	done
	if [ -n "$E2E_TMP" ] && [ -n "${E2E_KEEP:-}" ]; then
		echo "# kept $E2E_TMP (E2E_KEEP)"
	elif [ -n "$E2E_TMP" ]; then
		rm -rf "$E2E_TMP"
		rmdir "$abs_top_builddir/tests/e2e/tmp" 2>/dev/null
	fi
	return 0
}

# e2e_ms: the time in milliseconds.
e2e_ms() {
	date +%s%3N
}

# e2e_wait SECONDS COMMAND...: run COMMAND every 50 ms until it succeeds; 1 when
# SECONDS have passed.  COMMAND runs in this shell, so it may set variables.
e2e_wait() {
	local end
	end=$(($(e2e_ms) + $1 * 1000))
	shift
	while ! "$@"; do
		[ "$(e2e_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# e2e_spawn NS STDIN OUT COMMAND...: start COMMAND in the network namespace NS
# (a path for nsenter --net), in a session of its own, stdin opened read-write
# from STDIN (a FIFO opened so never reaches end of file), stdout to OUT, stderr
# to OUT.err.  Its pid, which is also its process group, in E2E_LAST.
e2e_spawn() {
	local ns=$1 in=$2 out=$3
	shift 3
	e2e_ns_ok "$ns" || { echo "# not a namespace of this test: '$ns'" >&2; return 1; }
	nsenter --net="$ns" setsid "$@" <>"$in" >"$out" 2>"$out.err" &
	E2E_LAST=$!
	E2E_PIDS="$E2E_PIDS $E2E_LAST"
}

e2e_ns_entered() {
	[ "$(readlink /proc/"$1"/ns/net)" != "$(readlink /proc/self/ns/net)" ]
}

# e2e_netns: a new network namespace, held by a sleeping process, with lo up.
# Sets E2E_NS (its path, for nsenter --net=) and E2E_NS_PID.  Without one the
# test cannot go on (everything would run in the test's own namespace): bail out.
e2e_netns() {
	unshare -n setsid sleep 3600 </dev/null >/dev/null 2>&1 &
	E2E_NS_PID=$!
	E2E_PIDS="$E2E_PIDS $E2E_NS_PID"
	if ! e2e_wait 5 e2e_ns_entered "$E2E_NS_PID"; then
		echo "Bail out! no network namespace"
		exit 1
	fi
	E2E_NS=/proc/$E2E_NS_PID/ns/net
	e2e_in "$E2E_NS" ip link set lo up
}

# e2e_ns_ok NS: NS is a network namespace other than the test's own.
e2e_ns_ok() {
	[ -n "$1" ] && [ "$(readlink "$1" 2>/dev/null)" != "" ] &&
		[ "$(readlink "$1")" != "$(readlink /proc/self/ns/net)" ]
}

# e2e_in NS COMMAND...: run COMMAND in the namespace, in the foreground; never
# in the test's own namespace.
e2e_in() {
	local ns=$1
	shift
	e2e_ns_ok "$ns" || { echo "# not a namespace of this test: '$ns'" >&2; return 1; }
	nsenter --net="$ns" "$@"
}

# e2e_range NS LOW HIGH: narrow net.ipv4.ip_local_port_range inside NS only (a
# /proc/sys/net file belongs to the namespace of whoever opens it); read back.
e2e_range() {
	e2e_in "$1" sh -c 'echo "$1 $2" >/proc/sys/net/ipv4/ip_local_port_range' sh "$2" "$3" &&
		[ "$(e2e_in "$1" cat /proc/sys/net/ipv4/ip_local_port_range)" = "$2	$3" ]
}

# e2e_host_range_kept: the range of the namespace the test runs in is as it was.
e2e_host_range_kept() {
	is "$(cat /proc/sys/net/ipv4/ip_local_port_range)" "$e2e_host_range" \
		"the test's own namespace kept its ip_local_port_range"
}

# e2e_address NS ADDR/PLEN: a non-loopback address inside NS, on a dummy link, or
# on one end of a veth pair (both ends inside NS) where dummy is not built.
e2e_address() {
	e2e_in "$1" sh -c '
		if ! ip link add pa-e2e type dummy 2>/dev/null; then
			ip link add pa-e2e type veth peer name pa-e2e-peer &&
				ip link set pa-e2e-peer up || exit 1
		fi
		ip addr add "$1" dev pa-e2e && ip link set pa-e2e up' sh "$2"
}

# e2e_listening NS PORT: a TCP listener on PORT in NS.
e2e_listening() {
	[ -n "$(e2e_in "$1" ss -tlnH "sport = :$2")" ]
}

# e2e_find_socket NS LOCAL REMOTE: the inode of an ESTABLISHED TCP socket whose
# ends are exactly LOCAL and REMOTE ("ADDR:PORT"), into E2E_INODE (ss -e: the
# kernel's own view, independent of portaudit).  1 when there is none.
e2e_find_socket() {
	E2E_INODE=$(e2e_in "$1" ss -tanHe state established "( sport = :${2##*:} )" |
		awk -v l="$2" -v r="$3" '$3 == l && $4 == r {
			for (i = 5; i <= NF; i++)
				if ($i ~ /^ino:/) { sub(/^ino:/, "", $i); print $i; exit }
		}')
	[ -n "$E2E_INODE" ]
}

# e2e_holder INODE PID: PID or the first of its descendants that has the socket
# INODE open (its /proc/PID/fd), into E2E_HOLDER.  1 when none has.
e2e_holder() {
	local p f
	for p in "$2" $(e2e_descendants "$2"); do
		for f in /proc/"$p"/fd/*; do
			if [ "$(readlink "$f" 2>/dev/null)" = "socket:[$1]" ]; then
				E2E_HOLDER=$p
				return 0
			fi
		done
	done
	return 1
}

# e2e_comm PID: the kernel's name of the process.
e2e_comm() {
	cat /proc/"$1"/comm 2>/dev/null
}

# e2e_count FILE PATTERN: how many lines of FILE match the extended regex PATTERN.
e2e_count() {
	grep -cE "$2" "$1" 2>/dev/null || true
}

e2e_has() {
	grep -qE "$2" "$1" 2>/dev/null
}

# e2e_gone PID: the process has exited (a zombie not yet reaped counts).
e2e_gone() {
	local state
	state=$(sed -n 's/^.*) \(.\).*/\1/p' /proc/"$1"/stat 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

# e2e_said FILE PATTERN PID: FILE has a line matching PATTERN, or PID is gone
# (then waiting longer is pointless).
e2e_said() {
	e2e_has "$1" "$2" || e2e_gone "$3"
}

# repro_begin NS: reset the results; 1 when NS is not a namespace of this test.
repro_begin() {
	REPRO_PID=
	REPRO_PIDS=
	REPRO_INODE=
	REPRO_ATTEMPTS=0
	REPRO_MS=0
	REPRO_DETAIL=
	REPRO_RESTART=
	REPRO_ECHO=
	repro_t0=$(e2e_ms)
	e2e_ns_ok "$1" || { REPRO_DETAIL="not a namespace of this test: '$1'"; return 1; }
}

repro_spawn() {
	e2e_spawn "$@"
	REPRO_PIDS="$REPRO_PIDS $E2E_LAST"
}

# repro_fail TEXT: stop what the reproduction started and say why it did not happen.
repro_fail() {
	local p
	REPRO_MS=$(($(e2e_ms) - repro_t0))
	REPRO_DETAIL="$1 (after $REPRO_ATTEMPTS attempts, $REPRO_MS ms)"
	for p in $REPRO_PIDS; do
		e2e_kill "$p"
	done
	return 1
}

repro_done() {
	REPRO_MS=$(($(e2e_ms) - repro_t0))
	REPRO_DETAIL="$1 after $REPRO_ATTEMPTS attempts in $REPRO_MS ms"
}

e2e_served() {
	[ "$(e2e_count "$1" 'Served request')" -ge "$2" ]
}

# repro_selfconnect_socat NS PORT (seed 000): a socat "web server" loop on PORT
# (terminal 1) and a socat health-check loop against 127.0.0.1:PORT (terminal 2:
# a real pseudo-terminal from script(1), whose input never ends, because socat's
# STDOUT address also reads the terminal).  Once a health check got "hello", the
# server gets Ctrl-C (SIGINT to its process group); the loop goes on until
# one socat is connected to itself; then the server command is run again and
# must fail.  Sets REPRO_RESTART to what it printed, REPRO_SERVED (answers before
# the stop) and REPRO_TIMEWAIT (server sockets in TIME_WAIT on PORT at the stop).
repro_selfconnect_socat() {
	local ns=$1 port=$2 dir server client before
	repro_begin "$ns" || return 1
	dir=$E2E_TMP/socat-$port
	mkdir -p "$dir" && mkfifo "$dir/tty" || return 1
	repro_spawn "$ns" /dev/null "$dir/server.out" sh -c '
		answer="HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		answer="${answer}Content-Length: 6\r\n\r\nhello"
		while printf "$answer" | socat -t 0.1 TCP-L:$1,reuseaddr STDIN; do
			echo "Served request"
		done' sh "$port"
	server=$E2E_LAST
	if ! e2e_wait 5 e2e_listening "$ns" "$port"; then
		repro_fail "the web server never listened"
		return 1
	fi
	repro_spawn "$ns" "$dir/tty" "$dir/client.out" env SHELL=/bin/sh script -qfec "
		n=0
		while true; do
			n=\$((n + 1)); echo \$n >'$dir/attempts'
			socat TCP4:127.0.0.1:$port STDOUT; [ \$? -eq 130 ] && break
		done" /dev/null
	client=$E2E_LAST
	# "Make sure they are working": answers arrive, the server serves again.
	if ! e2e_wait 10 e2e_has "$dir/client.out" hello ||
		! e2e_wait 10 e2e_served "$dir/server.out" 2; then
		repro_fail "the web server and its health check never worked together"
		return 1
	fi
	REPRO_SERVED=$(e2e_count "$dir/server.out" 'Served request')
	# Ctrl-C in terminal 1: the whole foreground job gets SIGINT.
	kill -s INT -- "-$server" 2>/dev/null
	e2e_wait 5 e2e_gone "$server"
	e2e_kill "$server"
	# The server side of an answered health check lingers in TIME_WAIT on the
	# port, and while it lives connect() does not pick the port (its bind
	# bucket was made by bind(), not by connect()).  The loop ends it itself:
	# once a health check reuses that connection's client port, its SYN hits
	# the TIME_WAIT socket, which the kernel drops (no listener: RST).
	REPRO_TIMEWAIT=$(e2e_in "$ns" ss -tanH state time-wait "( sport = :$port )" | wc -l)
	before=$(cat "$dir/attempts")
	repro_t0=$(e2e_ms)
	if ! e2e_wait "$E2E_TIMEOUT" e2e_find_socket "$ns" "127.0.0.1:$port" "127.0.0.1:$port"; then
		REPRO_ATTEMPTS=$(($(cat "$dir/attempts") - before))
		repro_fail "no health check connected to itself ($REPRO_TIMEWAIT server sockets\
 were in TIME_WAIT on the port when the server stopped)"
		return 1
	fi
	REPRO_ATTEMPTS=$(($(cat "$dir/attempts") - before))
	REPRO_INODE=$E2E_INODE
	if ! e2e_holder "$REPRO_INODE" "$client"; then
		repro_fail "no process of the health-check loop holds socket $REPRO_INODE"
		return 1
	fi
	REPRO_PID=$E2E_HOLDER
	repro_done "a health check connected to itself (pid $REPRO_PID)"
	# Terminal 1 again: the web server cannot come back.
	REPRO_RESTART=$(printf 'hello' |
		e2e_in "$ns" timeout 5 socat -t 0.1 "TCP-L:$port,reuseaddr" STDIN 2>&1)
	return 0
}

# repro_tcploop NS PORT (seed 001): tcploop, one socket with SO_REUSEADDR whose
# connect() to 127.0.0.1:PORT is retried until it succeeds.
repro_tcploop() {
	local ns=$1 port=$2 out
	repro_begin "$ns" || return 1
	out=$E2E_TMP/tcploop-$port.out
	repro_spawn "$ns" /dev/null "$out" "$e2e_bin/tcploop" -t "$E2E_TIMEOUT" "$port"
	REPRO_PID=$E2E_LAST
	e2e_wait $((E2E_TIMEOUT + 5)) e2e_said "$out" '^(not )?connected after' "$REPRO_PID"
	REPRO_ATTEMPTS=$(sed -n 's/^.*connected after \([0-9]*\) tries.*/\1/p' "$out")
	if ! e2e_has "$out" '^connected after .*\(itself\)$'; then
		repro_fail "tcploop: $(cat "$out" "$out.err" | tail -n 1)"
		return 1
	fi
	if ! e2e_find_socket "$ns" "127.0.0.1:$port" "127.0.0.1:$port" ||
		! e2e_holder "$E2E_INODE" "$REPRO_PID" || [ "$E2E_HOLDER" != "$REPRO_PID" ]; then
		repro_fail "tcploop says it is connected to itself, the kernel shows no such socket"
		return 1
	fi
	REPRO_INODE=$E2E_INODE
	repro_done "tcploop connected to itself"
}

# repro_selfbind NS ADDR PORT (seed 002): a client binds source port PORT
# explicitly and connects to ADDR:PORT, an address of NS: established at once,
# with itself; it reads back the request it wrote.  Sets REPRO_ECHO.
repro_selfbind() {
	local ns=$1 addr=$2 port=$3 out
	repro_begin "$ns" || return 1
	out=$E2E_TMP/selfbind-$port.out
	repro_spawn "$ns" /dev/null "$out" "$e2e_bin/selfbind" "$port" "$addr" "$port"
	REPRO_PID=$E2E_LAST
	REPRO_ATTEMPTS=1
	e2e_wait "$E2E_TIMEOUT" e2e_said "$out" '^response: ' "$REPRO_PID"
	e2e_has "$out" '^response: ' ||
		{ repro_fail "selfbind: $(cat "$out" "$out.err" | tail -n 1)"; return 1; }
	REPRO_ECHO=$(sed -n 's/^response: //p' "$out")
	if ! e2e_find_socket "$ns" "$addr:$port" "$addr:$port" ||
		! e2e_holder "$E2E_INODE" "$REPRO_PID" || [ "$E2E_HOLDER" != "$REPRO_PID" ]; then
		repro_fail "the kernel shows no socket $addr:$port -> $addr:$port of selfbind"
		return 1
	fi
	REPRO_INODE=$E2E_INODE
	repro_done "the explicitly bound client connected to itself"
}

# repro_portheld_bench NS DBPORT OTHERPORT (seed 003): a "database" (socat) on
# DBPORT and another service on OTHERPORT, both of the same host; benchloop
# (comm "sysbench") keeps making short connections to 127.0.0.1:OTHERPORT.  The
# database goes down (SIGKILL, a crash); the benchmark goes on until one of its
# connections has source port DBPORT and keeps it; then the database is started
# again and must fail.  Sets REPRO_RESTART, REPRO_DB (the database's pid) and
# REPRO_EARLY (the benchmark's connections while the database was up).
repro_portheld_bench() {
	local ns=$1 db=$2 other=$3 dir bench
	repro_begin "$ns" || return 1
	dir=$E2E_TMP/bench-$db
	mkdir -p "$dir" || return 1
	repro_spawn "$ns" /dev/null "$dir/db.out" socat "TCP-LISTEN:$db,reuseaddr,fork" EXEC:cat
	REPRO_DB=$E2E_LAST
	repro_spawn "$ns" /dev/null "$dir/other.out" \
		socat "TCP-LISTEN:$other,reuseaddr,fork" EXEC:cat
	if ! e2e_wait 5 e2e_listening "$ns" "$db" || ! e2e_wait 5 e2e_listening "$ns" "$other"; then
		repro_fail "the database or the other service never listened"
		return 1
	fi
	repro_spawn "$ns" /dev/null "$dir/bench.out" "$e2e_bin/benchloop" -t "$E2E_TIMEOUT" \
		127.0.0.1 "$other" "$db"
	bench=$E2E_LAST
	e2e_wait 5 e2e_said "$dir/bench.out" '^query 3 ' "$bench"
	if ! e2e_has "$dir/bench.out" '^query 3 '; then
		repro_fail "the benchmark made no queries: $(cat "$dir/bench.out.err")"
		return 1
	fi
	REPRO_EARLY=$(e2e_count "$dir/bench.out" '^query ')
	e2e_kill "$REPRO_DB"
	e2e_wait $((E2E_TIMEOUT + 5)) e2e_said "$dir/bench.out" '^(not )?held after' "$bench"
	REPRO_ATTEMPTS=$(sed -n 's/^.*held after \([0-9]*\) connections.*/\1/p' "$dir/bench.out")
	if ! e2e_has "$dir/bench.out" '^held after'; then
		repro_fail "benchloop: $(cat "$dir/bench.out" "$dir/bench.out.err" | tail -n 1)"
		return 1
	fi
	REPRO_PID=$bench
	if ! e2e_find_socket "$ns" "127.0.0.1:$db" "127.0.0.1:$other" ||
		! e2e_holder "$E2E_INODE" "$bench" || [ "$E2E_HOLDER" != "$bench" ]; then
		repro_fail "the kernel shows no socket $db -> $other of the benchmark"
		return 1
	fi
	REPRO_INODE=$E2E_INODE
	repro_done "the benchmark took the database's port"
	REPRO_RESTART=$(e2e_in "$ns" timeout 5 socat "TCP-LISTEN:$db,reuseaddr,fork" EXEC:cat \
		</dev/null 2>&1)
	return 0
}

# repro_selfconnect_nc NS ADDR PORT (seed 003's demonstration): "nc ADDR PORT -p
# PORT" from netcat-openbsd, ADDR an address of NS: connected to itself at once;
# a line written to it comes back.  Sets REPRO_ECHO.
repro_selfconnect_nc() {
	local ns=$1 addr=$2 port=$3 dir
	repro_begin "$ns" || return 1
	dir=$E2E_TMP/nc-$port
	mkdir -p "$dir" && mkfifo "$dir/in" || return 1
	repro_spawn "$ns" "$dir/in" "$dir/out" nc "$addr" "$port" -p "$port"
	REPRO_PID=$E2E_LAST
	REPRO_ATTEMPTS=1
	if ! e2e_wait "$E2E_TIMEOUT" e2e_find_socket "$ns" "$addr:$port" "$addr:$port"; then
		repro_fail "nc did not connect to itself: $(cat "$dir/out.err")"
		return 1
	fi
	REPRO_INODE=$E2E_INODE
	if ! e2e_holder "$REPRO_INODE" "$REPRO_PID"; then
		repro_fail "nc does not hold socket $REPRO_INODE"
		return 1
	fi
	echo "same socket, both ends" >"$dir/in"
	e2e_wait 5 e2e_has "$dir/out" '^same socket, both ends$' &&
		REPRO_ECHO=$(cat "$dir/out")
	repro_done "nc connected to itself"
}

# repro_selfconnect_telnet NS PORT (seed 004): "while true; do telnet 127.0.0.1
# PORT; done" with nothing listening, a new socket per attempt, until one telnet
# is connected to itself; then a line typed into it comes back.  Sets REPRO_ECHO
# to what telnet printed after connecting, REPRO_SENT and REPRO_RECEIVED to the
# socket's bytes_sent and bytes_received (ss -i).
repro_selfconnect_telnet() {
	local ns=$1 port=$2 dir loop
	repro_begin "$ns" || return 1
	dir=$E2E_TMP/telnet-$port
	mkdir -p "$dir" && mkfifo "$dir/in" || return 1
	repro_spawn "$ns" "$dir/in" "$dir/out" sh -c '
		n=0
		while true; do
			n=$((n + 1)); echo $n >"$2"
			telnet 127.0.0.1 "$1"
		done' sh "$port" "$dir/attempts"
	loop=$E2E_LAST
	if ! e2e_wait "$E2E_TIMEOUT" e2e_find_socket "$ns" "127.0.0.1:$port" "127.0.0.1:$port"; then
		REPRO_ATTEMPTS=$(cat "$dir/attempts" 2>/dev/null || echo 0)
		repro_fail "no telnet connected to itself"
		return 1
	fi
	REPRO_ATTEMPTS=$(cat "$dir/attempts")
	REPRO_INODE=$E2E_INODE
	if ! e2e_holder "$REPRO_INODE" "$loop"; then
		repro_fail "no process of the telnet loop holds socket $REPRO_INODE"
		return 1
	fi
	REPRO_PID=$E2E_HOLDER
	echo test1 >"$dir/in"
	if e2e_wait 5 e2e_has "$dir/out" '^test1$'; then
		REPRO_ECHO=$(sed -n '/^Escape character/,$p' "$dir/out" | sed 1d)
	fi
	e2e_in "$ns" ss -tinH state established "( sport = :$port and dport = :$port )" \
		>"$dir/ss-i"
	REPRO_SENT=$(sed -n 's/.* bytes_sent:\([0-9]*\).*/\1/p' "$dir/ss-i")
	REPRO_RECEIVED=$(sed -n 's/.* bytes_received:\([0-9]*\).*/\1/p' "$dir/ss-i")
	repro_done "a telnet connected to itself (pid $REPRO_PID)"
}

# e2e_inventory FILE: write stdin to FILE as portaudit accepts it as root: owned
# by root, writable by no one else.
e2e_inventory() {
	cat >"$1" && chown 0:0 "$1" && chmod 0644 "$1"
}

# e2e_audit NAME NS INVENTORY [ARG...]: portaudit inside NS; output in
# $E2E_TMP/NAME.out (AUDIT_OUT) and NAME.err, exit status in AUDIT_RC.
e2e_audit() {
	local name=$1 ns=$2 inv=$3
	shift 3
	AUDIT_OUT=$E2E_TMP/$name.out
	e2e_in "$ns" "$PORTAUDIT" -c "$inv" "$@" >"$AUDIT_OUT" 2>"$E2E_TMP/$name.err"
	AUDIT_RC=$?
	if [ "$AUDIT_RC" -ne 1 ]; then
		sed 's/^/# stderr: /' "$E2E_TMP/$name.err"
	fi
}

# e2e_jq FILTER [jq options]: FILTER on the last JSON audit, raw; "jq failed" on error.
e2e_jq() {
	local f=$1
	shift
	jq -r "$@" "$f" "$AUDIT_OUT" 2>/dev/null || echo "jq failed"
}

# e2e_error_ids: the ids of the error findings, sorted, unique, space-separated.
e2e_error_ids() {
	e2e_jq '[.findings[] | select(.severity == "error") | .id] | unique | join(" ")'
}

# e2e_check_finding ID SERVICE PORT: exactly one finding ID for SERVICE (a name,
# or "null" for none), an error about PORT/tcp.
e2e_check_finding() {
	local sel svc
	if [ "$2" = null ]; then svc=null; else svc="\"$2\""; fi
	sel='[.findings[] | select(.id == $id and .service == $svc)]'
	is "$(e2e_jq "$sel | length" --arg id "$1" --argjson svc "$svc")" 1 \
		"$1: one finding for service $2"
	is "$(e2e_jq "$sel[0] | \"\(.severity) \(.port) \(.protocol)\"" --arg id "$1" \
		--argjson svc "$svc")" "error $3 tcp" "$1: an error about port $3/tcp"
}

# e2e_check_socket ID SERVICE LOCAL REMOTE PID COMM: the finding's socket
# evidence for LOCAL -> REMOTE says ESTABLISHED, owner PID with COMM.
e2e_check_socket() {
	local svc
	if [ "$2" = null ]; then svc=null; else svc="\"$2\""; fi
	is "$(e2e_jq '[.findings[] | select(.id == $id and .service == $svc) | .evidence[] |
		select(.kind == "socket" and .local == $l and .remote == $r)][0] |
		"\(.state) \(.pid) \(.comm)"' --arg id "$1" --argjson svc "$svc" \
		--arg l "$3" --arg r "$4")" "ESTABLISHED $5 $6" \
		"$1: the socket $3 -> $4 is shown ESTABLISHED, owned by pid $5 ($6)"
}

# e2e_check_range ID SERVICE LOW HIGH: the finding cites the namespace's range.
e2e_check_range() {
	is "$(e2e_jq '[.findings[] | select(.id == $id and .service == $svc) | .evidence[] |
		select(.kind == "kernel" and .key == "net.ipv4.ip_local_port_range") | .value][0]' \
		--arg id "$1" --arg svc "$2")" "$3 $4" \
		"$1: cites the namespace's ip_local_port_range '$3 $4'"
}

# e2e_has_word TEXT WORD DESCRIPTION: WORD appears in TEXT as a whole word.
e2e_has_word() {
	printf '%s\n' "$1" | grep -qw -- "$2"
	ok $? "$3"
}

# e2e_audit_self_connect NS INVENTORY SERVICE ADDR PORT PID COMM LOW HIGH WHO: audit
# NS, where pid PID (COMM, described as WHO) holds a socket connected to itself on
# ADDR:PORT, a port of SERVICE inside LOW-HIGH; assert what every self-connect seed
# shows, as JSON and as text (E2E_SELF_CONNECT_CHECKS assertions).
E2E_SELF_CONNECT_CHECKS=15
e2e_audit_self_connect() {
	local ns=$1 inv=$2 svc=$3 addr=$4 port=$5 pid=$6 comm=$7 lo=$8 hi=$9 who=${10}

	e2e_audit json "$ns" "$inv" --format json
	is "$AUDIT_RC" 1 "portaudit --format json exits 1: errors found"
	is "$(e2e_error_ids)" "ephemeral-overlap port-held self-connect" \
		"the error findings: ephemeral-overlap, port-held, self-connect"
	e2e_check_finding self-connect "$svc" "$port"
	e2e_check_socket self-connect "$svc" "$addr:$port" "$addr:$port" "$pid" "$comm"
	e2e_check_finding port-held "$svc" "$port"
	e2e_check_socket port-held "$svc" "$addr:$port" "$addr:$port" "$pid" "$comm"
	e2e_check_finding ephemeral-overlap "$svc" "$port"
	e2e_check_range ephemeral-overlap "$svc" "$lo" "$hi"
	is "$(e2e_jq '.summary.exit')" 1 "summary.exit is 1"

	e2e_audit text "$ns" "$inv"
	is "$AUDIT_RC" 1 "portaudit (text) exits 1"
	e2e_has_word "$(cat "$AUDIT_OUT")" "$port" "the text report names port $port"
	e2e_has_word "$(cat "$AUDIT_OUT")" "$pid" "the text report names $who's pid $pid"
}
