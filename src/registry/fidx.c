/* fidx: sorted rid sets per filter key, kept in memory.
 *
 * Keys are strings "<tag>\x1f<rest>": c (collection), k (kind), o (owner),
 * f (field value, rest = "collection:field\x1fvalue"). A key's group is the
 * key without its last "\x1f<value>" part; groups list their keys so that a
 * field's values can be enumerated for facets and sorting. */
#include "fidx.h"

#include "relidx.h"
#include "tidx.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/text.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP "\x1f"
#define OWNER_GROUP "o" /* the owners' keys: OWNER_GROUP SEP owner */

struct fkey {
    char *key;
    size_t group;   /* index in groups */
    size_t pos;     /* index in the group's keys */
    uint32_t *rids; /* sorted */
    size_t n, cap;
};

struct group {
    char *name;
    size_t *keys; /* indices into fidx.keys */
    size_t n, cap;
    /* by row id: the pos + 1 of the record's one key of the group (0: none,
     * FIDX_SEVERAL: several); made when first asked (fidx_codes), then
     * kept with the sets (NULL until then) */
    uint8_t *_Atomic codes;
    size_t n_codes;
    /* the same for any number of keys (fidx_one_value): pos + 1, 0 none,
     * UINT32_MAX several; NULL until first asked */
    uint32_t *_Atomic slots;
    size_t n_slots;
};

struct fidx {
    pthread_rwlock_t lock;
    bool ready;
    struct tidx *text; /* the records' words */
    struct relidx *graph; /* the relations between records */
    struct fkey *keys;
    size_t n_keys, cap_keys;
    size_t *table; /* open addressing: key index + 1, 0 = empty */
    size_t table_cap;
    struct group *groups;
    size_t n_groups, cap_groups;
    size_t owner_group; /* the owners' group: its index + 1 (0: none yet) */
};

/* --- staging (per thread) --------------------------------------------------- */

struct staged {
    struct fidx *x;
    uint32_t rid;
    char **keys; /* the old keys, then the new ones; or the words */
    size_t n_old, n_new;
    char *text_coll; /* words of a record of this collection (keys: n_new words) */
    char graph;      /* 'n': a node (keys: id, kind), 'e': an edge (keys: id, type,
                        source, target, visible), 0: filter keys or words */
    bool live;       /* the node or edge is live */
    struct staged *next;
};

/* A list of staged changes handed from one thread to another. */
struct fidx_staged {
    struct staged *head;
};

static __thread struct staged *staged_head, *staged_tail;

/* --- hashing ------------------------------------------------------------------ */

static size_t *table_slot(struct fidx *x, const char *key)
{
    size_t mask = x->table_cap - 1;
    for (size_t i = text_hash(key, strlen(key)) & mask;; i = (i + 1) & mask) {
        size_t v = x->table[i];
        if (v == 0 || strcmp(x->keys[v - 1].key, key) == 0)
            return &x->table[i];
    }
}

static void table_grow(struct fidx *x)
{
    size_t cap = x->table_cap ? x->table_cap * 2 : 1024;
    free(x->table);
    x->table = xcalloc(cap, sizeof *x->table);
    x->table_cap = cap;
    for (size_t k = 0; k < x->n_keys; k++)
        *table_slot(x, x->keys[k].key) = k + 1;
}

static size_t group_of(struct fidx *x, const char *key)
{
    const char *last = strrchr(key, SEP[0]);
    size_t len = last ? (size_t)(last - key) : strlen(key);
    for (size_t g = 0; g < x->n_groups; g++)
        if (strlen(x->groups[g].name) == len && strncmp(x->groups[g].name, key, len) == 0)
            return g;
    if (x->n_groups == x->cap_groups) {
        x->cap_groups = x->cap_groups ? x->cap_groups * 2 : 64;
        x->groups = xrealloc(x->groups, x->cap_groups * sizeof *x->groups);
    }
    struct group *g = &x->groups[x->n_groups];
    memset(g, 0, sizeof *g);
    g->name = xmalloc(len + 1);
    memcpy(g->name, key, len);
    g->name[len] = '\0';
    if (strcmp(g->name, OWNER_GROUP) == 0)
        x->owner_group = x->n_groups + 1;
    return x->n_groups++;
}

/* The index of key, created when missing. */
static size_t key_index(struct fidx *x, const char *key)
{
    if (x->table_cap == 0 || (x->n_keys + 1) * 2 > x->table_cap)
        table_grow(x);
    size_t *slot = table_slot(x, key);
    if (*slot)
        return *slot - 1;
    if (x->n_keys == x->cap_keys) {
        x->cap_keys = x->cap_keys ? x->cap_keys * 2 : 1024;
        x->keys = xrealloc(x->keys, x->cap_keys * sizeof *x->keys);
    }
    struct fkey *k = &x->keys[x->n_keys];
    memset(k, 0, sizeof *k);
    k->key = xstrdup(key);
    k->group = group_of(x, key);
    struct group *g = &x->groups[k->group];
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        g->keys = xrealloc(g->keys, g->cap * sizeof *g->keys);
    }
    k->pos = g->n;
    g->keys[g->n++] = x->n_keys;
    *slot = x->n_keys + 1;
    return x->n_keys++;
}

/* --- sets ---------------------------------------------------------------------- */

static size_t lower_bound(const uint32_t *v, size_t n, uint32_t rid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < rid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void set_add(struct fkey *k, uint32_t rid)
{
    size_t at = (k->n && k->rids[k->n - 1] < rid) ? k->n : lower_bound(k->rids, k->n, rid);
    if (at < k->n && k->rids[at] == rid)
        return;
    if (k->n == k->cap) { /* by a quarter: a set sized to fit at build grows a little */
        k->cap = k->cap + k->cap / 4 + 4;
        k->rids = xrealloc(k->rids, k->cap * sizeof *k->rids);
    }
    memmove(k->rids + at + 1, k->rids + at, (k->n - at) * sizeof *k->rids);
    k->rids[at] = rid;
    k->n++;
}

static void set_remove(struct fkey *k, uint32_t rid)
{
    size_t at = lower_bound(k->rids, k->n, rid);
    if (at < k->n && k->rids[at] == rid) {
        memmove(k->rids + at, k->rids + at + 1, (k->n - at - 1) * sizeof *k->rids);
        k->n--;
    }
}

/* --- codes by row id ------------------------------------------------------------ */

/* The slot of rid in group g from the sets: its one key's pos + 1, 0 or
 * UINT32_MAX (several). */
static uint32_t slot_from_sets(const struct fidx *x, const struct group *g, uint32_t rid)
{
    uint32_t slot = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct fkey *k = &x->keys[g->keys[i]];
        size_t at = lower_bound(k->rids, k->n, rid);
        if (at < k->n && k->rids[at] == rid)
            slot = slot ? UINT32_MAX : (uint32_t)(i + 1);
    }
    return slot;
}

/* The code of rid in group g from the sets: its one key's pos + 1, 0 or
 * FIDX_SEVERAL. */
static uint8_t code_from_sets(const struct fidx *x, const struct group *g, uint32_t rid)
{
    uint32_t slot = slot_from_sets(x, g, rid);
    return slot == UINT32_MAX ? FIDX_SEVERAL : (uint8_t)slot;
}

/* Keeps g's slots (when made) after rid joined (the key at pos) or left
 * (joined false) one of its keys (under the write lock). */
static void slot_update(struct fidx *x, struct group *g, size_t pos, bool joined, uint32_t rid)
{
    uint32_t *slots = atomic_load(&g->slots);
    if (!slots)
        return;
    if (rid >= g->n_slots) {
        size_t n = rid + rid / 4 + 1024;
        slots = xrealloc(slots, n * sizeof *slots);
        memset(slots + g->n_slots, 0, (n - g->n_slots) * sizeof *slots);
        g->n_slots = n;
        atomic_store(&g->slots, slots);
    }
    if (joined && !slots[rid])
        slots[rid] = (uint32_t)pos + 1; /* the common case: no search */
    else
        slots[rid] = slot_from_sets(x, g, rid);
}

/* Keeps g's codes (when made) after rid joined or left key k (under the
 * write lock). */
static void code_update(struct fidx *x, const struct fkey *k, uint32_t rid, bool joined)
{
    struct group *g = &x->groups[k->group];
    slot_update(x, g, k->pos, joined, rid);
    uint8_t *codes = atomic_load(&g->codes);
    if (!codes)
        return;
    if (g->n >= FIDX_SEVERAL) { /* too many values for a code: sets only */
        atomic_store(&g->codes, NULL);
        free(codes);
        return;
    }
    if (rid >= g->n_codes) {
        size_t n = rid + rid / 4 + 1024;
        codes = xrealloc(codes, n);
        memset(codes + g->n_codes, 0, n - g->n_codes);
        g->n_codes = n;
        atomic_store(&g->codes, codes);
    }
    codes[rid] = code_from_sets(x, g, rid);
}

/* Adds rid to key's set (key_index may move x->keys: index first). */
static void add_to(struct fidx *x, const char *key, uint32_t rid)
{
    size_t k = key_index(x, key);
    set_add(&x->keys[k], rid);
    code_update(x, &x->keys[k], rid, true);
}

/* Moves rid from its old keys' sets to its new keys' sets (under the
 * write lock). */
static void apply(struct fidx *x, uint32_t rid, char *const *keys, size_t n_old, size_t n_new)
{
    for (size_t i = 0; i < n_old; i++) {
        size_t *slot = table_slot(x, keys[i]);
        if (*slot) {
            set_remove(&x->keys[*slot - 1], rid);
            code_update(x, &x->keys[*slot - 1], rid, false);
        }
    }
    for (size_t i = n_old; i < n_old + n_new; i++)
        add_to(x, keys[i], rid);
}

static void apply_staged(struct fidx *x, const struct staged *s)
{
    if (s->graph == 'n') {
        relidx_set_node(x->graph, s->keys[0], s->keys[1], s->rid, s->live);
        return;
    }
    if (s->graph == 'e') {
        relidx_set_edge(x->graph, s->rid, s->keys[0], s->keys[1], s->keys[2], s->keys[3],
                        s->keys[4], s->live);
        return;
    }
    if (!s->text_coll) {
        apply(x, s->rid, s->keys, s->n_old, s->n_new);
        return;
    }
    size_t *lens = xmalloc((s->n_new ? s->n_new : 1) * sizeof *lens);
    for (size_t i = 0; i < s->n_new; i++)
        lens[i] = strlen(s->keys[i]);
    tidx_set(x->text, s->text_coll, s->rid, (const char *const *)s->keys, lens, s->n_new);
    free(lens);
}

/* --- life cycle ----------------------------------------------------------------- */

struct fidx *fidx_new(void)
{
    struct fidx *x = xcalloc(1, sizeof *x);
    if (pthread_rwlock_init(&x->lock, NULL) != 0)
        fatal("fidx: cannot create a lock");
    x->text = tidx_new(&x->lock);
    x->graph = relidx_new();
    return x;
}

void fidx_free(struct fidx *x)
{
    if (!x)
        return;
    fidx_discard(x);
    for (size_t i = 0; i < x->n_keys; i++) {
        free(x->keys[i].key);
        free(x->keys[i].rids);
    }
    for (size_t g = 0; g < x->n_groups; g++) {
        free(x->groups[g].name);
        free(x->groups[g].keys);
        free(atomic_load(&x->groups[g].codes));
        free(atomic_load(&x->groups[g].slots));
    }
    free(x->keys);
    free(x->table);
    free(x->groups);
    tidx_free(x->text);
    relidx_free(x->graph);
    pthread_rwlock_destroy(&x->lock);
    free(x);
}

bool fidx_ready(const struct fidx *x)
{
    return x && x->ready;
}

char *fidx_key_collection(struct arena *a, const char *collection)
{
    return arena_printf(a, "c" SEP "%s", collection);
}

char *fidx_key_kind(struct arena *a, const char *kind)
{
    return arena_printf(a, "k" SEP "%s", kind);
}

char *fidx_key_owner(struct arena *a, const char *owner)
{
    return arena_printf(a, OWNER_GROUP SEP "%s", owner);
}

char *fidx_key_field(struct arena *a, const char *field, const char *value)
{
    return arena_printf(a, "f" SEP "%s" SEP "%s", field, value);
}

static int build_records(struct fidx *x, struct store_conn *c, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c, "SELECT rid, collection, kind, owner FROM records WHERE retired = 0 ORDER BY rid",
        false, e);
    if (!st)
        return -1;
    struct arena *a = arena_new();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        uint32_t rid = (uint32_t)store_col_int64(st, 0);
        add_to(x, fidx_key_collection(a, store_col_text(st, 1)), rid);
        add_to(x, fidx_key_kind(a, store_col_text(st, 2)), rid);
        if (!store_col_null(st, 3))
            add_to(x, fidx_key_owner(a, store_col_text(st, 3)), rid);
    }
    store_finalize(st);
    arena_free(a);
    return rc == STORE_ERROR ? -1 : 0;
}

static int build_attrs(struct fidx *x, struct store_conn *c, fidx_field_pred want, void *ctx,
                       struct err *e)
{
    /* model fields are stored as "collection:field"; other entries
     * (relation ends, references) are not list filters */
    struct store_stmt *st = store_prepare(
        c, "SELECT field, value, rid FROM attrs WHERE instr(field, ':') > 0", false, e);
    if (!st)
        return -1;
    struct arena *a = arena_new();
    int rc;
    size_t n = 0;
    char last_field[192] = "";
    bool wanted = false;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *field = store_col_text(st, 0);
        if (strcmp(field, last_field) != 0) { /* rows come grouped by field */
            snprintf(last_field, sizeof last_field, "%s", field);
            wanted = want(ctx, field);
        }
        if (!wanted)
            continue;
        const char *key = fidx_key_field(a, field, store_col_text(st, 1));
        add_to(x, key, (uint32_t)store_col_int64(st, 2));
        if (++n % 4096 == 0) { /* keep the scratch arena small */
            arena_free(a);
            a = arena_new();
        }
    }
    store_finalize(st);
    arena_free(a);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The words of one text, as the store's full-text index splits them,
 * copied into one buffer. */
struct words {
    struct buf text;
    size_t *at, *len;
    size_t n, cap;
};

static void add_word(void *vctx, const char *w, size_t n)
{
    struct words *ws = vctx;
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 64;
        ws->at = xrealloc(ws->at, ws->cap * sizeof *ws->at);
        ws->len = xrealloc(ws->len, ws->cap * sizeof *ws->len);
    }
    ws->at[ws->n] = ws->text.len;
    ws->len[ws->n++] = n;
    if (buf_append(&ws->text, w, n) < 0 || buf_putc(&ws->text, '\0') < 0)
        fatal("fidx: text too large");
}

/* Splits text into ws (emptied first); the word pointers are in `ptrs`
 * (ws->n of them, valid until the next call). */
static int split_words(struct store_conn *c, const char *text, size_t len, struct words *ws,
                       const char ***ptrs)
{
    ws->n = 0;
    ws->text.len = 0;
    if (store_fts_terms(c, text, len, add_word, ws) < 0)
        return -1;
    *ptrs = xrealloc((void *)*ptrs, (ws->n ? ws->n : 1) * sizeof **ptrs);
    for (size_t i = 0; i < ws->n; i++)
        (*ptrs)[i] = ws->text.p + ws->at[i];
    return 0;
}

static void words_free(struct words *ws, const char **ptrs)
{
    buf_free(&ws->text);
    free(ws->at);
    free(ws->len);
    free((void *)ptrs);
}

/* One pass over the records' texts into the word index. */
static int text_pass(struct fidx *x, struct store_conn *c, struct err *e)
{
    struct store_stmt *st =
        store_prepare(c, "SELECT rid, coll, body FROM search_text ORDER BY rid", true, e);
    if (!st)
        return -1;
    struct words ws = {0};
    buf_init(&ws.text, 0);
    const char **ptrs = NULL;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *body = store_col_text(st, 2);
        if (split_words(c, body ? body : "", store_col_bytes(st, 2), &ws, &ptrs) < 0) {
            err_internal(e, "the full-text tokenizer is not available");
            rc = STORE_ERROR;
            break;
        }
        tidx_load(x->text, store_col_text(st, 1), (uint32_t)store_col_int64(st, 0), ptrs,
                  ws.len, ws.n);
    }
    store_reset(st);
    words_free(&ws, ptrs);
    return rc == STORE_ERROR ? -1 : 0;
}

static int build_text(struct fidx *x, struct store_conn *c, struct err *e)
{
    int rc = text_pass(x, c, e);
    tidx_fill_begin(x->text);
    if (rc == 0)
        rc = text_pass(x, c, e);
    tidx_seal(x->text);
    size_t terms, postings, bytes;
    tidx_size(x->text, &terms, &postings, &bytes);
    log_msg(LOG_INFO, "fidx: text index of %zu words, %zu entries, %zu kB", terms, postings,
            bytes / 1024);
    return rc;
}

/* Adds to field="" every record of `kind` that has no value for field. */
static void build_absent(struct fidx *x, const char *kind, const char *field)
{
    if (!x->table_cap) /* no records */
        return;
    struct arena *a = arena_new();
    size_t *slot = table_slot(x, fidx_key_kind(a, kind));
    if (!*slot || !x->keys[*slot - 1].n) {
        arena_free(a);
        return;
    }
    size_t kind_key = *slot - 1;
    uint32_t max = x->keys[kind_key].rids[x->keys[kind_key].n - 1];
    uint64_t *has = xcalloc(max / 64 + 1, sizeof *has); /* rids with a value */
    const char *group = arena_printf(a, "f" SEP "%s", field);
    for (size_t g = 0; g < x->n_groups; g++) {
        if (strcmp(x->groups[g].name, group) != 0)
            continue;
        for (size_t i = 0; i < x->groups[g].n; i++) {
            const struct fkey *k = &x->keys[x->groups[g].keys[i]];
            for (size_t j = 0; j < k->n && k->rids[j] <= max; j++)
                has[k->rids[j] / 64] |= UINT64_C(1) << (k->rids[j] % 64);
        }
    }
    size_t none = key_index(x, fidx_key_field(a, field, "")); /* may move x->keys */
    const struct fkey *members = &x->keys[kind_key];
    for (size_t i = 0; i < members->n; i++) {
        uint32_t rid = members->rids[i];
        if (!(has[rid / 64] >> (rid % 64) & 1))
            set_add(&x->keys[none], rid);
    }
    free(has);
    arena_free(a);
}

static int build_graph(struct fidx *x, struct store_conn *c, struct err *e)
{
    int rc = relidx_load_now(x->graph, c, e);
    size_t nodes, edges, bytes;
    relidx_size(x->graph, &nodes, &edges, &bytes);
    log_msg(LOG_INFO, "fidx: relations graph of %zu records, %zu relations, %zu kB", nodes, edges,
            bytes / 1024);
    return rc;
}

/* Gives each set back the room it has beyond its rids (the build grows
 * them step by step), and logs the filter keys' size. */
static void fit_sets(struct fidx *x)
{
    size_t rids = 0, bytes = x->cap_keys * sizeof *x->keys + x->table_cap * sizeof *x->table;
    for (size_t i = 0; i < x->n_keys; i++) {
        struct fkey *k = &x->keys[i];
        if (k->n && k->cap > k->n) {
            k->rids = xrealloc(k->rids, k->n * sizeof *k->rids);
            k->cap = k->n;
        }
        rids += k->n;
        bytes += k->cap * sizeof *k->rids + strlen(k->key) + 1;
    }
    log_msg(LOG_INFO, "fidx: %zu filter keys, %zu entries, %zu kB", x->n_keys, rids, bytes / 1024);
}

int fidx_build(struct fidx *x, struct store_conn *c, fidx_field_pred want, void *ctx,
               const struct fidx_absent *absent, size_t n_absent, struct err *e)
{
    pthread_rwlock_wrlock(&x->lock);
    int rc = store_begin(c, false, e);
    if (rc == 0)
        rc = build_records(x, c, e);
    if (rc == 0)
        rc = build_attrs(x, c, want, ctx, e);
    for (size_t i = 0; rc == 0 && i < n_absent; i++)
        build_absent(x, absent[i].kind, absent[i].field);
    if (rc == 0)
        fit_sets(x);
    if (rc == 0)
        rc = build_text(x, c, e);
    if (rc == 0)
        rc = build_graph(x, c, e);
    store_rollback(c);
    x->ready = rc == 0;
    pthread_rwlock_unlock(&x->lock);
    return rc;
}

/* --- staging ----------------------------------------------------------------- */

/* Appends s to this thread's staged changes. */
static void staged_push(struct staged *s)
{
    if (staged_tail)
        staged_tail->next = s;
    else
        staged_head = s;
    staged_tail = s;
}

void fidx_stage(struct fidx *x, int64_t rid, const char *const *old_keys, size_t n_old,
                const char *const *new_keys, size_t n_new)
{
    if (!fidx_ready(x) || rid <= 0 || rid > UINT32_MAX)
        return;
    struct staged *s = xcalloc(1, sizeof *s);
    s->x = x;
    s->rid = (uint32_t)rid;
    s->keys = xcalloc(n_old + n_new ? n_old + n_new : 1, sizeof *s->keys);
    for (size_t i = 0; i < n_old; i++)
        s->keys[i] = xstrdup(old_keys[i]);
    for (size_t i = 0; i < n_new; i++)
        s->keys[n_old + i] = xstrdup(new_keys[i]);
    s->n_old = n_old;
    s->n_new = n_new;
    staged_push(s);
}

int fidx_stage_text(struct fidx *x, struct store_conn *c, int64_t rid, const char *collection,
                    const char *text)
{
    if (!fidx_ready(x) || rid <= 0 || rid > UINT32_MAX)
        return 0;
    struct words ws = {0};
    buf_init(&ws.text, 0);
    const char **ptrs = NULL;
    if (text && split_words(c, text, strlen(text), &ws, &ptrs) < 0) {
        words_free(&ws, ptrs);
        return -1;
    }
    struct staged *s = xcalloc(1, sizeof *s);
    s->x = x;
    s->rid = (uint32_t)rid;
    s->text_coll = xstrdup(collection);
    s->keys = xcalloc(ws.n ? ws.n : 1, sizeof *s->keys);
    for (size_t i = 0; i < ws.n; i++)
        s->keys[i] = xstrdup(ptrs[i]);
    s->n_new = ws.n;
    words_free(&ws, ptrs);
    staged_push(s);
    return 0;
}

/* Stages a node or an edge of the graph (strings: n of them, NULL kept). */
static void stage_graph(struct fidx *x, char what, int64_t rid, const char *const *strs, size_t n,
                        bool live)
{
    if (!fidx_ready(x) || rid <= 0 || rid >= UINT32_MAX)
        return;
    struct staged *s = xcalloc(1, sizeof *s);
    s->x = x;
    s->rid = (uint32_t)rid;
    s->graph = what;
    s->live = live;
    s->keys = xcalloc(n, sizeof *s->keys);
    for (size_t i = 0; i < n; i++)
        s->keys[i] = strs[i] ? xstrdup(strs[i]) : NULL;
    s->n_new = n;
    staged_push(s);
}

void fidx_stage_node(struct fidx *x, int64_t rid, const char *id, const char *kind, bool live)
{
    const char *strs[] = {id, kind};
    stage_graph(x, 'n', rid, strs, 2, live);
}

void fidx_stage_edge(struct fidx *x, int64_t rid, const char *id, const char *type,
                     const char *source, const char *target, const char *visible, bool live)
{
    const char *strs[] = {id, type, source, target, visible};
    stage_graph(x, 'e', rid, strs, 5, live);
}

struct relidx *fidx_graph(struct fidx *x)
{
    return x->graph;
}

struct tidx *fidx_text(struct fidx *x)
{
    return x->text;
}

static void staged_free(struct staged *s)
{
    free(s->text_coll);
    for (size_t i = 0; i < s->n_old + s->n_new; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s);
}

void fidx_commit(struct fidx *x)
{
    if (!staged_head)
        return;
    pthread_rwlock_wrlock(&x->lock);
    for (struct staged *s = staged_head; s; s = s->next)
        if (s->x == x)
            apply_staged(x, s);
    pthread_rwlock_unlock(&x->lock);
    fidx_discard(x);
}

struct fidx_staged *fidx_take_staged(void)
{
    if (!staged_head)
        return NULL;
    struct fidx_staged *t = xcalloc(1, sizeof *t);
    t->head = staged_head;
    staged_head = staged_tail = NULL;
    return t;
}

void fidx_apply_taken(struct fidx *x, struct fidx_staged *list, bool committed)
{
    if (!list)
        return;
    if (committed) {
        pthread_rwlock_wrlock(&x->lock);
        for (struct staged *s = list->head; s; s = s->next)
            if (s->x == x)
                apply_staged(x, s);
        pthread_rwlock_unlock(&x->lock);
    }
    struct staged *s = list->head;
    while (s) {
        struct staged *next = s->next;
        staged_free(s);
        s = next;
    }
    free(list);
}

json_t *fidx_staged_json(const struct fidx_staged *list)
{
    json_t *a = json_array();
    for (const struct staged *s = list ? list->head : NULL; s; s = s->next) {
        json_t *keys = json_array();
        for (size_t i = 0; i < s->n_old + s->n_new; i++)
            json_array_append_new(keys, s->keys[i] ? json_string(s->keys[i]) : json_null());
        json_t *o = json_pack("{s:I, s:o}", "r", (json_int_t)s->rid, "k", keys);
        if (s->n_old)
            json_object_set_new(o, "o", json_integer((json_int_t)s->n_old));
        if (s->text_coll)
            json_object_set_new(o, "t", json_string(s->text_coll));
        if (s->graph)
            json_object_set_new(o, "g", json_stringn(&s->graph, 1));
        if (s->live)
            json_object_set_new(o, "l", json_true());
        json_array_append_new(a, o);
    }
    return a;
}

/* One change of fidx_staged_json's form; NULL when it is not one. */
static struct staged *staged_from_json(struct fidx *x, const json_t *o)
{
    json_int_t rid = json_integer_value(json_object_get(o, "r"));
    const json_t *keys = json_object_get(o, "k"), *old = json_object_get(o, "o");
    const char *text = json_string_value(json_object_get(o, "t"));
    const char *graph = json_string_value(json_object_get(o, "g"));
    size_t n = json_array_size(keys), n_old = (size_t)json_integer_value(old);
    if (rid <= 0 || rid > UINT32_MAX || !json_is_array(keys) || (old && !json_is_integer(old)) ||
        n_old > n || (graph && strcmp(graph, "n") != 0 && strcmp(graph, "e") != 0) ||
        (graph && (n != (*graph == 'n' ? 2u : 5u) || n_old)) || (text && (graph || n_old)))
        return NULL;
    struct staged *s = xcalloc(1, sizeof *s);
    s->x = x;
    s->rid = (uint32_t)rid;
    s->keys = xcalloc(n ? n : 1, sizeof *s->keys);
    s->n_old = n_old;
    s->n_new = n - n_old;
    s->text_coll = text ? xstrdup(text) : NULL;
    s->graph = graph ? *graph : 0;
    s->live = json_is_true(json_object_get(o, "l"));
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const json_t *k = json_array_get(keys, i);
        /* only a graph's strings may be null (an edge's visibility) */
        ok = ok && (json_is_string(k) || (graph && json_is_null(k)));
        s->keys[i] = json_is_string(k) ? xstrdup(json_string_value(k)) : NULL;
    }
    if (!ok) {
        staged_free(s);
        return NULL;
    }
    return s;
}

struct fidx_staged *fidx_staged_from_json(struct fidx *x, const json_t *a)
{
    if (!json_is_array(a))
        return NULL;
    struct fidx_staged *list = xcalloc(1, sizeof *list);
    struct staged **tail = &list->head;
    size_t i;
    const json_t *o;
    json_array_foreach (a, i, o) {
        struct staged *s = staged_from_json(x, o);
        if (!s) {
            fidx_apply_taken(x, list, false); /* frees what was made */
            return NULL;
        }
        *tail = s;
        tail = &s->next;
    }
    return list;
}

void fidx_discard(struct fidx *x)
{
    (void)x;
    struct staged *s = staged_head;
    while (s) {
        struct staged *next = s->next;
        staged_free(s);
        s = next;
    }
    staged_head = staged_tail = NULL;
}

/* --- reading ----------------------------------------------------------------- */

void fidx_read_lock(struct fidx *x)
{
    pthread_rwlock_rdlock(&x->lock);
}

void fidx_read_unlock(struct fidx *x)
{
    pthread_rwlock_unlock(&x->lock);
}

struct rids fidx_get(struct fidx *x, const char *key)
{
    struct rids r = {NULL, 0};
    if (x->table_cap == 0)
        return r;
    size_t v = *table_slot(x, key);
    if (v) {
        r.v = x->keys[v - 1].rids;
        r.n = x->keys[v - 1].n;
    }
    return r;
}

/* The group of "f" SEP field, or NULL (never made here: readers only). */
static struct group *field_group(struct fidx *x, const char *field)
{
    size_t n = strlen(field);
    for (size_t g = 0; g < x->n_groups; g++) {
        const char *name = x->groups[g].name;
        if (name[0] == 'f' && name[1] == SEP[0] && strncmp(name + 2, field, n) == 0 && !name[2 + n])
            return &x->groups[g];
    }
    return NULL;
}

/* Makes the first asker's codes: readers hold the read lock (no write
 * runs), and one of them at a time makes them. */
static pthread_mutex_t codes_lock = PTHREAD_MUTEX_INITIALIZER;

/* g's values by row id from its sets, `width` bytes each (1: codes, 4:
 * slots): a record's one key's pos + 1, 0 none, all ones several; made
 * past the highest row id the sets hold (*n), with room for new ones. */
static void *group_per_row(const struct fidx *x, const struct group *g, size_t width, size_t *n)
{
    *n = 1024;
    for (size_t i = 0; i < g->n; i++) {
        const struct fkey *k = &x->keys[g->keys[i]];
        if (k->n && k->rids[k->n - 1] >= *n)
            *n = (size_t)k->rids[k->n - 1] + 1024;
    }
    void *out = xcalloc(*n, width);
    for (size_t i = 0; i < g->n; i++) {
        const struct fkey *k = &x->keys[g->keys[i]];
        for (size_t j = 0; j < k->n; j++) {
            if (width == 1) {
                uint8_t *c = (uint8_t *)out + k->rids[j];
                *c = *c ? FIDX_SEVERAL : (uint8_t)(i + 1);
            } else {
                uint32_t *s = (uint32_t *)out + k->rids[j];
                *s = *s ? UINT32_MAX : (uint32_t)(i + 1);
            }
        }
    }
    return out;
}

bool fidx_codes(struct fidx *x, const char *field, struct fidx_codes *out)
{
    struct group *g = field_group(x, field);
    *out = (struct fidx_codes){NULL, 0};
    if (!g || g->n >= FIDX_SEVERAL)
        return false;
    uint8_t *codes = atomic_load(&g->codes);
    if (!codes) {
        pthread_mutex_lock(&codes_lock);
        if (!(codes = atomic_load(&g->codes))) {
            codes = group_per_row(x, g, 1, &g->n_codes);
            atomic_store(&g->codes, codes);
        }
        pthread_mutex_unlock(&codes_lock);
    }
    *out = (struct fidx_codes){codes, g->n_codes};
    return true;
}

/* The group of a field's values: "owner", or "collection:field" (NULL:
 * none yet). */
static struct group *values_group(struct fidx *x, const char *field)
{
    if (strcmp(field, "owner") != 0)
        return field_group(x, field);
    return x->owner_group ? &x->groups[x->owner_group - 1] : NULL;
}

const char *fidx_one_value(struct fidx *x, const char *field, uint32_t rid, size_t *pos)
{
    struct group *g = values_group(x, field);
    if (!g)
        return NULL;
    uint32_t *slots = atomic_load(&g->slots);
    if (!slots) {
        pthread_mutex_lock(&codes_lock);
        if (!(slots = atomic_load(&g->slots))) {
            slots = group_per_row(x, g, sizeof *slots, &g->n_slots);
            atomic_store(&g->slots, slots);
        }
        pthread_mutex_unlock(&codes_lock);
    }
    uint32_t s = rid < g->n_slots ? slots[rid] : 0;
    if (!s || s == UINT32_MAX)
        return NULL;
    *pos = s - 1;
    /* the key is the group's name, SEP, the value */
    return x->keys[g->keys[s - 1]].key + strlen(g->name) + 1;
}

uint8_t fidx_code(struct fidx *x, struct arena *a, const char *field, const char *value)
{
    size_t v = x->table_cap ? *table_slot(x, fidx_key_field(a, field, value)) : 0;
    return v && x->keys[v - 1].pos + 1 < FIDX_SEVERAL ? (uint8_t)(x->keys[v - 1].pos + 1) : 0;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t fidx_values(struct fidx *x, struct arena *a, const char *field, const char ***out)
{
    const struct group *gr = values_group(x, field);
    *out = NULL;
    if (!gr)
        return 0;
    const char **vals = arena_calloc(a, gr->n ? gr->n : 1, sizeof *vals);
    size_t n = 0, skip = strlen(gr->name) + 1; /* a key: the group's name, SEP, the value */
    for (size_t i = 0; i < gr->n; i++)
        if (x->keys[gr->keys[i]].n > 0)
            vals[n++] = arena_strdup(a, x->keys[gr->keys[i]].key + skip);
    qsort(vals, n, sizeof *vals, cmp_cstr);
    *out = vals;
    return n;
}

/* --- set algebra ------------------------------------------------------------- */

int fidx_text_match(struct fidx *x, struct store_conn *c, struct arena *a,
                    const char *collection, const char *const *words, size_t n, struct rids *out)
{
    const char **prefixes = NULL;
    size_t np = 0, cap = 0;
    struct words ws = {0};
    buf_init(&ws.text, 0);
    const char **ptrs = NULL;
    for (size_t i = 0; i < n; i++) {
        if (split_words(c, words[i], strlen(words[i]), &ws, &ptrs) < 0) {
            words_free(&ws, ptrs);
            return -1;
        }
        for (size_t k = 0; k < ws.n; k++) {
            if (np == cap) {
                cap = cap ? cap * 2 : 8;
                const char **more = arena_alloc(a, cap * sizeof *more);
                if (np)
                    memcpy(more, prefixes, np * sizeof *more);
                prefixes = more;
            }
            prefixes[np++] = arena_strdup(a, ptrs[k]);
        }
    }
    words_free(&ws, ptrs);
    pthread_rwlock_rdlock(&x->lock);
    *out = tidx_match(x->text, a, collection, prefixes, np);
    pthread_rwlock_unlock(&x->lock);
    return 0;
}

struct rids rids_copy(struct arena *a, struct rids x)
{
    uint32_t *v = arena_alloc(a, (x.n ? x.n : 1) * sizeof *v);
    if (x.n)
        memcpy(v, x.v, x.n * sizeof *v);
    return (struct rids){v, x.n};
}

static struct rids merge2(struct arena *a, struct rids x, struct rids y)
{
    uint32_t *v = arena_alloc(a, (x.n + y.n ? x.n + y.n : 1) * sizeof *v);
    size_t i = 0, j = 0, n = 0;
    while (i < x.n && j < y.n) {
        if (x.v[i] < y.v[j])
            v[n++] = x.v[i++];
        else if (y.v[j] < x.v[i])
            v[n++] = y.v[j++];
        else
            v[n++] = x.v[i++], j++;
    }
    while (i < x.n)
        v[n++] = x.v[i++];
    while (j < y.n)
        v[n++] = y.v[j++];
    return (struct rids){v, n};
}

struct rids rids_union(struct arena *a, const struct rids *sets, size_t n)
{
    if (n == 0)
        return (struct rids){NULL, 0};
    struct rids acc = sets[0];
    for (size_t i = 1; i < n; i++)
        acc = merge2(a, acc, sets[i]);
    return acc;
}

/* Intersects x and y into out (which may be NULL: count only); returns the
 * size. Galloping when one side is much smaller, a linear merge otherwise. */
static size_t intersect(struct rids x, struct rids y, uint32_t *out)
{
    if (x.n > y.n) {
        struct rids t = x;
        x = y;
        y = t;
    }
    size_t n = 0;
    if (x.n * 16 < y.n) {
        size_t lo = 0;
        for (size_t i = 0; i < x.n && lo < y.n; i++) {
            lo += lower_bound(y.v + lo, y.n - lo, x.v[i]);
            if (lo < y.n && y.v[lo] == x.v[i] && out)
                out[n] = x.v[i];
            n += lo < y.n && y.v[lo] == x.v[i];
        }
        return n;
    }
    size_t i = 0, j = 0;
    while (i < x.n && j < y.n) {
        if (x.v[i] < y.v[j]) {
            i++;
        } else if (y.v[j] < x.v[i]) {
            j++;
        } else {
            if (out)
                out[n] = x.v[i];
            n++, i++, j++;
        }
    }
    return n;
}

struct rids rids_intersect(struct arena *a, struct rids x, struct rids y)
{
    size_t cap = x.n < y.n ? x.n : y.n;
    uint32_t *v = arena_alloc(a, (cap ? cap : 1) * sizeof *v);
    return (struct rids){v, intersect(x, y, v)};
}

size_t rids_intersect_count(struct rids x, struct rids y)
{
    return intersect(x, y, NULL);
}

size_t rids_lower_bound(struct rids x, uint32_t rid)
{
    return lower_bound(x.v, x.n, rid);
}

bool rids_has(struct rids x, uint32_t rid)
{
    size_t at = lower_bound(x.v, x.n, rid);
    return at < x.n && x.v[at] == rid;
}
