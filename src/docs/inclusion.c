/* inclusion: requests to include a platform software product in the
 * operator's list (REQ REG-13). The product's owner asks, attaching the
 * positive information-security test protocol placed among the product's
 * documents; the authorized body accepts (the product's read-only
 * inclusion field becomes true, a new revision with its audit entry) or
 * refuses with a reason; the owner's editors are told either way. */
#include "docs/documents.h"

#include "account/account.h"
#include "auth/authz.h"
#include "registry/registry.h"
#include "store/store.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "web/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 2000

#define REQ_COLS                                                                           \
    "id, record_id, protocol_doc, note, requested_at, requested_by, status, decided_at, " \
    "decided_by, reason"

#define REQ_COLS_Q                                                                         \
    "q.id, q.record_id, q.protocol_doc, q.note, q.requested_at, q.requested_by, q.status, " \
    "q.decided_at, q.decided_by, q.reason"

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_t *request_json(struct store_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "id",
                     store_col_text(st, 0), "record_id", store_col_text(st, 1), "protocol",
                     store_col_text(st, 2), "note", store_col_text(st, 3), "requested_at",
                     store_col_text(st, 4), "requested_by", store_col_text(st, 5), "status",
                     store_col_text(st, 6), "decided_at", store_col_text(st, 7), "decided_by",
                     store_col_text(st, 8), "reason", store_col_text(st, 9));
}

static int request_load(struct store_conn *c, const char *id, json_t **out, struct err *e)
{
    struct store_stmt *st =
        store_prepare(c, "SELECT " REQ_COLS " FROM inclusion_requests WHERE id = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        *out = request_json(st);
    else if (rc == STORE_DONE)
        err_not_found(e, "no such inclusion request");
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

/* A string member of a JSON body: absent is NULL; anything else but a
 * string of at most max bytes is refused. */
static int body_text(const json_t *body, const char *key, size_t max, const char **out,
                     struct err *e)
{
    const json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max) {
        err_set(e, 422, "validation-failed", key, "must be text of at most %zu bytes", max);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* The protocol is a signed copy of the product's protocol type. */
static int check_protocol(struct store_conn *c, const struct model_kind *k, const char *record,
                          const char *doc, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT record_id, doc_type, variant FROM documents WHERE id = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, doc);
    int rc = store_step(st, e);
    bool ok = rc == STORE_ROW && strcmp(store_col_text(st, 0), record) == 0 &&
              strcmp(store_col_text(st, 1), k->inclusion_protocol->id) == 0 &&
              strcmp(store_col_text(st, 2), "signed") == 0;
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (!ok) {
        err_set(e, 422, "validation-failed", "protocol",
                "name the signed copy (PDF/A) of this product's '%s' document, placed first "
                "among its documents", k->inclusion_protocol->label.en);
        return -1;
    }
    return 0;
}

static int notify_approvers(struct docs *d, struct store_conn *c, const json_t *rec,
                            const char *request_id, struct err *e);

int docs_inclusion_request(struct docs *d, const struct actor *a, const char *collection,
                           const char *id, const json_t *body, json_t **out, struct err *e)
{
    static const char *const keys[] = {"protocol", "note", NULL};
    struct registry *reg = docs_registry(d);
    const char *protocol, *note;
    if (jsonx_known_keys(body, keys, "'%.60s' is not a member of this request", e) < 0 ||
        body_text(body, "protocol", 64, &protocol, e) < 0 ||
        body_text(body, "note", NOTE_MAX, &note, e) < 0)
        return -1;
    if (!protocol) {
        err_set(e, 422, "validation-failed", "protocol", "the test protocol is missing");
        return -1;
    }
    if (note && !utf8_valid(note, strlen(note))) {
        err_set(e, 422, "validation-failed", "note", "not valid text");
        return -1;
    }
    json_t *rec;
    if (registry_get_visible(reg, a, collection, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k = model_kind(docs_model(d), text_of(rec, "kind"));
    char org[64] = "", req_id[37], now[32];
    struct store_conn *c = NULL;
    int rc = 0;
    if (!k || !k->inclusion_field) {
        err_set(e, 422, "not-includable", "", "only platform software products are included in "
                "the operator's list");
        rc = -1;
    }
    if (rc == 0)
        rc = registry_record_org(reg, store_conn(registry_store(reg)), rec, org, sizeof org, e);
    if (rc == 0)
        rc = authz_check(registry_rights(reg), a, RA_SUBMIT, k->id, org, e);
    const struct model_workflow *w = k ? k->workflow : NULL;
    const struct model_wf_state *s = w ? model_wf_state(w, text_of(rec, w->status_field)) : NULL;
    if (rc == 0 && w && !(s && s->coded)) {
        err_set(e, 409, "not-registered", "", "the product must be registered on the portal first");
        rc = -1;
    }
    if (rc == 0 && json_is_true(json_object_get(rec, k->inclusion_field))) {
        err_set(e, 409, "already-included", "", "the product is already in the operator's list");
        rc = -1;
    }
    if (rc == 0)
        rc = (c = registry_write_enter(reg, e)) ? 0 : -1;
    if (rc == 0)
        rc = check_protocol(c, k, id, protocol, e);
    if (rc == 0) {
        struct store_stmt *st = store_prepare(
            c, "SELECT 1 FROM inclusion_requests WHERE record_id = $1 AND status = 'pending'",
            true, e);
        rc = st ? 0 : -1;
        if (st) {
            store_bind_text(st, 1, id);
            int s2 = store_step(st, e);
            store_reset(st);
            if (s2 == STORE_ROW) {
                err_set(e, 409, "pending", "", "a request for this product awaits a decision");
                rc = -1;
            } else if (s2 == STORE_ERROR) {
                rc = -1;
            }
        }
    }
    if (rc == 0) {
        text_uuid7(req_id);
        time_format_rfc3339(time_now_ms(), now, sizeof now);
        rc = store_execf(c,
                         "INSERT INTO inclusion_requests(id, record_id, protocol_doc, note, "
                         "requested_at, requested_by, status) VALUES ($1, $2, $3, $4, $5, $6, "
                         "'pending')",
                         e, "tttttt", req_id, id, protocol, note, now, a->id);
    }
    if (rc == 0)
        rc = request_load(c, req_id, out, e);
    if (rc == 0) {
        char *after = json_dumps(*out, JSON_COMPACT);
        rc = audit_append(c, now, a, "inclusion-request", collection, id,
                          (int64_t)json_integer_value(json_object_get(rec, "revision")), NULL,
                          after, e);
        free(after);
    }
    if (rc == 0)
        rc = notify_approvers(d, c, rec, req_id, e);
    if (c)
        rc = registry_write_leave(reg, c, rc, e);
    if (rc < 0 && *out) {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(rec);
    return rc;
}

/* May the actor see requests about products of org (its own, or deciding)? */
static bool may_see(struct docs *d, const struct actor *a, const char *kind, const char *org)
{
    const struct rights *r = registry_rights(docs_registry(d));
    return authz_may(r, a, RA_DECIDE_INCLUSION, kind, org) ||
           authz_may(r, a, RA_SUBMIT, kind, org);
}

int docs_inclusion_list(struct docs *d, const struct actor *a, const char *status, json_t **out,
                        struct err *e)
{
    if (status && strcmp(status, "pending") && strcmp(status, "accepted") &&
        strcmp(status, "refused")) {
        err_bad_request(e, "status", "'status' is pending, accepted or refused");
        return -1;
    }
    if (!a->user[0] && !a->system) {
        err_set(e, 401, "unauthorized", "", "sign in to see inclusion requests");
        return -1;
    }
    struct store_conn *c = store_conn(registry_store(docs_registry(d)));
    struct store_stmt *st = store_prepare(
        c, "SELECT " REQ_COLS_Q ", r.kind, r.owner FROM inclusion_requests q "
           "JOIN records r ON r.id = q.record_id WHERE ($1 IS NULL OR q.status = $1) "
           "ORDER BY q.requested_at, q.id LIMIT 1000",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, status);
    json_t *items = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        if (may_see(d, a, store_col_text(st, 10), store_col_text(st, 11)))
            json_array_append_new(items, request_json(st));
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}

struct decision {
    const struct model_kind *k;
    bool accept;
};

static int set_included(void *ctx, struct store_conn *c, const json_t *cur, json_t *next,
                        struct err *e)
{
    const struct decision *dc = ctx;
    json_object_set_new(next, dc->k->inclusion_field, json_true());
    return 0;
}

/* The product's name for a reader of language l. */
static const char *title_of(const json_t *rec, enum lang l)
{
    const char *name = registry_name_in(rec, i18n_code(l));
    return name ? name : text_of(rec, "id");
}

/* Tells the authorized body's approvers that a request awaits them, each
 * in their language. */
static int notify_approvers(struct docs *d, struct store_conn *c, const json_t *rec,
                            const char *request_id, struct err *e)
{
    char subject[LANG_N][256], body[LANG_N][1024];
    for (int l = 0; l < LANG_N; l++) {
        snprintf(subject[l], sizeof subject[l],
                 i18n_tr(l, TR("Request for inclusion in the operator's list: %s")),
                 title_of(rec, l));
        snprintf(body[l], sizeof body[l],
                 i18n_tr(l, TR("Platform software product «%s» (%s): request %s awaits a "
                               "decision.")),
                 title_of(rec, l), text_of(rec, "id"), request_id);
        strncat(body[l], "\n", sizeof body[l] - strlen(body[l]) - 1);
    }
    struct acct_texts t = {{subject[0], subject[1], subject[2]}, {body[0], body[1], body[2]}};
    return accounts_notify(docs_accounts(d), c, NULL, "approver", "inclusion-requested", &t,
                           text_of(rec, "id"), NULL, e);
}

static int notify_owner(struct docs *d, struct store_conn *c, const json_t *rec, bool accept,
                        const char *reason, struct err *e)
{
    char subject[LANG_N][256], body[LANG_N][4096];
    for (int l = 0; l < LANG_N; l++) {
        snprintf(subject[l], sizeof subject[l], "%s: %s",
                 accept ? i18n_tr(l, TR("Product included in the operator's list"))
                        : i18n_tr(l, TR("Inclusion in the operator's list refused")),
                 title_of(rec, l));
        snprintf(body[l], sizeof body[l], "%s\n%s%s%s\n",
                 accept ? i18n_tr(l, TR("The platform software product is included in the "
                                        "operator's list."))
                        : i18n_tr(l, TR("The platform software product is not included in the "
                                        "operator's list.")),
                 reason ? i18n_tr(l, TR("Reason")) : "", reason ? ": " : "", reason ? reason : "");
    }
    struct acct_texts t = {{subject[0], subject[1], subject[2]}, {body[0], body[1], body[2]}};
    return accounts_notify(docs_accounts(d), c, text_of(rec, "owner"), "owner-editor",
                           accept ? "inclusion-accepted" : "inclusion-refused", &t,
                           text_of(rec, "id"), NULL, e);
}

int docs_inclusion_decide(struct docs *d, const struct actor *a, const char *request_id,
                          const json_t *body, json_t **out, struct err *e)
{
    static const char *const keys[] = {"decision", "reason", NULL};
    struct registry *reg = docs_registry(d);
    const char *decision, *reason;
    if (jsonx_known_keys(body, keys, "'%.60s' is not a member of this request", e) < 0 ||
        body_text(body, "decision", 16, &decision, e) < 0 ||
        body_text(body, "reason", NOTE_MAX, &reason, e) < 0)
        return -1;
    bool accept = decision && strcmp(decision, "accept") == 0;
    if (!accept && !(decision && strcmp(decision, "refuse") == 0)) {
        err_set(e, 422, "validation-failed", "decision", "'decision' is accept or refuse");
        return -1;
    }
    if (!accept && (!reason || !reason[strspn(reason, " \t\r\n")])) {
        err_set(e, 422, "validation-failed", "reason", "a refusal needs its reason");
        return -1;
    }
    if (reason && !utf8_valid(reason, strlen(reason))) {
        err_set(e, 422, "validation-failed", "reason", "not valid text");
        return -1;
    }
    struct store_conn *c = registry_write_enter(reg, e);
    if (!c)
        return -1;
    json_t *req = NULL, *rec = NULL, *next = NULL;
    char now[32];
    time_format_rfc3339(time_now_ms(), now, sizeof now);
    int rc = request_load(c, request_id, &req, e);
    if (rc == 0)
        rc = registry_get_visible(reg, a, NULL, text_of(req, "record_id"), &rec, e);
    const struct model_kind *k = rec ? model_kind(docs_model(d), text_of(rec, "kind")) : NULL;
    char org[64] = "";
    if (rc == 0 && !(k && k->inclusion_field)) {
        err_internal(e, "the request's record is not a product");
        rc = -1;
    }
    if (rc == 0)
        rc = registry_record_org(reg, c, rec, org, sizeof org, e);
    if (rc == 0)
        rc = authz_check(registry_rights(reg), a, RA_DECIDE_INCLUSION, k->id, org, e);
    if (rc == 0 && strcmp(text_of(req, "status"), "pending") != 0) {
        err_set(e, 409, "decided", "", "the request was %s already", text_of(req, "status"));
        rc = -1;
    }
    if (rc == 0)
        rc = store_execf(c,
                         "UPDATE inclusion_requests SET status = $2, decided_at = $3, "
                         "decided_by = $4, reason = $5 WHERE id = $1",
                         e, "ttttt", request_id, accept ? "accepted" : "refused", now, a->id,
                         reason);
    struct decision dc = {k, accept};
    if (rc == 0 && accept)
        rc = registry_transition(reg, c, a, k->collection, text_of(rec, "id"), -1,
                                 "inclusion", set_included, &dc, &next, e);
    if (rc == 0)
        rc = notify_owner(d, c, rec, accept, reason, e);
    json_decref(req);
    req = NULL;
    if (rc == 0)
        rc = request_load(c, request_id, &req, e);
    if (rc == 0 && !accept) {
        char *after = json_dumps(req, JSON_COMPACT);
        rc = audit_append(c, now, a, "inclusion-refused", k->collection, text_of(rec, "id"),
                          (int64_t)json_integer_value(json_object_get(rec, "revision")), NULL,
                          after, e);
        free(after);
    }
    rc = registry_write_leave(reg, c, rc, e);
    json_decref(rec);
    json_decref(next);
    if (rc < 0) {
        json_decref(req);
        return -1;
    }
    *out = req;
    return 0;
}

int docs_inclusion_get(struct docs *d, const struct actor *a, const char *request_id,
                       json_t **out, struct err *e)
{
    struct registry *reg = docs_registry(d);
    json_t *req, *rec;
    if (request_load(store_conn(registry_store(reg)), request_id, &req, e) < 0)
        return -1;
    if (registry_get_visible(reg, a, NULL, text_of(req, "record_id"), &rec, e) < 0) {
        json_decref(req);
        err_not_found(e, "no such inclusion request");
        return -1;
    }
    char org[64] = "";
    bool ok = registry_record_org(reg, store_conn(registry_store(reg)), rec, org, sizeof org, e) == 0 &&
              may_see(d, a, text_of(rec, "kind"), org);
    json_decref(rec);
    if (!ok) {
        json_decref(req);
        err_not_found(e, "no such inclusion request");
        return -1;
    }
    *out = req;
    return 0;
}
