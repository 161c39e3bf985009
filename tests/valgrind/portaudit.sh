#!/bin/bash
# The portaudit binary under valgrind memcheck (issue 9), run by
# 'make check-valgrind' (tests/valgrind/Makemodule.am), which puts the memcheck
# command line in PA_MEMCHECK.  Representative runs: audits of the golden --root
# trees as text and JSON, --fix --dry-run and a real --fix on a tree,
# --print-inventory, --snapshot, inventory errors (exit 2, the error paths), and
# as root a live audit in a network namespace of the test's own (netlink, the
# owner lookup).  Each run must leave memcheck silent ("ERROR SUMMARY: 0
# errors", which counts the leak kinds of VALGRIND_FLAGS) and behave exactly as
# it does without valgrind: the golden files where there are some, else the
# same binary run natively on an identical copy.
. "$abs_top_srcdir/tests/lib/tap.sh"

if [ -z "${PA_MEMCHECK:-}" ]; then
	echo "Bail out! PA_MEMCHECK is not set: run 'make check-valgrind'"
	exit 1
fi
read -r -a memcheck <<<"$PA_MEMCHECK"
golden=$abs_top_srcdir/tests/golden
work=$abs_top_builddir/tests/valgrind/tmp
pids=
in_ns=()
cleanup() {
	local p
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
rm -rf "$work"
mkdir -p "$work/vg" || exit 1

# tree CASE DEST: a copy of a golden case's tree with its symlinks planted
# (tests/golden/run.sh: make dist would follow them).
tree() {
	cp -R "$golden/$1/tree" "$2" && chmod -R u+w "$2" || return 1
	[ -f "$golden/$1/links" ] || return 0
	while read -r link target; do
		[ -n "$link" ] || continue
		mkdir -p "$(dirname "$2/$link")"
		ln -s "$target" "$2/$link"
	done <"$golden/$1/links"
}

# vg NAME ARGS...: portaudit ARGS under memcheck; stdout, stderr and the exit
# status in $work/NAME.{out,err,rc}, memcheck's own report in $work/vg/NAME.*.
vg() {
	local name=$1
	shift
	NO_COLOR=1 "${in_ns[@]}" "${memcheck[@]}" --log-file="$work/vg/$name.%p" "$PORTAUDIT" "$@" \
		>"$work/$name.out" 2>"$work/$name.err"
	echo $? >"$work/$name.rc"
}

# native NAME ARGS...: the same without valgrind, into $work/NAME.native.*.
native() {
	local name=$1
	shift
	NO_COLOR=1 "${in_ns[@]}" "$PORTAUDIT" "$@" \
		>"$work/$name.native.out" 2>"$work/$name.native.err"
	echo $? >"$work/$name.native.rc"
}

# clean NAME: memcheck found nothing in any process of run NAME (its logs say
# so; on failure they are shown).
clean() {
	local f bad=0 n=0
	for f in "$work/vg/$1".*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$f" || bad=1
	done
	[ "$n" -gt 0 ] && [ "$bad" = 0 ] && [ "$(cat "$work/$1.rc")" != 99 ]
	ok $? "$1: memcheck: no errors, no leaks"
	if [ "$n" = 0 ] || [ "$bad" = 1 ]; then
		cat "$work/vg/$1".* 2>/dev/null | sed 's/^/# /'
	else
		cat "$work/vg/$1".* | sed -n 's/^==[0-9]*== *\(in use at exit\|ERROR SUMMARY\)/# \1/p'
	fi
}

# same_as_native NAME [SED-EXPR]: output, errors and status equal the native
# run's (SED-EXPR maps the native copy's paths to the memcheck copy's).
same_as_native() {
	local e=${2:-s/^//} f
	for f in out err rc; do
		sed -e "$e" "$work/$1.native.$f" | diff -u - "$work/$1.$f" >"$work/$1.$f.diff" || {
			ok 1 "$1: the same $f as without valgrind"
			sed 's/^/# /' "$work/$1.$f.diff"
			return
		}
	done
	ok 0 "$1: the same output, errors and exit status as without valgrind"
}

cases="problems discovery fix-dry-run clean"
bad="01-empty 22-unknown-service-name 28-port-claimed-twice 42-anchor 46-flow-unclosed
	52-nul-byte 53-billion-laughs 57-yaml11-octal-range"
live=
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v nsenter >/dev/null &&
	command -v ip >/dev/null && unshare -n true 2>/dev/null &&
	[ -x "$abs_top_builddir/tests/owners/sockhold" ]; then
	live=1
fi
plan $(($(wc -w <<<"$cases") * 4 + 6 + 6 + $(wc -w <<<"$bad") * 2 + 2 + 6))

# The golden cases, text and JSON: the expected files of tests/golden/run.sh.
version=$("$PORTAUDIT" --version | sed 's/^portaudit //')
for c in $cases; do
	root=$work/$c
	tree "$c" "$root" || exit 1
	mapfile -t args <"$golden/$c/args"
	for form in text json; do
		vg "$c-$form" --root "$root" --format "$form" "${args[@]}"
		clean "$c-$form"
		ext=$form
		[ "$form" = text ] && ext=txt
		sed -e "s|$root|@ROOT@|g" -e "s|portaudit $version|portaudit @VERSION@|" \
			-e "s|\"portaudit\": \"$version\"|\"portaudit\": \"@VERSION@\"|" \
			"$work/$c-$form.out" | diff -u "$golden/$c/expected.$ext" - >"$work/$c-$form.diff"
		[ -s "$work/$c-$form.diff" ] && sed 's/^/# /' "$work/$c-$form.diff"
		is "$(cat "$work/$c-$form.rc"):$(wc -c <"$work/$c-$form.diff"):$(cat "$work/$c-$form.err")" \
			"$(cat "$golden/$c/expected.rc"):0:" \
			"$c-$form: the golden report and exit status, nothing on stderr"
	done
done

# --fix for real on a tree (fragment written atomically, the live value not
# under --root), then again: nothing to change.
tree fix-dry-run "$work/fix-vg" && tree fix-dry-run "$work/fix-native" || exit 1
to_vg="s|$work/fix-native|$work/fix-vg|g"
for run in fix-1 fix-2; do
	vg "$run" --root "$work/fix-vg" --fix --format json
	native "$run" --root "$work/fix-native" --fix --format json
	clean "$run"
	same_as_native "$run" "$to_vg"
done
changed() { jq -r .fix.changed "$work/$1.out"; }
is "$(changed fix-1):$(changed fix-2)" true:false \
	"the first --fix changed the tree, the second nothing"
cmp -s "$work/fix-vg/etc/sysctl.d/99-zz-portaudit.conf" \
	"$work/fix-native/etc/sysctl.d/99-zz-portaudit.conf"
ok $? "and wrote the same fragment as without valgrind"

# --print-inventory (discovery) and --snapshot of a sysctl.d fixture and of a
# tree captured from a real host.
vg print-inventory --root "$work/discovery" --print-inventory
native print-inventory --root "$work/discovery" --print-inventory
clean print-inventory
same_as_native print-inventory
for t in sysctld captured-debian12; do
	vg "snapshot-$t" --root "$abs_top_srcdir/tests/fixtures/$t" --snapshot
	native "snapshot-$t" --root "$abs_top_srcdir/tests/fixtures/$t" --snapshot
	clean "snapshot-$t"
	same_as_native "snapshot-$t"
done

# Inventory errors: exit 2 and the first error line its .expected file names;
# then all of them at once, past the error limit.
mkdir "$work/bad" || exit 1
for f in "$abs_top_srcdir"/tests/inventory/bad/*.yaml; do
	cp "$f" "$work/bad/" && chmod 0644 "$work/bad/${f##*/}"
done
all=()
for f in "$work"/bad/*.yaml; do all+=(-c "${f##*/}"); done
cd "$work/bad" || exit 1
for b in $bad; do
	vg "bad-$b" --root "$work/clean" -c "$b.yaml"
	clean "bad-$b"
	is "$(cat "$work/bad-$b.rc"):$(wc -c <"$work/bad-$b.out"):$(head -n 1 "$work/bad-$b.err")" \
		"2:0:$(cat "$abs_top_srcdir/tests/inventory/bad/$b.expected")" \
		"bad-$b: exit 2, nothing on stdout, the expected first error"
done
vg bad-all --root "$work/clean" "${all[@]}"
clean bad-all
is "$(cat "$work/bad-all.rc"):$(tail -n 1 "$work/bad-all.err")" \
	"2:portaudit: too many errors, stopped after the first 20" \
	"bad-all: every bad file at once stops at the error limit"
cd "$work" || exit 1

# Live, in a network namespace of the test's own: a listener (sockhold, inside
# the namespace's ephemeral range) that the inventory gives another process
# name, so the audit reads sockets over netlink and looks up the owner.
if [ -z "$live" ]; then
	for _ in 1 2 3 4 5 6; do
		ok 0 "# SKIP live audit: needs root, unshare, nsenter, ip and sockhold"
	done
else
	port=40123
	unshare -n "$abs_top_builddir/tests/owners/sockhold" "$port" >"$work/hold" 2>&1 &
	hold=$!
	pids="$pids $hold"
	for _ in $(seq 50); do
		grep -q inode "$work/hold" 2>/dev/null && break
		sleep 0.1
	done
	nsenter -t "$hold" -n ip link set lo up
	printf 'version: 1\nservices:\n  held:\n    ports: [%s]\n    process: not-sockhold\n' \
		"$port" >"$work/live.yaml"
	chmod 0644 "$work/live.yaml"
	in_ns=(nsenter -t "$hold" -n)
	for form in text json; do
		vg "live-$form" -c "$work/live.yaml" --format "$form"
		native "live-$form" -c "$work/live.yaml" --format "$form"
		clean "live-$form"
		same_as_native "live-$form"
	done
	in_ns=()
	jq -r '.findings[] | "\(.id) \(.port)"' "$work/live-json.out" | grep -qx "unexpected-owner $port"
	ok $? "live: the listener was found and its owner looked up (unexpected-owner)"
	grep -q sockhold "$work/live-text.out"
	ok $? "live: the text report names the owner"
	kill -KILL "$hold" 2>/dev/null
	wait "$hold" 2>/dev/null
	pids=
fi

done_testing
