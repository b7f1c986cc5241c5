/* The card of one record of any records collection of the model: a summary box
 * (status, accounting code, stage, completeness, deadlines), its data in
 * model order with the metamodel's labels, its documents with downloads
 * and an upload form per type (a plain multipart POST, streamed into the
 * docs module), its relations as a list and as a Graphviz picture, its
 * history with each revision's changes, and its workflow timeline. */
#include "web/card.h"

#include "account/account.h"
#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "docs/documents.h"
#include "registry/registry.h"
#include "util/text.h"
#include "util/timeutil.h"
#include "web/forms.h"
#include "util/graph.h"
#include "workflow/workflow.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* A string member of o, or "". */
static const char *sv(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* An upload the inspector refused, shown next to its document type. */
/* The inspector's problems (docs/inspect.h) as the page words them: its
 * details are English sentences for the API, so the page says the same in
 * the visitor's language by the problem's code. */
static const struct {
    const char *code, *msgid;
} problem_messages[] = {
    {"unknown-format", TR("The file is neither a PDF nor a DOCX document.")},
    {"pdf-damaged",
     TR("The PDF is damaged and cannot be read; export it again from the original program.")},
    {"pdf-encrypted", TR("The PDF is encrypted or protected by a password; upload the signed copy "
                         "without encryption.")},
    {"no-xmp-metadata",
     TR("The PDF has no XMP metadata, so it is not PDF/A; save the signed copy as PDF/A-1.")},
    {"not-pdfa",
     TR("The PDF does not declare PDF/A conformance; save the signed copy as PDF/A-1.")},
    {"not-pdfa-1",
     TR("The PDF is not PDF/A-1; save the signed copy as PDF/A-1 (PDF/A-1a or PDF/A-1b).")},
    {"bad-pdfa-conformance", TR("The PDF declares PDF/A-1 without the level A or B; save it again "
                                "as PDF/A-1a or PDF/A-1b.")},
    {"pdfa-javascript", TR("The PDF contains JavaScript, which PDF/A-1 forbids; export the signed "
                           "copy again as PDF/A-1.")},
    {"pdfa-launch", TR("The PDF contains an action that starts a program or opens a file, which "
                       "PDF/A-1 forbids; export the signed copy again as PDF/A-1.")},
    {"pdfa-forbidden-action",
     TR("The PDF contains an action that PDF/A-1 forbids (only links, web addresses and page "
        "turning are allowed); export the signed copy again as PDF/A-1.")},
    {"pdfa-additional-actions",
     TR("The PDF has actions that run on opening, closing or other events, which PDF/A-1 forbids; "
        "export the signed copy again as PDF/A-1.")},
    {"pdfa-embedded-file", TR("The PDF has embedded files, which PDF/A-1 forbids; export the "
                              "signed copy again as PDF/A-1 without attachments.")},
    {"pdfa-no-output-intent", TR("The PDF has no PDF/A output intent with a colour profile, which "
                                 "PDF/A-1 requires; export the signed copy again as PDF/A-1.")},
    {"pdfa-font-not-embedded",
     TR("The PDF uses a font that is not embedded in it; PDF/A-1 requires every font embedded. "
        "Export the signed copy again as PDF/A-1.")},
    {"pdfa-transparency", TR("The PDF uses transparency, which PDF/A-1 forbids; export the signed "
                             "copy again as PDF/A-1.")},
    {"pdfa-lzw", TR("The PDF uses LZW compression, which PDF/A-1 forbids; export the signed copy "
                    "again as PDF/A-1.")},
    {"pdfa-metadata-mismatch",
     TR("The PDF's XMP metadata disagree with its document properties, which PDF/A-1 requires to "
        "agree; export the signed copy again as PDF/A-1.")},
    {"pdfa-no-file-id", TR("The PDF has no file identifier, which PDF/A-1 requires; export the "
                           "signed copy again as PDF/A-1.")},
    {"pdfa-too-complex", TR("The PDF is too complex to be checked as PDF/A-1; export the signed "
                            "copy again as PDF/A-1.")},
    {"docx-damaged", TR("The DOCX file is damaged or truncated; upload it again.")},
    {"docx-too-many-entries", TR("The DOCX file holds too many parts to be a document.")},
    {"docx-bad-entry-name", TR("The DOCX file holds a part with an unsafe name.")},
    {"docx-zip-bomb",
     TR("The DOCX file unpacks to far more data than a document holds (a zip bomb).")},
    {"not-docx", TR("The file is not a Word document; save it as a Word document (.docx).")},
    {"docx-missing-part",
     TR("The DOCX file lacks a part every Word document has; save it again as .docx.")},
    {"docx-bad-xml", TR("A part of the DOCX file is not acceptable XML; save it again as .docx.")},
    {"docx-external-relationship",
     TR("The document links to content outside itself that a word processor fetches when it opens "
        "the file; remove the link (only hyperlinks may point outside) and save it again.")},
    {"docx-macros",
     TR("The document carries macros; save it as a Word document without macros (.docx).")},
    {"docx-activex",
     TR("The document carries ActiveX controls; remove them and save it again as .docx.")},
    {"docx-ole-object", TR("The document embeds an OLE object; remove it or paste it as a picture, "
                           "and save the document again.")},
    {"inspection-failed", TR("The file could not be inspected; save it anew and upload it again.")},
};

static const char *problem_message(const char *code)
{
    for (size_t i = 0; code && i < sizeof problem_messages / sizeof problem_messages[0]; i++)
        if (strcmp(code, problem_messages[i].code) == 0)
            return problem_messages[i].msgid;
    return TR("The file is not an acceptable document.");
}

struct refused {
    const char *type;
    const char *detail;
    const json_t *problems;
};

/* Sets "has_<key>" on o: whether its array member key has items (the
 * templates wrap lists in <ul> only when there is something to list). */
static void flag(json_t *o, const char *key)
{
    char name[64];
    snprintf(name, sizeof name, "has_%s", key);
    json_object_set_new(o, name, json_boolean(json_array_size(json_object_get(o, key)) > 0));
}

/* ---- values ------------------------------------------------------------------- */

/* The records collection named `id`, or NULL (relations have no card). */
static const struct model_collection *records_collection(const struct model *m, const char *id)
{
    const struct model_collection *c = id ? model_collection(m, id) : NULL;
    return c && c->type == COLL_RECORDS ? c : NULL;
}

/* The card URL of a record of kind k, or NULL when it has no card. */
static const char *card_url(const struct page *pg, const struct model_kind *k, const char *id)
{
    if (!k || !id || !records_collection(pg->w->api->model, k->collection))
        return NULL;
    return page_url(pg, "/%s/%s", k->collection, id);
}

/* A referenced record's name and card URL (the id, unlinked, when the
 * visitor may not see it). */
static void ref_value(struct page *pg, const char *id, const char **text, const char **href)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    *text = id;
    *href = NULL;
    const json_t *named = pg->refs ? json_object_get(pg->refs, id) : NULL;
    if (named) {
        if (json_string_value(json_object_get(named, "text")))
            *text = json_string_value(json_object_get(named, "text"));
        *href = json_string_value(json_object_get(named, "href"));
        return;
    }
    /* not named by the page (a record outside the version, e.g. its
     * owner): as the visitor may read it now */
    if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) < 0)
        return;
    const char *name = web_name(pg->lang, json_object_get(rec, "name"));
    const struct model_kind *k =
        model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    *text = arena_strdup(pg->req->arena, *name ? name : id);
    *href = card_url(pg, k, id);
    json_decref(rec);
}

static json_t *scalar_value(struct page *pg, const struct model_field *f, const json_t *v);

/* An object's value as {text, parts:[{label, text, href?}]}: the parts for
 * the card, the text ("label: value, …") for one line of history. */
static json_t *object_value(struct page *pg, const struct model_field *f, const json_t *v)
{
    json_t *parts = json_array();
    struct buf b;
    buf_init(&b, 1u << 20);
    for (size_t i = 0; i < f->n_sub; i++) {
        const json_t *x = json_object_get(v, f->sub[i].name);
        if (!x || json_is_null(x))
            continue;
        json_t *p = scalar_value(pg, &f->sub[i], x);
        const char *label = web_label(pg->lang, f->sub[i].label);
        json_object_set_new(p, "label", json_string(label));
        buf_printf(&b, "%s%s: %s", b.len ? ", " : "", label,
                   json_string_value(json_object_get(p, "text")));
        json_array_append_new(parts, p);
    }
    json_t *o = json_pack("{s:s, s:o}", "text", b.p ? b.p : "", "parts", parts);
    buf_free(&b);
    flag(o, "parts");
    return o;
}

/* One scalar value as {text, href?}. */
static json_t *scalar_value(struct page *pg, const struct model_field *f, const json_t *v)
{
    const char *text = "", *href = NULL;
    if (f && f->type == FT_OBJECT)
        return object_value(pg, f, v);
    switch (f ? f->type : FT_STRING) {
    case FT_I18N:
        text = web_name(pg->lang, v);
        break;
    case FT_ENUM:
        text = page_enum_label(pg, f->enumeration, json_string_value(v));
        break;
    case FT_BOOL:
        text = page_tr(pg, json_is_true(v) ? TR("Yes") : TR("No"));
        break;
    case FT_URL:
        text = json_string_value(v);
        href = text;
        break;
    case FT_REF:
        if (json_is_string(v))
            ref_value(pg, json_string_value(v), &text, &href);
        break;
    default:
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_integer(v))
            text = arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(v));
        else if (!json_is_null(v)) {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            text = arena_strdup(pg->req->arena, s ? s : "");
            free(s);
        }
        break;
    }
    json_t *o = json_pack("{s:s}", "text", text ? text : "");
    if (href)
        json_object_set_new(o, "href", json_string(href));
    return o;
}

/* A field's value as {list, values:[{text, href?}]}. */
static json_t *field_value(struct page *pg, const struct model_field *f, const json_t *v)
{
    json_t *values = json_array();
    bool list = f && f->type == FT_LIST;
    if (list) {
        size_t i;
        json_t *item;
        json_array_foreach (v, i, item)
            json_array_append_new(values, scalar_value(pg, f->item, item));
    } else if (v && !json_is_null(v))
        json_array_append_new(values, scalar_value(pg, f, v));
    json_t *out = json_pack("{s:b, s:o}", "list", list, "values", values);
    flag(out, "values");
    return out;
}

/* A value as one line of text (for the history). */
static const char *value_text(struct page *pg, const struct model_field *f, const json_t *v)
{
    if (!v || json_is_null(v))
        return "";
    json_t *fv = field_value(pg, f, v);
    struct buf b;
    buf_init(&b, 1u << 20);
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get(fv, "values"), i, item) {
        if (i)
            buf_puts(&b, "; ");
        buf_puts(&b, json_string_value(json_object_get(item, "text")));
    }
    const char *out = arena_strdup(pg->req->arena, b.p ? b.p : "");
    buf_free(&b);
    json_decref(fv);
    return out;
}

/* ---- sections ------------------------------------------------------------------------ */

/* The envelope's members that have a label of their own. */
static const char *envelope_label(const struct page *pg, const char *name)
{
    static const struct {
        const char *name, *label;
    } known[] = {
        {"name", TR("Name")},          {"owner", TR("Owner")},        {"kind", TR("Kind")},
        {"created_at", TR("Created")}, {"retired_at", TR("Retired")}, {"id", TR("Identifier")},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].name, name) == 0)
            return page_tr(pg, known[i].label);
    return NULL;
}

/* The items field f of the record inherits (REQ ARC-06), base by base,
 * nearest first: [{from, from_href?, values:[{text, href?}]}]. */
static json_t *inherited_values(struct page *pg, const struct model_field *f, const json_t *inh)
{
    json_t *out = json_array();
    size_t i, j;
    const json_t *b, *item;
    json_array_foreach (json_object_get(inh, f->name), i, b) {
        const char *text, *href;
        ref_value(pg, json_string_value(json_object_get(b, "from")), &text, &href);
        json_t *values = json_array();
        json_array_foreach (json_object_get(b, "items"), j, item)
            json_array_append_new(values, scalar_value(pg, f->item, item));
        json_t *o = json_pack("{s:s, s:o}", "from", text, "values", values);
        if (href)
            json_object_set_new(o, "from_href", json_string(href));
        json_array_append_new(out, o);
    }
    return out;
}

json_t *card_fields(struct page *pg, const struct model_kind *k, const json_t *rec,
                    bool hide_restricted)
{
    json_t *fields = json_array(), *inh = NULL;
    struct err e = ERR_INIT;
    if (k->inherit_via && !pg->refs && registry_inherited(pg->w->api->reg, &pg->actor, rec, &inh, &e) < 0)
        inh = NULL; /* the card shows the record's own items */
    if (k->owned) {
        static const struct model_field owner = {.name = "owner", .type = FT_REF};
        json_t *o = field_value(pg, &owner, json_object_get(rec, "owner"));
        json_object_set_new(o, "label", json_string(page_tr(pg, TR("Owner"))));
        json_array_append_new(fields, o);
    }
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        if ((f->restricted && hide_restricted) ||
            (k->tally && (strcmp(f->name, k->tally->into) == 0 || strcmp(f->name, k->tally->at) == 0)))
            continue; /* a tally's figures: a table of their own (page_tally_section) */
        json_t *o = field_value(pg, f, json_object_get(rec, f->name));
        json_object_set_new(o, "label", json_string(web_label(pg->lang, f->label)));
        json_object_set_new(o, "field", json_string(f->name));
        if (f->restricted)
            json_object_set_new(o, "restricted", json_true());
        if (inh && model_kind_inherits(k, f->name)) {
            json_object_set_new(o, "inherited", inherited_values(pg, f, inh));
            flag(o, "inherited");
        }
        json_array_append_new(fields, o);
    }
    json_decref(inh);
    return fields;
}

/* The record's computed measures (model "measures", e.g. the digitisation
 * level): [{label, items, done, has_items, percent?}], or NULL. */
json_t *page_measures(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    json_t *ms = NULL;
    struct err e = ERR_INIT;
    if (!k->n_measures || registry_measures_kept(pg->w->api->reg, &pg->actor, rec, &ms, &e) < 0 ||
        !ms)
        return NULL;
    json_t *out = json_array();
    for (size_t i = 0; i < k->n_measures; i++) {
        const json_t *m = json_object_get(ms, k->measures[i].measure->id);
        json_int_t items = json_integer_value(json_object_get(m, "items"));
        json_int_t done = json_integer_value(json_object_get(m, "done"));
        json_t *o = json_pack("{s:s, s:I, s:I, s:b}", "label",
                              web_label(pg->lang, k->measures[i].measure->label), "items", items,
                              "done", done, "has_items", items > 0);
        if (items > 0)
            json_object_set_new(o, "percent", json_integer((done * 100 + items / 2) / items));
        json_array_append_new(out, o);
    }
    json_decref(ms);
    return out;
}

/* The documents' checklist, with upload forms for who may update. */
static json_t *documents_section(struct page *pg, const char *coll, const char *id, bool may_update,
                                 const struct refused *refused)
{
    json_t *cl = NULL;
    struct err e = ERR_INIT;
    if (docs_checklist(pg->w->api->docs, &pg->actor, coll, id, &cl, &e) < 0)
        return NULL;
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(cl, "items"), i, it) {
        const char *type = json_string_value(json_object_get(it, "type"));
        const char *state = json_string_value(json_object_get(it, "state"));
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(type));
        json_object_set_new(o, "number", json_incref(json_object_get(it, "item")));
        bool replaced = json_object_get(it, "replaced_by") != NULL;
        json_object_set_new(o, "label",
                            json_string(web_name(pg->lang, json_object_get(it, "label"))));
        const char *state_label = replaced ? TR("Earlier type: replaced by the documents below")
                                  : strcmp(state, "present") == 0 ? TR("Present")
                                  : strcmp(state, "missing") == 0 ? TR("Missing")
                                                                  : TR("Not due at this stage");
        json_object_set_new(o, "state_label", json_string(page_tr(pg, state_label)));
        const char *since = json_string_value(json_object_get(json_object_get(it, "in_force"), "from"));
        const char *until = json_string_value(json_object_get(json_object_get(it, "in_force"), "until"));
        if (since)
            json_object_set_new(o, "in_force_from", json_string(since));
        if (until)
            json_object_set_new(o, "in_force_until", json_string(until));
        json_object_set_new(o, "present", json_boolean(strcmp(state, "present") == 0));
        json_object_set_new(o, "missing", json_boolean(strcmp(state, "missing") == 0));
        json_t *files = json_array();
        static const char *const variants[] = {"signed", "draft"};
        for (int v = 0; v < 2; v++) {
            const json_t *d = json_object_get(it, variants[v]);
            if (!json_is_object(d))
                continue;
            const json_t *r = json_object_get(d, "restricted");
            bool active = json_is_true(json_object_get(r, "active"));
            const char *url = json_string_value(json_object_get(d, "content_url"));
            const char *uploaded = json_string_value(json_object_get(d, "uploaded_at"));
            json_t *f = json_object();
            json_object_set_new(f, "variant",
                                json_string(page_tr(pg, v == 0 ? TR("Signed copy") : TR("Draft"))));
            json_object_set_new(f, "file_name", json_incref(json_object_get(d, "file_name")));
            json_object_set_new(f, "version", json_incref(json_object_get(d, "version")));
            if (url)
                json_object_set_new(f, "url", json_string(url));
            if (uploaded)
                json_object_set_new(f, "uploaded", json_string(page_local_day(pg, uploaded)));
            if (active)
                json_object_set_new(f, "restricted_until",
                                    json_incref(json_object_get(r, "until")));
            json_array_append_new(files, f);
        }
        json_object_set_new(o, "files", files);
        flag(o, "files");
        if (strcmp(state, "missing") == 0)
            json_object_set_new(
                o, "why",
                json_string(page_tr(
                    pg,
                    json_is_object(json_object_get(it, "draft"))
                        ? TR("A DOCX draft is there; the signed copy as PDF/A-1 is what counts.")
                        : TR("Nothing is placed yet: the signed copy as PDF/A-1 is what "
                             "counts."))));
        json_object_set_new(o, "may_upload", json_boolean(may_update && !replaced));
        if (refused && refused->type && strcmp(refused->type, type) == 0) {
            json_t *probs = json_array();
            size_t j;
            json_t *p;
            json_array_foreach (refused->problems, j, p) {
                const char *code = json_string_value(json_object_get(p, "code"));
                json_array_append_new(probs, json_string(page_tr(pg, problem_message(code))));
            }
            if (!json_array_size(probs) && refused->detail)
                json_array_append_new(probs, json_string(refused->detail));
            json_object_set_new(o, "problems", probs);
            flag(o, "problems");
        }
        json_array_append_new(items, o);
    }
    json_t *sum = json_object_get(cl, "summary");
    json_t *out = json_pack("{s:o, s:O, s:s}", "items", items, "summary", sum, "upload_url",
                            page_url(pg, "/%s/%s/documents", coll, id));
    json_decref(cl);
    return out;
}

struct card_rels {
    const char *coll, *id;
    const json_t *rec;
    json_t *items;
    struct graph_node nodes[GRAPH_MAX_NODES];
    struct graph_edge edges[GRAPH_MAX_NODES * 2];
    const char *node_ids[GRAPH_MAX_NODES];
    size_t n_nodes, n_edges;
};

/* One relation of the record: a line of the list, a node and an edge of
 * the picture. */
static void card_relation(struct page *pg, void *ctx, const json_t *rel,
                          const struct model_kind *rk, bool out, const char *other,
                          const json_t *orec)
{
    struct card_rels *cr = ctx;
    const char *oname =
        arena_strdup(pg->req->arena, web_name(pg->lang, json_object_get(orec, "name")));
    const struct model_kind *ok =
        model_kind(pg->w->api->model, json_string_value(json_object_get(orec, "kind")));
    const char *url = card_url(pg, ok, other);
    const char *src_org = card_record_org(pg, out ? cr->rec : orec);
    const char *label =
        out ? web_label(pg->lang, rk->label) : web_label(pg->lang, rk->inverse_label);
    json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "type", label, "name", *oname ? oname : other,
                          "kind", ok ? web_label(pg->lang, ok->label) : "", "outgoing", out);
    if (url)
        json_object_set_new(o, "url", json_string(url));
    const char *rid = json_string_value(json_object_get(rel, "id"));
    if (rid && card_may_remove(pg, rk, src_org))
        json_object_set_new(o, "remove_url",
                            json_string(page_url(pg, "/%s/%s?remove=%s#relation-remove", cr->coll,
                                                 cr->id, rid)));
    json_array_append_new(cr->items, o);
    /* the picture */
    size_t at = cr->n_nodes;
    for (size_t j = 0; j < cr->n_nodes; j++)
        if (strcmp(cr->node_ids[j], other) == 0)
            at = j;
    if (at == cr->n_nodes) {
        if (cr->n_nodes == GRAPH_MAX_NODES)
            return;
        cr->node_ids[cr->n_nodes] = arena_strdup(pg->req->arena, other);
        cr->nodes[cr->n_nodes++] = (struct graph_node){*oname ? oname : other, url, false};
    }
    if (cr->n_edges < sizeof cr->edges / sizeof cr->edges[0])
        cr->edges[cr->n_edges++] =
            (struct graph_edge){out ? 0 : at, out ? at : 0, web_label(pg->lang, rk->label)};
}

/* The relations of the record (both directions) as a list, and as nodes
 * and edges of the picture (the record is node 0); a draft of another
 * organisation does not show through. */
static json_t *relations_section(struct page *pg, const char *coll, const char *id,
                                 const json_t *rec, const char *name, struct buf *svg)
{
    struct card_rels *cr = arena_calloc(pg->req->arena, 1, sizeof *cr);
    *cr = (struct card_rels){.coll = coll, .id = id, .rec = rec, .items = json_array(),
                             .n_nodes = 1};
    cr->nodes[0] = (struct graph_node){name, NULL, true};
    cr->node_ids[0] = id;
    if (page_relations_each(pg, coll, id, card_relation, cr) < 0) {
        json_decref(cr->items);
        return NULL;
    }
    struct err e = ERR_INIT;
    if (cr->n_nodes > 1 && graph_svg(cr->nodes, cr->n_nodes, cr->edges, cr->n_edges, svg, &e) < 0)
        buf_reset(svg);
    return cr->items;
}

/* The label of kind k's field (and of its sub-field sub, when given, of
 * an object or of a list's items): "Attributes: Storage source". */
static const char *ref_field_label(const struct page *pg, const struct model_kind *k,
                                   const char *field, const char *sub)
{
    const struct model_field *f = model_field(k, field);
    if (!f)
        return NULL;
    const char *label = web_label(pg->lang, f->label);
    if (!*sub)
        return label;
    const struct model_field *o = f->type == FT_LIST ? f->item : f;
    for (size_t i = 0; o && i < o->n_sub; i++)
        if (strcmp(o->sub[i].name, sub) == 0)
            return arena_printf(pg->req->arena, "%s: %s", label,
                                web_label(pg->lang, o->sub[i].label));
    return NULL;
}

/* The records that name this one through their ref fields, by kind and
 * field, as the visitor may read them (registry_referrers): at most
 * CARD_REFERRERS each, with how many there are. NULL when none. */
#define CARD_REFERRERS 20
static json_t *referrers_section(struct page *pg, const char *id)
{
    json_t *found = NULL;
    struct err e = ERR_INIT;
    if (registry_referrers(pg->w->api->reg, &pg->actor, id, CARD_REFERRERS, &found, &e) < 0)
        return NULL;
    const struct model *m = pg->w->api->model;
    json_t *groups = json_array();
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get(found, "groups"), i, g) {
        const struct model_kind *k = model_kind(m, sv(g, "kind"));
        const char *label = k ? ref_field_label(pg, k, sv(g, "field"), sv(g, "sub")) : NULL;
        if (!label)
            continue;
        json_t *items = json_array();
        size_t j;
        json_t *x;
        json_array_foreach (json_object_get(g, "items"), j, x) {
            const char *name = web_name(pg->lang, json_object_get(x, "name"));
            json_t *o = json_pack("{s:s}", "name", *name ? name : sv(x, "id"));
            const char *url = card_url(pg, k, sv(x, "id"));
            if (url)
                json_object_set_new(o, "url", json_string(url));
            json_array_append_new(items, o);
        }
        json_int_t count = json_integer_value(json_object_get(g, "count"));
        json_int_t shown = (json_int_t)json_array_size(items);
        json_array_append_new(groups, json_pack("{s:s, s:s, s:o, s:I, s:I, s:b}", "kind",
                                                web_label(pg->lang, k->label), "field", label,
                                                "items", items, "count", count, "shown", shown,
                                                "more", count > shown));
    }
    bool complete = json_is_true(json_object_get(found, "complete"));
    json_decref(found);
    if (!json_array_size(groups)) {
        json_decref(groups);
        return NULL;
    }
    return json_pack("{s:o, s:b, s:i}", "groups", groups, "incomplete", !complete, "scan",
                     REGISTRY_REFERRERS_MAX_SCAN);
}

/* The label of a member of a record of kind k in the history. */
static const char *member_label(const struct page *pg, const struct model_kind *k, const char *name,
                                const struct model_field **f)
{
    *f = model_field(k, name);
    if (*f)
        return web_label(pg->lang, (*f)->label);
    const char *l = envelope_label(pg, name);
    return l ? l : name;
}

/* An instant "2026-11-22T19:32:54.655Z" as "2026-11-23 00:32" (Asia/Almaty). */
static const char *instant_text(const struct page *pg, const char *at)
{
    return page_local_time(pg, at);
}

/* Who made a revision or a workflow step: a user's name when the visitor
 * may see the user, else what kind of actor it was. */
static const char *actor_text(const struct page *pg, const char *actor)
{
    if (actor && strncmp(actor, "org:", 4) == 0) { /* registry_public_actor */
        json_t *org = NULL;
        struct err oe = ERR_INIT;
        const char *out = page_tr(pg, TR("Portal user"));
        if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, actor + 4, &org, &oe) == 0)
            out = arena_strdup(pg->req->arena, web_name(pg->lang, json_object_get(org, "name")));
        json_decref(org);
        return out;
    }
    if (actor && strcmp(actor, "user") == 0) /* registry_public_actor: no organisation */
        return page_tr(pg, TR("Portal user"));
    if (!actor || strncmp(actor, "user:", 5) != 0)
        return page_tr(pg, TR("Portal administration"));
    char uid[40];
    size_t n = strcspn(actor + 5, "/");
    if (n == 0 || n >= sizeof uid)
        return page_tr(pg, TR("Portal user"));
    memcpy(uid, actor + 5, n);
    uid[n] = '\0';
    json_t *u = NULL;
    struct err e = ERR_INIT;
    const char *out = page_tr(pg, TR("Portal user"));
    if (user_get(pg->w->api->acct, &pg->actor, uid, &u, &e) == 0) {
        const char *last = sv(u, "last_name"), *first = sv(u, "first_name");
        if (*last || *first)
            out = arena_printf(pg->req->arena, "%s%s%s", last, *last && *first ? " " : "", first);
        json_decref(u);
    }
    return out;
}

static json_t *history_section(struct page *pg, const struct model_kind *k, const char *coll,
                               const char *id, bool hide_restricted)
{
    json_t *hist = NULL;
    struct err e = ERR_INIT;
    if (registry_history(pg->w->api->reg, &pg->actor, coll, id, &hist, &e) < 0)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *rev;
    json_array_foreach (json_object_get(hist, "items"), i, rev) {
        json_t *changes = json_array();
        /* each revision's values in the wordings in force when it was made */
        const char *at = json_string_value(json_object_get(rev, "at"));
        int64_t at_ms;
        pg->label_day = at && time_parse_rfc3339(at, &at_ms) == 0
                            ? calsvc_local_day(pg->w->api->cal, at_ms)
                            : INT64_MAX;
        size_t j;
        json_t *c;
        json_array_foreach (json_object_get(rev, "changes"), j, c) {
            const char *name = json_string_value(json_object_get(c, "field"));
            if (!name || strcmp(name, "id") == 0 || strcmp(name, "created_at") == 0)
                continue;
            const struct model_field *f;
            const char *label = member_label(pg, k, name, &f);
            if (f && f->restricted && hide_restricted)
                continue;
            static const struct model_field owner = {.name = "owner", .type = FT_REF};
            static const struct model_field i18n = {.name = "name", .type = FT_I18N};
            if (!f && strcmp(name, "owner") == 0)
                f = &owner;
            else if (!f && strcmp(name, "name") == 0)
                f = &i18n;
            const char *before = value_text(pg, f, json_object_get(c, "before"));
            const char *after = value_text(pg, f, json_object_get(c, "after"));
            if (strcmp(name, "kind") == 0) {
                before = page_kind_label(pg, json_string_value(json_object_get(c, "before")));
                after = page_kind_label(pg, json_string_value(json_object_get(c, "after")));
            }
            json_array_append_new(changes, json_pack("{s:s, s:s, s:s}", "label", label, "before",
                                                     before, "after", after));
        }
        json_t *o =
            json_pack("{s:O, s:s, s:s, s:s, s:o}", "revision", json_object_get(rev, "revision"),
                      "at", instant_text(pg, at), "actor", actor_text(pg, sv(rev, "actor")),
                      "action", sv(rev, "action"), "changes", changes);
        flag(o, "changes");
        json_array_insert_new(out, 0, o); /* newest first */
    }
    pg->label_day = INT64_MAX;
    json_decref(hist);
    return out;
}

static const char *state_label(enum lang l, const struct model_workflow *w, const char *id)
{
    const struct model_wf_state *s = id ? model_wf_state(w, id) : NULL;
    return s ? web_label(l, s->label) : id ? id : "";
}

/* The workflow's events (with remarks) and deadlines; counts the open and
 * overdue ones into the summary. */
static json_t *timeline_section(struct page *pg, const struct model_kind *k, const json_t *tl,
                                json_t *summary)
{
    if (!tl)
        return NULL;
    const struct model_workflow *w = k->workflow;
    json_t *events = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach (json_object_get(tl, "events"), i, ev) {
        const char *tid = json_string_value(json_object_get(ev, "transition"));
        const char *label = tid ? tid : "";
        for (size_t t = 0; tid && t < w->n_transitions; t++)
            if (strcmp(w->transitions[t].id, tid) == 0)
                label = web_label(pg->lang, w->transitions[t].label);
        json_t *remarks = json_array();
        size_t j;
        json_t *r;
        json_array_foreach (json_object_get(ev, "remarks"), j, r) {
            const char *field = json_string_value(json_object_get(r, "field"));
            const struct model_field *f = field ? model_field(k, field) : NULL;
            json_t *o = json_pack("{s:s}", "text", sv(r, "text"));
            if (field)
                json_object_set_new(o, "field",
                                    json_string(f ? web_label(pg->lang, f->label) : field));
            json_array_append_new(remarks, o);
        }
        const char *at = json_string_value(json_object_get(ev, "at"));
        json_array_append_new(
            events,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "label", label, "at", instant_text(pg, at),
                      "actor", actor_text(pg, sv(ev, "actor")), "from",
                      state_label(pg->lang, w, json_string_value(json_object_get(ev, "from"))),
                      "to", state_label(pg->lang, w, json_string_value(json_object_get(ev, "to"))),
                      "remarks", remarks));
        flag(json_array_get(events, json_array_size(events) - 1), "remarks");
        json_t *code = json_object_get(ev, "code");
        if (json_is_string(code))
            json_object_set(json_array_get(events, json_array_size(events) - 1), "code", code);
    }
    json_t *obs = json_array();
    int open = 0, overdue = 0;
    json_t *ob;
    json_array_foreach (json_object_get(tl, "obligations"), i, ob) {
        const char *pid = json_string_value(json_object_get(ob, "policy"));
        const struct model_policy *p = pid ? model_policy(pg->w->api->model, pid) : NULL;
        bool is_open = strcmp(sv(ob, "state"), "open") == 0;
        bool late = json_is_true(json_object_get(ob, "overdue"));
        open += is_open;
        overdue += is_open && late;
        const char *due = json_string_value(json_object_get(ob, "due_at"));
        const char *done = json_string_value(json_object_get(ob, "done_at"));
        json_t *o =
            json_pack("{s:s, s:s, s:b, s:b}", "label",
                      p     ? web_label(pg->lang, p->label)
                      : pid ? pid
                            : "",
                      "due", due && strlen(due) >= 10 ? arena_strndup(pg->req->arena, due, 10) : "",
                      "open", is_open, "overdue", late);
        if (done && strlen(done) >= 10)
            json_object_set_new(o, "done", json_stringn(done, 10));
        json_array_append_new(obs, o);
    }
    json_object_set_new(summary, "open", json_integer(open));
    json_object_set_new(summary, "overdue", json_integer(overdue));
    json_t *out = json_pack("{s:o, s:o}", "events", events, "obligations", obs);
    flag(out, "events");
    flag(out, "obligations");
    return out;
}

/* The summary box: status, accounting code, stage, completeness with its
 * gaps. */
static json_t *summary_section(struct page *pg, const struct model_kind *k, const char *coll,
                               const char *id, const json_t *rec)
{
    json_t *s = json_object();
    const struct model_workflow *w = k->workflow;
    if (w) {
        const char *st = json_string_value(json_object_get(rec, w->status_field));
        json_object_set_new(s, "status", json_string(state_label(pg->lang, w, st)));
        json_t *code = json_object_get(rec, w->code_field);
        if (json_is_string(code))
            json_object_set(s, "code", code);
        const struct model_field *sf = w->stage_field ? model_field(k, w->stage_field) : NULL;
        const char *stage = sf ? json_string_value(json_object_get(rec, sf->name)) : NULL;
        if (stage)
            json_object_set_new(s, "stage",
                                json_string(page_enum_label(pg, sf->enumeration, stage)));
    }
    json_t *c = NULL;
    struct err e = ERR_INIT;
    if (k->documents && pg->w->api->docs &&
        docs_completeness(pg->w->api->docs, &pg->actor, coll, id, &c, &e) == 0) {
        json_object_set(s, "score", json_object_get(c, "score"));
        json_object_set_new(s, "has_score", json_true());
        json_object_set_new(s, "gaps",
                            page_gap_items(pg, k, coll, id, json_object_get(c, "gaps")));
        flag(s, "gaps");
        /* judged by the rules in force on another day than today: say so */
        const char *on = json_string_value(json_object_get(json_object_get(c, "gaps"), "judged_on"));
        char today[11];
        calsvc_local_date(pg->w->api->cal, time_now_ms(), today);
        if (on && strcmp(on, today) != 0)
            json_object_set_new(s, "judged_on", json_string(on));
        json_decref(c);
    }
    return s;
}

/* ---- the owner's control panel ------------------------------------------------------- */

/* Does the timeline's "can" hold trigger t? */
static bool can(const json_t *tl, enum wf_trigger t)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(tl, "can"), i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), model_wf_trigger_name(t)) == 0)
            return true;
    return false;
}

/* The workflow's main path as steps (its initial state, where submission
 * leads, where each acceptance leads in turn: one for a registration, one
 * per body for an agreement), the record's state marked: a state off the
 * path from which it is submitted again (returned) stands in the first
 * step. */
#define PATH_MAX_STEPS 6

static json_t *steps(struct page *pg, const struct model_workflow *w, const char *status,
                     const char *review)
{
    const struct model_wf_state *path[PATH_MAX_STEPS] = {model_wf_initial(w)};
    size_t n = path[0] ? 1 : 0;
    const struct model_wf_transition *t = n ? model_wf_find(w, WF_SUBMIT, path[0]->id, NULL) : NULL;
    while (t && n < PATH_MAX_STEPS) {
        bool seen = false;
        for (size_t i = 0; i < n; i++)
            seen = seen || path[i] == t->to;
        if (seen)
            break;
        path[n++] = t->to;
        t = model_wf_find(w, WF_ACCEPT, t->to->id, NULL);
    }
    int at = -1;
    for (size_t i = 0; i < n && status; i++)
        if (strcmp(path[i]->id, status) == 0)
            at = (int)i;
    const struct model_wf_state *cur = status ? model_wf_state(w, status) : NULL;
    if (at < 0 && cur && model_wf_find(w, WF_SUBMIT, status, review))
        at = 0;
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct model_wf_state *s = (int)i == at && cur ? cur : path[i];
        json_array_append_new(out,
                              json_pack("{s:s, s:b, s:b}", "label", web_label(pg->lang, s->label),
                                        "done", (int)i < at, "current", (int)i == at));
    }
    return out;
}

/* The panel at the top of the card: where the record is in its workflow,
 * the actions the visitor may take now, and what blocks its submission
 * (the timeline's gaps: the submit check's own computation). */
static json_t *panel_section(struct page *pg, const struct model_kind *k, const char *coll,
                             const char *id, const json_t *rec, const json_t *tl, bool upd,
                             bool relate, json_t *summary)
{
    const struct model_workflow *w = k->workflow;
    json_t *p = json_object();
    json_t *actions = json_array();
    const char *status = w ? json_string_value(json_object_get(rec, w->status_field)) : NULL;
    const char *review =
        w && w->review_field ? json_string_value(json_object_get(rec, w->review_field)) : NULL;
    const struct model_wf_state *st = w && status ? model_wf_state(w, status) : NULL;
    /* a locked state is edited only by the roles it names (edit_by) */
    bool editable = !(st && st->locked) ||
                    (st->n_edit_by && registry_rights(pg->w->api->reg) &&
                     authz_may_take(registry_rights(pg->w->api->reg), &pg->actor, RA_UPDATE, k->id,
                                    json_string_value(json_object_get(rec, "owner")), st->edit_by,
                                    st->n_edit_by));
    if (upd && editable)
        json_array_append_new(actions, json_pack("{s:s, s:s}", "label", page_tr(pg, TR("Edit")),
                                                 "href", page_url(pg, "/%s/%s/edit", coll, id)));
    if (upd && k->documents && pg->w->api->docs)
        json_array_append_new(actions,
                              json_pack("{s:s, s:s}", "label", page_tr(pg, TR("Upload a document")),
                                        "href", page_url(pg, "/%s/%s#documents", coll, id)));
    if (relate)
        json_array_append_new(actions,
                              json_pack("{s:s, s:s}", "label", page_tr(pg, TR("Add a relation")),
                                        "href", page_url(pg, "/%s/%s#relation-add", coll, id)));
    if (w && tl && can(tl, WF_ACCEPT))
        json_array_append_new(actions,
                              json_pack("{s:s, s:s}", "label", page_tr(pg, TR("Review the record")),
                                        "href", page_url(pg, "/%s/%s/verify", coll, id)));
    json_t *gaps = tl ? json_object_get(tl, "gaps") : NULL;
    if (gaps) {
        json_t *items = page_gap_items(pg, k, coll, id, gaps);
        json_object_set_new(summary, "gaps", items);
        flag(summary, "gaps");
    }
    if (w && tl && can(tl, WF_SUBMIT)) {
        const struct model_wf_transition *t = model_wf_find(w, WF_SUBMIT, status, review);
        bool blocked = json_array_size(json_object_get(summary, "gaps")) > 0;
        json_object_set_new(summary, "blocking", json_boolean(blocked));
        if (!blocked && t) {
            json_t *rev = json_object_get(rec, "revision");
            json_object_set_new(p, "submit",
                                json_pack("{s:s, s:s, s:I}", "label", web_label(pg->lang, t->label),
                                          "action", page_url(pg, "/%s/%s/submit", coll, id),
                                          "revision", (json_int_t)json_integer_value(rev)));
        }
    }
    if (w) {
        json_object_set_new(p, "steps", steps(pg, w, status, review));
        const struct model_field *rf = w->review_field ? model_field(k, w->review_field) : NULL;
        if (rf && review && *review && strcmp(review, "none") != 0)
            json_object_set_new(p, "review",
                                json_string(page_enum_label(pg, rf->enumeration, review)));
    }
    json_object_set_new(p, "has_actions",
                        json_boolean(json_array_size(actions) || json_object_get(p, "submit")));
    json_object_set_new(p, "actions", actions);
    if (w)
        flag(p, "steps");
    bool any = json_array_size(actions) || json_object_get(p, "submit") || w;
    if (!any) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* ---- the page ------------------------------------------------------------------------- */

/* The records collection of "/<lang>/<collection>/…", or NULL. */
const char *card_path_collection(const struct page *pg)
{
    const struct http_req *req = pg->req;
    const char *p = req->path && strlen(req->path) > 4 ? req->path + 4 : "";
    size_t n = strcspn(p, "/");
    char name[64];
    if (n == 0 || n >= sizeof name)
        return NULL;
    memcpy(name, p, n);
    name[n] = '\0';
    const struct model_collection *c = records_collection(pg->w->api->model, name);
    return c ? c->id : NULL;
}

const char *card_record_org(const struct page *pg, const json_t *rec)
{
    char org[128];
    struct err e = ERR_INIT;
    if (registry_record_org(pg->w->api->reg, NULL, rec, org, sizeof org, &e) < 0)
        return "";
    return arena_strdup(pg->req->arena, org);
}

/* May the visitor place documents on (update) the record? */
static bool may_update(const struct page *pg, const struct model_kind *k, const json_t *rec)
{
    return pg->signed_in && authz_may(accounts_rights(pg->w->api->acct), &pg->actor, RA_UPDATE,
                                      k->id, card_record_org(pg, rec));
}

bool card_may_remove(const struct page *pg, const struct model_kind *rk, const char *src_org)
{
    return pg->signed_in &&
           authz_may(accounts_rights(pg->w->api->acct), &pg->actor, RA_RETIRE, rk->id, src_org);
}

/* Renders the card of coll/id with status (a refused upload: 422 with its
 * problems next to its type). */
static void card_render(struct page *pg, const char *coll, const char *id, int status,
                        const struct refused *refused)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (!text_id_valid(id) ||
        registry_get_visible(pg->w->api->reg, &pg->actor, coll, id, &rec, &e) < 0) {
        page_error(pg, e.status == 410 || e.status == 404 || !e.status ? 404 : e.status, NULL);
        return;
    }
    const struct model *m = pg->w->api->model;
    const struct model_kind *k = model_kind(m, json_string_value(json_object_get(rec, "kind")));
    if (!k) {
        json_decref(rec);
        page_error(pg, 404, NULL);
        return;
    }
    /* whether restricted fields are hidden does not depend on their values */
    json_t *probe = json_deep_copy(rec);
    for (size_t i = 0; i < k->n_fields; i++)
        if (k->fields[i].restricted)
            json_object_set_new(probe, k->fields[i].name, json_string(""));
    bool hide = registry_redact(pg->w->api->reg, &pg->actor, probe);
    json_decref(probe);
    registry_redact(pg->w->api->reg, &pg->actor, rec);

    const char *name = web_name(pg->lang, json_object_get(rec, "name"));
    name = arena_strdup(pg->req->arena, *name ? name : id);
    json_t *d = pg->data;
    pg->nav = "registry";
    json_object_set_new(d, "name", json_string(name));
    web_set_name_lang(d, pg->lang, json_object_get(rec, "name"));
    json_object_set_new(d, "id", json_string(id));
    json_object_set_new(d, "kind", json_string(web_label(pg->lang, k->label)));
    json_object_set_new(d, "hidden_restricted", json_boolean(hide && k->has_restricted));
    json_object_set_new(d, "fields", card_fields(pg, k, rec, hide));
    json_t *measures = page_measures(pg, k, rec);
    if (measures) {
        json_object_set_new(d, "measures", measures);
        json_object_set_new(d, "has_measures", json_true());
        const char *profile = web_profile_url(pg, k, id);
        if (profile)
            json_object_set_new(d, "profile_url", json_string(profile));
    }
    json_t *summary = summary_section(pg, k, coll, id, rec);
    json_t *wtl = NULL; /* the workflow's view of the record, for the visitor */
    struct err te = ERR_INIT;
    if (k->workflow && workflow_timeline(pg->w->api->wf, &pg->actor, coll, id, &wtl, &te) < 0)
        wtl = NULL;
    json_t *tl = timeline_section(pg, k, wtl, summary);
    if (tl)
        json_object_set_new(d, "timeline", tl);
    bool upd = may_update(pg, k, rec);
    if (k->documents && pg->w->api->docs) { /* documents may not be served */
        json_t *docs = documents_section(pg, coll, id, upd, refused);
        if (docs)
            json_object_set_new(d, "documents", docs);
    }
    struct buf svg;
    buf_init(&svg, 4u << 20);
    json_t *rels = relations_section(pg, coll, id, rec, name, &svg);
    json_t *rform = card_relation_form(pg, k, coll, id, rec);
    if (rform)
        json_object_set_new(d, "relation_form", rform);
    json_t *panel =
        panel_section(pg, k, coll, id, rec, wtl, upd,
                      rform && json_is_true(json_object_get(rform, "has_types")), summary);
    if (panel)
        json_object_set_new(d, "panel", panel);
    json_decref(wtl);
    /* organisations and kinds without a workflow have nothing to sum up */
    if (k->workflow || json_object_get(summary, "has_score"))
        json_object_set_new(d, "summary", summary);
    else
        json_decref(summary);

    json_object_set_new(d, "relations", rels ? rels : json_array());
    flag(d, "relations");
    json_t *refs = referrers_section(pg, id);
    if (refs)
        json_object_set_new(d, "referrers", refs);
    page_rule_checks(pg, k, coll, id, rec); /* the rules' checks: for the report's readers */
    page_score_section(pg, k, id, rec);     /* its scores (a project's risk level), explained */
    page_tally_section(pg, k, coll, id, rec); /* a period report's figures */
    page_control_section(pg, k, rec);         /* duplication about what it assesses */
    json_object_set_new(d, "trace_url", json_string(page_url(pg, "/%s/%s/trace", coll, id)));
    json_t *views = card_view_links(pg, k, coll, id);
    web_capmap_record_links(pg, k, id, views);
    json_object_set_new(d, "views", views);
    flag(d, "views");
    if (k->snapshot && json_string_value(json_object_get(rec, k->snapshot->at))) {
        /* what a version froze, and how to read it (page-version.c) */
        json_object_set_new(
            d, "frozen",
            json_pack("{s:s, s:s, s:s}", "elements_url",
                      page_url(pg, "/%s/%s/elements", coll, id), "compare_url",
                      page_url(pg, "/%s/%s/compare", coll, id), "download_url",
                      arena_printf(pg->req->arena, "/api/v1/%s/%s/content", coll, id)));
    }
    json_object_set_new(d, "has_graph", json_boolean(svg.len > 0));
    json_t *hist = history_section(pg, k, coll, id, hide);
    json_object_set_new(d, "history", hist ? hist : json_array());
    const char *uploaded = http_req_query(pg->req, "uploaded");
    if (uploaded && *uploaded && !refused)
        json_object_set_new(d, "upload_done", json_true());
    if (refused)
        json_object_set_new(d, "refused", json_true());
    json_decref(rec);
    struct buf org_svg;
    buf_init(&org_svg, 4u << 20);
    page_org_section(pg, k, id, &org_svg);
    struct tpl_raw raw[] = {{"graph", svg.p ? svg.p : "", svg.len},
                            {"org_graph", org_svg.p ? org_svg.p : "", org_svg.len}};
    page_render_raw(pg, status, "card/card", name, raw, 2);
    buf_free(&svg);
    buf_free(&org_svg);
}

void card_page(struct page *pg, const char *coll, const char *id, int status)
{
    card_render(pg, coll, id, status, NULL);
}

/* The messages of the card's own steps (?done=related, unrelated). */
static void card_notice(struct page *pg)
{
    static const char *const codes[] = {"related", "unrelated", NULL};
    static const char *const msgids[] = {TR("The relation was added."),
                                         TR("The relation was removed."), NULL};
    page_notice(pg, codes, msgids);
}

static void h_card(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg);
    const char *id = http_req_param(req, "id");
    if (!coll || !id) {
        page_error(&pg, 404, NULL);
        return;
    }
    forms_notice(&pg); /* after a create, save or submission */
    card_notice(&pg);
    card_render(&pg, coll, id, 200, NULL);
}

/* ---- the upload form (multipart/form-data, streamed) --------------------------------- */

struct card_upload {
    struct page pg;
    const char *coll, *id;
    struct docs_upload *u;
    char csrf[80]; /* the "_csrf" field as it arrives */
    size_t csrf_len;
    bool csrf_ok;
    char type[64]; /* the document type, for showing a refusal next to it */
    size_t type_len;
};

static int cu_begin(struct http_req *req, struct http_resp *resp, void *ctx, void **state)
{
    struct card_upload *cu = arena_calloc(req->arena, 1, sizeof *cu);
    page_begin(ctx, req, resp, &cu->pg);
    cu->coll = card_path_collection(&cu->pg);
    cu->id = http_req_param(req, "id");
    if (!cu->coll || !cu->id || !text_id_valid(cu->id)) {
        page_error(&cu->pg, 404, NULL);
        return -1;
    }
    if (!web_same_origin(req)) {
        page_error(&cu->pg, 403,
                   page_tr(&cu->pg, TR("The form was not sent from the portal's own page.")));
        return -1;
    }
    if (!cu->pg.signed_in) {
        page_error(&cu->pg, 403, page_tr(&cu->pg, TR("Sign in to place documents.")));
        return -1;
    }
    struct err e = ERR_INIT;
    if (docs_upload_begin(cu->pg.w->api->docs, &cu->pg.actor, cu->coll, cu->id, &cu->u, &e) < 0) {
        page_error(&cu->pg, e.status == 401 ? 403 : e.status, NULL);
        return -1;
    }
    *state = cu;
    return 0;
}

/* The token must have arrived, whole and right, before any other field. */
static int csrf_check(struct card_upload *cu, struct err *e)
{
    if (cu->csrf_ok)
        return 0;
    size_t n = strlen(cu->pg.csrf);
    if (n == 0 || cu->csrf_len != n || sodium_memcmp(cu->csrf, cu->pg.csrf, n) != 0) {
        err_set(e, 403, "csrf-failed", "_csrf",
                "the form must send the session's token in its first field, _csrf");
        return -1;
    }
    cu->csrf_ok = true;
    return 0;
}

static int cu_part(void *state, const char *name, const char *filename, const char *content_type,
                   const char *data, uint64_t off, size_t n, struct err *e)
{
    struct card_upload *cu = state;
    if (strcmp(name, "_csrf") == 0) {
        if (cu->csrf_ok || off + n >= sizeof cu->csrf) {
            err_set(e, 403, "csrf-failed", "_csrf", "the form's token is malformed");
            return -1;
        }
        memcpy(cu->csrf + off, data, n);
        cu->csrf_len = (size_t)off + n;
        return 0;
    }
    if (csrf_check(cu, e) < 0)
        return -1;
    if (strcmp(name, "type") == 0 && off + n < sizeof cu->type) {
        memcpy(cu->type + off, data, n);
        cu->type_len = (size_t)off + n;
        cu->type[cu->type_len] = '\0';
    }
    return docs_upload_part(cu->u, name, filename, content_type, data, off, n, e);
}

static void cu_finish(void *state, struct http_req *req, struct http_resp *resp)
{
    struct card_upload *cu = state;
    /* begin's answer was another one: this is the one that goes out */
    cu->pg.req = req;
    cu->pg.resp = resp;
    struct err e = ERR_INIT;
    if (csrf_check(cu, &e) < 0) {
        page_error(&cu->pg, 403,
                   page_tr(&cu->pg, TR("The form has expired. Open the page again and repeat.")));
        return;
    }
    json_t *doc = NULL, *problems = NULL;
    if (docs_upload_finish(cu->u, &doc, &problems, &e) < 0) {
        if (e.status == 422) {
            struct refused r = {cu->type, page_err_text(&cu->pg, &e), problems};
            card_render(&cu->pg, cu->coll, cu->id, 422, &r);
        } else
            page_error(&cu->pg, e.status, page_err_text(&cu->pg, &e));
        json_decref(problems);
        return;
    }
    json_decref(doc);
    page_redirect(&cu->pg, page_url(&cu->pg, "/%s/%s?uploaded=%s#documents", cu->coll, cu->id,
                                    cu->type_len ? cu->type : "1"));
}

static void cu_cleanup(void *state, bool done)
{
    (void)done;
    struct card_upload *cu = state;
    docs_upload_free(cu->u);
    json_decref(cu->pg.data); /* when no answer released it */
    cu->pg.data = NULL;
}

static struct http_stream_ops upload_ops;

void web_card_routes_for(struct web *w, struct router *rt, const char *collection)
{
    char suffix[128];
    snprintf(suffix, sizeof suffix, "/%s/{id}", collection);
    web_route(rt, "GET", suffix, h_card, w);
    card_relation_routes(w, rt, collection);
    card_trace_routes(w, rt, collection);
    if (!w->api->docs)
        return;
    upload_ops = (struct http_stream_ops){
        .max_body = docs_max_upload(w->api->docs),
        .begin = cu_begin,
        .part = cu_part,
        .finish = cu_finish,
        .cleanup = cu_cleanup,
    };
    for (int l = 0; l < LANG_N; l++) {
        char pattern[160];
        snprintf(pattern, sizeof pattern, "/%s/%s/{id}/documents", i18n_code((enum lang)l),
                 collection);
        router_add_stream(rt, "POST", pattern, &upload_ops, w);
    }
}
