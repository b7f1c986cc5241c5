/* dump: export, import and check of the whole repository. */
#include "dump.h"

#include "cache.h"
#include "fidx.h"
#include "internal.h"
#include "util/buf.h"
#include "util/text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_MAX_LINE (256u * 1024 * 1024)
#define DUMP_VERSION 2

/* --- export ---------------------------------------------------------------- */

static json_t *json_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    return j ? j : json_string(text);
}

static int write_line(FILE *out, json_t *j)
{
    char *s = reg_dump(j);
    int rc = fputs(s, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
    free(s);
    json_decref(j);
    return rc;
}

static json_t *revisions_of(struct store_conn *c, int64_t rid, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT revision, at, actor, action, data FROM revisions WHERE rid = $1 "
        "ORDER BY revision",
        true, e);
    if (!st)
        return NULL;
    store_bind_int64(st, 1, rid);
    json_t *revs = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_array_append_new(
            revs, json_pack("{s:I, s:s, s:s, s:s, s:o}", "revision",
                            (json_int_t)store_col_int64(st, 0), "at", store_col_text(st, 1),
                            "actor", store_col_text(st, 2), "action", store_col_text(st, 3),
                            "data", json_or_null(store_col_text(st, 4))));
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(revs);
        return NULL;
    }
    return revs;
}

static int export_records(struct store_conn *c, FILE *out, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT rid, id, collection, kind FROM records ORDER BY rid", false, e);
    if (!st)
        return -1;
    int rc, wrc = 0;
    while (wrc == 0 && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *revs = revisions_of(c, store_col_int64(st, 0), e);
        if (!revs) {
            rc = STORE_ERROR;
            break;
        }
        wrc = write_line(out, json_pack("{s:{s:s, s:s, s:s, s:o}}", "record", "id",
                                        store_col_text(st, 1), "collection",
                                        store_col_text(st, 2), "kind", store_col_text(st, 3),
                                        "revisions", revs));
    }
    store_finalize(st);
    if (wrc < 0)
        err_internal(e, "cannot write the export");
    return rc == STORE_ERROR || wrc < 0 ? -1 : 0;
}

static int export_audit(struct store_conn *c, FILE *out, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT seq, at, actor, action, collection, record_id, revision, before, after, "
        "prev_hash, hash FROM audit ORDER BY seq",
        false, e);
    if (!st)
        return -1;
    int rc, wrc = 0;
    while (wrc == 0 && (rc = store_step(st, e)) == STORE_ROW) {
        wrc = write_line(
            out, json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s}}",
                           "audit", "seq", (json_int_t)store_col_int64(st, 0), "at",
                           store_col_text(st, 1), "actor", store_col_text(st, 2), "action",
                           store_col_text(st, 3), "collection", store_col_text(st, 4),
                           "record_id", store_col_text(st, 5), "revision",
                           (json_int_t)store_col_int64(st, 6), "before",
                           json_or_null(store_col_text(st, 7)), "after",
                           json_or_null(store_col_text(st, 8)), "prev_hash",
                           store_col_text(st, 9), "hash", store_col_text(st, 10)));
    }
    store_finalize(st);
    return rc == STORE_ERROR || wrc < 0 ? -1 : 0;
}

int dump_export(struct registry *r, FILE *out, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    if (store_begin(c, false, e) < 0)
        return -1;
    int rc = write_line(out, json_pack("{s:s, s:i}", "format", "archportal-export", "version",
                                       DUMP_VERSION));
    if (rc == 0)
        rc = export_records(c, out, e);
    for (size_t p = 0; rc == 0 && p < r->n_parts; p++)
        for (size_t t = 0; rc == 0 && t < r->parts[p]->ntables; t++)
            rc = dump_table_export(c, &r->parts[p]->tables[t], out, e);
    if (rc == 0)
        rc = export_audit(c, out, e);
    store_rollback(c);
    if (rc == 0 && fflush(out) != 0) {
        err_internal(e, "cannot write the export");
        rc = -1;
    }
    return rc;
}

/* --- import ---------------------------------------------------------------- */

static int table_empty(struct store_conn *c, const char *table, struct err *e)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT NOT EXISTS (SELECT 1 FROM %s)", table);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    int rc = store_step(st, e);
    int empty = rc == STORE_ROW ? (int)store_col_int64(st, 0) : -1;
    store_reset(st);
    return empty;
}

int registry_is_empty(struct registry *r, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    int empty = table_empty(c, "records", e);
    if (empty == 1)
        empty = table_empty(c, "audit", e);
    for (size_t p = 0; empty == 1 && p < r->n_parts; p++)
        for (size_t t = 0; empty == 1 && t < r->parts[p]->ntables; t++)
            empty = table_empty(c, r->parts[p]->tables[t].table, e);
    return empty;
}

static int import_revision(struct store_conn *c, int64_t rid, const json_t *rev, int64_t expect,
                           struct err *e)
{
    json_int_t num = 0;
    const char *at = NULL, *actor = NULL, *action = NULL;
    json_t *data = NULL;
    if (json_unpack((json_t *)rev, "{s:I, s:s, s:s, s:s, s:o}", "revision", &num, "at", &at,
                    "actor", &actor, "action", &action, "data", &data) != 0 ||
        num != expect || !json_is_object(data)) {
        err_bad_request(e, "revisions", "revision %" PRId64 " is malformed", expect);
        return -1;
    }
    char *text = reg_dump(data);
    int rc = reg_revision_put(c, rid, (int64_t)num, at, actor, action, text, e);
    free(text);
    return rc;
}


static int import_record(struct registry *r, struct store_conn *c, const json_t *rec,
                         struct err *e)
{
    const char *id = NULL, *coll = NULL, *kind = NULL;
    json_t *revs = NULL;
    if (json_unpack((json_t *)rec, "{s:s, s:s, s:s, s:o}", "id", &id, "collection", &coll,
                    "kind", &kind, "revisions", &revs) != 0 ||
        !json_is_array(revs) || json_array_size(revs) == 0 || !text_id_valid(id)) {
        err_bad_request(e, "record", "malformed record");
        return -1;
    }
    const struct model_kind *k = model_kind(r->model, kind);
    if (!k || strcmp(k->collection, coll) != 0) {
        err_bad_request(e, "record", "record '%.60s' has unknown kind '%.60s'", id, kind);
        return -1;
    }
    const json_t *last = json_object_get(json_array_get(revs, json_array_size(revs) - 1), "data");
    int64_t rid;
    if (!json_is_object(last) || json_integer_value(json_object_get(last, "revision")) !=
                                     (json_int_t)json_array_size(revs)) {
        err_bad_request(e, "record", "record '%.60s': revisions do not match", id);
        return -1;
    }
    if (!json_equal(json_object_get(last, "id"), json_object_get(rec, "id"))) {
        err_bad_request(e, "record", "record '%.60s': its data has another id", id);
        return -1;
    }
    char *text = reg_dump(last);
    int rc = reg_record_insert(c, coll, kind, last, text, &rid, e);
    free(text);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < json_array_size(revs); i++)
        if (import_revision(c, rid, json_array_get(revs, i), (int64_t)i + 1, e) < 0)
            return -1;
    if (!json_object_get(last, "retired_at") && reg_count_add(c, coll, kind, 1, e) < 0)
        return -1;
    if (reg_index(r, c, rid, k, last, NULL, e) < 0)
        return -1;
    /* a relation edited to point at a newer record came before it */
    return k->is_relation ? 0 : reg_reindex_relations_of(r, c, id, e);
}

static const char *opt_text(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static char *text_of(const json_t *j)
{
    return json_is_null(j) || !j ? NULL : reg_dump(j);
}

static int import_audit(struct store_conn *c, const json_t *a, struct err *e)
{
    json_int_t seq = 0, rev = 0;
    const char *at, *actor, *action, *coll, *rid, *prev, *hash;
    json_t *before = NULL, *after = NULL;
    if (json_unpack((json_t *)a, "{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s}",
                    "seq", &seq, "at", &at, "actor", &actor, "action", &action, "collection",
                    &coll, "record_id", &rid, "revision", &rev, "before", &before, "after",
                    &after, "prev_hash", &prev, "hash", &hash) != 0) {
        err_bad_request(e, "audit", "malformed audit entry");
        return -1;
    }
    if ((!json_is_null(before) && !json_is_object(before)) ||
        (!json_is_null(after) && !json_is_object(after))) {
        err_bad_request(e, "audit", "audit before/after must be objects or null");
        return -1;
    }
    char *b = text_of(before), *af = text_of(after);
    struct audit_row row = {seq, at, actor, action, coll, rid, rev, b, af, prev, hash};
    int rc = audit_insert(c, &row, e);
    free(b);
    free(af);
    return rc;
}

static const struct dump_table *part_table(struct registry *r, const char *entity)
{
    for (size_t p = 0; p < r->n_parts; p++)
        for (size_t t = 0; t < r->parts[p]->ntables; t++)
            if (strcmp(r->parts[p]->tables[t].entity, entity) == 0)
                return &r->parts[p]->tables[t];
    return NULL;
}

static int import_line(struct registry *r, struct store_conn *c, const char *line, size_t len,
                       size_t lineno, struct err *e)
{
    json_error_t je;
    json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    int rc = -1;
    if (!json_is_object(j) || json_object_size(j) < 1) {
        err_bad_request(e, "", "line %zu: not a JSON object (%s)", lineno, j ? "" : je.text);
    } else if (lineno == 1) {
        const char *fmt = opt_text(j, "format");
        json_int_t version = json_integer_value(json_object_get(j, "version"));
        rc = fmt && strcmp(fmt, "archportal-export") == 0 && version >= 1 &&
                     version <= DUMP_VERSION
                 ? 0
                 : -1;
        if (rc < 0)
            err_bad_request(e, "", "line 1: not an archportal export (version 1 to %d)",
                            DUMP_VERSION);
    } else if (json_object_size(j) != 1) {
        err_bad_request(e, "", "line %zu: an entry has exactly one key", lineno);
    } else if (json_object_get(j, "record")) {
        rc = import_record(r, c, json_object_get(j, "record"), e);
    } else if (json_object_get(j, "audit")) {
        rc = import_audit(c, json_object_get(j, "audit"), e);
    } else {
        const char *entity = json_object_iter_key(json_object_iter(j));
        const struct dump_table *t = part_table(r, entity);
        if (t)
            rc = dump_table_import(c, t, json_object_get(j, entity), e);
        else
            err_bad_request(e, "", "line %zu: unknown entry '%.60s'", lineno, entity);
    }
    json_decref(j);
    if (rc < 0 && strncmp(e->detail, "line ", 5) != 0)
        err_prefix(e, "line %zu: ", lineno);
    return rc;
}

int dump_import(struct registry *r, FILE *in, struct err *e)
{
    int empty = registry_is_empty(r, e);
    if (empty <= 0) {
        if (empty == 0)
            err_set(e, 409, "conflict", "", "import needs an empty repository");
        return -1;
    }
    struct store_conn *c = store_begin_write(r->store, e);
    if (!c)
        return -1;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if ((size_t)n > DUMP_MAX_LINE) {
            err_bad_request(e, "", "line %zu is too long", lineno);
            rc = -1;
            break;
        }
        rc = import_line(r, c, line, (size_t)n, lineno, e);
    }
    free(line);
    if (rc == 0 && lineno == 0) {
        err_bad_request(e, "", "the import is empty");
        rc = -1;
    }
    if (rc == 0 && r->n_parts > 0) {
        /* what the tables' column types cannot say: references between
         * them, known roles and values */
        struct dump_report rep = {.problems = 0};
        buf_init(&rep.text, 0);
        dump_check_parts(r, c, &rep);
        buf_free(&rep.text);
        if (rep.problems > 0) {
            err_bad_request(e, "", "%s%s", rep.first,
                            rep.problems > 1 ? " (and more problems)" : "");
            rc = -1;
        }
    }
    for (size_t p = 0; rc == 0 && p < r->n_parts; p++)
        if (r->parts[p]->after_import)
            rc = r->parts[p]->after_import(r->parts[p]->ctx, c, e);
    /* the rows came with their ids: the database's next ones follow them */
    if (rc == 0)
        rc = store_after_import(c, e);
    if (rc < 0) {
        store_rollback(c);
        fidx_discard(r->fidx);
        return -1;
    }
    rc = store_commit(c, e);
    cache_bump();
    if (rc == 0)
        fidx_commit(r->fidx);
    else
        fidx_discard(r->fidx);
    return rc;
}
