/* server: the libmicrohttpd wrapper, and the only file that includes
 * microhttpd.h.
 *
 * Each connection gets a context (struct http_conn) when MHD reports it
 * started and loses it when MHD reports it closed. Each request gets one
 * (its arena, the struct http_req, the body buffer) when MHD reports the
 * raw request URI, owned by its connection, and loses it when MHD reports
 * completion, or else when the connection closes (MHD 0.9.75 reports no
 * completion for a request it gave up on while storing its query
 * arguments). A target too long or with too many query arguments is
 * refused from the URI callback, before MHD splits it. In between: on the
 * first access-handler call the path is routed, the query parsed and the
 * declared body size checked, so that 400/404/405/413 are answered before
 * any body is read; the body is
 * then accumulated up to cfg->max_body, and the last call runs the handler
 * and queues its response. A streaming route (uploads) gets its
 * multipart/form-data body part by part through libmicrohttpd's form
 * parser instead, under its own limit, and is told when the request ends
 * however it ends. Every answered request is counted in the
 * metrics and, if configured, written to the access log.
 *
 * Connections are accepted by one thread of ours and handed to the worker
 * (a libmicrohttpd daemon with one thread) that has the fewest, which also
 * enforces the connection limits. Every SERVER_SWEEP_MS the same thread
 * shuts down connections past their deadlines (MHD's own timeout counts
 * idle time only, so a client sending a byte now and then would stay
 * forever): headers within header_timeout_s of the connection's opening
 * or its previous answer, a body within body_timeout_s plus one second
 * per body_min_rate bytes received. Stopping the server first stops
 * accepting, then waits (bounded) for the requests in flight. */
#include "http/http.h"
#include "http/pool.h"

#include "util/heap.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SERVER_STOP_WAIT_NS (10 * 1000000000LL)
/* Past the body cap we read and drop up to this much more, so that a
 * client which ignores the early answer still gets its 413; beyond it the
 * connection is closed. */
#define SERVER_DISCARD_MAX (16u * 1024 * 1024)
#define SERVER_MAX_THREADS 256
/* How often the acceptor looks for connections past their deadlines. */
#define SERVER_SWEEP_MS 200
/* The longest request target served (RFC 9112 section 3 asks for at least
 * 8000 octets); longer ones get 414 before libmicrohttpd splits them. */
#define SERVER_MAX_URI 8192

/* One worker: a libmicrohttpd daemon with its own thread, fed accepted
 * connections by the acceptor. */
struct http_worker {
    struct MHD_Daemon *daemon;
    atomic_int open;    /* connections started and not closed */
    atomic_int pending; /* handed over, not started yet */
    pthread_mutex_t mu; /* guards conns and their phases */
    struct http_conn *conns;
};

/* Where a connection stands, for its deadlines. */
enum conn_phase {
    PHASE_HEADERS, /* opened, or its last answer sent: until a request's headers are in */
    PHASE_BODY,    /* headers in: until the whole body is */
    PHASE_ANSWER,  /* the handler runs or the answer is being sent: no deadline of ours */
};

/* One connection, from MHD's "started" to its "closed" notification (its
 * socket context). It owns the request in flight, so that a request MHD
 * never reports complete still ends when its connection closes. */
struct http_conn {
    struct http_worker *w; /* NULL: not in a worker's list */
    struct http_conn *prev, *next;
    int fd;
    char ip[INET6_ADDRSTRLEN];
    struct http_ctx *req; /* the request in flight, or NULL (worker thread only) */
    /* under w->mu: */
    enum conn_phase phase;
    int64_t since;  /* when the phase began (time_mono_ns) */
    uint64_t bytes; /* body bytes received in PHASE_BODY */
    bool cut;       /* shut down for missing a deadline */
};

/* Open connections of one client address (a slot of ip_table). */
struct ip_slot {
    unsigned char key[17]; /* family, then 4 or 16 address bytes */
    unsigned n;            /* 0: free */
};

struct http_server {
    struct http_worker *workers;
    unsigned n_workers;
    int listen_fd;
    int wake[2]; /* a byte on wake[1] stops the acceptor */
    pthread_t acceptor;
    bool acceptor_started;
    unsigned next; /* where the acceptor's search for a worker starts */
    atomic_long open;    /* connections started and not closed, all workers */
    atomic_long pending; /* handed over and not started yet, all workers */
    pthread_mutex_t ip_mu;
    struct ip_slot *ips; /* open addressing, cap slots (a power of two) */
    size_t ip_cap;
    const struct router *router;
    struct http_config cfg;
    uint16_t port;
    atomic_long inflight; /* requests between URI and completion */
    struct http_pool *pool; /* pooled routes' handlers run here */
};

struct http_ctx {
    struct http_server *srv;
    struct http_conn *conn; /* NULL when MHD gave no socket context */
    struct arena *arena;
    struct http_req req;
    struct buf body;
    const char *raw_uri;
    http_handler handler;
    void *handler_ctx;
    int64_t t0, dur_ns;
    size_t discarded;
    bool started, too_large, responded;
    bool refused; /* answered in on_uri, before MHD parsed the target */
    /* a pooled route: its handler ran on the pool (set before the pool
     * resumes the connection) and left its answer in pool_resp */
    atomic_bool pool_done;
    struct http_resp pool_resp;
    int status;
    uint64_t bytes;
    /* streaming routes (req.stream): the application's state, the form
     * parser, what arrived, and the error that stopped reading */
    void *stream_state;
    struct MHD_PostProcessor *pp;
    uint64_t received;
    bool stream_begun, stream_failed, stream_finished;
    bool stream_raw; /* a raw body handed over as the field "file" (ops->raw) */
    uint64_t raw_off;
    const char *raw_ct; /* its Content-Type (the request's header) */
    struct err stream_err;
};

void http_config_defaults(struct http_config *c)
{
    *c = (struct http_config){
        .listen_addr = "127.0.0.1",
        .port = 8080,
        .threads = 0,
        .max_body = 1024 * 1024,
        .max_header = 32 * 1024,
        .max_conns = 1024,
        .max_conns_per_ip = 64,
        .timeout_s = 30,
        .header_timeout_s = 20,
        .body_timeout_s = 20,
        .body_min_rate = 8192,
        .pool_threads = 0,
        .pool_queue = 0,
        .access_log = false,
    };
}

/* A copy of s fit for a log line: bytes outside printable ASCII become
 * %XX, so that a hostile path can neither break the JSON nor fool a
 * reader. */
static const char *log_safe(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = arena_alloc(a, n * 3 + 1);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- request headers --------------------------------------------------- */

const char *http_req_header(const struct http_req *r, const char *name)
{
    if (!r || !r->impl || !name)
        return NULL;
    /* MHD compares header names case-insensitively. */
    return MHD_lookup_connection_value((struct MHD_Connection *)r->impl, MHD_HEADER_KIND, name);
}

/* The text form of an IPv4 or IPv6 address ("" for others). */
static void ip_text(const struct sockaddr *sa, char ip[INET6_ADDRSTRLEN])
{
    const void *src = NULL;
    ip[0] = '\0';
    if (sa->sa_family == AF_INET)
        src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (src && !inet_ntop(sa->sa_family, src, ip, INET6_ADDRSTRLEN))
        ip[0] = '\0';
}

static const char *remote_ip(struct arena *a, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "";
    if (ci && ci->client_addr)
        ip_text(ci->client_addr, ip);
    return arena_strdup(a, ip);
}

/* ---- queuing responses ------------------------------------------------- */

static bool resp_has_header(const struct http_resp *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].key, name) == 0)
            return true;
    return false;
}

static void resp_init(struct http_resp *r, struct http_ctx *c)
{
    memset(r, 0, sizeof *r);
    r->arena = c->arena;
    if (c->req.impl)
        r->accept_language = MHD_lookup_connection_value(c->req.impl, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
    buf_init(&r->body, 0);
}

static void add_header(struct MHD_Response *mr, const char *name, const char *value)
{
    if (MHD_add_response_header(mr, name, value) != MHD_YES)
        log_event(LOG_WARN, "http_header_refused", "name", name, NULL);
}

/* Hands resp (body included) to MHD. Consumes resp->body. */
static enum MHD_Result queue(struct http_ctx *c, struct MHD_Connection *conn,
                             struct http_resp *resp)
{
    size_t len = 0;
    struct MHD_Response *mr;
    if (resp->file) {
        buf_free(&resp->body);
        len = resp->file_len;
        mr = MHD_create_response_from_fd_at_offset64(resp->file_len, resp->file_fd,
                                                     resp->file_off);
        if (!mr) {
            close(resp->file_fd);
            return MHD_NO;
        }
    } else if (resp->persistent) {
        buf_free(&resp->body);
        len = resp->persistent_len;
        mr = MHD_create_response_from_buffer(len, (void *)resp->persistent,
                                             MHD_RESPMEM_PERSISTENT);
        if (!mr)
            return MHD_NO;
    } else {
        char *p = buf_steal(&resp->body, &len);
        mr = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
        if (!mr) {
            free(p);
            return MHD_NO;
        }
    }
    if (resp->content_type)
        add_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    else if (len)
        add_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    for (size_t i = 0; i < resp->n_headers; i++)
        add_header(mr, resp->headers[i].key, resp->headers[i].value);
    if (resp->problem && !resp_has_header(resp, "Cache-Control"))
        add_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)resp->status, mr);
    MHD_destroy_response(mr);
    c->responded = rc == MHD_YES;
    c->status = resp->status;
    c->bytes = strcmp(c->req.method, "HEAD") == 0 ? 0 : (uint64_t)len;
    c->dur_ns = time_mono_ns() - c->t0;
    return rc;
}

/* Answers with a problem; allow (may be NULL) becomes the Allow header. */
static enum MHD_Result queue_problem(struct http_ctx *c, struct MHD_Connection *conn,
                                     const struct err *e, const char *allow)
{
    struct http_resp resp;
    resp_init(&resp, c);
    http_resp_problem(&resp, e);
    if (allow)
        http_resp_header(&resp, MHD_HTTP_HEADER_ALLOW, allow);
    return queue(c, conn, &resp);
}

/* ---- deadlines ----------------------------------------------------------- */

/* Moves conn to phase p, starting its clock (any thread of its worker). */
static void conn_phase(struct http_conn *conn, enum conn_phase p)
{
    if (!conn || !conn->w)
        return;
    pthread_mutex_lock(&conn->w->mu);
    conn->phase = p;
    conn->since = time_mono_ns();
    conn->bytes = 0;
    pthread_mutex_unlock(&conn->w->mu);
}

static void conn_received(struct http_conn *conn, size_t n)
{
    if (!conn || !conn->w)
        return;
    pthread_mutex_lock(&conn->w->mu);
    conn->bytes += n;
    pthread_mutex_unlock(&conn->w->mu);
}

/* Has conn missed its deadline at now? (w->mu held) */
static bool conn_late(const struct http_conn *conn, const struct http_config *cfg, int64_t now)
{
    double elapsed = (double)(now - conn->since) / 1e9;
    switch (conn->phase) {
    case PHASE_HEADERS:
        return elapsed > cfg->header_timeout_s;
    case PHASE_BODY:
        return elapsed > cfg->body_timeout_s + (double)conn->bytes / cfg->body_min_rate;
    case PHASE_ANSWER:
    default:
        return false;
    }
}

/* Shuts down every connection past its deadline. The socket is only shut
 * down (its worker closes it on its next turn, as for a client that went
 * away), never closed here. The descriptor is still this connection's:
 * MHD closes it only after the "closed" notification, which first takes
 * the connection out of the list under w->mu. Runs in the acceptor. */
static void sweep(struct http_server *s)
{
    int64_t now = time_mono_ns();
    for (unsigned i = 0; i < s->n_workers; i++) {
        struct http_worker *w = &s->workers[i];
        pthread_mutex_lock(&w->mu);
        for (struct http_conn *c = w->conns; c; c = c->next) {
            if (c->cut || !conn_late(c, &s->cfg, now))
                continue;
            c->cut = true;
            bool body = c->phase == PHASE_BODY;
            shutdown(c->fd, SHUT_RDWR);
            http_metrics_cut(body);
            log_event(LOG_INFO, "http_connection_cut", "ip", c->ip, "phase",
                      body ? "body" : "headers", NULL);
        }
        pthread_mutex_unlock(&w->mu);
    }
}

/* ---- the request life cycle -------------------------------------------- */

/* Parses a Content-Length value; false when it is not a plain number
 * (MHD itself rejects those before we see them). */
static bool parse_length(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            v = UINT64_MAX; /* saturate: too large either way */
        else
            v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The body limit of this request: its streaming route's, or the server's. */
static uint64_t body_cap(const struct http_ctx *c)
{
    return c->req.stream ? c->req.stream->max_body : c->srv->cfg.max_body;
}

static enum MHD_Result answer_too_large(struct http_ctx *c, struct MHD_Connection *conn)
{
    struct err e = ERR_INIT;
    err_set(&e, 413, "body-too-large", "", "the request body exceeds %llu bytes",
            (unsigned long long)body_cap(c));
    return queue_problem(c, conn, &e, NULL);
}

/* Queues what a handler produced, or a 500 when that is malformed. */
static enum MHD_Result queue_handled(struct http_ctx *c, struct MHD_Connection *conn,
                                     struct http_resp *resp)
{
    if (resp->status < 200 || resp->status > 599) {
        log_event(LOG_ERROR, "http_bad_handler_status", "route", c->req.route, NULL);
        struct err e = ERR_INIT;
        err_internal(&e, "the handler produced no valid response");
        buf_free(&resp->body);
        if (resp->file)
            close(resp->file_fd);
        return queue_problem(c, conn, &e, NULL);
    }
    return queue(c, conn, resp);
}

/* ---- streaming bodies -------------------------------------------------- */

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    struct http_ctx *c = cls;
    if (c->stream_failed)
        return MHD_NO;
    if (c->req.stream->part(c->stream_state, key ? key : "", filename, content_type, data, off,
                            size, &c->stream_err) < 0) {
        c->stream_failed = true;
        return MHD_NO;
    }
    return MHD_YES;
}

static bool is_multipart(struct MHD_Connection *conn)
{
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* Headers are in: the application may refuse at once; otherwise the form
 * parser is made and the body is read. */
static enum MHD_Result stream_begin(struct http_ctx *c, struct MHD_Connection *conn)
{
    struct http_resp resp;
    resp_init(&resp, c);
    if (c->req.stream->begin(&c->req, &resp, c->handler_ctx, &c->stream_state) < 0)
        return queue_handled(c, conn, &resp);
    buf_free(&resp.body);
    c->stream_begun = true;
    if (is_multipart(conn))
        c->pp = MHD_create_post_processor(conn, 64 * 1024, on_part, c);
    else if (c->req.stream->raw) {
        c->stream_raw = true;
        c->raw_ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_TYPE);
    }
    if (!c->pp && !c->stream_raw) {
        struct err e = ERR_INIT;
        err_set(&e, 415, "unsupported-media-type", "",
                "the body must be multipart/form-data with a boundary");
        return queue_problem(c, conn, &e, NULL);
    }
    return MHD_YES;
}

/* Feeds a chunk to the form parser: 0, or -1 when the body is now too
 * large or refused (the rest is then dropped). */
static int stream_feed(struct http_ctx *c, const char *data, size_t n)
{
    c->received += n;
    if (c->received > body_cap(c)) {
        c->too_large = true;
        return -1;
    }
    if (c->stream_raw) {
        if (c->req.stream->part(c->stream_state, "file", NULL, c->raw_ct, data, c->raw_off, n,
                                &c->stream_err) < 0) {
            c->stream_failed = true;
            return -1;
        }
        c->raw_off += n;
        return 0;
    }
    if (MHD_post_process(c->pp, data, n) == MHD_YES)
        return 0;
    if (!c->stream_failed) {
        c->stream_failed = true;
        err_bad_request(&c->stream_err, "", "the multipart/form-data body is malformed");
    }
    return -1;
}

static enum MHD_Result stream_finish(struct http_ctx *c, struct MHD_Connection *conn)
{
    if (c->pp) {
        /* the parser hands over what it still holds, and says whether the
         * body ended well (its closing boundary) */
        enum MHD_Result ok = MHD_destroy_post_processor(c->pp);
        c->pp = NULL;
        if (ok != MHD_YES && !c->stream_failed) {
            c->stream_failed = true;
            err_bad_request(&c->stream_err, "",
                            "the multipart/form-data body is malformed or cut short");
        }
    }
    if (c->stream_failed)
        return queue_problem(c, conn, &c->stream_err, NULL);
    struct http_resp resp;
    resp_init(&resp, c);
    c->req.stream->finish(c->stream_state, &c->req, &resp);
    c->stream_finished = true;
    return queue_handled(c, conn, &resp);
}

/* Routes the request: true when a handler was found, otherwise false
 * with a 400/404/405 problem queued (*rc says whether that worked). */
static bool route(struct http_ctx *c, struct MHD_Connection *conn, enum MHD_Result *rc)
{
    const char *allow = NULL;
    struct err e = ERR_INIT;
    switch (router_match(c->srv->router, &c->req, &c->handler, &c->handler_ctx, &allow)) {
    case ROUTE_FOUND:
        return true;
    case ROUTE_NOT_FOUND:
        err_not_found(&e, "no resource at this path");
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        err_set(&e, 405, "method-not-allowed", "", "method %s is not allowed here; allowed: %s",
                log_safe(c->arena, c->req.method), allow ? allow : "");
        break;
    case ROUTE_BAD_PATH:
    default:
        err_bad_request(&e, "", "the request path is malformed");
        break;
    }
    *rc = queue_problem(c, conn, &e, allow);
    return false;
}

/* The origin form of a request target: "http://host:1/a?b" (the absolute
 * form, RFC 9112 section 3.2.2) becomes "/a?b"; anything else is kept. */
static const char *origin_form(struct arena *a, const char *target)
{
    size_t skip = 0;
    if (strncasecmp(target, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(target, "https://", 8) == 0)
        skip = 8;
    if (!skip)
        return target;
    const char *rest = target + skip + strcspn(target + skip, "/?");
    return *rest == '/' ? rest : arena_printf(a, "/%s", rest);
}

/* First call, headers complete: everything that can be refused without
 * reading the body is refused here. */
static enum MHD_Result request_begin(struct http_ctx *c, struct MHD_Connection *conn,
                                     const char *method)
{
    c->started = true;
    conn_phase(c->conn, PHASE_BODY);
    c->req.method = arena_strdup(c->arena, method ? method : "");
    c->req.impl = conn;
    c->req.remote_ip = remote_ip(c->arena, conn);
    const char *target = origin_form(c->arena, c->raw_uri);
    const char *q = strchr(target, '?');
    c->req.path = q ? arena_strndup(c->arena, target, (size_t)(q - target)) : target;
    enum MHD_Result rc = MHD_NO;
    if (!route(c, conn, &rc))
        return rc;
    struct err e = ERR_INIT;
    if (http_parse_query(&c->req, q ? q + 1 : NULL, &e) < 0)
        return queue_problem(c, conn, &e, NULL);
    uint64_t declared = 0;
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (parse_length(cl, &declared) && declared > body_cap(c))
        return answer_too_large(c, conn);
    if (c->req.stream)
        return stream_begin(c, conn);
    return MHD_YES; /* now read the body */
}

/* A chunk of body. Past the cap (or once a stream refused the body) the
 * chunk is dropped and the request is marked for its error; far past it
 * the connection is closed. */
static enum MHD_Result request_body(struct http_ctx *c, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    if (!c->too_large && !c->stream_failed) {
        if (c->req.stream) {
            if (stream_feed(c, data, n) == 0)
                return MHD_YES;
        } else if (buf_append(&c->body, data, n) == 0) {
            return MHD_YES;
        } else {
            c->too_large = true;
            buf_free(&c->body);
        }
    }
    if (n > SERVER_DISCARD_MAX - c->discarded) {
        log_event(LOG_WARN, "http_body_abandoned", "path", log_safe(c->arena, c->req.path), NULL);
        return MHD_NO;
    }
    c->discarded += n;
    return MHD_YES;
}

/* On a pool thread: the handler of a pooled route, then the connection
 * goes back to its worker, which queues the answer (on_access again). */
static void pooled_run(void *arg)
{
    struct http_ctx *c = arg;
    resp_init(&c->pool_resp, c);
    c->handler(&c->req, &c->pool_resp, c->handler_ctx);
    atomic_store(&c->pool_done, true);
    MHD_resume_connection(c->req.impl);
}

/* A pooled route's handler runs on the pool while its connection is
 * suspended, so that the connection thread goes on serving the others.
 * A full pool is answered at once, without running the handler. */
static enum MHD_Result pooled_finish(struct http_ctx *c, struct MHD_Connection *conn)
{
    if (atomic_load(&c->pool_done))
        return queue_handled(c, conn, &c->pool_resp);
    if (!http_pool_reserve(c->srv->pool)) {
        struct http_resp resp;
        resp_init(&resp, c);
        if (c->req.busy) {
            c->req.busy(&c->req, &resp, c->handler_ctx);
        } else {
            struct err e = ERR_INIT;
            err_set(&e, 503, "busy", "", "the server is busy with sign-ins: try again in a second");
            http_resp_problem(&resp, &e);
        }
        if (!resp_has_header(&resp, "Retry-After"))
            http_resp_header(&resp, "Retry-After", "1");
        return queue_handled(c, conn, &resp);
    }
    MHD_suspend_connection(conn);
    http_pool_submit(c->srv->pool, pooled_run, c);
    return MHD_YES;
}

/* Runs the handler and turns a malformed answer into a 500. */
static enum MHD_Result request_finish(struct http_ctx *c, struct MHD_Connection *conn)
{
    conn_phase(c->conn, PHASE_ANSWER);
    if (c->too_large)
        return answer_too_large(c, conn);
    if (c->req.stream)
        return stream_finish(c, conn);
    if (!c->handler)
        return MHD_NO; /* unreachable: routing failures are answered early */
    c->req.body = c->body.p ? c->body.p : "";
    c->req.body_len = c->body.len;
    if (c->req.pooled)
        return pooled_finish(c, conn);
    struct http_resp resp;
    resp_init(&resp, c);
    c->handler(&c->req, &resp, c->handler_ctx);
    return queue_handled(c, conn, &resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    struct http_ctx *c = *req_cls;
    if (!c || c->refused)
        return MHD_NO; /* no URI callback ran (cannot happen), or it answered */
    if (*upload_data_size)
        conn_received(c->conn, *upload_data_size);
    if (c->responded) {
        *upload_data_size = 0; /* answered early: drop whatever still comes */
        return MHD_YES;
    }
    if (!c->started)
        return request_begin(c, conn, method);
    if (*upload_data_size)
        return request_body(c, upload_data, upload_data_size);
    return request_finish(c, conn);
}

/* Why a request target is refused before libmicrohttpd splits its query
 * (0: it is not). MHD stores every query argument in the connection's
 * memory pool before the access handler runs; when the pool runs out it
 * neither answers nor reports the request complete, so the limits of
 * http_parse_query (HTTP_MAX_QUERY parameters, empty ones included since
 * MHD stores those too) and a length limit are applied here, first. */
static int uri_refusal(const char *uri, struct err *e)
{
    size_t n = strlen(uri);
    if (n > SERVER_MAX_URI) {
        err_set(e, 414, "uri-too-long", "", "the request target exceeds %d bytes", SERVER_MAX_URI);
        return 414;
    }
    const char *q = strchr(uri, '?');
    size_t args = q ? 1 : 0;
    for (const char *p = q; p && (p = strchr(p + 1, '&'));)
        args++;
    if (args > HTTP_MAX_QUERY) {
        err_bad_request(e, "", "too many query parameters (at most %d)", HTTP_MAX_QUERY);
        return 400;
    }
    return 0;
}

/* Answers c with e from the URI callback, before MHD has parsed the
 * request (so it has no response to queue yet): the problem document is
 * written to the socket, whose sending side is then shut down, and MHD is
 * told to drop the connection within a second. Every later call for this
 * request closes it (c->refused). */
static void refuse_uri(struct http_ctx *c, struct MHD_Connection *conn, const struct err *e)
{
    struct http_resp resp;
    resp_init(&resp, c);
    http_resp_problem(&resp, e);
    const char *reason = MHD_get_reason_phrase_for((unsigned)resp.status);
    const char *head = arena_printf(c->arena,
                                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                                    "Cache-Control: no-store\r\nConnection: close\r\n"
                                    "Content-Length: %zu\r\n\r\n",
                                    resp.status, reason && *reason ? reason : "Error",
                                    resp.content_type, resp.body.len);
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (fi) {
        /* a few hundred bytes into an empty socket buffer: one call each */
        struct iovec iov[2] = {{.iov_base = (void *)head, .iov_len = strlen(head)},
                               {.iov_base = resp.body.p, .iov_len = resp.body.len}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
        if (sendmsg(fi->connect_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            log_event(LOG_INFO, "http_refusal_unsent", "error", strerror(errno), NULL);
        shutdown(fi->connect_fd, SHUT_WR);
    }
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
    c->refused = c->responded = true;
    c->status = resp.status;
    c->bytes = resp.body.len;
    c->dur_ns = time_mono_ns() - c->t0;
    c->req.method = ""; /* MHD has not told it yet */
    /* the log gets the path, at most 200 bytes of it */
    size_t path_len = strcspn(c->raw_uri, "?");
    c->req.path = arena_strndup(c->arena, c->raw_uri, path_len < 200 ? path_len : 200);
    buf_free(&resp.body);
}

/* This request's connection (its socket context), or NULL. */
static struct http_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Called by MHD with the raw request target before it decodes anything:
 * the request context starts here, owned by the connection until MHD
 * reports the request complete (or the connection closed). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    struct arena *a = arena_new();
    struct http_ctx *c = arena_calloc(a, 1, sizeof *c);
    c->srv = srv;
    c->arena = a;
    c->req.arena = a;
    c->req.path = "";
    c->req.body = "";
    c->raw_uri = arena_strdup(a, uri ? uri : "");
    c->t0 = time_mono_ns();
    buf_init(&c->body, srv->cfg.max_body);
    atomic_fetch_add(&srv->inflight, 1);
    http_metrics_in_flight(1);
    heap_activity(1);
    c->conn = conn_of(conn);
    if (c->conn)
        c->conn->req = c;
    struct err e = ERR_INIT;
    if (uri_refusal(c->raw_uri, &e)) {
        c->req.remote_ip = remote_ip(a, conn);
        refuse_uri(c, conn, &e);
    }
    return c;
}

/* "12.345" from nanoseconds, without the locale's decimal separator. */
static const char *format_ms(struct arena *a, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    int64_t us = ns / 1000;
    return arena_printf(a, "%lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
}

static void access_log(const struct http_ctx *c)
{
    struct arena *a = c->arena;
    log_event(LOG_INFO, "access", "method", log_safe(a, c->req.method ? c->req.method : ""), "path",
              log_safe(a, c->req.path), "route", c->req.route ? c->req.route : "unmatched",
              "status", arena_printf(a, "%d", c->status), "ms", format_ms(a, c->dur_ns), "bytes",
              arena_printf(a, "%llu", (unsigned long long)c->bytes), "ip", c->req.remote_ip ? c->req.remote_ip : "",
              NULL);
}

/* The end of request c, however it ended (ok: its answer was sent in
 * full): metrics, access log, the stream's cleanup, and its memory. */
static void request_end(struct http_ctx *c, bool ok)
{
    struct http_server *srv = c->srv;
    if (c->conn)
        c->conn->req = NULL;
    if (c->responded) {
        http_metrics_record(c->req.method, c->req.route ? c->req.route : "unmatched", c->status,
                            c->dur_ns);
        if (srv->cfg.access_log)
            access_log(c);
    }
    if (c->pp)
        MHD_destroy_post_processor(c->pp);
    if (c->stream_begun)
        c->req.stream->cleanup(c->stream_state, c->stream_finished && ok);
    buf_free(&c->body);
    arena_free(c->arena); /* c lives in it */
    atomic_fetch_sub(&srv->inflight, 1);
    http_metrics_in_flight(-1);
    heap_activity(-1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct http_ctx *c = *req_cls;
    if (!c)
        return;
    *req_cls = NULL;
    struct http_conn *hc = c->conn;
    request_end(c, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    conn_phase(hc, PHASE_HEADERS); /* the next request's clock */
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        return;
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = *p == '\n' ? '\0' : '?';
    /* Mostly clients' malformed requests, hence not a warning. */
    log_event(LOG_INFO, "http_server", "msg", msg, NULL);
}

/* ---- start and stop ---------------------------------------------------- */

/* Fills ss from "127.0.0.1", "::1" or "[::1]". */
static int parse_listen(const char *addr, uint16_t port, struct sockaddr_storage *ss, bool *v6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        *v6 = false;
        return 0;
    }
    char host[INET6_ADDRSTRLEN];
    size_t n = strlen(addr);
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }
    if (n >= sizeof host)
        return -1;
    memcpy(host, addr, n);
    host[n] = '\0';
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
        return -1;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    *v6 = true;
    return 0;
}

/* Zero fields take their defaults. */
static void config_normalise(struct http_config *c)
{
    struct http_config d;
    http_config_defaults(&d);
    if (!c->listen_addr || !*c->listen_addr)
        c->listen_addr = d.listen_addr;
    if (!c->max_body)
        c->max_body = d.max_body;
    if (!c->max_header)
        c->max_header = d.max_header;
    if (!c->max_conns)
        c->max_conns = d.max_conns;
    if (!c->max_conns_per_ip)
        c->max_conns_per_ip = d.max_conns_per_ip;
    if (!c->timeout_s)
        c->timeout_s = d.timeout_s;
    if (!c->header_timeout_s)
        c->header_timeout_s = d.header_timeout_s;
    if (!c->body_timeout_s)
        c->body_timeout_s = d.body_timeout_s;
    if (!c->body_min_rate)
        c->body_min_rate = d.body_min_rate;
    if (!c->threads) {
        /* Two workers per core: a worker waiting for a durable commit (an
         * fsync) leaves its core to the other, and more writers in flight
         * make larger commit groups. */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = 2 * (n > 0 ? (unsigned)n : 1);
    }
    if (c->threads > SERVER_MAX_THREADS)
        c->threads = SERVER_MAX_THREADS;
    if (c->threads > c->max_conns)
        c->threads = c->max_conns; /* more could never all be busy */
    if (!c->pool_threads) {
        /* half the cores: hashing never takes the whole machine */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->pool_threads = n > 1 ? (unsigned)n / 2 : 1;
    }
    if (!c->pool_queue)
        c->pool_queue = 4 * c->pool_threads;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- connections: accepted here, served by the least busy worker ---------
 *
 * libmicrohttpd's own thread pool lets whichever thread wakes first accept
 * a burst of connections (up to ten at once), so a few keep-alive clients
 * often end up on one thread while the others idle. The acceptor instead
 * hands each new connection to the worker with the fewest open ones. The
 * connection limits are kept here too: a connection over the total or the
 * per-address limit is closed at once. */

/* The address key of sa (family byte, then the address). */
static size_t ip_key(const struct sockaddr *sa, unsigned char key[17])
{
    memset(key, 0, 17);
    if (sa->sa_family == AF_INET6) {
        key[0] = 6;
        memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    } else {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    }
    return 17;
}

/* The slot of key, or the free slot where it would go (ip_mu held). The
 * table holds at most max_conns addresses and has twice that many slots,
 * so a free slot always exists. Removal uses backward shifting (no
 * tombstones). */
static struct ip_slot *ip_find(struct http_server *s, const unsigned char key[17])
{
    size_t mask = s->ip_cap - 1, i = (size_t)text_hash(key, 17) & mask;
    while (s->ips[i].n && memcmp(s->ips[i].key, key, 17) != 0)
        i = (i + 1) & mask;
    return &s->ips[i];
}

static void ip_remove(struct http_server *s, struct ip_slot *slot)
{
    size_t mask = s->ip_cap - 1, hole = (size_t)(slot - s->ips);
    slot->n = 0;
    for (size_t i = (hole + 1) & mask; s->ips[i].n; i = (i + 1) & mask) {
        size_t home = (size_t)text_hash(s->ips[i].key, 17) & mask;
        /* move i into the hole unless its home lies cyclically in (hole, i] */
        bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!stays) {
            s->ips[hole] = s->ips[i];
            s->ips[i].n = 0;
            hole = i;
        }
    }
}

/* How many connections of sa's address are open. */
static unsigned ip_open(struct http_server *s, const struct sockaddr *sa)
{
    unsigned char key[17];
    ip_key(sa, key);
    pthread_mutex_lock(&s->ip_mu);
    unsigned n = ip_find(s, key)->n;
    pthread_mutex_unlock(&s->ip_mu);
    return n;
}

static void ip_count(struct http_server *s, const struct sockaddr *sa, int delta)
{
    unsigned char key[17];
    ip_key(sa, key);
    pthread_mutex_lock(&s->ip_mu);
    struct ip_slot *slot = ip_find(s, key);
    if (delta > 0) {
        memcpy(slot->key, key, 17);
        slot->n++;
    } else if (slot->n > 1) {
        slot->n--;
    } else if (slot->n == 1) {
        ip_remove(s, slot);
    }
    pthread_mutex_unlock(&s->ip_mu);
}

/* A connection starts: its context, in its worker's list (for the
 * deadlines). */
static void conn_open(struct http_worker *w, struct MHD_Connection *conn,
                      const union MHD_ConnectionInfo *ci, void **socket_ctx)
{
    struct http_conn *hc = xcalloc(1, sizeof *hc);
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    hc->fd = fi ? fi->connect_fd : -1;
    if (ci && ci->client_addr)
        ip_text(ci->client_addr, hc->ip);
    hc->phase = PHASE_HEADERS;
    hc->since = time_mono_ns();
    if (w && hc->fd >= 0) {
        hc->w = w;
        pthread_mutex_lock(&w->mu);
        hc->next = w->conns;
        if (w->conns)
            w->conns->prev = hc;
        w->conns = hc;
        pthread_mutex_unlock(&w->mu);
    }
    *socket_ctx = hc;
}

/* A connection closed (its descriptor is still open): out of the list, and
 * the request MHD left unfinished, if any, ends now. */
static void conn_close(struct http_conn *hc)
{
    if (!hc)
        return;
    if (hc->w) {
        pthread_mutex_lock(&hc->w->mu);
        if (hc->prev)
            hc->prev->next = hc->next;
        else
            hc->w->conns = hc->next;
        if (hc->next)
            hc->next->prev = hc->prev;
        pthread_mutex_unlock(&hc->w->mu);
    }
    if (hc->req) {
        log_event(LOG_INFO, "http_request_abandoned", "ip", hc->ip, NULL);
        request_end(hc->req, false);
    }
    free(hc);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection a worker took or closed. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_worker *w = NULL;
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *di =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    for (unsigned i = 0; di && i < s->n_workers && !w; i++)
        if (s->workers[i].daemon == di->daemon)
            w = &s->workers[i];
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    int delta = code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1;
    if (w) {
        atomic_fetch_add(&w->open, delta);
        if (delta > 0 && atomic_load(&w->pending) > 0) {
            atomic_fetch_sub(&w->pending, 1);
            atomic_fetch_sub(&s->pending, 1);
        }
        http_metrics_connection((unsigned)(w - s->workers), delta);
    }
    atomic_fetch_add(&s->open, delta);
    if (ci && ci->client_addr)
        ip_count(s, ci->client_addr, delta);
    if (delta > 0)
        conn_open(w, conn, ci, socket_ctx);
    else
        conn_close(*socket_ctx);
}

/* The worker with the fewest connections, ties taken in turn. */
static struct http_worker *pick_worker(struct http_server *s)
{
    struct http_worker *best = NULL;
    int best_load = 0;
    for (unsigned k = 0; k < s->n_workers; k++) {
        struct http_worker *w = &s->workers[(s->next + k) % s->n_workers];
        int load = atomic_load(&w->open) + atomic_load(&w->pending);
        if (!best || load < best_load) {
            best = w;
            best_load = load;
        }
    }
    s->next = (s->next + 1) % s->n_workers;
    return best;
}

static void *acceptor_main(void *arg)
{
    struct http_server *s = arg;
    int64_t next_sweep = time_mono_ns();
    for (;;) {
        int64_t now = time_mono_ns();
        if (now >= next_sweep) {
            sweep(s);
            next_sweep = now + SERVER_SWEEP_MS * 1000000LL;
        }
        struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN},
                              {.fd = s->wake[0], .events = POLLIN}};
        int n = poll(p, 2, (int)((next_sweep - now) / 1000000 + 1));
        if (n == 0)
            continue;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_msg(LOG_ERROR, "http: poll: %s", strerror(errno));
            sleep_ms(10);
            continue;
        }
        if (p[1].revents)
            break;
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_msg(LOG_WARN, "http: cannot accept: %s", strerror(errno));
                sleep_ms(10); /* out of descriptors: let some close */
            }
            continue; /* EAGAIN, EINTR, ECONNABORTED and the like */
        }
        const struct sockaddr *sa = (const struct sockaddr *)&ss;
        /* pending ones count too: the address table then never holds
         * more than max_conns addresses */
        if (atomic_load(&s->open) + atomic_load(&s->pending) >= (long)s->cfg.max_conns ||
            ip_open(s, sa) >= s->cfg.max_conns_per_ip) {
            close(fd);
            continue;
        }
        struct http_worker *w = pick_worker(s);
        atomic_fetch_add(&w->pending, 1);
        atomic_fetch_add(&s->pending, 1);
        if (MHD_add_connection(w->daemon, fd, sa, len) != MHD_YES) {
            atomic_fetch_sub(&w->pending, 1); /* MHD has closed fd */
            atomic_fetch_sub(&s->pending, 1);
        }
    }
    return NULL;
}

/* The listening socket on ss (port 0: any free port). -1 + e on failure. */
static int listen_on(const struct sockaddr_storage *ss, bool v6, struct err *e)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err_internal(e, "cannot make a socket: %s", strerror(errno));
        return -1;
    }
    int on = 1;
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
        bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        err_internal(e, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static unsigned daemon_flags(void)
{
    /* ITC: MHD_add_connection from the acceptor's thread wakes the worker */
    unsigned f = MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET |
                 MHD_ALLOW_SUSPEND_RESUME; /* pooled routes */
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        f |= MHD_USE_EPOLL_INTERNAL_THREAD;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES)
        f |= MHD_USE_POLL_INTERNAL_THREAD;
    else
        f |= MHD_USE_INTERNAL_POLLING_THREAD;
    return f;
}

static struct MHD_Daemon *daemon_start(struct http_server *s)
{
    const struct http_config *c = &s->cfg;
    /* The limits are the acceptor's; MHD's own are a backstop for the
     * moment between a hand-over and the worker's count. */
    /* One option and its arguments per line. */
    /* clang-format off */
    return MHD_start_daemon(daemon_flags(), 0, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, /* first: covers option errors */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)c->max_conns_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->max_header,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_END);
    /* clang-format on */
}

/* Stops accepting: the acceptor ends and the listening socket closes. */
static void acceptor_stop(struct http_server *s)
{
    if (s->acceptor_started) {
        ssize_t n;
        do
            n = write(s->wake[1], "x", 1);
        while (n < 0 && errno == EINTR);
        pthread_join(s->acceptor, NULL);
        s->acceptor_started = false;
    }
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
}

/* Stops the acceptor and the workers and frees s (whatever was started). */
static void server_free(struct http_server *s)
{
    acceptor_stop(s);
    http_pool_free(s->pool); /* its last jobs resume their connections */
    for (unsigned i = 0; i < s->n_workers; i++)
        if (s->workers[i].daemon)
            MHD_stop_daemon(s->workers[i].daemon);
    for (unsigned i = 0; i < s->n_workers; i++)
        pthread_mutex_destroy(&s->workers[i].mu);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    pthread_mutex_destroy(&s->ip_mu);
    free(s->ips);
    free(s->workers);
    free(s);
}

struct http_server *http_server_start(const struct http_config *cfg, const struct router *r,
                                      struct err *e)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    config_normalise(&s->cfg);
    s->router = r;
    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    atomic_init(&s->inflight, 0);
    atomic_init(&s->open, 0);
    atomic_init(&s->pending, 0);
    pthread_mutex_init(&s->ip_mu, NULL);
    for (s->ip_cap = 16; s->ip_cap < 2 * (size_t)s->cfg.max_conns;)
        s->ip_cap *= 2;
    s->ips = xcalloc(s->ip_cap, sizeof *s->ips);
    s->pool = http_pool_new(s->cfg.pool_threads, s->cfg.pool_queue);
    struct sockaddr_storage ss;
    bool v6 = false;
    if (parse_listen(s->cfg.listen_addr, s->cfg.port, &ss, &v6) < 0) {
        err_internal(e, "listen address \"%s\" is not an IP address", s->cfg.listen_addr);
        server_free(s);
        return NULL;
    }
    struct err why = ERR_INIT;
    s->listen_fd = listen_on(&ss, v6, &why);
    if (s->listen_fd < 0) {
        err_internal(e, "cannot listen on %s port %u: %s", s->cfg.listen_addr,
                     (unsigned)s->cfg.port, why.detail);
        server_free(s);
        return NULL;
    }
    s->workers = xcalloc(s->cfg.threads, sizeof *s->workers);
    for (; s->n_workers < s->cfg.threads; s->n_workers++) {
        struct http_worker *w = &s->workers[s->n_workers];
        atomic_init(&w->open, 0);
        atomic_init(&w->pending, 0);
        pthread_mutex_init(&w->mu, NULL);
        w->daemon = daemon_start(s);
        if (!w->daemon) {
            err_internal(e, "cannot start the HTTP worker threads");
            server_free(s);
            return NULL;
        }
    }
    if (pipe2(s->wake, O_CLOEXEC) != 0 ||
        pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        err_internal(e, "cannot start the HTTP acceptor: %s", strerror(errno));
        server_free(s);
        return NULL;
    }
    s->acceptor_started = true;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    s->port = s->cfg.port;
    if (getsockname(s->listen_fd, (struct sockaddr *)&bound, &len) == 0)
        s->port = ntohs(bound.ss_family == AF_INET6
                            ? ((struct sockaddr_in6 *)(void *)&bound)->sin6_port
                            : ((struct sockaddr_in *)(void *)&bound)->sin_port);
    return s;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s ? s->port : 0;
}

/* Stops accepting, waits up to SERVER_STOP_WAIT_NS for the requests in
 * flight, then closes every connection and joins the threads. */
void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    acceptor_stop(s);
    int64_t deadline = time_mono_ns() + SERVER_STOP_WAIT_NS;
    while (atomic_load(&s->inflight) > 0 && time_mono_ns() < deadline)
        sleep_ms(5);
    long left = atomic_load(&s->inflight);
    if (left > 0) {
        char num[32];
        snprintf(num, sizeof num, "%ld", left);
        log_event(LOG_WARN, "http_stop_forced", "requests", num, NULL);
    }
    server_free(s);
}
