/* feed: the change feed between the nodes that serve one database (issue
 * 19).
 *
 * What a node keeps in memory of the registry — the filter index with its
 * words and relations graph (fidx.h), the rules' judgements (ruleidx.c),
 * the scores' answers and the caches (cache.h) — changes after each write
 * by what the write staged. On a store several nodes share (PostgreSQL)
 * every write also adds that, as JSON, to the table `changes`, in its own
 * transaction: a row per write, numbered by `seq`. Writes take turns
 * across the nodes (driver-pg.c's write lock), so the rows' order is the
 * commits' order, and a row visible means every earlier one is.
 *
 * Each node applies every row in that order, exactly once:
 * - its own write, after the commit (registry.c's after_write): the rows
 *   before it it has not applied yet first (another node's writes, which
 *   committed before it began), then its own staged changes;
 * - the others', from a thread that waits for the database's notification
 *   (store_listen_wait; each write notifies at its commit) or a second
 *   without one, and reads the rows after the last it applied.
 * Both hold the feed's lock, so whichever comes first applies a row and
 * the other skips it. A node's memory starts from the last row there was
 * before it built its indexes: a row applied again over a state that
 * already had it leaves the same state (a key set or a record's words,
 * node or edge as of the last row about it).
 *
 * Rows older than a day are deleted (by whichever node gets there; the
 * last seq deleted kept in `changes_pruned`). A node that missed rows so
 * deleted (it could not reach the database for a day) cannot know what
 * they changed: it stops, to be started again (its indexes built anew).
 * On SQLite (one process) there is no feed. */
#include "registry/fidx.h"
#include "registry/internal.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define FEED_CHANNEL "archportal_changes"
/* Looked at this often without a notification (one missed, a lost
 * connection). */
#define FEED_POLL_MS 1000
/* A wait for a notification lasts at most this (ms): a node stopping
 * waits no longer for the thread. */
#define FEED_WAIT_MS 100
/* Rows read at a time. */
#define FEED_BATCH 500
/* Rows older than this go (ms), looked for this often (ms). */
#define FEED_KEEP_MS (24LL * 3600 * 1000)
#define FEED_PRUNE_EVERY_MS (60LL * 1000)

struct feed {
    pthread_mutex_t mu; /* applying: one row at a time, in order */
    int64_t seq;        /* the last row applied */
    uint64_t applied;   /* rows of other writes applied */
    pthread_t thread;
    bool up;
    atomic_bool quit;
    int64_t pruned_at; /* when this node last deleted old rows */
};

int feed_begin(struct registry *r, struct err *e)
{
    if (!store_shared(r->store) || r->feed)
        return 0;
    int64_t seq = 0;
    if (store_query_int64(store_conn(r->store), "SELECT coalesce(max(seq), 0) FROM changes", &seq,
                          e) < 0)
        return -1;
    struct feed *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    atomic_init(&f->quit, false);
    f->seq = seq;
    f->pruned_at = time_now_ms();
    r->feed = f;
    return 0;
}

int feed_record(struct registry *r, struct store_conn *c, const struct fidx_staged *staged,
                const json_t *rule_ids, const json_t *score_ids, int64_t *seq, struct err *e)
{
    *seq = 0;
    if (!r->feed)
        return 0;
    json_t *body = json_pack("{s:o}", "staged", fidx_staged_json(staged));
    if (rule_ids)
        json_object_set(body, "rules", (json_t *)rule_ids);
    if (score_ids)
        json_object_set(body, "scores", (json_t *)score_ids);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char at[40];
    time_format_rfc3339(time_now_ms(), at, sizeof at);
    int rc = store_execf(c, "INSERT INTO changes(at, body) VALUES ($1, $2)", e, "tt", at, text);
    free(text);
    if (rc < 0)
        return -1;
    /* needed only once the write commits (after_write): known by then */
    store_last_id_later(c, seq);
    return store_notify(c, FEED_CHANNEL, e) < 0 ? -1 : 0;
}

/* Applies one row's body (another write's changes). */
static int apply_row(struct registry *r, int64_t seq, const char *text, struct err *e)
{
    json_error_t je;
    json_t *body = json_loads(text, 0, &je);
    struct fidx_staged *staged =
        body ? fidx_staged_from_json(r->fidx, json_object_get(body, "staged")) : NULL;
    const json_t *rules = json_object_get(body, "rules"), *scores = json_object_get(body, "scores");
    if (!staged || (rules && !json_is_object(rules)) || (scores && !json_is_object(scores))) {
        json_decref(body);
        err_internal(e, "change %lld of the feed is not one the portal writes", (long long)seq);
        return -1;
    }
    reg_apply_changes(r, staged, json_incref((json_t *)rules), json_incref((json_t *)scores),
                      true);
    json_decref(body);
    return 0;
}

/* Applies the rows after the last one applied up to `until` (feed locked). */
static int catch_up(struct registry *r, struct feed *f, int64_t until, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    for (;;) {
        struct store_stmt *st = store_prepare(
            c,
            "SELECT seq, body FROM changes WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            true, e);
        if (!st)
            return -1;
        store_bind_int64(st, 1, f->seq);
        store_bind_int64(st, 2, until);
        store_bind_int64(st, 3, FEED_BATCH);
        int rc, n = 0;
        bool first = true;
        while ((rc = store_step(st, e)) == STORE_ROW) {
            int64_t seq = store_col_int64(st, 0);
            if (first && seq > f->seq + 1) {
                /* a gap: rows rolled back, or deleted before this node read them */
                int64_t upto = 0;
                if (store_query_int64(c, "SELECT upto FROM changes_pruned", &upto, e) < 0) {
                    rc = STORE_ERROR;
                    break;
                }
                if (upto > f->seq)
                    fatal("feed: this node applied the changes up to %lld, and those up to %lld "
                          "were deleted before it read them (it could not reach the database "
                          "for a day): start it again, to build its memory anew",
                          (long long)f->seq, (long long)upto);
            }
            first = false;
            if (apply_row(r, seq, store_col_text(st, 1), e) < 0) {
                rc = STORE_ERROR;
                break;
            }
            f->seq = seq;
            f->applied++;
            n++;
        }
        store_reset(st);
        if (rc == STORE_ERROR)
            return -1;
        if (n < FEED_BATCH)
            return 0;
    }
}

bool feed_own_begin(struct registry *r, int64_t seq, bool committed)
{
    struct feed *f = r->feed;
    if (!f || !seq)
        return true;
    pthread_mutex_lock(&f->mu);
    if (!committed || f->seq >= seq)
        return false; /* rolled back, or applied from the feed already */
    if (seq == f->seq + 1)
        return true;
    /* the rows before it first: read here unless this thread's connection
     * is inside a transaction (its snapshot may be older than the rows) or
     * they cannot be read; then the thread that follows the feed applies
     * them and this write's own after them, from its row */
    struct store_conn *c = store_conn(r->store);
    struct err e = ERR_INIT;
    if (store_in_tx(c))
        return false;
    if (catch_up(r, f, seq - 1, &e) < 0) {
        log_msg(LOG_WARN, "feed: cannot read the changes before %lld yet: %s", (long long)seq,
                e.detail);
        return false;
    }
    return true;
}

void feed_own_end(struct registry *r, int64_t seq, bool applied)
{
    struct feed *f = r->feed;
    if (!f || !seq)
        return;
    if (applied && seq > f->seq)
        f->seq = seq;
    pthread_mutex_unlock(&f->mu);
}

int registry_feed_catch_up(struct registry *r, struct err *e)
{
    struct feed *f = r->feed;
    if (!f)
        return 0;
    pthread_mutex_lock(&f->mu);
    int rc = catch_up(r, f, INT64_MAX, e);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

uint64_t registry_feed_applied(const struct registry *r, int64_t *seq)
{
    struct feed *f = r->feed;
    if (!f) {
        *seq = 0;
        return 0;
    }
    pthread_mutex_lock(&f->mu);
    uint64_t n = f->applied;
    *seq = f->seq;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Deletes the rows older than a day (one write; any node may). */
static int prune(struct registry *r, struct err *e)
{
    char cut[40];
    time_format_rfc3339(time_now_ms() - FEED_KEEP_MS, cut, sizeof cut);
    struct store_conn *w = store_write_enter(r->store, e);
    if (!w)
        return -1;
    int rc = store_execf(w,
                         "UPDATE changes_pruned SET upto = CASE WHEN upto > m THEN upto ELSE m "
                         "END FROM (SELECT coalesce(max(seq), 0) AS m FROM changes "
                         "WHERE at < $1) AS x",
                         e, "t", cut);
    if (rc >= 0)
        rc = store_execf(w, "DELETE FROM changes WHERE at < $1", e, "t", cut);
    return store_write_leave(w, rc < 0 ? -1 : 0, NULL, NULL, e);
}

/* The thread that applies the other nodes' writes: at a notification,
 * else once a second; it looks whether to stop every FEED_WAIT_MS. */
static void *follow_main(void *arg)
{
    struct registry *r = arg;
    struct feed *f = r->feed;
    int64_t looked = 0, complained = 0; /* when it last read the rows, logged an error */
    while (!atomic_load(&f->quit)) {
        struct err e = ERR_INIT;
        int w = store_listen_wait(r->store, FEED_CHANNEL, FEED_WAIT_MS, &e);
        int64_t now = time_now_ms();
        if (atomic_load(&f->quit) || (w == 0 && now - looked < FEED_POLL_MS))
            continue;
        looked = now;
        int rc = w < 0 ? -1 : registry_feed_catch_up(r, &e);
        if (rc == 0 && now - f->pruned_at >= FEED_PRUNE_EVERY_MS) {
            f->pruned_at = now;
            rc = prune(r, &e);
        }
        if (rc < 0 && now - complained >= 10000) { /* the database away: once in 10 s */
            complained = now;
            log_msg(LOG_WARN, "feed: cannot follow the other nodes' changes yet: %s", e.detail);
        }
    }
    return NULL;
}

int feed_follow(struct registry *r, struct err *e)
{
    struct feed *f = r->feed;
    if (!f || f->up)
        return 0;
    if (pthread_create(&f->thread, NULL, follow_main, r) != 0) {
        err_internal(e, "cannot start the change feed's thread");
        return -1;
    }
    f->up = true;
    return 0;
}

void feed_free(struct registry *r)
{
    struct feed *f = r->feed;
    if (!f)
        return;
    atomic_store(&f->quit, true);
    if (f->up)
        pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    free(f);
    r->feed = NULL;
}
