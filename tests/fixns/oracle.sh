#!/bin/bash
# portaudit --fix judged by the real tools.  For each seed, a random sysctl.d
# tree (masks, octal and refused values, /etc/sysctl.conf, files that sort
# after the fragment), a random live range and reserved set in a network
# namespace of the test's own, and a random inventory; then portaudit --fix
# -f json, and in fresh network namespaces the real systemd-sysctl and procps
# "sysctl --system" apply the tree as the next boot would:
#   - fix.desired is what the inventory asks for, computed here from the
#     ranges the tools really set (policy.reserve ephemeral, all, none);
#   - fix.failed exactly when systemd-sysctl leaves a port of D unreserved, and
#     then fix.overridden_by names the assignment that really wins (from
#     systemd-sysctl --cat-config); otherwise the booted set holds D and every
#     port the tree reserved at boot without portaudit's file;
#   - the live value is fix.live.after = live before ∪ D;
#   - a second --fix changes nothing (same bytes, same mtime to the nanosecond);
#   - procps leaves D reserved unless fix.overridden_by lists "sysctl --system".
# All of it inside a private mount namespace whose sysctl.d directories and
# /etc/sysctl.conf are scratch mounts (tests/fixns/lib.sh).
#
# FIX_ORACLE_SEEDS: the seeds to run (default 40 fixed ones, so CI is
# deterministic).
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/fixns/lib.sh"

seeds=${FIX_ORACLE_SEEDS:-$(seq 7001 7040)}

if [ "$1" != --inner ]; then
	fixns_preflight
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-fixns-oracle-XXXXXX") || exit 1
	inner=
	trap '[ -n "$inner" ] && { kill "$inner"; wait "$inner"; } 2>/dev/null; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	export tmp seeds
	unshare -m -n --propagation private bash "$0" --inner &
	inner=$!
	wait "$inner"
	rc=$?
	inner=
	exit "$rc"
fi

# --- inside the private mount namespace -------------------------------------

ns_pids=
trap 'ns_stop_all' EXIT
trap 'exit 1' INT TERM
fixns_cover "$tmp/sysctl.conf" ||
	{ echo "1..0 # SKIP could not cover the sysctl.d directories with private mounts"; exit 1; }

# The generator keeps its own state: bash reseeds $RANDOM in every subshell,
# so nothing below draws numbers inside $(...).  Results are left in R/REPLY.
rnd_state=1
rnd() { # rnd N: R = 0..N-1
	rnd_state=$(( (rnd_state * 1103515245 + 12345) % 2147483648 ))
	R=$(( (rnd_state >> 8) % $1 ))
}

pick() {
	rnd $#
	shift "$R"
	REPLY=$1
}

# A value for net.ipv4.ip_local_reserved_ports, some refused or misread.
reserved_value() {
	local a
	rnd 14
	case $R in
	0 | 1) rnd 30000; a=$((30000 + R)); rnd 30000; REPLY="$a,$((30000 + R))" ;;
	2) rnd 40000; REPLY=$((1024 + R)) ;;
	3 | 4) rnd 25000; a=$((30000 + R)); rnd 300; REPLY="$a-$((a + R))" ;;
	5) rnd 8; REPLY="010,$((45000 + R))" ;; # 010 is octal: port 8
	6) REPLY=0777 ;;                        # 511
	7) rnd 4096; printf -v REPLY '0x%x' $((0x9000 + R)) ;;
	8) REPLY='1000, 2000' ;;                # a blank: refused
	9) REPLY=65536 ;;                       # refused
	10) REPLY='"8080"' ;;                   # quotes are kept: refused
	11) REPLY=08080 ;;                      # octal with an 8: refused
	12) REPLY= ;;                           # empty: clears the set
	13) REPLY=1024-65535 ;;                 # covers any inventory
	esac
}

config_line() {
	local k
	rnd 14
	case $R in
	0 | 1 | 2 | 3 | 4 | 5)
		pick net.ipv4.ip_local_reserved_ports net/ipv4/ip_local_reserved_ports; k=$REPLY
		reserved_value; LINES+="$k = $REPLY"$'\n' ;;
	6) reserved_value; LINES+="-net.ipv4.ip_local_reserved_ports=$REPLY"$'\n' ;;
	7) rnd 10000; k=$((30000 + R)); rnd 20000
		LINES+="net.ipv4.ip_local_port_range = $k $((k + 1001 + R))"$'\n' ;;
	8) LINES+="net.ipv4.ip_local_port_range = 40001 40000"$'\n' ;; # refused
	9) LINES+='# net.ipv4.ip_local_reserved_ports = 1'$'\n' ;;
	10) rnd 50; LINES+="net.ipv4.tcp_fin_timeout = $((10 + R))"$'\n' ;;
	*) LINES+=$'\n' ;;
	esac
}

config_lines() { # config_lines N: LINES = N random lines
	local j
	LINES=
	for ((j = 0; j < $1; j++)); do config_line; done
}

names="10-base.conf 10-net.conf 50-vendor.conf 50-x.conf 99-local.conf 99-sysctl.conf
99-zz-portaudit.conf 99-zzz.conf 999-late.conf Z-upper.conf zz-last.conf zz-override.conf"

build_tree() {
	local n d name i
	fixns_reset_tree || return 1
	masked=0 lower_fragment=0
	# Debian's link, most of the time, and now and then an assignment in its target.
	rnd 5
	[ "$R" != 0 ] && ln -s ../sysctl.conf /etc/sysctl.d/99-sysctl.conf
	rnd 3
	if [ "$R" = 0 ]; then
		reserved_value
		printf 'net.ipv4.ip_local_reserved_ports = %s\n' "$REPLY" >/etc/sysctl.conf
	fi
	rnd 6
	n=$R
	for ((i = 0; i < n; i++)); do
		pick $conf_dirs; d=$REPLY
		pick $names; name=$REPLY
		{ [ -e "$d/$name" ] || [ -L "$d/$name" ]; } && continue
		if [ "$name" = 99-sysctl.conf ]; then
			ln -s /etc/sysctl.conf "$d/$name"
			continue
		fi
		if [ "$name" = 99-zz-portaudit.conf ]; then
			# portaudit's own name: in /etc only as the administrator's mask.
			[ "$d" = /etc/sysctl.d ] && continue
			lower_fragment=1
		fi
		rnd 8
		if [ "$R" = 0 ]; then
			ln -s /dev/null "$d/$name"
		else
			rnd 3
			config_lines $((1 + R))
			printf '%s' "$LINES" >"$d/$name"
		fi
	done
	rnd 16
	if [ "$R" = 0 ]; then
		ln -s /dev/null "$frag"
		masked=1
	fi
}

# An inventory of random ports inside and outside the live range; D's
# candidates (services with reserve left on) go to WANT.
build_inventory() {
	local s n j k p q kind proto try printed svc_ports
	declare -A used=()
	WANT=
	{
		echo "version: 1"
		echo "services:"
		rnd 3
		for ((s = 0; s <= R; s++)); do
			echo "  svc$s:"
			printf '    ports: ['
			svc_ports='' printed=0
			rnd 4
			n=$((1 + R))
			for ((j = 0; j < n; j++)); do
				rnd 8
				kind=$R
				for ((try = 0; try < 4; try++)); do
					case $kind in
					0 | 1 | 2)
						rnd $((live_hi - live_lo + 1)); p=$((live_lo + R)) ;;
					# in the default range, not the live one
					3) rnd 9999; p=$((51000 + R)) ;;
					4) rnd 20000; p=$((1024 + R)) ;; # below both
					5) rnd 4000; p=$((61000 + R)) ;; # above both
					*) rnd $((live_hi - live_lo - 4)); p=$((live_lo + R)) ;;
					esac
					q=$p
					[ "$kind" -ge 6 ] && { rnd 4; q=$((p + 1 + R)); }
					for ((k = p; k <= q; k++)); do
						[ -n "${used[$k]}" ] && continue 2
					done
					break
				done
				[ "$try" = 4 ] && continue
				for ((k = p; k <= q; k++)); do used[$k]=1; done
				[ "$printed" -gt 0 ] && printf ', '
				if [ "$p" = "$q" ]; then
					printf '%s' "$p"
				else
					printf '"%s-%s"' "$p" "$q"
				fi
				printed=$((printed + 1))
				svc_ports+="${svc_ports:+,}$p-$q"
			done
			if [ "$printed" = 0 ]; then
				# Out of luck with the draws: a port no draw makes.
				printf '%s' $((65000 + s))
				svc_ports=$((65000 + s))
			fi
			echo ']'
			rnd 6
			if [ "$R" = 0 ]; then
				echo "    reserve: false"
			else
				WANT+="${WANT:+,}$svc_ports"
			fi
			pick '' '' '' 'protocol: udp' 'protocol: [tcp, udp]'; proto=$REPLY
			[ -n "$proto" ] && echo "    $proto"
		done
		rnd 8
		case $R in
		0) policy=all; printf 'policy:\n  reserve: all\n' ;;
		1) policy=none; printf 'policy:\n  reserve: none\n' ;;
		*) policy=ephemeral ;;
		esac
	} >"$tmp/inventory.yaml"
}

# What a fresh network namespace holds after TOOL (systemd or procps) applies
# the tree, as "RESERVED|LO-HI".
boot() {
	unshare -n bash -c '
		if [ "$1" = systemd ]; then
			"$2" >/dev/null 2>&1
		else
			sysctl -q --system >/dev/null 2>&1
		fi
		read -r lo hi <"$4"
		printf "%s|%s-%s\n" "$(cat "$3")" "$lo" "$hi"' _ "$1" "$systemd_sysctl" \
		"$reserved_proc" "$range_proc"
}

show_tree() {
	local f
	for f in $(find $conf_dirs /etc/sysctl.conf \( -type f -o -type l \) | sort); do
		if [ -L "$f" ]; then
			echo "#   $f -> $(readlink "$f")"
		else
			echo "#   $f:"
			sed 's/^/#     /' "$f"
		fi
	done
	echo "#   inventory:"
	sed 's/^/#     /' "$tmp/inventory.yaml"
}

# Read the fix object of $1 into f_* variables.
read_fix() {
	eval "$(jq -r '.fix as $f | @sh "f_failed=\($f.failed) f_skipped=\($f.skipped // "")
		f_changed=\($f.changed) f_fchanged=\($f.fragment_changed) f_written=\($f.written)
		f_reserved=\($f.reserved // "-") f_desired=\($f.desired)
		f_before=\($f.live.before) f_after=\($f.live.after) f_lchanged=\($f.live.changed)
		f_applied=\($f.applied) f_exit=\(.summary.exit)
		f_sd=\([$f.overridden_by[] | select(.tool == "systemd-sysctl")
			| "\(.source):\(.line)"] | first // "")
		f_ps=\([$f.overridden_by[] | select(.tool == "sysctl --system")] | length)"' "$1")"
}

# check CONDITION-STATUS MESSAGE...: remember why a case failed.
check() {
	[ "$1" -eq 0 ] && return
	why+="# ${*:2}"$'\n'
}

mtime() {
	if [ -e "$frag" ] || [ -L "$frag" ]; then stat -c '%y %i %s' "$frag"; else echo none; fi
}

n_failed=0 n_written=0 n_masked=0 n_lower=0 n_kept_wide=0
plan $((5 * $(echo $seeds | wc -w)))
for seed in $seeds; do
	rnd_state=$seed
	why=
	build_tree || { echo "Bail out! cannot reset the tree"; exit 1; }
	rnd 12000; live_lo=$((30000 + R))
	rnd 8000; live_hi=$((live_lo + 500 + R))
	pick '' '' 'a' 'b'
	case $REPLY in
	a) rnd 60000; live_before=$(pset norm "$((1024 + R)),$((live_lo + 7))") ;;
	b) live_before="$((live_lo + 1))-$((live_lo + 3)),$live_hi" ;;
	*) live_before= ;;
	esac
	build_inventory
	n_masked=$((n_masked + masked)) n_lower=$((n_lower + lower_fragment))

	# The next boot under systemd-sysctl, before the fix.
	before_sd=$(boot systemd)
	# What the tree reserves at boot without portaudit's name, which a
	# fragment in /etc hides in the lower directories (sysctl.d(5)).
	baseline_hidden=$before_sd
	if [ "$lower_fragment" = 1 ] && [ "$masked" = 0 ]; then
		ln -s /dev/null "$frag"
		baseline_hidden=$(boot systemd)
		rm "$frag"
	fi

	# The fix, twice, in a network namespace of its own.
	ns_start -n || { echo "Bail out! cannot start a network namespace"; exit 1; }
	nsenter -t "$NS" -n bash -c 'ip link set lo up && echo "$1 $2" >"$3" && echo "$4" >"$5"' _ \
		"$live_lo" "$live_hi" "$range_proc" "$live_before" "$reserved_proc"
	check $? "cannot set the live values"
	nsenter -t "$NS" -n "$PORTAUDIT" --fix -f json -c "$tmp/inventory.yaml" \
		>"$tmp/fix1.json" 2>"$tmp/fix1.err"
	rc1=$?
	live1=$(nsenter -t "$NS" -n cat "$reserved_proc")
	stamp1=$(mtime)
	rm -f "$tmp/frag1"
	[ -f "$frag" ] && cp "$frag" "$tmp/frag1"
	temp_left=$(find /etc/sysctl.d -maxdepth 1 -name '*.tmp' | wc -l)
	nsenter -t "$NS" -n "$PORTAUDIT" --fix -f json -c "$tmp/inventory.yaml" \
		>"$tmp/fix2.json" 2>"$tmp/fix2.err"
	rc2=$?
	live2=$(nsenter -t "$NS" -n cat "$reserved_proc")
	stamp2=$(mtime)
	ns_stop "$NS"

	after_sd=$(boot systemd)
	after_ps=$(boot procps)
	winner=$(systemd_winner)
	baseline=${before_sd%|*}
	[ -e "$frag" ] && baseline=${baseline_hidden%|*}
	# D: the inventory's ports inside the live range or the range either tool
	# sets at the next boot, with the fix in place.
	case $policy in
	none) want_d= ;;
	all) want_d=$(pset norm "$WANT") ;;
	*) range=$(pset union "${after_sd#*|}" "${after_ps#*|}")
	   range=$(pset union "$range" "$live_lo-$live_hi")
	   want_d=$(pset inter "$WANT" "$range") ;;
	esac

	# 1. The run and its JSON.
	if ! read_fix "$tmp/fix1.json" 2>/dev/null; then
		check 1 "no fix object in the JSON (exit $rc1): $(head -c 300 "$tmp/fix1.err")"
		f_failed='' f_skipped=''
	fi
	case $rc1 in
	0 | 1) [ "$f_failed" = false ]; check $? "exit $rc1 but fix.failed is $f_failed" ;;
	3) [ "$f_failed" = true ]; check $? "exit 3 but fix.failed is $f_failed" ;;
	*) check 1 "exit $rc1: $(head -c 300 "$tmp/fix1.err")" ;;
	esac
	[ "$f_exit" = "$rc1" ]; check $? "summary.exit $f_exit, exit status $rc1"
	[ "$temp_left" = 0 ]; check $? "a temporary file was left in /etc/sysctl.d"
	if [ "$masked" = 1 ]; then
		[ "$f_skipped" = disabled ] && [ "$f_written" = false ] &&
			[ "$(readlink "$frag")" = /dev/null ]
		check $? "the /dev/null mask was not left alone (skipped '$f_skipped', written $f_written)"
	else
		[ -z "$f_skipped" ]; check $? "skipped '$f_skipped' without a mask"
		pset eq "$f_desired" "$want_d"
		check $? "fix.desired '$f_desired', the inventory asks for '$want_d' (policy $policy)"
		if [ -f "$tmp/frag1" ]; then
			n_written=$((n_written + 1))
			v=$(fragment_value "$tmp/frag1")
			check $? "the fragment is not one canonical assignment: $(cat "$tmp/frag1")"
			pset eq "$v" "$f_reserved"
			check $? "the fragment assigns '$v', fix.reserved is '$f_reserved'"
			pset subset "$want_d" "$v" >/dev/null
			check $? "the fragment '$v' lacks some of D '$want_d'"
		else
			[ -z "$want_d" ] && [ "$f_reserved" = - ] && [ "$f_written" = false ]
			check $? "no fragment, but D is '$want_d' and fix.reserved '$f_reserved'"
		fi
	fi
	ok "$([ -z "$why" ]; echo $?)" \
		"seed $seed: --fix exits $rc1, its JSON agrees, fix.desired is the inventory's"
	[ -n "$why" ] && { printf '%s' "$why"; show_tree; }
	why=

	# 2. The next boot under systemd-sysctl.
	booted=${after_sd%|*}
	if [ "$masked" = 1 ]; then
		[ "$after_sd" = "$before_sd" ]
		check $? "a disabled fix changed the boot: '$before_sd' -> '$after_sd'"
		what="the mask is left alone, the boot is unchanged"
	else
		missing=$(pset subset "$want_d" "$booted")
		if [ -n "$missing" ]; then
			n_failed=$((n_failed + 1))
			[ "$f_failed" = true ]
			check $? "systemd-sysctl leaves $missing of D unreserved, but fix.failed is $f_failed"
			[ "$f_sd" = "$winner" ]
			check $? "fix.overridden_by names '$f_sd', systemd-sysctl applies '$winner' last"
			what="fails and names $winner, which really wins"
		else
			[ "$f_failed" = false ]
			check $? "systemd-sysctl reserves all of D ($booted), but fix.failed is $f_failed"
			[ -z "$f_sd" ]
			check $? "fix.overridden_by names '$f_sd' for systemd-sysctl"
			lost=$(pset subset "$baseline" "$booted")
			check $? "the boot lost $lost, which the tree reserved before ($baseline)"
			if [ "$winner" = "$frag:5" ]; then
				pset eq "$booted" "$f_reserved"
				check $? "the fragment wins, but the boot reserves '$booted', not '$f_reserved'"
			elif [ -n "$want_d" ]; then
				n_kept_wide=$((n_kept_wide + 1))
			fi
			what="the boot reserves D and what the tree reserved"
		fi
	fi
	ok "$([ -z "$why" ]; echo $?)" "seed $seed: systemd-sysctl in a fresh netns: $what"
	[ -n "$why" ] && { printf '%s' "$why"; show_tree; }
	why=

	# 3. The live value.
	pset eq "$live1" "$f_after"
	check $? "the kernel holds '$live1', fix.live.after is '$f_after'"
	pset eq "$f_before" "$live_before"
	check $? "fix.live.before '$f_before', set '$live_before'"
	if [ "$masked" = 1 ]; then
		pset eq "$live1" "$live_before"; check $? "a disabled fix changed the live value"
	else
		pset eq "$f_after" "$(pset union "$live_before" "$want_d")"
		check $? "fix.live.after '$f_after' is not the live value '$live_before' ∪ D '$want_d'"
		[ "$f_applied" = true ]; check $? "fix.applied is $f_applied"
	fi
	ok "$([ -z "$why" ]; echo $?)" "seed $seed: the live value is fix.live.after = before ∪ D"
	[ -n "$why" ] && printf '%s' "$why"
	why=

	# 4. Idempotence.
	desired1=$f_desired reserved1=$f_reserved after1=$f_after
	if read_fix "$tmp/fix2.json" 2>/dev/null; then
		[ "$f_desired" = "$desired1" ] && [ "$f_reserved" = "$reserved1" ] &&
			[ "$f_after" = "$after1" ]
		check $? "desired '$desired1' -> '$f_desired', reserved '$reserved1' ->" \
			"'$f_reserved', live.after '$after1' -> '$f_after'"
		[ "$f_changed" = false ] && [ "$f_fchanged" = false ] && [ "$f_written" = false ] &&
			[ "$f_lchanged" = false ]
		check $? "changed $f_changed, fragment_changed $f_fchanged, written $f_written," \
			"live.changed $f_lchanged"
	else
		check 1 "no fix object in the second run's JSON (exit $rc2)"
	fi
	[ "$rc2" = "$rc1" ]; check $? "the second run exits $rc2, the first $rc1"
	[ "$stamp2" = "$stamp1" ]; check $? "the fragment went from '$stamp1' to '$stamp2'"
	if [ -f "$tmp/frag1" ]; then
		cmp -s "$tmp/frag1" "$frag"; check $? "the fragment's bytes changed"
	fi
	[ "$live2" = "$live1" ]; check $? "the live value went from '$live1' to '$live2'"
	ok "$([ -z "$why" ]; echo $?)" \
		"seed $seed: a second --fix changes nothing (changed: false, same bytes and mtime)"
	[ -n "$why" ] && { printf '%s' "$why"; show_tree; }
	why=

	# 5. procps "sysctl --system".
	if [ "$masked" = 1 ]; then
		what="not judged: the fragment is disabled"
	else
		missing=$(pset subset "$want_d" "${after_ps%|*}")
		if [ -n "$missing" ]; then
			[ "$f_ps" -gt 0 ]
			check $? "sysctl --system leaves $missing unreserved, fix.overridden_by does not say so"
			what="drops D, as fix.overridden_by says"
		else
			[ "$f_ps" = 0 ]
			check $? "sysctl --system reserves D, but fix.overridden_by lists it"
			what="reserves D, and fix.overridden_by does not list it"
		fi
	fi
	ok "$([ -z "$why" ]; echo $?)" "seed $seed: sysctl --system in a fresh netns $what"
	[ -n "$why" ] && { printf '%s' "$why"; show_tree; }
	why=
done
echo "# $n_written fragments written, $n_failed fixes overridden at boot," \
	"$n_kept_wide won by a later file that keeps D, $n_masked fragments masked with /dev/null," \
	"$n_lower trees with $(basename "$frag") in a lower directory"
done_testing
