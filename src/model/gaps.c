/* gaps: the model's "gap_analysis" (issue 16: the target architecture as
 * the as-is with the initiatives applied, REQ ARC-11, ARC-12), checked
 * against the kinds, relation type and enums it names, so that the engine
 * that derives the target (arch/gaps.c) names none of them.
 *
 *   "gap_analysis": {"kind": "<the initiatives' kind>",
 *     "relation": "<type out of an initiative into the elements it affects>",
 *     "role": "<the relation's enum attribute>", "result": "<its value for an
 *     element the initiative brings>", "type": "<the initiative's enum
 *     field>", "effects": {"<each of its values>": "enhance" | "replace" |
 *     "remove" | "new"}, "exclude"?: {<a condition: initiatives left out of
 *     the target, e.g. cancelled>}, "domain"?: "<the initiative's ref
 *     field naming its domain>"} */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const GAP_KEYS[] = {"kind",    "relation", "role",   "result", "type",
                                       "effects", "exclude",  "domain", NULL};
const char *const MODEL_GAP_EFFECTS[] = {"remove", "replace", "enhance", "new", NULL};

/* The enum field `name` of kind k, or NULL after failing the load. */
static const struct model_field *enum_field(struct loader *ld, const struct model_kind *k,
                                            const char *name, const char *path)
{
    const struct model_field *f = model_field(k, name);
    if (!f || f->type != FT_ENUM) {
        ld_fail(ld, path, "'%s' is not an enum field of '%s'", name, k->id);
        return NULL;
    }
    return f;
}

int parse_gap_analysis(struct loader *ld)
{
    json_t *in, *effects, *exclude;
    const char *p = "gap_analysis", *kind, *rel, *role, *result, *type, *domain = NULL;
    if (ld_member(ld, ld->root, "gap_analysis", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    if (ld_check_keys(ld, in, p, GAP_KEYS) || ld_string(ld, in, "kind", p, true, &kind) ||
        ld_string(ld, in, "relation", p, true, &rel) || ld_string(ld, in, "role", p, true, &role) ||
        ld_string(ld, in, "result", p, true, &result) ||
        ld_string(ld, in, "type", p, true, &type) ||
        ld_string(ld, in, "domain", p, false, &domain) ||
        ld_member(ld, in, "effects", p, JSON_OBJECT, true, &effects) ||
        ld_member(ld, in, "exclude", p, JSON_OBJECT, false, &exclude))
        return -1;
    struct model_gap_analysis *g = arena_calloc(ld->m->arena, 1, sizeof *g);
    g->kind = model_kind(ld->m, kind);
    if (!g->kind || g->kind->is_relation || !g->kind->collection)
        return ld_fail(ld, ld_sub(ld, p, "kind"), "'%s' is not a record kind", kind);
    g->relation = model_kind(ld->m, rel);
    const struct model_field *src =
        g->relation && g->relation->is_relation ? model_field(g->relation, "source") : NULL;
    bool from_kind = false;
    for (size_t i = 0; src && i < src->n_ref_kinds; i++)
        from_kind = from_kind || strcmp(src->ref_kinds[i], g->kind->id) == 0;
    if (!from_kind)
        return ld_fail(ld, ld_sub(ld, p, "relation"), "'%s' is not a relation type out of '%s'",
                       rel, kind);
    const struct model_field *rf = enum_field(ld, g->relation, role, ld_sub(ld, p, "role"));
    if (!rf)
        return -1;
    if (!ld_enum_has(rf->enumeration, result))
        return ld_fail(ld, ld_sub(ld, p, "result"), "'%s' is not a value of '%s'", result,
                       rf->enumeration->id);
    const struct model_field *tf = enum_field(ld, g->kind, type, ld_sub(ld, p, "type"));
    if (!tf)
        return -1;
    g->role = rf->name;
    g->result = ld_keep(ld, result);
    g->type = tf->name;
    const struct model_enum *te = tf->enumeration;
    g->effects = arena_calloc(ld->m->arena, te->n_values + 1, sizeof *g->effects);
    g->n_effects = te->n_values;
    const char *ep = ld_sub(ld, p, "effects");
    for (size_t i = 0; i < te->n_values; i++) {
        const char *e = json_string_value(json_object_get(effects, te->values[i].id));
        if (!e || !ld_in_list(e, MODEL_GAP_EFFECTS))
            return ld_fail(ld, ld_sub(ld, ep, te->values[i].id),
                           "every value of '%s' needs its effect: enhance, replace, remove or new",
                           te->id);
        g->effects[i] = (struct model_gap_effect){te->values[i].id, ld_keep(ld, e)};
    }
    if (json_object_size(effects) != te->n_values)
        return ld_fail(ld, ep, "names a value that '%s' does not have", te->id);
    if (exclude && (ld_cond(ld, exclude, ld_sub(ld, p, "exclude"), &g->exclude) ||
                    ld_check_cond(ld, ld_sub(ld, p, "exclude"), g->kind, &g->exclude)))
        return -1;
    if (domain) {
        const struct model_field *df = model_field(g->kind, domain);
        if (!df || df->type != FT_REF)
            return ld_fail(ld, ld_sub(ld, p, "domain"), "'%s' is not a ref field of '%s'", domain,
                           kind);
        g->domain = df->name;
    }
    ld->m->gaps = g;
    return 0;
}

const struct model_gap_analysis *model_gap_analysis(const struct model *m)
{
    return m->gaps;
}

const char *model_gap_effect(const struct model_gap_analysis *g, const char *type_value)
{
    for (size_t i = 0; type_value && i < g->n_effects; i++)
        if (strcmp(g->effects[i].value, type_value) == 0)
            return g->effects[i].effect;
    return NULL;
}

json_t *gaps_json(const struct model *m)
{
    const struct model_gap_analysis *g = m->gaps;
    if (!g)
        return NULL;
    json_t *effects = json_object();
    for (size_t i = 0; i < g->n_effects; i++)
        json_object_set_new(effects, g->effects[i].value, json_string(g->effects[i].effect));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "kind", g->kind->id, "relation",
                          g->relation->id, "role", g->role, "result", g->result, "type", g->type,
                          "effects", effects);
    if (g->exclude.n_terms)
        json_object_set_new(o, "exclude", model_cond_json(&g->exclude));
    if (g->domain)
        json_object_set_new(o, "domain", json_string(g->domain));
    return o;
}
