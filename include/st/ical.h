/* Calendar invites: one VEVENT in a VCALENDAR per RFC 5545, with the iTIP
 * methods of RFC 5546 (REQUEST, CANCEL) as e-mail carries them (RFC 6047).
 * Output is CRLF-terminated, content lines folded at 75 octets without ever
 * splitting a UTF-8 character, TEXT values escaped. */
#ifndef ST_ICAL_H
#define ST_ICAL_H

#include <stddef.h>
#include <time.h>

struct st_buf;
struct st_error;

#define ST_ICAL_PRODID "-//st//st-remind 0.1//EN"

/* One event, as an invite or its cancellation. Strings are UTF-8; NULL or
 * "" leaves an optional property out. */
struct st_ical_event {
	const char *method;          /* "REQUEST" or "CANCEL" (required) */
	const char *uid;             /* stable for the RSVP (required) */
	long sequence;               /* 0 at first, raised when the event changes */
	time_t dtstamp;              /* when the invite was made */
	time_t start, end;           /* written in UTC (end > start) */
	const char *summary;         /* required */
	const char *location, *description, *url;
	const char *organizer_name, *organizer_email;  /* the e-mail is required */
	const char *attendee_name, *attendee_email;    /* the e-mail is required */
	const char *partstat;        /* "NEEDS-ACTION" (NULL), "ACCEPTED", ... */
};

/* Append to out the escaped TEXT value of s (RFC 5545 3.3.11): backslash,
 * semicolon and comma get a backslash, a line break (LF, CRLF or CR) is
 * written "\n", other control characters are left out. */
void st_ical_escape(struct st_buf *out, const char *s);

/* Append one content line (line[0..len), no line break) to out, folded as
 * RFC 5545 3.1 asks: no physical line longer than 75 octets, each
 * continuation starting with a space, and never inside a UTF-8 sequence;
 * then CRLF. */
void st_ical_fold(struct st_buf *out, const char *line, size_t len);

/* Append the whole VCALENDAR for e to out. -1 and err (ST_EXIT_DATA) if a
 * required field is missing, the method is not REQUEST or CANCEL, the end is
 * not after the start, or a string is not UTF-8. */
int st_ical_write(const struct st_ical_event *e, struct st_buf *out, struct st_error *err);

#endif
