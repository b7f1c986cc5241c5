/* views: the "views" key of a kind (issue 15): named sections of records
 * reached from a record by paths of steps (its ref fields, the records
 * that refer to it, its relations), and diagrams over them. The loader
 * follows each path through the kinds it can reach, so that a step that
 * can never match (a field no kind reached has, a relation that does not
 * start there) fails the load with its path in the file. */
#include "model/loader.h"

#include <string.h>

#define VIEW_MAX_STEPS 8
#define VIEW_MAX_SECTIONS 32

static const char *const VIEW_KEYS[] = {"label", "fields", "sections", "diagrams", NULL};
static const char *const SECTION_KEYS[] = {"name", "label", "from", "path", NULL};
static const char *const STEP_KEYS[] = {"ref", "referenced_by", "kinds", "relation", "direction",
                                        NULL};
static const char *const DIAGRAM_KEYS[] = {"name", "label", "sections", "relations", "refs", NULL};

/* A set of record kinds, one flag per kind of the model (scratch). */
struct kset {
    bool *has;
    size_t n; /* the model's kinds */
};

static struct kset kset_new(struct loader *ld)
{
    struct kset s = {arena_calloc(ld->tmp, ld->m->n_kinds + 1, sizeof(bool)), ld->m->n_kinds};
    return s;
}

static size_t kind_index(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_kinds; i++)
        if (strcmp(m->kinds[i].id, id) == 0)
            return i;
    return m->n_kinds;
}

static void kset_add(struct kset *s, const struct model *m, const char *id)
{
    s->has[kind_index(m, id)] = kind_index(m, id) < s->n;
}

static void kset_add_all(struct kset *s, const struct model *m, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kset_add(s, m, ids[i]);
}

static bool kset_any(const struct kset *s, const struct model *m, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t at = kind_index(m, ids[i]);
        if (at < s->n && s->has[at])
            return true;
    }
    return false;
}

/* A ref field, or a list of refs: the field whose `to` a step follows. */
static const struct model_field *ref_field(const struct model_kind *k, const char *name)
{
    const struct model_field *f = model_field(k, name);
    if (f && f->type == FT_LIST)
        f = f->item;
    return f && f->type == FT_REF ? f : NULL;
}

/* {"ref": field}: the kinds its `to` names, from every kind reached that
 * has it. */
static int step_ref(struct loader *ld, const char *path, struct model_view_step *st,
                    struct kset *at)
{
    const struct model *m = ld->m;
    struct kset next = kset_new(ld);
    bool found = false;
    for (size_t i = 0; i < at->n; i++) {
        const struct model_field *f = at->has[i] ? ref_field(&m->kinds[i], st->field) : NULL;
        if (f) {
            kset_add_all(&next, m, f->ref_kinds, f->n_ref_kinds);
            found = true;
        }
    }
    if (!found)
        return ld_fail(ld, ld_sub(ld, path, "ref"), "no kind reached here has a ref field '%s'",
                       st->field);
    *at = next;
    return 0;
}

/* {"referenced_by": field, "kinds": [...]}: each kind's field refers to a
 * kind reached. */
static int step_referenced_by(struct loader *ld, const char *path, const json_t *v,
                              struct model_view_step *st, struct kset *at)
{
    const struct model *m = ld->m;
    json_t *kinds;
    if (ld_member(ld, v, "kinds", path, JSON_ARRAY, true, &kinds) ||
        ld_strings(ld, kinds, ld_sub(ld, path, "kinds"), true, &st->kinds, &st->n_kinds))
        return -1;
    struct kset next = kset_new(ld);
    for (size_t i = 0; i < st->n_kinds; i++) {
        const char *kp = ld_idx(ld, ld_sub(ld, path, "kinds"), i);
        const struct model_kind *k = model_kind(m, st->kinds[i]);
        if (!k || k->is_relation)
            return ld_fail(ld, kp, "unknown record kind '%s'", st->kinds[i]);
        const struct model_field *f = ref_field(k, st->field);
        if (!f)
            return ld_fail(ld, kp, "kind '%s' has no ref field '%s'", k->id, st->field);
        if (!kset_any(at, m, f->ref_kinds, f->n_ref_kinds))
            return ld_fail(ld, kp, "'%s.%s' refers to no kind reached here", k->id, st->field);
        kset_add(&next, m, k->id);
    }
    *at = next;
    return 0;
}

/* {"relation": type, "direction": "out"|"in"}: the type starts (out) or
 * ends (in) at a kind reached; its other ends are reached. */
static int step_relation(struct loader *ld, const char *path, const json_t *v,
                         struct model_view_step *st, struct kset *at)
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
    if (!kset_any(at, m, near->ref_kinds, near->n_ref_kinds))
        return ld_fail(ld, ld_sub(ld, path, "relation"), "'%s' %s no kind reached here",
                       st->relation, st->out ? "starts at" : "ends at");
    struct kset next = kset_new(ld);
    kset_add_all(&next, m, far->ref_kinds, far->n_ref_kinds);
    *at = next;
    return 0;
}

static int parse_step(struct loader *ld, const json_t *v, const char *path,
                      struct model_view_step *st, struct kset *at)
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
    if (ld_string(ld, v, "ref", path, false, &st->field) ||
        (!st->field && ld_string(ld, v, "referenced_by", path, false, &st->field)) ||
        ld_string(ld, v, "relation", path, false, &st->relation))
        return -1;
    st->field = st->field ? ld_keep(ld, st->field) : NULL;
    st->relation = st->relation ? ld_keep(ld, st->relation) : NULL;
    if (json_object_get(v, "ref")) {
        st->type = VIEW_REF;
        return step_ref(ld, path, st, at);
    }
    if (st->field) {
        st->type = VIEW_REFERENCED_BY;
        return step_referenced_by(ld, path, v, st, at);
    }
    st->type = VIEW_RELATION;
    return step_relation(ld, path, v, st, at);
}

/* A section; reached[] holds the kinds of the sections before it and gets
 * its own. */
static int parse_section(struct loader *ld, const struct model_kind *k, const json_t *v,
                         const char *path, struct model_view *view, struct kset *reached)
{
    struct model_view_section *s = &view->sections[view->n_sections];
    json_t *from, *steps, *x;
    size_t i;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, SECTION_KEYS) ||
        ld_string(ld, v, "name", path, true, &s->name) ||
        ld_name(ld, s->name, ld_sub(ld, path, "name")) ||
        ld_label(ld, v, "label", path, &s->label) ||
        ld_member(ld, v, "from", path, JSON_ARRAY, false, &from) ||
        ld_member(ld, v, "path", path, JSON_ARRAY, true, &steps))
        return -1;
    if (model_view_section(view, s->name))
        return ld_fail(ld, ld_sub(ld, path, "name"), "section '%s' twice in the view", s->name);
    struct kset at = kset_new(ld);
    if (from) {
        if (ld_strings(ld, from, ld_sub(ld, path, "from"), true, &s->from, &s->n_from))
            return -1;
        for (size_t j = 0; j < s->n_from; j++) {
            const struct model_view_section *fs = model_view_section(view, s->from[j]);
            if (!fs)
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "from"), j),
                               "'%s' is not a section before this one", s->from[j]);
            size_t fi = (size_t)(fs - view->sections);
            for (size_t t = 0; t < at.n; t++)
                at.has[t] = at.has[t] || reached[fi].has[t];
        }
    } else {
        kset_add(&at, ld->m, k->id);
    }
    size_t n = json_array_size(steps);
    if (n == 0 || n > VIEW_MAX_STEPS)
        return ld_fail(ld, ld_sub(ld, path, "path"), "must have 1 to %d steps", VIEW_MAX_STEPS);
    s->steps = arena_calloc(ld->m->arena, n, sizeof *s->steps);
    json_array_foreach (steps, i, x)
        if (parse_step(ld, x, ld_idx(ld, ld_sub(ld, path, "path"), i), &s->steps[i], &at))
            return -1;
    s->n_steps = n;
    s->name = ld_keep(ld, s->name);
    reached[view->n_sections++] = at;
    return 0;
}

static int parse_diagram(struct loader *ld, const json_t *v, const char *path,
                         const struct model_view *view, const struct kset *reached,
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
    struct kset drawn = kset_new(ld);
    for (size_t i = 0; i < d->n_sections; i++) {
        const struct model_view_section *s = model_view_section(view, d->sections[i]);
        if (!s)
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "sections"), i),
                           "'%s' is not a section of the view", d->sections[i]);
        const struct kset *r = &reached[s - view->sections];
        for (size_t t = 0; t < drawn.n; t++)
            drawn.has[t] = drawn.has[t] || r->has[t];
    }
    for (size_t i = 0; i < d->n_relations; i++) {
        const struct model_kind *rk = model_kind(ld->m, d->relations[i]);
        const struct model_field *src = rk && rk->is_relation ? model_field(rk, "source") : NULL;
        const struct model_field *dst = rk && rk->is_relation ? model_field(rk, "target") : NULL;
        const char *rp = ld_idx(ld, ld_sub(ld, path, "relations"), i);
        if (!src)
            return ld_fail(ld, rp, "unknown relation type '%s'", d->relations[i]);
        if (!kset_any(&drawn, ld->m, src->ref_kinds, src->n_ref_kinds) ||
            !kset_any(&drawn, ld->m, dst->ref_kinds, dst->n_ref_kinds))
            return ld_fail(ld, rp, "'%s' joins no two kinds of the diagram's sections",
                           d->relations[i]);
    }
    for (size_t i = 0; i < d->n_refs; i++) {
        bool found = false;
        for (size_t t = 0; t < drawn.n; t++)
            found = found || (drawn.has[t] && ref_field(&ld->m->kinds[t], d->refs[i]));
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
    struct kset *reached = arena_calloc(ld->tmp, n, sizeof *reached);
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

static json_t *strings(const char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

static json_t *step_json(const struct model_view_step *st)
{
    switch (st->type) {
    case VIEW_REF:
        return json_pack("{s:s}", "ref", st->field);
    case VIEW_REFERENCED_BY:
        return json_pack("{s:s, s:o}", "referenced_by", st->field, "kinds",
                         strings(st->kinds, st->n_kinds));
    case VIEW_RELATION:
        break;
    }
    return json_pack("{s:s, s:s}", "relation", st->relation, "direction", st->out ? "out" : "in");
}

json_t *views_json(const struct model_kind *k)
{
    json_t *o = json_object();
    for (size_t i = 0; i < k->n_views; i++) {
        const struct model_view *v = &k->views[i];
        json_t *secs = json_array(), *diags = json_array();
        for (size_t j = 0; j < v->n_sections; j++) {
            const struct model_view_section *s = &v->sections[j];
            json_t *path = json_array();
            for (size_t t = 0; t < s->n_steps; t++)
                json_array_append_new(path, step_json(&s->steps[t]));
            json_t *so = json_pack("{s:s, s:o, s:o}", "name", s->name, "label",
                                   model_label_json(s->label), "path", path);
            if (s->n_from)
                json_object_set_new(so, "from", strings(s->from, s->n_from));
            json_array_append_new(secs, so);
        }
        for (size_t j = 0; j < v->n_diagrams; j++) {
            const struct model_view_diagram *d = &v->diagrams[j];
            json_array_append_new(
                diags, json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", d->name, "label",
                                 model_label_json(d->label), "sections",
                                 strings(d->sections, d->n_sections), "relations",
                                 strings(d->relations, d->n_relations), "refs",
                                 strings(d->refs, d->n_refs)));
        }
        json_object_set_new(o, v->name,
                            json_pack("{s:o, s:o, s:o, s:o}", "label", model_label_json(v->label),
                                      "fields", strings(v->fields, v->n_fields), "sections", secs,
                                      "diagrams", diags));
    }
    return o;
}
