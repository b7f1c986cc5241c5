/* completeness: how complete a record's data on the portal is — its
 * needed fields, the documents due at its stage, the relations the
 * metamodel demands — as a score with the list of gaps, per record and
 * per organisation, and the answer to REQ REG-12: may operation-stage
 * expenses be supported for the object (its data registered and complete,
 * its technical documentation on the portal)? */
#include "docs/documents.h"

#include "registry/registry.h"
#include "store/store.h"
#include "util/timeutil.h"

#include <string.h>

static const char *text_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void reason(json_t *reasons, const char *code, json_t *detail)
{
    json_array_append_new(reasons, json_pack("{s:s, s:o}", "code", code, "detail", detail));
}

/* The required relations rec lacks (array of {type, label}); *required
 * counts those it must have. */
static int relation_gaps(struct docs *d, const json_t *rec, int *required, json_t **gaps,
                         struct err *e)
{
    const struct model *m = docs_model(d);
    *required = 0;
    *gaps = json_array();
    for (size_t i = 0; i < model_n_kinds(m); i++) {
        const struct model_kind *rel = model_kind_at(m, i);
        if (!rel->is_relation || !model_relation_required(rel, rec))
            continue;
        (*required)++;
        json_t *found = NULL;
        if (registry_relations_of(docs_registry(d), NULL, text_of(rec, "id"), "out", rel->id,
                                  &found, e) < 0)
            return -1;
        if (json_array_size(json_object_get(found, "items")) == 0)
            json_array_append_new(*gaps, json_pack("{s:s, s:o}", "type", rel->id, "label",
                                                   model_label_json(rel->label)));
        json_decref(found);
    }
    return 0;
}

/* rec's gaps (the shape of workflow_gaps_fn) and how many fields are
 * needed, documents due and relations required of it. */
static int gaps_counted(struct docs *d, const json_t *rec, json_t **gaps, int *needed, int *due,
                        int *required, struct err *e)
{
    *gaps = NULL;
    *needed = *due = *required = 0;
    const struct model_kind *k = model_kind(docs_model(d), text_of(rec, "kind"));
    if (!k) {
        err_internal(e, "a record of unknown kind '%.60s'", text_of(rec, "kind"));
        return -1;
    }
    json_t *doc_missing = NULL, *rel_gaps = NULL;
    /* judged by the rules in force when it was submitted, or today */
    int64_t day = docs_judging_day(d, k, rec);
    if (docs_missing(d, rec, day, due, &doc_missing, e) < 0 ||
        relation_gaps(d, rec, required, &rel_gaps, e) < 0) {
        json_decref(doc_missing);
        json_decref(rel_gaps);
        return -1;
    }
    /* documents by type, with their labels */
    json_t *docs_out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(doc_missing, i, t)
    {
        const struct model_doc_type *dt = model_doc_type(k->documents, json_string_value(t));
        json_array_append_new(docs_out, json_pack("{s:s, s:i, s:s, s:o}", "type", dt->id, "number",
                                                  dt->number, "item", dt->item, "label",
                                                  model_label_json(dt->label)));
    }
    json_decref(doc_missing);
    *needed = (int)model_needed_count(k, rec, day);
    json_t *rules =
        model_rule_gaps(docs_model(d), rec, false, day, registry_count_rule, docs_registry(d));
    if (!rules) {
        json_decref(docs_out);
        json_decref(rel_gaps);
        err_internal(e, "cannot count the relations of '%.60s'", text_of(rec, "id"));
        return -1;
    }
    char on[16];
    *gaps = json_pack("{s:o, s:o, s:o, s:o, s:s}", "fields", model_gaps(k, rec, day), "documents",
                      docs_out, "relations", rel_gaps, "rules", rules, "judged_on",
                      time_format_date(day, on, sizeof on));
    return 0;
}

/* The score (0-100) of gaps counted against what is needed, due and
 * required. */
static int score_of(const json_t *gaps, int needed, int due, int required)
{
    int total = needed + due + required;
    int missing = (int)(json_array_size(json_object_get(gaps, "fields")) +
                        json_array_size(json_object_get(gaps, "documents")) +
                        json_array_size(json_object_get(gaps, "relations")));
    return total ? (total - missing) * 100 / total : 100;
}

int docs_record_score(struct docs *d, const json_t *rec, int *score, struct err *e)
{
    const struct model_kind *k =
        rec ? model_kind(docs_model(d), text_of(rec, "kind")) : NULL;
    json_t *gaps;
    int needed, due, required;
    *score = -1;
    if (!k || !k->documents)
        return 0;
    if (gaps_counted(d, rec, &gaps, &needed, &due, &required, e) < 0)
        return -1;
    *score = score_of(gaps, needed, due, required);
    json_decref(gaps);
    return 0;
}

int docs_gaps(void *ctx, const json_t *rec, json_t **gaps, struct err *e)
{
    int needed, due, required;
    return gaps_counted(ctx, rec, gaps, &needed, &due, &required, e);
}

/* Completeness of rec, a stored record of a kind with documents. */
static int assess(struct docs *d, const struct actor *a, const struct model_kind *k,
                  const json_t *rec, json_t **out, struct err *e)
{
    json_t *gaps;
    int needed, due, required;
    if (gaps_counted(d, rec, &gaps, &needed, &due, &required, e) < 0)
        return -1;
    int n_field_gaps = (int)json_array_size(json_object_get(gaps, "fields"));
    int n_doc_gaps = (int)json_array_size(json_object_get(gaps, "documents"));
    int n_rel_gaps = (int)json_array_size(json_object_get(gaps, "relations"));
    int total = needed + due + required;
    int met = total - n_field_gaps - n_doc_gaps - n_rel_gaps;
    int score = score_of(gaps, needed, due, required);
    bool rules_kept = json_array_size(json_object_get(gaps, "rules")) == 0;
    /* REQ REG-12: registered, complete data, documentation on the portal */
    json_t *reasons = json_array();
    const struct model_workflow *w = k->workflow;
    const struct model_wf_state *s = w ? model_wf_state(w, text_of(rec, w->status_field)) : NULL;
    if (w && !(s && s->coded))
        reason(reasons, "not-registered",
               json_sprintf("the object is not registered on the portal (it is %s)",
                            s ? s->label.en : "in no known state"));
    if (n_field_gaps)
        reason(reasons, "data-missing",
               json_sprintf("%d needed field(s) are empty", n_field_gaps));
    if (n_doc_gaps)
        reason(reasons, "documents-missing",
               json_sprintf("%d document(s) due at its stage are not on the portal", n_doc_gaps));
    registry_redact_gaps(docs_registry(d), a, rec, gaps); /* counted, not named */
    *out = json_pack(
        "{s:s, s:s, s:O?, s:s?, s:s?, s:s?, s:i, s:b, "
        "s:o, s:{s:{s:i, s:i}, s:{s:i, s:i}, s:{s:i, s:i}}, s:{s:b, s:o}}",
        "record_id", text_of(rec, "id"), "kind", k->id, "name", json_object_get(rec, "name"),
        "stage", w && w->stage_field ? text_of(rec, w->stage_field) : NULL, "status",
        w ? text_of(rec, w->status_field) : NULL, "accounting_code",
        w ? text_of(rec, w->code_field) : NULL, "score", score, "complete", met == total && rules_kept, "gaps",
        gaps, "counts", "fields",
        "needed", needed, "filled", needed - n_field_gaps, "documents", "due", due, "present",
        due - n_doc_gaps, "relations", "required", required, "present", required - n_rel_gaps,
        "expenses", "supported", json_array_size(reasons) == 0, "reasons", reasons);
    return 0;
}

int docs_completeness(struct docs *d, const struct actor *a, const char *collection,
                      const char *id, json_t **out, struct err *e)
{
    json_t *rec;
    if (registry_get_visible(docs_registry(d), a, collection, id, &rec, e) < 0)
        return -1;
    const struct model_kind *k = model_kind(docs_model(d), text_of(rec, "kind"));
    int rc;
    if (!k || !k->documents) {
        err_set(e, 422, "no-documents", "", "completeness is assessed for informatization "
                "objects, not for records of kind '%s'", text_of(rec, "kind"));
        rc = -1;
    } else {
        rc = assess(d, a, k, rec, out, e);
    }
    json_decref(rec);
    return rc;
}

int docs_org_completeness(struct docs *d, const struct actor *a, const char *org, json_t **out,
                          struct err *e)
{
    struct registry *reg = docs_registry(d);
    json_t *org_rec;
    const struct model_kind *owner = model_owner_kind(docs_model(d));
    if (!owner) {
        err_not_found(e, "the model has no kind that owns records");
        return -1;
    }
    if (registry_get_visible(reg, a, owner->collection, org, &org_rec, e) < 0)
        return -1;
    json_decref(org_rec);
    struct store_conn *c = store_conn(registry_store(reg));
    struct store_stmt *st = store_prepare(
        c, "SELECT d.data FROM records r JOIN record_data d ON d.rid = r.rid "
           "WHERE r.owner = $1 AND r.retired = 0 ORDER BY r.sort_name, r.rid",
        true, e);
    if (!st)
        return -1;
    store_bind_text(st, 1, org);
    json_t *items = json_array();
    int rc, n = 0, complete = 0, supported = 0, score_sum = 0, docs_missing_n = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        json_t *rec = json_loads(store_col_text(st, 0), 0, NULL);
        const struct model_kind *k = rec ? model_kind(docs_model(d), text_of(rec, "kind")) : NULL;
        json_t *one = NULL;
        if (k && k->documents && registry_may_read(reg, a, rec)) {
            if (assess(d, a, k, rec, &one, e) < 0) {
                json_decref(rec);
                rc = STORE_ERROR;
                break;
            }
            n++;
            complete += json_is_true(json_object_get(one, "complete"));
            supported += json_is_true(json_object_get(json_object_get(one, "expenses"), "supported"));
            score_sum += (int)json_integer_value(json_object_get(one, "score"));
            docs_missing_n += (int)json_array_size(json_object_get(json_object_get(one, "gaps"), "documents"));
            json_array_append_new(items, one);
        }
        json_decref(rec);
    }
    store_reset(st);
    if (rc == STORE_ERROR) {
        json_decref(items);
        return -1;
    }
    *out = json_pack("{s:s, s:o, s:{s:i, s:i, s:i, s:i, s:i}}", "organization", org, "items", items,
                     "summary", "objects", n, "complete", complete, "score",
                     n ? score_sum / n : 100, "expenses_supported", supported,
                     "documents_missing", docs_missing_n);
    return 0;
}
