#!/bin/sh
# The sysctl.d model on a --root tree (tests/fixtures/sysctld): precedence,
# shadowing, a /dev/null mask, values the kernel refuses or misreads, and the
# two tools' different endings, as --snapshot shows them.
. "$abs_top_srcdir/tests/lib/tap.sh"
command -v jq >/dev/null || skip_all "jq is missing"
tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-sysctld-fixture-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# make dist follows symlinks, so the tree's links are planted here.
cp -R "$abs_top_srcdir/tests/fixtures/sysctld" tree && chmod -R u+w tree
ln -s /dev/null tree/etc/sysctl.d/70-mask.conf

plan 14
"$PORTAUDIT" --root tree --snapshot >snap.json 2>err
is "$?" 0 "--snapshot of the tree exits 0"
is "$(cat err)" "" "and writes nothing to stderr"

key='.sysctl_d.keys["net.ipv4.ip_local_reserved_ports"]'
q() { jq -r "$1" snap.json; }

is "$(q "$key.next_boot.systemd_sysctl.value")" "28350,50010" \
	"systemd-sysctl: the last file by name wins, from whichever directory"
is "$(q "$key.next_boot.systemd_sysctl.from | \"\(.file):\(.line)\"")" \
	"/usr/local/lib/sysctl.d/80-local.conf:1" "and the winner is named by file and line"
is "$(q "$key.next_boot.procps.value")" "1111" "procps applies /etc/sysctl.conf last"
is "$(q "$key.next_boot.procps.from | \"\(.file):\(.line)\"")" "/etc/sysctl.conf:3" \
	"and names it"
is "$(q "[$key.assignments[].file] | join(\" \")")" \
	"/run/sysctl.d/50-vendor.conf /etc/sysctl.d/60-admin.conf /usr/local/lib/sysctl.d/80-local.conf /etc/sysctl.conf" \
	"every assignment, in order; the shadowed and the masked files add none"
is "$(q '.sysctl_d.files[] | select(.path == "/run/sysctl.d/50-vendor.conf") | .shadows[0]')" \
	"/usr/lib/sysctl.d/50-vendor.conf" "/run shadows the same name in /usr/lib"
is "$(q '.sysctl_d.files[] | select(.path == "/etc/sysctl.d/70-mask.conf") | .masked')" \
	"true" "a /dev/null link masks"
is "$(q "$key.assignments[] | select(.file == \"/etc/sysctl.d/60-admin.conf\") | .problem")" \
	"the kernel refuses it: blanks are not allowed in the list at byte 6" \
	"a value the kernel refuses is marked"
range='.sysctl_d.keys["net.ipv4.ip_local_port_range"]'
is "$(q "$range.assignments[0].problem")" \
	"the kernel reads '0x9c40' as 40000 (hexadecimal)" "a value the kernel misreads is marked"
is "$(q "$range.next_boot.systemd_sysctl.value | \"\(.min) \(.max)\"")" "40000 40009" \
	"and its value at the next boot is what the kernel reads"
is "$(q '.notes[0]')" \
	"tree/etc/sysctl.d/60-admin.conf:5: line is not an assignment, ignoring (as both tools do): 'not an assignment'" \
	"a line that is no assignment is noted with the path as the operator finds it"
is "$(q '.kernel.ip_local_reserved_ports')" "28350" "the tree's kernel values are read too"
done_testing
