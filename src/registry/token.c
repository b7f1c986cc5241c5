/* token: creation, storage (hashed) and authentication of API tokens. */
#include "token.h"

#include "util/arena.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX "apt_"
#define TOKEN_RAW 32
/* last_used_at is refreshed at most this often, to keep reads cheap. */
#define TOKEN_TOUCH_MS (5 * 60 * 1000)

static const char *const roles[] = {"admin",       "owner-editor",         "owner-viewer",
                                    "integrator-verifier", "integrator-architect", "approver",
                                    "operator",    NULL};

bool token_role_valid(const char *role)
{
    for (size_t i = 0; roles[i]; i++)
        if (strcmp(roles[i], role) == 0)
            return true;
    return false;
}

static int insert_token(struct store_conn *c, const char *id, const char *name, const char *hash,
                        const char *role, const char *now, struct err *e)
{
    return store_exec(c,
                      "INSERT INTO tokens(id, name, hash, role, created_at) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      e, 5, id, name, hash, role, now);
}

int token_create(struct store *s, const struct actor *by, const char *name, const char *role,
                 char **plain, struct err *e)
{
    if (!name || !*name || strlen(name) > 200 || !utf8_valid(name, strlen(name))) {
        err_invalid(e, "name", "a token needs a name of 1..200 bytes of UTF-8");
        return -1;
    }
    if (!role || !token_role_valid(role)) {
        err_invalid(e, "role", "unknown role '%.40s'", role ? role : "");
        return -1;
    }
    unsigned char raw[TOKEN_RAW];
    randombytes_buf(raw, sizeof raw);
    struct arena *a = arena_new();
    char *secret = arena_printf(a, TOKEN_PREFIX "%s", b64url_encode(a, raw, sizeof raw));
    char hash[65], id[37], now[32];
    sha256_hex(secret, strlen(secret), hash);
    text_uuid7(id);
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    json_t *after = json_pack("{s:s, s:s, s:s}", "id", id, "name", name, "role", role);
    char *after_s = json_dumps(after, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(after);
    struct store_conn *c = store_begin_write(s, e);
    int rc = c ? 0 : -1;
    if (rc == 0)
        rc = insert_token(c, id, name, hash, role, now, e);
    if (rc == 0)
        rc = audit_append(c, now, by, "token-create", "tokens", id, 0, NULL, after_s, e);
    if (rc == 0)
        rc = store_commit(c, e);
    else if (c)
        store_rollback(c);
    free(after_s);
    if (rc == 0)
        *plain = xstrdup(secret);
    sodium_memzero(raw, sizeof raw);
    arena_free(a);
    return rc;
}

static void touch_token(struct store *s, const char *id, const char *last_used)
{
    int64_t last = 0;
    int64_t now = time_now_ms();
    if (last_used && time_parse_rfc3339(last_used, &last) == 0 && now - last < TOKEN_TOUCH_MS)
        return;
    char ts[32];
    time_format_rfc3339(now, ts, sizeof ts);
    struct err e = ERR_INIT;
    /* Best effort: a busy database must not fail the request. */
    struct store_conn *w = store_begin_write(s, &e);
    if (!w)
        return;
    if (store_exec(w, "UPDATE tokens SET last_used_at = $2 WHERE id = $1", &e, 2, id, ts) == 0)
        store_commit(w, &e);
    else
        store_rollback(w);
}

int token_authenticate(struct store *s, const char *plain, struct actor *out, struct err *e)
{
    size_t n = plain ? strlen(plain) : 0;
    if (n < sizeof TOKEN_PREFIX || n > 100 || strncmp(plain, TOKEN_PREFIX, 4) != 0) {
        err_set(e, 401, "unauthorized", "Authorization", "the token is not valid");
        return -1;
    }
    char hash[65];
    sha256_hex(plain, n, hash);
    struct store_conn *c = store_conn(s);
    struct store_stmt *st = store_prepare(
        c, "SELECT id, role, last_used_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, hash);
    int rc = store_step(st, e);
    char id[40] = "", last[40] = "";
    if (rc == STORE_ROW) {
        snprintf(id, sizeof id, "%s", store_col_text(st, 0));
        snprintf(out->id, sizeof out->id, "token:%s", id);
        snprintf(out->role, sizeof out->role, "%s", store_col_text(st, 1));
        out->org[0] = '\0';
        const char *lu = store_col_text(st, 2);
        snprintf(last, sizeof last, "%s", lu ? lu : "");
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_ROW) {
        err_set(e, 401, "unauthorized", "Authorization", "the token is not valid");
        return -1;
    }
    if (!store_in_tx(c))
        touch_token(s, id, last[0] ? last : NULL);
    return 0;
}
