/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/root.h"
#include "portaudit/services.h"

/* Parse a C string; fails the test on error. */
static struct services *parse(const char *text, unsigned *ret_skipped)
{
	struct services *s = NULL;

	assert_int_equal(services_parse_buffer(text, strlen(text), &s, ret_skipped), 0);
	assert_non_null(s);
	return s;
}

/* The port of name/p, or -1 when the lookup fails. */
static long port_of(const struct services *s, const char *name, enum proto p)
{
	uint16_t port = 0;
	int r = services_lookup(s, name, p, &port);

	if (r == -ENOENT)
		return -1;
	assert_int_equal(r, 0);
	return port;
}

static void test_proto_strings(void **state _unused_)
{
	static const char *const bad[] = { "", "TCP", "Tcp", "UDP", "tc", "tcpx", "tcp ",
					   " tcp", "ddp", "sctp", "udp6", "6" };

	assert_string_equal(proto_to_string(PROTO_TCP), "tcp");
	assert_string_equal(proto_to_string(PROTO_UDP), "udp");
	assert_null(proto_to_string(_PROTO_MAX));
	assert_null(proto_to_string(_PROTO_INVALID));
	assert_null(proto_to_string((enum proto)12345));

	assert_int_equal(proto_from_string("tcp"), PROTO_TCP);
	assert_int_equal(proto_from_string("udp"), PROTO_UDP);
	assert_int_equal(proto_from_string(NULL), _PROTO_INVALID);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (proto_from_string(bad[i]) != _PROTO_INVALID)
			fail_msg("'%s' should not be a protocol", bad[i]);

	for (int p = 0; p < _PROTO_MAX; p++)
		assert_int_equal(proto_from_string(proto_to_string((enum proto)p)), p);
}

static void test_parse_format(void **state _unused_)
{
	_cleanup_(services_freep) struct services *s = NULL;
	unsigned skipped = 99;

	s = parse("# /etc/services: a header comment\n"
		  "#\n"
		  "\n"
		  "   \n"
		  "\t\t\n"
		  "   # an indented comment\n"
		  "ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol\n"
		  "domain\t\t53/tcp\n"
		  "domain\t\t53/udp\n"
		  "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
		  "  kerberos 88/tcp  kerberos5 krb5\tkerberos-sec # Kerberos v5\n"
		  "syslog 514/udp\n"
		  "shell 514/tcp cmd#no space before this comment\n"
		  "crlf 7000/tcp crlf-alias\r\n"
		  "max 65535/udp\n"
		  "min 1/tcp\n"
		  "zeros 0080/tcp\n"
		  "last 9999/tcp", /* no final newline */
		  &skipped);

	assert_int_equal(skipped, 0);
	assert_int_equal(port_of(s, "ssh", PROTO_TCP), 22);
	assert_int_equal(port_of(s, "domain", PROTO_TCP), 53);
	assert_int_equal(port_of(s, "domain", PROTO_UDP), 53);
	assert_int_equal(port_of(s, "http", PROTO_TCP), 80);
	assert_int_equal(port_of(s, "www", PROTO_TCP), 80);
	assert_int_equal(port_of(s, "kerberos", PROTO_TCP), 88);
	assert_int_equal(port_of(s, "kerberos5", PROTO_TCP), 88);
	assert_int_equal(port_of(s, "krb5", PROTO_TCP), 88);
	assert_int_equal(port_of(s, "kerberos-sec", PROTO_TCP), 88);
	assert_int_equal(port_of(s, "syslog", PROTO_UDP), 514);
	assert_int_equal(port_of(s, "shell", PROTO_TCP), 514);
	assert_int_equal(port_of(s, "cmd", PROTO_TCP), 514);
	assert_int_equal(port_of(s, "crlf", PROTO_TCP), 7000);
	assert_int_equal(port_of(s, "crlf-alias", PROTO_TCP), 7000); /* no trailing CR */
	assert_int_equal(port_of(s, "max", PROTO_UDP), 65535);
	assert_int_equal(port_of(s, "min", PROTO_TCP), 1);
	assert_int_equal(port_of(s, "zeros", PROTO_TCP), 80);
	assert_int_equal(port_of(s, "last", PROTO_TCP), 9999);

	/* Comment words are not aliases. */
	assert_int_equal(port_of(s, "SSH", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "Remote", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "Kerberos", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "v5", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "no", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "#", PROTO_TCP), -1);
	/* A protocol a name is not defined for. */
	assert_int_equal(port_of(s, "ssh", PROTO_UDP), -1);
	assert_int_equal(port_of(s, "syslog", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "www", PROTO_UDP), -1);

	/* 12 (name, protocol) pairs from the names and 6 from the aliases. */
	assert_int_equal(services_size(s), 12 + 6);
}

static void test_parse_first_wins(void **state _unused_)
{
	_cleanup_(services_freep) struct services *s = NULL;
	unsigned skipped = 99;

	s = parse("dup 100/tcp\n"
		  "dup 200/tcp\n"         /* a later name: ignored */
		  "dup 300/udp\n"         /* other protocol: its own entry */
		  "dup 400/udp\n"
		  "other 500/tcp dup\n"   /* a later alias: ignored */
		  "first 600/tcp alias\n"
		  "alias 700/tcp\n"       /* a name defined earlier as an alias: ignored */
		  "alias 800/udp\n"
		  "both 1000/tcp\n"
		  "both 2000/udp\n"
		  "self 900/tcp self\n",  /* name repeated as its own alias */
		  &skipped);

	assert_int_equal(skipped, 0);
	assert_int_equal(port_of(s, "dup", PROTO_TCP), 100);
	assert_int_equal(port_of(s, "dup", PROTO_UDP), 300);
	assert_int_equal(port_of(s, "other", PROTO_TCP), 500);
	assert_int_equal(port_of(s, "first", PROTO_TCP), 600);
	assert_int_equal(port_of(s, "alias", PROTO_TCP), 600);
	assert_int_equal(port_of(s, "alias", PROTO_UDP), 800);
	assert_int_equal(port_of(s, "both", PROTO_TCP), 1000);
	assert_int_equal(port_of(s, "both", PROTO_UDP), 2000);
	assert_int_equal(port_of(s, "self", PROTO_TCP), 900);
	/* dup×2, other, first, alias×2, both×2, self. */
	assert_int_equal(services_size(s), 9);
}

static void test_parse_malformed(void **state _unused_)
{
	static const char *const bad[] = {
		"noslash 53",            /* missing slash */
		"zero 0/tcp",            /* port 0 */
		"big 65536/tcp",         /* port 65536 */
		"huge 99999999999999999999999999/tcp",
		"letters 12a/tcp",       /* port "12a" */
		"appletalk 2/ddp",       /* unknown protocol */
		"amqp 5672/sctp",
		"upper 53/TCP",          /* protocols are case-sensitive */
		"lonely",                /* only a name */
		"lonely-tab\t",
		"noport /tcp",
		"noproto 53/",
		"twoslash 53/tcp/udp",
		"minus -53/tcp",
		"plus +53/tcp",
		"hex 0x35/tcp",
		"space 53 /tcp",
		"space2 53/ tcp",
		"53/tcp",                /* the port in the name column, nothing after */
		"cut#here 53/tcp",       /* the comment swallows the port */
		"nul\0 53/tcp",          /* the line ends at the NUL, like glibc's C strings */
	};
	static const size_t bad_len[ARRAY_SIZE(bad)] = { [20] = sizeof("nul\0 53/tcp") - 1 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_(services_freep) struct services *s = NULL;
		size_t len = bad_len[i] ? bad_len[i] : strlen(bad[i]);
		unsigned skipped = 99;

		assert_int_equal(services_parse_buffer(bad[i], len, &s, &skipped), 0);
		if (skipped != 1 || services_size(s) != 0)
			fail_msg("'%s': skipped %u, %zu entries; want 1 and 0", bad[i], skipped,
				 services_size(s));
	}

	/* Mixed with good lines, which still count, each bad line counted once. */
	_cleanup_(services_freep) struct services *s = NULL;
	unsigned skipped = 99;

	s = parse("good1 10/tcp\n"
		  "noslash 53 alias1\n"
		  "zero 0/tcp alias2\n"
		  "big 65536/udp\n"
		  "letters 12a/tcp\n"
		  "appletalk 2/ddp alias3\n"
		  "lonely\n"
		  "# a comment is not malformed\n"
		  "\n"
		  "good2 20/udp\n",
		  &skipped);
	assert_int_equal(skipped, 6);
	assert_int_equal(services_size(s), 2);
	assert_int_equal(port_of(s, "good1", PROTO_TCP), 10);
	assert_int_equal(port_of(s, "good2", PROTO_UDP), 20);
	assert_int_equal(port_of(s, "alias1", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "alias2", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "alias3", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "zero", PROTO_TCP), -1);
	assert_int_equal(port_of(s, "big", PROTO_UDP), -1);
	assert_int_equal(port_of(s, "lonely", PROTO_TCP), -1);
}

static void test_lookup_miss(void **state _unused_)
{
	_cleanup_(services_freep) struct services *s = NULL;
	uint16_t port = 4242;

	s = parse("ssh 22/tcp\nhttp 80/tcp www\n", NULL);

	assert_int_equal(services_lookup(s, "nosuch", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "ssh", PROTO_UDP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "SSH", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "ss", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "sshd", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "22", PROTO_TCP, &port), -ENOENT);
	assert_int_equal(services_lookup(s, "ssh", _PROTO_INVALID, &port), -EINVAL);
	assert_int_equal(services_lookup(s, "ssh", _PROTO_MAX, &port), -EINVAL);
	assert_int_equal(port, 4242); /* untouched on failure */

	assert_int_equal(services_lookup(s, "www", PROTO_TCP, &port), 0);
	assert_int_equal(port, 80);
}

static void test_parse_empty(void **state _unused_)
{
	static const char *const empty[] = { "", "\n", "\n\n\n", "# only a comment",
					     "  \t \r\n#x\n" };

	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		_cleanup_(services_freep) struct services *s = NULL;
		unsigned skipped = 99;
		uint16_t port = 7;

		assert_int_equal(services_parse_buffer(empty[i], strlen(empty[i]), &s, &skipped), 0);
		assert_int_equal(skipped, 0);
		assert_int_equal(services_size(s), 0);
		assert_int_equal(services_lookup(s, "ssh", PROTO_TCP, &port), -ENOENT);
		assert_int_equal(port, 7);
	}

	/* After a NUL, the rest of the line is ignored. */
	static const char nul[] = "nul 53/tcp\0garbage\nnext 54/udp\n";
	_cleanup_(services_freep) struct services *t = NULL;
	unsigned skipped = 99;

	assert_int_equal(services_parse_buffer(nul, sizeof(nul) - 1, &t, &skipped), 0);
	assert_int_equal(skipped, 0);
	assert_int_equal(services_size(t), 2);
	assert_int_equal(port_of(t, "nul", PROTO_TCP), 53);
	assert_int_equal(port_of(t, "next", PROTO_UDP), 54);

	/* A length shorter than the string: the rest is not read. */
	_cleanup_(services_freep) struct services *s = NULL;
	const char *text = "a 1/tcp\nb 2/tcp\n";

	assert_int_equal(services_parse_buffer(text, 8, &s, /* ret_skipped= */ NULL), 0);
	assert_int_equal(port_of(s, "a", PROTO_TCP), 1);
	assert_int_equal(port_of(s, "b", PROTO_TCP), -1);

	assert_null(services_free(NULL));
}

/* Many entries in reverse order, each name defined twice per protocol. */
static void test_parse_many(void **state _unused_)
{
	enum { N = 20000 };
	_cleanup_(services_freep) struct services *s = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size = (size_t)N * 4 * 40, len = 0;
	unsigned skipped = 99;

	text = malloc(size);
	assert_non_null(text);
	for (int round = 0; round < 2; round++)
		for (int i = N - 1; i >= 0; i--) {
			int n = snprintf(text + len, size - len, "svc%05d %d/tcp a%d\nsvc%05d %d/udp\n",
					 i, 1 + i + round * 30000, i, i, 2 + i + round * 30000);
			assert_true(n > 0 && (size_t)n < size - len);
			len += (size_t)n;
		}

	assert_int_equal(services_parse_buffer(text, len, &s, &skipped), 0);
	assert_int_equal(skipped, 0);
	assert_int_equal(services_size(s), (size_t)N * 3);
	for (int i = 0; i < N; i++) {
		char name[32], alias[32];

		snprintf(name, sizeof(name), "svc%05d", i);
		snprintf(alias, sizeof(alias), "a%d", i);
		if (port_of(s, name, PROTO_TCP) != 1 + i || port_of(s, name, PROTO_UDP) != 2 + i ||
		    port_of(s, alias, PROTO_TCP) != 1 + i || port_of(s, alias, PROTO_UDP) != -1)
			fail_msg("entry %d is wrong", i);
	}
}

/* The whole of a file into memory, or NULL when it cannot be opened. */
static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	assert_false(ferror(f));
	fclose(f);
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/*
 * Lines of a services file that should be skipped, by a different method than
 * the parser's: a regular expression over each line with its comment removed.
 */
static unsigned count_bad_lines(char *text)
{
	regex_t blank, good;
	unsigned bad = 0;
	char *save = NULL;

	assert_int_equal(regcomp(&blank, "^[[:space:]]*$", REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&good,
				 "^[[:space:]]*[^[:space:]]+[[:space:]]+0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|"
				 "6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
				 "/(tcp|udp)([[:space:]].*)?$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		if (regexec(&blank, line, 0, NULL, 0) != 0 && regexec(&good, line, 0, NULL, 0) != 0)
			bad++;
	}
	regfree(&blank);
	regfree(&good);
	return bad;
}

struct pair {
	char *name;
	char proto[4];
};

static int pair_compare(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->proto, y->proto);
}

static void add_pair(struct pair **pairs, size_t *n, size_t *cap, const char *name,
		     const char *proto)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*pairs = realloc(*pairs, *cap * sizeof(**pairs));
		assert_non_null(*pairs);
	}
	(*pairs)[*n].name = strdup(name);
	assert_non_null((*pairs)[*n].name);
	memcpy((*pairs)[*n].proto, proto, sizeof((*pairs)[*n].proto)); /* "tcp" or "udp" */
	(*n)++;
}

/*
 * Every tcp/udp name and alias that glibc's enumeration returns must resolve
 * to what getservbyname() says, and the table must hold exactly those pairs.
 * Returns the number of pairs checked (0 when NSS enumerates nothing).
 */
static size_t check_against_glibc(const struct services *s)
{
	struct pair *pairs = NULL;
	size_t n = 0, cap = 0, distinct = 0;
	struct servent *se;

	setservent(/* stayopen= */ 1);
	while ((se = getservent())) {
		if (strcmp(se->s_proto, "tcp") != 0 && strcmp(se->s_proto, "udp") != 0)
			continue;
		add_pair(&pairs, &n, &cap, se->s_name, se->s_proto);
		for (char **a = se->s_aliases; *a; a++)
			add_pair(&pairs, &n, &cap, *a, se->s_proto);
	}
	endservent();

	qsort(pairs, n, sizeof(*pairs), pair_compare);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && pair_compare(&pairs[i - 1], &pairs[i]) == 0)
			continue;
		distinct++;
		se = getservbyname(pairs[i].name, pairs[i].proto);
		assert_non_null(se);
		if (port_of(s, pairs[i].name, proto_from_string(pairs[i].proto)) !=
		    ntohs((uint16_t)se->s_port))
			fail_msg("%s/%s: glibc says %u, portaudit %ld", pairs[i].name,
				 pairs[i].proto, ntohs((uint16_t)se->s_port),
				 port_of(s, pairs[i].name, proto_from_string(pairs[i].proto)));
	}
	if (n > 0)
		assert_int_equal(services_size(s), distinct);

	for (size_t i = 0; i < n; i++)
		free(pairs[i].name);
	free(pairs);
	return distinct;
}

static void test_real_etc_services(void **state _unused_)
{
	_cleanup_(services_freep) struct services *s = NULL;
	_cleanup_(services_freep) struct services *live = NULL;
	_cleanup_(root_freep) struct root *r = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	unsigned skipped = 99;
	long https;

	/* netbase, a build dependency, ships it. */
	text = slurp("/etc/services", &len);
	if (!text)
		fail_msg("cannot read /etc/services (install netbase)");

	assert_int_equal(services_parse_buffer(text, len, &s, &skipped), 0);
	assert_int_equal(port_of(s, "domain", PROTO_TCP), 53);
	assert_int_equal(port_of(s, "domain", PROTO_UDP), 53);
	assert_int_equal(port_of(s, "ssh", PROTO_TCP), 22);
	assert_int_equal(port_of(s, "http", PROTO_TCP), 80);
	https = port_of(s, "https", PROTO_UDP);
	assert_true(https == 443 || (https == -1 && !strstr(text, "443/udp")));

	/*
	 * Debian's netbase file has ddp and sctp lines, which a tcp/udp table skips,
	 * so the count is not 0 there: it must be exactly the lines outside the
	 * "name port/tcp|udp" shape.
	 */
	assert_int_equal(skipped, count_bad_lines(text));

	/* glibc, which reads the same file through NSS, is the reference. */
	if (check_against_glibc(s) == 0)
		print_message("NSS enumerated no services, glibc comparison skipped\n");

	/* The product's own path: the live root. */
	assert_int_equal(root_new("/", &r), 0);
	assert_int_equal(services_load(r, &live), 0);
	assert_int_equal(services_size(live), services_size(s));
	assert_int_equal(port_of(live, "ssh", PROTO_TCP), 22);
}

/* Scratch trees under the build directory, never under the host's /etc. */
static char tree[PATH_MAX - 64];

static void make_path(char *buf, size_t size, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", tree, rel);

	assert_true(n > 0 && (size_t)n < size);
}

static int write_file(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;
	int n = snprintf(path, sizeof(path), "%s/%s", tree, rel);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	f = fopen(path, "we");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int setup_tree(void **state _unused_)
{
	static const char *const dirs[] = {
		"full", "full/etc", "empty", "dangling", "dangling/etc", "link", "link/etc", "link/data",
		"dir", "dir/etc", "dir/etc/services", "fifo", "fifo/etc", "big", "big/etc",
		"exact", "exact/etc",
	};
	const char *base = getenv("abs_top_builddir");
	char path[PATH_MAX];
	int fd, n;

	n = snprintf(tree, sizeof(tree), "%s/tests/tmp-services-XXXXXX", base ? base : ".");
	if (n < 0 || (size_t)n >= sizeof(tree) || !mkdtemp(tree))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		n = snprintf(path, sizeof(path), "%s/%s", tree, dirs[i]);
		if (n < 0 || (size_t)n >= sizeof(path) || mkdir(path, 0755) < 0)
			return -1;
	}
	if (write_file("full/etc/services", "# tree\n"
					    "domain\t53/tcp\n"
					    "domain\t53/udp\n"
					    "web\t8080/tcp\thttp-alt\n"
					    "web\t9090/tcp\n"
					    "broken\t12a/tcp\n") < 0)
		return -1;
	/* An absolute symlink must resolve inside the tree, not on the host. */
	if (write_file("link/data/services", "inside 4444/tcp\nssh 2222/tcp\n") < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/link/etc/services", tree);
	if (symlink("/data/services", path) < 0)
		return -1;
	/* A dangling link counts as a missing file, as it does for glibc. */
	snprintf(path, sizeof(path), "%s/dangling/etc/services", tree);
	if (symlink("/etc/services.none", path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/fifo/etc/services", tree);
	if (mkfifo(path, 0644) < 0)
		return -1;
	/* Sparse files of NUL bytes: at the limit, and one byte over it. */
	snprintf(path, sizeof(path), "%s/exact/etc/services", tree);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, SERVICES_FILE_MAX) < 0 || close(fd) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/big/etc/services", tree);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, SERVICES_FILE_MAX + 1) < 0 || close(fd) < 0)
		return -1;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st _unused_, int flag _unused_,
			struct FTW *ftw _unused_)
{
	return remove(path);
}

static int teardown_tree(void **state _unused_)
{
	return nftw(tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* services_load() on the subtree rel (root.c resolves it even without openat2). */
static int load(const char *rel, struct services **ret)
{
	_cleanup_(root_freep) struct root *r = NULL;
	char path[PATH_MAX];

	make_path(path, sizeof(path), rel);
	assert_int_equal(root_new(path, &r), 0);
	assert_false(r->live);
	return services_load(r, ret);
}

static void test_load_tree(void **state _unused_)
{
	_cleanup_(services_freep) struct services *s = NULL;
	_cleanup_(services_freep) struct services *l = NULL;

	assert_int_equal(load("full", &s), 0);
	assert_int_equal(services_size(s), 4);
	assert_int_equal(port_of(s, "domain", PROTO_TCP), 53);
	assert_int_equal(port_of(s, "domain", PROTO_UDP), 53);
	assert_int_equal(port_of(s, "web", PROTO_TCP), 8080);
	assert_int_equal(port_of(s, "http-alt", PROTO_TCP), 8080);
	assert_int_equal(port_of(s, "broken", PROTO_TCP), -1);
	/* The host's file is not consulted. */
	assert_int_equal(port_of(s, "ssh", PROTO_TCP), -1);

	assert_int_equal(load("link", &l), 0);
	assert_int_equal(port_of(l, "inside", PROTO_TCP), 4444);
	assert_int_equal(port_of(l, "ssh", PROTO_TCP), 2222);
}

static void test_load_missing(void **state _unused_)
{
	/* A tree without etc/, and one whose etc/services points nowhere. */
	static const char *const cases[] = { "empty", "dangling" };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(services_freep) struct services *s = NULL;
		uint16_t port = 5;

		assert_int_equal(load(cases[i], &s), 0);
		assert_non_null(s);
		assert_int_equal(services_size(s), 0);
		assert_int_equal(services_lookup(s, "domain", PROTO_TCP, &port), -ENOENT);
		assert_int_equal(services_lookup(s, "ssh", PROTO_TCP, &port), -ENOENT);
		assert_int_equal(port, 5);
	}
}

static void test_load_refused(void **state _unused_)
{
	struct services *s = NULL;

	assert_int_equal(load("dir", &s), -EISDIR);
	assert_null(s);
	assert_int_equal(load("fifo", &s), -EBADFD);
	assert_null(s);
	assert_int_equal(load("big", &s), -EFBIG);
	assert_null(s);

	/* Exactly at the limit is read; its NUL bytes make one empty line. */
	assert_int_equal(load("exact", &s), 0);
	assert_non_null(s);
	assert_int_equal(services_size(s), 0);
	s = services_free(s);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_strings),
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_first_wins),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_lookup_miss),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_many),
		cmocka_unit_test(test_real_etc_services),
		cmocka_unit_test(test_load_tree),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_refused),
	};

	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
