/* Twilio's Messages API over libcurl. */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/outbox.h"
#include "st/twilio.h"
#include "st/tz.h"
#include "st/util.h"

#define DEFAULT_BASE "https://api.twilio.com"

/* One request in flight, or an idle handle kept for its connection. */
struct req {
	CURL *h;
	long id;
	struct st_buf body;
	double retry_after;
	struct req *next;    /* the idle list */
};

struct twilio {
	struct st_transport t;   /* first, so a transport is a twilio */
	CURLM *multi;
	char *url, *sid, *token, *callback;
	long timeout_ms;
	struct req *idle;
	int running;             /* handles added to multi */
	struct st_delivery *done;
	size_t ndone, cap;
};

static void
curl_once(void)
{
	static int done;

	if (!done++)
		curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct st_buf *b = ctx;

	/* A Messages response is small; refuse anything absurd. */
	if (b->len + size * n > 4 << 20)
		return 0;
	st_buf_add(b, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct req *r = ctx;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[32];
		long secs;
		size_t k = 12, m = 0;

		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		while (k < len && m < sizeof(v) - 1 && isdigit((unsigned char)p[k]))
			v[m++] = p[k++];
		v[m] = '\0';
		/* Seconds only; an HTTP date falls back to the backoff. */
		if (st_parse_long(v, 0, 86400, &secs) == 0)
			r->retry_after = (double)secs;
	}
	return len;
}

static void
setup(CURL *h, const char *sid, const char *token, long timeout_ms)
{
	curl_easy_setopt(h, CURLOPT_USERNAME, sid);
	curl_easy_setopt(h, CURLOPT_PASSWORD, token);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "st-text/0.1");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
}

static void
add_field(struct st_buf *b, const char *k, const char *v)
{
	char *e = curl_easy_escape(NULL, v, 0);

	if (b->len)
		st_buf_addc(b, '&');
	st_buf_adds(b, k);
	st_buf_addc(b, '=');
	st_buf_adds(b, e);
	curl_free(e);
}

static int
tw_submit(struct st_transport *t, const struct st_outmsg *m, struct st_error *err)
{
	struct twilio *tw = (struct twilio *)t;
	struct st_buf form = { 0 };
	struct req *r = tw->idle;

	if (r) {
		tw->idle = r->next;
	} else {
		r = st_xcalloc(1, sizeof(*r));
		if ((r->h = curl_easy_init()) == NULL) {
			free(r);
			return st_error_set(err, ST_EXIT_FAIL, "cannot start an HTTP request");
		}
		setup(r->h, tw->sid, tw->token, tw->timeout_ms);
		curl_easy_setopt(r->h, CURLOPT_URL, tw->url);
		curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body);
		curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r);
		curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	}
	r->id = m->id;
	r->retry_after = 0;
	st_buf_reset(&r->body);
	add_field(&form, "To", m->to);
	add_field(&form, "From", m->from);
	add_field(&form, "Body", m->body);
	if (tw->callback)
		add_field(&form, "StatusCallback", tw->callback);
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, (long)form.len);
	curl_easy_setopt(r->h, CURLOPT_COPYPOSTFIELDS, form.s);
	st_buf_free(&form);
	if (curl_multi_add_handle(tw->multi, r->h) != CURLM_OK) {
		r->next = tw->idle;
		tw->idle = r;
		return st_error_set(err, ST_EXIT_FAIL, "cannot start an HTTP request");
	}
	tw->running++;
	return 0;
}

/* Twilio's error codes that are about the recipient: the message is refused for good. */
static enum st_reject_reason
recipient_error(long code, int *is_recipient)
{
	*is_recipient = 1;
	switch (code) {
	case 21610: return ST_REJ_OPTED_OUT;     /* unsubscribed recipient */
	case 21211: return ST_REJ_INVALID;       /* invalid 'To' number */
	case 21614: return ST_REJ_LANDLINE;      /* 'To' is not a mobile number */
	case 21612: return ST_REJ_OTHER;         /* cannot route to this number */
	case 21408: return ST_REJ_OTHER;         /* no permission for the region */
	default: *is_recipient = 0; return ST_REJ_OTHER;
	}
}

/* Classify a finished request. */
static void
classify(struct twilio *tw, struct req *r, CURLcode cc, struct st_delivery *d)
{
	long http = 0;
	json_t *o = NULL;

	memset(d, 0, sizeof(*d));
	d->id = r->id;
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &http);
	if (cc != CURLE_OK) {
		/* Refused or never connected: nothing reached the provider. */
		int not_sent = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
		    cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_SSL_CONNECT_ERROR;

		d->kind = not_sent ? ST_DLV_RETRY : ST_DLV_UNKNOWN;
		snprintf(d->error, sizeof(d->error), "%s", curl_easy_strerror(cc));
		return;
	}
	d->error_code = (int)http;
	if (r->body.len)
		o = json_loadb(r->body.s, r->body.len, 0, NULL);
	if (http >= 200 && http < 300) {
		const char *sid = json_string_value(json_object_get(o, "sid"));
		const char *status = json_string_value(json_object_get(o, "status"));

		if (sid && *sid && strlen(sid) < sizeof(d->provider_id)) {
			d->kind = ST_DLV_SENT;
			d->error_code = 0;
			snprintf(d->provider_id, sizeof(d->provider_id), "%s", sid);
			snprintf(d->status, sizeof(d->status), "%s", status ? status : "");
		} else {
			d->kind = ST_DLV_UNKNOWN;
			snprintf(d->error, sizeof(d->error), "HTTP %ld without a message sid", http);
		}
	} else if (http == 429 || http == 503) {
		d->kind = ST_DLV_RETRY;
		d->retry_after = r->retry_after;
		snprintf(d->error, sizeof(d->error), "HTTP %ld%s", http, http == 429 ?
		    " too many requests" : " service unavailable");
	} else if (http >= 500) {
		/* It may have been created before the error: ask before resending. */
		d->kind = ST_DLV_UNKNOWN;
		snprintf(d->error, sizeof(d->error), "HTTP %ld", http);
	} else {
		long code = (long)json_integer_value(json_object_get(o, "code"));
		const char *msg = json_string_value(json_object_get(o, "message"));
		int mine;

		d->reason = recipient_error(code, &mine);
		d->kind = mine ? ST_DLV_REJECTED : ST_DLV_RETRY;
		d->error_code = code ? (int)code : (int)http;
		d->fatal = !mine;
		snprintf(d->error, sizeof(d->error), "HTTP %ld%s%s", http, msg ? ": " : "",
		    msg ? msg : "");
	}
	json_decref(o);
	(void)tw;
}

/* Move finished requests into d (up to max, past n), holding the rest. */
static int
drain(struct twilio *tw, struct st_delivery *d, int n, int max)
{
	CURLMsg *msg;
	int left;

	while (tw->ndone && n < max) {
		d[n++] = tw->done[0];
		memmove(tw->done, tw->done + 1, --tw->ndone * sizeof(*tw->done));
	}
	while ((msg = curl_multi_info_read(tw->multi, &left)) != NULL) {
		struct req *r = NULL;
		struct st_delivery one;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		classify(tw, r, msg->data.result, &one);
		curl_multi_remove_handle(tw->multi, r->h);
		tw->running--;
		r->next = tw->idle;
		tw->idle = r;
		if (n < max) {
			d[n++] = one;
		} else {
			if (tw->ndone == tw->cap) {
				tw->cap = tw->cap ? tw->cap * 2 : 64;
				tw->done = st_xrealloc(tw->done, tw->cap * sizeof(*tw->done));
			}
			tw->done[tw->ndone++] = one;
		}
	}
	return n;
}

static int
tw_wait(struct st_transport *t, int timeout_ms, struct st_delivery *d, int max,
    struct st_error *err)
{
	struct twilio *tw = (struct twilio *)t;
	int still, n;

	if (tw->running == 0)
		return drain(tw, d, 0, max);
	if (curl_multi_perform(tw->multi, &still) != CURLM_OK)
		return st_error_set(err, ST_EXIT_FAIL, "HTTP transfer failed");
	n = drain(tw, d, 0, max);
	if (n == 0 && timeout_ms > 0) {
		curl_multi_poll(tw->multi, NULL, 0, timeout_ms, NULL);
		if (curl_multi_perform(tw->multi, &still) != CURLM_OK)
			return st_error_set(err, ST_EXIT_FAIL, "HTTP transfer failed");
		n = drain(tw, d, 0, max);
	}
	return n;
}

static int
tw_inflight(struct st_transport *t)
{
	struct twilio *tw = (struct twilio *)t;

	return tw->running + (int)tw->ndone;
}

/* RFC 2822 dates as Twilio writes them: "Thu, 24 Aug 2023 05:01:45 +0000". */
static time_t
rfc2822(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	int d, y, H, M, S, off = 0;
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (s == NULL)
		return 0;
	if ((p = strchr(s, ',')) != NULL)
		s = p + 1;
	if (sscanf(s, " %d %3s %d %d:%d:%d %d", &d, mon, &y, &H, &M, &S, &off) < 6)
		return 0;
	if ((p = strstr(months, mon)) == NULL || (p - months) % 3)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = (int)(p - months) / 3;
	tm.tm_mday = d;
	tm.tm_hour = H;
	tm.tm_min = M;
	tm.tm_sec = S;
	t = timegm(&tm);
	return t - (off / 100 * 3600 + (off % 100) * 60);
}

/* GET url into b; the HTTP status in *http. */
static int
get(CURL *h, const char *url, struct st_buf *b, long *http, struct st_error *err)
{
	CURLcode cc;

	st_buf_reset(b);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if ((cc = curl_easy_perform(h)) != CURLE_OK)
		return st_error_set(err, ST_EXIT_TEMP, "cannot list messages at the provider: %s",
		    curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
	if (*http == 429 || *http >= 500)
		return st_error_set(err, ST_EXIT_TEMP, "cannot list messages at the provider: HTTP %ld",
		    *http);
	if (*http != 200)
		return st_error_set(err, ST_EXIT_FAIL, "cannot list messages at the provider: HTTP %ld",
		    *http);
	return 0;
}

int
st_twilio_list(const struct st_twilio_conf *c, const char *to, const char *from,
    time_t sent_after, time_t since, int (*fn)(void *ctx, const struct st_twilio_msg *m),
    void *ctx, struct st_error *err)
{
	const char *base = c->base_url && *c->base_url ? c->base_url : DEFAULT_BASE;
	struct st_buf url = { 0 }, body = { 0 }, q = { 0 };
	struct req hdr = { 0 };
	CURL *h;
	int rc = 0, stop = 0;
	long http = 0, pages = 0;

	curl_once();
	if (c->sid == NULL || c->token == NULL)
		return st_error_set(err, ST_EXIT_USAGE, "no Twilio account: set TWILIO_ACCOUNT_SID "
		    "and TWILIO_AUTH_TOKEN, or the config file");
	if ((h = curl_easy_init()) == NULL)
		return st_error_set(err, ST_EXIT_FAIL, "cannot start an HTTP request");
	setup(h, c->sid, c->token, c->timeout_ms > 0 ? c->timeout_ms : 30000);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hdr);
	if (to)
		add_field(&q, "To", to);
	if (from)
		add_field(&q, "From", from);
	if (sent_after) {
		char when[21];

		st_time_utc(sent_after, when);
		add_field(&q, "DateSent>", when);
	}
	add_field(&q, "PageSize", "100");
	st_buf_printf(&url, "%s/2010-04-01/Accounts/%s/Messages.json?%s", base, c->sid, q.s);
	while (!stop && rc == 0) {
		json_t *o, *msgs, *m;
		const char *next;
		size_t i;

		if ((rc = get(h, url.s, &body, &http, err)) < 0)
			break;
		o = json_loadb(body.s ? body.s : "", body.len, 0, NULL);
		msgs = json_object_get(o, "messages");
		if (!json_is_array(msgs)) {
			json_decref(o);
			rc = st_error_set(err, ST_EXIT_FAIL, "the provider's message list is not one");
			break;
		}
		json_array_foreach(msgs, i, m) {
			struct st_twilio_msg tm;

			tm.sid = json_string_value(json_object_get(m, "sid"));
			tm.from = json_string_value(json_object_get(m, "from"));
			tm.to = json_string_value(json_object_get(m, "to"));
			tm.body = json_string_value(json_object_get(m, "body"));
			tm.status = json_string_value(json_object_get(m, "status"));
			tm.direction = json_string_value(json_object_get(m, "direction"));
			tm.error_message = json_string_value(json_object_get(m, "error_message"));
			tm.error_code = (long)json_integer_value(json_object_get(m, "error_code"));
			tm.date_created = rfc2822(json_string_value(json_object_get(m, "date_created")));
			tm.date_sent = rfc2822(json_string_value(json_object_get(m, "date_sent")));
			if (tm.sid == NULL)
				continue;
			if (since && tm.date_created && tm.date_created < since) {
				stop = 1;
				break;
			}
			if (fn(ctx, &tm) != 0) {
				stop = 1;
				break;
			}
		}
		next = json_string_value(json_object_get(o, "next_page_uri"));
		/* next_page_uri is a path of the API on its host; anything else, or the page
		 * just read, ends the list. */
		if (next && strncmp(next, "/2010-04-01/", 12) == 0 && !stop &&
		    strcmp(url.s + strlen(base), next) != 0 && ++pages < 100000) {
			st_buf_reset(&url);
			st_buf_printf(&url, "%s%s", base, next);
		} else {
			stop = 1;
		}
		json_decref(o);
	}
	curl_easy_cleanup(h);
	st_buf_free(&url);
	st_buf_free(&body);
	st_buf_free(&q);
	return rc;
}

struct finding {
	const struct st_outmsg *m;
	struct st_delivery *d;
	int found;
};

static int
match(void *ctx, const struct st_twilio_msg *tm)
{
	struct finding *f = ctx;

	if (tm->direction && strncmp(tm->direction, "outbound", 8) != 0)
		return 0;
	if (tm->body == NULL || strcmp(tm->body, f->m->body) != 0)
		return 0;
	f->found = 1;
	f->d->kind = ST_DLV_SENT;
	f->d->id = f->m->id;
	snprintf(f->d->provider_id, sizeof(f->d->provider_id), "%s", tm->sid);
	snprintf(f->d->status, sizeof(f->d->status), "%s", tm->status ? tm->status : "");
	return 1;
}

static int
tw_find(struct st_transport *t, const struct st_outmsg *m, time_t since, struct st_delivery *d,
    struct st_error *err)
{
	struct twilio *tw = (struct twilio *)t;
	struct st_twilio_conf c = { 0 };
	struct finding f = { m, d, 0 };
	char *base = st_xstrndup(tw->url, strstr(tw->url, "/2010-04-01/") - tw->url);

	c.base_url = base;
	c.sid = tw->sid;
	c.token = tw->token;
	c.timeout_ms = tw->timeout_ms;
	/* Not by DateSent: a message the provider still queues has none yet. */
	if (st_twilio_list(&c, m->to, m->from, 0, since, match, &f, err) < 0) {
		free(base);
		if (err->status != ST_EXIT_TEMP)
			err->status = ST_EXIT_TEMP;
		return -1;
	}
	free(base);
	return f.found;
}

static void
tw_free(struct st_transport *t)
{
	struct twilio *tw = (struct twilio *)t;
	struct req *r, *next;

	if (tw == NULL)
		return;
	for (r = tw->idle; r; r = next) {
		next = r->next;
		curl_easy_cleanup(r->h);
		st_buf_free(&r->body);
		free(r);
	}
	curl_multi_cleanup(tw->multi);
	free(tw->url);
	free(tw->sid);
	if (tw->token) {
		OPENSSL_cleanse(tw->token, strlen(tw->token));
		free(tw->token);
	}
	free(tw->callback);
	free(tw->done);
	free(tw);
}

struct st_transport *
st_twilio_transport_new(const struct st_twilio_conf *c, struct st_error *err)
{
	struct twilio *tw;
	const char *base = c->base_url && *c->base_url ? c->base_url : DEFAULT_BASE;
	struct st_buf url = { 0 };

	if (c->sid == NULL || *c->sid == '\0' || c->token == NULL || *c->token == '\0') {
		st_error_set(err, ST_EXIT_USAGE, "no Twilio account: set TWILIO_ACCOUNT_SID and "
		    "TWILIO_AUTH_TOKEN, or the config file");
		return NULL;
	}
	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
		st_error_set(err, ST_EXIT_USAGE, "invalid Twilio base URL '%s'", base);
		return NULL;
	}
	curl_once();
	tw = st_xcalloc(1, sizeof(*tw));
	tw->t.name = "twilio";
	tw->t.channels = ST_CH_SMS | ST_CH_WHATSAPP;
	tw->t.parallel = c->parallel > 0 ? c->parallel : 8;
	tw->t.submit = tw_submit;
	tw->t.wait = tw_wait;
	tw->t.inflight = tw_inflight;
	tw->t.find = tw_find;
	tw->t.free = tw_free;
	tw->multi = curl_multi_init();
	curl_multi_setopt(tw->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)tw->t.parallel);
	curl_multi_setopt(tw->multi, CURLMOPT_MAXCONNECTS, (long)tw->t.parallel);
	/* A trailing slash would double the path's. */
	st_buf_adds(&url, base);
	while (url.len && url.s[url.len - 1] == '/')
		url.s[--url.len] = '\0';
	st_buf_printf(&url, "/2010-04-01/Accounts/%s/Messages.json", c->sid);
	tw->url = url.s;
	tw->sid = st_xstrdup(c->sid);
	tw->token = st_xstrdup(c->token);
	tw->callback = c->status_callback ? st_xstrdup(c->status_callback) : NULL;
	tw->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
	return &tw->t;
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

static char *
decode(const char *s, size_t len)
{
	char *out = st_xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int a = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int b = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;

			if (a < 0 || b < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(a * 16 + b);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	if (strlen(out) != (size_t)(o - out)) {   /* a %00 */
		free(out);
		return NULL;
	}
	return out;
}

int
st_form_parse(const char *body, size_t len, struct st_param **out, size_t *n)
{
	size_t i = 0;

	*out = NULL;
	*n = 0;
	while (i < len) {
		size_t end = i, eq;
		char *k, *v;

		while (end < len && body[end] != '&')
			end++;
		for (eq = i; eq < end && body[eq] != '='; eq++)
			;
		if (end > i) {
			k = decode(body + i, eq - i);
			v = eq < end ? decode(body + eq + 1, end - eq - 1) : st_xstrdup("");
			if (k == NULL || v == NULL) {
				free(k);
				free(v);
				st_params_free(*out, *n);
				*out = NULL;
				*n = 0;
				return -1;
			}
			*out = st_xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[*n].key = k;
			(*out)[(*n)++].value = v;
		}
		i = end + 1;
	}
	return 0;
}

void
st_params_free(struct st_param *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

const char *
st_param_get(const struct st_param *p, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

static int
by_key(const void *a, const void *b)
{
	const struct st_param *x = *(const struct st_param *const *)a;
	const struct st_param *y = *(const struct st_param *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

void
st_twilio_signature(const char *token, const char *url, const struct st_param *p, size_t n,
    char out[29])
{
	const struct st_param **sorted = st_xcalloc(n + 1, sizeof(*sorted));
	struct st_buf b = { 0 };
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sorted[i] = &p[i];
	qsort(sorted, n, sizeof(*sorted), by_key);
	st_buf_adds(&b, url);
	/* As Twilio's own libraries do: a parameter repeated with the same value counts once. */
	for (i = 0; i < n; i++) {
		if (i > 0 && by_key(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		st_buf_adds(&b, sorted[i]->key);
		st_buf_adds(&b, sorted[i]->value);
	}
	HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)(b.s ? b.s : ""), b.len,
	    mac, &maclen);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	st_buf_free(&b);
	free(sorted);
}

int
st_twilio_signature_ok(const char *token, const char *url, const struct st_param *p, size_t n,
    const char *sig)
{
	char want[29];

	if (sig == NULL || strlen(sig) != 28)
		return 0;
	st_twilio_signature(token, url, p, n, want);
	return CRYPTO_memcmp(want, sig, 28) == 0;
}
