/* allocload: store the rows of a turfs or volunteers file in the database
 * with st_turf_upsert or st_volunteer_upsert, the calls an importer makes.
 * For the tests: usage: allocload DB turfs|volunteers FILE */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "st/allocate.h"
#include "st/csvin.h"
#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"

int
main(int argc, char **argv)
{
	struct st_csv_opts o = { 0 };
	struct st_error err = { 0 };
	struct st_csv_row *row;
	struct st_csvin *r;
	sqlite3 *db;
	FILE *fp;
	int rc, turfs;

	if (argc != 4 || (strcmp(argv[2], "turfs") != 0 && strcmp(argv[2], "volunteers") != 0)) {
		fputs("usage: allocload DB turfs|volunteers FILE\n", stderr);
		return ST_EXIT_USAGE;
	}
	turfs = strcmp(argv[2], "turfs") == 0;
	if ((fp = fopen(argv[3], "r")) == NULL) {
		fprintf(stderr, "allocload: cannot open '%s': %s\n", argv[3], strerror(errno));
		return ST_EXIT_FAIL;
	}
	if (st_db_open(&db, argv[1], &err) < 0 || (r = st_csvin_open(fp, argv[3], &o, &err)) == NULL) {
		fprintf(stderr, "allocload: %s\n", err.msg);
		return err.status;
	}
	while ((rc = st_csvin_next(r, &row, &err)) > 0) {
		const char *const *names = st_csvin_names(r);
		size_t n = st_csvin_ncols(r) < row->n ? st_csvin_ncols(r) : row->n;

		rc = turfs ? st_turf_upsert(db, n, names, (const char *const *)row->f, &err) :
		    st_volunteer_upsert(db, n, names, (const char *const *)row->f, &err);
		if (rc < 0) {
			fprintf(stderr, "allocload: %s:%ld: %s\n", argv[3], row->line, err.msg);
			rc = -2;   /* told */
			break;
		}
	}
	if (rc == -1)
		fprintf(stderr, "allocload: %s\n", err.msg);
	st_csvin_close(r);
	fclose(fp);
	st_db_close(db);
	return rc < 0 ? err.status : 0;
}
