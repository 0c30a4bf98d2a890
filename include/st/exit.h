/* Exit statuses shared by every st command; listed under EXIT STATUS in each man page. */
#ifndef ST_EXIT_H
#define ST_EXIT_H

enum st_exit {
	ST_EXIT_OK = 0,       /* success */
	ST_EXIT_FAIL = 1,     /* failure: cannot open a file, database error, ... */
	ST_EXIT_USAGE = 2,    /* bad options or arguments */
	ST_EXIT_DATA = 3,     /* bad input data (the message names file and line), malformed SQL */
	ST_EXIT_NORESULT = 4, /* no result, only with -e */
	ST_EXIT_TEMP = 75     /* temporary failure worth retrying (database busy, network) */
};

#endif
