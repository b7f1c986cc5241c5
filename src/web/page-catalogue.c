/* The data catalogue and the profiles of records (issue 15, REQ ARC-06,
 * ARC-07). The catalogue:
 * GET /{lang}/{collection}/catalogue for every records collection some of
 * whose kinds inherit items ("inherits"; the master data). Kind by kind,
 * each record the visitor may read with its computed measures (the
 * digitisation level) and, for every inherited field, a table of its own
 * items and those it inherits, with the base each comes from; kinds with
 * no such field (reference data) are listed by name. Everything comes from
 * the model: no kind or field is named here. A profile,
 * GET /{lang}/{collection}/{id}/profile for a kind with "profile": the items
 * of the records its measure is taken over, grouped by the record each
 * item's done ref names (what the state holds about a client and where; a
 * data passport's content). Plain HTML, no script. */
#include "web/internal.h"

#include "registry/listq.h"
#include "registry/registry.h"

#include <string.h>

/* The inherited fields of the collection's kinds, each once (the columns'
 * source): NULL-terminated in the request's arena. */
static const struct model_field **item_fields(struct page *pg, const struct model_collection *c)
{
    const struct model *m = pg->w->api->model;
    const struct model_field **out = arena_calloc(pg->req->arena, 9, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; i < c->n_kinds; i++) {
        const struct model_kind *k = model_kind(m, c->kinds[i]);
        for (size_t f = 0; k->inherit_via && f < k->n_inherit_fields && n < 8; f++) {
            bool seen = false;
            for (size_t j = 0; j < n; j++)
                seen = seen || strcmp(out[j]->name, k->inherit_fields[f]) == 0;
            if (!seen)
                out[n++] = model_field(k, k->inherit_fields[f]);
        }
    }
    return out;
}

/* Does some kind of the collection inherit? */
static bool collection_inherits(const struct model *m, const struct model_collection *c)
{
    for (size_t i = 0; i < c->n_kinds; i++)
        if (model_kind(m, c->kinds[i])->inherit_via)
            return true;
    return false;
}

/* A referenced record as {text, href?}, looked up once per page (refs). */
static json_t *ref_cell(struct page *pg, json_t *refs, const char *id)
{
    json_t *hit = json_object_get(refs, id);
    if (hit)
        return json_incref(hit);
    json_t *rec = NULL, *cell = json_pack("{s:s}", "text", id);
    struct err e = ERR_INIT;
    if (registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) == 0) {
        const char *name = web_name(pg->lang, json_object_get(rec, "name"));
        const struct model_kind *k =
            model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
        json_object_set_new(cell, "text", json_string(*name ? name : id));
        if (k)
            json_object_set_new(cell, "href",
                                json_string(page_url(pg, "/%s/%s", k->collection, id)));
        json_decref(rec);
    }
    json_object_set(refs, id, cell);
    return cell;
}

/* One item as a row of cells, one per sub-field, then where it comes from
 * (from: NULL for the record's own). */
static json_t *item_row(struct page *pg, json_t *refs, const struct model_field *f,
                        const json_t *item, const char *from)
{
    json_t *cells = json_array();
    for (size_t i = 0; i < f->item->n_sub; i++) {
        const struct model_field *s = &f->item->sub[i];
        const json_t *v = json_object_get(item, s->name);
        if (s->type == FT_REF && json_is_string(v))
            json_array_append_new(cells, ref_cell(pg, refs, json_string_value(v)));
        else if (s->type == FT_ENUM && json_is_string(v))
            json_array_append_new(
                cells, json_pack("{s:s}", "text",
                                 page_enum_label(pg, s->enumeration, json_string_value(v))));
        else
            json_array_append_new(
                cells, json_pack("{s:s}", "text", json_is_string(v) ? json_string_value(v) : "—"));
    }
    json_array_append_new(cells, from ? ref_cell(pg, refs, from)
                                      : json_pack("{s:s}", "text", page_tr(pg, TR("This record"))));
    return json_pack("{s:o}", "cells", cells);
}

/* The table of field f of rec: its own items, then each base's. */
static json_t *item_table(struct page *pg, json_t *refs, const struct model_field *f,
                          const json_t *rec, const json_t *inh)
{
    json_t *heads = json_array(), *rows = json_array();
    for (size_t i = 0; i < f->item->n_sub; i++)
        json_array_append_new(heads, json_string(web_label(pg->lang, f->item->sub[i].label)));
    json_array_append_new(heads, json_string(page_tr(pg, TR("Declared in"))));
    size_t i, j;
    const json_t *item, *b;
    json_array_foreach (json_object_get(rec, f->name), i, item)
        json_array_append_new(rows, item_row(pg, refs, f, item, NULL));
    json_array_foreach (json_object_get(inh, f->name), i, b) {
        const char *from = json_string_value(json_object_get(b, "from"));
        json_array_foreach (json_object_get(b, "items"), j, item)
            json_array_append_new(rows, item_row(pg, refs, f, item, from));
    }
    return json_pack("{s:s, s:o, s:o, s:b}", "caption", web_label(pg->lang, f->label), "heads",
                     heads, "rows", rows, "has_rows", json_array_size(rows) > 0);
}

/* The record's measures (page_measures), [] when it has none. */
static json_t *measures_or_empty(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    json_t *ms = page_measures(pg, k, rec);
    return ms ? ms : json_array();
}

/* One record of the catalogue. */
static json_t *entry(struct page *pg, json_t *refs, const struct model_kind *k,
                     const struct model_field *const *fields, const json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    const char *name = web_name(pg->lang, json_object_get(rec, "name"));
    json_t *inh = NULL, *tables = json_array();
    struct err e = ERR_INIT;
    if (k->inherit_via && registry_inherited(pg->w->api->reg, &pg->actor, rec, &inh, &e) < 0)
        inh = NULL;
    for (size_t i = 0; fields[i]; i++)
        if (model_field(k, fields[i]->name))
            json_array_append_new(tables, item_table(pg, refs, fields[i], rec, inh));
    json_decref(inh);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", id, "name", *name ? name : id, "href",
                          page_url(pg, "/%s/%s", k->collection, id), "tables", tables, "measures",
                          measures_or_empty(pg, k, rec));
    web_set_name_lang(o, pg->lang, json_object_get(rec, "name"));
    return o;
}

/* The records of kind k the visitor may read, by name (the first
 * LISTQ_MAX_LIMIT): {kind, label, entries, has_tables, more}. */
static json_t *kind_section(struct page *pg, json_t *refs, const struct model_collection *c,
                            const struct model_kind *k, const struct model_field *const *fields)
{
    const struct model *m = pg->w->api->model;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", LISTQ_MAX_LIMIT);
    const struct listq_param params[] = {{"kind", k->id}, {"sort", "name"}, {"limit", limit}};
    struct list_query q;
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (listq_parse_lang(pg->req->arena, m, c, params, 3, NULL, i18n_code(pg->lang), &q, &e) < 0 ||
        registry_scope_list(pg->w->api->reg, &pg->actor, &q, &e) < 0 ||
        registry_list(pg->w->api->reg, pg->req->arena, &q, &list, &e) < 0)
        return NULL;
    json_t *entries = json_array();
    bool tables = false;
    size_t i;
    json_t *rec;
    json_array_foreach (json_object_get(list, "items"), i, rec) {
        if (!registry_may_read(pg->w->api->reg, &pg->actor, rec))
            continue;
        json_t *en = entry(pg, refs, k, fields, rec);
        tables = tables || json_array_size(json_object_get(en, "tables")) > 0;
        json_array_append_new(entries, en);
    }
    bool more = json_is_string(json_object_get(list, "next_cursor"));
    json_decref(list);
    return json_pack("{s:s, s:s, s:o, s:b, s:b, s:i}", "kind", k->id, "label",
                     web_label(pg->lang, k->label), "entries", entries, "has_tables", tables,
                     "more", more, "count", (int)json_array_size(entries));
}

static void h_catalogue(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model *m = pg.w->api->model;
    pg.coll = web_path_collection(&pg);
    if (!pg.coll || !collection_inherits(m, pg.coll)) {
        page_error(&pg, 404, NULL);
        return;
    }
    const struct model_field **fields = item_fields(&pg, pg.coll);
    json_t *kinds = json_array(), *refs = json_object();
    for (size_t i = 0; i < pg.coll->n_kinds; i++) {
        json_t *s = kind_section(&pg, refs, pg.coll, model_kind(m, pg.coll->kinds[i]), fields);
        if (s && json_array_size(json_object_get(s, "entries")))
            json_array_append_new(kinds, s);
        else
            json_decref(s);
    }
    json_decref(refs);
    const char *label = web_label(pg.lang, pg.coll->label);
    json_object_set_new(pg.data, "collection", json_string(label));
    json_object_set_new(pg.data, "list_url", json_string(page_url(&pg, "/%s", pg.coll->id)));
    json_object_set_new(pg.data, "has_kinds", json_boolean(json_array_size(kinds) > 0));
    json_object_set_new(pg.data, "kinds", kinds);
    json_object_set_new(pg.data, "max", json_integer(LISTQ_MAX_LIMIT));
    page_render(&pg, 200, "catalogue",
                arena_printf(req->arena, "%s: %s", page_tr(&pg, TR("Data catalogue")), label));
}

/* ---- a record's profile: its measure's records' items by where each is
 * stored (a client's digital profile, a data passport's content) ---- */

/* Adds rec's items (field f) to the groups by their done_ref target. */
static void group_items(struct page *pg, json_t *refs, const struct model_measure *ms,
                        const struct model_field *f, const json_t *rec, json_t *groups,
                        json_t *order)
{
    const char *id = json_string_value(json_object_get(rec, "id"));
    size_t i;
    const json_t *item;
    json_array_foreach (json_object_get(rec, f->name), i, item) {
        const char *src = json_string_value(json_object_get(item, ms->done_ref));
        const char *key = src ? src : "";
        json_t *g = json_object_get(groups, key);
        if (!g) {
            json_t *heads = json_array();
            for (size_t j = 0; j < f->item->n_sub; j++)
                json_array_append_new(heads,
                                      json_string(web_label(pg->lang, f->item->sub[j].label)));
            json_array_append_new(heads, json_string(page_tr(pg, TR("Declared in"))));
            g = json_pack("{s:o, s:[]}", "heads", heads, "rows");
            if (src)
                json_object_set_new(g, "source", ref_cell(pg, refs, src));
            json_object_set_new(groups, key, g);
            json_array_append_new(order, json_string(key));
        }
        json_array_append_new(json_object_get(g, "rows"), item_row(pg, refs, f, item, id));
    }
}

static void h_profile(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model *m = pg.w->api->model;
    pg.coll = web_path_collection(&pg);
    const char *id = http_req_param(req, "id");
    json_t *rec = NULL, *recs = NULL;
    struct err e = ERR_INIT;
    const struct model_kind *k = NULL;
    if (pg.coll && id &&
        registry_get_visible(pg.w->api->reg, &pg.actor, pg.coll->id, id, &rec, &e) == 0)
        k = model_kind(m, json_string_value(json_object_get(rec, "kind")));
    if (!k || !k->profile ||
        registry_measure_records(pg.w->api->reg, &pg.actor, k->profile, rec, &recs, &e) < 0) {
        json_decref(rec);
        page_error(&pg, k && k->profile ? 500 : 404, NULL);
        return;
    }
    const struct model_measure *ms = k->profile->measure;
    json_t *refs = json_object(), *groups = json_object(), *order = json_array();
    size_t i;
    json_t *r, *key;
    json_array_foreach (recs, i, r) {
        const struct model_kind *rk = model_kind(m, json_string_value(json_object_get(r, "kind")));
        const struct model_field *f = rk ? model_field(rk, ms->items) : NULL;
        if (f && f->type == FT_LIST && f->item->type == FT_OBJECT)
            group_items(&pg, refs, ms, f, r, groups, order);
    }
    json_t *list = json_array();
    json_array_foreach (order, i, key) /* the unstored last */
        if (*json_string_value(key))
            json_array_append(list, json_object_get(groups, json_string_value(key)));
    json_t *unstored = json_object_get(groups, "");
    json_decref(refs);
    const char *name = web_name(pg.lang, json_object_get(rec, "name"));
    name = arena_strdup(req->arena, *name ? name : id);
    json_object_set_new(pg.data, "name", json_string(name));
    web_set_name_lang(pg.data, pg.lang, json_object_get(rec, "name"));
    json_object_set_new(pg.data, "card_url", json_string(page_url(&pg, "/%s/%s", pg.coll->id, id)));
    json_object_set_new(pg.data, "measures", measures_or_empty(&pg, k, rec));
    json_object_set_new(pg.data, "has_groups", json_boolean(json_array_size(list) || unstored));
    json_object_set_new(pg.data, "groups", list);
    if (unstored)
        json_object_set(pg.data, "unstored", unstored);
    json_decref(groups);
    json_decref(order);
    json_decref(recs);
    json_decref(rec);
    page_render(&pg, 200, "profile",
                arena_printf(req->arena, "%s: %s", page_tr(&pg, TR("Data held and where")), name));
}

const char *web_profile_url(struct page *pg, const struct model_kind *k, const char *id)
{
    return k && k->profile ? page_url(pg, "/%s/%s/profile", k->collection, id) : NULL;
}

const char *web_catalogue_url(struct page *pg, const struct model_collection *c)
{
    return collection_inherits(pg->w->api->model, c) ? page_url(pg, "/%s/catalogue", c->id) : NULL;
}

void web_catalogue_routes_for(struct web *w, struct router *rt, const struct model_collection *c)
{
    char path[160];
    bool profiles = false;
    for (size_t i = 0; i < c->n_kinds; i++)
        profiles = profiles || model_kind(w->api->model, c->kinds[i])->profile;
    if (profiles) {
        snprintf(path, sizeof path, "/%s/{id}/profile", c->id);
        web_route(rt, "GET", path, h_profile, w);
    }
    if (!collection_inherits(w->api->model, c))
        return;
    snprintf(path, sizeof path, "/%s/catalogue", c->id);
    web_route(rt, "GET", path, h_catalogue, w);
}
