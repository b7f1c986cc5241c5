/* test_store: the storage layer against real SQLite files in a temporary
 * directory: migrations, $n binding, the statement cache, error mapping,
 * transactions across threads, per-thread connections, durability
 * settings, full-text search (with Kazakh text), size and integrity.
 *
 * With ARCHPORTAL_TEST_PG set (tests/pg/with-pg.sh), the same tests that
 * do not look at SQLite's files run on PostgreSQL, each on a database of
 * its own, and PostgreSQL's own tests after them. */
#include "store/migrations-pg.h"
#include "store/migrations-sqlite.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pgtest.h"

/* The PostgreSQL the tests run on (a URL of its base database), or NULL:
 * SQLite. */
static const char *pg_base;

static void pg_admin(const char *sql)
{
    if (pgtest_admin(sql) < 0)
        fail_msg("%s failed", sql);
}

/* One temporary directory per test, removed afterwards. */
struct fixture {
    char dir[64];
    char path[128];  /* dir/a.db, or on PostgreSQL postgresql:///db (PGHOST...) */
    char db[48];     /* the database of the test on PostgreSQL */
    struct store *s; /* opened by the test (closed by teardown) */
};

static int fx_setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/store-test-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/a.db", f->dir);
    if (pg_base && pgtest_create("store_test", f->db, sizeof f->db, f->path, sizeof f->path) < 0)
        return -1;
    *state = f;
    return 0;
}

static int fx_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0)
            rc = -1;
    }
    closedir(d);
    return rmdir(dir) == 0 ? rc : -1;
}

static int fx_teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    if (pg_base && f->db[0] && pgtest_drop(f->db) < 0)
        return -1;
    int rc = fx_remove_dir(f->dir);
    free(f);
    return rc;
}

/* Opens f->path (or fails the test). */
static struct store *fx_open(struct fixture *f)
{
    struct err e = ERR_INIT;
    struct store_options opt = {.busy_timeout_ms = 5000};
    if (store_open(f->path, &opt, &f->s, &e) != 0)
        fail_msg("store_open: %s", e.detail);
    return f->s;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The integer in column 0 of the one-row query sql with text args. */
static int64_t q_int(struct store_conn *c, const char *sql, int nargs, ...)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, sql, true, &e);
    if (!st)
        fail_msg("prepare %s: %s", sql, e.detail);
    va_list ap;
    va_start(ap, nargs);
    for (int i = 1; i <= nargs; i++)
        store_bind_text(st, i, va_arg(ap, const char *));
    va_end(ap);
    if (store_step(st, &e) != STORE_ROW)
        fail_msg("step %s: %s", sql, e.detail);
    int64_t v = store_col_int64(st, 0);
    store_reset(st);
    return v;
}

/* Column 0 of a one-row query, copied into out. */
static char *q_text(struct store_conn *c, const char *sql, char *out, size_t n)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, sql, true, &e);
    assert_non_null(st);
    assert_int_equal(store_step(st, &e), STORE_ROW);
    const char *t = store_col_text(st, 0);
    snprintf(out, n, "%s", t ? t : "(null)");
    store_reset(st);
    return out;
}

static int add_token(struct store_conn *c, const char *id, const char *hash, struct err *e)
{
    return store_exec(c,
                      "INSERT INTO tokens(id, name, hash, role, created_at) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      e, 5, id, "test", hash, "admin", "2026-01-01T00:00:00.000Z");
}

static int64_t count_tokens(struct store_conn *c)
{
    return q_int(c, "SELECT count(*) FROM tokens", 0);
}

/* ---- opening and migrations ---- */

static int64_t n_migrations(void)
{
    return pg_base ? (int64_t)PG_N_MIGRATIONS : (int64_t)SQLITE_N_MIGRATIONS;
}

static void test_url_schemes(void **state)
{
    struct fixture *f = *state;
    struct err e = ERR_INIT;
    struct store *s = NULL;
    /* a PostgreSQL that cannot be reached: refused, 503 */
    assert_int_equal(store_open("postgresql://127.0.0.1:1/x?connect_timeout=2", NULL, &s, &e), -1);
    assert_null(s);
    assert_int_equal(e.status, 503);
    assert_string_equal(e.type, "database-unavailable");
    assert_int_equal(store_open("mysql://db/x", NULL, &s, &e), -1);
    assert_int_equal(store_open("", NULL, &s, &e), -1);
    assert_int_equal(store_open("sqlite:", NULL, &s, &e), -1);

    char url[160];
    snprintf(url, sizeof url, "sqlite:%s/b.db", f->dir);
    assert_int_equal(store_open(url, NULL, &s, &e), 0);
    assert_int_equal(q_int(store_conn(s), "SELECT count(*) FROM schema_migrations", 0),
                     n_migrations());
    store_close(s);
}

static void test_migrations_recorded(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    assert_int_equal(q_int(c, "SELECT count(*) FROM schema_migrations", 0), n_migrations());
    assert_int_equal(q_int(c, "SELECT max(version) FROM schema_migrations", 0), n_migrations());
    char at[64];
    int64_t ms = 0;
    q_text(c, "SELECT applied_at FROM schema_migrations WHERE version = 1", at, sizeof at);
    assert_int_equal(time_parse_rfc3339(at, &ms), 0);
    assert_int_equal(q_int(c,
                           pg_base ? "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                     "AND tablename IN ('records', 'revisions', 'attrs', "
                                     "'search_text', 'audit', 'tokens')"
                                   : "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                     "('records', 'revisions', 'attrs', 'search_text', 'audit', "
                                     "'tokens')",
                           0),
                     6);
}

static void test_reopen_does_not_reapply(void **state)
{
    struct fixture *f = *state;
    char first[64], again[64];
    q_text(store_conn(fx_open(f)), "SELECT applied_at FROM schema_migrations WHERE version = 1",
           first, sizeof first);
    store_close(f->s);
    f->s = NULL;
    sleep_ms(5); /* applied_at has millisecond resolution */
    struct store_conn *c = store_conn(fx_open(f));
    q_text(c, "SELECT applied_at FROM schema_migrations WHERE version = 1", again, sizeof again);
    assert_string_equal(first, again);
    assert_int_equal(q_int(c, "SELECT count(*) FROM schema_migrations", 0), n_migrations());
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct err e = ERR_INIT;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)n_migrations() + 1);
    assert_int_equal(store_exec(store_conn(fx_open(f)),
                                "INSERT INTO schema_migrations(version, applied_at) "
                                "VALUES (CAST($1 AS INTEGER), 'later')",
                                &e, 1, v),
                     0);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->path, NULL, &f->s, &e), -1);
    assert_null(f->s);
    assert_int_equal(e.status, 500);
    assert_non_null(strstr(e.detail, "schema version"));
}

/* must_exist: a missing or empty file, and a database without a schema,
 * are refused and left as they were; a database with one opens. */
static void test_must_exist_refuses_an_empty_database(void **state)
{
    struct fixture *f = *state;
    struct err e = ERR_INIT;
    struct store_options opt = {.busy_timeout_ms = 1000, .must_exist = true};
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), -1);
    assert_string_equal(e.type, "database-empty");
    struct stat st;
    assert_int_not_equal(stat(f->path, &st), 0); /* not created */
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), -1);
    assert_string_equal(e.type, "database-empty");
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, 0); /* nothing written */
    /* a file with SQLite's header but no portal in it */
    assert_int_equal(unlink(f->path), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    e = (struct err)ERR_INIT;
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), -1);
    assert_string_equal(e.type, "database-empty");
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1); /* only t: no migration was left */
    sqlite3_finalize(q);
    sqlite3_close(db);
    /* once a portal's schema is there, must_exist opens it */
    assert_int_equal(unlink(f->path), 0);
    fx_open(f);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), 0);
}

/* Migration 1 fails at its last table when that name is taken: nothing
 * of it (nor schema_migrations) may remain. */
static void test_failed_migration_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE tokens(x)", NULL, NULL, NULL), SQLITE_OK);
    struct err e = ERR_INIT;
    assert_int_equal(store_open(f->path, NULL, &f->s, &e), -1);
    assert_non_null(strstr(e.detail, "migration 1"));
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT group_concat(name) FROM sqlite_schema", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "tokens");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* ---- statements ---- */

static void test_bind_out_of_order(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, "SELECT $2 || '-' || $1, $1 || $1", true, &e);
    assert_non_null(st);
    store_bind_text(st, 1, "a");
    store_bind_text(st, 2, "b");
    assert_int_equal(store_step(st, &e), STORE_ROW);
    assert_string_equal(store_col_text(st, 0), "b-a");
    assert_int_equal(store_col_bytes(st, 0), 3);
    assert_string_equal(store_col_text(st, 1), "aa");
    assert_int_equal(store_step(st, &e), STORE_DONE);
    store_reset(st);

    st = store_prepare(c, "SELECT $3 + 1, $1, length($2)", false, &e);
    assert_non_null(st);
    store_bind_int64(st, 3, INT64_C(41));
    store_bind_null(st, 1);
    store_bind_textn(st, 2, "abcdef", 3);
    assert_int_equal(store_step(st, &e), STORE_ROW);
    assert_int_equal(store_col_int64(st, 0), 42);
    assert_true(store_col_null(st, 1));
    assert_null(store_col_text(st, 1));
    assert_int_equal(store_col_int64(st, 1), 0);
    assert_false(store_col_null(st, 0));
    assert_int_equal(store_col_int64(st, 2), 3);
    store_finalize(st);
}

/* A reused cached statement starts with every parameter NULL. */
static void test_reset_clears_bindings(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, "SELECT $1", true, &e);
    store_bind_text(st, 1, "secret");
    assert_int_equal(store_step(st, &e), STORE_ROW);
    store_reset(st);
    st = store_prepare(c, "SELECT $1", true, &e);
    assert_int_equal(store_step(st, &e), STORE_ROW);
    assert_true(store_col_null(st, 0));
    store_reset(st);
}

static void test_stmt_cache(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    const char *sql = "SELECT count(*) FROM records";
    struct store_stmt *a = store_prepare(c, sql, true, &e);
    assert_non_null(a);
    store_reset(a);
    struct store_stmt *b = store_prepare(c, sql, true, &e);
    assert_ptr_equal(a, b);
    /* still in use: a second user gets its own statement */
    struct store_stmt *twin = store_prepare(c, sql, true, &e);
    assert_non_null(twin);
    assert_ptr_not_equal(twin, b);
    assert_int_equal(store_step(twin, &e), STORE_ROW);
    assert_int_equal(store_step(b, &e), STORE_ROW);
    store_reset(twin);
    store_reset(b);
    assert_ptr_equal(store_prepare(c, sql, true, &e), a);
    store_finalize(a); /* a cached statement survives finalize (it only resets) */
    assert_ptr_equal(store_prepare(c, sql, true, &e), a);
    store_reset(a);
}

/* More distinct statements than the cache holds: the extra ones are
 * freed on reset (ASan would report a leak), the early ones stay. */
static void test_stmt_cache_full(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    struct store_stmt *first = NULL;
    for (int i = 0; i < 600; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d", i);
        struct store_stmt *st = store_prepare(c, sql, true, &e);
        assert_non_null(st);
        assert_int_equal(store_step(st, &e), STORE_ROW);
        assert_int_equal(store_col_int64(st, 0), i);
        if (i == 0)
            first = st;
        store_reset(st);
    }
    assert_ptr_equal(store_prepare(c, "SELECT 0", true, &e), first);
    store_reset(first);
}

static void test_prepare_errors(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_null(store_prepare(c, "SELEKT 1", true, &e));
    assert_int_equal(e.status, 500);
    assert_string_equal(e.type, "storage-error");
    assert_null(store_prepare(c, "SELECT 1; SELECT 2", false, &e));
    assert_null(store_prepare(c, "  ", false, &e));
    struct store_stmt *st = store_prepare(c, "SELECT 1;  ", true, &e); /* trailing ';' is fine */
    assert_non_null(st);
    store_reset(st);
}

/* ---- errors and transactions ---- */

static void test_unique_conflict(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(add_token(c, "t1", "h1", &e), 0);
    assert_int_equal(add_token(c, "t1", "h2", &e), -1); /* primary key */
    assert_int_equal(e.status, 409);
    assert_string_equal(e.type, "conflict");
    err_clear(&e);
    assert_int_equal(add_token(c, "t2", "h1", &e), -1); /* UNIQUE column */
    assert_int_equal(e.status, 409);
    assert_string_equal(e.type, "conflict");
    assert_int_equal(count_tokens(c), 1);
}

static void test_not_null_is_storage_error(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(add_token(c, "t1", NULL, &e), -1); /* NULL arg binds NULL */
    assert_int_equal(e.status, 500);
    assert_string_equal(e.type, "storage-error");
}

static void test_rollback_leaves_nothing(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(store_begin(c, true, &e), 0);
    assert_true(store_in_tx(c));
    assert_int_equal(add_token(c, "t1", "h1", &e), 0);
    assert_int_equal(count_tokens(c), 1);
    store_rollback(c);
    assert_false(store_in_tx(c));
    assert_int_equal(count_tokens(c), 0);

    assert_int_equal(store_begin(c, false, &e), 0);
    assert_int_equal(add_token(c, "t2", "h2", &e), 0);
    assert_int_equal(store_commit(c, &e), 0);
    assert_false(store_in_tx(c));
    assert_int_equal(count_tokens(c), 1);
}

static void test_tx_misuse(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(store_commit(c, &e), -1);
    assert_int_equal(store_begin(c, true, &e), 0);
    assert_int_equal(store_begin(c, true, &e), -1);
    assert_true(store_in_tx(c));
    store_rollback(c);
    store_rollback(c); /* harmless */
    assert_false(store_in_tx(c));
}

struct writer {
    struct store *s;
    struct store_conn *conn;
    int rc;
    int64_t waited_ms;
    struct err e;
};

/* Takes the write lock (timing the wait) and adds token "b". */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    w->conn = store_conn(w->s);
    int64_t t0 = time_mono_ns();
    w->rc = store_begin(w->conn, true, &w->e);
    w->waited_ms = (time_mono_ns() - t0) / 1000000;
    if (w->rc == 0) {
        w->rc = add_token(w->conn, "b", "hb", &w->e);
        if (w->rc == 0)
            w->rc = store_commit(w->conn, &w->e);
        else
            store_rollback(w->conn);
    }
    return NULL;
}

static void test_write_tx_two_threads(void **state)
{
    struct store *s = fx_open(*state);
    struct store_conn *c = store_conn(s);
    struct err e = ERR_INIT;
    assert_int_equal(store_begin(c, true, &e), 0);
    assert_int_equal(add_token(c, "a", "ha", &e), 0);
    struct writer w = {.s = s};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
    sleep_ms(300);
    assert_int_equal(store_commit(c, &e), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (w.rc != 0)
        fail_msg("second writer: %s", w.e.detail);
    assert_true(w.waited_ms >= 150); /* it waited for the first commit */
    assert_ptr_not_equal(w.conn, c);
    assert_int_equal(count_tokens(c), 2);
}

/* With a short busy timeout the second writer gives up with 503 busy. */
static void test_write_tx_busy_timeout(void **state)
{
    struct fixture *f = *state;
    struct err e = ERR_INIT;
    struct store_options opt = {.busy_timeout_ms = 100};
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), 0);
    struct store_conn *c = store_conn(f->s);
    assert_int_equal(store_begin(c, true, &e), 0);
    struct writer w = {.s = f->s};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    store_rollback(c);
    assert_int_equal(w.rc, -1);
    assert_int_equal(w.e.status, 503);
    assert_string_equal(w.e.type, "busy");
    assert_false(store_in_tx(w.conn));
}


/* ---- group commit ---- */

struct gc_writer {
    struct store *s;
    int idx;
    int ok, failed, callbacks_ok, callbacks_failed;
};

static _Atomic int gc_order_next;
static int gc_order[800];

static void gc_done(void *ctx, bool committed)
{
    int *slot = ctx;
    if (committed)
        gc_order[atomic_fetch_add(&gc_order_next, 1)] = *slot;
    free(slot);
}

/* Each thread writes 100 tokens; every 7th write fails on purpose (a
 * duplicate hash) and must be rolled back alone. */
static void *gc_main(void *arg)
{
    struct gc_writer *w = arg;
    for (int i = 0; i < 100; i++) {
        struct err e = ERR_INIT;
        struct store_conn *c = store_write_enter(w->s, &e);
        if (!c) {
            w->failed++;
            continue;
        }
        char id[32], hash[32];
        snprintf(id, sizeof id, "t%d-%d", w->idx, i);
        if (i % 7 == 6)
            snprintf(hash, sizeof hash, "dup");
        else
            snprintf(hash, sizeof hash, "h%d-%d", w->idx, i);
        int rc = add_token(c, id, hash, &e);
        if (rc == 0 && i % 7 == 6) /* the first "dup" succeeds: force a failure */
            rc = add_token(c, "dup-again", "dup", &e);
        int *slot = malloc(sizeof *slot);
        *slot = w->idx * 1000 + i;
        if (store_write_leave(c, rc, gc_done, slot, &e) == 0)
            w->ok++;
        else
            w->failed++;
    }
    return NULL;
}

static void test_group_commit(void **state)
{
    struct store *s = fx_open(*state);
    struct gc_writer w[8];
    pthread_t t[8];
    atomic_store(&gc_order_next, 0);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct gc_writer){.s = s, .idx = i};
        assert_int_equal(pthread_create(&t[i], NULL, gc_main, &w[i]), 0);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        ok += w[i].ok;
        failed += w[i].failed;
    }
    /* 14 writes per thread hit the duplicate: each is refused alone */
    assert_int_equal(failed, 8 * 14);
    assert_int_equal(ok, 8 * 86);
    assert_int_equal(count_tokens(store_conn(s)), ok);
    /* every durable write's callback ran once, in commit order per thread */
    assert_int_equal(atomic_load(&gc_order_next), ok);
    int last[8];
    for (int i = 0; i < 8; i++)
        last[i] = -1;
    for (int k = 0; k < ok; k++) {
        int th = gc_order[k] / 1000, i = gc_order[k] % 1000;
        assert_true(i > last[th]);
        last[th] = i;
    }
    /* every commit was flushed, most flushes covering several */
    struct store_stats st = store_stats(s);
    assert_true(st.committed > 0);
    assert_true(st.durable == st.committed);
    assert_true(st.syncs >= 1 && st.syncs <= st.committed);
    assert_int_equal(st.writes, 8 * 100);
}

/* What the writer's cache holds after a scan made on it goes back when the
 * cache is released (serve does so once its start is done: issue 15, peak
 * RSS); the writer works on after it. */
static void test_writer_cache_released(void **state)
{
    struct store *s = fx_open(*state);
    struct err e = ERR_INIT;
    struct store_conn *c = store_write_enter(s, &e);
    assert_non_null(c);
    int rc = store_exec(c, "CREATE TABLE big(b BLOB)", &e, 0);
    if (rc == 0)
        rc = store_exec(c,
                        "INSERT INTO big SELECT randomblob(500) FROM (WITH RECURSIVE n(i) AS "
                        "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) SELECT i FROM n)",
                        &e, 0);
    assert_int_equal(store_write_leave(c, rc, NULL, NULL, &e), 0);
    c = store_write_enter(s, &e);
    assert_non_null(c);
    assert_int_equal(q_int(c, "SELECT count(*) FROM big WHERE length(b) = 500", 0), 4000);
    assert_int_equal(store_write_leave(c, 0, NULL, NULL, &e), 0);
    sqlite3_int64 held = sqlite3_memory_used();
    store_release_writer_cache(s);
    sqlite3_int64 left = sqlite3_memory_used();
    /* the table is about 2 MB: most of its pages were in the cache */
    if (held - left < 1000 * 1000)
        fail_msg("the writer's cache gave back %lld bytes of %lld", (long long)(held - left),
                 (long long)held);
    c = store_write_enter(s, &e);
    assert_non_null(c);
    assert_int_equal(store_write_leave(c, add_token(c, "after", "after", &e), NULL, NULL, &e), 0);
    assert_int_equal(count_tokens(store_conn(s)), 1);
}

/* The writer commits without waiting for the disk, so the log must be
 * flushed before a write is acknowledged: one writer at a time, each
 * acknowledged commit is already counted durable. REQ: X-AUD-01 */
static void test_writer_flushes_before_acknowledging(void **state)
{
    struct store *s = fx_open(*state);
    for (int i = 0; i < 5; i++) {
        struct err e = ERR_INIT;
        struct store_stats before = store_stats(s);
        struct store_conn *c = store_write_enter(s, &e);
        assert_non_null(c);
        char id[16];
        snprintf(id, sizeof id, "f%d", i);
        assert_int_equal(store_write_leave(c, add_token(c, id, id, &e), NULL, NULL, &e), 0);
        struct store_stats after = store_stats(s);
        assert_true(after.committed == before.committed + 1);
        assert_true(after.durable == after.committed);
        assert_true(after.syncs == before.syncs + 1);
    }
    /* the same for a transaction of store_begin_write */
    struct err e = ERR_INIT;
    struct store_conn *w = store_begin_write(s, &e);
    assert_non_null(w);
    assert_int_equal(add_token(w, "bw", "bw", &e), 0);
    assert_int_equal(store_commit(w, &e), 0);
    struct store_stats st = store_stats(s);
    assert_true(st.durable == st.committed);
    /* and another process (a fresh store) sees every acknowledged write */
    struct fixture *f = *state;
    struct store *again = NULL;
    struct store_options opt = {.busy_timeout_ms = 5000};
    assert_int_equal(store_open(f->path, &opt, &again, &e), 0);
    assert_int_equal(count_tokens(store_conn(again)), 6);
    store_close(again);
}

/* The writer's checkpoints keep the log short while writes go on: 100 MB
 * written through the group commit leave a log file of at most about 40
 * MB (it starts over), and every write is there. */
static void test_checkpoints_keep_the_log_short(void **state)
{
    struct fixture *f = *state;
    struct store *s = fx_open(f);
    static char big[40 * 1024 + 1];
    memset(big, 'x', sizeof big - 1);
    const int n = 2500;
    for (int i = 0; i < n; i++) {
        struct err e = ERR_INIT;
        struct store_conn *c = store_write_enter(s, &e);
        assert_non_null(c);
        char id[16];
        snprintf(id, sizeof id, "k%d", i);
        int rc = store_exec(c,
                            "INSERT INTO tokens(id, name, hash, role, created_at) "
                            "VALUES ($1, $2, $1, 'admin', '2026-01-01T00:00:00.000Z')",
                            &e, 2, id, big);
        assert_int_equal(store_write_leave(c, rc, NULL, NULL, &e), 0);
    }
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);
    assert_true(st.st_size < 48 * 1024 * 1024);
    assert_int_equal(count_tokens(store_conn(s)), n);
}

/* ---- connections ---- */

struct probe {
    struct store *s;
    struct store_conn *conn;
    int64_t synchronous, foreign_keys;
    char journal[16];
};

static void probe_conn(struct store_conn *c, struct probe *p)
{
    p->conn = c;
    if (pg_base)
        return;
    p->synchronous = q_int(c, "PRAGMA synchronous", 0);
    p->foreign_keys = q_int(c, "PRAGMA foreign_keys", 0);
    q_text(c, "PRAGMA journal_mode", p->journal, sizeof p->journal);
}

static void *probe_main(void *arg)
{
    struct probe *p = arg;
    probe_conn(store_conn(p->s), p);
    return NULL;
}

static void test_conn_per_thread(void **state)
{
    struct store *s = fx_open(*state);
    struct store_conn *c = store_conn(s);
    assert_ptr_equal(store_conn(s), c);
    struct probe p[2] = {{.s = s}, {.s = s}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, probe_main, &p[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_ptr_not_equal(p[0].conn, c);
    assert_ptr_not_equal(p[1].conn, c);
    assert_ptr_not_equal(p[0].conn, p[1].conn);
}

/* Durability: synchronous=FULL (2) and WAL on every connection of a
 * thread (the writer's own flush is tested above). */
static void test_durability_settings(void **state)
{
    struct store *s = fx_open(*state);
    struct probe p[2] = {{.s = s}, {.s = s}};
    probe_conn(store_conn(s), &p[0]);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, probe_main, &p[1]), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(p[i].synchronous, 2);
        assert_int_equal(p[i].foreign_keys, 1);
        assert_string_equal(p[i].journal, "wal");
    }
}

static void test_two_stores(void **state)
{
    struct fixture *f = *state;
    struct store *s1 = fx_open(f), *s2 = NULL;
    char other[160];
    snprintf(other, sizeof other, "%s/other.db", f->dir);
    struct err e = ERR_INIT;
    assert_int_equal(store_open(other, NULL, &s2, &e), 0);
    struct store_conn *c1 = store_conn(s1), *c2 = store_conn(s2);
    assert_ptr_not_equal(c1, c2);
    assert_ptr_equal(store_conn(s1), c1);
    assert_ptr_equal(store_conn(s2), c2);
    assert_int_equal(add_token(c1, "t1", "h1", &e), 0);
    assert_int_equal(count_tokens(c1), 1);
    assert_int_equal(count_tokens(c2), 0);
    store_close(s2);
    /* a store opened after another was closed never sees its connection */
    assert_int_equal(store_open(other, NULL, &s2, &e), 0);
    assert_int_equal(count_tokens(store_conn(s2)), 0);
    store_close(s2);
}

/* ---- full-text search ---- */

static void test_fts_query_text(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    const char *w1[] = {"a\"b", "c"};
    char *q = store_fts_query(c, NULL, w1, 2);
    /* '"' separates */
    assert_string_equal(q, pg_base ? "'a':* & 'b':* & 'c':*" : "\"a\"* AND \"b\"* AND \"c\"*");
    free(q);
    const char *w2[] = {"\"\"", "", "үкім"};
    q = store_fts_query(c, NULL, w2, 3);
    assert_string_equal(q, pg_base ? "'үкім':*" : "\"үкім\"*");
    free(q);
    q = store_fts_query(c, NULL, NULL, 0);
    assert_string_equal(q, "");
    free(q);
    /* split as the tokenizer splits text: at any punctuation */
    const char *w3[] = {"e\u2014gov", "\u00abпортал\u00bb"};
    q = store_fts_query(c, NULL, w3, 2);
    assert_string_equal(q, pg_base ? "'e':* & 'gov':* & 'портал':*"
                                   : "\"e\"* AND \"gov\"* AND \"портал\"*");
    free(q);
    const char *w4[] = {"it's"}; /* a quote inside a lexeme is doubled */
    q = store_fts_query(c, "objects", w4, 1);
    assert_string_equal(q, pg_base ? "'coll=objects' & 'it':* & 's':*"
                                   : "coll:\"objects\" AND body:(\"it\"* AND \"s\"*)");
    free(q);
}

/* The words and rows fragments are safe snprintf formats: every '%' is one
 * of their documented conversions, and each of those appears. */
static void test_fts_match_fragment(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    static const struct {
        enum store_sql which;
        const char *convs[3];
    } frags[] = {{STORE_SQL_TEXT_MATCH, {"%1$s", "%2$d", "%3$d"}},
                 {STORE_SQL_FTS_DOC_ROWS, {"%1$d", NULL, NULL}}};
    for (size_t i = 0; i < 2; i++) {
        const char *m = store_sql(c, frags[i].which);
        bool seen[3] = {false, false, false};
        for (const char *pct = strchr(m, '%'); pct; pct = strchr(pct + 1, '%')) {
            size_t k = 0;
            while (k < 3 && frags[i].convs[k] && strncmp(pct, frags[i].convs[k], 4) != 0)
                k++;
            assert_true(k < 3 && frags[i].convs[k]);
            seen[k] = true;
        }
        for (size_t k = 0; k < 3; k++)
            assert_true(seen[k] || !frags[i].convs[k]);
    }
}

static void add_record(struct store_conn *c, const char *rid, const char *body)
{
    struct err e = ERR_INIT;
    assert_int_equal(store_exec(c,
                                "INSERT INTO records(rid, id, collection, kind, revision, "
                                "created_at, updated_at, sort_name) VALUES "
                                "(CAST($1 AS INTEGER), 'r' || $1, 'systems', 'system', 1, "
                                "'t', 't', '{}')",
                                &e, 1, rid),
                     0);
    assert_int_equal(store_execf(c,
                                 "INSERT INTO search_text(rid, coll, body) VALUES ($1, "
                                 "'systems', $2)",
                                 &e, "it", store_last_id(c), body),
                     0);
}

/* The rid found by a search for words (0 when none). */
static int64_t fts_find(struct store_conn *c, const char *const *words, size_t n)
{
    char where[400], sql[600], joined[200] = "";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(where, sizeof where, store_sql(c, STORE_SQL_TEXT_MATCH), "records.rid", 1, 2);
#pragma GCC diagnostic pop
    snprintf(sql, sizeof sql, "SELECT rid FROM records WHERE %s ORDER BY rid", where);
    for (size_t i = 0; i < n; i++) {
        strcat(joined, words[i]);
        strcat(joined, " ");
    }
    char *q = store_fts_query(c, NULL, words, n);
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, sql, true, &e);
    assert_non_null(st);
    store_bind_text(st, 1, joined);
    store_bind_text(st, 2, q);
    int rc = store_step(st, &e);
    if (rc == STORE_ERROR)
        fail_msg("fts search %s: %s", q, e.detail);
    int64_t rid = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    free(q);
    return rid;
}

static void test_fts_kazakh(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    add_record(c, "7", "Электрондық үкімет порталы");
    add_record(c, "8", "Ұлттық банк");
    const char *w1[] = {"үкім"}, *w2[] = {"портал"}, *w3[] = {"электр", "портал"};
    const char *w4[] = {"банк"}, *w5[] = {"ұлт"}, *w6[] = {"үкім", "банк"};
    const char *w7[] = {"a\"b"};
    assert_int_equal(fts_find(c, w1, 1), 7);
    assert_int_equal(fts_find(c, w2, 1), 7);
    assert_int_equal(fts_find(c, w3, 2), 7);
    assert_int_equal(fts_find(c, w4, 1), 8);
    assert_int_equal(fts_find(c, w5, 1), 8);
    assert_int_equal(fts_find(c, w6, 2), 0);
    assert_int_equal(fts_find(c, w7, 1), 0);

    struct err e = ERR_INIT;
    assert_int_equal(store_exec(c, "DELETE FROM search_text WHERE rid = 7", &e, 0), 0);
    assert_int_equal(fts_find(c, w1, 1), 0);
    /* upper case and punctuation: the tokenizer folds and splits both */
    add_record(c, "9", "E-GOV «Портал»");
    const char *w8[] = {"e-go"}, *w9[] = {"портал,"}, *w10[] = {"gov", "e", "пор"};
    assert_int_equal(fts_find(c, w8, 1), 9);
    assert_int_equal(fts_find(c, w9, 1), 9);
    assert_int_equal(fts_find(c, w10, 3), 9);
    /* a word of many terms (here 90 times "e") */
    char many[181] = "";
    for (int i = 0; i < 90; i++)
        strcat(many, "e.");
    const char *w11[] = {many};
    assert_int_equal(fts_find(c, w11, 1), 9);
}

/* A database made before migration 6, with its records' text in the FTS5
 * table `fts`, keeps every text when it is opened: migration 6 moves it to
 * search_text and drops fts, and the records stay findable. REQ: REG-01 */
static void test_upgrade_moves_text(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode = WAL;"
                                  "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, "
                                  "applied_at TEXT NOT NULL) STRICT",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int v = 1; v <= 5; v++) {
        assert_int_equal(sqlite3_exec(db, sqlite_migrations[v - 1], NULL, NULL, NULL), SQLITE_OK);
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT INTO schema_migrations VALUES (%d, '2026-01-01T00:00:00Z')", v);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO records(rid, id, collection, kind, revision, "
                                  "created_at, updated_at) VALUES (7, 'r7', 'systems', 'system', "
                                  "1, 't', 't');"
                                  "INSERT INTO fts(rowid, body, coll) VALUES (7, 'электрондық "
                                  "үкімет порталы', 'systems')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct store_conn *c = store_conn(fx_open(f));
    assert_int_equal(q_int(c, "SELECT count(*) FROM schema_migrations", 0), n_migrations());
    assert_int_equal(q_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'fts'", 0), 0);
    char body[128];
    q_text(c, "SELECT coll || ':' || body FROM search_text WHERE rid = 7", body, sizeof body);
    assert_string_equal(body, "systems:электрондық үкімет порталы");
    const char *w[] = {"үкім", "порт"};
    assert_int_equal(fts_find(c, w, 2), 7);
}

/* A database made before migration 7 held activation and reset links in
 * clear in its outbox: opened, the links are cut out of every message,
 * sent or not, "{link}" keeps their place, and the unsent ones are left
 * for the sender to mint a fresh link (outbox.link). */
static void test_upgrade_cuts_links_out_of_mail(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode = WAL;"
                                  "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, "
                                  "applied_at TEXT NOT NULL) STRICT",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int v = 1; v <= 6; v++) {
        assert_int_equal(sqlite3_exec(db, sqlite_migrations[v - 1], NULL, NULL, NULL), SQLITE_OK);
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT INTO schema_migrations VALUES (%d, '2026-01-01T00:00:00Z')", v);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    const char *secret = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";
    char sql[1200];
    snprintf(sql, sizeof sql,
             "INSERT INTO outbox(id, created_at, recipient, template, subject, body, sent_at) "
             "VALUES (1, 't', 'a@b.kz', 'activate', 's', 'Open.\nSet your password:\n"
             "http://p.kz/activate?s=%s\n', NULL),"
             "(2, 't', 'a@b.kz', 'reset', 's', 'Password reset:\nhttp://p.kz/reset?s=%s\n', 't'),"
             "(3, 't', 'a@b.kz', 'record-returned', 's', 'Remarks: Set your password:\nx', NULL)",
             secret, secret);
    /* the test's SQL holds literal "\n": make them line breaks */
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE outbox SET body = replace(body, '\\n', char(10))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct store_conn *c = store_conn(fx_open(f));
    assert_int_equal(q_int(c, "SELECT count(*) FROM schema_migrations", 0), n_migrations());
    assert_int_equal(q_int(c, "SELECT count(*) FROM outbox WHERE instr(body, '?s=') > 0", 0), 0);
    char out[256];
    q_text(c, "SELECT body || '|' || link FROM outbox WHERE id = 1", out, sizeof out);
    assert_string_equal(out, "Open.\nSet your password:\n{link}\n|activate");
    q_text(c, "SELECT body || '|' || coalesce(link, '-') FROM outbox WHERE id = 2", out, sizeof out);
    assert_string_equal(out, "Password reset:\n{link}\n|-");
    q_text(c, "SELECT body || '|' || coalesce(link, '-') FROM outbox WHERE id = 3", out, sizeof out);
    assert_string_equal(out, "Remarks: Set your password:\nx|-");
}

/* ---- size, ids, integrity ---- */

static void test_size_and_last_id(void **state)
{
    struct store *s = fx_open(*state);
    struct store_conn *c = store_conn(s);
    assert_true(store_size_bytes(s) > 0);
    add_record(c, "41", "x");
    assert_int_equal(store_last_id(c), 41);
    int64_t before = store_size_bytes(s);
    for (int i = 0; i < (pg_base ? 2000 : 50); i++) { /* PostgreSQL's files grow by more */
        char rid[16];
        snprintf(rid, sizeof rid, "%d", 100 + i);
        add_record(c, rid, "some text to make the database grow a little");
    }
    assert_true(store_size_bytes(s) > before);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Row ids taken ahead (store_take_id): on PostgreSQL unique across two
 * nodes taking them at once, and never given again by the database (nor
 * would the integrity check find its sequence behind); on SQLite the
 * database gives them as rows are inserted. The id of an INSERT asked for
 * later (store_last_id_later) is there once the write has ended. */
static void test_ids_taken_ahead_and_later(void **state)
{
    struct fixture *f = *state;
    struct store *s = fx_open(f);
    struct err e = ERR_INIT;
    struct store_conn *c = store_conn(s);
    int64_t id = 0;
    if (!pg_base) {
        assert_int_equal(store_take_id(c, "records", &id, &e), 1);
    } else {
        struct store *other = NULL;
        struct store_options opt = {.busy_timeout_ms = 5000};
        assert_int_equal(store_open(f->path, &opt, &other, &e), 0);
        struct store_conn *c2 = store_conn(other);
        enum { N = 150 }; /* each node past two blocks */
        int64_t ids[2 * N];
        for (int i = 0; i < N; i++) {
            assert_int_equal(store_take_id(c, "records", &ids[2 * i], &e), 0);
            assert_int_equal(store_take_id(c2, "records", &ids[2 * i + 1], &e), 0);
        }
        qsort(ids, 2 * N, sizeof *ids, cmp_i64);
        for (int i = 1; i < 2 * N; i++)
            assert_true(ids[i] > ids[i - 1]);
        assert_int_equal(store_take_id(c, "no_such_table", &id, &e), -1);
        /* rows with ids taken, then one the database numbers */
        char rid[24];
        snprintf(rid, sizeof rid, "%lld", (long long)ids[2 * N - 1]);
        add_record(c2, rid, "taken ahead");
        assert_int_equal(store_exec(c,
                                    "INSERT INTO records(id, collection, kind, revision, "
                                    "created_at, updated_at) VALUES ('given', 'systems', "
                                    "'system', 1, 't', 't')",
                                    &e, 0),
                         0);
        assert_true(store_last_id(c) > ids[2 * N - 1]);
        char *report = NULL;
        assert_int_equal(store_integrity(c, &report), 0);
        free(report);
        store_close(other);
    }
    /* the id later: asked inside a write, there when it ended */
    struct store_conn *w = store_write_enter(s, &e);
    assert_non_null(w);
    int64_t later = 0;
    assert_int_equal(store_exec(w,
                                "INSERT INTO records(id, collection, kind, revision, created_at, "
                                "updated_at) VALUES ('later', 'systems', 'system', 1, 't', 't')",
                                &e, 0),
                     0);
    store_last_id_later(w, &later);
    assert_int_equal(store_write_leave(w, 0, NULL, NULL, &e), 0);
    int64_t want = 0;
    assert_int_equal(
        store_query_int64(c, "SELECT rid FROM records WHERE id = 'later'", &want, &e), 0);
    assert_true(want > 0);
    assert_int_equal(later, want);
}

/* A transaction's epoch: one per state, changed when it begins, when a
 * savepoint is rolled back and when it ends; never another's. */
static void test_tx_epoch(void **state)
{
    struct store *s = fx_open(*state);
    struct err e = ERR_INIT;
    struct store_conn *c = store_conn(s);
    uint64_t idle = store_tx_epoch(c);
    assert_int_equal(store_begin(c, true, &e), 0);
    uint64_t open = store_tx_epoch(c);
    assert_true(open != idle);
    add_record(c, "7", "seven");
    assert_int_equal(store_exec(c, "SAVEPOINT p", &e, 0), 0);
    assert_true(store_tx_epoch(c) == open); /* nothing undone */
    add_record(c, "8", "eight");
    assert_int_equal(store_exec(c, "ROLLBACK TO p", &e, 0), 0);
    uint64_t back = store_tx_epoch(c);
    assert_true(back != open);
    assert_int_equal(store_commit(c, &e), 0);
    assert_true(store_tx_epoch(c) != back && store_tx_epoch(c) != open &&
                store_tx_epoch(c) != idle);
    /* the writer's, another connection: its own numbers */
    struct store_conn *w = store_write_enter(s, &e);
    assert_non_null(w);
    assert_true(store_tx_epoch(w) != store_tx_epoch(c));
    assert_int_equal(store_write_leave(w, 0, NULL, NULL, &e), 0);
}

static void test_integrity_clean(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    add_record(c, "1", "Электрондық үкімет");
    struct err e = ERR_INIT;
    assert_int_equal(store_after_import(c, &e), 0); /* a row id of its own was given */
    char *report = NULL;
    assert_int_equal(store_integrity(c, &report), 0);
    assert_null(report);
}

static void test_integrity_reports_dangling_key(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(store_exec(c, "PRAGMA foreign_keys = OFF", &e, 0), 0);
    assert_int_equal(store_exec(c,
                                "INSERT INTO revisions VALUES "
                                "(999, 1, 't', 'someone', 'create', '{}')",
                                &e, 0),
                     0);
    assert_int_equal(store_exec(c, "PRAGMA foreign_keys = ON", &e, 0), 0);
    char *report = xstrdup("earlier\n");
    assert_int_equal(store_integrity(c, &report), 1);
    assert_true(strncmp(report, "earlier\n", 8) == 0);
    assert_non_null(strstr(report, "revisions"));
    free(report);
}

/* With foreign keys on (every connection), the same insert is refused. */
static void test_foreign_keys_enforced(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(store_exec(c,
                                "INSERT INTO revisions VALUES "
                                "(999, 1, 't', 'someone', 'create', '{}')",
                                &e, 0),
                     -1);
    assert_int_equal(e.status, 500);
}

/* ---- PostgreSQL's own ---- */

/* A job's lease: one store (node) at a time holds it, keeps it while it
 * asks again in time, and another takes it once it ran out; on SQLite
 * (one process) it is always held. */
static void test_job_lease(void **state)
{
    struct fixture *f = *state;
    struct store *a = fx_open(f), *b = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(store_lease(a, "scan", 300, &e), 1);
    if (!store_shared(a)) {
        assert_int_equal(store_lease(a, "scan", 300, &e), 1);
        return;
    }
    struct store_options opt = {.busy_timeout_ms = 5000};
    assert_int_equal(store_open(f->path, &opt, &b, &e), 0);
    assert_int_equal(store_lease(b, "scan", 300, &e), 0);   /* a holds it */
    assert_int_equal(store_lease(b, "digest", 300, &e), 1); /* another job: b's */
    assert_int_equal(store_lease(a, "scan", 300, &e), 1);   /* kept */
    usleep(400 * 1000);                                     /* a asked no more: run out */
    assert_int_equal(store_lease(b, "scan", 300, &e), 1);
    assert_int_equal(store_lease(a, "scan", 300, &e), 0);
    store_close(b);
}

/* must_exist on a database without the portal's schema: refused, nothing
 * made in it. */
static void test_pg_must_exist(void **state)
{
    struct fixture *f = *state;
    struct err e = ERR_INIT;
    struct store_options opt = {.busy_timeout_ms = 1000, .must_exist = true};
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), -1);
    assert_string_equal(e.type, "database-empty");
    fx_open(f);
    assert_int_equal(q_int(store_conn(f->s),
                           "SELECT count(*) FROM information_schema.tables WHERE table_name = "
                           "'schema_migrations'",
                           0),
                     1);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->path, &opt, &f->s, &e), 0);
}

/* The server ends the connection (a restart, a failover): outside a
 * transaction the next statement connects again; inside one it fails
 * with 503, and the one after works. */
static void test_pg_reconnects(void **state)
{
    struct fixture *f = *state;
    struct store_conn *c = store_conn(fx_open(f));
    assert_int_equal(add_token(c, "t1", "h1", &(struct err)ERR_INIT), 0);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'", f->db);
    pg_admin(sql);
    assert_int_equal(count_tokens(c), 1);
    struct err e = ERR_INIT;
    assert_int_equal(store_begin(c, true, &e), 0);
    pg_admin(sql);
    assert_int_equal(add_token(c, "t2", "h2", &e), -1);
    assert_int_equal(e.status, 503);
    assert_string_equal(e.type, "database-unavailable");
    store_rollback(c);
    assert_int_equal(add_token(c, "t3", "h3", &e), 0);
    assert_int_equal(count_tokens(c), 2);
}

/* The documents' index: a document's terms found by a prefix within its
 * collection, not in another, and gone once dropped. */
static void test_pg_documents_index(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    struct err e = ERR_INIT;
    assert_int_equal(store_doc_index(c, 5, "objects", "Электрондық ҮКІМЕТ порталы, it's", 7, &e),
                     0);
    char sql[200];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(sql, sizeof sql, store_sql(c, STORE_SQL_FTS_DOC_ROWS), 1);
#pragma GCC diagnostic pop
    struct {
        const char *coll, *word;
        int64_t rid;
    } cases[] = {{"objects", "үкім", 7}, {"objects", "порт", 7}, {NULL, "электрон", 7},
                 {"services", "үкім", 0}, {"objects", "банк", 0}, {"objects", "it's", 7}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *w[] = {cases[i].word};
        char *q = store_fts_query(c, cases[i].coll, w, 1);
        struct store_stmt *st = store_prepare(c, sql, true, &e);
        assert_non_null(st);
        store_bind_text(st, 1, q);
        int rc = store_step(st, &e);
        if (rc == STORE_ERROR)
            fail_msg("%s: %s", q, e.detail);
        assert_int_equal(rc == STORE_ROW ? store_col_int64(st, 0) : 0, cases[i].rid);
        store_reset(st);
        free(q);
    }
    assert_int_equal(store_doc_unindex(c, 5, &e), 0);
    assert_int_equal(q_int(c, "SELECT count(*) FROM doc_fts", 0), 0);
}

/* Rows written with ids of their own (an import): the integrity check
 * sees the sequence behind them until store_after_import moves it, and the
 * database's next id comes after them, as SQLite's max(rowid) + 1. */
static void test_pg_ids_after_import(void **state)
{
    struct store_conn *c = store_conn(fx_open(*state));
    add_record(c, "50", "x");
    assert_int_equal(store_last_id(c), 50);
    char *report = NULL;
    assert_int_equal(store_integrity(c, &report), 1);
    assert_non_null(strstr(report, "records.rid"));
    free(report);
    report = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(store_after_import(c, &e), 0);
    assert_int_equal(store_integrity(c, &report), 0);
    assert_int_equal(store_exec(c,
                                "INSERT INTO records(id, collection, kind, revision, created_at, "
                                "updated_at) VALUES ('next', 'systems', 'system', 1, 't', 't')",
                                &e, 0),
                     0);
    assert_int_equal(store_last_id(c), 51);
    /* an id taken ahead and not used yet is not given again by the
     * database after an import: the sequence goes forward only */
    int64_t taken = 0;
    assert_int_equal(store_take_id(c, "records", &taken, &e), 0);
    assert_true(taken > 51);
    assert_int_equal(store_after_import(c, &e), 0);
    assert_int_equal(store_exec(c,
                                "INSERT INTO records(id, collection, kind, revision, created_at, "
                                "updated_at) VALUES ('after', 'systems', 'system', 1, 't', 't')",
                                &e, 0),
                     0);
    assert_true(store_last_id(c) > taken + 62); /* past the whole block taken */
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int main(void)
{
    /* each test with the backends it runs on */
    enum { SQLITE = 1, PG = 2, BOTH = 3 };
    static const struct {
        struct CMUnitTest t;
        int on;
    } all[] = {
        {T(test_url_schemes), SQLITE},
        {T(test_migrations_recorded), BOTH},
        {T(test_reopen_does_not_reapply), BOTH},
        {T(test_newer_schema_refused), BOTH},
        {T(test_must_exist_refuses_an_empty_database), SQLITE},
        {T(test_failed_migration_leaves_nothing), SQLITE},
        {T(test_bind_out_of_order), BOTH},
        {T(test_reset_clears_bindings), BOTH},
        {T(test_stmt_cache), BOTH},
        {T(test_stmt_cache_full), BOTH},
        {T(test_prepare_errors), BOTH},
        {T(test_unique_conflict), BOTH},
        {T(test_not_null_is_storage_error), BOTH},
        {T(test_rollback_leaves_nothing), BOTH},
        {T(test_tx_misuse), BOTH},
        {T(test_write_tx_two_threads), BOTH},
        {T(test_write_tx_busy_timeout), BOTH},
        {T(test_group_commit), BOTH},
        {T(test_writer_flushes_before_acknowledging), SQLITE},
        {T(test_writer_cache_released), SQLITE},
        {T(test_checkpoints_keep_the_log_short), SQLITE},
        {T(test_conn_per_thread), BOTH},
        {T(test_durability_settings), SQLITE},
        {T(test_two_stores), SQLITE},
        {T(test_fts_query_text), BOTH},
        {T(test_fts_match_fragment), BOTH},
        {T(test_upgrade_moves_text), SQLITE},
        {T(test_upgrade_cuts_links_out_of_mail), SQLITE},
        {T(test_fts_kazakh), BOTH},
        {T(test_size_and_last_id), BOTH},
        {T(test_ids_taken_ahead_and_later), BOTH},
        {T(test_tx_epoch), BOTH},
        {T(test_integrity_clean), BOTH},
        {T(test_integrity_reports_dangling_key), SQLITE},
        {T(test_foreign_keys_enforced), BOTH},
        {T(test_job_lease), BOTH},
        {T(test_pg_must_exist), PG},
        {T(test_pg_reconnects), PG},
        {T(test_pg_documents_index), PG},
        {T(test_pg_ids_after_import), PG},
    };
    pg_base = pgtest_base();
    struct CMUnitTest run[sizeof all / sizeof *all];
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i].on & (pg_base ? PG : SQLITE))
            run[n++] = all[i].t;
    return _cmocka_run_group_tests(pg_base ? "pg_tests" : "tests", run, n, NULL, NULL);
}
