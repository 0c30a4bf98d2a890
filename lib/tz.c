#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/tz.h"
#include "st/util.h"

int
st_tz_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat sb;
	size_t i;

	if (zone == NULL || *zone == '\0' || *zone == '/' || strstr(zone, "..") ||
	    strlen(zone) > 200)
		return 0;
	for (i = 0; zone[i]; i++)
		if (!(isalnum((unsigned char)zone[i]) || strchr("/_-+", zone[i])))
			return 0;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Run the C library's local-time functions in zone: set TZ, and put it back. */
static char *
zone_enter(const char *zone)
{
	const char *old = getenv("TZ");
	char *saved = old ? st_xstrdup(old) : NULL;

	setenv("TZ", zone, 1);
	tzset();
	return saved;
}

static void
zone_leave(char *saved)
{
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

static int
num(const char **p, int digits, int *out)
{
	int v = 0, i;

	for (i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
st_time_parse(const char *s, const char *zone, time_t *out, struct st_error *err)
{
	const char *p = s;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec = 0, off = 0, has_off = 0, found = 0, isdst;
	time_t cand[2] = { 0, 0 };
	char *saved;

	if (num(&p, 4, &y) < 0 || *p++ != '-' || num(&p, 2, &mo) < 0 || *p++ != '-' ||
	    num(&p, 2, &d) < 0 || (*p != ' ' && *p != 'T') || (p++, num(&p, 2, &h)) < 0 ||
	    *p++ != ':' || num(&p, 2, &mi) < 0)
		goto bad;
	if (*p == ':' && (p++, num(&p, 2, &sec)) < 0)
		goto bad;
	if (*p == 'Z' || *p == 'z') {
		has_off = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, sign = *p == '-' ? -1 : 1;

		p++;
		if (num(&p, 2, &oh) < 0 || *p++ != ':' || num(&p, 2, &om) < 0 || oh > 18 || om > 59)
			goto bad;
		off = sign * (oh * 3600 + om * 60);
		has_off = 1;
	}
	if (*p != '\0' || y < 1900 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* UTC needs no trip through the zone database (a stat and two tzsets). */
	if (has_off || (zone && strcmp(zone, "UTC") == 0)) {
		*out = timegm(&tm) - off;
		return 0;
	}
	if (zone == NULL || *zone == '\0')
		return st_error_set(err, ST_EXIT_DATA, "time '%s' has no time zone (give the "
		    "event's zone, or an offset such as -05:00)", s);
	if (!st_tz_valid(zone))
		return st_error_set(err, ST_EXIT_DATA, "unknown time zone '%s'", zone);
	/* Try the wall time as standard and as daylight time: each reading that
	 * gives back the same wall time is a real instant. */
	saved = zone_enter(zone);
	for (isdst = 0; isdst <= 1; isdst++) {
		struct tm t = tm, back;
		time_t v;

		t.tm_isdst = isdst;
		v = mktime(&t);
		if (v == (time_t)-1 || localtime_r(&v, &back) == NULL)
			continue;
		if (back.tm_year == tm.tm_year && back.tm_mon == tm.tm_mon &&
		    back.tm_mday == tm.tm_mday && back.tm_hour == tm.tm_hour &&
		    back.tm_min == tm.tm_min && back.tm_sec == tm.tm_sec &&
		    (found == 0 || cand[0] != v))
			cand[found++] = v;
	}
	zone_leave(saved);
	if (found == 0)
		return st_error_set(err, ST_EXIT_DATA, "time '%s' does not exist in %s (the clocks "
		    "skip it)", s, zone);
	if (found == 2) {
		char a[32], b[32];

		st_time_local(cand[0] < cand[1] ? cand[0] : cand[1], zone, a);
		st_time_local(cand[0] < cand[1] ? cand[1] : cand[0], zone, b);
		return st_error_set(err, ST_EXIT_DATA, "time '%s' happens twice in %s (the clocks go "
		    "back): write %s or %s", s, zone, a, b);
	}
	*out = cand[0];
	return 0;
bad:
	return st_error_set(err, ST_EXIT_DATA, "invalid time '%s' (want YYYY-MM-DD HH:MM, "
	    "optionally with an offset such as -05:00 or Z)", s);
}

void
st_time_utc(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
st_time_local(time_t t, const char *zone, char *out)
{
	char *saved = zone_enter(zone);
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	zone_leave(saved);
	off = labs(tm.tm_gmtoff) % 86400;
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 7, "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+', (int)(off / 3600),
	    (int)(off % 3600 / 60));
}

int
st_time_from_utc(const char *s, time_t *out)
{
	struct st_error err;

	/* A stored time has its "Z", so no zone is needed. */
	return st_time_parse(s, NULL, out, &err) < 0 ? -1 : 0;
}

/* Local midnight of the day t falls on, plus minutes, as an instant (mktime
 * resolves a time the clocks skip forward). */
static time_t
local_at(const struct tm *day, int minutes)
{
	struct tm tm = *day;

	tm.tm_hour = minutes / 60;
	tm.tm_min = minutes % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* What st_tz_window last worked out per zone: it holds until the change,
 * so a run over many recipients sets TZ a few times, not once each. */
static struct {
	char zone[64];
	int start, end, in;
	time_t from, change;
} windows[32];
static unsigned nwindows;

static int window(time_t now, const char *zone, int start, int end, time_t *change);

int
st_tz_window(time_t now, const char *zone, int start, int end, time_t *change)
{
	unsigned i;

	if (strlen(zone) >= sizeof(windows[0].zone))
		return window(now, zone, start, end, change);
	for (i = 0; i < nwindows && i < 32; i++)
		if (strcmp(windows[i].zone, zone) == 0 && windows[i].start == start &&
		    windows[i].end == end && now >= windows[i].from && now < windows[i].change) {
			*change = windows[i].change;
			return windows[i].in;
		}
	i = nwindows++ % 32;
	snprintf(windows[i].zone, sizeof(windows[i].zone), "%s", zone);
	windows[i].start = start;
	windows[i].end = end;
	windows[i].from = now;
	windows[i].in = window(now, zone, start, end, &windows[i].change);
	*change = windows[i].change;
	return windows[i].in;
}

static int
window(time_t now, const char *zone, int start, int end, time_t *change)
{
	char *saved;
	struct tm tm, next;
	time_t s, e, tomorrow;
	int in;

	if (start == end) {
		*change = now + 86400;
		return 1;
	}
	saved = zone_enter(zone);
	localtime_r(&now, &tm);
	s = local_at(&tm, start);
	e = local_at(&tm, end);
	next = tm;
	next.tm_mday++;
	next.tm_hour = 12;
	next.tm_isdst = -1;
	tomorrow = mktime(&next);
	localtime_r(&tomorrow, &next);
	if (start < end) {
		/* Allowed from start to end of each day. */
		in = now >= s && now < e;
		*change = in ? e : now < s ? s : local_at(&next, start);
	} else {
		/* Allowed across midnight: from start to end of the next day. */
		in = now >= s || now < e;
		*change = now < e ? e : now < s ? s : local_at(&next, end);
	}
	zone_leave(saved);
	return in;
}
