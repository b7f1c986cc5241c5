/* router: maps (method, raw path) to a handler.
 *
 * Patterns are stored in a segment trie: each node has literal children and
 * at most one "{param}" child. Matching splits the raw path on '/', decodes
 * every segment on its own (so "%2F" stays inside a parameter) and walks the
 * trie depth-first, literals before the parameter, backtracking when a
 * branch dead-ends. The first pattern in that order that matches the whole
 * path names the resource; if it lacks the method the answer is 405 with
 * its methods. The router is built once at start-up and then only read,
 * so matching is safe from any number of threads. */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_SEGMENTS 32

struct route_entry {
    char *method;
    char *pattern;
    http_handler handler;
    const struct http_stream_ops *stream;
    bool pooled;
    http_handler busy;
    void *ctx;
    char *names[HTTP_MAX_PARAMS];   /* parameter names in path order */
    size_t depths[HTTP_MAX_PARAMS]; /* the segment index of each */
    size_t n_names;
};

struct node {
    char *literal; /* NULL for the root and for parameter nodes */
    struct node **lits;
    size_t n_lits;
    struct node *param;
    struct route_entry *routes;
    size_t n_routes;
};

struct router {
    struct node root;
    http_handler fallback;
    void *fallback_ctx;
};

static void each_node(const struct node *n,
                      void (*fn)(void *ctx, const char *method, const char *pattern), void *ctx)
{
    for (size_t i = 0; i < n->n_routes; i++)
        fn(ctx, n->routes[i].method, n->routes[i].pattern);
    for (size_t i = 0; i < n->n_lits; i++)
        each_node(n->lits[i], fn, ctx);
    if (n->param)
        each_node(n->param, fn, ctx);
}

void router_each(const struct router *r,
                 void (*fn)(void *ctx, const char *method, const char *pattern), void *ctx)
{
    each_node(&r->root, fn, ctx);
}

void router_set_fallback(struct router *r, http_handler h, void *ctx)
{
    r->fallback = h;
    r->fallback_ctx = ctx;
}

/* No route: the fallback's, when there is one. */
static enum router_result not_found(const struct router *r, struct http_req *req,
                                    http_handler *h, void **ctx)
{
    if (!r->fallback)
        return ROUTE_NOT_FOUND;
    req->n_params = 0;
    req->route = "*";
    req->stream = NULL;
    req->pooled = false;
    req->busy = NULL;
    *h = r->fallback;
    *ctx = r->fallback_ctx;
    return ROUTE_FOUND;
}

struct router *router_new(void)
{
    return xcalloc(1, sizeof(struct router));
}

static void node_free_children(struct node *n)
{
    for (size_t i = 0; i < n->n_lits; i++) {
        node_free_children(n->lits[i]);
        free(n->lits[i]->literal);
        free(n->lits[i]);
    }
    free(n->lits);
    if (n->param) {
        node_free_children(n->param);
        free(n->param);
    }
    for (size_t i = 0; i < n->n_routes; i++) {
        struct route_entry *re = &n->routes[i];
        free(re->method);
        free(re->pattern);
        for (size_t k = 0; k < re->n_names; k++)
            free(re->names[k]);
    }
    free(n->routes);
}

void router_free(struct router *r)
{
    if (!r)
        return;
    node_free_children(&r->root);
    free(r);
}

/* ---- building ---------------------------------------------------------- */

static bool pattern_is_param(const char *seg, size_t n)
{
    return n >= 2 && seg[0] == '{' && seg[n - 1] == '}';
}

static void pattern_check_name(const char *pattern, const char *name, size_t n)
{
    if (n == 0)
        fatal("router: empty parameter name in \"%s\"", pattern);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            fatal("router: bad parameter name in \"%s\"", pattern);
    }
}

static struct node *node_literal_child(struct node *n, const char *seg, size_t len)
{
    for (size_t i = 0; i < n->n_lits; i++)
        if (strlen(n->lits[i]->literal) == len && memcmp(n->lits[i]->literal, seg, len) == 0)
            return n->lits[i];
    struct node *c = xcalloc(1, sizeof *c);
    c->literal = xmalloc(len + 1);
    memcpy(c->literal, seg, len);
    c->literal[len] = '\0';
    n->lits = xrealloc(n->lits, (n->n_lits + 1) * sizeof *n->lits);
    n->lits[n->n_lits++] = c;
    return c;
}

/* Descends (creating nodes) along one pattern segment; records a name. */
static struct node *pattern_step(struct node *n, const char *pattern, const char *seg, size_t len,
                                 size_t depth, struct route_entry *re)
{
    if (len == 0)
        fatal("router: empty segment in \"%s\"", pattern);
    if (!pattern_is_param(seg, len)) {
        if (memchr(seg, '{', len) || memchr(seg, '}', len) || memchr(seg, '%', len))
            fatal("router: bad literal segment in \"%s\"", pattern);
        return node_literal_child(n, seg, len);
    }
    pattern_check_name(pattern, seg + 1, len - 2);
    if (re->n_names >= HTTP_MAX_PARAMS)
        fatal("router: too many parameters in \"%s\"", pattern);
    re->names[re->n_names] = xmalloc(len - 1);
    memcpy(re->names[re->n_names], seg + 1, len - 2);
    re->names[re->n_names][len - 2] = '\0';
    re->depths[re->n_names] = depth;
    re->n_names++;
    if (!n->param)
        n->param = xcalloc(1, sizeof *n->param);
    return n->param;
}

/* Registers a handler or stream. Bad patterns and duplicate (method,
 * pattern) pairs are programming errors and abort. */
static struct route_entry *route_add(struct router *r, const char *method, const char *pattern,
                                     http_handler h, const struct http_stream_ops *stream,
                                     void *ctx)
{
    if (!method || !*method || !pattern || pattern[0] != '/' || (!h == !stream))
        fatal("router: bad route %s %s", method ? method : "(null)", pattern ? pattern : "(null)");
    struct route_entry re = {.handler = h, .stream = stream, .ctx = ctx};
    struct node *n = &r->root;
    const char *p = pattern + 1;
    for (size_t depth = 0; *p; depth++) {
        if (depth == ROUTER_MAX_SEGMENTS)
            fatal("router: too many segments in \"%s\"", pattern);
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        n = pattern_step(n, pattern, p, len, depth, &re);
        p += len;
        if (*p == '/' && *++p == '\0')
            fatal("router: trailing slash in \"%s\"", pattern);
    }
    for (size_t i = 0; i < n->n_routes; i++)
        if (strcmp(n->routes[i].method, method) == 0)
            fatal("router: duplicate route %s %s", method, pattern);
    re.method = xstrdup(method);
    re.pattern = xstrdup(pattern);
    n->routes = xrealloc(n->routes, (n->n_routes + 1) * sizeof *n->routes);
    n->routes[n->n_routes++] = re;
    return &n->routes[n->n_routes - 1];
}

void router_add(struct router *r, const char *method, const char *pattern, http_handler h,
                void *ctx)
{
    if (!h)
        fatal("router: no handler for %s", pattern ? pattern : "(null)");
    route_add(r, method, pattern, h, NULL, ctx);
}

void router_add_pooled(struct router *r, const char *method, const char *pattern, http_handler h,
                       http_handler busy, void *ctx)
{
    if (!h)
        fatal("router: no handler for %s", pattern ? pattern : "(null)");
    struct route_entry *re = route_add(r, method, pattern, h, NULL, ctx);
    re->pooled = true;
    re->busy = busy;
}

void router_add_stream(struct router *r, const char *method, const char *pattern,
                       const struct http_stream_ops *ops, void *ctx)
{
    if (!ops || !ops->begin || !ops->part || !ops->finish || !ops->cleanup)
        fatal("router: incomplete stream for %s", pattern ? pattern : "(null)");
    route_add(r, method, pattern, NULL, ops, ctx);
}

/* ---- matching ---------------------------------------------------------- */

struct match {
    const char *segs[ROUTER_MAX_SEGMENTS];
    size_t n_segs;
};

/* The first node, literals before the parameter at every depth, at which
 * the whole path ends on a registered pattern; NULL if there is none. */
static const struct node *node_search(const struct node *n, size_t depth, const struct match *m)
{
    if (depth == m->n_segs)
        return n->n_routes ? n : NULL;
    const char *seg = m->segs[depth];
    for (size_t i = 0; i < n->n_lits; i++) {
        if (strcmp(n->lits[i]->literal, seg) != 0)
            continue;
        const struct node *found = node_search(n->lits[i], depth + 1, m);
        if (found)
            return found;
        break; /* literals are unique per node */
    }
    if (n->param && seg[0] != '\0')
        return node_search(n->param, depth + 1, m);
    return NULL;
}

/* The entry at n for method; HEAD falls back to GET. */
static const struct route_entry *node_pick(const struct node *n, const char *method)
{
    const struct route_entry *get = NULL;
    for (size_t i = 0; i < n->n_routes; i++) {
        if (strcmp(n->routes[i].method, method) == 0)
            return &n->routes[i];
        if (strcmp(n->routes[i].method, "GET") == 0)
            get = &n->routes[i];
    }
    return strcmp(method, "HEAD") == 0 ? get : NULL;
}

static bool segment_is_dots(const char *s)
{
    return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

/* Splits and decodes req->path into m->segs. Returns ROUTE_FOUND when the
 * segments are usable, ROUTE_NOT_FOUND for a trailing slash (which no
 * pattern has), ROUTE_BAD_PATH otherwise. */
static enum router_result path_split(struct http_req *req, struct match *m)
{
    const char *path = req->path;
    if (!path || path[0] != '/')
        return ROUTE_BAD_PATH;
    size_t len = strnlen(path, ROUTER_MAX_PATH + 1);
    if (len > ROUTER_MAX_PATH)
        return ROUTE_BAD_PATH;
    m->n_segs = 0;
    bool trailing = false;
    const char *p = path + 1;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || m->n_segs == ROUTER_MAX_SEGMENTS)
            return ROUTE_BAD_PATH; /* "//" or too deep */
        char *seg = http_pct_decode(req->arena, p, n, false);
        if (!seg || segment_is_dots(seg))
            return ROUTE_BAD_PATH;
        m->segs[m->n_segs++] = seg;
        p += n;
        if (*p == '/' && *++p == '\0')
            trailing = true;
    }
    return trailing ? ROUTE_NOT_FOUND : ROUTE_FOUND;
}

static const char *const method_order[] = {"GET",   "HEAD",   "POST",    "PUT",
                                           "PATCH", "DELETE", "OPTIONS", NULL};

static bool method_is_standard(const char *m)
{
    for (size_t i = 0; method_order[i]; i++)
        if (strcmp(method_order[i], m) == 0)
            return true;
    return false;
}

static bool node_has_method(const struct node *n, const char *method)
{
    for (size_t i = 0; i < n->n_routes; i++)
        if (strcmp(n->routes[i].method, method) == 0)
            return true;
    return strcmp(method, "HEAD") == 0 && node_has_method(n, "GET");
}

/* "GET, HEAD, POST": the standard methods in their usual order (HEAD
 * wherever GET is), then any others in registration order. */
static const char *allow_format(struct arena *a, const struct node *n)
{
    const char *out = "";
    for (size_t i = 0; method_order[i]; i++)
        if (node_has_method(n, method_order[i]))
            out = arena_printf(a, "%s%s%s", out, *out ? ", " : "", method_order[i]);
    for (size_t i = 0; i < n->n_routes; i++)
        if (!method_is_standard(n->routes[i].method))
            out = arena_printf(a, "%s%s%s", out, *out ? ", " : "", n->routes[i].method);
    return out;
}

static void match_fill(struct http_req *req, const struct match *m, const struct route_entry *re)
{
    for (size_t k = 0; k < re->n_names; k++) {
        req->params[k].key = re->names[k];
        req->params[k].value = m->segs[re->depths[k]];
    }
    req->n_params = re->n_names;
    req->route = re->pattern;
}

/* A path names one resource: the pattern that matches it (literals first,
 * backtracking) decides, and a method it lacks is a 405 even if a less
 * specific pattern would take that method. */
enum router_result router_match(const struct router *r, struct http_req *req, http_handler *h,
                                void **ctx, const char **allow)
{
    struct match m;
    const char *method = req->method ? req->method : "";
    if (allow)
        *allow = NULL;
    enum router_result res = path_split(req, &m);
    if (res == ROUTE_NOT_FOUND)
        return not_found(r, req, h, ctx);
    if (res != ROUTE_FOUND)
        return res;
    const struct node *n = node_search(&r->root, 0, &m);
    if (!n)
        return not_found(r, req, h, ctx);
    const struct route_entry *re = node_pick(n, method);
    if (!re) {
        if (allow)
            *allow = allow_format(req->arena, n);
        return ROUTE_METHOD_NOT_ALLOWED;
    }
    match_fill(req, &m, re);
    *h = re->handler;
    *ctx = re->ctx;
    req->stream = re->stream;
    req->pooled = re->pooled;
    req->busy = re->busy;
    return ROUTE_FOUND;
}
