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

/* Confirm or cancel RSVP rsvp (action "confirm" or "cancel"), as a link or
 * a text answer asks: a confirmed "maybe" becomes a "yes" (a waitlisted RSVP
 * keeps its place); a cancelled one gives its place to the waitlist.
 * *result gets "confirmed", "cancelled" or "already cancelled". A cancelled
 * RSVP cannot be confirmed and a cancelled shift refuses both (ST_EXIT_DATA). */
int st_rsvp_act(sqlite3 *db, long rsvp, const char *action, const char **result,
    struct st_error *err);

/* An answer (action "confirm" or "cancel", st_text_rsvp_answer) that
 * contact sent in the incoming message in, arrived at at (UTC ISO 8601): it
 * applies to the RSVPs of the latest text st-remind sent them that asked for
 * one (remind_asks) and has gone out, whose shifts have not started and are
 * still live; each is confirmed or cancelled (st_rsvp_act) and an
 * acknowledgement is queued to them from templates (answer-confirm.sms,
 * answer-cancel.sms in their language; templates is an override directory
 * or NULL), keyed answer:PROVIDER:ID so once per incoming message. Returns 1
 * if it applied, 0 if no text asked (nothing done), -1 and err. Call it in
 * the caller's transaction. */
struct st_inbound;
int st_rsvp_text_answer(sqlite3 *db, const struct st_inbound *in, long contact,
    const char *action, const char *templates, const char *at, struct st_error *err);

/* Settings of st-remind: a "key = value" file that must belong to the user
 * and be readable by nobody else ($ST_REMIND_CONFIG, else
 * $XDG_CONFIG_HOME/st/remind.conf or ~/.config/st/remind.conf if it exists),
 * keys smtp_url, smtp_user, smtp_password, smtp_starttls (yes/no),
 * smtp_ca_file, mail_from, mail_from_name, sms_from, link_base, unsubscribe,
 * templates, tz, hours, rules, digest; the environment overrides some
 * (ST_SMTP_URL, ST_SMTP_USER, ST_SMTP_PASSWORD, ST_MAIL_FROM, ST_TEXT_FROM,
 * ST_LINK_BASE, ST_TEMPLATES). */
struct st_remind_config {
	char *smtp_url, *smtp_user, *smtp_password, *smtp_starttls, *smtp_ca_file, *mail_from,
	    *mail_from_name, *sms_from, *link_base, *unsubscribe, *templates, *tz, *hours, *rules,
	    *digest;
};

/* Load settings from path (NULL: the default file, if it exists) and the
 * environment. 0, or -1 and err (a file others can read, a bad line, an
 * unknown key). */
int st_remind_config_load(struct st_remind_config *c, const char *path, struct st_error *err);
void st_remind_config_free(struct st_remind_config *c);

/* A reminder rule: send on channel ("email" or "sms") offset seconds before a
 * shift starts, or (eve_minute >= 0) the day before the shift's local date at
 * that minute of the day in the event's zone. name goes into the key. */
struct st_remind_rule {
	char channel[8];
	char name[32];
	long offset;
	int eve_minute;
};

#define ST_REMIND_RULES_MAX 16

/* Parse a comma-separated list of rules: CHANNEL:Nd, CHANNEL:Nh, CHANNEL:Nm
 * (before the start) or CHANNEL:eve@HH:MM. Returns how many, or -1. */
int st_remind_rules_parse(const char *s, struct st_remind_rule *r, int max);

/* What a tick decided about one message: decision is "queued", "already"
 * (queued by an earlier run), "would queue" (dry run) or "skipped"; why says
 * why (due since ..., passed before the RSVP, quiet hours, opted out, ...). */
typedef void (*st_remind_note_fn)(void *ctx, const char *key, const char *decision,
    const char *why);

struct st_remind_opts {
	time_t now;
	const struct st_remind_rule *rules;
	int nrules;
	long grace;                  /* seconds after its moment a reminder may still go */
	int quiet_start, quiet_end;  /* texts only in these local hours (minutes of the day) */
	int digest_dow;              /* 0 Sunday .. 6 Saturday; -1: no digests */
	int digest_minute;           /* local minute of the day of the digest */
	int digest_days;             /* shifts in the next N days */
	const char *tz;              /* the organization's zone (digests) */
	const char *mail_from, *mail_from_name, *sms_from;   /* NULL: that channel is off */
	const char *link_base, *unsubscribe;                 /* may be NULL */
	const char *templates;       /* an override directory, or NULL */
	const struct st_token_key *key;  /* signs the links; NULL: no links */
	int dry_run;                 /* decide and note, queue nothing */
	st_remind_note_fn note;      /* may be NULL */
	void *note_ctx;
};

struct st_remind_stats {
	long queued, already, skipped, pending;
};

/* Do what is due at o->now, in one transaction: for each RSVP changed since
 * the last tick, a confirmation with an invite (new), an update (the shift
 * moved: same UID, SEQUENCE + 1) or a cancellation (METHOD:CANCEL); for each
 * rule, the reminders whose moment has come (at most grace ago, before the
 * shift starts, and not before the RSVP was made), reading only the shifts
 * whose reminders may be due; the digests whose moment has come, to people
 * with two shifts or more in the window, after which the day-before
 * reminders of the shifts a digest listed are one message per person, rule
 * and local day (remind:day:...). Every message is queued in the outbox under an idempotency key
 * (remind:rsvp=ID:kind=KIND...), so it is queued once however often and
 * however concurrently ticks run. Returns 0, or -1 and err. */
int st_remind_tick(sqlite3 *db, const struct st_remind_opts *o, struct st_remind_stats *s,
    struct st_error *err);

#endif
