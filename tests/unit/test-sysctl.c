/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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
#include "portaudit/sysctl.h"

static void test_key_to_path(void **state)
{
	char buf[256];

	assert_int_equal(sysctl_key_to_path("net.ipv4.ip_local_port_range", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/ip_local_port_range");
	assert_int_equal(sysctl_key_to_path("net/ipv4/ip_local_port_range", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/ip_local_port_range");
	/* First separator '.': dots and slashes swap, so a VLAN name keeps its dot. */
	assert_int_equal(sysctl_key_to_path("net.ipv4.conf.eth0/100.rp_filter", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
	/* First separator '/': literal. */
	assert_int_equal(sysctl_key_to_path("net/ipv4/conf/eth0.100/rp_filter", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
	assert_int_equal(sysctl_key_to_path("kernel", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/proc/sys/kernel");
	assert_int_equal(sysctl_key_to_path("net.ipv4.ip_local_port_range", buf, 20), -ENAMETOOLONG);
}

static void test_parse_port_range(void **state)
{
	uint16_t lo = 1, hi = 1;

	assert_int_equal(sysctl_parse_port_range("32768\t60999\n", &lo, &hi), 0);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	assert_int_equal(sysctl_parse_port_range("  40000   40000  \n", &lo, &hi), 0);
	assert_int_equal(lo, 40000);
	assert_int_equal(hi, 40000);

	static const char *const bad[] = {
		"", "\n", "32768", "32768\n", "32768,60999", "60999 32768", "1 65536",
		"a b", "32768 60999 x", "-1 100", "32768\t60999\tx",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		lo = hi = 7;
		if (sysctl_parse_port_range(bad[i], &lo, &hi) != -EBADMSG)
			fail_msg("'%s' should be rejected", bad[i]);
		assert_int_equal(lo, 7); /* untouched on failure */
	}
}

static void test_parse_uint(void **state)
{
	unsigned v = 9;

	assert_int_equal(sysctl_parse_uint("1024\n", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(sysctl_parse_uint("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sysctl_parse_uint("", &v), -EBADMSG);
	assert_int_equal(sysctl_parse_uint("12 13", &v), -EBADMSG);
	assert_int_equal(sysctl_parse_uint("70000", &v), -EBADMSG);
	assert_int_equal(v, 0);
}

/* A scratch tree under the build directory, never under the host's /etc. */
static char tree[1024];

static void write_file(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static int setup_tree(void **state)
{
	static const char *const dirs[] = { "proc", "proc/sys", "proc/sys/net",
					    "proc/sys/net/ipv4", "etc" };
	const char *base = getenv("abs_top_builddir");
	char path[PATH_MAX];

	snprintf(tree, sizeof(tree), "%s/tests/tmp-sysctl-XXXXXX", base ? base : ".");
	if (!mkdtemp(tree))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", tree, dirs[i]);
		if (mkdir(path, 0755) < 0)
			return -1;
	}
	write_file("proc/sys/net/ipv4/ip_local_port_range", "40000\t40999\n");
	write_file("proc/sys/net/ipv4/ip_local_reserved_ports", "40000,40500-40510\n");
	write_file("etc/secret", "inside\n");
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown_tree(void **state)
{
	return nftw(tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_read_from_tree(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	_cleanup_free_ char *v = NULL;
	size_t len;
	uint16_t lo, hi;

	assert_int_equal(root_new(tree, &r), 0);
	assert_false(r->live);
	assert_int_equal(sysctl_read(r, SYSCTL_PORT_RANGE, &v, &len), 0);
	assert_int_equal(len, strlen("40000\t40999\n"));
	assert_int_equal(sysctl_parse_port_range(v, &lo, &hi), 0);
	assert_int_equal(lo, 40000);
	assert_int_equal(hi, 40999);

	free(v);
	v = NULL;
	assert_int_equal(sysctl_read(r, SYSCTL_UNPRIVILEGED_PORT_START, &v, &len), -ENOENT);
	assert_null(v);

	_cleanup_free_ char *shown = root_display_path(r, "/proc/sys/x");
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s/proc/sys/x", tree);
	assert_string_equal(shown, want);
}

static void test_root_confines(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	char link[PATH_MAX], buf[64];
	int fd = -1;
	ssize_t n;

	/* An absolute symlink inside the tree resolves inside the tree. */
	snprintf(link, sizeof(link), "%s/etc/abs-link", tree);
	assert_int_equal(symlink("/etc/secret", link), 0);
	/* ".." cannot climb out of the tree. */
	snprintf(link, sizeof(link), "%s/etc/up-link", tree);
	assert_int_equal(symlink("../../../../../../../../etc/secret", link), 0);

	assert_int_equal(root_new(tree, &r), 0);
	assert_int_equal(root_open(r, "/etc/abs-link", O_RDONLY, &fd), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "inside\n");

	assert_int_equal(root_open(r, "/etc/up-link", O_RDONLY, &fd), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "inside\n");

	assert_int_equal(root_open(r, "/../../../../etc/secret", O_RDONLY, &fd), 0);
	close(fd);
	assert_int_equal(root_open(r, "/no/such/file", O_RDONLY, &fd), -ENOENT);
}

static void test_root_missing(void **state)
{
	struct root *r = NULL;

	assert_int_equal(root_new("/nonexistent/portaudit-test", &r), -ENOENT);
	assert_null(r);
	assert_null(root_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_to_path),
		cmocka_unit_test(test_parse_port_range),
		cmocka_unit_test(test_parse_uint),
		cmocka_unit_test(test_read_from_tree),
		cmocka_unit_test(test_root_confines),
		cmocka_unit_test(test_root_missing),
	};

	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
