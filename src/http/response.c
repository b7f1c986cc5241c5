/* response: builders that fill a struct http_resp.
 *
 * Handlers answer with JSON, raw bytes or an RFC 9457 problem document;
 * the server turns the filled struct into a libmicrohttpd response. Every
 * string a builder keeps is copied into the request's arena, and every body
 * is complete before the handler returns (no streaming here). A builder
 * never fails: if a body cannot be produced it degrades to a 500 problem. */
#include "http/http.h"

#include "util/log.h"
#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#define PROBLEM_URN "urn:archportal:problem:"

struct reason {
    int status;
    const char *phrase;
};

/* Reason phrases from RFC 9110 (and 6585, 7725) for the codes we may use. */
static const struct reason reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
};

static const char *reason_phrase(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].phrase;
    return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Unknown";
}

const char *http_problem_type(struct arena *a, const char *slug)
{
    return arena_printf(a, PROBLEM_URN "%s", slug && *slug ? slug : "error");
}

/* Length of the UTF-8 sequence a lead byte announces (1 for bad leads). */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    if ((c & 0xF8) == 0xF0)
        return 4;
    return 1;
}

/* A copy of s in which every byte that is not part of valid UTF-8 becomes
 * U+FFFD, so that error text truncated mid-character (struct err fields
 * are fixed-size) or echoing client bytes still serialises as JSON. */
static const char *utf8_sanitize(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    if (utf8_valid(s, n))
        return s;
    if (n > (SIZE_MAX - 1) / 3)
        fatal("response: string too long");
    char *out = arena_alloc(a, n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq_len((unsigned char)s[i]);
        if (len <= n - i && utf8_valid(s + i, len)) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

static bool header_text_ok(const char *s, bool is_name)
{
    if (is_name && !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' || *p == '\n')
            return false;
        if (is_name && (*p <= ' ' || *p == ':' || *p >= 0x7f))
            return false;
    }
    return true;
}

/* Adds a response header (copied). Names or values that would split the
 * header block, and headers beyond HTTP_MAX_HEADERS, are dropped with a
 * warning rather than sent. */
void http_resp_header(struct http_resp *r, const char *name, const char *value)
{
    if (!name || !value || !header_text_ok(name, true) || !header_text_ok(value, false)) {
        log_event(LOG_WARN, "http_header_dropped", "reason", "invalid name or value", NULL);
        return;
    }
    if (r->n_headers >= HTTP_MAX_HEADERS) {
        log_event(LOG_WARN, "http_header_dropped", "reason", "too many headers", NULL);
        return;
    }
    r->headers[r->n_headers].key = arena_strdup(r->arena, name);
    r->headers[r->n_headers].value = arena_strdup(r->arena, value);
    r->n_headers++;
}

/* Replaces the body; -1 (body left empty) if it exceeds the buffer cap. */
static int resp_set_body(struct http_resp *r, int status, const char *content_type,
                         const char *data, size_t n)
{
    buf_reset(&r->body);
    r->persistent = NULL;
    r->status = status;
    r->content_type = arena_strdup(r->arena, content_type);
    r->problem = false;
    return buf_append(&r->body, data, n);
}

/* Replaces whatever the handler built with a 500 problem. */
static void resp_internal(struct http_resp *r, const char *detail)
{
    struct err e = ERR_INIT;
    err_internal(&e, "%s", detail);
    http_resp_problem(r, &e);
}

static http_detail_tr detail_tr;

void http_set_detail_translator(http_detail_tr tr)
{
    detail_tr = tr;
}

/* e's detail in the reader's language (REQ X-I18N-01), saying which. */
static const char *problem_detail(struct http_resp *r, const struct err *e)
{
    if (!detail_tr)
        return e->detail;
    char out[sizeof e->detail * 2];
    const char *tag = NULL;
    const char *d = detail_tr(e, r->accept_language, out, sizeof out, &tag);
    bool had = false;
    for (size_t i = 0; i < r->n_headers; i++)
        had |= strcasecmp(r->headers[i].key, "Content-Language") == 0;
    if (tag && !had) {
        http_resp_header(r, "Content-Language", tag);
        http_resp_header(r, "Vary", "Accept-Language");
    }
    return arena_strdup(r->arena, d ? d : e->detail);
}

static json_t *problem_json(struct http_resp *r, int status, const struct err *e)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    const char *slug = e->type[0] ? e->type : (status >= 500 ? "internal-error" : "error");
    int rc = json_object_set_new(
        o, "type", json_string(http_problem_type(r->arena, utf8_sanitize(r->arena, slug))));
    rc |= json_object_set_new(o, "title", json_string(reason_phrase(status)));
    rc |= json_object_set_new(o, "status", json_integer(status));
    if (e->detail[0])
        rc |= json_object_set_new(o, "detail",
                                  json_string(utf8_sanitize(r->arena, problem_detail(r, e))));
    if (e->field[0])
        rc |= json_object_set_new(o, "field", json_string(utf8_sanitize(r->arena, e->field)));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char problem_fallback[] = "{\"type\":\"" PROBLEM_URN "internal-error\","
                                       "\"title\":\"Internal Server Error\",\"status\":500}";

void http_resp_problem(struct http_resp *r, const struct err *e)
{
    http_resp_problem_ext(r, e, NULL, NULL);
}

void http_resp_problem_ext(struct http_resp *r, const struct err *e, const char *key,
                           json_t *value)
{
    struct err none = ERR_INIT;
    if (!e)
        e = &none;
    int status = e->status >= 400 && e->status <= 599 ? e->status : 500;
    json_t *o = problem_json(r, status, e);
    if (o && key && value && strcmp(key, "errors") == 0 && json_is_array(value)) {
        /* every problem of an input, each said in the reader's language */
        size_t i;
        json_t *entry;
        json_array_foreach (value, i, entry) {
            struct err one;
            err_of_entry(entry, &one);
            json_object_set_new(entry, "detail",
                                json_string(utf8_sanitize(r->arena, problem_detail(r, &one))));
            json_object_del(entry, "msgid");
            json_object_del(entry, "args");
            json_object_del(entry, "prefix_len");
        }
    }
    if (o && key && value)
        json_object_set(o, key, value);
    json_decref(value);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    const char *ct = "application/problem+json";
    if (!s || resp_set_body(r, status, ct, s, strlen(s)) < 0) {
        log_event(LOG_ERROR, "http_problem_failed", NULL);
        status = 500;
        if (resp_set_body(r, status, ct, problem_fallback, sizeof problem_fallback - 1) < 0)
            buf_reset(&r->body);
    }
    free(s);
    r->problem = true;
}

/* Serialises j compactly in insertion order and drops the reference. A
 * NULL j (a failed json_* constructor upstream) becomes a 500 problem. */
void http_resp_json(struct http_resp *r, int status, json_t *j)
{
    if (!j) {
        resp_internal(r, "the response could not be built");
        return;
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(j);
    if (!s) {
        resp_internal(r, "the response could not be serialised");
        return;
    }
    int rc = resp_set_body(r, status, "application/json", s, strlen(s));
    free(s);
    if (rc < 0)
        resp_internal(r, "the response is too large");
}

void http_resp_bytes(struct http_resp *r, int status, const char *content_type, const char *data,
                     size_t n)
{
    if (!content_type)
        content_type = "application/octet-stream";
    if (resp_set_body(r, status, content_type, data ? data : "", data ? n : 0) < 0)
        resp_internal(r, "the response is too large");
}

void http_resp_buf(struct http_resp *r, int status, const char *content_type, struct buf *b)
{
    if (resp_set_body(r, status, content_type ? content_type : "application/octet-stream", "",
                      0) < 0) {
        resp_internal(r, "the response is too large");
        return;
    }
    struct buf empty = r->body; /* reset: nothing in it */
    r->body = *b;
    *b = empty;
}

void http_resp_static(struct http_resp *r, int status, const char *content_type,
                      const char *data, size_t n)
{
    r->status = status;
    r->content_type = arena_strdup(r->arena, content_type ? content_type : "application/octet-stream");
    r->problem = false;
    buf_reset(&r->body);
    r->persistent = data ? data : "";
    r->persistent_len = data ? n : 0;
}

int http_tmpfile_done(FILE *f, bool keep, uint64_t *size)
{
    long n = keep && fflush(f) == 0 && !ferror(f) ? ftell(f) : -1;
    int fd = n >= 0 ? dup(fileno(f)) : -1;
    fclose(f);
    *size = n >= 0 ? (uint64_t)n : 0;
    return fd;
}

bool http_tmpname(char path[HTTP_TMPNAME_MAX])
{
    snprintf(path, HTTP_TMPNAME_MAX, "/tmp/archportal-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return false;
    }
    close(fd);
    return true;
}

int http_tmpname_take(const char *path, bool keep, uint64_t *size)
{
    *size = 0;
    if (!path[0])
        return -1;
    int fd = keep ? open(path, O_RDONLY) : -1;
    unlink(path);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        *size = (uint64_t)st.st_size;
        return fd;
    }
    if (fd >= 0)
        close(fd);
    return -1;
}

void http_resp_file(struct http_resp *r, int status, const char *content_type, int fd,
                    uint64_t file_off, uint64_t file_len)
{
    r->status = status;
    r->content_type = arena_strdup(r->arena, content_type ? content_type : "application/octet-stream");
    r->problem = false;
    r->file = true;
    r->file_fd = fd;
    r->file_off = file_off;
    r->file_len = file_len;
}
