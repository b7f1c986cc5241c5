/* model/doctypes: what a complete record needs beyond its fields — the
 * `document_lists` section (the legal lists of technical documents, REQ
 * DOC-02, DOC-03, and which of them are due at which stage of a record's
 * life, DOC-04) with each kind's link to one, and the relations a record
 * must have (a relation type's `required_for`). */
#include "model/loader.h"

#include <string.h>

static const char *const LIST_KEYS[] = {"label", "source", "types", NULL};
static const char *const TYPE_KEYS[] = {"number",      "part",     "label",   "due",
                                        "replaced_by", "in_force", "earlier", NULL};

/* "due": true, false (or absent: optional), or {"<enum field>": [values]}. */
static int parse_due(struct loader *ld, const json_t *v, const char *path,
                     struct model_doc_type *t)
{
    const json_t *d = json_object_get(v, "due");
    if (!d || json_is_false(d))
        return 0;
    if (json_is_true(d)) {
        t->due_always = true;
        return 0;
    }
    return ld_condition(ld, d, ld_sub(ld, path, "due"), &t->due_field, &t->due_values,
                        &t->n_due_values);
}

/* "number" 1..999 and "part" 1..99 (a document of a composite item):
 * together unique in the list. */
static int parse_number(struct loader *ld, const json_t *v, const char *path,
                        const struct model_doc_list *l, struct model_doc_type *t)
{
    const json_t *num = json_object_get(v, "number"), *part = json_object_get(v, "part");
    if (!json_is_integer(num) || json_integer_value(num) < 1 || json_integer_value(num) > 999)
        return ld_fail(ld, ld_sub(ld, path, "number"), "must be an integer 1..999");
    if (part &&
        (!json_is_integer(part) || json_integer_value(part) < 1 || json_integer_value(part) > 99))
        return ld_fail(ld, ld_sub(ld, path, "part"), "must be an integer 1..99");
    t->number = (int)json_integer_value(num);
    t->part = part ? (int)json_integer_value(part) : 0;
    for (size_t i = 0; i < l->n_types; i++)
        if (l->types[i].number == t->number && l->types[i].part == t->part)
            return ld_fail(ld, ld_sub(ld, path, t->part ? "part" : "number"),
                           "%s is also the number of '%s'", l->types[i].item, l->types[i].id);
    t->item = t->part ? arena_printf(ld->m->arena, "%d.%d", t->number, t->part)
                      : arena_printf(ld->m->arena, "%d", t->number);
    return 0;
}

static int parse_type(struct loader *ld, const char *id, const json_t *v, const char *path,
                      struct model_doc_list *l)
{
    struct model_doc_type *t = &l->types[l->n_types];
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, TYPE_KEYS) || ld_label(ld, v, "label", path, &t->label) ||
        parse_number(ld, v, path, l, t))
        return -1;
    t->id = ld_keep(ld, id);
    if (parse_due(ld, v, path, t) || ld_span(ld, v, "in_force", path, &t->in_force) ||
        ld_wordings(ld, v, path, &t->earlier, &t->n_earlier))
        return -1;
    l->n_types++;
    return 0;
}

/* "replaced_by": the types of the same list that took over from a type;
 * such a type is never due. Checked once the whole list is read. */
static int parse_replaced_by(struct loader *ld, const json_t *types, const char *path,
                             const struct model_doc_list *l, struct model_doc_type *t)
{
    const json_t *r = json_object_get(json_object_get(types, t->id), "replaced_by");
    const char *rp = ld_sub(ld, path, "replaced_by");
    if (!r)
        return 0;
    if (!json_is_array(r) || json_array_size(r) == 0)
        return ld_fail(ld, rp, "must be a non-empty array of document types");
    if (t->due_always || t->due_field)
        return ld_fail(ld, ld_sub(ld, path, "due"), "a replaced type is never due");
    t->replaced_by = arena_calloc(ld->m->arena, json_array_size(r) + 1, sizeof *t->replaced_by);
    for (size_t i = 0; i < json_array_size(r); i++) {
        const struct model_doc_type *by =
            model_doc_type(l, json_string_value(json_array_get(r, i)));
        if (!by || by == t || json_object_get(json_object_get(types, by->id), "replaced_by"))
            return ld_fail(ld, ld_idx(ld, rp, i), "not a type of this list in use");
        t->replaced_by[i] = by->id;
    }
    return 0;
}

static int parse_list(struct loader *ld, const char *id, const json_t *v, struct model_doc_list *l)
{
    const char *path = ld_sub(ld, "document_lists", id);
    json_t *types, *tv;
    const char *tid;
    if (ld_name(ld, id, path) || ld_want_object(ld, v, path) ||
        ld_check_keys(ld, v, path, LIST_KEYS) || ld_label(ld, v, "label", path, &l->label) ||
        ld_string(ld, v, "source", path, false, &l->source) ||
        ld_member(ld, v, "types", path, JSON_OBJECT, true, &types))
        return -1;
    if (json_object_size(types) == 0)
        return ld_fail(ld, ld_sub(ld, path, "types"), "must name at least one document type");
    l->id = ld_keep(ld, id);
    l->source = l->source ? ld_keep(ld, l->source) : NULL;
    l->types = arena_calloc(ld->m->arena, json_object_size(types), sizeof *l->types);
    const char *tp = ld_sub(ld, path, "types");
    json_object_foreach(types, tid, tv)
    {
        if (parse_type(ld, tid, tv, ld_sub(ld, tp, tid), l))
            return -1;
    }
    for (size_t i = 0; i < l->n_types; i++)
        if (parse_replaced_by(ld, types, ld_sub(ld, tp, l->types[i].id), l, &l->types[i]))
            return -1;
    return 0;
}

int parse_doc_lists(struct loader *ld)
{
    json_t *in, *v;
    const char *id;
    if (ld_member(ld, ld->root, "document_lists", "", JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    struct model *m = ld->m;
    m->doc_lists = arena_calloc(m->arena, json_object_size(in) + 1, sizeof *m->doc_lists);
    json_object_foreach(in, id, v)
    {
        if (parse_list(ld, id, v, &m->doc_lists[m->n_doc_lists]))
            return -1;
        m->n_doc_lists++;
    }
    return 0;
}

static const char *const INCLUSION_KEYS[] = {"field", "protocol", NULL};

/* "inclusion": {"field": <read-only bool field>, "protocol": <document type>} */
static int parse_kind_inclusion(struct loader *ld, const json_t *v, const char *path,
                                struct model_kind *k)
{
    json_t *in;
    const char *ip = ld_sub(ld, path, "inclusion"), *field, *protocol;
    if (ld_member(ld, v, "inclusion", path, JSON_OBJECT, false, &in))
        return -1;
    if (!in)
        return 0;
    if (ld_check_keys(ld, in, ip, INCLUSION_KEYS) || ld_string(ld, in, "field", ip, true, &field) ||
        ld_string(ld, in, "protocol", ip, true, &protocol))
        return -1;
    const struct model_field *f = model_field(k, field);
    if (!f || f->type != FT_BOOL || !f->readonly)
        return ld_fail(ld, ld_sub(ld, ip, "field"), "'%s' is not a read-only bool field of '%s'",
                       field, k->id);
    k->inclusion_protocol = model_doc_type(k->documents, protocol);
    if (!k->inclusion_protocol)
        return ld_fail(ld, ld_sub(ld, ip, "protocol"), "'%s' is not a document type of '%s'",
                       protocol, k->id);
    k->inclusion_field = ld_keep(ld, field);
    return 0;
}

int parse_kind_documents(struct loader *ld, const json_t *v, const char *path,
                         struct model_kind *k)
{
    const char *lid;
    const char *dp = ld_sub(ld, path, "documents");
    if (ld_string(ld, v, "documents", path, false, &lid))
        return -1;
    if (!lid)
        return json_object_get(v, "inclusion")
                   ? ld_fail(ld, ld_sub(ld, path, "inclusion"), "needs the kind's documents")
                   : 0;
    const struct model_doc_list *l = model_doc_list(ld->m, lid);
    if (!l)
        return ld_fail(ld, dp, "unknown document list '%s'", lid);
    if (!k->owned)
        return ld_fail(ld, dp, "only owned kinds have technical documentation");
    for (size_t i = 0; i < l->n_types; i++) {
        const struct model_doc_type *t = &l->types[i];
        const struct model_field *f;
        const char *tp = ld_sub(ld, ld_sub(ld, ld_sub(ld, "document_lists", l->id), "types"), t->id);
        /* the list's condition must hold in every kind that uses it */
        if (t->due_field && ld_check_condition(ld, ld_sub(ld, tp, "due"), k, t->due_field,
                                               t->due_values, t->n_due_values, &f))
            return -1;
    }
    k->documents = l;
    return parse_kind_inclusion(ld, v, path, k);
}

const struct model_doc_list *model_doc_list(const struct model *m, const char *id)
{
    for (size_t i = 0; id && i < m->n_doc_lists; i++)
        if (strcmp(m->doc_lists[i].id, id) == 0)
            return &m->doc_lists[i];
    return NULL;
}

const struct model_doc_type *model_doc_type(const struct model_doc_list *l, const char *id)
{
    for (size_t i = 0; l && id && i < l->n_types; i++)
        if (strcmp(l->types[i].id, id) == 0)
            return &l->types[i];
    return NULL;
}

bool model_doc_due(const struct model_doc_type *t, const json_t *rec, int64_t day)
{
    if (!model_in_force(&t->in_force, day))
        return false;
    if (t->due_always)
        return true;
    return t->due_field && ld_cond_holds(rec, t->due_field, t->due_values, t->n_due_values);
}

json_t *doc_lists_json(const struct model *m)
{
    json_t *out = json_object();
    for (size_t i = 0; i < m->n_doc_lists; i++) {
        const struct model_doc_list *l = &m->doc_lists[i];
        json_t *types = json_object();
        for (size_t j = 0; j < l->n_types; j++) {
            const struct model_doc_type *t = &l->types[j];
            json_t *due = json_boolean(t->due_always);
            if (t->due_field) {
                json_t *vals = json_array();
                for (size_t v = 0; v < t->n_due_values; v++)
                    json_array_append_new(vals, json_string(t->due_values[v]));
                json_decref(due);
                due = json_pack("{s:o}", t->due_field, vals);
            }
            json_t *o = json_pack("{s:i, s:s, s:o, s:o}", "number", t->number, "item", t->item,
                                  "label", model_label_json(t->label), "due", due);
            if (t->part)
                json_object_set_new(o, "part", json_integer(t->part));
            json_t *span = model_span_json(&t->in_force);
            if (span)
                json_object_set_new(o, "in_force", span);
            if (t->n_earlier)
                json_object_set_new(o, "earlier", wordings_json(t->earlier, t->n_earlier));
            if (t->replaced_by) {
                json_t *by = json_array();
                for (size_t r = 0; t->replaced_by[r]; r++)
                    json_array_append_new(by, json_string(t->replaced_by[r]));
                json_object_set_new(o, "replaced_by", by);
            }
            json_object_set_new(types, t->id, o);
        }
        json_object_set_new(out, l->id,
                            json_pack("{s:o, s:s?, s:o}", "label", model_label_json(l->label),
                                      "source", l->source, "types", types));
    }
    return out;
}

/* ---- required relations ---------------------------------------------------------- */

static const char *const REQUIRED_KEYS[] = {"kinds", "when", NULL};

static bool is_source(const struct model_kind *rel, const char *kind)
{
    const struct model_field *src = &rel->fields[0]; /* "source" */
    for (size_t i = 0; i < src->n_ref_kinds; i++)
        if (strcmp(src->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

int parse_relation_required(struct loader *ld, const json_t *v, const char *path,
                            struct model_kind *rel)
{
    json_t *req, *kinds;
    const char *rp = ld_sub(ld, path, "required_for");
    if (ld_member(ld, v, "required_for", path, JSON_OBJECT, false, &req) || !req)
        return req ? -1 : 0;
    if (ld_check_keys(ld, req, rp, REQUIRED_KEYS) ||
        ld_member(ld, req, "kinds", rp, JSON_ARRAY, true, &kinds))
        return -1;
    const char *kp = ld_sub(ld, rp, "kinds");
    if (json_array_size(kinds) == 0)
        return ld_fail(ld, kp, "must name at least one kind");
    rel->required_kinds = arena_calloc(ld->m->arena, json_array_size(kinds), sizeof(char *));
    const json_t *when = json_object_get(req, "when");
    if (when && ld_condition(ld, when, ld_sub(ld, rp, "when"), &rel->required_field,
                             &rel->required_values, &rel->n_required_values))
        return -1;
    for (size_t i = 0; i < json_array_size(kinds); i++) {
        const char *kid = json_string_value(json_array_get(kinds, i));
        const struct model_kind *k = kid ? model_kind(ld->m, kid) : NULL;
        const struct model_field *f;
        if (!k || k->is_relation)
            return ld_fail(ld, ld_idx(ld, kp, i), "not a record kind");
        if (!is_source(rel, kid))
            return ld_fail(ld, ld_idx(ld, kp, i), "'%s' is not a source kind of '%s'", kid,
                           rel->id);
        if (rel->required_field &&
            ld_check_condition(ld, ld_sub(ld, rp, "when"), k, rel->required_field,
                               rel->required_values, rel->n_required_values, &f))
            return -1;
        rel->required_kinds[rel->n_required_kinds++] = ld_keep(ld, kid);
    }
    return 0;
}

json_t *relation_required_json(const struct model_kind *rel)
{
    json_t *kinds = json_array();
    for (size_t i = 0; i < rel->n_required_kinds; i++)
        json_array_append_new(kinds, json_string(rel->required_kinds[i]));
    json_t *o = json_pack("{s:o}", "kinds", kinds);
    if (rel->required_field) {
        json_t *vals = json_array();
        for (size_t i = 0; i < rel->n_required_values; i++)
            json_array_append_new(vals, json_string(rel->required_values[i]));
        json_object_set_new(o, "when", json_pack("{s:o}", rel->required_field, vals));
    }
    return o;
}

bool model_relation_required(const struct model_kind *rel, const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    bool listed = false;
    for (size_t i = 0; kind && i < rel->n_required_kinds; i++)
        listed = listed || strcmp(rel->required_kinds[i], kind) == 0;
    if (!listed)
        return false;
    return !rel->required_field || ld_cond_holds(rec, rel->required_field, rel->required_values,
                                                 rel->n_required_values);
}
