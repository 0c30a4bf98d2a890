/* The primal network simplex method for minimum-cost flow.
 *
 * The basis is a spanning tree rooted at an extra node joined to every node
 * by an artificial arc of a large cost (the "big M" start). The tree is kept
 * as parent pointers, the arc to the parent, each node's depth and a thread:
 * the nodes in depth-first order, so that a subtree is the run of the thread
 * that follows its root while the depth stays greater. Entering arcs are
 * found by block search (the most negative reduced cost among a block of
 * about sqrt(arcs) arcs, going round the arcs); leaving arcs follow the
 * strongly feasible rule (the last blocking arc of the cycle, in its
 * direction, from its apex), which rules out cycling. A pivot re-roots the
 * subtree that hangs from the leaving arc at the entering arc's end in it:
 * its thread is cut into the pieces along the path between the two, relinked
 * in the new order, and the depths and potentials of its nodes are shifted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/mcf.h"
#include "st/util.h"

enum { ST_LOWER = 1, ST_TREE = 0, ST_UPPER = -1 };   /* arc states; the sign orients reduced costs */
enum { UP = 1, DOWN = -1 };                          /* a tree arc points to the parent, or from it */

struct st_mcf {
	int n, m, cap_arcs;
	int *src, *dst;
	int64_t *cap, *cost, *flow;
	int64_t *supply;
	long pivots;
};

/* The working state of one solve. */
struct ns {
	struct st_mcf *g;
	int n, root, m_all, next_arc, block;
	int *parent, *pred, *thread, *rev, *depth, *seg, *mark, *stem, *pos, *end;
	int64_t *pi;
	signed char *dir, *state;
	int in_arc, join, u_in, v_in, u_out;
	int64_t delta;
};

struct st_mcf *
st_mcf_new(int n, size_t arcs_hint)
{
	struct st_mcf *m = st_xcalloc(1, sizeof(*m));

	m->n = n > 0 ? n : 0;
	m->supply = st_xcalloc((size_t)m->n + 1, sizeof(*m->supply));
	m->cap_arcs = arcs_hint > 0 && arcs_hint < INT32_MAX / 2 ? (int)arcs_hint : 16;
	m->src = st_xmalloc((size_t)m->cap_arcs * sizeof(*m->src));
	m->dst = st_xmalloc((size_t)m->cap_arcs * sizeof(*m->dst));
	m->cap = st_xmalloc((size_t)m->cap_arcs * sizeof(*m->cap));
	m->cost = st_xmalloc((size_t)m->cap_arcs * sizeof(*m->cost));
	return m;
}

void
st_mcf_free(struct st_mcf *m)
{
	if (m == NULL)
		return;
	free(m->src);
	free(m->dst);
	free(m->cap);
	free(m->cost);
	free(m->flow);
	free(m->supply);
	free(m);
}

int
st_mcf_nodes(const struct st_mcf *m)
{
	return m->n;
}

int
st_mcf_arcs(const struct st_mcf *m)
{
	return m->m;
}

long
st_mcf_pivots(const struct st_mcf *m)
{
	return m->pivots;
}

static void
grow(struct st_mcf *m, int want)
{
	size_t c;

	if (want <= m->cap_arcs)
		return;
	c = (size_t)m->cap_arcs * 2;
	if (c < (size_t)want)
		c = (size_t)want;
	m->src = st_xrealloc(m->src, c * sizeof(*m->src));
	m->dst = st_xrealloc(m->dst, c * sizeof(*m->dst));
	m->cap = st_xrealloc(m->cap, c * sizeof(*m->cap));
	m->cost = st_xrealloc(m->cost, c * sizeof(*m->cost));
	m->cap_arcs = (int)c;
}

int
st_mcf_add_arc(struct st_mcf *m, int from, int to, int64_t cap, int64_t cost)
{
	if (m->m == m->cap_arcs)
		grow(m, m->m + 1);
	m->src[m->m] = from;
	m->dst[m->m] = to;
	m->cap[m->m] = cap >= ST_MCF_INF ? ST_MCF_INF : cap;
	m->cost[m->m] = cost;
	return m->m++;
}

void
st_mcf_set_supply(struct st_mcf *m, int node, int64_t supply)
{
	if (node >= 0 && node < m->n)
		m->supply[node] = supply;
}

int64_t
st_mcf_flow(const struct st_mcf *m, int arc)
{
	return m->flow && arc >= 0 && arc < m->m ? m->flow[arc] : 0;
}

/* Costs above this (and potentials, reduced costs) could overflow 64 bits. */
#define COST_LIMIT ((int64_t)1 << 59)

static int64_t
abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Check the network and return the cost of the artificial arcs: more than
 * any simple path can cost, or -1 with err. A simple path leaves each node
 * at most once, and enters each at most once, so the sum over the nodes of
 * the dearest arc out of each (or into each) bounds it. */
static int64_t
check(const struct st_mcf *g, struct st_error *err)
{
	int64_t *out, *in, sum = 0, sout = 0, sin = 0, total = 0;
	int i;

	for (i = 0; i < g->n; i++) {
		if (abs64(g->supply[i]) >= ST_MCF_INF / 4)
			return st_error_set(err, ST_EXIT_DATA, "node %d has too large a supply", i);
		sum += g->supply[i];
		total += abs64(g->supply[i]);
	}
	if (sum != 0)
		return st_error_set(err, ST_EXIT_DATA, "the supplies add up to %lld, not 0",
		    (long long)sum);
	out = st_xcalloc((size_t)g->n + 1, sizeof(*out));
	in = st_xcalloc((size_t)g->n + 1, sizeof(*in));
	for (i = 0; i < g->m; i++) {
		int64_t c = abs64(g->cost[i]);

		if (g->src[i] < 0 || g->src[i] >= g->n || g->dst[i] < 0 || g->dst[i] >= g->n) {
			free(out);
			free(in);
			return st_error_set(err, ST_EXIT_DATA, "arc %d joins a node that does not exist",
			    i);
		}
		if (g->cap[i] < 0) {
			free(out);
			free(in);
			return st_error_set(err, ST_EXIT_DATA, "arc %d has a negative capacity", i);
		}
		if (c >= COST_LIMIT) {
			free(out);
			free(in);
			return st_error_set(err, ST_EXIT_DATA, "arc %d costs too much", i);
		}
		if (g->cap[i] < ST_MCF_INF && (total += g->cap[i]) >= ST_MCF_INF / 4) {
			free(out);
			free(in);
			return st_error_set(err, ST_EXIT_DATA, "the capacities are too large");
		}
		if (c > out[g->src[i]])
			out[g->src[i]] = c;
		if (c > in[g->dst[i]])
			in[g->dst[i]] = c;
	}
	for (i = 0; i < g->n; i++) {
		if (sout < COST_LIMIT)
			sout += out[i];
		if (sin < COST_LIMIT)
			sin += in[i];
	}
	free(out);
	free(in);
	if (sout >= COST_LIMIT && sin >= COST_LIMIT)
		return st_error_set(err, ST_EXIT_DATA, "the costs are too large to add up exactly");
	return (sout < sin ? sout : sin) + 1;
}

/* The entering arc: the most negative reduced cost in the first block of
 * arcs, from where the last search stopped, that has one; -1 if none has. */
static int
find_entering(struct ns *s)
{
	const struct st_mcf *g = s->g;
	const int *src = g->src, *dst = g->dst;
	const int64_t *cost = g->cost, *pi = s->pi;
	const signed char *state = s->state;
	int m = g->m, e, best = -1, cnt = s->block, pass;
	int64_t min = 0;

	for (pass = 0; pass < 2; pass++) {
		int from = pass == 0 ? s->next_arc : 0, to = pass == 0 ? m : s->next_arc;

		for (e = from; e < to; e++) {
			int64_t c = state[e] * (cost[e] + pi[src[e]] - pi[dst[e]]);

			if (c < min) {
				min = c;
				best = e;
			}
			if (--cnt == 0) {
				if (min < 0) {
					s->next_arc = e + 1 < m ? e + 1 : 0;
					s->in_arc = best;
					return best;
				}
				cnt = s->block;
			}
		}
	}
	s->in_arc = best;
	if (best >= 0)
		s->next_arc = 0;
	return best;
}

static int
find_join(const struct ns *s, int u, int v)
{
	while (u != v) {
		if (s->depth[u] > s->depth[v]) {
			u = s->parent[u];
		} else if (s->depth[u] < s->depth[v]) {
			v = s->parent[v];
		} else {
			u = s->parent[u];
			v = s->parent[v];
		}
	}
	return u;
}

/* Residual room on the tree arc above u, for flow going up (toward the root)
 * or down. */
static int64_t
room(const struct ns *s, int u, int up)
{
	int e = s->pred[u];
	int with = (s->dir[u] == UP) == up;   /* flow along the arc's direction? */

	if (!with)
		return s->g->flow[e];
	return s->g->cap[e] >= ST_MCF_INF ? ST_MCF_INF : s->g->cap[e] - s->g->flow[e];
}

/* Find the leaving arc; 0 if the cycle has no limit (unbounded). Sets
 * delta, u_out (-1: the entering arc itself leaves), u_in and v_in. */
static int
find_leaving(struct ns *s)
{
	const struct st_mcf *g = s->g;
	int e = s->in_arc, first, second, u;
	int64_t d;

	if (s->state[e] == ST_LOWER) {
		first = g->src[e];
		second = g->dst[e];
	} else {
		first = g->dst[e];
		second = g->src[e];
	}
	s->delta = g->cap[e];
	s->u_out = -1;
	/* Flow runs down from the apex to first, then up from second to the apex;
	 * ties go to the arc met last along that direction. */
	for (u = first; u != s->join; u = s->parent[u])
		if ((d = room(s, u, 0)) < s->delta) {
			s->delta = d;
			s->u_out = u;
			s->u_in = first;
			s->v_in = second;
		}
	for (u = second; u != s->join; u = s->parent[u])
		if ((d = room(s, u, 1)) <= s->delta) {
			s->delta = d;
			s->u_out = u;
			s->u_in = second;
			s->v_in = first;
		}
	return s->delta < ST_MCF_INF;
}

static void
change_flow(struct ns *s)
{
	struct st_mcf *g = s->g;
	int e = s->in_arc, u;

	if (s->delta > 0) {
		int64_t v = s->state[e] * s->delta;

		g->flow[e] += v;
		for (u = g->src[e]; u != s->join; u = s->parent[u])
			g->flow[s->pred[u]] -= s->dir[u] * v;
		for (u = g->dst[e]; u != s->join; u = s->parent[u])
			g->flow[s->pred[u]] += s->dir[u] * v;
	}
	if (s->u_out < 0) {
		s->state[e] = (signed char)-s->state[e];
	} else {
		int out = s->pred[s->u_out];

		s->state[e] = ST_TREE;
		s->state[out] = g->flow[out] == 0 ? ST_LOWER : ST_UPPER;
	}
}

/* Hang the subtree of u_out from v_in by the entering arc, re-rooted at u_in. */
static void
update_tree(struct ns *s)
{
	const struct st_mcf *g = s->g;
	int *seg = s->seg, *stem = s->stem, *pos = s->pos, *end = s->end;
	int u_out = s->u_out, u_in = s->u_in, v_in = s->v_in, e = s->in_arc;
	int len = 0, k = 0, i, j, x, before, after, prev, d0 = s->depth[u_out];
	int64_t sigma;

	/* The subtree, in thread order, and the stem from u_in up to u_out. */
	x = u_out;
	do {
		seg[len++] = x;
		x = s->thread[x];
	} while (s->depth[x] > d0);
	after = x;
	before = s->rev[u_out];
	for (x = u_in;; x = s->parent[x]) {
		s->mark[x] = k;
		stem[k++] = x;
		if (x == u_out)
			break;
	}
	for (j = 0; j < len; j++)
		if (s->mark[seg[j]] >= 0)
			pos[s->mark[seg[j]]] = j;
	/* Each stem node's old subtree ends where the depth falls back to its own. */
	j = pos[0] + 1;
	for (i = 0; i < k; i++) {
		s->mark[stem[i]] = -1;
		while (j < len && s->depth[seg[j]] > s->depth[stem[i]])
			j++;
		end[i] = j;
	}

	/* The shift of the potentials that makes the entering arc's reduced cost 0. */
	if (u_in == g->src[e])
		sigma = s->pi[g->dst[e]] - g->cost[e] - s->pi[u_in];
	else
		sigma = s->pi[g->src[e]] + g->cost[e] - s->pi[u_in];

	/* Cut the subtree out of the thread, then thread it in after v_in piece by
	 * piece: u_in's old subtree, then for each next stem node the nodes of its
	 * old subtree before and after the previous stem node's. Depths shift by a
	 * piece's new depth of its stem node less the old. */
	s->thread[before] = after;
	s->rev[after] = before;
	after = s->thread[v_in];
	prev = v_in;
	{
		int newd = s->depth[v_in] + 1, a, b, piece;

		for (i = 0; i < k; i++) {
			int shift = newd - s->depth[stem[i]];

			for (piece = 0; piece < 2; piece++) {
				if (i == 0) {
					if (piece)
						break;
					a = pos[0];
					b = end[0];
				} else if (piece == 0) {
					a = pos[i];
					b = pos[i - 1];
				} else {
					a = end[i - 1];
					b = end[i];
				}
				if (a >= b)
					continue;
				s->thread[prev] = seg[a];
				s->rev[seg[a]] = prev;
				prev = seg[b - 1];
				for (j = a; j < b; j++) {
					s->depth[seg[j]] += shift;
					s->pi[seg[j]] += sigma;
				}
			}
			newd++;
		}
	}
	s->thread[prev] = after;
	s->rev[after] = prev;

	/* Reverse the stem: each node's parent becomes the one below it. */
	for (i = k - 1; i > 0; i--) {
		s->parent[stem[i]] = stem[i - 1];
		s->pred[stem[i]] = s->pred[stem[i - 1]];
		s->dir[stem[i]] = (signed char)-s->dir[stem[i - 1]];
	}
	s->parent[u_in] = v_in;
	s->pred[u_in] = e;
	s->dir[u_in] = u_in == g->src[e] ? UP : DOWN;
}

/* Where each arc goes in the order the search scans: every skip-th place in
 * turn, so that a block holds arcs from all over the network rather than
 * from one corner of it (LEMON's "arc mixing"). */
static int *
mix_order(int m, int n)
{
	int *to = st_xmalloc(((size_t)m + 1) * sizeof(*to));
	int skip = n > 0 && m / n > 3 ? m / n : 3, i = 0, j = 0, k;

	for (k = 0; k < m; k++) {
		to[k] = i;
		if ((i += skip) >= m)
			i = ++j;
	}
	return to;
}

/* Put the arcs in the order to gives (back, when back). */
static void
permute(struct st_mcf *g, const int *to, int back)
{
	int64_t *t64 = st_xmalloc(((size_t)g->m + 1) * sizeof(*t64));
	int *t32 = (int *)t64, *ia[2], k, a;
	int64_t *la[3];

	ia[0] = g->src;
	ia[1] = g->dst;
	la[0] = g->cap;
	la[1] = g->cost;
	la[2] = g->flow;
	for (a = 0; a < 2; a++) {
		for (k = 0; k < g->m; k++)
			if (back)
				t32[k] = ia[a][to[k]];
			else
				t32[to[k]] = ia[a][k];
		memcpy(ia[a], t32, (size_t)g->m * sizeof(*t32));
	}
	for (a = 0; a < 3; a++) {
		for (k = 0; k < g->m; k++)
			if (back)
				t64[k] = la[a][to[k]];
			else
				t64[to[k]] = la[a][k];
		memcpy(la[a], t64, (size_t)g->m * sizeof(*t64));
	}
	free(t64);
}

static void
ns_free(struct ns *s)
{
	free(s->parent);
	free(s->pred);
	free(s->thread);
	free(s->rev);
	free(s->depth);
	free(s->seg);
	free(s->mark);
	free(s->stem);
	free(s->pos);
	free(s->end);
	free(s->pi);
	free(s->dir);
	free(s->state);
}

int
st_mcf_solve(struct st_mcf *g, int64_t *total, struct st_error *err)
{
	struct ns s = { 0 };
	int64_t art;
	__int128 sum = 0;
	int n = g->n, m = g->m, i, rc = 0, *order;
	size_t nn = (size_t)n + 1;

	g->pivots = 0;
	if ((art = check(g, err)) < 0)
		return -1;
	/* The artificial arcs follow the real ones: node i's is arc m + i. */
	grow(g, m + n);
	free(g->flow);
	g->flow = st_xcalloc((size_t)m + (size_t)n + 1, sizeof(*g->flow));
	order = mix_order(m, n);
	permute(g, order, 0);
	s.g = g;
	s.n = n;
	s.root = n;
	s.parent = st_xmalloc(nn * sizeof(int));
	s.pred = st_xmalloc(nn * sizeof(int));
	s.thread = st_xmalloc(nn * sizeof(int));
	s.rev = st_xmalloc(nn * sizeof(int));
	s.depth = st_xmalloc(nn * sizeof(int));
	s.seg = st_xmalloc(nn * sizeof(int));
	s.stem = st_xmalloc(nn * sizeof(int));
	s.pos = st_xmalloc(nn * sizeof(int));
	s.end = st_xmalloc(nn * sizeof(int));
	s.mark = st_xmalloc(nn * sizeof(int));
	s.pi = st_xmalloc(nn * sizeof(int64_t));
	s.dir = st_xmalloc(nn);
	s.state = st_xmalloc((size_t)m + (size_t)n + 1);
	memset(s.state, ST_LOWER, (size_t)m);
	/* Blocks of about sqrt(m) arcs, at least 10. */
	for (s.block = 10; (int64_t)s.block * s.block < m; s.block++)
		;

	/* The first tree: every node hangs from the root by its artificial arc,
	 * which carries its supply toward the root, or its demand from it. */
	s.parent[s.root] = -1;
	s.pred[s.root] = -1;
	s.depth[s.root] = 0;
	s.pi[s.root] = 0;
	s.thread[s.root] = n > 0 ? 0 : s.root;
	s.rev[s.root] = n > 0 ? n - 1 : s.root;
	for (i = 0; i < n; i++) {
		int a = m + i;

		s.parent[i] = s.root;
		s.pred[i] = a;
		s.depth[i] = 1;
		s.mark[i] = -1;
		s.thread[i] = i + 1 < n ? i + 1 : s.root;
		s.rev[i] = i > 0 ? i - 1 : s.root;
		g->cap[a] = ST_MCF_INF;
		g->cost[a] = art;
		s.state[a] = ST_TREE;
		if (g->supply[i] >= 0) {
			g->src[a] = i;
			g->dst[a] = s.root;
			g->flow[a] = g->supply[i];
			s.dir[i] = UP;
			s.pi[i] = -art;
		} else {
			g->src[a] = s.root;
			g->dst[a] = i;
			g->flow[a] = -g->supply[i];
			s.dir[i] = DOWN;
			s.pi[i] = art;
		}
	}
	s.mark[s.root] = -1;

	while (find_entering(&s) >= 0) {
		s.join = find_join(&s, g->src[s.in_arc], g->dst[s.in_arc]);
		if (!find_leaving(&s)) {
			rc = st_error_set(err, ST_EXIT_DATA, "the cost is unbounded: a cycle of "
			    "negative cost has no capacity limit");
			break;
		}
		change_flow(&s);
		if (s.u_out >= 0)
			update_tree(&s);
		g->pivots++;
	}
	for (i = 0; rc == 0 && i < n; i++)
		if (g->flow[m + i] != 0)
			rc = st_error_set(err, ST_EXIT_DATA, "no flow meets the supplies (node %d "
			    "cannot send or receive its share)", i);
	for (i = 0; rc == 0 && i < m; i++)
		sum += (__int128)g->flow[i] * g->cost[i];
	if (rc == 0 && (sum > INT64_MAX || sum < INT64_MIN))
		rc = st_error_set(err, ST_EXIT_DATA, "the total cost does not fit in 64 bits");
	if (rc == 0 && total)
		*total = (int64_t)sum;
	permute(g, order, 1);
	free(order);
	ns_free(&s);
	return rc;
}

int
st_mcf_write_dimacs(const struct st_mcf *g, FILE *fp)
{
	int64_t big = 0;
	int i;

	for (i = 0; i < g->n; i++)
		if (g->supply[i] > 0)
			big += g->supply[i];
	for (i = 0; i < g->m; i++)
		if (g->cap[i] < ST_MCF_INF)
			big += g->cap[i];
	fprintf(fp, "p min %d %d\n", g->n, g->m);
	for (i = 0; i < g->n; i++)
		if (g->supply[i] != 0)
			fprintf(fp, "n %d %lld\n", i + 1, (long long)g->supply[i]);
	for (i = 0; i < g->m; i++)
		fprintf(fp, "a %d %d 0 %lld %lld\n", g->src[i] + 1, g->dst[i] + 1,
		    (long long)(g->cap[i] < ST_MCF_INF ? g->cap[i] : big), (long long)g->cost[i]);
	return fflush(fp) != 0 || ferror(fp) ? -1 : 0;
}
