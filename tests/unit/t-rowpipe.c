/* The row pipe: every row comes out once, in order, with its fields and what
 * prep made of it, across many batches; read and prep errors arrive after the
 * rows before them; stopping early (the caller failed) ends the threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/csvin.h"
#include "st/error.h"
#include "st/rowpipe.h"
#include "st/util.h"
#include "tap.h"

/* prep: "<line>:<first field reversed>"; fails on a row whose field is "boom". */
static int
prep(void *arg, const struct st_csv_row *row, struct st_buf *out, struct st_error *err)
{
	size_t i;

	(*(long *)arg)++;
	if (strcmp(row->f[0], "boom") == 0)
		return st_error_set(err, 1, "boom on line %ld", row->line);
	st_buf_printf(out, "%ld:", row->line);
	for (i = row->len[0]; i > 0; i--)
		st_buf_addc(out, row->f[0][i - 1]);
	return 0;
}

/* A file of n rows "r<i>,<i>" (bad: its row bad is "boom" / an open quote). */
static FILE *
input(long n, long bad, int quote)
{
	FILE *fp = tmpfile();
	long i;

	fputs("a,b\n", fp);
	for (i = 0; i < n; i++) {
		if (i == bad)
			fputs(quote ? "\"open,1\n" : "boom,1\n", fp);
		else
			fprintf(fp, "r%ld,%ld\n", i, i);
	}
	rewind(fp);
	return fp;
}

/* Take rows until the end or stop_after; the count, rc and whether all were right. */
static long
drain(long n, long bad, int quote, long stop_after, int *rc, int *right, struct st_error *err)
{
	struct st_csv_opts o = { 0 };
	FILE *fp = input(n, bad, quote);
	struct st_csvin *in = st_csvin_open(fp, "t.csv", &o, err);
	struct st_rowpipe *p;
	struct st_csv_row *row;
	const char *data;
	size_t len;
	long got = 0, prepped = 0;

	*right = 1;
	p = st_rowpipe_start(in, prep, &prepped, err);
	while (got != stop_after && (*rc = st_rowpipe_next(p, &row, &data, &len, err)) > 0) {
		char want[64], field[32];

		snprintf(field, sizeof(field), "r%ld", got);
		snprintf(want, sizeof(want), "%ld:", got + 2);
		for (size_t i = strlen(field); i > 0; i--)
			strncat(want, field + i - 1, 1);
		if (row->n != 2 || strcmp(row->f[0], field) != 0 || row->line != got + 2 ||
		    len != strlen(want) || strcmp(data, want) != 0)
			*right = 0;
		got++;
	}
	st_rowpipe_stop(p);
	st_csvin_close(in);
	fclose(fp);
	return got;
}

int
main(void)
{
	struct st_error err = { 0 };
	int rc = 0, right;
	long got;

	got = drain(0, -1, 0, -1, &rc, &right, &err);
	ok(got == 0 && rc == 0, "an empty input ends at once");
	got = drain(100000, -1, 0, -1, &rc, &right, &err);
	ok(got == 100000 && rc == 0 && right, "100,000 rows come out once each, in order, prepared");
	got = drain(5000, 3000, 0, -1, &rc, &right, &err);
	ok(got == 3000 && rc == -1 && right && strstr(err.msg, "boom on line 3002") != NULL,
	    "a prep error comes after the rows before it");
	got = drain(5000, 4321, 1, -1, &rc, &right, &err);
	ok(got == 4321 && rc == -1 && right && strstr(err.msg, "line 4323") != NULL,
	    "a read error comes after the rows before it: %s", err.msg);
	got = drain(100000, -1, 0, 10, &rc, &right, &err);
	ok(got == 10 && right, "stopping after 10 rows of 100,000 ends the threads");
	got = drain(100000, -1, 0, 2000, &rc, &right, &err);
	ok(got == 2000 && right, "stopping mid-batch ends the threads");
	return done_testing();
}
