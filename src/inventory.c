/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "portaudit/inventory.h"

/*
 * The loader walks libyaml's event stream with one handler table per mapping
 * level (netplan's shape) instead of building a document tree: an alias or an
 * anchor is refused the moment it appears and never expanded, nesting is cut
 * at the schema's depth, and a 5,000-service file costs one pass.  Input errors
 * go to the diag list and loading goes on; only a YAML syntax error, a wrong
 * version or excessive nesting stops the file.
 */

enum policy_key {
	POLICY_RESERVE,
	POLICY_UNLISTED,
	POLICY_MIN_POOL,
	_POLICY_KEY_MAX,
};

struct inventory_index {
	size_t *slots; /* service index + 1; 0 is empty */
	size_t cap;    /* a power of two */
	struct inventory_mark policy_marks[_POLICY_KEY_MAX];
	bool policy_set[_POLICY_KEY_MAX];
};

struct loader {
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev;
	bool stop; /* give up on this file: syntax error, version, nesting, full diag */
	unsigned depth;
	const char *file;
	const char *buf;
	size_t len;
	struct diag *diag;
	struct inventory *inv;
	const struct services *services;
	int oom;
};

/* Per-service state while its mapping is read. */
struct service_ctx {
	struct inventory_service *svc;
	bool protocol_given;
};

typedef int (*handler_fn)(struct loader *l, void *target);

struct key_handler {
	const char *key;
	handler_fn fn;
	bool required;
};

#define QUOTE_MAX 64
#define QUOTE_BUF (QUOTE_MAX * 4 + 8)

static struct inventory_mark mark_of(const struct loader *l, yaml_mark_t m)
{
	return (struct inventory_mark){ .file = l->file,
					.line = (unsigned)m.line + 1,
					.column = (unsigned)m.column + 1 };
}

_printf_(3, 4) static void err(struct loader *l, yaml_mark_t m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (diag_add(l->diag, l->file, (unsigned)m.line + 1, (unsigned)m.column + 1, "%s", msg) ==
	    -ENOMEM)
		l->oom = -ENOMEM;
	/* One past the bound: enough to know that "too many errors" is true. */
	if (l->diag->total > l->diag->max)
		l->stop = true;
}

/* The current scalar, quoted for a message. */
static const char *quoted(const struct loader *l, char *buf)
{
	return diag_quote((const char *)l->ev.data.scalar.value, l->ev.data.scalar.length,
			  QUOTE_MAX, buf, QUOTE_BUF);
}

static const char *kind_name(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return "a scalar";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_ALIAS_EVENT:
		return "an alias";
	default:
		return "nothing";
	}
}

/* Line and column (1-based) of a byte offset, for reader errors that carry no mark. */
static yaml_mark_t mark_at_offset(const struct loader *l, size_t offset)
{
	yaml_mark_t m = { 0 };
	size_t line_start = 0;

	for (size_t i = 0; i < offset && i < l->len; i++)
		if (l->buf[i] == '\n') {
			m.line++;
			line_start = i + 1;
		}
	m.column = offset > line_start ? offset - line_start : 0;
	return m;
}

static void syntax_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;

	if (p->error == YAML_MEMORY_ERROR) {
		l->oom = -ENOMEM;
	} else if (p->error == YAML_READER_ERROR) {
		if (p->problem_value != -1)
			err(l, mark_at_offset(l, p->problem_offset), "%s (byte 0x%02x)%s",
			    p->problem ? p->problem : "invalid input", (unsigned)p->problem_value & 0xff,
			    p->problem && strstr(p->problem, "UTF-8") ? ": not valid UTF-8 text" : "");
		else
			err(l, mark_at_offset(l, p->problem_offset), "%s",
			    p->problem ? p->problem : "invalid input");
	} else if (p->context)
		err(l, p->problem_mark, "YAML syntax error: %s %s", p->problem ? p->problem : "",
		    p->context);
	else
		err(l, p->problem_mark, "YAML syntax error: %s", p->problem ? p->problem : "invalid YAML");
	l->stop = true;
}

/* Advance to the next event; checks what no schema node may carry. */
static int next(struct loader *l)
{
	char q[QUOTE_BUF];
	yaml_char_t *anchor = NULL, *tag = NULL;

	if (l->have_ev) {
		yaml_event_delete(&l->ev);
		l->have_ev = false;
	}
	if (l->stop || l->oom)
		return -EINVAL;
	if (!yaml_parser_parse(&l->parser, &l->ev)) {
		syntax_error(l);
		return -EINVAL;
	}
	l->have_ev = true;

	switch (l->ev.type) {
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++l->depth > INVENTORY_DEPTH_MAX) {
			err(l, l->ev.start_mark,
			    "nesting deeper than the inventory schema allows (%u levels)",
			    INVENTORY_DEPTH_MAX);
			l->stop = true;
			return -EINVAL;
		}
		if (l->ev.type == YAML_SEQUENCE_START_EVENT) {
			anchor = l->ev.data.sequence_start.anchor;
			tag = l->ev.data.sequence_start.tag;
		} else {
			anchor = l->ev.data.mapping_start.anchor;
			tag = l->ev.data.mapping_start.tag;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		l->depth--;
		break;
	case YAML_SCALAR_EVENT:
		anchor = l->ev.data.scalar.anchor;
		tag = l->ev.data.scalar.tag;
		break;
	case YAML_ALIAS_EVENT:
		err(l, l->ev.start_mark, "YAML aliases are not allowed in an inventory ('*%s')",
		    diag_quote((const char *)l->ev.data.alias.anchor,
			       strlen((const char *)l->ev.data.alias.anchor), QUOTE_MAX, q,
			       sizeof(q)));
		break;
	default:
		break;
	}
	if (anchor)
		err(l, l->ev.start_mark, "YAML anchors are not allowed in an inventory ('&%s')",
		    diag_quote((const char *)anchor, strlen((const char *)anchor), QUOTE_MAX, q,
			       sizeof(q)));
	if (tag)
		err(l, l->ev.start_mark, "YAML tags are not allowed in an inventory ('%s')",
		    diag_quote((const char *)tag, strlen((const char *)tag), QUOTE_MAX, q,
			       sizeof(q)));
	return 0;
}

/* Consume the rest of the node whose first event is current. */
static int skip_node(struct loader *l)
{
	unsigned depth = 0;

	do {
		switch (l->ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (depth == 0)
			return 0;
	} while (next(l) == 0);
	return -EINVAL;
}

/* Whether the current event is a scalar; otherwise report and skip the node. */
static bool want_scalar(struct loader *l, const char *what)
{
	if (l->ev.type == YAML_SCALAR_EVENT)
		return true;
	/* An alias was reported when it was read. */
	if (l->ev.type != YAML_ALIAS_EVENT)
		err(l, l->ev.start_mark, "expected %s, got %s", what, kind_name(&l->ev));
	skip_node(l);
	return false;
}

static bool scalar_is(const struct loader *l, const char *s)
{
	return l->ev.data.scalar.length == strlen(s) &&
	       memcmp(l->ev.data.scalar.value, s, l->ev.data.scalar.length) == 0;
}

static bool scalar_is_plain(const struct loader *l)
{
	return l->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A plain empty value, "~" or "null": "services:" with nothing under it. */
static bool scalar_is_null(const struct loader *l)
{
	return l->ev.type == YAML_SCALAR_EVENT && scalar_is_plain(l) &&
	       (l->ev.data.scalar.length == 0 || scalar_is(l, "~") || scalar_is(l, "null"));
}

/* A NUL byte inside a scalar would cut the string short: refuse it. */
static bool scalar_has_nul(const struct loader *l)
{
	return memchr(l->ev.data.scalar.value, '\0', l->ev.data.scalar.length) != NULL;
}

/* Parse an unsigned decimal without sign, blanks or leading zeros; -ERANGE above max. */
static int parse_decimal(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
	uint64_t v = 0; /* ten digits: an unsigned long of 32 bits would wrap */

	if (len == 0 || len > 10)
		return len ? -ERANGE : -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (len > 1 && s[0] == '0')
		return -EDOM;
	if (v > max)
		return -ERANGE;
	*ret = (unsigned long)v;
	return 0;
}

/* Look a table up by key: the index, or n when absent. */
static size_t lookup_key(const struct loader *l, const struct key_handler *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (scalar_is(l, table[i].key))
			return i;
	return n;
}

static void list_keys(const struct key_handler *table, size_t n, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++) {
		int k = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", table[i].key);
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/*
 * Read a mapping whose start event is current, dispatching each key to its
 * handler with the value's first event current.  Unknown and duplicate keys
 * are errors; so are missing required ones.
 */
static int parse_mapping(struct loader *l, const struct key_handler *table, size_t n,
			 void *target, const char *what)
{
	yaml_mark_t start = l->ev.start_mark, seen_at[8];
	unsigned seen = 0;
	char q[QUOTE_BUF], keys[256];
	int r;

	if (l->ev.type != YAML_MAPPING_START_EVENT) {
		if (l->ev.type != YAML_ALIAS_EVENT)
			err(l, start, "expected a mapping for %s, got %s", what, kind_name(&l->ev));
		return skip_node(l);
	}
	for (;;) {
		size_t i;
		yaml_mark_t key_mark;

		if (next(l) < 0)
			return -EINVAL;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			break;
		key_mark = l->ev.start_mark;
		if (l->ev.type != YAML_SCALAR_EVENT) {
			if (l->ev.type != YAML_ALIAS_EVENT)
				err(l, key_mark, "keys in %s must be plain words, got %s", what,
				    kind_name(&l->ev));
			if (skip_node(l) < 0 || next(l) < 0 || skip_node(l) < 0)
				return -EINVAL;
			continue;
		}
		i = lookup_key(l, table, n);
		if (i == n) {
			list_keys(table, n, keys, sizeof(keys));
			err(l, key_mark, "unknown key '%s' in %s (expected %s)", quoted(l, q), what,
			    keys);
		} else if (seen & (1u << i)) {
			err(l, key_mark, "duplicate key '%s' in %s (first at line %zu, column %zu)",
			    table[i].key, what, seen_at[i].line + 1, seen_at[i].column + 1);
			i = n;
		}
		if (next(l) < 0)
			return -EINVAL;
		if (i == n) {
			if (skip_node(l) < 0)
				return -EINVAL;
			continue;
		}
		seen |= 1u << i;
		seen_at[i] = key_mark;
		r = table[i].fn(l, target);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++)
		if (table[i].required && !(seen & (1u << i)))
			err(l, start, "missing key '%s' in %s", table[i].key, what);
	return 0;
}

/* Whether s holds only ASCII letters, digits and bytes of extra (never NUL). */
static bool only_word_chars(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(extra, c))))
			return false;
	}
	return true;
}

/* Service names: they appear in reports, JSON and journal fields. */
static bool valid_service_name(const char *s, size_t len)
{
	return len > 0 && len <= INVENTORY_NAME_MAX && only_word_chars(s, len, "._@:+-");
}

/* systemd unit names (systemd.unit(5)) of the two types a listener can belong to. */
static bool valid_unit_name(const char *s, size_t len)
{
	static const char *const suffixes[] = { ".service", ".socket" };
	bool suffix_ok = false;

	if (len == 0 || len > 255 || !only_word_chars(s, len, ":_.\\@-"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len > sl && memcmp(s + len - sl, suffixes[i], sl) == 0)
			suffix_ok = true;
	}
	/* "foo@.service" is a template: only its instances can own a listener. */
	return suffix_ok && s[0] != '.' && s[0] != '@' && !memmem(s, len, "@.", 2);
}

static int copy_scalar(struct loader *l, char **ret)
{
	char *s = strndup((const char *)l->ev.data.scalar.value, l->ev.data.scalar.length);

	if (!s)
		return l->oom = -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

/* ---- version ---------------------------------------------------------------- */

static int handle_version(struct loader *l, void *target)
{
	char q[QUOTE_BUF];

	if (!want_scalar(l, "the number 1 for 'version'"))
		return 0;
	if (!scalar_is(l, "1")) {
		err(l, l->ev.start_mark,
		    "unsupported inventory version '%s' (this portaudit reads version 1)", quoted(l, q));
		l->stop = true;
		return -EINVAL;
	}
	return 0;
}

/* ---- ports of a service ----------------------------------------------------- */

static int add_item(struct loader *l, struct inventory_service *svc, struct inventory_item item)
{
	struct inventory_item *n;

	if (svc->n_items % 8 == 0) {
		n = reallocarray(svc->items, svc->n_items + 8, sizeof(*n));
		if (!n) {
			free(item.name);
			return l->oom = -ENOMEM;
		}
		svc->items = n;
	}
	svc->items[svc->n_items++] = item;
	return 0;
}

/* One entry of "ports:": a number, "a-b", or a service name. */
static int parse_port_item(struct loader *l, struct inventory_service *svc)
{
	const char *s = (const char *)l->ev.data.scalar.value;
	size_t len = l->ev.data.scalar.length;
	struct inventory_item item = { .mark = mark_of(l, l->ev.start_mark) };
	const char *dash = memchr(s, '-', len);
	unsigned long lo, hi;
	char q[QUOTE_BUF];
	int r;

	if (len == 0) {
		err(l, l->ev.start_mark, "empty port in service '%s'", svc->name);
		return 0;
	}
	if (scalar_has_nul(l)) {
		err(l, l->ev.start_mark, "NUL byte in port '%s'", quoted(l, q));
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		size_t first_len = dash ? (size_t)(dash - s) : len;

		r = parse_decimal(s, first_len, 65535, &lo);
		if (r == 0 && dash) {
			r = parse_decimal(dash + 1, len - first_len - 1, 65535, &hi);
		} else
			hi = lo;
		if (r == -EDOM) {
			err(l, l->ev.start_mark,
			    "port '%s' has a leading zero, which YAML 1.1 reads as octal: write the number without it",
			    quoted(l, q));
			return 0;
		}
		if (r == -ERANGE) {
			err(l, l->ev.start_mark, "port '%s' is above 65535", quoted(l, q));
			return 0;
		}
		if (r < 0) {
			err(l, l->ev.start_mark,
			    dash ? "invalid port range '%s' (expected 'low-high', e.g. '30000-32767')"
				 : "invalid port '%s' (expected a number from 1 to 65535, a range 'low-high' or a service name)",
			    quoted(l, q));
			return 0;
		}
		if (lo == 0 || hi == 0) {
			err(l, l->ev.start_mark, "port 0 in '%s' is not a port a service can listen on", quoted(l, q));
			return 0;
		}
		if (lo > hi) {
			err(l, l->ev.start_mark, "reversed port range '%s' (the low port comes first)", quoted(l, q));
			return 0;
		}
		item.lo = (uint16_t)lo;
		item.hi = (uint16_t)hi;
		return add_item(l, svc, item);
	}
	if (s[0] == '-' || s[0] == '+' || memchr(s, ' ', len) || memchr(s, '\t', len) ||
	    memchr(s, '/', len) || memchr(s, '#', len)) {
		err(l, l->ev.start_mark,
		    "invalid port '%s' (expected a number from 1 to 65535, a range 'low-high' or a service name)",
		    quoted(l, q));
		return 0;
	}
	item.name = strndup(s, len);
	if (!item.name)
		return l->oom = -ENOMEM;
	return add_item(l, svc, item);
}

static int handle_ports(struct loader *l, void *target)
{
	struct service_ctx *ctx = target;
	yaml_mark_t start = l->ev.start_mark;
	size_t entries = 0;
	int r;

	/* A single port may be written without brackets. */
	if (l->ev.type == YAML_SCALAR_EVENT)
		return parse_port_item(l, ctx->svc);
	if (l->ev.type != YAML_SEQUENCE_START_EVENT) {
		if (l->ev.type != YAML_ALIAS_EVENT)
			err(l, start, "expected a list of ports for 'ports', got %s", kind_name(&l->ev));
		return skip_node(l);
	}
	for (;;) {
		if (next(l) < 0)
			return -EINVAL;
		if (l->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		entries++;
		if (!want_scalar(l, "a port number, range or service name"))
			continue;
		r = parse_port_item(l, ctx->svc);
		if (r < 0)
			return r;
	}
	if (entries == 0)
		err(l, start, "empty port list in service '%s'", ctx->svc->name);
	return 0;
}

static int handle_protocol_one(struct loader *l, struct service_ctx *ctx, yaml_mark_t *first)
{
	char q[QUOTE_BUF];
	enum proto p;
	char name[8] = "";

	if (!want_scalar(l, "tcp or udp"))
		return 0;
	if (l->ev.data.scalar.length < sizeof(name))
		memcpy(name, l->ev.data.scalar.value, l->ev.data.scalar.length);
	p = scalar_has_nul(l) ? _PROTO_INVALID : proto_from_string(name);
	if (p < 0) {
		err(l, l->ev.start_mark, "unknown protocol '%s' (expected tcp or udp)", quoted(l, q));
		return 0;
	}
	if (ctx->svc->protocols[p]) {
		err(l, l->ev.start_mark, "protocol '%s' listed twice (first at line %zu, column %zu)",
		    proto_to_string(p), first[p].line + 1, first[p].column + 1);
		return 0;
	}
	ctx->svc->protocols[p] = true;
	first[p] = l->ev.start_mark;
	return 0;
}

static int handle_protocol(struct loader *l, void *target)
{
	struct service_ctx *ctx = target;
	yaml_mark_t first[_PROTO_MAX], start = l->ev.start_mark;
	bool any = false;
	int r;

	ctx->protocol_given = true;
	if (l->ev.type != YAML_SEQUENCE_START_EVENT)
		return handle_protocol_one(l, ctx, first);
	for (;;) {
		if (next(l) < 0)
			return -EINVAL;
		if (l->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		any = true;
		r = handle_protocol_one(l, ctx, first);
		if (r < 0)
			return r;
	}
	if (!any)
		err(l, start, "empty protocol list (expected tcp, udp or [tcp, udp])");
	return 0;
}

/* YAML 1.2 core booleans only: "yes"/"no"/"on"/"off" are YAML 1.1 traps. */
static int parse_bool(struct loader *l, const char *key, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE" }, *const no[] = { "false", "False", "FALSE" };
	char q[QUOTE_BUF];

	if (!want_scalar(l, "true or false"))
		return 0;
	if (scalar_is_plain(l))
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (scalar_is(l, yes[i])) {
				*ret = true;
				return 0;
			}
			if (scalar_is(l, no[i])) {
				*ret = false;
				return 0;
			}
		}
	err(l, l->ev.start_mark, "expected true or false for '%s', got '%s'", key, quoted(l, q));
	return 0;
}

static int handle_reserve(struct loader *l, void *target)
{
	struct service_ctx *ctx = target;

	return parse_bool(l, "reserve", &ctx->svc->reserve);
}

static int handle_unit(struct loader *l, void *target)
{
	struct service_ctx *ctx = target;
	char q[QUOTE_BUF];

	if (!want_scalar(l, "a systemd unit name"))
		return 0;
	if (scalar_has_nul(l) ||
	    !valid_unit_name((const char *)l->ev.data.scalar.value, l->ev.data.scalar.length)) {
		err(l, l->ev.start_mark,
		    "invalid unit name '%s' (expected a systemd unit such as mysql.service or mysql.socket)",
		    quoted(l, q));
		return 0;
	}
	return copy_scalar(l, &ctx->svc->unit);
}

static int handle_process(struct loader *l, void *target)
{
	struct service_ctx *ctx = target;
	char q[QUOTE_BUF];
	size_t len;

	if (!want_scalar(l, "a process name"))
		return 0;
	len = l->ev.data.scalar.length;
	if (len == 0 || scalar_has_nul(l) || memchr(l->ev.data.scalar.value, '/', len)) {
		err(l, l->ev.start_mark, "invalid process name '%s' (expected a command name such as mysqld)",
		    quoted(l, q));
		return 0;
	}
	if (len > INVENTORY_PROCESS_MAX) {
		err(l, l->ev.start_mark,
		    "process name '%s' is longer than %u characters, the most the kernel keeps of a command name (comm)",
		    quoted(l, q), INVENTORY_PROCESS_MAX);
		return 0;
	}
	return copy_scalar(l, &ctx->svc->process);
}

static const struct key_handler service_handlers[] = {
	{ "ports", handle_ports, true },
	{ "protocol", handle_protocol, false },
	{ "reserve", handle_reserve, false },
	{ "unit", handle_unit, false },
	{ "process", handle_process, false },
};

/* ---- service index ------------------------------------------------------------ */

static size_t hash_name(const char *s)
{
	size_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t *index_slot(const struct inventory *inv, const char *name)
{
	struct inventory_index *x = inv->index;
	size_t i = hash_name(name) & (x->cap - 1);

	for (;; i = (i + 1) & (x->cap - 1)) {
		size_t *slot = &x->slots[i];
		if (*slot == 0 || strcmp(inv->services[*slot - 1].name, name) == 0)
			return slot;
	}
}

static int index_grow(struct inventory *inv)
{
	struct inventory_index *x = inv->index;
	size_t cap = x->cap ? x->cap * 2 : 64, old_cap = x->cap;
	size_t *old = x->slots;

	x->slots = calloc(cap, sizeof(*x->slots));
	if (!x->slots) {
		x->slots = old;
		return -ENOMEM;
	}
	x->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			*index_slot(inv, inv->services[old[i] - 1].name) = old[i];
	free(old);
	return 0;
}

const struct inventory_service *inventory_find(const struct inventory *inv, const char *name)
{
	size_t *slot;

	if (!inv->index->cap)
		return NULL;
	slot = index_slot(inv, name);
	return *slot ? &inv->services[*slot - 1] : NULL;
}

/* ---- a service's ports, resolved -------------------------------------------- */

static int cmp_run(const void *a, const void *b)
{
	const struct portrun *x = a, *y = b;

	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

/* The service that claims port for p, other than skip (error path only). */
static const struct inventory_service *owner_of(const struct inventory *inv, enum proto p,
						uint16_t port, const struct inventory_service *skip)
{
	for (size_t i = 0; i < inv->n_services; i++) {
		const struct inventory_service *s = &inv->services[i];
		if (s == skip)
			continue;
		for (size_t k = 0; k < s->n_runs[p]; k++)
			if (s->runs[p][k].lo <= port && port <= s->runs[p][k].hi)
				return s;
	}
	return NULL;
}

static yaml_mark_t yaml_mark(const struct inventory_mark *m)
{
	return (yaml_mark_t){ .line = m->line - 1, .column = m->column - 1 };
}

/* Resolve names, check every port against the rest of the inventory, record runs. */
static int finish_service(struct loader *l, struct service_ctx *ctx)
{
	struct inventory_service *svc = ctx->svc;
	struct inventory *inv = l->inv;

	if (!ctx->protocol_given)
		svc->protocols[PROTO_TCP] = true;

	for (enum proto p = 0; p < _PROTO_MAX; p++) {
		struct portrun *runs;
		size_t n = 0;

		if (!svc->protocols[p] || svc->n_items == 0)
			continue;
		runs = calloc(svc->n_items, sizeof(*runs));
		if (!runs)
			return l->oom = -ENOMEM;
		for (size_t i = 0; i < svc->n_items; i++) {
			struct inventory_item *it = &svc->items[i];
			uint16_t port;

			if (it->name) {
				if (!l->services || services_lookup(l->services, it->name, p, &port) < 0) {
					char q[QUOTE_BUF];
					err(l, yaml_mark(&it->mark),
					    "unknown service name '%s' for %s (not in /etc/services)",
					    diag_quote(it->name, strlen(it->name), QUOTE_MAX, q, sizeof(q)),
					    proto_to_string(p));
					continue;
				}
				runs[n++] = (struct portrun){ port, port };
			} else
				runs[n++] = (struct portrun){ it->lo, it->hi };
		}
		qsort(runs, n, sizeof(*runs), cmp_run);

		/* Merge; an overlap inside one service is a port listed twice. */
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (m > 0 && runs[i].lo <= runs[m - 1].hi) {
				err(l, yaml_mark(&svc->mark), "port %u/%s is listed twice in service '%s'",
				    runs[i].lo, proto_to_string(p), svc->name);
				if (runs[i].hi > runs[m - 1].hi)
					runs[m - 1].hi = runs[i].hi;
			} else if (m > 0 && runs[i].lo == runs[m - 1].hi + 1)
				runs[m - 1].hi = runs[i].hi;
			else
				runs[m++] = runs[i];
		}

		/* A port claimed by another service for the same protocol. */
		for (size_t i = 0; i < m; i++) {
			if (portset_count_range(&inv->ports[p], runs[i].lo, runs[i].hi) == 0)
				continue;
			for (unsigned port = runs[i].lo; port <= runs[i].hi; port++) {
				const struct inventory_service *o;

				if (!portset_contains(&inv->ports[p], (uint16_t)port))
					continue;
				o = owner_of(inv, p, (uint16_t)port, svc);
				err(l, yaml_mark(&svc->mark),
				    "port %u/%s of service '%s' is already claimed by service '%s' (%s:%u:%u)",
				    port, proto_to_string(p), svc->name, o ? o->name : "?",
				    o ? o->mark.file : "?", o ? o->mark.line : 0, o ? o->mark.column : 0);
				break;
			}
		}
		for (size_t i = 0; i < m; i++)
			portset_add_range(&inv->ports[p], runs[i].lo, runs[i].hi);
		svc->runs[p] = runs;
		svc->n_runs[p] = m;
	}
	return 0;
}

static void service_done(struct inventory_service *svc)
{
	for (size_t i = 0; i < svc->n_items; i++)
		free(svc->items[i].name);
	free(svc->items);
	for (int p = 0; p < _PROTO_MAX; p++)
		free(svc->runs[p]);
	free(svc->name);
	free(svc->unit);
	free(svc->process);
}

/* ---- services ------------------------------------------------------------------ */

static int handle_services(struct loader *l, void *target)
{
	struct inventory *inv = l->inv;
	char q[QUOTE_BUF], what[INVENTORY_NAME_MAX + 16];
	int r;

	if (scalar_is_null(l))
		return 0; /* "services:" with nothing: no services */
	if (l->ev.type != YAML_MAPPING_START_EVENT) {
		if (l->ev.type != YAML_ALIAS_EVENT)
			err(l, l->ev.start_mark,
			    "expected a mapping of service names for 'services', got %s",
			    kind_name(&l->ev));
		return skip_node(l);
	}
	for (;;) {
		struct service_ctx ctx = { 0 };
		struct inventory_service *svc;
		yaml_mark_t name_mark;
		size_t *slot;

		if (next(l) < 0)
			return -EINVAL;
		if (l->ev.type == YAML_MAPPING_END_EVENT)
			break;
		name_mark = l->ev.start_mark;
		if (!want_scalar(l, "a service name")) {
			if (next(l) < 0 || skip_node(l) < 0)
				return -EINVAL;
			continue;
		}
		if (scalar_has_nul(l) || !valid_service_name((const char *)l->ev.data.scalar.value,
							     l->ev.data.scalar.length)) {
			err(l, name_mark,
			    "invalid service name '%s' (letters, digits and ._@:+- only, at most %u)",
			    quoted(l, q), INVENTORY_NAME_MAX);
			if (next(l) < 0 || skip_node(l) < 0)
				return -EINVAL;
			continue;
		}
		if (inv->n_services >= INVENTORY_SERVICES_MAX) {
			err(l, name_mark,
			    "more than %u services in the inventory (list a service's ports as a range instead)",
			    INVENTORY_SERVICES_MAX);
			l->stop = true;
			return -EINVAL;
		}
		if (inv->n_services * 10 >= inv->index->cap * 7 && index_grow(inv) < 0)
			return l->oom = -ENOMEM;
		memcpy(q, l->ev.data.scalar.value, l->ev.data.scalar.length);
		q[l->ev.data.scalar.length] = '\0';
		slot = index_slot(inv, q);
		if (*slot) {
			const struct inventory_service *o = &inv->services[*slot - 1];

			if (o->mark.file == l->file)
				err(l, name_mark, "duplicate service '%s' (first at line %u, column %u)", q,
				    o->mark.line, o->mark.column);
			else
				err(l, name_mark, "service '%s' is already defined in %s:%u:%u", q,
				    o->mark.file, o->mark.line, o->mark.column);
			if (next(l) < 0 || skip_node(l) < 0)
				return -EINVAL;
			continue;
		}
		if (inv->n_services % 64 == 0) {
			struct inventory_service *n =
				reallocarray(inv->services, inv->n_services + 64, sizeof(*n));
			if (!n)
				return l->oom = -ENOMEM;
			inv->services = n;
		}
		svc = &inv->services[inv->n_services];
		*svc = (struct inventory_service){ .reserve = true, .mark = mark_of(l, name_mark) };
		svc->name = strdup(q);
		if (!svc->name)
			return l->oom = -ENOMEM;
		inv->n_services++;
		*slot = inv->n_services;

		if (next(l) < 0)
			return -EINVAL;
		ctx.svc = svc;
		snprintf(what, sizeof(what), "service '%s'", svc->name);
		r = parse_mapping(l, service_handlers, ARRAY_SIZE(service_handlers), &ctx, what);
		if (r < 0)
			return r;
		r = finish_service(l, &ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- policy ----------------------------------------------------------------------- */

static const char *const reserve_names[_RESERVE_MAX] = {
	[RESERVE_EPHEMERAL] = "ephemeral",
	[RESERVE_ALL] = "all",
	[RESERVE_NONE] = "none",
};

static const char *const level_names[_LEVEL_MAX] = {
	[LEVEL_IGNORE] = "ignore",
	[LEVEL_INFO] = "info",
	[LEVEL_WARNING] = "warning",
	[LEVEL_ERROR] = "error",
};

const char *inventory_reserve_to_string(enum inventory_reserve r)
{
	return (unsigned)r < _RESERVE_MAX ? reserve_names[r] : NULL;
}

const char *inventory_level_to_string(enum inventory_level v)
{
	return (unsigned)v < _LEVEL_MAX ? level_names[v] : NULL;
}

/* A policy key set in two files is an error naming the first; false then. */
static bool policy_claim(struct loader *l, enum policy_key k, const char *key)
{
	struct inventory_index *x = l->inv->index;

	if (x->policy_set[k]) {
		err(l, l->ev.start_mark, "policy '%s' is already set in %s:%u:%u", key,
		    x->policy_marks[k].file, x->policy_marks[k].line, x->policy_marks[k].column);
		return false;
	}
	x->policy_set[k] = true;
	x->policy_marks[k] = mark_of(l, l->ev.start_mark);
	return true;
}

/* Match the current scalar against names[0..n); the index, or -1 after an error. */
static int parse_enum(struct loader *l, const char *key, const char *const *names, size_t n,
		      const char *expected)
{
	char q[QUOTE_BUF];

	if (!want_scalar(l, expected))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (scalar_is(l, names[i]))
			return (int)i;
	err(l, l->ev.start_mark, "unknown value '%s' for policy '%s' (expected %s)", quoted(l, q),
	    key, expected);
	return -1;
}

static int handle_policy_reserve(struct loader *l, void *target)
{
	int v = parse_enum(l, "reserve", reserve_names, _RESERVE_MAX, "ephemeral, all or none");

	if (v >= 0 && policy_claim(l, POLICY_RESERVE, "reserve"))
		l->inv->policy.reserve = (enum inventory_reserve)v;
	return 0;
}

static int handle_policy_unlisted(struct loader *l, void *target)
{
	int v = parse_enum(l, "unlisted_listeners", level_names, _LEVEL_MAX,
			   "ignore, info, warning or error");

	if (v >= 0 && policy_claim(l, POLICY_UNLISTED, "unlisted_listeners"))
		l->inv->policy.unlisted_listeners = (enum inventory_level)v;
	return 0;
}

static int handle_policy_min_pool(struct loader *l, void *target)
{
	unsigned long v;
	char q[QUOTE_BUF];

	if (!want_scalar(l, "a number of ports"))
		return 0;
	/* Quoted or not, like ports. */
	if (parse_decimal((const char *)l->ev.data.scalar.value, l->ev.data.scalar.length, 65536,
			  &v) < 0) {
		err(l, l->ev.start_mark,
		    "invalid value '%s' for policy 'min_ephemeral_ports' (expected a number from 0 to 65536)",
		    quoted(l, q));
		return 0;
	}
	if (policy_claim(l, POLICY_MIN_POOL, "min_ephemeral_ports"))
		l->inv->policy.min_ephemeral_ports = (unsigned)v;
	return 0;
}

static const struct key_handler policy_handlers[] = {
	{ "reserve", handle_policy_reserve, false },
	{ "unlisted_listeners", handle_policy_unlisted, false },
	{ "min_ephemeral_ports", handle_policy_min_pool, false },
};

static int handle_policy(struct loader *l, void *target)
{
	if (scalar_is_null(l))
		return 0;
	return parse_mapping(l, policy_handlers, ARRAY_SIZE(policy_handlers), NULL, "'policy'");
}

static const struct key_handler top_handlers[] = {
	{ "version", handle_version, true },
	{ "services", handle_services, false },
	{ "policy", handle_policy, false },
};

/* ---- the document ------------------------------------------------------------------ */

static int parse_document(struct loader *l)
{
	int r;

	if (next(l) < 0 || l->ev.type != YAML_STREAM_START_EVENT)
		return -EINVAL;
	if (next(l) < 0)
		return -EINVAL;
	if (l->ev.type == YAML_STREAM_END_EVENT) {
		diag_add(l->diag, l->file, 0, 0, "empty inventory file (expected 'version: 1' and 'services:')");
		return 0;
	}
	/* DOCUMENT-START, then the top node. */
	if (next(l) < 0)
		return -EINVAL;
	if (l->ev.type == YAML_SCALAR_EVENT && scalar_is_plain(l) && l->ev.data.scalar.length == 0) {
		diag_add(l->diag, l->file, 0, 0, "empty inventory file (expected 'version: 1' and 'services:')");
		return 0;
	}
	r = parse_mapping(l, top_handlers, ARRAY_SIZE(top_handlers), NULL, "the inventory");
	if (r < 0)
		return r;
	if (next(l) < 0 || next(l) < 0) /* DOCUMENT-END, then STREAM-END or another document */
		return -EINVAL;
	if (l->ev.type == YAML_DOCUMENT_START_EVENT)
		err(l, l->ev.start_mark, "more than one YAML document in an inventory file");
	return 0;
}

int inventory_parse_buffer(struct inventory *inv, const char *file, const char *buf, size_t len,
			   const struct services *services, struct diag *diag)
{
	struct loader l = {
		.file = NULL, .buf = buf, .len = len, .diag = diag, .inv = inv,
		.services = services,
	};
	size_t errors = diag->total;
	char **sources;

	/* Messages and marks point at the file name for the inventory's lifetime. */
	sources = reallocarray(inv->sources, inv->n_sources + 1, sizeof(*sources));
	if (!sources)
		return -ENOMEM;
	inv->sources = sources;
	sources[inv->n_sources] = strdup(file);
	if (!sources[inv->n_sources])
		return -ENOMEM;
	l.file = sources[inv->n_sources++];

	if (len > INVENTORY_FILE_MAX) {
		diag_add(diag, l.file, 0, 0, "file is larger than %u bytes, too large for an inventory",
			 INVENTORY_FILE_MAX);
		return -EINVAL;
	}
	/*
	 * A UTF-8 byte-order mark, as some editors write, is allowed by YAML; with
	 * the encoding forced below libyaml would take it as content, so skip it.
	 */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
		l.buf = buf;
		l.len = len;
	}
	if (!yaml_parser_initialize(&l.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
	/* UTF-8 only: no byte-order guessing into UTF-16. */
	yaml_parser_set_encoding(&l.parser, YAML_UTF8_ENCODING);
	parse_document(&l);
	if (l.have_ev)
		yaml_event_delete(&l.ev);
	yaml_parser_delete(&l.parser);
	if (l.oom)
		return -ENOMEM;
	return diag->total > errors ? -EINVAL : 0;
}

/* ---- the rest of the API ----------------------------------------------------------- */

struct inventory *inventory_new(void)
{
	struct inventory *inv = calloc(1, sizeof(*inv));

	if (!inv)
		return NULL;
	inv->index = calloc(1, sizeof(*inv->index));
	if (!inv->index) {
		free(inv);
		return NULL;
	}
	inv->policy = (struct inventory_policy){
		.reserve = RESERVE_EPHEMERAL,
		.unlisted_listeners = LEVEL_WARNING,
		.min_ephemeral_ports = 16384,
	};
	return inv;
}

struct inventory *inventory_free(struct inventory *inv)
{
	if (!inv)
		return NULL;
	for (size_t i = 0; i < inv->n_services; i++)
		service_done(&inv->services[i]);
	free(inv->services);
	for (size_t i = 0; i < inv->n_sources; i++)
		free(inv->sources[i]);
	free(inv->sources);
	if (inv->index)
		free(inv->index->slots);
	free(inv->index);
	free(inv);
	return NULL;
}

void inventory_service_ports(const struct inventory_service *svc, enum proto p,
			     struct portset *ret)
{
	portset_clear(ret);
	for (size_t i = 0; i < svc->n_runs[p]; i++)
		portset_add_range(ret, svc->runs[p][i].lo, svc->runs[p][i].hi);
}

/* ---- emitting ---------------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, cap;
};

static int write_out(void *data, unsigned char *buffer, size_t size)
{
	struct out *o = data;

	if (o->len + size + 1 > o->cap) {
		size_t cap = (o->len + size + 1) * 2;
		char *n = realloc(o->buf, cap);
		if (!n)
			return 0;
		o->buf = n;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, buffer, size);
	o->len += size;
	o->buf[o->len] = '\0';
	return 1;
}

static bool emit_scalar(yaml_emitter_t *e, const char *s, bool plain_ok)
{
	yaml_event_t ev;

	/* Both implicit: the emitter may quote any value without adding a '!' tag. */
	return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
					    plain_ok ? YAML_ANY_SCALAR_STYLE
						     : YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	       yaml_emitter_emit(e, &ev);
}

static bool emit_start(yaml_emitter_t *e, bool mapping, bool flow)
{
	yaml_event_t ev;

	if (mapping)
		return yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							   flow ? YAML_FLOW_MAPPING_STYLE
								: YAML_BLOCK_MAPPING_STYLE) &&
		       yaml_emitter_emit(e, &ev);
	return yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						    flow ? YAML_FLOW_SEQUENCE_STYLE
							 : YAML_BLOCK_SEQUENCE_STYLE) &&
	       yaml_emitter_emit(e, &ev);
}

static bool emit_end(yaml_emitter_t *e, bool mapping)
{
	yaml_event_t ev;

	if (mapping)
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
}

static bool emit_service(yaml_emitter_t *e, const struct inventory_service *svc)
{
	char num[16];
	bool ok = emit_scalar(e, svc->name, true) && emit_start(e, true, false) &&
		  emit_scalar(e, "ports", true) && emit_start(e, false, true);

	for (size_t i = 0; ok && i < svc->n_items; i++) {
		const struct inventory_item *it = &svc->items[i];

		if (it->name)
			ok = emit_scalar(e, it->name, true);
		else {
			if (it->lo == it->hi)
				snprintf(num, sizeof(num), "%u", it->lo);
			else
				snprintf(num, sizeof(num), "%u-%u", it->lo, it->hi);
			ok = emit_scalar(e, num, it->lo == it->hi);
		}
	}
	ok = ok && emit_end(e, false);
	if (ok && (svc->protocols[PROTO_UDP] || !svc->protocols[PROTO_TCP])) {
		ok = emit_scalar(e, "protocol", true) && emit_start(e, false, true);
		for (enum proto p = 0; ok && p < _PROTO_MAX; p++)
			if (svc->protocols[p])
				ok = emit_scalar(e, proto_to_string(p), true);
		ok = ok && emit_end(e, false);
	}
	if (ok && !svc->reserve)
		ok = emit_scalar(e, "reserve", true) && emit_scalar(e, "false", true);
	if (ok && svc->unit)
		ok = emit_scalar(e, "unit", true) && emit_scalar(e, svc->unit, true);
	if (ok && svc->process)
		ok = emit_scalar(e, "process", true) && emit_scalar(e, svc->process, true);
	return ok && emit_end(e, true);
}

int inventory_to_yaml(const struct inventory *inv, char **ret, size_t *ret_len)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	struct out o = { 0 };
	char num[16];
	bool ok;

	if (!yaml_emitter_initialize(&e))
		return -ENOMEM;
	yaml_emitter_set_output(&e, write_out, &o);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&e, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&e, &ev) && emit_start(&e, true, false) &&
	     emit_scalar(&e, "version", true) && emit_scalar(&e, "1", true) &&
	     emit_scalar(&e, "services", true) && emit_start(&e, true, inv->n_services == 0);
	for (size_t i = 0; ok && i < inv->n_services; i++)
		ok = emit_service(&e, &inv->services[i]);
	snprintf(num, sizeof(num), "%u", inv->policy.min_ephemeral_ports);
	ok = ok && emit_end(&e, true) && emit_scalar(&e, "policy", true) &&
	     emit_start(&e, true, false) && emit_scalar(&e, "reserve", true) &&
	     emit_scalar(&e, inventory_reserve_to_string(inv->policy.reserve), true) &&
	     emit_scalar(&e, "unlisted_listeners", true) &&
	     emit_scalar(&e, inventory_level_to_string(inv->policy.unlisted_listeners), true) &&
	     emit_scalar(&e, "min_ephemeral_ports", true) && emit_scalar(&e, num, true) &&
	     emit_end(&e, true) && emit_end(&e, true) &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
	     yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok) {
		free(o.buf);
		return -ENOMEM;
	}
	*ret = o.buf;
	*ret_len = o.len;
	return 0;
}
