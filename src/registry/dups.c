/* dups: duplication and reuse (see dups.h). */
#include "registry/dups.h"

#include "registry/fidx.h"
#include "registry/internal.h"
#include "registry/relidx.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The least likeness a caller may ask for: below it nearly every pair of
 * records shares enough common words, and the pairs are not worth a list. */
#define DUPS_MIN_FLOOR 0.3
#define DUPS_LIMIT_MAX 500
/* The least likeness of textual pairs across all records: below it the
 * words every record shares put nearly all in one another's candidates. */
#define DUPS_PAIRS_FLOOR 0.5
/* The candidates met while pairing records by their words, at most: past
 * it the textual pairs are those found so far (text_complete false). */
#define DUPS_TEXT_BUDGET ((size_t)40 * 1000 * 1000)
/* The shared terms shown as the reason of a similar record. */
#define DUPS_WORDS 8

double dups_weight(size_t n_all, size_t df)
{
    return log(1.0 + (double)n_all / (double)(df ? df : 1));
}

/* --- textual pairs: prefix filtering over the records' terms ---------------------- */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Orders each record's terms rarest first, then by term number: one order
 * for every record. */
static void order_rare(struct tidx_docs *d)
{
    size_t most = 0;
    for (size_t i = 0; i < d->n_docs; i++)
        if (d->at[i + 1] - d->at[i] > most)
            most = d->at[i + 1] - d->at[i];
    uint64_t *keys = xmalloc((most ? most : 1) * sizeof *keys);
    for (size_t i = 0; i < d->n_docs; i++) {
        uint32_t *t = d->term + d->at[i];
        size_t n = d->at[i + 1] - d->at[i];
        for (size_t k = 0; k < n; k++)
            keys[k] = (uint64_t)d->df[t[k]] << 32 | t[k];
        qsort(keys, n, sizeof *keys, cmp_u64);
        for (size_t k = 0; k < n; k++)
            t[k] = (uint32_t)keys[k];
    }
    free(keys);
}

static bool before(const uint32_t *df, uint32_t a, uint32_t b)
{
    return df[a] != df[b] ? df[a] < df[b] : a < b;
}

/* The dot product of records i and j (terms in the rare-first order). */
static double dot(const struct tidx_docs *d, const double *w, size_t i, size_t j)
{
    const uint32_t *x = d->term + d->at[i], *xe = d->term + d->at[i + 1];
    const uint32_t *y = d->term + d->at[j], *ye = d->term + d->at[j + 1];
    double s = 0;
    while (x < xe && y < ye) {
        if (*x == *y) {
            s += w[*x] * w[*x];
            x++;
            y++;
        } else if (before(d->df, *x, *y)) {
            x++;
        } else {
            y++;
        }
    }
    return s;
}

size_t dups_text_pairs(struct tidx_docs *d, double min, size_t budget, bool *complete,
                       dups_pair_fn fn, void *ctx)
{
    *complete = true;
    if (!d->n_docs)
        return 0;
    double *w = xmalloc((d->n_terms ? d->n_terms : 1) * sizeof *w);
    for (size_t t = 0; t < d->n_terms; t++)
        w[t] = dups_weight(d->n_all, d->df[t]);
    order_rare(d);
    double *norm = xmalloc(d->n_docs * sizeof *norm);
    uint32_t *plen = xmalloc(d->n_docs * sizeof *plen);
    /* each record's prefix: its terms up to where the rest weighs less
     * than min of its length (a record sharing none of them cannot reach
     * min with it) */
    size_t n_post = 0;
    for (size_t i = 0; i < d->n_docs; i++) {
        double sq = 0;
        for (uint32_t k = d->at[i]; k < d->at[i + 1]; k++)
            sq += w[d->term[k]] * w[d->term[k]];
        norm[i] = sqrt(sq);
        double bound = min * min * sq, rest = 0;
        uint32_t k = d->at[i + 1];
        while (k > d->at[i] && rest + w[d->term[k - 1]] * w[d->term[k - 1]] < bound) {
            rest += w[d->term[k - 1]] * w[d->term[k - 1]];
            k--;
        }
        plen[i] = k - d->at[i];
        n_post += plen[i];
    }
    /* the prefixes' postings by term, records in order */
    uint32_t *post_at = xcalloc(d->n_terms + 1, sizeof *post_at);
    for (size_t i = 0; i < d->n_docs; i++)
        for (uint32_t k = 0; k < plen[i]; k++)
            post_at[d->term[d->at[i] + k] + 1]++;
    for (size_t t = 0; t < d->n_terms; t++)
        post_at[t + 1] += post_at[t];
    uint32_t *fill = xmalloc((d->n_terms ? d->n_terms : 1) * sizeof *fill);
    memcpy(fill, post_at, d->n_terms * sizeof *fill);
    uint32_t *post = xmalloc((n_post ? n_post : 1) * sizeof *post);
    for (size_t i = 0; i < d->n_docs; i++)
        for (uint32_t k = 0; k < plen[i]; k++)
            post[fill[d->term[d->at[i] + k]]++] = (uint32_t)i;
    free(fill);
    /* record i meets the records after it that share a prefix term */
    uint32_t *seen = xmalloc(d->n_docs * sizeof *seen);
    memset(seen, 0xff, d->n_docs * sizeof *seen);
    size_t found = 0, spent = 0;
    for (size_t i = 0; i < d->n_docs && *complete; i++) {
        for (uint32_t k = 0; k < plen[i] && *complete; k++) {
            uint32_t t = d->term[d->at[i] + k];
            for (uint32_t p = post_at[t + 1]; p > post_at[t]; p--) {
                uint32_t j = post[p - 1];
                if (j <= i)
                    break;
                if (++spent > budget) {
                    *complete = false;
                    break;
                }
                if (seen[j] == i)
                    continue;
                seen[j] = (uint32_t)i;
                double s = dot(d, w, i, j) / (norm[i] * norm[j]);
                if (s >= min - 1e-12) {
                    found++;
                    fn(ctx, i, j, s > 1 ? 1 : s);
                }
            }
        }
    }
    free(seen);
    free(post);
    free(post_at);
    free(plen);
    free(norm);
    free(w);
    return found;
}

/* --- the pairs of a request ----------------------------------------------------------- */

struct spair {     /* one shared record */
    uint32_t a, b; /* rids, a < b */
    size_t shared; /* index into the shared list */
};

struct shared_rec {
    const struct model_kind *relation;
    char *target, *rel_a, *rel_b;
};

struct tpair {
    uint32_t a, b;
    double score;
};

struct pair {
    uint32_t a, b;
    size_t first, n_shared; /* into the sorted structural pairs */
    double text;
};

struct collect {
    struct spair *sp;
    size_t n_sp, cap_sp;
    struct shared_rec *sh;
    size_t n_sh, cap_sh;
    struct tpair *tp;
    size_t n_tp, cap_tp;
    const uint32_t *rids; /* of the docs being paired */
};

static void add_text(void *ctx, size_t i, size_t j, double score)
{
    struct collect *c = ctx;
    if (c->n_tp == c->cap_tp) {
        c->cap_tp = c->cap_tp ? c->cap_tp * 2 : 256;
        c->tp = xrealloc(c->tp, c->cap_tp * sizeof *c->tp);
    }
    uint32_t a = c->rids[i], b = c->rids[j];
    c->tp[c->n_tp++] = (struct tpair){a < b ? a : b, a < b ? b : a, score};
}

struct member {
    uint32_t rid, owner; /* owner: an index, the same for the same owner */
    const char *rel;
};

static void add_shared(struct collect *c, const struct model_kind *rel, const char *target,
                       const struct member *x, const struct member *y)
{
    if (c->n_sh == c->cap_sh) {
        c->cap_sh = c->cap_sh ? c->cap_sh * 2 : 256;
        c->sh = xrealloc(c->sh, c->cap_sh * sizeof *c->sh);
    }
    if (c->n_sp == c->cap_sp) {
        c->cap_sp = c->cap_sp ? c->cap_sp * 2 : 256;
        c->sp = xrealloc(c->sp, c->cap_sp * sizeof *c->sp);
    }
    bool xa = x->rid < y->rid;
    c->sh[c->n_sh] = (struct shared_rec){rel, xstrdup(target), xstrdup(xa ? x->rel : y->rel),
                                         xstrdup(xa ? y->rel : x->rel)};
    c->sp[c->n_sp++] = (struct spair){xa ? x->rid : y->rid, xa ? y->rid : x->rid, c->n_sh++};
}

/* The members of one target's group: each pair of different owners. */
static void pair_group(struct collect *c, const struct model_kind *rel, const char *target,
                       struct member *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (m[i].rid != m[j].rid && m[i].owner != m[j].owner)
                add_shared(c, rel, target, &m[i], &m[j]);
}

static bool kind_wanted(const struct model_duplicates *d, const char *only, const char *kind)
{
    return only ? strcmp(only, kind) == 0 : model_dup_kind(d, kind);
}

/* The relations of s's type that keep its condition, when every term of
 * it is on a field the filter index holds: their sorted rids (in the
 * arena); false when a term must be judged on the stored relation. */
static bool cond_set(struct registry *r, struct arena *a, const struct model_dup_shared *s,
                     struct rids *out)
{
    const struct model_cond *c = &s->when;
    for (size_t i = 0; i < c->n_terms; i++) {
        const struct model_field *f = model_field(s->relation, c->terms[i].field);
        if (!f || !f->filterable || c->terms[i].presence)
            return false;
    }
    fidx_read_lock(r->fidx);
    struct rids all = {NULL, 0};
    for (size_t i = 0; i < c->n_terms; i++) {
        const struct model_cond_term *t = &c->terms[i];
        const char *field = arena_printf(a, "%s:%s", s->relation->collection, t->field);
        struct rids *sets = arena_alloc(a, (t->n_values + 1) * sizeof *sets);
        for (size_t v = 0; v < t->n_values; v++)
            sets[v] = rids_copy(a, fidx_get(r->fidx, fidx_key_field(a, field, t->values[v])));
        struct rids one = rids_union(a, sets, t->n_values);
        all = i == 0 ? one : rids_intersect(a, all, one);
    }
    fidx_read_unlock(r->fidx);
    *out = all;
    return true;
}

/* One relation of a shared type, as the query gives it. */
struct srow {
    char *target, *source, *rel;
    uint32_t rel_rid, src_rid;
    uint32_t owner; /* index + 1 into the owners' list, 0: none or left out */
};

static int cmp_srow(const void *x, const void *y)
{
    const struct srow *a = x, *b = y;
    int c = strcmp(a->target, b->target);
    return c ? c : a->rel_rid < b->rel_rid ? -1 : a->rel_rid > b->rel_rid;
}

/* Does the stored relation rid keep s's condition (a term the filter
 * index does not hold)? */
static bool cond_stored(struct registry *r, const struct model_dup_shared *s, uint32_t rid,
                        int64_t day)
{
    struct err e = ERR_INIT;
    json_t *rel = rec_data_by_rid(store_conn(r->store), rid, &e);
    bool holds = rel && model_cond_holds(&s->when, rel, day);
    json_decref(rel);
    return holds;
}

/* Each row's source: its row id and kind from the relations graph, its
 * owner from the filter index's owner sets (index lock held); rows whose
 * source is not a live record of a kind wanted are left out (owner 0). */
static void resolve_sources(struct registry *r, struct arena *a, const struct model_duplicates *d,
                            const char *only, struct srow *rows, size_t n)
{
    struct relidx *g = fidx_graph(r->fidx);
    uint32_t max = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t rid;
        const char *kind;
        bool live;
        rows[i].owner = 0;
        rows[i].src_rid = 0;
        if (relidx_node(g, rows[i].source, &rid, &kind, &live) && live && kind &&
            kind_wanted(d, only, kind)) {
            rows[i].src_rid = rid;
            if (rid > max)
                max = rid;
        }
    }
    if (!max)
        return;
    uint32_t *owner_of = arena_calloc(a, (size_t)max + 1, sizeof *owner_of);
    const char **owners;
    size_t no = fidx_values(r->fidx, a, "owner", &owners);
    for (size_t o = 0; o < no; o++) {
        struct rids set = fidx_get(r->fidx, fidx_key_owner(a, owners[o]));
        for (size_t k = 0; k < set.n && set.v[k] <= max; k++)
            owner_of[set.v[k]] = (uint32_t)o + 1;
    }
    for (size_t i = 0; i < n; i++)
        if (rows[i].src_rid)
            rows[i].owner = owner_of[rows[i].src_rid];
}

/* The relations of one shared type: their sources grouped by target. */
static int structural(struct registry *r, const struct model_duplicates *d,
                      const struct model_dup_shared *s, const char *only, struct collect *c,
                      struct err *e)
{
    struct arena *a = arena_new();
    struct rids keep = {NULL, 0};
    bool cond = s->when.n_terms > 0, by_index = cond && cond_set(r, a, s, &keep);
    struct store_stmt *st =
        store_prepare(store_conn(r->store),
                      "SELECT t.value, s.value, rel.id, rel.rid FROM records rel "
                      "JOIN attrs t ON t.rid = rel.rid AND t.field = 'target' "
                      "JOIN attrs s ON s.rid = rel.rid AND s.field = 'source' "
                      "WHERE rel.collection = $2 AND rel.kind = $1 AND rel.retired = 0",
                      true, e);
    if (!st) {
        arena_free(a);
        return -1;
    }
    store_bind_text(st, 1, s->relation->id);
    store_bind_text(st, 2, s->relation->collection ? s->relation->collection : "");
    struct srow *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        uint32_t rel_rid = (uint32_t)store_col_int64(st, 3);
        if (by_index && !rids_has(keep, rel_rid))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            rows = xrealloc(rows, cap * sizeof *rows);
        }
        rows[n++] = (struct srow){arena_strdup(a, store_col_text(st, 0)),
                                  arena_strdup(a, store_col_text(st, 1)),
                                  arena_strdup(a, store_col_text(st, 2)),
                                  rel_rid,
                                  0,
                                  0};
    }
    store_reset(st);
    /* grouped by target here: sorting in SQL would drive the query from
     * every relation's target */
    if (n)
        qsort(rows, n, sizeof *rows, cmp_srow);
    if (rc != STORE_ERROR) {
        fidx_read_lock(r->fidx);
        resolve_sources(r, a, d, only, rows, n);
        fidx_read_unlock(r->fidx);
        int64_t day = registry_today(r);
        struct member *m = NULL;
        size_t nm = 0, capm = 0;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].owner && (!cond || by_index || cond_stored(r, s, rows[i].rel_rid, day))) {
                if (nm == capm) {
                    capm = capm ? capm * 2 : 8;
                    m = xrealloc(m, capm * sizeof *m);
                }
                m[nm++] = (struct member){rows[i].src_rid, rows[i].owner, rows[i].rel};
            }
            if (i + 1 == n || strcmp(rows[i + 1].target, rows[i].target) != 0) {
                pair_group(c, s->relation, rows[i].target, m, nm);
                nm = 0;
            }
        }
        free(m);
    }
    free(rows);
    arena_free(a);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The collections of the kinds wanted, each once. */
static size_t collections_of(const struct model_duplicates *d, const char *only, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_kinds; i++) {
        if (!kind_wanted(d, only, d->kinds[i]->id))
            continue;
        bool have = false;
        for (size_t k = 0; k < n; k++)
            have = have || strcmp(out[k], d->kinds[i]->collection) == 0;
        if (!have)
            out[n++] = d->kinds[i]->collection;
    }
    return n;
}

/* The live records of the kinds wanted in collection coll (under the
 * index's lock). */
static struct rids kinds_set(struct registry *r, struct arena *a, const struct model_duplicates *d,
                             const char *only, const char *coll)
{
    struct rids *sets = arena_alloc(a, (d->n_kinds + 1) * sizeof *sets);
    size_t n = 0;
    for (size_t i = 0; i < d->n_kinds; i++)
        if (kind_wanted(d, only, d->kinds[i]->id) && strcmp(d->kinds[i]->collection, coll) == 0)
            sets[n++] = fidx_get(r->fidx, fidx_key_kind(a, d->kinds[i]->id));
    return n == 1 ? sets[0] : rids_union(a, sets, n);
}

static int textual(struct registry *r, const struct model_duplicates *d, const char *only,
                   double min, struct collect *c, bool *complete)
{
    const char **colls = xcalloc(d->n_kinds + 1, sizeof *colls);
    size_t nc = collections_of(d, only, colls);
    for (size_t k = 0; k < nc; k++) {
        struct arena *a = arena_new();
        struct tidx_docs docs;
        fidx_read_lock(r->fidx);
        struct rids set = kinds_set(r, a, d, only, colls[k]);
        tidx_docs(fidx_text(r->fidx), colls[k], &set, &docs);
        fidx_read_unlock(r->fidx);
        arena_free(a);
        c->rids = docs.rid;
        bool done;
        dups_text_pairs(&docs, min, DUPS_TEXT_BUDGET, &done, add_text, c);
        *complete = *complete && done;
        tidx_docs_free(&docs);
    }
    free(colls);
    return 0;
}

static int cmp_sp(const void *x, const void *y)
{
    const struct spair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return a->shared < b->shared ? -1 : a->shared > b->shared;
}

static int cmp_tp(const void *x, const void *y)
{
    const struct tpair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

/* Sharing most first, then likest, then by rids. */
static int cmp_pair(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    if (a->n_shared != b->n_shared)
        return a->n_shared > b->n_shared ? -1 : 1;
    if (a->text != b->text)
        return a->text > b->text ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

/* Both lists sorted by (a, b): one entry per pair. */
static struct pair *merge_pairs(struct collect *c, size_t *n_out)
{
    if (c->n_sp)
        qsort(c->sp, c->n_sp, sizeof *c->sp, cmp_sp);
    if (c->n_tp)
        qsort(c->tp, c->n_tp, sizeof *c->tp, cmp_tp);
    struct pair *p = xmalloc((c->n_sp + c->n_tp + 1) * sizeof *p);
    size_t n = 0, i = 0, j = 0;
    while (i < c->n_sp || j < c->n_tp) {
        bool take_s = j == c->n_tp ||
                      (i < c->n_sp && (c->sp[i].a < c->tp[j].a ||
                                       (c->sp[i].a == c->tp[j].a && c->sp[i].b <= c->tp[j].b)));
        uint32_t a = take_s ? c->sp[i].a : c->tp[j].a, b = take_s ? c->sp[i].b : c->tp[j].b;
        struct pair q = {a, b, i, 0, 0};
        while (i < c->n_sp && c->sp[i].a == a && c->sp[i].b == b) {
            q.n_shared++;
            i++;
        }
        if (j < c->n_tp && c->tp[j].a == a && c->tp[j].b == b)
            q.text = c->tp[j++].score;
        p[n++] = q;
    }
    if (n)
        qsort(p, n, sizeof *p, cmp_pair);
    *n_out = n;
    return p;
}

/* A record by rid or id, parsed once; NULL when absent, retired or not
 * readable by a. memo maps the key to the record or null. */
static const json_t *readable(struct registry *r, const struct actor *a, json_t *memo,
                              const char *id, uint32_t rid)
{
    char key[32];
    if (!id)
        snprintf(key, sizeof key, "#%u", (unsigned)rid);
    const char *k = id ? id : key;
    json_t *v = json_object_get(memo, k);
    if (v)
        return json_is_null(v) ? NULL : v;
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    struct store_stmt *st =
        store_prepare(store_conn(r->store),
                      id ? "SELECT d.data FROM records x JOIN record_data d ON d.rid = x.rid "
                           "WHERE x.id = $1 AND x.retired = 0"
                         : "SELECT d.data FROM records x JOIN record_data d ON d.rid = x.rid "
                           "WHERE x.rid = $1 AND x.retired = 0",
                      true, &e);
    if (st) {
        if (id)
            store_bind_text(st, 1, id);
        else
            store_bind_int64(st, 1, rid);
        if (store_step(st, &e) == STORE_ROW)
            rec = json_loads(store_col_text(st, 0), 0, NULL);
        store_reset(st);
    }
    if (rec && !registry_may_read(r, a, rec)) {
        json_decref(rec);
        rec = NULL;
    }
    json_object_set_new(memo, k, rec ? rec : json_null());
    return rec;
}

static json_t *ref_of(struct registry *r, const struct actor *a, json_t *memo, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = model_kind(r->model, kind ? kind : "");
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    json_t *o = json_pack("{s:O?, s:s?, s:s?, s:O?, s:s?}", "id", json_object_get(rec, "id"),
                          "kind", kind, "collection", k ? k->collection : NULL, "name",
                          json_object_get(rec, "name"), "owner", owner);
    const json_t *org = owner ? readable(r, a, memo, owner, 0) : NULL;
    if (org && json_object_get(org, "name"))
        json_object_set(o, "owner_name", json_object_get(org, "name"));
    return o;
}

/* The pair as a reads it, or NULL when a may not read one of its records
 * (its shared records and relations that a may not read are left out; a
 * structural pair with none left is left out). */
static json_t *pair_json(struct registry *r, const struct actor *a, json_t *memo,
                         const struct collect *c, const struct pair *p, double min)
{
    const json_t *ra = readable(r, a, memo, NULL, p->a), *rb = readable(r, a, memo, NULL, p->b);
    if (!ra || !rb)
        return NULL;
    json_t *shared = json_array();
    for (size_t k = 0; k < p->n_shared; k++) {
        const struct shared_rec *s = &c->sh[c->sp[p->first + k].shared];
        const json_t *t = readable(r, a, memo, s->target, 0);
        if (!t || !readable(r, a, memo, s->rel_a, 0) || !readable(r, a, memo, s->rel_b, 0))
            continue;
        json_t *tr = ref_of(r, a, memo, t);
        json_object_del(tr, "owner");
        json_object_del(tr, "owner_name");
        json_array_append_new(shared,
                              json_pack("{s:s, s:o}", "relation", s->relation->id, "record", tr));
    }
    if (!json_array_size(shared) && p->text < min) {
        json_decref(shared);
        return NULL;
    }
    json_t *o = json_pack("{s:o, s:o, s:o}", "a", ref_of(r, a, memo, ra), "b",
                          ref_of(r, a, memo, rb), "shared", shared);
    if (p->text > 0)
        json_object_set_new(o, "text_score", json_real(round(p->text * 1000) / 1000));
    return o;
}

static void collect_free(struct collect *c)
{
    for (size_t i = 0; i < c->n_sh; i++) {
        free(c->sh[i].target);
        free(c->sh[i].rel_a);
        free(c->sh[i].rel_b);
    }
    free(c->sh);
    free(c->sp);
    free(c->tp);
}

static int check_query(const struct model_duplicates *d, const char *kind, double *min,
                       double floor, struct err *e)
{
    if (!d) {
        err_not_found(e, "the model declares no duplicates");
        return -1;
    }
    if (kind && !model_dup_kind(d, kind)) {
        err_set(e, 400, "bad-request", "kind", "'%.60s' is not a kind compared for duplicates",
                kind);
        return -1;
    }
    if (*min != 0 && (!(*min >= floor) || *min > 1)) {
        if (floor == DUPS_PAIRS_FLOOR)
            err_set(e, 400, "bad-request", "min", "'min' must be a number from 0.5 to 1");
        else
            err_set(e, 400, "bad-request", "min", "'min' must be a number from 0.3 to 1");
        return -1;
    }
    return 0;
}

int registry_duplicates(struct registry *r, const struct actor *a, const struct dups_query *q,
                        json_t **out, struct err *e)
{
    *out = NULL;
    const struct model_duplicates *d = model_duplicates(r->model);
    double min = q->min;
    if (check_query(d, q->kind, &min, DUPS_PAIRS_FLOOR, e) < 0)
        return -1;
    if (!fidx_ready(r->fidx)) {
        err_set(e, 503, "unavailable", "", "the word index is not built yet");
        return -1;
    }
    if (min == 0)
        min = d->threshold > 0 ? d->threshold : 1.01; /* no textual pairs */
    size_t limit = q->limit ? q->limit : 50;
    if (limit > DUPS_LIMIT_MAX)
        limit = DUPS_LIMIT_MAX;
    struct collect c = {0};
    int64_t t0 = time_mono_ns();
    for (size_t i = 0; i < d->n_shared; i++)
        if (structural(r, d, &d->shared[i], q->kind, &c, e) < 0) {
            collect_free(&c);
            return -1;
        }
    int64_t t1 = time_mono_ns();
    bool complete = true;
    if (min <= 1)
        textual(r, d, q->kind, min, &c, &complete);
    int64_t t2 = time_mono_ns();
    size_t n;
    struct pair *p = merge_pairs(&c, &n);
    json_t *items = json_array(), *memo = json_object();
    bool more = false;
    for (size_t i = 0; i < n && !more; i++) {
        json_t *o = pair_json(r, a, memo, &c, &p[i], min);
        if (o && json_array_size(items) == limit) {
            more = true;
            json_decref(o);
        } else if (o) {
            json_array_append_new(items, o);
        }
    }
    json_decref(memo);
    log_msg(LOG_INFO,
            "dups: %zu shared records in %lld ms, %zu pairs alike in words in %lld ms, "
            "%zu pairs, the first read in %lld ms",
            c.n_sp, (long long)((t1 - t0) / 1000000), c.n_tp, (long long)((t2 - t1) / 1000000), n,
            (long long)((time_mono_ns() - t2) / 1000000));
    free(p);
    collect_free(&c);
    *out =
        json_pack("{s:o, s:i, s:b, s:b}", "items", items, "count",
                  (json_int_t)json_array_size(items), "truncated", more, "text_complete", complete);
    if (min <= 1)
        json_object_set_new(*out, "min", json_real(min));
    if (q->kind)
        json_object_set_new(*out, "kind", json_string(q->kind));
    return 0;
}

/* --- the records most like a new object ----------------------------------------------- */

/* Each record's vector length, per collection, while the word index is
 * unchanged. */
struct dups_norms {
    char *coll;
    uint32_t *rid; /* ascending */
    float *norm;
    size_t n;
    size_t n_all;
};

struct dups_cache {
    pthread_mutex_t lock;
    uint64_t gen;
    struct dups_norms *colls;
    size_t n;
};

static void norms_clear(struct dups_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->colls[i].coll);
        free(c->colls[i].rid);
        free(c->colls[i].norm);
    }
    free(c->colls);
    c->colls = NULL;
    c->n = 0;
}

void dups_cache_free(struct dups_cache *c)
{
    if (!c)
        return;
    norms_clear(c);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static struct dups_cache *cache_of(struct registry *r)
{
    static pthread_mutex_t make = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&make);
    if (!r->dups) {
        r->dups = xcalloc(1, sizeof *r->dups);
        pthread_mutex_init(&r->dups->lock, NULL);
        r->dups->gen = UINT64_MAX;
    }
    pthread_mutex_unlock(&make);
    return r->dups;
}

/* The lengths of collection coll's records of the section's kinds (cache
 * lock held, index read lock held). */
static const struct dups_norms *norms_of(struct registry *r, struct dups_cache *c,
                                         const struct model_duplicates *d, const char *coll)
{
    uint64_t gen = tidx_generation(fidx_text(r->fidx));
    if (gen != c->gen) {
        norms_clear(c);
        c->gen = gen;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->colls[i].coll, coll) == 0)
            return &c->colls[i];
    struct arena *a = arena_new();
    struct rids set = kinds_set(r, a, d, NULL, coll);
    struct tidx_docs docs;
    tidx_docs(fidx_text(r->fidx), coll, &set, &docs);
    arena_free(a);
    c->colls = xrealloc(c->colls, (c->n + 1) * sizeof *c->colls);
    struct dups_norms *nm = &c->colls[c->n++];
    nm->coll = xstrdup(coll);
    nm->n = docs.n_docs;
    nm->n_all = docs.n_all;
    nm->rid = docs.rid;
    docs.rid = NULL;
    nm->norm = xmalloc((docs.n_docs ? docs.n_docs : 1) * sizeof *nm->norm);
    for (size_t i = 0; i < docs.n_docs; i++) {
        double sq = 0;
        for (uint32_t k = docs.at[i]; k < docs.at[i + 1]; k++) {
            double w = dups_weight(docs.n_all, docs.df[docs.term[k]]);
            sq += w * w;
        }
        nm->norm[i] = (float)sqrt(sq);
    }
    tidx_docs_free(&docs);
    return nm;
}

static long norm_at(const struct dups_norms *nm, uint32_t rid)
{
    size_t lo = 0, hi = nm->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nm->rid[mid] < rid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nm->n && nm->rid[lo] == rid ? (long)lo : -1;
}

struct qterms {
    char **t;
    size_t n, cap;
};

static void add_qterm(void *ctx, const char *term, size_t len)
{
    struct qterms *q = ctx;
    for (size_t i = 0; i < q->n; i++)
        if (strlen(q->t[i]) == len && memcmp(q->t[i], term, len) == 0)
            return;
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->t = xrealloc(q->t, q->cap * sizeof *q->t);
    }
    q->t[q->n] = xmalloc(len + 1);
    memcpy(q->t[q->n], term, len);
    q->t[q->n++][len] = '\0';
}

struct hit {
    uint32_t rid;
    double score;
    uint64_t words; /* bit i: has query term i (of the first 64) */
};

static int cmp_hit(const void *x, const void *y)
{
    const struct hit *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->rid < b->rid ? -1 : a->rid > b->rid;
}

/* The hits in collection coll (cache and index read locks held). */
struct qorder {
    size_t df, i;
};

static int cmp_qorder(const void *x, const void *y)
{
    const struct qorder *a = x, *b = y;
    if (a->df != b->df)
        return a->df < b->df ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* The hits in collection coll (cache and index read locks held): the
 * query's terms rarest first; a record that has none of the first ones,
 * up to where the rest weigh less than min of the query's length, cannot
 * reach min, so only the records having one of those are scored, each
 * against every term of the query. */
static void similar_in(struct registry *r, const struct model_duplicates *d,
                       const struct dups_norms *nm, const char *kind, const char *coll,
                       const struct qterms *q, double min, struct hit **hits, size_t *n_hits,
                       size_t *cap_hits)
{
    struct arena *a = arena_new();
    struct rids only = kind ? kinds_set(r, a, d, kind, coll) : (struct rids){NULL, 0};
    double *wq = arena_alloc(a, (q->n + 1) * sizeof *wq), qsq = 0;
    struct rids *post = arena_alloc(a, (q->n + 1) * sizeof *post);
    struct qorder *ord = arena_alloc(a, (q->n + 1) * sizeof *ord);
    for (size_t i = 0; i < q->n; i++) {
        post[i] = tidx_term(fidx_text(r->fidx), a, coll, q->t[i]);
        wq[i] = dups_weight(nm->n_all, post[i].n);
        qsq += wq[i] * wq[i];
        ord[i] = (struct qorder){post[i].n, i};
    }
    if (q->n)
        qsort(ord, q->n, sizeof *ord, cmp_qorder);
    size_t prefix = q->n;
    double rest = 0;
    while (prefix > 0 && rest + wq[ord[prefix - 1].i] * wq[ord[prefix - 1].i] < min * min * qsq) {
        rest += wq[ord[prefix - 1].i] * wq[ord[prefix - 1].i];
        prefix--;
    }
    struct rids *sets = arena_alloc(a, (prefix + 1) * sizeof *sets);
    for (size_t k = 0; k < prefix; k++)
        sets[k] = post[ord[k].i];
    struct rids cand = prefix == 1 ? sets[0] : rids_union(a, sets, prefix);
    /* each term's share, by a merge of its records with the candidates
     * (both ascending) */
    double *acc = arena_calloc(a, cand.n + 1, sizeof *acc);
    uint64_t *words = arena_calloc(a, cand.n + 1, sizeof *words);
    for (size_t i = 0; i < q->n; i++) {
        const struct rids p = post[i];
        for (size_t x = 0, y = 0; x < p.n && y < cand.n;) {
            if (p.v[x] < cand.v[y]) {
                x++;
            } else if (p.v[x] > cand.v[y]) {
                y++;
            } else {
                acc[y] += wq[i] * wq[i];
                if (i < 64)
                    words[y] |= (uint64_t)1 << i;
                x++;
                y++;
            }
        }
    }
    double qn = sqrt(qsq);
    for (size_t c = 0; c < cand.n; c++) {
        uint32_t rid = cand.v[c];
        long at = norm_at(nm, rid);
        if (at < 0 || nm->norm[at] <= 0 || (kind && !rids_has(only, rid)))
            continue;
        /* the cosine, or, when it is higher, its geometric mean with the
         * share of the query's weight the record holds: a new object's
         * name alone is found in a record that says much more (a long
         * record's cosine with a few words stays low), while words most
         * records hold still do not make it alike. The prefix above keeps
         * every record that can reach min either way: one sharing none of
         * it holds at most `rest` < min² of the query's weight, so both
         * measures stay below min. */
        double cos = acc[c] / (qn * nm->norm[at]), held = acc[c] / qsq;
        double s = fmax(cos, sqrt(cos * held));
        if (s < min)
            continue;
        if (*n_hits == *cap_hits) {
            *cap_hits = *cap_hits ? *cap_hits * 2 : 64;
            *hits = xrealloc(*hits, *cap_hits * sizeof **hits);
        }
        (*hits)[(*n_hits)++] = (struct hit){rid, s > 1 ? 1 : s, words[c]};
    }
    arena_free(a);
}

/* The records of d's kinds (or of `kind`) most like the query's terms,
 * from min, those a may read, the first `limit`: [{record, score, words}]. */
static json_t *similar_items(struct registry *r, const struct actor *a,
                             const struct model_duplicates *d, const char *kind,
                             const struct qterms *qt, double min, size_t limit)
{
    const char **colls = xcalloc(d->n_kinds + 1, sizeof *colls);
    size_t nc = collections_of(d, kind, colls);
    struct hit *hits = NULL;
    size_t n_hits = 0, cap_hits = 0;
    struct dups_cache *cache = cache_of(r);
    pthread_mutex_lock(&cache->lock);
    fidx_read_lock(r->fidx);
    for (size_t k = 0; k < nc && qt->n; k++)
        similar_in(r, d, norms_of(r, cache, d, colls[k]), kind, colls[k], qt, min, &hits,
                   &n_hits, &cap_hits);
    fidx_read_unlock(r->fidx);
    pthread_mutex_unlock(&cache->lock);
    free(colls);
    if (n_hits)
        qsort(hits, n_hits, sizeof *hits, cmp_hit);
    json_t *items = json_array(), *memo = json_object();
    for (size_t i = 0; i < n_hits && json_array_size(items) < limit; i++) {
        const json_t *rec = readable(r, a, memo, NULL, hits[i].rid);
        if (!rec)
            continue;
        json_t *w = json_array();
        for (size_t t = 0; t < qt->n && t < 64 && json_array_size(w) < DUPS_WORDS; t++)
            if (hits[i].words >> t & 1)
                json_array_append_new(w, json_string(qt->t[t]));
        json_array_append_new(items,
                              json_pack("{s:o, s:f, s:o}", "record", ref_of(r, a, memo, rec),
                                        "score", round(hits[i].score * 1000) / 1000, "words", w));
    }
    json_decref(memo);
    free(hits);
    return items;
}

int registry_similar(struct registry *r, const struct actor *a, const struct similar_query *q,
                     json_t **out, struct err *e)
{
    *out = NULL;
    const struct model_duplicates *d = model_duplicates(r->model);
    double min = q->min;
    if (check_query(d, q->kind, &min, DUPS_MIN_FLOOR, e) < 0)
        return -1;
    if (!q->name || !*q->name) {
        err_set(e, 400, "bad-request", "name", "'name' is required");
        return -1;
    }
    if (!fidx_ready(r->fidx)) {
        err_set(e, 503, "unavailable", "", "the word index is not built yet");
        return -1;
    }
    if (min == 0)
        min = DUPS_MIN_FLOOR;
    size_t limit = q->limit ? q->limit : 10;
    if (limit > DUPS_LIMIT_MAX)
        limit = DUPS_LIMIT_MAX;
    struct qterms qt = {0};
    struct store_conn *conn = store_conn(r->store);
    int rc = store_fts_terms(conn, q->name, strlen(q->name), add_qterm, &qt);
    if (rc == 0 && q->text)
        rc = store_fts_terms(conn, q->text, strlen(q->text), add_qterm, &qt);
    if (rc < 0) {
        for (size_t i = 0; i < qt.n; i++)
            free(qt.t[i]);
        free(qt.t);
        err_internal(e, "the full-text tokenizer is not available");
        return -1;
    }
    json_t *items = similar_items(r, a, d, q->kind, &qt, min, limit);
    json_t *reg = NULL;
    if (d->n_register) {
        /* the register's entries: a list of their own, never objects */
        struct model_duplicates rd = {.kinds = d->register_kinds, .n_kinds = d->n_register};
        reg = similar_items(r, a, &rd, NULL, &qt, min, limit);
    }
    for (size_t i = 0; i < qt.n; i++)
        free(qt.t[i]);
    free(qt.t);
    *out = json_pack("{s:o, s:f}", "items", items, "min", min);
    if (reg)
        json_object_set_new(*out, "register", reg);
    if (q->kind)
        json_object_set_new(*out, "kind", json_string(q->kind));
    return 0;
}

/* --- the findings about given records (architectural control) ----------------------- */

/* The most records one answer is about, and the most likes of each. */
#define DUPS_ABOUT_MAX 50
#define DUPS_ABOUT_LIKES 10

/* The records of the section's kinds the control of rec's kind reaches
 * (rec itself when it is of those kinds), as a reads them, into ids. */
static void about_records(struct registry *r, const struct actor *a, json_t *memo,
                          const struct model_duplicates *d, const json_t *rec, json_t *ids)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (model_dup_kind(d, kind)) {
        json_array_append(ids, json_object_get(rec, "id"));
        return;
    }
    const struct model_dup_control *c = model_dup_control(d, kind);
    if (!c)
        return;
    json_t *at = json_array();
    json_array_append(at, (json_t *)rec);
    for (size_t s = 0; s < c->n_via; s++) {
        json_t *next = json_array(), *seen = json_object();
        size_t i, j;
        json_t *x, *v;
        json_array_foreach (at, i, x) {
            const json_t *f = json_object_get(x, c->via[s]);
            json_t *one = json_is_string(f) ? json_pack("[O]", f) : json_incref((json_t *)f);
            json_array_foreach (one, j, v) {
                const char *id = json_string_value(v);
                const json_t *t = id && !json_object_get(seen, id) ? readable(r, a, memo, id, 0) : NULL;
                if (!t || json_array_size(next) >= DUPS_ABOUT_MAX)
                    continue;
                json_object_set_new(seen, id, json_true());
                json_array_append(next, (json_t *)t);
            }
            json_decref(one);
        }
        json_decref(seen);
        json_decref(at);
        at = next;
    }
    size_t i;
    json_t *x;
    json_array_foreach (at, i, x)
        if (model_dup_kind(d, json_string_value(json_object_get(x, "kind"))))
            json_array_append(ids, json_object_get(x, "id"));
    json_decref(at);
}

/* The pair of record x with y in likes (y's id → {other, shared, text_score}). */
static json_t *like_of(struct registry *r, const struct actor *a, json_t *memo, json_t *likes,
                       const json_t *y)
{
    const char *id = json_string_value(json_object_get(y, "id"));
    json_t *l = json_object_get(likes, id);
    if (!l) {
        l = json_pack("{s:o, s:[]}", "other", ref_of(r, a, memo, y), "shared");
        json_object_set_new(likes, id, l);
    }
    return l;
}

/* Records of other owners linked to the same record as x by a relation of
 * a shared type (both relations and the shared record readable). */
static int structural_likes(struct registry *r, const struct actor *a, json_t *memo,
                            const struct model_duplicates *d, const json_t *x, json_t *likes,
                            struct err *e)
{
    const char *xid = json_string_value(json_object_get(x, "id"));
    const char *xown = json_string_value(json_object_get(x, "owner"));
    const struct model_kind *xk =
        model_kind(r->model, json_string_value(json_object_get(x, "kind")));
    int64_t day = registry_today(r);
    for (size_t s = 0; xk && s < d->n_shared; s++) {
        const struct model_dup_shared *sh = &d->shared[s];
        json_t *outs = NULL;
        if (registry_relations_of(r, xk->collection, xid, "out", sh->relation->id, &outs, e) < 0)
            return -1;
        size_t i, j;
        json_t *rel, *in;
        json_array_foreach (json_object_get(outs, "items"), i, rel) {
            const char *target = json_string_value(json_object_get(rel, "target"));
            const json_t *t = target ? readable(r, a, memo, target, 0) : NULL;
            const struct model_kind *tk =
                t ? model_kind(r->model, json_string_value(json_object_get(t, "kind"))) : NULL;
            if (!tk || !model_cond_holds(&sh->when, rel, day) || !registry_may_read(r, a, rel))
                continue;
            json_t *ins = NULL;
            if (registry_relations_of(r, tk->collection, target, "in", sh->relation->id, &ins,
                                      e) < 0) {
                json_decref(outs);
                return -1;
            }
            json_array_foreach (json_object_get(ins, "items"), j, in) {
                const char *yid = json_string_value(json_object_get(in, "source"));
                const json_t *y = yid && strcmp(yid, xid) != 0 ? readable(r, a, memo, yid, 0) : NULL;
                const char *yown = y ? json_string_value(json_object_get(y, "owner")) : NULL;
                if (!y || !model_dup_kind(d, json_string_value(json_object_get(y, "kind"))) ||
                    (xown && yown && strcmp(xown, yown) == 0) ||
                    !model_cond_holds(&sh->when, in, day) || !registry_may_read(r, a, in))
                    continue;
                json_t *tr = ref_of(r, a, memo, t);
                json_object_del(tr, "owner");
                json_object_del(tr, "owner_name");
                json_array_append_new(json_object_get(like_of(r, a, memo, likes, y), "shared"),
                                      json_pack("{s:s, s:o}", "relation", sh->relation->id,
                                                "record", tr));
            }
            json_decref(ins);
        }
        json_decref(outs);
    }
    return 0;
}

/* Records of other owners whose words are like x's (registry_similar with
 * x's names and searchable text), from the section's threshold. */
static int textual_likes(struct registry *r, const struct actor *a, json_t *memo,
                         const struct model_duplicates *d, const json_t *x, json_t *likes,
                         struct err *e)
{
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(x, "kind")));
    const json_t *name = json_object_get(x, "name");
    struct buf nb;
    buf_init(&nb, 4096);
    static const char *const langs[] = {"kk", "ru", "en"};
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(name, langs[i]));
        if (s && *s)
            buf_printf(&nb, "%s%s", nb.len ? " " : "", s);
    }
    char *body = k ? reg_search_body(k, x) : NULL;
    if (body && strlen(body) > 4000)
        body[4000] = '\0';
    json_t *sim = NULL;
    struct similar_query q = {NULL, nb.p ? nb.p : "", body,
                              d->threshold > 0 ? d->threshold : 0.6, DUPS_ABOUT_LIKES + 1};
    int rc = nb.len ? registry_similar(r, a, &q, &sim, e) : 0;
    const char *xid = json_string_value(json_object_get(x, "id"));
    const char *xown = json_string_value(json_object_get(x, "owner"));
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(sim, "items"), i, it) {
        const json_t *ref = json_object_get(it, "record");
        const char *yid = json_string_value(json_object_get(ref, "id"));
        const json_t *y = yid && strcmp(yid, xid) != 0 ? readable(r, a, memo, yid, 0) : NULL;
        const char *yown = y ? json_string_value(json_object_get(y, "owner")) : NULL;
        if (!y || (xown && yown && strcmp(xown, yown) == 0))
            continue;
        json_object_set(like_of(r, a, memo, likes, y), "text_score",
                        json_object_get(it, "score"));
    }
    json_decref(sim);
    free(body);
    buf_free(&nb);
    return rc;
}

/* Structural likes first (most shared first), then by the words' score. */
static int by_likeness(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    size_t sa = json_array_size(json_object_get(a, "shared"));
    size_t sb = json_array_size(json_object_get(b, "shared"));
    if (sa != sb)
        return sa > sb ? -1 : 1;
    double ta = json_number_value(json_object_get(a, "text_score"));
    double tb = json_number_value(json_object_get(b, "text_score"));
    return ta > tb ? -1 : ta < tb;
}

int registry_duplicates_about(struct registry *r, const struct actor *a, const json_t *rec,
                              json_t **out, struct err *e)
{
    *out = NULL;
    const struct model_duplicates *d = model_duplicates(r->model);
    if (!d) {
        err_not_found(e, "the model declares no duplicates");
        return -1;
    }
    if (!fidx_ready(r->fidx)) {
        err_set(e, 503, "unavailable", "", "the word index is not built yet");
        return -1;
    }
    json_t *memo = json_object(), *ids = json_array(), *items = json_array();
    about_records(r, a, memo, d, rec, ids);
    int rc = 0;
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id) {
        const json_t *x = readable(r, a, memo, json_string_value(id), 0);
        if (!x)
            continue;
        json_t *likes = json_object();
        rc = structural_likes(r, a, memo, d, x, likes, e);
        if (rc == 0)
            rc = textual_likes(r, a, memo, d, x, likes, e);
        if (rc < 0) {
            json_decref(likes);
            break;
        }
        size_t n = json_object_size(likes), at = 0;
        json_t **v = xcalloc(n ? n : 1, sizeof *v);
        const char *key;
        json_t *l;
        json_object_foreach (likes, key, l)
            v[at++] = l;
        qsort(v, n, sizeof *v, by_likeness);
        json_t *pairs = json_array();
        for (size_t j = 0; j < n && j < DUPS_ABOUT_LIKES; j++)
            json_array_append(pairs, v[j]);
        free(v);
        json_array_append_new(items, json_pack("{s:o, s:o}", "record", ref_of(r, a, memo, x),
                                               "likes", pairs));
        json_decref(likes);
    }
    json_decref(ids);
    json_decref(memo);
    if (rc < 0) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}
