#!/bin/bash
# Symlinks planted in a --root tree that point out of it, for the audit and
# for --fix (no root needed; everything is below the build directory):
#   - in etc/sysctl.d: a relative link climbing to the host's /etc/shadow, an
#     absolute link to /etc/passwd, a relative and an absolute link to a file
#     outside the tree that assigns 1-65535, a self loop, a two-link loop, and
#     (as the control) an absolute link to a file inside the tree;
#   - etc/sysctl.d itself a symlink to a directory outside the tree (absolute
#     and relative), and to one inside it;
#   - at the fragment's path, at its temporary name, and at run/portaudit.lock,
#     each pointing to a file outside the tree.
# Every outside link resolves inside the tree (RESOLVE_IN_ROOT) or is refused:
# a one-line note or "fix failed:" naming the file, the documented exit
# status, no file outside the tree read or changed (content and mtime), and
# in the tree only the fragment (and the directory holding it) changed.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp symlinks
plan 39

outside=$tmp/outside
mkdir -p "$outside/dir" || exit 1
evil='net.ipv4.ip_local_reserved_ports = 1-65535'
echo "$evil" >"$outside/secret.conf"
echo "$evil" >"$outside/dir/10-evil.conf"
echo 'the administrator keeps this' >"$outside/target"
touch -d '2001-02-03 04:05:06' "$outside/target" "$outside/secret.conf" "$outside/dir/10-evil.conf"
outside_before=$(tree_state "$outside")

t=$tmp/tree
base_tree "$t" || exit 1
sd=$t/etc/sysctl.d
# As many ".." as it takes to reach / from etc/sysctl.d when followed naively.
ups=$(printf '%s' "$sd" | tr -cd / | sed 's|/|../|g')
[ -r /etc/shadow ] || echo "# note: no readable /etc/shadow here"
ln -s "${ups}etc/shadow" "$sd/61-shadow.conf"
ln -s /etc/passwd "$sd/62-passwd.conf"
ln -s ../../../outside/secret.conf "$sd/63-up.conf"
ln -s "$outside/secret.conf" "$sd/64-abs.conf"
ln -s 65-self.conf "$sd/65-self.conf"
ln -s 66-b.conf "$sd/66-a.conf"
ln -s 66-a.conf "$sd/66-b.conf"
printf 'net.ipv4.ip_local_reserved_ports = 40100,40200,40300\n' >"$t/usr/lib/inside.conf"
ln -s /usr/lib/inside.conf "$sd/67-inside.conf"
[ "$(readlink -f "$sd/61-shadow.conf")" = /etc/shadow ]
ok $? "the planted link 61-shadow.conf, followed naively, is the host's /etc/shadow"

# --- the audit ----------------------------------------------------------------
before=$(tree_state "$t")
run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
is "$rc:$(cat "$tmp/err")" "0:" "audit: exit 0, nothing on stderr"
within_limits "audit with links out of the tree"
jq -r '.host.notes[]' "$tmp/out" >"$tmp/notes"
for n in 61-shadow 62-passwd 63-up 64-abs; do
	has_note "$sd/$n.conf: cannot read: No such file or directory, ignoring" &&
		[ "$(grep -c "/$n\.conf" "$tmp/notes")" = 1 ]
	ok $? "audit: $n.conf resolves inside the tree, to nothing: one note"
done
for n in 65-self 66-a 66-b; do
	has_note "$sd/$n.conf: cannot read: Too many levels of symbolic links, ignoring"
	ok $? "audit: the loop $n.conf is one note"
done
! jq -r '.host.sysctl_d.keys[].assignments[].value' "$tmp/out" | grep -q 65535
ok $? "audit: no assignment of 1-65535 was read from outside the tree"
jq -e '.host.sysctl_d.keys["net.ipv4.ip_local_reserved_ports"].assignments[]
	| select(.file == "/etc/sysctl.d/67-inside.conf" and .value == "40100,40200,40300")' \
	"$tmp/out" >/dev/null
ok $? "audit: the absolute link to /usr/lib/inside.conf is read inside the tree"
is "$(jq -c '[.findings[].id]' "$tmp/out")" "[]" "audit: no finding"
is "$(tree_state "$t")" "$before" "audit: the tree is unchanged"
is "$(tree_state "$outside")" "$outside_before" "audit: nothing outside the tree changed"

# --- --fix over the same tree: only the fragment is written ------------------
run_pa "$tmp/out" "$tmp/err" --root "$t" --fix -f json
after=$(tree_state "$t")
is "$rc" 0 "--fix: exit 0"
frag=$sd/99-zz-portaudit.conf
[ "$(tail -n 1 "$frag")" = "net.ipv4.ip_local_reserved_ports = 40100,40200,40300" ] &&
	[ "$(jq -r .fix.written "$tmp/out")" = true ]
ok $? "--fix: the fragment below the root keeps the inside file's ports, nothing from outside"
# Lines of the listing that differ: the fragment, its directory (mtime) and its checksum.
changed=$(diff <(echo "$before") <(echo "$after") | grep '^>' | cut -d'|' -f1 |
	sed 's/^> //; s/^[0-9a-f]\{64\}  //' | sort -u | tr '\n' ' ')
is "$changed" "./etc/sysctl.d ./etc/sysctl.d/99-zz-portaudit.conf " \
	"--fix: in the tree only the fragment and its directory changed"
is "$(tree_state "$outside")" "$outside_before" "--fix: nothing outside the tree changed"

# --- etc/sysctl.d a symlink to a directory outside the tree --------------------
in_way='(cannot open the directory: Too many levels of symbolic links: a symlink is in the way'
for how in absolute relative; do
	t2=$tmp/tree-$how
	base_tree "$t2"
	mv "$t2/etc/sysctl.d" "$t2/etc/sysctl.d.real"
	if [ $how = absolute ]; then
		ln -s "$outside/dir" "$t2/etc/sysctl.d"
	else
		ln -s ../../outside/dir "$t2/etc/sysctl.d"
	fi
	before=$(tree_state "$t2")
	run_pa "$tmp/out" "$tmp/err" --root "$t2" -f json
	[ "$rc" = 0 ] && ! jq -r '.host.sysctl_d.files[].path' "$tmp/out" | grep -q evil &&
		[ "$(jq -r '[.findings[].id] | unique | join(",")' "$tmp/out")" = not-persistent ]
	ok $? "$how link etc/sysctl.d -> outside: nothing read from it, so not-persistent"
	run_pa "$tmp/out" "$tmp/err" --root "$t2" --fix
	grep '^fix failed: ' "$tmp/out" >"$tmp/failed"
	[ "$rc" = 3 ] && [ "$(lines "$tmp/failed")" = 1 ] &&
		grep -qF "fix failed: $t2/etc/sysctl.d/99-zz-portaudit.conf: not written $in_way" \
			"$tmp/failed"
	ok $? "$how link etc/sysctl.d -> outside: --fix exits 3, one 'fix failed:' line naming it"
	is "$(tree_state "$t2"):$(tree_state "$outside")" "$before:$outside_before" \
		"$how link etc/sysctl.d -> outside: --fix wrote nothing, in the tree or outside"
done

# The control: a link to a directory inside the tree is read, and still never written through.
t3=$tmp/tree-inside
base_tree "$t3"
mv "$t3/etc/sysctl.d/50-web.conf" "$t3/usr/lib/sysctl.d/"
rmdir "$t3/etc/sysctl.d"
mkdir -p "$t3/srv/conf"
printf 'net.ipv4.ip_local_reserved_ports = 40100,40200\n' >"$t3/srv/conf/40-web.conf"
ln -s /srv/conf "$t3/etc/sysctl.d"
before=$(tree_state "$t3")
run_pa "$tmp/out" "$tmp/err" --root "$t3" -f json
[ "$rc" = 0 ] && jq -r '.host.sysctl_d.files[].path' "$tmp/out" | grep -qx /etc/sysctl.d/40-web.conf
ok $? "etc/sysctl.d -> /srv/conf inside the tree: read there"
run_pa "$tmp/out" "$tmp/err" --root "$t3" --fix
[ "$rc" = 3 ] && [ "$(grep -c '^fix failed: .*a symlink is in the way' "$tmp/out")" = 1 ] &&
	[ "$(tree_state "$t3")" = "$before" ]
ok $? "etc/sysctl.d -> /srv/conf inside the tree: --fix refuses to write through it (exit $rc)"

# The control: a tree with neither run/ nor etc/sysctl.d; the lock goes on the tree's root.
t5=$tmp/tree-bare
base_tree "$t5"
mv "$t5/etc/sysctl.d/50-web.conf" "$t5/usr/lib/sysctl.d/" && rmdir "$t5/etc/sysctl.d"
run_pa "$tmp/out" "$tmp/err" --root "$t5" --fix
[ "$rc" = 0 ] && [ "$(ls -A "$t5/etc/sysctl.d")" = 99-zz-portaudit.conf ] &&
	[ "$(tail -n 1 "$t5/etc/sysctl.d/99-zz-portaudit.conf")" = \
		"net.ipv4.ip_local_reserved_ports = 40100,40200" ]
ok $? "no run/ and no etc/sysctl.d: --fix creates the directory and the fragment (exit $rc)"
lock_re='^portaudit: /run/portaudit.lock cannot be created \(No such file or directory\),'
one_error "$tmp/err" "$lock_re so the lock is taken on /$" \
	"no run/ and no etc/sysctl.d: one note says the lock is on the tree's root"

# --- symlinks at the fragment, its temporary name and the lock ----------------
t4=$tmp/tree-links
base_tree "$t4"
mkdir "$t4/run"
ln -s "$outside/target" "$t4/etc/sysctl.d/99-zz-portaudit.conf"
before=$(tree_state "$t4")
run_pa "$tmp/out" "$tmp/err" --root "$t4" --fix
grep '^fix failed: ' "$tmp/out" >"$tmp/failed"
[ "$rc" = 3 ] && [ "$(lines "$tmp/failed")" = 1 ] &&
	grep -qF "fix failed: $t4/etc/sysctl.d/99-zz-portaudit.conf: not written" "$tmp/failed" &&
	grep -q 'symlink' "$tmp/failed"
ok $? "symlink at the fragment to a file outside: exit 3, one 'fix failed:' line naming it"
diff <(echo "$before") <(tree_state "$t4") | grep '^[<>]' | grep -vF ' ./run/portaudit.lock' |
	grep -v '^[<>] ./run|' >"$tmp/diff"
[ ! -s "$tmp/diff" ] && [ -f "$t4/run/portaudit.lock" ]
ok $? "symlink at the fragment: the tree is unchanged but for the lock file in run/"
sed 's/^/# /' "$tmp/diff"
is "$(tree_state "$outside")" "$outside_before" "symlink at the fragment: its target is untouched"

rm "$t4/etc/sysctl.d/99-zz-portaudit.conf" "$t4/run/portaudit.lock"
ln -s "$outside/target" "$t4/etc/sysctl.d/.99-zz-portaudit.conf.tmp"
run_pa "$tmp/out" "$tmp/err" --root "$t4" --fix -f json
[ "$rc" = 0 ] && [ "$(jq -r .fix.written "$tmp/out")" = true ] &&
	[ "$(ls -A "$t4/etc/sysctl.d")" = "50-web.conf
99-zz-portaudit.conf" ] && [ -f "$t4/etc/sysctl.d/99-zz-portaudit.conf" ]
ok $? "symlink at the temporary name: removed, the fragment written (exit $rc)"
is "$(tree_state "$outside")" "$outside_before" \
	"symlink at the temporary name: its target is untouched"

rm "$t4/etc/sysctl.d/99-zz-portaudit.conf" "$t4/run/portaudit.lock"
ln -s "$outside/target" "$t4/run/portaudit.lock"
before=$(tree_state "$t4")
run_pa "$tmp/out" "$tmp/err" --root "$t4" --fix
[ "$rc" = 3 ] && [ ! -s "$tmp/out" ]
ok $? "symlink at run/portaudit.lock: exit 3 before anything is read or written"
one_error "$tmp/err" \
	"^portaudit: cannot take the lock /run/portaudit.lock: Too many levels of symbolic links$" \
	"symlink at run/portaudit.lock: one line naming the lock"
is "$(tree_state "$t4"):$(tree_state "$outside")" "$before:$outside_before" \
	"symlink at run/portaudit.lock: nothing written, in the tree or outside"

# --- --dry-run over the planted tree writes nothing at all ----------------------
rm -f "$frag"
before=$(tree_state "$t")
run_pa "$tmp/out" "$tmp/err" --root "$t" --fix --dry-run
is "$rc:$(tree_state "$t")" "0:$before" \
	"--fix --dry-run over the planted links: exit 0, nothing written"
is "$(tree_state "$outside")" "$outside_before" "--fix --dry-run: nothing outside the tree changed"

done_testing
