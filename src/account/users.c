/* account/users: users and one-time links. */
#include "account/internal.h"

#include "auth/password.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PERSON_MAX 200

void accounts_config_defaults(struct accounts_config *c)
{
    c->session_idle_ms = 30 * 60 * 1000LL;
    c->session_absolute_ms = 12 * 3600 * 1000LL;
    c->activation_ttl_ms = 72 * 3600 * 1000LL;
    c->reset_ttl_ms = 3600 * 1000LL;
    c->public_url = "http://127.0.0.1:8080";
    c->applications_per_hour = 5;
    c->logins_per_minute = 300;
}

struct accounts *accounts_new(struct registry *reg, struct calsvc *cal,
                              const struct accounts_config *cfg)
{
    struct accounts *ac = xcalloc(1, sizeof *ac);
    ac->reg = reg;
    ac->store = registry_store(reg);
    ac->model = registry_model(reg);
    ac->rights = registry_rights(reg);
    ac->cal = cal;
    ac->cfg = *cfg;
    ac->logins = throttle_new(100000);
    ac->ips = throttle_new(100000);
    ac->applications = throttle_new(100000);
    acct_dump_register(ac);
    return ac;
}

void accounts_free(struct accounts *ac)
{
    if (!ac)
        return;
    throttle_free(ac->logins);
    throttle_free(ac->ips);
    throttle_free(ac->applications);
    free(ac);
}

const struct rights *accounts_rights(const struct accounts *ac)
{
    return ac->rights;
}

/* ---- shared helpers ---------------------------------------------------------- */

void acct_now(char out[32])
{
    time_format_rfc3339(time_now_ms(), out, 32);
}

int acct_write(struct accounts *ac, acct_write_fn fn, void *ctx, struct err *e)
{
    struct store_conn *c = store_conn(ac->store);
    if (store_in_tx(c))
        return fn(ac, c, ctx, e);
    struct store_conn *w = registry_write_enter(ac->reg, e);
    if (!w)
        return -1;
    int rc = fn(ac, w, ctx, e);
    return registry_write_leave(ac->reg, w, rc, e);
}

void acct_secret(char secret[48], char hash[65])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    struct arena *a = arena_new();
    snprintf(secret, 48, "%s", b64url_encode(a, raw, sizeof raw));
    arena_free(a);
    sodium_memzero(raw, sizeof raw);
    sha256_hex(secret, strlen(secret), hash);
}

int acct_audit(struct store_conn *c, const char *now, const struct actor *by, const char *action,
               const char *collection, const char *id, const json_t *before,
               const json_t *after, struct err *e)
{
    char *b = before ? json_dumps(before, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc = audit_append(c, now, by, action, collection, id, 0, b, a, e);
    free(b);
    free(a);
    return rc;
}

/* ---- users ------------------------------------------------------------------- */

int acct_roles_grantable(struct accounts *ac, const struct actor *by, uint32_t roles,
                         struct err *e)
{
    for (size_t i = 0; i < rights_n_roles(ac->rights); i++) {
        enum rights_action with = rights_role_granted_with(ac->rights, i);
        if ((roles & (1u << i)) && !authz_may_everywhere(ac->rights, by, with)) {
            err_set(e, 403, "forbidden", "roles",
                    "the role '%s' is given only by those who hold '%s' (an administrator)",
                    rights_role_id(ac->rights, i), rights_action_id(with));
            return -1;
        }
    }
    return 0;
}

static const char *const USER_COLS =
    "id, email, org, roles, last_name, first_name, patronymic, position, phone, "
    "structural_unit, status, created_at, updated_at, lang";

static json_t *roles_array(const char *roles)
{
    json_t *a = json_array();
    const char *p = roles;
    while (p && *p) {
        size_t n = strcspn(p, " ");
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n;
        while (*p == ' ')
            p++;
    }
    return a;
}

/* The user row at the statement's current position (USER_COLS order). */
static json_t *user_row(struct store_stmt *st)
{
    static const char *const names[] = {
        "id",         "email",      "org",        "roles", "last_name",
        "first_name", "patronymic", "position",   "phone", "structural_unit",
        "status",     "created_at", "updated_at", "lang"};
    json_t *o = json_object();
    for (int i = 0; i < 14; i++) {
        const char *v = store_col_text(st, i);
        if (i == 3)
            json_object_set_new(o, "roles", roles_array(v));
        else if (v)
            json_object_set_new(o, names[i], json_string(v));
    }
    return o;
}

static int load_user(struct store_conn *c, const char *where, const char *key, json_t **out,
                     char *pw_hash, size_t pw_n, struct err *e)
{
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT %s, password_hash FROM users WHERE %s = $1", USER_COLS,
             where);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, key);
    int rc = store_step(st, e);
    *out = NULL;
    if (rc == STORE_ROW) {
        *out = user_row(st);
        if (pw_hash) {
            const char *h = store_col_text(st, 14);
            snprintf(pw_hash, pw_n, "%s", h ? h : "");
        }
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : rc == STORE_ROW ? 1 : 0;
}

void acct_email_norm(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
    out[i] = '\0';
}

static int person_text(const json_t *in, const char *key, bool required, const char **out,
                       struct err *e)
{
    const json_t *v = json_object_get(in, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            err_set(e, 422, "required", key, "'%s' is required", key);
            return -1;
        }
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s) {
        err_set(e, 422, "wrong-type", key, "'%s' must be a string", key);
        return -1;
    }
    size_t n = strlen(s);
    if (n > PERSON_MAX || !text_controls_ok(s, n, false) || (required && !s[strspn(s, " ")])) {
        err_set(e, 422, "validation-failed", key,
                "'%s' must be one line of 1..%d bytes of UTF-8 without control characters",
                key, PERSON_MAX);
        return -1;
    }
    *out = n ? s : NULL;
    return 0;
}

/* Checks that org is a live organisation. */
static int check_org(struct accounts *ac, struct store_conn *c, const char *org, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT 1 FROM records WHERE id = $1 AND kind = 'organization' AND retired = 0",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, org);
    int rc = store_step(st, e);
    store_reset(st);
    if (rc == STORE_DONE)
        err_set(e, 422, "dangling-reference", "org", "no organization '%.60s'", org);
    return rc == STORE_ROW ? 0 : -1;
}

static int parse_roles(struct accounts *ac, const json_t *v, uint32_t *roles, struct err *e)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > RIGHTS_MAX_ROLES) {
        err_set(e, 422, "validation-failed", "roles", "'roles' must be a non-empty array of role ids");
        return -1;
    }
    *roles = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *id = json_string_value(json_array_get(v, i));
        int ri = id ? rights_role_index(ac->rights, id) : -1;
        if (ri < 0) {
            char f[32];
            snprintf(f, sizeof f, "roles[%zu]", i);
            err_set(e, 422, "bad-enum", f, "unknown role '%.40s'", id ? id : "");
            return -1;
        }
        *roles |= 1u << ri;
    }
    return 0;
}

struct user_fields {
    char email[256];
    const char *org, *last, *first, *patronymic, *position, *phone, *unit;
    const char *lang; /* the language of their messages, or NULL */
    uint32_t roles;
};

static int user_fields(struct accounts *ac, struct store_conn *c, const json_t *in, bool system,
                       struct user_fields *u, struct err *e)
{
    static const char *const keys[] = {"email",           "org",        "roles",    "last_name",
                                       "first_name",      "patronymic", "position", "phone",
                                       "structural_unit", "lang",       NULL};
    if (!json_is_object(in)) {
        err_set(e, 422, "wrong-type", "", "a user must be a JSON object");
        return -1;
    }
    if (jsonx_known_keys(in, keys, "'%.60s' is not a field of a user", e) < 0)
        return -1;
    const char *email = json_string_value(json_object_get(in, "email"));
    if (!model_email_valid(email)) {
        err_set(e, 422, "bad-format", "email", "'email' must be an e-mail address");
        return -1;
    }
    acct_email_norm(email, u->email, sizeof u->email);
    u->org = json_string_value(json_object_get(in, "org"));
    /* only the command line makes users of no organisation (the first
     * administrator of an empty portal) */
    if (!u->org && system) {
        u->org = "";
    } else if (!u->org || !text_id_valid(u->org)) {
        err_set(e, 422, "required", "org", "'org' must be an organization id");
        return -1;
    } else if (check_org(ac, c, u->org, e) < 0) {
        return -1;
    }
    if (parse_roles(ac, json_object_get(in, "roles"), &u->roles, e) < 0)
        return -1;
    const json_t *lang = json_object_get(in, "lang");
    enum lang l;
    u->lang = NULL;
    if (lang && !json_is_null(lang) && !i18n_parse(json_string_value(lang), &l)) {
        err_set(e, 422, "bad-enum", "lang", "'lang' is kk, ru or en");
        return -1;
    }
    if (lang && !json_is_null(lang))
        u->lang = json_string_value(lang);
    return person_text(in, "last_name", true, &u->last, e) ||
                   person_text(in, "first_name", true, &u->first, e) ||
                   person_text(in, "patronymic", false, &u->patronymic, e) ||
                   person_text(in, "position", false, &u->position, e) ||
                   person_text(in, "phone", false, &u->phone, e) ||
                   person_text(in, "structural_unit", false, &u->unit, e)
               ? -1
               : 0;
}

int user_create_in_tx(struct accounts *ac, struct store_conn *c, const struct actor *by,
                      const json_t *in, const char *password, json_t **out, struct err *e)
{
    struct user_fields u;
    *out = NULL;
    if (user_fields(ac, c, in, by->system, &u, e) < 0)
        return -1;
    if (acct_roles_grantable(ac, by, u.roles, e) < 0)
        return -1;
    char hash[crypto_pwhash_STRBYTES] = "";
    if (password && (password_policy_check(password, u.email, e) < 0 ||
                     password_hash(password, hash, sizeof hash, e) < 0))
        return -1;
    char id[37], now[32], roles[400];
    text_uuid7(id);
    acct_now(now);
    rights_roles_format(ac->rights, u.roles, roles, sizeof roles);
    int rc = store_execf(
        c,
        "INSERT INTO users(id, email, org, roles, last_name, first_name, patronymic, position, "
        "phone, structural_unit, password_hash, status, created_at, updated_at, lang) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)",
        e, "tttttttttttttt", id, u.email, u.org, roles, u.last, u.first, u.patronymic, u.position,
        u.phone, u.unit, password ? hash : NULL, password ? "active" : "invited", now, u.lang);
    sodium_memzero(hash, sizeof hash);
    if (rc < 0) {
        if (e->status == 409)
            err_set(e, 409, "conflict", "email", "a user with this e-mail already exists");
        return -1;
    }
    if (load_user(c, "id", id, out, NULL, 0, e) != 1)
        return -1;
    rc = acct_audit(c, now, by, "user-create", "users", id, NULL, *out, e);
    if (rc == 0 && !password) {
        /* outbox only: an inbox is no use to someone who cannot sign in
         * yet; the link is minted as the message is sent */
        enum lang l = (enum lang)accounts_lang(u.lang);
        struct buf b;
        buf_init(&b, 0);
        buf_printf(&b, "%s\n" ACCT_LINK_MARK "\n",
                   i18n_tr(l, TR("Your account on the architectural portal is open. Set your "
                                 "password:")));
        struct acct_msg m = {.user_id = id,
                             .to = u.email,
                             .tmpl = "activate",
                             .subject = i18n_tr(l, TR("Account activation")),
                             .body = b.p,
                             .link = "activate"};
        rc = accounts_message(c, now, &m, e);
        buf_free(&b);
    }
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

struct create_ctx {
    const struct actor *by;
    const json_t *in;
    const char *password;
    json_t **out;
};

static int create_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct create_ctx *x = vctx;
    return user_create_in_tx(ac, c, x->by, x->in, x->password, x->out, e);
}

int user_create(struct accounts *ac, const struct actor *by, const json_t *in,
                const char *password, json_t **out, struct err *e)
{
    if (authz_check_everywhere(ac->rights, by, RA_USERS, e) < 0)
        return -1;
    struct create_ctx x = {by, in, password, out};
    int rc = acct_write(ac, create_fn, &x, e);
    if (rc < 0 && *out) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* May `by` see user u? Users managers see all; everyone sees themselves. */
static bool may_see_user(struct accounts *ac, const struct actor *by, const json_t *u)
{
    const char *id = json_string_value(json_object_get(u, "id"));
    return (id && strcmp(by->user, id) == 0) ||
           authz_may_everywhere(ac->rights, by, RA_USERS);
}

int user_get(struct accounts *ac, const struct actor *by, const char *id, json_t **out,
             struct err *e)
{
    int found = load_user(store_conn(ac->store), "id", id, out, NULL, 0, e);
    if (found < 0)
        return -1;
    if (found == 0 || !may_see_user(ac, by, *out)) {
        json_decref(*out);
        *out = NULL;
        err_not_found(e, "no user '%.60s'", id);
        return -1;
    }
    return 0;
}

int user_list(struct accounts *ac, const struct actor *by, const char *org, json_t **out,
              struct err *e)
{
    if (authz_check_everywhere(ac->rights, by, RA_USERS, e) < 0)
        return -1;
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT %s FROM users WHERE $1 IS NULL OR org = $1 ORDER BY email",
             USER_COLS);
    struct store_stmt *st = store_prepare(store_conn(ac->store), sql, true, e);
    if (!st)
        return -1;
    if (org)
        store_bind_text(st, 1, org);
    else
        store_bind_null(st, 1);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(items, user_row(st));
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

struct update_ctx {
    const struct actor *by;
    const char *id;
    const json_t *patch;
    json_t **out;
};

static int update_person(struct store_conn *c, const char *id, const json_t *patch,
                         const char *now, struct err *e)
{
    static const char *const keys[] = {"last_name", "first_name", "patronymic", "position",
                                       "phone", "structural_unit", NULL};
    for (size_t i = 0; keys[i]; i++) {
        if (!json_object_get(patch, keys[i]))
            continue;
        const char *v;
        if (person_text(patch, keys[i], i < 2, &v, e) < 0)
            return -1;
        char sql[120];
        snprintf(sql, sizeof sql, "UPDATE users SET %s = $2, updated_at = $3 WHERE id = $1",
                 keys[i]);
        if (store_execf(c, sql, e, "ttt", id, v, now) < 0)
            return -1;
    }
    return 0;
}

static int update_rights(struct accounts *ac, struct store_conn *c, const struct update_ctx *x,
                         const char *now, bool *changed, struct err *e)
{
    const json_t *roles = json_object_get(x->patch, "roles");
    const char *org = json_string_value(json_object_get(x->patch, "org"));
    const char *status = json_string_value(json_object_get(x->patch, "status"));
    if ((json_object_get(x->patch, "org") && !org) ||
        (json_object_get(x->patch, "status") && !status)) {
        err_set(e, 422, "wrong-type", "", "'org' and 'status' must be strings");
        return -1;
    }
    if (roles) {
        uint32_t set;
        char list[400];
        if (parse_roles(ac, roles, &set, e) < 0 || acct_roles_grantable(ac, x->by, set, e) < 0)
            return -1;
        rights_roles_format(ac->rights, set, list, sizeof list);
        if (store_execf(c, "UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1", e,
                        "ttt", x->id, list, now) < 0)
            return -1;
    }
    if (org && (check_org(ac, c, org, e) < 0 ||
                store_execf(c, "UPDATE users SET org = $2, updated_at = $3 WHERE id = $1", e,
                            "ttt", x->id, org, now) < 0))
        return -1;
    if (status && strcmp(status, "active") && strcmp(status, "disabled")) {
        err_set(e, 422, "bad-enum", "status", "'status' is \"active\" or \"disabled\"");
        return -1;
    }
    if (status && store_execf(c,
                              "UPDATE users SET status = CASE WHEN $2 = 'active' AND "
                              "password_hash IS NULL THEN 'invited' ELSE $2 END, "
                              "updated_at = $3 WHERE id = $1",
                              e, "ttt", x->id, status, now) < 0)
        return -1;
    *changed = roles || org || status;
    return 0;
}

static int update_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct update_ctx *x = vctx;
    json_t *before = NULL;
    int found = load_user(c, "id", x->id, &before, NULL, 0, e);
    if (found <= 0) {
        if (found == 0)
            err_not_found(e, "no user '%.60s'", x->id);
        return -1;
    }
    char now[32];
    acct_now(now);
    bool rights_changed = false;
    int rc = update_person(c, x->id, x->patch, now, e);
    if (rc == 0)
        rc = update_rights(ac, c, x, now, &rights_changed, e);
    /* a change of rights ends the user's sessions: they sign in again */
    if (rc == 0 && rights_changed)
        rc = store_execf(c, "DELETE FROM sessions WHERE user_id = $1", e, "t", x->id);
    if (rc == 0 && load_user(c, "id", x->id, x->out, NULL, 0, e) != 1)
        rc = -1;
    if (rc == 0)
        rc = acct_audit(c, now, x->by, rights_changed ? "user-rights" : "user-update", "users",
                        x->id, before, *x->out, e);
    json_decref(before);
    return rc;
}

int user_update(struct accounts *ac, const struct actor *by, const char *id, const json_t *patch,
                json_t **out, struct err *e)
{
    *out = NULL;
    if (!json_is_object(patch)) {
        err_set(e, 422, "wrong-type", "", "the patch must be a JSON object");
        return -1;
    }
    static const char *const keys[] = {"roles",    "org",   "status",          "last_name",
                                       "first_name", "patronymic", "position", "phone",
                                       "structural_unit", NULL};
    if (jsonx_known_keys(patch, keys, "'%.60s' cannot be changed here", e) < 0)
        return -1;
    bool touches_rights = json_object_get(patch, "roles") || json_object_get(patch, "org") ||
                          json_object_get(patch, "status");
    bool self = by->user[0] && strcmp(by->user, id) == 0;
    if (touches_rights && self && !by->system) {
        err_set(e, 403, "forbidden", "", "nobody changes their own roles, organization or status");
        return -1;
    }
    if ((touches_rights || !self) &&
        authz_check_everywhere(ac->rights, by, RA_USERS, e) < 0)
        return -1;
    struct update_ctx x = {by, id, patch, out};
    int rc = acct_write(ac, update_fn, &x, e);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- one-time links ------------------------------------------------------------ */

struct link_ctx {
    const char *secret, *password;
    char pw_hash[crypto_pwhash_STRBYTES]; /* the new password's, made outside any write */
    char user_id[40], purpose[16];        /* the link's */
};

/* The link may set a password now (known, unused, unexpired, its account
 * not disabled) and the password passes the policy: 0, or -1 with e. */
static int link_check(struct store_conn *c, struct link_ctx *x, const char *now, struct err *e)
{
    char hash[65], expires[32] = "";
    bool used = false;
    sha256_hex(x->secret, strlen(x->secret), hash);
    struct store_stmt *st = store_prepare(
        c, "SELECT user_id, expires_at, used_at IS NOT NULL, purpose FROM links WHERE hash = $1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, hash);
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(x->user_id, sizeof x->user_id, "%s", store_col_text(st, 0));
        snprintf(expires, sizeof expires, "%s", store_col_text(st, 1));
        used = store_col_int64(st, 2) != 0;
        snprintf(x->purpose, sizeof x->purpose, "%s", store_col_text(st, 3));
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_DONE) {
        err_set(e, 404, "not-found", "token", "this link is not known");
        return -1;
    }
    if (used) {
        err_set(e, 410, "link-used", "token", "this link has already been used");
        return -1;
    }
    if (strcmp(expires, now) <= 0) {
        err_set(e, 410, "link-expired", "token", "this link has expired; ask for a new one");
        return -1;
    }
    json_t *user = NULL;
    if (load_user(c, "id", x->user_id, &user, NULL, 0, e) != 1)
        return -1;
    const char *email = json_string_value(json_object_get(user, "email"));
    const char *status = json_string_value(json_object_get(user, "status"));
    rc = strcmp(status, "disabled") == 0 ? -1 : 0;
    if (rc < 0)
        err_set(e, 403, "forbidden", "token", "this account is disabled");
    if (rc == 0)
        rc = password_policy_check(x->password, email, e);
    json_decref(user);
    return rc;
}

/* Checks the link again (it may have been used meanwhile) and stores the
 * hash made before the write began. */
static int link_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct link_ctx *x = vctx;
    char now[32];
    acct_now(now);
    int rc = link_check(c, x, now, e);
    const char *user_id = x->user_id;
    if (rc == 0)
        rc = store_execf(c,
                         "UPDATE users SET password_hash = $2, status = 'active', "
                         "updated_at = $3 WHERE id = $1",
                         e, "ttt", user_id, x->pw_hash, now);
    /* every link of the user is spent; every session ends and every API
     * token is revoked (whoever knew the old password may have made one) */
    if (rc == 0)
        rc = store_execf(c, "UPDATE links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
                         e, "tt", user_id, now);
    if (rc == 0)
        rc = store_execf(c, "DELETE FROM sessions WHERE user_id = $1", e, "t", user_id);
    if (rc == 0)
        rc = store_execf(c,
                         "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                         e, "tt", user_id, now);
    if (rc == 0) {
        struct actor self = {.system = false};
        snprintf(self.id, sizeof self.id, "user:%s", user_id);
        json_t *after = json_pack("{s:s}", "purpose", x->purpose);
        rc = acct_audit(c, now, &self, "user-password", "users", user_id, NULL, after, e);
        json_decref(after);
    }
    return rc;
}

int link_use(struct accounts *ac, const char *secret, const char *password, struct err *e)
{
    if (!secret || strlen(secret) != 43) {
        err_set(e, 404, "not-found", "token", "this link is not known");
        return -1;
    }
    if (!password) {
        err_set(e, 422, "required", "password", "'password' is required");
        return -1;
    }
    struct link_ctx x = {.secret = secret, .password = password};
    char now[32];
    acct_now(now);
    /* Argon2id before the write, not inside it: the write lock is never
     * held for a hash (and a bad link costs no hashing) */
    int rc = link_check(store_conn(ac->store), &x, now, e);
    if (rc == 0)
        rc = password_hash(password, x.pw_hash, sizeof x.pw_hash, e);
    if (rc == 0)
        rc = acct_write(ac, link_fn, &x, e);
    sodium_memzero(x.pw_hash, sizeof x.pw_hash);
    return rc;
}

struct reset_ctx {
    const char *email;
};

/* The same work whether or not the address has an account (a request's
 * answer and its time tell nothing): one message, whose sender mints the
 * link for the active user of that address, or sends nothing. */
static int reset_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct reset_ctx *x = vctx;
    char now[32];
    acct_now(now);
    /* in the language of the address's user, if there is one (otherwise
     * nothing is sent) */
    struct store_stmt *st = store_prepare(c, "SELECT lang FROM users WHERE email = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, x->email);
    int found = store_step(st, e);
    enum lang l = (enum lang)accounts_lang(found == STORE_ROW ? store_col_text(st, 0) : NULL);
    store_reset(st);
    if (found == STORE_ERROR)
        return -1;
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s\n" ACCT_LINK_MARK "\n%s\n", i18n_tr(l, TR("Password reset:")),
               i18n_tr(l, TR("A new password ends every session and revokes every API token.")));
    /* outbox only: the link must not outlive its use in an inbox */
    struct acct_msg m = {.to = x->email,
                         .tmpl = "reset",
                         .subject = i18n_tr(l, TR("Password reset")),
                         .body = b.p,
                         .link = "reset"};
    int rc = accounts_message(c, now, &m, e);
    buf_free(&b);
    return rc;
}

int password_reset_request(struct accounts *ac, const char *email, const char *ip, struct err *e)
{
    if (!model_email_valid(email)) {
        err_set(e, 422, "bad-format", "email", "'email' must be an e-mail address");
        return -1;
    }
    int64_t now = time_now_ms();
    if (throttle_rate(ac->applications, ip, ac->cfg.applications_per_hour, 3600 * 1000LL, now) >
        0) {
        err_set(e, 429, "too-many-requests", "", "too many requests from this address");
        return -1;
    }
    char norm[256];
    acct_email_norm(email, norm, sizeof norm);
    struct reset_ctx x = {norm};
    return acct_write(ac, reset_fn, &x, e);
}

/* ---- sign-in -------------------------------------------------------------------- */

int user_load_for_login(struct accounts *ac, const char *email, json_t **user, char *pw,
                        size_t pw_n, struct err *e)
{
    char norm[256];
    acct_email_norm(email, norm, sizeof norm);
    return load_user(store_conn(ac->store), "email", norm, user, pw, pw_n, e);
}

int user_load_by_id(struct accounts *ac, struct store_conn *c, const char *id, json_t **user,
                    struct err *e)
{
    (void)ac;
    return load_user(c, "id", id, user, NULL, 0, e);
}
