#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/outbox.h"
#include "st/remind.h"
#include "st/text.h"
#include "st/tz.h"
#include "st/url.h"
#include "st/util.h"

int
st_rsvp_purpose(const char *action, long rsvp, char out[ST_PURPOSE_MAX + 1])
{
	if (!action || (strcmp(action, "confirm") != 0 && strcmp(action, "cancel") != 0))
		return -1;
	snprintf(out, ST_PURPOSE_MAX + 1, "rsvp:%s:%ld", action, rsvp);
	return 0;
}

int
st_rsvp_token(sqlite3 *db, const struct st_token_key *k, const char *action, long rsvp,
    time_t expires, char out[ST_TOKEN_MAX], struct st_error *err)
{
	char purpose[ST_PURPOSE_MAX + 1];
	long contact = 0, gen = 0;
	size_t n;
	int rc;

	if (st_rsvp_purpose(action, rsvp, purpose) < 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid action '%s' (confirm, cancel)",
		    action ? action : "");
	rc = st_db_scalarf(db, err, &contact, "SELECT contact_id FROM rsvps WHERE id = ?", "i", rsvp);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no RSVP %ld", rsvp);
	if (st_db_scalarf(db, err, &gen, "SELECT generation FROM token_generations WHERE "
	    "contact_id = ?", "i", contact) < 0)
		return -1;
	n = st_token_sign(k, purpose, contact, gen, expires, out);
	if (n == 0)
		return st_error_set(err, ST_EXIT_FAIL, "cannot sign a token");
	return (int)n;
}

int
st_rsvp_link(const char *base, const char *action, const char *token, struct st_buf *out,
    struct st_error *err)
{
	const char *names[] = { "action", "token" };
	const char *values[] = { action, token };

	return st_url_set_params(base, names, values, 2, out, err);
}

int
st_rsvp_token_apply(sqlite3 *db, const struct st_token_key *k, const char *action,
    const char *token, time_t now, long *rsvp, const char **result, struct st_error *err)
{
	char purpose[ST_PURPOSE_MAX + 1], why[200];
	struct st_token_claims c = { 0 };
	enum st_token_status s;
	sqlite3_stmt *st;
	long found = 0;
	int rc;

	*result = NULL;
	if (st_rsvp_purpose(action, 0, purpose) < 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid action '%s' (confirm, cancel)", action);
	s = st_token_check(k, purpose, token, now, &c);
	if (s == ST_TOKEN_MALFORMED || s == ST_TOKEN_TRUNCATED) {
		st_token_reason(s, &c, why, sizeof(why));
		return st_error_set(err, ST_EXIT_DATA, "token refused: %s", why);
	}
	/* The token names its contact; the RSVP is the one of theirs whose
	 * purpose the signature matches. */
	if ((st = st_db_prepare(db, "SELECT id FROM rsvps WHERE contact_id = ? ORDER BY id DESC",
	    err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, c.contact);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long id = sqlite3_column_int64(st, 0);

		st_rsvp_purpose(action, id, purpose);
		if (st_token_check(k, purpose, token, now, NULL) != ST_TOKEN_FORGED) {
			found = id;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		st_error_db(err, db, "cannot read RSVPs");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (!found) {
		st_token_reason(ST_TOKEN_FORGED, &c, why, sizeof(why));
		return st_error_set(err, ST_EXIT_DATA, "token refused: %s", why);
	}
	st_rsvp_purpose(action, found, purpose);
	if (st_token_verify(db, k, purpose, token, now, &c, NULL, err) < 0)
		return -1;
	*rsvp = found;
	return st_rsvp_act(db, found, action, result, err);
}

int
st_rsvp_act(sqlite3 *db, long rsvp, const char *action, const char **result,
    struct st_error *err)
{
	long shift = 0, contact = 0;
	char *status;
	int rc, ended;

	*result = NULL;
	if (st_db_scalarf(db, err, &shift, "SELECT shift_id FROM rsvps WHERE id = ?", "i",
	    rsvp) < 0 || st_db_scalarf(db, err, &contact, "SELECT contact_id FROM rsvps WHERE id = ?",
	    "i", rsvp) < 0)
		return -1;
	if (shift == 0)
		return st_error_set(err, ST_EXIT_DATA, "no RSVP %ld", rsvp);
	if (st_shift_open(db, shift, err) < 0)
		return -1;
	status = st_db_textf(db, err, &rc, "SELECT status FROM rsvps WHERE id = ?", "i", rsvp);
	if (rc < 0)
		return -1;
	ended = strcmp(status, "no") == 0 || strcmp(status, "cancelled") == 0;
	free(status);
	if (strcmp(action, "cancel") == 0) {
		if (ended) {
			*result = "already cancelled";
			return 0;
		}
		if (st_rsvp_cancel(db, shift, contact, NULL, err) < 0)
			return -1;
		*result = "cancelled";
		return 0;
	}
	if (ended)
		return st_error_set(err, ST_EXIT_DATA, "RSVP %ld is cancelled", rsvp);
	/* A yes, confirmed: a maybe becomes a yes, a waitlisted RSVP keeps its place in line. */
	if (st_rsvp_set(db, shift, contact, &(struct st_rsvp_in){ "yes", NULL, 0, 1, 1, 0 }, NULL,
	    NULL, err) < 0)
		return -1;
	*result = "confirmed";
	return 0;
}

struct answer_fields {
	const char *shifts;
};

static const char *
answer_lookup(void *ctx, const char *name)
{
	struct answer_fields *f = ctx;

	return strcmp(name, "shifts") == 0 ? f->shifts : NULL;
}

int
st_rsvp_text_answer(sqlite3 *db, const struct st_inbound *in, long contact, const char *action,
    const char *templates, const char *at, struct st_error *err)
{
	struct st_buf list = { 0 }, body = { 0 };
	struct answer_fields f;
	sqlite3_stmt *st;
	const char *result;
	char *lang = NULL, *tmpl = NULL, name[32];
	long ask = 0, n = 0;
	int rc;

	/* The latest text that asked this contact for an answer about a shift
	 * still ahead (an RSVP still live), once it went out. */
	if (st_db_scalarf(db, err, &ask, "SELECT max(a.message_id) FROM remind_asks a JOIN messages m "
	    "ON m.id = a.message_id JOIN rsvps r ON r.id = a.rsvp_id JOIN shifts s ON s.id = "
	    "r.shift_id WHERE a.contact_id = ?1 AND m.status IN ('sending', 'unknown', 'sent', "
	    "'delivered') AND r.status NOT IN ('no', 'cancelled') AND s.status = 'active' AND "
	    "s.starts_at > ?2", "it", contact, at) < 0)
		return -1;
	if (ask == 0)
		return 0;
	if ((st = st_db_prepare(db, "SELECT r.id, e.title, s.starts_at, e.tz FROM remind_asks a "
	    "JOIN rsvps r ON r.id = a.rsvp_id JOIN shifts s ON s.id = r.shift_id JOIN events e ON "
	    "e.id = s.event_id WHERE a.message_id = ?1 AND r.status NOT IN ('no', 'cancelled') AND "
	    "s.status = 'active' AND s.starts_at > ?2 ORDER BY s.starts_at, r.id", err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ask);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *title = (const char *)sqlite3_column_text(st, 1);
		char local[32];
		time_t t = 0;

		if (st_rsvp_act(db, sqlite3_column_int64(st, 0), action, &result, err) < 0) {
			sqlite3_finalize(st);
			st_buf_free(&list);
			return -1;
		}
		st_time_from_utc((const char *)sqlite3_column_text(st, 2), &t);
		st_time_local(t, (const char *)sqlite3_column_text(st, 3), local);
		st_buf_printf(&list, "%s%s %.10s %.5s", n++ ? "; " : "", title ? title : "", local,
		    local + 11);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		st_buf_free(&list);
		return st_error_db(err, db, "cannot read RSVPs");
	}
	lang = st_db_textf(db, err, &rc, "SELECT lang FROM contacts WHERE id = ?1", "i", contact);
	if (rc < 0) {
		st_buf_free(&list);
		return -1;
	}
	snprintf(name, sizeof(name), "answer-%s.sms", action);
	f.shifts = list.s;
	if ((tmpl = st_template_text(templates, lang, name)) == NULL)
		rc = st_error_set(err, ST_EXIT_DATA, "no template '%s'", name);
	else
		rc = st_template_file_render(tmpl, answer_lookup, &f, &body, err);
	if (rc == 0) {
		struct st_outbox_item it = { 0 };
		char key[200];
		long id;

		/* Once per incoming message, however often it is taken in. */
		snprintf(key, sizeof(key), "answer:%s:%s", in->provider, in->provider_id);
		it.contact_id = contact;
		it.channel = in->channel ? in->channel : "sms";
		it.from = in->to;
		it.to = in->from;
		it.body = body.s;
		it.key = key;
		rc = st_outbox_enqueue(db, &it, &id, err) < 0 ? -1 : 0;
	}
	free(lang);
	free(tmpl);
	st_buf_free(&list);
	st_buf_free(&body);
	return rc < 0 ? -1 : 1;
}
