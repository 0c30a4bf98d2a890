/* Tokens (known answers computed with Python's hmac, every alteration and
 * truncation refused, expiry, revocation, the secret file's checks), referral
 * codes and URL parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/refmap.h"
#include "st/token.h"
#include "st/url.h"
#include "st/util.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct st_token_key *
test_key(void)
{
	unsigned char secret[32];
	size_t i;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)i;
	return st_token_key_new(secret, sizeof(secret), NULL);
}

static void
test_known_answers(void)
{
	struct st_token_key *k = test_key();
	struct st_token_claims c;
	char tok[ST_TOKEN_MAX];
	size_t n;

	/* HMAC-SHA256 of "st-token-v1\0login\0" "9ix.x2qxvk.3" with key 00 01 ... 1f,
	 * its first 16 bytes in base64url, as Python's hmac computes it. */
	n = st_token_sign(k, "login", 12345, 3, 2000000000, tok);
	is_str(tok, "9ix.x2qxvk.3.xajWM3RwuFdEy1OTBVmC0Q", "sign: known answer");
	is_int((long long)n, (long long)strlen(tok), "sign: returns the length");
	st_token_sign(k, "rsvp:confirm", 12345, 3, 2000000000, tok);
	is_str(tok, "9ix.x2qxvk.3.GsEvEQPQC7xKuJrL9IMKNA", "sign: the purpose is signed");
	is_int(st_token_check(k, "rsvp:confirm", tok, 1999999999, &c), ST_TOKEN_OK,
	    "check: good until the second it expires");
	is_int(c.contact, 12345, "check: the contact");
	is_int(c.generation, 3, "check: the generation");
	is_int((long long)c.expires, 2000000000, "check: the expiry");
	is_int(st_token_check(k, "rsvp:confirm", tok, 2000000000, &c), ST_TOKEN_EXPIRED,
	    "check: expired at its expiry");
	is_int(st_token_check(k, "login", tok, 0, NULL), ST_TOKEN_FORGED,
	    "check: another purpose is forged");
	st_token_key_free(k);
}

static void
test_alterations(void)
{
	static const char chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.";
	struct st_token_key *k = test_key(), *other;
	char tok[ST_TOKEN_MAX], bad[ST_TOKEN_MAX + 8];
	size_t n = st_token_sign(k, "login", 42, 0, 2000000000, tok), i, j;
	int accepted = 0, truncated_ok = 1;
	unsigned char s2[40];

	/* Every single-character change of every position is refused. */
	for (i = 0; i < n; i++) {
		for (j = 0; chars[j]; j++) {
			if (chars[j] == tok[i])
				continue;
			memcpy(bad, tok, n + 1);
			bad[i] = chars[j];
			accepted += st_token_check(k, "login", bad, 0, NULL) == ST_TOKEN_OK;
		}
	}
	is_int(accepted, 0, "no altered token is accepted");
	/* Every cut is refused; a cut in the signature is truncated, not forged. */
	for (i = 0, accepted = 0; i < n; i++) {
		enum st_token_status s;

		memcpy(bad, tok, i);
		bad[i] = '\0';
		s = st_token_check(k, "login", bad, 0, NULL);
		accepted += s == ST_TOKEN_OK;
		if (i > 0 && s != ST_TOKEN_TRUNCATED) {
			truncated_ok = 0;
			diag("cut at %zu: '%s' is %d", i, bad, s);
		}
	}
	is_int(accepted, 0, "no truncated token is accepted");
	ok(truncated_ok, "a token cut short says truncated");
	is_int(st_token_check(k, "login", "", 0, NULL), ST_TOKEN_MALFORMED, "empty: not a token");
	snprintf(bad, sizeof(bad), "%s.", tok);
	is_int(st_token_check(k, "login", bad, 0, NULL), ST_TOKEN_MALFORMED, "a fifth field");
	snprintf(bad, sizeof(bad), "%sA", tok);
	is_int(st_token_check(k, "login", bad, 0, NULL), ST_TOKEN_MALFORMED, "a longer MAC");
	snprintf(bad, sizeof(bad), "0%s", tok);
	is_int(st_token_check(k, "login", bad, 0, NULL), ST_TOKEN_MALFORMED, "a leading zero");
	is_int(st_token_check(k, "login", "0.x2qxvk.0.xajWM3RwuFdEy1OTBVmC0Q", 0, NULL),
	    ST_TOKEN_MALFORMED, "contact 0");
	is_int(st_token_check(k, "login", "zzzzzzzzzzzzzz.1.0.xajWM3RwuFdEy1OTBVmC0Q", 0, NULL),
	    ST_TOKEN_MALFORMED, "a contact id past 2^63");
	is_int(st_token_check(k, "login", "9IX.x2qxvk.3.xajWM3RwuFdEy1OTBVmC0Q", 0, NULL),
	    ST_TOKEN_MALFORMED, "capitals in a number");
	is_int(st_token_check(k, "login", "a b", 0, NULL), ST_TOKEN_MALFORMED, "a blank");
	for (i = 0; i < sizeof(s2); i++)
		s2[i] = (unsigned char)(255 - i);
	other = st_token_key_new(s2, sizeof(s2), NULL);
	is_int(st_token_check(other, "login", tok, 0, NULL), ST_TOKEN_FORGED,
	    "another secret: forged");
	st_token_key_free(other);
	st_token_key_free(k);
}

static void
test_reasons(void)
{
	struct st_token_claims c = { 7, 1, 2000000000 };
	char why[200];

	st_token_reason(ST_TOKEN_EXPIRED, &c, why, sizeof(why));
	is_str(why, "expired at 2033-05-18T03:33:20Z", "reason: expired");
	st_token_reason(ST_TOKEN_REVOKED, &c, why, sizeof(why));
	is_str(why, "revoked: the tokens of contact 7 were revoked after it was made",
	    "reason: revoked");
	st_token_reason(ST_TOKEN_TRUNCATED, &c, why, sizeof(why));
	is_str(why, "truncated: the end of the token is missing", "reason: truncated");
	ok(st_token_purpose_valid("login") && st_token_purpose_valid("rsvp:cancel") &&
	    !st_token_purpose_valid("") && !st_token_purpose_valid("Login") &&
	    !st_token_purpose_valid("a b") && !st_token_purpose_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "purposes");
}

/* Write n bytes to a new file with mode; its name into path. */
static void
secret_file(char *path, size_t n, mode_t mode)
{
	char buf[64];
	int fd;

	snprintf(path, 64, "/tmp/t-token.XXXXXX");
	fd = mkstemp(path);
	memset(buf, 'k', sizeof(buf));
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n || fchmod(fd, mode) < 0)
		abort();
	close(fd);
}

static void
test_secret_file(void)
{
	struct st_error err = { 0 };
	struct st_token_key *k;
	char path[64];

	secret_file(path, 32, 0600);
	k = st_token_key_load(path, &err);
	ok(k != NULL, "a 32-byte secret of mode 600 is taken");
	st_token_key_free(k);
	chmod(path, 0640);
	ok(st_token_key_load(path, &err) == NULL && strstr(err.msg, "can be read or written by "
	    "group or others (mode 640)") && err.status == ST_EXIT_FAIL, "mode 640 is refused");
	chmod(path, 0604);
	ok(st_token_key_load(path, &err) == NULL, "mode 604 is refused");
	chmod(path, 0610);
	ok(st_token_key_load(path, &err) == NULL, "mode 610 is refused");
	unlink(path);
	secret_file(path, 31, 0600);
	ok(st_token_key_load(path, &err) == NULL && strstr(err.msg, "too short (31 bytes"),
	    "31 bytes are refused");
	unlink(path);
	ok(st_token_key_load(path, &err) == NULL && strstr(err.msg, "cannot open secret file"),
	    "a missing file is refused");
	ok(!strstr(err.msg, "kkkk"), "the message never holds the secret");
	setenv("ST_SECRET_FILE", "/x/y", 1);
	st_secret_path(path, sizeof(path), &err);
	is_str(path, "/x/y", "ST_SECRET_FILE names the file");
	unsetenv("ST_SECRET_FILE");
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	st_secret_path(path, sizeof(path), &err);
	is_str(path, "/cfg/st/secret", "else XDG_CONFIG_HOME");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	st_secret_path(path, sizeof(path), &err);
	is_str(path, "/home/u/.config/st/secret", "else ~/.config");
}

static void
test_database(void)
{
	struct st_error err = { 0 };
	struct st_token_key *k = test_key();
	struct st_token_minter *m;
	enum st_token_status s = ST_TOKEN_OK;
	char t1[ST_TOKEN_MAX], t2[ST_TOKEN_MAX], code[ST_CODE_LEN + 1], again[ST_CODE_LEN + 1];
	long gen = -1, owner = 0;
	sqlite3 *db;

	if (st_db_open(&db, "file:t-token?mode=memory", &err) < 0) {
		ok(0, "open an in-memory database: %s", err.msg);
		return;
	}
	st_db_exec(db, "INSERT INTO contacts(id, created_at, updated_at) VALUES (1, 'x', 'x'), "
	    "(2, 'x', 'x')", &err);
	m = st_token_minter_new(db, k, "login", 2000000000, &err);
	ok(m && st_token_mint(m, 1, t1, &err) > 0, "mint");
	ok(st_token_verify(db, k, "login", t1, 1000, NULL, &s, &err) == 0 && s == ST_TOKEN_OK,
	    "a minted token verifies");
	is_int(st_token_mint(m, 3, t2, &err), -1, "no token for a contact that does not exist");
	is_int(err.status, ST_EXIT_DATA, "... a data error");
	ok(st_token_revoke(db, 1, &gen, &err) == 0 && gen == 1, "revoke: generation 1");
	ok(st_token_verify(db, k, "login", t1, 1000, NULL, &s, &err) < 0 && s == ST_TOKEN_REVOKED &&
	    err.status == ST_EXIT_DATA && strncmp(err.msg, "token refused: revoked", 22) == 0,
	    "a token made before is revoked");
	ok(st_token_mint(m, 1, t2, &err) > 0 && st_token_verify(db, k, "login", t2, 1000, NULL,
	    &s, &err) == 0, "a token made after verifies");
	ok(st_token_verify(db, k, "login", t2, 2000000000, NULL, &s, &err) < 0 &&
	    s == ST_TOKEN_EXPIRED, "and expires");
	st_db_exec(db, "DELETE FROM contacts WHERE id = 1", &err);
	ok(st_token_verify(db, k, "login", t2, 1000, NULL, &s, &err) < 0 &&
	    s == ST_TOKEN_NO_CONTACT, "the contact is gone");
	ok(st_token_verify(db, k, "Bad Purpose", t2, 1000, NULL, &s, &err) < 0 &&
	    err.status == ST_EXIT_USAGE, "an invalid purpose is a usage error");
	st_token_minter_free(m);

	ok(st_code_get(db, 2, code, &err) == 1, "a code is issued");
	ok(st_code_get(db, 2, again, &err) == 0 && strcmp(code, again) == 0, "and kept");
	ok(st_code_get(db, 9, again, &err) < 0 && err.status == ST_EXIT_DATA,
	    "no code for a contact that does not exist");
	ok(st_code_owner(db, code, &owner, &err) == 1 && owner == 2, "the code's owner");
	is_int(st_code_owner(db, "ZZZZZZZ", &owner, &err), 0, "nobody has an unknown code");
	st_db_close(db);
	st_token_key_free(k);
}

static void
test_codes(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "K7QX2M4", "K7QX2M4" }, { "k7qx2m4", "K7QX2M4" }, { "k7q-x2m 4", "K7QX2M4" },
		{ "O0I1L00", "0011100" }, { "olilolo", "0111010" }, { "K7QX2M", NULL },
		{ "K7QX2M44", NULL }, { "K7QX2MU", NULL }, { "K7QX2M!", NULL }, { "", NULL },
	};
	char out[ST_CODE_LEN + 1];
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		int rc = st_code_normalize(t[i].in, out);

		if (t[i].want)
			ok(rc == 0 && strcmp(out, t[i].want) == 0, "code '%s' is '%s'", t[i].in,
			    t[i].want);
		else
			ok(rc < 0, "'%s' is not a code", t[i].in);
	}
}

static void
test_urls(void)
{
	static const struct {
		const char *base, *want;
	} t[] = {
		{ "https://ex.org", "https://ex.org?t=T&r=R" },
		{ "https://ex.org/", "https://ex.org/?t=T&r=R" },
		{ "https://ex.org/j?", "https://ex.org/j?t=T&r=R" },
		{ "https://ex.org/j?a=1", "https://ex.org/j?a=1&t=T&r=R" },
		{ "https://ex.org/j?a=1&", "https://ex.org/j?a=1&t=T&r=R" },
		{ "https://ex.org/j?r=old&a=1&t=old", "https://ex.org/j?a=1&t=T&r=R" },
		{ "https://ex.org/j?tt=1&rr=2&t", "https://ex.org/j?tt=1&rr=2&t=T&r=R" },
		{ "https://ex.org/j#top", "https://ex.org/j?t=T&r=R#top" },
		{ "https://ex.org/j?a=b#x?r=1&t=2", "https://ex.org/j?a=b&t=T&r=R#x?r=1&t=2" },
		{ "http://ex.org:8080/j?a=%20", "http://ex.org:8080/j?a=%20&t=T&r=R" },
		{ "ftp://ex.org", NULL }, { "https://", NULL }, { "https://ex.org/a b", NULL },
		{ "ex.org", NULL },
	};
	const char *names[] = { "t", "r" }, *values[] = { "T", "R" };
	const char *enames[] = { "a b" }, *evalues[] = { "x&y=z/é" };
	struct st_error err = { 0 };
	struct st_buf b = { 0 };
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		int rc;

		st_buf_reset(&b);
		rc = st_url_set_params(t[i].base, names, values, 2, &b, &err);
		if (t[i].want)
			ok(rc == 0 && strcmp(b.s, t[i].want) == 0, "'%s' gives '%s' (%s)", t[i].base,
			    t[i].want, rc == 0 ? b.s : err.msg);
		else
			ok(rc < 0 && err.status == ST_EXIT_USAGE, "'%s' is refused", t[i].base);
	}
	st_buf_reset(&b);
	st_url_set_params("https://ex.org/", enames, evalues, 1, &b, &err);
	is_str(b.s, "https://ex.org/?a%20b=x%26y%3Dz%2F%C3%A9", "names and values are encoded");
	st_buf_free(&b);
}

int
main(void)
{
	test_known_answers();
	test_alterations();
	test_reasons();
	test_secret_file();
	test_database();
	test_codes();
	test_urls();
	return done_testing();
}
