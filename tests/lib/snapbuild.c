/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "snapbuild.h"

#define SYSCTL_CONF "/etc/sysctl.conf"

/* The keys snapshot_gather() asks sysctld_load() for, normalized. */
static const char *const port_keys[] = {
	"net/ipv4/ip_local_reserved_ports",
	"net/ipv4/ip_local_port_range",
	"net/ipv4/ip_unprivileged_port_start",
};

int snapbuild_init(struct snapshot *s, uint16_t lo, uint16_t hi)
{
	int k;

	if (lo > hi)
		return -EINVAL;
	*s = (struct snapshot){
		.live = true,
		.kernel = {
			.range_lo = lo,
			.range_hi = hi,
			.unprivileged_start = 1024,
			.have_unprivileged_start = true,
		},
		.sockets = { .backend = SOCKETS_NETLINK, .bound_inactive = true },
		.have_sockets = true,
		.units = { .transport = UNITS_BUS },
		.owners = { .complete = true },
	};
	diag_init(&s->notes, 0);
	portset_clear(&s->kernel.reserved);
	s->root = strdup("/");
	s->kernel.source = strdup("/proc/sys/net/ipv4");
	s->kernel.range_source = strdup("/proc/sys/net/ipv4/ip_local_port_range");
	s->kernel.reserved_source = strdup("/proc/sys/net/ipv4/ip_local_reserved_ports");
	if (!s->root || !s->kernel.source || !s->kernel.range_source || !s->kernel.reserved_source) {
		snapshot_done(s);
		return -ENOMEM;
	}
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		k = sysctld_next_boot(&s->sysctld, (enum sysctld_tool)t, &s->boot[t]);
		if (k < 0) {
			snapshot_done(s);
			return k;
		}
	}
	return 0;
}

int snapbuild_range(struct snapshot *s, uint16_t lo, uint16_t hi)
{
	if (lo > hi)
		return -EINVAL;
	s->kernel.range_lo = lo;
	s->kernel.range_hi = hi;
	return 0;
}

int snapbuild_reserve(struct snapshot *s, const char *list)
{
	return portset_parse(list, strlen(list), &s->kernel.reserved, NULL);
}

/*
 * The order each tool applies the files in: the order they were added, and for
 * procps /etc/sysctl.conf once more at the end (sysctld_load() does the same
 * with the files it lists).
 */
static int rebuild_order(struct sysctld *c)
{
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		size_t *o = calloc(c->n_files ? c->n_files : 1, sizeof(*o)), n = 0;

		if (!o)
			return -ENOMEM;
		for (int final = 0; final <= 1; final++)
			for (size_t i = 0; i < c->n_files; i++)
				if (c->files[i].used[t] && c->files[i].final_pass == final)
					o[n++] = i;
		free(c->order[t]);
		c->order[t] = o;
		c->n_order[t] = n;
	}
	return 0;
}

int snapbuild_sysctld_file(struct snapshot *s, const char *path, const char *content)
{
	struct sysctld *c = &s->sysctld;
	struct sysctld_file *files;
	bool final = strcmp(path, SYSCTL_CONF) == 0;
	size_t idx = c->n_files, first = c->n_assignments;
	int k;

	files = reallocarray(c->files, c->n_files + 1, sizeof(*files));
	if (!files)
		return -ENOMEM;
	c->files = files;
	files[idx] = (struct sysctld_file){
		.path = strdup(path),
		.shown = strdup(path),
		.used = { [SYSCTLD_SYSTEMD] = !final, [SYSCTLD_PROCPS] = true },
		.final_pass = final,
	};
	c->n_files++;
	if (!files[idx].path || !files[idx].shown)
		return -ENOMEM;
	k = sysctld_parse_buffer(c, idx, content, strlen(content), port_keys,
				 ARRAY_SIZE(port_keys), &s->notes);
	if (k < 0)
		return k;
	c->files[idx].first_assignment = first;
	c->files[idx].n_assignments = c->n_assignments - first;
	k = rebuild_order(c);
	if (k < 0)
		return k;
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		k = sysctld_next_boot(c, (enum sysctld_tool)t, &s->boot[t]);
		if (k < 0)
			return k;
	}
	return 0;
}

/* "A.B.C.D:PORT" or "[V6]:PORT" into family, address and port. */
static int parse_endpoint(const char *text, int *ret_family, uint8_t ret_addr[16],
			  uint16_t *ret_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *close;
	uint8_t addr[16] = { 0 };
	size_t hlen;
	char *end;
	unsigned long p;
	int family;

	if (text[0] == '[') {
		close = strchr(text, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - text - 1);
		port = close + 2;
		text++;
		family = AF_INET6;
	} else {
		close = strrchr(text, ':');
		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - text);
		port = close + 1;
		family = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(family, host, addr) != 1)
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || end == port || *end || p > 65535)
		return -EINVAL;
	*ret_family = family;
	memcpy(ret_addr, addr, sizeof(addr));
	*ret_port = (uint16_t)p;
	return 0;
}

int snapbuild_socket(struct snapshot *s, enum proto proto, uint8_t state, const char *local,
		     const char *remote, int v6only, uint64_t inode)
{
	struct sockrec rec = { .proto = (uint8_t)proto, .state = state, .inode = inode };
	struct portset all;
	int family, rfamily, k;

	if ((unsigned)proto >= _PROTO_MAX)
		return -EINVAL;
	k = parse_endpoint(local, &family, rec.laddr, &rec.lport);
	if (k < 0)
		return k;
	if (remote) {
		k = parse_endpoint(remote, &rfamily, rec.raddr, &rec.rport);
		if (k < 0)
			return k;
		if (rfamily != family)
			return -EINVAL;
	}
	rec.family = (uint8_t)family;
	rec.v6only = (int8_t)(family == AF_INET6 ? v6only : -1);
	portset_fill(&all);
	return sockets_add(&s->sockets, &all, &rec);
}

int snapbuild_tcp(struct snapshot *s, uint8_t state, const char *local, const char *remote,
		  uint64_t inode)
{
	if (state == SOCKREC_LISTEN || state == SOCKREC_BOUND_INACTIVE)
		return -EINVAL;
	return snapbuild_socket(s, PROTO_TCP, state, local, remote, -1, inode);
}

int snapbuild_listen(struct snapshot *s, const char *local, int v6only, uint64_t inode)
{
	return snapbuild_socket(s, PROTO_TCP, SOCKREC_LISTEN, local, NULL, v6only, inode);
}

int snapbuild_udp(struct snapshot *s, const char *local, const char *remote, int v6only,
		  uint64_t inode)
{
	return snapbuild_socket(s, PROTO_UDP, remote ? SOCKREC_ESTABLISHED : SOCKREC_CLOSE, local,
				remote, v6only, inode);
}

int snapbuild_owner(struct snapshot *s, uint64_t inode, pid_t pid, const char *comm,
		    const char *unit)
{
	struct owner *v, o = { .inode = inode, .pid = pid };

	if (strlen(comm) >= sizeof(o.comm))
		return -EINVAL;
	memcpy(o.comm, comm, strlen(comm) + 1);
	if (unit && !(o.unit = strdup(unit)))
		return -ENOMEM;
	v = reallocarray(s->owners.v, s->owners.n + 1, sizeof(*v));
	if (!v) {
		free(o.unit);
		return -ENOMEM;
	}
	s->owners.v = v;
	v[s->owners.n++] = o;
	s->owners_resolved = true;
	return 0;
}

/* The unit named name, added in name order when new; NULL on ENOMEM. */
static struct socket_unit *unit_get(struct units *u, const char *name)
{
	struct socket_unit *v, nu;
	size_t at = 0;

	while (at < u->n && strcmp(u->v[at].name, name) < 0)
		at++;
	if (at < u->n && strcmp(u->v[at].name, name) == 0)
		return &u->v[at];
	nu = (struct socket_unit){
		.name = strdup(name),
		.load_state = strdup("loaded"),
		.active_state = strdup("active"),
		.unit_file_state = strdup("enabled"),
		.bind_ipv6_only = strdup("default"),
	};
	if (nu.name && asprintf(&nu.fragment_path, "/usr/lib/systemd/system/%s", name) < 0)
		nu.fragment_path = NULL;
	v = reallocarray(u->v, u->n + 1, sizeof(*v));
	if (v)
		u->v = v;
	if (!v || !nu.name || !nu.load_state || !nu.active_state || !nu.unit_file_state ||
	    !nu.bind_ipv6_only || !nu.fragment_path) {
		free(nu.name);
		free(nu.load_state);
		free(nu.active_state);
		free(nu.unit_file_state);
		free(nu.bind_ipv6_only);
		free(nu.fragment_path);
		return NULL;
	}
	memmove(&u->v[at + 1], &u->v[at], (u->n - at) * sizeof(*v));
	u->v[at] = nu;
	u->n++;
	return &u->v[at];
}

int snapbuild_unit(struct snapshot *s, const char *name, const char *type, const char *address)
{
	struct unit_listen l, *v;
	struct socket_unit *u;
	int k;

	k = units_parse_listen(type, address, &l);
	if (k < 0)
		return k;
	u = unit_get(&s->units, name);
	if (!u) {
		units_listen_done(&l);
		return -ENOMEM;
	}
	v = reallocarray(u->listen, u->n_listen + 1, sizeof(*v));
	if (!v) {
		units_listen_done(&l);
		return -ENOMEM;
	}
	u->listen = v;
	v[u->n_listen++] = l;
	return 0;
}

int snapbuild_inventory(const char *yaml, struct diag *diag, struct inventory **ret)
{
	_cleanup_(services_freep) struct services *services = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	struct diag local;
	int k;

	k = services_parse_buffer("", 0, &services, NULL);
	if (k < 0)
		return k;
	inv = inventory_new();
	if (!inv)
		return -ENOMEM;
	diag_init(&local, 0);
	k = inventory_parse_buffer(inv, "inv.yaml", yaml, strlen(yaml), services,
				   diag ? diag : &local);
	diag_done(&local);
	if (k < 0)
		return k;
	*ret = TAKE_PTR(inv);
	return 0;
}
