/* libFuzzer target: the list query parser (q, filter, kind, owner, sort,
 * limit, cursor). The input is split on '&' into key=value pairs exactly
 * as decoded query parameters reach listq_parse. Each value is also a
 * walk's ?types= (registry_trace_types): on success every type is a
 * relation of the model and every way out, in or both. */
#include "embedded.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct err e = ERR_INIT;
    if (model_load_buffer((const char *)model_egov_kz, model_egov_kz_len, &model, &e) < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct arena *a = arena_new();
    char *text = arena_strndup(a, (const char *)data, size);
    if (strlen(text) != size || !utf8_valid(text, size)) { /* the server refuses these */
        arena_free(a);
        return 0;
    }
    struct listq_param params[64];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(text, "&", &save); tok && n < 64; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        params[n].key = tok;
        params[n].value = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        const char *const *types;
        const unsigned char *ways;
        struct err e = ERR_INIT;
        if (registry_trace_types(model, a, params[i].value, &types, &ways, &e) < 0) {
            if (e.status != 400 || strcmp(e.field, "types") != 0)
                abort();
            continue;
        }
        for (size_t j = 0; types && types[j]; j++) {
            const struct model_kind *k = model_kind(model, types[j]);
            if (!k || !k->is_relation || (ways && (ways[j] < 1 || ways[j] > 3)))
                abort();
        }
    }
    const char *colls[] = {"objects", "organizations", "relations"};
    for (size_t i = 0; i < 3; i++) {
        struct list_query q;
        struct err e = ERR_INIT;
        static const char *const extra[] = {"field", NULL};
        if (listq_parse(a, model, model_collection(model, colls[i]), params, n, extra, &q, &e) ==
            0) {
            char *c = listq_cursor_encode(a, &q, "k", 1);
            (void)c;
        }
    }
    arena_free(a);
    return 0;
}
