/* fuzz_query: libFuzzer target for the query-string parser, for
 * percent-decoding, and for the download headers (Range, Content-Disposition).
 *
 * The whole input is the raw query string (as it follows '?'), and is also
 * decoded directly in both modes. Checks: on success every key and value
 * is valid UTF-8 without NUL and there are at most HTTP_MAX_QUERY pairs;
 * on failure the error is a 400; a decoded string is never longer than its
 * input. A Range that parses lies within the representation and is not
 * empty; a Content-Disposition never holds a control character or more
 * than the two quotes of its fallback name. */
#include "http/http.h"

#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decode(struct arena *a, const uint8_t *data, size_t size, bool plus)
{
    char *d = http_pct_decode(a, (const char *)data, size, plus);
    if (d && (strlen(d) > size || !utf8_valid(d, strlen(d))))
        abort();
}

static void check_text(const char *s)
{
    if (!s || !utf8_valid(s, strlen(s)))
        abort();
}

static void check_download_headers(struct arena *a, const char *raw, size_t size)
{
    uint64_t off = 0, len = 0, sizes[] = {0, 1, 100, (uint64_t)size, UINT64_MAX / 2};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int r = http_parse_range(raw, sizes[i], &off, &len);
        if (r == 1 && (len == 0 || off >= sizes[i] || len > sizes[i] - off))
            abort();
    }
    const char *cd = http_content_disposition(a, raw, "document");
    size_t quotes = 0;
    for (const char *p = cd; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
        quotes += *p == '"';
    }
    if (quotes != 0 && quotes != 2)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new();
    check_decode(a, data, size, false);
    check_decode(a, data, size, true);

    struct http_req req;
    memset(&req, 0, sizeof req);
    req.arena = a;
    struct err e = ERR_INIT;
    const char *raw = arena_strndup(a, (const char *)data, size);
    check_download_headers(a, raw, size);
    if (http_parse_query(&req, raw, &e) == 0) {
        if (req.n_query > HTTP_MAX_QUERY)
            abort();
        for (size_t i = 0; i < req.n_query; i++) {
            check_text(req.query[i].key);
            check_text(req.query[i].value);
        }
        if (req.n_query && http_req_query(&req, req.query[0].key) != req.query[0].value)
            abort();
    } else if (e.status != 400) {
        abort();
    }
    arena_free(a);
    return 0;
}
