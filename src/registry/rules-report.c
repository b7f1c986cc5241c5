/* rules-report: the integrator's report on the model's rules (REQ REG-08…
 * REG-10, LC-01, LC-03): per rule, how many records it applies to, how
 * many keep it, and which break it — among the records the caller may
 * read, so the report leaks nothing a list would not show. */
#include "registry/dump.h"
#include "registry/internal.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* Violators listed per rule at most (the counts stay exact): of one rule,
 * and of each when the report is of several. */
#define RULES_REPORT_MAX_LISTED 1000
#define RULES_REPORT_LISTED_EACH 100

struct tally {
    bool chosen; /* by the filter */
    size_t listed; /* violators listed at most */
    json_int_t applicable, compliant;
    json_t *violators;
    json_t *by; /* group key ("" none) -> [applicable, compliant], when grouped */
};

/* Adds one applicable record (compliant or not) to each of its groups. */
static void tally_groups(struct tally *t, const json_t *groups, bool compliant)
{
    size_t i;
    const json_t *g;
    json_array_foreach (groups, i, g) {
        const char *key = json_string_value(g);
        json_t *c = json_object_get(t->by, key ? key : "");
        if (!c)
            json_object_set_new(t->by, key ? key : "", c = json_pack("[i, i]", 0, 0));
        json_array_set_new(c, 0, json_integer(json_integer_value(json_array_get(c, 0)) + 1));
        json_array_set_new(c, 1, json_integer(json_integer_value(json_array_get(c, 1)) + compliant));
    }
}

/* A violator's entry: rec broke ru with q at fault. */
static json_t *violator_json(const json_t *rec, const struct model_rule *ru,
                             const struct model_rule_relation *q)
{
    const char *kind = reg_kind_of(rec);
    json_t *v = json_pack("{s:O?, s:s?, s:O?, s:O?}", "id", json_object_get(rec, "id"), "kind",
                          kind, "name", json_object_get(rec, "name"), "owner",
                          json_object_get(rec, "owner"));
    if (q && q->how == REQ_RELATION) {
        json_object_set_new(v, "relation", json_string(q->type));
        json_object_set_new(v, "direction", json_string(q->out ? "out" : "in"));
    } else {
        json_object_set_new(v, "field", json_string(model_rule_fix_field(ru, q)));
    }
    return v;
}

/* rec judged by the rules in force on its judging day (model_judging_ms) */
static int tally_record(struct registry *r, struct tally *t, const json_t *rec,
                        const json_t *groups, registry_day_fn day_of, void *day_ctx,
                        struct err *e)
{
    const struct model *m = r->model;
    const char *kind = reg_kind_of(rec);
    const struct model_kind *k = model_kind(m, kind);
    int64_t day = day_of(day_ctx, model_judging_ms(k, rec, time_now_ms()));
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        if (!t[i].chosen || !model_rule_applies(ru, rec, day))
            continue;
        t[i].applicable++;
        const struct model_rule_relation *rel;
        int holds = model_rule_holds(ru, rec, day, registry_count_rule, r, &rel);
        if (holds < 0) {
            err_internal(e, "cannot count the relations of '%.60s'",
                         json_string_value(json_object_get(rec, "id")));
            return -1;
        }
        if (t[i].by)
            tally_groups(&t[i], groups, holds);
        if (holds) {
            t[i].compliant++;
        } else if (json_array_size(t[i].violators) < t[i].listed) {
            json_array_append_new(t[i].violators, violator_json(rec, ru, rel));
        }
    }
    return 0;
}

size_t reg_rule_kinds(const struct model *m, const bool *pick, const char **kinds)
{
    size_t n = 0;
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        for (size_t j = 0; pick[i] && j < ru->n_kinds; j++) {
            size_t k = 0;
            while (k < n && strcmp(kinds[k], ru->kinds[j]) != 0)
                k++;
            if (k == n)
                kinds[n++] = ru->kinds[j];
        }
    }
    return n;
}

/* The live records of those kinds, in storage order. */
static struct store_stmt *records_of(struct registry *r, const char *const *kinds, size_t n,
                                     struct err *e)
{
    struct buf sql;
    buf_init(&sql, 256);
    buf_printf(&sql, "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
                     "WHERE r.retired = 0 AND r.kind IN (");
    for (size_t i = 0; i < n; i++)
        buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
    buf_printf(&sql, ") ORDER BY r.rid");
    struct store_stmt *st = store_prepare(store_conn(r->store), sql.p, false, e);
    buf_free(&sql);
    for (size_t i = 0; st && i < n; i++)
        store_bind_text(st, (int)i + 1, kinds[i]);
    return st;
}

/* Marks the rules the filter chooses; 400 when it names a layer or a rule
 * the model does not have. *inherited: some chosen rule looks at
 * inherited items. */
static int choose(const struct model *m, const struct registry_rules_filter *only, struct tally *t,
                  bool *inherited, struct err *e)
{
    const char *layer = only ? only->layer : NULL, *rule = only ? only->rule : NULL;
    bool named = false;
    *inherited = false;
    if (layer && !model_rule_layer_known(layer)) {
        err_set(e, 400, "bad-request", "layer",
                "'layer' must be activity, data, systems or infrastructure");
        return -1;
    }
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        named = named || (rule && strcmp(rule, ru->id) == 0);
        t[i].chosen =
            (!layer || strcmp(layer, ru->layer) == 0) && (!rule || strcmp(rule, ru->id) == 0);
        *inherited = *inherited || (t[i].chosen && ru->items.inherited);
    }
    if (rule && !named) {
        err_set(e, 400, "bad-request", "rule", "no rule '%.60s' in the model", rule);
        return -1;
    }
    size_t listed = only && only->listed ? only->listed
                    : rule               ? RULES_REPORT_MAX_LISTED
                                         : RULES_REPORT_LISTED_EACH;
    for (size_t i = 0; i < model_n_rules(m); i++)
        t[i].listed = listed < RULES_REPORT_MAX_LISTED ? listed : RULES_REPORT_MAX_LISTED;
    return 0;
}

/* rec with its inherited items as the reader reads them (the record
 * itself when its kind inherits nothing): what rules over items judge. */
static int with_inherited(struct registry *r, const struct actor *a, json_t *rec, struct err *e)
{
    json_t *inh = NULL;
    if (registry_inherited(r, a, rec, &inh, e) < 0)
        return -1;
    if (inh)
        json_object_set_new(rec, "inherited", inh);
    return 0;
}

/* The most records a grouping's view reaches per section and step (a
 * domain's systems at national scale are a few thousand). */
#define RULES_GROUP_REACH 200000

/* The groups of a grouping by kind g: into `members` (record id -> [group
 * ids]) the records each live record of g.kind that a may read reaches by
 * g.view, and into `names` (group id -> name) its name. */
static int group_members(struct registry *r, const struct actor *a,
                         const struct model_rule_group *g, json_t *members, json_t *names,
                         struct err *e)
{
    const char *kind = g->kind->id;
    struct store_stmt *st = records_of(r, &kind, 1, e);
    int rc = st ? STORE_DONE : STORE_ERROR;
    bool truncated = false;
    while (st && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        json_t *id = json_object_get(rec, "id");
        if (json_is_string(id) && registry_may_read(r, a, rec)) {
            json_object_set(names, json_string_value(id), json_object_get(rec, "name"));
            if (reg_view_members(r, a, rec, g->view, RULES_GROUP_REACH, members, id, &truncated,
                                 e) < 0)
                rc = STORE_ERROR;
        }
        json_decref(rec);
        if (rc == STORE_ERROR)
            break;
    }
    store_finalize(st);
    if (truncated)
        log_msg(LOG_WARN, "rules report: a %s's view reached more than %d records", kind,
                RULES_GROUP_REACH);
    return rc == STORE_ERROR ? -1 : 0;
}

/* The groups rec counts in: its owner ("" none) when grouped by owner,
 * else those whose view reaches it ([""] none). */
static json_t *groups_of(const json_t *rec, bool by_owner, const json_t *members)
{
    if (by_owner) {
        const char *owner = json_string_value(json_object_get(rec, "owner"));
        return json_pack("[s]", owner ? owner : "");
    }
    json_t *in = json_object_get(members, json_string_value(json_object_get(rec, "id")));
    return json_array_size(in) ? json_incref(in) : json_pack("[s]", "");
}

static int cmp_groups(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    json_int_t ba = json_integer_value(json_object_get(a, "applicable")) -
                    json_integer_value(json_object_get(a, "compliant"));
    json_int_t bb = json_integer_value(json_object_get(b, "applicable")) -
                    json_integer_value(json_object_get(b, "compliant"));
    if (ba != bb)
        return ba > bb ? -1 : 1;
    const char *ia = json_string_value(json_object_get(a, "id"));
    const char *ib = json_string_value(json_object_get(b, "id"));
    return !ia ? 1 : !ib ? -1 : strcmp(ia, ib);
}

/* A stored record's name (an organisation's, a domain's), or NULL. */
static json_t *name_of(struct registry *r, json_t *names, const char *id)
{
    json_t *n = json_object_get(names, id);
    struct rec_row row;
    struct err e = ERR_INIT;
    if (n || rec_load(store_conn(r->store), NULL, id, &row, &e) <= 0)
        return n;
    json_t *rec = json_loads(row.data, 0, NULL);
    json_object_set(names, id, json_object_get(rec, "name"));
    json_decref(rec);
    rec_row_free(&row);
    return json_object_get(names, id);
}

/* The most recorded days a rule's trend shows. */
#define RULES_TREND_DAYS 60

/* The rule's figures of the last recorded days for group grp ("" the whole
 * registry, "<by>:<id>" one group of a grouping), oldest first: [{day,
 * applicable, compliant, compliant_percent}], or NULL on a store error. */
static json_t *trend_of(struct registry *r, const char *rule, const char *grp, struct err *e)
{
    struct store_stmt *st = store_prepare(
        store_conn(r->store),
        "SELECT day, applicable, compliant FROM (SELECT day, applicable, compliant "
        "FROM rule_figures WHERE rule = $1 AND grp = $3 ORDER BY day DESC LIMIT $2) AS last "
        "ORDER BY day",
        true, e);
    if (!st)
        return NULL;
    store_bind_text(st, 1, rule);
    store_bind_int64(st, 2, RULES_TREND_DAYS);
    store_bind_text(st, 3, grp);
    json_t *trend = json_array();
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t app = store_col_int64(st, 1), ok = store_col_int64(st, 2);
        json_array_append_new(trend, json_pack("{s:s, s:I, s:I, s:I}", "day", store_col_text(st, 0),
                                               "applicable", (json_int_t)app, "compliant",
                                               (json_int_t)ok, "compliant_percent",
                                               (json_int_t)(app ? ok * 100 / app : 100)));
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(trend);
        return NULL;
    }
    return trend;
}

/* it["trend"]: the rule's figures of the last recorded days over the
 * whole registry, oldest first. */
static int add_trend(struct registry *r, json_t *it, const char *rule, struct err *e)
{
    json_t *trend = trend_of(r, rule, "", e);
    if (!trend)
        return -1;
    json_object_set_new(it, "trend", trend);
    return 0;
}

/* A group's key in the day's figures: "<by>:<id>". */
static char *group_key(const char *by, const char *id)
{
    size_t n = strlen(by) + strlen(id) + 2;
    char *k = xcalloc(n, 1);
    snprintf(k, n, "%s:%s", by, id);
    return k;
}

/* The per-group figures of a rule, most broken first; the records in no
 * group have a null id. */
static json_t *groups_json(struct registry *r, const char *rule, const char *by_name,
                          const json_t *by, json_t *names, struct err *e)
{
    size_t n = json_object_size(by), k = 0;
    const json_t **v = xcalloc(n ? n : 1, sizeof *v);
    const char *key;
    json_t *c;
    json_object_foreach ((json_t *)by, key, c) {
        json_int_t app = json_integer_value(json_array_get(c, 0));
        json_int_t ok = json_integer_value(json_array_get(c, 1));
        json_t *o = json_pack("{s:s?, s:I, s:I, s:I}", "id", *key ? key : NULL, "applicable", app,
                              "compliant", ok, "compliant_percent", app ? ok * 100 / app : 100);
        json_t *name = *key ? name_of(r, names, key) : NULL;
        if (name)
            json_object_set(o, "name", name);
        /* the group's own trend, from the figures recorded each day */
        char *gk = *key ? group_key(by_name, key) : NULL;
        json_t *trend = gk ? trend_of(r, rule, gk, e) : NULL;
        free(gk);
        if (trend)
            json_object_set_new(o, "trend", trend);
        v[k++] = o;
    }
    qsort(v, k, sizeof *v, cmp_groups);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(out, (json_t *)v[i]);
    free(v);
    return out;
}

/* A stored record's id, kind, name and owner by row id (memo: rid text ->
 * that much of it, kept small: a report lists thousands), borrowed. */
static json_t *by_rid(struct registry *r, json_t *memo, uint32_t rid, struct err *e)
{
    char key[16];
    snprintf(key, sizeof key, "%u", rid);
    json_t *head = json_object_get(memo, key);
    if (head)
        return head;
    json_t *rec = rec_data_by_rid(store_conn(r->store), rid, e);
    if (!rec)
        return NULL;
    head = json_object();
    static const char *const keep[] = {"id", "kind", "type", "name", "owner"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (json_object_get(rec, keep[i]))
            json_object_set(head, keep[i], json_object_get(rec, keep[i]));
    json_decref(rec);
    json_object_set_new(memo, key, head);
    return head;
}

/* The report from the rules' kept judgements (ruleidx.c): for a reader
 * who reads every record, of rules it keeps, not grouped. */
static int report_from_index(struct registry *r, registry_day_fn day_of, void *day_ctx,
                             const struct tally *t, json_t **out, struct err *e)
{
    const struct model *m = r->model;
    struct ruleidx *x = r->ruleidx;
    if (ruleidx_ready(r, x, day_of, day_ctx, e) < 0)
        return -1;
    size_t cap = ruleidx_cap(x), n_judged;
    double ms;
    ruleidx_last(x, &n_judged, &ms);
    json_t *items = json_array(), *memo = json_object();
    uint32_t *listed = xcalloc(RULES_REPORT_MAX_LISTED, sizeof *listed);
    unsigned *why = xcalloc(RULES_REPORT_MAX_LISTED, sizeof *why);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        if (!t[i].chosen)
            continue;
        json_int_t applicable = 0, compliant = 0;
        size_t n_listed = 0;
        for (uint32_t rid = 0; rid < cap; rid++) {
            unsigned s = ruleidx_state(x, i, rid);
            if (!s)
                continue;
            applicable++;
            compliant += s == 1;
            if (s > 1 && n_listed < t[i].listed) {
                why[n_listed] = s;
                listed[n_listed++] = rid;
            }
        }
        json_t *violators = json_array();
        for (size_t j = 0; j < n_listed; j++) {
            json_t *rec = by_rid(r, memo, listed[j], e);
            if (rec)
                json_array_append_new(violators,
                                      violator_json(rec, ru, ruleidx_fault(ru, why[j])));
            else if (e->status)
                rc = -1;
        }
        json_int_t share = applicable ? compliant * 100 / applicable : 100;
        json_t *it = json_pack("{s:s, s:o, s:s?, s:s, s:s, s:I, s:I, s:I, s:o}", "rule", ru->id,
                               "label", model_label_json(ru->label), "requirement",
                               ru->requirement, "layer", ru->layer, "severity",
                               ru->warning ? "warning" : "error", "applicable", applicable,
                               "compliant", compliant, "compliant_percent", share, "violators",
                               violators);
        json_array_append_new(items, it);
    }
    ruleidx_done(x);
    free(listed);
    free(why);
    json_decref(memo);
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it)
        if (rc == 0 && add_trend(r, it, json_string_value(json_object_get(it, "rule")), e) < 0)
            rc = -1;
    if (rc < 0) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o, s:{s:I, s:f}}", "items", items, "evaluation", "judged",
                     (json_int_t)n_judged, "ms", ms);
    return 0;
}

/* Can the kept judgements answer: a reader of every record, no grouping,
 * only rules kept there? */
static bool index_answers(struct registry *r, const struct actor *a, const struct tally *t,
                          const char *by)
{
    if (by || !(a->system || reg_reads_unpublished(r, a, NULL)))
        return false;
    for (size_t i = 0; i < model_n_rules(r->model); i++)
        if (t[i].chosen && !ruleidx_tracked(r->ruleidx, i))
            return false;
    return true;
}

int registry_rules_report(struct registry *r, const struct actor *a, registry_day_fn day_of,
                          void *day_ctx, const struct registry_rules_filter *only, json_t **out,
                          struct err *e)
{
    *out = NULL;
    const struct model *m = r->model;
    size_t n = model_n_rules(m);
    struct tally *t = xcalloc(n ? n : 1, sizeof *t);
    bool inherited;
    const char *by = only ? only->by : NULL;
    const struct model_rule_group *g = by ? model_rule_group(m, by) : NULL;
    bool by_owner = by && strcmp(by, "owner") == 0;
    if (by && !g && !by_owner) {
        err_set(e, 400, "bad-request", "by", "'by' must be owner or a kind the report groups by");
        free(t);
        return -1;
    }
    if (choose(m, only, t, &inherited, e) < 0) {
        free(t);
        return -1;
    }
    if (index_answers(r, a, t, by)) {
        int rc = report_from_index(r, day_of, day_ctx, t, out, e);
        free(t);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        t[i].violators = json_array();
        t[i].by = by ? json_object() : NULL;
    }
    json_t *members = json_object(), *names = json_object();
    int rc = g && group_members(r, a, g, members, names, e) < 0 ? STORE_ERROR : STORE_DONE;
    const char **kinds = xcalloc(model_n_kinds(m) + 1, sizeof *kinds);
    bool *chosen = xcalloc(n + 1, sizeof *chosen);
    for (size_t i = 0; i < n; i++)
        chosen[i] = t[i].chosen;
    size_t n_kinds = reg_rule_kinds(m, chosen, kinds);
    free(chosen);
    struct store_stmt *st = n_kinds && rc != STORE_ERROR ? records_of(r, kinds, n_kinds, e) : NULL;
    rc = st || !n_kinds ? rc : STORE_ERROR;
    while (st && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        json_t *groups = rec && by ? groups_of(rec, by_owner, members) : NULL;
        if (rec && registry_may_read(r, a, rec) &&
            ((inherited && with_inherited(r, a, rec, e) < 0) ||
             tally_record(r, t, rec, groups, day_of, day_ctx, e) < 0))
            rc = STORE_ERROR;
        json_decref(groups);
        json_decref(rec);
        if (rc == STORE_ERROR)
            break;
    }
    store_finalize(st);
    free(kinds);
    json_decref(members);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        json_int_t share = t[i].applicable ? t[i].compliant * 100 / t[i].applicable : 100;
        if (t[i].chosen) {
            json_t *it =
                json_pack("{s:s, s:o, s:s?, s:s, s:s, s:I, s:I, s:I, s:O}", "rule", ru->id, "label",
                          model_label_json(ru->label), "requirement", ru->requirement, "layer",
                          ru->layer, "severity", ru->warning ? "warning" : "error", "applicable",
                          t[i].applicable, "compliant", t[i].compliant, "compliant_percent", share,
                          "violators", t[i].violators);
            if (t[i].by && rc != STORE_ERROR)
                json_object_set_new(it, "by", groups_json(r, ru->id, by, t[i].by, names, e));
            if (rc != STORE_ERROR && add_trend(r, it, ru->id, e) < 0)
                rc = STORE_ERROR;
            json_array_append_new(items, it);
        }
        json_decref(t[i].violators);
        json_decref(t[i].by);
    }
    json_decref(names);
    free(t);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    if (by)
        json_object_set_new(*out, "by", json_string(by));
    return 0;
}

/* Inserts one row of the day's figures. */
static int put_figure(struct store_conn *c, const char *day, const char *rule, const char *grp,
                      json_int_t applicable, json_int_t compliant, struct err *e)
{
    return store_execf(c,
                       "INSERT INTO rule_figures(day, rule, grp, applicable, compliant) "
                       "VALUES ($1, $2, $3, $4, $5)",
                       e, "tttii", day, rule, grp, (int64_t)applicable, (int64_t)compliant);
}

int registry_rules_record(struct registry *r, registry_day_fn day_of, void *day_ctx,
                          const char *day, bool *recorded, struct err *e)
{
    *recorded = false;
    struct store_conn *c = store_conn(r->store);
    json_t *have;
    struct store_stmt *q = store_prepare(c, "SELECT 1 FROM rule_figures WHERE day = $1 LIMIT 1",
                                         true, e);
    if (!q)
        return -1;
    store_bind_text(q, 1, day);
    have = reg_first_column(q, e);
    if (!have)
        return -1;
    size_t had = json_array_size(have);
    json_decref(have);
    if (had || !model_n_rules(r->model))
        return 0;
    const struct actor everyone = {.id = "system:rules", .system = true};
    struct registry_rules_filter all = {NULL, NULL, NULL, 1};
    /* the whole registry's figures, then each group's of every grouping
     * (by body, by each kind the report groups by): their trends; all read
     * before the one write */
    size_t n_groupings = 1 + model_n_rule_groups(r->model);
    json_t **reports = xcalloc(n_groupings + 1, sizeof *reports);
    int rc = registry_rules_report(r, &everyone, day_of, day_ctx, &all, &reports[0], e);
    for (size_t g = 1; rc == 0 && g <= n_groupings; g++) {
        const char *by = g == 1 ? "owner" : model_rule_group_at(r->model, g - 2)->kind->id;
        struct registry_rules_filter grouped = {NULL, NULL, by, 1};
        rc = registry_rules_report(r, &everyone, day_of, day_ctx, &grouped, &reports[g], e);
    }
    struct store_conn *w = rc == 0 ? store_write_enter(r->store, e) : NULL;
    rc = w ? 0 : -1;
    size_t i, j;
    json_t *it, *grp;
    json_array_foreach (json_object_get(reports[0], "items"), i, it) {
        const char *rule = json_string_value(json_object_get(it, "rule"));
        if (rc == 0)
            rc = put_figure(w, day, rule, "", json_integer_value(json_object_get(it, "applicable")),
                            json_integer_value(json_object_get(it, "compliant")), e);
    }
    for (size_t g = 1; g <= n_groupings; g++) {
        const char *by = json_string_value(json_object_get(reports[g], "by"));
        json_array_foreach (json_object_get(reports[g], "items"), i, it) {
            const char *rule = json_string_value(json_object_get(it, "rule"));
            json_array_foreach (json_object_get(it, "by"), j, grp) {
                const char *id = json_string_value(json_object_get(grp, "id"));
                if (!id || !by || rc < 0)
                    continue;
                char *gk = group_key(by, id);
                rc = put_figure(w, day, rule, gk,
                                json_integer_value(json_object_get(grp, "applicable")),
                                json_integer_value(json_object_get(grp, "compliant")), e);
                free(gk);
            }
        }
    }
    for (size_t g = 0; g <= n_groupings; g++)
        json_decref(reports[g]);
    free(reports);
    if (w && store_write_leave(w, rc, NULL, NULL, e) < 0)
        return -1;
    *recorded = rc == 0;
    return rc;
}

/* ---- export, import, check of the day's figures -------------------------- */

static const struct dump_col figure_cols[] = {
    {"rule", 's', true},       {"grp", 's', true},       {"day", 's', true},
    {"applicable", 'i', true}, {"compliant", 'i', true},
};
static const struct dump_table figure_tables[] = {
    {"rule_figure", "rule_figures", "rule, grp, day", figure_cols,
     sizeof figure_cols / sizeof figure_cols[0]},
};
static const char *const figure_rules[] = {
    "SELECT 'rule_figures', rule || ' ' || day, 'day ''' || day || ''' is not a date' "
    "FROM rule_figures WHERE ap_not_date(day) = 1",
    "SELECT 'rule_figures', rule || ' ' || day, 'more compliant records than applicable' "
    "FROM rule_figures WHERE compliant < 0 OR compliant > applicable",
};
static const struct dump_part figure_part = {
    figure_tables, 1, figure_rules, sizeof figure_rules / sizeof figure_rules[0], NULL, NULL, NULL,
};

void reg_rules_dump_init(struct registry *r)
{
    dump_add_part(r, &figure_part);
}
