/* dups: the model's "duplicates" section (issue 16 item 2, REQ ARC-13,
 * ARC-17, MON-03): what counts as duplication and reuse, checked against
 * the kinds and relation types it names, so that the engine that finds
 * duplicates (arch/dups.c) names none of them.
 *
 *   "duplicates": {"kinds": ["<owned record kind>", …] (the records
 *     compared and offered as similar; a kind added later joins here),
 *     "shared": [{"relation": "<type out of those kinds>", "when"?:
 *       {<a condition on the relation's own attributes>}}, …] (records of
 *     different owners linked to the same record by one of them are
 *     structural duplicates),
 *     "text"?: {"threshold": <0.5 .. 1: the least cosine of two
 *       records' words (TF-IDF over the word index) for a textual pair>},
 *     "register"?: {"kinds": ["<record kind>", …]} (a register's entries,
 *       offered beside the similar objects in a list of their own, never
 *       paired: the register of trusted software, SVC-02)} */
#include "model/loader.h"

#include <string.h>

static const char *const DUP_KEYS[] = {"kinds", "shared", "text", "register", "control", NULL};
static const char *const CONTROL_KEYS[] = {"kind", "via", NULL};
static const char *const REGISTER_KEYS[] = {"kinds", NULL};
static const char *const SHARED_KEYS[] = {"relation", "when", NULL};
static const char *const TEXT_KEYS[] = {"threshold", NULL};

static bool source_has(const struct model_kind *rel, const char *kind)
{
    const struct model_field *src = model_field(rel, "source");
    for (size_t i = 0; src && i < src->n_ref_kinds; i++)
        if (strcmp(src->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

static int parse_shared(struct loader *ld, struct model_duplicates *d, json_t *shared,
                        const char *p)
{
    d->n_shared = json_array_size(shared);
    d->shared = arena_calloc(ld->m->arena, d->n_shared + 1, sizeof *d->shared);
    for (size_t i = 0; i < d->n_shared; i++) {
        json_t *s = json_array_get(shared, i), *when;
        const char *sp = ld_idx(ld, p, i), *rel;
        if (ld_want_object(ld, s, sp) || ld_check_keys(ld, s, sp, SHARED_KEYS) ||
            ld_string(ld, s, "relation", sp, true, &rel) ||
            ld_member(ld, s, "when", sp, JSON_OBJECT, false, &when))
            return -1;
        const struct model_kind *rk = model_kind(ld->m, rel);
        bool from = false;
        for (size_t k = 0; rk && rk->is_relation && k < d->n_kinds; k++)
            from = from || source_has(rk, d->kinds[k]->id);
        if (!from)
            return ld_fail(ld, ld_sub(ld, sp, "relation"),
                           "'%s' is not a relation type out of the duplicates' kinds", rel);
        d->shared[i].relation = rk;
        if (when && (ld_cond(ld, when, ld_sub(ld, sp, "when"), &d->shared[i].when) ||
                     ld_check_cond(ld, ld_sub(ld, sp, "when"), rk, &d->shared[i].when)))
            return -1;
    }
    return 0;
}

/* The register's kinds: record kinds not compared, in collections that
 * hold none of the compared kinds (the similar records' lengths are kept
 * per collection). */
static int parse_register(struct loader *ld, struct model_duplicates *d, json_t *reg,
                          const char *p)
{
    const char **names;
    const char *kp = ld_sub(ld, p, "kinds");
    if (ld_check_keys(ld, reg, p, REGISTER_KEYS) ||
        ld_strings(ld, json_object_get(reg, "kinds"), kp, true, &names, &d->n_register))
        return -1;
    d->register_kinds = arena_calloc(ld->m->arena, d->n_register + 1, sizeof *d->register_kinds);
    for (size_t i = 0; i < d->n_register; i++) {
        const struct model_kind *k = model_kind(ld->m, names[i]);
        if (!k || k->is_relation || !k->collection)
            return ld_fail(ld, ld_idx(ld, kp, i), "'%s' is not a record kind", names[i]);
        for (size_t j = 0; j < d->n_kinds; j++)
            if (strcmp(d->kinds[j]->collection, k->collection) == 0)
                return ld_fail(ld, ld_idx(ld, kp, i),
                               "'%s' is kept in collection '%s' with the compared kind '%s'",
                               names[i], k->collection, d->kinds[j]->id);
        d->register_kinds[i] = k;
    }
    return 0;
}

/* "control": each entry a record kind (once) and a chain of ref fields,
 * each a ref or a list of refs of every kind reached so far, ending at
 * some of the section's kinds. */
static int parse_control(struct loader *ld, struct model_duplicates *d, json_t *ctl,
                         const char *p)
{
    d->n_control = json_array_size(ctl);
    d->control = arena_calloc(ld->m->arena, d->n_control + 1, sizeof *d->control);
    for (size_t i = 0; i < d->n_control; i++) {
        json_t *c = json_array_get(ctl, i), *via;
        const char *cp = ld_idx(ld, p, i), *kind;
        struct model_dup_control *x = &d->control[i];
        if (ld_want_object(ld, c, cp) || ld_check_keys(ld, c, cp, CONTROL_KEYS) ||
            ld_string(ld, c, "kind", cp, true, &kind) ||
            ld_member(ld, c, "via", cp, JSON_ARRAY, true, &via) ||
            ld_strings(ld, via, ld_sub(ld, cp, "via"), true, &x->via, &x->n_via))
            return -1;
        x->kind = model_kind(ld->m, kind);
        if (!x->kind || x->kind->is_relation || !x->kind->collection)
            return ld_fail(ld, ld_sub(ld, cp, "kind"), "'%s' is not a record kind", kind);
        for (size_t j = 0; j < i; j++)
            if (d->control[j].kind == x->kind)
                return ld_fail(ld, ld_sub(ld, cp, "kind"), "kind '%s' comes twice", kind);
        /* the kinds reached, step by step */
        struct ld_kinds at = ld_kinds_new(ld);
        ld_kinds_add(&at, ld->m, x->kind->id);
        for (size_t s = 0; s < x->n_via; s++) {
            struct ld_kinds next = ld_kinds_new(ld);
            bool some = false;
            for (size_t k = 0; k < at.n; k++) {
                if (!at.has[k])
                    continue;
                const struct model_field *f = ld_ref_field(&ld->m->kinds[k], x->via[s]);
                if (!f)
                    return ld_fail(ld, ld_idx(ld, ld_sub(ld, cp, "via"), s),
                                   "'%s' is not a ref field of kind '%s'", x->via[s],
                                   ld->m->kinds[k].id);
                for (size_t r = 0; r < f->n_ref_kinds; r++)
                    ld_kinds_add(&next, ld->m, f->ref_kinds[r]);
                some = true;
            }
            if (!some)
                return ld_fail(ld, ld_sub(ld, cp, "via"), "reaches no kind");
            at = next;
        }
        const char **ids = arena_calloc(ld->m->arena, d->n_kinds + 1, sizeof *ids);
        for (size_t k = 0; k < d->n_kinds; k++)
            ids[k] = d->kinds[k]->id;
        if (!ld_kinds_any(&at, ld->m, ids, d->n_kinds))
            return ld_fail(ld, ld_sub(ld, cp, "via"), "reaches none of the duplicates' kinds");
    }
    return 0;
}

int parse_duplicates(struct loader *ld)
{
    json_t *in, *kinds, *shared, *text;
    const char *p = "duplicates";
    if (ld_member(ld, ld->root, "duplicates", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    if (ld_check_keys(ld, in, p, DUP_KEYS) ||
        ld_member(ld, in, "kinds", p, JSON_ARRAY, true, &kinds) ||
        ld_member(ld, in, "shared", p, JSON_ARRAY, true, &shared) ||
        ld_member(ld, in, "text", p, JSON_OBJECT, false, &text))
        return -1;
    struct model_duplicates *d = arena_calloc(ld->m->arena, 1, sizeof *d);
    const char **names;
    const char *kp = ld_sub(ld, p, "kinds");
    if (ld_strings(ld, kinds, kp, true, &names, &d->n_kinds))
        return -1;
    d->kinds = arena_calloc(ld->m->arena, d->n_kinds + 1, sizeof *d->kinds);
    for (size_t i = 0; i < d->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, names[i]);
        if (!k || k->is_relation || !k->collection || !k->owned)
            return ld_fail(ld, ld_idx(ld, kp, i), "'%s' is not an owned record kind", names[i]);
        d->kinds[i] = k;
    }
    if (!json_array_size(shared))
        return ld_fail(ld, ld_sub(ld, p, "shared"), "lists no relation type");
    if (parse_shared(ld, d, shared, ld_sub(ld, p, "shared")))
        return -1;
    d->threshold = 0;
    if (text) {
        const char *tp = ld_sub(ld, p, "text");
        json_t *th = json_object_get(text, "threshold");
        if (ld_check_keys(ld, text, tp, TEXT_KEYS))
            return -1;
        if (!json_is_number(th) || json_number_value(th) < 0.5 || json_number_value(th) > 1)
            return ld_fail(ld, ld_sub(ld, tp, "threshold"), "must be a number from 0.5 to 1");
        d->threshold = json_number_value(th);
    }
    json_t *reg, *ctl;
    if (ld_member(ld, in, "register", p, JSON_OBJECT, false, &reg) ||
        (reg && parse_register(ld, d, reg, ld_sub(ld, p, "register"))) ||
        ld_member(ld, in, "control", p, JSON_ARRAY, false, &ctl) ||
        (ctl && parse_control(ld, d, ctl, ld_sub(ld, p, "control"))))
        return -1;
    ld->m->dups = d;
    return 0;
}

const struct model_duplicates *model_duplicates(const struct model *m)
{
    return m->dups;
}

bool model_dup_kind(const struct model_duplicates *d, const char *kind)
{
    for (size_t i = 0; d && kind && i < d->n_kinds; i++)
        if (strcmp(d->kinds[i]->id, kind) == 0)
            return true;
    return false;
}

const struct model_dup_control *model_dup_control(const struct model_duplicates *d,
                                                  const char *kind)
{
    for (size_t i = 0; d && kind && i < d->n_control; i++)
        if (strcmp(d->control[i].kind->id, kind) == 0)
            return &d->control[i];
    return NULL;
}

json_t *dups_json(const struct model *m)
{
    const struct model_duplicates *d = m->dups;
    json_t *kinds = json_array(), *shared = json_array();
    for (size_t i = 0; i < d->n_kinds; i++)
        json_array_append_new(kinds, json_string(d->kinds[i]->id));
    for (size_t i = 0; i < d->n_shared; i++) {
        json_t *s = json_pack("{s:s}", "relation", d->shared[i].relation->id);
        if (d->shared[i].when.n_terms)
            json_object_set_new(s, "when", model_cond_json(&d->shared[i].when));
        json_array_append_new(shared, s);
    }
    json_t *o = json_pack("{s:o, s:o}", "kinds", kinds, "shared", shared);
    if (d->threshold > 0)
        json_object_set_new(o, "text", json_pack("{s:f}", "threshold", d->threshold));
    if (d->n_register) {
        json_t *rk = json_array();
        for (size_t i = 0; i < d->n_register; i++)
            json_array_append_new(rk, json_string(d->register_kinds[i]->id));
        json_object_set_new(o, "register", json_pack("{s:o}", "kinds", rk));
    }
    if (d->n_control) {
        json_t *ctl = json_array();
        for (size_t i = 0; i < d->n_control; i++)
            json_array_append_new(ctl, json_pack("{s:s, s:o}", "kind", d->control[i].kind->id,
                                                  "via",
                                                  strings_json(d->control[i].via,
                                                               d->control[i].n_via)));
        json_object_set_new(o, "control", ctl);
    }
    return o;
}
