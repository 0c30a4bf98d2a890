#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st/db.h"
#include "st/config.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/token.h"
#include "st/tz.h"
#include "st/util.h"

#define MAC_BYTES 16
#define MAC_CHARS 22    /* MAC_BYTES in unpadded base64url */
#define DOMAIN "st-token-v1"

struct st_token_key {
	unsigned char *secret;
	size_t len;
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;       /* HMAC-SHA256 keyed with secret: re-initialized per token */
};

struct st_token_minter {
	sqlite3 *db;
	const struct st_token_key *k;
	char purpose[ST_PURPOSE_MAX + 1];
	time_t expires;
	sqlite3_stmt *gen;
};

static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
st_secret_path(char *out, size_t n, struct st_error *err)
{
	char *p = st_config_path("ST_SECRET_FILE", "secret", NULL);
	int len;

	if (p == NULL)
		return st_error_set(err, ST_EXIT_FAIL, "no secret file: set ST_SECRET_FILE or HOME");
	len = snprintf(out, n, "%s", p);
	free(p);
	if (len < 0 || (size_t)len >= n)
		return st_error_set(err, ST_EXIT_FAIL, "secret file name is too long");
	return 0;
}

struct st_token_key *
st_token_key_new(const void *secret, size_t len, struct st_error *err)
{
	struct st_token_key *k;

	if (len < ST_SECRET_MIN || len > ST_SECRET_MAX) {
		st_error_set(err, ST_EXIT_FAIL, "secret is too %s (%zu bytes; %d to %d)",
		    len < ST_SECRET_MIN ? "short" : "long", len, ST_SECRET_MIN, ST_SECRET_MAX);
		return NULL;
	}
	k = st_xcalloc(1, sizeof(*k));
	k->secret = st_xmalloc(len);
	memcpy(k->secret, secret, len);
	k->len = len;
	/* The key is set up once; each token then costs one re-initialization. */
	{
		char digest[] = "SHA256";
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			OSSL_PARAM_construct_end()
		};

		if ((k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
		    (k->ctx = EVP_MAC_CTX_new(k->mac)) == NULL ||
		    !EVP_MAC_init(k->ctx, k->secret, k->len, params)) {
			st_token_key_free(k);
			st_error_set(err, ST_EXIT_FAIL, "cannot set up HMAC-SHA256 (OpenSSL)");
			return NULL;
		}
	}
	return k;
}

void
st_token_key_free(struct st_token_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->ctx);
	EVP_MAC_free(k->mac);
	OPENSSL_cleanse(k->secret, k->len);
	free(k->secret);
	free(k);
}

struct st_token_key *
st_token_key_load(const char *path, struct st_error *err)
{
	char def[4096];
	unsigned char buf[ST_SECRET_MAX + 1];
	struct st_token_key *k = NULL;
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (path == NULL) {
		if (st_secret_path(def, sizeof(def), err) < 0)
			return NULL;
		path = def;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		st_error_set(err, ST_EXIT_FAIL, "cannot open secret file '%s': %s%s", path,
		    strerror(errno), errno == ENOENT ? " (make one: see st-refmap(1), SECRET)" : "");
		return NULL;
	}
	if (fstat(fd, &sb) < 0) {
		st_error_set(err, ST_EXIT_FAIL, "cannot read secret file '%s': %s", path,
		    strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		st_error_set(err, ST_EXIT_FAIL, "secret file '%s' is not a regular file", path);
	} else if (sb.st_uid != geteuid()) {
		st_error_set(err, ST_EXIT_FAIL, "secret file '%s' is not owned by the user running "
		    "st", path);
	} else if (sb.st_mode & 077) {
		st_error_set(err, ST_EXIT_FAIL, "secret file '%s' can be read or written by group "
		    "or others (mode %03o): chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	} else {
		while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				st_error_set(err, ST_EXIT_FAIL, "cannot read secret file '%s': %s", path,
				    strerror(errno));
				len = 0;
				goto out;
			}
			len += (size_t)n;
		}
		if (len < ST_SECRET_MIN || len > ST_SECRET_MAX)
			st_error_set(err, ST_EXIT_FAIL, "secret file '%s' is too %s (%s%zu bytes; it "
			    "must hold %d to %d)", path, len < ST_SECRET_MIN ? "short" : "long",
			    len > ST_SECRET_MAX ? "over " : "", len > ST_SECRET_MAX ? (size_t)ST_SECRET_MAX :
			    len, ST_SECRET_MIN, ST_SECRET_MAX);
		else
			k = st_token_key_new(buf, len, err);
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return k;
}

int
st_token_purpose_valid(const char *purpose)
{
	size_t n = purpose ? strlen(purpose) : 0;

	return n > 0 && n <= ST_PURPOSE_MAX &&
	    strspn(purpose, "abcdefghijklmnopqrstuvwxyz0123456789-_.:") == n;
}

/* v in base 36 into out; returns the length. */
static size_t
put36(unsigned long long v, char *out)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = b36[v % 36];
		v /= 36;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Parse s[0..n) as canonical base 36 (no leading zeros) up to max; -1 if not. */
static int
get36(const char *s, size_t n, unsigned long long max, unsigned long long *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 13 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(b36, s[i]) : NULL;
		unsigned long long d;

		if (p == NULL)
			return -1;
		d = (unsigned long long)(p - b36);
		if (*v > (max - d) / 36)
			return -1;
		*v = *v * 36 + d;
	}
	return 0;
}

/* The MAC of prefix (CONTACT.EXPIRES.GENERATION) for purpose, base64url, into
 * mac; -1 if OpenSSL fails (out of memory). */
static int
mac_of(const struct st_token_key *k, const char *purpose, const char *prefix, size_t plen,
    char mac[MAC_CHARS + 1])
{
	unsigned char msg[sizeof(DOMAIN) + ST_PURPOSE_MAX + ST_TOKEN_MAX + 2];
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t n = 0, dlen = strlen(purpose), i, o = 0, mdlen = 0;
	unsigned bits = 0, nbits = 0;

	memcpy(msg, DOMAIN, sizeof(DOMAIN));   /* with its NUL */
	n = sizeof(DOMAIN);
	memcpy(msg + n, purpose, dlen + 1);
	n += dlen + 1;
	memcpy(msg + n, prefix, plen);
	n += plen;
	/* NULL: the key the context was initialized with when the key was made. */
	if (!EVP_MAC_init(k->ctx, NULL, 0, NULL) || !EVP_MAC_update(k->ctx, msg, n) ||
	    !EVP_MAC_final(k->ctx, md, &mdlen, sizeof(md)) || mdlen < MAC_BYTES)
		return -1;
	for (i = 0; i < MAC_BYTES; i++) {
		bits = (bits << 8) | md[i];
		nbits += 8;
		while (nbits >= 6) {
			mac[o++] = b64url[(bits >> (nbits - 6)) & 63];
			nbits -= 6;
		}
	}
	if (nbits)
		mac[o++] = b64url[(bits << (6 - nbits)) & 63];
	mac[o] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

size_t
st_token_sign(const struct st_token_key *k, const char *purpose, long contact, long generation,
    time_t expires, char out[ST_TOKEN_MAX])
{
	size_t n = 0;

	n += put36((unsigned long long)contact, out + n);
	out[n++] = '.';
	n += put36((unsigned long long)expires, out + n);
	out[n++] = '.';
	n += put36((unsigned long long)generation, out + n);
	if (mac_of(k, purpose, out, n, out + n + 1) < 0) {
		out[0] = '\0';
		return 0;
	}
	out[n] = '.';
	return n + 1 + MAC_CHARS;
}

enum st_token_status
st_token_check(const struct st_token_key *k, const char *purpose, const char *token, time_t now,
    struct st_token_claims *c)
{
	const char *field[4];
	size_t flen[4], nf = 0, len = strlen(token), i;
	unsigned long long v[3];
	char mac[MAC_CHARS + 1];
	struct st_token_claims tmp;

	if (c == NULL)
		c = &tmp;
	memset(c, 0, sizeof(*c));
	if (len == 0 || len >= ST_TOKEN_MAX ||
	    strspn(token, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") !=
	    len)
		return ST_TOKEN_MALFORMED;
	/* Split at the dots: at most four fields. */
	field[0] = token;
	for (i = 0; i <= len; i++) {
		if (token[i] != '.' && token[i] != '\0')
			continue;
		flen[nf] = (size_t)(token + i - field[nf]);
		if (++nf < 4)
			field[nf] = token + i + 1;
		else if (token[i] == '.')
			return ST_TOKEN_MALFORMED;
		if (token[i] == '\0')
			break;
	}
	/* The numbers a token starts with, and nothing after them: cut short. */
	for (i = 0; i < nf && i < 3; i++)
		if (get36(field[i], flen[i], 0x7fffffffffffffffULL, &v[i]) < 0)
			return i == nf - 1 && flen[i] == 0 ? ST_TOKEN_TRUNCATED : ST_TOKEN_MALFORMED;
	if (nf < 4)
		return ST_TOKEN_TRUNCATED;
	if (strspn(field[3], b64url) != flen[3] || flen[3] > MAC_CHARS)
		return ST_TOKEN_MALFORMED;
	if (v[0] == 0 || v[1] == 0)
		return ST_TOKEN_MALFORMED;
	c->contact = (long)v[0];
	c->expires = (time_t)v[1];
	c->generation = (long)v[2];
	if (flen[3] < MAC_CHARS)
		return ST_TOKEN_TRUNCATED;
	if (mac_of(k, purpose, token, (size_t)(field[3] - 1 - token), mac) < 0 ||
	    CRYPTO_memcmp(mac, field[3], MAC_CHARS) != 0)
		return ST_TOKEN_FORGED;
	if (now >= c->expires)
		return ST_TOKEN_EXPIRED;
	return ST_TOKEN_OK;
}

void
st_token_reason(enum st_token_status s, const struct st_token_claims *c, char *out, size_t n)
{
	char when[21];

	switch (s) {
	case ST_TOKEN_OK:
		snprintf(out, n, "valid");
		break;
	case ST_TOKEN_MALFORMED:
		snprintf(out, n, "not a token");
		break;
	case ST_TOKEN_TRUNCATED:
		snprintf(out, n, "truncated: the end of the token is missing");
		break;
	case ST_TOKEN_FORGED:
		snprintf(out, n, "forged: the signature does not match (altered, or made with "
		    "another secret or for another purpose)");
		break;
	case ST_TOKEN_EXPIRED:
		st_time_utc(c->expires, when);
		snprintf(out, n, "expired at %s", when);
		break;
	case ST_TOKEN_REVOKED:
		snprintf(out, n, "revoked: the tokens of contact %ld were revoked after it was "
		    "made", c->contact);
		break;
	case ST_TOKEN_NO_CONTACT:
		snprintf(out, n, "contact %ld no longer exists", c->contact);
		break;
	}
}

/* The generation of contact: 1 and *gen, 0 if there is no such contact. */
static int
generation(sqlite3 *db, sqlite3_stmt *st, long contact, long *gen, struct st_error *err)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, contact);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*gen = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_error_db(err, db, "cannot read the token generation of contact %ld",
		    contact);
	return rc == SQLITE_ROW;
}

static const char generation_sql[] = "SELECT coalesce((SELECT generation FROM token_generations "
    "WHERE contact_id = ?1), 0) FROM contacts WHERE id = ?1";

int
st_token_verify(sqlite3 *db, const struct st_token_key *k, const char *purpose, const char *token,
    time_t now, struct st_token_claims *c, enum st_token_status *status, struct st_error *err)
{
	struct st_token_claims tmp;
	enum st_token_status s;
	sqlite3_stmt *st;
	char why[200];
	long gen = 0;
	int rc;

	if (c == NULL)
		c = &tmp;
	if (!st_token_purpose_valid(purpose))
		return st_error_set(err, ST_EXIT_USAGE, "invalid purpose '%s' (lowercase letters, "
		    "digits, '-', '_', '.', ':')", purpose);
	s = st_token_check(k, purpose, token, now, c);
	if (s == ST_TOKEN_OK) {
		if ((st = st_db_prepare(db, generation_sql, err)) == NULL)
			return -1;
		rc = generation(db, st, c->contact, &gen, err);
		sqlite3_finalize(st);
		if (rc < 0)
			return -1;
		if (rc == 0)
			s = ST_TOKEN_NO_CONTACT;
		else if (gen != c->generation)
			s = ST_TOKEN_REVOKED;
	}
	if (status)
		*status = s;
	if (s == ST_TOKEN_OK)
		return 0;
	st_token_reason(s, c, why, sizeof(why));
	return st_error_set(err, ST_EXIT_DATA, "token refused: %s", why);
}

int
st_token_revoke(sqlite3 *db, long contact, long *gen, struct st_error *err)
{
	char now[21];
	long v = 0;
	int rc;

	st_now_iso(now);
	rc = st_db_scalarf(db, err, &v, "SELECT 1 FROM contacts WHERE id = ?", "i", contact);
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	if (rc < 0 || st_db_execf(db, err, "INSERT INTO token_generations(contact_id, generation, "
	    "revoked_at) VALUES (?1, 1, ?2) ON CONFLICT(contact_id) DO UPDATE SET generation = "
	    "generation + 1, revoked_at = excluded.revoked_at", "it", contact, now) < 0)
		return -1;
	if (gen && st_db_scalarf(db, err, gen, "SELECT generation FROM token_generations WHERE "
	    "contact_id = ?", "i", contact) < 0)
		return -1;
	return 0;
}

struct st_token_minter *
st_token_minter_new(sqlite3 *db, const struct st_token_key *k, const char *purpose,
    time_t expires, struct st_error *err)
{
	struct st_token_minter *m;

	if (!st_token_purpose_valid(purpose)) {
		st_error_set(err, ST_EXIT_USAGE, "invalid purpose '%s' (lowercase letters, digits, "
		    "'-', '_', '.', ':')", purpose ? purpose : "");
		return NULL;
	}
	m = st_xcalloc(1, sizeof(*m));
	m->db = db;
	m->k = k;
	m->expires = expires;
	strcpy(m->purpose, purpose);
	if ((m->gen = st_db_prepare(db, generation_sql, err)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

int
st_token_mint(struct st_token_minter *m, long contact, char out[ST_TOKEN_MAX],
    struct st_error *err)
{
	long gen = 0;
	int rc = generation(m->db, m->gen, contact, &gen, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return st_error_set(err, ST_EXIT_DATA, "no contact %ld", contact);
	if ((rc = (int)st_token_sign(m->k, m->purpose, contact, gen, m->expires, out)) == 0)
		return st_error_set(err, ST_EXIT_FAIL, "cannot compute a token's HMAC (OpenSSL)");
	return rc;
}

void
st_token_minter_free(struct st_token_minter *m)
{
	if (m == NULL)
		return;
	sqlite3_finalize(m->gen);
	free(m);
}
