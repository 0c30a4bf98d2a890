/* The contact fields every command shares, and how imported columns map to them. */
#ifndef ST_CONTACT_H
#define ST_CONTACT_H

#include <stddef.h>

enum st_field_kind {
	ST_FK_TEXT,     /* free text: trimmed, blanks collapsed */
	ST_FK_UPPER,    /* a code such as a state: also uppercased */
	ST_FK_ID,       /* an external id: trimmed */
	ST_FK_PHONE,
	ST_FK_EMAIL,
	ST_FK_ZIP,
	ST_FK_LANG,
	ST_FK_OPTIN     /* yes/no column: 'opted_in' / 'opted_out' */
};

struct st_field {
	const char *name;      /* column of the contacts table */
	enum st_field_kind kind;
	const char *aliases;   /* '|'-separated header names (normalized) that map to it */
};

/* The contact fields an import can set, in table order. */
extern const struct st_field st_contact_fields[];
extern const size_t st_ncontact_fields;

/* Index of the field called name in st_contact_fields, or -1. */
int st_contact_field(const char *name);

/* Normalize a header name for alias matching: lowercase ASCII, every run of
 * other characters one '_', none at either end. out holds strlen(s) + 1. */
void st_header_key(const char *s, char *out);

/* The field a header maps to by default (aliases), or -1. */
int st_contact_field_for_header(const char *header);

/* The first of the n columns names whose normalized name (st_header_key) is
 * one of the '|'-separated aliases (normalized), or -1. */
int st_column_find(const char *const *names, size_t n, const char *aliases);

/* Normalize value s[0..len) for field f into out (len + 17 bytes). Returns the
 * length (0: empty), or -1 when the value is not valid for the field. *lossy
 * is set when the normalized value drops information the source had (a ZIP+4,
 * a phone extension), so the caller keeps the original too. */
int st_field_normalize(int f, const char *s, size_t len, char *out, int *lossy);

#endif
