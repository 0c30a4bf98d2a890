#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <wchar.h>
#include <wctype.h>
#include <string.h>
#include <strings.h>

#include "st/normalize.h"

int
st_text_clean(const char *s, size_t len, char *out)
{
	size_t i, n = 0;
	int blank = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
			blank = 1;
			continue;
		}
		if (blank && n > 0)
			out[n++] = ' ';
		blank = 0;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

static int
nanp_ok(const char *d)
{
	/* d: 10 digits NPA NXX XXXX */
	if (d[0] < '2' || d[3] < '2')
		return 0;
	if (d[1] == '1' && d[2] == '1')                 /* N11 area code */
		return 0;
	if (d[1] == '9')                                /* N9X: reserved for expansion */
		return 0;
	if ((d[0] == '3' && d[1] == '7') || (d[0] == '9' && d[1] == '6'))
		return 0;                               /* 37X, 96X: reserved */
	if (d[4] == '1' && d[5] == '1')                 /* N11 exchange */
		return 0;
	return 1;
}

int
st_phone_normalize(const char *s, size_t len, char *out)
{
	return st_phone_normalize_ext(s, len, out, NULL);
}

/* After the number: an extension marker ("x", "ext", "ext.", "#", ",", ";"),
 * digits, then nothing but blanks. Returns 1 if s[0..len) is that. */
static int
is_extension(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	while (i < len && s[i] == ' ')
		i++;
	if (i + 3 <= len && strncasecmp(s + i, "ext", 3) == 0)
		i += 3;
	else if (i < len && strchr("xX#,;", s[i]))
		i++;
	else
		return 0;
	while (i < len && (s[i] == '.' || s[i] == ' ' || s[i] == ':'))
		i++;
	while (i < len && isdigit((unsigned char)s[i]))
		i++, digits++;
	while (i < len && s[i] == ' ')
		i++;
	return digits > 0 && i == len;
}

int
st_phone_normalize_ext(const char *s, size_t len, char *out, int *ext)
{
	char d[24];
	size_t i, n = 0;
	int plus = 0, seen = 0;

	if (ext)
		*ext = 0;
	/* Skip a "tel:" scheme. */
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	if (len >= 4 && strncasecmp(s, "tel:", 4) == 0)
		s += 4, len -= 4;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c)) {
			if (n >= sizeof(d) - 1)
				return -1;
			d[n++] = (char)c;
			seen = 1;
		} else if (c == '+' && !seen && !plus) {
			plus = 1;
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' ||
		    c == '\t') {
			continue;
		} else if (seen && is_extension(s + i, len - i)) {
			/* "x12", "ext. 12", "#12": the number is what came before. */
			if (ext)
				*ext = 1;
			break;
		} else {
			return -1;
		}
	}
	d[n] = '\0';
	if (n == 0)
		return -1;
	if (strspn(d, "0") == n)
		return -1;
	if (plus && d[0] != '1') {
		if (n < 8 || n > 15 || d[0] == '0')
			return -1;
		out[0] = '+';
		memcpy(out + 1, d, n + 1);
		return (int)n + 1;
	}
	if (n == 11 && d[0] == '1') {
		memmove(d, d + 1, 11);
		n = 10;
	}
	if (n != 10 || !nanp_ok(d))
		return -1;
	out[0] = '+';
	out[1] = '1';
	memcpy(out + 2, d, 11);
	return 12;
}

static int
label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return 0;
	}
	return 1;
}

int
st_email_normalize(const char *s, size_t len, char *out)
{
	const char *at, *p, *dot;
	size_t i, n;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 7 && strncasecmp(s, "mailto:", 7) == 0)
		s += 7, len -= 7;
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
		s++, len -= 2;
	if (len < 5 || len > 254)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '(' ||
		    c == ')' || c == '[' || c == ']' || c == '\\' || c == 0x7f)
			return -1;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	at = memchr(out, '@', len);
	if (at == NULL || at == out || at - out > 64 || memchr(at + 1, '@', len - (size_t)(at - out) - 1))
		return -1;
	if (out[0] == '.' || at[-1] == '.' || strstr(out, ".."))
		return -1;
	/* The domain: dot-separated labels, at least two, the last not all digits. */
	p = at + 1;
	n = len - (size_t)(p - out);
	dot = NULL;
	for (;;) {
		const char *e = memchr(p, '.', n);
		size_t l = e ? (size_t)(e - p) : n;

		if (!label_ok(p, l))
			return -1;
		if (e == NULL) {
			if (dot == NULL || strspn(p, "0123456789") == l)
				return -1;
			break;
		}
		dot = e;
		n -= l + 1;
		p = e + 1;
	}
	return (int)len;
}

int
st_zip_normalize(const char *s, size_t len, char *out)
{
	char d[10];
	size_t i, n = 0;
	int sep = 0;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < len; i++) {
		if (isdigit((unsigned char)s[i])) {
			if (n == 9)
				return -1;
			d[n++] = s[i];
		} else if ((s[i] == '-' || s[i] == ' ') && n == 5 && !sep) {
			sep = 1;
		} else {
			return -1;
		}
	}
	if (sep && n != 9)
		return -1;
	if (!sep && (n == 4 || n == 8)) {
		/* A spreadsheet ate the leading zero of a New England ZIP. */
		memmove(d + 1, d, n);
		d[0] = '0';
		n++;
	}
	if (n != 5 && n != 9)
		return -1;
	memcpy(out, d, 5);
	out[5] = '\0';
	return 5;
}

static const struct {
	const char *code;
	const char *names; /* '|'-separated, lowercase ASCII or UTF-8 */
} langs[] = {
	{ "en", "english|eng|inglés|ingles" },
	{ "es", "spanish|español|espanol|spa|castellano" },
	{ "zh", "chinese|中文|zho|chi|mandarin|cantonese|汉语|漢語" },
	{ "ht", "haitian creole|haitian|kreyòl|kreyol|kreyòl ayisyen|hat|creole" },
	{ "fr", "french|français|francais|fra|fre" },
	{ "ru", "russian|русский|rus" },
	{ "ar", "arabic|العربية|ara" },
	{ "bn", "bengali|bangla|বাংলা|ben" },
	{ "ko", "korean|한국어|kor" },
	{ "vi", "vietnamese|tiếng việt|vie" },
	{ "pl", "polish|polski|pol" },
	{ "ur", "urdu|اردو|urd" },
	{ "yi", "yiddish|ייִדיש|yid" },
	{ "tl", "tagalog|filipino|tgl|fil" },
	{ "pt", "portuguese|português|portugues|por" },
	{ "it", "italian|italiano|ita" },
	{ "de", "german|deutsch|deu|ger" },
	{ "ja", "japanese|日本語|jpn" },
	{ "hi", "hindi|हिन्दी|hin" },
};

/* Lowercase UTF-8 s in place with the C.UTF-8 locale's case mapping, where the
 * lowercase letter has the same length (true of the scripts languages are
 * named in here). */
static void
utf8_lower(char *s, size_t n)
{
	static locale_t loc;
	locale_t old;
	mbstate_t ps;
	size_t i = 0;

	if (loc == (locale_t)0)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	old = loc ? uselocale(loc) : (locale_t)0;
	memset(&ps, 0, sizeof(ps));
	while (i < n) {
		wchar_t wc;
		char buf[MB_LEN_MAX];
		size_t k, m;

		if ((unsigned char)s[i] < 0x80 || loc == (locale_t)0) {
			s[i] = (char)tolower((unsigned char)s[i]);
			i++;
			continue;
		}
		k = mbrtowc(&wc, s + i, n - i, &ps);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&ps, 0, sizeof(ps));
			i++;
			continue;
		}
		m = wcrtomb(buf, (wchar_t)towlower((wint_t)wc), &ps);
		if (m == k)
			memcpy(s + i, buf, k);
		i += k;
	}
	if (old)
		uselocale(old);
}

int
st_lang_normalize(const char *s, size_t len, char *out)
{
	size_t i, n;

	n = (size_t)st_text_clean(s, len, out);
	if (n == 0)
		return -1;
	utf8_lower(out, n);
	/* "es-MX", "en_US": the primary subtag. */
	if (n >= 4 && n <= 10 && isalpha((unsigned char)out[0]) && isalpha((unsigned char)out[1]) &&
	    (out[2] == '-' || out[2] == '_')) {
		out[2] = '\0';
		n = 2;
	}
	if (n == 2 && isalpha((unsigned char)out[0]) && isalpha((unsigned char)out[1]))
		return 2;
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		const char *p = langs[i].names;

		while (p && *p) {
			const char *e = strchr(p, '|');
			size_t l = e ? (size_t)(e - p) : strlen(p);

			if (l == n && memcmp(p, out, n) == 0) {
				memcpy(out, langs[i].code, 3);
				return 2;
			}
			p = e ? e + 1 : NULL;
		}
	}
	return (int)n;
}

int
st_parse_yesno(const char *s, size_t len)
{
	static const char *const yes[] = { "1", "y", "yes", "true", "t", "subscribed", "opted in",
		"opted_in", "opt-in", "opt in", "optin", "x", NULL };
	static const char *const no[] = { "0", "n", "no", "false", "f", "unsubscribed", "opted out",
		"opted_out", "opt-out", "opt out", "optout", "bouncing", NULL };
	char buf[32];
	int n, i;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= sizeof(buf))
		return -1;
	n = st_text_clean(s, len, buf);
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	for (i = 0; yes[i]; i++)
		if (strcmp(buf, yes[i]) == 0)
			return 1;
	for (i = 0; no[i]; i++)
		if (strcmp(buf, no[i]) == 0)
			return 0;
	return -1;
}
