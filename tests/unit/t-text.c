/* Message bodies, keywords, area codes, sending hours and Twilio signatures. */
#include <stdlib.h>
#include <string.h>

#include "st/error.h"
#include "st/outbox.h"
#include "st/text.h"
#include "st/twilio.h"
#include "st/tz.h"
#include "st/util.h"
#include "tap.h"

static void
segments(const char *s, int want, int want_ucs2, long want_units, const char *name)
{
	int ucs2;
	long units;
	int n = st_sms_segments(s, &ucs2, &units);

	if (!ok(n == want && ucs2 == want_ucs2 && units == want_units, "%s", name))
		diag("got %d segments, ucs2 %d, %ld units", n, ucs2, units);
}

static char *
repeat(const char *unit, int n)
{
	struct st_buf b = { 0 };
	int i;

	st_buf_adds(&b, "");
	for (i = 0; i < n; i++)
		st_buf_adds(&b, unit);
	return b.s;
}

static const char *
lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "first_name") == 0)
		return "Ana";
	if (strcmp(name, "empty") == 0)
		return "";
	return NULL;
}

static void
render(const char *tmpl, const char *want, const char *name)
{
	struct st_buf out = { 0 };
	struct st_error err = { 0 };
	int rc = st_template_render(tmpl, lookup, NULL, &out, &err);

	if (want == NULL) {
		ok(rc < 0 && err.status == 3, "%s", name);
	} else if (rc < 0) {
		ok(0, "%s", name);
		diag("%s", err.msg);
	} else {
		is_str(out.s, want, name);
	}
	st_buf_free(&out);
}

int
main(void)
{
#define P(k, v) { (char *)(k), (char *)(v) }
	struct st_param vec[] = {
		P("CallSid", "CA1234567890ABCDE"), P("Caller", "+14158675309"), P("Digits", "1234"),
		P("From", "+14158675309"), P("To", "+18005551212"),
	};
	struct st_param rep[] = {
		P("Sid", "CA123"), P("SidAccount", "AC123"), P("Digits", "5678"),
		P("Digits", "1234"), P("Digits", "1234"),
	};
	const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";
	struct st_param *p;
	size_t n;
	char sig[29], *s;
	int start, end;
	time_t change, t;

	/* Segments: GSM-7 160 / 153, the extension table counts twice, UCS-2 70 / 67. */
	segments("", 1, 0, 0, "an empty body is one segment");
	s = repeat("a", 160);
	segments(s, 1, 0, 160, "160 GSM-7 characters are one segment");
	free(s);
	s = repeat("a", 161);
	segments(s, 2, 0, 161, "161 GSM-7 characters are two");
	free(s);
	s = repeat("a", 306);
	segments(s, 2, 0, 306, "306 are two");
	free(s);
	s = repeat("a", 307);
	segments(s, 3, 0, 307, "307 are three");
	free(s);
	s = repeat("{", 80);
	segments(s, 1, 0, 160, "extension characters count twice");
	free(s);
	s = repeat("€", 81);
	segments(s, 2, 0, 162, "the euro sign is in the extension table");
	free(s);
	segments("Hé, ñoño! ¿Qué tal? £5 @ 10:00 Ü Δ", 1, 0, 34, "Latin and Greek GSM-7 letters");
	s = repeat("é", 70);
	segments(s, 1, 0, 70, "é is GSM-7");
	free(s);
	s = repeat("á", 70);
	segments(s, 1, 1, 70, "á is not GSM-7: 70 UCS-2 units are one segment");
	free(s);
	s = repeat("á", 71);
	segments(s, 2, 1, 71, "71 UCS-2 units are two");
	free(s);
	s = repeat("á", 135);
	segments(s, 3, 1, 135, "135 UCS-2 units are three");
	free(s);
	segments("hi 👍", 1, 1, 5, "an emoji is two UTF-16 units");

	/* Templates. */
	render("Hi {first_name}!", "Hi Ana!", "a field");
	render("Hi { first_name }", "Hi Ana", "blanks around a name");
	render("Hi {nick|friend}", "Hi friend", "a default for a missing field");
	render("Hi {empty|friend}", "Hi friend", "a default for an empty field");
	render("{{literal}} }}", "{literal} }", "doubled braces are braces");
	render("Hi {nick}", NULL, "a missing field without a default fails");
	render("Hi {first_name", NULL, "an unterminated field fails");
	render("Hi {}", NULL, "an empty field name fails");

	/* Keywords: the whole message, any case, blanks around. */
	ok(st_text_keyword(" Stop\n") == ST_KW_STOP, "STOP");
	ok(st_text_keyword("unsubscribe") == ST_KW_STOP, "UNSUBSCRIBE");
	ok(st_text_keyword("REVOKE") == ST_KW_STOP && st_text_keyword("optout") == ST_KW_STOP,
	    "REVOKE and OPTOUT");
	ok(st_text_keyword("please stop") == ST_KW_NONE, "a sentence with stop is not STOP");
	ok(st_text_keyword("unstop") == ST_KW_START && st_text_keyword("YES") == ST_KW_START,
	    "UNSTOP and YES");
	ok(st_text_keyword("info") == ST_KW_HELP, "INFO");
	ok(st_text_keyword("  ") == ST_KW_NONE && st_text_keyword("STOP STOP") == ST_KW_NONE,
	    "blank and two words are no keyword");

	/* Answers to a text that asked for one. */
	is_str(st_text_rsvp_answer(" 1 "), "confirm", "1 confirms");
	is_str(st_text_rsvp_answer("yes\n"), "confirm", "yes confirms");
	is_str(st_text_rsvp_answer("Y"), "confirm", "Y confirms");
	is_str(st_text_rsvp_answer("si"), "confirm", "si confirms");
	is_str(st_text_rsvp_answer("S\xc3\x8d"), "confirm", "S\xc3\x8d confirms");
	is_str(st_text_rsvp_answer("s\xc3\xad"), "confirm", "s\xc3\xad confirms");
	is_str(st_text_rsvp_answer("2"), "cancel", "2 cancels");
	is_str(st_text_rsvp_answer(" No "), "cancel", "No cancels");
	ok(st_text_rsvp_answer("yes please") == NULL && st_text_rsvp_answer("12") == NULL &&
	    st_text_rsvp_answer("") == NULL && st_text_rsvp_answer("nope") == NULL,
	    "anything else is no answer");
	ok(st_text_has_optout("Reply STOP to opt out"), "opt-out wording");
	ok(st_text_has_optout("Responde ALTO"), "Spanish opt-out wording");
	ok(!st_text_has_optout("Don't stopover"), "stopover is not STOP");

	/* Area codes. */
	is_str(st_phone_tz("+19195550100"), "America/New_York", "919 is Eastern");
	is_str(st_phone_tz("+13125550100"), "America/Chicago", "312 is Central");
	is_str(st_phone_tz("+13035550100"), "America/Denver", "303 is Mountain");
	is_str(st_phone_tz("+16025550100"), "America/Phoenix", "602 keeps no daylight time");
	is_str(st_phone_tz("+14155550100"), "America/Los_Angeles", "415 is Pacific");
	is_str(st_phone_tz("whatsapp:+18085550100"), "Pacific/Honolulu", "whatsapp: addresses");
	is_str(st_phone_tz("+442071234567"), NULL, "no zone outside the NANP");
	is_str(st_phone_tz("+18005550100"), NULL, "no zone for toll-free numbers");

	/* Sending hours. */
	ok(st_hours_parse("09:00-21:00", &start, &end) == 0 && start == 540 && end == 1260,
	    "09:00-21:00");
	ok(st_hours_parse("9-21", &start, &end) < 0 && st_hours_parse("25:00-01:00", &start, &end) < 0,
	    "malformed hours are refused");
	/* 2026-11-23 12:00 UTC is 07:00 in New York: before 09:00, allowed from 14:00 UTC. */
	t = 1795435200;
	ok(st_tz_window(t, "America/New_York", 540, 1260, &change) == 0 && change == t + 7200,
	    "outside the hours until 09:00 local");
	ok(st_tz_window(t + 7200, "America/New_York", 540, 1260, &change) == 1 &&
	    change == t + 7200 + 12 * 3600, "inside until 21:00 local");
	ok(st_tz_window(t, "America/New_York", 1260, 540, &change) == 1 && change == t + 7200,
	    "hours across midnight");

	/* Twilio's published signature vectors. */
	st_twilio_signature("12345", url, vec, 5, sig);
	is_str(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "Twilio's published signature vector");
	ok(st_twilio_signature_ok("12345", url, vec, 5, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "it verifies");
	st_twilio_signature("12345", url, rep, 5, sig);
	is_str(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", "repeated parameters sort by value too");
	ok(!st_twilio_signature_ok("12345", url, vec, 4, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "a missing parameter fails");
	ok(!st_twilio_signature_ok("12346", url, vec, 5, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "another token fails");
	ok(!st_twilio_signature_ok("12345", url, vec, 5, NULL) &&
	    !st_twilio_signature_ok("12345", url, vec, 5, "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
	    "no or a short signature fails");

	/* Forms. */
	ok(st_form_parse("Body=Hi+there%21&From=%2B1555&Empty=&Flag", 41, &p, &n) == 0 && n == 4,
	    "a form parses");
	is_str(st_param_get(p, n, "Body"), "Hi there!", "plus and percent decode");
	is_str(st_param_get(p, n, "From"), "+1555", "an encoded plus");
	is_str(st_param_get(p, n, "Flag"), "", "a key without a value");
	st_params_free(p, n);
	ok(st_form_parse("a=%zz", 5, &p, &n) < 0, "bad escapes are refused");
	ok(st_form_parse("a=%00b", 6, &p, &n) < 0, "NUL bytes are refused");

	ok(st_channel_bit("sms") == ST_CH_SMS && st_channel_bit("whatsapp") == ST_CH_WHATSAPP &&
	    st_channel_bit("fax") == 0, "channel names");
	return done_testing();
}
