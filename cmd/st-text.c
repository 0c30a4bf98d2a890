/* st-text: the text line: blasts through the outbox, delivery, sync, the webhook, the inbox. */
#include <errno.h>
#include <malloc.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "st/db.h"
#include "st/event.h"
#include "st/normalize.h"
#include "st/out.h"
#include "st/outbox.h"
#include "st/text.h"
#include "st/twilio.h"
#include "st/tz.h"
#include "st/util.h"

static const char usage[] =
    "usage: st-text [--db FILE] send -m TEXT [--lang-message LANG:TEXT]... [--campaign NAME]\n"
    "               [SEND-OPTIONS] [DELIVERY-OPTIONS] [FILE]\n"
    "       st-text [--db FILE] deliver [DELIVERY-OPTIONS]\n"
    "       st-text [--db FILE] sync [--from NUMBER[,NUMBER...]] [--since DAYS]\n"
    "               [--channel sms|whatsapp]\n"
    "       st-text [--db FILE] webhook [--url URL]\n"
    "       st-text [--db FILE] inbox [--list] [FORMAT-OPTIONS]\n"
    "       st-text [--db FILE] thread CONTACT [FORMAT-OPTIONS]\n"
    "       st-text [--db FILE] reply CONTACT -m TEXT [DELIVERY-OPTIONS]\n"
    "       st-text [--db FILE] done CONTACT\n"
    "       st-text [--db FILE] opt-out CONTACT [--channel sms|whatsapp]\n";

static const char help[] =
    "Send personalized texts (SMS, WhatsApp) through Twilio from the outbox, take in replies\n"
    "and delivery statuses, and work the shared inbox. send reads recipients (an id or phone\n"
    "column, as st-query writes them) from FILE or standard input.\n"
    "\n"
    "Send options:\n"
    "  -m, --message TEXT        the template: {first_name}, any contact or input column,\n"
    "                            {field|default} when it may be empty\n"
    "      --lang-message LANG:TEXT   the template for contacts whose language is LANG\n"
    "      --campaign NAME       a blast: re-running it sends only to people not yet sent\n"
    "      --channel CH          sms (default) or whatsapp\n"
    "      --hours HH:MM-HH:MM   sending hours in the recipient's local time (09:00-21:00)\n"
    "      --tz ZONE             the zone of numbers whose area code is unknown\n"
    "      --allow-no-stop       a first message may lack opt-out wording\n"
    "      --dry-run             write what would be sent to --spool (default: standard\n"
    "                            output), queue nothing\n"
    "      --queue-only          queue, do not deliver now (deliver does)\n"
    "Delivery options:\n"
    "      --from NUMBER[,NUMBER...]   sending numbers (default: the config's 'from')\n"
    "      --rate N              messages a second per sending number (1; 0: no limit)\n"
    "      --transport T         twilio (default) or file\n"
    "      --spool FILE          the file transport's file\n"
    "      --parallel N          connections to the provider (8)\n"
    "      --timeout SECONDS     for one request (30)\n"
    "      --max-wait SECONDS    wait for retries due within this long (60)\n"
    "Other options:\n"
    "      --config FILE         settings (default: $ST_TEXT_CONFIG, ~/.config/st/text.conf)\n"
    "      --since DAYS          sync: how far back a first sync looks (7)\n"
    "      --url URL             webhook: the public URL the provider posts to\n"
    "      --list                inbox: list conversations even on a terminal\n"
    "  -f, --format FMT          csv (default), tsv, json or table\n"
    "      --csv, --tsv, --json, --table   the same\n"
    "  -H, --no-header           no header row\n"
    "  -v, --verbose             say more\n"
    "      --db FILE             the database (default: $ST_DB, else ./st.db)\n"
    "  -h, --help                show this help\n"
    "      --version             show the version\n";

enum { O_LANGMSG = 256, O_CAMPAIGN, O_CHANNEL, O_HOURS, O_TZ, O_ALLOW, O_DRY, O_QUEUE, O_FROM,
	O_RATE, O_TRANSPORT, O_SPOOL, O_PARALLEL, O_TIMEOUT, O_MAXWAIT, O_CONFIG, O_SINCE, O_URL,
	O_LIST, O_CSV, O_TSV, O_JSON, O_TABLE, O_DB, O_VERSION, O_LISTOPTS };

static const char shortopts[] = "f:hHm:v";
static const struct option longopts[] = {
	{ "allow-no-stop", no_argument, NULL, O_ALLOW },
	{ "campaign", required_argument, NULL, O_CAMPAIGN },
	{ "channel", required_argument, NULL, O_CHANNEL },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "csv", no_argument, NULL, O_CSV },
	{ "db", required_argument, NULL, O_DB },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "format", required_argument, NULL, 'f' },
	{ "from", required_argument, NULL, O_FROM },
	{ "help", no_argument, NULL, 'h' },
	{ "hours", required_argument, NULL, O_HOURS },
	{ "json", no_argument, NULL, O_JSON },
	{ "lang-message", required_argument, NULL, O_LANGMSG },
	{ "list", no_argument, NULL, O_LIST },
	{ "list-options", no_argument, NULL, O_LISTOPTS },
	{ "max-wait", required_argument, NULL, O_MAXWAIT },
	{ "message", required_argument, NULL, 'm' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "queue-only", no_argument, NULL, O_QUEUE },
	{ "rate", required_argument, NULL, O_RATE },
	{ "since", required_argument, NULL, O_SINCE },
	{ "spool", required_argument, NULL, O_SPOOL },
	{ "table", no_argument, NULL, O_TABLE },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "transport", required_argument, NULL, O_TRANSPORT },
	{ "tsv", no_argument, NULL, O_TSV },
	{ "tz", required_argument, NULL, O_TZ },
	{ "url", required_argument, NULL, O_URL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 }
};

#define DELIVERY_OPTS O_FROM, O_RATE, O_TRANSPORT, O_SPOOL, O_PARALLEL, O_TIMEOUT, O_MAXWAIT
#define FORMAT_OPTS 'f', 'H', O_CSV, O_TSV, O_JSON, O_TABLE
static const struct cli_sub subs[] = {
	{ "deliver", 0, 0, { DELIVERY_OPTS, O_CHANNEL, O_HOURS } },
	{ "done", 1, 1, { 0 } },
	{ "inbox", 0, 0, { O_LIST, FORMAT_OPTS, DELIVERY_OPTS } },
	{ "opt-out", 1, 1, { O_CHANNEL } },
	{ "reply", 1, 1, { 'm', O_CHANNEL, O_QUEUE, DELIVERY_OPTS } },
	{ "send", 0, 1, { 'm', O_LANGMSG, O_CAMPAIGN, O_CHANNEL, O_HOURS, O_TZ, O_ALLOW, O_DRY,
	  O_QUEUE, DELIVERY_OPTS } },
	{ "sync", 0, 0, { O_FROM, O_SINCE, O_CHANNEL } },
	{ "thread", 1, 1, { FORMAT_OPTS } },
	{ "webhook", 0, 0, { O_URL } },
};

struct args {
	const char *dbpath, *config, *message, *campaign, *channel, *hours, *tz, *transport, *spool,
	    *url, *from;
	char **langs, **tmpls;
	size_t nlangs;
	double rate;
	long parallel, timeout, max_wait, since;
	int allow, dry, queue_only, list, fmt, header, verbose;
	char given[O_LISTOPTS + 1];
	struct st_text_config cfg;
	int quiet_start, quiet_end;
};

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The sending numbers: --from, else the config's 'from'; each a valid number. */
static char **
senders(const struct args *a)
{
	const char *s = a->from ? a->from : a->cfg.from;
	char **v, buf[32];
	size_t i;

	if (s == NULL || *s == '\0')
		cli_usage_error(usage, "no sending number: give --from or set 'from' in the config file");
	v = st_split_list(s);
	for (i = 0; v[i]; i++) {
		if (strlen(v[i]) > 20 || st_phone_normalize(v[i], strlen(v[i]), buf) < 0)
			cli_usage_error(usage, "invalid sending number '%s'", v[i]);
		free(v[i]);
		v[i] = st_xstrdup(buf);
	}
	if (i == 0)
		cli_usage_error(usage, "no sending number: give --from or set 'from' in the config file");
	return v;
}

static struct st_twilio_conf
twilio_conf(const struct args *a)
{
	struct st_twilio_conf c = { 0 };

	c.base_url = a->cfg.base_url;
	c.sid = a->cfg.account_sid;
	c.token = a->cfg.auth_token;
	c.status_callback = a->cfg.status_callback;
	c.timeout_ms = a->timeout * 1000;
	c.parallel = (int)a->parallel;
	return c;
}

static struct st_transport *
transport(const struct args *a)
{
	struct st_error err = { 0 };
	struct st_transport *t;

	if (a->transport && strcmp(a->transport, "file") == 0) {
		if (a->spool == NULL)
			cli_usage_error(usage, "the file transport needs --spool FILE");
		t = st_spool_transport_new(a->spool, -1, &err);
	} else {
		struct st_twilio_conf c = twilio_conf(a);

		t = st_twilio_transport_new(&c, &err);
	}
	if (t == NULL)
		cli_die_err(&err);
	return t;
}

/* Deliver what is due (only_id > 0: that message); the summary on stdout. */
static int
deliver(sqlite3 *db, const struct args *a, long only_id)
{
	struct st_transport *t = transport(a);
	struct st_outbox_opts o = { 0 };
	struct st_outbox_stats s;
	struct st_error err = { 0 };
	struct sigaction sa;
	long retrying = 0;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	o.rate = a->rate;
	o.max_wait = (int)a->max_wait;
	o.quiet_start = a->quiet_start;
	o.quiet_end = a->quiet_end;
	o.quiet_applies = only_id == 0;
	o.only_id = only_id;
	o.lease = a->timeout * 2 + 60 > 120 ? (int)a->timeout * 2 + 60 : 120;
	o.stop = &stop;
	rc = st_outbox_run(db, t, &o, &s, &err);
	t->free(t);
	printf("sent %ld, failed %ld (opted out %ld, bad number %ld), cancelled %ld, retried %ld, "
	    "reconciled %ld, waiting %ld\n", s.sent, s.failed, s.opted_out, s.bad_address,
	    s.cancelled, s.retried, s.reconciled, s.waiting);
	if (a->verbose)
		fprintf(stderr, "%s: requeued %ld after reconciling, deferred %ld to sending hours, "
		    "%ld unresolved\n", cli_name, s.requeued, s.deferred, s.unresolved);
	if (rc < 0)
		cli_die_err(&err);
	/* Messages that failed for now and wait for a retry: worth running again. */
	if (st_db_scalarf(db, &err, &retrying, "SELECT count(*) FROM messages WHERE status IN "
	    "('queued', 'unknown') AND attempts > 0 AND (?1 = 0 OR id = ?1)", "i", only_id) < 0)
		cli_die_err(&err);
	if (retrying > 0 || s.unresolved > 0) {
		cli_warn("%ld message%s to retry later", retrying, retrying == 1 ? "" : "s");
		return ST_EXIT_TEMP;
	}
	return 0;
}

static int
send_cmd(sqlite3 *db, struct args *a, const char *file)
{
	struct st_send_opts o = { 0 };
	struct st_send_report r;
	struct st_error err = { 0 };
	struct st_transport *spool = NULL;
	FILE *fp = stdin;
	char **from = senders(a);
	long skipped;
	int rc;

	if (a->message == NULL)
		cli_usage_error(usage, "send needs a message: -m TEXT");
	if (file && strcmp(file, "-") != 0 && (fp = fopen(file, "r")) == NULL)
		cli_die(ST_EXIT_FAIL, "cannot open '%s': %s", file, strerror(errno));
	if (fp == stdin && isatty(STDIN_FILENO))
		cli_usage_error(usage, "send reads recipients: pipe them in (st-query ... | st-text send)");
	if (a->dry) {
		fflush(stdout);
		spool = st_spool_transport_new(a->spool && strcmp(a->spool, "-") != 0 ? a->spool : NULL,
		    STDOUT_FILENO, &err);
		if (spool == NULL)
			cli_die_err(&err);
	}
	o.channel = a->channel;
	o.from = from;
	o.tmpl = a->message;
	o.langs = a->langs;
	o.tmpls = a->tmpls;
	o.campaign = a->campaign;
	o.allow_no_optout = a->allow;
	o.quiet_start = a->quiet_start;
	o.quiet_end = a->quiet_end;
	o.default_tz = a->tz ? a->tz : a->cfg.tz ? a->cfg.tz : "America/New_York";
	o.dry_run = spool;
	if (!st_tz_valid(o.default_tz))
		cli_usage_error(usage, "unknown time zone '%s'", o.default_tz);
	rc = st_text_enqueue(db, fp, file ? file : "-", &o, &r, &err);
	if (fp != stdin)
		fclose(fp);
	if (spool)
		spool->free(spool);
	st_strv_free(from);
	if (rc < 0)
		cli_die_err(&err);
	skipped = r.no_contact + r.no_phone + r.bad_phone + r.opted_out + r.no_optout_wording +
	    r.missing_field;
	/* The report comes before anything is sent. */
	printf("read %ld: %s %ld, already queued or sent %ld, skipped %ld (opted out %ld, no opt-out "
	    "wording %ld, no phone %ld, bad phone %ld, unknown contact %ld, missing field %ld%s%s)\n",
	    r.read, a->dry ? "would queue" : "queued", r.queued, r.already, skipped, r.opted_out,
	    r.no_optout_wording, r.no_phone, r.bad_phone, r.no_contact, r.missing_field,
	    r.missing[0] ? ": " : "", r.missing);
	printf("segments %ld in %ld messages, at most %ld a message; GSM-7 %ld, UCS-2 %ld; held "
	    "for sending hours %ld\n", r.segments, r.rendered, r.seg_max, r.gsm, r.ucs2, r.deferred);
	fflush(stdout);
	if (a->dry || a->queue_only)
		return 0;
	return deliver(db, a, 0);
}

static struct st_out *
new_out(const struct args *a)
{
	return st_out_new(stdout, a->fmt >= 0 ? a->fmt : ST_FMT_CSV, a->header);
}

struct syncing {
	sqlite3 *db;
	struct st_receive_opts ro;
	long received, updated, failed;
	struct st_error err;
};

static int
on_inbound(void *ctx, const struct st_twilio_msg *m)
{
	struct syncing *s = ctx;
	struct st_inbound in = { 0 };
	char at[21];
	int rc;

	/* Only what can be taken in: an inbound message with its numbers. */
	if (m->direction == NULL || strcmp(m->direction, "inbound") != 0 || m->from == NULL ||
	    m->to == NULL)
		return 0;
	in.provider = "twilio";
	in.provider_id = m->sid;
	in.from = m->from;
	in.to = m->to;
	in.body = m->body;
	if (m->date_sent || m->date_created) {
		st_time_utc(m->date_sent ? m->date_sent : m->date_created, at);
		in.at = at;
	}
	rc = st_text_receive(s->db, &in, &s->ro, NULL, &s->err);
	if (rc < 0)
		return 1;
	s->received += rc;
	return 0;
}

static int
on_status(void *ctx, const struct st_twilio_msg *m)
{
	struct syncing *s = ctx;
	int rc;

	if (m->direction == NULL || strncmp(m->direction, "outbound", 8) != 0)
		return 0;
	rc = st_text_status(s->db, "twilio", m->sid, m->status, m->error_code, m->error_message,
	    &s->err);
	if (rc < 0)
		return 1;
	s->updated += rc;
	return 0;
}

static int
sync_cmd(sqlite3 *db, struct args *a)
{
	struct st_twilio_conf c = twilio_conf(a);
	struct syncing s = { 0 };
	char **from = senders(a), key[200], started[21];
	size_t i;
	time_t t0 = time(NULL);

	if (c.sid == NULL || c.token == NULL)
		cli_usage_error(usage, "no Twilio account: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
		    "or the config file");
	s.db = db;
	s.ro.help_reply = a->cfg.help_reply;
	s.ro.templates = a->cfg.templates;
	st_time_utc(t0, started);
	for (i = 0; from[i]; i++) {
		char addr[64], *last;
		time_t since = t0 - a->since * 86400;
		int rc;

		snprintf(addr, sizeof(addr), "%s%s", a->channel && strcmp(a->channel, "whatsapp") == 0 ?
		    "whatsapp:" : "", from[i]);
		snprintf(key, sizeof(key), "twilio:%s:%s", c.sid, addr);
		last = st_db_textf(db, &s.err, &rc, "SELECT value FROM message_sync WHERE key = ?1", "t",
		    key);
		if (rc < 0)
			cli_die_err(&s.err);
		/* The list filters by day: go back one more, the ids make it idempotent. */
		if (last && st_time_from_utc(last, &since) == 0)
			since -= 86400;
		free(last);
		if (st_twilio_list(&c, addr, NULL, since, 0, on_inbound, &s, &s.err) < 0 ||
		    s.err.msg[0] || st_twilio_list(&c, NULL, addr, since, 0, on_status, &s, &s.err) < 0 ||
		    s.err.msg[0])
			cli_die_err(&s.err);
		if (st_db_execf(db, &s.err, "INSERT INTO message_sync(key, value) VALUES (?1, ?2) ON "
		    "CONFLICT(key) DO UPDATE SET value = excluded.value", "tt", key, started) < 0)
			cli_die_err(&s.err);
	}
	st_strv_free(from);
	printf("received %ld, statuses updated %ld\n", s.received, s.updated);
	return 0;
}

/* CGI: the form on standard input, the signature and URL from the environment. */
static int
webhook_cmd(sqlite3 *db, struct args *a)
{
	struct st_buf body = { 0 };
	struct st_param *p = NULL;
	struct st_error err = { 0 };
	const char *sig = getenv("HTTP_X_TWILIO_SIGNATURE"), *url = a->url ? a->url :
	    a->cfg.webhook_url, *len = getenv("CONTENT_LENGTH");
	char buf[4096], *built = NULL;
	size_t n = 0, got;
	long want = -1;
	int rc;

	if (a->cfg.auth_token == NULL)
		cli_die(ST_EXIT_USAGE, "no auth token to check signatures with: set TWILIO_AUTH_TOKEN "
		    "or the config file");
	if (url == NULL && getenv("HTTP_HOST") && getenv("REQUEST_URI")) {
		const char *scheme = getenv("REQUEST_SCHEME");
		struct st_buf u = { 0 };

		st_buf_printf(&u, "%s://%s%s", scheme ? scheme : "https", getenv("HTTP_HOST"),
		    getenv("REQUEST_URI"));
		url = built = u.s;
	}
	if (url == NULL)
		cli_usage_error(usage, "webhook needs the URL the provider posts to: --url, or "
		    "webhook_url in the config file");
	if (len && st_parse_long(len, 0, 1 << 20, &want) < 0)
		cli_die(ST_EXIT_DATA, "invalid CONTENT_LENGTH '%s'", len);
	while ((want < 0 || (long)body.len < want) && (got = fread(buf, 1, want < 0 ? sizeof(buf) :
	    ((size_t)want - body.len < sizeof(buf) ? (size_t)want - body.len : sizeof(buf)), stdin)) > 0) {
		st_buf_add(&body, buf, got);
		if (body.len > 1 << 20)
			cli_die(ST_EXIT_DATA, "request body too large");
	}
	if (st_form_parse(body.s ? body.s : "", body.len, &p, &n) < 0) {
		printf("Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nbad form\n");
		cli_die(ST_EXIT_DATA, "invalid form body");
	}
	if (!st_twilio_signature_ok(a->cfg.auth_token, url, p, n, sig)) {
		printf("Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nbad signature\n");
		fflush(stdout);
		cli_die(ST_EXIT_FAIL, "invalid X-Twilio-Signature for '%s'", url);
	}
	if (st_param_get(p, n, "MessageStatus") && !st_param_get(p, n, "Body")) {
		const char *code = st_param_get(p, n, "ErrorCode");
		long ec = 0;

		if (code && *code && st_parse_long(code, 0, 99999999, &ec) < 0)
			ec = 0;
		rc = st_text_status(db, "twilio", st_param_get(p, n, "MessageSid"),
		    st_param_get(p, n, "MessageStatus"), ec, NULL, &err);
	} else {
		struct st_inbound in = { 0 };
		struct st_receive_opts ro = { a->cfg.help_reply, a->cfg.templates };

		in.provider = "twilio";
		in.provider_id = st_param_get(p, n, "MessageSid");
		in.from = st_param_get(p, n, "From");
		in.to = st_param_get(p, n, "To");
		in.body = st_param_get(p, n, "Body");
		rc = st_text_receive(db, &in, &ro, NULL, &err);
	}
	st_params_free(p, n);
	st_buf_free(&body);
	free(built);
	if (rc < 0) {
		printf("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nerror\n");
		fflush(stdout);
		cli_die_err(&err);
	}
	printf("Content-Type: text/xml\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
	    "</Response>\n");
	return 0;
}

/* Queue a reply and deliver it; on a failure, the inbox goes on (-1), a command dies. */
static int
reply_now(sqlite3 *db, struct args *a, long contact, const char *text, int interactive)
{
	struct st_error err = { 0 };
	char **from = senders(a);
	long id;
	int rc;

	rc = st_text_reply(db, contact, a->channel, from, text, &id, &err);
	st_strv_free(from);
	if (rc < 0 && !interactive)
		cli_die_err(&err);
	if (rc < 0) {
		printf("%s\n", err.msg);
		return -1;
	}
	if (a->queue_only)
		return 0;
	return deliver(db, a, id);
}

#define MAXTHREADS 50

static char *
inbox_line(int tty, const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;

	if (tty)
		return readline(prompt);
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* The conversations, numbered; ids[] gets their contacts. */
static size_t
show_threads(sqlite3 *db, long *ids)
{
	struct st_error err = { 0 };
	sqlite3_stmt *st = st_db_prepare(db, "SELECT contact, first_name, last_name, phone, unread, "
	    "unanswered, last_body FROM (SELECT c.id AS contact, c.first_name, c.last_name, c.phone, "
	    "sum(m.direction = 'in' AND m.read_at IS NULL) AS unread, sum(m.direction = 'in' AND "
	    "m.handled_at IS NULL) AS unanswered, max(CASE WHEN m.direction = 'in' AND m.handled_at "
	    "IS NULL THEN m.created_at END) AS waiting, max(m.created_at) AS last_at, (SELECT body "
	    "FROM messages x WHERE x.contact_id = c.id ORDER BY x.id DESC LIMIT 1) AS last_body "
	    "FROM messages m JOIN contacts c ON c.id = m.contact_id GROUP BY c.id HAVING "
	    "sum(m.direction = 'in') > 0) ORDER BY unanswered > 0 DESC, waiting DESC, last_at DESC "
	    "LIMIT 50", &err);
	static const char *const cols[] = { "#", "contact", "name", "phone", "unread", "waiting",
		"last message" };
	struct st_out *out;
	size_t n = 0;

	if (st == NULL) {
		printf("%s\n", err.msg);
		return 0;
	}
	out = st_out_new(stdout, ST_FMT_TABLE, 1);
	st_out_columns(out, 7, cols);
	while (sqlite3_step(st) == SQLITE_ROW && n < MAXTHREADS) {
		char num[16], name[200], body[64];
		const char *f = (const char *)sqlite3_column_text(st, 1);
		const char *l = (const char *)sqlite3_column_text(st, 2);
		const char *ph = (const char *)sqlite3_column_text(st, 3);
		const char *b = (const char *)sqlite3_column_text(st, 6);
		struct st_cell c[7];
		size_t k;

		ids[n] = (long)sqlite3_column_int64(st, 0);
		snprintf(num, sizeof(num), "%zu", n + 1);
		snprintf(name, sizeof(name), "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
		snprintf(body, sizeof(body), "%.60s", b ? b : "");
		for (k = 0; body[k]; k++)
			if (body[k] == '\n' || body[k] == '\r')
				body[k] = ' ';
		c[0] = (struct st_cell){ ST_INT, num, strlen(num) };
		c[1] = (struct st_cell){ ST_INT, (const char *)sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0) };
		c[2] = (struct st_cell){ ST_TEXT, name, strlen(name) };
		c[3] = (struct st_cell){ ST_TEXT, ph ? ph : "", ph ? strlen(ph) : 0 };
		c[4] = (struct st_cell){ ST_INT, (const char *)sqlite3_column_text(st, 4),
			(size_t)sqlite3_column_bytes(st, 4) };
		c[5] = (struct st_cell){ ST_INT, (const char *)sqlite3_column_text(st, 5),
			(size_t)sqlite3_column_bytes(st, 5) };
		c[6] = (struct st_cell){ ST_TEXT, body, strlen(body) };
		st_out_row(out, c);
		n++;
	}
	sqlite3_finalize(st);
	st_out_close(out);
	if (n == 0)
		printf("no conversations\n");
	return n;
}

/* The shared inbox on a terminal: list, open a thread, reply, done, tag, opt out, assign. */
static void
inbox_interactive(sqlite3 *db, struct args *a, int tty)
{
	long ids[MAXTHREADS], open = 0;
	size_t n;
	char *line;

	rl_readline_name = "st-text";
	printf("the inbox: a number opens a conversation; in one, 'r TEXT' replies, 'done', "
	    "'tag NAME', 'optout', 'assign CONTACT', 'back'; 'list', 'quit'\n");
	n = show_threads(db, ids);
	fflush(stdout);
	while ((line = inbox_line(tty, open ? "thread> " : "inbox> ")) != NULL) {
		char *s = line + strspn(line, " \t");
		struct st_error err = { 0 };
		long pick;

		if (*s == '\0') {
			free(line);
			continue;
		}
		if (tty)
			add_history(s);
		if (strcmp(s, "quit") == 0 || strcmp(s, "q") == 0) {
			free(line);
			break;
		}
		if (strcmp(s, "list") == 0 || strcmp(s, "back") == 0) {
			open = 0;
			n = show_threads(db, ids);
		} else if (st_parse_long(s, 1, MAXTHREADS, &pick) == 0) {
			if ((size_t)pick > n) {
				printf("no conversation %ld in the list\n", pick);
			} else {
				struct st_out *out = st_out_new(stdout, ST_FMT_TABLE, 1);
				long rows;
				int rc;

				open = ids[pick - 1];
				rc = st_inbox_thread(db, open, out, &rows, &err);
				st_out_close(out);
				if (rc < 0)
					printf("%s\n", err.msg);
			}
		} else if (!open) {
			printf("open a conversation first (its number), or 'list', 'quit'\n");
		} else if (strncmp(s, "r ", 2) == 0 || strncmp(s, "reply ", 6) == 0) {
			const char *text = s + (s[1] == ' ' ? 2 : 6);

			fflush(stdout);
			if (reply_now(db, a, open, text, 1) == 0)
				printf("replied to contact %ld\n", open);
		} else if (strcmp(s, "done") == 0) {
			if (st_inbox_done(db, open, &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("contact %ld done\n", open);
		} else if (strncmp(s, "tag ", 4) == 0) {
			if (st_inbox_tag(db, open, s + 4, &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("tagged contact %ld %s\n", open, s + 4);
		} else if (strcmp(s, "optout") == 0) {
			if (st_text_opt_out(db, open, a->channel, &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("contact %ld opted out\n", open);
		} else if (strncmp(s, "assign ", 7) == 0) {
			long org;

			if (st_contact_resolve(db, s + 7, &org, &err) < 0 ||
			    st_contact_set_organizer(db, open, org, &err) < 0)
				printf("%s\n", err.msg);
			else
				printf("contact %ld assigned to %ld\n", open, org);
		} else {
			printf("unknown command '%s'\n", s);
		}
		fflush(stdout);
		free(line);
	}
}

static void
run(sqlite3 *db, const char *cmd, char **argv, struct args *a, int *status)
{
	struct st_error err = { 0 };
	struct st_out *out;
	long n;
	int rc;

	if (strcmp(cmd, "send") == 0) {
		*status = send_cmd(db, a, argv[0]);
	} else if (strcmp(cmd, "deliver") == 0) {
		*status = deliver(db, a, 0);
	} else if (strcmp(cmd, "sync") == 0) {
		*status = sync_cmd(db, a);
	} else if (strcmp(cmd, "webhook") == 0) {
		*status = webhook_cmd(db, a);
	} else if (strcmp(cmd, "inbox") == 0) {
		if (!a->list && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
			inbox_interactive(db, a, 1);
		} else {
			out = new_out(a);
			rc = st_inbox_list(db, out, &n, &err);
			cli_close_out(out, rc, &err);
		}
	} else if (strcmp(cmd, "thread") == 0) {
		out = new_out(a);
		rc = st_inbox_thread(db, cli_contact(db, argv[0]), out, &n, &err);
		cli_close_out(out, rc, &err);
	} else if (strcmp(cmd, "reply") == 0) {
		if (a->message == NULL)
			cli_usage_error(usage, "reply needs a message: -m TEXT");
		*status = reply_now(db, a, cli_contact(db, argv[0]), a->message, 0);
	} else if (strcmp(cmd, "done") == 0) {
		if (st_inbox_done(db, cli_contact(db, argv[0]), &err) < 0)
			cli_die_err(&err);
	} else if (strcmp(cmd, "opt-out") == 0) {
		if (st_text_opt_out(db, cli_contact(db, argv[0]), a->channel, &err) < 0)
			cli_die_err(&err);
	}
}

static void
lang_message(struct args *a, const char *s)
{
	const char *colon = strchr(s, ':');
	char lang[32];
	int n;

	if (colon == NULL || colon == s || colon - s > 20)
		cli_usage_error(usage, "invalid --lang-message '%s' (want LANG:TEXT)", s);
	n = st_lang_normalize(s, (size_t)(colon - s), lang);
	if (n <= 0)
		cli_usage_error(usage, "invalid language in --lang-message '%s'", s);
	a->langs = st_xrealloc(a->langs, (a->nlangs + 2) * sizeof(char *));
	a->tmpls = st_xrealloc(a->tmpls, (a->nlangs + 2) * sizeof(char *));
	a->langs[a->nlangs] = st_xstrndup(lang, (size_t)n);
	a->tmpls[a->nlangs++] = st_xstrdup(colon + 1);
	a->langs[a->nlangs] = a->tmpls[a->nlangs] = NULL;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct st_error err = { 0 };
	const struct cli_sub *sub;
	sqlite3 *db;
	int c, status = 0;

	cli_init("st-text");
	/* SQLite's per-statement buffers sit at the top of the heap: without this, glibc
	 * hands them back to the kernel and takes them again for every message (10x slower). */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	a.fmt = -1;
	a.header = 1;
	a.rate = 1;
	a.parallel = 8;
	a.timeout = 30;
	a.max_wait = 60;
	a.since = 7;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c >= 0 && c <= O_LISTOPTS)
			a.given[c] = 1;
		switch (c) {
		case 'f':
			if ((a.fmt = st_format_parse(optarg)) < 0)
				cli_usage_error(usage, "unknown format '%s' (csv, tsv, json, table)", optarg);
			break;
		case 'h':
			printf("%s\n%s", usage, help);
			return 0;
		case 'H': a.header = 0; break;
		case 'm': a.message = optarg; break;
		case 'v': a.verbose = 1; break;
		case O_LANGMSG: lang_message(&a, optarg); break;
		case O_CAMPAIGN:
			if (*optarg == '\0' || strlen(optarg) > 100)
				cli_usage_error(usage, "invalid campaign name '%s'", optarg);
			a.campaign = optarg;
			break;
		case O_CHANNEL:
			if (strcmp(optarg, "sms") != 0 && strcmp(optarg, "whatsapp") != 0)
				cli_usage_error(usage, "unknown channel '%s' (sms, whatsapp)", optarg);
			a.channel = optarg;
			break;
		case O_HOURS: a.hours = optarg; break;
		case O_TZ: a.tz = optarg; break;
		case O_ALLOW: a.allow = 1; break;
		case O_DRY: a.dry = 1; break;
		case O_QUEUE: a.queue_only = 1; break;
		case O_FROM: a.from = optarg; break;
		case O_RATE: {
			char *end;

			errno = 0;
			a.rate = strtod(optarg, &end);
			if (errno || end == optarg || *end || a.rate < 0 || a.rate > 10000)
				cli_usage_error(usage, "invalid number '%s' for --rate", optarg);
			break;
		}
		case O_TRANSPORT:
			if (strcmp(optarg, "twilio") != 0 && strcmp(optarg, "file") != 0)
				cli_usage_error(usage, "unknown transport '%s' (twilio, file)", optarg);
			a.transport = optarg;
			break;
		case O_SPOOL: a.spool = optarg; break;
		case O_PARALLEL: a.parallel = cli_number(usage, "--parallel", optarg, 1, 256); break;
		case O_TIMEOUT: a.timeout = cli_number(usage, "--timeout", optarg, 1, 600); break;
		case O_MAXWAIT: a.max_wait = cli_number(usage, "--max-wait", optarg, 0, 86400); break;
		case O_CONFIG: a.config = optarg; break;
		case O_SINCE: a.since = cli_number(usage, "--since", optarg, 0, 3650); break;
		case O_URL: a.url = optarg; break;
		case O_LIST: a.list = 1; break;
		case O_CSV: a.fmt = ST_FMT_CSV; break;
		case O_TSV: a.fmt = ST_FMT_TSV; break;
		case O_JSON: a.fmt = ST_FMT_JSON; break;
		case O_TABLE: a.fmt = ST_FMT_TABLE; break;
		case O_DB: a.dbpath = optarg; break;
		case O_VERSION:
			printf("st-text %s\n", ST_VERSION);
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
	    a.given, O_LISTOPTS + 1, (const int[]){ O_DB, O_CONFIG, 'v', 0 });
	if (st_text_config_load(&a.cfg, a.config, &err) < 0)
		cli_die_err(&err);
	a.quiet_start = 9 * 60;
	a.quiet_end = 21 * 60;
	if ((a.hours || a.cfg.hours) && st_hours_parse(a.hours ? a.hours : a.cfg.hours,
	    &a.quiet_start, &a.quiet_end) < 0)
		cli_usage_error(usage, "invalid sending hours '%s' (want HH:MM-HH:MM)", a.hours ?
		    a.hours : a.cfg.hours);
	if (a.tz && !st_tz_valid(a.tz))
		cli_usage_error(usage, "unknown time zone '%s'", a.tz);
	if (st_db_open(&db, a.dbpath, &err) < 0)
		cli_die_err(&err);
	/* A blast touches the queue's pages over and over: keep them (16 MB). */
	sqlite3_exec(db, "PRAGMA cache_size = -16384", NULL, NULL, NULL);
	run(db, sub->name, argv + optind + 1, &a, &status);
	st_db_close(db);
	st_text_config_free(&a.cfg);
	st_strv_free(a.langs);
	st_strv_free(a.tmpls);
	cli_check_stdout();
	return status;
}
