/* Normalization of contact fields. Each function writes into out (NUL-terminated)
 * and returns its length, or -1 when the input is not a valid value of its kind. */
#ifndef ST_NORMALIZE_H
#define ST_NORMALIZE_H

#include <stddef.h>

/* Phone numbers to E.164. NANP numbers (10 digits, or 11 with a leading 1;
 * punctuation, "tel:" and an extension such as "x12" or "ext. 12" allowed) must
 * have a valid area code (NXX, not N11, not N9X, not 37X/96X) and exchange
 * (NXX, not N11); all-zero and 7-digit numbers are refused. A number written
 * with a '+' and another country code is kept if it has 8 to 15 digits.
 * out must hold at least 17 bytes. */
int st_phone_normalize(const char *s, size_t len, char *out);

/* st_phone_normalize, also telling (if ext is not NULL) whether an extension
 * was dropped. */
int st_phone_normalize_ext(const char *s, size_t len, char *out, int *ext);

/* E-mail addresses: trims, drops "mailto:" and angle brackets, lowercases, and
 * checks the shape local@domain.tld (one '@', no spaces, labels of letters,
 * digits and hyphens). out must hold len + 1 bytes. */
int st_email_normalize(const char *s, size_t len, char *out);

/* ZIP codes: "27960", "27960-0777", "279600777" and 4-digit ZIPs whose leading
 * zero a spreadsheet dropped give the 5-digit ZIP. out must hold 6 bytes. */
int st_zip_normalize(const char *s, size_t len, char *out);

/* Languages: ISO 639-1 codes, English names and native names ("Spanish",
 * "Español", "es-MX", "spa") give the lowercase two-letter code; anything else
 * is kept lowercased. out must hold len + 1 bytes. */
int st_lang_normalize(const char *s, size_t len, char *out);

/* Free text: trims and collapses runs of blanks to one space. out must hold
 * len + 1 bytes. Never fails (an all-blank value gives length 0). */
int st_text_clean(const char *s, size_t len, char *out);

/* Yes/no words for opt-in columns: 1 for yes/true/y/1/subscribed/opted in,
 * 0 for no/false/n/0/unsubscribed/opted out, -1 otherwise. */
int st_parse_yesno(const char *s, size_t len);

#endif
