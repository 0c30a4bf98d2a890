/* What every command shares: messages, exit, option listing, output files. */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "st/error.h"
#include "st/exit.h"

#define ST_VERSION "0.1.0"

/* Set the program name used in messages. */
void cli_init(const char *name);
extern const char *cli_name;

/* "st-x: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "st-x: message" on stderr, then exit with status. */
void cli_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* Print err and exit with its status. */
void cli_die_err(const struct st_error *err) __attribute__((noreturn));
/* A usage error: the message, the usage text and a hint, then exit 2. */
void cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Print the long options (and short ones in optstring) one per line, for
 * shell completion (the hidden --list-options). */
void cli_list_options(const struct option *opts, const char *optstring);

/* For commands with subcommands: die with a usage error if an option given
 * (given[c] set, for c in 1..n-1) is not one of the subcommand's (allowed,
 * nallowed of them, 0 ends the list early) nor one that goes with all
 * (common, zero-terminated). */
void cli_sub_options(const char *usage, const struct option *opts, const char *given, int n,
    const int *allowed, size_t nallowed, const int *common, const char *sub);

/* Parse a number for option opt, or die with a usage error. */
long cli_number(const char *usage, const char *opt, const char *s, long min, long max);

/* Output to a file written in place atomically: open a 0600 temporary file
 * beside path, and on cli_output_commit rename it over path. */
struct cli_output {
	char *path, *tmp;
	FILE *fp;
};
FILE *cli_output_open(struct cli_output *o, const char *path);
void cli_output_commit(struct cli_output *o);
void cli_output_abort(struct cli_output *o);

/* Flush stdout and exit 1 with a message if anything could not be written. */
void cli_check_stdout(void);

#endif
