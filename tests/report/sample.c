/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sample.h"

#define RANGE_KEY "net.ipv4.ip_local_port_range"
#define RANGE_PATH "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_KEY "net.ipv4.ip_local_reserved_ports"
#define RESERVED_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"

static const char inventory_yaml[] = "version: 1\n"
				     "services:\n"
				     "  mysql:\n"
				     "    ports: [3306, 28350]\n"
				     "  web:\n"
				     "    ports: [8080]\n"
				     "    unit: web.service\n"
				     "  dns:\n"
				     "    ports: [53]\n"
				     "    protocol: [tcp, udp]\n"
				     "  kube:\n"
				     "    ports: [\"30000-32767\"]\n"
				     "    reserve: false\n";

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "sample: out of memory\n");
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return s ? must(strdup(s)) : NULL;
}

static struct sockrec sock(enum proto proto, uint8_t state, const char *laddr, uint16_t lport,
			   const char *raddr, uint16_t rport, uint64_t inode, uint32_t uid)
{
	struct sockrec r = {
		.family = strchr(laddr, ':') ? AF_INET6 : AF_INET,
		.proto = (uint8_t)proto,
		.state = state,
		.v6only = -1,
		.lport = lport,
		.rport = rport,
		.inode = inode,
		.uid = uid,
	};

	if (inet_pton(r.family, laddr, r.laddr) != 1 || inet_pton(r.family, raddr, r.raddr) != 1)
		abort();
	if (r.family == AF_INET6)
		r.v6only = 0;
	return r;
}

static struct owner owner(uint64_t inode, pid_t pid, const char *comm, const char *unit)
{
	struct owner o = { .inode = inode, .pid = pid, .unit = (char *)unit };

	snprintf(o.comm, sizeof(o.comm), "%s", comm);
	return o;
}

/* Start a finding at the end of the list. */
static struct finding *add_finding(struct sample *s, enum finding_id id, enum severity sev,
				   const char *service, int proto, uint16_t port, const char *ports,
				   const char *message, const char *remediation)
{
	struct findings *fs = &s->findings;
	struct finding *f;

	fs->v = must(realloc(fs->v, (fs->n + 1) * sizeof(*fs->v)));
	f = &fs->v[fs->n++];
	*f = (struct finding){
		.id = id,
		.severity = sev,
		.service = service ? inventory_find(s->inv, service)->name : NULL,
		.proto = proto,
		.port = port,
		.ports = xstrdup(ports),
		.message = xstrdup(message),
		.remediation = xstrdup(remediation),
	};
	fs->count[sev]++;
	return f;
}

static struct evidence *add_evidence(struct finding *f, enum evidence_kind kind, const char *text,
				     const char *source, unsigned line, unsigned column)
{
	struct evidence *e;

	f->evidence = must(realloc(f->evidence, (f->n_evidence + 1) * sizeof(*f->evidence)));
	e = &f->evidence[f->n_evidence++];
	*e = (struct evidence){
		.kind = kind,
		.text = xstrdup(text),
		.source = source,
		.line = line,
		.column = column,
		.tool = -1,
	};
	return e;
}

static void add_kernel(struct finding *f, const char *key, const char *path, const char *value)
{
	struct evidence *e = add_evidence(f, EVIDENCE_KERNEL, "the live kernel value", path, 0, 0);

	e->key = key;
	e->value = xstrdup(value);
}

static void add_boot(struct finding *f, enum sysctld_tool tool, const char *value,
		     const char *source, unsigned line)
{
	struct evidence *e = add_evidence(f, EVIDENCE_BOOT, NULL, source,
					  line, 0);

	e->key = RESERVED_KEY;
	e->value = xstrdup(value);
	e->tool = (int)tool;
}

static void add_socket(struct finding *f, const struct sockrec *rec, const char *source)
{
	add_evidence(f, EVIDENCE_SOCKET, "a socket", source, 0, 0)->sock = rec;
}

static void add_inventory(struct sample *s, struct finding *f)
{
	const struct inventory_service *svc = inventory_find(s->inv, f->service);

	add_evidence(f, EVIDENCE_INVENTORY, "where the service is defined", svc->mark.file,
		     svc->mark.line, svc->mark.column);
}

static void build_snapshot(struct sample *s)
{
	struct snapshot *snap = &s->snap;

	snap->live = true;
	snap->root = (char *)"/";
	snap->kernel.range_lo = 28000;
	snap->kernel.range_hi = 29000;
	portset_add(&snap->kernel.reserved, 28999);
	portset_add(&snap->kernel.reserved, 30000);
	snap->kernel.unprivileged_start = 1024;
	snap->kernel.have_unprivileged_start = true;
	snap->kernel.source = (char *)"/proc/sys/net/ipv4";

	s->files[0] = (struct sysctld_file){ .path = (char *)"/etc/sysctl.d/10-db.conf",
					     .shown = (char *)"/etc/sysctl.d/10-db.conf",
					     .used = { true, true } };
	s->files[1] = (struct sysctld_file){ .path = (char *)"/etc/sysctl.d/99-zz-local.conf",
					     .shown = (char *)"/etc/sysctl.d/99-zz-local.conf",
					     .used = { true, true } };
	s->assignments[0] = (struct sysctld_assignment){
		.file = 0,
		.line = 3,
		.key = (char *)"net/ipv4/ip_local_reserved_ports",
		.value = (char *)"28350",
	};
	s->assignments[1] = (struct sysctld_assignment){
		.file = 1,
		.line = 1,
		.key = (char *)"net/ipv4/ip_local_reserved_ports",
		.value = (char *)"28400",
	};
	s->order[0] = 0;
	s->order[1] = 1;
	snap->sysctld = (struct sysctld){
		.files = s->files,
		.n_files = 2,
		.order = { s->order, s->order },
		.n_order = { 2, 2 },
		.assignments = s->assignments,
		.n_assignments = 2,
	};
	for (int t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		struct sysctld_boot *b = &snap->boot[t];

		portset_add(&b->reserved, 28400);
		b->reserved_from = &s->assignments[1];
		b->range_lo = 32768;
		b->range_hi = 60999;
		b->unprivileged_start = 1024;
	}

	s->listeners[0] = sock(PROTO_TCP, SOCKREC_LISTEN, "0.0.0.0", 3306, "0.0.0.0", 0, 100, 27);
	s->listeners[1] = sock(PROTO_TCP, SOCKREC_LISTEN, "::", 28500, "::", 0, 101, 0);
	s->udp[0] = sock(PROTO_UDP, SOCKREC_CLOSE, "0.0.0.0", 53, "0.0.0.0", 0, 102, 0);
	s->held[0] = sock(PROTO_TCP, SOCKREC_ESTABLISHED, "127.0.0.1", 28350, "127.0.0.1", 3306,
			  5001, 1000);
	s->held[1] = sock(PROTO_TCP, SOCKREC_TIME_WAIT, "127.0.0.1", 28350, "127.0.0.2", 3306, 0, 0);
	s->held[2] = sock(PROTO_TCP, SOCKREC_ESTABLISHED, "127.0.0.1", 40000, "127.0.0.1", 40000,
			  5002, 0);
	s->held[3] = sock(PROTO_TCP, SOCKREC_ESTABLISHED, "::1", 28352, "::1", 8080, 5003, 33);
	snap->sockets = (struct sockets){
		.backend = SOCKETS_NETLINK,
		.listeners = { .v = s->listeners, .n = 2, .cap = 2 },
		.udp = { .v = s->udp, .n = 1, .cap = 1 },
		.held = { .v = s->held, .n = 4, .cap = 4 },
		.n_tcp_other = 1534,
		.bound_inactive = true,
	};
	snap->have_sockets = true;

	s->owners[0] = owner(5001, 4242, "sysbench", "session-1.scope");
	s->owners[1] = owner(5003, 1, "systemd", "init.scope");
	s->owners[2] = owner(5003, 777, "nginx", NULL);
	s->owners[3] = owner(5003, 778, "nginx", NULL);
	s->owners[4] = owner(101, 900, "", "rogue.service");
	snap->owners = (struct owners){
		.v = s->owners, .n = 5, .complete = true, .n_pids = 120, .n_fds = 2400
	};
	snap->owners_resolved = true;

	s->listen = (struct unit_listen){
		.type = (char *)"Stream",
		.address = (char *)"[::]:8080",
		.inet = true,
		.family = AF_INET6,
		.proto = PROTO_TCP,
		.port = 8080,
	};
	s->unit = (struct socket_unit){
		.name = (char *)"web.socket",
		.load_state = (char *)"loaded",
		.active_state = (char *)"active",
		.listen = &s->listen,
		.n_listen = 1,
	};
	snap->units = (struct units){ .transport = UNITS_BUS, .v = &s->unit, .n = 1 };

	diag_init(&snap->notes, 50);
	for (unsigned i = 1; i <= 7; i++) {
		char file[64];

		snprintf(file, sizeof(file), "/etc/sysctl.d/5%u-note.conf", i);
		if (diag_add(&snap->notes, file, i, 0, "line %u is not an assignment, ignoring", i) < 0)
			abort();
	}
}

static void build_findings(struct sample *s)
{
	struct finding *f;
	char *longlist = must(malloc(SAMPLE_LONG_PORTS * 6 + 1));
	size_t len = 0;

	for (unsigned p = 0; p < SAMPLE_LONG_PORTS; p++)
		len += (size_t)snprintf(longlist + len, 7, "%s%u", p ? "," : "", 28000 + 2 * p);

	f = add_finding(s, FINDING_RANGE_PARITY, SEVERITY_INFO, NULL, -1, 0, NULL,
			"both ends of ip_local_port_range are even (28000 29000)",
			"give the ends different parity, e.g. net.ipv4.ip_local_port_range = 28000 28999");
	add_kernel(f, RANGE_KEY, RANGE_PATH, "28000 29000");

	f = add_finding(s, FINDING_PORT_HELD, SEVERITY_ERROR, "mysql", PROTO_TCP, 28350, NULL,
			"port 28350 is the local port of 2 sockets that do not listen: mysql cannot bind it",
			"stop the client holding it (pid 4242, sysbench)\nthen reserve the port: portaudit --fix");
	add_socket(f, &s->held[0], "netlink");
	add_socket(f, &s->held[1], "netlink");
	add_inventory(s, f);

	f = add_finding(s, FINDING_EPHEMERAL_POOL_SMALL, SEVERITY_WARNING, NULL, -1, 0, NULL,
			"only 1000 ephemeral ports are left for clients, fewer than 16384",
			"widen net.ipv4.ip_local_port_range or reserve fewer ports inside it");
	add_kernel(f, RANGE_KEY, RANGE_PATH, "28000 29000");
	add_kernel(f, RESERVED_KEY, RESERVED_PATH, longlist);

	f = add_finding(s, FINDING_SELF_CONNECT, SEVERITY_ERROR, NULL, PROTO_TCP, 40000, NULL,
			"a TCP socket is connected to itself on 127.0.0.1:40000",
			"reserve the port of the service the client meant to reach");
	add_socket(f, &s->held[2], "procfs");

	f = add_finding(s, FINDING_EPHEMERAL_OVERLAP, SEVERITY_ERROR, "mysql", PROTO_TCP, 28350, NULL,
			"port 28350 is inside the ephemeral range 28000-29000 and not reserved",
			"reserve it: portaudit --fix");
	add_kernel(f, RANGE_KEY, RANGE_PATH, "28000 29000");
	add_kernel(f, RESERVED_KEY, RESERVED_PATH, "28999,30000\n");
	add_inventory(s, f);

	f = add_finding(s, FINDING_CONFIG_OVERRIDDEN, SEVERITY_ERROR, "mysql", PROTO_TCP, 28350, NULL,
			"/etc/sysctl.d/99-zz-local.conf:1 overrides the reservation of port 28350",
			"add 28350 to the assignment in /etc/sysctl.d/99-zz-local.conf:1");
	{
		struct evidence *e = add_evidence(f, EVIDENCE_ASSIGNMENT, "reserves it, but is overridden",
						  "/etc/sysctl.d/10-db.conf", 3, 0);

		e->key = RESERVED_KEY;
		e->value = xstrdup("28350");
	}
	add_boot(f, SYSCTLD_SYSTEMD, "28400", "/etc/sysctl.d/99-zz-local.conf", 1);
	add_boot(f, SYSCTLD_PROCPS, "", NULL, 0);

	f = add_finding(s, FINDING_NOT_LISTENING, SEVERITY_INFO, "kube", PROTO_TCP, 30000,
			"30000-32767", "nothing listens on 2768 ports of kube",
			"start kube, or remove the ports from the inventory");
	add_inventory(s, f);

	f = add_finding(s, FINDING_UNEXPECTED_OWNER, SEVERITY_WARNING, "web", PROTO_TCP, 8080, NULL,
			"port 8080 is not held by web.service",
			"check which program serves port 8080");
	{
		struct evidence *e = add_evidence(f, EVIDENCE_UNIT, "a socket unit", "bus", 0, 0);

		e->unit = &s->unit;
		e->listen = &s->listen;
	}
	add_socket(f, &s->held[3], "netlink");
	add_evidence(f, EVIDENCE_SOCKET, "a listener on [::]:8080 that has gone", "netlink", 0, 0);

	f = add_finding(s, FINDING_NOT_PERSISTENT, SEVERITY_WARNING, "mysql", PROTO_TCP, 28350, NULL,
			"port 28350 is reserved now but not at the next boot",
			"reserve it in /etc/sysctl.d: portaudit --fix");
	add_boot(f, SYSCTLD_SYSTEMD, "28400", "/etc/sysctl.d/99-zz-local.conf", 1);

	f = add_finding(s, FINDING_UNLISTED_LISTENER, SEVERITY_WARNING, NULL, PROTO_TCP, 28500, NULL,
			"a listener on port 28500 inside the ephemeral range is in no service",
			"add it to the inventory, or move it out of the ephemeral range");
	add_socket(f, &s->listeners[1], "netlink");

	free(longlist);
}

void sample_init(struct sample *s)
{
	struct diag errors;

	*s = (struct sample){ 0 };
	build_snapshot(s);
	s->inv = must(inventory_new());
	diag_init(&errors, 0);
	if (inventory_parse_buffer(s->inv, SAMPLE_INVENTORY_FILE, inventory_yaml,
				   sizeof(inventory_yaml) - 1, NULL, &errors) != 0) {
		fprintf(stderr, "sample: the inventory does not parse\n");
		abort();
	}
	diag_done(&errors);
	build_findings(s);
	s->in = (struct report_input){ .inv = s->inv, .snap = &s->snap, .findings = &s->findings };
}

void sample_done(struct sample *s)
{
	findings_done(&s->findings);
	inventory_free(s->inv);
	diag_done(&s->snap.notes);
	*s = (struct sample){ 0 };
}

size_t sample_find(const struct sample *s, enum finding_id id)
{
	for (size_t i = 0; i < s->findings.n; i++)
		if (s->findings.v[i].id == id)
			return i;
	abort();
}
