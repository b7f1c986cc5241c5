/* tidx: terms → sorted rids, per collection, in memory (see tidx.h).
 *
 * The base of a collection is three arrays: `text` holds its terms in
 * bytewise order, each ended by '\0'; term i starts at text + term_at[i]
 * and its rids are post[post_at[i] .. post_at[i + 1]). A record written
 * since the base was made has its bit set in `stale` (its entries in the
 * base no longer count) and its current terms in `delta`. */
#include "tidx.h"

#include "util/err.h"
#include "util/text.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Delta records before a merge: each query scans them all. */
#define TIDX_DELTA_MAX 1024
/* Up to this many rids from several terms are merged by sorting; more go
 * through a bitmap. */
#define TIDX_SORT_MAX 4096

struct tdoc {
    uint32_t rid;
    char **terms; /* sorted, distinct */
    size_t n;
};

/* The state while building, in two passes over the same records: the
 * first collects the terms (a hash of them) and counts each one's records;
 * the second, once the counts have laid the arrays out, fills in the rids. */
struct tbuild {
    uint32_t *slots; /* term index + 1, 0 = empty */
    size_t cap;
    uint32_t *last;  /* per term: the last rid that had it */
    uint32_t *count; /* per term: its records (first pass) */
    uint32_t *rank;  /* per term: its place in the sorted base */
    uint32_t *fill;  /* per rank: the next free entry of its rids */
    size_t cap_terms, cap_text;
    bool filling;  /* second pass */
    bool unsorted; /* a rid came before a smaller one */
    uint32_t prev_rid;
};

struct tcoll {
    char *name;
    char *text;
    size_t text_len;
    uint32_t *term_at, *post_at, *post;
    size_t n_terms;
    uint32_t max_rid;  /* of base and delta */
    uint32_t base_max; /* no rid above it is in the base */
    uint64_t *stale;
    size_t stale_words;
    struct tdoc *delta;
    size_t n_delta, cap_delta;
    /* a merge under way: the delta it folds into the base (the records
     * in both are the delta's), and its thread */
    struct tdoc *frozen;
    size_t n_frozen;
    bool merging, merger_started;
    pthread_t merger;
    /* the most bytes a merge of it held at once: the base's arrays and
     * its own (written by the merge, read once it has ended) */
    size_t merge_peak;
    struct tidx *owner;
    struct tbuild *b; /* while building */
};

/* Collections are allocated one by one: a merge thread keeps a pointer. */
struct tidx {
    struct tcoll **colls;
    size_t n_colls;
    bool filling;           /* the building's second pass */
    pthread_rwlock_t *lock; /* the owner's, taken by a merge to install */
    uint64_t gen;           /* bumped by every change after sealing */
};

struct tidx *tidx_new(pthread_rwlock_t *lock)
{
    struct tidx *t = xcalloc(1, sizeof *t);
    t->lock = lock;
    return t;
}

static void tdoc_clear(struct tdoc *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->terms[i]);
    free(d->terms);
    d->terms = NULL;
    d->n = 0;
}

static void build_free(struct tbuild *b)
{
    if (!b)
        return;
    free(b->slots);
    free(b->last);
    free(b->count);
    free(b->rank);
    free(b->fill);
    free(b);
}

void tidx_free(struct tidx *t)
{
    if (!t)
        return;
    tidx_wait(t);
    for (size_t i = 0; i < t->n_colls; i++) {
        struct tcoll *c = t->colls[i];
        for (size_t k = 0; k < c->n_frozen; k++)
            tdoc_clear(&c->frozen[k]);
        free(c->frozen);
        free(c->name);
        free(c->text);
        free(c->term_at);
        free(c->post_at);
        free(c->post);
        free(c->stale);
        for (size_t k = 0; k < c->n_delta; k++)
            tdoc_clear(&c->delta[k]);
        free(c->delta);
        build_free(c->b);
        free(c);
    }
    free(t->colls);
    free(t);
}

static struct tcoll *coll_get(struct tidx *t, const char *name, bool create)
{
    for (size_t i = 0; i < t->n_colls; i++)
        if (strcmp(t->colls[i]->name, name) == 0)
            return t->colls[i];
    if (!create)
        return NULL;
    t->colls = xrealloc(t->colls, (t->n_colls + 1) * sizeof *t->colls);
    struct tcoll *c = xcalloc(1, sizeof *c);
    t->colls[t->n_colls++] = c;
    c->name = xstrdup(name);
    c->owner = t;
    return c;
}

static const char *term_of(const struct tcoll *c, size_t i)
{
    return c->text + c->term_at[i];
}

/* --- building ------------------------------------------------------------------- */

/* Appends the term (s, n) and its '\0' to the text being built; returns
 * its offset. */
static uint32_t text_add(struct tcoll *c, const char *s, size_t n)
{
    struct tbuild *b = c->b;
    while (c->text_len + n + 1 > b->cap_text) {
        b->cap_text = b->cap_text ? b->cap_text * 2 : 1 << 16;
        c->text = xrealloc(c->text, b->cap_text);
    }
    uint32_t at = (uint32_t)c->text_len;
    memcpy(c->text + at, s, n);
    c->text[at + n] = '\0';
    c->text_len += n + 1;
    return at;
}

static void build_rehash(struct tcoll *c)
{
    struct tbuild *b = c->b;
    size_t cap = b->cap ? b->cap * 2 : 1024;
    free(b->slots);
    b->slots = xcalloc(cap, sizeof *b->slots);
    b->cap = cap;
    for (size_t i = 0; i < c->n_terms; i++) {
        const char *s = term_of(c, i);
        size_t k = text_hash(s, strlen(s)) & (cap - 1);
        while (b->slots[k])
            k = (k + 1) & (cap - 1);
        b->slots[k] = (uint32_t)i + 1;
    }
}

/* The index of term (s, n) in the collection being built, added if new
 * (in the first pass; the second meets only known terms). */
static uint32_t build_term(struct tcoll *c, const char *s, size_t n)
{
    struct tbuild *b = c->b;
    if (!b->filling && (c->n_terms + 1) * 2 > b->cap)
        build_rehash(c);
    size_t k = text_hash(s, n) & (b->cap - 1);
    for (; b->slots[k]; k = (k + 1) & (b->cap - 1)) {
        const char *t = term_of(c, b->slots[k] - 1);
        if (strncmp(t, s, n) == 0 && t[n] == '\0')
            return b->slots[k] - 1;
    }
    if (b->filling)
        fatal("tidx: a term unseen in the first pass");
    if (c->n_terms == b->cap_terms) {
        b->cap_terms = b->cap_terms ? b->cap_terms * 2 : 1024;
        c->term_at = xrealloc(c->term_at, b->cap_terms * sizeof *c->term_at);
        b->last = xrealloc(b->last, b->cap_terms * sizeof *b->last);
        b->count = xrealloc(b->count, b->cap_terms * sizeof *b->count);
    }
    c->term_at[c->n_terms] = text_add(c, s, n);
    b->last[c->n_terms] = UINT32_MAX;
    b->count[c->n_terms] = 0;
    b->slots[k] = (uint32_t)c->n_terms + 1;
    return (uint32_t)c->n_terms++;
}

void tidx_load(struct tidx *t, const char *collection, uint32_t rid, const char *const *terms,
               const size_t *lens, size_t n)
{
    struct tcoll *c = coll_get(t, collection, !t->filling);
    if (c && !c->b && !t->filling)
        c->b = xcalloc(1, sizeof *c->b);
    if (!c || !c->b)
        return; /* not met in the first pass (cannot happen in one snapshot) */
    struct tbuild *b = c->b;
    if (rid < b->prev_rid)
        b->unsorted = true;
    b->prev_rid = rid;
    if (rid > c->max_rid)
        c->max_rid = rid;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = build_term(c, terms[i], lens[i]);
        if (b->last[id] == rid)
            continue; /* the record has it already */
        b->last[id] = rid;
        if (b->filling)
            c->post[b->fill[b->rank[id]]++] = rid;
        else
            b->count[id]++;
    }
}

static int cmp_term_at(const void *x, const void *y, void *text)
{
    return strcmp((const char *)text + *(const uint32_t *)x,
                  (const char *)text + *(const uint32_t *)y);
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* After the first pass: sorts the terms and lays the rids out. */
static void layout_one(struct tcoll *c)
{
    struct tbuild *b = c->b;
    size_t n = c->n_terms;
    /* the terms' offsets sorted by their text; a term's rank is where its
     * offset went (offsets grow with the term's index: binary search) */
    uint32_t *at = xmalloc((n ? n : 1) * sizeof *at);
    if (n) { /* a collection without terms has no term_at (NULL) */
        memcpy(at, c->term_at, n * sizeof *at);
        qsort_r(at, n, sizeof *at, cmp_term_at, c->text);
    }
    b->rank = xmalloc((n ? n : 1) * sizeof *b->rank);
    for (size_t r = 0; r < n; r++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (c->term_at[mid] < at[r])
                lo = mid + 1;
            else
                hi = mid;
        }
        b->rank[lo] = (uint32_t)r;
    }
    free(at);
    c->post_at = xcalloc(n + 1, sizeof *c->post_at);
    for (size_t i = 0; i < n; i++)
        c->post_at[b->rank[i] + 1] = b->count[i];
    for (size_t r = 0; r < n; r++)
        c->post_at[r + 1] += c->post_at[r];
    /* zeroed: were the second pass to meet fewer records, no entry is
     * left undefined */
    c->post = xcalloc(c->post_at[n] ? c->post_at[n] : 1, sizeof *c->post);
    b->fill = xmalloc((n ? n : 1) * sizeof *b->fill);
    memcpy(b->fill, c->post_at, n * sizeof *b->fill);
    free(b->count);
    b->count = NULL;
    for (size_t i = 0; i < n; i++)
        b->last[i] = UINT32_MAX;
    b->filling = true;
    b->unsorted = false;
    b->prev_rid = 0;
}

void tidx_fill_begin(struct tidx *t)
{
    for (size_t i = 0; i < t->n_colls; i++)
        if (t->colls[i]->b)
            layout_one(t->colls[i]);
    t->filling = true;
}

/* After the second pass: puts the text in the terms' order. */
static void seal_one(struct tcoll *c)
{
    struct tbuild *b = c->b;
    size_t n = c->n_terms;
    if (b->unsorted)
        for (size_t r = 0; r < n; r++)
            qsort(c->post + c->post_at[r], c->post_at[r + 1] - c->post_at[r], sizeof *c->post,
                  cmp_u32);
    uint32_t *at = xmalloc((n ? n : 1) * sizeof *at);
    for (size_t i = 0; i < n; i++)
        at[b->rank[i]] = c->term_at[i];
    char *text = xmalloc(c->text_len ? c->text_len : 1);
    size_t len = 0;
    for (size_t r = 0; r < n; r++) {
        size_t k = strlen(c->text + at[r]) + 1;
        memcpy(text + len, c->text + at[r], k);
        at[r] = (uint32_t)len;
        len += k;
    }
    free(c->text);
    free(c->term_at);
    c->text = text;
    c->text_len = len;
    c->term_at = at;
    c->base_max = c->max_rid;
    build_free(b);
    c->b = NULL;
}

void tidx_seal(struct tidx *t)
{
    if (!t->filling)
        tidx_fill_begin(t); /* nothing was loaded a second time */
    for (size_t i = 0; i < t->n_colls; i++)
        if (t->colls[i]->b)
            seal_one(t->colls[i]);
    t->filling = false;
}

/* --- changes ---------------------------------------------------------------------- */

static bool is_stale(const struct tcoll *c, uint32_t rid)
{
    return rid / 64 < c->stale_words && (c->stale[rid / 64] >> (rid % 64)) & 1;
}

static void mark_stale(struct tcoll *c, uint32_t rid)
{
    if (rid / 64 >= c->stale_words) {
        size_t words = rid / 64 + 1 + c->stale_words; /* grow geometrically */
        c->stale = xrealloc(c->stale, words * sizeof *c->stale);
        memset(c->stale + c->stale_words, 0, (words - c->stale_words) * sizeof *c->stale);
        c->stale_words = words;
    }
    c->stale[rid / 64] |= (uint64_t)1 << (rid % 64);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* One (term, rid) of the delta, for a merge. */
struct tpair {
    const char *term;
    uint32_t rid;
};

static int cmp_pair(const void *x, const void *y)
{
    const struct tpair *a = x, *b = y;
    int c = strcmp(a->term, b->term);
    return c ? c : (a->rid > b->rid) - (a->rid < b->rid);
}

static bool bit_has(const uint64_t *bits, size_t words, uint32_t rid)
{
    return rid / 64 < words && (bits[rid / 64] >> (rid % 64)) & 1;
}

static void note_peak(struct tcoll *c, size_t bytes)
{
    if (bytes > c->merge_peak)
        c->merge_peak = bytes;
}

/* What a merge folds into the base, made off the lock from the frozen
 * records (nobody changes them while it runs): their (term, rid) pairs in
 * order, their rids as a bitmap, and their distinct terms' count and bytes
 * (the most the base's term arrays and text can grow). */
struct fold {
    struct tpair *pairs;
    size_t n_pairs;
    uint64_t *gone;
    size_t words;
    size_t n_terms, text_more;
    uint32_t min_rid, max_rid;
};

static void fold_make(const struct tdoc *docs, size_t n_docs, struct fold *f)
{
    *f = (struct fold){.min_rid = UINT32_MAX};
    for (size_t d = 0; d < n_docs; d++) {
        if (docs[d].rid < f->min_rid)
            f->min_rid = docs[d].rid;
        if (docs[d].rid > f->max_rid)
            f->max_rid = docs[d].rid;
        f->n_pairs += docs[d].n;
        if (docs[d].rid / 64 + 1 > f->words)
            f->words = docs[d].rid / 64 + 1;
    }
    f->gone = xcalloc(f->words ? f->words : 1, sizeof *f->gone);
    f->pairs = xmalloc((f->n_pairs ? f->n_pairs : 1) * sizeof *f->pairs);
    size_t p = 0;
    for (size_t d = 0; d < n_docs; d++) {
        f->gone[docs[d].rid / 64] |= (uint64_t)1 << (docs[d].rid % 64);
        for (size_t i = 0; i < docs[d].n; i++)
            f->pairs[p++] = (struct tpair){docs[d].terms[i], docs[d].rid};
    }
    qsort(f->pairs, f->n_pairs, sizeof *f->pairs, cmp_pair);
    for (size_t j = 0; j < f->n_pairs; j++)
        if (j == 0 || strcmp(f->pairs[j - 1].term, f->pairs[j].term) != 0) {
            f->n_terms++;
            f->text_more += strlen(f->pairs[j].term) + 1;
        }
}

static void fold_free(struct fold *f)
{
    free(f->pairs);
    free(f->gone);
}

/* Folds f into the base of c where it lies (lock held): each term's rids
 * less the folded records', merged in order with the rids of the folded
 * records that have it; terms left with no rid are dropped. No second base
 * is made (issue 15: peak RSS): the rids of the folded records are first
 * taken out of the lists, closing the gaps, then the arrays are grown (a
 * large block is remapped, not copied) and filled from their ends down,
 * each term and its rids moving up by what comes before it, so that
 * nothing is overwritten before it is read. */
/* The first of base terms 0 .. i above p. */
static size_t term_above(const struct tcoll *c, size_t i, const char *p)
{
    size_t lo = 0, hi = i;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(term_of(c, mid), p) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void merge_in_place(struct tcoll *c, const struct fold *f)
{
    size_t n = c->n_terms;
    /* 1. out with the folded records' rids (none are in the base when
     * all are new: created since it was made) */
    size_t w = n ? c->post_at[n] : 0;
    bool compacted = f->min_rid <= c->base_max;
    if (compacted)
        w = 0;
    for (size_t i = 0; compacted && i < n; i++) {
        size_t from = c->post_at[i], to = c->post_at[i + 1];
        c->post_at[i] = (uint32_t)w;
        for (size_t k = from; k < to; k++)
            if (!bit_has(f->gone, f->words, c->post[k]))
                c->post[w++] = c->post[k];
    }
    if (n && compacted)
        c->post_at[n] = (uint32_t)w;
    if (f->max_rid > c->base_max)
        c->base_max = f->max_rid;
    /* 2. room for the pairs and their terms */
    size_t n_out = n + f->n_terms, post_out = w + f->n_pairs, text_out = c->text_len + f->text_more;
    c->text = xrealloc(c->text, text_out ? text_out : 1);
    c->term_at = xrealloc(c->term_at, (n_out ? n_out : 1) * sizeof *c->term_at);
    c->post_at = xrealloc(c->post_at, (n_out + 1) * sizeof *c->post_at);
    c->post = xrealloc(c->post, (post_out ? post_out : 1) * sizeof *c->post);
    note_peak(c, text_out + (2 * n_out + 1 + post_out) * sizeof(uint32_t) +
                     (f->words ? f->words : 1) * sizeof *f->gone +
                     (f->n_pairs ? f->n_pairs : 1) * sizeof *f->pairs);
    /* 3. from the last term down: i base terms and j pairs are left; the
     * next term goes below slot `to`, its rids below `pw`, its text below
     * `xw`; `end` and `text_end` are where the rids and the text of base
     * term i - 1 end */
    size_t i = n, j = f->n_pairs, to = n_out, pw = post_out, xw = text_out, end = w,
           text_end = c->text_len;
    c->post_at[n_out] = (uint32_t)post_out;
    while (i > 0 || j > 0) {
        int cmp = i == 0 ? -1 : j == 0 ? 1 : strcmp(term_of(c, i - 1), f->pairs[j - 1].term);
        if (cmp > 0 && !compacted) {
            /* the base terms above the next pair's (all, with no pair
             * left) keep all their rids: they move up as one block */
            size_t lo = j == 0 ? 0 : term_above(c, i - 1, f->pairs[j - 1].term);
            size_t from = c->post_at[lo], at = c->term_at[lo], k = i - lo;
            pw -= end - from;
            xw -= text_end - at;
            to -= k;
            memmove(c->post + pw, c->post + from, (end - from) * sizeof *c->post);
            memmove(c->text + xw, c->text + at, text_end - at);
            for (size_t q = k; q-- > 0;) { /* upwards: from the top down */
                c->term_at[to + q] = (uint32_t)(c->term_at[lo + q] - at + xw);
                c->post_at[to + q] = (uint32_t)(c->post_at[lo + q] - from + pw);
            }
            end = from;
            text_end = at;
            i = lo;
            continue;
        }
        const char *term = cmp >= 0 ? term_of(c, i - 1) : f->pairs[j - 1].term;
        size_t len = strlen(term) + 1;
        size_t r = end, r0 = end, j0 = j, top = pw;
        if (cmp >= 0) {
            r0 = c->post_at[i - 1];
            end = r0;
            text_end = c->term_at[i - 1];
            i--;
        }
        if (cmp <= 0)
            while (j0 > 0 && strcmp(f->pairs[j0 - 1].term, term) == 0)
                j0--;
        while (r > r0 || j > j0) {
            if (j > j0 && (r == r0 || f->pairs[j - 1].rid > c->post[r - 1]))
                c->post[--pw] = f->pairs[--j].rid;
            else
                c->post[--pw] = c->post[--r];
        }
        if (pw == top)
            continue; /* no rid left: the term goes */
        xw -= len;
        memmove(c->text + xw, term, len);
        to--;
        c->term_at[to] = (uint32_t)xw;
        c->post_at[to] = (uint32_t)pw;
    }
    /* 4. the dropped terms and the room left unused were below */
    n = n_out - to;
    memmove(c->term_at, c->term_at + to, n * sizeof *c->term_at);
    for (size_t k = 0; k < n; k++)
        c->term_at[k] -= (uint32_t)xw;
    memmove(c->post_at, c->post_at + to, (n + 1) * sizeof *c->post_at);
    memmove(c->text, c->text + xw, text_out - xw);
    c->n_terms = n;
    c->text_len = text_out - xw;
    c->text = xrealloc(c->text, c->text_len ? c->text_len : 1);
    c->term_at = xrealloc(c->term_at, (n ? n : 1) * sizeof *c->term_at);
    c->post_at = xrealloc(c->post_at, (n + 1) * sizeof *c->post_at);
}

/* Folds the frozen records into the base; the records changed since stay
 * superseded (lock held). */
static void merge_install(struct tcoll *c, const struct fold *f)
{
    merge_in_place(c, f);
    for (size_t d = 0; d < c->n_frozen; d++)
        tdoc_clear(&c->frozen[d]);
    free(c->frozen);
    c->frozen = NULL;
    c->n_frozen = 0;
    /* stale: now only the records of the delta (the base has the rest) */
    memset(c->stale, 0, c->stale_words * sizeof *c->stale);
    for (size_t d = 0; d < c->n_delta; d++)
        c->stale[c->delta[d].rid / 64] |= (uint64_t)1 << (c->delta[d].rid % 64);
    c->merging = false;
    c->owner->gen++;
}

static void *merge_main(void *arg)
{
    struct tcoll *c = arg;
    struct tidx *t = c->owner;
    struct fold f;
    fold_make(c->frozen, c->n_frozen, &f);
    pthread_rwlock_wrlock(t->lock);
    merge_install(c, &f);
    pthread_rwlock_unlock(t->lock);
    fold_free(&f);
    return NULL;
}

/* Waits for a merge of c (the caller does not hold the lock). */
static void merge_join(struct tcoll *c)
{
    if (c->merger_started) {
        pthread_join(c->merger, NULL);
        c->merger_started = false;
    }
}

/* Freezes the delta and folds it into the base from another thread (lock
 * held). Meanwhile queries read the base, the frozen records and the new
 * delta. Without a lock to share, merges at once. */
static void merge_start(struct tcoll *c)
{
    if (c->merging)
        return; /* the delta waits for the merge under way */
    if (c->merger_started) {
        /* the last merge has installed its base and is ending */
        pthread_join(c->merger, NULL);
        c->merger_started = false;
    }
    c->frozen = c->delta;
    c->n_frozen = c->n_delta;
    c->delta = NULL;
    c->n_delta = c->cap_delta = 0;
    c->merging = true;
    if (c->owner->lock &&
        pthread_create(&c->merger, NULL, merge_main, c) == 0) {
        c->merger_started = true;
        return;
    }
    struct fold f;
    fold_make(c->frozen, c->n_frozen, &f);
    merge_install(c, &f);
    fold_free(&f);
}

void tidx_set(struct tidx *t, const char *collection, uint32_t rid, const char *const *terms,
              const size_t *lens, size_t n)
{
    struct tcoll *c = coll_get(t, collection, true);
    t->gen++;
    mark_stale(c, rid);
    if (rid > c->max_rid)
        c->max_rid = rid;
    struct tdoc *d = NULL;
    for (size_t k = 0; k < c->n_delta && !d; k++)
        if (c->delta[k].rid == rid)
            d = &c->delta[k];
    if (!d) {
        if (c->n_delta == c->cap_delta) {
            c->cap_delta = c->cap_delta ? c->cap_delta * 2 : 64;
            c->delta = xrealloc(c->delta, c->cap_delta * sizeof *c->delta);
        }
        d = &c->delta[c->n_delta++];
        *d = (struct tdoc){.rid = rid};
    }
    tdoc_clear(d);
    d->terms = xmalloc((n ? n : 1) * sizeof *d->terms);
    for (size_t i = 0; i < n; i++) {
        d->terms[i] = xmalloc(lens[i] + 1);
        memcpy(d->terms[i], terms[i], lens[i]);
        d->terms[i][lens[i]] = '\0';
    }
    qsort(d->terms, n, sizeof *d->terms, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && strcmp(d->terms[m - 1], d->terms[i]) == 0)
            free(d->terms[i]);
        else
            d->terms[m++] = d->terms[i];
    }
    d->n = m;
    if (c->n_delta > TIDX_DELTA_MAX)
        merge_start(c);
}

void tidx_wait(struct tidx *t)
{
    for (size_t i = 0; i < t->n_colls; i++)
        merge_join(t->colls[i]);
}

/* --- queries ------------------------------------------------------------------------ */

static bool has_prefix(const char *s, const char *p, size_t n)
{
    return strncmp(s, p, n) == 0;
}

/* The first base term not below p. */
static size_t term_lower_bound(const struct tcoll *c, const char *p)
{
    size_t lo = 0, hi = c->n_terms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(term_of(c, mid), p) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Does the delta record have a term starting with p? */
static bool doc_has_prefix(const struct tdoc *d, const char *p, size_t n)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(d->terms[mid], p) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && has_prefix(d->terms[lo], p, n);
}

/* Sorts v[0..n) and drops repeats; returns the new count. */
static size_t sort_unique(uint32_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

/* The live base rids of terms lo .. hi, in order. */
static struct rids base_set(const struct tcoll *c, struct arena *a, size_t lo, size_t hi)
{
    if (lo == hi)
        return (struct rids){NULL, 0};
    size_t from = c->post_at[lo], to = c->post_at[hi], n = 0;
    uint32_t *out = arena_alloc(a, (to - from + 1) * sizeof *out);
    if (hi - lo > 1 && to - from > TIDX_SORT_MAX) {
        /* many terms, many rids: a bitmap takes the union in one pass */
        size_t words = (size_t)c->max_rid / 64 + 1;
        uint64_t *bits = arena_calloc(a, words, sizeof *bits);
        for (size_t k = from; k < to; k++)
            bits[c->post[k] / 64] |= (uint64_t)1 << (c->post[k] % 64);
        for (size_t w = 0; w < words; w++) {
            uint64_t x = bits[w] & ~(w < c->stale_words ? c->stale[w] : 0);
            while (x) {
                out[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(x));
                x &= x - 1;
            }
        }
        return (struct rids){out, n};
    }
    for (size_t k = from; k < to; k++)
        if (!is_stale(c, c->post[k]))
            out[n++] = c->post[k];
    if (hi - lo > 1)
        n = sort_unique(out, n);
    return (struct rids){out, n};
}

static bool in_delta(const struct tcoll *c, uint32_t rid)
{
    for (size_t k = 0; k < c->n_delta; k++)
        if (c->delta[k].rid == rid)
            return true;
    return false;
}

/* The live rids that have a term starting with p. */
static struct rids prefix_set(const struct tcoll *c, struct arena *a, const char *p)
{
    size_t plen = strlen(p), lo = term_lower_bound(c, p), hi = lo;
    while (hi < c->n_terms && has_prefix(term_of(c, hi), p, plen))
        hi++;
    struct rids sets[2] = {base_set(c, a, lo, hi), {NULL, 0}};
    uint32_t *d = NULL;
    size_t nd = 0;
    for (size_t k = 0; k < c->n_delta; k++)
        if (doc_has_prefix(&c->delta[k], p, plen)) {
            if (!d)
                d = arena_alloc(a, (c->n_delta + c->n_frozen) * sizeof *d);
            d[nd++] = c->delta[k].rid;
        }
    /* a frozen record counts unless the delta has it again */
    for (size_t k = 0; k < c->n_frozen; k++)
        if (doc_has_prefix(&c->frozen[k], p, plen) && !in_delta(c, c->frozen[k].rid)) {
            if (!d)
                d = arena_alloc(a, (c->n_delta + c->n_frozen) * sizeof *d);
            d[nd++] = c->frozen[k].rid;
        }
    if (!nd)
        return sets[0];
    sets[1] = (struct rids){d, sort_unique(d, nd)};
    return rids_union(a, sets, 2);
}

struct rids tidx_match(struct tidx *t, struct arena *a, const char *collection,
                       const char *const *prefixes, size_t n)
{
    struct tcoll *c = coll_get(t, collection, false);
    if (!c || n == 0 || c->b)
        return (struct rids){NULL, 0};
    struct rids s = prefix_set(c, a, prefixes[0]);
    for (size_t i = 1; i < n && s.n; i++)
        s = rids_intersect(a, s, prefix_set(c, a, prefixes[i]));
    return s;
}

size_t tidx_merge_peak(const struct tidx *t)
{
    size_t peak = 0;
    for (size_t i = 0; i < t->n_colls; i++)
        if (t->colls[i]->merge_peak > peak)
            peak = t->colls[i]->merge_peak;
    return peak;
}

void tidx_size(const struct tidx *t, size_t *terms, size_t *postings, size_t *bytes)
{
    *terms = *postings = *bytes = 0;
    for (size_t i = 0; i < t->n_colls; i++) {
        const struct tcoll *c = t->colls[i];
        size_t np = c->n_terms ? c->post_at[c->n_terms] : 0;
        *terms += c->n_terms;
        *postings += np;
        *bytes += c->text_len + c->n_terms * 2 * sizeof(uint32_t) + np * sizeof(uint32_t) +
                  c->stale_words * sizeof(uint64_t);
        for (size_t d = 0; d < c->n_delta; d++)
            *postings += c->delta[d].n;
    }
}

/* --- the records as lists of terms (similarity, arch/dups.c) ---------------------- */

uint64_t tidx_generation(const struct tidx *t)
{
    return t->gen;
}

/* The base number of term p exactly, or -1. */
static long term_exact(const struct tcoll *c, const char *p)
{
    size_t i = term_lower_bound(c, p);
    return i < c->n_terms && strcmp(term_of(c, i), p) == 0 ? (long)i : -1;
}

static bool doc_has_term(const struct tdoc *d, const char *p)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(d->terms[mid], p);
        if (cmp == 0)
            return true;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

struct rids tidx_term(struct tidx *t, struct arena *a, const char *collection, const char *term)
{
    struct tcoll *c = coll_get(t, collection, false);
    if (!c || c->b)
        return (struct rids){NULL, 0};
    long i = term_exact(c, term);
    struct rids sets[2] = {
        i < 0 ? (struct rids){NULL, 0} : base_set(c, a, (size_t)i, (size_t)i + 1), {NULL, 0}};
    uint32_t *d = NULL;
    size_t nd = 0;
    for (size_t k = 0; k < c->n_delta + c->n_frozen; k++) {
        const struct tdoc *doc = k < c->n_delta ? &c->delta[k] : &c->frozen[k - c->n_delta];
        if ((k < c->n_delta || !in_delta(c, doc->rid)) && doc_has_term(doc, term)) {
            if (!d)
                d = arena_alloc(a, (c->n_delta + c->n_frozen) * sizeof *d);
            d[nd++] = doc->rid;
        }
    }
    if (!nd)
        return sets[0];
    sets[1] = (struct rids){d, sort_unique(d, nd)};
    return rids_union(a, sets, 2);
}

/* The delta's and frozen list's live records (a frozen one counts unless
 * the delta has it again), one after the other. */
static const struct tdoc *live_doc(const struct tcoll *c, size_t k)
{
    if (k < c->n_delta)
        return &c->delta[k];
    const struct tdoc *d = &c->frozen[k - c->n_delta];
    return in_delta(c, d->rid) ? NULL : d;
}

/* The number of term s: its base number, or after the base's, its place
 * among `extra` (sorted, distinct strings of the delta not in the base). */
static uint32_t term_number(const struct tcoll *c, char **extra, size_t n_extra, const char *s)
{
    long i = term_exact(c, s);
    if (i >= 0)
        return (uint32_t)i;
    size_t lo = 0, hi = n_extra;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(extra[mid], s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)(c->n_terms + lo);
}

void tidx_docs(struct tidx *t, const char *collection, const struct rids *only,
               struct tidx_docs *out)
{
    memset(out, 0, sizeof *out);
    struct tcoll *c = coll_get(t, collection, false);
    if (!c || c->b)
        return;
    size_t nd = c->n_delta + c->n_frozen, n_extra = 0;
    /* the delta's terms the base lacks */
    char **extra = NULL;
    for (size_t k = 0; k < nd; k++) {
        const struct tdoc *d = live_doc(c, k);
        for (size_t j = 0; d && j < d->n; j++)
            if (term_exact(c, d->terms[j]) < 0) {
                extra = xrealloc(extra, (n_extra + 1) * sizeof *extra);
                extra[n_extra++] = d->terms[j];
            }
    }
    if (n_extra)
        qsort(extra, n_extra, sizeof *extra, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < n_extra; i++)
        if (!m || strcmp(extra[m - 1], extra[i]) != 0)
            extra[m++] = extra[i];
    n_extra = m;
    size_t words = (size_t)c->max_rid / 64 + 1;
    uint64_t *want = xcalloc(words, sizeof *want);
    for (size_t i = 0; only && i < only->n; i++)
        if (only->v[i] <= c->max_rid)
            want[only->v[i] / 64] |= (uint64_t)1 << (only->v[i] % 64);
    if (!only)
        memset(want, 0xff, words * sizeof *want);
    uint32_t *cnt = xcalloc((size_t)c->max_rid + 1, sizeof *cnt);
    out->n_terms = c->n_terms + n_extra;
    out->df = xcalloc(out->n_terms ? out->n_terms : 1, sizeof *out->df);
    uint64_t *seen = xcalloc(words, sizeof *seen);
    for (size_t i = 0; i < c->n_terms; i++)
        for (uint32_t k = c->post_at[i]; k < c->post_at[i + 1]; k++) {
            uint32_t rid = c->post[k];
            if (is_stale(c, rid))
                continue;
            out->df[i]++;
            seen[rid / 64] |= (uint64_t)1 << (rid % 64);
            if (bit_has(want, words, rid))
                cnt[rid]++;
        }
    for (size_t k = 0; k < nd; k++) {
        const struct tdoc *d = live_doc(c, k);
        for (size_t j = 0; d && j < d->n; j++) {
            out->df[term_number(c, extra, n_extra, d->terms[j])]++;
            seen[d->rid / 64] |= (uint64_t)1 << (d->rid % 64);
            if (bit_has(want, words, d->rid))
                cnt[d->rid]++;
        }
    }
    for (size_t w = 0; w < words; w++)
        out->n_all += (size_t)__builtin_popcountll(seen[w]);
    free(seen);
    for (size_t r = 0; r <= c->max_rid; r++)
        out->n_docs += cnt[r] > 0;
    out->rid = xmalloc((out->n_docs ? out->n_docs : 1) * sizeof *out->rid);
    out->at = xmalloc((out->n_docs + 1) * sizeof *out->at);
    /* cnt becomes each record's next free entry, by rid */
    size_t n = 0, total = 0;
    for (uint32_t r = 0; r <= c->max_rid; r++)
        if (cnt[r]) {
            out->rid[n] = r;
            out->at[n++] = (uint32_t)total;
            uint32_t k = cnt[r];
            cnt[r] = (uint32_t)total;
            total += k;
        }
    out->at[n] = (uint32_t)total;
    out->term = xmalloc((total ? total : 1) * sizeof *out->term);
    for (size_t i = 0; i < c->n_terms; i++)
        for (uint32_t k = c->post_at[i]; k < c->post_at[i + 1]; k++) {
            uint32_t rid = c->post[k];
            if (!is_stale(c, rid) && bit_has(want, words, rid))
                out->term[cnt[rid]++] = (uint32_t)i;
        }
    for (size_t k = 0; k < nd; k++) {
        const struct tdoc *d = live_doc(c, k);
        for (size_t j = 0; d && bit_has(want, words, d->rid) && j < d->n; j++)
            out->term[cnt[d->rid]++] = term_number(c, extra, n_extra, d->terms[j]);
    }
    free(cnt);
    free(want);
    free(extra);
}

void tidx_docs_free(struct tidx_docs *d)
{
    free(d->rid);
    free(d->at);
    free(d->term);
    free(d->df);
    memset(d, 0, sizeof *d);
}
