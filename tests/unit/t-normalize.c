/* Field normalization: phones, e-mail, ZIPs, languages, free text and yes/no,
 * both directly and through st_field_normalize with its lossy flag. Inputs
 * and outputs live in buffers of exactly the documented size, so a sanitized
 * build catches any read or write past them. */
#include <stdlib.h>
#include <string.h>

#include "st/contact.h"
#include "st/normalize.h"
#include "st/util.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* want NULL: the value is refused (-1). lossy: st_field_normalize's flag. */
struct ncase {
	const char *in, *want;
	int lossy;
};

typedef int normfn(const char *, size_t, char *);

/* Run fn over in with an out buffer of outsize(len) bytes; check the result. */
static void
check_fn(const char *what, normfn *fn, size_t extra, size_t fixed, const struct ncase *c)
{
	size_t len = strlen(c->in), size = fixed ? fixed : len + extra;
	char *in = st_xmalloc(len), *out = st_xmalloc(size);
	int n, good;

	memcpy(in, c->in, len);
	n = fn(in, len, out);
	if (c->want == NULL)
		good = n == -1;
	else
		good = n >= 0 && (size_t)n == strlen(c->want) && strcmp(out, c->want) == 0;
	if (!ok(good, "%s '%s' -> %s", what, c->in, c->want ? c->want : "refused"))
		diag("got %d '%s'", n, n >= 0 ? out : "");
	free(in);
	free(out);
}

/* The same through st_field_normalize for field, with the lossy flag. */
static void
check_field(const char *field, const struct ncase *c)
{
	int f = st_contact_field(field), n, lossy = -1, good;
	size_t len = strlen(c->in);
	char *in = st_xmalloc(len), *out = st_xmalloc(len + 17);

	memcpy(in, c->in, len);
	n = st_field_normalize(f, in, len, out, &lossy);
	if (c->want == NULL)
		good = n == -1;
	else
		good = n >= 0 && (size_t)n == strlen(c->want) && strcmp(out, c->want) == 0 &&
		    lossy == c->lossy;
	if (!ok(good, "field %s '%s' -> %s%s", field, c->in, c->want ? c->want : "refused",
	    c->want && c->lossy ? " (lossy)" : ""))
		diag("got %d '%s', lossy %d", n, n >= 0 ? out : "", lossy);
	free(in);
	free(out);
}

static const struct ncase phones[] = {
	{ "9195550100", "+19195550100", 0 },
	{ "19195550100", "+19195550100", 0 },
	{ "(919) 555-0100", "+19195550100", 0 },
	{ "919.555.0100", "+19195550100", 0 },
	{ "919-555-0100", "+19195550100", 0 },
	{ "919 555 0100", "+19195550100", 0 },
	{ "919/555-0100", "+19195550100", 0 },
	{ "1 (919) 555-0100", "+19195550100", 0 },
	{ "1-919-555-0100", "+19195550100", 0 },
	{ "+1 919 555 0100", "+19195550100", 0 },
	{ "+19195550100", "+19195550100", 0 },
	{ "+1 (919) 555-0100", "+19195550100", 0 },
	{ "tel:+1-919-555-0100", "+19195550100", 0 },
	{ "TEL:9195550100", "+19195550100", 0 },
	{ "  919-555-0100\t ", "+19195550100", 0 },
	{ "800-555-0100", "+18005550100", 0 },
	{ "212-200-0000", "+12122000000", 0 },
	{ "289-555-0100", "+12895550100", 0 },
	{ "369-555-0100", "+13695550100", 0 },
	{ "959-555-0100", "+19595550100", 0 },
	/* Extensions: the number is kept, the extension is what is lost. */
	{ "919-555-0100 x12", "+19195550100", 1 },
	{ "919-555-0100x12", "+19195550100", 1 },
	{ "919-555-0100 X 1234", "+19195550100", 1 },
	{ "919-555-0100 ext. 12", "+19195550100", 1 },
	{ "919-555-0100 ext 12", "+19195550100", 1 },
	{ "919-555-0100 EXT.12", "+19195550100", 1 },
	{ "919-555-0100 #12", "+19195550100", 1 },
	{ "1-919-555-0100 x12", "+19195550100", 1 },
	{ "+1 919 555 0100 ext. 7", "+19195550100", 1 },
	{ "919-555-0100 x1", "+19195550100", 1 },
	{ "9195550100 ext. 9", "+19195550100", 1 },
	/* Other countries: written with '+', 8 to 15 digits. */
	{ "+44 20 7946 0958", "+442079460958", 0 },
	{ "+44 (20) 7946-0958", "+442079460958", 0 },
	{ "+33 1 23 45 67 89", "+33123456789", 0 },
	{ "+49 30 123456", "+4930123456", 0 },
	{ "+52 55 1234 5678", "+525512345678", 0 },
	{ "tel:+44-20-7946-0958", "+442079460958", 0 },
	{ "+44 20 7946 0958 x12", "+442079460958", 1 },
	{ "+44123456", "+44123456", 0 },
	{ "+441234567890123", "+441234567890123", 0 },
	{ "+4412345678901234", NULL, 0 },
	{ "+441234", NULL, 0 },
	{ "+0 20 7946 0958", NULL, 0 },
	/* Area codes: N11, starting 0 or 1, N9X, 37X and 96X. */
	{ "411-555-0100", NULL, 0 },
	{ "911-555-0100", NULL, 0 },
	{ "211-555-0100", NULL, 0 },
	{ "811-555-0100", NULL, 0 },
	{ "1-911-555-0100", NULL, 0 },
	{ "011-555-0100", NULL, 0 },
	{ "019-555-0100", NULL, 0 },
	{ "119-555-0100", NULL, 0 },
	{ "1-019-555-0100", NULL, 0 },
	{ "1-119-555-0100", NULL, 0 },
	{ "296-555-0100", NULL, 0 },
	{ "390-555-0100", NULL, 0 },
	{ "999-555-0100", NULL, 0 },
	{ "370-555-0100", NULL, 0 },
	{ "379-555-0100", NULL, 0 },
	{ "960-555-0100", NULL, 0 },
	{ "969-555-0100", NULL, 0 },
	{ "+1 296 555 0100", NULL, 0 },
	/* Exchanges: N11, starting 0 or 1. */
	{ "919-411-1234", NULL, 0 },
	{ "919-911-1234", NULL, 0 },
	{ "919-211-1234", NULL, 0 },
	{ "919-055-0100", NULL, 0 },
	{ "919-155-0100", NULL, 0 },
	{ "1-919-155-0100", NULL, 0 },
	/* Wrong lengths, zeros, letters, junk. */
	{ "555-0100", NULL, 0 },
	{ "5550100", NULL, 0 },
	{ "1-555-0100", NULL, 0 },
	{ "+1 555 0100", NULL, 0 },
	{ "919-555-010", NULL, 0 },
	{ "919-555-01000", NULL, 0 },
	{ "1-919-555-01000", NULL, 0 },
	{ "2-919-555-0100", NULL, 0 },
	{ "919555010012345678901234567890", NULL, 0 },
	{ "000-000-0000", NULL, 0 },
	{ "0000000000", NULL, 0 },
	{ "1-000-000-0000", NULL, 0 },
	{ "+000000000000", NULL, 0 },
	{ "1-800-FLOWERS", NULL, 0 },
	{ "1-800-356-9377a", NULL, 0 },
	{ "919-555-O100", NULL, 0 },
	{ "919+555-0100", NULL, 0 },
	{ "++19195550100", NULL, 0 },
	{ "x12", NULL, 0 },
	{ "tel:", NULL, 0 },
	{ "+", NULL, 0 },
	{ "---", NULL, 0 },
	{ "919-555-0100 x12 y", NULL, 0 },
	{ "919-555-0100 x12 3", NULL, 0 },
	{ "919-555-0100 x 12x", NULL, 0 },
};

static const struct ncase emails[] = {
	{ "jane@example.com", "jane@example.com", 0 },
	{ "Jane.Doe@Example.COM", "jane.doe@example.com", 0 },
	{ "mailto:jane@example.com", "jane@example.com", 0 },
	{ "MAILTO:Jane@Example.com", "jane@example.com", 0 },
	{ "<jane@example.com>", "jane@example.com", 0 },
	{ "mailto:<jane@example.com>", "jane@example.com", 0 },
	{ "  jane@example.com  ", "jane@example.com", 0 },
	{ "jane@example.com\t\r\n", "jane@example.com", 0 },
	{ " <Jane@Example.com> ", "jane@example.com", 0 },
	{ "jane+tag@mail.example.co.uk", "jane+tag@mail.example.co.uk", 0 },
	{ "o'brien@example.com", "o'brien@example.com", 0 },
	{ "j_doe-1@my-site.example", "j_doe-1@my-site.example", 0 },
	{ "a@b.co", "a@b.co", 0 },
	{ "a@b.c", "a@b.c", 0 },
	{ "jane@123.example.com", "jane@123.example.com", 0 },
	{ "jane@xn--bcher-kva.example", "jane@xn--bcher-kva.example", 0 },
	{ "jane.example.com", NULL, 0 },
	{ "jane@@example.com", NULL, 0 },
	{ "ja@ne@example.com", NULL, 0 },
	{ "jane@example", NULL, 0 },
	{ "jane@localhost", NULL, 0 },
	{ ".jane@example.com", NULL, 0 },
	{ "jane.@example.com", NULL, 0 },
	{ "jane..doe@example.com", NULL, 0 },
	{ "jane@example..com", NULL, 0 },
	{ "jane@.example.com", NULL, 0 },
	{ "jane@example.com.", NULL, 0 },
	{ "jane doe@example.com", NULL, 0 },
	{ "jane@exa mple.com", NULL, 0 },
	{ "jane@example.123", NULL, 0 },
	{ "jane@192.168.0.1", NULL, 0 },
	{ "@example.com", NULL, 0 },
	{ "jane@", NULL, 0 },
	{ "a@b", NULL, 0 },
	{ "jane@-example.com", NULL, 0 },
	{ "jane@example-.com", NULL, 0 },
	{ "jane@exam_ple.com", NULL, 0 },
	{ "jane,doe@example.com", NULL, 0 },
	{ "jane@example.com>", NULL, 0 },
	{ "<jane@example.com", NULL, 0 },
	{ "\"jane\"@example.com", NULL, 0 },
	{ "mailto:", NULL, 0 },
	{ "12345678901234567890123456789012345678901234567890123456789012345@example.com",
	  NULL, 0 },
};

static const struct ncase zips[] = {
	{ "27960", "27960", 0 },
	{ " 27960 ", "27960", 0 },
	{ "01234", "01234", 0 },
	{ "27960-0777", "27960", 1 },
	{ "279600777", "27960", 1 },
	{ "27960 0777", "27960", 1 },
	{ " 27960-0777\t", "27960", 1 },
	{ "2796", "02796", 0 },
	{ "1234", "01234", 0 },
	{ "123", NULL, 0 },
	{ "123456", NULL, 0 },
	{ "1234567", NULL, 0 },
	{ "2796O", NULL, 0 },
	{ "ABCDE", NULL, 0 },
	{ "27960-777", NULL, 0 },
	{ "27960-07770", NULL, 0 },
	{ "2796-0777", NULL, 0 },
	{ "279-600777", NULL, 0 },
	{ "-27960", NULL, 0 },
	{ "27960/0777", NULL, 0 },
	{ "2 7 9 6 0", NULL, 0 },
	{ "SW1A 1AA", NULL, 0 },
};

static const struct ncase langs[] = {
	{ "es", "es", 0 },
	{ "ES", "es", 0 },
	{ "Spanish", "es", 0 },
	{ "SPANISH", "es", 0 },
	{ " spanish ", "es", 0 },
	{ "Español", "es", 0 },
	{ "espanol", "es", 0 },
	{ "Castellano", "es", 0 },
	{ "es-MX", "es", 0 },
	{ "es_MX", "es", 0 },
	{ "ES-us", "es", 0 },
	{ "spa", "es", 0 },
	{ "English", "en", 0 },
	{ "eng", "en", 0 },
	{ "en-US", "en", 0 },
	{ "EN_gb", "en", 0 },
	{ "中文", "zh", 0 },
	{ "Chinese", "zh", 0 },
	{ "zh-Hant-TW", "zh", 0 },
	{ "Cantonese", "zh", 0 },
	{ "Haitian Creole", "ht", 0 },
	{ "  haitian   creole ", "ht", 0 },
	{ "Kreyòl", "ht", 0 },
	{ "Français", "fr", 0 },
	{ "русский", "ru", 0 },
	{ "Tiếng Việt", "vi", 0 },
	{ "Tagalog", "tl", 0 },
	{ "Filipino", "tl", 0 },
	{ "Deutsch", "de", 0 },
	{ "日本語", "ja", 0 },
	{ "xx", "xx", 0 },
	{ "Klingon", "klingon", 0 },
	{ "Pig  Latin", "pig latin", 0 },
	{ "TLH", "tlh", 0 },
	/* Native names as they are usually written, capital included. */
	{ "Русский", "ru", 0 },
	{ "ESPAÑOL", "es", 0 },
	{ "FRANÇAIS", "fr", 0 },
};

static const struct ncase texts[] = {
	{ "", "", 0 },
	{ "   ", "", 0 },
	{ "abc", "abc", 0 },
	{ "  a  b  ", "a b", 0 },
	{ "\ta\r\nb\f", "a b", 0 },
	{ "a\vb", "a b", 0 },
	{ "a \t \n b   c", "a b c", 0 },
	{ "José  María", "José María", 0 },
	{ "53 PINTAIL DR ", "53 PINTAIL DR", 0 },
};

static int
text_clean(const char *s, size_t len, char *out)
{
	return st_text_clean(s, len, out);
}

static void
test_yesno(void)
{
	static const struct {
		const char *in;
		int want;
	} t[] = {
		{ "1", 1 }, { "y", 1 }, { "Y", 1 }, { "yes", 1 }, { "YES", 1 }, { " Yes ", 1 },
		{ "true", 1 }, { "TRUE", 1 }, { "t", 1 }, { "subscribed", 1 }, { "Subscribed", 1 },
		{ "opted in", 1 }, { "Opted  In", 1 }, { "opted_in", 1 }, { "opt-in", 1 },
		{ "optin", 1 }, { "x", 1 }, { "X", 1 },
		{ "0", 0 }, { "n", 0 }, { "N", 0 }, { "no", 0 }, { "No", 0 }, { "false", 0 },
		{ "FALSE", 0 }, { "f", 0 }, { "unsubscribed", 0 }, { "UNSUBSCRIBED", 0 },
		{ "opted out", 0 }, { "opted_out", 0 }, { "opt-out", 0 }, { "\topted out\n", 0 },
		{ "optout", 0 },
		{ "", -1 }, { "  ", -1 }, { "maybe", -1 }, { "2", -1 }, { "-1", -1 },
		{ "yes please", -1 }, { "yess", -1 }, { "nope", -1 }, { "o", -1 },
		{ "subscribedsubscribedsubscribedsubscribed", -1 },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		size_t len = strlen(t[i].in);
		char *in = st_xmalloc(len);

		memcpy(in, t[i].in, len);
		is_int(st_parse_yesno(in, len), t[i].want, t[i].in);
		free(in);
	}
	is_int(st_parse_yesno("yes!", 3), 1, "st_parse_yesno reads only len bytes");
}

/* The other field kinds through st_field_normalize. */
static void
test_fields(void)
{
	static const struct {
		const char *field;
		struct ncase c;
	} t[] = {
		{ "first_name", { "  Mary   Ann ", "Mary Ann", 0 } },
		{ "last_name", { "O'Neil", "O'Neil", 0 } },
		{ "city", { "ocracoke", "ocracoke", 0 } },
		{ "state", { " nc ", "NC", 0 } },
		{ "state", { "n c", "N C", 0 } },
		{ "voter_id", { " CF8307 ", "CF8307", 0 } },
		{ "van_id", { "12345", "12345", 0 } },
		{ "email", { " Jane@Example.COM ", "jane@example.com", 0 } },
		{ "email", { "jane@example", NULL, 0 } },
		{ "lang", { "Español", "es", 0 } },
		{ "lang", { "Klingon", "klingon", 0 } },
		{ "sms_status", { "Yes", "opted_in", 0 } },
		{ "sms_status", { "unsubscribed", "opted_out", 0 } },
		{ "email_status", { "opted in", "opted_in", 0 } },
		{ "email_status", { "0", "opted_out", 0 } },
		{ "sms_status", { "maybe", NULL, 0 } },
		/* Empty and blank values are empty (0), not invalid. */
		{ "phone", { "", "", 0 } },
		{ "phone", { "  \t ", "", 0 } },
		{ "email", { " ", "", 0 } },
		{ "zip", { "", "", 0 } },
		{ "lang", { "   ", "", 0 } },
		{ "sms_status", { "", "", 0 } },
		{ "first_name", { "\t\n", "", 0 } },
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		check_field(t[i].field, &t[i].c);
}

int
main(void)
{
	static const char *const fields[] = { "phone", "email", "zip", "lang", "state",
		"sms_status", "email_status", "first_name", "voter_id" };
	size_t i;

	for (i = 0; i < NELEM(fields); i++)
		ok(st_contact_field(fields[i]) >= 0, "contact field '%s' exists", fields[i]);
	ok(st_contact_field("no_such_field") == -1, "an unknown field is -1");

	for (i = 0; i < NELEM(phones); i++) {
		check_fn("phone", st_phone_normalize, 0, 17, &phones[i]);
		check_field("phone", &phones[i]);
	}
	check_fn("phone", st_phone_normalize, 0, 17, &(struct ncase){ "", NULL, 0 });
	check_fn("phone", st_phone_normalize, 0, 17, &(struct ncase){ "   ", NULL, 0 });

	for (i = 0; i < NELEM(emails); i++) {
		check_fn("email", st_email_normalize, 1, 0, &emails[i]);
		check_field("email", &emails[i]);
	}
	check_fn("email", st_email_normalize, 1, 0, &(struct ncase){ "", NULL, 0 });

	for (i = 0; i < NELEM(zips); i++) {
		check_fn("zip", st_zip_normalize, 0, 6, &zips[i]);
		check_field("zip", &zips[i]);
	}
	check_fn("zip", st_zip_normalize, 0, 6, &(struct ncase){ "", NULL, 0 });

	for (i = 0; i < NELEM(langs); i++) {
		check_fn("lang", st_lang_normalize, 1, 0, &langs[i]);
		check_field("lang", &langs[i]);
	}
	check_fn("lang", st_lang_normalize, 1, 0, &(struct ncase){ "", NULL, 0 });

	for (i = 0; i < NELEM(texts); i++) {
		check_fn("text", text_clean, 1, 0, &texts[i]);
		check_field("first_name", &texts[i]);
	}

	test_yesno();
	test_fields();
	return done_testing();
}
