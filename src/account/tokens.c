/* account/tokens: personal API tokens — named, scoped, hashed at rest,
 * revocable, with their last-used time. */
#include "account/internal.h"

#include "util/arena.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX "apt_"
/* last_used_at is refreshed at most this often, to keep reads cheap. */
#define TOKEN_TOUCH_MS (5 * 60 * 1000)

/* May `by` manage the tokens of user_id? */
static int may_manage(struct accounts *ac, const struct actor *by, const char *user_id,
                      struct err *e)
{
    if (by->user[0] && strcmp(by->user, user_id) == 0 && !by->read_only)
        return 0;
    return authz_check_everywhere(ac->rights, by, RA_USERS, e);
}

static int parse_scopes(const json_t *scopes, char *out, size_t n, struct err *e)
{
    bool read = false, write = false;
    if (!scopes) {
        read = write = true;
    } else if (!json_is_array(scopes) || json_array_size(scopes) == 0) {
        err_set(e, 422, "validation-failed", "scopes", "'scopes' is a non-empty array of \"read\", \"write\"");
        return -1;
    }
    for (size_t i = 0; scopes && i < json_array_size(scopes); i++) {
        const char *s = json_string_value(json_array_get(scopes, i));
        if (s && strcmp(s, "read") == 0)
            read = true;
        else if (s && strcmp(s, "write") == 0)
            write = read = true;
        else {
            err_set(e, 422, "bad-enum", "scopes", "a scope is \"read\" or \"write\"");
            return -1;
        }
    }
    snprintf(out, n, "%s", write ? "read write" : read ? "read" : "");
    return 0;
}

/* The stored scopes ("read" or "read write") as a JSON array. */
static json_t *scopes_json(const char *stored)
{
    return strstr(stored, "write") ? json_pack("[s, s]", "read", "write") : json_pack("[s]", "read");
}

struct create_ctx {
    const struct actor *by;
    const char *user_id, *name, *scopes;
    char secret[64], id[37];
};

static int create_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct create_ctx *x = vctx;
    json_t *user = NULL;
    int found = user_load_by_id(ac, c, x->user_id, &user, e);
    if (found <= 0) {
        if (found == 0)
            err_not_found(e, "no user '%.60s'", x->user_id);
        return -1;
    }
    json_decref(user);
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    struct arena *a = arena_new();
    snprintf(x->secret, sizeof x->secret, TOKEN_PREFIX "%s", b64url_encode(a, raw, sizeof raw));
    arena_free(a);
    sodium_memzero(raw, sizeof raw);
    char hash[65], now[32];
    sha256_hex(x->secret, strlen(x->secret), hash);
    text_uuid7(x->id);
    acct_now(now);
    int rc = store_execf(c,
                         "INSERT INTO tokens(id, name, hash, role, created_at, user_id, scopes) "
                         "VALUES ($1, $2, $3, '', $4, $5, $6)",
                         e, "tttttt", x->id, x->name, hash, now, x->user_id, x->scopes);
    if (rc == 0) {
        json_t *after = json_pack("{s:s, s:s, s:s, s:s}", "id", x->id, "name", x->name, "user_id",
                                  x->user_id, "scopes", x->scopes);
        rc = acct_audit(c, now, x->by, "token-create", "tokens", x->id, NULL, after, e);
        json_decref(after);
    }
    return rc;
}

int token_create(struct accounts *ac, const struct actor *by, const char *user_id,
                 const char *name, const json_t *scopes, char **plain, json_t **out,
                 struct err *e)
{
    *plain = NULL;
    *out = NULL;
    if (may_manage(ac, by, user_id, e) < 0)
        return -1;
    if (!name || !*name || strlen(name) > 200 || !text_controls_ok(name, strlen(name), false)) {
        err_invalid(e, "name", "a token needs a name: one line of 1..200 bytes of UTF-8");
        return -1;
    }
    char sc[16];
    if (parse_scopes(scopes, sc, sizeof sc, e) < 0)
        return -1;
    struct create_ctx x = {by, user_id, name, sc, "", ""};
    if (acct_write(ac, create_fn, &x, e) < 0)
        return -1;
    *plain = xstrdup(x.secret);
    sodium_memzero(x.secret, sizeof x.secret);
    *out = json_pack("{s:s, s:s, s:o}", "id", x.id, "name", name, "scopes", scopes_json(sc));
    return 0;
}

int token_list(struct accounts *ac, const struct actor *by, const char *user_id, json_t **out,
               struct err *e)
{
    if (may_manage(ac, by, user_id, e) < 0)
        return -1;
    struct store_stmt *st = store_prepare(
        store_conn(ac->store),
        "SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM tokens "
        "WHERE user_id = $1 ORDER BY created_at, id",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, user_id);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:o, s:s, s:s?, s:s?}", "id", store_col_text(st, 0),
                             "name", store_col_text(st, 1), "scopes",
                             scopes_json(store_col_text(st, 2)), "created_at",
                             store_col_text(st, 3), "last_used_at", store_col_text(st, 4),
                             "revoked_at", store_col_text(st, 5)));
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

struct revoke_ctx {
    const struct actor *by;
    const char *user_id, *token_id;
};

static int revoke_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct revoke_ctx *x = vctx;
    char now[32];
    acct_now(now);
    struct store_stmt *st = store_prepare(
        c,
        "UPDATE tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL "
        "RETURNING id",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, x->token_id);
    store_bind_text(st, 2, x->user_id);
    store_bind_text(st, 3, now);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        rc = store_step(st, e); /* runs the statement to its end */
    else if (rc == STORE_DONE) {
        err_not_found(e, "no live token '%.60s' of this user", x->token_id);
        rc = STORE_ERROR;
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    return acct_audit(c, now, x->by, "token-revoke", "tokens", x->token_id, NULL, NULL, e);
}

int token_revoke(struct accounts *ac, const struct actor *by, const char *user_id,
                 const char *token_id, struct err *e)
{
    if (may_manage(ac, by, user_id, e) < 0)
        return -1;
    struct revoke_ctx x = {by, user_id, token_id};
    return acct_write(ac, revoke_fn, &x, e);
}

static void touch_token(struct accounts *ac, const char *id, const char *last_used)
{
    int64_t last = 0, now = time_now_ms();
    if (last_used && time_parse_rfc3339(last_used, &last) == 0 && now - last < TOKEN_TOUCH_MS)
        return;
    char ts[32];
    time_format_rfc3339(now, ts, sizeof ts);
    struct err e = ERR_INIT;
    /* best effort: a busy database must not fail the request */
    struct store_conn *w = store_write_enter(ac->store, &e);
    if (!w)
        return;
    int rc = store_execf(w, "UPDATE tokens SET last_used_at = $2 WHERE id = $1", &e, "tt", id, ts);
    store_write_leave(w, rc, NULL, NULL, &e);
}

static void invalid(struct err *e)
{
    err_set(e, 401, "unauthorized", "Authorization", "the token is not valid");
}

int token_authenticate(struct accounts *ac, const char *plain, struct actor *out,
                       struct err *e)
{
    size_t n = plain ? strlen(plain) : 0;
    if (n != 47 || strncmp(plain, TOKEN_PREFIX, 4) != 0) {
        invalid(e);
        return -1;
    }
    char hash[65];
    sha256_hex(plain, n, hash);
    struct store_conn *c = store_conn(ac->store);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT id, user_id, scopes, last_used_at FROM tokens "
        "WHERE hash = $1 AND revoked_at IS NULL AND user_id IS NOT NULL",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, hash);
    int rc = store_step(st, e);
    char id[40] = "", user_id[40] = "", last[40] = "";
    bool write = false;
    if (rc == STORE_ROW) {
        snprintf(id, sizeof id, "%s", store_col_text(st, 0));
        snprintf(user_id, sizeof user_id, "%s", store_col_text(st, 1));
        write = strstr(store_col_text(st, 2), "write") != NULL;
        const char *lu = store_col_text(st, 3);
        snprintf(last, sizeof last, "%s", lu ? lu : "");
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    json_t *user = NULL;
    if (rc != STORE_ROW || user_load_by_id(ac, c, user_id, &user, e) != 1 ||
        strcmp(json_string_value(json_object_get(user, "status")), "active") != 0) {
        json_decref(user);
        invalid(e);
        return -1;
    }
    acct_actor_of_user(ac, user, out);
    json_decref(user);
    snprintf(out->id, sizeof out->id, "user:%s/token:%s", user_id, id);
    out->read_only = !write;
    if (!store_in_tx(c))
        touch_token(ac, id, last[0] ? last : NULL);
    return 0;
}

int user_id_by_email(struct accounts *ac, const char *email, char id[40], struct err *e)
{
    json_t *user = NULL;
    int found = user_load_for_login(ac, email, &user, NULL, 0, e);
    if (found == 1)
        snprintf(id, 40, "%s", json_string_value(json_object_get(user, "id")));
    json_decref(user);
    if (found == 0)
        err_not_found(e, "no user with the e-mail '%.100s'", email);
    return found == 1 ? 0 : -1;
}
