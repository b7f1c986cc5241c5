/* The architecture page (/{lang}/architecture, issue 15): where the
 * layout's menu entry "Architecture" leads. It lists the collections the
 * model marks for the menu ("menu": true) that the visitor may read — for
 * the public those whose kinds are not all read only when signed in, such
 * as the e-services catalogue — each with its label and its list's link.
 * Above them, for everyone, the architecture as approved and published:
 * the latest published version of the collections whose kinds freeze it
 * ("snapshot"), and the earlier ones (page-version.c reads them).
 * The model says which; no collection is named here. */
#include "web/internal.h"

#include "auth/authz.h"
#include "registry/listq.h"

#include <string.h>

/* The published versions of collection mc (its kinds freeze the
 * architecture: "snapshot"), newest first: [{name, at, elements_url,
 * download_url}] (at most 20). */
static void published_versions(struct page *pg, const struct model_collection *mc, json_t *into)
{
    const struct model *m = pg->w->api->model;
    const struct model_kind *k = NULL;
    for (size_t i = 0; i < mc->n_kinds && !k; i++) {
        const struct model_kind *kd = model_kind(m, mc->kinds[i]);
        if (kd && kd->snapshot && kd->workflow)
            k = kd;
    }
    const struct model_workflow *wf = k ? k->workflow : NULL;
    for (size_t s = 0; wf && s < wf->n_states; s++) {
        if (!wf->states[s].published)
            continue;
        struct listq_param params[] = {
            {"limit", "20"},
            {"sort", "-updated_at"},
            {"filter", arena_printf(pg->req->arena, "%s:%s", wf->status_field, wf->states[s].id)}};
        struct list_query q;
        json_t *list = NULL;
        struct err e = ERR_INIT;
        if (web_list_query(pg, mc, params, 3, &q, &e) < 0 ||
            registry_list(pg->w->api->reg, pg->req->arena, &q, &list, &e) < 0)
            continue;
        size_t i;
        json_t *rec;
        json_array_foreach (json_object_get(list, "items"), i, rec) {
            const char *id = json_string_value(json_object_get(rec, "id"));
            const char *name = web_name(pg->lang, json_object_get(rec, "name"));
            if (!id || !json_string_value(json_object_get(rec, k->snapshot->at)))
                continue;
            json_array_append_new(
                into, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", *name ? name : id, "at",
                                page_local_time(pg, json_string_value(
                                                        json_object_get(rec, k->snapshot->at))),
                                "card_url", page_url(pg, "/%s/%s", mc->id, id), "elements_url",
                                page_url(pg, "/%s/%s/elements", mc->id, id), "download_url",
                                arena_printf(pg->req->arena, "/api/v1/%s/%s/content", mc->id, id)));
        }
        json_decref(list);
    }
}

static void h_arch(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    const struct model *m = pg.w->api->model;
    json_t *colls = json_array();
    for (size_t c = 0; c < model_n_collections(m); c++) {
        const struct model_collection *mc = model_collection_at(m, c);
        bool readable = false;
        for (size_t k = 0; mc->menu && mc->type == COLL_RECORDS && k < mc->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, mc->kinds[k]);
            readable |= kd && (pg.signed_in || !kd->read_signed_in);
        }
        if (readable)
            json_array_append_new(colls, json_pack("{s:s, s:s}", "label",
                                                   web_label(pg.lang, mc->label), "url",
                                                   page_url(&pg, "/%s", mc->id)));
    }
    /* the published versions, collection by collection of the kinds that
     * freeze the architecture: the one in force and the earlier ones */
    json_t *groups = json_array();
    for (size_t c = 0; c < model_n_collections(m); c++) {
        const struct model_collection *mc = model_collection_at(m, c);
        bool frozen = false;
        for (size_t k = 0; k < mc->n_kinds; k++) {
            const struct model_kind *kd = model_kind(m, mc->kinds[k]);
            frozen |= kd && kd->snapshot;
        }
        if (!frozen)
            continue;
        json_t *published = json_array();
        published_versions(&pg, mc, published);
        json_t *g = json_pack("{s:s}", "label", web_label(pg.lang, mc->label));
        json_t *latest = json_array_get(published, 0);
        if (latest)
            json_object_set_new(g, "latest", json_incref(latest));
        json_array_remove(published, 0);
        json_object_set_new(g, "has_earlier", json_boolean(json_array_size(published) > 0));
        json_object_set_new(g, "earlier", published);
        json_array_append_new(groups, g);
    }
    json_object_set_new(pg.data, "published", groups);
    if (pg.signed_in) {
        /* the analyses of the working architecture (issue 16) */
        json_t *an = json_array();
        struct err re = ERR_INIT;
        if (authz_check_everywhere(registry_rights(pg.w->api->reg), &pg.actor, RA_RULES_REPORT,
                                   &re) == 0)
            json_array_append_new(an, json_pack("{s:s, s:s}", "label",
                                                page_tr(&pg, TR("Checks of the architecture")),
                                                "url", page_url(&pg, "/rules")));
        if (model_duplicates(m))
            json_array_append_new(an, json_pack("{s:s, s:s}", "label",
                                                page_tr(&pg, TR("Duplication and reuse")), "url",
                                                page_url(&pg, "/duplicates")));
        if (model_gap_analysis(m))
            json_array_append_new(an, json_pack("{s:s, s:s}", "label",
                                                page_tr(&pg, TR("Target architecture: the gap report")),
                                                "url", page_url(&pg, "/gaps")));
        json_object_set_new(pg.data, "analyses", an);
    }
    json_object_set_new(pg.data, "has_collections", json_boolean(json_array_size(colls) > 0));
    json_object_set_new(pg.data, "collections", colls);
    pg.nav = "architecture";
    page_render(&pg, 200, "architecture", page_tr(&pg, TR("Architecture of e-government")));
}

void web_arch_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/architecture", h_arch, w);
}
