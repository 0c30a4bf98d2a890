/* Small helpers: strict number parsing, UTF-8 checks, Windows-1252, lists,
 * the growable buffer, hashing and time stamps. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "st/util.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_parse_long(void)
{
	static const struct {
		const char *in;
		long min, max;
		int rc;
		long want;
	} t[] = {
		{ "0", 0, 10, 0, 0 },
		{ "7", 0, 10, 0, 7 },
		{ "10", 0, 10, 0, 10 },
		{ "42", LONG_MIN, LONG_MAX, 0, 42 },
		{ "-5", -10, 10, 0, -5 },
		{ "-10", -10, 10, 0, -10 },
		{ "9223372036854775807", LONG_MIN, LONG_MAX, 0, LONG_MAX },
		{ "-9223372036854775808", LONG_MIN, LONG_MAX, 0, LONG_MIN },
		{ "-5", 0, 10, -1, 0 },
		{ "-11", -10, 10, -1, 0 },
		{ "11", 0, 10, -1, 0 },
		{ "0", 1, 10, -1, 0 },
		{ "", 0, 10, -1, 0 },
		{ " 1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 },
		{ "\t1", 0, 10, -1, 0 },
		{ "\n1", 0, 10, -1, 0 },
		{ "1\n", 0, 10, -1, 0 },
		{ "1x", 0, 10, -1, 0 },
		{ "x1", 0, 10, -1, 0 },
		{ "0x10", 0, 100, -1, 0 },
		{ "1e3", 0, 10000, -1, 0 },
		{ "1.0", 0, 10, -1, 0 },
		{ "1,000", 0, 10000, -1, 0 },
		{ "-", -10, 10, -1, 0 },
		{ "+", -10, 10, -1, 0 },
		{ "--5", -10, 10, -1, 0 },
		{ "+-5", -10, 10, -1, 0 },
		{ "- 5", -10, 10, -1, 0 },
		{ "9223372036854775808", LONG_MIN, LONG_MAX, -1, 0 },
		{ "-9223372036854775809", LONG_MIN, LONG_MAX, -1, 0 },
		{ "99999999999999999999999", LONG_MIN, LONG_MAX, -1, 0 },
		{ "99999999999999999999999", 0, 10, -1, 0 },
	};
	size_t i;
	long v;

	for (i = 0; i < NELEM(t); i++) {
		int rc;

		v = 12345;
		rc = st_parse_long(t[i].in, t[i].min, t[i].max, &v);
		if (t[i].rc == 0) {
			if (!ok(rc == 0 && v == t[i].want, "st_parse_long '%s' in [%ld, %ld] is %ld",
			    t[i].in, t[i].min, t[i].max, t[i].want))
				diag("got rc %d, value %ld", rc, v);
		} else {
			if (!ok(rc == -1, "st_parse_long refuses '%s' for [%ld, %ld]", t[i].in,
			    t[i].min, t[i].max))
				diag("got rc %d, value %ld", rc, v);
		}
	}
	ok(st_parse_long(NULL, 0, 10, &v) == -1, "st_parse_long refuses NULL");
}

static void
test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len;
		int want;
		const char *name;
	} t[] = {
#define U(lit) lit, sizeof(lit) - 1
		{ U(""), 1, "empty" },
		{ U("plain ASCII"), 1, "ASCII" },
		{ U("a\0b"), 1, "a NUL byte is UTF-8" },
		{ U("\x7f"), 1, "DEL" },
		{ U("\xc3\xa9"), 1, "U+00E9, two bytes" },
		{ U("\xc2\x80"), 1, "U+0080, the smallest two-byte" },
		{ U("\xdf\xbf"), 1, "U+07FF" },
		{ U("\xe0\xa0\x80"), 1, "U+0800, the smallest three-byte" },
		{ U("\xe2\x82\xac"), 1, "U+20AC euro" },
		{ U("\xed\x9f\xbf"), 1, "U+D7FF, below the surrogates" },
		{ U("\xee\x80\x80"), 1, "U+E000, above the surrogates" },
		{ U("\xef\xbf\xbd"), 1, "U+FFFD" },
		{ U("\xef\xbf\xbf"), 1, "U+FFFF" },
		{ U("\xf0\x90\x80\x80"), 1, "U+10000, the smallest four-byte" },
		{ U("\xf0\x9f\x98\x80"), 1, "U+1F600" },
		{ U("\xf4\x8f\xbf\xbf"), 1, "U+10FFFF, the largest" },
		{ U("Jos\xc3\xa9 Mar\xc3\xad" "a \xe4\xb8\xad\xe6\x96\x87"), 1, "mixed text" },
		{ U("\xc0\x80"), 0, "overlong NUL (C0 80)" },
		{ U("\xc0\xaf"), 0, "overlong '/' (C0 AF)" },
		{ U("\xc1\xbf"), 0, "overlong U+007F (C1 BF)" },
		{ U("\xe0\x80\x80"), 0, "overlong three-byte NUL" },
		{ U("\xe0\x9f\xbf"), 0, "overlong U+07FF in three bytes" },
		{ U("\xf0\x80\x80\x80"), 0, "overlong four-byte NUL" },
		{ U("\xf0\x8f\xbf\xbf"), 0, "overlong U+FFFF in four bytes" },
		{ U("\xed\xa0\x80"), 0, "surrogate U+D800" },
		{ U("\xed\xaf\xbf"), 0, "surrogate U+DBFF" },
		{ U("\xed\xb0\x80"), 0, "surrogate U+DC00" },
		{ U("\xed\xbf\xbf"), 0, "surrogate U+DFFF" },
		{ U("\xed\xa0\xbd\xed\xb8\x80"), 0, "a CESU-8 surrogate pair" },
		{ U("\xf4\x90\x80\x80"), 0, "U+110000, past the end" },
		{ U("\xf5\x80\x80\x80"), 0, "lead byte F5" },
		{ U("\xf7\xbf\xbf\xbf"), 0, "lead byte F7" },
		{ U("\xf8\x88\x80\x80\x80"), 0, "five-byte form" },
		{ U("\xfc\x84\x80\x80\x80\x80"), 0, "six-byte form" },
		{ U("\xfe"), 0, "FE" },
		{ U("\xff"), 0, "FF" },
		{ U("\x80"), 0, "a lone continuation byte" },
		{ U("a\xbf"), 0, "a stray continuation byte after ASCII" },
		{ U("\xc3\xa9\xa9"), 0, "one continuation too many" },
		{ U("\xc3"), 0, "truncated two-byte" },
		{ U("a\xc3"), 0, "truncated two-byte at the end" },
		{ U("\xe2\x82"), 0, "truncated three-byte" },
		{ U("\xe2"), 0, "three-byte lead alone" },
		{ U("\xf0\x9f\x98"), 0, "truncated four-byte" },
		{ U("\xf0\x9f"), 0, "four-byte lead and one" },
		{ U("\xc3\x28"), 0, "bad continuation in two-byte" },
		{ U("\xe2\x28\xa1"), 0, "bad second byte in three-byte" },
		{ U("\xe2\x82\x28"), 0, "bad third byte in three-byte" },
		{ U("\xf0\x28\x8c\xbc"), 0, "bad second byte in four-byte" },
		{ U("\xf0\x90\x28\xbc"), 0, "bad third byte in four-byte" },
		{ U("\xf0\x90\x8c\x28"), 0, "bad fourth byte in four-byte" },
		{ U("\xc3\xc3\xa9"), 0, "a lead byte where a continuation belongs" },
		{ U("Jos\xe9"), 0, "Latin-1" },
#undef U
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		char *s = st_xmalloc(t[i].len);

		memcpy(s, t[i].s, t[i].len);
		is_int(st_utf8_valid(s, t[i].len), t[i].want, t[i].name);
		free(s);
	}
	is_int(st_utf8_valid("\xc3\xa9\xff", 2), 1, "only len bytes are read");
	is_int(st_utf8_valid("\xc3\xa9", 1), 0, "a sequence cut by len is truncated");
	is_int(st_utf8_valid("\xf0\x9f\x98\x80", 3), 0, "a four-byte sequence cut by len");
}

static void
test_cp1252(void)
{
	static const struct {
		const char *in, *want, *name;
	} t[] = {
		{ "\x80", "\xe2\x82\xac", "0x80 is the euro sign" },
		{ "\xe9", "\xc3\xa9", "0xE9 is e acute" },
		{ "\x81", "\xc2\x81", "0x81 (undefined) is kept as U+0081" },
		{ "\x8d\x8f\x90\x9d", "\xc2\x8d\xc2\x8f\xc2\x90\xc2\x9d",
		  "the other undefined bytes too" },
		{ "\x93quoted\x94", "\xe2\x80\x9cquoted\xe2\x80\x9d", "curly double quotes" },
		{ "it\x92s", "it\xe2\x80\x99s", "curly apostrophe" },
		{ "\x96\x97", "\xe2\x80\x93\xe2\x80\x94", "en and em dash" },
		{ "\x99", "\xe2\x84\xa2", "trade mark" },
		{ "\x9f", "\xc5\xb8", "0x9F is Y diaeresis" },
		{ "\x8a\x9a", "\xc5\xa0\xc5\xa1", "S caron" },
		{ "\xa0", "\xc2\xa0", "no-break space" },
		{ "\xff", "\xc3\xbf", "0xFF is y diaeresis" },
		{ "Jos\xe9 Mu\xf1oz", "Jos\xc3\xa9 Mu\xc3\xb1oz", "a Latin-1 name" },
		{ "plain", "plain", "ASCII passes" },
	};
	struct st_buf b = { 0 };
	size_t i, want;

	for (i = 0; i < NELEM(t); i++) {
		size_t len = strlen(t[i].in);
		char *in = st_xmalloc(len);

		memcpy(in, t[i].in, len);
		st_buf_reset(&b);
		st_cp1252_to_utf8(&b, in, len);
		is_str(b.s, t[i].want, t[i].name);
		free(in);
	}

	st_buf_reset(&b);
	st_buf_adds(&b, "price: ");
	st_cp1252_to_utf8(&b, "5\x80", 2);
	is_str(b.s, "price: 5\xe2\x82\xac", "appends to what the buffer holds");
	is_int((long long)b.len, 11, "  and counts the length");

	st_buf_reset(&b);
	st_cp1252_to_utf8(&b, "a\0b", 3);
	ok(b.len == 3 && memcmp(b.s, "a\0b", 4) == 0, "a NUL byte is kept");

	{
		char all[256];

		for (i = 0; i < 256; i++)
			all[i] = (char)i;
		st_buf_reset(&b);
		st_cp1252_to_utf8(&b, all, 256);
		/* 128 ASCII; of 0x80..0x9F, 17 give three bytes, 10 (Latin letters
		 * and modifiers) two, the 5 undefined two; 0xA0..0xFF two each. */
		want = 128 + 17 * 3 + 10 * 2 + 5 * 2 + 96 * 2;
		is_int((long long)b.len, (long long)want, "all 256 bytes: the UTF-8 length");
		ok(st_utf8_valid(b.s, b.len), "all 256 bytes give valid UTF-8");
	}
	st_buf_free(&b);
}

static void
test_split_list(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "a,b,c", "a|b|c" },
		{ " a , b ,, c ,", "a|b|c" },
		{ "one", "one" },
		{ "a b, c\td", "a b|c\td" },
		{ "\ta\t,\nb\n", "a|b" },
		{ ",,,", "" },
		{ " , \t, ", "" },
		{ "", "" },
	};
	struct st_buf b = { 0 };
	size_t i, j;
	char **v;

	for (i = 0; i < NELEM(t); i++) {
		v = st_split_list(t[i].in);
		st_buf_reset(&b);
		st_buf_adds(&b, "");
		for (j = 0; v[j]; j++)
			st_buf_printf(&b, "%s%s", j ? "|" : "", v[j]);
		is_str(b.s, t[i].want, t[i].in);
		is_int((long long)st_strv_len(v), (long long)j, "  st_strv_len agrees");
		st_strv_free(v);
	}
	v = st_split_list(NULL);
	ok(v != NULL && v[0] == NULL, "st_split_list(NULL) is an empty list");
	is_int((long long)st_strv_len(v), 0, "  of length 0");
	st_strv_free(v);
	is_int((long long)st_strv_len(NULL), 0, "st_strv_len(NULL) is 0");
	st_strv_free(NULL);
	ok(1, "st_strv_free(NULL) is harmless");
	st_buf_free(&b);
}

static void
test_buf(void)
{
	struct st_buf b = { 0 };
	size_t i;
	char *big;

	st_buf_reset(&b);
	ok(b.s == NULL && b.len == 0, "reset of an empty buffer allocates nothing");
	st_buf_add(&b, "", 0);
	ok(b.s != NULL && b.s[0] == '\0' && b.len == 0, "adding nothing still terminates");
	st_buf_adds(&b, "hello");
	st_buf_addc(&b, ',');
	st_buf_addc(&b, ' ');
	st_buf_add(&b, "world!!", 5);
	is_str(b.s, "hello, world", "adds, addc, add");
	is_int((long long)b.len, 12, "  length");
	st_buf_printf(&b, " %d-%s-%05.1f", 42, "x", 2.5);
	is_str(b.s, "hello, world 42-x-002.5", "printf appends");
	st_buf_reset(&b);
	ok(b.len == 0 && b.s[0] == '\0', "reset empties it");
	st_buf_add(&b, "a\0b", 3);
	ok(b.len == 3 && memcmp(b.s, "a\0b", 4) == 0, "bytes with NUL, then a terminator");

	st_buf_reset(&b);
	for (i = 0; i < 10000; i++)
		st_buf_addc(&b, 'a' + i % 26);
	ok(b.len == 10000 && strlen(b.s) == 10000 && b.cap > 10000, "grows past 10000 bytes");
	ok(b.s[9999] == 'a' + 9999 % 26 && b.s[26] == 'a', "  keeping every byte");

	big = st_xmalloc(5001);
	memset(big, 'z', 5000);
	big[5000] = '\0';
	st_buf_reset(&b);
	st_buf_printf(&b, "<%s>", big);
	ok(b.len == 5002 && b.s[0] == '<' && b.s[5001] == '>' && b.s[5002] == '\0',
	    "printf longer than the buffer");
	free(big);

	st_buf_grow(&b, 100000);
	ok(b.cap >= b.len + 100000 + 1, "st_buf_grow makes room");
	is_int((long long)b.len, 5002, "  without changing the contents");

	st_buf_free(&b);
	ok(b.s == NULL && b.len == 0 && b.cap == 0, "free clears it");
	st_buf_printf(&b, "%s", "");
	ok(b.s != NULL && b.len == 0 && b.s[0] == '\0', "printf of nothing on a freed buffer");
	st_buf_adds(&b, "again");
	is_str(b.s, "again", "usable after free");
	st_buf_free(&b);
	st_buf_free(&b);
	ok(1, "freeing twice is harmless");
}

static void
test_misc(void)
{
	char now[21], *p;

	is_int((long long)st_hash(42, "", 0), 42, "st_hash of nothing leaves the hash as it was");
	ok(st_hash(ST_HASH_INIT, "foobar", 6) == st_hash(ST_HASH_INIT, "foobar", 6),
	    "st_hash is deterministic");
	ok(st_hash(ST_HASH_INIT, "a", 1) != st_hash(ST_HASH_INIT, "a\0", 2),
	    "st_hash tells 'a' from 'a' and a NUL");
	ok(st_hash(st_hash(ST_HASH_INIT, "ab", 2), "c", 1) !=
	    st_hash(st_hash(ST_HASH_INIT, "a", 1), "bc", 2), "st_hash tells where pieces end");
	{
		unsigned char buf[40] = "every bit of a row counts, high or low";
		size_t n, bit;
		int all = 1, low = 1;

		for (n = 1; n <= sizeof(buf); n++) {
			uint64_t h = st_hash(ST_HASH_INIT, buf, n);

			for (bit = 0; bit < 8 * n; bit++) {
				uint64_t g;

				buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
				g = st_hash(ST_HASH_INIT, buf, n);
				buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
				all &= g != h;
				low &= ((g ^ h) & 0xffffffffu) != 0;
			}
		}
		ok(all, "st_hash changes when any one bit of 1..40 bytes changes");
		ok(low, "... and so do its low 32 bits");
	}

	st_now_iso(now);
	ok(strlen(now) == 20 && now[4] == '-' && now[7] == '-' && now[10] == 'T' &&
	    now[13] == ':' && now[16] == ':' && now[19] == 'Z' && strncmp(now, "20", 2) == 0,
	    "st_now_iso looks like YYYY-MM-DDTHH:MM:SSZ (%s)", now);

	p = st_xstrndup("abcdef", 3);
	is_str(p, "abc", "st_xstrndup");
	free(p);
	p = st_xstrdup("");
	is_str(p, "", "st_xstrdup of empty");
	free(p);
	p = st_xcalloc(4, 4);
	ok(p[0] == 0 && p[15] == 0, "st_xcalloc zeroes");
	p = st_xrealloc(p, 64);
	ok(p != NULL, "st_xrealloc");
	free(p);
}

int
main(void)
{
	test_parse_long();
	test_utf8();
	test_cp1252();
	test_split_list();
	test_buf();
	test_misc();
	return done_testing();
}
