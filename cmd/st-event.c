/* st-event: events, shifts, RSVPs, attendance and the check-in desk. */
#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "st/db.h"
#include "st/event.h"
#include "st/import.h"
#include "st/out.h"
#include "st/remind.h"
#include "st/token.h"
#include "st/util.h"

static const char usage[] =
    "usage: st-event [--db FILE] create --title TEXT --tz ZONE [EVENT-OPTIONS]\n"
    "       st-event [--db FILE] create [--tz ZONE] -\n"
    "       st-event [--db FILE] edit EVENT [EVENT-OPTIONS]\n"
    "       st-event [--db FILE] edit -\n"
    "       st-event [--db FILE] cancel-event EVENT\n"
    "       st-event [--db FILE] add-shift EVENT --start TIME --end TIME [--capacity N]\n"
    "                [--external-id ID]\n"
    "       st-event [--db FILE] add-shift EVENT -\n"
    "       st-event [--db FILE] edit-shift SHIFT [--start TIME] [--end TIME] [--capacity N]\n"
    "       st-event [--db FILE] cancel-shift SHIFT\n"
    "       st-event [--db FILE] list [--upcoming | --past] [--kind KIND] [--event EVENT]\n"
    "                [FORMAT-OPTIONS]\n"
    "       st-event [--db FILE] rsvp SHIFT CONTACT [--status yes|maybe|no] [--source NAME]\n"
    "                [--referred-by CONTACT] [--no-waitlist]\n"
    "       st-event [--db FILE] cancel SHIFT CONTACT\n"
    "       st-event [--db FILE] confirm --token TOKEN\n"
    "       st-event [--db FILE] cancel --token TOKEN\n"
    "       st-event [--db FILE] attend SHIFT CONTACT [--no-show] [--by NAME]\n"
    "       st-event [--db FILE] unattend SHIFT CONTACT\n"
    "       st-event [--db FILE] roster SHIFT [FORMAT-OPTIONS]\n"
    "       st-event [--db FILE] checkin SHIFT [--by NAME]\n"
    "       st-event [--db FILE] role CONTACT host|lead|none\n"
    "       st-event [--db FILE] organizer CONTACT ORGANIZER|none\n"
    "       st-event [--db FILE] levels\n";

static const char help[] =
    "Manage events and their shifts (time slots), RSVPs, attendance and engagement levels.\n"
    "A CONTACT is a contact id, an e-mail address or a phone number. A TIME is local to the\n"
    "event's time zone (YYYY-MM-DD HH:MM) or carries an offset (-05:00, Z). With '-',\n"
    "create, edit and add-shift read CSV rows from standard input, as st-import --kind\n"
    "events (or shifts) does, all or nothing.\n"
    "\n"
    "Event options:\n"
    "      --title TEXT          the event's title\n"
    "      --kind KIND           canvass (default), phonebank, textbank, meeting, training...\n"
    "      --tz ZONE             its IANA time zone, such as America/New_York\n"
    "      --location TEXT       where (an address)\n"
    "      --lat N, --lon N      where, as coordinates\n"
    "      --area TEXT           the turf, neighbourhood or area\n"
    "      --description TEXT    what it is\n"
    "      --organizer CONTACT   who runs it ('none' to clear, with edit)\n"
    "      --external-id ID      its id elsewhere (Mobilize, ...)\n"
    "Shift options:\n"
    "      --start TIME, --end TIME   when\n"
    "      --capacity N          places ('none': no limit); a full shift waitlists\n"
    "RSVP and attendance options:\n"
    "      --status S            yes (default), maybe or no\n"
    "      --source NAME         where the RSVP came from (default: cli)\n"
    "      --referred-by CONTACT who brought them\n"
    "      --no-waitlist         refuse instead of waitlisting when the shift is full\n"
    "      --no-show             record a no-show instead of attendance\n"
    "      --by NAME             who checked them in\n"
    "      --token TOKEN         a confirm or cancel link's token (st-remind sends them)\n"
    "List options:\n"
    "      --upcoming, --past    shifts that have not ended, or have\n"
    "      --kind KIND, --event EVENT   only these\n"
    "Format options:\n"
    "  -f, --format FMT          csv (default), tsv, json or table\n"
    "      --csv, --tsv, --json, --table   the same\n"
    "  -H, --no-header           no header row\n"
    "\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { O_TITLE = 256, O_KIND, O_TZ, O_LOCATION, O_LAT, O_LON, O_AREA, O_DESCRIPTION,
	O_ORGANIZER, O_EXTERNAL, O_START, O_END, O_CAPACITY, O_STATUS, O_SOURCE, O_REFERRED,
	O_NOWAIT, O_NOSHOW, O_BY, O_UPCOMING, O_PAST, O_EVENT, O_CSV, O_TSV, O_JSON, O_TABLE,
	O_TOKEN, O_DB, O_VERSION, O_LISTOPTS };

static const char shortopts[] = "f:hH";
static const struct option longopts[] = {
	{ "area", required_argument, NULL, O_AREA },
	{ "by", required_argument, NULL, O_BY },
	{ "capacity", required_argument, NULL, O_CAPACITY },
	{ "csv", no_argument, NULL, O_CSV },
	{ "db", required_argument, NULL, O_DB },
	{ "description", required_argument, NULL, O_DESCRIPTION },
	{ "end", required_argument, NULL, O_END },
	{ "event", required_argument, NULL, O_EVENT },
	{ "external-id", required_argument, NULL, O_EXTERNAL },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, O_JSON },
	{ "kind", required_argument, NULL, O_KIND },
	{ "lat", required_argument, NULL, O_LAT },
	{ "list-options", no_argument, NULL, O_LISTOPTS },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "lon", required_argument, NULL, O_LON },
	{ "no-header", no_argument, NULL, 'H' },
	{ "no-show", no_argument, NULL, O_NOSHOW },
	{ "no-waitlist", no_argument, NULL, O_NOWAIT },
	{ "organizer", required_argument, NULL, O_ORGANIZER },
	{ "past", no_argument, NULL, O_PAST },
	{ "referred-by", required_argument, NULL, O_REFERRED },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "start", required_argument, NULL, O_START },
	{ "status", required_argument, NULL, O_STATUS },
	{ "table", no_argument, NULL, O_TABLE },
	{ "title", required_argument, NULL, O_TITLE },
	{ "token", required_argument, NULL, O_TOKEN },
	{ "tsv", no_argument, NULL, O_TSV },
	{ "tz", required_argument, NULL, O_TZ },
	{ "upcoming", no_argument, NULL, O_UPCOMING },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Which options each subcommand takes (besides --db), and how many operands. */
#define EVENT_OPTS O_TITLE, O_KIND, O_TZ, O_LOCATION, O_LAT, O_LON, O_AREA, O_DESCRIPTION, \
	O_ORGANIZER, O_EXTERNAL
#define FORMAT_OPTS 'f', 'H', O_CSV, O_TSV, O_JSON, O_TABLE
static const struct cli_sub subs[] = {
	{ "add-shift", 1, 2, { O_START, O_END, O_CAPACITY, O_EXTERNAL } },
	{ "attend", 2, 2, { O_NOSHOW, O_BY } },
	{ "cancel", 0, 2, { O_TOKEN } },
	{ "cancel-event", 1, 1, { 0 } },
	{ "cancel-shift", 1, 1, { 0 } },
	{ "checkin", 1, 1, { O_BY } },
	{ "confirm", 0, 0, { O_TOKEN } },
	{ "create", 0, 1, { EVENT_OPTS } },
	{ "edit", 1, 1, { EVENT_OPTS } },
	{ "edit-shift", 1, 1, { O_START, O_END, O_CAPACITY } },
	{ "levels", 0, 0, { 0 } },
	{ "list", 0, 0, { O_UPCOMING, O_PAST, O_KIND, O_EVENT, FORMAT_OPTS } },
	{ "organizer", 2, 2, { 0 } },
	{ "role", 2, 2, { 0 } },
	{ "roster", 1, 1, { FORMAT_OPTS } },
	{ "rsvp", 2, 2, { O_STATUS, O_SOURCE, O_REFERRED, O_NOWAIT } },
	{ "unattend", 2, 2, { 0 } },
};

struct args {
	struct st_event_in ev;
	const char *dbpath, *start, *end, *status, *source, *referred, *by, *kind_filter,
	    *organizer, *lat, *lon, *token;
	long capacity, event_filter;
	int when, fmt, header, no_wait, no_show;
	char given[O_LISTOPTS + 1];
};

static long
id_arg(const char *what, const char *s)
{
	return cli_number(usage, what, s, 1, 0x7fffffffL);
}

static double
coord(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end)
		cli_usage_error(usage, "invalid number '%s' for %s", s, opt);
	return v;
}

static struct st_out *
new_out(const struct args *a)
{
	return st_out_new(stdout, a->fmt >= 0 ? a->fmt : ST_FMT_CSV, a->header);
}

#define MAXHITS 12
#define MAXMARKS 256

/* Read a line: with readline and a prompt on a terminal, plainly otherwise. */
static char *
desk_line(int tty)
{
	char *line = NULL;
	size_t cap = 0;

	if (tty)
		return readline("desk> ");
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static void
show_hits(const struct st_checkin_hit *hits, size_t n)
{
	static const char *const cols[] = { "#", "name", "phone", "rsvp", "attendance" };
	struct st_out *out = st_out_new(stdout, ST_FMT_TABLE, 0);
	size_t i;

	st_out_columns(out, 5, cols);
	for (i = 0; i < n; i++) {
		char num[8];
		struct st_cell c[5] = {
			{ ST_INT, num, 0 },
			{ ST_TEXT, hits[i].name, strlen(hits[i].name) },
			{ ST_TEXT, hits[i].phone, strlen(hits[i].phone) },
			{ ST_TEXT, hits[i].rsvp[0] ? hits[i].rsvp : "-", hits[i].rsvp[0] ?
			    strlen(hits[i].rsvp) : 1 },
			{ ST_TEXT, hits[i].attendance, strlen(hits[i].attendance) },
		};

		c[0].len = (size_t)snprintf(num, sizeof(num), "%zu", i + 1);
		st_out_row(out, c);
	}
	st_out_close(out);
}

/* A walk-in: "+ FIRST LAST PHONE" (or an e-mail address): the contact with
 * that phone or e-mail, else a new one. 0 and *id, or -1 with err. */
static int
walk_in(sqlite3 *db, char *s, long *id, int *created, struct st_error *err)
{
	const char *phone = NULL, *email = NULL, *first = NULL, *last = NULL;
	char *tok, *save = NULL;

	*created = 0;
	for (tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strchr(tok, '@'))
			email = tok;
		else if (strspn(tok, "0123456789+-().") == strlen(tok))
			phone = tok;
		else if (first == NULL)
			first = tok;
		else if (last == NULL)
			last = tok;
	}
	if (phone == NULL && email == NULL)
		return st_error_set(err, ST_EXIT_DATA, "a walk-in needs a phone number or an e-mail "
		    "address: + FIRST LAST PHONE");
	if (st_contact_resolve(db, phone ? phone : email, id, err) == 0)
		return 0;
	/* Only "nobody has it" makes a new contact; a phone several people share does not. */
	if (strncmp(err->msg, "no contact", 10) != 0)
		return -1;
	*created = 1;
	return st_contact_add(db, first, last, phone, email, "desk", id, err);
}

/* The check-in desk: search, pick a number, walk-ins, undo. */
static void
checkin(sqlite3 *db, long shift, const char *by)
{
	struct st_checkin_hit hits[MAXHITS];
	long marked[MAXMARKS];
	size_t nhits = 0, nmarked = 0;
	struct st_error err = { 0 };
	int tty = isatty(STDIN_FILENO);
	char *line;

	rl_readline_name = "st-event";
	printf("check-in for shift %ld: type part of a name or at least four digits of a phone, "
	    "then the number of the person; '+ FIRST LAST PHONE' adds a walk-in; 'undo', "
	    "'roster', 'quit'\n", shift);
	fflush(stdout);
	while ((line = desk_line(tty)) != NULL) {
		char *s = line + strspn(line, " \t");
		long pick = 0, id = 0;
		int created;

		if (*s == '\0') {
			free(line);
			continue;
		}
		if (tty)
			add_history(s);
		if (strcmp(s, "quit") == 0 || strcmp(s, "q") == 0 || strcmp(s, ".quit") == 0) {
			free(line);
			break;
		} else if (strcmp(s, "undo") == 0) {
			if (nmarked == 0)
				printf("nothing to undo\n");
			else if (st_attend_undo(db, shift, marked[nmarked - 1], &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("undone: contact %ld is no longer checked in\n", marked[--nmarked]);
		} else if (strcmp(s, "roster") == 0) {
			struct st_out *out = st_out_new(stdout, ST_FMT_TABLE, 1);
			long n;
			int rc = st_roster(db, shift, out, &n, &err);

			st_out_close(out);
			if (rc < 0)
				printf("%s\n", err.msg);
		} else if (*s == '+') {
			if (walk_in(db, s + 1, &id, &created, &err) < 0 ||
			    st_attend(db, shift, id, 0, by, &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("checked in contact %ld%s\n", id, created ? " (new contact)" : "");
		} else if (strlen(s) <= 2 && st_parse_long(s, 1, MAXHITS, &pick) == 0) {
			if ((size_t)pick > nhits) {
				printf("no person %ld in the last search\n", pick);
				pick = 0;
			} else if (st_attend(db, shift, hits[pick - 1].id, 0, by, &err) < 0) {
				printf("%s\n", err.msg);
				pick = 0;
			} else {
				id = hits[pick - 1].id;
				printf("checked in %s (contact %ld, %s%s)\n", hits[pick - 1].name, id,
				    hits[pick - 1].rsvp[0] ? "RSVP " : "walk-in", hits[pick - 1].rsvp);
			}
		} else if (st_checkin_find(db, shift, s, hits, MAXHITS, &nhits, &err) < 0) {
			nhits = 0;
			printf("%s\n", err.msg);
		} else if (nhits == 0) {
			printf("nobody found; add a walk-in with '+ FIRST LAST PHONE'\n");
		} else {
			show_hits(hits, nhits);
		}
		if (id) {
			/* Remember the latest marks for undo, dropping the oldest. */
			if (nmarked == MAXMARKS)
				memmove(marked, marked + 1, (MAXMARKS - 1) * sizeof(*marked));
			else
				nmarked++;
			marked[nmarked - 1] = id;
		}
		fflush(stdout);
		free(line);
	}
}

/* create -, edit - and add-shift EVENT -: the rows on standard input, as
 * st-import --kind events (or shifts) reads them, all or nothing. */
static void
from_csv(sqlite3 *db, const char *kind, long event, const struct args *a)
{
	struct st_import_opts o = { 0 };
	struct st_import_result res;
	struct st_error err = { 0 };
	int c;

	for (c = O_TITLE; c <= O_EXTERNAL; c++)
		if (a->given[c] && c != O_TZ)
			cli_usage_error(usage, "with '-' the rows give the fields (only --tz goes with it)");
	if (isatty(STDIN_FILENO))
		cli_usage_error(usage, "'-' reads CSV rows: pipe them in");
	o.name = "-";
	o.fp = stdin;
	o.event = event;
	o.tz = a->ev.tz;
	o.strict = 1;
	o.source = "st-event";
	if (st_import_activity(db, kind, &o, &res, &err) < 0)
		cli_die_err(&err);
	printf("import %ld: read %ld, inserted %ld, updated %ld, unchanged %ld\n", res.id, res.read,
	    res.inserted, res.updated, res.unchanged);
}

/* Apply a confirm or cancel link's token: prints "RSVP,RESULT". */
static void
by_token(sqlite3 *db, const char *action, const char *token)
{
	struct st_error err = { 0 };
	struct st_token_key *k;
	const char *res;
	long rsvp = 0;

	if ((k = st_token_key_load(NULL, &err)) == NULL)
		cli_die_err(&err);
	if (st_rsvp_token_apply(db, k, action, token, time(NULL), &rsvp, &res, &err) < 0) {
		st_token_key_free(k);
		cli_die_err(&err);
	}
	st_token_key_free(k);
	printf("%ld,%s\n", rsvp, res);
}

static void
run(sqlite3 *db, const char *cmd, char **argv, struct args *a)
{
	struct st_error err = { 0 };
	struct st_out *out;
	long id, id2, n;
	const char *res;
	int rc;
	int create = strcmp(cmd, "create") == 0;
	const char *dash = create ? argv[0] : strcmp(cmd, "add-shift") == 0 ? argv[1] : NULL;

	if (dash) {
		/* The one operand more is '-': rows on standard input. */
		if (strcmp(dash, "-") != 0)
			cli_usage_error(usage, "'%s' reads rows from '-' only", cmd);
		from_csv(db, create ? "events" : "shifts", create ? 0 : id_arg("EVENT", argv[0]), a);
	} else if (strcmp(cmd, "edit") == 0 && strcmp(argv[0], "-") == 0) {
		from_csv(db, "events", 0, a);
	} else if (strcmp(cmd, "create") == 0) {
		if (st_event_create(db, &a->ev, &id, &err) < 0)
			cli_die_err(&err);
		printf("%ld\n", id);
	} else if (strcmp(cmd, "edit") == 0) {
		if (st_event_edit(db, id_arg("EVENT", argv[0]), &a->ev, &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "cancel-event") == 0) {
		if (st_event_cancel(db, id_arg("EVENT", argv[0]), &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "add-shift") == 0) {
		if (a->start == NULL || a->end == NULL)
			cli_usage_error(usage, "add-shift needs --start and --end");
		if (st_shift_add(db, id_arg("EVENT", argv[0]), a->start, a->end,
		    a->capacity == -2 ? -1 : a->capacity, a->ev.external_id, &id, &err) < 0)
			cli_die_err(&err);
		printf("%ld\n", id);
	} else if (strcmp(cmd, "edit-shift") == 0) {
		if (st_shift_edit(db, id_arg("SHIFT", argv[0]), a->start, a->end, a->capacity,
		    &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "cancel-shift") == 0) {
		if (st_shift_cancel(db, id_arg("SHIFT", argv[0]), &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "list") == 0) {
		out = new_out(a);
		rc = st_shift_list(db, a->when, a->kind_filter, a->event_filter, out, &n, &err);
		cli_close_out(out, rc, &err);
	} else if (strcmp(cmd, "roster") == 0) {
		out = new_out(a);
		rc = st_roster(db, id_arg("SHIFT", argv[0]), out, &n, &err);
		cli_close_out(out, rc, &err);
	} else if (strcmp(cmd, "rsvp") == 0) {
		id = id_arg("SHIFT", argv[0]);
		id2 = cli_contact(db, argv[1]);
		if (st_rsvp(db, id, id2, a->status, a->source ? a->source : "cli",
		    a->referred ? cli_contact(db, a->referred) : 0, !a->no_wait, &res, &err) < 0)
			cli_die_err(&err);
		printf("%ld,%ld,%s\n", id, id2, res);
	} else if (strcmp(cmd, "confirm") == 0 || (strcmp(cmd, "cancel") == 0 && a->token)) {
		if (a->token == NULL)
			cli_usage_error(usage, "confirm needs --token");
		if (argv[0] != NULL)
			cli_usage_error(usage, "%s --token takes no operands", cmd);
		by_token(db, cmd, a->token);
	} else if (strcmp(cmd, "cancel") == 0) {
		if (argv[0] == NULL || argv[1] == NULL)
			cli_usage_error(usage, "cancel needs SHIFT and CONTACT, or --token");
		id = id_arg("SHIFT", argv[0]);
		if (st_rsvp_cancel(db, id, cli_contact(db, argv[1]), &id2, &err) < 0)
			cli_die_err(&err);
		if (id2)
			printf("promoted %ld from the waitlist\n", id2);
	} else if (strcmp(cmd, "attend") == 0) {
		id = id_arg("SHIFT", argv[0]);
		if (st_attend(db, id, cli_contact(db, argv[1]), a->no_show, a->by, &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "unattend") == 0) {
		id = id_arg("SHIFT", argv[0]);
		if (st_attend_undo(db, id, cli_contact(db, argv[1]), &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "checkin") == 0) {
		id = id_arg("SHIFT", argv[0]);
		if (st_shift_open(db, id, &err) < 0 || st_checkin_prepare(db, &err) < 0)
			cli_die_err(&err);
		checkin(db, id, a->by);
	} else if (strcmp(cmd, "role") == 0) {
		if (st_contact_set_role(db, cli_contact(db, argv[0]), strcmp(argv[1], "none") == 0 ?
		    NULL : argv[1], &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "organizer") == 0) {
		id = cli_contact(db, argv[0]);
		if (st_contact_set_organizer(db, id, strcmp(argv[1], "none") == 0 ? 0 :
		    cli_contact(db, argv[1]), &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "levels") == 0) {
		if (st_levels_recompute(db, &n, &err) < 0)
			cli_die_err(&err);
		printf("%ld levels changed\n", n);
	}
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct st_error err = { 0 };
	const struct cli_sub *sub;
	sqlite3 *db;
	int c;

	cli_init("st-event");
	a.fmt = -1;
	a.header = 1;
	a.capacity = -2;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c >= 0 && c <= O_LISTOPTS)
			a.given[c] = 1;
		switch (c) {
		case 'f':
			if ((a.fmt = st_format_parse(optarg)) < 0)
				cli_usage_error(usage, "unknown format '%s' (csv, tsv, json, table)",
				    optarg);
			break;
		case 'h':
			printf("%s\n%s", usage, help);
			return 0;
		case 'H': a.header = 0; break;
		case O_TITLE: a.ev.title = optarg; break;
		case O_KIND: a.ev.kind = a.kind_filter = optarg; break;
		case O_TZ: a.ev.tz = optarg; break;
		case O_LOCATION: a.ev.location = optarg; break;
		case O_LAT: a.lat = optarg; break;
		case O_LON: a.lon = optarg; break;
		case O_AREA: a.ev.area = optarg; break;
		case O_DESCRIPTION: a.ev.description = optarg; break;
		case O_ORGANIZER: a.organizer = optarg; break;
		case O_EXTERNAL: a.ev.external_id = optarg; break;
		case O_START: a.start = optarg; break;
		case O_END: a.end = optarg; break;
		case O_CAPACITY:
			a.capacity = strcmp(optarg, "none") == 0 ? -1 :
			    cli_number(usage, "--capacity", optarg, 0, 1000000);
			break;
		case O_STATUS: a.status = optarg; break;
		case O_SOURCE: a.source = optarg; break;
		case O_REFERRED: a.referred = optarg; break;
		case O_NOWAIT: a.no_wait = 1; break;
		case O_NOSHOW: a.no_show = 1; break;
		case O_BY: a.by = optarg; break;
		case O_TOKEN: a.token = optarg; break;
		case O_UPCOMING: a.when = 1; break;
		case O_PAST: a.when = -1; break;
		case O_EVENT: a.event_filter = id_arg("--event", optarg); break;
		case O_CSV: a.fmt = ST_FMT_CSV; break;
		case O_TSV: a.fmt = ST_FMT_TSV; break;
		case O_JSON: a.fmt = ST_FMT_JSON; break;
		case O_TABLE: a.fmt = ST_FMT_TABLE; break;
		case O_DB: a.dbpath = optarg; break;
		case O_VERSION:
			printf("st-event %s\n", ST_VERSION);
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
	if ((a.lat != NULL) != (a.lon != NULL))
		cli_usage_error(usage, "--lat and --lon go together");
	if (a.lat) {
		a.ev.lat = coord("--lat", a.lat);
		a.ev.lon = coord("--lon", a.lon);
		a.ev.has_latlon = 1;
	}
	if (st_db_open(&db, a.dbpath, &err) < 0)
		cli_die_err(&err);
	if (a.organizer)
		a.ev.organizer = strcmp(a.organizer, "none") == 0 ? -1 : cli_contact(db, a.organizer);
	run(db, sub->name, argv + optind + 1, &a);
	st_db_close(db);
	cli_check_stdout();
	return 0;
}
