/* The influence map: the referral forest loaded into compact arrays, and what
 * is read from it in linear time (direct recruits, reach, active descendants,
 * depths), so that no query runs per contact. */
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/out.h"
#include "st/query.h"
#include "st/refmap.h"
#include "st/util.h"

/* Nodes are contacts with a referral edge, numbered 0..n-1 in the order first met. */
struct graph {
	size_t n, cap;
	long *id;                  /* node: contact id */
	int32_t *parent;           /* node: its referrer's node, or -1 */
	uint8_t *att;              /* node: attended a shift (loaded on request) */
	int32_t *slot;             /* contact id to node (-1: none): indexed by id when ids
	                              are dense (direct), else open addressing on a hash */
	size_t nslot;
	int direct;
	int32_t *first, *child;    /* children of v: child[first[v] .. first[v + 1]) */
	int32_t *order;            /* nodes reachable from a root, parents before children */
	size_t norder;
	int32_t *depth;            /* -1: in or below a loop */
};

static size_t
hash_id(long id, size_t mask)
{
	uint64_t x = (uint64_t)id;

	/* splitmix64's finalizer: sequential ids spread over the whole table. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x & mask;
}

/* The slot of contact id: where its node is, or where it would go. */
static size_t
slot_of(const struct graph *g, long id)
{
	size_t mask = g->nslot - 1, h;

	if (g->direct)
		return (size_t)id;
	for (h = hash_id(id, mask); g->slot[h] >= 0 && g->id[g->slot[h]] != id; h = (h + 1) & mask)
		;
	return h;
}

/* The node of contact id, or -1. */
static int32_t
node_find(const struct graph *g, long id)
{
	if (id < 0 || (g->direct && (size_t)id >= g->nslot))
		return -1;
	return g->slot[slot_of(g, id)];
}

static void
rehash(struct graph *g, size_t nslot)
{
	size_t i;

	free(g->slot);
	g->nslot = nslot;
	g->slot = st_xmalloc(nslot * sizeof(*g->slot));
	memset(g->slot, 0xff, nslot * sizeof(*g->slot));
	for (i = 0; i < g->n; i++)
		g->slot[slot_of(g, g->id[i])] = (int32_t)i;
}

/* The node of contact id, added if new. */
static int32_t
node(struct graph *g, long id)
{
	size_t h = slot_of(g, id);

	if (g->slot[h] >= 0)
		return g->slot[h];
	if (g->n == g->cap) {
		g->cap *= 2;
		g->id = st_xrealloc(g->id, g->cap * sizeof(*g->id));
		g->parent = st_xrealloc(g->parent, g->cap * sizeof(*g->parent));
		g->att = st_xrealloc(g->att, g->cap * sizeof(*g->att));
	}
	g->id[g->n] = id;
	g->parent[g->n] = -1;
	g->att[g->n] = 0;
	g->slot[h] = (int32_t)g->n;
	g->n++;
	if (!g->direct && g->n * 2 > g->nslot)
		rehash(g, g->nslot * 2);
	return (int32_t)(g->n - 1);
}

static void
graph_free(struct graph *g)
{
	free(g->id);
	free(g->parent);
	free(g->att);
	free(g->slot);
	free(g->first);
	free(g->child);
	free(g->order);
	free(g->depth);
	memset(g, 0, sizeof(*g));
}

/* Load every edge (with active, who attended a shift), then order the forest
 * from its roots. */
static int
graph_load(sqlite3 *db, int active, struct graph *g, struct st_error *err)
{
	sqlite3_stmt *st;
	long edges = 0, maxid = -1, minid = -1;
	size_t i, head, nslot = 1024;
	int32_t v, c;
	int rc, snapshot = 0;

	memset(g, 0, sizeof(*g));
	/* One snapshot for the counts and the edges (the map is sized by the counts). */
	if (sqlite3_get_autocommit(db)) {
		if (st_db_exec(db, "BEGIN", err) < 0)
			return -1;
		snapshot = 1;
	}
	if (st_db_scalarf(db, err, &edges, "SELECT count(*) FROM referrals", "") < 0 ||
	    st_db_scalarf(db, err, &maxid, "SELECT max((SELECT max(referred_id) FROM referrals), "
	    "(SELECT max(referrer_id) FROM referrals))", "") < 0 ||
	    st_db_scalarf(db, err, &minid, "SELECT min((SELECT min(referred_id) FROM referrals), "
	    "(SELECT min(referrer_id) FROM referrals))", "") < 0)
		goto fail;
	g->cap = (size_t)edges + 16;
	/* Contact ids are mostly dense: then an array indexed by id maps them to nodes. */
	g->direct = minid >= 0 && maxid >= 0 && maxid < 0x7fffffffL && (size_t)maxid < 8 * g->cap;
	if (g->direct)
		nslot = (size_t)maxid + 1;
	while (!g->direct && nslot < 4 * g->cap)
		nslot *= 2;
	g->id = st_xmalloc(g->cap * sizeof(*g->id));
	g->parent = st_xmalloc(g->cap * sizeof(*g->parent));
	g->att = st_xmalloc(g->cap * sizeof(*g->att));
	rehash(g, nslot);
	if ((st = st_db_prepare(db, "SELECT referred_id, referrer_id FROM referrals", err)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = node(g, (long)sqlite3_column_int64(st, 0));
		c = node(g, (long)sqlite3_column_int64(st, 1));
		g->parent[v] = c;
	}
	sqlite3_finalize(st);
	/* Who attended a shift: one pass over attendance, not a lookup per edge. */
	if (rc == SQLITE_DONE && active && (st = st_db_prepare(db, "SELECT DISTINCT contact_id FROM "
	    "attendance WHERE status = 'attended'", err)) != NULL) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if ((v = node_find(g, (long)sqlite3_column_int64(st, 0))) >= 0)
				g->att[v] = 1;
		sqlite3_finalize(st);
	} else if (active) {
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_DONE)
		st_error_db(err, db, "cannot read the referrals");
	if (snapshot)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	snapshot = 0;
	if (rc != SQLITE_DONE)
		goto fail;
	/* Children by a counting sort on the parent. */
	g->first = st_xcalloc(g->n + 2, sizeof(*g->first));
	g->child = st_xmalloc((g->n + 1) * sizeof(*g->child));
	for (i = 0; i < g->n; i++)
		if (g->parent[i] >= 0)
			g->first[g->parent[i] + 2]++;
	for (i = 2; i < g->n + 2; i++)
		g->first[i] += g->first[i - 1];
	for (i = 0; i < g->n; i++)
		if (g->parent[i] >= 0)
			g->child[g->first[g->parent[i] + 1]++] = (int32_t)i;
	/* Breadth first from the roots: depths, and an order with parents first. */
	g->order = st_xmalloc((g->n + 1) * sizeof(*g->order));
	g->depth = st_xmalloc((g->n + 1) * sizeof(*g->depth));
	for (i = 0; i < g->n; i++) {
		g->depth[i] = -1;
		if (g->parent[i] < 0) {
			g->order[g->norder++] = (int32_t)i;
			g->depth[i] = 0;
		}
	}
	for (head = 0; head < g->norder; head++) {
		v = g->order[head];
		for (c = g->first[v]; c < g->first[v + 1]; c++) {
			g->depth[g->child[c]] = g->depth[v] + 1;
			g->order[g->norder++] = g->child[c];
		}
	}
	return 0;
fail:
	if (snapshot)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	graph_free(g);
	return -1;
}

/* Per node: reach (all descendants) and active descendants, children before parents. */
static void
graph_sums(const struct graph *g, int32_t *reach, int32_t *active)
{
	size_t i;

	memset(reach, 0, g->n * sizeof(*reach));
	memset(active, 0, g->n * sizeof(*active));
	for (i = g->norder; i-- > 0;) {
		int32_t v = g->order[i], p = g->parent[v];

		if (p >= 0) {
			reach[p] += reach[v] + 1;
			active[p] += active[v] + g->att[v];
		}
	}
}

int
st_refmap_by_parse(const char *s)
{
	static const char *const names[] = { "direct", "reach", "active", "conversion" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* A contact's name and code, for output. */
struct names {
	sqlite3_stmt *st;
	const char *first, *last, *code;
};

static int
names_open(sqlite3 *db, struct names *nm, struct st_error *err)
{
	nm->st = st_db_prepare(db, "SELECT c.first_name, c.last_name, rc.code FROM contacts c "
	    "LEFT JOIN referral_codes rc ON rc.contact_id = c.id WHERE c.id = ?", err);
	return nm->st ? 0 : -1;
}

/* Look up contact id: 1, or 0 if there is no such contact (names NULL). */
static int
names_get(struct names *nm, long id)
{
	sqlite3_reset(nm->st);
	sqlite3_bind_int64(nm->st, 1, id);
	if (sqlite3_step(nm->st) != SQLITE_ROW) {
		nm->first = nm->last = nm->code = NULL;
		return 0;
	}
	nm->first = (const char *)sqlite3_column_text(nm->st, 0);
	nm->last = (const char *)sqlite3_column_text(nm->st, 1);
	nm->code = (const char *)sqlite3_column_text(nm->st, 2);
	return 1;
}

/* "First Last", or "" for no name, into buf. */
static const char *
full_name(const struct names *nm, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", nm->first ? nm->first : "", nm->first && nm->last ? " " : "",
	    nm->last ? nm->last : "");
	return buf;
}

static struct st_cell
text_cell(const char *s)
{
	return s ? (struct st_cell){ ST_TEXT, s, strlen(s) } : (struct st_cell){ ST_NULL, NULL, 0 };
}

/* A number cell whose text lives in buf. */
static struct st_cell
num_cell(enum st_type t, char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct st_cell
num_cell(enum st_type t, char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return (struct st_cell){ t, buf, (size_t)len };
}

struct cand {
	double key;
	int32_t reach, node;
	long id;
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->reach != y->reach)
		return x->reach > y->reach ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Add x to the k best kept in c[0..*n) (k 0: keep all): a heap with the worst
 * of them at its root, so that a million candidates cost O(n log k). */
static void
keep(struct cand *c, size_t *n, size_t k, const struct cand *x)
{
	size_t j, p;
	struct cand t;

	if (k == 0) {
		c[(*n)++] = *x;
		return;
	}
	if (*n < k) {
		c[*n] = *x;
		for (j = (*n)++; j > 0 && cand_cmp(&c[j], &c[(j - 1) / 2]) > 0; j = (j - 1) / 2)
			t = c[j], c[j] = c[(j - 1) / 2], c[(j - 1) / 2] = t;
		return;
	}
	if (cand_cmp(x, &c[0]) >= 0)
		return;
	c[0] = *x;
	for (p = 0; (j = 2 * p + 1) < k; p = j) {
		if (j + 1 < k && cand_cmp(&c[j + 1], &c[j]) > 0)
			j++;
		if (cand_cmp(&c[j], &c[p]) <= 0)
			break;
		t = c[p], c[p] = c[j], c[j] = t;
	}
}

/* The recruiters ranked: the map, its sums, and the best candidates in order. */
struct ranking {
	struct graph g;
	int32_t *reach, *active;
	struct cand *cand;
	size_t nc;
	long edges;
};

static void
ranking_free(struct ranking *r)
{
	free(r->cand);
	free(r->reach);
	free(r->active);
	graph_free(&r->g);
}

static int
rank(sqlite3 *db, enum st_refmap_by by, long limit, struct ranking *r, struct st_error *err)
{
	struct graph *g = &r->g;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (graph_load(db, 1, g, err) < 0)
		return -1;
	r->reach = st_xmalloc((g->n + 1) * sizeof(*r->reach));
	r->active = st_xmalloc((g->n + 1) * sizeof(*r->active));
	graph_sums(g, r->reach, r->active);
	if (limit < 0 || (size_t)limit >= g->n)
		limit = 0;
	r->cand = st_xmalloc(((limit ? (size_t)limit : g->n) + 1) * sizeof(*r->cand));
	for (i = 0; i < g->n; i++)
		r->edges += g->parent[i] >= 0;
	for (i = 0; i < g->norder; i++) {
		int32_t v = g->order[i], direct = g->first[v + 1] - g->first[v];
		struct cand x;

		if (direct == 0)
			continue;
		x.key = by == ST_BY_DIRECT ? direct : by == ST_BY_REACH ? r->reach[v] :
		    by == ST_BY_ACTIVE ? r->active[v] : (double)r->active[v] / r->reach[v];
		x.reach = r->reach[v];
		x.node = v;
		x.id = g->id[v];
		keep(r->cand, &r->nc, (size_t)limit, &x);
	}
	qsort(r->cand, r->nc, sizeof(*r->cand), cand_cmp);
	return 0;
}

int
st_refmap_top(sqlite3 *db, enum st_refmap_by by, long limit, struct st_out *out, long *nrows,
    struct st_error *err)
{
	static const char *const cols[] = { "id", "first_name", "last_name", "code", "direct",
		"reach", "active", "conversion", "depth" };
	struct ranking r;
	struct names nm = { 0 };
	size_t i;
	char buf[6][32];
	int rc = 0;

	*nrows = 0;
	if (rank(db, by, limit, &r, err) < 0)
		return -1;
	st_out_columns(out, sizeof(cols) / sizeof(cols[0]), cols);
	if (names_open(db, &nm, err) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < r.nc; i++) {
		int32_t v = r.cand[i].node;
		struct st_cell c[9];

		names_get(&nm, r.g.id[v]);
		c[0] = num_cell(ST_INT, buf[0], sizeof(buf[0]), "%ld", r.g.id[v]);
		c[1] = text_cell(nm.first);
		c[2] = text_cell(nm.last);
		c[3] = text_cell(nm.code);
		c[4] = num_cell(ST_INT, buf[1], sizeof(buf[1]), "%ld", (long)(r.g.first[v + 1] -
		    r.g.first[v]));
		c[5] = num_cell(ST_INT, buf[2], sizeof(buf[2]), "%ld", (long)r.reach[v]);
		c[6] = num_cell(ST_INT, buf[3], sizeof(buf[3]), "%ld", (long)r.active[v]);
		c[7] = num_cell(ST_REAL, buf[4], sizeof(buf[4]), "%.1f", 100.0 * r.active[v] /
		    r.reach[v]);
		c[8] = num_cell(ST_INT, buf[5], sizeof(buf[5]), "%ld", (long)r.g.depth[v]);
		if (st_out_row(out, c) < 0)
			rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output");
		else
			(*nrows)++;
	}
	sqlite3_finalize(nm.st);
	ranking_free(&r);
	return rc;
}

/* s with HTML's special characters escaped, at most max code points of it. */
static void
html_text(FILE *fp, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s; s++) {
		if ((*s & 0xc0) != 0x80 && n++ == max) {
			fputs("\xe2\x80\xa6", fp);   /* an ellipsis */
			return;
		}
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

int
st_refmap_chart(sqlite3 *db, enum st_refmap_by by, long limit, FILE *fp, long *nrows,
    struct st_error *err)
{
	static const char *const what[] = { "direct recruits", "reach", "active recruits",
		"conversion" };
	enum { LABEL = 240, BAR = 480, ROW = 26 };
	struct ranking r;
	struct names nm = { 0 };
	double max;
	size_t i;
	char name[400];

	*nrows = 0;
	if (rank(db, by, limit, &r, err) < 0)
		return -1;
	if (names_open(db, &nm, err) < 0) {
		ranking_free(&r);
		return -1;
	}
	max = r.nc && r.cand[0].key > 0 ? r.cand[0].key : 1;
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>Top recruiters by %s</title>\n<style>\nbody { font-family: system-ui, sans-serif; "
	    "margin: 2em; color: #222; }\nsvg text { font-size: 13px; }\n.bar { fill: #3b6ea8; }\n"
	    ".bar:hover { fill: #e07b39; }\n.value { fill: #555; }\n</style>\n</head>\n<body>\n"
	    "<h1>Top recruiters by %s</h1>\n<p>%zu recruiters shown; %ld referrals in all. Hover "
	    "over a bar for the details.</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%zu\" role=\"img\" aria-label=\"Top recruiters by %s\">\n", what[by], what[by],
	    r.nc, r.edges, LABEL + BAR + 80, r.nc * ROW + 8, what[by]);
	for (i = 0; i < r.nc; i++) {
		int32_t v = r.cand[i].node;
		long direct = (long)(r.g.first[v + 1] - r.g.first[v]);
		double conv = 100.0 * r.active[v] / r.reach[v];

		names_get(&nm, r.g.id[v]);
		full_name(&nm, name, sizeof(name));
		fprintf(fp, "<g transform=\"translate(0,%zu)\"><title>", i * ROW);
		html_text(fp, *name ? name : "(no name)", 200);
		fprintf(fp, " (contact %ld%s", r.g.id[v], nm.code ? ", code " : "");
		html_text(fp, nm.code, 20);
		fprintf(fp, "): %ld direct, reach %ld, %ld active, conversion %.1f%%, depth %ld"
		    "</title>\n<text x=\"%d\" y=\"17\" text-anchor=\"end\">", direct,
		    (long)r.reach[v], (long)r.active[v], conv, (long)r.g.depth[v], LABEL - 8);
		html_text(fp, *name ? name : "(no name)", 30);
		fprintf(fp, "</text><rect class=\"bar\" x=\"%d\" y=\"4\" width=\"%.1f\" "
		    "height=\"18\"/><text class=\"value\" x=\"%.1f\" y=\"17\">", LABEL,
		    r.cand[i].key / max * BAR, LABEL + r.cand[i].key / max * BAR + 6);
		if (by == ST_BY_CONVERSION)
			fprintf(fp, "%.1f%%", conv);
		else
			fprintf(fp, "%.0f", r.cand[i].key);
		fputs("</text></g>\n", fp);
		(*nrows)++;
	}
	fputs("</svg>\n</body>\n</html>\n", fp);
	sqlite3_finalize(nm.st);
	ranking_free(&r);
	return ferror(fp) ? st_error_set(err, ST_EXIT_FAIL, "cannot write output") : 0;
}

/* Open nm on contact: 0, or -1 and err (ST_EXIT_DATA when there is no such contact). */
static int
names_of(sqlite3 *db, struct names *nm, long contact, struct st_error *err)
{
	if (names_open(db, nm, err) < 0)
		return -1;
	if (names_get(nm, contact))
		return 0;
	sqlite3_finalize(nm->st);
	nm->st = NULL;
	return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
}

int
st_refmap_chain(sqlite3 *db, long contact, struct st_out *out, long *nrows,
    struct st_error *err)
{
	static const char *const cols[] = { "depth", "id", "first_name", "last_name", "code", "at",
		"via_page", "campaign" };
	struct names nm = { 0 };
	sqlite3_stmt *up = NULL;
	long *seen = NULL, cur = contact;
	size_t nseen = 0, i;
	char buf[2][32];
	int rc;

	*nrows = 0;
	if (names_of(db, &nm, contact, err) < 0)
		return -1;
	up = st_db_prepare(db, "SELECT referrer_id, at, via_page, campaign FROM referrals WHERE "
	    "referred_id = ?", err);
	rc = up ? 0 : -1;
	st_out_columns(out, sizeof(cols) / sizeof(cols[0]), cols);
	while (rc == 0 && cur) {
		struct st_cell c[8];
		long next = 0;
		int step;

		/* A loop made by hand ends the chain where it closes. */
		for (i = 0; i < nseen && seen[i] != cur; i++)
			;
		if (i < nseen)
			break;
		seen = st_xrealloc(seen, (nseen + 1) * sizeof(*seen));
		seen[nseen++] = cur;
		names_get(&nm, cur);
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, cur);
		step = sqlite3_step(up);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = st_error_db(err, db, "cannot read the referrals");
			break;
		}
		c[0] = num_cell(ST_INT, buf[0], sizeof(buf[0]), "%zu", nseen - 1);
		c[1] = num_cell(ST_INT, buf[1], sizeof(buf[1]), "%ld", cur);
		c[2] = text_cell(nm.first);
		c[3] = text_cell(nm.last);
		c[4] = text_cell(nm.code);
		for (i = 0; i < 3; i++)
			c[5 + i] = text_cell(step == SQLITE_ROW ? (const char *)sqlite3_column_text(up,
			    (int)i + 1) : NULL);
		if (step == SQLITE_ROW)
			next = (long)sqlite3_column_int64(up, 0);
		if (st_out_row(out, c) < 0)
			rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output");
		(*nrows)++;
		cur = next;
	}
	free(seen);
	sqlite3_finalize(up);
	sqlite3_finalize(nm.st);
	return rc;
}

static int
by_id(const void *a, const void *b, void *ids)
{
	long x = ((long *)ids)[*(const int32_t *)a], y = ((long *)ids)[*(const int32_t *)b];

	return (x > y) - (x < y);
}

int
st_refmap_tree(sqlite3 *db, long contact, int json, FILE *fp, long *nrows,
    struct st_error *err)
{
	struct graph g;
	struct names nm = { 0 };
	int32_t root, *stack = NULL, *cursor = NULL;
	json_t **kids = NULL, *top = NULL;
	uint8_t *seen = NULL;
	size_t sp = 0;
	char name[400];
	int rc = 0;

	*nrows = 0;
	if (names_of(db, &nm, contact, err) < 0)
		return -1;
	if (graph_load(db, 0, &g, err) < 0) {
		sqlite3_finalize(nm.st);
		return -1;
	}
	root = node_find(&g, contact);
	full_name(&nm, name, sizeof(name));
	if (json) {
		top = json_pack("{s:I,s:s,s:s?,s:[]}", "id", (json_int_t)contact, "name", name,
		    "code", nm.code, "children");
	} else {
		fprintf(fp, "%ld%s%s\n", contact, *name ? " " : "", name);
	}
	if (root >= 0) {
		/* Depth first, with each node's place in its children list on a stack. */
		stack = st_xmalloc((g.n + 1) * sizeof(*stack));
		cursor = st_xmalloc((g.n + 1) * sizeof(*cursor));
		kids = st_xmalloc((g.n + 1) * sizeof(*kids));
		seen = st_xcalloc(g.n + 1, 1);
		seen[root] = 1;
		stack[0] = root;
		cursor[0] = g.first[root];
		kids[0] = json ? json_object_get(top, "children") : NULL;
		sp = 1;
		while (sp > 0) {
			int32_t v = stack[sp - 1], c;

			if (cursor[sp - 1] == g.first[v]) {
				/* First visit: the children in order of id. */
				qsort_r(g.child + g.first[v], (size_t)(g.first[v + 1] - g.first[v]),
				    sizeof(*g.child), by_id, g.id);
			}
			if (cursor[sp - 1] == g.first[v + 1]) {
				sp--;
				continue;
			}
			c = g.child[cursor[sp - 1]++];
			if (seen[c])
				continue;
			seen[c] = 1;
			(*nrows)++;
			names_get(&nm, g.id[c]);
			full_name(&nm, name, sizeof(name));
			if (json) {
				json_t *o = json_pack("{s:I,s:s,s:s?,s:[]}", "id", (json_int_t)g.id[c],
				    "name", name, "code", nm.code, "children");

				json_array_append_new(kids[sp - 1], o);
				kids[sp] = json_object_get(o, "children");
			} else {
				fprintf(fp, "%*s%ld%s%s\n", (int)(2 * sp), "", g.id[c], *name ? " " : "",
				    name);
			}
			stack[sp] = c;
			cursor[sp] = g.first[c];
			sp++;
		}
	}
	if (json) {
		if (json_dumpf(top, fp, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
			rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output");
		fputc('\n', fp);
		json_decref(top);
	}
	if (ferror(fp))
		rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output");
	free(stack);
	free(cursor);
	free(kids);
	free(seen);
	sqlite3_finalize(nm.st);
	graph_free(&g);
	return rc;
}

static int
long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* The distinct contact ids of the id (or contact_id) column of fp, sorted. */
static int
read_ids(FILE *fp, const char *name, long **ids, size_t *n, struct st_error *err)
{
	struct st_csv_opts o = { 0 };
	struct st_csvin *in = st_csvin_open(fp, name, &o, err);
	struct st_csv_row *row;
	size_t cap = 1024, i, k;
	int col, rc;
	long v;

	*ids = NULL;
	*n = 0;
	if (in == NULL)
		return -1;
	col = st_column_find(st_csvin_names(in), st_csvin_ncols(in), "id|contact_id");
	if (col < 0) {
		st_csvin_close(in);
		return st_error_set(err, ST_EXIT_DATA, "no contact id column in '%s' (id or "
		    "contact_id)", name);
	}
	*ids = st_xmalloc(cap * sizeof(**ids));
	while ((rc = st_csvin_next(in, &row, err)) > 0) {
		if ((size_t)col >= row->n || st_parse_long(row->f[col], 1, 0x7fffffffffffffffL,
		    &v) < 0) {
			rc = st_error_set(err, ST_EXIT_DATA, "'%s' line %ld: invalid contact id "
			    "'%.60s'", name, row->line, (size_t)col < row->n ? row->f[col] : "");
			break;
		}
		if (*n == cap)
			*ids = st_xrealloc(*ids, (cap *= 2) * sizeof(**ids));
		(*ids)[(*n)++] = v;
	}
	st_csvin_close(in);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		return -1;
	}
	qsort(*ids, *n, sizeof(**ids), long_cmp);
	for (i = k = 0; i < *n; i++)
		if (k == 0 || (*ids)[k - 1] != (*ids)[i])
			(*ids)[k++] = (*ids)[i];
	*n = k;
	return 0;
}

static int
stat_row(struct st_out *out, const char *metric, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
stat_row(struct st_out *out, const char *metric, const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	struct st_cell c[2];
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c[0] = text_cell(metric);
	c[1] = (struct st_cell){ strchr(buf, '.') ? ST_REAL : ST_INT, buf, (size_t)len };
	return st_out_row(out, c);
}

int
st_refmap_stats(sqlite3 *db, FILE *population, const char *name, struct st_out *out,
    struct st_error *err)
{
	static const char *const cols[] = { "metric", "value" };
	struct graph g;
	long *ids = NULL, contacts = 0, referred = 0, recruiters = 0, roots = 0, loops = 0;
	long *bydepth, sum = 0;
	size_t i, npop = 0, maxd = 0;
	int rc = 0;

	if (population && read_ids(population, name, &ids, &npop, err) < 0)
		return -1;
	if (!population && st_db_scalarf(db, err, &contacts, "SELECT count(*) FROM contacts",
	    "") < 0)
		return -1;
	if (graph_load(db, 0, &g, err) < 0) {
		free(ids);
		return -1;
	}
	bydepth = st_xcalloc(g.n + 2, sizeof(*bydepth));
	for (i = 0; i < (population ? npop : g.n); i++) {
		int32_t v = population ? node_find(&g, ids[i]) : (int32_t)i;

		if (v < 0)
			continue;
		if (g.depth[v] < 0) {
			loops++;
			referred++;
			continue;
		}
		if (g.parent[v] >= 0) {
			referred++;
			bydepth[g.depth[v]]++;
			sum += g.depth[v];
			if ((size_t)g.depth[v] > maxd)
				maxd = (size_t)g.depth[v];
		} else {
			roots++;
		}
		recruiters += g.first[v + 1] > g.first[v];
	}
	if (population)
		contacts = (long)npop;
	st_out_columns(out, 2, cols);
	if (stat_row(out, "contacts", "%ld", contacts) < 0 ||
	    stat_row(out, "referred", "%ld", referred) < 0 ||
	    stat_row(out, "referred_pct", "%.1f", contacts ? 100.0 * referred / contacts : 0.0) < 0 ||
	    stat_row(out, "recruiters", "%ld", recruiters) < 0 ||
	    stat_row(out, "roots", "%ld", roots) < 0 ||
	    stat_row(out, "max_depth", "%zu", maxd) < 0 ||
	    stat_row(out, "mean_depth", "%.2f", referred > loops ? (double)sum /
	    (double)(referred - loops) : 0.0) < 0)
		rc = -1;
	for (i = 1; rc == 0 && i <= maxd; i++) {
		char metric[32];

		snprintf(metric, sizeof(metric), "depth_%zu", i);
		rc = stat_row(out, metric, "%ld", bydepth[i]);
	}
	if (rc == 0 && loops)
		rc = stat_row(out, "in_loops", "%ld", loops);
	if (rc < 0)
		st_error_set(err, ST_EXIT_FAIL, "cannot write output");
	free(bydepth);
	free(ids);
	graph_free(&g);
	return rc;
}

/* DOT wants '"' and '\' escaped in a quoted string; line breaks become spaces. */
static void
dot_quoted(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
	}
}

int
st_refmap_graph(sqlite3 *db, long root, enum st_graph_format f, FILE *fp, long *nedges,
    struct st_error *err)
{
	/* The edges: all of them, or those below root (UNION stops at a loop made by hand). */
	static const char all[] = "WITH e AS (SELECT * FROM referrals) ";
	static const char below[] = "WITH RECURSIVE sub(id) AS (SELECT CAST(?1 AS INTEGER) UNION "
	    "SELECT r.referred_id FROM referrals r JOIN sub ON r.referrer_id = sub.id), e AS "
	    "(SELECT * FROM referrals WHERE referred_id IN (SELECT id FROM sub) AND referred_id <> "
	    "CAST(?1 AS INTEGER)) ";
	struct st_buf sql = { 0 };
	sqlite3_stmt *st = NULL;
	char rootbuf[32];
	const char *params[1] = { rootbuf };
	long n = 0, nnodes = 0;
	int rc = -1, step;

	*nedges = 0;
	snprintf(rootbuf, sizeof(rootbuf), "%ld", root);
	if (root > 0) {
		struct names nm;

		if (names_of(db, &nm, root, err) < 0)
			return -1;
		sqlite3_finalize(nm.st);
	}
	st_buf_adds(&sql, root > 0 ? below : all);
	if (f == ST_GRAPH_CSV) {
		struct st_out *out = st_out_new(fp, ST_FMT_CSV, 1);

		st_buf_adds(&sql, "SELECT referrer_id AS referrer, referred_id AS referred, code, at, "
		    "via_page, campaign FROM e ORDER BY referred_id");
		rc = st_query_sql(db, sql.s, params, root > 0, out, nedges, err);
		if (st_out_close(out) < 0 && rc == 0)
			rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output");
		st_buf_free(&sql);
		return rc;
	}
	/* The nodes first, then the edges, in one statement ordered by kind then id. */
	st_buf_adds(&sql, "SELECT 0, c.id, c.first_name, c.last_name, rc.code, NULL, NULL FROM "
	    "contacts c LEFT JOIN referral_codes rc ON rc.contact_id = c.id WHERE c.id IN (SELECT "
	    "referrer_id FROM e UNION SELECT referred_id FROM e) UNION ALL SELECT 1, referrer_id, "
	    "referred_id, at, via_page, campaign, code FROM e ORDER BY 1, 2, 3");
	if ((st = st_db_prepare(db, sql.s, err)) == NULL)
		goto out;
	if (root > 0)
		sqlite3_bind_int64(st, 1, root);
	if (f == ST_GRAPH_DOT)
		fputs("digraph referrals {\n\trankdir=LR;\n\tnode [shape=box, style=rounded];\n", fp);
	else
		fputs("{\"directed\":true,\"multigraph\":false,\"graph\":{},\"nodes\":[", fp);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int edge = sqlite3_column_int(st, 0);
		long a = (long)sqlite3_column_int64(st, 1);
		const char *t[5];
		int i;

		for (i = 0; i < 5; i++)
			t[i] = (const char *)sqlite3_column_text(st, i + 2);
		if (f == ST_GRAPH_DOT && !edge) {
			fprintf(fp, "\tn%ld [label=\"", a);
			dot_quoted(fp, t[0]);
			fputs(t[0] && t[1] ? " " : "", fp);
			dot_quoted(fp, t[1]);
			fprintf(fp, "%s%ld%s%s\"];\n", t[0] || t[1] ? "\\n" : "", a, t[2] ? " " : "",
			    t[2] ? t[2] : "");
		} else if (f == ST_GRAPH_DOT) {
			fprintf(fp, "\tn%ld -> n%lld;\n", a, sqlite3_column_int64(st, 2));
			n++;
		} else {
			json_t *o;
			char label[400];

			if (!edge && nnodes++ > 0)
				fputc(',', fp);
			else if (edge)
				fputs(n == 0 ? "],\"links\":[" : ",", fp);
			if (!edge) {
				snprintf(label, sizeof(label), "%s%s%s", t[0] ? t[0] : "", t[0] && t[1] ?
				    " " : "", t[1] ? t[1] : "");
				o = json_pack("{s:I,s:s,s:s?}", "id", (json_int_t)a, "label", label,
				    "code", t[2]);
			} else {
				o = json_pack("{s:I,s:I,s:s?,s:s?,s:s?,s:s?}", "source", (json_int_t)a,
				    "target", (json_int_t)sqlite3_column_int64(st, 2), "code", t[4],
				    "at", t[1], "via_page", t[2], "campaign", t[3]);
				n++;
			}
			json_dumpf(o, fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(o);
		}
	}
	if (step != SQLITE_DONE) {
		st_error_db(err, db, "cannot read the referrals");
		goto out;
	}
	if (f == ST_GRAPH_DOT)
		fputs("}\n", fp);
	else
		fputs(n > 0 ? "]}\n" : "],\"links\":[]}\n", fp);
	*nedges = n;
	rc = ferror(fp) ? st_error_set(err, ST_EXIT_FAIL, "cannot write output") : 0;
out:
	sqlite3_finalize(st);
	st_buf_free(&sql);
	return rc;
}
