/* measures: computed measures declared in the metamodel (the section
 * "measures" says what is counted and when an item counts as done; a kind's
 * "measures" says which records a record of the kind is measured over, as
 * paths of steps from it, model/paths.c). The registry computes them
 * (registry/measure.c); the engine knows no measure, kind or field by
 * name. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const MEASURE_KEYS[] = {"label", "items", "done", NULL};
static const char *const DONE_KEYS[] = {"ref", "when", NULL};

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

/* The items field of the kinds a path ends at: a list of objects whose
 * done_ref sub-field is a ref to kinds on which done_when can be judged;
 * some kind reached must have it. */
static int check_ends(struct loader *ld, const char *pp, const struct model_measure *ms,
                      const struct ld_kinds *ends)
{
    bool any = false;
    for (size_t i = 0; i < ends->n; i++) {
        const char *kind = ld->m->kinds[i].id;
        const struct model_field *f =
            ends->has[i] ? model_field(&ld->m->kinds[i], ms->items) : NULL;
        if (!f)
            continue;
        const struct model_field *sub =
            f->type == FT_LIST ? model_sub_field(f->item, ms->done_ref) : NULL;
        if (!sub || sub->type != FT_REF)
            return ld_fail(ld, pp, "'%s' of kind '%s' is not a list of objects with a ref '%s'",
                           ms->items, kind, ms->done_ref);
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
    struct ld_kinds at = ld_kinds_new(ld);
    ld_kinds_add(&at, ld->m, k->id);
    if (ld_path(ld, v, pp, 0, &at, out))
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

json_t *kind_measures_json(const struct model_kind *k)
{
    json_t *out = json_object();
    for (size_t i = 0; i < k->n_measures; i++) {
        json_t *paths = json_array();
        for (size_t p = 0; p < k->measures[i].n_paths; p++) {
            json_array_append_new(paths, path_json(&k->measures[i].paths[p]));
        }
        json_object_set_new(out, k->measures[i].measure->id, paths);
    }
    return out;
}
