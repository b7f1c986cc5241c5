/* test_http: unit tests of the HTTP layer through its public interface:
 * the router, the query parser and percent-decoding, the response builders
 * (problem documents in particular), the metrics exposition, and a real
 * server on a free loopback port driven by a small blocking socket
 * client that writes raw HTTP/1.1. */
#include "http/http.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- helpers ----------------------------------------------------------- */

static void h_noop(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_resp_bytes(resp, 204, "text/plain", "", 0);
}

static void h_other(struct http_req *req, struct http_resp *resp, void *ctx)
{
    h_noop(req, resp, ctx);
}

/* The project's real route set, each pattern tagged with a distinct ctx. */
static const char *const project_routes[] = {
    "/healthz",
    "/metrics",
    "/api/v1/model",
    "/api/v1/{collection}",
    "/api/v1/{collection}/facets",
    "/api/v1/{collection}/{id}",
    "/api/v1/{collection}/{id}/history",
    "/api/v1/{collection}/{id}/relations",
    NULL,
};

static struct router *project_router(void)
{
    struct router *r = router_new();
    for (size_t i = 0; project_routes[i]; i++)
        router_add(r, "GET", project_routes[i], h_noop, (void *)project_routes[i]);
    router_add(r, "POST", "/api/v1/{collection}", h_other, NULL);
    router_add(r, "PATCH", "/api/v1/{collection}/{id}", h_other, NULL);
    router_add(r, "DELETE", "/api/v1/{collection}/{id}", h_other, NULL);
    return r;
}

struct rt {
    struct arena *a;
    struct http_req req;
    http_handler h;
    void *ctx;
    const char *allow;
};

static enum router_result match(const struct router *r, struct rt *t, const char *method,
                                const char *path)
{
    if (t->a)
        arena_free(t->a);
    memset(t, 0, sizeof *t);
    t->a = arena_new();
    t->req.arena = t->a;
    t->req.method = method;
    t->req.path = path;
    return router_match(r, &t->req, &t->h, &t->ctx, &t->allow);
}

/* ---- router ------------------------------------------------------------ */

static void test_router_params(void **state)
{
    (void)state;
    struct router *r = project_router();
    struct rt t = {0};
    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/abc-1"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/{collection}/{id}");
    assert_int_equal(t.req.n_params, 2);
    assert_string_equal(http_req_param(&t.req, "collection"), "objects");
    assert_string_equal(http_req_param(&t.req, "id"), "abc-1");
    assert_null(http_req_param(&t.req, "nope"));
    assert_ptr_equal(t.h, h_noop);

    /* Each segment is decoded on its own: %2F stays inside the parameter. */
    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/a%2Fb%20c"), ROUTE_FOUND);
    assert_string_equal(http_req_param(&t.req, "id"), "a/b c");
    assert_string_equal(t.req.route, "/api/v1/{collection}/{id}");

    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/x/history"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/{collection}/{id}/history");
    assert_int_equal(match(r, &t, "GET", "/api/v1/%D0%BE%D0%B1/x"), ROUTE_FOUND);
    assert_string_equal(http_req_param(&t.req, "collection"), "об");

    assert_int_equal(match(r, &t, "GET", "/healthz"), ROUTE_FOUND);
    assert_int_equal(t.req.n_params, 0);
    arena_free(t.a);
    router_free(r);
}

static void test_router_literal_precedence(void **state)
{
    (void)state;
    struct router *r = project_router();
    struct rt t = {0};
    assert_int_equal(match(r, &t, "GET", "/api/v1/model"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/model");
    assert_int_equal(match(r, &t, "GET", "/api/v1/orgs/facets"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/{collection}/facets");
    assert_string_equal(http_req_param(&t.req, "collection"), "orgs");
    /* Backtracking: "model" has no child "x", so {collection}/{id} takes it. */
    assert_int_equal(match(r, &t, "GET", "/api/v1/model/x"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/{collection}/{id}");
    assert_string_equal(http_req_param(&t.req, "collection"), "model");
    assert_int_equal(match(r, &t, "GET", "/api/v1/model/facets"), ROUTE_FOUND);
    assert_string_equal(t.req.route, "/api/v1/{collection}/facets");
    arena_free(t.a);
    router_free(r);
}

static void test_router_not_found(void **state)
{
    (void)state;
    struct router *r = project_router();
    struct rt t = {0};
    assert_int_equal(match(r, &t, "GET", "/nope"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/api"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/api/v1/a/b/c/d"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/healthz/"), ROUTE_NOT_FOUND);
    assert_int_equal(match(r, &t, "GET", "/HEALTHZ"), ROUTE_NOT_FOUND);
    arena_free(t.a);
    router_free(r);
}

static void test_router_method_not_allowed(void **state)
{
    (void)state;
    struct router *r = project_router();
    struct rt t = {0};
    assert_int_equal(match(r, &t, "DELETE", "/healthz"), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(t.allow, "GET, HEAD");
    assert_int_equal(match(r, &t, "PUT", "/api/v1/objects/1"), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(t.allow, "GET, HEAD, PATCH, DELETE");
    /* The literal pattern names the resource even though {collection}
     * would take POST. */
    assert_int_equal(match(r, &t, "POST", "/api/v1/model"), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(t.allow, "GET, HEAD");
    assert_int_equal(match(r, &t, "BREW", "/api/v1/objects"), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(t.allow, "GET, HEAD, POST");
    assert_int_equal(match(r, &t, "", "/healthz"), ROUTE_METHOD_NOT_ALLOWED);
    /* HEAD is served by the GET handler. */
    assert_int_equal(match(r, &t, "HEAD", "/metrics"), ROUTE_FOUND);
    assert_ptr_equal(t.h, h_noop);
    assert_string_equal(t.req.route, "/metrics");
    arena_free(t.a);
    router_free(r);
}

static void test_router_custom_methods(void **state)
{
    (void)state;
    struct router *r = router_new();
    router_add(r, "REPORT", "/x", h_noop, NULL);
    router_add(r, "HEAD", "/x", h_other, NULL);
    router_add(r, "POST", "/x", h_noop, NULL);
    struct rt t = {0};
    assert_int_equal(match(r, &t, "HEAD", "/x"), ROUTE_FOUND);
    assert_ptr_equal(t.h, h_other);
    assert_int_equal(match(r, &t, "GET", "/x"), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(t.allow, "HEAD, POST, REPORT");
    router_add(r, "GET", "/", h_other, NULL);
    assert_int_equal(match(r, &t, "GET", "/"), ROUTE_FOUND);
    assert_ptr_equal(t.h, h_other);
    arena_free(t.a);
    router_free(r);
}

static void test_router_bad_paths(void **state)
{
    (void)state;
    struct router *r = project_router();
    struct rt t = {0};
    static const char *const bad[] = {
        "/api/v1/%2e%2e/x",
        "/api/v1/%2E%2e",
        "/api/v1/../model",
        "/api/v1/./model",
        "/api/v1/objects/..",
        "/api/v1/objects/.",
        "/api/v1/objects/a%00b",
        "/api/v1/objects/%C3%28",
        "/api/v1/objects/%C0%AF",
        "/api/v1/objects/%ED%A0%80",
        "/api/v1/objects/%",
        "/api/v1/objects/%4",
        "/api/v1/objects/%G1",
        "/api/v1/objects/\xff",
        "//api/v1/model",
        "/api//v1/model",
        "/api/v1/objects//",
        "//",
        "",
        "api/v1/model",
        "*",
        "http://x/healthz",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum router_result res = match(r, &t, "GET", bad[i]);
        if (res != ROUTE_BAD_PATH)
            fail_msg("path \"%s\": expected ROUTE_BAD_PATH, got %d", bad[i], (int)res);
    }
    assert_int_equal(match(r, &t, "GET", NULL), ROUTE_BAD_PATH);

    /* Length and depth limits. */
    char long_path[2100];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(match(r, &t, "GET", long_path), ROUTE_BAD_PATH);
    long_path[2048] = '\0';
    assert_int_equal(match(r, &t, "GET", long_path), ROUTE_NOT_FOUND);
    char deep[2 * 33 + 1];
    for (int i = 0; i < 33; i++) {
        deep[2 * i] = '/';
        deep[2 * i + 1] = 'a';
    }
    deep[2 * 33] = '\0';
    assert_int_equal(match(r, &t, "GET", deep), ROUTE_BAD_PATH);
    deep[2 * 32] = '\0'; /* 32 segments */
    assert_int_equal(match(r, &t, "GET", deep), ROUTE_NOT_FOUND);
    /* Dots inside a segment are fine. */
    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/a..b"), ROUTE_FOUND);
    assert_int_equal(match(r, &t, "GET", "/api/v1/objects/.hidden"), ROUTE_FOUND);
    arena_free(t.a);
    router_free(r);
}

/* ---- query parsing and percent-decoding -------------------------------- */

static void test_pct_decode(void **state)
{
    (void)state;
    struct arena *a = arena_new();
    assert_string_equal(http_pct_decode(a, "a%20b", 5, false), "a b");
    assert_string_equal(http_pct_decode(a, "%41%4a%4A", 9, false), "AJJ");
    assert_string_equal(http_pct_decode(a, "a+b", 3, false), "a+b");
    assert_string_equal(http_pct_decode(a, "a+b", 3, true), "a b");
    assert_string_equal(http_pct_decode(a, "%2B", 3, true), "+");
    assert_string_equal(http_pct_decode(a, "%D0%B0%D2%9B", 12, false), "ақ");
    assert_string_equal(http_pct_decode(a, "", 0, false), "");
    /* Only n bytes are read. */
    assert_string_equal(http_pct_decode(a, "abc%ZZ", 3, false), "abc");
    assert_null(http_pct_decode(a, "%", 1, false));
    assert_null(http_pct_decode(a, "%4", 2, false));
    assert_null(http_pct_decode(a, "%4G", 3, false));
    assert_null(http_pct_decode(a, "%41%4", 5, false));
    assert_null(http_pct_decode(a, "%00", 3, false));
    assert_null(http_pct_decode(a, "a\0b", 3, false));
    assert_null(http_pct_decode(a, "%C3%28", 6, false));
    assert_null(http_pct_decode(a, "%C0%AF", 6, false));        /* overlong '/' */
    assert_null(http_pct_decode(a, "%ED%A0%80", 9, false));     /* surrogate */
    assert_null(http_pct_decode(a, "%F4%90%80%80", 12, false)); /* > U+10FFFF */
    assert_null(http_pct_decode(a, "\xC3", 1, false));
    arena_free(a);
}

static void query_setup(struct http_req *req)
{
    memset(req, 0, sizeof *req);
    req->arena = arena_new();
}

static void test_query_basic(void **state)
{
    (void)state;
    struct http_req req;
    struct err e = ERR_INIT;
    query_setup(&req);
    assert_int_equal(http_parse_query(&req, "a=1&b=x+y&a=2&&flag&c=%D0%B0%2B&=v&", &e), 0);
    assert_int_equal(req.n_query, 6);
    assert_string_equal(http_req_query(&req, "a"), "1");
    assert_string_equal(http_req_query(&req, "b"), "x y");
    assert_string_equal(http_req_query(&req, "flag"), "");
    assert_string_equal(http_req_query(&req, "c"), "а+");
    assert_string_equal(http_req_query(&req, ""), "v");
    assert_null(http_req_query(&req, "zzz"));
    const char *vals[4];
    assert_int_equal(http_req_query_all(&req, "a", vals, 4), 2);
    assert_string_equal(vals[0], "1");
    assert_string_equal(vals[1], "2");
    assert_int_equal(http_req_query_all(&req, "a", vals, 1), 1);
    assert_int_equal(http_req_query_all(&req, "zzz", vals, 4), 0);
    /* Keys are decoded too, and order is kept. */
    assert_int_equal(http_parse_query(&req, "x%5B0%5D=a=b&y", &e), 0);
    assert_int_equal(req.n_query, 2);
    assert_string_equal(req.query[0].key, "x[0]");
    assert_string_equal(req.query[0].value, "a=b");
    assert_string_equal(req.query[1].key, "y");
    assert_int_equal(http_parse_query(&req, NULL, &e), 0);
    assert_int_equal(req.n_query, 0);
    assert_int_equal(http_parse_query(&req, "", &e), 0);
    assert_int_equal(http_parse_query(&req, "&&&", &e), 0);
    assert_int_equal(req.n_query, 0);
    arena_free(req.arena);
}

static void test_query_errors(void **state)
{
    (void)state;
    struct http_req req;
    struct err e = ERR_INIT;
    query_setup(&req);
    assert_int_equal(http_parse_query(&req, "ok=1&name=%ZZ", &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.type, "bad-request");
    assert_string_equal(e.field, "name");
    err_clear(&e);
    assert_int_equal(http_parse_query(&req, "q=%C3%28", &e), -1);
    assert_string_equal(e.field, "q");
    err_clear(&e);
    assert_int_equal(http_parse_query(&req, "q=a%00b", &e), -1);
    assert_string_equal(e.field, "q");
    err_clear(&e);
    assert_int_equal(http_parse_query(&req, "bad%G=1", &e), -1);
    assert_string_equal(e.field, "bad%G");
    err_clear(&e);
    assert_int_equal(http_parse_query(&req, "%FF=1", &e), -1);
    assert_int_equal(e.status, 400);
    err_clear(&e);
    assert_int_equal(http_parse_query(&req, "q=%", &e), -1);
    arena_free(req.arena);
}

static void test_query_too_many(void **state)
{
    (void)state;
    struct http_req req;
    struct err e = ERR_INIT;
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < HTTP_MAX_QUERY; i++)
        assert_int_equal(buf_printf(&b, "%sk%d=%d", i ? "&" : "", i, i), 0);
    query_setup(&req);
    assert_int_equal(http_parse_query(&req, b.p, &e), 0);
    assert_int_equal(req.n_query, HTTP_MAX_QUERY);
    assert_int_equal(buf_puts(&b, "&&&"), 0); /* empty pairs do not count */
    assert_int_equal(http_parse_query(&req, b.p, &e), 0);
    assert_int_equal(buf_puts(&b, "&one=more"), 0);
    assert_int_equal(http_parse_query(&req, b.p, &e), -1);
    assert_int_equal(e.status, 400);
    assert_non_null(strstr(e.detail, "too many query parameters"));
    buf_free(&b);
    arena_free(req.arena);
}

/* ---- responses ----------------------------------------------------------- */

static void resp_setup(struct http_resp *r)
{
    memset(r, 0, sizeof *r);
    r->arena = arena_new();
    buf_init(&r->body, 0);
}

static void resp_teardown(struct http_resp *r)
{
    buf_free(&r->body);
    arena_free(r->arena);
}

/* REQ: X-INT-01 */
static void test_problem_shape(void **state)
{
    (void)state;
    struct http_resp r;
    resp_setup(&r);
    struct err e = ERR_INIT;
    err_invalid(&e, "/name", "name must not be empty");
    http_resp_problem(&r, &e);
    assert_int_equal(r.status, 422);
    assert_true(r.problem);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_string_equal(r.body.p, "{\"type\":\"urn:archportal:problem:validation-failed\","
                                  "\"title\":\"Unprocessable Content\",\"status\":422,"
                                  "\"detail\":\"name must not be empty\",\"field\":\"/name\"}");

    /* No field: no "field" member. */
    err_not_found(&e, "no such object");
    http_resp_problem(&r, &e);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body.p, "{\"type\":\"urn:archportal:problem:not-found\","
                                  "\"title\":\"Not Found\",\"status\":404,"
                                  "\"detail\":\"no such object\"}");

    /* A nonsense status becomes 500; truncated UTF-8 still yields JSON. */
    struct err odd = ERR_INIT;
    err_set(&odd, 200, "weird", "f\xD0", "bad \xC3(");
    http_resp_problem(&r, &odd);
    assert_int_equal(r.status, 500);
    json_error_t je;
    json_t *j = json_loads(r.body.p, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Internal Server Error");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 500);
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "bad \xEF\xBF\xBD(");
    json_decref(j);

    http_resp_problem(&r, NULL);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body.p, "urn:archportal:problem:internal-error"));
    assert_string_equal(http_problem_type(r.arena, "conflict"), "urn:archportal:problem:conflict");
    resp_teardown(&r);
}

/* REQ: X-INT-01 */
static void test_resp_json(void **state)
{
    (void)state;
    struct http_resp r;
    resp_setup(&r);
    json_t *o = json_object();
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_string("қ"));
    http_resp_json(&r, 201, o);
    assert_int_equal(r.status, 201);
    assert_false(r.problem);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body.p, "{\"z\":1,\"a\":\"қ\"}");

    http_resp_json(&r, 200, NULL);
    assert_int_equal(r.status, 500);
    assert_true(r.problem);
    assert_string_equal(r.content_type, "application/problem+json");

    http_resp_bytes(&r, 200, "text/csv", "a,b\n", 4);
    assert_int_equal(r.status, 200);
    assert_false(r.problem);
    assert_int_equal(r.body.len, 4);
    assert_string_equal(r.content_type, "text/csv");

    /* a page's buffer taken over as the body, not copied; the buffer
     * left empty for its owner to free */
    struct buf page;
    buf_init(&page, 0);
    buf_puts(&page, "<p>page</p>");
    const char *bytes = page.p;
    http_resp_buf(&r, 201, "text/html", &page);
    assert_int_equal(r.status, 201);
    assert_false(r.problem);
    assert_string_equal(r.content_type, "text/html");
    assert_ptr_equal(r.body.p, bytes);
    assert_int_equal(r.body.len, 11);
    assert_int_equal(page.len, 0);
    buf_free(&page);
    resp_teardown(&r);
}

static void test_resp_headers(void **state)
{
    (void)state;
    struct http_resp r;
    resp_setup(&r);
    log_set_level(LOG_ERROR); /* the drops below warn */
    http_resp_header(&r, "ETag", "\"r1\"");
    http_resp_header(&r, "X-Bad", "a\r\nSet-Cookie: x=1");
    http_resp_header(&r, "Bad Name", "v");
    http_resp_header(&r, "", "v");
    assert_int_equal(r.n_headers, 1);
    assert_string_equal(r.headers[0].key, "ETag");
    assert_string_equal(r.headers[0].value, "\"r1\"");
    for (int i = 0; i < HTTP_MAX_HEADERS + 5; i++)
        http_resp_header(&r, "X-N", "v");
    assert_int_equal(r.n_headers, HTTP_MAX_HEADERS);
    log_set_level(LOG_INFO);
    resp_teardown(&r);
}

/* ---- metrics ------------------------------------------------------------- */

static void extra_metrics(struct buf *out, void *ctx)
{
    assert_int_equal(buf_printf(out,
                                "# TYPE archportal_db_size_bytes gauge\n"
                                "archportal_db_size_bytes %d\n",
                                *(int *)ctx),
                     0);
}

/* Every line is a comment or `name{labels} value` with a numeric value. */
static void check_exposition_lines(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        if (*p != '#') {
            const char *sp = nl;
            while (sp > p && sp[-1] != ' ')
                sp--;
            assert_true(sp > p);
            char *end = NULL;
            (void)strtod(sp, &end);
            assert_ptr_equal(end, nl);
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        }
        p = nl + 1;
    }
}

static void test_metrics_render(void **state)
{
    (void)state;
    http_metrics_reset();
    http_metrics_record("GET", "/healthz", 200, 2000000);   /* 2 ms */
    http_metrics_record("GET", "/healthz", 200, 300000000); /* 300 ms */
    http_metrics_record("GET", "/healthz", 404, 10);
    http_metrics_record("POST", "unmatched", 503, 5000000000); /* 5 s */
    http_metrics_record("BREW", "/pot", 418, 1);
    http_metrics_record("GET", "/we\"ird\\\nroute", 200, 1);
    int size = 4096;
    struct buf b;
    buf_init(&b, 0);
    http_metrics_render(&b, extra_metrics, &size);
    const char *t = b.p;
    check_exposition_lines(t);
    assert_non_null(strstr(t, "# HELP archportal_http_requests_total "));
    assert_non_null(strstr(t, "# TYPE archportal_http_requests_total counter\n"));
    assert_non_null(strstr(t, "# TYPE archportal_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(t, "# TYPE archportal_http_errors_total counter\n"));
    assert_non_null(strstr(
        t, "\narchportal_http_requests_total{method=\"GET\",route=\"/healthz\",code=\"200\"} 2\n"));
    assert_non_null(strstr(
        t, "\narchportal_http_requests_total{method=\"GET\",route=\"/healthz\",code=\"404\"} 1\n"));
    assert_non_null(strstr(t, "\narchportal_http_requests_by_class_total{method=\"GET\",route=\"/"
                              "healthz\",class=\"2xx\"} 2\n"));
    assert_non_null(strstr(
        t, "\narchportal_http_requests_total{method=\"other\",route=\"/pot\",code=\"418\"} 1\n"));
    const char *base =
        "archportal_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\"";
    char line[256];
    static const struct {
        const char *le;
        int n;
    } want[] = {{"0.001", 1}, {"0.0025", 2}, {"0.25", 2}, {"0.5", 3}, {"2.5", 3}, {"+Inf", 3}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(line, sizeof line, "\n%s,le=\"%s\"} %d\n", base, want[i].le, want[i].n);
        if (!strstr(t, line))
            fail_msg("missing %s", line);
    }
    assert_non_null(strstr(t, "\narchportal_http_request_duration_seconds_sum{method=\"GET\","
                              "route=\"/healthz\"} 0.302000010\n"));
    assert_non_null(strstr(t, "\narchportal_http_request_duration_seconds_count{method=\"GET\","
                              "route=\"/healthz\"} 3\n"));
    assert_non_null(strstr(t, "\narchportal_http_request_duration_seconds_bucket{method=\"POST\","
                              "route=\"unmatched\",le=\"2.5\"} 0\n"));
    assert_non_null(strstr(t, "route=\"/we\\\"ird\\\\\\nroute\""));
    assert_non_null(strstr(t, "\narchportal_http_errors_total{class=\"4xx\"} 2\n"));
    assert_non_null(strstr(t, "\narchportal_http_errors_total{class=\"5xx\"} 1\n"));
    /* The application's families come last. */
    const char *tail = "archportal_db_size_bytes 4096\n";
    assert_string_equal(t + b.len - strlen(tail), tail);
    buf_free(&b);
    http_metrics_reset();
}

static void test_metrics_series_cap(void **state)
{
    (void)state;
    http_metrics_reset();
    char route[32];
    for (int i = 0; i < 700; i++) {
        snprintf(route, sizeof route, "/r%d", i);
        http_metrics_record("GET", route, 200, 1000);
    }
    http_metrics_record("GET", "/r0", 200, 1000); /* an early series keeps counting */
    struct buf b;
    buf_init(&b, 0);
    http_metrics_render(&b, NULL, NULL);
    size_t series = 0;
    for (const char *p = b.p; (p = strstr(p, "_count{")) != NULL; p++)
        series++;
    assert_true(series <= 512);
    assert_true(series > 400);
    assert_non_null(strstr(b.p, "{method=\"GET\",route=\"other\",code=\"200\"}"));
    assert_non_null(strstr(b.p, "{method=\"GET\",route=\"/r0\",code=\"200\"} 2\n"));
    assert_null(strstr(b.p, "route=\"/r699\""));
    check_exposition_lines(b.p);
    buf_free(&b);
    http_metrics_reset();
}

/* ---- an in-process server ------------------------------------------------ */

static atomic_int slow_entered;

static void h_hello(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(req->path));
    const char *x = http_req_query(req, "x");
    json_object_set_new(o, "x", x ? json_string(x) : json_null());
    const char *h = http_req_header(req, "x-TeSt");
    json_object_set_new(o, "hdr", h ? json_string(h) : json_null());
    http_resp_header(resp, "X-Extra", "yes");
    http_resp_json(resp, 200, o);
}

static void h_echo(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
    http_resp_bytes(resp, 200, "application/octet-stream", req->body, req->body_len);
}

static void h_item(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
    json_t *o = json_object();
    json_object_set_new(o, "collection", json_string(http_req_param(req, "collection")));
    json_object_set_new(o, "id", json_string(http_req_param(req, "id")));
    http_resp_json(resp, 200, o);
}

static void h_slow(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    atomic_store(&slow_entered, 1);
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    http_resp_bytes(resp, 200, "text/plain", "done", 4);
}

static void h_silent(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)resp;
    (void)ctx; /* forgets to answer: the server must send a 500 */
}

static void h_fail(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    struct err e = ERR_INIT;
    err_set(&e, 409, "conflict", "rev", "revision mismatch");
    http_resp_problem(resp, &e);
}

struct srv {
    struct router *router;
    struct http_server *server;
    uint16_t port;
};

static struct srv *srv_start(bool access_log)
{
    struct srv *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->router = router_new();
    router_add(s->router, "GET", "/hello", h_hello, NULL);
    router_add(s->router, "POST", "/echo", h_echo, NULL);
    router_add(s->router, "GET", "/slow", h_slow, NULL);
    router_add(s->router, "GET", "/silent", h_silent, NULL);
    router_add(s->router, "GET", "/fail", h_fail, NULL);
    router_add(s->router, "GET", "/api/v1/{collection}/{id}", h_item, NULL);
    struct http_config cfg;
    http_config_defaults(&cfg);
    cfg.listen_addr = "127.0.0.1";
    cfg.port = 0;
    cfg.threads = 2;
    cfg.max_body = 1024;
    cfg.max_header = 8192;
    cfg.timeout_s = 5;
    cfg.access_log = access_log;
    struct err e = ERR_INIT;
    s->server = http_server_start(&cfg, s->router, &e);
    if (!s->server)
        fail_msg("server did not start: %s", e.detail);
    s->port = http_server_port(s->server);
    assert_true(s->port != 0);
    return s;
}

static void srv_stop(struct srv *s)
{
    if (s->server)
        http_server_stop(s->server);
    router_free(s->router);
    free(s);
}

static int srv_setup(void **state)
{
    http_metrics_reset();
    *state = srv_start(false);
    return 0;
}

/* The same with the access log on, to exercise it once. */
static int srv_setup_logged(void **state)
{
    http_metrics_reset();
    *state = srv_start(true);
    return 0;
}

static int srv_teardown(void **state)
{
    srv_stop(*state);
    http_metrics_reset();
    return 0;
}

struct reply {
    int status;
    char *raw; /* whole reply, NUL-terminated */
    size_t len;
    const char *body;
};

static int client_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends everything it can; the server may close early (an early 413). */
static void client_send(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        data += w;
        n -= (size_t)w;
    }
}

/* Reads until the server closes (requests carry Connection: close). */
static void client_read(int fd, struct reply *rep)
{
    struct buf b;
    buf_init(&b, 0);
    char chunk[4096];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r <= 0)
            break;
        assert_int_equal(buf_append(&b, chunk, (size_t)r), 0);
    }
    rep->raw = buf_steal(&b, &rep->len);
    rep->status = 0;
    if (strncmp(rep->raw, "HTTP/1.", 7) == 0 && rep->len >= 12)
        rep->status = (int)strtol(rep->raw + 9, NULL, 10);
    const char *sep = strstr(rep->raw, "\r\n\r\n");
    rep->body = sep ? sep + 4 : "";
}

static struct reply roundtrip(uint16_t port, const char *req, size_t n)
{
    struct reply rep = {0};
    int fd = client_connect(port);
    assert_true(fd >= 0);
    client_send(fd, req, n);
    client_read(fd, &rep);
    close(fd);
    return rep;
}

static struct reply get(uint16_t port, const char *method, const char *target)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\nX-Test: hi\r\nConnection: close\r\n\r\n",
                     method, target);
    assert_true(n > 0 && (size_t)n < sizeof req);
    return roundtrip(port, req, (size_t)n);
}

/* Whether the reply's head has the header line "name: value" (the name
 * compared case-insensitively, like the whole line). */
static bool has_header(const struct reply *rep, const char *line)
{
    char pat[256];
    int n = snprintf(pat, sizeof pat, "\r\n%s\r\n", line);
    assert_true(n > 0 && (size_t)n < sizeof pat);
    const char *end = strstr(rep->raw, "\r\n\r\n");
    const char *hit = strcasestr(rep->raw, pat);
    return hit && end && hit <= end;
}

static void test_server_ok(void **state)
{
    struct srv *s = *state;
    struct reply r = get(s->port, "GET", "/hello?x=a%20b+c&y");
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: application/json"));
    assert_true(has_header(&r, "X-Extra: yes"));
    assert_string_equal(r.body, "{\"path\":\"/hello\",\"x\":\"a b c\",\"hdr\":\"hi\"}");
    free(r.raw);

    r = get(s->port, "HEAD", "/hello");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    free(r.raw);

    /* MHD would have decoded %2F before splitting; we split the raw path. */
    r = get(s->port, "GET", "/api/v1/objects/a%2Fb");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"collection\":\"objects\",\"id\":\"a/b\"}");
    free(r.raw);

    const char post[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "Connection: close\r\n\r\nhello";
    r = roundtrip(s->port, post, sizeof post - 1);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    free(r.raw);

    const char chunked[] = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           "Connection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    r = roundtrip(s->port, chunked, sizeof chunked - 1);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "abcde");
    free(r.raw);
}

/* REQ: X-INT-01 */
static void test_server_problems(void **state)
{
    struct srv *s = *state;
    struct reply r = get(s->port, "GET", "/nope");
    assert_int_equal(r.status, 404);
    assert_true(has_header(&r, "Content-Type: application/problem+json"));
    assert_true(has_header(&r, "Cache-Control: no-store"));
    assert_non_null(strstr(r.body, "\"type\":\"urn:archportal:problem:not-found\""));
    assert_non_null(strstr(r.body, "\"status\":404"));
    free(r.raw);

    r = get(s->port, "DELETE", "/hello");
    assert_int_equal(r.status, 405);
    assert_true(has_header(&r, "Allow: GET, HEAD"));
    free(r.raw);

    r = get(s->port, "FROB", "/hello");
    assert_int_equal(r.status, 405);
    free(r.raw);

    r = get(s->port, "GET", "/hello?x=%ZZ");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"x\""));
    free(r.raw);

    r = get(s->port, "GET", "/api/v1/%2e%2e/x");
    assert_int_equal(r.status, 400);
    free(r.raw);

    r = get(s->port, "GET", "/fail");
    assert_int_equal(r.status, 409);
    assert_true(has_header(&r, "Cache-Control: no-store"));
    assert_non_null(strstr(r.body, "\"field\":\"rev\""));
    free(r.raw);

    r = get(s->port, "GET", "/silent");
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body, "internal-error"));
    free(r.raw);
}

static void test_server_body_limit(void **state)
{
    struct srv *s = *state;
    /* Declared too large: answered without reading (or sending) the body. */
    const char big_cl[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                          "Connection: close\r\n\r\n";
    struct reply r = roundtrip(s->port, big_cl, sizeof big_cl - 1);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "urn:archportal:problem:body-too-large"));
    free(r.raw);

    /* Exactly at the cap is fine. */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_printf(&b, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n"
                                    "Connection: close\r\n\r\n"),
                     0);
    for (int i = 0; i < 1024; i++)
        assert_int_equal(buf_putc(&b, 'z'), 0);
    r = roundtrip(s->port, b.p, b.len);
    assert_int_equal(r.status, 200);
    assert_int_equal(strlen(r.body), 1024);
    free(r.raw);

    /* Chunked, no length announced: found out while streaming. */
    buf_reset(&b);
    assert_int_equal(buf_puts(&b, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                  "Connection: close\r\n\r\n"),
                     0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(buf_puts(&b, "190\r\n"), 0); /* 400 bytes */
        for (int k = 0; k < 400; k++)
            assert_int_equal(buf_putc(&b, 'q'), 0);
        assert_int_equal(buf_puts(&b, "\r\n"), 0);
    }
    assert_int_equal(buf_puts(&b, "0\r\n\r\n"), 0);
    r = roundtrip(s->port, b.p, b.len);
    assert_int_equal(r.status, 413);
    assert_true(has_header(&r, "Content-Type: application/problem+json"));
    free(r.raw);
    buf_free(&b);
}

static void test_server_header_limit(void **state)
{
    struct srv *s = *state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: "), 0);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(buf_putc(&b, 'h'), 0);
    assert_int_equal(buf_puts(&b, "\r\nConnection: close\r\n\r\n"), 0);
    struct reply r = roundtrip(s->port, b.p, b.len);
    assert_int_equal(r.status, 431);
    free(r.raw);
    buf_free(&b);
    /* The server is still there. */
    r = get(s->port, "GET", "/hello");
    assert_int_equal(r.status, 200);
    free(r.raw);
}

static void test_server_garbage(void **state)
{
    struct srv *s = *state;
    static const char *const junk[] = {
        "\x01\x02\x03 garbage\r\n\r\n",
        "GET\r\n\r\n",
        "GET /hello HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /hello?\xff=\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n"
        "Connection: close\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\nzz\r\n",
        "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: x\r\nX-Bad\r\nConnection: close\r\n\r\n",
        "\r\n\r\nBREW /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        struct reply r = roundtrip(s->port, junk[i], strlen(junk[i]));
        if (r.status != 0 && (r.status < 400 || r.status > 599))
            fail_msg("junk %zu answered %d", i, r.status);
        free(r.raw);
    }
    struct reply r = get(s->port, "GET", "/hello");
    assert_int_equal(r.status, 200);
    free(r.raw);
    /* The absolute form of the request target (RFC 9112 3.2.2). */
    r = get(s->port, "GET", "http://localhost:1/api/v1/o/1?x=1");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"collection\":\"o\",\"id\":\"1\"}");
    free(r.raw);
}

static void test_server_metrics(void **state)
{
    struct srv *s = *state;
    struct reply r = get(s->port, "GET", "/hello");
    assert_int_equal(r.status, 200);
    free(r.raw);
    r = get(s->port, "GET", "/nope");
    assert_int_equal(r.status, 404);
    free(r.raw);
    struct buf b;
    buf_init(&b, 0);
    http_metrics_render(&b, NULL, NULL);
    assert_non_null(strstr(b.p, "archportal_http_requests_total{method=\"GET\",route=\"/hello\","
                                "code=\"200\"}"));
    assert_non_null(strstr(b.p, "archportal_http_requests_total{method=\"GET\",route=\"unmatched\","
                                "code=\"404\"}"));
    buf_free(&b);
}

struct slow_call {
    uint16_t port;
    struct reply rep;
};

static void *slow_client(void *arg)
{
    struct slow_call *sc = arg;
    int fd = client_connect(sc->port);
    if (fd < 0)
        return NULL;
    const char req[] = "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    client_send(fd, req, sizeof req - 1);
    client_read(fd, &sc->rep);
    close(fd);
    return NULL;
}

static void test_server_graceful_stop(void **state)
{
    (void)state;
    struct srv *s = srv_start(false);
    atomic_store(&slow_entered, 0);
    struct slow_call sc = {.port = s->port};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_client, &sc), 0);
    int64_t deadline = time_mono_ns() + 5000000000LL;
    while (!atomic_load(&slow_entered) && time_mono_ns() < deadline) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&slow_entered));
    int64_t t0 = time_mono_ns();
    http_server_stop(s->server);
    s->server = NULL;
    assert_true(time_mono_ns() - t0 < 5000000000LL);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_non_null(sc.rep.raw);
    assert_int_equal(sc.rep.status, 200);
    assert_string_equal(sc.rep.body, "done");
    free(sc.rep.raw);
    /* Nobody listens any more. */
    int fd = client_connect(s->port);
    if (fd >= 0)
        close(fd);
    assert_true(fd < 0);
    srv_stop(s);
}

struct pooled_call {
    uint16_t port;
    struct reply rep;
};

static atomic_int pooled_entered;

static void h_pooled(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    atomic_fetch_add(&pooled_entered, 1);
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    http_resp_bytes(resp, 200, "text/plain", "pooled", 6);
}

static void h_busy_page(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_resp_bytes(resp, 503, "text/html; charset=utf-8", "<p>busy</p>", 11);
}

static void *pooled_client(void *arg)
{
    struct pooled_call *pc = arg;
    pc->rep = get(pc->port, "GET", "/pooled");
    return NULL;
}

static void wait_entered(int n)
{
    int64_t deadline = time_mono_ns() + 5000000000LL;
    while (atomic_load(&pooled_entered) < n && time_mono_ns() < deadline) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(&pooled_entered) >= n);
}

/* A pooled route runs off the connection threads: with one connection
 * thread busy in a slow pooled handler, other requests are answered at
 * once; one more than the pool's threads and queue is a 503 at once. */
static void test_server_pooled_routes(void **state)
{
    (void)state;
    struct router *rt = router_new();
    router_add(rt, "GET", "/hello", h_hello, NULL);
    router_add_pooled(rt, "GET", "/pooled", h_pooled, NULL, NULL);
    router_add_pooled(rt, "GET", "/pooled-page", h_pooled, h_busy_page, NULL);
    struct http_config cfg;
    http_config_defaults(&cfg);
    cfg.port = 0;
    cfg.threads = 1; /* one connection thread: a handler on it would hold all */
    cfg.pool_threads = 1;
    cfg.pool_queue = 1;
    struct err e = ERR_INIT;
    struct http_server *server = http_server_start(&cfg, rt, &e);
    assert_non_null(server);
    uint16_t port = http_server_port(server);
    atomic_store(&pooled_entered, 0);
    struct pooled_call a = {.port = port}, b = {.port = port};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, pooled_client, &a), 0);
    wait_entered(1);
    assert_int_equal(pthread_create(&tb, NULL, pooled_client, &b), 0);
    struct timespec settle = {0, 100 * 1000000L}; /* b reaches the queue */
    nanosleep(&settle, NULL);
    int64_t t0 = time_mono_ns();
    struct reply r = get(port, "GET", "/hello");
    assert_int_equal(r.status, 200);
    free(r.raw);
    r = get(port, "GET", "/pooled"); /* a runs, b waits: no room */
    assert_true(time_mono_ns() - t0 < 300 * 1000000LL);
    assert_int_equal(r.status, 503);
    assert_true(has_header(&r, "Retry-After: 1"));
    assert_true(has_header(&r, "Content-Type: application/problem+json"));
    assert_non_null(strstr(r.body, "urn:archportal:problem:busy"));
    free(r.raw);
    r = get(port, "GET", "/pooled-page"); /* its own answer when full */
    assert_int_equal(r.status, 503);
    assert_true(has_header(&r, "Retry-After: 1"));
    assert_string_equal(r.body, "<p>busy</p>");
    free(r.raw);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(a.rep.status, 200);
    assert_string_equal(a.rep.body, "pooled");
    assert_int_equal(b.rep.status, 200);
    free(a.rep.raw);
    free(b.rep.raw);
    assert_int_equal(atomic_load(&pooled_entered), 2); /* the refused one never ran */
    http_server_stop(server);
    router_free(rt);
}

static void test_server_bad_listen(void **state)
{
    (void)state;
    struct router *r = router_new();
    struct http_config cfg;
    http_config_defaults(&cfg);
    cfg.listen_addr = "not-an-address";
    cfg.port = 0;
    struct err e = ERR_INIT;
    assert_null(http_server_start(&cfg, r, &e));
    assert_int_equal(e.status, 500);
    http_server_stop(NULL);
    router_free(r);
}

#define SERVER_TEST(f) cmocka_unit_test_setup_teardown(f, srv_setup, srv_teardown)

/* REQ: DOC-01 (downloads) */
static void test_range(void **state)
{
    uint64_t off = 7, len = 7;
    assert_int_equal(http_parse_range(NULL, 100, &off, &len), 0);
    assert_int_equal(http_parse_range("bytes=0-99", 1000, &off, &len), 1);
    assert_true(off == 0 && len == 100);
    assert_int_equal(http_parse_range("bytes=900-", 1000, &off, &len), 1);
    assert_true(off == 900 && len == 100);
    assert_int_equal(http_parse_range("bytes=900-5000", 1000, &off, &len), 1);
    assert_true(off == 900 && len == 100); /* the end is clipped */
    assert_int_equal(http_parse_range("bytes=-10", 1000, &off, &len), 1);
    assert_true(off == 990 && len == 10);
    assert_int_equal(http_parse_range("bytes=-5000", 1000, &off, &len), 1);
    assert_true(off == 0 && len == 1000);
    assert_int_equal(http_parse_range("bytes=1000-", 1000, &off, &len), -1);
    assert_int_equal(http_parse_range("bytes=-0", 1000, &off, &len), -1);
    assert_int_equal(http_parse_range("bytes=0-", 0, &off, &len), -1);
    assert_int_equal(http_parse_range("bytes=99999999999999999999999-", 10, &off, &len), -1);
    /* malformed, several ranges, other units: the whole representation */
    const char *whole[] = {"bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=", "bytes=-",
                           "bytes=a-b", "bytes=1-2x", "Bytes=0-1"};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        assert_int_equal(http_parse_range(whole[i], 1000, &off, &len), 0);
}

static void test_content_disposition(void **state)
{
    struct arena *a = arena_new();
    assert_string_equal(http_content_disposition(a, "spec.pdf", "x"),
                        "attachment; filename=\"spec.pdf\"; filename*=UTF-8''spec.pdf");
    assert_string_equal(http_content_disposition(a, "../../etc/pass\"wd\r\n.pdf", "x"),
                        "attachment; filename=\"passwd.pdf\"; filename*=UTF-8''passwd.pdf");
    assert_string_equal(http_content_disposition(a, "C:\\docs\\ТЗ 1.docx", "x"),
                        "attachment; filename=\"__ 1.docx\"; "
                        "filename*=UTF-8''%D0%A2%D0%97%201.docx");
    assert_string_equal(http_content_disposition(a, "...", "document"),
                        "attachment; filename=\"document\"; filename*=UTF-8''document");
    assert_string_equal(http_content_disposition(a, "\xff\xfe", ""), "attachment");
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_params),
        cmocka_unit_test(test_router_literal_precedence),
        cmocka_unit_test(test_router_not_found),
        cmocka_unit_test(test_router_method_not_allowed),
        cmocka_unit_test(test_router_custom_methods),
        cmocka_unit_test(test_router_bad_paths),
        cmocka_unit_test(test_pct_decode),
        cmocka_unit_test(test_query_basic),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_query_too_many),
        cmocka_unit_test(test_problem_shape),
        cmocka_unit_test(test_resp_json),
        cmocka_unit_test(test_resp_headers),
        cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_metrics_series_cap),
        cmocka_unit_test_setup_teardown(test_server_ok, srv_setup_logged, srv_teardown),
        SERVER_TEST(test_server_problems),
        SERVER_TEST(test_server_body_limit),
        SERVER_TEST(test_server_header_limit),
        SERVER_TEST(test_server_garbage),
        SERVER_TEST(test_server_metrics),
        cmocka_unit_test(test_server_graceful_stop),
        cmocka_unit_test(test_server_bad_listen),
        cmocka_unit_test(test_server_pooled_routes),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_content_disposition),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
