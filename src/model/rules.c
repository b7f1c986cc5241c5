/* rules: the `rules` section of the metamodel — what must hold of a record
 * of some kinds beyond its fields' types (see model.h, struct model_rule)
 * — and their evaluation, which is the same for submission, the card and
 * the integrator's report. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const RULE_KEYS[] = {"label",    "requirement", "kinds",
                                        "when",     "require",     "relations",
                                        "severity", "in_force",    NULL};
static const char *const RULE_REL_KEYS[] = {"type", "direction", "min", NULL};

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

/* "relations": [{"type", "direction": "out"|"in", "min"?: n >= 1}], each
 * type a relation whose that end admits every kind of the rule. */
static int parse_rule_relation(struct loader *ld, const json_t *v, const char *path,
                               const struct model_rule *r, struct model_rule_relation *out)
{
    const char *type = NULL, *dir = NULL;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, RULE_REL_KEYS) ||
        ld_string(ld, v, "type", path, true, &type) ||
        ld_string(ld, v, "direction", path, true, &dir))
        return -1;
    const struct model_kind *rel = model_kind(ld->m, type);
    if (!rel || !rel->is_relation)
        return ld_fail(ld, ld_sub(ld, path, "type"), "unknown relation type '%s'", type);
    if (strcmp(dir, "out") != 0 && strcmp(dir, "in") != 0)
        return ld_fail(ld, ld_sub(ld, path, "direction"), "must be \"out\" or \"in\"");
    const json_t *min = json_object_get(v, "min");
    if (min && (!json_is_integer(min) || json_integer_value(min) < 1 ||
                json_integer_value(min) > 1000))
        return ld_fail(ld, ld_sub(ld, path, "min"), "must be an integer from 1 to 1000");
    out->type = rel->id;
    out->out = strcmp(dir, "out") == 0;
    out->min = min ? (int)json_integer_value(min) : 1;
    for (size_t i = 0; i < r->n_kinds; i++)
        if (!end_allows(rel, out->out, r->kinds[i]))
            return ld_fail(ld, ld_sub(ld, path, "type"), "kind '%s' cannot be the %s of '%s'",
                           r->kinds[i], out->out ? "source" : "target", rel->id);
    return 0;
}

static int parse_rule_relations(struct loader *ld, const json_t *v, const char *path,
                                struct model_rule *r)
{
    const json_t *rels = json_object_get(v, "relations");
    const char *rp = ld_sub(ld, path, "relations");
    if (!rels)
        return 0;
    if (!json_is_array(rels) || json_array_size(rels) == 0)
        return ld_fail(ld, rp, "must be a non-empty array of {type, direction, min}");
    r->relations = arena_calloc(ld->m->arena, json_array_size(rels), sizeof *r->relations);
    for (size_t i = 0; i < json_array_size(rels); i++)
        if (parse_rule_relation(ld, json_array_get(rels, i), ld_idx(ld, rp, i), r,
                                &r->relations[r->n_relations++]))
            return -1;
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
    const char *path = ld_sub(ld, "rules", id), *severity = NULL;
    const json_t *when = json_object_get(v, "when"), *req = json_object_get(v, "require");
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, RULE_KEYS) || ld_label(ld, v, "label", path, &r->label) ||
        ld_string(ld, v, "requirement", path, false, &r->requirement) ||
        ld_string(ld, v, "severity", path, true, &severity) || parse_rule_kinds(ld, v, path, r) ||
        ld_span(ld, v, "in_force", path, &r->in_force))
        return -1;
    if (strcmp(severity, "error") != 0 && strcmp(severity, "warning") != 0)
        return ld_fail(ld, ld_sub(ld, path, "severity"), "must be \"error\" or \"warning\"");
    r->id = ld_keep(ld, id);
    r->warning = strcmp(severity, "warning") == 0;
    if (r->requirement)
        r->requirement = ld_keep(ld, r->requirement);
    if (parse_rule_relations(ld, v, path, r))
        return -1;
    if (!req && !r->n_relations)
        return ld_fail(ld, ld_sub(ld, path, "require"), "is required (or \"relations\")");
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

int parse_rules(struct loader *ld)
{
    json_t *in;
    if (ld_member(ld, ld->root, "rules", "", JSON_OBJECT, false, &in) || !in)
        return in ? -1 : 0;
    ld->m->rules = arena_calloc(ld->m->arena, json_object_size(in) + 1, sizeof *ld->m->rules);
    const char *id;
    json_t *v;
    json_object_foreach (in, id, v)
        if (parse_rule(ld, id, v, &ld->m->rules[ld->m->n_rules++]))
            return -1;
    return 0;
}

json_t *rules_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_rules; i++) {
        const struct model_rule *r = &m->rules[i];
        json_t *kinds = json_array();
        for (size_t j = 0; j < r->n_kinds; j++)
            json_array_append_new(kinds, json_string(r->kinds[j]));
        json_object_set_new(
            out, r->id,
            json_pack("{s:o, s:s?, s:o, s:o, s:o, s:s}", "label", model_label_json(r->label),
                      "requirement", r->requirement, "kinds", kinds, "when",
                      model_cond_json(&r->when), "require", model_cond_json(&r->require),
                      "severity", r->warning ? "warning" : "error"));
        if (!r->require.n_terms)
            json_object_del(json_object_get(out, r->id), "require");
        if (r->n_relations) {
            json_t *rels = json_array();
            for (size_t j = 0; j < r->n_relations; j++)
                json_array_append_new(rels, json_pack("{s:s, s:s, s:i}", "type",
                                                      r->relations[j].type, "direction",
                                                      r->relations[j].out ? "out" : "in", "min",
                                                      r->relations[j].min));
            json_object_set_new(json_object_get(out, r->id), "relations", rels);
        }
        json_t *span = model_span_json(&r->in_force);
        if (span)
            json_object_set_new(json_object_get(out, r->id), "in_force", span);
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
            return model_cond_holds(&r->when, rec);
    return false;
}

int model_rule_holds(const struct model_rule *r, const json_t *rec, model_relation_count_fn count,
                     void *ctx, const struct model_rule_relation **broken)
{
    if (broken)
        *broken = NULL;
    if (!model_cond_holds(&r->require, rec))
        return 0;
    for (size_t i = 0; i < r->n_relations; i++) {
        int n = count ? count(ctx, rec, r->relations[i].type, r->relations[i].out) : -1;
        if (n < 0)
            return -1;
        if (n < r->relations[i].min) {
            if (broken)
                *broken = &r->relations[i];
            return 0;
        }
    }
    return 1;
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
        int holds = model_rule_holds(r, rec, count, ctx, &rel);
        if (holds < 0) {
            json_decref(out);
            return NULL;
        }
        if (holds)
            continue;
        json_t *gap = json_pack("{s:s, s:o, s:s?, s:s}", "rule", r->id, "label",
                                model_label_json(r->label), "requirement", r->requirement,
                                "severity", r->warning ? "warning" : "error");
        if (rel) {
            json_object_set_new(gap, "relation", json_string(rel->type));
            json_object_set_new(gap, "direction", json_string(rel->out ? "out" : "in"));
        } else {
            json_object_set_new(gap, "field", json_string(r->require.terms[0].field));
        }
        json_array_append_new(out, gap);
    }
    return out;
}
