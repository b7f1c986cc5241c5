/* check: `archportal check` — storage integrity, the audit chain, and for
 * every record: its revisions, its audit entries, its references and its
 * filter and full-text index entries. */
#include "dump.h"

#include "internal.h"
#include "util/buf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct checker {
    struct registry *r;
    struct store_conn *c;
    struct dump_report rep;
};

#define problem(k, ...) dump_problem(&(k)->rep, __VA_ARGS__)

static int64_t scalar_int(struct store_conn *c, const char *sql, int64_t rid, const char *text,
                          struct err *e)
{
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, rid);
    if (text)
        store_bind_text(st, 2, text);
    int rc = store_step(st, e);
    int64_t v = rc == STORE_ROW ? store_col_int64(st, 0) : -1;
    store_reset(st);
    return v;
}

static void check_revisions(struct checker *k, int64_t rid, const char *id, int64_t revision,
                            const char *data)
{
    struct err e = ERR_INIT;
    int64_t n = scalar_int(k->c, "SELECT count(*) FROM revisions WHERE rid = $1", rid, NULL, &e);
    if (n != revision)
        problem(k, "record %s: %" PRId64 " revisions stored for revision %" PRId64, id, n,
                revision);
    struct store_stmt *st = store_prepare(
        k->c, "SELECT data FROM revisions WHERE rid = $1 AND revision = $2", true, &e);
    if (!st)
        return;
    store_bind_int64(st, 1, rid);
    store_bind_int64(st, 2, revision);
    if (store_step(st, &e) != STORE_ROW || strcmp(store_col_text(st, 0), data) != 0)
        problem(k, "record %s: current state differs from its last revision", id);
    store_reset(st);
    int64_t audited = scalar_int(k->c,
                                 "SELECT count(DISTINCT revision) FROM audit WHERE record_id = $2 "
                                 "AND revision BETWEEN 1 AND $1",
                                 revision, id, &e);
    if (audited != revision)
        problem(k, "record %s: %" PRId64 " of %" PRId64 " revisions have an audit entry", id,
                audited, revision);
}

struct ref_check {
    struct checker *k;
    const char *id;
};

static void check_one_ref(void *vctx, const char *field, const char *value)
{
    struct ref_check *rc = vctx;
    if (strcmp(field, "_ref") != 0)
        return;
    struct err e = ERR_INIT;
    struct rec_row row;
    int found = rec_load(rc->k->c, NULL, value, &row, &e);
    if (found == 0)
        problem(rc->k, "record %s: refers to missing record %s", rc->id, value);
    else if (found > 0 && row.retired)
        problem(rc->k, "record %s: refers to retired record %s", rc->id, value);
    if (found > 0)
        rec_row_free(&row);
}

struct attr_set {
    char **items;
    size_t n;
};

static void collect_attr(void *vctx, const char *field, const char *value)
{
    struct attr_set *s = vctx;
    s->items = xrealloc(s->items, (s->n + 1) * sizeof *s->items);
    size_t len = strlen(field) + strlen(value) + 2;
    s->items[s->n] = xmalloc(len);
    snprintf(s->items[s->n], len, "%s=%s", field, value);
    s->n++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void attr_set_free(struct attr_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
}

static void dedupe(struct attr_set *s)
{
    if (s->n == 0)
        return;
    qsort(s->items, s->n, sizeof *s->items, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (w && strcmp(s->items[w - 1], s->items[i]) == 0) {
            free(s->items[i]);
            continue;
        }
        s->items[w++] = s->items[i];
    }
    s->n = w;
}

static bool sets_equal(struct attr_set *a, struct attr_set *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i], b->items[i]) != 0)
            return false;
    return true;
}

static void check_attrs(struct checker *k, int64_t rid, const char *id,
                        const struct model_kind *kind, const json_t *rec, bool live)
{
    struct attr_set want = {0}, have = {0};
    char vis[128] = "";
    struct err ve = ERR_INIT;
    if (live && kind->is_relation &&
        reg_relation_visible(k->r, k->c, rec, vis, sizeof vis, &ve) < 0)
        problem(k, "record %s: cannot read its ends: %s", id, ve.detail);
    if (live)
        reg_index_entries(kind, rec, *vis ? vis : NULL, collect_attr, &want);
    dedupe(&want);
    struct err e = ERR_INIT;
    struct store_stmt *st =
        store_prepare(k->c, "SELECT field, value FROM attrs WHERE rid = $1", true, &e);
    if (st) {
        store_bind_int64(st, 1, rid);
        while (store_step(st, &e) == STORE_ROW)
            collect_attr(&have, store_col_text(st, 0), store_col_text(st, 1));
        store_reset(st);
    }
    dedupe(&have);
    if (!sets_equal(&want, &have))
        problem(k, "record %s: filter index out of date (%zu entries, %zu expected)", id, have.n,
                want.n);
    attr_set_free(&want);
    attr_set_free(&have);
}

static void check_fts(struct checker *k, int64_t rid, const char *id,
                      const struct model_kind *kind, const json_t *rec, bool live)
{
    struct err e = ERR_INIT;
    struct store_stmt *st =
        store_prepare(k->c, "SELECT body, coll FROM search_text WHERE rid = $1", true, &e);
    if (!st)
        return;
    store_bind_int64(st, 1, rid);
    int rc = store_step(st, &e);
    char *want = live ? reg_search_body(kind, rec) : NULL;
    if (live && (rc != STORE_ROW || strcmp(store_col_text(st, 0), want) != 0 ||
                 strcmp(store_col_text(st, 1), kind->collection) != 0))
        problem(k, "record %s: full-text index out of date", id);
    if (!live && rc == STORE_ROW)
        problem(k, "record %s: retired but still in the full-text index", id);
    free(want);
    store_reset(st);
}

/* The name kept apart (record_names) must be the record's. */
static void check_name(struct checker *k, const char *id, const json_t *rec,
                       struct store_stmt *st)
{
    const json_t *name = json_object_get(rec, "name");
    if (store_col_null(st, 7)) {
        problem(k, "record %s: no row in record_names", id);
        return;
    }
    /* a record without a name keeps NULL */
    json_t *kept = store_col_null(st, 6) ? NULL
                                          : json_loads(store_col_text(st, 6), JSON_DECODE_ANY, NULL);
    bool same = name ? kept && json_equal(name, kept) : store_col_null(st, 6);
    if (!same)
        problem(k, "record %s: its name in record_names is not the record's", id);
    json_decref(kept);
}

static void check_record(struct checker *k, struct store_stmt *st)
{
    int64_t rid = store_col_int64(st, 0);
    const char *id = store_col_text(st, 1), *kind_id = store_col_text(st, 2);
    int64_t revision = store_col_int64(st, 3);
    bool retired = store_col_int64(st, 4) != 0;
    const char *data = store_col_text(st, 5);
    const struct model_kind *kind = model_kind(k->r->model, kind_id);
    json_t *rec = data ? json_loads(data, 0, NULL) : NULL;
    if (!kind || !rec) {
        problem(k, "record %s: %s", id, kind ? "stored JSON is broken" : "unknown kind");
        json_decref(rec);
        return;
    }
    check_revisions(k, rid, id, revision, data);
    check_name(k, id, rec, st);
    if (retired != (json_object_get(rec, "retired_at") != NULL))
        problem(k, "record %s: retired flag disagrees with its data", id);
    if (!retired) {
        struct ref_check rc = {k, id};
        reg_index_entries(kind, rec, NULL, check_one_ref, &rc);
    }
    check_attrs(k, rid, id, kind, rec, !retired);
    check_fts(k, rid, id, kind, rec, !retired);
    json_decref(rec);
}

static void check_records(struct checker *k)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        k->c,
        "SELECT r.rid, r.id, r.kind, r.revision, r.retired, d.data, n.name, n.rid FROM records r "
        "LEFT JOIN record_data d ON d.rid = r.rid LEFT JOIN record_names n ON n.rid = r.rid "
        "ORDER BY r.rid",
        false, &e);
    if (!st) {
        problem(k, "records: cannot read: %s", e.detail);
        return;
    }
    int rc;
    while ((rc = store_step(st, &e)) == STORE_ROW)
        check_record(k, st);
    if (rc == STORE_ERROR)
        problem(k, "records: reading failed: %s", e.detail);
    store_finalize(st);
}

static void check_orphans(struct checker *k)
{
    struct err e = ERR_INIT;
    int64_t n = scalar_int(k->c,
                           "SELECT count(*) FROM attrs WHERE $1 = 0 AND rid NOT IN "
                           "(SELECT rid FROM records)",
                           0, NULL, &e);
    if (n != 0)
        problem(k, "filter index: %" PRId64 " entries of no record", n);
}

/* The live counts must equal the live records per (collection, kind). */
static void check_counts(struct checker *k)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        k->c,
        "SELECT c.collection, c.kind, c.n, (SELECT count(*) FROM records r WHERE "
        "r.collection = c.collection AND r.kind = c.kind AND r.retired = 0) FROM counts c "
        "UNION ALL SELECT r.collection, r.kind, 0, count(*) FROM records r WHERE r.retired = 0 "
        "AND NOT EXISTS (SELECT 1 FROM counts c WHERE c.collection = r.collection AND "
        "c.kind = r.kind) GROUP BY r.collection, r.kind",
        false, &e);
    if (!st) {
        problem(k, "counts: cannot read: %s", e.detail);
        return;
    }
    while (store_step(st, &e) == STORE_ROW) {
        if (store_col_int64(st, 2) != store_col_int64(st, 3))
            problem(k, "counts: %s/%s says %" PRId64 " live records, there are %" PRId64,
                    store_col_text(st, 0), store_col_text(st, 1), store_col_int64(st, 2),
                    store_col_int64(st, 3));
    }
    store_finalize(st);
}

static void append_report(struct checker *k, const char *text, int n)
{
    if (n > 0 && text) {
        buf_puts(&k->rep.text, text);
        k->rep.problems += n;
        if (!k->rep.first[0])
            snprintf(k->rep.first, sizeof k->rep.first, "%.*s", (int)strcspn(text, "\n"), text);
    }
}

static void check_rule(struct store_conn *c, const char *sql, struct dump_report *rep)
{
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(c, sql, false, &e);
    if (!st) {
        dump_problem(rep, "cannot check: %s", e.detail);
        return;
    }
    int rc;
    while ((rc = store_step(st, &e)) == STORE_ROW)
        dump_problem(rep, "%s %s: %s", store_col_text(st, 0), store_col_text(st, 1),
                     store_col_text(st, 2));
    if (rc == STORE_ERROR)
        dump_problem(rep, "cannot check: %s", e.detail);
    store_finalize(st);
}

void dump_check_parts(struct registry *r, struct store_conn *c, struct dump_report *rep)
{
    for (size_t p = 0; p < r->n_parts; p++) {
        const struct dump_part *part = r->parts[p];
        for (size_t t = 0; t < part->ntables; t++)
            dump_table_check(c, &part->tables[t], rep);
        for (size_t i = 0; i < part->nrules; i++)
            check_rule(c, part->rules[i], rep);
        if (part->check)
            part->check(part->ctx, c, rep);
    }
}

int dump_check(struct registry *r, char **report)
{
    struct checker k = {.r = r, .c = store_conn(r->store)};
    buf_init(&k.rep.text, 0);
    struct err e = ERR_INIT;
    if (store_begin(k.c, false, &e) < 0) {
        problem(&k, "cannot read the database: %s", e.detail);
        *report = buf_steal(&k.rep.text, NULL);
        return k.rep.problems;
    }
    char *text = NULL;
    int n = store_integrity(k.c, &text);
    append_report(&k, text, n);
    free(text);
    text = NULL;
    n = audit_verify(k.c, &text);
    append_report(&k, text, n);
    free(text);
    check_records(&k);
    check_orphans(&k);
    check_counts(&k);
    dump_check_parts(r, k.c, &k.rep);
    store_rollback(k.c);
    *report = buf_steal(&k.rep.text, NULL);
    return k.rep.problems;
}
