/* search-mem: lists, totals and facets answered from the in-memory filter
 * and word index (fidx.h, tidx.h); SQL is used only for the matches in
 * documents' text, the sort keys of a page and the records' JSON.
 *
 * The matching set is the collection's set intersected with the union of
 * each filter's values and with the full-text matches. A page then either
 * sorts the few matches by their keys, or walks the sort index in order and
 * keeps the rows that are in the set. */
#include "search-mem.h"

#include "fidx.h"
#include "internal.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* Up to this many matches a page sorts them instead of walking an index
 * (see sorts_matches). */
#define MEM_SORT_MIN 300

struct page_row {
    const char *key;
    uint32_t rid;
};

static char *filter_key(struct arena *a, const struct list_query *q,
                        const struct listq_filter *f, const char *value)
{
    switch (f->col) {
    case LISTQ_KIND:
        return fidx_key_kind(a, value);
    case LISTQ_OWNER:
        return fidx_key_owner(a, value);
    case LISTQ_ATTR:
        break;
    }
    return fidx_key_field(a, arena_printf(a, "%s:%s", q->coll->id, f->field), value);
}

/* Reads the ascending rids of one statement (fragment `which`, its
 * parameter the full-text query). The array is malloc'd. */
static int fts_read(struct store_conn *c, enum store_sql which, const char *query,
                    struct rids *out, struct err *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, store_sql(c, which), 1);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, query);
    size_t n = 0, cap = 1024;
    uint32_t *v = xmalloc(cap * sizeof *v);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (n == cap)
            v = xrealloc(v, (cap *= 2) * sizeof *v);
        v[n++] = (uint32_t)store_col_int64(st, 0);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        free(v);
        return -1;
    }
    *out = (struct rids){v, n};
    return 0;
}

/* The rids of the collection's records that match the full-text query:
 * by their own text (the in-memory word index) or by their documents'
 * (the store's index: few records have documents that match). */
int mem_word_matches(struct registry *r, struct store_conn *c, struct arena *a,
                     const struct list_query *q, struct rids *out, struct err *e)
{
    struct rids own, docs;
    if (fidx_text_match(r->fidx, c, a, q->coll->id, q->words, q->n_words, &own) < 0) {
        err_internal(e, "the full-text tokenizer is not available");
        return -1;
    }
    char *query = store_fts_query(c, q->coll->id, q->words, q->n_words);
    int rc = fts_read(c, STORE_SQL_FTS_DOC_ROWS, query, &docs, e);
    free(query);
    if (rc < 0)
        return -1;
    if (!docs.n) {
        free((void *)docs.v);
        *out = own;
        return 0;
    }
    struct rids both[2] = {own, rids_copy(a, docs)};
    free((void *)docs.v);
    *out = rids_union(a, both, 2);
    return 0;
}

int mem_matches(struct registry *r, struct store_conn *c, struct arena *a,
                const struct list_query *q, struct rids *out, struct err *e)
{
    struct rids fts = {NULL, 0};
    if (q->n_words && mem_word_matches(r, c, a, q, &fts, e) < 0)
        return -1;
    fidx_read_lock(r->fidx);
    struct rids s = fidx_get(r->fidx, fidx_key_collection(a, q->coll->id));
    bool own = false;
    /* The full-text index, the kinds and the fields (keyed by collection)
     * hold the collection's live records only: the first of them stands
     * for the collection's set instead of being intersected with it. */
    size_t order[LISTQ_MAX_FILTERS], n = 0, first = q->n_filters;
    if (q->n_words) {
        s = fts;
        own = true;
    } else {
        for (size_t i = 0; i < q->n_filters && first == q->n_filters; i++)
            if (q->filters[i].col != LISTQ_OWNER)
                first = order[n++] = i;
    }
    for (size_t i = 0; i < q->n_filters; i++)
        if (i != first)
            order[n++] = i;
    for (size_t k = 0; k < n && s.n; k++) {
        const struct listq_filter *f = &q->filters[order[k]];
        struct rids sets[LISTQ_MAX_VALUES];
        for (size_t j = 0; j < f->n_values; j++)
            sets[j] = fidx_get(r->fidx, filter_key(a, q, f, f->values[j]));
        struct rids u = rids_union(a, sets, f->n_values);
        if (order[k] == first) {
            s = u;
            own = f->n_values > 1; /* one value: the index's own set, copied below */
        } else {
            s = rids_intersect(a, s, u);
            own = true;
        }
    }
    if (!own)
        s = rids_copy(a, s);
    fidx_read_unlock(r->fidx);
    *out = s;
    return 0;
}

/* --- pages ------------------------------------------------------------------- */

static int row_cmp_key(const struct page_row *x, const char *key, uint32_t rid)
{
    int c = strcmp(x->key, key);
    return c ? c : (x->rid < rid ? -1 : x->rid > rid);
}

static int row_cmp(const void *pa, const void *pb, void *desc)
{
    const struct page_row *x = pa, *y = pb;
    int c = row_cmp_key(x, y->key, y->rid);
    return *(const bool *)desc ? -c : c;
}

/* Is the row after the cursor in the page's order? */
static bool after_cursor(const struct list_query *q, const struct page_row *row)
{
    if (!q->has_cursor)
        return true;
    int c = row_cmp_key(row, q->cursor_key, (uint32_t)q->cursor_rid);
    return q->sort_desc ? c < 0 : c > 0;
}

const char *mem_rids_json(struct arena *a, struct rids s)
{
    struct buf ids;
    buf_init(&ids, 16 + s.n * 8);
    buf_putc(&ids, '[');
    for (size_t i = 0; i < s.n; i++)
        buf_printf(&ids, i ? ",%u" : "%u", s.v[i]);
    buf_putc(&ids, ']');
    const char *json = arena_strndup(a, ids.p, ids.len);
    buf_free(&ids);
    return json;
}

/* Reads the sort keys of all matches in one statement (the ids go in as a
 * JSON array). */
static struct store_stmt *keys_stmt(struct store_conn *c, struct arena *a,
                                    const struct list_query *q, struct rids s, struct err *e)
{
    char from[256];
    snprintf(from, sizeof from, store_sql(c, STORE_SQL_JSON_INTS), 1);
    const char *sql = arena_printf(a,
                                   "SELECT r.rid, r.%s FROM %s j JOIN records r ON r.rid = "
                                   "j.value",
                                   listq_sort_column(q->sort), from);
    struct store_stmt *st = store_prepare(c, sql, true, e);
    if (st)
        store_bind_text(st, 1, mem_rids_json(a, s));
    return st;
}

/* Few matches: read their sort keys and sort. */
static int page_by_sorting(struct store_conn *c, struct arena *a, const struct list_query *q,
                           struct rids s, struct page_row *rows, size_t *n, struct err *e)
{
    struct page_row *all = arena_alloc(a, (s.n ? s.n : 1) * sizeof *all);
    size_t m = 0;
    struct store_stmt *st = keys_stmt(c, a, q, s, e);
    if (!st)
        return -1;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW && m < s.n) {
        const char *k = store_col_text(st, 1);
        all[m].key = arena_strdup(a, k ? k : "");
        all[m].rid = (uint32_t)store_col_int64(st, 0);
        m += after_cursor(q, &all[m]);
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    bool desc = q->sort_desc;
    qsort_r(all, m, sizeof *all, row_cmp, &desc);
    *n = m < (size_t)q->limit + 1 ? m : (size_t)q->limit + 1;
    memcpy(rows, all, *n * sizeof *rows);
    return 0;
}

static char *walk_sql(struct store_conn *c, struct arena *a, const struct list_query *q)
{
    const char *col = listq_sort_column(q->sort), *op = q->sort_desc ? "<" : ">";
    const char *dir = q->sort_desc ? "DESC" : "ASC";
    char hint[96];
    snprintf(hint, sizeof hint, store_sql(c, STORE_SQL_USE_INDEX), listq_sort_index(q->sort));
    const char *keyset = q->has_cursor ? arena_printf(a,
                                                      " AND (r.%s %s $2 OR (r.%s = $2 AND "
                                                      "r.rid %s $3))",
                                                      col, op, col, op)
                                       : "";
    return arena_printf(a,
                        "SELECT r.rid, r.%s FROM records r %s WHERE r.collection = $1 AND "
                        "r.retired = 0%s ORDER BY r.%s %s, r.rid %s",
                        col, hint, keyset, col, dir, dir);
}

/* Many matches: walk the sort index in order and keep the members. */
static int page_by_walking(struct store_conn *c, struct arena *a, const struct list_query *q,
                           struct rids s, struct page_row *rows, size_t *n, struct err *e)
{
    struct store_stmt *st = store_prepare(c, walk_sql(c, a, q), true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, q->coll->id);
    if (q->has_cursor) {
        store_bind_text(st, 2, q->cursor_key);
        store_bind_int64(st, 3, q->cursor_rid);
    }
    int rc;
    *n = 0;
    while (*n < (size_t)q->limit + 1 && (rc = store_step(st, e)) == STORE_ROW) {
        uint32_t rid = (uint32_t)store_col_int64(st, 0);
        if (!rids_has(s, rid)) /* a binary search: few rows are walked */
            continue;
        const char *k = store_col_text(st, 1);
        rows[*n].key = arena_strdup(a, k ? k : "");
        rows[(*n)++].rid = rid;
    }
    store_reset(st);
    return *n < (size_t)q->limit + 1 && rc == STORE_ERROR ? -1 : 0;
}

/* Sorted by a field: its values in order, each value's members in rid
 * order (the order the SQL path's index gives too). */
static void page_by_field(struct registry *r, struct arena *a, const struct list_query *q,
                          struct rids s, struct page_row *rows, size_t *n)
{
    const char *field = arena_printf(a, "%s:%s", q->coll->id, q->sort_field);
    *n = 0;
    fidx_read_lock(r->fidx);
    const char **values = NULL;
    size_t nv = fidx_values(r->fidx, a, field, &values);
    for (size_t k = 0; k < nv && *n < (size_t)q->limit + 1; k++) {
        const char *v = values[q->sort_desc ? nv - 1 - k : k];
        struct rids in = rids_intersect(a, s, fidx_get(r->fidx, fidx_key_field(a, field, v)));
        for (size_t i = 0; i < in.n && *n < (size_t)q->limit + 1; i++) {
            struct page_row row = {v, in.v[q->sort_desc ? in.n - 1 - i : i]};
            if (after_cursor(q, &row))
                rows[(*n)++] = row;
        }
    }
    fidx_read_unlock(r->fidx);
}

/* Sort the s.n matches, or walk the sort index? Sorting reads every
 * match's key (about s.n lookups); a walk meets a match every n/s.n rows of
 * the collection's n, so it reads about (limit + 1) * n / s.n rows, each
 * about half the cost of a lookup. */
static bool sorts_matches(struct registry *r, struct arena *a, const struct list_query *q,
                          struct rids s)
{
    if (s.n <= MEM_SORT_MIN)
        return true;
    fidx_read_lock(r->fidx);
    size_t n = fidx_get(r->fidx, fidx_key_collection(a, q->coll->id)).n;
    fidx_read_unlock(r->fidx);
    return (double)s.n * (double)s.n <= (double)n * (double)(q->limit + 1) / 2;
}

int mem_page(struct registry *r, struct store_conn *c, struct arena *a,
             const struct list_query *q, struct rids s, int64_t **rids, size_t *n_rids,
             char **next, struct err *e)
{
    struct page_row *rows = arena_alloc(a, ((size_t)q->limit + 1) * sizeof *rows);
    size_t n = 0;
    int rc = 0;
    if (q->sort == SORT_FIELD)
        page_by_field(r, a, q, s, rows, &n);
    else if (sorts_matches(r, a, q, s))
        rc = page_by_sorting(c, a, q, s, rows, &n, e);
    else
        rc = page_by_walking(c, a, q, s, rows, &n, e);
    if (rc < 0)
        return -1;
    bool more = n > (size_t)q->limit;
    if (more)
        n = (size_t)q->limit;
    *next = more ? listq_cursor_encode(a, q, rows[n - 1].key, rows[n - 1].rid) : NULL;
    *rids = arena_alloc(a, (n ? n : 1) * sizeof **rids);
    for (size_t i = 0; i < n; i++)
        (*rids)[i] = rows[i].rid;
    *n_rids = n;
    return 0;
}

/* --- facets ------------------------------------------------------------------ */

struct facet_count {
    const char *value;
    size_t count;
};

static int facet_cmp(const void *pa, const void *pb)
{
    const struct facet_count *x = pa, *y = pb;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* A bitmap of a large matching set: a facet then counts each value's set
 * with one bit test per member, instead of merging (or galloping through)
 * the whole matching set once per value — for the owner facet that is a
 * thousand passes over ~100,000 matches. It covers the set's rids from its
 * least to its largest: a kind's records made in a block (the 5,000 ICT
 * projects of the transparency page) make a small one wherever the block
 * lies. Not made for a small or sparse set (galloping is cheap then). */
struct rid_bits {
    uint64_t *w;
    uint32_t min, max; /* the least and the largest rid of the set */
};

static bool rid_bits_make(struct arena *a, struct rids s, struct rid_bits *b)
{
    /* dense enough that the bitmap is not much larger than s itself */
    if (s.n < 64 || (s.v[s.n - 1] - s.v[0]) / 64 > s.n)
        return false;
    b->min = s.v[0];
    b->max = s.v[s.n - 1];
    b->w = arena_calloc(a, (b->max - b->min) / 64 + 1, sizeof *b->w);
    for (size_t i = 0; i < s.n; i++)
        b->w[(s.v[i] - b->min) / 64] |= (uint64_t)1 << ((s.v[i] - b->min) % 64);
    return true;
}

static size_t rid_bits_count(const struct rid_bits *b, struct rids x)
{
    size_t n = 0;
    for (size_t i = rids_lower_bound(x, b->min); i < x.n && x.v[i] <= b->max; i++)
        n += (b->w[(x.v[i] - b->min) / 64] >> ((x.v[i] - b->min) % 64)) & 1;
    return n;
}

size_t mem_facet_counts(struct registry *r, struct arena *a, const struct list_query *q,
                        struct rids s, const char *field, const char ***values, size_t **counts)
{
    bool is_kind = strcmp(field, "kind") == 0, is_owner = strcmp(field, "owner") == 0;
    const char *group = is_owner ? "owner" : arena_printf(a, "%s:%s", q->coll->id, field);
    fidx_read_lock(r->fidx);
    const char **vals = NULL;
    size_t nv = 0;
    if (is_kind) {
        vals = (const char **)q->coll->kinds;
        nv = q->coll->n_kinds;
    } else {
        nv = fidx_values(r->fidx, a, group, &vals);
    }
    struct rid_bits bits;
    bool have_bits = nv > 1 && rid_bits_make(a, s, &bits);
    struct facet_count *fc = arena_alloc(a, (nv ? nv : 1) * sizeof *fc);
    size_t m = 0;
    for (size_t i = 0; i < nv; i++) {
        if (!*vals[i])
            continue; /* "" stands for "no value" */
        const char *key = is_kind    ? fidx_key_kind(a, vals[i])
                          : is_owner ? fidx_key_owner(a, vals[i])
                                     : fidx_key_field(a, group, vals[i]);
        struct rids set = fidx_get(r->fidx, key);
        /* the bitmap pays when the value's set is not much larger than s */
        size_t cnt = have_bits && set.n <= 4 * s.n ? rid_bits_count(&bits, set)
                                                   : rids_intersect_count(s, set);
        if (cnt)
            fc[m++] = (struct facet_count){vals[i], cnt};
    }
    fidx_read_unlock(r->fidx);
    qsort(fc, m, sizeof *fc, facet_cmp);
    *values = arena_alloc(a, (m ? m : 1) * sizeof **values);
    *counts = arena_alloc(a, (m ? m : 1) * sizeof **counts);
    for (size_t i = 0; i < m; i++) {
        (*values)[i] = fc[i].value;
        (*counts)[i] = fc[i].count;
    }
    return m;
}
