/* api-docs: HTTP handlers of technical documentation — the streamed
 * upload (multipart/form-data), a record's checklist, a document's
 * metadata, and its download with ETag, Range and a safe file name. */
#include "api/internal.h"

#include "docs/documents.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- upload: POST /api/v1/{collection}/{id}/documents ---------------------------- */

static int up_begin(struct http_req *req, struct http_resp *resp, void *ctx, void **state)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, true, NULL, &coll, &id, &a) < 0)
        return -1;
    struct err e = ERR_INIT;
    struct docs_upload *u;
    if (docs_upload_begin(api->docs, &a, coll->id, id, &u, &e) < 0) {
        http_resp_problem(resp, &e);
        return -1;
    }
    *state = u;
    return 0;
}

static int up_part(void *state, const char *name, const char *filename, const char *content_type,
                   const char *data, uint64_t off, size_t n, struct err *e)
{
    return docs_upload_part(state, name, filename, content_type, data, off, n, e);
}

static void up_finish(void *state, struct http_req *req, struct http_resp *resp)
{
    json_t *doc = NULL, *problems = NULL;
    struct err e = ERR_INIT;
    if (docs_upload_finish(state, &doc, &problems, &e) < 0) {
        http_resp_problem_ext(resp, &e, "problems", problems);
        return;
    }
    http_resp_header(resp, "Location",
                     arena_printf(req->arena, "/api/v1/documents/%s",
                                  json_string_value(json_object_get(doc, "id"))));
    http_resp_json(resp, 201, doc);
}

static void up_cleanup(void *state, bool done)
{
    (void)done; /* what was recorded stays; the rest goes */
    docs_upload_free(state);
}

/* ---- reading ------------------------------------------------------------------------- */

static void h_checklist(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, NULL, &coll, &id, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = docs_checklist(api->docs, &a, coll->id, id, &out, &e);
    answer(resp, rc, &e, out);
}

/* An answer about one document or inclusion request named in the path:
 * fn(docs, actor, id, &out, e). */
typedef int (*by_id_fn)(struct docs *d, const struct actor *a, const char *id, json_t **out,
                        struct err *e);
static void answer_by_id(struct http_req *req, struct http_resp *resp, struct api *api,
                         const char *param, const char *what, by_id_fn fn)
{
    static const char *const allowed[] = {NULL};
    const char *id = id_param(req, resp, param, what);
    struct actor a;
    if (!id || only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = fn(api->docs, &a, id, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_document(struct http_req *req, struct http_resp *resp, void *ctx)
{
    answer_by_id(req, resp, ctx, "doc_id", "document", docs_get);
}

/* Does an If-None-Match or If-Range value name this ETag? */
static bool etag_listed(const char *header, const char *etag)
{
    if (strcmp(header, "*") == 0)
        return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(header, etag); p; p = strstr(p + 1, etag)) {
        bool start = p == header || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/';
        bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

static void h_content(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    const char *id = id_param(req, resp, "doc_id", "document");
    struct actor a;
    if (!id || only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    struct docs_file f;
    struct err e = ERR_INIT;
    if (docs_open(api->docs, &a, id, &f, &e) < 0) {
        http_resp_problem(resp, &e);
        return;
    }
    const char *etag = arena_printf(req->arena, "\"%s\"", f.sha256);
    http_resp_header(resp, "ETag", etag);
    http_resp_header(resp, "Accept-Ranges", "bytes");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "Cache-Control", f.public ? "public, max-age=3600" : "private, no-cache");
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && etag_listed(inm, etag)) {
        close(f.fd);
        http_resp_bytes(resp, 304, NULL, NULL, 0);
        return;
    }
    http_resp_header(resp, "Content-Disposition",
                     http_content_disposition(req->arena, f.file_name, "document"));
    uint64_t off = 0, len = f.size;
    const char *range = http_req_header(req, "Range");
    const char *if_range = http_req_header(req, "If-Range");
    int r = range && (!if_range || etag_listed(if_range, etag))
                ? http_parse_range(range, f.size, &off, &len)
                : 0;
    if (r < 0) {
        close(f.fd);
        http_resp_header(resp, "Content-Range",
                         arena_printf(req->arena, "bytes */%llu", (unsigned long long)f.size));
        struct err re = ERR_INIT;
        err_set(&re, 416, "range-not-satisfiable", "", "the document has %llu bytes",
                (unsigned long long)f.size);
        http_resp_problem(resp, &re);
        return;
    }
    if (r > 0)
        http_resp_header(resp, "Content-Range",
                         arena_printf(req->arena, "bytes %llu-%llu/%llu", (unsigned long long)off,
                                      (unsigned long long)(off + len - 1),
                                      (unsigned long long)f.size));
    http_resp_file(resp, r > 0 ? 206 : 200, f.media_type, f.fd, off, len);
}

/* The organisation's deadlines when the actor may read them: open ones,
 * those of them past due, and all missed ones (past due, or done late). */
static json_t *obligation_counts(struct api *api, const struct actor *a, const char *org)
{
    json_t *open = NULL, *missed = NULL;
    struct err e = ERR_INIT;
    if (obligation_list(api->acct, a, org, NULL, "open", &open, &e) < 0 ||
        obligation_list(api->acct, a, org, NULL, "overdue", &missed, &e) < 0) {
        json_decref(open);
        return NULL;
    }
    size_t i, overdue = 0;
    json_t *o;
    json_array_foreach(json_object_get(open, "items"), i, o)
        overdue += json_is_true(json_object_get(o, "overdue"));
    json_t *out = json_pack("{s:i, s:i, s:i}", "open",
                            (int)json_array_size(json_object_get(open, "items")), "overdue",
                            (int)overdue, "missed",
                            (int)json_array_size(json_object_get(missed, "items")));
    json_decref(open);
    json_decref(missed);
    return out;
}

/* GET /api/v1/{collection}/{id}/completeness: an object's, or an
 * organisation's objects' (with its open and overdue obligations). */
static void h_completeness(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, NULL, &coll, &id, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc;
    const struct model_kind *owner = model_owner_kind(api->model);
    if (owner && model_collection_has_kind(coll, owner->id)) {
        rc = docs_org_completeness(api->docs, &a, id, &out, &e);
        json_t *ob = rc == 0 ? obligation_counts(api, &a, id) : NULL;
        if (ob)
            json_object_set_new(out, "obligations", ob);
    } else {
        rc = docs_completeness(api->docs, &a, coll->id, id, &out, &e);
    }
    answer(resp, rc, &e, out);
}

/* ---- inclusion in the operator's list ---------------------------------------------- */

static void h_inclusion_request(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, true, NULL, &coll, &id, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = docs_inclusion_request(api->docs, &a, coll->id, id, body, &out, &e);
    json_decref(body);
    answer_created(resp, rc, &e, out);
}

static void h_inclusion_decide(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    const char *id = id_param(req, resp, "request_id", "inclusion request");
    struct actor a;
    if (!id || only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = docs_inclusion_decide(api->docs, &a, id, body, &out, &e);
    json_decref(body);
    answer(resp, rc, &e, out);
}

static void h_inclusion_list(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"status", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = docs_inclusion_list(api->docs, &a, http_req_query(req, "status"), &out, &e);
    answer(resp, rc, &e, out);
}

static void h_inclusion_get(struct http_req *req, struct http_resp *resp, void *ctx)
{
    answer_by_id(req, resp, ctx, "request_id", "inclusion request", docs_inclusion_get);
}

void api_docs_routes(struct api *api, struct router *rt)
{
    api->upload_ops = (struct http_stream_ops){
        .max_body = docs_max_upload(api->docs),
        .begin = up_begin,
        .part = up_part,
        .finish = up_finish,
        .cleanup = up_cleanup,
    };
    router_add_stream(rt, "POST", "/api/v1/{collection}/{id}/documents", &api->upload_ops, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/documents", h_checklist, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/completeness", h_completeness, api);
    router_add(rt, "GET", "/api/v1/documents/{doc_id}", h_document, api);
    router_add(rt, "GET", "/api/v1/documents/{doc_id}/content", h_content, api);
    router_add(rt, "POST", "/api/v1/{collection}/{id}/inclusion-requests", h_inclusion_request, api);
    router_add(rt, "GET", "/api/v1/inclusion-requests", h_inclusion_list, api);
    router_add(rt, "GET", "/api/v1/inclusion-requests/{request_id}", h_inclusion_get, api);
    router_add(rt, "POST", "/api/v1/inclusion-requests/{request_id}/decision", h_inclusion_decide,
               api);
}
