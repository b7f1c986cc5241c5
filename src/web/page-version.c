/* The pages of an architecture version (a kind's "snapshot", issue 16,
 * REQ ARC-15, ARC-16): what the version froze, read as it was —
 *   GET /{lang}/{collection}/{id}/elements?collection=&q=&page= — its
 *       elements, one collection at a time, by name;
 *   GET /{lang}/{collection}/{id}/elements/{element} — one element as it
 *       was, its fields and relations then, references leading within the
 *       version;
 *   GET /{lang}/{collection}/{id}/compare?with=<other> — two versions
 *       compared element by element and field by field.
 * Once a version is published everyone reads these pages: that is how the
 * public reads the approved architecture while the working one stays with
 * those who work on it. The model says which kinds freeze what; no kind is
 * named here. */
#include "web/card.h"

#include "registry/listq.h"
#include "util/buf.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

/* Elements listed per page. */
#define VERSION_PAGE 50

/* The version's head for the pages: name, instant, address, counts and
 * the links every page of it shows. */
static json_t *head_of(struct page *pg, const char *coll, const json_t *v)
{
    const char *id = json_string_value(json_object_get(v, "id"));
    const char *name = web_name(pg->lang, json_object_get(v, "name"));
    return json_pack("{s:s, s:s, s:O?, s:O?, s:s, s:s, s:s, s:s}", "name", *name ? name : id, "at",
                     page_local_time(pg, json_string_value(json_object_get(v, "at"))), "hash",
                     json_object_get(v, "hash"), "elements", json_object_get(v, "elements"),
                     "card_url", page_url(pg, "/%s/%s", coll, id), "elements_url",
                     page_url(pg, "/%s/%s/elements", coll, id), "compare_url",
                     page_url(pg, "/%s/%s/compare", coll, id), "download_url",
                     arena_printf(pg->req->arena, "/api/v1/%s/%s/content", coll, id));
}

/* The page for a failed read: the problem's status and detail. */
static void fail(struct page *pg, const struct err *e)
{
    page_error(pg, e->status ? e->status : 500, e->status ? page_err_text(pg, e) : NULL);
}

/* The link to element ref ({id, kind, name}) within the version. */
static json_t *element_link(struct page *pg, const char *coll, const char *vid, const json_t *ref)
{
    const char *id = json_string_value(json_object_get(ref, "id"));
    const char *name = web_name(pg->lang, json_object_get(ref, "name"));
    json_t *o = json_pack("{s:s, s:s, s:s}", "text", *name ? name : id ? id : "", "href",
                          page_url(pg, "/%s/%s/elements/%s", coll, vid, id ? id : ""), "kind",
                          page_kind_label(pg, json_string_value(json_object_get(ref, "kind"))));
    web_set_name_lang(o, pg->lang, json_object_get(ref, "name"));
    return o;
}

/* ?page= (1 and on); 0 after answering 400. */
static long page_number(struct page *pg)
{
    const char *s = http_req_query(pg->req, "page");
    if (!s)
        return 1;
    char *end;
    long n = strtol(s, &end, 10);
    if (!*s || *end || s[0] < '1' || s[0] > '9' || n > 1000000) {
        page_error(pg, 400, page_tr(pg, TR("The page number must be a whole number from 1.")));
        return 0;
    }
    return n;
}

static const char *elements_url(struct page *pg, const char *coll, const char *vid, const char *of,
                                const char *q, long page)
{
    struct buf b;
    buf_init(&b, 4096);
    buf_printf(&b, "?collection=%s", of);
    if (q && *q) {
        buf_puts(&b, "&q=");
        tpl_esc_url_part(&b, q, strlen(q));
    }
    if (page > 1)
        buf_printf(&b, "&page=%ld", page);
    const char *out = page_url(pg, "/%s/%s/elements%s", coll, vid, b.p ? b.p : "");
    buf_free(&b);
    return out;
}

static void h_elements(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg), *vid = http_req_param(req, "id");
    const char *of = http_req_query(req, "collection"), *q = http_req_query(req, "q");
    long n = page_number(&pg);
    if (!n)
        return;
    if (q && (strlen(q) > 200 || !text_controls_ok(q, strlen(q), false))) {
        page_error(&pg, 400, page_tr(&pg, TR("The search words must be one line of at most 200 bytes.")));
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_snapshot_members(pg.w->api->reg, &pg.actor, coll, vid, of, q,
                                  (size_t)(n - 1) * VERSION_PAGE, VERSION_PAGE, &out, &e) < 0) {
        fail(&pg, &e);
        return;
    }
    const struct model *m = pg.w->api->model;
    of = json_string_value(json_object_get(out, "collection"));
    json_t *tabs = json_array(), *items = json_array();
    size_t i;
    json_t *x;
    json_array_foreach (json_object_get(out, "collections"), i, x) {
        const struct model_collection *mc = model_collection(m, json_string_value(x));
        json_t *t = json_pack("{s:s, s:s, s:s}", "value", mc->id, "text",
                              web_label(pg.lang, mc->label), "href",
                              elements_url(&pg, coll, vid, mc->id, NULL, 1));
        if (strcmp(mc->id, of) == 0)
            json_object_set_new(t, "current", json_true());
        json_array_append_new(tabs, t);
    }
    json_array_foreach (json_object_get(out, "items"), i, x)
        json_array_append_new(items, element_link(&pg, coll, vid, x));
    json_int_t total = json_integer_value(json_object_get(out, "total"));
    json_t *d = pg.data;
    json_object_set_new(d, "version", head_of(&pg, coll, json_object_get(out, "version")));
    json_object_set_new(d, "collections", tabs);
    json_object_set_new(d, "items", items);
    json_object_set_new(d, "has_items", json_boolean(json_array_size(items) > 0));
    json_object_set_new(d, "total", json_integer(total));
    json_object_set_new(d, "q", json_string(q ? q : ""));
    json_object_set_new(d, "action", json_string(page_url(&pg, "/%s/%s/elements", coll, vid)));
    if (n > 1)
        json_object_set_new(d, "prev_url", json_string(elements_url(&pg, coll, vid, of, q, n - 1)));
    if ((json_int_t)n * VERSION_PAGE < total)
        json_object_set_new(d, "next_url", json_string(elements_url(&pg, coll, vid, of, q, n + 1)));
    const char *title = json_string_value(json_object_get(json_object_get(d, "version"), "name"));
    json_decref(out);
    pg.nav = "architecture";
    page_render(&pg, 200, "version/elements", title);
}

/* The relations of an element then, by type and direction: [{label,
 * items: [{text, href, kind}]}]. */
static json_t *relation_groups(struct page *pg, const char *coll, const char *vid,
                               const json_t *rels)
{
    json_t *groups = json_array(), *by = json_object();
    size_t i;
    json_t *x;
    json_array_foreach (rels, i, x) {
        const struct model_kind *rk =
            model_kind(pg->w->api->model, json_string_value(json_object_get(x, "type")));
        if (!rk)
            continue;
        bool out = strcmp(json_string_value(json_object_get(x, "direction")), "out") == 0;
        const char *label = web_label(pg->lang, out ? rk->label : rk->inverse_label);
        const char *key = arena_printf(pg->req->arena, "%s/%d", rk->id, out);
        json_t *g = json_object_get(by, key);
        if (!g) {
            g = json_pack("{s:s, s:[]}", "label", *label ? label : web_label(pg->lang, rk->label),
                          "items");
            json_object_set_new(by, key, g);
            json_array_append(groups, g);
        }
        json_array_append_new(json_object_get(g, "items"),
                              element_link(pg, coll, vid, json_object_get(x, "other")));
    }
    json_decref(by);
    return groups;
}

static void h_element(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg), *vid = http_req_param(req, "id");
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_snapshot_member(pg.w->api->reg, &pg.actor, coll, vid,
                                 http_req_param(req, "element"), &out, &e) < 0) {
        fail(&pg, &e);
        return;
    }
    const json_t *rec = json_object_get(out, "record");
    const struct model_kind *k =
        model_kind(pg.w->api->model, json_string_value(json_object_get(rec, "kind")));
    /* references lead within the version; those it does not hold (or
     * holds unpublished) show as their identifiers */
    json_t *refs = json_object();
    const char *rid;
    json_t *x;
    json_object_foreach (json_object_get(out, "refs"), rid, x) {
        json_t *l = json_pack("{s:s, s:O?, s:O?}", "id", rid, "kind", json_object_get(x, "kind"),
                              "name", json_object_get(x, "name"));
        json_object_set_new(refs, rid, element_link(&pg, coll, vid, l));
        json_decref(l);
    }
    pg.refs = refs;
    json_t *d = pg.data;
    const char *name = web_name(pg.lang, json_object_get(rec, "name"));
    json_object_set_new(d, "version", head_of(&pg, coll, json_object_get(out, "version")));
    json_object_set_new(d, "name", json_string(*name ? name : json_string_value(json_object_get(rec, "id"))));
    json_object_set_new(d, "kind", json_string(k ? web_label(pg.lang, k->label) : ""));
    json_object_set_new(d, "fields", k ? card_fields(&pg, k, rec, false) : json_array());
    json_t *groups = relation_groups(&pg, coll, vid, json_object_get(out, "relations"));
    json_object_set_new(d, "has_relations", json_boolean(json_array_size(groups) > 0));
    json_object_set_new(d, "relations", groups);
    const struct model_collection *ec = k ? model_collection(pg.w->api->model, k->collection) : NULL;
    if (ec)
        json_object_set_new(d, "back", json_pack("{s:s, s:s}", "text", web_label(pg.lang, ec->label),
                                                 "href", elements_url(&pg, coll, vid, ec->id, NULL, 1)));
    if (pg.may_verify && !json_is_true(json_object_get(json_object_get(out, "version"), "published")))
        json_object_set_new(d, "remark_url",
                            json_string(page_url(&pg, "/%s/%s/verify?element=%s", coll, vid,
                                                 json_string_value(json_object_get(rec, "id")))));
    const char *title = arena_strdup(pg.req->arena, json_string_value(json_object_get(d, "name")));
    pg.nav = "architecture";
    page_render(&pg, 200, "version/element", title);
    pg.refs = NULL;
    json_decref(refs);
    json_decref(out);
}

/* The other versions of the collection the visitor may read, newest
 * first, as the comparison form's choices (at most 100). */
static json_t *version_choices(struct page *pg, const struct model_collection *mc, const char *id,
                               const char *with)
{
    struct listq_param params[] = {{"limit", "100"}, {"sort", "-updated_at"}};
    struct list_query q;
    json_t *list = NULL, *out = json_array();
    struct err e = ERR_INIT;
    if (web_list_query(pg, mc, params, 2, &q, &e) < 0 ||
        registry_list(pg->w->api->reg, pg->req->arena, &q, &list, &e) < 0)
        return out;
    size_t i;
    json_t *rec;
    json_array_foreach (json_object_get(list, "items"), i, rec) {
        const char *rid = json_string_value(json_object_get(rec, "id"));
        if (!rid || strcmp(rid, id) == 0)
            continue;
        const char *name = web_name(pg->lang, json_object_get(rec, "name"));
        json_t *o = json_pack("{s:s, s:s}", "value", rid, "text", *name ? name : rid);
        if (with && strcmp(with, rid) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(out, o);
    }
    json_decref(list);
    return out;
}

/* One change's rows: [{element: {text, href, kind}, fields?: [{label,
 * from, to}]}], elements linked within the version that holds them. */
static json_t *change_rows(struct page *pg, const char *coll, const char *vid, const json_t *list)
{
    json_t *rows = json_array();
    size_t i, j;
    json_t *x, *f;
    json_array_foreach (list, i, x) {
        json_t *row = json_pack("{s:o}", "element", element_link(pg, coll, vid, x));
        const struct model_kind *k =
            model_kind(pg->w->api->model, json_string_value(json_object_get(x, "kind")));
        json_t *fields = json_array();
        json_array_foreach (json_object_get(x, "fields"), j, f) {
            const char *name = json_string_value(json_object_get(f, "field"));
            const struct model_field *mf = k && name ? model_field(k, name) : NULL;
            json_array_append_new(fields, json_pack("{s:s}", "label",
                                                    mf ? web_label(pg->lang, mf->label) : name));
        }
        json_object_set_new(row, "fields", fields);
        json_array_append_new(rows, row);
    }
    return rows;
}

static void h_compare(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const char *coll = card_path_collection(&pg), *vid = http_req_param(req, "id");
    const char *with = http_req_query(req, "with");
    if (with && !text_id_valid(with)) {
        page_error(&pg, 400, page_tr(&pg, TR("Choose a version to compare with.")));
        return;
    }
    const struct model_collection *mc = model_collection(pg.w->api->model, coll);
    json_t *v = NULL, *cmp = NULL;
    struct err e = ERR_INIT;
    if (registry_get_visible(pg.w->api->reg, &pg.actor, coll, vid, &v, &e) < 0 ||
        (with && registry_snapshot_compare(pg.w->api->reg, &pg.actor, coll, vid, with, &cmp, &e) < 0)) {
        json_decref(v);
        fail(&pg, &e);
        return;
    }
    const struct model_kind *k =
        model_kind(pg.w->api->model, json_string_value(json_object_get(v, "kind")));
    json_t *d = pg.data;
    json_t *head = json_pack("{s:s, s:O?, s:O?, s:O?}", "id", vid, "name", json_object_get(v, "name"),
                             "at", k && k->snapshot ? json_object_get(v, k->snapshot->at) : NULL,
                             "hash", k && k->snapshot ? json_object_get(v, k->snapshot->hash) : NULL);
    json_object_set_new(d, "version", head_of(&pg, coll, head));
    json_decref(head);
    json_decref(v);
    json_t *choices = version_choices(&pg, mc, vid, with);
    json_object_set_new(d, "has_choices", json_boolean(json_array_size(choices) > 0));
    json_object_set_new(d, "choices", choices);
    json_object_set_new(d, "action", json_string(page_url(&pg, "/%s/%s/compare", coll, vid)));
    if (cmp) {
        const json_t *counts = json_object_get(cmp, "counts");
        static const char *const changes[] = {"added", "changed", "removed"};
        for (size_t i = 0; i < 3; i++) {
            /* the removed are read in this version, the rest in the other */
            const char *in = i == 2 ? vid : with;
            json_t *rows = change_rows(&pg, coll, in, json_object_get(cmp, changes[i]));
            json_int_t n = json_integer_value(json_object_get(counts, changes[i]));
            json_object_set_new(d, changes[i],
                                json_pack("{s:o, s:I, s:b, s:b}", "rows", rows, "count", n,
                                          "has_rows", json_array_size(rows) > 0, "more",
                                          (json_int_t)json_array_size(rows) < n));
        }
        json_object_set_new(d, "compared", json_true());
        const json_t *to = json_object_get(cmp, "to");
        json_object_set_new(d, "other_at", json_string(page_local_time(
                                               &pg, json_string_value(json_object_get(to, "at")))));
        json_object_set_new(d, "other", json_pack("{s:s}", "href",
                                                  page_url(&pg, "/%s/%s/elements", coll, with)));
        const json_t *from = json_object_get(cmp, "from");
        json_object_set_new(d, "same", json_boolean(json_equal(json_object_get(from, "hash"),
                                                               json_object_get(to, "hash"))));
    }
    json_decref(cmp);
    const char *title = json_string_value(json_object_get(json_object_get(d, "version"), "name"));
    pg.nav = "architecture";
    page_render(&pg, 200, "version/compare", title);
}

void web_version_routes_for(struct web *w, struct router *rt, const char *collection)
{
    char suffix[160];
    snprintf(suffix, sizeof suffix, "/%s/{id}/elements", collection);
    web_route(rt, "GET", suffix, h_elements, w);
    snprintf(suffix, sizeof suffix, "/%s/{id}/elements/{element}", collection);
    web_route(rt, "GET", suffix, h_element, w);
    snprintf(suffix, sizeof suffix, "/%s/{id}/compare", collection);
    web_route(rt, "GET", suffix, h_compare, w);
}
