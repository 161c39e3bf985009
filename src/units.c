/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "portaudit/services.h"
#include "portaudit/units.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_SOCKET "org.freedesktop.systemd1.Socket"
#define PRIVATE_ADDRESS "unix:path=/run/systemd/private"

static const char *const transport_names[_UNITS_TRANSPORT_MAX] = {
	[UNITS_NONE] = "none",
	[UNITS_BUS] = "bus",
	[UNITS_PRIVATE] = "private",
};

const char *units_transport_to_string(enum units_transport t)
{
	if ((unsigned)t >= _UNITS_TRANSPORT_MAX)
		return NULL;
	return transport_names[t];
}

/* Decimal port as systemd prints it with "%u": 1..65535, no sign, no leading zero. */
static int parse_port(const char *s, size_t len, uint16_t *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* An interface scope after '%': an index or a name, as sockaddr_pretty() prints it. */
static bool valid_scope(const char *s, size_t len)
{
	if (len == 0 || len >= 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127 ||
		    strchr(":/%[]", s[i]))
			return false;
	return true;
}

/*
 * "A.B.C.D:PORT" or "[V6]:PORT".  systemd's sockaddr_pretty() puts a link-local
 * scope after the port ("[fe80::1]:80%2"), older versions inside the brackets
 * ("[fe80::1%2]:80"); both are accepted and the scope is dropped.
 */
static int parse_inet(const char *a, struct unit_listen *l)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *end = a + strlen(a), *pct;
	size_t hlen;

	if (a[0] == '[') {
		const char *close = strchr(a, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - a - 1);
		pct = memchr(a + 1, '%', hlen);
		if (pct) {
			if (!valid_scope(pct + 1, (size_t)(close - pct - 1)))
				return -EINVAL;
			hlen = (size_t)(pct - a - 1);
		}
		if (hlen == 0 || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, a + 1, hlen);
		host[hlen] = '\0';
		port = close + 2;
		pct = strchr(port, '%');
		if (pct) {
			/* One scope, not two. */
			if (memchr(a + 1, '%', (size_t)(close - a - 1)) ||
			    !valid_scope(pct + 1, (size_t)(end - pct - 1)))
				return -EINVAL;
			end = pct;
		}
		if (inet_pton(AF_INET6, host, l->addr) != 1)
			return -EINVAL;
		l->family = AF_INET6;
	} else {
		const char *colon = strrchr(a, ':');

		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - a);
		if (hlen == 0 || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, a, hlen);
		host[hlen] = '\0';
		port = colon + 1;
		memset(l->addr, 0, sizeof(l->addr));
		/* glibc's inet_pton() takes only the strict dotted quad, as systemd prints it. */
		if (inet_pton(AF_INET, host, l->addr) != 1)
			return -EINVAL;
		l->family = AF_INET;
	}
	return parse_port(port, (size_t)(end - port), &l->port);
}

/* Types under which systemd prints a socket address (socket_port_type_to_string()). */
static bool socket_type(const char *type)
{
	return strcmp(type, "Stream") == 0 || strcmp(type, "Datagram") == 0 ||
	       strcmp(type, "SequentialPacket") == 0;
}

/*
 * Which addresses of a socket type are not IP: AF_UNIX paths and "@abstract" names,
 * "vsock:CID:PORT", and "<unnamed>".
 */
static bool non_inet_address(const char *a)
{
	return a[0] == '/' || a[0] == '@' || a[0] == '<' || strncmp(a, "vsock:", 6) == 0;
}

int units_parse_listen(const char *type, const char *address, struct unit_listen *ret)
{
	struct unit_listen l = { .proto = -1 };
	int r;

	if (!type || !address)
		return -EINVAL;
	if (socket_type(type) && !non_inet_address(address)) {
		r = parse_inet(address, &l);
		if (r < 0)
			return r;
		l.inet = true;
		if (strcmp(type, "Stream") == 0)
			l.proto = PROTO_TCP;
		else if (strcmp(type, "Datagram") == 0)
			l.proto = PROTO_UDP;
	}
	l.type = strdup(type);
	l.address = strdup(address);
	if (!l.type || !l.address) {
		units_listen_done(&l);
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

void units_listen_done(struct unit_listen *l)
{
	if (!l)
		return;
	free(l->type);
	free(l->address);
	l->type = l->address = NULL;
}

static void socket_unit_done(struct socket_unit *u)
{
	free(u->name);
	free(u->load_state);
	free(u->active_state);
	free(u->unit_file_state);
	free(u->bind_ipv6_only);
	free(u->fragment_path);
	for (size_t i = 0; i < u->n_listen; i++)
		units_listen_done(&u->listen[i]);
	free(u->listen);
	*u = (struct socket_unit){};
}

void units_done(struct units *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		socket_unit_done(&u->v[i]);
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/* A note; only running out of memory is an error (a full list just counts). */
_printf_(3, 4) static int note(struct diag *notes, const char *subject, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = diag_add(notes, subject, 0, 0, "%s", msg);
	return r == -ENOMEM ? r : 0;
}

/* The message of a failed call: the D-Bus error's text, else strerror. */
static const char *bus_error_text(const sd_bus_error *e, int r)
{
	if (e && e->message)
		return e->message;
	return strerror(r < 0 ? -r : r);
}

/*
 * Errors that say the connection itself is gone or stuck, so that reading on
 * through it is pointless; anything else fails one unit only.
 */
static bool connection_error(int r)
{
	return r == -ETIMEDOUT || r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE ||
	       r == -ECONNREFUSED || r == -ENOMEM;
}

/* The units being gathered, with each one's bus object path. */
struct gather {
	struct units u;
	char **path;
	size_t cap;
};

static void gather_done(struct gather *g)
{
	for (size_t i = 0; i < g->u.n; i++)
		free(g->path[i]);
	free(g->path);
	units_done(&g->u);
}

static ssize_t gather_find_name(const struct gather *g, const char *name)
{
	for (size_t i = 0; i < g->u.n; i++)
		if (strcmp(g->u.v[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static ssize_t gather_find_path(const struct gather *g, const char *path)
{
	for (size_t i = 0; i < g->u.n; i++)
		if (strcmp(g->path[i], path) == 0)
			return (ssize_t)i;
	return -1;
}

/* A new zeroed unit with its name and object path; NULL on ENOMEM. */
static struct socket_unit *gather_add(struct gather *g, const char *name, const char *path)
{
	struct socket_unit *u;

	if (g->u.n == g->cap) {
		size_t c = g->cap ? g->cap * 2 : 16;
		struct socket_unit *v = reallocarray(g->u.v, c, sizeof(*v));
		char **p;

		if (!v)
			return NULL;
		g->u.v = v;
		p = reallocarray(g->path, c, sizeof(*p));
		if (!p)
			return NULL;
		g->path = p;
		g->cap = c;
	}
	u = &g->u.v[g->u.n];
	*u = (struct socket_unit){ .name = strdup(name) };
	g->path[g->u.n] = strdup(path);
	if (!u->name || !g->path[g->u.n]) {
		free(u->name);
		free(g->path[g->u.n]);
		return NULL;
	}
	g->u.n++;
	return u;
}

/* Drop unit i (it could not be read). */
static void gather_remove(struct gather *g, size_t i)
{
	socket_unit_done(&g->u.v[i]);
	free(g->path[i]);
	memmove(&g->u.v[i], &g->u.v[i + 1], (g->u.n - i - 1) * sizeof(g->u.v[0]));
	memmove(&g->path[i], &g->path[i + 1], (g->u.n - i - 1) * sizeof(g->path[0]));
	g->u.n--;
}

/* ListUnitsByPatterns([], ["*.socket"]): the loaded socket units.  why: see read_over(). */
static int list_loaded(sd_bus *bus, struct gather *g, char *why, size_t why_size)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *id, *desc, *load, *active, *sub, *follow, *path, *jtype, *jpath;
	uint32_t jid;
	int r;

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ListUnitsByPatterns", &err,
			       &reply, "asas", 0, 1, "*.socket");
	if (r < 0) {
		snprintf(why, why_size, "ListUnitsByPatterns: %s", bus_error_text(&err, r));
		return r;
	}
	r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ssssssouso)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ssssssouso)", &id, &desc, &load, &active, &sub,
					&follow, &path, &jid, &jtype, &jpath)) > 0) {
		struct socket_unit *u;

		if (gather_find_path(g, path) >= 0)
			continue;
		u = gather_add(g, id, path);
		if (!u)
			return -ENOMEM;
		u->load_state = strdup(load);
		u->active_state = strdup(active);
		if (!u->load_state || !u->active_state)
			return -ENOMEM;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A template ("foo@.socket"): it has instances, not sockets of its own. */
static bool template_name(const char *name)
{
	const char *at = strchr(name, '@');

	return at && at[1] == '.';
}

/*
 * ListUnitFilesByPatterns([], ["*.socket"]): every socket unit file on disk.  Those
 * not loaded yet are loaded (LoadUnit), so that their Listen= can be read.
 */
static int list_files(sd_bus *bus, struct gather *g, struct diag *notes)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *file, *state;
	int r;

	r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ListUnitFilesByPatterns",
			       &err, &reply, "asas", 0, 1, "*.socket");
	if (r < 0) {
		if (connection_error(r))
			return r;
		return note(notes, "systemd",
			    "cannot list socket unit files: %s, reading loaded units only",
			    bus_error_text(&err, r));
	}
	r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ss)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ss)", &file, &state)) > 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error lerr = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *lreply = NULL;
		const char *name = base_name(file), *path;
		struct socket_unit *u;
		ssize_t i;

		if (template_name(name)) {
			r = note(notes, file,
				 "template socket unit, only its loaded instances are read, skipping");
			if (r < 0)
				return r;
			continue;
		}
		i = gather_find_name(g, name);
		if (i < 0) {
			r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &lerr,
					       &lreply, "s", name);
			if (r < 0 && connection_error(r))
				return r;
			if (r < 0) {
				r = note(notes, name, "cannot load unit: %s, skipping",
					 bus_error_text(&lerr, r));
				if (r < 0)
					return r;
				continue;
			}
			r = sd_bus_message_read(lreply, "o", &path);
			if (r < 0)
				return r;
			/* An alias file names a unit already listed under its own name. */
			if (gather_find_path(g, path) >= 0)
				continue;
			u = gather_add(g, name, path);
			if (!u)
				return -ENOMEM;
		} else
			u = &g->u.v[i];
		if (!u->unit_file_state) {
			u->unit_file_state = strdup(state);
			if (!u->unit_file_state)
				return -ENOMEM;
		}
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/* A string property into *ret (replacing it). */
static int get_string(sd_bus *bus, const char *path, const char *iface, const char *prop,
		      sd_bus_error *err, char **ret)
{
	char *s = NULL;
	int r;

	r = sd_bus_get_property_string(bus, SD_DEST, path, iface, prop, err, &s);
	if (r < 0)
		return r;
	free(*ret);
	*ret = s;
	return 0;
}

/* Listen a(ss) into u; an address that does not parse is noted and left out. */
static int get_listen(sd_bus *bus, const char *path, struct socket_unit *u, struct diag *notes,
		      sd_bus_error *err)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *type, *address;
	size_t cap = 0;
	int r;

	r = sd_bus_get_property(bus, SD_DEST, path, SD_SOCKET, "Listen", err, &reply, "a(ss)");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(ss)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(ss)", &type, &address)) > 0) {
		struct unit_listen l;

		r = units_parse_listen(type, address, &l);
		if (r == -EINVAL) {
			r = note(notes, u->name, "cannot parse %s address '%s', skipping", type,
				 address);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return r;
		if (u->n_listen == cap) {
			size_t c = cap ? cap * 2 : 4;
			struct unit_listen *v = reallocarray(u->listen, c, sizeof(*v));

			if (!v) {
				units_listen_done(&l);
				return -ENOMEM;
			}
			u->listen = v;
			cap = c;
		}
		u->listen[u->n_listen++] = l;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

/*
 * The properties of one unit.  Returns 0, 1 when the unit is to be dropped (noted),
 * or a negative errno when the connection failed.
 */
static int read_unit(sd_bus *bus, const char *path, struct socket_unit *u, struct diag *notes)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	const char *what;
	int r;

	/* ListUnitsByPatterns gave the states of a loaded unit; LoadUnit did not. */
	what = "LoadState";
	if (!u->load_state) {
		r = get_string(bus, path, SD_UNIT, "LoadState", &err, &u->load_state);
		if (r < 0)
			goto fail;
		what = "ActiveState";
		r = get_string(bus, path, SD_UNIT, "ActiveState", &err, &u->active_state);
		if (r < 0)
			goto fail;
	}
	/* loaded, not-found, masked are states to report; these mean a broken unit file. */
	if (strcmp(u->load_state, "error") == 0 || strcmp(u->load_state, "bad-setting") == 0) {
		r = note(notes, u->name, "unit failed to load (%s), skipping", u->load_state);
		return r < 0 ? r : 1;
	}
	what = "FragmentPath";
	r = get_string(bus, path, SD_UNIT, what, &err, &u->fragment_path);
	if (r < 0)
		goto fail;
	what = "BindIPv6Only";
	r = get_string(bus, path, SD_SOCKET, what, &err, &u->bind_ipv6_only);
	if (r < 0)
		goto fail;
	what = "Listen";
	r = get_listen(bus, path, u, notes, &err);
	if (r < 0)
		goto fail;
	return 0;

fail:
	if (connection_error(r))
		return r;
	r = note(notes, u->name, "cannot read property %s: %s, skipping", what,
		 bus_error_text(&err, r));
	return r < 0 ? r : 1;
}

static int cmp_unit(const void *a, const void *b)
{
	return strcmp(((const struct socket_unit *)a)->name, ((const struct socket_unit *)b)->name);
}

/* Connect over t.  why: see read_over(). */
static int bus_connect(enum units_transport t, sd_bus **ret, char *why, size_t why_size)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	if (t == UNITS_BUS)
		r = sd_bus_open_system(&bus);
	else {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, PRIVATE_ADDRESS);
		if (r >= 0)
			r = sd_bus_start(bus);
	}
	if (r >= 0)
		r = sd_bus_set_method_call_timeout(bus, UNITS_CALL_TIMEOUT_USEC);
	if (r < 0) {
		snprintf(why, why_size, "cannot connect: %s", strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(bus);
	return 0;
}

/*
 * Read every socket unit over t into *ret.  Returns 0, -ENOMEM, or another
 * negative errno when the transport proved unusable, with why (why_size bytes)
 * saying what failed.
 */
static int read_over(enum units_transport t, struct diag *notes, struct units *ret, char *why,
		     size_t why_size)
{
	static const char *const label[] = { [UNITS_BUS] = "system bus",
					     [UNITS_PRIVATE] = "/run/systemd/private" };
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(diag_done) struct diag local;
	struct gather g = {};
	char detail[384] = "";
	int r;

	/* Notes of an attempt that fails are dropped: the next transport makes its own. */
	diag_init(&local, notes->max);
	r = bus_connect(t, &bus, detail, sizeof(detail));
	if (r >= 0)
		r = list_loaded(bus, &g, detail, sizeof(detail));
	if (r >= 0)
		r = list_files(bus, &g, &local);
	for (size_t i = 0; r >= 0 && i < g.u.n;) {
		r = read_unit(bus, g.path[i], &g.u.v[i], &local);
		if (r == 1) {
			gather_remove(&g, i);
			r = 0;
		} else if (r == 0)
			i++;
	}
	if (r < 0) {
		snprintf(why, why_size, "%s: %s", label[t], detail[0] ? detail : strerror(-r));
		gather_done(&g);
		return r;
	}
	for (size_t i = 0; i < local.n; i++) {
		const struct diag_entry *e = &local.entries[i];

		r = diag_add(notes, e->file, e->line, e->column, "%s", e->message);
		if (r == -ENOMEM) {
			gather_done(&g);
			return r;
		}
	}
	if (g.u.n > 1)
		qsort(g.u.v, g.u.n, sizeof(g.u.v[0]), cmp_unit);
	for (size_t i = 0; i < g.u.n; i++)
		free(g.path[i]);
	free(g.path);
	*ret = g.u;
	ret->transport = t;
	return 0;
}

int units_read_transport(const struct root *r, enum units_transport t, struct diag *notes,
			 struct units *ret)
{
	char why[512];
	int e;

	if (!r->live) {
		e = note(notes, r->path, "socket units are not read under --root");
		if (e < 0)
			return e;
		*ret = (struct units){ .transport = UNITS_NONE };
		return 0;
	}
	if (t != UNITS_BUS && t != UNITS_PRIVATE) {
		*ret = (struct units){ .transport = UNITS_NONE };
		return 0;
	}
	e = read_over(t, notes, ret, why, sizeof(why));
	if (e == -ENOMEM)
		return e;
	if (e < 0) {
		e = note(notes, "systemd", "socket units not read: %s", why);
		if (e < 0)
			return e;
		*ret = (struct units){ .transport = UNITS_NONE };
	}
	return 0;
}

int units_read(const struct root *r, struct diag *notes, struct units *ret)
{
	char why_bus[512], why_private[512];
	int e;

	if (!r->live)
		return units_read_transport(r, UNITS_BUS, notes, ret);
	/*
	 * The system bus first.  Before sysinit.target there is none (dbus.socket has
	 * default dependencies), and only PID 1's private socket answers, to root only.
	 */
	e = read_over(UNITS_BUS, notes, ret, why_bus, sizeof(why_bus));
	if (e < 0 && e != -ENOMEM)
		e = read_over(UNITS_PRIVATE, notes, ret, why_private, sizeof(why_private));
	if (e == -ENOMEM)
		return e;
	if (e < 0) {
		e = note(notes, "systemd", "socket units not read: %s; %s", why_bus, why_private);
		if (e < 0)
			return e;
		*ret = (struct units){ .transport = UNITS_NONE };
	}
	return 0;
}
