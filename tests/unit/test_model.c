/* test_model: the metamodel loader (the shipped model loads; broken models
 * fail naming the key at fault) and record validation for every field type
 * and error type, BIN checks, index values and search text.
 *
 * The shipped model's path is MODEL_PATH (set by the build), overridden by
 * the environment variable AP_MODEL. */
#include "model/model.h"

#include "util/arena.h"
#include "util/buf.h"
#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A day by whose rules the tests judge records: 06.12.2026, after every
 * dated entry of the model took effect. */
#define TODAY 20793

#ifndef MODEL_PATH
#define MODEL_PATH "../model/egov-kz.json"
#endif

#define L "{\"kk\":\"Қ\",\"ru\":\"Р\",\"en\":\"E\"}"

/* A small model that uses every field type; the broken-model cases change
 * one key of it. */
static const char BASE[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],"
    "\"enums\":{\"color\":{\"label\":" L ",\"values\":["
    "{\"id\":\"red\",\"label\":{\"kk\":\"Қызыл\",\"ru\":\"Красный\",\"en\":\"Red\"}},"
    "{\"id\":\"green\",\"label\":" L "}]}},"
    "\"field_sets\":{\"common\":[{\"name\":\"note\",\"type\":\"text\",\"label\":" L "}]},"
    "\"kinds\":{"
    "\"org\":{\"label\":" L ",\"collection\":\"orgs\",\"named\":true,\"fields\":["
    "{\"name\":\"bin\",\"type\":\"string\",\"label\":" L ",\"format\":\"bin\"}]},"
    "\"thing\":{\"label\":" L ",\"collection\":\"things\",\"owned\":true,\"named\":true,"
    "\"include\":[\"common\"],\"fields\":["
    "{\"name\":\"title\",\"type\":\"string\",\"label\":" L
    ",\"required\":true,\"searchable\":true,\"max_length\":20},"
    "{\"name\":\"color\",\"type\":\"enum\",\"label\":" L ",\"enum\":\"color\",\"filterable\":true},"
    "{\"name\":\"count\",\"type\":\"integer\",\"label\":" L
    ",\"min\":0,\"max\":10,\"filterable\":true},"
    "{\"name\":\"tags\",\"type\":\"list\",\"label\":" L
    ",\"item\":{\"type\":\"string\"},\"searchable\":true,\"filterable\":true},"
    "{\"name\":\"maker\",\"type\":\"ref\",\"label\":" L ",\"to\":[\"org\"],\"filterable\":true},"
    "{\"name\":\"price\",\"type\":\"decimal\",\"label\":" L "},"
    "{\"name\":\"born\",\"type\":\"date\",\"label\":" L "},"
    "{\"name\":\"seen\",\"type\":\"timestamp\",\"label\":" L "},"
    "{\"name\":\"ok\",\"type\":\"bool\",\"label\":" L ",\"filterable\":true},"
    "{\"name\":\"site\",\"type\":\"url\",\"label\":" L "},"
    "{\"name\":\"mail\",\"type\":\"email\",\"label\":" L "},"
    "{\"name\":\"desc\",\"type\":\"i18n\",\"label\":" L ",\"searchable\":true},"
    "{\"name\":\"colors\",\"type\":\"list\",\"label\":" L
    ",\"item\":{\"type\":\"enum\",\"enum\":\"color\"},\"filterable\":true,\"searchable\":true},"
    "{\"name\":\"calc\",\"type\":\"integer\",\"label\":" L ",\"readonly\":true},"
    "{\"name\":\"spot\",\"type\":\"object\",\"label\":" L ",\"searchable\":true,\"fields\":["
    "{\"name\":\"city\",\"type\":\"string\",\"label\":" L ",\"required\":true},"
    "{\"name\":\"floor\",\"type\":\"integer\",\"label\":" L ",\"min\":0},"
    "{\"name\":\"kind\",\"type\":\"enum\",\"label\":" L ",\"enum\":\"color\"}]},"
    "{\"name\":\"places\",\"type\":\"list\",\"label\":" L ",\"searchable\":true,"
    "\"help\":" L ",\"item\":{\"type\":\"object\",\"fields\":["
    "{\"name\":\"where\",\"type\":\"string\",\"label\":" L ",\"required\":true},"
    "{\"name\":\"count\",\"type\":\"integer\",\"label\":" L ",\"min\":1},"
    "{\"name\":\"cost\",\"type\":\"decimal\",\"label\":" L "},"
    "{\"name\":\"on\",\"type\":\"bool\",\"label\":" L "}]}}]}},"
    "\"relations\":{\"links\":{\"label\":" L ",\"inverse\":\"linked_from\",\"inverse_label\":" L
    ",\"source\":[\"thing\"],\"target\":[\"thing\",\"org\"],\"attributes\":["
    "{\"name\":\"why\",\"type\":\"text\",\"label\":" L ",\"required\":true}]}},"
    "\"collections\":{\"orgs\":{\"label\":" L ",\"type\":\"records\"},"
    "\"things\":{\"label\":" L ",\"type\":\"records\"},"
    "\"relations\":{\"label\":" L ",\"type\":\"relations\"}}}";

static struct model *g_base, *g_real;

static struct model *load_text(const char *text, struct err *e)
{
    struct model *m = NULL;
    if (model_load_buffer(text, strlen(text), &m, e))
        return NULL;
    return m;
}

static int setup(void **state)
{
    struct err e = ERR_INIT;
    const char *path = getenv("AP_MODEL") ? getenv("AP_MODEL") : MODEL_PATH;
    g_base = load_text(BASE, &e);
    if (!g_base)
        fprintf(stderr, "base model: %s\n", e.detail);
    if (model_load_file(path, &g_real, &e))
        fprintf(stderr, "%s: %s\n", path, e.detail);
    return g_base && g_real ? 0 : -1;
}

static int teardown(void **state)
{
    model_free(g_base);
    model_free(g_real);
    return 0;
}

/* ---- the shipped model ---------------------------------------------------- */

static const struct model_field *real_field(const char *kind, const char *field)
{
    const struct model_kind *k = model_kind(g_real, kind);
    assert_non_null(k);
    const struct model_field *f = model_field(k, field);
    if (!f)
        fail_msg("%s has no field %s", kind, field);
    return f;
}

static bool enum_has(const struct model_enum *en, const char *id)
{
    for (size_t i = 0; i < en->n_values; i++)
        if (strcmp(en->values[i].id, id) == 0)
            return true;
    return false;
}

static const char *const OBJECT_KINDS[] = {
    "state_information_resource", "information_system",
    "internet_resource",          "ict_infrastructure_object",
    "platform_software_product",  "ict_service",
    "other_person_object",        NULL};

/* REQ: REG-01 */
static void test_real_object_kinds(void **state)
{
    const struct model_collection *c = model_collection(g_real, "objects");
    assert_non_null(c);
    assert_int_equal(c->type, COLL_RECORDS);
    for (const char *const *k = OBJECT_KINDS; *k; k++) {
        const struct model_kind *kind = model_kind(g_real, *k);
        assert_non_null(kind);
        assert_true(model_collection_has_kind(c, *k));
        assert_true(kind->owned && kind->named && !kind->is_relation);
        assert_non_null(model_field(kind, "purpose"));
    }
    const struct model_kind *org = model_kind(g_real, "organization");
    assert_non_null(org);
    assert_false(org->owned);
    assert_true(org->owns && model_owner_kind(g_real) == org);
    assert_string_equal(org->collection, "organizations");
    assert_true(real_field("organization", "bin")->required);
    /* organisations own the objects; nothing else owns anything */
    assert_true(model_kind_owns(g_real, "organization"));
    for (const char *const *k = OBJECT_KINDS; *k; k++)
        assert_false(model_kind_owns(g_real, *k));
    assert_false(model_kind_owns(g_real, "nothing"));
    assert_false(model_kind_owns(g_real, NULL));
}

/* The activity layer's kinds are read by signed-in users only, but public
 * services, which the public sees (the e-services catalogue), and the goals
 * and target indicators that ICT projects publish their progress against
 * (X-TRN-01); the model's JSON says so. */
static void test_real_signed_in_kinds(void **state)
{
    (void)state;
    static const char *const members[] = {"domain", "state_function", "capability",
                                          "task", "problem", "planning_document",
                                          "business_process", "client_journey", NULL};
    for (const char *const *k = members; *k; k++) {
        assert_non_null(model_kind(g_real, *k));
        assert_true(model_kind(g_real, *k)->read_signed_in);
    }
    assert_false(model_kind(g_real, "public_service")->read_signed_in);
    assert_false(model_kind(g_real, "goal")->read_signed_in);
    assert_false(model_kind(g_real, "indicator")->read_signed_in);
    assert_false(model_kind(g_real, "organization")->read_signed_in);
    assert_false(model_kind(g_real, "information_system")->read_signed_in);
    const json_t *kinds = json_object_get(model_json(g_real), "kinds");
    assert_string_equal(json_string_value(json_object_get(json_object_get(kinds, "domain"), "read")),
                        "signed-in");
    assert_null(json_object_get(json_object_get(kinds, "public_service"), "read"));
}

/* REQ: REG-02 */
static void test_real_platform_products(void **state)
{
    const struct model_kind *k = model_kind(g_real, "platform_software_product");
    assert_non_null(k);
    assert_string_equal(k->label.ru, "Платформенный программный продукт");
    assert_int_equal(real_field("platform_software_product", "included_in_operator_list")->type,
                     FT_BOOL);
}

/* REQ: REG-08 */
static void test_real_object_class(void **state)
{
    const struct model_field *f = real_field("information_system", "class");
    assert_int_equal(f->type, FT_ENUM);
    assert_true(f->filterable);
    assert_int_equal(f->enumeration->n_values, 3);
    assert_true(enum_has(f->enumeration, "first") && enum_has(f->enumeration, "second") &&
                enum_has(f->enumeration, "third"));
    const struct model_field *p = real_field("information_system", "placement");
    assert_true(enum_has(p->enumeration, "icp_eg") &&
                enum_has(p->enumeration, "egov_infrastructure"));
}

/* REQ: REG-09 */
static void test_real_placement_exception(void **state)
{
    const struct model_field *f = real_field("information_system", "placement_exception");
    assert_true(f->filterable);
    assert_int_equal(f->enumeration->n_values, 3);
    assert_true(enum_has(f->enumeration, "outside_platform_development"));
    assert_true(enum_has(f->enumeration, "platform_inexpedient"));
    assert_true(enum_has(f->enumeration, "similar_in_register"));
}

/* REQ: REG-10 */
static void test_real_source_code(void **state)
{
    const struct model_field *f = real_field("information_system", "source_code_transferred");
    assert_int_equal(f->type, FT_BOOL);
    assert_true(f->filterable);
}

/* REQ: REG-11 */
static void test_real_warranty(void **state)
{
    assert_int_equal(real_field("information_system", "warranty_end")->type, FT_DATE);
    assert_int_equal(real_field("information_system", "commissioning_date")->type, FT_DATE);
}

/* REQ: LC-02 */
static void test_real_funding(void **state)
{
    const struct model_field *f = real_field("platform_software_product", "funding_source");
    assert_true(enum_has(f->enumeration, "state_investment_project"));
    assert_true(enum_has(f->enumeration, "own_funds"));
}

/* REQ: LC-01 */
static void test_real_stages(void **state)
{
    const struct model_field *f = real_field("ict_infrastructure_object", "stage");
    assert_true(f->required && f->filterable);
    static const char *const st[] = {"creation", "pilot_operation", "industrial_operation",
                                     "development", "termination"};
    for (size_t i = 0; i < 5; i++)
        assert_true(enum_has(f->enumeration, st[i]));
}

/* REQ: LC-04 */
static void test_real_operation_measures(void **state)
{
    const struct model_field *f = real_field("information_system", "operation_measures");
    assert_int_equal(f->type, FT_LIST);
    static const char *const ms[] = {"support", "system_maintenance", "licensed_software_support",
                                     "backup", "warranty_service"};
    for (size_t i = 0; i < 5; i++)
        assert_true(enum_has(f->item->enumeration, ms[i]));
}

/* REQ: SVC-01 */
static void test_real_ict_service_types(void **state)
{
    const struct model_field *f = real_field("ict_service", "service_type");
    assert_true(f->required && f->filterable);
    assert_int_equal(f->enumeration->n_values, 3);
    assert_true(enum_has(f->enumeration, "infrastructure_provision"));
    assert_true(enum_has(f->enumeration, "software_provision"));
    assert_true(enum_has(f->enumeration, "platform_provision"));
    assert_string_equal(real_field("ict_service", "provider")->ref_kinds[0], "organization");
}

static void assert_label(struct i18n l)
{
    assert_true(l.kk && *l.kk && l.ru && *l.ru && l.en && *l.en);
}

/* REQ: X-I18N-01 */
static void test_real_labels_complete(void **state)
{
    for (size_t i = 0; i < model_n_kinds(g_real); i++) {
        const struct model_kind *k = model_kind_at(g_real, i);
        assert_label(k->label);
        for (size_t j = 0; j < k->n_fields; j++) {
            assert_label(k->fields[j].label);
            const struct model_enum *en =
                k->fields[j].item ? k->fields[j].item->enumeration : k->fields[j].enumeration;
            for (size_t v = 0; en && v < en->n_values; v++)
                assert_label(en->values[v].label);
        }
    }
    for (size_t i = 0; i < model_n_collections(g_real); i++)
        assert_label(model_collection_at(g_real, i)->label);
}

static void test_real_relations(void **state)
{
    const struct model_kind *k = model_kind(g_real, "runs_on");
    assert_non_null(k);
    assert_true(k->is_relation && !k->owned && !k->named);
    assert_string_equal(k->collection, "relations");
    assert_string_equal(k->inverse, "hosts");
    assert_string_equal(k->fields[0].name, "source");
    assert_string_equal(k->fields[1].name, "target");
    assert_string_equal(k->fields[1].ref_kinds[0], "ict_infrastructure_object");
    /* a flow names the master data it carries (REQ ARC-08); the former
     * free text is an optional legacy note they migrate from */
    const struct model_field *d = real_field("exchanges_data_with", "data_carried");
    assert_true(!d->required && d->searchable);
    const struct model_field *t = real_field("exchanges_data_with", "data_types");
    assert_true(t->type == FT_LIST && t->item->type == FT_REF);
    assert_string_equal(t->migrate_from, "data_carried");
    assert_string_equal(model_kind(g_real, "part_of")->inverse, "has_part");
    assert_string_equal(model_kind(g_real, "uses")->inverse, "used_by");
    assert_true(model_collection_has_kind(model_collection(g_real, "relations"), "uses"));
}

static void test_real_regions(void **state)
{
    const struct model_field *f = real_field("organization", "region");
    assert_int_equal(f->enumeration->n_values, 20);
    assert_true(enum_has(f->enumeration, "ulytau") && enum_has(f->enumeration, "shymkent"));
}

/* The served document is expanded: includes resolved, relations as kinds. */
static void test_model_json_expanded(void **state)
{
    const json_t *doc = model_json(g_real);
    const json_t *is = json_object_get(json_object_get(doc, "kinds"), "information_system");
    assert_non_null(is);
    assert_null(json_object_get(is, "include"));
    assert_int_equal(json_array_size(json_object_get(is, "fields")),
                     model_kind(g_real, "information_system")->n_fields);
    const json_t *rel = json_object_get(json_object_get(doc, "kinds"), "runs_on");
    assert_true(json_is_true(json_object_get(rel, "is_relation")));
    const json_t *objs = json_object_get(json_object_get(doc, "collections"), "objects");
    assert_int_equal(json_array_size(json_object_get(objs, "kinds")), 7);
    assert_non_null(json_object_get(json_object_get(doc, "enums"), "lifecycle_stage"));
    assert_null(json_object_get(doc, "field_sets"));
}

/* ---- broken models ---------------------------------------------------------- */

/* Finds the parent of the last step of a path like "kinds.x.fields[3].type"
 * in doc; sets *key (object member) or *index (array element). */
static json_t *walk(json_t *doc, const char *path, char *key, size_t keysz, long *index)
{
    json_t *cur = doc, *parent = NULL;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, ".[");
        snprintf(key, keysz, "%.*s", (int)n, p);
        parent = cur;
        *index = -1;
        cur = json_object_get(cur, key);
        p += n;
        while (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            parent = cur;
            *index = i;
            cur = json_array_get(cur, (size_t)i);
            p = end + 1; /* past ']' */
        }
        if (*p == '.')
            p++;
    }
    return parent;
}

/* BASE with the value at path replaced by `value` (JSON text), or removed
 * when value is NULL; returns a malloc'ed text. */
static char *mutate_text(const char *base, const char *path, const char *value)
{
    json_t *doc = json_loads(base, 0, NULL);
    char key[64];
    long index = -1;
    assert_non_null(doc);
    json_t *parent = walk(doc, path, key, sizeof key, &index);
    assert_non_null(parent);
    json_t *v = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
    if (value)
        assert_non_null(v);
    if (index >= 0 && v)
        json_array_set_new(parent, (size_t)index, v);
    else if (index >= 0)
        json_array_remove(parent, (size_t)index);
    else if (v)
        json_object_set_new(parent, key, v);
    else
        json_object_del(parent, key);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

static char *mutate(const char *path, const char *value)
{
    return mutate_text(BASE, path, value);
}

struct broken {
    const char *path, *value, *expect;
};

static const struct broken BROKEN[] = {
    {"kinds.thing.fields[2].type", "\"strnig\"",
     "kinds.thing.fields[2].type: unknown type 'strnig'"},
    {"kinds.thing.fields[0].colour", "true", "kinds.thing.fields[0].colour: unknown key"},
    {"extra", "1", "extra: unknown key"},
    {"kinds.thing.sorting", "1", "kinds.thing.sorting: unknown key"},
    {"kinds.thing.fields[1].enum", "\"colour\"",
     "kinds.thing.fields[1].enum: enum 'colour' is not defined"},
    {"kinds.thing.fields[1].name", "\"title\"",
     "kinds.thing.fields[1].name: duplicate field 'title'"},
    {"kinds.thing.fields[0].name", "\"note\"",
     "kinds.thing.fields[0].name: duplicate field 'note'"},
    {"kinds.thing.include", "[\"common\",\"common\"]",
     "kinds.thing.include[1]: field 'note' of field set 'common' is already defined"},
    {"enums.color.values[1].id", "\"red\"", "enums.color.values[1].id: duplicate value 'red'"},
    {"kinds.thing.fields[4].to", "[\"nothing\"]",
     "kinds.thing.fields[4].to[0]: unknown kind 'nothing'"},
    {"kinds.thing.fields[4].to", "[]", "kinds.thing.fields[4].to: must be a non-empty array"},
    {"kinds.thing.fields[4].to", NULL, "kinds.thing.fields[4].to: missing"},
    {"relations.links.source", "[\"ghost\"]", "relations.links.source[0]: unknown kind 'ghost'"},
    {"relations.links.target", "[\"links\"]",
     "relations.links.target[0]: 'links' is a relation type, not a kind"},
    {"collections.things.facets", "[\"color\",\"title\"]",
     "collections.things.facets[1]: 'title' is not 'kind', 'owner' or a filterable enum or "
     "boolean field of the collection's kinds"},
    {"collections.orgs.facets", "[\"owner\"]",
     "collections.orgs.facets[0]: 'owner' is not 'kind', 'owner' or a filterable enum or "
     "boolean field of the collection's kinds"},
    {"collections.things.facets", "[]", "collections.things.facets: must be a non-empty array"},
    {"kinds.thing.collection", "\"stuff\"", "kinds.thing.collection: unknown collection 'stuff'"},
    {"kinds.thing.collection", "\"relations\"",
     "kinds.thing.collection: collection 'relations' holds relations"},
    {"kinds.thing.label.ru", "\"\"", "kinds.thing.label.ru: missing or empty ru label"},
    {"enums.color.values[0].label.kk", NULL,
     "enums.color.values[0].label.kk: missing or empty kk label"},
    {"relations.links.inverse_label.en", "\"  \"",
     "relations.links.inverse_label.en: missing or empty en label"},
    {"kinds.thing.label", NULL, "kinds.thing.label: missing"},
    {"kinds.thing.fields[0].name", "\"Title\"", "kinds.thing.fields[0].name: 'Title' must match"},
    {"enums.color.values[0].id", "\"1red\"", "enums.color.values[0].id: '1red' must match"},
    {"kinds.thing.fields[0].name", "\"owner\"", "kinds.thing.fields[0].name: 'owner' is reserved"},
    {"relations.links.attributes[0].name", "\"source\"",
     "relations.links.attributes[0].name: 'source' is reserved"},
    {"kinds.thing.fields[3].item", "{\"type\":\"list\",\"item\":{\"type\":\"string\"}}",
     "kinds.thing.fields[3].item.type: a list of lists is not allowed"},
    {"kinds.thing.fields[3].item", "{\"type\":\"string\",\"name\":\"x\"}",
     "kinds.thing.fields[3].item.name: unknown key"},
    {"kinds.thing.fields[2].min", "11",
     "kinds.thing.fields[2].min: min (11) is greater than max (10)"},
    {"kinds.thing.fields[2].max", "\"10\"", "kinds.thing.fields[2].max: must be an integer"},
    {"version", "2", "version: unsupported version"},
    {"languages", "[\"kk\",\"ru\"]", "languages: must list kk, ru and en"},
    {"languages", "[\"kk\",\"ru\",\"en\",\"de\"]", "languages[3]: expected each of kk, ru, en"},
    {"kinds.thing.fields[0].enum", "\"color\"",
     "kinds.thing.fields[0].enum: only allowed with type 'enum'"},
    {"kinds.thing.fields[1].enum", NULL,
     "kinds.thing.fields[1].enum: missing (required with type 'enum')"},
    {"kinds.thing.fields[5].max_length", "5",
     "kinds.thing.fields[5].max_length: only allowed with types"},
    {"kinds.thing.fields[0].max_length", "0",
     "kinds.thing.fields[0].max_length: must be between 1 and"},
    {"kinds.thing.include", "[\"nope\"]", "kinds.thing.include[0]: unknown field set 'nope'"},
    {"relations.links.inverse", "\"thing\"",
     "relations.links.inverse: 'thing' is already a kind, relation or inverse"},
    {"relations.links.inverse", "\"links\"",
     "relations.links.inverse: 'links' is already a kind, relation or inverse"},
    {"kinds.thing.fields[0].format", "\"iin\"",
     "kinds.thing.fields[0].format: unknown format 'iin'"},
    {"kinds.thing.fields[0].required", "\"yes\"",
     "kinds.thing.fields[0].required: must be true or false"},
    {"collections.things.type", "\"bag\"",
     "collections.things.type: unknown collection type 'bag'"},
    {"kinds.thing.fields[11].filterable", "true",
     "kinds.thing.fields[11].filterable: not supported for type 'i18n'"},
    {"field_sets.common[0].type", "\"nope\"", "field_sets.common[0].type: unknown type 'nope'"},
    {"enums.color.values", "[]", "enums.color.values: must not be empty"},
    {"enums.color", "[]", "enums.color: must be an object"},
    {"kinds.thing.fields", "{}", "kinds.thing.fields: must be an array"},
    {"kinds", NULL, "kinds: missing"},
    {"relations.thing", "{}", "relations.thing: relation type 'thing' has the name of a kind"},
    {"relations.links.collection", "\"things\"",
     "relations.links.collection: collection 'things' holds records"},
    {"collections.relations", NULL, "relations.links: unknown collection 'relations'"},
    {"kinds.org.fields[0].to", "[\"org\"]", "kinds.org.fields[0].to: only allowed with type 'ref'"},
    {"kinds.Thing", "{}", "kinds.Thing: 'Thing' must match"},
    /* objects: a group of scalar sub-fields, alone or as a list's item */
    {"kinds.thing.fields[14].fields", NULL,
     "kinds.thing.fields[14].fields: missing (required with type 'object')"},
    {"kinds.thing.fields[14].fields", "[]",
     "kinds.thing.fields[14].fields: must be a non-empty array of fields"},
    {"kinds.thing.fields[0].fields", "[]",
     "kinds.thing.fields[0].fields: only allowed with type 'object'"},
    {"kinds.thing.fields[14].fields[0].type", "\"i18n\"",
     "kinds.thing.fields[14].fields[0].type: a sub-field cannot be of type 'i18n'"},
    {"kinds.thing.fields[14].fields[2]",
     "{\"name\":\"x\",\"type\":\"list\",\"label\":" L "}",
     "kinds.thing.fields[14].fields[2].type: a sub-field cannot be of type 'list'"},
    {"kinds.thing.fields[14].fields[1].name", "\"city\"",
     "kinds.thing.fields[14].fields[1].name: duplicate sub-field 'city'"},
    {"kinds.thing.fields[14].fields[1].searchable", "true",
     "kinds.thing.fields[14].fields[1].searchable: unknown key"},
    {"kinds.thing.fields[14].fields[1].label", NULL, "kinds.thing.fields[14].fields[1].label: missing"},
    {"kinds.thing.fields[14].filterable", "true",
     "kinds.thing.fields[14].filterable: not supported for type 'object'"},
    {"kinds.thing.fields[15].filterable", "true",
     "kinds.thing.fields[15].filterable: not supported for type 'object'"},
    {"kinds.thing.fields[15].item.fields[0].type", "\"strnig\"",
     "kinds.thing.fields[15].item.fields[0].type: unknown type 'strnig'"},
    {"kinds.thing.fields[15].help", "{\"kk\":\"Қ\"}",
     "kinds.thing.fields[15].help.ru: missing or empty ru label"},
};

static void test_broken_models(void **state)
{
    for (size_t i = 0; i < sizeof BROKEN / sizeof BROKEN[0]; i++) {
        const struct broken *b = &BROKEN[i];
        char *text = mutate(b->path, b->value);
        struct err e = ERR_INIT;
        struct model *m = load_text(text, &e);
        if (m || strstr(e.detail, b->expect) != e.detail)
            fail_msg("case %zu (%s): got \"%s\", want \"%s...\"", i, b->path,
                     m ? "(loaded)" : e.detail, b->expect);
        free(text);
    }
}

/* A change of a model text and what loading it must say. */
struct refusal {
    const char *from, *to, *expect;
};

/* Each change of base (its first `from` replaced by `to`) is refused with
 * a message that names `expect`. */
static void expect_refused(const char *base, const struct refusal *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *at = strstr(base, bad[i].from);
        assert_non_null(at);
        size_t pre = (size_t)(at - base);
        char *text = malloc(strlen(base) + strlen(bad[i].to) + 1);
        memcpy(text, base, pre);
        strcpy(text + pre, bad[i].to);
        strcat(text, at + strlen(bad[i].from));
        struct err le = ERR_INIT;
        struct model *bm = load_text(text, &le);
        if (bm || !strstr(le.detail, bad[i].expect))
            fail_msg("bad %zu: got \"%s\", want \"%s\"", i, bm ? "(loaded)" : le.detail,
                     bad[i].expect);
        free(text);
    }
}

/* A kind with checks between its dates and numbers (model/checks.c). */
static const char CHECKS[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],\"kinds\":{"
    "\"proj\":{\"label\":" L ",\"collection\":\"p\",\"named\":true,\"fields\":["
    "{\"name\":\"start\",\"type\":\"date\",\"label\":" L "},"
    "{\"name\":\"end\",\"type\":\"date\",\"label\":" L "},"
    "{\"name\":\"money\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"object\","
    "\"fields\":[{\"name\":\"year\",\"type\":\"integer\",\"label\":" L "},"
    "{\"name\":\"spent\",\"type\":\"decimal\",\"label\":" L "},"
    "{\"name\":\"cap\",\"type\":\"decimal\",\"label\":" L "}]}}],"
    "\"checks\":[{\"field\":\"end\",\"not_before\":\"start\"},"
    "{\"field\":\"start\",\"not_after\":\"today\"},"
    "{\"items\":\"money\",\"field\":\"year\",\"not_after\":\"today\",\"if\":\"spent\"},"
    "{\"items\":\"money\",\"field\":\"spent\",\"not_after\":\"cap\"}]}},"
    "\"collections\":{\"p\":{\"label\":" L ",\"type\":\"records\"}}}";

/* Checks between a record's values: loaded, refused when
 * they cannot work, and judged (dates as dates, numbers as numbers, a
 * year against this year, "if" skipping an item without the value). */
static void test_checks(void **state)
{
    struct err e = ERR_INIT;
    struct model *m = load_text(CHECKS, &e);
    if (!m)
        fail_msg("%s", e.detail);
    const struct model_kind *k = model_kind(m, "proj");
    assert_int_equal(k->n_checks, 4);
    int64_t today = time_days_from_civil(2026, 12, 7);
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"start\":\"2026-01-01\",\"end\":\"2026-12-31\"}", NULL},
        {"{\"start\":\"2026-02-01\",\"end\":\"2026-01-31\"}", "end"},
        {"{\"start\":\"2026-12-08\"}", "start"},
        {"{\"start\":\"2026-12-07\",\"end\":\"2027-01-01\"}", NULL},
        {"{\"money\":[{\"year\":2027,\"cap\":\"5\"}]}", NULL},
        {"{\"money\":[{\"year\":2026,\"spent\":\"5\"},{\"year\":2027,\"spent\":\"1\"}]}",
         "money[1].year"},
        {"{\"money\":[{\"year\":2025,\"spent\":\"10.5\",\"cap\":\"9\"}]}", "money[0].spent"},
        {"{\"money\":[{\"year\":2025,\"spent\":\"9\",\"cap\":\"10.5\"}]}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rec = json_loads(cases[i].json, 0, NULL);
        struct err one = ERR_INIT;
        int rc = model_check_fields(k, rec, today, NULL, NULL, &one);
        if (cases[i].field ? rc == 0 || strcmp(one.field, cases[i].field) != 0 : rc != 0)
            fail_msg("case %zu: rc %d field '%s' detail '%s'", i, rc, one.field, one.detail);
        if (cases[i].field)
            assert_int_equal(one.status, 422);
        json_decref(rec);
    }
    model_free(m);
    static const struct refusal bad[] = {
        {"\"not_before\":\"start\"}", "\"not_before\":\"money\"}", "kinds.proj.checks[0]"},
        {"{\"field\":\"end\",", "{\"field\":\"nope\",", "kinds.proj.checks[0].field"},
        {"\"not_after\":\"cap\"}", "\"not_after\":\"today\"}", "kinds.proj.checks[3]"},
        {"\"not_before\":\"start\"}", "\"not_before\":\"start\",\"not_after\":\"end\"}",
         "kinds.proj.checks[0]"},
        {"\"items\":\"money\",\"field\":\"year\"", "\"items\":\"start\",\"field\":\"year\"",
         "kinds.proj.checks[2].items"},
    };
    expect_refused(CHECKS, bad, sizeof bad / sizeof bad[0]);
}

/* A relation type whose attribute is derived from its ends. */
static const char DERIVE[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],"
    "\"enums\":{\"sc\":{\"label\":" L ",\"values\":[{\"id\":\"one\",\"label\":" L "},"
    "{\"id\":\"area\",\"label\":" L "},{\"id\":\"many\",\"label\":" L "}]}},"
    "\"kinds\":{\"org\":{\"label\":" L ",\"collection\":\"o\",\"owns\":true,\"named\":true},"
    "\"proj\":{\"label\":" L ",\"collection\":\"p\",\"owned\":true,\"named\":true,\"fields\":["
    "{\"name\":\"area\",\"type\":\"string\",\"label\":" L "}]}},"
    "\"relations\":{\"needs\":{\"label\":" L ",\"inverse\":\"needed\",\"inverse_label\":" L ","
    "\"source\":[\"proj\"],\"target\":[\"proj\"],\"attributes\":[{\"name\":\"scope\","
    "\"type\":\"enum\",\"enum\":\"sc\",\"label\":" L ",\"readonly\":true}],"
    "\"derive\":{\"scope\":{\"same\":[{\"field\":\"owner\",\"value\":\"one\"},"
    "{\"field\":\"area\",\"value\":\"area\"}],\"otherwise\":\"many\"}}}},"
    "\"collections\":{\"o\":{\"label\":" L ",\"type\":\"records\"},"
    "\"p\":{\"label\":" L ",\"type\":\"records\"},"
    "\"relations\":{\"label\":" L ",\"type\":\"relations\"}}}";

/* A relation's attribute derived from its ends: the first
 * field both ends share, else the fallback; refused when it cannot work. */
static void test_derive(void **state)
{
    struct err e = ERR_INIT;
    struct model *m = load_text(DERIVE, &e);
    if (!m)
        fail_msg("%s", e.detail);
    const struct model_kind *k = model_kind(m, "needs");
    assert_int_equal(k->n_derives, 1);
    const struct model_derive *d = &k->derives[0];
    json_t *a = json_pack("{s:s, s:s}", "owner", "o1", "area", "x");
    json_t *b = json_pack("{s:s, s:s}", "owner", "o1", "area", "y");
    json_t *c = json_pack("{s:s, s:s}", "owner", "o2", "area", "x");
    json_t *n = json_pack("{s:s, s:s}", "owner", "o3", "area", "");
    json_t *z = json_pack("{s:s, s:s}", "owner", "o4", "area", "");
    assert_string_equal(model_derive_value(d, a, b), "one");
    assert_string_equal(model_derive_value(d, a, c), "area");
    assert_string_equal(model_derive_value(d, b, c), "many");
    assert_string_equal(model_derive_value(d, n, z), "many"); /* empty is not shared */
    assert_string_equal(model_derive_value(d, a, NULL), "many");
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(n);
    json_decref(z);
    model_free(m);
    static const struct refusal bad[] = {
        {"\"readonly\":true}", "\"readonly\":false}", "relations.needs.derive.scope"},
        {"\"otherwise\":\"many\"", "\"otherwise\":\"all\"", "relations.needs.derive.scope.otherwise"},
        {"\"field\":\"area\"", "\"field\":\"nope\"", "relations.needs.derive.scope.same.1.field"},
        {"\"value\":\"one\"", "\"value\":\"none\"", "relations.needs.derive.scope.same.0.value"},
    };
    expect_refused(DERIVE, bad, sizeof bad / sizeof bad[0]);
}

/* A kind whose read-only field is computed from a list's items, through a
 * ref, with a check that an item's ref names a record of its own stage. */
static const char COMPUTE[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],"
    "\"enums\":{\"st\":{\"label\":" L ",\"values\":[{\"id\":\"a\",\"label\":" L "},"
    "{\"id\":\"b\",\"label\":" L "}]},"
    "\"w\":{\"label\":" L ",\"values\":[{\"id\":\"must\",\"label\":" L "},"
    "{\"id\":\"may\",\"label\":" L "}]},"
    "\"res\":{\"label\":" L ",\"values\":[{\"id\":\"yes\",\"label\":" L "},"
    "{\"id\":\"no\",\"label\":" L "}]},"
    "\"lvl\":{\"label\":" L ",\"values\":[{\"id\":\"bad\",\"label\":" L "},"
    "{\"id\":\"part\",\"label\":" L "},{\"id\":\"good\",\"label\":" L "}]}},"
    "\"kinds\":{\"crit\":{\"label\":" L ",\"collection\":\"c\",\"named\":true,\"fields\":["
    "{\"name\":\"stage\",\"type\":\"enum\",\"enum\":\"st\",\"label\":" L "},"
    "{\"name\":\"weight\",\"type\":\"enum\",\"enum\":\"w\",\"label\":" L "}]},"
    "\"asmt\":{\"label\":" L ",\"collection\":\"c\",\"named\":true,\"fields\":["
    "{\"name\":\"stage\",\"type\":\"enum\",\"enum\":\"st\",\"label\":" L "},"
    "{\"name\":\"answers\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"object\","
    "\"fields\":[{\"name\":\"crit\",\"type\":\"ref\",\"to\":[\"crit\"],\"label\":" L "},"
    "{\"name\":\"res\",\"type\":\"enum\",\"enum\":\"res\",\"label\":" L "}]}},"
    "{\"name\":\"level\",\"type\":\"enum\",\"enum\":\"lvl\",\"readonly\":true,\"label\":" L "}],"
    "\"compute\":{\"level\":{\"over\":\"answers\",\"cases\":["
    "{\"value\":\"bad\",\"any\":{\"res\":[\"no\"],\"crit.weight\":[\"must\"]}},"
    "{\"value\":\"part\",\"any\":{\"res\":[\"no\"]}}],\"otherwise\":\"good\"}},"
    "\"checks\":[{\"items\":\"answers\",\"field\":\"crit.stage\",\"equals\":\"stage\"}]}},"
    "\"collections\":{\"c\":{\"label\":" L ",\"type\":\"records\"}}}";

static json_t *peek_crit(void *ctx, const char *id, const char *field)
{
    return json_incref(json_object_get(json_object_get(ctx, id), field));
}

/* A field computed from a list's items through a ref (the
 * first case some item keeps, else the fallback, none for an empty
 * list); a check that an item's ref names a record of the record's stage;
 * refused when they cannot work. */
static void test_compute(void **state)
{
    struct err e = ERR_INIT;
    struct model *m = load_text(COMPUTE, &e);
    if (!m)
        fail_msg("%s", e.detail);
    const struct model_kind *k = model_kind(m, "asmt");
    assert_int_equal(k->n_computes, 1);
    json_t *crits = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}", "c1", "stage", "a",
                              "weight", "must", "c2", "stage", "a", "weight", "may", "c3",
                              "stage", "b", "weight", "must");
    static const struct {
        const char *json, *level, *bad_field;
    } cases[] = {
        {"{\"stage\":\"a\",\"answers\":[]}", NULL, NULL},
        {"{\"stage\":\"a\",\"answers\":[{\"crit\":\"c1\",\"res\":\"yes\"},"
         "{\"crit\":\"c2\",\"res\":\"yes\"}]}", "good", NULL},
        {"{\"stage\":\"a\",\"answers\":[{\"crit\":\"c1\",\"res\":\"yes\"},"
         "{\"crit\":\"c2\",\"res\":\"no\"}]}", "part", NULL},
        {"{\"stage\":\"a\",\"answers\":[{\"crit\":\"c2\",\"res\":\"no\"},"
         "{\"crit\":\"c1\",\"res\":\"no\"}]}", "bad", NULL},
        {"{\"stage\":\"a\",\"answers\":[{\"crit\":\"c1\",\"res\":\"yes\"},"
         "{\"crit\":\"c3\",\"res\":\"yes\"}]}", "good", "answers[1].crit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rec = json_loads(cases[i].json, 0, NULL);
        const char *level = model_compute_value(&k->computes[0], rec, peek_crit, crits);
        if (cases[i].level ? !level || strcmp(level, cases[i].level) : level != NULL)
            fail_msg("case %zu: level %s", i, level ? level : "(none)");
        struct err one = ERR_INIT;
        int rc = model_check_fields(k, rec, 0, peek_crit, crits, &one);
        if (cases[i].bad_field ? rc == 0 || strcmp(one.field, cases[i].bad_field) : rc != 0)
            fail_msg("case %zu: check rc %d field '%s'", i, rc, one.field);
        json_decref(rec);
    }
    json_decref(crits);
    model_free(m);
    static const struct refusal bad[] = {
        {"\"readonly\":true,", "", "kinds.asmt.compute.level"},
        {"\"otherwise\":\"good\"", "\"otherwise\":\"fine\"", "kinds.asmt.compute.level.otherwise"},
        {"\"crit.weight\":", "\"crit.nope\":", "kinds.asmt.compute.level.cases.0.any.crit.nope"},
        {"{\"value\":\"part\"", "{\"value\":\"half\"", "kinds.asmt.compute.level.cases.1.value"},
        {"\"res\":[\"no\"]}}]", "\"res\":[\"maybe\"]}}]", "kinds.asmt.compute.level.cases.1.any.res"},
        {"\"equals\":\"stage\"", "\"equals\":\"level\"", "kinds.asmt.checks[0].field"},
    };
    expect_refused(COMPUTE, bad, sizeof bad / sizeof bad[0]);
}

/* A project whose totals are sums of its years' amounts. */
static const char SUMS[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],\"kinds\":{"
    "\"prj\":{\"label\":" L ",\"collection\":\"c\",\"named\":true,\"fields\":["
    "{\"name\":\"years\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"object\","
    "\"fields\":[{\"name\":\"year\",\"type\":\"integer\",\"label\":" L "},"
    "{\"name\":\"plan\",\"type\":\"decimal\",\"label\":" L "},"
    "{\"name\":\"note\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"price\",\"type\":\"decimal\",\"label\":" L "}]}},"
    "{\"name\":\"total\",\"type\":\"decimal\",\"readonly\":true,\"label\":" L "},"
    "{\"name\":\"years_sum\",\"type\":\"decimal\",\"readonly\":true,\"label\":" L "},"
    "{\"name\":\"cost\",\"type\":\"decimal\",\"readonly\":true,\"label\":" L "}],"
    "\"compute\":{\"total\":{\"over\":\"years\",\"sum\":\"plan\"},"
    "\"years_sum\":{\"over\":\"years\",\"sum\":\"year\"},"
    "\"cost\":{\"over\":\"years\",\"sum\":\"plan\",\"times\":[\"price\",\"year\"]}}}},"
    "\"collections\":{\"c\":{\"label\":" L ",\"type\":\"records\"}}}";

/* A computed sum (issue 17: a project's planned and spent totals): exact
 * in millionths, canonical, none without amounts or beyond 18 digits;
 * refused on a field or sub-field that is not a number. */
static void test_compute_sum(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    struct model *m = load_text(SUMS, &e);
    if (!m)
        fail_msg("%s", e.detail);
    const struct model_kind *k = model_kind(m, "prj");
    assert_int_equal(k->n_computes, 3);
    /* each item's product (plan × price × year), rounded to millionths:
     * an item without one of its numbers adds nothing; too big: none */
    static const struct {
        const char *years, *cost;
    } products[] = {
        {"[{\"year\":2,\"plan\":\"1.5\",\"price\":\"0.000001\"},{\"year\":1,\"plan\":\"3\"}]", "0.000003"},
        {"[{\"year\":1,\"plan\":\"0.5\",\"price\":\"0.000001\"}]", "0.000001"},
        {"[{\"year\":3,\"plan\":\"-2.5\",\"price\":\"4\"},{\"year\":1,\"plan\":\"100\",\"price\":\"0.25\"}]", "-5"},
        {"[{\"year\":1000,\"plan\":\"999999999999999999\",\"price\":\"999999999999999999\"}]", NULL},
        {"[{\"year\":1,\"plan\":\"5\"}]", NULL},
    };
    for (size_t i = 0; i < sizeof products / sizeof products[0]; i++) {
        json_t *rec = json_pack("{s:o}", "years", json_loads(products[i].years, 0, NULL));
        json_t *v = model_compute_json(&k->computes[2], rec, NULL, NULL);
        if (products[i].cost ? !json_is_string(v) || strcmp(json_string_value(v), products[i].cost)
                             : v != NULL)
            fail_msg("product %zu: %s", i, json_is_string(v) ? json_string_value(v) : "(none)");
        json_decref(v);
        json_decref(rec);
    }
    static const struct {
        const char *years, *total, *years_sum;
    } cases[] = {
        {"[]", NULL, NULL},
        {"[{\"year\":2025}]", NULL, "2025"},
        {"[{\"year\":2025,\"plan\":\"1000.5\"},{\"year\":2026,\"plan\":\"2000\"}]", "3000.5", "4051"},
        {"[{\"plan\":\"0.1\"},{\"plan\":\"0.2\"},{\"plan\":\"0.000001\"}]", "0.300001", NULL},
        {"[{\"plan\":\"5\"},{\"plan\":\"-7.25\"}]", "-2.25", NULL},
        {"[{\"plan\":\"1.5\"},{\"plan\":\"-1.5\"}]", "0", NULL},
        {"[{\"plan\":\"999999999999999999\"}]", "999999999999999999", NULL},
        {"[{\"plan\":\"999999999999999999\"},{\"plan\":\"1\"}]", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rec = json_pack("{s:o}", "years", json_loads(cases[i].years, 0, NULL));
        for (size_t c = 0; c < 2; c++) {
            const char *want = c == 0 ? cases[i].total : cases[i].years_sum;
            json_t *v = model_compute_json(&k->computes[c], rec, NULL, NULL);
            if (want ? !json_is_string(v) || strcmp(json_string_value(v), want) : v != NULL)
                fail_msg("case %zu, %s: %s", i, k->computes[c].field,
                         json_is_string(v) ? json_string_value(v) : "(none)");
            json_decref(v);
        }
        json_decref(rec);
    }
    model_free(m);
    static const struct refusal bad[] = {
        {"\"sum\":\"plan\"", "\"sum\":\"note\"", "kinds.prj.compute.total.sum: 'note' is not a number"},
        {"\"sum\":\"plan\"", "\"sum\":\"nothing\"", "kinds.prj.compute.total.sum"},
        {"\"over\":\"years\",\"sum\":\"plan\"", "\"over\":\"total\",\"sum\":\"plan\"",
         "kinds.prj.compute.total.over: 'total' is not a list of objects"},
        {"\"sum\":\"plan\"}", "\"sum\":\"plan\",\"otherwise\":\"x\"}", "kinds.prj.compute.total: a sum has no cases"},
        {"\"readonly\":true,\"label\":" L "},{\"name\":\"years_sum\"", "\"label\":" L "},{\"name\":\"years_sum\"",
         "kinds.prj.compute.total: 'total' is not a read-only decimal field"},
        {"[\"price\",\"year\"]", "[\"note\"]", "kinds.prj.compute.cost.times[0]: 'note' is not a number there"},
        {"[\"price\",\"year\"]", "[]", "kinds.prj.compute.cost.times: must list 1 to 4 numbers"},
        {"[\"price\",\"year\"]", "[\"price.rate\"]", "kinds.prj.compute.cost.times[0]: 'price.rate' is not a number there"},
    };
    expect_refused(SUMS, bad, sizeof bad / sizeof bad[0]);
}

/* A subject and a type that inherits the subject's (or a base type's)
 * attributes through `base`. */
static const char INHERIT[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],\"kinds\":{"
    "\"subject\":{\"label\":" L ",\"collection\":\"data\",\"named\":true,\"fields\":["
    "{\"name\":\"attrs\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"string\"}}]},"
    "\"type\":{\"label\":" L ",\"collection\":\"data\",\"named\":true,"
    "\"inherits\":{\"via\":\"base\",\"fields\":[\"attrs\"]},\"fields\":["
    "{\"name\":\"base\",\"type\":\"ref\",\"label\":" L ",\"to\":[\"subject\",\"type\"]},"
    "{\"name\":\"attrs\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"string\"}},"
    "{\"name\":\"note\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"nums\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"integer\"}},"
    "{\"name\":\"bases\",\"type\":\"list\",\"label\":" L
    ",\"item\":{\"type\":\"ref\",\"to\":[\"subject\"]}},"
    "{\"name\":\"secret\",\"type\":\"list\",\"label\":" L
    ",\"restricted\":true,\"item\":{\"type\":\"string\"}}]}},"
    "\"collections\":{\"data\":{\"label\":" L ",\"type\":\"records\"}}}";

/* REQ: ARC-06 — the loader takes "inherits" and refuses what cannot work. */
static void test_inherits_loader(void **state)
{
    struct err e = ERR_INIT;
    struct model *m = load_text(INHERIT, &e);
    if (!m)
        fail_msg("inherit model: %s", e.detail);
    const struct model_kind *t = model_kind(m, "type");
    assert_string_equal(t->inherit_via, "base");
    assert_int_equal(t->n_inherit_fields, 1);
    assert_true(model_kind_inherits(t, "attrs"));
    assert_false(model_kind_inherits(t, "note"));
    assert_null(model_kind(m, "subject")->inherit_via);
    json_t *inh = json_object_get(json_object_get(json_object_get(model_json(m), "kinds"), "type"),
                                  "inherits");
    assert_string_equal(json_string_value(json_object_get(inh, "via")), "base");
    model_free(m);
    static const struct broken cases[] = {
        {"kinds.type.inherits.via", "\"nothing\"",
         "kinds.type.inherits.via: 'nothing' is not a ref field of the kind"},
        {"kinds.type.inherits.via", "\"note\"",
         "kinds.type.inherits.via: 'note' is not a ref field of the kind"},
        {"kinds.type.inherits.via", "\"bases\"",
         "kinds.type.inherits.via: 'bases' is not a ref field of the kind"},
        {"kinds.type.inherits.via", NULL, "kinds.type.inherits.via: missing"},
        {"kinds.type.inherits.fields", "[]", "kinds.type.inherits.fields: must be a non-empty"},
        {"kinds.type.inherits.fields", NULL, "kinds.type.inherits.fields: missing"},
        {"kinds.type.inherits.fields", "[\"note\"]",
         "kinds.type.inherits.fields[0]: 'note' is not a list field of the kind"},
        {"kinds.type.inherits.fields", "[\"attrs\",\"attrs\"]",
         "kinds.type.inherits.fields[1]: 'attrs' listed twice"},
        {"kinds.type.inherits.fields", "[\"secret\"]",
         "kinds.type.inherits.fields[0]: 'secret' is restricted"},
        {"kinds.type.inherits.fields", "[\"nums\"]",
         "kinds.type.inherits.via: kind 'subject' it refers to has no list field 'nums'"},
        {"kinds.subject.fields[0].item.type", "\"integer\"",
         "kinds.type.inherits.via: kind 'subject' it refers to has no list field 'attrs'"},
        {"kinds.type.inherits.colour", "1", "kinds.type.inherits.colour: unknown key"},
        {"kinds.type.inherits", "[]", "kinds.type.inherits: must be an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = mutate_text(INHERIT, cases[i].path, cases[i].value);
        struct err e2 = ERR_INIT;
        struct model *bad_m = load_text(text, &e2);
        if (bad_m || strstr(e2.detail, cases[i].expect) != e2.detail)
            fail_msg("case %zu (%s): got \"%s\", want \"%s...\"", i, cases[i].path,
                     bad_m ? "(loaded)" : e2.detail, cases[i].expect);
        model_free(bad_m);
        free(text);
    }
}

/* A domain-like kind whose view walks every kind of step (issue 15). */
static const char VIEWS[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"]," "\"kinds\":{\"org\":{\"label\":" L
    ",\"collection\":\"c\",\"named\":true},\"area\":{\"label\":" L
    ",\"collection\":\"c\",\"named\":true,\"fields\":[{\"name\":\"dirs\","
    "\"type\":\"list\",\"label\":" L
    ",\"item\":{\"type\":\"string\"}},{\"name\":\"secret\",\"type\":\"string\"," "\"label\":" L
    ",\"restricted\":true}],\"views\":{\"arch\":{\"label\":" L
    ",\"fields\":[\"dirs\"],\"sections\":[{\"name\":\"bodies\",\"label\":" L
    ",\"path\":[{\"relation\":\"joins\",\"direction\":\"in\"}]},{\"name\":\"funcs\","
    "\"label\":" L ",\"path\":[{\"referenced_by\":\"area\",\"kinds\":[\"func\"]}]},"
    "{\"name\":\"svcs\",\"label\":" L
    ",\"from\":[\"funcs\"],\"path\":[{\"referenced_by\":\"func\","
    "\"kinds\":[\"svc\"]}]},{\"name\":\"systems\",\"label\":" L
    ",\"from\":[\"funcs\",\"svcs\"],\"path\":[{\"relation\":\"automates\","
    "\"direction\":\"in\"}]},{\"name\":\"back\",\"label\":" L
    ",\"from\":[\"svcs\"],\"path\":[{\"ref\":\"func\"},{\"ref\":\"area\"}]}],"
    "\"diagrams\":[{\"name\":\"auto\",\"label\":" L
    ",\"sections\":[\"systems\",\"funcs\",\"svcs\"],\"relations\":[\"automates\"],"
    "\"refs\":[\"func\"]}]}}},\"func\":{\"label\":" L
    ",\"collection\":\"c\",\"named\":true,\"fields\":[{\"name\":\"area\","
    "\"type\":\"ref\",\"label\":" L ",\"to\":[\"area\"]}]},\"svc\":{\"label\":" L
    ",\"collection\":\"c\",\"named\":true,\"fields\":[{\"name\":\"func\","
    "\"type\":\"ref\",\"label\":" L
    ",\"to\":[\"func\"]},{\"name\":\"note\",\"type\":\"string\",\"label\":" L
    "},{\"name\":\"about\",\"type\":\"i18n\",\"label\":" L "}]},\"sys\":{\"label\":" L
    ",\"collection\":\"c\",\"named\":true}},\"relations\":{\"joins\":{\"label\":" L
    ",\"inverse\":\"joined_by\",\"inverse_label\":" L
    ",\"source\":[\"org\"],\"target\":[\"area\"]},\"automates\":{\"label\":" L
    ",\"inverse\":\"automated_by\",\"inverse_label\":" L
    ",\"source\":[\"sys\"],\"target\":[\"func\",\"svc\"]}},"
    "\"collections\":{\"c\":{\"label\":" L
    ",\"type\":\"records\",\"columns\":[\"note\",\"dirs\"],\"menu\":true},"
    "\"relations\":{\"label\":" L ",\"type\":\"relations\"}}}";

/* The loader takes a kind's "views" and follows each path through the
 * kinds it reaches: a step that can never match fails with its path. */
static void test_views_loader(void **state)
{
    struct err e = ERR_INIT;
    struct model *m = load_text(VIEWS, &e);
    if (!m)
        fail_msg("views model: %s", e.detail);
    const struct model_kind *area = model_kind(m, "area");
    const struct model_view *v = model_view(area, "arch");
    assert_non_null(v);
    assert_null(model_view(area, "other"));
    assert_null(model_view(model_kind(m, "func"), "arch"));
    assert_int_equal(v->n_sections, 5);
    assert_int_equal(v->n_fields, 1);
    const struct model_view_section *sys = model_view_section(v, "systems");
    assert_int_equal(sys->n_from, 2);
    assert_int_equal(sys->path.steps[0].type, STEP_RELATION);
    assert_false(sys->path.steps[0].out);
    assert_int_equal(model_view_section(v, "funcs")->path.steps[0].type, STEP_REFERENCED_BY);
    assert_int_equal(model_view_section(v, "back")->path.steps[1].type, STEP_REF);
    assert_int_equal(v->n_diagrams, 1);
    assert_int_equal(v->diagrams[0].n_refs, 1);
    const struct model_collection *c = model_collection(m, "c");
    assert_true(c->menu);
    assert_int_equal(c->n_columns, 2);
    json_t *jv = json_object_get(
        json_object_get(json_object_get(json_object_get(model_json(m), "kinds"), "area"), "views"),
        "arch");
    assert_int_equal(json_array_size(json_object_get(jv, "sections")), 5);
    model_free(m);
#define S "kinds.area.views.arch.sections"
    static const struct broken cases[] = {
        {S "[1].path[0].referenced_by", "\"nothing\"",
         S "[1].path[0].kinds[0]: kind 'func' has no ref field 'nothing'"},
        {S "[1].path[0].kinds", "[\"ghost\"]", S "[1].path[0].kinds[0]: unknown record kind 'ghost'"},
        {S "[1].path[0].kinds", "[\"joins\"]", S "[1].path[0].kinds[0]: unknown record kind 'joins'"},
        {S "[1].path[0].kinds", "[\"svc\"]", S "[1].path[0].kinds[0]: kind 'svc' has no ref field 'area'"},
        {S "[2].path[0].kinds", "[\"func\"]",
         S "[2].path[0].kinds[0]: kind 'func' has no ref field 'func'"},
        {S "[2].from", "[\"bodies\"]", S "[2].path[0].kinds[0]: 'svc.func' refers to no kind reached here"},
        {S "[1].path[0].kinds", NULL, S "[1].path[0].kinds: missing"},
        {S "[0].path[0].relation", "\"ghost\"", S "[0].path[0].relation: unknown relation type 'ghost'"},
        {S "[0].path[0].relation", "\"func\"", S "[0].path[0].relation: unknown relation type 'func'"},
        {S "[0].path[0].direction", "\"out\"", S "[0].path[0].relation: 'joins' starts at no kind reached here"},
        {S "[0].path[0].direction", "\"up\"", S "[0].path[0].direction: must be 'out' or 'in'"},
        {S "[0].path[0].direction", NULL, S "[0].path[0].direction: missing"},
        {S "[3].from", "[\"systems\"]", S "[3].from[0]: 'systems' is not a section before this one"},
        {S "[3].from", "[\"later\"]", S "[3].from[0]: 'later' is not a section before this one"},
        {S "[3].from", "[]", S "[3].from: must be a non-empty array"},
        {S "[4].path[1].ref", "\"nothing\"", S "[4].path[1].ref: no kind reached here has a ref field 'nothing'"},
        {S "[4].path[0].ref", "\"area\"", S "[4].path[0].ref: no kind reached here has a ref field 'area'"},
        {S "[0].path[0].ref", "\"area\"", S "[0].path[0]: a step has exactly one of"},
        {S "[0].path[0]", "{}", S "[0].path[0]: a step has exactly one of"},
        {S "[0].path[0]", "\"area\"", S "[0].path[0]: must be an object"},
        {S "[0].path[0].kinds", "[\"func\"]", S "[0].path[0].kinds: only a 'referenced_by' step has kinds"},
        {S "[4].path[0].direction", "\"in\"", S "[4].path[0].direction: only a 'relation' step has"},
        {S "[0].path", "[]", S "[0].path: must have 1 to 8 steps"},
        {S "[0].path[0].repeat", "true", S "[0].path[0].repeat: only a ref or referenced_by step repeats"},
        {S "[4].path[0].repeat", "\"yes\"", S "[4].path[0].repeat: must be"},
        {S "[0].path", NULL, S "[0].path: missing"},
        {S "[0].name", "\"funcs\"", S "[1].name: section 'funcs' twice in the view"},
        {S "[0].name", "\"Bodies\"", S "[0].name: 'Bodies' must match"},
        {S "[0].label", NULL, S "[0].label: missing"},
        {S "[0].colour", "1", S "[0].colour: unknown key"},
        {S, "[]", S ": must have 1 to 32 sections"},
        {"kinds.area.views.arch.fields", "[\"ghost\"]",
         "kinds.area.views.arch.fields[0]: 'ghost' is not a field of the kind"},
        {"kinds.area.views.arch.fields", "[\"secret\"]",
         "kinds.area.views.arch.fields[0]: 'secret' is not a field of the kind (restricted"},
        {"kinds.area.views.arch.diagrams[0].sections", "[\"ghost\"]",
         "kinds.area.views.arch.diagrams[0].sections[0]: 'ghost' is not a section of the view"},
        {"kinds.area.views.arch.diagrams[0].sections", "[\"systems\"]",
         "kinds.area.views.arch.diagrams[0].relations[0]: 'automates' joins no two kinds"},
        {"kinds.area.views.arch.diagrams[0].relations", "[\"ghost\"]",
         "kinds.area.views.arch.diagrams[0].relations[0]: unknown relation type 'ghost'"},
        {"kinds.area.views.arch.diagrams[0].refs", "[\"dirs\"]",
         "kinds.area.views.arch.diagrams[0].refs[0]: no kind of the diagram's sections has a ref"},
        {"kinds.area.views.arch.diagrams[0]",
         "{\"name\":\"x\",\"label\":" L ",\"sections\":[\"funcs\"],\"refs\":[]}",
         "kinds.area.views.arch.diagrams[0]: a diagram draws some"},
        {"kinds.area.views.arch.diagrams[0].name", "\"Auto\"",
         "kinds.area.views.arch.diagrams[0].name: 'Auto' must match"},
        {"kinds.area.views.arch.label", NULL, "kinds.area.views.arch.label: missing"},
        {"kinds.area.views.Arch", "{}", "kinds.area.views.Arch: 'Arch' must match"},
        {"kinds.area.views", "[]", "kinds.area.views: must be an object"},
        {"kinds.area.views.arch.sections[0]", "1", S "[0]: must be an object"},
        {"collections.c.columns", "[\"ghost\"]", "collections.c.columns[0]: 'ghost' is not a field"},
        {"collections.c.columns", "[\"about\"]", "collections.c.columns[0]: 'about' is not a field"},
        {"collections.c.columns", "[\"secret\"]", "collections.c.columns[0]: 'secret' is not a field"},
        {"collections.c.columns", "[]", "collections.c.columns: must be a non-empty array"},
        {"collections.c.columns", "[\"func\"]", "collections.c.columns[0]: 'func' is not a field"},
        {"collections.c.menu", "\"yes\"", "collections.c.menu: must be"},
    };
#undef S
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = mutate_text(VIEWS, cases[i].path, cases[i].value);
        struct err e2 = ERR_INIT;
        struct model *bad_m = load_text(text, &e2);
        if (bad_m || strstr(e2.detail, cases[i].expect) != e2.detail)
            fail_msg("case %zu (%s): got \"%s\", want \"%s...\"", i, cases[i].path,
                     bad_m ? "(loaded)" : e2.detail, cases[i].expect);
        model_free(bad_m);
        free(text);
    }
    /* a view's step may repeat, as a measure's (one loader of a path) */
    char *text = mutate_text(VIEWS, "kinds.area.views.arch.sections[4].path[0].repeat", "true");
    m = load_text(text, &e);
    free(text);
    if (!m)
        fail_msg("views model with repeat: %s", e.detail);
    const struct model_view_section *back = model_view_section(model_view(model_kind(m, "area"), "arch"), "back");
    assert_true(back->path.steps[0].repeat);
    assert_false(back->path.steps[1].repeat);
    json_t *path = json_object_get(
        json_array_get(json_object_get(json_object_get(json_object_get(json_object_get(json_object_get(
                                                          model_json(m), "kinds"), "area"), "views"), "arch"), "sections"), 4),
        "path");
    assert_true(json_is_true(json_object_get(json_array_get(path, 0), "repeat")));
    model_free(m);
}

/* The same with object items named by "name", each with one "src". */
static const char INHERIT_KEYED[] =
    "{\"version\":1,\"languages\":[\"kk\",\"ru\",\"en\"],\"kinds\":{"
    "\"subject\":{\"label\":" L ",\"collection\":\"data\",\"named\":true,\"fields\":["
    "{\"name\":\"attrs\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"object\","
    "\"fields\":[{\"name\":\"name\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"src\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"num\",\"type\":\"integer\",\"label\":" L "}]}}]},"
    "\"type\":{\"label\":" L ",\"collection\":\"data\",\"named\":true,"
    "\"inherits\":{\"via\":\"base\",\"fields\":[\"attrs\"],\"key\":\"name\","
    "\"fixed\":[\"src\"]},\"fields\":["
    "{\"name\":\"base\",\"type\":\"ref\",\"label\":" L ",\"to\":[\"subject\",\"type\"]},"
    "{\"name\":\"attrs\",\"type\":\"list\",\"label\":" L ",\"item\":{\"type\":\"object\","
    "\"fields\":[{\"name\":\"name\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"src\",\"type\":\"string\",\"label\":" L "},"
    "{\"name\":\"num\",\"type\":\"integer\",\"label\":" L "}]}}]}},"
    "\"collections\":{\"data\":{\"label\":" L ",\"type\":\"records\"}}}";

/* REQ: ARC-06 — "key" and "fixed" of "inherits" (one storage source per
 * attribute) name sub-fields of the inherited items. */
static void test_inherits_key_loader(void **state)
{
    (void)state;
    struct err e = ERR_INIT;
    struct model *m = load_text(INHERIT_KEYED, &e);
    if (!m)
        fail_msg("keyed inherit model: %s", e.detail);
    const struct model_kind *t = model_kind(m, "type");
    assert_string_equal(t->inherit_key, "name");
    assert_int_equal(t->n_inherit_fixed, 1);
    assert_string_equal(t->inherit_fixed[0], "src");
    json_t *inh = json_object_get(json_object_get(json_object_get(model_json(m), "kinds"), "type"),
                                  "inherits");
    assert_string_equal(json_string_value(json_object_get(inh, "key")), "name");
    model_free(m);
    static const struct broken cases[] = {
        {"kinds.type.inherits.key", "\"nope\"",
         "kinds.type.inherits.key: 'nope' is not a string sub-field of every inherited"},
        {"kinds.type.inherits.key", "\"num\"",
         "kinds.type.inherits.key: 'num' is not a string sub-field of every inherited"},
        {"kinds.type.inherits.key", "1", "kinds.type.inherits.key: must be a string"},
        {"kinds.type.inherits.key", NULL, "kinds.type.inherits.fixed: needs \"key\""},
        {"kinds.type.inherits.fixed", "[]", "kinds.type.inherits.fixed: must be a non-empty"},
        {"kinds.type.inherits.fixed", NULL, "kinds.type.inherits.fixed: must be a non-empty"},
        {"kinds.type.inherits.fixed", "[\"name\"]",
         "kinds.type.inherits.fixed[0]: 'name' is not a sub-field of every inherited field's "
         "items other than the key"},
        {"kinds.type.inherits.fixed", "[\"src\",\"zzz\"]",
         "kinds.type.inherits.fixed[1]: 'zzz' is not a sub-field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = mutate_text(INHERIT_KEYED, cases[i].path, cases[i].value);
        struct err e2 = ERR_INIT;
        struct model *bad_m = load_text(text, &e2);
        if (bad_m || strstr(e2.detail, cases[i].expect) != e2.detail)
            fail_msg("case %zu (%s): got \"%s\", want \"%s...\"", i, cases[i].path,
                     bad_m ? "(loaded)" : e2.detail, cases[i].expect);
        model_free(bad_m);
        free(text);
    }
    /* on string items there is no sub-field to name */
    char *text = mutate_text(INHERIT, "kinds.type.inherits.key", "\"name\"");
    assert_null(load_text(text, &e));
    assert_non_null(strstr(e.detail, "kinds.type.inherits.key: 'name' is not a string sub-field"));
    free(text);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = calloc(1, 1 << 22);
    size_t n = fread(text, 1, (1 << 22) - 1, f);
    fclose(f);
    assert_true(n > 0);
    return text;
}

#define WF "workflows.registration."
#define IS "kinds.information_system."
static const struct broken BROKEN_WORKFLOWS[] = {
    {WF "states.draft.initial", "false", "workflows.registration.states: exactly one state must be initial (0 are)"},
    {WF "states.submitted.initial", "true", "workflows.registration.states: exactly one state must be initial (2 are)"},
    {WF "transitions.submit.to", "\"limbo\"", "workflows.registration.transitions.submit.to: 'limbo' is not a state"},
    {WF "transitions.submit.from", "[\"draft\",\"gone\"]", "workflows.registration.transitions.submit.from[1]: not a state"},
    {WF "transitions.submit.trigger", "\"approve\"", "workflows.registration.transitions.submit.trigger: 'approve' is not"},
    {WF "transitions.accept.remarks", "true", "workflows.registration.transitions.accept.remarks: only a return takes remarks"},
    {WF "transitions.return.assign_code", "true", "workflows.registration.transitions.return.assign_code: state 'returned' holds no code"},
    {WF "transitions.submit.opens", "[{\"policy\":\"nope\",\"debtor\":\"owner\"}]", "workflows.registration.transitions.submit.opens[0].policy: unknown policy 'nope'"},
    {WF "transitions.submit.opens", "[{\"policy\":\"verification\",\"debtor\":\"boss\"}]", "workflows.registration.transitions.submit.opens[0].debtor: must be"},
    {WF "transitions.submit.closes", "[\"nope\"]", "workflows.registration.transitions.submit.closes[0]: not a policy"},
    {WF "transitions.resubmit", "{\"label\":" L ",\"trigger\":\"submit\",\"from\":[\"returned\"],\"to\":\"submitted\"}", "both apply to submit from 'returned'"},
    {WF "code_pattern", "\"{prefix}-{year}\"", "workflows.registration.code_pattern: needs a {seq:N}"},
    {WF "code_pattern", "\"{prefix}-{month}-{seq:4}\"", "workflows.registration.code_pattern: unknown placeholder '{month}'"},
    {WF "code_pattern", "\"{prefix-{seq:4}\"", "workflows.registration.code_pattern: unknown placeholder"},
    {WF "status_field", NULL, "workflows.registration.status_field: missing"},
    /* an agreement's keys (REQ ARC-16): codes optional, both or neither;
     * who takes a step; the date it stamps */
    {WF "code_pattern", NULL, "workflows.registration.code_pattern: code_field and code_pattern go together"},
    {WF "code_field", NULL, "workflows.registration.code_field: code_field and code_pattern go together"},
    {"workflows.icp_agreement.states.agreed.coded", "true", "workflows.icp_agreement.states.agreed: a coded state needs the workflow's code_field"},
    {"workflows.icp_agreement.transitions.agree_authority.by", "\"approver\"", "workflows.icp_agreement.transitions.agree_authority.by: must be an array"},
    {"workflows.icp_agreement.transitions.agree_authority.by", "[]", "workflows.icp_agreement.transitions.agree_authority.by: must be a non-empty array"},
    {"workflows.icp_agreement.transitions.agree_authority.stamp", "\"version\"", "kinds.icp_component.workflow: its workflow needs a read-only date field 'version'"},
    {"workflows.icp_agreement.transitions.agree_authority.stamp", "\"approved_on\"", "kinds.icp_component.workflow: its workflow needs a read-only date field 'approved_on'"},
    {IS "workflow", "\"approval\"", "kinds.information_system.workflow: unknown workflow 'approval'"},
    {IS "code_prefix", "\"is\"", "kinds.information_system.code_prefix: needed by the code pattern"},
    {IS "code_prefix", NULL, "kinds.information_system.code_prefix: needed by the code pattern"},
    {"kinds.organization.workflow", "\"registration\"", "kinds.organization.workflow: only owned kinds"},
    {"kinds.organization.code_prefix", "\"OR\"", "kinds.organization.code_prefix: only a kind with a workflow"},
    {IS "include", "[\"object_common\"]", "kinds.information_system.workflow: its workflow needs a read-only enum field 'status'"},
    {"enums.record_status.values[3].id", "\"done\"", "the values of enum 'record_status' must be the states"},
    {"field_sets.object_common[12].needed", "{\"stage\":[\"someday\"]}", "'someday' is not a value of 'lifecycle_stage'"},
    {"field_sets.object_common[12].needed", "{\"purpose\":[\"x\"]}", "'purpose' is not an enum or boolean field"},
    {"field_sets.object_common[12].needed", "{\"stage\":[\"creation\"],\"source_code_transferred\":[\"maybe\"]}", "'maybe' is not a value of 'true/false'"},
    {"field_sets.object_common[12].needed", "{}", "must be {\"<field>\": [values]"},
    {"field_sets.object_common[12].needed", "\"yes\"", "field_sets.object_common[12].needed: must be true, false or"},
};

/* REQ: REG-03 */
/* Each case, applied to the real model, is refused naming its fault. */
static void check_broken_real(const struct broken *cases, size_t n)
{
    char *real = slurp(getenv("AP_MODEL") ? getenv("AP_MODEL") : MODEL_PATH);
    for (size_t i = 0; i < n; i++) {
        const struct broken *b = &cases[i];
        char *text = mutate_text(real, b->path, b->value);
        struct err e = ERR_INIT;
        struct model *m = load_text(text, &e);
        if (m || !strstr(e.detail, b->expect))
            fail_msg("case %zu (%s): got \"%s\", want \"...%s...\"", i, b->path,
                     m ? "(loaded)" : e.detail, b->expect);
        free(text);
    }
    free(real);
}

#define MS "measures.digitisation."
#define DM "kinds.domain.measures."
static const struct broken BROKEN_MEASURES[] = {
    {MS "items", "\"nothing\"", "kinds.domain.measures.digitisation[0]: no kind the path reaches has the field 'nothing'"},
    {MS "items", "\"description\"", "kinds.domain.measures.digitisation[0]: 'description' of kind 'data_subject' is not a list of objects with a ref 'source'"},
    {MS "done.ref", "\"name\"", "'attributes' of kind 'data_subject' is not a list of objects with a ref 'name'"},
    {MS "done.when", "{\"stage\":[\"flying\"]}", "measures.digitisation.done.when.stage[0]: 'flying' is not a value of 'lifecycle_stage'"},
    {MS "done.when", NULL, "measures.digitisation.done.when: missing"},
    {MS "colour", "1", "measures.digitisation.colour: unknown key"},
    {MS "label", NULL, "measures.digitisation.label"},
    {DM "speed", "[[]]", "kinds.domain.measures.speed: 'speed' is not a measure of the \"measures\" section"},
    {DM "digitisation", "[]", "kinds.domain.measures.digitisation: must be a non-empty array of paths"},
    {DM "digitisation", "[{}]", "kinds.domain.measures.digitisation[0]: must be an array of steps"},
    {DM "digitisation", "[[]]", "kinds.domain.measures.digitisation[0]: no kind the path reaches has the field 'attributes'"},
    {DM "digitisation", "[[{\"ref\":\"nope\"}]]", "kinds.domain.measures.digitisation[0][0].ref: no kind reached here has a ref field 'nope'"},
    {DM "digitisation", "[[{\"ref\":\"a\",\"relation\":\"accesses\"}]]", "kinds.domain.measures.digitisation[0][0]: a step has exactly one of 'ref', 'referenced_by', 'relation'"},
    {DM "digitisation", "[[{\"relation\":\"accesses\",\"direction\":\"out\"}]]", "kinds.domain.measures.digitisation[0][0].relation: 'accesses' starts at no kind reached here"},
    {DM "digitisation", "[[{\"relation\":\"nope\",\"direction\":\"out\"}]]", "kinds.domain.measures.digitisation[0][0].relation: unknown relation type 'nope'"},
    {"kinds.state_function.measures.digitisation", "[[{\"relation\":\"accesses\",\"direction\":\"up\"}]]", "kinds.state_function.measures.digitisation[0][0].direction: must be 'out' or 'in'"},
    {"kinds.state_function.measures.digitisation", "[[{\"relation\":\"accesses\",\"direction\":\"out\",\"repeat\":true}]]", "kinds.state_function.measures.digitisation[0][0].repeat: only a ref or referenced_by step repeats"},
    {DM "digitisation", "[[{\"referenced_by\":\"domain\",\"kinds\":[\"reference_data\"]}]]", "kinds.domain.measures.digitisation[0][0].kinds[0]: kind 'reference_data' has no ref field 'domain'"},
    {DM "digitisation", "[[{\"referenced_by\":\"domain\"}]]", "kinds.domain.measures.digitisation[0][0].kinds: missing"},
    {DM "digitisation", "[[{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"},{\"ref\":\"x\"}]]", "kinds.domain.measures.digitisation[0]: must have 0 to 8 steps"},
    {"kinds.domain.measures", "[]", "kinds.domain.measures: must be an object"},
};

/* REQ: ARC-06 — measures and the kinds' paths to what they measure. */
static void test_broken_measures(void **state)
{
    (void)state;
    check_broken_real(BROKEN_MEASURES, sizeof BROKEN_MEASURES / sizeof BROKEN_MEASURES[0]);
    /* the shipped model's: a type over its chain of bases */
    char *real = slurp(MODEL_PATH);
    struct err e = ERR_INIT;
    struct model *m = load_text(real, &e);
    free(real);
    assert_non_null(m);
    const struct model_kind_measure *km =
        model_kind_measure(model_kind(m, "data_type"), "digitisation");
    assert_non_null(km);
    assert_int_equal(km->n_paths, 2);
    assert_int_equal(km->paths[1].steps[0].type, STEP_REF);
    assert_true(km->paths[1].steps[0].repeat);
    assert_null(model_kind_measure(model_kind(m, "organization"), "digitisation"));
    model_free(m);
}

/* The scores section (issue 17's risk level): a kind that is owned, an
 * enum for the scale, each factor worked out one way from fields of the
 * right types, thresholds in date order with a level for each step, or the
 * model does not load (with the path of the fault). */
#define SC "scores.project_risk."
#define F0 SC "factors[0]."
static const struct broken BROKEN_SCORES[] = {
    {SC "kind", "\"organization\"", SC "kind: kind 'organization' is not owned"},
    {SC "kind", "\"nothing\"", SC "kind: no record kind 'nothing'"},
    {SC "kind", "\"automates\"", SC "kind: no record kind 'automates'"},
    {SC "scale", "\"nothing\"", SC "scale: no enum 'nothing'"},
    {SC "factors", "[]", SC "factors: needs at least one factor"},
    {SC "colour", "1", SC "colour: unknown key"},
    {F0 "days_late.due", "\"stage\"", F0 "days_late.due: 'stage' is not a date sub-field of 'stages'"},
    {F0 "days_late.items", "\"goals\"", F0 "days_late.due: 'goals' is not a list of objects of kind 'ict_project'"},
    {F0 "days_late.done", "[\"today\", \"actual_end\"]", F0 "days_late.done[0]: 'today' can only come last"},
    {F0 "excess", "{\"items\": \"budget\", \"actual\": \"actual\", \"planned\": \"planned\"}",
     "has both 'days_late' and 'excess'"},
    {F0 "days_late", NULL, "needs one of days_late, excess, overdue, latest, shortfall"},
    {F0 "thresholds[0].at", "[1, 30, 90]", F0 "thresholds[0].at: must be an array of 4 increasing numbers"},
    {F0 "thresholds[0].at", "[1, 30, 20, 180]", F0 "thresholds[0].at[2]: must be a number above the one before"},
    {F0 "thresholds[0].from", "\"2025-13-01\"", F0 "thresholds[0].from: '2025-13-01' is not a date"},
    {F0 "thresholds", "[]", F0 "thresholds: needs at least one entry"},
    {F0 "when", "{\"stage\": [\"later\"]}", F0 "when"},
    {F0 "unit", "\"hours\"", F0 "unit: unknown unit 'hours'"},
    {SC "factors[1].id", "\"schedule\"", SC "factors[1].id: factor 'schedule' comes twice"},
    {SC "factors[1].overdue.policies[0]", "\"nothing\"", SC "factors[1].overdue.policies[0]: no policy 'nothing'"},
    {SC "factors[1].overdue.path", "[{\"relation\": \"depends_on\", \"direction\": \"out\"}]",
     SC "factors[1].overdue.path: a factor's path is one step"},
    {SC "factors[1].overdue.path", "[]", SC "factors[1].overdue.path: must have 1 to 8 steps"},
    {SC "factors[2].excess.actual", "\"stage\"", SC "factors[2].excess.actual: 'stage' is not a number sub-field of 'budget'"},
    {SC "factors[3].shortfall.target", "\"unit\"", SC "factors[3].shortfall.target: 'unit' is not a number field of kind 'indicator'"},
    {SC "factors[3].shortfall.actual.field", "\"period\"", SC "factors[3].shortfall.actual.field: 'period' is not a number sub-field of 'actual'"},
    {SC "factors[4].latest.field", "\"remarks\"", SC "factors[4].latest.field: 'remarks' is not an enum field of kind 'compliance_assessment'"},
    {SC "factors[4].latest.order", "\"stage\"", SC "factors[4].latest.order: 'stage' is not a date field"},
    {SC "factors[4].thresholds[0].at.fully_complies", "9", SC "factors[4].thresholds[0].at.fully_complies: must be a level 1..5"},
    {SC "factors[4].thresholds[0].at.fully_complies", NULL, SC "factors[4].thresholds[0].at: must give a level to each value of enum 'compliance_level'"},
    {SC "factors[4].unit", "\"days\"", SC "factors[4].unit: a factor of enum values has no unit"},
};

/* The rules' findings (architectural supervision, MON-09): an owned kind
 * with a ref field for the record and a string field for the rule. */
#define RF "rule_report.findings."
static const struct broken BROKEN_FINDINGS[] = {
    {RF "kind", "\"organization\"", RF "kind: 'organization' is not an owned record kind"},
    {RF "kind", "\"automates\"", RF "kind: 'automates' is not an owned record kind"},
    {RF "about", "\"rule\"", RF "about: 'rule' is not a ref field of 'discrepancy'"},
    {RF "about", "\"status\"", RF "about: 'status' is not a ref field of 'discrepancy'"},
    {RF "rule", "\"about\"", RF "rule: 'about' is not a string field of 'discrepancy'"},
    {RF "colour", "1", RF "colour: unknown key"},
};

/* A locked state may name the roles that still edit in it (LC-05: the
 * integrator's evaluation, the authorized body's conclusion); only a
 * locked one. */
#define AQ "workflows.acquisition_approval.states."
static const struct broken BROKEN_EDIT_BY[] = {
    {AQ "draft.edit_by", "[\"approver\"]", AQ "draft.edit_by: only a locked state names the roles"},
    {AQ "with_integrator.edit_by", "[]", AQ "with_integrator.edit_by: must be a non-empty array"},
    {AQ "with_integrator.edit_by", "\"approver\"", AQ "with_integrator.edit_by: must be a non-empty array"},
};

/* A kind's tally (the period report, MON-06): a read-only list of objects
 * for the figures, its sub-field naming the owner, a read-only timestamp,
 * required dates for the period, a condition on the kind's own enums, and
 * columns each filling a sub-field of the right type one way from what
 * they count. */
#define TL "kinds.implementation_report.tally."
static const struct broken BROKEN_TALLY[] = {
    {TL "into", "\"summary\"", TL "into: 'summary' is not a read-only list of objects"},
    {TL "by", "\"projects\"", TL "by: 'projects' is not a sub-field naming an owner"},
    {TL "at", "\"period_end\"", TL "at: 'period_end' is not a read-only timestamp field of kind 'implementation_report'"},
    {TL "period.to", "\"summary\"", TL "period.to: 'summary' is not a required date field of kind 'implementation_report'"},
    {TL "while", "{\"status\": [\"later\"]}", TL "while"},
    {TL "colour", "1", TL "colour: unknown key"},
    {TL "columns", "[]", TL "columns: a tally has columns"},
    {TL "columns[0].count.kinds[0]", "\"organization\"", TL "columns[0].count.kinds[0]: 'organization' is not an owned record kind"},
    {TL "columns[1].sum.field", "\"stage\"", TL "columns[1].sum.field: 'stage' is not a decimal field of kind 'ict_project'"},
    {TL "columns[3].count.dated", "\"stage\"", TL "columns[3].count.dated: 'stage' is not a date field of kind 'compliance_assessment'"},
    {TL "columns[9].overdue.policies[0]", "\"nothing\"", TL "columns[9].overdue.policies[0]: no policy 'nothing'"},
    {TL "columns[11].score.from", "9", TL "columns[11].score.from: a level of the score's scale, 1 to 5"},
    {TL "columns[12].score.factor", "\"colour\"", TL "columns[12].score.factor: score 'project_risk' has no factor 'colour'"},
    {TL "columns[10].percent.over", "\"budget_planned\"", TL "columns[10].percent.over: 'budget_planned' is not a column of counts before this one"},
    {TL "columns[0].field", "\"budget_planned\"", TL "columns[0].field: 'budget_planned' is not an integer sub-field of the items"},
    {TL "columns[2].field", "\"budget_planned\"", TL "columns[2].field: 'budget_planned' is filled twice"},
    {TL "columns[0].sum", "{\"kinds\": [\"ict_project\"], \"field\": \"budget_planned\"}", TL "columns[0]: a column says one of count, sum, overdue, score and percent"},
    {"kinds.compliance_assessment.compute.component_conclusions.by", "\"criterion\"",
     "kinds.compliance_assessment.compute.component_conclusions.by: 'criterion' is not a sub-field of both 'answers' and 'component_conclusions' of one type"},
    {"kinds.compliance_assessment.compute.component_conclusions.value", "\"component\"",
     "kinds.compliance_assessment.compute.component_conclusions.value: 'component' is not an enum sub-field of 'component_conclusions'"},
    {"kinds.compliance_assessment.compute.component_conclusions.over", "\"stage\"",
     "kinds.compliance_assessment.compute.component_conclusions.over: 'stage' is not a list of objects of 'compliance_assessment'"},
    {"kinds.compliance_assessment.compute.conclusion.by", "\"component\"",
     "kinds.compliance_assessment.compute.conclusion: 'conclusion' is not a read-only list of objects of 'compliance_assessment'"},
    {"kinds.compliance_assessment.compute.component_conclusions.otherwise", "\"never\"",
     "kinds.compliance_assessment.compute.component_conclusions.otherwise: 'never' is not a value of 'component_conclusions'"},
    {"kinds.acquisition_request.fields[14].written_by", "[\"approver\"]", "kinds.acquisition_request.fields[14].written_by: a read-only field is written by none"},
    {"kinds.acquisition_request.fields[11].written_by", "[]", "kinds.acquisition_request.fields[11].written_by: must be a non-empty array"},
    {"kinds.capability.archimate.type", "\"Widget\"", "kinds.capability.archimate.type: 'Widget' is not an ArchiMate 3.1 element type"},
    {"kinds.capability.archimate.folder", "\"attic\"", "kinds.capability.archimate.folder: no folder 'attic'"},
    {"kinds.capability.archimate.domain", "\"description\"", "kinds.capability.archimate.domain: 'description' is not a ref field of 'capability'"},
    {"kinds.capability.archimate.colour", "1", "kinds.capability.archimate.colour: unknown key"},
    {"relations.groups.archimate.type", "\"Hug\"", "relations.groups.archimate.type: 'Hug' is not an ArchiMate 3.1 relationship type"},
    {"relations.automates.archimate.access", "{\"field\": \"automation_level\", \"values\": {}}", "relations.automates.archimate.access: only an Access has an access type"},
    {"relations.accesses.archimate.access.values.read", "\"Peek\"", "relations.accesses.archimate.access.values.read: must be one of Access, Read, Write, ReadWrite"},
    {"archimate.scope.view", "\"nothing\"", "archimate.scope.view: kind 'domain' has no view 'nothing'"},
    {"duplicates.control[0].kind", "\"nothing\"", "duplicates.control[0].kind: 'nothing' is not a record kind"},
    {"duplicates.control[0].via[1]", "\"stage\"", "duplicates.control[0].via[1]: 'stage' is not a ref field of kind 'ict_project'"},
    {"duplicates.control[0].via", "[\"project\"]", "duplicates.control[0].via: reaches none of the duplicates' kinds"},
    {"duplicates.control[0].colour", "1", "duplicates.control[0].colour: unknown key"},
    {"kinds.implementation_report.checks[0].before", "\"tomorrow\"", "kinds.implementation_report.checks[0]: 'tomorrow' is not a field of the same type as 'period_end' there"},
    {"kinds.implementation_report.checks[0].after", "\"today\"", "kinds.implementation_report.checks[0]: a check says one of not_before, not_after, before, after and equals"},
};

static void test_broken_scores_and_findings(void **state)
{
    (void)state;
    check_broken_real(BROKEN_TALLY, sizeof BROKEN_TALLY / sizeof BROKEN_TALLY[0]);
    check_broken_real(BROKEN_EDIT_BY, sizeof BROKEN_EDIT_BY / sizeof BROKEN_EDIT_BY[0]);
    const struct model_workflow *aw = NULL;
    for (size_t i = 0; i < model_n_workflows(g_real); i++)
        if (strcmp(model_workflow_at(g_real, i)->id, "acquisition_approval") == 0)
            aw = model_workflow_at(g_real, i);
    assert_non_null(aw);
    const struct model_wf_state *wi = model_wf_state(aw, "with_integrator");
    assert_true(wi->locked);
    assert_int_equal(wi->n_edit_by, 1);
    assert_string_equal(wi->edit_by[0], "integrator-architect");
    check_broken_real(BROKEN_FINDINGS, sizeof BROKEN_FINDINGS / sizeof BROKEN_FINDINGS[0]);
    const struct model_findings *fd = model_rule_findings(g_real);
    assert_non_null(fd);
    assert_string_equal(fd->kind->id, "discrepancy");
    check_broken_real(BROKEN_SCORES, sizeof BROKEN_SCORES / sizeof BROKEN_SCORES[0]);
    /* the shipped risk level: five factors, each with thresholds from a
     * day; a second entry takes over from its day on */
    char *real = slurp(MODEL_PATH);
    char *text = mutate_text(real, SC "factors[0].thresholds",
                             "[{\"from\": \"2025-01-08\", \"at\": [1, 30, 90, 180]},"
                             " {\"from\": \"2027-01-01\", \"at\": [10, 60, 120, 240]}]");
    free(real);
    struct err e = ERR_INIT;
    struct model *m = load_text(text, &e);
    free(text);
    assert_non_null(m);
    const struct model_score *s = model_score(m, "project_risk");
    assert_non_null(s);
    assert_int_equal(s->n_factors, 5);
    assert_string_equal(s->kind->id, "ict_project");
    assert_int_equal(s->scale->n_values, 5);
    const struct model_score_factor *f = &s->factors[0];
    assert_int_equal(f->op, SCORE_DAYS_LATE);
    assert_true(f->done_today);
    assert_int_equal(f->n_done, 2);
    assert_null(model_score_thresholds_on(f, time_days_from_civil(2025, 1, 7)));
    assert_true(model_score_thresholds_on(f, time_days_from_civil(2026, 12, 31))->at[0] == 1);
    assert_true(model_score_thresholds_on(f, time_days_from_civil(2027, 1, 1))->at[0] == 10);
    assert_int_equal(s->factors[4].op, SCORE_LATEST);
    assert_string_equal(s->factors[4].field_enum->id, "compliance_level");
    assert_null(model_score(m, "nothing"));
    model_free(m);
}

/* REQ: ARC-13 — the duplicates section names real kinds, relation types
 * out of them and conditions on their attributes, or the model does not
 * load (with the path of the fault). */
#define DU "duplicates."
static const struct broken BROKEN_DUPS[] = {
    {DU "kinds[0]", "\"organization\"",
     "duplicates.kinds[0]: 'organization' is not an owned record kind"},
    {DU "kinds[1]", "\"nothing\"", "duplicates.kinds[1]: 'nothing' is not an owned record kind"},
    {DU "kinds[2]", "\"automates\"",
     "duplicates.kinds[2]: 'automates' is not an owned record kind"},
    {DU "kinds", "[]", "duplicates.kinds"},
    {DU "shared", "[]", "duplicates.shared: lists no relation type"},
    {DU "shared[0].relation", "\"journey_step\"",
     "duplicates.shared[0].relation: 'journey_step' is not a relation type out of the duplicates' "
     "kinds"},
    {DU "shared[0].relation", "\"nothing\"",
     "duplicates.shared[0].relation: 'nothing' is not a relation type"},
    {DU "shared[1].when", "{\"access\":[\"delete\"]}",
     "duplicates.shared[1].when.access[0]: 'delete' is not a value of 'data_access'"},
    {DU "shared[1].when", "{\"colour\":[\"red\"]}", "duplicates.shared[1].when"},
    {DU "shared[1].why", "1", "duplicates.shared[1].why: unknown key"},
    {DU "text.threshold", "0.3", "duplicates.text.threshold: must be a number from 0.5 to 1"},
    {DU "text.threshold", "1.5", "duplicates.text.threshold: must be a number from 0.5 to 1"},
    {DU "text.threshold", "\"high\"", "duplicates.text.threshold: must be a number from 0.5 to 1"},
    {DU "text.fields", "[\"name\"]", "duplicates.text.fields: unknown key"},
    {DU "colour", "1", "duplicates.colour: unknown key"},
};

/* REQ: SVC-02 — the register's kinds beside the compared ones: record
 * kinds kept in collections of their own. */
static const struct broken BROKEN_DUPS_REGISTER[] = {
    {DU "register.kinds[0]", "\"information_system\"",
     "duplicates.register.kinds[0]: 'information_system' is kept in collection 'objects' with the "
     "compared kind 'information_system'"},
    {DU "register.kinds[0]", "\"nothing\"",
     "duplicates.register.kinds[0]: 'nothing' is not a record kind"},
    {DU "register.kinds[0]", "\"automates\"",
     "duplicates.register.kinds[0]: 'automates' is not a record kind"},
    {DU "register.kinds", "[]", "duplicates.register.kinds"},
    {DU "register.colour", "1", "duplicates.register.colour: unknown key"},
};

static void test_broken_duplicates(void **state)
{
    (void)state;
    check_broken_real(BROKEN_DUPS, sizeof BROKEN_DUPS / sizeof BROKEN_DUPS[0]);
    check_broken_real(BROKEN_DUPS_REGISTER,
                      sizeof BROKEN_DUPS_REGISTER / sizeof BROKEN_DUPS_REGISTER[0]);
    /* the shipped model's */
    const struct model_duplicates *d = model_duplicates(g_real);
    assert_non_null(d);
    assert_true(model_dup_kind(d, "information_system"));
    assert_false(model_dup_kind(d, "organization"));
    assert_int_equal(d->n_shared, 2);
    assert_string_equal(d->shared[1].relation->id, "accesses");
    assert_int_equal(d->shared[1].when.n_terms, 1);
    assert_true(d->threshold >= 0.5 && d->threshold <= 1);
}

/* A kind's import (issue 16 item 2): its columns are fields of the kind a
 * cell can fill, named by headers no other column has, and its key a
 * filterable string column, or the model does not load (with the path). */
#define IM "kinds.trusted_product.import."
static const struct broken BROKEN_IMPORT[] = {
    {IM "key", "\"nothing\"", IM "key: 'nothing' is not one of the columns"},
    {IM "key", "\"product_type\"",
     IM "key: the key 'product_type' must be a filterable string field"},
    {IM "key", NULL, IM "key: missing"},
    {IM "columns", "{}", IM "columns: names no column"},
    {IM "columns.colour", "[\"Цвет\"]",
     IM "columns.colour: 'colour' is not a field of kind 'trusted_product'"},
    {IM "columns.functionality", "[\"Функции\"]",
     IM "columns.functionality: the i18n field 'functionality' takes a language"},
    {IM "columns.vendor", "[]", IM "columns.vendor: must be a non-empty array of header names"},
    {IM "columns.vendor", "[\"  \"]", IM "columns.vendor[0]: must be a non-blank string"},
    {IM "columns.vendor", "[\"Vendor\", \" REGISTER number \"]",
     IM "columns.vendor[1]: the header ' REGISTER number ' already names column "
        "'register_number'"},
    {IM "colour", "1", IM "colour: unknown key"},
    {"kinds.trusted_product.import", "[]", "kinds.trusted_product.import: must be an object"},
};

/* REQ: SVC-02 — the register of trusted software's import as the shipped
 * model declares it; broken import declarations are refused. */
static void test_import_declaration(void **state)
{
    (void)state;
    check_broken_real(BROKEN_IMPORT, sizeof BROKEN_IMPORT / sizeof BROKEN_IMPORT[0]);
    const struct model_kind *k = model_kind(g_real, "trusted_product");
    assert_non_null(k);
    assert_non_null(k->import);
    assert_string_equal(k->import->key->field, "register_number");
    assert_string_equal(k->collection, "trusted_register");
    assert_false(k->owned);
    struct arena *a = arena_new();
    const struct model_import_column *c =
        model_import_column(k->import, model_import_fold(a, "  НОМЕР В РЕЕСТРЕ "));
    assert_ptr_equal(c, k->import->key);
    c = model_import_column(k->import, model_import_fold(a, "Атауы"));
    assert_non_null(c);
    assert_string_equal(c->field, "name");
    assert_string_equal(c->lang, "kk");
    c = model_import_column(k->import, model_import_fold(a, "Functionality (ru)"));
    assert_non_null(c);
    assert_string_equal(c->target, "functionality.ru");
    assert_null(model_import_column(k->import, model_import_fold(a, "Примечание")));
    arena_free(a);
    /* its entries are offered beside similar objects, never compared */
    const struct model_duplicates *d = model_duplicates(g_real);
    assert_int_equal(d->n_register, 1);
    assert_ptr_equal(d->register_kinds[0], k);
    assert_false(model_dup_kind(d, "trusted_product"));
    /* the ground of an object built or bought outside the register */
    const struct model_field *g = model_field(model_kind(g_real, "information_system"),
                                              "trusted_ground");
    assert_non_null(g);
    assert_int_equal(g->type, FT_ENUM);
    assert_non_null(model_kind(g_real, "uses_trusted_product"));
}

static void test_broken_workflows(void **state)
{
    check_broken_real(BROKEN_WORKFLOWS, sizeof BROKEN_WORKFLOWS / sizeof BROKEN_WORKFLOWS[0]);
}

/* Issue 15 (lane capmap): a collection's "map" and "matrices" name the
 * model's own fields and relation types; the loader refuses what cannot be
 * drawn, naming the fault. */
#define MAP "collections.capabilities.map."
#define MX "collections.capabilities.matrices[0]."
static const struct broken BROKEN_MAPS[] = {
    {MAP "parent", "\"domain\"", MAP "parent: 'domain' is not a ref field of kind 'capability' to its own kind only"},
    {MAP "parent", NULL, MAP "parent: missing"},
    {MAP "groups", "\"nothing\"", MAP "groups: 'nothing' is not a relation type"},
    {MAP "groups", "\"automates\"", MAP "groups: relation type 'automates' does not start at kind 'capability'"},
    {MAP "systems", "\"supports\"", MAP "systems: relation type 'supports' does not lead into kind 'state_function', which 'groups' groups"},
    {MAP "filter", "\"description\"", MAP "filter: 'description' is not a ref field of kind 'capability'"},
    {MAP "stages", "[]", MAP "stages: must be a non-empty array"},
    {MAP "stages[0].values", "[\"flying\"]", MAP "stages[0].values[0]: 'flying' is not a stage of kind 'information_system'"},
    {MAP "stages[1].id", "\"operation\"", MAP "stages[1].id: stage group 'operation' listed twice"},
    {MAP "stages[0].label", NULL, MAP "stages[0].label: missing"},
    {MAP "colour", "1", MAP "colour: unknown key"},
    {MX "direction", "\"up\"", MX "direction: must be 'out' or 'in'"},
    {MX "relation", "\"automates\"", MX "relation: relation type 'automates' does not start at kind 'capability'"},
    {MX "column", "\"description\"", MX "column: 'description' is not 'owner' of an owned kind or a ref field of kind 'state_function'"},
    {MX "cell", "\"nothing\"", MX "cell: 'nothing' is not an enum attribute of 'groups'"},
    {MX "id", "\"Bodies\"", MX "id: 'Bodies' must match"},
    {"collections.functions.matrices[0].subtree", "true", "collections.functions.matrices[0].subtree: the collection has no map"},
    {"collections.functions.matrices[0].filter", "\"legal_basis\"", "collections.functions.matrices[0].filter: 'legal_basis' is not a ref field of kind 'state_function'"},
    {"collections.relations.map", "{}", "collections.relations: only a records collection has a map or matrices"},
    {"collections.capabilities.matrices", "{}", "collections.capabilities.matrices: must be an array"},
};

/* The shipped model's map and matrices load as declared; the broken ones
 * are refused. */
static void test_maps_loader(void **state)
{
    (void)state;
    char *real = slurp(getenv("AP_MODEL") ? getenv("AP_MODEL") : MODEL_PATH);
    struct err e = ERR_INIT;
    struct model *m = load_text(real, &e);
    free(real);
    if (!m)
        fail_msg("shipped model: %s", e.detail);
    const struct model_collection *c = model_collection(m, "capabilities");
    assert_non_null(c->map);
    assert_string_equal(c->map->parent, "parent");
    assert_string_equal(c->map->groups, "groups");
    assert_true(c->map->n_stages >= 1);
    assert_int_equal(c->n_matrices, 1);
    assert_true(c->matrices[0].subtree && c->matrices[0].out);
    const struct model_collection *f = model_collection(m, "functions");
    assert_null(f->map);
    assert_string_equal(f->matrices[0].cell, "automation_level");
    assert_false(f->matrices[0].out);
    const json_t *doc = json_object_get(json_object_get(model_json(m), "collections"), "capabilities");
    assert_non_null(json_object_get(doc, "map"));
    model_free(m);
    check_broken_real(BROKEN_MAPS, sizeof BROKEN_MAPS / sizeof BROKEN_MAPS[0]);
}

#define DL "document_lists.object_documents."
static const struct broken BROKEN_DOC_LISTS[] = {
    {DL "types.contract.number", "11", "document_lists.object_documents.types.contract.number: 11 is also the number of 'technical_specification'"},
    {DL "types.contract.number", "0", "document_lists.object_documents.types.contract.number: must be an integer 1..999"},
    {DL "types.contract.number", NULL, "document_lists.object_documents.types.contract.number: must be an integer"},
    {DL "types.contract.due", "{\"stage\":[\"someday\"]}", "document_lists.object_documents.types.contract.due.stage[0]: 'someday' is not a value of 'lifecycle_stage'"},
    {DL "types.contract.due", "{\"purpose\":[\"x\"]}", "'purpose' is not an enum field of 'state_information_resource'"},
    {DL "types.contract.due", "\"always\"", "document_lists.object_documents.types.contract.due: must be true, false or"},
    {DL "types.contract.color", "1", "document_lists.object_documents.types.contract.color: unknown key"},
    {DL "types.Contract", "{}", "document_lists.object_documents.types.Contract"},
    {DL "types", "{}", "document_lists.object_documents.types: must name at least one document type"},
    {DL "label", NULL, "document_lists.object_documents.label"},
    {IS "documents", "\"nope\"", "kinds.information_system.documents: unknown document list 'nope'"},
    {"relations.runs_on.required_for.kinds", "[\"organization\"]", "relations.runs_on.required_for.kinds[0]: 'organization' is not a source kind of 'runs_on'"},
    {"relations.runs_on.required_for.kinds", "[\"nope\"]", "relations.runs_on.required_for.kinds[0]: not a record kind"},
    {"relations.runs_on.required_for.kinds", "[]", "relations.runs_on.required_for.kinds: must name at least one kind"},
    {"relations.runs_on.required_for.when", "{\"stage\":[\"later\"]}", "relations.runs_on.required_for.when.stage[0]: 'later' is not a value of 'lifecycle_stage'"},
    {"relations.runs_on.required_for.often", "1", "relations.runs_on.required_for.often: unknown key"},
    {WF "stage_policy", NULL, "workflows.registration.stage_policy: stage_field and stage_policy go together"},
    {WF "stage_policy", "\"nope\"", "workflows.registration.stage_policy: unknown policy 'nope'"},
    {WF "stage_field", "\"purpose\"", "kinds.state_information_resource.workflow: its workflow needs an enum field 'purpose' (the stage)"},
    {WF "stage_dates.industrial_operation", "\"purpose\"", "kinds.state_information_resource.workflow: its workflow needs a date field 'purpose' (when stage 'industrial_operation' began)"},
    {WF "stage_dates.someday", "\"commissioning_date\"", "its workflow dates stage 'someday', which is not a value of 'stage'"},
    {WF "stage_dates.termination", "1", "workflows.registration.stage_dates.termination: must be the name of a date field"},
    {WF "stage_moves.creation", "[\"someday\"]", "its workflow moves to stage 'someday', not a value of 'stage'"},
    {WF "stage_moves.creation", "\"pilot_operation\"", "workflows.registration.stage_moves.creation: must be an array of values"},
    {"rules", "[]", "rules: must be an object"},
    {"policies", "[]", "policies: must be an object"},
    {"document_lists", "[]", "document_lists: must be an object"},
    {"workflows", "[]", "workflows: must be an object"},
    {"kinds.platform_software_product.inclusion", "[]", "kinds.platform_software_product.inclusion: must be an object"},
    {"rules.first_class_placement.severity", "\"fatal\"", "rules.first_class_placement.severity: must be \"error\" or \"warning\""},
    {"rules.system_runs_on_infrastructure.relations[0].type", "\"nope\"", "rules.system_runs_on_infrastructure.relations[0].type: unknown relation type 'nope'"},
    {"rules.system_runs_on_infrastructure.relations[0].type", "\"information_system\"", "rules.system_runs_on_infrastructure.relations[0].type: unknown relation type 'information_system'"},
    {"rules.system_runs_on_infrastructure.relations[0].type", NULL, "rules.system_runs_on_infrastructure.relations[0].type"},
    {"rules.system_runs_on_infrastructure.relations[0].direction", "\"up\"", "rules.system_runs_on_infrastructure.relations[0].direction: must be \"out\" or \"in\""},
    {"rules.system_runs_on_infrastructure.relations[0].direction", "\"in\"", "rules.system_runs_on_infrastructure.relations[0].type: kind 'information_system' cannot be the target of 'runs_on'"},
    {"rules.system_runs_on_infrastructure.kinds", "[\"ict_service\"]", "rules.system_runs_on_infrastructure.relations[0].type: kind 'ict_service' cannot be the source of 'runs_on'"},
    {"rules.system_runs_on_infrastructure.relations[0].min", "0", "rules.system_runs_on_infrastructure.relations[0].min: must be an integer from 1 to 1000"},
    {"rules.system_runs_on_infrastructure.relations[0].min", "\"1\"", "rules.system_runs_on_infrastructure.relations[0].min: must be an integer from 1 to 1000"},
    {"rules.system_runs_on_infrastructure.relations[0].often", "1", "rules.system_runs_on_infrastructure.relations[0].often: unknown key"},
    {"rules.system_runs_on_infrastructure.relations", "[]", "rules.system_runs_on_infrastructure.relations: must be a non-empty array"},
    {"rules.system_runs_on_infrastructure.relations", NULL, "rules.system_runs_on_infrastructure.require: is required (or \"relations\", \"any_of\" or \"items\")"},
#define SST "rules.service_system_terminated."
#define CHC "rules.capability_has_content."
#define PHO "rules.process_has_owner."
#define AHS "rules.attribute_has_source."
    {"rules.first_class_placement.layer", "\"moon\"", "rules.first_class_placement.layer: must be \"activity\", \"data\", \"systems\" or \"infrastructure\""},
    {"rules.first_class_placement.layer", NULL, "rules.first_class_placement.layer"},
    {SST "relations[0].where", "{\"stage\":[\"later\"]}", SST "relations[0].where.stage[0]: 'later' is not a value of 'lifecycle_stage'"},
    {SST "relations[0].where", "{\"purpose\":[\"x\"]}", SST "relations[0].where: 'purpose' is not an enum or boolean field of 'information_system'"},
    {SST "relations[0].where", "[]", SST "relations[0].where: must be {"},
    {SST "relations[0].max", "-1", SST "relations[0].max: must be an integer from 0 to 1000"},
    {SST "relations[0].min", "2", SST "relations[0].max: must not be less than \"min\""},
    {CHC "any_of[0].referenced_by", "\"domain\"", CHC "any_of[0].referenced_by: 'domain' of 'capability' cannot name kind 'capability'"},
    {CHC "any_of[0].referenced_by", "\"description\"", CHC "any_of[0].referenced_by: 'description' is not a ref field of 'capability'"},
    {CHC "any_of[0].kinds", "[\"nope\"]", CHC "any_of[0].kinds[0]: not a record kind"},
    {CHC "any_of[0].kinds", NULL, CHC "any_of[0].kinds"},
    {CHC "any_of[0].direction", "\"out\"", CHC "any_of[0].direction: only a relation has a direction"},
    {CHC "any_of[1].kinds", "[\"capability\"]", CHC "any_of[1].kinds: only \"referenced_by\" takes kinds"},
    {CHC "any_of[0].type", "\"groups\"", CHC "any_of[0]: one of \"type\", \"referenced_by\", \"ref\" or \"measure\", not several"},
    {CHC "any_of[1].type", "\"supports\"", CHC "any_of[1].type: kind 'capability' cannot be the source of 'supports'"},
    {CHC "any_of", "[]", CHC "any_of: must be a non-empty array"},
    {CHC "any_of", NULL, CHC "require: is required"},
    {PHO "relations[0].ref", "\"as_is\"", PHO "relations[0].ref: 'as_is' is not a ref field of 'business_process'"},
    {PHO "relations[0].where", "{\"org_type\":[\"moon\"]}", PHO "relations[0].where.org_type[0]: 'moon' is not a value of 'org_type'"},
    {PHO "relations[0].where", "{\"stage\":[\"creation\"]}", PHO "relations[0].where: 'stage' is not an enum or boolean field of 'organization'"},
    {PHO "relations[0].colour", "1", PHO "relations[0].colour: unknown key"},
    {AHS "items.field", "\"name\"", AHS "items.field: 'name' is not a list of objects of 'data_subject'"},
    {AHS "items.filled", "[\"colour\"]", AHS "items.filled[0]: 'colour' is not a field of the items of 'attributes'"},
    {AHS "items.filled", "[]", AHS "items.filled"},
    {AHS "kinds", "[\"data_subject\",\"data_object\"]", AHS "items.inherited: no kind of the rule inherits 'attributes'"},
    {AHS "items.colour", "1", AHS "items.colour: unknown key"},
    {AHS "items", "[]", AHS "items: must be an object"},
    /* triggers: kinds, events, fields, the kind made and its values */
    {"triggers[0].on", "[\"nope\"]", "triggers[0].on[0]: not a record kind"},
    {"triggers[0].events", "[\"delete\"]", "triggers[0].events[0]: must be \"create\", \"update\" or \"retire\""},
    {"triggers[0].fields", "[\"colour\"]", "triggers[0].fields[0]: 'colour' is not a field of 'organization'"},
    {"triggers[0].make", "\"runs_on\"", "triggers[0].make: 'runs_on' is not a record kind"},
    {"triggers[0].set.about", "\"$colour\"", "triggers[0].set.about: '$colour' names no field of what the trigger writes or reads"},
    {"triggers[0].set.about", "\"$item.criterion\"", "triggers[0].set.about: '$item.criterion' names no field"},
    {"triggers[0].when", "{\"org_type\":[\"moon\"]}", "triggers[0].when.org_type[0]: 'moon' is not a value of 'org_type'"},
    {"triggers[0].each", "{\"items\":\"name\"}", "triggers[0].each.items: 'name' is not a list of objects of every kind"},
    {"triggers[0].set.colour", "\"red\"", "triggers[0].set.colour: 'colour' is not a field of 'revision_item'"},
    {"triggers[0].set.reason", "1", "triggers[0].set.reason: must be a string"},
    {"triggers[0].events", "[\"retire\"]", "triggers[0].set.about: a record made on a retirement cannot refer to the retired record"},
    {"triggers[0].unless", "{\"status\":[\"ajar\"]}", "triggers[0].unless.status[0]: 'ajar' is not a value of 'revision_status'"},
    /* the report's groupings: a record kind's view */
    {"rule_report.by[0].kind", "\"nope\"", "rule_report.by[0].kind: not a record kind"},
    {"rule_report.by[0].kind", "\"runs_on\"", "rule_report.by[0].kind: not a record kind"},
    {"rule_report.by[0].view", "\"nope\"", "rule_report.by[0].view: kind 'domain' has no view 'nope'"},
    {"rule_report.by[0].colour", "1", "rule_report.by[0].colour: unknown key"},
    {"rule_report.by", "{}", "rule_report.by: must be"},
#define MOK "rules.master_data_one_keeper.relations[0]."
#define MDD "rules.master_data_digitised.relations[0]."
    /* a relation's own attributes, the far ends' distinct field, a measure */
    {MOK "attributes", "{\"access\":[\"erase\"]}", MOK "attributes.access[0]: 'erase' is not a value of 'data_access'"},
    {MOK "attributes", "{\"colour\":[\"red\"]}", MOK "attributes: 'colour' is not an enum or boolean field of 'accesses'"},
    {MOK "distinct", "\"colour\"", MOK "distinct: 'colour' is not a field of 'state_function'"},
    {MOK "distinct", "1", MOK "distinct: must be a string"},
    {MDD "measure", "\"beauty\"", MDD "measure: no measure 'beauty' in the model"},
    {MDD "min", "101", MDD "min: a measure's level is a percentage: at most 100"},
    {MDD "where", "{\"stage\":[\"creation\"]}", MDD "where: a measure takes no \"where\""},
    {MDD "distinct", "\"owner\"", MDD "distinct: only a relation has attributes and distinct ends"},
    {MDD "type", "\"accesses\"", "master_data_digitised.relations[0]: one of \"type\", \"referenced_by\", \"ref\" or \"measure\", not several"},
    {"rules.master_data_digitised.kinds", "[\"data_type\",\"organization\"]", MDD "measure: kind 'organization' has no measure 'digitisation'"},
    {"rules.first_class_placement.require", "{\"placement\":[\"moon\"]}", "rules.first_class_placement.require.placement[0]: 'moon' is not a value of 'placement'"},
    {"rules.first_class_placement.require", NULL, "rules.first_class_placement.require: is required"},
    {"rules.first_class_placement.when", "{\"purpose\":[\"x\"]}", "'purpose' is not an enum or boolean field"},
    {"rules.flow_has_data_types.require", "{\"data_types\":[\"many\"]}", "rules.flow_has_data_types.require: 'data_types' is not an enum or boolean field of 'exchanges_data_with' (other fields take [\"present\"] or [\"absent\"], date fields [\"past\"] or [\"future\"])"},
    /* a date term names a date field */
    {"rules.service_system_terminated.relations[1].where", "{\"stage\":[\"past\"]}", "rules.service_system_terminated.relations[1].where.stage: [\"past\"] and [\"future\"] apply to a date field; 'stage' is not one of 'information_system'"},
    {"rules.service_system_terminated.relations[1].where", "{\"termination_date\":[\"soon\"]}", "'termination_date' is not an enum or boolean field of 'information_system'"},
    {"relations.exchanges_data_with.attributes[0].migrate_from", "\"nothing\"", "relations.exchanges_data_with.data_types: migrate_from: 'nothing' is not a string or text field of the kind"},
    {"relations.exchanges_data_with.attributes[1].migrate_from", "\"data_carried\"", "relations.exchanges_data_with.attributes[1].migrate_from: only a list of refs migrates"},
    {"rules.first_class_placement.kinds", "[\"nope\"]", "rules.first_class_placement.kinds[0]: not a record kind or relation type"},
    {"rules.first_class_placement.kinds", "[\"runs_on\"]", "rules.first_class_placement.when: 'class' is not an enum or boolean field of 'runs_on'"},
    {"rules.first_class_placement.kinds", "\"collection:nowhere\"", "unknown collection of records 'nowhere'"},
    {"field_sets.object_common[16].derived.from", "\"purpose\"", "'purpose' is not a date field of"},
    {"field_sets.object_common[16].derived.add_months", "0", "derived.add_months: must be an integer 1..1200"},
    {"field_sets.object_common[0].derived", "{\"from\":\"commissioning_date\",\"add_months\":1}", "only a date can be derived"},
    {"kinds.organization.documents", "\"object_documents\"", "kinds.organization.documents: only owned kinds"},
    /* the kind that owns records: one, and not itself owned */
    {"kinds.information_system.owns", "true", "kinds.information_system.owns: a kind that owns records is not itself owned"},
    {"kinds.organization.owns", "1", "kinds.organization.owns: must be"},
    /* "read": "signed-in" only, and never on the kind that owns records */
    {"kinds.domain.read", "\"everyone\"", "kinds.domain.read: unknown read 'everyone' (only 'signed-in')"},
    {"kinds.domain.read", "true", "kinds.domain.read: must be a string"},
    {"kinds.organization.read", "\"signed-in\"", "kinds.organization.read: the kind that owns records is read by everyone"},
    {"relations.runs_on.read", "\"signed-in\"", "relations.runs_on.read: unknown key"},
    /* composite items: one type per document, numbered 6.1, 6.2 */
    {DL "types.user_manual.part", "2", "document_lists.object_documents.types.admin_manual.part: 6.2 is also the number of 'user_manual'"},
    {DL "types.user_manual.part", "0", "document_lists.object_documents.types.user_manual.part: must be an integer 1..99"},
    {DL "types.user_manual.part", NULL, "document_lists.object_documents.types.user_manual.number: 6 is also the number of 'operational_documents'"},
    {DL "types.operational_documents.replaced_by", "[\"nope\"]", "document_lists.object_documents.types.operational_documents.replaced_by[0]: not a type of this list in use"},
    {DL "types.operational_documents.replaced_by", "[\"technical_working_project\"]", "document_lists.object_documents.types.operational_documents.replaced_by[0]: not a type of this list in use"},
    {DL "types.operational_documents.replaced_by", "[]", "document_lists.object_documents.types.operational_documents.replaced_by: must be a non-empty array"},
    {DL "types.operational_documents.due", "true", "document_lists.object_documents.types.operational_documents.due: a replaced type is never due"},
    /* dated entries (REQ X-POL-01) */
    {DL "types.operational_data.in_force.from", "\"2025-02-30\"", "document_lists.object_documents.types.operational_data.in_force.from: '2025-02-30' is not a date YYYY-MM-DD"},
    {DL "types.operational_data.in_force.until", "\"2024-01-01\"", "document_lists.object_documents.types.operational_data.in_force.until: must come after \"from\""},
    {DL "types.operational_data.in_force", "{}", "document_lists.object_documents.types.operational_data.in_force: needs \"from\", \"until\" or both"},
    {DL "types.operational_data.in_force.since", "\"2025-01-08\"", "document_lists.object_documents.types.operational_data.in_force.since: unknown key"},
    {DL "types.security_test_protocol.earlier[0].until", NULL, "document_lists.object_documents.types.security_test_protocol.earlier[0].until: missing"},
    {DL "types.security_test_protocol.earlier[0].label", "{\"en\":\"x\"}", "document_lists.object_documents.types.security_test_protocol.earlier[0].label"},
    {DL "types.security_test_protocol.earlier", "[]", "document_lists.object_documents.types.security_test_protocol.earlier: must list at least one earlier wording"},
    {"rules.first_class_placement.in_force", "{\"from\":\"2023-05-27\",\"until\":\"2023-05-27\"}", "rules.first_class_placement.in_force.until: must come after \"from\""},
    {"field_sets.object_common[3].needed_in_force.from", "\"08.01.2025\"", "field_sets.object_common[3].needed_in_force.from: '08.01.2025' is not a date YYYY-MM-DD"},
};

/* REQ: DOC-02 */
/* REQ: DOC-04 */
static void test_broken_doc_lists(void **state)
{
    check_broken_real(BROKEN_DOC_LISTS, sizeof BROKEN_DOC_LISTS / sizeof BROKEN_DOC_LISTS[0]);
}

/* The real lists: Appendix 1's 15 object documents and 12 product
 * documents, due by stage. REQ: DOC-02 REQ: DOC-03 REQ: DOC-04 */
static void test_real_doc_lists(void **state)
{
    const struct model_kind *is = model_kind(g_real, "information_system");
    const struct model_kind *pp = model_kind(g_real, "platform_software_product");
    assert_non_null(is->documents);
    assert_string_equal(is->documents->id, "object_documents");
    /* 15 items, 6 and 7 split into their documents, the whole kept as
     * replaced types */
    assert_int_equal(is->documents->n_types, 20);
    assert_string_equal(pp->documents->id, "product_documents");
    assert_int_equal(pp->documents->n_types, 14);
    assert_null(model_kind(g_real, "organization")->documents);
    const struct model_doc_type *act = model_doc_type(is->documents, "commissioning_act");
    const struct model_doc_type *term = model_doc_type(is->documents, "termination_document");
    const struct model_doc_type *spec = model_doc_type(is->documents, "technical_specification");
    assert_int_equal(act->number, 9);
    json_t *rec = json_pack("{s:s}", "stage", "creation");
    assert_false(model_doc_due(act, rec, TODAY));
    assert_false(model_doc_due(term, rec, TODAY));
    assert_true(model_doc_due(spec, rec, TODAY));
    json_object_set_new(rec, "stage", json_string("pilot_operation"));
    assert_true(model_doc_due(act, rec, TODAY));
    assert_false(model_doc_due(term, rec, TODAY));
    json_object_set_new(rec, "stage", json_string("termination"));
    assert_true(model_doc_due(term, rec, TODAY));
    json_object_del(rec, "stage");
    assert_false(model_doc_due(act, rec, TODAY)); /* no stage: only documents due always */
    assert_false(model_doc_due(model_doc_type(is->documents, "documentation_changes"), rec, TODAY));
    json_decref(rec);
    /* the served model carries the lists */
    assert_string_equal(model_doc_type(is->documents, "user_manual")->item, "6.1");
    assert_string_equal(model_doc_type(pp->documents, "admin_manual")->item, "5.2");
    assert_string_equal(model_doc_type(is->documents, "explanatory_note")->item, "7.3");
    assert_string_equal(act->item, "9");
    const json_t *doc = model_json(g_real);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
                         json_object_get(json_object_get(doc, "document_lists"), "object_documents"),
                         "types"), "contract"), "number")),
                     12);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(doc, "kinds"), "platform_software_product"),
                            "documents")),
                        "product_documents");
}

/* A fake count of relations for rules over relations: `n` of each type
 * out of the record, none into it; -1 stands for a store error. */
static int count_out(void *ctx, const json_t *rec, const struct model_rule_relation *q,
                     int64_t day)
{
    return q->out ? *(int *)ctx : 0;
}

/* A rule over relations: it applies by its kinds and `when`, holds with
 * at least `min` relations of its type in its direction, and its gap
 * names the relation; the served model says it. */
static void test_relation_rules(void **state)
{
    const struct model_rule *r = NULL;
    for (size_t j = 0; j < model_n_rules(g_real); j++)
        if (strcmp(model_rule_at(g_real, j)->id, "system_runs_on_infrastructure") == 0)
            r = model_rule_at(g_real, j);
    assert_non_null(r);
    assert_int_equal(r->n_relations, 1);
    assert_string_equal(r->relations[0].type, "runs_on");
    assert_true(r->relations[0].out);
    assert_int_equal(r->relations[0].min, 1);
    json_t *rec = json_pack("{s:s, s:s, s:s}", "id", "x", "kind", "information_system", "stage",
                            "industrial_operation");
    int n = 0;
    const struct model_rule_relation *broken = NULL;
    assert_true(model_rule_applies(r, rec, TODAY));
    assert_int_equal(model_rule_holds(r, rec, TODAY, count_out, &n, &broken), 0);
    assert_ptr_equal(broken, &r->relations[0]);
    json_t *gaps = model_rule_gaps(g_real, rec, true, TODAY, count_out, &n);
    json_t *gap = NULL;
    for (size_t i = 0; i < json_array_size(gaps); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(gaps, i), "rule")),
                   "system_runs_on_infrastructure") == 0)
            gap = json_array_get(gaps, i);
    assert_non_null(gap);
    assert_string_equal(json_string_value(json_object_get(gap, "relation")), "runs_on");
    assert_string_equal(json_string_value(json_object_get(gap, "direction")), "out");
    assert_string_equal(json_string_value(json_object_get(gap, "severity")), "warning");
    assert_null(json_object_get(gap, "field"));
    json_decref(gaps);
    /* a warning: not among the errors that keep a record back */
    gaps = model_rule_gaps(g_real, rec, false, TODAY, count_out, &n);
    for (size_t i = 0; i < json_array_size(gaps); i++)
        assert_string_not_equal(json_string_value(json_object_get(json_array_get(gaps, i), "rule")),
                                "system_runs_on_infrastructure");
    json_decref(gaps);
    n = 1;
    assert_int_equal(model_rule_holds(r, rec, TODAY, count_out, &n, &broken), 1);
    assert_null(broken);
    n = -1; /* the count failed: neither kept nor broken */
    assert_int_equal(model_rule_holds(r, rec, TODAY, count_out, &n, &broken), -1);
    assert_null(model_rule_gaps(g_real, rec, true, TODAY, count_out, &n));
    /* a system being created is not judged by it */
    json_object_set_new(rec, "stage", json_string("creation"));
    assert_false(model_rule_applies(r, rec, TODAY));
    json_decref(rec);
    const json_t *served = json_object_get(json_object_get(model_json(g_real), "rules"),
                                           "system_runs_on_infrastructure");
    const json_t *rel = json_array_get(json_object_get(served, "relations"), 0);
    assert_string_equal(json_string_value(json_object_get(rel, "type")), "runs_on");
    assert_string_equal(json_string_value(json_object_get(rel, "direction")), "out");
    assert_int_equal(json_integer_value(json_object_get(rel, "min")), 1);
    assert_null(json_object_get(served, "require"));
}

/* A fake count for the gap lists' requirements: per kind of requirement,
 * how many linked records keep its `where`. */
struct fake_links {
    int relation, referenced_by, ref;
};
static int count_links(void *ctx, const json_t *rec, const struct model_rule_relation *q,
                       int64_t day)
{
    const struct fake_links *f = ctx;
    return q->how == REQ_RELATION ? f->relation : q->how == REQ_REFERENCED_BY ? f->referenced_by : f->ref;
}

static const struct model_rule *rule_named(const char *id)
{
    for (size_t j = 0; j < model_n_rules(g_real); j++)
        if (strcmp(model_rule_at(g_real, j)->id, id) == 0)
            return model_rule_at(g_real, j);
    fail_msg("no rule %s", id);
    return NULL;
}

/* The remaining gap lists as rules (REQ: ARC-13): at most `max` relations
 * whose other end keeps `where`; one of `any_of`; a ref that must name a
 * live record; every item of a list, inherited ones included, with its
 * sub-fields filled; each rule names its layer. */
static void test_gap_list_rules(void **state)
{
    struct fake_links f = {0, 0, 0};
    const struct model_rule_relation *broken;
    /* a service automated by a system whose operation ended */
    const struct model_rule *term = rule_named("service_system_terminated");
    assert_string_equal(term->layer, "systems");
    assert_int_equal(term->relations[0].max, 0);
    assert_int_equal(term->relations[0].min, 0);
    assert_string_equal(term->relations[0].where.terms[0].field, "stage");
    json_t *svc = json_pack("{s:s, s:s}", "id", "s", "kind", "public_service");
    assert_int_equal(model_rule_holds(term, svc, TODAY, count_links, &f, &broken), 1);
    f.relation = 1;
    assert_int_equal(model_rule_holds(term, svc, TODAY, count_links, &f, &broken), 0);
    assert_ptr_equal(broken, &term->relations[0]);
    json_t *gaps = model_rule_gaps(g_real, svc, true, TODAY, count_links, &f);
    bool found = false;
    for (size_t i = 0; i < json_array_size(gaps); i++) {
        const json_t *g = json_array_get(gaps, i);
        if (strcmp(json_string_value(json_object_get(g, "rule")), "service_system_terminated") == 0) {
            found = true;
            assert_string_equal(json_string_value(json_object_get(g, "relation")), "automates");
            assert_string_equal(json_string_value(json_object_get(g, "direction")), "in");
            assert_string_equal(json_string_value(json_object_get(g, "layer")), "systems");
        }
    }
    assert_true(found);
    json_decref(gaps);
    json_decref(svc);
    /* a capability: a child or a function it groups, either will do */
    const struct model_rule *cap = rule_named("capability_has_content");
    assert_string_equal(cap->layer, "activity");
    assert_int_equal(cap->n_any_of, 2);
    assert_int_equal(cap->any_of[0].how, REQ_REFERENCED_BY);
    json_t *c = json_pack("{s:s, s:s}", "id", "c", "kind", "capability");
    f = (struct fake_links){0, 0, 0};
    assert_int_equal(model_rule_holds(cap, c, TODAY, count_links, &f, &broken), 0);
    assert_ptr_equal(broken, &cap->any_of[0]);
    assert_string_equal(model_rule_fix_field(cap, broken), "parent");
    f.referenced_by = 2;
    assert_int_equal(model_rule_holds(cap, c, TODAY, count_links, &f, &broken), 1);
    f = (struct fake_links){1, 0, 0};
    assert_int_equal(model_rule_holds(cap, c, TODAY, count_links, &f, &broken), 1);
    f = (struct fake_links){-1, 0, 0}; /* a failed count is not a gap */
    assert_int_equal(model_rule_holds(cap, c, TODAY, count_links, &f, &broken), -1);
    json_decref(c);
    /* a process whose owner is not the body whose process it is */
    const struct model_rule *own = rule_named("process_has_owner");
    json_t *p = json_pack("{s:s, s:s, s:s}", "id", "p", "kind", "business_process", "owner", "o");
    f = (struct fake_links){0, 0, 0};
    assert_int_equal(model_rule_holds(own, p, TODAY, count_links, &f, &broken), 0);
    assert_string_equal(model_rule_fix_field(own, broken), "owner");
    f.ref = 1;
    assert_int_equal(model_rule_holds(own, p, TODAY, count_links, &f, &broken), 1);
    json_decref(p);
    /* attributes without a source, inherited ones too */
    const struct model_rule *src = rule_named("attribute_has_source");
    assert_string_equal(src->layer, "data");
    json_t *t = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "id", "t", "kind", "data_type",
                          "attributes", "name", "ИИН", "source", "obj-1");
    assert_true(model_rule_applies(src, t, TODAY));
    assert_int_equal(model_rule_holds(src, t, TODAY, NULL, NULL, &broken), 1);
    json_object_set_new(t, "inherited",
                        json_pack("{s:[{s:s, s:[{s:s}]}]}", "attributes", "from", "b", "items",
                                  "name", "Фамилия"));
    assert_int_equal(model_rule_holds(src, t, TODAY, NULL, NULL, &broken), 0);
    assert_null(broken);
    assert_string_equal(model_rule_fix_field(src, broken), "attributes");
    json_object_del(t, "inherited");
    json_array_append_new(json_object_get(t, "attributes"), json_pack("{s:s, s:s}", "name", "x", "source", ""));
    assert_int_equal(model_rule_holds(src, t, TODAY, NULL, NULL, &broken), 0);
    json_decref(t);
    /* every rule names its layer, and the served model says it all */
    for (size_t i = 0; i < model_n_rules(g_real); i++)
        assert_true(model_rule_layer_known(model_rule_at(g_real, i)->layer));
    assert_false(model_rule_layer_known("moon"));
    const json_t *served = json_object_get(json_object_get(model_json(g_real), "rules"),
                                           "capability_has_content");
    assert_string_equal(json_string_value(json_object_get(served, "layer")), "activity");
    const json_t *alt = json_array_get(json_object_get(served, "any_of"), 0);
    assert_string_equal(json_string_value(json_object_get(alt, "referenced_by")), "parent");
    served = json_object_get(json_object_get(model_json(g_real), "rules"), "service_system_terminated");
    alt = json_array_get(json_object_get(served, "relations"), 0);
    assert_int_equal(json_integer_value(json_object_get(alt, "max")), 0);
    assert_non_null(json_object_get(json_object_get(alt, "where"), "stage"));
}

/* Dated rules: the list, the data asked for, wordings and rules in force
 * on the day a record is judged, and that day for a record awaiting a
 * decision (its submission). REQ: X-POL-01 */
static void test_dated_rules(void **state)
{
    const int64_t before = time_days_from_civil(2025, 1, 7), after = time_days_from_civil(2025, 1, 8);
    const struct model_kind *is = model_kind(g_real, "information_system");
    /* Appendix 1 item 15 (Order 611/НҚ): in the list, and its data needed, from 08.01.2025 */
    const struct model_doc_type *item15 = model_doc_type(is->documents, "operational_data");
    assert_false(model_in_force(&item15->in_force, before));
    assert_true(model_in_force(&item15->in_force, after));
    assert_true(model_in_force(&model_doc_type(is->documents, "contract")->in_force, before));
    json_t *rec = json_pack("{s:s, s:s}", "kind", "information_system", "stage", "industrial_operation");
    json_t *now = model_gaps(is, rec, after), *then = model_gaps(is, rec, before);
    bool installations_now = false, installations_then = false;
    size_t i;
    json_t *g;
    json_array_foreach (now, i, g)
        installations_now |= strcmp(json_string_value(json_object_get(g, "field")), "installations") == 0;
    json_array_foreach (then, i, g)
        installations_then |= strcmp(json_string_value(json_object_get(g, "field")), "installations") == 0;
    assert_true(installations_now);
    assert_false(installations_then);
    assert_int_equal(model_needed_count(is, rec, after), model_needed_count(is, rec, before) + 4);
    json_decref(now);
    json_decref(then);
    /* wordings: the ICT service of software provision, item 2 of Appendix 1 */
    const struct model_enum *st = model_enum(g_real, "ict_service_type");
    assert_string_equal(model_enum_label(st, "software_provision", before)->en, "Provision of software");
    assert_string_equal(model_enum_label(st, "software_provision", after)->en,
                        "Provision of software and/or platform software products");
    assert_string_equal(model_enum_label(st, "software_provision", INT64_MAX)->en,
                        "Provision of software and/or platform software products");
    assert_null(model_enum_label(st, "nothing", after));
    const struct model_doc_type *p2 = model_doc_type(is->documents, "security_test_protocol");
    assert_non_null(strstr(model_wording_on(&p2->label, p2->earlier, p2->n_earlier, before)->en, "test act"));
    assert_ptr_equal(model_wording_on(&p2->label, p2->earlier, p2->n_earlier, after), &p2->label);
    /* the day of judgement: a submitted (locked) record by its submission */
    const int64_t now_ms = 1796000000000LL; /* 2026-11-30 */
    json_object_set_new(rec, "status", json_string("submitted"));
    json_object_set_new(rec, "updated_at", json_string("2025-01-06T10:00:00.000Z"));
    assert_true(model_judging_ms(is, rec, now_ms) == 1736157600000LL);
    json_object_set_new(rec, "status", json_string("draft"));
    assert_true(model_judging_ms(is, rec, now_ms) == now_ms);
    json_object_set_new(rec, "status", json_string("registered"));
    assert_true(model_judging_ms(is, rec, now_ms) == now_ms);
    json_decref(rec);
    /* a rule with a date takes effect on it */
    char *real = slurp(getenv("AP_MODEL") ? getenv("AP_MODEL") : MODEL_PATH);
    char *text = mutate_text(real, "rules.first_class_placement.in_force", "{\"from\":\"2023-05-27\"}");
    struct err e = ERR_INIT;
    struct model *m = load_text(text, &e);
    assert_non_null(m);
    json_t *first = json_pack("{s:s, s:s, s:s}", "kind", "information_system", "class", "first",
                              "placement", "other");
    const struct model_rule *r = NULL;
    for (size_t j = 0; j < model_n_rules(m); j++)
        if (strcmp(model_rule_at(m, j)->id, "first_class_placement") == 0)
            r = model_rule_at(m, j);
    assert_non_null(r);
    assert_false(model_rule_applies(r, first, time_days_from_civil(2023, 5, 26)));
    assert_true(model_rule_applies(r, first, time_days_from_civil(2023, 5, 27)));
    json_t *gaps = model_rule_gaps(m, first, false, time_days_from_civil(2023, 5, 26), NULL, NULL);
    assert_int_equal(json_array_size(gaps), 0);
    json_decref(gaps);
    gaps = model_rule_gaps(m, first, false, time_days_from_civil(2023, 5, 27), NULL, NULL);
    assert_int_equal(json_array_size(gaps), 1);
    json_decref(gaps);
    /* the served model says when */
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
                            json_object_get(model_json(m), "rules"), "first_class_placement"),
                            "in_force"), "from")),
                        "2023-05-27");
    json_decref(first);
    model_free(m);
    free(text);
    free(real);
}

/* REQ: REG-03 */
/* REQ: REG-04 */
static void test_real_workflow(void **state)
{
    const struct model_kind *k = model_kind(g_real, "information_system");
    const struct model_workflow *w = k->workflow;
    assert_non_null(w);
    assert_string_equal(k->code_prefix, "IS");
    assert_string_equal(model_wf_initial(w)->id, "draft");
    const struct model_wf_transition *t = model_wf_find(w, WF_SUBMIT, "draft", NULL);
    assert_non_null(t);
    assert_true(t->complete);
    assert_string_equal(t->to->id, "submitted");
    assert_null(model_wf_find(w, WF_SUBMIT, "submitted", NULL));
    assert_true(model_wf_find(w, WF_ACCEPT, "submitted", NULL)->assign_code);
    assert_string_equal(model_wf_find(w, WF_UPDATE, "registered", NULL)->review, "pending");
    assert_string_equal(model_wf_find(w, WF_UPDATE, "registered", "returned")->review, "pending");
    assert_null(model_wf_find(w, WF_UPDATE, "registered", "pending"));
    assert_null(model_wf_find(w, WF_UPDATE, "draft", NULL));
    assert_string_equal(model_wf_find(w, WF_RETURN, "registered", "pending")->id, "return_change");
    assert_true(model_wf_state(w, "submitted")->locked);
    /* publication follows the state; kinds without a workflow are public */
    json_t *rec = json_pack("{s:s, s:s}", "kind", "information_system", "status", "draft");
    assert_false(model_record_published(k, rec));
    json_object_set_new(rec, "status", json_string("registered"));
    assert_true(model_record_published(k, rec));
    assert_true(model_record_published(model_kind(g_real, "organization"), rec));
    /* gaps: always-needed fields, and the stage's */
    json_t *gaps = model_gaps(k, rec, TODAY);
    assert_int_equal(json_array_size(gaps), 8);
    json_decref(gaps);
    json_object_set_new(rec, "stage", json_string("termination"));
    json_object_set_new(rec, "purpose", json_pack("{s:s}", "ru", "  "));
    gaps = model_gaps(k, rec, TODAY);
    assert_int_equal(json_array_size(gaps), 11); /* blank purpose still a gap, + 3 for the stage */
    json_decref(gaps);
    json_decref(rec);
}

static void test_broken_json(void **state)
{
    struct err e = ERR_INIT;
    assert_null(load_text("{", &e));
    assert_non_null(strstr(e.detail, "line 1"));
    assert_null(load_text("{\"version\":1,\"version\":1}", &e));
    assert_non_null(strstr(e.detail, "duplicate"));
    assert_null(load_text("[]", &e));
    assert_non_null(strstr(e.detail, "must be an object"));
    struct model *m = NULL;
    assert_int_equal(model_load_file("/nonexistent/model.json", &m, &e), -1);
    assert_null(m);
}

/* ---- validation ------------------------------------------------------------ */

/* Fake store: "org1" is an org, "thing1" a thing; nothing else exists. */
static int fake_lookup(void *ctx, const char *id, const char **kind)
{
    if (strcmp(id, "org1") == 0)
        *kind = "org";
    else if (strcmp(id, "thing1") == 0)
        *kind = "thing";
    else
        return -1;
    return 0;
}

static const struct model_kind *thing(void)
{
    return model_kind(g_base, "thing");
}

/* Validates `text` against kind; returns the result and fills e. */
static int check(const struct model_kind *k, const char *text, json_t **out, struct err *e)
{
    json_t *in = json_loads(text, 0, NULL);
    json_t *tmp = NULL;
    assert_non_null(in);
    err_clear(e);
    int rc = model_validate_fields(k, in, out ? out : &tmp, fake_lookup, NULL, e);
    json_decref(in);
    json_decref(tmp);
    if (rc == 0)
        assert_int_equal(e->status, 0);
    return rc;
}

/* Asserts that `text` (fields of a thing) fails with type and field. */
static void bad(const char *text, const char *type, const char *field)
{
    struct err e = ERR_INIT;
    if (check(thing(), text, NULL, &e) == 0)
        fail_msg("accepted: %s", text);
    if (strcmp(e.type, type) != 0 || strcmp(e.field, field) != 0 || e.status != 422)
        fail_msg("%s: got %d %s at '%s' (%s), want %s at '%s'", text, e.status, e.type, e.field,
                 e.detail, type, field);
}

static void good(const char *text)
{
    struct err e = ERR_INIT;
    if (check(thing(), text, NULL, &e) != 0)
        fail_msg("rejected: %s: %s", text, e.detail);
}

/* The normalised value of field `name` when {"title":"t", name: value}. */
static char *norm(const char *name, const char *value)
{
    char text[512];
    json_t *out = NULL;
    struct err e = ERR_INIT;
    snprintf(text, sizeof text, "{\"title\":\"t\",\"%s\":%s}", name, value);
    if (check(thing(), text, &out, &e))
        fail_msg("rejected %s: %s", text, e.detail);
    json_t *v = json_object_get(out, name);
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY) : strdup("null");
    json_decref(out);
    return s;
}

static void assert_norm(const char *name, const char *value, const char *want)
{
    char *got = norm(name, value);
    if (strcmp(got, want) != 0)
        fail_msg("%s=%s normalised to %s, want %s", name, value, got, want);
    free(got);
}

static void test_validate_full_record(void **state)
{
    json_t *out = NULL;
    struct err e = ERR_INIT;
    int rc = check(thing(),
                   "{\"calc\":99,\"desc\":{\"en\":\"E\",\"kk\":\"Қ\"},\"title\":\"Hello\","
                   "\"color\":\"red\",\"count\":3,\"tags\":[\"a\",\"b\"],\"maker\":\"org1\","
                   "\"price\":\"0012.500\",\"born\":null,"
                   "\"seen\":\"2026-01-02T03:04:05+06:00\",\"ok\":true,"
                   "\"site\":\"https://egov.kz/cms/ru\","
                   "\"colors\":[\"green\"],\"note\":\"line 1\\nline 2\",\"mail\":null}",
                   &out, &e);
    assert_int_equal(rc, 0);
    char *s = json_dumps(out, 0);
    assert_string_equal(
        s,
        "{\"note\": \"line 1\\nline 2\", \"title\": \"Hello\", \"color\": \"red\", \"count\": 3, "
        "\"tags\": [\"a\", \"b\"], \"maker\": \"org1\", \"price\": \"12.5\", "
        "\"seen\": \"2026-01-01T21:04:05.000Z\", \"ok\": true, "
        "\"site\": \"https://egov.kz/cms/ru\", "
        "\"desc\": {\"kk\": \"Қ\", \"en\": \"E\"}, \"colors\": [\"green\"]}");
    free(s);
    json_decref(out);
}

static void test_validate_errors_by_type(void **state)
{
    bad("{\"title\":\"t\",\"bogus\":1}", "unknown-field", "bogus");
    bad("{\"note\":\"x\"}", "required", "title");
    bad("{\"title\":null}", "required", "title");
    bad("{\"title\":\" \\t \"}", "required", "title");
    bad("{\"title\":5}", "wrong-type", "title");
    bad("{\"title\":\"t\",\"color\":\"blue\"}", "bad-enum", "color");
    bad("{\"title\":\"t\",\"color\":1}", "wrong-type", "color");
    bad("{\"title\":\"t\",\"maker\":\"ghost\"}", "dangling-reference", "maker");
    bad("{\"title\":\"t\",\"maker\":\"thing1\"}", "bad-reference", "maker");
    bad("{\"title\":\"t\",\"born\":\"2023-02-29\"}", "bad-format", "born");
    bad("[1]", "wrong-type", "");
}

static void test_validate_strings(void **state)
{
    good("{\"title\":\"Ақпарат\"}");                                     /* 14 bytes */
    bad("{\"title\":\"123456789012345678901\"}", "bad-format", "title"); /* max_length 20 */
    good("{\"title\":\"12345678901234567890\"}");
    bad("{\"title\":\"two\\nlines\"}", "bad-format", "title");
    bad("{\"title\":\"bell\\u0007\"}", "bad-format", "title");
    /* text keeps its line breaks (LF) and nothing else of C0 or C1 */
    good("{\"title\":\"t\",\"note\":\"a\\nb\\n\"}");
    bad("{\"title\":\"t\",\"note\":\"a\\r\\nb\"}", "bad-format", "note");
    bad("{\"title\":\"t\",\"note\":\"a\\tb\"}", "bad-format", "note");
    bad("{\"title\":\"t\",\"note\":\"a\\u0085b\"}", "bad-format", "note");
    bad("{\"title\":\"t\",\"note\":\"a\\u0001\"}", "bad-format", "note");
    /* one line: no CR, LF, tab, DEL, C1, line or paragraph separator */
    bad("{\"title\":\"a\\rb\"}", "bad-format", "title");
    bad("{\"title\":\"a\\tb\"}", "bad-format", "title");
    bad("{\"title\":\"a\\u007fb\"}", "bad-format", "title");
    bad("{\"title\":\"a\\u009bb\"}", "bad-format", "title");
    bad("{\"title\":\"a\\u2028b\"}", "bad-format", "title");
    bad("{\"title\":\"t\",\"tags\":[\"ok\",\"a\\nb\"]}", "bad-format", "tags[1]");
    good("{\"title\":\"t\",\"note\":\"\"}"); /* optional: empty allowed */

    /* An embedded NUL cannot come from the JSON parser; build it directly. */
    json_t *in = json_pack("{s:s%}", "title", "a\0b", (size_t)3), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(model_validate_fields(thing(), in, &out, NULL, NULL, &e), -1);
    assert_string_equal(e.type, "bad-format");
    assert_string_equal(e.field, "title");
    json_decref(in);
}

/* With e.errors the validation notes every problem, in the order of the
 * kind's fields after the unknown ones, and e keeps the first. */
static void test_validate_collects_every_problem(void **state)
{
    json_t *in = json_loads("{\"colour\":1,\"count\":99,\"color\":\"pink\","
                            "\"tags\":[\"a\",2],\"spot\":{\"floor\":-1}}",
                            0, NULL);
    json_t *out = NULL, *all = json_array();
    struct err e = ERR_INIT;
    e.errors = all;
    assert_int_equal(model_validate_fields(thing(), in, &out, fake_lookup, NULL, &e), -1);
    assert_null(out);
    assert_string_equal(e.field, "colour");
    assert_string_equal(e.type, "unknown-field");
    static const char *const want[] = {"colour", "title", "color", "count", "tags[1]", "spot.city"};
    assert_int_equal(json_array_size(all), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(all, i), "field")),
                            want[i]);
    /* without it, the first only, as before */
    struct err one = ERR_INIT;
    assert_int_equal(model_validate_fields(thing(), in, &out, fake_lookup, NULL, &one), -1);
    assert_string_equal(one.field, "colour");
    json_decref(all);
    json_decref(in);
}

static void test_validate_integer(void **state)
{
    assert_norm("count", "0", "0");
    assert_norm("count", "10", "10");
    bad("{\"title\":\"t\",\"count\":11}", "bad-format", "count");
    bad("{\"title\":\"t\",\"count\":-1}", "bad-format", "count");
    bad("{\"title\":\"t\",\"count\":3.0}", "wrong-type", "count");
    bad("{\"title\":\"t\",\"count\":\"3\"}", "wrong-type", "count");
    assert_norm("calc", "1", "null"); /* readonly: ignored on input */
}

static void test_validate_decimal(void **state)
{
    assert_norm("price", "42", "\"42\"");
    assert_norm("price", "1.5", "\"1.5\"");
    assert_norm("price", "\"-0.0\"", "\"0\"");
    assert_norm("price", "\"-007.250\"", "\"-7.25\"");
    assert_norm("price", "\"999999999999999999.999999\"", "\"999999999999999999.999999\"");
    bad("{\"title\":\"t\",\"price\":\"1e5\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":\"1234567890123456789\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":\"1.1234567\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":\"1.\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":\".5\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":\"+1\"}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":1e300}", "bad-format", "price");
    bad("{\"title\":\"t\",\"price\":true}", "wrong-type", "price");
}

static void test_validate_dates(void **state)
{
    assert_norm("born", "\"2024-02-29\"", "\"2024-02-29\"");
    bad("{\"title\":\"t\",\"born\":\"2024-2-1\"}", "bad-format", "born");
    bad("{\"title\":\"t\",\"born\":\"2024-13-01\"}", "bad-format", "born");
    bad("{\"title\":\"t\",\"born\":20240101}", "wrong-type", "born");
    assert_norm("seen", "\"2026-11-22T13:31:57Z\"", "\"2026-11-22T13:31:57.000Z\"");
    assert_norm("seen", "\"2026-11-22t13:31:57.5+05:00\"", "\"2026-11-22T08:31:57.500Z\"");
    bad("{\"title\":\"t\",\"seen\":\"2026-11-22\"}", "bad-format", "seen");
    bad("{\"title\":\"t\",\"seen\":\"2026-11-22T25:00:00Z\"}", "bad-format", "seen");
    bad("{\"title\":\"t\",\"seen\":1}", "wrong-type", "seen");
}

static void test_validate_bool(void **state)
{
    assert_norm("ok", "false", "false");
    bad("{\"title\":\"t\",\"ok\":\"true\"}", "wrong-type", "ok");
    bad("{\"title\":\"t\",\"ok\":1}", "wrong-type", "ok");
}

static void test_validate_url(void **state)
{
    static const char *const ok[] = {"https://egov.kz/cms/ru", "http://localhost:8080/x?y=1#z",
                                     "HTTPS://EGOV.KZ", "https://[::1]/", "https://мемлекет.қаз/"};
    static const char *const no[] = {"ftp://egov.kz",          "https://",
                                     "https:///path",          "https://user:pw@egov.kz/",
                                     "https://a b.kz",         "javascript:alert(1)",
                                     "https://egov.kz:99999/", "egov.kz",
                                     "https://egov.kz:/",      "https://-x.kz",
                                     "https://egov.kz/\\u0001"};
    char text[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(text, sizeof text, "{\"title\":\"t\",\"site\":\"%s\"}", ok[i]);
        good(text);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(text, sizeof text, "{\"title\":\"t\",\"site\":\"%s\"}", no[i]);
        bad(text, "bad-format", "site");
    }
    char long_url[2100 + 64];
    memset(long_url, 'a', sizeof long_url);
    memcpy(long_url, "https://egov.kz/", 16);
    long_url[2049] = '\0';
    json_t *in = json_pack("{s:s, s:s}", "title", "t", "site", long_url), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(model_validate_fields(thing(), in, &out, NULL, NULL, &e), -1);
    assert_string_equal(e.field, "site");
    json_decref(in);
}

static void test_validate_email(void **state)
{
    static const char *const ok[] = {"info@egov.kz", "a.b+c@mail.gov.kz", "x@пошта.қаз"};
    static const char *const no[] = {"a@b",       "@egov.kz", "a@@egov.kz", "a b@egov.kz",
                                     "a@-b.kz",   "a@b..kz",  "a@b.kz.",    ".a@b.kz",
                                     "a..b@b.kz", "a@b.123",  "plain"};
    char text[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(text, sizeof text, "{\"title\":\"t\",\"mail\":\"%s\"}", ok[i]);
        good(text);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(text, sizeof text, "{\"title\":\"t\",\"mail\":\"%s\"}", no[i]);
        bad(text, "bad-format", "mail");
    }
}

static void test_validate_lists(void **state)
{
    assert_norm("tags", "[]", "[]");
    assert_norm("colors", "[\"red\",\"green\"]", "[\"red\", \"green\"]");
    bad("{\"title\":\"t\",\"tags\":[\"a\",5]}", "wrong-type", "tags[1]");
    bad("{\"title\":\"t\",\"tags\":[null]}", "wrong-type", "tags[0]");
    bad("{\"title\":\"t\",\"tags\":\"a\"}", "wrong-type", "tags");
    bad("{\"title\":\"t\",\"colors\":[\"red\",\"blue\"]}", "bad-enum", "colors[1]");
    bad("{\"title\":\"t\",\"tags\":[\"x\\ny\"]}", "bad-format", "tags[0]");

    json_t *in = json_pack("{s:s, s:[]}", "title", "t", "tags"), *out = NULL;
    json_t *tags = json_object_get(in, "tags");
    for (int i = 0; i < 1001; i++)
        json_array_append_new(tags, json_string("x"));
    struct err e = ERR_INIT;
    assert_int_equal(model_validate_fields(thing(), in, &out, NULL, NULL, &e), -1);
    assert_string_equal(e.type, "bad-format");
    assert_string_equal(e.field, "tags");
    json_array_remove(tags, 0);
    assert_int_equal(model_validate_fields(thing(), in, &out, NULL, NULL, &e), 0);
    json_decref(out);
    json_decref(in);
}

/* Objects alone and as a list's items: each sub-value checked at its
 * path, normalised like a field of its type. */
static void test_validate_objects(void **state)
{
    assert_norm("spot", "{\"floor\":3,\"city\":\"Astana\"}", "{\"city\": \"Astana\", \"floor\": 3}");
    assert_norm("spot", "{\"city\":\"A\",\"floor\":null}", "{\"city\": \"A\"}");
    assert_norm("places", "[{\"where\":\"A\",\"count\":2,\"cost\":\"010.50\",\"on\":false}]",
                "[{\"where\": \"A\", \"count\": 2, \"cost\": \"10.5\", \"on\": false}]");
    bad("{\"title\":\"t\",\"spot\":[1]}", "wrong-type", "spot");
    bad("{\"title\":\"t\",\"spot\":{\"city\":\"A\",\"floor\":\"3\"}}", "wrong-type", "spot.floor");
    bad("{\"title\":\"t\",\"spot\":{\"city\":\"A\",\"x\":1}}", "unknown-field", "spot.x");
    bad("{\"title\":\"t\",\"spot\":{\"floor\":1}}", "required", "spot.city");
    bad("{\"title\":\"t\",\"spot\":{\"city\":\" \"}}", "required", "spot.city");
    bad("{\"title\":\"t\",\"spot\":{\"city\":\"A\",\"kind\":\"blue\"}}", "bad-enum", "spot.kind");
    bad("{\"title\":\"t\",\"places\":[{\"where\":\"A\"},{\"where\":\"B\",\"count\":\"two\"}]}",
        "wrong-type", "places[1].count");
    bad("{\"title\":\"t\",\"places\":[{\"where\":\"A\",\"count\":0}]}", "bad-format", "places[0].count");
    bad("{\"title\":\"t\",\"places\":[{\"where\":\"A\",\"cost\":\"1,5\"}]}", "bad-format", "places[0].cost");
    bad("{\"title\":\"t\",\"places\":[{}]}", "required", "places[0]");
    bad("{\"title\":\"t\",\"places\":[{\"count\":1}]}", "required", "places[0].where");
    bad("{\"title\":\"t\",\"places\":[5]}", "wrong-type", "places[0]");
    bad("{\"title\":\"t\",\"places\":[{\"where\":\"A\",\"bad\":1}]}", "unknown-field", "places[0].bad");
    /* an object with no value is absent */
    json_t *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(check(thing(), "{\"title\":\"t\",\"spot\":{\"floor\":null}}", &out, &e), 0);
    assert_null(json_object_get(out, "spot"));
    json_decref(out);
    /* searchable: every sub-value */
    assert_int_equal(check(thing(),
                           "{\"title\":\"t\",\"spot\":{\"city\":\"Astana\",\"kind\":\"red\"},"
                           "\"places\":[{\"where\":\"Almaty\",\"count\":2}]}",
                           &out, &e),
                     0);
    struct buf b;
    buf_init(&b, 0);
    model_search_text(thing(), out, &b);
    assert_string_equal(b.p, "t\nAstana\nҚызыл\nКрасный\nRed\nAlmaty\n2");
    buf_free(&b);
    json_decref(out);
    /* the served model describes the sub-fields */
    const json_t *f = json_array_get(json_object_get(json_object_get(json_object_get(
                                         model_json(g_base), "kinds"), "thing"), "fields"), 16);
    assert_string_equal(json_string_value(json_object_get(f, "name")), "places");
    const json_t *subs = json_object_get(json_object_get(f, "item"), "fields");
    assert_int_equal(json_array_size(subs), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(subs, 1), "type")), "integer");
    assert_true(json_is_true(json_object_get(json_array_get(subs, 0), "required")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "help"), "en")), "E");
}

static void test_validate_refs(void **state)
{
    assert_norm("maker", "\"org1\"", "\"org1\"");
    bad("{\"title\":\"t\",\"maker\":5}", "wrong-type", "maker");
    bad("{\"title\":\"t\",\"maker\":\"bad id!\"}", "bad-format", "maker");
    bad("{\"title\":\"t\",\"maker\":\"\"}", "bad-format", "maker");

    /* Without a lookup only the id's form is checked. */
    json_t *in = json_pack("{s:s, s:s}", "title", "t", "maker", "ghost"), *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(model_validate_fields(thing(), in, &out, NULL, NULL, &e), 0);
    json_decref(out);
    json_decref(in);
}

static void test_validate_relation_kind(void **state)
{
    const struct model_kind *k = model_kind(g_base, "links");
    struct err e = ERR_INIT;
    assert_non_null(k);
    assert_int_equal(
        check(k, "{\"source\":\"thing1\",\"target\":\"org1\",\"why\":\"x\"}", NULL, &e), 0);
    assert_int_equal(check(k, "{\"source\":\"org1\",\"target\":\"org1\",\"why\":\"x\"}", NULL, &e),
                     -1);
    assert_string_equal(e.type, "bad-reference");
    assert_string_equal(e.field, "source");
    assert_int_equal(check(k, "{\"source\":\"thing1\",\"target\":\"org1\"}", NULL, &e), -1);
    assert_string_equal(e.type, "required");
    assert_string_equal(e.field, "why");
    assert_int_equal(check(k, "{\"target\":\"org1\",\"why\":\"x\"}", NULL, &e), -1);
    assert_string_equal(e.field, "source");
}

/* REQ: X-I18N-01 */
static void test_validate_i18n(void **state)
{
    assert_norm("desc", "{\"ru\":\"Имя\",\"kk\":null}", "{\"ru\": \"Имя\"}");
    assert_norm("desc", "{}", "null"); /* empty: absent */
    bad("{\"title\":\"t\",\"desc\":{\"fr\":\"x\"}}", "unknown-field", "desc.fr");
    bad("{\"title\":\"t\",\"desc\":{\"kk\":5}}", "wrong-type", "desc.kk");
    bad("{\"title\":\"t\",\"desc\":\"text\"}", "wrong-type", "desc");
    /* a multilingual value is a name: one line in each language */
    bad("{\"title\":\"t\",\"desc\":{\"ru\":\"Имя\\r\\nX-Injected: 1\"}}", "bad-format", "desc.ru");
    bad("{\"title\":\"t\",\"desc\":{\"kk\":\"Атауы\\n\"}}", "bad-format", "desc.kk");
    bad("{\"title\":\"t\",\"desc\":{\"en\":\"Na\\tme\"}}", "bad-format", "desc.en");
    bad("{\"title\":\"t\",\"desc\":{\"en\":\"Na\\u0085me\"}}", "bad-format", "desc.en");

    struct err e = ERR_INIT;
    json_t *v = json_pack("{s:s}", "kk", " ");
    assert_int_equal(model_validate_i18n(v, "name", true, 0, &e), -1);
    assert_string_equal(e.type, "required");
    assert_string_equal(e.field, "name");
    assert_int_equal(model_validate_i18n(v, "name", false, 0, &e), 0);
    json_decref(v);
    v = json_pack("{s:s, s:s}", "ru", "Мин", "en", "abcdefghijk");
    assert_int_equal(model_validate_i18n(v, "name", true, 0, &e), 0);
    assert_int_equal(model_validate_i18n(v, "name", true, 10, &e), -1);
    assert_string_equal(e.field, "name.en");
    json_decref(v);
    assert_int_equal(model_validate_i18n(NULL, "name", true, 0, &e), -1);
    assert_string_equal(e.type, "required");
    assert_int_equal(model_validate_i18n(json_null(), "name", false, 0, &e), 0);
}

/* ---- BIN ---------------------------------------------------------------- */

/* The check digit per the BIN rules, or -1 when none exists. */
static int bin_check_digit(const char *d11)
{
    int s = 0;
    for (int i = 0; i < 11; i++)
        s += (d11[i] - '0') * (i + 1);
    if (s % 11 != 10)
        return s % 11;
    s = 0;
    for (int i = 0; i < 11; i++)
        s += (d11[i] - '0') * ((i + 2) % 11 + 1);
    return s % 11 == 10 ? -1 : s % 11;
}

static void test_bin(void **state)
{
    /* 1*1+2*2+...+1*11 = 296 = 10 (mod 11); second weights give 377 = 3. */
    assert_true(model_bin_valid("123456789013"));
    assert_false(model_bin_valid("123456789012"));
    /* All zeros: the sum is 0, so the check digit is 0. */
    assert_true(model_bin_valid("000000000000"));
    assert_false(model_bin_valid("12345678901"));
    assert_false(model_bin_valid("1234567890133"));
    assert_false(model_bin_valid("12345678901a"));
    assert_false(model_bin_valid(" 23456789013"));
    assert_false(model_bin_valid(""));
    assert_false(model_bin_valid(NULL));

    /* Real-looking BINs: 2-digit year, month, entity type 4, then serial. */
    char bin[13];
    int valid = 0, none = 0;
    for (int serial = 0; serial < 2000; serial++) {
        snprintf(bin, sizeof bin, "0812%d%06d0", 4 + serial % 3, serial * 37 % 1000000);
        int c = bin_check_digit(bin);
        for (int d = 0; d <= 9; d++) {
            bin[11] = (char)('0' + d);
            assert_int_equal(model_bin_valid(bin), c == d);
        }
        valid += c >= 0;
        none += c < 0;
    }
    assert_true(valid > 1000);
    assert_true(none > 0); /* some prefixes have no valid check digit */
}

static void test_bin_field(void **state)
{
    const struct model_kind *org = model_kind(g_real, "organization");
    struct err e = ERR_INIT;
    assert_int_equal(check(org,
                           "{\"bin\":\"123456789013\",\"org_type\":\"central_state_body\","
                           "\"region\":\"astana\",\"website\":\"https://www.gov.kz\","
                           "\"address\":{\"ru\":\"Астана\"}}",
                           NULL, &e),
                     0);
    assert_int_equal(check(org, "{\"bin\":\"123456789012\",\"org_type\":\"operator\"}", NULL, &e),
                     -1);
    assert_string_equal(e.type, "bad-format");
    assert_string_equal(e.field, "bin");
    assert_int_equal(check(org, "{\"bin\":\"123456789013\",\"org_type\":\"ministry\"}", NULL, &e),
                     -1);
    assert_string_equal(e.type, "bad-enum");
}

/* REQ: REG-01 */
static void test_real_records(void **state)
{
    struct err e = ERR_INIT;
    const struct model_kind *is = model_kind(g_real, "information_system");
    assert_int_equal(
        check(is,
              "{\"stage\":\"industrial_operation\",\"class\":\"first\","
              "\"placement\":\"icp_eg\",\"funding_source\":\"state_investment_project\","
              "\"source_code_transferred\":true,\"commissioning_date\":\"2024-03-01\","
              "\"warranty_end\":\"2025-03-01\",\"functions\":[\"Қабылдау\",\"Приём\"],"
              "\"purpose\":{\"ru\":\"Автоматизация\"},"
              "\"operation_measures\":[\"backup\",\"warranty_service\"]}",
              NULL, &e),
        0);
    assert_int_equal(check(is, "{\"class\":\"first\"}", NULL, &e), -1);
    assert_string_equal(e.field, "stage");
    const struct model_kind *ir = model_kind(g_real, "internet_resource");
    assert_int_equal(check(ir, "{\"stage\":\"creation\"}", NULL, &e), -1);
    assert_string_equal(e.field, "url");
    const struct model_kind *svc = model_kind(g_real, "ict_service");
    assert_int_equal(check(svc, "{\"stage\":\"creation\",\"service_type\":\"cloud\"}", NULL, &e),
                     -1);
    assert_string_equal(e.type, "bad-enum");
}

/* ---- index and search ----------------------------------------------------- */

static void collect(void *ctx, const char *field, const char *value)
{
    struct buf *b = ctx;
    buf_printf(b, "%s=%s;", field, value);
}

static void test_index_values(void **state)
{
    json_t *out = NULL;
    struct err e = ERR_INIT;
    assert_int_equal(check(thing(),
                           "{\"title\":\"T\",\"color\":\"red\",\"count\":3,\"tags\":[\"a\",\"b\"],"
                           "\"maker\":\"org1\",\"ok\":false,\"colors\":[\"green\",\"red\"],"
                           "\"desc\":{\"ru\":\"Описание\"}}",
                           &out, &e),
                     0);
    struct buf b;
    buf_init(&b, 0);
    model_index_values(thing(), out, collect, &b);
    assert_string_equal(b.p, "color=red;count=3;tags=a;tags=b;maker=org1;ok=false;"
                             "colors=green;colors=red;");
    buf_reset(&b);
    model_search_text(thing(), out, &b);
    assert_string_equal(b.p, "T\na\nb\nОписание\nҚ\nР\nE\nҚызыл\nКрасный\nRed");
    buf_free(&b);
    json_decref(out);
}

static bool needed_at(const struct model_kind *k, const char *field, const char *stage)
{
    json_t *rec = json_pack("{s:s}", "stage", stage);
    json_t *gaps = model_gaps(k, rec, TODAY);
    bool found = false;
    size_t i;
    json_t *g;
    json_array_foreach(gaps, i, g)
    {
        found = found || strcmp(json_string_value(json_object_get(g, "field")), field) == 0;
    }
    json_decref(gaps);
    json_decref(rec);
    return found;
}

/* Appendix 1's data items as structured fields of every object and
 * product (items 5, 13, 14, 15 of section 1; 4, 10, 11, 12 of section 2),
 * needed at the stages the items speak of; the composite items as one
 * document type each. REQ: REG-07 REQ: DOC-02 REQ: DOC-03 */
static void test_real_appendix1_data(void **state)
{
    static const char *const kinds[] = {"information_system", "platform_software_product"};
    for (size_t i = 0; i < 2; i++) {
        const struct model_kind *k = model_kind(g_real, kinds[i]);
        const struct model_field *pc = model_field(k, "procurement_contracts");
        assert_non_null(pc);
        assert_int_equal(pc->type, FT_LIST);
        assert_int_equal(pc->item->type, FT_OBJECT);
        const struct model_field *bin = NULL;
        for (size_t j = 0; j < pc->item->n_sub; j++)
            if (strcmp(pc->item->sub[j].name, "supplier_bin") == 0)
                bin = &pc->item->sub[j];
        assert_non_null(bin);
        assert_string_equal(bin->format, "bin");
        assert_int_equal(model_field(k, "general_data")->type, FT_OBJECT);
        assert_int_equal(model_field(k, "source_code")->type, FT_OBJECT);
        static const char *const lists[] = {"inventory", "installations", "deployment", "costs",
                                            "automation", "classifiers"};
        for (size_t j = 0; j < 6; j++)
            assert_int_equal(model_field(k, lists[j])->item->type, FT_OBJECT);
        assert_int_equal(model_field(k, "stored_data")->type, FT_TEXT);
        /* information (сведения) is needed as data, at the item's stages */
        assert_true(needed_at(k, "procurement_contracts", "creation"));
        assert_false(needed_at(k, "procurement_contracts", "termination"));
        assert_true(needed_at(k, "general_data", "pilot_operation"));
        assert_false(needed_at(k, "general_data", "industrial_operation"));
        assert_true(needed_at(k, "installations", "industrial_operation"));
        assert_true(needed_at(k, "costs", "development"));
        assert_false(needed_at(k, "costs", "creation"));
        assert_false(needed_at(k, "inventory", "industrial_operation"));
        assert_false(needed_at(k, "automation", "industrial_operation")); /* not of every object */
        /* … and no longer as a document; the inventory list stays one */
        json_t *rec = json_pack("{s:s}", "stage", "industrial_operation");
        assert_false(model_doc_due(model_doc_type(k->documents, "procurement_data"), rec, TODAY));
        assert_false(model_doc_due(model_doc_type(k->documents, "operational_data"), rec, TODAY));
        assert_true(model_doc_due(model_doc_type(k->documents, "inventory_list"), rec, TODAY));
        assert_true(model_doc_due(model_doc_type(k->documents, "user_manual"), rec, TODAY));
        assert_true(model_doc_due(model_doc_type(k->documents, "admin_manual"), rec, TODAY));
        const struct model_doc_type *old = model_doc_type(k->documents, "operational_documents");
        assert_false(model_doc_due(old, rec, TODAY));
        assert_string_equal(old->replaced_by[0], "user_manual");
        assert_string_equal(old->replaced_by[1], "admin_manual");
        assert_null(old->replaced_by[2]);
        json_object_set_new(rec, "stage", json_string("creation"));
        assert_false(model_doc_due(model_doc_type(k->documents, "general_data"), rec, TODAY));
        json_decref(rec);
    }
    const struct model_kind *is = model_kind(g_real, "information_system");
    json_t *rec = json_pack("{s:s}", "stage", "pilot_operation");
    static const char *const parts[] = {"specification", "program_description", "explanatory_note"};
    for (size_t j = 0; j < 3; j++) {
        const struct model_doc_type *t = model_doc_type(is->documents, parts[j]);
        assert_int_equal(t->number, 7);
        assert_int_equal(t->part, (int)j + 1);
        assert_true(model_doc_due(t, rec, TODAY));
        assert_non_null(strstr(t->label.kk, "МЕМСТ"));
    }
    assert_false(model_doc_due(model_doc_type(is->documents, "technical_working_project"), rec, TODAY));
    json_decref(rec);
}

static void test_search_text_real(void **state)
{
    json_t *out = NULL;
    struct err e = ERR_INIT;
    const struct model_kind *is = model_kind(g_real, "information_system");
    assert_int_equal(check(is,
                           "{\"stage\":\"creation\",\"short_name\":\"ИС ЭДО\","
                           "\"purpose\":{\"kk\":\"Құжат айналымы\",\"en\":\"Document flow\"},"
                           "\"supplier\":\"ТОО Пример\"}",
                           &out, &e),
                     0);
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "name");
    model_search_text(is, out, &b);
    assert_string_equal(b.p, "name\nИС ЭДО\nҚұжат айналымы\nDocument flow\nТОО Пример");
    buf_free(&b);
    json_decref(out);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        setenv("AP_MODEL", argv[1], 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_object_kinds),
        cmocka_unit_test(test_real_platform_products),
        cmocka_unit_test(test_real_signed_in_kinds),
        cmocka_unit_test(test_real_object_class),
        cmocka_unit_test(test_real_placement_exception),
        cmocka_unit_test(test_real_source_code),
        cmocka_unit_test(test_real_warranty),
        cmocka_unit_test(test_real_funding),
        cmocka_unit_test(test_real_stages),
        cmocka_unit_test(test_real_operation_measures),
        cmocka_unit_test(test_real_ict_service_types),
        cmocka_unit_test(test_real_labels_complete),
        cmocka_unit_test(test_real_relations),
        cmocka_unit_test(test_real_regions),
        cmocka_unit_test(test_model_json_expanded),
        cmocka_unit_test(test_broken_models),
        cmocka_unit_test(test_inherits_loader),
        cmocka_unit_test(test_views_loader),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_compute),
        cmocka_unit_test(test_compute_sum),
        cmocka_unit_test(test_maps_loader),
        cmocka_unit_test(test_inherits_key_loader),
        cmocka_unit_test(test_broken_measures),
        cmocka_unit_test(test_broken_workflows),
        cmocka_unit_test(test_broken_doc_lists),
        cmocka_unit_test(test_real_doc_lists),
        cmocka_unit_test(test_dated_rules),
        cmocka_unit_test(test_relation_rules),
        cmocka_unit_test(test_gap_list_rules),
        cmocka_unit_test(test_broken_duplicates),
        cmocka_unit_test(test_broken_scores_and_findings),
        cmocka_unit_test(test_import_declaration),
        cmocka_unit_test(test_real_workflow),
        cmocka_unit_test(test_broken_json),
        cmocka_unit_test(test_validate_full_record),
        cmocka_unit_test(test_validate_errors_by_type),
        cmocka_unit_test(test_validate_strings),
        cmocka_unit_test(test_validate_collects_every_problem),
        cmocka_unit_test(test_validate_integer),
        cmocka_unit_test(test_validate_decimal),
        cmocka_unit_test(test_validate_dates),
        cmocka_unit_test(test_validate_bool),
        cmocka_unit_test(test_validate_url),
        cmocka_unit_test(test_validate_email),
        cmocka_unit_test(test_validate_lists),
        cmocka_unit_test(test_validate_objects),
        cmocka_unit_test(test_validate_refs),
        cmocka_unit_test(test_validate_relation_kind),
        cmocka_unit_test(test_validate_i18n),
        cmocka_unit_test(test_bin),
        cmocka_unit_test(test_bin_field),
        cmocka_unit_test(test_real_records),
        cmocka_unit_test(test_index_values),
        cmocka_unit_test(test_real_appendix1_data),
        cmocka_unit_test(test_search_text_real),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
