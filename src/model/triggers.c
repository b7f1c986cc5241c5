/* triggers: the model's "triggers" (issue 16 item 4: the events that call
 * for revising the architecture, REQ ARC-14, MON-10): a write of a record of
 * some kinds makes a record of another kind (an item of the integrator's
 * revision list), checked against the kinds and fields it names so that the
 * engine (registry/triggers.c) names none of them.
 *
 *   "triggers": [{"on": [kinds], "events": ["create" | "update" | "retire"…],
 *     "fields"?: [fields of every kind of "on": an update fires only when one
 *     of them changed], "make": "<kind>", "set": {"<field of make>": "<value>"
 *     | "$id" (the written record's id) | "$name" (its name)}, "unless"?: {a
 *     condition on make's fields: no second record is made while one that
 *     keeps it and has the same set values refers to the record}, "when"?: {a
 *     condition on the written record after the write}, "each"?: {"items":
 *     "<list of objects of every kind of "on">", "when"?: {a condition on
 *     an item}: one record per item that keeps it}}]
 * A set value may also be "$<field>" (a field of the written record, e.g.
 * "$owner"), "$item.<field>" or "$item.<ref>.<field>" (with "each": the
 * item's field, or a field of the record its ref names). A kind made may
 * be owned (its owner set) and have a workflow (made in its initial
 * state). */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const TRIGGER_KEYS[] = {"on",     "events", "fields", "make", "set",
                                           "unless", "when",   "each",   NULL};
static const char *const EACH_KEYS[] = {"items", "when", NULL};
static const char *const EVENTS[] = {"create", "update", "retire", NULL};

/* A field of k, or its name/owner envelope. */
static bool has_field(const struct model_kind *k, const char *name)
{
    return model_field(k, name) || (k->named && strcmp(name, "name") == 0) ||
           (k->owned && strcmp(name, "owner") == 0);
}

/* The list of objects `items` of every kind of t's "on", or NULL. */
static const struct model_field *each_list(const struct model_trigger *t, const char *items)
{
    const struct model_field *first = NULL;
    for (size_t i = 0; i < t->n_on; i++) {
        const struct model_field *f = model_field(t->on[i], items);
        if (!f || f->type != FT_LIST || !f->item || f->item->type != FT_OBJECT)
            return NULL;
        first = first ? first : f;
    }
    return first;
}

/* Is a set value one the engine can give: a literal, "$id", "$name", a
 * field of every kind of "on", or with "each" an item's field or a ref's
 * field "$item.<ref>.<field>" (the last checked when written: the named
 * record has it or the value is left out)? */
static bool value_known(const struct model_trigger *t, const char *v)
{
    if (v[0] != '$' || strcmp(v, "$id") == 0 || strcmp(v, "$name") == 0)
        return true;
    if (strncmp(v, "$item.", 6) == 0) {
        char head[128];
        const char *rest = v + 6, *dot = strchr(rest, '.');
        snprintf(head, sizeof head, "%.*s", (int)(dot ? (size_t)(dot - rest) : strlen(rest)),
                 rest);
        const struct model_field *list = t->each_items ? each_list(t, t->each_items) : NULL;
        const struct model_field *f = list ? model_sub_field(list->item, head) : NULL;
        return f && (!dot || f->type == FT_REF);
    }
    for (size_t i = 0; i < t->n_on; i++)
        if (!has_field(t->on[i], v + 1))
            return false;
    return t->n_on > 0;
}

/* "when" (on every kind of "on") and "each". */
static int parse_when_each(struct loader *ld, const json_t *v, const char *path,
                           struct model_trigger *t)
{
    json_t *when, *each, *ew;
    if (ld_member(ld, v, "when", path, JSON_OBJECT, false, &when) ||
        ld_member(ld, v, "each", path, JSON_OBJECT, false, &each))
        return -1;
    if (when && ld_cond(ld, when, ld_sub(ld, path, "when"), &t->when))
        return -1;
    for (size_t i = 0; when && i < t->n_on; i++)
        if (ld_check_cond(ld, ld_sub(ld, path, "when"), t->on[i], &t->when))
            return -1;
    if (!each)
        return 0;
    const char *ep = ld_sub(ld, path, "each");
    if (ld_check_keys(ld, each, ep, EACH_KEYS) ||
        ld_string(ld, each, "items", ep, true, &t->each_items) ||
        ld_member(ld, each, "when", ep, JSON_OBJECT, false, &ew))
        return -1;
    const struct model_field *list = each_list(t, t->each_items);
    if (!list)
        return ld_fail(ld, ld_sub(ld, ep, "items"), "'%s' is not a list of objects of every kind",
                       t->each_items);
    t->each_items = ld_keep(ld, t->each_items);
    if (ew && ld_cond(ld, ew, ld_sub(ld, ep, "when"), &t->each_when))
        return -1;
    for (size_t i = 0; i < t->each_when.n_terms; i++) {
        const struct model_field *f = model_sub_field(list->item, t->each_when.terms[i].field);
        if (!f || (f->type != FT_ENUM && f->type != FT_BOOL) || t->each_when.terms[i].when ||
            t->each_when.terms[i].presence)
            return ld_fail(ld, ld_sub(ld, ep, "when"), "'%s' is not an enum or boolean of an item",
                           t->each_when.terms[i].field);
    }
    return 0;
}

static int parse_trigger(struct loader *ld, const json_t *v, const char *path,
                         struct model_trigger *t)
{
    const char **on, **events, *make;
    size_t n_on, n_events;
    json_t *set, *unless;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, TRIGGER_KEYS) ||
        ld_strings(ld, json_object_get(v, "on"), ld_sub(ld, path, "on"), true, &on, &n_on) ||
        ld_strings(ld, json_object_get(v, "events"), ld_sub(ld, path, "events"), true, &events,
                   &n_events) ||
        ld_string(ld, v, "make", path, true, &make) ||
        ld_member(ld, v, "set", path, JSON_OBJECT, true, &set) ||
        ld_member(ld, v, "unless", path, JSON_OBJECT, false, &unless))
        return -1;
    t->on = arena_calloc(ld->m->arena, n_on + 1, sizeof *t->on);
    for (size_t i = 0; i < n_on; i++) {
        const struct model_kind *k = model_kind(ld->m, on[i]);
        if (!k || k->is_relation)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "on"), i), "not a record kind");
        t->on[t->n_on++] = k;
    }
    for (size_t i = 0; i < n_events; i++) {
        if (!ld_in_list(events[i], EVENTS))
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "events"), i),
                           "must be \"create\", \"update\" or \"retire\"");
        t->events |= strcmp(events[i], "create") == 0   ? MODEL_ON_CREATE
                     : strcmp(events[i], "update") == 0 ? MODEL_ON_UPDATE
                                                        : MODEL_ON_RETIRE;
    }
    if (json_object_get(v, "fields") &&
        ld_strings(ld, json_object_get(v, "fields"), ld_sub(ld, path, "fields"), true, &t->fields,
                   &t->n_fields))
        return -1;
    for (size_t i = 0; i < t->n_fields; i++)
        for (size_t j = 0; j < t->n_on; j++)
            if (!has_field(t->on[j], t->fields[i]))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "fields"), i),
                               "'%s' is not a field of '%s'", t->fields[i], t->on[j]->id);
    t->make = model_kind(ld->m, make);
    if (!t->make || t->make->is_relation)
        return ld_fail(ld, ld_sub(ld, path, "make"), "'%s' is not a record kind", make);
    if (parse_when_each(ld, v, path, t))
        return -1;
    const char *key;
    json_t *val;
    t->set_fields = arena_calloc(ld->m->arena, json_object_size(set) + 1, sizeof *t->set_fields);
    t->set_values = arena_calloc(ld->m->arena, json_object_size(set) + 1, sizeof *t->set_values);
    json_object_foreach (set, key, val) {
        const char *sp = ld_sub(ld, ld_sub(ld, path, "set"), key);
        if (!json_is_string(val))
            return ld_fail(ld, sp, "must be a string");
        if (!has_field(t->make, key))
            return ld_fail(ld, sp, "'%s' is not a field of '%s'", key, t->make->id);
        if (!value_known(t, json_string_value(val)))
            return ld_fail(ld, sp, "'%s' names no field of what the trigger writes or reads",
                           json_string_value(val));
        t->set_fields[t->n_set] = ld_keep(ld, key);
        t->set_values[t->n_set++] = ld_keep(ld, json_string_value(val));
    }
    for (size_t i = 0; (t->events & MODEL_ON_RETIRE) && i < t->n_set; i++)
        if (strcmp(t->set_values[i], "$id") == 0)
            return ld_fail(ld, ld_sub(ld, ld_sub(ld, path, "set"), t->set_fields[i]),
                           "a record made on a retirement cannot refer to the retired record");
    if (unless && (ld_cond(ld, unless, ld_sub(ld, path, "unless"), &t->unless) ||
                   ld_check_cond(ld, ld_sub(ld, path, "unless"), t->make, &t->unless)))
        return -1;
    bool owner_set = false;
    for (size_t i = 0; i < t->n_set; i++)
        owner_set = owner_set || strcmp(t->set_fields[i], "owner") == 0;
    if (t->make->owned && !owner_set)
        return ld_fail(ld, ld_sub(ld, path, "set"), "'%s' is owned: the trigger sets its owner",
                       t->make->id);
    return 0;
}

int parse_triggers(struct loader *ld)
{
    json_t *in;
    if (ld_member(ld, ld->root, "triggers", "", JSON_ARRAY, false, &in))
        return -1;
    if (!in)
        return 0;
    ld->m->triggers = arena_calloc(ld->m->arena, json_array_size(in) + 1, sizeof *ld->m->triggers);
    for (size_t i = 0; i < json_array_size(in); i++)
        if (parse_trigger(ld, json_array_get(in, i), ld_idx(ld, "triggers", i),
                          &ld->m->triggers[ld->m->n_triggers++]))
            return -1;
    return 0;
}

size_t model_n_triggers(const struct model *m)
{
    return m->n_triggers;
}

const struct model_trigger *model_trigger_at(const struct model *m, size_t i)
{
    return i < m->n_triggers ? &m->triggers[i] : NULL;
}
