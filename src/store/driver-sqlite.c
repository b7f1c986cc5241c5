/* driver-sqlite: the SQLite backend of the store.
 *
 * One sqlite3 handle per thread (opened NOMUTEX: a connection is never
 * shared), each in WAL mode with synchronous=FULL so that a COMMIT that
 * returned is on disk; the writer's with synchronous=NORMAL, its log
 * flushed by sqlite_make_durable after the write lock is released. Statements are cached per
 * connection in a small open-addressing table keyed by the SQL text. Callers' "$1".."$N" are SQLite
 * named parameters, so $n is bound by looking its name up, which lets "$2" appear before "$1". The
 * schema comes from migrations-sqlite.h and is applied in one IMMEDIATE transaction. */
#include "store/migrations-sqlite.h"
#include "store/store-private.h"
#include "store/tokenize.h"

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    STORE_SQLITE_MIN_VERSION = 3037000, /* STRICT tables */
    /* the log's length (in pages) after a commit of the writer that... */
    STORE_SQLITE_CKPT_WAKE = 1000,   /* ...wakes the checkpointer */
    STORE_SQLITE_CKPT_RESET = 8000,  /* ...copies the rest itself, if that is little */
    STORE_SQLITE_CKPT_TAIL = 2000,   /* (little: at most this many pages) */
    STORE_SQLITE_CKPT_FORCE = 32000, /* ...copies the rest itself, however much */
};

/* Per-connection pragmas (journal_mode is set and checked first). */
static const char sqlite_conn_pragmas[] = "PRAGMA synchronous = FULL;"
                                          "PRAGMA foreign_keys = ON;"
                                          "PRAGMA temp_store = MEMORY;"
                                          /* 4 MB of page cache per connection
                                           * and no mmap: memory stays small
                                           * and the OS caches the file (8 MB
                                           * made lists no faster in the
                                           * benchmark, and every worker
                                           * thread has one) */
                                          "PRAGMA cache_size = -4000;"
                                          "PRAGMA mmap_size = 0;";

struct sqlite_store {
    struct store base;
    char *path;
    int busy_timeout_ms;
    char *wal_path; /* the write-ahead log, which make_durable flushes */
    int wal_fd;     /* open on it, or -1 */
    /* the checkpointer (see sqlite_ckpt_main) */
    pthread_mutex_t ckpt_mu; /* guards the fields below */
    pthread_cond_t ckpt_cv;
    pthread_t ckpt_thread;
    bool ckpt_started, ckpt_wanted, ckpt_stop;
    int ckpt_done; /* log pages copied by its last pass */
};

struct sqlite_stmt {
    struct store_stmt base;
    sqlite3_stmt *st;
    int bind_rc; /* first failed bind, reported by the next step */
};

struct sqlite_conn {
    struct store_conn base;
    sqlite3 *db;
    struct store_cache cache;
};

static struct sqlite_conn *sqlite_conn_of(struct store_conn *c)
{
    return container_of(c, struct sqlite_conn, base);
}

static struct sqlite_stmt *sqlite_stmt_of(struct store_stmt *st)
{
    return container_of(st, struct sqlite_stmt, base);
}

/* ---- errors ---- */

/* Fills e for SQLite result code rc (extended codes are on): uniqueness
 * is a conflict, a locked or full database is 503, the rest is 500. */
static void sqlite_fail(sqlite3 *db, int rc, struct err *e, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        err_set(e, 409, "conflict", "", "%s", msg);
        return;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        err_set(e, 503, "busy", "", "the database is busy, try again: %s", msg);
        break;
    case SQLITE_FULL:
        err_set(e, 503, "storage-full", "", "the disk holding the database is full");
        break;
    default:
        err_set(e, 500, "storage-error", "", "%s: %s", what, msg);
        break;
    }
}

/* Runs SQL text (one or more statements, rows ignored). */
static int sqlite_exec_text(sqlite3 *db, const char *sql, const char *what, struct err *e)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    sqlite_fail(db, sqlite3_extended_errcode(db), e, what);
    return -1;
}

/* ---- statements and their cache ---- */

static bool sqlite_only_space(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ';')
        s++;
    return *s == '\0';
}

/* Compiles exactly one statement; NULL + e on failure. */
static struct sqlite_stmt *sqlite_compile(struct sqlite_conn *c, const char *sql, bool persistent,
                                          struct err *e)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, flags, &st, &tail);
    if (rc != SQLITE_OK) {
        sqlite_fail(c->db, sqlite3_extended_errcode(c->db), e, "cannot prepare SQL");
        return NULL;
    }
    if (!st || !sqlite_only_space(tail)) {
        sqlite3_finalize(st);
        err_internal(e, "store_prepare wants exactly one SQL statement");
        return NULL;
    }
    struct sqlite_stmt *s = xcalloc(1, sizeof *s);
    s->base.conn = &c->base;
    s->st = st;
    return s;
}

static void sqlite_stmt_free(struct sqlite_stmt *s)
{
    sqlite3_finalize(s->st); /* returns the last step's error, already reported */
    free(s->base.key);
    free(s);
}

static void sqlite_cache_clear(struct sqlite_conn *c)
{
    for (size_t i = 0; i < STORE_CACHE_SLOTS; i++) {
        if (c->cache.slot[i])
            sqlite_stmt_free(sqlite_stmt_of(c->cache.slot[i]));
        c->cache.slot[i] = NULL;
    }
    c->cache.n = 0;
}

/* A cached statement already handed out (the same SQL used while an
 * earlier use is still stepping) gets a transient twin rather than being
 * shared. */
static struct store_stmt *sqlite_prepare(struct store_conn *cb, const char *sql, bool cache,
                                         struct err *e)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    if (!cache) {
        struct sqlite_stmt *once = sqlite_compile(c, sql, false, e);
        return once ? &once->base : NULL;
    }
    size_t i;
    uint32_t h;
    struct store_stmt *found = store_cache_find(&c->cache, sql, &i, &h);
    struct sqlite_stmt *s = found ? sqlite_stmt_of(found) : NULL;
    if (!s) {
        s = sqlite_compile(c, sql, true, e);
        if (!s)
            return NULL;
        s->base.cached = true;
        store_cache_put(&c->cache, i, &s->base, sql, h);
    }
    s->base.busy = true;
    return &s->base;
}

/* Cached statements are kept for reuse; bindings are cleared so that a
 * forgotten bind is NULL rather than the previous caller's value. */
static void sqlite_reset(struct store_stmt *sb)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    if (s->base.cached && !s->base.in_cache) {
        sqlite_stmt_free(s);
        return;
    }
    sqlite3_reset(s->st); /* returns the last step's error, already reported */
    sqlite3_clear_bindings(s->st);
    s->bind_rc = SQLITE_OK;
    s->base.busy = false;
}

/* Finalising a statement owned by the cache only resets it (the cache
 * still points to it). */
static void sqlite_finalize(struct store_stmt *sb)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    if (s->base.in_cache)
        sqlite_reset(sb);
    else
        sqlite_stmt_free(s);
}

/* ---- binding and stepping ---- */

/* SQLite's index of "$n"; 0 (after an assertion in debug builds) when the
 * statement has no such parameter, which is a programming error. */
static int sqlite_param(struct sqlite_stmt *s, int n)
{
    char name[16];
    int len = snprintf(name, sizeof name, "$%d", n);
    assert(len > 0 && (size_t)len < sizeof name);
    (void)len;
    int i = sqlite3_bind_parameter_index(s->st, name);
    assert(i > 0 && "store: binding a $n that the statement does not contain");
    return i;
}

static void sqlite_bound(struct sqlite_stmt *s, int rc)
{
    if (rc != SQLITE_OK && s->bind_rc == SQLITE_OK)
        s->bind_rc = rc;
}

static void sqlite_bind_text(struct store_stmt *sb, int n, const char *p, size_t len)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    int i = sqlite_param(s, n);
    if (i > 0)
        sqlite_bound(s, sqlite3_bind_text64(s->st, i, p, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static void sqlite_bind_int64(struct store_stmt *sb, int n, int64_t v)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    int i = sqlite_param(s, n);
    if (i > 0)
        sqlite_bound(s, sqlite3_bind_int64(s->st, i, v));
}

static void sqlite_bind_null(struct store_stmt *sb, int n)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    int i = sqlite_param(s, n);
    if (i > 0)
        sqlite_bound(s, sqlite3_bind_null(s->st, i));
}

static int sqlite_step(struct store_stmt *sb, struct err *e)
{
    struct sqlite_stmt *s = sqlite_stmt_of(sb);
    if (s->bind_rc != SQLITE_OK) {
        err_set(e, 500, "storage-error", "", "cannot bind a parameter: %s",
                sqlite3_errstr(s->bind_rc));
        return STORE_ERROR;
    }
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return STORE_ROW;
    if (rc == SQLITE_DONE)
        return STORE_DONE;
    sqlite_fail(sqlite3_db_handle(s->st), rc, e, "statement failed");
    return STORE_ERROR;
}

static const char *sqlite_col_text(struct store_stmt *sb, int i)
{
    return (const char *)sqlite3_column_text(sqlite_stmt_of(sb)->st, i);
}

/* Valid after sqlite_col_text for the same column (the text form's size). */
static size_t sqlite_col_bytes(struct store_stmt *sb, int i)
{
    return (size_t)sqlite3_column_bytes(sqlite_stmt_of(sb)->st, i);
}

static int64_t sqlite_col_int64(struct store_stmt *sb, int i)
{
    return sqlite3_column_int64(sqlite_stmt_of(sb)->st, i);
}

static bool sqlite_col_null(struct store_stmt *sb, int i)
{
    return sqlite3_column_type(sqlite_stmt_of(sb)->st, i) == SQLITE_NULL;
}

/* ---- small helpers on a connection ---- */

/* Runs a cached statement without parameters, ignoring any rows. */
static int sqlite_run(struct sqlite_conn *c, const char *sql, struct err *e)
{
    struct store_stmt *st = sqlite_prepare(&c->base, sql, true, e);
    if (!st)
        return -1;
    int rc = sqlite_step(st, e);
    sqlite_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Like store_query_int64, copying column 0 as text into out. */
static int sqlite_query_text(struct sqlite_conn *c, const char *sql, char *out, size_t n,
                             struct err *e)
{
    struct store_stmt *st = sqlite_prepare(&c->base, sql, true, e);
    if (!st)
        return -1;
    int rc = sqlite_step(st, e);
    if (rc == STORE_ROW) {
        const char *t = sqlite_col_text(st, 0);
        snprintf(out, n, "%s", t ? t : "");
    } else if (rc == STORE_DONE) {
        err_internal(e, "%s returned no row", sql);
    }
    sqlite_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

/* ---- stores and connections ---- */

static struct store *sqlite_open(const char *path, const struct store_options *opt, struct err *e)
{
    if (sqlite3_libversion_number() < STORE_SQLITE_MIN_VERSION || !sqlite3_threadsafe()) {
        err_set(e, 500, "storage-error", "", "SQLite %s is too old or not thread-safe",
                sqlite3_libversion());
        return NULL;
    }
    /* An empty file is a database SQLite would initialise: refuse it before
     * any connection writes a header to it. */
    struct stat st;
    if (opt->must_exist && (stat(path, &st) < 0 || st.st_size == 0)) {
        store_refuse_empty(e, path);
        return NULL;
    }
    struct sqlite_store *s = xcalloc(1, sizeof *s);
    s->base.v = &store_sqlite_vfuncs;
    s->path = xstrdup(path);
    s->busy_timeout_ms = opt->busy_timeout_ms;
    size_t n = strlen(path) + sizeof "-wal";
    s->wal_path = xmalloc(n);
    snprintf(s->wal_path, n, "%s-wal", path);
    s->wal_fd = -1;
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    return &s->base;
}

static void sqlite_close(struct store *sb)
{
    struct sqlite_store *s = container_of(sb, struct sqlite_store, base);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_mutex_destroy(&s->ckpt_mu);
    free(s->wal_path);
    free(s->path);
    free(s);
}

static void sqlite_ap_words(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* ap_not_date(t) and ap_not_hex(t) (store.h). */
static void sqlite_ap_not_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    int y, m, d;
    char again[16];
    if (!t) {
        sqlite3_result_null(ctx);
        return;
    }
    bool ok = strlen(t) == 10 && time_parse_date(t, &y, &m, &d) == 0 &&
              snprintf(again, sizeof again, "%04d-%02d-%02d", y, m, d) == 10 &&
              strcmp(again, t) == 0;
    sqlite3_result_int(ctx, !ok);
}

static void sqlite_ap_not_hex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    if (!t) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_int(ctx, t[strspn(t, "0123456789abcdef")] != '\0');
}

/* Connection settings: WAL (checked: some file systems refuse it),
 * synchronous=FULL, foreign keys, a busy timeout, defensive mode. */
static int sqlite_configure(struct sqlite_conn *c, int busy_ms, struct err *e)
{
    if (sqlite3_extended_result_codes(c->db, 1) != SQLITE_OK ||
        sqlite3_busy_timeout(c->db, busy_ms) != SQLITE_OK ||
        sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) != SQLITE_OK) {
        sqlite_fail(c->db, sqlite3_extended_errcode(c->db), e, "cannot configure SQLite");
        return -1;
    }
    char mode[16];
    if (sqlite_query_text(c, "PRAGMA journal_mode = WAL", mode, sizeof mode, e) < 0)
        return -1;
    if (strcmp(mode, "wal") != 0) {
        err_set(e, 500, "storage-error", "", "the database cannot use WAL (journal mode %s)", mode);
        return -1;
    }
    if (sqlite3_create_function(c->db, "ap_words", 2,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                sqlite_ap_words, NULL, NULL) != SQLITE_OK) {
        sqlite_fail(c->db, sqlite3_extended_errcode(c->db), e, "cannot define ap_words");
        return -1;
    }
    const int pure = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (sqlite3_create_function(c->db, "ap_not_date", 1, pure, NULL, sqlite_ap_not_date, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_create_function(c->db, "ap_not_hex", 1, pure, NULL, sqlite_ap_not_hex, NULL,
                                NULL) != SQLITE_OK) {
        sqlite_fail(c->db, sqlite3_extended_errcode(c->db), e, "cannot define the checks");
        return -1;
    }
    return sqlite_exec_text(c->db, sqlite_conn_pragmas, "cannot set connection pragmas", e);
}

static void sqlite_conn_free(struct sqlite_conn *c)
{
    sqlite_cache_clear(c);
    int rc = sqlite3_close(c->db);
    if (rc == SQLITE_BUSY) {
        /* Statements the caller never finalised: finalise them so that the
         * handle really closes, and say so (it is a leak in the caller). */
        log_msg(LOG_WARN, "store: closing a connection with unfinalised statements");
        sqlite3_stmt *st;
        while ((st = sqlite3_next_stmt(c->db, NULL)) != NULL)
            sqlite3_finalize(st);
        rc = sqlite3_close(c->db);
    }
    if (rc != SQLITE_OK)
        log_msg(LOG_ERROR, "store: cannot close the database: %s", sqlite3_errstr(rc));
    free(c);
}

static struct store_conn *sqlite_conn_open(struct store *sb, struct err *e)
{
    struct sqlite_store *s = container_of(sb, struct sqlite_store, base);
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(s->path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, 500, "storage-error", "", "cannot open %.200s: %s", s->path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db); /* a handle is returned even on failure */
        return NULL;
    }
    struct sqlite_conn *c = xcalloc(1, sizeof *c);
    c->db = db;
    if (sqlite_configure(c, s->busy_timeout_ms, e) < 0) {
        sqlite_conn_free(c);
        return NULL;
    }
    return &c->base;
}

/* ---- the checkpointer ---- */

/* A checkpoint copies the log's pages into the database and syncs both.
 * SQLite's automatic one runs inside the COMMIT that finds the log long,
 * and every writer waits behind it (in the benchmark it made the 99th
 * percentile of creates 40 ms instead of 7). Here the writer's commits
 * wake a thread that checkpoints on a connection of its own (PASSIVE: it
 * neither waits for nor blocks anyone). While writes go on it cannot reach
 * the end of the log, and the log starts over only once all of it is
 * copied; so when the log is long and the thread's last pass left little,
 * the writer copies that rest itself after its commit, and its next
 * transaction starts the log over. */
static int sqlite_ckpt(sqlite3 *db, int *copied)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        log_msg(LOG_WARN, "store: checkpoint failed: %s", sqlite3_errmsg(db));
    if (copied)
        *copied = rc == SQLITE_OK ? done : 0;
    return rc;
}

static void *sqlite_ckpt_main(void *arg)
{
    struct sqlite_store *s = arg;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* the log is opened by a first use of the database */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        log_msg(LOG_ERROR, "store: the checkpointer cannot open the database: %s",
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        db = NULL;
    }
    pthread_mutex_lock(&s->ckpt_mu);
    for (;;) {
        while (!s->ckpt_wanted && !s->ckpt_stop)
            pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
        if (s->ckpt_stop)
            break;
        s->ckpt_wanted = false;
        pthread_mutex_unlock(&s->ckpt_mu);
        int done = 0;
        if (db)
            sqlite_ckpt(db, &done);
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_done = done;
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    sqlite3_close(db);
    return NULL;
}

/* sqlite3_wal_hook of the writer, after each of its commits (in place of
 * the automatic checkpoint); `pages` is the log's length. */
static int sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)name;
    struct sqlite_store *s = arg;
    if (pages < STORE_SQLITE_CKPT_WAKE)
        return SQLITE_OK;
    pthread_mutex_lock(&s->ckpt_mu);
    if (!s->ckpt_started && !s->ckpt_stop)
        s->ckpt_started = pthread_create(&s->ckpt_thread, NULL, sqlite_ckpt_main, s) == 0;
    bool rest =
        pages >= STORE_SQLITE_CKPT_FORCE || !s->ckpt_started ||
        (pages >= STORE_SQLITE_CKPT_RESET && pages - s->ckpt_done <= STORE_SQLITE_CKPT_TAIL);
    if (!rest) {
        s->ckpt_wanted = true;
        pthread_cond_signal(&s->ckpt_cv);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    if (rest && sqlite_ckpt(db, NULL) == SQLITE_OK) {
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_done = 0; /* the log starts over */
        pthread_mutex_unlock(&s->ckpt_mu);
    }
    return SQLITE_OK;
}

static void sqlite_ckpt_stop(struct sqlite_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    s->ckpt_stop = true;
    bool started = s->ckpt_started;
    s->ckpt_started = false;
    pthread_cond_signal(&s->ckpt_cv);
    pthread_mutex_unlock(&s->ckpt_mu);
    if (started)
        pthread_join(s->ckpt_thread, NULL);
}

/* Housekeeping when the store closes: refresh planner statistics and fold
 * the WAL into the database, without waiting for other processes. */
static void sqlite_housekeeping(struct sqlite_conn *c)
{
    struct err e = ERR_INIT;
    if (sqlite_exec_text(c->db, "PRAGMA optimize", "PRAGMA optimize", &e) < 0)
        log_msg(LOG_WARN, "store: %s", e.detail);
    if (sqlite3_busy_timeout(c->db, 0) != SQLITE_OK)
        return;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        log_msg(LOG_WARN, "store: checkpoint failed: %s", sqlite3_errmsg(c->db));
}

static void sqlite_conn_close(struct store_conn *cb, bool last)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    sqlite_cache_clear(c);
    if (last) {
        sqlite_ckpt_stop(container_of(cb->store, struct sqlite_store, base));
        sqlite_housekeeping(c);
    }
    sqlite_conn_free(c);
}

/* ---- transactions ---- */

static void sqlite_rollback(struct store_conn *cb)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    if (sqlite3_get_autocommit(c->db))
        return; /* SQLite already rolled back (after a failed statement) */
    struct err ignored = ERR_INIT;
    (void)sqlite_run(c, "ROLLBACK", &ignored);
}

/* A write transaction takes the write lock now, waiting up to the busy
 * timeout; a read transaction takes its snapshot at the first read. */
static int sqlite_begin(struct store_conn *cb, bool write, struct err *e)
{
    return sqlite_run(sqlite_conn_of(cb), write ? "BEGIN IMMEDIATE" : "BEGIN", e);
}

static int sqlite_commit(struct store_conn *cb, struct err *e)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    if (sqlite3_get_autocommit(c->db)) {
        err_set(e, 500, "storage-error", "",
                "the transaction was rolled back by SQLite after an earlier error");
        return -1;
    }
    if (sqlite_run(c, "COMMIT", e) == 0)
        return 0;
    sqlite_rollback(cb);
    return -1;
}

/* ---- migrations ---- */

/* Sets *applied when schema_migrations records version v. */
static int sqlite_version_applied(struct sqlite_conn *c, size_t v, bool *applied, struct err *e)
{
    struct store_stmt *st =
        sqlite_prepare(&c->base, "SELECT 1 FROM schema_migrations WHERE version = $1", false, e);
    if (!st)
        return -1;
    sqlite_bind_int64(st, 1, (int64_t)v);
    int rc = sqlite_step(st, e);
    *applied = rc == STORE_ROW;
    sqlite_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Applies migration v (1-based) and records it. */
static int sqlite_apply(struct sqlite_conn *c, size_t v, struct err *e)
{
    char what[48];
    snprintf(what, sizeof what, "migration %zu failed", v);
    if (sqlite_exec_text(c->db, sqlite_migrations[v - 1], what, e) < 0)
        return -1;
    struct store_stmt *st = sqlite_prepare(
        &c->base, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", false, e);
    if (!st)
        return -1;
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    sqlite_bind_int64(st, 1, (int64_t)v);
    sqlite_bind_text(st, 2, now, strlen(now));
    int rc = sqlite_step(st, e);
    sqlite_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The body of the migration transaction. */
static int sqlite_migrate_tx(struct sqlite_conn *c, struct err *e)
{
    if (sqlite_exec_text(c->db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations("
                         "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT",
                         "cannot create schema_migrations", e) < 0)
        return -1;
    int64_t newest = 0;
    if (store_query_int64(&c->base, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                          &newest, e) < 0)
        return -1;
    if (newest == 0 && c->base.store->must_exist) {
        store_refuse_empty(e, container_of(c->base.store, struct sqlite_store, base)->path);
        return -1;
    }
    if (newest > (int64_t)SQLITE_N_MIGRATIONS) {
        err_set(e, 500, "storage-error", "",
                "the database has schema version %lld but this program knows only %zu: "
                "use a newer archportal",
                (long long)newest, (size_t)SQLITE_N_MIGRATIONS);
        return -1;
    }
    for (size_t v = 1; v <= SQLITE_N_MIGRATIONS; v++) {
        bool applied = false;
        if (sqlite_version_applied(c, v, &applied, e) < 0)
            return -1;
        if (!applied && sqlite_apply(c, v, e) < 0)
            return -1;
    }
    return 0;
}

/* All pending migrations in one IMMEDIATE transaction: a failure leaves
 * the database as it was, and two processes starting together take turns. */
static int sqlite_migrate(struct store_conn *cb, struct err *e)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    if (sqlite_run(c, "BEGIN IMMEDIATE", e) < 0)
        return -1;
    if (sqlite_migrate_tx(c, e) < 0 || sqlite_run(c, "COMMIT", e) < 0) {
        sqlite_rollback(cb);
        return -1;
    }
    return 0;
}

/* ---- dialect ---- */

/* The fragments hold no '%' but their documented conversions, so they are
 * safe snprintf formats. A record matches by its own text (search_text,
 * through ap_words) or by the text of its documents (doc_fts). */
static const char *sqlite_sql(struct store_conn *c, enum store_sql which)
{
    switch (which) {
    case STORE_SQL_TEXT_MATCH:
        return "(EXISTS (SELECT 1 FROM search_text t WHERE t.rid = %1$s AND "
               "ap_words(t.body, $%2$d)) OR %1$s IN (SELECT rid FROM doc_fts WHERE doc_fts "
               "MATCH $%3$d))";
    case STORE_SQL_FTS_DOC_ROWS:
        return "SELECT DISTINCT rid FROM doc_fts WHERE doc_fts MATCH $%1$d ORDER BY rid";
    case STORE_SQL_JSON_INTS:
        return "json_each($%d)";
    case STORE_SQL_USE_INDEX:
        return "INDEXED BY %s";
    case STORE_SQL_DOC_ROW:
        return "rowid";
    }
    fatal("store_sql: unknown fragment %d", (int)which);
}

/* The tables' tokenizer ("unicode61 remove_diacritics 0 tokenchars _", as
 * their migration declares it) is store/tokenize.c's: test_store checks
 * that terms split by it are what the tables match. */

/* ap_words(text, words): 1 when every term of `words` is the prefix of a
 * term of `text`, both split by the full-text tokenizer (as the in-memory
 * word index matches them); NULL text matches nothing. */
struct sqlite_prefixes {
    struct buf text; /* the words' terms, one after the other */
    struct sqlite_prefix {
        size_t at, len;
        bool found;
    } * v;
    size_t n, cap, left;
};

static void sqlite_prefix_term(void *vctx, const char *tok, size_t n)
{
    struct sqlite_prefixes *p = vctx;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    p->v[p->n++] = (struct sqlite_prefix){p->text.len, n, false};
    if (buf_append(&p->text, tok, n) < 0)
        fatal("store: words too long");
}

static bool sqlite_text_term(void *vctx, const char *tok, size_t n)
{
    struct sqlite_prefixes *p = vctx;
    for (size_t i = 0; i < p->n; i++) {
        struct sqlite_prefix *w = &p->v[i];
        if (!w->found && n >= w->len && memcmp(tok, p->text.p + w->at, w->len) == 0) {
            w->found = true;
            if (--p->left == 0)
                return false; /* every word found: stop splitting */
        }
    }
    return true;
}

static void sqlite_ap_words(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    const char *words = (const char *)sqlite3_value_text(argv[1]);
    if (!text || !words) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    struct sqlite_prefixes p = {.n = 0};
    buf_init(&p.text, 0);
    int rc = store_tokenize(words, (size_t)sqlite3_value_bytes(argv[1]), sqlite_prefix_term, &p);
    p.left = p.n;
    if (rc == 0 && p.left)
        rc = store_tokenize_until(text, (size_t)sqlite3_value_bytes(argv[0]), sqlite_text_term, &p);
    if (rc == 0)
        sqlite3_result_int(ctx, p.left == 0);
    else
        sqlite3_result_error(ctx, "ap_words: the full-text tokenizer is not available", -1);
    buf_free(&p.text);
    free(p.v);
}

/* Appends w as an FTS5 string ("" doubles a quote) marked as a prefix. */
static int sqlite_fts_phrase(struct buf *b, const char *w)
{
    int rc = buf_putc(b, '"');
    for (const char *q; (q = strchr(w, '"')) != NULL; w = q + 1) {
        rc |= buf_append(b, w, (size_t)(q - w + 1)); /* up to and with the quote */
        rc |= buf_putc(b, '"');
    }
    rc |= buf_puts(b, w);
    rc |= buf_putc(b, '"');
    return rc;
}

/* Appends one prefix term per term the tokenizer splits a word into (as
 * the word index and ap_words split it), "AND" between terms. */
struct sqlite_query_terms {
    struct buf *b;
    size_t used; /* terms written */
    int rc;
};

static void sqlite_query_term(void *vctx, const char *t, size_t n)
{
    struct sqlite_query_terms *q = vctx;
    char term[256];
    if (n >= sizeof term)
        n = sizeof term - 1;
    memcpy(term, t, n);
    term[n] = '\0';
    if (q->used++ > 0)
        q->rc |= buf_puts(q->b, " AND ");
    q->rc |= sqlite_fts_phrase(q->b, term) | buf_putc(q->b, '*');
}

/* "w1"* AND "w2"* …: each word's terms as the tokenizer splits them; empty
 * words are skipped; no words give "" (which callers must not put in a
 * MATCH: it means "no full-text condition"). The tokenizer is there once
 * the migrations ran (they make FTS5 tables). */
/* With a collection: coll:"objects" AND body:(w1* AND w2*). The
 * collection is a token of the `coll` column, so the index alone answers
 * which records of a collection match. */
static char *sqlite_fts_query(struct store_conn *c, const char *collection,
                              const char *const *words, size_t n)
{
    struct buf terms;
    buf_init(&terms, 0);
    struct sqlite_query_terms qt = {&terms, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (words[i] && store_tokenize(words[i], strlen(words[i]), sqlite_query_term, &qt) < 0)
            fatal("store: the full-text tokenizer is not available");
    int rc = qt.rc;
    if (rc != 0)
        fatal("store: full-text query too large");
    if (qt.used == 0) {
        buf_free(&terms);
        return xstrdup("");
    }
    if (!collection)
        return buf_steal(&terms, NULL);
    struct buf b;
    buf_init(&b, 0);
    rc |= buf_puts(&b, "coll:");
    rc |= sqlite_fts_phrase(&b, collection);
    rc |= buf_puts(&b, " AND body:(");
    rc |= buf_append(&b, terms.p, terms.len);
    rc |= buf_putc(&b, ')');
    buf_free(&terms);
    if (rc != 0)
        fatal("store: full-text query too large");
    return buf_steal(&b, NULL);
}

/* Sampling (analysis_limit, SQLite 3.32+) keeps ANALYZE fast on large
 * databases; the statistics only need to be roughly right. */
static int sqlite_analyze(struct store *s, struct err *e)
{
    struct store_conn *c = store_conn(s);
    return store_exec(c, "PRAGMA analysis_limit = 2000", e, 0) < 0 ? -1
                                                                   : store_exec(c, "ANALYZE", e, 0);
}

/* The writer touches index pages all over a large database: give it the
 * cache that the many readers do without (24 MB: 40 MB made no more
 * creates per second in the benchmark, and cost the peak RSS target; 28 MB
 * went over it once the name's collation keys and the architecture's kinds
 * came, 06.12.2026). */
static int sqlite_make_writer(struct store_conn *c, struct err *e)
{
    /* synchronous=NORMAL: a commit writes the log without an fsync (the
     * log is still synced before each checkpoint, and a new log's header
     * at once); sqlite_make_durable then flushes it outside the lock. */
    if (store_exec(c, "PRAGMA cache_size = -24000", e, 0) < 0 ||
        store_exec(c, "PRAGMA synchronous = NORMAL", e, 0) < 0)
        return -1;
    /* checkpoints: see sqlite_wal_hook (it replaces the automatic one) */
    sqlite3_wal_hook(sqlite_conn_of(c)->db, sqlite_wal_hook,
                     container_of(c->store, struct sqlite_store, base));
    return 0;
}

static void sqlite_release_cache(struct store_conn *c)
{
    sqlite3_db_release_memory(sqlite_conn_of(c)->db);
}

/* Is fd still open on the file at path (not on a log since removed)? */
static bool same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Flushes the write-ahead log: every frame written to it before this call
 * is on disk after it, so every commit made before is durable. The log
 * exists as long as a connection is open, which the writer is; if it is
 * gone, its last checkpoint (which syncs the database) took everything. */
static int sqlite_make_durable(struct store *sb, struct err *e)
{
    struct sqlite_store *s = container_of(sb, struct sqlite_store, base);
    if (s->wal_fd >= 0 && !same_file(s->wal_fd, s->wal_path)) {
        close(s->wal_fd);
        s->wal_fd = -1;
    }
    if (s->wal_fd < 0) {
        s->wal_fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
        if (s->wal_fd < 0 && errno == ENOENT)
            return 0;
        if (s->wal_fd < 0) {
            err_set(e, 500, "storage-error", "", "cannot open %.200s: %s", s->wal_path,
                    strerror(errno));
            return -1;
        }
    }
    if (fdatasync(s->wal_fd) != 0) {
        err_set(e, 500, "storage-error", "", "cannot flush %.200s to disk: %s", s->wal_path,
                strerror(errno));
        return -1;
    }
    return 0;
}
/* ---- size, ids, integrity ---- */

/* page_count * page_size (as this thread's connection sees it) plus the
 * WAL file, which may hold pages not yet checkpointed. */
static int64_t sqlite_size_bytes(struct store *sb)
{
    struct sqlite_conn *c = sqlite_conn_of(store_conn(sb));
    int64_t pages = 0, page_size = 0;
    struct err e = ERR_INIT;
    if (store_query_int64(&c->base, "PRAGMA page_count", &pages, &e) < 0 ||
        store_query_int64(&c->base, "PRAGMA page_size", &page_size, &e) < 0)
        return -1;
    int64_t total = pages * page_size;
    const char *name = sqlite3_db_filename(c->db, "main");
    struct stat st;
    if (name && *name && stat(sqlite3_filename_wal(name), &st) == 0)
        total += (int64_t)st.st_size;
    return total;
}

static int64_t sqlite_last_id(struct store_conn *cb)
{
    return sqlite3_last_insert_rowid(sqlite_conn_of(cb)->db);
}

static int sqlite_report(struct buf *r, const char *what, const char *detail)
{
    if (buf_printf(r, "%s: %s\n", what, detail) < 0)
        fatal("store: integrity report too large");
    return 1;
}

/* PRAGMA integrity_check: one row "ok", or one row per problem. */
static int sqlite_check_pages(struct sqlite_conn *c, struct buf *r)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = sqlite_prepare(&c->base, "PRAGMA integrity_check", false, &e);
    if (!st)
        return sqlite_report(r, "integrity_check", e.detail);
    int n = 0, rc;
    while ((rc = sqlite_step(st, &e)) == STORE_ROW) {
        const char *t = sqlite_col_text(st, 0);
        if (!t || strcmp(t, "ok") != 0)
            n += sqlite_report(r, "integrity_check", t ? t : "(null)");
    }
    if (rc == STORE_ERROR)
        n += sqlite_report(r, "integrity_check", e.detail);
    sqlite_finalize(st);
    return n;
}

/* PRAGMA foreign_key_check: one row (table, rowid, parent, fkid) per
 * dangling reference; rowid is NULL for WITHOUT ROWID tables. */
static int sqlite_check_keys(struct sqlite_conn *c, struct buf *r)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = sqlite_prepare(&c->base, "PRAGMA foreign_key_check", false, &e);
    if (!st)
        return sqlite_report(r, "foreign_key_check", e.detail);
    int n = 0, rc;
    while ((rc = sqlite_step(st, &e)) == STORE_ROW) {
        const char *table = sqlite_col_text(st, 0), *parent = sqlite_col_text(st, 2);
        char line[400];
        snprintf(line, sizeof line, "a row of %s (rowid %lld) refers to a missing row of %s",
                 table ? table : "?", (long long)sqlite_col_int64(st, 1), parent ? parent : "?");
        n += sqlite_report(r, "foreign_key_check", line);
    }
    if (rc == STORE_ERROR)
        n += sqlite_report(r, "foreign_key_check", e.detail);
    sqlite_finalize(st);
    return n;
}

/* FTS5's own check compares the index with the stored text. It takes the
 * write lock briefly, so run it outside a read transaction. */
static int sqlite_check_fts(struct sqlite_conn *c, struct buf *r)
{
    struct err e = ERR_INIT;
    if (sqlite_run(c, "INSERT INTO doc_fts(doc_fts) VALUES('integrity-check')", &e) < 0)
        return sqlite_report(r, "doc_fts integrity-check", e.detail);
    return 0;
}

static int sqlite_integrity(struct store_conn *cb, struct buf *report)
{
    struct sqlite_conn *c = sqlite_conn_of(cb);
    return sqlite_check_pages(c, report) + sqlite_check_keys(c, report) +
           sqlite_check_fts(c, report);
}

static int sqlite_doc_index(struct store_conn *c, int64_t n, const char *collection,
                            const char *text, int64_t rid, struct err *e)
{
    return store_execf(c,
                       "INSERT OR REPLACE INTO doc_fts(rowid, coll, body, rid) "
                       "VALUES ($1, $2, $3, $4)",
                       e, "itti", n, collection, text, rid);
}

static int sqlite_doc_unindex(struct store_conn *c, int64_t n, struct err *e)
{
    return store_execf(c, "DELETE FROM doc_fts WHERE rowid = $1", e, "i", n);
}

/* One process writes a SQLite database at a time (its writers take turns
 * in store.c, and another process waits for the database's lock). */
static int sqlite_lock(struct store_conn *c, int64_t key, struct err *e)
{
    (void)c;
    (void)key;
    (void)e;
    return 0;
}

static int sqlite_notify(struct store_conn *c, const char *channel, struct err *e)
{
    (void)c;
    (void)channel;
    (void)e;
    return 0;
}

/* Nobody else writes the file: nothing ever comes. */
static int sqlite_listen_wait(struct store *s, const char *channel, int timeout_ms,
                              struct err *e)
{
    (void)s;
    (void)channel;
    (void)e;
    struct timespec t = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
    return 0;
}

/* Copies the database file `from` into `to` (which must not be there)
 * with the online backup: one read transaction of `from` for the whole
 * copy (its writers go on; what they commit meanwhile is not in it), into
 * `to`.part, synced, then renamed. */
static int sqlite_copy(const char *from, const char *to, struct err *e)
{
    char part[PATH_MAX];
    struct stat st;
    if (snprintf(part, sizeof part, "%s.part", to) >= (int)sizeof part) {
        err_internal(e, "the path %.200s is too long", to);
        return -1;
    }
    if (stat(to, &st) == 0) {
        err_set(e, 409, "conflict", "", "%s is there already: a copy goes to a new file", to);
        return -1;
    }
    unlink(part);
    sqlite3 *src = NULL, *dst = NULL;
    int rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_open_v2(part, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        sqlite3_busy_timeout(src, 10000);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
    if (b) {
        /* all pages in one step: one snapshot, never restarted by a write */
        while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(10);
        sqlite3_backup_finish(b);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    } else if (rc == SQLITE_OK) {
        rc = sqlite3_errcode(dst);
    }
    if (rc != SQLITE_OK)
        err_set(e, 500, "storage-error", "", "cannot copy %s: %s", from,
                dst ? sqlite3_errmsg(dst) : src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
    sqlite3_close_v2(src);
    sqlite3_close_v2(dst);
    if (rc != SQLITE_OK) {
        unlink(part);
        return -1;
    }
    return store_keep_file(part, to, e);
}

static int sqlite_backup(struct store *sb, const char *to, struct err *e)
{
    return sqlite_copy(container_of(sb, struct sqlite_store, base)->path, to, e);
}

static int sqlite_restore(const char *path, const char *from, struct err *e)
{
    return sqlite_copy(from, path, e);
}

/* SQLite gives max(rowid) + 1: nothing to move. */
static int sqlite_after_import(struct store_conn *c, struct err *e)
{
    (void)c;
    (void)e;
    return 0;
}

const struct store_vfuncs store_sqlite_vfuncs = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .conn_open = sqlite_conn_open,
    .conn_close = sqlite_conn_close,
    .migrate = sqlite_migrate,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .prepare = sqlite_prepare,
    .reset = sqlite_reset,
    .finalize = sqlite_finalize,
    .bind_text = sqlite_bind_text,
    .bind_int64 = sqlite_bind_int64,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .col_text = sqlite_col_text,
    .col_bytes = sqlite_col_bytes,
    .col_int64 = sqlite_col_int64,
    .col_null = sqlite_col_null,
    .sql = sqlite_sql,
    .analyze = sqlite_analyze,
    .make_writer = sqlite_make_writer,
    .release_cache = sqlite_release_cache,
    .make_durable = sqlite_make_durable,
    .fts_query = sqlite_fts_query,
    .size_bytes = sqlite_size_bytes,
    .last_id = sqlite_last_id,
    .integrity = sqlite_integrity,
    .after_import = sqlite_after_import,
    .doc_index = sqlite_doc_index,
    .doc_unindex = sqlite_doc_unindex,
    .lock = sqlite_lock,
    .shared = false,
    .notify = sqlite_notify,
    .listen_wait = sqlite_listen_wait,
    .backup_file = "archportal.db",
    .backup = sqlite_backup,
    .restore = sqlite_restore,
};
