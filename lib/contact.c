#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/normalize.h"
#include "st/util.h"

const struct st_field st_contact_fields[] = {
	{ "first_name", ST_FK_TEXT, "first_name|first|firstname|given_name|fname|first_name_s" },
	{ "middle_name", ST_FK_TEXT, "middle_name|middle|middlename|middle_initial|mi" },
	{ "last_name", ST_FK_TEXT, "last_name|last|lastname|surname|family_name|lname" },
	{ "suffix", ST_FK_TEXT, "suffix|name_suffix|name_suffix_lbl" },
	{ "phone", ST_FK_PHONE, "phone|phone_number|mobile|mobile_phone|mobile_number|cell|"
	    "cell_phone|cellphone|cell_phone_number|full_phone_number|telephone|tel|"
	    "primary_phone|phone_1|can2_phone|sms_phone|home_phone|contact_phone" },
	{ "email", ST_FK_EMAIL, "email|email_address|e_mail|e_mail_address|emailaddress|"
	    "primary_email|email_1|"
	    "user_email|contact_email" },
	{ "address", ST_FK_TEXT, "address|address1|address_1|address_line_1|street_address|"
	    "res_street_address|street|addr1|can2_address" },
	{ "city", ST_FK_TEXT, "city|res_city_desc|town|locality|can2_city" },
	{ "state", ST_FK_UPPER, "state|state_cd|state_code|province|can2_state" },
	{ "zip", ST_FK_ZIP, "zip|zip_code|zipcode|zip5|postal_code|postcode|postal|zip_postal_code|"
	    "can2_zip" },
	{ "lang", ST_FK_LANG, "lang|language|preferred_language|preferred_lang|language_preference|"
	    "primary_language|idioma" },
	{ "voter_id", ST_FK_ID, "voter_id|ncid|voterid|state_voter_id|voter_file_id|sos_id|"
	    "voterbase_id" },
	{ "van_id", ST_FK_ID, "van_id|vanid|van" },
	{ "sms_status", ST_FK_OPTIN, "sms_status|sms_opt_in|sms_optin|sms_opt_in_status|can_text|"
	    "text_opt_in|can2_sms_status|sms_permission|opted_in_to_sms" },
	{ "email_status", ST_FK_OPTIN, "email_status|email_opt_in|email_optin|can2_subscription|"
	    "email_subscription_status|opted_in_to_email" },
};

const size_t st_ncontact_fields = sizeof(st_contact_fields) / sizeof(st_contact_fields[0]);
_Static_assert(sizeof(st_contact_fields) / sizeof(st_contact_fields[0]) < 64,
    "st-import keeps a bit a field (lib/import.c, compare)");

int
st_contact_field(const char *name)
{
	size_t i;

	for (i = 0; i < st_ncontact_fields; i++)
		if (strcmp(st_contact_fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
st_header_key(const char *s, char *out)
{
	size_t n = 0;
	int gap = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c >= 0x80) {
			if (gap && n > 0)
				out[n++] = '_';
			gap = 0;
			out[n++] = (char)tolower(c);
		} else {
			gap = 1;
		}
	}
	out[n] = '\0';
}

/* 1 if key[0..klen) is one of the '|'-separated aliases. */
static int
alias_match(const char *aliases, const char *key, size_t klen)
{
	const char *p = aliases;

	while (p && *p) {
		const char *e = strchr(p, '|');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == klen && memcmp(p, key, l) == 0)
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int
st_contact_field_for_header(const char *header)
{
	char *key = st_xmalloc(strlen(header) + 1);
	size_t i, klen;
	int found = -1;

	st_header_key(header, key);
	klen = strlen(key);
	for (i = 0; i < st_ncontact_fields && found < 0; i++)
		if (alias_match(st_contact_fields[i].aliases, key, klen))
			found = (int)i;
	free(key);
	return found;
}

int
st_column_find(const char *const *names, size_t n, const char *aliases)
{
	size_t i;
	int found = -1;

	for (i = 0; i < n && found < 0; i++) {
		char *key = st_xmalloc(strlen(names[i]) + 1);

		st_header_key(names[i], key);
		if (alias_match(aliases, key, strlen(key)))
			found = (int)i;
		free(key);
	}
	return found;
}

int
st_field_normalize(int f, const char *s, size_t len, char *out, int *lossy)
{
	int n, yn;
	size_t i;

	*lossy = 0;
	n = st_text_clean(s, len, out);
	if (n == 0)
		return 0;
	switch (st_contact_fields[f].kind) {
	case ST_FK_TEXT:
	case ST_FK_ID:
		return n;
	case ST_FK_UPPER:
		for (i = 0; i < (size_t)n; i++)
			out[i] = (char)toupper((unsigned char)out[i]);
		return n;
	case ST_FK_PHONE:
		return st_phone_normalize_ext(s, len, out, lossy);
	case ST_FK_EMAIL:
		return st_email_normalize(s, len, out);
	case ST_FK_ZIP:
		n = st_zip_normalize(s, len, out);
		if (n > 0) {
			size_t digits = 0;

			for (i = 0; i < len; i++)
				digits += isdigit((unsigned char)s[i]) != 0;
			*lossy = digits > 5;
		}
		return n;
	case ST_FK_LANG:
		return st_lang_normalize(s, len, out);
	case ST_FK_OPTIN:
		yn = st_parse_yesno(s, len);
		if (yn < 0)
			return -1;
		strcpy(out, yn ? "opted_in" : "opted_out");
		return (int)strlen(out);
	}
	return -1;
}
