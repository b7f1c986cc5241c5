/* jtext: values found in JSON text without parsing it (jtext.h). */
#include "util/jtext.h"

#include "util/buf.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* How deep arrays and objects may nest in a value skipped over. */
#define JTEXT_MAX_DEPTH 64

static const char *spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Past the string at p (at its opening quote), or NULL: its next quote
 * found with memchr (names are most of a record's text), unless an odd
 * run of backslashes escapes it. */
static const char *skip_string(const char *p, const char *end)
{
    const char *start = ++p;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return NULL;
        size_t run = 0;
        while (q - run > start && q[-1 - (ptrdiff_t)run] == '\\')
            run++;
        if (run % 2 == 0)
            return q + 1;
        p = q + 1;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *end, int depth);

/* Past the array or object at p (its opening bracket), or NULL. */
static const char *skip_nested(const char *p, const char *end, int depth)
{
    char close = *p == '{' ? '}' : ']';
    bool object = *p == '{';
    if (depth >= JTEXT_MAX_DEPTH)
        return NULL;
    p = spaces(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    while (p && p < end) {
        if (object) {
            if (*p != '"' || !(p = skip_string(p, end)))
                return NULL;
            p = spaces(p, end);
            if (p == end || *p != ':')
                return NULL;
            p = spaces(p + 1, end);
        }
        p = skip_value(p, end, depth + 1);
        p = p ? spaces(p, end) : NULL;
        if (!p || p == end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = spaces(p + 1, end);
    }
    return NULL;
}

/* Past the value at p, or NULL. A number or literal is taken as the run of
 * the characters they are made of. */
static const char *skip_value(const char *p, const char *end, int depth)
{
    if (p == end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[')
        return skip_nested(p, end, depth);
    const char *at = p;
    while (p < end && strchr("0123456789+-.eEtrufalsn", *p) && *p)
        p++;
    return p > at ? p : NULL;
}

/* Starts it inside the array or object at v: false when v does not open
 * with `open`. */
static bool enter(struct jspan v, struct jtext_iter *it, char open)
{
    const char *end = v.p + v.n, *p = spaces(v.p, end);
    *it = (struct jtext_iter){p + 1, end, false};
    return p < end && *p == open;
}

bool jtext_array(struct jspan v, struct jtext_iter *it)
{
    return enter(v, it, '[');
}

bool jtext_next(struct jtext_iter *it, struct jspan *out)
{
    const char *p = spaces(it->p, it->end);
    if (p == it->end || *p == ']') {
        it->p = it->end; /* done: later calls answer the same */
        return false;
    }
    if (it->started) {
        if (*p != ',') {
            it->p = it->end;
            return false;
        }
        p = spaces(p + 1, it->end);
    }
    const char *after = skip_value(p, it->end, 1);
    if (!after) {
        it->p = it->end;
        return false;
    }
    *out = (struct jspan){p, (size_t)(after - p)};
    it->p = after;
    it->started = true;
    return true;
}

bool jtext_object(struct jspan v, struct jtext_iter *it)
{
    return enter(v, it, '{');
}

bool jtext_next_member(struct jtext_iter *it, struct jspan *key, struct jspan *value)
{
    const char *p = spaces(it->p, it->end);
    if (p < it->end && *p == '}') {
        it->p = p; /* the end: later calls answer the same */
        return false;
    }
    if (p == it->end || (it->started && *p != ',')) {
        it->p = it->end; /* malformed: the same */
        return false;
    }
    if (it->started)
        p = spaces(p + 1, it->end);
    const char *k = p, *val = NULL, *after = NULL;
    if (p < it->end && *p == '"' && (p = skip_string(p, it->end)) != NULL) {
        const char *colon = spaces(p, it->end);
        if (colon < it->end && *colon == ':') {
            val = spaces(colon + 1, it->end);
            after = skip_value(val, it->end, 1);
        }
    }
    if (!after) {
        it->p = it->end;
        return false;
    }
    *key = (struct jspan){k + 1, (size_t)(p - k - 2)};
    *value = (struct jspan){val, (size_t)(after - val)};
    it->p = after;
    it->started = true;
    return true;
}

bool jtext_member(struct jspan v, const char *key, struct jspan *out)
{
    struct jtext_iter it;
    struct jspan k, val;
    size_t klen = strlen(key);
    if (!jtext_object(v, &it))
        return false;
    while (jtext_next_member(&it, &k, &val))
        if (k.n == klen && memcmp(k.p, key, klen) == 0) {
            *out = val;
            return true;
        }
    return false;
}

bool jtext_object_whole(const struct jtext_iter *it)
{
    return it->p < it->end && *it->p == '}';
}

bool jtext_plain_string(struct jspan v, struct jspan *out)
{
    if (v.n < 2 || v.p[0] != '"' || v.p[v.n - 1] != '"')
        return false;
    if (memchr(v.p + 1, '\\', v.n - 2) || memchr(v.p + 1, '"', v.n - 2))
        return false;
    *out = (struct jspan){v.p + 1, v.n - 2};
    return true;
}

int jtext_put_string(struct buf *b, const char *s)
{
    int rc = buf_putc(b, '"');
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c && c != '"' && c != '\\' && c >= 0x20)
            continue;
        rc |= buf_append(b, run, (size_t)(s - run));
        if (!c)
            break;
        static const char named[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt";
        const char *at = strchr(named, c); /* an escape with a letter */
        char esc[8];
        if (at)
            snprintf(esc, sizeof esc, "\\%c", letter[at - named]);
        else
            snprintf(esc, sizeof esc, "\\u%04X", c);
        rc |= buf_puts(b, esc);
        run = s + 1;
    }
    return rc | buf_putc(b, '"');
}
