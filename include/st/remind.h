/* Reminders: confirm and cancel links for RSVPs, and the scheduler that
 * queues confirmations, reminders, digests, updates and cancellations into
 * the outbox exactly once each. */
#ifndef ST_REMIND_H
#define ST_REMIND_H

#include <sqlite3.h>
#include <time.h>

#include "st/token.h"

struct st_buf;
struct st_error;

/* The token purpose of an RSVP action: "rsvp:confirm:812" or "rsvp:cancel:812"
 * into out; action is "confirm" or "cancel". -1 if it is neither. */
int st_rsvp_purpose(const char *action, long rsvp, char out[ST_PURPOSE_MAX + 1]);

/* The token for action on RSVP rsvp (its contact's current generation),
 * expiring at expires. Returns its length, or -1 and err (ST_EXIT_DATA: no
 * such RSVP). */
int st_rsvp_token(sqlite3 *db, const struct st_token_key *k, const char *action, long rsvp,
    time_t expires, char out[ST_TOKEN_MAX], struct st_error *err);

/* The link for a token: base (an http or https URL) with action=ACTION and
 * token=T set (st_url_set_params), into out. */
int st_rsvp_link(const char *base, const char *action, const char *token, struct st_buf *out,
    struct st_error *err);

/* Apply a confirm or cancel token at now: find the RSVP it was made for
 * (one of its contact's), check it (signature, expiry, revocation), then
 * confirm the RSVP (a "maybe" becomes a "yes") or cancel it (its place goes
 * to the waitlist). *rsvp gets the RSVP, *result what it now is
 * ("confirmed", "cancelled", "already cancelled"). A cancelled RSVP cannot be
 * confirmed and a cancelled shift refuses both (ST_EXIT_DATA), as does a
 * token refused ("token refused: REASON"). */
int st_rsvp_token_apply(sqlite3 *db, const struct st_token_key *k, const char *action,
    const char *token, time_t now, long *rsvp, const char **result, struct st_error *err);

#endif
