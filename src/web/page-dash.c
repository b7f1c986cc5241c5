/* The dashboards page: informatization objects by life-cycle stage and
 * kind, completeness per organisation, and overdue obligations per
 * organisation (for readers who may see deadlines), as SVG charts drawn
 * by the server, each with the same figures in a table. */
#include "web/internal.h"

#include "account/account.h"
#include "auth/authz.h"
#include "docs/documents.h"
#include "registry/listq.h"
#include "registry/registry.h"
#include "web/svg.h"

#include <stdlib.h>
#include <string.h>

#define TOP_ORGS 20 /* organisations in the completeness chart: those with most objects */

struct dash {
    struct page *pg;
    const struct model *m;
    const struct model_collection *coll;
    struct buf svg[3];
    struct err e;
};

static int query(struct dash *d, const struct listq_param *params, size_t n, struct list_query *q)
{
    return web_objects_query(d->pg, params, n, q, &d->e);
}

/* value → count of a facet. */
static json_t *facet(struct dash *d, const struct list_query *q, const char *field)
{
    json_t *f = NULL;
    if (registry_facets(d->pg->w->api->reg, d->pg->req->arena, q, field, &f, &d->e) < 0)
        return NULL;
    json_t *out = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "values"), i, v)
    {
        const char *value = json_string_value(json_object_get(v, "value"));
        if (value)
            json_object_set(out, value, json_object_get(v, "count"));
    }
    json_decref(f);
    return out;
}

/* The stage field (the workflow's stage_field) of the collection's kinds
 * and its enumeration; NULL when they have none. */
static const struct model_enum *stage_enum(const struct dash *d, const char **field)
{
    for (size_t i = 0; i < d->coll->n_kinds; i++) {
        const struct model_kind *k = model_kind(d->m, d->coll->kinds[i]);
        const struct model_workflow *wf = k ? k->workflow : NULL;
        const struct model_field *f =
            wf && wf->stage_field ? model_field(k, wf->stage_field) : NULL;
        if (f && f->enumeration) {
            *field = f->name;
            return f->enumeration;
        }
    }
    return NULL;
}

/* Objects by stage (rows) and kind (series): the chart and the table. */
static int by_stage_and_kind(struct dash *d)
{
    const char *stage_field = NULL;
    const struct model_enum *stages = stage_enum(d, &stage_field);
    size_t ns = stages ? stages->n_values : 0, nk = d->coll->n_kinds;
    double *values = calloc(ns * nk + 1, sizeof *values);
    const char **rows = calloc(ns + 1, sizeof *rows);
    const char **series = calloc(nk + 1, sizeof *series);
    struct page *pg = d->pg;
    json_t *table = json_array(), *head = json_array();
    int rc = 0;
    for (size_t k = 0; k < nk && rc == 0; k++) {
        const struct model_kind *kind = model_kind(d->m, d->coll->kinds[k]);
        series[k] = kind ? web_label(pg->lang, kind->label) : d->coll->kinds[k];
        json_array_append_new(head, json_string(series[k]));
        struct listq_param p = {"kind", d->coll->kinds[k]};
        struct list_query q;
        json_t *counts = NULL;
        if (!stage_field)
            break;
        if (query(d, &p, 1, &q) < 0 || !(counts = facet(d, &q, stage_field))) {
            rc = -1;
            break;
        }
        for (size_t s = 0; s < ns; s++)
            values[s * nk + k] =
                (double)json_integer_value(json_object_get(counts, stages->values[s].id));
        json_decref(counts);
    }
    for (size_t s = 0; s < ns && rc == 0; s++) {
        rows[s] = web_label(pg->lang, stages->values[s].label);
        const char *url =
            page_url(pg, "/registry?filter=%s:%s", stage_field, stages->values[s].id);
        json_t *cells = json_array();
        json_int_t sum = 0;
        for (size_t k = 0; k < nk; k++) {
            json_array_append_new(cells, json_integer((json_int_t)values[s * nk + k]));
            sum += (json_int_t)values[s * nk + k];
        }
        json_array_append_new(table, json_pack("{s:s, s:s, s:o, s:I}", "label", rows[s], "url",
                                               url, "cells", cells, "total", sum));
    }
    if (rc == 0) {
        struct svg_stack st = {page_tr(pg, TR("Informatization objects by life-cycle stage and kind")),
                               rows, ns, series, nk, values};
        svg_stacked(&d->svg[0], &st);
        json_object_set_new(pg->data, "stage_kind_head", head);
        json_object_set_new(pg->data, "stage_kind", table);
    } else {
        json_decref(head);
        json_decref(table);
    }
    free(values);
    free(rows);
    free(series);
    return rc;
}

/* The organisation's name on the page, and (lang, if not NULL) the tag of
 * its language when that is not the page's. */
static const char *org_name_lang(struct dash *d, const char *id, const char **lang)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    if (lang)
        *lang = NULL;
    if (registry_get_visible(d->pg->w->api->reg, &d->pg->actor, NULL, id, &rec, &e) < 0)
        return id;
    const char *name = arena_strdup(d->pg->req->arena,
                                    web_name(d->pg->lang, json_object_get(rec, "name")));
    if (lang)
        *lang = web_name_lang(d->pg->lang, json_object_get(rec, "name"));
    json_decref(rec);
    return *name ? name : id;
}

static const char *org_name(struct dash *d, const char *id)
{
    return org_name_lang(d, id, NULL);
}

/* Overdue obligations per organisation, when the visitor may read them;
 * NULL otherwise (the section is then not shown). */
static json_t *overdue_by_org(struct dash *d)
{
    json_t *list = NULL;
    struct err e = ERR_INIT;
    if (!d->pg->signed_in ||
        obligation_list(d->pg->w->api->acct, &d->pg->actor, NULL, NULL, "overdue", &list, &e) < 0)
        return NULL;
    json_t *counts = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(list, "items"), i, o)
    {
        const char *org = json_string_value(json_object_get(o, "debtor_org"));
        if (!org || !*org)
            org = "";
        json_int_t n = json_integer_value(json_object_get(counts, org));
        json_object_set_new(counts, org, json_integer(n + 1));
    }
    json_decref(list);
    return counts;
}

static int cmp_score(const void *a, const void *b)
{
    const struct svg_bar *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value;
}

/* Completeness of the organisations with most objects (bars sorted from
 * the least complete), with their overdue obligations. */
static int completeness(struct dash *d)
{
    struct page *pg = d->pg;
    struct list_query q;
    json_t *owners = NULL;
    if (query(d, NULL, 0, &q) < 0 ||
        registry_facets(pg->w->api->reg, pg->req->arena, &q, "owner", &owners, &d->e) < 0)
        return -1;
    json_t *overdue = overdue_by_org(d);
    json_t *table = json_array();
    struct svg_bar bars[TOP_ORGS];
    size_t n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(owners, "values"), i, v)
    {
        if (n == TOP_ORGS)
            break;
        const char *org = json_string_value(json_object_get(v, "value"));
        json_t *c = NULL;
        struct err e = ERR_INIT;
        if (!org || docs_org_completeness(pg->w->api->docs, &pg->actor, org, &c, &e) < 0)
            continue; /* an organisation the visitor may not see */
        json_t *sum = json_object_get(c, "summary");
        const char *name_lang;
        const char *name = org_name_lang(d, org, &name_lang);
        const char *url = page_url(pg, "/registry?owner=%s", org);
        json_int_t score = json_integer_value(json_object_get(sum, "score"));
        json_t *row = json_pack("{s:s, s:s, s:O, s:O, s:I, s:O}", "name", name, "url", url,
                                "objects", json_object_get(sum, "objects"), "complete",
                                json_object_get(sum, "complete"), "score", score,
                                "documents_missing", json_object_get(sum, "documents_missing"));
        if (name_lang)
            json_object_set_new(row, "name_lang", json_string(name_lang));
        if (overdue)
            json_object_set_new(row, "overdue",
                                json_integer(json_integer_value(json_object_get(overdue, org))));
        json_array_append_new(table, row);
        bars[n++] = (struct svg_bar){name, (double)score};
        json_decref(c);
    }
    json_decref(owners);
    qsort(bars, n, sizeof *bars, cmp_score);
    svg_bars(&d->svg[1], page_tr(pg, TR("Completeness per organisation, percent")), bars, n, 100,
             "%.0f%%");
    json_object_set_new(pg->data, "orgs", table);
    json_object_set_new(pg->data, "orgs_shown", json_integer((json_int_t)n));
    if (overdue) {
        struct svg_bar ob[TOP_ORGS];
        size_t k = 0;
        const char *org;
        json_object_foreach(overdue, org, v)
        {
            if (k == TOP_ORGS)
                break;
            ob[k++] = (struct svg_bar){*org ? org_name(d, org) : page_tr(pg, TR("Owed by a role")),
                                       (double)json_integer_value(v)};
        }
        svg_bars(&d->svg[2], page_tr(pg, TR("Overdue obligations per organisation")), ob, k, 0,
                 "%.0f");
        json_object_set_new(pg->data, "may_see_overdue", json_true());
        json_object_set_new(pg->data, "overdue_total", json_integer((json_int_t)json_object_size(overdue)));
        json_decref(overdue);
    }
    return 0;
}

static void h_dashboards(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "dashboards";
    struct dash d = {.pg = &pg, .m = pg.w->api->model, .e = ERR_INIT};
    d.coll = web_main_collection(d.m);
    for (int i = 0; i < 3; i++)
        buf_init(&d.svg[i], 0);
    int rc = d.coll ? 0 : -1;
    if (!d.coll)
        err_internal(&d.e, "the model has no records collection");
    if (rc == 0)
        rc = by_stage_and_kind(&d);
    if (rc == 0 && pg.w->api->docs)
        rc = completeness(&d);
    struct err re = ERR_INIT;
    if (pg.signed_in &&
        authz_check_everywhere(registry_rights(pg.w->api->reg), &pg.actor, RA_RULES_REPORT, &re) == 0)
        json_object_set_new(pg.data, "rules_url", json_string(page_url(&pg, "/rules")));
    json_t *scores = json_array(); /* the model's scores: a project's risk level */
    for (size_t i = 0; i < model_n_scores(d.m); i++) {
        const struct model_score *s = model_score_at(d.m, i);
        json_array_append_new(scores, json_pack("{s:s, s:s}", "text", web_label(pg.lang, s->label),
                                                "href", page_url(&pg, "/scores/%s", s->id)));
    }
    json_object_set_new(pg.data, "scores", scores);
    if (rc < 0)
        page_error(&pg, d.e.status, NULL);
    else {
        struct tpl_raw raw[3] = {{"chart_stage_kind", d.svg[0].p ? d.svg[0].p : "", d.svg[0].len},
                                 {"chart_completeness", d.svg[1].p ? d.svg[1].p : "", d.svg[1].len},
                                 {"chart_overdue", d.svg[2].p ? d.svg[2].p : "", d.svg[2].len}};
        page_render_raw(&pg, 200, "dashboards", page_tr(&pg, TR("Dashboards")), raw, 3);
    }
    for (int i = 0; i < 3; i++)
        buf_free(&d.svg[i]);
}

void web_dash_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/dashboards", h_dashboards, w);
}
