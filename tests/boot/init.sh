#!/bin/bash
# The first process of the boot test's namespaces (tests/boot/boot.sh starts it
# with unshare --pid --fork --mount --uts --ipc --net --cgroup): it builds the
# file system view a booting host would have, then execs systemd as PID 1
# (REFERENCE §6.3, reference/exp/sd/boot.sh).
#   init.sh STAGE EXEC
# STAGE holds what boot.sh prepared (units, binaries, configuration); EXEC is
# the path portaudit.service's ExecStart names.  Everything below happens in
# the private mount namespace: nothing reaches the host's file systems.
set -eu
stage=$1
exe=$2

mount --make-rprivate /

# Each cgroup hierarchy again, rooted at this cgroup namespace's root (the
# directory boot.sh made for the test), so systemd creates its slices there.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
else
	hier=$(findmnt -n -r -o TARGET,FSTYPE,OPTIONS |
		awk '$1 ~ /^\/sys\/fs\/cgroup\// && $2 ~ /^cgroup/')
	mount -t tmpfs -o mode=0755 portaudit-boot /sys/fs/cgroup
	while read -r target fstype opts; do
		mkdir -p "$target"
		mount -t "$fstype" -o "$opts" cgroup "$target"
	done <<<"$hier"
fi

# /etc becomes an overlay whose upper layer is a tmpfs: whatever systemd or a
# unit writes there stays in this namespace.
mount -t tmpfs -o mode=0700 portaudit-boot "$stage/ov"
mkdir "$stage/ov/upper" "$stage/ov/work"
mount -t overlay -o "lowerdir=/etc,upperdir=$stage/ov/upper,workdir=$stage/ov/work" \
	portaudit-boot /etc

# The inventory, under a tmpfs of its own.
mkdir -p /etc/portaudit
mount -t tmpfs -o mode=0755 portaudit-boot /etc/portaudit
cp "$stage/inventory.yaml" /etc/portaudit/

# Every sysctl.d directory either tool reads, and /etc/sysctl.conf, hold only
# the test's files (tests/fixns/lib.sh covers the same set).
mount -t tmpfs -o mode=0755 portaudit-boot /etc/sysctl.d
cp "$stage/sysctl.d/etc/"* /etc/sysctl.d/
: >/etc/sysctl.conf
mount -t tmpfs -o mode=0755 portaudit-boot /usr/lib/sysctl.d
cp "$stage/sysctl.d/usr-lib/"* /usr/lib/sysctl.d/
if [ ! -L /lib ] && [ -d /lib/sysctl.d ]; then
	mount -t tmpfs -o mode=0755 portaudit-boot /lib/sysctl.d
fi
for d in /usr/local/lib/sysctl.d /var/log/journal /usr/local/lib/systemd/system \
	/etc/systemd/system-generators /usr/local/lib/systemd/system-generators; do
	if [ -d "$d" ]; then
		mount -t tmpfs -o mode=0755 portaudit-boot "$d"
	fi
done

mount -t tmpfs -o mode=0755 portaudit-boot /run
mkdir -p /run/portaudit-boot
cp "$stage/bin/boot-client" /run/portaudit-boot/

# The host's own units and generators are hidden; the vendor directory holds
# copies of the few real units the test boots (sysinit.target, sockets.target,
# systemd-sysctl.service, journald...), /etc/systemd/system what an
# administrator installed and enabled: portaudit.service, the test's units.
mount -t tmpfs -o mode=0755 portaudit-boot /usr/lib/systemd/system
cp -RP "$stage/vendor/." /usr/lib/systemd/system/
mount -t tmpfs -o mode=0755 portaudit-boot /usr/lib/systemd/system-generators
mount -t tmpfs -o mode=0755 portaudit-boot /etc/systemd/system
cp -RP "$stage/admin/." /etc/systemd/system/

# The binary at the unit's ExecStart path: a tmpfs over its directory, or over
# the nearest directory above it that exists (the prefix of a 'make distcheck'
# is not installed yet when its tests run).
dir=$(dirname "$exe")
top=$dir
while [ ! -d "$top" ]; do
	top=$(dirname "$top")
done
case $top in
/ | /usr | /etc | /var | /run | /proc | /sys | /dev)
	echo "init.sh: will not hide $top to install $exe" >&2
	exit 1
	;;
esac
mount -t tmpfs -o mode=0755 portaudit-boot "$top"
mkdir -p "$dir"
cp "$stage/bin/portaudit" "$exe"

# Host-global sysctls become read-only (EROFS); this network namespace's own
# /proc/sys/net stays writable.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net

# PID 1 logs to the namespace's journal; before journald is up it would fall
# back to /dev/console, which is the host's: a plain file (not a tty) instead,
# so those few early lines are dropped.
mount --bind "$stage/console" /dev/console
ip link set lo up
echo portaudit-boot >/etc/hostname
hostname portaudit-boot
export container=portaudit-boot
exec /lib/systemd/systemd --system --unit=portaudit-boot.target --log-target=journal \
	--log-level=info --show-status=no
