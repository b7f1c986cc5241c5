/* fuzz_router: libFuzzer target for router_match over the project's real
 * route set.
 *
 * Input: the first byte picks the method (including a nonsense one and the
 * empty string), the rest is the raw request path. Beyond "does not crash",
 * it checks what the router promises: matched parameters are non-empty,
 * valid UTF-8 without NUL; a 405 lists at least one method; the route is
 * one of the registered patterns. */
#include "http/http.h"

#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const patterns[] = {
    "/healthz",
    "/metrics",
    "/api/v1/model",
    "/api/v1/{collection}",
    "/api/v1/{collection}/facets",
    "/api/v1/{collection}/{id}",
    "/api/v1/{collection}/{id}/history",
    "/api/v1/{collection}/{id}/relations",
};
#define N_PATTERNS (sizeof patterns / sizeof patterns[0])

static const char *const methods[] = {"GET", "POST",    "PATCH", "DELETE", "HEAD",
                                      "PUT", "OPTIONS", "BREW",  ""};
#define N_METHODS (sizeof methods / sizeof methods[0])

static void nop(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)resp;
    (void)ctx;
}

/* Built once; the router is read-only afterwards, as in the server. */
static struct router *project_router(void)
{
    static struct router *r;
    if (r)
        return r;
    r = router_new();
    for (size_t p = 0; p < N_PATTERNS; p++)
        for (size_t m = 0; m < 4; m++) /* GET POST PATCH DELETE */
            router_add(r, methods[m], patterns[p], nop, (void *)patterns[p]);
    return r;
}

static void check_found(const struct http_req *req, void *ctx)
{
    if (!req->route || strcmp(req->route, (const char *)ctx) != 0)
        abort();
    for (size_t i = 0; i < req->n_params; i++) {
        const char *v = req->params[i].value;
        if (!v || !*v || !utf8_valid(v, strlen(v)) || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct arena *a = arena_new();
    struct http_req req;
    memset(&req, 0, sizeof req);
    req.arena = a;
    req.method = methods[data[0] % N_METHODS];
    req.path = arena_strndup(a, (const char *)data + 1, size - 1); /* stops at a NUL */
    http_handler h = NULL;
    void *ctx = NULL;
    const char *allow = NULL;
    switch (router_match(project_router(), &req, &h, &ctx, &allow)) {
    case ROUTE_FOUND:
        if (h != nop)
            abort();
        check_found(&req, ctx);
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        if (!allow || !*allow)
            abort();
        break;
    case ROUTE_NOT_FOUND:
    case ROUTE_BAD_PATH:
        break;
    }
    arena_free(a);
    return 0;
}
