/* ruleidx: the model's rules judged once over every record and kept, so
 * that the report answers from memory and a write costs the re-judging of
 * the records it can change (issue 16: all rules in about a second, one
 * write in milliseconds).
 *
 * For each rule a nibble per row id: 0 the rule does not apply, 1 it
 * holds, 2 + j it is broken with requirement j at fault (0 the fields or
 * items; 1 + i relations[i]; 1 + n_relations the first of any_of). The
 * rules are judged as rule-count.c counts them: over every record,
 * whoever may read it, with a type's inherited items as a reader of
 * everything reads them, on each record's judging day.
 *
 * A committed write marks the record it wrote and those it names (every
 * reference it held before and holds after but its owner, a relation's
 * ends: reg_index_entries' "_ref", "source" and "target"). Before a
 * report they are widened to all the records whose judgement they can
 * change, then judged again (closure below):
 * - of a record written: the records related to it by a relation of a
 *   type whose far end (or own fields) a rule judges; the records that
 *   refer to it (a `ref` requirement on the target's fields; a measure's
 *   items whose source it is), but those an organisation owns only when a
 *   rule's `ref` is the owner; up and down the chain of inheritance from it
 *   and from those (inherited items; a measure taken over the chain);
 * - of a record named: itself (a count of what refers to it or is related
 *   to it) and the records above it in a chain.
 * A rule whose requirement reaches further (a measure over other paths)
 * is not kept here: a report that chooses it is computed the slow way. The
 * whole index is judged again when the local day changes (date terms,
 * rules in force). Another node's writes (issue 19) will need the same
 * change feed as the filter index. */
#include "registry/internal.h"
#include "registry/fidx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most records one re-judgement widens a write to (beyond that, the
 * whole index is judged again). */
#define RULEIDX_MAX_CLOSURE 20000
/* The most levels of a chain of inheritance followed. */
#define RULEIDX_MAX_DEPTH 32

struct part;

struct ruleidx {
    pthread_mutex_t mu;  /* judging and reading */
    pthread_mutex_t dmu; /* the dirty set, which writes fill */
    bool built;
    bool started;        /* a build began: writes are marked from then on */
    int64_t day;         /* the local day it was judged on */
    size_t n_rules, cap; /* cap: row ids covered (even) */
    uint8_t **st;        /* per rule: cap / 2 bytes of nibbles */
    bool *tracked;       /* per rule: kept here */
    json_t *dirty;       /* id -> RULEIDX_WRITTEN…, written since */
    json_t *reads;       /* the members the rules read (rule_mem_fields), once asked */
    bool owner_refs;     /* some rule's `ref` is the owner */
    char *far_types;     /* the relation types whose far ends' fields (or the relation's own)
                            a rule judges, as a JSON array text */
    json_t *kind_at;     /* kind -> its row in for_kind + 1 */
    bool *for_kind;      /* [kind][rule]: the rule names the kind */
    pthread_mutex_t hmu; /* the judging threads of a build (below) */
    pthread_cond_t hcv;
    struct judger {
        struct ruleidx *x;
        pthread_t thread;
        bool up, ready;
        struct part *job; /* its part to judge; NULL when done */
    } judgers[2];
    bool quit;
    double last_ms;      /* the last re-judgement: how long, how many */
    size_t last_n;
};

static bool rule_tracked(const struct model *m, const struct model_rule *ru)
{
    for (size_t i = 0; i < ru->n_relations + ru->n_any_of; i++) {
        const struct model_rule_relation *q =
            i < ru->n_relations ? &ru->relations[i] : &ru->any_of[i - ru->n_relations];
        if (q->how != REQ_MEASURE)
            continue;
        for (size_t k = 0; k < ru->n_kinds; k++) {
            const struct model_kind_measure *km =
                model_kind_measure(model_kind(m, ru->kinds[k]), q->measure);
            for (size_t p = 0; km && p < km->n_paths; p++)
                for (size_t s = 0; s < km->paths[p].n_steps; s++) {
                    const struct model_step *st = &km->paths[p].steps[s];
                    /* only the chain of inheritance: up by a ref, down by
                     * the records that name it by that ref */
                    bool chain = st->repeat && st->field &&
                                 (st->type == STEP_REF || st->type == STEP_REFERENCED_BY);
                    if (!chain)
                        return false;
                }
        }
    }
    return true;
}

struct ruleidx *ruleidx_new(const struct model *m)
{
    struct ruleidx *x = xcalloc(1, sizeof *x);
    pthread_mutex_init(&x->mu, NULL);
    pthread_mutex_init(&x->dmu, NULL);
    pthread_mutex_init(&x->hmu, NULL);
    pthread_cond_init(&x->hcv, NULL);
    x->n_rules = model_n_rules(m);
    x->st = xcalloc(x->n_rules + 1, sizeof *x->st);
    x->tracked = xcalloc(x->n_rules + 1, sizeof *x->tracked);
    size_t n_far = 0, max_far = 1;
    for (size_t i = 0; i < x->n_rules; i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        max_far += ru->n_relations + ru->n_any_of;
    }
    const char **far = xcalloc(max_far, sizeof *far);
    for (size_t i = 0; i < x->n_rules; i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        x->tracked[i] = rule_tracked(m, ru);
        for (size_t j = 0; j < ru->n_relations + ru->n_any_of; j++) {
            const struct model_rule_relation *q =
                j < ru->n_relations ? &ru->relations[j] : &ru->any_of[j - ru->n_relations];
            x->owner_refs = x->owner_refs || (q->how == REQ_REF && strcmp(q->field, "owner") == 0);
            if (q->how == REQ_RELATION && (q->where.n_terms || q->attrs.n_terms || q->distinct)) {
                size_t k = 0;
                while (k < n_far && strcmp(far[k], q->type) != 0)
                    k++;
                if (k == n_far)
                    far[n_far++] = q->type;
            }
        }
    }
    x->far_types = reg_strings_json(far, n_far);
    free(far);
    x->kind_at = json_object();
    x->for_kind = xcalloc(model_n_kinds(m) * x->n_rules + 1, sizeof *x->for_kind);
    for (size_t k = 0; k < model_n_kinds(m); k++) {
        const char *kind = model_kind_at(m, k)->id;
        json_object_set_new(x->kind_at, kind, json_integer((json_int_t)k + 1));
        for (size_t i = 0; i < x->n_rules; i++) {
            const struct model_rule *ru = model_rule_at(m, i);
            for (size_t n = 0; n < ru->n_kinds; n++)
                if (strcmp(ru->kinds[n], kind) == 0)
                    x->for_kind[k * x->n_rules + i] = true;
        }
    }
    x->dirty = json_object();
    return x;
}

void ruleidx_free(struct ruleidx *x)
{
    if (!x)
        return;
    pthread_mutex_lock(&x->hmu);
    x->quit = true;
    pthread_cond_broadcast(&x->hcv);
    pthread_mutex_unlock(&x->hmu);
    for (size_t i = 0; i < 2; i++)
        if (x->judgers[i].up)
            pthread_join(x->judgers[i].thread, NULL);
    pthread_mutex_destroy(&x->hmu);
    pthread_cond_destroy(&x->hcv);
    for (size_t i = 0; i < x->n_rules; i++)
        free(x->st[i]);
    free(x->st);
    free(x->tracked);
    free(x->far_types);
    json_decref(x->kind_at);
    json_decref(x->reads);
    free(x->for_kind);
    json_decref(x->dirty);
    pthread_mutex_destroy(&x->mu);
    pthread_mutex_destroy(&x->dmu);
    free(x);
}

static void ensure_cap(struct ruleidx *x, uint32_t rid)
{
    if (rid < x->cap)
        return;
    size_t cap = x->cap ? x->cap : 4096;
    while (cap <= rid)
        cap *= 2;
    for (size_t i = 0; i < x->n_rules; i++) {
        x->st[i] = realloc(x->st[i], cap / 2);
        if (!x->st[i])
            fatal("out of memory");
        memset(x->st[i] + x->cap / 2, 0, (cap - x->cap) / 2);
    }
    x->cap = cap;
}

static unsigned nib_get(const struct ruleidx *x, size_t rule, uint32_t rid)
{
    if (rid >= x->cap)
        return 0;
    uint8_t b = x->st[rule][rid / 2];
    return rid % 2 ? b >> 4 : b & 0xf;
}

static void nib_set(struct ruleidx *x, size_t rule, uint32_t rid, unsigned v)
{
    ensure_cap(x, rid);
    uint8_t *b = &x->st[rule][rid / 2];
    *b = rid % 2 ? (uint8_t)((*b & 0x0f) | (v << 4)) : (uint8_t)((*b & 0xf0) | v);
}

/* The nibble of a requirement at fault (q NULL: the fields or items). */
static unsigned broken_nibble(const struct model_rule *ru, const struct model_rule_relation *q)
{
    if (!q)
        return 2;
    if (q >= ru->relations && q < ru->relations + ru->n_relations)
        return 3 + (unsigned)(q - ru->relations);
    return 3 + (unsigned)ru->n_relations;
}

const struct model_rule_relation *ruleidx_fault(const struct model_rule *ru, unsigned nibble)
{
    if (nibble < 3)
        return NULL;
    size_t j = nibble - 3;
    return j < ru->n_relations ? &ru->relations[j] : ru->n_any_of ? &ru->any_of[0] : NULL;
}

/* Judges rec (its row id rid; NULL: gone) by every kept rule. zeroed: the
 * record's nibbles are 0 already (a judging of everything clears them
 * first), so that only the rules it breaks or meets write. */
static int judge(struct registry *r, struct ruleidx *x, struct rule_mem *j, uint32_t rid,
                 json_t *rec, bool zeroed, registry_day_fn day_of, void *day_ctx, struct err *e)
{
    const struct model *m = r->model;
    if (!rec) {
        for (size_t i = 0; i < x->n_rules; i++)
            if (rid < x->cap)
                nib_set(x, i, rid, 0);
        return 0;
    }
    const char *kind = reg_kind_of(rec);
    const struct model_kind *k = model_kind(m, kind ? kind : "");
    if (!k)
        return 0;
    if (k->inherit_via) {
        json_t *inh = NULL;
        if (rule_mem_inherited(j, rec, &inh, e) < 0)
            return -1;
        if (inh)
            json_object_set_new(rec, "inherited", inh);
    }
    int64_t day = rule_mem_day(j, day_of, day_ctx, model_judging_ms(k, rec, time_now_ms()));
    size_t row = (size_t)json_integer_value(json_object_get(x->kind_at, k->id)) - 1;
    for (size_t i = 0; i < x->n_rules; i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        if (!x->tracked[i])
            continue;
        unsigned v = 0;
        if (x->for_kind[row * x->n_rules + i] && model_rule_applies(ru, rec, day)) {
            const struct model_rule_relation *q;
            int holds = model_rule_holds(ru, rec, day, rule_mem_count, j, &q);
            if (holds < 0) {
                err_internal(e, "cannot count the relations of '%.60s'",
                             json_string_value(json_object_get(rec, "id")));
                return -1;
            }
            v = holds ? 1 : broken_nibble(ru, q);
        }
        if (v || (!zeroed && rid < x->cap))
            nib_set(x, i, rid, v);
    }
    return 0;
}

/* The kinds some kept rule names, each once, as a JSON array's text. */
static char *rule_kinds_json(const struct model *m, const struct ruleidx *x)
{
    const char **kinds = xcalloc(model_n_kinds(m) + 1, sizeof *kinds);
    char *out = reg_strings_json(kinds, reg_rule_kinds(m, x->tracked, kinds));
    free(kinds);
    return out;
}

/* A judging of every record, in pieces: the live records of the kept
 * rules' kinds with row ids in [cuts[i], cuts[i + 1]) for each piece i,
 * taken in turn by the threads judging (each with its own counts, struct
 * rule_mem, and connection) until none is left, so that a thread that
 * meets heavier records takes fewer pieces. Pieces write different bytes
 * of the judgements (their cuts are even). */
#define RULEIDX_PIECES 64

struct pieces {
    struct registry *r;
    struct ruleidx *x;
    registry_day_fn day_of;
    void *day_ctx;
    const char *kinds;
    int64_t today;           /* the day judged on */
    struct rule_mem *common; /* what both threads read once */
    uint32_t cuts[RULEIDX_PIECES + 1];
    size_t n_pieces;
    /* the row ids to judge, a bit each below cuts[n_pieces], from the
     * filter index (NULL when it is not ready: the records table says) */
    uint8_t *judged;
    atomic_size_t next; /* the next piece to take */
};

/* One thread's share: the pieces it took, how many records, its CPU
 * time (ms), its error. */
struct part {
    struct pieces *all;
    size_t n;
    double cpu_ms;
    int rc;
    struct err e;
    bool reads_chains; /* first: the measures' chains (else the referencing counts) */
    struct rule_mem *spent; /* what it read, freed once the judging is reported */
};

static int judge_piece(struct part *p, struct rule_mem *j, uint32_t lo, uint32_t hi)
{
    struct pieces *all = p->all;
    struct registry *r = all->r;
    struct err *e = &p->e;
    /* with the filter index's row ids, the records' text alone in order of
     * row id (the records table's wide rows not read), the others skipped */
    struct store_stmt *st =
        all->judged ? store_prepare(store_conn(r->store),
                                    "SELECT rid, data FROM record_data "
                                    "WHERE rid >= $2 AND rid < $3 ORDER BY rid",
                                    true, e)
                    : store_prepare(store_conn(r->store),
                                    "SELECT r.rid, d.data FROM records r JOIN record_data d "
                                    "ON d.rid = r.rid WHERE r.retired = 0 AND r.kind IN "
                                    "(SELECT value FROM json_each($1)) AND r.rid >= $2 AND "
                                    "r.rid < $3 ORDER BY r.rid",
                                    true, e);
    if (!st)
        return -1;
    if (!all->judged)
        store_bind_text(st, 1, all->kinds);
    store_bind_int64(st, 2, lo);
    store_bind_int64(st, 3, hi);
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        uint32_t rid = (uint32_t)store_col_int64(st, 0);
        if (all->judged && !(all->judged[rid / 8] & (1u << (rid % 8))))
            continue;
        const char *data = store_col_text(st, 1);
        json_t *rec = rule_mem_project(j, data, strlen(data)); /* what the rules read */
        if (rec) {
            rule_mem_met(j, rid, reg_kind_of(rec), rec);
            if (judge(r, all->x, j, rid, rec, true, all->day_of, all->day_ctx, e) < 0)
                rc = STORE_ERROR;
        }
        json_decref(rec);
        p->n++;
        if (rc == STORE_ERROR)
            break;
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

static void judge_pieces(struct part *p)
{
    struct pieces *all = p->all;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    p->n = 0;
    p->rc = 0;
    struct rule_mem *j = rule_mem_new(all->r, all->today, true);
    rule_mem_share(j, all->common);
    /* the first part reads the measures' chains, the second the
     * counts of referencing records, each once for both */
    p->rc = rule_mem_prepare(j, all->x->tracked, p->reads_chains, &p->e);
    for (size_t i; p->rc == 0 && (i = atomic_fetch_add(&all->next, 1)) < all->n_pieces;)
        p->rc = judge_piece(p, j, all->cuts[i], all->cuts[i + 1]);
    p->spent = j;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    p->cpu_ms = (double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
}

/* A thread that judges pieces beside the other. Both live as long as the
 * index: the store keeps a thread's connection for good, so two threads,
 * not two a judging. Judging allocates much (each record projected), and
 * the server runs on two malloc arenas (cli/main.c): two threads that
 * shared one would wait for each other's every malloc and free (a third
 * slower, measured), so each takes its arena — glibc gives a new thread the
 * next arena in turn at its first malloc — before the second starts. */
static void *judger_main(void *arg)
{
    struct judger *w = arg;
    struct ruleidx *x = w->x;
    free(xmalloc(64)); /* takes this thread's arena now */
    pthread_mutex_lock(&x->hmu);
    w->ready = true;
    pthread_cond_broadcast(&x->hcv);
    for (;;) {
        while (!w->job && !x->quit)
            pthread_cond_wait(&x->hcv, &x->hmu);
        if (x->quit)
            break;
        struct part *p = w->job;
        pthread_mutex_unlock(&x->hmu);
        judge_pieces(p);
        struct rule_mem *spent = p->spent;
        p->spent = NULL;
        pthread_mutex_lock(&x->hmu);
        w->job = NULL;
        pthread_cond_broadcast(&x->hcv);
        /* freed after the judging is done (tens of milliseconds at
         * national scale, which the waiting request need not wait for);
         * before the next job, so never two at once */
        pthread_mutex_unlock(&x->hmu);
        rule_mem_free(spent);
        pthread_mutex_lock(&x->hmu);
    }
    pthread_mutex_unlock(&x->hmu);
    return NULL;
}

/* Starts the judging threads not yet up, one after the other (under hmu);
 * false when one cannot start (the caller judges its part itself). */
static bool judgers_up(struct ruleidx *x)
{
    for (size_t i = 0; i < 2; i++) {
        struct judger *w = &x->judgers[i];
        if (w->up)
            continue;
        w->x = x;
        if (pthread_create(&w->thread, NULL, judger_main, w) != 0)
            return false;
        w->up = true;
        while (!w->ready)
            pthread_cond_wait(&x->hcv, &x->hmu);
    }
    return true;
}

/* Cuts the row ids of the live records of the kept rules' kinds into
 * pieces of about as many records each (even cuts), from the filter
 * index's sets; one piece of every row id when it is not ready. */
static void cut_pieces(struct registry *r, const struct ruleidx *x, struct pieces *all)
{
    all->n_pieces = 1;
    all->cuts[0] = 0;
    all->cuts[1] = UINT32_MAX;
    if (!fidx_ready(r->fidx))
        return;
    const char **kinds = xcalloc(model_n_kinds(r->model) + 1, sizeof *kinds);
    size_t n_kinds = reg_rule_kinds(r->model, x->tracked, kinds);
    struct arena *a = arena_new();
    struct rids *sets = arena_calloc(a, n_kinds + 1, sizeof *sets);
    fidx_read_lock(r->fidx);
    size_t total = 0;
    uint32_t end = 0;
    for (size_t i = 0; i < n_kinds; i++) {
        sets[i] = rids_copy(a, fidx_get(r->fidx, fidx_key_kind(a, kinds[i])));
        total += sets[i].n;
        if (sets[i].n && sets[i].v[sets[i].n - 1] >= end)
            end = sets[i].v[sets[i].n - 1] + 1;
    }
    fidx_read_unlock(r->fidx);
    end += end % 2;
    for (size_t k = 1; k < RULEIDX_PIECES; k++) {
        uint32_t lo = all->cuts[k - 1], hi = end;
        while (lo < hi) { /* the least row id with k pieces' records below it */
            uint32_t mid = lo + (hi - lo) / 2;
            size_t below = 0;
            for (size_t i = 0; i < n_kinds; i++)
                below += rids_lower_bound(sets[i], mid);
            if (below < total * k / RULEIDX_PIECES)
                lo = mid + 1;
            else
                hi = mid;
        }
        all->cuts[k] = lo & ~1u;
    }
    all->cuts[RULEIDX_PIECES] = end;
    all->n_pieces = RULEIDX_PIECES;
    all->judged = xcalloc((size_t)end / 8 + 1, 1);
    for (size_t i = 0; i < n_kinds; i++)
        for (size_t n = 0; n < sets[i].n; n++)
            all->judged[sets[i].v[n] / 8] |= (uint8_t)(1u << (sets[i].v[n] % 8));
    arena_free(a);
    free(kinds);
}

/* Judges every live record of the kept rules' kinds. */
static int build(struct registry *r, struct ruleidx *x, registry_day_fn day_of, void *day_ctx,
                 struct err *e)
{
    int64_t t0 = time_now_ms();
    for (size_t i = 0; i < x->n_rules; i++)
        if (x->st[i])
            memset(x->st[i], 0, x->cap / 2);
    pthread_mutex_lock(&x->dmu); /* what is written from now on is judged again */
    json_object_clear(x->dirty);
    x->started = true;
    pthread_mutex_unlock(&x->dmu);
    char *kinds = rule_kinds_json(r->model, x);
    struct pieces all = {.r = r,
                         .x = x,
                         .day_of = day_of,
                         .day_ctx = day_ctx,
                         .kinds = kinds,
                         .today = day_of(day_ctx, time_now_ms())};
    all.common = rule_mem_new(r, all.today, true);
    atomic_init(&all.next, 0);
    cut_pieces(r, x, &all);
    bool two = all.n_pieces > 1;
    /* room for every row id judged now: the pieces only write their bytes
     * (what is written later is judged again after) */
    if (two)
        ensure_cap(x, all.cuts[all.n_pieces]);
    /* two parts, each on a judging thread of its own (one part, judged
     * here, when there is one piece or the threads cannot start) */
    struct part parts[2] = {{&all, 0, 0, 0, ERR_INIT, true, NULL},
                            {&all, 0, 0, 0, ERR_INIT, false, NULL}};
    bool threads = false;
    if (two) {
        pthread_mutex_lock(&x->hmu);
        threads = judgers_up(x);
        for (size_t i = 0; threads && i < 2; i++)
            x->judgers[i].job = &parts[i];
        pthread_cond_broadcast(&x->hcv);
        while (threads && (x->judgers[0].job || x->judgers[1].job))
            pthread_cond_wait(&x->hcv, &x->hmu);
        pthread_mutex_unlock(&x->hmu);
    }
    if (!threads) {
        judge_pieces(&parts[0]); /* takes every piece */
        rule_mem_free(parts[0].spent);
    }
    free(kinds);
    free(all.judged);
    rule_mem_free(all.common);
    struct part *bad = parts[0].rc < 0 ? &parts[0] : parts[1].rc < 0 ? &parts[1] : NULL;
    if (bad) {
        *e = bad->e;
        return -1;
    }
    x->built = true;
    x->day = day_of(day_ctx, time_now_ms());
    log_msg(LOG_INFO,
            "rules: %zu records judged by %zu rules in %lld ms (%zu and %zu by two threads, "
            "CPU %.0f + %.0f ms)",
            parts[0].n + parts[1].n, x->n_rules, (long long)(time_now_ms() - t0), parts[0].n,
            parts[1].n, parts[0].cpu_ms, parts[1].cpu_ms);
    return 0;
}

bool ruleidx_change_read(struct registry *r, struct ruleidx *x, const json_t *rec,
                         const json_t *prev)
{
    pthread_mutex_lock(&x->dmu);
    if (!x->reads)
        x->reads = rule_mem_fields(r);
    bool read = false;
    const char *key;
    json_t *v;
    for (int side = 0; side < 2 && !read; side++)
        json_object_foreach ((json_t *)(side ? prev : rec), key, v) {
            const json_t *other = json_object_get(side ? rec : prev, key);
            bool counts = json_object_get(x->reads, key) || strncmp(key, "retired", 7) == 0;
            if (strcmp(key, "updated_at") != 0 && counts && !(other && json_equal(v, other))) {
                read = true;
                break;
            }
        }
    pthread_mutex_unlock(&x->dmu);
    return read;
}

void ruleidx_mark(struct ruleidx *x, json_t *ids)
{
    if (!x || !ids)
        return;
    pthread_mutex_lock(&x->dmu);
    const char *id;
    json_t *v;
    json_object_foreach (ids, id, v) {
        json_t *was = x->started ? json_object_get(x->dirty, id) : NULL;
        if (x->started && (!was || json_integer_value(v) < json_integer_value(was)))
            json_object_set_new(x->dirty, id, json_integer(json_integer_value(v)));
    }
    pthread_mutex_unlock(&x->dmu);
}

/* Adds the ids of query st's first column (bound, stepped and reset here). */
static int add_ids(struct store_stmt *st, json_t *into, struct err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        json_object_set_new(into, store_col_text(st, 0), json_true());
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The records related to id by a relation of those types a rule judges
 * the far end of. */
static int related(struct store_conn *c, const struct ruleidx *x, const char *id, json_t *into,
                   struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT o.value FROM attrs a JOIN records rel ON rel.rid = a.rid AND rel.retired = 0 "
        "AND rel.kind IN (SELECT value FROM json_each($2)) "
        "JOIN attrs o ON o.rid = a.rid AND o.field IN ('source', 'target') "
        "WHERE a.field IN ('source', 'target') AND a.value = $1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, x->far_types);
    return add_ids(st, into, e);
}

static int referring(struct store_conn *c, const char *id, bool owned, json_t *into, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        owned ? "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
                "WHERE a.field = '_ref' AND a.value = $1"
              : "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
                "WHERE a.field = '_ref' AND a.value = $1 AND (r.owner IS NULL OR r.owner <> $1)",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    return add_ids(st, into, e);
}

/* Is kind k in a chain of inheritance: inheriting, or a base one may name? */
static bool in_chain(const struct model *m, const struct model_kind *k)
{
    if (k->inherit_via)
        return true;
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *ik = model_kind_at(m, i);
        const struct model_field *via = ik->inherit_via ? model_field(ik, ik->inherit_via) : NULL;
        for (size_t j = 0; via && j < via->n_ref_kinds; j++)
            if (strcmp(via->ref_kinds[j], k->id) == 0)
                return true;
    }
    return false;
}

/* The live record of id, parsed, and its kind when it is in a chain of
 * inheritance (else *k NULL); NULL when gone. */
static json_t *chain_record(const struct model *m, struct store_conn *c, const char *id,
                            const struct model_kind **k, struct err *e)
{
    struct rec_row row;
    *k = NULL;
    if (rec_load(c, NULL, id, &row, e) <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    const struct model_kind *kind = rec ? model_kind(m, row.kind) : NULL;
    rec_row_free(&row);
    *k = kind && in_chain(m, kind) ? kind : NULL;
    return rec;
}

/* Into `into`: the records above id (its bases by their inherit_via, in
 * turn) and those below it (the records whose inherit_via names it, in
 * turn): a judgement over the chain (inherited items, a measure taken up
 * or down it) may change with id. Not sideways: a sibling's is its own. */
static int chain_of(struct registry *r, struct store_conn *c, const char *id, bool down,
                    json_t *into, struct err *e)
{
    const struct model *m = r->model;
    const struct model_kind *k;
    json_t *rec = chain_record(m, c, id, &k, e);
    if (!k) {
        json_decref(rec);
        return e->status ? -1 : 0;
    }
    /* up */
    json_t *cur = json_incref(rec);
    for (int depth = 0; cur && k && k->inherit_via && depth < RULEIDX_MAX_DEPTH; depth++) {
        const char *base = json_string_value(json_object_get(cur, k->inherit_via));
        json_t *next = NULL;
        if (base && !json_object_get(into, base)) {
            json_object_set_new(into, base, json_true());
            next = chain_record(m, c, base, &k, e);
        }
        json_decref(cur);
        cur = next;
    }
    json_decref(cur);
    json_decref(rec);
    if (!down)
        return 0;
    /* down: those naming it that inherit through the name */
    json_t *todo = json_pack("[s]", id);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(todo) && i < RULEIDX_MAX_CLOSURE; i++) {
        const char *at = json_string_value(json_array_get(todo, i));
        json_t *names = json_object();
        rc = referring(c, at, false, names, e);
        const char *nid;
        json_t *v;
        json_object_foreach (names, nid, v) {
            if (rc < 0 || json_object_get(into, nid))
                continue;
            const struct model_kind *nk;
            json_t *below = chain_record(m, c, nid, &nk, e);
            const char *via = nk && nk->inherit_via
                                  ? json_string_value(json_object_get(below, nk->inherit_via))
                                  : NULL;
            if (via && strcmp(via, at) == 0) {
                json_object_set_new(into, nid, json_true());
                json_array_append_new(todo, json_string(nid));
            }
            json_decref(below);
            if (e->status)
                rc = -1;
        }
        json_decref(names);
    }
    json_decref(todo);
    return rc;
}

/* The dirty ids widened to every record whose judgement they can change:
 * of a record written, those related to it by a relation whose far end a
 * rule judges, those that refer to it, and up and down the chain of
 * inheritance from it and from those (a measure's items whose source
 * changed); of a record only named (by a reference or a relation written,
 * before or after), itself and the records above it (a measure taken
 * over what is below them). */
static int closure(struct registry *r, struct ruleidx *x, json_t *dirty, json_t **out,
                   struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    json_t *all = json_object(), *chained = json_object();
    const char *id;
    json_t *v;
    int rc = 0;
    json_object_foreach (dirty, id, v) {
        json_object_set_new(all, id, json_true());
        if (json_integer_value(v) == RULEIDX_SELF)
            continue; /* nothing the rules read changed: itself, for its day */
        if (rc == 0 && json_integer_value(v) == RULEIDX_WRITTEN) {
            json_object_set_new(chained, id, json_true());
            if (related(c, x, id, all, e) < 0 || referring(c, id, x->owner_refs, chained, e) < 0)
                rc = -1;
        } else if (rc == 0) {
            rc = chain_of(r, c, id, false, all, e);
        }
    }
    json_object_update(all, chained);
    json_object_foreach (chained, id, v) {
        if (rc < 0 || json_object_size(all) > RULEIDX_MAX_CLOSURE)
            break;
        rc = chain_of(r, c, id, true, all, e);
    }
    json_decref(chained);
    if (rc < 0) {
        json_decref(all);
        return -1;
    }
    *out = all;
    return 0;
}

/* Judges the records written since (and those they can change) again. */
static int rejudge(struct registry *r, struct ruleidx *x, registry_day_fn day_of, void *day_ctx,
                   struct err *e)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&x->dmu);
    json_t *dirty = x->dirty;
    x->dirty = json_object();
    pthread_mutex_unlock(&x->dmu);
    json_t *all = NULL;
    int rc = json_object_size(dirty) ? closure(r, x, dirty, &all, e) : 0;
    json_decref(dirty);
    if (rc < 0)
        return -1;
    if (json_object_size(all) > RULEIDX_MAX_CLOSURE) {
        json_decref(all);
        return build(r, x, day_of, day_ctx, e);
    }
    struct store_conn *c = store_conn(r->store);
    const char *id;
    json_t *v;
    size_t n = 0;
    struct rule_mem *j = rule_mem_new(r, day_of(day_ctx, time_now_ms()), false);
    json_object_foreach (all, id, v) {
        struct rec_row row;
        int found = rec_load(c, NULL, id, &row, e);
        if (found < 0) {
            rc = -1;
            break;
        }
        if (found == 0)
            continue;
        json_t *rec = row.retired ? NULL : rule_mem_project(j, row.data, strlen(row.data));
        rc = judge(r, x, j, (uint32_t)row.rid, rec, false, day_of, day_ctx, e);
        json_decref(rec);
        rec_row_free(&row);
        n++;
        if (rc < 0)
            break;
    }
    rule_mem_free(j);
    json_decref(all);
    x->last_n = n;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    x->last_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return rc;
}

int ruleidx_ready(struct registry *r, struct ruleidx *x, registry_day_fn day_of, void *day_ctx,
                  struct err *e)
{
    pthread_mutex_lock(&x->mu);
    int64_t today = day_of(day_ctx, time_now_ms());
    int rc = !x->built || x->day != today ? build(r, x, day_of, day_ctx, e)
                                          : rejudge(r, x, day_of, day_ctx, e);
    if (rc < 0)
        pthread_mutex_unlock(&x->mu);
    return rc;
}

void ruleidx_done(struct ruleidx *x)
{
    pthread_mutex_unlock(&x->mu);
}

bool ruleidx_tracked(const struct ruleidx *x, size_t rule)
{
    return rule < x->n_rules && x->tracked[rule];
}

void ruleidx_last(const struct ruleidx *x, size_t *n, double *ms)
{
    *n = x->last_n;
    *ms = x->last_ms;
}

size_t ruleidx_cap(const struct ruleidx *x)
{
    return x->cap;
}

unsigned ruleidx_state(const struct ruleidx *x, size_t rule, uint32_t rid)
{
    return nib_get(x, rule, rid);
}
