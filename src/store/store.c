/* store: the backend-independent half of the storage layer.
 *
 * Picks a driver from the URL, gives each thread its own connection
 * (a pthread key per store, so several stores can live in one process,
 * plus a locked list of every connection so store_close can close them
 * all), keeps the transaction flag honest, and forwards everything else
 * to the driver's vtable (store-private.h). */
#include "store/store-private.h"
#include "store/tokenize.h"

#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STORE_DEFAULT_BUSY_MS = 5000 };

/* Splits url into a driver and the driver's path. Returns the driver or
 * NULL with e filled. */
static const struct store_vfuncs *store_pick_driver(const char *url, const char **path,
                                                    struct err *e)
{
    static const char sqlite_prefix[] = "sqlite:";
    if (strncmp(url, sqlite_prefix, sizeof sqlite_prefix - 1) == 0) {
        *path = url + sizeof sqlite_prefix - 1;
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *path = url; /* libpq's own URL */
        return &store_pg_vfuncs;
    } else if (strstr(url, "://") != NULL) {
        err_set(e, 500, "storage-error", "", "unknown storage backend in \"%.200s\"", url);
        return NULL;
    } else {
        *path = url;
    }
    if (**path == '\0') {
        err_set(e, 500, "storage-error", "", "empty database path");
        return NULL;
    }
    return &store_sqlite_vfuncs;
}

/* The store whose writer this thread holds (store_conn() then returns the
 * writer, so that nested code joins the transaction), or NULL. */
static _Thread_local const struct store *tls_writer;

static void store_release_write_lock(struct store_conn *c)
{
    if (c->holds_write_lock) {
        c->holds_write_lock = false;
        if (c == c->store->writer && tls_writer == c->store)
            tls_writer = NULL;
        pthread_mutex_unlock(&c->store->write_lock);
    }
}

/* Waits for the process's write lock up to the busy timeout. */
static int store_take_write_lock(struct store *s, struct err *e)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = until.tv_nsec + (int64_t)s->busy_timeout_ms * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    if (pthread_mutex_timedlock(&s->write_lock, &until) != 0) {
        err_set(e, 503, "busy", "", "the database is busy, try again");
        return -1;
    }
    return 0;
}

/* Initialises the generic fields of a fresh driver store. On failure the
 * driver store is closed. */
static int store_base_init(struct store *s, struct err *e)
{
    s->conns = NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        s->v->close(s);
        err_internal(e, "cannot create the store mutex");
        return -1;
    }
    if (pthread_mutex_init(&s->write_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        s->v->close(s);
        err_internal(e, "cannot create the store write mutex");
        return -1;
    }
    if (pthread_mutex_init(&s->batch_mu, NULL) != 0 ||
        pthread_cond_init(&s->batch_done_cv, NULL) != 0 ||
        pthread_mutex_init(&s->sync_mu, NULL) != 0 || pthread_cond_init(&s->sync_cv, NULL) != 0)
        fatal("store: cannot create the batch lock");
    if (pthread_key_create(&s->key, NULL) != 0) {
        pthread_mutex_destroy(&s->write_lock);
        pthread_mutex_destroy(&s->lock);
        s->v->close(s);
        err_internal(e, "cannot create a thread key for the store");
        return -1;
    }
    return 0;
}

/* c's transaction ended, began, or lost a savepoint: a new epoch, with
 * nothing done in it yet. */
static void tx_changed(struct store_conn *c)
{
    static _Atomic uint64_t epochs;
    c->epoch = atomic_fetch_add(&epochs, 1) + 1;
    c->n_locked = 0;
    c->notified[0] = '\0';
}

uint64_t store_tx_epoch(const struct store_conn *c)
{
    return c->epoch;
}

/* Opens a connection for this thread and registers it. NULL + e on
 * failure (nothing registered). */
static struct store_conn *store_conn_new(struct store *s, struct err *e)
{
    struct store_conn *c = s->v->conn_open(s, e);
    if (!c)
        return NULL;
    c->store = s;
    c->in_tx = false;
    tx_changed(c);
    if (pthread_setspecific(s->key, c) != 0) {
        s->v->conn_close(c, false);
        err_internal(e, "cannot remember this thread's connection");
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->lock);
    return c;
}

/* This thread's connection (or the writer, while this thread holds it),
 * opened if needed; NULL + e on failure. */
static struct store_conn *store_conn_get(struct store *s, struct err *e)
{
    if (tls_writer == s)
        return s->writer;
    struct store_conn *c = pthread_getspecific(s->key);
    return c ? c : store_conn_new(s, e);
}

/* Opens the writer connection (not any thread's own). */
static int store_writer_open(struct store *s, struct err *e)
{
    struct store_conn *c = s->v->conn_open(s, e);
    if (!c)
        return -1;
    c->store = s;
    c->in_tx = false;
    tx_changed(c);
    pthread_mutex_lock(&s->lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->lock);
    s->writer = c;
    return s->v->make_writer(c, e);
}

void store_refuse_empty(struct err *e, const char *where)
{
    err_set(e, 409, "database-empty", "",
            "the database %s holds no portal (it is empty or missing), though the portal's "
            "data shows earlier use: it is not initialised as a new one",
            where);
}

int store_open(const char *url, const struct store_options *opt, struct store **out, struct err *e)
{
    *out = NULL;
    const char *path = NULL;
    const struct store_vfuncs *v = store_pick_driver(url, &path, e);
    if (!v)
        return -1;
    struct store_options o = {STORE_DEFAULT_BUSY_MS, opt && opt->must_exist};
    if (opt && opt->busy_timeout_ms > 0)
        o.busy_timeout_ms = opt->busy_timeout_ms;
    struct store *s = v->open(path, &o, e);
    if (!s)
        return -1;
    if (store_base_init(s, e) < 0)
        return -1;
    s->busy_timeout_ms = o.busy_timeout_ms;
    s->must_exist = o.must_exist;
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        fatal("store: no random bytes for the node's name");
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(s->node + 2 * i, 3, "%02x", r[i]);
    /* The first connection migrates, then stays as this thread's own. */
    struct store_conn *c = store_conn_get(s, e);
    if (!c || s->v->migrate(c, e) < 0 || store_writer_open(s, e) < 0) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    struct store_conn *c = s->conns;
    s->conns = NULL;
    pthread_mutex_unlock(&s->lock);
    while (c) {
        struct store_conn *next = c->next;
        if (c->in_tx)
            s->v->rollback(c);
        store_release_write_lock(c);
        s->v->conn_close(c, next == NULL);
        c = next;
    }
    /* Other threads' values for the key are dropped with it (POSIX gives
     * every thread NULL for a key created later). */
    pthread_key_delete(s->key);
    pthread_cond_destroy(&s->batch_done_cv);
    pthread_mutex_destroy(&s->batch_mu);
    pthread_cond_destroy(&s->sync_cv);
    pthread_mutex_destroy(&s->sync_mu);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->lock);
    s->v->close(s);
}

/* ---- the statement cache (store-private.h) ---- */

static uint32_t store_sql_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct store_stmt *store_cache_find(struct store_cache *k, const char *sql, size_t *at, uint32_t *h)
{
    *h = store_sql_hash(sql);
    size_t mask = STORE_CACHE_SLOTS - 1, i = *h & mask;
    /* terminates: the table is never more than half full */
    while (k->slot[i] && (k->slot[i]->hash != *h || strcmp(k->slot[i]->key, sql) != 0))
        i = (i + 1) & mask;
    *at = i;
    return k->slot[i] && !k->slot[i]->busy ? k->slot[i] : NULL;
}

void store_cache_put(struct store_cache *k, size_t at, struct store_stmt *st, const char *sql,
                     uint32_t h)
{
    if (k->slot[at] || k->n >= STORE_CACHE_MAX)
        return;
    st->key = xstrdup(sql);
    st->hash = h;
    st->in_cache = true;
    k->slot[at] = st;
    k->n++;
}

int store_query_int64(struct store_conn *c, const char *sql, int64_t *out, struct err *e)
{
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        *out = store_col_int64(st, 0);
    else if (rc == STORE_DONE)
        err_internal(e, "%s returned no row", sql);
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

int store_after_import(struct store_conn *c, struct err *e)
{
    return c->store->v->after_import(c, e);
}

int store_doc_index(struct store_conn *c, int64_t n, const char *collection, const char *text,
                    int64_t rid, struct err *e)
{
    return c->store->v->doc_index(c, n, collection, text, rid, e);
}

int store_doc_unindex(struct store_conn *c, int64_t n, struct err *e)
{
    return c->store->v->doc_unindex(c, n, e);
}

int store_lock(struct store_conn *c, int64_t key, struct err *e)
{
    for (size_t i = 0; i < c->n_locked; i++)
        if (c->locked[i] == key)
            return 0; /* taken already in this transaction */
    if (c->store->v->lock(c, key, e) < 0)
        return -1;
    if (c->in_tx && c->n_locked < STORE_LOCKS_KEPT)
        c->locked[c->n_locked++] = key;
    return 0;
}

bool store_shared(const struct store *s)
{
    return s->v->shared;
}

int store_notify(struct store_conn *c, const char *channel, struct err *e)
{
    /* one wake-up per transaction: the waiters read everything it wrote */
    if (c->in_tx && strcmp(c->notified, channel) == 0)
        return 0;
    if (c->store->v->notify(c, channel, e) < 0)
        return -1;
    if (c->in_tx && strlen(channel) < sizeof c->notified)
        snprintf(c->notified, sizeof c->notified, "%s", channel);
    return 0;
}

int store_listen_wait(struct store *s, const char *channel, int timeout_ms, struct err *e)
{
    return s->v->listen_wait(s, channel, timeout_ms, e);
}

int store_lease(struct store *s, const char *job, int64_t ms, struct err *e)
{
    if (!s->v->shared)
        return 1;
    int64_t now = time_now_ms();
    struct store_conn *w = store_write_enter(s, e);
    if (!w)
        return -1;
    int rc = store_execf(w,
                         "INSERT INTO leases(job, node, until_ms) VALUES ($1, $2, $3) "
                         "ON CONFLICT (job) DO UPDATE SET node = $2, until_ms = $3 "
                         "WHERE leases.node = $2 OR leases.until_ms < $4",
                         e, "ttii", job, s->node, now + ms, now);
    if (store_write_leave(w, rc < 0 ? -1 : 0, NULL, NULL, e) < 0)
        return -1;
    struct store_stmt *st =
        store_prepare(store_conn(s), "SELECT node FROM leases WHERE job = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, job);
    int step = store_step(st, e);
    int held = step == STORE_ROW && strcmp(store_col_text(st, 0), s->node) == 0;
    store_reset(st);
    return step == STORE_ERROR ? -1 : held;
}

int store_backup(struct store *s, const char *dir, const char **file, struct err *e)
{
    char to[PATH_MAX];
    *file = s->v->backup_file;
    if (snprintf(to, sizeof to, "%s/%s", dir, *file) >= (int)sizeof to) {
        err_internal(e, "the path %.200s is too long", dir);
        return -1;
    }
    return s->v->backup(s, to, e);
}

int store_restore(const char *url, const char *from, struct err *e)
{
    const char *path = NULL;
    const struct store_vfuncs *v = store_pick_driver(url, &path, e);
    return v ? v->restore(path, from, e) : -1;
}

int store_keep_file(const char *part, const char *to, struct err *e)
{
    int fd = open(part, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && rename(part, to) == 0)
        return 0;
    err_internal(e, "cannot keep the copy %s: %s", to, strerror(errno));
    unlink(part);
    return -1;
}

int store_run(char *const argv[], struct err *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        err_internal(e, "cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            err_internal(e, "cannot wait for %s: %s", argv[0], strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    err_internal(e, "%s failed (%s %d)", argv[0], WIFEXITED(status) ? "status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}

const char *store_backend(const struct store *s)
{
    return s->v->name;
}

struct store_conn *store_conn(struct store *s)
{
    struct err e = ERR_INIT;
    struct store_conn *c = store_conn_get(s, &e);
    if (!c)
        fatal("store: cannot open a connection: %s", e.detail);
    return c;
}

int store_begin(struct store_conn *c, bool write, struct err *e)
{
    if (c->in_tx) {
        err_internal(e, "store_begin: a transaction is already open");
        return -1;
    }
    if (write) {
        if (store_take_write_lock(c->store, e) < 0)
            return -1;
        c->holds_write_lock = true;
    }
    if (c->store->v->begin(c, write, e) < 0) {
        store_release_write_lock(c);
        return -1;
    }
    c->in_tx = true;
    tx_changed(c);
    return 0;
}

/* --- group commit ------------------------------------------------------------ */

struct store_stats store_stats(struct store *s)
{
    pthread_mutex_lock(&s->sync_mu);
    uint64_t committed = s->commit_seq, durable = s->synced_seq;
    pthread_mutex_unlock(&s->sync_mu);
    return (struct store_stats){
        .committed = committed,
        .durable = durable,
        .writes = atomic_load(&s->st_writes),
        .commits = atomic_load(&s->st_commits),
        .syncs = atomic_load(&s->st_syncs),
        .wait_ns = atomic_load(&s->st_wait_ns),
        .hold_ns = atomic_load(&s->st_hold_ns),
        .commit_ns = atomic_load(&s->st_commit_ns),
        .sync_ns = atomic_load(&s->st_sync_ns),
    };
}

/* Commits the writer's open transaction (write_lock held) and numbers the
 * commit for store_durable; 0 when it failed. */
static uint64_t store_writer_commit(struct store *s, int *rc, struct err *e)
{
    int64_t t0 = time_mono_ns();
    *rc = s->v->commit(s->writer, e);
    atomic_fetch_add(&s->st_commit_ns, (uint64_t)(time_mono_ns() - t0));
    atomic_fetch_add(&s->st_commits, 1);
    if (*rc < 0)
        return 0;
    pthread_mutex_lock(&s->sync_mu);
    uint64_t seq = ++s->commit_seq;
    pthread_mutex_unlock(&s->sync_mu);
    return seq;
}

/* Returns when the writer's commit number `seq` is durable. One caller at a
 * time flushes, for every commit made before it starts; the others wait and
 * are usually covered by that flush. A failed flush leaves the state of the
 * disk unknown (the kernel may have dropped the pages it could not write),
 * so the process stops rather than acknowledge anything more: the database
 * is then recovered from what the disk holds. */
static void store_durable(struct store *s, uint64_t seq)
{
    pthread_mutex_lock(&s->sync_mu);
    while (s->synced_seq < seq) {
        if (s->syncing) {
            pthread_cond_wait(&s->sync_cv, &s->sync_mu);
            continue;
        }
        s->syncing = true;
        uint64_t target = s->commit_seq;
        pthread_mutex_unlock(&s->sync_mu);
        struct err e = ERR_INIT;
        int64_t t0 = time_mono_ns();
        if (s->v->make_durable(s, &e) < 0)
            fatal("store: %s", e.detail);
        atomic_fetch_add(&s->st_sync_ns, (uint64_t)(time_mono_ns() - t0));
        atomic_fetch_add(&s->st_syncs, 1);
        pthread_mutex_lock(&s->sync_mu);
        s->syncing = false;
        s->synced_seq = target;
        pthread_cond_broadcast(&s->sync_cv);
    }
    pthread_mutex_unlock(&s->sync_mu);
}

/* Commits the open batch (write_lock held), runs its callbacks in order,
 * records its outcome and wakes its writers. */
static void store_batch_commit(struct store *s)
{
    struct store_conn *w = s->writer;
    struct err e = ERR_INIT;
    int rc = 0;
    uint64_t seq = 0;
    if (w->in_tx) {
        w->in_tx = false;
        seq = store_writer_commit(s, &rc, &e);
        tx_changed(w);
    }
    pthread_mutex_lock(&s->batch_mu);
    struct store_batch_item *it = s->items;
    s->items = s->items_tail = NULL;
    uint64_t id = s->batch_id;
    s->batch_rc[id % 64] = rc;
    s->batch_seq[id % 64] = seq;
    s->batch_err[id % 64] = e;
    s->batch_done = id;
    s->batch_size = 0;
    pthread_mutex_unlock(&s->batch_mu);
    while (it) {
        struct store_batch_item *next = it->next;
        it->fn(it->ctx, rc == 0);
        free(it);
        it = next;
    }
    pthread_mutex_lock(&s->batch_mu);
    pthread_cond_broadcast(&s->batch_done_cv);
    pthread_mutex_unlock(&s->batch_mu);
}

struct store_conn *store_write_enter(struct store *s, struct err *e)
{
    int64_t t0 = time_mono_ns();
    atomic_fetch_add(&s->waiting, 1);
    int rc = store_take_write_lock(s, e);
    atomic_fetch_sub(&s->waiting, 1);
    if (rc < 0)
        return NULL;
    s->held_since_ns = time_mono_ns();
    atomic_fetch_add(&s->st_wait_ns, (uint64_t)(s->held_since_ns - t0));
    atomic_fetch_add(&s->st_writes, 1);
    struct store_conn *w = s->writer;
    w->holds_write_lock = true;
    if (!w->in_tx) {
        if (s->v->begin(w, true, e) < 0) {
            store_release_write_lock(w);
            return NULL;
        }
        w->in_tx = true;
        tx_changed(w);
        pthread_mutex_lock(&s->batch_mu);
        s->batch_id++;
        pthread_mutex_unlock(&s->batch_mu);
    }
    s->batch_size++;
    if (store_exec(w, "SAVEPOINT write", e, 0) < 0) {
        store_batch_commit(s); /* keep what the batch has; this write fails */
        store_release_write_lock(w);
        return NULL;
    }
    tls_writer = s;
    return w;
}

/* Ends this write's savepoint: kept, or rolled back alone. */
static int store_savepoint_end(struct store_conn *w, int rc, struct err *e)
{
    struct err ignore = ERR_INIT;
    if (rc == 0 && store_exec(w, "RELEASE write", e, 0) == 0)
        return 0;
    if (store_exec(w, "ROLLBACK TO write", &ignore, 0) < 0 ||
        store_exec(w, "RELEASE write", &ignore, 0) < 0) {
        /* the transaction itself is broken: the batch's commit will fail */
    }
    return -1;
}

/* Waits until batch `id` has been committed by someone, committing it
 * itself when nobody else is left to do so. */
static int store_batch_wait(struct store *s, uint64_t id, struct err *e)
{
    pthread_mutex_lock(&s->batch_mu);
    while (s->batch_done < id) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 50 * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        if (pthread_cond_timedwait(&s->batch_done_cv, &s->batch_mu, &until) == 0 ||
            s->batch_done >= id)
            continue;
        /* the writers we passed the batch to may have given up */
        pthread_mutex_unlock(&s->batch_mu);
        if (pthread_mutex_trylock(&s->write_lock) == 0) {
            if (s->batch_done < id && s->batch_id == id)
                store_batch_commit(s);
            pthread_mutex_unlock(&s->write_lock);
        }
        pthread_mutex_lock(&s->batch_mu);
    }
    int rc = s->batch_rc[id % 64];
    uint64_t seq = s->batch_seq[id % 64];
    if (rc < 0 && e)
        *e = s->batch_err[id % 64];
    pthread_mutex_unlock(&s->batch_mu);
    if (rc == 0)
        store_durable(s, seq);
    return rc;
}

int store_write_leave(struct store_conn *w, int rc, store_done_fn done, void *ctx, struct err *e)
{
    struct store *s = w->store;
    rc = store_savepoint_end(w, rc, e);
    if (done && rc < 0)
        done(ctx, false);
    if (done && rc == 0) {
        struct store_batch_item *it = xcalloc(1, sizeof *it);
        it->fn = done;
        it->ctx = ctx;
        pthread_mutex_lock(&s->batch_mu);
        if (s->items_tail)
            s->items_tail->next = it;
        else
            s->items = it;
        s->items_tail = it;
        pthread_mutex_unlock(&s->batch_mu);
    }
    uint64_t id = s->batch_id;
    tls_writer = NULL;
    bool pass = atomic_load(&s->waiting) > 0 && s->batch_size < 64;
    if (!pass)
        store_batch_commit(s);
    atomic_fetch_add(&s->st_hold_ns, (uint64_t)(time_mono_ns() - s->held_since_ns));
    w->holds_write_lock = false;
    pthread_mutex_unlock(&s->write_lock);
    if (rc < 0)
        return -1;
    return store_batch_wait(s, id, e);
}

struct store_conn *store_begin_write(struct store *s, struct err *e)
{
    if (tls_writer == s) {
        err_internal(e, "store_begin_write: this thread already writes");
        return NULL;
    }
    if (store_take_write_lock(s, e) < 0)
        return NULL;
    struct store_conn *w = s->writer;
    w->holds_write_lock = true;
    if (w->in_tx)
        store_batch_commit(s); /* a group commit left open: finish it first */
    if (s->v->begin(w, true, e) < 0) {
        store_release_write_lock(w);
        return NULL;
    }
    w->in_tx = true;
    tx_changed(w);
    tls_writer = s;
    return w;
}

int store_commit(struct store_conn *c, struct err *e)
{
    if (!c->in_tx) {
        err_internal(e, "store_commit: no transaction is open");
        return -1;
    }
    c->in_tx = false; /* the driver rolls back when the commit fails */
    tx_changed(c);
    struct store *s = c->store;
    if (c != s->writer) {
        int rc = s->v->commit(c, e);
        store_release_write_lock(c);
        return rc;
    }
    int rc;
    uint64_t seq = store_writer_commit(s, &rc, e);
    store_release_write_lock(c);
    if (rc == 0)
        store_durable(s, seq);
    return rc;
}

void store_rollback(struct store_conn *c)
{
    if (!c->in_tx)
        return;
    c->in_tx = false;
    tx_changed(c);
    c->store->v->rollback(c);
    store_release_write_lock(c);
}

bool store_in_tx(const struct store_conn *c)
{
    return c->in_tx;
}

struct store_stmt *store_prepare(struct store_conn *c, const char *sql, bool cache, struct err *e)
{
    return c->store->v->prepare(c, sql, cache, e);
}

void store_reset(struct store_stmt *st)
{
    if (st)
        st->conn->store->v->reset(st);
}

void store_finalize(struct store_stmt *st)
{
    if (st)
        st->conn->store->v->finalize(st);
}

/* A NULL s binds SQL NULL. */
void store_bind_text(struct store_stmt *st, int n, const char *s)
{
    if (s)
        st->conn->store->v->bind_text(st, n, s, strlen(s));
    else
        st->conn->store->v->bind_null(st, n);
}

void store_bind_textn(struct store_stmt *st, int n, const char *s, size_t len)
{
    if (s)
        st->conn->store->v->bind_text(st, n, s, len);
    else
        st->conn->store->v->bind_null(st, n);
}

void store_bind_int64(struct store_stmt *st, int n, int64_t v)
{
    st->conn->store->v->bind_int64(st, n, v);
}

void store_bind_null(struct store_stmt *st, int n)
{
    st->conn->store->v->bind_null(st, n);
}

int store_step(struct store_stmt *st, struct err *e)
{
    return st->conn->store->v->step(st, e);
}

const char *store_col_text(struct store_stmt *st, int i)
{
    return st->conn->store->v->col_text(st, i);
}

size_t store_col_bytes(struct store_stmt *st, int i)
{
    return st->conn->store->v->col_bytes(st, i);
}

int64_t store_col_int64(struct store_stmt *st, int i)
{
    return st->conn->store->v->col_int64(st, i);
}

bool store_col_null(struct store_stmt *st, int i)
{
    return st->conn->store->v->col_null(st, i);
}

/* A statement that yields a row (PRAGMA, RETURNING) counts as success: its
 * effect happens on the first step. */
int store_exec(struct store_conn *c, const char *sql, struct err *e, int nargs, ...)
{
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    va_list ap;
    va_start(ap, nargs);
    for (int i = 1; i <= nargs; i++)
        store_bind_text(st, i, va_arg(ap, const char *));
    va_end(ap);
    int rc = store_step(st, e);
    store_reset(st);
    /* ROLLBACK TO a savepoint (the group commit's, a caller's): what was
     * done since is undone, whether the statement ran or not */
    if (strncasecmp(sql, "ROLLBACK", 8) == 0)
        tx_changed(c);
    return rc == STORE_ERROR ? -1 : 0;
}

int store_execf(struct store_conn *c, const char *sql, struct err *e, const char *types, ...)
{
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i')
            store_bind_int64(st, i + 1, va_arg(ap, int64_t));
        else
            store_bind_text(st, i + 1, va_arg(ap, const char *));
    }
    va_end(ap);
    int rc = store_step(st, e);
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

const char *store_sql(struct store_conn *c, enum store_sql which)
{
    return c->store->v->sql(c, which);
}

/* One tokenizer for every backend (tokenize.h). */
int store_fts_terms(struct store_conn *c, const char *text, size_t len, store_term_fn fn, void *ctx)
{
    (void)c;
    return store_tokenize(text, len, fn, ctx);
}

char *store_fts_query(struct store_conn *c, const char *collection, const char *const *words,
                      size_t n)
{
    return c->store->v->fts_query(c, collection, words, n);
}

int store_analyze(struct store *s, struct err *e)
{
    return s->v->analyze(s, e);
}

void store_release_writer_cache(struct store *s)
{
    struct err e = {0};
    if (!s->writer || store_take_write_lock(s, &e) < 0)
        return;
    s->v->release_cache(s->writer);
    pthread_mutex_unlock(&s->write_lock);
}

int64_t store_size_bytes(struct store *s)
{
    return s->v->size_bytes(s);
}

int64_t store_last_id(struct store_conn *c)
{
    return c->store->v->last_id(c);
}

void store_last_id_later(struct store_conn *c, int64_t *slot)
{
    if (c->store->v->last_id_later)
        c->store->v->last_id_later(c, slot);
    else
        *slot = c->store->v->last_id(c);
}

int store_take_id(struct store_conn *c, const char *table, int64_t *id, struct err *e)
{
    return c->store->v->take_id ? c->store->v->take_id(c, table, id, e) : 1;
}

/* *report is NULL or a malloc'd string; problems are appended to it (a new
 * string is allocated when it was NULL and there are problems). */
int store_integrity(struct store_conn *c, char **report)
{
    struct buf b;
    buf_init(&b, 0);
    int n = c->store->v->integrity(c, &b);
    if (n > 0 && b.len > 0) {
        size_t old = *report ? strlen(*report) : 0;
        char *r = xrealloc(*report, old + b.len + 1);
        memcpy(r + old, b.p, b.len + 1);
        *report = r;
    }
    buf_free(&b);
    return n;
}
