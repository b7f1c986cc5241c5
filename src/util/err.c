/* err: error records, fatal(), and allocation that aborts on out-of-memory. */
#include "err.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void err_set(struct err *e, int status, const char *type, const char *field, const char *fmt, ...)
{
    if (!e)
        return;
    e->status = status;
    snprintf(e->type, sizeof e->type, "%s", type ? type : "");
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

void err_collect(struct err *e, const struct err *one)
{
    if (!e || !one || !one->status)
        return;
    if (!e->errors || json_array_size(e->errors) == 0) { /* the first */
        json_t *keep = e->errors;
        *e = *one;
        e->errors = keep;
    }
    if (e->errors)
        json_array_append_new(e->errors, json_pack("{s:s, s:s, s:s}", "field", one->field, "type",
                                                   one->type, "detail", one->detail));
}

_Noreturn void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("archportal: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        fatal("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        fatal("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        fatal("out of memory (%zu bytes)", n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e)
        return;
    char prefix[256], old[sizeof e->detail];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, e->detail, sizeof old);
    if (n < 0 || snprintf(e->detail, sizeof e->detail, "%s%s", prefix, old) < 0)
        e->detail[0] = '\0';
}
