/* store: the storage interface. Callers write SQL with $1, $2 … placeholders
 * and use only this header; each backend (driver-sqlite.c now, a libpq
 * driver later) implements the vtable in store-private.h.
 *
 * A struct store is one database; each thread gets its own connection from
 * store_conn() and keeps it (one connection per worker thread). Prepared
 * statements are cached per connection, keyed by the SQL text.
 *
 * The few places where SQL dialects differ (full-text search, upserts) are
 * reached through store_sql(), which returns the backend's text for a
 * named fragment. */
#ifndef AP_STORE_H
#define AP_STORE_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_conn;
struct store_stmt;

struct store_options {
    int busy_timeout_ms; /* how long a writer waits for the lock */
    /* The database must already hold a schema: an empty or missing one is
     * refused ("database-empty") instead of being initialised, and nothing
     * is written. For a data folder that shows earlier use. */
    bool must_exist;
};

/* Opens (creating if needed, unless opt->must_exist) the database at
 * `url`: "sqlite:PATH" or a bare path for SQLite, "postgresql://…" (or
 * "postgres://…", libpq's URL) for PostgreSQL. Applies the numbered
 * migrations not yet applied. Returns 0 or -1 with e filled. */
int store_open(const char *url, const struct store_options *opt, struct store **out,
               struct err *e);
/* Closes every connection (finalising cached statements). Call after all
 * threads that used the store have finished. */
void store_close(struct store *s);

/* This thread's connection, opened on first use. Never NULL (aborts if the
 * database can no longer be opened, which store_open has just proven). */
struct store_conn *store_conn(struct store *s);

/* Transactions. write=true takes the write lock at once (BEGIN IMMEDIATE).
 * Commit is durable when it returns 0.
 *
 * The writer connection commits without waiting for the disk and flushes
 * after releasing the write lock, so that the next batch is built while
 * this one reaches the disk; a writer's call returns only after the flush
 * that covers its commit. Others may read a commit before that flush ends:
 * as after a crash the log is replayed in order, a later write that was
 * acknowledged implies every earlier one is on disk too. */
/* Begins a write transaction on the store's one writer connection (which
 * keeps a large page cache, since writes touch many index pages) and
 * returns it; NULL with e filled (503 "busy" after the busy timeout). Until
 * the commit or rollback, store_conn() on this thread returns the writer
 * too, so nested code joins the transaction. */
struct store_conn *store_begin_write(struct store *s, struct err *e);

/* Group commit for many small writes from many threads.
 *
 * store_write_enter() waits for the writer, opens a transaction unless one
 * is open, and starts a savepoint; the caller does its work on the returned
 * connection and calls store_write_leave() with its outcome. A failed write
 * is rolled back to its savepoint alone. When other writers are waiting,
 * the open transaction passes to them and is committed by the last one, so
 * one commit (one fsync) makes a whole batch durable. store_write_leave()
 * returns only when the caller's write is durable (0) or has failed (-1,
 * e filled); `done` (if not NULL) is called once with the outcome, after
 * the commit and in commit order, before anything later is applied. */
typedef void (*store_done_fn)(void *ctx, bool committed);
struct store_conn *store_write_enter(struct store *s, struct err *e);
int store_write_leave(struct store_conn *w, int rc, store_done_fn done, void *ctx, struct err *e);
int store_begin(struct store_conn *c, bool write, struct err *e);
int store_commit(struct store_conn *c, struct err *e);
void store_rollback(struct store_conn *c);
bool store_in_tx(const struct store_conn *c);

/* Prepares (or takes from the cache) a statement. Cached statements are
 * keyed by SQL text and must be released with store_reset(); one-off
 * statements (dynamic SQL) are made with cache=false and freed with
 * store_finalize(). Returns NULL with e filled on a syntax error. A
 * statement the cache cannot keep (it is full, or the same SQL is in use)
 * is freed by its store_reset(): prepare again rather than binding a
 * statement after its reset. */
struct store_stmt *store_prepare(struct store_conn *c, const char *sql, bool cache,
                                 struct err *e);
void store_reset(struct store_stmt *st);
void store_finalize(struct store_stmt *st);

/* Binds $n (1-based). Text is copied by the driver. */
void store_bind_text(struct store_stmt *st, int n, const char *s);
void store_bind_textn(struct store_stmt *st, int n, const char *s, size_t len);
void store_bind_int64(struct store_stmt *st, int n, int64_t v);
void store_bind_null(struct store_stmt *st, int n);

enum { STORE_DONE = 0, STORE_ROW = 1, STORE_ERROR = -1 };
/* Steps: STORE_ROW, STORE_DONE or STORE_ERROR (e filled; a uniqueness
 * violation is 409 "conflict", a busy database 503 "busy"). */
int store_step(struct store_stmt *st, struct err *e);
/* Column accessors (0-based) for the current row; text is valid until the
 * next step/reset. NULL columns give NULL text and 0. */
const char *store_col_text(struct store_stmt *st, int i);
size_t store_col_bytes(struct store_stmt *st, int i);
int64_t store_col_int64(struct store_stmt *st, int i);
bool store_col_null(struct store_stmt *st, int i);

/* Runs a cached one-row query without parameters on c and gives column 0
 * as an integer (-1 and e when there is no row). */
int store_query_int64(struct store_conn *c, const char *sql, int64_t *out, struct err *e);

/* Runs a statement that returns no rows: prepare (cached), bind the given
 * text arguments in order (NULL pointer binds SQL NULL), step, reset. A
 * ROLLBACK (TO a savepoint) must be run by it: it changes the
 * transaction's epoch (store_tx_epoch). */
int store_exec(struct store_conn *c, const char *sql, struct err *e, int nargs, ...);

/* Like store_exec, with typed arguments: `types` has one letter per
 * argument, 't' for const char * (NULL binds SQL NULL) and 'i' for int64_t.
 * For the many INSERT/UPDATE/DELETE statements that return no rows. */
int store_execf(struct store_conn *c, const char *sql, struct err *e, const char *types, ...);

/* Dialect fragments. */
enum store_sql {
    /* a condition, true when the record whose rid is the expression "%1$s"
     * matches the words: by its own text (search_text.body), every word in
     * $%2$d (words separated by spaces) being the prefix of one of its
     * terms (store_fts_terms); or by its documents' text, for the full-text
     * query in $%3$d (store_fts_query). Its only conversions are those
     * three. The record's own text is tested row by row: the condition
     * suits queries that other conditions make selective. */
    STORE_SQL_TEXT_MATCH,
    /* a statement listing once and in ascending order the record ids that
     * match the full-text query in $N (conversions "%1$d" only) by their
     * documents' text */
    STORE_SQL_FTS_DOC_ROWS,
    /* a table expression listing the integers of the JSON array in $N
     * (one "%d") as the column `value`, e.g. for "rid IN (…)" lookups */
    STORE_SQL_JSON_INTS,
    /* a table-reference suffix that makes the planner use the index named
     * by its one "%s" (walk in sort order); "" where the backend's planner
     * needs no hint */
    STORE_SQL_USE_INDEX,
    /* the column of the documents' full-text index (table doc_fts) that
     * holds a row's document number (documents.n) */
    STORE_SQL_DOC_ROW,
};
const char *store_sql(struct store_conn *c, enum store_sql which);
/* Calls fn with each term of text, split and folded exactly as the
 * full-text index does it (for an index kept elsewhere, e.g. in memory).
 * Returns 0, or -1 when the backend cannot split text. */
typedef void (*store_term_fn)(void *ctx, const char *term, size_t len);
int store_fts_terms(struct store_conn *c, const char *text, size_t len, store_term_fn fn,
                    void *ctx);
/* Turns user words (already folded) into the backend's full-text query
 * (every term of every word, split as store_fts_terms splits, must begin a
 * term of the text), limited to records of `collection` when it is not
 * NULL. Returns a malloc'd string. */
char *store_fts_query(struct store_conn *c, const char *collection, const char *const *words,
                      size_t n);

/* Refreshes the planner's statistics (cheaply, by sampling). Called after
 * bulk loads and when serving starts. */
int store_analyze(struct store *s, struct err *e);

/* Frees the writer's cache (waiting for the write lock): serve calls it
 * once the start's scans (made on the writer) are done, so that the cache
 * holds only what writes touch since (issue 15: peak RSS). */
void store_release_writer_cache(struct store *s);

/* Counters of the group commit since the store opened (for /metrics):
 * writes that went through store_write_enter/leave, the writer's commits,
 * the flushes that made them durable (one flush covers every commit before
 * it), and the time spent waiting for the write lock, holding it,
 * committing and flushing, in nanoseconds. */
struct store_stats {
    uint64_t writes, commits, syncs;
    uint64_t wait_ns, hold_ns, commit_ns, sync_ns;
    /* the writer's successful commits, and how many of them are durable */
    uint64_t committed, durable;
};
struct store_stats store_stats(struct store *s);

/* Database size in bytes (for /metrics). */
int64_t store_size_bytes(struct store *s);
/* Last row id of an INSERT on this connection. */
int64_t store_last_id(struct store_conn *c);
/* The same, written into *slot by the time the write's transaction (or
 * savepoint) ends rather than now: PostgreSQL need not be waited for.
 * *slot is left as it is if the INSERT fails; it must outlive the write. */
void store_last_id_later(struct store_conn *c, int64_t *slot);
/* An id for a row about to be inserted into table (one whose ids the
 * database gives), taken ahead so that the rows that refer to it need not
 * wait for the INSERT's answer: 0 with *id; 1 when the database gives it as
 * the row is inserted (insert NULL, then store_last_id); -1 + e. Ids taken
 * ahead and not used are skipped, and ids of one node may come before
 * another's: they are unique, not in the order rows were inserted. */
int store_take_id(struct store_conn *c, const char *table, int64_t *id, struct err *e);
/* A number that changes whenever c's transaction ends or a savepoint of it
 * is rolled back, and is never the same for two states (nor connections):
 * what a writer remembers of the rows it wrote in the transaction (an audit
 * chain's head) holds while the number is the same. */
uint64_t store_tx_epoch(const struct store_conn *c);
/* After an import that wrote rows with ids of their own: the ids the
 * database gives from now on come after them. */
int store_after_import(struct store_conn *c, struct err *e);
/* Both backends define two functions for the checks' SQL: ap_not_date(t),
 * 1 when t is not a date YYYY-MM-DD that exists (NULL: NULL), and
 * ap_not_hex(t), 1 when t holds a character other than 0-9 and a-f. */

/* The documents' full-text index (which STORE_SQL_TEXT_MATCH and
 * STORE_SQL_FTS_DOC_ROWS read): row n, a document of the record whose row
 * id is rid in `collection`, holds the terms of text from now on; row n
 * is dropped. */
int store_doc_index(struct store_conn *c, int64_t n, const char *collection, const char *text,
                    int64_t rid, struct err *e);
int store_doc_unindex(struct store_conn *c, int64_t n, struct err *e);
/* Takes lock `key` (a number the caller owns) until c's transaction ends:
 * what one process (node) does under it, another's waits for. Nothing to
 * wait for on SQLite, whose writers are one process's. */
int store_lock(struct store_conn *c, int64_t key, struct err *e);
/* Several processes (nodes) may serve this database at once (PostgreSQL):
 * what one keeps in memory follows the others' writes (the change feed). */
bool store_shared(const struct store *s);
/* Wakes the processes waiting in store_listen_wait() on channel once c's
 * transaction commits (at once outside one); nothing on SQLite. */
int store_notify(struct store_conn *c, const char *channel, struct err *e);
/* Waits up to timeout_ms for a notification on channel, on a connection
 * of the store's own that listens to it: 1 one came, or the listening
 * (re)started, when some may have been missed; 0 none came; -1 the
 * database cannot be reached (after waiting timeout_ms, e filled). One
 * thread at a time. SQLite: waits timeout_ms, 0. */
int store_listen_wait(struct store *s, const char *channel, int timeout_ms, struct err *e);
/* Does this process hold job's lease, for ms from now? On a shared store
 * one process at a time holds it (it keeps it while it asks again within
 * ms; another takes it once it has run out): 1 held (taken or kept), 0
 * another holds it, -1 on an error. Always 1 on SQLite. */
int store_lease(struct store *s, const char *job, int64_t ms, struct err *e);
/* A consistent copy of the database as it is at one instant, while
 * others read and write on, into the folder dir (which exists): SQLite's
 * online backup (dir/archportal.db); pg_dump's custom format on PostgreSQL
 * (dir/archportal.pgdump), made in one snapshot. *file: the file's name. */
int store_backup(struct store *s, const char *dir, const char **file, struct err *e);
/* Restores store_backup's copy `from` into the database url, which must
 * hold nothing yet (SQLite: a file not there yet; PostgreSQL: a database
 * without tables, which pg_restore fills in one transaction). The backends
 * must match (export and import move a portal between them). */
int store_restore(const char *url, const char *from, struct err *e);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);
/* Runs the backend's own integrity check; appends problems to report
 * (newline-separated) and returns the count. */
int store_integrity(struct store_conn *c, char **report);

#endif
