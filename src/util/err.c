/* err: error records, fatal(), and allocation that aborts on out-of-memory. */
#include "err.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* After the '%' of a conversion: its end (the conversion letter), past
 * flags, width, precision and length; *stars counts the '*'s. */
static const char *spec_conv(const char *p, int *stars, char *len)
{
    *stars = 0;
    len[0] = len[1] = '\0';
    p += strspn(p, "-+ #0");
    if (*p == '*')
        (*stars)++, p++;
    p += strspn(p, "0123456789");
    if (*p == '.') {
        p++;
        if (*p == '*')
            (*stars)++, p++;
        p += strspn(p, "0123456789");
    }
    for (int i = 0; i < 2 && *p && strchr("hlzjtL", *p); i++)
        len[i] = *p++;
    return p;
}

/* Renders one conversion (spec[0..] is "%…X") with its argument from ap
 * into val; -1 for a conversion not kept (%n, wide strings). */
static int render_arg(const char *spec, char conv, const char *len, int stars, va_list *ap,
                      char *val, size_t n)
{
    int st[2] = {0, 0};
    for (int i = 0; i < stars; i++)
        st[i] = va_arg(*ap, int);
#define PUT(x)                                                                                     \
    (stars == 0   ? snprintf(val, n, spec, (x))                                                    \
     : stars == 1 ? snprintf(val, n, spec, st[0], (x))                                             \
                  : snprintf(val, n, spec, st[0], st[1], (x)))
    bool l = len[0] == 'l' && !len[1], ll = len[0] == 'l' && len[1] == 'l';
    int rc;
    if (strchr("di", conv))
        rc = ll              ? PUT(va_arg(*ap, long long))
             : l             ? PUT(va_arg(*ap, long))
             : len[0] == 'z' ? PUT(va_arg(*ap, ssize_t))
             : len[0] == 'j' ? PUT(va_arg(*ap, intmax_t))
             : len[0] == 't' ? PUT(va_arg(*ap, ptrdiff_t))
                             : PUT(va_arg(*ap, int));
    else if (strchr("uoxX", conv))
        rc = ll              ? PUT(va_arg(*ap, unsigned long long))
             : l             ? PUT(va_arg(*ap, unsigned long))
             : len[0] == 'z' ? PUT(va_arg(*ap, size_t))
             : len[0] == 'j' ? PUT(va_arg(*ap, uintmax_t))
             : len[0] == 't' ? PUT(va_arg(*ap, ptrdiff_t))
                             : PUT(va_arg(*ap, unsigned));
    else if (conv == 'c' && !len[0])
        rc = PUT(va_arg(*ap, int));
    else if (conv == 's' && !len[0])
        rc = PUT(va_arg(*ap, const char *));
    else if (conv == 'p')
        rc = PUT(va_arg(*ap, void *));
    else if (strchr("fFeEgGaA", conv) && conv)
        rc = len[0] == 'L' ? PUT(va_arg(*ap, long double)) : PUT(va_arg(*ap, double));
    else
        return -1;
#undef PUT
    return rc < 0 ? -1 : 0;
}

/* Keeps fmt as e's message id and each argument as rendered; on anything
 * it cannot keep, no message id (the detail stays as it is). */
static void keep_args(struct err *e, const char *fmt, va_list *ap)
{
    size_t used = 0;
    e->n_args = 0;
    e->msgid[0] = '\0';
    if (strlen(fmt) >= sizeof e->msgid)
        return;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        int stars;
        char len[2], spec[32], val[256];
        const char *c = spec_conv(p + 1, &stars, len);
        size_t sn = (size_t)(c - p) + 1;
        if (!*c || sn >= sizeof spec || e->n_args == UCHAR_MAX)
            return;
        memcpy(spec, p, sn);
        spec[sn] = '\0';
        if (render_arg(spec, *c, len, stars, ap, val, sizeof val) < 0)
            return;
        size_t vn = strlen(val) + 1;
        if (used + vn > sizeof e->args)
            return;
        memcpy(e->args + used, val, vn);
        used += vn;
        e->n_args++;
        p = c;
    }
    memcpy(e->msgid, fmt, strlen(fmt) + 1);
}

void err_setv(struct err *e, int status, const char *type, const char *field, const char *fmt,
              va_list ap)
{
    if (!e)
        return;
    e->status = status;
    snprintf(e->type, sizeof e->type, "%s", type ? type : "");
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list keep;
    va_copy(keep, ap);
    keep_args(e, fmt, &keep);
    va_end(keep);
    e->prefix_len = 0;
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
}

void err_set(struct err *e, int status, const char *type, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, status, type, field, fmt, ap);
    va_end(ap);
}

/* Appends s[0..n) to out (capacity cap, *at bytes used), truncating. */
static void put(char *out, size_t cap, size_t *at, const char *s, size_t n)
{
    if (*at + 1 >= cap)
        return;
    if (n > cap - 1 - *at)
        n = cap - 1 - *at;
    memcpy(out + *at, s, n);
    *at += n;
    out[*at] = '\0';
}

const char *err_detail_in(const struct err *e, const char *format, char *out, size_t n)
{
    if (!e->msgid[0] || !format || n == 0)
        return e->detail;
    const char *arg[UCHAR_MAX];
    const char *a = e->args;
    for (unsigned i = 0; i < e->n_args; i++, a += strlen(a) + 1)
        arg[i] = a;
    size_t at = 0;
    out[0] = '\0';
    put(out, n, &at, e->detail, e->prefix_len);
    unsigned next = 0;
    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            put(out, n, &at, p, 1);
            continue;
        }
        if (p[1] == '%') {
            put(out, n, &at, "%", 1);
            p++;
            continue;
        }
        unsigned idx = next++;
        size_t digits = strspn(p + 1, "0123456789");
        if (digits && p[1 + digits] == '$') {
            idx = (unsigned)strtoul(p + 1, NULL, 10) - 1;
            p += digits + 1;
        }
        int stars;
        char len[2];
        const char *c = spec_conv(p + 1, &stars, len);
        if (!*c || !strchr("diuoxXcspfFeEgGaA", *c) || stars || idx >= e->n_args)
            return e->detail;
        put(out, n, &at, arg[idx], strlen(arg[idx]));
        p = c;
    }
    return out;
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
    if (!e->errors)
        return;
    json_t *args = json_array();
    const char *a = one->args;
    for (unsigned i = 0; i < one->n_args && a < one->args + sizeof one->args; i++) {
        json_array_append_new(args, json_string(a));
        a += strlen(a) + 1;
    }
    json_array_append_new(e->errors,
                          json_pack("{s:s, s:s, s:s, s:s, s:o, s:i}", "field", one->field, "type",
                                    one->type, "detail", one->detail, "msgid", one->msgid, "args",
                                    args, "prefix_len", (int)one->prefix_len));
}

void err_collect_all(struct err *e, const struct err *sub)
{
    size_t i;
    json_t *entry;
    if (!json_array_size(sub->errors)) {
        err_collect(e, sub);
        return;
    }
    if (!json_array_size(e->errors)) { /* e's members: the first of them */
        json_t *keep = e->errors;
        err_of_entry(json_array_get(sub->errors, 0), e);
        e->errors = keep;
    }
    json_array_foreach (sub->errors, i, entry)
        json_array_append(e->errors, entry);
}

static const char *member(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void err_of_entry(const json_t *entry, struct err *out)
{
    *out = (struct err)ERR_INIT;
    out->status = 422;
    snprintf(out->field, sizeof out->field, "%s", member(entry, "field"));
    snprintf(out->type, sizeof out->type, "%s", member(entry, "type"));
    snprintf(out->detail, sizeof out->detail, "%s", member(entry, "detail"));
    snprintf(out->msgid, sizeof out->msgid, "%s", member(entry, "msgid"));
    out->prefix_len = (unsigned short)json_integer_value(json_object_get(entry, "prefix_len"));
    size_t used = 0, i;
    json_t *a;
    json_array_foreach (json_object_get(entry, "args"), i, a) {
        const char *s = json_string_value(a);
        size_t len = s ? strlen(s) : 0;
        if (used + len + 1 > sizeof out->args)
            break;
        memcpy(out->args + used, s ? s : "", len + 1);
        used += len + 1;
        out->n_args++;
    }
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
    if (n < 0 || snprintf(e->detail, sizeof e->detail, "%s%s", prefix, old) < 0) {
        e->detail[0] = '\0';
        e->msgid[0] = '\0';
        return;
    }
    size_t pre = e->prefix_len + strlen(prefix);
    e->prefix_len = (unsigned short)(pre < strlen(e->detail) ? pre : strlen(e->detail));
}
