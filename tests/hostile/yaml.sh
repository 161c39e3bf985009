#!/bin/bash
# Huge and deeply nested YAML inventories: a clear error within bounded time
# (20 s) and peak RSS (256 MiB), measured by runlimit.  The loader's limits
# (include/portaudit/inventory.h): a file of at most 4 MiB, refused before it
# is read; nesting at most 4 levels; no anchors, aliases or tags; at most 8192
# services.  Covered:
#   - 50 MB of comments, 1e6 services (27 MB), a 10 MB scalar: refused by size;
#   - a 4,000,000-byte scalar inside the limit: one error quoting its start;
#   - 8193 services: refused at the 8193rd, FILE:LINE:COLUMN;
#   - 8192 services, each a port in the ephemeral range: accepted, and the JSON
#     audit of a --root tree stays within the bounds;
#   - 100,000 levels of '[' and of '{', 2000 levels of block mappings;
#   - "billion laughs" (nine levels of ten aliases) and 100,000 aliases of one
#     anchor: refused at the first anchor, at most 20 errors and "too many";
#   - a 2000-byte simple key: a syntax error with line and column.
# Every error is exit 2, nothing on stdout, lines "FILE:LINE:COLUMN: message"
# (or "FILE: message" for the whole file), and nothing written.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp yaml
plan 42

w=$tmp/w
mkdir "$w" || exit 1
cd "$w" || exit 1

# check NAME WHAT FIRST-LINE-REGEX MAX-LINES: run -c NAME and check the result.
check() {
	local f=$1 what=$2 want=$3 max=$4 before n
	chmod 0644 "$f"
	before=$(tree_state "$w")
	run_pa "$tmp/out" "$tmp/err" -c "$f" --print-inventory
	n=$(lines "$tmp/err")
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$n" -ge 1 ] && [ "$n" -le "$max" ] &&
		head -n 1 "$tmp/err" | grep -qE -- "$want"; then
		ok 0 "$what: exit 2, $n line(s), the first as expected"
	else
		ok 1 "$what: exit 2, at most $max line(s), the first as expected"
		echo "# exit $rc; stdout $(wc -c <"$tmp/out") bytes; want: $want; stderr:"
		head -n 3 "$tmp/err" | cut -c 1-200 | sed 's/^/#   /'
	fi
	within_limits "$what"
	is "$(tree_state "$w")" "$before" "$what: nothing written"
}

# Every line of the last run's stderr is "NAME:LINE:COLUMN: ..." or the "too many" line.
all_positioned() {
	local too_many='^portaudit: too many errors, stopped after the first 20$'
	! grep -vE "^$(re "$1"):[0-9]+:[0-9]+: |$too_many" "$tmp/err" | grep -q .
}

too_big=": file is larger than 4194304 bytes, too large for an inventory$"
# repeat COUNT CHAR: CHAR COUNT times.
repeat() {
	head -c "$1" /dev/zero | tr '\0' "$2"
}

{ printf 'version: 1\nservices:\n'; repeat 52428800 '#'; echo; } >comments.yaml
check comments.yaml "50 MB of comments" "^comments\\.yaml$too_big" 1
[ "$rss" -lt 16384 ]
ok $? "50 MB of comments: refused before reading ($rss KiB peak RSS)"
# Each file is removed after its case, so that the next one checksums less.
rm comments.yaml

awk 'BEGIN { print "version: 1"; print "services:"
	for (i = 0; i < 1000000; i++)
		printf "  s%d: {ports: [%d]}\n", i, i % 65535 + 1 }' >million.yaml
check million.yaml "1e6 services" "^million\\.yaml$too_big" 1
rm million.yaml

{ printf 'version: 1\nservices:\n  web: {ports: ['; repeat 10485760 x; echo ']}'; } >scalar10m.yaml
check scalar10m.yaml "a 10 MB scalar" "^scalar10m\\.yaml$too_big" 1
rm scalar10m.yaml

{ printf 'version: 1\nservices:\n  web: {ports: ['; repeat 4000000 x; echo ']}'; } >scalar4m.yaml
check scalar4m.yaml "a 4,000,000-byte scalar" \
	"^scalar4m.yaml:3:17: unknown service name 'x{64}\.\.\.' for tcp \(not in /etc/services" 1
rm scalar4m.yaml

awk 'BEGIN { print "version: 1"; print "services:"
	for (i = 0; i < 8193; i++) printf "  s%d: {ports: [%d]}\n", i, i + 1 }' >s8193.yaml
check s8193.yaml "8193 services" \
	"^s8193.yaml:8195:3: more than 8192 services in the inventory \(list a service's ports" 1

# The largest inventory accepted, audited: each service an error and an info.
t=$tmp/tree
base_tree "$t"
awk 'BEGIN { print "version: 1"; print "services:"
	for (i = 0; i < 8192; i++) printf "  s%d: {ports: [%d]}\n", i, 41000 + i }' \
	>"$t/etc/portaudit/inventory.yaml"
run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
is "$rc:$(jq -c '[.summary.error, .summary.info, .summary.total]' "$tmp/out")" \
	"1:[8192,8192,16384]" \
	"8192 services in the ephemeral range: exit 1, an error and an info for each"
within_limits "8192 services, JSON audit"

printf 'version: 1\nservices: ' >deep-seq.yaml
{ repeat 100000 '['; repeat 100000 ']'; echo; } >>deep-seq.yaml
check deep-seq.yaml "100,000 levels of '['" \
	"^deep-seq.yaml:2:11: expected a mapping of service names for 'services', got a list$" 2
too_deep='nesting deeper than the inventory schema allows (4 levels)'
grep -qx "deep-seq.yaml:2:14: $too_deep" "$tmp/err"
ok $? "100,000 levels of '[': cut at the fifth level, line 2, column 14"

printf 'version: 1\nservices: ' >deep-map.yaml
{ repeat 100000 '{'; repeat 100000 '}'; echo; } >>deep-map.yaml
check deep-map.yaml "100,000 levels of '{'" "^deep-map.yaml:2:1[0-9]: " 2
grep -qx "deep-map.yaml:2:1[0-9]: $too_deep" "$tmp/err"
ok $? "100,000 levels of '{': cut at the fifth level"

awk 'BEGIN { print "version: 1"; print "services:"
	for (i = 0; i < 2000; i++) printf "%*sa%d:\n", i + 1, "", i }' >deep-block.yaml
check deep-block.yaml "2000 levels of block mappings" \
	"^deep-block.yaml:4:3: unknown key 'a1' in service 'a0'" 2
grep -qx "deep-block.yaml:6:5: $too_deep" "$tmp/err"
ok $? "2000 levels of block mappings: cut at the fifth level, line 6, column 5"

awk 'BEGIN { print "version: 1"
	printf "lol0: &a0 [lol"; for (j = 1; j < 10; j++) printf ", lol"; print "]"
	for (i = 1; i < 10; i++) {
		printf "lol%d: &a%d [", i, i
		for (j = 0; j < 10; j++) printf "%s*a%d", j ? ", " : "", i - 1
		print "]"
	} }' >laughs.yaml
check laughs.yaml "billion laughs" "^laughs.yaml:2:1: unknown key 'lol0' in the inventory" 21
grep -qx "laughs.yaml:2:7: YAML anchors are not allowed in an inventory ('&a0')" "$tmp/err" &&
	all_positioned laughs.yaml
ok $? "billion laughs: the first anchor is an error at 2:7, every line positioned"

awk 'BEGIN { print "version: 1"; print "services:"; print "  web: &w {ports: [1]}"
	for (i = 0; i < 100000; i++) printf "  s%d: *w\n", i }' >aliases.yaml
check aliases.yaml "100,000 aliases of one anchor" \
	"^aliases.yaml:3:8: YAML anchors are not allowed in an inventory \('&w'\)$" 21
[ "$(tail -n 1 "$tmp/err")" = "portaudit: too many errors, stopped after the first 20" ] &&
	all_positioned aliases.yaml
ok $? "100,000 aliases: twenty positioned errors, then 'too many errors'"

{ printf 'version: 1\nservices:\n  '; repeat 2000 k; printf ': {ports: [1]}\n'; } >longkey.yaml
check longkey.yaml "a 2000-byte simple key" "^longkey.yaml:3:3: " 2
tail -n 1 "$tmp/err" | grep -qE '^longkey.yaml:3:2003: YAML syntax error: '
ok $? "a 2000-byte simple key: a syntax error at its end, line 3, column 2003"

done_testing
