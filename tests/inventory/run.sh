#!/bin/sh
# The inventory from the outside: every malformed file in bad/ must fail with
# exit 2, nothing on stdout and exactly the first error line of its .expected;
# every file in good/ must load, and --print-inventory must reach a fixed point;
# sources, masking, ownership and discovery are checked on trees built here.
. "$abs_top_srcdir/tests/lib/tap.sh"
here="$abs_top_srcdir/tests/inventory"
tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-inventory-XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

n_bad=$(ls "$here"/bad/*.yaml | wc -l)
n_good=$(ls "$here"/good/*.yaml | wc -l)
plan $((n_bad * 2 + n_good * 2 + 16))

# Copies owned by whoever runs the test, mode 0644: as root the doas rule holds.
mkdir "$tmp/bad" "$tmp/good"
for f in "$here"/bad/*.yaml "$here"/good/*.yaml; do
	d=$(basename "$(dirname "$f")")
	cp "$f" "$tmp/$d/" && chmod 0644 "$tmp/$d/$(basename "$f")"
done

cd "$tmp/bad" || exit 1
for f in *.yaml; do
	"$PORTAUDIT" -c "$f" >out 2>err
	rc=$?
	is "$rc:$(wc -c <out)" "2:0" "$f: exit 2, nothing on stdout"
	is "$(head -n 1 err)" "$(cat "$here/bad/${f%.yaml}.expected")" "$f: first error"
done

cd "$tmp/good" || exit 1
for f in *.yaml; do
	"$PORTAUDIT" -c "$f" --print-inventory >once.out 2>err
	ok $? "$f loads and prints"
	"$PORTAUDIT" -c once.out --print-inventory >twice.out 2>err && cmp -s once.out twice.out
	ok $? "$f: the printed inventory loads back to the same inventory"
done

cd "$tmp" || exit 1
# Limits and file kinds that only files can show.
head -c 4194305 /dev/zero | tr '\0' '#' >big.yaml
"$PORTAUDIT" -c big.yaml 2>err >/dev/null
is "$?:$(head -n 1 err)" "2:big.yaml: file is larger than 4194304 bytes, too large for an inventory" "a file over 4 MiB is refused before parsing"

mkdir two && printf 'version: 1\nservices:\n  web: {ports: [8080]}\n' >two/a.yaml &&
	printf 'version: 1\nservices:\n  web: {ports: [8081]}\n' >two/b.yaml && chmod 0644 two/*.yaml
"$PORTAUDIT" -c two 2>err >/dev/null
is "$?:$(head -n 1 err)" "2:$tmp/two/b.yaml:3:3: service 'web' is already defined in $tmp/two/a.yaml:3:3" "the same service in two files names both"

mkdir empty-dir
"$PORTAUDIT" -c empty-dir 2>err >/dev/null
is "$?:$(cat err)" "2:empty-dir: no *.yaml inventory file in this directory" "an inventory directory without *.yaml is an error"

"$PORTAUDIT" -c nosuch.yaml 2>err >/dev/null
is "$?:$(cat err)" "2:nosuch.yaml: cannot open: No such file or directory" "a missing -c file is an error"

mkfifo fifo.yaml
timeout 10 "$PORTAUDIT" -c fifo.yaml 2>err >/dev/null
is "$?:$(cat err)" "2:fifo.yaml: not a regular file" "a FIFO is refused without hanging"

many=many.yaml
{ echo 'version: 1'; echo 'services:'; i=0; while [ $i -lt 30 ]; do echo "  s$i: {ports: [0]}"; i=$((i + 1)); done; } >$many
"$PORTAUDIT" -c $many 2>err >/dev/null
is "$?:$(wc -l <err):$(tail -n 1 err)" "2:21:portaudit: too many errors, stopped after the first 20" "twenty errors, then how many more"

# Default sources: /etc file, then drop-ins by name, /etc wins a name, /dev/null masks.
cp -R "$abs_top_srcdir/tests/fixtures/dropins" tree && chmod -R u+w,go-w tree
ln -s /dev/null tree/run/portaudit/inventory.d/30-masked.yaml
"$PORTAUDIT" --root tree --print-inventory >out 2>err
is "$?:$(grep -o '^  [a-z-]*:$' out | tr -d ' :' | tr '\n' ' ')" "0:main vendor local-override runtime " "drop-ins: order by name, /etc shadows /usr/lib, /dev/null masks"
contains "$(cat out)" "min_ephemeral_ports: 20000" "policy from the main file"
# Names would resolve through the tree's etc/services, which it has not: numbers only.
printf 'version: 1\nservices:\n  only: {ports: [7]}\n' >numbers.yaml && chmod 0644 numbers.yaml
"$PORTAUDIT" --root tree -c numbers.yaml --print-inventory >out 2>err
is "$?:$(grep -o '^  [a-z-]*:$' out | tr -d ' :' | tr '\n' ' ')" "0:only " "-c replaces the default sources, even with --root"

# The main file masked by a link to /dev/null: no inventory, live or in a tree.
mkdir -p nothing/etc/portaudit && ln -s /dev/null nothing/etc/portaudit/inventory.yaml
mkdir -p nothing/proc/sys/net/ipv4 && printf '32768\t60999\n' >nothing/proc/sys/net/ipv4/ip_local_port_range && printf '\n' >nothing/proc/sys/net/ipv4/ip_local_reserved_ports
"$PORTAUDIT" --root nothing --print-inventory >out 2>err
is "$?:$(head -n 1 out)" "0:# Discovered by $("$PORTAUDIT" --version) from the listeners and socket units of this host." "no inventory: discovery mode, said plainly"
contains "$(cat out)" "services: {}" "and, with nothing listening in the tree, an empty inventory"
"$PORTAUDIT" --root nothing -f json >out 2>err
is "$?:$(jq -c .inventory out)" '0:{"discovered":true,"sources":[],"services":0,"reserve":"ephemeral","unlisted_listeners":"warning","min_ephemeral_ports":16384}' "the audit says it runs without an inventory"

# The doas rule: as root, a file or directory another user could change is refused.
if [ "$(id -u)" -ne 0 ]; then
	for i in 1 2 3 4; do echo "ok $((tap_n + i)) # SKIP the ownership rule applies only when run as root"; done
	tap_n=$((tap_n + 4))
else
	cp good/forms.yaml owned.yaml && chown 65534 owned.yaml && chmod 0644 owned.yaml
	"$PORTAUDIT" -c owned.yaml 2>err >/dev/null
	is "$?:$(cat err)" "2:owned.yaml: refusing an inventory file owned by uid 65534, not root" "as root, a file owned by another user is refused"
	cp good/forms.yaml gw.yaml && chmod 0664 gw.yaml
	"$PORTAUDIT" -c gw.yaml 2>err >/dev/null
	is "$?:$(cat err)" "2:gw.yaml: refusing an inventory file writable by group or others (mode 0664)" "as root, a group-writable file is refused"
	mkdir ow && cp good/forms.yaml ow/ && chmod 0644 ow/forms.yaml && chmod 0777 ow
	"$PORTAUDIT" -c ow 2>err >/dev/null
	is "$?:$(cat err)" "2:$tmp/ow: refusing an inventory directory writable by group or others (mode 0777)" "as root, a world-writable directory is refused"
	chmod 0755 ow
	"$PORTAUDIT" -c ow --print-inventory >/dev/null 2>err
	is "$?:$(cat err)" "0:" "and accepted once only root can write it"
fi

done_testing
