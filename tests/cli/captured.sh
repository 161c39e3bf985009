#!/bin/sh
# A tree captured from a real Debian 12 host (tests/fixtures/captured-debian12,
# made by tests/capture-host.sh) audits offline with --root.
. "$abs_top_srcdir/tests/lib/tap.sh"
command -v jq >/dev/null || skip_all "jq is missing"
tree="$abs_top_srcdir/tests/fixtures/captured-debian12"
tmp=$(mktemp -d "$abs_top_builddir/tests/tmp-captured-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

plan 8
"$PORTAUDIT" --root "$tree" --snapshot >"$tmp/snap.json" 2>"$tmp/err"
is "$?" 0 "--snapshot of the captured tree exits 0"
q() { jq -r "$1" "$tmp/snap.json"; }
is "$(q '.kernel.ip_local_port_range | "\(.min) \(.max)"')" "32768 60999" "its port range"
is "$(q '.sockets.source')" "procfs" "sockets of a tree come from its /proc/net"
is "$(q '[.sockets.listeners[] | "\(.local) \(.state) \(.inode)"] | join(",")')" \
	"0.0.0.0:2024 LISTEN 1064" "its one listener, with the inode"
is "$(q '.sockets.bound_inactive_visible')" "false" "procfs cannot show bound-but-inactive sockets"
is "$(q '[.sysctl_d.files[].path] | join(" ")')" \
	"/usr/lib/sysctl.d/50-pid-max.conf /usr/lib/sysctl.d/99-protect-links.conf /etc/sysctl.d/99-sysctl.conf /etc/sysctl.conf" \
	"the stock sysctl.d files, and sysctl.conf for procps's last pass"
is "$(q '.sysctl_d.keys["net.ipv4.ip_local_reserved_ports"].next_boot.systemd_sysctl.value')" "" \
	"no port reserved at the next boot"
is "$(q '.socket_units.transport')" "none" "socket units are not read from a tree"
done_testing
