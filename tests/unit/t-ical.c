/* Unit tests: iCalendar escaping, folding and invites; MIME encodings. */
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/ical.h"
#include "st/mime.h"
#include "st/util.h"
#include "tap.h"

/* Every physical line of s ends in CRLF, is at most max octets and starts
 * with a whole UTF-8 character; returns the number of lines, -1 if not. */
static int
lines_ok(const char *s, size_t max)
{
	int n = 0;

	while (*s) {
		const char *e = strstr(s, "\r\n");

		if (!e || (size_t)(e - s) > max || ((unsigned char)*s & 0xc0) == 0x80)
			return -1;
		if (memchr(s, '\n', (size_t)(e - s)) || memchr(s, '\r', (size_t)(e - s)))
			return -1;
		n++;
		s = e + 2;
	}
	return n;
}

/* Undo folding: drop every CRLF followed by a space. */
static char *
unfold(const char *s)
{
	char *o = st_xmalloc(strlen(s) + 1), *p = o;

	while (*s) {
		if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ')
			s += 3;
		else
			*p++ = *s++;
	}
	*p = '\0';
	return o;
}

static void
test_escape(void)
{
	struct st_buf b = { 0 };

	st_ical_escape(&b, "a,b;c\\d\ne\r\nf\rg\x01h");
	is_str(b.s, "a\\,b\\;c\\\\d\\ne\\nf\\ng" "h", "TEXT escapes , ; \\ and line breaks, drops controls");
	st_buf_free(&b);
}

static void
test_fold(void)
{
	struct st_buf b = { 0 }, line = { 0 };
	char *u;
	int i, n;

	st_buf_adds(&line, "DESCRIPTION:");
	for (i = 0; i < 60; i++)
		st_buf_adds(&line, "ñé€😀");   /* 2, 2, 3 and 4 octets */
	st_ical_fold(&b, line.s, line.len);
	n = lines_ok(b.s, 75);
	ok(n >= 9, "folded lines are at most 75 octets and split no character (%d lines)", n);
	u = unfold(b.s);
	ok(strlen(u) == line.len + 2 && memcmp(u, line.s, line.len) == 0 &&
	    strcmp(u + line.len, "\r\n") == 0, "unfolding gives the line back");
	free(u);
	st_buf_reset(&b);
	st_ical_fold(&b, "SUMMARY:short", 13);
	is_str(b.s, "SUMMARY:short\r\n", "a short line is not folded");
	st_buf_reset(&b);
	/* Exactly 75 octets stays one line; 76 becomes two. */
	st_buf_reset(&line);
	for (i = 0; i < 75; i++)
		st_buf_addc(&line, 'x');
	st_ical_fold(&b, line.s, 75);
	is_int(lines_ok(b.s, 75), 1, "75 octets: one line");
	st_buf_reset(&b);
	st_buf_addc(&line, 'y');
	st_ical_fold(&b, line.s, 76);
	is_int(lines_ok(b.s, 75), 2, "76 octets: two lines");
	ok(strcmp(b.s + 77, " y\r\n") == 0, "the continuation starts with a space");
	st_buf_free(&b);
	st_buf_free(&line);
}

static struct st_ical_event
sample(void)
{
	struct st_ical_event e = { 0 };

	e.method = "REQUEST";
	e.uid = "rsvp-812@example.org";
	e.sequence = 2;
	e.dtstamp = 1793000000;
	e.start = 1793455200;   /* 2026-10-31T14:00:00Z */
	e.end = e.start + 3 * 3600;
	e.summary = "Canvass, Flatbush; bring water";
	e.location = "Café Olé, 1 Main St";
	e.description = "Line one\nLine two";
	e.organizer_name = "Field Team: Brooklyn";
	e.organizer_email = "field@example.org";
	e.attendee_name = "Ana Pérez";
	e.attendee_email = "ana@example.net";
	return e;
}

static void
test_invite(void)
{
	struct st_ical_event e = sample();
	struct st_buf b = { 0 };
	struct st_error err;
	char *u;

	ok(st_ical_write(&e, &b, &err) == 0, "an invite is written");
	ok(lines_ok(b.s, 75) > 10, "every line CRLF, at most 75 octets");
	u = unfold(b.s);
	ok(strncmp(u, "BEGIN:VCALENDAR\r\nPRODID:", 24) == 0, "starts with VCALENDAR and PRODID");
	ok(strstr(u, "\r\nVERSION:2.0\r\n") && strstr(u, "\r\nMETHOD:REQUEST\r\n"), "version, method");
	ok(strstr(u, "\r\nUID:rsvp-812@example.org\r\n") != NULL, "uid");
	ok(strstr(u, "\r\nSEQUENCE:2\r\n") != NULL, "sequence");
	ok(strstr(u, "\r\nDTSTART:20261031T140000Z\r\n") != NULL, "start in UTC");
	ok(strstr(u, "\r\nDTEND:20261031T170000Z\r\n") != NULL, "end in UTC");
	ok(strstr(u, "\r\nSUMMARY:Canvass\\, Flatbush\\; bring water\r\n") != NULL, "summary escaped");
	ok(strstr(u, "\r\nDESCRIPTION:Line one\\nLine two\r\n") != NULL, "description escaped");
	ok(strstr(u, "\r\nORGANIZER;CN=\"Field Team: Brooklyn\":mailto:field@example.org\r\n") != NULL,
	    "organizer with a quoted CN");
	ok(strstr(u, ";CN=Ana Pérez:mailto:ana@example.net\r\n") != NULL, "attendee");
	ok(strstr(u, "\r\nSTATUS:CONFIRMED\r\n") != NULL, "confirmed");
	ok(strstr(u, "END:VEVENT\r\nEND:VCALENDAR\r\n") != NULL, "ends the calendar");
	free(u);
	st_buf_reset(&b);
	e.method = "CANCEL";
	ok(st_ical_write(&e, &b, &err) == 0 && strstr(b.s, "METHOD:CANCEL\r\n") &&
	    strstr(b.s, "STATUS:CANCELLED\r\n"), "a cancellation");
	st_buf_reset(&b);
	e.method = "PUBLISH";
	ok(st_ical_write(&e, &b, &err) < 0, "another method is refused");
	e = sample();
	e.end = e.start;
	ok(st_ical_write(&e, &b, &err) < 0, "an empty event is refused");
	e = sample();
	e.attendee_email = "a@b.c\r\nX-EVIL:1";
	ok(st_ical_write(&e, &b, &err) < 0, "an address with a line break is refused");
	e = sample();
	e.summary = "bad \xff utf-8";
	ok(st_ical_write(&e, &b, &err) < 0, "text that is not UTF-8 is refused");
	st_buf_free(&b);
}

static void
test_mime(void)
{
	struct st_buf b = { 0 };
	struct st_mail m = { 0 };
	struct st_error err;
	const char *subj = "Recordatorio: mañana a las 10:00 — Flatbush, con café y más café para todos";

	st_mime_base64(&b, "Man", 3);
	is_str(b.s, "TWFu\r\n", "base64");
	st_buf_reset(&b);
	st_mime_base64(&b, "Ma", 2);
	is_str(b.s, "TWE=\r\n", "base64 padding");
	st_buf_reset(&b);
	st_mime_qp(&b, "caf\xc3\xa9 = ok \nend ");
	is_str(b.s, "caf=C3=A9 =3D ok=20\r\nend=20", "quoted-printable");
	st_buf_reset(&b);
	st_mime_encoded_words(&b, subj);
	{
		struct st_buf t = { 0 };

		st_buf_adds(&t, b.s);
		st_buf_adds(&t, "\r\n");
		ok(lines_ok(t.s, 76) >= 2, "encoded words are folded, each under 76");
		st_buf_free(&t);
	}
	ok(strncmp(b.s, "=?UTF-8?B?", 10) == 0, "UTF-8 B encoding");
	st_buf_reset(&b);

	m.from_name = "Field Team";
	m.from_addr = "field@example.org";
	m.to_name = "Ana Pérez";
	m.to_addr = "ana@example.net";
	m.subject = subj;
	m.text = "Hola Ana,\nnos vemos mañana.\n";
	m.message_id = "remind.812.confirm@example.org";
	m.date = 1793000000;
	m.list_unsubscribe = "https://example.org/u?t=1";
	ok(st_mime_write(&m, &b, &err) == 0, "a plain message");
	ok(strstr(b.s, "Date: ") && strstr(b.s, " +0000\r\n"), "a date in UTC");
	ok(strstr(b.s, "Message-ID: <remind.812.confirm@example.org>\r\n") != NULL, "message id");
	ok(strstr(b.s, "To: =?UTF-8?B?") != NULL, "a UTF-8 name is encoded");
	ok(strstr(b.s, "List-Unsubscribe: <https://example.org/u?t=1>\r\n") != NULL, "unsubscribe");
	ok(strstr(b.s, "Content-Type: text/plain; charset=UTF-8\r\n") != NULL, "text/plain");
	st_buf_reset(&b);
	m.ical = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	m.ical_method = "REQUEST";
	ok(st_mime_write(&m, &b, &err) == 0 && strstr(b.s, "multipart/mixed") &&
	    strstr(b.s, "multipart/alternative") &&
	    strstr(b.s, "text/calendar; charset=UTF-8; method=REQUEST") &&
	    strstr(b.s, "application/ics; name=\"invite.ics\""), "an invite message");
	st_buf_reset(&b);
	m.subject = "hi\r\nBcc: x@y.z";
	ok(st_mime_write(&m, &b, &err) < 0, "a line break in a header is refused");
	m.subject = "hi";
	m.to_addr = "a@b.c>\r\nBcc: <x@y.z";
	ok(st_mime_write(&m, &b, &err) < 0, "an address that breaks the header is refused");
	st_buf_free(&b);
}

int
main(void)
{
	test_escape();
	test_fold();
	test_invite();
	test_mime();
	return done_testing();
}
