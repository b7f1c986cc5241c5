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

static const char *const CHECK_KEYS[] = {"items", "field", "not_before", "not_after", "if", NULL};

/* The fields a check names: the kind's, or the sub-fields of its list of
 * objects `items`. */
static const struct model_field *check_scope(const struct model_kind *k, const char *items,
                                             size_t *n)
{
    if (!items) {
        *n = k->n_fields;
        return k->fields;
    }
    const struct model_field *f = model_field(k, items);
    if (!f || f->type != FT_LIST || !f->item || f->item->type != FT_OBJECT)
        return NULL;
    *n = f->item->n_sub;
    return f->item->sub;
}

static const struct model_field *scope_field(const struct model_field *v, size_t n,
                                             const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

static bool comparable(enum field_type t)
{
    return t == FT_DATE || t == FT_INTEGER || t == FT_DECIMAL;
}

static int parse_check(struct loader *ld, const json_t *v, const char *path,
                       const struct model_kind *k, struct model_check *c)
{
    const char *before, *after;
    if (ld_want_object(ld, v, path) || ld_check_keys(ld, v, path, CHECK_KEYS) ||
        ld_string(ld, v, "items", path, false, &c->items) ||
        ld_string(ld, v, "field", path, true, &c->field) ||
        ld_string(ld, v, "not_before", path, false, &before) ||
        ld_string(ld, v, "not_after", path, false, &after) ||
        ld_string(ld, v, "if", path, false, &c->if_filled))
        return -1;
    if (!before == !after)
        return ld_fail(ld, path, "a check says one of not_before and not_after");
    size_t n;
    const struct model_field *scope = check_scope(k, c->items, &n);
    if (!scope)
        return ld_fail(ld, ld_sub(ld, path, "items"), "'%s' is not a list of objects of '%s'",
                       c->items, k->id);
    const struct model_field *f = scope_field(scope, n, c->field);
    if (!f || !comparable(f->type))
        return ld_fail(ld, ld_sub(ld, path, "field"), "'%s' is not a date or number field there",
                       c->field);
    c->not_after = after != NULL;
    const char *other = after ? after : before;
    if (strcmp(other, "today") == 0) {
        if (f->type == FT_DECIMAL)
            return ld_fail(ld, path, "'today' compares with a date or a year (an integer)");
        c->other = NULL;
    } else {
        const struct model_field *o = scope_field(scope, n, other);
        if (!o || o->type != f->type)
            return ld_fail(ld, path, "'%s' is not a field of the same type as '%s' there", other,
                           c->field);
        c->other = ld_keep(ld, other);
    }
    if (c->if_filled && !scope_field(scope, n, c->if_filled))
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
        char at[32];
        snprintf(at, sizeof at, "%zu", i);
        if (parse_check(ld, one, ld_sub(ld, p, at), k, &k->checks[k->n_checks]))
            return -1;
        k->n_checks++;
    }
    return 0;
}

static bool filled(const json_t *v)
{
    return v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v));
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

/* One check of one object (the record, or an item at path prefix). */
static int check_one(const struct model_check *c, const json_t *o, const char *prefix,
                     int64_t today, struct err *e)
{
    const json_t *a = json_object_get(o, c->field);
    if (!filled(a) || (c->if_filled && !filled(json_object_get(o, c->if_filled))))
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
    if (filled(b) && (c->not_after ? compare(c->type, a, b) > 0 : compare(c->type, a, b) < 0)) {
        struct err one = ERR_INIT;
        char path[160];
        snprintf(path, sizeof path, "%s%s", prefix, c->field);
        if (c->other && c->not_after)
            err_set(&one, 422, "out-of-order", path, "must not be after '%s'", c->other);
        else if (c->other)
            err_set(&one, 422, "out-of-order", path, "must not be before '%s'", c->other);
        else if (c->type == FT_DATE && c->not_after)
            err_set(&one, 422, "out-of-order", path, "must not be after today");
        else if (c->type == FT_DATE)
            err_set(&one, 422, "out-of-order", path, "must not be before today");
        else if (c->not_after)
            err_set(&one, 422, "out-of-order", path, "must not be after this year");
        else
            err_set(&one, 422, "out-of-order", path, "must not be before this year");
        err_prefix(&one, "%s: ", path);
        if (e->errors) {
            err_collect(e, &one);
        } else {
            one.errors = e->errors;
            *e = one;
        }
        rc = -1;
    }
    json_decref(now);
    return rc;
}

int model_check_fields(const struct model_kind *k, const json_t *fields, int64_t today,
                       struct err *e)
{
    int rc = 0;
    for (size_t i = 0; i < k->n_checks && (rc == 0 || e->errors); i++) {
        const struct model_check *c = &k->checks[i];
        if (!c->items) {
            rc |= check_one(c, fields, "", today, e);
            continue;
        }
        size_t n;
        const json_t *item;
        json_array_foreach (json_object_get(fields, c->items), n, item) {
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%s[%zu].", c->items, n);
            rc |= check_one(c, item, prefix, today, e);
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

static bool enum_value(const struct model_field *f, const char *v)
{
    for (size_t i = 0; f->enumeration && i < f->enumeration->n_values; i++)
        if (strcmp(f->enumeration->values[i].id, v) == 0)
            return true;
    return false;
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
        if (!enum_value(f, x->otherwise))
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
            if (!enum_value(f, value))
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
        if (filled(a) && filled(b) && json_equal(a, b))
            return d->values[i];
    }
    return d->otherwise;
}
