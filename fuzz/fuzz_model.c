/* fuzz_model: libFuzzer target for the metamodel loader. Feeds the input to
 * model_load_buffer; when it loads, validates a sample record of every
 * kind (one plausible value per field type), then indexes it, extracts its
 * search text, judges the kind's checks and derived attributes, and
 * serialises the served model document. */
#include "model/model.h"

#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any kind id is taken to be the id of a record of that kind. */
static int lookup(void *ctx, const char *id, const char **kind)
{
    const struct model_kind *k = model_kind(ctx, id);
    if (!k)
        return -1;
    *kind = k->id;
    return 0;
}

static json_t *sample(const struct model_field *f)
{
    switch (f->type) {
    case FT_STRING:
        return json_string(f->format ? "123456789013" : "x");
    case FT_TEXT:
        return json_string("line\nline");
    case FT_I18N:
        return json_pack("{s:s, s:s}", "kk", "Қ", "ru", "Р");
    case FT_INTEGER:
        return json_integer(f->has_min ? f->min : f->has_max ? f->max : 1);
    case FT_DECIMAL:
        return json_string("-12.50");
    case FT_DATE:
        return json_string("2024-02-29");
    case FT_TIMESTAMP:
        return json_string("2024-02-29T23:59:59.5+05:00");
    case FT_BOOL:
        return json_true();
    case FT_ENUM:
        return json_string(f->enumeration->values[0].id);
    case FT_URL:
        return json_string("https://egov.kz/");
    case FT_EMAIL:
        return json_string("a@egov.kz");
    case FT_LIST:
        return json_pack("[o, o]", sample(f->item), sample(f->item));
    case FT_REF:
        return json_string(f->ref_kinds[0]);
    case FT_OBJECT: {
        json_t *o = json_object();
        for (size_t i = 0; i < f->n_sub; i++)
            json_object_set_new(o, f->sub[i].name, sample(&f->sub[i]));
        return o;
    }
    }
    return json_null();
}

static void count(void *ctx, const char *field, const char *value)
{
    (*(size_t *)ctx) += strlen(field) + strlen(value);
}

static void exercise(const struct model *m, const struct model_kind *k)
{
    json_t *in = json_object(), *out = NULL;
    struct err e = ERR_INIT;
    for (size_t i = 0; i < k->n_fields; i++)
        json_object_set_new(in, k->fields[i].name, sample(&k->fields[i]));
    if (model_validate_fields(k, in, &out, lookup, (void *)m, &e) == 0) {
        size_t n = 0;
        struct buf b;
        buf_init(&b, 1 << 20);
        model_index_values(k, out, count, &n);
        model_search_text(k, out, &b);
        buf_free(&b);
        /* the kind's checks between values (today: 2024-02-29), and a
         * relation's derived attributes between two sample ends */
        struct err ce = ERR_INIT;
        (void)model_check_fields(k, out, 19782, NULL, NULL, &ce);
        for (size_t i = 0; i < k->n_computes; i++)
            (void)model_compute_value(&k->computes[i], out, NULL, NULL);
        for (size_t i = 0; i < k->n_derives; i++)
            (void)model_derive_value(&k->derives[i], out, in);
        json_decref(out);
    }
    json_decref(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct model *m = NULL;
    struct err e = ERR_INIT;
    if (model_load_buffer((const char *)data, size, &m, &e))
        return 0;
    for (size_t i = 0; i < model_n_kinds(m); i++)
        exercise(m, model_kind_at(m, i));
    char *s = json_dumps(model_json(m), JSON_COMPACT);
    free(s);
    model_free(m);
    return 0;
}
