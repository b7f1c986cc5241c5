/* measures: computed measures declared in the metamodel (the section
 * "measures" says what is counted and when an item counts as done; a kind's
 * "measures" says which records a record of the kind is measured over, as
 * paths of steps from it). The registry computes them (registry/measure.c);
 * the engine knows no measure, kind or field by name. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const MEASURE_KEYS[] = {"label", "items", "done", NULL};
static const char *const DONE_KEYS[] = {"ref", "when", NULL};
static const char *const STEP_KEYS[] = {"ref",       "referenced_by", "kinds", "relation",
                                        "direction", "repeat",        NULL};

/* A set of kind ids met along a path (scratch of the load). */
struct kinds {
    const char **ids;
    size_t n;
};

static bool kinds_has(const struct kinds *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->ids[i], id) == 0)
            return true;
    return false;
}

static void kinds_add(struct loader *ld, struct kinds *s, const char *id)
{
    if (kinds_has(s, id))
        return;
    const char **ids = arena_alloc(ld->tmp, (s->n + 1) * sizeof *ids);
    if (s->n)
        memcpy(ids, s->ids, s->n * sizeof *ids);
    ids[s->n++] = id;
    s->ids = ids;
}

static int parse_measure(struct loader *ld, const char *id, const json_t *v,
                         struct model_measure *out)
{
    const char *path = ld_sub(ld, "measures", id), *dp = ld_sub(ld, path, "done");
    json_t *done, *when;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, MEASURE_KEYS) || ld_label(ld, v, "label", path, &out->label) ||
        ld_string(ld, v, "items", path, true, &out->items) ||
        ld_member(ld, v, "done", path, JSON_OBJECT, true, &done) ||
        ld_check_keys(ld, done, dp, DONE_KEYS) ||
        ld_string(ld, done, "ref", dp, true, &out->done_ref) ||
        ld_member(ld, done, "when", dp, JSON_OBJECT, true, &when) ||
        ld_cond(ld, when, ld_sub(ld, dp, "when"), &out->done_when))
        return -1;
    out->id = ld_keep(ld, id);
    out->items = ld_keep(ld, out->items);
    out->done_ref = ld_keep(ld, out->done_ref);
    return 0;
}

/* May records of kind `kind` be the source (out) or target end of rel? */
static bool end_admits(const struct model_kind *rel, bool out, const char *kind)
{
    const struct model_field *f = model_field(rel, out ? "source" : "target");
    for (size_t i = 0; f && i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* The kinds a ref step reaches from `from` (the closure when it repeats);
 * at least one kind of `from` must have the field as a single ref. */
static int step_ref(struct loader *ld, const char *sp, struct model_step *st,
                    const struct kinds *from, struct kinds *to)
{
    struct kinds at = *from;
    bool any = false;
    for (size_t i = 0; i < at.n; i++) {
        const struct model_field *f = model_field(model_kind(ld->m, at.ids[i]), st->field);
        if (f && f->type == FT_LIST && f->item->type == FT_REF)
            f = f->item; /* a list of refs: each of them */
        if (!f || f->type != FT_REF)
            continue;
        any = true;
        for (size_t t = 0; t < f->n_ref_kinds; t++) {
            kinds_add(ld, to, f->ref_kinds[t]);
            if (st->repeat)
                kinds_add(ld, &at, f->ref_kinds[t]);
        }
    }
    if (!any)
        return ld_fail(ld, ld_sub(ld, sp, "ref"),
                       "'%s' is not a ref field (or a list of refs) of '%s'", st->field,
                       from->ids[0]);
    return 0;
}

/* Each kind listed has the field as a ref that may name a kind of `from`. */
static int step_referenced_by(struct loader *ld, const char *sp, const json_t *v,
                              struct model_step *st, const struct kinds *from, struct kinds *to)
{
    json_t *ks;
    if (ld_member(ld, v, "kinds", sp, JSON_ARRAY, true, &ks) ||
        ld_strings(ld, ks, ld_sub(ld, sp, "kinds"), true, &st->kinds, &st->n_kinds))
        return -1;
    for (size_t i = 0; i < st->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, st->kinds[i]);
        const struct model_field *f = k && !k->is_relation ? model_field(k, st->field) : NULL;
        bool names = false;
        for (size_t t = 0; f && f->type == FT_REF && t < f->n_ref_kinds; t++)
            names = names || kinds_has(from, f->ref_kinds[t]);
        if (!names)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, sp, "kinds"), i),
                           "kind '%s' has no ref field '%s' that may name a '%s'", st->kinds[i],
                           st->field, from->ids[0]);
        kinds_add(ld, to, k->id);
    }
    return 0;
}

static int step_relation(struct loader *ld, const char *sp, const json_t *v, struct model_step *st,
                         const struct kinds *from, struct kinds *to)
{
    const char *dir = NULL;
    if (ld_string(ld, v, "direction", sp, true, &dir))
        return -1;
    const struct model_kind *rel = model_kind(ld->m, st->relation);
    if (!rel || !rel->is_relation)
        return ld_fail(ld, ld_sub(ld, sp, "relation"), "unknown relation type '%s'", st->relation);
    if (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0)
        return ld_fail(ld, ld_sub(ld, sp, "direction"), "must be \"out\" or \"in\"");
    st->out = strcmp(dir, "out") == 0;
    bool any = false;
    for (size_t i = 0; i < from->n; i++)
        any = any || end_admits(rel, st->out, from->ids[i]);
    if (!any)
        return ld_fail(ld, ld_sub(ld, sp, "relation"), "kind '%s' cannot be the %s of '%s'",
                       from->ids[0], st->out ? "source" : "target", rel->id);
    const struct model_field *other = model_field(rel, st->out ? "target" : "source");
    for (size_t t = 0; t < other->n_ref_kinds; t++)
        kinds_add(ld, to, other->ref_kinds[t]);
    return 0;
}

static int parse_step(struct loader *ld, const char *sp, const json_t *v, struct model_step *st,
                      struct kinds *at)
{
    const char *ref = NULL, *by = NULL, *rel = NULL;
    if (ld_want_object(ld, v, sp) || ld_check_keys(ld, v, sp, STEP_KEYS) ||
        ld_string(ld, v, "ref", sp, false, &ref) ||
        ld_string(ld, v, "referenced_by", sp, false, &by) ||
        ld_string(ld, v, "relation", sp, false, &rel) || ld_bool(ld, v, "repeat", sp, &st->repeat))
        return -1;
    if ((ref != NULL) + (by != NULL) + (rel != NULL) != 1)
        return ld_fail(ld, sp, "needs exactly one of \"ref\", \"referenced_by\", \"relation\"");
    if (rel && st->repeat)
        return ld_fail(ld, ld_sub(ld, sp, "repeat"), "only a ref or referenced_by step repeats");
    struct kinds to = {0};
    int rc;
    if (ref) {
        st->type = MSTEP_REF;
        st->field = ld_keep(ld, ref);
        rc = step_ref(ld, sp, st, at, &to);
    } else if (by) {
        st->type = MSTEP_REFERENCED_BY;
        st->field = ld_keep(ld, by);
        rc = step_referenced_by(ld, sp, v, st, at, &to);
        for (size_t i = 0; rc == 0 && st->repeat && i < st->n_kinds; i++)
            kinds_add(ld, &to, st->kinds[i]);
    } else {
        st->type = MSTEP_RELATION;
        st->relation = ld_keep(ld, rel);
        rc = step_relation(ld, sp, v, st, at, &to);
    }
    *at = to;
    return rc;
}

/* The items field of the kinds a path ends at: a list of objects whose
 * done_ref sub-field is a ref to kinds on which done_when can be judged;
 * some kind reached must have it. */
static int check_ends(struct loader *ld, const char *pp, const struct model_measure *ms,
                      const struct kinds *ends)
{
    bool any = false;
    for (size_t i = 0; i < ends->n; i++) {
        const struct model_field *f = model_field(model_kind(ld->m, ends->ids[i]), ms->items);
        if (!f)
            continue;
        const struct model_field *sub = NULL;
        for (size_t j = 0; f->type == FT_LIST && f->item->type == FT_OBJECT && j < f->item->n_sub;
             j++)
            if (strcmp(f->item->sub[j].name, ms->done_ref) == 0)
                sub = &f->item->sub[j];
        if (!sub || sub->type != FT_REF)
            return ld_fail(ld, pp, "'%s' of kind '%s' is not a list of objects with a ref '%s'",
                           ms->items, ends->ids[i], ms->done_ref);
        for (size_t t = 0; t < sub->n_ref_kinds; t++)
            if (ld_check_cond(
                    ld, ld_sub(ld, ld_sub(ld, ld_sub(ld, "measures", ms->id), "done"), "when"),
                    model_kind(ld->m, sub->ref_kinds[t]), &ms->done_when))
                return -1;
        any = true;
    }
    if (!any)
        return ld_fail(ld, pp, "no kind the path reaches has the field '%s'", ms->items);
    return 0;
}

static int parse_path(struct loader *ld, const char *pp, const json_t *v,
                      const struct model_kind *k, const struct model_measure *ms,
                      struct model_path *out)
{
    if (!json_is_array(v))
        return ld_fail(ld, pp, "must be an array of steps (empty: the record itself)");
    out->n_steps = json_array_size(v);
    out->steps = arena_calloc(ld->m->arena, out->n_steps + 1, sizeof *out->steps);
    struct kinds at = {0};
    kinds_add(ld, &at, k->id);
    for (size_t i = 0; i < out->n_steps; i++)
        if (parse_step(ld, ld_idx(ld, pp, i), json_array_get(v, i), &out->steps[i], &at))
            return -1;
    return check_ends(ld, pp, ms, &at);
}

/* kinds.<id>.measures: {"<measure>": [path, …]} */
static int parse_kind_measures(struct loader *ld, struct model_kind *k)
{
    const char *kp = ld_sub(ld, ld_sub(ld, "kinds", k->id), "measures"), *id;
    json_t *in, *paths;
    if (ld_member(ld, json_object_get(ld->kinds_in, k->id), "measures", ld_sub(ld, "kinds", k->id),
                  JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    k->measures = arena_calloc(ld->m->arena, json_object_size(in) + 1, sizeof *k->measures);
    json_object_foreach (in, id, paths) {
        const char *mp = ld_sub(ld, kp, id);
        struct model_kind_measure *km = &k->measures[k->n_measures++];
        if (!(km->measure = model_measure(ld->m, id)))
            return ld_fail(ld, mp, "'%s' is not a measure of the \"measures\" section", id);
        if (!json_is_array(paths) || json_array_size(paths) == 0)
            return ld_fail(ld, mp, "must be a non-empty array of paths");
        km->n_paths = json_array_size(paths);
        km->paths = arena_calloc(ld->m->arena, km->n_paths, sizeof *km->paths);
        for (size_t i = 0; i < km->n_paths; i++)
            if (parse_path(ld, ld_idx(ld, mp, i), json_array_get(paths, i), k, km->measure,
                           &km->paths[i]))
                return -1;
    }
    return 0;
}

/* kinds.<id>.profile: "<measure>", one the kind declares. */
static int parse_profile(struct loader *ld, struct model_kind *k)
{
    const char *kp = ld_sub(ld, "kinds", k->id), *id = NULL;
    if (ld_string(ld, json_object_get(ld->kinds_in, k->id), "profile", kp, false, &id) || !id)
        return id ? -1 : 0;
    if (!(k->profile = model_kind_measure(k, id)))
        return ld_fail(ld, ld_sub(ld, kp, "profile"), "'%s' is not a measure of the kind", id);
    return 0;
}

int parse_measures(struct loader *ld)
{
    struct model *m = ld->m;
    json_t *in, *v;
    const char *id;
    if (ld_member(ld, ld->root, "measures", "", JSON_OBJECT, false, &in))
        return -1;
    if (in) {
        m->measures = arena_calloc(m->arena, json_object_size(in) + 1, sizeof *m->measures);
        json_object_foreach (in, id, v)
            if (parse_measure(ld, id, v, &m->measures[m->n_measures++]))
                return -1;
    }
    for (size_t i = 0; i < m->n_kinds; i++)
        if (!m->kinds[i].is_relation &&
            (parse_kind_measures(ld, &m->kinds[i]) || parse_profile(ld, &m->kinds[i])))
            return -1;
    return 0;
}

const struct model_measure *model_measure(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_measures; i++)
        if (strcmp(m->measures[i].id, id) == 0)
            return &m->measures[i];
    return NULL;
}

const struct model_kind_measure *model_kind_measure(const struct model_kind *k, const char *id)
{
    for (size_t i = 0; k && i < k->n_measures; i++)
        if (strcmp(k->measures[i].measure->id, id) == 0)
            return &k->measures[i];
    return NULL;
}

json_t *measures_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_measures; i++) {
        const struct model_measure *ms = &m->measures[i];
        json_object_set_new(out, ms->id,
                            json_pack("{s:o, s:s, s:{s:s, s:o}}", "label",
                                      model_label_json(ms->label), "items", ms->items, "done",
                                      "ref", ms->done_ref, "when",
                                      model_cond_json(&ms->done_when)));
    }
    return out;
}

static json_t *step_json(const struct model_step *st)
{
    json_t *o;
    if (st->type == MSTEP_RELATION)
        return json_pack("{s:s, s:s}", "relation", st->relation, "direction",
                         st->out ? "out" : "in");
    o = json_pack("{s:s}", st->type == MSTEP_REF ? "ref" : "referenced_by", st->field);
    if (st->type == MSTEP_REFERENCED_BY) {
        json_t *ks = json_array();
        for (size_t i = 0; i < st->n_kinds; i++)
            json_array_append_new(ks, json_string(st->kinds[i]));
        json_object_set_new(o, "kinds", ks);
    }
    if (st->repeat)
        json_object_set_new(o, "repeat", json_true());
    return o;
}

json_t *kind_measures_json(const struct model_kind *k)
{
    json_t *out = json_object();
    for (size_t i = 0; i < k->n_measures; i++) {
        json_t *paths = json_array();
        for (size_t p = 0; p < k->measures[i].n_paths; p++) {
            json_t *steps = json_array();
            for (size_t s = 0; s < k->measures[i].paths[p].n_steps; s++)
                json_array_append_new(steps, step_json(&k->measures[i].paths[p].steps[s]));
            json_array_append_new(paths, steps);
        }
        json_object_set_new(out, k->measures[i].measure->id, paths);
    }
    return out;
}
