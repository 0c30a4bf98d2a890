/* Importing events, shifts, RSVPs and attendance (a Mobilize-style export, a
 * sign-in sheet), as undoable batches. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st/allocate.h"
#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/import.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/tz.h"
#include "st/util.h"
#include "import_priv.h"

/* What a column can hold, besides contact fields. Own ids ("event", "shift",
 * "contact") are st's; "event_id" and "shift_id" are another system's. */
enum af {
	AF_EVENT, AF_EVENT_EXT, AF_TITLE, AF_KIND, AF_DESC, AF_LOCATION, AF_AREA, AF_TZ, AF_LAT,
	AF_LON, AF_ORGANIZER, AF_SHIFT, AF_SHIFT_EXT, AF_START, AF_END, AF_CAPACITY, AF_CONTACT,
	AF_STATUS, AF_CONFIRMED, AF_ATTENDED, AF_CHECKED_IN_AT, AF_CHECKED_IN_BY, AF_SOURCE, NAF
};

static const struct {
	const char *name, *aliases;
} afields[NAF] = {
	{ "event", "event|st_event|st_event_id" },
	{ "event_id", "event_id|external_event_id|event_external_id|mobilize_event_id" },
	{ "title", "title|event_title|event_name" },
	{ "kind", "kind|event_kind|event_type|type" },
	{ "description", "description|event_description|summary" },
	{ "location", "location|location_name|venue|venue_name|event_location|event_address|"
	    "venue_address" },
	{ "area", "area|turf|neighborhood|neighbourhood|region" },
	{ "tz", "tz|timezone|time_zone|event_timezone|event_time_zone" },
	{ "latitude", "latitude|lat" },
	{ "longitude", "longitude|lon|lng" },
	{ "organizer", "organizer|organizer_id|organizer_email|host|host_email" },
	{ "shift", "shift|st_shift|st_shift_id" },
	{ "shift_id", "shift_id|timeslot_id|time_slot_id|slot_id|external_shift_id|"
	    "shift_external_id" },
	{ "start", "start|starts|starts_at|start_time|start_date|start_datetime|timeslot_start|"
	    "timeslot_start_date|timeslot_start_time|shift_start" },
	{ "end", "end|ends|ends_at|end_time|end_date|end_datetime|timeslot_end|timeslot_end_date|"
	    "timeslot_end_time|shift_end" },
	{ "capacity", "capacity|max_attendees|slots|spots" },
	{ "contact", "contact|contact_id|st_contact_id" },
	{ "status", "status|rsvp|rsvp_status|signup_status|attendee_status|registration_status" },
	{ "confirmed", "confirmed|is_confirmed" },
	{ "attended", "attended|attendance|attendance_status|did_attend|showed_up|checked_in" },
	{ "checked_in_at", "checked_in_at|check_in_time|checkin_time|checked_in_time" },
	{ "checked_in_by", "checked_in_by|checked_in_by_name" },
	{ "source", "source|signup_source|rsvp_source" },
};

enum { K_EVENTS, K_SHIFTS, K_RSVPS, K_ATTENDANCE, K_TURFS, K_VOLUNTEERS };
static const char *const kinds[] = { "events", "shifts", "rsvps", "attendance", "turfs",
	"volunteers", NULL };
static const char *const undo_tables[] = { "attendance", "rsvps", "shifts", "events", NULL };

#define COL_SKIP (-1)
#define COL_CONTACT 100   /* + a contact field */
#define BULK_CHUNK (1L << 18)   /* rows staged before flush writes them */
#define BULK_MAX (1L << 20)

struct act {
	sqlite3 *db;
	const struct st_import_opts *o;
	struct st_error *err;
	struct st_import_result *res;
	struct st_csvin *in;
	int kind;
	long import_id;
	char now[21];
	int *colf;                     /* per column: an af, COL_CONTACT + field, COL_SKIP */
	int has[NAF];                  /* the file has a column for it */
	/* the row */
	const char *v[NAF];            /* trimmed, NUL-terminated, or NULL if empty */
	const char **cv;               /* per contact field: the raw value or NULL */
	struct st_buf vals;
	char reason[512];
	/* the shift last resolved, for rows that repeat it */
	struct st_buf last_key;
	long last_shift;
	int wrote;                     /* the row changed something */
	int sp_open;                   /* the row's savepoint is open */
	int made, changed;             /* it made, or changed, the kind's own record */
	long added;                    /* people it added */
	/* the row's contact keys, normalized (row_keys) */
	const char *key_p, *key_e;
	char phone[48], email[320], at[21];
	/* the bulk path: rows wait in temp.st_stage until flush writes them */
	long chunk;                    /* rows staged before a flush; 0: each row at once */
	long staged;                   /* rows staged since the last flush */
	int deferred;                  /* the row was staged: flush counts it */
	int fk_off;                    /* foreign keys were turned off for the import */
	char *image[2];                /* json_object() of an attendance (a.) and an RSVP (r.) row */
	/* statements */
	sqlite3_stmt *sp, *sp_release, *sp_rollback, *mark, *log[4], *stage, *next;
};

/* A row of an RSVP or attendance file, checked and ready to write. */
struct arow {
	long line, shift, contact;
	int w;                         /* the RSVP status (a group of rsvp_words); -1: no RSVP */
	int conf;                      /* confirmed 0 or 1; -1 leaves it */
	int mark;                      /* 1 attended, 0 no-show, -1 no mark */
	const char *source, *at, *by;
};

static int flush(struct act *a);
static int row_end(struct act *a, int rc, const struct st_csv_row *row, long line);

/* The value as a reject: set the reason, return 1. */
static int
bad(struct act *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct act *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return 1;
}

/* A library call's outcome for a row: bad data rejects the row (1), anything
 * else fails the import (-1). */
static int
called(struct act *a, int rc)
{
	if (rc >= 0)
		return 0;
	if (a->err->status == ST_EXIT_DATA || a->err->status == ST_EXIT_USAGE)
		return bad(a, "%s", a->err->msg);
	return -1;
}

static int
af_for_header(const char *header)
{
	int i;

	for (i = 0; i < NAF; i++)
		if (st_column_find(&header, 1, afields[i].aliases) == 0)
			return i;
	return -1;
}

static int
af_named(const char *name)
{
	int i;

	for (i = 0; i < NAF; i++)
		if (strcmp(afields[i].name, name) == 0)
			return i;
	return -1;
}

/* Which column feeds what: aliases, then o->maps. Columns that are neither
 * are not imported (-v reports them as "-"). */
static int
map_columns(struct act *a)
{
	size_t i, j, ncols = st_csvin_ncols(a->in);
	const char *const *names = st_csvin_names(a->in);

	a->colf = st_xcalloc(ncols + 1, sizeof(*a->colf));
	for (i = 0; i < ncols; i++) {
		int f = af_for_header(names[i]);

		if (f < 0 && (f = st_contact_field_for_header(names[i])) >= 0)
			f += COL_CONTACT;
		a->colf[i] = f < 0 ? COL_SKIP : f;
	}
	for (j = 0; a->o->maps && a->o->maps[j]; j++) {
		const char *m = a->o->maps[j], *eq = strchr(m, '=');
		size_t clen;
		int f, found = 0;

		if (eq == NULL || eq == m || eq[1] == '\0')
			return st_error_set(a->err, ST_EXIT_USAGE, "invalid mapping '%s' (want "
			    "COLUMN=FIELD)", m);
		clen = (size_t)(eq - m);
		if (strcmp(eq + 1, "-") == 0)
			f = COL_SKIP;
		else if ((f = af_named(eq + 1)) < 0 && (f = st_contact_field(eq + 1)) >= 0)
			f += COL_CONTACT;
		else if (f < 0)
			return st_error_set(a->err, ST_EXIT_USAGE, "unknown field '%s' in '%s' (an "
			    "event, shift, RSVP, attendance or contact field)", eq + 1, m);
		for (i = 0; i < ncols; i++) {
			if (strlen(names[i]) == clen && memcmp(names[i], m, clen) == 0) {
				a->colf[i] = f;
				found = 1;
			}
		}
		if (!found)
			return st_error_set(a->err, ST_EXIT_USAGE, "no column '%.*s' in '%s' to map",
			    (int)clen, m, a->o->name);
	}
	for (i = 0; i < ncols; i++) {
		if (a->colf[i] >= 0 && a->colf[i] < NAF)
			a->has[a->colf[i]] = 1;
		if (a->o->mapped)
			a->o->mapped(a->o->mapped_arg, names[i], a->colf[i] == COL_SKIP ? "-" :
			    a->colf[i] >= COL_CONTACT ? st_contact_fields[a->colf[i] - COL_CONTACT].name :
			    afields[a->colf[i]].name);
	}
	return 0;
}

/* What the kind needs from the file, checked before any row is read. */
static int
check_columns(struct act *a)
{
	int phone = st_contact_field("phone"), email = st_contact_field("email");
	int event = a->o->event > 0 || a->has[AF_EVENT] || a->has[AF_EVENT_EXT] || a->has[AF_TITLE];
	int shift = a->o->shift > 0 || a->has[AF_SHIFT] || a->has[AF_SHIFT_EXT] || a->has[AF_START] ||
	    event;
	size_t i, ncols = st_csvin_ncols(a->in);
	int person = a->has[AF_CONTACT];

	for (i = 0; i < ncols; i++)
		if (a->colf[i] == COL_CONTACT + phone || a->colf[i] == COL_CONTACT + email)
			person = 1;
	if (a->kind == K_EVENTS && !a->has[AF_TITLE] && !a->has[AF_EVENT] && !a->has[AF_EVENT_EXT])
		return st_error_set(a->err, ST_EXIT_USAGE, "no title or event column in '%s'",
		    a->o->name);
	if (a->kind == K_SHIFTS && (!a->has[AF_START] || !event) && !a->has[AF_SHIFT] &&
	    !a->has[AF_SHIFT_EXT])
		return st_error_set(a->err, ST_EXIT_USAGE, "no start column, or nothing naming the "
		    "event, in '%s' (--event ID names one for every row)", a->o->name);
	if (a->kind >= K_RSVPS && !shift)
		return st_error_set(a->err, ST_EXIT_USAGE, "nothing in '%s' names the shift or the "
		    "event (a shift, shift_id, event or event_id column; or --shift ID)", a->o->name);
	if (a->kind >= K_RSVPS && !person)
		return st_error_set(a->err, ST_EXIT_USAGE, "no phone, email or contact column in '%s'",
		    a->o->name);
	return 0;
}

/* Copy the row's values, trimmed and NUL-terminated, into a->v and a->cv. */
static void
take_row(struct act *a, const struct st_csv_row *row)
{
	size_t i, ncols = st_csvin_ncols(a->in), need = 0, len;
	const char *s;
	char *p;

	for (i = 0; i < NAF; i++)
		a->v[i] = NULL;
	for (i = 0; i < st_ncontact_fields; i++)
		a->cv[i] = NULL;
	for (i = 0; i < ncols; i++)
		need += row->len[i] + 1;
	st_buf_reset(&a->vals);
	st_buf_grow(&a->vals, need);
	for (i = 0; i < ncols; i++) {
		if (a->colf[i] == COL_SKIP)
			continue;
		s = st_import_trim(row->f[i], row->len[i], &len);
		if (len == 0)
			continue;
		p = a->vals.s + a->vals.len;
		memcpy(p, s, len);
		p[len] = '\0';
		a->vals.len += len + 1;
		if (a->colf[i] >= COL_CONTACT) {
			if (a->cv[a->colf[i] - COL_CONTACT] == NULL)
				a->cv[a->colf[i] - COL_CONTACT] = p;
		} else if (a->v[a->colf[i]] == NULL) {
			a->v[a->colf[i]] = p;
		}
	}
}

/* One value of the first column of sql's first row, with text s (or id when
 * s is NULL) as ?1 and id2 as ?2: 1 and *out, 0 if none, -1 on error. */
static int
lookup(struct act *a, const char *sql, const char *s, long id, long id2, long *out)
{
	return s ? st_db_scalarf(a->db, a->err, out, sql, "ti", s, id2) :
	    st_db_scalarf(a->db, a->err, out, sql, "ii", id, id2);
}

/* What a row has done so far: nothing. */
static void
row_start(struct act *a)
{
	a->reason[0] = '\0';
	a->wrote = a->made = a->changed = a->deferred = 0;
	a->added = 0;
	a->sp_open = 0;
}

/* A row is all or nothing: its savepoint opens before its first write (a
 * row that only adds one attendance mark needs none). */
static int
row_begin(struct act *a)
{
	if (a->sp_open)
		return 0;
	if (sqlite3_step(a->sp) != SQLITE_DONE) {
		sqlite3_reset(a->sp);
		return st_error_db(a->err, a->db, "cannot start a savepoint");
	}
	sqlite3_reset(a->sp);
	a->sp_open = 1;
	return 0;
}

/* Append to sql "json_object('col', ALIAScol, ...)" over the columns of
 * table tbl: a row as import_undo keeps it. */
static int
image_expr(struct act *a, const char *tbl, const char *alias, struct st_buf *sql)
{
	sqlite3_stmt *cols = st_db_prepare(a->db, "SELECT name FROM pragma_table_info(?1) "
	    "ORDER BY cid", a->err);
	int n = 0;

	if (cols == NULL)
		return -1;
	sqlite3_bind_text(cols, 1, tbl, -1, SQLITE_STATIC);
	st_buf_adds(sql, "json_object(");
	while (sqlite3_step(cols) == SQLITE_ROW)
		st_buf_printf(sql, "%s'%s', %s%s", n++ ? ", " : "", sqlite3_column_text(cols, 0),
		    alias, sqlite3_column_text(cols, 0));
	sqlite3_finalize(cols);
	st_buf_adds(sql, ")");
	return 0;
}

/* Keep what row key of table tbl held before this batch first changed it. */
static int
log_before(struct act *a, int t, long key, long key2, int waitlist)
{
	sqlite3_stmt *st = a->log[t];

	if (row_begin(a) < 0)
		return -1;
	if (st == NULL) {
		static const char *const where[] = {
			"contact_id = ?3 AND shift_id = ?2",
			"shift_id = ?2 AND status NOT IN ('no', 'cancelled') AND (contact_id = ?3 "
			    "OR (?4 AND status = 'waitlisted'))",
			"id = ?2", "id = ?2" };
		struct st_buf sql = { 0 };

		st_buf_printf(&sql, "INSERT OR IGNORE INTO import_undo(import_id, tbl, row_key, old) "
		    "SELECT ?1, '%s', %s, ", undo_tables[t], t == 0 ?
		    "contact_id || ':' || shift_id" : "id");
		if (image_expr(a, undo_tables[t], "", &sql) < 0) {
			st_buf_free(&sql);
			return -1;
		}
		st_buf_printf(&sql, " FROM %s WHERE %s AND import_id IS NOT ?1", undo_tables[t],
		    where[t]);
		st = a->log[t] = st_db_prepare(a->db, sql.s, a->err);
		st_buf_free(&sql);
		if (st == NULL)
			return -1;
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, a->import_id);
	sqlite3_bind_int64(st, 2, key);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, key2);
	if (sqlite3_bind_parameter_count(st) >= 4)
		sqlite3_bind_int(st, 4, waitlist);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return st_error_db(a->err, a->db, "cannot keep a row for undo");
	}
	sqlite3_reset(st);
	return 0;
}

/* Mark a row of events or shifts as written by this batch. */
static int
mark_row(struct act *a, const char *tbl, long id)
{
	char sql[80];

	snprintf(sql, sizeof(sql), "UPDATE %s SET import_id = ?1 WHERE id = ?2", tbl);
	return st_db_execf(a->db, a->err, sql, "ii", a->import_id, id) < 0 ? -1 : 0;
}

static int
parse_id(struct act *a, const char *s, const char *what, long *id)
{
	if (st_parse_long(s, 1, 0x7fffffffffffL, id) < 0)
		return bad(a, "invalid %s id '%s'", what, s);
	return 0;
}

/* The event fields the row gives. */
static int
event_in(struct act *a, struct st_event_in *in)
{
	memset(in, 0, sizeof(*in));
	in->title = a->v[AF_TITLE];
	in->description = a->v[AF_DESC];
	in->location = a->v[AF_LOCATION];
	in->area = a->v[AF_AREA];
	in->tz = a->v[AF_TZ];
	in->external_id = a->v[AF_EVENT_EXT];
	if (a->v[AF_KIND]) {
		/* Other systems say "Canvass" or "PHONE_BANK": st says canvass, phone_bank. */
		char *k = (char *)a->v[AF_KIND];

		for (; *k; k++)
			*k = *k == ' ' ? '_' : (char)tolower((unsigned char)*k);
		in->kind = a->v[AF_KIND];
	}
	if (a->v[AF_LAT] || a->v[AF_LON]) {
		char *e1 = NULL, *e2 = NULL;

		if (!a->v[AF_LAT] || !a->v[AF_LON])
			return bad(a, "a location needs both a latitude and a longitude");
		in->lat = strtod(a->v[AF_LAT], &e1);
		in->lon = strtod(a->v[AF_LON], &e2);
		if (*e1 || *e2 || e1 == a->v[AF_LAT] || e2 == a->v[AF_LON])
			return bad(a, "invalid location '%s,%s'", a->v[AF_LAT], a->v[AF_LON]);
		in->has_latlon = 1;
	}
	if (a->v[AF_ORGANIZER] && called(a, st_contact_resolve(a->db, a->v[AF_ORGANIZER],
	    &in->organizer, a->err)) != 0)
		return a->reason[0] ? 1 : -1;
	return 0;
}

/* Does the row change event id? */
static int
event_differs(struct act *a, long id, const struct st_event_in *in)
{
	long v;
	int rc = st_db_scalarf(a->db, a->err, &v, "SELECT (?2 IS NOT NULL AND ?2 IS NOT title) OR "
	    "(?3 IS NOT NULL AND ?3 IS NOT kind) OR (?4 IS NOT NULL AND ?4 IS NOT description) OR "
	    "(?5 IS NOT NULL AND ?5 IS NOT location) OR (?6 IS NOT NULL AND ?6 IS NOT area) OR "
	    "(?7 IS NOT NULL AND ?7 IS NOT tz) OR (?8 AND (latitude IS NOT ?9 OR longitude IS NOT "
	    "?10)) OR (?11 > 0 AND organizer_id IS NOT ?11) FROM events WHERE id = ?1",
	    "ittttttiddi", id, in->title, in->kind, in->description, in->location, in->area, in->tz,
	    (long)in->has_latlon, in->lat, in->lon, in->organizer);

	return rc < 0 ? -1 : rc > 0 && v;
}

/* The event the row is for: *id, or 0 when the row names none. */
static int
resolve_event(struct act *a, long *id)
{
	struct st_event_in in;
	int rc, found = 0;

	*id = 0;
	if (a->o->event > 0) {
		*id = a->o->event;
		found = 1;
	} else if (a->v[AF_EVENT]) {
		if (parse_id(a, a->v[AF_EVENT], "event", id))
			return 1;
		if ((rc = lookup(a, "SELECT id FROM events WHERE id = ?1", NULL, *id, 0,
		    id)) <= 0)
			return rc < 0 ? -1 : bad(a, "no event %s", a->v[AF_EVENT]);
		found = 1;
	} else if (a->v[AF_EVENT_EXT]) {
		if ((found = lookup(a, "SELECT id FROM events WHERE external_id = ?1",
		    a->v[AF_EVENT_EXT], 0, 0, id)) < 0)
			return -1;
	} else if (a->v[AF_TITLE]) {
		/* A file that names events only by title: the live event of that title. */
		if ((found = lookup(a, "SELECT id FROM events WHERE title = ?1 AND "
		    "status = 'active' ORDER BY id DESC LIMIT 1", a->v[AF_TITLE], 0, 0, id)) < 0)
			return -1;
	} else {
		return 0;
	}
	if ((rc = event_in(a, &in)) != 0)
		return rc;
	if (!found) {
		if (in.tz == NULL)
			in.tz = a->o->tz;
		if (in.title == NULL)
			return bad(a, "no event with id '%s', and no title to create it",
			    a->v[AF_EVENT_EXT]);
		if (in.tz == NULL)
			return bad(a, "event '%s' has no time zone (a tz column, or --tz ZONE)",
			    in.title);
		if (row_begin(a) < 0)
			return -1;
		if ((rc = called(a, st_event_create(a->db, &in, id, a->err))) != 0)
			return rc;
		a->made |= a->kind == K_EVENTS;
		a->wrote = 1;
		return mark_row(a, "events", *id);
	}
	if (a->kind != K_EVENTS)
		return 0;
	/* An events file updates the events it names. */
	if ((rc = event_differs(a, *id, &in)) <= 0)
		return rc;
	if (log_before(a, 3, *id, 0, 0) < 0 || (rc = called(a, st_event_edit(a->db, *id, &in,
	    a->err))) != 0)
		return rc ? rc : -1;
	a->changed = a->wrote = 1;
	return mark_row(a, "events", *id);
}

/* A time of the row: an epoch second count (as some exports give), else
 * st_time_parse's forms in the event's zone. */
static int
row_time(struct act *a, const char *s, long event, char *utc)
{
	time_t t;
	long n;
	char *tz = NULL;
	int rc;

	if (strspn(s, "0123456789") == strlen(s) && st_parse_long(s, 100000000L, 0x7fffffffffL, &n)
	    == 0) {
		st_time_utc((time_t)n, utc);
		return 0;
	}
	if (event > 0 && (tz = st_db_textf(a->db, a->err, &rc, "SELECT tz FROM events WHERE id = ?1",
	    "i", event), rc < 0))
		return -1;
	rc = st_time_parse(s, tz, &t, a->err);
	free(tz);
	if (rc < 0)
		return bad(a, "%s", a->err->msg);
	st_time_utc(t, utc);
	return 0;
}

/* Does the row move or resize shift id? */
static int
shift_differs(struct act *a, long id, const char *s, const char *e, long cap)
{
	long v;
	int rc = st_db_scalarf(a->db, a->err, &v, "SELECT (?2 IS NOT NULL AND ?2 IS NOT starts_at) OR "
	    "(?3 IS NOT NULL AND ?3 IS NOT ends_at) OR (?4 >= 0 AND capacity IS NOT ?4) FROM shifts "
	    "WHERE id = ?1", "itti", id, s, e, cap);

	return rc < 0 ? -1 : rc > 0 && v;
}

/* The shift the row is for, creating or (for events and shifts files)
 * updating it: *id, or 0 when the row names none. */
static int
resolve_shift(struct act *a, long event, long *id)
{
	char s[21], e[21];
	long cap = -2;
	int rc, found = 0;

	*id = 0;
	if (a->o->shift > 0) {
		*id = a->o->shift;
		return 0;
	}
	s[0] = e[0] = '\0';
	if (a->v[AF_CAPACITY] && st_parse_long(a->v[AF_CAPACITY], 0, 1000000000L, &cap) < 0)
		return bad(a, "invalid capacity '%s'", a->v[AF_CAPACITY]);
	if (a->v[AF_SHIFT]) {
		if (parse_id(a, a->v[AF_SHIFT], "shift", id))
			return 1;
		if ((rc = lookup(a, "SELECT id FROM shifts WHERE id = ?1", NULL, *id, 0,
		    id)) <= 0)
			return rc < 0 ? -1 : bad(a, "no shift %s", a->v[AF_SHIFT]);
		found = 1;
	} else if (a->v[AF_SHIFT_EXT]) {
		if ((found = lookup(a, "SELECT id FROM shifts WHERE external_id = ?1",
		    a->v[AF_SHIFT_EXT], 0, 0, id)) < 0)
			return -1;
	}
	if ((a->v[AF_START] && (rc = row_time(a, a->v[AF_START], event, s)) != 0) ||
	    (a->v[AF_END] && (rc = row_time(a, a->v[AF_END], event, e)) != 0))
		return rc;
	if (!found && event > 0 && s[0]) {
		if ((found = lookup(a, "SELECT id FROM shifts WHERE event_id = ?2 AND "
		    "starts_at = ?1 AND status = 'active' ORDER BY id LIMIT 1", s, 0, event, id)) < 0)
			return -1;
	}
	if (!found && event > 0 && !s[0] && !a->v[AF_SHIFT_EXT] && a->kind >= K_RSVPS) {
		/* An event with one shift needs no more than the event. */
		if ((rc = lookup(a, "SELECT CASE WHEN count(*) = 1 THEN max(id) END FROM "
		    "shifts WHERE event_id = ?1 AND status = 'active'", NULL, event, 0, id)) < 0)
			return -1;
		if (rc == 0 || *id == 0)
			return bad(a, "event %ld has no one live shift; name the shift (a shift, "
			    "shift_id or start column)", event);
		return 0;
	}
	if (!found) {
		if (!s[0] && a->kind == K_EVENTS)
			return 0;
		if (event <= 0)
			return bad(a, "no shift %s, and no event to add it to", a->v[AF_SHIFT_EXT] ?
			    a->v[AF_SHIFT_EXT] : "named");
		if (!s[0] || !e[0])
			return bad(a, "no shift%s%s, and no start and end to create it",
			    a->v[AF_SHIFT_EXT] ? " " : "", a->v[AF_SHIFT_EXT] ? a->v[AF_SHIFT_EXT] : "");
		if (row_begin(a) < 0)
			return -1;
		if ((rc = called(a, st_shift_add(a->db, event, s, e, cap >= 0 ? cap : -1,
		    a->v[AF_SHIFT_EXT], id, a->err))) != 0)
			return rc;
		a->made |= a->kind == K_SHIFTS;
		a->changed = a->wrote = 1;
		return mark_row(a, "shifts", *id);
	}
	if (a->kind != K_SHIFTS && a->kind != K_EVENTS)
		return 0;
	if ((rc = shift_differs(a, *id, s[0] ? s : NULL, e[0] ? e : NULL, cap)) <= 0)
		return rc;
	if (log_before(a, 2, *id, 0, 0) < 0 || (rc = called(a, st_shift_edit(a->db, *id, s[0] ? s :
	    NULL, e[0] ? e : NULL, cap >= 0 ? cap : -2, a->err))) != 0)
		return rc ? rc : -1;
	a->changed = a->wrote = 1;
	return mark_row(a, "shifts", *id);
}

/* The shift of an RSVP or attendance row, remembered from the row before
 * when the row names it the same way (exports list a shift's people together). */
static int
row_shift(struct act *a, long *shift)
{
	struct st_buf *k = &a->last_key;
	size_t start = k->len;
	long event = 0;
	int i, rc;

	/* The key: the values that name the event and the shift. */
	st_buf_addc(k, '\1');
	for (i = AF_EVENT; i <= AF_END; i++)
		if (i <= AF_EVENT_EXT || i == AF_TITLE || i >= AF_SHIFT) {
			st_buf_adds(k, a->v[i] ? a->v[i] : "");
			st_buf_addc(k, '\2');
		}
	if (a->last_shift > 0 && start > 0 && k->len - start == start &&
	    memcmp(k->s, k->s + start, start) == 0) {
		k->len = start;
		k->s[start] = '\0';
		*shift = a->last_shift;
		return 0;
	}
	memmove(k->s, k->s + start, k->len - start);
	k->len -= start;
	a->last_shift = 0;
	if ((rc = resolve_event(a, &event)) != 0 || (rc = resolve_shift(a, event, shift)) != 0)
		return rc;
	if (*shift == 0)
		return bad(a, "no shift named");
	rc = called(a, st_shift_open(a->db, *shift, a->err));
	if (rc == 0)
		a->last_shift = *shift;
	return rc;
}

/* The row's phone and e-mail as contacts keep them: a->key_p and a->key_e,
 * NULL when missing or not valid. */
static void
row_keys(struct act *a)
{
	static int fphone = -1, femail;
	int lossy;

	if (fphone < 0) {
		fphone = st_contact_field("phone");
		femail = st_contact_field("email");
	}
	a->key_p = a->key_e = NULL;
	if (a->cv[fphone] && strlen(a->cv[fphone]) < 30 && st_field_normalize(fphone, a->cv[fphone],
	    strlen(a->cv[fphone]), a->phone, &lossy) > 0)
		a->key_p = a->phone;
	if (a->cv[femail] && strlen(a->cv[femail]) < 300 && st_field_normalize(femail,
	    a->cv[femail], strlen(a->cv[femail]), a->email, &lossy) > 0)
		a->key_e = a->email;
}

/* The contact with phone p, else with e-mail e (either may be NULL), the
 * oldest first: 1 and *id, 0 if none, -1 on error. */
static int
contact_find(struct act *a, const char *p, const char *e, long *id)
{
	int rc = 0;

	if (p && (rc = lookup(a, "SELECT id FROM contacts WHERE phone = ?1 ORDER BY id LIMIT 1", p, 0,
	    0, id)) != 0)
		return rc;
	if (e)
		rc = lookup(a, "SELECT id FROM contacts WHERE email = ?1 ORDER BY id LIMIT 1", e, 0, 0,
		    id);
	return rc;
}

/* Add the person the row names (with the batch, so undo removes them). */
static int
contact_new(struct act *a, const char *first, const char *last, const char *p, const char *e,
    long *id)
{
	int rc;

	if ((rc = called(a, st_contact_add(a->db, first, last, p, e, a->o->source ? a->o->source :
	    a->o->name, id, a->err))) != 0)
		return rc;
	return st_db_execf(a->db, a->err, "UPDATE contacts SET import_id = ?1, last_import = ?1 "
	    "WHERE id = ?2", "ii", a->import_id, *id) < 0 ? -1 : 0;
}

/* Would st_contact_add store the row's keys as they are? Then flush can
 * add the person; otherwise the row is resolved at once, as row_contact does. */
static int
keys_storable(struct act *a)
{
	char p[32], e[256];
	int has_p, has_e;

	st_contact_keys(a->key_p, a->key_e, p, e, &has_p, &has_e);
	return (a->key_p || a->key_e) && (!a->key_p || (has_p && strcmp(p, a->key_p) == 0)) &&
	    (!a->key_e || (has_e && strcmp(e, a->key_e) == 0));
}

/* The contact the row is for: by contact id, else phone, else e-mail; one
 * the database does not have is added. */
static int
row_contact(struct act *a, long *id)
{
	static int ffirst = -1, flast;
	int rc;

	if (ffirst < 0) {
		ffirst = st_contact_field("first_name");
		flast = st_contact_field("last_name");
	}
	if (a->v[AF_CONTACT]) {
		if (parse_id(a, a->v[AF_CONTACT], "contact", id))
			return 1;
		if ((rc = lookup(a, "SELECT id FROM contacts WHERE id = ?1", NULL, *id, 0,
		    id)) <= 0)
			return rc < 0 ? -1 : bad(a, "no contact %s", a->v[AF_CONTACT]);
		return 0;
	}
	row_keys(a);
	if ((rc = contact_find(a, a->key_p, a->key_e, id)) != 0)
		return rc < 0 ? -1 : 0;
	if (a->key_p == NULL && a->key_e == NULL)
		return bad(a, "no valid phone, email or contact id");
	if (row_begin(a) < 0 || (rc = contact_new(a, a->cv[ffirst], a->cv[flast], a->key_p,
	    a->key_e, id)) < 0)
		return -1;
	if (rc == 0) {
		a->added++;
		a->wrote = 1;
	}
	return rc;
}

/* Which of groups (alias lists, as for headers; NULL-terminated) the word s
 * belongs to, or -1. */
static int
word_in(const char *s, const char *const *groups)
{
	int i;

	for (i = 0; groups[i]; i++)
		if (st_column_find(&s, 1, groups[i]) == 0)
			return i;
	return -1;
}

/* Mobilize says REGISTERED / CONFIRMED / CANCELLED; others say going, declined. */
static const char *const rsvp_words[] = { "yes|y|going|attending|registered|signed_up|rsvped|"
	"accepted|true|1", "confirmed", "maybe|tentative|interested", "no|n|declined|not_going|"
	"false|0", "cancelled|canceled|cancel|removed", "waitlisted|waitlist|wait_list|waiting",
	NULL };
/* What each group of rsvp_words asks st_rsvp_set for (a full shift waitlists a "yes"). */
static const char *const rsvp_to[] = { "yes", "yes", "maybe", "no", "cancelled", "yes" };
static const char *const attended_words[] = { "no_show|noshow|no|n|false|0|absent|"
	"did_not_attend|missed", "attended|yes|y|true|1|present|showed|showed_up|checked_in|"
	"attended_event", NULL };
static const char *const status_words[] = { "active|scheduled|confirmed",
	"cancelled|canceled|cancel", NULL };

/* The RSVP and the mark the row asks for, checked; mark is the row's
 * attendance (1 attended, 0 no-show). */
static int
row_values(struct act *a, int mark, struct arow *r)
{
	int rc;

	r->w = r->conf = r->mark = -1;
	r->source = r->at = r->by = NULL;
	if (a->kind == K_RSVPS || a->v[AF_STATUS]) {
		r->w = 0;
		if (a->v[AF_STATUS] && (r->w = word_in(a->v[AF_STATUS], rsvp_words)) < 0)
			return bad(a, "invalid RSVP status '%s'", a->v[AF_STATUS]);
		r->conf = r->w == 1 ? 1 : -1;
		if (a->v[AF_CONFIRMED] && (r->conf = st_parse_yesno(a->v[AF_CONFIRMED],
		    strlen(a->v[AF_CONFIRMED]))) < 0)
			return bad(a, "invalid confirmed value '%s'", a->v[AF_CONFIRMED]);
		r->source = a->v[AF_SOURCE] ? a->v[AF_SOURCE] : "import";
	}
	/* An export lists people before the event too: no mark yet, nothing to do. */
	if (a->kind == K_ATTENDANCE && (a->v[AF_ATTENDED] || !a->has[AF_ATTENDED])) {
		r->mark = mark;
		if (a->v[AF_CHECKED_IN_AT] && (rc = row_time(a, a->v[AF_CHECKED_IN_AT], 0, a->at)) != 0)
			return rc;
		r->at = a->v[AF_CHECKED_IN_AT] ? a->at : NULL;
		r->by = a->v[AF_CHECKED_IN_BY];
	}
	return 0;
}

/* Record the row's RSVP; *outcome gets 0 unchanged, 1 new, 2 changed. */
static int
write_rsvp(struct act *a, const struct arow *r, int *outcome)
{
	struct st_rsvp_in in = { 0 };
	long live = 0;
	int rc, changes;

	in.status = rsvp_to[r->w];
	in.confirmed = r->conf;
	in.source = r->source;
	in.waitlist_ok = 1;
	in.import_id = a->import_id;
	if (lookup(a, "SELECT id FROM rsvps WHERE shift_id = ?1 AND contact_id = ?2 AND "
	    "status NOT IN ('no', 'cancelled')", NULL, r->shift, r->contact, &live) < 0)
		return -1;
	/* Ending an RSVP may move the first of the waitlist up: keep them too. */
	if (log_before(a, 1, r->shift, r->contact, r->w == 3 || r->w == 4) < 0)
		return -1;
	changes = sqlite3_total_changes(a->db);
	if ((rc = called(a, st_rsvp_set(a->db, r->shift, r->contact, &in, NULL, NULL, a->err))) != 0)
		return rc;
	*outcome = sqlite3_total_changes(a->db) == changes ? 0 : live ? 2 : 1;
	return 0;
}

/* Record the row's attendance mark; *outcome as for write_rsvp. */
static int
write_attendance(struct act *a, const struct arow *r, int *outcome)
{
	long n = 0;
	int rc, existed;

	/* Only a mark that is there already needs keeping (and a savepoint). */
	if ((existed = lookup(a, "SELECT 1 FROM attendance WHERE shift_id = ?1 AND "
	    "contact_id = ?2", NULL, r->shift, r->contact, &n)) < 0)
		return -1;
	if (existed && log_before(a, 0, r->shift, r->contact, 0) < 0)
		return -1;
	rc = st_attend_mark(a->db, &a->mark, r->shift, r->contact, !r->mark, r->at, r->by,
	    a->import_id, a->err);
	if (rc < 0)
		return -1;
	*outcome = rc == 0 ? 0 : existed ? 2 : 1;
	return 0;
}

/* Write the row's RSVP and mark one at a time, as the command-line tools do. */
static int
apply_row(struct act *a, const struct arow *r)
{
	int rc = 0, ro = 0, ao = 0;

	if (r->w >= 0)
		rc = write_rsvp(a, r, &ro);
	if (rc == 0 && r->mark >= 0)
		rc = write_attendance(a, r, &ao);
	if (ao || ro) {
		a->made = (ao ? ao : ro) == 1;
		a->changed = a->wrote = 1;
	}
	return rc;
}

/* An events or shifts file's status column: "cancelled" cancels the event
 * (or, in a row with a shift, the shift); "active" leaves it. */
static int
cancel_row(struct act *a, const char *tbl, long id)
{
	long cancelled;
	int w = word_in(a->v[AF_STATUS], status_words);

	if (w < 0)
		return bad(a, "invalid status '%s' (active or cancelled)", a->v[AF_STATUS]);
	if (w == 0)
		return 0;
	if (st_db_scalarf(a->db, a->err, &cancelled, tbl[0] == 'e' ? "SELECT status = 'cancelled' "
	    "FROM events WHERE id = ?1" : "SELECT status = 'cancelled' FROM shifts WHERE id = ?1",
	    "i", id) < 0)
		return -1;
	if (cancelled)
		return 0;
	if (tbl[0] == 'e') {
		/* Cancelling an event cancels its shifts: keep them for undo too. */
		sqlite3_stmt *st = st_db_prepare(a->db, "SELECT id FROM shifts WHERE event_id = ?1 AND "
		    "status = 'active'", a->err);
		int rc = st ? SQLITE_ROW : SQLITE_ERROR;

		if (st)
			sqlite3_bind_int64(st, 1, id);
		while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
			if (log_before(a, 2, sqlite3_column_int64(st, 0), 0, 0) < 0)
				break;
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	if (log_before(a, tbl[0] == 'e' ? 3 : 2, id, 0, 0) < 0 || (tbl[0] == 'e' ?
	    st_event_cancel(a->db, id, a->err) : st_shift_cancel(a->db, id, a->err)) < 0)
		return -1;
	a->changed = a->wrote = 1;
	return mark_row(a, tbl, id);
}

/* The bulk path. An RSVP or attendance row is read, checked and its shift
 * found as before (rejects are decided there, row by row), then staged in
 * temp.st_stage; flush writes the staged rows with a few statements over
 * all of them: contacts by their keys (walking the contact indexes in key
 * order), then each row's RSVP and mark from the state it finds, as
 * st_rsvp_set and st_attend_mark would one row at a time. Rows of a shift
 * where one row can change what another finds (a person listed twice, or
 * a "yes" given up, which moves the waitlist up) are written by apply_row,
 * in file order. The engagement levels follow once, at the end. */
static const char bulk_schema[] =
	"CREATE TEMP TABLE IF NOT EXISTS st_stage(line INTEGER PRIMARY KEY, shift INTEGER NOT NULL, "
	"contact INTEGER, phone TEXT, email TEXT, first TEXT, last TEXT, w INTEGER, want TEXT, "
	"conf INTEGER, source TEXT, mark INTEGER, checked_at TEXT, checked_by TEXT);"
	"CREATE TEMP TABLE IF NOT EXISTS st_map(line INTEGER PRIMARY KEY, pid INTEGER, eid INTEGER);"
	"CREATE TEMP TABLE IF NOT EXISTS st_newp(p TEXT PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS st_newc(line INTEGER PRIMARY KEY, id INTEGER NOT NULL);"
	"CREATE TEMP TABLE IF NOT EXISTS st_complex(shift INTEGER PRIMARY KEY);"
	"CREATE TEMP TABLE IF NOT EXISTS st_work(line, shift, contact, w, conf, source, mark, "
	"checked_at, checked_by, rid, new, ro, walk, ao);";

static const char bulk_clear[] =
	"DELETE FROM temp.st_stage; DELETE FROM temp.st_map; DELETE FROM temp.st_newp; "
	"DELETE FROM temp.st_newc; DELETE FROM temp.st_complex; DELETE FROM temp.st_work;";

/* The staged rows' contacts: the oldest with the phone, else with the
 * e-mail, found in key order (temp.st_map); then, in file order, the rows that name
 * nobody known (and those whose phone such a row may give a new person):
 * found among the people added so far, or added. */
static int
bulk_contacts(struct act *a)
{
	sqlite3_stmt *st;
	long id;
	int rc;

	if (st_db_exec(a->db,
	    "INSERT INTO temp.st_map(line, pid) WITH s AS MATERIALIZED (SELECT line, phone FROM "
	    "temp.st_stage WHERE contact IS NULL AND phone IS NOT NULL ORDER BY phone) SELECT line, "
	    "(SELECT min(c.id) FROM main.contacts c WHERE c.phone = s.phone) FROM s;"
	    "INSERT INTO temp.st_map(line, eid) WITH s AS MATERIALIZED (SELECT line, email FROM "
	    "temp.st_stage WHERE contact IS NULL AND email IS NOT NULL ORDER BY email) SELECT line, "
	    "(SELECT min(c.id) FROM main.contacts c WHERE c.email = s.email) FROM s WHERE true "
	    "ON CONFLICT(line) DO UPDATE SET eid = excluded.eid;"
	    "INSERT OR IGNORE INTO temp.st_newp SELECT s.phone FROM temp.st_stage s JOIN "
	    "temp.st_map m ON m.line = s.line WHERE s.phone IS NOT NULL AND m.pid IS NULL AND "
	    "m.eid IS NULL;"
	    "UPDATE temp.st_stage SET contact = (SELECT coalesce(m.pid, CASE WHEN st_stage.phone IS "
	    "NULL OR st_stage.phone NOT IN (SELECT p FROM temp.st_newp) THEN m.eid END) FROM "
	    "temp.st_map m WHERE m.line = st_stage.line) WHERE contact IS NULL;", a->err) < 0)
		return -1;
	if ((st = st_db_prepare(a->db, "SELECT line, phone, email, first, last FROM temp.st_stage "
	    "WHERE contact IS NULL ORDER BY line", a->err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 1);
		const char *e = (const char *)sqlite3_column_text(st, 2);
		int r;

		a->reason[0] = '\0';
		if ((r = contact_find(a, p, e, &id)) == 0 && (r = contact_new(a,
		    (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
		    p, e, &id)) == 0)
			a->res->contacts_added++;
		else if (r > 0 && a->reason[0])
			/* Checked when read (keys_storable): one that cannot be added is a bug. */
			r = st_error_set(a->err, ST_EXIT_FAIL, "%s: line %lld: %s", a->o->name,
			    (long long)sqlite3_column_int64(st, 0), a->reason);
		if (r < 0 || st_db_execf(a->db, a->err, "INSERT INTO temp.st_newc(line, id) VALUES "
		    "(?1, ?2)", "ii", (long)sqlite3_column_int64(st, 0), id) < 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return -1;
	if (rc != SQLITE_DONE)
		return st_error_db(a->err, a->db, "cannot find the contacts of the rows");
	return st_db_exec(a->db, "UPDATE temp.st_stage SET contact = (SELECT id FROM temp.st_newc n "
	    "WHERE n.line = st_stage.line) WHERE contact IS NULL", a->err);
}

/* What each staged row of a shift that no other row of the file can affect
 * finds and writes (temp.st_work): the live RSVP and its new status (a
 * "yes" takes a place while the shift has one, counting the places taken
 * by the rows before it, else joins the waitlist), the mark, and the
 * outcomes as write_rsvp and write_attendance tell them (ro, ao). */
static const char bulk_work[] =
	"INSERT INTO temp.st_complex SELECT DISTINCT shift FROM (SELECT shift FROM temp.st_stage "
	"GROUP BY shift, contact HAVING count(*) > 1 UNION SELECT s.shift FROM temp.st_stage s "
	"JOIN main.rsvps r ON r.shift_id = s.shift AND r.contact_id = s.contact AND r.status NOT IN "
	"('no', 'cancelled') WHERE s.w IN (2, 3, 4) AND r.status = 'yes');"
	"INSERT INTO temp.st_work "
	"WITH sh AS MATERIALIZED (SELECT shift, (SELECT capacity FROM main.shifts WHERE id = shift) "
	"AS cap, (SELECT count(*) FROM main.rsvps WHERE shift_id = shift AND status = 'yes') AS taken "
	"FROM (SELECT DISTINCT shift FROM temp.st_stage WHERE shift NOT IN (SELECT shift FROM "
	"temp.st_complex))), "
	"j AS (SELECT s.line, s.shift, s.contact, s.w, s.conf, s.source, s.mark, s.checked_at, "
	"s.checked_by, sh.cap, sh.taken, r.id AS rid, r.status AS rstatus, r.confirmed AS rconf, "
	"s.want, m.contact_id IS NOT NULL AS had, m.status AS "
	"mstatus, m.checked_in_at AS mat, m.checked_in_by AS mby, m.walk_in AS mwalk "
	"FROM temp.st_stage s JOIN sh ON sh.shift = s.shift LEFT JOIN main.rsvps r ON r.shift_id = "
	"s.shift AND r.contact_id = s.contact AND r.status NOT IN ('no', 'cancelled') LEFT JOIN "
	"main.attendance m ON s.mark IS NOT NULL AND m.contact_id = s.contact AND m.shift_id = "
	"s.shift), "
	"k AS (SELECT *, CASE WHEN want IS NULL THEN NULL WHEN want <> 'yes' THEN want WHEN rstatus "
	"IN ('yes', 'waitlisted') THEN rstatus WHEN cap IS NULL OR taken + sum(want = 'yes' AND "
	"(rstatus IS NULL OR rstatus = 'maybe')) OVER (PARTITION BY shift ORDER BY line ROWS "
	"UNBOUNDED PRECEDING) <= cap THEN 'yes' ELSE 'waitlisted' END AS new FROM j), "
	"o AS (SELECT *, CASE WHEN want IS NULL THEN 0 WHEN rid IS NOT NULL THEN 2 * (rstatus IS NOT "
	"new OR (conf >= 0 AND conf IS NOT rconf)) WHEN want IN ('no', 'cancelled') AND (SELECT "
	"x.status FROM main.rsvps x WHERE x.shift_id = k.shift AND x.contact_id = k.contact ORDER BY "
	"x.id DESC LIMIT 1) = want THEN 0 ELSE 1 END AS ro, mark = 1 AND NOT CASE WHEN want IS NULL "
	"THEN rid IS NOT NULL ELSE new NOT IN ('no', 'cancelled') END AS walk FROM k) "
	"SELECT line, shift, contact, w, conf, source, mark, checked_at, checked_by, rid, new, ro, "
	"walk, CASE WHEN mark IS NULL THEN 0 WHEN NOT had THEN 1 WHEN (mstatus, mat, mby, mwalk) IS "
	"NOT (CASE WHEN mark THEN 'attended' ELSE 'no_show' END, CASE WHEN mark THEN checked_at END, "
	"checked_by, walk) THEN 2 ELSE 0 END FROM o";

/* Write what temp.st_work says, keeping before-images as log_before does
 * for a row that writes anything: its live RSVP, its mark, and (when it
 * ends an RSVP) the shift's waitlist. ?1 the batch, ?2 the time. */
static int
bulk_write(struct act *a)
{
	struct st_buf sql = { 0 };
	sqlite3_stmt *st;
	long n;
	int i;

	for (i = 0; i < 2; i++)
		if (a->image[i] == NULL) {
			struct st_buf b = { 0 };

			if (image_expr(a, i ? "rsvps" : "attendance", i ? "r." : "m.", &b) < 0) {
				st_buf_free(&b);
				return -1;
			}
			a->image[i] = b.s;
		}
	st_buf_printf(&sql, "INSERT OR IGNORE INTO import_undo(import_id, tbl, row_key, old) SELECT "
	    "?1, 'rsvps', r.id, %s FROM temp.st_work w JOIN main.rsvps r ON r.id = w.rid WHERE w.w IS "
	    "NOT NULL AND (w.ro OR w.ao) AND r.import_id IS NOT ?1 UNION ALL SELECT ?1, 'rsvps', r.id, "
	    "%s FROM main.rsvps r WHERE r.shift_id IN (SELECT shift FROM temp.st_work WHERE w IN (3, 4) "
	    "AND (ro OR ao)) AND r.status = 'waitlisted' AND r.import_id IS NOT ?1 UNION ALL SELECT ?1, "
	    "'attendance', m.contact_id || ':' || m.shift_id, %s FROM temp.st_work w JOIN "
	    "main.attendance m ON m.contact_id = w.contact AND m.shift_id = w.shift WHERE w.mark IS NOT "
	    "NULL AND (w.ro OR w.ao) AND m.import_id IS NOT ?1", a->image[1], a->image[1],
	    a->image[0]);
	n = st_db_execf(a->db, a->err, sql.s, "i", a->import_id);
	st_buf_free(&sql);
	if (n < 0 ||
	    st_db_execf(a->db, a->err, "UPDATE main.rsvps SET status = w.new, source = w.source, "
	    "confirmed = CASE WHEN w.conf >= 0 THEN w.conf ELSE rsvps.confirmed END, import_id = ?1, "
	    "updated_at = CASE WHEN rsvps.status = w.new THEN rsvps.updated_at ELSE ?2 END FROM "
	    "temp.st_work w WHERE w.ro = 2 AND rsvps.id = w.rid", "it", a->import_id, a->now) < 0 ||
	    st_db_execf(a->db, a->err, "INSERT INTO main.rsvps(contact_id, shift_id, status, source, "
	    "confirmed, import_id, created_at, updated_at) SELECT contact, shift, new, source, "
	    "max(conf, 0), ?1, ?2, ?2 FROM temp.st_work WHERE ro = 1 ORDER BY line", "it",
	    a->import_id, a->now) < 0 ||
	    st_db_execf(a->db, a->err, "INSERT INTO main.attendance(contact_id, shift_id, status, "
	    "checked_in_at, checked_in_by, walk_in, import_id, created_at) SELECT contact, shift, CASE "
	    "WHEN mark THEN 'attended' ELSE 'no_show' END, CASE WHEN mark THEN checked_at END, "
	    "checked_by, walk, ?1, ?2 FROM temp.st_work WHERE ao > 0 ORDER BY contact, shift "
	    "ON CONFLICT(contact_id, shift_id) DO UPDATE SET status = excluded.status, checked_in_at = "
	    "excluded.checked_in_at, checked_in_by = excluded.checked_in_by, walk_in = "
	    "excluded.walk_in, import_id = excluded.import_id", "it", a->import_id, a->now) < 0)
		return -1;
	if ((st = st_db_prepare(a->db, "SELECT count(*) FILTER (WHERE made), count(*) FILTER (WHERE "
	    "NOT made AND (ro OR ao)), count(*) FILTER (WHERE NOT (ro OR ao)) FROM (SELECT ro, ao, "
	    "CASE WHEN ao THEN ao ELSE ro END = 1 AS made FROM temp.st_work)", a->err)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return st_error_db(a->err, a->db, "cannot count the rows written");
	}
	a->res->inserted += sqlite3_column_int64(st, 0);
	a->res->updated += sqlite3_column_int64(st, 1);
	a->res->unchanged += sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	return 0;
}

/* The staged rows of the shifts in temp.st_complex, one at a time in file
 * order, as rows are written without the bulk path. */
static int
bulk_rowwise(struct act *a)
{
	struct st_buf vals = { 0 };
	struct arow r;
	long line = 0;
	int rc;

	for (;;) {
		sqlite3_stmt *st = a->next;
		size_t at = 0, by = 0, src = 0;

		if (st == NULL && (st = a->next = st_db_prepare(a->db, "SELECT line, shift, contact, w, "
		    "conf, source, mark, checked_at, checked_by FROM temp.st_stage s WHERE line > ?1 AND "
		    "EXISTS (SELECT 1 FROM temp.st_complex c WHERE c.shift = s.shift) ORDER BY line "
		    "LIMIT 1", a->err)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, line);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc == SQLITE_DONE) {
				st_buf_free(&vals);
				return 0;
			}
			st_error_db(a->err, a->db, "cannot read a staged row");
			break;
		}
		/* Copies: the statement is reset before the row is written. */
		st_buf_reset(&vals);
		src = vals.len;
		st_buf_adds(&vals, sqlite3_column_type(st, 5) == SQLITE_NULL ? "" :
		    (const char *)sqlite3_column_text(st, 5));
		st_buf_addc(&vals, '\0');
		at = vals.len;
		st_buf_adds(&vals, sqlite3_column_type(st, 7) == SQLITE_NULL ? "" :
		    (const char *)sqlite3_column_text(st, 7));
		st_buf_addc(&vals, '\0');
		by = vals.len;
		st_buf_adds(&vals, sqlite3_column_type(st, 8) == SQLITE_NULL ? "" :
		    (const char *)sqlite3_column_text(st, 8));
		r.line = line = (long)sqlite3_column_int64(st, 0);
		r.shift = (long)sqlite3_column_int64(st, 1);
		r.contact = (long)sqlite3_column_int64(st, 2);
		r.w = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3);
		r.conf = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
		r.mark = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
		r.source = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : vals.s + src;
		r.at = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL : vals.s + at;
		r.by = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : vals.s + by;
		sqlite3_reset(st);
		row_start(a);
		if (row_end(a, apply_row(a, &r), NULL, line) < 0)
			break;
	}
	st_buf_free(&vals);
	return -1;
}

/* Write the staged rows. */
static int
flush(struct act *a)
{
	if (a->staged == 0)
		return 0;
	a->staged = 0;
	if (bulk_contacts(a) < 0 || st_db_exec(a->db, bulk_work, a->err) < 0 || bulk_write(a) < 0 ||
	    bulk_rowwise(a) < 0)
		return -1;
	return st_db_exec(a->db, bulk_clear, a->err);
}

/* How the row finds its contact: 0 by its keys, in flush with the rows
 * staged with it; 1 at once, by row_contact (a contact id, keys that name
 * nobody or that a new contact would not keep as they are, or no bulk path).
 * Such a row must see the people the staged rows add, so they go first. A
 * contact id found here is *found (row_contact need not look again). */
static int
contact_route(struct act *a, long *found)
{
	long id;
	int rc;

	if (a->chunk == 0)
		return 1;
	if (a->v[AF_CONTACT]) {
		/* Contacts are never removed during an import: one found stays found. */
		if (a->staged > 0 && st_parse_long(a->v[AF_CONTACT], 1, 0x7fffffffffffL, &id) == 0) {
			rc = lookup(a, "SELECT id FROM contacts WHERE id = ?1", NULL, id, 0, &id);
			if (rc == 1)
				*found = id;
			else if (rc == 0 && flush(a) < 0)
				return -1;
		}
		return 1;
	}
	row_keys(a);
	if (keys_storable(a))
		return 0;
	if ((a->key_p || a->key_e) && flush(a) < 0)
		return -1;
	return 1;
}

/* Put the row in temp.st_stage for flush to write. */
static int
stage_row(struct act *a, const struct arow *r)
{
	static int ffirst = -1, flast;
	sqlite3_stmt *st = a->stage;

	if (ffirst < 0) {
		ffirst = st_contact_field("first_name");
		flast = st_contact_field("last_name");
	}
	if (st == NULL && (st = a->stage = st_db_prepare(a->db, "INSERT INTO temp.st_stage(line, "
	    "shift, contact, phone, email, first, last, w, conf, source, mark, checked_at, "
	    "checked_by, want) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	    a->err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->line);
	sqlite3_bind_int64(st, 2, r->shift);
	if (r->contact > 0) {
		sqlite3_bind_int64(st, 3, r->contact);
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
		sqlite3_bind_null(st, 7);
	} else {
		sqlite3_bind_null(st, 3);
		sqlite3_bind_text(st, 4, a->key_p, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->key_e, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a->cv[ffirst], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, a->cv[flast], -1, SQLITE_STATIC);
	}
	if (r->w >= 0) {
		sqlite3_bind_int(st, 8, r->w);
		sqlite3_bind_int(st, 9, r->conf);
		sqlite3_bind_text(st, 14, rsvp_to[r->w], -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 8);
		sqlite3_bind_null(st, 9);
		sqlite3_bind_null(st, 14);
	}
	sqlite3_bind_text(st, 10, r->source, -1, SQLITE_STATIC);
	if (r->mark >= 0)
		sqlite3_bind_int(st, 11, r->mark);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_text(st, 12, r->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, r->by, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return st_error_db(a->err, a->db, "cannot stage a row");
	}
	sqlite3_reset(st);
	a->staged++;
	a->deferred = 1;
	return 0;
}

/* The end of a row: count it, keep or roll back what it wrote, and reject
 * it (rc 1) with the reason. row is NULL for a row flush writes, which was
 * checked when it was read and cannot be rejected any more. */
static int
row_end(struct act *a, int rc, const struct st_csv_row *row, long line)
{
	if (rc < 0)
		return -1;
	if (rc == 0 && !a->deferred) {
		a->res->inserted += a->made;
		a->res->updated += !a->made && a->changed;
		a->res->unchanged += !a->made && !a->changed;
	}
	if (rc == 0)
		a->res->contacts_added += a->added;
	if (a->sp_open) {
		/* A row that changes nothing leaves nothing, not even a before-image. */
		if (rc == 0 && a->wrote) {
			if (sqlite3_step(a->sp_release) != SQLITE_DONE) {
				sqlite3_reset(a->sp_release);
				return st_error_db(a->err, a->db, "cannot release a savepoint");
			}
			sqlite3_reset(a->sp_release);
			a->sp_open = 0;
			return 0;
		}
		a->sp_open = 0;
		if (sqlite3_step(a->sp_rollback) != SQLITE_DONE || (sqlite3_reset(a->sp_rollback),
		    sqlite3_step(a->sp_release)) != SQLITE_DONE) {
			sqlite3_reset(a->sp_rollback);
			sqlite3_reset(a->sp_release);
			return st_error_db(a->err, a->db, "cannot roll back a row");
		}
		sqlite3_reset(a->sp_rollback);
		sqlite3_reset(a->sp_release);
		/* What was remembered may have been rolled back. */
		if (rc != 0)
			a->last_shift = 0;
	}
	if (rc == 0)
		return 0;
	if (a->o->strict || row == NULL)
		return st_error_set(a->err, row ? ST_EXIT_DATA : ST_EXIT_FAIL, "%s: line %ld: %s",
		    a->o->name, line, a->reason);
	a->res->rejected++;
	return a->o->rejects ? st_import_reject(a->o->rejects, a->in, row, a->reason, a->err) : 0;
}

static int
import_row(struct act *a, const struct st_csv_row *row)
{
	long shift = 0, contact = 0, event = 0;
	int rc = 0, attended = 1;

	row_start(a);
	if (st_import_row_bad(a->in, row, a->reason, sizeof(a->reason)))
		return row_end(a, 1, row, row->line);
	take_row(a, row);
	if (a->kind == K_ATTENDANCE && a->v[AF_ATTENDED] && (attended = word_in(a->v[AF_ATTENDED],
	    attended_words)) < 0)
		return row_end(a, bad(a, "invalid attendance '%s' (attended or no_show)",
		    a->v[AF_ATTENDED]), row, row->line);
	if (a->kind == K_EVENTS) {
		if ((rc = resolve_event(a, &event)) == 0 && event > 0)
			rc = resolve_shift(a, event, &shift);
		else if (rc == 0)
			rc = bad(a, "no event named");
		if (rc == 0 && a->v[AF_STATUS])
			rc = cancel_row(a, shift ? "shifts" : "events", shift ? shift : event);
	} else if (a->kind == K_SHIFTS) {
		if ((rc = resolve_event(a, &event)) == 0)
			rc = resolve_shift(a, event, &shift);
		if (rc == 0 && shift == 0)
			rc = bad(a, "no shift named");
		if (rc == 0 && a->v[AF_STATUS])
			rc = cancel_row(a, "shifts", shift);
	} else {
		struct arow r;
		int route = contact_route(a, &contact);

		if (route < 0)
			return -1;
		/* A flush wrote rows of its own: the row starts here. */
		row_start(a);
		rc = row_shift(a, &shift);
		if (rc == 0 && route == 1 && contact == 0)
			rc = row_contact(a, &contact);
		if (rc == 0)
			rc = row_values(a, attended, &r);
		if (rc == 0) {
			r.line = row->line;
			r.shift = shift;
			r.contact = contact;
			rc = a->chunk == 0 ? apply_row(a, &r) : stage_row(a, &r);
		}
	}
	return row_end(a, rc, row, row->line);
}

/* A turfs or volunteers row: its named fields, as st-allocate reads them
 * (columns renamed by o->maps, '-' dropped), stored by the allocator's upserts. */
static int
import_named_row(struct act *a, const struct st_csv_row *row, const char *const *names)
{
	size_t n = st_csvin_ncols(a->in);
	int rc;

	a->reason[0] = '\0';
	if (st_import_row_bad(a->in, row, a->reason, sizeof(a->reason)))
		rc = 1;
	else if (a->kind == K_TURFS)
		rc = called(a, st_turf_upsert(a->db, n, names, (const char *const *)row->f, a->err));
	else
		rc = called(a, st_volunteer_upsert(a->db, n, names, (const char *const *)row->f,
		    a->err));
	if (rc <= 0) {
		a->res->inserted += rc == 0;
		return rc;
	}
	if (a->o->strict)
		return st_error_set(a->err, ST_EXIT_DATA, "%s: line %ld: %s", a->o->name, row->line,
		    a->reason);
	a->res->rejected++;
	return a->o->rejects ? st_import_reject(a->o->rejects, a->in, row, a->reason, a->err) : 0;
}

/* The names turfs and volunteers rows go by: the file's, or what o->maps says. */
static const char **
named_columns(struct act *a)
{
	size_t i, j, ncols = st_csvin_ncols(a->in);
	const char *const *names = st_csvin_names(a->in);
	const char **out = st_xcalloc(ncols + 1, sizeof(*out));

	for (i = 0; i < ncols; i++)
		out[i] = names[i];
	for (j = 0; a->o->maps && a->o->maps[j]; j++) {
		const char *m = a->o->maps[j], *eq = strchr(m, '=');
		int found = 0;

		if (eq == NULL || eq == m || eq[1] == '\0') {
			st_error_set(a->err, ST_EXIT_USAGE, "invalid mapping '%s' (want COLUMN=FIELD)", m);
			free(out);
			return NULL;
		}
		for (i = 0; i < ncols; i++) {
			if (strlen(names[i]) == (size_t)(eq - m) && memcmp(names[i], m, (size_t)(eq - m))
			    == 0) {
				/* An unknown name is ignored by the upserts, as '-' means. */
				out[i] = eq + 1;
				found = 1;
			}
		}
		if (!found) {
			st_error_set(a->err, ST_EXIT_USAGE, "no column '%.*s' in '%s' to map",
			    (int)(eq - m), m, a->o->name);
			free(out);
			return NULL;
		}
	}
	for (i = 0; a->o->mapped && i < ncols; i++)
		a->o->mapped(a->o->mapped_arg, names[i], out[i]);
	return out;
}

static void
act_free(struct act *a)
{
	sqlite3_stmt **sts[] = { &a->sp, &a->sp_release, &a->sp_rollback, &a->mark, &a->log[0],
		&a->log[1], &a->log[2], &a->log[3], &a->stage, &a->next };
	size_t i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		sqlite3_finalize(*sts[i]);
	if (a->fk_off)
		sqlite3_exec(a->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	free(a->colf);
	free(a->cv);
	free(a->image[0]);
	free(a->image[1]);
	st_buf_free(&a->vals);
	st_buf_free(&a->last_key);
	st_csvin_close(a->in);
}

int
st_import_activity(sqlite3 *db, const char *kind, const struct st_import_opts *o,
    struct st_import_result *res, struct st_error *err)
{
	struct act a = { 0 };
	struct st_csv_row *row;
	const char **named = NULL;
	long v;
	int rc;

	memset(res, 0, sizeof(*res));
	for (a.kind = 0; kinds[a.kind] && strcmp(kinds[a.kind], kind) != 0; a.kind++)
		;
	if (kinds[a.kind] == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "unknown kind '%s' (contacts, events, shifts, "
		    "rsvps, attendance, turfs or volunteers)", kind);
	if (o->tz && !st_tz_valid(o->tz))
		return st_error_set(err, ST_EXIT_USAGE, "unknown time zone '%s'", o->tz);
	/* RSVPs and marks are staged and written together, BULK_CHUNK rows at a
	 * time (more saves little time and costs memory); ST_IMPORT_BULK=N stages
	 * N (0: each row is written at once, for comparing the two ways in tests). */
	a.chunk = a.kind == K_RSVPS || a.kind == K_ATTENDANCE ? BULK_CHUNK : 0;
	if (a.chunk && getenv("ST_IMPORT_BULK") && *getenv("ST_IMPORT_BULK") &&
	    st_parse_long(getenv("ST_IMPORT_BULK"), 0, BULK_MAX, &a.chunk) < 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid ST_IMPORT_BULK '%s' (a number of rows)",
		    getenv("ST_IMPORT_BULK"));
	a.db = db;
	a.o = o;
	a.err = err;
	a.res = res;
	a.cv = st_xcalloc(st_ncontact_fields, sizeof(*a.cv));
	st_now_iso(a.now);
	if ((a.in = st_csvin_open(o->fp, o->name, &o->csv, err)) == NULL) {
		act_free(&a);
		return -1;
	}
	if (o->rejects)
		st_out_reject_columns(o->rejects, st_csvin_names(a.in), st_csvin_ncols(a.in),
		    st_csvin_is_jsonl(a.in));
	/* Each row is a savepoint: keep its journal in memory, not in a temp file. */
	sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	/* The bulk path writes RSVPs and marks whose contact, shift and batch it
	 * has just found or made, and deletes nothing: checking the foreign keys
	 * of each row again is a random probe into contacts a row. The setting
	 * is the connection's, and only takes outside a transaction; act_free
	 * puts it back. */
	if (a.chunk && sqlite3_get_autocommit(db) && st_db_scalarf(db, err, &v, "PRAGMA "
	    "foreign_keys", "") > 0 && v && sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL,
	    NULL) == SQLITE_OK)
		a.fk_off = 1;
	if (a.kind >= K_TURFS)
		named = named_columns(&a);
	if ((a.kind >= K_TURFS ? named == NULL : map_columns(&a) < 0 || check_columns(&a) < 0) ||
	    st_db_begin(db, err) < 0) {
		free(named);
		act_free(&a);
		return -1;
	}
	/* A 64 MB page cache: marks land all over the attendance table and its
	 * indexes, and a smaller cache spills them to the WAL again and again. */
	sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	if (o->event > 0 && (rc = st_db_scalarf(db, err, &v, "SELECT id FROM events WHERE id = ?1",
	    "i", o->event)) <= 0) {
		if (rc == 0)
			st_error_set(err, ST_EXIT_DATA, "no event %ld", o->event);
		goto fail;
	}
	if (o->shift > 0 && st_shift_open(db, o->shift, err) < 0)
		goto fail;
	if (st_import_batch_start(db, kind, o, a.now, &a.import_id, err) < 0)
		goto fail;
	a.sp = st_db_prepare(db, "SAVEPOINT import_row", err);
	a.sp_release = a.sp ? st_db_prepare(db, "RELEASE import_row", err) : NULL;
	a.sp_rollback = a.sp_release ? st_db_prepare(db, "ROLLBACK TO import_row", err) : NULL;
	if (a.sp_rollback == NULL || (a.chunk && st_db_exec(db, bulk_schema, err) < 0))
		goto fail;
	while ((rc = st_csvin_next(a.in, &row, err)) > 0) {
		res->read++;
		if ((named ? import_named_row(&a, row, named) : import_row(&a, row)) < 0)
			goto fail;
		if (a.staged >= a.chunk && flush(&a) < 0)
			goto fail;
		if (o->progress && (res->read & 0xffff) == 0)
			o->progress(o->progress_arg, st_csvin_offset(a.in), res->read);
	}
	if (rc < 0 || flush(&a) < 0)
		goto fail;
	if (a.kind == K_ATTENDANCE && st_levels_update(db, a.import_id, NULL, err) < 0)
		goto fail;
	if (st_db_execf(db, err, "UPDATE imports SET contacts_added = ?1 WHERE id = ?2", "ii",
	    res->contacts_added, a.import_id) < 0 ||
	    st_import_batch_finish(db, a.import_id, res, o->rejects, "", err) < 0)
		goto fail;
	if (o->dry_run)
		st_db_rollback(db);
	else if (st_db_commit(db, err) < 0)
		goto out;
	else
		res->id = a.import_id;
	free(named);
	act_free(&a);
	return 0;
fail:
	st_db_rollback(db);
out:
	free(named);
	act_free(&a);
	return -1;
}

int
st_import_undo_activity(sqlite3 *db, long id, long *restored, long *deleted, struct st_error *err)
{
	long v, n, r = 0, d = 0, marks = 0;
	int t, rc;

	/* Turfs and volunteers are stored by the allocator's upserts, which keep no
	 * before-images: such a batch cannot be taken back exactly, so it is not. */
	rc = st_db_scalarf(db, err, &v, "SELECT kind IN ('turfs', 'volunteers') FROM imports WHERE "
	    "id = ?1", "i", id);
	if (rc < 0)
		return -1;
	if (rc > 0 && v)
		return st_error_set(err, ST_EXIT_FAIL, "import %ld loaded turfs or volunteers, which "
		    "cannot be undone; edit them with st-import or SQL", id);
	/* A later batch that rewrote rows this one wrote must be undone first. */
	rc = st_db_scalarf(db, err, &v, "SELECT max(u.import_id) FROM import_undo u JOIN imports i "
	    "ON i.id = u.import_id WHERE u.import_id > ?1 AND i.undone_at IS NULL AND "
	    "json_extract(u.old, '$.import_id') = ?1", "i", id);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return st_error_set(err, ST_EXIT_FAIL, "import %ld changed rows that import %ld "
		    "changed later; undo %ld first", id, v, v);
	/* Removing a shift or event it made must not take other people's records along. */
	rc = st_db_scalarf(db, err, &v, "SELECT s.id FROM shifts s WHERE s.import_id = ?1 AND NOT "
	    "EXISTS (SELECT 1 FROM import_undo u WHERE u.import_id = ?1 AND u.tbl = 'shifts' AND "
	    "u.row_key = s.id) AND (EXISTS (SELECT 1 FROM rsvps r WHERE r.shift_id = s.id AND "
	    "r.import_id IS NOT ?1) OR EXISTS (SELECT 1 FROM attendance a WHERE a.shift_id = s.id "
	    "AND a.import_id IS NOT ?1)) LIMIT 1", "i", id);
	if (rc > 0)
		return st_error_set(err, ST_EXIT_FAIL, "shift %ld, which import %ld created, has RSVPs "
		    "or attendance from elsewhere since", v, id);
	if (rc == 0 && (rc = st_db_scalarf(db, err, &v, "SELECT e.id FROM events e WHERE e.import_id = "
	    "?1 AND NOT EXISTS (SELECT 1 FROM import_undo u WHERE u.import_id = ?1 AND u.tbl = "
	    "'events' AND u.row_key = e.id) AND EXISTS (SELECT 1 FROM shifts s WHERE s.event_id = "
	    "e.id AND s.import_id IS NOT ?1) LIMIT 1", "i", id)) > 0)
		return st_error_set(err, ST_EXIT_FAIL, "event %ld, which import %ld created, has shifts "
		    "from elsewhere since", v, id);
	if (rc < 0)
		return -1;
	for (t = 0; undo_tables[t]; t++) {
		const char *tbl = undo_tables[t];
		struct st_buf del = { 0 }, put = { 0 };
		sqlite3_stmt *cols = st_db_prepare(db, "SELECT name FROM pragma_table_info(?1) ORDER BY "
		    "cid", err);
		int i = 0;

		if (cols == NULL)
			return -1;
		sqlite3_bind_text(cols, 1, tbl, -1, SQLITE_STATIC);
		/* Rows it made go; rows it changed get their old values back. */
		if (t == 0) {
			st_buf_adds(&del, "DELETE FROM attendance WHERE import_id = ?1");
			st_buf_adds(&put, "INSERT OR IGNORE INTO attendance SELECT ");
			while (sqlite3_step(cols) == SQLITE_ROW)
				st_buf_printf(&put, "%sjson_extract(old, '$.%s')", i++ ? ", " : "",
				    sqlite3_column_text(cols, 0));
			st_buf_adds(&put, " FROM import_undo WHERE import_id = ?1 AND tbl = 'attendance'");
		} else {
			st_buf_printf(&del, "DELETE FROM %s WHERE import_id = ?1 AND NOT EXISTS (SELECT 1 "
			    "FROM import_undo u WHERE u.import_id = ?1 AND u.tbl = '%s' AND "
			    "CAST(u.row_key AS INTEGER) = %s.id)", tbl, tbl, tbl);
			st_buf_printf(&put, "UPDATE %s SET ", tbl);
			while (sqlite3_step(cols) == SQLITE_ROW)
				if (strcmp((const char *)sqlite3_column_text(cols, 0), "id") != 0)
					st_buf_printf(&put, "%s%s = json_extract(u.old, '$.%s')", i++ ? ", " :
					    "", sqlite3_column_text(cols, 0), sqlite3_column_text(cols, 0));
			st_buf_printf(&put, " FROM import_undo u WHERE u.import_id = ?1 AND u.tbl = '%s' "
			    "AND %s.id = CAST(u.row_key AS INTEGER)", tbl, tbl);
		}
		sqlite3_finalize(cols);
		n = st_db_execf(db, err, del.s, "i", id);
		if (n >= 0) {
			d += n;
			n = st_db_execf(db, err, put.s, "i", id);
			r += n;
		}
		st_buf_free(&del);
		st_buf_free(&put);
		if (n < 0)
			return -1;
		marks += t == 0 ? d + r : 0;
	}
	/* Attendance counts and levels follow the marks put back or taken away. */
	if (marks > 0 && st_levels_update(db, 0, NULL, err) < 0)
		return -1;
	if (restored)
		*restored += r;
	if (deleted)
		*deleted += d;
	return 0;
}
