#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/ical.h"
#include "st/util.h"

#define FOLD_AT 75

void
st_ical_escape(struct st_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == ';' || c == ',') {
			st_buf_addc(out, '\\');
			st_buf_addc(out, c);
		} else if (c == '\r') {
			st_buf_adds(out, "\\n");
			if (s[1] == '\n')
				s++;
		} else if (c == '\n') {
			st_buf_adds(out, "\\n");
		} else if (c < 0x20 && c != '\t') {
			continue;
		} else if (c == 0x7f) {
			continue;
		} else {
			st_buf_addc(out, c);
		}
	}
}

void
st_ical_fold(struct st_buf *out, const char *line, size_t len)
{
	size_t room = FOLD_AT, i = 0;

	while (len - i > room) {
		size_t cut = i + room;

		/* Back off to the start of a UTF-8 character. */
		while (cut > i && ((unsigned char)line[cut] & 0xc0) == 0x80)
			cut--;
		if (cut == i)   /* cannot happen with valid UTF-8 and room >= 4 */
			cut = i + room;
		st_buf_add(out, line + i, cut - i);
		st_buf_adds(out, "\r\n ");
		i = cut;
		room = FOLD_AT - 1;   /* the leading space counts */
	}
	st_buf_add(out, line + i, len - i);
	st_buf_adds(out, "\r\n");
}

/* A parameter value (RFC 5545 3.1): quoted when it holds ':', ';' or ','; a
 * DQUOTE cannot be in one at all, and neither can control characters. */
static void
param_value(struct st_buf *b, const char *s)
{
	int quote = strpbrk(s, ":;,") != NULL;
	const char *p;

	if (quote)
		st_buf_addc(b, '"');
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			continue;
		st_buf_addc(b, c == '"' ? '\'' : c);
	}
	if (quote)
		st_buf_addc(b, '"');
}

static void
emit(struct st_buf *out, struct st_buf *line)
{
	st_ical_fold(out, line->s, line->len);
	st_buf_reset(line);
}

static void
text_prop(struct st_buf *out, struct st_buf *line, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	st_buf_adds(line, name);
	st_buf_addc(line, ':');
	st_ical_escape(line, value);
	emit(out, line);
}

static void
time_prop(struct st_buf *out, struct st_buf *line, const char *name, time_t t)
{
	char s[20];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y%m%dT%H%M%SZ", &tm);
	st_buf_printf(line, "%s:%s", name, s);
	emit(out, line);
}

static void
cal_address(struct st_buf *out, struct st_buf *line, const char *prop, const char *params,
    const char *name, const char *email)
{
	st_buf_adds(line, prop);
	if (params)
		st_buf_adds(line, params);
	if (name && *name) {
		st_buf_adds(line, ";CN=");
		param_value(line, name);
	}
	st_buf_adds(line, ":mailto:");
	st_buf_adds(line, email);
	emit(out, line);
}

static int
usable(const char *s)
{
	return s == NULL || st_utf8_valid(s, strlen(s));
}

int
st_ical_write(const struct st_ical_event *e, struct st_buf *out, struct st_error *err)
{
	struct st_buf line = { 0 };
	int cancel;
	const char *strs[] = { e->uid, e->summary, e->location, e->description, e->url,
		e->organizer_name, e->organizer_email, e->attendee_name, e->attendee_email };
	size_t i;

	if (!e->method || (strcmp(e->method, "REQUEST") != 0 && strcmp(e->method, "CANCEL") != 0))
		return st_error_set(err, ST_EXIT_DATA, "invite method must be REQUEST or CANCEL");
	if (!e->uid || !*e->uid || !e->summary || !*e->summary)
		return st_error_set(err, ST_EXIT_DATA, "invite needs a uid and a summary");
	if (!e->organizer_email || !*e->organizer_email || !e->attendee_email ||
	    !*e->attendee_email)
		return st_error_set(err, ST_EXIT_DATA, "invite needs an organizer and an attendee");
	if (e->end <= e->start)
		return st_error_set(err, ST_EXIT_DATA, "invite ends before it starts");
	if (e->sequence < 0)
		return st_error_set(err, ST_EXIT_DATA, "invite sequence is negative");
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!usable(strs[i]))
			return st_error_set(err, ST_EXIT_DATA, "invite text is not UTF-8");
	/* Addresses go into a URI as they are: refuse what would break the line. */
	if (strpbrk(e->organizer_email, " \t\r\n\";,:") || strpbrk(e->attendee_email,
	    " \t\r\n\";,:"))
		return st_error_set(err, ST_EXIT_DATA, "invite address is not an e-mail address");
	if (e->url && strpbrk(e->url, " \t\r\n\""))
		return st_error_set(err, ST_EXIT_DATA, "invite link is not a URL");
	cancel = strcmp(e->method, "CANCEL") == 0;

	st_buf_adds(out, "BEGIN:VCALENDAR\r\n");
	st_buf_adds(out, "PRODID:" ST_ICAL_PRODID "\r\n");
	st_buf_adds(out, "VERSION:2.0\r\n");
	st_buf_adds(out, "CALSCALE:GREGORIAN\r\n");
	st_buf_printf(out, "METHOD:%s\r\n", e->method);
	st_buf_adds(out, "BEGIN:VEVENT\r\n");
	st_buf_adds(&line, "UID:");
	st_ical_escape(&line, e->uid);
	emit(out, &line);
	st_buf_printf(&line, "SEQUENCE:%ld", e->sequence);
	emit(out, &line);
	time_prop(out, &line, "DTSTAMP", e->dtstamp);
	time_prop(out, &line, "DTSTART", e->start);
	time_prop(out, &line, "DTEND", e->end);
	text_prop(out, &line, "SUMMARY", e->summary);
	text_prop(out, &line, "LOCATION", e->location);
	text_prop(out, &line, "DESCRIPTION", e->description);
	if (e->url && *e->url) {
		/* URL is a URI value, not TEXT: no escaping, only folding. */
		st_buf_adds(&line, "URL:");
		st_buf_adds(&line, e->url);
		emit(out, &line);
	}
	cal_address(out, &line, "ORGANIZER", NULL, e->organizer_name, e->organizer_email);
	st_buf_printf(&line, ";ROLE=REQ-PARTICIPANT;PARTSTAT=%s%s",
	    cancel ? "NEEDS-ACTION" : e->partstat && *e->partstat ? e->partstat : "NEEDS-ACTION",
	    cancel ? "" : ";RSVP=FALSE");
	{
		char *params = st_xstrdup(line.s);

		st_buf_reset(&line);
		cal_address(out, &line, "ATTENDEE", params, e->attendee_name, e->attendee_email);
		free(params);
	}
	st_buf_printf(out, "STATUS:%s\r\n", cancel ? "CANCELLED" : "CONFIRMED");
	st_buf_adds(out, "TRANSP:OPAQUE\r\n");
	st_buf_adds(out, "END:VEVENT\r\n");
	st_buf_adds(out, "END:VCALENDAR\r\n");
	st_buf_free(&line);
	return 0;
}
