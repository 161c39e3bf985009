#!/bin/sh
# Run by units-boot.sh as PID 1 of new pid, mount, uts, ipc, net and cgroup
# namespaces (REFERENCE §6.3): hide the host's units, keep the host's files out
# of reach, then exec systemd with only the test units of UNITDIR.
#   boot.sh UNITDIR LOGFILE
set -e
unitdir=$1
log=$2

# Nothing mounted here propagates back to the host.
mount --make-rprivate /

# The host's /etc and /var stay read-only in here, whatever systemd would write
# (machine-id, state under /var/lib/systemd): it is not ours to change.
for d in /etc /var; do
	mount --bind "$d" "$d"
	mount -o remount,bind,ro "$d"
done

mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/dbus

# Every unit and generator directory of the host is hidden; the test units only.
for d in /etc/systemd/system /usr/lib/systemd/system /usr/lib/systemd/system-generators \
	/etc/systemd/system-generators /usr/local/lib/systemd/system; do
	[ -d "$d" ] && mount -t tmpfs -o mode=755 tmpfs "$d"
done
cp "$unitdir"/* /usr/lib/systemd/system/

# The cgroup namespace is rooted at the test's own cgroup: systemd sees it as the
# whole (unified) hierarchy and creates its slices and scopes below it only.
mount -t cgroup2 cgroup2 /sys/fs/cgroup

# Host-global sysctls become read-only (EROFS); per-netns /proc/sys/net stays writable.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net

# systemd as PID 1 logs to /dev/console: in here, that is the test's log file.
mount --bind "$log" /dev/console

hostname portaudit-test
export container=portaudit-test
exec /lib/systemd/systemd --system --unit=minimal.target --log-target=console --log-level=info
