/* csvdump: read a CSV file with st_csvin (sniffed delimiter, header row,
 * ST_ENC_AUTO) and print its rows as a JSON array of objects keyed by header.
 * For the tests: it shows exactly what the reader hands to the importer. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/csvin.h"
#include "st/error.h"
#include "st/exit.h"

static void __attribute__((noreturn))
die(int status, const char *msg)
{
	fprintf(stderr, "csvdump: %s\n", msg);
	exit(status);
}

int
main(int argc, char **argv)
{
	struct st_csv_opts o = { 0 };
	struct st_error err = { 0 };
	struct st_csv_row *row;
	struct st_csvin *r;
	const char *const *names;
	json_t *rows;
	size_t ncols, i;
	FILE *fp;
	int rc;

	if (argc != 2 || argv[1][0] == '\0') {
		fputs("usage: csvdump FILE\n", stderr);
		return ST_EXIT_USAGE;
	}
	if ((fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "csvdump: cannot open '%s': %s\n", argv[1], strerror(errno));
		return ST_EXIT_FAIL;
	}
	o.enc = ST_ENC_AUTO;
	if ((r = st_csvin_open(fp, argv[1], &o, &err)) == NULL)
		die(err.status ? err.status : ST_EXIT_DATA, err.msg);
	names = st_csvin_names(r);
	ncols = st_csvin_ncols(r);
	rows = json_array();
	while ((rc = st_csvin_next(r, &row, &err)) > 0) {
		json_t *obj = json_object();

		for (i = 0; i < row->n; i++) {
			json_t *v = json_stringn(row->f[i], row->len[i]);
			char key[32];

			if (v == NULL) {
				fprintf(stderr, "csvdump: '%s' line %ld: field %zu is not UTF-8\n",
				    argv[1], row->line, i + 1);
				exit(ST_EXIT_DATA);
			}
			/* Fields past the header get the names the reader gives empty headers. */
			if (i >= ncols)
				snprintf(key, sizeof(key), "column_%zu", i + 1);
			json_object_set_new(obj, i < ncols ? names[i] : key, v);
		}
		json_array_append_new(rows, obj);
	}
	if (rc < 0)
		die(err.status ? err.status : ST_EXIT_DATA, err.msg);
	st_csvin_close(r);
	fclose(fp);
	if (json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		die(ST_EXIT_FAIL, "cannot write the output");
	json_decref(rows);
	putchar('\n');
	if (fflush(stdout) == EOF || ferror(stdout))
		die(ST_EXIT_FAIL, "cannot write the output");
	return ST_EXIT_OK;
}
