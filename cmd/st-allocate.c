/* st-allocate: send volunteers to turfs and shifts where they are needed, optimally. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "st/allocate.h"
#include "st/db.h"
#include "st/event.h"
#include "st/out.h"

static const char usage[] =
    "usage: st-allocate [--db FILE] [--turfs FILE --volunteers FILE] [--commit] [--rebalance]\n"
    "                   [--coverage | --explain VOLUNTEER] [--dimacs FILE] [-v]\n"
    "                   [FORMAT-OPTIONS]\n";

static const char help[] =
    "Assign volunteers to turfs and shifts: the most priority-weighted coverage (each\n"
    "more volunteer on a turf worth less than the one before), within everyone's\n"
    "availability and preferences and every shift's capacity; then ranked choices and\n"
    "short travel. Prints one row per volunteer: assigned, kept or unassigned (why).\n"
    "\n"
    "      --turfs FILE          turfs and their shifts from FILE, not the database\n"
    "      --volunteers FILE     volunteers from FILE ('-': standard input)\n"
    "      --commit              make the assignments RSVPs (source: allocator)\n"
    "      --rebalance           reconsider the allocator's earlier RSVPs too\n"
    "      --coverage            print coverage per turf instead\n"
    "      --explain VOLUNTEER   print the shifts VOLUNTEER could take, and why not\n"
    "      --dimacs FILE         write the flow network to FILE (DIMACS min-cost flow)\n"
    "  -v, --verbose             print a summary on standard error\n"
    "Format options:\n"
    "  -f, --format FMT          csv (default), tsv, json or table\n"
    "      --csv, --tsv, --json, --table   the same\n"
    "  -H, --no-header           no header row\n"
    "\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { O_TURFS = 256, O_VOLUNTEERS, O_COMMIT, O_REBALANCE, O_COVERAGE, O_EXPLAIN, O_DIMACS,
	O_CSV, O_TSV, O_JSON, O_TABLE, O_DB, O_VERSION, O_LISTOPTS };

static const char shortopts[] = "f:hHv";
static const struct option longopts[] = {
	{ "commit", no_argument, NULL, O_COMMIT },
	{ "coverage", no_argument, NULL, O_COVERAGE },
	{ "csv", no_argument, NULL, O_CSV },
	{ "db", required_argument, NULL, O_DB },
	{ "dimacs", required_argument, NULL, O_DIMACS },
	{ "explain", required_argument, NULL, O_EXPLAIN },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, O_JSON },
	{ "list-options", no_argument, NULL, O_LISTOPTS },
	{ "no-header", no_argument, NULL, 'H' },
	{ "rebalance", no_argument, NULL, O_REBALANCE },
	{ "table", no_argument, NULL, O_TABLE },
	{ "tsv", no_argument, NULL, O_TSV },
	{ "turfs", required_argument, NULL, O_TURFS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, O_VERSION },
	{ "volunteers", required_argument, NULL, O_VOLUNTEERS },
	{ NULL, 0, NULL, 0 }
};

/* Read one input file ("-": standard input) with fn. */
static void
read_file(struct st_alloc *a, const char *path,
    int (*fn)(struct st_alloc *, FILE *, const char *, struct st_error *))
{
	struct st_error err = { 0 };
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

	if (fp == NULL)
		cli_die(ST_EXIT_FAIL, "cannot open '%s': %s", path, strerror(errno));
	if (fn(a, fp, path, &err) < 0)
		cli_die_err(&err);
	if (fp != stdin)
		fclose(fp);
}

int
main(int argc, char **argv)
{
	const char *dbpath = NULL, *turfs = NULL, *vols = NULL, *explain = NULL, *dimacs = NULL;
	int fmt = ST_FMT_CSV, header = 1, commit = 0, rebalance = 0, coverage = 0, verbose = 0;
	int c, rc;
	long refused = 0;
	struct st_error err = { 0 };
	struct st_alloc *a;
	struct st_out *out;
	sqlite3 *db = NULL;
	char id[24];

	cli_init("st-allocate");
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((fmt = st_format_parse(optarg)) < 0)
				cli_usage_error(usage, "unknown format '%s' (csv, tsv, json, table)",
				    optarg);
			break;
		case 'h':
			printf("%s\n%s", usage, help);
			return 0;
		case 'H': header = 0; break;
		case 'v': verbose = 1; break;
		case O_TURFS: turfs = optarg; break;
		case O_VOLUNTEERS: vols = optarg; break;
		case O_COMMIT: commit = 1; break;
		case O_REBALANCE: rebalance = 1; break;
		case O_COVERAGE: coverage = 1; break;
		case O_EXPLAIN: explain = optarg; break;
		case O_DIMACS: dimacs = optarg; break;
		case O_CSV: fmt = ST_FMT_CSV; break;
		case O_TSV: fmt = ST_FMT_TSV; break;
		case O_JSON: fmt = ST_FMT_JSON; break;
		case O_TABLE: fmt = ST_FMT_TABLE; break;
		case O_DB: dbpath = optarg; break;
		case O_VERSION:
			printf("st-allocate %s\n", ST_VERSION);
			return 0;
		case O_LISTOPTS:
			cli_list_options(longopts, shortopts);
			return 0;
		default:
			cli_usage_exit(usage);
		}
	}
	if (optind < argc)
		cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if ((turfs == NULL) != (vols == NULL))
		cli_usage_error(usage, "--turfs and --volunteers go together");
	if (coverage && explain)
		cli_usage_error(usage, "--coverage and --explain do not go together");
	if (turfs && rebalance && !commit)
		cli_usage_error(usage, "--rebalance with files needs --commit");
	if (turfs && strcmp(turfs, "-") == 0 && strcmp(vols, "-") == 0)
		cli_usage_error(usage, "only one input can be standard input");

	a = st_alloc_new();
	if (turfs) {
		read_file(a, turfs, st_alloc_read_turfs);
		read_file(a, vols, st_alloc_read_volunteers);
	}
	if (turfs == NULL || commit) {
		if (st_db_open(&db, dbpath, &err) < 0)
			cli_die_err(&err);
		rc = turfs ? st_alloc_bind(a, db, rebalance, &err) : st_alloc_load_db(a, db, rebalance,
		    &err);
		if (rc < 0)
			cli_die_err(&err);
		/* In the database a volunteer is a contact: any way of naming one will do. */
		if (explain && turfs == NULL) {
			snprintf(id, sizeof(id), "%ld", cli_contact(db, explain));
			explain = id;
		}
	}
	if (st_alloc_solve(a, &err) < 0)
		cli_die_err(&err);
	if (dimacs) {
		struct cli_output o;
		FILE *fp = cli_output_open(&o, dimacs);

		if (st_alloc_write_dimacs(a, fp) < 0)
			cli_die(ST_EXIT_FAIL, "cannot write '%s': %s", dimacs, strerror(errno));
		cli_output_commit(&o);
	}
	if (commit) {
		long made, cancelled;

		if (st_alloc_commit(a, db, &made, &cancelled, &refused, &err) < 0)
			cli_die_err(&err);
		if (verbose)
			cli_warn("committed %ld RSVPs, cancelled %ld", made, cancelled);
		if (refused)
			cli_warn("%ld assignments not committed: their shifts filled up meanwhile",
			    refused);
	}
	if (verbose) {
		struct st_alloc_stats s;

		st_alloc_stats(a, &s);
		cli_warn("%ld volunteers: %ld assigned, %ld kept, %ld unassigned; coverage %lld, "
		    "rank and travel %lld; %ld nodes, %ld arcs, %ld pivots", s.volunteers, s.assigned,
		    s.kept, s.unassigned, s.coverage, s.tiebreak, s.nodes, s.arcs, s.pivots);
	}
	out = st_out_new(stdout, fmt, header);
	rc = coverage ? st_alloc_write_coverage(a, out, &err) : explain ?
	    st_alloc_explain(a, explain, out, &err) : st_alloc_write(a, out, &err);
	cli_close_out(out, rc, &err);
	st_alloc_free(a);
	if (db)
		st_db_close(db);
	cli_check_stdout();
	return refused ? ST_EXIT_FAIL : 0;
}
