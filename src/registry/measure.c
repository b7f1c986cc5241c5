/* measure: the computed measures the model declares (section "measures",
 * kinds' "measures"), e.g. the digitisation level of master data (REQ
 * ARC-06, ARC-17). A record's measure is taken over the records its kind's
 * paths reach from it (its chain of bases, the types below it, the master
 * data of a domain, the data a function accesses…): the items of their
 * measured list field, each counted once per record, and those "done" (an
 * attribute whose storage source is an object in operation). Only what the
 * reader may read counts: a record, relation or source they may not read
 * does not exist for them (the paths are walked by walk.c). Computed at
 * each read, kept until the next write per record and reader (cache.h),
 * never stored. */
#include "internal.h"

#include "cache.h"
#include "fidx.h"
#include "relidx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most records one measure is taken over. */
#define MEASURE_MAX_RECORDS 20000

struct mwalk {
    struct path_walk walk;
    json_t *done; /* source id -> true / false, judged once */
    int reads_all; /* does the reader read every unpublished record (-1: not asked yet) */
    struct reg_rows *rows; /* the read's rows, for paths of refs (reach_refs) */
};

/* A record a measure is taken over: its stored text (reached along refs,
 * or the record read) or the record parsed (reached by a walk). */
struct mrec {
    const char *id, *text;
    const json_t *json;
};

/* The records reached, each once. */
struct mset {
    struct mrec *v;
    size_t n, cap;
    json_t *ids;
};

static void mset_init(struct mset *s, size_t cap)
{
    *s = (struct mset){NULL, 0, cap, json_object()};
}

static void mset_free(struct mset *s)
{
    free(s->v);
    json_decref(s->ids);
}

/* Adds x unless it is there; false when the set is full. */
static bool mset_add(struct mset *s, struct mrec x)
{
    if (json_object_get(s->ids, x.id))
        return true;
    if (s->n >= s->cap)
        return false;
    s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = x;
    json_object_set_new(s->ids, x.id, json_true());
    return true;
}

/* The ids a ref field of x names (a ref or a list of refs), each passed
 * to fn; stops at fn's first non-positive answer and returns it. */
static int each_ref(const struct mrec *x, const char *field,
                    int (*fn)(void *ctx, const char *id, struct err *e), void *ctx, struct err *e)
{
    int more = 1;
    if (x->json) {
        const json_t *v = json_object_get(x->json, field), *one;
        size_t i;
        if (json_is_string(v))
            return fn(ctx, json_string_value(v), e);
        json_array_foreach (v, i, one)
            if (json_is_string(one) && (more = fn(ctx, json_string_value(one), e)) <= 0)
                break;
        return more;
    }
    struct jspan v, el;
    struct jtext_iter it;
    char id[256];
    if (!jtext_member((struct jspan){x->text, strlen(x->text)}, field, &v))
        return 1;
    if (reg_text_string(v, id, sizeof id))
        return fn(ctx, id, e);
    if (!jtext_array(v, &it))
        return 1;
    while (more > 0 && jtext_next(&it, &el))
        if (reg_text_string(el, id, sizeof id))
            more = fn(ctx, id, e);
    return more;
}

/* The live record id if the reader may read it (new reference), else
 * NULL; -1 in *rc on a storage error. */
static json_t *readable(struct mwalk *w, const char *id, int *rc, struct err *e)
{
    struct rec_row row;
    int found = rec_load(w->walk.c, NULL, id, &row, e);
    if (found < 0)
        *rc = -1;
    if (found <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    if (rec && !registry_may_read(w->walk.r, w->walk.a, rec)) {
        json_decref(rec);
        rec = NULL;
    }
    return rec;
}

/* Into *reached (initialised here): the records km's paths reach from rec. */
static int reach(struct mwalk *w, const struct model_kind_measure *km, const json_t *rec,
                 struct walk_set *reached, struct err *e)
{
    struct walk_set from;
    walk_set_init(&from, 1);
    walk_set_add(&from, json_incref((json_t *)rec));
    walk_set_init(reached, MEASURE_MAX_RECORDS);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < km->n_paths; i++) {
        struct walk_set one;
        rc = walk_path(&w->walk, &km->paths[i], &from, MEASURE_MAX_RECORDS, &one, e);
        if (rc == 0) {
            walk_set_add_all(reached, &one);
            walk_set_free(&one);
        }
    }
    walk_set_free(&from);
    return rc;
}

/* A field's values as the memory index holds them: their sets, and the
 * field's codes by row id with the codes of the values (a bit each) when
 * it has them. */
struct values_in {
    struct rids *sets; /* one per value */
    size_t n;
    struct fidx_codes codes; /* codes.codes NULL: ask the sets */
    uint64_t accept[4];      /* the values' codes */
};

/* The memory index's sets of a field's values (under its read lock) into
 * out; -1 when it does not hold that field of kind k: only a filterable
 * enum or boolean is there as model_cond_holds reads it (one value, as
 * text). */
static int value_sets(struct registry *r, struct arena *ar, const struct model_kind *k,
                      const char *field, const char *const *values, size_t n, struct values_in *out)
{
    const struct model_field *f = model_field(k, field);
    if (!f || !f->filterable || (f->type != FT_ENUM && f->type != FT_BOOL) ||
        !reg_field_in_memory(r->model, k->collection, field))
        return -1;
    const char *key = arena_printf(ar, "%s:%s", k->collection, field);
    *out = (struct values_in){arena_calloc(ar, n + 1, sizeof *out->sets), n, {NULL, 0}, {0}};
    for (size_t i = 0; i < n; i++)
        out->sets[i] = fidx_get(r->fidx, fidx_key_field(ar, key, values[i]));
    if (fidx_codes(r->fidx, key, &out->codes))
        for (size_t i = 0; i < n; i++) {
            uint8_t c = fidx_code(r->fidx, ar, key, values[i]);
            if (c) /* 0: no record has it */
                out->accept[c / 64] |= 1ull << (c % 64);
        }
    return 0;
}

/* Has record rid one of the values: one read of its code, or the sets
 * when the index has no code for it. */
static bool in_any(const struct values_in *v, uint32_t rid)
{
    if (v->codes.codes) {
        uint8_t c = rid < v->codes.n ? v->codes.codes[rid] : 0;
        if (c != FIDX_SEVERAL)
            return (v->accept[c / 64] >> (c % 64)) & 1;
    }
    for (size_t i = 0; i < v->n; i++)
        if (rids_has(v->sets[i], rid))
            return true;
    return false;
}

/* How the memory index judges the items whose source is of one kind. */
struct kind_judge {
    const struct model_kind *k;
    bool unsure;      /* it cannot (a field it does not hold) */
    bool none;        /* the reader reads no record of the kind */
    struct values_in *pub;  /* the published states (NULL: every record may be read) */
    struct values_in *cond; /* done_when's values, term after term */
};

static void judge_init(struct mwalk *w, struct arena *ar, const struct model_measure *ms,
                       const struct model_kind *k, struct kind_judge *j)
{
    struct registry *r = w->walk.r;
    const struct actor *a = w->walk.a;
    *j = (struct kind_judge){.k = k};
    j->cond = arena_calloc(ar, ms->done_when.n_terms + 1, sizeof *j->cond);
    for (size_t i = 0; !j->unsure && i < ms->done_when.n_terms; i++) {
        const struct model_cond_term *t = &ms->done_when.terms[i];
        j->unsure =
            t->presence || value_sets(r, ar, k, t->field, t->values, t->n_values, &j->cond[i]) < 0;
    }
    /* the reader's rights, as registry_may_read judges a record */
    if (j->unsure || a->system || !k->workflow)
        return;
    j->none = !a->user[0] && k->read_signed_in;
    const struct model_workflow *wf = k->workflow;
    const char **published = arena_calloc(ar, wf->n_states + 1, sizeof *published);
    size_t n_pub = 0;
    for (size_t i = 0; i < wf->n_states; i++)
        if (wf->states[i].published)
            published[n_pub++] = wf->states[i].id;
    j->pub = arena_calloc(ar, 1, sizeof *j->pub);
    j->unsure = value_sets(r, ar, k, wf->status_field, published, n_pub, j->pub) < 0;
}

/* 1 done, 0 not, -1 the index cannot tell. */
static int judge(struct mwalk *w, const struct kind_judge *j, const struct model_measure *ms,
                 uint32_t rid)
{
    if (j->unsure)
        return -1;
    for (size_t i = 0; i < ms->done_when.n_terms; i++)
        if (!in_any(&j->cond[i], rid))
            return 0; /* not done, whoever reads it */
    if (j->none)
        return 0;
    if (!j->pub || in_any(j->pub, rid))
        return 1;
    /* unpublished: readable by whoever reads every organisation's, and
     * for the others it depends on its organisation (read the record) */
    if (w->reads_all < 0)
        w->reads_all = reg_reads_unpublished(w->walk.r, w->walk.a, NULL);
    return w->reads_all ? 1 : -1;
}

#define JUDGE_KINDS 8

/* The refs of the items of the records a measure is taken over (NULL:
 * an item that names none), in an arena. */
struct irefs {
    const char **v;
    size_t n;
    struct arena *ar;
};

static void irefs_add(struct irefs *x, const char *ref)
{
    if ((x->n & (x->n - 1)) == 0) /* 0, 1, 2, 4…: room for twice as many */
        x->v = xrealloc(x->v, (x->n ? 2 * x->n : 1) * sizeof *x->v);
    x->v[x->n++] = ref ? arena_strdup(x->ar, ref) : NULL;
}

/* The items of x's measured list field, each by its ref. */
static void items_of(const struct model_measure *ms, const struct mrec *x, struct irefs *out)
{
    if (x->json) {
        size_t i;
        const json_t *item;
        json_array_foreach (json_object_get(x->json, ms->items), i, item)
            irefs_add(out, json_string_value(json_object_get(item, ms->done_ref)));
        return;
    }
    struct jspan v, item, ref;
    struct jtext_iter it;
    char id[256];
    if (!jtext_member((struct jspan){x->text, strlen(x->text)}, ms->items, &v) ||
        !jtext_array(v, &it))
        return;
    while (jtext_next(&it, &item)) {
        bool named = jtext_member(item, ms->done_ref, &ref) && reg_text_string(ref, id, sizeof id);
        irefs_add(out, named ? id : NULL);
    }
}

/* Judges, from the memory index, the items whose source it can judge
 * without reading that record (into w->done): the relations graph knows
 * every record's row id, kind and life, the filter index its enum fields'
 * values. The others (a condition on a field it does not hold, an
 * unpublished record of an organisation the reader may or may not read…)
 * are left to item_done, which reads the record. The index follows the
 * committed writes as the lists see them. */
static void judge_in_memory(struct mwalk *w, const struct model_measure *ms,
                            const struct irefs *refs)
{
    struct registry *r = w->walk.r;
    if (!fidx_ready(r->fidx))
        return;
    struct arena *ar = arena_new();
    struct kind_judge kinds[JUDGE_KINDS];
    size_t n_kinds = 0;
    fidx_read_lock(r->fidx);
    const struct relidx *g = fidx_graph(r->fidx);
    for (size_t i = 0; i < refs->n; i++) {
        const char *ref = refs->v[i];
        uint32_t rid;
        const char *kind;
        bool live;
        if (!ref || json_object_get(w->done, ref) || !relidx_node(g, ref, &rid, &kind, &live))
            continue;
        int done = live ? -1 : 0; /* retired, or no such record: not for anyone */
        const struct model_kind *k = live && kind ? model_kind(r->model, kind) : NULL;
        if (k && k->collection && !k->is_relation && rid) {
            size_t at = 0;
            while (at < n_kinds && kinds[at].k != k)
                at++;
            if (at == n_kinds && n_kinds < JUDGE_KINDS)
                judge_init(w, ar, ms, k, &kinds[n_kinds++]);
            done = at < n_kinds ? judge(w, &kinds[at], ms, rid) : -1;
        }
        if (done >= 0)
            json_object_set_new(w->done, ref, json_boolean(done));
    }
    fidx_read_unlock(r->fidx);
    arena_free(ar);
}

/* Is the item done: does its ref name a record the reader may read for
 * which done_when holds? */
static int item_done(struct mwalk *w, const struct model_measure *ms, const char *ref,
                     struct err *e)
{
    if (!ref)
        return 0;
    const json_t *known = json_object_get(w->done, ref);
    if (known)
        return json_is_true(known);
    int rc = 0;
    json_t *t = readable(w, ref, &rc, e);
    if (rc < 0)
        return -1;
    bool done = t && model_cond_holds(&ms->done_when, t, registry_today(w->walk.r));
    json_decref(t);
    json_object_set_new(w->done, ref, json_boolean(done));
    return done;
}

/* ---- paths of refs, on the records' stored text -------------------------- */

/* Are km's paths refs only (a chain of bases…)? Those are followed on the
 * stored text of the records met (w->rows), without parsing them. */
static bool refs_only(const struct model_kind_measure *km)
{
    for (size_t i = 0; i < km->n_paths; i++)
        for (size_t j = 0; j < km->paths[i].n_steps; j++)
            if (km->paths[i].steps[j].type != STEP_REF)
                return false;
    return true;
}

struct ref_step {
    struct mwalk *w;
    struct mset *level;
    bool full;
};

/* Adds the record id names to the step's level when it is live and the
 * reader may read it (walk.c's add_ref, on the stored text). */
static int ref_add(void *ctx, const char *id, struct err *e)
{
    struct ref_step *s = ctx;
    if (json_object_get(s->level->ids, id))
        return 1;
    int rc;
    const struct rec_row *row = reg_rows_readable(s->w->rows, id, &rc, e);
    if (rc < 0)
        return -1;
    if (row && !mset_add(s->level, (struct mrec){row->id, row->data, NULL})) {
        s->full = true;
        return 0;
    }
    return 1;
}

/* One ref step from each record of cur into next. */
static int ref_once(struct mwalk *w, const struct model_step *st, const struct mset *cur,
                    struct mset *next, struct err *e)
{
    struct ref_step s = {w, next, false};
    for (size_t i = 0; i < cur->n && !s.full; i++)
        if (each_ref(&cur->v[i], st->field, ref_add, &s, e) < 0)
            return -1;
    return 0;
}

/* A ref step; repeated, again from what it newly reached (walk_step). */
static int ref_step(struct mwalk *w, const struct model_step *st, const struct mset *cur,
                    struct mset *next, struct err *e)
{
    if (!st->repeat)
        return ref_once(w, st, cur, next, e);
    struct mset front = {0};
    const struct mset *at = cur;
    int rc = 0;
    for (int depth = 0; rc == 0 && at->n && depth <= MODEL_INHERIT_MAX_DEPTH; depth++) {
        struct mset level, fresh;
        mset_init(&level, next->cap);
        mset_init(&fresh, next->cap);
        rc = ref_once(w, st, at, &level, e);
        for (size_t i = 0; i < level.n; i++) {
            if (json_object_get(next->ids, level.v[i].id))
                continue;
            if (!mset_add(next, level.v[i]))
                break;
            mset_add(&fresh, level.v[i]);
        }
        mset_free(&level);
        if (at == &front)
            mset_free(&front);
        front = fresh;
        at = &front;
    }
    if (at == &front)
        mset_free(&front);
    return rc;
}

/* Into reached: the records km's paths (refs only) reach from x. */
static int reach_refs(struct mwalk *w, const struct model_kind_measure *km, const struct mrec *x,
                      struct mset *reached, struct err *e)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < km->n_paths; i++) {
        struct mset cur;
        mset_init(&cur, MEASURE_MAX_RECORDS);
        mset_add(&cur, *x);
        for (size_t j = 0; rc == 0 && j < km->paths[i].n_steps; j++) {
            struct mset next;
            mset_init(&next, MEASURE_MAX_RECORDS);
            rc = ref_step(w, &km->paths[i].steps[j], &cur, &next, e);
            mset_free(&cur);
            cur = next;
        }
        for (size_t j = 0; rc == 0 && j < cur.n; j++)
            if (!mset_add(reached, cur.v[j]))
                break;
        mset_free(&cur);
    }
    return rc;
}

/* A record measured: its id and stored text, and the record parsed when a
 * walk needs it (parsed from the text at most once). */
struct mstart {
    const char *id, *text;
    json_t *json;
    bool own_json;
};

static int start_json(struct mstart *st, struct err *e)
{
    if (st->json)
        return 0;
    if (!(st->json = json_loads(st->text, 0, NULL))) {
        err_set(e, 500, "internal", "", "stored record is not JSON");
        return -1;
    }
    st->own_json = true;
    return 0;
}

/* The item refs of the records km is taken over from st. */
static int measured_items(struct mwalk *w, const struct model_kind_measure *km, struct mstart *st,
                          struct irefs *refs, struct err *e)
{
    if (st->text && refs_only(km)) {
        struct mset reached;
        mset_init(&reached, MEASURE_MAX_RECORDS);
        struct mrec x = {st->id, st->text, NULL};
        int rc = reach_refs(w, km, &x, &reached, e);
        for (size_t i = 0; rc == 0 && i < reached.n; i++)
            items_of(km->measure, &reached.v[i], refs);
        mset_free(&reached);
        return rc;
    }
    if (start_json(st, e) < 0)
        return -1;
    struct walk_set reached;
    int rc = reach(w, km, st->json, &reached, e);
    size_t i;
    json_t *rec;
    if (rc == 0)
        json_array_foreach (reached.recs, i, rec) {
            struct mrec x = {NULL, NULL, rec};
            items_of(km->measure, &x, refs);
        }
    walk_set_free(&reached);
    return rc;
}

static int measure_of(struct mwalk *w, const struct model_kind_measure *km, struct mstart *st,
                      long *items, long *done, struct err *e)
{
    struct irefs refs = {NULL, 0, arena_new()};
    int rc = measured_items(w, km, st, &refs, e);
    *items = *done = 0;
    if (rc == 0)
        judge_in_memory(w, km->measure, &refs);
    for (size_t i = 0; rc == 0 && i < refs.n; i++) {
        int d = item_done(w, km->measure, refs.v[i], e);
        rc = d < 0 ? -1 : rc;
        *done += d > 0;
    }
    *items = (long)refs.n;
    free(refs.v);
    arena_free(refs.ar);
    return rc;
}

json_t *registry_measure_json(long items, long done)
{
    json_t *level =
        items ? json_real(round(1000.0 * (double)done / (double)items) / 1000.0) : json_null();
    return json_pack("{s:I, s:I, s:o}", "items", (json_int_t)items, "done", (json_int_t)done,
                     "level", level);
}

/* The measures of kind k over what they reach from st (a new object). */
static int measures_of(struct registry *r, const struct actor *a, const struct model_kind *k,
                       struct mstart *st, struct reg_rows *rows, json_t **out, struct err *e)
{
    json_t *memo = json_object(); /* the records the walks parse, once */
    struct mwalk w = {
        {r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, memo}, json_object(), -1, rows};
    json_t *ms = json_object();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < k->n_measures; i++) {
        long items, done;
        rc = measure_of(&w, &k->measures[i], st, &items, &done, e);
        json_object_set_new(ms, k->measures[i].measure->id, registry_measure_json(items, done));
    }
    json_decref(w.done);
    json_decref(memo);
    if (rc < 0) {
        json_decref(ms);
        return -1;
    }
    *out = ms;
    return 0;
}

int registry_measures(struct registry *r, const struct actor *a, const json_t *rec, json_t **out,
                      struct err *e)
{
    *out = NULL;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->n_measures)
        return 0;
    bool refs = true;
    for (size_t i = 0; i < k->n_measures; i++)
        refs = refs && refs_only(&k->measures[i]);
    struct mstart st = {json_string_value(json_object_get(rec, "id")), NULL, (json_t *)rec, false};
    char *text = refs && st.id ? json_dumps(rec, JSON_COMPACT) : NULL; /* else walked */
    st.text = text;
    struct reg_rows *rows = reg_rows_new(r, a);
    int rc = measures_of(r, a, k, &st, rows, out, e);
    reg_rows_free(rows);
    free(text);
    return rc;
}

int reg_measures_read(struct registry *r, const struct actor *a, struct reg_read *rd, char **out,
                      struct err *e)
{
    *out = NULL;
    char kind[64];
    struct jspan v;
    if (!jtext_member((struct jspan){rd->text, strlen(rd->text)}, "kind", &v) ||
        !reg_text_string(v, kind, sizeof kind))
        kind[0] = 0;
    const struct model_kind *k = model_kind(r->model, kind);
    if (!k || !k->n_measures)
        return 0;
    struct mstart st = {rd->id, rd->text, NULL, false};
    json_t *ms = NULL;
    int rc = measures_of(r, a, k, &st, rd->rows, &ms, e);
    if (st.own_json)
        json_decref(st.json);
    if (rc == 0)
        *out = json_dumps(ms, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(ms);
    return rc;
}

int registry_measures_text(struct registry *r, const struct actor *a, const char *id,
                           const char *json, char **out, struct err *e)
{
    return registry_part_text(r, a, "measures", reg_measures_read, id, json, out, e);
}

int registry_measures_kept(struct registry *r, const struct actor *a, const json_t *rec,
                           json_t **out, struct err *e)
{
    *out = NULL;
    const char *id = json_string_value(json_object_get(rec, "id"));
    char *json = json_dumps(rec, JSON_COMPACT), *text = NULL;
    int rc = id && json ? registry_measures_text(r, a, id, json, &text, e)
                        : registry_measures(r, a, rec, out, e);
    free(json);
    if (text)
        *out = json_loads(text, 0, NULL);
    free(text);
    return rc;
}

int registry_measure(struct registry *r, const struct actor *a, const char *measure, const char *id,
                     long *items, long *done, struct err *e)
{
    *items = *done = 0;
    json_t *rec = NULL;
    if (registry_get_visible(r, a, NULL, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(rec, "kind")));
    const struct model_kind_measure *km = model_kind_measure(k, measure);
    int rc = 0;
    if (km) {
        char *text = refs_only(km) ? json_dumps(rec, JSON_COMPACT) : NULL; /* walked else */
        struct mstart st = {id, text, rec, false};
        struct mwalk w = {{r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, NULL},
                          json_object(),
                          -1,
                          reg_rows_new(r, a)};
        rc = measure_of(&w, km, &st, items, done, e);
        json_decref(w.done);
        reg_rows_free(w.rows);
        free(text);
    }
    json_decref(rec);
    return rc;
}

int registry_measure_records(struct registry *r, const struct actor *a,
                             const struct model_kind_measure *km, const json_t *rec, json_t **out,
                             struct err *e)
{
    struct mwalk w = {
        {r, store_conn(r->store), a, MEASURE_MAX_RECORDS, NULL, NULL}, json_object(), -1, NULL};
    struct walk_set reached;
    int rc = reach(&w, km, rec, &reached, e);
    json_decref(w.done);
    *out = rc == 0 ? json_incref(reached.recs) : NULL;
    walk_set_free(&reached);
    return rc;
}

/* The measure the other pages ask for by this name (i15-s2's shared
 * signature): the model's measure "digitisation", wherever a kind declares
 * it. */
int registry_digitisation(struct registry *r, const struct actor *a, const char *id,
                          long *attributes, long *digitised, struct err *e)
{
    return registry_measure(r, a, "digitisation", id, attributes, digitised, e);
}
