#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

#include "st/error.h"
#include "st/exit.h"

int
st_error_set(struct st_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
st_error_status_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return ST_EXIT_TEMP;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
		return ST_EXIT_DATA;
	default:
		return ST_EXIT_FAIL;
	}
}

int
st_error_db(struct st_error *err, sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", db ? sqlite3_errmsg(db) : "out of memory");
	err->status = st_error_status_sqlite(db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
	return -1;
}
