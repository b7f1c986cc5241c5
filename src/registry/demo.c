/* demo: loads the demo dataset through the normal write path, so demo
 * records have revisions and audit entries like any other. */
#include "dump.h"

#include "cache.h"
#include "fidx.h"
#include "internal.h"

#include <string.h>

static int load_section(struct registry *r, const struct actor *a, const json_t *doc,
                        const char *section, int *count, struct err *e)
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
        json_t *out = NULL;
        if (registry_create(r, a, section, item, id, &out, e) < 0) {
            err_prefix(e, "demo %s[%zu] (%.60s): ", section, i, id ? id : "no id");
            return -1;
        }
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
    struct store_conn *c = store_begin_write(r->store, e); /* all or nothing */
    int rc = c ? 0 : -1;
    /* every member named after a collection of the model, in file order
     * (what is referred to first); the others are the caller's */
    const char *section;
    const json_t *items;
    json_object_foreach(doc, section, items)
    {
        (void)items;
        if (rc == 0 && model_collection(r->model, section))
            rc = load_section(r, &a, doc, section, &count, e);
    }
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
