/* What the importers of contacts and of events share (not installed). */
#ifndef ST_IMPORT_PRIV_H
#define ST_IMPORT_PRIV_H

#include <sqlite3.h>
#include <stddef.h>

#include "st/csvin.h"
#include "st/import.h"

struct st_error;
struct st_out;

/* Record a new import batch of kind with o's options; *id gets it. */
int st_import_batch_start(sqlite3 *db, const char *kind, const struct st_import_opts *o,
    const char *now, long *id, struct st_error *err);

/* Record batch id's counts when it ends, then run analyze (SQL). Fails if
 * the rejects file (if any) could not be written: the rows it lists must not
 * be lost, so the caller then rolls the batch back. */
int st_import_batch_finish(sqlite3 *db, long id, const struct st_import_result *r,
    struct st_out *rejects, const char *analyze, struct st_error *err);

/* Write row to the rejects file (its header from st_out_reject_columns) with
 * the reason, as st_out_reject does for in's columns. */
int st_import_reject(struct st_out *rejects, struct st_csvin *in, const struct st_csv_row *row,
    const char *reason, struct st_error *err);

/* 1 (and reason filled) if row cannot be read as a record of the input: a
 * NUL byte, bad UTF-8 or JSON, too few fields or non-empty surplus ones. */
int st_import_row_bad(struct st_csvin *in, const struct st_csv_row *row, char *reason,
    size_t size);

/* Within st_import_undo's transaction: revert what batch id did to events,
 * shifts, RSVPs and attendance, adding to *restored and *deleted. Refused
 * when a later batch rewrote the same rows, or when records from elsewhere
 * hang on a shift or event the batch created. */
int st_import_undo_activity(sqlite3 *db, long id, long *restored, long *deleted,
    struct st_error *err);

/* s[0..len) without leading and trailing blanks; *outlen gets the length. */
const char *st_import_trim(const char *s, size_t len, size_t *outlen);

#endif
