/* The CSV reader: delimiters, quoting, line ends, encodings, line numbers,
 * headers and errors, read from memory with fmemopen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st/csvin.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/util.h"
#include "tap.h"

/* A string literal and its length, NUL bytes included. */
#define S(lit) lit, sizeof(lit) - 1

/* What reading one input gave: the header, then each row as "@LINE f1|f2",
 * with '|', '\n', '\r' and NUL escaped and a problem as "!nulN"/"!utf8N". */
struct res {
	int opened;
	int rc;                 /* last st_csvin_next result */
	struct st_error err;
	char delim;
	size_t ncols, nrows, offset;
	struct st_buf names, rows;
};

static struct res R;

static void
esc(struct st_buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '|': st_buf_adds(b, "\\|"); break;
		case '\n': st_buf_adds(b, "\\n"); break;
		case '\r': st_buf_adds(b, "\\r"); break;
		case '\0': st_buf_adds(b, "\\0"); break;
		default: st_buf_addc(b, s[i]);
		}
	}
}

/* Read data[0..len) with opts o into R. */
static void
readcsv(const char *data, size_t len, const struct st_csv_opts *o)
{
	struct st_csv_opts def = { 0 };
	struct st_csvin *r;
	struct st_csv_row *row;
	char *copy = st_xmalloc(len + 1);
	FILE *fp;
	size_t i;

	memcpy(copy, data, len);
	fp = fmemopen(copy, len, "r");
	if (fp == NULL) {
		perror("fmemopen");
		exit(99);
	}
	st_buf_free(&R.names);
	st_buf_free(&R.rows);
	memset(&R, 0, sizeof(R));
	st_buf_adds(&R.names, "");
	st_buf_adds(&R.rows, "");
	r = st_csvin_open(fp, "in.csv", o ? o : &def, &R.err);
	if (r != NULL) {
		const char *const *names = st_csvin_names(r);

		R.opened = 1;
		R.delim = st_csvin_delim(r);
		R.ncols = st_csvin_ncols(r);
		for (i = 0; i < R.ncols; i++) {
			if (i > 0)
				st_buf_addc(&R.names, '|');
			esc(&R.names, names[i], strlen(names[i]));
		}
		while ((R.rc = st_csvin_next(r, &row, &R.err)) > 0) {
			st_buf_printf(&R.rows, "%s@%ld ", R.nrows ? " " : "", row->line);
			for (i = 0; i < row->n; i++) {
				if (i > 0)
					st_buf_addc(&R.rows, '|');
				esc(&R.rows, row->f[i], row->len[i]);
			}
			if (row->problem == ST_ROW_NUL)
				st_buf_printf(&R.rows, "!nul%zu", row->problem_col + 1);
			else if (row->problem == ST_ROW_BAD_UTF8)
				st_buf_printf(&R.rows, "!utf8%zu", row->problem_col + 1);
			R.nrows++;
		}
		R.offset = st_csvin_offset(r);
		st_csvin_close(r);
	}
	fclose(fp);
	free(copy);
}

/* The input reads without error to these names and rows. */
static void
reads(const char *name, const char *names, const char *rows)
{
	int good = R.opened && R.rc == 0 && strcmp(R.names.s, names) == 0 &&
	    strcmp(R.rows.s, rows) == 0;

	if (!ok(good, "%s", name)) {
		if (!R.opened || R.rc < 0)
			diag("error %d: %s", R.err.status, R.err.msg);
		diag("names got '%s', want '%s'", R.names.s, names);
		diag("rows  got '%s'", R.rows.s);
		diag("     want '%s'", rows);
	}
}

/* Reading failed (at open if at_open) with ST_EXIT_DATA and a message holding
 * each of the given strings. */
static void
fails(const char *name, int at_open, const char *want1, const char *want2)
{
	int good = (at_open ? !R.opened : R.opened && R.rc < 0) && R.err.status == ST_EXIT_DATA &&
	    strstr(R.err.msg, want1) != NULL && (want2 == NULL || strstr(R.err.msg, want2) != NULL);

	if (!ok(good, "%s", name))
		diag("opened %d, rc %d, status %d, msg '%s'; want '%s'%s%s", R.opened, R.rc,
		    R.err.status, R.err.msg, want1, want2 ? " and " : "", want2 ? want2 : "");
}

static void
test_delimiters(void)
{
	static const struct {
		const char *in, *names, *rows;
		char delim;
		const char *name;
	} t[] = {
		{ "a,b\n1,2\n", "a|b", "@2 1|2", ',', "comma sniffed" },
		{ "a\tb\n1\t2\n", "a|b", "@2 1|2", '\t', "tab sniffed" },
		{ "a|b\n1|2\n", "a|b", "@2 1|2", '|', "pipe sniffed" },
		{ "a;b\n1;2\n", "a|b", "@2 1|2", ';', "semicolon sniffed" },
		{ "name;amount\nx;1,5\n", "name|amount", "@2 x|1,5", ';',
		  "semicolon file with decimal commas in the data" },
		{ "\"a,b,c\";d\n1;2\n", "a,b,c|d", "@2 1|2", ';',
		  "delimiters inside quotes do not count when sniffing" },
		{ "a\tb,c\td\n1\t2,3\t4\n", "a|b,c|d", "@2 1|2,3|4", '\t', "the most frequent wins" },
		{ "name\nx\n", "name", "@2 x", ',', "one column: comma" },
		{ "\xef\xbb\xbf" "a\tb\n1\t2\n", "a|b", "@2 1|2", '\t', "sniffed after a BOM" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		readcsv(t[i].in, strlen(t[i].in), NULL);
		reads(t[i].name, t[i].names, t[i].rows);
		is_int(R.delim, t[i].delim, "  and st_csvin_delim says so");
	}
	{
		struct st_csv_opts o = { .delim = ';' };

		readcsv(S("a,b;c\n1,2;3\n"), &o);
		reads("a given delimiter is used, not sniffed", "a,b|c", "@2 1,2|3");
		is_int(R.delim, ';', "  st_csvin_delim gives the given delimiter");
	}
}

static void
test_quoting(void)
{
	readcsv(S("a,b,c\n\"x,y\",\"he said \"\"hi\"\"\",\"\"\n"), NULL);
	reads("quoted delimiter, doubled quotes, empty quoted field", "a|b|c",
	    "@2 x,y|he said \"hi\"|");
	readcsv(S("a,b\n\"line 1\nline 2\",z\n"), NULL);
	reads("quoted newline kept", "a|b", "@2 line 1\\nline 2|z");
	readcsv(S("a,b\n\"line 1\r\nline 2\",z\n"), NULL);
	reads("quoted CRLF kept as is", "a|b", "@2 line 1\\r\\nline 2|z");
	readcsv(S("a\tb\n\"x\ty\"\tz\n"), NULL);
	reads("quoted tab in a TSV", "a|b", "@2 x\ty|z");
	readcsv(S("a|b\n\"x|y\"|z\n"), NULL);
	reads("quoted pipe in a pipe file", "a|b", "@2 x\\|y|z");
	readcsv(S("a,b\n\"\"\"\",\"x\"\"\"\n"), NULL);
	reads("fields of only quotes", "a|b", "@2 \"|x\"");
	readcsv(S("a,b\n  x  ,\" y \"\n"), NULL);
	reads("blanks around an unquoted field go, inside quotes they stay", "a|b", "@2 x| y ");
	readcsv(S("a,b,c\n1,,\n,,\n"), NULL);
	reads("empty unquoted fields", "a|b|c", "@2 1|| @3 ||");
	readcsv(S("a,b\n1\n1,2,3\n"), NULL);
	reads("short and long rows come as they are", "a|b", "@2 1 @3 1|2|3");
	readcsv(S("a,b\n1,2"), NULL);
	reads("last row without a newline", "a|b", "@2 1|2");
	readcsv(S("a,b\n1,\"2\""), NULL);
	reads("last row ends in a quoted field, no newline", "a|b", "@2 1|2");
}

static void
test_line_ends(void)
{
	readcsv(S("a,b\r\n1,2\r\n3,4\r\n"), NULL);
	reads("CRLF", "a|b", "@2 1|2 @3 3|4");
	readcsv(S("a,b\n1,2\n3,4\n"), NULL);
	reads("LF", "a|b", "@2 1|2 @3 3|4");
	readcsv(S("a,b\r\n1,2\n3,4\r\n"), NULL);
	reads("mixed CRLF and LF", "a|b", "@2 1|2 @3 3|4");
	readcsv(S("a,b\n\n1,2\n\n\n3,4\n\n"), NULL);
	reads("blank lines are skipped and still counted", "a|b", "@3 1|2 @6 3|4");
	readcsv(S("a,b\n1,2\n\"x\ny\nz\",3\n4,5\n"), NULL);
	reads("line numbers after a multi-line quoted field", "a|b",
	    "@2 1|2 @3 x\\ny\\nz|3 @6 4|5");
	readcsv(S("a,b\r\n\"x\r\ny\",1\r\n2,3\r\n"), NULL);
	reads("line numbers after a multi-line field with CRLF", "a|b",
	    "@2 x\\r\\ny|1 @4 2|3");
	readcsv(S("\"a\nb\",c\n1,2\n"), NULL);
	reads("a multi-line header name", "a\\nb|c", "@3 1|2");
}

static void
test_encodings(void)
{
	struct st_csv_opts o = { 0 };

	readcsv(S("\xef\xbb\xbfname,email\nx,y\n"), NULL);
	reads("a UTF-8 BOM is stripped", "name|email", "@2 x|y");
	readcsv(S("\xff\xfen\0a\0m\0e\0\n\0x\0\n\0"), NULL);
	fails("UTF-16LE is refused", 1, "UTF-16", "in.csv");
	readcsv(S("\xfe\xff\0n\0a\0m\0e\0\n\0x\0\n"), NULL);
	fails("UTF-16BE is refused", 1, "UTF-16", NULL);
	readcsv(S("\x1f\x8b\x08\0\0\0\0\0\0\x03"), NULL);
	fails("gzip is refused", 1, "compressed", "gzip");
	readcsv(S("PK\x03\x04\x14\0\0\0"), NULL);
	fails("zip is refused", 1, "compressed", "zip");

	o.enc = ST_ENC_AUTO;
	readcsv(S("name,city\nJos\xe9,Bogot\xe1\n"), &o);
	reads("auto: a Latin-1 field is transcoded", "name|city", "@2 Jos\xc3\xa9|Bogot\xc3\xa1");
	readcsv(S("name\nJos\xc3\xa9\nJos\xe9\n"), &o);
	reads("auto: UTF-8 and Latin-1 rows in one file", "name", "@2 Jos\xc3\xa9 @3 Jos\xc3\xa9");
	readcsv(S("q\n\x93hi\x94 \x80" "5\n"), &o);
	reads("auto: Windows-1252 quotes and euro", "q",
	    "@2 \xe2\x80\x9chi\xe2\x80\x9d \xe2\x82\xac" "5");
	readcsv(S("caf\xe9\nx\n"), &o);
	reads("auto: a Latin-1 header name", "caf\xc3\xa9", "@2 x");

	o.enc = ST_ENC_CP1252;
	readcsv(S("name\nJos\xe9\n"), &o);
	reads("cp1252: transcoded", "name", "@2 Jos\xc3\xa9");
	readcsv(S("name\nJos\xc3\xa9\n"), &o);
	reads("cp1252: UTF-8 bytes are read as cp1252 too", "name", "@2 Jos\xc3\x83\xc2\xa9");

	o.enc = ST_ENC_UTF8;
	readcsv(S("name,city\nJos\xc3\xa9,x\n"), &o);
	reads("utf-8: valid UTF-8 passes", "name|city", "@2 Jos\xc3\xa9|x");
	readcsv(S("name,city\nx,Bogot\xe1\ny,z\n"), &o);
	reads("utf-8: invalid UTF-8 marks the row bad, the next row is fine", "name|city",
	    "@2 x|Bogot\xe1!utf82 @3 y|z");
	readcsv(S("name,city\n\xc0\xaf,\xe1\n"), &o);
	reads("utf-8: the first bad field is the one named", "name|city",
	    "@2 \xc0\xaf|\xe1!utf81");
	readcsv(S("a,caf\xe9\nx,y\n"), &o);
	fails("utf-8: a header name that is not UTF-8 is an error", 1, "line 1", "column 2");

	readcsv(S("a,b\n1,x\0y\n2,z\n"), NULL);
	reads("a NUL byte marks the row, the next row is fine", "a|b",
	    "@2 1|x\\0y!nul2 @3 2|z");
	o.enc = ST_ENC_UTF8;
	readcsv(S("a,b\n\0,x\xff\n"), &o);
	reads("NUL and bad UTF-8 in one row: the first problem is named", "a|b",
	    "@2 \\0|x\xff!nul1");
	readcsv(S("a,b\0c\n1,2\n"), NULL);
	fails("a NUL byte in the header is an error", 1, "line 1", "column 2");
}

static void
test_headers(void)
{
	struct st_csv_opts o = { 0 };

	readcsv(S(""), NULL);
	fails("an empty file is an error", 1, "empty", "in.csv");
	readcsv(S("\xef\xbb\xbf"), NULL);
	fails("a file of only a BOM is empty", 1, "empty", NULL);
	readcsv(S("\n\n\r\n"), NULL);
	fails("a file of only blank lines is empty", 1, "empty", NULL);
	readcsv(S("a,b,c\n"), NULL);
	reads("header only: no rows", "a|b|c", "");
	is_int((long long)R.ncols, 3, "  three columns");
	readcsv(S("a,b,c"), NULL);
	reads("header only, no newline: no rows", "a|b|c", "");
	readcsv(S("id,name,id\n1,x,2\n"), NULL);
	fails("a duplicate header name is an error naming both columns", 1, "columns 1 and 3",
	    "'id'");
	readcsv(S("a,b,c,b\n"), NULL);
	fails("  and names the line", 1, "line 1", "columns 2 and 4");
	readcsv(S("id,\" id\t\"\n"), NULL);
	fails("names are compared after trimming blanks", 1, "columns 1 and 2", NULL);
	readcsv(S("a,,c,\"\"\n1,2,3,4\n"), NULL);
	reads("empty header names become column_N", "a|column_2|c|column_4", "@2 1|2|3|4");
	readcsv(S("a, ,c,\n1,2,3,4\n"), NULL);
	reads("blank header names too", "a|column_2|c|column_4", "@2 1|2|3|4");
	o.delim = ',';
	readcsv(S(" a ,\tb\t\n1,2\n"), &o);
	reads("header names are trimmed of blanks", "a|b", "@2 1|2");
	o.delim = 0;

	o.no_header = 1;
	readcsv(S("1,2,3\n4,5,6\n"), &o);
	reads("no header: column_N names, the first row is data", "column_1|column_2|column_3",
	    "@1 1|2|3 @2 4|5|6");
	o.columns = "x, y ,z";
	readcsv(S("1,2,3\n4,5,6\n"), &o);
	reads("no header, given columns", "x|y|z", "@1 1|2|3 @2 4|5|6");
	o.columns = "x";
	readcsv(S("1,2,3\n"), &o);
	reads("no header, fewer columns than fields", "x|column_2|column_3", "@1 1|2|3");
	o.columns = "w,x,y,z";
	readcsv(S("1,2\n"), &o);
	reads("no header, more columns than fields", "w|x|y|z", "@1 1|2");
	o.columns = "x,y,x";
	readcsv(S("1,2,3\n"), &o);
	/* --columns comes from the command line: a usage error, not bad data. */
	ok(!R.opened && R.err.status == ST_EXIT_USAGE && strstr(R.err.msg, "columns 1 and 3") &&
	    strstr(R.err.msg, "'x'"), "no header, duplicate given columns is a usage error");
	o.columns = NULL;
	readcsv(S("\xef\xbb\xbf" "1;2\n"), &o);
	reads("no header, after a BOM", "column_1|column_2", "@1 1|2");
}

static void
test_errors(void)
{
	struct st_csv_opts o = { 0 };
	struct st_buf b = { 0 };

	readcsv(S("a,b\n1,2\n3,\"abc\n4,5\n"), NULL);
	fails("an unterminated quote at the end is an error", 0, "line 3", "unterminated");
	is_str(R.rows.s, "@2 1|2", "  the rows before it are read");
	readcsv(S("\"a,b\n1,2\n"), NULL);
	fails("an unterminated quote in the header", 1, "line 1", NULL);
	readcsv(S("a,b\n1,x\"y\n"), NULL);
	fails("a quote inside an unquoted field is malformed", 0, "line 2", "quot");
	readcsv(S("a,b\n1,\"x\"y\n"), NULL);
	fails("text after a closing quote is malformed", 0, "line 2", "quot");
	readcsv(S("a,b\n\"x\ny\",1\n2,\"z\"w\n"), NULL);
	fails("malformed quoting after a multi-line row names its line", 0, "line 4", NULL);

	o.max_field = 1000;
	st_buf_adds(&b, "a,b\n1,2\nx,");
	while (b.len < 5000)
		st_buf_addc(&b, 'y');
	st_buf_adds(&b, "\n3,4\n");
	readcsv(b.s, b.len, &o);
	fails("a field longer than max_field is an error", 0, "line 3", "1000");
	is_str(R.rows.s, "@2 1|2", "  the rows before it are read");

	st_buf_reset(&b);
	st_buf_adds(&b, "a\n");
	while (b.len < 2 + 1000)
		st_buf_addc(&b, 'y');
	st_buf_adds(&b, "\nz\n");
	readcsv(b.s, b.len, &o);
	ok(R.opened && R.rc == 0 && R.nrows == 2, "a field of exactly max_field bytes is read");
	if (R.rc < 0)
		diag("%s", R.err.msg);
	st_buf_reset(&b);
	st_buf_adds(&b, "a\n\"");
	while (b.len < 3 + 1001)
		st_buf_addc(&b, 'y');
	st_buf_adds(&b, "\"\nz\n");
	readcsv(b.s, b.len, &o);
	fails("a quoted field of max_field + 1 bytes is an error", 0, "line 2", NULL);

	o.max_field = 64;
	readcsv(S("name,city\nx,y\n"), &o);
	reads("a small max_field still reads short fields", "name|city", "@2 x|y");

	o.max_field = 0;
	st_buf_reset(&b);
	st_buf_adds(&b, "a,b\n\"");
	while (b.len < (1 << 20) + 100)
		st_buf_adds(&b, "no closing quote\n");
	readcsv(b.s, b.len, &o);
	fails("a runaway quote hits the 1 MiB default", 0, "line 2", "unterminated?");
	st_buf_free(&b);
}

/* Big inputs cross the reader's 64 KiB chunks and 16 KiB pieces. */
static void
test_big(void)
{
	struct st_buf b = { 0 }, want = { 0 };
	long line = 2;
	size_t i;

	st_buf_adds(&b, "id,note\n");
	for (i = 0; b.len < 65536 - 20; i++, line++) {
		st_buf_printf(&b, "%zu,row %zu\n", i, i);
		st_buf_printf(&want, "%s@%ld %zu|row %zu", i ? " " : "", line, i, i);
	}
	/* A quoted field with newlines across the first chunk boundary. */
	st_buf_adds(&b, "q,\"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\no\np\n\"\n");
	st_buf_printf(&want, " @%ld q|a\\nb\\nc\\nd\\ne\\nf\\ng\\nh\\ni\\nj\\nk\\nl\\nm\\nn\\no\\np\\n",
	    line);
	line += 17;
	/* A line longer than a piece. */
	st_buf_adds(&b, "long,");
	st_buf_printf(&want, " @%ld long|", line++);
	for (i = 0; i < 40000; i++) {
		st_buf_addc(&b, 'a' + i % 26);
		st_buf_addc(&want, 'a' + i % 26);
	}
	st_buf_addc(&b, '\n');
	for (i = 0; b.len < 300000; i++, line++) {
		st_buf_printf(&b, "%zu,\"x\"\"%zu\"\r\n", i, i);
		st_buf_printf(&want, " @%ld %zu|x\"%zu", line, i, i);
	}
	readcsv(b.s, b.len, NULL);
	reads("300 KB: every row and line number", "id|note", want.s);
	is_int((long long)R.offset, (long long)b.len, "st_csvin_offset is the whole input at the end");
	st_buf_free(&b);
	st_buf_free(&want);

	readcsv(S("\xef\xbb\xbf" "a,b\n1,2\n"), NULL);
	is_int((long long)R.offset, 11, "st_csvin_offset counts the BOM");
}

/* A multi-line row at every position around the first 64 KiB chunk boundary,
 * so the boundary falls inside the row, between CR and LF, and just after. */
static void
test_boundary(void)
{
	struct st_buf b = { 0 }, want = { 0 };
	int crlf, k, bad = 0;

	for (crlf = 0; crlf < 2; crlf++) {
		const char *eol = crlf ? "\r\n" : "\n", *weol = crlf ? "\\r\\n" : "\\n";

		for (k = 0; k < 16; k++) {
			size_t fill = 65536 - 8 + (size_t)k - 4 - 2 * strlen(eol) - 2;

			st_buf_reset(&b);
			st_buf_reset(&want);
			st_buf_printf(&b, "a,b%sp,", eol);
			st_buf_adds(&want, "@2 p|");
			while (fill--) {
				st_buf_addc(&b, 'f');
				st_buf_addc(&want, 'f');
			}
			st_buf_printf(&b, "%s\"x%sy\",z%s1,2%s", eol, eol, eol, eol);
			st_buf_printf(&want, " @3 x%sy|z @5 1|2", weol);
			readcsv(b.s, b.len, NULL);
			if (!R.opened || R.rc != 0 || strcmp(R.rows.s, want.s) != 0) {
				bad++;
				diag("%s, shift %d: error '%s', rows end '%s'", crlf ? "CRLF" : "LF",
				    k, R.err.msg, R.rows.len > 30 ? R.rows.s + R.rows.len - 30 : R.rows.s);
			}
		}
	}
	ok(bad == 0, "a multi-line row around the 64 KiB boundary: rows and lines right");
	st_buf_free(&b);
	st_buf_free(&want);
}

/* The row structure itself, and reading on after the end. */
static void
test_api(void)
{
	static char data[] = "name,note\nAda,\"x\ny\"\n";
	struct st_csv_opts o = { 0 };
	struct st_error err = { 0 };
	struct st_csv_row *row = NULL;
	struct st_csvin *r;
	FILE *fp = fmemopen(data, sizeof(data) - 1, "r");

	r = st_csvin_open(fp, "api.csv", &o, &err);
	if (!ok(r != NULL, "st_csvin_open")) {
		diag("%s", err.msg);
		fclose(fp);
		return;
	}
	is_int((long long)st_csvin_ncols(r), 2, "st_csvin_ncols");
	is_str(st_csvin_names(r)[1], "note", "st_csvin_names");
	is_int(st_csvin_next(r, &row, &err), 1, "a row");
	ok(row->n == 2 && row->len[0] == 3 && row->len[1] == 3 && row->f[1][3] == '\0',
	    "  its fields, lengths and terminators");
	ok(row->line == 2 && row->problem == ST_ROW_OK, "  its line, no problem");
	is_int(st_csvin_next(r, &row, &err), 0, "then the end");
	is_int(st_csvin_next(r, &row, &err), 0, "and the end again");
	st_csvin_close(r);
	st_csvin_close(NULL);
	fclose(fp);
}

int
main(void)
{
	test_delimiters();
	test_quoting();
	test_line_ends();
	test_encodings();
	test_headers();
	test_errors();
	test_big();
	test_boundary();
	test_api();
	st_buf_free(&R.names);
	st_buf_free(&R.rows);
	return done_testing();
}
