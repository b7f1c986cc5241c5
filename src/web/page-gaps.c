/* The gap report page (issue 16, REQ ARC-11, ARC-12): the target
 * architecture as the as-is with the initiatives applied, element by
 * element (GET /{lang}/gaps?collection=&effect=&domain=, and the same as
 * /{lang}/gaps.csv), for signed-in users, who read the initiatives. */
#include "web/internal.h"

#include "arch/arch.h"
#include "util/buf.h"
#include "util/text.h"

#include <string.h>

/* The effects of the gap matrix, in the report's order. */
static const struct {
    const char *id, *label;
} EFFECTS[] = {
    {"remove", TR("Removed")},
    {"replace", TR("Replaced")},
    {"enhance", TR("Enhanced")},
    {"new", TR("New")},
};

const char *web_gap_effect_label(struct page *pg, const char *id)
{
    for (size_t i = 0; id && i < sizeof EFFECTS / sizeof EFFECTS[0]; i++)
        if (strcmp(EFFECTS[i].id, id) == 0)
            return page_tr(pg, EFFECTS[i].label);
    return id ? id : "";
}

static const char *kind_label(struct page *pg, const json_t *ref)
{
    const struct model_kind *k =
        model_kind(pg->w->api->model, json_string_value(json_object_get(ref, "kind")));
    return k ? web_label(pg->lang, k->label) : "";
}

/* The initiative type's label. */
static const char *type_label(struct page *pg, const json_t *init)
{
    const struct model_gap_analysis *g = model_gap_analysis(pg->w->api->model);
    const struct model_field *f = g ? model_field(g->kind, g->type) : NULL;
    const char *v = json_string_value(json_object_get(init, "type"));
    return f && v ? page_enum_label(pg, f->enumeration, v) : v ? v : "";
}

/* The query's value of `name`, NULL when absent or empty. */
static const char *chosen(struct page *pg, const char *name)
{
    const char *v = http_req_query(pg->req, name);
    return v && *v ? v : NULL;
}

/* The report for the page or its file; NULL when the page has answered. */
static json_t *report_of(struct page *pg, struct arch_gap_query *q)
{
    struct err e = ERR_INIT;
    json_t *out = NULL;
    if (!pg->signed_in) {
        page_error(pg, 401, NULL);
        return NULL;
    }
    /* the form's "all" choices send an empty value */
    *q = (struct arch_gap_query){chosen(pg, "collection"), http_req_query(pg->req, "domain"),
                                 chosen(pg, "effect")};
    if (q->domain && !text_id_valid(q->domain)) {
        page_error(pg, 400, NULL);
        return NULL;
    }
    if (arch_gaps(pg->w->api->reg, &pg->actor, q, &out, &e) < 0) {
        page_error(pg, e.status, NULL);
        return NULL;
    }
    return out;
}

/* The collections whose kinds initiatives may affect, as choices. */
static json_t *collection_choices(struct page *pg, const char *current)
{
    const struct model *m = pg->w->api->model;
    const struct model_gap_analysis *g = model_gap_analysis(m);
    const struct model_field *t = model_field(g->relation, "target");
    json_t *out = json_array(), *seen = json_object();
    json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", "", "text",
                                         page_tr(pg, TR("All elements")), "selected", !current));
    for (size_t i = 0; t && i < t->n_ref_kinds; i++) {
        const struct model_kind *k = model_kind(m, t->ref_kinds[i]);
        const struct model_collection *c = k ? model_collection(m, k->collection) : NULL;
        if (!c || json_object_get(seen, c->id))
            continue;
        json_object_set_new(seen, c->id, json_true());
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", c->id, "text",
                                             web_label(pg->lang, c->label), "selected",
                                             current && strcmp(current, c->id) == 0));
    }
    json_decref(seen);
    return out;
}

static json_t *effect_choices(struct page *pg, const char *current)
{
    json_t *out = json_array();
    json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", "", "text",
                                         page_tr(pg, TR("Every change")), "selected", !current));
    for (size_t i = 0; i < sizeof EFFECTS / sizeof EFFECTS[0]; i++)
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "value", EFFECTS[i].id, "text",
                                             page_tr(pg, EFFECTS[i].label), "selected",
                                             current && strcmp(current, EFFECTS[i].id) == 0));
    return out;
}

/* "?collection=…&domain=…&effect=…" of the page's filters ("" when none);
 * checked by the report (known collection and effect, a record id). */
static const char *query_of(struct page *pg, const struct arch_gap_query *q)
{
    const char *s = arena_printf(
        pg->req->arena, "%s%s%s%s%s%s", q->collection ? "&collection=" : "",
        q->collection ? q->collection : "", q->domain ? "&domain=" : "", q->domain ? q->domain : "",
        q->effect ? "&effect=" : "", q->effect ? q->effect : "");
    return *s ? arena_printf(pg->req->arena, "?%s", s + 1) : "";
}

static void h_gaps(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "dashboards";
    struct arch_gap_query q;
    json_t *report = report_of(&pg, &q);
    if (!report)
        return;
    json_t *rows = json_array(), *counts = json_array();
    size_t i, j;
    json_t *it, *x;
    json_array_foreach (json_object_get(report, "items"), i, it) {
        const json_t *el = json_object_get(it, "element");
        json_t *inits = json_array(), *repl = json_array();
        json_array_foreach (json_object_get(it, "initiatives"), j, x) {
            json_t *l = page_ref_link(&pg, x);
            json_object_set_new(l, "type", json_string(type_label(&pg, x)));
            json_array_append_new(inits, l);
        }
        json_array_foreach (json_object_get(it, "replaced_by"), j, x)
            json_array_append_new(repl, page_ref_link(&pg, x));
        json_array_append_new(
            rows,
            json_pack("{s:o, s:s, s:s, s:s, s:o, s:o, s:b}", "element", page_ref_link(&pg, el), "kind",
                      kind_label(&pg, el), "effect",
                      web_gap_effect_label(&pg, json_string_value(json_object_get(it, "effect"))),
                      "effect_id", json_string_value(json_object_get(it, "effect")), "initiatives",
                      inits, "replaced_by", repl, "has_replacement", json_array_size(repl) > 0));
    }
    for (size_t k = 0; k < sizeof EFFECTS / sizeof EFFECTS[0]; k++) {
        struct arch_gap_query one = q;
        one.effect = EFFECTS[k].id;
        json_array_append_new(
            counts, json_pack("{s:s, s:I, s:s}", "text", page_tr(&pg, EFFECTS[k].label), "count",
                              json_integer_value(json_object_get(json_object_get(report, "counts"),
                                                                 EFFECTS[k].id)),
                              "href", page_url(&pg, "/gaps%s", query_of(&pg, &one))));
    }
    json_object_set_new(pg.data, "rows", rows);
    json_object_set_new(pg.data, "has_rows", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(pg.data, "counts", counts);
    json_object_set_new(
        pg.data, "n_initiatives",
        json_integer((json_int_t)json_array_size(json_object_get(report, "initiatives"))));
    json_object_set_new(pg.data, "collections", collection_choices(&pg, q.collection));
    json_object_set_new(pg.data, "effects", effect_choices(&pg, q.effect));
    if (q.domain)
        json_object_set_new(pg.data, "domain", json_string(q.domain));
    json_object_set_new(pg.data, "csv_url",
                        json_string(page_url(&pg, "/gaps.csv%s", query_of(&pg, &q))));
    json_object_set_new(pg.data, "action", json_string(page_url(&pg, "/gaps")));
    json_decref(report);
    page_render(&pg, 200, "gaps", page_tr(&pg, TR("Target architecture: the gap report")));
}

/* The gap report as a spreadsheet: a row per element and initiative. */
static void h_gaps_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    struct arch_gap_query q;
    struct page_csv csv;
    json_t *report = report_of(&pg, &q);
    if (!report)
        return;
    if (page_csv_begin(&pg, &csv) < 0) {
        json_decref(report);
        return;
    }
    const char *head[] = {page_tr(&pg, TR("Element")),    page_tr(&pg, TR("Identifier")),
                          page_tr(&pg, TR("Kind")),       page_tr(&pg, TR("Change")),
                          page_tr(&pg, TR("Initiative")), page_tr(&pg, TR("Kind of initiative")),
                          page_tr(&pg, TR("Replaced by"))};
    size_t n = sizeof head / sizeof head[0], i, j, k;
    web_csv_row(csv.f, head, n, csv.sep);
    json_t *it, *x, *y;
    json_array_foreach (json_object_get(report, "items"), i, it) {
        const json_t *el = json_object_get(it, "element");
        struct buf repl;
        buf_init(&repl, 64);
        json_array_foreach (json_object_get(it, "replaced_by"), k, y)
            buf_printf(&repl, "%s%s", k ? "; " : "", web_name(pg.lang, json_object_get(y, "name")));
        json_array_foreach (json_object_get(it, "initiatives"), j, x) {
            const char *row[] = {
                web_name(pg.lang, json_object_get(el, "name")),
                json_string_value(json_object_get(el, "id")),
                kind_label(&pg, el),
                web_gap_effect_label(&pg, json_string_value(json_object_get(it, "effect"))),
                web_name(pg.lang, json_object_get(x, "name")),
                type_label(&pg, x),
                repl.p ? repl.p : "",
            };
            web_csv_row(csv.f, row, n, csv.sep);
        }
        buf_free(&repl);
    }
    json_decref(report);
    page_csv_send(&pg, &csv, "gaps");
}

void web_gaps_routes(struct web *w, struct router *rt)
{
    if (!model_gap_analysis(w->api->model))
        return;
    web_route(rt, "GET", "/gaps", h_gaps, w);
    web_route(rt, "GET", "/gaps.csv", h_gaps_csv, w);
}
