/* libFuzzer target: util/jtext, the scanner a read uses on stored records
 * (a member's value, an array's elements, a plain string) and the string
 * writer. On any input it must stay inside the text; on what jansson
 * reads as JSON it must agree with jansson: an array's elements are
 * jansson's elements, a member's value is a value jansson reads, and a
 * string written reads back as itself; an object's members walked in one
 * pass are jansson's. */
#include "util/buf.h"
#include "util/jtext.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The value at v, parsed by jansson (NULL when it does not read it). */
static json_t *parsed(struct jspan v)
{
    return json_loadb(v.p, v.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

/* How deep arrays and objects nest in j (1: not at all). */
static int depth(const json_t *j)
{
    int d = 0;
    size_t i;
    const char *k;
    const json_t *x;
    if (json_is_array(j))
        json_array_foreach (j, i, x)
            d = depth(x) > d ? depth(x) : d;
    else if (json_is_object(j))
        json_object_foreach ((json_t *)j, k, x)
            d = depth(x) > d ? depth(x) : d;
    return d + 1;
}

static void elements(struct jspan text, const json_t *doc)
{
    struct jtext_iter it;
    struct jspan el;
    if (!jtext_array(text, &it))
        return;
    size_t n = 0;
    while (jtext_next(&it, &el)) {
        if (el.p < text.p || el.p + el.n > text.p + text.n)
            __builtin_trap(); /* outside the text */
        json_t *j = parsed(el);
        if (json_is_array(doc) && (!j || !json_equal(j, json_array_get(doc, n))))
            __builtin_trap(); /* not jansson's element */
        json_decref(j);
        n++;
    }
    if (json_is_array(doc) && n != json_array_size(doc) && depth(doc) < 60)
        __builtin_trap(); /* a well-formed array walked short (deep nesting is refused) */
}

static void members(struct jspan text, const json_t *doc)
{
    static const char *const keys[] = {"a", "id", "kind", "base", "attributes", ""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        struct jspan v, s;
        if (!jtext_member(text, keys[i], &v))
            continue;
        if (v.p < text.p || v.p + v.n > text.p + text.n)
            __builtin_trap();
        json_t *j = parsed(v);
        if (json_is_object(doc) && !j)
            __builtin_trap(); /* a member of a JSON object that is no value */
        if (j && jtext_plain_string(v, &s) &&
            (!json_is_string(j) || json_string_length(j) != s.n ||
             memcmp(json_string_value(j), s.p, s.n) != 0))
            __builtin_trap(); /* a plain string read otherwise than jansson reads it */
        json_decref(j);
    }
}

/* An object's members walked in one pass: inside the text, each value
 * one jansson reads, a plain key's value jansson's for that key when the
 * key is met once, and none left out of a well-formed object. */
static void walked(struct jspan text, const json_t *doc)
{
    struct jtext_iter it;
    struct jspan k, v;
    if (!jtext_object(text, &it))
        return;
    size_t n = 0;
    while (jtext_next_member(&it, &k, &v)) {
        if (k.p < text.p || v.p < text.p || v.p + v.n > text.p + text.n)
            __builtin_trap(); /* outside the text */
        json_t *j = parsed(v);
        if (json_is_object(doc) && !j)
            __builtin_trap(); /* a member of a JSON object that is no value */
        json_decref(j);
        n++;
    }
    if (json_is_object(doc) && depth(doc) < 60 &&
        (n < json_object_size(doc) || !jtext_object_whole(&it)))
        __builtin_trap(); /* a well-formed object walked short */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    struct jspan text = {(const char *)data, size};
    /* stored texts are C strings: with a NUL byte, only stay inside (jansson
     * reads some such texts as JSON) */
    json_t *doc = memchr(data, 0, size) ? NULL : json_loadb(text.p, text.n, JSON_DECODE_ANY, NULL);
    elements(text, doc);
    members(text, doc);
    walked(text, doc);
    json_decref(doc);
    /* a string written reads back as itself */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    json_t *js = json_string(s); /* NULL unless valid UTF-8 */
    if (js) {
        struct buf b;
        buf_init(&b, 0);
        jtext_put_string(&b, s);
        json_t *back = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
        if (!back || !json_equal(back, js))
            __builtin_trap();
        json_decref(back);
        buf_free(&b);
        json_decref(js);
    }
    free(s);
    return 0;
}
