/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helper for seed 002 ("TCP Self Connection Problem"): a client that binds
 * its source port explicitly (any address), then connects to ADDR:DSTPORT.
 * When ADDR is an address of this host and SRCPORT == DSTPORT, the SYN goes to
 * the socket that sent it and the connection is established at once, with
 * itself.  The request it writes comes back to it as the "response".
 *
 * No reservation in net.ipv4.ip_local_reserved_ports can stop this: the kernel
 * consults the bitmap only when it picks a port itself, never for an explicit
 * bind() (REFERENCE §1.4).
 *
 *   selfbind SRCPORT ADDR DSTPORT
 *
 * Prints "connected: local A:P peer A:P (itself)" and "response: LINE", then
 * holds the socket until killed.  Exits 1 when a step fails.
 */
#include <sys/time.h>

#include "helper.h"

int main(int argc, char *argv[])
{
	static const char request[] = "request,hostname\r\n";
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_in src = { .sin_family = AF_INET }, dst, local, peer;
	char l[64], p[64], line[256];
	size_t n = 0;
	ssize_t k;
	bool self;
	int fd;

	helper_name = "selfbind";
	if (argc != 4) {
		fprintf(stderr, "usage: selfbind SRCPORT ADDR DSTPORT\n");
		return 2;
	}
	src.sin_addr.s_addr = htonl(INADDR_ANY);
	src.sin_port = htons((uint16_t)helper_number(argv[1], 1, 65535, "source port"));
	dst = helper_addr(argv[2], (uint16_t)helper_number(argv[3], 1, 65535, "port"));

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		helper_die("socket");
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		helper_die("bind to port %s", argv[1]);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		helper_die("connect to %s", helper_format(&dst, p, sizeof(p)));
	self = helper_ends(fd, &local, &peer);
	printf("connected: local %s peer %s%s\n", helper_format(&local, l, sizeof(l)),
	       helper_format(&peer, p, sizeof(p)), self ? " (itself)" : "");
	fflush(stdout);

	if (write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1))
		helper_die("write");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		helper_die("setsockopt SO_RCVTIMEO");
	while (n < sizeof(line) - 1) {
		k = read(fd, line + n, 1);
		if (k < 0)
			helper_die("read");
		if (k == 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	printf("response: %s\n", line);
	fflush(stdout);
	helper_hold();
}
