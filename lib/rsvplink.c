#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/remind.h"
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
	long found = 0, shift = 0;
	char *status;
	int rc, ended;

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
	if (st_db_scalarf(db, err, &shift, "SELECT shift_id FROM rsvps WHERE id = ?", "i",
	    found) < 0)
		return -1;
	if (st_shift_open(db, shift, err) < 0)
		return -1;
	status = st_db_textf(db, err, &rc, "SELECT status FROM rsvps WHERE id = ?", "i", found);
	if (rc < 0)
		return -1;
	ended = strcmp(status, "no") == 0 || strcmp(status, "cancelled") == 0;
	free(status);
	if (strcmp(action, "cancel") == 0) {
		if (ended) {
			*result = "already cancelled";
			return 0;
		}
		if (st_rsvp_cancel(db, shift, c.contact, NULL, err) < 0)
			return -1;
		*result = "cancelled";
		return 0;
	}
	if (ended)
		return st_error_set(err, ST_EXIT_DATA, "RSVP %ld is cancelled", found);
	/* A yes, confirmed: a maybe becomes a yes, a waitlisted RSVP keeps its place in line. */
	if (st_rsvp_set(db, shift, c.contact, &(struct st_rsvp_in){ "yes", NULL, 0, 1, 1, 0 }, NULL,
	    NULL, err) < 0)
		return -1;
	*result = "confirmed";
	return 0;
}
