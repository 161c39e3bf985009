#!/bin/bash
# portaudit.service under a real systemd as PID 1 (issue 7; REFERENCE §6.3,
# §6.4): /lib/systemd/systemd boots in new pid/mount/net/uts/ipc/cgroup
# namespaces (init.sh builds its file system view), with the host's own
# sysinit.target, sockets.target, basic.target, systemd-sysctl.service and
# journald, this build's portaudit.service enabled in sysinit.target.wants, a
# socket unit on the inventory's port and a busy client service.  The port
# range comes from a sysctl.d file that systemd-sysctl applies, and the
# inventory port lies outside the kernel's default range: a portaudit that ran
# before systemd-sysctl would have nothing to reserve.  Checked: the unit ran
# and succeeded, after systemd-sysctl and before sockets.target, the socket
# unit and the client; the live value, the fragment and the journal entries;
# the client never got the port, not even with the socket unit stopped, and
# gets it once the reservation is cleared (so "never" means something);
# portaudit-audit.service once; then every process, cgroup and mount is gone
# and the host's hostname and sysctls are what they were.
#
# By hand, as root: abs_top_srcdir=$PWD abs_top_builddir=$PWD
# PORTAUDIT=$PWD/portaudit tests/boot/boot.sh (after 'make'); BOOT_KEEP=1
# leaves the staging directory with systemd's log.
. "$abs_top_srcdir/tests/lib/tap.sh"

port=20004          # boot-web: the inventory's port, reserved at boot
accepted=20006      # boot-accepted: reserve: false, only reported
other=20008         # reserved by another sysctl.d file: kept in the union
range_lo=20000      # the range systemd-sysctl sets (boot-client.service connects to
range_hi=20009      # 127.0.0.1:25000, outside it)
units=$abs_top_builddir/packaging/systemd
client_bin=$abs_top_builddir/tests/boot/boot-client
vendor_dir=/lib/systemd/system

[ "$(id -u)" = 0 ] || skip_all "needs root for namespaces, mounts and cgroups"
for tool in unshare nsenter timeout findmnt jq sysctl ip ss; do
	command -v "$tool" >/dev/null || skip_all "$tool is missing"
done
for f in /lib/systemd/systemd /lib/systemd/systemd-sysctl /lib/systemd/systemd-journald \
	"$vendor_dir/sysinit.target" "$vendor_dir/systemd-journald.service"; do
	[ -e "$f" ] || skip_all "$f is missing (systemd 252 as Debian 12 ships it)"
done
[ -x "$PORTAUDIT" ] || skip_all "$PORTAUDIT is not built"
[ -x "$client_bin" ] || skip_all "$client_bin is not built"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "no overlayfs: the namespace's /etc is an overlay so nothing reaches the host's"
unshare --pid --fork --mount --uts --ipc --net --cgroup true 2>/dev/null ||
	skip_all "cannot create pid/mount/uts/ipc/net/cgroup namespaces here"

exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$units/portaudit.service")
case $exe in
/*/portaudit) ;;
*) skip_all "cannot read the ExecStart path of $units/portaudit.service: '$exe'" ;;
esac
# The units' PrivateTmp=yes gives them a /tmp and /var/tmp of their own, where a
# 'make distcheck' under TMPDIR installs: there the staged units run the binary
# from /usr/local/sbin instead, and are otherwise the build's own bytes.
built_exe=$exe
case $exe in
/tmp/* | /var/tmp/*) exe=/usr/local/sbin/portaudit ;;
esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/portaudit-boot.XXXXXX") || exit 1
chmod 0755 "$stage"
tpid='' upid='' sd='' cgdirs='' cleaned=''

# The host as it was: hostname, every sysctl that is a setting (readable and
# writable: counters such as fs.file-nr are read-only) less the few that
# change by themselves between two readings, and the cgroup tree.
host_sysctls() {
	# shellcheck disable=SC2046
	sysctl $(find /proc/sys -type f -perm -0400 -perm -0200 -printf '%P\n' 2>/dev/null) \
		2>/dev/null | sort
}
host_cgroups() { find /sys/fs/cgroup -xdev -mindepth 1 -type d 2>/dev/null | sort; }
hostname_before=$(hostname)
sysctl_a=$(host_sysctls)
sleep 0.2
sysctl_b=$(host_sysctls)
volatile=$(diff <(printf '%s\n' "$sysctl_a") <(printf '%s\n' "$sysctl_b") |
	sed -n 's/^[<>] \([^ ]*\) = .*/\1/p' | sort -u)
stable() {
	awk -v vol="$volatile" 'BEGIN { n = split(vol, v, "\n"); for (i = 1; i <= n; i++) skip[v[i]] = 1 }
		!($1 in skip)'
}
sysctl_before=$(printf '%s\n' "$sysctl_b" | stable)
cgroups_before=$(host_cgroups)

# Kill what the test started, by pid: systemd (PID 1 of the namespaces: the
# whole namespace dies with it), unshare, the timeout watchdog; then remove
# the cgroup directories systemd made below the test's own.
cleanup() {
	local i d
	[ -n "$cleaned" ] && return 0
	cleaned=1
	[ -n "$sd" ] && kill -KILL "$sd" 2>/dev/null
	[ -n "$upid" ] && kill -KILL "$upid" 2>/dev/null
	[ -n "$tpid" ] && kill -KILL "$tpid" 2>/dev/null
	[ -n "$tpid" ] && wait "$tpid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		{ [ -z "$sd" ] || [ ! -e "/proc/$sd" ]; } &&
			{ [ -z "$upid" ] || [ ! -e "/proc/$upid" ]; } && break
		sleep 0.02
	done
	for d in $cgdirs; do
		for ((i = 0; i < 100; i++)); do
			[ -d "$d" ] || break
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			sleep 0.02
		done
	done
	if [ -n "${BOOT_KEEP:-}" ]; then
		echo "# kept $stage"
	else
		rm -rf "$stage"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The staging tree init.sh installs from.
mkdir -p "$stage"/{ov,bin,vendor,admin,sysctl.d/etc,sysctl.d/usr-lib} \
	"$stage"/vendor/{sysinit,sockets}.target.wants \
	"$stage"/admin/{sysinit,sockets}.target.wants
cp "$abs_top_srcdir/tests/boot/init.sh" "$stage/"
: >"$stage/console"
cp "$PORTAUDIT" "$stage/bin/portaudit"
cp "$client_bin" "$stage/bin/boot-client"
for u in sysinit.target sockets.target basic.target local-fs.target swap.target \
	network-pre.target shutdown.target slices.target paths.target timers.target \
	system.slice systemd-sysctl.service systemd-journald.service systemd-journald.socket \
	systemd-journald-dev-log.socket systemd-journald-audit.socket; do
	[ -f "$vendor_dir/$u" ] && cp "$vendor_dir/$u" "$stage/vendor/"
done
# Enabled as Debian enables them.
ln -s ../systemd-sysctl.service "$stage/vendor/sysinit.target.wants/"
ln -s ../systemd-journald.service "$stage/vendor/sysinit.target.wants/"
ln -s ../systemd-journald.socket "$stage/vendor/sockets.target.wants/"
ln -s ../systemd-journald-dev-log.socket "$stage/vendor/sockets.target.wants/"
# Installed and enabled as 'make install' and 'systemctl enable' would.
for u in portaudit.service portaudit-audit.service; do
	sed "s|^ExecStart=$built_exe |ExecStart=$exe |" "$units/$u" >"$stage/admin/$u"
done
# An AddressSanitizer build (make distcheck-sanitizers): a unit's environment is
# systemd's, not the test's, so the sanitizer options are given in a drop-in.
# LeakSanitizer stops the process with ptrace(2) at exit, which the units'
# SystemCallFilter=@system-service refuses: it then dies with "LeakSanitizer has
# encountered a fatal error" and exit 1, which the unit accepts as success and
# this test reports as a failed --fix.  So leak checking alone is off in these
# two units (the same --fix and audit runs are leak-checked outside the sandbox
# by tests/fixns and tests/e2e); every other ASan and UBSan check stays on and
# aborts the unit.
if grep -q __asan_init "$PORTAUDIT"; then
	for u in portaudit.service portaudit-audit.service; do
		mkdir -p "$stage/admin/$u.d"
		printf '[Service]\nEnvironment="ASAN_OPTIONS=%s" "UBSAN_OPTIONS=%s"\n' \
			"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${UBSAN_OPTIONS:-}" \
			>"$stage/admin/$u.d/sanitizer.conf"
	done
fi
cp "$abs_top_srcdir"/tests/boot/units/* "$stage/admin/"
ln -s /etc/systemd/system/portaudit.service "$stage/admin/sysinit.target.wants/"
ln -s /etc/systemd/system/boot-web.socket "$stage/admin/sockets.target.wants/"
cat >"$stage/inventory.yaml" <<EOF
version: 1
services:
  boot-web:
    ports: [$port]
  boot-accepted:
    ports: [$accepted]
    reserve: false
policy:
  min_ephemeral_ports: 4
EOF
echo "net.ipv4.ip_local_port_range = $range_lo $range_hi" >"$stage/sysctl.d/etc/50-boot-range.conf"
echo "net.ipv4.ip_local_reserved_ports = $other" >"$stage/sysctl.d/usr-lib/10-boot-other.conf"

# A cgroup of the test's own below its current one, in each hierarchy systemd
# uses: the namespace's cgroup root, and all systemd creates lands below it.
while IFS=: read -r _ ctrl path; do
	base=
	if [ "$ctrl" = name=systemd ]; then
		base=/sys/fs/cgroup/systemd
	elif [ -z "$ctrl" ]; then
		if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
			base=/sys/fs/cgroup
		elif [ -d /sys/fs/cgroup/unified ]; then
			base=/sys/fs/cgroup/unified
		fi
	fi
	[ -n "$base" ] || continue
	d=$base${path%/}/portaudit-boot.$$
	mkdir "$d" || skip_all "cannot create the cgroup $d"
	cgdirs="$cgdirs $d"
done </proc/self/cgroup
[ -n "$cgdirs" ] || skip_all "no systemd or unified cgroup hierarchy in /proc/self/cgroup"

plan 34

# The watchdog: timeout kills unshare after 120 s whatever happens to this
# script, and --kill-child takes systemd with it.
# shellcheck disable=SC2016
timeout -s KILL 120 bash -c 'for d in $1; do echo $$ >"$d/cgroup.procs" || exit 1; done; shift
	exec unshare --pid --fork --kill-child --mount --mount-proc --uts --ipc --net --cgroup \
		--propagation private "$@"' \
	sh "$cgdirs" bash "$stage/init.sh" "$stage" "$exe" >"$stage/systemd.log" 2>&1 &
tpid=$!

# The pid of the only child of $1, once it runs $2.
child_running() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
	c=${c%% *}
	[ -n "$c" ] && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] && echo "$c"
}
for ((i = 0; i < 500; i++)); do
	[ -z "$upid" ] && upid=$(child_running "$tpid" unshare)
	[ -n "$upid" ] && sd=$(child_running "$upid" systemd) && break
	sleep 0.02
done
ns() { nsenter -t "$sd" -a "$@"; }
show() { ns systemctl show -P "$2" "$1" 2>/dev/null; }
ok_cmp() { # ok_cmp A OP B DESCRIPTION: a numeric comparison with both values shown
	[ "$1" -gt 0 ] 2>/dev/null && [ "$3" -gt 0 ] 2>/dev/null && test "$1" "$2" "$3"
	ok $? "$4 ($1 $2 $3)"
}
# What went wrong: init.sh's output and the namespace's journal (PID 1 logs there).
dump_log() {
	{ cat "$stage/systemd.log"; ns journalctl -q --no-pager 2>&1 | grep -v ' kernel: '; } |
		sed 's/^/# /' | tail -n 80
}

[ -n "$sd" ]
ok $? "systemd runs as PID 1 of the test's namespaces (host pid ${sd:-none})"
if [ -z "$sd" ]; then
	dump_log
	exit 1
fi
for ((i = 0; i < 500; i++)); do
	ns test -S /run/systemd/private && break
	sleep 0.02
done
state=$(ns timeout 30 systemctl is-system-running --wait 2>/dev/null)
is "$state" running "the boot finished and no unit failed"
if [ "$state" != running ]; then
	ns systemctl --no-pager --failed 2>&1 | sed 's/^/# /'
	dump_log
fi
is "$(ns hostname)" portaudit-boot "systemd set the namespace's hostname from its /etc/hostname"

# portaudit.service ran and succeeded, in its place in the boot order.
is "$(show portaudit.service ActiveState)/$(show portaudit.service Result)" active/success \
	"portaudit.service is active and succeeded"
[ "$(show portaudit.service ActiveState)" = active ] || dump_log
is "$(show portaudit.service ExecMainStatus)" 0 "portaudit --fix exited 0"
is "$(show systemd-sysctl.service Result)" success "systemd-sysctl.service ran and succeeded"
is "$(ns cat /proc/sys/net/ipv4/ip_local_port_range)" "$(printf '%s\t%s' "$range_lo" "$range_hi")" \
	"systemd-sysctl applied the range from /etc/sysctl.d"
pa_start=$(show portaudit.service ExecMainStartTimestampMonotonic)
pa_done=$(show portaudit.service ActiveEnterTimestampMonotonic)
ok_cmp "$(show systemd-sysctl.service ActiveEnterTimestampMonotonic)" -le "$pa_start" \
	"portaudit started after systemd-sysctl finished"
ok_cmp "$(show systemd-journald.socket ActiveEnterTimestampMonotonic)" -le "$pa_start" \
	"and after the journal socket was up"
ok_cmp "$pa_done" -le "$(show sysinit.target ActiveEnterTimestampMonotonic)" \
	"portaudit finished before sysinit.target was reached"
ok_cmp "$pa_done" -le "$(show boot-web.socket ActiveEnterTimestampMonotonic)" \
	"before boot-web.socket started listening"
ok_cmp "$pa_done" -le "$(show sockets.target ActiveEnterTimestampMonotonic)" \
	"before sockets.target was reached"
ok_cmp "$pa_done" -le "$(show boot-client.service ExecMainStartTimestampMonotonic)" \
	"before the client started"

# What it changed: the live value and the fragment, with the other file's port.
is "$(ns cat /proc/sys/net/ipv4/ip_local_reserved_ports)" "$port,$other" \
	"the live ip_local_reserved_ports holds the inventory port and the other file's"
frag=$(ns cat /etc/sysctl.d/99-zz-portaudit.conf 2>&1)
is "$(printf '%s\n' "$frag" | grep -v '^#')" "net.ipv4.ip_local_reserved_ports = $port,$other" \
	"/etc/sysctl.d/99-zz-portaudit.conf assigns the same union"

# The journal: portaudit's own entries, told apart by the unit's main pid
# (_SYSTEMD_UNIT needs the sender alive when journald reads its cgroup).
journal() { # journal [-v] PID: portaudit's entries from that process (-v: from all others)
	# shellcheck disable=SC2016
	local sel='._PID == $p'
	# shellcheck disable=SC2016
	[ "$1" = -v ] && sel='._PID != $p' && shift
	ns journalctl -q -o json --no-pager SYSLOG_IDENTIFIER=portaudit 2>/dev/null |
		jq -c --arg p "$1" "select($sel)" 2>/dev/null
}
pa_pid=$(show portaudit.service ExecMainPID)
for ((i = 0; i < 100; i++)); do
	entries=$(journal "$pa_pid")
	printf '%s\n' "$entries" | jq -e 'select(.PORTAUDIT_FINDINGS != null)' >/dev/null 2>&1 &&
		break
	sleep 0.05
done
summary=$(printf '%s\n' "$entries" | jq -c 'select(.PORTAUDIT_FINDINGS != null)' 2>/dev/null)
[ "$(printf '%s\n' "$summary" | grep -c .)" = 1 ]
ok $? "the journal holds one summary entry from portaudit.service (pid $pa_pid)"
is "$(printf '%s\n' "$summary" | jq -r '[.PORTAUDIT_FIX_CHANGED, .PORTAUDIT_FIX_WRITTEN,
	.PORTAUDIT_FIX_APPLIED, .PORTAUDIT_FIX_FAILED, .PORTAUDIT_FIX_RESERVED] | join(" ")' 2>&1)" \
	"1 1 1 0 $port,$other" "with PORTAUDIT_FIX_CHANGED/WRITTEN/APPLIED/FAILED/RESERVED"
is "$(printf '%s\n' "$entries" | jq -r 'select(.PORTAUDIT_ID != null) |
	"\(.PORTAUDIT_ID) \(.PORTAUDIT_SERVICE) \(.PORTAUDIT_PORT) \(.PRIORITY)"' 2>&1)" \
	"$(printf '%s\n' "ephemeral-overlap boot-accepted $accepted 6" \
		"not-listening boot-accepted $accepted 6")" \
	"its findings: info on $accepted only (it saw boot-web.socket, so $port is not 'not-listening')"

# The socket unit listens; the client runs and never had the port.
is "$(show boot-web.socket ActiveState)/$(show boot-web.socket SubState)" active/listening \
	"boot-web.socket is listening"
contains "$(ns ss -ltnH "sport = :$port")" "127.0.0.1:$port" "ss sees 127.0.0.1:$port listening"
status() { ns cat /run/portaudit-boot/client.status 2>/dev/null; }
connects() { status | sed -n 's/^connects //p'; }
ports() { status | sed -n 's/^ports //p'; }
for ((i = 0; i < 100; i++)); do
	[ "$(connects)" -ge 2000 ] 2>/dev/null && break
	sleep 0.05
done
is "$(show boot-client.service ActiveState)" active "the client runs"
seen=$(ports)
ok_cmp "$(connects)" -ge 2000 "it made its connections"
# connect() tries the ports at an even offset from the range's start first.
ok_cmp "$(wc -w <<<"$seen")" -ge 3 "from several source ports of the range: $seen"
case " $seen " in *" $port "*) ok 1 "the client never had $port as its source port" ;;
*) ok 0 "the client never had $port as its source port" ;; esac

# The full audit of the running system, once.  A oneshot without
# RemainAfterExit forgets its ExecMainPID: its entries are portaudit's others.
ns systemctl start portaudit-audit.service
is "$(show portaudit-audit.service Result)" success "portaudit-audit.service ran and succeeded"
for ((i = 0; i < 100; i++)); do
	audit=$(journal -v "$pa_pid")
	printf '%s\n' "$audit" | jq -e 'select(.PORTAUDIT_FINDINGS != null)' >/dev/null 2>&1 && break
	sleep 0.05
done
is "$(printf '%s\n' "$audit" | jq -r 'select(.PORTAUDIT_FINDINGS != null) |
	[._SYSTEMD_UNIT, (.PORTAUDIT_FIX_CHANGED // "no-fix")] | join(" ")' 2>&1)" \
	"portaudit-audit.service no-fix" "its one summary entry, with no PORTAUDIT_FIX_* field"
contains "$(printf '%s\n' "$audit" | jq -r 'select(.PORTAUDIT_ID != null) |
	"\(.PORTAUDIT_ID) \(.PORTAUDIT_PORT)"' 2>&1)" "ephemeral-overlap $accepted" \
	"it logs the accepted risk on $accepted"

# The reservation alone keeps the port: the socket unit stopped, the client
# still never gets it ...
ns systemctl stop boot-web.socket
before=$(connects)
for ((i = 0; i < 100; i++)); do
	[ "$(connects)" -ge $((before + 3000)) ] 2>/dev/null && break
	sleep 0.05
done
ok_cmp "$(connects)" -ge $((before + 3000)) "with boot-web.socket stopped the client went on"
case " $(ports) " in *" $port "*) ok 1 "and still never had $port" ;;
*) ok 0 "and still never had $port" ;; esac
# ... and once the namespace's reservation is cleared, it takes the port.
ns sh -c 'echo >/proc/sys/net/ipv4/ip_local_reserved_ports'
for ((i = 0; i < 100; i++)); do
	case " $(ports) " in *" $port "*) break ;; esac
	sleep 0.05
done
contains " $(ports) " " $port " "without the reservation the client takes $port (control)"

[ -n "${BOOT_HOLD:-}" ] && echo "# holding: nsenter -t $sd -a" && sleep "$BOOT_HOLD"
cleanup
[ ! -e "/proc/$sd" ] && [ ! -e "/proc/$upid" ] && [ ! -e "/proc/$tpid" ]
ok $? "systemd, unshare and the watchdog are gone"
is "$(diff <(printf '%s\n' "$cgroups_before") <(host_cgroups))" "" \
	"the host's cgroup tree is as it was"
is "$(hostname)" "$hostname_before" "the host's hostname is unchanged"
is "$(diff <(printf '%s\n' "$sysctl_before") <(host_sysctls | stable))" "" \
	"the host's sysctls are unchanged ($(wc -l <<<"$sysctl_before") compared)"
done_testing
