/* E-mail messages: RFC 5322 headers (RFC 2047 encoded words for UTF-8),
 * RFC 2045/2046 MIME bodies. A message with an invite is, as calendar
 * clients expect it (RFC 6047):
 *     multipart/mixed
 *       multipart/alternative
 *         text/plain; charset=UTF-8            (quoted-printable)
 *         text/calendar; charset=UTF-8; method=M (base64)
 *       application/ics; name="invite.ics"     (base64, attachment)
 * and without one a single text/plain part. Lines end in CRLF. */
#ifndef ST_MIME_H
#define ST_MIME_H

#include <stddef.h>
#include <time.h>

struct st_buf;
struct st_error;

struct st_mail {
	const char *from_name, *from_addr;   /* the name may be NULL */
	const char *to_name, *to_addr;
	const char *subject;                 /* UTF-8 */
	const char *text;                    /* the plain body, UTF-8, lines ending in LF */
	const char *ical;                    /* a VCALENDAR (st_ical_write) or NULL */
	const char *ical_method;             /* its METHOD: REQUEST or CANCEL */
	const char *list_unsubscribe;        /* an https: or mailto: URL, or NULL */
	const char *message_id;              /* "left@right", no angle brackets */
	time_t date;
};

/* Append s to out as RFC 2047 encoded words (=?UTF-8?B?...?=), none longer
 * than 75 characters and none ending inside a UTF-8 character, separated by
 * CRLF and a space (a folded header). */
void st_mime_encoded_words(struct st_buf *out, const char *s);

/* Append p[0..n) to out in base64, lines of 76 characters ending in CRLF. */
void st_mime_base64(struct st_buf *out, const void *p, size_t n);

/* Append s to out in quoted-printable (RFC 2045 6.7): LF (or CRLF) line
 * breaks become CRLF, lines are at most 76 characters with soft breaks,
 * '=', bytes outside printable ASCII and blanks before a line break encoded. */
void st_mime_qp(struct st_buf *out, const char *s);

/* Append the whole message m to out. -1 and err (ST_EXIT_DATA) when an
 * address or the message id is missing or could break a header (line
 * breaks, angle brackets, blanks), a text is not UTF-8, or an invite lacks
 * its method. */
int st_mime_write(const struct st_mail *m, struct st_buf *out, struct st_error *err);

#endif
