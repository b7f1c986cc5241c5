/* range: the byte Range request header (RFC 9110 section 14) and the
 * Content-Disposition of downloads (RFC 6266, RFC 8187). */
#include "http/http.h"

#include "util/text.h"

#include <string.h>

#define FILENAME_MAX_BYTES 200

/* Digits at *p into *v (saturating at UINT64_MAX); false when there are
 * none. */
static bool read_number(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *v = x;
    return true;
}

int http_parse_range(const char *header, uint64_t size, uint64_t *off, uint64_t *len)
{
    if (!header || strncmp(header, "bytes=", 6) != 0)
        return 0;
    const char *p = header + 6;
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t first = 0, last = 0;
    bool has_first = read_number(&p, &first);
    if (*p++ != '-')
        return 0;
    bool has_last = read_number(&p, &last);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0') /* several ranges or trailing junk: serve the whole */
        return 0;
    if (!has_first) {
        if (!has_last)
            return 0;
        if (last == 0 || size == 0)
            return -1; /* an empty suffix cannot be satisfied */
        *len = last < size ? last : size;
        *off = size - *len;
        return 1;
    }
    if (has_last && last < first)
        return 0; /* invalid: ignored */
    if (first >= size)
        return -1;
    if (!has_last || last >= size)
        last = size - 1;
    *off = first;
    *len = last - first + 1;
    return 1;
}

/* RFC 8187 attr-char: what may stand unescaped in filename*. */
static bool attr_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$&+-.^_`|~", c));
}

const char *http_content_disposition(struct arena *a, const char *name, const char *fallback)
{
    char safe[FILENAME_MAX_BYTES + 1];
    text_safe_filename(name, safe, sizeof safe);
    if (!safe[0])
        text_safe_filename(fallback, safe, sizeof safe);
    if (!safe[0])
        return "attachment";
    /* the ASCII fallback: one '_' per non-ASCII character */
    char ascii[FILENAME_MAX_BYTES + 1];
    size_t o = 0;
    for (const char *p = safe; *p;) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            ascii[o++] = (char)c;
            p++;
        } else {
            utf8_next(&p);
            ascii[o++] = '_';
        }
    }
    ascii[o] = '\0';
    static const char hex[] = "0123456789ABCDEF";
    char ext[FILENAME_MAX_BYTES * 3 + 1];
    o = 0;
    for (const unsigned char *p = (const unsigned char *)safe; *p; p++) {
        if (attr_char(*p)) {
            ext[o++] = (char)*p;
        } else {
            ext[o++] = '%';
            ext[o++] = hex[*p >> 4];
            ext[o++] = hex[*p & 15];
        }
    }
    ext[o] = '\0';
    return arena_printf(a, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, ext);
}
