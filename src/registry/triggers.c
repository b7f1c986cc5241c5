/* triggers: the records a write makes as the model's triggers say (issue
 * 16 item 4: the events that call for revising the architecture become
 * items of the integrator's revision list, with their reason and source,
 * REQ ARC-14). Made in the write's transaction by the system, so that the
 * item exists exactly when the write does. */
#include "registry/internal.h"

#include <string.h>

/* Did any of t's fields change between prev and next? (No fields: any
 * change does.) */
static bool changed(const struct model_trigger *t, const json_t *prev, const json_t *next)
{
    if (!t->n_fields)
        return true;
    for (size_t i = 0; i < t->n_fields; i++) {
        const json_t *a = json_object_get(prev, t->fields[i]);
        const json_t *b = json_object_get(next, t->fields[i]);
        if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
            return true;
    }
    return false;
}

static bool fires_on(const struct model_trigger *t, const char *kind)
{
    for (size_t i = 0; i < t->n_on; i++)
        if (strcmp(t->on[i]->id, kind) == 0)
            return true;
    return false;
}

/* The body of the record t makes for rec. */
static json_t *body_of(const struct model_trigger *t, const json_t *rec)
{
    json_t *body = json_pack("{s:s}", "kind", t->make->id);
    for (size_t i = 0; i < t->n_set; i++) {
        const char *v = t->set_values[i];
        json_t *val = strcmp(v, "$id") == 0     ? json_incref(json_object_get(rec, "id"))
                      : strcmp(v, "$name") == 0 ? json_incref(json_object_get(rec, "name"))
                                                : json_string(v);
        /* a record without a name is named by its id, so that the item
         * can be made whatever the written record holds */
        if (!val && strcmp(v, "$name") == 0)
            val = json_pack("{s:O, s:O, s:O}", "kk", json_object_get(rec, "id"), "ru",
                            json_object_get(rec, "id"), "en", json_object_get(rec, "id"));
        if (val)
            json_object_set_new(body, t->set_fields[i], val);
    }
    return body;
}

/* Is there a live record of t's kind referring to id that keeps `unless`
 * and holds body's values? 1 yes, 0 no, -1 on a store error. */
static int already(struct registry *r, struct store_conn *c, const struct model_trigger *t,
                   const char *id, const json_t *body, struct err *e)
{
    if (!t->unless.n_terms)
        return 0;
    struct store_stmt *st = store_prepare(
        c,
        "SELECT d.data FROM attrs a JOIN records x ON x.rid = a.rid AND x.retired = 0 "
        "AND x.kind = $2 JOIN record_data d ON d.rid = x.rid WHERE a.field = '_ref' AND a.value = $1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, t->make->id);
    int rc, found = 0;
    while (!found && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *x = json_loads(store_col_text(st, 0), 0, NULL);
        bool same = x && model_cond_holds(&t->unless, x, registry_today(r));
        const char *key;
        json_t *v;
        json_object_foreach ((json_t *)body, key, v)
            same = same && json_equal(v, json_object_get(x, key));
        found = same;
        json_decref(x);
    }
    store_reset(st);
    return found ? 1 : rc == STORE_ERROR ? -1 : 0;
}

int reg_triggers(struct registry *r, struct store_conn *c, unsigned event, const json_t *prev,
                 const json_t *next, struct err *e)
{
    const struct model *m = r->model;
    const json_t *rec = next ? next : prev;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const char *id = json_string_value(json_object_get(rec, "id"));
    for (size_t i = 0; kind && id && i < model_n_triggers(m); i++) {
        const struct model_trigger *t = model_trigger_at(m, i);
        if (!(t->events & event) || !fires_on(t, kind) ||
            (event == MODEL_ON_UPDATE && !changed(t, prev, next)))
            continue;
        json_t *body = body_of(t, rec), *made = NULL;
        int rc = already(r, c, t, id, body, e);
        if (rc == 0) {
            const struct actor sys = {.id = "system:triggers", .system = true};
            rc = reg_create_in_tx(r, c, &sys, model_collection(m, t->make->collection), body,
                                  &made, e);
        }
        json_decref(made);
        json_decref(body);
        if (rc < 0)
            return -1;
    }
    return 0;
}
