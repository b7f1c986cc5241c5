/* asof: records as they were at an instant, as a reader may see them then
 * (REQ ARC-12), for the walks as of a date: the traceability walk
 * (trace.c) and the paths of the views (walk.c, views.c).
 *
 * A record is there at the instant when it existed then (its last
 * revision at or before it), was not retired then, and the reader may read
 * it both as it was and as it is, as a GET of the record ?at= decides (a
 * relation: both its ends now, and as it was). Each record is looked up
 * once a walk. */
#include "internal.h"

#include <string.h>

void reg_asof_init(struct reg_asof *s, struct registry *r, const struct actor *a, const char *at)
{
    *s = (struct reg_asof){r, store_conn(r->store), a, at, json_object()};
}

void reg_asof_free(struct reg_asof *s)
{
    json_decref(s->seen);
    s->seen = NULL;
}

/* {rid, rec}: the record id as of s->at (rec null when it is not there
 * then, rid 0 when it does not exist), or NULL on a store error. */
static json_t *look_up(struct reg_asof *s, const char *id, struct err *e)
{
    struct rec_row row;
    int found = rec_load(s->c, NULL, id, &row, e);
    if (found <= 0)
        return found < 0 ? NULL : json_pack("{s:I, s:n}", "rid", (json_int_t)0, "rec");
    json_t *now = json_loads(row.data, 0, NULL), *then = NULL;
    int64_t rev = 0;
    char *data = NULL;
    int rc = 0;
    if (now && registry_may_read(s->r, s->a, now)) {
        /* unchanged since: as it was then is as it is (read as such) */
        const char *upd = json_string_value(json_object_get(now, "updated_at"));
        if (upd && strcmp(upd, s->at) <= 0)
            then = json_incref(now);
        else if ((rc = reg_revision_at(s->c, row.rid, s->at, &rev, &data, e)) == 0 && data)
            then = json_loads(data, 0, NULL);
    }
    if (then && (json_object_get(then, "retired_at") ||
                 (then != now && !registry_may_read(s->r, s->a, then)))) {
        json_decref(then);
        then = NULL;
    }
    free(data);
    json_decref(now);
    int64_t rid = row.rid;
    rec_row_free(&row);
    if (rc < 0) {
        json_decref(then);
        return NULL;
    }
    return json_pack("{s:I, s:o?}", "rid", (json_int_t)rid, "rec", then);
}

int reg_asof_record(struct reg_asof *s, const char *id, json_t **then, int64_t *rid, struct err *e)
{
    *then = NULL;
    json_t *v = json_object_get(s->seen, id);
    if (!v) {
        v = look_up(s, id, e);
        if (!v)
            return -1;
        json_object_set_new(s->seen, id, v);
    }
    json_t *rec = json_object_get(v, "rec");
    *then = json_is_null(rec) ? NULL : rec;
    if (rid)
        *rid = json_integer_value(json_object_get(v, "rid"));
    return 0;
}

void reg_asof_put(struct reg_asof *s, const char *id, int64_t rid, json_t *rec)
{
    json_object_set_new(s->seen, id, json_pack("{s:I, s:O?}", "rid", (json_int_t)rid, "rec", rec));
}

char *reg_kinds_collections(const struct model *m, const char *const *kinds, size_t n)
{
    json_t *v = json_array(), *seen = json_object();
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k = model_kind(m, kinds[i]);
        if (k && k->collection && !json_object_get(seen, k->collection)) {
            json_object_set_new(seen, k->collection, json_true());
            json_array_append_new(v, json_string(k->collection));
        }
    }
    char *s = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    json_decref(seen);
    return s;
}

char *reg_strings_json(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

json_t *reg_first_column(struct store_stmt *q, struct err *e)
{
    json_t *out = json_array();
    int rc;
    while ((rc = store_step(q, e)) == STORE_ROW)
        json_array_append_new(out, json_string(store_col_text(q, 0)));
    store_reset(q);
    if (rc == STORE_ERROR) {
        json_decref(out);
        return NULL;
    }
    return out;
}
