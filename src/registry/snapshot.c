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
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    json_int_t n = 0;
    int rc = STORE_DONE;
    char line[200];
    for (size_t i = 0; i < s->n_of && rc != STORE_ERROR; i++) {
        /* prepared for each collection: a statement the cache could not
         * keep is freed by its reset */
        struct store_stmt *st = store_prepare(
            c, "SELECT id, revision FROM records WHERE collection = $1 AND retired = 0 ORDER BY id",
            true, e);
        if (!st)
            return -1;
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

/* Does the reader read only records published then (and relations whose
 * ends were)? */
static bool reads_published_only(struct registry *r, const struct actor *a)
{
    return !a->system && !reg_reads_unpublished(r, a, NULL);
}

/* Appends to list (at most SNAPSHOT_DIFF_LISTED) the row's record as it
 * was (d); *n counts it. */
static void listed(struct store_stmt *row, const json_t *d, json_t *list, json_int_t *n)
{
    if ((*n)++ < SNAPSHOT_DIFF_LISTED)
        json_array_append_new(list, member_ref(row, d));
}

static int shown_then(struct registry *r, struct store_conn *c, const struct model_snapshot *s,
                      const char *at, json_t *seen, const json_t *d, struct err *e);

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
    bool published_only = reads_published_only(r, a);
    json_t *seen_a = json_object(), *seen_b = json_object();
    while (q && (rc = store_step(st, e)) == STORE_ROW) {
        struct then x, y;
        if (state_at(st, q, at_a, &x, e) < 0 || state_at(st, q, at_b, &y, e) < 0) {
            rc = STORE_ERROR;
            break;
        }
        if (x.live == y.live && (!x.live || x.revision == y.revision))
            continue; /* the same then and then, whoever reads */
        json_t *da = x.live ? revision_data(c, store_col_int64(st, 1), x.revision, e) : NULL;
        json_t *db = y.live ? revision_data(c, store_col_int64(st, 1), y.revision, e) : NULL;
        if ((x.live && !da) || (y.live && !db)) {
            json_decref(da);
            json_decref(db);
            if (e->status) {
                rc = STORE_ERROR;
                break;
            }
            continue;
        }
        /* a reader of published records sees each side as one then */
        int shown_a = !published_only || !da ? 1 : shown_then(r, c, s, at_a, seen_a, da, e);
        int shown_b = !published_only || !db ? 1 : shown_then(r, c, s, at_b, seen_b, db, e);
        if (shown_a < 0 || shown_b < 0) {
            json_decref(da);
            json_decref(db);
            rc = STORE_ERROR;
            break;
        }
        bool live_a = da && shown_a, live_b = db && shown_b;
        if (live_a && !live_b)
            listed(st, da, removed, &n_removed);
        else if (!live_a && live_b)
            listed(st, db, added, &n_added);
        else if (live_a) {
            registry_redact(r, a, da);
            registry_redact(r, a, db);
            json_t *fields = field_changes(da, db);
            if (json_array_size(fields) && n_changed++ < SNAPSHOT_DIFF_LISTED) {
                json_t *ref = member_ref(st, db);
                json_object_set(ref, "fields", fields);
                json_array_append_new(changed, ref);
            }
            json_decref(fields);
        }
        json_decref(da);
        json_decref(db);
    }
    json_decref(seen_a);
    json_decref(seen_b);
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
    int rc = !reads_published_only(r, a)
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


/* ---- each record of a version, for other writers (the ArchiMate export) ---- */

struct each_ctx {
    struct content w; /* its hidden set and reader */
    reg_snapshot_fn fn;
    void *ctx;
};

static int each_visible(void *ctx, struct store_stmt *row, json_t *d, struct err *e)
{
    (void)e;
    struct each_ctx *x = ctx;
    const char *src = json_string_value(json_object_get(d, "source"));
    const char *dst = json_string_value(json_object_get(d, "target"));
    if (json_object_get(x->w.hidden, store_col_text(row, 0)) ||
        (src && json_object_get(x->w.hidden, src)) || (dst && json_object_get(x->w.hidden, dst)))
        return 0;
    registry_redact(x->w.r, x->w.a, d);
    x->fn(x->ctx, d);
    return 0;
}

int reg_snapshot_each(struct registry *r, const struct actor *a, const char *id, json_t **version,
                      reg_snapshot_fn fn, void *ctx, struct err *e)
{
    json_t *v = NULL;
    const struct model_snapshot *s;
    *version = NULL;
    if (version_of(r, a, NULL, id, &v, &s, e) < 0)
        return -1;
    struct store_conn *c = store_conn(r->store);
    const char *at = json_string_value(json_object_get(v, s->at));
    struct each_ctx x = {{r, a, NULL, json_object(), true}, fn, ctx};
    /* as the version's content is read: what was unpublished then is left
     * out for a reader of published records only */
    int rc = !reads_published_only(r, a) ? 0 : each_member(c, s, at, note_hidden, &x.w, e);
    if (rc == 0)
        rc = each_member(c, s, at, each_visible, &x, e);
    json_decref(x.w.hidden);
    if (rc < 0) {
        json_decref(v);
        return -1;
    }
    *version = v;
    return 0;
}

/* ---- reading a version: its elements, one element as it was ----------------------- */

/* The version's head for a page: {id, kind, collection, name, at, hash,
 * elements, published}. */
static json_t *version_head(struct registry *r, const json_t *v, const struct model_snapshot *s,
                            const char *coll, const char *id)
{
    const struct model_kind *k = model_kind(r->model, json_string_value(json_object_get(v, "kind")));
    return json_pack("{s:s, s:O?, s:s, s:O?, s:O, s:O, s:O, s:b}", "id", id, "kind",
                     json_object_get(v, "kind"), "collection", coll, "name",
                     json_object_get(v, "name"), "at", json_object_get(v, s->at), "hash",
                     json_object_get(v, s->hash), "elements", json_object_get(v, s->count),
                     "published", published_then(k, v));
}

/* Is `coll` one of the snapshot's collections of records (elements, not
 * relations)? */
static bool holds_elements(const struct model *m, const struct model_snapshot *s,
                           const char *coll)
{
    const struct model_collection *mc = coll ? model_collection(m, coll) : NULL;
    for (size_t i = 0; mc && mc->type == COLL_RECORDS && i < s->n_of; i++)
        if (strcmp(s->of[i], coll) == 0)
            return true;
    return false;
}

/* Element `id` of the snapshot's collections as it was at `at`: 1 with
 * *data (new reference) and *rid, 0 when it was not there then (or is
 * of none of them), -1 on a store error. */
static int element_then(struct store_conn *c, const struct model_snapshot *s, const char *at,
                        const char *id, json_t **data, int64_t *rid, struct err *e)
{
    *data = NULL;
    char *colls = collections_json(s);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT id, rid, revision, kind, collection, retired, updated_at, created_at FROM records "
        "WHERE id = $1 AND collection IN (SELECT value FROM json_each($2))",
        true, e);
    struct store_stmt *q = st ? store_prepare(c,
                                              "SELECT revision, action FROM revisions WHERE rid = "
                                              "$1 AND at <= $2 ORDER BY revision DESC LIMIT 1",
                                              true, e)
                              : NULL;
    int rc = q ? 0 : -1;
    if (q) {
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, colls);
        int t = store_step(st, e);
        struct then x = {false, 0};
        if (t == STORE_ERROR || (t == STORE_ROW && state_at(st, q, at, &x, e) < 0))
            rc = -1;
        else if (x.live) {
            *rid = store_col_int64(st, 1);
            *data = revision_data(c, *rid, x.revision, e);
            rc = *data ? 1 : e->status ? -1 : 0;
        }
    }
    if (st)
        store_reset(st);
    if (q)
        store_reset(q);
    free(colls);
    return rc;
}

/* Element `id` as it was at `at` (*then borrowed from `seen`, which keeps
 * each lookup by id; NULL when it was not there then); -1 on a store
 * error. */
static int end_shown(struct registry *r, struct store_conn *c, const struct model_snapshot *s,
                     const char *at, json_t *seen, const char *id, json_t **then, struct err *e)
{
    json_t *v = json_object_get(seen, id);
    if (!v) {
        json_t *d = NULL;
        int64_t rid = 0;
        int got = element_then(c, s, at, id, &d, &rid, e);
        if (got < 0)
            return -1;
        v = d ? d : json_null();
        json_object_set_new(seen, id, v);
    }
    *then = json_is_null(v) ? NULL : v;
    return 0;
}

/* Is record d (as it was at `at`) one a reader of published records
 * sees: published then, and for a relation both its ends too? 1 yes, 0
 * no, -1 on a store error. */
static int shown_then(struct registry *r, struct store_conn *c, const struct model_snapshot *s,
                      const char *at, json_t *seen, const json_t *d, struct err *e)
{
    const struct model_kind *k = model_kind(r->model, json_string_value(json_object_get(d, "kind")));
    if (!k || !k->is_relation)
        return published_then(k, d);
    static const char *const ends[] = {"source", "target"};
    for (size_t i = 0; i < 2; i++) {
        const char *id = json_string_value(json_object_get(d, ends[i]));
        json_t *end = NULL;
        if (!id)
            return 0;
        if (end_shown(r, c, s, at, seen, id, &end, e) < 0)
            return -1;
        const struct model_kind *ek =
            end ? model_kind(r->model, json_string_value(json_object_get(end, "kind"))) : NULL;
        if (!end || !published_then(ek, end))
            return 0;
    }
    return 1;
}

struct members {
    struct registry *r;
    const struct actor *a;
    bool published_only;
    const char *q; /* folded, or NULL */
    struct arena *ar;
    struct reg_reached *got;
    size_t n, cap;
};

static int note_member(void *ctx, struct store_stmt *row, json_t *d, struct err *e)
{
    (void)e;
    struct members *w = ctx;
    if (w->published_only && !published_then(model_kind(w->r->model, store_col_text(row, 3)), d))
        return 0;
    char *key = reg_sort_name(d);
    if (w->q && !strstr(key, w->q)) {
        /* the query against every language's name, not only the sort key */
        bool hit = false;
        const json_t *name = json_object_get(d, "name");
        const char *lang;
        json_t *t;
        if (json_is_string(name))
            hit = strstr(text_fold(w->ar, json_string_value(name)), w->q) != NULL;
        json_object_foreach ((json_t *)name, lang, t)
            hit = hit || (json_is_string(t) && strstr(text_fold(w->ar, json_string_value(t)), w->q));
        if (!hit) {
            free(key);
            return 0;
        }
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 256;
        w->got = realloc(w->got, w->cap * sizeof *w->got);
        if (!w->got)
            fatal("out of memory");
    }
    w->got[w->n++] = (struct reg_reached){key, store_col_int64(row, 1), member_ref(row, d)};
    return 0;
}

int registry_snapshot_members(struct registry *r, const struct actor *a, const char *collection,
                              const char *id, const char *of, const char *q, size_t offset,
                              size_t limit, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *v = NULL;
    const struct model_snapshot *s;
    if (version_of(r, a, collection, id, &v, &s, e) < 0)
        return -1;
    json_t *colls = json_array();
    for (size_t i = 0; i < s->n_of; i++)
        if (holds_elements(r->model, s, s->of[i]))
            json_array_append_new(colls, json_string(s->of[i]));
    if (!of || !*of)
        of = json_string_value(json_array_get(colls, 0));
    if (!of || !holds_elements(r->model, s, of)) {
        err_bad_request(e, "collection", "the version holds no collection '%.60s'",
                        of ? of : "");
        json_decref(colls);
        json_decref(v);
        return -1;
    }
    struct arena *ar = arena_new();
    struct members w = {r, a, reads_published_only(r, a), q && *q ? text_fold(ar, q) : NULL, ar,
                        NULL, 0, 0};
    const char *one[] = {of};
    struct model_snapshot only = {one, 1, s->at, s->hash, s->count};
    int rc = each_member(store_conn(r->store), &only, json_string_value(json_object_get(v, s->at)),
                         note_member, &w, e);
    if (w.n)
        qsort(w.got, w.n, sizeof *w.got, reg_cmp_reached);
    json_t *items = json_array();
    for (size_t i = 0; i < w.n; i++) {
        if (i >= offset && i - offset < limit)
            json_array_append(items, w.got[i].rec);
        json_decref(w.got[i].rec);
        free(w.got[i].key);
    }
    free(w.got);
    arena_free(ar);
    if (rc == 0)
        *out = json_pack("{s:o, s:o, s:s, s:I, s:o}", "version", version_head(r, v, s, collection, id),
                         "collections", colls, "collection", of, "total", (json_int_t)w.n,
                         "items", items);
    else {
        json_decref(colls);
        json_decref(items);
    }
    json_decref(v);
    return rc;
}

/* The relations of the snapshot's collections that may have touched
 * element (its rid `rid`) then: those whose end it is now (the index of
 * ends) and those written since, each judged on its state then. */
static const char ELEMENT_LINKS_SQL[] =
    "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid "
    "WHERE a.field IN ('source', 'target') AND a.value = $1 "
    "AND r.collection IN (SELECT value FROM json_each($2)) "
    "UNION SELECT id FROM records WHERE collection IN (SELECT value FROM json_each($2)) "
    "AND updated_at > $3";

/* Names into refs ({id: {kind, collection, name}}) the elements rec's
 * reference fields (and lists of them) point to, as they were then and as
 * the reader may see them (seen caches the lookups). */
static int name_refs(struct registry *r, struct store_conn *c, const struct model_snapshot *s,
                     const char *at, json_t *seen, bool published_only, const struct model_kind *k,
                     const json_t *rec, json_t *refs, struct err *e)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const json_t *v = json_object_get(rec, f->name);
        bool list = f->type == FT_LIST && f->item && f->item->type == FT_REF;
        if (f->type != FT_REF && !list)
            continue;
        for (size_t j = 0; j < (list ? json_array_size(v) : 1); j++) {
            const char *id = json_string_value(list ? json_array_get(v, j) : v);
            json_t *far = NULL;
            if (!id || json_object_get(refs, id))
                continue;
            if (end_shown(r, c, s, at, seen, id, &far, e) < 0)
                return -1;
            const struct model_kind *fk =
                far ? model_kind(r->model, json_string_value(json_object_get(far, "kind"))) : NULL;
            if (fk && (!published_only || published_then(fk, far)))
                json_object_set_new(refs, id,
                                    json_pack("{s:s, s:s?, s:O?}", "kind", fk->id, "collection",
                                              fk->collection, "name", json_object_get(far, "name")));
        }
    }
    return 0;
}

int registry_snapshot_member(struct registry *r, const struct actor *a, const char *collection,
                             const char *id, const char *element, json_t **out, struct err *e)
{
    *out = NULL;
    json_t *v = NULL;
    const struct model_snapshot *s;
    if (version_of(r, a, collection, id, &v, &s, e) < 0)
        return -1;
    struct store_conn *c = store_conn(r->store);
    const char *at = json_string_value(json_object_get(v, s->at));
    bool published_only = reads_published_only(r, a);
    json_t *seen = json_object(), *rec = NULL;
    int rc = end_shown(r, c, s, at, seen, element, &rec, e);
    const struct model_kind *k =
        rec ? model_kind(r->model, json_string_value(json_object_get(rec, "kind"))) : NULL;
    if (rc == 0 && (!rec || !k || k->is_relation || (published_only && !published_then(k, rec)))) {
        err_not_found(e, "the version holds no element '%.60s'", element);
        rc = -1;
    }
    /* the relation collections the snapshot holds */
    json_t *rel_colls = json_array();
    for (size_t i = 0; i < s->n_of; i++) {
        const struct model_collection *mc = model_collection(r->model, s->of[i]);
        if (mc && mc->type == COLL_RELATIONS)
            json_array_append_new(rel_colls, json_string(s->of[i]));
    }
    char *rc_list = json_dumps(rel_colls, JSON_COMPACT);
    json_decref(rel_colls);
    struct store_stmt *st = rc == 0 ? store_prepare(c, ELEMENT_LINKS_SQL, true, e) : NULL;
    json_t *cands = NULL;
    if (rc == 0 && !st)
        rc = -1;
    if (st) {
        store_bind_text(st, 1, element);
        store_bind_text(st, 2, rc_list);
        store_bind_text(st, 3, at);
        cands = reg_first_column(st, e);
        rc = cands ? 0 : -1;
    }
    free(rc_list);
    json_t *links = json_array();
    size_t i;
    json_t *cid;
    json_array_foreach (cands, i, cid) {
        if (rc < 0)
            break;
        json_t *rel = NULL;
        int64_t rrid = 0;
        int got = element_then(c, s, at, json_string_value(cid), &rel, &rrid, e);
        if (got < 0) {
            rc = -1;
            break;
        }
        const char *src = json_string_value(json_object_get(rel, "source"));
        const char *dst = json_string_value(json_object_get(rel, "target"));
        bool out_dir = src && strcmp(src, element) == 0;
        const char *other = out_dir ? dst : src;
        json_t *far = NULL;
        if (got && other && (out_dir || (dst && strcmp(dst, element) == 0)) &&
            (rc = end_shown(r, c, s, at, seen, other, &far, e)) == 0 && far) {
            const struct model_kind *fk =
                model_kind(r->model, json_string_value(json_object_get(far, "kind")));
            if (!published_only || published_then(fk, far)) {
                registry_redact(r, a, rel);
                json_array_append_new(
                    links, json_pack("{s:O?, s:s, s:{s:s, s:O?, s:s?, s:O?}, s:O}", "type",
                                     json_object_get(rel, "type"), "direction",
                                     out_dir ? "out" : "in", "other", "id", other, "kind",
                                     json_object_get(far, "kind"), "collection",
                                     fk ? fk->collection : NULL, "name",
                                     json_object_get(far, "name"), "record", rel));
            }
        }
        json_decref(rel);
    }
    json_t *refs = json_object();
    if (rc == 0)
        rc = name_refs(r, c, s, at, seen, published_only, k, rec, refs, e);
    if (rc == 0) {
        json_t *copy = json_deep_copy(rec);
        registry_redact(r, a, copy);
        *out = json_pack("{s:o, s:o, s:o, s:o}", "version", version_head(r, v, s, collection, id),
                         "record", copy, "relations", links, "refs", refs);
        refs = NULL;
    } else
        json_decref(links);
    json_decref(refs);
    json_decref(cands);
    json_decref(seen);
    json_decref(v);
    return rc;
}
