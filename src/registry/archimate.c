/* archimate: the architecture written in The Open Group's ArchiMate Model
 * Exchange File Format 3.1 (issue 18, REQ X-INT-01), as the model's
 * "archimate" mappings say (struct model_archimate_kind): the records of
 * the mapped kinds the reader may read as elements, the relations of the
 * mapped types between two of them as relationships (Access with its
 * access type), the fields everyone may read as properties with their
 * typed definitions, names and documentation in kk, ru and en through
 * xml:lang, and organisations: a folder per layer, a sub-folder per domain
 * (the kind's domain field), and one for the relationships.
 *
 * Written by util/xmlw.c straight to a file, kind by kind in
 * the store's order: what is held in memory is the set of the elements
 * written (for the relationships' ends and the folders), not the file. A
 * domain's export holds the domain and what its scope view reaches. */
#include "internal.h"

#include "registry/archimate.h"
#include "util/csvw.h"
#include "util/graph.h"
#include "util/log.h"
#include "util/strset.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "util/xmlw.h"

#include <zip.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NS_ARCHIMATE "http://www.opengroup.org/xsd/archimate/3.0/"
#define NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define SCHEMA_LOCATION                                                                           \
    NS_ARCHIMATE " http://www.opengroup.org/xsd/archimate/3.1/archimate3_Diagram.xsd"

/* The live records (but relations) in row order, and the live relations by
 * type in row order: kind, id, data ($1: the relations' collection). Each
 * order is one an index (or the table) walks: a sort would hold every row
 * and its data in memory. */
static const char SCAN_RECORDS_SQL[] =
    "SELECT r.kind, r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.retired = 0 AND r.collection <> $1 ORDER BY r.rid";
static const char SCAN_RELATIONS_SQL[] =
    "SELECT r.kind, r.id, d.data FROM records r JOIN record_data d ON d.rid = r.rid "
    "WHERE r.collection = $1 AND r.retired = 0 ORDER BY r.kind, r.rid";

static const char *const LANGS[] = {"kk", "ru", "en"};

/* Identifiers kept for the organisations: one buffer of NUL-ended
 * strings (a JSON string each would cost an allocation for hundreds of
 * thousands of them). */
struct idlist {
    struct buf b;
    size_t n;
};

static void idlist_add(struct idlist *l, const char *id)
{
    buf_append(&l->b, id, strlen(id) + 1);
    l->n++;
}

struct writing {
    struct registry *r;
    const struct actor *a;
    const struct model_archimate *x;
    struct xmlw xw;
    json_t *only;     /* a domain's export: the ids it holds; NULL: all */
    struct strset *written; /* the ids of the elements written */
    json_t *folders;  /* per folder: {domain id or "": index into lists} */
    struct idlist *lists; /* the folders' identifiers */
    size_t n_lists, cap_lists;
    struct idlist relations; /* the relationships' identifiers */
    /* Archi's CSV instead of the exchange format: elements, relations and
     * properties, each in one language */
    FILE *csv[3];
    const char *lang;
    const char *cur_xid; /* the concept whose properties are being written */
    /* a version's export (its diagrams come from what it froze): */
    const char *version;
    json_t *rel_ends;  /* relation id -> [source id, target id] as written */
    json_t *member_of; /* element id -> the domain whose sub-folder holds it */
    json_t *domains;   /* the ids of the scope kind's elements written, in order */
    json_t *defs;     /* property definition id -> {name (i18n), type} */
    char **field_defs; /* per kind and field (max_fields a kind): its definition's id, once
                        * defined (made at the first property of a kind's field) */
    size_t max_fields;
    json_t *memo;     /* domain id -> its name (or null) */
    struct views_job *views_job; /* today's diagrams, made beside the relationships */
    struct buf scratch; /* a property's value made as text */
    const char *container; /* "elements" or "relationships": opened at the first one */
    bool opened;
    size_t n_elements, n_relationships;
    int failed;
};

/* An identifier the format accepts (xs:ID, an NCName): the portal's ids
 * (letters, digits, '-', '_', '.') after "id-". */
static const char *xml_id(const char *id, char *out, size_t n)
{
    size_t o = 0;
    if (n < 4)
        return n ? (*out = '\0', out) : out;
    memcpy(out, "id-", 3);
    o = 3;
    for (const char *p = id; *p && o + 1 < n; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
    return out;
}

/* <tag xml:lang="…">text</tag> for each language an i18n value has, or
 * one without a language for plain text. */
static void lang_strings(struct writing *x, const char *tag, const json_t *v)
{
    if (json_is_string(v)) {
        if (*json_string_value(v))
            xmlw_element(&x->xw, tag, json_string_value(v));
        return;
    }
    for (size_t l = 0; l < 3; l++) {
        const char *s = json_string_value(json_object_get(v, LANGS[l]));
        if (!s || !*s)
            continue;
        xmlw_start(&x->xw, tag);
        xmlw_attr(&x->xw, "xml:lang", LANGS[l]);
        xmlw_text(&x->xw, s);
        xmlw_end(&x->xw);
    }
}

static void label_strings(struct writing *x, const char *tag, struct i18n l)
{
    const char *v[3] = {l.kk, l.ru, l.en};
    for (size_t i = 0; i < 3; i++) {
        if (!v[i])
            continue;
        xmlw_start(&x->xw, tag);
        xmlw_attr(&x->xw, "xml:lang", LANGS[i]);
        xmlw_text(&x->xw, v[i]);
        xmlw_end(&x->xw);
    }
}

/* An i18n value (or plain text) in the export's language, else in the
 * first language it has; "" when none. */
static const char *in_lang(const struct writing *x, const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    const char *s = json_string_value(json_object_get(v, x->lang));
    for (size_t l = 0; (!s || !*s) && l < 3; l++)
        s = json_string_value(json_object_get(v, LANGS[l]));
    return s ? s : "";
}

/* The format's data type of a field written as a property, or NULL when
 * it is not written (objects, lists of objects, restricted values). */
static const char *property_type(const struct model_field *f)
{
    if (f->restricted)
        return NULL;
    enum field_type t = f->type == FT_LIST && f->item ? f->item->type : f->type;
    if (t == FT_OBJECT)
        return NULL;
    if (f->type == FT_LIST)
        return "string"; /* the items joined */
    switch (t) {
    case FT_INTEGER:
    case FT_DECIMAL: return "number";
    case FT_BOOL: return "boolean";
    case FT_DATE: return "date";
    default: return "string";
    }
}

/* The value of a field as text (NULL: none; borrowed from v, or made in
 * x->scratch, valid until the next call). */
static const char *property_text(struct writing *x, const struct model_field *f, const json_t *v)
{
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return *json_string_value(v) ? json_string_value(v) : NULL;
    buf_reset(&x->scratch);
    if (json_is_integer(v))
        buf_printf(&x->scratch, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        buf_printf(&x->scratch, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        buf_puts(&x->scratch, json_is_true(v) ? "true" : "false");
    else if (json_is_array(v) && f->type == FT_LIST) {
        size_t i;
        const json_t *it;
        json_array_foreach (v, i, it)
            if (json_is_string(it) && *json_string_value(it))
                buf_printf(&x->scratch, "%s%s", x->scratch.len ? "; " : "",
                           json_string_value(it));
    }
    return x->scratch.len && !x->scratch.full ? x->scratch.p : NULL;
}

/* The slot of the definition's id of field i of kind k. */
static char **field_def(struct writing *x, const struct model_kind *k, size_t i)
{
    const struct model *m = x->r->model;
    if (!x->field_defs) {
        for (size_t n = 0; n < model_n_kinds(m); n++)
            if (model_kind_at(m, n)->n_fields > x->max_fields)
                x->max_fields = model_kind_at(m, n)->n_fields;
        x->field_defs = xcalloc(model_n_kinds(m) * x->max_fields + 1, sizeof *x->field_defs);
    }
    return &x->field_defs[(size_t)(k - model_kind_at(m, 0)) * x->max_fields + i];
}

/* The attributes a generic relationship keeps among its other properties:
 * accessType (of an Access), modifier (of an Influence), isDirected (of an
 * Association). */
static const char *const KEPT_ATTRIBUTES[][2] = {
    {"accessType", "Access"}, {"modifier", "Influence"}, {"isDirected", "Association"}};

/* One property: its definition (id, named by label in every language, or
 * by the plain text key; type) and value (text, or an i18n object); in
 * Archi's properties.csv the name in the export's language. The name is
 * made only for a definition met the first time. */
static void property(struct writing *x, bool *open, const char *def, bool defined,
                     const struct i18n *label, const char *key, const char *type, const char *text,
                     const json_t *i18n)
{
    if (x->csv[2]) { /* Archi's properties.csv: ID, key, value */
        const char *name = label ? model_label_in(*label, x->lang) : key;
        const char *cells[3] = {x->cur_xid, name, text ? text : in_lang(x, i18n)};
        csv_write_row(x->csv[2], cells, 3, ',', true);
        return;
    }
    if (!defined && !json_object_get(x->defs, def))
        json_object_set_new(x->defs, def,
                            json_pack("{s:o, s:s}", "name",
                                      label ? model_label_json(*label) : json_string(key), "type",
                                      type));
    if (!*open) {
        xmlw_start(&x->xw, "properties");
        *open = true;
    }
    xmlw_start(&x->xw, "property");
    xmlw_attr(&x->xw, "propertyDefinitionRef", def);
    if (text)
        xmlw_element(&x->xw, "value", text);
    else
        lang_strings(x, "value", i18n);
    xmlw_end(&x->xw);
}

/* <properties> of rec: its owner, the fields of k but those the mapping
 * writes otherwise (skip, the documentation, a generic kind's type and
 * folders, a relation's ends), and its other properties, each under a
 * definition named by its key. */
static void properties(struct writing *x, const struct model_kind *k, const json_t *rec,
                       const char *skip)
{
    const struct model_archimate_kind *m = k->archimate;
    bool open = false;
    const char *owner = k->owned ? json_string_value(json_object_get(rec, "owner")) : NULL;
    if (owner && *owner) /* "pd-owner-string": the id of its organisation */
        property(x, &open, "pd-owner-string", false, &model_owner_label, NULL, "string", owner,
                 NULL);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        const char *type = property_type(f);
        const json_t *v = json_object_get(rec, f->name);
        if (!type || (skip && strcmp(skip, f->name) == 0) || !v || json_is_null(v) ||
            (m->path && strcmp(f->name, m->path) == 0) ||
            (k->is_relation && (strcmp(f->name, "source") == 0 || strcmp(f->name, "target") == 0)))
            continue;
        if (m->type_field && strcmp(f->name, m->type_field) == 0 &&
            (k->is_relation ? model_archimate_relationship_type(json_string_value(v))
                            : model_archimate_element_type(json_string_value(v))))
            continue; /* written as the concept's type */
        const char *text = f->type == FT_I18N ? NULL : property_text(x, f, v);
        if ((f->type != FT_I18N && !text) || (f->type == FT_I18N && !json_is_object(v)))
            continue;
        char **def = field_def(x, k, i);
        bool defined = *def != NULL;
        if (!defined) {
            char made[160];
            snprintf(made, sizeof made, "pd-%s-%s", f->name, type);
            *def = xstrdup(made);
        }
        property(x, &open, *def, defined, &f->label, NULL, type, text, v);
    }
    size_t i;
    const json_t *it;
    json_array_foreach (m->properties ? json_object_get(rec, m->properties) : NULL, i, it) {
        const char *key = json_string_value(json_object_get(it, "key"));
        const char *value = json_string_value(json_object_get(it, "value"));
        bool attribute = false;
        for (size_t a = 0; key && k->is_relation && m->type_field && a < 3; a++)
            attribute = attribute || strcmp(key, KEPT_ATTRIBUTES[a][0]) == 0;
        if (!key || !*key || attribute)
            continue;
        char hex[65], def[32];
        sha256_hex(key, strlen(key), hex);
        snprintf(def, sizeof def, "pdx-%.16s", hex);
        property(x, &open, def, false, NULL, key, "string", value ? value : "", NULL);
    }
    if (open)
        xmlw_end(&x->xw);
}

/* The name of domain id as the reader may read it (borrowed), or NULL. */
static const json_t *domain_name(struct writing *x, const char *id)
{
    json_t *v = json_object_get(x->memo, id);
    if (v)
        return json_is_null(v) ? NULL : v;
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(x->r, x->a, NULL, id, &rec, &e) == 0)
        json_object_set(x->memo, id, json_object_get(rec, "name"));
    else
        json_object_set_new(x->memo, id, json_null());
    json_decref(rec);
    v = json_object_get(x->memo, id);
    return json_is_null(v) ? NULL : v;
}

/* The container of the concepts being written, opened before the first
 * (the format has no empty containers). */
static void open_container(struct writing *x)
{
    if (!x->opened)
        xmlw_start(&x->xw, x->container);
    x->opened = true;
}

static void close_container(struct writing *x)
{
    if (x->opened)
        xmlw_end(&x->xw);
    x->opened = false;
}

/* The concept's type: the mapping's, or a generic one's own when it is
 * one of the format's (else the most general type). */
static const char *concept_type(const struct model_kind *k, const json_t *rec)
{
    const struct model_archimate_kind *m = k->archimate;
    if (m->type)
        return m->type;
    const char *t = json_string_value(json_object_get(rec, m->type_field));
    if (k->is_relation)
        return model_archimate_relationship_type(t) ? t : "Association";
    return model_archimate_element_type(t) ? t : "Grouping";
}

static void element(struct writing *x, const struct model_kind *k, const json_t *rec)
{
    const struct model_archimate_kind *m = k->archimate;
    const char *id = json_string_value(json_object_get(rec, "id"));
    char xid[200];
    if (x->csv[0]) {
        const char *name = in_lang(x, json_object_get(rec, "name"));
        const char *cells[5] = {xml_id(id, xid, sizeof xid), concept_type(k, rec),
                                *name ? name : id,
                                m->documentation
                                    ? in_lang(x, json_object_get(rec, m->documentation))
                                    : "",
                                ""};
        csv_write_row(x->csv[0], cells, 5, ',', true);
        x->cur_xid = xid;
        properties(x, k, rec, m->documentation);
        goto written;
    }
    open_container(x);
    xmlw_start(&x->xw, "element");
    xmlw_attr(&x->xw, "identifier", xml_id(id, xid, sizeof xid));
    xmlw_attr(&x->xw, "xsi:type", concept_type(k, rec));
    const json_t *name = json_object_get(rec, "name");
    bool named = false;
    for (size_t l = 0; l < 3; l++) {
        const char *s = json_string_value(json_object_get(name, LANGS[l]));
        named = named || (s && *s);
    }
    if (named)
        lang_strings(x, "name", name);
    else
        xmlw_element(&x->xw, "name", id);
    if (m->documentation)
        lang_strings(x, "documentation", json_object_get(rec, m->documentation));
    properties(x, k, rec, m->documentation);
    xmlw_end(&x->xw);
written:
    strset_add(x->written, id);
    if (k == x->x->scope_kind) { /* a domain: its name as written, its diagram */
        json_object_set(x->memo, id, json_object_get(rec, "name"));
        json_array_append_new(x->domains, json_string(id));
    }
    /* its folder, and its domain's sub-folder */
    const char *dom = m->domain ? json_string_value(json_object_get(rec, m->domain)) : NULL;
    if (dom && !domain_name(x, dom))
        dom = NULL; /* a domain the reader may not read: the layer's folder */
    if (dom && x->version)
        json_object_set_new(x->member_of, id, json_string(dom));
    /* a generic element: the folders it was filed in, as "/<path>" */
    const char *path = m->path ? json_string_value(json_object_get(rec, m->path)) : NULL;
    char *key = NULL;
    if (path && *path) {
        size_t l = strlen(path);
        key = xcalloc(l + 2, 1);
        key[0] = '/';
        memcpy(key + 1, path, l);
        dom = key;
    }
    json_t *folder = json_array_get(x->folders, (size_t)m->folder);
    json_t *at = json_object_get(folder, dom ? dom : "");
    if (!at) {
        if (x->n_lists == x->cap_lists) {
            x->cap_lists = x->cap_lists ? 2 * x->cap_lists : 16;
            x->lists = xrealloc(x->lists, x->cap_lists * sizeof *x->lists);
        }
        buf_init(&x->lists[x->n_lists].b, 0);
        x->lists[x->n_lists].n = 0;
        json_object_set_new(folder, dom ? dom : "", at = json_integer((json_int_t)x->n_lists++));
    }
    idlist_add(&x->lists[json_integer_value(at)], xid);
    free(key);
    x->n_elements++;
}

/* Each record of kind k the reader may read (and the domain's export
 * holds), written through fn. */
/* The members of a kind's records the export reads (the rest, lists of
 * objects above all, is not parsed): the envelope, what tells who may read
 * them (the workflows' status fields), and the fields written. */
static json_t *members_of(const struct model *m, const struct model_kind *k)
{
    json_t *set = reg_reading_members(m);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if (property_type(f) || (k->archimate->documentation &&
                                 strcmp(k->archimate->documentation, f->name) == 0) ||
            (k->archimate->domain && strcmp(k->archimate->domain, f->name) == 0) ||
            (k->archimate->properties && strcmp(k->archimate->properties, f->name) == 0))
            json_object_set_new(set, f->name, json_true());
    }
    return set;
}

/* Each record of the mapped kinds (relations: of the mapped relation
 * types) that the reader may read and the domain's export holds, in the
 * order they were made (relations by type), written through fn: one pass
 * over the records in their row order, so that each page of the records'
 * data is read once (a pass per kind read the pages that hold several kinds
 * again each time). */
static int each_record(struct writing *x, bool relations,
                       void (*fn)(struct writing *, const struct model_kind *, const json_t *),
                       struct err *e)
{
    const struct model *m = x->r->model;
    size_t n = model_n_kinds(m);
    const char *rel_coll = NULL;
    json_t **fields = xcalloc(n + 1, sizeof *fields); /* per kind: the members read */
    for (size_t i = 0; i < n; i++) {
        const struct model_kind *k = model_kind_at(m, i);
        if (k->is_relation)
            rel_coll = k->collection;
        if (k->archimate && k->is_relation == relations)
            fields[i] = members_of(m, k);
    }
    struct store_stmt *st =
        rel_coll ? store_prepare(store_conn(x->r->store), relations ? SCAN_RELATIONS_SQL
                                                                    : SCAN_RECORDS_SQL,
                                 true, e)
                 : NULL;
    int rc = st ? STORE_DONE : STORE_ERROR;
    if (st)
        store_bind_text(st, 1, rel_coll);
    while (st && (rc = store_step(st, e)) == STORE_ROW && !x->failed) {
        const struct model_kind *k = model_kind(m, store_col_text(st, 0));
        size_t at = k ? (size_t)(k - model_kind_at(m, 0)) : n;
        if (!k || at >= n || !fields[at])
            continue; /* not exchanged as ArchiMate */
        const char *id = store_col_text(st, 1);
        if (x->only && !k->is_relation && !json_object_get(x->only, id))
            continue;
        json_t *rec = reg_project(fields[at], store_col_text(st, 2), store_col_bytes(st, 2));
        if (!rec) {
            err_internal(e, "stored record '%.60s' is not valid JSON", id);
            rc = STORE_ERROR;
            break;
        }
        /* a relation is read by those who may read both of its ends: it is
         * written only between two elements written (relationship()) */
        if (k->is_relation || registry_may_read(x->r, x->a, rec))
            fn(x, k, rec);
        json_decref(rec);
    }
    if (st)
        store_reset(st);
    for (size_t i = 0; i < n; i++)
        json_decref(fields[i]);
    free(fields);
    return rc == STORE_ERROR ? -1 : 0;
}

/* A version's records to the writer: elements in the first pass,
 * relationships in the second. */
struct pass {
    struct writing *x;
    bool relations;
};

static void relationship(struct writing *x, const struct model_kind *k, const json_t *rel);

static void from_version(void *ctx, const json_t *rec)
{
    struct pass *p = ctx;
    const char *kind = json_string_value(json_object_get(rec, p->relations ? "type" : "kind"));
    const struct model_kind *k = kind ? model_kind(p->x->r->model, kind) : NULL;
    if (!k || !k->archimate || k->is_relation != p->relations || p->x->failed)
        return;
    if (p->relations)
        relationship(p->x, k, rec);
    else
        element(p->x, k, rec);
}

static void generic_attributes(struct writing *x, const struct model_kind *k, const json_t *rel)
{
    const char *type = concept_type(k, rel);
    size_t i;
    const json_t *it;
    json_array_foreach (json_object_get(rel, k->archimate->properties), i, it) {
        const char *key = json_string_value(json_object_get(it, "key"));
        const char *value = json_string_value(json_object_get(it, "value"));
        for (size_t a = 0; key && value && a < 3; a++)
            if (strcmp(key, KEPT_ATTRIBUTES[a][0]) == 0 &&
                strcmp(type, KEPT_ATTRIBUTES[a][1]) == 0)
                xmlw_attr(&x->xw, key, value);
    }
}

static void relationship(struct writing *x, const struct model_kind *k, const json_t *rel)
{
    const struct model_archimate_kind *m = k->archimate;
    const char *src = json_string_value(json_object_get(rel, "source"));
    const char *dst = json_string_value(json_object_get(rel, "target"));
    if (!strset_has(x->written, src) || !strset_has(x->written, dst))
        return; /* an end not written: no dangling reference */
    char xid[200], xs[200], xt[200];
    const char *id = json_string_value(json_object_get(rel, "id"));
    if (x->csv[1]) { /* Archi's relations.csv: its types end in "Relationship" */
        char type[64];
        snprintf(type, sizeof type, "%sRelationship", concept_type(k, rel));
        xml_id(id, xid, sizeof xid);
        xml_id(m->reverse ? dst : src, xs, sizeof xs);
        xml_id(m->reverse ? src : dst, xt, sizeof xt);
        const char *cells[7] = {xid, type, in_lang(x, json_object_get(rel, "name")), "", xs, xt, ""};
        csv_write_row(x->csv[1], cells, 7, ',', true);
        x->cur_xid = xid;
        const char *access =
            m->access_field
                ? model_archimate_access(m, json_string_value(json_object_get(rel, m->access_field)))
                : NULL;
        if (access) { /* the access type, which the three files have no column for */
            const char *row[3] = {xid, "Access Type", access};
            csv_write_row(x->csv[2], row, 3, ',', true);
        }
        properties(x, k, rel, m->access_field);
        idlist_add(&x->relations, xid);
        x->n_relationships++;
        return;
    }
    open_container(x);
    xmlw_start(&x->xw, "relationship");
    xmlw_attr(&x->xw, "identifier", xml_id(id, xid, sizeof xid));
    xmlw_attr(&x->xw, "source", xml_id(m->reverse ? dst : src, xs, sizeof xs));
    xmlw_attr(&x->xw, "target", xml_id(m->reverse ? src : dst, xt, sizeof xt));
    xmlw_attr(&x->xw, "xsi:type", concept_type(k, rel));
    if (m->type_field)
        generic_attributes(x, k, rel);
    if (m->access_field) {
        const char *t = model_archimate_access(
            m, json_string_value(json_object_get(rel, m->access_field)));
        if (t)
            xmlw_attr(&x->xw, "accessType", t);
    }
    lang_strings(x, "name", json_object_get(rel, "name"));
    properties(x, k, rel, m->access_field);
    xmlw_end(&x->xw);
    idlist_add(&x->relations, xid);
    if (x->version)
        json_object_set_new(x->rel_ends, id, json_pack("[ss]", m->reverse ? dst : src,
                                                       m->reverse ? src : dst));
    x->n_relationships++;
}

static void refs(struct writing *x, const struct idlist *ids)
{
    const char *p = ids->b.p;
    for (size_t i = 0; p && i < ids->n; i++, p += strlen(p) + 1) {
        xmlw_start(&x->xw, "item");
        xmlw_attr(&x->xw, "identifierRef", p);
        xmlw_end(&x->xw);
    }
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The length of the first segment of a path ("A / B": 1). */
static size_t segment(const char *p)
{
    const char *sep = strstr(p, " / ");
    return sep ? (size_t)(sep - p) : strlen(p);
}

/* The sub-folders of a folder's generic elements, nested as their paths
 * ("/A / B") say, in the order of the paths. */
static void path_folders(struct writing *x, json_t *folder)
{
    size_t n = 0;
    const char *key;
    json_t *at;
    json_object_foreach (folder, key, at)
        n += *key == '/';
    if (!n)
        return;
    const char **paths = xcalloc(n, sizeof *paths);
    n = 0;
    json_object_foreach (folder, key, at)
        if (*key == '/')
            paths[n++] = key;
    qsort(paths, n, sizeof *paths, by_text);
    const char *open[64]; /* the segments open, each a pointer into its path */
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        const char *segs[64];
        size_t ns = 0;
        for (const char *p = paths[i] + 1; ns < 64;) {
            segs[ns++] = p;
            const char *sep = strstr(p, " / ");
            if (!sep)
                break;
            p = sep + 3;
        }
        size_t common = 0;
        while (common < depth && common < ns && segment(open[common]) == segment(segs[common]) &&
               strncmp(open[common], segs[common], segment(segs[common])) == 0)
            common++;
        for (; depth > common; depth--)
            xmlw_end(&x->xw);
        for (; depth < ns; depth++) {
            xmlw_start(&x->xw, "item");
            xmlw_start(&x->xw, "label");
            xmlw_textn(&x->xw, segs[depth], (size_t)segment(segs[depth]));
            xmlw_end(&x->xw);
            open[depth] = segs[depth];
        }
        refs(x, &x->lists[json_integer_value(json_object_get(folder, paths[i]))]);
    }
    for (; depth > 0; depth--)
        xmlw_end(&x->xw);
    free(paths);
}

/* <organizations>: a folder per layer holding elements (a sub-folder per
 * domain first), then the relationships' folder. */
static void organizations(struct writing *x)
{
    bool any = x->n_elements || x->n_relationships;
    if (!any)
        return;
    xmlw_start(&x->xw, "organizations");
    for (size_t f = 0; f < x->x->n_folders; f++) {
        json_t *folder = json_array_get(x->folders, f);
        if (!json_object_size(folder))
            continue;
        xmlw_start(&x->xw, "item");
        label_strings(x, "label", x->x->folders[f].label);
        const char *dom;
        json_t *at;
        path_folders(x, folder);
        json_object_foreach (folder, dom, at) {
            if (!*dom || *dom == '/')
                continue;
            xmlw_start(&x->xw, "item");
            lang_strings(x, "label", domain_name(x, dom));
            refs(x, &x->lists[json_integer_value(at)]);
            xmlw_end(&x->xw);
        }
        json_t *own = json_object_get(folder, "");
        if (own)
            refs(x, &x->lists[json_integer_value(own)]);
        xmlw_end(&x->xw);
    }
    if (x->relations.n) {
        xmlw_start(&x->xw, "item");
        label_strings(x, "label", x->x->relations_folder);
        refs(x, &x->relations);
        xmlw_end(&x->xw);
    }
    xmlw_end(&x->xw);
}

static void property_definitions(struct writing *x)
{
    if (!json_object_size(x->defs))
        return;
    xmlw_start(&x->xw, "propertyDefinitions");
    const char *id;
    json_t *d;
    json_object_foreach (x->defs, id, d) {
        xmlw_start(&x->xw, "propertyDefinition");
        xmlw_attr(&x->xw, "identifier", id);
        xmlw_attr(&x->xw, "type", json_string_value(json_object_get(d, "type")));
        lang_strings(x, "name", json_object_get(d, "name"));
        xmlw_end(&x->xw);
    }
    xmlw_end(&x->xw);
}


/* ---- views: a diagram per domain, laid out by Graphviz ---------------- */

/* The most elements a domain's diagram shows (the first ones of its scope
 * view, in the order it reaches them), and an element box's size (Archi's
 * default). */
#define VIEW_MAX_NODES 100
#define BOX_W 120
#define BOX_H 55

struct diagram {
    const char **ids; /* the elements shown (record ids) */
    size_t n;
    struct graph_edge *edges;
    const char **rel_ids; /* per edge: the relationship's record id */
    size_t n_edges, cap_edges;
};

static size_t node_of(const struct diagram *d, const char *id)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->ids[i], id) == 0)
            return i;
    return SIZE_MAX;
}

/* The relationships written between two elements of the diagram, from
 * each element's relations out of it (source to target as written). */
static int diagram_edges(struct writing *x, struct diagram *d, json_t *keep, struct err *e)
{
    for (size_t i = 0; i < d->n; i++) {
        json_t *rec = NULL, *rels = NULL;
        struct err one = ERR_INIT;
        if (registry_get_visible(x->r, x->a, NULL, d->ids[i], &rec, &one) < 0)
            continue;
        const struct model_kind *k =
            model_kind(x->r->model, json_string_value(json_object_get(rec, "kind")));
        json_decref(rec);
        if (!k || registry_relations_of(x->r, k->collection, d->ids[i], "out", NULL, &rels, e) < 0) {
            if (!k)
                continue;
            return -1;
        }
        size_t j;
        json_t *rel;
        json_array_foreach (json_object_get(rels, "items"), j, rel) {
            const char *rid = json_string_value(json_object_get(rel, "id"));
            const struct model_kind *rk =
                model_kind(x->r->model, json_string_value(json_object_get(rel, "type")));
            size_t to = node_of(d, json_string_value(json_object_get(rel, "target")));
            /* written: a mapped type between two elements written */
            if (!rid || !rk || !rk->archimate || to == SIZE_MAX)
                continue;
            if (d->n_edges == d->cap_edges) {
                d->cap_edges = d->cap_edges ? 2 * d->cap_edges : 64;
                d->edges = xrealloc(d->edges, d->cap_edges * sizeof *d->edges);
                d->rel_ids = xrealloc(d->rel_ids, d->cap_edges * sizeof *d->rel_ids);
            }
            bool rev = rk->archimate->reverse;
            d->edges[d->n_edges] = (struct graph_edge){rev ? to : i, rev ? i : to, NULL};
            json_array_append_new(keep, json_string(rid));
            d->rel_ids[d->n_edges++] = json_string_value(json_array_get(keep, json_array_size(keep) - 1));
        }
        json_decref(rels);
    }
    return 0;
}

static void open_views(struct writing *x)
{
    if (x->opened)
        return;
    xmlw_start(&x->xw, "views");
    xmlw_start(&x->xw, "diagrams");
    x->opened = true;
}

static void close_views(struct writing *x)
{
    if (x->opened) {
        xmlw_end(&x->xw); /* diagrams */
        xmlw_end(&x->xw); /* views */
    }
    x->opened = false;
}

/* Writes diagram d (its nodes' ids, its edges and their relationships)
 * named `name` as view number v, laid out by Graphviz; nothing when it
 * has no node. `members` counts the elements it could have shown (more
 * than it shows: a note says it shows the first ones). */
static int write_diagram(struct writing *x, const json_t *name, size_t v, struct diagram *d,
                         size_t members, struct err *e)
{
    if (!d->n)
        return 0;
    struct graph_box *boxes = xcalloc(d->n, sizeof *boxes);
    int rc = graph_layout(d->n, d->edges, d->n_edges, BOX_W, BOX_H, boxes, e);
    if (rc == 0) {
        char vid[32], nid[96], xid[200];
        snprintf(vid, sizeof vid, "view-%zu", v);
        open_views(x); /* the containers, before the first diagram that has a node */
        xmlw_start(&x->xw, "view");
        xmlw_attr(&x->xw, "identifier", vid);
        xmlw_attr(&x->xw, "xsi:type", "Diagram");
        if (name)
            lang_strings(x, "name", name);
        else
            xmlw_element(&x->xw, "name", vid);
        if (members > d->n) {
            char note[160];
            snprintf(note, sizeof note, "the first %zu elements of the domain's", d->n);
            xmlw_element(&x->xw, "documentation", note);
        }
        for (size_t i = 0; i < d->n; i++) {
            snprintf(nid, sizeof nid, "%s-n%zu", vid, i);
            xmlw_start(&x->xw, "node");
            xmlw_attr(&x->xw, "identifier", nid);
            xmlw_attr(&x->xw, "xsi:type", "Element");
            xmlw_attr(&x->xw, "elementRef", xml_id(d->ids[i], xid, sizeof xid));
            xmlw_attr_long(&x->xw, "x", boxes[i].x);
            xmlw_attr_long(&x->xw, "y", boxes[i].y);
            xmlw_attr_long(&x->xw, "w", boxes[i].w > 0 ? boxes[i].w : BOX_W);
            xmlw_attr_long(&x->xw, "h", boxes[i].h > 0 ? boxes[i].h : BOX_H);
            xmlw_end(&x->xw);
        }
        for (size_t j = 0; j < d->n_edges; j++) {
            char src[96], dst[96];
            snprintf(nid, sizeof nid, "%s-c%zu", vid, j);
            snprintf(src, sizeof src, "%s-n%zu", vid, d->edges[j].from);
            snprintf(dst, sizeof dst, "%s-n%zu", vid, d->edges[j].to);
            xmlw_start(&x->xw, "connection");
            xmlw_attr(&x->xw, "identifier", nid);
            xmlw_attr(&x->xw, "xsi:type", "Relationship");
            xmlw_attr(&x->xw, "relationshipRef", xml_id(d->rel_ids[j], xid, sizeof xid));
            xmlw_attr(&x->xw, "source", src);
            xmlw_attr(&x->xw, "target", dst);
            xmlw_end(&x->xw);
        }
        xmlw_end(&x->xw);
    }
    free(boxes);
    return rc;
}

static void diagram_free(struct diagram *d)
{
    free(d->ids);
    free(d->edges);
    free(d->rel_ids);
}

/* One domain's diagram: what its scope view reaches among the elements
 * written, at most VIEW_MAX_NODES, and the relationships between them. */
static int domain_view(struct writing *x, const json_t *dom, size_t v, struct err *e)
{
    const struct model_view *view = model_view(x->x->scope_kind, x->x->scope_view);
    json_t *reached = json_object(), *mark = json_true(), *keep = json_array();
    bool cut = false;
    /* no more than the diagram shows (and one to tell there are more) */
    int rc = reg_view_members(x->r, x->a, dom, view, VIEW_MAX_NODES + 1, reached, mark, &cut, e);
    json_decref(mark);
    struct diagram d = {0};
    d.ids = xcalloc(VIEW_MAX_NODES, sizeof *d.ids);
    const char *id;
    json_t *val;
    size_t members = 0;
    json_object_foreach (reached, id, val) {
        if (!strset_has(x->written, id))
            continue;
        members++;
        if (d.n < VIEW_MAX_NODES)
            d.ids[d.n++] = id;
    }
    if (rc == 0 && d.n)
        rc = diagram_edges(x, &d, keep, e);
    if (rc == 0)
        rc = write_diagram(x, json_object_get(dom, "name"), v, &d, members, e);
    diagram_free(&d);
    json_decref(keep);
    json_decref(reached);
    return rc;
}

/* A version's diagrams: per domain it froze, the elements of its domain's
 * sub-folders (the first VIEW_MAX_NODES) and the relationships written
 * between two of them (from what the version froze, not from today). */
static int version_views(struct writing *x, struct err *e)
{
    size_t n = json_array_size(x->domains);
    if (!n)
        return 0;
    struct diagram *ds = xcalloc(n, sizeof *ds);
    size_t *members = xcalloc(n, sizeof *members);
    json_t *pos = json_object(); /* domain id -> its index */
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(pos, json_string_value(json_array_get(x->domains, i)),
                            json_integer((json_int_t)i));
        ds[i].ids = xcalloc(VIEW_MAX_NODES, sizeof *ds[i].ids);
    }
    const char *id;
    json_t *dom;
    json_object_foreach (x->member_of, id, dom) {
        json_t *at = json_object_get(pos, json_string_value(dom));
        if (!at)
            continue;
        struct diagram *d = &ds[json_integer_value(at)];
        members[json_integer_value(at)]++;
        if (d->n < VIEW_MAX_NODES)
            d->ids[d->n++] = id;
    }
    json_t *ends;
    json_object_foreach (x->rel_ends, id, ends) {
        const char *src = json_string_value(json_array_get(ends, 0));
        const char *dst = json_string_value(json_array_get(ends, 1));
        json_t *sd = json_object_get(x->member_of, src), *td = json_object_get(x->member_of, dst);
        if (!sd || !td || !json_equal(sd, td))
            continue;
        struct diagram *d = &ds[json_integer_value(json_object_get(pos, json_string_value(sd)))];
        size_t from = node_of(d, src), to = node_of(d, dst);
        if (from == SIZE_MAX || to == SIZE_MAX)
            continue;
        if (d->n_edges == d->cap_edges) {
            d->cap_edges = d->cap_edges ? 2 * d->cap_edges : 64;
            d->edges = xrealloc(d->edges, d->cap_edges * sizeof *d->edges);
            d->rel_ids = xrealloc(d->rel_ids, d->cap_edges * sizeof *d->rel_ids);
        }
        d->edges[d->n_edges] = (struct graph_edge){from, to, NULL};
        d->rel_ids[d->n_edges++] = id;
    }
    int rc = 0;
    x->opened = false;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = write_diagram(x, domain_name(x, json_string_value(json_array_get(x->domains, i))), i,
                           &ds[i], members[i], e);
    close_views(x);
    for (size_t i = 0; i < n; i++)
        diagram_free(&ds[i]);
    free(ds);
    free(members);
    json_decref(pos);
    return rc;
}

/* A diagram per domain written (the one exported, or every one). */
static int views(struct writing *x, struct err *e)
{
    if (!x->x->scope_kind || !x->x->scope_view)
        return 0;
    int rc = 0;
    x->opened = false;
    size_t i;
    json_t *id;
    json_array_foreach (x->domains, i, id) { /* the domains written, in order */
        json_t *dom = NULL;
        struct err one = ERR_INIT;
        if (registry_get_visible(x->r, x->a, NULL, json_string_value(id), &dom, &one) < 0)
            continue;
        rc = domain_view(x, dom, i, e);
        json_decref(dom);
        if (rc < 0)
            break;
    }
    close_views(x);
    return rc;
}

/* The domain's export: the domain and what its scope view reaches. */
static int domain_scope(struct writing *x, const char *domain, struct err *e)
{
    const struct model_archimate *m = x->x;
    json_t *rec = NULL;
    if (registry_get_visible(x->r, x->a, NULL, domain, &rec, e) < 0)
        return -1;
    const struct model_kind *k =
        model_kind(x->r->model, json_string_value(json_object_get(rec, "kind")));
    const struct model_view *v = k && m->scope_kind && k == m->scope_kind
                                     ? model_view(k, m->scope_view)
                                     : NULL;
    if (!v) {
        json_decref(rec);
        err_set(e, 422, "not-a-domain", "domain", "'%s' is not a record whose part can be exported",
                domain);
        return -1;
    }
    x->only = json_object();
    json_object_set_new(x->only, domain, json_true());
    json_t *mark = json_true();
    bool cut = false;
    int rc = reg_view_members(x->r, x->a, rec, v, 100000, x->only, mark, &cut, e);
    json_decref(mark);
    json_decref(rec);
    return rc;
}

/* Today's diagrams are made on a thread of their own, into memory, while
 * this one writes the relationships, the organisations and the property
 * definitions (they need only the elements written: a sixth of the whole
 * export's time beside the rest instead of after it). The thread writes
 * through a copy of the writing whose XML writer is where the views go
 * (inside <model>), on the memory; what it shares it only reads. */
struct views_job {
    struct writing vx;
    FILE *f;
    char *text;
    size_t len;
    pthread_t thread;
    int rc;
    struct err e;
};

static void *views_main(void *arg)
{
    struct views_job *j = arg;
    j->rc = views(&j->vx, &j->e);
    return NULL;
}

/* Starts the diagrams once the elements are written (x->xw inside <model>,
 * nothing open); false when they are to be made here after all. */
static bool views_start(struct writing *x)
{
    struct views_job *j = xcalloc(1, sizeof *j);
    j->f = open_memstream(&j->text, &j->len);
    j->vx = *x;
    j->vx.xw.f = j->f;
    j->vx.opened = false;
    j->e = (struct err)ERR_INIT;
    if (!j->f || pthread_create(&j->thread, NULL, views_main, j) != 0) {
        if (j->f)
            fclose(j->f);
        free(j->text);
        free(j);
        return false;
    }
    x->views_job = j;
    return true;
}

/* Waits for the diagrams and writes them where x->xw is (write: else only
 * waits); their outcome. */
static int views_finish(struct writing *x, bool write, struct err *e)
{
    struct views_job *j = x->views_job;
    if (!j)
        return 0;
    x->views_job = NULL;
    pthread_join(j->thread, NULL);
    fclose(j->f);
    int rc = j->rc;
    if (rc < 0)
        *e = j->e;
    else if (j->vx.xw.failed)
        x->failed = 1;
    else if (write)
        fwrite_unlocked(j->text, 1, j->len, x->xw.f);
    free(j->text);
    free(j);
    return rc;
}

/* The concepts: a version's (what it froze, read from the revisions
 * then) or today's, the elements kind by kind in the model's order, then
 * the relationships between two of them. */
static int concepts(struct writing *x, const char *version, struct err *e)
{
    int rc = 0;
    struct pass pass = {x, false};
    x->container = "elements";
    if (version) {
        json_t *v1 = NULL;
        rc = reg_snapshot_each(x->r, x->a, version, &v1, from_version, &pass, e);
        json_decref(v1);
    }
    if (!version && rc == 0)
        rc = each_record(x, false, element, e);
    if (!x->csv[0])
        close_container(x);
    if (!version && rc == 0 && !x->csv[0] && x->x->scope_kind && x->x->scope_view)
        views_start(x);
    x->container = "relationships";
    pass.relations = true;
    if (version && rc == 0) {
        json_t *v2 = NULL;
        rc = reg_snapshot_each(x->r, x->a, version, &v2, from_version, &pass, e);
        json_decref(v2);
    }
    if (!version && rc == 0)
        rc = each_record(x, true, relationship, e);
    if (!x->csv[0])
        close_container(x);
    return rc;
}

/* What both formats start from: the scope (a domain's records, or the
 * version's record), or an error. */
static int begin(struct writing *x, const char *domain, const char *version, json_t **vrec,
                 struct err *e)
{
    const struct model_archimate *m = x->x;
    buf_init(&x->relations.b, 0);
    buf_init(&x->scratch, 1u << 20);
    for (size_t i = 0; i < m->n_folders; i++)
        json_array_append_new(x->folders, json_object());
    if (domain && version) {
        err_set(e, 422, "one-scope", "domain", "a version is exported whole, not one domain of it");
        return -1;
    }
    if (domain)
        return domain_scope(x, domain, e);
    if (version)
        return registry_get_visible(x->r, x->a, NULL, version, vrec, e);
    return 0;
}

static void end(struct writing *x, json_t *vrec)
{
    json_decref(x->only);
    strset_free(x->written);
    json_decref(x->folders);
    for (size_t i = 0; i < x->n_lists; i++)
        buf_free(&x->lists[i].b);
    free(x->lists);
    buf_free(&x->relations.b);
    json_decref(x->rel_ends);
    json_decref(x->member_of);
    json_decref(x->domains);
    json_decref(vrec);
    json_decref(x->defs);
    json_decref(x->memo);
    buf_free(&x->scratch);
    for (size_t i = 0; x->field_defs && i < model_n_kinds(x->r->model) * x->max_fields; i++)
        free(x->field_defs[i]);
    free(x->field_defs);
}

#define WRITING_INIT(r_, a_, m_, version_)                                                       \
    {.r = (r_), .a = (a_), .x = (m_), .written = strset_new(), .folders = json_array(),         \
     .defs = json_object(),                                                                       \
     .memo = json_object(), .version = (version_), .rel_ends = json_object(),                    \
     .member_of = json_object(), .domains = json_array(), .lang = "ru"}

int registry_archimate_export(struct registry *r, const struct actor *a, const char *domain,
                              const char *version, FILE *out, struct err *e)
{
    const struct model_archimate *m = model_archimate(r->model);
    if (!m) {
        err_not_found(e, "the model maps nothing to ArchiMate");
        return -1;
    }
    struct writing x = WRITING_INIT(r, a, m, version);
    int64_t t0 = time_now_ms();
    json_t *vrec = NULL;
    int rc = begin(&x, domain, version, &vrec, e);
    if (rc == 0) {
        /* an element per line (indented by one space a level): an import's
         * report names lines a reader can find */
        xmlw_begin(&x.xw, out);
        xmlw_start(&x.xw, "model");
        xmlw_attr(&x.xw, "xmlns", NS_ARCHIMATE);
        xmlw_attr(&x.xw, "xmlns:xsi", NS_XSI);
        xmlw_attr(&x.xw, "xsi:schemaLocation", SCHEMA_LOCATION);
        xmlw_attr(&x.xw, "identifier", "id-model");
        label_strings(&x, "name", m->name);
        if (domain)
            lang_strings(&x, "documentation", domain_name(&x, domain));
        if (version) /* the version's name says what the file holds */
            lang_strings(&x, "documentation", json_object_get(vrec, "name"));
        rc = concepts(&x, version, e);
        organizations(&x);
        property_definitions(&x);
        if (x.views_job) { /* made beside the rest */
            int vrc = views_finish(&x, rc == 0, e);
            rc = rc == 0 ? vrc : rc;
        } else if (rc == 0) {
            rc = version ? version_views(&x, e) : views(&x, e);
        }
        xmlw_end(&x.xw); /* model */
        if (!xmlw_finish(&x.xw))
            x.failed = 1;
        if (rc == 0 && x.failed) {
            err_internal(e, "cannot write the ArchiMate file");
            rc = -1;
        }
    }
    if (rc == 0)
        log_msg(LOG_INFO, "archimate: %zu elements and %zu relationships written in %lld ms",
                x.n_elements, x.n_relationships, (long long)(time_now_ms() - t0));
    end(&x, vrec);
    return rc;
}

int registry_archi_csv_export(struct registry *r, const struct actor *a, const char *domain,
                              const char *version, const char *lang, FILE *elements,
                              FILE *relations, FILE *properties, struct err *e)
{
    const struct model_archimate *m = model_archimate(r->model);
    if (!m) {
        err_not_found(e, "the model maps nothing to ArchiMate");
        return -1;
    }
    struct writing x = WRITING_INIT(r, a, m, version);
    x.csv[0] = elements;
    x.csv[1] = relations;
    x.csv[2] = properties;
    if (lang && (!strcmp(lang, "kk") || !strcmp(lang, "ru") || !strcmp(lang, "en")))
        x.lang = lang;
    json_t *vrec = NULL;
    int rc = begin(&x, domain, version, &vrec, e);
    if (rc == 0) {
        static const char *const eh[] = {"ID", "Type", "Name", "Documentation", "Specialization"};
        static const char *const rh[] = {"ID",     "Type",   "Name",          "Documentation",
                                         "Source", "Target", "Specialization"};
        static const char *const ph[] = {"ID", "Key", "Value"};
        csv_write_row(elements, eh, 5, ',', true);
        csv_write_row(relations, rh, 7, ',', true);
        csv_write_row(properties, ph, 3, ',', true);
        const char *name = x.lang[0] == 'k' ? m->name.kk : x.lang[0] == 'r' ? m->name.ru : m->name.en;
        const char *doc = domain    ? in_lang(&x, domain_name(&x, domain))
                          : version ? in_lang(&x, json_object_get(vrec, "name"))
                                    : "";
        const char *model_row[5] = {"id-model", "ArchimateModel", name, doc, ""};
        csv_write_row(elements, model_row, 5, ',', true);
        rc = concepts(&x, version, e);
    }
    end(&x, vrec);
    return rc;
}

int registry_archi_csv_zip(struct registry *r, const struct actor *a, const char *domain,
                           const char *version, const char *lang, const char *path,
                           struct err *e)
{
    char *text[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    FILE *f[3];
    for (int i = 0; i < 3; i++)
        f[i] = open_memstream(&text[i], &len[i]);
    int rc = f[0] && f[1] && f[2] ? 0 : -1;
    if (rc < 0)
        err_internal(e, "out of memory");
    if (rc == 0)
        rc = registry_archi_csv_export(r, a, domain, version, lang, f[0], f[1], f[2], e);
    for (int i = 0; i < 3; i++)
        if (f[i])
            fclose(f[i]);
    zip_t *z = NULL;
    if (rc == 0) {
        int zerr = 0;
        z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
        if (!z) {
            err_internal(e, "cannot make the archive");
            rc = -1;
        }
    }
    static const char *const names[] = {"elements.csv", "relations.csv", "properties.csv"};
    for (int i = 0; rc == 0 && i < 3; i++) {
        zip_source_t *src = zip_source_buffer(z, text[i], len[i], 0);
        if (!src || zip_file_add(z, names[i], src, ZIP_FL_ENC_UTF_8) < 0) {
            if (src)
                zip_source_free(src);
            err_internal(e, "cannot add %s to the archive", names[i]);
            rc = -1;
        }
    }
    if (z && rc == 0 && zip_close(z) < 0) {
        err_internal(e, "cannot write the archive");
        rc = -1;
    } else if (z && rc < 0)
        zip_discard(z);
    for (int i = 0; i < 3; i++)
        free(text[i]);
    return rc;
}
