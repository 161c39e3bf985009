/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portaudit/root.h"
#include "portaudit/snapshot.h"
#include "portaudit/sysctl.h"

/* How many notes a snapshot keeps; more are counted. */
#define SNAPSHOT_NOTES_MAX 50

/* "cannot read 'PATH': REASON" for a kernel sysctl, into *ret. */
static int kernel_error(const struct root *r, const char *key, const char *why, char **ret)
{
	char path[4096];
	_cleanup_free_ char *shown = NULL;

	if (sysctl_key_to_path(key, path, sizeof(path)) == 0)
		shown = root_display_path(r, path);
	if (asprintf(ret, "cannot read '%s': %s", shown ? shown : key, why) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Why a sysctl could not be read; sysctl_read() says -EBADFD for a FIFO or a device. */
static const char *read_error(int err)
{
	return err == -EBADFD ? "not a regular file" : strerror(-err);
}

static int read_kernel(const struct root *r, struct snapshot_kernel *k, char **reterr_msg)
{
	_cleanup_free_ char *range = NULL, *reserved = NULL, *unpriv = NULL;
	struct portset_parse_info info;
	size_t len;
	int ret;

	ret = sysctl_read(r, SYSCTL_PORT_RANGE, &range, &len);
	if (ret < 0)
		return kernel_error(r, SYSCTL_PORT_RANGE, read_error(ret), reterr_msg) ?: ret;
	ret = sysctl_parse_port_range(range, &k->range_lo, &k->range_hi);
	if (ret < 0) {
		char why[160], q[100];

		while (len > 0 && range[len - 1] == '\n')
			len--;
		snprintf(why, sizeof(why), "expected two port numbers 'min max', min <= max, not '%s'",
			 diag_quote(range, len, 24, q, sizeof(q)));
		return kernel_error(r, SYSCTL_PORT_RANGE, why, reterr_msg) ?: ret;
	}

	ret = sysctl_read(r, SYSCTL_RESERVED_PORTS, &reserved, &len);
	if (ret < 0)
		return kernel_error(r, SYSCTL_RESERVED_PORTS, read_error(ret), reterr_msg) ?: ret;
	ret = portset_parse(reserved, len, &k->reserved, &info);
	if (ret < 0) {
		char why[256];

		snprintf(why, sizeof(why), "byte %zu: %s", info.offset + 1,
			 portset_parse_error_to_string(info.error));
		return kernel_error(r, SYSCTL_RESERVED_PORTS, why, reterr_msg) ?: ret;
	}

	/* Older kernels (< 4.11) have no such key: not an error. */
	k->have_unprivileged_start =
		sysctl_read(r, SYSCTL_UNPRIVILEGED_PORT_START, &unpriv, &len) == 0 &&
		sysctl_parse_uint(unpriv, &k->unprivileged_start) == 0;
	k->source = root_display_path(r, "/proc/sys/net/ipv4");
	k->range_source = root_display_path(r, "/proc/sys/net/ipv4/ip_local_port_range");
	k->reserved_source = root_display_path(r, "/proc/sys/net/ipv4/ip_local_reserved_ports");
	return k->source && k->range_source && k->reserved_source ? 0 : -ENOMEM;
}

int snapshot_gather(const struct root *r, const struct portset *held_ports, bool hold_unit_ports,
		    struct snapshot *ret, char **reterr_msg)
{
	static const char *const keys[] = {
		SYSCTL_RESERVED_PORTS,
		SYSCTL_PORT_RANGE,
		SYSCTL_UNPRIVILEGED_PORT_START,
	};
	struct snapshot s = { .live = r->live };
	_cleanup_free_ struct portset *held = NULL;
	int k;

	*reterr_msg = NULL;
	diag_init(&s.notes, SNAPSHOT_NOTES_MAX);
	s.root = strdup(r->path);
	if (!s.root) {
		k = -ENOMEM;
		goto fail;
	}
	k = read_kernel(r, &s.kernel, reterr_msg);
	if (k < 0)
		goto fail;
	k = sysctld_load(r, keys, ARRAY_SIZE(keys), &s.notes, &s.sysctld);
	if (k < 0) {
		if (k != -ENOMEM && asprintf(reterr_msg, "cannot list the sysctl.d directories: %s",
					     strerror(-k)) < 0)
			*reterr_msg = NULL;
		goto fail;
	}
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		k = sysctld_next_boot(&s.sysctld, (enum sysctld_tool)t, &s.boot[t]);
		if (k < 0)
			goto fail;
	}
	/* No bus (a container, a --root tree, early boot without PID 1's socket) is a note. */
	k = units_read(r, &s.notes, &s.units);
	if (k < 0)
		goto fail;
	if (hold_unit_ports) {
		held = malloc(sizeof(*held));
		if (!held) {
			k = -ENOMEM;
			goto fail;
		}
		portset_clear(held);
		if (held_ports)
			*held = *held_ports;
		for (size_t i = 0; i < s.units.n; i++)
			for (size_t j = 0; j < s.units.v[i].n_listen; j++)
				if (s.units.v[i].listen[j].inet &&
				    s.units.v[i].listen[j].proto == PROTO_TCP)
					portset_add(held, s.units.v[i].listen[j].port);
		held_ports = held;
	}
	/* Sockets that cannot be read leave the other checks standing: a note. */
	k = sockets_read(r, held_ports, &s.notes, &s.sockets);
	if (k == -ENOMEM)
		goto fail;
	if (k < 0)
		diag_add(&s.notes, "sockets", 0, 0, "not read: %s", read_error(k));
	s.have_sockets = k == 0;
	*ret = s;
	return 0;
fail:
	snapshot_done(&s);
	return k;
}

int snapshot_resolve_owners(struct snapshot *s, const struct root *r, const uint64_t *inodes,
			    size_t n_inodes)
{
	int k;

	owners_done(&s->owners);
	s->owners_resolved = false;
	k = owners_find(r, inodes, n_inodes, &s->owners);
	if (k < 0)
		return k;
	s->owners_resolved = true;
	if (!s->owners.complete && s->owners.n_denied > 0)
		diag_add(&s->notes, "owners", 0, 0,
			 "%zu process%s could not be examined (%s), so some sockets show no owner",
			 s->owners.n_denied, s->owners.n_denied == 1 ? "" : "es",
			 geteuid() == 0 ? "their descriptors are not readable even for root here"
					: "run as root to see every owner");
	return 0;
}

int snapshot_inodes(const struct snapshot *s, uint64_t **ret, size_t *ret_n)
{
	const struct socklist *lists[] = { &s->sockets.listeners, &s->sockets.udp,
					   &s->sockets.held };
	size_t n = 0, total = 0;
	uint64_t *v;

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		total += lists[l]->n;
	v = reallocarray(NULL, total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (lists[l]->v[i].inode)
				v[n++] = lists[l]->v[i].inode;
	*ret = v;
	*ret_n = n;
	return 0;
}

void snapshot_done(struct snapshot *s)
{
	sockets_done(&s->sockets);
	units_done(&s->units);
	owners_done(&s->owners);
	sysctld_done(&s->sysctld);
	diag_done(&s->notes);
	free(s->kernel.source);
	free(s->kernel.range_source);
	free(s->kernel.reserved_source);
	free(s->root);
	*s = (struct snapshot){ 0 };
}
