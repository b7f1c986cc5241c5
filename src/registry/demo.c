/* demo: loads the demo dataset through the normal write path, so demo
 * records have revisions and audit entries like any other. */
#include "dump.h"

#include "cache.h"
#include "fidx.h"
#include "internal.h"

#include <string.h>

/* Is v an id (or a list of ids) of which some is defined in the demo
 * (`ids`) but not yet created (`made`)? */
static bool names_later(const json_t *v, const json_t *ids, const json_t *made)
{
    if (json_is_string(v))
        return json_object_get(ids, json_string_value(v)) &&
               !json_object_get(made, json_string_value(v));
    size_t i;
    const json_t *x;
    json_array_foreach (v, i, x)
        if (names_later(x, ids, made))
            return true;
    return false;
}

static bool is_ref(const struct model_field *f)
{
    return f && (f->type == FT_REF || (f->type == FT_LIST && f->item && f->item->type == FT_REF));
}

/* A copy of item without the ref fields that name records later in the
 * demo (a domain's key clients, master data that follows the domains):
 * those go into *later as {field: value}, set once every record exists. */
static json_t *without_later(const struct model *m, const json_t *item, const json_t *ids,
                             const json_t *made, json_t **later)
{
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(item, "kind")));
    json_t *body = json_deep_copy(item);
    *later = NULL;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(body, tmp, key, v)
    {
        if (!k || !is_ref(model_field(k, key)) || !names_later(v, ids, made))
            continue;
        if (!*later)
            *later = json_object();
        json_object_set(*later, key, v);
        json_object_del(body, key);
    }
    return body;
}

static int load_section(struct registry *r, const struct actor *a, const json_t *doc,
                        const char *section, const json_t *ids, json_t *made, json_t *later,
                        int *count, struct err *e)
{
    const json_t *items = json_object_get(doc, section);
    if (!items)
        return 0;
    if (!json_is_array(items)) {
        err_bad_request(e, section, "demo: '%s' must be an array", section);
        return -1;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));
        json_t *out = NULL, *rest = NULL;
        json_t *body = without_later(r->model, item, ids, made, &rest);
        int rc = registry_create(r, a, section, body, id, &out, e);
        json_decref(body);
        if (rc < 0) {
            json_decref(rest);
            err_prefix(e, "demo %s[%zu] (%.60s): ", section, i, id ? id : "no id");
            return -1;
        }
        const char *made_id = json_string_value(json_object_get(out, "id"));
        if (made_id)
            json_object_set_new(made, made_id, json_true());
        if (rest && made_id)
            json_array_append_new(later, json_pack("{s:s, s:s, s:o}", "collection", section, "id",
                                                   made_id, "patch", rest));
        else
            json_decref(rest);
        json_decref(out);
        (*count)++;
    }
    return 0;
}

int demo_load(struct registry *r, const char *json, size_t len, struct err *e)
{
    int empty = registry_is_empty(r, e);
    if (empty <= 0)
        return empty < 0 ? -1 : 0;
    json_error_t je;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        err_bad_request(e, "", "demo data: line %d: %s", je.line, je.text);
        json_decref(doc);
        return -1;
    }
    struct actor a = {.id = "system:demo", .system = true};
    int count = 0;
    /* the ids the demo defines, those created so far, and the references
     * to records further on, set in a second pass */
    json_t *ids = json_object(), *made = json_object(), *later = json_array();
    const char *section;
    const json_t *items;
    json_object_foreach (doc, section, items) {
        size_t i;
        const json_t *item;
        json_array_foreach (model_collection(r->model, section) ? items : NULL, i, item) {
            const char *id = json_string_value(json_object_get(item, "id"));
            if (id)
                json_object_set_new(ids, id, json_true());
        }
    }
    struct store_conn *c = store_begin_write(r->store, e); /* all or nothing */
    int rc = c ? 0 : -1;
    /* every member named after a collection of the model, in file order;
     * the others are the caller's */
    json_object_foreach (doc, section, items) {
        (void)items;
        if (rc == 0 && model_collection(r->model, section))
            rc = load_section(r, &a, doc, section, ids, made, later, &count, e);
    }
    size_t i;
    const json_t *l;
    json_array_foreach (later, i, l) {
        json_t *out = NULL;
        const char *coll = json_string_value(json_object_get(l, "collection"));
        const char *id = json_string_value(json_object_get(l, "id"));
        if (rc == 0 &&
            (rc = registry_patch(r, &a, coll, id, -1, json_object_get(l, "patch"), &out, e)) < 0)
            err_prefix(e, "demo %s %.60s: ", coll, id);
        json_decref(out);
    }
    json_decref(ids);
    json_decref(made);
    json_decref(later);
    if (rc == 0)
        rc = store_commit(c, e);
    else if (c)
        store_rollback(c);
    cache_bump();
    if (rc == 0)
        fidx_commit(r->fidx);
    else
        fidx_discard(r->fidx);
    json_decref(doc);
    return rc < 0 ? -1 : count;
}
