#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>

#include "st/db.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/util.h"

/* Generated from share/sql/ by the Makefile: one entry per migration, in order. */
extern const char *const st_migrations[];
extern const int st_nmigrations;

int
st_db_schema_version(void)
{
	return st_nmigrations;
}

const char *
st_db_path(const char *path)
{
	const char *env;

	if (path && *path)
		return path;
	env = getenv("ST_DB");
	if (env && *env)
		return env;
	return "st.db";
}

int
st_db_exec(sqlite3 *db, const char *sql, struct st_error *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_error_db(err, db, "database error");
	return 0;
}

sqlite3_stmt *
st_db_prepare(sqlite3 *db, const char *sql, struct st_error *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		st_error_db(err, db, "cannot prepare statement");
		return NULL;
	}
	return st;
}

/* What st keeps per connection: how deep its transactions are nested (a
 * begin inside a transaction is a savepoint, so library functions that keep
 * their own transaction compose inside a caller's, such as an import's
 * batch), and the statements st_db_execf and st_db_scalarf prepared, so a
 * loop that calls them does not prepare them again each time. */
#define NCACHE 48
struct conn {
	sqlite3 *db;
	int depth;
	struct {
		uint64_t hash;
		char *sql;
		sqlite3_stmt *st;
	} cache[NCACHE];
	unsigned next;
	struct conn *link;
};
static struct conn *conns;

static struct conn *
conn_of(sqlite3 *db)
{
	struct conn *c;

	for (c = conns; c && c->db != db; c = c->link)
		;
	if (c == NULL) {
		c = st_xcalloc(1, sizeof(*c));
		c->db = db;
		c->link = conns;
		conns = c;
	}
	return c;
}

/* A statement for sql, prepared once per connection and reset for reuse. */
static sqlite3_stmt *
cached(sqlite3 *db, const char *sql, struct st_error *err)
{
	struct conn *c = conn_of(db);
	uint64_t h = st_hash(ST_HASH_INIT, sql, strlen(sql));
	unsigned i;

	for (i = 0; i < NCACHE; i++) {
		if (c->cache[i].st && c->cache[i].hash == h && strcmp(c->cache[i].sql, sql) == 0) {
			sqlite3_reset(c->cache[i].st);
			sqlite3_clear_bindings(c->cache[i].st);
			return c->cache[i].st;
		}
	}
	i = c->next++ % NCACHE;
	sqlite3_finalize(c->cache[i].st);
	free(c->cache[i].sql);
	c->cache[i].st = st_db_prepare(db, sql, err);
	c->cache[i].sql = c->cache[i].st ? st_xstrdup(sql) : NULL;
	c->cache[i].hash = h;
	return c->cache[i].st;
}

/* Run a statement without parameters that returns no rows, prepared once. */
static int
step_cached(sqlite3 *db, const char *sql)
{
	struct st_error err = { 0 };
	sqlite3_stmt *st = cached(db, sql, &err);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
st_db_writeback(sqlite3 *db)
{
#ifdef SYNC_FILE_RANGE_WRITE
	const char *path = sqlite3_db_filename(db, "main");
	int fd = path && *path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
	}
#else
	(void)db;
#endif
}

int
st_db_close(sqlite3 *db)
{
	struct conn **p, *c;
	unsigned i;

	for (p = &conns; *p && (*p)->db != db; p = &(*p)->link)
		;
	if ((c = *p) != NULL) {
		*p = c->link;
		for (i = 0; i < NCACHE; i++) {
			sqlite3_finalize(c->cache[i].st);
			free(c->cache[i].sql);
		}
		free(c);
	}
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
}

int
st_db_begin(sqlite3 *db, struct st_error *err)
{
	struct conn *n = conn_of(db);

	if (n->depth > 0) {
		if (step_cached(db, "SAVEPOINT st_nested") < 0)
			return st_error_db(err, db, "cannot start a savepoint");
		n->depth++;
		return 0;
	}
	if (sqlite3_db_readonly(db, "main") == 1)
		return st_error_set(err, ST_EXIT_FAIL, "database '%s' is read-only",
		    sqlite3_db_filename(db, "main"));
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return st_error_db(err, db, "cannot start a transaction on '%s'",
		    sqlite3_db_filename(db, "main"));
	n->depth = 1;
	return 0;
}

int
st_db_commit(sqlite3 *db, struct st_error *err)
{
	struct conn *n = conn_of(db);

	if (n->depth > 1) {
		if (step_cached(db, "RELEASE st_nested") < 0) {
			st_error_db(err, db, "cannot release a savepoint");
			st_db_rollback(db);
			return -1;
		}
		n->depth--;
		return 0;
	}
	n->depth = 0;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		st_error_db(err, db, "cannot commit to '%s'", sqlite3_db_filename(db, "main"));
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void
st_db_rollback(sqlite3 *db)
{
	struct conn *n = conn_of(db);

	if (n->depth > 1) {
		step_cached(db, "ROLLBACK TO st_nested");
		step_cached(db, "RELEASE st_nested");
		n->depth--;
		return;
	}
	n->depth = 0;
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static int
user_version(sqlite3 *db, int *v, struct st_error *err)
{
	sqlite3_stmt *st = st_db_prepare(db, "PRAGMA user_version", err);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return st_error_db(err, db, "cannot read the schema version");
	return 0;
}

static int
migrate(sqlite3 *db, const char *path, struct st_error *err)
{
	int v, i;
	char sql[64];

	if (user_version(db, &v, err) < 0)
		return -1;
	if (v > st_nmigrations)
		return st_error_set(err, ST_EXIT_FAIL,
		    "database '%s' has schema version %d, newer than this st (%d)", path, v,
		    st_nmigrations);
	if (v == st_nmigrations)
		return 0;
	if (st_db_begin(db, err) < 0)
		return -1;
	/* Re-read inside the write lock: a concurrent first run may have migrated. */
	if (user_version(db, &v, err) < 0)
		goto fail;
	for (i = v; i < st_nmigrations; i++) {
		if (sqlite3_exec(db, st_migrations[i], NULL, NULL, NULL) != SQLITE_OK) {
			st_error_db(err, db, "cannot migrate '%s' to schema version %d", path, i + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", st_nmigrations);
	if (st_db_exec(db, sql, err) < 0)
		goto fail;
	return st_db_commit(db, err);
fail:
	st_db_rollback(db);
	return -1;
}

int
st_db_open(sqlite3 **out, const char *path, struct st_error *err)
{
	sqlite3 *db = NULL;
	const char *env = getenv("ST_BUSY_TIMEOUT");
	long timeout = 10000;
	struct stat sb;
	int fd, created = 0;

	path = st_db_path(path);
	if (env && st_parse_long(env, 0, 86400000, &timeout) < 0)
		return st_error_set(err, ST_EXIT_USAGE, "invalid ST_BUSY_TIMEOUT '%s'", env);
	/* Contact data: create the file 0600 before SQLite does it with the umask. */
	if (strncmp(path, "file:", 5) != 0 && stat(path, &sb) < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno != EEXIST)
			return st_error_set(err, ST_EXIT_FAIL, "cannot create database '%s': %s",
			    path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			created = 1;
		}
	}
	/* No memory statistics: keeping them takes a lock that every allocation of
	 * every thread contends for (an import's reader thread has a connection of
	 * its own). Only possible before SQLite's first use. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
		st_error_db(err, db, "cannot open database '%s'", path);
		st_db_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, (int)timeout);
	/* Keep the WAL and its index between the many short commands that open the
	 * database (cron, pipelines) instead of making and deleting them each time. */
	{
		int on = 1;

		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	}
	sqlite3_extended_result_codes(db, 1);
	if (st_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	/* Contacts rows are wide: bigger pages mean fewer of them (set before WAL). */
	if (created && st_db_exec(db, "PRAGMA page_size = 8192", err) < 0)
		goto fail;
	if (!sqlite3_db_readonly(db, "main") &&
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		st_error_db(err, db, "cannot open database '%s'", path);
		goto fail;
	}
	/* Truncate the WAL after a big import's checkpoint instead of leaving it on disk. */
	if (st_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864",
	    err) < 0)
		goto fail;
	if (migrate(db, path, err) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	st_db_close(db);
	return -1;
}

/* Prepare sql and bind arguments by a type string: 'i' long, 'I' long or
 * NULL when <= 0, 't' text (NULL binds NULL), 'd' double, 'n' a double bound as
 * NULL, '-' a long bound as NULL. */
static sqlite3_stmt *
vprep(sqlite3 *db, struct st_error *err, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = cached(db, sql, err);
	int i;

	for (i = 0; st && types[i]; i++) {
		long l;
		const char *s;

		switch (types[i]) {
		case 'i':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long));
			break;
		case 'I':
			l = va_arg(ap, long);
			if (l > 0)
				sqlite3_bind_int64(st, i + 1, l);
			break;
		case 't':
			s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			break;
		case 'd':
			sqlite3_bind_double(st, i + 1, va_arg(ap, double));
			break;
		case 'n':
			(void)va_arg(ap, double);
			break;
		case '-':
			(void)va_arg(ap, long);
			break;
		default:
			break;
		}
	}
	return st;
}

/* Run sql with its parameters: with out, as st_db_scalarf; without, as st_db_execf. */
static long
vrun(sqlite3 *db, struct st_error *err, long *out, const char *sql, const char *types,
    va_list ap)
{
	sqlite3_stmt *st = vprep(db, err, sql, types, ap);
	long rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = st_error_db(err, db, "database error");
	} else if (out == NULL) {
		rc = sqlite3_changes(db);
	} else if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = (long)sqlite3_column_int64(st, 0);
		rc = 1;
	} else {
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

char *
st_db_textf(sqlite3 *db, struct st_error *err, int *rc, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, types);
	st = vprep(db, err, sql, types, ap);
	va_end(ap);
	*rc = -1;
	if (st == NULL)
		return NULL;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = st_xstrdup((const char *)sqlite3_column_text(st, 0));
		*rc = 1;
	} else if (r == SQLITE_DONE) {
		*rc = 0;
	} else {
		st_error_db(err, db, "database error");
	}
	sqlite3_reset(st);
	return v;
}

long
st_db_execf(sqlite3 *db, struct st_error *err, const char *sql, const char *types, ...)
{
	va_list ap;
	long rc;

	va_start(ap, types);
	rc = vrun(db, err, NULL, sql, types, ap);
	va_end(ap);
	return rc;
}

int
st_db_scalarf(sqlite3 *db, struct st_error *err, long *out, const char *sql, const char *types,
    ...)
{
	va_list ap;
	long rc;

	va_start(ap, types);
	rc = vrun(db, err, out, sql, types, ap);
	va_end(ap);
	return (int)rc;
}
