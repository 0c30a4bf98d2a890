#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/outbox.h"
#include "st/smtp.h"
#include "st/util.h"

struct smtp {
	struct st_transport t;   /* first, so a transport is an smtp */
	char *url, *user, *password, *ca_file;
	int starttls;
	long timeout;
	CURL *curl;
	struct st_delivery *done;
	size_t ndone, cap;
};

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_body(char *buf, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t take = size * n < r->left ? size * n : r->left;

	memcpy(buf, r->p, take);
	r->p += take;
	r->left -= take;
	return take;
}

static struct st_delivery *
slot(struct smtp *s, long id)
{
	struct st_delivery *d;

	if (s->ndone == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->done = st_xrealloc(s->done, s->cap * sizeof(*s->done));
	}
	d = &s->done[s->ndone++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	return d;
}

static int
smtp_submit(struct st_transport *t, const struct st_outmsg *m, struct st_error *err)
{
	struct smtp *s = (struct smtp *)t;
	struct st_delivery *d = slot(s, m->id);
	struct curl_slist *rcpt = NULL;
	struct reader r = { m->body, strlen(m->body) };
	char from[320], to[320];
	long code = 0;
	CURLcode rc;

	(void)err;
	snprintf(from, sizeof(from), "<%s>", m->from);
	snprintf(to, sizeof(to), "<%s>", m->to);
	rcpt = curl_slist_append(rcpt, to);
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &r);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r.left);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (s->starttls)
		curl_easy_setopt(s->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (s->ca_file)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, s->ca_file);
	if (s->user) {
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	d->error_code = (int)code;
	if (rc == CURLE_OK) {
		d->kind = ST_DLV_SENT;
		snprintf(d->provider_id, sizeof(d->provider_id), "smtp-%ld", m->id);
		snprintf(d->status, sizeof(d->status), "accepted");
		return 0;
	}
	snprintf(d->error, sizeof(d->error), "%s (SMTP %ld)", curl_easy_strerror(rc), code);
	if (rc == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535 ||
	    rc == CURLE_USE_SSL_FAILED || rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM) {
		/* Refused credentials, no TLS where it is required, a certificate that
		 * does not verify: no message can go until the settings are fixed, and
		 * none is to blame, so it goes back to the queue and the run stops. */
		d->kind = ST_DLV_RETRY;
		d->fatal = 1;
	} else if (code >= 500) {
		d->kind = ST_DLV_REJECTED;
		d->reason = code == 550 || code == 551 || code == 553 ? ST_REJ_INVALID : ST_REJ_OTHER;
	} else if (code >= 400 || code == 0) {
		/* A timeout once the body went out may have been taken. */
		d->kind = rc == CURLE_OPERATION_TIMEDOUT && r.left == 0 ? ST_DLV_UNKNOWN : ST_DLV_RETRY;
	} else {
		d->kind = ST_DLV_RETRY;
	}
	return 0;
}

static int
smtp_wait(struct st_transport *t, int timeout_ms, struct st_delivery *d, int max,
    struct st_error *err)
{
	struct smtp *s = (struct smtp *)t;
	int n = 0;

	(void)timeout_ms;
	(void)err;
	while (n < max && s->ndone > 0) {
		d[n++] = s->done[0];
		memmove(s->done, s->done + 1, --s->ndone * sizeof(*s->done));
	}
	return n;
}

static int
smtp_inflight(struct st_transport *t)
{
	return (int)((struct smtp *)t)->ndone;
}

static int
smtp_find(struct st_transport *t, const struct st_outmsg *m, time_t since, struct st_delivery *d,
    struct st_error *err)
{
	(void)t, (void)m, (void)since, (void)d, (void)err;
	return 0;
}

static void
smtp_free(struct st_transport *t)
{
	struct smtp *s = (struct smtp *)t;

	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	if (s->password) {
		volatile char *p = s->password;

		while (*p)
			*p++ = '\0';
	}
	free(s->url);
	free(s->user);
	free(s->password);
	free(s->ca_file);
	free(s->done);
	free(s);
}

struct st_transport *
st_smtp_transport_new(const struct st_smtp_config *c, struct st_error *err)
{
	struct smtp *s;

	if (!c->url || (strncmp(c->url, "smtp://", 7) != 0 && strncmp(c->url, "smtps://", 8) != 0)) {
		st_error_set(err, ST_EXIT_USAGE, "invalid SMTP URL '%s' (smtp:// or smtps://)",
		    c->url ? c->url : "");
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s = st_xcalloc(1, sizeof(*s));
	if ((s->curl = curl_easy_init()) == NULL) {
		free(s);
		st_error_set(err, ST_EXIT_FAIL, "cannot start libcurl");
		return NULL;
	}
	s->url = st_xstrdup(c->url);
	s->user = c->user && *c->user ? st_xstrdup(c->user) : NULL;
	s->password = c->password ? st_xstrdup(c->password) : NULL;
	s->ca_file = c->ca_file ? st_xstrdup(c->ca_file) : NULL;
	s->starttls = c->starttls;
	s->timeout = c->timeout > 0 ? c->timeout : 60;
	s->t.name = "smtp";
	s->t.channels = ST_CH_EMAIL;
	s->t.parallel = 1;
	s->t.submit = smtp_submit;
	s->t.wait = smtp_wait;
	s->t.inflight = smtp_inflight;
	s->t.find = smtp_find;
	s->t.free = smtp_free;
	return &s->t;
}
