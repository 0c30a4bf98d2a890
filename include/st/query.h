/* Segments of contacts: named filters, saved segments, and read-only SQL. */
#ifndef ST_QUERY_H
#define ST_QUERY_H

#include <sqlite3.h>
#include <stddef.h>

struct st_error;
struct st_out;

enum st_filter_arg {
	ST_ARG_NONE,    /* a flag */
	ST_ARG_TEXT,    /* a comma-separated list: any of them */
	ST_ARG_LANG,    /* like TEXT, each normalized as a language */
	ST_ARG_ZIP,     /* like TEXT, each normalized as a ZIP code */
	ST_ARG_INT,     /* one non-negative integer */
	ST_ARG_INTS,    /* a comma-separated list of integers */
	ST_ARG_WHERE,   /* FIELD=VALUE or FIELD!=VALUE on a contact field or an extra field */
	ST_ARG_SEGMENT, /* a saved segment's name: its filters, as one condition */
	ST_ARG_RSVP     /* [event:|shift:]ID: an RSVP to it, in the statuses --rsvp-status
	                   gives (else a live one) */
};

/* A named filter: adding one to st_filters[] adds the st-query option, its
 * help, its completion and its use in saved segments. */
struct st_filter_def {
	const char *name;        /* the option without "--" */
	enum st_filter_arg arg;
	const char *metavar;     /* for help, e.g. "NAME[,NAME...]"; NULL for flags */
	const char *help;
	const char *sql;         /* a condition on contacts c; "@" stands for the argument's
	                            placeholders (?, ?, ... for a list) */
};

extern const struct st_filter_def st_filters[];
extern const size_t st_nfilters;

/* The filter called name, or NULL. */
const struct st_filter_def *st_filter_find(const char *name);

struct st_query;

struct st_query *st_query_new(void);
void st_query_free(struct st_query *q);

/* Add filter name with value (NULL for flags); checks the value. */
int st_query_add(struct st_query *q, const char *name, const char *value, struct st_error *err);

/* Combine the filters with OR instead of AND. */
void st_query_set_any(struct st_query *q, int any);

/* Number of filters added so far. */
size_t st_query_count(const struct st_query *q);

/* Add saved segment name as one condition (its filters combined its own
 * way, and with q's others as q says); fails if there is no such segment. */
int st_query_load(sqlite3 *db, struct st_query *q, const char *name, struct st_error *err);

/* Save q's filters as segment name, replacing one of that name. */
int st_query_save(sqlite3 *db, const struct st_query *q, const char *name, struct st_error *err);

/* Write the contacts q selects to out, ordered by id: columns is a comma
 * list of contact fields, "tags", or extra field names (NULL for the default
 * id,first_name,last_name,phone,email,zip,lang); limit < 0 for no limit.
 * *nrows gets the number of rows written. */
int st_query_run(sqlite3 *db, const struct st_query *q, const char *columns, long limit,
    struct st_out *out, long *nrows, struct st_error *err);

/* Run SQL and write the rows of each statement that returns any to out.
 * Unless write, only one statement that does not write is accepted and the
 * connection is made query-only; with write, all statements run in one
 * transaction. Malformed SQL fails with ST_EXIT_DATA. Only the first result
 * set is written (later ones would not fit its columns). */
int st_sql_run(sqlite3 *db, const char *sql, int write, struct st_out *out, long *nrows,
    struct st_error *err);

/* Run one fixed read-only statement with n text parameters (NULL binds
 * NULL) and write its rows to out; *nrows gets how many. */
int st_query_sql(sqlite3 *db, const char *sql, const char *const *params, size_t n,
    struct st_out *out, long *nrows, struct st_error *err);

/* Write the named report to out: "attendance" (per event: shifts, RSVPs,
 * confirmed, attended, walk-ins, show rate). */
int st_report(sqlite3 *db, const char *name, struct st_out *out, long *nrows,
    struct st_error *err);

/* The saved segments as (name, definition) pairs to out. */
int st_segments_list(sqlite3 *db, struct st_out *out, struct st_error *err);

/* Words worth completing at a prompt: filter options, table names, column
 * names of every table, and @segment names. NULL-terminated; free with
 * st_strv_free. */
char **st_query_words(sqlite3 *db);

#endif
