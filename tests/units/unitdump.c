/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper: units_read() (auto) or units_read_transport() (bus, private),
 * printed for units-boot.sh.
 *
 *   unitdump [--root DIR] [auto|bus|private|none]
 *
 * prints "transport T", then per unit
 *   "unit NAME load=L active=A file=F ipv6only=B fragment=P" (F "-" when NULL)
 * and per Listen entry
 *   "listen NAME TYPE ADDRESS FAMILY PROTO ADDR PORT" (inet4/inet6, tcp/udp/-)
 *   "listen NAME TYPE ADDRESS -" for the others,
 * then "note MESSAGE" per note.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "portaudit/diag.h"
#include "portaudit/services.h"
#include "portaudit/units.h"

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

int main(int argc, char **argv)
{
	_cleanup_(root_freep) struct root *root = NULL;
	const char *root_path = NULL, *mode = "auto";
	struct diag notes;
	struct units u;
	int i = 1, r;

	if (argc > 2 && strcmp(argv[1], "--root") == 0) {
		root_path = argv[2];
		i = 3;
	}
	if (i < argc)
		mode = argv[i++];
	if (i != argc) {
		fprintf(stderr, "usage: unitdump [--root DIR] [auto|bus|private|none]\n");
		return 2;
	}
	r = root_new(root_path, &root);
	if (r < 0) {
		fprintf(stderr, "unitdump: root: %s\n", strerror(-r));
		return 1;
	}
	diag_init(&notes, 100);
	if (strcmp(mode, "auto") == 0)
		r = units_read(root, &notes, &u);
	else if (strcmp(mode, "bus") == 0)
		r = units_read_transport(root, UNITS_BUS, &notes, &u);
	else if (strcmp(mode, "private") == 0)
		r = units_read_transport(root, UNITS_PRIVATE, &notes, &u);
	else if (strcmp(mode, "none") == 0)
		r = units_read_transport(root, UNITS_NONE, &notes, &u);
	else {
		fprintf(stderr, "unitdump: unknown transport '%s'\n", mode);
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "unitdump: %s\n", strerror(-r));
		diag_done(&notes);
		return 1;
	}
	printf("transport %s\n", units_transport_to_string(u.transport));
	for (size_t k = 0; k < u.n; k++) {
		const struct socket_unit *s = &u.v[k];

		printf("unit %s load=%s active=%s file=%s ipv6only=%s fragment=%s\n", s->name,
		       or_dash(s->load_state), or_dash(s->active_state), or_dash(s->unit_file_state),
		       or_dash(s->bind_ipv6_only), or_dash(s->fragment_path));
		for (size_t j = 0; j < s->n_listen; j++) {
			const struct unit_listen *l = &s->listen[j];
			char a[INET6_ADDRSTRLEN];

			if (!l->inet) {
				printf("listen %s %s %s -\n", s->name, l->type, l->address);
				continue;
			}
			if (!inet_ntop(l->family, l->addr, a, sizeof(a)))
				snprintf(a, sizeof(a), "?");
			printf("listen %s %s %s %s %s %s %u\n", s->name, l->type, l->address,
			       l->family == AF_INET ? "inet4" : "inet6",
			       l->proto >= 0 ? proto_to_string(l->proto) : "-", a, l->port);
		}
	}
	for (size_t k = 0; k < notes.n; k++) {
		char buf[1024];

		diag_format(&notes.entries[k], buf, sizeof(buf));
		printf("note %s\n", buf);
	}
	units_done(&u);
	diag_done(&notes);
	return 0;
}
