#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The journal catalog (conf/portaudit.catalog) as journalctl reads it: imported
# into the catalog database of a scratch --root (never the host's), with exactly
# one entry per finding id under the MESSAGE_ID src/finding.c gives it, each
# entry naming its id and saying what to do.
. "$abs_top_srcdir/tests/lib/tap.sh"

helper="$abs_top_builddir/tests/report/journal-send"
catalog="$abs_top_srcdir/conf/portaudit.catalog"

tmp=$(mktemp -d "$abs_top_builddir/tests/report/catalog.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

ids=$("$helper" ids)
n=$(echo "$ids" | wc -l)
plan $((5 + n))

is "$n" 10 "ten finding ids (DESIGN §5)"

mkdir -p "$tmp/usr/lib/systemd/catalog"
cp "$catalog" "$tmp/usr/lib/systemd/catalog/portaudit.catalog"
journalctl --root="$tmp" --update-catalog >"$tmp/update.out" 2>&1
ok $? "journalctl --root=TMP --update-catalog imports it"
is "$(cat "$tmp/update.out")" "" "... without a complaint"
journalctl --root="$tmp" --list-catalog >"$tmp/list" 2>&1 &&
	journalctl --root="$tmp" --dump-catalog >"$tmp/dump" 2>&1
ok $? "journalctl --list-catalog and --dump-catalog read the database"
is "$(wc -l <"$tmp/list")" "$n" "as many entries as finding ids"

# For each id: how journalctl lists its MESSAGE_ID ("ID DEFINED-BY: SUBJECT"), and
# the entry's headers and body.
while read -r id mid; do
	listed=$(sed -n "s/^$mid //p" "$tmp/list")
	entry=$(awk -v h="-- $mid" '$0 == h { p = 1; next } /^-- [0-9a-f]+$/ { p = 0 } p' \
		"$tmp/dump")
	got="listed:${listed%%: *}"
	case $listed in "portaudit: $id: "?*) got="$got subject:names-id" ;; esac
	case $entry in *"
Documentation: man:portaudit(8)"*) got="$got documentation" ;; esac
	case $entry in *"
Support:"*) got="$got support" ;; esac
	case $entry in *"
What to do: "*) got="$got what-to-do" ;; esac
	is "$got" "listed:portaudit subject:names-id documentation what-to-do" \
		"$id ($mid): listed, Defined-By portaudit, a Subject naming the id, what to do"
done <<EOF
$ids
EOF

done_testing
