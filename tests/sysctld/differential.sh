#!/bin/bash
# The sysctl.d model against the real tools.  Seeded random configuration trees
# are laid over /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
# /usr/lib/sysctl.d and /etc/sysctl.conf inside a private mount namespace (the
# host's own files are never touched: every directory is a fresh tmpfs and
# sysctl.conf a bind mount of a scratch file, checked before the first write).
# Each tree is applied by the real systemd-sysctl, and (without globs) by procps
# "sysctl --system", each in a fresh network namespace; portaudit's "value at
# the next boot" for the three port sysctls must equal what the kernel holds.
#
# DIFF_CASES (default 200) trees; DIFF_SEED (default 4242) seeds the first.
. "$abs_top_srcdir/tests/lib/tap.sh"

cases=${DIFF_CASES:-200}
seed=${DIFF_SEED:-4242}
systemd_sysctl=/lib/systemd/systemd-sysctl

if [ "$1" != --inner ]; then
	[ "$(id -u)" = 0 ] || skip_all "needs root for mount and network namespaces"
	command -v unshare >/dev/null || skip_all "unshare (util-linux) is missing"
	command -v jq >/dev/null || skip_all "jq is missing"
	[ -x "$systemd_sysctl" ] || skip_all "$systemd_sysctl is missing"
	command -v sysctl >/dev/null || skip_all "sysctl (procps) is missing"
	unshare -m -n true 2>/dev/null || skip_all "cannot create mount and network namespaces here"
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-sysctld-XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	export tmp
	unshare -m -n --propagation private bash "$0" --inner
	exit $?
fi

# --- inside the private mount namespace -------------------------------------

dirs="/etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d"

setup() {
	mount -t tmpfs -o size=16m,mode=0755 portaudit-test /etc/sysctl.d || return 1
	mount -t tmpfs -o size=16m,mode=0755 portaudit-test /run || return 1
	mkdir /run/sysctl.d || return 1
	mount -t tmpfs -o size=16m,mode=0755 portaudit-test /usr/local/lib || return 1
	mkdir /usr/local/lib/sysctl.d || return 1
	mount -t tmpfs -o size=16m,mode=0755 portaudit-test /usr/lib/sysctl.d || return 1
	# A split-/usr system has a /lib/sysctl.d of its own that procps reads.
	if [ ! -L /lib ] && [ -d /lib/sysctl.d ]; then
		mount -t tmpfs -o size=16m,mode=0755 portaudit-test /lib/sysctl.d || return 1
	fi
	: >"$tmp/sysctl.conf" || return 1
	[ -f /etc/sysctl.conf ] || return 2
	mount --bind "$tmp/sysctl.conf" /etc/sysctl.conf || return 1
	# Nothing below is written unless every one of these is ours.
	for d in $dirs; do
		[ "$(stat -f -c %T "$d")" = tmpfs ] || return 1
	done
	[ "$(stat -c %d:%i /etc/sysctl.conf)" = "$(stat -c %d:%i "$tmp/sysctl.conf")" ] || return 1
}

setup
case $? in
0) ;;
2) skip_all "/etc/sysctl.conf does not exist, so it cannot be covered by a bind mount" ;;
*) echo "1..0 # SKIP could not cover the sysctl.d directories with private mounts"; exit 1 ;;
esac

reset_tree() {
	for d in $dirs; do
		find "$d" -mindepth 1 -delete
	done
	: >/etc/sysctl.conf
}

# The generator keeps its own state: bash reseeds $RANDOM in every subshell,
# so nothing below may draw numbers inside $(...).  Each function leaves its
# result in REPLY.
rnd_state=1
rnd() { # rnd N: R = a number 0..N-1
	rnd_state=$(( (rnd_state * 1103515245 + 12345) % 2147483648 ))
	R=$(( (rnd_state >> 8) % $1 ))
}

pick() { # pick WORD...: REPLY = one of the words
	rnd $#
	shift "$R"
	REPLY=$1
}

# Values, including ones the kernel refuses or misreads.
reserved_value() {
	local a b c
	rnd 16
	case $R in
	0) rnd 10; REPLY=$((40000 + R)) ;;
	1) rnd 10; a=$R; rnd 9000; REPLY="$((40000 + a)),$((1000 + R))" ;;
	2) rnd 100; a=$R; rnd 100; REPLY="$((30000 + a))-$((30100 + R))" ;;
	3) REPLY='8080, 9090' ;;                # a blank: refused
	4) REPLY= ;;                            # empty: clears
	5) rnd 100; REPLY="010,$((2000 + R))" ;; # 010 is octal 8
	6) rnd 4096; printf -v REPLY '0x%x' $((4096 + R)) ;;
	7) REPLY='"8080"' ;;                    # quotes are kept: refused
	8) REPLY=65536 ;;                       # refused
	9) rnd 65536; REPLY="5,4,3,$R" ;;
	10) REPLY='1000-1005,' ;;
	11) rnd 100; REPLY="   $((7000 + R))  " ;;
	12) rnd 10; a=$R; rnd 10; REPLY="$((50000 + a))-$((49990 + R))" ;; # maybe reversed
	13) REPLY=08080 ;;                      # octal with an 8: refused
	14) rnd 65536; a=$R; rnd 65536; b=$R; rnd 65536; c=$R; REPLY="$a,$b,$c" ;;
	15) REPLY='1000,,2000' ;;               # refused
	esac
}

# Now and then a value longer than one kernel write (4095 bytes).
long_value() {
	local start
	rnd 4
	if [ "$R" = 0 ]; then
		rnd 100; start=$((10001 + 2 * R))
		rnd 300
		REPLY=$(seq -s, "$start" 2 $((start + 2 * (700 + R))))
	else
		reserved_value
	fi
}

range_value() {
	local a
	rnd 12
	case $R in
	0) REPLY='40000 40009' ;;
	1) rnd 20000; a=$R; rnd 15000; REPLY="$((30000 + a)) $((50000 + R))" ;;
	2) REPLY='40001 40000' ;;               # reversed: refused
	3) REPLY=$'2000\t3000' ;;
	4) rnd 50000; REPLY=$((20000 + R)) ;;   # one value: the start only
	5) REPLY='5000 6000 7000' ;;            # the extra value is ignored
	6) REPLY='0 100' ;;                     # refused
	7) REPLY='1024 65536' ;;                # refused
	8) REPLY='0x9c40 0x9c49' ;;
	9) REPLY= ;;                            # refused
	10) REPLY='1000 2000' ;;                # below the unprivileged start unless lowered
	11) REPLY='2000,3000' ;;                # refused
	esac
}

unpriv_value() {
	pick 1024 0 500 40000 1023 '' 2048
}

# One line of a configuration file, appended to LINES.
config_line() {
	local k
	rnd 20
	case $R in
	0 | 1 | 2 | 3) pick net.ipv4.ip_local_reserved_ports net/ipv4/ip_local_reserved_ports; k=$REPLY
		reserved_value; LINES+="$k = $REPLY"$'\n' ;;
	4) reserved_value; LINES+="  net.ipv4.ip_local_reserved_ports=$REPLY"$'\n' ;;
	5) reserved_value; LINES+="-net.ipv4.ip_local_reserved_ports = $REPLY"$'\n' ;;
	6 | 7 | 8) pick net.ipv4.ip_local_port_range net/ipv4/ip_local_port_range; k=$REPLY
		range_value; LINES+="$k = $REPLY"$'\n' ;;
	9) unpriv_value; LINES+="net.ipv4.ip_unprivileged_port_start = $REPLY"$'\n' ;;
	10) LINES+='# net.ipv4.ip_local_reserved_ports = 1'$'\n' ;;
	11) LINES+='; net.ipv4.ip_local_port_range = 1 2'$'\n' ;;
	12) LINES+=$'\n' ;;
	13) rnd 50; LINES+="net.ipv4.tcp_fin_timeout = $((10 + R))"$'\n' ;;
	14) if [ "$globs" = 1 ]; then
		pick 'net.ipv4.ip_local_reserved_port?' 'net/ipv4/ip_local_reserved_*'; k=$REPLY
		reserved_value; LINES+="$k = $REPLY"$'\n'
	    fi ;;
	15) [ "$globs" = 1 ] && LINES+='-net.ipv4.ip_local_reserved_ports'$'\n' ;;
	16) if [ "$globs" = 1 ]; then
		range_value; LINES+="net.ipv4.ip_local_port_rang[e] = $REPLY"$'\n'
	    fi ;;
	17) LINES+='net.ipv4.ip_local_reserved_ports'$'\n' ;; # not an assignment
	18) reserved_value; LINES+="net.ipv4..ip_local_reserved_ports = $REPLY"$'\n' ;;
	19) long_value; LINES+="net.ipv4.ip_local_reserved_ports = $REPLY"$'\n' ;;
	esac
}

config_lines() { # config_lines N: LINES = N random lines
	LINES=
	for ((j = 0; j < $1; j++)); do config_line; done
}

names="10-a.conf 50-x.conf 90-vendor.conf 99-sysctl.conf 99-zz-portaudit.conf zz-last.conf Z-upper.conf 999-x.conf"

build_tree() {
	local n d name i
	reset_tree
	# Debian's link, most of the time.
	rnd 5
	[ "$R" != 0 ] && ln -s ../sysctl.conf /etc/sysctl.d/99-sysctl.conf
	rnd 4
	config_lines "$R"
	printf '%s' "$LINES" >/etc/sysctl.conf
	rnd 6
	n=$((1 + R))
	for ((i = 0; i < n; i++)); do
		pick $dirs; d=$REPLY
		pick $names; name=$REPLY
		{ [ -e "$d/$name" ] || [ -L "$d/$name" ]; } && continue
		rnd 8
		if [ "$R" = 0 ]; then
			ln -s /dev/null "$d/$name"
		else
			rnd 5
			config_lines $((1 + R))
			printf '%s' "$LINES" >"$d/$name"
		fi
	done
}

# What the kernel of a fresh network namespace holds after TOOL applies the tree.
kernel_after() {
	unshare -n bash -c '
		if [ "$1" = systemd ]; then "$2" >/dev/null 2>&1; else sysctl -q --system >/dev/null 2>&1; fi
		r=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
		read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
		u=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
		printf "%s|%s %s|%s\n" "$r" "$lo" "$hi" "$u"' _ "$1" "$systemd_sysctl"
}

# portaudit's prediction for TOOL (systemd_sysctl or procps).
predicted() {
	jq -r --arg t "$1" '.sysctl_d.keys as $k |
		"\($k["net.ipv4.ip_local_reserved_ports"].next_boot[$t].value)|\($k["net.ipv4.ip_local_port_range"].next_boot[$t].value.min) \($k["net.ipv4.ip_local_port_range"].next_boot[$t].value.max)|\($k["net.ipv4.ip_unprivileged_port_start"].next_boot[$t].value)"' "$tmp/snap.json"
}

show_tree() {
	for f in $(find $dirs /etc/sysctl.conf -mindepth 0 \( -type f -o -type l \) | sort); do
		if [ -L "$f" ]; then
			echo "# $f -> $(readlink "$f")"
		else
			echo "# $f:"
			cut -c1-120 "$f" | sed 's/^/#   /'
		fi
	done
}

plan 4
n_systemd=0 n_procps=0 bad_systemd=0 bad_procps=0 snap_failed=0 differs=0
for i in $(seq "$cases"); do
	rnd_state=$((seed + i))
	# Every third tree leaves globs out, so that procps can be compared too.
	globs=$(( i % 3 != 0 ))
	build_tree
	if ! "$PORTAUDIT" --snapshot >"$tmp/snap.json" 2>"$tmp/snap.err"; then
		snap_failed=$((snap_failed + 1))
		echo "# case $i (seed $((seed + i))): portaudit --snapshot failed: $(cat "$tmp/snap.err")"
		continue
	fi
	want=$(kernel_after systemd)
	got=$(predicted systemd_sysctl); echo "$want" >>"$tmp/wants"
	n_systemd=$((n_systemd + 1))
	if [ "$want" != "$got" ]; then
		bad_systemd=$((bad_systemd + 1))
		echo "# case $i (seed $((seed + i))), systemd-sysctl: kernel '$want', portaudit '$got'"
		show_tree
	fi
	if [ "$globs" = 0 ]; then
		want_p=$(kernel_after procps)
		got_p=$(predicted procps)
		n_procps=$((n_procps + 1))
		[ "$want_p" != "$want" ] && differs=$((differs + 1))
		if [ "$want_p" != "$got_p" ]; then
			bad_procps=$((bad_procps + 1))
			echo "# case $i (seed $((seed + i))), procps: kernel '$want_p', portaudit '$got_p'"
			show_tree
		fi
	fi
done

echo "# $(sort -u "$tmp/wants" | wc -l) distinct outcomes under systemd-sysctl; $(grep -vc '^|' "$tmp/wants") trees left ports reserved"
echo "# $n_systemd trees applied with systemd-sysctl, $n_procps with procps ($differs where the tools disagree)"
is "$snap_failed" 0 "portaudit --snapshot read every tree"
is "$bad_systemd" 0 "next boot under systemd-sysctl predicted for all $n_systemd trees"
is "$bad_procps" 0 "next boot under sysctl --system predicted for all $n_procps trees"
[ "$n_systemd" -ge "$cases" ] && [ "$differs" -gt 0 ]
ok $? "every tree ran, and some made the two tools disagree"
done_testing
