/* The allocator: the instance, the flow network, the answers, the RSVPs.
 *
 * The network: a source sends one unit per volunteer who has somewhere to go,
 * to the volunteer's node; from there an arc (capacity 1) goes to each turf
 * shift the volunteer may take, costing the rank and travel, either directly
 * (turf preferences, and shifts named one by one) or through a group node
 * shared by the volunteers of one home square, neighbourhood or region, and
 * time slot (wider preferences with time windows, which would otherwise need
 * an arc to every turf of a borough per volunteer and slot); turf
 * shift -> turf carries the places left; turf -> sink is a bundle of parallel
 * arcs of capacity 1, the k-th costing minus the k-th volunteer's worth times
 * a scale larger than any sum of ranks and travel, so that cheaper ones fill
 * first (convex costs: diminishing returns); source -> sink takes everyone
 * left unassigned at no cost. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st/allocate.h"
#include "st/csvin.h"
#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/mcf.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/tz.h"
#include "st/util.h"

#define VALUE_SCALE 2520     /* lcm(1..10): the first ten shares are exact */
#define RANK_STEP 501        /* a rank is worth more than the longest travel */
#define TRAVEL_MAX 500       /* 50 km in units of 100 m */
#define ZONE_SCALE 50        /* home squares of 0.02 degree (about 2 km) */

enum { L_TURF, L_NBHD, L_REGION, L_ANY };
static const char *const level_names[] = { "turf", "neighbourhood", "region", "anywhere" };

/* A string -> index map (open addressing; keys owned). */
struct map {
	char **keys;
	int *vals;
	size_t cap, n;
};

static size_t
map_slot(const struct map *m, const char *k)
{
	size_t i = (size_t)st_hash(ST_HASH_INIT, k, strlen(k)) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], k) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
map_get(const struct map *m, const char *k)
{
	size_t i;

	if (m->cap == 0 || k == NULL)
		return -1;
	i = map_slot(m, k);
	return m->keys[i] ? m->vals[i] : -1;
}

/* The index of k, adding it as v if it is new. */
static int
map_put(struct map *m, const char *k, int v)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct map b = { 0 };
		size_t j;

		b.cap = m->cap ? m->cap * 2 : 64;
		b.keys = st_xcalloc(b.cap, sizeof(*b.keys));
		b.vals = st_xcalloc(b.cap, sizeof(*b.vals));
		for (j = 0; j < m->cap; j++)
			if (m->keys[j]) {
				size_t s = map_slot(&b, m->keys[j]);

				b.keys[s] = m->keys[j];
				b.vals[s] = m->vals[j];
			}
		b.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = b;
	}
	i = map_slot(m, k);
	if (m->keys[i])
		return m->vals[i];
	m->keys[i] = st_xstrdup(k);
	m->vals[i] = v;
	m->n++;
	return v;
}

static void
map_free(struct map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
}

/* Grow array *p of *cap elements of size sz to hold n. */
static void
reserve(void *p, int *cap, int n, size_t sz)
{
	void **pp = p;

	if (n <= *cap)
		return;
	*cap = *cap ? *cap * 2 : 8;
	if (*cap < n)
		*cap = n;
	*pp = st_xrealloc(*pp, (size_t)*cap * sz);
}

struct home {
	double lat, lon;
	int has_ll;
	char zip[6];
};

struct turf {
	char *key, *name, *nbhd, *region;
	struct home at;
	long priority;
	int nbhd_id, region_id;
	int *ts, nts, cts;
	long taken, assigned;
};

struct tshift {
	char *label;
	int turf, slot;
	long cap;               /* -1: no limit */
	long need;              /* -1: the capacity */
	int has_times;
	time_t starts, ends;
	long taken, used, shift_id;
	int node;
};

struct pref {
	int level;
	char *value, *where;    /* where: "file:line" for rows from files, else NULL */
	int rank;               /* 0: unranked */
	int target;             /* turf, neighbourhood or region id; -1 unknown */
};

struct avail {
	int window;
	char *label;
	time_t ws, we;
};

struct vol {
	char *key, *name;
	struct home at;
	struct pref *prefs;
	int nprefs, cprefs;
	struct avail *av;
	int nav, cav;
	long contact;
	int kept, prev;         /* tshift kept, or the allocator's before a rebalance; -1 */
	int ts, pref, travel;   /* the assignment: tshift, preference, travel; ts -1 */
	int node, c0, c1;       /* its node and candidates [c0, c1) */
	int unknown;            /* a preference names nothing known */
};

/* A candidate: an arc from a volunteer to a turf shift or a group. */
struct cand {
	int to;                 /* tshift, or -1 - group */
	int pref;
	int64_t cost;
	int arc;
};

struct group {
	int nbhd, id, slot, node, nvol;   /* a neighbourhood's, else a region's */
	struct home at;
	int a0, a1;             /* its arcs to turf shifts */
};

struct st_alloc {
	struct turf *turfs;
	int nturfs, cturfs;
	struct tshift *ts;
	int nts, cts;
	struct vol *vols;
	int nvols, cvols;
	struct map turf_map, ts_map, vol_map, nbhd_map, region_map, slot_map, group_map;
	int nnbhd, nregion, nslot;
	time_t *slot_starts, *slot_ends;
	int cslot;
	int *nbhd_first, *nbhd_turfs, *region_first, *region_turfs;   /* turfs by group */
	struct cand *cands;
	int ncands, ccands;
	struct group *groups;
	int ngroups, cgroups;
	struct st_mcf *net;
	int *arc_ts;            /* the turf shifts of the groups' arcs */
	int narc_ts, carc_ts, garc0;   /* garc0: the network's arc for arc_ts[0] */
	int64_t scale, cost;
	int solved, bound, rebalance;
	long pool;
};

struct st_alloc *
st_alloc_new(void)
{
	return st_xcalloc(1, sizeof(struct st_alloc));
}

void
st_alloc_free(struct st_alloc *a)
{
	int i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->nturfs; i++) {
		free(a->turfs[i].key);
		free(a->turfs[i].name);
		free(a->turfs[i].nbhd);
		free(a->turfs[i].region);
		free(a->turfs[i].ts);
	}
	for (i = 0; i < a->nts; i++)
		free(a->ts[i].label);
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		for (j = 0; j < v->nprefs; j++) {
			free(v->prefs[j].value);
			free(v->prefs[j].where);
		}
		for (j = 0; j < v->nav; j++)
			free(v->av[j].label);
		free(v->prefs);
		free(v->av);
		free(v->key);
		free(v->name);
	}
	free(a->turfs);
	free(a->ts);
	free(a->vols);
	map_free(&a->turf_map);
	map_free(&a->ts_map);
	map_free(&a->vol_map);
	map_free(&a->nbhd_map);
	map_free(&a->region_map);
	map_free(&a->slot_map);
	map_free(&a->group_map);
	free(a->slot_starts);
	free(a->slot_ends);
	free(a->nbhd_first);
	free(a->nbhd_turfs);
	free(a->region_first);
	free(a->region_turfs);
	free(a->cands);
	free(a->groups);
	free(a->arc_ts);
	st_mcf_free(a->net);
	free(a);
}

/* The value of field name (or its other spelling alt) in a row; NULL when
 * missing or empty. */
static const char *
field(size_t n, const char *const *names, const char *const *values, const char *name,
    const char *alt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && (strcmp(names[i], name) == 0 || (alt && strcmp(names[i], alt) == 0)))
			return values[i] && *values[i] ? values[i] : NULL;
	return NULL;
}

static int
bad(struct st_error *err, const char *where, const char *what, const char *value)
{
	return st_error_set(err, ST_EXIT_DATA, "%s%sinvalid %s '%s'", where ? where : "",
	    where ? ": " : "", what, value);
}

static int
parse_num(const char *s, long min, long max, long *out, const char *where, const char *what,
    struct st_error *err)
{
	if (s && st_parse_long(s, min, max, out) < 0)
		return bad(err, where, what, s);
	return 0;
}

static int
parse_coord(const char *s, double lim, double *out, const char *where, const char *what,
    struct st_error *err)
{
	char *end;

	if (s == NULL)
		return 0;
	*out = strtod(s, &end);
	if (end == s || *end || !(*out >= -lim && *out <= lim))
		return bad(err, where, what, s);
	return 0;
}

/* A home or a turf's place: lat and lon go together; the ZIP is normalized. */
static int
parse_home(size_t n, const char *const *names, const char *const *values, struct home *h,
    const char *where, struct st_error *err)
{
	const char *lat = field(n, names, values, "lat", "latitude");
	const char *lon = field(n, names, values, "lon", "longitude");
	const char *zip = field(n, names, values, "zip", NULL);

	memset(h, 0, sizeof(*h));
	if ((lat == NULL) != (lon == NULL))
		return st_error_set(err, ST_EXIT_DATA, "%s%slat and lon go together",
		    where ? where : "", where ? ": " : "");
	if (parse_coord(lat, 90, &h->lat, where, "latitude", err) < 0 ||
	    parse_coord(lon, 180, &h->lon, where, "longitude", err) < 0)
		return -1;
	h->has_ll = lat != NULL;
	if (zip && st_zip_normalize(zip, strlen(zip), h->zip) < 0)
		return bad(err, where, "ZIP code", zip);
	return 0;
}

struct turf_row {
	const char *key, *name, *nbhd, *region, *shift;
	struct home at;
	long priority, cap, need, taken;
	int has_times;
	time_t starts, ends;
};

static int
parse_turf_row(size_t n, const char *const *names, const char *const *values,
    const char *where, struct turf_row *r, struct st_error *err)
{
	const char *s, *e;

	memset(r, 0, sizeof(*r));
	r->priority = r->cap = r->need = -1;
	r->key = field(n, names, values, "turf", NULL);
	r->name = field(n, names, values, "name", NULL);
	r->nbhd = field(n, names, values, "neighbourhood", "neighborhood");
	r->region = field(n, names, values, "region", "borough");
	r->shift = field(n, names, values, "shift", NULL);
	if (r->key == NULL)
		return st_error_set(err, ST_EXIT_DATA, "%s%sa turf row needs a turf", where ? where :
		    "", where ? ": " : "");
	if (parse_num(field(n, names, values, "priority", NULL), 0, 1000, &r->priority, where,
	    "priority (0 to 1000)", err) < 0 ||
	    parse_num(field(n, names, values, "capacity", NULL), 0, 1000000, &r->cap, where,
	    "capacity", err) < 0 ||
	    parse_num(field(n, names, values, "need", NULL), 0, 1000000, &r->need, where, "need",
	    err) < 0 ||
	    parse_num(field(n, names, values, "taken", NULL), 0, 1000000, &r->taken, where,
	    "taken", err) < 0 ||
	    parse_home(n, names, values, &r->at, where, err) < 0)
		return -1;
	if (r->taken < 0)
		r->taken = 0;
	s = field(n, names, values, "starts", NULL);
	e = field(n, names, values, "ends", NULL);
	if ((s || e) && r->shift == NULL)
		return st_error_set(err, ST_EXIT_DATA, "%s%sstarts and ends belong to a shift",
		    where ? where : "", where ? ": " : "");
	if ((s == NULL) != (e == NULL))
		return st_error_set(err, ST_EXIT_DATA, "%s%sstarts and ends go together",
		    where ? where : "", where ? ": " : "");
	if (s) {
		if (st_time_parse(s, "UTC", &r->starts, err) < 0 ||
		    st_time_parse(e, "UTC", &r->ends, err) < 0 || r->ends <= r->starts)
			return bad(err, where, "shift times", s);
		r->has_times = 1;
	}
	return 0;
}

struct vol_row {
	const char *key, *name, *avail, *value;
	struct home at;
	int level, has_home;
	long rank;
};

static int
parse_pref(const char *s, int *level, const char **value)
{
	size_t i;

	*value = NULL;
	if (strcmp(s, "anywhere") == 0) {
		*level = L_ANY;
		return 0;
	}
	for (i = 0; i < 3; i++) {
		size_t len = strlen(level_names[i]);

		if (strncmp(s, level_names[i], len) == 0 && s[len] == ':' && s[len + 1]) {
			*level = (int)i;
			*value = s + len + 1;
			return 0;
		}
	}
	if (strncmp(s, "neighborhood:", 13) == 0 && s[13]) {
		*level = L_NBHD;
		*value = s + 13;
		return 0;
	}
	if (strncmp(s, "borough:", 8) == 0 && s[8]) {
		*level = L_REGION;
		*value = s + 8;
		return 0;
	}
	return -1;
}

static int
parse_vol_row(size_t n, const char *const *names, const char *const *values, const char *where,
    struct vol_row *r, struct st_error *err)
{
	const char *p;

	memset(r, 0, sizeof(*r));
	r->level = -1;
	r->rank = -1;
	r->key = field(n, names, values, "volunteer", NULL);
	r->name = field(n, names, values, "name", NULL);
	r->avail = field(n, names, values, "available", NULL);
	if (r->key == NULL)
		return st_error_set(err, ST_EXIT_DATA, "%s%sa volunteer row needs a volunteer",
		    where ? where : "", where ? ": " : "");
	p = field(n, names, values, "pref", NULL);
	if (p && parse_pref(p, &r->level, &r->value) < 0)
		return st_error_set(err, ST_EXIT_DATA, "%s%sinvalid preference '%s' (turf:KEY, "
		    "neighbourhood:NAME, region:NAME or anywhere)", where ? where : "",
		    where ? ": " : "", p);
	if (parse_num(field(n, names, values, "rank", NULL), 1, 100, &r->rank, where,
	    "rank (1 to 100)", err) < 0 || parse_home(n, names, values, &r->at, where, err) < 0)
		return -1;
	if (r->rank > 0 && p == NULL)
		return st_error_set(err, ST_EXIT_DATA, "%s%sa rank needs a preference",
		    where ? where : "", where ? ": " : "");
	r->has_home = r->at.has_ll || r->at.zip[0];
	return 0;
}

/* Parse an availability item: a window "START/END", or a shift label. */
static int
parse_avail(const char *s, struct avail *av, const char *where, struct st_error *err)
{
	const char *slash = strchr(s, '/');

	memset(av, 0, sizeof(*av));
	if (slash == NULL) {
		av->label = st_xstrdup(s);
		return 0;
	}
	{
		char *a = st_xstrndup(s, (size_t)(slash - s));
		int rc = st_time_parse(a, "UTC", &av->ws, err) < 0 ||
		    st_time_parse(slash + 1, "UTC", &av->we, err) < 0 || av->we <= av->ws ? -1 : 0;

		free(a);
		if (rc < 0)
			return bad(err, where, "time window", s);
	}
	av->window = 1;
	return 0;
}

static void
set_text(char **dst, const char *v)
{
	if (v) {
		free(*dst);
		*dst = st_xstrdup(v);
	}
}

static void
set_home(struct home *dst, const struct home *src)
{
	if (src->has_ll) {
		dst->lat = src->lat;
		dst->lon = src->lon;
		dst->has_ll = 1;
	}
	if (src->zip[0])
		memcpy(dst->zip, src->zip, sizeof(dst->zip));
}

int
st_alloc_add_turf(struct st_alloc *a, size_t n, const char *const *names,
    const char *const *values, const char *where, struct st_error *err)
{
	struct turf_row r;
	struct turf *t;
	int ti;

	if (parse_turf_row(n, names, values, where, &r, err) < 0)
		return -1;
	ti = map_put(&a->turf_map, r.key, a->nturfs);
	if (ti == a->nturfs) {
		reserve(&a->turfs, &a->cturfs, a->nturfs + 1, sizeof(*a->turfs));
		t = &a->turfs[a->nturfs++];
		memset(t, 0, sizeof(*t));
		t->key = st_xstrdup(r.key);
		t->priority = 1;
	}
	t = &a->turfs[ti];
	set_text(&t->name, r.name);
	set_text(&t->nbhd, r.nbhd);
	set_text(&t->region, r.region);
	set_home(&t->at, &r.at);
	if (r.priority >= 0)
		t->priority = r.priority;
	if (r.shift) {
		struct tshift *s;
		int si = map_put(&a->ts_map, r.shift, a->nts);

		if (si != a->nts)
			return st_error_set(err, ST_EXIT_DATA, "%s%sshift '%s' is on two rows",
			    where ? where : "", where ? ": " : "", r.shift);
		reserve(&a->ts, &a->cts, a->nts + 1, sizeof(*a->ts));
		s = &a->ts[a->nts++];
		memset(s, 0, sizeof(*s));
		s->label = st_xstrdup(r.shift);
		s->turf = ti;
		s->cap = r.cap;
		s->need = r.need;
		s->taken = r.taken;
		s->has_times = r.has_times;
		s->starts = r.starts;
		s->ends = r.ends;
		reserve(&t->ts, &t->cts, t->nts + 1, sizeof(*t->ts));
		t->ts[t->nts++] = si;
	} else if (r.cap >= 0 || r.need >= 0) {
		return st_error_set(err, ST_EXIT_DATA, "%s%scapacity and need belong to a shift",
		    where ? where : "", where ? ": " : "");
	}
	a->solved = 0;
	return 0;
}

int
st_alloc_add_volunteer(struct st_alloc *a, size_t n, const char *const *names,
    const char *const *values, const char *where, struct st_error *err)
{
	struct vol_row r;
	struct vol *v;
	int vi, i;

	if (parse_vol_row(n, names, values, where, &r, err) < 0)
		return -1;
	vi = map_put(&a->vol_map, r.key, a->nvols);
	if (vi == a->nvols) {
		reserve(&a->vols, &a->cvols, a->nvols + 1, sizeof(*a->vols));
		v = &a->vols[a->nvols++];
		memset(v, 0, sizeof(*v));
		v->key = st_xstrdup(r.key);
		v->kept = v->prev = v->ts = -1;
	}
	v = &a->vols[vi];
	set_text(&v->name, r.name);
	set_home(&v->at, &r.at);
	if (r.level >= 0) {
		struct pref *p;

		for (i = 0; i < v->nprefs; i++)
			if (v->prefs[i].level == r.level && (r.value == NULL ||
			    strcmp(v->prefs[i].value, r.value) == 0))
				break;
		if (i == v->nprefs) {
			reserve(&v->prefs, &v->cprefs, v->nprefs + 1, sizeof(*v->prefs));
			p = &v->prefs[v->nprefs++];
			memset(p, 0, sizeof(*p));
			p->level = r.level;
			p->value = r.value ? st_xstrdup(r.value) : NULL;
			p->where = where ? st_xstrdup(where) : NULL;
		}
		v->prefs[i].rank = r.rank > 0 ? (int)r.rank : 0;
	}
	if (r.avail) {
		char **items = st_split_list(r.avail);

		for (i = 0; items[i]; i++) {
			reserve(&v->av, &v->cav, v->nav + 1, sizeof(*v->av));
			if (parse_avail(items[i], &v->av[v->nav], where, err) < 0) {
				st_strv_free(items);
				return -1;
			}
			v->nav++;
		}
		st_strv_free(items);
	}
	a->solved = 0;
	return 0;
}

typedef int (*add_fn)(struct st_alloc *, size_t, const char *const *, const char *const *,
    const char *, struct st_error *);

static int
read_rows(struct st_alloc *a, FILE *fp, const char *name, const char *key, add_fn add,
    struct st_error *err)
{
	struct st_csv_opts o = { 0 };
	struct st_csvin *r = st_csvin_open(fp, name, &o, err);
	struct st_csv_row *row;
	const char *const *names;
	long rows = 0;
	size_t i, ncols;
	int rc;

	if (r == NULL)
		return -1;
	names = st_csvin_names(r);
	ncols = st_csvin_ncols(r);
	for (i = 0; i < ncols && strcmp(names[i], key) != 0; i++)
		;
	if (i == ncols) {
		st_csvin_close(r);
		return st_error_set(err, ST_EXIT_DATA, "%s: no %s column", name, key);
	}
	while ((rc = st_csvin_next(r, &row, err)) > 0) {
		char where[512];

		snprintf(where, sizeof(where), "%s:%ld", name, row->line);
		if (row->problem != ST_ROW_OK) {
			st_error_set(err, ST_EXIT_DATA, "%s: %s", where, row->problem_msg ?
			    row->problem_msg : "bad row");
			rc = -1;
			break;
		}
		if (row->n != ncols) {
			st_error_set(err, ST_EXIT_DATA, "%s: %zu fields, not %zu", where, row->n,
			    ncols);
			rc = -1;
			break;
		}
		if ((rc = add(a, ncols, names, (const char *const *)row->f, where, err)) < 0)
			break;
		rows++;
	}
	st_csvin_close(r);
	if (rc < 0)
		return -1;
	if (rows == 0)
		return st_error_set(err, ST_EXIT_DATA, "%s: no %ss", name, key);
	return 0;
}

int
st_alloc_read_turfs(struct st_alloc *a, FILE *fp, const char *name, struct st_error *err)
{
	return read_rows(a, fp, name, "turf", st_alloc_add_turf, err);
}

int
st_alloc_read_volunteers(struct st_alloc *a, FILE *fp, const char *name, struct st_error *err)
{
	return read_rows(a, fp, name, "volunteer", st_alloc_add_volunteer, err);
}

/* Add the rows of statement st (columns named as the fields) with add. */
static int
rows_from(struct st_alloc *a, sqlite3 *db, sqlite3_stmt *st, add_fn add, long *nrows,
    struct st_error *err)
{
	int n = sqlite3_column_count(st), i, rc;
	const char **names = st_xcalloc((size_t)n, sizeof(*names));
	const char **vals = st_xcalloc((size_t)n, sizeof(*vals));

	*nrows = 0;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if (add(a, (size_t)n, names, vals, NULL, err) < 0)
			break;
		(*nrows)++;
	}
	free(names);
	free(vals);
	if (rc == SQLITE_ROW)
		return -1;
	if (rc != SQLITE_DONE)
		return st_error_db(err, db, "cannot read the allocation inputs");
	return 0;
}

int
st_alloc_load_db(struct st_alloc *a, sqlite3 *db, int rebalance, struct st_error *err)
{
	char now[21];
	sqlite3_stmt *st;
	long n;
	int rc;

	st_now_iso(now);
	/* Turfs with their upcoming open shifts (a turf without any still counts). */
	st = st_db_prepare(db, "SELECT t.key AS turf, t.name, t.neighbourhood, t.region, "
	    "t.priority, t.latitude AS lat, t.longitude AS lon, t.zip, x.shift_id AS shift, "
	    "x.capacity, x.need FROM turfs t LEFT JOIN (SELECT ts.turf_id, ts.shift_id, "
	    "ts.capacity, ts.need, s.starts_at FROM turf_shifts ts JOIN shifts s ON s.id = "
	    "ts.shift_id AND s.status = 'active' AND s.starts_at > ?1 JOIN events e ON e.id = "
	    "s.event_id AND e.status = 'active') x ON x.turf_id = t.id "
	    "ORDER BY t.id, x.starts_at, x.shift_id", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	rc = rows_from(a, db, st, st_alloc_add_turf, &n, err);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (n == 0)
		return st_error_set(err, ST_EXIT_DATA, "no turfs in the database");
	/* Each volunteer: home first, then preferences by rank, then availability. */
	st = st_db_prepare(db, "SELECT volunteer, name, pref, rank, available, lat, lon, zip FROM ("
	    "SELECT c.id AS volunteer, 0 AS k, 0 AS r, trim(coalesce(c.first_name, '') || ' ' || "
	    "coalesce(c.last_name, '')) AS name, NULL AS pref, NULL AS rank, NULL AS available, "
	    "v.latitude AS lat, v.longitude AS lon, c.zip FROM contacts c LEFT JOIN volunteers v "
	    "ON v.contact_id = c.id WHERE c.id IN (SELECT contact_id FROM volunteer_prefs UNION "
	    "SELECT contact_id FROM volunteer_availability) "
	    "UNION ALL SELECT contact_id, 1, rowid, NULL, level || coalesce(':' || value, ''), "
	    "rank, NULL, NULL, NULL, NULL FROM volunteer_prefs "
	    "UNION ALL SELECT contact_id, 2, rowid, NULL, NULL, NULL, coalesce(shift_id, "
	    "starts_at || '/' || ends_at), NULL, NULL, NULL FROM volunteer_availability) "
	    "ORDER BY volunteer, k, rank IS NULL, rank, r", err);
	if (st == NULL)
		return -1;
	rc = rows_from(a, db, st, st_alloc_add_volunteer, &n, err);
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (n == 0)
		return st_error_set(err, ST_EXIT_DATA, "no volunteers in the database (no "
		    "availability or preferences)");
	return st_alloc_bind(a, db, rebalance, err);
}

int
st_alloc_bind(struct st_alloc *a, sqlite3 *db, int rebalance, struct st_error *err)
{
	struct map contacts = { 0 };
	sqlite3_stmt *st = NULL;
	int i, rc = 0;

	for (i = 0; i < a->nts && rc == 0; i++) {
		struct tshift *s = &a->ts[i];
		long cap = -1;
		int has_cap;

		if (st_parse_long(s->label, 1, 0x7fffffffL, &s->shift_id) < 0)
			return st_error_set(err, ST_EXIT_DATA, "shift '%s' of turf '%s' is not a "
			    "shift id", s->label, a->turfs[s->turf].key);
		if (st_shift_open(db, s->shift_id, err) < 0)
			return -1;
		if ((has_cap = st_db_scalarf(db, err, &cap, "SELECT capacity FROM shifts WHERE id = ?",
		    "i", s->shift_id)) < 0)
			return -1;
		if (has_cap && (s->cap < 0 || cap < s->cap))
			s->cap = cap;
		if (st_db_scalarf(db, err, &s->taken, "SELECT count(*) FROM rsvps WHERE shift_id = ?1 "
		    "AND status = 'yes' AND NOT (?2 AND source IS 'allocator')", "ii", s->shift_id,
		    (long)rebalance) < 0)
			return -1;
		st = st_db_prepare(db, "SELECT starts_at, ends_at FROM shifts WHERE id = ?", err);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, s->shift_id);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    st_time_from_utc((const char *)sqlite3_column_text(st, 0), &s->starts) == 0 &&
		    st_time_from_utc((const char *)sqlite3_column_text(st, 1), &s->ends) == 0)
			s->has_times = 1;
		sqlite3_finalize(st);
	}
	st = st_db_prepare(db, "SELECT shift_id, source IS 'allocator' FROM rsvps WHERE contact_id = ? "
	    "AND status = 'yes' ORDER BY id", err);
	if (st == NULL)
		return -1;
	for (i = 0; i < a->nvols && rc == 0; i++) {
		struct vol *v = &a->vols[i];
		char id[24];
		int r;

		if ((rc = st_contact_resolve(db, v->key, &v->contact, err)) < 0)
			break;
		snprintf(id, sizeof(id), "%ld", v->contact);
		if (map_put(&contacts, id, i) != i) {
			rc = st_error_set(err, ST_EXIT_DATA, "volunteers '%s' and '%s' are the same "
			    "contact", a->vols[map_get(&contacts, id)].key, v->key);
			break;
		}
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, v->contact);
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			char sid[24];
			int ts;

			snprintf(sid, sizeof(sid), "%lld", sqlite3_column_int64(st, 0));
			if ((ts = map_get(&a->ts_map, sid)) < 0)
				continue;
			if (rebalance && sqlite3_column_int(st, 1)) {
				if (v->prev < 0)
					v->prev = ts;
			} else if (v->kept < 0) {
				v->kept = ts;
			}
		}
		if (r != SQLITE_DONE)
			rc = st_error_db(err, db, "cannot read RSVPs");
	}
	sqlite3_finalize(st);
	map_free(&contacts);
	if (rc < 0)
		return -1;
	a->bound = 1;
	a->rebalance = rebalance;
	a->solved = 0;
	return 0;
}

/* Travel in units of 100 m, at most TRAVEL_MAX: by coordinates when both
 * have them (on an equirectangular projection, close enough within a city),
 * else none within a ZIP code; unknown is TRAVEL_MAX, and a volunteer with
 * no home goes anywhere at no cost. */
static int
travel(const struct home *from, const struct home *to)
{
	if (from->has_ll && to->has_ll) {
		double rad = M_PI / 180, x, y, km;

		x = (to->lon - from->lon) * rad * cos((from->lat + to->lat) / 2 * rad);
		y = (to->lat - from->lat) * rad;
		km = 6371.0 * sqrt(x * x + y * y);
		return km * 10 >= TRAVEL_MAX ? TRAVEL_MAX : (int)floor(km * 10 + 0.5);
	}
	if (from->zip[0] && to->zip[0] && strcmp(from->zip, to->zip) == 0)
		return 0;
	return from->has_ll || from->zip[0] ? TRAVEL_MAX : 0;
}

/* The home square of a home, and its key. */
static void
zone_of(const struct home *h, struct home *z, char *key, size_t size)
{
	memset(z, 0, sizeof(*z));
	if (h->has_ll) {
		long la = (long)floor(h->lat * ZONE_SCALE + 0.5), lo = (long)floor(h->lon * ZONE_SCALE + 0.5);

		z->lat = (double)la / ZONE_SCALE;
		z->lon = (double)lo / ZONE_SCALE;
		z->has_ll = 1;
		snprintf(key, size, "%ld:%ld", la, lo);
	} else if (h->zip[0]) {
		memcpy(z->zip, h->zip, sizeof(z->zip));
		snprintf(key, size, "z%s", h->zip);
	} else {
		snprintf(key, size, "-");
	}
}

static int
group_id(struct map *m, const char *name)
{
	return map_put(m, name ? name : "", (int)m->n);
}

/* The turfs of each of ngroups neighbourhoods (region: regions), as
 * (*list)[(*first)[g] .. (*first)[g + 1]). */
static void
members(const struct st_alloc *a, int ngroups, int region, int **first, int **list)
{
	int i, *at;

	free(*first);
	free(*list);
	*first = st_xcalloc((size_t)ngroups + 2, sizeof(int));
	*list = st_xmalloc(((size_t)a->nturfs + 1) * sizeof(int));
	for (i = 0; i < a->nturfs; i++) {
		int gid = region ? a->turfs[i].region_id : a->turfs[i].nbhd_id;

		if (gid >= 0)
			(*first)[gid + 1]++;
	}
	for (i = 0; i < ngroups; i++)
		(*first)[i + 1] += (*first)[i];
	at = st_xmalloc(((size_t)ngroups + 1) * sizeof(int));
	memcpy(at, *first, ((size_t)ngroups + 1) * sizeof(int));
	for (i = 0; i < a->nturfs; i++) {
		int gid = region ? a->turfs[i].region_id : a->turfs[i].nbhd_id;

		if (gid >= 0)
			(*list)[at[gid]++] = i;
	}
	free(at);
}

/* Give turfs their neighbourhood and region ids, shifts their time slots,
 * and preferences their targets; a preference naming nothing known is an
 * error when it came from a file. */
static int
prepare(struct st_alloc *a, struct st_error *err)
{
	int i, j;

	map_free(&a->nbhd_map);
	map_free(&a->region_map);
	map_free(&a->slot_map);
	memset(&a->nbhd_map, 0, sizeof(a->nbhd_map));
	memset(&a->region_map, 0, sizeof(a->region_map));
	memset(&a->slot_map, 0, sizeof(a->slot_map));
	a->nslot = 0;
	for (i = 0; i < a->nturfs; i++) {
		a->turfs[i].nbhd_id = a->turfs[i].nbhd ? group_id(&a->nbhd_map, a->turfs[i].nbhd) : -1;
		a->turfs[i].region_id = group_id(&a->region_map, a->turfs[i].region);
		a->turfs[i].taken = a->turfs[i].assigned = 0;
	}
	a->nnbhd = (int)a->nbhd_map.n;
	a->nregion = (int)a->region_map.n;
	members(a, a->nnbhd, 0, &a->nbhd_first, &a->nbhd_turfs);
	members(a, a->nregion, 1, &a->region_first, &a->region_turfs);
	for (i = 0; i < a->nts; i++) {
		struct tshift *s = &a->ts[i];
		char key[64];

		s->used = 0;
		a->turfs[s->turf].taken += s->taken;
		s->slot = -1;
		if (!s->has_times)
			continue;
		snprintf(key, sizeof(key), "%lld/%lld", (long long)s->starts, (long long)s->ends);
		s->slot = map_put(&a->slot_map, key, a->nslot);
		if (s->slot == a->nslot) {
			reserve(&a->slot_starts, &a->cslot, a->nslot + 1, sizeof(*a->slot_starts));
			a->slot_ends = st_xrealloc(a->slot_ends, (size_t)a->cslot * sizeof(*a->slot_ends));
			a->slot_starts[a->nslot] = s->starts;
			a->slot_ends[a->nslot++] = s->ends;
		}
	}
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		v->unknown = 0;
		for (j = 0; j < v->nprefs; j++) {
			struct pref *p = &v->prefs[j];

			p->target = p->level == L_TURF ? map_get(&a->turf_map, p->value) :
			    p->level == L_NBHD ? map_get(&a->nbhd_map, p->value) :
			    p->level == L_REGION ? map_get(&a->region_map, p->value) : 0;
			if (p->target >= 0)
				continue;
			if (p->where)
				return st_error_set(err, ST_EXIT_DATA, "%s: unknown %s '%s'", p->where,
				    level_names[p->level], p->value);
			v->unknown = 1;
		}
	}
	return 0;
}

/* Room left in a turf shift (-1: no limit). */
static long
room(const struct tshift *s)
{
	if (s->cap < 0)
		return -1;
	return s->cap > s->taken ? s->cap - s->taken : 0;
}

/* The k-th volunteer's worth on turf t, counting those there already. */
static int64_t
worth(const struct turf *t, long k)
{
	return (int64_t)t->priority * VALUE_SCALE / (t->taken + k);
}

/* Scratch for building candidates: per turf shift and per group, the
 * volunteer that last touched it and where its candidate is. */
struct scratch {
	int *ts_stamp, *ts_cand, *slot_stamp;
	int *g_stamp, *g_cand, cg;
};

static void
add_cand(struct st_alloc *a, struct scratch *x, int vi, int to, int pref, int64_t cost)
{
	int *stamp, *where;

	if (to >= 0) {
		stamp = &x->ts_stamp[to];
		where = &x->ts_cand[to];
	} else {
		int gi = -1 - to;

		if (gi >= x->cg) {
			int old = x->cg;

			x->cg = a->cgroups;
			x->g_stamp = st_xrealloc(x->g_stamp, (size_t)x->cg * sizeof(int));
			x->g_cand = st_xrealloc(x->g_cand, (size_t)x->cg * sizeof(int));
			memset(x->g_stamp + old, 0xff, (size_t)(x->cg - old) * sizeof(int));
		}
		stamp = &x->g_stamp[gi];
		where = &x->g_cand[gi];
	}
	if (*stamp == vi) {
		if (cost < a->cands[*where].cost) {
			a->cands[*where].cost = cost;
			a->cands[*where].pref = pref;
		}
		return;
	}
	*stamp = vi;
	reserve(&a->cands, &a->ccands, a->ncands + 1, sizeof(*a->cands));
	*where = a->ncands;
	a->cands[a->ncands].to = to;
	a->cands[a->ncands].pref = pref;
	a->cands[a->ncands].cost = cost;
	a->cands[a->ncands++].arc = -1;
}

/* Whether turf t is in the scope of preference p. */
static int
in_scope(const struct st_alloc *a, const struct pref *p, int t)
{
	switch (p->level) {
	case L_TURF: return p->target == t;
	case L_NBHD: return a->turfs[t].nbhd_id == p->target;
	case L_REGION: return a->turfs[t].region_id == p->target;
	default: return 1;
	}
}

/* The group node of volunteer v's home square, neighbourhood or region id,
 * and slot. */
static int
group_for(struct st_alloc *a, const struct vol *v, int nbhd, int id, int slot)
{
	char key[128], zkey[64];
	struct home z;
	int g;

	zone_of(&v->at, &z, zkey, sizeof(zkey));
	snprintf(key, sizeof(key), "%c%d|%d|%s", nbhd ? 'n' : 'r', id, slot, zkey);
	g = map_put(&a->group_map, key, a->ngroups);
	if (g == a->ngroups) {
		reserve(&a->groups, &a->cgroups, a->ngroups + 1, sizeof(*a->groups));
		memset(&a->groups[g], 0, sizeof(a->groups[g]));
		a->groups[g].nbhd = nbhd;
		a->groups[g].id = id;
		a->groups[g].slot = slot;
		a->groups[g].at = z;
		a->ngroups++;
	}
	return g;
}

static void
candidates(struct st_alloc *a, struct scratch *x, int vi)
{
	struct vol *v = &a->vols[vi];
	int i, j, k, s;

	v->c0 = a->ncands;
	/* The time slots the volunteer's windows hold. */
	for (i = 0; i < v->nav; i++)
		for (s = 0; v->av[i].window && s < a->nslot; s++)
			if (v->av[i].ws <= a->slot_starts[s] && a->slot_ends[s] <= v->av[i].we)
				x->slot_stamp[s] = vi;
	for (j = 0; j < v->nprefs; j++) {
		const struct pref *p = &v->prefs[j];
		int64_t rc = (int64_t)(p->rank > 0 ? p->rank - 1 : 0) * RANK_STEP;

		if (p->target < 0)
			continue;
		/* Shifts named one by one: arcs straight to them, with the travel from home. */
		for (i = 0; i < v->nav; i++) {
			int t;

			if (v->av[i].window || (t = map_get(&a->ts_map, v->av[i].label)) < 0)
				continue;
			if (in_scope(a, p, a->ts[t].turf))
				add_cand(a, x, vi, t, j, rc + travel(&v->at, &a->turfs[a->ts[t].turf].at));
		}
		if (p->level == L_TURF) {
			/* A turf: straight arcs too. */
			const struct turf *t = &a->turfs[p->target];

			for (i = 0; i < t->nts; i++) {
				int si = t->ts[i], sl = a->ts[si].slot;

				if (sl >= 0 && x->slot_stamp[sl] == vi)
					add_cand(a, x, vi, si, j, rc + travel(&v->at, &t->at));
			}
			continue;
		}
		/* A neighbourhood, a region, or all of them: through the group of the
		 * home square, one arc per time slot. */
		for (s = 0; s < a->nslot; s++) {
			if (x->slot_stamp[s] != vi)
				continue;
			if (p->level == L_NBHD)
				add_cand(a, x, vi, -1 - group_for(a, v, 1, p->target, s), j, rc);
			for (k = 0; p->level != L_NBHD && k < a->nregion; k++)
				if (p->level == L_ANY || p->target == k)
					add_cand(a, x, vi, -1 - group_for(a, v, 0, k, s), j, rc);
		}
	}
	v->c1 = a->ncands;
}

int
st_alloc_solve(struct st_alloc *a, struct st_error *err)
{
	struct scratch x = { 0 };
	struct st_mcf *g;
	int64_t scale = 1, *maxsec;
	long *reach, *turf_arcs;
	int *first, *order;
	size_t narcs;
	int i, j, k, nodes, src = 0, sink = 1, tnode0, rc;
	__int128 bound = 0;

	if (a->nturfs == 0)
		return st_error_set(err, ST_EXIT_DATA, "no turfs");
	if (a->nvols == 0)
		return st_error_set(err, ST_EXIT_DATA, "no volunteers");
	if (prepare(a, err) < 0)
		return -1;
	st_mcf_free(a->net);
	a->net = NULL;
	map_free(&a->group_map);
	memset(&a->group_map, 0, sizeof(a->group_map));
	a->ngroups = a->ncands = a->narc_ts = 0;
	x.ts_stamp = st_xmalloc(((size_t)a->nts + 1) * sizeof(int));
	x.ts_cand = st_xmalloc(((size_t)a->nts + 1) * sizeof(int));
	x.slot_stamp = st_xmalloc(((size_t)a->nslot + 1) * sizeof(int));
	memset(x.ts_stamp, 0xff, ((size_t)a->nts + 1) * sizeof(int));
	memset(x.slot_stamp, 0xff, ((size_t)a->nslot + 1) * sizeof(int));
	maxsec = st_xcalloc((size_t)a->nvols + 1, sizeof(*maxsec));
	a->pool = 0;
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		v->ts = -1;
		v->node = -1;
		v->c0 = v->c1 = a->ncands;
		if (v->kept >= 0)
			continue;
		candidates(a, &x, i);
		for (j = v->c0; j < v->c1; j++) {
			int64_t c = a->cands[j].cost + (a->cands[j].to < 0 ? TRAVEL_MAX : 0);

			if (c > maxsec[i])
				maxsec[i] = c;
			if (a->cands[j].to < 0)
				a->groups[-1 - a->cands[j].to].nvol++;
		}
		if (v->c1 > v->c0) {
			v->node = 0;   /* numbered below */
			a->pool++;
			scale += maxsec[i];
		}
	}
	free(x.ts_stamp);
	free(x.ts_cand);
	free(x.slot_stamp);
	free(x.g_stamp);
	free(x.g_cand);
	free(maxsec);
	a->scale = scale;

	/* How many volunteers could reach each turf shift, which caps the turf's
	 * arcs, and the turf shifts of each group. */
	reach = st_xcalloc((size_t)a->nts + 1, sizeof(*reach));
	for (i = 0; i < a->ncands; i++)
		if (a->cands[i].to >= 0)
			reach[a->cands[i].to]++;
	for (i = 0; i < a->ngroups; i++) {
		struct group *gr = &a->groups[i];
		const int *in = gr->nbhd ? a->nbhd_first : a->region_first;
		const int *list = gr->nbhd ? a->nbhd_turfs : a->region_turfs;

		gr->a0 = a->narc_ts;
		for (k = in[gr->id]; k < in[gr->id + 1]; k++) {
			const struct turf *t = &a->turfs[list[k]];

			for (j = 0; j < t->nts; j++) {
				int si = t->ts[j];

				if (a->ts[si].slot != gr->slot || room(&a->ts[si]) == 0)
					continue;
				reserve(&a->arc_ts, &a->carc_ts, a->narc_ts + 1, sizeof(*a->arc_ts));
				a->arc_ts[a->narc_ts++] = si;
				reach[si] += gr->nvol;
			}
		}
		gr->a1 = a->narc_ts;
	}
	narcs = (size_t)a->pool + (size_t)a->ncands + (size_t)a->narc_ts + (size_t)a->nts + 1;
	for (i = 0; i < a->nts; i++) {
		long r = room(&a->ts[i]);

		if (r >= 0 && r < reach[i])
			reach[i] = r;
	}
	turf_arcs = st_xcalloc((size_t)a->nturfs + 1, sizeof(*turf_arcs));
	for (k = 0; k < a->nturfs && bound < ((__int128)1 << 58); k++) {
		const struct turf *t = &a->turfs[k];
		long most = 0;

		for (j = 0; j < t->nts; j++)
			most += reach[t->ts[j]];
		for (j = 1; j <= most && worth(t, j) > 0 && bound < ((__int128)1 << 58); j++)
			bound += (__int128)worth(t, j) * scale;
		turf_arcs[k] = j - 1;
		narcs += (size_t)j;
	}
	if (bound >= ((__int128)1 << 58)) {
		free(reach);
		free(turf_arcs);
		return st_error_set(err, ST_EXIT_DATA, "too many volunteers, ranks or turfs of high "
		    "priority to solve exactly in 64 bits (lower the priorities)");
	}

	/* Nodes: source, sink, turf shifts, turfs, groups, volunteers. */
	tnode0 = 2 + a->nts;
	nodes = tnode0 + a->nturfs;
	for (i = 0; i < a->nts; i++)
		a->ts[i].node = 2 + i;
	for (i = 0; i < a->ngroups; i++)
		a->groups[i].node = nodes++;
	for (i = 0; i < a->nvols; i++)
		if (a->vols[i].node == 0)
			a->vols[i].node = nodes++;
	g = a->net = st_mcf_new(nodes, narcs);
	st_mcf_set_supply(g, src, a->pool);
	st_mcf_set_supply(g, sink, -a->pool);
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		if (v->node < 0)
			continue;
		st_mcf_add_arc(g, src, v->node, 1, 0);
		for (j = v->c0; j < v->c1; j++) {
			struct cand *c = &a->cands[j];

			c->arc = st_mcf_add_arc(g, v->node, c->to >= 0 ? a->ts[c->to].node :
			    a->groups[-1 - c->to].node, 1, c->cost);
		}
	}
	a->garc0 = st_mcf_arcs(g);
	for (i = 0; i < a->ngroups; i++) {
		const struct group *gr = &a->groups[i];

		for (j = gr->a0; j < gr->a1; j++) {
			const struct tshift *ts = &a->ts[a->arc_ts[j]];

			st_mcf_add_arc(g, gr->node, ts->node, gr->nvol,
			    travel(&gr->at, &a->turfs[ts->turf].at));
		}
	}
	for (i = 0; i < a->nts; i++)
		if (reach[i] > 0)
			st_mcf_add_arc(g, a->ts[i].node, tnode0 + a->ts[i].turf, reach[i], 0);
	for (k = 0; k < a->nturfs; k++)
		for (j = 1; j <= turf_arcs[k]; j++)
			st_mcf_add_arc(g, tnode0 + k, sink, 1, -worth(&a->turfs[k], j) * scale);
	free(reach);
	free(turf_arcs);
	st_mcf_add_arc(g, src, sink, a->pool, 0);
	rc = st_mcf_solve(g, &a->cost, err);
	if (rc < 0)
		return -1;

	/* Read the assignments off the flow: straight arcs, then each group's
	 * volunteers, in order, to its turf shifts with flow, in order. */
	for (k = 0; k < a->ngroups; k++)
		a->groups[k].nvol = 0;
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		for (j = v->c0; j < v->c1; j++) {
			const struct cand *c = &a->cands[j];

			if (st_mcf_flow(g, c->arc) == 0)
				continue;
			v->pref = c->pref;
			if (c->to >= 0)
				v->ts = c->to;
			else
				v->ts = -2 - (-1 - c->to);   /* group, resolved below */
		}
	}
	/* The volunteers each group sent on, in order: a counting sort. */
	first = st_xcalloc((size_t)a->ngroups + 2, sizeof(*first));
	order = st_xmalloc(((size_t)a->nvols + 1) * sizeof(*order));
	for (i = 0; i < a->nvols; i++)
		if (a->vols[i].ts < -1)
			first[-2 - a->vols[i].ts + 1]++;
	for (k = 0; k < a->ngroups; k++)
		first[k + 1] += first[k];
	for (i = 0; i < a->nvols; i++)
		if (a->vols[i].ts < -1)
			order[first[-2 - a->vols[i].ts]++] = i;
	for (k = 0, j = 0; k < a->ngroups; k++) {
		const struct group *gr = &a->groups[k];
		int at = gr->a0;
		int64_t left = at < gr->a1 ? st_mcf_flow(g, a->garc0 + at) : 0;

		for (; j < first[k]; j++) {
			while (left == 0 && ++at < gr->a1)
				left = st_mcf_flow(g, a->garc0 + at);
			if (at >= gr->a1)
				break;
			a->vols[order[j]].ts = a->arc_ts[at];
			left--;
		}
		j = first[k];
	}
	free(first);
	free(order);
	for (i = 0; i < a->nvols; i++) {
		struct vol *v = &a->vols[i];

		if (v->ts < -1)
			return st_error_set(err, ST_EXIT_FAIL, "internal error: a group's flow does not add up");
		if (v->ts >= 0) {
			v->travel = travel(&v->at, &a->turfs[a->ts[v->ts].turf].at);
			a->ts[v->ts].used++;
			a->turfs[a->ts[v->ts].turf].assigned++;
		}
	}
	a->solved = 1;
	return 0;
}

void
st_alloc_stats(const struct st_alloc *a, struct st_alloc_stats *st)
{
	int i, k;

	memset(st, 0, sizeof(*st));
	st->volunteers = a->nvols;
	for (i = 0; i < a->nvols; i++) {
		const struct vol *v = &a->vols[i];

		if (v->kept >= 0)
			st->kept++;
		else if (v->ts >= 0)
			st->assigned++;
		else
			st->unassigned++;
	}
	for (k = 0; k < a->nturfs; k++)
		for (i = 1; i <= a->turfs[k].assigned; i++)
			st->coverage += worth(&a->turfs[k], i);
	if (a->solved)
		st->tiebreak = a->cost + st->coverage * a->scale;
	if (a->net) {
		st->nodes = st_mcf_nodes(a->net);
		st->arcs = st_mcf_arcs(a->net);
		st->pivots = st_mcf_pivots(a->net);
	}
}

/* A row of cells, most of them text. */
struct row {
	struct st_cell c[16];
	char num[16][32];
	size_t n;
};

static void
cell(struct row *r, const char *s)
{
	struct st_cell *c = &r->c[r->n++];

	c->type = s ? ST_TEXT : ST_NULL;
	c->s = s;
	c->len = s ? strlen(s) : 0;
}

static void
cell_int(struct row *r, long v)
{
	struct st_cell *c = &r->c[r->n];

	c->type = ST_INT;
	c->len = (size_t)snprintf(r->num[r->n], sizeof(r->num[0]), "%ld", v);
	c->s = r->num[r->n++];
}

static void
cell_km(struct row *r, int units)
{
	struct st_cell *c = &r->c[r->n];

	c->type = ST_REAL;
	c->len = (size_t)snprintf(r->num[r->n], sizeof(r->num[0]), "%d.%d", units / 10, units % 10);
	c->s = r->num[r->n++];
}

static const char *
pref_text(const struct pref *p, char *buf, size_t size)
{
	if (p->level == L_ANY)
		return "anywhere";
	snprintf(buf, size, "%s:%s", level_names[p->level], p->value);
	return buf;
}

/* The UTC time of a shift, or NULL. */
static const char *
shift_time(const struct tshift *s, char *buf)
{
	if (!s->has_times)
		return NULL;
	st_time_utc(s->starts, buf);
	return buf;
}

/* Whether volunteer v could reach a turf shift with room left, and so why
 * they are unassigned. */
static const char *
reason(const struct st_alloc *a, const struct vol *v)
{
	int j, k;

	if (v->nav == 0)
		return "no availability";
	if (v->nprefs == 0)
		return "no preferences";
	if (v->c1 == v->c0)
		return v->unknown ? "no shift matches (a preference names an unknown turf, "
		    "neighbourhood or region)" : "no shift matches availability and preferences";
	for (j = v->c0; j < v->c1; j++) {
		const struct cand *c = &a->cands[j];

		if (c->to >= 0) {
			if (room(&a->ts[c->to]) < 0 || room(&a->ts[c->to]) > a->ts[c->to].used)
				return "not needed (the shifts open to them have enough)";
			continue;
		}
		for (k = a->groups[-1 - c->to].a0; k < a->groups[-1 - c->to].a1; k++) {
			const struct tshift *s = &a->ts[a->arc_ts[k]];

			if (room(s) < 0 || room(s) > s->used)
				return "not needed (the shifts open to them have enough)";
		}
	}
	return "preferred shifts full";
}

static const char *const write_cols[] = { "volunteer", "name", "status", "shift", "turf",
	"turf_name", "starts", "pref", "rank", "travel_km", "reason" };

int
st_alloc_write(const struct st_alloc *a, struct st_out *out, struct st_error *err)
{
	int i;

	if (!a->solved)
		return st_error_set(err, ST_EXIT_FAIL, "nothing solved yet");
	st_out_columns(out, sizeof(write_cols) / sizeof(write_cols[0]), write_cols);
	for (i = 0; i < a->nvols; i++) {
		const struct vol *v = &a->vols[i];
		int ts = v->kept >= 0 ? v->kept : v->ts;
		const struct tshift *s = ts >= 0 ? &a->ts[ts] : NULL;
		const struct turf *t = s ? &a->turfs[s->turf] : NULL;
		char tbuf[32], pbuf[300];
		struct row r = { 0 };

		cell(&r, v->key);
		cell(&r, v->name);
		cell(&r, v->kept >= 0 ? "kept" : s ? "assigned" : "unassigned");
		cell(&r, s ? s->label : NULL);
		cell(&r, t ? t->key : NULL);
		cell(&r, t ? t->name : NULL);
		cell(&r, s ? shift_time(s, tbuf) : NULL);
		if (v->kept < 0 && s) {
			const struct pref *p = &v->prefs[v->pref];

			cell(&r, pref_text(p, pbuf, sizeof(pbuf)));
			if (p->rank > 0)
				cell_int(&r, p->rank);
			else
				cell(&r, NULL);
			cell_km(&r, v->travel);
		} else {
			cell(&r, NULL);
			cell(&r, NULL);
			cell(&r, NULL);
		}
		cell(&r, v->kept < 0 && !s ? reason(a, v) : NULL);
		if (st_out_row(out, r.c) < 0)
			return st_error_set(err, ST_EXIT_FAIL, "cannot write the assignments");
	}
	return 0;
}

static const char *const cov_cols[] = { "turf", "name", "neighbourhood", "region", "priority",
	"shifts", "capacity", "need", "taken", "assigned", "filled", "short" };

int
st_alloc_write_coverage(const struct st_alloc *a, struct st_out *out, struct st_error *err)
{
	int i, j;

	if (!a->solved)
		return st_error_set(err, ST_EXIT_FAIL, "nothing solved yet");
	st_out_columns(out, sizeof(cov_cols) / sizeof(cov_cols[0]), cov_cols);
	for (i = 0; i < a->nturfs; i++) {
		const struct turf *t = &a->turfs[i];
		long cap = 0, need = 0, filled = t->taken + t->assigned;
		int open = 0, unknown_need = 0;
		struct row r = { 0 };

		for (j = 0; j < t->nts; j++) {
			const struct tshift *s = &a->ts[t->ts[j]];

			if (s->cap < 0)
				open = 1;
			else
				cap += s->cap;
			if (s->need >= 0)
				need += s->need;
			else if (s->cap >= 0)
				need += s->cap;
			else
				unknown_need = 1;
		}
		cell(&r, t->key);
		cell(&r, t->name);
		cell(&r, t->nbhd);
		cell(&r, t->region);
		cell_int(&r, t->priority);
		cell_int(&r, t->nts);
		if (open)
			cell(&r, NULL);
		else
			cell_int(&r, cap);
		if (unknown_need) {
			cell(&r, NULL);
		} else {
			cell_int(&r, need);
		}
		cell_int(&r, t->taken);
		cell_int(&r, t->assigned);
		cell_int(&r, filled);
		if (unknown_need)
			cell(&r, NULL);
		else
			cell_int(&r, need > filled ? need - filled : 0);
		if (st_out_row(out, r.c) < 0)
			return st_error_set(err, ST_EXIT_FAIL, "cannot write the coverage");
	}
	return 0;
}

static const char *const explain_cols[] = { "volunteer", "shift", "turf", "pref", "rank",
	"travel_km", "places_left", "outcome" };

/* One row of an explanation: volunteer v could take turf shift si by pref. */
static int
explain_row(const struct st_alloc *a, const struct vol *v, int si, const struct pref *p,
    struct st_out *out)
{
	const struct tshift *s = &a->ts[si];
	const struct turf *t = &a->turfs[s->turf];
	long left = room(s) < 0 ? -1 : room(s) - s->used;
	char pbuf[300];
	struct row r = { 0 };

	cell(&r, v->key);
	cell(&r, s->label);
	cell(&r, t->key);
	cell(&r, pref_text(p, pbuf, sizeof(pbuf)));
	if (p->rank > 0)
		cell_int(&r, p->rank);
	else
		cell(&r, NULL);
	cell_km(&r, travel(&v->at, &t->at));
	if (left < 0)
		cell(&r, NULL);
	else
		cell_int(&r, left);
	cell(&r, v->ts == si ? "assigned" : left == 0 ? "full" : "not chosen");
	return st_out_row(out, r.c);
}

int
st_alloc_explain(const struct st_alloc *a, const char *volunteer, struct st_out *out,
    struct st_error *err)
{
	const struct vol *v;
	int vi = map_get(&a->vol_map, volunteer), j, k, *seen, rc = 0, n = 0;

	if (!a->solved)
		return st_error_set(err, ST_EXIT_FAIL, "nothing solved yet");
	if (vi < 0)
		return st_error_set(err, ST_EXIT_DATA, "no volunteer '%s'", volunteer);
	v = &a->vols[vi];
	st_out_columns(out, sizeof(explain_cols) / sizeof(explain_cols[0]), explain_cols);
	if (v->kept >= 0) {
		struct row r = { 0 };

		cell(&r, v->key);
		cell(&r, a->ts[v->kept].label);
		cell(&r, a->turfs[a->ts[v->kept].turf].key);
		cell(&r, NULL);
		cell(&r, NULL);
		cell(&r, NULL);
		cell(&r, NULL);
		cell(&r, "kept (already has a yes RSVP)");
		return st_out_row(out, r.c) < 0 ? st_error_set(err, ST_EXIT_FAIL, "cannot write") : 0;
	}
	seen = st_xcalloc((size_t)a->nts + 1, sizeof(int));
	for (j = v->c0; j < v->c1 && rc == 0; j++) {
		const struct cand *c = &a->cands[j];

		if (c->to >= 0) {
			if (!seen[c->to]++) {
				rc = explain_row(a, v, c->to, &v->prefs[c->pref], out);
				n++;
			}
			continue;
		}
		for (k = a->groups[-1 - c->to].a0; k < a->groups[-1 - c->to].a1 && rc == 0; k++) {
			int si = a->arc_ts[k];

			if (!seen[si]++) {
				rc = explain_row(a, v, si, &v->prefs[c->pref], out);
				n++;
			}
		}
	}
	free(seen);
	if (rc == 0 && n == 0) {
		struct row r = { 0 };

		cell(&r, v->key);
		for (j = 0; j < 6; j++)
			cell(&r, NULL);
		cell(&r, reason(a, v));
		rc = st_out_row(out, r.c);
	}
	return rc < 0 ? st_error_set(err, ST_EXIT_FAIL, "cannot write the explanation") : 0;
}

int
st_alloc_write_dimacs(const struct st_alloc *a, FILE *fp)
{
	return a->net ? st_mcf_write_dimacs(a->net, fp) : -1;
}

int
st_alloc_commit(struct st_alloc *a, sqlite3 *db, long *made, long *cancelled, long *refused,
    struct st_error *err)
{
	int i, pass;

	*made = *cancelled = *refused = 0;
	if (!a->solved || !a->bound)
		return st_error_set(err, ST_EXIT_FAIL, "nothing solved against the database");
	/* Cancellations first, so that places they free can be taken. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < a->nvols; i++) {
			struct vol *v = &a->vols[i];
			const char *res;

			if (v->kept >= 0 || v->prev == v->ts)
				continue;
			if (pass == 0 && v->prev >= 0) {
				if (st_rsvp_cancel(db, a->ts[v->prev].shift_id, v->contact, NULL, err) < 0)
					return -1;
				(*cancelled)++;
			} else if (pass == 1 && v->ts >= 0) {
				if (st_rsvp(db, a->ts[v->ts].shift_id, v->contact, "yes", "allocator", 0, 0,
				    &res, err) < 0) {
					if (err->status != ST_EXIT_DATA)
						return -1;
					(*refused)++;
					continue;
				}
				(*made)++;
			}
		}
	return 0;
}

int
st_turf_upsert(sqlite3 *db, size_t n, const char *const *names, const char *const *values,
    struct st_error *err)
{
	struct turf_row r;
	char now[21], types[10];
	long turf, shift = 0;
	int rc;

	if (parse_turf_row(n, names, values, NULL, &r, err) < 0)
		return -1;
	if (r.shift && st_parse_long(r.shift, 1, 0x7fffffffL, &shift) < 0)
		return st_error_set(err, ST_EXIT_DATA, "shift '%s' is not a shift id", r.shift);
	st_now_iso(now);
	memcpy(types, r.at.has_ll ? "ttttiddtt" : "ttttinntt", sizeof(types));
	if (r.priority < 0)
		types[4] = '-';   /* NULL: keep the turf's priority, or 1 */
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "INSERT INTO turfs(key, name, neighbourhood, region, priority, latitude, "
	    "longitude, zip, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, coalesce(?5, 1), ?6, ?7, "
	    "?8, ?9, ?9) ON CONFLICT(key) DO UPDATE SET name = coalesce(excluded.name, name), "
	    "neighbourhood = coalesce(excluded.neighbourhood, neighbourhood), region = "
	    "coalesce(excluded.region, region), priority = coalesce(?5, priority), latitude = "
	    "coalesce(excluded.latitude, latitude), longitude = coalesce(excluded.longitude, "
	    "longitude), zip = coalesce(excluded.zip, zip), updated_at = excluded.updated_at",
	    types, r.key, r.name, r.nbhd, r.region, r.priority, r.at.lat, r.at.lon,
	    r.at.zip[0] ? r.at.zip : NULL, now) < 0 ? -1 : 0;
	if (rc == 0 && r.shift) {
		rc = st_db_scalarf(db, err, &turf, "SELECT id FROM turfs WHERE key = ?", "t", r.key);
		if (rc > 0 && st_db_scalarf(db, err, &shift, "SELECT id FROM shifts WHERE id = ?", "i",
		    shift) == 0)
			rc = st_error_set(err, ST_EXIT_DATA, "no shift %s", r.shift);
		if (rc > 0)
			rc = st_db_execf(db, err, "INSERT INTO turf_shifts(shift_id, turf_id, capacity, need) "
			    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(shift_id) DO UPDATE SET turf_id = "
			    "excluded.turf_id, capacity = excluded.capacity, need = excluded.need",
			    r.cap >= 0 && r.need >= 0 ? "iiii" : r.cap >= 0 ? "iii-" : r.need >= 0 ?
			    "ii-i" : "ii--", shift, turf, r.cap, r.need) < 0 ? -1 : 0;
		else if (rc == 0)
			rc = -1;
	}
	if (rc < 0) {
		st_db_rollback(db);
		return -1;
	}
	return st_db_commit(db, err);
}

int
st_volunteer_upsert(sqlite3 *db, size_t n, const char *const *names, const char *const *values,
    struct st_error *err)
{
	struct vol_row r;
	char now[21], **items = NULL;
	long contact;
	int rc = 0, i;

	if (parse_vol_row(n, names, values, NULL, &r, err) < 0 ||
	    st_contact_resolve(db, r.key, &contact, err) < 0)
		return -1;
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	if (r.at.has_ll && st_db_execf(db, err, "INSERT INTO volunteers(contact_id, latitude, longitude, "
	    "updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(contact_id) DO UPDATE SET latitude = "
	    "excluded.latitude, longitude = excluded.longitude, updated_at = excluded.updated_at",
	    "iddt", contact, r.at.lat, r.at.lon, now) < 0)
		rc = -1;
	if (rc == 0 && r.at.zip[0] && st_db_execf(db, err, "UPDATE contacts SET zip = ?2, updated_at = ?3 "
	    "WHERE id = ?1 AND zip IS NOT ?2", "itt", contact, r.at.zip, now) < 0)
		rc = -1;
	if (rc == 0 && r.level >= 0 && st_db_execf(db, err, "INSERT INTO volunteer_prefs(contact_id, level, "
	    "value, rank) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(contact_id, level, coalesce(value, '')) "
	    "DO UPDATE SET rank = excluded.rank", "ittI", contact, level_names[r.level], r.value,
	    r.rank) < 0)
		rc = -1;
	if (rc == 0 && r.avail)
		items = st_split_list(r.avail);
	for (i = 0; rc == 0 && items && items[i]; i++) {
		struct avail av;
		long shift;

		if ((rc = parse_avail(items[i], &av, NULL, err)) < 0)
			break;
		if (!av.window) {
			rc = st_parse_long(av.label, 1, 0x7fffffffL, &shift) < 0 ?
			    st_error_set(err, ST_EXIT_DATA, "shift '%s' is not a shift id", av.label) :
			    st_shift_open(db, shift, err);
			if (rc == 0 && st_db_execf(db, err, "INSERT OR IGNORE INTO volunteer_availability("
			    "contact_id, shift_id) VALUES (?1, ?2)", "ii", contact, shift) < 0)
				rc = -1;
		} else {
			char s[21], e[21];

			st_time_utc(av.ws, s);
			st_time_utc(av.we, e);
			if (st_db_execf(db, err, "INSERT OR IGNORE INTO volunteer_availability(contact_id, "
			    "starts_at, ends_at) VALUES (?1, ?2, ?3)", "itt", contact, s, e) < 0)
				rc = -1;
		}
		free(av.label);
	}
	st_strv_free(items);
	if (rc < 0) {
		st_db_rollback(db);
		return -1;
	}
	return st_db_commit(db, err);
}
