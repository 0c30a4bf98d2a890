#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "st/csvin.h"
#include "st/out.h"
#include "st/util.h"

struct st_out {
	FILE *fp;
	enum st_format fmt;
	int header;
	size_t n;
	char **names;
	/* table: every cell, row-major, and column widths */
	char **cells;
	size_t nrows, cap;
	size_t *width;
	int *numeric;
	struct st_buf tmp;
	int failed;
};

int
st_format_parse(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return ST_FMT_CSV;
	if (strcmp(s, "tsv") == 0)
		return ST_FMT_TSV;
	if (strcmp(s, "json") == 0 || strcmp(s, "jsonl") == 0)
		return ST_FMT_JSON;
	if (strcmp(s, "table") == 0)
		return ST_FMT_TABLE;
	return -1;
}

struct st_out *
st_out_new(FILE *fp, enum st_format fmt, int header)
{
	struct st_out *o = st_xcalloc(1, sizeof(*o));

	o->fp = fp;
	o->fmt = fmt;
	o->header = header;
	return o;
}

static void
put_csv(struct st_out *o, const char *s, size_t len)
{
	size_t i;
	int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');

	for (i = 0; i < len && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote) {
		fwrite(s, 1, len, o->fp);
		return;
	}
	if (csv_fwrite(o->fp, s, len) != 0)
		o->failed = 1;
}

static void
put_tsv(struct st_out *o, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\t': fputs("\\t", o->fp); break;
		case '\n': fputs("\\n", o->fp); break;
		case '\r': fputs("\\r", o->fp); break;
		case '\\': fputs("\\\\", o->fp); break;
		default: putc(s[i], o->fp);
		}
	}
}

static void
put_delimited(struct st_out *o, size_t n, const char *const *s, const size_t *len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			putc(o->fmt == ST_FMT_CSV ? ',' : '\t', o->fp);
		if (o->fmt == ST_FMT_CSV)
			put_csv(o, s[i], len[i]);
		else
			put_tsv(o, s[i], len[i]);
	}
	putc('\n', o->fp);
}

void
st_out_columns(struct st_out *o, size_t n, const char *const *names)
{
	size_t i, *len;

	o->n = n;
	o->names = st_xcalloc(n + 1, sizeof(*o->names));
	len = st_xcalloc(n + 1, sizeof(*len));
	for (i = 0; i < n; i++) {
		o->names[i] = st_xstrdup(names[i]);
		len[i] = strlen(names[i]);
	}
	if (o->fmt == ST_FMT_TABLE) {
		o->width = st_xcalloc(n + 1, sizeof(*o->width));
		o->numeric = st_xcalloc(n + 1, sizeof(*o->numeric));
		for (i = 0; i < n; i++)
			o->numeric[i] = 1;
	}
	if (o->header && (o->fmt == ST_FMT_CSV || o->fmt == ST_FMT_TSV))
		put_delimited(o, n, (const char *const *)o->names, len);
	free(len);
}

/* Display width of UTF-8 text: one column per code point (wide CJK counted as 2). */
static size_t
text_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if ((*p & 0xc0) != 0x80)
			w += (*p >= 0xe3 && *p <= 0xed) ? 2 : 1;
		p++;
	}
	return w;
}

static int
json_row(struct st_out *o, const struct st_cell *c)
{
	json_t *obj = json_object();
	size_t i;
	int rc;

	for (i = 0; i < o->n; i++) {
		json_t *v;

		switch (c[i].type) {
		case ST_NULL:
			v = json_null();
			break;
		case ST_INT:
			v = json_integer(strtoll(c[i].s, NULL, 10));
			break;
		case ST_REAL:
			v = json_real(strtod(c[i].s, NULL));
			break;
		case ST_JSON:
			v = json_loadb(c[i].s, c[i].len, JSON_DECODE_ANY, NULL);
			if (v == NULL)  /* not JSON after all: a string */
				v = json_stringn(c[i].s, c[i].len);
			break;
		default:
			v = json_stringn(c[i].s, c[i].len);
			if (v == NULL) {
				/* Not UTF-8 (written by some other tool): keep it readable. */
				st_buf_reset(&o->tmp);
				st_cp1252_to_utf8(&o->tmp, c[i].s, c[i].len);
				v = json_stringn(o->tmp.s, o->tmp.len);
			}
		}
		json_object_set_new(obj, o->names[i], v ? v : json_null());
	}
	rc = json_dumpf(obj, o->fp, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(obj);
	putc('\n', o->fp);
	return rc;
}

int
st_out_row(struct st_out *o, const struct st_cell *c)
{
	const char **s;
	size_t *len, i;

	if (o->fmt == ST_FMT_JSON) {
		if (json_row(o, c) != 0)
			o->failed = 1;
		return ferror(o->fp) || o->failed ? -1 : 0;
	}
	if (o->fmt == ST_FMT_TABLE) {
		if ((o->nrows + 1) * o->n > o->cap) {
			o->cap = o->cap ? o->cap * 2 : o->n * 64;
			o->cells = st_xrealloc(o->cells, o->cap * sizeof(*o->cells));
		}
		for (i = 0; i < o->n; i++) {
			char *v;
			size_t w;

			if (c[i].type == ST_NULL) {
				v = st_xstrdup("");
			} else {
				size_t k;

				v = st_xstrndup(c[i].s, c[i].len);
				for (k = 0; k < c[i].len; k++)
					if (v[k] == '\n' || v[k] == '\r' || v[k] == '\t')
						v[k] = ' ';
			}
			if (c[i].type == ST_TEXT || c[i].type == ST_JSON)
				o->numeric[i] = 0;
			w = text_width(v);
			if (w > o->width[i])
				o->width[i] = w;
			o->cells[o->nrows * o->n + i] = v;
		}
		o->nrows++;
		return 0;
	}
	s = st_xcalloc(o->n + 1, sizeof(*s));
	len = st_xcalloc(o->n + 1, sizeof(*len));
	for (i = 0; i < o->n; i++) {
		s[i] = c[i].type == ST_NULL ? "" : c[i].s;
		len[i] = c[i].type == ST_NULL ? 0 : c[i].len;
	}
	put_delimited(o, o->n, s, len);
	free(s);
	free(len);
	return ferror(o->fp) || o->failed ? -1 : 0;
}

void
st_out_reject_columns(struct st_out *o, const char *const *names, size_t ncols, int jsonl)
{
	const char **cols = st_xcalloc(ncols + 3, sizeof(*cols));
	size_t i;

	cols[0] = "line";
	cols[1] = "reason";
	for (i = 0; i < ncols; i++)
		cols[i + 2] = names[i];
	cols[ncols + 2] = "_json";
	st_out_columns(o, ncols + 2 + (jsonl != 0), cols);
	free(cols);
}

int
st_out_reject(struct st_out *o, const struct st_csv_row *row, size_t ncols, char delim, int jsonl,
    const char *reason)
{
	struct st_cell *c = st_xcalloc(ncols + 3, sizeof(*c));
	struct st_buf surplus = { 0 };
	char line[32];
	size_t i;
	int rc;

	snprintf(line, sizeof(line), "%ld", row->line);
	c[0] = (struct st_cell){ ST_INT, line, strlen(line) };
	c[1] = (struct st_cell){ ST_TEXT, reason, strlen(reason) };
	for (i = 0; i < ncols; i++)
		c[i + 2] = i < row->n ? (struct st_cell){ ST_TEXT, row->f[i], row->len[i] } :
		    (struct st_cell){ ST_NULL, NULL, 0 };
	if (row->n > ncols && ncols > 0) {
		st_buf_add(&surplus, row->f[ncols - 1], row->len[ncols - 1]);
		for (i = ncols; i < row->n; i++) {
			st_buf_addc(&surplus, delim);
			st_buf_add(&surplus, row->f[i], row->len[i]);
		}
		c[ncols + 1] = (struct st_cell){ ST_TEXT, surplus.s, surplus.len };
	}
	if (jsonl)
		c[ncols + 2] = (struct st_cell){ ST_TEXT, row->raw ? row->raw : "", row->raw_len };
	rc = st_out_row(o, c);
	st_buf_free(&surplus);
	free(c);
	return rc;
}

static void
table_line(struct st_out *o, char **v)
{
	size_t i, w, k;

	st_buf_reset(&o->tmp);
	for (i = 0; i < o->n; i++) {
		w = text_width(v[i]);
		if (i)
			st_buf_adds(&o->tmp, "  ");
		if (o->numeric[i])
			for (k = w; k < o->width[i]; k++)
				st_buf_addc(&o->tmp, ' ');
		st_buf_adds(&o->tmp, v[i]);
		if (!o->numeric[i])
			for (k = w; k < o->width[i]; k++)
				st_buf_addc(&o->tmp, ' ');
	}
	/* No trailing blanks when the last columns are empty. */
	while (o->tmp.len > 0 && o->tmp.s[o->tmp.len - 1] == ' ')
		o->tmp.len--;
	fwrite(o->tmp.s ? o->tmp.s : "", 1, o->tmp.len, o->fp);
	putc('\n', o->fp);
}

int
st_out_flush(struct st_out *o)
{
	if (o->fmt != ST_FMT_TABLE && fflush(o->fp) != 0)
		o->failed = 1;
	return (ferror(o->fp) || o->failed) ? -1 : 0;
}

int
st_out_close(struct st_out *o)
{
	size_t i, r;
	int rc;

	if (o == NULL)
		return 0;
	if (o->fmt == ST_FMT_TABLE) {
		for (i = 0; i < o->n; i++) {
			size_t w = text_width(o->names[i]);

			if (w > o->width[i])
				o->width[i] = w;
		}
		if (o->header)
			table_line(o, o->names);
		for (r = 0; r < o->nrows; r++)
			table_line(o, o->cells + r * o->n);
		for (i = 0; i < o->nrows * o->n; i++)
			free(o->cells[i]);
	}
	rc = (ferror(o->fp) || o->failed) ? -1 : 0;
	for (i = 0; i < o->n; i++)
		free(o->names[i]);
	free(o->names);
	free(o->cells);
	free(o->width);
	free(o->numeric);
	st_buf_free(&o->tmp);
	free(o);
	return rc;
}
