#!/bin/bash
# Inventory files and directories another user could change, and inventories
# that are no file (tests/inventory/run.sh has the plain cases: a 0664 file, a
# 0777 directory, a file owned by uid 65534, a FIFO given with -c):
#   - as root (doas's rule; skipped otherwise): a file writable by others, a
#     file owned by another user behind a root-owned symlink, a symlink to a
#     group-writable file, a directory writable by its group, a directory owned
#     by another user, a good directory holding one group-writable file, and in
#     a --root tree a world-writable etc/portaudit/inventory.d and an
#     etc/portaudit/inventory.yaml owned by another user;
#   - a character device, a directory loop (x.yaml -> . and -> ..), a symlink
#     loop, a symlink to itself, a UNIX socket, and in a --root tree a drop-in
#     linked to a FIFO and one linked to /etc/passwd, and a FIFO as the tree's
#     etc/services.
# Each is exit 2 with nothing on stdout, one line per refused file naming it,
# no hang, and nothing written.  A FIFO drop-in itself is passed over (as
# systemd's conf-files code does), without being opened.
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/hostile/lib.sh"

hostile_tmp inventory
plan 22

w=$tmp/w
mkdir -p "$w" && chmod 0755 "$w" || exit 1
good() {
	printf 'version: 1\nservices:\n  %s:\n    ports: [%s]\n' "$2" "$3" >"$1" && chmod 0644 "$1"
}

# refused WHAT WANT-REGEX ARG...: exit 2, nothing on stdout, the one line, nothing written.
refused() {
	local what=$1 want=$2 before
	shift 2
	before=$(tree_state "$w")
	run_pa "$tmp/out" "$tmp/err" "$@"
	if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(tree_state "$w")" = "$before" ]; then
		one_error "$tmp/err" "$want" "$what: exit 2, one line naming it, nothing written"
	else
		ok 1 "$what: exit 2, one line naming it, nothing written"
		echo "# exit $rc; stdout $(wc -c <"$tmp/out") bytes; stderr:"
		sed 's/^/#   /' "$tmp/err" | head -n 5
	fi
}

skip_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $2"
	done
}

mode_re='refusing an inventory file writable by group or others'
dmode_re='refusing an inventory directory writable by group or others'
uid_re='refusing an inventory (file|directory) owned by uid 65534, not root'
if [ "$(id -u)" = 0 ]; then
	good "$w/ow.yaml" a 1 && chmod 0646 "$w/ow.yaml"
	refused "a file writable by others (0646)" "^$(re "$w/ow.yaml"): $mode_re \(mode 0646\)$" \
		-c "$w/ow.yaml" --print-inventory

	good "$w/theirs.yaml" a 1 && chown 65534 "$w/theirs.yaml"
	ln -s theirs.yaml "$w/link-theirs.yaml"
	refused "a root-owned symlink to a file owned by uid 65534" \
		"^$(re "$w/link-theirs.yaml"): $uid_re$" -c "$w/link-theirs.yaml" --print-inventory

	good "$w/gw.yaml" a 1 && chmod 0664 "$w/gw.yaml"
	ln -s gw.yaml "$w/link-gw.yaml"
	refused "a symlink to a group-writable file" \
		"^$(re "$w/link-gw.yaml"): $mode_re \(mode 0664\)$" \
		-c "$w/link-gw.yaml" --print-inventory

	mkdir "$w/gdir" && good "$w/gdir/a.yaml" a 1 && chmod 0775 "$w/gdir"
	refused "a directory writable by its group (0775)" \
		"^$(re "$w/gdir"): $dmode_re \(mode 0775\)$" -c "$w/gdir" --print-inventory

	mkdir "$w/odir" && good "$w/odir/a.yaml" a 1 && chown 65534 "$w/odir"
	refused "a directory owned by uid 65534" \
		"^$(re "$w/odir"): $uid_re$" -c "$w/odir" --print-inventory

	mkdir "$w/mixed" && good "$w/mixed/a.yaml" a 1 && good "$w/mixed/b.yaml" b 2 &&
		chmod 0664 "$w/mixed/b.yaml"
	refused "a good directory holding one group-writable file" \
		"^$(re "$w/mixed/b.yaml"): $mode_re \(mode 0664\)$" -c "$w/mixed" --print-inventory
	chmod 0644 "$w/mixed/b.yaml"
	run_pa "$tmp/out" "$tmp/err" -c "$w/mixed" --print-inventory
	is "$rc:$(grep -c '^  [ab]:$' "$tmp/out")" "0:2" \
		"... and once only root can write it, both files load"

	t=$w/tree-dropins
	base_tree "$t" && mkdir -p "$t/etc/portaudit/inventory.d" &&
		good "$t/etc/portaudit/inventory.d/a.yaml" extra 40300 &&
		chmod 0777 "$t/etc/portaudit/inventory.d"
	refused "--root: a world-writable etc/portaudit/inventory.d" \
		"^$(re "$t/etc/portaudit/inventory.d"): $dmode_re \(mode 0777\)$" --root "$t"
	chmod 0755 "$t/etc/portaudit/inventory.d"
	chown 65534 "$t/etc/portaudit/inventory.yaml"
	refused "--root: etc/portaudit/inventory.yaml owned by uid 65534" \
		"^$(re "$t/etc/portaudit/inventory.yaml"): $uid_re$" --root "$t"
	chown 0 "$t/etc/portaudit/inventory.yaml"
	run_pa "$tmp/out" "$tmp/err" --root "$t" --print-inventory
	is "$rc:$(grep -c '^  [a-z]*:$' "$tmp/out")" "0:2" \
		"--root: both files load once only root can write them"
else
	skip_n 10 "the ownership rule applies only when run as root"
fi

# --- things that are no inventory file ----------------------------------------
refused "a character device (-c /dev/zero)" "^/dev/zero: not a regular file$" \
	-c /dev/zero --print-inventory

mkdir "$w/loops" && good "$w/loops/a.yaml" a 1
ln -s . "$w/loops/self-dir.yaml"
ln -s .. "$w/loops/up-dir.yaml"
before=$(tree_state "$w")
run_pa "$tmp/out" "$tmp/err" -c "$w/loops" --print-inventory
[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(lines "$tmp/err")" = 2 ] &&
	grep -qx "$(re "$w/loops/self-dir.yaml"): not a regular file" "$tmp/err" &&
	grep -qx "$(re "$w/loops/up-dir.yaml"): not a regular file" "$tmp/err" &&
	[ "$(tree_state "$w")" = "$before" ]
ok $? "a directory whose x.yaml links lead back to it or up: one line each, exit 2"
within_limits "the directory loop"

rm "$w/loops/self-dir.yaml" "$w/loops/up-dir.yaml"
ln -s b.yaml "$w/loops/c.yaml"
ln -s c.yaml "$w/loops/b.yaml"
before=$(tree_state "$w")
run_pa "$tmp/out" "$tmp/err" -c "$w/loops" --print-inventory
loop_msg='cannot open: Too many levels of symbolic links'
[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(lines "$tmp/err")" = 2 ] &&
	grep -qx "$(re "$w/loops/b.yaml"): $loop_msg" "$tmp/err" &&
	grep -qx "$(re "$w/loops/c.yaml"): $loop_msg" "$tmp/err" &&
	[ "$(tree_state "$w")" = "$before" ]
ok $? "a symlink loop b.yaml <-> c.yaml in an inventory directory: one line each, exit 2"

# A relative -c path is shown as typed.
ln -s self.yaml "$w/self.yaml"
cd "$w" || exit 1
refused "-c a symlink to itself" "^self.yaml: cannot open: Too many levels of symbolic links$" \
	-c self.yaml --print-inventory
cd "$tmp" || exit 1

if python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$w/sock.yaml"; then
	refused "-c a UNIX socket" \
		"^$(re "$w/sock.yaml"): cannot open: No such device or address$" \
		-c "$w/sock.yaml" --print-inventory
else
	skip_n 1 "cannot make a UNIX socket here"
fi

# --- a --root tree's drop-ins ----------------------------------------------------
t=$w/tree-kinds
base_tree "$t" && mkdir -p "$t/etc/portaudit/inventory.d" "$t/srv"
# Like systemd's conf-files, a listing skips what is no file or symlink.
mkfifo "$t/etc/portaudit/inventory.d/10-fifo.yaml"
before=$(tree_state "$w")
run_pa "$tmp/out" "$tmp/err" --root "$t" -f json
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && [ "$(tree_state "$w")" = "$before" ] &&
	[ "$(jq -c .inventory.sources "$tmp/out")" = "[\"$t/etc/portaudit/inventory.yaml\"]" ]
ok $? "--root: a FIFO drop-in is passed over like a socket or directory, without opening it"
within_limits "the FIFO drop-in"
mv "$t/etc/portaudit/inventory.d/10-fifo.yaml" "$t/srv/fifo"
ln -s /srv/fifo "$t/etc/portaudit/inventory.d/20-to-fifo.yaml"
refused "--root: a drop-in linked to a FIFO" \
	"^$(re "$t/etc/portaudit/inventory.d/20-to-fifo.yaml"): not a regular file$" --root "$t"
rm "$t/etc/portaudit/inventory.d/20-to-fifo.yaml"
ln -s /etc/passwd "$t/etc/portaudit/inventory.d/30-passwd.yaml"
missing='cannot open: No such file or directory'
refused "--root: a drop-in linked to /etc/passwd resolves inside the tree, to nothing" \
	"^$(re "$t/etc/portaudit/inventory.d/30-passwd.yaml"): $missing$" \
	--root "$t"
rm "$t/etc/portaudit/inventory.d/30-passwd.yaml"
mkfifo "$t/etc/services"
refused "--root: etc/services, which names resolve through, a FIFO" \
	"^portaudit: cannot read '$(re "$t/etc/services")': not a regular file$" --root "$t"
rm "$t/etc/services"
run_pa "$tmp/out" "$tmp/err" --root "$t"
is "$rc:$(cat "$tmp/err")" "0:" "--root: with the planted drop-ins gone the tree audits clean"

done_testing
