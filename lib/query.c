#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/query.h"
#include "st/util.h"

/* "now" in the stored time format. */
#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

const struct st_filter_def st_filters[] = {
	{ "attended-min", ST_ARG_INT, "N", "attended N or more shifts",
	  "c.attended >= CAST(@ AS INTEGER)" },
	{ "attended-within", ST_ARG_INT, "DAYS", "attended a shift in the last DAYS days",
	  "EXISTS (SELECT 1 FROM attendance a JOIN shifts s ON s.id = a.shift_id WHERE "
	  "a.contact_id = c.id AND a.status = 'attended' AND s.starts_at >= strftime("
	  "'%Y-%m-%dT%H:%M:%SZ', 'now', '-' || @ || ' days'))" },
	{ "campaign", ST_ARG_TEXT, "NAME[,NAME...]", "was texted in one of these st-text campaigns "
	  "(queued or sent, not failed)", "EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id "
	  "AND m.direction = 'out' AND m.campaign IN (@) AND m.status NOT IN ('failed', 'cancelled'))" },
	{ "event-kind", ST_ARG_TEXT, "KIND[,KIND...]", "RSVP'd to or attended an event of a kind",
	  "EXISTS (SELECT 1 FROM shifts s JOIN events e ON e.id = s.event_id WHERE e.kind IN (@) "
	  "AND (s.id IN (SELECT shift_id FROM rsvps r WHERE r.contact_id = c.id AND r.status IN "
	  "('yes', 'maybe', 'waitlisted')) OR s.id IN (SELECT shift_id FROM attendance a WHERE "
	  "a.contact_id = c.id AND a.status = 'attended')))" },
	{ "has-email", ST_ARG_NONE, NULL, "has a valid e-mail address", "c.email IS NOT NULL" },
	{ "has-phone", ST_ARG_NONE, NULL, "has a valid phone number", "c.phone IS NOT NULL" },
	{ "id", ST_ARG_INTS, "ID[,ID...]", "contact id is one of these", "c.id IN (@)" },
	{ "import", ST_ARG_INTS, "ID[,ID...]", "created or changed by import batch ID",
	  "(c.import_id IN (@) OR c.id IN (SELECT contact_id FROM import_changes "
	  "WHERE import_id IN (@)))" },
	{ "level", ST_ARG_INTS, "N[,N...]", "engagement level is one of these (0 contact, 1 attended "
	  "once, 2 attended twice or more, 3 host or lead)", "c.level IN (@)" },
	{ "no-show-min", ST_ARG_INT, "N", "RSVP'd yes to N or more shifts that ended without them",
	  "(SELECT count(*) FROM rsvps r JOIN shifts s ON s.id = r.shift_id WHERE r.contact_id = "
	  "c.id AND r.status = 'yes' AND s.status = 'active' AND s.ends_at <= " NOW " AND NOT "
	  "EXISTS (SELECT 1 FROM attendance a WHERE a.contact_id = c.id AND a.shift_id = "
	  "r.shift_id AND a.status = 'attended')) >= CAST(@ AS INTEGER)" },
	{ "lang", ST_ARG_LANG, "LANG[,LANG...]", "preferred language is one of these (es, Spanish, ...)",
	  "c.lang IN (@)" },
	{ "not-tag", ST_ARG_TEXT, "NAME[,NAME...]", "tagged with none of the tags",
	  "NOT EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
	  "WHERE ct.contact_id = c.id AND t.name IN (@))" },
	{ "organizer", ST_ARG_INTS, "ID[,ID...]", "the contact's organizer is one of these contacts",
	  "c.organizer_id IN (@)" },
	{ "recruits-min", ST_ARG_INT, "N", "brought N or more people in directly (st-refmap)",
	  "(CAST(@ AS INTEGER) <= 0 OR c.id IN (SELECT referrer_id FROM referrals GROUP BY "
	  "referrer_id HAVING count(*) >= CAST(@ AS INTEGER)))" },
	{ "referred-by", ST_ARG_INTS, "ID[,ID...]", "brought in directly by one of these contacts "
	  "(st-refmap)", "c.id IN (SELECT referred_id FROM referrals WHERE referrer_id IN (@))" },
	{ "rsvp", ST_ARG_RSVP, "[event:|shift:]ID", "has a live RSVP (yes, maybe, waitlisted) to "
	  "event ID (or shift ID); with --rsvp-status, one in that status", NULL },
	{ "rsvp-status", ST_ARG_TEXT, "STATUS[,STATUS...]", "has an RSVP in one of these statuses "
	  "(yes, maybe, no, cancelled, waitlisted); with --rsvp, to that event or shift",
	  "EXISTS (SELECT 1 FROM rsvps r WHERE r.contact_id = c.id AND r.status IN (@))" },
	{ "segment", ST_ARG_SEGMENT, "NAME", "in saved segment NAME (the same as @NAME)", NULL },
	{ "sent-within", ST_ARG_INT, "DAYS", "was sent a message in the last DAYS days",
	  "EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.direction = 'out' AND "
	  "m.status IN ('sent', 'delivered', 'undelivered') AND m.created_at >= strftime("
	  "'%Y-%m-%dT%H:%M:%SZ', 'now', '-' || @ || ' days'))" },
	{ "sms-ok", ST_ARG_NONE, NULL, "can be texted: has a phone and has not opted out of SMS",
	  "(c.phone IS NOT NULL AND c.sms_status IS NOT 'opted_out')" },
	{ "source", ST_ARG_TEXT, "NAME[,NAME...]", "came from one of these sources", "c.source IN (@)" },
	{ "texted-us-within", ST_ARG_INT, "DAYS", "texted us in the last DAYS days",
	  "EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.direction = 'in' AND "
	  "m.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || @ || ' days'))" },
	{ "unanswered", ST_ARG_NONE, NULL, "has texted us and is waiting for an answer (st-text inbox)",
	  "EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.direction = 'in' AND "
	  "m.handled_at IS NULL)" },
	/* EXISTS, not IN (...): it lets the planner start from a more selective index. */
	{ "upcoming-shift", ST_ARG_NONE, NULL, "has a live RSVP to a shift that has not started",
	  "EXISTS (SELECT 1 FROM rsvps r JOIN shifts s ON s.id = r.shift_id JOIN events e ON "
	  "e.id = s.event_id WHERE r.contact_id = c.id AND r.status IN ('yes', 'maybe', "
	  "'waitlisted') AND s.status = 'active' AND e.status = 'active' AND s.starts_at > " NOW ")" },
	{ "tag", ST_ARG_TEXT, "NAME[,NAME...]", "tagged with any of the tags (repeat for all)",
	  "EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
	  "WHERE ct.contact_id = c.id AND t.name IN (@))" },
	{ "where", ST_ARG_WHERE, "FIELD=VALUE", "a contact or extra field equals (or with != "
	  "differs from) VALUE; an empty VALUE means missing", NULL },
	{ "zip", ST_ARG_ZIP, "ZIP[,ZIP...]", "5-digit ZIP code is one of these", "c.zip IN (@)" },
};

const size_t st_nfilters = sizeof(st_filters) / sizeof(st_filters[0]);

static const char *const default_columns = "id,first_name,last_name,phone,email,zip,lang";

/* Columns of contacts a query may name directly (besides st_contact_fields). */
static const char *const plain_columns[] = { "id", "source", "created_at", "updated_at",
	"import_id", "last_import", "level", "attended", "role", "organizer_id", NULL };

#define EXTRA_OF_C "(SELECT e.extra FROM contact_extra e WHERE e.contact_id = c.id)"

struct cond {
	const struct st_filter_def *def;
	char *value;         /* as given, for saving */
	char **args;         /* normalized arguments to bind */
	char *sql;           /* the condition with placeholders */
};

struct st_query {
	struct cond *c;
	size_t n;
	int any;
};

const struct st_filter_def *
st_filter_find(const char *name)
{
	size_t i;

	for (i = 0; i < st_nfilters; i++)
		if (strcmp(st_filters[i].name, name) == 0)
			return &st_filters[i];
	return NULL;
}

struct st_query *
st_query_new(void)
{
	return st_xcalloc(1, sizeof(struct st_query));
}

void
st_query_free(struct st_query *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++) {
		free(q->c[i].value);
		st_strv_free(q->c[i].args);
		free(q->c[i].sql);
	}
	free(q->c);
	free(q);
}

void
st_query_set_any(struct st_query *q, int any)
{
	q->any = any;
}

size_t
st_query_count(const struct st_query *q)
{
	return q->n;
}

static int
is_plain_column(const char *name)
{
	size_t i;

	if (st_contact_field(name) >= 0)
		return 1;
	for (i = 0; plain_columns[i]; i++)
		if (strcmp(plain_columns[i], name) == 0)
			return 1;
	return 0;
}

/* The SQL expression for a column or extra field name; path gets the JSON path
 * to bind for extra fields (else left empty). */
static void
field_expr(const char *name, struct st_buf *sql, struct st_buf *path)
{
	st_buf_reset(path);
	if (is_plain_column(name)) {
		st_buf_printf(sql, "c.%s", name);
		return;
	}
	if (strcmp(name, "extra") == 0) {
		st_buf_adds(sql, EXTRA_OF_C);
		return;
	}
	if (strcmp(name, "tags") == 0) {
		st_buf_adds(sql, "(SELECT group_concat(t.name, ',') FROM (SELECT t.name FROM "
		    "contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id "
		    "ORDER BY t.name) t)");
		return;
	}
	/* $."name" with quotes and backslashes escaped, bound as a parameter. */
	st_buf_adds(path, "$.\"");
	for (; *name; name++) {
		if (*name == '"' || *name == '\\')
			st_buf_addc(path, '\\');
		st_buf_addc(path, *name);
	}
	st_buf_addc(path, '"');
	st_buf_adds(sql, "json_extract(" EXTRA_OF_C ", ?)");
}

static int
add_where(struct cond *c, const char *value, struct st_error *err)
{
	const char *eq = strchr(value, '=');
	int neg = eq && eq > value && eq[-1] == '!';
	size_t flen = eq ? (size_t)(eq - value) - (size_t)neg : 0;
	char *field;
	struct st_buf sql = { 0 }, path = { 0 };
	size_t n = 0;
	int f;

	if (eq == NULL || flen == 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid --where '%s' (want FIELD=VALUE or "
		    "FIELD!=VALUE)", value);
	field = st_xstrndup(value, flen);
	c->args = st_xcalloc(3, sizeof(*c->args));
	field_expr(field, &sql, &path);
	if (path.len)
		c->args[n++] = st_xstrdup(path.s);
	if (eq[1] == '\0') {
		st_buf_adds(&sql, neg ? " IS NOT NULL" : " IS NULL");
	} else {
		char *v = st_xstrdup(eq + 1);

		/* Compare with the value normalized the way the field is stored. */
		f = st_contact_field(field);
		if (f >= 0) {
			char *out = st_xmalloc(strlen(v) + 24);
			int lossy, len = st_field_normalize(f, v, strlen(v), out, &lossy);

			if (len > 0) {
				free(v);
				v = st_xstrndup(out, (size_t)len);
			}
			free(out);
		}
		st_buf_adds(&sql, neg ? " IS NOT ?" : " = ?");
		c->args[n++] = v;
	}
	c->sql = st_xstrdup(sql.s);
	st_buf_free(&sql);
	st_buf_free(&path);
	free(field);
	return 0;
}

int
st_query_add(struct st_query *q, const char *name, const char *value, struct st_error *err)
{
	const struct st_filter_def *d = st_filter_find(name);
	struct cond c = { 0 };
	struct st_buf sql = { 0 };
	size_t i, n, uses = 0;
	const char *p;

	if (d == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "unknown filter '%s'", name);
	if ((d->arg == ST_ARG_NONE) != (value == NULL))
		return st_error_set(err, ST_EXIT_USAGE, d->arg == ST_ARG_NONE ? "filter '%s' takes no "
		    "value" : "filter '%s' needs a value", name);
	c.def = d;
	c.value = value ? st_xstrdup(value) : NULL;
	if (d->arg == ST_ARG_SEGMENT) {
		/* Expanded when the query runs, so a segment always means its current filters. */
		c.args = st_xcalloc(1, sizeof(char *));
		c.sql = NULL;
		goto done;
	}
	if (d->arg == ST_ARG_RSVP) {
		/* Built with the query, for --rsvp-status may qualify it. */
		const char *idp = value;
		long id;

		c.args = st_xcalloc(3, sizeof(char *));
		c.args[0] = st_xstrdup(strncmp(value, "shift:", 6) == 0 ? "shift" : "event");
		if (strncmp(value, "shift:", 6) == 0 || strncmp(value, "event:", 6) == 0)
			idp = value + 6;
		if (st_parse_long(idp, 1, 0x7fffffffffffffffL, &id) < 0) {
			st_error_set(err, ST_EXIT_USAGE, "invalid --rsvp '%s' (want ID, event:ID or "
			    "shift:ID)", value);
			goto fail;
		}
		c.args[1] = st_xstrdup(idp);
		goto done;
	}
	if (d->arg == ST_ARG_WHERE) {
		if (add_where(&c, value, err) < 0)
			goto fail;
		goto done;
	}
	if (d->arg == ST_ARG_NONE) {
		c.args = st_xcalloc(1, sizeof(char *));
	} else if (d->arg == ST_ARG_INT) {
		c.args = st_xcalloc(2, sizeof(char *));
		c.args[0] = st_xstrdup(value);
	} else {
		c.args = st_split_list(value);
	}
	n = st_strv_len(c.args);
	if (d->arg != ST_ARG_NONE && n == 0) {
		st_error_set(err, ST_EXIT_USAGE, "filter '%s' needs a value", name);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		char *a = c.args[i], *out = st_xmalloc(strlen(a) + 24);
		long v;
		int len = 0;

		switch (d->arg) {
		case ST_ARG_INT:
		case ST_ARG_INTS:
			if (st_parse_long(a, 0, 0x7fffffffffffffffL, &v) < 0) {
				free(out);
				st_error_set(err, ST_EXIT_USAGE, "invalid number '%s' for --%s", a, name);
				goto fail;
			}
			break;
		case ST_ARG_LANG:
			len = st_lang_normalize(a, strlen(a), out);
			break;
		case ST_ARG_ZIP:
			len = st_zip_normalize(a, strlen(a), out);
			if (len < 0) {
				free(out);
				st_error_set(err, ST_EXIT_USAGE, "invalid ZIP code '%s' for --%s", a, name);
				goto fail;
			}
			break;
		default:
			break;
		}
		if (len > 0) {
			free(c.args[i]);
			c.args[i] = st_xstrndup(out, (size_t)len);
		}
		free(out);
	}
	/* Expand each "@" into one placeholder per argument. */
	for (p = d->sql; *p; p++) {
		if (*p != '@') {
			st_buf_addc(&sql, *p);
			continue;
		}
		for (i = 0; i < n; i++)
			st_buf_adds(&sql, i ? ", ?" : "?");
		uses++;
	}
	/* A filter that names its list twice binds it twice. */
	if (uses > 1) {
		char **all = st_xcalloc(n * uses + 1, sizeof(char *));
		size_t u;

		for (u = 0; u < uses; u++)
			for (i = 0; i < n; i++)
				all[u * n + i] = st_xstrdup(c.args[i]);
		st_strv_free(c.args);
		c.args = all;
	}
	c.sql = st_xstrdup(sql.s ? sql.s : "");
	st_buf_free(&sql);
done:
	q->c = st_xrealloc(q->c, (q->n + 1) * sizeof(*q->c));
	q->c[q->n++] = c;
	return 0;
fail:
	free(c.value);
	st_strv_free(c.args);
	st_buf_free(&sql);
	return -1;
}

/* Read saved segment name's definition into a new query; NULL if there is none. */
static struct st_query *
segment_query(sqlite3 *db, const char *name, struct st_error *err)
{
	sqlite3_stmt *st = st_db_prepare(db, "SELECT definition FROM segments WHERE name = ?", err);
	struct st_query *q;
	json_t *def, *filters, *f;
	json_error_t jerr;
	size_t i;

	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		st_error_set(err, ST_EXIT_USAGE, "no saved segment '%s'", name);
		return NULL;
	}
	def = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
	sqlite3_finalize(st);
	filters = def ? json_object_get(def, "filters") : NULL;
	if (!json_is_array(filters)) {
		json_decref(def);
		st_error_set(err, ST_EXIT_FAIL, "saved segment '%s' is damaged", name);
		return NULL;
	}
	q = st_query_new();
	q->any = json_is_true(json_object_get(def, "any"));
	json_array_foreach(filters, i, f) {
		const char *fn = json_string_value(json_array_get(f, 0));
		const char *fv = json_string_value(json_array_get(f, 1));

		if (fn == NULL || st_query_add(q, fn, fv, err) < 0) {
			if (fn == NULL)
				st_error_set(err, ST_EXIT_FAIL, "saved segment '%s' is damaged", name);
			st_query_free(q);
			q = NULL;
			break;
		}
	}
	json_decref(def);
	return q;
}

int
st_query_load(sqlite3 *db, struct st_query *q, const char *name, struct st_error *err)
{
	struct st_query *seg = segment_query(db, name, err);

	if (seg == NULL)
		return -1;
	st_query_free(seg);
	return st_query_add(q, "segment", name, err);
}

static void
push_bind(char ***binds, size_t *nb, const char *v)
{
	*binds = st_xrealloc(*binds, (*nb + 1) * sizeof(**binds));
	(*binds)[(*nb)++] = st_xstrdup(v);
}

static int
has_filter(const struct st_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->c[i].def->name, name) == 0)
			return 1;
	return 0;
}

/* --rsvp: an RSVP to the event or shift, in the statuses of the query's
 * --rsvp-status filters (when they are ANDed), else a live one. */
static void
rsvp_sql(const struct st_query *q, const struct cond *c, struct st_buf *sql, char ***binds,
    size_t *nb)
{
	size_t i, j, n = 0;

	st_buf_printf(sql, "EXISTS (SELECT 1 FROM rsvps r JOIN shifts s ON s.id = r.shift_id WHERE "
	    "r.contact_id = c.id AND %s = ? AND r.status IN (", strcmp(c->args[0], "shift") == 0 ?
	    "s.id" : "s.event_id");
	push_bind(binds, nb, c->args[1]);
	for (i = 0; !q->any && i < q->n; i++) {
		if (strcmp(q->c[i].def->name, "rsvp-status") != 0)
			continue;
		for (j = 0; q->c[i].args[j]; j++, n++) {
			st_buf_adds(sql, n ? ", ?" : "?");
			push_bind(binds, nb, q->c[i].args[j]);
		}
	}
	st_buf_adds(sql, n ? "))" : "'yes', 'maybe', 'waitlisted'))");
}

/* Append q's conditions, combined, to sql and their arguments to binds;
 * segments are expanded (depth guards against one that contains itself). */
static int
build_where(sqlite3 *db, const struct st_query *q, struct st_buf *sql, char ***binds, size_t *nb,
    int depth, struct st_error *err)
{
	size_t i, j;

	if (q->n == 0) {
		st_buf_adds(sql, "1");
		return 0;
	}
	for (i = 0; i < q->n; i++) {
		st_buf_adds(sql, i == 0 ? "(" : q->any ? " OR (" : " AND (");
		if (q->c[i].def->arg == ST_ARG_RSVP) {
			rsvp_sql(q, &q->c[i], sql, binds, nb);
		} else if (!q->any && strcmp(q->c[i].def->name, "rsvp-status") == 0 &&
		    has_filter(q, "rsvp")) {
			st_buf_adds(sql, "1");   /* it qualifies the --rsvp condition */
		} else if (q->c[i].def->arg == ST_ARG_SEGMENT) {
			struct st_query *seg;
			int rc;

			if (depth > 8)
				return st_error_set(err, ST_EXIT_USAGE, "segment '%s' refers to itself",
				    q->c[i].value);
			seg = segment_query(db, q->c[i].value, err);
			if (seg == NULL)
				return -1;
			rc = build_where(db, seg, sql, binds, nb, depth + 1, err);
			st_query_free(seg);
			if (rc < 0)
				return -1;
		} else {
			st_buf_adds(sql, q->c[i].sql);
			for (j = 0; q->c[i].args[j]; j++)
				push_bind(binds, nb, q->c[i].args[j]);
		}
		st_buf_adds(sql, ")");
	}
	return 0;
}

int
st_query_save(sqlite3 *db, const struct st_query *q, const char *name, struct st_error *err)
{
	json_t *def = json_object(), *filters = json_array();
	sqlite3_stmt *st;
	char now[21], *text;
	size_t i;
	int rc;

	if (*name == '\0' || strchr(name, '@') || strchr(name, ' '))
		return st_error_set(err, ST_EXIT_USAGE, "invalid segment name '%s'", name);
	for (i = 0; i < q->n; i++)
		json_array_append_new(filters, json_pack("[s,s?]", q->c[i].def->name, q->c[i].value));
	json_object_set_new(def, "any", json_boolean(q->any));
	json_object_set_new(def, "filters", filters);
	text = json_dumps(def, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(def);
	st_now_iso(now);
	st = st_db_prepare(db, "INSERT INTO segments(name, definition, created_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, "
	    "updated_at = excluded.updated_at", err);
	if (st == NULL) {
		free(text);
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (st_db_exec(db, "SAVEPOINT save_segment", err) < 0) {
		sqlite3_finalize(st);
		free(text);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(text);
	if (rc != SQLITE_DONE) {
		st_error_db(err, db, "cannot save segment '%s'", name);
		rc = -1;
	} else {
		/* Refuse a definition that would refer to itself once saved. */
		struct st_buf sql = { 0 };
		char **binds = NULL;
		size_t nb = 0, k;

		rc = build_where(db, q, &sql, &binds, &nb, 0, err);
		for (k = 0; k < nb; k++)
			free(binds[k]);
		free(binds);
		st_buf_free(&sql);
	}
	if (rc < 0)
		sqlite3_exec(db, "ROLLBACK TO save_segment", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE save_segment", NULL, NULL, NULL);
	return rc < 0 ? -1 : 0;
}

/* Write every row of a prepared statement to out. */
static int
emit(sqlite3 *db, sqlite3_stmt *st, struct st_out *out, const char *const *names, long *nrows,
    struct st_error *err)
{
	/* The extra column of contacts holds a JSON object: JSON output embeds it. */
	int json_col = -1;
	int n = sqlite3_column_count(st), i, rc;
	struct st_cell *cells = st_xcalloc((size_t)n + 1, sizeof(*cells));
	const char **cols = st_xcalloc((size_t)n + 1, sizeof(*cols));

	for (i = 0; i < n; i++) {
		cols[i] = names ? names[i] : sqlite3_column_name(st, i);
		if (names && strcmp(names[i], "extra") == 0)
			json_col = i;
	}
	st_out_columns(out, (size_t)n, cols);
	free(cols);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			int t = sqlite3_column_type(st, i);

			if (t == SQLITE_BLOB) {
				cells[i] = (struct st_cell){ ST_TEXT, "(blob)", 6 };
				continue;
			}
			cells[i].s = (const char *)sqlite3_column_text(st, i);
			cells[i].len = (size_t)sqlite3_column_bytes(st, i);
			cells[i].type = t == SQLITE_INTEGER ? ST_INT : t == SQLITE_FLOAT ? ST_REAL :
			    t == SQLITE_NULL ? ST_NULL : i == json_col ? ST_JSON : ST_TEXT;
		}
		if (st_out_row(out, cells) < 0) {
			free(cells);
			return st_error_set(err, ST_EXIT_FAIL, "cannot write output");
		}
		(*nrows)++;
	}
	free(cells);
	if (rc != SQLITE_DONE)
		return st_error_db(err, db, "query failed");
	return 0;
}

int
st_query_run(sqlite3 *db, const struct st_query *q, const char *columns, long limit,
    struct st_out *out, long *nrows, struct st_error *err)
{
	struct st_buf sql = { 0 }, path = { 0 };
	char **cols = st_split_list(columns ? columns : default_columns);
	char **binds = NULL;
	size_t nb = 0, i;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*nrows = 0;
	if (cols[0] == NULL) {
		st_strv_free(cols);
		return st_error_set(err, ST_EXIT_USAGE, "no columns to show");
	}
	st_buf_adds(&sql, "SELECT ");
	for (i = 0; cols[i]; i++) {
		if (i)
			st_buf_adds(&sql, ", ");
		field_expr(cols[i], &sql, &path);
		if (path.len)
			push_bind(&binds, &nb, path.s);
	}
	st_buf_adds(&sql, " FROM contacts c WHERE ");
	if (build_where(db, q, &sql, &binds, &nb, 0, err) < 0)
		goto out;
	st_buf_adds(&sql, " ORDER BY c.id");
	if (limit >= 0)
		st_buf_printf(&sql, " LIMIT %ld", limit);
	if (sqlite3_prepare_v2(db, sql.s, -1, &st, NULL) != SQLITE_OK) {
		st_error_db(err, db, "cannot build the query");
		goto out;
	}
	for (i = 0; i < nb; i++)
		sqlite3_bind_text(st, (int)i + 1, binds[i], -1, SQLITE_STATIC);
	rc = emit(db, st, out, (const char *const *)cols, nrows, err);
out:
	sqlite3_finalize(st);
	for (i = 0; i < nb; i++)
		free(binds[i]);
	free(binds);
	st_strv_free(cols);
	st_buf_free(&sql);
	st_buf_free(&path);
	return rc;
}

static int
only_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';')
		s++;
	return *s == '\0';
}

int
st_sql_run(sqlite3 *db, const char *sql, int write, struct st_out *out, long *nrows,
    struct st_error *err)
{
	const char *tail = sql;
	int shown = 0, rc = 0;

	*nrows = 0;
	if (!write && st_db_exec(db, "PRAGMA query_only = ON", err) < 0)
		return -1;
	if (write && st_db_begin(db, err) < 0)
		return -1;
	while (!only_space(tail)) {
		sqlite3_stmt *st = NULL;
		const char *start = tail;

		if (sqlite3_prepare_v2(db, start, -1, &st, &tail) != SQLITE_OK) {
			st_error_db(err, db, "invalid SQL");
			err->status = ST_EXIT_DATA;
			rc = -1;
			break;
		}
		if (st == NULL)
			continue;
		if (!write && !sqlite3_stmt_readonly(st)) {
			sqlite3_finalize(st);
			rc = st_error_set(err, ST_EXIT_USAGE, "SQL would change the database; use "
			    "--write to allow it");
			break;
		}
		if (!write && !only_space(tail)) {
			sqlite3_finalize(st);
			rc = st_error_set(err, ST_EXIT_USAGE, "only one SQL statement is allowed "
			    "without --write");
			break;
		}
		if (sqlite3_column_count(st) > 0 && !shown) {
			shown = 1;
			rc = emit(db, st, out, NULL, nrows, err);
		} else {
			long ignored = 0;

			/* Later result sets would not fit the first's columns: run them quietly. */
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				ignored++;
			rc = rc == SQLITE_DONE ? 0 : st_error_db(err, db, "SQL failed");
		}
		sqlite3_finalize(st);
		if (rc < 0)
			break;
	}
	if (!write)
		sqlite3_exec(db, "PRAGMA query_only = OFF", NULL, NULL, NULL);
	else if (rc < 0)
		st_db_rollback(db);
	else
		rc = st_db_commit(db, err);
	return rc;
}

int
st_query_sql(sqlite3 *db, const char *sql, const char *const *params, size_t n,
    struct st_out *out, long *nrows, struct st_error *err)
{
	sqlite3_stmt *st = st_db_prepare(db, sql, err);
	size_t i;
	int rc;

	*nrows = 0;
	if (st == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (params[i])
			sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_STATIC);
	}
	rc = emit(db, st, out, NULL, nrows, err);
	sqlite3_finalize(st);
	return rc;
}

static const struct {
	const char *name, *help, *sql;
} reports[] = {
	{ "attendance", "per event: shifts, RSVPs, confirmed, attended, walk-ins and show rate "
	  "(the share of yes RSVPs to ended shifts that came)",
	  "WITH y AS (SELECT s.event_id, r.contact_id, r.shift_id, r.confirmed, s.ends_at <= " NOW
	  " AS ended FROM rsvps r JOIN shifts s ON s.id = r.shift_id WHERE r.status = 'yes'), "
	  "att AS (SELECT s.event_id, a.contact_id, a.shift_id, a.walk_in FROM attendance a JOIN "
	  "shifts s ON s.id = a.shift_id WHERE a.status = 'attended') "
	  "SELECT e.id AS event, e.title, e.kind, e.status, (SELECT min(starts_at) FROM shifts "
	  "WHERE event_id = e.id) AS starts_utc, (SELECT count(*) FROM shifts WHERE event_id = "
	  "e.id) AS shifts, (SELECT count(*) FROM y WHERE y.event_id = e.id) AS rsvps, "
	  "(SELECT count(*) FROM y WHERE y.event_id = e.id AND y.confirmed) AS confirmed, "
	  "(SELECT count(*) FROM att WHERE att.event_id = e.id) AS attended, (SELECT count(*) "
	  "FROM att WHERE att.event_id = e.id AND att.walk_in) AS walk_ins, round(100.0 * "
	  "(SELECT count(*) FROM y JOIN att ON att.shift_id = y.shift_id AND att.contact_id = "
	  "y.contact_id WHERE y.event_id = e.id AND y.ended) / nullif((SELECT count(*) FROM y "
	  "WHERE y.event_id = e.id AND y.ended), 0), 1) AS show_rate "
	  "FROM events e ORDER BY starts_utc, e.id" },
};

int
st_report(sqlite3 *db, const char *name, struct st_out *out, long *nrows, struct st_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (strcmp(reports[i].name, name) == 0)
			return st_query_sql(db, reports[i].sql, NULL, 0, out, nrows, err);
	return st_error_set(err, ST_EXIT_USAGE, "unknown report '%s' (attendance)", name);
}

int
st_segments_list(sqlite3 *db, struct st_out *out, struct st_error *err)
{
	long n;

	return st_query_sql(db, "SELECT name, definition, updated_at FROM segments ORDER BY name",
	    NULL, 0, out, &n, err);
}

char **
st_query_words(sqlite3 *db)
{
	sqlite3_stmt *st;
	char **v = NULL;
	size_t n = 0, i;

#define ADD(w) do { \
		v = st_xrealloc(v, (n + 2) * sizeof(*v)); \
		v[n++] = st_xstrdup(w); \
		v[n] = NULL; \
	} while (0)
	for (i = 0; i < st_nfilters; i++) {
		char opt[64];

		snprintf(opt, sizeof(opt), "--%s", st_filters[i].name);
		ADD(opt);
	}
	if (sqlite3_prepare_v2(db, "SELECT m.name, p.name FROM sqlite_master m, "
	    "pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') AND m.name NOT LIKE "
	    "'sqlite_%' ORDER BY 1, p.cid", -1, &st, NULL) == SQLITE_OK) {
		const char *prev = "";
		char *last = st_xstrdup(prev);

		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(st, 0);

			if (strcmp(t, last) != 0) {
				ADD(t);
				free(last);
				last = st_xstrdup(t);
			}
			ADD((const char *)sqlite3_column_text(st, 1));
		}
		free(last);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT '@' || name FROM segments ORDER BY name", -1, &st,
	    NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			ADD((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
#undef ADD
	if (v == NULL)
		v = st_xcalloc(1, sizeof(*v));
	return v;
}
