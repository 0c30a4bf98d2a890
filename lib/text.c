/* Message bodies, area codes and the text line's settings. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st/config.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/text.h"
#include "st/util.h"

/* Decode one UTF-8 character at *p (validated input); advances *p. */
static unsigned long
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c = s[0];
	int n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
	int i;

	if (n)
		c &= 0x3F >> n;
	for (i = 1; i <= n && s[i]; i++)
		c = (c << 6) | (s[i] & 0x3F);
	*p = s + i;
	return c;
}

/* 1 for the GSM 03.38 basic alphabet, 2 for its extension table, 0 if neither. */
static int
gsm_width(unsigned long c)
{
	static const unsigned long basic[] = { 0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC,
		0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5, 0x394, 0x5F, 0x3A6, 0x393, 0x39B,
		0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9, 0xA4, 0xA1, 0xC4,
		0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0 };
	size_t i;

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (c < 0x80 && strchr(" !\"#%&'()*+,-./:;<=>?", (int)c) && c != 0)
		return 1;
	if (c < 0x80 && strchr("^{}\\[~]|\f", (int)c) && c != 0)
		return 2;
	if (c == 0x20AC)   /* the euro sign */
		return 2;
	for (i = 0; i < sizeof(basic) / sizeof(basic[0]); i++)
		if (basic[i] == c)
			return 1;
	return 0;
}

int
st_sms_segments(const char *s, int *ucs2, long *units)
{
	const unsigned char *p = (const unsigned char *)s;
	long septets = 0, u16 = 0;
	int gsm = 1;

	while (*p) {
		unsigned long c = next_cp(&p);
		int w = gsm_width(c);

		if (w == 0)
			gsm = 0;
		septets += w;
		u16 += c > 0xFFFF ? 2 : 1;
	}
	*ucs2 = !gsm;
	*units = gsm ? septets : u16;
	if (gsm)
		return septets <= 160 ? 1 : (int)((septets + 152) / 153);
	return u16 <= 70 ? 1 : (int)((u16 + 66) / 67);
}

int
st_template_render(const char *tmpl, const char *(*lookup)(void *ctx, const char *name),
    void *ctx, struct st_buf *out, struct st_error *err)
{
	const char *p = tmpl;

	st_buf_reset(out);
	st_buf_adds(out, "");
	while (*p) {
		const char *close, *bar, *v;
		char name[128];
		size_t n;

		if (p[0] == '{' && p[1] == '{') {
			st_buf_addc(out, '{');
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			st_buf_addc(out, '}');
			p += 2;
			continue;
		}
		if (*p != '{') {
			st_buf_addc(out, *p++);
			continue;
		}
		close = strchr(p, '}');
		if (close == NULL)
			return st_error_set(err, ST_EXIT_DATA, "unterminated field in template: '%.40s'", p);
		bar = memchr(p, '|', (size_t)(close - p));
		n = (size_t)((bar ? bar : close) - p - 1);
		while (n && p[1] == ' ') {
			p++;
			n--;
		}
		while (n && p[n] == ' ')
			n--;
		if (n == 0 || n >= sizeof(name))
			return st_error_set(err, ST_EXIT_DATA, "invalid field in template: '%.*s'",
			    (int)(close - p + 1), p);
		memcpy(name, p + 1, n);
		name[n] = '\0';
		v = lookup(ctx, name);
		if (v && *v)
			st_buf_adds(out, v);
		else if (bar)
			st_buf_add(out, bar + 1, (size_t)(close - bar - 1));
		else
			return st_error_set(err, ST_EXIT_DATA, "no value for field '%s'", name);
		p = close + 1;
	}
	return 0;
}

/* Area codes by zone: the NANP's geographic codes in the United States and
 * Canada. A code that spans zones has the zone of most of its people. */
static const struct {
	const char *zone, *codes;
} area_zones[] = {
	{ "America/New_York", "202 203 207 212 215 216 220 223 227 229 234 239 240 248 252 267 "
	  "272 276 283 301 302 304 305 313 315 321 326 330 332 336 339 347 351 352 363 380 386 401 "
	  "404 407 410 412 413 419 423 434 440 443 445 470 472 475 478 484 502 508 513 516 517 518 "
	  "540 551 561 567 570 571 582 585 586 603 606 607 609 610 614 616 617 631 640 646 656 667 "
	  "678 680 681 686 689 703 704 706 716 717 718 724 727 732 734 740 743 754 757 762 770 771 "
	  "772 774 781 786 802 803 804 810 813 814 826 835 838 839 843 845 848 854 856 857 859 860 "
	  "862 863 864 865 878 904 906 908 910 912 914 917 919 929 934 937 941 943 947 948 954 959 "
	  "973 978 980 984 989 231 269 679" },
	{ "America/Indiana/Indianapolis", "260 317 463 574 765 812 930" },
	{ "America/Chicago", "205 214 217 218 219 224 225 228 251 254 256 262 270 274 281 309 "
	  "312 314 316 318 319 320 325 327 331 334 337 346 353 361 364 402 405 409 414 417 430 432 "
	  "447 448 464 469 479 501 504 507 512 515 531 534 539 557 563 572 573 580 601 605 608 612 "
	  "615 618 620 629 630 636 641 651 659 660 662 682 701 708 712 713 715 726 730 731 737 763 "
	  "769 773 779 785 806 815 816 817 830 832 847 850 861 870 872 901 903 913 918 920 931 936 "
	  "938 940 945 952 956 972 975 979 985 308" },
	{ "America/Denver", "208 303 307 385 406 435 505 575 719 720 801 915 970 983 986" },
	{ "America/Phoenix", "480 520 602 623 928" },
	{ "America/Los_Angeles", "206 209 213 253 279 310 323 341 350 360 408 415 424 425 442 458 "
	  "503 509 510 530 541 559 562 564 619 626 628 650 657 661 669 702 707 714 725 747 760 775 "
	  "805 818 820 831 840 858 909 916 925 949 951 971" },
	{ "America/Anchorage", "907" },
	{ "Pacific/Honolulu", "808" },
	{ "America/Puerto_Rico", "787 939" },
	{ "America/Toronto", "226 249 289 343 365 367 416 418 437 438 450 514 519 548 579 581 613 "
	  "647 705 807 819 873 905" },
	{ "America/Winnipeg", "204 431" },
	{ "America/Regina", "306 639" },
	{ "America/Edmonton", "368 403 587 780 825" },
	{ "America/Vancouver", "236 250 604 672 778" },
	{ "America/Halifax", "782 902" },
	{ "America/Moncton", "506" },
	{ "America/St_Johns", "709" },
};

const char *
st_phone_tz(const char *e164)
{
	char code[4];
	size_t i;
	const char *p;

	if (e164 == NULL)
		return NULL;
	if (strncmp(e164, "whatsapp:", 9) == 0)
		e164 += 9;
	if (strncmp(e164, "+1", 2) != 0 || strlen(e164) != 12)
		return NULL;
	memcpy(code, e164 + 2, 3);
	code[3] = '\0';
	for (i = 0; i < sizeof(area_zones) / sizeof(area_zones[0]); i++)
		for (p = area_zones[i].codes; (p = strstr(p, code)) != NULL; p += 3)
			if ((p == area_zones[i].codes || p[-1] == ' ') && (p[3] == ' ' || p[3] == '\0'))
				return area_zones[i].zone;
	return NULL;
}

/* 1 if word occurs in s as a whole word, ignoring case. */
static int
has_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = s; (p = strcasestr(p, word)) != NULL; p++)
		if ((p == s || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
			return 1;
	return 0;
}

int
st_text_has_optout(const char *body)
{
	return has_word(body, "stop") || has_word(body, "opt out") || has_word(body, "opt-out") ||
	    has_word(body, "optout") || has_word(body, "unsubscribe") || has_word(body, "alto");
}

/* The index in words of the one that the whole of body is, ignoring case
 * and surrounding blanks, or -1. */
static int
whole_word(const char *body, const char *const *words)
{
	char w[16];
	size_t n;
	int i;

	while (isspace((unsigned char)*body))
		body++;
	n = strlen(body);
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(w))
		return -1;
	memcpy(w, body, n);
	w[n] = '\0';
	for (i = 0; words[i]; i++)
		if (strcasecmp(w, words[i]) == 0)
			return i;
	return -1;
}

enum st_keyword
st_text_keyword(const char *body)
{
	static const char *const stop[] = { "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT",
		"CANCEL", "REVOKE", "OPTOUT", NULL };
	static const char *const start[] = { "START", "YES", "UNSTOP", NULL };
	static const char *const help[] = { "HELP", "INFO", NULL };

	return whole_word(body, stop) >= 0 ? ST_KW_STOP : whole_word(body, start) >= 0 ?
	    ST_KW_START : whole_word(body, help) >= 0 ? ST_KW_HELP : ST_KW_NONE;
}

const char *
st_text_rsvp_answer(const char *body)
{
	/* SÍ in either case: strcasecmp folds ASCII only. */
	static const char *const yes[] = { "1", "YES", "Y", "SI", "S\xc3\x8d", "S\xc3\xad", NULL };
	static const char *const no[] = { "2", "NO", NULL };

	return whole_word(body, yes) >= 0 ? "confirm" : whole_word(body, no) >= 0 ? "cancel" : NULL;
}

extern const char *const st_templates[][2];
extern const int st_ntemplates;

char *
st_template_text(const char *dir, const char *lang, const char *name)
{
	const char *langs[] = { lang && *lang ? lang : "en", "en" };
	char path[4096], rel[128];
	int i, j;

	for (i = 0; i < 2; i++) {
		if (strchr(langs[i], '/') || strchr(langs[i], '.'))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", langs[i], name);
		if (dir && *dir) {
			FILE *fp;

			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			if ((fp = fopen(path, "r")) != NULL) {
				struct st_buf b = { 0 };
				char chunk[4096];
				size_t n;

				while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
					st_buf_add(&b, chunk, n);
				fclose(fp);
				st_buf_addc(&b, '\0');
				return b.s;
			}
		}
		for (j = 0; j < st_ntemplates; j++)
			if (strcmp(st_templates[j][0], rel) == 0)
				return st_xstrdup(st_templates[j][1]);
	}
	return NULL;
}

int
st_template_file_render(const char *tmpl, const char *(*lookup)(void *ctx, const char *name),
    void *ctx, struct st_buf *out, struct st_error *err)
{
	int rc = st_template_render(tmpl, lookup, ctx, out, err);

	/* One trailing line break is the file's, not the message's. */
	while (rc == 0 && out->len > 0 && out->s[out->len - 1] == '\n')
		out->s[--out->len] = '\0';
	return rc;
}

int
st_hours_parse(const char *s, int *start, int *end)
{
	int h1, m1, h2, m2, n = 0;

	if (s == NULL || sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
	    s[n] != '\0' || h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 ||
	    m2 > 59 || (h1 == 24 && m1) || (h2 == 24 && m2))
		return -1;
	*start = h1 * 60 + m1;
	*end = h2 * 60 + m2;
	if (*start == 1440)
		*start = 0;
	if (*end == 1440)
		*end = 0;
	return 0;
}

static char **
config_slot(void *arg, const char *key)
{
	struct st_text_config *c = arg;
	static const char *const keys[] = { "account_sid", "auth_token", "base_url", "from", "hours",
		"tz", "help_reply", "webhook_url", "status_callback", "templates" };
	char **slots[] = { &c->account_sid, &c->auth_token, &c->base_url, &c->from, &c->hours,
		&c->tz, &c->help_reply, &c->webhook_url, &c->status_callback, &c->templates };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i], key) == 0)
			return slots[i];
	return NULL;
}

int
st_text_config_load(struct st_text_config *c, const char *path, struct st_error *err)
{
	static const char *const env[][2] = { { "TWILIO_ACCOUNT_SID", "account_sid" },
		{ "TWILIO_AUTH_TOKEN", "auth_token" }, { "ST_TWILIO_BASE_URL", "base_url" },
		{ "ST_TEXT_FROM", "from" }, { "ST_TEMPLATES", "templates" }, { NULL, NULL } };
	int rc, named;

	memset(c, 0, sizeof(*c));
	if (path) {
		rc = st_config_read(path, 1, config_slot, c, err);
	} else {
		char *p = st_config_path("ST_TEXT_CONFIG", "text.conf", &named);

		rc = p ? st_config_read(p, named, config_slot, c, err) : 0;
		free(p);
	}
	if (rc < 0) {
		st_text_config_free(c);
		return -1;
	}
	st_config_env(env, config_slot, c);
	return 0;
}

void
st_text_config_free(struct st_text_config *c)
{
	if (c->auth_token)
		memset(c->auth_token, 0, strlen(c->auth_token));
	free(c->account_sid);
	free(c->auth_token);
	free(c->base_url);
	free(c->from);
	free(c->hours);
	free(c->tz);
	free(c->help_reply);
	free(c->webhook_url);
	free(c->status_callback);
	free(c->templates);
	memset(c, 0, sizeof(*c));
}
