/* account/session: sign-in with lockout, sessions with idle and absolute
 * expiry, CSRF tokens, sign-out (here or everywhere). */
#include "account/internal.h"

#include "auth/password.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* seen_at is refreshed at most this often, to keep reads cheap */
#define SESSION_TOUCH_MS (60 * 1000)

static const struct throttle_lockout EMAIL_LOCKOUT = {5, 30 * 1000, 60 * 60 * 1000};
static const struct throttle_lockout IP_LOCKOUT = {50, 60 * 1000, 60 * 60 * 1000};
/* The key in ac->ips of the limit on all addresses together (no address
 * looks like it). */
#define GLOBAL_KEY "*"

void acct_actor_of_user(struct accounts *ac, const json_t *user, struct actor *out)
{
    memset(out, 0, sizeof *out);
    const char *id = json_string_value(json_object_get(user, "id"));
    const char *org = json_string_value(json_object_get(user, "org"));
    snprintf(out->id, sizeof out->id, "user:%s", id ? id : "");
    snprintf(out->user, sizeof out->user, "%s", id ? id : "");
    snprintf(out->org, sizeof out->org, "%s", org ? org : "");
    const json_t *roles = json_object_get(user, "roles");
    for (size_t i = 0; i < json_array_size(roles); i++) {
        int ri = rights_role_index(ac->rights, json_string_value(json_array_get(roles, i)));
        if (ri >= 0)
            out->roles |= 1u << ri;
    }
}

static void fail_credentials(struct err *e)
{
    err_set(e, 401, "invalid-credentials", "", "wrong e-mail or password");
}

/* On a database several nodes share (store_shared), the failures are
 * counted in it too (login_failures: "e:<e-mail>", "i:<address>"), so that
 * an account or an address meets one lockout whichever node it tries; each
 * node's memory answers first. */
#define FAILURES_KEY_MAX 300

/* The key of login_failures for an e-mail ('e') or an address ('i'). */
static const char *failures_key(char out[FAILURES_KEY_MAX], char what, const char *s)
{
    snprintf(out, FAILURES_KEY_MAX, "%c:%s", what, s);
    return out;
}

static int64_t shared_wait(struct accounts *ac, const struct throttle_lockout *p, const char *key,
                           int64_t now)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        store_conn(ac->store), "SELECT failures, last_ms FROM login_failures WHERE key = $1", true,
        &e);
    if (!st)
        return 0; /* the database away: the sign-in fails on reading the user */
    store_bind_text(st, 1, key);
    int64_t wait = 0;
    if (store_step(st, &e) == STORE_ROW)
        wait = throttle_lockout_wait(p, (unsigned)store_col_int64(st, 0), store_col_int64(st, 1),
                                     now);
    store_reset(st);
    return wait;
}

static int64_t locked_for(struct accounts *ac, const char *email, const char *ip, int64_t now)
{
    int64_t a = throttle_locked(ac->logins, &EMAIL_LOCKOUT, email, now);
    int64_t b = throttle_locked(ac->ips, &IP_LOCKOUT, ip, now);
    if (store_shared(ac->store)) {
        char key[FAILURES_KEY_MAX];
        int64_t sa = shared_wait(ac, &EMAIL_LOCKOUT, failures_key(key, 'e', email), now);
        int64_t sb = shared_wait(ac, &IP_LOCKOUT, failures_key(key, 'i', ip), now);
        a = sa > a ? sa : a;
        b = sb > b ? sb : b;
    }
    return a > b ? a : b;
}

struct shared_fail {
    const char *email, *ip;
    int64_t now;
};

/* One more failure of the e-mail and the address, for every node; what is
 * older than the lockouts' memory goes. */
static int shared_fail_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct shared_fail *x = vctx;
    static const char UPSERT[] =
        "INSERT INTO login_failures(key, failures, last_ms) VALUES ($1, 1, $2) "
        "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_failures.last_ms <= $3 "
        "THEN 1 ELSE login_failures.failures + 1 END, last_ms = $2";
    char key[FAILURES_KEY_MAX];
    if (store_execf(c, UPSERT, e, "tii", failures_key(key, 'e', x->email), x->now,
                    x->now - EMAIL_LOCKOUT.max_ms) < 0 ||
        store_execf(c, UPSERT, e, "tii", failures_key(key, 'i', x->ip), x->now,
                    x->now - IP_LOCKOUT.max_ms) < 0)
        return -1;
    int64_t keep = EMAIL_LOCKOUT.max_ms > IP_LOCKOUT.max_ms ? EMAIL_LOCKOUT.max_ms : IP_LOCKOUT.max_ms;
    return store_execf(c, "DELETE FROM login_failures WHERE last_ms <= $1", e, "i", x->now - keep);
}

struct open_ctx {
    const char *email; /* its failures end (on a shared database) */
    const char *user_id, *old_hash;
    char secret[48], csrf[48];
};

static int open_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct open_ctx *x = vctx;
    char hash[65], csrf_hash[65], now[32], expires[32];
    int64_t now_ms = time_now_ms();
    time_format_rfc3339(now_ms, now, sizeof now);
    time_format_rfc3339(now_ms + ac->cfg.session_absolute_ms, expires, sizeof expires);
    acct_secret(x->secret, hash);
    acct_secret(x->csrf, csrf_hash);
    if (store_shared(ac->store)) {
        char key[FAILURES_KEY_MAX];
        if (store_execf(c, "DELETE FROM login_failures WHERE key = $1", e, "t",
                        failures_key(key, 'e', x->email)) < 0)
            return -1;
    }
    /* the session the browser came with (if any) ends: no fixation */
    if (x->old_hash && store_execf(c, "DELETE FROM sessions WHERE hash = $1", e, "t", x->old_hash) < 0)
        return -1;
    /* sessions past their expiry are cleared as new ones open */
    if (store_execf(c, "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2", e, "tt",
                    x->user_id, now) < 0)
        return -1;
    return store_execf(c,
                       "INSERT INTO sessions(hash, user_id, csrf, created_at, seen_at, expires_at) "
                       "VALUES ($1, $2, $3, $4, $4, $5)",
                       e, "ttttt", hash, x->user_id, x->csrf, now, expires);
}

static void rehash_if_needed(struct accounts *ac, const char *user_id, const char *password,
                             const char *stored)
{
    if (!password_needs_rehash(stored))
        return;
    char pw[crypto_pwhash_STRBYTES], now[32];
    struct err e = ERR_INIT;
    if (password_hash(password, pw, sizeof pw, &e) < 0)
        return;
    acct_now(now);
    struct store_conn *w = store_write_enter(ac->store, &e);
    if (w) {
        int rc = store_execf(w, "UPDATE users SET password_hash = $2 WHERE id = $1", &e, "tt",
                             user_id, pw);
        store_write_leave(w, rc, NULL, NULL, &e);
    }
    sodium_memzero(pw, sizeof pw);
}

int session_login(struct accounts *ac, const char *email, const char *password,
                  const char *ip, const char *old_cookie, char **cookie, json_t **me,
                  int64_t *retry_after_s, struct err *e)
{
    *cookie = NULL;
    *me = NULL;
    *retry_after_s = 0;
    if (!email || !password || strlen(email) > 254 || strlen(password) > PASSWORD_MAX_BYTES) {
        fail_credentials(e);
        return -1;
    }
    char key[256];
    acct_email_norm(email, key, sizeof key);
    int64_t now = time_now_ms();
    int64_t wait = locked_for(ac, key, ip, now);
    if (wait > 0) {
        *retry_after_s = (wait + 999) / 1000;
        err_set(e, 429, "locked", "",
                "too many failed sign-ins: try again in %lld s", (long long)*retry_after_s);
        return -1;
    }
    /* all addresses together: a flood from many addresses, each below its
     * own lockout, is cut off before it costs any hashing */
    unsigned burst = ac->cfg.logins_per_minute / 6 ? ac->cfg.logins_per_minute / 6 : 1;
    wait = throttle_rate(ac->ips, GLOBAL_KEY, burst, 10 * 1000, now);
    if (wait > 0) {
        *retry_after_s = (wait + 999) / 1000;
        err_set(e, 503, "busy", "", "too many sign-ins on the portal: try again in %lld s",
                (long long)*retry_after_s);
        return -1;
    }
    json_t *user = NULL;
    char stored[256] = "";
    int found = user_load_for_login(ac, key, &user, stored, sizeof stored, e);
    if (found < 0)
        return -1;
    /* the same work whether or not the user exists (no enumeration) */
    bool ok = password_verify(password, found && stored[0] ? stored : NULL);
    const char *status = user ? json_string_value(json_object_get(user, "status")) : NULL;
    if (!ok || !status || strcmp(status, "active") != 0) {
        throttle_fail(ac->logins, &EMAIL_LOCKOUT, key, now);
        throttle_fail(ac->ips, &IP_LOCKOUT, ip, now);
        struct shared_fail sf = {key, ip, now};
        struct err ignored = ERR_INIT; /* counted here at least; the answer is the same */
        if (store_shared(ac->store) && acct_write(ac, shared_fail_fn, &sf, &ignored) < 0)
            log_msg(LOG_WARN, "sign-in: the failure could not be counted for every node: %s",
                    ignored.detail);
        json_decref(user);
        fail_credentials(e);
        return -1;
    }
    throttle_success(ac->logins, key);
    char old_hash[65];
    if (old_cookie)
        sha256_hex(old_cookie, strlen(old_cookie), old_hash);
    struct open_ctx x = {key, json_string_value(json_object_get(user, "id")),
                         old_cookie ? old_hash : NULL, "", ""};
    if (acct_write(ac, open_fn, &x, e) < 0) {
        json_decref(user);
        return -1;
    }
    rehash_if_needed(ac, x.user_id, password, stored);
    *cookie = xstrdup(x.secret);
    *me = json_pack("{s:o, s:s}", "user", user, "csrf_token", x.csrf);
    sodium_memzero(x.secret, sizeof x.secret);
    return 0;
}

static void touch_session(struct accounts *ac, const char *hash, const char *now)
{
    struct err e = ERR_INIT;
    /* best effort: a busy database must not fail the request */
    struct store_conn *w = store_write_enter(ac->store, &e);
    if (!w)
        return;
    int rc = store_execf(w, "UPDATE sessions SET seen_at = $2 WHERE hash = $1", &e, "tt", hash, now);
    store_write_leave(w, rc, NULL, NULL, &e);
}

static void unauthorized(struct err *e)
{
    err_set(e, 401, "unauthorized", "", "the session has ended: sign in again");
}

int session_resolve(struct accounts *ac, const char *cookie, struct actor *out, char csrf[64],
                    struct err *e)
{
    if (!cookie || strlen(cookie) != 43) {
        unauthorized(e);
        return -1;
    }
    char hash[65], user_id[40] = "", seen[32] = "", expires[32] = "";
    sha256_hex(cookie, strlen(cookie), hash);
    struct store_conn *c = store_conn(ac->store);
    struct store_stmt *st = store_prepare(
        c, "SELECT user_id, csrf, seen_at, expires_at FROM sessions WHERE hash = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, hash);
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(user_id, sizeof user_id, "%s", store_col_text(st, 0));
        snprintf(csrf, 64, "%s", store_col_text(st, 1));
        snprintf(seen, sizeof seen, "%s", store_col_text(st, 2));
        snprintf(expires, sizeof expires, "%s", store_col_text(st, 3));
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    int64_t now = time_now_ms(), seen_ms = 0;
    char now_s[32];
    time_format_rfc3339(now, now_s, sizeof now_s);
    if (rc != STORE_ROW || strcmp(expires, now_s) <= 0 || time_parse_rfc3339(seen, &seen_ms) < 0 ||
        now - seen_ms > ac->cfg.session_idle_ms) {
        unauthorized(e);
        return -1;
    }
    json_t *user = NULL;
    int found = user_load_by_id(ac, c, user_id, &user, e);
    if (found < 0)
        return -1;
    const char *status = user ? json_string_value(json_object_get(user, "status")) : NULL;
    if (!status || strcmp(status, "active") != 0) {
        json_decref(user);
        unauthorized(e);
        return -1;
    }
    acct_actor_of_user(ac, user, out);
    json_decref(user);
    if (now - seen_ms > SESSION_TOUCH_MS && !store_in_tx(c))
        touch_session(ac, hash, now_s);
    return 0;
}

struct logout_ctx {
    const char *hash;
    bool everywhere;
};

static int logout_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct logout_ctx *x = vctx;
    if (x->everywhere)
        return store_execf(c,
                           "DELETE FROM sessions WHERE user_id = "
                           "(SELECT user_id FROM sessions WHERE hash = $1)",
                           e, "t", x->hash);
    return store_execf(c, "DELETE FROM sessions WHERE hash = $1", e, "t", x->hash);
}

int session_logout(struct accounts *ac, const char *cookie, bool everywhere, struct err *e)
{
    if (!cookie) {
        unauthorized(e);
        return -1;
    }
    char hash[65];
    sha256_hex(cookie, strlen(cookie), hash);
    struct logout_ctx x = {hash, everywhere};
    return acct_write(ac, logout_fn, &x, e);
}

int session_me(struct accounts *ac, const struct actor *a, json_t **out, struct err *e)
{
    if (!a->user[0]) {
        err_set(e, 401, "unauthorized", "", "not signed in");
        return -1;
    }
    json_t *user = NULL;
    int found = user_load_by_id(ac, store_conn(ac->store), a->user, &user, e);
    if (found <= 0) {
        if (found == 0)
            err_set(e, 401, "unauthorized", "", "not signed in");
        return -1;
    }
    /* what the user may do, for clients that adapt their screens */
    json_t *may = json_array();
    for (int act = 0; act < RA_N; act++) {
        bool any = false;
        if (rights_action_is_system((enum rights_action)act)) {
            struct err ignore = ERR_INIT;
            if (authz_system(ac->rights, a, (enum rights_action)act, &any, &ignore) == 0)
                json_array_append_new(may, json_pack("{s:s, s:s}", "action",
                                                     rights_action_id((enum rights_action)act),
                                                     "scope", any ? "any" : "own"));
        }
    }
    *out = json_pack("{s:o, s:o, s:b}", "user", user, "may", may, "read_only", a->read_only);
    return 0;
}
