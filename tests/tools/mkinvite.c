/* mkinvite METHOD SEQUENCE START END SUMMARY LOCATION DESCRIPTION ATTENDEE-NAME
 * ATTENDEE-EMAIL: write an invite e-mail (MIME, with the VCALENDAR) to stdout,
 * for the tests to parse with real parsers. START and END are Unix times. */
#include <stdio.h>
#include <stdlib.h>

#include "st/error.h"
#include "st/ical.h"
#include "st/mime.h"
#include "st/util.h"

int
main(int argc, char **argv)
{
	struct st_ical_event e = { 0 };
	struct st_mail m = { 0 };
	struct st_buf ics = { 0 }, mail = { 0 };
	struct st_error err;
	long seq, start, end;

	if (argc != 10 || st_parse_long(argv[2], 0, 1000000, &seq) < 0 ||
	    st_parse_long(argv[3], 0, 1L << 40, &start) < 0 ||
	    st_parse_long(argv[4], 0, 1L << 40, &end) < 0) {
		fputs("usage: mkinvite METHOD SEQ START END SUMMARY LOCATION DESCRIPTION NAME EMAIL\n",
		    stderr);
		return 2;
	}
	e.method = argv[1];
	e.uid = "rsvp-1@example.org";
	e.sequence = seq;
	e.dtstamp = 1790000000;
	e.start = start;
	e.end = end;
	e.summary = argv[5];
	e.location = argv[6];
	e.description = argv[7];
	e.organizer_name = "Field Team";
	e.organizer_email = "field@example.org";
	e.attendee_name = argv[8];
	e.attendee_email = argv[9];
	if (st_ical_write(&e, &ics, &err) < 0) {
		fprintf(stderr, "mkinvite: %s\n", err.msg);
		return 1;
	}
	m.from_name = "Field Team";
	m.from_addr = "field@example.org";
	m.to_name = argv[8];
	m.to_addr = argv[9];
	m.subject = argv[5];
	m.text = argv[7];
	m.ical = ics.s;
	m.ical_method = argv[1];
	m.message_id = "test.1@example.org";
	m.date = 1790000000;
	m.list_unsubscribe = "https://example.org/unsubscribe?t=x";
	if (st_mime_write(&m, &mail, &err) < 0) {
		fprintf(stderr, "mkinvite: %s\n", err.msg);
		return 1;
	}
	fwrite(mail.s, 1, mail.len, stdout);
	st_buf_free(&ics);
	st_buf_free(&mail);
	return 0;
}
