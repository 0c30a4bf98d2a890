#include <string.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/url.h"
#include "st/util.h"

int
st_url_check(const char *base, struct st_error *err)
{
	const char *host, *p;

	if (strncmp(base, "https://", 8) == 0)
		host = base + 8;
	else if (strncmp(base, "http://", 7) == 0)
		host = base + 7;
	else
		return st_error_set(err, ST_EXIT_USAGE, "invalid base URL '%s' (want http:// or "
		    "https://)", base);
	if (strchr("/?#:", *host) != NULL)
		return st_error_set(err, ST_EXIT_USAGE, "invalid base URL '%s': no host", base);
	for (p = base; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return st_error_set(err, ST_EXIT_USAGE, "invalid base URL '%s': blanks or "
			    "control characters", base);
	return 0;
}

/* s, percent-encoded except for RFC 3986's unreserved characters. */
static void
add_encoded(struct st_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			st_buf_addc(b, c);
		} else {
			st_buf_addc(b, '%');
			st_buf_addc(b, hex[c >> 4]);
			st_buf_addc(b, hex[c & 15]);
		}
	}
}

/* 1 if the parameter p[0..len) ("name" or "name=value") is named one of names. */
static int
named(const char *p, size_t len, const char *const *names, size_t n, struct st_buf *tmp)
{
	const char *eq = memchr(p, '=', len);
	size_t nlen = eq ? (size_t)(eq - p) : len, i;

	for (i = 0; i < n; i++) {
		st_buf_reset(tmp);
		add_encoded(tmp, names[i]);
		if (tmp->len == nlen && memcmp(tmp->s, p, nlen) == 0)
			return 1;
	}
	return 0;
}

int
st_url_set_params(const char *base, const char *const *names, const char *const *values,
    size_t n, struct st_buf *out, struct st_error *err)
{
	const char *frag, *q, *p, *end;
	struct st_buf tmp = { 0 };
	int any = 0;
	size_t i;

	if (st_url_check(base, err) < 0)
		return -1;
	frag = base + strcspn(base, "#");
	q = memchr(base, '?', (size_t)(frag - base));
	st_buf_add(out, base, (size_t)((q ? q : frag) - base));
	st_buf_addc(out, '?');
	/* Keep the query's other parameters as they are; drop empty ones ("&&"). */
	for (p = q ? q + 1 : frag; p < frag; p = end + 1) {
		end = memchr(p, '&', (size_t)(frag - p));
		if (end == NULL)
			end = frag;
		if (end == p || named(p, (size_t)(end - p), names, n, &tmp))
			continue;
		if (any++)
			st_buf_addc(out, '&');
		st_buf_add(out, p, (size_t)(end - p));
	}
	for (i = 0; i < n; i++) {
		if (any++)
			st_buf_addc(out, '&');
		add_encoded(out, names[i]);
		st_buf_addc(out, '=');
		add_encoded(out, values[i]);
	}
	if (!any)
		out->s[--out->len] = '\0';   /* no parameters after all: no '?' */
	st_buf_adds(out, frag);
	st_buf_free(&tmp);
	return 0;
}
