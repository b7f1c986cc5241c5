/* The duplication and reuse page (issue 16 item 2, REQ ARC-13, ARC-17,
 * MON-03): GET /{lang}/duplicates?kind=&min= — the ranked pairs of records
 * of different bodies that do the same (automate the same function, write
 * the same data) or are described alike, each with its reason and the
 * suggestion of reuse, as the model's "duplicates" section declares them
 * (registry/dups.h). Every reader sees only pairs of records they may
 * read. */
#include "web/internal.h"

#include "registry/dups.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

/* {text, href?, name_lang?, body?} of a pair's record or a shared one. */
static json_t *rec_link(struct page *pg, const json_t *ref)
{
    json_t *o = page_ref_link(pg, ref);
    const char *body = web_name(pg->lang, json_object_get(ref, "owner_name"));
    if (*body)
        json_object_set_new(o, "body", json_string(body));
    return o;
}

/* A pair as a row of the table: both records, the reasons, the suggestion. */
static json_t *dups_row(struct page *pg, json_t *pair)
{
    const struct model *m = pg->w->api->model;
    api_dups_suggest(pg->w->api, pair, pg->lang);
    json_t *reasons = json_array();
    size_t j;
    json_t *sh;
    json_array_foreach (json_object_get(pair, "shared"), j, sh) {
        const struct model_kind *rk =
            model_kind(m, json_string_value(json_object_get(sh, "relation")));
        json_t *l = rec_link(pg, json_object_get(sh, "record"));
        json_object_set_new(l, "relation", json_string(rk ? web_label(pg->lang, rk->label) : ""));
        json_array_append_new(reasons, l);
    }
    const json_t *ts = json_object_get(pair, "text_score");
    json_t *row = json_pack("{s:o, s:o, s:o, s:s?}", "a", rec_link(pg, json_object_get(pair, "a")),
                            "b", rec_link(pg, json_object_get(pair, "b")), "reasons", reasons,
                            "suggestion", json_string_value(json_object_get(pair, "suggestion")));
    if (ts)
        json_object_set_new(row, "alike", json_string(arena_printf(pg->req->arena, "%.0f %%",
                                                                   100 * json_number_value(ts))));
    return row;
}

void page_control_section(struct page *pg, const struct model_kind *k, const json_t *rec)
{
    const struct model_duplicates *d = model_duplicates(pg->w->api->model);
    if (!model_dup_control(d, k->id))
        return;
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_duplicates_about(pg->w->api->reg, &pg->actor, rec, &out, &e) < 0)
        return; /* the word index not built yet: the card goes without */
    json_t *rows = json_array();
    size_t i, j;
    json_t *it, *like;
    json_array_foreach (json_object_get(out, "items"), i, it)
        json_array_foreach (json_object_get(it, "likes"), j, like) {
            json_t *pair = api_dups_about_pair(it, like);
            json_array_append_new(rows, dups_row(pg, pair));
            json_decref(pair);
        }
    json_object_set_new(pg->data, "control",
                        json_pack("{s:o, s:b, s:I}", "rows", rows, "has_rows",
                                  json_array_size(rows) > 0, "records",
                                  (json_int_t)json_array_size(json_object_get(out, "items"))));
    json_decref(out);
}

static void h_dups(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model *m = pg.w->api->model;
    const struct model_duplicates *dd = model_duplicates(m);
    if (!dd) {
        page_error(&pg, 404, NULL);
        return;
    }
    const char *kind = http_req_query(req, "kind"), *ms = http_req_query(req, "min");
    if (kind && !*kind)
        kind = NULL;
    struct dups_query q = {kind, 0, 100};
    if (ms && *ms && (!text_fraction(ms, &q.min) || q.min < 0.5)) {
        page_error(&pg, 400, page_tr(&pg, TR("The likeness must be a number from 0.5 to 1.")));
        return;
    }
    json_t *out = NULL;
    struct err e = ERR_INIT;
    if (registry_duplicates(pg.w->api->reg, &pg.actor, &q, &out, &e) < 0) {
        page_error(&pg, e.status ? e.status : 500, e.status ? page_err_text(&pg, &e) : NULL);
        return;
    }
    json_t *kinds = json_array(), *rows = json_array();
    json_array_append_new(kinds, json_pack("{s:s, s:s, s:b}", "value", "", "text",
                                           page_tr(&pg, TR("All kinds")), "selected", !kind));
    for (size_t i = 0; i < dd->n_kinds; i++)
        json_array_append_new(kinds, json_pack("{s:s, s:s, s:b}", "value", dd->kinds[i]->id, "text",
                                               web_label(pg.lang, dd->kinds[i]->label), "selected",
                                               kind && strcmp(kind, dd->kinds[i]->id) == 0));
    size_t i;
    json_t *pair;
    json_array_foreach (json_object_get(out, "items"), i, pair)
        json_array_append_new(rows, dups_row(&pg, pair));
    json_t *d = pg.data;
    json_object_set_new(d, "kinds", kinds);
    json_object_set_new(d, "has_rows", json_boolean(json_array_size(rows) > 0));
    json_object_set_new(d, "rows", rows);
    json_object_set_new(d, "count", json_incref(json_object_get(out, "count")));
    json_object_set_new(d, "min", json_string(arena_printf(pg.req->arena, "%.2f",
                                                           json_number_value(json_object_get(out, "min")))));
    json_object_set_new(d, "truncated", json_boolean(json_is_true(json_object_get(out, "truncated"))));
    json_object_set_new(d, "action", json_string(page_url(&pg, "/duplicates")));
    json_decref(out);
    pg.nav = "architecture";
    page_render(&pg, 200, "duplicates", page_tr(&pg, TR("Duplication and reuse")));
}

void web_dups_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/duplicates", h_dups, w);
}
