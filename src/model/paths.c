/* paths: a path of steps from a record to other records (issue 15), the
 * one shape the model's views (a section's "path") and measures (a kind's
 * "measures") declare: {"ref": field}, {"referenced_by": field, "kinds":
 * [...]}, {"relation": type, "direction": "out"|"in"}, a ref or
 * referenced_by step optionally with "repeat": true. The loader follows the
 * path through the kinds it can reach, so that a step that can never match
 * (a field no kind reached has, a relation that does not start there)
 * fails the load with its place in the file. The registry walks them
 * (registry/walk.c). */
#include "model/loader.h"

#include <string.h>

static const char *const STEP_KEYS[] = {"ref",       "referenced_by", "kinds", "relation",
                                        "direction", "repeat",        NULL};

struct ld_kinds ld_kinds_new(struct loader *ld)
{
    struct ld_kinds s = {arena_calloc(ld->tmp, ld->m->n_kinds + 1, sizeof(bool)), ld->m->n_kinds};
    return s;
}

static size_t kind_index(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_kinds; i++)
        if (strcmp(m->kinds[i].id, id) == 0)
            return i;
    return m->n_kinds;
}

void ld_kinds_add(struct ld_kinds *s, const struct model *m, const char *id)
{
    size_t at = kind_index(m, id);
    if (at < s->n)
        s->has[at] = true;
}

void ld_kinds_union(struct ld_kinds *s, const struct ld_kinds *t)
{
    for (size_t i = 0; i < s->n && i < t->n; i++)
        s->has[i] = s->has[i] || t->has[i];
}

static void kinds_add_all(struct ld_kinds *s, const struct model *m, const char *const *ids,
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        ld_kinds_add(s, m, ids[i]);
}

bool ld_kinds_any(const struct ld_kinds *s, const struct model *m, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t at = kind_index(m, ids[i]);
        if (at < s->n && s->has[at])
            return true;
    }
    return false;
}

const struct model_field *ld_ref_field(const struct model_kind *k, const char *name)
{
    const struct model_field *f = k ? model_field(k, name) : NULL;
    if (f && f->type == FT_LIST)
        f = f->item;
    return f && f->type == FT_REF ? f : NULL;
}

/* {"ref": field}: the kinds its `to` names, from every kind reached that
 * has it (with repeat, again from those, to a fixed point). */
static int step_ref(struct loader *ld, const char *path, const struct model_step *st,
                    struct ld_kinds *at)
{
    const struct model *m = ld->m;
    struct ld_kinds next = ld_kinds_new(ld), from = ld_kinds_new(ld);
    ld_kinds_union(&from, at);
    bool found = false, grew = true;
    while (grew) {
        grew = false;
        for (size_t i = 0; i < from.n; i++) {
            const struct model_field *f =
                from.has[i] ? ld_ref_field(&m->kinds[i], st->field) : NULL;
            for (size_t t = 0; f && t < f->n_ref_kinds; t++) {
                size_t to = kind_index(m, f->ref_kinds[t]);
                if (to < next.n && !next.has[to]) {
                    next.has[to] = true;
                    grew = st->repeat;
                    from.has[to] = from.has[to] || st->repeat;
                }
            }
            found = found || f;
        }
    }
    if (!found)
        return ld_fail(ld, ld_sub(ld, path, "ref"), "no kind reached here has a ref field '%s'",
                       st->field);
    *at = next;
    return 0;
}

/* {"referenced_by": field, "kinds": [...]}: each kind's field refers to a
 * kind reached (with repeat, the kinds listed are reached too). */
static int step_referenced_by(struct loader *ld, const char *path, const json_t *v,
                              struct model_step *st, struct ld_kinds *at)
{
    const struct model *m = ld->m;
    json_t *kinds;
    if (ld_member(ld, v, "kinds", path, JSON_ARRAY, true, &kinds) ||
        ld_strings(ld, kinds, ld_sub(ld, path, "kinds"), true, &st->kinds, &st->n_kinds))
        return -1;
    struct ld_kinds next = ld_kinds_new(ld), from = ld_kinds_new(ld);
    ld_kinds_union(&from, at);
    if (st->repeat)
        kinds_add_all(&from, m, st->kinds, st->n_kinds);
    for (size_t i = 0; i < st->n_kinds; i++) {
        const char *kp = ld_idx(ld, ld_sub(ld, path, "kinds"), i);
        const struct model_kind *k = model_kind(m, st->kinds[i]);
        if (!k || k->is_relation)
            return ld_fail(ld, kp, "unknown record kind '%s'", st->kinds[i]);
        const struct model_field *f = ld_ref_field(k, st->field);
        if (!f)
            return ld_fail(ld, kp, "kind '%s' has no ref field '%s'", k->id, st->field);
        if (!ld_kinds_any(&from, m, f->ref_kinds, f->n_ref_kinds))
            return ld_fail(ld, kp, "'%s.%s' refers to no kind reached here", k->id, st->field);
        ld_kinds_add(&next, m, k->id);
    }
    *at = next;
    return 0;
}

/* {"relation": type, "direction": "out"|"in"}: the type starts (out) or
 * ends (in) at a kind reached; its other ends are reached. */
static int step_relation(struct loader *ld, const char *path, const json_t *v,
                         struct model_step *st, struct ld_kinds *at)
{
    const struct model *m = ld->m;
    const char *dir;
    if (ld_string(ld, v, "direction", path, true, &dir))
        return -1;
    if (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0)
        return ld_fail(ld, ld_sub(ld, path, "direction"), "must be 'out' or 'in', not '%s'", dir);
    st->out = strcmp(dir, "out") == 0;
    const struct model_kind *rk = model_kind(m, st->relation);
    if (!rk || !rk->is_relation)
        return ld_fail(ld, ld_sub(ld, path, "relation"), "unknown relation type '%s'",
                       st->relation);
    const struct model_field *near = model_field(rk, st->out ? "source" : "target");
    const struct model_field *far = model_field(rk, st->out ? "target" : "source");
    if (!ld_kinds_any(at, m, near->ref_kinds, near->n_ref_kinds))
        return ld_fail(ld, ld_sub(ld, path, "relation"), "'%s' %s no kind reached here",
                       st->relation, st->out ? "starts at" : "ends at");
    struct ld_kinds next = ld_kinds_new(ld);
    kinds_add_all(&next, m, far->ref_kinds, far->n_ref_kinds);
    *at = next;
    return 0;
}

static int parse_step(struct loader *ld, const json_t *v, const char *path, struct model_step *st,
                      struct ld_kinds *at)
{
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, STEP_KEYS))
        return -1;
    int n = !!json_object_get(v, "ref") + !!json_object_get(v, "referenced_by") +
            !!json_object_get(v, "relation");
    if (n != 1)
        return ld_fail(ld, path, "a step has exactly one of 'ref', 'referenced_by', 'relation'");
    if (json_object_get(v, "kinds") && !json_object_get(v, "referenced_by"))
        return ld_fail(ld, ld_sub(ld, path, "kinds"), "only a 'referenced_by' step has kinds");
    if (json_object_get(v, "direction") && !json_object_get(v, "relation"))
        return ld_fail(ld, ld_sub(ld, path, "direction"), "only a 'relation' step has a direction");
    if (json_object_get(v, "repeat") && json_object_get(v, "relation"))
        return ld_fail(ld, ld_sub(ld, path, "repeat"), "only a ref or referenced_by step repeats");
    if (ld_string(ld, v, "ref", path, false, &st->field) ||
        (!st->field && ld_string(ld, v, "referenced_by", path, false, &st->field)) ||
        ld_string(ld, v, "relation", path, false, &st->relation) ||
        ld_bool(ld, v, "repeat", path, &st->repeat))
        return -1;
    st->field = st->field ? ld_keep(ld, st->field) : NULL;
    st->relation = st->relation ? ld_keep(ld, st->relation) : NULL;
    if (json_object_get(v, "ref")) {
        st->type = STEP_REF;
        return step_ref(ld, path, st, at);
    }
    if (st->field) {
        st->type = STEP_REFERENCED_BY;
        return step_referenced_by(ld, path, v, st, at);
    }
    st->type = STEP_RELATION;
    return step_relation(ld, path, v, st, at);
}

int ld_path(struct loader *ld, const json_t *v, const char *path, size_t min_steps,
            struct ld_kinds *at, struct model_path *out)
{
    if (!json_is_array(v))
        return ld_fail(ld, path, "must be an array of steps%s",
                       min_steps ? "" : " (empty: the record itself)");
    size_t n = json_array_size(v);
    if (n < min_steps || n > MODEL_PATH_MAX_STEPS)
        return ld_fail(ld, path, "must have %zu to %d steps", min_steps, MODEL_PATH_MAX_STEPS);
    out->steps = arena_calloc(ld->m->arena, n + 1, sizeof *out->steps);
    for (size_t i = 0; i < n; i++)
        if (parse_step(ld, json_array_get(v, i), ld_idx(ld, path, i), &out->steps[i], at))
            return -1;
    out->n_steps = n;
    return 0;
}

json_t *path_json(const struct model_path *p)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct model_step *st = &p->steps[i];
        json_t *o;
        if (st->type == STEP_RELATION)
            o = json_pack("{s:s, s:s}", "relation", st->relation, "direction",
                          st->out ? "out" : "in");
        else if (st->type == STEP_REF)
            o = json_pack("{s:s}", "ref", st->field);
        else
            o = json_pack("{s:s, s:o}", "referenced_by", st->field, "kinds",
                          strings_json(st->kinds, st->n_kinds));
        if (st->repeat)
            json_object_set_new(o, "repeat", json_true());
        json_array_append_new(steps, o);
    }
    return steps;
}
