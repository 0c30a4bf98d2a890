#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st/exit.h"
#include "st/rowpipe.h"

#define NBATCH 4              /* batches in flight */
#define BATCH_ROWS 512
#define BATCH_BYTES (1u << 20)
#define NONE SIZE_MAX

/* A row as the reader copied it: offsets into its batch's arrays and bytes. */
struct rec {
	size_t n, field;      /* number of fields; index of the first in flen/foff */
	long line;
	enum st_row_problem problem;
	size_t problem_col;
	size_t msg, raw, raw_len, data, data_len, offset;
};

struct batch {
	struct rec *rec;
	size_t nrec, caprec;
	size_t *flen, *foff;
	size_t nf, capf;
	struct st_buf bytes;
};

struct st_rowpipe {
	struct st_csvin *in;
	st_rowpipe_prep prep;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[NBATCH];
	size_t filled, taken;  /* batches the reader filled, the caller finished */
	int done, rc, stop;    /* the reader has ended, with rc; asked to stop */
	struct st_error err;
	/* the caller's side */
	int holding;           /* holds batch taken % NBATCH, at row pos */
	size_t pos, offset;
	struct st_csv_row row;
	size_t cap;
};

/* Copy n bytes of s and a NUL; where they start. */
static size_t
add_bytes(struct batch *b, const char *s, size_t n)
{
	size_t at = b->bytes.len;

	st_buf_add(&b->bytes, s, n);
	st_buf_addc(&b->bytes, '\0');
	return at;
}

/* Copy row into batch b and prepare it; -1 if the preparation failed. */
static int
copy_row(struct st_rowpipe *p, struct batch *b, const struct st_csv_row *row,
    struct st_error *err)
{
	struct rec *r;
	size_t i;

	if (b->nrec == b->caprec) {
		b->caprec = b->caprec ? 2 * b->caprec : 64;
		b->rec = st_xrealloc(b->rec, b->caprec * sizeof(*b->rec));
	}
	if (b->nf + row->n > b->capf) {
		while (b->nf + row->n > b->capf)
			b->capf = b->capf ? 2 * b->capf : 1024;
		b->flen = st_xrealloc(b->flen, b->capf * sizeof(*b->flen));
		b->foff = st_xrealloc(b->foff, b->capf * sizeof(*b->foff));
	}
	r = &b->rec[b->nrec++];
	r->n = row->n;
	r->field = b->nf;
	for (i = 0; i < row->n; i++) {
		b->flen[b->nf] = row->len[i];
		/* Fields end in a NUL already: copy it with them. */
		b->foff[b->nf++] = b->bytes.len;
		st_buf_add(&b->bytes, row->f[i], row->len[i] + 1);
	}
	r->line = row->line;
	r->problem = row->problem;
	r->problem_col = row->problem_col;
	r->msg = row->problem_msg ? add_bytes(b, row->problem_msg, strlen(row->problem_msg)) : NONE;
	r->raw = row->raw ? add_bytes(b, row->raw, row->raw_len) : NONE;
	r->raw_len = row->raw_len;
	r->offset = st_csvin_offset(p->in);
	r->data = b->bytes.len;
	if (p->prep(p->arg, row, &b->bytes, err) < 0)
		return -1;
	r->data_len = b->bytes.len - r->data;
	st_buf_addc(&b->bytes, '\0');
	return 0;
}

static void *
reader(void *arg)
{
	struct st_rowpipe *p = arg;
	struct st_error err = { 0 };
	int rc = 1;

	while (rc > 0) {
		struct batch *b;
		struct st_csv_row *row;

		pthread_mutex_lock(&p->mu);
		while (p->filled - p->taken == NBATCH && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			p->done = 1;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		b = &p->b[p->filled % NBATCH];
		b->nrec = b->nf = 0;
		st_buf_reset(&b->bytes);
		while (b->nrec < BATCH_ROWS && b->bytes.len < BATCH_BYTES) {
			if ((rc = st_csvin_next(p->in, &row, &err)) <= 0)
				break;
			if (copy_row(p, b, row, &err) < 0) {
				rc = -1;
				break;
			}
		}
		pthread_mutex_lock(&p->mu);
		p->filled++;
		if (rc <= 0) {
			p->done = 1;
			p->rc = rc;
			p->err = err;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

struct st_rowpipe *
st_rowpipe_start(struct st_csvin *in, st_rowpipe_prep prep, void *arg, struct st_error *err)
{
	struct st_rowpipe *p = st_xcalloc(1, sizeof(*p));

	p->in = in;
	p->prep = prep;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, reader, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		st_error_set(err, ST_EXIT_FAIL, "cannot start a thread to read the input");
		return NULL;
	}
	return p;
}

/* Point p->row at record r of batch b. */
static void
make_row(struct st_rowpipe *p, const struct batch *b, const struct rec *r)
{
	size_t i;

	if (r->n > p->cap) {
		p->cap = r->n;
		p->row.f = st_xrealloc(p->row.f, p->cap * sizeof(*p->row.f));
		p->row.len = st_xrealloc(p->row.len, p->cap * sizeof(*p->row.len));
	}
	for (i = 0; i < r->n; i++) {
		p->row.f[i] = b->bytes.s + b->foff[r->field + i];
		p->row.len[i] = b->flen[r->field + i];
	}
	p->row.n = r->n;
	p->row.line = r->line;
	p->row.problem = r->problem;
	p->row.problem_col = r->problem_col;
	p->row.problem_msg = r->msg == NONE ? NULL : b->bytes.s + r->msg;
	p->row.raw = r->raw == NONE ? NULL : b->bytes.s + r->raw;
	p->row.raw_len = r->raw_len;
	p->offset = r->offset;
}

int
st_rowpipe_next(struct st_rowpipe *p, struct st_csv_row **row, const char **data, size_t *len,
    struct st_error *err)
{
	struct batch *b;
	const struct rec *r;

	for (;;) {
		if (p->holding) {
			b = &p->b[p->taken % NBATCH];
			if (++p->pos < b->nrec)
				break;
			pthread_mutex_lock(&p->mu);
			p->taken++;
			p->holding = 0;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
		}
		pthread_mutex_lock(&p->mu);
		while (p->taken == p->filled && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->taken == p->filled) {
			int rc = p->rc;

			if (rc < 0 && err)
				*err = p->err;
			pthread_mutex_unlock(&p->mu);
			return rc;
		}
		pthread_mutex_unlock(&p->mu);
		p->holding = 1;
		p->pos = 0;
		if (p->b[p->taken % NBATCH].nrec > 0)
			break;
		p->pos = (size_t)-1;   /* an empty batch: the next turn releases it */
	}
	b = &p->b[p->taken % NBATCH];
	r = &b->rec[p->pos];
	make_row(p, b, r);
	*row = &p->row;
	*data = b->bytes.s + r->data;
	*len = r->data_len;
	return 1;
}

size_t
st_rowpipe_offset(const struct st_rowpipe *p)
{
	return p->offset;
}

void
st_rowpipe_stop(struct st_rowpipe *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (i = 0; i < NBATCH; i++) {
		free(p->b[i].rec);
		free(p->b[i].flen);
		free(p->b[i].foff);
		st_buf_free(&p->b[i].bytes);
	}
	free(p->row.f);
	free(p->row.len);
	free(p);
}
