#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/mime.h"
#include "st/util.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of p[0..n) without line breaks. */
static void
b64_raw(struct st_buf *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		st_buf_addc(out, b64[v >> 18 & 63]);
		st_buf_addc(out, b64[v >> 12 & 63]);
		st_buf_addc(out, b64[v >> 6 & 63]);
		st_buf_addc(out, b64[v & 63]);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		st_buf_addc(out, b64[v >> 18 & 63]);
		st_buf_addc(out, b64[v >> 12 & 63]);
		st_buf_adds(out, "==");
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		st_buf_addc(out, b64[v >> 18 & 63]);
		st_buf_addc(out, b64[v >> 12 & 63]);
		st_buf_addc(out, b64[v >> 6 & 63]);
		st_buf_addc(out, '=');
	}
}

void
st_mime_base64(struct st_buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	/* 57 bytes make one line of 76 characters. */
	for (i = 0; i < n; i += 57) {
		b64_raw(out, s + i, n - i < 57 ? n - i : 57);
		st_buf_adds(out, "\r\n");
	}
}

void
st_mime_encoded_words(struct st_buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;
	int first = 1;

	/* "=?UTF-8?B?" and "?=" leave 63 characters: 45 bytes of text. */
	do {
		size_t take = n - i < 45 ? n - i : 45;

		while (take > 0 && i + take < n && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		if (!first)
			st_buf_adds(out, "\r\n ");
		st_buf_adds(out, "=?UTF-8?B?");
		b64_raw(out, (const unsigned char *)s + i, take);
		st_buf_adds(out, "?=");
		i += take;
		first = 0;
	} while (i < n);
}

void
st_mime_qp(struct st_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int eol = c == '\n' || (c == '\r' && s[1] == '\n');
		int at_eol = s[1] == '\n' || s[1] == '\0' || (s[1] == '\r' && s[2] == '\n');
		int plain = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
		size_t w = plain ? 1 : 3;

		if (eol) {
			if (c == '\r')
				s++;
			st_buf_adds(out, "\r\n");
			col = 0;
			continue;
		}
		/* Leave room for a soft break "=" within 76 characters. */
		if (col + w > 75) {
			st_buf_adds(out, "=\r\n");
			col = 0;
		}
		if (plain) {
			st_buf_addc(out, c);
		} else {
			st_buf_addc(out, '=');
			st_buf_addc(out, hex[c >> 4]);
			st_buf_addc(out, hex[c & 15]);
		}
		col += w;
	}
}

static int
ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* An unstructured header value (Subject): as it is when it is printable
 * ASCII with no encoded-word look-alike, else encoded words. */
static void
header_text(struct st_buf *out, const char *name, const char *v)
{
	st_buf_adds(out, name);
	st_buf_adds(out, ": ");
	if (ascii_printable(v) && !strstr(v, "=?") && strlen(v) < 900)
		st_buf_adds(out, v);
	else
		st_mime_encoded_words(out, v);
	st_buf_adds(out, "\r\n");
}

/* A display name: bare when it is atoms and spaces, a quoted string when
 * it is other printable ASCII, encoded words otherwise. */
static void
display_name(struct st_buf *out, const char *name)
{
	const char *p;
	int atoms = 1;

	if (!ascii_printable(name) || strstr(name, "=?")) {
		st_mime_encoded_words(out, name);
		return;
	}
	for (p = name; *p; p++)
		if (!(*p == ' ' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", *p)))
			atoms = 0;
	if (atoms) {
		st_buf_adds(out, name);
		return;
	}
	st_buf_addc(out, '"');
	for (p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			st_buf_addc(out, '\\');
		st_buf_addc(out, *p);
	}
	st_buf_addc(out, '"');
}

static void
address(struct st_buf *out, const char *hdr, const char *name, const char *addr)
{
	st_buf_adds(out, hdr);
	st_buf_adds(out, ": ");
	if (name && *name) {
		display_name(out, name);
		st_buf_adds(out, " ");
	}
	st_buf_printf(out, "<%s>\r\n", addr);
}

/* An address, id or URL that goes into a header as it is. */
static int
header_safe(const char *s)
{
	return s && *s && ascii_printable(s) && !strpbrk(s, " <>\"\\");
}

static void
rfc5322_date(struct st_buf *out, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	st_buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
text_part(struct st_buf *out, const char *text)
{
	st_buf_adds(out, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	st_mime_qp(out, text);
	if (out->len < 2 || memcmp(out->s + out->len - 2, "\r\n", 2) != 0)
		st_buf_adds(out, "\r\n");
}

int
st_mime_write(const struct st_mail *m, struct st_buf *out, struct st_error *err)
{
	struct st_buf ics = { 0 };
	char bnd[2][64];
	uint64_t h;

	if (!header_safe(m->from_addr) || !header_safe(m->to_addr) || !strchr(m->from_addr, '@') ||
	    !strchr(m->to_addr, '@'))
		return st_error_set(err, ST_EXIT_DATA, "mail needs a sender and a recipient address");
	if (!header_safe(m->message_id) || !strchr(m->message_id, '@'))
		return st_error_set(err, ST_EXIT_DATA, "mail needs a message id 'left@right'");
	if (m->list_unsubscribe && !header_safe(m->list_unsubscribe))
		return st_error_set(err, ST_EXIT_DATA, "mail unsubscribe link is not a URL");
	if (!m->subject || !m->text || !st_utf8_valid(m->subject, strlen(m->subject)) ||
	    !st_utf8_valid(m->text, strlen(m->text)) ||
	    (m->from_name && !st_utf8_valid(m->from_name, strlen(m->from_name))) ||
	    (m->to_name && !st_utf8_valid(m->to_name, strlen(m->to_name))))
		return st_error_set(err, ST_EXIT_DATA, "mail text is missing or not UTF-8");
	if (m->ical && (!m->ical_method || (strcmp(m->ical_method, "REQUEST") != 0 &&
	    strcmp(m->ical_method, "CANCEL") != 0)))
		return st_error_set(err, ST_EXIT_DATA, "mail invite method must be REQUEST or CANCEL");
	if (strpbrk(m->subject, "\r\n") || (m->from_name && strpbrk(m->from_name, "\r\n")) ||
	    (m->to_name && strpbrk(m->to_name, "\r\n")))
		return st_error_set(err, ST_EXIT_DATA, "mail header text has a line break");

	/* "=_" never occurs in quoted-printable or base64, so the boundaries
	 * cannot occur in the parts. */
	h = st_hash(ST_HASH_INIT, m->message_id, strlen(m->message_id));
	snprintf(bnd[0], sizeof(bnd[0]), "=_st_mixed_%016llx", (unsigned long long)h);
	snprintf(bnd[1], sizeof(bnd[1]), "=_st_alt_%016llx", (unsigned long long)h);

	address(out, "From", m->from_name, m->from_addr);
	address(out, "To", m->to_name, m->to_addr);
	header_text(out, "Subject", m->subject);
	rfc5322_date(out, m->date);
	st_buf_printf(out, "Message-ID: <%s>\r\n", m->message_id);
	if (m->list_unsubscribe)
		st_buf_printf(out, "List-Unsubscribe: <%s>\r\n", m->list_unsubscribe);
	st_buf_adds(out, "Auto-Submitted: auto-generated\r\n");
	st_buf_adds(out, "MIME-Version: 1.0\r\n");
	if (!m->ical) {
		text_part(out, m->text);
		return 0;
	}
	st_buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", bnd[0]);
	st_buf_adds(out, "This is a message in MIME format.\r\n");
	st_buf_printf(out, "--%s\r\n", bnd[0]);
	st_buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", bnd[1]);
	st_buf_printf(out, "--%s\r\n", bnd[1]);
	text_part(out, m->text);
	st_buf_printf(out, "--%s\r\n", bnd[1]);
	st_buf_printf(out, "Content-Type: text/calendar; charset=UTF-8; method=%s\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", m->ical_method);
	/* The invite goes in twice, inline and as the .ics: encode it once. */
	st_mime_base64(&ics, m->ical, strlen(m->ical));
	st_buf_add(out, ics.s, ics.len);
	st_buf_printf(out, "--%s--\r\n", bnd[1]);
	st_buf_printf(out, "--%s\r\n", bnd[0]);
	st_buf_adds(out, "Content-Type: application/ics; name=\"invite.ics\"\r\n"
	    "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	st_buf_add(out, ics.s, ics.len);
	st_buf_free(&ics);
	st_buf_printf(out, "--%s--\r\n", bnd[0]);
	return 0;
}
