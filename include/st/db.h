/* The one shared database: open, create, migrate. */
#ifndef ST_DB_H
#define ST_DB_H

#include <sqlite3.h>

struct st_error;

/* The schema version this build migrates to (PRAGMA user_version). */
int st_db_schema_version(void);

/* The database path: path if not NULL, else $ST_DB, else "st.db". */
const char *st_db_path(const char *path);

/* Open (creating if needed) the database at st_db_path(path), set WAL mode,
 * foreign keys and a busy timeout ($ST_BUSY_TIMEOUT ms, default 10000), and
 * apply pending migrations, each in its own transaction. A new database file
 * is created with mode 0600. An SQLite URI ("file:st.db?mode=ro") is
 * accepted. Returns 0 and *out, or -1 and err. */
int st_db_open(sqlite3 **out, const char *path, struct st_error *err);

/* Close a database st_db_open opened, with the statements st keeps for it.
 * Returns 0, or -1 if SQLite could not close it. */
int st_db_close(sqlite3 *db);

/* Run sql (one or more statements, no parameters) and fill err on failure. */
int st_db_exec(sqlite3 *db, const char *sql, struct st_error *err);

/* Prepare sql; on failure fill err and return NULL. */
sqlite3_stmt *st_db_prepare(sqlite3 *db, const char *sql, struct st_error *err);

/* Run one statement (prepared once per connection and kept until
 * st_db_close) with parameters given by a type string, one letter a
 * parameter in order: 'i' a long, 'I' a long bound as NULL when <= 0, 't' a
 * string (NULL binds NULL), 'd' a double, 'n' a double bound as NULL, '-' a
 * long bound as NULL. Returns the number of rows changed, or -1 and err. */
long st_db_execf(sqlite3 *db, struct st_error *err, const char *sql, const char *types, ...);

/* The same for a query: its first column of the first row as a long in *out;
 * returns 1, or 0 if there is no row (or it is NULL), or -1 and err. */
int st_db_scalarf(sqlite3 *db, struct st_error *err, long *out, const char *sql,
    const char *types, ...);

/* The same for text: a copy of the first column of the first row (NULL if
 * there is none or it is NULL; free it); *rc gets 1 for a row, 0 for none,
 * -1 on error (err filled). */
char *st_db_textf(sqlite3 *db, struct st_error *err, int *rc, const char *sql,
    const char *types, ...);

/* BEGIN IMMEDIATE (waiting on the busy timeout), COMMIT and ROLLBACK. Inside
 * a transaction begun by st_db_begin they nest: a savepoint that commit
 * releases and rollback rolls back to, so a function that keeps its own
 * transaction can run as one step of a caller's. */
int st_db_begin(sqlite3 *db, struct st_error *err);
int st_db_commit(sqlite3 *db, struct st_error *err);
void st_db_rollback(sqlite3 *db);

/* Start writing what a long transaction has written to the database file so
 * far out to disk (Linux; elsewhere nothing), without waiting: its commit's
 * fsync then has less to wait for. Best effort. */
void st_db_writeback(sqlite3 *db);

#endif
