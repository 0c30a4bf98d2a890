/* Twilio's Messages API (2010-04-01) over libcurl: the SMS and WhatsApp
 * transport of the outbox, the message list (reconciliation and sync), and
 * webhook signatures. */
#ifndef ST_TWILIO_H
#define ST_TWILIO_H

#include <stddef.h>
#include <time.h>

struct st_error;
struct st_transport;

struct st_twilio_conf {
	const char *base_url;      /* NULL: https://api.twilio.com */
	const char *sid;           /* the account SID (AC...) */
	const char *token;         /* the auth token: never printed, never stored */
	const char *status_callback;  /* a URL for delivery statuses, or NULL */
	long timeout_ms;           /* per request; 0: 30000 */
	int parallel;              /* connections kept alive; 0: 8 */
};

/* A transport that posts to /2010-04-01/Accounts/{sid}/Messages.json with the
 * form fields To, From, Body (and StatusCallback) and Basic auth, through the
 * curl multi interface over parallel keep-alive HTTP/1.1 connections. 429 and
 * 503 are retried; other 5xx and timeouts are reconciled first; 21610, 21211,
 * 21612, 21614 and 21408 reject the message; other 4xx (credentials, a bad
 * sending number, a malformed request) stop the run. NULL and err if the
 * configuration lacks the SID or token. */
struct st_transport *st_twilio_transport_new(const struct st_twilio_conf *c,
    struct st_error *err);

/* A message as the list returns it. */
struct st_twilio_msg {
	const char *sid, *from, *to, *body, *status, *direction, *error_message;
	long error_code;            /* 0 if none */
	time_t date_created, date_sent;   /* 0 if null */
};

/* Call fn for each message of the account to `to` and/or from `from` (NULL:
 * any), newest first, following next_page_uri, until fn returns non-zero or
 * a message was created before since (0: no limit) or the list ends. Only
 * messages sent on or after sent_after are asked for when it is not 0
 * (DateSent>). Returns 0, or -1 and err (ST_EXIT_TEMP for network trouble,
 * 429 and 5xx). */
int st_twilio_list(const struct st_twilio_conf *c, const char *to, const char *from,
    time_t sent_after, time_t since, int (*fn)(void *ctx, const struct st_twilio_msg *m),
    void *ctx, struct st_error *err);

/* A form parameter. */
struct st_param {
	char *key, *value;
};

/* Parse an application/x-www-form-urlencoded body into *out (n of them,
 * decoded); free with st_params_free. Returns 0, or -1 (invalid encoding). */
int st_form_parse(const char *body, size_t len, struct st_param **out, size_t *n);
void st_params_free(struct st_param *p, size_t n);

/* The value of key in p, or NULL. */
const char *st_param_get(const struct st_param *p, size_t n, const char *key);

/* X-Twilio-Signature of a request: base64 of HMAC-SHA1, keyed with the auth
 * token, over the URL followed by each parameter's name and value, sorted by
 * name (then value; a pair repeated counts once). out holds 29 bytes. */
void st_twilio_signature(const char *token, const char *url, const struct st_param *p,
    size_t n, char out[29]);

/* 1 if sig is the signature of the request, compared in constant time; else 0. */
int st_twilio_signature_ok(const char *token, const char *url, const struct st_param *p,
    size_t n, const char *sig);

#endif
