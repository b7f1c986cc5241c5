/* metrics: per-route HTTP counters and latency histograms, rendered in the
 * Prometheus text exposition format 0.0.4.
 *
 * One process-wide registry keyed by (method, route). The server records
 * every answered request; /metrics renders the lot. A mutex guards the
 * registry: recording is a hash lookup and a few increments, so the lock
 * is held for well under a microsecond. Cardinality is bounded twice: the
 * method label is one of the standard methods or "other", and past
 * METRICS_MAX_SERIES distinct pairs new routes fold into route="other". */
#include "http/http.h"

#include "util/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_SERIES 512
#define METRICS_HASH_SLOTS 1024 /* power of two, > 2 * METRICS_MAX_SERIES */
#define METRICS_N_CODES 500     /* statuses 100..599 */
#define METRICS_N_BOUNDS 11     /* finite histogram buckets; +Inf is implied */
#define METRICS_ROUTE_MAX 256
#define METRICS_MAX_WORKERS 256 /* as the server's thread limit */

static const int64_t bucket_ns[METRICS_N_BOUNDS] = {
    1000000,   2500000,   5000000,   10000000,   25000000,   50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000,
};
static const char *const bucket_le[METRICS_N_BOUNDS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
};

/* Method labels: anything else a client sends counts as "other". */
static const char *const known_methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                            "PATCH", "DELETE", "OPTIONS", NULL};
#define METRICS_N_METHODS 8 /* the known ones plus "other" */

struct series {
    const char *method; /* one of known_methods or "other" */
    char *route;
    uint64_t by_code[METRICS_N_CODES];
    uint64_t by_class[5]; /* 1xx..5xx */
    uint64_t buckets[METRICS_N_BOUNDS + 1];
    uint64_t sum_ns, count;
};

static struct {
    pthread_mutex_t mu;
    struct series *series[METRICS_MAX_SERIES];
    size_t n;
    int slots[METRICS_HASH_SLOTS]; /* index + 1 into series, 0 = empty */
    uint64_t errors_4xx, errors_5xx;
} reg = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const char *method_label(const char *m)
{
    for (size_t i = 0; m && known_methods[i]; i++)
        if (strcmp(known_methods[i], m) == 0)
            return known_methods[i];
    return "other";
}

static uint32_t series_hash(const char *method, const char *route)
{
    uint32_t h = 2166136261u;
    for (const char *p = method; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0xffu) * 16777619u; /* separator no method byte can take */
    for (const char *p = route; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

/* The hash slot holding (method, route), or the empty slot where it would
 * go. Call with reg.mu held. The table never fills up (it has twice as
 * many slots as there can be series), so the probe always ends. */
static int *series_slot(const char *method, const char *route)
{
    uint32_t h = series_hash(method, route);
    for (;; h++) {
        int *slot = &reg.slots[h & (METRICS_HASH_SLOTS - 1)];
        if (*slot == 0)
            return slot;
        const struct series *s = reg.series[*slot - 1];
        if (s->method == method && strcmp(s->route, route) == 0)
            return slot;
    }
}

/* Finds or creates the series for (method, route). Past the cap, new
 * routes fold into route="other"; room is kept for one "other" series per
 * method label, so the result is never NULL. Call with reg.mu held. */
static struct series *series_for(const char *method, const char *route)
{
    if (strlen(route) >= METRICS_ROUTE_MAX)
        route = "other";
    int *slot = series_slot(method, route);
    if (*slot == 0 && reg.n >= METRICS_MAX_SERIES - METRICS_N_METHODS) {
        route = "other";
        slot = series_slot(method, route);
    }
    if (*slot != 0)
        return reg.series[*slot - 1];
    if (reg.n >= METRICS_MAX_SERIES)
        fatal("metrics: series registry overflow");
    struct series *s = xcalloc(1, sizeof *s);
    s->method = method;
    s->route = xstrdup(route);
    reg.series[reg.n++] = s;
    *slot = (int)reg.n;
    return s;
}

static void series_add(struct series *s, int status, int64_t dur_ns)
{
    s->by_code[status - 100]++;
    s->by_class[status / 100 - 1]++;
    size_t b = 0;
    while (b < METRICS_N_BOUNDS && dur_ns > bucket_ns[b])
        b++;
    s->buckets[b]++;
    s->sum_ns += (uint64_t)dur_ns;
    s->count++;
}

/* Records one answered request. route is the matched pattern or
 * "unmatched"; statuses outside 100..599 count as 500. */
void http_metrics_record(const char *method, const char *route, int status, int64_t dur_ns)
{
    if (status < 100 || status > 599)
        status = 500;
    if (dur_ns < 0)
        dur_ns = 0;
    const char *m = method_label(method);
    pthread_mutex_lock(&reg.mu);
    series_add(series_for(m, route ? route : "unmatched"), status, dur_ns);
    if (status >= 500)
        reg.errors_5xx++;
    else if (status >= 400)
        reg.errors_4xx++;
    pthread_mutex_unlock(&reg.mu);
}

/* Requests between their request line and their end (answered, cut off
 * or abandoned), and connections the server cut for their slowness. */
static atomic_long in_flight;
static atomic_ulong cut_header, cut_body;

void http_metrics_reset(void)
{
    pthread_mutex_lock(&reg.mu);
    for (size_t i = 0; i < reg.n; i++) {
        free(reg.series[i]->route);
        free(reg.series[i]);
        reg.series[i] = NULL;
    }
    reg.n = 0;
    memset(reg.slots, 0, sizeof reg.slots);
    reg.errors_4xx = reg.errors_5xx = 0;
    atomic_store(&cut_header, 0);
    atomic_store(&cut_body, 0);
    pthread_mutex_unlock(&reg.mu);
}

/* ---- rendering --------------------------------------------------------- */

/* A label value with \, " and newline escaped as the format requires. */
static int put_label(struct buf *out, const char *v)
{
    int rc = 0;
    for (const char *p = v; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_putc(out, *p);
    }
    return rc;
}

/* name{method="…",route="…"  — the caller closes the brace. */
static int put_series_head(struct buf *out, const char *name, const struct series *s)
{
    int rc = buf_printf(out, "%s{method=\"", name);
    rc |= put_label(out, s->method);
    rc |= buf_puts(out, "\",route=\"");
    rc |= put_label(out, s->route);
    rc |= buf_putc(out, '"');
    return rc;
}

static int put_family(struct buf *out, const char *name, const char *type, const char *help)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int render_codes(struct buf *out)
{
    const char *name = "archportal_http_requests_total";
    int rc = put_family(out, name, "counter",
                        "HTTP requests answered, by method, route and status code.");
    for (size_t i = 0; i < reg.n; i++) {
        const struct series *s = reg.series[i];
        for (int c = 0; c < METRICS_N_CODES; c++) {
            if (!s->by_code[c])
                continue;
            rc |= put_series_head(out, name, s);
            rc |= buf_printf(out, ",code=\"%d\"} %" PRIu64 "\n", c + 100, s->by_code[c]);
        }
    }
    return rc;
}

static int render_classes(struct buf *out)
{
    const char *name = "archportal_http_requests_by_class_total";
    int rc = put_family(out, name, "counter",
                        "HTTP requests answered, by method, route and status class.");
    for (size_t i = 0; i < reg.n; i++) {
        const struct series *s = reg.series[i];
        for (int c = 0; c < 5; c++) {
            if (!s->by_class[c])
                continue;
            rc |= put_series_head(out, name, s);
            rc |= buf_printf(out, ",class=\"%dxx\"} %" PRIu64 "\n", c + 1, s->by_class[c]);
        }
    }
    return rc;
}

/* Seconds from nanoseconds without floating point (and so without the
 * locale's decimal separator). */
static int put_seconds(struct buf *out, uint64_t ns)
{
    return buf_printf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

static int render_histogram_one(struct buf *out, const struct series *s)
{
    int rc = 0;
    uint64_t cum = 0;
    for (size_t b = 0; b <= METRICS_N_BOUNDS; b++) {
        cum += s->buckets[b];
        rc |= put_series_head(out, "archportal_http_request_duration_seconds_bucket", s);
        rc |= buf_printf(out, ",le=\"%s\"} %" PRIu64 "\n",
                         b < METRICS_N_BOUNDS ? bucket_le[b] : "+Inf", cum);
    }
    rc |= put_series_head(out, "archportal_http_request_duration_seconds_sum", s);
    rc |= buf_puts(out, "} ");
    rc |= put_seconds(out, s->sum_ns);
    rc |= buf_putc(out, '\n');
    rc |= put_series_head(out, "archportal_http_request_duration_seconds_count", s);
    rc |= buf_printf(out, "} %" PRIu64 "\n", s->count);
    return rc;
}

static int render_histograms(struct buf *out)
{
    int rc = put_family(out, "archportal_http_request_duration_seconds", "histogram",
                        "Time from request line to response, by method and route.");
    for (size_t i = 0; i < reg.n; i++)
        rc |= render_histogram_one(out, reg.series[i]);
    return rc;
}

static int render_errors(struct buf *out)
{
    const char *name = "archportal_http_errors_total";
    int rc = put_family(out, name, "counter", "HTTP requests answered with a 4xx or 5xx status.");
    rc |= buf_printf(out, "%s{class=\"4xx\"} %" PRIu64 "\n", name, reg.errors_4xx);
    rc |= buf_printf(out, "%s{class=\"5xx\"} %" PRIu64 "\n", name, reg.errors_5xx);
    return rc;
}

/* Open connections per worker thread: how evenly the work is spread. */
static atomic_int worker_open[METRICS_MAX_WORKERS];
static atomic_uint workers_seen; /* highest worker index + 1 */

void http_metrics_connection(unsigned worker, int delta)
{
    if (worker >= METRICS_MAX_WORKERS)
        return;
    atomic_fetch_add(&worker_open[worker], delta);
    unsigned seen = atomic_load(&workers_seen);
    while (seen < worker + 1 && !atomic_compare_exchange_weak(&workers_seen, &seen, worker + 1))
        ;
}

void http_metrics_in_flight(int delta)
{
    atomic_fetch_add(&in_flight, delta);
}

void http_metrics_cut(bool body)
{
    atomic_fetch_add(body ? &cut_body : &cut_header, 1);
}

static int render_workers(struct buf *out)
{
    const char *name = "archportal_http_open_connections";
    int rc = put_family(out, name, "gauge", "Open connections, by worker thread.");
    unsigned n = atomic_load(&workers_seen);
    for (unsigned i = 0; i < n; i++)
        rc |= buf_printf(out, "%s{worker=\"%u\"} %d\n", name, i, atomic_load(&worker_open[i]));
    name = "archportal_http_requests_in_flight";
    rc |= put_family(out, name, "gauge", "Requests received and not yet ended.");
    rc |= buf_printf(out, "%s %ld\n", name, atomic_load(&in_flight));
    name = "archportal_http_connections_cut_total";
    rc |= put_family(out, name, "counter",
                     "Connections closed for sending their headers or body too slowly.");
    rc |= buf_printf(out, "%s{phase=\"headers\"} %lu\n", name, atomic_load(&cut_header));
    rc |= buf_printf(out, "%s{phase=\"body\"} %lu\n", name, atomic_load(&cut_body));
    return rc;
}

/* Appends the exposition to out, then lets extra(out, ctx) (if given) add
 * the application's own families. */
void http_metrics_render(struct buf *out, http_metrics_extra extra, void *ctx)
{
    pthread_mutex_lock(&reg.mu);
    int rc = render_codes(out);
    rc |= render_classes(out);
    rc |= render_histograms(out);
    rc |= render_errors(out);
    rc |= render_workers(out);
    pthread_mutex_unlock(&reg.mu);
    if (rc != 0)
        log_event(LOG_WARN, "metrics_truncated", NULL);
    if (extra)
        extra(out, ctx);
}
