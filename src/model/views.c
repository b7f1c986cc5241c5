/* views: the "views" key of a kind (issue 15): named sections of records
 * reached from a record by paths of steps (model/paths.c: its ref fields,
 * the records that refer to it, its relations), and diagrams over them. */
#include "model/loader.h"

#include <string.h>

#define VIEW_MAX_SECTIONS 32

static const char *const VIEW_KEYS[] = {"label", "fields", "sections", "diagrams", NULL};
static const char *const SECTION_KEYS[] = {"name", "label", "from", "path", NULL};
static const char *const DIAGRAM_KEYS[] = {"name", "label", "sections", "relations", "refs", NULL};

/* A section; reached[] holds the kinds of the sections before it and gets
 * its own. */
static int parse_section(struct loader *ld, const struct model_kind *k, const json_t *v,
                         const char *path, struct model_view *view, struct ld_kinds *reached)
{
    struct model_view_section *s = &view->sections[view->n_sections];
    json_t *from, *steps;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, SECTION_KEYS) ||
        ld_string(ld, v, "name", path, true, &s->name) ||
        ld_name(ld, s->name, ld_sub(ld, path, "name")) ||
        ld_label(ld, v, "label", path, &s->label) ||
        ld_member(ld, v, "from", path, JSON_ARRAY, false, &from) ||
        ld_member(ld, v, "path", path, JSON_ARRAY, true, &steps))
        return -1;
    if (model_view_section(view, s->name))
        return ld_fail(ld, ld_sub(ld, path, "name"), "section '%s' twice in the view", s->name);
    struct ld_kinds at = ld_kinds_new(ld);
    if (from) {
        if (ld_strings(ld, from, ld_sub(ld, path, "from"), true, &s->from, &s->n_from))
            return -1;
        for (size_t j = 0; j < s->n_from; j++) {
            const struct model_view_section *fs = model_view_section(view, s->from[j]);
            if (!fs)
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "from"), j),
                               "'%s' is not a section before this one", s->from[j]);
            size_t fi = (size_t)(fs - view->sections);
            ld_kinds_union(&at, &reached[fi]);
        }
    } else {
        ld_kinds_add(&at, ld->m, k->id);
    }
    if (ld_path(ld, steps, ld_sub(ld, path, "path"), 1, &at, &s->path))
        return -1;
    s->name = ld_keep(ld, s->name);
    reached[view->n_sections++] = at;
    return 0;
}

static int parse_diagram(struct loader *ld, const json_t *v, const char *path,
                         const struct model_view *view, const struct ld_kinds *reached,
                         struct model_view_diagram *d)
{
    json_t *secs, *rels, *refs;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, DIAGRAM_KEYS) ||
        ld_string(ld, v, "name", path, true, &d->name) ||
        ld_name(ld, d->name, ld_sub(ld, path, "name")) ||
        ld_label(ld, v, "label", path, &d->label) ||
        ld_member(ld, v, "sections", path, JSON_ARRAY, true, &secs) ||
        ld_strings(ld, secs, ld_sub(ld, path, "sections"), true, &d->sections, &d->n_sections) ||
        ld_member(ld, v, "relations", path, JSON_ARRAY, false, &rels) ||
        (rels && ld_strings(ld, rels, ld_sub(ld, path, "relations"), false, &d->relations,
                            &d->n_relations)) ||
        ld_member(ld, v, "refs", path, JSON_ARRAY, false, &refs) ||
        (refs && ld_strings(ld, refs, ld_sub(ld, path, "refs"), false, &d->refs, &d->n_refs)))
        return -1;
    d->name = ld_keep(ld, d->name);
    if (d->n_relations + d->n_refs == 0)
        return ld_fail(ld, path, "a diagram draws some 'relations' or 'refs'");
    struct ld_kinds drawn = ld_kinds_new(ld);
    for (size_t i = 0; i < d->n_sections; i++) {
        const struct model_view_section *s = model_view_section(view, d->sections[i]);
        if (!s)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "sections"), i),
                           "'%s' is not a section of the view", d->sections[i]);
        const struct ld_kinds *r = &reached[s - view->sections];
        ld_kinds_union(&drawn, r);
    }
    for (size_t i = 0; i < d->n_relations; i++) {
        const struct model_kind *rk = model_kind(ld->m, d->relations[i]);
        const struct model_field *src = rk && rk->is_relation ? model_field(rk, "source") : NULL;
        const struct model_field *dst = rk && rk->is_relation ? model_field(rk, "target") : NULL;
        const char *rp = ld_idx(ld, ld_sub(ld, path, "relations"), i);
        if (!src)
            return ld_fail(ld, rp, "unknown relation type '%s'", d->relations[i]);
        if (!ld_kinds_any(&drawn, ld->m, src->ref_kinds, src->n_ref_kinds) ||
            !ld_kinds_any(&drawn, ld->m, dst->ref_kinds, dst->n_ref_kinds))
            return ld_fail(ld, rp, "'%s' joins no two kinds of the diagram's sections",
                           d->relations[i]);
    }
    for (size_t i = 0; i < d->n_refs; i++) {
        bool found = false;
        for (size_t t = 0; t < drawn.n; t++)
            found = found || (drawn.has[t] && ld_ref_field(&ld->m->kinds[t], d->refs[i]));
        if (!found)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "refs"), i),
                           "no kind of the diagram's sections has a ref field '%s'", d->refs[i]);
    }
    return 0;
}

static int parse_view(struct loader *ld, const struct model_kind *k, const char *name,
                      const json_t *v, const char *path, struct model_view *view)
{
    json_t *fields, *secs, *diags, *x;
    size_t i;
    if (ld_name(ld, name, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, VIEW_KEYS) || ld_label(ld, v, "label", path, &view->label) ||
        ld_member(ld, v, "fields", path, JSON_ARRAY, false, &fields) ||
        (fields &&
         ld_strings(ld, fields, ld_sub(ld, path, "fields"), false, &view->fields, &view->n_fields)) ||
        ld_member(ld, v, "sections", path, JSON_ARRAY, true, &secs) ||
        ld_member(ld, v, "diagrams", path, JSON_ARRAY, false, &diags))
        return -1;
    view->name = ld_keep(ld, name);
    for (i = 0; i < view->n_fields; i++) {
        const struct model_field *f = model_field(k, view->fields[i]);
        if (!f || f->restricted)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "fields"), i),
                           "'%s' is not a field of the kind (restricted ones are not shown)",
                           view->fields[i]);
    }
    size_t n = json_array_size(secs);
    if (n == 0 || n > VIEW_MAX_SECTIONS)
        return ld_fail(ld, ld_sub(ld, path, "sections"), "must have 1 to %d sections",
                       VIEW_MAX_SECTIONS);
    view->sections = arena_calloc(ld->m->arena, n, sizeof *view->sections);
    struct ld_kinds *reached = arena_calloc(ld->tmp, n, sizeof *reached);
    json_array_foreach (secs, i, x)
        if (parse_section(ld, k, x, ld_idx(ld, ld_sub(ld, path, "sections"), i), view, reached))
            return -1;
    view->diagrams = arena_calloc(ld->m->arena, json_array_size(diags) + 1, sizeof *view->diagrams);
    json_array_foreach (diags, i, x) {
        struct model_view_diagram *d = &view->diagrams[i];
        if (parse_diagram(ld, x, ld_idx(ld, ld_sub(ld, path, "diagrams"), i), view, reached, d))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(view->diagrams[j].name, d->name) == 0)
                return ld_fail(ld, ld_sub(ld, ld_idx(ld, ld_sub(ld, path, "diagrams"), i), "name"),
                               "diagram '%s' twice in the view", d->name);
        view->n_diagrams++;
    }
    return 0;
}

int parse_views(struct loader *ld)
{
    struct model *m = ld->m;
    for (size_t i = 0; i < m->n_kinds; i++) {
        struct model_kind *k = &m->kinds[i];
        json_t *views, *v;
        const char *name, *path = ld_sub(ld, "kinds", k->id);
        if (k->is_relation)
            continue;
        if (ld_member(ld, json_object_get(ld->kinds_in, k->id), "views", path, JSON_OBJECT, false,
                      &views))
            return -1;
        if (!views)
            continue;
        k->views = arena_calloc(m->arena, json_object_size(views) + 1, sizeof *k->views);
        json_object_foreach (views, name, v) {
            if (parse_view(ld, k, name, v, ld_sub(ld, ld_sub(ld, path, "views"), name),
                           &k->views[k->n_views]))
                return -1;
            k->n_views++;
        }
    }
    return 0;
}

const struct model_view *model_view(const struct model_kind *k, const char *name)
{
    for (size_t i = 0; k && name && i < k->n_views; i++)
        if (strcmp(k->views[i].name, name) == 0)
            return &k->views[i];
    return NULL;
}

const struct model_view_section *model_view_section(const struct model_view *v, const char *name)
{
    for (size_t i = 0; v && name && i < v->n_sections; i++)
        if (v->sections[i].name && strcmp(v->sections[i].name, name) == 0)
            return &v->sections[i];
    return NULL;
}

json_t *views_json(const struct model_kind *k)
{
    json_t *o = json_object();
    for (size_t i = 0; i < k->n_views; i++) {
        const struct model_view *v = &k->views[i];
        json_t *secs = json_array(), *diags = json_array();
        for (size_t j = 0; j < v->n_sections; j++) {
            const struct model_view_section *s = &v->sections[j];
            json_t *so = json_pack("{s:s, s:o, s:o}", "name", s->name, "label",
                                   model_label_json(s->label), "path", path_json(&s->path));
            if (s->n_from)
                json_object_set_new(so, "from", strings_json(s->from, s->n_from));
            json_array_append_new(secs, so);
        }
        for (size_t j = 0; j < v->n_diagrams; j++) {
            const struct model_view_diagram *d = &v->diagrams[j];
            json_array_append_new(
                diags, json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", d->name, "label",
                                 model_label_json(d->label), "sections",
                                 strings_json(d->sections, d->n_sections), "relations",
                                 strings_json(d->relations, d->n_relations), "refs",
                                 strings_json(d->refs, d->n_refs)));
        }
        json_object_set_new(o, v->name,
                            json_pack("{s:o, s:o, s:o, s:o}", "label", model_label_json(v->label),
                                      "fields", strings_json(v->fields, v->n_fields), "sections", secs,
                                      "diagrams", diags));
    }
    return o;
}
