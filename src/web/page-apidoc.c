/* page-apidoc: the API reference as a page (issue 18 item 4), read from
 * the OpenAPI description itself (api/openapi.c): the operations by
 * subject, those on a collection once with "{collection}", then each
 * collection with its kinds of records and their fields — in the
 * reader's language, without scripts or anything from elsewhere. */
#include "web/internal.h"

#include "api/api.h"

#include <string.h>

static const struct {
    const char *tag, *label;
} TAGS[] = {
    {"model", TR("The model and this description")},
    {"records", TR("Records of a collection")},
    {"analyses", TR("Analyses")},
    {"interchange", TR("Interchange")},
    {"workflow", TR("Workflow and deadlines")},
    {"documents", TR("Documents")},
    {"accounts", TR("Accounts and sign-in")},
    {"notifications", TR("Notifications")},
    {"calendar", TR("Working-day calendar")},
};
#define N_TAGS (sizeof TAGS / sizeof *TAGS)

static const char *type_of(const json_t *s)
{
    const json_t *any = json_object_get(s, "anyOf");
    if (any)
        s = json_array_get(any, 0);
    const char *r = json_string_value(json_object_get(s, "$ref"));
    if (r)
        return strrchr(r, '/') ? strrchr(r, '/') + 1 : r;
    const char *f = json_string_value(json_object_get(s, "format"));
    if (f)
        return f;
    const json_t *t = json_object_get(s, "type");
    return json_is_string(t) ? json_string_value(t) : json_is_array(t) ? "string" : "";
}

/* One operation as the page lists it. */
static json_t *op_row(struct page *pg, const char *method, const char *path, const json_t *op)
{
    struct buf b;
    buf_init(&b, 4096);
    size_t i;
    const json_t *p;
    json_array_foreach (json_object_get(op, "parameters"), i, p)
        if (strcmp(json_string_value(json_object_get(p, "in")), "query") == 0)
            buf_printf(&b, "%s%s", b.len ? ", " : "", json_string_value(json_object_get(p, "name")));
    json_t *sec = json_object_get(op, "security");
    json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:b}", "method", method, "path", path, "summary",
                            page_tr(pg, json_string_value(json_object_get(op, "summary"))),
                            "query", b.p ? b.p : "", "public", sec != NULL);
    buf_free(&b);
    return row;
}

static void h_apidoc(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    struct err e = ERR_INIT;
    json_t *doc = api_openapi(pg.w->api, &e);
    if (!doc) {
        page_error(&pg, 500, NULL);
        return;
    }
    json_t *groups[N_TAGS];
    for (size_t t = 0; t < N_TAGS; t++)
        groups[t] = json_array();
    json_t *seen = json_object(); /* the collection operations shown once */
    const char *path;
    json_t *item;
    json_object_foreach (json_object_get(doc, "paths"), path, item) {
        const char *method;
        json_t *op;
        json_object_foreach (item, method, op) {
            const char *coll = json_string_value(json_object_get(op, "x-collection"));
            const char *tag = coll ? "records"
                                   : json_string_value(json_array_get(json_object_get(op, "tags"), 0));
            char upper[8];
            size_t n = 0;
            for (; method[n] && n < sizeof upper - 1; n++)
                upper[n] = (char)(method[n] - (method[n] >= 'a' && method[n] <= 'z' ? 32 : 0));
            upper[n] = '\0';
            const char *shown = path;
            if (coll) {
                size_t cl = strlen(coll);
                shown = arena_printf(req->arena, "/api/v1/{collection}%s", path + 8 + cl);
                char *key = arena_printf(req->arena, "%s %s", upper, shown);
                if (json_object_get(seen, key))
                    continue;
                json_object_set_new(seen, key, json_true());
            }
            for (size_t t = 0; t < N_TAGS; t++)
                if (tag && strcmp(TAGS[t].tag, tag) == 0)
                    json_array_append_new(groups[t], op_row(&pg, upper, shown, op));
        }
    }
    json_decref(seen);
    json_t *sections = json_array();
    for (size_t t = 0; t < N_TAGS; t++)
        if (json_array_size(groups[t]))
            json_array_append_new(sections, json_pack("{s:s, s:s, s:o}", "id", TAGS[t].tag,
                                                      "label", page_tr(&pg, TAGS[t].label), "ops",
                                                      groups[t]));
        else
            json_decref(groups[t]);
    /* the collections, their kinds and fields */
    json_t *colls = json_array();
    const json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    const struct model *m = pg.w->api->model;
    for (size_t i = 0; i < model_n_collections(m); i++) {
        const struct model_collection *c = model_collection_at(m, i);
        json_t *kinds = json_array();
        for (size_t k = 0; k < c->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, c->kinds[k]);
            json_t *fields = json_array();
            const char *name;
            json_t *s;
            json_object_foreach (json_object_get(json_object_get(schemas, c->kinds[k]),
                                                 "properties"),
                                 name, s) {
                const struct model_field *f = kd ? model_field(kd, name) : NULL;
                const json_t *en = json_object_get(json_object_get(s, "anyOf") ? json_array_get(json_object_get(s, "anyOf"), 0) : s, "enum");
                struct buf vals;
                buf_init(&vals, 1u << 16);
                size_t j;
                const json_t *v;
                json_array_foreach (en, j, v)
                    buf_printf(&vals, "%s%s", vals.len ? ", " : "", json_string_value(v));
                json_array_append_new(
                    fields, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "label",
                                      f ? web_label(pg.lang, f->label) : "", "type", type_of(s),
                                      "values", vals.p ? vals.p : ""));
                buf_free(&vals);
            }
            json_array_append_new(kinds, json_pack("{s:s, s:s, s:o}", "id", c->kinds[k], "label",
                                                   kd ? web_label(pg.lang, kd->label) : "",
                                                   "fields", fields));
        }
        json_array_append_new(colls, json_pack("{s:s, s:s, s:o}", "id", c->id, "label",
                                               web_label(pg.lang, c->label), "kinds", kinds));
    }
    json_object_set_new(pg.data, "sections", sections);
    json_object_set_new(pg.data, "collections", colls);
    json_decref(doc);
    pg.nav = "help";
    page_render(&pg, 200, "apidoc", page_tr(&pg, TR("API reference")));
}

void web_apidoc_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/api-reference", h_apidoc, w);
}
