/* rule-count: how many live records a rule's requirement links to a record
 * (struct model_rule_relation): its relations of a type, counted by their
 * other end's fields when the requirement says `where`; the records whose
 * ref field names it; the record its own ref field names; the record's
 * level of a measure. The rules are
 * judged over every record, whoever may read it, like the relations the
 * model requires. */
#include "registry/internal.h"

#include <stdlib.h>
#include <string.h>

/* Counts the rows of st whose first column, a record's JSON, keeps q's
 * `where` (every row when it says nothing) and, when `named` is given,
 * whose ref field q->field is `named`; with q->attrs, whose second column
 * (the relation's JSON) keeps them; with q->distinct, the different values
 * of that field among those rows instead. -1 on a store error. */
static int count_keeping(struct store_stmt *st, const struct model_rule_relation *q,
                         const char *named, int64_t day, struct err *e)
{
    int n = 0, rc;
    json_t *seen = q->distinct ? json_object() : NULL;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (!q->where.n_terms && !q->attrs.n_terms && !q->distinct && !named) {
            n++;
            continue;
        }
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        json_t *rel = q->attrs.n_terms ? json_loads(store_col_text(st, 1), 0, NULL) : NULL;
        const char *ref = named ? json_string_value(json_object_get(rec, q->field)) : NULL;
        bool keeps = rec && (!named || (ref && strcmp(ref, named) == 0)) &&
                     model_cond_holds(&q->where, rec, day) &&
                     (!q->attrs.n_terms || (rel && model_cond_holds(&q->attrs, rel, day)));
        if (keeps && seen) {
            json_t *v = json_object_get(rec, q->distinct);
            char *key = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
            if (key && !json_object_get(seen, key)) {
                json_object_set_new(seen, key, json_true());
                n++;
            }
            free(key);
        } else {
            n += keeps;
        }
        json_decref(rel);
        json_decref(rec);
    }
    json_decref(seen);
    store_reset(st);
    return rc == STORE_DONE ? n : -1;
}

/* Far end x (row id) as q judges it: [keeps, distinct key or null] (a
 * new reference), NULL on a store error. */
static json_t *far_judged(struct registry *r, const struct model_rule_relation *q, int64_t x,
                          int64_t day, struct err *e)
{
    json_t *rec = rec_data_by_rid(store_conn(r->store), x, e);
    if (!rec && e->status)
        return NULL;
    bool keeps = rec && model_cond_holds(&q->where, rec, day);
    const json_t *dv = q->distinct ? json_object_get(rec, q->distinct) : NULL;
    char *dk = dv ? json_dumps(dv, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_t *out = json_pack("[b, s?]", keeps, dk);
    free(dk);
    json_decref(rec);
    return out;
}

/* Relations of q's type out of (or into) id whose other end is live,
 * counted by the other end's `where` and `distinct` and the relation's
 * own `attrs` (rule-mem.c counts them from memory while every record is
 * judged). */
static int count_relation_ends(struct registry *r, const char *id,
                               const struct model_rule_relation *q, int64_t day, struct err *e)
{
    struct store_stmt *st = store_prepare(
        store_conn(r->store),
        q->attrs.n_terms
            ? "SELECT x.rid, rd.data FROM attrs a JOIN records rel ON rel.rid = a.rid "
              "AND rel.retired = 0 AND rel.kind = $2 JOIN record_data rd ON rd.rid = rel.rid "
              "JOIN attrs o ON o.rid = a.rid AND o.field = $4 "
              "JOIN records x ON x.id = o.value AND x.retired = 0 "
              "WHERE a.field = $1 AND a.value = $3"
            : "SELECT x.rid FROM attrs a JOIN records rel ON rel.rid = a.rid "
              "AND rel.retired = 0 AND rel.kind = $2 "
              "JOIN attrs o ON o.rid = a.rid AND o.field = $4 "
              "JOIN records x ON x.id = o.value AND x.retired = 0 "
              "WHERE a.field = $1 AND a.value = $3",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, q->out ? "source" : "target");
    store_bind_text(st, 2, q->type);
    store_bind_text(st, 3, id);
    store_bind_text(st, 4, q->out ? "target" : "source");
    /* the far ends' row ids (and the relations' attributes judged) first:
     * a far end read while this statement steps would need a second one */
    json_t *ends = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (q->attrs.n_terms) {
            json_t *rel = json_loads(store_col_text(st, 1), 0, NULL);
            bool ok = rel && model_cond_holds(&q->attrs, rel, day);
            json_decref(rel);
            if (!ok)
                continue;
        }
        json_array_append_new(ends, json_integer(store_col_int64(st, 0)));
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(ends);
        return -1;
    }
    int n = 0;
    json_t *seen = q->distinct ? json_object() : NULL;
    size_t i;
    json_t *x;
    json_array_foreach (ends, i, x) {
        if (!q->where.n_terms && !q->distinct) {
            n++;
            continue;
        }
        json_t *v = far_judged(r, q, json_integer_value(x), day, e);
        if (!v) {
            n = -1;
            break;
        }
        if (json_is_true(json_array_get(v, 0))) {
            const char *dk = json_string_value(json_array_get(v, 1));
            if (!seen)
                n++;
            else if (dk && !json_object_get(seen, dk)) {
                json_object_set_new(seen, dk, json_true());
                n++;
            }
        }
        json_decref(v);
    }
    json_decref(seen);
    json_decref(ends);
    return n;
}

/* Live records of q's kinds whose ref field q->field is id: among those
 * that refer to id at all (the filter index's pseudo-field "_ref"). */
static int count_referencing(struct registry *r, const char *id,
                             const struct model_rule_relation *q, int64_t day, struct err *e)
{
    int n = 0;
    for (size_t i = 0; i < q->n_kinds; i++) {
        struct store_stmt *st = store_prepare(
            store_conn(r->store),
            "SELECT d.data FROM attrs a JOIN records x ON x.rid = a.rid AND x.retired = 0 "
            "AND x.kind = $2 JOIN record_data d ON d.rid = x.rid "
            "WHERE a.field = '_ref' AND a.value = $1",
            true, e);
        if (!st)
            return -1;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, q->kinds[i]);
        int k = count_keeping(st, q, id, day, e);
        if (k < 0)
            return -1;
        n += k;
    }
    return n;
}

/* 1 when rec's ref q->field names a live record keeping `where`, else 0. */
static int count_ref(struct registry *r, const json_t *rec, const struct model_rule_relation *q,
                     int64_t day, struct err *e)
{
    const char *to = json_string_value(json_object_get(rec, q->field));
    struct rec_row row;
    if (!to || !*to)
        return 0;
    int found = rec_load(store_conn(r->store), NULL, to, &row, e);
    if (found <= 0)
        return found;
    json_t *x = row.retired ? NULL : json_loads(row.data, 0, NULL);
    int n = x && model_cond_holds(&q->where, x, day);
    json_decref(x);
    rec_row_free(&row);
    return n;
}

/* rec's level of q's measure in whole percent (rounded down; 100 when it
 * has no items), for a reader who reads everything: the rules judge every
 * record whoever reads it. */
static int measure_level(struct registry *r, const char *id, const struct model_rule_relation *q,
                         struct err *e)
{
    const struct actor everyone = {.id = "system:rules", .system = true};
    long items, done;
    if (registry_measure(r, &everyone, q->measure, id, &items, &done, e) < 0)
        return -1;
    return items ? (int)(done * 100 / items) : 100;
}

int registry_count_rule(void *ctx, const json_t *rec, const struct model_rule_relation *q,
                        int64_t day)
{
    struct registry *r = ctx;
    const char *id = json_string_value(json_object_get(rec, "id"));
    struct err e = ERR_INIT;
    if (!id)
        return 0;
    switch (q->how) {
    case REQ_RELATION:
        return q->where.n_terms || q->attrs.n_terms || q->distinct
                   ? count_relation_ends(r, id, q, day, &e)
                   : registry_count_relations(r, rec, q->type, q->out);
    case REQ_MEASURE:
        return measure_level(r, id, q, &e);
    case REQ_REFERENCED_BY:
        return count_referencing(r, id, q, day, &e);
    case REQ_REF:
        return count_ref(r, rec, q, day, &e);
    }
    return -1;
}
