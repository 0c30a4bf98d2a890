/* st-query: segments and reports over the st database. */
#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "st/db.h"
#include "st/out.h"
#include "st/query.h"
#include "st/util.h"

static const char usage[] =
    "usage: st-query [-eH] [--db FILE] [--any] [--FILTER [ARG]]... [--format FMT | --csv |\n"
    "                --tsv | --json | --table] [--columns LIST] [--limit N] [--save NAME]\n"
    "                [-o FILE] [@SEGMENT] [[--write] SQL | -]\n"
    "       st-query [--db FILE] [FORMAT-OPTIONS] --report attendance\n"
    "       st-query [--db FILE] --segments | --delete NAME\n";

static const char help_head[] =
    "Select contacts by named filters (combined with AND, or OR with --any), by a saved\n"
    "segment, or with read-only SQL ('-' reads it from standard input). With no\n"
    "arguments on a terminal, start an interactive prompt.\n"
    "\n"
    "Filters:\n";

static const char help_tail[] =
    "\n"
    "Output and other options:\n"
    "      --any                 match any filter instead of all\n"
    "  -f, --format FMT          csv (default), tsv, json (JSON Lines) or table\n"
    "      --csv, --tsv, --json, --table   the same\n"
    "  -c, --columns LIST        contact fields, 'tags' or extra fields to show\n"
    "  -l, --limit N             at most N rows\n"
    "  -H, --no-header           no header row\n"
    "  -e, --exit-status         exit 4 if there are no rows\n"
    "  -o, --output FILE         write to FILE (atomically) instead of standard output\n"
    "      --save NAME           save the filters as segment NAME (then: st-query @NAME)\n"
    "      --report NAME         a report: attendance (per event: RSVPs, confirmed,\n"
    "                            attended, walk-ins, show rate)\n"
    "      --segments            list saved segments\n"
    "      --delete NAME         delete saved segment NAME\n"
    "      --write               allow SQL that changes the database\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { OPT_DB = 256, OPT_REPORT, OPT_ANY, OPT_CSV, OPT_TSV, OPT_JSON, OPT_TABLE, OPT_SAVE, OPT_SEGMENTS,
	OPT_DELETE, OPT_WRITE, OPT_VERSION, OPT_LISTOPTS, OPT_FILTER = 1000 };

static const char shortopts[] = "c:ef:hHl:o:";
static const struct option fixed[] = {
	{ "any", no_argument, NULL, OPT_ANY },
	{ "columns", required_argument, NULL, 'c' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "db", required_argument, NULL, OPT_DB },
	{ "delete", required_argument, NULL, OPT_DELETE },
	{ "exit-status", no_argument, NULL, 'e' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "limit", required_argument, NULL, 'l' },
	{ "list-options", no_argument, NULL, OPT_LISTOPTS },
	{ "no-header", no_argument, NULL, 'H' },
	{ "output", required_argument, NULL, 'o' },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "segments", no_argument, NULL, OPT_SEGMENTS },
	{ "table", no_argument, NULL, OPT_TABLE },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "write", no_argument, NULL, OPT_WRITE },
};

/* The options: the fixed ones and one per filter, from the same table the
 * library matches filters by, so help, parsing and completion never drift. */
static struct option *
options(void)
{
	size_t nf = sizeof(fixed) / sizeof(fixed[0]), i;
	struct option *o = st_xcalloc(nf + st_nfilters + 1, sizeof(*o));

	memcpy(o, fixed, sizeof(fixed));
	for (i = 0; i < st_nfilters; i++) {
		o[nf + i].name = st_filters[i].name;
		o[nf + i].has_arg = st_filters[i].arg == ST_ARG_NONE ? no_argument : required_argument;
		o[nf + i].val = OPT_FILTER + (int)i;
	}
	return o;
}

static void
print_help(void)
{
	size_t i;

	fputs(usage, stdout);
	putchar('\n');
	fputs(help_head, stdout);
	for (i = 0; i < st_nfilters; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", st_filters[i].name,
		    st_filters[i].metavar ? " " : "", st_filters[i].metavar ? st_filters[i].metavar : "");
		printf("      %-24s%s%s\n", left, strlen(left) > 23 ? "\n                              " :
		    "", st_filters[i].help);
	}
	fputs(help_tail, stdout);
}

struct args {
	struct st_query *q;
	int fmt, header, exit_status, write, segments, help, version, listopts;
	const char *columns, *save, *delete, *output, *dbpath, *sql, *report;
	long limit;
	char *segment;
};

/* Parse argv into a; returns 0, or -1 with a message in err (status 2). */
static int
parse(int argc, char **argv, struct args *a, struct st_error *err)
{
	struct option *opts = options();
	char optstring[sizeof(shortopts) + 1] = ":";
	int c, rc = 0;

	strcat(optstring, shortopts);
	a->q = st_query_new();
	a->fmt = -1;
	a->header = 1;
	a->limit = -1;
	optind = 0;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->columns = optarg; break;
		case 'e': a->exit_status = 1; break;
		case 'f':
			if ((a->fmt = st_format_parse(optarg)) < 0)
				rc = st_error_set(err, ST_EXIT_USAGE, "unknown format '%s' (csv, tsv, "
				    "json, table)", optarg);
			break;
		case 'h': a->help = 1; break;
		case 'H': a->header = 0; break;
		case 'l':
			if (st_parse_long(optarg, 0, 0x7fffffffL, &a->limit) < 0)
				rc = st_error_set(err, ST_EXIT_USAGE, "invalid number '%s' for --limit",
				    optarg);
			break;
		case 'o': a->output = optarg; break;
		case OPT_ANY: st_query_set_any(a->q, 1); break;
		case OPT_CSV: a->fmt = ST_FMT_CSV; break;
		case OPT_TSV: a->fmt = ST_FMT_TSV; break;
		case OPT_JSON: a->fmt = ST_FMT_JSON; break;
		case OPT_TABLE: a->fmt = ST_FMT_TABLE; break;
		case OPT_DB: a->dbpath = optarg; break;
		case OPT_SAVE: a->save = optarg; break;
		case OPT_REPORT: a->report = optarg; break;
		case OPT_SEGMENTS: a->segments = 1; break;
		case OPT_DELETE: a->delete = optarg; break;
		case OPT_WRITE: a->write = 1; break;
		case OPT_VERSION: a->version = 1; break;
		case OPT_LISTOPTS: a->listopts = 1; break;
		case '?':
			if (optopt)
				rc = st_error_set(err, ST_EXIT_USAGE, "invalid option '-%c'", optopt);
			else
				rc = st_error_set(err, ST_EXIT_USAGE, "unknown option or filter '%s'",
				    argv[optind - 1]);
			break;
		case ':':
			rc = st_error_set(err, ST_EXIT_USAGE, "option '%s' needs a value",
			    argv[optind - 1]);
			break;
		default:
			rc = st_query_add(a->q, st_filters[c - OPT_FILTER].name,
			    st_filters[c - OPT_FILTER].arg == ST_ARG_NONE ? NULL : optarg, err);
		}
	}
	for (; rc == 0 && optind < argc; optind++) {
		const char *s = argv[optind];

		if (s[0] == '@' && a->segment == NULL && a->sql == NULL)
			a->segment = st_xstrdup(s + 1);
		else if (a->sql == NULL)
			a->sql = s;
		else
			rc = st_error_set(err, ST_EXIT_USAGE, "unexpected argument '%s' (quote the SQL "
			    "as one argument)", s);
	}
	if (rc == 0 && a->report && (a->sql || st_query_count(a->q) || a->segment || a->save))
		rc = st_error_set(err, ST_EXIT_USAGE, "--report cannot be combined with filters or "
		    "SQL");
	if (rc == 0 && a->sql && (st_query_count(a->q) || a->segment || a->save))
		rc = st_error_set(err, ST_EXIT_USAGE, "SQL cannot be combined with filters or "
		    "segments");
	if (rc == 0 && a->write && a->sql == NULL)
		rc = st_error_set(err, ST_EXIT_USAGE, "--write needs SQL");
	free(opts);
	return rc;
}

static void
args_free(struct args *a)
{
	st_query_free(a->q);
	free(a->segment);
	memset(a, 0, sizeof(*a));
}

static char *
read_all(FILE *fp)
{
	struct st_buf b = { 0 };
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		st_buf_add(&b, chunk, n);
	if (ferror(fp))
		cli_die(ST_EXIT_FAIL, "cannot read standard input: %s", strerror(errno));
	st_buf_addc(&b, '\0');
	return b.s;
}

/* Run what a asks for, writing to fp; returns 0 or -1 with err. */
static int
run(sqlite3 *db, struct args *a, FILE *fp, int default_fmt, long *nrows, struct st_error *err)
{
	struct st_out *out;
	int rc;

	*nrows = 0;
	if (a->delete) {
		sqlite3_stmt *st = st_db_prepare(db, "DELETE FROM segments WHERE name = ?", err);

		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, a->delete, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return st_error_db(err, db, "cannot delete segment '%s'", a->delete);
		if (sqlite3_changes(db) == 0)
			return st_error_set(err, ST_EXIT_USAGE, "no saved segment '%s'", a->delete);
		return 0;
	}
	if (a->segment && st_query_load(db, a->q, a->segment, err) < 0)
		return -1;
	if (a->save && st_query_save(db, a->q, a->save, err) < 0)
		return -1;
	out = st_out_new(fp, a->fmt >= 0 ? a->fmt : default_fmt, a->header);
	if (a->segments) {
		rc = st_segments_list(db, out, err);
	} else if (a->report) {
		rc = st_report(db, a->report, out, nrows, err);
	} else if (a->sql) {
		char *sql = strcmp(a->sql, "-") == 0 ? read_all(stdin) : NULL;

		rc = st_sql_run(db, sql ? sql : a->sql, a->write, out, nrows, err);
		free(sql);
	} else {
		rc = st_query_run(db, a->q, a->columns, a->limit, out, nrows, err);
	}
	if (st_out_close(out) < 0 && rc == 0)
		rc = st_error_set(err, ST_EXIT_FAIL, "cannot write output: %s", strerror(errno));
	return rc;
}

/* The interactive prompt. */
static char **words;

static char *
complete_word(const char *text, int state)
{
	static size_t i, len;

	if (state == 0) {
		i = 0;
		len = strlen(text);
	}
	while (words && words[i]) {
		const char *w = words[i++];

		if (strncmp(w, text, len) == 0)
			return st_xstrdup(w);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;
	return rl_completion_matches(text, complete_word);
}

/* Split a line into shell-like words ('single', "double" quotes, backslash). */
static char **
split_words(const char *s)
{
	char **v = st_xcalloc(1, sizeof(*v));
	size_t n = 0;
	struct st_buf w = { 0 };

	for (;;) {
		int quote = 0, any = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		st_buf_reset(&w);
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			any = 1;
			if (quote && *s == quote)
				quote = 0;
			else if (!quote && (*s == '\'' || *s == '"'))
				quote = *s;
			else if (*s == '\\' && s[1] && quote != '\'')
				st_buf_addc(&w, *++s);
			else
				st_buf_addc(&w, *s);
		}
		if (any) {
			v = st_xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = st_xstrdup(w.s ? w.s : "");
			v[n] = NULL;
		}
	}
	st_buf_free(&w);
	return v;
}

static char *
history_path(void)
{
	const char *h = getenv("ST_HISTORY"), *home = getenv("HOME");
	char *p;

	if (h && *h)
		return st_xstrdup(h);
	if (home == NULL || *home == '\0')
		return NULL;
	p = st_xmalloc(strlen(home) + 16);
	sprintf(p, "%s/.st_history", home);
	return p;
}

static void
interactive(sqlite3 *db)
{
	char *hist = history_path(), *line;

	words = st_query_words(db);
	rl_readline_name = "st-query";
	/* '@' starts a segment name: keep it in the word being completed. */
	rl_basic_word_break_characters = " \t\n\"'`<>=;|&{(,";
	rl_attempted_completion_function = complete;
	using_history();
	if (hist) {
		/* The history holds contact data: keep it private. */
		int fd = open(hist, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0)
			close(fd);
		read_history(hist);
	}
	printf("st-query %s: filters (--tag volunteer --lang es), @segment, SQL, or .help\n",
	    ST_VERSION);
	while ((line = readline("st> ")) != NULL) {
		char *s = line;
		struct st_error err = { 0 };
		long n;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0') {
			free(line);
			continue;
		}
		add_history(line);
		if (strcmp(s, ".quit") == 0 || strcmp(s, ".exit") == 0 || strcmp(s, "\\q") == 0) {
			free(line);
			break;
		}
		if (strcmp(s, ".help") == 0) {
			print_help();
		} else if (strcmp(s, ".tables") == 0) {
			struct args a = { .fmt = ST_FMT_TABLE, .header = 1, .limit = -1 };

			a.q = st_query_new();
			a.sql = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name "
			    "NOT LIKE 'sqlite_%' ORDER BY name";
			if (run(db, &a, stdout, ST_FMT_TABLE, &n, &err) < 0)
				fprintf(stderr, "%s\n", err.msg);
			st_query_free(a.q);
		} else {
			struct args a = { 0 };
			char **argv;
			int argc, rc;

			if (*s == '-' || *s == '@') {
				char **w = split_words(s);

				argc = (int)st_strv_len(w) + 1;
				argv = st_xcalloc((size_t)argc + 1, sizeof(*argv));
				argv[0] = (char *)"st-query";
				memcpy(argv + 1, w, (size_t)(argc - 1) * sizeof(*argv));
				rc = parse(argc, argv, &a, &err);
				if (rc == 0 && (a.output || a.dbpath))
					rc = st_error_set(&err, ST_EXIT_USAGE, "-o and --db are not "
					    "available at the prompt");
				if (rc == 0)
					rc = run(db, &a, stdout, ST_FMT_TABLE, &n, &err);
				st_strv_free(w);
				free(argv);
			} else {
				a.q = st_query_new();
				a.header = 1;
				a.limit = -1;
				a.fmt = -1;
				a.sql = s;
				rc = run(db, &a, stdout, ST_FMT_TABLE, &n, &err);
			}
			if (rc < 0)
				fprintf(stderr, "%s\n", err.msg);
			else
				fprintf(stderr, "(%ld row%s)\n", n, n == 1 ? "" : "s");
			if (a.save) {
				st_strv_free(words);
				words = st_query_words(db);
			}
			args_free(&a);
		}
		fflush(stdout);
		free(line);
	}
	if (hist) {
		write_history(hist);
		history_truncate_file(hist, 1000);
	}
	free(hist);
	st_strv_free(words);
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct st_error err = { 0 };
	struct cli_output out = { 0 };
	sqlite3 *db;
	FILE *fp = stdout;
	long n = 0;

	cli_init("st-query");
	if (parse(argc, argv, &a, &err) < 0)
		cli_usage_error(usage, "%s", err.msg);
	if (a.help || a.version || a.listopts) {
		struct option *o = options();

		if (a.help)
			print_help();
		else if (a.version)
			printf("st-query %s\n", ST_VERSION);
		else
			cli_list_options(o, shortopts);
		free(o);
		args_free(&a);
		cli_check_stdout();
		return 0;
	}
	if (st_db_open(&db, a.dbpath, &err) < 0)
		cli_die_err(&err);
	/* Nothing asked for, on a terminal: the prompt. */
	if (st_query_count(a.q) == 0 && !a.sql && !a.segment && !a.segments && !a.delete &&
	    !a.report &&
	    !a.save && !a.output && !a.columns && a.fmt < 0 && a.limit < 0 &&
	    isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		interactive(db);
		st_db_close(db);
		args_free(&a);
		return 0;
	}
	if (a.output)
		fp = cli_output_open(&out, a.output);
	if (run(db, &a, fp, ST_FMT_CSV, &n, &err) < 0) {
		cli_output_abort(&out);
		cli_die_err(&err);
	}
	if (a.output)
		cli_output_commit(&out);
	st_db_close(db);
	cli_check_stdout();
	if (a.exit_status && n == 0 && !a.segments && !a.delete) {
		args_free(&a);
		return ST_EXIT_NORESULT;
	}
	args_free(&a);
	return 0;
}
