/* Times: UTC storage, local input and output in an event's IANA time zone. */
#ifndef ST_TZ_H
#define ST_TZ_H

#include <time.h>

struct st_error;

/* 1 if zone names a time zone of the system's tz database (tzdata), such as
 * "America/New_York" or "UTC". */
int st_tz_valid(const char *zone);

/* Parse s: "YYYY-MM-DD HH:MM[:SS]" (or with a 'T'), optionally followed by
 * "Z" or an offset "+HH:MM" / "-HH:MM". A time with an offset is absolute; one
 * without is local time in zone, which must then be a valid zone. A local
 * time that does not exist (clocks skip it) or happens twice (clocks go back)
 * is an error that says so; add an offset to pick one. Returns 0 and *out. */
int st_time_parse(const char *s, const char *zone, time_t *out, struct st_error *err);

/* t as "YYYY-MM-DDTHH:MM:SSZ" (out holds 21 bytes). */
void st_time_utc(time_t t, char *out);

/* t as local time in zone with its offset, "YYYY-MM-DDTHH:MM:SS-05:00" (out
 * holds 26 bytes). */
void st_time_local(time_t t, const char *zone, char *out);

/* Parse a stored UTC time "YYYY-MM-DDTHH:MM:SSZ"; -1 if it is not one. */
int st_time_from_utc(const char *s, time_t *out);

/* Whether now is within the daily window from start to end (minutes after
 * local midnight in zone; end < start wraps past midnight; start == end is
 * all day): 1 or 0, and *change gets the instant that stops being so. */
int st_tz_window(time_t now, const char *zone, int start, int end, time_t *change);

#endif
