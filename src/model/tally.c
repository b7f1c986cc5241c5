/* tally: a kind whose records count the records of other kinds by their
 * owners (model key "tally" of a kind, issue 17: the period report of the
 * architecture's implementation that the service integrator submits to
 * the authorized body, REQ MON-06, MON-08). The loader checks what a
 * tally names; the registry computes it at a write (registry/tally.c);
 * the engine knows no kind, field or score by name. */
#include "model/loader.h"
#include "util/arena.h"

#include <string.h>

static const char *const TALLY_KEYS[] = {"into", "by", "at", "period", "while", "columns", NULL};
static const char *const PERIOD_KEYS[] = {"from", "to", NULL};
static const char *const COLUMN_KEYS[] = {"field", "count", "sum",   "overdue",
                                          "score", "percent", NULL};
static const char *const OPS[] = {"count", "sum", "overdue", "score", "percent", NULL};
static const char *const COUNT_KEYS[] = {"kinds", "when", "dated", NULL};
static const char *const SUM_KEYS[] = {"kinds", "when", "dated", "field", NULL};
static const char *const OVERDUE_KEYS[] = {"kinds", "when", "policies", NULL};
static const char *const SCORE_KEYS[] = {"score", "factor", "from", NULL};
static const char *const PERCENT_KEYS[] = {"of", "over", NULL};

/* The kind's read-only field `name` of type t. */
static int own_field(struct loader *ld, const char *path, const struct model_kind *k,
                     const char *name, enum field_type t, const char *what)
{
    const struct model_field *f = model_field(k, name);
    if (!f || f->type != t || !f->readonly)
        return ld_fail(ld, path, "'%s' is not a read-only %s field of kind '%s'", name, what,
                       k->id);
    return 0;
}

/* The kinds a column counts: owned record kinds; `when` on their enum and
 * boolean fields, `dated` a date field and `field` (sum) a decimal field
 * of each, neither restricted. */
static int parse_counted(struct loader *ld, const json_t *v, const char *path, bool sum,
                         struct model_tally_column *c)
{
    json_t *kinds, *when;
    if (ld_member(ld, v, "kinds", path, JSON_ARRAY, true, &kinds) ||
        ld_strings(ld, kinds, ld_sub(ld, path, "kinds"), true, &c->kinds, &c->n_kinds) ||
        ld_member(ld, v, "when", path, JSON_OBJECT, false, &when) ||
        (when && ld_cond(ld, when, ld_sub(ld, path, "when"), &c->when)) ||
        ld_string(ld, v, "dated", path, false, &c->dated) ||
        (sum && ld_string(ld, v, "field", path, true, &c->sum)))
        return -1;
    c->dated = c->dated ? ld_keep(ld, c->dated) : NULL;
    c->sum = c->sum ? ld_keep(ld, c->sum) : NULL;
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, c->kinds[i]);
        const char *kp = ld_idx(ld, ld_sub(ld, path, "kinds"), i);
        if (!k || k->is_relation || !k->owned)
            return ld_fail(ld, kp, "'%s' is not an owned record kind", c->kinds[i]);
        if (when && ld_check_cond(ld, ld_sub(ld, path, "when"), k, &c->when))
            return -1;
        const struct model_field *f;
        if (c->dated && (!(f = model_field(k, c->dated)) || f->type != FT_DATE || f->restricted))
            return ld_fail(ld, ld_sub(ld, path, "dated"), "'%s' is not a date field of kind '%s'",
                           c->dated, k->id);
        if (c->sum && (!(f = model_field(k, c->sum)) || f->type != FT_DECIMAL || f->restricted))
            return ld_fail(ld, ld_sub(ld, path, "field"),
                           "'%s' is not a decimal field of kind '%s'", c->sum, k->id);
    }
    return 0;
}

static int parse_overdue(struct loader *ld, const json_t *v, const char *path,
                         struct model_tally_column *c)
{
    json_t *pols;
    if (parse_counted(ld, v, path, false, c) ||
        ld_member(ld, v, "policies", path, JSON_ARRAY, true, &pols) ||
        ld_strings(ld, pols, ld_sub(ld, path, "policies"), true, &c->policies, &c->n_policies))
        return -1;
    for (size_t i = 0; i < c->n_policies; i++)
        if (!model_policy(ld->m, c->policies[i]))
            return ld_fail(ld, ld_idx(ld, ld_sub(ld, path, "policies"), i), "no policy '%s'",
                           c->policies[i]);
    return 0;
}

/* {"score": S, "factor"?: F, "from": level}: the score's records owned by
 * the row's owner whose level (or factor F's) is at least `from`. */
static int parse_score_column(struct loader *ld, const json_t *v, const char *path,
                              struct model_tally_column *c)
{
    const char *score, *factor;
    if (ld_string(ld, v, "score", path, true, &score) ||
        ld_string(ld, v, "factor", path, false, &factor))
        return -1;
    if (!(c->score = model_score(ld->m, score)))
        return ld_fail(ld, ld_sub(ld, path, "score"), "no score '%s'", score);
    c->factor = -1;
    for (size_t i = 0; factor && i < c->score->n_factors; i++)
        if (strcmp(c->score->factors[i].id, factor) == 0)
            c->factor = (int)i;
    if (factor && c->factor < 0)
        return ld_fail(ld, ld_sub(ld, path, "factor"), "score '%s' has no factor '%s'", score,
                       factor);
    const json_t *from = json_object_get(v, "from");
    json_int_t levels = (json_int_t)c->score->scale->n_values;
    if (!json_is_integer(from) || json_integer_value(from) < 1 ||
        json_integer_value(from) > levels)
        return ld_fail(ld, ld_sub(ld, path, "from"), "a level of the score's scale, 1 to %lld",
                       (long long)levels);
    c->from = (int)json_integer_value(from);
    return 0;
}

/* {"of": column, "over": column}: two columns of counts before this one. */
static int parse_percent(struct loader *ld, const json_t *v, const char *path,
                         const struct model_tally *t, struct model_tally_column *c)
{
    const char *names[2];
    if (ld_string(ld, v, "of", path, true, &names[0]) ||
        ld_string(ld, v, "over", path, true, &names[1]))
        return -1;
    int at[2] = {-1, -1};
    for (int n = 0; n < 2; n++) {
        for (size_t i = 0; i < t->n_columns; i++)
            if (strcmp(t->columns[i].field, names[n]) == 0 && t->columns[i].op != TALLY_PERCENT &&
                t->columns[i].op != TALLY_SUM)
                at[n] = (int)i;
        if (at[n] < 0)
            return ld_fail(ld, ld_sub(ld, path, n ? "over" : "of"),
                           "'%s' is not a column of counts before this one", names[n]);
    }
    c->of = at[0];
    c->over = at[1];
    return 0;
}

/* The sub-field type each op fills. */
static enum field_type op_type(enum tally_op op)
{
    return op == TALLY_SUM || op == TALLY_PERCENT ? FT_DECIMAL : FT_INTEGER;
}

static int parse_column(struct loader *ld, const json_t *v, const char *path,
                        const struct model_field *item, struct model_tally *t,
                        struct model_tally_column *c)
{
    const char *field;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, COLUMN_KEYS) ||
        ld_string(ld, v, "field", path, true, &field))
        return -1;
    c->field = ld_keep(ld, field);
    int said = 0;
    const json_t *how = NULL;
    for (size_t i = 0; OPS[i]; i++)
        if (json_object_get(v, OPS[i])) {
            c->op = (enum tally_op)i;
            how = json_object_get(v, OPS[i]);
            said++;
        }
    if (said != 1)
        return ld_fail(ld, path, "a column says one of count, sum, overdue, score and percent");
    const char *hp = ld_sub(ld, path, OPS[c->op]);
    static const char *const *const keys[] = {COUNT_KEYS, SUM_KEYS, OVERDUE_KEYS, SCORE_KEYS,
                                              PERCENT_KEYS};
    if (ld_want_object(ld, how, hp) || ld_check_keys(ld, how, hp, keys[c->op]))
        return -1;
    int rc = c->op == TALLY_COUNT     ? parse_counted(ld, how, hp, false, c)
             : c->op == TALLY_SUM     ? parse_counted(ld, how, hp, true, c)
             : c->op == TALLY_OVERDUE ? parse_overdue(ld, how, hp, c)
             : c->op == TALLY_SCORE   ? parse_score_column(ld, how, hp, c)
                                      : parse_percent(ld, how, hp, t, c);
    if (rc)
        return -1;
    const struct model_field *s = model_sub_field(item, c->field);
    if (!s || s->type != op_type(c->op))
        return ld_fail(ld, ld_sub(ld, path, "field"), "'%s' is not %s sub-field of the items",
                       c->field, op_type(c->op) == FT_DECIMAL ? "a decimal" : "an integer");
    for (size_t i = 0; i < t->n_columns; i++)
        if (strcmp(t->columns[i].field, c->field) == 0)
            return ld_fail(ld, ld_sub(ld, path, "field"), "'%s' is filled twice", c->field);
    return 0;
}

static int parse_tally(struct loader *ld, const json_t *v, const char *path, struct model_kind *k)
{
    struct model_tally *t = arena_calloc(ld->m->arena, 1, sizeof *t);
    json_t *period, *when, *cols;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, TALLY_KEYS) ||
        ld_string(ld, v, "into", path, true, &t->into) ||
        ld_string(ld, v, "by", path, true, &t->by) || ld_string(ld, v, "at", path, true, &t->at) ||
        ld_member(ld, v, "period", path, JSON_OBJECT, true, &period) ||
        ld_check_keys(ld, period, ld_sub(ld, path, "period"), PERIOD_KEYS) ||
        ld_string(ld, period, "from", ld_sub(ld, path, "period"), true, &t->from) ||
        ld_string(ld, period, "to", ld_sub(ld, path, "period"), true, &t->to) ||
        ld_member(ld, v, "while", path, JSON_OBJECT, true, &when) ||
        ld_cond(ld, when, ld_sub(ld, path, "while"), &t->while_) ||
        ld_check_cond(ld, ld_sub(ld, path, "while"), k, &t->while_) ||
        ld_member(ld, v, "columns", path, JSON_ARRAY, true, &cols))
        return -1;
    if (k->is_relation)
        return ld_fail(ld, path, "a relation type tallies nothing");
    t->into = ld_keep(ld, t->into);
    t->by = ld_keep(ld, t->by);
    t->at = ld_keep(ld, t->at);
    t->from = ld_keep(ld, t->from);
    t->to = ld_keep(ld, t->to);
    const struct model_field *into = model_field(k, t->into);
    if (!into || into->type != FT_LIST || !into->item || into->item->type != FT_OBJECT ||
        !into->readonly)
        return ld_fail(ld, ld_sub(ld, path, "into"), "'%s' is not a read-only list of objects",
                       t->into);
    const struct model_field *by = model_sub_field(into->item, t->by);
    const struct model_kind *owner = model_owner_kind(ld->m);
    if (!by || by->type != FT_REF || !owner || by->n_ref_kinds != 1 ||
        strcmp(by->ref_kinds[0], owner->id) != 0)
        return ld_fail(ld, ld_sub(ld, path, "by"), "'%s' is not a sub-field naming an owner",
                       t->by);
    if (own_field(ld, ld_sub(ld, path, "at"), k, t->at, FT_TIMESTAMP, "timestamp"))
        return -1;
    const struct model_field *f;
    for (int i = 0; i < 2; i++) {
        const char *name = i ? t->to : t->from;
        if (!(f = model_field(k, name)) || f->type != FT_DATE || !f->required)
            return ld_fail(ld, ld_sub(ld, ld_sub(ld, path, "period"), i ? "to" : "from"),
                           "'%s' is not a required date field of kind '%s'", name, k->id);
    }
    if (!json_array_size(cols))
        return ld_fail(ld, ld_sub(ld, path, "columns"), "a tally has columns");
    t->columns = arena_calloc(ld->m->arena, json_array_size(cols), sizeof *t->columns);
    size_t i;
    json_t *one;
    json_array_foreach (cols, i, one) {
        if (parse_column(ld, one, ld_idx(ld, ld_sub(ld, path, "columns"), i), into->item, t,
                         &t->columns[t->n_columns]))
            return -1;
        t->n_columns++;
    }
    k->tally = t;
    return 0;
}

int parse_tallies(struct loader *ld)
{
    struct model *m = ld->m;
    for (size_t i = 0; i < m->n_kinds; i++) {
        struct model_kind *k = &m->kinds[i];
        const json_t *in = json_object_get(k->is_relation ? ld->relations_in : ld->kinds_in, k->id);
        const json_t *v = json_object_get(in, "tally");
        if (v && parse_tally(ld, v, ld_sub(ld, ld_sub(ld, "kinds", k->id), "tally"), k))
            return -1;
    }
    return 0;
}

static json_t *column_json(const struct model_tally *t, const struct model_tally_column *c)
{
    json_t *how = json_object();
    if (c->op == TALLY_SCORE) {
        json_object_set_new(how, "score", json_string(c->score->id));
        if (c->factor >= 0)
            json_object_set_new(how, "factor", json_string(c->score->factors[c->factor].id));
        json_object_set_new(how, "from", json_integer(c->from));
    } else if (c->op == TALLY_PERCENT) {
        json_object_set_new(how, "of", json_string(t->columns[c->of].field));
        json_object_set_new(how, "over", json_string(t->columns[c->over].field));
    } else {
        json_object_set_new(how, "kinds", strings_json(c->kinds, c->n_kinds));
        if (c->when.n_terms)
            json_object_set_new(how, "when", model_cond_json(&c->when));
        if (c->dated)
            json_object_set_new(how, "dated", json_string(c->dated));
        if (c->sum)
            json_object_set_new(how, "field", json_string(c->sum));
        if (c->n_policies)
            json_object_set_new(how, "policies", strings_json(c->policies, c->n_policies));
    }
    return json_pack("{s:s, s:o}", "field", c->field, OPS[c->op], how);
}

json_t *tally_json(const struct model_tally *t)
{
    json_t *cols = json_array();
    for (size_t i = 0; i < t->n_columns; i++)
        json_array_append_new(cols, column_json(t, &t->columns[i]));
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o}", "into", t->into, "by", t->by, "at",
                     t->at, "period", "from", t->from, "to", t->to, "while",
                     model_cond_json(&t->while_), "columns", cols);
}
