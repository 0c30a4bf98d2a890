#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/normalize.h"
#include "st/query.h"
#include "st/tz.h"
#include "st/util.h"

/* A text column of the first row, copied (NULL if none). */
#define text(db, err, rc, sql, id) st_db_textf(db, err, rc, sql, "i", (long)(id))

static int
commit(sqlite3 *db, int rc, struct st_error *err)
{
	if (rc < 0) {
		st_db_rollback(db);
		return -1;
	}
	return st_db_commit(db, err);
}

static int
check_contact(sqlite3 *db, long id, struct st_error *err)
{
	long v;
	int rc = st_db_scalarf(db, err, &v, "SELECT id FROM contacts WHERE id = ?", "i", id);

	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", id);
	return rc < 0 ? -1 : 0;
}

static int
check_event_fields(sqlite3 *db, const struct st_event_in *in, struct st_error *err)
{
	if (in->tz && !st_tz_valid(in->tz))
		return st_error_set(err, ST_EXIT_DATA, "unknown time zone '%s'", in->tz);
	if (in->title && *in->title == '\0')
		return st_error_set(err, ST_EXIT_DATA, "an event needs a title");
	if (in->kind && (*in->kind == '\0' || strspn(in->kind, "abcdefghijklmnopqrstuvwxyz_-") !=
	    strlen(in->kind)))
		return st_error_set(err, ST_EXIT_DATA, "invalid event kind '%s' (lowercase letters, "
		    "such as canvass, phonebank, meeting or training)", in->kind);
	if (in->has_latlon && (in->lat < -90 || in->lat > 90 || in->lon < -180 || in->lon > 180))
		return st_error_set(err, ST_EXIT_DATA, "invalid location %g,%g", in->lat, in->lon);
	if (in->organizer > 0 && check_contact(db, in->organizer, err) < 0)
		return -1;
	return 0;
}

int
st_event_create(sqlite3 *db, const struct st_event_in *in, long *id, struct st_error *err)
{
	char now[21];
	long rc;

	if (in->title == NULL || in->tz == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "an event needs a title and a time zone");
	if (check_event_fields(db, in, err) < 0)
		return -1;
	st_now_iso(now);
	rc = st_db_execf(db, err, "INSERT INTO events(kind, title, description, location, latitude, "
	    "longitude, area, tz, organizer_id, external_id, created_at, updated_at) VALUES "
	    "(coalesce(?1, 'canvass'), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
	    in->has_latlon ? "ttttddttItt" : "ttttnnttItt", in->kind, in->title, in->description,
	    in->location, in->lat, in->lon, in->area, in->tz, in->organizer, in->external_id, now);
	if (rc < 0)
		return -1;
	*id = (long)sqlite3_last_insert_rowid(db);
	return 0;
}

int
st_event_edit(sqlite3 *db, long id, const struct st_event_in *in, struct st_error *err)
{
	char now[21];
	long rc;

	if (check_event_fields(db, in, err) < 0)
		return -1;
	st_now_iso(now);
	rc = st_db_execf(db, err, "UPDATE events SET kind = coalesce(?2, kind), title = coalesce(?3, title), "
	    "description = coalesce(?4, description), location = coalesce(?5, location), "
	    "latitude = CASE WHEN ?6 THEN ?7 ELSE latitude END, "
	    "longitude = CASE WHEN ?6 THEN ?8 ELSE longitude END, area = coalesce(?9, area), "
	    "tz = coalesce(?10, tz), organizer_id = CASE ?11 WHEN 0 THEN organizer_id WHEN -1 "
	    "THEN NULL ELSE ?11 END, external_id = coalesce(?12, external_id), updated_at = ?13 "
	    "WHERE id = ?1", "ittttiddttitt", id, in->kind, in->title, in->description,
	    in->location, (long)in->has_latlon, in->lat, in->lon, in->area, in->tz, in->organizer,
	    in->external_id, now);
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no event %ld", id);
	return rc < 0 ? -1 : 0;
}

int
st_event_cancel(sqlite3 *db, long id, struct st_error *err)
{
	char now[21];
	long rc;

	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "UPDATE events SET status = 'cancelled', updated_at = ?2 WHERE id = ?1",
	    "it", id, now);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "no event %ld", id);
	if (rc > 0)
		rc = st_db_execf(db, err, "UPDATE shifts SET status = 'cancelled', updated_at = ?2 WHERE "
		    "event_id = ?1 AND status = 'active'", "it", id, now);
	return commit(db, rc < 0 ? -1 : 0, err);
}

/* Parse a shift's start and end in its event's zone. */
static int
shift_times(sqlite3 *db, long event, const char *start, const char *end, char *s_utc,
    char *e_utc, struct st_error *err)
{
	time_t s, e;
	char *tz;
	int rc;

	tz = text(db, err, &rc, "SELECT tz FROM events WHERE id = ?", event);
	if (rc == 0)
		st_error_set(err, ST_EXIT_DATA, "no event %ld", event);
	if (rc <= 0) {
		free(tz);
		return -1;
	}
	rc = st_time_parse(start, tz, &s, err) < 0 || st_time_parse(end, tz, &e, err) < 0 ? -1 : 0;
	free(tz);
	if (rc < 0)
		return -1;
	if (e <= s)
		return st_error_set(err, ST_EXIT_DATA, "shift ends (%s) before it starts (%s)", end,
		    start);
	st_time_utc(s, s_utc);
	st_time_utc(e, e_utc);
	return 0;
}

static int
check_overlap(sqlite3 *db, long event, long shift, const char *s_utc, const char *e_utc,
    struct st_error *err)
{
	long other;
	int rc = st_db_scalarf(db, err, &other, "SELECT id FROM shifts WHERE event_id = ?1 AND id IS NOT ?2 "
	    "AND status = 'active' AND starts_at < ?4 AND ends_at > ?3 ORDER BY starts_at LIMIT 1",
	    "iItt", event, shift, s_utc, e_utc);

	if (rc > 0)
		return st_error_set(err, ST_EXIT_DATA, "shift overlaps shift %ld of event %ld", other,
		    event);
	return rc;
}

int
st_shift_add(sqlite3 *db, long event_id, const char *start, const char *end, long capacity,
    const char *external_id, long *id, struct st_error *err)
{
	char s[21], e[21], now[21], *status;
	int rc;

	if (st_db_begin(db, err) < 0)
		return -1;
	status = text(db, err, &rc, "SELECT status FROM events WHERE id = ?", event_id);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "no event %ld", event_id);
	else if (rc > 0 && strcmp(status, "cancelled") == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "event %ld is cancelled", event_id);
	free(status);
	if (rc >= 0)
		rc = shift_times(db, event_id, start, end, s, e, err);
	if (rc >= 0)
		rc = check_overlap(db, event_id, 0, s, e, err);
	st_now_iso(now);
	if (rc >= 0 && st_db_execf(db, err, "INSERT INTO shifts(event_id, starts_at, ends_at, capacity, "
	    "external_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	    capacity >= 0 ? "ittitt" : "itt-tt", event_id, s, e, capacity, external_id, now) < 0)
		rc = -1;
	if (rc >= 0)
		*id = (long)sqlite3_last_insert_rowid(db);
	return commit(db, rc, err);
}

/* Fill free places of shift from its waitlist, first come first served;
 * *promoted (may be NULL) gets the first contact promoted, or 0. */
static int
promote(sqlite3 *db, long shift, long *promoted, struct st_error *err)
{
	char now[21];
	long cap, taken, next;
	int rc;

	if (promoted)
		*promoted = 0;
	st_now_iso(now);
	for (;;) {
		rc = st_db_scalarf(db, err, &cap, "SELECT capacity FROM shifts WHERE id = ?", "i", shift);
		if (rc < 0)
			return -1;
		if (rc > 0 && (rc = st_db_scalarf(db, err, &taken, "SELECT count(*) FROM rsvps WHERE "
		    "shift_id = ? AND status = 'yes'", "i", shift)) < 0)
			return -1;
		if (rc > 0 && taken >= cap)
			return 0;
		/* First come, first served: by when each joined the waitlist. */
		rc = st_db_scalarf(db, err, &next, "SELECT id FROM rsvps WHERE shift_id = ? AND status = "
		    "'waitlisted' ORDER BY updated_at, id LIMIT 1", "i", shift);
		if (rc <= 0)
			return rc;
		if (st_db_execf(db, err, "UPDATE rsvps SET status = 'yes', updated_at = ?2 WHERE id = ?1",
		    "it", next, now) < 0)
			return -1;
		if (promoted && *promoted == 0 && st_db_scalarf(db, err, promoted, "SELECT contact_id FROM "
		    "rsvps WHERE id = ?", "i", next) < 0)
			return -1;
	}
}

int
st_shift_edit(sqlite3 *db, long id, const char *start, const char *end, long capacity,
    struct st_error *err)
{
	char s[21], e[21], now[21], *old_s, *old_e;
	long event = 0;
	int rc;

	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_scalarf(db, err, &event, "SELECT event_id FROM shifts WHERE id = ?", "i", id);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "no shift %ld", id);
	if (rc > 0 && (start || end)) {
		old_s = text(db, err, &rc, "SELECT starts_at FROM shifts WHERE id = ?", id);
		old_e = text(db, err, &rc, "SELECT ends_at FROM shifts WHERE id = ?", id);
		rc = rc < 0 ? -1 : shift_times(db, event, start ? start : old_s, end ? end : old_e, s,
		    e, err);
		free(old_s);
		free(old_e);
		if (rc >= 0)
			rc = check_overlap(db, event, id, s, e, err);
	}
	st_now_iso(now);
	if (rc >= 0 && (start || end) && st_db_execf(db, err, "UPDATE shifts SET starts_at = ?2, ends_at = "
	    "?3, updated_at = ?4 WHERE id = ?1", "ittt", id, s, e, now) < 0)
		rc = -1;
	if (rc >= 0 && capacity >= -1 && st_db_execf(db, err, "UPDATE shifts SET capacity = ?2, "
	    "updated_at = ?3 WHERE id = ?1", capacity >= 0 ? "iit" : "i-t", id, capacity, now) < 0)
		rc = -1;
	if (rc >= 0 && capacity >= -1)
		rc = promote(db, id, NULL, err);
	return commit(db, rc, err);
}

int
st_shift_cancel(sqlite3 *db, long id, struct st_error *err)
{
	char now[21];
	long rc;

	st_now_iso(now);
	rc = st_db_execf(db, err, "UPDATE shifts SET status = 'cancelled', updated_at = ?2 WHERE id = ?1",
	    "it", id, now);
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no shift %ld", id);
	return rc < 0 ? -1 : 0;
}

int
st_contact_resolve(sqlite3 *db, const char *who, long *id, struct st_error *err)
{
	char buf[256];
	long n = 0;
	int rc;

	if (who == NULL || *who == '\0' || strlen(who) > 200)
		return st_error_set(err, ST_EXIT_DATA, "no contact given");
	if (strspn(who, "0123456789") == strlen(who) && strlen(who) < 10) {
		if (st_parse_long(who, 1, 0x7fffffffL, id) < 0 || check_contact(db, *id, err) < 0)
			return st_error_set(err, ST_EXIT_DATA, "no contact %s", who);
		return 0;
	}
	if (strchr(who, '@')) {
		if (st_email_normalize(who, strlen(who), buf) < 0)
			return st_error_set(err, ST_EXIT_DATA, "invalid e-mail address '%s'", who);
		rc = st_db_scalarf(db, err, id, "SELECT min(id) FROM contacts WHERE email = ?", "t", buf);
	} else {
		if (st_phone_normalize(who, strlen(who), buf) < 0)
			return st_error_set(err, ST_EXIT_DATA, "'%s' is not a contact id, e-mail "
			    "address or phone number", who);
		rc = st_db_scalarf(db, err, &n, "SELECT count(*) FROM contacts WHERE phone = ?", "t", buf);
		if (rc > 0 && n > 1)
			return st_error_set(err, ST_EXIT_DATA, "%ld contacts share phone %s; name one "
			    "by id", n, buf);
		if (rc >= 0)
			rc = st_db_scalarf(db, err, id, "SELECT min(id) FROM contacts WHERE phone = ?", "t",
			    buf);
	}
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact with %s %s", strchr(who, '@') ?
		    "e-mail" : "phone", buf);
	return rc < 0 ? -1 : 0;
}

int
st_shift_open(sqlite3 *db, long shift, struct st_error *err)
{
	char *status;
	int rc;

	status = text(db, err, &rc, "SELECT CASE WHEN e.status = 'cancelled' THEN 'event' WHEN "
	    "s.status = 'cancelled' THEN 'shift' ELSE 'active' END FROM shifts s JOIN events e ON "
	    "e.id = s.event_id WHERE s.id = ?", shift);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "no shift %ld", shift);
	else if (rc > 0 && strcmp(status, "shift") == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "shift %ld is cancelled", shift);
	else if (rc > 0 && strcmp(status, "event") == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "the event of shift %ld is cancelled", shift);
	free(status);
	return rc < 0 ? -1 : 0;
}

int
st_rsvp(sqlite3 *db, long shift, long contact, const char *status, const char *source,
    long referred_by, int waitlist_ok, const char **result, struct st_error *err)
{
	struct st_rsvp_in in = { status, source, referred_by, -1, waitlist_ok, 0 };

	return st_rsvp_set(db, shift, contact, &in, result, NULL, err);
}

int
st_rsvp_set(sqlite3 *db, long shift, long contact, const struct st_rsvp_in *in,
    const char **result, long *id, struct st_error *err)
{
	static const char *const statuses[] = { "yes", "maybe", "no", "cancelled", NULL };
	const char *want = in->status ? in->status : "yes";
	char now[21], *cur = NULL;
	long live = 0, cap = 0, taken = 0, conf = 0;
	int rc, i, full = 0;

	for (i = 0; statuses[i] && strcmp(statuses[i], want) != 0; i++)
		;
	if (statuses[i] == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "invalid RSVP status '%s' (yes, maybe, no, "
		    "cancelled)", want);
	want = statuses[i];
	if (id)
		*id = 0;
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_shift_open(db, shift, err);
	if (rc >= 0)
		rc = check_contact(db, contact, err);
	if (rc >= 0)
		rc = st_db_scalarf(db, err, &live, "SELECT id FROM rsvps WHERE shift_id = ?1 AND contact_id = "
		    "?2 AND status NOT IN ('no', 'cancelled')", "ii", shift, contact);
	if (rc > 0)
		cur = text(db, err, &rc, "SELECT status FROM rsvps WHERE id = ?", live);
	if (rc > 0 && st_db_scalarf(db, err, &conf, "SELECT confirmed FROM rsvps WHERE id = ?", "i",
	    live) < 0)
		rc = -1;
	if (rc >= 0 && strcmp(want, "yes") == 0) {
		if (cur && (strcmp(cur, "yes") == 0 || strcmp(cur, "waitlisted") == 0)) {
			want = strcmp(cur, "yes") == 0 ? "yes" : "waitlisted";   /* no change */
		} else {
			rc = st_db_scalarf(db, err, &cap, "SELECT capacity FROM shifts WHERE id = ?", "i",
			    shift);
			if (rc > 0 && (rc = st_db_scalarf(db, err, &taken, "SELECT count(*) FROM rsvps "
			    "WHERE shift_id = ? AND status = 'yes'", "i", shift)) >= 0)
				full = taken >= cap;
			if (rc >= 0 && full && !in->waitlist_ok)
				rc = st_error_set(err, ST_EXIT_DATA, "shift %ld is full (%ld of %ld "
				    "places taken)", shift, taken, cap);
			if (full)
				want = "waitlisted";
		}
	}
	st_now_iso(now);
	if (rc >= 0 && live && strcmp(cur, want) == 0 && (in->confirmed < 0 || in->confirmed == conf)) {
		/* Nothing changes: keep the place (and a place in the waitlist's order). */
	} else if (rc >= 0 && live) {
		/* "no" ends a live RSVP, which stays as history; leaving "yes" frees a place.
		 * The same status keeps its time, and so its place in the waitlist. */
		if (st_db_execf(db, err, "UPDATE rsvps SET status = ?2, source = coalesce(?3, source), "
		    "confirmed = CASE WHEN ?5 >= 0 THEN ?5 ELSE confirmed END, import_id = "
		    "coalesce(?6, import_id), updated_at = CASE WHEN status = ?2 THEN updated_at ELSE ?4 "
		    "END WHERE id = ?1", "itttiI", live, want, in->source, now,
		    (long)in->confirmed, in->import_id) < 0)
			rc = -1;
		else if (strcmp(cur, "yes") == 0 && strcmp(want, "yes") != 0)
			rc = promote(db, shift, NULL, err);
		if (id)
			*id = live;
	} else if (rc >= 0 && (strcmp(want, "no") == 0 || strcmp(want, "cancelled") == 0) &&
	    (rc = st_db_scalarf(db, err, &live, "SELECT id FROM rsvps WHERE shift_id = ?1 AND "
	    "contact_id = ?2 AND status = ?3 AND id = (SELECT max(id) FROM rsvps WHERE shift_id = ?1 "
	    "AND contact_id = ?2)", "iit", shift, contact, want)) != 0) {
		/* The answer on record already: saying it again records nothing. */
		if (id && rc > 0)
			*id = live;
	} else if (rc >= 0) {
		if (st_db_execf(db, err, "INSERT INTO rsvps(contact_id, shift_id, status, source, referred_by, "
		    "confirmed, import_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, max(?6, 0), "
		    "?7, ?8, ?8)", "iittIiIt", contact, shift, want, in->source, in->referred_by,
		    (long)in->confirmed, in->import_id, now) < 0)
			rc = -1;
		else if (id)
			*id = (long)sqlite3_last_insert_rowid(db);
	}
	free(cur);
	if (result)
		*result = want;
	return commit(db, rc < 0 ? -1 : 0, err);
}

int
st_rsvp_cancel(sqlite3 *db, long shift, long contact, long *promoted, struct st_error *err)
{
	char now[21];
	long id = 0;
	int rc;

	if (promoted)
		*promoted = 0;
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_scalarf(db, err, &id, "SELECT id FROM rsvps WHERE shift_id = ?1 AND contact_id = ?2 AND "
	    "status NOT IN ('no', 'cancelled')", "ii", shift, contact);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "contact %ld has no RSVP to shift %ld", contact,
		    shift);
	if (rc > 0 && st_db_execf(db, err, "UPDATE rsvps SET status = 'cancelled', updated_at = ?2 WHERE "
	    "id = ?1", "it", id, now) < 0)
		rc = -1;
	if (rc > 0)
		rc = promote(db, shift, promoted, err);
	return commit(db, rc, err);
}

/* In SQL, for the contact in the row named c: the shifts attended, and the
 * engagement level. Both are kept on contacts so segments read a column. */
#define ATTENDED_SQL "(SELECT count(*) FROM attendance a WHERE a.contact_id = c.id AND " \
	"a.status = 'attended')"
#define LEVEL_SQL "CASE WHEN c.role IN ('host', 'lead') THEN 3 ELSE min(2, " ATTENDED_SQL ") END"
#define SET_LEVEL "UPDATE contacts AS c SET attended = " ATTENDED_SQL ", level = " LEVEL_SQL \
	" WHERE (attended IS NOT " ATTENDED_SQL " OR level IS NOT " LEVEL_SQL ")"

static int
update_level(sqlite3 *db, long contact, struct st_error *err)
{
	/* Only a real change is written (a no-op update would still fire triggers). */
	return st_db_execf(db, err, SET_LEVEL " AND id = ?1", "i", contact) < 0 ? -1 : 0;
}

int
st_levels_recompute(sqlite3 *db, long *changed, struct st_error *err)
{
	return st_levels_update(db, 0, changed, err);
}

int
st_levels_update(sqlite3 *db, long import_id, long *changed, struct st_error *err)
{
	long n;

	if (st_db_begin(db, err) < 0)
		return -1;
	/* A batch's contacts: each one's count once, from one pass grouped by contact. */
	n = import_id > 0 ? st_db_execf(db, err, "UPDATE contacts AS c SET attended = t.n, level = "
	    "CASE WHEN c.role IN ('host', 'lead') THEN 3 ELSE min(2, t.n) END FROM (SELECT "
	    "contact_id, count(*) FILTER (WHERE status = 'attended') AS n FROM attendance WHERE "
	    "contact_id IN (SELECT contact_id FROM attendance WHERE import_id = ?1) GROUP BY "
	    "contact_id) AS t WHERE c.id = t.contact_id AND (c.attended IS NOT t.n OR c.level IS NOT "
	    "CASE WHEN c.role IN ('host', 'lead') THEN 3 ELSE min(2, t.n) END)", "i", import_id) :
	    st_db_execf(db, err, SET_LEVEL, "");
	if (changed)
		*changed = n;
	return commit(db, n < 0 ? -1 : 0, err);
}

int
st_attend_mark(sqlite3 *db, sqlite3_stmt **cache, long shift, long contact, int no_show,
    const char *at, const char *by, long import_id, struct st_error *err)
{
	sqlite3_stmt *st = *cache;

	/* A walk-in is someone who came without a live RSVP. */
	if (st == NULL && (st = *cache = st_db_prepare(db, "INSERT INTO attendance(contact_id, "
	    "shift_id, status, checked_in_at, checked_in_by, walk_in, import_id, created_at) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?3 = 'attended' AND NOT EXISTS (SELECT 1 FROM rsvps WHERE "
	    "shift_id = ?2 AND contact_id = ?1 AND status NOT IN ('no', 'cancelled')), ?6, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ON CONFLICT(contact_id, shift_id) DO UPDATE SET "
	    "status = excluded.status, checked_in_at = excluded.checked_in_at, checked_in_by = "
	    "excluded.checked_in_by, walk_in = excluded.walk_in, import_id = excluded.import_id "
	    "WHERE (status, checked_in_at, checked_in_by, walk_in) IS NOT (excluded.status, "
	    "excluded.checked_in_at, excluded.checked_in_by, excluded.walk_in)", err)) == NULL)
		return -1;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, contact);
	sqlite3_bind_int64(st, 2, shift);
	sqlite3_bind_text(st, 3, no_show ? "no_show" : "attended", -1, SQLITE_STATIC);
	if (at && !no_show)
		sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	if (by)
		sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	if (import_id > 0)
		sqlite3_bind_int64(st, 6, import_id);
	else
		sqlite3_bind_null(st, 6);
	if (sqlite3_step(st) != SQLITE_DONE) {
		st_error_db(err, db, "cannot record attendance");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return sqlite3_changes(db) > 0;
}

int
st_attend(sqlite3 *db, long shift, long contact, int no_show, const char *by,
    struct st_error *err)
{
	sqlite3_stmt *st = NULL;
	char now[21];
	int rc;

	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_shift_open(db, shift, err);
	if (rc >= 0)
		rc = check_contact(db, contact, err);
	if (rc >= 0)
		rc = st_attend_mark(db, &st, shift, contact, no_show, now, by, 0, err);
	sqlite3_finalize(st);
	if (rc >= 0)
		rc = update_level(db, contact, err);
	return commit(db, rc < 0 ? -1 : 0, err);
}

int
st_attend_undo(sqlite3 *db, long shift, long contact, struct st_error *err)
{
	long rc;

	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "DELETE FROM attendance WHERE shift_id = ?1 AND contact_id = ?2", "ii",
	    shift, contact);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "contact %ld has no attendance mark for shift "
		    "%ld", contact, shift);
	if (rc > 0)
		rc = update_level(db, contact, err);
	return commit(db, rc < 0 ? -1 : 0, err);
}

int
st_contact_set_role(sqlite3 *db, long contact, const char *role, struct st_error *err)
{
	long rc;

	if (role && strcmp(role, "host") != 0 && strcmp(role, "lead") != 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid role '%s' (host, lead or none)", role);
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "UPDATE contacts SET role = ?2 WHERE id = ?1", "it", contact, role);
	if (rc == 0)
		rc = st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	if (rc > 0)
		rc = update_level(db, contact, err);
	return commit(db, rc < 0 ? -1 : 0, err);
}

int
st_contact_set_organizer(sqlite3 *db, long contact, long organizer, struct st_error *err)
{
	long rc;

	if (organizer == contact)
		return st_error_set(err, ST_EXIT_DATA, "contact %ld cannot be their own organizer",
		    contact);
	if (organizer > 0 && check_contact(db, organizer, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "UPDATE contacts SET organizer_id = ?2 WHERE id = ?1", "iI", contact,
	    organizer);
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	return rc < 0 ? -1 : 0;
}

/* Local time of a UTC column in the event's zone, as SQL: SQLite has no zones,
 * so the offset comes from st_local(), registered on the connection. */
static void
local_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *utc = (const char *)sqlite3_value_text(argv[0]);
	const char *tz = (const char *)sqlite3_value_text(argv[1]);
	char out[32];
	time_t t;

	(void)argc;
	if (utc == NULL || tz == NULL || st_time_from_utc(utc, &t) < 0) {
		sqlite3_result_null(ctx);
		return;
	}
	st_time_local(t, tz, out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static int
register_local(sqlite3 *db, struct st_error *err)
{
	if (sqlite3_create_function(db, "st_local", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	    local_fn, NULL, NULL) != SQLITE_OK)
		return st_error_db(err, db, "cannot register st_local");
	return 0;
}

int
st_shift_list(sqlite3 *db, int when, const char *kind, long event, struct st_out *out,
    long *nrows, struct st_error *err)
{
	char now[21], ev[24], wh[8];
	const char *params[4];

	if (register_local(db, err) < 0)
		return -1;
	st_now_iso(now);
	snprintf(ev, sizeof(ev), "%ld", event);
	snprintf(wh, sizeof(wh), "%d", when);
	params[0] = now;
	params[1] = wh;
	params[2] = kind;
	params[3] = ev;
	return st_query_sql(db, "SELECT e.id AS event, s.id AS shift, e.kind, e.title, "
	    "st_local(s.starts_at, e.tz) AS starts, st_local(s.ends_at, e.tz) AS ends, "
	    "s.starts_at AS starts_utc, e.tz, e.location, e.area, s.capacity, "
	    "(SELECT count(*) FROM rsvps r WHERE r.shift_id = s.id AND r.status = 'yes') AS yes, "
	    "(SELECT count(*) FROM rsvps r WHERE r.shift_id = s.id AND r.status = 'waitlisted') "
	    "AS waitlisted, (SELECT count(*) FROM attendance a WHERE a.shift_id = s.id AND "
	    "a.status = 'attended') AS attended, CASE WHEN e.status = 'cancelled' THEN 'cancelled' "
	    "ELSE s.status END AS status FROM shifts s JOIN events e ON e.id = s.event_id "
	    "WHERE (CAST(?2 AS INTEGER) = 0 OR (CAST(?2 AS INTEGER) > 0 AND s.ends_at > ?1) OR "
	    "(CAST(?2 AS INTEGER) < 0 AND s.ends_at <= ?1)) AND (?3 IS NULL OR e.kind = ?3) AND "
	    "(CAST(?4 AS INTEGER) = 0 OR e.id = CAST(?4 AS INTEGER)) "
	    "ORDER BY s.starts_at, s.id", params, 4, out, nrows, err);
}

int
st_roster(sqlite3 *db, long shift, struct st_out *out, long *nrows, struct st_error *err)
{
	char id[24];
	const char *params[1];
	long v;
	int rc = st_db_scalarf(db, err, &v, "SELECT id FROM shifts WHERE id = ?", "i", shift);

	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no shift %ld", shift);
	if (rc < 0)
		return -1;
	snprintf(id, sizeof(id), "%ld", shift);
	params[0] = id;
	return st_query_sql(db, "WITH people(cid) AS (SELECT contact_id FROM rsvps WHERE shift_id = "
	    "?1 AND status NOT IN ('no', 'cancelled') UNION SELECT contact_id FROM attendance "
	    "WHERE shift_id = ?1) SELECT c.id, c.first_name, c.last_name, c.phone, c.email, "
	    "(SELECT r.status FROM rsvps r WHERE r.shift_id = ?1 AND r.contact_id = c.id AND "
	    "r.status NOT IN ('no', 'cancelled')) AS rsvp, (SELECT r.confirmed FROM rsvps r "
	    "WHERE r.shift_id = ?1 AND r.contact_id = c.id AND r.status IN ('yes', 'maybe', "
	    "'waitlisted')) AS confirmed, a.status AS attendance, a.walk_in, a.checked_in_at, "
	    "c.level, c.role, c.organizer_id AS organizer, "
	    "trim(coalesce(o.first_name, '') || ' ' || coalesce(o.last_name, '')) AS organizer_name "
	    "FROM people JOIN contacts c ON c.id = people.cid LEFT JOIN attendance a ON "
	    "a.shift_id = ?1 AND a.contact_id = c.id LEFT JOIN contacts o ON o.id = c.organizer_id "
	    "ORDER BY lower(c.last_name), lower(c.first_name), c.id", params, 1, out, nrows, err);
}

int
st_checkin_prepare(sqlite3 *db, struct st_error *err)
{
	/* Partial indexes: the lookups say IS NOT NULL so that they are used. */
	return st_db_exec(db, "CREATE INDEX IF NOT EXISTS contacts_last_name ON contacts("
	    "lower(last_name)) WHERE last_name IS NOT NULL; CREATE INDEX IF NOT EXISTS "
	    "contacts_first_name ON contacts(lower(first_name)) WHERE first_name IS NOT NULL; "
	    "CREATE INDEX IF NOT EXISTS contacts_phone_last4 ON contacts(substr(phone, -4)) WHERE "
	    "phone IS NOT NULL", err);
}

int
st_checkin_find(sqlite3 *db, long shift, const char *text, struct st_checkin_hit *hits,
    size_t max, size_t *n, struct st_error *err)
{
	char a[128], b[128], digits[32];
	sqlite3_stmt *st;
	size_t i, nd = 0;
	const char *sp;
	int rc;

	*n = 0;
	/* Phone digits: four or more digits of a number, matched on its last four. */
	for (i = 0; text[i] && nd < sizeof(digits) - 1; i++)
		if (text[i] >= '0' && text[i] <= '9')
			digits[nd++] = text[i];
	digits[nd] = '\0';
	/* "ana re": first and last name prefixes; "reyes": either one. */
	snprintf(a, sizeof(a), "%.*s", (int)strcspn(text, " "), text);
	sp = strchr(text, ' ');
	snprintf(b, sizeof(b), "%s", sp ? sp + 1 + strspn(sp + 1, " ") : "");
	for (i = 0; a[i]; i++)
		a[i] = (char)tolower((unsigned char)a[i]);
	for (i = 0; b[i]; i++)
		b[i] = (char)tolower((unsigned char)b[i]);
	if (nd > 0 && nd < 4)
		return st_error_set(err, ST_EXIT_DATA, "give at least four digits of a phone number");
	/* Prefix ranges (x >= p AND x < p || U+10FFFF) use the name indexes, which are
	 * partial: each branch says IS NOT NULL so the planner may use them. */
	st = st_db_prepare(db, "WITH hits(id) AS ("
	    "SELECT id FROM contacts WHERE ?3 IS NOT NULL AND ?4 IS NULL AND last_name IS NOT NULL "
	    "AND lower(last_name) >= ?3 AND lower(last_name) < ?3 || char(1114111) "
	    "UNION SELECT id FROM contacts WHERE ?3 IS NOT NULL AND ?4 IS NULL AND first_name IS NOT "
	    "NULL AND lower(first_name) >= ?3 AND lower(first_name) < ?3 || char(1114111) "
	    "UNION SELECT id FROM contacts WHERE ?4 IS NOT NULL AND last_name IS NOT NULL AND "
	    "lower(last_name) >= ?4 AND lower(last_name) < ?4 || char(1114111) AND "
	    "lower(first_name) >= ?3 AND lower(first_name) < ?3 || char(1114111) "
	    "UNION SELECT id FROM contacts WHERE ?5 IS NOT NULL AND phone IS NOT NULL AND "
	    "substr(phone, -4) = ?5 AND instr(phone, ?2) > 0) "
	    "SELECT c.id, trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), "
	    "c.phone, r.status, a.status FROM hits JOIN contacts c ON c.id = hits.id "
	    "LEFT JOIN rsvps r ON r.shift_id = ?1 AND r.contact_id = c.id AND r.status IN ('yes', "
	    "'maybe', 'waitlisted') LEFT JOIN attendance a ON a.shift_id = ?1 AND a.contact_id = c.id "
	    "ORDER BY r.status IS NULL, lower(c.last_name), lower(c.first_name), c.id LIMIT ?6", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, shift);
	if (nd >= 4) {
		sqlite3_bind_text(st, 2, digits, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, digits + nd - 4, -1, SQLITE_STATIC);
	} else if (*a) {
		sqlite3_bind_text(st, 3, a, -1, SQLITE_STATIC);
		if (*b)
			sqlite3_bind_text(st, 4, b, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 6, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct st_checkin_hit *h = &hits[(*n)++];
		const char *v;

		memset(h, 0, sizeof(*h));
		h->id = (long)sqlite3_column_int64(st, 0);
		snprintf(h->name, sizeof(h->name), "%s", sqlite3_column_text(st, 1));
		if ((v = (const char *)sqlite3_column_text(st, 2)) != NULL)
			snprintf(h->phone, sizeof(h->phone), "%s", v);
		if ((v = (const char *)sqlite3_column_text(st, 3)) != NULL)
			snprintf(h->rsvp, sizeof(h->rsvp), "%s", v);
		if ((v = (const char *)sqlite3_column_text(st, 4)) != NULL)
			snprintf(h->attendance, sizeof(h->attendance), "%s", v);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_error_db(err, db, "cannot search contacts");
	return 0;
}

void
st_contact_keys(const char *phone, const char *email, char p[32], char e[256], int *has_p,
    int *has_e)
{
	*has_p = phone && strlen(phone) < 30 && st_phone_normalize(phone, strlen(phone), p) > 0;
	*has_e = email && strlen(email) < 250 && st_email_normalize(email, strlen(email), e) > 0;
}

int
st_contact_add(sqlite3 *db, const char *first, const char *last, const char *phone,
    const char *email, const char *source, long *id, struct st_error *err)
{
	char p[32], e[256], now[21];
	int has_p, has_e, rc;

	st_contact_keys(phone, email, p, e, &has_p, &has_e);
	if (phone && !has_p)
		return st_error_set(err, ST_EXIT_DATA, "invalid phone number '%s'", phone);
	if (email && !has_e)
		return st_error_set(err, ST_EXIT_DATA, "invalid e-mail address '%s'", email);
	if (!has_p && !has_e)
		return st_error_set(err, ST_EXIT_DATA, "a new contact needs a phone number or an "
		    "e-mail address");
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	rc = st_db_execf(db, err, "INSERT INTO contacts(first_name, last_name, phone, email, source, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)", "tttttt", first, last,
	    has_p ? p : NULL, has_e ? e : NULL, source, now) < 0 ? -1 : 0;
	if (rc == 0) {
		*id = (long)sqlite3_last_insert_rowid(db);
		rc = st_db_execf(db, err, "INSERT INTO contact_extra(contact_id) VALUES (?1)", "i", *id) < 0 ?
		    -1 : 0;
	}
	return commit(db, rc, err);
}
