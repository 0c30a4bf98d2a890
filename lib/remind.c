/* The st-remind scheduler: what is due at a moment, queued once into the outbox. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/config.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/ical.h"
#include "st/mime.h"
#include "st/outbox.h"
#include "st/remind.h"
#include "st/text.h"
#include "st/tz.h"
#include "st/util.h"

/* ---- settings ---- */

static char **
config_slot(void *arg, const char *k)
{
	struct st_remind_config *c = arg;
	static const char *const names[] = { "smtp_url", "smtp_user", "smtp_password",
		"smtp_starttls", "smtp_ca_file", "mail_from", "mail_from_name", "sms_from",
		"link_base", "unsubscribe", "templates", "tz", "hours", "rules", "digest" };
	char **slots[] = { &c->smtp_url, &c->smtp_user, &c->smtp_password, &c->smtp_starttls,
		&c->smtp_ca_file, &c->mail_from, &c->mail_from_name, &c->sms_from, &c->link_base,
		&c->unsubscribe, &c->templates, &c->tz, &c->hours, &c->rules, &c->digest };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], k) == 0)
			return slots[i];
	return NULL;
}

int
st_remind_config_load(struct st_remind_config *c, const char *path, struct st_error *err)
{
	static const char *const env[][2] = { { "ST_SMTP_URL", "smtp_url" }, { "ST_SMTP_USER",
		"smtp_user" }, { "ST_SMTP_PASSWORD", "smtp_password" }, { "ST_MAIL_FROM", "mail_from" },
		{ "ST_TEXT_FROM", "sms_from" }, { "ST_LINK_BASE", "link_base" }, { "ST_TEMPLATES",
		"templates" }, { NULL, NULL } };
	char *p = NULL;
	int must = 1, rc = 0;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		path = p = st_config_path("ST_REMIND_CONFIG", "remind.conf", &must);
	if (path)
		rc = st_config_read(path, must, config_slot, c, err);
	free(p);
	if (rc < 0) {
		st_remind_config_free(c);
		return -1;
	}
	st_config_env(env, config_slot, c);
	return 0;
}

void
st_remind_config_free(struct st_remind_config *c)
{
	char **all[] = { &c->smtp_url, &c->smtp_user, &c->smtp_password, &c->smtp_starttls,
		&c->smtp_ca_file, &c->mail_from, &c->mail_from_name, &c->sms_from, &c->link_base,
		&c->unsubscribe, &c->templates, &c->tz, &c->hours, &c->rules, &c->digest };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i] && all[i] == &c->smtp_password)
			memset(*all[i], 0, strlen(*all[i]));
		free(*all[i]);
		*all[i] = NULL;
	}
}

int
st_remind_rules_parse(const char *s, struct st_remind_rule *r, int max)
{
	char **v = st_split_list(s);
	int n = 0, i;

	for (i = 0; v[i]; i++) {
		char *colon = strchr(v[i], ':'), *spec;
		struct st_remind_rule *x;
		long num;
		size_t len;

		if (n == max || !colon)
			goto bad;
		x = &r[n];
		memset(x, 0, sizeof(*x));
		*colon = '\0';
		spec = colon + 1;
		if (strcmp(v[i], "email") != 0 && strcmp(v[i], "sms") != 0)
			goto bad;
		snprintf(x->channel, sizeof(x->channel), "%s", v[i]);
		x->eve_minute = -1;
		len = strlen(spec);
		if (strncmp(spec, "eve@", 4) == 0) {
			int a, b;

			if (strlen(spec + 4) != 5 || !isdigit((unsigned char)spec[4]) ||
			    !isdigit((unsigned char)spec[5]) || spec[6] != ':' ||
			    !isdigit((unsigned char)spec[7]) || !isdigit((unsigned char)spec[8]))
				goto bad;
			a = (spec[4] - '0') * 10 + (spec[5] - '0');
			b = (spec[7] - '0') * 10 + (spec[8] - '0');
			if (a > 23 || b > 59)
				goto bad;
			x->eve_minute = a * 60 + b;
			snprintf(x->name, sizeof(x->name), "%s-eve%02d%02d", x->channel, a, b);
		} else if (len >= 2 && strchr("dhm", spec[len - 1])) {
			char unit = spec[len - 1];

			spec[len - 1] = '\0';
			if (st_parse_long(spec, 1, 100000, &num) < 0)
				goto bad;
			x->offset = num * (unit == 'd' ? 86400 : unit == 'h' ? 3600 : 60);
			snprintf(x->name, sizeof(x->name), "%s-%ld%c", x->channel, num, unit);
		} else {
			goto bad;
		}
		n++;
	}
	st_strv_free(v);
	return n;
bad:
	st_strv_free(v);
	return -1;
}

/* ---- one run ---- */

#define TICK_TEMPLATES 64

/* A run, with what it works out once: templates by language and name, and
 * the local times of the shift last seen (rows come in order of start, and
 * finding a local time switches the process's zone). */
struct tick {
	sqlite3 *db;
	const struct st_remind_opts *o;
	struct st_remind_stats *s;
	const char *domain;
	struct {
		char name[64];
		char *text;
	} tmpl[TICK_TEMPLATES];
	int ntmpl;
	time_t when_t, eve_t, eve_v;
	int eve_m;
	char when_tz[64], when_s[32], eve_tz[64];
};

static void
tick_free(struct tick *k)
{
	int i;

	for (i = 0; i < k->ntmpl; i++)
		free(k->tmpl[i].text);
	k->ntmpl = 0;
}

/* ---- templates ---- */

struct fields {
	const char *names[24], *values[24];
	int n;
};

static void
field(struct fields *f, const char *name, const char *value)
{
	f->names[f->n] = name;
	f->values[f->n++] = value;
}

static const char *
lookup(void *ctx, const char *name)
{
	struct fields *f = ctx;
	int i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i] && *f->values[i] ? f->values[i] : NULL;
	return NULL;
}

/* The template LANG/NAME, read once a run. */
static const char *
template(struct tick *k, const char *lang, const char *name)
{
	char key[64];
	int i;

	snprintf(key, sizeof(key), "%s/%s", lang && *lang ? lang : "en", name);
	for (i = 0; i < k->ntmpl; i++)
		if (strcmp(k->tmpl[i].name, key) == 0)
			return k->tmpl[i].text;
	if (k->ntmpl == TICK_TEMPLATES)
		tick_free(k);
	snprintf(k->tmpl[k->ntmpl].name, sizeof(k->tmpl[0].name), "%s", key);
	k->tmpl[k->ntmpl].text = st_template_text(k->o->templates, lang, name);
	return k->tmpl[k->ntmpl++].text;
}

static int
render(struct tick *k, const char *lang, const char *name, struct fields *f,
    struct st_buf *out, struct st_error *err)
{
	const char *t = template(k, lang, name);

	if (t == NULL)
		return st_error_set(err, ST_EXIT_DATA, "no template '%s'", name);
	return st_template_file_render(t, lookup, f, out, err);
}

/* ---- times ---- */

static time_t
utc(const char *s)
{
	time_t t = 0;

	st_time_from_utc(s, &t);
	return t;
}

/* The first moment at or after t within sending hours in zone. */
static time_t
sendable_from(time_t t, const char *zone, int qs, int qe)
{
	time_t change;

	return st_tz_window(t, zone, qs, qe, &change) ? t : change;
}

/* "YYYY-MM-DD HH:MM" of t local to zone. */
static void
local_when(time_t t, const char *zone, char out[32])
{
	char s[32];

	st_time_local(t, zone, s);
	snprintf(out, 32, "%.10s %.5s", s, s + 11);
}

/* The day before start's local date, at minute, in zone. */
static time_t
eve_of(time_t start, const char *zone, int minute)
{
	char s[32], when[64];
	struct tm tm = { 0 };
	time_t day, t = 0;
	struct st_error err;

	st_time_local(start, zone, s);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8) - 1;
	tm.tm_hour = 12;
	day = timegm(&tm);
	gmtime_r(&day, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, minute / 60, minute % 60);
	/* A local time that does not exist or happens twice: the earlier instant. */
	if (st_time_parse(when, zone, &t, &err) < 0) {
		snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, minute / 60 + 1 < 24 ? minute / 60 + 1 : 23, minute % 60);
		if (st_time_parse(when, zone, &t, &err) < 0)
			return 0;
	}
	return t;
}

/* local_when and eve_of, remembered for the last shift start and zone. */
static const char *
when_of(struct tick *k, time_t start, const char *zone)
{
	if (start != k->when_t || strcmp(zone, k->when_tz) != 0 || !k->when_s[0]) {
		local_when(start, zone, k->when_s);
		k->when_t = start;
		snprintf(k->when_tz, sizeof(k->when_tz), "%s", zone);
	}
	return k->when_s;
}

static time_t
eve(struct tick *k, time_t start, const char *zone, int minute)
{
	if (start != k->eve_t || minute != k->eve_m || strcmp(zone, k->eve_tz) != 0) {
		k->eve_v = eve_of(start, zone, minute);
		k->eve_t = start;
		k->eve_m = minute;
		snprintf(k->eve_tz, sizeof(k->eve_tz), "%s", zone);
	}
	return k->eve_v;
}

/* ---- one RSVP with what the messages need ---- */

struct rsvp {
	long id, contact, shift, seq;
	int live, has_invite, invite_cancelled, digested;
	time_t created, start, end;
	char *status, *title, *location, *description, *tz, *first, *last, *email, *phone, *lang,
	    *sms_status, *email_status, *phone_status, *inv_start, *inv_end;
};

#define RSVP_COLS \
	"r.id, r.contact_id, r.shift_id, r.status, r.created_at, s.starts_at, s.ends_at, " \
	"(r.status IN ('yes', 'maybe') AND s.status = 'active' AND e.status = 'active'), " \
	"e.title, e.location, e.description, e.tz, c.first_name, c.last_name, c.email, c.phone, " \
	"c.lang, c.sms_status, c.email_status, c.phone_status, i.sequence, i.starts_at, " \
	"i.ends_at, i.state, EXISTS (SELECT 1 FROM remind_digested d WHERE d.rsvp_id = r.id) "
#define RSVP_FROM \
	"FROM rsvps r JOIN shifts s ON s.id = r.shift_id JOIN events e ON e.id = s.event_id " \
	"JOIN contacts c ON c.id = r.contact_id LEFT JOIN remind_invites i ON i.rsvp_id = r.id "

static char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? st_xstrdup((const char *)t) : NULL;
}

static void
rsvp_load(sqlite3_stmt *st, struct rsvp *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->contact = sqlite3_column_int64(st, 1);
	r->shift = sqlite3_column_int64(st, 2);
	r->status = col(st, 3);
	r->created = utc((const char *)sqlite3_column_text(st, 4));
	r->start = utc((const char *)sqlite3_column_text(st, 5));
	r->end = utc((const char *)sqlite3_column_text(st, 6));
	r->live = sqlite3_column_int(st, 7);
	r->title = col(st, 8);
	r->location = col(st, 9);
	r->description = col(st, 10);
	r->tz = col(st, 11);
	r->first = col(st, 12);
	r->last = col(st, 13);
	r->email = col(st, 14);
	r->phone = col(st, 15);
	r->lang = col(st, 16);
	r->sms_status = col(st, 17);
	r->email_status = col(st, 18);
	r->phone_status = col(st, 19);
	r->has_invite = sqlite3_column_type(st, 20) != SQLITE_NULL;
	r->seq = sqlite3_column_int64(st, 20);
	r->inv_start = col(st, 21);
	r->inv_end = col(st, 22);
	r->invite_cancelled = r->has_invite && sqlite3_column_text(st, 23) &&
	    strcmp((const char *)sqlite3_column_text(st, 23), "cancelled") == 0;
	r->digested = sqlite3_column_int(st, 24);
}

static void
rsvp_free(struct rsvp *r)
{
	char **all[] = { &r->status, &r->title, &r->location, &r->description, &r->tz, &r->first,
		&r->last, &r->email, &r->phone, &r->lang, &r->sms_status, &r->email_status,
		&r->phone_status, &r->inv_start, &r->inv_end };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(*all[i]);
}

/* ---- queueing ---- */

static void
note(struct tick *k, const char *key, const char *decision, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
note(struct tick *k, const char *key, const char *decision, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	if (strcmp(decision, "skipped") == 0)
		k->s->skipped++;
	if (!k->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	k->o->note(k->o->note_ctx, key, decision, why);
}

static int
key_exists(struct tick *k, const char *key, struct st_error *err)
{
	long one = 0;

	return st_db_scalarf(k->db, err, &one, "SELECT 1 FROM messages WHERE idem_key = ?", "t", key);
}

/* Queue one message; 1 queued, 0 already there, -1 error. */
static int
enqueue(struct tick *k, long contact, const char *channel, const char *from, const char *to,
    const char *subject, const char *body, const char *key, const char *tz, time_t not_before,
    const char *why, long *id, struct st_error *err)
{
	struct st_outbox_item it = { 0 };
	long id0;
	int rc;

	if (id == NULL)
		id = &id0;
	*id = 0;

	if (k->o->dry_run) {
		note(k, key, "would queue", "%s", why);
		return 1;
	}
	it.contact_id = contact;
	it.channel = channel;
	it.from = from;
	it.to = to;
	it.subject = subject;
	it.body = body;
	it.key = key;
	it.campaign = "remind";
	it.tz = tz;
	it.not_before = not_before > k->o->now ? not_before : 0;
	if ((rc = st_outbox_enqueue(k->db, &it, id, err)) < 0)
		return -1;
	if (rc == 1) {
		k->s->queued++;
		note(k, key, "queued", "%s", why);
	} else {
		k->s->already++;
		note(k, key, "already", "queued before");
	}
	return rc;
}

/* Text id asked its recipient to answer about RSVP rsvp. */
static int
ask(struct tick *k, long id, long rsvp, long contact, struct st_error *err)
{
	return st_db_execf(k->db, err, "INSERT OR IGNORE INTO remind_asks(message_id, rsvp_id, "
	    "contact_id) VALUES (?1, ?2, ?3)", "iii", id, rsvp, contact) < 0 ? -1 : 0;
}

static int
email_ok(const struct rsvp *r)
{
	return r->email && *r->email && !(r->email_status && strcmp(r->email_status,
	    "opted_out") == 0);
}

static const char *
sms_block(const struct rsvp *r)
{
	if (!r->phone || !*r->phone)
		return "no phone";
	if (r->sms_status && strcmp(r->sms_status, "opted_out") == 0)
		return "opted out of texts";
	if (r->phone_status && *r->phone_status)
		return "phone cannot take texts";
	return NULL;
}

static void
links(struct tick *k, const struct rsvp *r, struct st_buf *confirm, struct st_buf *cancel,
    struct st_buf *confirm_line, struct st_buf *cancel_line, int es)
{
	char tok[ST_TOKEN_MAX];
	struct st_error e2;

	if (!k->o->key || !k->o->link_base)
		return;
	if (st_rsvp_token(k->db, k->o->key, "confirm", r->id, r->end, tok, &e2) > 0 &&
	    st_rsvp_link(k->o->link_base, "confirm", tok, confirm, &e2) == 0)
		st_buf_printf(confirm_line, "%s: %s\n", es ? "Confirma" : "Confirm", confirm->s);
	if (st_rsvp_token(k->db, k->o->key, "cancel", r->id, r->end, tok, &e2) > 0 &&
	    st_rsvp_link(k->o->link_base, "cancel", tok, cancel, &e2) == 0)
		st_buf_printf(cancel_line, "%s: %s\n", es ? "Cancela" : "Can't come", cancel->s);
}

/* Whether the message key may be queued to r on channel now: 1 yes (for a
 * text, *zone and *from say where and from when it may go), 0 no (noted: no
 * sender, opted out, queued before, quiet hours until deadline), -1 error.
 * It comes before anything is rendered or signed, so a tick that finds its
 * messages queued does little. */
static int
gate(struct tick *k, const struct rsvp *r, const char *channel, const char *key,
    time_t deadline, const char **zone, time_t *from, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	const char *blocked, *ptz;
	int rc;

	if (strcmp(channel, "email") == 0) {
		if (!o->mail_from) {
			note(k, key, "skipped", "no sender address for e-mail (mail_from)");
			return 0;
		}
		if (!email_ok(r)) {
			note(k, key, "skipped", r->email && *r->email ? "opted out of e-mail" :
			    "no e-mail address");
			return 0;
		}
	} else if (!o->sms_from) {
		note(k, key, "skipped", "no sending number for texts (sms_from)");
		return 0;
	} else if ((blocked = sms_block(r)) != NULL) {
		note(k, key, "skipped", "%s", blocked);
		return 0;
	}
	if ((rc = key_exists(k, key, err)) != 0) {
		if (rc < 0)
			return -1;
		k->s->already++;
		note(k, key, "already", "queued before");
		return 0;
	}
	if (strcmp(channel, "sms") == 0) {
		ptz = st_phone_tz(r->phone);
		*zone = ptz ? ptz : r->tz;
		*from = sendable_from(k->o->now, *zone, o->quiet_start, o->quiet_end);
		if (*from >= deadline) {
			note(k, key, "skipped", "quiet hours in %s until after it would be late", *zone);
			return 0;
		}
	}
	return 1;
}

static void
full_name(const struct rsvp *r, struct st_buf *out)
{
	st_buf_printf(out, "%s%s%s", r->first ? r->first : "", r->first && r->last ? " " : "",
	    r->last ? r->last : "");
}

/* Queue an e-mail to r's contact: subject and text, with an invite (ics of
 * method) or none; its Message-ID is made from its key. */
static int
queue_mail(struct tick *k, const struct rsvp *r, const char *subject, const char *text,
    const char *ics, const char *method, const char *key, const char *why, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	struct st_buf mail = { 0 }, mid = { 0 }, name = { 0 };
	struct st_mail m = { 0 };
	size_t i;
	int rc;

	st_buf_adds(&mid, key);
	for (i = 0; i < mid.len; i++)
		if (!isalnum((unsigned char)mid.s[i]) && !strchr("-=.", mid.s[i]))
			mid.s[i] = '.';
	st_buf_printf(&mid, "@%s", k->domain);
	full_name(r, &name);
	m.from_name = o->mail_from_name;
	m.from_addr = o->mail_from;
	m.to_name = name.len ? name.s : NULL;
	m.to_addr = r->email;
	m.subject = subject;
	m.text = text;
	m.ical = ics;
	m.ical_method = method;
	m.list_unsubscribe = o->unsubscribe;
	m.message_id = mid.s;
	m.date = o->now;
	rc = st_mime_write(&m, &mail, err);
	if (rc == 0)
		rc = enqueue(k, r->contact, "email", o->mail_from, r->email, subject, mail.s, key, NULL,
		    0, why, NULL, err) < 0 ? -1 : 0;
	st_buf_free(&mail);
	st_buf_free(&mid);
	st_buf_free(&name);
	return rc;
}

/* Queue a text to r's contact that asks an answer about the RSVPs ids (n of
 * them; none for a text that asks nothing). */
static int
queue_text(struct tick *k, const struct rsvp *r, const char *body, const char *key,
    const char *zone, time_t from, const char *why, const long *ids, int n, struct st_error *err)
{
	long id = 0;
	int i;

	if (enqueue(k, r->contact, "sms", k->o->sms_from, r->phone, NULL, body, key, zone, from, why,
	    &id, err) < 0)
		return -1;
	for (i = 0; id && i < n; i++)
		if (ask(k, id, ids[i], r->contact, err) < 0)
			return -1;
	return 0;
}

/* A message to r's contact on channel from the templates NAME.subject and
 * NAME.email, or NAME.sms, without an invite (a digest, a day's reminder, or
 * the text of a confirmation, reminder, update or cancellation). */
static int
send_list(struct tick *k, const struct rsvp *r, const char *name, const char *channel,
    struct fields *f, const char *key, const char *zone, time_t from, const char *why,
    const long *ids, int n, struct st_error *err)
{
	struct st_buf subj = { 0 }, body = { 0 };
	char tmpl[64];
	int rc;

	if (strcmp(channel, "email") == 0) {
		snprintf(tmpl, sizeof(tmpl), "%s.subject", name);
		if ((rc = render(k, r->lang, tmpl, f, &subj, err)) == 0) {
			snprintf(tmpl, sizeof(tmpl), "%s.email", name);
			rc = render(k, r->lang, tmpl, f, &body, err);
		}
		if (rc == 0)
			rc = queue_mail(k, r, subj.s, body.s, NULL, NULL, key, why, err);
	} else {
		snprintf(tmpl, sizeof(tmpl), "%s.sms", name);
		if ((rc = render(k, r->lang, tmpl, f, &body, err)) == 0)
			rc = queue_text(k, r, body.s, key, zone, from, why, ids, n, err);
	}
	st_buf_free(&subj);
	st_buf_free(&body);
	return rc;
}

/* The e-mail and the text of one kind (confirm, reminder, update, cancel)
 * for r; which says which channels ("email", "sms", or NULL for both). */
static int
send_kind(struct tick *k, const struct rsvp *r, const char *kind, const char *which,
    const char *keybase, const char *method, time_t deadline, const char *why,
    struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	struct st_buf subj = { 0 }, text = { 0 }, ics = { 0 }, confirm = { 0 },
	    cancel = { 0 }, cline = { 0 }, xline = { 0 }, mkey = { 0 }, tkey = { 0 }, name = { 0 };
	struct fields f = { 0 };
	char when[32], tmpl[64];
	const char *zone = NULL;
	time_t from = 0;
	int rc = 0, mail = 0, txt = 0, es = r->lang && strcmp(r->lang, "es") == 0;

	st_buf_printf(&mkey, "%s:ch=email", keybase);
	st_buf_printf(&tkey, "%s:ch=sms", keybase);
	if ((!which || strcmp(which, "email") == 0) &&
	    (mail = gate(k, r, "email", mkey.s, deadline, &zone, &from, err)) < 0)
		rc = -1;
	if (rc == 0 && (!which || strcmp(which, "sms") == 0) &&
	    (txt = gate(k, r, "sms", tkey.s, deadline, &zone, &from, err)) < 0)
		rc = -1;
	if (rc < 0 || (!mail && !txt))
		goto done;
	snprintf(when, sizeof(when), "%s", when_of(k, r->start, r->tz));
	if (strcmp(kind, "cancel") != 0)
		links(k, r, &confirm, &cancel, &cline, &xline, es);
	if (strcmp(kind, "update") == 0)
		st_buf_reset(&cline);
	field(&f, "first_name", r->first);
	field(&f, "last_name", r->last);
	field(&f, "title", r->title);
	field(&f, "when", when);
	field(&f, "tz", r->tz);
	field(&f, "location", r->location);
	field(&f, "description", r->description);
	field(&f, "org", o->mail_from_name ? o->mail_from_name : "st");
	field(&f, "confirm_url", confirm.s);
	field(&f, "cancel_url", cancel.s);
	field(&f, "confirm_line", cline.s);
	field(&f, "cancel_line", xline.s);
	if (mail) {
		snprintf(tmpl, sizeof(tmpl), "%s.subject", kind);
		if ((rc = render(k, r->lang, tmpl, &f, &subj, err)) == 0) {
			snprintf(tmpl, sizeof(tmpl), "%s.email", kind);
			rc = render(k, r->lang, tmpl, &f, &text, err);
		}
		if (rc == 0 && method) {
			struct st_ical_event ev = { 0 };
			char uid[128];

			snprintf(uid, sizeof(uid), "st-rsvp-%ld@%s", r->id, k->domain);
			ev.method = method;
			ev.uid = uid;
			ev.sequence = r->seq;
			ev.dtstamp = o->now;
			ev.start = r->start;
			ev.end = r->end;
			ev.summary = r->title;
			ev.location = r->location;
			ev.description = r->description;
			ev.organizer_name = o->mail_from_name;
			ev.organizer_email = o->mail_from;
			full_name(r, &name);
			ev.attendee_name = name.s;
			ev.attendee_email = r->email;
			ev.partstat = "ACCEPTED";
			rc = st_ical_write(&ev, &ics, err);
		}
		if (rc == 0)
			rc = queue_mail(k, r, subj.s, text.s, method ? ics.s : NULL, method, mkey.s, why,
			    err);
	}
	/* Its answer (1 or 2) goes to this RSVP; a cancellation asks none. */
	if (rc == 0 && txt)
		rc = send_list(k, r, kind, "sms", &f, tkey.s, zone, from, why, &r->id,
		    strcmp(kind, "cancel") != 0, err);
done:
	st_buf_free(&subj);
	st_buf_free(&text);
	st_buf_free(&ics);
	st_buf_free(&confirm);
	st_buf_free(&cancel);
	st_buf_free(&cline);
	st_buf_free(&xline);
	st_buf_free(&mkey);
	st_buf_free(&tkey);
	st_buf_free(&name);
	return rc < 0 ? -1 : 0;
}

/* One line of a list of shifts (digests, day reminders): the long form for
 * e-mail, the short one for texts; n is how many are in the list already. */
static void
shift_line(struct tick *k, const struct rsvp *r, struct st_buf *list, struct st_buf *shortl,
    int n)
{
	const char *when = when_of(k, r->start, r->tz);

	st_buf_printf(list, "- %s (%s): %s%s%s\n", when, r->tz, r->title, r->location ? ", " : "",
	    r->location ? r->location : "");
	st_buf_printf(shortl, "%s%s %s", n ? "; " : "", when, r->title);
}

static int
day_rule(const struct st_remind_rule *u)
{
	return u->eve_minute >= 0 || u->offset >= 86400;
}

/* The day-before reminder of rule u that replaces the per-shift ones for
 * shifts a digest listed: one message to r's contact for every such shift
 * of theirs on r's local day, keyed by person, rule and day. */
static int
send_day(struct tick *k, const struct rsvp *r, const struct st_remind_rule *u, time_t deadline,
    struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	struct st_buf key = { 0 }, list = { 0 }, shortl = { 0 };
	struct fields f = { 0 };
	sqlite3_stmt *st = NULL;
	char day[11], s[32], lo[21], hi[21];
	const char *zone = NULL;
	time_t from = 0;
	long *ids = NULL;
	int rc, n = 0;

	st_time_local(r->start, r->tz, s);
	snprintf(day, sizeof(day), "%.10s", s);
	st_buf_printf(&key, "remind:day:contact=%ld:kind=%s:day=%s:ch=%s", r->contact, u->name, day,
	    u->channel);
	if ((rc = gate(k, r, u->channel, key.s, deadline, &zone, &from, err)) <= 0)
		goto done;
	rc = -1;
	st_time_utc(o->now, lo);
	st_time_utc(r->start + 86400, hi);
	if ((st = st_db_prepare(k->db, "SELECT " RSVP_COLS RSVP_FROM "WHERE r.contact_id = ?1 AND "
	    "r.status IN ('yes', 'maybe') AND s.status = 'active' AND s.starts_at > ?2 AND "
	    "s.starts_at <= ?3 AND r.id IN (SELECT rsvp_id FROM remind_digested) ORDER BY "
	    "s.starts_at, r.id", err)) == NULL)
		goto done;
	sqlite3_bind_int64(st, 1, r->contact);
	sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rsvp x;

		rsvp_load(st, &x);
		st_time_local(x.start, x.tz, s);
		if (x.live && strncmp(s, day, 10) == 0) {
			shift_line(k, &x, &list, &shortl, n);
			ids = st_xrealloc(ids, (size_t)(n + 1) * sizeof(*ids));
			ids[n++] = x.id;
		}
		rsvp_free(&x);
	}
	if (rc != SQLITE_DONE) {
		rc = st_error_db(err, k->db, "cannot read shifts");
		goto done;
	}
	field(&f, "first_name", r->first);
	field(&f, "org", o->mail_from_name ? o->mail_from_name : "st");
	field(&f, "day", day);
	field(&f, "shifts", list.s);
	field(&f, "shifts_short", shortl.s);
	rc = send_list(k, r, "day", u->channel, &f, key.s, zone, from,
	    "the day's shifts, listed in a digest", ids, n, err);
done:
	sqlite3_finalize(st);
	st_buf_free(&key);
	st_buf_free(&list);
	st_buf_free(&shortl);
	free(ids);
	return rc < 0 ? -1 : 0;
}

/* ---- the three parts of a tick ---- */

static int
record_invite(struct tick *k, const struct rsvp *r, long seq, const char *state,
    struct st_error *err)
{
	char now[21], s[21], e[21];

	if (k->o->dry_run)
		return 0;
	st_time_utc(k->o->now, now);
	st_time_utc(r->start, s);
	st_time_utc(r->end, e);
	return st_db_execf(k->db, err, "INSERT INTO remind_invites(rsvp_id, sequence, starts_at, "
	    "ends_at, state, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(rsvp_id) DO "
	    "UPDATE SET sequence = excluded.sequence, starts_at = excluded.starts_at, ends_at = "
	    "excluded.ends_at, state = excluded.state, updated_at = excluded.updated_at",
	    "iittt" "t", r->id, seq, s, e, state, now) < 0 ? -1 : 0;
}

static int
changes(struct tick *k, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	sqlite3_stmt *st;
	char keybase[96], nowutc[21], when[21];
	int rc;

	st_time_utc(o->now, nowutc);
	if ((st = st_db_prepare(k->db, "SELECT " RSVP_COLS RSVP_FROM
	    "WHERE r.id IN (SELECT rsvp_id FROM remind_pending) ORDER BY r.id", err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rsvp r;
		int done = 1, bad = 0;

		rsvp_load(st, &r);
		k->s->pending++;
		st_time_utc(r.start, when);
		if (r.created > o->now) {
			done = 0;   /* made after this tick's moment: a later tick's */
		} else if (r.start <= o->now) {
			snprintf(keybase, sizeof(keybase), "remind:rsvp=%ld", r.id);
			note(k, keybase, "skipped", "the shift started at %s", when);
		} else if (r.live && (!r.has_invite || r.invite_cancelled)) {
			long seq = r.has_invite ? r.seq + 1 : 0;

			r.seq = seq;
			snprintf(keybase, sizeof(keybase), "remind:rsvp=%ld:kind=confirm:seq=%ld", r.id,
			    seq);
			bad = send_kind(k, &r, "confirm", NULL, keybase, "REQUEST", r.start,
			    "a new RSVP", err) < 0 || record_invite(k, &r, seq, "sent", err) < 0;
		} else if (r.live && r.has_invite && (strcmp(r.inv_start, when) != 0 ||
		    utc(r.inv_end) != r.end)) {
			r.seq++;
			snprintf(keybase, sizeof(keybase), "remind:rsvp=%ld:kind=update:seq=%ld", r.id,
			    r.seq);
			bad = send_kind(k, &r, "update", NULL, keybase, "REQUEST", r.start,
			    "the shift moved", err) < 0 || record_invite(k, &r, r.seq, "sent", err) < 0;
		} else if (!r.live && r.has_invite && !r.invite_cancelled) {
			r.seq++;
			snprintf(keybase, sizeof(keybase), "remind:rsvp=%ld:kind=cancel:seq=%ld", r.id,
			    r.seq);
			bad = send_kind(k, &r, "cancel", NULL, keybase, "CANCEL", r.start,
			    strcmp(r.status, "cancelled") == 0 || strcmp(r.status, "no") == 0 ?
			    "the RSVP was cancelled" : "the shift was cancelled", err) < 0 ||
			    record_invite(k, &r, r.seq, "cancelled", err) < 0;
		}
		if (!bad && done && !o->dry_run && st_db_execf(k->db, err,
		    "DELETE FROM remind_pending WHERE rsvp_id = ?", "i", r.id) < 0)
			bad = 1;
		rsvp_free(&r);
		if (bad) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_error_db(err, k->db, "cannot read changed RSVPs");
	return 0;
}

/* Whether an evening-before rule at minute may be due now in some event's
 * zone (its moment at most grace ago), and if so the starts of the shifts it
 * may be due for, [*lo, *hi]: the local days after the evenings that are on,
 * an hour wider each side for a change of clocks. 0 if none. */
static int
eve_open(struct tick *k, int minute, time_t *lo, time_t *hi, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	sqlite3_stmt *st;
	char from[21], to[21];
	int rc, open = 0;

	/* The zones of the shifts of the next three days (an index range on the
	 * start): the range below never reaches past them. */
	st_time_utc(o->now, from);
	st_time_utc(o->now + 3 * 86400, to);
	if ((st = st_db_prepare(k->db, "SELECT DISTINCT e.tz FROM shifts s JOIN events e ON "
	    "e.id = s.event_id WHERE s.starts_at > ?1 AND s.starts_at <= ?2 AND s.status = 'active' "
	    "AND e.status = 'active'", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *zone = (const char *)sqlite3_column_text(st, 0);
		int back;

		/* The moment is the evening before a shift: try the shift on the
		 * day after today, and after yesterday (a grace past midnight). */
		for (back = 0; back <= 1; back++) {
			time_t due = eve_of(o->now - back * o->grace + 86400, zone, minute);
			time_t day = due + (time_t)(1440 - minute) * 60 - 3600;

			if (due == 0 || due > o->now || o->now >= due + o->grace)
				continue;
			if (!open || day < *lo)
				*lo = day;
			if (!open || day + 86400 + 7200 > *hi)
				*hi = day + 86400 + 7200;
			open = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return st_error_db(err, k->db, "cannot read events");
	return open;
}

static int
reminders(struct tick *k, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	sqlite3_stmt *st = NULL;
	char lo[21], hi[21], keybase[128], start[21], due_s[21];
	int i, rc = SQLITE_DONE, bad = 0;

	/* Each rule reads only the shifts whose reminder may be due now: an
	 * index range on the start, so a tick with nothing due reads nothing. */
	for (i = 0; i < o->nrules && !bad; i++) {
		const struct st_remind_rule *u = &o->rules[i];
		time_t from = 0, to = 0;

		if (u->eve_minute >= 0) {
			if ((rc = eve_open(k, u->eve_minute, &from, &to, err)) < 0)
				return -1;
			if (!rc)
				continue;
			if (from < o->now)
				from = o->now;
		} else {
			from = o->now + u->offset - o->grace > o->now ? o->now + u->offset - o->grace :
			    o->now;
			to = o->now + u->offset;
		}
		st_time_utc(from, lo);
		st_time_utc(to, hi);
		if (st == NULL && (st = st_db_prepare(k->db, "SELECT " RSVP_COLS RSVP_FROM
		    "WHERE s.starts_at > ?1 AND s.starts_at <= ?2 AND s.status = 'active' "
		    "AND r.status IN ('yes', 'maybe') ORDER BY s.starts_at, r.id", err)) == NULL)
			return -1;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
		while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct rsvp r;
			time_t due, deadline;

			rsvp_load(st, &r);
			due = u->eve_minute >= 0 ? eve(k, r.start, r.tz, u->eve_minute) :
			    r.start - u->offset;
			deadline = due + o->grace < r.start ? due + o->grace : r.start;
			if (!r.live || due > o->now || due == 0 || o->now >= deadline) {
				rsvp_free(&r);
				continue;   /* not yet, or past: nothing to say */
			}
			st_time_utc(r.start, start);
			snprintf(keybase, sizeof(keybase), "remind:rsvp=%ld:kind=%s:start=%s", r.id,
			    u->name, start);
			if (due < r.created) {
				st_time_utc(due, due_s);
				note(k, keybase, "skipped", "its moment %s passed before the RSVP", due_s);
			} else if (r.digested && day_rule(u)) {
				bad = send_day(k, &r, u, deadline, err) < 0;
			} else {
				bad = send_kind(k, &r, "reminder", u->channel, keybase, NULL, deadline,
				    u->eve_minute >= 0 ? "the evening before" : "due before the start",
				    err) < 0;
			}
			rsvp_free(&r);
		}
		if (!bad && rc != SQLITE_DONE)
			bad = st_error_db(err, k->db, "cannot read shifts");
	}
	sqlite3_finalize(st);
	return bad ? -1 : 0;
}

/* The latest digest moment at or before now, in the organization's zone. */
static time_t
digest_slot(const struct st_remind_opts *o)
{
	int d;

	for (d = 0; d < 8; d++) {
		time_t day = o->now - (time_t)d * 86400;
		char s[32], when[40];
		struct tm tm = { 0 };
		time_t t;
		struct st_error err;

		st_time_local(day, o->tz, s);
		tm.tm_year = atoi(s) - 1900;
		tm.tm_mon = atoi(s + 5) - 1;
		tm.tm_mday = atoi(s + 8);
		tm.tm_hour = 12;
		t = timegm(&tm);
		gmtime_r(&t, &tm);
		if (tm.tm_wday != o->digest_dow)
			continue;
		snprintf(when, sizeof(when), "%.10s %02d:%02d", s, o->digest_minute / 60,
		    o->digest_minute % 60);
		if (st_time_parse(when, o->tz, &t, &err) < 0 || t > o->now)
			continue;
		return t;
	}
	return 0;
}

/* The digest to first's contact of their n shifts (ids), listed in list and
 * shortl: by e-mail, else by text; each shift it lists is recorded, so its
 * day-before reminders become one per day (send_day). */
static int
send_digest(struct tick *k, const struct rsvp *first, time_t slot, const long *ids, int n,
    struct st_buf *list, struct st_buf *shortl, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	struct st_buf key = { 0 };
	struct fields f = { 0 };
	const char *channel, *zone = NULL;
	char slot_s[21];
	time_t from = 0;
	int i, rc = 0;

	st_time_utc(slot, slot_s);
	st_buf_printf(&key, "remind:digest:contact=%ld:at=%s", first->contact, slot_s);
	if (n < 2) {
		note(k, key.s, "skipped", "one shift: its own reminders tell of it");
		goto done;
	}
	if (o->mail_from && email_ok(first))
		channel = "email";
	else if (o->sms_from && sms_block(first) == NULL)
		channel = "sms";
	else {
		note(k, key.s, "skipped", "no channel reaches them");
		goto done;
	}
	st_buf_printf(&key, ":ch=%s", channel);
	if ((rc = gate(k, first, channel, key.s, slot + o->grace + 86400, &zone, &from, err)) <= 0)
		goto done;
	field(&f, "first_name", first->first);
	field(&f, "org", o->mail_from_name ? o->mail_from_name : "st");
	field(&f, "shifts", list->s);
	field(&f, "shifts_short", shortl->s);
	rc = send_list(k, first, "digest", channel, &f, key.s, zone, from, "the weekly digest", NULL,
	    0, err);
	for (i = 0; rc == 0 && !o->dry_run && i < n; i++)
		rc = st_db_execf(k->db, err, "INSERT OR IGNORE INTO remind_digested(rsvp_id, "
		    "digest_key) VALUES (?1, ?2)", "it", ids[i], key.s) < 0 ? -1 : 0;
done:
	st_buf_free(&key);
	return rc < 0 ? -1 : 0;
}

static int
digests(struct tick *k, struct st_error *err)
{
	const struct st_remind_opts *o = k->o;
	time_t slot;
	sqlite3_stmt *st;
	char lo[21], hi[21];
	struct st_buf list = { 0 }, shortl = { 0 };
	struct rsvp first = { 0 };
	long *ids = NULL;
	int rc, n = 0, bad = 0;

	if (o->digest_dow < 0 || (slot = digest_slot(o)) == 0 || o->now >= slot + o->grace)
		return 0;
	st_time_utc(o->now, lo);
	st_time_utc(o->now + (time_t)o->digest_days * 86400, hi);
	if ((st = st_db_prepare(k->db, "SELECT " RSVP_COLS RSVP_FROM
	    "WHERE s.starts_at > ?1 AND s.starts_at <= ?2 AND s.status = 'active' "
	    "AND e.status = 'active' AND r.status IN ('yes', 'maybe') "
	    "ORDER BY r.contact_id, s.starts_at, r.id", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	for (;;) {
		struct rsvp r;
		int row = (rc = sqlite3_step(st)) == SQLITE_ROW;

		if (row)
			rsvp_load(st, &r);
		if (n && (!row || r.contact != first.contact)) {
			/* One message to the previous person, every shift in it. */
			bad = send_digest(k, &first, slot, ids, n, &list, &shortl, err) < 0;
			rsvp_free(&first);
			st_buf_reset(&list);
			st_buf_reset(&shortl);
			n = 0;
		}
		if (!row || bad) {
			if (row)
				rsvp_free(&r);
			break;
		}
		shift_line(k, &r, &list, &shortl, n);
		ids = st_xrealloc(ids, (size_t)(n + 1) * sizeof(*ids));
		ids[n++] = r.id;
		if (n == 1)
			first = r;
		else
			rsvp_free(&r);
	}
	sqlite3_finalize(st);
	st_buf_free(&list);
	st_buf_free(&shortl);
	free(ids);
	if (bad)
		return -1;
	if (rc != SQLITE_DONE)
		return st_error_db(err, k->db, "cannot read shifts");
	return 0;
}

int
st_remind_tick(sqlite3 *db, const struct st_remind_opts *o, struct st_remind_stats *s,
    struct st_error *err)
{
	struct tick k = { 0 };
	const char *at = o->mail_from ? strchr(o->mail_from, '@') : NULL;

	memset(s, 0, sizeof(*s));
	k.db = db;
	k.o = o;
	k.s = s;
	k.domain = at && at[1] ? at + 1 : "st.invalid";
	if (st_db_begin(db, err) < 0)
		return -1;
	if (changes(&k, err) < 0 || reminders(&k, err) < 0 || digests(&k, err) < 0) {
		st_db_rollback(db);
		tick_free(&k);
		return -1;
	}
	tick_free(&k);
	if (o->dry_run) {
		st_db_rollback(db);
		return 0;
	}
	return st_db_commit(db, err);
}
