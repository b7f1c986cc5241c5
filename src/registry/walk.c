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
 * `truncated` says one was cut.
 *
 * As of an instant (w->asof, REQ ARC-12), each step reads the records and
 * relations as they were then (asof.c: their last revision at or before
 * it, not retired then, readable then and now): the index's entries of
 * those unchanged since, and every record of the step's kinds changed
 * since, judged on its state then. */
#include "internal.h"

#include <string.h>

/* The records of kinds $2 (a JSON array) that refer to a record of the
 * frontier ($1, a JSON array of ids): id, data, sort_name, rid. */
const char REG_REFERRERS_SQL[] =
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

/* As of $4: the candidates of a referrer step, (id, rid): the records
 * of kinds $2 unchanged since that refer to the frontier ($1), and those
 * of kinds $2 (in collections $3) changed since. */
static const char REFERRERS_AT_SQL[] =
    "SELECT r.id, r.rid FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.updated_at <= $4 WHERE a.field = '_ref' "
    "AND a.value IN (SELECT value FROM json_each($1)) "
    "AND r.kind IN (SELECT value FROM json_each($2)) "
    "UNION SELECT r.id, r.rid FROM records r "
    "WHERE r.collection IN (SELECT value FROM json_each($3)) AND r.retired IN (0, 1) "
    "AND r.updated_at > $4 AND r.kind IN (SELECT value FROM json_each($2))";

/* As of $5: the candidate relations of type $2 (in collection $3) of a
 * relation step, (id, rid): those unchanged since whose near end ($1) is
 * in the frontier ($4), and those changed since. */
static const char RELATIONS_AT_SQL[] =
    "SELECT r.id, r.rid FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
    "AND r.kind = $2 AND r.updated_at <= $5 "
    "WHERE a.field = $1 AND a.value IN (SELECT value FROM json_each($4)) "
    "UNION SELECT r.id, r.rid FROM records r WHERE r.collection = $3 AND r.retired IN (0, 1) "
    "AND r.updated_at > $5 AND r.kind = $2";

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

/* Adds rec (taken; NULL: none) when the reader may read it; false when
 * the set is full. */
static bool add_readable_rec(const struct path_walk *w, struct walk_set *next, json_t *rec)
{
    if (!rec || !registry_may_read(w->r, w->a, rec)) {
        json_decref(rec);
        return true;
    }
    return walk_set_add(next, rec);
}

/* Adds the record of stored text data when the reader may read it; false
 * when the set is full. */
static bool add_readable(const struct path_walk *w, struct walk_set *next, const char *data)
{
    return add_readable_rec(w, next, json_loads(data, 0, NULL));
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

/* Adds the record a ref names, as the walk reads it (now: live and
 * readable; as of then: asof.c). 1 done, 0 when the set is full, -1 on a
 * store error. */
static int add_ref(const struct path_walk *w, const char *id, struct walk_set *next, struct err *e)
{
    if (json_object_get(next->ids, id))
        return 1;
    if (w->asof) {
        json_t *then;
        if (reg_asof_record(w->asof, id, &then, NULL, e) < 0)
            return -1;
        return !then || walk_set_add(next, json_incref(then));
    }
    if (w->memo) {
        json_t *rec;
        int found = reg_memo_load(w->c, w->memo, id, &rec, e);
        if (found <= 0)
            return found < 0 ? -1 : 1;
        if (!registry_may_read(w->r, w->a, rec)) {
            json_decref(rec);
            return 1;
        }
        return walk_set_add(next, rec);
    }
    struct rec_row row;
    int found = rec_load(w->c, NULL, id, &row, e);
    if (found <= 0)
        return found < 0 ? -1 : 1;
    bool more = row.retired || add_readable(w, next, row.data);
    rec_row_free(&row);
    return more;
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
        int more = 1;
        json_array_foreach (one, j, x) {
            if (json_is_string(x) && (more = add_ref(w, json_string_value(x), next, e)) <= 0)
                break;
        }
        json_decref(one);
        if (more <= 0)
            return more;
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
        json_t *rec = json_loads(store_col_text(st, 1), 0, NULL);
        if (step->type == STEP_REFERENCED_BY && rec &&
            !refers_to(json_object_get(rec, step->field), cur->ids)) {
            json_decref(rec);
            continue;
        }
        if (!add_readable_rec(w, next, rec))
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
    struct store_stmt *q = store_prepare(w->c, refs ? REG_REFERRERS_SQL : FAR_ENDS_SQL, true, e);
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

/* The candidates of a query step as of then: REFERRERS_AT_SQL or
 * RELATIONS_AT_SQL bound for the frontier. */
static json_t *candidates_at(const struct path_walk *w, const struct model_step *st,
                             const struct walk_set *cur, struct err *e)
{
    bool refs = st->type == STEP_REFERENCED_BY;
    struct store_stmt *q = store_prepare(w->c, refs ? REFERRERS_AT_SQL : RELATIONS_AT_SQL, true, e);
    if (!q)
        return NULL;
    char *ids = walk_set_ids(cur), *kinds = NULL, *colls = NULL;
    if (refs) {
        kinds = reg_strings_json(st->kinds, st->n_kinds);
        colls = reg_kinds_collections(w->r->model, st->kinds, st->n_kinds);
        store_bind_text(q, 1, ids);
        store_bind_text(q, 2, kinds);
        store_bind_text(q, 3, colls);
        store_bind_text(q, 4, w->asof->at);
    } else {
        const struct model_kind *rk = model_kind(w->r->model, st->relation);
        store_bind_text(q, 1, st->out ? "source" : "target");
        store_bind_text(q, 2, st->relation);
        store_bind_text(q, 3, rk && rk->collection ? rk->collection : "");
        store_bind_text(q, 4, ids);
        store_bind_text(q, 5, w->asof->at);
    }
    json_t *out = reg_first_column(q, e);
    free(ids);
    free(kinds);
    free(colls);
    return out;
}

/* What candidate `id` of step st reaches from the frontier as of then
 * (out->rec: a referrer itself, a relation's far end; NULL: nothing). */
static int reached_at(const struct path_walk *w, const struct model_step *st,
                      const struct walk_set *cur, const char *id, struct reg_reached *out,
                      struct err *e)
{
    json_t *then;
    out->rec = NULL;
    if (reg_asof_record(w->asof, id, &then, &out->rid, e) < 0)
        return -1;
    if (!then)
        return 0;
    if (st->type == STEP_REFERENCED_BY) {
        if (refers_to(json_object_get(then, st->field), cur->ids))
            out->rec = then;
        return 0;
    }
    const char *type = json_string_value(json_object_get(then, "type"));
    const char *near = json_string_value(json_object_get(then, st->out ? "source" : "target"));
    const char *far = json_string_value(json_object_get(then, st->out ? "target" : "source"));
    if (!type || strcmp(type, st->relation) != 0 || !near || !json_object_get(cur->ids, near) ||
        !far)
        return 0;
    return reg_asof_record(w->asof, far, &out->rec, &out->rid, e);
}

/* A query step as of w->asof->at: the candidates judged on their state
 * then, the records reached added in the order of their names then. */
static int step_query_at(const struct path_walk *w, const struct model_step *st,
                         const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    json_t *cands = candidates_at(w, st, cur, e);
    if (!cands)
        return -1;
    size_t n = json_array_size(cands), k = 0;
    struct reg_reached *v = calloc(n + 1, sizeof *v);
    if (!v)
        fatal("out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = reached_at(w, st, cur, json_string_value(json_array_get(cands, i)), &v[k], e);
        if (rc == 0 && v[k].rec) {
            v[k].key = reg_sort_name(v[k].rec);
            k++;
        }
    }
    qsort(v, k, sizeof *v, reg_cmp_reached);
    bool more = true;
    for (size_t i = 0; i < k; i++) {
        more = more && (rc < 0 || walk_set_add(next, json_incref(v[i].rec)));
        free(v[i].key);
    }
    free(v);
    json_decref(cands);
    return rc;
}

static int step_once(const struct path_walk *w, const struct model_step *st,
                     const struct walk_set *cur, struct walk_set *next, struct err *e)
{
    if (st->type == STEP_REF)
        return step_ref(w, st, cur, next, e);
    if (!json_array_size(cur->recs))
        return 0;
    return w->asof ? step_query_at(w, st, cur, next, e) : step_query(w, st, cur, next, e);
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
