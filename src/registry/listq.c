/* listq: parsing of list queries and the opaque cursor.
 *
 * The cursor is base64url of a small JSON object {"s":sort,"k":key,"r":rid}
 * so that it is opaque to clients but strictly checkable here: a cursor
 * that does not decode, or that belongs to another sort order, is a 400. */
#include "listq.h"

#include "util/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTQ_MAX_Q 256
#define LISTQ_MAX_VALUE 200

bool listq_field_filterable(const struct model *m, const struct model_collection *coll,
                            const char *field, enum field_type *type,
                            const struct model_field **def)
{
    for (size_t i = 0; i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, coll->kinds[i]);
        const struct model_field *f = k ? model_field(k, field) : NULL;
        if (f && f->filterable) {
            *type = f->type == FT_LIST && f->item ? f->item->type : f->type;
            if (def)
                *def = f;
            return true;
        }
    }
    return false;
}

static struct listq_filter *filter_slot(struct list_query *q, const char *field,
                                        enum listq_col col, struct err *e)
{
    for (size_t i = 0; i < q->n_filters; i++)
        if (strcmp(q->filters[i].field, field) == 0)
            return &q->filters[i];
    if (q->n_filters == LISTQ_MAX_FILTERS) {
        err_bad_request(e, "filter", "at most %d different filter fields", LISTQ_MAX_FILTERS);
        return NULL;
    }
    struct listq_filter *f = &q->filters[q->n_filters++];
    f->field = field;
    f->col = col;
    f->n_values = 0;
    return f;
}

static int filter_add_value(struct listq_filter *f, const char *value, struct err *e)
{
    if (value[0] == '\0' || strlen(value) > LISTQ_MAX_VALUE) {
        err_bad_request(e, "filter", "filter value for '%s' must be 1..%d bytes", f->field,
                        LISTQ_MAX_VALUE);
        return -1;
    }
    for (size_t i = 0; i < f->n_values; i++)
        if (strcmp(f->values[i], value) == 0)
            return 0;
    if (f->n_values == LISTQ_MAX_VALUES) {
        err_bad_request(e, "filter", "at most %d values for filter '%s'", LISTQ_MAX_VALUES,
                        f->field);
        return -1;
    }
    f->values[f->n_values++] = value;
    return 0;
}

static int enum_value_ok(const struct model_field *def, const char *value)
{
    const struct model_field *f = def->type == FT_LIST && def->item ? def->item : def;
    if (f->type != FT_ENUM || !f->enumeration)
        return 1;
    for (size_t i = 0; i < f->enumeration->n_values; i++)
        if (strcmp(f->enumeration->values[i].id, value) == 0)
            return 1;
    return 0;
}

static int parse_kind_value(const struct model *m, struct list_query *q, const char *value,
                            struct err *e)
{
    const struct model_kind *k = model_kind(m, value);
    if (!k || !model_collection_has_kind(q->coll, value)) {
        err_invalid(e, "kind", "'%s' is not a kind of collection '%s'", value, q->coll->id);
        return -1;
    }
    struct listq_filter *f = filter_slot(q, "kind", LISTQ_KIND, e);
    return f ? filter_add_value(f, value, e) : -1;
}

static int parse_owner_value(struct list_query *q, const char *value, struct err *e)
{
    if (!text_id_valid(value)) {
        err_bad_request(e, "owner", "owner must be a record id");
        return -1;
    }
    struct listq_filter *f = filter_slot(q, "owner", LISTQ_OWNER, e);
    return f ? filter_add_value(f, value, e) : -1;
}

static int parse_filter(struct arena *a, const struct model *m, struct list_query *q,
                        const char *spec, struct err *e)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec) {
        err_bad_request(e, "filter", "filter must be field:value, got '%.60s'", spec);
        return -1;
    }
    char *field = arena_strndup(a, spec, (size_t)(colon - spec));
    const char *value = colon + 1;
    if (strcmp(field, "kind") == 0)
        return parse_kind_value(m, q, value, e);
    if (strcmp(field, "owner") == 0)
        return parse_owner_value(q, value, e);
    enum field_type type;
    const struct model_field *def = NULL;
    if (!listq_field_filterable(m, q->coll, field, &type, &def)) {
        err_invalid(e, "filter", "'%.60s' is not a filterable field of '%s'", field,
                    q->coll->id);
        return -1;
    }
    if (!enum_value_ok(def, value)) {
        err_invalid(e, "filter", "'%.60s' is not a value of field '%s'", value, field);
        return -1;
    }
    struct listq_filter *f = filter_slot(q, field, LISTQ_ATTR, e);
    return f ? filter_add_value(f, value, e) : -1;
}

static int parse_sort(const struct model *m, struct list_query *q, const char *spec,
                      struct err *e)
{
    q->sort_spec = spec;
    const char *name = spec;
    q->sort_desc = false;
    if (*name == '-') {
        q->sort_desc = true;
        name++;
    }
    static const struct {
        const char *name;
        enum listq_sort_key key;
    } fixed[] = {{"name", SORT_NAME},
                 {"created_at", SORT_CREATED},
                 {"updated_at", SORT_UPDATED},
                 {"id", SORT_ID}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(name, fixed[i].name) == 0) {
            q->sort = fixed[i].key;
            return 0;
        }
    }
    enum field_type type;
    const struct model_field *def = NULL;
    if (!listq_field_filterable(m, q->coll, name, &type, &def) || def->type == FT_LIST) {
        err_invalid(e, "sort", "cannot sort by '%.60s'", name);
        return -1;
    }
    q->sort = SORT_FIELD;
    q->sort_field = name;
    q->sort_int = type == FT_INTEGER;
    q->sort_few = model_type_few_values(type);
    return 0;
}

static int parse_limit(struct list_query *q, const char *v, struct err *e)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > LISTQ_MAX_LIMIT) {
        err_bad_request(e, "limit", "limit must be an integer from 1 to %d", LISTQ_MAX_LIMIT);
        return -1;
    }
    q->limit = (int)n;
    return 0;
}

static int parse_q(struct arena *a, struct list_query *q, const char *v, struct err *e)
{
    if (strlen(v) > LISTQ_MAX_Q) {
        err_bad_request(e, "q", "q must be at most %d bytes", LISTQ_MAX_Q);
        return -1;
    }
    /* q may be repeated: the limit is on all of its words together */
    const char *words[LISTQ_MAX_WORDS + 1];
    size_t n = text_words(a, v, words, LISTQ_MAX_WORDS + 1);
    if (n > LISTQ_MAX_WORDS - q->n_words) {
        err_bad_request(e, "q", "q may hold at most %d words", LISTQ_MAX_WORDS);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        q->words[q->n_words++] = words[i];
    return 0;
}

static const struct {
    const char *col, *index;
} sort_columns[] = {
    [SORT_NAME] = {"sort_name", "records_list"},
    [SORT_CREATED] = {"created_at", "records_created"},
    [SORT_UPDATED] = {"updated_at", "records_updated"},
    [SORT_ID] = {"id", "records_ids"},
    [SORT_FIELD] = {NULL, NULL},
    [SORT_NAME_KK] = {"sort_kk", "records_list_kk"},
    [SORT_NAME_RU] = {"sort_ru", "records_list_ru"},
    [SORT_NAME_EN] = {"sort_en", "records_list_en"},
};

static const char *const sort_langs[] = {"kk", "ru", "en"};

static bool lang_known(const char *lang)
{
    for (size_t i = 0; lang && i < sizeof sort_langs / sizeof sort_langs[0]; i++)
        if (strcmp(lang, sort_langs[i]) == 0)
            return true;
    return false;
}

/* "name" in the query's language: its alphabet's key. */
static void apply_lang(struct list_query *q)
{
    if (q->sort != SORT_NAME || !q->lang)
        return;
    static const enum listq_sort_key keys[] = {SORT_NAME_KK, SORT_NAME_RU, SORT_NAME_EN};
    for (size_t i = 0; i < sizeof sort_langs / sizeof sort_langs[0]; i++)
        if (strcmp(q->lang, sort_langs[i]) == 0)
            q->sort = keys[i];
}

/* What a cursor is bound to: the sort as given, and the alphabet. */
static const char *cursor_spec(struct arena *a, const struct list_query *q)
{
    return q->sort >= SORT_NAME_KK ? arena_printf(a, "%s@%s", q->sort_spec, q->lang) : q->sort_spec;
}

const char *listq_sort_column(enum listq_sort_key k)
{
    return sort_columns[k].col;
}

const char *listq_sort_index(enum listq_sort_key k)
{
    return sort_columns[k].index;
}

char *listq_cursor_encode(struct arena *a, const struct list_query *q, const char *key,
                          int64_t rid)
{
    json_t *o =
        json_pack("{s:s, s:s, s:I}", "s", cursor_spec(a, q), "k", key, "r", (json_int_t)rid);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s)
        return NULL;
    char *out = b64url_encode(a, (const unsigned char *)s, strlen(s));
    free(s);
    return out;
}

static int parse_cursor(struct arena *a, struct list_query *q, const char *v, struct err *e)
{
    size_t n = 0;
    unsigned char *raw = strlen(v) <= 1024 ? b64url_decode(a, v, &n) : NULL;
    json_t *o = raw ? json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *s = NULL, *k = NULL;
    json_int_t r = 0;
    int ok = o && json_object_size(o) == 3 &&
             json_unpack(o, "{s:s, s:s, s:I}", "s", &s, "k", &k, "r", &r) == 0 && r > 0;
    if (ok && strcmp(s, cursor_spec(a, q)) != 0) {
        json_decref(o);
        err_bad_request(e, "cursor", "cursor belongs to another sort order");
        return -1;
    }
    if (!ok) {
        json_decref(o);
        err_bad_request(e, "cursor", "cursor is not valid");
        return -1;
    }
    q->has_cursor = true;
    q->cursor_key = arena_strdup(a, k);
    q->cursor_rid = (int64_t)r;
    json_decref(o);
    return 0;
}

static bool extra_allowed(const char *key, const char *const *extra_ok)
{
    for (size_t i = 0; extra_ok && extra_ok[i]; i++)
        if (strcmp(extra_ok[i], key) == 0)
            return true;
    return false;
}

static int parse_param(struct arena *a, const struct model *m, struct list_query *q,
                       const struct listq_param *p, const char **cursor, struct err *e)
{
    if (strcmp(p->key, "q") == 0)
        return parse_q(a, q, p->value, e);
    if (strcmp(p->key, "filter") == 0)
        return parse_filter(a, m, q, p->value, e);
    if (strcmp(p->key, "kind") == 0)
        return parse_kind_value(m, q, p->value, e);
    if (strcmp(p->key, "owner") == 0)
        return parse_owner_value(q, p->value, e);
    if (strcmp(p->key, "sort") == 0)
        return parse_sort(m, q, p->value, e);
    if (strcmp(p->key, "limit") == 0)
        return parse_limit(q, p->value, e);
    if (strcmp(p->key, "cursor") == 0) {
        *cursor = p->value;
        return 0;
    }
    if (strcmp(p->key, "lang") == 0) {
        if (!lang_known(p->value)) {
            err_bad_request(e, "lang", "'lang' is kk, ru or en");
            return -1;
        }
        q->lang = p->value;
        return 0;
    }
    err_bad_request(e, p->key, "unknown query parameter '%.60s'", p->key);
    return -1;
}

int listq_parse(struct arena *a, const struct model *m, const struct model_collection *coll,
                const struct listq_param *params, size_t n, const char *const *extra_ok,
                struct list_query *q, struct err *e)
{
    return listq_parse_lang(a, m, coll, params, n, extra_ok, NULL, q, e);
}

int listq_parse_lang(struct arena *a, const struct model *m, const struct model_collection *coll,
                     const struct listq_param *params, size_t n, const char *const *extra_ok,
                     const char *lang, struct list_query *q, struct err *e)
{
    memset(q, 0, sizeof *q);
    q->coll = coll;
    q->limit = LISTQ_DEFAULT_LIMIT;
    q->sort = SORT_NAME;
    q->sort_spec = "name";
    const char *cursor = NULL;
    for (size_t i = 0; i < n; i++) {
        if (extra_allowed(params[i].key, extra_ok))
            continue;
        if (parse_param(a, m, q, &params[i], &cursor, e) < 0)
            return -1;
    }
    if (!q->lang && lang_known(lang))
        q->lang = lang;
    apply_lang(q);
    if (cursor && parse_cursor(a, q, cursor, e) < 0)
        return -1;
    return 0;
}
