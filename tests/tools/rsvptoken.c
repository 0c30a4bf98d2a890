/* rsvptoken DB ACTION RSVP EXPIRES: print the token for ACTION on RSVP,
 * signed with the secret of st_secret_path, expiring at EXPIRES (Unix time). */
#include <stdio.h>

#include "st/db.h"
#include "st/error.h"
#include "st/remind.h"
#include "st/util.h"

int
main(int argc, char **argv)
{
	struct st_error err;
	struct st_token_key *k;
	char tok[ST_TOKEN_MAX];
	sqlite3 *db;
	long rsvp, exp;

	if (argc != 5 || st_parse_long(argv[3], 1, 1L << 40, &rsvp) < 0 ||
	    st_parse_long(argv[4], 1, 1L << 40, &exp) < 0) {
		fputs("usage: rsvptoken DB ACTION RSVP EXPIRES\n", stderr);
		return 2;
	}
	if (st_db_open(&db, argv[1], &err) < 0 || (k = st_token_key_load(NULL, &err)) == NULL ||
	    st_rsvp_token(db, k, argv[2], rsvp, exp, tok, &err) < 0) {
		fprintf(stderr, "rsvptoken: %s\n", err.msg);
		return 1;
	}
	puts(tok);
	st_token_key_free(k);
	st_db_close(db);
	return 0;
}
