#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st/csvin.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/util.h"

#define CHUNK 65536
#define PIECE 16384

/* Rows completed by libcsv and not yet handed out. */
struct qrow {
	struct st_buf data;    /* field bytes, each NUL-terminated */
	size_t *off, *len;
	size_t n, cap;
	long line;
	enum st_row_problem problem;
	size_t problem_col;
	char problem_msg[160];
	struct st_buf raw;     /* JSON Lines: the line */
};

struct st_csvin {
	FILE *fp;
	char *name;
	struct csv_parser p;
	struct st_csv_opts o;
	char delim;
	char *buf;             /* the current chunk */
	size_t buflen, bufpos;
	int eof, done, fatal, long_field, jsonl;
	struct st_error fatal_err;  /* what a fatal error said, for later calls */
	long line;             /* line number of the next byte fed */
	long row_line;         /* line the row being parsed started on */
	size_t consumed;
	struct qrow *q;        /* queue of completed rows */
	size_t qn, qhead, qcap;
	struct qrow cur;       /* the row being parsed */
	struct st_buf tmp;
	struct st_error *err;
	char **names;
	size_t ncols;
	struct st_csv_row out;
	char **outf;
	size_t outcap;
};

static void
field_cb(void *data, size_t len, void *arg)
{
	struct st_csvin *r = arg;
	struct qrow *c = &r->cur;
	const char *s = data ? data : "";
	size_t start = c->data.len;

	if (len > r->o.max_field)
		r->long_field = 1;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->off = st_xrealloc(c->off, c->cap * sizeof(*c->off));
		c->len = st_xrealloc(c->len, c->cap * sizeof(*c->len));
	}
	if (c->problem == ST_ROW_OK && memchr(s, '\0', len)) {
		c->problem = ST_ROW_NUL;
		c->problem_col = c->n;
	}
	if (r->o.enc == ST_ENC_CP1252 || (!st_utf8_valid(s, len) && r->o.enc == ST_ENC_AUTO)) {
		st_cp1252_to_utf8(&c->data, s, len);
	} else {
		if (c->problem == ST_ROW_OK && r->o.enc == ST_ENC_UTF8 && !st_utf8_valid(s, len)) {
			c->problem = ST_ROW_BAD_UTF8;
			c->problem_col = c->n;
		}
		st_buf_add(&c->data, s, len);
	}
	c->off[c->n] = start;
	c->len[c->n] = c->data.len - start;
	st_buf_addc(&c->data, '\0');
	c->n++;
}

static void
row_cb(int term, void *arg)
{
	struct st_csvin *r = arg;
	struct qrow tmp;

	(void)term;
	if (r->qn == r->qcap) {
		r->qcap = r->qcap ? r->qcap * 2 : 4;
		r->q = st_xrealloc(r->q, r->qcap * sizeof(*r->q));
		memset(r->q + r->qn, 0, (r->qcap - r->qn) * sizeof(*r->q));
	}
	r->cur.line = r->row_line;
	/* Swap buffers so both the queued row and the next row reuse memory. */
	tmp = r->q[r->qn];
	r->q[r->qn++] = r->cur;
	r->cur = tmp;
	r->cur.n = 0;
	r->cur.problem = ST_ROW_OK;
	r->cur.problem_msg[0] = '\0';
	st_buf_reset(&r->cur.data);
}

static int
fill(struct st_csvin *r)
{
	size_t n;

	if (r->eof)
		return 0;
	n = fread(r->buf, 1, CHUNK, r->fp);
	if (n < CHUNK) {
		if (ferror(r->fp))
			return st_error_set(r->err, ST_EXIT_FAIL, "cannot read '%s': %s", r->name,
			    strerror(errno));
		r->eof = 1;
	}
	r->buflen = n;
	r->bufpos = 0;
	return (int)n;
}

static int
parse_error(struct st_csvin *r)
{
	r->fatal = 1;
	if (csv_error(&r->p) == CSV_ETOOBIG)
		return st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: field too large", r->name,
		    r->row_line);
	return st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: malformed quoting in the row "
	    "starting here", r->name, r->row_line);
}

static int
too_long(struct st_csvin *r)
{
	r->fatal = 1;
	return st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: field longer than %zu bytes "
	    "(is a quote unterminated?)", r->name, r->row_line, r->o.max_field);
}

/* Feed the parser up to one line of the current chunk. */
static int
feed(struct st_csvin *r)
{
	const char *s = r->buf + r->bufpos;
	size_t avail = r->buflen - r->bufpos, n;
	const char *nl = memchr(s, '\n', avail > PIECE ? PIECE : avail);
	int ended = nl != NULL;

	n = nl ? (size_t)(nl - s) + 1 : (avail > PIECE ? PIECE : avail);
	if (r->p.pstate == 0 && r->cur.n == 0)
		r->row_line = r->line;
	if (csv_parse(&r->p, s, n, field_cb, row_cb, r) != n)
		return parse_error(r);
	r->bufpos += n;
	r->consumed += n;
	if (ended)
		r->line++;
	/* A field still being read (libcsv's entry), or one just finished. */
	if (r->p.entry_pos > r->o.max_field || r->long_field)
		return too_long(r);
	return 0;
}

/* JSON Lines: turn the object on one line into a row (the first object also
 * names the columns). */
static int
jsonl_row(struct st_csvin *r)
{
	json_error_t jerr;
	json_t *obj, *v;
	const char *key;
	size_t i;

	r->row_line = r->line;
	obj = json_loadb(r->tmp.s, r->tmp.len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (r->names == NULL) {
		size_t n = 0;

		if (!json_is_object(obj)) {
			json_decref(obj);
			r->fatal = 1;
			return st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: not a JSON object%s%s",
			    r->name, r->line, obj ? "" : ": ", obj ? "" : jerr.text);
		}
		r->names = st_xcalloc(json_object_size(obj) + 1, sizeof(*r->names));
		json_object_foreach(obj, key, v)
			r->names[n++] = st_xstrdup(key);
		r->ncols = n;
	}
	if (!json_is_object(obj)) {
		snprintf(r->cur.problem_msg, sizeof(r->cur.problem_msg), "not a JSON object%s%.120s",
		    obj ? "" : ": ", obj ? "" : jerr.text);
		r->cur.problem = ST_ROW_BAD_JSON;
	} else {
		json_object_foreach(obj, key, v) {
			for (i = 0; i < r->ncols && strcmp(r->names[i], key) != 0; i++)
				;
			if (i == r->ncols && r->cur.problem == ST_ROW_OK) {
				snprintf(r->cur.problem_msg, sizeof(r->cur.problem_msg),
				    "key '%.100s' is not in the first line", key);
				r->cur.problem = ST_ROW_BAD_JSON;
			}
		}
	}
	for (i = 0; i < r->ncols; i++) {
		v = json_is_object(obj) ? json_object_get(obj, r->names[i]) : NULL;
		if (json_is_string(v)) {
			field_cb((void *)json_string_value(v), json_string_length(v), r);
		} else if (v == NULL || json_is_null(v)) {
			field_cb(NULL, 0, r);
		} else {
			char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

			field_cb(text, text ? strlen(text) : 0, r);
			free(text);
		}
	}
	json_decref(obj);
	st_buf_reset(&r->cur.raw);
	st_buf_add(&r->cur.raw, r->tmp.s, r->tmp.len);
	row_cb('\n', r);
	return 0;
}

/* JSON Lines: gather the current chunk up to the end of a line. */
static int
feed_jsonl(struct st_csvin *r)
{
	const char *s = r->buf + r->bufpos;
	size_t avail = r->buflen - r->bufpos;
	const char *nl = memchr(s, '\n', avail);
	size_t n = nl ? (size_t)(nl - s) + 1 : avail, i;

	st_buf_add(&r->tmp, s, nl ? n - 1 : n);
	r->bufpos += n;
	r->consumed += n;
	if (r->tmp.len > r->o.max_field)
		return too_long(r);
	if (nl == NULL && !(r->eof && r->bufpos == r->buflen))
		return 0;
	for (i = 0; i < r->tmp.len && strchr(" \t\r", r->tmp.s[i]); i++)
		;
	if (i < r->tmp.len && jsonl_row(r) < 0)
		return -1;
	st_buf_reset(&r->tmp);
	if (nl)
		r->line++;
	return 0;
}

/* Make at least one completed row available; 0 at the end, -1 on error. */
static int
pump(struct st_csvin *r)
{
	if (r->qhead == r->qn) {
		r->qhead = r->qn = 0;
	}
	while (r->qn == r->qhead) {
		if (r->fatal)
			return -1;
		if (r->done)
			return 0;
		if (r->bufpos == r->buflen) {
			int n = fill(r);

			if (n < 0)
				return -1;
			if (n == 0 && r->jsonl) {
				r->done = 1;
				continue;
			}
			if (n == 0) {
				r->done = 1;
				if (csv_fini(&r->p, field_cb, row_cb, r) != 0) {
					r->fatal = 1;
					return st_error_set(r->err, ST_EXIT_DATA,
					    "'%s' line %ld: unterminated quoted field", r->name,
					    r->row_line);
				}
				if (r->long_field)
					return too_long(r);
				continue;
			}
		}
		if ((r->jsonl ? feed_jsonl(r) : feed(r)) < 0)
			return -1;
	}
	return 1;
}

static char
sniff(const char *s, size_t n)
{
	static const char cands[] = ",\t|;";
	size_t count[4] = { 0 }, i, best = 0;
	int inq = 0;

	for (i = 0; i < n && s[i] != '\n'; i++) {
		const char *c;

		if (s[i] == '"')
			inq = !inq;
		else if (!inq && (c = memchr(cands, s[i], 4)) != NULL)
			count[c - cands]++;
	}
	for (i = 1; i < 4; i++)
		if (count[i] > count[best])
			best = i;
	return cands[best];
}

static void
set_row(struct st_csvin *r, struct qrow *q)
{
	size_t i;

	if (q->n > r->outcap) {
		r->outcap = q->n;
		r->outf = st_xrealloc(r->outf, r->outcap * sizeof(*r->outf));
	}
	for (i = 0; i < q->n; i++)
		r->outf[i] = q->data.s + q->off[i];
	r->out.n = q->n;
	r->out.f = r->outf;
	r->out.len = q->len;
	r->out.line = q->line;
	r->out.problem = q->problem;
	r->out.problem_col = q->problem_col;
	r->out.problem_msg = q->problem_msg;
	r->out.raw = r->jsonl ? q->raw.s : NULL;
	r->out.raw_len = r->jsonl ? q->raw.len : 0;
}

/* The name of unnamed column i: column_1, column_2, ... */
static char *
column_name(size_t i)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "column_%zu", i + 1);
	return st_xstrdup(tmp);
}

static int
read_header(struct st_csvin *r)
{
	struct qrow *q;
	size_t i, j;
	char **given = NULL;

	int rc = pump(r);

	if (rc < 0)
		goto fail;
	if (rc == 0) {
		st_error_set(r->err, ST_EXIT_DATA, "'%s' is empty", r->name);
		goto fail;
	}
	if (r->jsonl) {
		/* The first object named the columns; it stays queued as data. */
	} else if (r->o.no_header) {
		given = st_split_list(r->o.columns);
		r->ncols = r->q[r->qhead].n;
		if (st_strv_len(given) > r->ncols)
			r->ncols = st_strv_len(given);
		r->names = st_xcalloc(r->ncols + 1, sizeof(*r->names));
		for (i = 0; i < r->ncols; i++)
			r->names[i] = i < st_strv_len(given) ? st_xstrdup(given[i]) : column_name(i);
		st_strv_free(given);
		given = NULL;
	} else {
		q = &r->q[r->qhead++];
		r->ncols = q->n;
		r->names = st_xcalloc(r->ncols + 1, sizeof(*r->names));
		for (i = 0; i < q->n; i++) {
			char *s = q->data.s + q->off[i];
			size_t len = q->len[i];

			if (q->problem != ST_ROW_OK && q->problem_col == i) {
				st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: header column %zu is "
				    "not text", r->name, q->line, i + 1);
				goto fail;
			}
			while (len && (*s == ' ' || *s == '\t'))
				s++, len--;
			while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
				len--;
			r->names[i] = len == 0 ? column_name(i) : st_xstrndup(s, len);
		}
	}
	for (i = 0; i < r->ncols; i++)
		for (j = 0; j < i; j++)
			if (strcmp(r->names[i], r->names[j]) == 0) {
				if (r->o.no_header)
					st_error_set(r->err, ST_EXIT_USAGE, "duplicate column '%s' in "
					    "--columns (columns %zu and %zu)", r->names[i], j + 1, i + 1);
				else
					st_error_set(r->err, ST_EXIT_DATA, "'%s' line %ld: duplicate "
					    "column '%s' (columns %zu and %zu)", r->name,
					    r->q[r->qhead - 1].line, r->names[i], j + 1, i + 1);
				goto fail;
			}
	return 0;
fail:
	st_strv_free(given);
	return -1;
}

struct st_csvin *
st_csvin_open(FILE *fp, const char *name, const struct st_csv_opts *o, struct st_error *err)
{
	struct st_csvin *r = st_xcalloc(1, sizeof(*r));
	const unsigned char *b;

	r->fp = fp;
	r->name = st_xstrdup(name);
	r->o = *o;
	if (r->o.max_field == 0)
		r->o.max_field = 1 << 20;
	r->err = err;
	r->line = r->row_line = 1;
	r->buf = st_xmalloc(CHUNK);
	if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		st_error_set(err, ST_EXIT_FAIL, "cannot start the CSV parser");
		goto fail;
	}
	if (fill(r) < 0)
		goto fail;
	b = (const unsigned char *)r->buf;
	if (r->buflen >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff))) {
		st_error_set(err, ST_EXIT_DATA, "'%s' is UTF-16; convert it with iconv -f UTF-16 "
		    "-t UTF-8", name);
		goto fail;
	}
	if (r->buflen >= 2 && ((b[0] == 0x1f && b[1] == 0x8b) || (b[0] == 'P' && b[1] == 'K' &&
	    r->buflen >= 4 && b[2] == 3 && b[3] == 4))) {
		st_error_set(err, ST_EXIT_DATA, "'%s' is compressed (%s); extract it first", name,
		    b[0] == 0x1f ? "gzip" : "zip");
		goto fail;
	}
	if (r->buflen >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		r->bufpos = r->consumed = 3;
	{
		size_t i = r->bufpos;

		while (i < r->buflen && strchr(" \t\r\n", r->buf[i]))
			i++;
		r->jsonl = o->delim == 0 && i < r->buflen && r->buf[i] == '{';
	}
	r->delim = o->delim ? o->delim : sniff(r->buf + r->bufpos, r->buflen - r->bufpos);
	csv_set_delim(&r->p, (unsigned char)r->delim);
	if (read_header(r) < 0)
		goto fail;
	return r;
fail:
	st_csvin_close(r);
	return NULL;
}

size_t
st_csvin_ncols(const struct st_csvin *r)
{
	return r->ncols;
}

const char *const *
st_csvin_names(const struct st_csvin *r)
{
	return (const char *const *)r->names;
}

int
st_csvin_is_jsonl(const struct st_csvin *r)
{
	return r->jsonl;
}

char
st_csvin_delim(const struct st_csvin *r)
{
	return r->delim;
}

size_t
st_csvin_offset(const struct st_csvin *r)
{
	return r->consumed;
}

int
st_csvin_next(struct st_csvin *r, struct st_csv_row **row, struct st_error *err)
{
	int rc;

	if (r->fatal) {
		if (err)
			*err = r->fatal_err;
		return -1;
	}
	r->err = err;
	rc = pump(r);
	if (rc < 0 && err)
		r->fatal_err = *err;
	if (rc <= 0)
		return rc;
	set_row(r, &r->q[r->qhead++]);
	*row = &r->out;
	return 1;
}

static void
qrow_free(struct qrow *q)
{
	st_buf_free(&q->data);
	st_buf_free(&q->raw);
	free(q->off);
	free(q->len);
}

void
st_csvin_close(struct st_csvin *r)
{
	size_t i;

	if (r == NULL)
		return;
	csv_free(&r->p);
	for (i = 0; i < r->qcap; i++)
		qrow_free(&r->q[i]);
	free(r->q);
	qrow_free(&r->cur);
	st_buf_free(&r->tmp);
	for (i = 0; r->names && i < r->ncols; i++)
		free(r->names[i]);
	free(r->names);
	free(r->outf);
	free(r->buf);
	free(r->name);
	free(r);
}
