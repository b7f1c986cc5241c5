/* model: loads the metamodel file, checks every key of it, and builds the
 * immutable in-memory model (enumerations, kinds with their fields resolved,
 * relation types as kinds, collections with their kinds) together with the
 * expanded document served by GET /api/v1/model.
 *
 * Everything the model points to lives in one arena owned by the model.
 * Checking stops at the first fault and names it by its path in the file,
 * e.g. "kinds.information_system.fields[3].type: unknown type 'strnig'". */
#include "model/model.h"

#include "util/arena.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FILE_MAX (16u * 1024 * 1024)
#define MODEL_LENGTH_CAP 10000000

#include "model/loader.h"

static const char *const TYPE_NAMES[] = {
    "string", "text", "i18n", "integer", "decimal", "date", "timestamp",
    "bool",   "enum", "url",  "email",   "list",    "ref",  "object",
};
#define N_TYPES (sizeof TYPE_NAMES / sizeof TYPE_NAMES[0])

static const char *const LANGS[] = {"kk", "ru", "en", NULL};
static const char *const TOP_KEYS[] = {"version",    "description", "languages",      "enums",
                                       "field_sets", "kinds",       "relations",      "collections",
                                       "policies",   "workflows",   "document_lists", "rules",
                                       "measures",   "rule_report", "gap_analysis",   "duplicates",
                                       "triggers",   "scores",      "archimate",      NULL};
static const char *const ENUM_KEYS[] = {"label", "values", NULL};
static const char *const VALUE_KEYS[] = {"id", "label", "earlier", NULL};
static const char *const COLL_KEYS[] = {"label", "type",     "facets",   "columns",
                                        "menu", "stale_after_months",  "map",      "matrices", "networks", NULL};
static const char *const KIND_KEYS[] = {"label",   "collection", "owned",    "owns",     "named",
                                        "include", "fields",     "workflow", "code_prefix",
                                        "documents", "inclusion", "read",  "inherits", "views",
                                        "measures",  "profile",   "snapshot", "import", "checks", "compute", "tally", "archimate", NULL};
static const char *const SNAPSHOT_KEYS[] = {"of", "at", "hash", "count", NULL};
static const char *const INHERITS_KEYS[] = {"via", "fields", "key", "fixed", NULL};
static const char *const REL_KEYS[] = {"label",  "inverse",    "inverse_label", "source",
                                       "target", "attributes", "collection",    "required_for",
                                       "derive", "archimate", NULL};
static const char *const FIELD_KEYS[] = {
    "name",       "type",   "label",  "required", "searchable", "filterable", "readonly",
    "enum",       "to",     "item",   "format",   "min",        "max",        "max_length",
    "restricted", "needed", "fields", "help",     "derived",    "needed_in_force",
    "migrate_from", "written_by", NULL};
static const char *const ITEM_KEYS[] = {"type", "enum", "to",         "item",   "format",
                                        "min",  "max",  "max_length", "fields", NULL};
/* A sub-field of an object: a scalar with its name, label and whether
 * each value must have it. */
static const char *const SUB_KEYS[] = {"name",   "type", "label", "required",   "enum",
                                       "format", "min",  "max",   "max_length", "to",  NULL};
/* Names the record and relation envelopes use. */
static const char *const RESERVED[] = {
    "id",      "kind",   "owner",           "name", "revision", "created_at", "updated_at",
    "retired", "type", "source",   "target", "inherited", "measures", NULL};
static const char *const FORMATS[] = {"bin", NULL};

static const struct i18n SOURCE_LABEL = {"Бастапқы объект", "Исходный объект", "Source"};
static const struct i18n TARGET_LABEL = {"Мақсатты объект", "Целевой объект", "Target"};

/* ---- small helpers ---------------------------------------------------- */

const char *model_type_name(enum field_type t)
{
    return (size_t)t < N_TYPES ? TYPE_NAMES[t] : "?";
}

bool model_type_few_values(enum field_type t)
{
    return t == FT_ENUM || t == FT_BOOL;
}

size_t model_max_length(const struct model_field *f)
{
    switch (f->type) {
    case FT_STRING:
        return f->max_length ? f->max_length : 1000;
    case FT_TEXT:
        return f->max_length ? f->max_length : 100000;
    case FT_I18N:
        return f->max_length ? f->max_length : 10000;
    case FT_URL:
        return 2048;
    case FT_EMAIL:
        return 254;
    default:
        return 0;
    }
}

bool ld_in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* ^[a-z][a-z0-9_]*$, at most MODEL_NAME_MAX bytes. */
bool ld_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MODEL_NAME_MAX || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

bool ld_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

bool model_value_empty(const json_t *v)
{
    return ld_empty(v);
}

bool ld_empty(const json_t *v)
{
    if (!v || json_is_null(v))
        return true;
    if (json_is_string(v))
        return ld_blank(json_string_value(v));
    if (json_is_array(v))
        return json_array_size(v) == 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *x;
        json_object_foreach((json_t *)v, key, x)
        {
            if (!ld_empty(x))
                return false;
        }
        return true;
    }
    return false;
}

int ld_fail(struct loader *ld, const char *path, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(ld->e, 500, "invalid-model", path, "%s: %s", path, msg);
    return -1;
}

const char *ld_sub(struct loader *ld, const char *path, const char *key)
{
    return *path ? arena_printf(ld->tmp, "%s.%s", path, key) : key;
}

const char *ld_idx(struct loader *ld, const char *path, size_t i)
{
    return arena_printf(ld->tmp, "%s[%zu]", path, i);
}

char *ld_keep(struct loader *ld, const char *s)
{
    return arena_strdup(ld->m->arena, s);
}

int ld_check_keys(struct loader *ld, const json_t *obj, const char *path,
                      const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!ld_in_list(key, allowed))
            return ld_fail(ld, ld_sub(ld, path, key), "unknown key '%s'", key);
    }
    return 0;
}

int ld_want_object(struct loader *ld, const json_t *v, const char *path)
{
    return json_is_object(v) ? 0 : ld_fail(ld, path, "must be an object");
}

/* Member `key` of obj as an object or array; absent is an error only when
 * required (then *out is NULL when absent). */
int ld_member(struct loader *ld, const json_t *obj, const char *key, const char *path,
                      json_type jtype, bool required, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? ld_fail(ld, ld_sub(ld, path, key), "missing") : 0;
    if (json_typeof(v) != jtype)
        return ld_fail(ld, ld_sub(ld, path, key), "must be %s",
                       jtype == JSON_OBJECT ? "an object" : "an array");
    *out = v;
    return 0;
}

int ld_string(struct loader *ld, const json_t *obj, const char *key, const char *path,
                      bool required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? ld_fail(ld, ld_sub(ld, path, key), "missing") : 0;
    if (!json_is_string(v))
        return ld_fail(ld, ld_sub(ld, path, key), "must be a string");
    *out = json_string_value(v);
    return 0;
}

int ld_bool(struct loader *ld, const json_t *obj, const char *key, const char *path,
                    bool *out)
{
    json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return ld_fail(ld, ld_sub(ld, path, key), "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int ld_name(struct loader *ld, const char *name, const char *path)
{
    if (!ld_name_ok(name))
        return ld_fail(ld, path, "'%s' must match ^[a-z][a-z0-9_]*$ (at most %d bytes)", name,
                       MODEL_NAME_MAX);
    return 0;
}

int ld_label(struct loader *ld, const json_t *obj, const char *key, const char *path,
                       struct i18n *out)
{
    json_t *v;
    const char *lp = ld_sub(ld, path, key);
    if (ld_member(ld, obj, key, path, JSON_OBJECT, true, &v) || ld_check_keys(ld, v, lp, LANGS))
        return -1;
    const char *s[3];
    for (size_t i = 0; i < 3; i++) {
        json_t *t = json_object_get(v, LANGS[i]);
        if (!json_is_string(t) || ld_blank(json_string_value(t)))
            return ld_fail(ld, ld_sub(ld, lp, LANGS[i]), "missing or empty %s label", LANGS[i]);
        s[i] = ld_keep(ld, json_string_value(t));
    }
    out->kk = s[0];
    out->ru = s[1];
    out->en = s[2];
    return 0;
}

/* ---- top level ---------------------------------------------------------- */

static int parse_version(struct loader *ld)
{
    json_t *v = json_object_get(ld->root, "version");
    if (!v)
        return ld_fail(ld, "version", "missing");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return ld_fail(ld, "version", "unsupported version (expected 1)");
    const char *d;
    return ld_string(ld, ld->root, "description", "", false, &d);
}

/* languages must name kk, ru and en, each once: labels are struct i18n. */
static int parse_languages(struct loader *ld)
{
    json_t *a, *v;
    size_t i;
    bool seen[3] = {false, false, false};
    if (ld_member(ld, ld->root, "languages", "", JSON_ARRAY, true, &a))
        return -1;
    json_array_foreach(a, i, v)
    {
        size_t j = 0;
        while (LANGS[j] && !(json_is_string(v) && strcmp(json_string_value(v), LANGS[j]) == 0))
            j++;
        if (!LANGS[j] || seen[j])
            return ld_fail(ld, ld_idx(ld, "languages", i), "expected each of kk, ru, en once");
        seen[j] = true;
    }
    if (!seen[0] || !seen[1] || !seen[2])
        return ld_fail(ld, "languages", "must list kk, ru and en");
    return 0;
}

/* ---- enumerations ------------------------------------------------------- */

static int parse_enum_value(struct loader *ld, const struct model_enum *en, const json_t *v,
                            const char *path, struct model_enum_value *out)
{
    const char *id;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, VALUE_KEYS) ||
        ld_string(ld, v, "id", path, true, &id) || ld_name(ld, id, ld_sub(ld, path, "id")))
        return -1;
    for (size_t i = 0; i < en->n_values; i++)
        if (strcmp(en->values[i].id, id) == 0)
            return ld_fail(ld, ld_sub(ld, path, "id"), "duplicate value '%s'", id);
    out->id = ld_keep(ld, id);
    return ld_label(ld, v, "label", path, &out->label) ||
           ld_wordings(ld, v, path, &out->earlier, &out->n_earlier);
}

static int parse_enum(struct loader *ld, const char *id, const json_t *v, struct model_enum *en)
{
    const char *path = ld_sub(ld, "enums", id);
    json_t *vals, *x;
    size_t i;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, ENUM_KEYS) ||
        ld_label(ld, v, "label", path, &en->label) ||
        ld_member(ld, v, "values", path, JSON_ARRAY, true, &vals))
        return -1;
    if (json_array_size(vals) == 0)
        return ld_fail(ld, ld_sub(ld, path, "values"), "must not be empty");
    en->id = ld_keep(ld, id);
    en->values = arena_calloc(ld->m->arena, json_array_size(vals), sizeof *en->values);
    json_array_foreach(vals, i, x)
    {
        if (parse_enum_value(ld, en, x, ld_idx(ld, ld_sub(ld, path, "values"), i),
                             &en->values[en->n_values]))
            return -1;
        en->n_values++;
    }
    return 0;
}

static int parse_enums(struct loader *ld)
{
    json_t *obj, *v;
    const char *id;
    if (ld_member(ld, ld->root, "enums", "", JSON_OBJECT, false, &obj))
        return -1;
    if (!obj)
        return 0;
    struct model *m = ld->m;
    m->enums = arena_calloc(m->arena, json_object_size(obj), sizeof *m->enums);
    json_object_foreach(obj, id, v)
    {
        if (parse_enum(ld, id, v, &m->enums[m->n_enums]))
            return -1;
        m->n_enums++;
    }
    return 0;
}

/* ---- collections -------------------------------------------------------- */

static int parse_collections(struct loader *ld)
{
    json_t *obj, *v;
    const char *id;
    struct model *m = ld->m;
    if (ld_member(ld, ld->root, "collections", "", JSON_OBJECT, true, &obj))
        return -1;
    m->colls = arena_calloc(m->arena, json_object_size(obj), sizeof *m->colls);
    json_object_foreach(obj, id, v)
    {
        const char *path = ld_sub(ld, "collections", id), *type;
        struct model_collection *c = &m->colls[m->n_colls];
        if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
            ld_check_keys(ld, v, path, COLL_KEYS) || ld_label(ld, v, "label", path, &c->label) ||
            ld_string(ld, v, "type", path, true, &type))
            return -1;
        if (strcmp(type, "records") == 0)
            c->type = COLL_RECORDS;
        else if (strcmp(type, "relations") == 0)
            c->type = COLL_RELATIONS;
        else
            return ld_fail(ld, ld_sub(ld, path, "type"),
                           "unknown collection type '%s' (records or relations)", type);
        json_t *facets = json_object_get(v, "facets");
        if (facets && ld_strings(ld, facets, ld_sub(ld, path, "facets"), true, &c->facets,
                                 &c->n_facets))
            return -1;
        json_t *columns = json_object_get(v, "columns");
        if ((columns && ld_strings(ld, columns, ld_sub(ld, path, "columns"), true, &c->columns,
                                   &c->n_columns)) ||
            ld_bool(ld, v, "menu", path, &c->menu))
            return -1;
        json_t *stale = json_object_get(v, "stale_after_months");
        if (stale && (!json_is_integer(stale) || json_integer_value(stale) < 1 ||
                      json_integer_value(stale) > 120))
            return ld_fail(ld, ld_sub(ld, path, "stale_after_months"), "must be an integer 1..120");
        c->stale_months = stale ? (int)json_integer_value(stale) : 0;
        c->id = ld_keep(ld, id);
        m->n_colls++;
    }
    return 0;
}

/* The collection named by v.key, which must exist and be of type `want`. */
static int resolve_collection(struct loader *ld, const char *name, const char *path,
                              enum collection_type want, const char **out)
{
    const struct model_collection *c = model_collection(ld->m, name);
    if (!c)
        return ld_fail(ld, path, "unknown collection '%s'", name);
    if (c->type != want)
        return ld_fail(ld, path, "collection '%s' holds %s", name,
                       c->type == COLL_RECORDS ? "records, not relations"
                                               : "relations, not records");
    *out = c->id;
    return 0;
}

/* ---- fields -------------------------------------------------------------- */

/* What a field definition is: a record's field, a list's item (no name,
 * label or flags: it takes the list's) or an object's sub-field (a scalar
 * with a name, a label and `required`). */
enum field_role { ROLE_FIELD, ROLE_ITEM, ROLE_SUB };

static int parse_field(struct loader *ld, const json_t *v, const char *path, enum field_role role,
                       struct model_field *f);

/* A non-empty list of record kind ids without repeats (ref "to", relation
 * source and target). */
static int parse_kind_list(struct loader *ld, const json_t *a, const char *path, const char ***out,
                           size_t *n_out)
{
    json_t *v;
    size_t i;
    if (!json_is_array(a) || json_array_size(a) == 0)
        return ld_fail(ld, path, "must be a non-empty array of kind ids");
    const char **ids = arena_calloc(ld->m->arena, json_array_size(a), sizeof *ids);
    json_array_foreach(a, i, v)
    {
        const char *id = json_is_string(v) ? json_string_value(v) : NULL;
        if (!id)
            return ld_fail(ld, ld_idx(ld, path, i), "must be a string");
        if (!json_object_get(ld->kinds_in, id)) {
            if (ld->relations_in && json_object_get(ld->relations_in, id))
                return ld_fail(ld, ld_idx(ld, path, i), "'%s' is a relation type, not a kind", id);
            return ld_fail(ld, ld_idx(ld, path, i), "unknown kind '%s'", id);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(ids[j], id) == 0)
                return ld_fail(ld, ld_idx(ld, path, i), "kind '%s' listed twice", id);
        ids[i] = ld_keep(ld, id);
    }
    *out = ids;
    *n_out = json_array_size(a);
    return 0;
}

/* Fails when `key` is present but the field's type is not `type`, or absent
 * while it is. */
static int key_for_type(struct loader *ld, const json_t *v, const char *path, const char *key,
                        const struct model_field *f, enum field_type type, bool needed)
{
    bool has = json_object_get(v, key) != NULL;
    if (has && f->type != type)
        return ld_fail(ld, ld_sub(ld, path, key), "only allowed with type '%s'",
                       model_type_name(type));
    if (!has && f->type == type && needed)
        return ld_fail(ld, ld_sub(ld, path, key), "missing (required with type '%s')",
                       model_type_name(type));
    return 0;
}

static int parse_enum_ref(struct loader *ld, const json_t *v, const char *path,
                          struct model_field *f)
{
    const char *id;
    if (key_for_type(ld, v, path, "enum", f, FT_ENUM, true) ||
        ld_string(ld, v, "enum", path, false, &id))
        return -1;
    if (!id)
        return 0;
    f->enumeration = model_enum(ld->m, id);
    if (!f->enumeration)
        return ld_fail(ld, ld_sub(ld, path, "enum"), "enum '%s' is not defined", id);
    return 0;
}

static int parse_ref_to(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    if (key_for_type(ld, v, path, "to", f, FT_REF, true))
        return -1;
    json_t *to = json_object_get(v, "to");
    if (!to)
        return 0;
    return parse_kind_list(ld, to, ld_sub(ld, path, "to"), &f->ref_kinds, &f->n_ref_kinds);
}

static int parse_item(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    if (key_for_type(ld, v, path, "item", f, FT_LIST, true))
        return -1;
    json_t *item = json_object_get(v, "item");
    if (!item)
        return 0;
    f->item = arena_calloc(ld->m->arena, 1, sizeof *f->item);
    return parse_field(ld, item, ld_sub(ld, path, "item"), ROLE_ITEM, f->item);
}

static const struct model_field *find_field(const struct model_field *fs, size_t n,
                                            const char *name);

/* "fields" of an object: a non-empty array of sub-fields with distinct
 * names, each a scalar (not a list, an object, an i18n value or a
 * reference: an object's value is one group of plain values). */
static int parse_sub_fields(struct loader *ld, const json_t *v, const char *path,
                            struct model_field *f)
{
    if (key_for_type(ld, v, path, "fields", f, FT_OBJECT, true))
        return -1;
    const json_t *a = json_object_get(v, "fields");
    if (!a)
        return 0;
    const char *fp = ld_sub(ld, path, "fields");
    if (!json_is_array(a) || json_array_size(a) == 0)
        return ld_fail(ld, fp, "must be a non-empty array of fields");
    f->sub = arena_calloc(ld->m->arena, json_array_size(a), sizeof *f->sub);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *sp = ld_idx(ld, fp, i);
        struct model_field *s = &f->sub[f->n_sub];
        if (parse_field(ld, json_array_get(a, i), sp, ROLE_SUB, s))
            return -1;
        if (find_field(f->sub, f->n_sub, s->name))
            return ld_fail(ld, ld_sub(ld, sp, "name"), "duplicate sub-field '%s'", s->name);
        f->n_sub++;
    }
    return 0;
}

static int parse_format(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    const char *fmt;
    if (key_for_type(ld, v, path, "format", f, FT_STRING, false) ||
        ld_string(ld, v, "format", path, false, &fmt))
        return -1;
    if (!fmt)
        return 0;
    if (!ld_in_list(fmt, FORMATS))
        return ld_fail(ld, ld_sub(ld, path, "format"), "unknown format '%s'", fmt);
    f->format = ld_keep(ld, fmt);
    return 0;
}

static int parse_int_key(struct loader *ld, const json_t *v, const char *path, const char *key,
                         bool *has, int64_t *out)
{
    json_t *x = json_object_get(v, key);
    *has = x != NULL;
    if (!x)
        return 0;
    if (!json_is_integer(x))
        return ld_fail(ld, ld_sub(ld, path, key), "must be an integer");
    *out = (int64_t)json_integer_value(x);
    return 0;
}

static int parse_bounds(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    if (key_for_type(ld, v, path, "min", f, FT_INTEGER, false) ||
        key_for_type(ld, v, path, "max", f, FT_INTEGER, false) ||
        parse_int_key(ld, v, path, "min", &f->has_min, &f->min) ||
        parse_int_key(ld, v, path, "max", &f->has_max, &f->max))
        return -1;
    if (f->has_min && f->has_max && f->min > f->max)
        return ld_fail(ld, ld_sub(ld, path, "min"), "min (%lld) is greater than max (%lld)",
                       (long long)f->min, (long long)f->max);
    return 0;
}

static int parse_max_length(struct loader *ld, const json_t *v, const char *path,
                            struct model_field *f)
{
    bool has;
    int64_t n = 0;
    if (parse_int_key(ld, v, path, "max_length", &has, &n))
        return -1;
    if (!has)
        return 0;
    if (f->type != FT_STRING && f->type != FT_TEXT && f->type != FT_I18N)
        return ld_fail(ld, ld_sub(ld, path, "max_length"),
                       "only allowed with types string, text and i18n");
    if (n < 1 || n > MODEL_LENGTH_CAP)
        return ld_fail(ld, ld_sub(ld, path, "max_length"), "must be between 1 and %d",
                       MODEL_LENGTH_CAP);
    f->max_length = (size_t)n;
    return 0;
}

static int parse_type(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    const char *t;
    if (ld_string(ld, v, "type", path, true, &t))
        return -1;
    for (size_t i = 0; i < N_TYPES; i++) {
        if (strcmp(t, TYPE_NAMES[i]) == 0) {
            f->type = (enum field_type)i;
            return 0;
        }
    }
    return ld_fail(ld, ld_sub(ld, path, "type"), "unknown type '%s'", t);
}

int ld_strings(struct loader *ld, const json_t *a, const char *path, bool nonempty,
               const char ***out, size_t *n)
{
    if (!json_is_array(a) || (nonempty && json_array_size(a) == 0))
        return ld_fail(ld, path, nonempty ? "must be a non-empty array of values"
                                          : "must be an array of values");
    *out = arena_calloc(ld->m->arena, json_array_size(a) + 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const char *str = json_string_value(json_array_get(a, i));
        if (!str)
            return ld_fail(ld, ld_idx(ld, path, i), "must be a string");
        (*out)[(*n)++] = ld_keep(ld, str);
    }
    return 0;
}

int ld_condition(struct loader *ld, const json_t *v, const char *path, const char **name,
                 const char ***values, size_t *n)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return ld_fail(ld, path, "must be true, false or {\"<enum field>\": [values]}");
    const char *key = json_object_iter_key(json_object_iter((json_t *)v));
    const json_t *vals = json_object_iter_value(json_object_iter((json_t *)v));
    *name = ld_keep(ld, key);
    return ld_strings(ld, vals, ld_sub(ld, path, key), true, values, n);
}

bool ld_enum_has(const struct model_enum *en, const char *value)
{
    for (size_t i = 0; en && i < en->n_values; i++)
        if (strcmp(en->values[i].id, value) == 0)
            return true;
    return false;
}

int ld_cond(struct loader *ld, const json_t *v, const char *path, struct model_cond *c)
{
    if (!json_is_object(v) || json_object_size(v) == 0)
        return ld_fail(ld, path, "must be {\"<field>\": [values], …}");
    c->terms = arena_calloc(ld->m->arena, json_object_size(v), sizeof *c->terms);
    c->n_terms = 0;
    const char *key;
    json_t *vals;
    json_object_foreach ((json_t *)v, key, vals) {
        struct model_cond_term *t = &c->terms[c->n_terms++];
        t->field = ld_keep(ld, key);
        if (ld_strings(ld, vals, ld_sub(ld, path, key), true, &t->values, &t->n_values))
            return -1;
        t->presence = t->n_values == 1 &&
                      (strcmp(t->values[0], "present") == 0 || strcmp(t->values[0], "absent") == 0);
        t->when = t->n_values != 1                       ? 0
                  : strcmp(t->values[0], "past") == 0   ? -1
                  : strcmp(t->values[0], "future") == 0 ? 1
                                                        : 0;
    }
    return 0;
}

/* ---- dated entries (REQ X-POL-01) ------------------------------------------------ */

static int ld_day(struct loader *ld, const json_t *obj, const char *key, const char *path,
                  bool required, const char **text, int64_t *day)
{
    int y, mo, d;
    if (ld_string(ld, obj, key, path, required, text))
        return -1;
    if (!*text)
        return 0;
    if (time_parse_date(*text, &y, &mo, &d) < 0)
        return ld_fail(ld, ld_sub(ld, path, key), "'%s' is not a date YYYY-MM-DD", *text);
    *text = ld_keep(ld, *text);
    *day = time_days_from_civil(y, mo, d);
    return 0;
}

int ld_span(struct loader *ld, const json_t *v, const char *key, const char *path,
            struct model_span *out)
{
    static const char *const keys[] = {"from", "until", "source", NULL};
    const json_t *s = json_object_get(v, key);
    const char *sp = ld_sub(ld, path, key);
    *out = (struct model_span){.from_day = INT64_MIN, .until_day = INT64_MAX};
    if (!s)
        return 0;
    if (ld_want_object(ld, s, sp) || ld_check_keys(ld, s, sp, keys) ||
        ld_day(ld, s, "from", sp, false, &out->from, &out->from_day) ||
        ld_day(ld, s, "until", sp, false, &out->until, &out->until_day) ||
        ld_string(ld, s, "source", sp, false, &out->source))
        return -1;
    if (!out->from && !out->until)
        return ld_fail(ld, sp, "needs \"from\", \"until\" or both");
    if (out->from_day >= out->until_day)
        return ld_fail(ld, ld_sub(ld, sp, "until"), "must come after \"from\"");
    out->source = out->source ? ld_keep(ld, out->source) : NULL;
    return 0;
}

int ld_wordings(struct loader *ld, const json_t *v, const char *path, struct model_wording **out,
                size_t *n)
{
    static const char *const keys[] = {"until", "label", "source", NULL};
    json_t *a;
    const char *ap = ld_sub(ld, path, "earlier");
    *out = NULL;
    *n = 0;
    if (ld_member(ld, v, "earlier", path, JSON_ARRAY, false, &a) || !a)
        return a ? -1 : 0;
    if (json_array_size(a) == 0)
        return ld_fail(ld, ap, "must list at least one earlier wording");
    *out = arena_calloc(ld->m->arena, json_array_size(a), sizeof **out);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *w = json_array_get(a, i);
        const char *wp = ld_idx(ld, ap, i);
        struct model_wording *o = &(*out)[i];
        if (ld_want_object(ld, w, wp) || ld_check_keys(ld, w, wp, keys) ||
            ld_day(ld, w, "until", wp, true, &o->until, &o->until_day) ||
            ld_label(ld, w, "label", wp, &o->label) ||
            ld_string(ld, w, "source", wp, false, &o->source))
            return -1;
        o->source = o->source ? ld_keep(ld, o->source) : NULL;
        if (i && o->until_day <= (*out)[i - 1].until_day)
            return ld_fail(ld, ld_sub(ld, wp, "until"), "wordings must be in increasing date order");
        (*n)++;
    }
    return 0;
}

bool model_in_force(const struct model_span *s, int64_t day)
{
    return (!s->from || day >= s->from_day) && (!s->until || day < s->until_day);
}

json_t *model_span_json(const struct model_span *s)
{
    if (!s->from && !s->until)
        return NULL;
    json_t *o = json_object();
    if (s->from)
        json_object_set_new(o, "from", json_string(s->from));
    if (s->until)
        json_object_set_new(o, "until", json_string(s->until));
    if (s->source)
        json_object_set_new(o, "source", json_string(s->source));
    return o;
}

json_t *wordings_json(const struct model_wording *w, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:o, s:s?}", "until", w[i].until, "label",
                                           model_label_json(w[i].label), "source", w[i].source));
    return a;
}

const struct i18n *model_wording_on(const struct i18n *current, const struct model_wording *earlier,
                                    size_t n_earlier, int64_t day)
{
    for (size_t i = 0; i < n_earlier; i++)
        if (day < earlier[i].until_day)
            return &earlier[i].label;
    return current;
}

const struct i18n *model_enum_label(const struct model_enum *en, const char *id, int64_t day)
{
    for (size_t i = 0; en && id && i < en->n_values; i++)
        if (strcmp(en->values[i].id, id) == 0)
            return model_wording_on(&en->values[i].label, en->values[i].earlier,
                                    en->values[i].n_earlier, day);
    return NULL;
}

/* "needed": true, or {"<field>": [values], …}: needed while the condition
 * holds (checked per kind by check_needed). */
static int parse_needed(struct loader *ld, const json_t *v, const char *path,
                        struct model_field *f)
{
    const json_t *n = json_object_get(v, "needed");
    if (!n || json_is_false(n))
        return 0;
    f->needed = true;
    if (json_is_true(n))
        return 0;
    if (!json_is_object(n))
        return ld_fail(ld, ld_sub(ld, path, "needed"),
                       "must be true, false or {\"<field>\": [values], …}");
    return ld_cond(ld, n, ld_sub(ld, path, "needed"), &f->needed_when);
}

/* "derived": {"from": "<date field>", "add_months": N}: a date the portal
 * computes (checked per kind by check_derived); the field is read-only. */
static int parse_derived(struct loader *ld, const json_t *v, const char *path,
                         struct model_field *f)
{
    static const char *const keys[] = {"from", "add_months", NULL};
    const json_t *d = json_object_get(v, "derived");
    const char *dp = ld_sub(ld, path, "derived"), *from;
    if (!d)
        return 0;
    if (ld_want_object(ld, d, dp) || ld_check_keys(ld, d, dp, keys) ||
        ld_string(ld, d, "from", dp, true, &from))
        return -1;
    const json_t *n = json_object_get(d, "add_months");
    if (f->type != FT_DATE)
        return ld_fail(ld, dp, "only a date can be derived");
    if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 1200)
        return ld_fail(ld, ld_sub(ld, dp, "add_months"), "must be an integer 1..1200");
    f->derived_from = ld_keep(ld, from);
    f->derived_months = (int)json_integer_value(n);
    f->readonly = true;
    return 0;
}

/* "migrate_from": "<text field of the kind>" on a list of refs: stored
 * records without the list take, once they are met at startup, the records
 * of its kinds whose name occurs in that text (registry_migrate_fields);
 * the kind's fields are known only after all are parsed, so the text field
 * is checked then (check_migrate_from). */
static int parse_migrate_from(struct loader *ld, const json_t *v, const char *path,
                              struct model_field *f)
{
    const char *from = NULL;
    if (ld_string(ld, v, "migrate_from", path, false, &from) || !from)
        return from ? -1 : 0;
    if (f->type != FT_LIST || f->item->type != FT_REF)
        return ld_fail(ld, ld_sub(ld, path, "migrate_from"), "only a list of refs migrates");
    f->migrate_from = ld_keep(ld, from);
    return 0;
}

static int parse_flags(struct loader *ld, const json_t *v, const char *path, struct model_field *f)
{
    if (ld_bool(ld, v, "required", path, &f->required) ||
        ld_bool(ld, v, "searchable", path, &f->searchable) ||
        ld_bool(ld, v, "filterable", path, &f->filterable) ||
        ld_bool(ld, v, "readonly", path, &f->readonly) ||
        ld_bool(ld, v, "restricted", path, &f->restricted) || parse_migrate_from(ld, v, path, f))
        return -1;
    if (parse_needed(ld, v, path, f) || parse_derived(ld, v, path, f) ||
        ld_span(ld, v, "needed_in_force", path, &f->needed_in_force) ||
        (json_object_get(v, "help") && ld_label(ld, v, "help", path, &f->help)))
        return -1;
    /* "written_by": the roles whose holders alone set or change it (a
     * reviewer's finding in a record its owner edits); the rights file
     * must know them */
    json_t *wb = json_object_get(v, "written_by");
    if (wb && (ld_strings(ld, wb, ld_sub(ld, path, "written_by"), true, &f->written_by,
                          &f->n_written_by)))
        return -1;
    if (wb && f->readonly)
        return ld_fail(ld, ld_sub(ld, path, "written_by"), "a read-only field is written by none");
    if (f->restricted && (f->searchable || f->filterable))
        return ld_fail(ld, ld_sub(ld, path, "restricted"),
                       "a restricted field can be neither searchable nor filterable (its "
                       "values would leak through searches and counts)");
    enum field_type t = f->type == FT_LIST && f->item ? f->item->type : f->type;
    if (f->filterable && (t == FT_TEXT || t == FT_I18N || t == FT_OBJECT))
        return ld_fail(ld, ld_sub(ld, path, "filterable"), "not supported for type '%s'",
                       model_type_name(t));
    return 0;
}

/* A field's name and label; a sub-field's name lives inside its object,
 * so the envelope's names are free there. */
static int parse_field_name(struct loader *ld, const json_t *v, const char *path, bool sub,
                            struct model_field *f)
{
    const char *name;
    if (ld_string(ld, v, "name", path, true, &name) || ld_name(ld, name, ld_sub(ld, path, "name")))
        return -1;
    /* a relation has no name in its envelope: an attribute may name it
     * (an i18n "name", like a record's) */
    bool rel_name = ld->relation_attrs && strcmp(name, "name") == 0;
    if (!sub && ld_in_list(name, RESERVED) && !rel_name)
        return ld_fail(ld, ld_sub(ld, path, "name"), "'%s' is reserved for the envelope", name);
    const char *type = json_string_value(json_object_get(v, "type"));
    if (rel_name && (!type || strcmp(type, "i18n") != 0))
        return ld_fail(ld, ld_sub(ld, path, "type"), "a relation's \"name\" must be of type i18n");
    f->name = ld_keep(ld, name);
    return ld_label(ld, v, "label", path, &f->label);
}

/* Parses one field in its role (see enum field_role). */
static int parse_field(struct loader *ld, const json_t *v, const char *path, enum field_role role,
                       struct model_field *f)
{
    static const char *const *const keys[] = {FIELD_KEYS, ITEM_KEYS, SUB_KEYS};
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, keys[role]))
        return -1;
    if (role != ROLE_ITEM && parse_field_name(ld, v, path, role == ROLE_SUB, f))
        return -1;
    if (parse_type(ld, v, path, f))
        return -1;
    if (role == ROLE_ITEM && f->type == FT_LIST)
        return ld_fail(ld, ld_sub(ld, path, "type"), "a list of lists is not allowed");
    if (role == ROLE_SUB &&
        (f->type == FT_LIST || f->type == FT_OBJECT || f->type == FT_I18N))
        return ld_fail(ld, ld_sub(ld, path, "type"), "a sub-field cannot be of type '%s'",
                       model_type_name(f->type));
    if (parse_enum_ref(ld, v, path, f) || parse_ref_to(ld, v, path, f) ||
        parse_item(ld, v, path, f) || parse_sub_fields(ld, v, path, f) ||
        parse_format(ld, v, path, f) || parse_bounds(ld, v, path, f) ||
        parse_max_length(ld, v, path, f))
        return -1;
    if (role == ROLE_ITEM)
        return 0;
    if (role == ROLE_SUB)
        return ld_bool(ld, v, "required", path, &f->required);
    if (f->item) {
        f->item->name = f->name;
        f->item->label = f->label;
    }
    return parse_flags(ld, v, path, f);
}

static const struct model_field *find_field(const struct model_field *fs, size_t n,
                                            const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fs[i].name, name) == 0)
            return &fs[i];
    return NULL;
}

/* Parses the array `a` of fields at `path`, appending to fs[*n] (room for
 * them was allocated by the caller); names must not repeat any before. */
static int parse_field_array(struct loader *ld, const json_t *a, const char *path,
                             struct model_field *fs, size_t *n)
{
    json_t *v;
    size_t i;
    json_array_foreach(a, i, v)
    {
        const char *fp = ld_idx(ld, path, i);
        if (parse_field(ld, v, fp, ROLE_FIELD, &fs[*n]))
            return -1;
        if (find_field(fs, *n, fs[*n].name))
            return ld_fail(ld, ld_sub(ld, fp, "name"), "duplicate field '%s'", fs[*n].name);
        (*n)++;
    }
    return 0;
}

static int parse_field_sets(struct loader *ld)
{
    json_t *obj, *v;
    const char *id;
    if (ld_member(ld, ld->root, "field_sets", "", JSON_OBJECT, false, &obj))
        return -1;
    if (!obj)
        return 0;
    ld->sets = arena_calloc(ld->tmp, json_object_size(obj), sizeof *ld->sets);
    json_object_foreach(obj, id, v)
    {
        const char *path = ld_sub(ld, "field_sets", id);
        struct field_set *s = &ld->sets[ld->n_sets];
        if (ld_name(ld, id, path))
            return -1;
        if (!json_is_array(v))
            return ld_fail(ld, path, "must be an array of fields");
        s->id = id;
        s->fields = arena_calloc(ld->m->arena, json_array_size(v), sizeof *s->fields);
        if (parse_field_array(ld, v, path, s->fields, &s->n_fields))
            return -1;
        ld->n_sets++;
    }
    return 0;
}

static const struct field_set *find_set(const struct loader *ld, const char *id)
{
    for (size_t i = 0; i < ld->n_sets; i++)
        if (strcmp(ld->sets[i].id, id) == 0)
            return &ld->sets[i];
    return NULL;
}

/* ---- kinds -------------------------------------------------------------- */

/* Checks kind.include and returns the number of fields it brings. */
static int count_includes(struct loader *ld, const json_t *inc, const char *path, size_t *n)
{
    json_t *v;
    size_t i;
    *n = 0;
    if (!inc)
        return 0;
    json_array_foreach(inc, i, v)
    {
        const struct field_set *s = json_is_string(v) ? find_set(ld, json_string_value(v)) : NULL;
        if (!json_is_string(v))
            return ld_fail(ld, ld_idx(ld, path, i), "must be a string");
        if (!s)
            return ld_fail(ld, ld_idx(ld, path, i), "unknown field set '%s'", json_string_value(v));
        *n += s->n_fields;
    }
    return 0;
}

static int copy_includes(struct loader *ld, const json_t *inc, const char *path,
                         struct model_kind *k)
{
    json_t *v;
    size_t i;
    if (!inc)
        return 0;
    json_array_foreach(inc, i, v)
    {
        const struct field_set *s = find_set(ld, json_string_value(v));
        for (size_t j = 0; j < s->n_fields; j++) {
            if (find_field(k->fields, k->n_fields, s->fields[j].name))
                return ld_fail(ld, ld_idx(ld, path, i),
                               "field '%s' of field set '%s' is already defined", s->fields[j].name,
                               s->id);
            k->fields[k->n_fields++] = s->fields[j];
        }
    }
    return 0;
}

static int parse_kind_fields(struct loader *ld, const json_t *v, const char *path,
                             struct model_kind *k)
{
    json_t *inc, *fields;
    size_t n_inc;
    const char *ip = ld_sub(ld, path, "include");
    if (ld_member(ld, v, "include", path, JSON_ARRAY, false, &inc) ||
        ld_member(ld, v, "fields", path, JSON_ARRAY, false, &fields) ||
        count_includes(ld, inc, ip, &n_inc))
        return -1;
    k->fields = arena_calloc(ld->m->arena, n_inc + json_array_size(fields), sizeof *k->fields);
    if (copy_includes(ld, inc, ip, k))
        return -1;
    return fields ? parse_field_array(ld, fields, ld_sub(ld, path, "fields"), k->fields, &k->n_fields)
                  : 0;
}

/* The read-only field `key` names, of `type`, or NULL after failing. */
static const char *snapshot_field(struct loader *ld, const json_t *sv, const char *sp,
                                  const struct model_kind *k, const char *key, enum field_type type,
                                  const char *type_name)
{
    const char *name;
    if (ld_string(ld, sv, key, sp, true, &name))
        return NULL;
    const struct model_field *f = model_field(k, name);
    if (!f || f->type != type || !f->readonly) {
        ld_fail(ld, ld_sub(ld, sp, key), "'%s' is not a read-only %s field of '%s'", name,
                type_name, k->id);
        return NULL;
    }
    return f->name;
}

/* "snapshot": {"of": [collections of records, not its own], "at": a
 * read-only timestamp field, "hash": a read-only string field, "count": a
 * read-only integer field}. */
static int parse_kind_snapshot(struct loader *ld, const json_t *v, const char *path,
                               struct model_kind *k)
{
    const json_t *sv = json_object_get(v, "snapshot");
    const char *sp = ld_sub(ld, path, "snapshot");
    if (!sv)
        return 0;
    struct model_snapshot *s = arena_calloc(ld->m->arena, 1, sizeof *s);
    if (ld_want_object(ld, sv, sp) || ld_check_keys(ld, sv, sp, SNAPSHOT_KEYS) ||
        ld_strings(ld, json_object_get(sv, "of"), ld_sub(ld, sp, "of"), true, &s->of, &s->n_of))
        return -1;
    for (size_t i = 0; i < s->n_of; i++) {
        const struct model_collection *c = model_collection(ld->m, s->of[i]);
        if (!c || strcmp(c->id, k->collection) == 0)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, sp, "of"), i),
                           "'%s' is not another collection of the model", s->of[i]);
        s->of[i] = c->id;
    }
    if (!(s->at = snapshot_field(ld, sv, sp, k, "at", FT_TIMESTAMP, "timestamp")) ||
        !(s->hash = snapshot_field(ld, sv, sp, k, "hash", FT_STRING, "string")) ||
        !(s->count = snapshot_field(ld, sv, sp, k, "count", FT_INTEGER, "integer")))
        return -1;
    k->snapshot = s;
    return 0;
}

static int parse_kind(struct loader *ld, const char *id, const json_t *v, struct model_kind *k)
{
    const char *path = ld_sub(ld, "kinds", id), *coll;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, KIND_KEYS) ||
        ld_label(ld, v, "label", path, &k->label) ||
        ld_string(ld, v, "collection", path, true, &coll) ||
        resolve_collection(ld, coll, ld_sub(ld, path, "collection"), COLL_RECORDS, &k->collection) ||
        ld_bool(ld, v, "owned", path, &k->owned) || ld_bool(ld, v, "owns", path, &k->owns) ||
        ld_bool(ld, v, "named", path, &k->named))
        return -1;
    k->id = ld_keep(ld, id);
    const char *read;
    if (ld_string(ld, v, "read", path, false, &read))
        return -1;
    if (read && strcmp(read, "signed-in") != 0)
        return ld_fail(ld, ld_sub(ld, path, "read"), "unknown read '%s' (only 'signed-in')", read);
    k->read_signed_in = read != NULL;
    if (k->owns && k->read_signed_in)
        return ld_fail(ld, ld_sub(ld, path, "read"),
                       "the kind that owns records is read by everyone");
    if (k->owns && k->owned)
        return ld_fail(ld, ld_sub(ld, path, "owns"), "a kind that owns records is not itself owned");
    if (parse_kind_fields(ld, v, path, k) || check_needed(ld, path, k) || check_derived(ld, path, k) ||
        parse_kind_workflow(ld, v, path, k) || parse_kind_documents(ld, v, path, k) ||
        parse_kind_snapshot(ld, v, path, k) || parse_kind_import(ld, v, path, k) ||
        parse_kind_checks(ld, v, path, k) || parse_kind_computes(ld, v, path, k))
        return -1;
    for (size_t i = 0; i < k->n_fields; i++)
        k->has_restricted = k->has_restricted || k->fields[i].restricted;
    return 0;
}

/* ---- relation types ----------------------------------------------------- */

static bool inverse_taken(const struct loader *ld, const char *inv, size_t n_done)
{
    if (json_object_get(ld->kinds_in, inv) || json_object_get(ld->relations_in, inv))
        return true;
    const struct model *m = ld->m;
    for (size_t i = m->n_kinds - n_done; i < m->n_kinds; i++)
        if (m->kinds[i].inverse && strcmp(m->kinds[i].inverse, inv) == 0)
            return true;
    return false;
}

static int parse_inverse(struct loader *ld, const json_t *v, const char *path, size_t n_done,
                         struct model_kind *k)
{
    const char *inv;
    if (ld_string(ld, v, "inverse", path, true, &inv) ||
        ld_name(ld, inv, ld_sub(ld, path, "inverse")))
        return -1;
    if (inverse_taken(ld, inv, n_done))
        return ld_fail(ld, ld_sub(ld, path, "inverse"), "'%s' is already a kind, relation or inverse",
                       inv);
    k->inverse = ld_keep(ld, inv);
    return ld_label(ld, v, "inverse_label", path, &k->inverse_label);
}

static void end_field(struct model_field *f, const char *name, struct i18n label,
                      const char **kinds, size_t n)
{
    f->name = name;
    f->type = FT_REF;
    f->label = label;
    f->required = true;
    f->filterable = true;
    f->ref_kinds = kinds;
    f->n_ref_kinds = n;
}

static int parse_relation_fields(struct loader *ld, const json_t *v, const char *path,
                                 struct model_kind *k)
{
    const char **src, **dst;
    size_t n_src, n_dst;
    json_t *attrs;
    if (parse_kind_list(ld, json_object_get(v, "source"), ld_sub(ld, path, "source"), &src, &n_src) ||
        parse_kind_list(ld, json_object_get(v, "target"), ld_sub(ld, path, "target"), &dst, &n_dst) ||
        ld_member(ld, v, "attributes", path, JSON_ARRAY, false, &attrs))
        return -1;
    k->fields = arena_calloc(ld->m->arena, 2 + json_array_size(attrs), sizeof *k->fields);
    end_field(&k->fields[0], "source", SOURCE_LABEL, src, n_src);
    end_field(&k->fields[1], "target", TARGET_LABEL, dst, n_dst);
    k->n_fields = 2;
    ld->relation_attrs = true;
    int rc = attrs ? parse_field_array(ld, attrs, ld_sub(ld, path, "attributes"), k->fields,
                                       &k->n_fields)
                   : 0;
    ld->relation_attrs = false;
    return rc;
}

static int parse_relation(struct loader *ld, const char *id, const json_t *v, size_t n_done,
                          struct model_kind *k)
{
    const char *path = ld_sub(ld, "relations", id), *coll;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, REL_KEYS))
        return -1;
    if (json_object_get(ld->kinds_in, id))
        return ld_fail(ld, path, "relation type '%s' has the name of a kind", id);
    if (ld_label(ld, v, "label", path, &k->label) || parse_inverse(ld, v, path, n_done, k) ||
        ld_string(ld, v, "collection", path, false, &coll) ||
        resolve_collection(ld, coll ? coll : "relations", coll ? ld_sub(ld, path, "collection") : path,
                           COLL_RELATIONS, &k->collection))
        return -1;
    k->id = ld_keep(ld, id);
    k->is_relation = true;
    return parse_relation_fields(ld, v, path, k) || parse_relation_required(ld, v, path, k) ||
           parse_relation_derive(ld, v, path, k);
}

static int parse_kinds(struct loader *ld)
{
    json_t *v;
    const char *id;
    struct model *m = ld->m;
    size_t n = json_object_size(ld->kinds_in) + json_object_size(ld->relations_in);
    m->kinds = arena_calloc(m->arena, n, sizeof *m->kinds);
    const struct model_kind *owner = NULL;
    json_object_foreach(ld->kinds_in, id, v)
    {
        struct model_kind *k = &m->kinds[m->n_kinds];
        if (parse_kind(ld, id, v, k))
            return -1;
        if (k->owns && owner)
            return ld_fail(ld, ld_sub(ld, ld_sub(ld, "kinds", id), "owns"),
                           "'%s' already owns records: one kind owns them", owner->id);
        owner = k->owns ? k : owner;
        m->n_kinds++;
    }
    size_t n_rel = 0;
    json_object_foreach(ld->relations_in, id, v)
    {
        if (parse_relation(ld, id, v, n_rel, &m->kinds[m->n_kinds]))
            return -1;
        m->n_kinds++;
        n_rel++;
    }
    return 0;
}

/* ---- inherited attributes (REQ ARC-06) ------------------------------------ */

/* Is name a string sub-field (key) or any sub-field (fixed) of every
 * inherited field's object items? */
static bool inherit_sub_ok(const struct model_kind *k, const char *name, bool key)
{
    for (size_t i = 0; i < k->n_inherit_fields; i++) {
        const struct model_field *item = model_field(k, k->inherit_fields[i])->item;
        const struct model_field *sub = NULL;
        for (size_t j = 0; item->type == FT_OBJECT && j < item->n_sub; j++)
            if (strcmp(item->sub[j].name, name) == 0)
                sub = &item->sub[j];
        if (!sub || (key && sub->type != FT_STRING))
            return false;
    }
    return true;
}

/* "key": the sub-field that names an item (an attribute's name); "fixed":
 * the sub-fields an item keeps wherever its key is declared, in the record
 * or in a base or a record below (an attribute's one storage source). */
static int parse_inherit_key(struct loader *ld, const json_t *in, const char *ip,
                             struct model_kind *k)
{
    const char *key = NULL;
    json_t *fixed, *x;
    size_t i;
    if (ld_string(ld, in, "key", ip, false, &key) ||
        ld_member(ld, in, "fixed", ip, JSON_ARRAY, false, &fixed))
        return -1;
    if (fixed && !key)
        return ld_fail(ld, ld_sub(ld, ip, "fixed"), "needs \"key\": the sub-field naming an item");
    if (!key)
        return 0;
    if (!inherit_sub_ok(k, key, true))
        return ld_fail(ld, ld_sub(ld, ip, "key"),
                       "'%s' is not a string sub-field of every inherited field's items", key);
    if (!fixed || json_array_size(fixed) == 0)
        return ld_fail(ld, ld_sub(ld, ip, "fixed"), "must be a non-empty array of sub-fields");
    k->inherit_fixed = arena_calloc(ld->m->arena, json_array_size(fixed), sizeof *k->inherit_fixed);
    json_array_foreach (fixed, i, x) {
        const char *fp = ld_idx(ld, ld_sub(ld, ip, "fixed"), i), *name = json_string_value(x);
        if (!name || strcmp(name, key) == 0 || !inherit_sub_ok(k, name, false))
            return ld_fail(ld, fp,
                           "'%s' is not a sub-field of every inherited field's items "
                           "other than the key",
                           name ? name : "?");
        k->inherit_fixed[i] = ld_keep(ld, name);
    }
    k->n_inherit_fixed = json_array_size(fixed);
    k->inherit_key = ld_keep(ld, key);
    return 0;
}

/* "inherits": {"via": "<single ref field>", "fields": ["<list field>", …]}:
 * the via field's target kinds have each inherited field as a list too, with
 * items of the same type, so that their items read as the kind's own. */
static int parse_inherits(struct loader *ld, const json_t *v, const char *path,
                          struct model_kind *k)
{
    json_t *in, *fields, *x;
    const char *via;
    size_t i;
    if (ld_member(ld, v, "inherits", path, JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    const char *ip = ld_sub(ld, path, "inherits"), *vp = ld_sub(ld, ip, "via");
    if (ld_check_keys(ld, in, ip, INHERITS_KEYS) || ld_string(ld, in, "via", ip, true, &via) ||
        ld_member(ld, in, "fields", ip, JSON_ARRAY, true, &fields))
        return -1;
    const struct model_field *vf = model_field(k, via);
    if (!vf || vf->type != FT_REF)
        return ld_fail(ld, vp, "'%s' is not a ref field of the kind (a single ref, not a list)", via);
    if (json_array_size(fields) == 0)
        return ld_fail(ld, ld_sub(ld, ip, "fields"), "must be a non-empty array of list fields");
    k->inherit_fields = arena_calloc(ld->m->arena, json_array_size(fields), sizeof *k->inherit_fields);
    json_array_foreach (fields, i, x) {
        const char *fp = ld_idx(ld, ld_sub(ld, ip, "fields"), i), *name = json_string_value(x);
        const struct model_field *f = name ? model_field(k, name) : NULL;
        if (!f || f->type != FT_LIST)
            return ld_fail(ld, fp, "'%s' is not a list field of the kind", name ? name : "?");
        if (f->restricted)
            return ld_fail(ld, fp, "'%s' is restricted: inherited items would show it", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(k->inherit_fields[j], name) == 0)
                return ld_fail(ld, fp, "'%s' listed twice", name);
        for (size_t t = 0; t < vf->n_ref_kinds; t++) {
            const struct model_kind *tk = model_kind(ld->m, vf->ref_kinds[t]);
            const struct model_field *tf = tk ? model_field(tk, name) : NULL;
            if (!tf || tf->type != FT_LIST || tf->item->type != f->item->type || tf->restricted)
                return ld_fail(ld, vp, "kind '%s' it refers to has no list field '%s' like the kind's",
                               vf->ref_kinds[t], name);
        }
        k->inherit_fields[i] = ld_keep(ld, name);
    }
    k->n_inherit_fields = json_array_size(fields);
    k->inherit_via = vf->name;
    return parse_inherit_key(ld, in, ip, k);
}

static int check_migrate_from(struct loader *ld, const struct model_kind *k)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i], *t;
        if (f->migrate_from && (!(t = model_field(k, f->migrate_from)) ||
                                (t->type != FT_STRING && t->type != FT_TEXT)))
            return ld_fail(
                ld, ld_sub(ld, ld_sub(ld, k->is_relation ? "relations" : "kinds", k->id), f->name),
                "migrate_from: '%s' is not a string or text field of the kind", f->migrate_from);
    }
    return 0;
}

static int check_inherits(struct loader *ld)
{
    struct model *m = ld->m;
    for (size_t i = 0; i < m->n_kinds; i++)
        if ((!m->kinds[i].is_relation &&
             parse_inherits(ld, json_object_get(ld->kinds_in, m->kinds[i].id),
                            ld_sub(ld, "kinds", m->kinds[i].id), &m->kinds[i])) ||
            check_migrate_from(ld, &m->kinds[i]))
            return -1;
    return 0;
}

bool model_kind_inherits(const struct model_kind *k, const char *name)
{
    for (size_t i = 0; k && i < k->n_inherit_fields; i++)
        if (strcmp(k->inherit_fields[i], name) == 0)
            return true;
    return false;
}

/* Is name a facet the lists of col can show: "kind", "owner" (some kind
 * is owned) or an enum, enum-list or boolean filterable field of one of
 * its kinds? */
static bool facet_ok(const struct model *m, const struct model_collection *col, const char *name)
{
    bool owned = false;
    for (size_t i = 0; i < col->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, col->kinds[i]);
        owned = owned || k->owned;
        const struct model_field *f = model_field(k, name);
        const struct model_field *t = f && f->type == FT_LIST ? f->item : f;
        if (f && f->filterable && (t->type == FT_ENUM || t->type == FT_BOOL))
            return true;
    }
    return strcmp(name, "kind") == 0 || (owned && strcmp(name, "owner") == 0);
}

/* Is name a field its list pages can show as a column: a field of one of
 * col's kinds that is neither restricted nor an object, a text, an i18n
 * text or a reference (a list's item neither)? */
static bool column_ok(const struct model *m, const struct model_collection *col, const char *name)
{
    if (strncmp(name, "score:", 6) == 0)
        return true; /* a score's level or a factor's: checked with the scores (scores.c) */
    for (size_t i = 0; i < col->n_kinds; i++) {
        const struct model_field *f = model_field(model_kind(m, col->kinds[i]), name);
        const struct model_field *t = f && f->type == FT_LIST ? f->item : f;
        if (f && !f->restricted && t->type != FT_OBJECT && t->type != FT_TEXT &&
            t->type != FT_I18N && t->type != FT_REF)
            return true;
    }
    return false;
}

static int fill_collections(struct loader *ld)
{
    struct model *m = ld->m;
    for (size_t c = 0; c < m->n_colls; c++) {
        struct model_collection *col = &m->colls[c];
        col->kinds = arena_calloc(m->arena, m->n_kinds, sizeof *col->kinds);
        for (size_t k = 0; k < m->n_kinds; k++)
            if (strcmp(m->kinds[k].collection, col->id) == 0)
                col->kinds[col->n_kinds++] = m->kinds[k].id;
        for (size_t i = 0; i < col->n_facets; i++)
            if (!facet_ok(m, col, col->facets[i]))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, ld_sub(ld, "collections", col->id), "facets"), i),
                               "'%s' is not 'kind', 'owner' or a filterable enum or boolean "
                               "field of the collection's kinds",
                               col->facets[i]);
        for (size_t i = 0; i < col->n_columns; i++)
            if (!column_ok(m, col, col->columns[i]))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, ld_sub(ld, "collections", col->id), "columns"), i),
                               "'%s' is not a field of the collection's kinds that a list can "
                               "show (not restricted, an object, a text or a reference)",
                               col->columns[i]);
    }
    return 0;
}

/* ---- dated policies ----------------------------------------------------- */

static const char *const POLICY_KEYS[] = {"label", "unit", "values", NULL};
static const char *const POLICY_VALUE_KEYS[] = {"from", "value", "source", NULL};
static const char *const POLICY_UNITS[] = {"working_days", NULL};

static int parse_policy_value(struct loader *ld, const json_t *v, const char *path,
                              const struct model_policy_value *prev,
                              struct model_policy_value *out)
{
    const char *from, *source;
    int y, mo, d;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, POLICY_VALUE_KEYS) ||
        ld_string(ld, v, "from", path, true, &from) ||
        ld_string(ld, v, "source", path, false, &source))
        return -1;
    if (time_parse_date(from, &y, &mo, &d) < 0)
        return ld_fail(ld, ld_sub(ld, path, "from"), "'%s' is not a date YYYY-MM-DD", from);
    json_t *val = json_object_get(v, "value");
    if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > 1000)
        return ld_fail(ld, ld_sub(ld, path, "value"), "must be an integer 0..1000");
    out->from = ld_keep(ld, from);
    out->from_day = time_days_from_civil(y, mo, d);
    out->value = (int)json_integer_value(val);
    out->source = source ? ld_keep(ld, source) : NULL;
    if (prev && out->from_day <= prev->from_day)
        return ld_fail(ld, ld_sub(ld, path, "from"), "values must be in increasing date order");
    return 0;
}

static int parse_policy(struct loader *ld, const char *id, const json_t *v,
                        struct model_policy *p)
{
    const char *path = ld_sub(ld, "policies", id), *unit;
    json_t *vals;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, POLICY_KEYS) || ld_label(ld, v, "label", path, &p->label) ||
        ld_string(ld, v, "unit", path, true, &unit) ||
        ld_member(ld, v, "values", path, JSON_ARRAY, true, &vals))
        return -1;
    if (!ld_in_list(unit, POLICY_UNITS))
        return ld_fail(ld, ld_sub(ld, path, "unit"), "unknown unit '%s'", unit);
    if (json_array_size(vals) == 0)
        return ld_fail(ld, ld_sub(ld, path, "values"), "needs at least one value");
    p->id = ld_keep(ld, id);
    p->unit = ld_keep(ld, unit);
    p->values = arena_calloc(ld->m->arena, json_array_size(vals), sizeof *p->values);
    for (size_t i = 0; i < json_array_size(vals); i++) {
        if (parse_policy_value(ld, json_array_get(vals, i), ld_idx(ld, ld_sub(ld, path, "values"), i),
                               i ? &p->values[i - 1] : NULL, &p->values[i]))
            return -1;
        p->n_values++;
    }
    return 0;
}

static int parse_policies(struct loader *ld)
{
    json_t *in, *v;
    const char *id;
    if (ld_member(ld, ld->root, "policies", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    struct model *m = ld->m;
    m->policies = arena_calloc(m->arena, json_object_size(in), sizeof *m->policies);
    json_object_foreach(in, id, v)
    {
        if (parse_policy(ld, id, v, &m->policies[m->n_policies]))
            return -1;
        m->n_policies++;
    }
    return 0;
}

/* ---- the expanded document --------------------------------------------- */

const struct i18n model_owner_label = {.kk = "Иесі", .ru = "Владелец", .en = "Owner"};

const char *model_label_in(struct i18n l, const char *lang)
{
    const char *s = lang && lang[0] == 'k' ? l.kk : lang && lang[0] == 'e' ? l.en : l.ru;
    return s ? s : l.ru ? l.ru : l.en ? l.en : l.kk ? l.kk : "";
}

json_t *model_label_json(struct i18n l)
{
    return json_pack("{s:s, s:s, s:s}", "kk", l.kk, "ru", l.ru, "en", l.en);
}

json_t *strings_json(const char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

static json_t *field_json(const struct model_field *f, enum field_role role)
{
    json_t *o = json_object();
    if (role != ROLE_ITEM) {
        json_object_set_new(o, "name", json_string(f->name));
        json_object_set_new(o, "label", model_label_json(f->label));
    }
    json_object_set_new(o, "type", json_string(model_type_name(f->type)));
    if (role == ROLE_SUB)
        json_object_set_new(o, "required", json_boolean(f->required));
    if (role == ROLE_FIELD) {
        if (f->help.kk)
            json_object_set_new(o, "help", model_label_json(f->help));
        json_object_set_new(o, "required", json_boolean(f->required));
        json_object_set_new(o, "searchable", json_boolean(f->searchable));
        json_object_set_new(o, "filterable", json_boolean(f->filterable));
        if (f->n_written_by)
            json_object_set_new(o, "written_by", strings_json(f->written_by, f->n_written_by));
        json_object_set_new(o, "readonly", json_boolean(f->readonly));
        json_object_set_new(o, "restricted", json_boolean(f->restricted));
        if (f->migrate_from)
            json_object_set_new(o, "migrate_from", json_string(f->migrate_from));
        if (f->derived_from)
            json_object_set_new(o, "derived", json_pack("{s:s, s:i}", "from", f->derived_from,
                                                        "add_months", f->derived_months));
        if (f->needed_when.n_terms) {
            json_object_set_new(o, "needed", model_cond_json(&f->needed_when));
        } else {
            json_object_set_new(o, "needed", json_boolean(f->needed));
        }
        json_t *span = model_span_json(&f->needed_in_force);
        if (span)
            json_object_set_new(o, "needed_in_force", span);
    }
    if (f->enumeration)
        json_object_set_new(o, "enum", json_string(f->enumeration->id));
    if (f->ref_kinds)
        json_object_set_new(o, "to", strings_json(f->ref_kinds, f->n_ref_kinds));
    if (f->item)
        json_object_set_new(o, "item", field_json(f->item, ROLE_ITEM));
    if (f->n_sub) {
        json_t *subs = json_array();
        for (size_t i = 0; i < f->n_sub; i++)
            json_array_append_new(subs, field_json(&f->sub[i], ROLE_SUB));
        json_object_set_new(o, "fields", subs);
    }
    if (f->format)
        json_object_set_new(o, "format", json_string(f->format));
    if (f->has_min)
        json_object_set_new(o, "min", json_integer((json_int_t)f->min));
    if (f->has_max)
        json_object_set_new(o, "max", json_integer((json_int_t)f->max));
    if (model_max_length(f))
        json_object_set_new(o, "max_length", json_integer((json_int_t)model_max_length(f)));
    return o;
}

static json_t *kind_json(const struct model *mdl, const struct model_kind *k)
{
    json_t *o = json_pack("{s:o, s:s, s:b, s:b, s:b}", "label", model_label_json(k->label), "collection",
                          k->collection, "owned", k->owned, "named", k->named, "is_relation",
                          k->is_relation);
    if (k->owns)
        json_object_set_new(o, "owns", json_true());
    if (k->read_signed_in)
        json_object_set_new(o, "read", json_string("signed-in"));
    if (k->workflow) {
        json_object_set_new(o, "workflow", json_string(k->workflow->id));
        json_object_set_new(o, "code_prefix", json_string(k->code_prefix));
    }
    if (k->documents)
        json_object_set_new(o, "documents", json_string(k->documents->id));
    if (k->inherit_via) {
        json_t *in = json_pack("{s:s, s:o}", "via", k->inherit_via, "fields",
                               strings_json(k->inherit_fields, k->n_inherit_fields));
        if (k->inherit_key) {
            json_object_set_new(in, "key", json_string(k->inherit_key));
            json_object_set_new(in, "fixed", strings_json(k->inherit_fixed, k->n_inherit_fixed));
        }
        json_object_set_new(o, "inherits", in);
    }
    if (k->n_measures)
        json_object_set_new(o, "measures", kind_measures_json(k));
    if (k->profile)
        json_object_set_new(o, "profile", json_string(k->profile->measure->id));
    if (k->n_views)
        json_object_set_new(o, "views", views_json(k));
    if (k->inclusion_field)
        json_object_set_new(o, "inclusion",
                            json_pack("{s:s, s:s}", "field", k->inclusion_field, "protocol",
                                      k->inclusion_protocol->id));
    if (k->inverse) {
        json_object_set_new(o, "inverse", json_string(k->inverse));
        json_object_set_new(o, "inverse_label", model_label_json(k->inverse_label));
    }
    if (k->n_required_kinds)
        json_object_set_new(o, "required_for", relation_required_json(k));
    if (k->import && !k->import->derived)
        json_object_set_new(o, "import", import_json(k->import));
    if (k->tally)
        json_object_set_new(o, "tally", tally_json(k->tally));
    if (k->archimate)
        json_object_set_new(o, "archimate", archimate_kind_json(mdl, k->archimate));
    json_t *fs = json_array();
    for (size_t i = 0; i < k->n_fields; i++)
        json_array_append_new(fs, field_json(&k->fields[i], ROLE_FIELD));
    json_object_set_new(o, "fields", fs);
    return o;
}

static json_t *enums_json(const struct model *m)
{
    json_t *o = json_object();
    for (size_t i = 0; i < m->n_enums; i++) {
        const struct model_enum *en = &m->enums[i];
        json_t *vals = json_array();
        for (size_t j = 0; j < en->n_values; j++) {
            const struct model_enum_value *ev = &en->values[j];
            json_t *val = json_pack("{s:s, s:o}", "id", ev->id, "label", model_label_json(ev->label));
            if (ev->n_earlier)
                json_object_set_new(val, "earlier", wordings_json(ev->earlier, ev->n_earlier));
            json_array_append_new(vals, val);
        }
        json_object_set_new(
            o, en->id, json_pack("{s:o, s:o}", "label", model_label_json(en->label), "values", vals));
    }
    return o;
}

json_t *model_policy_json(const struct model_policy *p)
{
    json_t *vals = json_array();
    for (size_t i = 0; i < p->n_values; i++) {
        json_t *o = json_pack("{s:s, s:i}", "from", p->values[i].from, "value", p->values[i].value);
        if (p->values[i].source)
            json_object_set_new(o, "source", json_string(p->values[i].source));
        json_array_append_new(vals, o);
    }
    return json_pack("{s:o, s:s, s:o}", "label", model_label_json(p->label), "unit", p->unit, "values",
                     vals);
}

static json_t *model_build_doc(const struct model *m, const json_t *root)
{
    json_t *doc = json_object(), *kinds = json_object(), *colls = json_object();
    json_object_set_new(doc, "version", json_integer(1));
    json_t *d = json_object_get(root, "description");
    if (d)
        json_object_set(doc, "description", d);
    json_object_set_new(doc, "languages", strings_json(LANGS, 3));
    json_object_set_new(doc, "enums", enums_json(m));
    for (size_t i = 0; i < m->n_kinds; i++)
        json_object_set_new(kinds, m->kinds[i].id, kind_json(m, &m->kinds[i]));
    json_object_set_new(doc, "kinds", kinds);
    for (size_t i = 0; i < m->n_colls; i++) {
        const struct model_collection *c = &m->colls[i];
        json_t *o = json_pack("{s:o, s:s, s:o}", "label", model_label_json(c->label), "type",
                              c->type == COLL_RECORDS ? "records" : "relations", "kinds",
                              strings_json(c->kinds, c->n_kinds));
        if (c->n_facets)
            json_object_set_new(o, "facets", strings_json(c->facets, c->n_facets));
        json_t *in = json_object_get(json_object_get(root, "collections"), c->id);
        if (c->map)
            json_object_set(o, "map", json_object_get(in, "map"));
        if (c->n_matrices)
            json_object_set(o, "matrices", json_object_get(in, "matrices"));
        if (c->n_networks)
            json_object_set(o, "networks", json_object_get(in, "networks"));
        json_object_set_new(colls, c->id, o);
    }
    json_object_set_new(doc, "collections", colls);
    json_t *pols = json_object();
    for (size_t i = 0; i < m->n_policies; i++)
        json_object_set_new(pols, m->policies[i].id, model_policy_json(&m->policies[i]));
    json_object_set_new(doc, "policies", pols);
    json_object_set_new(doc, "workflows", workflows_json(m));
    json_object_set_new(doc, "document_lists", doc_lists_json(m));
    json_object_set_new(doc, "rules", rules_json(m));
    if (m->n_rule_groups)
        json_object_set_new(doc, "rule_report", rule_report_json(m));
    if (m->gaps)
        json_object_set_new(doc, "gap_analysis", gaps_json(m));
    if (m->dups)
        json_object_set_new(doc, "duplicates", dups_json(m));
    json_object_set_new(doc, "measures", measures_json(m));
    json_object_set_new(doc, "scores", scores_json(m));
    if (m->archimate)
        json_object_set_new(doc, "archimate", archimate_json(m));
    return doc;
}

/* ---- loading ------------------------------------------------------------ */

static int model_check(struct loader *ld)
{
    if (ld_want_object(ld, ld->root, "(document)") || ld_check_keys(ld, ld->root, "", TOP_KEYS) ||
        parse_version(ld) || parse_languages(ld) ||
        ld_member(ld, ld->root, "kinds", "", JSON_OBJECT, true, &ld->kinds_in) ||
        ld_member(ld, ld->root, "relations", "", JSON_OBJECT, false, &ld->relations_in) ||
        parse_collections(ld) || parse_enums(ld) || parse_policies(ld) || parse_workflows(ld) ||
        parse_doc_lists(ld) || parse_field_sets(ld) || parse_kinds(ld) || check_inherits(ld) ||
        parse_measures(ld) || fill_collections(ld) || parse_views(ld) || parse_maps(ld) ||
        parse_gap_analysis(ld) || parse_duplicates(ld) || parse_triggers(ld) || parse_scores(ld) ||
        parse_tallies(ld) || parse_archimate(ld) || derive_imports(ld))
        return -1;
    return parse_rules(ld); /* after the collections know their kinds */
}

/* The kinds by id, for model_kind: every read names kinds, often many
 * times (a list's records, a measure's items), and the model has dozens. */
static void index_kinds(struct model *m)
{
    size_t cap = 16;
    while (cap < 2 * m->n_kinds)
        cap *= 2;
    m->kind_slots = arena_calloc(m->arena, cap, sizeof *m->kind_slots);
    m->kind_mask = cap - 1;
    for (size_t i = 0; i < m->n_kinds; i++) {
        size_t at = text_hash(m->kinds[i].id, strlen(m->kinds[i].id)) & m->kind_mask;
        while (m->kind_slots[at])
            at = (at + 1) & m->kind_mask;
        m->kind_slots[at] = (uint32_t)i + 1;
    }
}

int model_load_buffer(const char *text, size_t len, struct model **out, struct err *e)
{
    json_error_t jerr;
    *out = NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        err_set(e, 500, "invalid-model", "", "line %d, column %d: %s", jerr.line, jerr.column,
                jerr.text);
        return -1;
    }
    struct model *m = xcalloc(1, sizeof *m);
    m->arena = arena_new();
    struct loader ld = {.m = m, .tmp = arena_new(), .e = e, .root = root};
    int rc = model_check(&ld);
    if (rc == 0) {
        m->doc = model_build_doc(m, root);
        index_kinds(m);
    }
    arena_free(ld.tmp);
    json_decref(root);
    if (rc) {
        model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

int model_load_file(const char *path, struct model **out, struct err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(e, 500, "invalid-model", "", "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = xmalloc(MODEL_FILE_MAX);
    size_t n = fread(text, 1, MODEL_FILE_MAX, f);
    bool bad = ferror(f) || (n == MODEL_FILE_MAX && fgetc(f) != EOF);
    fclose(f);
    int rc = -1;
    if (bad)
        err_set(e, 500, "invalid-model", "", "%s: read error or larger than %u bytes", path,
                MODEL_FILE_MAX);
    else
        rc = model_load_buffer(text, n, out, e);
    free(text);
    return rc;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    json_decref(m->doc);
    arena_free(m->arena);
    free(m);
}

/* ---- lookups ------------------------------------------------------------ */

const json_t *model_json(const struct model *m)
{
    return m->doc;
}

const struct model_kind *model_owner_kind(const struct model *m)
{
    for (size_t i = 0; i < m->n_kinds; i++)
        if (m->kinds[i].owns)
            return &m->kinds[i];
    return NULL;
}

const struct model_kind *model_kind(const struct model *m, const char *id)
{
    if (id && m->kind_slots) {
        for (size_t at = text_hash(id, strlen(id)) & m->kind_mask; m->kind_slots[at];
             at = (at + 1) & m->kind_mask) {
            const struct model_kind *k = &m->kinds[m->kind_slots[at] - 1];
            if (strcmp(k->id, id) == 0)
                return k;
        }
        return NULL;
    }
    for (size_t i = 0; id && i < m->n_kinds; i++)
        if (strcmp(m->kinds[i].id, id) == 0)
            return &m->kinds[i];
    return NULL;
}

const struct model_collection *model_collection(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_colls; i++)
        if (strcmp(m->colls[i].id, id) == 0)
            return &m->colls[i];
    return NULL;
}

const struct model_enum *model_enum(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_enums; i++)
        if (strcmp(m->enums[i].id, id) == 0)
            return &m->enums[i];
    return NULL;
}

const struct model_field *model_field(const struct model_kind *k, const char *name)
{
    return find_field(k->fields, k->n_fields, name);
}

const struct model_field *model_sub_field(const struct model_field *f, const char *name)
{
    return f && f->type == FT_OBJECT ? find_field(f->sub, f->n_sub, name) : NULL;
}

bool model_collection_has_kind(const struct model_collection *c, const char *kind)
{
    for (size_t i = 0; i < c->n_kinds; i++)
        if (strcmp(c->kinds[i], kind) == 0)
            return true;
    return false;
}

bool model_kind_owns(const struct model *m, const char *kind)
{
    const struct model_kind *ok = model_owner_kind(m);
    return ok && kind && strcmp(ok->id, kind) == 0;
}

size_t model_n_collections(const struct model *m)
{
    return m->n_colls;
}

const struct model_collection *model_collection_at(const struct model *m, size_t i)
{
    return i < m->n_colls ? &m->colls[i] : NULL;
}

const struct model_policy *model_policy(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_policies; i++)
        if (strcmp(m->policies[i].id, id) == 0)
            return &m->policies[i];
    return NULL;
}

size_t model_n_policies(const struct model *m)
{
    return m->n_policies;
}

const struct model_policy *model_policy_at(const struct model *m, size_t i)
{
    return i < m->n_policies ? &m->policies[i] : NULL;
}

const struct model_policy_value *model_policy_in_force(const struct model_policy *p, int64_t day)
{
    const struct model_policy_value *in_force = NULL;
    for (size_t i = 0; i < p->n_values && p->values[i].from_day <= day; i++)
        in_force = &p->values[i];
    return in_force;
}

size_t model_n_kinds(const struct model *m)
{
    return m->n_kinds;
}

const struct model_kind *model_kind_at(const struct model *m, size_t i)
{
    return i < m->n_kinds ? &m->kinds[i] : NULL;
}
