/* st: run st-NAME for `st NAME ...`, git-style. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] = "usage: st [--version] [--help] COMMAND [ARG...]\n";

static const char *const commands[][2] = {
	{ "allocate", "send volunteers to turfs and shifts where they are needed, optimally" },
	{ "event", "events, shifts, RSVPs, attendance and the check-in desk" },
	{ "import", "load contacts from CSV, TSV, other delimited files and JSON Lines" },
	{ "query", "segments, reports and read-only SQL over the database" },
	{ "refmap", "personalized links, referral codes and the influence map" },
	{ "remind", "confirmations, reminders, digests and invites, run by cron" },
	{ "text", "the text line: blasts through the outbox, sync, the webhook, the inbox" },
};

int
main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 80], name[64];
	ssize_t n;
	size_t i;

	cli_init("st");
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		FILE *fp = argc < 2 ? stderr : stdout;

		fputs(usage, fp);
		fputs("\ncommands:\n", fp);
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			fprintf(fp, "   %-10s %s\n", commands[i][0], commands[i][1]);
		fputs("\nsee st(7) and st-COMMAND(1); 'st COMMAND --help' for a command's options\n",
		    fp);
		return argc < 2 ? ST_EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("st %s\n", ST_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--list-commands") == 0) {
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			puts(commands[i][0]);
		return 0;
	}
	if (argv[1][0] == '-' || strchr(argv[1], '/') || strlen(argv[1]) > 40)
		cli_usage_error(usage, "invalid command '%s'", argv[1]);
	snprintf(name, sizeof(name), "st-%s", argv[1]);
	argv[1] = name;
	/* Prefer the st-NAME installed beside this st, then $PATH. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", self, name);
			if (access(path, X_OK) == 0)
				execv(path, argv + 1);
		}
	}
	execvp(name, argv + 1);
	if (errno == ENOENT)
		cli_usage_error(usage, "'%s' is not an st command", argv[1] + 3);
	cli_die(ST_EXIT_FAIL, "cannot run '%s': %s", name, strerror(errno));
}
