/* Small helpers: allocation that aborts on out-of-memory, a growable buffer,
 * strict number parsing, UTF-8 checks and time stamps. */
#ifndef ST_UTIL_H
#define ST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* malloc/realloc/strdup that abort with a message on out-of-memory. */
void *st_xmalloc(size_t n);
void *st_xcalloc(size_t n, size_t size);
void *st_xrealloc(void *p, size_t n);
char *st_xstrdup(const char *s);
char *st_xstrndup(const char *s, size_t n);

/* A growable byte buffer, always NUL-terminated after st_buf_* calls. */
struct st_buf {
	char *s;
	size_t len, cap;
};
void st_buf_grow(struct st_buf *b, size_t extra);
void st_buf_add(struct st_buf *b, const void *p, size_t n);
void st_buf_adds(struct st_buf *b, const char *s);
void st_buf_addc(struct st_buf *b, int c);
void st_buf_printf(struct st_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void st_buf_reset(struct st_buf *b);
void st_buf_free(struct st_buf *b);

/* Parse all of s as a base-10 integer in [min, max]; no sign games, no
 * trailing garbage, no empty string. Returns 0 and sets *out, or -1. */
int st_parse_long(const char *s, long min, long max, long *out);

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int st_utf8_valid(const char *s, size_t len);

/* Append s[0..len), read as Windows-1252 (a superset of Latin-1's printable
 * range), to b as UTF-8. */
void st_cp1252_to_utf8(struct st_buf *b, const char *s, size_t len);

/* A 64-bit hash of p[0..n) (not cryptographic), mixed into h: start with
 * ST_HASH_INIT. Hashing nothing leaves h as it was. */
#define ST_HASH_INIT 14695981039346656037ULL
uint64_t st_hash(uint64_t h, const void *p, size_t n);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void st_now_iso(char out[21]);

/* Split a comma-separated list into a NULL-terminated array of trimmed,
 * non-empty strings (free with st_strv_free). */
char **st_split_list(const char *s);
void st_strv_free(char **v);
size_t st_strv_len(char *const *v);

#endif
