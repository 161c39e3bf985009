#!/bin/bash
# Golden tests (STYLE.md "Fixture trees for every reader"): each case is a --root
# tree with an expected text report, JSON report and exit status.  The tree is
# copied under the build directory first, because the symlinks a case needs
# (/proc/PID/fd/N -> socket:[INODE]) are planted from its "links" file: make dist
# would follow them.  The root's path is written @ROOT@ in the expected files.
#
# After a deliberate change of the output, regenerate and review the diff:
#   GOLDEN_UPDATE=1 make check TESTS=tests/golden/run.sh
. "$abs_top_srcdir/tests/lib/tap.sh"

golden="$abs_top_srcdir/tests/golden"
work="$abs_top_builddir/tests/golden/tmp"
cases=$(cd "$golden" && for d in */; do [ -d "$d/tree" ] && echo "${d%/}"; done)

plan $(($(echo "$cases" | wc -w) * 5))

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
		sed -i "s|$root|@ROOT@|g" "$work/$c.$form" "$work/$c.$form.err"
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

done_testing
