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
#   REPRO_TCP0      the namespace's TCP counters when the counted attempts began
#                   (e2e_tcp_counters), so that the kernel's own count can be
#                   compared with the loop's once it has stopped
# and some of them REPRO_RESTART (what a restarted server said) or REPRO_ECHO.
#
# With E2E_BUDGET set to a number, the loops that take the port by chance
# (repro_selfconnect_socat, repro_tcploop, repro_portheld_bench,
# repro_selfconnect_telnet) also stop, and return 1, once they have made that
# many connection attempts without the failure (REPRO_ATTEMPTS then counts the
# attempts that ended); E2E_TIMEOUT stays their time limit.  A fix test sets
# it (e2e_budgeted) to show that the same loop can no longer take the port; it
# is never taken from the environment, so the seed tests always run unbounded.

E2E_PIDS=
E2E_TMP=
E2E_TIMEOUT=${E2E_TIMEOUT:-20}
E2E_BUDGET=
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

# e2e_tcp_counters NS: "ACTIVEOPENS ATTEMPTFAILS", the kernel's counts of TCP
# connection attempts in NS (SYNs sent by connect()) and of those that failed
# (refused: a RST in SYN-SENT), from NS's /proc/net/snmp.
e2e_tcp_counters() {
	e2e_in "$1" awk '$1 == "Tcp:" {
		if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1; next }
		print $col["ActiveOpens"], $col["AttemptFails"]
	}' /proc/net/snmp
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
	REPRO_TCP0=
	repro_seen=
	repro_t0=$(e2e_ms)
	e2e_ns_ok "$1" || { REPRO_DETAIL="not a namespace of this test: '$1'"; return 1; }
	REPRO_TCP0=$(e2e_tcp_counters "$1")
}

# repro_ended FILE BEFORE: into REPRO_ENDED, how many attempts a shell loop that
# writes its attempt number to FILE before each one has ended since it wrote
# BEFORE (the one under way, if any, is not counted).  FILE caught in the middle
# of being rewritten gives the count seen last.
repro_ended() {
	local n
	n=$(cat "$1" 2>/dev/null)
	case $n in
	'' | *[!0-9]*) n=${repro_seen:-$(($2 + 1))} ;;
	esac
	repro_seen=$n
	REPRO_ENDED=$((n > $2 ? n - $2 - 1 : 0))
}

# repro_spent N: E2E_BUDGET is set and N attempts have used it up.
repro_spent() {
	[ -n "$E2E_BUDGET" ] && [ "$1" -ge "$E2E_BUDGET" ]
}

# repro_dir NAME: a new scratch directory for a reproduction, $E2E_TMP/NAME (or
# NAME.2, ... when a test runs it again), into REPRO_DIR.  Never reuse an output
# file: a process started in the background truncates it only once it runs, and
# a wait on what the file says could see the last run's words.
repro_dir() {
	local n=1
	REPRO_DIR=$E2E_TMP/$1
	while [ -e "$REPRO_DIR" ]; do
		n=$((n + 1))
		REPRO_DIR=$E2E_TMP/$1.$n
	done
	mkdir -p "$REPRO_DIR"
}

repro_spawn() {
	e2e_spawn "$@"
	REPRO_PIDS="$REPRO_PIDS $E2E_LAST"
}

# repro_stop: stop what the reproduction started.
repro_stop() {
	local p
	for p in $REPRO_PIDS; do
		e2e_kill "$p"
	done
}

# repro_fail TEXT: stop what the reproduction started and say why it did not happen.
repro_fail() {
	REPRO_MS=$(($(e2e_ms) - repro_t0))
	REPRO_DETAIL="$1 (after $REPRO_ATTEMPTS attempts, $REPRO_MS ms)"
	repro_stop
	return 1
}

repro_done() {
	REPRO_MS=$(($(e2e_ms) - repro_t0))
	REPRO_DETAIL="$1 after $REPRO_ATTEMPTS attempts in $REPRO_MS ms"
}

e2e_served() {
	[ "$(e2e_count "$1" 'Served request')" -ge "$2" ]
}

# repro_number FILE: FILE holds a number (not caught while being rewritten): REPRO_N.
repro_number() {
	REPRO_N=$(cat "$1" 2>/dev/null)
	case $REPRO_N in
	'' | *[!0-9]*) return 1 ;;
	esac
}

# e2e_webserver NS PORT OUT: seed 000's "web server" in NS, a loop of socat
# listeners on PORT (SO_REUSEADDR), each answering one request with "hello";
# "Served request" to OUT after each.  Its pid (and process group) in E2E_LAST.
e2e_webserver() {
	e2e_spawn "$1" /dev/null "$3" sh -c '
		answer="HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
		answer="${answer}Content-Length: 6\r\n\r\nhello"
		while printf "$answer" | socat -t 0.1 TCP-L:$1,reuseaddr STDIN; do
			echo "Served request"
		done' sh "$2"
}

# repro_socat_settled NS PORT FILE BEFORE: a health check is connected to itself;
# or E2E_BUDGET is set and that many health checks have ended since the server's
# TIME_WAIT sockets on PORT were seen gone (REPRO_CLEAR_AT: how many had ended
# by then).  While one of those lives, connect() does not pick PORT, reserved
# or not, so only the attempts after it count.
repro_socat_settled() {
	e2e_find_socket "$1" "127.0.0.1:$2" "127.0.0.1:$2" && return 0
	[ -n "$E2E_BUDGET" ] || return 1
	repro_ended "$3" "$4"
	if [ -z "$REPRO_CLEAR_AT" ] &&
		[ -z "$(e2e_in "$1" ss -tanH state time-wait "( sport = :$2 )")" ]; then
		REPRO_CLEAR_AT=$REPRO_ENDED
	fi
	[ -n "$REPRO_CLEAR_AT" ] && repro_spent $((REPRO_ENDED - REPRO_CLEAR_AT))
}

# repro_selfconnect_socat NS PORT (seed 000): a socat "web server" loop on PORT
# (terminal 1) and a socat health-check loop against 127.0.0.1:PORT (terminal 2:
# a real pseudo-terminal from script(1), whose input never ends, because socat's
# STDOUT address also reads the terminal).  Once a health check got "hello", the
# server gets Ctrl-C (SIGINT to its process group); the loop goes on until
# one socat is connected to itself; then the server command is run again and
# must fail.  Sets REPRO_RESTART to what it printed, REPRO_SERVED (answers before
# the stop) and REPRO_TIMEWAIT (server sockets in TIME_WAIT on PORT at the stop).
# With E2E_BUDGET, REPRO_CLEAR_AT (see repro_socat_settled) too: the budget
# counts the health checks after it.
repro_selfconnect_socat() {
	local ns=$1 port=$2 dir server client before
	repro_begin "$ns" || return 1
	repro_dir socat-$port || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	dir=$REPRO_DIR
	mkfifo "$dir/tty" || { REPRO_DETAIL="cannot make a FIFO in $dir"; return 1; }
	e2e_webserver "$ns" "$port" "$dir/server.out"
	REPRO_PIDS="$REPRO_PIDS $E2E_LAST"
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
	# The counters first, then the loop's count: an attempt counted after
	# "before" then always started after the counters were read, however
	# slowly this shell runs (the loop counts an attempt before it connects).
	REPRO_TCP0=$(e2e_tcp_counters "$ns")
	e2e_wait 2 repro_number "$dir/attempts"
	before=$REPRO_N
	REPRO_CLEAR_AT=
	repro_t0=$(e2e_ms)
	e2e_wait "$E2E_TIMEOUT" repro_socat_settled "$ns" "$port" "$dir/attempts" "$before"
	if ! e2e_find_socket "$ns" "127.0.0.1:$port" "127.0.0.1:$port"; then
		repro_stop
		repro_ended "$dir/attempts" "$before"
		REPRO_ATTEMPTS=$REPRO_ENDED
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

# repro_held NS LOCAL REMOTE PID: the kernel shows a TCP socket LOCAL -> REMOTE
# in NS and PID holds it; sets E2E_INODE.
repro_held() {
	e2e_find_socket "$1" "$2" "$3" && e2e_holder "$E2E_INODE" "$4" &&
		[ "$E2E_HOLDER" = "$4" ]
}

# repro_tcploop NS PORT (seed 001): tcploop, one socket with SO_REUSEADDR whose
# connect() to 127.0.0.1:PORT is retried until it succeeds.  tcploop counts its
# tries but only stops on a time limit, so with E2E_BUDGET it runs for 1 s at a
# time, a fresh tcploop each round, until the tries add up to the budget.
repro_tcploop() {
	local ns=$1 port=$2 dir out limit=$E2E_TIMEOUT round=1 end tries
	repro_begin "$ns" || return 1
	repro_dir tcploop-$port || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	dir=$REPRO_DIR
	[ -z "$E2E_BUDGET" ] || limit=1
	end=$(($(e2e_ms) + E2E_TIMEOUT * 1000))
	while :; do
		out=$dir/tcploop-$round.out
		repro_spawn "$ns" /dev/null "$out" "$e2e_bin/tcploop" -t "$limit" "$port"
		REPRO_PID=$E2E_LAST
		e2e_wait $((limit + 5)) e2e_said "$out" '^(not )?connected after' "$REPRO_PID"
		tries=$(sed -n 's/^.*connected after \([0-9]*\) tries.*/\1/p' "$out")
		REPRO_ATTEMPTS=$((REPRO_ATTEMPTS + ${tries:-0}))
		e2e_has "$out" '^connected after .*\(itself\)$' && break
		if [ -z "$tries" ] || [ -z "$E2E_BUDGET" ] || repro_spent "$REPRO_ATTEMPTS" ||
			[ "$(e2e_ms)" -ge "$end" ]; then
			repro_fail "tcploop: $(cat "$out" "$out.err" | tail -n 1)"
			return 1
		fi
		e2e_kill "$REPRO_PID"
		round=$((round + 1))
	done
	if ! repro_held "$ns" "127.0.0.1:$port" "127.0.0.1:$port" "$REPRO_PID"; then
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
	repro_dir selfbind-$port || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	out=$REPRO_DIR/out
	repro_spawn "$ns" /dev/null "$out" "$e2e_bin/selfbind" "$port" "$addr" "$port"
	REPRO_PID=$E2E_LAST
	REPRO_ATTEMPTS=1
	e2e_wait "$E2E_TIMEOUT" e2e_said "$out" '^response: ' "$REPRO_PID"
	e2e_has "$out" '^response: ' ||
		{ repro_fail "selfbind: $(cat "$out" "$out.err" | tail -n 1)"; return 1; }
	REPRO_ECHO=$(sed -n 's/^response: //p' "$out")
	if ! repro_held "$ns" "$addr:$port" "$addr:$port" "$REPRO_PID"; then
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
# again and must fail.  Sets REPRO_RESTART, REPRO_DB (the database's pid),
# REPRO_EARLY (the benchmark's connections while the database was up) and
# REPRO_LOG (benchloop's output: a line "query N from local port P" for every
# connection it made).  With E2E_BUDGET, REPRO_ATTEMPTS counts the connections
# made after the crash (not the one under way then).
repro_portheld_bench() {
	local ns=$1 db=$2 other=$3 dir bench
	repro_begin "$ns" || return 1
	repro_dir bench-$db || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	dir=$REPRO_DIR
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
	REPRO_LOG=$dir/bench.out
	e2e_kill "$REPRO_DB"
	REPRO_TCP0=$(e2e_tcp_counters "$ns")
	repro_crash=$(($(e2e_count "$dir/bench.out" '^query ') + 1))
	e2e_wait $((E2E_TIMEOUT + 5)) repro_bench_settled "$dir/bench.out" "$bench"
	REPRO_ATTEMPTS=$(sed -n 's/^.*held after \([0-9]*\) connections.*/\1/p' "$dir/bench.out")
	if ! e2e_has "$dir/bench.out" '^held after'; then
		repro_stop
		if [ -n "$E2E_BUDGET" ]; then
			repro_bench_after "$dir/bench.out"
			repro_fail "no connection of the benchmark had source port $db"
		else
			repro_fail "benchloop: $(cat "$dir/bench.out" "$dir/bench.out.err" |
				tail -n 1)"
		fi
		return 1
	fi
	REPRO_PID=$bench
	if ! repro_held "$ns" "127.0.0.1:$db" "127.0.0.1:$other" "$bench"; then
		repro_fail "the kernel shows no socket $db -> $other of the benchmark"
		return 1
	fi
	REPRO_INODE=$E2E_INODE
	repro_done "the benchmark took the database's port"
	REPRO_RESTART=$(e2e_in "$ns" timeout 5 socat "TCP-LISTEN:$db,reuseaddr,fork" EXEC:cat \
		</dev/null 2>&1)
	return 0
}

# repro_bench_after FILE: into REPRO_ATTEMPTS, the connections benchloop made
# after the database crashed.
repro_bench_after() {
	REPRO_ATTEMPTS=$(($(e2e_count "$1" '^query ') - repro_crash))
	[ "$REPRO_ATTEMPTS" -ge 0 ] || REPRO_ATTEMPTS=0
}

# repro_bench_settled FILE PID: benchloop PID has said whether it holds the port,
# or has exited, or has used up E2E_BUDGET since the database crashed.
repro_bench_settled() {
	e2e_said "$1" '^(not )?held after' "$2" && return 0
	[ -n "$E2E_BUDGET" ] || return 1
	repro_bench_after "$1"
	repro_spent "$REPRO_ATTEMPTS"
}

# repro_selfconnect_nc NS ADDR PORT (seed 003's demonstration): "nc ADDR PORT -p
# PORT" from netcat-openbsd, ADDR an address of NS: connected to itself at once;
# a line written to it comes back.  Sets REPRO_ECHO.
repro_selfconnect_nc() {
	local ns=$1 addr=$2 port=$3 dir
	repro_begin "$ns" || return 1
	repro_dir nc-$port || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	dir=$REPRO_DIR
	mkfifo "$dir/in" || { REPRO_DETAIL="cannot make a FIFO in $dir"; return 1; }
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

# repro_telnet_settled NS PORT FILE: a telnet is connected to itself on PORT, or
# E2E_BUDGET attempts of the loop that counts them in FILE have ended.
repro_telnet_settled() {
	e2e_find_socket "$1" "127.0.0.1:$2" "127.0.0.1:$2" && return 0
	[ -n "$E2E_BUDGET" ] || return 1
	repro_ended "$3" 0
	repro_spent "$REPRO_ENDED"
}

# repro_selfconnect_telnet NS PORT (seed 004): "while true; do telnet 127.0.0.1
# PORT; done" with nothing listening, a new socket per attempt, until one telnet
# is connected to itself; then a line typed into it comes back.  Sets REPRO_ECHO
# to what telnet printed after connecting, REPRO_SENT and REPRO_RECEIVED to the
# socket's bytes_sent and bytes_received (ss -i).
repro_selfconnect_telnet() {
	local ns=$1 port=$2 dir loop
	repro_begin "$ns" || return 1
	repro_dir telnet-$port || { REPRO_DETAIL="cannot make a scratch directory"; return 1; }
	dir=$REPRO_DIR
	mkfifo "$dir/in" || { REPRO_DETAIL="cannot make a FIFO in $dir"; return 1; }
	repro_spawn "$ns" "$dir/in" "$dir/out" sh -c '
		n=0
		while true; do
			n=$((n + 1)); echo $n >"$2"
			telnet 127.0.0.1 "$1"
		done' sh "$port" "$dir/attempts"
	loop=$E2E_LAST
	e2e_wait "$E2E_TIMEOUT" repro_telnet_settled "$ns" "$port" "$dir/attempts"
	if ! e2e_find_socket "$ns" "127.0.0.1:$port" "127.0.0.1:$port"; then
		repro_stop
		repro_ended "$dir/attempts" 0
		REPRO_ATTEMPTS=$REPRO_ENDED
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

# ---- after portaudit --fix: the fix-*.sh tests ---------------------------------------
#
# Each reproduces its seed in a namespace of its own, releases the port, runs
# portaudit --fix there (e2e_fixns: its own mount namespace, so that the fragment
# and the lock go to tmpfs, never to the host's /etc or /run), runs the same loop
# again with an attempt budget (e2e_budgeted), starts the service and audits.

# The connection attempts a loop must make after --fix without taking the port.
E2E_FIX_BUDGET=${E2E_FIX_BUDGET:-2000}
[ "$E2E_FIX_BUDGET" -ge 2000 ] 2>/dev/null || E2E_FIX_BUDGET=2000
# ... and the time they may take at most (the budget ends them well before).
E2E_FIX_TIMEOUT=${E2E_FIX_TIMEOUT:-60}
E2E_FRAGMENT=/etc/sysctl.d/99-zz-portaudit.conf
E2E_LOCK=/run/portaudit.lock

# e2e_budgeted COMMAND...: COMMAND (a repro_* function) with E2E_BUDGET set to
# E2E_FIX_BUDGET and E2E_TIMEOUT to E2E_FIX_TIMEOUT; its status.  E2E_BUDGET_MS:
# how long it took.
e2e_budgeted() {
	local timeout=$E2E_TIMEOUT t0 rc
	E2E_BUDGET=$E2E_FIX_BUDGET
	E2E_TIMEOUT=$E2E_FIX_TIMEOUT
	t0=$(e2e_ms)
	"$@"
	rc=$?
	E2E_BUDGET_MS=$(($(e2e_ms) - t0))
	E2E_BUDGET=
	E2E_TIMEOUT=$timeout
	return $rc
}

# e2e_tcp_since NS "OPENS FAILS": E2E_OPENS and E2E_FAILS, how many TCP connection
# attempts the kernel counted in NS since e2e_tcp_counters said "OPENS FAILS", and
# how many of them failed.
e2e_tcp_since() {
	local now
	now=$(e2e_tcp_counters "$1")
	E2E_OPENS=$((${now% *} - ${2% *}))
	E2E_FAILS=$((${now#* } - ${2#* }))
}

# e2e_sockets NS FILTER: the TCP sockets of NS that match the ss FILTER, in any
# state, one per line (ss -tanH).
e2e_sockets() {
	e2e_in "$1" ss -tanH "$2"
}

# e2e_release NS PORT: end a reproduction that holds PORT in NS.  Its processes
# are stopped first (a loop must not start another attempt), then every TCP
# socket of NS with local port PORT that is not a listener is destroyed (ss -K,
# SOCK_DESTROY: an aborted connection leaves nothing behind, where killing its
# owner would leave it in TIME_WAIT for 60 s), then the processes are killed.
# 0 when no socket with local port PORT is left.
e2e_release() {
	local p
	for p in $REPRO_PIDS; do
		kill -s STOP -- "-$p" 2>/dev/null
		kill -s STOP "$p" $(e2e_descendants "$p") 2>/dev/null
	done
	e2e_in "$1" ss -K -tn state connected "( sport = :$2 )" >/dev/null 2>&1
	repro_stop
	[ -z "$(e2e_sockets "$1" "( sport = :$2 )")" ]
}

# e2e_state FILE...: a line per FILE that changes when it is created, removed or
# written.
e2e_state() {
	local f
	for f in "$@"; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			echo "$f $(stat -c '%i %s %Y' "$f") $(cksum <"$f" 2>/dev/null)"
		else
			echo "$f absent"
		fi
	done
}

e2e_fixns_ready() {
	[ "$(e2e_comm "$1")" = sleep ] &&
		[ "$(readlink /proc/"$1"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
}

# e2e_fixns NS: a mount namespace of the test's own for running portaudit --fix in
# NS: tmpfs over /etc/sysctl.d and /run (where --fix writes its fragment and takes
# its lock), held by a sleeping process that is in NS too.  Sets E2E_MNT (its
# path, for nsenter --mount=) and remembers what e2e_host_kept checks.  Without
# the mounts --fix must not run: bail out.
e2e_fixns() {
	local p
	e2e_ns_ok "$1" || { echo "Bail out! not a namespace of this test: '$1'"; exit 1; }
	e2e_host_reserved=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
	e2e_host_files=$(e2e_state "$E2E_FRAGMENT" "$E2E_LOCK")
	nsenter --net="$1" unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755 portaudit-e2e /etc/sysctl.d &&
			mount -t tmpfs -o mode=0755 portaudit-e2e /run &&
			exec setsid sleep 3600' </dev/null >/dev/null 2>"$E2E_TMP/fixns.err" &
	p=$!
	E2E_PIDS="$E2E_PIDS $p"
	if ! e2e_wait 5 e2e_fixns_ready "$p"; then
		echo "Bail out! no private mount namespace: $(cat "$E2E_TMP/fixns.err")"
		exit 1
	fi
	E2E_MNT=/proc/$p/ns/mnt
	E2E_FIX_NS=$1
	if [ "$(e2e_fix_in stat -f -c %T /etc/sysctl.d /run | tr '\n' ' ')" != \
		"tmpfs tmpfs " ]; then
		echo "Bail out! /etc/sysctl.d and /run are not tmpfs in the mount namespace"
		exit 1
	fi
}

# e2e_fix_in COMMAND...: run COMMAND in the namespace and mount namespace of e2e_fixns.
e2e_fix_in() {
	if ! e2e_ns_ok "$E2E_FIX_NS" || [ -z "$E2E_MNT" ]; then
		echo "# no namespace for --fix (e2e_fixns)" >&2
		return 1
	fi
	nsenter --net="$E2E_FIX_NS" --mount="$E2E_MNT" "$@"
}

# e2e_audit_fixns NAME INVENTORY [ARG...]: e2e_audit in the namespaces of
# e2e_fixns, where the fragment --fix wrote is in /etc/sysctl.d.
e2e_audit_fixns() {
	local name=$1 inv=$2
	shift 2
	AUDIT_OUT=$E2E_TMP/$name.out
	e2e_fix_in "$PORTAUDIT" -c "$inv" "$@" >"$AUDIT_OUT" 2>"$E2E_TMP/$name.err"
	AUDIT_RC=$?
	if [ "$AUDIT_RC" -gt 1 ]; then
		sed 's/^/# stderr: /' "$E2E_TMP/$name.err"
	fi
}

# e2e_list_has LIST PORT: PORT is in LIST, in the kernel's list syntax (a,b-c).
e2e_list_has() {
	printf '%s\n' "$1" | tr ',' '\n' | awk -F- -v p="$2" '
		NF == 1 && $1 + 0 == p + 0 { f = 1 }
		NF == 2 && $1 + 0 <= p + 0 && p + 0 <= $2 + 0 { f = 1 }
		END { exit !f }'
}

# e2e_check_fix INVENTORY PORT: run portaudit --fix -f json in the namespaces of
# e2e_fixns and check that it reserved PORT, in the fragment and live
# (E2E_FIX_CHECKS assertions).
E2E_FIX_CHECKS=7
e2e_check_fix() {
	local inv=$1 port=$2
	e2e_audit_fixns fix "$inv" --fix --format json
	is "$AUDIT_RC/$(e2e_jq '.fix.failed')" "$(e2e_jq '.summary.exit')/false" \
		"portaudit --fix -f json: the fix did not fail, exit $AUDIT_RC is summary.exit"
	is "$(e2e_jq '"\(.fix.applied) \(.fix.live.changed)"')" "true true" \
		"fix.applied: it wrote the namespace's live value and read it back"
	e2e_list_has "$(e2e_jq '.fix.desired')" "$port"
	ok $? "fix.desired '$(e2e_jq '.fix.desired')' holds $port"
	e2e_list_has "$(e2e_jq '.fix.live.after')" "$port"
	ok $? "fix.live.after '$(e2e_jq '.fix.live.after')' holds $port"
	E2E_RESERVED=$(e2e_in "$E2E_FIX_NS" cat /proc/sys/net/ipv4/ip_local_reserved_ports)
	e2e_list_has "$E2E_RESERVED" "$port"
	ok $? "the namespace's ip_local_reserved_ports '$E2E_RESERVED' holds $port"
	is "$(e2e_jq '"\(.fix.written) \(.fix.fragment)"')" "true $E2E_FRAGMENT" \
		"fix.written: the fragment $E2E_FRAGMENT"
	e2e_list_has "$(e2e_fix_in sed -n 's/^net\.ipv4\.ip_local_reserved_ports = //p' \
		"$E2E_FRAGMENT")" "$port"
	ok $? "the fragment (in the test's tmpfs over /etc/sysctl.d) reserves $port at every boot"
}

# e2e_echo NS ADDR PORT TEXT: what a client connected to ADDR:PORT in NS got back
# after sending the line TEXT.
e2e_echo() {
	printf '%s\n' "$4" | e2e_in "$1" timeout 5 socat -t 2 - "TCP4:$2:$3" 2>&1
}

# e2e_check_clean SERVICE PORT: the last JSON audit (the service listening on
# PORT) is clean: exit 0, no error, and none of the findings the seed produced
# for SERVICE, nor not-persistent (E2E_CLEAN_CHECKS assertions).
E2E_CLEAN_CHECKS=4
e2e_check_clean() {
	is "$AUDIT_RC" 0 "portaudit --format json exits 0"
	is "$(e2e_error_ids)" "" "no error finding at all"
	is "$(e2e_jq '[.findings[] | select(.service == $svc or .port == ($port | tonumber)) |
		select(.id | IN("ephemeral-overlap", "self-connect", "port-held", "not-persistent",
		"not-listening")) | .id] | join(" ")' --arg svc "$1" --arg port "$2")" "" \
		"no ephemeral-overlap, self-connect, port-held, not-persistent or not-listening\
 for $1 ($2)"
	e2e_list_has "$(e2e_jq '.host.kernel.ip_local_reserved_ports')" "$2"
	ok $? "the audit reads $2 as reserved in the namespace"
}

# e2e_host_kept: the test's own namespace and the host are as they were: the
# port range and reserved ports, no fragment or lock written to the host's
# /etc/sysctl.d or /run (3 assertions).
e2e_host_kept() {
	e2e_host_range_kept
	is "$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)" "$e2e_host_reserved" \
		"the test's own namespace kept its ip_local_reserved_ports"
	is "$(e2e_state "$E2E_FRAGMENT" "$E2E_LOCK")" "$e2e_host_files" \
		"the host's $E2E_FRAGMENT and $E2E_LOCK are as they were"
}

# e2e_check_never_connected PORT: two TAP lines after a budgeted loop that must
# not have connected: the namespace's kernel counted at least the loop's
# attempts since REPRO_TCP0 and refused every one, and no socket, in any state,
# has PORT as its local port (a self-connect, even closed, stays 60 s in
# TIME_WAIT).
e2e_check_never_connected() {
	e2e_tcp_since "$E2E_NS" "$REPRO_TCP0"
	[ "$E2E_OPENS" -ge "$REPRO_ATTEMPTS" ] && [ "$E2E_FAILS" -ge "$E2E_OPENS" ]
	ok $? "the kernel counted $E2E_OPENS connection attempts in the namespace, $E2E_FAILS refused: none connected"
	is "$(e2e_sockets "$E2E_NS" "( sport = :$1 )")" "" \
		"no socket has local port $1 (a self-connect, even closed, stays 60 s in TIME_WAIT)"
}
