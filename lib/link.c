/* Personalized links for a stream of contacts: BASE?t=TOKEN&r=CODE. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/out.h"
#include "st/refmap.h"
#include "st/token.h"
#include "st/url.h"
#include "st/util.h"

/* Rows are read, given their links and codes committed, then written, this many at a time. */
#define BATCH 4096

struct batch {
	struct st_buf data;        /* the rows' fields, each NUL-terminated */
	size_t *off, *len;         /* per row and column */
	enum st_type *type;
	long *line, *id;           /* id 0: the row is left out */
	size_t *link;              /* offset of the row's link in links */
	struct st_buf links;
	size_t n, ncols;
};

struct linker {
	sqlite3 *db;
	const struct st_link_opts *o;
	struct st_link_result *res;
	struct st_error *err;
	struct st_csvin *in;
	size_t ncols, nout, linkcol;
	int idcol;
	struct st_codes codes;
	struct st_token_minter *minter;
	struct st_out *out;
	struct st_cell *cells;
	struct batch b;
};

/* The JSON type of each field of a JSON Lines row (they arrive as text). */
static void
json_types(const struct st_csv_row *row, const char *const *names, size_t ncols,
    enum st_type *type)
{
	json_t *obj = json_loadb(row->raw, row->raw_len, 0, NULL), *v;
	size_t i;

	for (i = 0; i < ncols; i++) {
		v = json_object_get(obj, names[i]);
		type[i] = v == NULL || json_is_null(v) ? ST_NULL : json_is_string(v) ? ST_TEXT :
		    json_is_integer(v) ? ST_INT : json_is_real(v) ? ST_REAL : ST_JSON;
	}
	json_decref(obj);
}

static void
skip(struct linker *l, long line, const char *why)
{
	l->res->skipped++;
	if (l->o->skipped)
		l->o->skipped(l->o->skipped_arg, line, why);
}

/* Keep row in the batch; its id is checked later. */
static void
add_row(struct linker *l, const struct st_csv_row *row)
{
	struct batch *b = &l->b;
	size_t i, k = b->n * b->ncols;
	char why[200];

	b->line[b->n] = row->line;
	b->id[b->n] = 0;
	if (row->problem != ST_ROW_OK || row->n < l->ncols) {
		snprintf(why, sizeof(why), "%s", row->problem == ST_ROW_BAD_JSON ? row->problem_msg :
		    row->problem == ST_ROW_OK ? "too few fields" : "a field is not valid text");
		skip(l, row->line, why);
		return;
	}
	if (st_csvin_is_jsonl(l->in)) {
		json_types(row, st_csvin_names(l->in), l->ncols, b->type + k);
	} else {
		for (i = 0; i < l->ncols; i++)
			b->type[k + i] = row->len[i] ? ST_TEXT : ST_NULL;
	}
	for (i = 0; i < l->ncols; i++) {
		b->off[k + i] = b->data.len;
		b->len[k + i] = row->len[i];
		st_buf_add(&b->data, row->f[i], row->len[i]);
		st_buf_addc(&b->data, '\0');
	}
	if (st_parse_long(row->f[l->idcol], 1, 0x7fffffffffffffffL, &b->id[b->n]) < 0) {
		snprintf(why, sizeof(why), "invalid contact id '%.60s'", row->f[l->idcol]);
		skip(l, row->line, why);
		b->id[b->n] = 0;
	}
	b->n++;
}

/* Give each row of the batch its link, issuing codes, in one transaction. */
static int
make_links(struct linker *l)
{
	static const char *const names[] = { "t", "r" };
	struct batch *b = &l->b;
	char code[ST_CODE_LEN + 1], token[ST_TOKEN_MAX];
	const char *values[2];
	size_t i;
	int rc, issued;

	if (st_db_begin(l->db, l->err) < 0)
		return -1;
	st_buf_reset(&b->links);
	for (i = 0; i < b->n; i++) {
		if (b->id[i] == 0)
			continue;
		rc = issued = st_codes_get(&l->codes, b->id[i], code, l->err);
		if (rc >= 0 && l->minter)
			rc = st_token_mint(l->minter, b->id[i], token, l->err);
		if (rc < 0 && l->err->status == ST_EXIT_DATA) {
			skip(l, b->line[i], l->err->msg);
			b->id[i] = 0;
			continue;
		}
		if (rc < 0)
			goto fail;
		l->res->issued += issued == 1;
		b->link[i] = b->links.len;
		values[0] = token;
		values[1] = code;
		if (st_url_set_params(l->o->base, l->minter ? names : names + 1, l->minter ? values :
		    values + 1, l->minter ? 2 : 1, &b->links, l->err) < 0)
			goto fail;
		st_buf_addc(&b->links, '\0');
	}
	return st_db_commit(l->db, l->err);
fail:
	st_db_rollback(l->db);
	return -1;
}

static int
write_rows(struct linker *l)
{
	struct batch *b = &l->b;
	size_t i, c, k;

	for (i = 0; i < b->n; i++) {
		if (b->id[i] == 0)
			continue;
		for (c = k = 0; c < l->nout; c++) {
			if (c == l->linkcol) {
				const char *s = b->links.s + b->link[i];

				l->cells[c] = (struct st_cell){ ST_TEXT, s, strlen(s) };
				if (l->linkcol < l->ncols)
					k++;
				continue;
			}
			l->cells[c] = (struct st_cell){ b->type[i * b->ncols + k], b->data.s +
			    b->off[i * b->ncols + k], b->len[i * b->ncols + k] };
			k++;
		}
		if (st_out_row(l->out, l->cells) < 0)
			return st_error_set(l->err, ST_EXIT_FAIL, "cannot write the links");
		l->res->written++;
	}
	return 0;
}

int
st_link_stream(sqlite3 *db, const struct st_link_opts *o, struct st_link_result *res,
    struct st_error *err)
{
	struct linker l = { 0 };
	struct st_csv_row *row;
	const char *const *names;
	const char **cols = NULL;
	int rc = -1, fmt;
	size_t i, k;

	memset(res, 0, sizeof(*res));
	l.db = db;
	l.o = o;
	l.res = res;
	l.err = err;
	if (st_url_check(o->base, err) < 0)
		return -1;
	if ((l.in = st_csvin_open(o->fp, o->name, &o->csv, err)) == NULL)
		return -1;
	l.ncols = st_csvin_ncols(l.in);
	names = st_csvin_names(l.in);
	if ((l.idcol = st_column_find(names, l.ncols, "id|contact_id")) < 0) {
		st_error_set(err, ST_EXIT_DATA, "no contact id column in '%s' (id or contact_id)",
		    o->name);
		goto out;
	}
	for (l.linkcol = 0; l.linkcol < l.ncols && strcmp(names[l.linkcol], o->column) != 0;
	    l.linkcol++)
		;
	l.nout = l.ncols + (l.linkcol == l.ncols);
	cols = st_xcalloc(l.nout + 1, sizeof(*cols));
	for (i = 0; i < l.ncols; i++)
		cols[i] = names[i];
	cols[l.linkcol] = o->column;
	fmt = o->fmt >= 0 ? o->fmt : st_csvin_is_jsonl(l.in) ? ST_FMT_JSON :
	    st_csvin_delim(l.in) == '\t' ? ST_FMT_TSV : ST_FMT_CSV;
	if (st_codes_open(&l.codes, db, err) < 0)
		goto out;
	if (o->key && (l.minter = st_token_minter_new(db, o->key, o->purpose, o->expires,
	    err)) == NULL)
		goto out;
	l.out = st_out_new(o->out, fmt, o->header);
	st_out_columns(l.out, l.nout, cols);
	l.cells = st_xcalloc(l.nout + 1, sizeof(*l.cells));
	k = BATCH * (l.ncols + 1);
	l.b.ncols = l.ncols;
	l.b.off = st_xcalloc(k, sizeof(*l.b.off));
	l.b.len = st_xcalloc(k, sizeof(*l.b.len));
	l.b.type = st_xcalloc(k, sizeof(*l.b.type));
	l.b.line = st_xcalloc(BATCH, sizeof(*l.b.line));
	l.b.id = st_xcalloc(BATCH, sizeof(*l.b.id));
	l.b.link = st_xcalloc(BATCH, sizeof(*l.b.link));
	do {
		l.b.n = 0;
		st_buf_reset(&l.b.data);
		while (l.b.n < BATCH && (rc = st_csvin_next(l.in, &row, err)) > 0) {
			res->read++;
			add_row(&l, row);
		}
		if (rc < 0 || (l.b.n > 0 && (make_links(&l) < 0 || write_rows(&l) < 0))) {
			rc = -1;
			break;
		}
	} while (rc > 0);
	if (st_out_close(l.out) < 0 && rc == 0)
		rc = st_error_set(err, ST_EXIT_FAIL, "cannot write the links");
	l.out = NULL;
out:
	st_out_close(l.out);
	st_token_minter_free(l.minter);
	st_codes_close(&l.codes);
	free(cols);
	free(l.cells);
	free(l.b.off);
	free(l.b.len);
	free(l.b.type);
	free(l.b.line);
	free(l.b.id);
	free(l.b.link);
	st_buf_free(&l.b.data);
	st_buf_free(&l.b.links);
	st_csvin_close(l.in);
	return rc < 0 ? -1 : 0;
}
