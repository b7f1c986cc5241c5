/* checks: what must hold between a record's values beyond each one's type
 * (model key "checks" of a kind), refused at a write like a value of the
 * wrong type: an actual date not before the start, a date or a year of
 * spending not in the future (issue 17's bad input). Each check compares
 * one date or number field with another of the same record, or of the same
 * item of a list field ("items"), or with today ("today": today's date for
 * a date, this year for an integer, which then holds a year); "if" names a
 * field without which the check does not apply (the year of an amount
 * spent only when it was spent). And a relation's attributes derived from
 * its ends (model key "derive" of a relation type, struct model_derive). */
#include "model/loader.h"

#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* Sums of decimals (18 digits, 6 after the point, up to 1,000 items) held exactly. */
typedef model_i128 i128;

static const char *const CHECK_KEYS[] = {"items",  "field", "not_before", "not_after", "before",
                                         "after",  "if",    "equals",     NULL};

/* Where the fields a check names are: the kind's (items NULL), or the
 * sub-fields of its list of objects `items` (*obj that object's field).
 * False when items is not such a list. */
static bool check_scope(const struct model_kind *k, const char *items,
                        const struct model_field **obj)
{
    const struct model_field *f = items ? model_field(k, items) : NULL;
    *obj = f && f->type == FT_LIST && f->item && f->item->type == FT_OBJECT ? f->item : NULL;
    return !items || *obj;
}

/* Field `name` of the scope: the kind's, or the object's. */
static const struct model_field *scope_field(const struct model_kind *k,
                                             const struct model_field *obj, const char *name)
{
    return !name ? NULL : obj ? model_sub_field(obj, name) : model_field(k, name);
}

static bool comparable(enum field_type t)
{
    return t == FT_DATE || t == FT_INTEGER || t == FT_DECIMAL;
}

/* The field `name` of every kind a ref field names: the first (their
 * types must agree: the same type and enum); NULL when one lacks it or is
 * not read yet (the kinds a check or a computed field reads through a ref
 * come before it in the model). */
static const struct model_field *via_field(const struct loader *ld, const struct model_field *ref,
                                           const char *name)
{
    const struct model_field *first = NULL;
    for (size_t i = 0; ref && ref->type == FT_REF && i < ref->n_ref_kinds; i++) {
        /* a kind not read yet (the kind itself, or one after it) has no
         * fields to check against: refused */
        const struct model_kind *k = model_kind(ld->m, ref->ref_kinds[i]);
        const struct model_field *f = k ? model_field(k, name) : NULL;
        if (!f || (first && (f->type != first->type || f->enumeration != first->enumeration)))
            return NULL;
        first = first ? first : f;
    }
    return first;
}

/* Splits "ref.field" at its dot into *ref (kept) and *via (kept); a name
 * without a dot is the field itself (*via NULL). */
static void split_path(struct loader *ld, const char *name, const char **ref, const char **via)
{
    const char *dot = strchr(name, '.');
    if (!dot) {
        *ref = ld_keep(ld, name);
        *via = NULL;
        return;
    }
    char head[128];
    snprintf(head, sizeof head, "%.*s", (int)(dot - name), name);
    *ref = ld_keep(ld, head);
    *via = ld_keep(ld, dot + 1);
}

/* {"field": "ref.via" or a field, "equals": a field of the record}. */
static int parse_equals(struct loader *ld, const char *path, const struct model_kind *k,
                        const struct model_field *obj, const char *equals, struct model_check *c)
{
    split_path(ld, c->field, &c->field, &c->via);
    const struct model_field *f = scope_field(k, obj, c->field);
    if (f && c->via)
        f = via_field(ld, f, c->via);
    const struct model_field *o = model_field(k, equals);
    if (!f || !o || f->type != o->type || f->enumeration != o->enumeration)
        return ld_fail(ld, ld_sub(ld, path, "field"),
                       "'%s' and the record's '%s' are not fields of one type", c->field, equals);
    c->equals = ld_keep(ld, equals);
    c->items = c->items ? ld_keep(ld, c->items) : NULL;
    c->type = f->type;
    return 0;
}

static int parse_check(struct loader *ld, const json_t *v, const char *path,
                       const struct model_kind *k, struct model_check *c)
{
    /* the order ops, in enum check_op's order */
    static const char *const ops[] = {"not_before", "not_after", "before", "after"};
    const char *by[4] = {NULL}, *other = NULL;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, CHECK_KEYS) ||
        ld_string(ld, v, "items", path, false, &c->items) ||
        ld_string(ld, v, "field", path, true, &c->field) ||
        ld_string(ld, v, "if", path, false, &c->if_filled))
        return -1;
    int said = 0;
    for (int i = 0; i < 4; i++) {
        if (ld_string(ld, v, ops[i], path, false, &by[i]))
            return -1;
        if (by[i]) {
            c->op = (enum check_op)i;
            other = by[i];
            said++;
        }
    }
    const char *equals;
    if (ld_string(ld, v, "equals", path, false, &equals))
        return -1;
    if (said + (equals != NULL) != 1)
        return ld_fail(ld, path,
                       "a check says one of not_before, not_after, before, after and equals");
    const struct model_field *obj;
    if (!check_scope(k, c->items, &obj))
        return ld_fail(ld, ld_sub(ld, path, "items"), "'%s' is not a list of objects of '%s'",
                       c->items, k->id);
    if (equals)
        return parse_equals(ld, path, k, obj, equals, c);
    const struct model_field *f = scope_field(k, obj, c->field);
    if (!f || !comparable(f->type))
        return ld_fail(ld, ld_sub(ld, path, "field"), "'%s' is not a date or number field there",
                       c->field);
    if (strcmp(other, "today") == 0) {
        if (f->type == FT_DECIMAL)
            return ld_fail(ld, path, "'today' compares with a date or a year (an integer)");
        c->other = NULL;
    } else {
        const struct model_field *o = scope_field(k, obj, other);
        if (!o || o->type != f->type)
            return ld_fail(ld, path, "'%s' is not a field of the same type as '%s' there", other,
                           c->field);
        c->other = ld_keep(ld, other);
    }
    if (c->if_filled && !scope_field(k, obj, c->if_filled))
        return ld_fail(ld, ld_sub(ld, path, "if"), "'%s' is not a field there", c->if_filled);
    c->type = f->type;
    c->items = c->items ? ld_keep(ld, c->items) : NULL;
    c->field = ld_keep(ld, c->field);
    c->if_filled = c->if_filled ? ld_keep(ld, c->if_filled) : NULL;
    return 0;
}

int parse_kind_checks(struct loader *ld, const json_t *v, const char *path, struct model_kind *k)
{
    json_t *a;
    const char *p = ld_sub(ld, path, "checks");
    if (ld_member(ld, v, "checks", path, JSON_ARRAY, false, &a))
        return -1;
    if (!a)
        return 0;
    k->checks = arena_calloc(ld->m->arena, json_array_size(a) + 1, sizeof *k->checks);
    size_t i;
    json_t *one;
    json_array_foreach (a, i, one) {
        if (parse_check(ld, one, ld_idx(ld, p, i), k, &k->checks[k->n_checks]))
            return -1;
        k->n_checks++;
    }
    return 0;
}

/* a compared with b: <0, 0, >0 (dates as text, numbers as numbers). */
static int compare(enum field_type t, const json_t *a, const json_t *b)
{
    if (t == FT_DATE)
        return strcmp(json_string_value(a) ? json_string_value(a) : "",
                      json_string_value(b) ? json_string_value(b) : "");
    double x = json_is_string(a) ? strtod(json_string_value(a), NULL) : json_number_value(a);
    double y = json_is_string(b) ? strtod(json_string_value(b), NULL) : json_number_value(b);
    return x < y ? -1 : x > y;
}

/* Notes a problem of one value: e's first, or one more when e collects
 * them. */
static void note(struct err *e, struct err *one, const char *path)
{
    err_prefix(one, "%s: ", path);
    if (e->errors) {
        err_collect(e, one);
    } else {
        one->errors = e->errors;
        *e = *one;
    }
}

/* An "equals" check of object o (the record, or an item at prefix) of
 * record rec. */
static int check_equals(const struct model_check *c, const json_t *rec, const json_t *o,
                        const char *prefix, model_peek_fn peek, void *ctx, struct err *e)
{
    const json_t *a = json_object_get(o, c->field);
    json_t *got = NULL;
    if (c->via && json_is_string(a) && peek)
        got = peek(ctx, json_string_value(a), c->via);
    const json_t *value = c->via ? got : a;
    const json_t *want = json_object_get(rec, c->equals);
    int rc = 0;
    if (!ld_empty(value) && !ld_empty(want) && !json_equal(value, want)) {
        struct err one = ERR_INIT;
        char path[200];
        snprintf(path, sizeof path, "%s%s", prefix, c->field);
        err_set(&one, 422, "mismatch", path, "names a record whose '%s' is not the record's '%s'",
                c->via ? c->via : c->field, c->equals);
        note(e, &one, path);
        rc = -1;
    }
    json_decref(got);
    return rc;
}

/* One check of one object (the record, or an item at path prefix). */
static int check_one(const struct model_check *c, const json_t *o, const char *prefix,
                     int64_t today, struct err *e)
{
    const json_t *a = json_object_get(o, c->field);
    if (ld_empty(a) || (c->if_filled && ld_empty(json_object_get(o, c->if_filled))))
        return 0;
    json_t *now = NULL;
    const json_t *b = c->other ? json_object_get(o, c->other) : NULL;
    if (!c->other) {
        char date[11];
        time_format_date(today, date, sizeof date);
        now = c->type == FT_DATE ? json_string(date) : json_integer(atoi(date)); /* the year */
        b = now;
    }
    int rc = 0;
    int cmp = ld_empty(b) ? 0 : compare(c->type, a, b);
    bool bad = !ld_empty(b) && (c->op == CHECK_NOT_BEFORE   ? cmp < 0
                                : c->op == CHECK_NOT_AFTER ? cmp > 0
                                : c->op == CHECK_BEFORE    ? cmp >= 0
                                                           : cmp <= 0);
    if (bad) {
        struct err one = ERR_INIT;
        char path[160];
        snprintf(path, sizeof path, "%s%s", prefix, c->field);
        /* what must hold, by op: of another field, of today, of this year
         * (each text a literal: it is the message's id for translation) */
        bool date = c->type == FT_DATE;
        switch (c->op) {
        case CHECK_NOT_BEFORE:
            if (c->other)
                err_set(&one, 422, "out-of-order", path, "must not be before '%s'", c->other);
            else if (date)
                err_set(&one, 422, "out-of-order", path, "must not be before today");
            else
                err_set(&one, 422, "out-of-order", path, "must not be before this year");
            break;
        case CHECK_NOT_AFTER:
            if (c->other)
                err_set(&one, 422, "out-of-order", path, "must not be after '%s'", c->other);
            else if (date)
                err_set(&one, 422, "out-of-order", path, "must not be after today");
            else
                err_set(&one, 422, "out-of-order", path, "must not be after this year");
            break;
        case CHECK_BEFORE:
            if (c->other)
                err_set(&one, 422, "out-of-order", path, "must be before '%s'", c->other);
            else if (date)
                err_set(&one, 422, "out-of-order", path, "must be before today");
            else
                err_set(&one, 422, "out-of-order", path, "must be before this year");
            break;
        case CHECK_AFTER:
            if (c->other)
                err_set(&one, 422, "out-of-order", path, "must be after '%s'", c->other);
            else if (date)
                err_set(&one, 422, "out-of-order", path, "must be after today");
            else
                err_set(&one, 422, "out-of-order", path, "must be after this year");
            break;
        }
        note(e, &one, path);
        rc = -1;
    }
    json_decref(now);
    return rc;
}

int model_check_fields(const struct model_kind *k, const json_t *fields, int64_t today,
                       model_peek_fn peek, void *ctx, struct err *e)
{
    int rc = 0;
    for (size_t i = 0; i < k->n_checks && (rc == 0 || e->errors); i++) {
        const struct model_check *c = &k->checks[i];
        if (!c->items) {
            rc |= c->equals ? check_equals(c, fields, fields, "", peek, ctx, e)
                            : check_one(c, fields, "", today, e);
            continue;
        }
        size_t n;
        const json_t *item;
        json_array_foreach (json_object_get(fields, c->items), n, item) {
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%s[%zu].", c->items, n);
            rc |= c->equals ? check_equals(c, fields, item, prefix, peek, ctx, e)
                            : check_one(c, item, prefix, today, e);
            if (rc && !e->errors)
                break;
        }
    }
    return rc ? -1 : 0;
}

/* ---- a relation's attributes derived from its ends ----------------------- */

static const char *const DERIVE_KEYS[] = {"same", "otherwise", NULL};
static const char *const SAME_KEYS[] = {"field", "value", NULL};

/* Is `name` a field every kind at the relation's `end` has (or "owner",
 * when they are all owned)? */
static bool ends_have(const struct loader *ld, const struct model_kind *rel, const char *end,
                      const char *name)
{
    const struct model_field *f = model_field(rel, end);
    for (size_t i = 0; f && i < f->n_ref_kinds; i++) {
        const struct model_kind *k = model_kind(ld->m, f->ref_kinds[i]);
        bool has = k && (model_field(k, name) || (strcmp(name, "owner") == 0 && k->owned));
        if (!has)
            return false;
    }
    return f != NULL;
}

int parse_relation_derive(struct loader *ld, const json_t *v, const char *path,
                          struct model_kind *k)
{
    json_t *d;
    const char *p = ld_sub(ld, path, "derive");
    if (ld_member(ld, v, "derive", path, JSON_OBJECT, false, &d))
        return -1;
    if (!d)
        return 0;
    k->derives = arena_calloc(ld->m->arena, json_object_size(d) + 1, sizeof *k->derives);
    const char *attr;
    json_t *one;
    json_object_foreach (d, attr, one) {
        const char *ap = ld_sub(ld, p, attr);
        struct model_derive *x = &k->derives[k->n_derives];
        const struct model_field *f = model_field(k, attr);
        json_t *same;
        if (!f || f->type != FT_ENUM || !f->readonly)
            return ld_fail(ld, ap, "'%s' is not a read-only enum attribute of '%s'", attr, k->id);
        if (ld_want_object(ld, one, ap) || ld_check_keys(ld, one, ap, DERIVE_KEYS) ||
            ld_member(ld, one, "same", ap, JSON_ARRAY, true, &same) ||
            ld_string(ld, one, "otherwise", ap, true, &x->otherwise))
            return -1;
        if (!ld_enum_has(f->enumeration, x->otherwise))
            return ld_fail(ld, ld_sub(ld, ap, "otherwise"), "'%s' is not a value of '%s'",
                           x->otherwise, attr);
        x->attr = ld_keep(ld, attr);
        x->otherwise = ld_keep(ld, x->otherwise);
        x->same = arena_calloc(ld->m->arena, json_array_size(same) + 1, sizeof *x->same);
        x->values = arena_calloc(ld->m->arena, json_array_size(same) + 1, sizeof *x->values);
        size_t i;
        json_t *rule;
        json_array_foreach (same, i, rule) {
            char at[32];
            snprintf(at, sizeof at, "same.%zu", i);
            const char *rp = ld_sub(ld, ap, at), *field, *value;
            if (ld_want_object(ld, rule, rp) || ld_check_keys(ld, rule, rp, SAME_KEYS) ||
                ld_string(ld, rule, "field", rp, true, &field) ||
                ld_string(ld, rule, "value", rp, true, &value))
                return -1;
            if (!ends_have(ld, k, "source", field) || !ends_have(ld, k, "target", field))
                return ld_fail(ld, ld_sub(ld, rp, "field"),
                               "'%s' is not a field of every kind at both ends", field);
            if (!ld_enum_has(f->enumeration, value))
                return ld_fail(ld, ld_sub(ld, rp, "value"), "'%s' is not a value of '%s'", value,
                               attr);
            x->same[x->n] = ld_keep(ld, field);
            x->values[x->n++] = ld_keep(ld, value);
        }
        k->n_derives++;
    }
    return 0;
}

const char *model_derive_value(const struct model_derive *d, const json_t *source,
                               const json_t *target)
{
    for (size_t i = 0; i < d->n; i++) {
        const json_t *a = json_object_get(source, d->same[i]);
        const json_t *b = json_object_get(target, d->same[i]);
        if (!ld_empty(a) && !ld_empty(b) && json_equal(a, b))
            return d->values[i];
    }
    return d->otherwise;
}

/* ---- fields computed from a list's items ----------------------------------- */

static const char *const COMPUTE_KEYS[] = {"over",  "cases", "otherwise", "sum",
                                           "times", "by",    "value",     NULL};
static const char *const CASE_KEYS[] = {"value", "any", NULL};

/* {"over": L, "sum": F}: a read-only decimal, the sum of the number
 * sub-field F of the items of the list of objects L. */
static int parse_compute_sum(struct loader *ld, const json_t *v, const char *path,
                             const struct model_kind *k, const struct model_field *f,
                             const char *name, struct model_compute *c)
{
    const struct model_field *obj, *sub;
    if (!f || f->type != FT_DECIMAL || !f->readonly)
        return ld_fail(ld, path, "'%s' is not a read-only decimal field of '%s'", name, k->id);
    if (json_object_get(v, "cases") || json_object_get(v, "otherwise"))
        return ld_fail(ld, path, "a sum has no cases");
    if (ld_string(ld, v, "over", path, true, &c->over) ||
        ld_string(ld, v, "sum", path, true, &c->sum))
        return -1;
    if (!check_scope(k, c->over, &obj))
        return ld_fail(ld, ld_sub(ld, path, "over"), "'%s' is not a list of objects of '%s'",
                       c->over, k->id);
    sub = model_sub_field(obj, c->sum);
    if (!sub || (sub->type != FT_DECIMAL && sub->type != FT_INTEGER))
        return ld_fail(ld, ld_sub(ld, path, "sum"), "'%s' is not a number sub-field of '%s'",
                       c->sum, c->over);
    /* "times": each item's number multiplied by its other numbers, a
     * sub-field or, through its ref R, the named record's field (R.F2) */
    json_t *times = json_object_get(v, "times");
    const char *tp = ld_sub(ld, path, "times");
    if (times && (!json_is_array(times) || !json_array_size(times) ||
                  json_array_size(times) > MODEL_COMPUTE_MAX_TIMES))
        return ld_fail(ld, tp, "must list 1 to %d numbers", MODEL_COMPUTE_MAX_TIMES);
    for (size_t i = 0; i < json_array_size(times); i++) {
        const char *term = json_string_value(json_array_get(times, i));
        if (!term)
            return ld_fail(ld, ld_idx(ld, tp, i), "must be a sub-field or R.F2");
        struct model_compute_term *t = &c->times[c->n_times];
        split_path(ld, term, &t->field, &t->via);
        const struct model_field *tf = model_sub_field(obj, t->field);
        if (tf && t->via)
            tf = via_field(ld, tf, t->via);
        if (!tf || (tf->type != FT_DECIMAL && tf->type != FT_INTEGER))
            return ld_fail(ld, ld_idx(ld, tp, i), "'%s' is not a number there", term);
        c->n_times++;
    }
    c->field = ld_keep(ld, name);
    c->over = ld_keep(ld, c->over);
    c->sum = ld_keep(ld, c->sum);
    return 0;
}

/* {"over": L, "by": B, "value": V, ...}: field `name` is a read-only
 * list of objects whose items have the sub-field B, of the type of L's
 * items' B, and the enum sub-field V the cases give (*en its enum). */
static int parse_compute_by(struct loader *ld, const json_t *v, const char *path,
                            const struct model_kind *k, const struct model_field *f,
                            const char *name, const struct model_enum **en,
                            struct model_compute *c)
{
    const char *over, *by, *value;
    const struct model_field *obj;
    if (!f || f->type != FT_LIST || !f->item || f->item->type != FT_OBJECT || !f->readonly)
        return ld_fail(ld, path, "'%s' is not a read-only list of objects of '%s'", name, k->id);
    if (ld_string(ld, v, "over", path, true, &over) || ld_string(ld, v, "by", path, true, &by) ||
        ld_string(ld, v, "value", path, true, &value))
        return -1;
    if (!check_scope(k, over, &obj))
        return ld_fail(ld, ld_sub(ld, path, "over"), "'%s' is not a list of objects of '%s'",
                       over, k->id);
    const struct model_field *from = model_sub_field(obj, by), *to = model_sub_field(f->item, by);
    if (!from || !to || from->type != to->type || from->type == FT_OBJECT)
        return ld_fail(ld, ld_sub(ld, path, "by"),
                       "'%s' is not a sub-field of both '%s' and '%s' of one type", by, over,
                       name);
    const struct model_field *val = model_sub_field(f->item, value);
    if (!val || val->type != FT_ENUM || strcmp(value, by) == 0)
        return ld_fail(ld, ld_sub(ld, path, "value"), "'%s' is not an enum sub-field of '%s'",
                       value, name);
    *en = val->enumeration;
    c->by = ld_keep(ld, by);
    c->value = ld_keep(ld, value);
    return 0;
}

static int parse_compute(struct loader *ld, const json_t *v, const char *path,
                         const struct model_kind *k, const char *name, struct model_compute *c)
{
    const struct model_field *f = model_field(k, name);
    json_t *cases;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, COMPUTE_KEYS))
        return -1;
    if (json_object_get(v, "sum"))
        return parse_compute_sum(ld, v, path, k, f, name, c);
    /* "by": per value of an item's sub-field, the items having it judged
     * apart, into a read-only list of objects {by, value} */
    const struct model_enum *en = f && f->type == FT_ENUM ? f->enumeration : NULL;
    if (json_object_get(v, "by") &&
        parse_compute_by(ld, v, path, k, f, name, &en, c))
        return -1;
    if (!json_object_get(v, "by") && (!f || f->type != FT_ENUM || !f->readonly))
        return ld_fail(ld, path, "'%s' is not a read-only enum field of '%s'", name, k->id);
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, COMPUTE_KEYS) ||
        ld_string(ld, v, "over", path, true, &c->over) ||
        ld_member(ld, v, "cases", path, JSON_ARRAY, true, &cases) ||
        ld_string(ld, v, "otherwise", path, true, &c->otherwise))
        return -1;
    const struct model_field *obj;
    if (!c->over || !check_scope(k, c->over, &obj))
        return ld_fail(ld, ld_sub(ld, path, "over"), "'%s' is not a list of objects of '%s'",
                       c->over, k->id);
    if (!ld_enum_has(en, c->otherwise))
        return ld_fail(ld, ld_sub(ld, path, "otherwise"), "'%s' is not a value of '%s'",
                       c->otherwise, name);
    c->field = ld_keep(ld, name);
    c->over = ld_keep(ld, c->over);
    c->otherwise = ld_keep(ld, c->otherwise);
    c->cases = arena_calloc(ld->m->arena, json_array_size(cases) + 1, sizeof *c->cases);
    size_t i;
    json_t *one;
    json_array_foreach (cases, i, one) {
        char at[32];
        snprintf(at, sizeof at, "cases.%zu", i);
        const char *cp = ld_sub(ld, path, at), *value;
        struct model_compute_case *x = &c->cases[c->n_cases];
        json_t *any;
        if (ld_want_object(ld, one, cp) || ld_check_keys(ld, one, cp, CASE_KEYS) ||
            ld_string(ld, one, "value", cp, true, &value) ||
            ld_member(ld, one, "any", cp, JSON_OBJECT, true, &any))
            return -1;
        if (!ld_enum_has(en, value))
            return ld_fail(ld, ld_sub(ld, cp, "value"), "'%s' is not a value of '%s'", value, name);
        x->value = ld_keep(ld, value);
        x->terms = arena_calloc(ld->m->arena, json_object_size(any) + 1, sizeof *x->terms);
        const char *key;
        json_t *vals;
        json_object_foreach (any, key, vals) {
            struct model_compute_term *t = &x->terms[x->n_terms];
            const char *tp = ld_sub(ld, ld_sub(ld, cp, "any"), key);
            split_path(ld, key, &t->field, &t->via);
            const struct model_field *tf = scope_field(k, obj, t->field);
            if (tf && t->via)
                tf = via_field(ld, tf, t->via);
            if (!tf || (tf->type != FT_ENUM && tf->type != FT_BOOL))
                return ld_fail(ld, tp, "'%s' is not an enum or boolean field there", key);
            if (!json_is_array(vals) || !json_array_size(vals))
                return ld_fail(ld, tp, "a term lists its values");
            t->values = arena_calloc(ld->m->arena, json_array_size(vals) + 1, sizeof *t->values);
            size_t j;
            json_t *val;
            json_array_foreach (vals, j, val) {
                if (!json_is_string(val) ||
                    (tf->type == FT_ENUM && !ld_enum_has(tf->enumeration, json_string_value(val))))
                    return ld_fail(ld, tp, "a value of '%s' is not one it may hold", key);
                t->values[t->n_values++] = ld_keep(ld, json_string_value(val));
            }
            x->n_terms++;
        }
        c->n_cases++;
    }
    return 0;
}

int parse_kind_computes(struct loader *ld, const json_t *v, const char *path,
                        struct model_kind *k)
{
    json_t *o;
    const char *p = ld_sub(ld, path, "compute");
    if (ld_member(ld, v, "compute", path, JSON_OBJECT, false, &o))
        return -1;
    if (!o)
        return 0;
    k->computes = arena_calloc(ld->m->arena, json_object_size(o) + 1, sizeof *k->computes);
    const char *name;
    json_t *one;
    json_object_foreach (o, name, one) {
        if (parse_compute(ld, one, ld_sub(ld, p, name), k, name, &k->computes[k->n_computes]))
            return -1;
        k->n_computes++;
    }
    return 0;
}

/* Does item keep term t (its value, or through its ref the named
 * record's, is one of t's)? */
static bool term_holds(const struct model_compute_term *t, const json_t *item, model_peek_fn peek,
                       void *ctx)
{
    const json_t *v = json_object_get(item, t->field);
    json_t *got = NULL;
    if (t->via)
        v = got = json_is_string(v) && peek ? peek(ctx, json_string_value(v), t->via) : NULL;
    char text[8];
    const char *s = json_is_string(v) ? json_string_value(v)
                    : json_is_boolean(v) ? strcpy(text, json_is_true(v) ? "true" : "false")
                                         : NULL;
    bool holds = false;
    for (size_t i = 0; s && i < t->n_values && !holds; i++)
        holds = strcmp(s, t->values[i]) == 0;
    json_decref(got);
    return holds;
}

/* A number's value in millionths (a decimal's canonical text, or an
 * integer): false when it is neither. */
bool model_millionths(const json_t *v, i128 *out)
{
    if (json_is_integer(v)) {
        *out = (i128)json_integer_value(v) * 1000000;
        return true;
    }
    const char *s = json_string_value(v);
    if (!s)
        return false;
    bool neg = *s == '-';
    s += neg;
    i128 whole = 0, frac = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        whole = whole * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9' && digits < 6; s++, digits++)
            frac = frac * 10 + (*s - '0');
    if (*s)
        return false;
    for (; digits < 6; digits++)
        frac *= 10;
    *out = (whole * 1000000 + frac) * (neg ? -1 : 1);
    return true;
}

/* a / d rounded half away from zero. */
static i128 round_div(i128 a, i128 d)
{
    i128 x = a < 0 ? -a : a;
    x = (x + d / 2) / d;
    return a < 0 ? -x : x;
}

/* *p (millionths, times 10^(6 * *extra)) times b (millionths): the scale
 * grows by a million, rounded down a million at a time only when the
 * product would not fit otherwise; false when it cannot fit at all. */
static bool times_scaled(i128 *p, int *extra, i128 b)
{
    const i128 limit = (i128)1 << 120; /* far above any 18-digit decimal */
    i128 y = b < 0 ? -b : b;
    for (;;) {
        i128 x = *p < 0 ? -*p : *p;
        if (!x || y <= limit / x)
            break;
        if (!*extra)
            return false;
        *p = round_div(*p, 1000000);
        (*extra)--;
    }
    *p *= b;
    (*extra)++;
    return true;
}

/* The canonical decimal text of n millionths, or false when it has more
 * than 18 digits before the point (a decimal holds no more). */
bool model_decimal_text(i128 n, char *out, size_t size)
{
    bool neg = n < 0;
    if (neg)
        n = -n;
    i128 whole = n / 1000000;
    long frac = (long)(n % 1000000);
    char digits[48];
    size_t len = 0;
    do {
        digits[len++] = (char)('0' + (int)(whole % 10));
        whole /= 10;
    } while (whole && len < sizeof digits);
    if (len > 18)
        return false;
    size_t at = 0;
    if (neg && (len > 1 || digits[0] != '0' || frac))
        out[at++] = '-';
    while (len && at + 1 < size)
        out[at++] = digits[--len];
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06ld", frac);
        size_t flen = 6;
        while (f[flen - 1] == '0')
            flen--;
        f[flen] = '\0';
        snprintf(out + at, size - at, ".%s", f);
    } else
        out[at] = '\0';
    return true;
}

/* The value of the cases over the items of `items` whose `by` sub-field
 * equals key (all of them when key is NULL). */
static const char *cases_over(const struct model_compute *c, const json_t *items,
                              const json_t *key, model_peek_fn peek, void *ctx)
{
    const json_t *item;
    for (size_t i = 0; i < c->n_cases; i++) {
        size_t n;
        json_array_foreach (items, n, item) {
            if (key && !json_equal(json_object_get(item, c->by), key))
                continue;
            bool all = true;
            for (size_t t = 0; all && t < c->cases[i].n_terms; t++)
                all = term_holds(&c->cases[i].terms[t], item, peek, ctx);
            if (all)
                return c->cases[i].value;
        }
    }
    return c->otherwise;
}

/* Per value of the items' `by` (in the order they first come), its
 * items' value: [{by, value}], or NULL when no item has one. */
static json_t *compute_by(const struct model_compute *c, const json_t *fields, model_peek_fn peek,
                          void *ctx)
{
    const json_t *items = json_object_get(fields, c->over), *item;
    json_t *out = json_array();
    size_t i;
    json_array_foreach (items, i, item) {
        const json_t *key = json_object_get(item, c->by);
        if (ld_empty(key))
            continue;
        bool seen = false;
        size_t j;
        const json_t *o;
        json_array_foreach (out, j, o)
            seen = seen || json_equal(json_object_get(o, c->by), key);
        if (!seen)
            json_array_append_new(out, json_pack("{s:O, s:s}", c->by, key, c->value,
                                                 cases_over(c, items, key, peek, ctx)));
    }
    if (!json_array_size(out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *model_compute_json(const struct model_compute *c, const json_t *fields, model_peek_fn peek,
                           void *ctx)
{
    if (c->by)
        return compute_by(c, fields, peek, ctx);
    if (!c->sum) {
        const char *v = model_compute_value(c, fields, peek, ctx);
        return v ? json_string(v) : NULL;
    }
    const json_t *items = json_object_get(fields, c->over), *item;
    i128 total = 0, one;
    size_t i, n = 0;
    bool overflow = false;
    json_array_foreach (items, i, item) {
        if (!model_millionths(json_object_get(item, c->sum), &one))
            continue;
        bool all = true;
        int extra = 0; /* one's scale beyond millionths, in millions */
        for (size_t t = 0; t < c->n_times && all; t++) {
            const json_t *v = json_object_get(item, c->times[t].field);
            json_t *got = NULL;
            if (c->times[t].via)
                v = got = json_is_string(v) && peek ? peek(ctx, json_string_value(v), c->times[t].via)
                                                    : NULL;
            i128 by;
            all = model_millionths(v, &by);
            if (all && !times_scaled(&one, &extra, by))
                all = false, overflow = true; /* too big to hold: no total */
            json_decref(got);
        }
        if (!all)
            continue; /* an item without one of its numbers adds nothing */
        if (extra > 0) { /* rounded once, back to millionths */
            i128 d = 1;
            for (int k = 0; k < extra; k++)
                d *= 1000000;
            one = round_div(one, d);
        }
        total += one;
        n++;
    }
    char text[64];
    return n && !overflow && model_decimal_text(total, text, sizeof text) ? json_string(text) : NULL;
}

const char *model_compute_value(const struct model_compute *c, const json_t *fields,
                                model_peek_fn peek, void *ctx)
{
    const json_t *items = json_object_get(fields, c->over);
    if (c->sum || c->by || !json_array_size(items))
        return NULL;
    return cases_over(c, items, NULL, peek, ctx);
}
