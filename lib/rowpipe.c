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

/* A row as the reader copied it: offsets into its batch's arrays and bytes,
 * and where its prepared bytes are. */
struct rec {
	size_t n, field;      /* number of fields; index of the first in flen/foff */
	long line;
	enum st_row_problem problem;
	size_t problem_col;
	size_t msg, raw, raw_len, offset;
	size_t data, data_len;
};

struct batch {
	struct rec *rec;
	size_t nrec, caprec;
	size_t *flen, *foff;
	size_t nf, capf;
	struct st_buf bytes;  /* the rows' fields */
	struct st_buf data;   /* what prep made of them */
};

/* A view of a record of a batch as a row (each thread has its own). */
struct view {
	struct st_csv_row row;
	size_t cap;
};

/* Three stages, each on its own thread, hand batches on in order: the reader
 * fills batch read % NBATCH, the preparer prepares batch prepared % NBATCH,
 * the caller takes batch taken % NBATCH; taken <= prepared <= read. */
struct st_rowpipe {
	struct st_csvin *in;
	st_rowpipe_prep prep;
	void *arg;
	pthread_t reader, preparer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[NBATCH];
	size_t read, prepared, taken;
	int read_done, read_rc;   /* the reader has ended, with read_rc */
	struct st_error read_err;
	int done, rc;             /* the preparer has ended, with rc */
	struct st_error err;
	int stop;
	/* the caller's side */
	int holding;              /* holds batch taken % NBATCH, at row pos */
	size_t pos, offset;
	struct view v;
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

static void
copy_row(struct st_rowpipe *p, struct batch *b, const struct st_csv_row *row)
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
	if (row->n > 0) {
		/* The fields lie one after another, each with its NUL: copy them at once. */
		const char *first = row->f[0], *end = row->f[row->n - 1] + row->len[row->n - 1] + 1;
		size_t at = b->bytes.len;

		st_buf_add(&b->bytes, first, (size_t)(end - first));
		for (i = 0; i < row->n; i++) {
			b->flen[b->nf] = row->len[i];
			b->foff[b->nf++] = at + (size_t)(row->f[i] - first);
		}
	}
	r->line = row->line;
	r->problem = row->problem;
	r->problem_col = row->problem_col;
	r->msg = row->problem_msg ? add_bytes(b, row->problem_msg, strlen(row->problem_msg)) : NONE;
	r->raw = row->raw ? add_bytes(b, row->raw, row->raw_len) : NONE;
	r->raw_len = row->raw_len;
	r->offset = st_csvin_offset(p->in);
}

/* Point v at record r of batch b. */
static void
view(struct view *v, const struct batch *b, const struct rec *r)
{
	size_t i;

	if (r->n > v->cap) {
		v->cap = r->n;
		v->row.f = st_xrealloc(v->row.f, v->cap * sizeof(*v->row.f));
		v->row.len = st_xrealloc(v->row.len, v->cap * sizeof(*v->row.len));
	}
	for (i = 0; i < r->n; i++) {
		v->row.f[i] = b->bytes.s + b->foff[r->field + i];
		v->row.len[i] = b->flen[r->field + i];
	}
	v->row.n = r->n;
	v->row.line = r->line;
	v->row.problem = r->problem;
	v->row.problem_col = r->problem_col;
	v->row.problem_msg = r->msg == NONE ? NULL : b->bytes.s + r->msg;
	v->row.raw = r->raw == NONE ? NULL : b->bytes.s + r->raw;
	v->row.raw_len = r->raw_len;
}

/* Wait until ready(p) (a stage's next batch may be worked on); 0, or -1 if
 * the pipe is being stopped. */
static int
wait_turn(struct st_rowpipe *p, int (*ready)(const struct st_rowpipe *))
{
	int rc;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && !ready(p))
		pthread_cond_wait(&p->cv, &p->mu);
	rc = p->stop ? -1 : 0;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static int
reader_ready(const struct st_rowpipe *p)
{
	return p->read - p->taken < NBATCH;
}

static void *
reader(void *arg)
{
	struct st_rowpipe *p = arg;
	struct st_error err = { 0 };
	int rc = 1;

	while (rc > 0 && wait_turn(p, reader_ready) == 0) {
		struct batch *b = &p->b[p->read % NBATCH];
		struct st_csv_row *row;

		b->nrec = b->nf = 0;
		st_buf_reset(&b->bytes);
		while (b->nrec < BATCH_ROWS && b->bytes.len < BATCH_BYTES &&
		    (rc = st_csvin_next(p->in, &row, &err)) > 0)
			copy_row(p, b, row);
		pthread_mutex_lock(&p->mu);
		p->read++;
		if (rc <= 0) {
			p->read_done = 1;
			p->read_rc = rc;
			p->read_err = err;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static int
preparer_ready(const struct st_rowpipe *p)
{
	return p->prepared < p->read || p->read_done;
}

static void *
preparer(void *arg)
{
	struct st_rowpipe *p = arg;
	struct st_error err = { 0 };
	struct view v = { 0 };
	int rc = 0;

	while (rc == 0 && wait_turn(p, preparer_ready) == 0) {
		struct batch *b;
		size_t i;

		pthread_mutex_lock(&p->mu);
		if (p->prepared == p->read) {   /* the reader has ended */
			p->done = 1;
			p->rc = p->read_rc;
			p->err = p->read_err;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		b = &p->b[p->prepared % NBATCH];
		st_buf_reset(&b->data);
		for (i = 0; i < b->nrec; i++) {
			struct rec *r = &b->rec[i];

			view(&v, b, r);
			r->data = b->data.len;
			if (p->prep(p->arg, &v.row, &b->data, &err) < 0) {
				b->nrec = i;    /* the rows before it are still taken */
				rc = -1;
				break;
			}
			r->data_len = b->data.len - r->data;
			st_buf_addc(&b->data, '\0');
		}
		pthread_mutex_lock(&p->mu);
		p->prepared++;
		if (rc < 0) {
			p->done = 1;
			p->rc = -1;
			p->err = err;
		}
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	free(v.row.f);
	free(v.row.len);
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
	if (pthread_create(&p->reader, NULL, reader, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		st_error_set(err, ST_EXIT_FAIL, "cannot start a thread to read the input");
		return NULL;
	}
	if (pthread_create(&p->preparer, NULL, preparer, p) != 0) {
		p->preparer = p->reader;   /* st_rowpipe_stop joins it once */
		st_rowpipe_stop(p);
		st_error_set(err, ST_EXIT_FAIL, "cannot start a thread to read the input");
		return NULL;
	}
	return p;
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
		while (p->taken == p->prepared && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->taken == p->prepared) {
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
	view(&p->v, b, r);
	p->offset = r->offset;
	*row = &p->v.row;
	*data = b->data.s + r->data;
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
	pthread_join(p->reader, NULL);
	if (!pthread_equal(p->preparer, p->reader))
		pthread_join(p->preparer, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	for (i = 0; i < NBATCH; i++) {
		free(p->b[i].rec);
		free(p->b[i].flen);
		free(p->b[i].foff);
		st_buf_free(&p->b[i].bytes);
		st_buf_free(&p->b[i].data);
	}
	free(p->v.row.f);
	free(p->v.row.len);
	free(p);
}
