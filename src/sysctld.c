/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portaudit/confdirs.h"
#include "portaudit/diag.h"
#include "portaudit/root.h"
#include "portaudit/sysctl.h"
#include "portaudit/sysctld.h"

/*
 * The directories of each tool, highest priority first.  systemd 252 as Debian
 * builds it (merged /usr) has no /lib/sysctl.d; procps 4.0.2 always lists it,
 * which on a merged-/usr tree is /usr/lib/sysctl.d again (confdirs skips it).
 */
static const char *const systemd_dirs[] = {
	"/etc/sysctl.d",
	"/run/sysctl.d",
	"/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d",
};
static const char *const procps_dirs[] = {
	"/etc/sysctl.d",       "/run/sysctl.d", "/usr/local/lib/sysctl.d",
	"/usr/lib/sysctl.d",   "/lib/sysctl.d",
};
#define SYSCTL_CONF "/etc/sysctl.conf"

/* The kernel's defaults in a fresh network namespace (REFERENCE §1.5, §2). */
#define DEFAULT_RANGE_LO 32768
#define DEFAULT_RANGE_HI 60999
#define DEFAULT_UNPRIVILEGED_START 1024

/* One write (PAGE_SIZE - 1 bytes) is all the kernel parses at a time (REFERENCE §1.2). */
#define KERNEL_WRITE_MAX 4095u

static const char *const port_keys[] = {
	"net/ipv4/ip_local_reserved_ports",
	"net/ipv4/ip_local_port_range",
	"net/ipv4/ip_unprivileged_port_start",
};
enum { KEY_RESERVED, KEY_RANGE, KEY_UNPRIVILEGED, _KEY_MAX };

const char *sysctld_tool_to_string(enum sysctld_tool t)
{
	return t == SYSCTLD_PROCPS ? "sysctl --system" : "systemd-sysctl";
}

/* systemd's WHITESPACE: what strstrip() removes at both ends. */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *sysctld_normalize_key(char *s)
{
	char *sep = strpbrk(s, "./");
	size_t o = 0;

	/* sysctl.d(5): with '.' first, dots and slashes swap; with '/' first, as is. */
	if (sep && *sep == '.')
		for (char *p = sep; p; p = strpbrk(p + 1, "./"))
			*p = *p == '.' ? '/' : '.';

	/* path_simplify(): no empty or "." components; then no leading slash. */
	for (char *p = s; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (!(n == 1 && p[0] == '.')) {
			if (o > 0)
				s[o++] = '/';
			memmove(s + o, p, n);
			o += n;
		}
		p += n;
	}
	s[o] = '\0';
	return s;
}

bool sysctld_key_matches(const char *key, bool glob, const char *want)
{
	/* systemd-sysctl expands a glob with glob(3) below /proc/sys. */
	if (glob)
		return fnmatch(key, want, FNM_PATHNAME | FNM_PERIOD) == 0;
	return strcmp(key, want) == 0;
}

static bool streq_ptr(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool string_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static char *strip(char *s, char *end)
{
	while (s < end && is_ws(*s))
		s++;
	while (end > s && is_ws(end[-1]))
		end--;
	*end = '\0';
	return s;
}

static bool wanted(const char *key, bool glob, const char *const *want, size_t n_want)
{
	for (size_t i = 0; i < n_want; i++)
		if (sysctld_key_matches(key, glob, want[i]))
			return true;
	return false;
}

static int add_assignment(struct sysctld *c, size_t file, unsigned line, const char *key,
			  const char *value, bool ignore_failure)
{
	struct sysctld_assignment *a;
	_cleanup_free_ char *k = strdup(key), *v = NULL;

	if (!k || (value && !(v = strdup(value))))
		return -ENOMEM;
	a = reallocarray(c->assignments, c->n_assignments + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->assignments = a;
	c->assignments[c->n_assignments++] = (struct sysctld_assignment){
		.file = file,
		.line = line,
		.key = TAKE_PTR(k),
		.value = TAKE_PTR(v),
		.ignore_failure = ignore_failure,
		.glob = string_is_glob(key),
	};
	return 0;
}

/* One stripped, non-empty, non-comment line, as systemd-sysctl's parse_file(). */
static int parse_line(struct sysctld *c, size_t file, unsigned line, char *p,
		      const char *const *want, size_t n_want, const char *shown,
		      struct diag *notes)
{
	char *eq = strchr(p, '='), *key, *value = NULL;
	bool ignore_failure = false;

	if (eq) {
		if (p[0] == '-') {
			ignore_failure = true;
			p++;
		}
		value = strip(eq + 1, eq + 1 + strlen(eq + 1));
		key = strip(p, eq);
	} else if (p[0] == '-') {
		/* "-key": no value, only excluded from glob matches. */
		key = strip(p + 1, p + strlen(p));
	} else {
		char q[96];

		diag_add(notes, shown, line, 0,
			 "line is not an assignment, ignoring (as both tools do): '%s'",
			 diag_quote(p, strlen(p), 60, q, sizeof(q)));
		return 0;
	}
	sysctld_normalize_key(key);
	if (!*key || !wanted(key, string_is_glob(key), want, n_want))
		return 0;
	return add_assignment(c, file, line, key, value, ignore_failure);
}

int sysctld_parse_buffer(struct sysctld *c, size_t file, const char *buf, size_t len,
			 const char *const *want, size_t n_want, struct diag *notes)
{
	const char *shown = "";
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, pos = 0;
	unsigned n = 0;
	bool odd_eol = false, stopped = false;

	if (c->files && file < c->n_files)
		shown = c->files[file].shown ? c->files[file].shown : c->files[file].path;
	/*
	 * systemd's read_line() ends a line at "\n", "\r\n", "\r" or NUL, and gives up
	 * on the file at a line longer than LONG_LINE_MAX; procps reads lines with
	 * getline(), so a bare CR or NUL makes the two disagree.
	 */
	while (pos < len) {
		size_t start = pos, l;
		int r;

		while (pos < len && buf[pos] != '\n' && buf[pos] != '\r' && buf[pos] != '\0')
			pos++;
		l = pos - start;
		n++;
		if (pos < len) {
			if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')
				pos++;
			else if (buf[pos] != '\n')
				odd_eol = true;
			pos++;
		}
		/* procps's getline() reads on: the lines from here on are its alone. */
		if (l > SYSCTLD_LINE_MAX && !stopped) {
			stopped = true;
			if (c->files && file < c->n_files)
				c->files[file].systemd_stop_line = n;
			diag_add(notes, shown, n, 0,
				 "line longer than %u bytes: systemd-sysctl ignores the rest of the file",
				 SYSCTLD_LINE_MAX);
		}
		if (l + 1 > cap) {
			char *b = realloc(line, l + 1);

			if (!b)
				return -ENOMEM;
			line = b;
			cap = l + 1;
		}
		memcpy(line, buf + start, l);
		line[l] = '\0';

		char *p = strip(line, line + l);
		if (!*p || *p == '#' || *p == ';')
			continue;
		r = parse_line(c, file, n, p, want, n_want, shown, notes);
		if (r < 0)
			return r;
	}
	if (odd_eol)
		diag_add(notes, shown, 0, 0,
			 "has a carriage return or NUL byte that does not end a line: systemd-sysctl "
			 "and procps split its lines differently");
	return 0;
}

static void file_done(struct sysctld_file *f)
{
	if (f->shadowed)
		for (char **p = f->shadowed; *p; p++)
			free(*p);
	free(f->shadowed);
	free(f->path);
	free(f->shown);
}

void sysctld_done(struct sysctld *c)
{
	for (size_t i = 0; i < c->n_files; i++)
		file_done(&c->files[i]);
	free(c->files);
	for (size_t i = 0; i < c->n_assignments; i++) {
		free(c->assignments[i].key);
		free(c->assignments[i].value);
	}
	free(c->assignments);
	for (size_t t = 0; t < _SYSCTLD_TOOL_MAX; t++)
		free(c->order[t]);
	*c = (struct sysctld){ 0 };
}

static int compare_path(const void *a, const void *b, void *userdata)
{
	const struct sysctld *c = userdata;

	return strcmp(c->files[*(const size_t *)a].path, c->files[*(const size_t *)b].path);
}

/*
 * The indexes of c's file entries sorted by path, for file_index(): a tool's
 * listing looks up each of its files, and a linear search made a sysctl.d
 * directory of 100,000 files take minutes.  NULL on ENOMEM.
 */
static size_t *paths_sorted(const struct sysctld *c)
{
	size_t *v = malloc((c->n_files ? c->n_files : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < c->n_files; i++)
		v[i] = i;
	qsort_r(v, c->n_files, sizeof(*v), compare_path, (void *)c);
	return v;
}

/*
 * The index of the file entry for path, added when new; SIZE_MAX on ENOMEM.
 * Entries are looked up among the first n_sorted, by sorted (paths_sorted()).
 */
static size_t file_index(struct sysctld *c, const size_t *sorted, size_t n_sorted,
			 const char *path)
{
	struct sysctld_file *f;
	size_t lo = 0, hi = n_sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(c->files[sorted[mid]].path, path);

		if (k == 0)
			return sorted[mid];
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	f = reallocarray(c->files, c->n_files + 1, sizeof(*f));
	if (!f)
		return SIZE_MAX;
	c->files = f;
	c->files[c->n_files] = (struct sysctld_file){ .path = strdup(path) };
	if (!c->files[c->n_files].path)
		return SIZE_MAX;
	return c->n_files++;
}

static int order_append(struct sysctld *c, enum sysctld_tool t, size_t idx)
{
	size_t *o = reallocarray(c->order[t], c->n_order[t] + 1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	c->order[t] = o;
	o[c->n_order[t]++] = idx;
	return 0;
}

static int strv_copy(char **src, char ***ret)
{
	size_t n = 0;
	char **v;

	if (!src) {
		*ret = NULL;
		return 0;
	}
	while (src[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(src[i]))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -ENOMEM;
		}
	*ret = v;
	return 0;
}

/*
 * Open path below the root for reading configuration.  Non-blocking so that a
 * FIFO planted in sysctl.d cannot hang a boot; only regular files are read.
 */
static int open_conf(const struct root *r, const char *path, int *ret_fd, struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	int k;

	k = root_open(r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
	if (k < 0)
		return k;
	if (fstat(fd, ret_st) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Read and parse one file entry, or note why it applies nothing. */
static int load_file(const struct root *r, struct sysctld *c, size_t idx,
		     const char *const *want, size_t n_want, struct diag *notes)
{
	struct sysctld_file *f = &c->files[idx];
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t len;
	int k;

	f->shown = root_display_path(r, f->path);
	if (!f->shown)
		return -ENOMEM;
	k = open_conf(r, f->path, &fd, &st);
	if (k == 0 && !S_ISREG(st.st_mode))
		k = S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	if (k == 0)
		k = root_read_fd(fd, (size_t)st.st_size, SYSCTLD_FILE_MAX, &buf, &len);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		f->error = k;
		diag_add(notes, f->shown, 0, 0, "cannot read: %s, ignoring",
			 k == -EBADFD ? "not a regular file" : strerror(-k));
		return 0;
	}
	return sysctld_parse_buffer(c, idx, buf, len, want, n_want, notes);
}

/*
 * Whether a listed file would fail to open because it is a dangling symlink:
 * systemd's conf-files code stats every entry and drops one that does not
 * resolve, so it neither applies nor hides the same name further down.
 */
static bool dangling(const struct root *r, const char *path)
{
	_cleanup_close_ int fd = -1;

	return root_open(r, path, O_PATH, &fd) == -ENOENT;
}

static int list_tool(const struct root *r, struct sysctld *c, enum sysctld_tool t,
		     const char *const *dirs, size_t n_dirs, struct diag *notes)
{
	struct conffiles files = { 0 };
	_cleanup_free_ size_t *sorted = NULL;
	size_t bad = 0, n_sorted = c->n_files;
	int k;

	k = confdirs_list(r, dirs, n_dirs, ".conf", &files, &bad);
	if (k < 0) {
		if (k != -ENOMEM && bad < n_dirs) {
			_cleanup_free_ char *shown = root_display_path(r, dirs[bad]);

			diag_add(notes, shown ? shown : dirs[bad], 0, 0, "cannot list: %s",
				 strerror(-k));
		}
		return k;
	}
	/* One listing names each path once: only earlier listings' entries can match. */
	sorted = paths_sorted(c);
	if (!sorted) {
		conffiles_done(&files);
		return -ENOMEM;
	}
	for (size_t i = 0; i < files.n; i++) {
		struct conffile *cf = &files.files[i];
		const char *path = cf->path;
		char **shadowed = cf->shadowed;
		size_t idx;

		/* systemd falls through to the next file of the name; procps does not. */
		if (t == SYSCTLD_SYSTEMD && !cf->masked)
			while (dangling(r, path) && shadowed && *shadowed)
				path = *shadowed++;
		idx = file_index(c, sorted, n_sorted, path);
		if (idx == SIZE_MAX) {
			conffiles_done(&files);
			return -ENOMEM;
		}
		c->files[idx].used[t] = true;
		c->files[idx].masked = cf->masked;
		if (!c->files[idx].shadowed && (shadowed && *shadowed)) {
			k = strv_copy(shadowed, &c->files[idx].shadowed);
			if (k < 0) {
				conffiles_done(&files);
				return k;
			}
		}
		k = order_append(c, t, idx);
		if (k < 0) {
			conffiles_done(&files);
			return k;
		}
	}
	conffiles_done(&files);
	return 0;
}

int sysctld_load(const struct root *r, const char *const *want, size_t n_want,
		 struct diag *notes, struct sysctld *ret)
{
	struct sysctld c = { 0 };
	char **norm = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int k;

	norm = calloc(n_want + 1, sizeof(*norm));
	if (!norm)
		return -ENOMEM;
	for (size_t i = 0; i < n_want; i++) {
		norm[i] = strdup(want[i]);
		if (!norm[i]) {
			k = -ENOMEM;
			goto fail;
		}
		sysctld_normalize_key(norm[i]);
	}

	k = list_tool(r, &c, SYSCTLD_SYSTEMD, systemd_dirs, ARRAY_SIZE(systemd_dirs), notes);
	if (k < 0)
		goto fail;
	k = list_tool(r, &c, SYSCTLD_PROCPS, procps_dirs, ARRAY_SIZE(procps_dirs), notes);
	if (k < 0)
		goto fail;

	/* procps applies /etc/sysctl.conf once more, last, when it is a regular file. */
	if (open_conf(r, SYSCTL_CONF, &fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* No directory lists this path, so the entry is a new one. */
		size_t idx = file_index(&c, NULL, 0, SYSCTL_CONF);

		k = -ENOMEM;
		if (idx == SIZE_MAX)
			goto fail;
		c.files[idx].used[SYSCTLD_PROCPS] = true;
		c.files[idx].final_pass = true;
		k = order_append(&c, SYSCTLD_PROCPS, idx);
		if (k < 0)
			goto fail;
	}

	for (size_t i = 0; i < c.n_files; i++) {
		size_t first = c.n_assignments;

		if (c.files[i].masked) {
			c.files[i].shown = root_display_path(r, c.files[i].path);
			if (!c.files[i].shown) {
				k = -ENOMEM;
				goto fail;
			}
			continue;
		}
		k = load_file(r, &c, i, (const char *const *)norm, n_want, notes);
		if (k < 0)
			goto fail;
		c.files[i].first_assignment = first;
		c.files[i].n_assignments = c.n_assignments - first;
	}
	for (size_t i = 0; i < n_want; i++)
		free(norm[i]);
	free(norm);
	*ret = c;
	return 0;
fail:
	for (size_t i = 0; i < n_want; i++)
		free(norm[i]);
	free(norm);
	sysctld_done(&c);
	return k;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* A deep copy of one file entry, without its assignments. */
static int file_copy(const struct sysctld_file *f, struct sysctld_file *ret)
{
	*ret = *f;
	ret->path = strdup(f->path);
	ret->shown = f->shown ? strdup(f->shown) : NULL;
	ret->shadowed = NULL;
	if (!ret->path || (f->shown && !ret->shown) || strv_copy(f->shadowed, &ret->shadowed) < 0) {
		file_done(ret);
		return -ENOMEM;
	}
	ret->first_assignment = ret->n_assignments = 0;
	return 0;
}

/* Append path to a NULL-terminated list. */
static int strv_push(char ***v, const char *path)
{
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = reallocarray(*v, n + 2, sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(path);
	nv[n + 1] = NULL;
	return nv[n] ? 0 : -ENOMEM;
}

/* The tool's order of c, with hidden files left out and the entry put at its name's place. */
static int put_order(const struct sysctld *c, struct sysctld *n, enum sysctld_tool t,
		     const bool *hidden, size_t old_put, size_t put, const char *name)
{
	bool placed = false;

	for (size_t o = 0; o < c->n_order[t]; o++) {
		size_t i = c->order[t][o];
		const struct sysctld_file *f = &c->files[i];
		int k;

		if (hidden[i] || i == old_put)
			continue;
		if (!placed && (f->final_pass || strcmp(base_name(f->path), name) > 0)) {
			k = order_append(n, t, put);
			if (k < 0)
				return k;
			placed = true;
		}
		k = order_append(n, t, i);
		if (k < 0)
			return k;
	}
	return placed ? 0 : order_append(n, t, put);
}

int sysctld_put_file(const struct sysctld *c, const char *path, const char *shown,
		     const char *content, size_t len, const char *const *want, size_t n_want,
		     struct sysctld *ret)
{
	_cleanup_free_ bool *hidden = NULL;
	const char *name = base_name(path);
	struct sysctld n = { 0 };
	size_t put = SIZE_MAX;
	struct diag notes;
	int k = -ENOMEM;

	hidden = calloc(c->n_files + 1, sizeof(*hidden));
	n.files = calloc(c->n_files + 1, sizeof(*n.files));
	if (!hidden || !n.files)
		goto fail;
	for (size_t i = 0; i < c->n_files; i++) {
		const struct sysctld_file *f = &c->files[i];

		if (strcmp(f->path, path) == 0)
			put = i;
		else if (!f->final_pass && strcmp(base_name(f->path), name) == 0)
			hidden[i] = true;
	}
	/* Entries keep their indexes; a new one goes at the end. */
	for (size_t i = 0; i < c->n_files; i++) {
		k = file_copy(&c->files[i], &n.files[i]);
		if (k < 0)
			goto fail;
		n.n_files++;
	}
	if (put == SIZE_MAX) {
		put = n.n_files;
		n.files[put] = (struct sysctld_file){ .path = strdup(path) };
		n.n_files++;
		k = -ENOMEM;
		if (!n.files[put].path)
			goto fail;
	}
	{
		struct sysctld_file *f = &n.files[put];

		free(f->shown);
		f->shown = strdup(shown);
		if (!f->shown) {
			k = -ENOMEM;
			goto fail;
		}
		f->used[SYSCTLD_SYSTEMD] = f->used[SYSCTLD_PROCPS] = true;
		f->masked = false;
		f->final_pass = false;
		f->systemd_stop_line = 0;
		f->error = 0;
	}
	for (size_t i = 0; i < c->n_files; i++) {
		if (!hidden[i])
			continue;
		n.files[i].used[SYSCTLD_SYSTEMD] = n.files[i].used[SYSCTLD_PROCPS] = false;
		k = strv_push(&n.files[put].shadowed, c->files[i].path);
		if (k < 0)
			goto fail;
	}

	/* Assignments, file by file; the put file's come from content. */
	diag_init(&notes, 1);
	k = 0;
	for (size_t i = 0; i < n.n_files; i++) {
		size_t first = n.n_assignments;

		if (i == put)
			k = sysctld_parse_buffer(&n, i, content, len, want, n_want, &notes);
		else
			for (size_t j = c->files[i].first_assignment;
			     k >= 0 && j < c->files[i].first_assignment + c->files[i].n_assignments;
			     j++) {
				const struct sysctld_assignment *a = &c->assignments[j];

				k = add_assignment(&n, i, a->line, a->key, a->value, a->ignore_failure);
				if (k >= 0)
					n.assignments[n.n_assignments - 1].glob = a->glob;
			}
		if (k < 0) {
			diag_done(&notes);
			goto fail;
		}
		n.files[i].first_assignment = first;
		n.files[i].n_assignments = n.n_assignments - first;
	}
	diag_done(&notes);

	for (size_t t = 0; t < _SYSCTLD_TOOL_MAX; t++) {
		k = put_order(c, &n, (enum sysctld_tool)t, hidden,
			      put < c->n_files ? put : SIZE_MAX, put, name);
		if (k < 0)
			goto fail;
	}
	*ret = n;
	return 0;
fail:
	sysctld_done(&n);
	return k;
}

/* One write a tool makes: which assignment, and to which (non-glob) key. */
struct write {
	const struct sysctld_assignment *a;
	const char *key;
};

struct writes {
	struct write *v;
	size_t n;
};

static int writes_add(struct writes *w, const struct sysctld_assignment *a, const char *key)
{
	struct write *v = reallocarray(w->v, w->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	w->v = v;
	v[w->n++] = (struct write){ a, key };
	return 0;
}

/* The assignments of file index idx that the tool reads. */
static bool read_by(const struct sysctld *c, const struct sysctld_assignment *a,
		    enum sysctld_tool tool)
{
	const struct sysctld_file *f = &c->files[a->file];

	return !(tool == SYSCTLD_SYSTEMD && f->systemd_stop_line && a->line >= f->systemd_stop_line);
}

/* Every assignment the tool reads, in its order; pointers into c. */
static int tool_assignments(const struct sysctld *c, enum sysctld_tool tool,
			    const struct sysctld_assignment ***ret, size_t *ret_n)
{
	const struct sysctld_assignment **v = calloc(c->n_assignments + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t o = 0; o < c->n_order[tool]; o++) {
		const struct sysctld_file *f = &c->files[c->order[tool][o]];

		if (f->masked)
			continue;
		for (size_t i = f->first_assignment; i < f->first_assignment + f->n_assignments; i++)
			if (read_by(c, &c->assignments[i], tool))
				v[n++] = &c->assignments[i];
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Whether an entry of the map (or, for procps, any line) names key explicitly. */
static bool explicit_exists(const struct sysctld_assignment *const *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i]->glob && strcmp(v[i]->key, key) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The writes of tool to the keys in want (normalized, sorted), in order.
 *
 * systemd-sysctl 252 keeps an ordered hashmap keyed by the normalized key (or
 * glob): a later assignment of the same key with another value replaces the
 * earlier one and moves to the end (the same value again changes nothing).  The
 * order matters when one write's validity depends on another key, as the port
 * range's start does on ip_unprivileged_port_start.  It then walks the map: entries without a value ("-key") write
 * nothing, a glob writes every matching key that has no entry of its own, and
 * any other entry writes its value once.
 *
 * procps writes every assignment as it reads it.  Its glob handling is taken
 * to be systemd's (REFERENCE §5.3, scenario "glob", agrees; the order of a glob
 * after an explicit key is not verified).
 */
static int tool_writes(const struct sysctld *c, enum sysctld_tool tool,
		       const char *const *want, size_t n_want, struct writes *ret)
{
	_cleanup_free_ const struct sysctld_assignment **all = NULL;
	size_t n_all, n_map = 0;
	struct writes w = { 0 };
	int k;

	k = tool_assignments(c, tool, &all, &n_all);
	if (k < 0)
		return k;

	if (tool == SYSCTLD_SYSTEMD) {
		/* Build the map in place: all[0..n_map). */
		for (size_t i = 0; i < n_all; i++) {
			const struct sysctld_assignment *a = all[i];
			bool same = false;

			for (size_t j = 0; j < n_map; j++)
				if (strcmp(all[j]->key, a->key) == 0) {
					/* The same value again keeps the earlier entry's place. */
					same = streq_ptr(all[j]->value, a->value);
					if (!same) {
						memmove(&all[j], &all[j + 1],
							(n_map - j - 1) * sizeof(*all));
						n_map--;
					}
					break;
				}
			if (!same)
				all[n_map++] = a;
		}
		n_all = n_map;
	}

	for (size_t i = 0; i < n_all; i++) {
		const struct sysctld_assignment *a = all[i];

		if (!a->value)
			continue;
		for (size_t j = 0; j < n_want; j++) {
			if (!sysctld_key_matches(a->key, a->glob, want[j]))
				continue;
			/* A glob skips keys set (or excluded) by name anywhere. */
			if (a->glob && explicit_exists(all, n_all, want[j]))
				continue;
			k = writes_add(&w, a, want[j]);
			if (k < 0) {
				free(w.v);
				return k;
			}
		}
	}
	*ret = w;
	return 0;
}

size_t sysctld_writes(const struct sysctld *c, enum sysctld_tool tool, const char *key,
		      const struct sysctld_assignment **ret, size_t max)
{
	_cleanup_free_ char *k = strdup(key);
	struct writes w = { 0 };
	const char *want[1];
	size_t n;

	if (!k)
		return 0;
	want[0] = sysctld_normalize_key(k);
	if (tool_writes(c, tool, want, 1, &w) < 0)
		return 0;
	n = w.n;
	for (size_t i = 0; i < w.n && i < max; i++)
		ret[i] = w.v[i].a;
	free(w.v);
	return n;
}

/*
 * proc_get_long() for the integer-vector sysctls: optional '-', a digit, strtoul
 * base 0, at most 20 characters, then a blank, a newline or the end.  Returns
 * the number of bytes taken or -EINVAL.
 */
static int get_long(const char *p, size_t left, long long *ret)
{
	char tmp[22], *end;
	size_t len = left < sizeof(tmp) - 1 ? left : sizeof(tmp) - 1, used;
	bool neg = false;
	unsigned long long v;
	char *q = tmp;

	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (*q == '-' && left > 1) {
		neg = true;
		q++;
	}
	if (*q < '0' || *q > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(q, &end, 0);
	if (errno == ERANGE || v > ULONG_MAX)
		return -EINVAL;
	used = (size_t)(end - tmp);
	if (used == sizeof(tmp) - 1)
		return -EINVAL;
	if (used < left && p[used] != ' ' && p[used] != '\t' && p[used] != '\n')
		return -EINVAL;
	if (v > (unsigned long long)INT_MAX)
		return -EINVAL;
	*ret = neg ? -(long long)v : (long long)v;
	return (int)used;
}

/*
 * __do_proc_dointvec() on a write of buf (value + "\n"): up to n integers
 * separated by blanks, each within lo..hi; vals keeps the current values of the
 * elements not written.  Returns 0 or -EINVAL.
 */
static int parse_intvec(const char *buf, size_t len, long long lo, long long hi, long long *vals,
			size_t n)
{
	size_t pos = 0, i;

	for (i = 0; i < n; i++) {
		long long v;
		int used;

		while (pos < len && (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\n' ||
				     buf[pos] == '\r' || buf[pos] == '\v' || buf[pos] == '\f'))
			pos++;
		if (pos == len)
			break;
		used = get_long(buf + pos, len - pos, &v);
		if (used < 0)
			return used;
		if (v < lo || v > hi)
			return -EINVAL;
		vals[i] = v;
		pos += (size_t)used;
	}
	return i == 0 ? -EINVAL : 0;
}

/*
 * What one write(2) of buf does to ip_local_reserved_ports when nobody writes
 * the rest (procps): the kernel parses only the first 4095 bytes and drops an
 * item that reaches the end of that window (proc_do_large_bitmap's "skipped").
 * Returns the length of the part it applies.
 */
static size_t first_window(const char *buf, size_t len)
{
	size_t pos = 0, keep = 0;

	if (len <= KERNEL_WRITE_MAX)
		return len;
	len = KERNEL_WRITE_MAX;
	while (pos < len) {
		size_t end;

		while (pos < len && buf[pos] == '\n')
			pos++;
		end = pos;
		while (end < len && buf[end] != '-' && buf[end] != ',' && buf[end] != '\n')
			end++;
		/* The first number must leave more than one byte of the window. */
		if (len - end <= 1)
			break;
		if (buf[end] == '-') {
			end++;
			while (end < len && buf[end] != ',' && buf[end] != '\n')
				end++;
			if (end >= len)
				break;
		}
		pos = end + 1;
		keep = pos;
	}
	return keep;
}

/* The buffer a tool writes for value: the value and a newline. */
static char *with_newline(const char *value, size_t *ret_len)
{
	size_t n = strlen(value);
	char *b = malloc(n + 2);

	if (!b)
		return NULL;
	memcpy(b, value, n);
	b[n] = '\n';
	b[n + 1] = '\0';
	*ret_len = n + 1;
	return b;
}

struct kernel_state {
	struct portset reserved;
	long long range[2];
	long long unprivileged;
};

/* Apply one write as the kernel would; -EINVAL when it refuses (nothing changes). */
static int kernel_write(struct kernel_state *s, size_t key, const char *value,
			enum sysctld_tool tool)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	buf = with_newline(value, &len);
	if (!buf)
		return -ENOMEM;
	switch (key) {
	case KEY_RESERVED: {
		struct portset set;

		/* systemd-sysctl resumes after short writes; procps writes once. */
		if (tool == SYSCTLD_PROCPS)
			len = first_window(buf, len);
		if (len == 0 && strlen(buf) > KERNEL_WRITE_MAX)
			return -EINVAL;
		if (portset_parse(buf, len, &set, NULL) < 0)
			return -EINVAL;
		/* An empty parse of a non-empty write clears: "\n" empties the set. */
		s->reserved = set;
		return 0;
	}
	case KEY_RANGE: {
		long long v[2] = { s->range[0], s->range[1] };

		if (parse_intvec(buf, len, 1, 65535, v, 2) < 0)
			return -EINVAL;
		/* ipv4_local_port_range(): no reversed range, none below the unprivileged start. */
		if (v[1] < v[0] || v[0] < s->unprivileged)
			return -EINVAL;
		s->range[0] = v[0];
		s->range[1] = v[1];
		return 0;
	}
	case KEY_UNPRIVILEGED: {
		long long v = s->unprivileged;

		if (parse_intvec(buf, len, 0, 65535, &v, 1) < 0)
			return -EINVAL;
		/* ipv4_privileged_ports(): must not exceed the range's start. */
		if (s->range[0] < v)
			return -EINVAL;
		s->unprivileged = v;
		return 0;
	}
	default:
		assert(!"unknown key");
		return -EINVAL;
	}
}

int sysctld_next_boot(const struct sysctld *c, enum sysctld_tool tool, struct sysctld_boot *ret)
{
	const struct sysctld_assignment *from[_KEY_MAX] = { 0 }, *rejected[_KEY_MAX] = { 0 };
	struct kernel_state s = {
		.range = { DEFAULT_RANGE_LO, DEFAULT_RANGE_HI },
		.unprivileged = DEFAULT_UNPRIVILEGED_START,
	};
	const char *want[_KEY_MAX];
	struct writes w = { 0 };
	int k;

	memcpy(want, port_keys, sizeof(want));
	/* glob(3) hands a pattern's matches over sorted. */
	qsort(want, _KEY_MAX, sizeof(*want), cmp_str);
	portset_clear(&s.reserved);
	k = tool_writes(c, tool, want, _KEY_MAX, &w);
	if (k < 0)
		return k;
	for (size_t i = 0; i < w.n; i++) {
		size_t key = 0;

		while (key < _KEY_MAX && strcmp(port_keys[key], w.v[i].key) != 0)
			key++;
		assert(key < _KEY_MAX);
		k = kernel_write(&s, key, w.v[i].a->value, tool);
		if (k == -ENOMEM) {
			free(w.v);
			return k;
		}
		if (k < 0)
			rejected[key] = w.v[i].a;
		else {
			from[key] = w.v[i].a;
			rejected[key] = NULL;
		}
	}
	free(w.v);

	*ret = (struct sysctld_boot){
		.reserved = s.reserved,
		.range_lo = (uint16_t)s.range[0],
		.range_hi = (uint16_t)s.range[1],
		.unprivileged_start = (unsigned)s.unprivileged,
		.reserved_from = from[KEY_RESERVED],
		.range_from = from[KEY_RANGE],
		.unprivileged_from = from[KEY_UNPRIVILEGED],
		.reserved_rejected = rejected[KEY_RESERVED],
		.range_rejected = rejected[KEY_RANGE],
		.unprivileged_rejected = rejected[KEY_UNPRIVILEGED],
	};
	return 0;
}

/* The first number in value the kernel reads other than as written (octal, hex). */
static const char *misread(const char *value, char *buf, size_t size)
{
	for (const char *p = value; *p; p++) {
		size_t n;

		if (*p < '0' || *p > '9' || (p > value && p[-1] >= '0' && p[-1] <= '9'))
			continue;
		n = strspn(p, "0123456789abcdefABCDEFxX");
		if (n > 1 && p[0] == '0') {
			char tok[24];
			unsigned long long v;

			if (n >= sizeof(tok))
				continue;
			memcpy(tok, p, n);
			tok[n] = '\0';
			errno = 0;
			v = strtoull(tok, NULL, 0);
			if (errno)
				continue;
			snprintf(buf, size, "the kernel reads '%s' as %llu (%s)", tok, v,
				 p[1] == 'x' || p[1] == 'X' ? "hexadecimal" : "a leading zero means octal");
			return buf;
		}
		p += n - 1;
	}
	return NULL;
}

const char *sysctld_value_problem(const char *key, const char *value, enum sysctld_tool tool,
				  char *buf, size_t size)
{
	_cleanup_free_ char *norm = strdup(key), *b = NULL;
	size_t len, k = 0;

	if (!norm || !value)
		return NULL;
	sysctld_normalize_key(norm);
	while (k < _KEY_MAX && strcmp(port_keys[k], norm) != 0)
		k++;
	if (k == _KEY_MAX)
		return NULL;
	b = with_newline(value, &len);
	if (!b)
		return NULL;

	if (k == KEY_RESERVED) {
		struct portset_parse_info info;
		struct portset set;

		if (portset_parse(b, len, &set, &info) < 0) {
			snprintf(buf, size, "the kernel refuses it: %s at byte %zu",
				 portset_parse_error_to_string(info.error), info.offset + 1);
			return buf;
		}
		if (tool == SYSCTLD_PROCPS && len > KERNEL_WRITE_MAX) {
			struct portset part;
			size_t w = first_window(b, len);

			if (portset_parse(b, w, &part, NULL) == 0 && !portset_equal(&part, &set)) {
				snprintf(buf, size,
					 "%zu bytes: procps writes it once and the kernel takes only "
					 "the first %zu bytes (%u of %u ports)",
					 len - 1, w, portset_count(&part), portset_count(&set));
				return buf;
			}
		}
		return misread(value, buf, size);
	} else {
		long long v[2] = { DEFAULT_RANGE_LO, DEFAULT_RANGE_HI };
		size_t n = k == KEY_RANGE ? 2 : 1;
		long long lo = k == KEY_RANGE ? 1 : 0;
		size_t words = 0;

		if (parse_intvec(b, len, lo, 65535, v, n) < 0) {
			snprintf(buf, size, "the kernel refuses it: %s",
				 k == KEY_RANGE ? "not two numbers 1..65535 separated by blanks"
						: "not a number 0..65535");
			return buf;
		}
		if (k == KEY_RANGE && v[1] < v[0]) {
			snprintf(buf, size, "the kernel refuses it: the start is above the end");
			return buf;
		}
		for (const char *p = value; *p;) {
			p += strspn(p, " \t\n\r\v\f");
			if (!*p)
				break;
			words++;
			p += strcspn(p, " \t\n\r\v\f");
		}
		if (k == KEY_RANGE && words == 1) {
			snprintf(buf, size, "one number: the kernel sets only the start of the range");
			return buf;
		}
		if (words > n) {
			snprintf(buf, size, "the kernel ignores everything after the %s number",
				 n == 2 ? "second" : "first");
			return buf;
		}
		return misread(value, buf, size);
	}
}
