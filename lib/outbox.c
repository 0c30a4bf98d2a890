/* The outbox: queue, claim with a lease, throttle, deliver, record, reconcile.
 *
 * A row's life: queued -> sending (claimed: claimed_by, lease_until) -> sent,
 * or back to queued (retryable failure, with backoff), or failed (permanent),
 * or unknown (the request may have reached the provider) -> reconciled with
 * the provider's list -> sent, or queued again. Every change is a
 * compare-and-set on the row's state, so two senders never hold one row. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/outbox.h"
#include "st/text.h"
#include "st/tz.h"
#include "st/util.h"

#define CLAIM_BATCH 256
#define HORIZON 1.0         /* seconds of throttle slots claimed ahead */
#define RECONCILE_SLACK 300 /* seconds before a claim that a provider's record may carry */

unsigned
st_channel_bit(const char *name)
{
	if (name == NULL || strcmp(name, "sms") == 0)
		return ST_CH_SMS;
	if (strcmp(name, "whatsapp") == 0)
		return ST_CH_WHATSAPP;
	if (strcmp(name, "email") == 0)
		return ST_CH_EMAIL;
	return 0;
}

static double
now_f(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void
iso(time_t t, char out[21])
{
	st_time_utc(t, out);
}

int
st_outbox_enqueue(sqlite3 *db, const struct st_outbox_item *it, long *id, struct st_error *err)
{
	const char *channel = it->channel ? it->channel : "sms", *encoding = it->encoding;
	char now[21], nb[21];
	long n, segments = it->segments;

	if (it->key == NULL || *it->key == '\0')
		return st_error_set(err, ST_EXIT_FAIL, "a message needs an idempotency key");
	if (st_channel_bit(it->channel) == 0)
		return st_error_set(err, ST_EXIT_USAGE, "unknown channel '%s'", it->channel);
	/* A text's segments and encoding, for the record, unless the caller has them. */
	if (segments == 0 && strcmp(channel, "email") != 0 && it->body) {
		int ucs2;
		long units;

		segments = st_sms_segments(it->body, &ucs2, &units);
		encoding = ucs2 ? "UCS-2" : "GSM-7";
	}
	st_now_iso(now);
	iso(it->not_before ? it->not_before : time(NULL), nb);
	n = st_db_execf(db, err, "INSERT INTO messages(contact_id, direction, channel, idem_key, "
	    "campaign, from_addr, to_addr, subject, body, status, not_before, tz, segments, encoding, "
	    "created_at, updated_at) VALUES (?1, 'out', ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, "
	    "?10, ?11, ?12, ?13, ?13) ON CONFLICT(idem_key) DO NOTHING", "Ittttttttt" "Itt",
	    it->contact_id, channel, it->key, it->campaign, it->from, it->to, it->subject, it->body,
	    nb, it->tz, segments, encoding, now);
	if (n < 0)
		return -1;
	if (n == 1) {
		*id = (long)sqlite3_last_insert_rowid(db);
		return 1;
	}
	if (st_db_scalarf(db, err, id, "SELECT id FROM messages WHERE idem_key = ?1", "t",
	    it->key) < 0)
		return -1;
	return 0;
}

/* Who holds a claim: host, pid and the process's start time, so that a
 * recycled pid is not taken for the sender that died. */
static unsigned long long
proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *fp;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* Field 22, counted after the command name, which may hold spaces. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%llu", &start);
	return start;
}

static void
identity(char *out, size_t n)
{
	char host[128] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, n, "%s:%ld:%llu", host, (long)getpid(), proc_start((long)getpid()));
}

/* 1 if the sender that holds a claim is certainly gone (this host, and no
 * process with its pid and start time). */
static int
holder_dead(const char *by)
{
	char host[128] = "", h[128];
	long pid;
	unsigned long long start;

	if (by == NULL)
		return 1;
	gethostname(host, sizeof(host) - 1);
	if (sscanf(by, "%127[^:]:%ld:%llu", h, &pid, &start) != 3 || strcmp(h, host) != 0)
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	return proc_start(pid) != start;
}

/* A claimed row, kept until its delivery is recorded. */
struct item {
	long id, contact;
	int attempts;
	double slot;        /* when it may go (throttle) */
	char *channel, *from, *to, *subject, *body, *key, *tz;
};

static void
item_free(struct item *it)
{
	free(it->channel);
	free(it->from);
	free(it->to);
	free(it->subject);
	free(it->body);
	free(it->key);
	free(it->tz);
	free(it);
}

static char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? st_xstrdup((const char *)s) : NULL;
}

static struct item *
item_from(sqlite3_stmt *st)
{
	struct item *it = st_xcalloc(1, sizeof(*it));

	it->id = (long)sqlite3_column_int64(st, 0);
	it->channel = col(st, 1);
	it->from = col(st, 2);
	it->to = col(st, 3);
	it->subject = col(st, 4);
	it->body = col(st, 5);
	it->key = col(st, 6);
	it->attempts = sqlite3_column_int(st, 7);
	it->tz = col(st, 8);
	it->contact = (long)sqlite3_column_int64(st, 9);
	return it;
}

static void
outmsg(const struct item *it, struct st_outmsg *m)
{
	m->id = it->id;
	m->channel = it->channel;
	m->from = it->from;
	m->to = it->to;
	m->subject = it->subject;
	m->body = it->body;
	m->key = it->key;
	m->attempt = it->attempts;
}

/* Claimed items by id: open addressing, for the deliveries the transport reports. */
struct table {
	struct item **slot;
	size_t cap, n;
};

static void
table_put(struct table *t, struct item *it)
{
	size_t i;

	if ((t->n + 1) * 2 > t->cap) {
		struct table bigger = { st_xcalloc(t->cap ? t->cap * 2 : 1024, sizeof(struct item *)),
			t->cap ? t->cap * 2 : 1024, 0 };

		for (i = 0; i < t->cap; i++)
			if (t->slot[i])
				table_put(&bigger, t->slot[i]);
		free(t->slot);
		*t = bigger;
	}
	for (i = (size_t)it->id & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = it;
	t->n++;
}

static struct item *
table_take(struct table *t, long id)
{
	size_t i, j, k;
	struct item *it;

	if (t->cap == 0)
		return NULL;
	for (i = (size_t)id & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		if (t->slot[i]->id == id)
			break;
	if ((it = t->slot[i]) == NULL)
		return NULL;
	t->slot[i] = NULL;
	t->n--;
	/* Re-place the rest of the cluster so lookups still find them. */
	for (j = (i + 1) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		struct item *m = t->slot[j];

		t->slot[j] = NULL;
		for (k = (size_t)m->id & (t->cap - 1); t->slot[k]; k = (k + 1) & (t->cap - 1))
			;
		t->slot[k] = m;
	}
	return it;
}

struct run {
	sqlite3 *db;
	struct st_transport *t;
	const struct st_outbox_opts *o;
	struct st_outbox_stats *s;
	char me[200];
	int lease, grace, max_attempts;
	struct table claimed;       /* submitted, not yet recorded */
	struct item **pending;      /* claimed, waiting for their slot, in slot order */
	size_t npending, cappending, firstpending;
	struct st_delivery *done;   /* delivered, not yet recorded */
	size_t ndone, capdone;
	int temp_failure;
	char temp_msg[256];
	int fatal;
	char fatal_msg[256];
};

static int
quiet_ok(struct run *r, const char *zone, time_t now, time_t *next)
{
	if (!r->o->quiet_applies || zone == NULL || r->o->quiet_start == r->o->quiet_end ||
	    !st_tz_valid(zone))
		return 1;
	return st_tz_window(now, zone, r->o->quiet_start, r->o->quiet_end, next);
}

static const char *
status_column(const char *channel)
{
	return strcmp(channel, "whatsapp") == 0 ? "whatsapp_status" :
	    strcmp(channel, "email") == 0 ? "email_status" : "sms_status";
}

static const char *const reasons[] = { "opted out of sms", "opted out of whatsapp",
	"opted out of email", "phone invalid", "phone landline", "phone not usable" };

/* Why the contact must not get it now (*why, NULL if nothing stands in the
 * way): opted out of the channel, or a bad number. -1 on a database error. */
static int
refusal(struct run *r, const struct item *it, const char **why, struct st_error *err)
{
	size_t i;
	char *v;
	int rc;

	*why = NULL;
	if (it->contact <= 0)
		return 0;
	v = st_db_textf(r->db, err, &rc, strcmp(it->channel, "whatsapp") == 0 ?
	    "SELECT CASE WHEN whatsapp_status = 'opted_out' THEN 'opted out of whatsapp' "
	    "WHEN phone_status IS NOT NULL THEN 'phone ' || phone_status END FROM contacts WHERE id = ?1" :
	    strcmp(it->channel, "email") == 0 ?
	    "SELECT CASE WHEN email_status = 'opted_out' THEN 'opted out of email' END FROM contacts "
	    "WHERE id = ?1" :
	    "SELECT CASE WHEN sms_status = 'opted_out' THEN 'opted out of sms' "
	    "WHEN phone_status IS NOT NULL THEN 'phone ' || phone_status END FROM contacts WHERE id = ?1",
	    "i", it->contact);
	if (rc < 0)
		return -1;
	/* A constant string for the caller, one of the possible reasons; a phone
	 * state set some other way still stops the message. */
	for (i = 0; v && *why == NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(v, reasons[i]) == 0 || i + 1 == sizeof(reasons) / sizeof(reasons[0]))
			*why = reasons[i];
	free(v);
	return 0;
}

static void
pending_push(struct run *r, struct item *it)
{
	if (r->npending == r->cappending) {
		r->cappending = r->cappending ? r->cappending * 2 : 512;
		r->pending = st_xrealloc(r->pending, r->cappending * sizeof(*r->pending));
	}
	r->pending[r->npending++] = it;
}

static int
by_slot(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;

	return x->slot < y->slot ? -1 : x->slot > y->slot ? 1 : (x->id > y->id) - (x->id < y->id);
}

/* Put a claimed row back as it was (not tried): quiet hours, or a stop. */
static int
release(struct run *r, const struct item *it, time_t not_before, struct st_error *err)
{
	char nb[21], now[21];

	iso(not_before, nb);
	st_now_iso(now);
	return st_db_execf(r->db, err, "UPDATE messages SET status = 'queued', not_before = ?2, "
	    "attempts = attempts - 1, claimed_by = NULL, claimed_at = NULL, lease_until = NULL, "
	    "updated_at = ?3 WHERE id = ?1 AND status = 'sending' AND claimed_by = ?4", "ittt",
	    it->id, nb, now, r->me) < 0 ? -1 : 0;
}

#define CLAIM_COLS "id, channel, from_addr, to_addr, subject, body, idem_key, attempts, tz, contact_id"
#define CHANNEL_OK "(?5 & CASE channel WHEN 'sms' THEN 1 WHEN 'whatsapp' THEN 2 ELSE 4 END) != 0"

/* Claim up to limit due rows (from addr only, if not NULL) into got, the
 * first at slot and each next gap later. Returns how many, or -1 and err. */
static long
take(struct run *r, const char *now, const char *lease, const char *addr, long limit,
    double slot, double gap, struct item ***got, size_t *ngot, size_t *cap, struct st_error *err)
{
	sqlite3_stmt *q;
	long k = 0;
	int rc;

	q = st_db_prepare(r->db, "UPDATE messages SET status = 'sending', claimed_by = ?1, "
	    "claimed_at = ?2, lease_until = ?3, attempts = attempts + 1, updated_at = ?2 "
	    "WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND not_before <= ?2 "
	    "AND " CHANNEL_OK " AND (?6 = 0 OR id = ?6) AND (?7 IS NULL OR from_addr = ?7) "
	    "ORDER BY not_before, id LIMIT ?4) RETURNING " CLAIM_COLS, err);
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->me, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, lease, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, limit);
	sqlite3_bind_int(q, 5, (int)r->t->channels);
	sqlite3_bind_int64(q, 6, r->o->only_id);
	if (addr)
		sqlite3_bind_text(q, 7, addr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*ngot == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*got = st_xrealloc(*got, *cap * sizeof(**got));
		}
		(*got)[*ngot] = item_from(q);
		(*got)[(*ngot)++]->slot = slot + (double)k++ * gap;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return st_error_db(err, r->db, "cannot claim messages");
	return k;
}

/* Claim due rows into r->pending: all at once without a rate, else as many
 * per sending address as fit its throttle slots within the horizon. Checks
 * each for opt-outs and quiet hours. Returns how many were claimed, or -1. */
static long
claim(struct run *r, long want, struct st_error *err)
{
	char now[21], lease[21];
	double t = now_f();
	time_t tnow = (time_t)t;
	struct item **got = NULL;
	size_t ngot = 0, cap = 0, i;
	long n = 0;
	int rc;

	iso(tnow, now);
	iso(tnow + r->lease, lease);
	if (st_db_begin(r->db, err) < 0)
		return -1;
	if (r->o->rate <= 0) {
		if (take(r, now, lease, NULL, want, t, 0, &got, &ngot, &cap, err) < 0)
			goto fail;
	} else {
		/* Per sending address: reserve its next slots in the senders table, which
		 * every sender shares, so that the rate holds however many run. */
		sqlite3_stmt *addrs = st_db_prepare(r->db, "SELECT DISTINCT from_addr FROM messages "
		    "WHERE status = 'queued' AND not_before <= ?1 AND " CHANNEL_OK " AND (?6 = 0 OR "
		    "id = ?6)", err);
		char **names = NULL;
		size_t nnames = 0, a;

		if (addrs == NULL)
			goto fail;
		sqlite3_bind_text(addrs, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_int(addrs, 5, (int)r->t->channels);
		sqlite3_bind_int64(addrs, 6, r->o->only_id);
		while ((rc = sqlite3_step(addrs)) == SQLITE_ROW) {
			names = st_xrealloc(names, (nnames + 2) * sizeof(*names));
			names[nnames++] = col(addrs, 0);
			names[nnames] = NULL;
		}
		sqlite3_finalize(addrs);
		if (rc != SQLITE_DONE) {
			st_strv_free(names);
			st_error_db(err, r->db, "cannot claim messages");
			goto fail;
		}
		for (a = 0; a < nnames; a++) {
			const char *addr = names[a];
			double next = 0, gap = 1.0 / r->o->rate, slot;
			long k = 0, slots;
			sqlite3_stmt *q;

			if (st_db_execf(r->db, err, "INSERT INTO senders(addr) VALUES (?1) ON CONFLICT "
			    "DO NOTHING", "t", addr) < 0)
				break;
			q = st_db_prepare(r->db, "SELECT next_at FROM senders WHERE addr = ?1", err);
			if (q == NULL)
				break;
			sqlite3_bind_text(q, 1, addr, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW)
				next = sqlite3_column_double(q, 0);
			sqlite3_finalize(q);
			slot = next > t ? next : t;
			slots = (long)floor((t + HORIZON - slot) / gap) + 1;
			if (slots <= 0)
				continue;
			if (slots > want)
				slots = want;
			if ((k = take(r, now, lease, addr, slots, slot, gap, &got, &ngot, &cap, err)) < 0)
				break;
			if (k > 0 && st_db_execf(r->db, err, "UPDATE senders SET next_at = ?2 WHERE "
			    "addr = ?1", "td", addr, slot + (double)k * gap) < 0)
				break;
		}
		st_strv_free(names);
		if (a < nnames)
			goto fail;
	}
	/* Refuse or defer what must not go now; the rest wait for their slot. */
	for (i = 0; i < ngot; i++) {
		struct item *it = got[i];
		const char *why;
		time_t next;

		if (refusal(r, it, &why, err) < 0)
			goto fail;
		if (why) {
			if (st_db_execf(r->db, err, "UPDATE messages SET status = 'cancelled', error = ?2, "
			    "claimed_by = NULL, lease_until = NULL, updated_at = ?3 WHERE id = ?1", "itt",
			    it->id, why, now) < 0)
				goto fail;
			r->s->cancelled++;
			item_free(it);
		} else if (!quiet_ok(r, it->tz, tnow, &next)) {
			if (release(r, it, next, err) < 0)
				goto fail;
			r->s->deferred++;
			item_free(it);
		} else {
			pending_push(r, it);
			n++;
		}
		got[i] = NULL;
	}
	free(got);
	if (st_db_commit(r->db, err) < 0) {
		/* The claims are gone with the transaction: forget them. */
		for (i = r->npending - (size_t)n; i < r->npending; i++)
			item_free(r->pending[i]);
		r->npending -= (size_t)n;
		return -1;
	}
	if (r->o->rate > 0 && r->npending - r->firstpending > 1)
		qsort(r->pending + r->firstpending, r->npending - r->firstpending,
		    sizeof(*r->pending), by_slot);
	return n;
fail:
	for (i = 0; i < ngot; i++)
		if (got[i])
			item_free(got[i]);
	free(got);
	/* Claims pushed to pending in this transaction are rolled back with it. */
	for (i = r->npending - (size_t)n; i < r->npending; i++)
		item_free(r->pending[i]);
	r->npending -= (size_t)n;
	st_db_rollback(r->db);
	return -1;
}

/* Backoff before try number attempt + 1: 1, 2, 4 ... 64 s, jittered by
 * -50%..+50%, or what the provider asked if that is longer. */
static double
backoff(int attempt, double retry_after)
{
	double b = ldexp(1.0, attempt > 7 ? 6 : attempt - 1);

	b *= 0.5 + (double)random() / RAND_MAX;
	return retry_after > b ? retry_after : b;
}

static int
mark_contact(struct run *r, const struct item *it, enum st_reject_reason why, struct st_error *err)
{
	char now[21];
	char sql[200];

	if (it->contact <= 0 || why == ST_REJ_OTHER)
		return 0;
	st_now_iso(now);
	if (why == ST_REJ_OPTED_OUT) {
		snprintf(sql, sizeof(sql), "UPDATE contacts SET %s = 'opted_out', updated_at = ?2 "
		    "WHERE id = ?1", status_column(it->channel));
		return st_db_execf(r->db, err, sql, "it", it->contact, now) < 0 ? -1 : 0;
	}
	return st_db_execf(r->db, err, "UPDATE contacts SET phone_status = ?2, updated_at = ?3 WHERE "
	    "id = ?1", "itt", it->contact, why == ST_REJ_LANDLINE ? "landline" : "invalid", now) < 0 ?
	    -1 : 0;
}

/* Record one delivery of item it, in the caller's transaction. */
static int
record(struct run *r, const struct item *it, const struct st_delivery *d, struct st_error *err)
{
	char now[21], nb[21];
	time_t t = time(NULL);

	st_now_iso(now);
	switch (d->kind) {
	case ST_DLV_SENT:
		r->s->sent++;
		return st_db_execf(r->db, err, "UPDATE messages SET status = 'sent', provider = ?2, "
		    "provider_id = ?3, provider_status = ?4, sent_at = ?5, updated_at = ?5, claimed_by = "
		    "NULL, lease_until = NULL, error = NULL, error_code = NULL WHERE id = ?1 AND status IN "
		    "('sending', 'unknown')", "ittttt", it->id, r->t->name, d->provider_id,
		    d->status[0] ? d->status : NULL, now) < 0 ? -1 : 0;
	case ST_DLV_RETRY:
		if (d->fatal) {
			/* Not the message's fault: it goes back as it was, and the run stops. */
			if (!r->fatal)
				snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s", d->error);
			r->fatal = 1;
			return release(r, it, t, err);
		}
		/* No answer at all (no connection) is an outage, not the message's fault. */
		if (it->attempts >= r->max_attempts && d->error_code != 0) {
			r->s->failed++;
			return st_db_execf(r->db, err, "UPDATE messages SET status = 'failed', error_code = "
			    "?2, error = ?3, claimed_by = NULL, lease_until = NULL, updated_at = ?4 WHERE id = "
			    "?1 AND status = 'sending'", "iItt", it->id, (long)d->error_code, d->error,
			    now) < 0 ? -1 : 0;
		}
		r->s->retried++;
		iso((time_t)ceil(now_f() + backoff(it->attempts, d->retry_after)), nb);
		return st_db_execf(r->db, err, "UPDATE messages SET status = 'queued', not_before = ?2, "
		    "error_code = ?3, error = ?4, claimed_by = NULL, claimed_at = NULL, lease_until = NULL, "
		    "updated_at = ?5 WHERE id = ?1 AND status = 'sending'", "itItt", it->id, nb,
		    (long)d->error_code, d->error, now) < 0 ? -1 : 0;
	case ST_DLV_UNKNOWN:
		/* Ask the provider before sending again, once it has had time to finish. */
		iso(t + 2, nb);
		return st_db_execf(r->db, err, "UPDATE messages SET status = 'unknown', not_before = ?2, "
		    "error_code = ?3, error = ?4, claimed_by = NULL, lease_until = NULL, updated_at = ?5 "
		    "WHERE id = ?1 AND status = 'sending'", "itItt", it->id, nb, (long)d->error_code,
		    d->error, now) < 0 ? -1 : 0;
	case ST_DLV_REJECTED:
		r->s->failed++;
		if (d->reason == ST_REJ_OPTED_OUT)
			r->s->opted_out++;
		else if (d->reason != ST_REJ_OTHER)
			r->s->bad_address++;
		if (st_db_execf(r->db, err, "UPDATE messages SET status = 'failed', provider = ?2, "
		    "error_code = ?3, error = ?4, claimed_by = NULL, lease_until = NULL, updated_at = ?5 "
		    "WHERE id = ?1 AND status = 'sending'", "itItt", it->id, r->t->name,
		    (long)d->error_code, d->error, now) < 0)
			return -1;
		return mark_contact(r, it, d->reason, err);
	}
	return 0;
}

static int
flush(struct run *r, struct st_error *err)
{
	size_t i;
	int rc = 0;

	if (r->ndone == 0)
		return 0;
	if (st_db_begin(r->db, err) < 0)
		return -1;
	for (i = 0; i < r->ndone && rc == 0; i++) {
		struct item *it = table_take(&r->claimed, r->done[i].id);

		if (it == NULL)
			continue;
		rc = record(r, it, &r->done[i], err);
		item_free(it);
	}
	if (rc < 0) {
		st_db_rollback(r->db);
		return -1;
	}
	r->ndone = 0;
	return st_db_commit(r->db, err);
}

/* Reconcile rows left in flight: unknown ones that are due, and claims of
 * senders that are gone (dead on this host past the grace, or whose lease
 * ran out). Each is first taken over (compare-and-set), then looked up at the
 * provider: found, it is sent; not found, it is queued again. */
static int
reconcile(struct run *r, struct st_error *err)
{
	char now[21], lease[21], grace[21];
	time_t t = time(NULL);
	sqlite3_stmt *st;
	struct item **cand = NULL;
	char **claimed_at = NULL, **was = NULL, **was_by = NULL;
	size_t n = 0, cap = 0, i, k;
	int rc;

	iso(t, now);
	iso(t + r->lease, lease);
	iso(t - (r->grace < 0 ? r->lease : r->grace), grace);
	st = st_db_prepare(r->db, "SELECT " CLAIM_COLS ", status, claimed_by, claimed_at, "
	    "lease_until FROM messages WHERE ((status = 'unknown' AND not_before <= ?1) OR (status = "
	    "'sending' AND (claimed_by IS NOT ?2 OR lease_until < ?1))) AND " CHANNEL_OK " AND "
	    "(?6 = 0 OR id = ?6) ORDER BY id LIMIT 1000", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->me, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, (int)r->t->channels);
	sqlite3_bind_int64(st, 6, r->o->only_id);
	/* Read the candidates first, then take each over: no writes under a read. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 10);
		const char *by = (const char *)sqlite3_column_text(st, 11);
		const char *at = (const char *)sqlite3_column_text(st, 12);
		const char *until = (const char *)sqlite3_column_text(st, 13);

		/* A live sender's claim is its own until the lease ends. */
		if (strcmp(status, "sending") == 0 && until && strcmp(until, now) >= 0 &&
		    !(holder_dead(by) && at && strcmp(at, grace) <= 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			cand = st_xrealloc(cand, cap * sizeof(*cand));
			claimed_at = st_xrealloc(claimed_at, cap * sizeof(*claimed_at));
			was = st_xrealloc(was, cap * sizeof(*was));
			was_by = st_xrealloc(was_by, cap * sizeof(*was_by));
		}
		claimed_at[n] = st_xstrdup(at ? at : now);
		was[n] = st_xstrdup(status);
		was_by[n] = by ? st_xstrdup(by) : NULL;
		cand[n++] = item_from(st);
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? 0 : st_error_db(err, r->db, "cannot read messages in flight");
	/* Take each over; the ones another sender took meanwhile are dropped. */
	for (i = 0, k = 0; i < n; i++) {
		long changed = rc < 0 ? 0 : st_db_execf(r->db, err, "UPDATE messages SET status = "
		    "'sending', claimed_by = ?2, lease_until = ?3, updated_at = ?4 WHERE id = ?1 AND "
		    "status = ?5 AND claimed_by IS ?6 AND attempts = ?7", "ittttti", cand[i]->id,
		    r->me, lease, now, was[i], was_by[i], (long)cand[i]->attempts);

		free(was[i]);
		free(was_by[i]);
		if (changed < 0)
			rc = -1;
		if (changed == 1) {
			cand[k] = cand[i];
			claimed_at[k++] = claimed_at[i];
		} else {
			item_free(cand[i]);
			free(claimed_at[i]);
		}
	}
	free(was);
	free(was_by);
	n = k;
	for (i = 0; i < n; i++) {
		struct st_outmsg m;
		struct st_delivery d;
		struct st_error ferr = { 0 };
		time_t since = t;
		int found;

		if (rc < 0)
			goto requeue_unknown;
		outmsg(cand[i], &m);
		st_time_from_utc(claimed_at[i], &since);
		memset(&d, 0, sizeof(d));
		found = r->t->find(r->t, &m, since - RECONCILE_SLACK, &d, &ferr);
		st_now_iso(now);
		if (found > 0) {
			r->s->reconciled++;
			d.id = cand[i]->id;
			d.kind = ST_DLV_SENT;
			if (record(r, cand[i], &d, err) < 0)
				rc = -1;
		} else if (found == 0) {
			r->s->requeued++;
			if (st_db_execf(r->db, err, "UPDATE messages SET status = 'queued', not_before = ?2, "
			    "claimed_by = NULL, claimed_at = NULL, lease_until = NULL, updated_at = ?2 WHERE "
			    "id = ?1 AND claimed_by = ?3", "itt", cand[i]->id, now, r->me) < 0)
				rc = -1;
		} else {
			r->temp_failure = 1;
			snprintf(r->temp_msg, sizeof(r->temp_msg), "%.200s", ferr.msg);
		requeue_unknown:
			/* Cannot tell now: it stays unknown, to be asked again later. */
			{
				char nb[21];

				iso(time(NULL) + 5, nb);
				st_db_execf(r->db, err, "UPDATE messages SET status = 'unknown', not_before = "
				    "?2, claimed_by = NULL, lease_until = NULL WHERE id = ?1 AND claimed_by = ?3",
				    "itt", cand[i]->id, nb, r->me);
			}
		}
		item_free(cand[i]);
		free(claimed_at[i]);
	}
	free(cand);
	free(claimed_at);
	return rc;
}

static void
sleep_f(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* Seconds until the next row is due (queued or unknown), or -1 if none. */
static int
next_due(struct run *r, double *in, struct st_error *err)
{
	char *v;
	int rc;
	time_t due;

	v = st_db_textf(r->db, err, &rc, "SELECT min(not_before) FROM messages WHERE status IN "
	    "('queued', 'unknown') AND (?1 & CASE channel WHEN 'sms' THEN 1 WHEN 'whatsapp' THEN 2 "
	    "ELSE 4 END) != 0 AND (?2 = 0 OR id = ?2)", "ii", (long)r->t->channels, r->o->only_id);
	if (rc < 0)
		return -1;
	if (v == NULL || st_time_from_utc(v, &due) < 0) {
		free(v);
		*in = -1;
		return 0;
	}
	free(v);
	*in = (double)due - now_f();
	if (*in < 0)
		*in = 0;
	return 0;
}

static void
finish_stats(struct run *r)
{
	struct st_error e = { 0 };
	long n = 0;

	if (st_db_scalarf(r->db, &e, &n, "SELECT count(*) FROM messages WHERE status = 'queued' "
	    "AND (?1 = 0 OR id = ?1)", "i", r->o->only_id) > 0)
		r->s->waiting = n;
	n = 0;
	/* Another sender's claims are its own business. */
	if (st_db_scalarf(r->db, &e, &n, "SELECT count(*) FROM messages WHERE (status = 'unknown' OR "
	    "(status = 'sending' AND claimed_by = ?2)) AND (?1 = 0 OR id = ?1)", "it", r->o->only_id,
	    r->me) > 0)
		r->s->unresolved = n;
}

int
st_outbox_run(sqlite3 *db, struct st_transport *t, const struct st_outbox_opts *o,
    struct st_outbox_stats *s, struct st_error *err)
{
	struct run r;
	int rc = 0, max_wait = o->max_wait > 0 ? o->max_wait : 0;
	double last_flush = now_f(), last_reconcile = 0;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(s, 0, sizeof(*s));
	r.db = db;
	r.t = t;
	r.o = o;
	r.s = s;
	r.lease = o->lease > 0 ? o->lease : 120;
	r.grace = o->grace ? o->grace : 2;
	r.max_attempts = o->max_attempts > 0 ? o->max_attempts : 6;
	identity(r.me, sizeof(r.me));
	srandom((unsigned)(getpid() ^ (long)now_f()));
	r.capdone = (size_t)t->parallel * 2 + 16;
	r.done = st_xcalloc(r.capdone, sizeof(*r.done));

	for (;;) {
		int stopping = (o->stop && *o->stop) || r.fatal;
		int inflight = t->inflight(t), got, timeout;
		double tn = now_f();

		/* Rows left in flight first, and again now and then for unknown ones. */
		if (!stopping && tn - last_reconcile >= 1.0) {
			if ((rc = reconcile(&r, err)) < 0)
				break;
			last_reconcile = tn;
		}
		if (!stopping && r.npending == r.firstpending && inflight < t->parallel) {
			long n;

			r.npending = r.firstpending = 0;
			/* Twice what the transport takes at once: enough to keep it busy, few
			 * enough that other senders share the queue and a crash leaves few. */
			long want = (long)t->parallel * 2;

			n = claim(&r, o->rate > 0 ? CLAIM_BATCH : want < 16 ? 16 : want > CLAIM_BATCH ?
			    CLAIM_BATCH : want, err);
			if (n < 0) {
				rc = -1;
				break;
			}
		}
		/* Submit what is due, as far as the transport takes. */
		tn = now_f();
		while (r.firstpending < r.npending && inflight < t->parallel && !stopping) {
			struct item *it = r.pending[r.firstpending];
			struct st_outmsg m;

			if (it->slot > tn)
				break;
			outmsg(it, &m);
			if (t->submit(t, &m, err) < 0) {
				rc = -1;
				break;
			}
			table_put(&r.claimed, it);
			r.firstpending++;
			inflight++;
		}
		if (rc < 0)
			break;
		if (stopping && r.firstpending < r.npending) {
			/* Stopped: give back what was claimed and not sent. */
			for (i = r.firstpending; i < r.npending; i++) {
				release(&r, r.pending[i], time(NULL), err);
				item_free(r.pending[i]);
			}
			r.npending = r.firstpending = 0;
		}
		if (inflight == 0 && r.firstpending == r.npending) {
			double in;

			if (flush(&r, err) < 0) {
				rc = -1;
				break;
			}
			if (stopping)
				break;
			if (next_due(&r, &in, err) < 0) {
				rc = -1;
				break;
			}
			if (in < 0 || in > max_wait)
				break;
			/* Due rows we could not claim wait for a throttle slot or another sender. */
			sleep_f(in > 1.0 ? 1.0 : in > 0.05 ? in : 0.05);
			continue;
		}
		/* Wait for deliveries, or until the next slot. */
		timeout = 100;
		if (r.firstpending < r.npending && inflight < t->parallel) {
			double until = r.pending[r.firstpending]->slot - now_f();

			timeout = until <= 0 ? 0 : until < 0.1 ? (int)(until * 1000) + 1 : 100;
		}
		if (r.ndone + (size_t)t->parallel > r.capdone) {
			if (flush(&r, err) < 0) {
				rc = -1;
				break;
			}
		}
		got = t->wait(t, inflight ? timeout : 0, r.done + r.ndone, (int)(r.capdone - r.ndone),
		    err);
		if (got < 0) {
			rc = -1;
			break;
		}
		if (inflight == 0 && timeout > 0)
			sleep_f(timeout / 1000.0);
		r.ndone += (size_t)got;
		if (r.ndone >= CLAIM_BATCH || (r.ndone && now_f() - last_flush > 0.2)) {
			if (flush(&r, err) < 0) {
				rc = -1;
				break;
			}
			last_flush = now_f();
		}
	}
	if (rc < 0) {
		/* Keep what was delivered: those deliveries are facts. */
		struct st_error e2 = { 0 };

		while (t->inflight(t) > 0) {
			int got = t->wait(t, 1000, r.done + r.ndone, (int)(r.capdone - r.ndone), &e2);

			if (got <= 0)
				break;
			r.ndone += (size_t)got;
			if (r.ndone + (size_t)t->parallel > r.capdone && flush(&r, &e2) < 0)
				break;
		}
		flush(&r, &e2);
		for (i = r.firstpending; i < r.npending; i++) {
			release(&r, r.pending[i], time(NULL), &e2);
			item_free(r.pending[i]);
		}
		r.npending = r.firstpending = 0;
	}
	for (i = r.firstpending; i < r.npending; i++)
		item_free(r.pending[i]);
	for (i = 0; i < r.claimed.cap; i++)
		if (r.claimed.slot[i])
			item_free(r.claimed.slot[i]);
	free(r.claimed.slot);
	free(r.pending);
	free(r.done);
	finish_stats(&r);
	if (rc == 0 && r.fatal)
		return st_error_set(err, ST_EXIT_FAIL, "the provider refused to send: %s", r.fatal_msg);
	if (rc == 0 && r.temp_failure && s->unresolved > 0)
		return st_error_set(err, ST_EXIT_TEMP, "cannot reach the provider to reconcile %ld "
		    "message%s in flight: %s", s->unresolved, s->unresolved == 1 ? "" : "s", r.temp_msg);
	return rc;
}
