/* api-workflow: HTTP handlers of the registration workflow — submit,
 * verify, a record's workflow timeline, and the verifier's queue. */
#include "api/internal.h"

#include <string.h>

/* The record a step is about, who takes it, and the revision it expects
 * (If-Match is optional: absent or "*" skip the check). -1 after answering. */
static int step_target(struct api *api, struct http_req *req, struct http_resp *resp,
                       const struct model_collection **coll, const char **id, struct actor *a,
                       int64_t *rev)
{
    if (record_request(api, req, resp, true, NULL, coll, id, a) < 0 ||
        if_match_checked(req, resp, rev) < 0)
        return -1;
    if (*rev < 0)
        *rev = -1;
    return 0;
}

static void h_submit(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    int64_t rev;
    if (step_target(api, req, resp, &coll, &id, &a, &rev) < 0)
        return;
    if (req->body_len > 0) {
        /* nothing to send; an empty JSON object is tolerated */
        json_t *body = json_body(req, resp, false);
        if (!body)
            return;
        size_t n = json_object_size(body);
        json_decref(body);
        if (n > 0) {
            problem(resp, 422, "unknown-field", "", "a submission takes no body");
            return;
        }
    }
    json_t *out = NULL, *gaps = NULL;
    struct err e = ERR_INIT;
    if (workflow_submit(api->wf, &a, coll->id, id, rev, &out, &gaps, &e) < 0)
        http_resp_problem_ext(resp, &e, "gaps", gaps);
    else
        answer_record(resp, 200, out);
}

static void h_verify(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    int64_t rev;
    if (step_target(api, req, resp, &coll, &id, &a, &rev) < 0)
        return;
    json_t *body = json_body(req, resp, false);
    if (!body)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = workflow_verify(api->wf, &a, coll->id, id, rev, body, &out, &e);
    json_decref(body);
    if (rc < 0)
        http_resp_problem(resp, &e);
    else
        answer_record(resp, 200, out);
}

static void h_timeline(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *coll;
    const char *id;
    struct actor a;
    if (record_request(api, req, resp, false, NULL, &coll, &id, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = workflow_timeline(api->wf, &a, coll->id, id, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_queue(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = workflow_queue(api->wf, &a, &out, &e);
    answer(resp, rc, &e, out);
}

void api_workflow_routes(struct api *api, struct router *rt)
{
    router_add(rt, "GET", "/api/v1/verification-queue", h_queue, api);
    router_add(rt, "POST", "/api/v1/{collection}/{id}/submit", h_submit, api);
    router_add(rt, "POST", "/api/v1/{collection}/{id}/verify", h_verify, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/workflow", h_timeline, api);
}
