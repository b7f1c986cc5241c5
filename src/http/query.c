/* query: percent-decoding and the query-string parser, plus the request
 * accessors for query and path parameters.
 *
 * Everything that leaves this file is valid UTF-8 without NUL bytes, so a
 * handler can put it into JSON, SQL parameters or logs without checking it
 * again. Decoded strings live in the request's arena. */
#include "http/http.h"

#include "util/text.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_pct_decode(struct arena *a, const char *s, size_t n, bool plus_is_space)
{
    char *out = arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (n - i < 3)
                return NULL;
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char)(unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    /* utf8_valid also refuses NUL, whether it came raw or as %00. */
    if (!utf8_valid(out, o))
        return NULL;
    return out;
}

/* The raw key, for error messages, when it is short printable ASCII. */
static void query_error_field(const char *key, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    if (n == 0 || n >= cap)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c >= 0x7f)
            return;
    }
    memcpy(out, key, n);
    out[n] = '\0';
}

/* Decodes one "key[=value]" pair of n bytes into kv[*count]. */
static int kv_add_pair(struct arena *arena, const char *pair, size_t n, struct http_kv *kv,
                       size_t max, size_t *count, struct err *e)
{
    const char *eq = memchr(pair, '=', n);
    size_t klen = eq ? (size_t)(eq - pair) : n;
    char field[sizeof e->field];
    char *key = http_pct_decode(arena, pair, klen, true);
    if (!key) {
        query_error_field(pair, klen, field, sizeof field);
        err_bad_request(e, field, "a query parameter name is not valid percent-encoded UTF-8");
        return -1;
    }
    const char *value = "";
    if (eq) {
        value = http_pct_decode(arena, eq + 1, n - klen - 1, true);
        if (!value) {
            err_bad_request(e, key, "query parameter \"%s\" is not valid percent-encoded UTF-8",
                            key);
            return -1;
        }
    }
    if (*count >= max) {
        err_bad_request(e, "", "too many query parameters or form fields (at most %zu)", max);
        return -1;
    }
    kv[*count].key = key;
    kv[*count].value = value;
    (*count)++;
    return 0;
}

/* Splits raw[0..n) at '&' and decodes each pair. */
static int parse_pairs(struct arena *arena, const char *raw, size_t len, struct http_kv *kv,
                       size_t max, size_t *count, struct err *e)
{
    *count = 0;
    const char *p = raw, *end = raw + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
        if (n > 0 && kv_add_pair(arena, p, n, kv, max, count, e) < 0)
            return -1;
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

int http_parse_form(struct arena *arena, const char *body, size_t len, struct http_kv *out,
                    size_t max, size_t *count, struct err *e)
{
    return parse_pairs(arena, body ? body : "", body ? len : 0, out, max, count, e);
}

int http_parse_query(struct http_req *req, const char *raw, struct err *e)
{
    req->n_query = 0;
    if (!raw)
        return 0;
    return parse_pairs(req->arena, raw, strlen(raw), req->query, HTTP_MAX_QUERY, &req->n_query, e);
}

const char *http_req_cookie(struct http_req *r, const char *name)
{
    const char *h = http_req_header(r, "Cookie");
    size_t n = strlen(name);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return arena_strndup(r->arena, p + n + 1, strcspn(p + n + 1, ";"));
        p += strcspn(p, ";");
    }
    return NULL;
}

const char *http_req_query(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_query; i++)
        if (strcmp(r->query[i].key, name) == 0)
            return r->query[i].value;
    return NULL;
}

/* Fills out[] with up to max values of `name`, in request order; returns
 * how many it wrote. */
size_t http_req_query_all(const struct http_req *r, const char *name, const char **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n_query && k < max; i++)
        if (strcmp(r->query[i].key, name) == 0)
            out[k++] = r->query[i].value;
    return k;
}

const char *http_req_param(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].key, name) == 0)
            return r->params[i].value;
    return NULL;
}
