/* api-notify: HTTP handlers of the signed-in user's inbox. (The outbox's
 * administrator view is GET /api/v1/outbox in api-accounts.c.) */
#include "api/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_DEFAULT_LIMIT 100

/* A positive decimal integer of at most 18 digits, or -1. */
static int64_t positive(const char *s)
{
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return -1;
    int64_t v = strtoll(s, NULL, 10);
    return v > 0 ? v : -1;
}

static void h_inbox(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"unread", "limit", "before", NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    const char *unread = http_req_query(req, "unread");
    const char *limit = http_req_query(req, "limit");
    const char *before = http_req_query(req, "before");
    if (unread && strcmp(unread, "1") && strcmp(unread, "0") && strcmp(unread, "true") &&
        strcmp(unread, "false")) {
        problem(resp, 400, "bad-request", "unread", "'unread' is 1 (true) or 0 (false)");
        return;
    }
    int64_t n = limit ? positive(limit) : INBOX_DEFAULT_LIMIT;
    int64_t below = before ? positive(before) : 0;
    if (n < 0 || n > 500) {
        problem(resp, 400, "bad-request", "limit", "'limit' is 1..500");
        return;
    }
    if (below < 0) {
        problem(resp, 400, "bad-request", "before", "'before' is a message id");
        return;
    }
    bool only_unread = unread && (strcmp(unread, "1") == 0 || strcmp(unread, "true") == 0);
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = inbox_list(api->acct, &a, only_unread, below, (int)n, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_inbox_read(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {NULL};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || authenticate(api, req, resp, true, &a) < 0)
        return;
    int64_t id = positive(http_req_param(req, "id"));
    if (id < 0) {
        problem(resp, 404, "not-found", "", "no such message in your inbox");
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = inbox_read(api->acct, &a, id, &out, &e);
    answer(resp, rc, &e, out);
}

void api_notify_routes(struct api *api, struct router *rt)
{
    router_add(rt, "GET", "/api/v1/inbox", h_inbox, api);
    router_add(rt, "POST", "/api/v1/inbox/{id}/read", h_inbox_read, api);
}
