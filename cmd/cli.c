#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "st/event.h"
#include "st/out.h"
#include "st/util.h"

const char *cli_name = "st";

void
cli_init(const char *name)
{
	cli_name = name;
}

static void
vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
cli_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void
cli_die_err(const struct st_error *err)
{
	cli_die(err->status ? err->status : ST_EXIT_FAIL, "%s", err->msg);
}

void
cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	cli_usage_exit(usage);
}

void
cli_usage_exit(const char *usage)
{
	fputs(usage, stderr);
	fprintf(stderr, "try '%s --help' for more information\n", cli_name);
	exit(ST_EXIT_USAGE);
}

void
cli_list_options(const struct option *opts, const char *optstring)
{
	size_t i;

	for (i = 0; optstring && optstring[i]; i++)
		if (optstring[i] != ':')
			printf("-%c%s\n", optstring[i], optstring[i + 1] == ':' ? "=" : "");
	for (i = 0; opts[i].name; i++)
		if (strcmp(opts[i].name, "list-options") != 0)
			printf("--%s%s\n", opts[i].name, opts[i].has_arg == required_argument ? "=" : "");
}

void
cli_sub_options(const char *usage, const struct option *opts, const char *given, int n,
    const int *allowed, size_t nallowed, const int *common, const char *sub)
{
	size_t k;
	int c;

	for (c = 1; c < n; c++) {
		int ok = !given[c];

		for (k = 0; !ok && common[k]; k++)
			ok = common[k] == c;
		for (k = 0; !ok && k < nallowed && allowed[k]; k++)
			ok = allowed[k] == c;
		for (k = 0; !ok && opts[k].name; k++)
			if (opts[k].val == c)
				cli_usage_error(usage, "option '--%s' does not go with '%s'", opts[k].name, sub);
		if (!ok)
			cli_usage_error(usage, "option '-%c' does not go with '%s'", c, sub);
	}
}

void
cli_list_subs(const struct cli_sub *subs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\n", subs[i].name);
}

const struct cli_sub *
cli_subcommand(const char *usage, const struct cli_sub *subs, size_t n, int argc, char **argv,
    const struct option *opts, const char *given, int ngiven, const int *common)
{
	const struct cli_sub *sub = NULL;
	int nargs;
	size_t i;

	if (optind == argc)
		cli_usage_error(usage, "no subcommand");
	for (i = 0; i < n; i++)
		if (strcmp(subs[i].name, argv[optind]) == 0)
			sub = &subs[i];
	if (sub == NULL)
		cli_usage_error(usage, "unknown subcommand '%s'", argv[optind]);
	nargs = argc - optind - 1;
	if (nargs < sub->minargs || nargs > sub->maxargs)
		cli_usage_error(usage, "'%s' takes %s%d argument%s", sub->name,
		    sub->minargs == sub->maxargs ? "" : nargs < sub->minargs ? "at least " : "at most ",
		    nargs < sub->minargs ? sub->minargs : sub->maxargs,
		    (nargs < sub->minargs ? sub->minargs : sub->maxargs) == 1 ? "" : "s");
	cli_sub_options(usage, opts, given, ngiven, sub->opts, sizeof(sub->opts) /
	    sizeof(sub->opts[0]), common, sub->name);
	return sub;
}

long
cli_contact(struct sqlite3 *db, const char *who)
{
	struct st_error err = { 0 };
	long id;

	if (st_contact_resolve(db, who, &id, &err) < 0)
		cli_die_err(&err);
	return id;
}

void
cli_close_out(struct st_out *out, int rc, const struct st_error *err)
{
	if (st_out_close(out) < 0 && rc == 0)
		cli_die(ST_EXIT_FAIL, "cannot write output: %s", strerror(errno));
	if (rc < 0)
		cli_die_err(err);
}

long
cli_number(const char *usage, const char *opt, const char *s, long min, long max)
{
	long v;

	if (st_parse_long(s, min, max, &v) < 0)
		cli_usage_error(usage, "invalid number '%s' for %s", s, opt);
	return v;
}

/* Outputs not yet committed are removed if the command dies. */
static struct cli_output *pending[4];

static void
abort_pending(void)
{
	size_t i;

	for (i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (pending[i])
			cli_output_abort(pending[i]);
}

static void
forget(struct cli_output *o)
{
	size_t i;

	for (i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (pending[i] == o)
			pending[i] = NULL;
}

FILE *
cli_output_open(struct cli_output *o, const char *path)
{
	static int registered;
	struct stat sb;
	size_t i;
	int fd;

	if (!registered++)
		atexit(abort_pending);
	for (i = 0; i < sizeof(pending) / sizeof(pending[0]); i++)
		if (pending[i] == NULL) {
			pending[i] = o;
			break;
		}

	/* A device or pipe (/dev/stderr, a FIFO) is written as it is: renaming a
	 * file over it would replace it. A symbolic link (/dev/stdout to a file)
	 * is followed, so that the file it names is what is replaced. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		o->path = st_xstrdup(path);
		o->tmp = NULL;
		if ((o->fp = fopen(path, "w")) == NULL)
			cli_die(ST_EXIT_FAIL, "cannot write '%s': %s", path, strerror(errno));
		return o->fp;
	}
	o->path = realpath(path, NULL);
	if (o->path == NULL)
		o->path = st_xstrdup(path);
	o->tmp = st_xmalloc(strlen(o->path) + 16);
	sprintf(o->tmp, "%s.tmpXXXXXX", o->path);
	fd = mkstemp(o->tmp);
	if (fd < 0)
		cli_die(ST_EXIT_FAIL, "cannot create '%s': %s", path, strerror(errno));
	o->fp = fdopen(fd, "w");
	if (o->fp == NULL)
		cli_die(ST_EXIT_FAIL, "cannot create '%s': %s", path, strerror(errno));
	return o->fp;
}

void
cli_output_commit(struct cli_output *o)
{
	int e = 0;

	forget(o);
	if (o->fp == NULL)
		return;
	/* A device or pipe is not synced (it cannot be), nor renamed. */
	if (fflush(o->fp) != 0 || ferror(o->fp) || (o->tmp && fsync(fileno(o->fp)) != 0))
		e = errno ? errno : EIO;
	if (fclose(o->fp) != 0 && e == 0)
		e = errno;
	o->fp = NULL;
	if (e == 0 && o->tmp && rename(o->tmp, o->path) != 0)
		e = errno;
	if (e) {
		if (o->tmp)
			unlink(o->tmp);
		cli_die(ST_EXIT_FAIL, "cannot write '%s': %s", o->path, strerror(e));
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

void
cli_output_abort(struct cli_output *o)
{
	forget(o);
	if (o->fp == NULL)
		return;
	fclose(o->fp);
	o->fp = NULL;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

void
cli_check_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(ST_EXIT_FAIL, "cannot write to standard output: %s", strerror(errno));
}
