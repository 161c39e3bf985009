/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "portaudit/finding.h"

/*
 * The ids and MESSAGE_IDs are an interface: never renumber, rename or reuse
 * one.  The MESSAGE_IDs were generated once, at random, as journal catalog
 * entries require (sd-id128(3)); conf/portaudit.catalog describes each.
 */
static const struct {
	const char *name;
	const char *message_id;
	enum severity severity;
} finding_table[_FINDING_ID_MAX] = {
	[FINDING_EPHEMERAL_OVERLAP] = { "ephemeral-overlap", "371a290d3e3e4ff0bcf63f0a2cd8f6ae",
					SEVERITY_ERROR },
	[FINDING_NOT_PERSISTENT] = { "not-persistent", "267c938ff9f5418f8498c590552d57da",
				     SEVERITY_WARNING },
	[FINDING_CONFIG_OVERRIDDEN] = { "config-overridden", "15d199cdc11743cd85b08ba4c7576c36",
					SEVERITY_ERROR },
	[FINDING_PORT_HELD] = { "port-held", "19fb5680f1e94416901c5c45a29fa1a8", SEVERITY_ERROR },
	[FINDING_SELF_CONNECT] = { "self-connect", "5190a44ad5b14403a8bb0bc64420ada1",
				   SEVERITY_ERROR },
	[FINDING_NOT_LISTENING] = { "not-listening", "a138056594a346ffb221ff9ef9ecb6f6",
				    SEVERITY_INFO },
	[FINDING_UNEXPECTED_OWNER] = { "unexpected-owner", "bba5b7406f8249aa9bf3823bf0edd10a",
				       SEVERITY_WARNING },
	[FINDING_UNLISTED_LISTENER] = { "unlisted-listener", "a20213bb7f4a4393a9a38ea7ac6436a4",
					SEVERITY_WARNING },
	[FINDING_EPHEMERAL_POOL_SMALL] = { "ephemeral-pool-small",
					   "d45cdf6f10b6437aa56fe704309e0545", SEVERITY_WARNING },
	[FINDING_RANGE_PARITY] = { "range-parity", "167594e52684482788ff6615386e5fa2",
				   SEVERITY_INFO },
};

static const char *const severity_table[_SEVERITY_MAX] = {
	[SEVERITY_INFO] = "info",
	[SEVERITY_WARNING] = "warning",
	[SEVERITY_ERROR] = "error",
};

const char *finding_id_to_string(enum finding_id id)
{
	return (unsigned)id < _FINDING_ID_MAX ? finding_table[id].name : NULL;
}

enum finding_id finding_id_from_string(const char *s)
{
	for (unsigned i = 0; s && i < _FINDING_ID_MAX; i++)
		if (strcmp(s, finding_table[i].name) == 0)
			return (enum finding_id)i;
	return _FINDING_ID_INVALID;
}

const char *finding_id_message_id(enum finding_id id)
{
	return (unsigned)id < _FINDING_ID_MAX ? finding_table[id].message_id : NULL;
}

enum severity finding_id_default_severity(enum finding_id id)
{
	return (unsigned)id < _FINDING_ID_MAX ? finding_table[id].severity : _SEVERITY_INVALID;
}

const char *severity_to_string(enum severity s)
{
	return (unsigned)s < _SEVERITY_MAX ? severity_table[s] : NULL;
}

enum severity severity_from_string(const char *s)
{
	for (unsigned i = 0; s && i < _SEVERITY_MAX; i++)
		if (strcmp(s, severity_table[i]) == 0)
			return (enum severity)i;
	return _SEVERITY_INVALID;
}

void finding_done(struct finding *f)
{
	for (size_t i = 0; i < f->n_evidence; i++) {
		free(f->evidence[i].text);
		free(f->evidence[i].value);
	}
	free(f->evidence);
	free(f->ports);
	free(f->message);
	free(f->remediation);
	*f = (struct finding){ 0 };
}

void findings_done(struct findings *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		finding_done(&fs->v[i]);
	free(fs->v);
	*fs = (struct findings){ 0 };
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return !a - !b; /* host-wide (NULL) findings after the services' */
	return strcmp(a, b);
}

static int finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int c;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	c = strcmp_null(x->service, y->service);
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->proto - y->proto;
}

void findings_sort(struct findings *fs)
{
	if (fs->n > 1)
		qsort(fs->v, fs->n, sizeof(*fs->v), finding_cmp);
	memset(fs->count, 0, sizeof(fs->count));
	for (size_t i = 0; i < fs->n; i++)
		if ((unsigned)fs->v[i].severity < _SEVERITY_MAX)
			fs->count[fs->v[i].severity]++;
}

bool findings_any_at_least(const struct findings *fs, enum severity s)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].severity >= s)
			return true;
	return false;
}
