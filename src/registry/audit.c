/* audit: the tamper-evident trail of every change (REQ X-AUD-01).
 *
 * Each entry's hash is SHA-256 over its canonical text, which includes the
 * previous entry's hash, so changing, removing or reordering any entry
 * breaks every hash after it. The first entry's prev_hash is 64 zeros.
 * The canonical text is the fields joined by '\n' in this order: seq, at,
 * actor, action, collection, record_id, revision, before, after, prev_hash
 * (NULL before/after as the empty string). */
#include "internal.h"

#include "util/buf.h"
#include "util/text.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

char *audit_canonical(int64_t seq, const char *at, const char *actor, const char *action,
                      const char *collection, const char *record_id, int64_t revision,
                      const char *before, const char *after, const char *prev_hash)
{
    struct buf b;
    buf_init(&b, 0);
    if (buf_printf(&b, "%" PRId64 "\n%s\n%s\n%s\n%s\n%s\n%" PRId64 "\n", seq, at, actor, action,
                   collection, record_id, revision) < 0 ||
        buf_puts(&b, before ? before : "") < 0 || buf_putc(&b, '\n') < 0 ||
        buf_puts(&b, after ? after : "") < 0 || buf_putc(&b, '\n') < 0 ||
        buf_puts(&b, prev_hash) < 0)
        fatal("audit: entry too large");
    return buf_steal(&b, NULL);
}

/* The store lock (store_lock) of the audit chain's head. */
#define AUDIT_CHAIN_LOCK INT64_C(0x6175646974) /* "audit" */

static int last_entry(struct store_conn *c, int64_t *seq, char prev[65], struct err *e)
{
    struct store_stmt *st =
        store_prepare(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    *seq = 0;
    snprintf(prev, 65, "%s", GENESIS_HASH);
    if (rc == STORE_ROW) {
        *seq = store_col_int64(st, 0);
        snprintf(prev, 65, "%s", store_col_text(st, 1));
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The chain's head as this process last appended to it: right while the
 * same transaction (store_tx_epoch) goes on, the chain's lock held since;
 * read from the database otherwise (PostgreSQL: a wait for every statement
 * sent before). */
static struct {
    pthread_mutex_t mu;
    const struct store_conn *c;
    uint64_t epoch;
    int64_t seq;
    char hash[65];
} head = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int insert_row(struct store_conn *c, const struct audit_row *row, struct err *e);

static bool head_known(const struct store_conn *c, int64_t *seq, char prev[65])
{
    pthread_mutex_lock(&head.mu);
    bool known = head.c == c && head.epoch == store_tx_epoch(c);
    if (known) {
        *seq = head.seq;
        memcpy(prev, head.hash, 65);
    }
    pthread_mutex_unlock(&head.mu);
    return known;
}

static void head_keep(const struct store_conn *c, int64_t seq, const char hash[65])
{
    pthread_mutex_lock(&head.mu);
    head.c = c;
    head.epoch = c ? store_tx_epoch(c) : 0;
    head.seq = seq;
    memcpy(head.hash, hash, 65);
    pthread_mutex_unlock(&head.mu);
}

int audit_append(struct store_conn *c, const char *at, const struct actor *a, const char *action,
                 const char *collection, const char *record_id, int64_t revision,
                 const char *before, const char *after, struct err *e)
{
    int64_t seq;
    char prev[65], hash[65];
    /* one chain: another node appending waits until this transaction ends */
    if (store_lock(c, AUDIT_CHAIN_LOCK, e) < 0)
        return -1;
    if (!store_in_tx(c) || !head_known(c, &seq, prev)) {
        if (last_entry(c, &seq, prev, e) < 0)
            return -1;
    }
    seq++;
    char *canon = audit_canonical(seq, at, a->id, action, collection, record_id, revision,
                                  before, after, prev);
    sha256_hex(canon, strlen(canon), hash);
    free(canon);
    struct audit_row row = {seq,    at,     a->id, action, collection, record_id,
                            revision, before, after, prev,   hash};
    if (insert_row(c, &row, e) < 0)
        return -1;
    if (store_in_tx(c)) /* a failure after this ends the epoch too */
        head_keep(c, seq, hash);
    return 0;
}

int audit_insert(struct store_conn *c, const struct audit_row *row, struct err *e)
{
    head_keep(NULL, 0, GENESIS_HASH); /* an entry of the caller's: read the head again */
    return insert_row(c, row, e);
}

static int insert_row(struct store_conn *c, const struct audit_row *row, struct err *e)
{
    return store_execf(c,
                       "INSERT INTO audit(seq, at, actor, action, collection, record_id, revision, "
                       "before, after, prev_hash, hash) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                       e, "itttttitttt", row->seq, row->at, row->actor, row->action,
                       row->collection, row->record_id, row->revision, row->before, row->after,
                       row->prev_hash, row->hash);
}

static void report_add(struct buf *rep, int *n, const char *fmt, int64_t seq, const char *what)
{
    (*n)++;
    if (*n <= 100) {
        buf_printf(rep, fmt, seq, what);
        buf_putc(rep, '\n');
    }
}

int audit_verify(struct store_conn *c, char **report)
{
    struct err e = ERR_INIT;
    struct buf rep;
    buf_init(&rep, 0);
    int problems = 0;
    struct store_stmt *st = store_prepare(
        c,
        "SELECT seq, at, actor, action, collection, record_id, revision, before, after, "
        "prev_hash, hash FROM audit ORDER BY seq",
        false, &e);
    if (!st) {
        buf_printf(&rep, "audit: cannot read the trail: %s\n", e.detail);
        *report = buf_steal(&rep, NULL);
        return 1;
    }
    char prev[65] = GENESIS_HASH;
    int64_t expect = 1;
    int rc;
    while ((rc = store_step(st, &e)) == STORE_ROW) {
        int64_t seq = store_col_int64(st, 0);
        const char *stored_prev = store_col_text(st, 9), *stored = store_col_text(st, 10);
        if (seq != expect)
            report_add(&rep, &problems, "audit: entry %" PRId64 " %s", seq,
                       "breaks the sequence (an entry is missing)");
        if (strcmp(stored_prev, prev) != 0)
            report_add(&rep, &problems, "audit: entry %" PRId64 " %s", seq,
                       "does not link to the previous entry's hash");
        char *canon = audit_canonical(seq, store_col_text(st, 1), store_col_text(st, 2),
                                      store_col_text(st, 3), store_col_text(st, 4),
                                      store_col_text(st, 5), store_col_int64(st, 6),
                                      store_col_text(st, 7), store_col_text(st, 8), stored_prev);
        char hash[65];
        sha256_hex(canon, strlen(canon), hash);
        free(canon);
        if (strcmp(hash, stored) != 0)
            report_add(&rep, &problems, "audit: entry %" PRId64 " %s", seq,
                       "has been altered (hash mismatch)");
        snprintf(prev, sizeof prev, "%s", stored);
        expect = seq + 1;
    }
    if (rc == STORE_ERROR)
        report_add(&rep, &problems, "audit: reading stopped at entry %" PRId64 ": %s", expect,
                   e.detail);
    store_finalize(st);
    *report = buf_steal(&rep, NULL);
    return problems;
}
