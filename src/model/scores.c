/* scores: levels the model declares over the records of a kind (section
 * "scores", issue 17: an ICT project's risk, REQ MON-07). A score has
 * factors, each a value worked out from the record's own items or from the
 * records one step reaches (a count of overdue obligations, the latest
 * conclusion, how far indicators fall short), mapped to a level of the
 * score's scale by thresholds that are dated data. The registry computes
 * them (registry/score.c); the engine knows no score, kind or field by
 * name. */
#include "model/loader.h"
#include "util/arena.h"
#include "util/timeutil.h"

#include <math.h>
#include <string.h>

static const char *const SCORE_KEYS[] = {"label", "kind", "scale", "factors", NULL};
static const char *const FACTOR_KEYS[] = {"id",          "label",    "unit",   "requirement",
                                          "when",        "days_late", "excess", "overdue",
                                          "latest",      "shortfall", "thresholds", NULL};
static const char *const OPS[] = {"days_late", "excess", "overdue", "latest", "shortfall", NULL};
static const char *const DAYS_KEYS[] = {"items", "due", "done", NULL};
static const char *const EXCESS_KEYS[] = {"items", "actual", "planned", NULL};
static const char *const OVERDUE_KEYS[] = {"path", "policies", NULL};
static const char *const LATEST_KEYS[] = {"path", "when", "order", "field", NULL};
static const char *const SHORT_KEYS[] = {"path", "baseline", "target", "actual", NULL};
static const char *const ACTUAL_KEYS[] = {"items", "field", NULL};
static const char *const THRESH_KEYS[] = {"from", "at", "source", NULL};
static const char *const UNITS[] = {"days", "count", "percent", NULL};

/* The sub-field `name` of list-of-objects field `items` of k, of one of
 * the types t1/t2 (t2 may repeat t1). */
static int sub_of(struct loader *ld, const char *path, const struct model_kind *k,
                  const char *items, const char *name, enum field_type t1,
                  enum field_type t2)
{
    const struct model_field *f = model_field(k, items);
    if (!f || f->type != FT_LIST || !f->item || f->item->type != FT_OBJECT)
        return ld_fail(ld, path, "'%s' is not a list of objects of kind '%s'", items, k->id);
    if (f->restricted)
        return ld_fail(ld, path, "'%s' is restricted: a score would show it to anyone", items);
    const struct model_field *s = model_sub_field(f->item, name);
    if (!s || (s->type != t1 && s->type != t2))
        return ld_fail(ld, path, "'%s' is not a %s sub-field of '%s'", name,
                       t1 == FT_DATE ? "date" : "number", items);
    return 0;
}

/* A field `name` of every kind in `at` of type t1 or t2. */
static int field_of_all(struct loader *ld, const char *path, const struct ld_kinds *at,
                        const char *name, enum field_type t1, enum field_type t2,
                        const char *what)
{
    for (size_t i = 0; i < at->n; i++) {
        if (!at->has[i])
            continue;
        const struct model_field *f = model_field(&ld->m->kinds[i], name);
        if (!f || (f->type != t1 && f->type != t2))
            return ld_fail(ld, path, "'%s' is not %s field of kind '%s'", name, what,
                           ld->m->kinds[i].id);
        if (f->restricted)
            return ld_fail(ld, path, "'%s' is restricted: a score would show it to anyone", name);
    }
    return 0;
}

/* "path": one step (a ref or referenced_by, not repeated) from kind k;
 * *at gets the kinds it reaches. */
static int parse_step1(struct loader *ld, const json_t *v, const char *path,
                       const struct model_kind *k, struct model_score_factor *f,
                       struct ld_kinds *at)
{
    struct model_path p;
    *at = ld_kinds_new(ld);
    ld_kinds_add(at, ld->m, k->id);
    const char *pp = ld_sub(ld, path, "path");
    if (ld_path(ld, json_object_get(v, "path"), pp, 1, at, &p))
        return -1;
    if (p.n_steps != 1 || p.steps[0].type == STEP_RELATION || p.steps[0].repeat)
        return ld_fail(ld, pp, "a factor's path is one step: a ref or referenced_by, not repeated");
    f->step = p.steps[0];
    return 0;
}

static int parse_days_late(struct loader *ld, const json_t *v, const char *path,
                           const struct model_kind *k, struct model_score_factor *f)
{
    json_t *done;
    if (ld_check_keys(ld, v, path, DAYS_KEYS) || ld_string(ld, v, "items", path, true, &f->items) ||
        ld_string(ld, v, "due", path, true, &f->due) ||
        ld_member(ld, v, "done", path, JSON_ARRAY, true, &done) ||
        ld_strings(ld, done, ld_sub(ld, path, "done"), true, &f->done, &f->n_done) ||
        sub_of(ld, ld_sub(ld, path, "due"), k, f->items, f->due, FT_DATE, FT_DATE))
        return -1;
    for (size_t i = 0; i < f->n_done; i++) {
        const char *dp = ld_idx(ld, ld_sub(ld, path, "done"), i);
        if (strcmp(f->done[i], "today") == 0) {
            if (i + 1 != f->n_done)
                return ld_fail(ld, dp, "'today' can only come last");
            f->done_today = true;
            f->n_done--;
            f->done[i] = NULL;
        } else if (sub_of(ld, dp, k, f->items, f->done[i], FT_DATE, FT_DATE))
            return -1;
    }
    f->unit = f->unit ? f->unit : "days";
    return 0;
}

static int parse_excess(struct loader *ld, const json_t *v, const char *path,
                        const struct model_kind *k, struct model_score_factor *f)
{
    if (ld_check_keys(ld, v, path, EXCESS_KEYS) || ld_string(ld, v, "items", path, true, &f->items) ||
        ld_string(ld, v, "actual", path, true, &f->actual) ||
        ld_string(ld, v, "planned", path, true, &f->planned) ||
        sub_of(ld, ld_sub(ld, path, "actual"), k, f->items, f->actual, FT_DECIMAL, FT_INTEGER) ||
        sub_of(ld, ld_sub(ld, path, "planned"), k, f->items, f->planned, FT_DECIMAL, FT_INTEGER))
        return -1;
    return 0;
}

static int parse_overdue(struct loader *ld, const json_t *v, const char *path,
                         const struct model_kind *k, struct model_score_factor *f)
{
    json_t *pols;
    const char **ids;
    struct ld_kinds at;
    if (ld_check_keys(ld, v, path, OVERDUE_KEYS) || parse_step1(ld, v, path, k, f, &at) ||
        ld_member(ld, v, "policies", path, JSON_ARRAY, true, &pols) ||
        ld_strings(ld, pols, ld_sub(ld, path, "policies"), true, &ids, &f->n_policies))
        return -1;
    f->policies = arena_calloc(ld->m->arena, f->n_policies + 1, sizeof *f->policies);
    for (size_t i = 0; i < f->n_policies; i++)
        if (!(f->policies[i] = model_policy(ld->m, ids[i])))
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "policies"), i), "no policy '%s'",
                           ids[i]);
    return 0;
}

static int parse_latest(struct loader *ld, const json_t *v, const char *path,
                        const struct model_kind *k, struct model_score_factor *f)
{
    json_t *when;
    struct ld_kinds at;
    if (ld_check_keys(ld, v, path, LATEST_KEYS) || parse_step1(ld, v, path, k, f, &at) ||
        ld_string(ld, v, "order", path, true, &f->order) ||
        ld_string(ld, v, "field", path, true, &f->field) ||
        ld_member(ld, v, "when", path, JSON_OBJECT, false, &when) ||
        (when && ld_cond(ld, when, ld_sub(ld, path, "when"), &f->reached_when)) ||
        field_of_all(ld, ld_sub(ld, path, "order"), &at, f->order, FT_DATE, FT_TIMESTAMP,
                     "a date") ||
        field_of_all(ld, ld_sub(ld, path, "field"), &at, f->field, FT_ENUM, FT_ENUM, "an enum"))
        return -1;
    for (size_t i = 0; i < at.n; i++) {
        if (!at.has[i])
            continue;
        const struct model_field *ef = model_field(&ld->m->kinds[i], f->field);
        if (f->field_enum && ef->enumeration != f->field_enum)
            return ld_fail(ld, ld_sub(ld, path, "field"), "'%s' has different enums in the kinds reached",
                           f->field);
        f->field_enum = ef->enumeration;
        if (when && ld_check_cond(ld, ld_sub(ld, path, "when"), &ld->m->kinds[i], &f->reached_when))
            return -1;
    }
    return 0;
}

static int parse_shortfall(struct loader *ld, const json_t *v, const char *path,
                           const struct model_kind *k, struct model_score_factor *f)
{
    json_t *actual;
    struct ld_kinds at;
    const char *ap = ld_sub(ld, path, "actual");
    if (ld_check_keys(ld, v, path, SHORT_KEYS) || parse_step1(ld, v, path, k, f, &at) ||
        ld_string(ld, v, "baseline", path, true, &f->baseline) ||
        ld_string(ld, v, "target", path, true, &f->target) ||
        ld_member(ld, v, "actual", path, JSON_OBJECT, true, &actual) ||
        ld_check_keys(ld, actual, ap, ACTUAL_KEYS) ||
        ld_string(ld, actual, "items", ap, true, &f->actual_items) ||
        ld_string(ld, actual, "field", ap, true, &f->actual_field) ||
        field_of_all(ld, ld_sub(ld, path, "baseline"), &at, f->baseline, FT_DECIMAL, FT_INTEGER,
                     "a number") ||
        field_of_all(ld, ld_sub(ld, path, "target"), &at, f->target, FT_DECIMAL, FT_INTEGER,
                     "a number"))
        return -1;
    for (size_t i = 0; i < at.n; i++)
        if (at.has[i] && sub_of(ld, ld_sub(ld, ap, "field"), &ld->m->kinds[i], f->actual_items,
                                f->actual_field, FT_DECIMAL, FT_INTEGER))
            return -1;
    return 0;
}

static int parse_thresholds(struct loader *ld, const json_t *v, const char *path,
                            const struct model_score *s, const struct model_score_thresholds *prev,
                            struct model_score_factor *f, struct model_score_thresholds *out)
{
    const char *from, *source;
    int y, mo, d;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, THRESH_KEYS) ||
        ld_string(ld, v, "from", path, true, &from) ||
        ld_string(ld, v, "source", path, false, &source))
        return -1;
    if (time_parse_date(from, &y, &mo, &d) < 0)
        return ld_fail(ld, ld_sub(ld, path, "from"), "'%s' is not a date YYYY-MM-DD", from);
    out->from = ld_keep(ld, from);
    out->from_day = time_days_from_civil(y, mo, d);
    out->source = source ? ld_keep(ld, source) : NULL;
    if (prev && out->from_day <= prev->from_day)
        return ld_fail(ld, ld_sub(ld, path, "from"), "thresholds must be in increasing date order");
    const json_t *at = json_object_get(v, "at");
    const char *ap = ld_sub(ld, path, "at");
    size_t levels = s->scale->n_values;
    if (f->op == SCORE_LATEST) {
        const char *val;
        const json_t *lv;
        if (!json_is_object(at) || json_object_size(at) != f->field_enum->n_values)
            return ld_fail(ld, ap, "must give a level to each value of enum '%s'",
                           f->field_enum->id);
        out->values = arena_calloc(ld->m->arena, json_object_size(at) + 1, sizeof *out->values);
        out->value_levels = arena_calloc(ld->m->arena, json_object_size(at), sizeof(int));
        json_object_foreach((json_t *)at, val, lv)
        {
            if (!ld_enum_has(f->field_enum, val))
                return ld_fail(ld, ld_sub(ld, ap, val), "not a value of enum '%s'", f->field_enum->id);
            if (!json_is_integer(lv) || json_integer_value(lv) < 1 ||
                json_integer_value(lv) > (json_int_t)levels)
                return ld_fail(ld, ld_sub(ld, ap, val), "must be a level 1..%zu", levels);
            out->values[out->n_values] = ld_keep(ld, val);
            out->value_levels[out->n_values++] = (int)json_integer_value(lv);
        }
        return 0;
    }
    if (!json_is_array(at) || json_array_size(at) != levels - 1)
        return ld_fail(ld, ap, "must be an array of %zu increasing numbers (where levels 2..%zu begin)",
                       levels - 1, levels);
    out->at = arena_calloc(ld->m->arena, levels - 1, sizeof *out->at);
    for (size_t i = 0; i < levels - 1; i++) {
        const json_t *x = json_array_get(at, i);
        if (!json_is_number(x) || (i && json_number_value(x) <= out->at[i - 1]) ||
            json_number_value(x) < 0)
            return ld_fail(ld, ld_idx(ld, ap, i), "must be a number above the one before, not negative");
        out->at[i] = json_number_value(x);
    }
    return 0;
}

static int parse_factor(struct loader *ld, const json_t *v, const char *path,
                        const struct model_score *s, struct model_score_factor *f)
{
    const char *id, *op = NULL;
    json_t *when, *th;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, FACTOR_KEYS) ||
        ld_string(ld, v, "id", path, true, &id) || ld_name(ld, id, ld_sub(ld, path, "id")) ||
        ld_label(ld, v, "label", path, &f->label) ||
        ld_string(ld, v, "unit", path, false, &f->unit) ||
        ld_string(ld, v, "requirement", path, false, &f->requirement) ||
        ld_member(ld, v, "when", path, JSON_OBJECT, false, &when) ||
        (when && (ld_cond(ld, when, ld_sub(ld, path, "when"), &f->when) ||
                  ld_check_cond(ld, ld_sub(ld, path, "when"), s->kind, &f->when))) ||
        ld_member(ld, v, "thresholds", path, JSON_ARRAY, true, &th))
        return -1;
    f->id = ld_keep(ld, id);
    for (size_t i = 0; OPS[i]; i++) {
        if (!json_object_get(v, OPS[i]))
            continue;
        if (op)
            return ld_fail(ld, path, "has both '%s' and '%s': a factor is worked out one way", op,
                           OPS[i]);
        op = OPS[i];
        f->op = (enum model_score_op)i;
    }
    if (!op)
        return ld_fail(ld, path, "needs one of days_late, excess, overdue, latest, shortfall");
    const json_t *how = json_object_get(v, op);
    const char *hp = ld_sub(ld, path, op);
    if (ld_want_object(ld, how, hp))
        return -1;
    static int (*const parse[])(struct loader *, const json_t *, const char *,
                                const struct model_kind *, struct model_score_factor *) = {
        parse_days_late, parse_excess, parse_overdue, parse_latest, parse_shortfall};
    if (parse[f->op](ld, how, hp, s->kind, f))
        return -1;
    /* the names parsed point into the document: keep them */
    const char **names[] = {&f->items,    &f->due,    &f->actual,       &f->planned,
                            &f->order,    &f->field,  &f->baseline,     &f->target,
                            &f->actual_items, &f->actual_field};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (*names[i])
            *names[i] = ld_keep(ld, *names[i]);
    if (f->op == SCORE_LATEST && f->unit)
        return ld_fail(ld, ld_sub(ld, path, "unit"), "a factor of enum values has no unit");
    if (f->op != SCORE_LATEST && !f->unit)
        f->unit = f->op == SCORE_OVERDUE ? "count" : "percent";
    if (f->unit && !ld_in_list(f->unit, UNITS))
        return ld_fail(ld, ld_sub(ld, path, "unit"), "unknown unit '%s'", f->unit);
    f->unit = f->unit ? ld_keep(ld, f->unit) : NULL;
    f->requirement = f->requirement ? ld_keep(ld, f->requirement) : NULL;
    if (json_array_size(th) == 0)
        return ld_fail(ld, ld_sub(ld, path, "thresholds"), "needs at least one entry");
    f->thresholds = arena_calloc(ld->m->arena, json_array_size(th), sizeof *f->thresholds);
    for (size_t i = 0; i < json_array_size(th); i++) {
        if (parse_thresholds(ld, json_array_get(th, i), ld_idx(ld, ld_sub(ld, path, "thresholds"), i),
                             s, i ? &f->thresholds[i - 1] : NULL, f, &f->thresholds[i]))
            return -1;
        f->n_thresholds++;
    }
    return 0;
}

static int parse_score(struct loader *ld, const char *id, const json_t *v, struct model_score *s)
{
    const char *path = ld_sub(ld, "scores", id), *kind, *scale;
    json_t *factors;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, SCORE_KEYS) || ld_label(ld, v, "label", path, &s->label) ||
        ld_string(ld, v, "kind", path, true, &kind) ||
        ld_string(ld, v, "scale", path, true, &scale) ||
        ld_member(ld, v, "factors", path, JSON_ARRAY, true, &factors))
        return -1;
    s->id = ld_keep(ld, id);
    s->kind = model_kind(ld->m, kind);
    if (!s->kind || s->kind->is_relation)
        return ld_fail(ld, ld_sub(ld, path, "kind"), "no record kind '%s'", kind);
    if (!s->kind->owned)
        return ld_fail(ld, ld_sub(ld, path, "kind"), "kind '%s' is not owned: its scores roll up by owner",
                       kind);
    if (!(s->scale = model_enum(ld->m, scale)))
        return ld_fail(ld, ld_sub(ld, path, "scale"), "no enum '%s'", scale);
    if (s->scale->n_values < 2)
        return ld_fail(ld, ld_sub(ld, path, "scale"), "a scale needs at least two levels");
    if (json_array_size(factors) == 0)
        return ld_fail(ld, ld_sub(ld, path, "factors"), "needs at least one factor");
    s->factors = arena_calloc(ld->m->arena, json_array_size(factors), sizeof *s->factors);
    for (size_t i = 0; i < json_array_size(factors); i++) {
        const char *fp = ld_idx(ld, ld_sub(ld, path, "factors"), i);
        if (parse_factor(ld, json_array_get(factors, i), fp, s, &s->factors[i]))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->factors[j].id, s->factors[i].id) == 0)
                return ld_fail(ld, ld_sub(ld, fp, "id"), "factor '%s' comes twice", s->factors[i].id);
        s->n_factors++;
    }
    return 0;
}

const struct model_score *model_score_column(const struct model *m, const char *name,
                                             const struct model_score_factor **factor)
{
    *factor = NULL;
    if (strncmp(name, "score:", 6) != 0)
        return NULL;
    name += 6;
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    for (size_t i = 0; i < m->n_scores; i++) {
        const struct model_score *s = &m->scores[i];
        if (strlen(s->id) != len || strncmp(s->id, name, len) != 0)
            continue;
        for (size_t f = 0; dot && f < s->n_factors; f++)
            if (strcmp(s->factors[f].id, dot + 1) == 0)
                *factor = &s->factors[f];
        return !dot || *factor ? s : NULL;
    }
    return NULL;
}

/* A collection's columns "score:…" name a score of one of its kinds (and
 * one of its factors). */
static int check_columns(struct loader *ld)
{
    struct model *m = ld->m;
    for (size_t c = 0; c < m->n_colls; c++) {
        const struct model_collection *col = &m->colls[c];
        for (size_t i = 0; i < col->n_columns; i++) {
            const struct model_score_factor *f;
            const struct model_score *s = model_score_column(m, col->columns[i], &f);
            if (strncmp(col->columns[i], "score:", 6) == 0 &&
                (!s || !model_collection_has_kind(col, s->kind->id)))
                return ld_fail(ld, ld_idx(ld, ld_sub(ld, ld_sub(ld, "collections", col->id), "columns"), i),
                               "'%s' is not a score of the collection's kinds (score:<score> or "
                               "score:<score>.<factor>)",
                               col->columns[i]);
        }
    }
    return 0;
}

int parse_scores(struct loader *ld)
{
    json_t *in, *v;
    const char *id;
    if (ld_member(ld, ld->root, "scores", "", JSON_OBJECT, false, &in))
        return -1;
    struct model *m = ld->m;
    if (in) {
        m->scores = arena_calloc(m->arena, json_object_size(in), sizeof *m->scores);
        json_object_foreach(in, id, v)
        {
            if (parse_score(ld, id, v, &m->scores[m->n_scores]))
                return -1;
            m->n_scores++;
        }
    }
    return check_columns(ld);
}

const struct model_score *model_score(const struct model *m, const char *id)
{
    for (size_t i = 0; i < m->n_scores; i++)
        if (strcmp(m->scores[i].id, id) == 0)
            return &m->scores[i];
    return NULL;
}

size_t model_n_scores(const struct model *m)
{
    return m->n_scores;
}

const struct model_score *model_score_at(const struct model *m, size_t i)
{
    return i < m->n_scores ? &m->scores[i] : NULL;
}

const struct model_score_thresholds *model_score_thresholds_on(const struct model_score_factor *f,
                                                               int64_t day)
{
    const struct model_score_thresholds *in = NULL;
    for (size_t i = 0; i < f->n_thresholds; i++)
        if (f->thresholds[i].from_day <= day)
            in = &f->thresholds[i];
    return in;
}

json_t *model_score_thresholds_json(const struct model_score *s, const struct model_score_factor *f,
                                    const struct model_score_thresholds *t)
{
    json_t *at;
    if (f->op == SCORE_LATEST) {
        at = json_object();
        for (size_t v = 0; v < t->n_values; v++)
            json_object_set_new(at, t->values[v], json_integer(t->value_levels[v]));
    } else {
        at = json_array();
        for (size_t l = 0; l + 1 < s->scale->n_values; l++)
            json_array_append_new(at, json_real(t->at[l]));
    }
    json_t *o = json_pack("{s:s, s:o}", "from", t->from, "at", at);
    if (t->source)
        json_object_set_new(o, "source", json_string(t->source));
    return o;
}

static json_t *thresholds_json(const struct model_score *s, const struct model_score_factor *f)
{
    json_t *out = json_array();
    for (size_t i = 0; i < f->n_thresholds; i++)
        json_array_append_new(out, model_score_thresholds_json(s, f, &f->thresholds[i]));
    return out;
}

json_t *scores_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_scores; i++) {
        const struct model_score *s = &m->scores[i];
        json_t *factors = json_array();
        for (size_t j = 0; j < s->n_factors; j++) {
            const struct model_score_factor *f = &s->factors[j];
            json_t *o = json_pack("{s:s, s:o, s:s, s:o}", "id", f->id, "label",
                                  model_label_json(f->label), "op", OPS[f->op], "thresholds",
                                  thresholds_json(s, f));
            if (f->unit)
                json_object_set_new(o, "unit", json_string(f->unit));
            if (f->requirement)
                json_object_set_new(o, "requirement", json_string(f->requirement));
            if (f->when.n_terms)
                json_object_set_new(o, "when", model_cond_json(&f->when));
            json_array_append_new(factors, o);
        }
        json_object_set_new(out, s->id,
                            json_pack("{s:o, s:s, s:s, s:o}", "label", model_label_json(s->label),
                                      "kind", s->kind->id, "scale", s->scale->id, "factors",
                                      factors));
    }
    return out;
}
