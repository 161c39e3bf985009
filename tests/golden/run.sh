#!/bin/bash
# Golden tests (STYLE.md "Fixture trees for every reader"): each case is a --root
# tree with an expected text report, JSON report and exit status.  The tree is
# copied under the build directory first, because the symlinks a case needs
# (/proc/PID/fd/N -> socket:[INODE]) are planted from its "links" file: make dist
# would follow them.  The root's path is written @ROOT@ in the expected files,
# the program's version @VERSION@.
#
# After a deliberate change of the output, regenerate and review the diff:
#   GOLDEN_UPDATE=1 make check TESTS=tests/golden/run.sh
. "$abs_top_srcdir/tests/lib/tap.sh"

golden="$abs_top_srcdir/tests/golden"
work="$abs_top_builddir/tests/golden/tmp"
cases=$(cd "$golden" && for d in */; do [ -d "$d/tree" ] && echo "${d%/}"; done)

plan $(($(echo "$cases" | wc -w) * 5 + 12))

version=$("$PORTAUDIT" --version | sed 's/^portaudit //')
rm -rf "$work"
mkdir -p "$work"
for c in $cases; do
	root="$work/$c"
	cp -R "$golden/$c/tree" "$root"
	chmod -R u+w "$root"
	if [ -f "$golden/$c/links" ]; then
		while read -r link target; do
			[ -n "$link" ] || continue
			mkdir -p "$(dirname "$root/$link")"
			ln -s "$target" "$root/$link"
		done <"$golden/$c/links"
	fi
	mapfile -t args <"$golden/$c/args"

	for form in text json; do
		NO_COLOR=1 "$PORTAUDIT" --root "$root" --format "$form" "${args[@]}" \
			>"$work/$c.$form" 2>"$work/$c.$form.err"
		echo $? >"$work/$c.$form.rc"
		sed -i -e "s|$root|@ROOT@|g" -e "s|portaudit $version|portaudit @VERSION@|" \
			-e "s|\"portaudit\": \"$version\"|\"portaudit\": \"@VERSION@\"|" \
			"$work/$c.$form" "$work/$c.$form.err"
	done
	if [ -n "$GOLDEN_UPDATE" ]; then
		cp "$work/$c.text" "$golden/$c/expected.txt"
		cp "$work/$c.json" "$golden/$c/expected.json"
		cp "$work/$c.text.rc" "$golden/$c/expected.rc"
	fi

	diff -u "$golden/$c/expected.txt" "$work/$c.text" >"$work/$c.text.diff"
	ok $? "$c: text report as expected"
	[ -s "$work/$c.text.diff" ] && sed 's/^/# /' "$work/$c.text.diff"
	diff -u "$golden/$c/expected.json" "$work/$c.json" >"$work/$c.json.diff"
	ok $? "$c: JSON report as expected"
	[ -s "$work/$c.json.diff" ] && sed 's/^/# /' "$work/$c.json.diff"
	is "$(cat "$work/$c.text.rc")" "$(cat "$golden/$c/expected.rc")" "$c: exit status of the text run"
	is "$(cat "$work/$c.json.rc")" "$(cat "$golden/$c/expected.rc")" "$c: the same exit status with --format json"
	is "$(cat "$work/$c.text.err" "$work/$c.json.err")" "" "$c: nothing on standard error"
done

# --fail-on and --quiet on the same trees: the exit status follows the worst
# finding against the threshold, and --quiet shows only what fails.
audit() { NO_COLOR=1 "$PORTAUDIT" --root "$work/$1" "${@:2}" 2>&1; echo "rc=$?"; }
warn="$golden/warn-only.yaml" info="$golden/info-only.yaml"
is "$(audit discovery -c "$warn" | tail -n 2)" "$(printf '%s\nrc=0' "3 findings: 0 errors, 2 warnings, 1 info; failing on error: exit 0")" "warnings only: exit 0 by default"
is "$(audit discovery -c "$warn" --fail-on warning | tail -n 1)" "rc=1" "--fail-on warning: exit 1"
is "$(audit discovery -c "$warn" --fail-on info | tail -n 1)" "rc=1" "--fail-on info: exit 1"
is "$(audit discovery -c "$info" --fail-on warning | tail -n 1)" "rc=0" "info only, --fail-on warning: exit 0"
is "$(audit discovery -c "$info" --fail-on info | tail -n 1)" "rc=1" "info only, --fail-on info: exit 1"
is "$(audit discovery -c "$info" -f json --fail-on info | jq -c .summary)" '{"error":0,"warning":0,"info":2,"total":2,"fail_on":"info","exit":1}' "the JSON summary says the same"
is "$(audit clean --quiet)" "rc=0" "--quiet on a clean tree prints nothing"
is "$(audit discovery -c "$info" --quiet)" "rc=0" "--quiet prints nothing below the threshold"
out=$(audit problems --quiet)
is "$(grep -c '^error: ' <<<"$out"):$(grep -c '^\(warning\|info\|note\|portaudit\)' <<<"$out")" "7:0" "--quiet shows the errors and nothing else"
is "$(tail -n 1 <<<"$out")" "rc=1" "and still exits 1"
out=$(audit discovery -c "$warn" --quiet --fail-on warning)
is "$(grep -c '^warning: ' <<<"$out"):$(grep -c '^info: ' <<<"$out")" "2:0" "--quiet --fail-on warning shows the warnings, not the info"
is "$(audit problems --fail-on bogus)" "portaudit: unknown level 'bogus' for --fail-on (expected error, warning or info) (see 'portaudit --help')
rc=2" "a bad --fail-on is a usage error"

done_testing
