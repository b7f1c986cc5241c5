/* rule-mem: the rules' requirements over what is linked to a record
 * (struct model_rule_relation) counted from memory while ruleidx.c judges
 * records, as rule-count.c counts them in SQL:
 * - relations from the relations graph (relidx.h) the filter index keeps,
 *   a far end's `where` and `distinct` and a relation's own `attrs` judged
 *   once per record and judging (kept by row id: the records the judging
 *   meets in its scan are judged there, the others read when first met);
 * - a ref's target found in the graph and judged the same way;
 * - the records that name it by a ref field, counted in one scan of their
 *   kinds when a judging of everything first asks (one record judged
 *   again asks SQL);
 * - a measure as the registry computes it.
 * What the rules read of a record is a few of its members: records are
 * read projected (rule_mem_project), their other members skipped in the
 * text, not parsed. */
#include "registry/internal.h"

#include "registry/fidx.h"
#include "registry/relidx.h"
#include "util/jtext.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The most records one measure is taken over (as measure.c). */
#define MEASURE_RECORDS_MAX 20000

/* How the filter index judges a far condition on records of one kind:
 * per term, its field and the codes of its values (a bit each). */
struct far_term {
    const char *key; /* "collection:field" */
    uint64_t accept[4];
};
struct far_kind {
    struct far_term *t;
    size_t n;
};

/* A far condition's judgements by row id: 0 not judged yet, 1 kept, 2
 * not; with `distinct`, the value's index in keys + 1 (0: none). */
struct far {
    const void *of;                /* the requirement (or measure) it serves */
    const struct model_cond *cond; /* q->where, or q->attrs (on the relation) */
    const char *distinct;          /* q->distinct, when cond judges the far end */
    bool on_relation;              /* cond judges the relation, not its far end */
    json_t *kinds;                 /* the kinds cond may judge (set) */
    uint8_t *st;
    uint32_t *dk;
    size_t cap;
    json_t *keys; /* distinct value's key -> index + 1 */
    uint32_t *owner_dk; /* per owner (its position in the filter index): its
                           index + 1 in keys (0: not yet), for distinct owners */
    size_t n_owner_dk;
    json_t *mem;  /* kind -> index + 1 in fk (0: the memory index cannot judge it) */
    struct far_kind *fk;
    size_t n_fk;
};

/* The records a measure taken along chains of refs may reach (ruleidx.c
 * keeps only such measures), read once: each one's chain fields and its
 * own items, counted and judged. */
struct chain {
    const struct model_measure *ms;
    json_t *ids;   /* id -> index + 1 */
    json_t **rec;  /* the chain fields of each */
    const char **kind;
    uint32_t *items, *done;
    size_t n;
    json_t *below; /* "<field> <id>" -> [index of each record naming id by field] */
    uint8_t *reached, *in_next; /* a measure's work space, all 0 between two */
    uint32_t *cur, *next, *got;
    size_t cap;
    bool lazy;      /* records read when a step reaches them */
    json_t *kinds;  /* the kinds it measures (set) */
    json_t *fields; /* the members it reads (set) */
    struct reg_members_sig sig; /* their signature */
    bool borrowed;  /* all but the work space is the common judging's */
};

/* The relations of q's type out of (or into) id, as the graph has them:
 * their row ids and far ends' (0: not a live record), in *out. */
struct end {
    uint32_t rel, other;
    const char *kind; /* the far end's (the model's string), NULL: unknown */
};

struct rule_mem {
    struct registry *r;
    int64_t today;
    bool whole; /* a judging of everything: scans and memos pay */
    json_t *fields; /* the members a projection keeps (set) */
    struct reg_members_sig sig; /* its signature */
    struct far *far;
    size_t n_far;
    json_t *refby; /* "<q>" -> {id: count}, REQ_REFERENCED_BY counted once */
    json_t *mstart; /* measure -> the kinds of the rules judging it (set) */
    struct chain *chains; /* measures taken over chains, read once */
    size_t n_chains;
    struct reg_rows *rows; /* the bases read, for inherited items */
    json_t *inherited;     /* "<kind> <base>" -> the items inherited through base */
    struct end *ends;      /* ends_of's */
    size_t n_ends;
    /* the graph's node of the record whose ends were asked last (its
     * rules ask several times): the graph, the id, its node + 1 */
    const struct relidx *node_graph;
    char node_id[128];
    uint32_t node;
    int64_t day_ms, day; /* rule_mem_day's last (day_ms -1: none yet) */
    struct arena *a;
    struct relidx_hit *hits;
    size_t cap;
    /* a judging of everything on two threads: the chains and the counts
     * of referencing records are read once, in common (under its locks:
     * one for each, so that both may be read at once) */
    struct rule_mem *common;
    pthread_mutex_t chain_mu, refby_mu;
};

static void add_field(json_t *set, const char *name)
{
    if (name)
        json_object_set_new(set, name, json_true());
}

static void add_cond(json_t *set, const struct model_cond *c)
{
    for (size_t i = 0; i < c->n_terms; i++)
        add_field(set, c->terms[i].field);
}

static bool dated(const struct model_cond *c)
{
    for (size_t i = 0; i < c->n_terms; i++)
        if (c->terms[i].when)
            return true;
    return false;
}

/* The kinds a relation type's far end may be of (out: its targets). */
static void far_kinds(const struct model *m, const char *type, bool out, json_t *into)
{
    const struct model_field *f = model_field(model_kind(m, type), out ? "target" : "source");
    for (size_t i = 0; f && i < f->n_ref_kinds; i++)
        add_field(into, f->ref_kinds[i]);
}

/* The kinds rule ru's ref field `field` may name. */
static void ref_kinds(const struct model *m, const struct model_rule *ru, const char *field,
                      json_t *into)
{
    for (size_t k = 0; k < ru->n_kinds; k++) {
        const struct model_kind *kind = model_kind(m, ru->kinds[k]);
        const struct model_field *f = model_field(kind, field);
        for (size_t i = 0; f && f->type == FT_REF && i < f->n_ref_kinds; i++)
            add_field(into, f->ref_kinds[i]);
        const struct model_kind *o = model_owner_kind(m);
        if (kind && kind->owned && o && strcmp(field, "owner") == 0)
            add_field(into, o->id);
    }
}

static void far_add(struct rule_mem *j, const void *of, const struct model_cond *c,
                    const char *distinct, bool on_relation, json_t *kinds)
{
    j->far = xrealloc(j->far, (j->n_far + 1) * sizeof *j->far);
    j->far[j->n_far++] = (struct far){.of = of, .cond = c, .distinct = distinct,
                                      .on_relation = on_relation, .kinds = kinds,
                                      .keys = json_object(), .mem = json_object()};
}

static struct far *far_of(struct rule_mem *j, const void *of, bool on_relation)
{
    for (size_t i = 0; i < j->n_far; i++)
        if (j->far[i].of == of && j->far[i].on_relation == on_relation)
            return &j->far[i];
    return NULL;
}

/* The kinds whose records measure ms may be taken from (the kinds in
 * `into` already: those of the rules that judge it) or reach along the
 * steps of their paths (repeated steps again from what they reach). */
static void measure_kinds(const struct model *m, const struct model_measure *ms, json_t *into)
{
    size_t n_steps = 0;
    const struct model_step *steps[64];
    const char *kind;
    json_t *v;
    json_object_foreach (into, kind, v) {
        const struct model_kind_measure *km = model_kind_measure(model_kind(m, kind), ms->id);
        for (size_t p = 0; km && p < km->n_paths; p++)
            for (size_t s = 0; s < km->paths[p].n_steps && n_steps < 64; s++)
                steps[n_steps++] = &km->paths[p].steps[s];
    }
    for (size_t grown = 1; grown;) {
        grown = 0;
        for (size_t i = 0; i < n_steps; i++) {
            const struct model_step *step = steps[i];
            for (size_t n = 0; step->type == STEP_REFERENCED_BY && n < step->n_kinds; n++)
                if (!json_object_get(into, step->kinds[n])) {
                    add_field(into, step->kinds[n]);
                    grown++;
                }
            if (step->type != STEP_REF)
                continue;
            json_t *more = json_object();
            json_object_foreach (into, kind, v) {
                const struct model_field *f = model_field(model_kind(m, kind), step->field);
                for (size_t n = 0; f && f->type == FT_REF && n < f->n_ref_kinds; n++)
                    if (!json_object_get(into, f->ref_kinds[n]))
                        add_field(more, f->ref_kinds[n]);
            }
            grown += json_object_size(more);
            json_object_update(into, more);
            json_decref(more);
        }
    }
}

/* What judging measure ms reads: its items, its steps' fields, and its
 * items' sources judged by done_when. */
static void measure_needs(struct rule_mem *j, const struct model *m,
                          const struct model_measure *ms)
{
    if (!ms || far_of(j, ms, false))
        return;
    add_field(j->fields, ms->items);
    add_cond(j->fields, &ms->done_when);
    json_t *sources = json_object();
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        const struct model_kind_measure *km = model_kind_measure(k, ms->id);
        for (size_t p = 0; km && p < km->n_paths; p++)
            for (size_t st = 0; st < km->paths[p].n_steps; st++)
                add_field(j->fields, km->paths[p].steps[st].field);
        const struct model_field *f = km ? model_field(k, ms->items) : NULL;
        const struct model_field *ref = f ? model_sub_field(f->item, ms->done_ref) : NULL;
        for (size_t n = 0; ref && n < ref->n_ref_kinds; n++)
            add_field(sources, ref->ref_kinds[n]);
    }
    far_add(j, ms, &ms->done_when, NULL, false, sources);
}

json_t *rule_mem_fields(struct registry *r)
{
    struct rule_mem *j = rule_mem_new(r, 0, false);
    json_t *fields = json_incref(j->fields);
    rule_mem_free(j);
    return fields;
}

struct rule_mem *rule_mem_new(struct registry *r, int64_t today, bool whole)
{
    const struct model *m = r->model;
    struct rule_mem *j = xcalloc(1, sizeof *j);
    j->r = r;
    j->today = today;
    j->whole = whole;
    j->day_ms = -1;
    j->fields = json_object();
    j->refby = json_object();
    j->mstart = json_object();
    j->a = arena_new();
    pthread_mutex_init(&j->chain_mu, NULL);
    pthread_mutex_init(&j->refby_mu, NULL);
    static const struct actor everyone = {.id = "system:rules", .system = true};
    j->rows = reg_rows_new(r, &everyone);
    j->inherited = json_object();
    static const char *const always[] = {"id", "kind", "type", "owner", "source", "target",
                                         "updated_at"};
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        add_field(j->fields, always[i]);
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        add_field(j->fields, k->workflow ? k->workflow->status_field : NULL);
        add_field(j->fields, k->inherit_via);
        for (size_t f = 0; k->inherit_via && f < k->n_inherit_fields; f++)
            add_field(j->fields, k->inherit_fields[f]);
    }
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        add_cond(j->fields, &ru->when);
        add_cond(j->fields, &ru->require);
        add_field(j->fields, ru->items.field);
        for (size_t n = 0; n < ru->n_relations + ru->n_any_of; n++) {
            const struct model_rule_relation *q =
                n < ru->n_relations ? &ru->relations[n] : &ru->any_of[n - ru->n_relations];
            add_cond(j->fields, &q->where);
            add_cond(j->fields, &q->attrs);
            add_field(j->fields, q->distinct);
            if (q->how == REQ_REF || q->how == REQ_REFERENCED_BY)
                add_field(j->fields, q->field);
            if (q->how == REQ_MEASURE) {
                const struct model_measure *ms = model_measure(m, q->measure);
                measure_needs(j, m, ms);
                json_t *from = ms ? json_object_get(j->mstart, ms->id) : NULL;
                if (ms && !from)
                    json_object_set_new(j->mstart, ms->id, from = json_object());
                for (size_t k = 0; from && k < ru->n_kinds; k++)
                    if (model_kind_measure(model_kind(m, ru->kinds[k]), ms->id))
                        add_field(from, ru->kinds[k]);
            }
            if (q->how == REQ_RELATION && (q->where.n_terms || q->distinct)) {
                json_t *kinds = json_object();
                far_kinds(m, q->type, q->out, kinds);
                far_add(j, q, &q->where, q->distinct, false, kinds);
            }
            if (q->how == REQ_RELATION && q->attrs.n_terms) {
                json_t *kinds = json_object();
                add_field(kinds, q->type);
                far_add(j, q, &q->attrs, NULL, true, kinds);
            }
            if (q->how == REQ_REF && q->where.n_terms) {
                json_t *kinds = json_object();
                ref_kinds(m, ru, q->field, kinds);
                far_add(j, q, &q->where, NULL, false, kinds);
            }
        }
    }
    reg_members_sign(j->fields, &j->sig);
    return j;
}

void rule_mem_free(struct rule_mem *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_far; i++) {
        json_decref(j->far[i].kinds);
        json_decref(j->far[i].keys);
        json_decref(j->far[i].mem);
        free(j->far[i].fk); /* its terms are in j->a */
        free(j->far[i].st);
        free(j->far[i].dk);
        free(j->far[i].owner_dk);
    }
    free(j->far);
    for (size_t i = 0; i < j->n_chains; i++) {
        struct chain *c = &j->chains[i];
        free(c->reached);
        free(c->in_next);
        free(c->cur);
        free(c->next);
        free(c->got);
        if (c->borrowed)
            continue;
        for (size_t n = 0; n < c->n; n++)
            json_decref(c->rec[n]);
        free(c->rec);
        free(c->kind);
        free(c->items);
        free(c->done);
        json_decref(c->ids);
        json_decref(c->below);
        json_decref(c->kinds);
        json_decref(c->fields);
    }
    free(j->chains);
    reg_rows_free(j->rows);
    json_decref(j->inherited);
    free(j->ends);
    json_decref(j->fields);
    json_decref(j->refby);
    json_decref(j->mstart);
    arena_free(j->a);
    pthread_mutex_destroy(&j->chain_mu);
    pthread_mutex_destroy(&j->refby_mu);
    free(j);
}

void rule_mem_share(struct rule_mem *j, struct rule_mem *common)
{
    j->common = common;
}

int64_t rule_mem_day(struct rule_mem *j, registry_day_fn day_of, void *ctx, int64_t t_ms)
{
    if (t_ms != j->day_ms) {
        j->day = day_of(ctx, t_ms);
        j->day_ms = t_ms;
    }
    return j->day;
}

static json_t *member_value(struct jspan v);

/* What a record of kind k naming `base` by its inherit_via inherits, as
 * registry_inherited gives it ({field: [{from, items}]}, nearest base
 * first), from the base's own items and what the base inherits in turn:
 * each base read and its items parsed once a judging (borrowed from the
 * memo; NULL on a store error). seen: the bases below on this chain (a
 * cycle, which the writes refuse, ends it as registry_inherited does). */
static json_t *inherited_via(struct rule_mem *j, const struct model_kind *k, const char *base,
                             const char **seen, int depth, struct err *e)
{
    char key[320];
    snprintf(key, sizeof key, "%s %s", k->id, base);
    json_t *have = json_object_get(j->inherited, key);
    if (have)
        return have;
    int rc = 0;
    const struct rec_row *row = *base ? reg_rows_readable(j->rows, base, &rc, e) : NULL;
    if (rc < 0)
        return NULL;
    json_t *above = NULL;
    char next[128] = "";
    const struct model_kind *bk = row ? model_kind(j->r->model, row->kind) : NULL;
    struct jspan v;
    size_t len = row ? strlen(row->data) : 0;
    if (bk && bk->inherit_via && strcmp(bk->inherit_via, k->inherit_via) == 0 &&
        jtext_member((struct jspan){row->data, len}, k->inherit_via, &v))
        reg_text_string(v, next, sizeof next);
    for (int i = 0; i <= depth && *next; i++)
        if (strcmp(seen[i], next) == 0)
            next[0] = '\0'; /* round again: the chain ends */
    if (*next && depth + 1 < MODEL_INHERIT_MAX_DEPTH) {
        seen[depth + 1] = next;
        if (!(above = inherited_via(j, k, next, seen, depth + 1, e)))
            return NULL;
    }
    json_t *out = json_object();
    for (size_t i = 0; i < k->n_inherit_fields; i++) {
        const char *field = k->inherit_fields[i];
        json_t *list = json_array(), *items;
        struct jspan span, one;
        struct jtext_iter it;
        if (row && jtext_member((struct jspan){row->data, len}, field, &span) &&
            jtext_array(span, &it) && jtext_next(&it, &one) &&
            (items = member_value(span)))
            json_array_append_new(list, json_pack("{s:s, s:o}", "from", row->id, "items", items));
        json_array_extend(list, json_object_get(above, field));
        json_object_set_new(out, field, list);
    }
    json_object_set_new(j->inherited, key, out);
    return out;
}

int rule_mem_inherited(struct rule_mem *j, const json_t *rec, json_t **out, struct err *e)
{
    *out = NULL;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(j->r->model, kind) : NULL;
    if (!k || !k->inherit_via)
        return 0;
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *base = json_string_value(json_object_get(rec, k->inherit_via));
    const char *seen[MODEL_INHERIT_MAX_DEPTH + 1] = {id ? id : "", base ? base : ""};
    json_t *have = inherited_via(j, k, base ? base : "", seen, 1, e);
    if (!have)
        return -1;
    *out = json_incref(have);
    return 0;
}

/* A value of stored JSON text built without the parser when it is made of
 * what the portal writes plainly — strings without escapes, integers,
 * true/false/null, and arrays and objects of them (an i18n text, a list of
 * refs, a list of attributes): NULL for anything else (an escape, a
 * fraction, too deep), which the parser then reads. The text is the
 * portal's own (well-formed: jansson wrote it). */
static json_t *plain_value(struct jspan v, int depth)
{
    struct jspan s, key, one;
    struct jtext_iter it;
    if (jtext_plain_string(v, &s))
        return json_stringn_nocheck(s.p, s.n);
    if (v.n == 4 && memcmp(v.p, "true", 4) == 0)
        return json_true();
    if (v.n == 5 && memcmp(v.p, "false", 5) == 0)
        return json_false();
    if (v.n == 4 && memcmp(v.p, "null", 4) == 0)
        return json_null();
    if (v.n && v.n < 19 && (v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9'))) {
        size_t i = v.p[0] == '-';
        bool digits = i < v.n && !(v.p[i] == '0' && v.n > i + 1);
        for (size_t j = i; digits && j < v.n; j++)
            digits = v.p[j] >= '0' && v.p[j] <= '9';
        if (!digits)
            return NULL;
        long long x = 0; /* an integer (a revision, a count), as the parser reads it */
        for (size_t j = i; j < v.n; j++)
            x = x * 10 + (v.p[j] - '0');
        return json_integer(i ? -x : x);
    }
    if (depth >= 16)
        return NULL;
    if (jtext_object(v, &it)) {
        json_t *obj = json_object(), *x = obj;
        while (x && jtext_next_member(&it, &key, &one)) {
            x = memchr(key.p, '\\', key.n) ? NULL : plain_value(one, depth + 1);
            if (x)
                json_object_setn_new_nocheck(obj, key.p, key.n, x);
        }
        if (x && jtext_object_whole(&it))
            return obj;
        json_decref(obj);
        return NULL;
    }
    if (jtext_array(v, &it)) {
        json_t *list = json_array(), *x = list;
        while (x && jtext_next(&it, &one))
            if ((x = plain_value(one, depth + 1)))
                json_array_append_new(list, x);
        if (x)
            return list;
        json_decref(list);
    }
    return NULL;
}

/* One member's value: built plainly when it can be, else parsed. */
static json_t *member_value(struct jspan v)
{
    json_t *x = plain_value(v, 0);
    return x ? x : json_loadb(v.p, v.n, JSON_DECODE_ANY, NULL);
}

static unsigned member_mark(const char *p, size_t n)
{
    return n ? (unsigned)(n * 31u + (unsigned char)p[0] * 7u + (unsigned char)p[n - 1]) & 255u : 0;
}

void reg_members_sign(const json_t *fields, struct reg_members_sig *sig)
{
    const char *name;
    json_t *v;
    memset(sig, 0, sizeof *sig);
    json_object_foreach ((json_t *)fields, name, v) {
        unsigned m = member_mark(name, strlen(name));
        sig->bits[m / 64] |= 1ull << (m % 64);
    }
}

json_t *reg_project(const json_t *fields, const char *text, size_t n)
{
    return reg_project_signed(fields, NULL, text, n);
}

json_t *reg_project_signed(const json_t *fields, const struct reg_members_sig *sig,
                           const char *text, size_t n)
{
    struct jtext_iter it;
    struct jspan key, v;
    if (!jtext_object((struct jspan){text, n}, &it))
        return json_loadb(text, n, 0, NULL);
    json_t *rec = json_object();
    while (jtext_next_member(&it, &key, &v)) {
        unsigned m = member_mark(key.p, key.n);
        if (sig && !((sig->bits[m / 64] >> (m % 64)) & 1))
            continue; /* surely not in the set */
        if (!json_object_getn(fields, key.p, key.n))
            continue;
        json_t *val = member_value(v);
        if (!val)
            break;
        json_object_setn_new_nocheck(rec, key.p, key.n, val);
    }
    if (!jtext_object_whole(&it)) { /* malformed: as a parse sees it */
        json_decref(rec);
        return json_loadb(text, n, 0, NULL);
    }
    return rec;
}

json_t *reg_reading_members(const struct model *m)
{
    json_t *set = json_object();
    static const char *const always[] = {"id", "kind", "owner", "name", "type", "source", "target"};
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        json_object_set_new(set, always[i], json_true());
    for (size_t i = 0; i < model_n_workflows(m); i++)
        json_object_set_new(set, model_workflow_at(m, i)->status_field, json_true());
    return set;
}

json_t *rule_mem_project(const struct rule_mem *j, const char *text, size_t n)
{
    return reg_project_signed(j->fields, &j->sig, text, n);
}

static void far_room(struct far *f, uint32_t rid)
{
    if (rid < f->cap)
        return;
    size_t cap = f->cap ? f->cap : 4096;
    while (cap <= rid)
        cap *= 2;
    f->st = xrealloc(f->st, cap);
    memset(f->st + f->cap, 0, cap - f->cap);
    if (f->distinct) {
        f->dk = xrealloc(f->dk, cap * sizeof *f->dk);
        memset(f->dk + f->cap, 0, (cap - f->cap) * sizeof *f->dk);
    }
    f->cap = cap;
}

/* Judges rec (row id rid) by far condition f on day `day`, and keeps it
 * when day is today or f does not depend on the day. */
static bool far_judge(struct rule_mem *j, struct far *f, uint32_t rid, const json_t *rec,
                      int64_t day, uint32_t *dk)
{
    bool keeps = model_cond_holds(f->cond, rec, day);
    *dk = 0;
    if (keeps && f->distinct) {
        const json_t *v = json_object_get(rec, f->distinct);
        char *key = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (key) {
            json_t *at = json_object_get(f->keys, key);
            if (!at) {
                at = json_integer((json_int_t)json_object_size(f->keys) + 1);
                json_object_set_new(f->keys, key, at);
            }
            *dk = (uint32_t)json_integer_value(at);
        }
        free(key);
    }
    if (day == j->today || !dated(f->cond)) {
        far_room(f, rid);
        f->st[rid] = keeps ? 1 : 2;
        if (f->dk)
            f->dk[rid] = *dk;
    }
    return keeps;
}


/* Makes how the filter index judges f on records of kind `kind` (under
 * its read lock): NULL when it cannot (a term on a field it does not hold
 * with one code a record, or on presence or dates). */
static const struct far_kind *far_kind_mem(struct rule_mem *j, struct far *f, const char *kind)
{
    const json_t *at = json_object_get(f->mem, kind);
    if (at)
        return json_integer_value(at) ? &f->fk[json_integer_value(at) - 1] : NULL;
    const struct model *m = j->r->model;
    const struct model_kind *k = model_kind(m, kind);
    struct far_kind fk = {arena_calloc(j->a, f->cond->n_terms + 1, sizeof *fk.t), 0};
    bool can = k && k->collection;
    for (size_t i = 0; can && i < f->cond->n_terms; i++) {
        const struct model_cond_term *t = &f->cond->terms[i];
        const struct model_field *fd = model_field(k, t->field);
        can = !t->presence && !t->when && fd && fd->filterable &&
              (fd->type == FT_ENUM || fd->type == FT_BOOL) &&
              reg_field_in_memory(m, k->collection, t->field);
        struct far_term *ft = &fk.t[fk.n++];
        ft->key = arena_printf(j->a, "%s:%s", k->collection, t->field);
        struct fidx_codes codes;
        can = can && fidx_codes(j->r->fidx, ft->key, &codes);
        for (size_t v = 0; can && v < t->n_values; v++) {
            uint8_t c = *t->values[v] ? fidx_code(j->r->fidx, j->a, ft->key, t->values[v]) : 0;
            can = *t->values[v] != 0; /* "" stands for absent there: read the record */
            if (c)
                ft->accept[c / 64] |= 1ull << (c % 64);
        }
    }
    if (!can || (f->distinct && (strcmp(f->distinct, "owner") != 0 || !k->owned))) {
        json_object_set_new(f->mem, kind, json_integer(0));
        return NULL;
    }
    f->fk = xrealloc(f->fk, (f->n_fk + 1) * sizeof *f->fk);
    f->fk[f->n_fk++] = fk;
    json_object_set_new(f->mem, kind, json_integer((json_int_t)f->n_fk));
    return &f->fk[f->n_fk - 1];
}

/* The distinct key (in f->keys) of a string value, as far_judge makes it. */
static uint32_t string_key(struct far *f, const char *value)
{
    json_t *v = json_string(value);
    char *key = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    json_t *at = json_object_get(f->keys, key);
    if (!at) {
        at = json_integer((json_int_t)json_object_size(f->keys) + 1);
        json_object_set_new(f->keys, key, at);
    }
    free(key);
    return (uint32_t)json_integer_value(at);
}

/* Record rid of kind `kind` as the filter index judges f: 1 kept (*dk its
 * distinct value), 0 not, -1 it cannot tell. */
static int far_mem(struct rule_mem *j, struct far *f, uint32_t rid, const char *kind, uint32_t *dk)
{
    struct fidx *x = j->r->fidx;
    int keeps = 1;
    *dk = 0;
    fidx_read_lock(x);
    const struct far_kind *fk = kind ? far_kind_mem(j, f, kind) : NULL;
    for (size_t i = 0; fk && keeps == 1 && i < fk->n; i++) {
        struct fidx_codes codes;
        uint8_t c = fidx_codes(x, fk->t[i].key, &codes) && rid < codes.n ? codes.codes[rid] : 0;
        keeps = c == FIDX_SEVERAL ? -1 : (int)((fk->t[i].accept[c / 64] >> (c % 64)) & 1);
    }
    if (fk && keeps == 1 && f->distinct) {
        /* the owner from the index's word per row id (a map of every
         * record's owner, made for each judging, took a millisecond of
         * each write's re-judging at national scale) */
        size_t pos = 0;
        const char *owner = fidx_one_value(x, "owner", rid, &pos);
        if (owner && pos >= f->n_owner_dk) {
            size_t n = pos + 64;
            f->owner_dk = xrealloc(f->owner_dk, n * sizeof *f->owner_dk);
            memset(f->owner_dk + f->n_owner_dk, 0, (n - f->n_owner_dk) * sizeof *f->owner_dk);
            f->n_owner_dk = n;
        }
        if (owner && !f->owner_dk[pos]) /* in this far's keys, as far_judge numbers them */
            f->owner_dk[pos] = string_key(f, owner);
        *dk = owner ? f->owner_dk[pos] : 0;
    }
    fidx_read_unlock(x);
    return fk ? keeps : -1;
}

void rule_mem_met(struct rule_mem *j, uint32_t rid, const char *kind, const json_t *rec)
{
    uint32_t dk;
    for (size_t i = 0; kind && i < j->n_far; i++) {
        struct far *f = &j->far[i];
        if (!json_object_get(f->kinds, kind))
            continue;
        /* the filter index judges it as fast when asked: not here */
        const json_t *mem = json_object_get(f->mem, kind);
        if (!mem && fidx_ready(j->r->fidx)) {
            fidx_read_lock(j->r->fidx);
            far_kind_mem(j, f, kind);
            fidx_read_unlock(j->r->fidx);
            mem = json_object_get(f->mem, kind);
        }
        if (!json_integer_value(mem))
            far_judge(j, f, rid, rec, j->today, &dk);
    }
}

/* Record rid (of kind `kind`, NULL: unknown) as f judges it on `day`: 1
 * kept (*dk its distinct value), 0 not, -1 on a store error; from the
 * filter index when it can tell, else read (projected) when not judged
 * yet. */
static int far_state(struct rule_mem *j, struct far *f, uint32_t rid, const char *kind,
                     int64_t day, uint32_t *dk, struct err *e)
{
    if ((day == j->today || !dated(f->cond)) && rid < f->cap && f->st[rid]) {
        *dk = f->dk ? f->dk[rid] : 0;
        return f->st[rid] == 1;
    }
    int mem = fidx_ready(j->r->fidx) ? far_mem(j, f, rid, kind, dk) : -1;
    if (mem >= 0)
        return mem;
    struct store_stmt *st = store_prepare(store_conn(j->r->store),
                                          "SELECT data FROM record_data WHERE rid = $1", true, e);
    if (!st)
        return -1;
    store_bind_int64(st, 1, rid);
    int rc = store_step(st, e);
    json_t *rec = rc == STORE_ROW ? rule_mem_project(j, store_col_text(st, 0),
                                                     strlen(store_col_text(st, 0)))
                                  : NULL;
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    bool keeps = rec && far_judge(j, f, rid, rec, day, dk);
    json_decref(rec);
    return keeps;
}

static bool keep_type(void *ctx, uint32_t rid, const char *type)
{
    (void)rid;
    return strcmp(type, ctx) == 0;
}

static size_t ends_of(struct rule_mem *j, const char *id, const struct model_rule_relation *q,
                      struct end **out)
{
    struct fidx *x = j->r->fidx;
    fidx_read_lock(x);
    const struct relidx *g = fidx_graph(x);
    if (g != j->node_graph || strcmp(id, j->node_id) != 0) {
        size_t len = strlen(id);
        j->node_graph = g;
        j->node = len < sizeof j->node_id ? relidx_node_at(g, id) : 0;
        len = len < sizeof j->node_id ? len : 0; /* too long: no node, nothing kept */
        memcpy(j->node_id, id, len);
        j->node_id[len] = '\0';
    }
    size_t n = relidx_hits_into(g, j->a, &j->node, &id, 1, q->out, keep_type, (void *)q->type,
                                &j->hits, &j->cap);
    if (n > j->n_ends) {
        j->ends = xrealloc(j->ends, n * sizeof *j->ends);
        j->n_ends = n;
    }
    struct end *v = j->ends;
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k =
            j->hits[i].other_kind ? model_kind(j->r->model, j->hits[i].other_kind) : NULL;
        v[i] = (struct end){j->hits[i].rid, j->hits[i].other_live ? j->hits[i].other_rid : 0,
                            k ? k->id : NULL};
    }
    fidx_read_unlock(x);
    *out = v;
    return n;
}

/* As rule-count.c's count_relation_ends and registry_count_relations. */
static int count_relations(struct rule_mem *j, const char *id, const struct model_rule_relation *q,
                           int64_t day, struct err *e)
{
    struct end *ends;
    size_t n = ends_of(j, id, q, &ends);
    bool plain = !q->where.n_terms && !q->attrs.n_terms && !q->distinct;
    struct far *fw = far_of(j, q, false), *fa = far_of(j, q, true);
    int count = 0;
    json_t *seen = q->distinct ? json_object() : NULL;
    for (size_t i = 0; count >= 0 && i < n; i++) {
        if (plain) {
            count++;
            continue;
        }
        uint32_t dk = 0;
        if (!ends[i].other)
            continue; /* the far end is gone */
        int keeps = fa ? far_state(j, fa, ends[i].rel, q->type, day, &dk, e) : 1;
        if (keeps > 0 && fw)
            keeps = far_state(j, fw, ends[i].other, ends[i].kind, day, &dk, e);
        if (keeps < 0) {
            count = -1;
        } else if (keeps && !seen) {
            count++;
        } else if (keeps && dk) {
            char key[16];
            snprintf(key, sizeof key, "%u", dk);
            if (!json_object_get(seen, key)) {
                json_object_set_new(seen, key, json_true());
                count++;
            }
        }
    }
    json_decref(seen);
    return count;
}

/* The row id of live record id from the relations graph (0: none such)
 * and its kind (the model's string; NULL when unknown). */
static uint32_t live_node(struct rule_mem *j, const char *id, const char **kind)
{
    uint32_t rid = 0;
    const char *k;
    bool live = false;
    *kind = NULL;
    if (!id || !*id)
        return 0;
    fidx_read_lock(j->r->fidx);
    bool known = relidx_node(fidx_graph(j->r->fidx), id, &rid, &k, &live);
    const struct model_kind *mk = known && k ? model_kind(j->r->model, k) : NULL;
    fidx_read_unlock(j->r->fidx);
    *kind = mk ? mk->id : NULL;
    return known && live ? rid : 0;
}

/* 1 when rec's ref q->field names a live record keeping `where`. */
static int count_ref(struct rule_mem *j, const json_t *rec, const struct model_rule_relation *q,
                     int64_t day, struct err *e)
{
    const char *kind;
    uint32_t rid = live_node(j, json_string_value(json_object_get(rec, q->field)), &kind), dk;
    if (!rid)
        return 0;
    struct far *f = far_of(j, q, false);
    return f ? far_state(j, f, rid, kind, day, &dk, e) : 1;
}

/* Calls fn(ctx, kind, stored text) for every live record of the kinds
 * (strings, n of them) until it answers -1; -1 then or on a store error. */
static int scan_kinds(struct rule_mem *j, const char *const *kinds, size_t n,
                      int (*fn)(void *ctx, const struct model_kind *k, const char *data,
                                struct err *e),
                      void *ctx, struct err *e)
{
    char *text = reg_strings_json(kinds, n);
    char *colls = reg_kind_collections_json(j->r->model, kinds, n);
    struct store_stmt *st = store_prepare(
        store_conn(j->r->store),
        "SELECT r.kind, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
        "WHERE r.collection IN (SELECT value FROM json_each($2)) AND r.retired = 0 "
        "AND r.kind IN (SELECT value FROM json_each($1))",
        false, e);
    int rc = STORE_ERROR;
    if (st) {
        store_bind_text(st, 1, text);
        store_bind_text(st, 2, colls);
        while ((rc = store_step(st, e)) == STORE_ROW) {
            const struct model_kind *k = model_kind(j->r->model, store_col_text(st, 0));
            if (k && fn(ctx, k, store_col_text(st, 1), e) < 0) {
                rc = STORE_ERROR;
                break;
            }
        }
        store_finalize(st);
    }
    free(colls);
    free(text);
    return rc == STORE_ERROR ? -1 : 0;
}

struct refby_scan {
    struct rule_mem *j;
    const struct model_rule_relation *q;
    json_t *counts;
};

static int count_referencing_one(void *ctx, const struct model_kind *k, const char *data,
                                 struct err *e)
{
    struct refby_scan *s = ctx;
    (void)k;
    (void)e;
    json_t *rec = rule_mem_project(s->j, data, strlen(data));
    const char *to = json_string_value(json_object_get(rec, s->q->field));
    if (to && model_cond_holds(&s->q->where, rec, s->j->today)) {
        json_t *c = json_object_get(s->counts, to);
        json_object_set_new(s->counts, to, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    json_decref(rec);
    return 0;
}

/* The records of q's kinds keeping its `where` today, counted by the id
 * their ref field q->field names: one scan, the first time it is asked. */
static const json_t *referencing_counts(struct rule_mem *j, const struct model_rule_relation *q,
                                        struct err *e)
{
    if (j->common) { /* counted once for both threads, then only read */
        pthread_mutex_lock(&j->common->refby_mu);
        const json_t *counts = referencing_counts(j->common, q, e);
        pthread_mutex_unlock(&j->common->refby_mu);
        return counts;
    }
    char name[32];
    snprintf(name, sizeof name, "%p", (const void *)q);
    const json_t *have = json_object_get(j->refby, name);
    if (have)
        return have;
    struct refby_scan scan = {j, q, json_object()};
    if (scan_kinds(j, q->kinds, q->n_kinds, count_referencing_one, &scan, e) < 0) {
        json_decref(scan.counts);
        return NULL;
    }
    json_object_set_new(j->refby, name, scan.counts);
    return scan.counts;
}

/* ---- measures taken along chains ------------------------------------- */

/* Is item source `ref` done by ms: a live record keeping done_when? */
static int source_done(struct rule_mem *j, const struct model_measure *ms, const char *ref,
                       struct err *e)
{
    const char *kind;
    uint32_t rid = live_node(j, ref, &kind), dk;
    return rid ? far_state(j, far_of(j, ms, false), rid, kind, j->today, &dk, e) : 0;
}

/* The ids ref field `field` of rec names (a ref or a list of them). */
static size_t refs_named(const json_t *rec, const char *field, const char **out, size_t max)
{
    const json_t *v = json_object_get(rec, field), *one;
    size_t n = 0, i;
    if (json_is_string(v) && max)
        out[n++] = json_string_value(v);
    json_array_foreach (json_is_array(v) ? v : NULL, i, one)
        if (json_is_string(one) && n < max)
            out[n++] = json_string_value(one);
    return n;
}

/* Adds the record of kind k whose stored text is data to c: its chain
 * fields parsed, its items counted and judged in the text (not parsed).
 * Its index; -1 on a store error. */
static long chain_add(struct rule_mem *j, struct chain *c, const struct model_kind *k,
                      const char *data, struct err *e)
{
    size_t len = strlen(data);
    json_t *rec = reg_project_signed(c->fields, &c->sig, data, len);
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!id) {
        json_decref(rec);
        return -2;
    }
    if (c->n == c->cap) {
        size_t had = c->cap;
        c->cap = c->cap ? 2 * c->cap : 256;
        c->rec = xrealloc(c->rec, c->cap * sizeof *c->rec);
        c->kind = xrealloc(c->kind, c->cap * sizeof *c->kind);
        c->items = xrealloc(c->items, c->cap * sizeof *c->items);
        c->done = xrealloc(c->done, c->cap * sizeof *c->done);
        c->reached = xrealloc(c->reached, c->cap);
        c->in_next = xrealloc(c->in_next, c->cap);
        memset(c->reached + had, 0, c->cap - had);
        memset(c->in_next + had, 0, c->cap - had);
        c->cur = xrealloc(c->cur, c->cap * sizeof *c->cur);
        c->next = xrealloc(c->next, c->cap * sizeof *c->next);
        c->got = xrealloc(c->got, c->cap * sizeof *c->got);
    }
    uint32_t items = 0, done = 0;
    struct jspan span, item, ref;
    struct jtext_iter it;
    int rc = 0;
    if (jtext_member((struct jspan){data, len}, c->ms->items, &span) && jtext_array(span, &it))
        while (rc == 0 && jtext_next(&it, &item)) {
            char source[256];
            bool named = jtext_member(item, c->ms->done_ref, &ref) &&
                         reg_text_string(ref, source, sizeof source);
            int d = named ? source_done(j, c->ms, source, e) : 0;
            rc = d < 0 ? -1 : 0;
            items++;
            done += d > 0;
        }
    c->rec[c->n] = rec;
    c->kind[c->n] = k->id;
    c->items[c->n] = items;
    c->done[c->n] = done;
    json_object_set_new(c->ids, id, json_integer((json_int_t)c->n + 1));
    c->n++;
    return rc < 0 ? -1 : (long)c->n - 1;
}

/* The records the chain fields of kinds ms may reach name (every record
 * that names one by a step's field below it). */
static void below_all(const struct model *m, struct chain *c)
{
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind_measure *km = model_kind_measure(model_kind_at(m, i), c->ms->id);
        for (size_t p = 0; km && p < km->n_paths; p++)
            for (size_t s = 0; s < km->paths[p].n_steps; s++) {
                const struct model_step *step = &km->paths[p].steps[s];
                char key[300];
                snprintf(key, sizeof key, "%s ", step->field);
                if (step->type != STEP_REFERENCED_BY || json_object_get(c->below, key))
                    continue;
                json_object_set_new(c->below, key, json_true()); /* this field done */
                for (size_t n = 0; n < c->n; n++) {
                    const char *to[64];
                    size_t k = refs_named(c->rec[n], step->field, to, 64);
                    for (size_t t = 0; t < k; t++) {
                        snprintf(key, sizeof key, "%s %s", step->field, to[t]);
                        json_t *at = json_object_get(c->below, key);
                        if (!at)
                            json_object_set_new(c->below, key, at = json_array());
                        json_array_append_new(at, json_integer((json_int_t)n));
                    }
                }
            }
    }
}

struct chain_scan {
    struct rule_mem *j;
    struct chain *c;
};

static int chain_add_one(void *ctx, const struct model_kind *k, const char *data, struct err *e)
{
    struct chain_scan *s = ctx;
    return chain_add(s->j, s->c, k, data, e) == -1 ? -1 : 0;
}

static struct chain *chain_of_measure(struct rule_mem *j, const struct model_measure *ms,
                                      struct err *e);

/* This thread's view of the common judging's chain of ms: the chain (which
 * no longer changes: it was read whole) with a work space of its own. */
static struct chain *chain_borrow(struct rule_mem *j, const struct model_measure *ms,
                                  struct err *e)
{
    pthread_mutex_lock(&j->common->chain_mu);
    const struct chain *common = chain_of_measure(j->common, ms, e);
    struct chain c = common ? *common : (struct chain){0};
    pthread_mutex_unlock(&j->common->chain_mu);
    if (!common)
        return NULL;
    c.borrowed = true;
    c.reached = xcalloc(c.cap ? c.cap : 1, 1);
    c.in_next = xcalloc(c.cap ? c.cap : 1, 1);
    c.cur = xcalloc(c.cap ? c.cap : 1, sizeof *c.cur);
    c.next = xcalloc(c.cap ? c.cap : 1, sizeof *c.next);
    c.got = xcalloc(c.cap ? c.cap : 1, sizeof *c.got);
    j->chains = xrealloc(j->chains, (j->n_chains + 1) * sizeof *j->chains);
    j->chains[j->n_chains++] = c;
    return &j->chains[j->n_chains - 1];
}

/* The chain of measure ms: in a judging of everything, every live record
 * it may be taken from or reach, read in one scan; else (a few records
 * judged again after a write) each read when a step first reaches it. */
static struct chain *chain_of_measure(struct rule_mem *j, const struct model_measure *ms,
                                      struct err *e)
{
    for (size_t i = 0; i < j->n_chains; i++)
        if (j->chains[i].ms == ms)
            return &j->chains[i];
    if (j->common) /* the common chain, read once; a work space of this thread's */
        return chain_borrow(j, ms, e);
    const struct model *m = j->r->model;
    struct chain c = {.ms = ms, .lazy = !j->whole, .ids = json_object(), .below = json_object()};
    c.kinds = json_deep_copy(json_object_get(j->mstart, ms->id));
    if (!c.kinds)
        c.kinds = json_object();
    measure_kinds(m, ms, c.kinds);
    c.fields = json_pack("{s:b, s:b}", "id", 1, "kind", 1);
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind_measure *km = model_kind_measure(model_kind_at(m, i), ms->id);
        for (size_t p = 0; km && p < km->n_paths; p++)
            for (size_t s = 0; s < km->paths[p].n_steps; s++)
                add_field(c.fields, km->paths[p].steps[s].field);
    }
    reg_members_sign(c.fields, &c.sig);
    int rc = 0;
    if (!c.lazy) {
        const char **kinds = xcalloc(json_object_size(c.kinds) + 1, sizeof *kinds);
        size_t n = 0;
        const char *kind;
        json_t *v;
        json_object_foreach (c.kinds, kind, v)
            kinds[n++] = kind;
        struct chain_scan scan = {j, &c};
        rc = scan_kinds(j, kinds, n, chain_add_one, &scan, e);
        free(kinds);
        below_all(m, &c);
    }
    j->chains = xrealloc(j->chains, (j->n_chains + 1) * sizeof *j->chains);
    j->chains[j->n_chains++] = c; /* freed with the rest, also on an error */
    return rc < 0 ? NULL : &j->chains[j->n_chains - 1];
}

/* The index of record id in c + 1; 0 when it is not a live record of a
 * kind c measures (read now when c is lazy); -1 on a store error. */
static long chain_find(struct rule_mem *j, struct chain *c, const char *id, struct err *e)
{
    const json_t *at = json_object_get(c->ids, id);
    if (at || !c->lazy)
        return at ? (long)json_integer_value(at) : 0;
    int rc = 0;
    const struct rec_row *row = reg_rows_readable(j->rows, id, &rc, e);
    if (rc < 0)
        return -1;
    const struct model_kind *k = row ? model_kind(j->r->model, row->kind) : NULL;
    long n = k && json_object_get(c->kinds, k->id) ? chain_add(j, c, k, row->data, e) : -2;
    if (n == -1)
        return -1;
    if (n < 0) { /* not one: remembered as such */
        json_object_set_new(c->ids, id, json_integer(0));
        return 0;
    }
    return n + 1;
}

/* The indices of the records naming x by `field` (borrowed, NULL: none);
 * read now when c is lazy. *rc -1 on a store error. */
static const json_t *chain_below(struct rule_mem *j, struct chain *c, const char *field,
                                 uint32_t x, int *rc, struct err *e)
{
    const char *id = json_string_value(json_object_get(c->rec[x], "id"));
    char key[300];
    snprintf(key, sizeof key, "%s %s", field, id);
    const json_t *have = json_object_get(c->below, key);
    if (have || !c->lazy)
        return have;
    json_t *found = json_array();
    json_object_set_new(c->below, key, found);
    struct store_stmt *st = store_prepare(
        store_conn(j->r->store),
        "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid AND r.retired = 0 "
        "WHERE a.field = '_ref' AND a.value = $1",
        true, e);
    if (!st) {
        *rc = -1;
        return NULL;
    }
    store_bind_text(st, 1, id);
    json_t *names = json_array();
    int step;
    while ((step = store_step(st, e)) == STORE_ROW)
        json_array_append_new(names, json_string(store_col_text(st, 0)));
    store_reset(st);
    size_t i;
    json_t *name;
    json_array_foreach (step == STORE_ERROR ? NULL : names, i, name) {
        long y = chain_find(j, c, json_string_value(name), e);
        if (y < 0) {
            step = STORE_ERROR;
            break;
        }
        const char *to[64];
        size_t k = y ? refs_named(c->rec[y - 1], field, to, 64) : 0;
        for (size_t t = 0; t < k; t++)
            if (strcmp(to[t], json_string_value(json_object_get(c->rec[x], "id"))) == 0) {
                json_array_append_new(found, json_integer(y - 1));
                break;
            }
    }
    json_decref(names);
    if (step == STORE_ERROR)
        *rc = -1;
    return found;
}

/* The records one step (repeated: at every level) reaches from the n_cur
 * in c->cur, each once, into c->next (their count; *rc -1 on a store
 * error). */
static size_t chain_step(struct rule_mem *j, struct chain *c, const struct model_step *step,
                         size_t n_cur, int *rc, struct err *e)
{
    size_t n = 0, from = 0, upto = 0;
    bool first = true;
    size_t n_front = n_cur;
    for (int depth = 0; n_front && *rc == 0 && depth <= MODEL_INHERIT_MAX_DEPTH; depth++) {
        for (size_t i = 0; i < n_front && *rc == 0; i++) {
            uint32_t x = first ? c->cur[i] : c->next[from + i];
            const char *to[64];
            size_t k = 0;
            const json_t *below = NULL;
            if (step->type == STEP_REF)
                k = refs_named(c->rec[x], step->field, to, 64);
            else
                below = chain_below(j, c, step->field, x, rc, e);
            for (size_t t = 0; *rc == 0 && t < k + json_array_size(below); t++) {
                uint32_t y;
                if (t < k) {
                    long at = chain_find(j, c, to[t], e);
                    if (at <= 0) {
                        *rc = at < 0 ? -1 : 0;
                        continue; /* not a live record measured */
                    }
                    y = (uint32_t)at - 1;
                } else {
                    y = (uint32_t)json_integer_value(json_array_get(below, t - k));
                    bool wanted = false;
                    for (size_t w = 0; w < step->n_kinds; w++)
                        wanted = wanted || strcmp(step->kinds[w], c->kind[y]) == 0;
                    if (!wanted)
                        continue;
                }
                if (!c->in_next[y] && n < MEASURE_RECORDS_MAX) {
                    c->in_next[y] = 1;
                    c->next[n++] = y;
                }
            }
        }
        if (!step->repeat)
            break;
        first = false;
        from = upto;
        upto = n;
        n_front = upto - from;
    }
    return n;
}

/* The level of measure q (whole percent, 100 without items) of the record
 * id, from its chain. */
static int chain_level(struct rule_mem *j, const char *id, const char *kind,
                       const struct model_rule_relation *q, struct err *e)
{
    const struct model *m = j->r->model;
    const struct model_measure *ms = model_measure(m, q->measure);
    const struct model_kind_measure *km = model_kind_measure(model_kind(m, kind), q->measure);
    struct chain *c = ms && km ? chain_of_measure(j, ms, e) : NULL;
    if (!c)
        return ms && km ? -1 : 100;
    long at = chain_find(j, c, id, e);
    if (at <= 0)
        return at < 0 ? -1 : 100;
    uint32_t self = (uint32_t)at - 1;
    uint64_t items = 0, done = 0;
    size_t n_got = 0;
    int rc = 0;
    for (size_t p = 0; rc == 0 && p < km->n_paths; p++) {
        size_t n = 1;
        c->cur[0] = self;
        for (size_t s = 0; n && rc == 0 && s < km->paths[p].n_steps; s++) {
            size_t got = chain_step(j, c, &km->paths[p].steps[s], n, &rc, e);
            for (size_t i = 0; i < got; i++)
                c->in_next[c->next[i]] = 0;
            memcpy(c->cur, c->next, got * sizeof *c->cur);
            n = got;
        }
        for (size_t i = 0; i < n; i++)
            if (!c->reached[c->cur[i]]) {
                c->reached[c->cur[i]] = 1;
                c->got[n_got++] = c->cur[i];
                items += c->items[c->cur[i]];
                done += c->done[c->cur[i]];
            }
    }
    for (size_t i = 0; i < n_got; i++)
        c->reached[c->got[i]] = 0;
    if (rc < 0)
        return -1;
    return items ? (int)(done * 100 / items) : 100;
}

int rule_mem_prepare(struct rule_mem *j, const bool *rules, bool measures, struct err *e)
{
    const struct model *m = j->r->model;
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        for (size_t n = 0; (!rules || rules[i]) && n < ru->n_relations + ru->n_any_of; n++) {
            const struct model_rule_relation *q =
                n < ru->n_relations ? &ru->relations[n] : &ru->any_of[n - ru->n_relations];
            const struct model_measure *ms =
                q->how == REQ_MEASURE ? model_measure(m, q->measure) : NULL;
            if (measures && ms && !chain_of_measure(j, ms, e))
                return -1;
            if (!measures && q->how == REQ_REFERENCED_BY && !referencing_counts(j, q, e))
                return -1;
        }
    }
    return 0;
}

int rule_mem_count(void *ctx, const json_t *rec, const struct model_rule_relation *q, int64_t day)
{
    struct rule_mem *j = ctx;
    const char *id = json_string_value(json_object_get(rec, "id"));
    struct err e = ERR_INIT;
    if (!id)
        return 0;
    if (!fidx_ready(j->r->fidx))
        return registry_count_rule(j->r, rec, q, day);
    switch (q->how) {
    case REQ_RELATION:
        return count_relations(j, id, q, day, &e);
    case REQ_REF:
        return count_ref(j, rec, q, day, &e);
    case REQ_REFERENCED_BY: {
        if (!j->whole || (day != j->today && dated(&q->where)))
            return registry_count_rule(j->r, rec, q, day);
        const json_t *counts = referencing_counts(j, q, &e);
        return counts ? (int)json_integer_value(json_object_get(counts, id)) : -1;
    }
    case REQ_MEASURE:
        return chain_level(j, id, json_string_value(json_object_get(rec, "kind")), q, &e);
    }
    return -1;
}
