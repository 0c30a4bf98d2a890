/* st's side of bench/allocate: st_mcf_solve on a DIMACS min-cost flow file.
 * Prints the optimal cost, the seconds the solve took (reading the file not
 * counted) and the pivots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st/error.h"
#include "st/mcf.h"

int
main(int argc, char **argv)
{
	struct st_error err = { 0 };
	struct st_mcf *m = NULL;
	struct timespec t0, t1;
	char line[256];
	int64_t cost;
	FILE *fp;

	if (argc != 2 || (fp = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: mcf-st FILE\n");
		return 2;
	}
	while (fgets(line, sizeof(line), fp)) {
		long long a, b, lo, cap, c;

		if (sscanf(line, "p min %lld %lld", &a, &b) == 2)
			m = st_mcf_new((int)a, (size_t)b);
		else if (m && sscanf(line, "n %lld %lld", &a, &b) == 2)
			st_mcf_set_supply(m, (int)a - 1, b);
		else if (m && sscanf(line, "a %lld %lld %lld %lld %lld", &a, &b, &lo, &cap, &c) == 5)
			st_mcf_add_arc(m, (int)a - 1, (int)b - 1, cap, c);
	}
	fclose(fp);
	if (m == NULL) {
		fprintf(stderr, "mcf-st: no problem line\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (st_mcf_solve(m, &cost, &err) < 0) {
		fprintf(stderr, "mcf-st: %s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %.3f %ld\n", (long long)cost, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, st_mcf_pivots(m));
	st_mcf_free(m);
	return 0;
}
