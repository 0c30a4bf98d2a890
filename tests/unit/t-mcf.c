/* The network simplex solver against an independent one: successive shortest
 * paths (Bellman-Ford) after saturating the arcs of negative cost, on random
 * networks; every flow is checked for capacities, conservation and cost. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/mcf.h"
#include "tap.h"

struct net {
	int n, m;
	int src[400], dst[400];
	int64_t cap[400], cost[400], supply[64];
};

static uint64_t rng = 88172645463325252ULL;

static long
rnd(long lo, long hi)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return lo + (long)(rng % (uint64_t)(hi - lo + 1));
}

/* The reference: 0 and *cost, or -1 when no flow meets the supplies. */
static int
reference(const struct net *g, int64_t *cost)
{
	/* Residual graph with a super source S and sink T: arcs 2i (forward) and
	 * 2i+1 (backward) for each arc, then the ones from S and to T. */
	enum { MAXA = 2 * (400 + 64) };
	int n = g->n + 2, S = g->n, T = g->n + 1, na = 0, i, it;
	int from[MAXA], to[MAXA], prev[66];
	int64_t res[MAXA], c[MAXA], excess[64], dist[66], total = 0, need = 0;

	memcpy(excess, g->supply, sizeof(excess));
	for (i = 0; i < g->m; i++) {
		int64_t f = g->cost[i] < 0 ? g->cap[i] : 0;   /* saturate negative arcs */

		total += f * g->cost[i];
		excess[g->src[i]] -= f;
		excess[g->dst[i]] += f;
		from[na] = g->src[i]; to[na] = g->dst[i]; res[na] = g->cap[i] - f; c[na++] = g->cost[i];
		from[na] = g->dst[i]; to[na] = g->src[i]; res[na] = f; c[na++] = -g->cost[i];
	}
	for (i = 0; i < g->n; i++) {
		if (excess[i] > 0) {
			from[na] = S; to[na] = i; res[na] = excess[i]; c[na++] = 0;
			from[na] = i; to[na] = S; res[na] = 0; c[na++] = 0;
			need += excess[i];
		} else if (excess[i] < 0) {
			from[na] = i; to[na] = T; res[na] = -excess[i]; c[na++] = 0;
			from[na] = T; to[na] = i; res[na] = 0; c[na++] = 0;
		}
	}
	while (need > 0) {
		int64_t push = need;
		int u;

		for (i = 0; i < n; i++) {
			dist[i] = INT64_MAX;
			prev[i] = -1;
		}
		dist[S] = 0;
		for (it = 0; it < n; it++)
			for (i = 0; i < na; i++)
				if (res[i] > 0 && dist[from[i]] != INT64_MAX &&
				    dist[from[i]] + c[i] < dist[to[i]]) {
					dist[to[i]] = dist[from[i]] + c[i];
					prev[to[i]] = i;
				}
		if (dist[T] == INT64_MAX)
			return -1;
		for (u = T; u != S; u = from[prev[u]])
			if (res[prev[u]] < push)
				push = res[prev[u]];
		for (u = T; u != S; u = from[prev[u]]) {
			res[prev[u]] -= push;
			res[prev[u] ^ 1] += push;
		}
		total += push * dist[T];
		need -= push;
	}
	*cost = total;
	return 0;
}

/* A random network: some arcs of negative cost, supplies that add up to 0. */
static void
random_net(struct net *g, int n, int m, int64_t maxcost)
{
	int i, k;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->m = m;
	for (i = 0; i < m; i++) {
		g->src[i] = (int)rnd(0, n - 1);
		do
			g->dst[i] = (int)rnd(0, n - 1);
		while (g->dst[i] == g->src[i]);
		g->cap[i] = rnd(0, 9);
		g->cost[i] = rnd(-maxcost / 4, maxcost);
	}
	for (k = rnd(1, n / 2 + 1); k > 0; k--) {
		int a = (int)rnd(0, n - 1), b = (int)rnd(0, n - 1);
		long v = rnd(1, 8);

		g->supply[a] += v;
		g->supply[b] -= v;
	}
}

static struct st_mcf *
build(const struct net *g)
{
	struct st_mcf *m = st_mcf_new(g->n, (size_t)g->m);
	int i;

	for (i = 0; i < g->m; i++)
		st_mcf_add_arc(m, g->src[i], g->dst[i], g->cap[i], g->cost[i]);
	for (i = 0; i < g->n; i++)
		st_mcf_set_supply(m, i, g->supply[i]);
	return m;
}

/* 1 if m's flow keeps capacities, meets supplies and costs *cost. */
static int
valid(const struct net *g, const struct st_mcf *m, int64_t cost)
{
	int64_t bal[64] = { 0 }, sum = 0;
	int i;

	for (i = 0; i < g->m; i++) {
		int64_t f = st_mcf_flow(m, i);

		if (f < 0 || f > g->cap[i])
			return 0;
		bal[g->src[i]] += f;
		bal[g->dst[i]] -= f;
		sum += f * g->cost[i];
	}
	for (i = 0; i < g->n; i++)
		if (bal[i] != g->supply[i])
			return 0;
	return sum == cost;
}

static void
test_random(void)
{
	int t, agree = 0, infeasible = 0, runs = 400, bad = 0;

	for (t = 0; t < runs; t++) {
		struct net g;
		struct st_error err = { 0 };
		struct st_mcf *m;
		int64_t want = 0, got = 0;
		int ref, rc;

		random_net(&g, (int)rnd(2, 14), (int)rnd(1, 50), t % 3 ? 20 : 1000000);
		ref = reference(&g, &want);
		m = build(&g);
		rc = st_mcf_solve(m, &got, &err);
		if (ref < 0 && rc < 0 && err.status == ST_EXIT_DATA && strstr(err.msg, "no flow")) {
			agree++;
			infeasible++;
		} else if (ref == 0 && rc == 0 && got == want && valid(&g, m, got)) {
			agree++;
		} else if (bad++ < 5) {
			diag("network %d: reference %d cost %lld, simplex %d cost %lld (%s)", t, ref,
			    (long long)want, rc, (long long)got, err.msg);
		}
		st_mcf_free(m);
	}
	is_int(agree, runs, "random small networks: the same optimum as the reference, or both infeasible");
	ok(infeasible > 10 && infeasible < runs - 100, "the random networks mix feasible and infeasible ones (%d infeasible)",
	    infeasible);
}

static void
test_larger(void)
{
	/* A transportation problem large enough for many pivots and deep trees. */
	int ns = 60, nt = 60, i, j, k = 0, same = 1;
	struct st_mcf *m = st_mcf_new(ns + nt, 0), *m2;
	struct st_error err = { 0 };
	int64_t c1 = 0, c2 = 0;

	for (i = 0; i < ns; i++)
		for (j = 0; j < nt; j++)
			if ((i * 7 + j * 13) % 5 != 0)
				st_mcf_add_arc(m, i, ns + j, rnd(1, 6), rnd(-50, 500));
	for (i = 0; i < ns; i++)
		st_mcf_set_supply(m, i, 3);
	for (j = 0; j < nt; j++)
		st_mcf_set_supply(m, ns + j, -3);
	ok(st_mcf_solve(m, &c1, &err) == 0, "a 60 x 60 transportation problem solves");
	ok(st_mcf_pivots(m) > 100, "with many pivots (%ld)", st_mcf_pivots(m));
	for (i = 0; i < ns; i++)
		for (j = 0; j < nt; j++)
			if ((i * 7 + j * 13) % 5 != 0)
				k++;
	{
		/* The same network again, through its DIMACS text, gives the same
		 * flow arc by arc. */
		char *buf = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&buf, &len);
		char *line, *save = NULL;

		ok(st_mcf_write_dimacs(m, fp) == 0, "DIMACS output");
		fclose(fp);
		ok(strncmp(buf, "p min 120 ", 10) == 0, "DIMACS problem line");
		m2 = st_mcf_new(ns + nt, 0);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			long long a, b, lo, cap, cost;

			if (sscanf(line, "a %lld %lld %lld %lld %lld", &a, &b, &lo, &cap, &cost) == 5)
				st_mcf_add_arc(m2, (int)a - 1, (int)b - 1, cap, cost);
			else if (sscanf(line, "n %lld %lld", &a, &b) == 2)
				st_mcf_set_supply(m2, (int)a - 1, b);
		}
		free(buf);
	}
	is_int(st_mcf_arcs(m2), k, "DIMACS has every arc");
	ok(st_mcf_solve(m2, &c2, &err) == 0 && c1 == c2, "the DIMACS copy has the same optimum");
	for (i = 0; i < st_mcf_arcs(m); i++)
		same &= st_mcf_flow(m, i) == st_mcf_flow(m2, i);
	ok(same, "and the same flow on every arc (deterministic)");
	st_mcf_free(m);
	st_mcf_free(m2);
}

static void
test_errors(void)
{
	struct st_error err = { 0 };
	struct st_mcf *m;
	int64_t c = 42;

	m = st_mcf_new(0, 0);
	ok(st_mcf_solve(m, &c, &err) == 0 && c == 0, "an empty network costs 0");
	st_mcf_free(m);

	m = st_mcf_new(2, 0);
	st_mcf_add_arc(m, 0, 1, -1, 5);
	ok(st_mcf_solve(m, &c, &err) < 0 && err.status == ST_EXIT_DATA &&
	    strstr(err.msg, "negative capacity"), "a negative capacity is refused");
	st_mcf_free(m);

	m = st_mcf_new(2, 0);
	st_mcf_add_arc(m, 0, 2, 1, 5);
	ok(st_mcf_solve(m, &c, &err) < 0 && strstr(err.msg, "does not exist"),
	    "an arc to a node that does not exist is refused");
	st_mcf_free(m);

	m = st_mcf_new(2, 0);
	st_mcf_add_arc(m, 0, 1, 5, 1);
	st_mcf_set_supply(m, 0, 3);
	ok(st_mcf_solve(m, &c, &err) < 0 && strstr(err.msg, "add up to 3"),
	    "supplies that do not balance are refused");
	st_mcf_set_supply(m, 1, -6);
	st_mcf_set_supply(m, 0, 6);
	ok(st_mcf_solve(m, &c, &err) < 0 && strstr(err.msg, "no flow"),
	    "more supply than capacity is infeasible");
	st_mcf_free(m);

	m = st_mcf_new(3, 0);
	st_mcf_add_arc(m, 0, 1, ST_MCF_INF, -1);
	st_mcf_add_arc(m, 1, 2, ST_MCF_INF, -1);
	st_mcf_add_arc(m, 2, 0, ST_MCF_INF, 1);
	ok(st_mcf_solve(m, &c, &err) < 0 && strstr(err.msg, "unbounded"),
	    "a negative cycle without a limit is unbounded");
	st_mcf_free(m);

	m = st_mcf_new(3, 0);
	st_mcf_add_arc(m, 0, 1, 4, -1);
	st_mcf_add_arc(m, 1, 2, 4, -1);
	st_mcf_add_arc(m, 2, 0, ST_MCF_INF, 1);
	ok(st_mcf_solve(m, &c, &err) == 0 && c == -4 && st_mcf_flow(m, 2) == 4,
	    "a negative cycle with a limit is used to its limit");
	st_mcf_free(m);

	m = st_mcf_new(2, 0);
	st_mcf_add_arc(m, 0, 1, 1, (int64_t)1 << 60);
	ok(st_mcf_solve(m, &c, &err) < 0 && strstr(err.msg, "costs too much"),
	    "a cost that could overflow is refused");
	st_mcf_free(m);

	m = st_mcf_new(2, 0);
	st_mcf_add_arc(m, 0, 1, ST_MCF_INF, 7);
	st_mcf_set_supply(m, 0, 1000000000000LL);
	st_mcf_set_supply(m, 1, -1000000000000LL);
	ok(st_mcf_solve(m, &c, &err) == 0 && c == 7000000000000LL, "large flows are exact");
	st_mcf_free(m);
}

int
main(void)
{
	test_errors();
	test_random();
	test_larger();
	return done_testing();
}
