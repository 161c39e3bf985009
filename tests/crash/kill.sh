#!/bin/bash
# Crash consistency of portaudit --fix under kill -9 (issue 9), each case in
# mount and network namespaces of its own:
#   fresh, replace (the start states of tests/crash/lib.sh):
#     random   SIGKILL after a random delay spread evenly over the time a run
#              takes (measured first), every other one over its second half
#              and a bit beyond, where the write path is, until 125 runs are
#              killed;
#     targeted SIGKILL from strace at the entry of each call of its write path
#              in turn (-e inject=CALL:signal=KILL:when=N): the state left must
#              be exactly the one of that point (the live value is new once
#              its write returned, the temporary file exists from its creation
#              to its rename, the fragment is new after it);
#     after every kill the fragment is the old or the new file byte for byte,
#     the live value the old or the new set, the fragment never new while the
#     live value is old, and a plain --fix then leaves exactly the new state;
#   lock: a run waiting for the lock is killed, and the holder finishes; the
#     holder is killed while a run waits, and the waiting run finishes.
# Counts of kills per kind go to the TAP comments; CRASH_SEED repeats the
# random delays.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/crash/lib.sh"
# Under ASan the runtime makes system calls of its own (its start, its reports),
# which the traced write path would then include and the injected faults and
# kills would hit: this test is of the production binary, in the normal pass.
grep -q __asan_init "$PORTAUDIT" &&
	skip_all "an ASan build: its runtime's own system calls would be the targets"

random_kills=125
lock_rounds=5

if [ "$1" != --case ]; then
	crash_preflight
	tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-crash-kill-XXXXXX") || exit 1
	export tmp
	trap 'crash_case_stop; rm -rf "$tmp"' EXIT
	trap 'exit 1' INT TERM
	CRASH_SEED=${CRASH_SEED:-$((SRANDOM % 1000000))}
	export CRASH_SEED
	plan 11
	echo "# CRASH_SEED=$CRASH_SEED"
	t0=$SECONDS
	crash_case fresh
	crash_case replace
	crash_case lock
	total=0
	while read -r what n; do
		echo "# $what: $n kills"
		total=$((total + n))
	done <"$tmp/totals"
	echo "# $total runs killed with SIGKILL in all, $((SECONDS - t0)) s"
	done_testing
fi

# --- one case, in namespaces of its own ------------------------------------------

name=$2
crash_case_enter "$name"
crash_inventories
RANDOM=$((CRASH_SEED + ${#name}))

# The state after a kill (observe() first): the old or the new file and set,
# never the new fragment with the old live value (the live value is written
# first, so that the old fragment still records what is to be released).
# Prints what is wrong.
after_kill() {
	consistent && ! { [ "$frag_state" = new ] && [ "$live_state" = old ]; } && return 0
	echo " frag=$frag_state live=$live_state ($live_value) temp=$temp_state;"
	return 1
}

# A plain --fix after a kill: exit 0 or 1 and exactly the new state.
next_run() {
	local rc
	"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out2.$name" 2>&1
	rc=$?
	observe
	is_0_or_1 "$rc" && complete && return 0
	echo " the next run: exit $rc, frag=$frag_state live=$live_state ($live_value) temp=$temp_state;"
	return 1
}

# killer's verdict $1 ("killed US", "exit STATUS US" or "signal N US") in how, status, us.
verdict() {
	read -r how status us <<<"$1"
	if [ "$how" = killed ]; then
		us=$status status=''
	fi
}

if [ "$name" = lock ]; then
	state_fresh
	old_inv_frag=''
	fragment_text old_inv_frag "$old_set"
	old_inv_live=$(live_after "$old_live" "" "" "$old_set")
	[ "$(live_after "$old_inv_live" "$old_set" "" "$new_set")" = "$new_live" ] ||
		bail "lock: the state after the holder does not lead to the new one"

	# holder SECONDS: start a --fix of the old inventory under strace, each of
	# whose flock(2) returns SECONDS late (so the one that takes the lock holds
	# it that long), and wait until /proc/locks shows it holding the lock: then
	# holder is strace's pid and tracee the run's.  Looks, never tries the lock
	# itself, which would get in the way.
	holder() {
		local i line pid id
		strace -f -o /dev/null -e "inject=flock:delay_exit=$(($1 * 1000000))" \
			"$PORTAUDIT" --fix -c "$old_inv" >"$tmp/holder.out" 2>&1 &
		holder=$!
		crash_bg_pids+=" $holder"
		tracee=''
		for ((i = 0; i < 500; i++)); do
			if [ -e /run/portaudit.lock ]; then
				id=$(stat -c '%Hd %Ld %i' /run/portaudit.lock | {
					read -r ma mi ino; printf '%02x:%02x:%s' "$ma" "$mi" "$ino"; })
				while read -r _ type _ mode pid line; do
					[ "$type/$mode/${line%% *}" = "FLOCK/WRITE/$id" ] || continue
					# The lock is the run's, strace's child.
					[ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = "$holder" ] &&
						tracee=$pid && return 0
				done </proc/locks
			fi
			sleep 0.01
		done
		return 1
	}

	# Whether the run $1 is alive and waiting: the holder's run still has the lock.
	waiting() {
		kill -0 "$1" 2>/dev/null && kill -0 "$tracee" 2>/dev/null &&
			grep -q " FLOCK .* WRITE $tracee " /proc/locks
	}

	# 1. The waiting run is killed (killer, 150-450 ms after it starts); the
	# holder, holding the lock for 1 s, finishes alone with the old inventory's
	# state; then a run of the new inventory completes.
	bad='' kills=0
	for ((round = 0; round < lock_rounds; round++)); do
		restore_start
		why=''
		holder 1 || why+=" the holder never took the lock;"
		"$killer" $((150000 + RANDOM % 300000)) "$PORTAUDIT" --fix -c "$new_inv" \
			>"$tmp/killer.out" 2>/dev/null &
		killer_pid=$!
		crash_bg_pids+=" $killer_pid"
		sleep 0.1
		# killer's child, the waiting run.
		waiter=$(cat "/proc/$killer_pid/task/$killer_pid/children" 2>/dev/null)
		waiting "${waiter:-0}" || why+=" the second run was not waiting;"
		wait "$killer_pid"
		crash_bg_pids=${crash_bg_pids/ $killer_pid/}
		verdict "$(cat "$tmp/killer.out")"
		wait "$holder"
		rc=$?
		crash_bg_pids=${crash_bg_pids/ $holder/}
		[ "$how" = killed ] && kills=$((kills + 1))
		frag_now=''
		slurp frag_now "$frag"
		read -r live_now <"$reserved_proc"
		[ "$how" = killed ] || why+=" the waiting run was not killed ($how $status);"
		is_0_or_1 "$rc" && [ "$frag_now" = "$old_inv_frag" ] && [ "$live_now" = "$old_inv_live" ] &&
			[ ! -e "$frag_temp" ] ||
			why+=" the holder: exit $rc, live $live_now;"
		# From the holder's state the new one: live_after() gives the same set.
		why+=$(next_run)
		[ -n "$why" ] && bad+="#   round $round:$why"$'\n'
	done
	[ -z "$bad" ]
	ok $? "lock: $kills runs killed while waiting for the lock; each time the holder finished alone, and the next run completed"
	printf '%s' "$bad"
	echo "lock-waiting $kills" >>"$tmp/totals"

	# 2. The holder's run is killed (kill -9 by its pid) while a second run
	# waits: the second run takes the lock and leaves exactly the new state.
	bad='' kills=0
	for ((round = 0; round < lock_rounds; round++)); do
		restore_start
		why=''
		holder 10 || why+=" the holder never took the lock;"
		"$PORTAUDIT" --fix -c "$new_inv" >"$tmp/waiter.out" 2>&1 &
		waiter=$!
		crash_bg_pids+=" $waiter"
		sleep "0.$((5 + RANDOM % 10))"
		waiting "$waiter" || why+=" the second run was not waiting;"
		if [ -n "$tracee" ] && kill -KILL "$tracee"; then
			kills=$((kills + 1))
		else
			why+=" the holder could not be killed;"
		fi
		# strace would sit out its delay before it noticed; it has nothing left to do.
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
		crash_bg_pids=${crash_bg_pids/ $holder/}
		wait "$waiter"
		rc=$?
		crash_bg_pids=${crash_bg_pids/ $waiter/}
		observe
		is_0_or_1 "$rc" && complete ||
			why+=" the waiting run: exit $rc, frag=$frag_state live=$live_state temp=$temp_state;"
		[ -n "$why" ] && bad+="#   round $round:$why"$'\n'
	done
	[ -z "$bad" ]
	ok $? "lock: $kills holders killed with the lock while another run waited; each time the waiting run took it and left exactly the new state"
	printf '%s' "$bad"
	echo "lock-holding $kills" >>"$tmp/totals"
	exit 0
fi

state_"$name"

# --- random kills -------------------------------------------------------------------

t_random=$SECONDS
# How long a plain run takes here, from the fork to its exit: the third
# shortest of eight, so that most delays fall inside a run even on a host
# whose run times vary a lot.
times=()
for ((i = 0; i < 8; i++)); do
	restore_start
	verdict "$("$killer" 10000000 "$PORTAUDIT" --fix -c "$new_inv" 2>/dev/null)"
	times+=("$us")
done
run_us=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
span=$run_us
echo "# $name: a plain --fix takes $run_us us here (of $(printf '%s\n' "${times[@]}" | sort -n |
	tr '\n' ' ')); kills are asked for in 0-$span us and $((span / 2))-$((span * 6 / 5)) us"

declare -A seen
bins=(0 0 0 0 0)
bad='' kills=0 exited=0 attempts=0 last_old=0 first_new=999999999 n_new=0
# Until enough kills (run times vary a lot on a busy host, and so does the
# share of runs killed), within a bound.  Where the kills fall is only
# reported: the targeted kills below stop the run at every point for sure.
while [ "$kills" -lt "$random_kills" ] && [ "$attempts" -lt $((4 * random_kills)) ]; do
	attempts=$((attempts + 1))
	restore_start
	# Every other delay falls near the end, where the write path is.
	r=$((RANDOM * 32768 + RANDOM))
	if ((attempts % 2)); then
		delay=$((r % span))
	else
		delay=$((span / 2 + r % (span * 7 / 10)))
	fi
	verdict "$("$killer" "$delay" "$PORTAUDIT" --fix -c "$new_inv" 2>/dev/null)"
	observe
	why=''
	case $how in
	killed)
		kills=$((kills + 1))
		# When the kill came (killer's clock, later than asked on a busy host).
		bin=$((us * 5 / span))
		[ "$bin" -le 4 ] || bin=4
		bins[bin]=$((bins[bin] + 1))
		seen[$frag_state/$live_state/$temp_state]=$((${seen[$frag_state/$live_state/$temp_state]:-0} + 1))
		# The phases in time: the last kill before the live write, the first after.
		if [ "$live_state" = old ] && [ "$us" -gt "$last_old" ]; then
			last_old=$us
		elif [ "$live_state" = new ] && [ "$us" -lt "$first_new" ]; then
			first_new=$us
		fi
		[ "$live_state" = new ] && n_new=$((n_new + 1))
		why+=$(after_kill) ;;
	exit)
		exited=$((exited + 1))
		{ is_0_or_1 "$status" && complete; } ||
			why+=" finished first with exit $status, frag=$frag_state live=$live_state temp=$temp_state;" ;;
	*)
		why+=" $how $status;" ;;
	esac
	why+=$(next_run)
	[ -n "$why" ] && bad+="#   SIGKILL after $delay us:$why"$'\n'
done
[ -z "$bad" ]
ok $? "$name: $kills runs killed after a random delay ($exited of $attempts finished first): each left the old or the new state, and the next run completed"
printf '%s' "$(head -n 5 <<<"$bad")"
[ -n "$bad" ] && echo
for s in "${!seen[@]}"; do
	echo "# $name: state frag/live/temp after a kill: $s ${seen[$s]} times"
done
echo "# $name: kills by fifth of a run's median time (the last one: later): ${bins[*]};" \
	"the live value was still old at $last_old us and already new at $first_new us"
[ "$kills" -ge "$random_kills" ]
ok $? "$name: $kills random kills in $attempts runs, $n_new of them after the live write and $((kills - n_new)) before it"

# --- kills at the entry of each call of the write path ---------------------------

t_random=$((SECONDS - t_random)) t_targeted=$SECONDS
# strace delivers SIGKILL when the run enters the call (-e inject=CALL:signal=KILL:when=N):
# it dies there, the call never made, as a kill -9 at that very point would leave it.
restore_start
strace -f -o "$tmp/trace.$name" "$PORTAUDIT" --fix -c "$new_inv" >"$tmp/out.$name" 2>&1
trace_targets "$tmp/trace.$name" >"$tmp/targets.$name"
bad='' targeted=0 phases=''
while read -r sc occ _ _ k_frag k_live k_temp call; do
	restore_start
	verdict "$("$killer" 100000000 strace -f -o /dev/null -e "inject=$sc:signal=KILL:when=$occ" \
		"$PORTAUDIT" --fix -c "$new_inv" 2>/dev/null)"
	observe
	# What the trace says the run has done before this call.
	[ "$k_frag" = old ] && [ -n "$old_frag_absent" ] && k_frag=absent
	[ "$k_temp" = start ] && k_temp=$([ -n "$stale_temp" ] && echo stale || echo none)
	why=''
	# strace dies of the signal its tracee died of.
	[ "$how/$status" = signal/9 ] || why+=" not killed ($how $status);"
	why+=$(after_kill)
	[ "$frag_state/$live_state/$temp_state" = "$k_frag/$k_live/$k_temp" ] ||
		why+=" left $frag_state/$live_state/$temp_state, the trace says $k_frag/$k_live/$k_temp;"
	why+=$(next_run)
	targeted=$((targeted + 1))
	case " $phases " in
	*" $k_frag/$k_live/$k_temp "*) ;;
	*) phases+=" $k_frag/$k_live/$k_temp" ;;
	esac
	[ -n "$why" ] && bad+="#   at $sc #$occ ($call):$why"$'\n'
done <"$tmp/targets.$name"
[ -z "$bad" ] && [ "$targeted" -gt 0 ]
ok $? "$name: $targeted runs killed at the entry of each write-path call: each left exactly the state of that point (frag/live/temp:$phases), and the next run completed"
printf '%s' "$bad"
echo "$name-random $kills" >>"$tmp/totals"
echo "# $name: $t_random s of random kills, $((SECONDS - t_targeted)) s of targeted ones"
echo "$name-targeted $targeted" >>"$tmp/totals"
