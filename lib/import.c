#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/import.h"
#include "import_priv.h"
#include "st/out.h"
#include "st/refmap.h"
#include "st/rowpipe.h"
#include "st/util.h"

#define COL_EXTRA (-1)
#define COL_SKIP (-2)
#define NJSON 64      /* JSON statements kept by set of columns */
#define NLOOKUP 32    /* lookup statements, by field (contact.c has fewer) */
#define NF ((int)st_ncontact_fields)

/* A prepared statement with the positions of its named parameters. */
enum { P_EXTRA, P_HASH, P_IMPORT, P_SOURCE, P_NOW, P_ID, NPARAM };
static const char *const param_names[NPARAM] = { ":extra", ":hash", ":import", ":source", ":now",
	":id" };

/* A contact a key names: its id and the hash of the row last merged into it. */
struct found {
	sqlite3_int64 id, hash;
	int has_hash;
};

/* Was the row whose hash is hash the one merged into c last (so unchanged)? */
static int
same_row(const struct found *c, uint64_t hash)
{
	return c->has_hash && (uint64_t)c->hash == hash;
}

/* What the preparing thread found for a row (see rowprep.rdb): not looked up,
 * no contact, a contact, or a contact the same row was merged into last (the
 * row is then passed on as its hash and that contact alone, an 'S' row:
 * an unchanged row needs no more). */
enum ahead { AHEAD_NOT, AHEAD_NONE, AHEAD_FOUND, AHEAD_SAME };

struct stmt {
	sqlite3_stmt *st;
	int p[NPARAM];
	int fields;      /* ?1..?NF are the row's fields */
};

struct imp {
	sqlite3 *db;
	const struct st_import_opts *o;
	struct st_error *err;
	struct st_import_result *res;
	struct st_csvin *in;
	size_t ncols;
	const char *const *names;
	int *colfield;              /* per column: field, COL_EXTRA or COL_SKIP */
	char **extra_key;           /* per column: its key in extra */
	int key_field;              /* -1: phone, else e-mail */
	int phone_f, email_f;       /* the phone and e-mail fields */
	int bulk;                   /* empty table: load without indexes, dedupe after */
	int ref_col;                /* the column of referral codes, or -1 */
	struct st_referrer *referrer;   /* records their referrals, once needed */
	long import_id;
	uint64_t seed;
	char now[21];
	struct stmt ins, differs;
	struct merge_stmts {        /* by what a merge changes (see merge_stmts) */
		uint64_t mask;
		struct stmt log, relog, upd;
	} merges[32];
	size_t nmerges;
	sqlite3_stmt *tag, *lookup[NLOOKUP], *ins_extra, *set_extra, *rehash, *unlog;
	struct st_buf merged_extra;
	long *tag_ids;
	size_t ntags;
	/* the row being imported (see decode_row) */
	const char **val;           /* per field: normalized value or NULL */
	size_t *vlen;
	const char *extra;          /* its other columns as a JSON object */
	size_t extra_len;
	uint64_t hash;
	enum ahead ahead;           /* ... and what the preparing thread found for it */
	struct found ahead_found;
	unsigned char *written;     /* a bit per contact id <= nwritten this batch wrote */
	sqlite3_int64 nwritten;
	struct rowprep *late;       /* to encode a row again (encode_late) */
	struct st_buf late_row;
	struct st_buf norm, extra_buf;  /* a contact read back (load_contact) */
};

/* The preparing thread's side (see st/rowpipe.h): it normalizes each row and
 * encodes its other columns as JSON (SQLite's json_object, in a database of
 * its own) while the caller writes the rows before it. */
struct rowprep {
	const struct imp *m;        /* the mapping, read only */
	sqlite3 *jdb;
	sqlite3_stmt **json_k;      /* SELECT json_object(...), by number of pairs */
	struct {                    /* ... by set of columns, with their keys bound */
		uint64_t *cols;
		sqlite3_stmt *st;
	} json_set[NJSON];
	size_t njson_set;
	uint64_t *cols;             /* the row's set of extra columns, a bit each */
	size_t ncolw;               /* words in a set */
	const char **val;
	size_t *vlen;
	size_t *ecol;               /* extra pairs: the column (so the key), in order */
	const char **eval;
	size_t *elen, nextra;
	struct st_buf norm;
	uint64_t hash;
	/* A re-import keyed on a unique id looks its rows up ahead of the writer,
	 * in a read transaction of its own on the database as it was before the
	 * batch (WAL mode). import_row trusts what it found for contacts the batch
	 * has not written, and looks up again where it found none. */
	sqlite3 *rdb;
	sqlite3_stmt *lookup[NLOOKUP];
};

static int prep_open(struct rowprep *p, const struct imp *m, struct st_error *err);
static void prep_free(struct rowprep *p);

static int
fail_db(struct imp *m, const char *what)
{
	return st_error_db(m->err, m->db, "%s", what);
}

/* Resolve which column feeds which field. */
static int
map_columns(struct imp *m)
{
	const struct st_import_opts *o = m->o;
	char *keycol = NULL;
	size_t i, j;

	m->colfield = st_xcalloc(m->ncols + 1, sizeof(*m->colfield));
	m->extra_key = st_xcalloc(m->ncols + 1, sizeof(*m->extra_key));
	m->key_field = -1;
	m->phone_f = st_contact_field("phone");
	m->email_f = st_contact_field("email");
	if (o->key) {
		const char *eq = strchr(o->key, '=');
		char *f = eq ? st_xstrndup(o->key, (size_t)(eq - o->key)) : st_xstrdup(o->key);

		m->key_field = st_contact_field(f);
		if (m->key_field < 0 || !(strcmp(f, "voter_id") == 0 || strcmp(f, "van_id") == 0 ||
		    strcmp(f, "phone") == 0 || strcmp(f, "email") == 0)) {
			st_error_set(m->err, ST_EXIT_USAGE, "invalid key field '%s' (voter_id, van_id, "
			    "phone or email)", f);
			free(f);
			return -1;
		}
		free(f);
		if (eq)
			keycol = st_xstrdup(eq + 1);
	}
	for (i = 0; i < m->ncols; i++) {
		m->colfield[i] = st_contact_field_for_header(m->names[i]);
		if (m->colfield[i] < 0)
			m->colfield[i] = COL_EXTRA;
		m->extra_key[i] = st_xstrdup(m->names[i]);
	}
	for (j = 0; o->maps && o->maps[j]; j++) {
		const char *eq = strchr(o->maps[j], '=');
		size_t clen;
		int found = 0;

		if (eq == NULL || eq == o->maps[j] || eq[1] == '\0') {
			free(keycol);
			return st_error_set(m->err, ST_EXIT_USAGE, "invalid mapping '%s' (want "
			    "COLUMN=FIELD)", o->maps[j]);
		}
		clen = (size_t)(eq - o->maps[j]);
		for (i = 0; i < m->ncols; i++) {
			if (strlen(m->names[i]) != clen || memcmp(m->names[i], o->maps[j], clen) != 0)
				continue;
			found = 1;
			if (strcmp(eq + 1, "-") == 0) {
				m->colfield[i] = COL_SKIP;
			} else if ((m->colfield[i] = st_contact_field(eq + 1)) < 0) {
				m->colfield[i] = COL_EXTRA;
				free(m->extra_key[i]);
				m->extra_key[i] = st_xstrdup(eq + 1);
			}
		}
		if (!found) {
			st_error_set(m->err, ST_EXIT_USAGE, "no column '%.*s' in '%s' to map",
			    (int)clen, o->maps[j], o->name);
			free(keycol);
			return -1;
		}
	}
	if (keycol) {
		int found = 0;

		for (i = 0; i < m->ncols; i++) {
			if (strcmp(m->names[i], keycol) == 0) {
				m->colfield[i] = m->key_field;
				found = 1;
			} else if (m->colfield[i] == m->key_field) {
				m->colfield[i] = COL_EXTRA;
			}
		}
		if (!found) {
			st_error_set(m->err, ST_EXIT_USAGE, "no key column '%s' in '%s'", keycol,
			    o->name);
			free(keycol);
			return -1;
		}
		free(keycol);
	}
	if (m->key_field >= 0) {
		for (i = 0; i < m->ncols && m->colfield[i] != m->key_field; i++)
			;
		if (i == m->ncols)
			return st_error_set(m->err, ST_EXIT_USAGE, "no column in '%s' maps to the key "
			    "field '%s'; name one with --key %s=COLUMN", o->name,
			    st_contact_fields[m->key_field].name, st_contact_fields[m->key_field].name);
	}
	for (i = 0; o->mapped && i < m->ncols; i++) {
		char *what = m->colfield[i] >= 0 ? st_xstrdup(st_contact_fields[m->colfield[i]].name) :
		    m->colfield[i] == COL_SKIP ? st_xstrdup("-") : NULL;

		if (what == NULL) {
			what = st_xmalloc(strlen(m->extra_key[i]) + 8);
			sprintf(what, "extra.%s", m->extra_key[i]);
		}
		o->mapped(o->mapped_arg, m->names[i], what);
		free(what);
	}
	/* The unchanged-row shortcut is only valid for the same mapping and policy. */
	m->seed = st_hash(ST_HASH_INIT, o->keep_existing ? "keep" : "fill", 4);
	for (i = 0; i < m->ncols; i++) {
		m->seed = st_hash(m->seed, m->names[i], strlen(m->names[i]) + 1);
		m->seed = st_hash(m->seed, &m->colfield[i], sizeof(m->colfield[i]));
		m->seed = st_hash(m->seed, m->extra_key[i], strlen(m->extra_key[i]) + 1);
	}
	return 0;
}

/* The merged value of field i: the incoming value (parameter i + 1, NULL when
 * the row has none) fills or updates it, or with keep_existing only fills it;
 * an opt-out stands until the person opts back in. */
static void
merged(struct st_buf *sql, int i, int keep_existing)
{
	const char *f = st_contact_fields[i].name;

	if (st_contact_fields[i].kind == ST_FK_OPTIN)
		st_buf_printf(sql, "CASE WHEN c.%s = 'opted_out' THEN c.%s ELSE ", f, f);
	if (keep_existing)
		st_buf_printf(sql, "coalesce(c.%s, ?%d)", f, i + 1);
	else
		st_buf_printf(sql, "coalesce(?%d, c.%s)", i + 1, f);
	if (st_contact_fields[i].kind == ST_FK_OPTIN)
		st_buf_adds(sql, " END");
}

static int
prep(struct imp *m, struct stmt *s, const char *sql)
{
	const char *name;
	int i;

	s->fields = 0;
	s->st = st_db_prepare(m->db, sql, m->err);
	for (i = 0; s->st && i < NPARAM; i++)
		s->p[i] = sqlite3_bind_parameter_index(s->st, param_names[i]);
	/* Does it take any field (?N)? */
	for (i = 1; s->st && i <= sqlite3_bind_parameter_count(s->st); i++)
		if ((name = sqlite3_bind_parameter_name(s->st, i)) != NULL && name[0] == '?')
			s->fields = 1;
	return s->st ? 0 : -1;
}

/* What a merge changes, as a mask: a bit per field, and MASK_EXTRA. */
#define MASK_EXTRA ((uint64_t)1 << 63)

/* The before-image of what a merge changes, for undo, as JSON pairs
 * ('name', c.name): the contact's own bookkeeping, the fields in mask, and
 * extra as it is (a string holding JSON: copied, not parsed) if mask has
 * MASK_EXTRA. For json_object, or with path "$." for json_insert. */
static void
image_pairs(struct st_buf *sql, uint64_t mask, const char *path)
{
	static const char *const own[] = { "source", "updated_at", "last_import", "src_hash" };
	size_t i;
	int f;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		st_buf_printf(sql, "%s'%s%s', c.%s", i ? ", " : "", path, own[i], own[i]);
	for (f = 0; f < NF; f++)
		if (mask & ((uint64_t)1 << f))
			st_buf_printf(sql, ", '%s%s', c.%s", path, st_contact_fields[f].name,
			    st_contact_fields[f].name);
	if (mask & MASK_EXTRA)
		st_buf_printf(sql, ", '%sextra', coalesce(e.extra, '{}')", path);
}

static int
prepare(struct imp *m)
{
	/* A contact made by another command may have no extra row yet: '{}'. The
	 * same extra again (only fields changed) is the same, without parsing. */
	const char *extra = m->o->keep_existing ? "CASE WHEN e.extra = :extra THEN e.extra ELSE "
	    "json_patch(coalesce(e.extra, '{}'), json_patch(:extra, coalesce(e.extra, '{}'))) END" :
	    "CASE WHEN e.extra = :extra THEN e.extra ELSE json_patch(coalesce(e.extra, '{}'), "
	    ":extra) END";
	struct st_buf sql = { 0 };
	int i;

	st_buf_adds(&sql, "INSERT INTO contacts(");
	for (i = 0; i < NF; i++)
		st_buf_printf(&sql, "%s, ", st_contact_fields[i].name);
	st_buf_adds(&sql, "src_hash, import_id, last_import, source, created_at, updated_at) VALUES (");
	for (i = 0; i < NF; i++)
		st_buf_printf(&sql, "?%d, ", i + 1);
	st_buf_adds(&sql, ":hash, :import, :import, :source, :now, :now)");
	if (prep(m, &m->ins, sql.s) < 0)
		goto fail;

	/* What would merging the row change? A bit for each field that would
	 * change (contact.c has fewer than 64), whether the contact has extra,
	 * its extra and the merged extra. */
	st_buf_reset(&sql);
	st_buf_adds(&sql, "SELECT 0");
	for (i = 0; i < NF; i++) {
		st_buf_adds(&sql, " | ((");
		merged(&sql, i, m->o->keep_existing);
		st_buf_printf(&sql, " IS NOT c.%s) << %d)", st_contact_fields[i].name, i);
	}
	st_buf_printf(&sql, ", e.contact_id IS NOT NULL, coalesce(e.extra, '{}'), %s FROM contacts c "
	    "LEFT JOIN contact_extra e ON e.contact_id = c.id WHERE c.id = :id", extra);
	if (prep(m, &m->differs, sql.s) < 0)
		goto fail;

	m->unlog = st_db_prepare(m->db, "DELETE FROM import_changes WHERE import_id = ?1 AND "
	    "contact_id = ?2", m->err);
	m->set_extra = st_db_prepare(m->db, "UPDATE OR FAIL contact_extra SET extra = ?2 WHERE "
	    "contact_id = ?1", m->err);
	m->rehash = st_db_prepare(m->db, "UPDATE OR FAIL contacts SET src_hash = ?2 WHERE id = ?1",
	    m->err);
	if (m->unlog == NULL || m->set_extra == NULL || m->rehash == NULL)
		goto fail;
	m->tag = st_db_prepare(m->db, "INSERT OR IGNORE INTO contact_tags(contact_id, tag_id, "
	    "import_id, created_at) VALUES (?1, ?2, ?3, ?4)", m->err);
	st_buf_free(&sql);
	m->ins_extra = st_db_prepare(m->db, "INSERT INTO contact_extra(contact_id, extra) VALUES "
	    "(?, ?)", m->err);
	return m->tag && m->ins_extra ? 0 : -1;
fail:
	st_buf_free(&sql);
	return -1;
}

static void
bind_text(struct stmt *s, int p, const char *v, int len)
{
	if (s->p[p] <= 0)
		return;
	if (v)
		sqlite3_bind_text(s->st, s->p[p], v, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->st, s->p[p]);
}

static void
bind_int(struct stmt *s, int p, sqlite3_int64 v)
{
	if (s->p[p] > 0)
		sqlite3_bind_int64(s->st, s->p[p], v);
}

/* Bind the row's fields and the batch's values (and contact id) to a statement. */
static void
bind_row(struct imp *m, struct stmt *s, sqlite3_int64 id)
{
	int i;

	sqlite3_reset(s->st);
	for (i = 0; s->fields && i < NF; i++) {
		if (m->val[i])
			sqlite3_bind_text(s->st, i + 1, m->val[i], (int)m->vlen[i], SQLITE_STATIC);
		else
			sqlite3_bind_null(s->st, i + 1);
	}
	bind_text(s, P_EXTRA, m->extra, (int)m->extra_len);
	bind_int(s, P_HASH, (sqlite3_int64)m->hash);
	bind_int(s, P_IMPORT, m->import_id);
	bind_text(s, P_SOURCE, m->o->source, -1);
	bind_text(s, P_NOW, m->now, -1);
	bind_int(s, P_ID, id);
}

/* SELECT json_object(?, ?, ...) with n pairs of parameters. */
static sqlite3_stmt *
json_stmt(struct rowprep *p, size_t n, struct st_error *err)
{
	struct st_buf sql = { 0 };
	sqlite3_stmt *st;
	size_t i;

	st_buf_adds(&sql, "SELECT json_object(");
	for (i = 0; i < n; i++)
		st_buf_adds(&sql, i ? ", ?, ?" : "?, ?");
	st_buf_adds(&sql, ")");
	st = st_db_prepare(p->jdb, sql.s, err);
	st_buf_free(&sql);
	return st;
}

/* The row's extra pairs as a JSON object (built by SQLite), appended to out.
 * Rows tend to leave the same columns empty: a statement per set of columns
 * keeps its keys bound, and only the values are bound each row. */
static int
encode_extra(struct rowprep *p, struct st_buf *out, struct st_error *err)
{
	size_t i, j, size = p->ncolw * sizeof(*p->cols);
	sqlite3_stmt *st = NULL;
	int keys = 1;

	memset(p->cols, 0, size);
	for (i = 0; i < p->nextra; i++)
		p->cols[p->ecol[i] / 64] |= (uint64_t)1 << (p->ecol[i] % 64);
	for (j = 0; j < p->njson_set && memcmp(p->json_set[j].cols, p->cols, size) != 0; j++)
		;
	if (j < p->njson_set) {
		st = p->json_set[j].st;
		keys = 0;
	} else if (j < NJSON) {
		if ((st = json_stmt(p, p->nextra, err)) == NULL)
			return -1;
		p->json_set[j].cols = st_xmalloc(size);
		memcpy(p->json_set[j].cols, p->cols, size);
		p->json_set[j].st = st;
		p->njson_set++;
	}
	if (st == NULL && (st = p->json_k[p->nextra]) == NULL &&
	    (st = p->json_k[p->nextra] = json_stmt(p, p->nextra, err)) == NULL)
		return -1;
	/* json_object reads each argument as NUL-terminated text: a string bound
	 * with a length is copied to add the NUL, one bound with -1 is not. Keys
	 * are whole strings, and so are values that trimming did not shorten. */
	for (i = 0; i < p->nextra; i++) {
		if (keys)
			sqlite3_bind_text(st, 2 * (int)i + 1, p->m->extra_key[p->ecol[i]], -1,
			    SQLITE_STATIC);
		sqlite3_bind_text(st, 2 * (int)i + 2, p->eval[i],
		    p->eval[i][p->elen[i]] == '\0' ? -1 : (int)p->elen[i], SQLITE_STATIC);
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		st_error_db(err, p->jdb, "cannot encode the extra fields");
		sqlite3_reset(st);
		return -1;
	}
	st_buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	return 0;
}

int
st_import_reject(struct st_out *rejects, struct st_csvin *in, const struct st_csv_row *row,
    const char *reason, struct st_error *err)
{
	if (st_out_reject(rejects, row, st_csvin_ncols(in), st_csvin_delim(in), st_csvin_is_jsonl(in),
	    reason) != 0)
		return st_error_set(err, ST_EXIT_FAIL, "cannot write the rejects file");
	return 0;
}

int
st_import_row_bad(struct st_csvin *in, const struct st_csv_row *row, char *reason, size_t size)
{
	size_t i, len, ncols = st_csvin_ncols(in);
	const char *const *names = st_csvin_names(in);

	if (row->problem == ST_ROW_NUL)
		snprintf(reason, size, "field '%s' contains a NUL byte", names[row->problem_col]);
	else if (row->problem == ST_ROW_BAD_UTF8)
		snprintf(reason, size, "field '%s' is not valid UTF-8", names[row->problem_col]);
	else if (row->problem == ST_ROW_BAD_JSON)
		snprintf(reason, size, "%s", row->problem_msg);
	else if (row->n < ncols)
		snprintf(reason, size, "row has %zu fields, the header has %zu", row->n, ncols);
	else
		reason[0] = '\0';
	/* Empty fields past the header's end are tolerated; anything else is not. */
	for (i = ncols; reason[0] == '\0' && i < row->n; i++) {
		st_import_trim(row->f[i], row->len[i], &len);
		if (len > 0)
			snprintf(reason, size, "row has %zu fields, the header has %zu", row->n, ncols);
	}
	return reason[0] != '\0';
}

static int
reject(struct imp *m, const struct st_csv_row *row, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reject(struct imp *m, const struct st_csv_row *row, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	m->res->rejected++;
	if (m->o->rejects == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return st_import_reject(m->o->rejects, m->in, row, reason, m->err);
}

const char *
st_import_trim(const char *s, size_t len, size_t *outlen)
{
	while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
	    s[len - 1] == '\n'))
		len--;
	*outlen = len;
	return s;
}

static void
add_extra(struct rowprep *p, size_t col, const char *s, size_t len)
{
	s = st_import_trim(s, len, &len);
	if (len == 0)
		return;
	p->ecol[p->nextra] = col;
	p->eval[p->nextra] = s;
	p->elen[p->nextra] = len;
	p->nextra++;
}

/* The hash of a row: its fields with their NULs, one after another
 * (st_csv_row). */
static uint64_t
row_hash(const struct imp *m, const struct st_csv_row *row)
{
	return st_hash(m->seed, row->f[0],
	    (size_t)(row->f[m->ncols - 1] + row->len[m->ncols - 1] + 1 - row->f[0]));
}

/* For the look-ahead: the row's hash, and its key alone normalized into p->val
 * (the first valid value of a column mapped to it, as normalize_row takes);
 * 0 when the row is bad or has no valid key, which normalize_row reports. */
static int
normalize_key(struct rowprep *p, const struct st_csv_row *row)
{
	const struct imp *m = p->m;
	char reason[8];
	size_t i;

	if (m->key_field < 0 || st_import_row_bad(m->in, row, reason, sizeof(reason)))
		return 0;
	p->hash = row_hash(m, row);
	for (i = 0; i < m->ncols; i++) {
		int n, lossy;

		if (m->colfield[i] != m->key_field)
			continue;
		st_buf_reset(&p->norm);
		st_buf_grow(&p->norm, row->len[i] + 24);
		n = st_field_normalize(m->key_field, row->f[i], row->len[i], p->norm.s, &lossy);
		if (n > 0) {
			p->val[m->key_field] = p->norm.s;
			p->vlen[m->key_field] = (size_t)n;
			return 1;
		}
	}
	return 0;
}

/* Normalize the row into p->val and the extra pairs: NULL if it can be
 * imported, else why not (in reason). */
static const char *
normalize_row(struct rowprep *p, const struct st_csv_row *row, char *reason, size_t size)
{
	const struct imp *m = p->m;
	size_t i, need = 0;
	int f;

	if (st_import_row_bad(m->in, row, reason, size))
		return reason;
	for (f = 0; f < NF; f++)
		p->val[f] = NULL;
	p->nextra = 0;
	for (i = 0; i < m->ncols; i++)
		need += row->len[i] + 24;
	/* Reserve once so pointers into norm stay valid for the whole row. */
	st_buf_reset(&p->norm);
	st_buf_grow(&p->norm, need);
	p->hash = row_hash(m, row);
	for (i = 0; i < m->ncols; i++) {
		const char *s = row->f[i];
		size_t len = row->len[i];
		int n, lossy;
		char *out;

		f = m->colfield[i];
		if (f == COL_SKIP)
			continue;
		if (f == COL_EXTRA || p->val[f] != NULL) {
			add_extra(p, i, s, len);
			continue;
		}
		out = p->norm.s + p->norm.len;
		n = st_field_normalize(f, s, len, out, &lossy);
		if (n > 0) {
			p->val[f] = out;
			p->vlen[f] = (size_t)n;
			p->norm.len += (size_t)n + 1;
		}
		if (n < 0 || lossy)
			add_extra(p, i, s, len);
	}
	if (m->key_field >= 0 && p->val[m->key_field] == NULL)
		snprintf(reason, size, "no valid %s to match on", st_contact_fields[m->key_field].name);
	else if (m->key_field < 0 && p->val[m->phone_f] == NULL && p->val[m->email_f] == NULL)
		snprintf(reason, size, "no valid phone or email to match on");
	else
		return NULL;
	return reason;
}

/* The contact whose field f is v, in db (statements kept in cache, by field):
 * 1 and what it found, 0 if none, -1 on error. */
static int
lookup(sqlite3 *db, sqlite3_stmt **cache, int f, const char *v, size_t len, struct found *out,
    struct st_error *err)
{
	sqlite3_stmt *st = cache[f];
	int rc;

	if (st == NULL) {
		char sql[160];

		snprintf(sql, sizeof(sql), "SELECT id, src_hash FROM contacts WHERE %s = ? ORDER BY id "
		    "LIMIT 1", st_contact_fields[f].name);
		st = cache[f] = st_db_prepare(db, sql, err);
		if (st == NULL)
			return -1;
	}
	sqlite3_bind_text(st, 1, v, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->has_hash = sqlite3_column_type(st, 1) != SQLITE_NULL;
		out->hash = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc == SQLITE_ROW;
	return st_error_db(err, db, "cannot look up a contact");
}

static void
finalize_lookups(sqlite3_stmt *lk[NLOOKUP])
{
	int f;

	for (f = 0; f < NLOOKUP; f++)
		sqlite3_finalize(lk[f]);
}

/* The contact a row (its normalized fields val) names: by the key field, else
 * by phone, else by e-mail. As lookup. */
static int
find_contact(sqlite3 *db, sqlite3_stmt **cache, const struct imp *m, const char *const *val,
    const size_t *vlen, struct found *out, struct st_error *err)
{
	int found = 0;

	if (m->key_field >= 0)
		return lookup(db, cache, m->key_field, val[m->key_field], vlen[m->key_field], out, err);
	if (val[m->phone_f])
		found = lookup(db, cache, m->phone_f, val[m->phone_f], vlen[m->phone_f], out, err);
	if (found == 0 && val[m->email_f])
		found = lookup(db, cache, m->email_f, val[m->email_f], vlen[m->email_f], out, err);
	return found;
}

/* On the preparing thread: a row, encoded for decode_row. Either 'R' and why it
 * is rejected; or 'S', its hash and the contact (struct found) the same row
 * was merged into last, found by its key alone; or 'K', its hash, each field
 * (a 32-bit length, -1 for none, and the value with a NUL), what looking it up
 * ahead found (enum ahead, and struct found) and its extra columns as JSON. */
static int
encode_row(void *arg, const struct st_csv_row *row, struct st_buf *out, struct st_error *err)
{
	struct rowprep *p = arg;
	struct found c;
	char reason[512];
	int f, found = -1, ahead = AHEAD_NOT;

	memset(&c, 0, sizeof(c));   /* copied whole, padding too */

	/* Most rows of a weekly file are unchanged: only their key is normalized. */
	if (p->rdb && normalize_key(p, row)) {
		found = find_contact(p->rdb, p->lookup, p->m, p->val, p->vlen, &c, err);
		if (found < 0)
			return -1;
		if (found && same_row(&c, p->hash)) {
			st_buf_addc(out, 'S');
			st_buf_add(out, &p->hash, sizeof(p->hash));
			st_buf_add(out, &c, sizeof(c));
			return 0;
		}
	}
	if (normalize_row(p, row, reason, sizeof(reason)) != NULL) {
		st_buf_addc(out, 'R');
		st_buf_adds(out, reason);
		return 0;
	}
	st_buf_addc(out, 'K');
	st_buf_add(out, &p->hash, sizeof(p->hash));
	for (f = 0; f < NF; f++) {
		int32_t len = p->val[f] ? (int32_t)p->vlen[f] : -1;

		st_buf_add(out, &len, sizeof(len));
		if (p->val[f]) {
			st_buf_add(out, p->val[f], p->vlen[f]);
			st_buf_addc(out, '\0');
		}
	}
	/* Looked up above (a row with no valid key is rejected); else the writer looks. */
	if (found >= 0)
		ahead = found ? AHEAD_FOUND : AHEAD_NONE;
	st_buf_addc(out, ahead);
	st_buf_add(out, &c, sizeof(c));
	return encode_extra(p, out, err);
}

/* Take an encoded row as the current one: 1, or 0 and its reject reason. */
static int
decode_row(struct imp *m, const char *d, size_t len, const char **reason)
{
	const char *end = d + len;
	int f;

	if (*d == 'R') {
		*reason = d + 1;
		return 0;
	}
	memcpy(&m->hash, d + 1, sizeof(m->hash));
	if (*d == 'S') {
		for (f = 0; f < NF; f++) {
			m->val[f] = NULL;
			m->vlen[f] = 0;
		}
		m->ahead = AHEAD_SAME;
		memcpy(&m->ahead_found, d + 1 + sizeof(m->hash), sizeof(m->ahead_found));
		m->extra = NULL;
		m->extra_len = 0;
		return 1;
	}
	d += 1 + sizeof(m->hash);
	for (f = 0; f < NF; f++) {
		int32_t n;

		memcpy(&n, d, sizeof(n));
		d += sizeof(n);
		m->val[f] = n >= 0 ? d : NULL;
		m->vlen[f] = n >= 0 ? (size_t)n : 0;
		d += n >= 0 ? (size_t)n + 1 : 0;
	}
	m->ahead = (enum ahead)*d++;
	memcpy(&m->ahead_found, d, sizeof(m->ahead_found));
	d += sizeof(m->ahead_found);
	m->extra = d;
	m->extra_len = (size_t)(end - d);
	return 1;
}

/* Step an insert or update; a constraint failure rejects the row (1). */
static int
step_write(struct imp *m, sqlite3_stmt *st, const struct st_csv_row *row)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT && row) {
		if (reject(m, row, "conflicts with another contact: %s", sqlite3_errmsg(m->db)) < 0)
			return -1;
		return 1;
	}
	return fail_db(m, "cannot write a contact");
}

/* Add the batch's tags to contact id; 1 if any was new. */
static int
add_tags(struct imp *m, sqlite3_int64 id)
{
	size_t i;
	int added = 0;

	for (i = 0; i < m->ntags; i++) {
		sqlite3_reset(m->tag);
		sqlite3_bind_int64(m->tag, 1, id);
		sqlite3_bind_int64(m->tag, 2, m->tag_ids[i]);
		sqlite3_bind_int64(m->tag, 3, m->import_id);
		sqlite3_bind_text(m->tag, 4, m->now, -1, SQLITE_STATIC);
		if (sqlite3_step(m->tag) != SQLITE_DONE)
			return fail_db(m, "cannot tag a contact");
		added |= sqlite3_changes(m->db) > 0;
	}
	sqlite3_reset(m->tag);
	return added;
}

/* Step a statement that returns no rows. */
static int
step_done(struct imp *m, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail_db(m, what);
}

/* A row with a referral code makes the edge from the code's owner to contact id. */
static int
refer(struct imp *m, const struct st_csv_row *row, sqlite3_int64 id)
{
	struct st_referral_in in = { 0 };
	enum st_ref_outcome out;

	if (row == NULL || m->ref_col < 0)
		return 0;
	in.code = row->f[m->ref_col];
	in.referred = (long)id;
	in.import_id = m->import_id;
	if ((m->referrer == NULL && (m->referrer = st_referrer_new(m->db, m->err)) == NULL) ||
	    st_referrer_record(m->referrer, &in, &out, NULL, m->err) < 0)
		return -1;
	m->res->referred += out == ST_REF_RECORDED;
	m->res->ref_unknown += out == ST_REF_UNKNOWN;
	m->res->ref_ignored += out == ST_REF_ALREADY || out == ST_REF_SELF || out == ST_REF_LOOP;
	return 0;
}

/* What merging the current row into contact id would change: the fields
 * (a bit each) in *mask, and whether extra changes (its merged value then in
 * m->merged_extra); whether the contact has an extra row at all. */
static int
compare(struct imp *m, sqlite3_int64 id, uint64_t *mask, int *extra_changed, int *has_extra)
{
	sqlite3_stmt *st = m->differs.st;
	size_t olen, nlen;

	bind_row(m, &m->differs, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return fail_db(m, "cannot compare a contact");
	}
	*mask = (uint64_t)sqlite3_column_int64(st, 0);
	*has_extra = sqlite3_column_int(st, 1);
	olen = (size_t)sqlite3_column_bytes(st, 2);
	nlen = (size_t)sqlite3_column_bytes(st, 3);
	*extra_changed = olen != nlen || memcmp(sqlite3_column_blob(st, 2),
	    sqlite3_column_blob(st, 3), nlen) != 0;
	if (*extra_changed) {
		st_buf_reset(&m->merged_extra);
		st_buf_add(&m->merged_extra, sqlite3_column_blob(st, 3), nlen);
	}
	sqlite3_reset(st);
	return 0;
}

/* The statements that write a merge changing what mask says (fields and
 * MASK_EXTRA), a set for each mask. Past the cache's last place, which is
 * kept for it, the set for every field and extra serves: setting an unchanged
 * field to its merged value changes nothing, and logging it restores it as it
 * is. The UPDATE of contacts sets the fields in mask and the row's hash (an
 * UPDATE only rewrites the indexes of the columns it sets). The log records
 * their before-image for undo; a contact this batch created has none (undo
 * deletes it). The relog adds to the image this batch logged already, when
 * the file names a contact twice: json_insert keeps what the image has.
 * The UPDATEs of a merge (these, set_extra, rehash) each write one row, whose
 * constraints SQLite checks before it writes anything, and their triggers
 * cannot fail: OR FAIL then undoes as much as ABORT would, without the
 * statement journal (a copy of each page written) that ABORT keeps. */
static struct merge_stmts *
merge_stmts(struct imp *m, uint64_t mask)
{
	const uint64_t all = (((uint64_t)1 << NF) - 1) | MASK_EXTRA;
	const char *from = mask & MASK_EXTRA ? "FROM contacts c LEFT JOIN contact_extra e ON "
	    "e.contact_id = c.id" : "FROM contacts c";
	struct st_buf sql = { 0 };
	struct merge_stmts *s;
	size_t i;
	int f, rc;

	for (i = 0; i < m->nmerges; i++)
		if (m->merges[i].mask == mask)
			return &m->merges[i];
	if (m->nmerges >= sizeof(m->merges) / sizeof(m->merges[0]) - 1 && mask != all)
		return merge_stmts(m, all);
	s = &m->merges[m->nmerges];
	s->mask = mask;
	/* One row of VALUES, not INSERT ... SELECT, which SQLite runs with a
	 * statement journal (a copy of the page it writes); with no image (a contact
	 * this batch made) old is NULL and OR IGNORE skips the row. */
	st_buf_adds(&sql, "INSERT OR IGNORE INTO import_changes(import_id, contact_id, old) VALUES "
	    "(:import, :id, (SELECT json_object(");
	image_pairs(&sql, mask, "");
	st_buf_printf(&sql, ") %s WHERE c.id = :id AND c.import_id IS NOT :import))", from);
	rc = prep(m, &s->log, sql.s);
	st_buf_reset(&sql);
	st_buf_adds(&sql, "UPDATE OR FAIL import_changes SET old = json_insert(old, ");
	image_pairs(&sql, mask, "$.");
	st_buf_printf(&sql, ") %s WHERE import_changes.import_id = :import AND "
	    "import_changes.contact_id = :id AND c.id = :id", from);
	if (rc == 0)
		rc = prep(m, &s->relog, sql.s);
	st_buf_reset(&sql);
	st_buf_adds(&sql, "UPDATE OR FAIL contacts AS c SET ");
	for (f = 0; f < NF; f++) {
		if (!(mask & ((uint64_t)1 << f)))
			continue;
		st_buf_printf(&sql, "%s = ", st_contact_fields[f].name);
		merged(&sql, f, m->o->keep_existing);
		st_buf_adds(&sql, ", ");
	}
	st_buf_adds(&sql, "src_hash = :hash, last_import = :import, updated_at = :now WHERE id = :id");
	if (rc == 0)
		rc = prep(m, &s->upd, sql.s);
	st_buf_free(&sql);
	m->nmerges++;   /* its statements are finalized with the others, prepared or not */
	return rc < 0 ? NULL : s;
}

/* Write the merge of the current row into contact id, its before-image
 * logged first for undo: 0, 1 if the row was rejected (nothing written), -1. */
static int
write_merge(struct imp *m, sqlite3_int64 id, uint64_t mask, int extra_changed, int has_extra,
    const struct st_csv_row *row)
{
	struct merge_stmts *s = merge_stmts(m, mask | (extra_changed ? MASK_EXTRA : 0));
	sqlite3_stmt *st;
	int logged, rc;

	if (s == NULL)
		return -1;
	bind_row(m, &s->log, id);
	if (step_done(m, s->log.st, "cannot record a change") < 0)
		return -1;
	logged = sqlite3_changes(m->db) > 0;
	if (!logged) {
		bind_row(m, &s->relog, id);
		if (step_done(m, s->relog.st, "cannot record a change") < 0)
			return -1;
	}
	bind_row(m, &s->upd, id);
	rc = step_write(m, s->upd.st, row);
	if (rc > 0 && logged) {
		/* Rejected: a statement undoes itself; the log entry made for it goes. */
		sqlite3_bind_int64(m->unlog, 1, m->import_id);
		sqlite3_bind_int64(m->unlog, 2, id);
		if (step_done(m, m->unlog, "cannot roll back a row") < 0)
			return -1;
	}
	if (rc != 0 || !extra_changed)
		return rc;
	st = has_extra ? m->set_extra : m->ins_extra;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, m->merged_extra.s, (int)m->merged_extra.len, SQLITE_STATIC);
	if (step_done(m, st, "cannot write a contact") < 0)
		return -1;
	if (!has_extra)
		return 0;
	/* Changing extra clears the contact's src_hash (a trigger, for writers that
	 * do not know the hash): this row's hash goes back, so that the next
	 * import of the same row skips it. */
	sqlite3_bind_int64(m->rehash, 1, id);
	sqlite3_bind_int64(m->rehash, 2, (sqlite3_int64)m->hash);
	return step_done(m, m->rehash, "cannot write a contact");
}

/* Merge the current row into existing contact id: if that changes it, log
 * its before-image for undo and write it. */
static int
merge_into(struct imp *m, sqlite3_int64 id, int same_hash, const struct st_csv_row *row)
{
	uint64_t mask = 0;
	int extra_changed = 0, has_extra = 0, changed, rc;

	if (!same_hash && compare(m, id, &mask, &extra_changed, &has_extra) < 0)
		return -1;
	changed = mask != 0 || extra_changed;
	if (changed) {
		rc = write_merge(m, id, mask, extra_changed, has_extra, row);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		if (id <= m->nwritten)
			m->written[id / 8] |= (unsigned char)(1u << (id % 8));
	}
	rc = add_tags(m, id);
	if (rc < 0)
		return -1;
	if (changed || rc)
		m->res->updated++;
	else
		m->res->unchanged++;
	return refer(m, row, id);
}

/* Encode an 'S' row again on this thread, in full (fields and extra), as the
 * current row. */
static int
encode_late(struct imp *m, const struct st_csv_row *row)
{
	const char *reason;

	if (m->late == NULL) {
		m->late = st_xcalloc(1, sizeof(*m->late));
		if (prep_open(m->late, m, m->err) < 0)
			return -1;
	}
	st_buf_reset(&m->late_row);
	if (encode_row(m->late, row, &m->late_row, m->err) < 0)
		return -1;
	return decode_row(m, m->late_row.s, m->late_row.len, &reason) ? 0 :
	    st_error_set(m->err, ST_EXIT_FAIL, "a row read twice differs: %s", reason);
}

/* Has this batch written contact id (or made it: ids past the map)? */
static int
was_written(const struct imp *m, sqlite3_int64 id)
{
	return id > m->nwritten || (m->written[id / 8] & (1u << (id % 8)));
}

static int
import_row(struct imp *m, const struct st_csv_row *row, const char *data, size_t len)
{
	struct found c = { 0 };
	sqlite3_int64 id;
	int found = 0, rc;
	const char *reason;

	if (!decode_row(m, data, len, &reason))
		return reject(m, row, "%s", reason);
	if ((m->ahead == AHEAD_FOUND || m->ahead == AHEAD_SAME) && !was_written(m,
	    m->ahead_found.id)) {
		c = m->ahead_found;
		found = 1;
	} else if (!m->bulk) {
		/* Not looked up ahead, nobody found ahead (this batch may have made
		 * them), or a contact this batch wrote already: the row is compared,
		 * in full. */
		if (m->ahead == AHEAD_SAME && encode_late(m, row) < 0)
			return -1;
		found = find_contact(m->db, m->lookup, m, m->val, m->vlen, &c, m->err);
		if (found < 0)
			return -1;
	}
	if (found)
		return merge_into(m, c.id, same_row(&c, m->hash), row);
	bind_row(m, &m->ins, 0);
	rc = step_write(m, m->ins.st, row);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	id = sqlite3_last_insert_rowid(m->db);
	sqlite3_bind_int64(m->ins_extra, 1, id);
	sqlite3_bind_text(m->ins_extra, 2, m->extra, (int)m->extra_len, SQLITE_STATIC);
	if (step_done(m, m->ins_extra, "cannot write a contact") < 0)
		return -1;
	m->res->inserted++;
	return add_tags(m, id) < 0 ? -1 : refer(m, row, id);
}

/* Indexes on contacts, dropped for a bulk load and rebuilt after it. */
struct saved_index {
	char **name, **sql;
	size_t n;
};

static int
drop_indexes(struct imp *m, struct saved_index *si)
{
	/* A partial index (WHERE x IS NOT NULL) on fields no column fills gets no
	 * entries: it stays, and is not rebuilt by reading the whole table. */
	sqlite3_stmt *st = st_db_prepare(m->db, "SELECT name, sql FROM sqlite_master m WHERE type = "
	    "'index' AND tbl_name = 'contacts' AND sql IS NOT NULL AND NOT ("
	    "(SELECT partial FROM pragma_index_list('contacts') l WHERE l.name = m.name) AND "
	    "NOT EXISTS (SELECT 1 FROM pragma_index_info(m.name) i WHERE i.name IS NULL OR "
	    "i.name NOT IN (SELECT value FROM json_each(?1))))", m->err);
	json_t *unfilled = json_array();
	char *list;
	size_t i;
	int f;

	if (st == NULL) {
		json_decref(unfilled);
		return -1;
	}
	for (f = 0; f < NF; f++) {
		for (i = 0; i < m->ncols && m->colfield[i] != f; i++)
			;
		if (i == m->ncols)
			json_array_append_new(unfilled, json_string(st_contact_fields[f].name));
	}
	list = json_dumps(unfilled, JSON_COMPACT);
	json_decref(unfilled);
	sqlite3_bind_text(st, 1, list, -1, free);
	while (sqlite3_step(st) == SQLITE_ROW) {
		si->name = st_xrealloc(si->name, (si->n + 1) * sizeof(*si->name));
		si->sql = st_xrealloc(si->sql, (si->n + 1) * sizeof(*si->sql));
		si->name[si->n] = st_xstrdup((const char *)sqlite3_column_text(st, 0));
		si->sql[si->n] = st_xstrdup((const char *)sqlite3_column_text(st, 1));
		si->n++;
	}
	sqlite3_finalize(st);
	for (i = 0; i < si->n; i++) {
		char *sql = sqlite3_mprintf("DROP INDEX \"%w\"", si->name[i]);
		int rc = st_db_exec(m->db, sql, m->err);

		sqlite3_free(sql);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Read contact id back as the current row (for merging in-file duplicates). */
static int
load_contact(struct imp *m, sqlite3_stmt *st, sqlite3_int64 id)
{
	size_t total;
	int f;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return fail_db(m, "cannot read a duplicate contact");
	/* Reserve room for every field at once: val[] points into norm. */
	st_buf_reset(&m->norm);
	for (f = 0, total = 0; f < NF; f++) {
		sqlite3_column_text(st, f);
		total += (size_t)sqlite3_column_bytes(st, f) + 1;
	}
	st_buf_grow(&m->norm, total);
	for (f = 0; f < NF; f++) {
		const char *v = (const char *)sqlite3_column_text(st, f);
		size_t n = (size_t)sqlite3_column_bytes(st, f);

		m->val[f] = v ? m->norm.s + m->norm.len : NULL;
		m->vlen[f] = n;
		if (v) {
			memcpy(m->norm.s + m->norm.len, v, n);
			m->norm.s[m->norm.len + n] = '\0';
			m->norm.len += n + 1;
		}
	}
	st_buf_reset(&m->extra_buf);
	st_buf_add(&m->extra_buf, sqlite3_column_text(st, NF), (size_t)sqlite3_column_bytes(st, NF));
	m->extra = m->extra_buf.s;
	m->extra_len = m->extra_buf.len;
	m->hash = (uint64_t)sqlite3_column_int64(st, NF + 1);
	return 0;
}

/* After a bulk load: merge rows of the file that share a key into the first. */
static int
merge_duplicates(struct imp *m)
{
	const char *key = st_contact_fields[m->key_field].name;
	struct st_buf sql = { 0 };
	sqlite3_stmt *dups, *get = NULL, *keeper_hash = NULL, *moves = NULL, *del = NULL;
	sqlite3_int64 keeper = 0;
	char *prevkey = NULL;
	int f, rc = -1;

	st_buf_printf(&sql, "SELECT id, %s FROM contacts WHERE %s IN (SELECT %s FROM contacts "
	    "WHERE %s IS NOT NULL GROUP BY %s HAVING count(*) > 1) ORDER BY %s, id", key, key, key,
	    key, key, key);
	dups = st_db_prepare(m->db, sql.s, m->err);
	st_buf_reset(&sql);
	st_buf_adds(&sql, "SELECT ");
	for (f = 0; f < NF; f++)
		st_buf_printf(&sql, "c.%s, ", st_contact_fields[f].name);
	st_buf_adds(&sql, "coalesce(e.extra, '{}'), c.src_hash FROM contacts c LEFT JOIN "
	    "contact_extra e ON "
	    "e.contact_id = c.id WHERE c.id = ?");
	if (dups)
		get = st_db_prepare(m->db, sql.s, m->err);
	if (get)
		keeper_hash = st_db_prepare(m->db, "SELECT src_hash FROM contacts WHERE id = ?", m->err);
	if (keeper_hash)
		moves = st_db_prepare(m->db, "UPDATE OR IGNORE contact_tags SET contact_id = ?1 "
		    "WHERE contact_id = ?2", m->err);
	if (moves)
		del = st_db_prepare(m->db, "DELETE FROM contacts WHERE id = ?", m->err);
	st_buf_free(&sql);
	if (del == NULL)
		goto out;
	while ((rc = sqlite3_step(dups)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(dups, 0);
		const unsigned char *prev = sqlite3_column_text(dups, 1);
		int same;

		if (prevkey == NULL || strcmp(prevkey, (const char *)prev) != 0) {
			free(prevkey);
			prevkey = st_xstrdup((const char *)prev);
			keeper = id;
			continue;
		}
		if (load_contact(m, get, id) < 0)
			goto fail;
		sqlite3_reset(keeper_hash);
		sqlite3_bind_int64(keeper_hash, 1, keeper);
		same = sqlite3_step(keeper_hash) == SQLITE_ROW &&
		    (uint64_t)sqlite3_column_int64(keeper_hash, 0) == m->hash;
		sqlite3_reset(keeper_hash);
		m->res->inserted--;
		if (merge_into(m, keeper, same, NULL) < 0)
			goto fail;
		sqlite3_reset(moves);
		sqlite3_bind_int64(moves, 1, keeper);
		sqlite3_bind_int64(moves, 2, id);
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, id);
		if (sqlite3_step(moves) != SQLITE_DONE || sqlite3_step(del) != SQLITE_DONE) {
			fail_db(m, "cannot merge a duplicate row");
			goto fail;
		}
		sqlite3_reset(moves);
		sqlite3_reset(del);
	}
	if (rc != SQLITE_DONE) {
		fail_db(m, "cannot find duplicate rows");
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	free(prevkey);
	sqlite3_finalize(dups);
	sqlite3_finalize(get);
	sqlite3_finalize(keeper_hash);
	sqlite3_finalize(moves);
	sqlite3_finalize(del);
	return rc;
}

static int
restore_indexes(struct imp *m, struct saved_index *si)
{
	size_t i;

	/* SQLite sorts index keys in runs the size of the page cache: runs that fit
	 * the CPU's cache sort ~1.5x faster than the load's 16 MB ones. */
	sqlite3_exec(m->db, "PRAGMA cache_size = -1024", NULL, NULL, NULL);
	/* The key's unique index fails if the file repeated a key: merge, then retry. */
	for (i = 0; i < si->n; i++) {
		if (sqlite3_exec(m->db, si->sql[i], NULL, NULL, NULL) == SQLITE_OK)
			continue;
		if ((sqlite3_errcode(m->db) & 0xff) != SQLITE_CONSTRAINT)
			return fail_db(m, "cannot rebuild an index");
		if (merge_duplicates(m) < 0 || st_db_exec(m->db, si->sql[i], m->err) < 0)
			return -1;
	}
	return 0;
}

static void
saved_index_free(struct saved_index *si)
{
	size_t i;

	for (i = 0; i < si->n; i++) {
		free(si->name[i]);
		free(si->sql[i]);
	}
	free(si->name);
	free(si->sql);
}

int
st_import_batch_start(sqlite3 *db, const char *kind, const struct st_import_opts *o,
    const char *now, long *id, struct st_error *err)
{
	json_t *opts = json_object(), *tags = json_array(), *maps = json_array();
	char *text;
	size_t i;
	long rc;

	for (i = 0; o->tags && o->tags[i]; i++)
		json_array_append_new(tags, json_string(o->tags[i]));
	for (i = 0; o->maps && o->maps[i]; i++)
		json_array_append_new(maps, json_string(o->maps[i]));
	json_object_set_new(opts, "key", o->key ? json_string(o->key) : json_null());
	json_object_set_new(opts, "keep_existing", json_boolean(o->keep_existing));
	json_object_set_new(opts, "tags", tags);
	json_object_set_new(opts, "map", maps);
	if (o->event > 0)
		json_object_set_new(opts, "event", json_integer(o->event));
	if (o->shift > 0)
		json_object_set_new(opts, "shift", json_integer(o->shift));
	if (o->tz)
		json_object_set_new(opts, "tz", json_string(o->tz));
	text = json_dumps(opts, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(opts);
	rc = st_db_execf(db, err, "INSERT INTO imports(kind, file, source, options, started_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)", "ttttt", kind, o->name, o->source, text, now);
	free(text);
	if (rc < 0)
		return -1;
	*id = (long)sqlite3_last_insert_rowid(db);
	return 0;
}

static int
make_tags(struct imp *m)
{
	sqlite3_stmt *ins, *get;
	size_t i;

	m->ntags = st_strv_len(m->o->tags);
	m->tag_ids = st_xcalloc(m->ntags + 1, sizeof(*m->tag_ids));
	ins = st_db_prepare(m->db, "INSERT INTO tags(name) VALUES (?) ON CONFLICT(name) DO NOTHING",
	    m->err);
	get = ins ? st_db_prepare(m->db, "SELECT id FROM tags WHERE name = ?", m->err) : NULL;
	for (i = 0; get && i < m->ntags; i++) {
		sqlite3_reset(ins);
		sqlite3_reset(get);
		sqlite3_bind_text(ins, 1, m->o->tags[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 1, m->o->tags[i], -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(get) != SQLITE_ROW) {
			fail_db(m, "cannot create tag");
			sqlite3_finalize(get);
			get = NULL;
			break;
		}
		m->tag_ids[i] = sqlite3_column_int64(get, 0);
	}
	sqlite3_finalize(ins);
	if (get == NULL)
		return -1;
	sqlite3_finalize(get);
	return 0;
}

int
st_import_batch_finish(sqlite3 *db, long id, const struct st_import_result *r,
    struct st_out *rejects, const char *analyze, struct st_error *err)
{
	char now[21];

	if (rejects && st_out_flush(rejects) < 0)
		return st_error_set(err, ST_EXIT_FAIL, "cannot write the rejects file: %s",
		    strerror(errno));
	st_now_iso(now);
	if (st_db_execf(db, err, "UPDATE imports SET finished_at = ?1, rows_read = ?2, inserted = ?3, "
	    "updated = ?4, unchanged = ?5, rejected = ?6 WHERE id = ?7", "tiiiiii", now, r->read,
	    r->inserted, r->updated, r->unchanged, r->rejected, id) < 0)
		return -1;
	/* Planner statistics so segments start from the most selective index; sampled
	 * ones misjudge columns with few values, such as the language. */
	return st_db_exec(db, analyze, err);
}

static int
is_empty(struct imp *m, int *empty)
{
	sqlite3_stmt *st = st_db_prepare(m->db, "SELECT NOT EXISTS (SELECT 1 FROM contacts)", m->err);

	if (st == NULL)
		return -1;
	*empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Bulk loads are for external ids, which voter files carry and rows never share. */
static int
bulk_key(const struct imp *m)
{
	return m->key_field >= 0 && (strcmp(st_contact_fields[m->key_field].name, "voter_id") == 0 ||
	    strcmp(st_contact_fields[m->key_field].name, "van_id") == 0);
}

/* Switch the journal mode; 1 if it is now mode. */
static int
set_journal(sqlite3 *db, const char *mode)
{
	char sql[40];
	sqlite3_stmt *st;
	int ok = 0;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", mode);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), mode) == 0;
	sqlite3_finalize(st);
	return ok;
}

/* Put back what st_import_contacts changed on the connection for a batch. */
static void
restore_conn(sqlite3 *db, int journal, int fk_off)
{
	if (journal)
		set_journal(db, "wal");
	if (fk_off)
		sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
}

static int
prep_open(struct rowprep *p, const struct imp *m, struct st_error *err)
{
	p->m = m;
	p->val = st_xcalloc((size_t)NF, sizeof(*p->val));
	p->vlen = st_xcalloc((size_t)NF, sizeof(*p->vlen));
	p->ecol = st_xcalloc(m->ncols + 1, sizeof(*p->ecol));
	p->ncolw = m->ncols / 64 + 1;
	p->cols = st_xcalloc(p->ncolw, sizeof(*p->cols));
	p->eval = st_xcalloc(m->ncols + 1, sizeof(*p->eval));
	p->elen = st_xcalloc(m->ncols + 1, sizeof(*p->elen));
	p->json_k = st_xcalloc(m->ncols + 2, sizeof(*p->json_k));
	if (sqlite3_open_v2(":memory:", &p->jdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return st_error_db(err, p->jdb, "cannot open an in-memory database");
	return 0;
}

static void
prep_free(struct rowprep *p)
{
	size_t i;

	for (i = 0; p->json_k && i < p->m->ncols + 2; i++)
		sqlite3_finalize(p->json_k[i]);
	for (i = 0; i < p->njson_set; i++) {
		sqlite3_finalize(p->json_set[i].st);
		free(p->json_set[i].cols);
	}
	free(p->cols);
	finalize_lookups(p->lookup);
	sqlite3_close(p->rdb);
	sqlite3_close(p->jdb);
	free(p->json_k);
	free(p->val);
	free(p->vlen);
	free(p->ecol);
	free(p->eval);
	free(p->elen);
	st_buf_free(&p->norm);
	memset(p, 0, sizeof(*p));
}

/* Let the preparing thread look rows up ahead (see rowprep.rdb), if the
 * batch merges on a unique id into a database in WAL mode; call inside the
 * batch's transaction, before it writes. Best effort: without, import_row
 * looks every row up itself. */
static void
look_ahead(struct rowprep *p, struct imp *m)
{
	const char *path = sqlite3_db_filename(m->db, "main");
	struct st_error e = { 0 };
	char *mode = NULL;
	long max = 0;
	int rc;

	if (m->bulk || !bulk_key(m) || path == NULL || *path == '\0')
		return;
	mode = st_db_textf(m->db, &e, &rc, "PRAGMA journal_mode", "");
	if (mode == NULL || strcmp(mode, "wal") != 0 ||
	    st_db_scalarf(m->db, &e, &max, "SELECT coalesce(max(id), 0) FROM contacts", "") < 0 ||
	    sqlite3_open_v2(path, &p->rdb, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK || sqlite3_exec(p->rdb, "PRAGMA cache_size = -16384; BEGIN; "
	    "SELECT count(*) FROM (SELECT 1 FROM contacts LIMIT 1)", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(p->rdb);
		p->rdb = NULL;
		free(mode);
		return;
	}
	free(mode);
	m->nwritten = max;
	m->written = st_xcalloc((size_t)max / 8 + 1, 1);
}

static void
imp_free(struct imp *m)
{
	size_t i;

	sqlite3_finalize(m->ins.st);
	sqlite3_finalize(m->differs.st);
	for (i = 0; i < m->nmerges; i++) {
		sqlite3_finalize(m->merges[i].log.st);
		sqlite3_finalize(m->merges[i].relog.st);
		sqlite3_finalize(m->merges[i].upd.st);
	}
	sqlite3_finalize(m->tag);
	sqlite3_finalize(m->set_extra);
	sqlite3_finalize(m->rehash);
	sqlite3_finalize(m->unlog);
	st_referrer_free(m->referrer);
	finalize_lookups(m->lookup);
	sqlite3_finalize(m->ins_extra);
	for (i = 0; m->extra_key && i < m->ncols; i++)
		free(m->extra_key[i]);
	free(m->extra_key);
	free(m->colfield);
	free(m->tag_ids);
	free(m->val);
	free(m->vlen);
	free(m->written);
	if (m->late)
		prep_free(m->late);
	free(m->late);
	st_buf_free(&m->late_row);
	st_buf_free(&m->norm);
	st_buf_free(&m->extra_buf);
	st_buf_free(&m->merged_extra);
	st_csvin_close(m->in);
}

int
st_import_contacts(sqlite3 *db, const struct st_import_opts *o, struct st_import_result *res,
    struct st_error *err)
{
	struct imp m = { 0 };
	struct saved_index si = { 0 };
	struct rowprep p = { 0 };
	struct st_rowpipe *pipe = NULL;
	struct st_csv_row *row;
	const char *data;
	size_t len;
	long fk = 0;
	int rc, empty = 0, journal = 0, fk_off = 0;

	memset(res, 0, sizeof(*res));
	m.db = db;
	m.o = o;
	m.err = err;
	m.res = res;
	st_now_iso(m.now);
	m.in = st_csvin_open(o->fp, o->name, &o->csv, err);
	if (m.in == NULL)
		return -1;
	m.ncols = st_csvin_ncols(m.in);
	m.names = st_csvin_names(m.in);
	m.val = st_xcalloc((size_t)NF, sizeof(*m.val));
	m.vlen = st_xcalloc((size_t)NF, sizeof(*m.vlen));
	if (o->rejects)
		st_out_reject_columns(o->rejects, m.names, m.ncols, st_csvin_is_jsonl(m.in));
	if (map_columns(&m) < 0) {
		imp_free(&m);
		return -1;
	}
	m.ref_col = st_referral_column(m.names, m.ncols);
	/* A first load into an empty table writes the pages once, straight into the
	 * database, under a rollback journal (which holds next to nothing), rather
	 * than through the WAL and a checkpoint. Needs no other connection open. */
	if (bulk_key(&m) && is_empty(&m, &empty) == 0 && empty)
		journal = set_journal(db, "delete");
	/* Merging keeps statement and savepoint journals (a few pages a row) in
	 * memory, not in a temp file written page by page; a bulk load keeps the
	 * default, so that building its indexes sorts on disk, not in memory. Set
	 * outside the transaction to take effect. */
	sqlite3_exec(db, empty && bulk_key(&m) ? "PRAGMA temp_store = DEFAULT" :
	    "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	/* A merge writes only contacts it found or made, under this batch, with
	 * tags it made, and deletes no contact: checking each write's foreign keys
	 * again would cost each a statement journal (a copy of every page it
	 * changes). Not for a bulk load, whose merge of repeated keys deletes
	 * contacts. Only takes outside a transaction; put back at the end. */
	if (!(empty && bulk_key(&m)) && sqlite3_get_autocommit(db) &&
	    st_db_scalarf(db, err, &fk, "PRAGMA foreign_keys", "") > 0 && fk)
		fk_off = sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) == SQLITE_OK;
	if (st_db_begin(db, err) < 0) {
		restore_conn(db, journal, fk_off);
		imp_free(&m);
		return -1;
	}
	/* A bigger page cache for the load, still well under the memory budget. */
	sqlite3_exec(db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
	if (st_import_batch_start(db, "contacts", o, m.now, &m.import_id, err) < 0 || make_tags(&m) < 0 || prepare(&m) < 0 || is_empty(&m, &empty) < 0)
		goto fail;
	if (empty && bulk_key(&m)) {
		m.bulk = 1;
		if (drop_indexes(&m, &si) < 0)
			goto fail;
	}
	if (prep_open(&p, &m, err) < 0)
		goto fail;
	look_ahead(&p, &m);
	if ((pipe = st_rowpipe_start(m.in, encode_row, &p, err)) == NULL)
		goto fail;
	while ((rc = st_rowpipe_next(pipe, &row, &data, &len, err)) > 0) {
		res->read++;
		if (import_row(&m, row, data, len) < 0)
			goto fail;
		if ((res->read & 0xffff) == 0 && m.bulk)
			st_db_writeback(db);
		if (o->progress && (res->read & 0xffff) == 0)
			o->progress(o->progress_arg, st_rowpipe_offset(pipe), res->read);
	}
	st_rowpipe_stop(pipe);
	pipe = NULL;
	prep_free(&p);
	if (rc < 0)
		goto fail;
	if (m.bulk && restore_indexes(&m, &si) < 0)
		goto fail;
	if (m.bulk)
		st_db_writeback(db);
	if (st_import_batch_finish(db, m.import_id, res, o->rejects, "PRAGMA analysis_limit = 0; "
	    "ANALYZE contacts; ANALYZE contact_tags", err) < 0)
		goto fail;
	if (o->dry_run) {
		st_db_rollback(db);
	} else if (st_db_commit(db, err) < 0) {
		goto fail;
	} else {
		res->id = m.import_id;
	}
	restore_conn(db, journal, fk_off);
	saved_index_free(&si);
	imp_free(&m);
	return 0;
fail:
	st_rowpipe_stop(pipe);
	prep_free(&p);
	st_db_rollback(db);
	restore_conn(db, journal, fk_off);
	saved_index_free(&si);
	imp_free(&m);
	return -1;
}

int
st_import_undo(sqlite3 *db, long id, long *restored, long *deleted, struct st_error *err)
{
	struct st_buf sql = { 0 };
	long v, r = 0, d = 0, n = 0;
	int f, rc;

	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_scalarf(db, err, &v, "SELECT undone_at IS NOT NULL FROM imports WHERE id = ?1",
	    "i", id);
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		st_error_set(err, ST_EXIT_FAIL, "no import %ld", id);
		goto fail;
	}
	if (v) {
		st_error_set(err, ST_EXIT_FAIL, "import %ld was undone already", id);
		goto fail;
	}
	/* A later batch that changed or tagged the same contacts must be undone first. */
	rc = st_db_scalarf(db, err, &v, "WITH mine(cid) AS (SELECT id FROM contacts WHERE "
	    "import_id = ?1 UNION SELECT contact_id FROM import_changes WHERE import_id = ?1) "
	    "SELECT max(b) FROM (SELECT max(c.import_id) AS b FROM import_changes c JOIN mine "
	    "ON c.contact_id = mine.cid WHERE c.import_id > ?1 "
	    "UNION ALL SELECT max(t.import_id) FROM contact_tags t JOIN mine "
	    "ON t.contact_id = mine.cid WHERE t.import_id > ?1) JOIN imports i ON i.id = b "
	    "WHERE i.undone_at IS NULL", "i", id);
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		st_error_set(err, ST_EXIT_FAIL, "import %ld changed contacts that import %ld changed "
		    "later; undo %ld first", id, v, v);
		goto fail;
	}
	if (st_import_undo_activity(db, id, &r, &d, err) < 0)
		goto fail;
	if (st_db_execf(db, err, "DELETE FROM contact_tags WHERE import_id = ?1", "i", id) < 0)
		goto fail;
	/* A before-image holds what the batch changed (the bookkeeping always): the
	 * rest is left as it is now. */
	st_buf_adds(&sql, "UPDATE contacts SET ");
	for (f = 0; f < NF; f++)
		st_buf_printf(&sql, "%s = CASE WHEN json_type(c.old, '$.%s') IS NULL THEN contacts.%s "
		    "ELSE json_extract(c.old, '$.%s') END, ", st_contact_fields[f].name,
		    st_contact_fields[f].name, st_contact_fields[f].name, st_contact_fields[f].name);
	st_buf_adds(&sql, "source = json_extract(c.old, '$.source'), updated_at = json_extract(c.old, "
	    "'$.updated_at'), last_import = json_extract(c.old, '$.last_import'), src_hash = "
	    "json_extract(c.old, '$.src_hash') FROM import_changes c WHERE c.import_id = ?1 AND "
	    "contacts.id = c.contact_id");
	/* Extra first: its trigger clears src_hash, which the contacts update restores. */
	rc = st_db_execf(db, err, "UPDATE contact_extra SET extra = json_extract(c.old, '$.extra') "
	    "FROM import_changes c WHERE c.import_id = ?1 AND contact_extra.contact_id = "
	    "c.contact_id AND json_type(c.old, '$.extra') IS NOT NULL", "i", id) < 0 ? -1 : 0;
	if (rc == 0 && (n = st_db_execf(db, err, sql.s, "i", id)) < 0)
		rc = -1;
	r += n;
	st_buf_free(&sql);
	if (rc < 0 || (n = st_db_execf(db, err, "DELETE FROM contacts WHERE import_id = ?1", "i",
	    id)) < 0)
		goto fail;
	d += n;
	if (st_db_execf(db, err, "UPDATE imports SET undone_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now') WHERE id = ?1", "i", id) < 0)
		goto fail;
	if (st_db_commit(db, err) < 0)
		return -1;
	if (restored)
		*restored = r;
	if (deleted)
		*deleted = d;
	return 0;
fail:
	st_db_rollback(db);
	return -1;
}
