/* What every command shares: messages, exit, option listing, output files. */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "st/error.h"
#include "st/exit.h"

struct sqlite3;
struct st_out;

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
/* The usage text and a hint on stderr, then exit 2 (getopt has said what is wrong). */
void cli_usage_exit(const char *usage) __attribute__((noreturn));
/* A usage error: the message, the usage text and a hint, then exit 2. */
void cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Print the long options (and short ones in optstring) one per line, for
 * shell completion (the hidden --list-options). */
void cli_list_options(const struct option *opts, const char *optstring);

/* A subcommand: its name, how many operands it takes, and the options (their
 * getopt values, 0-terminated) it takes besides those every subcommand does. */
struct cli_sub {
	const char *name;
	int minargs, maxargs;
	int opts[24];
};

/* Print the subcommands' names, one per line (after cli_list_options). */
void cli_list_subs(const struct cli_sub *subs, size_t n);

/* The subcommand argv[optind] names, among subs[0..n), once its number of
 * operands and the options given are checked: given[v] is set for each
 * option value v (< ngiven) that was given, and common (0-terminated) lists
 * those every subcommand takes. Any mismatch is a usage error. */
const struct cli_sub *cli_subcommand(const char *usage, const struct cli_sub *subs, size_t n,
    int argc, char **argv, const struct option *opts, const char *given, int ngiven,
    const int *common);

/* The contact who names (an id, an e-mail address or a phone number: see
 * st_contact_resolve), or die with the reason. */
long cli_contact(struct sqlite3 *db, const char *who);

/* Close out (as st_out_close); then die if it could not be written (and rc
 * was 0), or with err if rc < 0. */
void cli_close_out(struct st_out *out, int rc, const struct st_error *err);
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
