#!/bin/sh
# The Debian package, end to end: packaging/build-deb.sh builds it from this
# tree (a git checkout, or the release tree under distcheck), lintian finds no
# error, and dpkg installs and purges it in an overlay of / that exists only in
# a private mount namespace (lower=/, upper on a tmpfs), entered with chroot.
# The host's own root and dpkg database are never written: the overlay's
# writes land on the tmpfs, which goes away with the namespace.  The namespace
# also has its own network, so the audit inside sees an empty, private kernel.
. "$abs_top_srcdir/tests/lib/tap.sh"

# A package build that ran the whole suite would run this test again inside
# itself, without end: fail at once instead.
if [ -n "${PORTAUDIT_IN_DEB_TEST-}" ]; then
	echo "1..1"
	echo "not ok 1 - deb.sh runs inside the package build that deb.sh started"
	exit 1
fi
export PORTAUDIT_IN_DEB_TEST=1

[ "$(id -u)" = 0 ] || skip_all "needs root (mount namespaces, overlayfs, chroot)"
for t in unshare nsenter chroot; do
	command -v $t >/dev/null 2>&1 || skip_all "$t is missing"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "the kernel has no overlayfs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portaudit-debtest.XXXXXX") || exit 1
nspid=
cleanup() {
	[ -n "$nspid" ] && kill "$nspid" 2>/dev/null && wait "$nspid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

plan 39

# Whatever the host says of the package now, it must say again at the end.
host_status() {
	dpkg-query -W -f '${db:Status-Abbrev}' portaudit 2>/dev/null
	ls -l /etc/sysctl.d/99-zz-portaudit.conf /etc/systemd/system/sysinit.target.wants/portaudit.service \
		/usr/sbin/portaudit 2>&1
}
host_before=$(host_status)

# Missing build tools are a failure, not a skip: CI installs
# packaging/debian-build-deps, which lists them.
for t in dpkg-buildpackage dh lintian; do
	command -v $t >/dev/null 2>&1
	ok $? "$t is installed"
done

start=$(date +%s)
debs=$(sh "$abs_top_srcdir/packaging/build-deb.sh" "$tmp/out" 2>"$tmp/build.log")
r=$?
ok $r "build-deb.sh builds the package ($(($(date +%s) - start)) s)"
[ $r -eq 0 ] || tail -n 40 "$tmp/build.log" | sed 's/^/# /'
deb=$(printf '%s\n' "$debs" | grep '/portaudit_[^/]*\.deb$')
[ -f "$deb" ]
ok $? "it prints where the .deb is: $deb"

# The .changes covers the binary packages and the buildinfo.
lintian -I --pedantic "$tmp/out"/portaudit_*.changes >"$tmp/lintian.txt" 2>&1
errors=$(grep -c '^E:' "$tmp/lintian.txt")
is "$errors" 0 "lintian reports no error"
echo "# lintian: $(grep -c '^E:' "$tmp/lintian.txt") E, $(grep -c '^W:' "$tmp/lintian.txt") W," \
	"$(grep -c '^I:' "$tmp/lintian.txt") I, $(grep -c '^P:' "$tmp/lintian.txt") P"
grep '^[EWIP]:' "$tmp/lintian.txt" | sed 's/^/# /'

# The overlay root, in a mount and network namespace held open by a sleeper.
mkdir "$tmp/ovl" "$tmp/root"
unshare -m -n --propagation private sleep 600 &
nspid=$!
inns() { nsenter -t "$nspid" -m -n "$@"; }
inroot() {
	nsenter -t "$nspid" -m -n chroot "$tmp/root" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}
# Until unshare has exec'd sleep, nsenter would join the host's namespaces.
i=0
while [ "$(readlink /proc/$nspid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
inns sh -ec '
	mount -t tmpfs -o mode=0700 portaudit-upper "$1/ovl"
	mkdir "$1/ovl/upper" "$1/ovl/work"
	mount -t overlay -o "lowerdir=/,upperdir=$1/ovl/upper,workdir=$1/ovl/work" portaudit-root "$1/root"
	mount -t proc proc "$1/root/proc"
	mount --rbind /dev "$1/root/dev"
	mount -t tmpfs tmpfs "$1/root/run"
	mount -t tmpfs tmpfs "$1/root/tmp"
	mkdir -p "$1/root/var/tmp/pkgtest"
	cp "$2" "$1/root/var/tmp/pkgtest/pkg.deb"
' sh "$tmp" "$deb" 2>"$tmp/mount.log"
r=$?
ok $r "the overlay root is mounted in a private namespace"
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/mount.log"
inns grep -q "^portaudit-root $tmp/root overlay" /proc/self/mounts &&
	! grep -q "portaudit-root" /proc/self/mounts
ok $? "and only there"

# A MESSAGE_ID of the shipped catalog: systemd's file trigger on
# /usr/lib/systemd/catalog must add it to the catalog database and drop it again.
msgid=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$abs_top_srcdir/conf/portaudit.catalog" | head -n 1)
inroot journalctl --list-catalog 2>/dev/null | grep -q "^$msgid "
ok $((!$?)) "the catalog database does not know $msgid before the install"

inroot dpkg -i /var/tmp/pkgtest/pkg.deb >"$tmp/install.log" 2>&1
r=$?
ok $r "dpkg -i installs it in the overlay"
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/install.log"
listed=$(inroot dpkg -L portaudit)
for f in /usr/sbin/portaudit /lib/systemd/system/portaudit.service \
	/lib/systemd/system/portaudit-audit.service /lib/systemd/system/portaudit-audit.timer \
	/usr/share/man/man8/portaudit.8.gz /usr/share/man/man5/portaudit-inventory.5.gz \
	/usr/share/doc/portaudit/inventory.yaml.example /usr/lib/systemd/catalog/portaudit.catalog \
	/usr/share/bash-completion/completions/portaudit; do
	printf '%s\n' "$listed" | grep -qx "$f" && inroot test -f "$f"
	ok $? "dpkg -L lists $f and it is installed"
done
printf '%s\n' "$listed" | grep -q '^/etc'
ok $((!$?)) "no file under /etc is shipped (no default inventory: discovery mode)"
inroot journalctl --list-catalog 2>/dev/null | grep -q "^$msgid "
ok $? "systemd's catalog trigger added $msgid to the database"
# The overlay's upper layer holds every write of the install (checked again after the purge).
contains "$(inns find "$tmp/ovl/upper" -name '*portaudit*' 2>&1)" /var/lib/dpkg/info/portaudit.list \
	"the overlay's upper layer holds dpkg's record of the install"

sysinit=/etc/systemd/system/sysinit.target.wants/portaudit.service
timers=/etc/systemd/system/timers.target.wants/portaudit-audit.timer
is "$(inroot readlink "$sysinit")" /lib/systemd/system/portaudit.service \
	"portaudit.service is enabled (sysinit.target.wants)"
is "$(inroot readlink "$timers")" /lib/systemd/system/portaudit-audit.timer \
	"portaudit-audit.timer is enabled (timers.target.wants)"

contains "$(inroot portaudit --version 2>&1)" "0.1.0" "the installed portaudit --version says 0.1.0"

# An inventory whose port lies inside the (private) kernel's default range.
inroot sh -c 'printf "version: 1\nservices:\n  pkgtest:\n    ports: [40000]\n" >/var/tmp/pkgtest/inv.yaml'
out=$(inroot portaudit --root / -c /var/tmp/pkgtest/inv.yaml --format json 2>&1)
is $? 1 "a --root / audit inside exits 1 (findings)"
contains "$out" '"ephemeral-overlap"' "and reports port 40000 as ephemeral-overlap"

out=$(inroot portaudit --fix --no-apply --root / -c /var/tmp/pkgtest/inv.yaml 2>&1)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ]
ok $? "--fix --no-apply --root / exits 0 or 1, not 3 (exit $rc)"
[ $rc -le 1 ] || printf '%s\n' "$out" | sed 's/^/# /'
frag=$(inroot cat /etc/sysctl.d/99-zz-portaudit.conf 2>&1)
contains "$frag" "net.ipv4.ip_local_reserved_ports = 40000" "it wrote the fragment in the overlay"
inroot test -e /run/portaudit.lock
ok $? "and took its lock in /run/portaudit.lock"

inroot dpkg --purge portaudit >"$tmp/purge.log" 2>&1
r=$?
ok $r "dpkg --purge removes it"
[ $r -eq 0 ] || sed 's/^/# /' "$tmp/purge.log"
inroot dpkg -L portaudit >/dev/null 2>&1
ok $((!$?)) "dpkg -L no longer knows it"
# Directories (and /lib, a symlink to usr/lib) are shared with other packages.
left=$(printf '%s\n' "$listed" | inroot sh -c '
	while read -r f; do
		if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then printf "%s " "$f"; fi
	done; true')
is "$left" "" "none of the files it listed is left"
inroot test -e "$sysinit" -o -L "$sysinit" -o -e "$timers" -o -L "$timers"
ok $((!$?)) "the enablement symlinks are gone"
inroot test -e /etc/sysctl.d/99-zz-portaudit.conf -o -L /etc/sysctl.d/99-zz-portaudit.conf
ok $((!$?)) "the fragment --fix wrote is gone"
inroot test -e /run/portaudit.lock
ok $((!$?)) "the lock file is gone"
inroot journalctl --list-catalog 2>/dev/null | grep -q "^$msgid "
ok $((!$?)) "the catalog database no longer knows $msgid"
# Anything named after the package in the overlay's writes, except the test's
# own pkgtest directory (dpkg's info files, deb-systemd-helper's state, ...).
stray=$(inns find "$tmp/ovl/upper" -name '*portaudit*' ! -path '*/var/tmp/pkgtest/*' 2>&1)
is "$stray" "" "no file named after portaudit is left in the overlay"

kill "$nspid" 2>/dev/null
wait "$nspid" 2>/dev/null
nspid=
is "$(host_status)" "$host_before" "the host's own dpkg database and files are as they were"

done_testing
