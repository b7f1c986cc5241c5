/* api-arch: the architecture's views over many records (src/arch):
 * GET /api/v1/{collection}/map?measure=&at=&<filter field>= — the map of a
 * collection that declares one; GET /api/v1/{collection}/matrix/{matrix}
 * ?<filter field>= — one of its matrices; GET /api/v1/gaps?collection=
 * &domain=&effect= — the target architecture's gap report. */
#include "api/internal.h"

#include "arch/arch.h"
#include "util/arena.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The filter's value (?<field>=<id>), or NULL; -1 after answering 400. */
static int filter_of(struct http_req *req, struct http_resp *resp, const char *field,
                     const char **out)
{
    *out = field ? http_req_query(req, field) : NULL;
    if (*out && !text_id_valid(*out)) {
        problem(resp, 400, "bad-request", field, "'%.60s' must be a record id", field);
        return -1;
    }
    return 0;
}

static void h_map(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    if (!c)
        return;
    if (!c->map) {
        problem(resp, 404, "not-found", "", "collection '%.60s' has no map", c->id);
        return;
    }
    const char *allowed[] = {"measure", "at", c->map->filter, NULL};
    const char *filter;
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, c->map->filter, &filter) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    bool at_set;
    int64_t at_ms;
    int rc = api_at_query(req, &at_set, &at_ms, &e);
    struct registry_at *at = rc == 0 && at_set ? registry_at_open(api->reg, &a, at_ms) : NULL;
    if (rc == 0)
        rc = arch_map_build(api->reg, api->docs, &a, c, http_req_query(req, "measure"), filter,
                            at, &out, &e);
    registry_at_close(at);
    answer(resp, rc, &e, out);
}

static void h_matrix(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    if (!c)
        return;
    const char *name = http_req_param(req, "matrix");
    const struct model_matrix *mx = NULL;
    for (size_t i = 0; name && i < c->n_matrices; i++)
        if (strcmp(c->matrices[i].id, name) == 0)
            mx = &c->matrices[i];
    if (!mx) {
        problem(resp, 404, "not-found", "", "collection '%.60s' has no matrix '%.60s'", c->id,
                name ? name : "");
        return;
    }
    const char *allowed[] = {mx->filter, NULL};
    const char *filter;
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, mx->filter, &filter) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = arch_matrix_build(api->reg, &a, c, mx, filter, &out, &e);
    answer(resp, rc, &e, out);
}

static void h_gaps(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    static const char *const allowed[] = {"collection", "domain", "effect", NULL};
    struct arch_gap_query q = {http_req_query(req, "collection"), NULL, http_req_query(req, "effect")};
    struct actor a;
    if (only_params(req, resp, allowed) < 0 || filter_of(req, resp, "domain", &q.domain) < 0 ||
        authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = arch_gaps(api->reg, &a, &q, &out, &e);
    answer(resp, rc, &e, out);
}

static const char *const none[] = {NULL};

/* GET /api/v1/{collection}/{id}/compare/{other}: two versions of the
 * architecture, element by element and field by field. */
static void h_compare(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    struct actor a;
    if (!c || only_params(req, resp, none) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = registry_snapshot_compare(api->reg, &a, c->id, http_req_param(req, "id"),
                                       http_req_param(req, "other"), &out, &e);
    answer(resp, rc, &e, out);
}

/* GET /api/v1/{collection}/{id}/content: a version's records as they were
 * (the published architecture in digital form, for everyone once it is
 * published), written to a temporary file and sent from there. */
static void h_content(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct api *api = ctx;
    const struct model_collection *c = collection_of(api, req, resp);
    struct actor a;
    if (!c || only_params(req, resp, none) < 0 || authenticate(api, req, resp, false, &a) < 0)
        return;
    struct err e = ERR_INIT;
    FILE *f = tmpfile();
    if (!f) {
        err_internal(&e, "cannot make a temporary file");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *id = http_req_param(req, "id");
    int rc = registry_snapshot_content(api->reg, &a, c->id, id, f, &e);
    long size = rc == 0 && fflush(f) == 0 && !ferror(f) ? ftell(f) : -1;
    int fd = size >= 0 ? dup(fileno(f)) : -1;
    fclose(f);
    if (rc < 0 || fd < 0) {
        if (fd >= 0)
            close(fd);
        if (rc == 0)
            err_internal(&e, "cannot write the version's content");
        answer(resp, -1, &e, NULL);
        return;
    }
    const char *name = arena_printf(req->arena, "architecture-%s.json", id);
    http_resp_header(resp, "Content-Disposition", http_content_disposition(req->arena, name, name));
    http_resp_file(resp, 200, "application/json", fd, 0, (uint64_t)size);
}

void api_arch_routes(struct api *api, struct router *rt)
{
    router_add(rt, "GET", "/api/v1/{collection}/{id}/compare/{other}", h_compare, api);
    router_add(rt, "GET", "/api/v1/{collection}/{id}/content", h_content, api);
    router_add(rt, "GET", "/api/v1/gaps", h_gaps, api);
    router_add(rt, "GET", "/api/v1/{collection}/map", h_map, api);
    router_add(rt, "GET", "/api/v1/{collection}/matrix/{matrix}", h_matrix, api);
}
