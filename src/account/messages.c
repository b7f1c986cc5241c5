/* account/messages: every message to a person is made here — into the
 * outbox (sent by e-mail by notify/) and, for users, into their inbox —
 * and read back: the outbox for administrators and its sender, the inbox
 * for its user. */
#include "account/internal.h"

#include "util/buf.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_MAX 998 /* RFC 5322's line limit; the encoded header folds */
#define INBOX_LIMIT_MAX 500
#define OUTBOX_LIST_MAX 500

int accounts_message(struct store_conn *c, const char *now, const struct acct_msg *m, struct err *e)
{
    if (!m->to || !m->tmpl || !m->subject || !m->body || (m->inbox && !m->user_id) ||
        (m->link && (m->inbox || !strstr(m->body, ACCT_LINK_MARK)))) {
        err_internal(e, "a message needs a recipient, a template, a subject and a body "
                        "(with the link's place when it has one, and then no inbox copy)");
        return -1;
    }
    char subject[SUBJECT_MAX];
    text_one_line(m->subject, subject, sizeof subject);
    if (store_execf(c,
                    "INSERT INTO outbox(created_at, recipient, user_id, template, subject, body, "
                    "next_attempt_at, link) VALUES ($1, $2, $3, $4, $5, $6, $1, $7)",
                    e, "ttttttt", now, m->to, m->user_id, m->tmpl, subject, m->body, m->link) < 0)
        return -1;
    if (!m->inbox)
        return 0;
    return store_execf(c,
                       "INSERT INTO inbox(user_id, created_at, template, subject, body, "
                       "subject_ref) VALUES ($1, $2, $3, $4, $5, $6)",
                       e, "tttttt", m->user_id, now, m->tmpl, subject, m->body, m->ref);
}

void acct_org_name(struct store_conn *c, const char *org, const char *lang, char *out, size_t n)
{
    snprintf(out, n, "%s", org ? org : "");
    json_t *rec = registry_load_json(c, org);
    const char *name = registry_name_in(rec, lang);
    if (name)
        snprintf(out, n, "«%s»", name);
    json_decref(rec);
}

int accounts_lang(const char *code)
{
    enum lang l;
    return i18n_parse(code, &l) ? (int)l : LANG_KK;
}

int accounts_notify(struct accounts *ac, struct store_conn *c, const char *org, const char *role,
                    const char *tmpl, const struct acct_texts *t, const char *ref, int *n,
                    struct err *e)
{
    if (n)
        *n = 0;
    int ri = role ? rights_role_index(ac->rights, role) : -1;
    if ((role && ri < 0) || (!org && !role)) {
        err_internal(e, "messages go to an organisation's users or a role's: '%s'",
                     role ? role : "(none)");
        return -1;
    }
    char now[32];
    acct_now(now);
    struct store_stmt *st = store_prepare(c,
                                          "SELECT id, email, roles, lang FROM users "
                                          "WHERE ($1 IS NULL OR org = $1) AND status = 'active' "
                                          "ORDER BY email",
                                          false, e);
    if (!st)
        return -1;
    if (org)
        store_bind_text(st, 1, org);
    else
        store_bind_null(st, 1);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        uint32_t roles = 0;
        if (role && (rights_roles_parse(ac->rights, store_col_text(st, 2), &roles) < 0 ||
                     !(roles & (1u << ri))))
            continue;
        /* the statement stays open: the inserts are into other tables */
        int l = accounts_lang(store_col_text(st, 3));
        struct acct_msg m = {.user_id = store_col_text(st, 0),
                             .to = store_col_text(st, 1),
                             .tmpl = tmpl,
                             .subject = t->subject[l],
                             .body = t->body[l],
                             .ref = ref,
                             .inbox = true};
        if (accounts_message(c, now, &m, e) < 0) {
            rc = STORE_ERROR;
            break;
        }
        if (n)
            (*n)++;
    }
    store_finalize(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static int set_lang_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    const char *const *x = vctx;
    return store_execf(c, "UPDATE users SET lang = $2 WHERE id = $1 AND lang IS NOT $2", e, "tt",
                       x[0], x[1]);
}

int user_set_lang(struct accounts *ac, const char *user_id, const char *lang, struct err *e)
{
    enum lang l;
    if (!user_id || !i18n_parse(lang, &l))
        return 0;
    const char *x[2] = {user_id, lang};
    return acct_write(ac, set_lang_fn, x, e);
}

/* ---- the outbox ------------------------------------------------------------------ */

int outbox_list(struct accounts *ac, const struct actor *by, json_t **out, struct err *e)
{
    if (!authz_may_everywhere(ac->rights, by, RA_USERS) &&
        authz_check_everywhere(ac->rights, by, RA_APPLICATIONS, e) < 0)
        return -1;
    struct store_stmt *st = store_prepare(
        store_conn(ac->store),
        "SELECT id, created_at, recipient, user_id, template, subject, body, sent_at, attempts, "
        "next_attempt_at, last_error FROM outbox ORDER BY id DESC LIMIT 500",
        true, e);
    if (!st)
        return -1;
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(
            items,
            json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:I, s:s?, s:s?}", "id",
                      (json_int_t)store_col_int64(st, 0), "created_at", store_col_text(st, 1),
                      "recipient", store_col_text(st, 2), "user_id", store_col_text(st, 3),
                      "template", store_col_text(st, 4), "subject", store_col_text(st, 5), "body",
                      store_col_text(st, 6), "sent_at", store_col_text(st, 7), "attempts",
                      (json_int_t)store_col_int64(st, 8), "next_attempt_at", store_col_text(st, 9),
                      "last_error", store_col_text(st, 10)));
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

struct claim_ctx {
    int64_t due_ms, lease_until_ms;
    size_t max;
    struct outbox_msg *msgs;
    size_t n;
};

/* The user a link message is for, if the link may still be given: an
 * invited user (activation) or the active user with the recipient's
 * address (reset). 1 with uid filled, 0 when there is none, -1 error. */
static int link_user(struct store_conn *c, const char *purpose, const char *user_id, const char *to,
                     char uid[40], int *lang, struct err *e)
{
    bool activate = strcmp(purpose, "activate") == 0;
    struct store_stmt *st = store_prepare(
        c,
        activate ? "SELECT id, lang FROM users WHERE id = $1 AND status = 'invited'"
                 : "SELECT id, lang FROM users WHERE email = $1 AND status = 'active'",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, activate ? user_id : to);
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(uid, 40, "%s", store_col_text(st, 0));
        *lang = accounts_lang(store_col_text(st, 1));
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : rc == STORE_ROW;
}

/* The body with a freshly minted link in place of ACCT_LINK_MARK (the
 * link row is written, the one minted for an earlier try is spent), or
 * NULL with *gone set when nobody may get the link any more. The secret
 * exists only in the returned text, never in the database. */
static char *mint_link(struct accounts *ac, struct store_conn *c, int64_t id, const char *purpose,
                       const char *user_id, const char *to, const char *old_hash, const char *body,
                       bool *gone, struct err *e)
{
    char uid[40], now[32], expires[32], secret[48], hash[65];
    int lang = LANG_KK;
    *gone = false;
    int found = link_user(c, purpose, user_id, to, uid, &lang, e);
    if (found <= 0) {
        *gone = found == 0;
        return NULL;
    }
    acct_now(now);
    int64_t now_ms = 0;
    time_parse_rfc3339(now, &now_ms);
    bool reset = strcmp(purpose, "reset") == 0;
    time_format_rfc3339(now_ms + (reset ? ac->cfg.reset_ttl_ms : ac->cfg.activation_ttl_ms),
                        expires, sizeof expires);
    acct_secret(secret, hash);
    if ((old_hash && store_execf(c, "DELETE FROM links WHERE hash = $1 AND used_at IS NULL", e, "t",
                                 old_hash) < 0) ||
        store_execf(c,
                    "INSERT INTO links(hash, user_id, purpose, created_at, expires_at) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    e, "ttttt", hash, uid, purpose, now, expires) < 0 ||
        store_execf(c, "UPDATE outbox SET link_hash = $2, user_id = $3 WHERE id = $1", e, "itt", id,
                    hash, uid) < 0) {
        sodium_memzero(secret, sizeof secret);
        return NULL;
    }
    /* a page the server reads (no fragment: the pages work without
     * JavaScript), in the user's language (REQ X-I18N-01); the query never
     * reaches the access log */
    const char *mark = strstr(body, ACCT_LINK_MARK);
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, body, (size_t)(mark - body));
    buf_printf(&b, "%s/%s/%s?s=%s", ac->cfg.public_url, i18n_code((enum lang)lang),
               reset ? "reset" : "activate", secret);
    buf_puts(&b, mark + strlen(ACCT_LINK_MARK));
    sodium_memzero(secret, sizeof secret);
    return buf_steal(&b, NULL);
}

/* A message whose link may not be given (the account was activated,
 * disabled, or the address has no active account): done, unsent. */
static int drop_message(struct store_conn *c, int64_t id, const char *now, struct err *e)
{
    return store_execf(c,
                       "UPDATE outbox SET sent_at = $2, next_attempt_at = NULL, last_error = "
                       "'not sent: no account may receive this link' WHERE id = $1",
                       e, "it", id, now);
}

static int claim_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    struct claim_ctx *x = vctx;
    char due[32], lease[32], now[32];
    time_format_rfc3339(x->due_ms, due, sizeof due);
    time_format_rfc3339(x->lease_until_ms, lease, sizeof lease);
    acct_now(now);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT id, attempts, created_at, recipient, subject, body, link, user_id, link_hash "
        "FROM outbox WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $1) "
        "ORDER BY coalesce(next_attempt_at, created_at), id LIMIT $2",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, due);
    store_bind_int64(st, 2, (int64_t)x->max);
    x->msgs = xcalloc(x->max, sizeof *x->msgs);
    char **links = xcalloc(x->max, sizeof *links), **owners = xcalloc(x->max, sizeof *owners);
    char **old = xcalloc(x->max, sizeof *old);
    int rc = STORE_DONE;
    while (x->n < x->max && (rc = store_step(st, e)) == STORE_ROW) {
        struct outbox_msg *m = &x->msgs[x->n];
        m->id = store_col_int64(st, 0);
        m->attempts = store_col_int64(st, 1);
        snprintf(m->created_at, sizeof m->created_at, "%s", store_col_text(st, 2));
        m->to = xstrdup(store_col_text(st, 3));
        m->subject = xstrdup(store_col_text(st, 4));
        m->body = xstrdup(store_col_text(st, 5));
        const char *link = store_col_text(st, 6), *owner = store_col_text(st, 7),
                   *hash = store_col_text(st, 8);
        links[x->n] = link ? xstrdup(link) : NULL;
        owners[x->n] = owner ? xstrdup(owner) : NULL;
        old[x->n] = hash ? xstrdup(hash) : NULL;
        x->n++;
    }
    store_reset(st);
    int out = rc == STORE_ERROR ? -1 : 0;
    /* links are minted once the statement is done (the writes touch its table) */
    size_t kept = 0;
    for (size_t i = 0; i < x->n; i++) {
        struct outbox_msg *m = &x->msgs[i];
        if (out == 0 && links[i]) {
            bool gone = false;
            char *body =
                mint_link(ac, c, m->id, links[i], owners[i], m->to, old[i], m->body, &gone, e);
            if (!body && (!gone || drop_message(c, m->id, now, e) < 0))
                out = -1;
            free(m->body);
            m->body = body;
        }
        if (out == 0 && m->body &&
            store_execf(c, "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1", e, "it", m->id,
                        lease) < 0)
            out = -1;
        if (m->body) {
            x->msgs[kept++] = *m;
        } else {
            free(m->to);
            free(m->subject);
        }
        free(links[i]);
        free(owners[i]);
        free(old[i]);
    }
    x->n = kept;
    free(links);
    free(owners);
    free(old);
    return out;
}

int outbox_claim(struct accounts *ac, int64_t due_ms, int64_t lease_until_ms, size_t max,
                 struct outbox_msg **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    struct claim_ctx x = {due_ms, lease_until_ms, max, NULL, 0};
    if (acct_write(ac, claim_fn, &x, e) < 0) {
        outbox_msgs_free(x.msgs, x.n);
        return -1;
    }
    *out = x.msgs;
    *n = x.n;
    return 0;
}

void outbox_msgs_free(struct outbox_msg *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].to);
        free(m[i].subject);
        free(m[i].body);
    }
    free(m);
}

struct record_ctx {
    int64_t id;
    const char *now, *error, *next;
};

static int record_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct record_ctx *x = vctx;
    if (!x->error)
        return store_execf(c,
                           "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, "
                           "next_attempt_at = NULL WHERE id = $1 AND sent_at IS NULL",
                           e, "it", x->id, x->now);
    return store_execf(c,
                       "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                       "next_attempt_at = $3 WHERE id = $1 AND sent_at IS NULL",
                       e, "itt", x->id, x->error, x->next);
}

int outbox_record(struct accounts *ac, int64_t id, int64_t now_ms, const char *error,
                  int64_t next_ms, struct err *e)
{
    char now[32], next[32], err_text[300];
    time_format_rfc3339(now_ms, now, sizeof now);
    time_format_rfc3339(next_ms, next, sizeof next);
    if (error)
        text_one_line(error, err_text, sizeof err_text);
    struct record_ctx x = {id, now, error ? err_text : NULL, next};
    return acct_write(ac, record_fn, &x, e);
}

static int release_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    const int64_t *id = vctx;
    char now[32];
    acct_now(now);
    return store_execf(c,
                       "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND sent_at IS NULL",
                       e, "it", *id, now);
}

int outbox_release(struct accounts *ac, int64_t id, struct err *e)
{
    return acct_write(ac, release_fn, &id, e);
}

int outbox_waiting(struct accounts *ac, int64_t *n, struct err *e)
{
    struct store_stmt *st = store_prepare(
        store_conn(ac->store), "SELECT count(*) FROM outbox WHERE sent_at IS NULL", true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    *n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

/* ---- the inbox --------------------------------------------------------------------- */

#define INBOX_COLS "id, created_at, template, subject, body, subject_ref, read_at"

static json_t *inbox_row(struct store_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id",
                     (json_int_t)store_col_int64(st, 0), "created_at", store_col_text(st, 1),
                     "template", store_col_text(st, 2), "subject", store_col_text(st, 3), "body",
                     store_col_text(st, 4), "subject_ref", store_col_text(st, 5), "read_at",
                     store_col_text(st, 6));
}

static int signed_in(const struct actor *by, struct err *e)
{
    if (by->user[0])
        return 0;
    err_set(e, 401, "unauthorized", "", "sign in to read your messages");
    return -1;
}

static int count_unread(struct store_conn *c, const char *user, int64_t *n, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT count(*) FROM inbox WHERE user_id = $1 AND read_at IS NULL", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, user);
    int rc = store_step(st, e);
    *n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

int inbox_list(struct accounts *ac, const struct actor *by, bool unread_only, int64_t before,
               int limit, json_t **out, struct err *e)
{
    *out = NULL;
    if (signed_in(by, e) < 0)
        return -1;
    if (limit < 1 || limit > INBOX_LIMIT_MAX) {
        err_bad_request(e, "limit", "'limit' is 1..%d", INBOX_LIMIT_MAX);
        return -1;
    }
    struct store_conn *c = store_conn(ac->store);
    struct store_stmt *st =
        store_prepare(c,
                      "SELECT " INBOX_COLS " FROM inbox WHERE user_id = $1 AND ($2 = 0 OR id < $2) "
                      "AND ($3 = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT $4",
                      true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, by->user);
    store_bind_int64(st, 2, before);
    store_bind_int64(st, 3, unread_only);
    store_bind_int64(st, 4, limit);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_array_append_new(items, inbox_row(st));
    store_reset(st);
    int64_t unread = 0;
    if (rc == STORE_ERROR || count_unread(c, by->user, &unread, e) < 0) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o, s:I}", "items", items, "unread", (json_int_t)unread);
    return 0;
}

struct read_ctx {
    const char *user;
    int64_t id;
    json_t **out;
};

static int read_fn(struct accounts *ac, struct store_conn *c, void *vctx, struct err *e)
{
    (void)ac;
    struct read_ctx *x = vctx;
    char now[32];
    acct_now(now);
    if (store_execf(c,
                    "UPDATE inbox SET read_at = $3 WHERE id = $1 AND user_id = $2 "
                    "AND read_at IS NULL",
                    e, "itt", x->id, x->user, now) < 0)
        return -1;
    struct store_stmt *st = store_prepare(
        c, "SELECT " INBOX_COLS " FROM inbox WHERE id = $1 AND user_id = $2", true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, x->id);
    store_bind_text(st, 2, x->user);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        *x->out = inbox_row(st);
    store_reset(st);
    if (rc == STORE_DONE)
        err_not_found(e, "no message %lld in your inbox", (long long)x->id);
    return rc == STORE_ROW ? 0 : -1;
}

int inbox_read(struct accounts *ac, const struct actor *by, int64_t id, json_t **out, struct err *e)
{
    *out = NULL;
    if (signed_in(by, e) < 0)
        return -1;
    if (by->read_only) {
        err_set(e, 403, "forbidden", "", "a read-only token cannot mark messages read");
        return -1;
    }
    struct read_ctx x = {by->user, id, out};
    int rc = acct_write(ac, read_fn, &x, e);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
