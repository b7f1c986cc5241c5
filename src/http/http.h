/* http: the project's own request/response interface over libmicrohttpd.
 *
 * No other module includes microhttpd.h. A handler receives a struct
 * http_req (method, decoded path parameters, query parameters, headers,
 * the whole body up to the configured limit, and a per-request arena freed
 * when the request completes) and fills a struct http_resp. */
#ifndef AP_HTTP_H
#define AP_HTTP_H

#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTTP_MAX_PARAMS 8
#define HTTP_MAX_QUERY 64
#define HTTP_MAX_HEADERS 32

struct http_kv {
    const char *key, *value;
};

struct http_resp;

struct http_req {
    struct arena *arena;     /* freed when the request completes */
    const char *method;      /* "GET", "POST", … */
    const char *path;        /* raw path, without the query string */
    const char *route;       /* the pattern that matched, for metrics/logs */
    const char *remote_ip;
    const char *body;        /* NUL-terminated copy of the body ("" if none) */
    size_t body_len;
    struct http_kv params[HTTP_MAX_PARAMS]; /* path parameters, decoded */
    size_t n_params;
    struct http_kv query[HTTP_MAX_QUERY];   /* query parameters, decoded, in order */
    size_t n_query;
    void *impl;              /* the server's connection, for header lookup */
    void *user;              /* for the application (e.g. the actor) */
    const struct http_stream_ops *stream; /* set when the route streams its body */
    bool pooled;             /* the route's handler runs on the server's pool */
    /* a pooled route's answer when the pool is full (an http_handler), or NULL */
    void (*busy)(struct http_req *req, struct http_resp *resp, void *ctx);
};

struct http_resp {
    int status;
    const char *content_type;
    struct http_kv headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    struct buf body;
    struct arena *arena; /* the request's arena */
    bool problem;        /* body is a problem document (counts as an error) */
    const char *accept_language; /* the request's Accept-Language, or NULL */
    /* A file answer instead of body (http_resp_file): the server sends
     * file_len bytes of file_fd from file_off and closes the descriptor. */
    bool file;
    int file_fd;
    uint64_t file_off, file_len;
    /* Bytes that live as long as the server (compiled in), sent without a
     * copy (http_resp_static); NULL: the body. */
    const char *persistent;
    size_t persistent_len;
};

typedef void (*http_handler)(struct http_req *req, struct http_resp *resp, void *ctx);

/* Request accessors. Header names are case-insensitive. Query values are
 * percent-decoded, valid UTF-8 and NUL-free (the server refuses others). */
const char *http_req_header(const struct http_req *r, const char *name);
const char *http_req_param(const struct http_req *r, const char *name);
const char *http_req_query(const struct http_req *r, const char *name); /* first value */
/* The value of cookie `name` in the Cookie header (in the request's
 * arena), or NULL. */
const char *http_req_cookie(struct http_req *r, const char *name);
size_t http_req_query_all(const struct http_req *r, const char *name, const char **out,
                          size_t max);

/* Response builders. Strings are copied into the request's arena. */
void http_resp_header(struct http_resp *r, const char *name, const char *value);
/* Serialises j (steals the reference) as application/json. */
void http_resp_json(struct http_resp *r, int status, json_t *j);
/* Raw bytes with the given content type. */
void http_resp_bytes(struct http_resp *r, int status, const char *content_type,
                     const char *data, size_t n);
/* The same with the bytes of b, taken over without a copy (a page of a
 * megabyte is not copied and faulted in again): b is left empty, to be
 * freed by its owner as before. */
void http_resp_buf(struct http_resp *r, int status, const char *content_type, struct buf *b);
/* Answers with file_len bytes of the open file fd from file_off, without
 * reading them into memory (the server closes fd when it is done, also on
 * errors). */
void http_resp_file(struct http_resp *r, int status, const char *content_type, int fd,
                    uint64_t file_off, uint64_t file_len);
/* Closes f, a temporary file an answer was written to with stdio, and
 * returns a descriptor of it for http_resp_file with its size in *size, or
 * -1 when it could not be written or `keep` is false (nothing to send). */
int http_tmpfile_done(FILE *f, bool keep, uint64_t *size);
/* For writers that write a file by its name (libxlsxwriter, libzip): a new
 * empty temporary file's name into path (false when none could be made),
 * then, once written, http_tmpname_take opens it for an answer and
 * unlinks it (read through the descriptor only): its descriptor and size,
 * or -1 when it cannot be read or `keep` is false (only unlinked). */
#define HTTP_TMPNAME_MAX 48
bool http_tmpname(char path[HTTP_TMPNAME_MAX]);
int http_tmpname_take(const char *path, bool keep, uint64_t *size);
/* Answers with n bytes at data, which must outlive the server (files
 * compiled into the binary): nothing is copied. */
void http_resp_static(struct http_resp *r, int status, const char *content_type,
                      const char *data, size_t n);
/* An RFC 9457 problem from e (status, type, detail, field). */
void http_resp_problem(struct http_resp *r, const struct err *e);
/* The same with one extension member (RFC 9457 §3.2): key → value (the
 * reference to value is taken). */
void http_resp_problem_ext(struct http_resp *r, const struct err *e, const char *key,
                           json_t *value);
/* Says a problem's detail in the language the reader asks for (the
 * Accept-Language header, NULL when absent): fills out[0..n) and returns
 * the text, with the BCP 47 tag of its language in *tag. Set once, before
 * the server starts; without one, details are sent as they were made. */
typedef const char *(*http_detail_tr)(const struct err *e, const char *accept_language, char *out,
                                      size_t n, const char **tag);
void http_set_detail_translator(http_detail_tr tr);
/* Problem type URI for a slug: "urn:archportal:problem:<slug>". */
const char *http_problem_type(struct arena *a, const char *slug);

/* Streaming request bodies: a route whose body is multipart/form-data
 * that is handed over part by part as it arrives, never held whole in
 * memory (uploads). The server refuses a declared Content-Length above
 * max_body with 413 before reading the body, and other content types than
 * multipart/form-data with 415 (unless `raw`). Calls, all on the request's thread:
 *   begin   once the headers are in; 0 to read the body (*state is then
 *           passed to the other calls), or -1 with resp filled to answer
 *           at once without reading it;
 *   part    for each piece of each form field as it arrives: name,
 *           filename (NULL for a plain field), its content type, data[0..n)
 *           at offset off within the field; -1 with e filled stops reading
 *           and answers with e;
 *   finish  when the whole body has arrived well-formed: fills resp;
 *   cleanup always last, once begin returned 0 (done: finish ran and its
 *           answer was sent in full; false when the client went away, the
 *           body was cut short or malformed, or a call refused it). */
struct http_stream_ops {
    uint64_t max_body;
    /* A body of another content type than multipart/form-data is handed
     * to part whole, as the field "file" with the request's Content-Type
     * (instead of a 415). */
    bool raw;
    int (*begin)(struct http_req *req, struct http_resp *resp, void *ctx, void **state);
    int (*part)(void *state, const char *name, const char *filename, const char *content_type,
                const char *data, uint64_t off, size_t n, struct err *e);
    void (*finish)(void *state, struct http_req *req, struct http_resp *resp);
    void (*cleanup)(void *state, bool done);
};

/* Router: patterns are paths whose segments may be "{name}" parameters,
 * e.g. "/api/v1/{collection}/{id}/history". Literal segments win over
 * parameters. Parameters match one non-empty segment and are
 * percent-decoded (a decoded '/' stays inside the parameter). */
struct router;
struct router *router_new(void);
void router_free(struct router *r);
void router_add(struct router *r, const char *method, const char *pattern, http_handler h,
                void *ctx);
/* The same for a handler whose work is expensive (password hashing): it
 * runs on the server's small bounded pool (http_config.pool_threads), never
 * on a connection thread, whose other connections would wait meanwhile.
 * When the pool's threads are busy and its queue is full the request is
 * answered at once, on the connection thread, by `busy` (which must be
 * cheap; e.g. an HTML page) or, when busy is NULL, with a 503 problem
 * "busy"; either way with Retry-After: 1 unless busy set one. */
void router_add_pooled(struct router *r, const char *method, const char *pattern, http_handler h,
                       http_handler busy, void *ctx);
/* The same for a streaming route (ops must outlive the router). */
void router_add_stream(struct router *r, const char *method, const char *pattern,
                       const struct http_stream_ops *ops, void *ctx);
/* The handler of paths no route matches (e.g. an HTML "not found" page
 * for browsers); without one they get a 404 problem. */
void router_set_fallback(struct router *r, http_handler h, void *ctx);
/* Calls fn with each route's method and pattern, in the order of the
 * patterns' segments (literals first, as matching tries them). */
void router_each(const struct router *r,
                 void (*fn)(void *ctx, const char *method, const char *pattern), void *ctx);
enum router_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED, ROUTE_BAD_PATH };
/* Matches method+path (a path no route matches goes to the fallback, as
 * ROUTE_FOUND with req->route "*", when there is one). On ROUTE_FOUND fills *h (NULL for a streaming
 * route), *ctx, req->params, req->route and req->stream. On ROUTE_METHOD_NOT_ALLOWED, *allow gets "GET, POST" (arena). */
enum router_result router_match(const struct router *r, struct http_req *req, http_handler *h,
                                void **ctx, const char **allow);

/* Parses a raw query string ("a=1&b=%D0%B0") into req->query. Returns 0,
 * or -1 with e filled (400) on bad percent-encoding, invalid UTF-8, NUL
 * bytes or more than HTTP_MAX_QUERY parameters. */
int http_parse_query(struct http_req *req, const char *raw, struct err *e);
/* Parses an application/x-www-form-urlencoded body (the same rules as a
 * query string) into out[0..max); *count gets how many pairs. */
int http_parse_form(struct arena *arena, const char *body, size_t len, struct http_kv *out,
                    size_t max, size_t *count, struct err *e);
/* Percent-decodes s[0..n) into the arena; NULL on bad escapes, invalid
 * UTF-8 or NUL. plus_is_space for query strings. */
char *http_pct_decode(struct arena *a, const char *s, size_t n, bool plus_is_space);

/* Range (RFC 9110 section 14.2) of a representation of `size` bytes: 1
 * with *off and *len set for one satisfiable byte range ("bytes=0-99",
 * "bytes=100-", "bytes=-500"); 0 when the header is absent, malformed, or
 * asks for several ranges (the whole representation is served); -1 when
 * the range cannot be satisfied (416). */
int http_parse_range(const char *header, uint64_t size, uint64_t *off, uint64_t *len);
/* "attachment; filename=\"<ASCII fallback>\"; filename*=UTF-8''<pct>" for
 * a file name (RFC 6266, RFC 8187): path parts, quotes, backslashes,
 * control characters and invalid UTF-8 never get through; an empty or
 * unusable name becomes `fallback`. */
const char *http_content_disposition(struct arena *a, const char *name, const char *fallback);

struct http_config {
    const char *listen_addr; /* "127.0.0.1" */
    uint16_t port;           /* 0 picks a free port (see http_server_port) */
    unsigned threads;        /* 0 = two per core */
    size_t max_body;         /* bytes, default 1 MiB */
    size_t max_header;       /* per-connection memory for headers, default 32 KiB; below
                              * about 16 KiB libmicrohttpd may drop a request with many
                              * query arguments unanswered (it ends at the header deadline) */
    unsigned max_conns;      /* default 1024 */
    unsigned max_conns_per_ip; /* default 64 */
    unsigned timeout_s;      /* idle connection timeout, default 30 */
    /* Deadlines, however steadily the client sends: a request's headers
     * must be in within header_timeout_s of the connection's opening or
     * its previous answer (so an idle keep-alive connection lasts no
     * longer either), default 20; a body within body_timeout_s plus one
     * second per body_min_rate bytes received (bytes/s), defaults 20 and
     * 8192. */
    unsigned header_timeout_s;
    unsigned body_timeout_s;
    unsigned body_min_rate;
    unsigned pool_threads;   /* pooled routes' threads, 0 = half the cores (at least 1) */
    unsigned pool_queue;     /* pooled requests that may wait, 0 = 4 per pool thread */
    bool access_log;         /* one JSON line per request on stderr */
};
void http_config_defaults(struct http_config *c);

struct http_server;
/* Starts serving in background threads. Returns NULL with e filled. The
 * router must outlive the server. */
struct http_server *http_server_start(const struct http_config *cfg, const struct router *r,
                                      struct err *e);
uint16_t http_server_port(const struct http_server *s);
/* Stops accepting, lets requests in flight finish, joins the threads. */
void http_server_stop(struct http_server *s);

/* Metrics (Prometheus text format). Per-route request counts by status
 * class and latency histograms are recorded by the server itself. */
typedef void (*http_metrics_extra)(struct buf *out, void *ctx);
void http_metrics_render(struct buf *out, http_metrics_extra extra, void *ctx);
void http_metrics_record(const char *method, const char *route, int status, int64_t dur_ns);
/* A connection opened (+1) or closed (-1) on worker thread `worker`. */
void http_metrics_connection(unsigned worker, int delta);
/* A request began (+1) or ended (-1), however it ended. */
void http_metrics_in_flight(int delta);
/* The server cut a connection that sent its headers (body false) or its
 * body too slowly. */
void http_metrics_cut(bool body);
void http_metrics_reset(void);

#endif
