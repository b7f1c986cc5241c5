/* snapshot: the records that freeze the architecture (a kind's "snapshot",
 * issue 16: an architecture version, REQ ARC-15). A version is the
 * instant it was taken and what the live records of its collections were
 * then: their ids and revisions, which never change (a revision is never
 * rewritten), so the version's content is read back from the revisions
 * and no copy is made. Its hash, SHA-256 over "id\trevision\n" collection
 * by collection in id order, is the content's address: two versions of
 * the same content have the same hash. Every pass reads along an index or
 * the table: no sort, whose memory would be the size of the version. */
#include "registry/internal.h"
#include "util/buf.h"
#include "util/text.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The most elements a comparison lists per change (the counts are exact). */
#define SNAPSHOT_DIFF_LISTED 1000

static char *collections_json(const struct model_snapshot *s)
{
    return reg_strings_json(s->of, s->n_of);
}

int reg_snapshot_take(struct store_conn *c, const struct model_snapshot *s, const char *at,
                      json_t *into, struct err *e)
{
    /* collection by collection (the model's order), each in id order along
     * its index: no sort, and the same address wherever the repository is
     * stored */
    struct store_stmt *st = store_prepare(
        c, "SELECT id, revision FROM records WHERE collection = $1 AND retired = 0 ORDER BY id",
        true, e);
    if (!st)
        return -1;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    json_int_t n = 0;
    int rc = STORE_DONE;
    char line[200];
    for (size_t i = 0; i < s->n_of && rc != STORE_ERROR; i++) {
        store_bind_text(st, 1, s->of[i]);
        while ((rc = store_step(st, e)) == STORE_ROW) {
            int len = snprintf(line, sizeof line, "%s\t%lld\n", store_col_text(st, 0),
                               (long long)store_col_int64(st, 1));
            if (len >= (int)sizeof line)
                len = (int)sizeof line - 1;
            crypto_hash_sha256_update(&h, (const unsigned char *)line, (unsigned long long)len);
            n++;
        }
        store_reset(st);
    }
    if (rc == STORE_ERROR)
        return -1;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, digest);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    json_object_set_new(into, s->at, json_string(at));
    json_object_set_new(into, s->hash, json_string(hex));
    json_object_set_new(into, s->count, json_integer(n));
    return 0;
}

/* The data of record rid's revision (new reference), or NULL. */
static json_t *revision_data(struct store_conn *c, json_int_t rid, json_int_t revision,
                             struct err *e)
{
    struct store_stmt *st =
        store_prepare(c, "SELECT data FROM revisions WHERE rid = $1 AND revision = $2", true, e);
    if (!st)
        return NULL;
    store_bind_int64(st, 1, rid);
    store_bind_int64(st, 2, revision);
    json_t *out =
        store_step(st, e) == STORE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    store_reset(st);
    return out;
}

/* A version record of a snapshot kind, as the actor may read it. */
static int version_of(struct registry *r, const struct actor *a, const char *collection,
                      const char *id, json_t **rec, const struct model_snapshot **s, struct err *e)
{
    if (registry_get_visible(r, a, collection, id, rec, e) < 0)
        return -1;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(*rec, "kind")));
    *s = k ? k->snapshot : NULL;
    if (!*s || !json_string_value(json_object_get(*rec, (*s)->at))) {
        json_decref(*rec);
        *rec = NULL;
        err_not_found(e, "the record froze nothing");
        return -1;
    }
    return 0;
}

/* {id, kind, collection, name} of a record, from its data then. */
static json_t *member_ref(struct store_stmt *row, const json_t *data)
{
    return json_pack("{s:s, s:s, s:s, s:O?}", "id", store_col_text(row, 0), "kind",
                     store_col_text(row, 3), "collection", store_col_text(row, 4), "name",
                     json_object_get(data, "name"));
}

/* The top-level fields that differ between a and b (the bookkeeping of
 * revisions aside): [{field, from?, to?}]. */
static json_t *field_changes(const json_t *a, const json_t *b)
{
    static const char *const skip[] = {"revision", "updated_at", "created_at", NULL};
    json_t *out = json_array();
    const char *key;
    json_t *v;
    json_t *keys = json_object();
    json_object_foreach ((json_t *)a, key, v)
        json_object_set_new(keys, key, json_true());
    json_object_foreach ((json_t *)b, key, v)
        json_object_set_new(keys, key, json_true());
    json_object_foreach (keys, key, v) {
        bool skipped = false;
        for (size_t i = 0; skip[i]; i++)
            skipped = skipped || strcmp(skip[i], key) == 0;
        const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
        if (skipped || (x && y && json_equal(x, y)))
            continue;
        json_array_append_new(out,
                              json_pack("{s:s, s:O?, s:O?}", "field", key, "from", x, "to", y));
    }
    json_decref(keys);
    return out;
}

/* A record as it was at `at`: live or not, and its revision then. */
struct then {
    bool live;
    int64_t revision;
};

/* The row of "SELECT id, rid, revision, kind, collection, retired,
 * updated_at, created_at" as it was at `at`: a record not written since is
 * as it is; one written since is looked up in its revisions (q). */
static int state_at(struct store_stmt *row, struct store_stmt *q, const char *at, struct then *out,
                    struct err *e)
{
    *out = (struct then){false, 0};
    if (strcmp(store_col_text(row, 7), at) > 0)
        return 0; /* made since */
    if (strcmp(store_col_text(row, 6), at) <= 0) {
        *out = (struct then){store_col_int64(row, 5) == 0, store_col_int64(row, 2)};
        return 0;
    }
    store_bind_int64(q, 1, store_col_int64(row, 1));
    store_bind_text(q, 2, at);
    int t = store_step(q, e);
    if (t == STORE_ROW)
        *out = (struct then){strcmp(store_col_text(q, 1), "retire") != 0, store_col_int64(q, 0)};
    store_reset(q);
    return t == STORE_ERROR ? -1 : 0;
}

/* A pass over the records of s's collections in row order (st, its
 * collections bound; see state_at) and the lookup of a record's revision
 * at an instant (q): both, or neither with e set. */
static int open_pass(struct store_conn *c, const struct model_snapshot *s, char **colls,
                     struct store_stmt **st, struct store_stmt **q, struct err *e)
{
    *colls = collections_json(s);
    *st = store_prepare(
        c,
        "SELECT id, rid, revision, kind, collection, retired, updated_at, created_at FROM records "
        "WHERE collection IN (SELECT value FROM json_each($1)) ORDER BY rid",
        true, e);
    *q = *st ? store_prepare(c,
                             "SELECT revision, action FROM revisions WHERE rid = $1 AND at <= $2 "
                             "ORDER BY revision DESC LIMIT 1",
                             true, e)
             : NULL;
    if (*q) {
        store_bind_text(*st, 1, *colls);
        return 0;
    }
    if (*st)
        store_reset(*st);
    free(*colls);
    *colls = NULL;
    *st = NULL;
    return -1;
}

static void close_pass(char *colls, struct store_stmt *st, struct store_stmt *q)
{
    if (st)
        store_reset(st);
    if (q)
        store_reset(q);
    free(colls);
}

/* Appends to list (at most SNAPSHOT_DIFF_LISTED) the row's record as it
 * was in its revision `revision`; *n counts it. */
static int list_one(struct store_conn *c, struct store_stmt *row, int64_t revision, json_t *list,
                    json_int_t *n, struct err *e)
{
    if ((*n)++ >= SNAPSHOT_DIFF_LISTED)
        return 0;
    json_t *d = revision_data(c, store_col_int64(row, 1), revision, e);
    if (!d && e->status)
        return -1;
    json_array_append_new(list, member_ref(row, d));
    json_decref(d);
    return 0;
}

int registry_snapshot_compare(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, const char *other, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *va = NULL, *vb = NULL;
    const struct model_snapshot *s, *sb;
    if (version_of(r, a, collection, id, &va, &s, e) < 0)
        return -1;
    if (version_of(r, a, collection, other, &vb, &sb, e) < 0 || s != sb) {
        if (s != sb)
            err_not_found(e, "the versions are of different kinds");
        json_decref(va);
        json_decref(vb);
        return -1;
    }
    const char *at_a = json_string_value(json_object_get(va, s->at));
    const char *at_b = json_string_value(json_object_get(vb, s->at));
    struct store_conn *c = store_conn(r->store);
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    json_int_t n_added = 0, n_removed = 0, n_changed = 0;
    /* the same address, the same content: nothing to compare; else one
     * pass over the collections' records, each as it was at both instants */
    bool same = json_equal(json_object_get(va, s->hash), json_object_get(vb, s->hash));
    char *colls = NULL;
    struct store_stmt *st = NULL, *q = NULL;
    int rc = same ? STORE_DONE : open_pass(c, s, &colls, &st, &q, e) < 0 ? STORE_ERROR : STORE_DONE;
    while (q && (rc = store_step(st, e)) == STORE_ROW) {
        struct then x, y;
        if (state_at(st, q, at_a, &x, e) < 0 || state_at(st, q, at_b, &y, e) < 0) {
            rc = STORE_ERROR;
            break;
        }
        int out_rc = 0;
        if (x.live && !y.live)
            out_rc = list_one(c, st, x.revision, removed, &n_removed, e);
        else if (!x.live && y.live)
            out_rc = list_one(c, st, y.revision, added, &n_added, e);
        else if (x.live && x.revision != y.revision) {
            json_t *da = revision_data(c, store_col_int64(st, 1), x.revision, e);
            json_t *db = revision_data(c, store_col_int64(st, 1), y.revision, e);
            json_t *fields = field_changes(da, db);
            if (json_array_size(fields) && n_changed++ < SNAPSHOT_DIFF_LISTED) {
                json_t *ref = member_ref(st, db);
                json_object_set(ref, "fields", fields);
                json_array_append_new(changed, ref);
            }
            json_decref(fields);
            json_decref(da);
            json_decref(db);
        }
        if (out_rc < 0) {
            rc = STORE_ERROR;
            break;
        }
    }
    close_pass(colls, st, q);
    if (rc != STORE_ERROR)
        *out = json_pack("{s:{s:s, s:O, s:O}, s:{s:s, s:O, s:O}, s:{s:I, s:I, s:I}, s:o, s:o, s:o}",
                         "from", "id", id, "at", json_object_get(va, s->at), "hash",
                         json_object_get(va, s->hash), "to", "id", other, "at",
                         json_object_get(vb, s->at), "hash", json_object_get(vb, s->hash), "counts",
                         "added", n_added, "changed", n_changed, "removed", n_removed, "added",
                         added, "changed", changed, "removed", removed);
    else {
        json_decref(added);
        json_decref(changed);
        json_decref(removed);
    }
    json_decref(va);
    json_decref(vb);
    return rc == STORE_ERROR ? -1 : 0;
}

int registry_snapshot_has(struct registry *r, const json_t *version, const char *element)
{
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(version, "kind")));
    const struct model_snapshot *s = k ? k->snapshot : NULL;
    const char *at = s ? json_string_value(json_object_get(version, s->at)) : NULL;
    if (!at || !element)
        return 0;
    char *colls = collections_json(s);
    struct err e = ERR_INIT;
    struct store_stmt *st = store_prepare(
        store_conn(r->store),
        "SELECT v.action FROM records r JOIN revisions v ON v.rid = r.rid "
        "WHERE r.id = $1 AND r.collection IN (SELECT value FROM json_each($2)) AND v.at <= $3 "
        "ORDER BY v.revision DESC LIMIT 1",
        true, &e);
    if (!st) {
        free(colls);
        return -1;
    }
    store_bind_text(st, 1, element);
    store_bind_text(st, 2, colls);
    store_bind_text(st, 3, at);
    int rc = store_step(st, &e);
    int has = rc == STORE_ROW     ? strcmp(store_col_text(st, 0), "retire") != 0
              : rc == STORE_ERROR ? -1
                                  : 0;
    store_reset(st);
    free(colls);
    return has;
}

/* Calls fn for each record the snapshot of s taken at `at` holds, in the
 * order they were made (row ids: no sort), with its data then; -1 on a store error or when fn
 * fails. */
typedef int (*member_fn)(void *ctx, struct store_stmt *row, json_t *data, struct err *e);
static int each_member(struct store_conn *c, const struct model_snapshot *s, const char *at,
                       member_fn fn, void *ctx, struct err *e)
{
    char *colls;
    struct store_stmt *st, *q;
    if (open_pass(c, s, &colls, &st, &q, e) < 0)
        return -1;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        struct then x;
        if (state_at(st, q, at, &x, e) < 0) {
            rc = STORE_ERROR;
            break;
        }
        if (!x.live)
            continue;
        json_t *d = revision_data(c, store_col_int64(st, 1), x.revision, e);
        int frc = d ? fn(ctx, st, d, e) : e->status ? -1 : 0;
        json_decref(d);
        if (frc < 0) {
            rc = STORE_ERROR;
            break;
        }
    }
    close_pass(colls, st, q);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Is the record's data of then published (or of a kind without a
 * workflow)? */
static bool published_then(const struct model_kind *k, const json_t *d)
{
    if (!k || !k->workflow)
        return true;
    const struct model_wf_state *st = model_wf_state(
        k->workflow, json_string_value(json_object_get(d, k->workflow->status_field)));
    return st && st->published;
}

struct content {
    struct registry *r;
    const struct actor *a;
    FILE *out;
    json_t *hidden; /* ids of records unpublished then (for a reader of published ones) */
    bool first;
};

static int note_hidden(void *ctx, struct store_stmt *row, json_t *d, struct err *e)
{
    (void)e;
    struct content *w = ctx;
    const struct model_kind *k = model_kind(w->r->model, store_col_text(row, 3));
    if (!published_then(k, d))
        json_object_set_new(w->hidden, store_col_text(row, 0), json_true());
    return 0;
}

static int write_member(void *ctx, struct store_stmt *row, json_t *d, struct err *e)
{
    (void)e;
    struct content *w = ctx;
    const char *src = json_string_value(json_object_get(d, "source"));
    const char *dst = json_string_value(json_object_get(d, "target"));
    if (json_object_get(w->hidden, store_col_text(row, 0)) ||
        (src && json_object_get(w->hidden, src)) || (dst && json_object_get(w->hidden, dst)))
        return 0;
    registry_redact(w->r, w->a, d);
    fputs(w->first ? "" : ",", w->out);
    w->first = false;
    return json_dumpf(d, w->out, JSON_COMPACT) == 0 ? 0 : -1;
}

int registry_snapshot_content(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, FILE *out, struct err *e)
{
    json_t *v = NULL;
    const struct model_snapshot *s;
    if (version_of(r, a, collection, id, &v, &s, e) < 0)
        return -1;
    struct store_conn *c = store_conn(r->store);
    const char *at = json_string_value(json_object_get(v, s->at));
    struct content w = {r, a, out, json_object(), true};
    /* a record unpublished then is left out for a reader of published
     * records only, and so is a relation with such an end (a first pass
     * notes them); the rest of what the version holds is public once the
     * version is */
    int rc = a->system || reg_reads_unpublished(r, a, NULL)
                 ? 0
                 : each_member(c, s, at, note_hidden, &w, e);
    json_t *head = json_pack("{s:s, s:O?, s:O, s:O, s:O}", "id", id, "name",
                             json_object_get(v, "name"), "at", json_object_get(v, s->at), "hash",
                             json_object_get(v, s->hash), "elements", json_object_get(v, s->count));
    if (rc == 0) {
        fprintf(out, "{\"version\":");
        json_dumpf(head, out, JSON_COMPACT);
        fprintf(out, ",\"records\":[");
        rc = each_member(c, s, at, write_member, &w, e);
        fprintf(out, "]}\n");
    }
    json_decref(head);
    json_decref(w.hidden);
    json_decref(v);
    return rc;
}
