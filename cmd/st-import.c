/* st-import: load contacts, events, shifts, RSVPs and attendance from CSV,
 * TSV and JSON Lines files. */
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include "cli.h"
#include "st/db.h"
#include "st/import.h"
#include "st/out.h"
#include "st/query.h"
#include "st/util.h"

static const char usage[] =
    "usage: st-import [-nv] [--db FILE] [-k FIELD[=COLUMN]] [-m COLUMN=FIELD]... [-t TAG]...\n"
    "                 [-s NAME] [--keep-existing] [-r FILE] [-d C] [--no-header]\n"
    "                 [--columns NAMES] [--encoding ENC] [--json] [FILE...]\n"
    "       st-import --kind KIND [-nv] [--db FILE] [--event ID | --shift ID] [--tz ZONE]\n"
    "                 [-m COLUMN=FIELD]... [-s NAME] [-r FILE] [--json] [FILE...]\n"
    "       st-import [--db FILE] [--json] --undo ID\n"
    "       st-import [--db FILE] [--json] --list\n";

static const char help[] =
    "Load contacts into the st database. Each file is one import batch that\n"
    "--undo reverts. With no FILE, or FILE '-', read standard input.\n"
    "\n"
    "      --kind KIND           contacts (default), events, shifts, rsvps, attendance,\n"
    "                            turfs or volunteers\n"
    "      --event ID            every row is for event ID\n"
    "      --shift ID            every row is for shift ID\n"
    "      --tz ZONE             the time zone of events the rows create\n"
    "  -k, --key FIELD[=COLUMN]  match rows to contacts on voter_id, van_id, phone or\n"
    "                            email (default: phone, else email)\n"
    "  -m, --map COLUMN=FIELD    map a column to a contact field ('-' drops it; any\n"
    "                            other name renames it in the contact's extra fields)\n"
    "  -t, --tag TAG             tag every imported contact (repeatable)\n"
    "  -s, --source NAME         where the contacts came from (default: the file name)\n"
    "      --keep-existing       only fill empty fields, never overwrite\n"
    "  -r, --rejects FILE        write rows that cannot be imported, with the reason\n"
    "  -n, --dry-run             do everything, then roll back\n"
    "  -d, --delimiter C         ',', 'tab', '|' or ';' (default: sniffed)\n"
    "      --no-header           the first row is data; name columns with --columns\n"
    "      --columns NAMES       comma-separated column names for --no-header\n"
    "      --encoding ENC        auto (default), utf-8 or cp1252 (also latin1)\n"
    "      --json                print the summary as JSON\n"
    "      --undo ID             revert import batch ID\n"
    "      --list                list import batches\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -v, --verbose             report each file's column mapping\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { OPT_DB = 256, OPT_EVENT, OPT_KIND, OPT_SHIFT, OPT_TZ, OPT_KEEP, OPT_NOHEADER, OPT_COLUMNS, OPT_ENCODING, OPT_JSON, OPT_UNDO,
	OPT_LIST, OPT_VERSION, OPT_LISTOPTS };

static const char shortopts[] = "d:hk:m:nr:s:t:v";
static const struct option longopts[] = {
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "db", required_argument, NULL, OPT_DB },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "event", required_argument, NULL, OPT_EVENT },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keep-existing", no_argument, NULL, OPT_KEEP },
	{ "key", required_argument, NULL, 'k' },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "list-options", no_argument, NULL, OPT_LISTOPTS },
	{ "map", required_argument, NULL, 'm' },
	{ "no-header", no_argument, NULL, OPT_NOHEADER },
	{ "rejects", required_argument, NULL, 'r' },
	{ "shift", required_argument, NULL, OPT_SHIFT },
	{ "source", required_argument, NULL, 's' },
	{ "tag", required_argument, NULL, 't' },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "undo", required_argument, NULL, OPT_UNDO },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static char **
push(char **v, const char *s)
{
	size_t n = st_strv_len(v);

	v = st_xrealloc(v, (n + 2) * sizeof(*v));
	v[n] = st_xstrdup(s);
	v[n + 1] = NULL;
	return v;
}

struct progress {
	off_t size;
	int shown;
};

static void
progress(void *arg, size_t bytes, long rows)
{
	struct progress *p = arg;

	if (p->size > 0)
		fprintf(stderr, "\r%s: %3d%% %ld rows", cli_name, (int)(100.0 * (double)bytes /
		    (double)p->size), rows);
	else
		fprintf(stderr, "\r%s: %ld rows", cli_name, rows);
	p->shown = 1;
}

static void
print_summary(const char *file, const struct st_import_result *r, int json, int dry_run,
    int activity)
{
	/* Referrals are reported when the file carried referral codes. */
	int refs = r->referred || r->ref_unknown || r->ref_ignored;

	if (json) {
		json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:b}", "import",
		    (json_int_t)r->id, "file", file, "read", (json_int_t)r->read, "inserted",
		    (json_int_t)r->inserted, "updated", (json_int_t)r->updated, "unchanged",
		    (json_int_t)r->unchanged, "rejected", (json_int_t)r->rejected, "dry_run", dry_run);

		if (activity)
			json_object_set_new(o, "contacts_added", json_integer(r->contacts_added));

		if (refs) {
			json_object_set_new(o, "referred", json_integer(r->referred));
			json_object_set_new(o, "unknown_codes", json_integer(r->ref_unknown));
			json_object_set_new(o, "referrals_ignored", json_integer(r->ref_ignored));
		}
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(o);
		return;
	}
	if (dry_run)
		printf("%s: dry run: ", file);
	else
		printf("%s: import %ld: ", file, r->id);
	printf("read %ld, inserted %ld, updated %ld, unchanged %ld, rejected %ld", r->read,
	    r->inserted, r->updated, r->unchanged, r->rejected);
	if (activity)
		printf(", contacts added %ld", r->contacts_added);
	if (refs)
		printf(", referred %ld, unknown codes %ld, referrals ignored %ld", r->referred,
		    r->ref_unknown, r->ref_ignored);
	putchar('\n');
}

static int
list_batches(sqlite3 *db, int json)
{
	struct st_error err = { 0 };
	struct st_out *out = st_out_new(stdout, json ? ST_FMT_JSON : ST_FMT_CSV, 1);
	long n;
	int rc = st_query_sql(db, "SELECT id, kind, file, source, started_at, finished_at, "
	    "rows_read, inserted, updated, unchanged, rejected, undone_at FROM imports ORDER BY id",
	    NULL, 0, out, &n, &err);

	if (st_out_close(out) < 0 || rc < 0)
		cli_die_err(&err);
	return 0;
}

static void
show_mapping(void *arg, const char *column, const char *field)
{
	cli_warn("'%s': column '%s' -> %s", (const char *)arg, column, field);
}

/* Import one file; returns the exit status for it. */
static int
import_file(sqlite3 *db, const char *file, const char *kind, struct st_import_opts *o,
    const char *rejects, int json, int verbose)
{
	struct st_error err = { 0 };
	struct st_import_result res;
	struct cli_output rout = { 0 };
	struct progress prog = { 0 };
	struct st_out *rej = NULL;
	struct stat sb;
	char *base = NULL;
	FILE *fp;
	int rc;

	if (strcmp(file, "-") == 0) {
		fp = stdin;
		o->name = "-";
	} else if ((fp = fopen(file, "r")) == NULL) {
		cli_warn("cannot open '%s': %s", file, strerror(errno));
		return ST_EXIT_FAIL;
	} else {
		o->name = file;
	}
	if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		cli_warn("cannot read '%s': Is a directory", file);
		fclose(fp);
		return ST_EXIT_FAIL;
	}
	if (o->source == NULL && fp != stdin) {
		char *tmp = st_xstrdup(file);

		base = st_xstrdup(basename(tmp));
		free(tmp);
	}
	if (rejects)
		rej = st_out_new(cli_output_open(&rout, rejects), ST_FMT_CSV, 1);
	o->fp = fp;
	o->rejects = rej;
	if (isatty(STDERR_FILENO)) {
		prog.size = S_ISREG(sb.st_mode) ? sb.st_size : 0;
		o->progress = progress;
		o->progress_arg = &prog;
	}
	if (verbose) {
		o->mapped = show_mapping;
		o->mapped_arg = (void *)file;
	}
	{
		const char *given = o->source;

		if (given == NULL)
			o->source = base;
		rc = kind ? st_import_activity(db, kind, o, &res, &err) :
		    st_import_contacts(db, o, &res, &err);
		o->source = given;
	}
	if (prog.shown)
		fputs("\r\033[K", stderr);
	if (fp != stdin)
		fclose(fp);
	free(base);
	if (rc < 0) {
		st_out_close(rej);
		cli_output_abort(&rout);
		cli_warn("%s", err.msg);
		return err.status ? err.status : ST_EXIT_FAIL;
	}
	if (rej) {
		if (st_out_close(rej) < 0)
			cli_die(ST_EXIT_FAIL, "cannot write '%s'", rejects);
		cli_output_commit(&rout);
	}
	if (res.read == 0)
		cli_warn("'%s': no rows after the header", file);
	print_summary(file, &res, json, o->dry_run, kind != NULL);
	return ST_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct st_import_opts o = { 0 };
	struct st_error err = { 0 };
	const char *dbpath = NULL, *rejects = NULL, *kind = NULL;
	char **maps = NULL, **tags = NULL;
	long undo = 0;
	int c, json = 0, list = 0, verbose = 0, status = 0, i;
	sqlite3 *db;

	cli_init("st-import");
	o.csv.enc = ST_ENC_AUTO;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
				o.csv.delim = '\t';
			else if (strlen(optarg) == 1 && strchr(",|;\t", optarg[0]))
				o.csv.delim = optarg[0];
			else
				cli_usage_error(usage, "invalid delimiter '%s' (',', 'tab', '|' or ';')",
				    optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			fputs("\n", stdout);
			fputs(help, stdout);
			return 0;
		case 'k':
			o.key = optarg;
			break;
		case 'm':
			maps = push(maps, optarg);
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'r':
			rejects = optarg;
			break;
		case 's':
			o.source = optarg;
			break;
		case 't':
			if (*optarg == '\0')
				cli_usage_error(usage, "empty tag name");
			tags = push(tags, optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_COLUMNS:
			o.csv.columns = optarg;
			break;
		case OPT_DB:
			dbpath = optarg;
			break;
		case OPT_ENCODING:
			if (strcmp(optarg, "auto") == 0)
				o.csv.enc = ST_ENC_AUTO;
			else if (strcmp(optarg, "utf-8") == 0 || strcmp(optarg, "utf8") == 0)
				o.csv.enc = ST_ENC_UTF8;
			else if (strcmp(optarg, "cp1252") == 0 || strcmp(optarg, "latin1") == 0 ||
			    strcmp(optarg, "windows-1252") == 0 || strcmp(optarg, "iso-8859-1") == 0)
				o.csv.enc = ST_ENC_CP1252;
			else
				cli_usage_error(usage, "unknown encoding '%s' (auto, utf-8, cp1252)",
				    optarg);
			break;
		case OPT_EVENT:
			o.event = cli_number(usage, "--event", optarg, 1, 0x7fffffffL);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_KIND:
			kind = strcmp(optarg, "contacts") == 0 ? NULL : optarg;
			break;
		case OPT_SHIFT:
			o.shift = cli_number(usage, "--shift", optarg, 1, 0x7fffffffL);
			break;
		case OPT_TZ:
			o.tz = optarg;
			break;
		case OPT_KEEP:
			o.keep_existing = 1;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_LISTOPTS:
			cli_list_options(longopts, shortopts);
			return 0;
		case OPT_NOHEADER:
			o.csv.no_header = 1;
			break;
		case OPT_UNDO:
			undo = cli_number(usage, "--undo", optarg, 1, 0x7fffffffL);
			break;
		case OPT_VERSION:
			printf("st-import %s\n", ST_VERSION);
			return 0;
		default:
			cli_usage_exit(usage);
		}
	}
	if (o.csv.columns && !o.csv.no_header)
		cli_usage_error(usage, "--columns needs --no-header");
	if ((undo || list) && optind < argc)
		cli_usage_error(usage, "--undo and --list take no files");
	if (rejects && argc - optind > 1)
		cli_usage_error(usage, "--rejects takes one input file");
	if (kind && (o.key || tags || o.keep_existing))
		cli_usage_error(usage, "--key, --tag and --keep-existing are for contacts");
	if (!kind && (o.event || o.shift || o.tz))
		cli_usage_error(usage, "--event, --shift and --tz need --kind");
	if (o.event && o.shift)
		cli_usage_error(usage, "--event and --shift go alone");
	o.maps = maps;
	o.tags = tags;
	if (st_db_open(&db, dbpath, &err) < 0)
		cli_die_err(&err);
	if (list) {
		status = list_batches(db, json);
	} else if (undo) {
		long restored = 0, deleted = 0;

		if (st_import_undo(db, undo, &restored, &deleted, &err) < 0)
			cli_die_err(&err);
		if (json)
			printf("{\"undone\":%ld,\"deleted\":%ld,\"restored\":%ld}\n", undo, deleted,
			    restored);
		else
			printf("undid import %ld: deleted %ld rows, restored %ld\n", undo, deleted,
			    restored);
	} else if (optind == argc) {
		if (isatty(STDIN_FILENO))
			cli_usage_error(usage, "no input: name a file, or pipe one in");
		status = import_file(db, "-", kind, &o, rejects, json, verbose);
	} else {
		/* One bad file is reported and the others still go in; the worst status wins. */
		for (i = optind; i < argc; i++) {
			int s = import_file(db, argv[i], kind, &o, rejects, json, verbose);

			if (s > status)
				status = s;
		}
	}
	st_db_close(db);
	st_strv_free(maps);
	st_strv_free(tags);
	cli_check_stdout();
	return status;
}
