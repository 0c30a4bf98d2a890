/* st-remind: confirmations, reminders, digests, updates and cancellations,
 * queued once each into the outbox; e-mail delivered over SMTP. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "st/db.h"
#include "st/out.h"
#include "st/outbox.h"
#include "st/remind.h"
#include "st/smtp.h"
#include "st/text.h"
#include "st/token.h"
#include "st/tz.h"
#include "st/url.h"
#include "st/util.h"

static const char usage[] =
    "usage: st-remind [--db FILE] [--config FILE] [--now TIME] [--dry-run] [--explain]\n"
    "                 [--rules LIST] [--grace MINUTES] [--hours HH:MM-HH:MM]\n"
    "                 [--digest DAY@HH:MM | --digest none] [--digest-days N] [--tz ZONE]\n"
    "                 [--no-send] [-v]\n";

static const char help[] =
    "Do what is due now, and nothing else: confirmations with a calendar invite for new\n"
    "RSVPs, reminders before each shift, weekly digests, updates when a shift moves and\n"
    "cancellations, each queued once into the outbox (texts go out with st-text deliver);\n"
    "then deliver queued e-mail over SMTP. Meant for cron: */5 * * * * st-remind\n"
    "\n"
    "      --now TIME            act as if it were TIME (YYYY-MM-DD HH:MM, local to --tz)\n"
    "      --dry-run             decide and list what would be queued; queue nothing\n"
    "      --explain             list every decision: key, decision, why\n"
    "      --rules LIST          reminders (email:1d,sms:eve@18:00,sms:2h): CHANNEL:Nd|Nh|Nm\n"
    "                            before the start, or CHANNEL:eve@HH:MM the day before\n"
    "      --grace MINUTES       how late a reminder may still go (60)\n"
    "      --hours HH:MM-HH:MM   texts only in these local hours (09:00-21:00)\n"
    "      --digest DAY@HH:MM    the weekly digest (mon@09:00), or none\n"
    "      --digest-days N       shifts in the next N days go in a digest (7)\n"
    "      --tz ZONE             the organization's zone, for --now and digests (UTC)\n"
    "      --no-send             queue only; deliver nothing\n"
    "      --config FILE         settings (default: $ST_REMIND_CONFIG, else\n"
    "                            ~/.config/st/remind.conf)\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -v, --verbose             a summary on standard error\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { O_CONFIG = 256, O_DB, O_DIGEST, O_DIGEST_DAYS, O_DRY, O_EXPLAIN, O_GRACE, O_HOURS,
	O_NOSEND, O_NOW, O_RULES, O_TZ, O_VERSION, O_LISTOPTS };

static const char shortopts[] = "hv";
static const struct option longopts[] = {
	{ "config", required_argument, NULL, O_CONFIG },
	{ "db", required_argument, NULL, O_DB },
	{ "digest", required_argument, NULL, O_DIGEST },
	{ "digest-days", required_argument, NULL, O_DIGEST_DAYS },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "explain", no_argument, NULL, O_EXPLAIN },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "help", no_argument, NULL, 'h' },
	{ "hours", required_argument, NULL, O_HOURS },
	{ "list-options", no_argument, NULL, O_LISTOPTS },
	{ "no-send", no_argument, NULL, O_NOSEND },
	{ "now", required_argument, NULL, O_NOW },
	{ "rules", required_argument, NULL, O_RULES },
	{ "tz", required_argument, NULL, O_TZ },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* --explain and --dry-run: each decision as a CSV row, the header with the first. */
static void
print_note(void *ctx, const char *key, const char *decision, const char *why)
{
	static const char *const cols[] = { "key", "decision", "why" };
	struct st_out **out = ctx;
	struct st_cell c[3] = { { ST_TEXT, key, strlen(key) }, { ST_TEXT, decision,
		strlen(decision) }, { ST_TEXT, why, strlen(why) } };

	if (*out == NULL) {
		*out = st_out_new(stdout, ST_FMT_CSV, 1);
		st_out_columns(*out, 3, cols);
	}
	st_out_row(*out, c);
}

static int
parse_digest(const char *s, int *dow, int *minute)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	int d, h, m;

	if (strcmp(s, "none") == 0) {
		*dow = -1;
		return 0;
	}
	for (d = 0; d < 7; d++)
		if (strncmp(s, days[d], 3) == 0 && s[3] == '@')
			break;
	if (d == 7 || strlen(s) != 9 || s[6] != ':' || sscanf(s + 4, "%2d:%2d", &h, &m) != 2 ||
	    h > 23 || m > 59 || h < 0 || m < 0)
		return -1;
	*dow = d;
	*minute = h * 60 + m;
	return 0;
}

int
main(int argc, char **argv)
{
	struct st_remind_config cfg;
	struct st_remind_opts o = { 0 };
	struct st_remind_stats s;
	struct st_remind_rule rules[ST_REMIND_RULES_MAX];
	struct st_error err = { 0 };
	struct st_token_key *key = NULL;
	struct st_out *notes = NULL;
	const char *dbpath = NULL, *config = NULL, *now = NULL, *rules_s = NULL, *hours = NULL,
	    *digest = NULL, *tz = NULL;
	long grace = 60, days = 7;
	int c, dry = 0, explain = 0, nosend = 0, verbose = 0, rc = 0;
	sqlite3 *db;

	cli_init("st-remind");
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("%s\n%s", usage, help);
			return 0;
		case 'v': verbose = 1; break;
		case O_CONFIG: config = optarg; break;
		case O_DB: dbpath = optarg; break;
		case O_DIGEST: digest = optarg; break;
		case O_DIGEST_DAYS: days = cli_number(usage, "--digest-days", optarg, 1, 366); break;
		case O_DRY: dry = 1; break;
		case O_EXPLAIN: explain = 1; break;
		case O_GRACE: grace = cli_number(usage, "--grace", optarg, 1, 7 * 1440); break;
		case O_HOURS: hours = optarg; break;
		case O_NOSEND: nosend = 1; break;
		case O_NOW: now = optarg; break;
		case O_RULES: rules_s = optarg; break;
		case O_TZ: tz = optarg; break;
		case O_VERSION:
			printf("st-remind %s\n", ST_VERSION);
			return 0;
		case O_LISTOPTS:
			cli_list_options(longopts, shortopts);
			return 0;
		default:
			cli_usage_exit(usage);
		}
	}
	if (optind < argc)
		cli_usage_error(usage, "unexpected operand '%s'", argv[optind]);
	if (st_remind_config_load(&cfg, config, &err) < 0)
		cli_die_err(&err);
	o.tz = tz ? tz : cfg.tz ? cfg.tz : "UTC";
	if (!st_tz_valid(o.tz))
		cli_usage_error(usage, "unknown time zone '%s'", o.tz);
	o.now = time(NULL);
	if (now && st_time_parse(now, o.tz, &o.now, &err) < 0)
		cli_usage_error(usage, "invalid time '%s' for --now: %s", now, err.msg);
	if (!rules_s)
		rules_s = cfg.rules ? cfg.rules : "email:1d,sms:eve@18:00,sms:2h";
	if (strcmp(rules_s, "none") == 0)
		o.nrules = 0;
	else if ((o.nrules = st_remind_rules_parse(rules_s, rules, ST_REMIND_RULES_MAX)) < 0)
		cli_usage_error(usage, "invalid rules '%s' (email:1d,sms:eve@18:00,sms:2h)", rules_s);
	o.rules = rules;
	o.grace = grace * 60;
	o.quiet_start = 9 * 60;
	o.quiet_end = 21 * 60;
	if (!hours)
		hours = cfg.hours;
	if (hours && st_hours_parse(hours, &o.quiet_start, &o.quiet_end) < 0)
		cli_usage_error(usage, "invalid sending hours '%s' (want HH:MM-HH:MM)", hours);
	o.digest_dow = 1;
	o.digest_minute = 9 * 60;
	if (!digest)
		digest = cfg.digest;
	if (digest && parse_digest(digest, &o.digest_dow, &o.digest_minute) < 0)
		cli_usage_error(usage, "invalid digest '%s' (mon@09:00, or none)", digest);
	o.digest_days = (int)days;
	o.mail_from = cfg.mail_from;
	o.mail_from_name = cfg.mail_from_name;
	o.sms_from = cfg.sms_from;
	o.link_base = cfg.link_base;
	o.unsubscribe = cfg.unsubscribe;
	o.templates = cfg.templates;
	o.dry_run = dry;
	if (explain || dry) {
		o.note = print_note;
		o.note_ctx = &notes;
	}
	if (o.link_base) {
		if (st_url_check(o.link_base, &err) < 0 ||
		    (key = st_token_key_load(NULL, &err)) == NULL)
			cli_die_err(&err);
		o.key = key;
	}
	if (st_db_open(&db, dbpath, &err) < 0)
		cli_die_err(&err);
	rc = st_remind_tick(db, &o, &s, &err);
	if (notes)
		cli_close_out(notes, rc, &err);
	else if (rc < 0)
		cli_die_err(&err);
	if (verbose)
		fprintf(stderr, "%s: %ld queued, %ld queued before, %ld skipped, %ld changes read\n",
		    cli_name, s.queued, s.already, s.skipped, s.pending);
	if (!dry && !nosend && cfg.smtp_url) {
		/* Credentials never go in the clear unless smtp_starttls = no says so. */
		struct st_smtp_config sc = { cfg.smtp_url, cfg.smtp_user, cfg.smtp_password,
			cfg.smtp_starttls ? strcmp(cfg.smtp_starttls, "yes") == 0 : cfg.smtp_user != NULL,
			cfg.smtp_ca_file, 0 };
		struct st_outbox_opts oo = { 0 };
		struct st_outbox_stats os = { 0 };
		struct st_transport *t;

		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		if ((t = st_smtp_transport_new(&sc, &err)) == NULL)
			cli_die_err(&err);
		oo.stop = &stop;
		oo.max_wait = 0;
		rc = st_outbox_run(db, t, &oo, &os, &err);
		t->free(t);
		if (verbose)
			fprintf(stderr, "%s: e-mail: %ld sent, %ld failed, %ld retried, %ld waiting\n",
			    cli_name, os.sent, os.failed, os.retried, os.waiting);
		if (rc < 0) {
			cli_warn("%s", err.msg);
			rc = err.status;
		}
	}
	st_remind_config_free(&cfg);
	st_token_key_free(key);
	st_db_close(db);
	cli_check_stdout();
	return rc;
}
