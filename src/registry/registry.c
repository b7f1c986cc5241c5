/* registry: the write path (create, patch, retire) and single-record reads.
 *
 * A write runs entirely inside one BEGIN IMMEDIATE transaction: references
 * are checked, the record row, its revision, its filter and full-text index
 * entries and the audit entry are written, then the transaction commits.
 * Any failure rolls everything back, so bad input changes nothing. */
#include "internal.h"

#include "auth/authz.h"
#include "cache.h"
#include "dups.h"
#include "fidx.h"

#include "listq.h"
#include "util/buf.h"
#include "util/collate.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 1000

static const char *const readonly_keys[] = {"id",         "revision",   "created_at",
                                            "updated_at", "retired_at", NULL};

bool reg_readonly_key(const char *key)
{
    for (size_t i = 0; readonly_keys[i]; i++)
        if (strcmp(readonly_keys[i], key) == 0)
            return true;
    return false;
}

static void add_key(char ***keys, size_t *n, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(fmt) + strlen(a) + strlen(b) + 1;
    char *key = xmalloc(len);
    snprintf(key, len, fmt, a, b);
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*keys)[i], key) == 0) {
            free(key);
            return;
        }
    *keys = xrealloc(*keys, (*n + 1) * sizeof **keys);
    (*keys)[(*n)++] = key;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

struct registry *registry_new(struct store *s, const struct model *m)
{
    struct registry *r = xcalloc(1, sizeof *r);
    r->store = s;
    r->model = m;
    r->fidx = fidx_new();
    r->ruleidx = ruleidx_new(m);
    r->scores = score_memos_new();
    /* the kinds a relation type may start or end at */
    r->end_kinds = xcalloc(model_n_kinds(m) + 1, sizeof *r->end_kinds);
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *rel = model_kind_at(m, i);
        static const char *const ends[] = {"source", "target"};
        for (size_t e = 0; rel->is_relation && e < 2; e++) {
            const struct model_field *f = model_field(rel, ends[e]);
            for (size_t j = 0; f && j < f->n_ref_kinds; j++)
                for (size_t k = 0; k < model_n_kinds(m); k++)
                    if (strcmp(model_kind_at(m, k)->id, f->ref_kinds[j]) == 0)
                        r->end_kinds[k] = true;
        }
    }
    reg_rules_dump_init(r);
    /* the keys `"name":` of restricted fields, once (lists test them on
     * every read by someone who may not see them), without repeats */
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        for (size_t f = 0; k->has_restricted && f < k->n_fields; f++)
            if (k->fields[f].restricted)
                add_key(&r->restricted_keys, &r->n_restricted_keys, "\"%s\":%s",
                        k->fields[f].name, "");
    }
    for (size_t i = 0; i < model_n_kinds(m); i++)
        if (model_kind_at(m, i)->read_signed_in)
            add_key(&r->signed_in_keys, &r->n_signed_in_keys, "\"kind\":\"%s\"%s",
                    model_kind_at(m, i)->id, "");
    /* the stored text of a published record says so in a key (records are
     * flat but for i18n objects, whose keys are languages, and quotes in
     * strings are escaped) */
    for (size_t i = 0; i < model_n_workflows(m); i++) {
        const struct model_workflow *w = model_workflow_at(m, i);
        add_key(&r->status_keys, &r->n_status_keys, "\"%s\":\"%s", w->status_field, "");
        for (size_t j = 0; j < w->n_states; j++)
            if (w->states[j].published)
                add_key(&r->published_keys, &r->n_published_keys, "\"%s\":\"%s\"",
                        w->status_field, w->states[j].id);
    }
    return r;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    feed_free(r); /* its thread applies changes to what follows */
    fidx_free(r->fidx);
    dups_cache_free(r->dups);
    ruleidx_free(r->ruleidx);
    score_memos_free(r->scores);
    free(r->end_kinds);
    free_keys(r->restricted_keys, r->n_restricted_keys);
    free_keys(r->published_keys, r->n_published_keys);
    free_keys(r->status_keys, r->n_status_keys);
    free_keys(r->signed_in_keys, r->n_signed_in_keys);
    free(r);
}

/* The in-memory index holds fields with few distinct values (enums and
 * booleans); filters on other fields are answered by SQL. */
bool reg_field_in_memory(const struct model *m, const char *collection, const char *field)
{
    const struct model_collection *coll = model_collection(m, collection);
    if (coll && coll->type == COLL_RELATIONS && strcmp(field, REG_VISIBLE_FIELD) == 0)
        return true; /* a few values: ":public", ":none", organisations */
    for (size_t i = 0; coll && i < coll->n_kinds; i++) {
        const struct model_field *f = model_field(model_kind(m, coll->kinds[i]), field);
        if (!f)
            continue;
        return model_type_few_values(f->type == FT_LIST && f->item ? f->item->type : f->type);
    }
    return false;
}

static bool want_field(void *ctx, const char *key)
{
    const struct registry *r = ctx;
    const char *colon = strchr(key, ':');
    if (!colon || colon - key > 63)
        return false;
    char coll[64];
    memcpy(coll, key, (size_t)(colon - key));
    coll[colon - key] = '\0';
    return reg_field_in_memory(r->model, coll, colon + 1);
}

/* Does the memory index hold the absence of this field of a record, as the
 * value ""? A scalar field with few values: the attrs table has no row for
 * it (see reg_index_entries). */
static bool absent_in_memory(const struct model_field *f)
{
    return f->filterable && f->type != FT_LIST && model_type_few_values(f->type);
}

/* Every (kind, "collection:field") whose absence the memory index holds
 * (absent_in_memory), in the arena; returns the count. */
static size_t absent_fields(const struct model *m, struct arena *a, struct fidx_absent **out)
{
    size_t max = 0, n = 0;
    for (size_t i = 0; i < model_n_kinds(m); i++)
        max += model_kind_at(m, i)->n_fields;
    struct fidx_absent *v = arena_alloc(a, (max ? max : 1) * sizeof *v);
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        for (size_t j = 0; j < k->n_fields; j++)
            if (absent_in_memory(&k->fields[j]))
                v[n++] = (struct fidx_absent){
                    .kind = k->id,
                    .field = arena_printf(a, "%s:%s", k->collection, k->fields[j].name)};
    }
    *out = v;
    return n;
}

/* Before attrs stopped holding "" for absent fields with few values, every
 * record had such rows: they are dropped once, so that the table is what
 * reg_index_entries says (one indexed statement per field when none are
 * left). */
static int drop_old_absent_rows(struct registry *r, const struct fidx_absent *absent, size_t n,
                                struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    if (store_begin(c, true, e) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (store_execf(c, "DELETE FROM attrs WHERE field = $1 AND value = ''", e, "t",
                        absent[i].field) < 0) {
            store_rollback(c);
            return -1;
        }
    }
    return store_commit(c, e);
}

static int index_unindexed_relations(struct registry *r, struct err *e);

int registry_enable_filter_index(struct registry *r, struct err *e)
{
    struct arena *a = arena_new();
    struct fidx_absent *absent;
    size_t n = absent_fields(r->model, a, &absent);
    int rc = drop_old_absent_rows(r, absent, n, e);
    if (rc == 0)
        rc = index_unindexed_relations(r, e);
    /* where the other nodes' writes are taken from: the last before the
     * build (one it saw applied again changes nothing, feed.c) */
    if (rc == 0)
        rc = feed_begin(r, e);
    if (rc == 0)
        rc = fidx_build(r->fidx, store_conn(r->store), want_field, r, absent, n, e);
    if (rc == 0)
        rc = feed_follow(r, e);
    arena_free(a);
    return rc;
}

const struct model *registry_model(const struct registry *r)
{
    return r->model;
}

void registry_set_rights(struct registry *r, const struct rights *rights)
{
    r->rights = rights;
}

void registry_set_day(struct registry *r, registry_day_fn day_of, void *ctx)
{
    r->day_of = day_of;
    r->day_ctx = ctx;
}

int64_t registry_today(const struct registry *r)
{
    int64_t now = time_now_ms();
    if (r->day_of)
        return r->day_of(r->day_ctx, now);
    return now >= 0 ? now / 86400000LL : (now - 86399999LL) / 86400000LL; /* UTC */
}

const struct rights *registry_rights(const struct registry *r)
{
    return r->rights;
}

static bool owning_kind(const struct registry *r, const char *kind)
{
    return model_kind_owns(r->model, kind);
}

/* The organisation of a non-relation record: itself when it is of the
 * owning kind, else its owner. */
static const char *org_of(const struct registry *r, const json_t *rec)
{
    if (owning_kind(r, json_string_value(json_object_get(rec, "kind"))))
        return json_string_value(json_object_get(rec, "id"));
    return json_string_value(json_object_get(rec, "owner"));
}

int registry_record_org(struct registry *r, struct store_conn *c, const json_t *rec, char *out,
                        size_t n, struct err *e)
{
    out[0] = '\0';
    if (!json_object_get(rec, "type")) {
        const char *org = org_of(r, rec);
        snprintf(out, n, "%s", org ? org : "");
        return 0;
    }
    const char *src = json_string_value(json_object_get(rec, "source"));
    struct store_stmt *st =
        store_prepare(c, "SELECT kind, owner FROM records WHERE id = $1", true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, src ? src : "");
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        const char *kind = store_col_text(st, 0), *owner = store_col_text(st, 1);
        snprintf(out, n, "%s", owning_kind(r, kind) ? src : owner ? owner : "");
    }
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Checks a write against the rights matrix. */
static int authorize(struct registry *r, struct store_conn *c, const struct actor *a,
                     enum rights_action action, const json_t *rec, struct err *e)
{
    if (a->system)
        return 0;
    const char *kind = json_string_value(json_object_get(rec, "type"));
    if (!kind)
        kind = json_string_value(json_object_get(rec, "kind"));
    char org[128];
    if (registry_record_org(r, c, rec, org, sizeof org, e) < 0)
        return -1;
    if (!r->rights) {
        err_set(e, 403, "forbidden", "", "no rights are configured");
        return -1;
    }
    return authz_check(r->rights, a, action, kind, org, e);
}

/* What a stored text's workflow state says: published (or no workflow's
 * state at all) is readable, any other state is not. */
static bool text_state_readable(const struct registry *r, const char *text, size_t len)
{
    for (size_t i = 0; i < r->n_published_keys; i++)
        if (memmem(text, len, r->published_keys[i], strlen(r->published_keys[i])))
            return true;
    for (size_t i = 0; i < r->n_status_keys; i++)
        if (memmem(text, len, r->status_keys[i], strlen(r->status_keys[i])))
            return false;
    return true;
}

bool registry_text_surely_public(const struct registry *r, const char *text, size_t len)
{
    /* a relation is as public as its ends (a key "source" can only be one) */
    if ((r->n_status_keys || r->n_signed_in_keys) && memmem(text, len, "\"source\":\"", 10))
        return false;
    for (size_t i = 0; i < r->n_signed_in_keys; i++)
        if (memmem(text, len, r->signed_in_keys[i], strlen(r->signed_in_keys[i])))
            return false;
    return text_state_readable(r, text, len);
}

bool registry_text_surely_readable(const struct registry *r, const struct actor *a,
                                   const char *collection, const char *text, size_t len)
{
    if (a->system)
        return true;
    if (!a->user[0])
        return registry_text_surely_public(r, text, len);
    /* signed in: the kinds only the signed-in read are theirs; a relation
     * is as readable as its ends; else only a workflow's state matters */
    const struct model_collection *coll = model_collection(r->model, collection);
    if (!coll || coll->type == COLL_RELATIONS)
        return false;
    return text_state_readable(r, text, len);
}

/* The relation kind of rec, or NULL when it is not a relation. */
static const struct model_kind *relation_kind(const struct registry *r, const json_t *rec)
{
    const char *type = json_string_value(json_object_get(rec, "type"));
    const struct model_kind *k = type ? model_kind(r->model, type) : NULL;
    return k && k->is_relation ? k : NULL;
}

/* The organisation of a record not everyone may read (unpublished), or
 * NULL when everyone may ("" when it has no organisation). */
static const char *hidden_org(const struct registry *r, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(r->model, kind) : NULL;
    if (!k || model_record_published(k, rec))
        return NULL;
    const char *org = org_of(r, rec);
    return org ? org : "";
}

/* Is the actor a signed-in user (or the system)? */
static bool signed_in(const struct actor *a)
{
    return a->system || a->user[0];
}

/* Is rec of a kind only signed-in users read ("read": "signed-in")? */
static bool for_signed_in(const struct registry *r, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(r->model, kind) : NULL;
    return k && k->read_signed_in;
}

static bool record_readable(const struct registry *r, const struct actor *a, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    if (!signed_in(a) && for_signed_in(r, rec))
        return false;
    if (!hidden_org(r, rec))
        return true;
    return r->rights && authz_may(r->rights, a, RA_READ_UNPUBLISHED, kind, org_of(r, rec));
}

static bool record_unpublished_readable(const struct registry *r, const struct actor *a,
                                        const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    return r->rights && kind && authz_may(r->rights, a, RA_READ_UNPUBLISHED, kind, org_of(r, rec));
}

/* The current state of a relation's end `which` ("source", "target"):
 * 1 found, 0 not, -1 error. */
static int load_end(struct store_conn *c, const json_t *rel, const char *which, json_t **out,
                    struct err *e)
{
    *out = NULL;
    const char *id = json_string_value(json_object_get(rel, which));
    struct rec_row row;
    int found = id ? rec_load(c, NULL, id, &row, e) : 0;
    if (found <= 0)
        return found;
    *out = json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    if (!*out) {
        err_internal(e, "stored record '%.60s' is not valid JSON", id);
        return -1;
    }
    return 1;
}

/* Does pred hold for both ends of the relation rel (their state on c)? */
static bool both_ends(const struct registry *r, struct store_conn *c, const struct actor *a,
                      const json_t *rel,
                      bool (*pred)(const struct registry *, const struct actor *, const json_t *))
{
    static const char *const ends[] = {"source", "target"};
    for (size_t i = 0; i < 2; i++) {
        json_t *end;
        struct err e = ERR_INIT;
        bool ok = load_end(c, rel, ends[i], &end, &e) == 1 && pred(r, a, end);
        json_decref(end);
        if (!ok)
            return false;
    }
    return true;
}

static bool may_read_on(const struct registry *r, struct store_conn *c, const struct actor *a,
                        const json_t *rec)
{
    if (a->system)
        return true;
    if (relation_kind(r, rec))
        return both_ends(r, c, a, rec, record_readable);
    return record_readable(r, a, rec);
}

bool registry_may_read(const struct registry *r, const struct actor *a, const json_t *rec)
{
    return may_read_on(r, store_conn(r->store), a, rec);
}

bool registry_may_read_unpublished(const struct registry *r, const struct actor *a,
                                   const json_t *rec)
{
    if (a->system)
        return true;
    if (relation_kind(r, rec))
        return both_ends(r, store_conn(r->store), a, rec, record_unpublished_readable);
    return record_unpublished_readable(r, a, rec);
}

int reg_relation_visible(const struct registry *r, struct store_conn *c, const json_t *rel,
                         char *out, size_t n, struct err *e)
{
    static const char *const ends[] = {"source", "target"};
    char org[128] = "";
    bool hidden = false, mixed = false, members = false;
    for (size_t i = 0; i < 2; i++) {
        json_t *end;
        int found = load_end(c, rel, ends[i], &end, e);
        if (found < 0)
            return -1;
        members = members || (found && for_signed_in(r, end));
        const char *h = found ? hidden_org(r, end) : "";
        if (h && !hidden)
            snprintf(org, sizeof org, "%s", h);
        else if (h && strcmp(h, org) != 0)
            mixed = true;
        hidden = hidden || h;
        json_decref(end);
    }
    /* an organisation's readers of its unpublished records are signed in */
    if (!hidden)
        snprintf(out, n, "%s", members ? REG_VISIBLE_SIGNED_IN : REG_VISIBLE_PUBLIC);
    else if (mixed || !*org)
        snprintf(out, n, "%s", REG_VISIBLE_NONE);
    else
        snprintf(out, n, "%s", org);
    return 0;
}

void registry_set_actor_org(struct registry *r, registry_actor_org_fn fn, void *ctx)
{
    r->actor_org = fn;
    r->actor_org_ctx = ctx;
}

void registry_public_actor(const struct registry *r, const char *actor, char *out, size_t n)
{
    if (!actor || strncmp(actor, "user:", 5) != 0) {
        snprintf(out, n, "%s", actor ? actor : "");
        return;
    }
    char uid[40], org[128];
    size_t len = strcspn(actor + 5, "/");
    if (len && len < sizeof uid && r->actor_org) {
        memcpy(uid, actor + 5, len);
        uid[len] = '\0';
        if (r->actor_org(r->actor_org_ctx, uid, org, sizeof org) == 0 && *org) {
            snprintf(out, n, "org:%s", org);
            return;
        }
    }
    snprintf(out, n, "user");
}

int registry_get_visible(struct registry *r, const struct actor *a, const char *collection,
                         const char *id, json_t **out, struct err *e)
{
    struct rec_row row;
    *out = NULL;
    struct store_conn *c = store_conn(r->store);
    int found = rec_load(c, collection, id, &row, e);
    if (found <= 0) {
        if (found == 0)
            reg_not_found(e);
        return -1;
    }
    json_t *rec = json_loads(row.data, 0, NULL);
    bool retired = row.retired;
    rec_row_free(&row);
    if (!rec || !registry_may_read(r, a, rec)) {
        json_decref(rec);
        reg_not_found(e);
        return -1;
    }
    if (retired) {
        json_decref(rec);
        err_set(e, 410, "gone", "", "record '%.60s' is retired", id);
        return -1;
    }
    *out = rec;
    return 0;
}

/* Which readers of the collection see only published records: those who
 * may not read unpublished ones of every organisation, unless they list
 * only their own organisation's (and may read those). */
static bool sees_only_published(const struct registry *r, const struct actor *a,
                                const struct model_collection *coll, const struct list_query *q)
{
    bool own_only = false;
    for (size_t i = 0; i < q->n_filters; i++)
        if (q->filters[i].col == LISTQ_OWNER)
            own_only = q->filters[i].n_values == 1 && a->org[0] &&
                       strcmp(q->filters[i].values[0], a->org) == 0;
    for (size_t i = 0; i < coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(r->model, coll->kinds[i]);
        if (!k->workflow)
            continue;
        if (!r->rights ||
            !authz_may(r->rights, a, RA_READ_UNPUBLISHED, k->id, own_only ? a->org : NULL))
            return true;
    }
    return false;
}

/* May the actor read unpublished records of every kind with a workflow,
 * of every organisation (org NULL) or of org? */
static bool reads_unpublished(const struct registry *r, const struct actor *a, const char *org)
{
    return reg_reads_unpublished_ends(r, a, org);
}

/* Does a read the unpublished records of org (NULL: of every one) of
 * every workflow kind, or of those `only` marks? */
static bool reads_unpublished_of(const struct registry *r, const struct actor *a, const char *org,
                                 const bool *only)
{
    for (size_t i = 0; i < model_n_kinds(r->model); i++) {
        const struct model_kind *k = model_kind_at(r->model, i);
        if (k->workflow && (!only || only[i]) &&
            (!r->rights || !authz_may(r->rights, a, RA_READ_UNPUBLISHED, k->id, org)))
            return false;
    }
    return true;
}

bool reg_reads_unpublished_ends(const struct registry *r, const struct actor *a, const char *org)
{
    return reads_unpublished_of(r, a, org, r->end_kinds);
}

bool reg_reads_unpublished(const struct registry *r, const struct actor *a, const char *org)
{
    return reads_unpublished_of(r, a, org, NULL);
}

static struct listq_filter *scope_filter(struct list_query *q, struct err *e)
{
    if (q->n_filters == LISTQ_MAX_FILTERS) {
        err_bad_request(e, "filter", "too many filters");
        return NULL;
    }
    struct listq_filter *f = &q->filters[q->n_filters++];
    memset(f, 0, sizeof *f);
    f->col = LISTQ_ATTR;
    return f;
}

/* Relations: those whose ends everyone may read, and those whose hidden
 * ends are of the actor's organisation if it may read its unpublished
 * records (reg_relation_visible), unless it may read every record. */
static int scope_relations(const struct registry *r, const struct actor *a, struct list_query *q,
                           struct err *e)
{
    bool all_published = !r->n_status_keys || reads_unpublished(r, a, NULL);
    if (a->system || (all_published && (signed_in(a) || !r->n_signed_in_keys)))
        return 0;
    struct listq_filter *f = scope_filter(q, e);
    if (!f)
        return -1;
    f->field = REG_VISIBLE_FIELD;
    f->values[f->n_values++] = REG_VISIBLE_PUBLIC;
    if (signed_in(a))
        f->values[f->n_values++] = REG_VISIBLE_SIGNED_IN;
    if (a->org[0] && reads_unpublished(r, a, a->org))
        f->values[f->n_values++] = a->org;
    return 0;
}

/* The public lists only the kinds it may read: a kind filter of those
 * (matching nothing when there are none). */
static int scope_signed_in(const struct registry *r, const struct actor *a, struct list_query *q,
                           struct err *e)
{
    const struct model_collection *coll = q->coll;
    bool any = false;
    for (size_t i = 0; i < coll->n_kinds; i++)
        any = any || model_kind(r->model, coll->kinds[i])->read_signed_in;
    if (!any || signed_in(a))
        return 0;
    struct listq_filter *f = scope_filter(q, e);
    if (!f)
        return -1;
    f->col = LISTQ_KIND;
    f->field = "kind";
    for (size_t i = 0; i < coll->n_kinds && f->n_values < LISTQ_MAX_VALUES; i++)
        if (!model_kind(r->model, coll->kinds[i])->read_signed_in)
            f->values[f->n_values++] = coll->kinds[i];
    if (f->n_values == 0)
        f->values[f->n_values++] = "\x01none";
    return 0;
}

int registry_scope_list(const struct registry *r, const struct actor *a, struct list_query *q,
                        struct err *e)
{
    const struct model_collection *coll = q->coll;
    if (coll->type == COLL_RELATIONS)
        return scope_relations(r, a, q, e);
    if (scope_signed_in(r, a, q, e) < 0)
        return -1;
    const struct model_workflow *wf = NULL;
    for (size_t i = 0; i < coll->n_kinds && !wf; i++)
        wf = model_kind(r->model, coll->kinds[i])->workflow;
    if (!wf || a->system || !sees_only_published(r, a, coll, q))
        return 0;
    struct listq_filter *f = NULL;
    for (size_t i = 0; i < q->n_filters && !f; i++)
        if (q->filters[i].col == LISTQ_ATTR && strcmp(q->filters[i].field, wf->status_field) == 0)
            f = &q->filters[i];
    if (f) {
        /* keep the published states asked for; none left matches nothing */
        size_t n = 0;
        for (size_t i = 0; i < f->n_values; i++) {
            const struct model_wf_state *s = model_wf_state(wf, f->values[i]);
            if (s && s->published)
                f->values[n++] = f->values[i];
        }
        f->n_values = n;
        if (n == 0)
            f->values[f->n_values++] = "\x01none";
        return 0;
    }
    if (!(f = scope_filter(q, e)))
        return -1;
    f->field = wf->status_field;
    for (size_t i = 0; i < wf->n_states && f->n_values < LISTQ_MAX_VALUES; i++)
        if (wf->states[i].published)
            f->values[f->n_values++] = wf->states[i].id;
    if (f->n_values == 0)
        f->values[f->n_values++] = "\x01none";
    return 0;
}

/* rec's kind when it has restricted fields that a may not read, else NULL. */
static const struct model_kind *hidden_restricted(const struct registry *r,
                                                  const struct actor *a, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    const struct model_kind *k = kind ? model_kind(r->model, kind) : NULL;
    if (!k || !k->has_restricted || a->system ||
        (r->rights && authz_may(r->rights, a, RA_READ_RESTRICTED, k->id, org_of(r, rec))))
        return NULL;
    return k;
}

bool registry_redact(const struct registry *r, const struct actor *a, json_t *rec)
{
    const struct model_kind *k = hidden_restricted(r, a, rec);
    if (!k)
        return false;
    bool removed = false;
    for (size_t i = 0; i < k->n_fields; i++)
        if (k->fields[i].restricted && json_object_get(rec, k->fields[i].name))
            removed = json_object_del(rec, k->fields[i].name) == 0 || removed;
    return removed;
}

void registry_redact_gaps(const struct registry *r, const struct actor *a, const json_t *rec,
                          json_t *gaps)
{
    const struct model_kind *k = hidden_restricted(r, a, rec);
    static const char *const lists[] = {"fields", "rules"};
    for (size_t l = 0; k && l < 2; l++) {
        json_t *items = json_object_get(gaps, lists[l]);
        for (size_t i = json_array_size(items); i-- > 0;) {
            const char *name = json_string_value(json_object_get(json_array_get(items, i), "field"));
            const struct model_field *f = name ? model_field(k, name) : NULL;
            if (f && f->restricted)
                json_array_remove(items, i);
        }
    }
}

/* Could the stored text hold a restricted member? A key "name": can only
 * appear as a key in JSON text: inside a string every '"' is escaped. */
bool registry_text_may_hold_restricted(const struct registry *r, const char *text, size_t len)
{
    for (size_t i = 0; i < r->n_restricted_keys; i++)
        if (memmem(text, len, r->restricted_keys[i], strlen(r->restricted_keys[i])))
            return true;
    return false;
}

char *registry_redact_text(const struct registry *r, const struct actor *a, const char *text,
                           size_t len)
{
    if (a->system || !registry_text_may_hold_restricted(r, text, len))
        return NULL;
    json_t *rec = json_loadb(text, len, 0, NULL);
    char *out = rec && registry_redact(r, a, rec) ? reg_dump(rec) : NULL;
    json_decref(rec);
    return out;
}

struct store *registry_store(const struct registry *r)
{
    return r->store;
}

char *reg_dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        fatal("registry: cannot serialise JSON");
    return s;
}

void rec_row_free(struct rec_row *row)
{
    free(row->id);
    free(row->collection);
    free(row->kind);
    free(row->data);
    memset(row, 0, sizeof *row);
}

static char *dup_col(struct store_stmt *st, int i)
{
    const char *s = store_col_text(st, i);
    return xstrdup(s ? s : "");
}

json_t *rec_data_by_rid(struct store_conn *c, int64_t rid, struct err *e)
{
    struct store_stmt *st = store_prepare(c, "SELECT data FROM record_data WHERE rid = $1", true, e);
    if (!st)
        return NULL;
    store_bind_int64(st, 1, rid);
    json_t *rec = store_step(st, e) == STORE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    store_reset(st);
    return rec;
}

int rec_load(struct store_conn *c, const char *collection, const char *id, struct rec_row *row,
             struct err *e)
{
    memset(row, 0, sizeof *row);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.rid, r.id, r.collection, r.kind, d.data, r.revision, r.retired FROM records r "
        "JOIN record_data d ON d.rid = r.rid WHERE r.id = $1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    int rc = store_step(st, e);
    if (rc == STORE_ROW) {
        row->rid = store_col_int64(st, 0);
        row->id = dup_col(st, 1);
        row->collection = dup_col(st, 2);
        row->kind = dup_col(st, 3);
        row->data = dup_col(st, 4);
        row->revision = store_col_int64(st, 5);
        row->retired = store_col_int64(st, 6) != 0;
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_ROW && collection && strcmp(row->collection, collection) != 0) {
        rec_row_free(row);
        return 0;
    }
    return rc == STORE_ROW ? 1 : 0;
}

/* --- validation ---------------------------------------------------------- */

struct ref_ctx {
    const struct registry *r;
    struct store_conn *conn;
    const struct actor *a; /* who writes: a record it may not read does not exist */
    char kind[128];
};

static int ref_lookup(void *vctx, const char *id, const char **kind)
{
    struct ref_ctx *ctx = vctx;
    if (!text_id_valid(id))
        return -1;
    struct err e = ERR_INIT;
    struct rec_row row;
    if (rec_load(ctx->conn, NULL, id, &row, &e) <= 0)
        return -1;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    bool seen = rec && may_read_on(ctx->r, ctx->conn, ctx->a, rec);
    if (seen) {
        snprintf(ctx->kind, sizeof ctx->kind, "%s", row.kind);
        *kind = ctx->kind;
    }
    json_decref(rec);
    rec_row_free(&row);
    return seen ? 0 : -1;
}

/* A relation's ends must be records the writer may read; one it may not
 * is answered as one that does not exist (404, naming neither). */
static int check_ends(struct ref_ctx *rc, const json_t *fields, struct err *e)
{
    static const char *const ends[] = {"source", "target"};
    for (size_t i = 0; i < 2; i++) {
        const char *id = json_string_value(json_object_get(fields, ends[i]));
        const char *kind;
        if (id && text_id_valid(id) && ref_lookup(rc, id, &kind) < 0) {
            err_set(e, 404, "not-found", ends[i], "the %s record does not exist", ends[i]);
            return -1;
        }
    }
    return 0;
}

static const struct model_kind *pick_kind(struct registry *r,
                                          const struct model_collection *coll,
                                          const json_t *body, struct err *e)
{
    const char *key = coll->type == COLL_RELATIONS ? "type" : "kind";
    const json_t *v = json_object_get(body, key);
    if (!v && coll->n_kinds == 1)
        return model_kind(r->model, coll->kinds[0]);
    if (!v) {
        err_set(e, 422, "required", key, "'%s' is required", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        err_set(e, 422, "wrong-type", key, "'%s' must be a string", key);
        return NULL;
    }
    const char *kid = json_string_value(v);
    if (!model_collection_has_kind(coll, kid)) {
        err_set(e, 422, "bad-enum", key, "'%.60s' is not a %s of collection '%s'", kid, key,
                coll->id);
        return NULL;
    }
    return model_kind(r->model, kid);
}

static int check_owner(struct ref_ctx *rc, const json_t *v, struct err *e)
{
    if (!v || json_is_null(v)) {
        err_set(e, 422, "required", "owner", "'owner' is required");
        return -1;
    }
    if (!json_is_string(v)) {
        err_set(e, 422, "wrong-type", "owner", "'owner' must be an organization id");
        return -1;
    }
    const char *kind = NULL;
    if (ref_lookup(rc, json_string_value(v), &kind) < 0) {
        err_set(e, 422, "dangling-reference", "owner", "organization '%.60s' does not exist",
                json_string_value(v));
        return -1;
    }
    if (!owning_kind(rc->r, kind)) {
        err_set(e, 422, "wrong-reference", "owner", "'%.60s' is a %s, not an organization",
                json_string_value(v), kind);
        return -1;
    }
    return 0;
}

/* Splits the client's object into envelope members and field members;
 * an unknown member fails (with e->errors: after noting every one). */
static int split_body(const struct model_kind *k, const json_t *body, json_t *fields,
                      struct err *e)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)body, key, v)
    {
        if (reg_readonly_key(key))
            continue;
        if (strcmp(key, k->is_relation ? "type" : "kind") == 0)
            continue;
        if ((strcmp(key, "owner") == 0 && k->owned) || (strcmp(key, "name") == 0 && k->named))
            continue;
        const struct model_field *f = model_field(k, key);
        if (f && f->readonly)
            continue;
        if (!f) {
            struct err one = ERR_INIT;
            err_set(&one, 422, "unknown-field", key, "'%.60s' is not a field of '%s'", key, k->id);
            err_collect(e, &one);
            rc = -1;
            if (!e->errors)
                return -1;
            continue;
        }
        json_object_set(fields, key, v);
    }
    return rc;
}

/* A relation to itself, or one that already exists, is refused (once the
 * writer has been authorised: ends it may read make relations it may read). */
static int check_relation(struct store_conn *c, const struct model_kind *k, const json_t *fields,
                          const char *self_id, struct err *e)
{
    const char *src = json_string_value(json_object_get(fields, "source"));
    const char *dst = json_string_value(json_object_get(fields, "target"));
    if (src && dst && strcmp(src, dst) == 0) {
        err_set(e, 422, "validation-failed", "target", "a record cannot relate to itself");
        return -1;
    }
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.id FROM attrs s JOIN attrs t ON t.rid = s.rid AND t.field = 'target' "
        "JOIN records r ON r.rid = s.rid "
        "WHERE s.field = 'source' AND s.value = $1 AND t.value = $2 AND r.kind = $3 "
        "AND r.retired = 0 AND r.collection = 'relations'",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, src ? src : "");
    store_bind_text(st, 2, dst ? dst : "");
    store_bind_text(st, 3, k->id);
    int rc;
    int dup = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        const char *id = store_col_text(st, 0);
        if (!self_id || strcmp(id, self_id) != 0)
            dup = 1;
    }
    store_reset(st);
    if (rc == STORE_ERROR)
        return -1;
    if (dup) {
        err_set(e, 409, "conflict", "", "this %s relation already exists", k->id);
        return -1;
    }
    return 0;
}

/* The values of the kind's read-only fields (set by the portal, never by
 * clients): carried over from the previous state, or on create the
 * workflow's initial status. */
static void set_readonly_fields(const struct model_kind *k, const json_t *prev, json_t *rec)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!f->readonly)
            continue;
        json_t *v = prev ? json_object_get(prev, f->name) : NULL;
        if (!prev && k->workflow && strcmp(f->name, k->workflow->status_field) == 0)
            json_object_set_new(rec, f->name, json_string(model_wf_initial(k->workflow)->id));
        else if (v)
            json_object_set(rec, f->name, v);
    }
}

/* The stored JSON of live record id (NULL when there is none; -1 in *rc
 * on a store error). */
static json_t *live_record(struct store_conn *c, const char *id, int *rc, struct err *e)
{
    struct rec_row row;
    int found = id ? rec_load(c, NULL, id, &row, e) : 0;
    if (found < 0)
        *rc = -1;
    if (found <= 0)
        return NULL;
    json_t *rec = row.retired ? NULL : json_loads(row.data, 0, NULL);
    rec_row_free(&row);
    return rec;
}

json_t *reg_peek_member(void *ctx, const char *id, const char *field)
{
    struct err e = ERR_INIT;
    int rc = 0;
    json_t *rec = live_record(ctx, id, &rc, &e);
    json_t *v = json_incref(json_object_get(rec, field));
    json_decref(rec);
    return v;
}

/* A relation's attributes derived from its ends (model key "derive":
 * struct model_derive), as they are now, into ro. */
static int derive_from_ends(struct store_conn *c, const struct model_kind *k,
                            const json_t *fields, json_t *ro, struct err *e)
{
    int rc = 0;
    json_t *src = live_record(c, json_string_value(json_object_get(fields, "source")), &rc, e);
    json_t *dst = rc == 0 ? live_record(c, json_string_value(json_object_get(fields, "target")),
                                        &rc, e)
                          : NULL;
    for (size_t i = 0; rc == 0 && i < k->n_derives; i++)
        json_object_set_new(ro, k->derives[i].attr,
                            json_string(model_derive_value(&k->derives[i], src, dst)));
    json_decref(src);
    json_decref(dst);
    return rc;
}

/* A field written only by some roles (`written_by`: a reviewer's finding
 * in a record its owner edits) that the write sets or changes, by an
 * actor holding none of them: 403, nothing changed. */
static int check_written_by(const struct registry *r, const struct actor *a,
                            const struct model_kind *k, const json_t *prev, const json_t *next,
                            struct err *e)
{
    for (size_t i = 0; k && r->rights && !a->system && i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (!f->n_written_by)
            continue;
        const json_t *was = prev ? json_object_get(prev, f->name) : NULL;
        const json_t *now = json_object_get(next, f->name);
        bool same = (model_value_empty(was) && model_value_empty(now)) ||
                    (was && now && json_equal(was, now));
        if (!same && !authz_holds_one(r->rights, a, f->written_by, f->n_written_by)) {
            char roles[256] = "";
            for (size_t j = 0; j < f->n_written_by; j++)
                snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%s%s",
                         j ? ", " : "", f->written_by[j]);
            err_set(e, 403, "forbidden", f->name, "'%s' is written only by the roles %s", f->name,
                    roles);
            return -1;
        }
    }
    return 0;
}

/* Builds the stored form of a record from the client's object: validated
 * fields in model order inside the envelope. `prev` (NULL on create) is
 * the current state: read-only fields come from it. */
static json_t *build_record(struct registry *r, struct store_conn *c, const struct actor *a,
                            const struct model_collection *coll, const json_t *body, const char *id,
                            const char *created_at, const char *updated_at, int64_t revision,
                            const json_t *prev, struct err *e)
{
    if (!json_is_object(body)) {
        err_set(e, 422, "wrong-type", "", "the record must be a JSON object");
        return NULL;
    }
    const struct model_kind *k = pick_kind(r, coll, body, e);
    if (!k)
        return NULL;
    struct ref_ctx rc = {.r = r, .conn = c, .a = a};
    json_t *in = json_object();
    json_t *fields = NULL;
    json_t *rec = NULL;
    /* with e->errors every problem is noted before giving up */
    bool all = e->errors != NULL;
    struct err one = ERR_INIT;
    if (split_body(k, body, in, e) < 0 && !all)
        goto out;
    if (k->owned && check_owner(&rc, json_object_get(body, "owner"), &one) < 0 &&
        (err_collect(e, &one), !all))
        goto out;
    if (k->named && model_validate_i18n(json_object_get(body, "name"), "name", true,
                                        NAME_MAX_BYTES, e) < 0 && !all)
        goto out;
    if (k->is_relation && !(all && json_array_size(e->errors)) && check_ends(&rc, in, e) < 0)
        goto out;
    if (model_validate_fields(k, in, &fields, ref_lookup, &rc, e) < 0 ||
        (all && json_array_size(e->errors)))
        goto out;
    if (model_check_fields(k, fields, registry_today(r), reg_peek_member, c, e) < 0)
        goto out;
    if (reg_inherit_check(r, c, k, id, fields, &one) < 0 ||
        reg_inherit_fixed_check(r, c, k, id, fields, &one) < 0) {
        err_collect(e, &one);
        goto out;
    }
    rec = json_object();
    json_object_set_new(rec, "id", json_string(id));
    if (k->is_relation) {
        json_object_set_new(rec, "type", json_string(k->id));
        json_object_set(rec, "source", json_object_get(fields, "source"));
        json_object_set(rec, "target", json_object_get(fields, "target"));
    } else {
        json_object_set_new(rec, "kind", json_string(k->id));
        if (k->owned)
            json_object_set(rec, "owner", json_object_get(body, "owner"));
        if (k->named)
            json_object_set(rec, "name", json_object_get(body, "name"));
    }
    json_object_set_new(rec, "revision", json_integer(revision));
    json_object_set_new(rec, "created_at", json_string(created_at));
    json_object_set_new(rec, "updated_at", json_string(updated_at));
    /* fields in model order, read-only ones in their place, derived ones
     * computed from what they derive from */
    json_t *ro = json_object();
    set_readonly_fields(k, prev, ro);
    /* a version of the architecture freezes it at this write */
    if (k->snapshot && reg_snapshot_take(c, k->snapshot, updated_at, ro, e) < 0) {
        json_decref(ro);
        json_decref(rec);
        rec = NULL;
        goto out;
    }
    /* a period report counts at each write until it is submitted */
    if (reg_tallies(r, k, prev) && reg_tally(r, c, a, k, fields, ro, updated_at, e) < 0) {
        json_decref(ro);
        json_decref(rec);
        rec = NULL;
        goto out;
    }
    for (size_t i = 0; i < k->n_computes; i++) {
        json_t *v = model_compute_json(&k->computes[i], fields, reg_peek_member, c);
        if (v)
            json_object_set_new(ro, k->computes[i].field, v);
        else
            json_object_del(ro, k->computes[i].field);
    }
    if (k->n_derives && derive_from_ends(c, k, fields, ro, e) < 0) {
        json_decref(ro);
        json_decref(rec);
        rec = NULL;
        goto out;
    }
    model_derive(k, fields);
    for (size_t i = 0; i < k->n_fields; i++) {
        const char *name = k->fields[i].name;
        bool from_ro = k->fields[i].readonly && !k->fields[i].derived_from;
        json_t *v = json_object_get(from_ro ? ro : fields, name);
        if (v && !json_object_get(rec, name))
            json_object_set(rec, name, v);
    }
    json_decref(ro);
out:
    json_decref(in);
    json_decref(fields);
    return rec;
}

/* --- index maintenance ----------------------------------------------------- */

/* A record's filter entries are inserted by one statement per ATTRS_ROWS
 * (on PostgreSQL each statement costs far more than a row). */
#define ATTRS_ROWS 32

struct index_ctx {
    struct store_conn *conn;
    int64_t rid;
    int failed;
    struct err *e;
    size_t n; /* pairs waiting in field/value */
    char *field[ATTRS_ROWS], *value[ATTRS_ROWS];
};

/* Inserts the pairs waiting, as one statement: $1 the row id, then each
 * pair's field and value. */
static void index_flush(struct index_ctx *ctx)
{
    if (ctx->n && !ctx->failed) {
        struct buf sql;
        buf_init(&sql, 0);
        buf_puts(&sql, "INSERT INTO attrs(field, value, rid) VALUES ");
        for (size_t i = 0; i < ctx->n; i++)
            buf_printf(&sql, "%s($%zu, $%zu, $1)", i ? ", " : "", 2 * i + 2, 2 * i + 3);
        buf_puts(&sql, " ON CONFLICT DO NOTHING");
        struct store_stmt *st = store_prepare(ctx->conn, sql.p, true, ctx->e);
        if (st) {
            store_bind_int64(st, 1, ctx->rid);
            for (size_t i = 0; i < ctx->n; i++) {
                store_bind_text(st, (int)(2 * i + 2), ctx->field[i]);
                store_bind_text(st, (int)(2 * i + 3), ctx->value[i]);
            }
            if (store_step(st, ctx->e) == STORE_ERROR)
                ctx->failed = 1;
            store_reset(st);
        } else {
            ctx->failed = 1;
        }
        buf_free(&sql);
    }
    for (size_t i = 0; i < ctx->n; i++) {
        free(ctx->field[i]);
        free(ctx->value[i]);
    }
    ctx->n = 0;
}

static void index_one(void *vctx, const char *field, const char *value)
{
    struct index_ctx *ctx = vctx;
    if (ctx->failed)
        return;
    if (ctx->n == ATTRS_ROWS)
        index_flush(ctx);
    ctx->field[ctx->n] = xstrdup(field);
    ctx->value[ctx->n] = xstrdup(value);
    ctx->n++;
}

char *reg_search_body(const struct model_kind *k, const json_t *rec)
{
    struct buf b;
    buf_init(&b, 0);
    const json_t *name = json_object_get(rec, "name");
    const char *lang[] = {"kk", "ru", "en"};
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(name, lang[i]));
        if (s) {
            buf_puts(&b, s);
            buf_putc(&b, '\n');
        }
    }
    model_search_text(k, rec, &b);
    struct arena *a = arena_new();
    char *folded = xstrdup(text_fold(a, b.p ? b.p : ""));
    arena_free(a);
    buf_free(&b);
    return folded;
}

char *reg_sort_name(const json_t *rec)
{
    const json_t *name = json_object_get(rec, "name");
    const char *lang[] = {"ru", "kk", "en"};
    const char *s = "";
    for (size_t i = 0; i < 3 && !*s; i++) {
        const char *v = json_string_value(json_object_get(name, lang[i]));
        if (v)
            s = v;
    }
    struct arena *a = arena_new();
    char *folded = xstrdup(text_fold(a, s));
    arena_free(a);
    return folded;
}

/* The record's name as a page in `lang` shows it (its own, else another
 * language's: web_label's order) and that name's collation key. */
json_t *registry_load_json(struct store_conn *c, const char *id)
{
    struct rec_row row;
    struct err e = ERR_INIT;
    json_t *rec = rec_load(c, NULL, id ? id : "", &row, &e) == 1 ? json_loads(row.data, 0, NULL)
                                                                   : NULL;
    rec_row_free(&row); /* zeroed when nothing was loaded */
    return rec;
}

const char *registry_name_in(const json_t *rec, const char *lang)
{
    static const char *const orders[][3] = {
        {"kk", "ru", "en"}, {"ru", "kk", "en"}, {"en", "ru", "kk"}};
    const char *const *order = orders[strcmp(lang, "kk") == 0   ? 0
                                      : strcmp(lang, "ru") == 0 ? 1
                                                                : 2];
    const json_t *name = json_object_get(rec, "name");
    const char *s = json_string_value(name);
    for (size_t i = 0; i < 3 && (!s || !*s); i++)
        s = json_string_value(json_object_get(name, order[i]));
    return s && *s ? s : NULL;
}

void reg_sort_key(const json_t *rec, const char *lang, char out[COLLATE_KEY_BYTES])
{
    const char *s = registry_name_in(rec, lang);
    collate_key(lang, s ? s : "", out);
}

/* Computes the collation keys of records written before there were any
 * (migration 9 left them NULL), a batch per transaction. */
int registry_fill_sort_keys(struct registry *r, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    for (;;) {
        if (store_begin(c, true, e) < 0)
            return -1;
        struct store_stmt *st = store_prepare(
            c,
            "SELECT r.rid, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
            "WHERE r.sort_kk IS NULL OR r.sort_ru IS NULL OR r.sort_en IS NULL LIMIT 1000",
            false, e);
        if (!st) {
            store_rollback(c);
            return -1;
        }
        int64_t rids[1000];
        json_t *recs[1000];
        size_t n = 0;
        int rc;
        while (n < 1000 && (rc = store_step(st, e)) == STORE_ROW) {
            rids[n] = store_col_int64(st, 0);
            recs[n++] = json_loads(store_col_text(st, 1), 0, NULL);
        }
        store_finalize(st);
        for (size_t i = 0; i < n && rc != STORE_ERROR; i++) {
            char kk[COLLATE_KEY_BYTES], ru[COLLATE_KEY_BYTES], en[COLLATE_KEY_BYTES];
            reg_sort_key(recs[i], "kk", kk);
            reg_sort_key(recs[i], "ru", ru);
            reg_sort_key(recs[i], "en", en);
            if (store_execf(c,
                            "UPDATE records SET sort_kk = $2, sort_ru = $3, sort_en = $4 "
                            "WHERE rid = $1",
                            e, "ittt", rids[i], kk, ru, en) < 0)
                rc = STORE_ERROR;
        }
        for (size_t i = 0; i < n; i++)
            json_decref(recs[i]);
        if (rc == STORE_ERROR) {
            store_rollback(c);
            return -1;
        }
        if (store_commit(c, e) < 0)
            return -1;
        if (n < 1000)
            return 0;
    }
}

static int exec_rid(struct store_conn *c, const char *sql, int64_t rid, struct err *e)
{
    return store_execf(c, sql, e, "i", rid);
}

static int text_put(struct store_conn *c, int64_t rid, const char *body, const char *collection,
                    struct err *e)
{
    return store_execf(c,
                       "INSERT INTO search_text(rid, coll, body) VALUES ($1, $2, $3) "
                       "ON CONFLICT(rid) DO UPDATE SET coll = excluded.coll, body = excluded.body",
                       e, "itt", rid, collection, body);
}

/* Model fields are indexed as "<collection>:<field>", so a field's entries
 * belong to one collection and counts need no join with records. */
struct prefixed {
    const char *collection;
    model_index_fn fn;
    void *ctx;
};

static void index_prefixed(void *vctx, const char *field, const char *value)
{
    struct prefixed *p = vctx;
    char key[192];
    if (snprintf(key, sizeof key, "%s:%s", p->collection, field) < (int)sizeof key)
        p->fn(p->ctx, key, value);
}

/* Indexes as "" each absent filterable scalar of rec whose absence the
 * memory index holds (in_memory) or that the attrs table holds (not). */
static void index_absent(const struct model_kind *k, const json_t *rec, struct prefixed *p,
                         bool in_memory)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (f->filterable && f->type != FT_LIST && absent_in_memory(f) == in_memory &&
            !json_object_get(rec, f->name))
            index_prefixed(p, f->name, "");
    }
}

/* The references an object's ref sub-fields hold. */
static void index_sub_refs(const struct model_field *f, const json_t *obj, model_index_fn fn,
                           void *ctx)
{
    for (size_t i = 0; i < f->n_sub; i++) {
        const json_t *v = json_object_get(obj, f->sub[i].name);
        if (f->sub[i].type == FT_REF && json_is_string(v))
            fn(ctx, "_ref", json_string_value(v));
    }
}

/* Every (field, value) pair of the filter index for a record: the model's
 * filterable fields, the ends of a relation (neighbourhood queries go
 * through them), and every reference (owner, ref fields) under the
 * pseudo-field "_ref", so "who refers to X" is one index lookup. */
void reg_index_entries(const struct model_kind *k, const json_t *rec, const char *visible,
                       model_index_fn fn, void *ctx)
{
    if (k->is_relation) {
        const char *src = json_string_value(json_object_get(rec, "source"));
        const char *dst = json_string_value(json_object_get(rec, "target"));
        if (src)
            fn(ctx, "source", src);
        if (dst)
            fn(ctx, "target", dst);
    }
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    if (owner && k->owned)
        fn(ctx, "_ref", owner);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const json_t *v = json_object_get(rec, f->name);
        if (f->type == FT_REF && json_is_string(v))
            fn(ctx, "_ref", json_string_value(v));
        if (f->type == FT_OBJECT)
            index_sub_refs(f, v, fn, ctx);
        if (f->type == FT_LIST && f->item && f->item->type == FT_REF) {
            size_t j;
            const json_t *item;
            json_array_foreach(v, j, item)
            {
                if (json_is_string(item))
                    fn(ctx, "_ref", json_string_value(item));
            }
        }
        if (f->type == FT_LIST && f->item && f->item->type == FT_OBJECT) {
            size_t j;
            const json_t *item;
            json_array_foreach(v, j, item)
                index_sub_refs(f->item, item, fn, ctx);
        }
    }
    struct prefixed p = {.collection = k->collection, .fn = fn, .ctx = ctx};
    if (k->is_relation && visible)
        index_prefixed(&p, REG_VISIBLE_FIELD, visible);
    model_index_values(k, rec, index_prefixed, &p);
    /* An absent filterable scalar is indexed as "" so that a sort on the
     * field in SQL can walk its index range and still meet every record.
     * Not a field with few values (an enum, a boolean): the memory index
     * sorts by those and derives their "" itself, and every row saved is a
     * page less to write on most creates. */
    index_absent(k, rec, &p, false);
}

struct stage_ctx {
    struct registry *r;
    struct arena *a;
    const char **keys;
    size_t n, cap;
};

static void stage_key(struct stage_ctx *s, const char *key)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        const char **keys = arena_alloc(s->a, cap * sizeof *keys);
        if (s->n)
            memcpy(keys, s->keys, s->n * sizeof *keys);
        s->keys = keys;
        s->cap = cap;
    }
    s->keys[s->n++] = key;
}

static void stage_field(void *vctx, const char *field, const char *value)
{
    struct stage_ctx *s = vctx;
    if (want_field(s->r, field)) /* model fields the memory index holds */
        stage_key(s, fidx_key_field(s->a, field, value));
}

/* Collects the filter keys of a record state (none when retired). */
static void filter_keys(struct stage_ctx *s, const struct model_kind *k, const json_t *rec,
                        const char *visible)
{
    if (!rec || json_object_get(rec, "retired_at"))
        return;
    stage_key(s, fidx_key_collection(s->a, k->collection));
    stage_key(s, fidx_key_kind(s->a, k->id));
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    if (owner && k->owned)
        stage_key(s, fidx_key_owner(s->a, owner));
    reg_index_entries(k, rec, visible, stage_field, s);
    struct prefixed p = {.collection = k->collection, .fn = stage_field, .ctx = s};
    index_absent(k, rec, &p, true); /* what the attrs table leaves out */
}

/* Stages the change of the record's filter keys for the in-memory index
 * (a relation's visibility was `vis_was`, is `vis_now`). */
static void stage_filter_keys(struct registry *r, int64_t rid, const struct model_kind *k,
                              const json_t *rec, const char *vis_now, const json_t *prev,
                              const char *vis_was)
{
    if (!fidx_ready(r->fidx))
        return;
    struct arena *a = arena_new();
    struct stage_ctx was = {.r = r, .a = a}, now = {.r = r, .a = a};
    filter_keys(&was, k, prev, vis_was);
    filter_keys(&now, k, rec, vis_now);
    fidx_stage(r->fidx, rid, was.keys, was.n, now.keys, now.n);
    arena_free(a);
}

/* Stages the record's place in the relations graph of the memory index:
 * a relation with its ends and visibility, or a record that may be an end
 * (gone from the graph when retired). */
static void stage_graph(struct registry *r, int64_t rid, const struct model_kind *k,
                        const json_t *rec, const char *visible, bool retired)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (!fidx_ready(r->fidx) || !id)
        return;
    if (k->is_relation)
        fidx_stage_edge(r->fidx, rid, id, k->id,
                        json_string_value(json_object_get(rec, "source")),
                        json_string_value(json_object_get(rec, "target")), visible, !retired);
    else
        fidx_stage_node(r->fidx, rid, id, k->id, !retired);
}

/* The visibility a relation's index entries hold now ("" when none). */
static int visible_stored(struct store_conn *c, int64_t rid, const struct model_kind *k, char *out,
                          size_t n, struct err *e)
{
    out[0] = '\0';
    struct store_stmt *st =
        store_prepare(c, "SELECT value FROM attrs WHERE rid = $1 AND field = $2", true, e);
    if (!st)
        return -1;
    char field[160];
    snprintf(field, sizeof field, "%s:%s", k->collection, REG_VISIBLE_FIELD);
    store_bind_int64(st, 1, rid);
    store_bind_text(st, 2, field);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        snprintf(out, n, "%s", store_col_text(st, 0));
    store_reset(st);
    return rc == STORE_ERROR ? -1 : 0;
}

int reg_index(struct registry *r, struct store_conn *c, int64_t rid, const struct model_kind *k,
              const json_t *rec, const json_t *prev, struct err *e)
{
    bool retired = json_object_get(rec, "retired_at") != NULL;
    char vis_was[128] = "", vis_now[128] = "";
    if (k->is_relation && prev && visible_stored(c, rid, k, vis_was, sizeof vis_was, e) < 0)
        return -1;
    if (k->is_relation && !retired &&
        reg_relation_visible(r, c, rec, vis_now, sizeof vis_now, e) < 0)
        return -1;
    stage_filter_keys(r, rid, k, rec, *vis_now ? vis_now : NULL, prev, *vis_was ? vis_was : NULL);
    stage_graph(r, rid, k, rec, *vis_now ? vis_now : NULL, retired);
    if (fidx_ready(r->fidx))
        reg_ruleidx_stage(r, k, rec, prev);
    /* a record just inserted (no prev) has no entries yet */
    if (prev && exec_rid(c, "DELETE FROM attrs WHERE rid = $1", rid, e) < 0)
        return -1;
    char *body = retired ? NULL : reg_search_body(k, rec);
    if (fidx_stage_text(r->fidx, c, rid, k->collection, body) < 0) {
        free(body);
        err_internal(e, "the full-text tokenizer is not available");
        return -1;
    }
    if (retired) /* retired records leave every index */
        return exec_rid(c, "DELETE FROM search_text WHERE rid = $1", rid, e);
    struct index_ctx ctx = {.conn = c, .rid = rid, .e = e};
    reg_index_entries(k, rec, *vis_now ? vis_now : NULL, index_one, &ctx);
    index_flush(&ctx);
    int rc = ctx.failed ? -1 : text_put(c, rid, body, k->collection, e);
    free(body);
    return rc;
}

int reg_reindex_relations_of(struct registry *r, struct store_conn *c, const char *id,
                             struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT DISTINCT r.rid, r.kind, d.data FROM attrs x JOIN records r ON r.rid = x.rid "
        "JOIN record_data d ON d.rid = r.rid "
        "WHERE x.field IN ('source', 'target') AND x.value = $1 AND r.retired = 0",
        false, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    struct rel {
        int64_t rid;
        char *kind, *data;
    } *rels = NULL;
    size_t n = 0;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        rels = xrealloc(rels, (n + 1) * sizeof *rels);
        rels[n++] = (struct rel){store_col_int64(st, 0), dup_col(st, 1), dup_col(st, 2)};
    }
    store_finalize(st);
    int out = rc == STORE_ERROR ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k = model_kind(r->model, rels[i].kind);
        json_t *rel = json_loads(rels[i].data, 0, NULL);
        /* its own state is unchanged: only its visibility follows the end */
        if (out == 0 && k && rel)
            out = reg_index(r, c, rels[i].rid, k, rel, rel, e);
        json_decref(rel);
        free(rels[i].kind);
        free(rels[i].data);
    }
    free(rels);
    return out;
}

/* Relations an older version stored have no visibility row: they get it
 * once, when serving starts. */
static int index_relations_in(struct registry *r, struct store_conn *c,
                              const struct model_collection *coll, struct err *e)
{
    char field[160];
    snprintf(field, sizeof field, "%s:%s", coll->id, REG_VISIBLE_FIELD);
    struct store_stmt *st =
        store_prepare(c,
                      "SELECT r.rid, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
                      "WHERE r.collection = $1 AND r.retired = 0 AND NOT EXISTS "
                      "(SELECT 1 FROM attrs a WHERE a.rid = r.rid AND a.field = $2)",
                      false, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, coll->id);
    store_bind_text(st, 2, field);
    struct rel {
        int64_t rid;
        char *data;
    } *rels = NULL;
    size_t n = 0;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        rels = xrealloc(rels, (n + 1) * sizeof *rels);
        rels[n++] = (struct rel){store_col_int64(st, 0), dup_col(st, 1)};
    }
    store_finalize(st);
    int out = rc == STORE_ERROR ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *rel = json_loads(rels[i].data, 0, NULL);
        char vis[128];
        if (out == 0 && !rel) {
            err_internal(e, "a stored relation is not valid JSON");
            out = -1;
        }
        if (out == 0)
            out = reg_relation_visible(r, c, rel, vis, sizeof vis, e);
        if (out == 0)
            out = store_execf(c, "INSERT INTO attrs(field, value, rid) VALUES ($1, $2, $3)", e,
                              "tti", field, vis, rels[i].rid);
        json_decref(rel);
        free(rels[i].data);
    }
    free(rels);
    return out;
}

static int index_unindexed_relations(struct registry *r, struct err *e)
{
    struct store_conn *c = store_conn(r->store);
    if (store_begin(c, true, e) < 0)
        return -1;
    for (size_t i = 0; i < model_n_collections(r->model); i++) {
        const struct model_collection *coll = model_collection_at(r->model, i);
        if (coll->type == COLL_RELATIONS && index_relations_in(r, c, coll, e) < 0) {
            store_rollback(c);
            return -1;
        }
    }
    return store_commit(c, e);
}

/* Does everyone see the record as they did (its publication and
 * organisation, which decide its relations' visibility)? */
static bool same_visibility(const struct registry *r, const json_t *prev, const json_t *next)
{
    const char *a = hidden_org(r, prev), *b = hidden_org(r, next);
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int reg_data_put(struct store_conn *c, int64_t rid, const json_t *rec, const char *data,
                 struct err *e)
{
    if (store_execf(c,
                    "INSERT INTO record_data(rid, data) VALUES ($1, $2) "
                    "ON CONFLICT(rid) DO UPDATE SET data = excluded.data",
                    e, "it", rid, data) < 0)
        return -1;
    const json_t *name = json_object_get(rec, "name");
    char *text = name ? json_dumps(name, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int rc = store_execf(c,
                         "INSERT INTO record_names(rid, name) VALUES ($1, $2) "
                         "ON CONFLICT(rid) DO UPDATE SET name = excluded.name",
                         e, "it", rid, text);
    free(text);
    return rc;
}

int reg_count_add(struct store_conn *c, const char *collection, const char *kind, int64_t delta,
                  struct err *e)
{
    return store_execf(c,
                       "INSERT INTO counts(collection, kind, n) VALUES ($1, $2, $3) "
                       "ON CONFLICT(collection, kind) DO UPDATE SET n = counts.n + excluded.n",
                       e, "tti", collection, kind, delta);
}

/* --- writes ------------------------------------------------------------------ */

static void now_text(char out[32])
{
    time_format_rfc3339(time_now_ms(), out, 32);
}

/* Instants of one record never go backwards, even if the clock does. */
static void monotonic_after(char now[32], const char *prev)
{
    if (prev && strcmp(now, prev) < 0)
        snprintf(now, 32, "%s", prev);
}

/* The instant of a record's next revision: now, but after its last one. */
static void next_instant(const json_t *cur, char now[32])
{
    now_text(now);
    monotonic_after(now, json_string_value(json_object_get(cur, "updated_at")));
}

/* Marks next as revision `revision`, written at `now`. */
static void stamp(json_t *next, int64_t revision, const char *now)
{
    json_object_set_new(next, "revision", json_integer(revision));
    json_object_set_new(next, "updated_at", json_string(now));
}

int reg_revision_put(struct store_conn *c, int64_t rid, int64_t revision, const char *at,
                     const char *actor, const char *action, const char *data, struct err *e)
{
    return store_execf(c,
                       "INSERT INTO revisions(rid, revision, at, actor, action, data) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
                       e, "iitttt", rid, revision, at, actor, action, data);
}

int reg_record_insert(struct store_conn *c, const char *collection, const char *kind,
                      const json_t *rec, const char *data, int64_t *rid, struct err *e)
{
    char *sort = reg_sort_name(rec);
    char kk[COLLATE_KEY_BYTES], ru[COLLATE_KEY_BYTES], en[COLLATE_KEY_BYTES];
    reg_sort_key(rec, "kk", kk);
    reg_sort_key(rec, "ru", ru);
    reg_sort_key(rec, "en", en);
    const char *created = json_string_value(json_object_get(rec, "created_at"));
    const char *updated = json_string_value(json_object_get(rec, "updated_at"));
    /* the row id taken ahead where the database can (its rows that refer
     * to it then go without waiting for this one); else given by it */
    int64_t taken = 0;
    int given = store_take_id(c, "records", &taken, e);
    if (given < 0) {
        free(sort);
        return -1;
    }
    char taken_text[24];
    snprintf(taken_text, sizeof taken_text, "%lld", (long long)taken);
    int rc = store_execf(c,
                         "INSERT INTO records(rid, id, collection, kind, owner, revision, "
                         "created_at, updated_at, retired, sort_name, sort_kk, sort_ru, sort_en) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                         e, "tttttittitttt", given ? NULL : taken_text,
                         json_string_value(json_object_get(rec, "id")), collection, kind,
                         json_string_value(json_object_get(rec, "owner")),
                         (int64_t)json_integer_value(json_object_get(rec, "revision")),
                         created ? created : "", updated ? updated : "",
                         (int64_t)(json_object_get(rec, "retired_at") ? 1 : 0), sort, kk, ru, en);
    free(sort);
    if (rc < 0)
        return -1;
    *rid = given ? store_last_id(c) : taken;
    return reg_data_put(c, *rid, rec, data, e);
}

static int update_record(struct store_conn *c, int64_t rid, const json_t *rec, const char *data,
                         struct err *e)
{
    char *sort = reg_sort_name(rec);
    char kk[COLLATE_KEY_BYTES], ru[COLLATE_KEY_BYTES], en[COLLATE_KEY_BYTES];
    reg_sort_key(rec, "kk", kk);
    reg_sort_key(rec, "ru", ru);
    reg_sort_key(rec, "en", en);
    int rc = store_execf(c,
                         "UPDATE records SET owner = $2, revision = $3, updated_at = $4, "
                         "retired = $5, sort_name = $6, sort_kk = $7, sort_ru = $8, "
                         "sort_en = $9 WHERE rid = $1",
                         e, "ititittt", rid, json_string_value(json_object_get(rec, "owner")),
                         (int64_t)json_integer_value(json_object_get(rec, "revision")),
                         json_string_value(json_object_get(rec, "updated_at")),
                         (int64_t)(json_object_get(rec, "retired_at") ? 1 : 0), sort, kk, ru, en);
    free(sort);
    return rc < 0 ? -1 : reg_data_put(c, rid, rec, data, e);
}

/* A write joins the caller's transaction when one is open (bulk loads run
 * many writes in one transaction); otherwise it runs in its own. */
static int write_begin(struct registry *r, struct store_conn **c, bool *own, struct err *e)
{
    struct store_conn *cur = store_conn(r->store);
    *own = !store_in_tx(cur);
    *c = *own ? store_write_enter(r->store, e) : cur;
    return *c ? 0 : -1;
}

struct after_write {
    struct registry *r;
    struct fidx_staged *staged;
    json_t *rule_ids;  /* what the write names, for the rules' judgements */
    json_t *score_ids; /* what it wrote and every id they name, for the scores */
    int64_t seq;       /* its row in the change feed (feed.c; 0: none) */
};

/* The ids a write names, per writing thread until its write ends. */
static __thread json_t *staged_rule_ids;
static __thread json_t *staged_score_ids;

/* Counts each id a record names (a relation's ends, its references). */
static void count_rule_id(void *ctx, const char *field, const char *value)
{
    json_t *seen = ctx;
    if ((strcmp(field, "_ref") == 0 || strcmp(field, "source") == 0 ||
         strcmp(field, "target") == 0) && value && *value)
        json_object_set_new(seen, value,
                            json_integer(json_integer_value(json_object_get(seen, value)) + 1));
}

/* The ids rec (NULL: none) names, each with how many times (new object). */
static json_t *names_of(const struct model_kind *k, const json_t *rec)
{
    json_t *seen = json_object();
    if (rec)
        reg_index_entries(k, rec, NULL, count_rule_id, seen);
    return seen;
}

/* For the scores: the record written and every record it names, as it
 * was (was) and is now (now). */
static void stage_score_ids(const char *id, const json_t *now, const json_t *was)
{
    if (!staged_score_ids)
        staged_score_ids = json_object();
    if (id)
        json_object_set_new(staged_score_ids, id, json_true());
    const char *named;
    json_t *n;
    json_object_foreach ((json_t *)now, named, n)
        json_object_set_new(staged_score_ids, named, json_true());
    json_object_foreach ((json_t *)was, named, n)
        json_object_set_new(staged_score_ids, named, json_true());
}

/* Stages the ids rec names (seen, as names_of counts them), but its owner
 * when only as its owner: no rule counts what an organisation owns, so its
 * owned records' writes leave its judgement as it is (an organisation's
 * every record would else be judged again with each). */
static void stage_names(const struct model_kind *k, const json_t *rec, const json_t *seen)
{
    const char *owner = k->owned ? json_string_value(json_object_get(rec, "owner")) : NULL;
    const char *id;
    json_t *n;
    json_object_foreach ((json_t *)seen, id, n)
        if ((!owner || strcmp(id, owner) != 0 || json_integer_value(n) > 1) &&
            !json_object_get(staged_rule_ids, id))
            json_object_set_new(staged_rule_ids, id, json_integer(RULEIDX_NAMED));
}

void reg_ruleidx_stage(struct registry *r, const struct model_kind *k, const json_t *rec,
                       const json_t *prev)
{
    /* what each side names, read once for the scores and the rules */
    json_t *now = names_of(k, rec), *was = names_of(k, prev);
    stage_score_ids(json_string_value(json_object_get(rec ? rec : prev, "id")), now, was);
    if (!staged_rule_ids)
        staged_rule_ids = json_object();
    const char *id = json_string_value(json_object_get(rec, "id"));
    if (id && rec && prev && !ruleidx_change_read(r, r->ruleidx, rec, prev)) {
        /* nothing the rules read changed (a description, a date of
         * approval…): no other record's judgement can change */
        if (!json_object_get(staged_rule_ids, id))
            json_object_set_new(staged_rule_ids, id, json_integer(RULEIDX_SELF));
    } else {
        if (id)
            json_object_set_new(staged_rule_ids, id, json_integer(RULEIDX_WRITTEN));
        if (rec)
            stage_names(k, rec, now);
        if (prev)
            stage_names(k, prev, was);
    }
    json_decref(now);
    json_decref(was);
}

/* Runs after the group commit that holds the write (in commit order). */
void reg_apply_changes(struct registry *r, struct fidx_staged *staged, json_t *rule_ids,
                       json_t *score_ids, bool apply)
{
    /* the memory index first: an answer computed from it (a list's count,
     * a measure) and kept under the new generation must see the write */
    fidx_apply_taken(r->fidx, staged, apply);
    ruleidx_mark(r->ruleidx, rule_ids); /* also after a failed commit: be safe */
    json_decref(rule_ids);
    if (score_ids) /* else (no index yet) the scores' answers go stale */
        score_memos_mark(r->scores, score_ids);
    json_decref(score_ids);
    cache_bump(); /* also after a failed commit: be safe */
}

static void after_write(void *ctx, bool committed)
{
    struct after_write *aw = ctx;
    /* the other nodes' writes before this one first (feed.c) */
    bool apply = feed_own_begin(aw->r, aw->seq, committed) && committed;
    reg_apply_changes(aw->r, aw->staged, aw->rule_ids, aw->score_ids, apply);
    feed_own_end(aw->r, aw->seq, apply);
    free(aw);
}

static int write_end(struct registry *r, struct store_conn *c, bool own, int rc, struct err *e)
{
    if (!own)
        return rc;
    struct after_write *aw = xcalloc(1, sizeof *aw);
    aw->r = r;
    aw->staged = fidx_take_staged();
    aw->rule_ids = staged_rule_ids;
    staged_rule_ids = NULL;
    aw->score_ids = staged_score_ids;
    staged_score_ids = NULL;
    /* in its transaction: what it changed, for the other nodes */
    if (rc == 0 && feed_record(r, c, aw->staged, aw->rule_ids, aw->score_ids, &aw->seq, e) < 0)
        rc = -1;
    return store_write_leave(c, rc, after_write, aw, e);
}

struct store_conn *registry_write_enter(struct registry *r, struct err *e)
{
    return store_write_enter(r->store, e);
}

int registry_write_leave(struct registry *r, struct store_conn *c, int rc, struct err *e)
{
    return write_end(r, c, true, rc, e);
}

/* The right to create the record the body describes (its kind, and its
 * owner or a relation's source), checked before the body is, so that a
 * writer without it learns nothing of the records the body names. The
 * stored record is checked again once built. */
static int authorize_body(struct registry *r, struct store_conn *c, const struct actor *a,
                          const struct model_collection *coll, const json_t *body, struct err *e)
{
    if (a->system || !json_is_object(body))
        return 0;
    const struct model_kind *k = pick_kind(r, coll, body, e);
    if (!k)
        return -1;
    const char *key = k->is_relation ? "source" : "owner";
    json_t *probe = json_pack("{s:s}", k->is_relation ? "type" : "kind", k->id);
    const json_t *v = json_object_get(body, key);
    if (json_is_string(v))
        json_object_set(probe, key, (json_t *)v);
    int rc = authorize(r, c, a, RA_CREATE, probe, e);
    json_decref(probe);
    return rc;
}

static int create_in_tx(struct registry *r, struct store_conn *c, const struct actor *a,
                        const struct model_collection *coll, const json_t *body,
                        const char *id, json_t **out, struct err *e)
{
    char now[32];
    now_text(now);
    if (authorize_body(r, c, a, coll, body, e) < 0)
        return -1;
    json_t *rec = build_record(r, c, a, coll, body, id, now, now, 1, NULL, e);
    if (!rec)
        return -1;
    const char *kid = json_string_value(
        json_object_get(rec, coll->type == COLL_RELATIONS ? "type" : "kind"));
    const struct model_kind *k = model_kind(r->model, kid);
    if (authorize(r, c, a, RA_CREATE, rec, e) < 0 || check_written_by(r, a, k, NULL, rec, e) < 0 ||
        (k->is_relation && check_relation(c, k, rec, id, e) < 0)) {
        json_decref(rec);
        return -1;
    }
    char *data = reg_dump(rec);
    int64_t rid = 0;
    int rc = reg_record_insert(c, k->collection, k->id, rec, data, &rid, e);
    if (rc == 0)
        rc = reg_revision_put(c, rid, 1, now, a->id, "create", data, e);
    if (rc == 0)
        rc = reg_index(r, c, rid, k, rec, NULL, e);
    if (rc == 0)
        rc = reg_count_add(c, coll->id, k->id, 1, e);
    if (rc == 0)
        rc = audit_append(c, now, a, "create", coll->id, id, 1, NULL, data, e);
    if (rc == 0)
        rc = reg_triggers(r, c, MODEL_ON_CREATE, NULL, rec, e);
    free(data);
    if (rc < 0) {
        json_decref(rec);
        return -1;
    }
    *out = rec;
    return 0;
}

int reg_create_in_tx(struct registry *r, struct store_conn *c, const struct actor *a,
                     const struct model_collection *coll, const json_t *body, json_t **out,
                     struct err *e)
{
    char id[37];
    text_uuid7(id);
    return create_in_tx(r, c, a, coll, body, id, out, e);
}

int registry_create(struct registry *r, const struct actor *a, const char *collection,
                    const json_t *body, const char *id, json_t **out, struct err *e)
{
    const struct model_collection *coll = model_collection(r->model, collection);
    if (!coll) {
        err_not_found(e, "no collection '%.60s'", collection);
        return -1;
    }
    char fresh[37];
    if (!id) {
        text_uuid7(fresh);
        id = fresh;
    } else if (!text_id_valid(id)) {
        err_set(e, 422, "bad-format", "id", "'%.60s' is not a valid id", id);
        return -1;
    }
    struct store_conn *c;
    bool own;
    if (write_begin(r, &c, &own, e) < 0)
        return -1;
    int rc = create_in_tx(r, c, a, coll, body, id, out, e);
    if (write_end(r, c, own, rc, e) < 0) {
        if (rc == 0) {
            json_decref(*out);
            *out = NULL;
        }
        return -1;
    }
    return 0;
}

/* RFC 7396: applies patch to target (modified in place when it is an
 * object) and returns a new reference to the result. */
static json_t *merge_patch(json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    if (!json_is_object(target))
        target = json_object();
    else
        json_incref(target);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        if (json_is_null(v)) {
            json_object_del(target, key);
        } else {
            json_t *merged = merge_patch(json_object_get(target, key), v);
            json_object_set_new(target, key, merged);
        }
    }
    return target;
}

/* Fields that change with every write and so don't count as a change. */
static bool same_content(const json_t *a, const json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    const char *skip[] = {"revision", "updated_at"};
    for (size_t i = 0; i < 2; i++) {
        json_object_del(x, skip[i]);
        json_object_del(y, skip[i]);
    }
    bool same = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

/* Loads the current state of a record the actor may read (a NULL: any);
 * one it may not read is answered as one that does not exist, before
 * anything else (rights, revision, state) could tell them apart. */
static int load_current(struct registry *r, struct store_conn *c, const struct actor *a,
                        const char *collection, const char *id, struct rec_row *row, json_t **cur,
                        struct err *e)
{
    int found = rec_load(c, collection, id, row, e);
    if (found < 0)
        return -1;
    *cur = found ? json_loads(row->data, 0, NULL) : NULL;
    if (found && !*cur) {
        rec_row_free(row);
        err_internal(e, "stored record '%.60s' is not valid JSON", id);
        return -1;
    }
    if (!found || (a && !may_read_on(r, c, a, *cur))) {
        reg_not_found(e);
        goto fail;
    }
    if (row->retired) {
        err_set(e, 410, "gone", "", "record '%.60s' is retired", id);
        goto fail;
    }
    return 0;
fail:
    json_decref(*cur);
    *cur = NULL;
    if (found)
        rec_row_free(row);
    return -1;
}

static int check_if_match(const struct rec_row *row, int64_t if_match, struct err *e)
{
    if (if_match >= 0 && if_match != row->revision) {
        err_set(e, 412, "stale-revision", "If-Match",
                "the record is at revision %lld, not %lld", (long long)row->revision,
                (long long)if_match);
        return -1;
    }
    return 0;
}

static int patch_in_tx(struct registry *r, struct store_conn *c, const struct actor *a,
                       const struct model_collection *coll, const char *id, int64_t if_match,
                       const json_t *patch, json_t **out, struct err *e);

/* Did a field some relation type derives an attribute from (struct
 * model_derive) change between prev and next? */
static bool derive_input_changed(const struct model *m, const json_t *prev, const json_t *next)
{
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *k = model_kind_at(m, i);
        for (size_t d = 0; d < k->n_derives; d++)
            for (size_t f = 0; f < k->derives[d].n; f++) {
                const json_t *a = json_object_get(prev, k->derives[d].same[f]);
                const json_t *b = json_object_get(next, k->derives[d].same[f]);
                if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
                    return true;
            }
    }
    return false;
}

/* After record id changed from prev to next: the live relations of the
 * types that derive attributes, at either end of it, whose derived
 * attributes its change alters are written again
 * (by the system, in the same transaction), so that a dependency between
 * two projects says "intra-agency" no longer once one changes body. */
static int rederive_relations_of(struct registry *r, struct store_conn *c, const char *id,
                                 const json_t *prev, const json_t *next, struct err *e)
{
    if (!derive_input_changed(r->model, prev, next))
        return 0;
    const char **kinds = xcalloc(model_n_kinds(r->model) + 1, sizeof *kinds);
    size_t n_kinds = 0;
    for (size_t i = 0; i < model_n_kinds(r->model); i++)
        if (model_kind_at(r->model, i)->n_derives)
            kinds[n_kinds++] = model_kind_at(r->model, i)->id;
    char *types = reg_strings_json(kinds, n_kinds);
    free(kinds);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT DISTINCT x.id, x.collection, d.data FROM attrs a "
        "JOIN records x ON x.rid = a.rid AND x.retired = 0 "
        "AND x.kind IN (SELECT value FROM json_each($2)) "
        "JOIN record_data d ON d.rid = x.rid "
        "WHERE a.field IN ('source', 'target') AND a.value = $1",
        false, e);
    if (!st) {
        free(types);
        return -1;
    }
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, types);
    json_t *stale = json_array(); /* [id, collection] of each to write again */
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rel = json_loads(store_col_text(st, 2), 0, NULL);
        const struct model_kind *k =
            model_kind(r->model, json_string_value(json_object_get(rel, "type")));
        if (k && k->n_derives) {
            json_t *now = json_object();
            int rc2 = derive_from_ends(c, k, rel, now, e);
            if (rc2 < 0) {
                json_decref(now);
                json_decref(rel);
                rc = STORE_ERROR;
                break;
            }
            const char *attr;
            json_t *v;
            bool differs = false;
            json_object_foreach (now, attr, v)
                differs = differs || !json_equal(v, json_object_get(rel, attr));
            if (differs)
                json_array_append_new(stale, json_pack("[s, s]", store_col_text(st, 0),
                                                       store_col_text(st, 1)));
            json_decref(now);
        }
        json_decref(rel);
    }
    store_finalize(st);
    free(types);
    const struct actor sys = {.id = "system:derive", .system = true};
    size_t i;
    json_t *one;
    json_array_foreach (rc == STORE_ERROR ? NULL : stale, i, one) {
        json_t *out = NULL, *empty = json_object();
        const struct model_collection *coll =
            model_collection(r->model, json_string_value(json_array_get(one, 1)));
        int rc2 = coll ? patch_in_tx(r, c, &sys, coll, json_string_value(json_array_get(one, 0)),
                                     -1, empty, &out, e)
                       : 0;
        json_decref(empty);
        json_decref(out);
        if (rc2 < 0) {
            rc = STORE_ERROR;
            break;
        }
    }
    json_decref(stale);
    return rc == STORE_ERROR ? -1 : 0;
}

/* Stores next as the record's new state; prev is its current state
 * (row->data, already parsed by the caller). */
static int store_new_revision(struct registry *r, struct store_conn *c, const struct actor *a,
                              const struct rec_row *row, const char *action, const json_t *prev,
                              json_t *next, struct err *e)
{
    const struct model_kind *k = model_kind(r->model, row->kind);
    if (!k) {
        err_internal(e, "record '%s' has unknown kind '%s'", row->id, row->kind);
        return -1;
    }
    char *data = reg_dump(next);
    int64_t rev = json_integer_value(json_object_get(next, "revision"));
    const char *at = json_string_value(json_object_get(next, "updated_at"));
    int rc = update_record(c, row->rid, next, data, e);
    if (rc == 0)
        rc = reg_revision_put(c, row->rid, rev, at, a->id, action, data, e);
    if (rc == 0)
        rc = reg_index(r, c, row->rid, k, next, prev, e);
    if (rc == 0 && !k->is_relation && !json_object_get(next, "retired_at") &&
        !same_visibility(r, prev, next))
        rc = reg_reindex_relations_of(r, c, row->id, e);
    if (rc == 0 && !k->is_relation && prev)
        rc = rederive_relations_of(r, c, row->id, prev, next, e);
    if (rc == 0)
        rc = audit_append(c, at, a, action, row->collection, row->id, rev, row->data, data, e);
    free(data);
    return rc;
}

/* Records in a locked workflow state (under verification) cannot change,
 * but by the roles the state names (`edit_by`) when a (NULL: a retirement)
 * holds one and may update the record. */
static int check_unlocked(struct registry *r, const struct actor *a, const json_t *cur,
                          struct err *e)
{
    const struct model_kind *k =
        model_kind(r->model, json_string_value(json_object_get(cur, "kind")));
    if (!k || !k->workflow)
        return 0;
    const struct model_wf_state *s = model_wf_state(
        k->workflow, json_string_value(json_object_get(cur, k->workflow->status_field)));
    if (s && s->locked && a && s->n_edit_by && r->rights && !a->system &&
        authz_may_take(r->rights, a, RA_UPDATE, k->id, org_of(r, cur), s->edit_by, s->n_edit_by))
        return 0;
    if (s && s->locked) {
        err_set(e, 409, "locked", k->workflow->status_field,
                "the record is %s: it cannot change until the verifier decides", s->label.en);
        return -1;
    }
    return 0;
}

void registry_set_update_hook(struct registry *r, registry_update_hook hook, void *ctx)
{
    r->hook = hook;
    r->hook_ctx = ctx;
}

int registry_transition(struct registry *r, struct store_conn *c, const struct actor *a,
                        const char *collection, const char *id, int64_t if_match,
                        const char *action, registry_mutate_fn fn, void *ctx, json_t **out,
                        struct err *e)
{
    struct rec_row row;
    json_t *cur = NULL;
    *out = NULL;
    if (load_current(r, c, a, collection, id, &row, &cur, e) < 0)
        return -1;
    int rc = check_if_match(&row, if_match, e);
    json_t *next = rc == 0 ? json_deep_copy(cur) : NULL;
    if (rc == 0)
        rc = fn(ctx, c, cur, next, e);
    char now[32];
    if (rc == 0)
        next_instant(cur, now);
    /* the step out of a state that tallies counts once more: what is
     * submitted is counted at the submission, then frozen */
    const struct model_kind *k =
        rc == 0 ? model_kind(r->model, json_string_value(json_object_get(cur, "kind"))) : NULL;
    if (rc == 0 && reg_tallies(r, k, cur))
        rc = reg_tally(r, c, a, k, next, next, now, e);
    if (rc == 0) {
        stamp(next, row.revision + 1, now);
        rc = store_new_revision(r, c, a, &row, action, cur, next, e);
    }
    /* a transition is a change of the record: the model's triggers on
     * updates fire (an assessment issued makes its recommendations) */
    if (rc == 0)
        rc = reg_triggers(r, c, MODEL_ON_UPDATE, cur, next, e);
    if (rc == 0) {
        *out = next;
        next = NULL;
    }
    json_decref(next);
    json_decref(cur);
    rec_row_free(&row);
    return rc;
}

static int patch_in_tx(struct registry *r, struct store_conn *c, const struct actor *a,
                       const struct model_collection *coll, const char *id, int64_t if_match,
                       const json_t *patch, json_t **out, struct err *e)
{
    struct rec_row row;
    json_t *cur = NULL;
    if (load_current(r, c, a, coll->id, id, &row, &cur, e) < 0)
        return -1;
    int rc = authorize(r, c, a, RA_UPDATE, cur, e);
    if (rc == 0)
        rc = check_if_match(&row, if_match, e);
    if (rc == 0)
        rc = check_unlocked(r, a, cur, e);
    json_t *next = NULL;
    if (rc == 0) {
        const char *kkey = coll->type == COLL_RELATIONS ? "type" : "kind";
        const json_t *pk = json_object_get(patch, kkey);
        if (pk && !json_equal(pk, json_object_get(cur, kkey))) {
            err_set(e, 422, "immutable", kkey, "'%s' cannot be changed", kkey);
            rc = -1;
        }
    }
    if (rc == 0) {
        json_t *copy = json_deep_copy(cur);
        json_t *merged = merge_patch(copy, patch);
        json_decref(copy);
        char now[32];
        next_instant(cur, now);
        next = build_record(r, c, a, coll, merged, id,
                            json_string_value(json_object_get(cur, "created_at")), now,
                            row.revision + 1, cur, e);
        json_decref(merged);
        rc = next ? 0 : -1;
        /* moving a record to another organisation needs the right there too */
        if (rc == 0)
            rc = authorize(r, c, a, RA_UPDATE, next, e);
        if (rc == 0)
            rc = check_written_by(
                r, a, model_kind(r->model, json_string_value(json_object_get(next, "kind"))), cur,
                next, e);
        const struct model_kind *k =
            rc == 0 ? model_kind(r->model, json_string_value(json_object_get(next, "type"))) : NULL;
        if (k && k->is_relation)
            rc = check_relation(c, k, next, id, e);
    }
    if (rc == 0 && same_content(cur, next)) {
        json_decref(next);
        next = NULL;
        *out = json_incref(cur);
    } else if (rc == 0) {
        if (r->hook)
            rc = r->hook(r->hook_ctx, c, a, cur, next, e);
        if (rc == 0)
            rc = store_new_revision(r, c, a, &row, "update", cur, next, e);
        if (rc == 0)
            rc = reg_triggers(r, c, MODEL_ON_UPDATE, cur, next, e);
        if (rc == 0) {
            *out = next;
            next = NULL;
        }
    }
    json_decref(next);
    json_decref(cur);
    rec_row_free(&row);
    return rc;
}

int registry_patch(struct registry *r, const struct actor *a, const char *collection,
                   const char *id, int64_t if_match, const json_t *patch, json_t **out,
                   struct err *e)
{
    const struct model_collection *coll = model_collection(r->model, collection);
    if (!coll) {
        err_not_found(e, "no collection '%.60s'", collection);
        return -1;
    }
    if (!json_is_object(patch)) {
        err_set(e, 422, "wrong-type", "", "a merge patch must be a JSON object");
        return -1;
    }
    struct store_conn *c;
    bool own;
    *out = NULL;
    if (write_begin(r, &c, &own, e) < 0)
        return -1;
    int rc = patch_in_tx(r, c, a, coll, id, if_match, patch, out, e);
    if (write_end(r, c, own, rc, e) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int retire_one(struct registry *r, struct store_conn *c, const struct actor *a,
                      const char *collection, const char *id, int64_t if_match, bool check,
                      struct err *e);

/* Retires the live relations whose source or target is id. */
static int retire_relations_of(struct registry *r, struct store_conn *c, const struct actor *a,
                               const char *id, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT DISTINCT r.id FROM attrs x JOIN records r ON r.rid = x.rid "
        "WHERE x.field IN ('source', 'target') AND x.value = $1 "
        "AND r.collection = 'relations' AND r.retired = 0",
        false, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    char **ids = NULL;
    size_t n = 0;
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        ids = xrealloc(ids, (n + 1) * sizeof *ids);
        ids[n++] = xstrdup(store_col_text(st, 0));
    }
    store_finalize(st);
    int out = rc == STORE_ERROR ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        if (out == 0)
            out = retire_one(r, c, a, "relations", ids[i], -1, false, e);
        free(ids[i]);
    }
    free(ids);
    return out;
}

/* A record that live records refer to stays: relations only through
 * their attributes (a relation whose end it is goes with it). */
static int check_unreferenced(struct store_conn *c, const char *id, struct err *e)
{
    struct store_stmt *st = store_prepare(
        c,
        "SELECT r.id FROM attrs a JOIN records r ON r.rid = a.rid WHERE a.field = '_ref' "
        "AND a.value = $1 AND r.retired = 0 AND (r.collection <> 'relations' OR NOT EXISTS "
        "(SELECT 1 FROM attrs x WHERE x.rid = r.rid AND x.field IN ('source', 'target') "
        "AND x.value = $1)) LIMIT 1",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    int rc = store_step(st, e);
    if (rc == STORE_ROW)
        err_set(e, 409, "referenced", "", "record '%.60s' still refers to '%.60s'",
                store_col_text(st, 0), id);
    store_reset(st);
    return rc == STORE_DONE ? 0 : -1;
}

/* Retires one record; `check` applies the rights (relations retired with
 * their source or target follow it without a check of their own). */
static int retire_one(struct registry *r, struct store_conn *c, const struct actor *a,
                      const char *collection, const char *id, int64_t if_match, bool check,
                      struct err *e)
{
    struct rec_row row;
    json_t *cur = NULL;
    if (load_current(r, c, check ? a : NULL, collection, id, &row, &cur, e) < 0)
        return -1;
    int rc = check ? authorize(r, c, a, RA_RETIRE, cur, e) : 0;
    if (rc == 0)
        rc = check_if_match(&row, if_match, e);
    if (rc == 0)
        rc = check_unlocked(r, NULL, cur, e);
    if (rc == 0 && strcmp(collection, "relations") != 0)
        rc = check_unreferenced(c, id, e);
    if (rc == 0) {
        char now[32];
        next_instant(cur, now);
        json_t *next = json_deep_copy(cur);
        stamp(next, row.revision + 1, now);
        json_object_set_new(next, "retired_at", json_string(now));
        rc = r->hook ? r->hook(r->hook_ctx, c, a, cur, next, e) : 0;
        if (rc == 0)
            rc = store_new_revision(r, c, a, &row, "retire", cur, next, e);
        if (rc == 0)
            rc = reg_triggers(r, c, MODEL_ON_RETIRE, cur, next, e);
        json_decref(next);
        if (rc == 0)
            rc = reg_count_add(c, row.collection, row.kind, -1, e);
    }
    if (rc == 0 && strcmp(collection, "relations") != 0)
        rc = retire_relations_of(r, c, a, id, e);
    json_decref(cur);
    rec_row_free(&row);
    return rc;
}

int registry_retire(struct registry *r, const struct actor *a, const char *collection,
                    const char *id, int64_t if_match, struct err *e)
{
    if (!model_collection(r->model, collection)) {
        err_not_found(e, "no collection '%.60s'", collection);
        return -1;
    }
    struct store_conn *c;
    bool own;
    if (write_begin(r, &c, &own, e) < 0)
        return -1;
    int rc = retire_one(r, c, a, collection, id, if_match, true, e);
    return write_end(r, c, own, rc, e);
}

/* --- reads ------------------------------------------------------------------- */

int registry_get_raw(struct registry *r, struct arena *ar, const char *collection,
                     const char *id, char **json, int64_t *revision, struct err *e)
{
    /* On a database shared by several nodes a read is a round trip (and
     * the database's CPU): a record read is kept in the answers' cache
     * (cache.h) until this node applies the next write, its own or another
     * node's (feed.c). On SQLite a read is a lookup in this process, and
     * the cache's slots stay for the lists' answers. */
    bool cached = store_shared(r->store);
    const char *key = cached ? arena_printf(ar, "raw\x1f%s\x1f%s", collection, id) : NULL;
    char *hit = NULL;
    uint64_t gen = cached ? cache_generation() : 0;
    if (cached && cache_get(key, &hit)) {
        char *data = strchr(hit, ' ');
        if (data) {
            *revision = strtoll(hit, NULL, 10);
            *json = arena_strdup(ar, data + 1);
        }
        free(hit);
        if (data)
            return 0;
    }
    struct store_conn *c = store_conn(r->store);
    struct store_stmt *st = store_prepare(
        c,
        "SELECT d.data, r.revision, r.retired FROM records r JOIN record_data d ON d.rid = r.rid "
        "WHERE r.id = $1 AND r.collection = $2",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, collection);
    int rc = store_step(st, e);
    if (rc == STORE_ROW && store_col_int64(st, 2)) {
        err_set(e, 410, "gone", "", "record '%.60s' is retired", id);
        rc = STORE_ERROR;
    } else if (rc == STORE_ROW) {
        *json = arena_strndup(ar, store_col_text(st, 0), store_col_bytes(st, 0));
        *revision = store_col_int64(st, 1);
        if (cached)
            cache_put(key, arena_printf(ar, "%lld %s", (long long)*revision, *json), gen);
    } else if (rc == STORE_DONE) {
        reg_not_found(e);
        rc = STORE_ERROR;
    }
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}
