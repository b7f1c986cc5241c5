/* walk: a path of steps (struct model_path, model/paths.c) walked from a
 * set of records, for the views (views.c) and the measures (measure.c).
 *
 * Rights apply at every step: a record the reader may not read does not
 * exist, so a path never goes through it, and a relation is crossed only
 * when its far end may be read (its near end, in the frontier, may be: a
 * relation may be read when both its ends may). Each step is one SQL
 * query for the whole frontier, over the filter index's `_ref`, `source`
 * and `target` entries (attrs); a ref step reads the records named. A
 * step that repeats goes again from what it newly reached, at most
 * MODEL_INHERIT_MAX_DEPTH times. Sets are bounded (their cap), and
 * `truncated` says one was cut. */
#include "internal.h"

#include <string.h>

/* The records of kinds $2 (a JSON array) that refer to a record of the
 * frontier ($1, a JSON array of ids). */
static const char REFERRERS_SQL[] =
    "SELECT DISTINCT r.id, d.data, r.sort_name, r.rid FROM attrs a "
    "JOIN records r ON r.rid = a.rid AND r.retired = 0 JOIN record_data d ON d.rid = r.rid "
    "WHERE a.field = '_ref' AND a.value IN (SELECT value FROM json_each($1)) "
    "AND r.kind IN (SELECT value FROM json_each($2)) ORDER BY r.sort_name, r.rid";

/* The far ends ($3: "source" or "target") of the live relations of type $2
 * whose near end ($1) is in the frontier ($4). */
static const char FAR_ENDS_SQL[] =
    "SELECT DISTINCT o.id, od.data, o.sort_name, o.rid FROM attrs a "
    "JOIN records r ON r.rid = a.rid AND r.retired = 0 AND r.kind = $2 "
    "JOIN attrs b ON b.rid = r.rid AND b.field = $3 "
    "JOIN records o ON o.id = b.value AND o.retired = 0 JOIN record_data od ON od.rid = o.rid "
    "WHERE a.field = $1 AND a.value IN (SELECT value FROM json_each($4)) "
    "ORDER BY o.sort_name, o.rid";

void walk_set_init(struct walk_set *s, size_t cap)
{
    *s = (struct walk_set){json_array(), json_object(), cap, false};
}

void walk_set_free(struct walk_set *s)
{
    json_decref(s->recs);
    json_decref(s->ids);
    s->recs = s->ids = NULL;
}

bool walk_set_add(struct walk_set *s, json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!id || json_object_get(s->ids, id)) {
        json_decref(rec);
        return true;
    }
    if (json_array_size(s->recs) >= s->cap) {
        s->truncated = true;
        json_decref(rec);
        return false;
    }
    json_object_set_new(s->ids, id, json_true());
    json_array_append_new(s->recs, rec);
    return true;
}

void walk_set_add_all(struct walk_set *s, const struct walk_set *from)
{
    size_t i;
    json_t *x;
    json_array_foreach (from->recs, i, x)
        if (!walk_set_add(s, json_incref(x)))
            break;
}

char *walk_set_ids(const struct walk_set *s)
{
    json_t *a = json_array();
    const char *id;
    json_t *v;
    json_object_foreach (s->ids, id, v)
        json_array_append_new(a, json_string(id));
    char *t = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return t;
}

/* Adds the record of stored text data when the reader may read it; false
 * when the set is full. */
static bool add_readable(const struct path_walk *w, struct walk_set *next, const char *data)
{
    json_t *rec = json_loads(data, 0, NULL);
    if (!rec || !registry_may_read(w->r, w->a, rec)) {
        json_decref(rec);
        return true;
    }
    return walk_set_add(next, rec);
}

/* Does member v (a ref or a list of refs) name a record of set ids? */
static bool refers_to(const json_t *v, const json_t *ids)
{
    if (json_is_string(v))
        return json_object_get(ids, json_string_value(v)) != NULL;
    size_t i;
    const json_t *x;
    json_array_foreach (v, i, x)
        if (json_is_string(x) && json_object_get(ids, json_string_value(x)))
            return true;
    return false;
}

static int step_ref(const struct path_walk *w, const struct model_step *st,
                    const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    size_t i;
    json_t *rec;
    json_array_foreach (cur->recs, i, rec) {
        json_t *v = json_object_get(rec, st->field);
        json_t *one = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
        size_t j;
        json_t *x;
        bool more = true;
        json_array_foreach (one, j, x) {
            const char *id = json_string_value(x);
            struct rec_row row;
            int found =
                id && !json_object_get(next->ids, id) ? rec_load(w->c, NULL, id, &row, e) : 0;
            if (found < 0) {
                json_decref(one);
                return -1;
            }
            more = !found || row.retired || add_readable(w, next, row.data);
            if (found)
                rec_row_free(&row);
            if (!more)
                break;
        }
        json_decref(one);
        if (!more)
            break;
    }
    return 0;
}

/* Runs one query whose rows are (id, data, …) and adds the readable
 * records (for a referrer, those whose step's field names the frontier,
 * not another of their refs). */
static int add_rows(const struct path_walk *w, struct store_stmt *st, const struct model_step *step,
                    const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *data = store_col_text(st, 1);
        if (step->type == STEP_REFERENCED_BY) {
            json_t *rec = json_loads(data, 0, NULL);
            bool keep = rec && refers_to(json_object_get(rec, step->field), cur->ids);
            json_decref(rec);
            if (!keep)
                continue;
        }
        if (!add_readable(w, next, data))
            break;
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static int step_query(const struct path_walk *w, const struct model_step *st,
                      const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    if (json_array_size(cur->recs) == 0)
        return 0;
    bool refs = st->type == STEP_REFERENCED_BY;
    struct store_stmt *q = store_prepare(w->c, refs ? REFERRERS_SQL : FAR_ENDS_SQL, true, e);
    if (!q)
        return -1;
    char *ids = walk_set_ids(cur), *kinds = NULL;
    if (refs) {
        json_t *k = json_array();
        for (size_t i = 0; i < st->n_kinds; i++)
            json_array_append_new(k, json_string(st->kinds[i]));
        kinds = json_dumps(k, JSON_COMPACT);
        json_decref(k);
        store_bind_text(q, 1, ids);
        store_bind_text(q, 2, kinds);
    } else {
        store_bind_text(q, 1, st->out ? "source" : "target");
        store_bind_text(q, 2, st->relation);
        store_bind_text(q, 3, st->out ? "target" : "source");
        store_bind_text(q, 4, ids);
    }
    int rc = add_rows(w, q, st, cur, next, e);
    free(ids);
    free(kinds);
    return rc;
}

static int step_once(const struct path_walk *w, const struct model_step *st,
                     const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    return st->type == STEP_REF ? step_ref(w, st, cur, next, e) : step_query(w, st, cur, next, e);
}

/* A step; when it repeats, again from what it newly reached, each level
 * added to next. */
static int walk_step(const struct path_walk *w, const struct model_step *st,
                     const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    if (!st->repeat)
        return step_once(w, st, cur, next, e);
    struct walk_set front = {0};
    const struct walk_set *at = cur;
    int rc = 0;
    for (int depth = 0; rc == 0 && json_array_size(at->recs) && !next->truncated &&
                        depth <= MODEL_INHERIT_MAX_DEPTH;
         depth++) {
        struct walk_set level, fresh;
        walk_set_init(&level, next->cap);
        walk_set_init(&fresh, next->cap);
        rc = step_once(w, st, at, &level, e);
        next->truncated = next->truncated || level.truncated;
        size_t i;
        json_t *rec;
        json_array_foreach (level.recs, i, rec) {
            if (json_object_get(next->ids, json_string_value(json_object_get(rec, "id"))))
                continue;
            if (!walk_set_add(next, json_incref(rec)))
                break;
            walk_set_add(&fresh, json_incref(rec));
        }
        walk_set_free(&level);
        if (at == &front)
            walk_set_free(&front);
        front = fresh;
        at = &front;
    }
    if (at == &front)
        walk_set_free(&front);
    return rc;
}

int walk_path(const struct path_walk *w, const struct model_path *p, const struct walk_set *from,
              size_t cap, struct walk_set *out, struct err *e)
{
    struct walk_set cur;
    walk_set_init(&cur, p->n_steps ? w->reach : cap);
    walk_set_add_all(&cur, from);
    int rc = 0;
    bool cut = false;
    for (size_t i = 0; rc == 0 && i < p->n_steps; i++) {
        struct walk_set next;
        walk_set_init(&next, i + 1 == p->n_steps ? cap : w->reach);
        rc = walk_step(w, &p->steps[i], &cur, &next, e);
        cut = cut || cur.truncated;
        walk_set_free(&cur);
        cur = next;
    }
    cur.truncated = cur.truncated || cut;
    if (rc < 0) {
        walk_set_free(&cur);
        return -1;
    }
    *out = cur;
    return 0;
}
