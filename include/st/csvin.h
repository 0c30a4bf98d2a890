/* A streaming reader for CSV, TSV and other delimited text, on libcsv. */
#ifndef ST_CSVIN_H
#define ST_CSVIN_H

#include <stddef.h>
#include <stdio.h>

struct st_error;

enum st_encoding {
	ST_ENC_AUTO,   /* UTF-8 where a field is valid UTF-8, else read as Windows-1252 */
	ST_ENC_UTF8,   /* invalid UTF-8 marks the row bad */
	ST_ENC_CP1252  /* Windows-1252 / Latin-1, transcoded to UTF-8 */
};

struct st_csv_opts {
	char delim;              /* 0: sniff among ',', '\t', '|' and ';' */
	int no_header;           /* the first row is data */
	const char *columns;     /* comma-separated names when no_header (else column_N) */
	enum st_encoding enc;
	size_t max_field;        /* longest field in bytes; 0 means 1 MiB */
};

/* Why a row is bad; the row is still returned so the caller can reject it. */
enum st_row_problem {
	ST_ROW_OK,
	ST_ROW_NUL,         /* a field holds a NUL byte */
	ST_ROW_BAD_UTF8,    /* a field is not UTF-8 (ST_ENC_UTF8 only) */
	ST_ROW_BAD_JSON     /* JSON Lines: not an object, or a key the first line lacks;
	                       problem_msg says which */
};

struct st_csv_row {
	size_t n;             /* number of fields */
	char **f;             /* UTF-8, NUL-terminated, one after another in memory:
	                         f[i + 1] == f[i] + len[i] + 1 */
	size_t *len;
	long line;            /* line of the file the row starts on */
	enum st_row_problem problem;
	size_t problem_col;   /* the field the problem is in */
	const char *problem_msg;
	const char *raw;      /* JSON Lines: the line as read (else NULL) */
	size_t raw_len;
};

struct st_csvin;

/* Start reading fp (name is used in messages). Sniffs the delimiter, strips
 * a UTF-8 byte-order mark, refuses UTF-16 and compressed input, and reads the
 * header row: empty names become column_N, duplicate names are an error.
 * Input whose first character is '{' (and no delimiter given) is read as
 * JSON Lines: the first object's keys are the columns, values are given as
 * text (numbers and booleans as written, null as empty, arrays and objects
 * as compact JSON), and a later line with another key is a bad row.
 * Returns NULL and fills err (ST_EXIT_DATA for bad input, naming the line). */
struct st_csvin *st_csvin_open(FILE *fp, const char *name, const struct st_csv_opts *o,
    struct st_error *err);

/* The column names (ncols of them), in file order. */
size_t st_csvin_ncols(const struct st_csvin *r);
const char *const *st_csvin_names(const struct st_csvin *r);

/* 1 if the input is being read as JSON Lines. */
int st_csvin_is_jsonl(const struct st_csvin *r);

/* The delimiter in use. */
char st_csvin_delim(const struct st_csvin *r);

/* Read the next row into *row (valid until the next call). Returns 1 for a
 * row, 0 at the end, -1 on a fatal error (unterminated quote, malformed
 * quoting, an over-long field, a read error) with err filled. */
int st_csvin_next(struct st_csvin *r, struct st_csv_row **row, struct st_error *err);

/* Bytes consumed so far (for progress). */
size_t st_csvin_offset(const struct st_csvin *r);

void st_csvin_close(struct st_csvin *r);

#endif
