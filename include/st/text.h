/* The text line: message bodies (segments, templates, keywords), where a
 * number is (its area code's zone), settings, and the conversations kept in
 * the messages table (sending, receiving, statuses, the shared inbox). */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <sqlite3.h>
#include <stdio.h>

struct st_error;
struct st_out;
struct st_buf;
struct st_transport;

/* Segments s (UTF-8) takes as an SMS: GSM-7 when every character is in the
 * GSM 03.38 alphabet (its extension table counts twice), 160 septets in one
 * segment and 153 a segment beyond; else UCS-2, 70 UTF-16 units in one and 67
 * a segment beyond. *ucs2 gets 1 for UCS-2, *units the septets or units.
 * Returns the segments (1 for an empty body). */
int st_sms_segments(const char *s, int *ucs2, long *units);

/* Render tmpl into out: {name} is replaced by lookup(ctx, name), {name|text}
 * by text when the value is missing or empty, {{ and }} are braces. A field
 * that lookup gives no value for and that has no default fails: -1 and err
 * naming it (ST_EXIT_DATA). An unterminated field fails likewise. */
int st_template_render(const char *tmpl, const char *(*lookup)(void *ctx, const char *name),
    void *ctx, struct st_buf *out, struct st_error *err);

/* The IANA zone of a North American number (E.164 "+1NPA...") from its
 * area code, or NULL when it is not one the table knows. */
const char *st_phone_tz(const char *e164);

/* 1 if body tells how to opt out (STOP, opt out, unsubscribe, ALTO). */
int st_text_has_optout(const char *body);

enum st_keyword { ST_KW_NONE, ST_KW_STOP, ST_KW_START, ST_KW_HELP };

/* The keyword a whole message is, ignoring case and surrounding blanks:
 * STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE, OPTOUT; START, YES,
 * UNSTOP; HELP, INFO. */
enum st_keyword st_text_keyword(const char *body);

/* The answer a whole message gives to a text that asked for one, ignoring
 * case and surrounding blanks: "confirm" for 1, YES, Y, SI or SÍ, "cancel"
 * for 2 or NO, else NULL. */
const char *st_text_rsvp_answer(const char *body);

/* The message template LANG/NAME (such as "es/reminder.sms"): the file in
 * dir (may be NULL) if there is one, else the built-in one (share/templates);
 * a language with neither falls back to English. A copy to free, or NULL. */
char *st_template_text(const char *dir, const char *lang, const char *name);

/* st_template_render for a template from a file: without the trailing line
 * breaks, which are the file's and not the message's. */
int st_template_file_render(const char *tmpl, const char *(*lookup)(void *ctx, const char *name),
    void *ctx, struct st_buf *out, struct st_error *err);

/* Parse sending hours "HH:MM-HH:MM" into minutes of the day. 0 or -1. */
int st_hours_parse(const char *s, int *start, int *end);

/* Settings of the text line. The environment (TWILIO_ACCOUNT_SID,
 * TWILIO_AUTH_TOKEN, ST_TWILIO_BASE_URL, ST_TEXT_FROM) overrides the config
 * file, a "key = value" file (account_sid, auth_token, base_url, from,
 * hours, tz, help_reply, webhook_url, status_callback, templates) that must
 * belong to the user and be readable by nobody else; ST_TEMPLATES overrides
 * templates. */
struct st_text_config {
	char *account_sid, *auth_token, *base_url, *from, *hours, *tz, *help_reply, *webhook_url,
	    *status_callback, *templates;
};

/* Load settings from path (NULL: $ST_TEXT_CONFIG, else
 * $XDG_CONFIG_HOME/st/text.conf or ~/.config/st/text.conf if it exists) and
 * the environment. Returns 0, or -1 and err (a file others can read, a line
 * that is not key = value, an unknown key). */
int st_text_config_load(struct st_text_config *c, const char *path, struct st_error *err);
void st_text_config_free(struct st_text_config *c);

/* How a blast is sent. */
struct st_send_opts {
	const char *channel;        /* "sms" or "whatsapp" */
	char **from;                /* sending numbers (E.164), NULL-terminated, at least one */
	const char *tmpl;           /* the default template */
	char **langs, **tmpls;      /* templates per language (NULL-terminated, in step) */
	const char *campaign;       /* makes the blast idempotent; NULL: a run of its own */
	int allow_no_optout;        /* a first message may lack opt-out wording */
	int quiet_start, quiet_end; /* allowed local hours, minutes of the day */
	const char *default_tz;     /* for numbers whose area code is unknown */
	struct st_transport *dry_run;  /* write here instead of queueing (a spool) */
};

/* What a blast did with its input, for the summary. */
struct st_send_report {
	long read, queued, already, deferred, rendered;
	long no_contact, no_phone, bad_phone, opted_out, no_optout_wording, missing_field;
	long gsm, ucs2, segments, seg_max;
	char missing[64];           /* the first missing field */
};

/* Read recipients (CSV, TSV or JSON Lines with an id or phone column, as
 * st-query writes them) from fp and queue a message to each that may get one,
 * rendered from the template of their preferred language: keyed
 * blast:campaign=NAME:contact=ID with a campaign (so a re-run queues nobody
 * twice), from the number the contact was last texted from (else one of
 * opts->from by contact id), held until the sending hours of the contact's
 * zone (area code, else default_tz). Returns 0, or -1 and err. */
int st_text_enqueue(sqlite3 *db, FILE *fp, const char *name, const struct st_send_opts *o,
    struct st_send_report *r, struct st_error *err);

/* Queue a reply to contact (the inbox): from the number of their thread
 * (else from[0]), keyed reply:contact=ID:..., and mark their messages
 * handled. Refused if they opted out or their phone is bad. *id gets it. */
int st_text_reply(sqlite3 *db, long contact, const char *channel, char **from,
    const char *body, long *id, struct st_error *err);

/* An incoming message. */
struct st_inbound {
	const char *provider, *provider_id, *channel, *from, *to, *body;
	const char *at;             /* UTC ISO time it arrived, NULL: now */
};

/* How incoming messages are acted on. */
struct st_receive_opts {
	const char *help_reply;     /* queued to a HELP word; NULL: none */
	const char *templates;      /* override directory for answers; NULL: built in */
};

/* Record an incoming message (once: by provider id) in the thread of the
 * contact with its number, making a contact for an unknown number; act on
 * it: an answer (st_text_rsvp_answer) from a contact not opted out of the
 * channel, to a text of st-remind that asked for one, confirms or cancels
 * its RSVPs (st_rsvp_text_answer) and is no keyword; otherwise STOP words
 * opt the contact out of the channel, START words (YES among them) back in,
 * HELP words queue ro->help_reply (if set) to them. ro may be NULL. Returns
 * 1 if it was new, 0 if already recorded, -1 and err. *kw (may be NULL)
 * gets the keyword acted on. */
int st_text_receive(sqlite3 *db, const struct st_inbound *in, const struct st_receive_opts *ro,
    enum st_keyword *kw, struct st_error *err);

/* Record the provider's status for a message it sent (never going back:
 * delivered does not become sent). Delivery errors 30005 and 30006 mark
 * the phone invalid or a landline, 21610 opts the contact out. Returns 1 if
 * the row changed, 0 if not (unknown id, or not newer), -1 and err. */
int st_text_status(sqlite3 *db, const char *provider, const char *provider_id,
    const char *status, long error_code, const char *error, struct st_error *err);

/* Write the conversations to out, one row a contact who has written to us:
 * those with messages not yet handled first, newest first. */
int st_inbox_list(sqlite3 *db, struct st_out *out, long *nrows, struct st_error *err);

/* Write a contact's messages to out, oldest first, and mark the incoming ones read. */
int st_inbox_thread(sqlite3 *db, long contact, struct st_out *out, long *nrows,
    struct st_error *err);

/* Mark a contact's incoming messages handled (done). */
int st_inbox_done(sqlite3 *db, long contact, struct st_error *err);

/* Tag a contact (the tag is made if new). */
int st_inbox_tag(sqlite3 *db, long contact, const char *tag, struct st_error *err);

/* Opt a contact out of a channel by hand. */
int st_text_opt_out(sqlite3 *db, long contact, const char *channel, struct st_error *err);

#endif
