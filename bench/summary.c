/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-summary: turn bench-runner's samples into the tables of
 * bench/RESULTS.md (bench/README.md).
 *
 *   bench-summary [-m] SAMPLES
 *
 * SAMPLES: bench-runner lines with the scenario in front,
 *   SCENARIO  LABEL  ROUND  WALL_US  USER_US  SYS_US  MAXRSS_KIB  STATUS
 * Default output: for each scenario, a Markdown table of every command (runs,
 * wall min/median/max, CPU median, peak RSS median and max, exit statuses)
 * and one of the ratios of each "portaudit*" command's medians to every other
 * command's.  -m: one line per command instead, for scripts:
 *   SCENARIO  LABEL  RUNS  WALL_MEDIAN_US  CPU_MEDIAN_US  RSS_MEDIAN_KIB  RSS_MAX_KIB
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct group {
	char scen[64], label[64];
	long long *wall, *cpu, *rss;
	size_t n, cap;
	unsigned statuses; /* bit s set: some run exited s (0..31) */
	bool odd_status;   /* some run exited 32 or more (a signal) */
};

struct stats {
	long long min, median, max;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-summary: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v in place; the median of an even count is the lower middle value. */
static struct stats stats(long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return (struct stats){ v[0], v[(n - 1) / 2], v[n - 1] };
}

static struct group *find(struct group **gs, size_t *n, const char *scen, const char *label)
{
	struct group *g;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*gs)[i].scen, scen) && !strcmp((*gs)[i].label, label))
			return &(*gs)[i];
	*gs = realloc(*gs, (*n + 1) * sizeof(**gs));
	if (!*gs)
		die("realloc");
	g = &(*gs)[(*n)++];
	memset(g, 0, sizeof(*g));
	snprintf(g->scen, sizeof(g->scen), "%s", scen);
	snprintf(g->label, sizeof(g->label), "%s", label);
	return g;
}

static void add(struct group *g, long long wall, long long cpu, long long rss, int status)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->wall = realloc(g->wall, g->cap * sizeof(long long));
		g->cpu = realloc(g->cpu, g->cap * sizeof(long long));
		g->rss = realloc(g->rss, g->cap * sizeof(long long));
		if (!g->wall || !g->cpu || !g->rss)
			die("realloc");
	}
	g->wall[g->n] = wall;
	g->cpu[g->n] = cpu;
	g->rss[g->n] = rss;
	g->n++;
	if (status >= 0 && status < 32)
		g->statuses |= 1u << status;
	else
		g->odd_status = true;
}

static void print_statuses(const struct group *g)
{
	const char *sep = "";

	for (int s = 0; s < 32; s++)
		if (g->statuses & (1u << s)) {
			printf("%s%d", sep, s);
			sep = ",";
		}
	if (g->odd_status)
		printf("%ssignal", sep);
}

static double ms(long long us)
{
	return (double)us / 1000.0;
}

static void table(struct group *gs, size_t n, const char *scen)
{
	printf("| command | runs | wall min | wall median | wall max | user+sys median | peak RSS median (max) | exit |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---|\n");
	for (size_t i = 0; i < n; i++) {
		struct group *g = &gs[i];
		struct stats w, c, r;

		if (strcmp(g->scen, scen))
			continue;
		w = stats(g->wall, g->n);
		c = stats(g->cpu, g->n);
		r = stats(g->rss, g->n);
		printf("| `%s` | %zu | %.2f ms | **%.2f ms** | %.2f ms | %.2f ms | %.1f MiB (%.1f) | ",
		       g->label, g->n, ms(w.min), ms(w.median), ms(w.max), ms(c.median),
		       (double)r.median / 1024.0, (double)r.max / 1024.0);
		print_statuses(g);
		printf(" |\n");
	}
}

static void ratios(struct group *gs, size_t n, const char *scen)
{
	bool header = false;

	for (size_t i = 0; i < n; i++) {
		struct group *p = &gs[i];
		struct stats pw, pc, pr;

		if (strcmp(p->scen, scen) || strncmp(p->label, "portaudit", 9))
			continue;
		pw = stats(p->wall, p->n);
		pc = stats(p->cpu, p->n);
		pr = stats(p->rss, p->n);
		for (size_t j = 0; j < n; j++) {
			struct group *o = &gs[j];
			struct stats ow, oc, or;

			if (strcmp(o->scen, scen) || !strncmp(o->label, "portaudit", 9))
				continue;
			if (!header) {
				printf("\n| ratio of medians | wall | user+sys | peak RSS |\n");
				printf("|---|---:|---:|---:|\n");
				header = true;
			}
			ow = stats(o->wall, o->n);
			oc = stats(o->cpu, o->n);
			or = stats(o->rss, o->n);
			printf("| `%s` / `%s` | %.3f | %.3f | %.3f |\n", p->label, o->label,
			       (double)pw.median / (double)ow.median,
			       oc.median ? (double)pc.median / (double)oc.median : 0.0,
			       (double)pr.median / (double)or.median);
		}
	}
}

int main(int argc, char **argv)
{
	bool machine = argc == 3 && !strcmp(argv[1], "-m");
	struct group *gs = NULL;
	size_t n = 0, len = 0;
	char *line = NULL;
	unsigned lineno = 0;
	FILE *f;

	if (argc != 2 && !machine) {
		fprintf(stderr, "usage: bench-summary [-m] SAMPLES\n");
		return 2;
	}
	f = fopen(argv[argc - 1], "re");
	if (!f)
		die(argv[argc - 1]);
	while (getline(&line, &len, f) > 0) {
		char scen[64], label[64];
		long long round, wall, user, sys, rss;
		int status;

		lineno++;
		if (sscanf(line, "%63s %63s %lld %lld %lld %lld %lld %d", scen, label, &round, &wall,
			   &user, &sys, &rss, &status) != 8) {
			fprintf(stderr, "bench-summary: %s:%u: not a sample line\n", argv[argc - 1],
				lineno);
			return 2;
		}
		add(find(&gs, &n, scen, label), wall, user + sys, rss, status);
	}
	free(line);
	fclose(f);

	for (size_t i = 0; i < n; i++) {
		bool first = true;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(gs[j].scen, gs[i].scen))
				first = false;
		if (machine) {
			struct stats w = stats(gs[i].wall, gs[i].n), c = stats(gs[i].cpu, gs[i].n),
				     r = stats(gs[i].rss, gs[i].n);

			printf("%s\t%s\t%zu\t%lld\t%lld\t%lld\t%lld\n", gs[i].scen, gs[i].label,
			       gs[i].n, w.median, c.median, r.median, r.max);
			continue;
		}
		if (!first)
			continue;
		printf("\n### %s\n\n", gs[i].scen);
		table(gs, n, gs[i].scen);
		ratios(gs, n, gs[i].scen);
	}
	return 0;
}
