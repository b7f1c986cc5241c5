/* driver-pg: the PostgreSQL backend of the store (libpq).
 *
 * One connection per thread, as with SQLite. A statement is prepared on
 * the server at its first run on a connection, named by a counter, with
 * the types of that run's values: an integer as int8, a text or NULL as
 * unknown (the server infers it from the SQL, as SQLite compares by
 * affinity); the SQL is the callers' own, whose "$n" are PostgreSQL's.
 * Rows come one at a time (single-row mode), so that a scan of the whole
 * registry holds one row in memory. A connection runs one statement at a
 * time: when another starts while one is still giving rows, the rest of
 * the first one's rows are read into memory first and it goes on from
 * there.
 *
 * A write transaction is READ COMMITTED (the process's writers already
 * take turns in store.c; the shared SQL's upserts are atomic there); a
 * read transaction is REPEATABLE READ: one snapshot, as SQLite's read
 * transactions (which may write, as SQLite's may). COMMIT returns when the commit is durable
 * (synchronous_commit, the server's default), so make_durable has nothing
 * to do. Errors map by SQLSTATE: a unique violation is a conflict (409), a
 * serialization failure, deadlock or lock timeout is busy (503), a lost or
 * refused connection is "database-unavailable" (503), the connection being
 * made again at the next use outside a transaction.
 *
 * The schema comes from migrations-pg.h, applied in one transaction under
 * an advisory lock, so that nodes starting together take turns. */
#include "store/migrations-pg.h"
#include "store/store-private.h"
#include "store/tokenize.h"

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
    PG_MAX_PARAMS = 64,
    PG_INT8_OID = 20,
    PG_TEXT_OID = 25,
    /* the advisory lock the migrations take (any number the portal owns) */
    PG_MIGRATE_LOCK = 0x61727063, /* "arpc" */
    /* the lock every write transaction takes first: the writers of all the
     * nodes take turns, as one node's do (store.c), so that each write
     * sees every earlier one and the change feed's order is the commits' */
    PG_WRITE_LOCK = 0x61727077, /* "arpw" */
};

struct pg_store {
    struct store base;
    char *url;
    int busy_timeout_ms;
    bool connected;            /* a connection was made once (the store opened) */
    pthread_mutex_t listen_mu; /* store_listen_wait's connection: */
    PGconn *listen;            /* LISTENing to `channel` (NULL: none yet, or lost) */
    char *channel;
};

struct pg_stmt;

struct pg_conn {
    struct store_conn base;
    PGconn *pc;
    unsigned next_name;      /* of the statements prepared on pc */
    struct pg_stmt *running; /* the statement whose rows the server is sending */
    struct store_cache cache;
    struct pg_stmt *all; /* every statement of the connection (to forget names) */
    int64_t last_id;     /* the id the last INSERT into a table with ids gave */
    /* In a write transaction the statements whose rows nobody reads (an
     * INSERT, UPDATE or DELETE, a savepoint, an advisory lock, a NOTIFY)
     * are sent without waiting for their answers (libpq's pipeline mode):
     * a write is some twenty statements, and each answer waited for is a
     * round trip. Their answers are read before the next statement whose
     * rows are read, a RELEASE (a write's end) and the COMMIT, so that a
     * failure is reported before the write ends, as if at its statement. */
    bool pipe_tx;      /* a write transaction is open */
    size_t pending;    /* statements sent whose answers are not read yet */
    struct pg_pend {
        bool id;       /* its answer gives an id (last_id) */
        int64_t *slot; /* where to write that id too (store_last_id_later) */
    } *pend;
    size_t pend_cap;
    /* ids taken ahead (store_take_id), of the table pg_serials[taken_of] */
    int64_t taken[64];
    size_t n_taken, taken_of;
    bool pend_failed;  /* one of them failed: the rest were not run */
    struct err pend_err; /* its error */
};

struct pg_stmt {
    struct store_stmt base;
    struct pg_conn *c;
    char *sql;       /* the caller's (the cache's key) */
    char *run;       /* what the server runs: sql, or sql RETURNING the id */
    bool returns_id; /* an INSERT into a table whose ids the database gives */
    bool deferred;   /* its rows are not read: sent without waiting in a write */
    bool rollback;   /* a ROLLBACK (TO a savepoint): what clears a failure */
    char name[24];   /* "" until prepared on the connection */
    int nparams;     /* the highest $n of sql */
    char *vals[PG_MAX_PARAMS];
    int lens[PG_MAX_PARAMS];
    bool is_int[PG_MAX_PARAMS];
    char ints[PG_MAX_PARAMS][24];
    int bind_bad; /* a $n the statement does not have (0: none) */
    /* its run */
    bool started, streaming, done;
    bool delivered, retried; /* a row given; the run sent again once */
    PGresult *row;           /* the current row's result */
    int row_i;               /* the row in it (a whole result: in a pipeline) */
    PGresult **queue;        /* rows read ahead (another statement ran meanwhile) */
    size_t q_at, q_n, q_cap;
    struct pg_stmt *next_all, **prev_all;
};

static struct pg_conn *pg_conn_of(struct store_conn *c)
{
    return container_of(c, struct pg_conn, base);
}

static struct pg_stmt *pg_stmt_of(struct store_stmt *st)
{
    return container_of(st, struct pg_stmt, base);
}

/* ---- errors ---- */

static bool pg_lost(const struct pg_conn *c)
{
    return PQstatus(c->pc) != CONNECTION_OK;
}

/* Fills e for a failed result (NULL: the connection's last error). */
static void pg_fail(struct pg_conn *c, const PGresult *r, struct err *e, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c->pc);
    if (!state)
        state = "";
    if (strcmp(state, "23505") == 0) {
        err_set(e, 409, "conflict", "", "%s", msg);
    } else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
               strcmp(state, "55P03") == 0) {
        err_set(e, 503, "busy", "", "the database is busy, try again: %s", msg);
    } else if (strncmp(state, "53", 2) == 0) {
        err_set(e, 503, "storage-full", "", "the database server is out of resources: %s", msg);
    } else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || pg_lost(c)) {
        err_set(e, 503, "database-unavailable", "",
                "the database cannot be reached, try again shortly: %.200s", msg);
    } else {
        err_set(e, 500, "storage-error", "", "%s: %s", what, msg);
    }
}

/* The id an INSERT … RETURNING gave in its first row (0: NULL). */
static int64_t pg_result_id(const PGresult *r)
{
    return PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
}

/* ---- a write transaction's pipeline ---- */

/* Is st a failure of the statement itself (not an answer, nor a statement
 * skipped after an earlier failure, nor the sync point)? A row alone
 * (SINGLE_TUPLE) is an answer too: libpq keeps the single-row mode of the
 * last statement run outside the pipeline for the first one sent in it
 * (an advisory lock's row after a ROLLBACK TO a savepoint). */
static bool pg_answer_failed(ExecStatusType st)
{
    return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_SINGLE_TUPLE &&
           st != PGRES_PIPELINE_ABORTED && st != PGRES_PIPELINE_SYNC;
}

/* Keeps the first failure of the statements sent without waiting. */
static void pg_pend_fail(struct pg_conn *c, const PGresult *r)
{
    if (c->pend_failed)
        return;
    pg_fail(c, r, &c->pend_err, "statement failed");
    c->pend_failed = true;
}

/* Asks the server for the answers it has not sent yet. */
static void pg_flush(struct pg_conn *c)
{
    if (PQsendFlushRequest(c->pc) != 1 || PQflush(c->pc) != 0)
        pg_pend_fail(c, NULL);
}

/* Reads the answers of the statements sent without waiting (flushed): the
 * first failure kept (those after it were not run), an id given kept. */
static void pg_drain(struct pg_conn *c, bool flush)
{
    if (!c->pending)
        return;
    if (flush)
        pg_flush(c);
    for (size_t i = 0; i < c->pending; i++) {
        PGresult *r;
        bool any = false;
        while ((r = PQgetResult(c->pc)) != NULL) {
            any = true;
            ExecStatusType st = PQresultStatus(r);
            if ((st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) && c->pend[i].id &&
                PQntuples(r) == 1) {
                c->last_id = pg_result_id(r);
                if (c->pend[i].slot)
                    *c->pend[i].slot = c->last_id;
            } else if (pg_answer_failed(st)) {
                pg_pend_fail(c, r);
            }
            PQclear(r);
        }
        if (!any && pg_lost(c)) { /* nothing more will come */
            pg_pend_fail(c, NULL);
            break;
        }
    }
    c->pending = 0;
}

/* Leaves pipeline mode: every answer read, a sync point passed. -1 with
 * the first failure of the statements sent without waiting, if one failed
 * (kept until the transaction or its savepoint is rolled back). */
static int pg_pipe_end(struct pg_conn *c, struct err *e)
{
    if (PQpipelineStatus(c->pc) != PQ_PIPELINE_OFF) {
        bool synced = PQpipelineSync(c->pc) == 1; /* sends what waits, and a sync */
        pg_drain(c, false);
        if (synced) {
            for (;;) {
                PGresult *r = PQgetResult(c->pc);
                if (!r) {
                    if (pg_lost(c))
                        break;
                    continue; /* between two statements' answers */
                }
                ExecStatusType st = PQresultStatus(r);
                if (pg_answer_failed(st))
                    pg_pend_fail(c, r);
                PQclear(r);
                if (st == PGRES_PIPELINE_SYNC)
                    break;
            }
        } else {
            pg_pend_fail(c, NULL);
        }
        if (!PQexitPipelineMode(c->pc))
            pg_pend_fail(c, NULL);
    }
    if (c->pend_failed) {
        *e = c->pend_err;
        return -1;
    }
    return 0;
}

/* Forgets a failure of the statements sent (their transaction or
 * savepoint rolled back). */
static void pg_pipe_clear(struct pg_conn *c)
{
    c->pending = 0;
    c->pend_failed = false;
    err_clear(&c->pend_err);
}

/* Runs SQL text (one or more statements, rows ignored) with the simple
 * protocol; the connection must not be sending rows. */
static int pg_exec_text(struct pg_conn *c, const char *sql, const char *what, struct err *e)
{
    if (pg_pipe_end(c, e) < 0)
        return -1;
    PGresult *r = PQexec(c->pc, sql);
    ExecStatusType s = PQresultStatus(r);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
    if (rc < 0)
        pg_fail(c, r, e, what);
    PQclear(r);
    return rc;
}

/* ---- a statement's run ---- */

/* Keeps a result in the statement's queue, read before the server's. */
static void pg_queue(struct pg_stmt *s, PGresult *r)
{
    if (s->q_n == s->q_cap) {
        s->q_cap = s->q_cap ? 2 * s->q_cap : 64;
        s->queue = xrealloc(s->queue, s->q_cap * sizeof *s->queue);
    }
    s->queue[s->q_n++] = r;
}

/* Reads the rest of the running statement's rows into its queue, so that
 * the connection is free for another. */
static void pg_read_ahead(struct pg_conn *c)
{
    struct pg_stmt *s = c->running;
    if (!s)
        return;
    c->running = NULL;
    s->streaming = false;
    PGresult *r;
    while ((r = PQgetResult(c->pc)) != NULL)
        pg_queue(s, r);
}

static void pg_run_clear(struct pg_stmt *s)
{
    if (s->streaming && s->c->running == s) {
        /* rows not wanted: read and drop them, so the connection is free */
        PGresult *r;
        while ((r = PQgetResult(s->c->pc)) != NULL)
            PQclear(r);
        s->c->running = NULL;
    }
    PQclear(s->row);
    s->row = NULL;
    for (size_t i = s->q_at; i < s->q_n; i++)
        PQclear(s->queue[i]);
    s->q_at = s->q_n = 0;
    s->started = s->streaming = s->done = false;
    s->delivered = s->retried = false;
}

/* ---- statements and their cache ---- */

/* The highest $n in sql, outside quoted text; -1 past PG_MAX_PARAMS. */
static int pg_count_params(const char *sql)
{
    int most = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            while (*++p && *p != q)
                ;
            if (!*p)
                break;
            continue;
        }
        if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
            int n = 0;
            while (p[1] >= '0' && p[1] <= '9' && n <= PG_MAX_PARAMS)
                n = n * 10 + (*++p - '0');
            if (n > PG_MAX_PARAMS)
                return -1;
            if (n > most)
                most = n;
        }
    }
    return most;
}

/* The id column of the table sql INSERTs into when the database gives
 * its ids (pg_serials) and sql does not say RETURNING; else NULL. */
static const char *pg_id_column(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    if (strncasecmp(sql, "INSERT INTO ", 12) != 0 || strcasestr(sql, "RETURNING"))
        return NULL;
    const char *t = sql + 12;
    size_t n = strcspn(t, " (");
    for (size_t i = 0; i < sizeof pg_serials / sizeof *pg_serials; i++)
        if (strlen(pg_serials[i][0]) == n && strncmp(t, pg_serials[i][0], n) == 0)
            return pg_serials[i][1];
    return NULL;
}

/* Does sql begin (after blanks) with word, in any case? */
static bool pg_starts(const char *sql, const char *word)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    return strncasecmp(sql, word, strlen(word)) == 0;
}

/* May sql be sent without waiting for its answer in a write transaction:
 * is it a statement whose rows nobody reads? */
static bool pg_deferrable(const char *sql)
{
    static const char *const starts[] = {"INSERT ", "UPDATE ", "DELETE ", "SAVEPOINT ",
                                         "SELECT pg_advisory_xact_lock(", "SELECT pg_notify("};
    if (strcasestr(sql, "RETURNING"))
        return false; /* the caller reads what it returns */
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (pg_starts(sql, starts[i]))
            return true;
    return false;
}

static struct pg_stmt *pg_stmt_new(struct pg_conn *c, const char *sql, struct err *e)
{
    int n = pg_count_params(sql);
    if (n < 0) {
        err_internal(e, "store: more than %d parameters in one statement", PG_MAX_PARAMS);
        return NULL;
    }
    struct pg_stmt *s = xcalloc(1, sizeof *s);
    s->base.conn = &c->base;
    s->c = c;
    s->sql = xstrdup(sql);
    const char *col = pg_id_column(sql);
    if (col) { /* store_last_id: SQLite's last_insert_rowid */
        size_t len = strlen(sql) + strlen(col) + 16;
        s->run = xmalloc(len);
        snprintf(s->run, len, "%s RETURNING %s", sql, col);
        s->returns_id = true;
    } else {
        s->run = xstrdup(sql);
    }
    s->nparams = n;
    s->deferred = pg_deferrable(sql);
    s->rollback = pg_starts(sql, "ROLLBACK");
    s->next_all = c->all;
    if (c->all)
        c->all->prev_all = &s->next_all;
    s->prev_all = &c->all;
    c->all = s;
    return s;
}

static void pg_unbind(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        if (!s->is_int[i])
            free(s->vals[i]);
        s->vals[i] = NULL;
        s->is_int[i] = false;
    }
    s->bind_bad = 0;
}

static void pg_stmt_free(struct pg_stmt *s)
{
    pg_run_clear(s);
    pg_unbind(s);
    if (s->name[0] && !pg_lost(s->c)) {
        pg_read_ahead(s->c); /* the connection free for the DEALLOCATE */
        struct err kept = ERR_INIT; /* a failure stays for the next statement */
        (void)pg_pipe_end(s->c, &kept);
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
        PQclear(PQexec(s->c->pc, sql));
    }
    *s->prev_all = s->next_all;
    if (s->next_all)
        s->next_all->prev_all = s->prev_all;
    free(s->queue);
    free(s->sql);
    free(s->run);
    free(s->base.key);
    free(s);
}

static int pg_server_prepare(struct pg_stmt *s, bool eager, struct err *e);
static int pg_reconnect(struct pg_conn *c, struct err *e);

/* Prepares a new statement on the server now, as SQLite compiles it at
 * once (an error in its SQL is the caller's at store_prepare), unless
 * only its values' types can settle its parameters' (then at its first
 * run); text that is no statement is refused, as SQLite refuses it. */
static int pg_prepare_now(struct pg_stmt *s, struct err *e)
{
    const char *p = s->sql;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';')
        p++;
    if (!*p) {
        err_internal(e, "store_prepare wants exactly one SQL statement");
        return -1;
    }
    if (pg_reconnect(s->c, e) < 0)
        return -1;
    pg_read_ahead(s->c);
    int rc = pg_server_prepare(s, true, e);
    if (rc < 0 && pg_lost(s->c) && !s->c->base.in_tx) { /* the server ended it: once more */
        err_clear(e);
        rc = pg_reconnect(s->c, e) < 0 ? -1 : pg_server_prepare(s, true, e);
    }
    return rc;
}

static struct store_stmt *pg_prepare(struct store_conn *cb, const char *sql, bool cache,
                                     struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    if (!cache) {
        struct pg_stmt *once = pg_stmt_new(c, sql, e);
        if (once && pg_prepare_now(once, e) < 0) {
            pg_stmt_free(once);
            return NULL;
        }
        return once ? &once->base : NULL;
    }
    size_t i;
    uint32_t h;
    struct store_stmt *found = store_cache_find(&c->cache, sql, &i, &h);
    struct pg_stmt *s = found ? pg_stmt_of(found) : NULL;
    if (!s) {
        s = pg_stmt_new(c, sql, e);
        if (s && pg_prepare_now(s, e) < 0) {
            pg_stmt_free(s);
            return NULL;
        }
        if (!s)
            return NULL;
        s->base.cached = true;
        store_cache_put(&c->cache, i, &s->base, sql, h);
    }
    s->base.busy = true;
    return &s->base;
}

static void pg_reset(struct store_stmt *sb)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (s->base.cached && !s->base.in_cache) {
        pg_stmt_free(s);
        return;
    }
    pg_run_clear(s);
    pg_unbind(s);
    s->base.busy = false;
}

static void pg_finalize(struct store_stmt *sb)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (s->base.in_cache)
        pg_reset(sb);
    else
        pg_stmt_free(s);
}

/* ---- binding and stepping ---- */

static bool pg_param_ok(struct pg_stmt *s, int n)
{
    if (n >= 1 && n <= s->nparams) {
        if (!s->is_int[n - 1])
            free(s->vals[n - 1]);
        s->vals[n - 1] = NULL;
        s->is_int[n - 1] = false;
        return true;
    }
    s->bind_bad = n;
    return false;
}

static void pg_bind_text(struct store_stmt *sb, int n, const char *p, size_t len)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (!pg_param_ok(s, n))
        return;
    char *v = xmalloc(len + 1);
    memcpy(v, p, len);
    v[len] = '\0';
    s->vals[n - 1] = v;
    s->lens[n - 1] = (int)len;
}

static void pg_bind_int64(struct store_stmt *sb, int n, int64_t v)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (!pg_param_ok(s, n))
        return;
    int len = snprintf(s->ints[n - 1], sizeof s->ints[n - 1], "%lld", (long long)v);
    s->vals[n - 1] = s->ints[n - 1];
    s->lens[n - 1] = len;
    s->is_int[n - 1] = true;
}

static void pg_bind_null(struct store_stmt *sb, int n)
{
    (void)pg_param_ok(pg_stmt_of(sb), n);
}

/* Is SQLSTATE state one of the errors of a parameter whose type the
 * server cannot tell (which the values' own types may settle)? */
static bool pg_type_error(const char *state)
{
    static const char *const states[] = {"42P18", "42P08", "42725", "42883", "42804"};
    for (size_t i = 0; state && i < sizeof states / sizeof *states; i++)
        if (strcmp(state, states[i]) == 0)
            return true;
    return false;
}

/* Prepares s on its connection (the connection free) with its values'
 * types (eager: before any is bound, all left to the server). A text left
 * for the server to infer that it cannot (a "$2 IS NULL OR x = $2") is
 * given as text; eagerly, such a statement is left to be prepared at its
 * first run, with the values' types (0: not prepared yet). */
static int pg_server_prepare(struct pg_stmt *s, bool eager, struct err *e)
{
    struct pg_conn *c = s->c;
    /* prepared out of the pipeline; a ROLLBACK (TO a savepoint) even after
     * a failure of the statements sent: it is what clears it */
    struct err kept = ERR_INIT;
    if (pg_pipe_end(c, &kept) < 0 && !s->rollback) {
        *e = kept;
        return -1;
    }
    unsigned types[PG_MAX_PARAMS];
    for (int i = 0; i < s->nparams; i++)
        types[i] = s->is_int[i] && !eager ? PG_INT8_OID : 0;
    char name[24];
    snprintf(name, sizeof name, "ap%u", ++c->next_name);
    /* in a transaction, a failed prepare would abort it: try under a
     * savepoint */
    bool in_tx = PQtransactionStatus(c->pc) == PQTRANS_INTRANS;
    if (in_tx)
        PQclear(PQexec(c->pc, "SAVEPOINT ap_prepare"));
    PGresult *r = PQprepare(c->pc, name, s->run, s->nparams, (const Oid *)types);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (eager && pg_type_error(state)) {
        PQclear(r);
        if (in_tx)
            PQclear(PQexec(c->pc, "ROLLBACK TO SAVEPOINT ap_prepare; RELEASE ap_prepare"));
        return 0;
    }
    if (pg_type_error(state)) {
        PQclear(r);
        if (in_tx)
            PQclear(PQexec(c->pc, "ROLLBACK TO SAVEPOINT ap_prepare"));
        for (int i = 0; i < s->nparams; i++)
            types[i] = s->is_int[i] ? PG_INT8_OID : PG_TEXT_OID;
        r = PQprepare(c->pc, name, s->run, s->nparams, (const Oid *)types);
    }
    if (in_tx)
        PQclear(PQexec(c->pc, PQresultStatus(r) == PGRES_COMMAND_OK
                                  ? "RELEASE SAVEPOINT ap_prepare"
                                  : "ROLLBACK TO SAVEPOINT ap_prepare; RELEASE ap_prepare"));
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        char what[300];
        snprintf(what, sizeof what, "cannot prepare SQL (%.240s)", s->sql);
        pg_fail(c, r, e, what);
    }
    PQclear(r);
    if (ok)
        memcpy(s->name, name, sizeof name);
    return ok ? 0 : -1;
}

static int pg_reconnect(struct pg_conn *c, struct err *e);

/* Sends s's run with its values (prepared). */
static int pg_send(struct pg_stmt *s, struct err *e)
{
    const char *vals[PG_MAX_PARAMS];
    for (int i = 0; i < s->nparams; i++)
        vals[i] = s->vals[i];
    if (!PQsendQueryPrepared(s->c->pc, s->name, s->nparams, vals, s->lens, NULL, 0)) {
        pg_fail(s->c, NULL, e, "cannot send a statement");
        return -1;
    }
    return 0;
}

/* Counts one more statement sent without waiting (id: its answer gives
 * an id). */
static void pg_pend_push(struct pg_conn *c, bool id)
{
    if (c->pending == c->pend_cap) {
        c->pend_cap = c->pend_cap ? 2 * c->pend_cap : 64;
        c->pend = xrealloc(c->pend, c->pend_cap * sizeof *c->pend);
    }
    c->pend[c->pending++] = (struct pg_pend){id, NULL};
}

/* Sends s's run in a write transaction's pipeline: without waiting when
 * its rows are not read, else with the answers before it read first and
 * then its own whole. */
static int pg_start_piped(struct pg_stmt *s, struct err *e)
{
    struct pg_conn *c = s->c;
    if (c->pend_failed) {
        *e = c->pend_err;
        return -1;
    }
    if (!s->name[0] && pg_server_prepare(s, false, e) < 0)
        return -1;
    if (PQpipelineStatus(c->pc) == PQ_PIPELINE_OFF && !PQenterPipelineMode(c->pc)) {
        pg_fail(c, NULL, e, "cannot send statements");
        return -1;
    }
    if (pg_send(s, e) < 0)
        return -1;
    s->started = true;
    if (s->deferred) {
        pg_pend_push(c, s->returns_id);
        s->done = true; /* STORE_DONE now; a failure comes at the next statement read */
        return 0;
    }
    pg_flush(c);
    pg_drain(c, false);
    PGresult *r;
    while ((r = PQgetResult(c->pc)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR)
            pg_pend_fail(c, r); /* the statements after it are not run either */
        pg_queue(s, r);
        if (st == PGRES_PIPELINE_ABORTED && c->pend_failed) {
            *e = c->pend_err; /* an earlier one failed */
            s->done = true;
            return -1;
        }
    }
    if (!s->q_n && pg_lost(c)) {
        pg_pend_fail(c, NULL);
        *e = c->pend_err;
        s->done = true;
        return -1;
    }
    return 0;
}

/* Sends s's run; its rows come one at a time. */
static int pg_start(struct pg_stmt *s, struct err *e)
{
    struct pg_conn *c = s->c;
    if (c->pipe_tx && !s->rollback)
        return pg_start_piped(s, e);
    if (c->pipe_tx) { /* a savepoint rolled back: the failure with it */
        struct err gone = ERR_INIT;
        (void)pg_pipe_end(c, &gone);
        pg_pipe_clear(c);
    }
    if (pg_reconnect(c, e) < 0)
        return -1;
    pg_read_ahead(c);
    if (!s->name[0] && pg_server_prepare(s, false, e) < 0)
        return -1;
    if (pg_send(s, e) < 0)
        return -1;
    if (!PQsetSingleRowMode(c->pc))
        log_msg(LOG_WARN, "store: PostgreSQL rows not one at a time");
    s->started = s->streaming = true;
    c->running = s;
    return 0;
}

/* The statement's next result: from its queue, else from the server. */
static PGresult *pg_next_result(struct pg_stmt *s)
{
    if (s->q_at < s->q_n)
        return s->queue[s->q_at++];
    if (!s->streaming)
        return NULL;
    PGresult *r = PQgetResult(s->c->pc);
    if (!r) {
        s->streaming = false;
        s->c->running = NULL;
    }
    return r;
}

static int pg_step(struct store_stmt *sb, struct err *e)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (s->bind_bad) {
        err_internal(e, "store: binding $%d, which the statement does not contain: %.300s",
                     s->bind_bad, s->sql);
        return STORE_ERROR;
    }
    if (!s->started && pg_start(s, e) < 0) {
        s->done = true;
        return STORE_ERROR;
    }
    if (s->row && s->row_i + 1 < PQntuples(s->row)) { /* a whole result's next row */
        s->row_i++;
        return STORE_ROW;
    }
    PQclear(s->row);
    s->row = NULL;
    s->row_i = 0;
    if (s->done)
        return STORE_DONE;
    for (;;) {
        PGresult *r = pg_next_result(s);
        if (!r) {
            s->done = true;
            return STORE_DONE;
        }
        switch (PQresultStatus(r)) {
        case PGRES_SINGLE_TUPLE:
            if (s->returns_id) { /* the id given, kept for store_last_id */
                s->c->last_id = pg_result_id(r);
                PQclear(r);
                continue;
            }
            s->row = r;
            s->delivered = true;
            return STORE_ROW;
        case PGRES_TUPLES_OK: /* the end, or a whole result (in a pipeline) */
            if (PQntuples(r) > 0 && s->returns_id) {
                s->c->last_id = pg_result_id(r);
            } else if (PQntuples(r) > 0) {
                s->row = r;
                s->row_i = 0;
                s->delivered = true;
                return STORE_ROW;
            }
            PQclear(r);
            continue;
        case PGRES_COMMAND_OK:
            PQclear(r); /* the end; the NULL after it comes next */
            continue;
        default:
            if (!s->delivered && !s->retried && pg_lost(s->c) && !s->c->base.in_tx) {
                /* the server ended the connection before the run began
                 * (a restart, a failover): connect again, run it again */
                PQclear(r);
                s->c->running = NULL;
                s->streaming = false;
                s->retried = true;
                if (pg_reconnect(s->c, e) < 0 || pg_start(s, e) < 0) {
                    s->done = true;
                    return STORE_ERROR;
                }
                continue;
            }
            pg_fail(s->c, r, e, "statement failed");
            PQclear(r);
            /* the rest of the run (its NULL) read, the connection free */
            while (s->streaming && (r = pg_next_result(s)) != NULL)
                PQclear(r);
            s->done = true;
            return STORE_ERROR;
        }
    }
}

static const char *pg_col_text(struct store_stmt *sb, int i)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (!s->row || i >= PQnfields(s->row) || PQgetisnull(s->row, s->row_i, i))
        return NULL;
    return PQgetvalue(s->row, s->row_i, i);
}

static size_t pg_col_bytes(struct store_stmt *sb, int i)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    if (!s->row || i >= PQnfields(s->row) || PQgetisnull(s->row, s->row_i, i))
        return 0;
    return (size_t)PQgetlength(s->row, s->row_i, i);
}

/* A boolean (which SQLite gives as 0 or 1) is "t" or "f" in text. */
static int64_t pg_col_int64(struct store_stmt *sb, int i)
{
    const char *t = pg_col_text(sb, i);
    if (t && (t[0] == 't' || t[0] == 'f') && !t[1])
        return t[0] == 't';
    return t ? strtoll(t, NULL, 10) : 0;
}

static bool pg_col_null(struct store_stmt *sb, int i)
{
    struct pg_stmt *s = pg_stmt_of(sb);
    return !s->row || i >= PQnfields(s->row) || PQgetisnull(s->row, s->row_i, i);
}

/* ---- small helpers on a connection ---- */

/* Runs a statement without parameters, ignoring its rows. */
static int pg_run(struct pg_conn *c, const char *sql, struct err *e)
{
    struct store_stmt *st = pg_prepare(&c->base, sql, true, e);
    if (!st)
        return -1;
    int rc;
    while ((rc = pg_step(st, e)) == STORE_ROW)
        ;
    pg_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* ---- stores and connections ---- */

static struct store *pg_open(const char *url, const struct store_options *opt, struct err *e)
{
    (void)e;
    struct pg_store *s = xcalloc(1, sizeof *s);
    s->base.v = &store_pg_vfuncs;
    s->url = xstrdup(url);
    s->busy_timeout_ms = opt->busy_timeout_ms;
    pthread_mutex_init(&s->listen_mu, NULL);
    return &s->base;
}

static void pg_close(struct store *sb)
{
    struct pg_store *s = container_of(sb, struct pg_store, base);
    if (s->listen)
        PQfinish(s->listen);
    free(s->channel);
    pthread_mutex_destroy(&s->listen_mu);
    free(s->url);
    free(s);
}

/* The connection's settings: messages in English and UTC (the portal
 * formats its own), a writer's lock waits bounded by the busy timeout, and
 * no transaction left open by a stalled client holding locks for long. */
static int pg_configure(struct pg_conn *c, int busy_ms, struct err *e)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SET lc_messages TO 'C'; SET TIME ZONE 'UTC'; SET lock_timeout = %d; "
             "SET idle_in_transaction_session_timeout = 600000; SET synchronous_commit = on",
             busy_ms);
    return pg_exec_text(c, sql, "cannot configure the connection", e);
}

/* The server's notices (e.g. that it is shutting down) go to the log. */
static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    log_msg(LOG_DEBUG, "PostgreSQL: %.*s", (int)(n && message[n - 1] == '\n' ? n - 1 : n), message);
}

static struct store_conn *pg_conn_open(struct store *sb, struct err *e)
{
    struct pg_store *s = container_of(sb, struct pg_store, base);
    PGconn *pc = PQconnectdb(s->url);
    if (PQstatus(pc) != CONNECTION_OK && (!s->connected || !pc)) {
        err_set(e, 503, "database-unavailable", "", "cannot connect to PostgreSQL: %.300s",
                PQerrorMessage(pc));
        PQfinish(pc);
        return NULL;
    }
    PQsetNoticeProcessor(pc, pg_notice, NULL);
    struct pg_conn *c = xcalloc(1, sizeof *c);
    c->pc = pc;
    if (PQstatus(pc) != CONNECTION_OK) {
        /* a thread's first connection while the server is away, once the
         * store opened: made again at its first use (pg_reconnect), its
         * statements failing with 503 until then, the process running on */
        log_msg(LOG_WARN, "store: cannot connect to PostgreSQL yet: %.300s", PQerrorMessage(pc));
        return &c->base;
    }
    s->connected = true;
    if (pg_configure(c, s->busy_timeout_ms, e) < 0) {
        PQfinish(pc);
        free(c);
        return NULL;
    }
    return &c->base;
}

static void pg_conn_close(struct store_conn *cb, bool last)
{
    (void)last;
    struct pg_conn *c = pg_conn_of(cb);
    pg_read_ahead(c);
    for (size_t i = 0; i < STORE_CACHE_SLOTS; i++)
        if (c->cache.slot[i])
            pg_stmt_free(pg_stmt_of(c->cache.slot[i]));
    while (c->all) { /* statements the caller never finalised */
        log_msg(LOG_WARN, "store: closing a connection with unfinalised statements");
        pg_stmt_free(c->all);
    }
    PQfinish(c->pc);
    free(c->pend);
    free(c);
}

/* After a lost connection, outside a transaction: connects again (the
 * server forgot the prepared statements). */
static int pg_reconnect(struct pg_conn *c, struct err *e)
{
    if (!pg_lost(c))
        return 0;
    if (c->base.in_tx) {
        err_set(e, 503, "database-unavailable", "",
                "the connection to PostgreSQL was lost during a transaction");
        return -1;
    }
    c->running = NULL;
    PQreset(c->pc);
    if (pg_lost(c)) {
        err_set(e, 503, "database-unavailable", "", "cannot connect to PostgreSQL: %.300s",
                PQerrorMessage(c->pc));
        return -1;
    }
    for (struct pg_stmt *s = c->all; s; s = s->next_all)
        s->name[0] = '\0';
    struct pg_store *st = container_of(c->base.store, struct pg_store, base);
    return pg_configure(c, st->busy_timeout_ms, e);
}

/* ---- transactions ---- */

static void pg_rollback(struct store_conn *cb)
{
    struct pg_conn *c = pg_conn_of(cb);
    pg_read_ahead(c);
    struct err ignored = ERR_INIT;
    if (!pg_lost(c))
        (void)pg_pipe_end(c, &ignored);
    pg_pipe_clear(c);
    c->pipe_tx = false;
    if (!pg_lost(c))
        (void)pg_exec_text(c, "ROLLBACK", "rollback", &ignored);
}

static int pg_begin(struct store_conn *cb, bool write, struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    char sql[96];
    snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%d)",
             PG_WRITE_LOCK);
    const char *begin = write ? sql : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    for (int attempt = 0;; attempt++) {
        if (pg_reconnect(c, e) < 0)
            return -1;
        pg_read_ahead(c);
        pg_pipe_clear(c);
        if (pg_exec_text(c, begin, "cannot begin", e) == 0) {
            c->pipe_tx = write;
            return 0;
        }
        /* a connection the server ended while it was idle (a restart)
         * shows only now: made again, once; else (the write lock not had
         * within the busy timeout: 503 busy) nothing is left open */
        if (!pg_lost(c) || attempt > 0) {
            pg_rollback(cb);
            return -1;
        }
        err_clear(e);
    }
}

static int pg_commit(struct store_conn *cb, struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    pg_read_ahead(c);
    if (c->pipe_tx) {
        /* COMMIT after the statements sent, one sync point for all */
        c->pipe_tx = false;
        bool piped = PQpipelineStatus(c->pc) != PQ_PIPELINE_OFF && !c->pend_failed;
        if (piped && PQsendQueryParams(c->pc, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1) {
            pg_pend_push(c, false);
        } else if (piped) {
            pg_pend_fail(c, NULL);
        }
        if (pg_pipe_end(c, e) < 0) {
            pg_rollback(cb);
            return -1;
        }
        if (piped)
            return 0;
    }
    PGresult *r = PQexec(c->pc, "COMMIT");
    ExecStatusType st = PQresultStatus(r);
    /* a transaction that failed earlier answers ROLLBACK to COMMIT */
    const char *tag = PQcmdStatus(r);
    int rc = st == PGRES_COMMAND_OK && tag && strcmp(tag, "COMMIT") == 0 ? 0 : -1;
    if (rc < 0 && st == PGRES_COMMAND_OK)
        err_set(e, 500, "storage-error", "",
                "the transaction was rolled back by PostgreSQL after an earlier error");
    else if (rc < 0)
        pg_fail(c, r, e, "cannot commit");
    PQclear(r);
    if (rc < 0)
        pg_rollback(cb);
    return rc;
}

/* ---- migrations ---- */

static int pg_migrate_tx(struct pg_conn *c, struct err *e)
{
    char lock[96];
    snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", PG_MIGRATE_LOCK);
    if (pg_run(c, lock, e) < 0 ||
        pg_exec_text(c,
                     "CREATE TABLE IF NOT EXISTS schema_migrations("
                     "version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
                     "cannot create schema_migrations", e) < 0)
        return -1;
    int64_t newest = 0;
    if (store_query_int64(&c->base, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                          &newest, e) < 0)
        return -1;
    if (newest == 0 && c->base.store->must_exist) {
        store_refuse_empty(e, "in PostgreSQL");
        return -1;
    }
    if (newest > (int64_t)PG_N_MIGRATIONS) {
        err_set(e, 500, "storage-error", "",
                "the database has schema version %lld but this program knows only %zu: "
                "use a newer archportal",
                (long long)newest, (size_t)PG_N_MIGRATIONS);
        return -1;
    }
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    for (size_t v = (size_t)newest + 1; v <= PG_N_MIGRATIONS; v++) {
        char what[48];
        snprintf(what, sizeof what, "migration %zu failed", v);
        for (const char *const *sql = pg_migrations[v - 1]; *sql; sql++)
            if (pg_exec_text(c, *sql, what, e) < 0)
                return -1;
        struct store_stmt *st = pg_prepare(
            &c->base, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", false,
            e);
        if (!st)
            return -1;
        pg_bind_int64(st, 1, (int64_t)v);
        pg_bind_text(st, 2, now, strlen(now));
        int rc = pg_step(st, e);
        pg_finalize(st);
        if (rc == STORE_ERROR)
            return -1;
    }
    return 0;
}

static int pg_migrate(struct store_conn *cb, struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    if (pg_exec_text(c, "BEGIN", "cannot begin", e) < 0)
        return -1;
    if (pg_migrate_tx(c, e) < 0 || pg_exec_text(c, "COMMIT", "cannot commit", e) < 0) {
        pg_rollback(cb);
        return -1;
    }
    return 0;
}

/* ---- dialect ---- */

/* A record matches words by its own text (every word's terms the prefix
 * of one of its terms: ap_words) or by its documents' terms. */
static const char *pg_sql(struct store_conn *c, enum store_sql which)
{
    (void)c;
    switch (which) {
    case STORE_SQL_TEXT_MATCH:
        return "(EXISTS (SELECT 1 FROM search_text t WHERE t.rid = %1$s AND "
               "ap_words(t.body, $%2$d)) OR %1$s IN (SELECT rid FROM doc_fts WHERE terms @@ "
               "CAST($%3$d AS tsquery)))";
    case STORE_SQL_FTS_DOC_ROWS:
        return "SELECT DISTINCT rid FROM doc_fts WHERE terms @@ CAST($%1$d AS tsquery) "
               "ORDER BY rid";
    case STORE_SQL_JSON_INTS:
        return "ap_ints($%d)";
    case STORE_SQL_USE_INDEX:
        return "";
    case STORE_SQL_DOC_ROW:
        return "n";
    }
    fatal("store_sql: unknown fragment %d", (int)which);
}

/* Appends term as a tsquery lexeme: quoted, a quote or backslash
 * doubled/escaped, taken as it is (no dictionary). */
static int pg_lexeme(struct buf *b, const char *t, size_t n)
{
    int rc = buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\'' || t[i] == '\\')
            rc |= buf_putc(b, t[i] == '\'' ? '\'' : '\\');
        rc |= buf_putc(b, t[i]);
    }
    return rc | buf_putc(b, '\'');
}

struct pg_query_terms {
    struct buf *b;
    size_t used;
    int rc;
};

static void pg_query_term(void *vctx, const char *t, size_t n)
{
    struct pg_query_terms *q = vctx;
    if (q->used++ > 0)
        q->rc |= buf_puts(q->b, " & ");
    q->rc |= pg_lexeme(q->b, t, n) | buf_puts(q->b, ":*");
}

/* 'coll=objects' & 'w1':* & 'w2':*: the collection's term (no term of a
 * text has '=') and every term of the words as a prefix; "" without
 * words. */
static char *pg_fts_query(struct store_conn *c, const char *collection, const char *const *words,
                          size_t n)
{
    struct buf b;
    buf_init(&b, 0);
    struct pg_query_terms q = {&b, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (words[i] && store_tokenize(words[i], strlen(words[i]), pg_query_term, &q) < 0)
            fatal("store: the full-text tokenizer is not available");
    if (q.rc != 0)
        fatal("store: full-text query too large");
    if (q.used == 0) {
        buf_free(&b);
        return xstrdup("");
    }
    if (!collection)
        return buf_steal(&b, NULL);
    struct buf all;
    buf_init(&all, 0);
    char coll[160];
    int len = snprintf(coll, sizeof coll, "coll=%s", collection);
    int rc = pg_lexeme(&all, coll, len > 0 && (size_t)len < sizeof coll ? (size_t)len : 0) |
             buf_puts(&all, " & ") | buf_append(&all, b.p, b.len);
    buf_free(&b);
    if (rc != 0)
        fatal("store: full-text query too large");
    return buf_steal(&all, NULL);
}

static int pg_analyze(struct store *s, struct err *e)
{
    return store_exec(store_conn(s), "ANALYZE", e, 0);
}

static int pg_make_writer(struct store_conn *c, struct err *e)
{
    (void)c;
    (void)e;
    return 0;
}

static void pg_release_cache(struct store_conn *c)
{
    (void)c;
}

/* Every COMMIT that returned is durable already. */
static int pg_make_durable(struct store *s, struct err *e)
{
    (void)s;
    (void)e;
    return 0;
}

static int64_t pg_size_bytes(struct store *sb)
{
    struct pg_conn *c = pg_conn_of(store_conn(sb));
    int64_t n = -1;
    struct err e = ERR_INIT;
    if (store_query_int64(&c->base, "SELECT pg_database_size(current_database())", &n, &e) < 0)
        return -1;
    return n;
}

static int64_t pg_last_id(struct store_conn *cb)
{
    struct pg_conn *c = pg_conn_of(cb);
    pg_drain(c, true); /* the INSERT's answer, if it was sent without waiting */
    return c->last_id;
}

static void pg_last_id_later(struct store_conn *cb, int64_t *slot)
{
    struct pg_conn *c = pg_conn_of(cb);
    if (c->pending && c->pend[c->pending - 1].id)
        c->pend[c->pending - 1].slot = slot; /* its answer is still to come */
    else
        *slot = pg_last_id(cb);
}

/* Ids are taken ahead a block at a time (one query for 64 rows): nextval
 * outside any transaction's rollback, so two nodes never take the same. */
static int pg_take_id(struct store_conn *cb, const char *table, int64_t *id, struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    size_t t = 0;
    while (t < sizeof pg_serials / sizeof *pg_serials && strcmp(pg_serials[t][0], table) != 0)
        t++;
    if (t == sizeof pg_serials / sizeof *pg_serials) {
        err_internal(e, "store_take_id: the database gives no ids to '%.60s'", table);
        return -1;
    }
    if (c->taken_of != t)
        c->n_taken = 0;
    if (!c->n_taken) {
        char sql[192];
        snprintf(sql, sizeof sql,
                 "SELECT nextval('%s_%s_seq') FROM generate_series(1, %zu) ORDER BY 1 DESC",
                 pg_serials[t][0], pg_serials[t][1], sizeof c->taken / sizeof *c->taken);
        struct store_stmt *st = store_prepare(cb, sql, true, e);
        if (!st)
            return -1;
        int rc;
        while ((rc = store_step(st, e)) == STORE_ROW &&
               c->n_taken < sizeof c->taken / sizeof *c->taken)
            c->taken[c->n_taken++] = store_col_int64(st, 0);
        store_reset(st);
        if (rc == STORE_ERROR) {
            c->n_taken = 0;
            return -1;
        }
        c->taken_of = t;
    }
    if (!c->n_taken) {
        err_internal(e, "store_take_id: no id of '%.60s' was given", table);
        return -1;
    }
    *id = c->taken[--c->n_taken]; /* the smallest first */
    return 0;
}

/* The server checks its pages and keys itself; what is left to check here
 * is that every sequence is past the ids of its table. */
static int pg_integrity(struct store_conn *cb, struct buf *report)
{
    struct pg_conn *c = pg_conn_of(cb);
    int n = 0;
    for (size_t i = 0; i < sizeof pg_serials / sizeof *pg_serials; i++) {
        char sql[256];
        snprintf(
            sql, sizeof sql,
            "SELECT (SELECT coalesce(max(%s), 0) FROM %s) > "
            "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s_%s_seq)"
            "::bigint",
            pg_serials[i][1], pg_serials[i][0], pg_serials[i][0], pg_serials[i][1]);
        struct err e = ERR_INIT;
        int64_t behind = 0;
        if (store_query_int64(&c->base, sql, &behind, &e) < 0) {
            buf_printf(report, "sequences: %s\n", e.detail);
            n++;
        } else if (behind) {
            buf_printf(report, "sequences: %s.%s would give an id already used\n", pg_serials[i][0],
                       pg_serials[i][1]);
            n++;
        }
    }
    return n;
}

static int pg_after_import(struct store_conn *cb, struct err *e)
{
    struct pg_conn *c = pg_conn_of(cb);
    for (size_t i = 0; i < sizeof pg_serials / sizeof *pg_serials; i++) {
        char sql[400];
        /* never back: ids taken ahead (store_take_id) and not used yet
         * must not be given again */
        snprintf(sql, sizeof sql,
                 "SELECT setval('%s_%s_seq', greatest(coalesce((SELECT max(%s) FROM %s), 0) + 1, "
                 "(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
                 "FROM %s_%s_seq)), false)",
                 pg_serials[i][0], pg_serials[i][1], pg_serials[i][1], pg_serials[i][0],
                 pg_serials[i][0], pg_serials[i][1]);
        if (pg_run(c, sql, e) < 0)
            return -1;
    }
    return 0;
}

/* The terms of a text as a PostgreSQL array literal ({"t1","t2",…}),
 * built in a buf. */
struct pg_array {
    struct buf b;
    size_t n;
};

static void pg_array_add(void *ctx, const char *t, size_t n)
{
    struct pg_array *a = ctx;
    buf_putc(&a->b, a->n++ ? ',' : '{');
    buf_putc(&a->b, '"');
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '"' || t[i] == '\\')
            buf_putc(&a->b, '\\');
        buf_putc(&a->b, t[i]);
    }
    buf_putc(&a->b, '"');
}

/* The row's tsvector: the collection's term ("coll=…", which no term of a
 * text has) and the text's terms as the tokenizer split them, taken as
 * they are (array_to_tsvector: no parser, no dictionary). */
static int pg_doc_index(struct store_conn *c, int64_t n, const char *collection, const char *text,
                        int64_t rid, struct err *e)
{
    struct pg_array a = {.n = 0};
    buf_init(&a.b, 0);
    char coll[160];
    int len = snprintf(coll, sizeof coll, "coll=%s", collection);
    pg_array_add(&a, coll, len > 0 && (size_t)len < sizeof coll ? (size_t)len : 0);
    if (store_tokenize(text, strlen(text), pg_array_add, &a) < 0) {
        buf_free(&a.b);
        err_internal(e, "the full-text tokenizer is not available");
        return -1;
    }
    buf_putc(&a.b, '}');
    int rc = a.b.full ? -1
                      : store_execf(c,
                                    "INSERT INTO doc_fts(n, rid, terms) VALUES ($1, $2, "
                                    "array_to_tsvector(CAST($3 AS text[]))) ON CONFLICT (n) DO "
                                    "UPDATE SET rid = excluded.rid, terms = excluded.terms",
                                    e, "iit", n, rid, a.b.p);
    if (a.b.full)
        err_internal(e, "a document's text too large to index");
    buf_free(&a.b);
    return rc;
}

static int pg_doc_unindex(struct store_conn *c, int64_t n, struct err *e)
{
    return store_execf(c, "DELETE FROM doc_fts WHERE n = $1", e, "i", n);
}

/* An advisory lock of the transaction: held until COMMIT or ROLLBACK,
 * waited for up to the busy timeout (lock_timeout). */
static int pg_lock(struct store_conn *c, int64_t key, struct err *e)
{
    struct store_stmt *st = store_prepare(c, "SELECT pg_advisory_xact_lock($1)", true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, key);
    int rc = store_step(st, e);
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static int pg_notify(struct store_conn *c, const char *channel, struct err *e)
{
    return store_execf(c, "SELECT pg_notify($1, '')", e, "t", channel) < 0 ? -1 : 0;
}

/* Waits for fd to be readable for up to ms: 1 readable, 0 not. */
static int pg_poll_in(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t until = time_mono_ns() + (int64_t)ms * 1000000;
    for (;;) {
        int left = (int)((until - time_mono_ns()) / 1000000);
        int n = poll(&p, fd >= 0 ? 1 : 0, left > 0 ? left : 0);
        if (n >= 0 || errno != EINTR)
            return n > 0;
    }
}

/* Reads what the listening connection has; 1 when a notification came. */
static int pg_notified(PGconn *pc)
{
    int got = 0;
    PGnotify *n;
    while ((n = PQnotifies(pc)) != NULL) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

/* LISTENs to channel on a connection of its own (s->listen_mu held). */
static int pg_listen(struct pg_store *s, const char *channel, struct err *e)
{
    if (s->listen)
        PQfinish(s->listen);
    free(s->channel);
    s->channel = xstrdup(channel);
    s->listen = PQconnectdb(s->url);
    char *id = PQstatus(s->listen) == CONNECTION_OK
                   ? PQescapeIdentifier(s->listen, channel, strlen(channel))
                   : NULL;
    PGresult *r = NULL;
    if (id) {
        char sql[300];
        snprintf(sql, sizeof sql, "LISTEN %s", id);
        PQfreemem(id);
        r = PQexec(s->listen, sql);
    }
    int rc = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc < 0) {
        err_set(e, 503, "database-unavailable", "", "cannot listen for changes: %.300s",
                PQerrorMessage(s->listen));
        PQfinish(s->listen);
        s->listen = NULL;
    }
    PQclear(r);
    return rc;
}

static int pg_listen_wait(struct store *sb, const char *channel, int timeout_ms, struct err *e)
{
    struct pg_store *s = container_of(sb, struct pg_store, base);
    pthread_mutex_lock(&s->listen_mu);
    int rc;
    if (!s->listen || PQstatus(s->listen) != CONNECTION_OK || strcmp(s->channel, channel) != 0) {
        /* (again): what came meanwhile was missed, so the caller looks */
        rc = pg_listen(s, channel, e) == 0 ? 1 : -1;
        if (rc < 0)
            pg_poll_in(-1, timeout_ms); /* no connection: wait before the next try */
    } else if (PQconsumeInput(s->listen) && pg_notified(s->listen)) {
        rc = 1;
    } else if (!pg_poll_in(PQsocket(s->listen), timeout_ms)) {
        rc = 0;
    } else if (!PQconsumeInput(s->listen)) {
        err_set(e, 503, "database-unavailable", "", "the listening connection was lost: %.300s",
                PQerrorMessage(s->listen));
        PQfinish(s->listen);
        s->listen = NULL;
        rc = -1;
    } else {
        rc = pg_notified(s->listen);
    }
    pthread_mutex_unlock(&s->listen_mu);
    return rc;
}

/* pg_dump's custom format, made in one snapshot while the nodes go on;
 * the roles and their rights are the new server's own. */
static int pg_backup(struct store *sb, const char *to, struct err *e)
{
    struct pg_store *s = container_of(sb, struct pg_store, base);
    char part[PATH_MAX + 8];
    snprintf(part, sizeof part, "%s.part", to);
    char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", part,
                    "--dbname", s->url, NULL};
    if (store_run(argv, e) < 0) {
        unlink(part);
        return -1;
    }
    return store_keep_file(part, to, e);
}

static int pg_restore(const char *url, const char *from, struct err *e)
{
    PGconn *pc = PQconnectdb(url);
    PGresult *r = PQstatus(pc) == CONNECTION_OK
                      ? PQexec(pc, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                      : NULL;
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err_set(e, 503, "database-unavailable", "", "cannot read the database to restore into: %.300s",
                PQerrorMessage(pc));
        rc = -1;
    } else if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
        err_set(e, 409, "conflict", "",
                "the database to restore into holds tables already: give an empty one");
        rc = -1;
    }
    PQclear(r);
    PQfinish(pc);
    if (rc < 0)
        return -1;
    char *argv[] = {"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                    "--single-transaction", "--dbname", (char *)url, (char *)from, NULL};
    return store_run(argv, e);
}

const struct store_vfuncs store_pg_vfuncs = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .conn_open = pg_conn_open,
    .conn_close = pg_conn_close,
    .migrate = pg_migrate,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .prepare = pg_prepare,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_bytes = pg_col_bytes,
    .col_int64 = pg_col_int64,
    .col_null = pg_col_null,
    .sql = pg_sql,
    .analyze = pg_analyze,
    .make_writer = pg_make_writer,
    .release_cache = pg_release_cache,
    .make_durable = pg_make_durable,
    .fts_query = pg_fts_query,
    .size_bytes = pg_size_bytes,
    .last_id = pg_last_id,
    .last_id_later = pg_last_id_later,
    .take_id = pg_take_id,
    .integrity = pg_integrity,
    .after_import = pg_after_import,
    .doc_index = pg_doc_index,
    .doc_unindex = pg_doc_unindex,
    .lock = pg_lock,
    .shared = true,
    .notify = pg_notify,
    .listen_wait = pg_listen_wait,
    .backup_file = "archportal.pgdump",
    .backup = pg_backup,
    .restore = pg_restore,
};
