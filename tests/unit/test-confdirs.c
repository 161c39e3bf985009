/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "portaudit/confdirs.h"
#include "portaudit/root.h"

/* systemd-sysctl's directories, highest priority first. */
static const char *const sysctl_dirs[] = {
	"/etc/sysctl.d",
	"/run/sysctl.d",
	"/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d",
};
#define N_SYSCTL_DIRS ARRAY_SIZE(sysctl_dirs)

/* A scratch tree under the build directory, never under the host's /etc. */
static char tree[1024];
/* A directory a test made unreadable; teardown makes it readable again. */
static char locked[PATH_MAX];

static void tree_path(char *buf, size_t size, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", tree, rel[0] == '/' ? rel + 1 : rel);

	assert_true(n > 0 && (size_t)n < size);
}

/* mkdir -p of rel below the tree. */
static void make_dirs(const char *rel)
{
	char path[PATH_MAX];

	tree_path(path, sizeof(path), rel);
	for (char *p = path + strlen(tree) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir '%s': %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir '%s': %s", path, strerror(errno));
}

/* The parent directories of rel, then rel's full path in buf. */
static void prepare(char *buf, size_t size, const char *rel)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (slash && slash != rel) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rel), rel);
		make_dirs(parent);
	}
	tree_path(buf, size, rel);
}

static void write_file(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	prepare(path, sizeof(path), rel);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void make_symlink(const char *target, const char *rel)
{
	char path[PATH_MAX];

	prepare(path, sizeof(path), rel);
	if (symlink(target, path) < 0)
		fail_msg("symlink '%s': %s", path, strerror(errno));
}

/* mknod below the tree; returns 0 or -errno (devices need CAP_MKNOD). */
static int make_node(const char *rel, mode_t mode, dev_t dev)
{
	char path[PATH_MAX];

	prepare(path, sizeof(path), rel);
	return mknod(path, mode, dev) < 0 ? -errno : 0;
}

static int setup_tree(void **state)
{
	const char *base = getenv("abs_top_builddir");

	snprintf(tree, sizeof(tree), "%s/tests/tmp-confdirs-XXXXXX", base ? base : ".");
	if (!mkdtemp(tree))
		return -1;
	locked[0] = '\0';
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown_tree(void **state)
{
	if (locked[0])
		chmod(locked, 0755);
	return nftw(tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct root *open_tree(void)
{
	struct root *r = NULL;

	assert_int_equal(root_new(tree, &r), 0);
	assert_false(r->live);
	return r;
}

static void list(const char *const *dirs, size_t n_dirs, const char *suffix,
		 struct conffiles *ret)
{
	_cleanup_(root_freep) struct root *r = open_tree();
	size_t bad = 4242;

	assert_int_equal(confdirs_list(r, dirs, n_dirs, suffix, ret, &bad), 0);
	assert_int_equal(bad, 4242); /* reterr_dir is only written on failure */
}

/* The listing holds exactly these paths, in this order, named by their last part. */
static void assert_paths(const struct conffiles *f, const char *const *want, size_t n)
{
	for (size_t i = 0; i < f->n && i < n; i++) {
		assert_string_equal(f->files[i].path, want[i]);
		assert_string_equal(f->files[i].name, strrchr(want[i], '/') + 1);
	}
	assert_int_equal(f->n, n);
}
#define ASSERT_PATHS(f, ...)                                                               \
	assert_paths((f), (const char *const[]){ __VA_ARGS__ },                            \
		     ARRAY_SIZE(((const char *const[]){ __VA_ARGS__ })))

/* The NULL-terminated shadow list of f is exactly want (n entries; n == 0 means NULL). */
static void assert_shadowed(const struct conffile *f, const char *const *want, size_t n)
{
	if (n == 0) {
		assert_null(f->shadowed);
		return;
	}
	assert_non_null(f->shadowed);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(f->shadowed[i]);
		assert_string_equal(f->shadowed[i], want[i]);
	}
	assert_null(f->shadowed[n]);
}
#define ASSERT_SHADOWED(f, ...)                                                            \
	assert_shadowed((f), (const char *const[]){ __VA_ARGS__ },                         \
			ARRAY_SIZE(((const char *const[]){ __VA_ARGS__ })))

static void test_precedence(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };

	write_file("etc/sysctl.d/50-x.conf", "a = 1\n");
	write_file("run/sysctl.d/50-x.conf", "a = 2\n");
	write_file("usr/local/lib/sysctl.d/50-x.conf", "a = 3\n");
	write_file("usr/lib/sysctl.d/50-x.conf", "a = 4\n");
	write_file("usr/local/lib/sysctl.d/60-y.conf", "b = 3\n");
	write_file("usr/lib/sysctl.d/60-y.conf", "b = 4\n");
	write_file("usr/lib/sysctl.d/70-z.conf", "c = 4\n");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/etc/sysctl.d/50-x.conf", "/usr/local/lib/sysctl.d/60-y.conf",
		     "/usr/lib/sysctl.d/70-z.conf");
	assert_int_equal(f.files[0].dir_index, 0);
	assert_int_equal(f.files[1].dir_index, 2);
	assert_int_equal(f.files[2].dir_index, 3);
	for (size_t i = 0; i < f.n; i++)
		assert_false(f.files[i].masked);
	ASSERT_SHADOWED(&f.files[0], "/run/sysctl.d/50-x.conf",
			"/usr/local/lib/sysctl.d/50-x.conf", "/usr/lib/sysctl.d/50-x.conf");
	ASSERT_SHADOWED(&f.files[1], "/usr/lib/sysctl.d/60-y.conf");
	assert_shadowed(&f.files[2], NULL, 0);
}

static void test_name_order(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };

	/* Directory order would put every /etc file first. */
	write_file("etc/sysctl.d/10-a.conf", "");
	write_file("etc/sysctl.d/99-zz-portaudit.conf", "");
	write_file("etc/sysctl.d/999-x.conf", "");
	write_file("run/sysctl.d/99-c.conf", "");
	write_file("run/sysctl.d/zz.conf", "");
	write_file("usr/local/lib/sysctl.d/Z-upper.conf", "");
	write_file("usr/lib/sysctl.d/05-b.conf", "");
	write_file("usr/lib/sysctl.d/99-sysctl.conf", "");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	/* Plain byte order: '-' < '9' < 'Z' < 'z'; no locale, no version sort. */
	ASSERT_PATHS(&f, "/usr/lib/sysctl.d/05-b.conf", "/etc/sysctl.d/10-a.conf",
		     "/run/sysctl.d/99-c.conf", "/usr/lib/sysctl.d/99-sysctl.conf",
		     "/etc/sysctl.d/99-zz-portaudit.conf", "/etc/sysctl.d/999-x.conf",
		     "/usr/local/lib/sysctl.d/Z-upper.conf", "/run/sysctl.d/zz.conf");
	assert_int_equal(f.files[0].dir_index, 3);
	assert_int_equal(f.files[6].dir_index, 2);
	for (size_t i = 0; i < f.n; i++)
		assert_shadowed(&f.files[i], NULL, 0);
}

static void test_masked_by_devnull_symlink(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	char dev[PATH_MAX];

	make_symlink("/dev/null", "etc/sysctl.d/50-x.conf");
	write_file("usr/lib/sysctl.d/50-x.conf", "a = 4\n");
	/* A mask in a lower directory is itself overridden by a higher file. */
	write_file("run/sysctl.d/60-y.conf", "b = 2\n");
	make_symlink("/dev/null", "usr/lib/sysctl.d/60-y.conf");
	/* Only the exact text "/dev/null" masks without following the link. */
	make_symlink("/dev/null0", "etc/sysctl.d/70-near.conf");
	/* The tree has no dev/null: the link text alone decides. */
	tree_path(dev, sizeof(dev), "dev");
	assert_int_equal(access(dev, F_OK), -1);

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/etc/sysctl.d/50-x.conf", "/run/sysctl.d/60-y.conf",
		     "/etc/sysctl.d/70-near.conf");
	assert_true(f.files[0].masked);
	ASSERT_SHADOWED(&f.files[0], "/usr/lib/sysctl.d/50-x.conf");
	assert_false(f.files[1].masked);
	ASSERT_SHADOWED(&f.files[1], "/usr/lib/sysctl.d/60-y.conf");
	assert_false(f.files[2].masked);
}

static void test_masked_by_char_device(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	int k;

	k = make_node("etc/sysctl.d/50-x.conf", S_IFCHR | 0666, makedev(1, 3));
	if (k == -EPERM)
		skip(); /* no CAP_MKNOD */
	assert_int_equal(k, 0);
	write_file("usr/lib/sysctl.d/50-x.conf", "a = 4\n");
	/* A link that resolves, inside the tree, to a character device masks too. */
	assert_int_equal(make_node("dev/zero", S_IFCHR | 0666, makedev(1, 5)), 0);
	make_symlink("/dev/zero", "etc/sysctl.d/60-abs.conf");
	make_symlink("../../dev/zero", "etc/sysctl.d/70-rel.conf");
	make_symlink("/dev/absent", "etc/sysctl.d/80-dangling.conf");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/etc/sysctl.d/50-x.conf", "/etc/sysctl.d/60-abs.conf",
		     "/etc/sysctl.d/70-rel.conf", "/etc/sysctl.d/80-dangling.conf");
	assert_true(f.files[0].masked);
	ASSERT_SHADOWED(&f.files[0], "/usr/lib/sysctl.d/50-x.conf");
	assert_true(f.files[1].masked);
	assert_true(f.files[2].masked);
	assert_false(f.files[3].masked);
}

static void test_ignored_entries(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };

	write_file("etc/sysctl.d/ok.conf", "");
	write_file("etc/sysctl.d/a.conf.bak", "");
	write_file("etc/sysctl.d/b.yaml", "");
	write_file("etc/sysctl.d/c.conff", "");
	write_file("etc/sysctl.d/dconf", "");
	write_file("etc/sysctl.d/.hidden.conf", "");
	write_file("etc/sysctl.d/.conf", "");
	make_symlink("/dev/null", "etc/sysctl.d/.masked-hidden.conf");
	write_file("usr/lib/sysctl.d/.masked-hidden.conf", "");
	/* Neither file nor symlink: ignored, and the lower file of that name wins. */
	make_dirs("etc/sysctl.d/sub.conf");
	write_file("usr/lib/sysctl.d/sub.conf", "");
	assert_int_equal(make_node("etc/sysctl.d/fifo.conf", S_IFIFO | 0644, 0), 0);
	assert_int_equal(make_node("etc/sysctl.d/sock.conf", S_IFSOCK | 0644, 0), 0);

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/etc/sysctl.d/ok.conf", "/usr/lib/sysctl.d/sub.conf");
	assert_int_equal(f.files[1].dir_index, 3);
	assert_shadowed(&f.files[1], NULL, 0);
}

static void test_name_longer_than_suffix(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	static const char *const dirs[] = { "/etc/x.d" };

	/* Only a suffix without a leading dot can equal a visible name. */
	write_file("etc/x.d/conf", "");
	write_file("etc/x.d/xconf", "");
	write_file("etc/x.d/x.conf", "");

	list(dirs, 1, "conf", &f);
	ASSERT_PATHS(&f, "/etc/x.d/x.conf", "/etc/x.d/xconf");
}

static void test_missing_dirs(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };

	make_dirs("run");
	make_symlink("/nowhere", "usr/local/lib/sysctl.d");
	write_file("usr/lib/sysctl.d/50-x.conf", "");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/usr/lib/sysctl.d/50-x.conf");
	assert_int_equal(f.files[0].dir_index, 3);
}

static void test_symlink_kept(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	_cleanup_(root_freep) struct root *r = NULL;
	_cleanup_close_ int fd = -1;
	char buf[64];
	ssize_t n;

	write_file("srv/real.conf", "inside\n");
	make_symlink("/srv/real.conf", "etc/sysctl.d/50-link.conf");
	write_file("usr/lib/sysctl.d/50-link.conf", "vendor\n");
	make_symlink("/srv/absent.conf", "etc/sysctl.d/60-dangling.conf");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	ASSERT_PATHS(&f, "/etc/sysctl.d/50-link.conf", "/etc/sysctl.d/60-dangling.conf");
	assert_false(f.files[0].masked);
	ASSERT_SHADOWED(&f.files[0], "/usr/lib/sysctl.d/50-link.conf");
	assert_false(f.files[1].masked);

	/* Opened through the root, the absolute link lands inside the tree. */
	r = open_tree();
	assert_int_equal(root_open(r, f.files[0].path, O_RDONLY, &fd), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "inside\n");
}

static void test_empty(void **state)
{
	struct conffiles f = { .files = (struct conffile *)&f, .n = 42 };

	for (size_t i = 0; i < N_SYSCTL_DIRS; i++)
		make_dirs(sysctl_dirs[i]);
	write_file("etc/sysctl.d/README", "");

	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	assert_int_equal(f.n, 0);
	assert_null(f.files);
	conffiles_done(&f);

	/* No directory at all is an empty listing too. */
	f = (struct conffiles){ .files = (struct conffile *)&f, .n = 42 };
	list(NULL, 0, ".conf", &f);
	assert_int_equal(f.n, 0);
	assert_null(f.files);
}

static void test_single_dir(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	_cleanup_(conffiles_done) struct conffiles top = { 0 };
	static const char *const dirs[] = { "/etc/portaudit/inventory.d/" };
	static const char *const rootdir[] = { "/" };

	write_file("etc/portaudit/inventory.d/b.yaml", "");
	write_file("etc/portaudit/inventory.d/a.yaml", "");
	write_file("etc/portaudit/inventory.d/c.yml", "");
	write_file("etc/portaudit/inventory.d/d.yaml.example", "");
	write_file("etc/portaudit/inventory.d/e.conf", "");
	write_file("top.yaml", "");

	/* A trailing slash does not double in the paths. */
	list(dirs, 1, ".yaml", &f);
	ASSERT_PATHS(&f, "/etc/portaudit/inventory.d/a.yaml",
		     "/etc/portaudit/inventory.d/b.yaml");
	assert_int_equal(f.files[0].dir_index, 0);
	assert_int_equal(f.files[1].dir_index, 0);

	list(rootdir, 1, ".yaml", &top);
	ASSERT_PATHS(&top, "/top.yaml");
}

static void test_same_dir_twice(void **state)
{
	_cleanup_(conffiles_done) struct conffiles f = { 0 };
	_cleanup_(conffiles_done) struct conffiles g = { 0 };
	/* procps also reads /lib/sysctl.d, which merged /usr makes /usr/lib/sysctl.d. */
	static const char *const merged[] = { "/usr/lib/sysctl.d", "/lib/sysctl.d" };
	static const char *const twice[] = { "/etc/sysctl.d", "/etc/sysctl.d/" };

	write_file("usr/lib/sysctl.d/50-x.conf", "");
	make_symlink("usr/lib", "lib");
	write_file("etc/sysctl.d/60-y.conf", "");

	list(merged, ARRAY_SIZE(merged), ".conf", &f);
	ASSERT_PATHS(&f, "/usr/lib/sysctl.d/50-x.conf");
	assert_shadowed(&f.files[0], NULL, 0);

	list(twice, ARRAY_SIZE(twice), ".conf", &g);
	ASSERT_PATHS(&g, "/etc/sysctl.d/60-y.conf");
	assert_shadowed(&g.files[0], NULL, 0);
}

static void test_error_not_a_dir(void **state)
{
	_cleanup_(root_freep) struct root *r = open_tree();
	struct conffiles f = { .files = (struct conffile *)&f, .n = 42 };
	size_t bad = 4242;

	/* Files already listed from the first directory are freed on failure. */
	write_file("etc/sysctl.d/50-x.conf", "");
	write_file("run/sysctl.d", "not a directory\n");
	write_file("usr/lib/sysctl.d/50-x.conf", "");

	assert_int_equal(confdirs_list(r, sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f, &bad),
			 -ENOTDIR);
	assert_int_equal(bad, 1);
	assert_ptr_equal(f.files, &f); /* ret untouched on failure */
	assert_int_equal(f.n, 42);
	/* reterr_dir may be NULL. */
	assert_int_equal(confdirs_list(r, sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f, NULL),
			 -ENOTDIR);
}

static void test_error_access(void **state)
{
	_cleanup_(root_freep) struct root *r = NULL;
	struct conffiles f = { .files = (struct conffile *)&f, .n = 42 };
	size_t bad = 4242;
	DIR *d;

	write_file("etc/sysctl.d/50-x.conf", "");
	write_file("usr/local/lib/sysctl.d/50-x.conf", "");
	tree_path(locked, sizeof(locked), "usr/local/lib/sysctl.d");
	assert_int_equal(chmod(locked, 0), 0);
	d = opendir(locked);
	if (d) {
		closedir(d);
		skip(); /* CAP_DAC_OVERRIDE reads it anyway */
	}
	r = open_tree();

	assert_int_equal(confdirs_list(r, sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f, &bad),
			 -EACCES);
	assert_int_equal(bad, 2);
	assert_ptr_equal(f.files, &f);
	assert_int_equal(f.n, 42);
}

static void test_done(void **state)
{
	struct conffiles f = { 0 };

	conffiles_done(NULL);
	conffiles_done(&f);
	write_file("etc/sysctl.d/50-x.conf", "");
	write_file("usr/lib/sysctl.d/50-x.conf", "");
	list(sysctl_dirs, N_SYSCTL_DIRS, ".conf", &f);
	assert_int_equal(f.n, 1);
	conffiles_done(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.files);
	conffiles_done(&f);
}

#define TREE_TEST(t) cmocka_unit_test_setup_teardown(t, setup_tree, teardown_tree)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TREE_TEST(test_precedence),
		TREE_TEST(test_name_order),
		TREE_TEST(test_masked_by_devnull_symlink),
		TREE_TEST(test_masked_by_char_device),
		TREE_TEST(test_ignored_entries),
		TREE_TEST(test_name_longer_than_suffix),
		TREE_TEST(test_missing_dirs),
		TREE_TEST(test_symlink_kept),
		TREE_TEST(test_empty),
		TREE_TEST(test_single_dir),
		TREE_TEST(test_same_dir_twice),
		TREE_TEST(test_error_not_a_dir),
		TREE_TEST(test_error_access),
		TREE_TEST(test_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
