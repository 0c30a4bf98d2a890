/* One writer for every tabular output: CSV, TSV, JSON Lines and an aligned table. */
#ifndef ST_OUT_H
#define ST_OUT_H

#include <stddef.h>
#include <stdio.h>

enum st_format { ST_FMT_CSV, ST_FMT_TSV, ST_FMT_JSON, ST_FMT_TABLE };

/* Value types, as SQLite's: a cell is NULL, an integer, a real or text. */
enum st_type { ST_NULL = 0, ST_INT, ST_REAL, ST_TEXT, ST_JSON /* text holding JSON */ };

struct st_cell {
	enum st_type type;
	const char *s;      /* the value as text (NULL for ST_NULL) */
	size_t len;
};

struct st_out;

/* Parse "csv", "tsv", "json" (or "jsonl") and "table"; -1 if unknown. */
int st_format_parse(const char *s);

/* A writer to fp. header: print a header row (CSV, TSV, table). */
struct st_out *st_out_new(FILE *fp, enum st_format fmt, int header);

/* Set the columns; call once before the first row. */
void st_out_columns(struct st_out *o, size_t n, const char *const *names);

/* Write one row of n cells (n as given to st_out_columns). CSV quotes a
 * field only when it must (via libcsv); TSV escapes tab, newline, carriage
 * return and backslash as \t \n \r \\; JSON writes numbers as numbers, NULL
 * as null and ST_JSON cells as the JSON they hold; the table buffers rows to align them. Returns 0, or -1 on a
 * write error. */
int st_out_row(struct st_out *o, const struct st_cell *cells);

struct st_csv_row;

/* The columns of rejected input rows: line and reason, then the input's ncols
 * names, and for JSON Lines _json (the line as read: it may hold keys no
 * column has). */
void st_out_reject_columns(struct st_out *o, const char *const *names, size_t ncols, int jsonl);

/* Write row, read from an input of ncols columns with delimiter delim, with
 * its line and reason, as st_out_reject_columns set them up: fields past the
 * header's are joined onto the last column. Returns 0, or -1 on a write
 * error. */
int st_out_reject(struct st_out *o, const struct st_csv_row *row, size_t ncols, char delim,
    int jsonl, const char *reason);

/* Write anything buffered (the table), then free o. Returns 0, or -1 if any
 * write failed (errno set). */
int st_out_close(struct st_out *o);

/* Write out what is buffered (all but a table, which waits for its last row);
 * -1 if anything written so far failed (errno set). */
int st_out_flush(struct st_out *o);

#endif
