/* libFuzzer target: the template compiler and renderer (web/tpl.c) and
 * Accept-Language negotiation. The input is a template, then a NUL, then
 * JSON data. Whatever the template, compiling either refuses it or gives
 * a template whose HTML structure no data can change: rendered once with
 * every string of the data replaced by markup ("<\"'>&x") and once by
 * plain letters of the same length, the outputs hold the same number of
 * < > " and ' characters. */
#include "web/i18n.h"
#include "web/tpl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *static_url(const char *name)
{
    return strcmp(name, "a.css") == 0 ? "/static/a.1.css" : NULL;
}

/* A deep copy of j with every string value replaced by s. */
static json_t *replace_strings(const json_t *j, const char *s, int depth)
{
    if (depth > 64)
        return json_null();
    if (json_is_string(j))
        return json_string(s);
    if (json_is_array(j)) {
        json_t *out = json_array();
        for (size_t i = 0; i < json_array_size(j); i++)
            json_array_append_new(out, replace_strings(json_array_get(j, i), s, depth + 1));
        return out;
    }
    if (json_is_object(j)) {
        json_t *out = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) json_object_set_new(out, k,
                                                                  replace_strings(v, s, depth + 1));
        return out;
    }
    return json_deep_copy(j);
}

static void count(const struct buf *b, size_t c[4])
{
    for (size_t i = 0; i < b->len; i++) {
        const char *hit = strchr("<>\"'", b->p[i]);
        if (hit && b->p[i])
            c[hit - "<>\"'"]++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *hdr = strndup((const char *)data, tlen);
    (void)i18n_negotiate(hdr, LANG_KK);
    free(hdr);
    struct tpl_set *s = tpl_set_new(static_url);
    struct err e = ERR_INIT;
    const char *part = "<b>{{x}}</b>";
    if (tpl_add(s, "t", (const char *)data, tlen, &e) < 0 ||
        tpl_add(s, "p", part, strlen(part), &e) < 0 || tpl_link(s, &e) < 0) {
        tpl_set_free(s);
        return 0;
    }
    json_t *j = nul ? json_loadb((const char *)nul + 1, size - tlen - 1, 0, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        j = json_object();
    }
    struct tpl_raw raw = {"raw", "<i>raw</i>", 10};
    enum lang lang = (enum lang)(size % LANG_N);
    struct buf plain, marked;
    buf_init(&plain, 1 << 20);
    buf_init(&marked, 1 << 20);
    (void)tpl_render(s, "t", lang, j, &raw, 1, &plain, &e);
    buf_reset(&plain);
    json_t *jp = replace_strings(j, "abcdex", 0), *jm = replace_strings(j, "<\"'>&x", 0);
    int rp = tpl_render(s, "t", lang, jp, &raw, 1, &plain, &e);
    int rm = tpl_render(s, "t", lang, jm, &raw, 1, &marked, &e);
    if (rp == 0 && rm == 0) {
        size_t cp[4] = {0}, cm[4] = {0};
        count(&plain, cp);
        count(&marked, cm);
        if (memcmp(cp, cm, sizeof cp) != 0)
            abort(); /* data changed the page's markup */
    }
    buf_free(&plain);
    buf_free(&marked);
    json_decref(jp);
    json_decref(jm);
    json_decref(j);
    tpl_set_free(s);
    return 0;
}
