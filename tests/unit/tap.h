/* A tiny TAP producer for the C unit tests: ok, is_str, is_int, diag and
 * done_testing, which prints the plan and returns the exit status. Everything
 * is static, so each test program is standalone. */
#ifndef ST_TAP_H
#define ST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TAP_FN static __attribute__((unused))

static int tap_run, tap_failed;

TAP_FN void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Report one test; returns cond so a caller can add diagnostics on failure. */
TAP_FN int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	char name[512], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("%sok %d - ", cond ? "" : "not ", ++tap_run);
	/* A name is one line, and '#' would start a TAP directive. */
	for (p = name; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == '#')
			printf("\\%c", *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : '#');
		else
			putchar(*p);
	}
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

TAP_FN int
is_str(const char *got, const char *want, const char *name)
{
	int same = got == want || (got && want && strcmp(got, want) == 0);

	if (!ok(same, "%s", name))
		diag("got '%s', want '%s'", got ? got : "(null)", want ? want : "(null)");
	return same;
}

TAP_FN int
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		diag("got %lld, want %lld", got, want);
	return got == want;
}

TAP_FN int
done_testing(void)
{
	printf("1..%d\n", tap_run);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_run);
	return tap_failed != 0;
}

#endif
