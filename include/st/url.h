/* Links: adding query parameters to a base URL. */
#ifndef ST_URL_H
#define ST_URL_H

#include <stddef.h>

struct st_buf;
struct st_error;

/* 0 if base can take parameters: an http or https URL with a host and no
 * blanks or control characters; else -1 and err (ST_EXIT_USAGE). */
int st_url_check(const char *base, struct st_error *err);

/* Append to out base (checked with st_url_check) with the n parameters
 * names[i]=values[i] set: parameters of the same names already in its query
 * string are dropped, the others and their order kept, the new ones added at
 * the end of the query string in the order given, and a fragment ("#...")
 * kept at the end. Names and values are percent-encoded where they need to
 * be. Returns 0, or -1 and err. */
int st_url_set_params(const char *base, const char *const *names, const char *const *values,
    size_t n, struct st_buf *out, struct st_error *err);

#endif
