/* throttle: in-memory, thread-safe counters keyed by strings (e-mail
 * addresses, client IPs) for login lockout with back-off and for rate limits.
 * The table holds at most max_keys keys: when full, the key with the oldest
 * activity (a failure or a rate-limited event) is forgotten. Keys whose
 * records have expired are dropped as the table is used. Times are
 * milliseconds on any clock the caller uses consistently (time_now_ms).
 * Use one table per purpose, or prefix keys ("ip:", "login:"): a key has one
 * record holding both its failures and its rate state. */
#ifndef AP_THROTTLE_H
#define AP_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

struct throttle;

/* A new empty table for at most max_keys keys (0 counts as 1). Keys longer
 * than 255 bytes are stored as their SHA-256. Free with throttle_free. */
struct throttle *throttle_new(size_t max_keys);
void throttle_free(struct throttle *t);

/* Number of keys held now (for metrics and tests). */
size_t throttle_size(struct throttle *t);

/* Login lockout with back-off: after free_failures consecutive failures
 * (say 5) the key is locked, from its last failure, for
 * base_ms * 2^(failures - free_failures), capped at max_ms: the 5th failure
 * locks for base_ms, the 6th for 2 * base_ms, and so on. A key with no
 * failure for max_ms is forgotten, so old failures neither lock anyone nor
 * count towards the next lock. */
struct throttle_lockout {
    unsigned free_failures;
    int64_t base_ms, max_ms;
};

/* The lockout of a key with `failures` in a row, the last at
 * last_fail_ms: 0 it may try now, else the milliseconds until it may (the
 * rule above, for failures counted elsewhere: the nodes' shared count). */
int64_t throttle_lockout_wait(const struct throttle_lockout *p, unsigned failures,
                              int64_t last_fail_ms, int64_t now_ms);
/* 0 if the key may try now; else the milliseconds until it may (> 0). */
int64_t throttle_locked(struct throttle *t, const struct throttle_lockout *p, const char *key,
                        int64_t now_ms);
/* Counts a failed attempt at now_ms (and locks the key when due). */
void throttle_fail(struct throttle *t, const struct throttle_lockout *p, const char *key,
                   int64_t now_ms);
/* Forgets the key (its failures and its rate state): call on success. */
void throttle_success(struct throttle *t, const char *key);

/* Rate limit, a token bucket: a key may have a burst of n events, and the
 * bucket refills one event every window_ms / n (exactly, in fractions of a
 * millisecond), so over a long run at most n events per window_ms pass.
 * Returns 0 and counts the event when allowed; else the milliseconds to wait
 * (> 0) and counts nothing. n == 0 refuses every event (waiting window_ms, at
 * least 1); window_ms <= 0 allows every event. */
int64_t throttle_rate(struct throttle *t, const char *key, unsigned n, int64_t window_ms,
                      int64_t now_ms);

#endif
