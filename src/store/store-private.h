/* store-private: what a storage driver implements, and the base structs it
 * embeds. Only store.c and the driver files include this header; the rest
 * of the program sees store.h.
 *
 * A driver defines its own struct sqlite_conn { struct store_conn base; ... }
 * and so on, hands the generic layer pointers to the embedded base, and
 * gets its own struct back with container_of(). The generic layer owns the
 * fields of the base structs (the connection list, the per-thread key, the
 * transaction flag); the driver owns everything else. */
#ifndef AP_STORE_PRIVATE_H
#define AP_STORE_PRIVATE_H

#include "store/store.h"
#include "util/buf.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* The struct of type `type` whose member `member` is at `ptr`. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* The driver vtable. Every function is mandatory. Unless said otherwise,
 * functions returning int give 0 or -1 with e filled. */
struct store_vfuncs {
    const char *name; /* "sqlite", for messages */

    /* Creates the driver's store for `path` (no connection yet); opt is
     * already normalised (busy_timeout_ms > 0). Sets base.v. NULL + e on
     * failure. */
    struct store *(*open)(const char *path, const struct store_options *opt, struct err *e);
    /* Frees the driver's store; every connection is already closed. */
    void (*close)(struct store *s);

    /* Opens one connection, configured for durability; NULL + e on failure.
     * The generic layer fills base.store and links it afterwards. */
    struct store_conn *(*conn_open)(struct store *s, struct err *e);
    /* Finalises the connection's statements and closes it. `last` is true
     * for the final connection of the store (time for housekeeping). */
    void (*conn_close)(struct store_conn *c, bool last);
    /* Applies pending schema migrations atomically on c (called once, from
     * store_open). Refuses a schema newer than the driver knows, and an
     * empty one when the store's must_exist is set (see store_empty_err). */
    int (*migrate)(struct store_conn *c, struct err *e);

    /* Transactions. commit rolls back when it fails; rollback never fails. */
    int (*begin)(struct store_conn *c, bool write, struct err *e);
    int (*commit)(struct store_conn *c, struct err *e);
    void (*rollback)(struct store_conn *c);

    /* Statements: see store_prepare/store_reset/store_finalize. */
    struct store_stmt *(*prepare)(struct store_conn *c, const char *sql, bool cache, struct err *e);
    void (*reset)(struct store_stmt *st);
    void (*finalize)(struct store_stmt *st);

    /* Binds $n; a bind failure is reported by the next step. */
    void (*bind_text)(struct store_stmt *st, int n, const char *s, size_t len);
    void (*bind_int64)(struct store_stmt *st, int n, int64_t v);
    void (*bind_null)(struct store_stmt *st, int n);

    /* STORE_ROW, STORE_DONE or STORE_ERROR with e filled. */
    int (*step)(struct store_stmt *st, struct err *e);
    const char *(*col_text)(struct store_stmt *st, int i);
    size_t (*col_bytes)(struct store_stmt *st, int i);
    int64_t (*col_int64)(struct store_stmt *st, int i);
    bool (*col_null)(struct store_stmt *st, int i);

    /* Dialect: the fragment's text (static storage) and the full-text query
     * for folded words (malloc'd). */
    const char *(*sql)(struct store_conn *c, enum store_sql which);
    int (*analyze)(struct store *s, struct err *e);
    /* Tunes a connection for the writer's role (e.g. a larger cache). The
     * writer's commits need not wait for the disk: the generic layer calls
     * make_durable after each of them, outside the write lock. */
    int (*make_writer)(struct store_conn *c, struct err *e);
    /* Frees what the connection's cache holds and no statement uses (read
     * again when needed). */
    void (*release_cache)(struct store_conn *c);
    /* Makes every transaction the writer has committed durable (e.g. an
     * fsync of the write-ahead log). Called from any thread, never by two
     * at once. */
    int (*make_durable)(struct store *s, struct err *e);
    char *(*fts_query)(struct store_conn *c, const char *collection, const char *const *words,
                       size_t n);

    /* Bytes on disk, or -1 when unknown. Called from any thread. */
    int64_t (*size_bytes)(struct store *s);
    int64_t (*last_id)(struct store_conn *c);
    /* store_last_id_later (NULL: *slot = last_id now). */
    void (*last_id_later)(struct store_conn *c, int64_t *slot);
    /* store_take_id: 0 with *id, 1 when the database gives ids as rows are
     * inserted (NULL: always 1). */
    int (*take_id)(struct store_conn *c, const char *table, int64_t *id, struct err *e);
    /* Appends one line per problem to report (each ending in '\n');
     * returns the number of problems. */
    int (*integrity)(struct store_conn *c, struct buf *report);
    /* After rows were written with ids of their own (an import): the ids
     * the database gives from now on come after them. */
    int (*after_import)(struct store_conn *c, struct err *e);
    /* The documents' full-text index: row n (a document of record rid in
     * `collection`) now holds text's terms; row n dropped. */
    int (*doc_index)(struct store_conn *c, int64_t n, const char *collection, const char *text,
                     int64_t rid, struct err *e);
    int (*doc_unindex)(struct store_conn *c, int64_t n, struct err *e);
    /* Takes lock `key` until the transaction ends, waiting for another
     * process (node) that holds it; a backend with one writer process
     * (SQLite) has nothing to do. */
    int (*lock)(struct store_conn *c, int64_t key, struct err *e);
    /* Several processes may serve the database at once. */
    bool shared;
    /* A notification on channel once c's transaction commits; waiting for
     * one (store.h). */
    int (*notify)(struct store_conn *c, const char *channel, struct err *e);
    int (*listen_wait)(struct store *s, const char *channel, int timeout_ms, struct err *e);
    /* store_backup into the file `to` (dir/backup_file); store_restore of
     * the copy `from` into the database `path` (the driver's part of the
     * URL), which holds nothing yet. */
    const char *backup_file;
    int (*backup)(struct store *s, const char *to, struct err *e);
    int (*restore)(const char *path, const char *from, struct err *e);
};

/* One database. Drivers embed it first-or-anywhere and set v; store.c
 * initialises the rest. */
struct store {
    const struct store_vfuncs *v;
    char node[33]; /* this process among those sharing the database (random hex) */
    pthread_mutex_t lock;     /* guards conns */
    pthread_key_t key;        /* this thread's struct store_conn * */
    struct store_conn *conns; /* every open connection, newest first */
    /* Writers of this process queue here, so that they wake in turn at
     * once instead of sleeping in the database's busy handler. */
    pthread_mutex_t write_lock;
    int busy_timeout_ms;       /* how long a writer waits for write_lock */
    bool must_exist;           /* store_options.must_exist: migrate refuses an empty schema */
    struct store_conn *writer; /* the connection of store_begin_write */
    /* group commit (store_write_enter/leave) */
    _Atomic int waiting;      /* writers waiting for write_lock */
    pthread_mutex_t batch_mu; /* guards the fields below */
    pthread_cond_t batch_done_cv;
    uint64_t batch_id;                           /* the open (or last) batch */
    uint64_t batch_done;                         /* the last finished batch */
    int batch_size;                              /* writes in the open batch */
    struct store_batch_item *items, *items_tail; /* done callbacks */
    int batch_rc[64];                            /* outcome of batch id % 64 */
    struct err batch_err[64];
    uint64_t batch_seq[64]; /* commit number of batch id % 64 */
    int64_t held_since_ns;  /* when the write lock was taken */
    /* durability of the writer's commits (store_durable) */
    pthread_mutex_t sync_mu; /* guards the fields below */
    pthread_cond_t sync_cv;
    uint64_t commit_seq; /* commits of the writer so far */
    uint64_t synced_seq; /* of those, made durable */
    bool syncing;        /* a make_durable call is under way */
    _Atomic uint64_t st_writes, st_commits, st_syncs, st_wait_ns, st_hold_ns, st_commit_ns,
        st_sync_ns;
};

struct store_batch_item {
    store_done_fn fn;
    void *ctx;
    struct store_batch_item *next;
};

/* One connection, used by one thread at a time. */
enum { STORE_LOCKS_KEPT = 8 };
struct store_conn {
    struct store *store;
    struct store_conn *next; /* in store->conns, under store->lock */
    bool in_tx;              /* between store_begin and commit/rollback */
    bool holds_write_lock;   /* store->write_lock taken by this transaction */
    /* store_tx_epoch: a number no other state of any connection had; with
     * it what this state has done already: the locks taken, a notify sent
     * (PostgreSQL would take or queue them again, a statement each) */
    uint64_t epoch;
    int64_t locked[STORE_LOCKS_KEPT];
    size_t n_locked;
    char notified[64];
};

/* One prepared statement. cached is true when the caller asked for a
 * cached statement (released with store_reset); in_cache when the
 * connection's cache owns it (key: its SQL, hash: of it); busy while it is
 * handed out. */
struct store_stmt {
    struct store_conn *conn;
    bool cached, in_cache, busy;
    char *key;
    uint32_t hash;
};

/* A connection's cache of prepared statements keyed by their SQL text: an
 * open-addressing table kept at most half full. A driver embeds one in its
 * connection; its statements embed struct store_stmt. */
enum { STORE_CACHE_SLOTS = 1024, STORE_CACHE_MAX = 512 };
struct store_cache {
    struct store_stmt *slot[STORE_CACHE_SLOTS];
    size_t n;
};

/* The cached statement of sql not in use, or NULL: then *at is the slot a
 * new one may take (store_cache_put) and *h the text's hash. */
struct store_stmt *store_cache_find(struct store_cache *k, const char *sql, size_t *at,
                                    uint32_t *h);
/* Keeps st in slot at when it is free and the cache has room (st's key,
 * hash and in_cache set); otherwise st stays a transient statement. */
void store_cache_put(struct store_cache *k, size_t at, struct store_stmt *st, const char *sql,
                     uint32_t h);

/* A copy written to `part` made durable and named `to` (fsync, rename);
 * part removed when that fails (-1, e filled). */
int store_keep_file(const char *part, const char *to, struct err *e);
/* Runs argv (argv[0] found on PATH; stdin /dev/null, stdout and stderr
 * the process's) and waits for it: 0 when it exited with status 0. */
int store_run(char *const argv[], struct err *e);

/* The drivers built into this binary. */
extern const struct store_vfuncs store_sqlite_vfuncs;
extern const struct store_vfuncs store_pg_vfuncs;

/* Fills e for a database that holds no schema although the caller said it
 * must (store_options.must_exist): status 409, type "database-empty". */
void store_refuse_empty(struct err *e, const char *where);

#endif
