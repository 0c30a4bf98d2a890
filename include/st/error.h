/* Errors: the library fills a struct st_error and returns -1; commands print and exit. */
#ifndef ST_ERROR_H
#define ST_ERROR_H

#include <stdarg.h>

struct sqlite3;

struct st_error {
	int status;      /* an enum st_exit value the command should exit with */
	char msg[1024];  /* one line, lowercase, no full stop, no program name */
};

/* Set err (if not NULL) to status and a printf-style message; returns -1 so
 * callers can write `return st_error_set(err, ...)`. */
int st_error_set(struct st_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like st_error_set, but appends ": " and the current SQLite error of db and
 * picks the status from the SQLite error code (busy/locked: ST_EXIT_TEMP). */
int st_error_db(struct st_error *err, struct sqlite3 *db, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map an SQLite result code to an exit status. */
int st_error_status_sqlite(int rc);

#endif
