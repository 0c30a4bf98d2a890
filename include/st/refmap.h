/* Referrals: a short code per contact, who brought whom, personalized links
 * that carry a login token and the code, and the influence map. */
#ifndef ST_REFMAP_H
#define ST_REFMAP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "st/csvin.h"

struct st_error;
struct st_out;
struct st_token_key;

/* Referral codes: ST_CODE_LEN characters of Crockford's base32 alphabet
 * (digits and capital letters but I, L, O and U), random, one per contact,
 * issued when first needed and never changed. */
#define ST_CODE_LEN 7

/* Normalize a code as typed: capitals, no blanks or hyphens, I and L read as
 * 1 and O as 0. Returns 0 and out, or -1 if s cannot be a code. */
int st_code_normalize(const char *s, char out[ST_CODE_LEN + 1]);

/* The code of contact into out, issued now if it has none. Returns 1 if it
 * was issued now, 0 if it had one, or -1 and err (ST_EXIT_DATA when there is
 * no such contact). */
int st_code_get(sqlite3 *db, long contact, char out[ST_CODE_LEN + 1], struct st_error *err);

/* The contact whose code code is (normalized first): 1 and *contact, 0 if
 * nobody has it, -1 and err. */
int st_code_owner(sqlite3 *db, const char *code, long *contact, struct st_error *err);

/* Codes for many contacts through prepared statements (st_code_get and
 * st_code_owner are these for one). The fields are private. */
struct st_codes {
	sqlite3 *db;
	sqlite3_stmt *get, *ins, *owner;
	unsigned char pool[ST_CODE_LEN * 512];   /* random bytes, drawn in bulk */
	size_t used;
};

/* Prepare c on db; 0, or -1 and err. */
int st_codes_open(struct st_codes *c, sqlite3 *db, struct st_error *err);

/* As st_code_get and st_code_owner. */
int st_codes_get(struct st_codes *c, long contact, char out[ST_CODE_LEN + 1],
    struct st_error *err);
int st_codes_owner(struct st_codes *c, const char *code, long *contact, struct st_error *err);

/* Finalize c's statements (c may be all zeros). */
void st_codes_close(struct st_codes *c);

/* What became of a referral. */
enum st_ref_outcome {
	ST_REF_NONE,       /* no code given: nothing to do */
	ST_REF_RECORDED,   /* a new edge: the code's owner brought the person */
	ST_REF_ALREADY,    /* the person has a referrer already: the first one stands */
	ST_REF_SELF,       /* the person's own code */
	ST_REF_UNKNOWN,    /* nobody has the code (or it cannot be one): never attributed */
	ST_REF_LOOP        /* the code's owner was brought, directly or not, by the person */
};

struct st_referral_in {
	const char *code;       /* as typed */
	long referred;          /* the contact who came */
	const char *at;         /* when, "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
	const char *page;       /* the page, form or link they came through; may be NULL */
	const char *campaign;   /* may be NULL */
	long import_id;         /* the import batch that carries it (its undo removes the
	                           edge); 0: none */
};

/* Record that in->code's owner brought in->referred, unless one of the
 * outcomes above says otherwise; *outcome says which, and *referrer (may be
 * NULL) gets the code's owner (0 if unknown). Runs in the caller's
 * transaction, if any. Returns 0, or -1 and err (ST_EXIT_DATA: no contact
 * in->referred, or an invalid in->at). */
int st_referral_record(sqlite3 *db, const struct st_referral_in *in, enum st_ref_outcome *outcome,
    long *referrer, struct st_error *err);

/* Recording many referrals through prepared statements (st_referral_record
 * is these for one): a recorder on db, NULL and err on failure; record, as
 * st_referral_record; free (NULL is fine) before db is closed. */
struct st_referrer;
struct st_referrer *st_referrer_new(sqlite3 *db, struct st_error *err);
int st_referrer_record(struct st_referrer *r, const struct st_referral_in *in,
    enum st_ref_outcome *outcome, long *referrer, struct st_error *err);
void st_referrer_free(struct st_referrer *r);

/* The column of names[0..n) that holds referral codes: the first whose
 * normalized name (st_header_key) is ref, r or referral_code; -1 if none. */
int st_referral_column(const char *const *names, size_t n);

/* Recording referrals from a stream of clicks or sign-ups. */
struct st_record_opts {
	FILE *fp;
	const char *name;            /* for messages ("-": standard input) */
	struct st_csv_opts csv;
	const char *page, *campaign; /* for rows that have no page or campaign column */
	int dry_run;                 /* do everything, then roll back */
	struct st_out *rejects;      /* rows not recorded go here (columns line, reason, then
	                                the input's); may be NULL */
};

struct st_record_result {
	long read, recorded, already, self, unknown, loop;
	long unidentified;           /* no contact could be named by id, phone or e-mail */
	long invalid;                /* no code, an invalid time, a malformed row */
};

/* Read o->fp (CSV, TSV or JSON Lines): each row's code (column ref, r or
 * referral_code) and its contact, by id (column id or contact_id), else
 * phone, else e-mail (columns st-import maps to them; a phone several
 * contacts share does not name one), with optional time (at, time, timestamp,
 * clicked_at, signed_up_at, created_at: UTC unless it has an offset), page
 * (page, via_page, url, landing_page) and campaign (campaign, utm_campaign).
 * Each row is recorded with st_referral_record; nothing is created for a
 * contact that cannot be named. All in one transaction. read = the sum of
 * the other counts. */
int st_referral_stream(sqlite3 *db, const struct st_record_opts *o, struct st_record_result *res,
    struct st_error *err);

/* Personalized links for a stream of contacts. */
struct st_link_opts {
	FILE *fp;
	const char *name;            /* for messages */
	struct st_csv_opts csv;
	const char *base;            /* the URL the parameters are added to (st_url_check) */
	const char *column;          /* the link's column: replaced if the input has it, else
	                                added at the end */
	const struct st_token_key *key;  /* NULL: share links, with the code only */
	const char *purpose;         /* the tokens' purpose */
	time_t expires;              /* when the tokens expire */
	FILE *out;
	int fmt;                     /* an enum st_format, or -1: the input's (JSON Lines,
	                                TSV or CSV) */
	int header;
	void (*skipped)(void *arg, long line, const char *why);  /* told of each row left
	                                out; may be NULL */
	void *skipped_arg;
};

struct st_link_result {
	long read, written, skipped, issued;   /* issued: codes issued for the links */
};

/* Copy the rows of o->fp (any st-query output: CSV, TSV or JSON Lines with a
 * column id or contact_id) to o->out with the link column set to
 * BASE?t=TOKEN&r=CODE (r only, without a key), merged with BASE's query
 * string as st_url_set_params does. Every column is passed through, JSON
 * values with their types. A row whose contact does not exist or whose id is
 * not a number is left out (o->skipped is told). Codes are committed before
 * the rows that carry them are written. */
int st_link_stream(sqlite3 *db, const struct st_link_opts *o, struct st_link_result *res,
    struct st_error *err);

/* The influence map. "Reach" is everyone a contact brought, directly or
 * through the people they brought; "active" those of them who attended at
 * least one shift (the attendance table); "conversion" active as a
 * percentage of reach. Edges that make a loop (only possible by editing the
 * table by hand) are left out of the map. */
enum st_refmap_by { ST_BY_DIRECT, ST_BY_REACH, ST_BY_ACTIVE, ST_BY_CONVERSION };

/* Parse "direct", "reach", "active" or "conversion"; -1 if none. */
int st_refmap_by_parse(const char *s);

/* Write the contacts who brought anybody, best first by `by` (ties: reach,
 * then id), at most limit (0: all), as id, first_name, last_name, code,
 * direct, reach, active, conversion, depth (0: nobody brought them). */
int st_refmap_top(sqlite3 *db, enum st_refmap_by by, long limit, struct st_out *out, long *nrows,
    struct st_error *err);

/* The same ranking as a self-contained HTML page with an SVG bar chart of
 * the key (a tooltip on each bar gives every figure) to fp. */
int st_refmap_chart(sqlite3 *db, enum st_refmap_by by, long limit, FILE *fp, long *nrows,
    struct st_error *err);

/* Write who brought contact, up to the first of the chain: rows depth (0: the
 * contact, 1: who brought them, ...), id, first_name, last_name, code, at,
 * via_page, campaign (of the edge that brought the row's contact). */
int st_refmap_chain(sqlite3 *db, long contact, struct st_out *out, long *nrows,
    struct st_error *err);

/* Write everyone contact brought, directly or not, to fp: one line each,
 * "ID NAME", indented two spaces a generation, children in order of id; or,
 * with json, one JSON object {"id", "name", "code", "children": [...]}.
 * *nrows gets the number of people below contact. */
int st_refmap_tree(sqlite3 *db, long contact, int json, FILE *fp, long *nrows,
    struct st_error *err);

/* Write metric,value rows: contacts, referred, referred_pct, recruiters,
 * roots, max_depth, mean_depth, depth_1, depth_2, ... (referred contacts at
 * each depth) and, if any, in_loops. Over the contacts whose ids the id (or
 * contact_id) column of population lists (CSV, TSV or JSON Lines), or all
 * contacts when population is NULL. */
int st_refmap_stats(sqlite3 *db, FILE *population, const char *name, struct st_out *out,
    struct st_error *err);

enum st_graph_format { ST_GRAPH_DOT, ST_GRAPH_JSON, ST_GRAPH_CSV };

/* Write the referral graph (with root > 0, only the people root brought,
 * directly or not, and root) to fp: Graphviz DOT; node-link JSON ({"directed":
 * true, "nodes": [{"id", "label", "code"}], "links": [{"source", "target",
 * "at", "via_page", "campaign"}]}, as networkx and d3 read it); or CSV edges
 * (referrer, referred, code, at, via_page, campaign). *nedges gets the number
 * of edges. */
int st_refmap_graph(sqlite3 *db, long root, enum st_graph_format f, FILE *fp, long *nedges,
    struct st_error *err);

#endif
