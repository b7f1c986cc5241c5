/* triggers: the records a write makes as the model's triggers say (issue
 * 16 item 4: the events that call for revising the architecture become
 * items of the integrator's revision list, with their reason and source,
 * REQ ARC-14; issue 17: an issued assessment's unmet criteria become draft
 * recommendations, one per item). Made in the write's transaction by the
 * system, so that the record exists exactly when the write does. */
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

/* A set value: a literal, or "$id", "$name", "$<field>" of rec, or (with
 * an item) "$item.<field>" or "$item.<ref>.<field>" (a new reference, or
 * NULL when there is none). */
static json_t *value_of(struct store_conn *c, const char *v, const json_t *rec,
                        const json_t *item)
{
    if (v[0] != '$')
        return json_string(v);
    if (strncmp(v, "$item.", 6) == 0) {
        const char *rest = v + 6, *dot = strchr(rest, '.');
        if (!dot)
            return json_incref(json_object_get(item, rest));
        char ref[128];
        snprintf(ref, sizeof ref, "%.*s", (int)(dot - rest), rest);
        return reg_peek_member(c, json_string_value(json_object_get(item, ref)), dot + 1);
    }
    return json_incref(json_object_get(rec, v + 1));
}

/* The body of the record t makes for rec (and one of its items). */
static json_t *body_of(struct store_conn *c, const struct model_trigger *t, const json_t *rec,
                       const json_t *item)
{
    json_t *body = json_pack("{s:s}", "kind", t->make->id);
    for (size_t i = 0; i < t->n_set; i++) {
        const char *v = t->set_values[i];
        json_t *val = value_of(c, v, rec, item);
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

/* Makes t's record for rec (and one of its items) unless one is there. */
static int make_one(struct registry *r, struct store_conn *c, const struct model_trigger *t,
                    const char *id, const json_t *rec, const json_t *item, struct err *e)
{
    json_t *body = body_of(c, t, rec, item), *made = NULL;
    int rc = already(r, c, t, id, body, e);
    if (rc == 0) {
        const struct actor sys = {.id = "system:triggers", .system = true};
        rc = reg_create_in_tx(r, c, &sys, model_collection(r->model, t->make->collection), body,
                              &made, e);
    }
    json_decref(made);
    json_decref(body);
    return rc < 0 ? -1 : 0;
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
            (event == MODEL_ON_UPDATE && !changed(t, prev, next)) ||
            !model_cond_holds(&t->when, rec, registry_today(r)))
            continue;
        const json_t *items = t->each_items ? json_object_get(rec, t->each_items) : NULL;
        size_t n = t->each_items ? json_array_size(items) : 1;
        for (size_t k = 0; k < n; k++) {
            const json_t *item = t->each_items ? json_array_get(items, k) : NULL;
            if (item && !model_cond_holds(&t->each_when, item, registry_today(r)))
                continue;
            if (make_one(r, c, t, id, rec, item, e) < 0)
                return -1;
        }
    }
    return 0;
}
