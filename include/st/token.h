/* Signed tokens for personalized links (log-in links, RSVP confirm and cancel
 * links, ...): HMAC-SHA256, with a secret kept outside the database, over a
 * contact id, a purpose, an expiry and the contact's token generation.
 *
 * A token is four fields joined by dots, URL-safe as it is:
 *     CONTACT.EXPIRES.GENERATION.MAC
 * the first three in lowercase base 36 (EXPIRES in seconds since the epoch),
 * MAC the first 16 bytes of HMAC-SHA256(secret, "st-token-v1" NUL PURPOSE NUL
 * CONTACT.EXPIRES.GENERATION) in unpadded base64url (22 characters). The
 * purpose is not in the token: a token made for one purpose is refused for
 * another. The contact id can be read from a token; nothing else can be
 * learnt or changed without the secret. */
#ifndef ST_TOKEN_H
#define ST_TOKEN_H

#include <sqlite3.h>
#include <stddef.h>
#include <time.h>

struct st_error;

#define ST_SECRET_MIN 32     /* bytes a secret must have at least */
#define ST_SECRET_MAX 4096   /* and at most */
#define ST_TOKEN_MAX 72      /* bytes a token and its NUL take at most */
#define ST_PURPOSE_MAX 64    /* bytes a purpose has at most */

struct st_token_key;

/* The secret file's path into out (n bytes): $ST_SECRET_FILE, else
 * $XDG_CONFIG_HOME/st/secret, else $HOME/.config/st/secret. Returns 0, or -1
 * with err when none can be named or it does not fit. */
int st_secret_path(char *out, size_t n, struct st_error *err);

/* Load the secret from the file path (NULL: st_secret_path's). Refused, with
 * a message naming the file and never the secret, when the file is missing,
 * is not a regular file, is not owned by the effective user, can be read or
 * written (or run) by its group or others, or holds fewer than ST_SECRET_MIN
 * or more than ST_SECRET_MAX bytes. All of the file's bytes are the key.
 * Returns the key, or NULL with err (ST_EXIT_FAIL). */
struct st_token_key *st_token_key_load(const char *path, struct st_error *err);

/* A key from len bytes of secret (at least ST_SECRET_MIN), copied; NULL with
 * err if it is too short or too long. */
struct st_token_key *st_token_key_new(const void *secret, size_t len, struct st_error *err);

/* Wipe and free k (NULL is fine). */
void st_token_key_free(struct st_token_key *k);

/* 1 if purpose can be used: 1 to ST_PURPOSE_MAX bytes of lowercase letters,
 * digits, '-', '_', '.' and ':' ("login", "rsvp:confirm"). */
int st_token_purpose_valid(const char *purpose);

/* Write the token for contact (> 0), generation (>= 0) and expires (> 0) to
 * out, made for purpose (valid), and return its length (0 if OpenSSL failed,
 * out of memory). No database. */
size_t st_token_sign(const struct st_token_key *k, const char *purpose, long contact,
    long generation, time_t expires, char out[ST_TOKEN_MAX]);

enum st_token_status {
	ST_TOKEN_OK,
	ST_TOKEN_MALFORMED,   /* not a token: characters or fields a token never has */
	ST_TOKEN_TRUNCATED,   /* the start of a token, with its end missing */
	ST_TOKEN_FORGED,      /* the signature does not match: altered, made with another
	                         secret, or for another purpose */
	ST_TOKEN_EXPIRED,
	ST_TOKEN_REVOKED,     /* the contact's tokens were revoked after it was made */
	ST_TOKEN_NO_CONTACT   /* the contact no longer exists */
};

/* What a token says. */
struct st_token_claims {
	long contact, generation;
	time_t expires;
};

/* Parse token and check its signature for purpose, then its expiry against
 * now, in that order, without the database (so neither revocation nor the
 * contact's existence is checked). *c (may be NULL) is filled once the
 * fields parse, even when the token is then refused. MACs are compared in
 * constant time; one that cannot be computed refuses the token as forged. */
enum st_token_status st_token_check(const struct st_token_key *k, const char *purpose,
    const char *token, time_t now, struct st_token_claims *c);

/* A one-line reason for a refusal, such as "expired at 2026-05-01T00:00:00Z"
 * (c as st_token_check filled it) into out (n bytes). */
void st_token_reason(enum st_token_status s, const struct st_token_claims *c, char *out,
    size_t n);

/* The whole check: st_token_check, then that the contact exists and that the
 * token's generation is the contact's current one. Returns 0 and *c when the
 * token is good; else -1 with *status (may be NULL) saying why and err holding
 * "token refused: REASON" (ST_EXIT_DATA), or another error (an invalid purpose:
 * ST_EXIT_USAGE; the database). */
int st_token_verify(sqlite3 *db, const struct st_token_key *k, const char *purpose,
    const char *token, time_t now, struct st_token_claims *c, enum st_token_status *status,
    struct st_error *err);

/* Revoke every token of contact made so far (its generation goes up by one);
 * *generation (may be NULL) gets the new one. ST_EXIT_DATA if there is no such
 * contact. */
int st_token_revoke(sqlite3 *db, long contact, long *generation, struct st_error *err);

/* Minting many tokens for one purpose and expiry, with the contacts' current
 * generations read through one prepared statement. */
struct st_token_minter;

/* A minter for purpose (valid, else ST_EXIT_USAGE) and expires; NULL and err
 * on failure. k must outlive it. */
struct st_token_minter *st_token_minter_new(sqlite3 *db, const struct st_token_key *k,
    const char *purpose, time_t expires, struct st_error *err);

/* The token for contact into out; returns its length, or -1 with err
 * (ST_EXIT_DATA when there is no such contact). */
int st_token_mint(struct st_token_minter *m, long contact, char out[ST_TOKEN_MAX],
    struct st_error *err);

void st_token_minter_free(struct st_token_minter *m);

#endif
