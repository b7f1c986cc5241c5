/* throttle: a hash table (chained, keyed SipHash so that chosen keys cannot
 * make long chains) with a doubly linked list in order of activity. The list
 * gives O(1) eviction of the oldest key and lets each call drop a few expired
 * records from its old end. One mutex guards everything. */
#include "throttle.h"

#include "util/err.h"
#include "util/text.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 255      /* longer keys are stored as "#" + their SHA-256 */
#define PRUNE_PER_CALL 2 /* expired records dropped per call, at most */
#define NONE INT64_MIN   /* "never" for the time fields below */

struct entry {
    struct entry *chain;         /* next in the same bucket */
    struct entry *newer, *older; /* activity list */
    uint64_t hash;
    unsigned failures;   /* consecutive failures */
    int64_t last_fail;   /* time of the last one */
    int64_t fail_expiry; /* failures forgotten from then (NONE: no failures) */
    /* Token bucket kept as the time it will be full again ("theoretical
     * arrival time" of GCRA): tat_ms + tat_frac / rate_n milliseconds. */
    int64_t tat_ms;
    uint64_t tat_frac;
    unsigned rate_n;
    char key[];
};

struct throttle {
    pthread_mutex_t mu;
    size_t max, count, nbuckets; /* nbuckets: a power of two */
    struct entry **buckets;
    struct entry *newest, *oldest;
    unsigned char seed[crypto_shorthash_KEYBYTES];
};

struct throttle *throttle_new(size_t max_keys)
{
    if (sodium_init() < 0)
        fatal("sodium_init failed");
    struct throttle *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->max = max_keys ? max_keys : 1;
    t->nbuckets = 16;
    t->buckets = xcalloc(t->nbuckets, sizeof *t->buckets);
    randombytes_buf(t->seed, sizeof t->seed);
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t)
        return;
    for (struct entry *en = t->newest, *next; en; en = next) {
        next = en->older;
        free(en);
    }
    free(t->buckets);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

size_t throttle_size(struct throttle *t)
{
    pthread_mutex_lock(&t->mu);
    size_t n = t->count;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* ---- table ---- */

/* The key as stored: itself, or "#" + SHA-256 hex when too long. */
static const char *key_norm(const char *key, char buf[67])
{
    if (!key)
        fatal("throttle: NULL key");
    size_t n = strlen(key);
    if (n <= KEY_MAX)
        return key;
    buf[0] = '#';
    sha256_hex(key, n, buf + 1);
    return buf;
}

static uint64_t key_hash(const struct throttle *t, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), t->seed);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h;
}

static struct entry *find(struct throttle *t, const char *key, uint64_t h)
{
    for (struct entry *en = t->buckets[h & (t->nbuckets - 1)]; en; en = en->chain)
        if (en->hash == h && strcmp(en->key, key) == 0)
            return en;
    return NULL;
}

static void list_unlink(struct throttle *t, struct entry *en)
{
    if (en->newer)
        en->newer->older = en->older;
    else
        t->newest = en->older;
    if (en->older)
        en->older->newer = en->newer;
    else
        t->oldest = en->newer;
    en->newer = en->older = NULL;
}

static void list_push(struct throttle *t, struct entry *en)
{
    en->newer = NULL;
    en->older = t->newest;
    if (t->newest)
        t->newest->newer = en;
    t->newest = en;
    if (!t->oldest)
        t->oldest = en;
}

static void touch(struct throttle *t, struct entry *en)
{
    if (t->newest != en) {
        list_unlink(t, en);
        list_push(t, en);
    }
}

static void remove_entry(struct throttle *t, struct entry *en)
{
    struct entry **pp = &t->buckets[en->hash & (t->nbuckets - 1)];
    while (*pp != en)
        pp = &(*pp)->chain;
    *pp = en->chain;
    list_unlink(t, en);
    t->count--;
    free(en);
}

static void grow(struct throttle *t)
{
    size_t n = t->nbuckets * 2;
    struct entry **b = xcalloc(n, sizeof *b);
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct entry *en = t->buckets[i], *next; en; en = next) {
            next = en->chain;
            en->chain = b[en->hash & (n - 1)];
            b[en->hash & (n - 1)] = en;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* The key's record, made (evicting the oldest when full) if missing, and
 * marked as the newest activity. */
static struct entry *get(struct throttle *t, const char *key)
{
    uint64_t h = key_hash(t, key);
    struct entry *en = find(t, key, h);
    if (en) {
        touch(t, en);
        return en;
    }
    if (t->count >= t->max)
        remove_entry(t, t->oldest);
    if (t->count >= t->nbuckets && t->nbuckets <= SIZE_MAX / 2 / sizeof *t->buckets)
        grow(t);
    size_t len = strlen(key);
    en = xcalloc(1, sizeof *en + len + 1);
    memcpy(en->key, key, len + 1);
    en->hash = h;
    en->last_fail = en->fail_expiry = en->tat_ms = NONE;
    en->chain = t->buckets[h & (t->nbuckets - 1)];
    t->buckets[h & (t->nbuckets - 1)] = en;
    list_push(t, en);
    t->count++;
    return en;
}

/* True when the record no longer holds anything: no live failures and a
 * full bucket. */
static bool expired(const struct entry *en, int64_t now)
{
    bool fails_gone = en->fail_expiry == NONE || now >= en->fail_expiry;
    bool bucket_full =
        en->tat_ms == NONE || en->tat_ms < now || (en->tat_ms == now && en->tat_frac == 0);
    return fails_gone && bucket_full;
}

static void prune(struct throttle *t, int64_t now)
{
    for (int i = 0; i < PRUNE_PER_CALL && t->oldest && expired(t->oldest, now); i++)
        remove_entry(t, t->oldest);
}

/* ---- lockout ---- */

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

/* base_ms * 2^(failures - free_failures), capped at max_ms. */
static int64_t lock_ms(const struct throttle_lockout *p, unsigned failures)
{
    if (failures == 0 || failures < p->free_failures || p->base_ms <= 0 || p->max_ms <= 0)
        return 0;
    int64_t ms = p->base_ms;
    for (unsigned k = failures - p->free_failures; k > 0 && ms < p->max_ms; k--)
        ms = ms > p->max_ms / 2 ? p->max_ms : ms * 2;
    return ms < p->max_ms ? ms : p->max_ms;
}

/* Forgets failures older than max_ms. */
static void expire_failures(struct entry *en, const struct throttle_lockout *p, int64_t now)
{
    if (en->failures && now - en->last_fail >= p->max_ms) {
        en->failures = 0;
        en->last_fail = en->fail_expiry = NONE;
    }
}

int64_t throttle_lockout_wait(const struct throttle_lockout *p, unsigned failures,
                              int64_t last_fail_ms, int64_t now_ms)
{
    if (!failures || now_ms - last_fail_ms >= p->max_ms) /* forgotten */
        return 0;
    int64_t lock = lock_ms(p, failures);
    return lock > 0 && now_ms - last_fail_ms < lock ? lock - (now_ms - last_fail_ms) : 0;
}

int64_t throttle_locked(struct throttle *t, const struct throttle_lockout *p, const char *key,
                        int64_t now_ms)
{
    char buf[67];
    key = key_norm(key, buf);
    pthread_mutex_lock(&t->mu);
    struct entry *en = find(t, key, key_hash(t, key));
    int64_t wait = 0;
    if (en) {
        expire_failures(en, p, now_ms);
        wait = throttle_lockout_wait(p, en->failures, en->last_fail, now_ms);
    }
    pthread_mutex_unlock(&t->mu);
    return wait;
}

void throttle_fail(struct throttle *t, const struct throttle_lockout *p, const char *key,
                   int64_t now_ms)
{
    char buf[67];
    key = key_norm(key, buf);
    pthread_mutex_lock(&t->mu);
    prune(t, now_ms);
    struct entry *en = get(t, key);
    expire_failures(en, p, now_ms);
    if (en->failures < UINT_MAX)
        en->failures++;
    en->last_fail = now_ms;
    en->fail_expiry = sat_add(now_ms, p->max_ms);
    pthread_mutex_unlock(&t->mu);
}

void throttle_success(struct throttle *t, const char *key)
{
    char buf[67];
    key = key_norm(key, buf);
    pthread_mutex_lock(&t->mu);
    struct entry *en = find(t, key, key_hash(t, key));
    if (en)
        remove_entry(t, en);
    pthread_mutex_unlock(&t->mu);
}

/* ---- rate ---- */

/* GCRA: each event moves the full-again time on by window/n; an event passes
 * while that time stays within window of now. Fractions of a millisecond are
 * kept exactly as tat_frac / n. */
static int64_t rate_event(struct entry *en, unsigned n, int64_t window, int64_t now)
{
    if (en->rate_n != n) { /* another limit than last time: round up */
        if (en->tat_frac && en->tat_ms != NONE)
            en->tat_ms++;
        en->tat_frac = 0;
        en->rate_n = n;
    }
    if (en->tat_ms == NONE || en->tat_ms < now) {
        en->tat_ms = now;
        en->tat_frac = 0;
    }
    int64_t ms = en->tat_ms + window / n;
    uint64_t frac = en->tat_frac + (uint64_t)(window % n);
    if (frac >= n) {
        frac -= n;
        ms++;
    }
    int64_t excess = ms - now - window;
    if (excess > 0 || (excess == 0 && frac > 0))
        return excess + (frac > 0);
    en->tat_ms = ms;
    en->tat_frac = frac;
    return 0;
}

int64_t throttle_rate(struct throttle *t, const char *key, unsigned n, int64_t window_ms,
                      int64_t now_ms)
{
    if (window_ms <= 0)
        return 0;
    if (n == 0)
        return window_ms;
    char buf[67];
    key = key_norm(key, buf);
    pthread_mutex_lock(&t->mu);
    prune(t, now_ms);
    int64_t wait = rate_event(get(t, key), n, window_ms, now_ms);
    pthread_mutex_unlock(&t->mu);
    return wait;
}
