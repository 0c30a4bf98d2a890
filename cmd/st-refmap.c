/* st-refmap: personalized links, referral codes, referrals and the influence map. */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "st/db.h"
#include "st/event.h"
#include "st/out.h"
#include "st/refmap.h"
#include "st/query.h"
#include "st/token.h"
#include "st/tz.h"
#include "st/util.h"

extern char **environ;

static const char usage[] =
    "usage: st-refmap [--db FILE] link --base URL [--share] [--purpose NAME] [--ttl DURATION]\n"
    "                 [--column NAME] [FORMAT-OPTIONS]\n"
    "       st-refmap [--db FILE] record [-n] [-r FILE] [--page TEXT] [--campaign TEXT]\n"
    "                 [--json] [FILE]\n"
    "       st-refmap [--db FILE] code CONTACT\n"
    "       st-refmap [--db FILE] token CONTACT [--purpose NAME] [--ttl DURATION]\n"
    "       st-refmap [--db FILE] verify [--purpose NAME] [FORMAT-OPTIONS] TOKEN | -\n"
    "       st-refmap [--db FILE] revoke CONTACT\n"
    "       st-refmap [--db FILE] top [--by direct|reach|active|conversion] [-l N]\n"
    "                 [FORMAT-OPTIONS]\n"
    "       st-refmap [--db FILE] chain CONTACT [FORMAT-OPTIONS]\n"
    "       st-refmap [--db FILE] tree CONTACT [--json]\n"
    "       st-refmap [--db FILE] stats [FORMAT-OPTIONS] [FILE]\n"
    "       st-refmap [--db FILE] graph [CONTACT] [--format dot|json|csv|svg]\n";

static const char help[] =
    "Mint personalized links (a login token and the contact's referral code), record who\n"
    "brought whom, and map it. A CONTACT is a contact id, an e-mail address or a phone\n"
    "number. Tokens are signed with the secret in $ST_SECRET_FILE, else\n"
    "${XDG_CONFIG_HOME:-$HOME/.config}/st/secret (mode 600, at least 32 bytes).\n"
    "\n"
    "Links and tokens:\n"
    "      --base URL            the page the links open; t= and r= are added to its query\n"
    "      --share               links with the referral code only, no token\n"
    "      --purpose NAME        what the tokens are for (default: login)\n"
    "      --ttl DURATION        how long tokens last: N s, m, h, d or w (default: 30d)\n"
    "      --column NAME         the links' column (default: link)\n"
    "Recording referrals:\n"
    "  -n, --dry-run             do everything, then roll back\n"
    "  -r, --rejects FILE        write rows not recorded, with the reason\n"
    "      --page TEXT           the page rows without a page column came through\n"
    "      --campaign TEXT       the campaign of rows without a campaign column\n"
    "The map:\n"
    "      --by KEY              top: direct, reach (default), active or conversion\n"
    "  -l, --limit N             top: at most N rows (default 20; 0: all)\n"
    "Format options:\n"
    "  -f, --format FMT          csv (default), tsv, json or table; top: also html (a bar\n"
    "                            chart); graph: dot (default), json, csv or svg (through\n"
    "                            Graphviz); tree: text or json\n"
    "      --csv, --tsv, --json, --table   the same\n"
    "  -H, --no-header           no header row\n"
    "\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { O_BASE = 256, O_BY, O_CAMPAIGN, O_COLUMN, O_CSV, O_DB, O_JSON, O_PAGE, O_PURPOSE,
	O_SHARE, O_TABLE, O_TSV, O_TTL, O_VERSION, O_LISTOPTS };

static const char shortopts[] = "f:hHl:nr:";
static const struct option longopts[] = {
	{ "base", required_argument, NULL, O_BASE },
	{ "by", required_argument, NULL, O_BY },
	{ "campaign", required_argument, NULL, O_CAMPAIGN },
	{ "column", required_argument, NULL, O_COLUMN },
	{ "csv", no_argument, NULL, O_CSV },
	{ "db", required_argument, NULL, O_DB },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, O_JSON },
	{ "limit", required_argument, NULL, 'l' },
	{ "list-options", no_argument, NULL, O_LISTOPTS },
	{ "no-header", no_argument, NULL, 'H' },
	{ "page", required_argument, NULL, O_PAGE },
	{ "purpose", required_argument, NULL, O_PURPOSE },
	{ "rejects", required_argument, NULL, 'r' },
	{ "share", no_argument, NULL, O_SHARE },
	{ "table", no_argument, NULL, O_TABLE },
	{ "tsv", no_argument, NULL, O_TSV },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Which options each subcommand takes (besides --db), and how many operands. */
#define FORMAT_OPTS 'f', 'H', O_CSV, O_TSV, O_JSON, O_TABLE
static const struct cli_sub subs[] = {
	{ "chain", 1, 1, { FORMAT_OPTS } },
	{ "code", 1, 1, { 0 } },
	{ "graph", 0, 1, { 'f', O_CSV, O_JSON } },
	{ "link", 0, 0, { O_BASE, O_SHARE, O_PURPOSE, O_TTL, O_COLUMN, FORMAT_OPTS } },
	{ "record", 0, 1, { 'n', 'r', O_PAGE, O_CAMPAIGN, O_JSON } },
	{ "revoke", 1, 1, { 0 } },
	{ "stats", 0, 1, { FORMAT_OPTS } },
	{ "token", 1, 1, { O_PURPOSE, O_TTL } },
	{ "top", 0, 0, { O_BY, 'l', FORMAT_OPTS } },
	{ "tree", 1, 1, { 'f', O_JSON } },
	{ "verify", 1, 1, { O_PURPOSE, FORMAT_OPTS } },
};

struct args {
	const char *dbpath, *base, *column, *purpose, *page, *campaign, *rejects, *format;
	long limit, ttl;
	int by, share, dry_run, header;
	char given[O_LISTOPTS + 1];
};

/* A duration: N followed by s, m, h, d or w. */
static long
duration(const char *s)
{
	static const char units[] = "smhdw";
	static const long secs[] = { 1, 60, 3600, 86400, 604800 };
	size_t n = strlen(s);
	const char *u;
	char num[32];
	long v;

	if (n < 2 || n >= sizeof(num) || (u = strchr(units, s[n - 1])) == NULL)
		cli_usage_error(usage, "invalid duration '%s' (want N followed by s, m, h, d or w)",
		    s);
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	v = cli_number(usage, "--ttl", num, 1, 3660L * 86400 / secs[u - units]);
	return v * secs[u - units];
}

/* The format of a tabular subcommand's output. */
static int
table_format(const struct args *a)
{
	int f;

	if (a->format == NULL)
		return ST_FMT_CSV;
	if ((f = st_format_parse(a->format)) < 0)
		cli_usage_error(usage, "unknown format '%s' (csv, tsv, json, table)", a->format);
	return f;
}

static struct st_token_key *
load_key(void)
{
	struct st_error err = { 0 };
	struct st_token_key *k = st_token_key_load(NULL, &err);

	if (k == NULL)
		cli_die_err(&err);
	return k;
}

/* Open FILE ("-": standard input) for reading, or die. */
static FILE *
input(const char *file)
{
	FILE *fp;

	if (file == NULL || strcmp(file, "-") == 0) {
		if (file == NULL && isatty(STDIN_FILENO))
			cli_usage_error(usage, "no input: name a file, or pipe one in");
		return stdin;
	}
	if ((fp = fopen(file, "r")) == NULL)
		cli_die(ST_EXIT_FAIL, "cannot open '%s': %s", file, strerror(errno));
	return fp;
}

static void
skipped(void *arg, long line, const char *why)
{
	(void)arg;
	cli_warn("line %ld: %s", line, why);
}

static int
link_cmd(sqlite3 *db, const struct args *a)
{
	struct st_link_opts o = { 0 };
	struct st_link_result res;
	struct st_error err = { 0 };
	struct st_token_key *k = NULL;
	int rc;

	if (a->base == NULL)
		cli_usage_error(usage, "link needs --base URL");
	if (a->share && (a->given[O_PURPOSE] || a->given[O_TTL]))
		cli_usage_error(usage, "--share links carry no token: no --purpose or --ttl");
	if (!a->share)
		k = load_key();
	o.fp = input(NULL);
	o.name = "-";
	o.base = a->base;
	o.column = a->column ? a->column : "link";
	o.key = k;
	o.purpose = a->purpose;
	o.expires = time(NULL) + a->ttl;
	o.out = stdout;
	o.fmt = a->format ? table_format(a) : -1;
	o.header = a->header;
	o.skipped = skipped;
	rc = st_link_stream(db, &o, &res, &err);
	st_token_key_free(k);
	if (rc < 0)
		cli_die_err(&err);
	return res.skipped ? ST_EXIT_DATA : 0;
}

static int
record_cmd(sqlite3 *db, const struct args *a, const char *file, int json)
{
	struct st_record_opts o = { 0 };
	struct st_record_result r;
	struct st_error err = { 0 };
	struct cli_output rout = { 0 };
	int rc;

	o.fp = input(file);
	o.name = file ? file : "-";
	o.page = a->page;
	o.campaign = a->campaign;
	o.dry_run = a->dry_run;
	if (a->rejects)
		o.rejects = st_out_new(cli_output_open(&rout, a->rejects), ST_FMT_CSV, 1);
	rc = st_referral_stream(db, &o, &r, &err);
	if (o.fp != stdin)
		fclose(o.fp);
	if (o.rejects && (st_out_close(o.rejects) < 0 || rc < 0))
		cli_output_abort(&rout);
	else if (o.rejects)
		cli_output_commit(&rout);
	if (rc < 0)
		cli_die_err(&err);
	if (json) {
		json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "file", o.name,
		    "read", (json_int_t)r.read, "recorded", (json_int_t)r.recorded, "already",
		    (json_int_t)r.already, "self", (json_int_t)r.self, "unknown", (json_int_t)r.unknown,
		    "loop", (json_int_t)r.loop, "unidentified", (json_int_t)r.unidentified, "invalid",
		    (json_int_t)r.invalid, "dry_run", a->dry_run);

		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else
		printf("%s: %sread %ld, recorded %ld, already referred %ld, self-referrals %ld, "
		    "unknown codes %ld, loops %ld, unidentified %ld, invalid %ld\n", o.name,
		    a->dry_run ? "dry run: " : "", r.read, r.recorded, r.already, r.self, r.unknown,
		    r.loop, r.unidentified, r.invalid);
	return 0;
}

static int
verify_cmd(sqlite3 *db, const struct args *a, const char *arg)
{
	struct st_error err = { 0 };
	struct st_token_claims c;
	struct st_token_key *k = load_key();
	struct st_out *out;
	char token[ST_TOKEN_MAX * 2], exp[21], id[32];
	const char *params[3] = { id, a->purpose, exp };
	long n;
	int rc;

	/* "-": the token from standard input, so that it need not be in argv. */
	if (strcmp(arg, "-") == 0) {
		if (fgets(token, sizeof(token), stdin) == NULL)
			token[0] = '\0';
		token[strcspn(token, "\r\n")] = '\0';
		arg = token;
	}
	rc = st_token_verify(db, k, a->purpose, arg, time(NULL), &c, NULL, &err);
	st_token_key_free(k);
	if (rc < 0)
		cli_die_err(&err);
	snprintf(id, sizeof(id), "%ld", c.contact);
	st_time_utc(c.expires, exp);
	out = st_out_new(stdout, table_format(a), a->header);
	rc = st_query_sql(db, "SELECT id, first_name, last_name, phone, email, ?2 AS purpose, ?3 "
	    "AS expires FROM contacts WHERE id = CAST(?1 AS INTEGER)", params, 3, out, &n, &err);
	cli_close_out(out, rc, &err);
	return 0;
}

/* graph --format svg: the DOT through Graphviz's dot. */
static int
graph_svg(sqlite3 *db, long root)
{
	char *argv[] = { (char *)"dot", (char *)"-Tsvg", NULL };
	posix_spawn_file_actions_t fa;
	struct st_error err = { 0 };
	int fds[2], status = 0, rc;
	long n;
	pid_t pid;
	FILE *fp;

	fflush(stdout);
	if (pipe(fds) < 0)
		cli_die(ST_EXIT_FAIL, "cannot run 'dot': %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc == ENOENT)
		cli_die(ST_EXIT_FAIL, "cannot make svg: Graphviz's 'dot' is not installed (Debian: "
		    "apt-get install graphviz); --format dot writes what it would read");
	if (rc != 0)
		cli_die(ST_EXIT_FAIL, "cannot run 'dot': %s", strerror(rc));
	if ((fp = fdopen(fds[1], "w")) == NULL)
		cli_die(ST_EXIT_FAIL, "cannot run 'dot': %s", strerror(errno));
	rc = st_refmap_graph(db, root, ST_GRAPH_DOT, fp, &n, &err);
	fclose(fp);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		cli_die_err(&err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cli_die(ST_EXIT_FAIL, "'dot' failed (status %d)", WIFEXITED(status) ?
		    WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static int
graph_cmd(sqlite3 *db, const struct args *a, const char *contact)
{
	static const char *const names[] = { "dot", "json", "csv" };
	struct st_error err = { 0 };
	long root = contact ? cli_contact(db, contact) : 0, n;
	const char *f = a->format ? a->format : "dot";
	size_t i;

	if (strcmp(f, "svg") == 0)
		return graph_svg(db, root);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && strcmp(f, names[i]) != 0; i++)
		;
	if (i == sizeof(names) / sizeof(names[0]))
		cli_usage_error(usage, "unknown graph format '%s' (dot, json, csv, svg)", f);
	if (st_refmap_graph(db, root, (enum st_graph_format)i, stdout, &n, &err) < 0)
		cli_die_err(&err);
	return 0;
}

/* Run subcommand cmd; returns the exit status (failures exit on the spot). */
static int
run(sqlite3 *db, const char *cmd, char **argv, int argc, struct args *a)
{
	struct st_error err = { 0 };
	struct st_out *out;
	char code[ST_CODE_LEN + 1], token[ST_TOKEN_MAX];
	struct st_token_key *k;
	struct st_token_minter *m;
	long id, n;
	int rc;

	if (strcmp(cmd, "link") == 0)
		return link_cmd(db, a);
	if (strcmp(cmd, "record") == 0)
		return record_cmd(db, a, argc ? argv[0] : NULL, a->given[O_JSON]);
	if (strcmp(cmd, "verify") == 0)
		return verify_cmd(db, a, argv[0]);
	if (strcmp(cmd, "graph") == 0)
		return graph_cmd(db, a, argc ? argv[0] : NULL);
	if (strcmp(cmd, "code") == 0) {
		if (st_code_get(db, cli_contact(db, argv[0]), code, &err) < 0)
			cli_die_err(&err);
		printf("%s\n", code);
	} else if (strcmp(cmd, "token") == 0) {
		id = cli_contact(db, argv[0]);
		k = load_key();
		if ((m = st_token_minter_new(db, k, a->purpose, time(NULL) + a->ttl, &err)) == NULL ||
		    st_token_mint(m, id, token, &err) < 0)
			cli_die_err(&err);
		st_token_minter_free(m);
		st_token_key_free(k);
		printf("%s\n", token);
	} else if (strcmp(cmd, "revoke") == 0) {
		if (st_token_revoke(db, cli_contact(db, argv[0]), NULL, &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "top") == 0 && a->format && strcmp(a->format, "html") == 0) {
		if (st_refmap_chart(db, a->by, a->limit, stdout, &n, &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "top") == 0) {
		out = st_out_new(stdout, table_format(a), a->header);
		rc = st_refmap_top(db, a->by, a->limit, out, &n, &err);
		cli_close_out(out, rc, &err);
	} else if (strcmp(cmd, "chain") == 0) {
		id = cli_contact(db, argv[0]);
		out = st_out_new(stdout, table_format(a), a->header);
		rc = st_refmap_chain(db, id, out, &n, &err);
		cli_close_out(out, rc, &err);
	} else if (strcmp(cmd, "tree") == 0) {
		if (a->format && strcmp(a->format, "json") != 0 && strcmp(a->format, "text") != 0)
			cli_usage_error(usage, "unknown tree format '%s' (text, json)", a->format);
		if (st_refmap_tree(db, cli_contact(db, argv[0]), a->format &&
		    strcmp(a->format, "json") == 0, stdout, &n, &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "stats") == 0) {
		FILE *fp = argc ? input(argv[0]) : NULL;

		out = st_out_new(stdout, table_format(a), a->header);
		rc = st_refmap_stats(db, fp, argc ? argv[0] : NULL, out, &err);
		if (fp && fp != stdin)
			fclose(fp);
		cli_close_out(out, rc, &err);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct st_error err = { 0 };
	const struct cli_sub *sub;
	sqlite3 *db;
	int c, nargs, status;

	cli_init("st-refmap");
	a.header = 1;
	a.limit = 20;
	a.by = ST_BY_REACH;
	a.purpose = "login";
	a.ttl = 30 * 86400L;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c >= 0 && c <= O_LISTOPTS)
			a.given[c] = 1;
		switch (c) {
		case 'f': a.format = optarg; break;
		case 'h':
			printf("%s\n%s", usage, help);
			return 0;
		case 'H': a.header = 0; break;
		case 'l': a.limit = cli_number(usage, "--limit", optarg, 0, 0x7fffffffL); break;
		case 'n': a.dry_run = 1; break;
		case 'r': a.rejects = optarg; break;
		case O_BASE: a.base = optarg; break;
		case O_BY:
			if ((a.by = st_refmap_by_parse(optarg)) < 0)
				cli_usage_error(usage, "unknown --by '%s' (direct, reach, active, "
				    "conversion)", optarg);
			break;
		case O_CAMPAIGN: a.campaign = optarg; break;
		case O_COLUMN:
			if (*optarg == '\0')
				cli_usage_error(usage, "empty column name");
			a.column = optarg;
			break;
		case O_CSV: a.format = "csv"; break;
		case O_DB: a.dbpath = optarg; break;
		case O_JSON: a.format = "json"; break;
		case O_PAGE: a.page = optarg; break;
		case O_PURPOSE:
			if (!st_token_purpose_valid(optarg))
				cli_usage_error(usage, "invalid purpose '%s' (lowercase letters, digits, "
				    "'-', '_', '.', ':')", optarg);
			a.purpose = optarg;
			break;
		case O_SHARE: a.share = 1; break;
		case O_TABLE: a.format = "table"; break;
		case O_TSV: a.format = "tsv"; break;
		case O_TTL: a.ttl = duration(optarg); break;
		case O_VERSION:
			printf("st-refmap %s\n", ST_VERSION);
			return 0;
		case O_LISTOPTS:
			cli_list_options(longopts, shortopts);
			cli_list_subs(subs, sizeof(subs) / sizeof(subs[0]));
			return 0;
		default:
			cli_usage_exit(usage);
		}
	}
	sub = cli_subcommand(usage, subs, sizeof(subs) / sizeof(subs[0]), argc, argv, longopts,
	    a.given, O_LISTOPTS + 1, (const int[]){ O_DB, 0 });
	nargs = argc - optind - 1;
	if (st_db_open(&db, a.dbpath, &err) < 0)
		cli_die_err(&err);
	status = run(db, sub->name, argv + optind + 1, nargs, &a);
	st_db_close(db);
	cli_check_stdout();
	return status;
}
