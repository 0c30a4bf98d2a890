#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st/util.h"

static void
oom(void)
{
	fputs("st: out of memory\n", stderr);
	abort();
}

void *
st_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
st_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
st_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
st_xstrndup(const char *s, size_t n)
{
	char *p = st_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
st_xstrdup(const char *s)
{
	return st_xstrndup(s, strlen(s));
}

void
st_buf_grow(struct st_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 64;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->s = st_xrealloc(b->s, b->cap);
}

void
st_buf_add(struct st_buf *b, const void *p, size_t n)
{
	st_buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
st_buf_adds(struct st_buf *b, const char *s)
{
	st_buf_add(b, s, strlen(s));
}

void
st_buf_addc(struct st_buf *b, int c)
{
	if (b->len + 2 > b->cap)
		st_buf_grow(b, 1);
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
}

void
st_buf_printf(struct st_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	st_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
st_buf_reset(struct st_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void
st_buf_free(struct st_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int
st_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
st_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *e = s + len;

	while (s < e) {
		unsigned c = *s;
		size_t n;
		unsigned cp, i;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(e - s) <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Windows-1252 0x80..0x9f; 0 marks the five undefined bytes, which are kept
 * as the C1 control of the same value, as Latin-1 reads them. */
static const unsigned short cp1252_hi[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

void
st_cp1252_to_utf8(struct st_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	st_buf_grow(b, len * 3);
	for (i = 0; i < len; i++) {
		unsigned cp = s[i];
		char *o = b->s + b->len;

		if (cp >= 0x80 && cp < 0xa0 && cp1252_hi[cp - 0x80])
			cp = cp1252_hi[cp - 0x80];
		if (cp < 0x80) {
			o[0] = (char)cp;
			b->len += 1;
		} else if (cp < 0x800) {
			o[0] = (char)(0xc0 | (cp >> 6));
			o[1] = (char)(0x80 | (cp & 0x3f));
			b->len += 2;
		} else {
			o[0] = (char)(0xe0 | (cp >> 12));
			o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			o[2] = (char)(0x80 | (cp & 0x3f));
			b->len += 3;
		}
	}
	b->s[b->len] = '\0';
}

/* Little-endian load of n <= 8 bytes. */
static uint64_t
load_le(const unsigned char *s, size_t n)
{
	uint64_t w = 0;
	size_t i;

	if (n == 8) {
		memcpy(&w, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		return w;
	}
	for (i = 0; i < n; i++)
		w |= (uint64_t)s[i] << (8 * i);
	return w;
}

/* Mix a word into h: the multiply carries each bit upwards, the fold brings
 * the high half down, so every bit of w reaches every bit of the result. */
static uint64_t
hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

uint64_t
st_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (n == 0)
		return h;
	for (; n > 8; s += 8, n -= 8)
		h = hash_mix(h, load_le(s, 8));
	/* The last 1..8 bytes with their count, so "a" and "a\0" differ. */
	return hash_mix(h, load_le(s, n) ^ ((uint64_t)n << 59));
}

void
st_now_iso(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char **
st_split_list(const char *s)
{
	char **v = NULL;
	size_t n = 0;

	while (s && *s) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		const char *a = s, *z = s + len;

		while (a < z && isspace((unsigned char)*a))
			a++;
		while (z > a && isspace((unsigned char)z[-1]))
			z--;
		if (z > a) {
			v = st_xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = st_xstrndup(a, (size_t)(z - a));
			v[n] = NULL;
		}
		s = e ? e + 1 : NULL;
	}
	if (v == NULL)
		v = st_xcalloc(1, sizeof(*v));
	return v;
}

void
st_strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

size_t
st_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}
