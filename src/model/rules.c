/* rules: the `rules` section of the metamodel — what must hold of a record
 * of some kinds beyond its fields' types (see model.h, struct model_rule)
 * — and their evaluation, which is the same for submission, the card and
 * the integrator's report. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const RULE_KEYS[] = {"label", "requirement", "layer",     "kinds",
                                        "when",  "require",     "relations", "any_of",
                                        "items", "severity",    "in_force",  NULL};
static const char *const RULE_REL_KEYS[] = {
    "type", "direction", "referenced_by", "kinds", "ref", "measure", "where", "attributes",
    "distinct", "min", "max", NULL};
static const char *const RULE_ITEMS_KEYS[] = {"field", "filled", "inherited", NULL};
static const char *const RULE_LAYERS[] = {"activity", "data", "systems", "infrastructure", NULL};

bool model_rule_layer_known(const char *layer)
{
    return layer && ld_in_list(layer, RULE_LAYERS);
}

/* May records of kind `kind` be the `out` (source) or in (target) end of
 * relations of kind rel? */
static bool end_allows(const struct model_kind *rel, bool out, const char *kind)
{
    const struct model_field *f = model_field(rel, out ? "source" : "target");
    for (size_t i = 0; f && i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* `where` must name enum or boolean fields, with their values, of every
 * kind the linked records may be of. */
static int check_where(struct loader *ld, const char *path, const char *const *kinds, size_t n,
                       const struct model_cond *where)
{
    for (size_t i = 0; i < n; i++)
        if (ld_check_cond(ld, path, model_kind(ld->m, kinds[i]), where))
            return -1;
    return 0;
}

/* The ref field `name` of kind k (the owner for an owned kind): the kinds
 * it may name, or NULL when k has no such ref. */
static const char *const *ref_targets(const struct model *m, const struct model_kind *k,
                                      const char *name, size_t *n, const char **owner)
{
    const struct model_field *f = model_field(k, name);
    if (f && f->type == FT_REF) {
        *n = f->n_ref_kinds;
        return f->ref_kinds;
    }
    const struct model_kind *o = model_owner_kind(m);
    if (k->owned && o && strcmp(name, "owner") == 0) {
        *owner = o->id;
        *n = 1;
        return owner;
    }
    return NULL;
}

/* {"type", "direction": "out"|"in"}: each type a relation whose that end
 * admits every kind of the rule. */
static int parse_req_relation(struct loader *ld, const json_t *v, const char *path,
                              const struct model_rule *r, struct model_rule_relation *out)
{
    const char *type = NULL, *dir = NULL;
    if (ld_string(ld, v, "type", path, true, &type) ||
        ld_string(ld, v, "direction", path, true, &dir))
        return -1;
    const struct model_kind *rel = model_kind(ld->m, type);
    if (!rel || !rel->is_relation)
        return ld_fail(ld, ld_sub(ld, path, "type"), "unknown relation type '%s'", type);
    if (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0)
        return ld_fail(ld, ld_sub(ld, path, "direction"), "must be \"out\" or \"in\"");
    out->how = REQ_RELATION;
    out->type = rel->id;
    out->out = strcmp(dir, "out") == 0;
    for (size_t i = 0; i < r->n_kinds; i++)
        if (!end_allows(rel, out->out, r->kinds[i]))
            return ld_fail(ld, ld_sub(ld, path, "type"), "kind '%s' cannot be the %s of '%s'",
                           r->kinds[i], out->out ? "source" : "target", rel->id);
    const struct model_field *other = model_field(rel, out->out ? "target" : "source");
    if (ld_check_cond(ld, ld_sub(ld, path, "attributes"), rel, &out->attrs))
        return -1;
    if (json_object_get(v, "distinct")) {
        if (ld_string(ld, v, "distinct", path, true, &out->distinct))
            return -1;
        out->distinct = ld_keep(ld, out->distinct);
        for (size_t i = 0; i < other->n_ref_kinds; i++) {
            const struct model_kind *k = model_kind(ld->m, other->ref_kinds[i]);
            if (!model_field(k, out->distinct) && !(k->owned && strcmp(out->distinct, "owner") == 0))
                return ld_fail(ld, ld_sub(ld, path, "distinct"), "'%s' is not a field of '%s'",
                               out->distinct, k->id);
        }
    }
    return check_where(ld, ld_sub(ld, path, "where"), other->ref_kinds, other->n_ref_kinds,
                       &out->where);
}

static bool names_kind(const struct model_field *f, const char *kind)
{
    for (size_t i = 0; i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* {"referenced_by": field, "kinds": [...]}: a ref field of each of those
 * kinds that may name every kind of the rule. */
static int parse_req_referenced_by(struct loader *ld, const json_t *v, const char *path,
                                   const struct model_rule *r, struct model_rule_relation *out)
{
    const char *kp = ld_sub(ld, path, "kinds");
    if (ld_string(ld, v, "referenced_by", path, true, &out->field) ||
        ld_strings(ld, json_object_get(v, "kinds"), kp, true, &out->kinds, &out->n_kinds))
        return -1;
    out->how = REQ_REFERENCED_BY;
    out->field = ld_keep(ld, out->field);
    for (size_t i = 0; i < out->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, out->kinds[i]);
        if (!k || k->is_relation)
            return ld_fail(ld, ld_idx(ld, kp, i), "not a record kind");
        const struct model_field *f = model_field(k, out->field);
        if (!f || f->type != FT_REF)
            return ld_fail(ld, ld_sub(ld, path, "referenced_by"), "'%s' is not a ref field of '%s'",
                           out->field, k->id);
        for (size_t j = 0; j < r->n_kinds; j++)
            if (!names_kind(f, r->kinds[j]))
                return ld_fail(ld, ld_sub(ld, path, "referenced_by"),
                               "'%s' of '%s' cannot name kind '%s'", out->field, k->id,
                               r->kinds[j]);
    }
    return check_where(ld, ld_sub(ld, path, "where"), out->kinds, out->n_kinds, &out->where);
}

/* {"ref": field}: a ref field of every kind of the rule (or the owner of
 * an owned kind). */
static int parse_req_ref(struct loader *ld, const json_t *v, const char *path,
                         const struct model_rule *r, struct model_rule_relation *out)
{
    if (ld_string(ld, v, "ref", path, true, &out->field))
        return -1;
    out->how = REQ_REF;
    out->field = ld_keep(ld, out->field);
    for (size_t i = 0; i < r->n_kinds; i++) {
        size_t n;
        const char *owner[1];
        const char *const *to =
            ref_targets(ld->m, model_kind(ld->m, r->kinds[i]), out->field, &n, owner);
        if (!to)
            return ld_fail(ld, ld_sub(ld, path, "ref"), "'%s' is not a ref field of '%s'",
                           out->field, r->kinds[i]);
        if (check_where(ld, ld_sub(ld, path, "where"), to, n, &out->where))
            return -1;
    }
    return 0;
}

/* {"measure": id}: a measure of the model that every kind of the rule
 * declares; bounds are percentages. */
static int parse_req_measure(struct loader *ld, const json_t *v, const char *path,
                             const struct model_rule *r, struct model_rule_relation *out)
{
    if (ld_string(ld, v, "measure", path, true, &out->measure))
        return -1;
    const struct model_measure *ms = model_measure(ld->m, out->measure);
    if (!ms)
        return ld_fail(ld, ld_sub(ld, path, "measure"), "no measure '%s' in the model",
                       out->measure);
    out->how = REQ_MEASURE;
    out->measure = ms->id;
    out->field = ms->items;
    for (size_t i = 0; i < r->n_kinds; i++)
        if (!model_kind_measure(model_kind(ld->m, r->kinds[i]), ms->id))
            return ld_fail(ld, ld_sub(ld, path, "measure"), "kind '%s' has no measure '%s'",
                           r->kinds[i], ms->id);
    if (json_object_get(v, "where"))
        return ld_fail(ld, ld_sub(ld, path, "where"), "a measure takes no \"where\"");
    return 0;
}

static int parse_bound(struct loader *ld, const json_t *v, const char *key, const char *path,
                       int lo, int *out)
{
    const json_t *n = json_object_get(v, key);
    if (!n)
        return 0;
    if (!json_is_integer(n) || json_integer_value(n) < lo || json_integer_value(n) > 1000)
        return ld_fail(ld, ld_sub(ld, path, key), "must be an integer from %d to 1000", lo);
    *out = (int)json_integer_value(n);
    return 0;
}

/* One requirement: a relation {type, direction, attributes?, distinct?},
 * records that reference this one {referenced_by, kinds}, the record a ref
 * names {ref}, or the record's level of a measure {measure}; each with
 * "where"? (a condition on the linked records' fields), "min"? (1 by
 * default, 100 for a measure, 0 when "max" is given) and "max"?. */
static int parse_rule_relation(struct loader *ld, const json_t *v, const char *path,
                               const struct model_rule *r, struct model_rule_relation *out)
{
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, RULE_REL_KEYS))
        return -1;
    const json_t *where = json_object_get(v, "where");
    if (where && ld_cond(ld, where, ld_sub(ld, path, "where"), &out->where))
        return -1;
    const json_t *attrs = json_object_get(v, "attributes");
    if (attrs && ld_cond(ld, attrs, ld_sub(ld, path, "attributes"), &out->attrs))
        return -1;
    int forms = !!json_object_get(v, "type") + !!json_object_get(v, "referenced_by") +
                !!json_object_get(v, "ref") + !!json_object_get(v, "measure");
    if (forms > 1)
        return ld_fail(ld, path,
                       "one of \"type\", \"referenced_by\", \"ref\" or \"measure\", not several");
    int rc = json_object_get(v, "referenced_by") ? parse_req_referenced_by(ld, v, path, r, out)
             : json_object_get(v, "ref")         ? parse_req_ref(ld, v, path, r, out)
             : json_object_get(v, "measure")     ? parse_req_measure(ld, v, path, r, out)
                                                 : parse_req_relation(ld, v, path, r, out);
    if (rc)
        return -1;
    if (out->how != REQ_RELATION && (attrs || json_object_get(v, "distinct")))
        return ld_fail(ld, ld_sub(ld, path, attrs ? "attributes" : "distinct"),
                       "only a relation has attributes and distinct ends");
    if (out->how != REQ_RELATION && json_object_get(v, "direction"))
        return ld_fail(ld, ld_sub(ld, path, "direction"), "only a relation has a direction");
    if (out->how != REQ_REFERENCED_BY && json_object_get(v, "kinds"))
        return ld_fail(ld, ld_sub(ld, path, "kinds"), "only \"referenced_by\" takes kinds");
    out->max = -1;
    if (parse_bound(ld, v, "max", path, 0, &out->max))
        return -1;
    out->min = out->max >= 0 ? 0 : 1;
    if (out->how == REQ_MEASURE && out->max < 0)
        out->min = 100;
    if (parse_bound(ld, v, "min", path, 1, &out->min))
        return -1;
    if (out->max >= 0 && out->min > out->max)
        return ld_fail(ld, ld_sub(ld, path, "max"), "must not be less than \"min\"");
    if (out->how == REQ_MEASURE && (out->min > 100 || out->max > 100))
        return ld_fail(ld, ld_sub(ld, path, out->min > 100 ? "min" : "max"),
                       "a measure's level is a percentage: at most 100");
    return 0;
}

static int parse_rule_relations(struct loader *ld, const json_t *v, const char *path,
                                const char *key, struct model_rule *r,
                                struct model_rule_relation **reqs, size_t *n)
{
    const json_t *rels = json_object_get(v, key);
    const char *rp = ld_sub(ld, path, key);
    if (!rels)
        return 0;
    if (!json_is_array(rels) || json_array_size(rels) == 0)
        return ld_fail(ld, rp, "must be a non-empty array of {type, direction, min}");
    *reqs = arena_calloc(ld->m->arena, json_array_size(rels), sizeof **reqs);
    for (size_t i = 0; i < json_array_size(rels); i++)
        if (parse_rule_relation(ld, json_array_get(rels, i), ld_idx(ld, rp, i), r,
                                &(*reqs)[(*n)++]))
            return -1;
    return 0;
}

/* "items": {"field": a list of objects of every kind of the rule,
 * "filled": [its sub-fields], "inherited"?: also the items the record
 * inherits (some kind of the rule must inherit that field)}. */
static int parse_rule_items(struct loader *ld, const json_t *v, const char *path,
                            struct model_rule *r)
{
    const json_t *it = json_object_get(v, "items");
    const char *ip = ld_sub(ld, path, "items"), *fp;
    struct model_rule_items *out = &r->items;
    bool inherits = false;
    if (!it)
        return 0;
    if (ld_want_object(ld, it, ip) || ld_check_keys(ld, it, ip, RULE_ITEMS_KEYS) ||
        ld_string(ld, it, "field", ip, true, &out->field) ||
        ld_strings(ld, json_object_get(it, "filled"), ld_sub(ld, ip, "filled"), true, &out->filled,
                   &out->n_filled) ||
        ld_bool(ld, it, "inherited", ip, &out->inherited))
        return -1;
    out->field = ld_keep(ld, out->field);
    fp = ld_sub(ld, ip, "field");
    for (size_t i = 0; i < r->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, r->kinds[i]);
        const struct model_field *f = model_field(k, out->field);
        if (!f || f->type != FT_LIST || f->item->type != FT_OBJECT)
            return ld_fail(ld, fp, "'%s' is not a list of objects of '%s'", out->field, k->id);
        for (size_t j = 0; j < out->n_filled; j++) {
            if (!model_sub_field(f->item, out->filled[j]))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, ip, "filled"), j),
                               "'%s' is not a field of the items of '%s'", out->filled[j],
                               out->field);
        }
        inherits = inherits || model_kind_inherits(k, out->field);
    }
    if (out->inherited && !inherits)
        return ld_fail(ld, ld_sub(ld, ip, "inherited"), "no kind of the rule inherits '%s'",
                       out->field);
    return 0;
}

/* "kinds": [kind ids] or "collection:<id>" (every kind of a collection). */
static int parse_rule_kinds(struct loader *ld, const json_t *v, const char *path,
                            struct model_rule *r)
{
    const json_t *ks = json_object_get(v, "kinds");
    const char *kp = ld_sub(ld, path, "kinds");
    if (json_is_string(ks) && strncmp(json_string_value(ks), "collection:", 11) == 0) {
        const struct model_collection *c = model_collection(ld->m, json_string_value(ks) + 11);
        if (!c || c->type != COLL_RECORDS)
            return ld_fail(ld, kp, "unknown collection of records '%s'", json_string_value(ks) + 11);
        r->kinds = arena_calloc(ld->m->arena, c->n_kinds, sizeof *r->kinds);
        for (size_t i = 0; i < c->n_kinds; i++)
            r->kinds[r->n_kinds++] = c->kinds[i];
        return 0;
    }
    if (!json_is_array(ks) || json_array_size(ks) == 0)
        return ld_fail(ld, kp, "must be a non-empty array of kind ids or \"collection:<id>\"");
    r->kinds = arena_calloc(ld->m->arena, json_array_size(ks), sizeof *r->kinds);
    for (size_t i = 0; i < json_array_size(ks); i++) {
        const char *id = json_string_value(json_array_get(ks, i));
        const struct model_kind *k = id ? model_kind(ld->m, id) : NULL;
        if (!k)
            return ld_fail(ld, ld_idx(ld, kp, i), "not a record kind or relation type");
        r->kinds[r->n_kinds++] = k->id;
    }
    return 0;
}

static int parse_rule(struct loader *ld, const char *id, const json_t *v, struct model_rule *r)
{
    const char *path = ld_sub(ld, "rules", id), *severity = NULL, *layer = NULL;
    const json_t *when = json_object_get(v, "when"), *req = json_object_get(v, "require");
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, RULE_KEYS) || ld_label(ld, v, "label", path, &r->label) ||
        ld_string(ld, v, "requirement", path, false, &r->requirement) ||
        ld_string(ld, v, "severity", path, true, &severity) ||
        ld_string(ld, v, "layer", path, true, &layer) || parse_rule_kinds(ld, v, path, r) ||
        ld_span(ld, v, "in_force", path, &r->in_force))
        return -1;
    if (!model_rule_layer_known(layer))
        return ld_fail(ld, ld_sub(ld, path, "layer"),
                       "must be \"activity\", \"data\", \"systems\" or \"infrastructure\"");
    r->layer = ld_keep(ld, layer);
    if (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0)
        return ld_fail(ld, ld_sub(ld, path, "severity"), "must be \"error\" or \"warning\"");
    r->id = ld_keep(ld, id);
    r->warning = strcmp(severity, "warning") == 0;
    if (r->requirement)
        r->requirement = ld_keep(ld, r->requirement);
    if (parse_rule_relations(ld, v, path, "relations", r, &r->relations, &r->n_relations) ||
        parse_rule_relations(ld, v, path, "any_of", r, &r->any_of, &r->n_any_of) ||
        parse_rule_items(ld, v, path, r))
        return -1;
    if (!req && !r->n_relations && !r->n_any_of && !r->items.field)
        return ld_fail(ld, ld_sub(ld, path, "require"),
                       "is required (or \"relations\", \"any_of\" or \"items\")");
    if ((when && ld_cond(ld, when, ld_sub(ld, path, "when"), &r->when)) ||
        (req && ld_cond(ld, req, ld_sub(ld, path, "require"), &r->require)))
        return -1;
    /* the fields must exist, with those values, in every kind it names */
    for (size_t i = 0; i < r->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, r->kinds[i]);
        if (ld_check_cond(ld, ld_sub(ld, path, "when"), k, &r->when) ||
            ld_check_cond(ld, ld_sub(ld, path, "require"), k, &r->require))
            return -1;
    }
    return 0;
}

static const char *const REPORT_KEYS[] = {"by", "findings", NULL};
static const char *const REPORT_BY_KEYS[] = {"kind", "view", NULL};
static const char *const FINDINGS_KEYS[] = {"kind", "about", "rule", NULL};

/* "findings": {"kind": an owned record kind, "about": its ref field,
 * "rule": its string field}: a record that breaks a rule can be handed to
 * its owner as a record of that kind (architectural supervision). */
static int parse_findings(struct loader *ld, const json_t *v)
{
    const char *p = "rule_report.findings", *kind, *about, *rule;
    if (ld_want_object(ld, v, p) || ld_check_keys(ld, v, p, FINDINGS_KEYS) ||
        ld_string(ld, v, "kind", p, true, &kind) || ld_string(ld, v, "about", p, true, &about) ||
        ld_string(ld, v, "rule", p, true, &rule))
        return -1;
    const struct model_kind *k = model_kind(ld->m, kind);
    if (!k || k->is_relation || !k->owned)
        return ld_fail(ld, ld_sub(ld, p, "kind"), "'%s' is not an owned record kind", kind);
    const struct model_field *a = model_field(k, about), *r = model_field(k, rule);
    if (!a || a->type != FT_REF || a->readonly)
        return ld_fail(ld, ld_sub(ld, p, "about"), "'%s' is not a ref field of '%s'", about, kind);
    if (!r || r->type != FT_STRING || r->readonly)
        return ld_fail(ld, ld_sub(ld, p, "rule"), "'%s' is not a string field of '%s'", rule, kind);
    struct model_findings *f = arena_calloc(ld->m->arena, 1, sizeof *f);
    *f = (struct model_findings){k, ld_keep(ld, about), ld_keep(ld, rule)};
    ld->m->findings = f;
    return 0;
}

/* "rule_report": {"by": [{"kind": a record kind, "view": one of its views}]} */
static int parse_rule_report(struct loader *ld)
{
    json_t *in, *by;
    if (ld_member(ld, ld->root, "rule_report", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    if (ld_check_keys(ld, in, "rule_report", REPORT_KEYS) ||
        ld_member(ld, in, "by", "rule_report", JSON_ARRAY, true, &by) ||
        (json_object_get(in, "findings") && parse_findings(ld, json_object_get(in, "findings"))))
        return -1;
    ld->m->rule_groups = arena_calloc(ld->m->arena, json_array_size(by) + 1,
                                      sizeof *ld->m->rule_groups);
    for (size_t i = 0; i < json_array_size(by); i++) {
        const json_t *g = json_array_get(by, i);
        const char *gp = ld_idx(ld, "rule_report.by", i), *kind, *view;
        if (ld_want_object(ld, g, gp) || ld_check_keys(ld, g, gp, REPORT_BY_KEYS) ||
            ld_string(ld, g, "kind", gp, true, &kind) || ld_string(ld, g, "view", gp, true, &view))
            return -1;
        const struct model_kind *k = model_kind(ld->m, kind);
        if (!k || k->is_relation || !k->collection)
            return ld_fail(ld, ld_sub(ld, gp, "kind"), "not a record kind");
        if (strcmp(kind, "owner") == 0 || model_rule_group(ld->m, kind))
            return ld_fail(ld, ld_sub(ld, gp, "kind"), "'%s' is named twice", kind);
        const struct model_view *v = model_view(k, view);
        if (!v)
            return ld_fail(ld, ld_sub(ld, gp, "view"), "kind '%s' has no view '%s'", kind, view);
        ld->m->rule_groups[ld->m->n_rule_groups++] = (struct model_rule_group){k, v};
    }
    return 0;
}

const struct model_findings *model_rule_findings(const struct model *m)
{
    return m->findings;
}

json_t *rule_report_json(const struct model *m)
{
    json_t *by = json_array();
    for (size_t i = 0; i < m->n_rule_groups; i++)
        json_array_append_new(by, json_pack("{s:s, s:s}", "kind", m->rule_groups[i].kind->id,
                                            "view", m->rule_groups[i].view->name));
    json_t *out = json_pack("{s:o}", "by", by);
    if (m->findings)
        json_object_set_new(out, "findings",
                            json_pack("{s:s, s:s, s:s}", "kind", m->findings->kind->id, "about",
                                      m->findings->about, "rule", m->findings->rule));
    return out;
}

size_t model_n_rule_groups(const struct model *m)
{
    return m->n_rule_groups;
}

const struct model_rule_group *model_rule_group_at(const struct model *m, size_t i)
{
    return i < m->n_rule_groups ? &m->rule_groups[i] : NULL;
}

const struct model_rule_group *model_rule_group(const struct model *m, const char *kind)
{
    for (size_t i = 0; kind && i < m->n_rule_groups; i++)
        if (strcmp(m->rule_groups[i].kind->id, kind) == 0)
            return &m->rule_groups[i];
    return NULL;
}

int parse_rules(struct loader *ld)
{
    json_t *in;
    if (parse_rule_report(ld) ||
        ld_member(ld, ld->root, "rules", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    ld->m->rules = arena_calloc(ld->m->arena, json_object_size(in) + 1, sizeof *ld->m->rules);
    const char *id;
    json_t *v;
    json_object_foreach (in, id, v)
        if (parse_rule(ld, id, v, &ld->m->rules[ld->m->n_rules++]))
            return -1;
    return 0;
}

static json_t *req_json(const struct model_rule_relation *q)
{
    json_t *o = json_object();
    if (q->how == REQ_RELATION) {
        json_object_set_new(o, "type", json_string(q->type));
        json_object_set_new(o, "direction", json_string(q->out ? "out" : "in"));
        if (q->attrs.n_terms)
            json_object_set_new(o, "attributes", model_cond_json(&q->attrs));
        if (q->distinct)
            json_object_set_new(o, "distinct", json_string(q->distinct));
    } else if (q->how == REQ_MEASURE) {
        json_object_set_new(o, "measure", json_string(q->measure));
    } else {
        json_object_set_new(o, q->how == REQ_REF ? "ref" : "referenced_by", json_string(q->field));
    }
    if (q->how == REQ_REFERENCED_BY) {
        json_t *kinds = json_array();
        for (size_t i = 0; i < q->n_kinds; i++)
            json_array_append_new(kinds, json_string(q->kinds[i]));
        json_object_set_new(o, "kinds", kinds);
    }
    if (q->where.n_terms)
        json_object_set_new(o, "where", model_cond_json(&q->where));
    json_object_set_new(o, "min", json_integer(q->min));
    if (q->max >= 0)
        json_object_set_new(o, "max", json_integer(q->max));
    return o;
}

static json_t *reqs_json(const struct model_rule_relation *q, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, req_json(&q[i]));
    return a;
}

json_t *rules_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_rules; i++) {
        const struct model_rule *r = &m->rules[i];
        json_t *kinds = json_array();
        for (size_t j = 0; j < r->n_kinds; j++)
            json_array_append_new(kinds, json_string(r->kinds[j]));
        json_t *o =
            json_pack("{s:o, s:s?, s:s, s:o, s:o, s:o, s:s}", "label", model_label_json(r->label),
                      "requirement", r->requirement, "layer", r->layer, "kinds", kinds, "when",
                      model_cond_json(&r->when), "require", model_cond_json(&r->require),
                      "severity", r->warning ? "warning" : "error");
        json_object_set_new(out, r->id, o);
        if (!r->require.n_terms)
            json_object_del(o, "require");
        if (r->n_relations)
            json_object_set_new(o, "relations", reqs_json(r->relations, r->n_relations));
        if (r->n_any_of)
            json_object_set_new(o, "any_of", reqs_json(r->any_of, r->n_any_of));
        if (r->items.field) {
            json_t *filled = json_array();
            for (size_t j = 0; j < r->items.n_filled; j++)
                json_array_append_new(filled, json_string(r->items.filled[j]));
            json_object_set_new(o, "items",
                                json_pack("{s:s, s:o, s:b}", "field", r->items.field, "filled",
                                          filled, "inherited", r->items.inherited));
        }
        json_t *span = model_span_json(&r->in_force);
        if (span)
            json_object_set_new(o, "in_force", span);
    }
    return out;
}

size_t model_n_rules(const struct model *m)
{
    return m->n_rules;
}

const struct model_rule *model_rule_at(const struct model *m, size_t i)
{
    return i < m->n_rules ? &m->rules[i] : NULL;
}

/* A record's kind, or a relation's type. */
static const char *kind_of(const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    return kind ? kind : json_string_value(json_object_get(rec, "type"));
}

bool model_rule_applies(const struct model_rule *r, const json_t *rec, int64_t day)
{
    const char *kind = kind_of(rec);
    if (!model_in_force(&r->in_force, day))
        return false;
    for (size_t i = 0; kind && i < r->n_kinds; i++)
        if (strcmp(r->kinds[i], kind) == 0)
            return model_cond_holds(&r->when, rec, day);
    return false;
}

/* 1 when q holds of rec, 0 when not, -1 when counting failed. */
static int req_holds(const struct model_rule_relation *q, const json_t *rec, int64_t day,
                     model_relation_count_fn count, void *ctx)
{
    int n = count ? count(ctx, rec, q, day) : -1;
    if (n < 0)
        return -1;
    return n >= q->min && (q->max < 0 || n <= q->max);
}

static bool item_filled(const json_t *item, const struct model_rule_items *it)
{
    for (size_t i = 0; i < it->n_filled; i++) {
        const json_t *v = json_object_get(item, it->filled[i]);
        if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
            return false;
    }
    return true;
}

static bool items_hold(const struct model_rule_items *it, const json_t *rec)
{
    size_t i, j;
    const json_t *x, *base;
    if (!it->field)
        return true;
    json_array_foreach (json_object_get(rec, it->field), i, x)
        if (!item_filled(x, it))
            return false;
    if (!it->inherited)
        return true;
    /* as a read shows them: {"inherited": {field: [{from, items}]}} */
    json_array_foreach (json_object_get(json_object_get(rec, "inherited"), it->field), j, base)
        json_array_foreach (json_object_get(base, "items"), i, x)
            if (!item_filled(x, it))
                return false;
    return true;
}

int model_rule_holds(const struct model_rule *r, const json_t *rec, int64_t day,
                     model_relation_count_fn count, void *ctx,
                     const struct model_rule_relation **broken)
{
    if (broken)
        *broken = NULL;
    if (!model_cond_holds(&r->require, rec, day) || !items_hold(&r->items, rec))
        return 0;
    for (size_t i = 0; i < r->n_relations; i++) {
        int h = req_holds(&r->relations[i], rec, day, count, ctx);
        if (h <= 0) {
            if (broken && h == 0)
                *broken = &r->relations[i];
            return h;
        }
    }
    for (size_t i = 0; i < r->n_any_of; i++) {
        int h = req_holds(&r->any_of[i], rec, day, count, ctx);
        if (h != 0)
            return h;
    }
    if (r->n_any_of && broken)
        *broken = &r->any_of[0];
    return !r->n_any_of;
}

/* The field to name when rec breaks r, its requirement q being at fault
 * (NULL: its fields or items are). */
const char *model_rule_fix_field(const struct model_rule *r, const struct model_rule_relation *q)
{
    if (q)
        return q->how == REQ_RELATION ? NULL : q->field;
    return r->require.n_terms ? r->require.terms[0].field : r->items.field;
}

json_t *model_rule_gaps(const struct model *m, const json_t *rec, bool warnings, int64_t day,
                        model_relation_count_fn count, void *ctx)
{
    json_t *out = json_array();
    for (size_t i = 0; i < m->n_rules; i++) {
        const struct model_rule *r = &m->rules[i];
        if ((r->warning && !warnings) || !model_rule_applies(r, rec, day))
            continue;
        const struct model_rule_relation *rel;
        int holds = model_rule_holds(r, rec, day, count, ctx, &rel);
        if (holds < 0) {
            json_decref(out);
            return NULL;
        }
        if (holds)
            continue;
        json_t *gap = json_pack("{s:s, s:o, s:s?, s:s, s:s}", "rule", r->id, "label",
                                model_label_json(r->label), "requirement", r->requirement, "layer",
                                r->layer, "severity", r->warning ? "warning" : "error");
        if (rel && rel->how == REQ_RELATION) {
            json_object_set_new(gap, "relation", json_string(rel->type));
            json_object_set_new(gap, "direction", json_string(rel->out ? "out" : "in"));
        } else {
            json_object_set_new(gap, "field", json_string(model_rule_fix_field(r, rel)));
        }
        json_array_append_new(out, gap);
    }
    return out;
}
