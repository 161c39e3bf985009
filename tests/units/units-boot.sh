#!/bin/sh
# units_read() against a real systemd: boot /lib/systemd/systemd as PID 1 of new
# pid, mount, net, uts, ipc and cgroup namespaces with only the units of
# tests/units/boot/ (REFERENCE §6.3), then read its socket units with unitdump
# over the system bus and over /run/systemd/private, and compare with what
# systemctl and busctl say.  Then stop dbus: the private socket must still work
# and the bus fail cleanly.  ownerdump resolves a socket held by PID 1 and by a
# socket-activated service.  Needs root, unshare, nsenter and a cgroup2 hierarchy;
# the host's systemd, /etc and sysctls are never touched.  KEEP_TMP=DIR keeps a copy
# of the scratch files (unitdump outputs, expectations, logs) for debugging.
. "$abs_top_srcdir/tests/lib/tap.sh"
srcdir=$abs_top_srcdir/tests/units
unitdump=$abs_top_builddir/tests/units/unitdump
ownerdump=$abs_top_builddir/tests/owners/ownerdump

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
for t in unshare nsenter timeout ss busctl systemctl; do
	command -v "$t" >/dev/null 2>&1 || skip_all "no $t"
done
[ -x /lib/systemd/systemd ] || skip_all "no /lib/systemd/systemd"
[ -x /usr/bin/dbus-daemon ] || skip_all "no /usr/bin/dbus-daemon"
# The test systemd gets a cgroup of its own in the unified hierarchy, and sees
# only that (cgroup namespace); removed again at the end.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup/unified
else
	skip_all "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"
fi
err=$(unshare --pid --fork --mount --uts --ipc --net --cgroup true 2>&1) ||
	skip_all "cannot create pid/mount/uts/ipc/net/cgroup namespaces: $err"

tmp=$(mktemp -d /tmp/portaudit-units.XXXXXX) || exit 1
cg=$cgroot/portaudit-units-test.$$
upid=
sdpid=
hostname_before=$(uname -n)
cleanup() {
	# PID 1 of the namespace dies, and with it every process in it.
	[ -n "$sdpid" ] && kill -9 "$sdpid" 2>/dev/null
	[ -n "$upid" ] && { kill -9 "$upid" 2>/dev/null; wait "$upid" 2>/dev/null; }
	# The cgroups systemd made, deepest first, once their processes are gone.
	for i in $(seq 50); do
		[ -d "$cg" ] || break
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$cg" ] && sleep 0.1
	done
	[ -n "$KEEP_TMP" ] && cp -r "$tmp" "$KEEP_TMP"; rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Every command inside, with a bound on how long it may take.
in_ns() {
	timeout 10 nsenter -t "$sdpid" -a "$@"
}

: >"$tmp/console"
mkdir "$cg" || exit 1
sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
	unshare --kill-child --pid --fork --mount --mount-proc --uts --ipc --net --cgroup \
	sh "$srcdir/boot.sh" "$srcdir/boot" "$tmp/console" >"$tmp/boot.log" 2>&1 &
upid=$!

plan 25

# 1. Boot, with a bound: systemd is PID 1 of the namespace, the child of unshare.
state=
for i in $(seq 150); do
	[ -z "$sdpid" ] && sdpid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | tr -d " ")
	if [ -n "$sdpid" ]; then
		state=$(in_ns systemctl is-system-running 2>/dev/null)
		case $state in running | degraded) break ;; esac
	fi
	kill -0 "$upid" 2>/dev/null || break
	sleep 0.1
done
case $state in
running | degraded) ok 0 "systemd booted in its namespaces ($state)" ;;
*)
	ok 1 "systemd booted in its namespaces (state '$state')"
	sed 's/^/# /' "$tmp/boot.log" "$tmp/console"
	echo "# sdpid=$sdpid: $(in_ns systemctl is-system-running 2>&1)"
	echo "Bail out! no systemd to test against"
	exit 1
	;;
esac

# What systemd's own tools say, in unitdump's format: every socket unit loaded or on
# disk, except templates and units that failed to load; per Listen entry the type
# and address.  systemctl talks to PID 1 directly, with or without a bus.
expected() {
	for u in $({
		in_ns systemctl list-units --all --plain --no-legend --type=socket | awk '{ print $1 }'
		in_ns systemctl list-unit-files --no-legend --type=socket | awk '{ print $1 }'
	} | LC_ALL=C sort -u); do
		case $u in *@.socket) continue ;; esac
		in_ns systemctl show -p Id,LoadState,ActiveState,UnitFileState,FragmentPath,BindIPv6Only,Listen "$u" |
			awk -v u="$u" -F= '
				$1 == "Listen" { sub(/^Listen=/, ""); n = split($0, w, " ");
					t = w[n]; gsub(/[()]/, "", t); a = $0; sub(/ \([A-Za-z]*\)$/, "", a);
					listen[++nl] = "listen " u " " t " " a; next }
				$1 != "" { v[$1] = substr($0, length($1) + 2) }
				END {
					if (v["LoadState"] == "error" || v["LoadState"] == "bad-setting")
						exit
					printf "unit %s load=%s active=%s file=%s ipv6only=%s fragment=%s\n", u,
						v["LoadState"], v["ActiveState"],
						v["UnitFileState"] == "" ? "-" : v["UnitFileState"],
						v["BindIPv6Only"], v["FragmentPath"]
					for (i = 1; i <= nl; i++) print listen[i]
				}'
	done
}

# unitdump's unit and listen lines, listen lines cut to type and address.
dumped() {
	awk '$1 == "unit" { print } $1 == "listen" { print $1, $2, $3, $4 }' "$1"
}

# 2. notloaded.socket is on disk only, until something asks for it.
in_ns systemctl list-units --all --plain --no-legend --type=socket >"$tmp/loaded-before"
grep -q '^notloaded\.socket ' "$tmp/loaded-before"
is $? 1 "notloaded.socket is not loaded before unitdump runs"

# 3-12. Over the system bus.
in_ns "$unitdump" auto >"$tmp/auto" 2>&1
ok $? "unitdump auto succeeds"
is "$(head -n1 "$tmp/auto")" "transport bus" "with dbus up, auto picks the system bus"
in_ns "$unitdump" bus >"$tmp/bus" 2>&1
ok $? "unitdump bus succeeds"
expected >"$tmp/expected"
is "$(dumped "$tmp/bus")" "$(cat "$tmp/expected")" \
	"over the bus: every socket unit, its states, file, BindIPv6Only, fragment and Listen, as systemctl says"
in_ns "$unitdump" private >"$tmp/private" 2>&1
ok $? "unitdump private succeeds"
is "$(sed 1d "$tmp/private")" "$(sed 1d "$tmp/bus")" "the private socket gives the same units as the bus"
contains "$(cat "$tmp/bus")" "unit notloaded.socket load=loaded active=inactive" \
	"a unit file nothing loaded is loaded and read"
# busctl over the bus, as REFERENCE §6.1 quotes it, for one unit.
want=$(awk '$1 == "listen" && $2 == "web.socket" { n++; s = s " \"" $3 "\" \"" $4 "\"" }
	END { print "a(ss) " n s }' "$tmp/bus")
is "$(in_ns busctl get-property org.freedesktop.systemd1 /org/freedesktop/systemd1/unit/web_2esocket \
	org.freedesktop.systemd1.Socket Listen)" "$want" "busctl agrees on web.socket's Listen"
contains "$(cat "$tmp/bus")" "note /lib/systemd/system/tmpl@.socket: template socket unit" \
	"a template unit file is noted, not read"
contains "$(cat "$tmp/bus")" "note broken.socket: unit failed to load (bad-setting), skipping" \
	"a unit that fails to load is noted and skipped"

# 13. The parsed addresses, from the unit files of tests/units/boot.
cat >"$tmp/parsed" <<'EOF'
listen dns.socket Datagram 0.0.0.0:5353 inet4 udp 0.0.0.0 5353
listen dns.socket Datagram [::]:53 inet6 udp :: 53
listen dns.socket Stream [::]:53 inet6 tcp :: 53
listen notloaded.socket Stream [::]:7777 inet6 tcp :: 7777
listen notloaded.socket Datagram [fe80::1]:7778%lo inet6 udp fe80::1 7778
listen unixdemo.socket Stream /run/demo.sock -
listen unixdemo.socket Stream @demo-abstract -
listen unixdemo.socket SequentialPacket /run/demo.seq -
listen unixdemo.socket FIFO /run/demo.fifo -
listen v6only.socket Stream [::]:7443 inet6 tcp :: 7443
listen web.socket Stream 127.0.0.1:8080 inet4 tcp 127.0.0.1 8080
listen web.socket Stream [::]:8443 inet6 tcp :: 8443
listen web.socket Stream [::1]:9000 inet6 tcp ::1 9000
EOF
is "$(grep '^listen' "$tmp/bus" | grep -v dbus)" "$(cat "$tmp/parsed")" \
	"Listen entries parsed: family, protocol, address and port of every IP socket"
is "$(awk '$1 == "unit" { print $2, $6 }' "$tmp/bus" | grep -E '^(web|dns|v6only)\.')" \
	"$(printf '%s\n' "dns.socket ipv6only=ipv6-only" "v6only.socket ipv6only=ipv6-only" "web.socket ipv6only=both")" \
	"BindIPv6Only as the unit files set it"

# 15-17. Owners of sockets systemd holds: PID 1 alone, and PID 1 with a service that
# socket activation handed the socket to.
in_ns systemctl start web.service
mainpid=$(in_ns systemctl show -P MainPID web.service)
ino_web=$(in_ns ss -ltneH 'sport = :8080' 2>/dev/null | sed -n 's/.* ino:\([0-9]*\).*/\1/p')
ino_dns=$(in_ns ss -lunneH 'sport = :5353' 2>/dev/null | sed -n 's/.* ino:\([0-9]*\).*/\1/p')
in_ns "$ownerdump" "$ino_web" "$ino_dns" >"$tmp/owners" 2>&1
cgunit() {
	in_ns cat "/proc/$1/cgroup" | sed -n 's/^0:://p' | tr '/' '\n' |
		awk 'NF && !/\.slice$/ { print; exit }'
}
is "$(grep "^owner $ino_web " "$tmp/owners")" \
	"$(printf '%s\n' "owner $ino_web 1 systemd $(cgunit 1)" "owner $ino_web $mainpid sleep $(cgunit "$mainpid")")" \
	"web.socket's 127.0.0.1:8080 is held by PID 1 and web.service's sleep, units from their cgroups"
is "$(cgunit "$mainpid")" web.service "and that unit is web.service"
is "$(grep '^lookup' "$tmp/owners")" "$(printf '%s\n' "lookup $ino_web $mainpid" "lookup $ino_dns 1")" \
	"the service is the owner of web's socket; PID 1 of dns's, which no service holds"

# 18-23. Stop dbus: before sysinit.target there is no bus either.
in_ns systemctl stop dbus.socket dbus.service
in_ns "$unitdump" bus >"$tmp/nobus" 2>&1
ok $? "without dbus, unitdump bus still succeeds"
is "$(grep -v '^note' "$tmp/nobus")" "transport none" "and reads nothing"
contains "$(cat "$tmp/nobus")" "note systemd: socket units not read: system bus: cannot connect:" \
	"saying why in a note"
in_ns "$unitdump" private >"$tmp/private2" 2>&1
ok $? "without dbus, unitdump private succeeds"
expected >"$tmp/expected2"
is "$(dumped "$tmp/private2")" "$(cat "$tmp/expected2")" "and still reads every socket unit, dbus.socket now inactive"
in_ns "$unitdump" auto >"$tmp/auto2" 2>&1
is "$(head -n1 "$tmp/auto2")" "transport private" "auto falls back to the private socket"

# 24-25. Clean up, then check nothing is left behind.
kill -9 "$sdpid"
wait "$upid" 2>/dev/null
gone=0
for i in $(seq 50); do
	find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	[ -d "$cg" ] || { gone=1; break; }
	sleep 0.1
done
kill -0 "$sdpid" 2>/dev/null
is "$?$gone" "11" "systemd is gone, and so are the cgroups it made"
is "$(uname -n)" "$hostname_before" "the host's hostname is untouched"
sdpid=
upid=

done_testing
