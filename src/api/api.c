/* api: HTTP handlers for the registry API. */
#include "api.h"

#include "account/account.h"
#include "api/internal.h"
#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "registry/listq.h"
#include "util/buf.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "web/i18n.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

void api_init(struct api *api, struct registry *reg, struct store *store,
              const struct model *model, struct accounts *acct, struct calsvc *cal)
{
    api->acct = acct;
    api->cal = cal;
    api->secure_cookies = false;
    api->reg = reg;
    api->store = store;
    api->model = model;
    api->router = NULL;
    api->openapi_json = NULL;
    api->openapi_len = 0;
    api->model_json = json_dumps(model_json(model), JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!api->model_json)
        fatal("api: cannot serialise the model");
    api->model_json_len = strlen(api->model_json);
}

void api_free(struct api *api)
{
    free(api->model_json);
    free(api->openapi_json);
    api->model_json = NULL;
    api->openapi_json = NULL;
}

void problem(struct http_resp *resp, int status, const char *type, const char *field,
             const char *fmt, ...)
{
    struct err e = ERR_INIT;
    va_list ap;
    va_start(ap, fmt);
    err_setv(&e, status, type, field, fmt, ap);
    va_end(ap);
    http_resp_problem(resp, &e);
}

/* --- input helpers ------------------------------------------------------------ */

/* The session cookie's value, or NULL. */
int authenticate(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                 struct actor *a)
{
    char csrf[64];
    return authenticate_csrf(api, req, resp, write, a, csrf);
}

int authenticate_csrf(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                      struct actor *a, char csrf[64])
{
    static const struct actor anonymous = ACTOR_ANONYMOUS;
    *a = anonymous;
    csrf[0] = '\0';
    struct err e = ERR_INIT;
    const char *h = http_req_header(req, "Authorization");
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) == 0 && token_authenticate(api->acct, h + 7, a, &e) == 0)
            return 0;
        if (!e.status)
            err_set(&e, 401, "unauthorized", "Authorization", "use 'Authorization: Bearer <token>'");
        http_resp_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_resp_problem(resp, &e);
        return -1;
    }
    const char *cookie = http_req_cookie(req, API_SESSION_COOKIE);
    if (cookie && session_resolve(api->acct, cookie, a, csrf, &e) < 0) {
        *a = anonymous;
        csrf[0] = '\0';
        if (!write)
            return 0; /* an ended session reads as the public */
        http_resp_problem(resp, &e);
        return -1;
    }
    if (!write)
        return 0;
    if (!a->user[0]) {
        http_resp_header(resp, "WWW-Authenticate", "Bearer");
        problem(resp, 401, "unauthorized", "Authorization",
                "sign in (session cookie) or send 'Authorization: Bearer <token>'");
        return -1;
    }
    /* a write carried by the session cookie must prove it comes from our
     * own pages or client: the session's CSRF token in a header */
    const char *sent = http_req_header(req, "X-CSRF-Token");
    if (!sent || strlen(sent) != strlen(csrf) || sodium_memcmp(sent, csrf, strlen(csrf)) != 0) {
        problem(resp, 403, "csrf-failed", "X-CSRF-Token",
                "a write with the session cookie needs the session's X-CSRF-Token header");
        return -1;
    }
    return 0;
}

static bool content_type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);
    return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Parses the request body as a JSON object. */
json_t *json_body(struct http_req *req, struct http_resp *resp, bool merge_patch)
{
    const char *ct = http_req_header(req, "Content-Type");
    if (!content_type_is(ct, "application/json") &&
        !(merge_patch && content_type_is(ct, "application/merge-patch+json"))) {
        if (merge_patch)
            problem(resp, 415, "unsupported-media-type", "Content-Type",
                    "send application/merge-patch+json or application/json");
        else
            problem(resp, 415, "unsupported-media-type", "Content-Type", "send application/json");
        return NULL;
    }
    json_error_t je;
    json_t *j =
        json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        problem(resp, 400, "malformed-json", "", "malformed JSON at line %d, column %d: %s",
                je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        problem(resp, 422, "wrong-type", "", "the body must be a JSON object");
        return NULL;
    }
    /* a request with a JSON body says everything in it */
    static const char *const none[] = {NULL};
    if (only_params(req, resp, none) < 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

const struct model_collection *collection_of(struct api *api, struct http_req *req,
                                                    struct http_resp *resp)
{
    const char *name = http_req_param(req, "collection");
    const struct model_collection *c = name ? model_collection(api->model, name) : NULL;
    if (!c) {
        problem(resp, 404, "not-found", "", "no collection '%.60s'", name ? name : "");
    }
    return c;
}

const char *id_param(struct http_req *req, struct http_resp *resp, const char *name,
                     const char *what)
{
    const char *id = http_req_param(req, name);
    if (!id || !text_id_valid(id)) {
        struct err e = ERR_INIT;
        err_not_found(&e, "no such %s (malformed id)", what);
        http_resp_problem(resp, &e);
        return NULL;
    }
    return id;
}

const char *record_id(struct http_req *req, struct http_resp *resp)
{
    return id_param(req, resp, "id", "record");
}

int record_request(struct api *api, struct http_req *req, struct http_resp *resp, bool write,
                   const char *const *params, const struct model_collection **coll,
                   const char **id, struct actor *a)
{
    static const char *const none[] = {NULL};
    *coll = collection_of(api, req, resp);
    *id = *coll ? record_id(req, resp) : NULL;
    if (!*id || only_params(req, resp, params ? params : none) < 0 ||
        authenticate(api, req, resp, write, a) < 0)
        return -1;
    return 0;
}

void answer_created(struct http_resp *resp, int rc, const struct err *e, json_t *out)
{
    if (rc < 0)
        http_resp_problem(resp, e);
    else
        http_resp_json(resp, 201, out);
}

/* Parses If-Match: "N" → N; "*" → -1. Returns -2 when absent, -3 bad. */
int64_t if_match_revision(struct http_req *req)
{
    const char *h = http_req_header(req, "If-Match");
    if (!h)
        return -2;
    if (strcmp(h, "*") == 0)
        return -1;
    size_t n = strlen(h);
    if (n < 3 || n > 22 || h[0] != '"' || h[n - 1] != '"')
        return -3;
    int64_t v = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (h[i] < '0' || h[i] > '9' || v > (INT64_MAX - (h[i] - '0')) / 10)
            return -3; /* not a number, or beyond any revision (no wrap-around) */
        v = v * 10 + (h[i] - '0');
    }
    return v > 0 ? v : -3;
}

int if_match_checked(struct http_req *req, struct http_resp *resp, int64_t *rev)
{
    *rev = if_match_revision(req);
    if (*rev == -3) {
        problem(resp, 400, "bad-request", "If-Match", "If-Match must be an ETag like \"3\"");
        return -1;
    }
    return 0;
}

static void set_etag(struct http_resp *resp, int64_t revision)
{
    http_resp_header(resp, "ETag", arena_printf(resp->arena, "\"%" PRId64 "\"", revision));
}

void problem_all(struct http_resp *resp, const struct err *e, json_t *all)
{
    if (e->status == 422 && json_array_size(all) > 0) {
        http_resp_problem_ext(resp, e, "errors", all);
        return;
    }
    json_decref(all);
    http_resp_problem(resp, e);
}

/* 200 with out, or the problem in e. */
void answer(struct http_resp *resp, int rc, const struct err *e, json_t *out)
{
    if (rc < 0)
        http_resp_problem(resp, e);
    else
        http_resp_json(resp, 200, out);
}

void answer_record(struct http_resp *resp, int status, json_t *rec)
{
    set_etag(resp, json_integer_value(json_object_get(rec, "revision")));
    http_resp_json(resp, status, rec);
}

/* --- handlers ----------------------------------------------------------------- */

static void h_healthz(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct err e = ERR_INIT;
    struct store_conn *c = store_conn(api->store);
    struct store_stmt *st = store_prepare(c, "SELECT 1", true, &e);
    int rc = st ? store_step(st, &e) : STORE_ERROR;
    if (st)
        store_reset(st);
    if (rc != STORE_ROW) {
        problem(resp, 503, "unavailable", "", "the database does not answer");
        return;
    }
    /* which database answered: a node of several says it is on PostgreSQL */
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:s}", "status", "ok", "database", store_backend(api->store)));
}

static void metrics_extra(struct buf *out, void *ctx)
{
    struct api *api = ctx;
    buf_printf(out,
               "# HELP archportal_db_size_bytes Size of the database files.\n"
               "# TYPE archportal_db_size_bytes gauge\n"
               "archportal_db_size_bytes %" PRId64 "\n",
               store_size_bytes(api->store));
    struct store_stats st = store_stats(api->store);
    buf_printf(out,
               "# HELP archportal_db_writes_total Writes committed or refused through the "
               "group commit.\n"
               "# TYPE archportal_db_writes_total counter\n"
               "archportal_db_writes_total %" PRIu64 "\n"
               "# HELP archportal_db_commits_total Commits of the writer connection.\n"
               "# TYPE archportal_db_commits_total counter\n"
               "archportal_db_commits_total %" PRIu64 "\n"
               "# HELP archportal_db_commit_seconds_total Time spent committing.\n"
               "# TYPE archportal_db_commit_seconds_total counter\n"
               "archportal_db_commit_seconds_total %.6f\n"
               "# HELP archportal_db_syncs_total Flushes of the log that made commits durable.\n"
               "# TYPE archportal_db_syncs_total counter\n"
               "archportal_db_syncs_total %" PRIu64 "\n"
               "# HELP archportal_db_sync_seconds_total Time spent flushing the log.\n"
               "# TYPE archportal_db_sync_seconds_total counter\n"
               "archportal_db_sync_seconds_total %.6f\n"
               "# HELP archportal_db_write_lock_wait_seconds_total Time writers waited for the "
               "write lock.\n"
               "# TYPE archportal_db_write_lock_wait_seconds_total counter\n"
               "archportal_db_write_lock_wait_seconds_total %.6f\n"
               "# HELP archportal_db_write_lock_held_seconds_total Time writers held the write "
               "lock, commits included.\n"
               "# TYPE archportal_db_write_lock_held_seconds_total counter\n"
               "archportal_db_write_lock_held_seconds_total %.6f\n",
               st.writes, st.commits, (double)st.commit_ns / 1e9, st.syncs,
               (double)st.sync_ns / 1e9, (double)st.wait_ns / 1e9,
               (double)st.hold_ns / 1e9);
}

/* For administrators only (metrics-read): the figures tell an attacker
 * which routes are slow and how busy the server is. */
static void h_metrics(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    struct err e = ERR_INIT;
    if (authz_check_everywhere(registry_rights(api->reg), &a, RA_METRICS, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    struct buf b;
    buf_init(&b, 0);
    http_metrics_render(&b, metrics_extra, ctx);
    http_resp_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8", b.p ? b.p : "", b.len);
    buf_free(&b);
}

/* GET /api/v1/rules[?layer=…][&rule=…][&by=…]: which records break the model's
 * rules (the integrator's gap lists: what to put right), among those the
 * caller reads, of one layer or one rule. It reads every record of the
 * rules' kinds: for those who hold rules-report, not for anyone who asks. */
static void h_rules(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"layer", "rule", "by", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    struct registry_rules_filter only = {http_req_query(req, "layer"), http_req_query(req, "rule"),
                                         http_req_query(req, "by"), 0};
    int rc = authz_check_everywhere(registry_rights(api->reg), &a, RA_RULES_REPORT, &e);
    if (rc == 0)
        rc = registry_rules_report(api->reg, &a, calsvc_local_day_cb, api->cal, &only, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_model(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    http_resp_bytes(resp, 200, "application/json", api->model_json, api->model_json_len);
}

static int parse_list(struct api *api, struct http_req *req, struct http_resp *resp,
                      const struct model_collection *coll, const char *const *extra,
                      struct list_query *q)
{
    struct listq_param params[HTTP_MAX_QUERY];
    for (size_t i = 0; i < req->n_query; i++) {
        params[i].key = req->query[i].key;
        params[i].value = req->query[i].value;
    }
    struct err e = ERR_INIT;
    /* "name" sorts by the alphabet of ?lang=, else of Accept-Language */
    enum lang l = i18n_negotiate(http_req_header(req, "Accept-Language"), LANG_N);
    const char *lang = l < LANG_N ? i18n_code(l) : NULL;
    if (listq_parse_lang(req->arena, api->model, coll, params, req->n_query, extra, lang, q, &e) <
        0) {
        http_resp_problem(resp, &e);
        return -1;
    }
    return 0;
}

static void h_list(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll = collection_of(api, req, resp);
    struct list_query q;
    if (!coll || parse_list(api, req, resp, coll, NULL, &q) < 0)
        return;
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    char *text = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    if (registry_scope_list(api->reg, &a, &q, &e) < 0 ||
        registry_list_text(api->reg, req->arena, &q, &text, &len, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    if (!a.system && registry_text_may_hold_restricted(api->reg, text, len)) {
        /* some item may hold restricted fields: check item by item */
        json_t *page = json_loadb(text, len, 0, NULL);
        json_t *items = json_object_get(page, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            registry_redact(api->reg, &a, json_array_get(items, i));
        http_resp_json(resp, 200, page);
        return;
    }
    http_resp_bytes(resp, 200, "application/json", text, len);
}

static void h_facets(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll = collection_of(api, req, resp);
    static const char *const extra[] = {"field", NULL};
    struct list_query q;
    if (!coll || parse_list(api, req, resp, coll, extra, &q) < 0)
        return;
    const char *field = http_req_query(req, "field");
    if (!field || !*field) {
        problem(resp, 400, "bad-request", "field", "facets need ?field=F");
        return;
    }
    struct actor a;
    if (authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_scope_list(api->reg, &a, &q, &e);
    if (rc == 0)
        rc = registry_facets(api->reg, req->arena, &q, field, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_create(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    const struct model_collection *coll = collection_of(api, req, resp);
    if (!coll || authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    json_t *all = e.errors = json_array(); /* every problem of the body at once */
    int rc = registry_create(api->reg, &a, coll->id, body, NULL, &out, &e);
    json_decref(body);
    if (rc < 0) {
        problem_all(resp, &e, all);
        return;
    }
    json_decref(all);
    http_resp_header(resp, "Location",
                     arena_printf(req->arena, "/api/v1/%s/%s", coll->id,
                                  json_string_value(json_object_get(out, "id"))));
    answer_record(resp, 201, out);
}

int only_params(struct http_req *req, struct http_resp *resp, const char *const *allowed)
{
    for (size_t i = 0; i < req->n_query; i++) {
        bool ok = false;
        for (size_t j = 0; allowed[j]; j++)
            ok = ok || strcmp(req->query[i].key, allowed[j]) == 0;
        if (!ok) {
            problem(resp, 400, "bad-request", req->query[i].key, "unknown query parameter '%.60s'",
                    req->query[i].key);
            return -1;
        }
    }
    return 0;
}

static void get_at(struct api *api, struct http_req *req, struct http_resp *resp,
                   const struct actor *a, const char *coll, const char *id, const char *at)
{
    int64_t ms;
    if (time_parse_rfc3339(at, &ms) < 0) {
        problem(resp, 400, "bad-request", "at", "'at' must be an RFC 3339 date-time");
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_get_at(api->reg, a, coll, id, ms, &out, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    registry_redact(api->reg, a, out);
    answer_record(resp, 200, out);
}

/* Does some kind of the collection inherit attributes (REQ ARC-06) or
 * declare a computed measure? */
static bool collection_computes(const struct model *m, const struct model_collection *coll)
{
    for (size_t i = 0; i < coll->n_kinds; i++)
        if (model_kind(m, coll->kinds[i])->inherit_via || model_kind(m, coll->kinds[i])->n_measures)
            return true;
    return false;
}

/* A record whose kind may inherit or be measured: with its inherited items
 * and its measures, computed at this read (its bases, or what it is
 * measured over, may have changed since its revision, so no 304 by ETag),
 * put in as the record's last members. */
static void get_computed(struct api *api, struct http_resp *resp, const struct actor *a,
                         const char *id, const char *json)
{
    char *inh = NULL, *ms = NULL;
    struct err e = ERR_INIT;
    if (registry_computed_text(api->reg, a, id, json, &inh, &ms, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    char *redacted = registry_redact_text(api->reg, a, json, strlen(json));
    const char *text = redacted ? redacted : json;
    size_t n = strlen(text);
    if ((inh || ms) && n > 2 && text[n - 1] == '}') {
        struct buf b;
        buf_init(&b, 64u << 20);
        buf_reserve(&b, n + (inh ? strlen(inh) : 0) + (ms ? strlen(ms) : 0) + 32);
        buf_append(&b, text, n - 1);
        if (inh) {
            buf_puts(&b, ",\"inherited\":");
            buf_puts(&b, inh);
        }
        if (ms) {
            buf_puts(&b, ",\"measures\":");
            buf_puts(&b, ms);
        }
        buf_puts(&b, "}");
        http_resp_bytes(resp, 200, "application/json", b.p, b.len);
        buf_free(&b);
    } else
        http_resp_bytes(resp, 200, "application/json", text, n);
    free(redacted);
    free(inh);
    free(ms);
}

static void h_get(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"at", NULL};
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, allowed, &coll, &id, &a) < 0)
        return;
    const char *at = http_req_query(req, "at");
    if (at) {
        get_at(api, req, resp, &a, coll->id, id, at);
        return;
    }
    char *json = NULL;
    int64_t rev = 0;
    struct err e = ERR_INIT;
    if (registry_get_raw(api->reg, req->arena, coll->id, id, &json, &rev, &e) < 0) {
        json_t *rec = NULL; /* retired: gone for those who may read it, else missing */
        if (e.status == 410 && registry_get_visible(api->reg, &a, coll->id, id, &rec, &e) == 0)
            json_decref(rec);
        http_resp_problem(resp, &e);
        return;
    }
    if (!registry_text_surely_readable(api->reg, &a, coll->id, json, strlen(json))) {
        /* a record with a workflow: unpublished ones are not for everyone */
        json_t *rec = json_loads(json, 0, NULL);
        bool may = rec && registry_may_read(api->reg, &a, rec);
        json_decref(rec);
        if (!may) {
            problem(resp, 404, "not-found", "", "no such record");
            return;
        }
    }
    set_etag(resp, rev);
    if (collection_computes(api->model, coll)) {
        get_computed(api, resp, &a, id, json);
        return;
    }
    const char *inm = http_req_header(req, "If-None-Match");
    char etag[32];
    snprintf(etag, sizeof etag, "\"%" PRId64 "\"", rev);
    if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
        http_resp_bytes(resp, 304, "application/json", "", 0);
        return;
    }
    char *redacted = registry_redact_text(api->reg, &a, json, strlen(json));
    if (redacted) {
        http_resp_bytes(resp, 200, "application/json", redacted, strlen(redacted));
        free(redacted);
        return;
    }
    http_resp_bytes(resp, 200, "application/json", json, strlen(json));
}

/* The revision a PATCH or DELETE expects: If-Match is required. */
static int if_match_required(struct http_req *req, struct http_resp *resp, int64_t *rev)
{
    if (if_match_checked(req, resp, rev) < 0)
        return -1;
    if (*rev == -2) {
        problem(resp, 428, "precondition-required", "If-Match",
                "%s needs If-Match with the record's ETag", req->method);
        return -1;
    }
    return 0;
}

static void h_patch(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    const struct model_collection *coll;
    const char *id;
    int64_t rev;
    if (record_request(api, req, resp, true, NULL, &coll, &id, &a) < 0 ||
        if_match_required(req, resp, &rev) < 0)
        return;
    json_t *patch = json_body(req, resp, true);
    if (!patch)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    json_t *all = e.errors = json_array();
    int rc = registry_patch(api->reg, &a, coll->id, id, rev, patch, &out, &e);
    json_decref(patch);
    if (rc < 0) {
        problem_all(resp, &e, all);
        return;
    }
    json_decref(all);
    answer_record(resp, 200, out);
}

static void h_delete(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    struct actor a;
    const struct model_collection *coll;
    const char *id;
    int64_t rev;
    if (record_request(api, req, resp, true, NULL, &coll, &id, &a) < 0 ||
        if_match_required(req, resp, &rev) < 0)
        return;
    struct err e = ERR_INIT;
    if (registry_retire(api->reg, &a, coll->id, id, rev < 0 ? -1 : rev, &e) < 0)
        http_resp_problem(resp, &e);
    else
        http_resp_bytes(resp, 204, "application/json", "", 0);
}

static bool restricted_in_collection(const struct model *m, const char *coll, const char *field)
{
    const struct model_collection *c = model_collection(m, coll);
    for (size_t i = 0; c && i < c->n_kinds; i++) {
        const struct model_field *f = model_field(model_kind(m, c->kinds[i]), field);
        if (f && f->restricted)
            return true;
    }
    return false;
}

/* Drops the changes of restricted fields the actor may not read. When the
 * record's current state cannot be read (retired), they are dropped for
 * everyone but system actors. */
static void redact_history(struct api *api, struct http_req *req, const struct actor *a,
                           const char *coll, const char *id, json_t *hist)
{
    if (a->system)
        return;
    char *json = NULL;
    int64_t rev;
    struct err e = ERR_INIT;
    json_t *cur = NULL;
    if (registry_get_raw(api->reg, req->arena, coll, id, &json, &rev, &e) == 0)
        cur = json_loads(json, 0, NULL);
    bool hide = true;
    if (cur) {
        /* whether restricted fields are hidden does not depend on their values */
        const char *kind = json_string_value(json_object_get(cur, "kind"));
        const struct model_kind *k = kind ? model_kind(api->model, kind) : NULL;
        for (size_t i = 0; k && i < k->n_fields; i++)
            if (k->fields[i].restricted)
                json_object_set_new(cur, k->fields[i].name, json_string(""));
        hide = registry_redact(api->reg, a, cur);
        json_decref(cur);
    }
    json_t *items = json_object_get(hist, "items");
    for (size_t i = 0; hide && i < json_array_size(items); i++) {
        json_t *changes = json_object_get(json_array_get(items, i), "changes");
        for (size_t j = json_array_size(changes); j-- > 0;) {
            const char *field = json_string_value(json_object_get(json_array_get(changes, j), "field"));
            if (field && restricted_in_collection(api->model, coll, field))
                json_array_remove(changes, j);
        }
    }
}

/* May the actor read the record (retired ones too)? Answers 404 if not. */
static bool readable(struct api *api, struct http_resp *resp, const struct actor *a,
                     const char *coll, const char *id)
{
    json_t *cur = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(api->reg, a, coll, id, &cur, &e) < 0 && e.status != 410) {
        http_resp_problem(resp, &e);
        return false;
    }
    json_decref(cur);
    return true;
}

static void h_history(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, NULL, &coll, &id, &a) < 0)
        return;
    if (!readable(api, resp, &a, coll->id, id))
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_history(api->reg, &a, coll->id, id, &out, &e);
    if (rc == 0)
        redact_history(api, req, &a, coll->id, id, out);
    answer(resp, rc, &e, out);
}

/* Drops relations whose other end the actor may not see (a draft of
 * another organisation must not show through its links). */
static void drop_hidden_ends(struct api *api, const struct actor *a, const char *id, json_t *rels)
{
    json_t *items = json_object_get(rels, "items");
    for (size_t i = json_array_size(items); i-- > 0;) {
        json_t *rel = json_array_get(items, i);
        const char *src = json_string_value(json_object_get(rel, "source"));
        const char *dst = json_string_value(json_object_get(rel, "target"));
        const char *other = src && strcmp(src, id) != 0 ? src : dst;
        json_t *rec = NULL;
        struct err e = ERR_INIT;
        if (!other || registry_get_visible(api->reg, a, NULL, other, &rec, &e) < 0) {
            if (e.status != 410)
                json_array_remove(items, i);
        }
        json_decref(rec);
    }
}

static void h_relations(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"direction", "type", NULL};
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, allowed, &coll, &id, &a) < 0)
        return;
    if (!readable(api, resp, &a, coll->id, id))
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_relations_of(api->reg, coll->id, id, http_req_query(req, "direction"),
                                   http_req_query(req, "type"), &out, &e);
    if (rc == 0 && !a.system)
        drop_hidden_ends(api, &a, id, out);
    answer(resp, rc, &e, out);
}

int api_at_query(struct http_req *req, bool *set, int64_t *ms, struct err *e)
{
    const char *at = http_req_query(req, "at");
    *set = at != NULL;
    if (at && time_parse_rfc3339(at, ms) < 0) {
        err_bad_request(e, "at", "'at' must be an RFC 3339 date-time");
        return -1;
    }
    return 0;
}

/* ?direction=out|in|both&depth=N&types=…&at=<RFC 3339>: the walk asked for. */
static int trace_query(struct api *api, struct http_req *req, struct registry_trace_query *q,
                       struct err *e)
{
    const char *dir = http_req_query(req, "direction"), *depth = http_req_query(req, "depth");
    if (api_at_query(req, &q->at_set, &q->at_ms, e) < 0)
        return -1;
    if (!dir)
        dir = "both";
    q->out = strcmp(dir, "out") == 0 || strcmp(dir, "both") == 0;
    q->in = strcmp(dir, "in") == 0 || strcmp(dir, "both") == 0;
    if (!q->out && !q->in) {
        err_bad_request(e, "direction", "direction must be out, in or both");
        return -1;
    }
    q->depth = REGISTRY_TRACE_MAX_DEPTH;
    if (depth) {
        char *end = NULL;
        long n = strtol(depth, &end, 10);
        if (!*depth || *end || n < 1 || n > REGISTRY_TRACE_MAX_DEPTH) {
            err_bad_request(e, "depth", "depth must be an integer from 1 to %d",
                            REGISTRY_TRACE_MAX_DEPTH);
            return -1;
        }
        q->depth = (int)n;
    }
    return registry_trace_types(api->model, req->arena, http_req_query(req, "types"), &q->types,
                                &q->type_ways, e);
}

static void h_trace(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"direction", "depth", "types", "at", NULL};
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, allowed, &coll, &id, &a) < 0)
        return;
    struct registry_trace_query q = {0};
    char *out = NULL;
    size_t len = 0;
    struct err e = ERR_INIT;
    int rc = -1;
    if (coll->type == COLL_RELATIONS)
        err_bad_request(&e, "collection", "a trace starts from a record, not a relation");
    else if (trace_query(api, req, &q, &e) == 0)
        rc = registry_trace_text(api->reg, &a, coll->id, id, &q, &out, &len, &e);
    if (rc < 0)
        http_resp_problem(resp, &e);
    else
        http_resp_bytes(resp, 200, "application/json", out, len);
    free(out);
}

/* GET /api/v1/{collection}/{id}/views/{name}[?at=<RFC 3339>]: the
 * record's view as its kind declares it (issue 15), now or as of then
 * (REQ ARC-12). */
static void h_view(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"at", NULL};
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, allowed, &coll, &id, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = -1;
    struct registry_view_query q = {0};
    if (coll->type == COLL_RELATIONS)
        err_bad_request(&e, "collection", "a view is of a record, not a relation");
    else if (api_at_query(req, &q.at_set, &q.at_ms, &e) == 0)
        rc = registry_view(api->reg, &a, coll->id, id, http_req_param(req, "name"), &q, &out, &e);
    answer(resp, rc, &e, out);
}

void api_routes(struct api *api, struct router *rt)
{
    api_account_routes(api, rt);
    api_workflow_routes(api, rt);
    api_notify_routes(api, rt);
    api_arch_routes(api, rt);
    api_rows_routes(api, rt);
    api_openapi_routes(api, rt);
    if (api->docs)
        api_docs_routes(api, rt);
    router_add(rt, "GET", "/healthz", h_healthz, api);
    router_add(rt, "GET", "/metrics", h_metrics, api);
    router_add(rt, "GET", "/api/v1/model", h_model, api);
    router_add(rt, "GET", "/api/v1/rules", h_rules, api);
    router_add(rt, "GET", "/api/v1/{collection}", h_list, api);
    router_add(rt, "POST", "/api/v1/{collection}", h_create, api);
    router_add(rt, "GET", "/api/v1/{collection}/facets", h_facets, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}", h_get, api);
    router_add(rt, "PATCH", "/api/v1/{collection}/{id}", h_patch, api);
    router_add(rt, "DELETE", "/api/v1/{collection}/{id}", h_delete, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/history", h_history, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/relations", h_relations, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/trace", h_trace, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/views/{name}", h_view, api);
}
