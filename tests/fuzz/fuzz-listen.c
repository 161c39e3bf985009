/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * units_parse_listen() on a (type, address) pair split from the input at its
 * first newline.  Checked beyond "no crash": only -EINVAL and -ENOMEM fail, and
 * -EINVAL only for a socket type with an address that is neither a path, an
 * abstract name nor vsock; a parsed entry keeps the strings as given; an IP entry
 * has a port, a family that agrees with the brackets and a protocol that agrees
 * with the type, and its canonical form ("A.B.C.D:P", "[V6]:P") parses back to
 * the same address and port and formats to the same bytes again; any other type
 * never fails and is never IP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "portaudit/services.h"
#include "portaudit/units.h"

#include "fuzz.h"

static bool socket_type(const char *t)
{
	return !strcmp(t, "Stream") || !strcmp(t, "Datagram") || !strcmp(t, "SequentialPacket");
}

static int expected_proto(const char *t)
{
	return !strcmp(t, "Stream") ? PROTO_TCP : !strcmp(t, "Datagram") ? PROTO_UDP : -1;
}

/* The canonical text of an IP entry into buf. */
static void canonical(const struct unit_listen *l, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	FUZZ_CHECK(inet_ntop(l->family, l->addr, a, sizeof(a)), "inet_ntop failed");
	if (l->family == AF_INET)
		snprintf(buf, size, "%s:%u", a, l->port);
	else
		snprintf(buf, size, "[%s]:%u", a, l->port);
}

static void check_ip(const char *type, const char *address, const struct unit_listen *l)
{
	struct unit_listen again;
	char canon[80], canon2[80];
	int r;

	FUZZ_CHECK(socket_type(type), "type '%s' gave an IP entry", type);
	FUZZ_CHECK(l->family == (address[0] == '[' ? AF_INET6 : AF_INET), "family %d for '%s'",
		   l->family, address);
	FUZZ_CHECK(l->port != 0, "port 0 from '%s'", address);
	FUZZ_CHECK(l->proto == expected_proto(type), "protocol %d for type '%s'", l->proto, type);
	if (l->family == AF_INET)
		for (size_t i = 4; i < sizeof(l->addr); i++)
			FUZZ_CHECK(l->addr[i] == 0, "IPv4 '%s' left bytes in addr[%zu]", address, i);

	canonical(l, canon, sizeof(canon));
	r = units_parse_listen(type, canon, &again);
	if (r == -ENOMEM)
		return;
	FUZZ_CHECK(r == 0, "canonical form '%s' of '%s' does not parse: %d", canon, address, r);
	FUZZ_CHECK(again.inet && again.family == l->family && again.port == l->port &&
			   !memcmp(again.addr, l->addr, sizeof(l->addr)),
		   "'%s' and its canonical form '%s' differ", address, canon);
	canonical(&again, canon2, sizeof(canon2));
	FUZZ_CHECK(!strcmp(canon, canon2), "canonical form '%s' formats as '%s'", canon, canon2);
	units_listen_done(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	size_t alen = nl ? size - tlen - 1 : 0;
	char *type, *address;
	struct unit_listen l;
	int r;

	/* Two C strings, as sd-bus hands them over: each ends at its first NUL. */
	type = strndup((const char *)data, tlen);
	address = strndup(nl ? (const char *)nl + 1 : "", alen);
	if (!type || !address)
		goto out;

	r = units_parse_listen(type, address, &l);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "unexpected return %d", r);
	if (r == -EINVAL) {
		FUZZ_CHECK(socket_type(type), "type '%s' rejected '%s'", type, address);
		FUZZ_CHECK(address[0] != '/' && address[0] != '@' && strncmp(address, "vsock:", 6),
			   "a non-IP address '%s' was rejected", address);
	}
	if (r == 0) {
		FUZZ_CHECK(!strcmp(l.type, type) && !strcmp(l.address, address),
			   "the strings were not kept as given");
		if (l.inet)
			check_ip(type, address, &l);
		else {
			FUZZ_CHECK(l.proto == -1, "a non-IP entry has protocol %d", l.proto);
			FUZZ_CHECK(!socket_type(type) || address[0] == '/' || address[0] == '@' ||
					   address[0] == '<' || !strncmp(address, "vsock:", 6),
				   "'%s' '%s' accepted as not IP", type, address);
		}
		units_listen_done(&l);
	}

	/* The same address under a type that is no socket is never IP and never fails. */
	r = units_parse_listen("FIFO", address, &l);
	FUZZ_CHECK(r == 0 || r == -ENOMEM, "FIFO '%s' returned %d", address, r);
	if (r == 0) {
		FUZZ_CHECK(!l.inet && l.proto == -1, "FIFO '%s' parsed as IP", address);
		units_listen_done(&l);
	}
out:
	free(type);
	free(address);
	return 0;
}
