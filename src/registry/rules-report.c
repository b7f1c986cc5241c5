/* rules-report: the integrator's report on the model's rules (REQ REG-08…
 * REG-10, LC-01, LC-03): per rule, how many records it applies to, how
 * many keep it, and which break it — among the records the caller may
 * read, so the report leaks nothing a list would not show. */
#include "registry/internal.h"
#include "util/buf.h"
#include "util/timeutil.h"

#include <string.h>

/* Violators listed per rule at most (the counts stay exact). */
#define RULES_REPORT_MAX_LISTED 1000

struct tally {
    bool chosen; /* by the filter */
    json_int_t applicable, compliant;
    json_t *violators;
};

/* rec judged by the rules in force on its judging day (model_judging_ms) */
static int tally_record(struct registry *r, struct tally *t, const json_t *rec,
                        registry_day_fn day_of, void *day_ctx, struct err *e)
{
    const struct model *m = r->model;
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    kind = kind ? kind : json_string_value(json_object_get(rec, "type")); /* a relation's */
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
        if (holds) {
            t[i].compliant++;
        } else if (json_array_size(t[i].violators) < RULES_REPORT_MAX_LISTED) {
            json_t *v = json_pack("{s:O?, s:s?, s:O?, s:O?}", "id", json_object_get(rec, "id"),
                                  "kind", kind, "name", json_object_get(rec, "name"), "owner",
                                  json_object_get(rec, "owner"));
            if (rel && rel->how == REQ_RELATION) {
                json_object_set_new(v, "relation", json_string(rel->type));
                json_object_set_new(v, "direction", json_string(rel->out ? "out" : "in"));
            } else {
                json_object_set_new(v, "field", json_string(model_rule_fix_field(ru, rel)));
            }
            json_array_append_new(t[i].violators, v);
        }
    }
    return 0;
}

/* The kinds some chosen rule names, each once (at most MAX_KINDS). */
#define MAX_KINDS 64
static size_t rule_kinds(const struct model *m, const struct tally *t, const char *kinds[MAX_KINDS])
{
    size_t n = 0;
    for (size_t i = 0; i < model_n_rules(m); i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        if (!t[i].chosen)
            continue;
        for (size_t j = 0; j < ru->n_kinds; j++) {
            size_t k = 0;
            while (k < n && strcmp(kinds[k], ru->kinds[j]) != 0)
                k++;
            if (k == n && n < MAX_KINDS)
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

int registry_rules_report(struct registry *r, const struct actor *a, registry_day_fn day_of,
                          void *day_ctx, const struct registry_rules_filter *only, json_t **out,
                          struct err *e)
{
    *out = NULL;
    const struct model *m = r->model;
    size_t n = model_n_rules(m);
    struct tally *t = xcalloc(n ? n : 1, sizeof *t);
    bool inherited;
    if (choose(m, only, t, &inherited, e) < 0) {
        free(t);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        t[i].violators = json_array();
    const char *kinds[MAX_KINDS];
    size_t n_kinds = rule_kinds(m, t, kinds);
    struct store_stmt *st = n_kinds ? records_of(r, kinds, n_kinds, e) : NULL;
    int rc = st || !n_kinds ? STORE_DONE : STORE_ERROR;
    while (st && (rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        if (rec && registry_may_read(r, a, rec) &&
            ((inherited && with_inherited(r, a, rec, e) < 0) ||
             tally_record(r, t, rec, day_of, day_ctx, e) < 0))
            rc = STORE_ERROR;
        json_decref(rec);
        if (rc == STORE_ERROR)
            break;
    }
    store_finalize(st);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct model_rule *ru = model_rule_at(m, i);
        json_int_t share = t[i].applicable ? t[i].compliant * 100 / t[i].applicable : 100;
        if (t[i].chosen)
            json_array_append_new(
                items,
                json_pack("{s:s, s:o, s:s?, s:s, s:s, s:I, s:I, s:I, s:O}", "rule", ru->id, "label",
                          model_label_json(ru->label), "requirement", ru->requirement, "layer",
                          ru->layer, "severity", ru->warning ? "warning" : "error", "applicable",
                          t[i].applicable, "compliant", t[i].compliant, "compliant_percent", share,
                          "violators", t[i].violators));
        json_decref(t[i].violators);
    }
    free(t);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:o}", "items", items);
    return 0;
}
