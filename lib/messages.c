/* Conversations in the messages table: blasts and replies into the outbox,
 * incoming messages and statuses, and the shared inbox. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "st/csvin.h"
#include "st/db.h"
#include "st/error.h"
#include "st/event.h"
#include "st/exit.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/outbox.h"
#include "st/query.h"
#include "st/remind.h"
#include "st/text.h"
#include "st/tz.h"
#include "st/util.h"

#define BATCH 2000

/* A recipient's values for a template: the input row's columns, then the
 * contact's, then its extra (imported) fields. */
struct fields {
	const struct st_csvin *in;
	const struct st_csv_row *row;
	sqlite3_stmt *contact;
	json_t *extra;
	int extra_loaded;
	char num[32];
	char missing[64];      /* the first field without a value (a copy: the name is the caller's) */
};

static const char *
field(void *ctx, const char *name)
{
	struct fields *f = ctx;
	const char *const *names = st_csvin_names(f->in);
	size_t i, n = st_csvin_ncols(f->in);
	int c;

	for (i = 0; i < n && i < f->row->n; i++)
		if (strcmp(names[i], name) == 0 && f->row->f[i][0])
			return f->row->f[i];
	for (c = 0; c < sqlite3_column_count(f->contact); c++) {
		if (strcmp(sqlite3_column_name(f->contact, c), name) != 0 ||
		    strcmp(name, "extra") == 0)
			continue;
		if (sqlite3_column_type(f->contact, c) == SQLITE_NULL)
			goto missing;
		return (const char *)sqlite3_column_text(f->contact, c);
	}
	if (!f->extra_loaded) {
		const char *x = NULL;

		for (c = 0; c < sqlite3_column_count(f->contact); c++)
			if (strcmp(sqlite3_column_name(f->contact, c), "extra") == 0)
				x = (const char *)sqlite3_column_text(f->contact, c);
		f->extra = x ? json_loads(x, 0, NULL) : NULL;
		f->extra_loaded = 1;
	}
	{
		json_t *v = json_object_get(f->extra, name);

		if (json_is_string(v))
			return json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(f->num, sizeof(f->num), "%lld", (long long)json_integer_value(v));
			return f->num;
		}
	}
missing:
	if (f->missing[0] == '\0')
		snprintf(f->missing, sizeof(f->missing), "%s", name);
	return NULL;
}

static int
column(const struct st_csvin *in, const char *name)
{
	const char *const *names = st_csvin_names(in);
	size_t i;

	for (i = 0; i < st_csvin_ncols(in); i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* The template for lang: its own, else the default (NULL if there is none). */
static const char *
template_for(const struct st_send_opts *o, const char *lang)
{
	size_t i;

	for (i = 0; lang && o->langs && o->langs[i]; i++)
		if (strcmp(o->langs[i], lang) == 0)
			return o->tmpls[i];
	return o->tmpl;
}

/* The number a contact's thread is on: the last one either side used, if
 * it is still one of ours; else one of ours by contact id. */
static const char *
sender_for(sqlite3 *db, long contact, const char *channel, char **from, struct st_error *err,
    char **owned)
{
	char *last;
	int rc;
	size_t i, n = st_strv_len(from);

	*owned = NULL;
	/* max(id), not ORDER BY: no temporary b-tree per recipient. */
	last = st_db_textf(db, err, &rc, "SELECT CASE direction WHEN 'out' THEN from_addr ELSE "
	    "to_addr END FROM messages WHERE id = (SELECT max(id) FROM messages WHERE contact_id = "
	    "?1 AND channel = ?2)", "it", contact, channel);
	if (last) {
		for (i = 0; i < n; i++)
			if (strcmp(from[i], last) == 0 || (strncmp(last, "whatsapp:", 9) == 0 &&
			    strcmp(from[i], last + 9) == 0))
				break;
		if (i < n) {
			*owned = last;
			return from[i];
		}
		free(last);
	}
	return from[(size_t)contact % n];
}

static void
address(char *out, size_t n, const char *channel, const char *e164)
{
	snprintf(out, n, "%s%s", strcmp(channel, "whatsapp") == 0 &&
	    strncmp(e164, "whatsapp:", 9) != 0 ? "whatsapp:" : "", e164);
}

int
st_text_enqueue(sqlite3 *db, FILE *fp, const char *name, const struct st_send_opts *o,
    struct st_send_report *r, struct st_error *err)
{
	struct st_csv_opts copts = { 0 };
	struct st_csvin *in;
	struct st_csv_row *row;
	struct st_buf body = { 0 }, key = { 0 };
	sqlite3_stmt *contact = NULL;
	char run[64];
	int idcol, phonecol, rc = 0, intx = 0;
	const char *channel = o->channel ? o->channel : "sms";
	const char *status_col = strcmp(channel, "whatsapp") == 0 ? "whatsapp_status" : "sms_status";
	time_t now = time(NULL);

	memset(r, 0, sizeof(*r));
	if (o->from == NULL || o->from[0] == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "no sending number: give --from or set 'from'");
	if ((in = st_csvin_open(fp, name, &copts, err)) == NULL)
		return -1;
	idcol = column(in, "id");
	if (idcol < 0)
		idcol = column(in, "contact_id");
	phonecol = column(in, "phone");
	if (idcol < 0 && phonecol < 0) {
		st_csvin_close(in);
		return st_error_set(err, ST_EXIT_DATA, "%s: no 'id' or 'phone' column", name);
	}
	snprintf(run, sizeof(run), "%ld.%ld", (long)now, (long)getpid());
	contact = st_db_prepare(db, "SELECT c.*, e.extra AS extra FROM contacts c LEFT JOIN "
	    "contact_extra e ON e.contact_id = c.id WHERE c.id = ?1", err);
	if (contact == NULL) {
		st_csvin_close(in);
		return -1;
	}
	while (rc == 0 && (rc = st_csvin_next(in, &row, err)) > 0) {
		struct fields f = { 0 };
		struct st_outbox_item it = { 0 };
		const char *tmpl, *phone, *lang, *from, *zone;
		char *owned = NULL, to[64], fromaddr[64];
		long id = 0, have = 0;
		int ucs2, segs, n;
		long units;
		time_t change;

		rc = 0;
		r->read++;
		if (row->problem != ST_ROW_OK) {
			rc = st_error_set(err, ST_EXIT_DATA, "%s:%ld: %s", name, row->line,
			    row->problem_msg ? row->problem_msg : "bad row");
			break;
		}
		if (idcol >= 0 && (size_t)idcol < row->n && row->f[idcol][0]) {
			if (st_parse_long(row->f[idcol], 1, 0x7fffffffffffL, &id) < 0) {
				rc = st_error_set(err, ST_EXIT_DATA, "%s:%ld: invalid contact id '%s'", name,
				    row->line, row->f[idcol]);
				break;
			}
		} else if (phonecol >= 0 && (size_t)phonecol < row->n) {
			char e164[32];
			const char *ph = row->f[phonecol];

			if (strlen(ph) < 30 && st_phone_normalize(ph, strlen(ph), e164) > 0 &&
			    st_db_scalarf(db, err, &id, "SELECT min(id) FROM contacts WHERE phone = ?1", "t",
			    e164) < 0) {
				rc = -1;
				break;
			}
		}
		sqlite3_reset(contact);
		sqlite3_bind_int64(contact, 1, id);
		if (id <= 0 || sqlite3_step(contact) != SQLITE_ROW) {
			r->no_contact++;
			continue;
		}
		f.in = in;
		f.row = row;
		f.contact = contact;
		phone = field(&f, "phone");
		lang = field(&f, "lang");
		f.missing[0] = '\0';
		/* The contact's own number, not an input column of that name. */
		for (n = 0; n < sqlite3_column_count(contact); n++)
			if (strcmp(sqlite3_column_name(contact, n), "phone") == 0)
				phone = (const char *)sqlite3_column_text(contact, n);
		if (phone == NULL) {
			r->no_phone++;
			goto next;
		}
		/* A bad number, or opted out of the channel: from the contact's own row. */
		for (n = 0; n < sqlite3_column_count(contact); n++) {
			const char *cn = sqlite3_column_name(contact, n);
			const unsigned char *v = sqlite3_column_text(contact, n);

			if (strcmp(cn, "phone_status") == 0 && v)
				have = -1;
			else if (strcmp(cn, status_col) == 0 && v && strcmp((const char *)v, "opted_out") == 0
			    && have == 0)
				have = 1;
		}
		if (have < 0) {
			r->bad_phone++;
			goto next;
		}
		if (have > 0) {
			r->opted_out++;
			goto next;
		}
		st_buf_reset(&key);
		if (o->campaign)
			st_buf_printf(&key, "blast:campaign=%s:contact=%ld", o->campaign, id);
		else
			st_buf_printf(&key, "send:run=%s:contact=%ld", run, id);
		if (strcmp(channel, "sms") != 0)
			st_buf_printf(&key, ":channel=%s", channel);
		if (!o->dry_run) {
			if (st_db_scalarf(db, err, &have, "SELECT count(*) FROM messages WHERE idem_key = ?1",
			    "t", key.s) < 0) {
				rc = -1;
				goto next;
			}
			if (have) {
				r->already++;
				goto next;
			}
		}
		tmpl = template_for(o, lang);
		if (tmpl == NULL) {
			r->missing_field++;
			goto next;
		}
		if (st_template_render(tmpl, field, &f, &body, err) < 0) {
			if (f.missing[0]) {
				/* This recipient lacks a value: skip them, say which field. */
				if (r->missing[0] == '\0')
					snprintf(r->missing, sizeof(r->missing), "%s", f.missing);
				r->missing_field++;
				goto next;
			}
			rc = -1;
			goto next;
		}
		/* A first message must say how to opt out. */
		if (!o->allow_no_optout && !st_text_has_optout(body.s)) {
			if (st_db_scalarf(db, err, &have, "SELECT count(*) FROM messages WHERE contact_id = "
			    "?1 AND direction = 'out' AND channel = ?2 AND status NOT IN ('failed', "
			    "'cancelled')", "it", id, channel) < 0) {
				rc = -1;
				goto next;
			}
			if (have == 0) {
				r->no_optout_wording++;
				goto next;
			}
		}
		r->rendered++;
		segs = st_sms_segments(body.s, &ucs2, &units);
		r->segments += segs;
		if (segs > r->seg_max)
			r->seg_max = segs;
		if (ucs2)
			r->ucs2++;
		else
			r->gsm++;
		from = sender_for(db, id, channel, o->from, err, &owned);
		address(to, sizeof(to), channel, phone);
		address(fromaddr, sizeof(fromaddr), channel, from);
		free(owned);
		zone = st_phone_tz(phone);
		if (zone == NULL)
			zone = o->default_tz;
		it.contact_id = id;
		it.channel = channel;
		it.from = fromaddr;
		it.to = to;
		it.body = body.s;
		it.key = key.s;
		it.campaign = o->campaign;
		it.tz = zone;
		it.segments = segs;
		it.encoding = ucs2 ? "UCS-2" : "GSM-7";
		if (zone && o->quiet_start != o->quiet_end && st_tz_valid(zone) &&
		    !st_tz_window(now, zone, o->quiet_start, o->quiet_end, &change)) {
			it.not_before = change;
			r->deferred++;
		}
		if (o->dry_run) {
			struct st_outmsg m = { 0 };

			m.id = id;
			m.channel = channel;
			m.from = fromaddr;
			m.to = to;
			m.body = body.s;
			m.key = key.s;
			if (st_spool_write(o->dry_run, &m, err) < 0)
				rc = -1;
			else
				r->queued++;
			goto next;
		}
		if (!intx) {
			if (st_db_begin(db, err) < 0) {
				rc = -1;
				goto next;
			}
			intx = 1;
		}
		{
			long mid;
			int q = st_outbox_enqueue(db, &it, &mid, err);

			if (q < 0)
				rc = -1;
			else if (q == 0)
				r->already++;
			else
				r->queued++;
		}
		if (rc == 0 && r->queued % BATCH == 0) {
			intx = 0;
			if (st_db_commit(db, err) < 0)
				rc = -1;
		}
next:
		json_decref(f.extra);
	}
	if (rc > 0)
		rc = 0;
	sqlite3_finalize(contact);
	if (intx) {
		if (rc == 0)
			rc = st_db_commit(db, err);
		else
			st_db_rollback(db);
	}
	st_csvin_close(in);
	st_buf_free(&body);
	st_buf_free(&key);
	return rc;
}

static int
refusal(sqlite3 *db, long contact, const char *channel, struct st_error *err)
{
	char *why;
	int rc;

	why = st_db_textf(db, err, &rc, strcmp(channel, "whatsapp") == 0 ?
	    "SELECT CASE WHEN whatsapp_status = 'opted_out' THEN 'has opted out of whatsapp' WHEN "
	    "phone IS NULL THEN 'has no phone' WHEN phone_status IS NOT NULL THEN 'has a phone that "
	    "is ' || phone_status END FROM contacts WHERE id = ?1" :
	    "SELECT CASE WHEN sms_status = 'opted_out' THEN 'has opted out of sms' WHEN phone IS NULL "
	    "THEN 'has no phone' WHEN phone_status IS NOT NULL THEN 'has a phone that is ' || "
	    "phone_status END FROM contacts WHERE id = ?1", "i", contact);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	if (why) {
		st_error_set(err, ST_EXIT_DATA, "contact %ld %s", contact, why);
		free(why);
		return -1;
	}
	return 0;
}

int
st_text_reply(sqlite3 *db, long contact, const char *channel, char **from, const char *body,
    long *id, struct st_error *err)
{
	struct st_outbox_item it = { 0 };
	char to[64], fromaddr[64], key[128], now[21], *phone, *owned = NULL;
	const char *f;
	int rc;
	struct timespec ts;

	channel = channel ? channel : "sms";
	if (from == NULL || from[0] == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "no sending number: give --from or set 'from'");
	if (body == NULL || *body == '\0')
		return st_error_set(err, ST_EXIT_USAGE, "an empty message");
	if (refusal(db, contact, channel, err) < 0)
		return -1;
	phone = st_db_textf(db, err, &rc, "SELECT phone FROM contacts WHERE id = ?1", "i", contact);
	if (phone == NULL)
		return -1;
	f = sender_for(db, contact, channel, from, err, &owned);
	address(to, sizeof(to), channel, phone);
	address(fromaddr, sizeof(fromaddr), channel, f);
	free(owned);
	free(phone);
	clock_gettime(CLOCK_REALTIME, &ts);
	/* A reply is one act of a person: its own key. */
	snprintf(key, sizeof(key), "reply:contact=%ld:at=%ld.%09ld:pid=%ld", contact, (long)ts.tv_sec,
	    ts.tv_nsec, (long)getpid());
	it.contact_id = contact;
	it.channel = channel;
	it.from = fromaddr;
	it.to = to;
	it.body = body;
	it.key = key;
	if (st_db_begin(db, err) < 0)
		return -1;
	st_now_iso(now);
	if (st_outbox_enqueue(db, &it, id, err) < 0 ||
	    st_db_execf(db, err, "UPDATE messages SET handled_at = ?2, read_at = coalesce(read_at, ?2) "
	    "WHERE contact_id = ?1 AND direction = 'in' AND handled_at IS NULL", "it", contact, now) < 0) {
		st_db_rollback(db);
		return -1;
	}
	return st_db_commit(db, err);
}

static const char *
status_column(const char *channel)
{
	return strcmp(channel, "whatsapp") == 0 ? "whatsapp_status" : strcmp(channel, "email") == 0 ?
	    "email_status" : "sms_status";
}

static int
set_opt(sqlite3 *db, long contact, const char *channel, const char *state, struct st_error *err)
{
	char sql[160], now[21];

	st_now_iso(now);
	snprintf(sql, sizeof(sql), "UPDATE contacts SET %s = ?2, updated_at = ?3 WHERE id = ?1",
	    status_column(channel));
	return st_db_execf(db, err, sql, "itt", contact, state, now) < 0 ? -1 : 0;
}

int
st_text_opt_out(sqlite3 *db, long contact, const char *channel, struct st_error *err)
{
	long n;

	if (st_db_scalarf(db, err, &n, "SELECT count(*) FROM contacts WHERE id = ?1", "i",
	    contact) < 0)
		return -1;
	if (n == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	return set_opt(db, contact, channel ? channel : "sms", "opted_out", err);
}

int
st_text_receive(sqlite3 *db, const struct st_inbound *in, const struct st_receive_opts *ro,
    enum st_keyword *kw, struct st_error *err)
{
	const char *channel = in->channel ? in->channel : "sms";
	const char *num = in->from, *help_reply = ro ? ro->help_reply : NULL, *answer;
	char e164[32], now[21];
	long contact = 0, n, opted = 0;
	enum st_keyword k;
	int answered = 0;

	if (in->from == NULL || in->to == NULL || in->provider_id == NULL)
		return st_error_set(err, ST_EXIT_DATA, "an incoming message needs From, To and its id");
	if (strncmp(num, "whatsapp:", 9) == 0) {
		num = num + 9;
		channel = "whatsapp";
	}
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	if (st_db_scalarf(db, err, &n, "SELECT count(*) FROM messages WHERE provider = ?1 AND "
	    "provider_id = ?2", "tt", in->provider, in->provider_id) < 0)
		goto fail;
	if (n) {
		st_db_rollback(db);
		return 0;
	}
	/* Nothing is dropped: an unknown number becomes a contact. */
	if (strlen(num) < 30 && st_phone_normalize(num, strlen(num), e164) > 0) {
		if (st_db_scalarf(db, err, &contact, "SELECT min(id) FROM contacts WHERE phone = ?1", "t",
		    e164) < 0)
			goto fail;
		if (contact == 0 && st_contact_add(db, NULL, NULL, e164, NULL, channel, &contact, err) < 0)
			goto fail;
	}
	if (st_db_execf(db, err, "INSERT INTO messages(contact_id, direction, channel, from_addr, "
	    "to_addr, body, status, provider, provider_id, created_at, updated_at) VALUES (?1, 'in', "
	    "?2, ?3, ?4, ?5, 'received', ?6, ?7, ?8, ?9)", "Ittttttt" "t", contact, channel, in->from,
	    in->to, in->body ? in->body : "", in->provider, in->provider_id, in->at ? in->at : now,
	    now) < 0)
		goto fail;
	k = st_text_keyword(in->body ? in->body : "");
	answer = st_text_rsvp_answer(in->body ? in->body : "");
	if (contact && answer) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT %s = 'opted_out' FROM contacts WHERE id = ?1",
		    status_column(channel));
		if (st_db_scalarf(db, err, &opted, sql, "i", contact) < 0)
			goto fail;
	}
	/* To someone opted out, YES is START, as carriers have it; else an
	 * answer to a text that asked for one goes to its RSVPs. */
	if (contact && answer && !opted) {
		struct st_inbound with = *in;

		with.channel = channel;
		if ((answered = st_rsvp_text_answer(db, &with, contact, answer, ro ? ro->templates :
		    NULL, in->at ? in->at : now, err)) < 0)
			goto fail;
		if (answered)
			k = ST_KW_NONE;
	}
	if (kw)
		*kw = k;
	if (contact && k == ST_KW_STOP && set_opt(db, contact, channel, "opted_out", err) < 0)
		goto fail;
	if (contact && k == ST_KW_START && set_opt(db, contact, channel, "opted_in", err) < 0)
		goto fail;
	if (k == ST_KW_HELP && help_reply && *help_reply) {
		struct st_outbox_item it = { 0 };
		char key[200];
		long id;

		snprintf(key, sizeof(key), "help:%s:%s", in->provider, in->provider_id);
		it.contact_id = contact;
		it.channel = channel;
		it.from = in->to;
		it.to = in->from;
		it.body = help_reply;
		it.key = key;
		if (st_outbox_enqueue(db, &it, &id, err) < 0)
			goto fail;
	}
	/* A keyword or an answer is handled by the line itself, not a person. */
	if ((k != ST_KW_NONE || answered) && st_db_execf(db, err, "UPDATE messages SET handled_at = ?3 WHERE "
	    "provider = ?1 AND provider_id = ?2", "ttt", in->provider, in->provider_id, now) < 0)
		goto fail;
	if (st_db_commit(db, err) < 0)
		return -1;
	return 1;
fail:
	st_db_rollback(db);
	return -1;
}

/* How far along a status is; a status never goes back. */
static int
rank(const char *s)
{
	static const char *const order[][2] = { { "queued", "0" }, { "sending", "1" },
		{ "unknown", "1" }, { "sent", "2" }, { "delivered", "3" }, { "undelivered", "3" },
		{ "failed", "3" }, { "cancelled", "3" } };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(order[i][0], s) == 0)
			return order[i][1][0] - '0';
	return -1;
}

int
st_text_status(sqlite3 *db, const char *provider, const char *provider_id, const char *status,
    long error_code, const char *error, struct st_error *err)
{
	const char *ours;
	char *cur, now[21];
	long contact = 0;
	int rc;

	if (status == NULL || provider_id == NULL)
		return 0;
	/* Twilio's words: accepted, scheduled, queued, sending and sent all mean it has it. */
	if (strcmp(status, "delivered") == 0 || strcmp(status, "read") == 0)
		ours = "delivered";
	else if (strcmp(status, "undelivered") == 0)
		ours = "undelivered";
	else if (strcmp(status, "failed") == 0)
		ours = "failed";
	else if (strcmp(status, "canceled") == 0)
		ours = "cancelled";
	else if (strcmp(status, "received") == 0 || strcmp(status, "receiving") == 0)
		return 0;
	else
		ours = "sent";
	cur = st_db_textf(db, err, &rc, "SELECT status FROM messages WHERE provider = ?1 AND "
	    "provider_id = ?2 AND direction = 'out'", "tt", provider, provider_id);
	if (rc <= 0 || cur == NULL)
		return rc < 0 ? -1 : 0;
	rc = rank(ours) > rank(cur) || (strcmp(ours, cur) == 0 && strcmp(status, "read") == 0);
	free(cur);
	if (!rc)
		return 0;
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	if (st_db_execf(db, err, "UPDATE messages SET status = ?3, provider_status = ?4, error_code = "
	    "?5, error = coalesce(?6, error), updated_at = ?7 WHERE provider = ?1 AND provider_id = ?2",
	    "ttttItt", provider, provider_id, ours, status, error_code, error, now) < 0 ||
	    st_db_scalarf(db, err, &contact, "SELECT contact_id FROM messages WHERE provider = ?1 AND "
	    "provider_id = ?2", "tt", provider, provider_id) < 0)
		goto fail;
	if (contact && (error_code == 30005 || error_code == 30006) && st_db_execf(db, err,
	    "UPDATE contacts SET phone_status = ?2, updated_at = ?3 WHERE id = ?1", "itt", contact,
	    error_code == 30006 ? "landline" : "invalid", now) < 0)
		goto fail;
	if (contact && error_code == 21610) {
		char *ch = st_db_textf(db, err, &rc, "SELECT channel FROM messages WHERE provider = ?1 "
		    "AND provider_id = ?2", "tt", provider, provider_id);

		if (rc < 0 || set_opt(db, contact, ch ? ch : "sms", "opted_out", err) < 0) {
			free(ch);
			goto fail;
		}
		free(ch);
	}
	if (st_db_commit(db, err) < 0)
		return -1;
	return 1;
fail:
	st_db_rollback(db);
	return -1;
}

int
st_inbox_list(sqlite3 *db, struct st_out *out, long *nrows, struct st_error *err)
{
	return st_query_sql(db,
	    "WITH t AS (SELECT contact_id, max(id) AS last_id, "
	    "sum(direction = 'in' AND read_at IS NULL) AS unread, "
	    "sum(direction = 'in' AND handled_at IS NULL) AS open, "
	    "max(CASE WHEN direction = 'in' AND handled_at IS NULL THEN created_at END) AS waiting_since, "
	    "max(created_at) AS last_at, count(*) AS messages FROM messages WHERE contact_id IS NOT NULL "
	    "GROUP BY contact_id HAVING sum(direction = 'in') > 0) "
	    "SELECT c.id AS contact, c.first_name, c.last_name, c.phone, t.unread, t.open AS unanswered, "
	    "t.messages, t.last_at, m.direction AS last_direction, m.body AS last_body, "
	    "c.sms_status, c.organizer_id AS organizer, (SELECT group_concat(tg.name, ',') FROM "
	    "contact_tags ct JOIN tags tg ON tg.id = ct.tag_id WHERE ct.contact_id = c.id) AS tags "
	    "FROM t JOIN contacts c ON c.id = t.contact_id JOIN messages m ON m.id = t.last_id "
	    "ORDER BY t.open > 0 DESC, t.waiting_since DESC, t.last_at DESC, c.id",
	    NULL, 0, out, nrows, err);
}

int
st_inbox_thread(sqlite3 *db, long contact, struct st_out *out, long *nrows, struct st_error *err)
{
	char id[32], now[21];

	snprintf(id, sizeof(id), "%ld", contact);
	if (refusal(db, contact, "sms", err) < 0 && strncmp(err->msg, "no contact", 10) == 0)
		return -1;
	{
		const char *p[] = { id };

		if (st_query_sql(db, "SELECT id, created_at AS at, direction, channel, CASE direction WHEN "
		    "'in' THEN from_addr ELSE to_addr END AS number, status, body FROM messages WHERE "
		    "contact_id = ?1 ORDER BY created_at, id", p, 1, out, nrows, err) < 0)
			return -1;
	}
	st_now_iso(now);
	return st_db_execf(db, err, "UPDATE messages SET read_at = ?2 WHERE contact_id = ?1 AND "
	    "direction = 'in' AND read_at IS NULL", "it", contact, now) < 0 ? -1 : 0;
}

int
st_inbox_done(sqlite3 *db, long contact, struct st_error *err)
{
	char now[21];

	st_now_iso(now);
	return st_db_execf(db, err, "UPDATE messages SET handled_at = ?2, read_at = coalesce(read_at, "
	    "?2) WHERE contact_id = ?1 AND direction = 'in' AND handled_at IS NULL", "it", contact,
	    now) < 0 ? -1 : 0;
}

int
st_inbox_tag(sqlite3 *db, long contact, const char *tag, struct st_error *err)
{
	char now[21];
	long n;

	if (tag == NULL || *tag == '\0' || strlen(tag) > 100)
		return st_error_set(err, ST_EXIT_USAGE, "invalid tag '%s'", tag ? tag : "");
	if (st_db_scalarf(db, err, &n, "SELECT count(*) FROM contacts WHERE id = ?1", "i", contact) < 0)
		return -1;
	if (n == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	st_now_iso(now);
	if (st_db_begin(db, err) < 0)
		return -1;
	if (st_db_execf(db, err, "INSERT INTO tags(name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
	    "t", tag) < 0 || st_db_execf(db, err, "INSERT INTO contact_tags(contact_id, tag_id, "
	    "created_at) SELECT ?1, id, ?3 FROM tags WHERE name = ?2 ON CONFLICT DO NOTHING", "itt",
	    contact, tag, now) < 0) {
		st_db_rollback(db);
		return -1;
	}
	return st_db_commit(db, err);
}
