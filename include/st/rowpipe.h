/* A row pipe: threads read an input's rows and prepare each one
 * (normalizing, encoding) while the caller writes the rows before them, so
 * that an import uses two cores: one thread reads, one prepares. Rows come
 * out in input order, each with a
 * copy of its fields and the bytes its preparation made; memory is bounded
 * (a few batches of rows in flight). */
#ifndef ST_ROWPIPE_H
#define ST_ROWPIPE_H

#include <stddef.h>

#include "st/csvin.h"
#include "st/error.h"
#include "st/util.h"

/* Runs on the reader thread for each row: appends what it makes of the row to
 * out; returns 0, or -1 with err set to stop the pipe with that error. */
typedef int (*st_rowpipe_prep)(void *arg, const struct st_csv_row *row, struct st_buf *out,
    struct st_error *err);

struct st_rowpipe;

/* Start reading in on a new thread; NULL with err set if it cannot start. The
 * pipe reads in until its end or st_rowpipe_stop; nothing else may use in
 * meanwhile. */
struct st_rowpipe *st_rowpipe_start(struct st_csvin *in, st_rowpipe_prep prep, void *arg,
    struct st_error *err);

/* The next row and its prepared bytes (valid until the next call): 1; 0 at
 * the end of the input; -1 with err set if reading or preparing failed. */
int st_rowpipe_next(struct st_rowpipe *p, struct st_csv_row **row, const char **data,
    size_t *len, struct st_error *err);

/* Bytes of the input consumed up to the row last returned (for progress). */
size_t st_rowpipe_offset(const struct st_rowpipe *p);

/* Stop the reader (it may be mid-input), wait for it and free the pipe. */
void st_rowpipe_stop(struct st_rowpipe *p);

#endif
