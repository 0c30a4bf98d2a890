/* Referral codes and referral edges: issuing codes, recording who brought whom. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/refmap.h"
#include "st/tz.h"
#include "st/util.h"

/* Crockford's base32: no I, L, O or U, so codes read aloud or copied by hand survive. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
st_code_normalize(const char *s, char out[ST_CODE_LEN + 1])
{
	size_t n = 0;

	for (; *s; s++) {
		char c = *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;

		if (c == ' ' || c == '-' || c == '\t')
			continue;
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (c == '\0' || strchr(alphabet, c) == NULL || n == ST_CODE_LEN)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == ST_CODE_LEN ? 0 : -1;
}

int
st_codes_open(struct st_codes *c, sqlite3 *db, struct st_error *err)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->used = sizeof(c->pool);
	c->get = st_db_prepare(db, "SELECT code FROM referral_codes WHERE contact_id = ?", err);
	if (c->get)
		c->ins = st_db_prepare(db, "INSERT INTO referral_codes(contact_id, code, created_at) "
		    "VALUES (?, ?, ?)", err);
	if (c->ins)
		c->owner = st_db_prepare(db, "SELECT contact_id FROM referral_codes WHERE code = ?",
		    err);
	if (c->owner == NULL) {
		st_codes_close(c);
		return -1;
	}
	return 0;
}

void
st_codes_close(struct st_codes *c)
{
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->ins);
	sqlite3_finalize(c->owner);
	OPENSSL_cleanse(c, sizeof(*c));
}

int
st_codes_get(struct st_codes *c, long contact, char out[ST_CODE_LEN + 1], struct st_error *err)
{
	char now[21];
	int rc, tries, i;

	sqlite3_reset(c->get);
	sqlite3_bind_int64(c->get, 1, contact);
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		snprintf(out, ST_CODE_LEN + 1, "%s", (const char *)sqlite3_column_text(c->get, 0));
		sqlite3_reset(c->get);
		return 0;
	}
	sqlite3_reset(c->get);
	if (rc != SQLITE_DONE)
		return st_error_db(err, c->db, "cannot read the code of contact %ld", contact);
	st_now_iso(now);
	/* A fresh random code; another contact's (one in ~10^4 at a million codes) is drawn again. */
	for (tries = 0; tries < 16; tries++) {
		/* One draw of random bytes serves many codes (each draw costs a system call). */
		if (c->used == sizeof(c->pool)) {
			if (RAND_bytes(c->pool, sizeof(c->pool)) != 1)
				return st_error_set(err, ST_EXIT_FAIL, "cannot draw a random code");
			c->used = 0;
		}
		for (i = 0; i < ST_CODE_LEN; i++)
			out[i] = alphabet[c->pool[c->used++] & 31];
		out[ST_CODE_LEN] = '\0';
		sqlite3_reset(c->ins);
		sqlite3_bind_int64(c->ins, 1, contact);
		sqlite3_bind_text(c->ins, 2, out, ST_CODE_LEN, SQLITE_STATIC);
		sqlite3_bind_text(c->ins, 3, now, -1, SQLITE_STATIC);
		rc = sqlite3_step(c->ins);
		sqlite3_reset(c->ins);
		if (rc == SQLITE_DONE)
			return 1;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
		if (rc != SQLITE_CONSTRAINT_UNIQUE)
			return st_error_db(err, c->db, "cannot issue a code to contact %ld", contact);
	}
	return st_error_set(err, ST_EXIT_FAIL, "cannot issue a code to contact %ld: every code "
	    "drawn was taken", contact);
}

int
st_codes_owner(struct st_codes *c, const char *code, long *contact, struct st_error *err)
{
	char norm[ST_CODE_LEN + 1];
	int rc;

	*contact = 0;
	if (st_code_normalize(code, norm) < 0)
		return 0;
	sqlite3_reset(c->owner);
	sqlite3_bind_text(c->owner, 1, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->owner);
	if (rc == SQLITE_ROW)
		*contact = (long)sqlite3_column_int64(c->owner, 0);
	sqlite3_reset(c->owner);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_error_db(err, c->db, "cannot look up code '%s'", norm);
	return rc == SQLITE_ROW;
}

int
st_code_get(sqlite3 *db, long contact, char out[ST_CODE_LEN + 1], struct st_error *err)
{
	struct st_codes c;
	int rc;

	if (st_codes_open(&c, db, err) < 0)
		return -1;
	rc = st_codes_get(&c, contact, out, err);
	st_codes_close(&c);
	return rc;
}

int
st_code_owner(sqlite3 *db, const char *code, long *contact, struct st_error *err)
{
	struct st_codes c;
	int rc;

	if (st_codes_open(&c, db, err) < 0)
		return -1;
	rc = st_codes_owner(&c, code, contact, err);
	st_codes_close(&c);
	return rc;
}

/* The statements recording a referral takes. */
struct st_referrer {
	sqlite3 *db;
	struct st_codes codes;
	sqlite3_stmt *has, *loop, *ins;
};

void
st_referrer_free(struct st_referrer *r)
{
	if (r == NULL)
		return;
	st_codes_close(&r->codes);
	sqlite3_finalize(r->has);
	sqlite3_finalize(r->loop);
	sqlite3_finalize(r->ins);
	free(r);
}

struct st_referrer *
st_referrer_new(sqlite3 *db, struct st_error *err)
{
	struct st_referrer *r = st_xcalloc(1, sizeof(*r));

	r->db = db;
	if (st_codes_open(&r->codes, db, err) < 0) {
		free(r);
		return NULL;
	}
	r->has = st_db_prepare(db, "SELECT 1 FROM referrals WHERE referred_id = ?", err);
	/* Is ?2 the referrer ?1 or one of the people who brought them? UNION stops at a
	 * loop made by hand. */
	if (r->has)
		r->loop = st_db_prepare(db, "WITH RECURSIVE up(id) AS (SELECT ?1 UNION SELECT "
		    "r.referrer_id FROM referrals r JOIN up ON r.referred_id = up.id) SELECT 1 FROM "
		    "up WHERE id = ?2", err);
	if (r->loop)
		r->ins = st_db_prepare(db, "INSERT INTO referrals(referred_id, referrer_id, code, at, "
		    "via_page, campaign, import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (r->ins == NULL) {
		st_referrer_free(r);
		return NULL;
	}
	return r;
}

/* Step st (bound) for a yes/no answer: 1, 0, or -1 and err. */
static int
yes(sqlite3 *db, sqlite3_stmt *st, struct st_error *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_error_db(err, db, "cannot look up referrals");
	return rc == SQLITE_ROW;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
st_referrer_record(struct st_referrer *r, const struct st_referral_in *in,
    enum st_ref_outcome *outcome,
    long *referrer, struct st_error *err)
{
	char norm[ST_CODE_LEN + 1], now[21];
	const char *p;
	long owner = 0;
	time_t t;
	int rc;

	*outcome = ST_REF_NONE;
	if (referrer)
		*referrer = 0;
	for (p = in->code ? in->code : ""; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
		return 0;
	if (in->at && st_time_from_utc(in->at, &t) < 0)
		return st_error_set(err, ST_EXIT_DATA, "invalid time '%s' (want "
		    "YYYY-MM-DDTHH:MM:SSZ)", in->at);
	if ((rc = st_codes_owner(&r->codes, in->code, &owner, err)) < 0)
		return -1;
	if (referrer)
		*referrer = owner;
	if (rc == 0) {
		*outcome = ST_REF_UNKNOWN;
		return 0;
	}
	if (owner == in->referred) {
		*outcome = ST_REF_SELF;
		return 0;
	}
	sqlite3_bind_int64(r->has, 1, in->referred);
	if ((rc = yes(r->db, r->has, err)) != 0) {
		*outcome = ST_REF_ALREADY;
		return rc < 0 ? -1 : 0;
	}
	sqlite3_bind_int64(r->loop, 1, owner);
	sqlite3_bind_int64(r->loop, 2, in->referred);
	if ((rc = yes(r->db, r->loop, err)) != 0) {
		*outcome = ST_REF_LOOP;
		return rc < 0 ? -1 : 0;
	}
	st_code_normalize(in->code, norm);
	st_now_iso(now);
	sqlite3_bind_int64(r->ins, 1, in->referred);
	sqlite3_bind_int64(r->ins, 2, owner);
	sqlite3_bind_text(r->ins, 3, norm, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->ins, 4, in->at ? in->at : now, -1, SQLITE_STATIC);
	bind_opt(r->ins, 5, in->page);
	bind_opt(r->ins, 6, in->campaign);
	if (in->import_id > 0)
		sqlite3_bind_int64(r->ins, 7, in->import_id);
	else
		sqlite3_bind_null(r->ins, 7);
	sqlite3_bind_text(r->ins, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->ins);
	sqlite3_reset(r->ins);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", in->referred);
	if (rc != SQLITE_DONE)
		return st_error_db(err, r->db, "cannot record a referral");
	*outcome = ST_REF_RECORDED;
	return 0;
}

int
st_referral_record(sqlite3 *db, const struct st_referral_in *in, enum st_ref_outcome *outcome,
    long *referrer, struct st_error *err)
{
	struct st_referrer *r = st_referrer_new(db, err);
	int rc;

	if (r == NULL)
		return -1;
	rc = st_referrer_record(r, in, outcome, referrer, err);
	st_referrer_free(r);
	return rc;
}

int
st_referral_column(const char *const *names, size_t n)
{
	return st_column_find(names, n, "ref|r|referral_code");
}

/* Reading a stream of clicks or sign-ups. */
struct rec {
	sqlite3 *db;
	const struct st_record_opts *o;
	struct st_record_result *res;
	struct st_error *err;
	struct st_csvin *in;
	size_t ncols;
	const char *const *names;
	int code, id, phone, email, at, page, campaign;   /* columns, or -1 */
	sqlite3_stmt *by_id, *by_phone, *by_email;
	struct st_referrer *refs;
};

static int
reject(struct rec *m, const struct st_csv_row *row, long *count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
reject(struct rec *m, const struct st_csv_row *row, long *count, const char *fmt, ...)
{
	char reason[300];
	va_list ap;

	(*count)++;
	if (m->o->rejects == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (st_out_reject(m->o->rejects, row, m->ncols, st_csvin_delim(m->in),
	    st_csvin_is_jsonl(m->in), reason) < 0)
		return st_error_set(m->err, ST_EXIT_FAIL, "cannot write the rejects file");
	return 0;
}

/* Field col of row, or NULL when there is no such column or it is blank. */
static const char *
field(const struct st_csv_row *row, int col)
{
	const char *s;

	if (col < 0 || (size_t)col >= row->n)
		return NULL;
	for (s = row->f[col]; *s == ' ' || *s == '\t'; s++)
		;
	return *s ? s : NULL;
}

/* Contact by st: 1 and *id if exactly one matches v, 0 if none, 2 if several. */
static int
find_one(struct rec *m, sqlite3_stmt *st, const char *v, long *id)
{
	int rc, n = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 2) {
		*id = (long)sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_error_db(m->err, m->db, "cannot look up a contact");
	return n;
}

/* The contact a row names, by id, else phone, else e-mail: 1 and *id, or 0
 * with why filled. */
static int
identify(struct rec *m, const struct st_csv_row *row, long *id, char *why, size_t n)
{
	char buf[512];
	const char *v;
	long l;
	int rc;

	snprintf(why, n, "no id, phone or e-mail names a contact");
	if ((v = field(row, m->id)) != NULL) {
		if (st_parse_long(v, 1, 0x7fffffffffffffffL, &l) < 0) {
			snprintf(why, n, "invalid contact id '%.60s'", v);
		} else if ((rc = find_one(m, m->by_id, v, id)) != 0) {
			return rc;
		} else {
			snprintf(why, n, "no contact %ld", l);
		}
	}
	if ((v = field(row, m->phone)) != NULL && strlen(v) < 64 &&
	    st_phone_normalize(v, strlen(v), buf) > 0) {
		if ((rc = find_one(m, m->by_phone, buf, id)) == 1 || rc < 0)
			return rc;
		snprintf(why, n, rc ? "several contacts share phone %s" : "no contact with phone %s",
		    buf);
	}
	if ((v = field(row, m->email)) != NULL && strlen(v) < sizeof(buf) &&
	    st_email_normalize(v, strlen(v), buf) > 0) {
		if ((rc = find_one(m, m->by_email, buf, id)) != 0)
			return rc < 0 ? -1 : 1;
		snprintf(why, n, "no contact with e-mail %.100s", buf);
	}
	return 0;
}

/* The row's time as stored ("YYYY-MM-DDTHH:MM:SSZ"), or NULL for now; -1 if invalid. */
static int
row_time(const char *v, char out[21])
{
	struct st_error e;
	char tmp[40];
	time_t t;

	if (strlen(v) == 10) {   /* a date alone: its midnight, UTC */
		snprintf(tmp, sizeof(tmp), "%s 00:00", v);
		v = tmp;
	}
	if (strlen(v) >= 40 || st_time_parse(v, "UTC", &t, &e) < 0)
		return -1;
	st_time_utc(t, out);
	return 0;
}

static int
record_row(struct rec *m, const struct st_csv_row *row)
{
	struct st_referral_in in = { 0 };
	enum st_ref_outcome out;
	char why[200], at[21];
	const char *v;
	long id, owner;
	int rc;

	if (row->problem != ST_ROW_OK || row->n < m->ncols)
		return reject(m, row, &m->res->invalid, "%s", row->problem == ST_ROW_BAD_JSON ?
		    row->problem_msg : row->problem == ST_ROW_OK ? "too few fields" :
		    "a field is not valid text");
	if ((in.code = field(row, m->code)) == NULL)
		return reject(m, row, &m->res->invalid, "no referral code");
	if ((v = field(row, m->at)) != NULL) {
		if (row_time(v, at) < 0)
			return reject(m, row, &m->res->invalid, "invalid time '%.60s'", v);
		in.at = at;
	}
	if ((rc = identify(m, row, &id, why, sizeof(why))) < 0)
		return -1;
	if (rc == 0)
		return reject(m, row, &m->res->unidentified, "%s", why);
	in.referred = id;
	in.page = field(row, m->page) ? field(row, m->page) : m->o->page;
	in.campaign = field(row, m->campaign) ? field(row, m->campaign) : m->o->campaign;
	if (st_referrer_record(m->refs, &in, &out, &owner, m->err) < 0)
		return -1;
	switch (out) {
	case ST_REF_RECORDED:
		m->res->recorded++;
		return 0;
	case ST_REF_ALREADY:
		return reject(m, row, &m->res->already, "contact %ld has a referrer already", id);
	case ST_REF_SELF:
		return reject(m, row, &m->res->self, "contact %ld's own code", id);
	case ST_REF_LOOP:
		return reject(m, row, &m->res->loop, "loop: the code's owner (contact %ld) came "
		    "through contact %ld", owner, id);
	case ST_REF_UNKNOWN:
		return reject(m, row, &m->res->unknown, "unknown referral code '%.40s'", in.code);
	default:
		return reject(m, row, &m->res->invalid, "no referral code");
	}
}

int
st_referral_stream(sqlite3 *db, const struct st_record_opts *o, struct st_record_result *res,
    struct st_error *err)
{
	struct rec m = { 0 };
	struct st_csv_row *row;
	int rc = -1, begun = 0, f;
	size_t i;

	memset(res, 0, sizeof(*res));
	m.db = db;
	m.o = o;
	m.res = res;
	m.err = err;
	if ((m.in = st_csvin_open(o->fp, o->name, &o->csv, err)) == NULL)
		return -1;
	m.ncols = st_csvin_ncols(m.in);
	m.names = st_csvin_names(m.in);
	m.code = st_referral_column(m.names, m.ncols);
	m.id = st_column_find(m.names, m.ncols, "id|contact_id");
	m.phone = m.email = -1;
	for (i = 0; i < m.ncols; i++) {
		f = st_contact_field_for_header(m.names[i]);
		if (f >= 0 && m.phone < 0 && strcmp(st_contact_fields[f].name, "phone") == 0)
			m.phone = (int)i;
		if (f >= 0 && m.email < 0 && strcmp(st_contact_fields[f].name, "email") == 0)
			m.email = (int)i;
	}
	m.at = st_column_find(m.names, m.ncols,
	    "at|time|timestamp|clicked_at|signed_up_at|created_at");
	m.page = st_column_find(m.names, m.ncols, "page|via_page|url|landing_page");
	m.campaign = st_column_find(m.names, m.ncols, "campaign|utm_campaign");
	if (m.code < 0) {
		st_error_set(err, ST_EXIT_DATA, "no referral code column in '%s' (ref, r or "
		    "referral_code)", o->name);
		goto out;
	}
	if (m.id < 0 && m.phone < 0 && m.email < 0) {
		st_error_set(err, ST_EXIT_DATA, "no column in '%s' names the contact (id, "
		    "contact_id, phone or email)", o->name);
		goto out;
	}
	if (o->rejects)
		st_out_reject_columns(o->rejects, m.names, m.ncols, st_csvin_is_jsonl(m.in));
	if (st_db_begin(db, err) < 0)
		goto out;
	begun = 1;
	if ((m.refs = st_referrer_new(db, err)) == NULL)
		goto out;
	m.by_id = st_db_prepare(db, "SELECT id FROM contacts WHERE id = CAST(?1 AS INTEGER)", err);
	if (m.by_id)
		m.by_phone = st_db_prepare(db, "SELECT id FROM contacts WHERE phone = ? ORDER BY id "
		    "LIMIT 2", err);
	if (m.by_phone)
		m.by_email = st_db_prepare(db, "SELECT id FROM contacts WHERE email = ? ORDER BY id "
		    "LIMIT 1", err);
	if (m.by_email == NULL)
		goto out;
	while ((rc = st_csvin_next(m.in, &row, err)) > 0) {
		res->read++;
		if (record_row(&m, row) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && !o->dry_run)
		rc = st_db_commit(db, err);
	begun = rc == 0 && !o->dry_run ? 0 : begun;
out:
	if (begun)
		st_db_rollback(db);
	st_referrer_free(m.refs);
	sqlite3_finalize(m.by_id);
	sqlite3_finalize(m.by_phone);
	sqlite3_finalize(m.by_email);
	st_csvin_close(m.in);
	return rc < 0 ? -1 : 0;
}
