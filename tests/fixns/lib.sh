# Shared by the tests/fixns scripts: namespaces that hide every sysctl.d
# directory and /etc/sysctl.conf behind private mounts (REFERENCE §5,
# reference/exp/sysctl_ns.sh), holders that keep a namespace alive between
# commands, and set arithmetic on port lists.  Source tests/lib/tap.sh first.

systemd_sysctl=/lib/systemd/systemd-sysctl
frag=/etc/sysctl.d/99-zz-portaudit.conf
frag_temp=/etc/sysctl.d/.99-zz-portaudit.conf.tmp
reserved_proc=/proc/sys/net/ipv4/ip_local_reserved_ports
range_proc=/proc/sys/net/ipv4/ip_local_port_range
conf_dirs="/etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d"
fixns_lib=$abs_top_srcdir/tests/fixns

# Skip the whole script unless it can run here (TAP "1..0 # SKIP").
fixns_preflight() {
	local tool
	[ "$(id -u)" = 0 ] || skip_all "needs root for mount and network namespaces"
	for tool in unshare nsenter findmnt jq flock patch sysctl; do
		command -v "$tool" >/dev/null || skip_all "$tool is missing"
	done
	[ -x "$systemd_sysctl" ] || skip_all "$systemd_sysctl is missing"
	[ -f /etc/sysctl.conf ] ||
		skip_all "/etc/sysctl.conf does not exist, so it cannot be covered by a bind mount"
	[ -d /etc/sysctl.d ] ||
		skip_all "/etc/sysctl.d does not exist, so it cannot be covered by a mount"
	unshare -m -n --propagation private true 2>/dev/null ||
		skip_all "cannot create mount and network namespaces here"
}

# Whether the mount holding path $1 is one of ours (of mounts stacked on one
# place, findmnt lists the topmost last).
fixns_ours() {
	[ "$(findmnt -n -o SOURCE -T "$1" 2>/dev/null | tail -n 1)" = portaudit-fixns ]
}

fixns_tmpfs() {
	mount -t tmpfs -o "size=${2:-4m},mode=0755" portaudit-fixns "$1" && fixns_ours "$1"
}

# Cover every directory either tool reads, and /etc/sysctl.conf with the
# scratch file $1, in the current (private) mount namespace.  Nothing is
# written below them unless each one is checked to be our own mount.
# Returns non-zero when that cannot be done.
fixns_cover() {
	local d
	fixns_tmpfs /etc/sysctl.d || return 1
	fixns_tmpfs /run || return 1
	mkdir /run/sysctl.d || return 1
	fixns_tmpfs /usr/lib/sysctl.d || return 1
	# A split-/usr system has a /lib/sysctl.d of its own that procps reads.
	if [ ! -L /lib ] && [ -d /lib/sysctl.d ]; then
		fixns_tmpfs /lib/sysctl.d || return 1
	fi
	# /usr/local/lib/sysctl.d is made only inside a tmpfs of ours.
	if [ -d /usr/local/lib/sysctl.d ]; then
		fixns_tmpfs /usr/local/lib/sysctl.d || return 1
	elif [ -d /usr/local/lib ]; then
		fixns_tmpfs /usr/local/lib || return 1
		mkdir /usr/local/lib/sysctl.d || return 1
	elif [ -d /usr/local ]; then
		fixns_tmpfs /usr/local || return 1
		mkdir -p /usr/local/lib/sysctl.d || return 1
	else
		return 1
	fi
	: >"$1" || return 1
	mount --bind "$1" /etc/sysctl.conf || return 1
	for d in $conf_dirs; do
		fixns_ours "$d" || return 1
	done
	[ "$(stat -c %d:%i /etc/sysctl.conf)" = "$(stat -c %d:%i "$1")" ]
}

# Empty every covered directory and the scratch /etc/sysctl.conf.
fixns_reset_tree() {
	local d
	for d in $conf_dirs; do
		fixns_ours "$d" || return 1
		find "$d" -mindepth 1 -delete || return 1
	done
	: >/etc/sysctl.conf
}

# ns_start UNSHARE-OPTION...: start a process that holds new namespaces open
# (sleep, killed by ns_stop or the caller's trap) and set NS to its pid once it
# runs inside them.
ns_start() {
	local i
	unshare "$@" sleep 600 &
	NS=$!
	ns_pids="$ns_pids $NS"
	# unshare execs sleep only after it has made the namespaces.
	for ((i = 0; i < 500; i++)); do
		[ "$(cat "/proc/$NS/comm" 2>/dev/null)" = sleep ] && return 0
		sleep 0.01
	done
	return 1
}

ns_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	ns_pids=${ns_pids/ $1/}
}

# Kill every holder still running (for traps).
ns_stop_all() {
	local p
	for p in $ns_pids; do
		kill "$p" 2>/dev/null
	done
}

# pset OP A [B]: set arithmetic on port lists (portset.awk).
pset() {
	awk -v op="$1" -v a="$2" -v b="$3" -f "$fixns_lib/portset.awk" </dev/null
}

# The value the fragment $1 assigns, "" when it assigns nothing; fails when
# the file is not one comment header and at most one canonical assignment.
fragment_value() {
	awk '
		/^#/ { next }
		/^net\.ipv4\.ip_local_reserved_ports = [0-9][0-9,-]*$/ && n == 0 {
			n++; sub(/^[^=]*= /, ""); v = $0; next
		}
		{ bad = 1 }
		END { if (bad) exit 1; print v }' "$1"
}

# The assignment of net.ipv4.ip_local_reserved_ports that systemd-sysctl
# applies, as FILE:LINE, read from its own --cat-config (files in its order):
# the last one, except that a later assignment of the same value does not
# replace an earlier one (systemd 252 sysctl.c parse_file(): only a different
# value logs "Overwriting earlier assignment").
systemd_winner() {
	"$systemd_sysctl" --cat-config 2>/dev/null | awk '
		/^# \// { file = substr($0, 3); line = 0; next }
		{ line++ }
		{
			s = $0; sub(/^[ \t]+/, "", s)
			if (s ~ /^[#;]/ || index(s, "=") == 0) next
			sub(/^-/, "", s); k = substr(s, 1, index(s, "=") - 1)
			v = substr(s, index(s, "=") + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", v)
			gsub(/[ \t]/, "", k); gsub(/\//, ".", k)
			if (k == "net.ipv4.ip_local_reserved_ports" && (w == "" || v != wv)) {
				w = file ":" line; wv = v
			}
		}
		END { print w }'
}
