/* The rules page: the integrator's view of the report on the model's rules
 * (REQ REG-08…REG-10, LC-01, LC-03; GET /api/v1/rules): per rule, what it
 * asks, when it took effect, how many records it applies to and keep it,
 * and the records that break it, each linked to its card. For holders of
 * rules-report only, like the API. */
#include "web/internal.h"

#include "util/buf.h"

#include "auth/authz.h"
#include "calendar/calsvc.h"
#include "registry/registry.h"
#include "util/timeutil.h"

#include <string.h>

/* A record's name and card link, or its id when the visitor cannot read it. */
static json_t *record_link(struct page *pg, const char *id)
{
    json_t *rec = NULL;
    struct err e = ERR_INIT;
    json_t *o = json_pack("{s:s}", "text", id ? id : "");
    if (!id || registry_get_visible(pg->w->api->reg, &pg->actor, NULL, id, &rec, &e) < 0)
        return o;
    const struct model_kind *k =
        model_kind(pg->w->api->model, json_string_value(json_object_get(rec, "kind")));
    const char *name = web_name(pg->lang, json_object_get(rec, "name"));
    if (*name)
        json_object_set_new(o, "text", json_string(name));
    if (k && !k->is_relation)
        json_object_set_new(o, "href", json_string(page_url(pg, "/%s/%s", k->collection, id)));
    json_decref(rec);
    return o;
}

/* The label of field `name` of the kind `kind` ("" when unknown). */
static const char *field_label(struct page *pg, const char *kind, const char *name)
{
    const struct model_kind *k = kind ? model_kind(pg->w->api->model, kind) : NULL;
    const struct model_field *f = k && name ? model_field(k, name) : NULL;
    return f ? web_label(pg->lang, f->label) : name ? name : "";
}

/* What a violator must put right: the field, or the relation it lacks
 * (named as read from the record: out of it or into it). */
static const char *violator_fix(struct page *pg, const json_t *v)
{
    const char *rel = json_string_value(json_object_get(v, "relation"));
    const struct model_kind *k = rel ? model_kind(pg->w->api->model, rel) : NULL;
    if (k) {
        const char *dir = json_string_value(json_object_get(v, "direction"));
        bool in = dir && strcmp(dir, "in") == 0;
        return web_label(pg->lang, in ? k->inverse_label : k->label);
    }
    return field_label(pg, json_string_value(json_object_get(v, "kind")),
                       json_string_value(json_object_get(v, "field")));
}

/* The architecture's layers a rule names (model key "layer"). */
static const struct {
    const char *id, *label;
} LAYERS[] = {
    {"activity", TR("Activity")},
    {"data", TR("Data")},
    {"systems", TR("Information systems")},
    {"infrastructure", TR("ICT infrastructure")},
};

static const char *layer_label(struct page *pg, const char *id)
{
    for (size_t i = 0; id && i < sizeof LAYERS / sizeof LAYERS[0]; i++)
        if (strcmp(LAYERS[i].id, id) == 0)
            return page_tr(pg, LAYERS[i].label);
    return id ? id : "";
}

/* Links to the report of each layer, the current one marked. */
static json_t *layer_links(struct page *pg, const char *current)
{
    json_t *out = json_array();
    json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "text", page_tr(pg, TR("All layers")),
                                         "href", page_url(pg, "/rules"), "current", !current));
    for (size_t i = 0; i < sizeof LAYERS / sizeof LAYERS[0]; i++)
        json_array_append_new(out,
                              json_pack("{s:s, s:s, s:b}", "text", page_tr(pg, LAYERS[i].label),
                                        "href", page_url(pg, "/rules?layer=%s", LAYERS[i].id),
                                        "current", current && strcmp(current, LAYERS[i].id) == 0));
    return out;
}

static json_t *rule_item(struct page *pg, const json_t *it)
{
    const char *id = json_string_value(json_object_get(it, "rule"));
    const struct model_rule *r = NULL;
    for (size_t i = 0; id && i < model_n_rules(pg->w->api->model); i++)
        if (strcmp(model_rule_at(pg->w->api->model, i)->id, id) == 0)
            r = model_rule_at(pg->w->api->model, i);
    json_t *violators = json_array();
    size_t i;
    json_t *v;
    const struct model_findings *fd = model_rule_findings(pg->w->api->model);
    json_array_foreach (json_object_get(it, "violators"), i, v) {
        const char *vid = json_string_value(json_object_get(v, "id"));
        const char *owner = json_string_value(json_object_get(v, "owner"));
        json_t *row = json_pack("{s:o, s:o, s:s}", "record", record_link(pg, vid), "owner",
                                record_link(pg, owner), "field", violator_fix(pg, v));
        /* architectural supervision: hand it to its owner to correct */
        if (fd && vid && owner && id &&
            authz_may(registry_rights(pg->w->api->reg), &pg->actor, RA_CREATE, fd->kind->id, owner))
            json_object_set_new(row, "assign_href",
                                json_string(page_url(pg, "/%s/new?kind=%s&%s=%s&%s=%s&owner=%s",
                                                     fd->kind->collection, fd->kind->id, fd->about,
                                                     vid, fd->rule, id, owner)));
        json_array_append_new(violators, row);
    }
    json_int_t applicable = json_integer_value(json_object_get(it, "applicable"));
    json_int_t compliant = json_integer_value(json_object_get(it, "compliant"));
    json_t *o = json_pack(
        "{s:s, s:s, s:s?, s:b, s:I, s:I, s:I, s:I, s:o, s:b}", "id", id,
        "label", web_name(pg->lang, json_object_get(it, "label")), "requirement",
        json_string_value(json_object_get(it, "requirement")), "warning",
        strcmp(json_string_value(json_object_get(it, "severity")), "warning") == 0, "applicable",
        applicable, "compliant", compliant, "broken", applicable - compliant, "percent",
        json_integer_value(json_object_get(it, "compliant_percent")), "violators", violators,
        "has_violators", json_array_size(violators) > 0);
    json_object_set_new(
        o, "layer", json_string(layer_label(pg, json_string_value(json_object_get(it, "layer")))));
    if (r && r->in_force.from)
        json_object_set_new(o, "in_force_from", json_string(r->in_force.from));
    if (r && r->in_force.until)
        json_object_set_new(o, "in_force_until", json_string(r->in_force.until));
    if ((json_int_t)json_array_size(violators) < applicable - compliant) {
        json_object_set_new(o, "listed", json_integer((json_int_t)json_array_size(violators)));
        if (!http_req_query(pg->req, "rule"))
            json_object_set_new(o, "rule_href", json_string(page_url(pg, "/rules?rule=%s", id)));
    }
    json_t *groups = json_array(), *trend = json_array(), *g;
    json_array_foreach (json_object_get(it, "by"), i, g) {
        const char *gid = json_string_value(json_object_get(g, "id"));
        json_t *link = gid ? record_link(pg, gid) : json_pack("{s:s}", "text", page_tr(pg, TR("None")));
        json_int_t app = json_integer_value(json_object_get(g, "applicable"));
        json_int_t ok = json_integer_value(json_object_get(g, "compliant"));
        /* the group's share kept on its last recorded days */
        struct buf tb;
        buf_init(&tb, 4096);
        const json_t *gt = json_object_get(g, "trend");
        size_t nt = json_array_size(gt);
        for (size_t d = nt > 7 ? nt - 7 : 0; d < nt; d++) {
            const json_t *t = json_array_get(gt, d);
            buf_printf(&tb, "%s%s: %lld %%", tb.len ? ", " : "",
                       json_string_value(json_object_get(t, "day")),
                       (long long)json_integer_value(json_object_get(t, "compliant_percent")));
        }
        json_array_append_new(groups, json_pack("{s:o, s:I, s:I, s:I, s:O, s:s}", "group", link,
                                                "applicable", app, "compliant", ok, "broken",
                                                app - ok, "percent",
                                                json_object_get(g, "compliant_percent"), "trend",
                                                tb.p ? tb.p : ""));
        buf_free(&tb);
    }
    json_array_foreach (json_object_get(it, "trend"), i, g)
        json_array_append(trend, g);
    json_object_set_new(o, "has_groups", json_boolean(json_array_size(groups) > 0));
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "has_trend", json_boolean(json_array_size(trend) > 0));
    json_object_set_new(o, "trend", trend);
    return o;
}

/* "?layer=…&rule=…&by=…" of the report's page and files ("" when none):
 * each was checked by the report (known ids). */
static const char *report_query(struct page *pg, const char *layer, const char *rule,
                                const char *by)
{
    const char *q = arena_printf(pg->req->arena, "%s%s%s%s%s%s", layer ? "&layer=" : "",
                                 layer ? layer : "", rule ? "&rule=" : "", rule ? rule : "",
                                 by ? "&by=" : "", by ? by : "");
    return *q ? arena_printf(pg->req->arena, "?%s", q + 1) : "";
}

static json_t *by_link(struct page *pg, const char *text, const struct registry_rules_filter *only,
                       const char *by)
{
    bool cur = by && only->by ? strcmp(by, only->by) == 0 : !by && !only->by;
    return json_pack("{s:s, s:s, s:b}", "text", text, "href",
                     page_url(pg, "/rules%s", report_query(pg, only->layer, only->rule, by)),
                     "current", cur);
}

/* The report's groupings: all records, by owner (the body), by each kind
 * of the model's rule_report (e.g. domain); the current one marked. */
static json_t *by_links(struct page *pg, const struct registry_rules_filter *only)
{
    const struct model *m = pg->w->api->model;
    json_t *out = json_array();
    json_array_append_new(out, by_link(pg, page_tr(pg, TR("All records")), only, NULL));
    if (model_owner_kind(m))
        json_array_append_new(out, by_link(pg, page_tr(pg, TR("By state body")), only, "owner"));
    for (size_t i = 0; i < model_n_rule_groups(m); i++) {
        const struct model_rule_group *g = model_rule_group_at(m, i);
        const struct model_collection *c = model_collection(m, g->kind->collection);
        json_array_append_new(
            out, by_link(pg, c ? web_label(pg->lang, c->label) : g->kind->id, only, g->kind->id));
    }
    return out;
}

/* The report for the page or its files (?layer=, ?by=), for holders of
 * rules-report; NULL when the page has answered with an error. */
static json_t *report_of(struct page *pg, struct registry_rules_filter *only, size_t listed)
{
    struct err e = ERR_INIT;
    json_t *report = NULL;
    if (!pg->signed_in) {
        page_error(pg, 401, NULL);
        return NULL;
    }
    *only = (struct registry_rules_filter){http_req_query(pg->req, "layer"),
                                           http_req_query(pg->req, "rule"),
                                           http_req_query(pg->req, "by"), listed};
    if (authz_check_everywhere(registry_rights(pg->w->api->reg), &pg->actor, RA_RULES_REPORT,
                               &e) < 0 ||
        registry_rules_report(pg->w->api->reg, &pg->actor, calsvc_local_day_cb, pg->w->api->cal,
                              only, &report, &e) < 0) {
        page_error(pg, e.status, NULL);
        return NULL;
    }
    return report;
}

static void h_rules(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    pg.nav = "dashboards";
    /* ?layer=: the gap lists of one layer of the architecture; ?by=: by
     * state body or by a grouping of the model (domain) */
    struct registry_rules_filter only;
    json_t *report = report_of(&pg, &only, 0);
    if (!report)
        return;
    json_t *items = json_array();
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get(report, "items"), i, it)
        json_array_append_new(items, rule_item(&pg, it));
    json_decref(report);
    json_object_set_new(pg.data, "rules", items);
    json_object_set_new(pg.data, "layers", layer_links(&pg, only.layer));
    json_object_set_new(pg.data, "groupings", by_links(&pg, &only));
    const char *q = report_query(&pg, only.layer, only.rule, only.by);
    json_object_set_new(pg.data, "csv_url", json_string(page_url(&pg, "/rules.csv%s", q)));
    json_object_set_new(pg.data, "xlsx_url", json_string(page_url(&pg, "/rules.xlsx%s", q)));
    json_object_set_new(pg.data, "broken_xlsx_url",
                        json_string(page_url(&pg, "/rules-broken.xlsx%s", q)));
    json_object_set_new(pg.data, "broken_csv_url",
                        json_string(page_url(&pg, "/rules-broken.csv%s", q)));
    page_render(&pg, 200, "rules", page_tr(&pg, TR("Compliance with the Rules")));
}

/* A count as CSV text (in the request's arena). */
static const char *count_text(struct page *pg, const json_t *v)
{
    return arena_printf(pg->req->arena, "%lld", (long long)json_integer_value(v));
}

/* The rules' shares as a spreadsheet: a row per rule (with ?by=, per rule
 * and group). */
static void rules_table(struct http_req *req, struct http_resp *resp, void *ctx, bool xlsx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    struct registry_rules_filter only;
    struct page_csv csv;
    json_t *report = report_of(&pg, &only, 1);
    if (!report)
        return;
    if (page_table_begin(&pg, &csv, xlsx) < 0) {
        json_decref(report);
        return;
    }
    const char *head[] = {page_tr(&pg, TR("Rule")),        page_tr(&pg, TR("Identifier")),
                          page_tr(&pg, TR("Layer")),       page_tr(&pg, TR("Requirement")),
                          page_tr(&pg, TR("Severity")),    page_tr(&pg, TR("Group")),
                          page_tr(&pg, TR("Applies to")),  page_tr(&pg, TR("Keep it")),
                          page_tr(&pg, TR("Break it")),    page_tr(&pg, TR("Share kept, %"))};
    size_t n = sizeof head / sizeof head[0];
    page_csv_row(&csv, head, n);
    size_t i, j;
    json_t *it, *g;
    json_array_foreach (json_object_get(report, "items"), i, it) {
        bool warning = strcmp(json_string_value(json_object_get(it, "severity")), "warning") == 0;
        const char *row[] = {
            web_name(pg.lang, json_object_get(it, "label")),
            json_string_value(json_object_get(it, "rule")),
            layer_label(&pg, json_string_value(json_object_get(it, "layer"))),
            json_string_value(json_object_get(it, "requirement")),
            page_tr(&pg, warning ? TR("Warning") : TR("Error")),
            "",
            count_text(&pg, json_object_get(it, "applicable")),
            count_text(&pg, json_object_get(it, "compliant")),
            arena_printf(req->arena, "%lld",
                         (long long)(json_integer_value(json_object_get(it, "applicable")) -
                                     json_integer_value(json_object_get(it, "compliant")))),
            count_text(&pg, json_object_get(it, "compliant_percent")),
        };
        if (!only.by)
            page_csv_row(&csv, row, n);
        json_array_foreach (json_object_get(it, "by"), j, g) {
            json_t *link = json_object_get(g, "id") ? record_link(&pg, json_string_value(json_object_get(g, "id")))
                                                    : json_pack("{s:s}", "text", page_tr(&pg, TR("None")));
            row[5] = arena_strdup(req->arena, json_string_value(json_object_get(link, "text")));
            json_decref(link);
            row[6] = count_text(&pg, json_object_get(g, "applicable"));
            row[7] = count_text(&pg, json_object_get(g, "compliant"));
            row[8] = arena_printf(req->arena, "%lld",
                                  (long long)(json_integer_value(json_object_get(g, "applicable")) -
                                              json_integer_value(json_object_get(g, "compliant"))));
            row[9] = count_text(&pg, json_object_get(g, "compliant_percent"));
            page_csv_row(&csv, row, n);
        }
    }
    json_decref(report);
    page_csv_send(&pg, &csv, "rules");
}

/* The records that break the rules as a spreadsheet: a row per rule and
 * record (at most the report's 1,000 per rule). */
static void broken_table(struct http_req *req, struct http_resp *resp, void *ctx, bool xlsx)
{
    struct page pg;
    page_begin(ctx, req, resp, &pg);
    struct registry_rules_filter only;
    struct page_csv csv;
    json_t *report = report_of(&pg, &only, 1000);
    if (!report)
        return;
    if (page_table_begin(&pg, &csv, xlsx) < 0) {
        json_decref(report);
        return;
    }
    const char *head[] = {page_tr(&pg, TR("Rule")),   page_tr(&pg, TR("Layer")),
                          page_tr(&pg, TR("Record")), page_tr(&pg, TR("Identifier")),
                          page_tr(&pg, TR("Owner")),  page_tr(&pg, TR("Field to put right"))};
    size_t n = sizeof head / sizeof head[0];
    page_csv_row(&csv, head, n);
    size_t i, j;
    json_t *it, *v;
    json_array_foreach (json_object_get(report, "items"), i, it) {
        json_array_foreach (json_object_get(it, "violators"), j, v) {
            const char *owner = json_string_value(json_object_get(v, "owner"));
            json_t *o = owner ? record_link(&pg, owner) : NULL;
            const char *row[] = {
                web_name(pg.lang, json_object_get(it, "label")),
                layer_label(&pg, json_string_value(json_object_get(it, "layer"))),
                web_name(pg.lang, json_object_get(v, "name")),
                json_string_value(json_object_get(v, "id")),
                o ? arena_strdup(req->arena, json_string_value(json_object_get(o, "text"))) : "",
                violator_fix(&pg, v),
            };
            json_decref(o);
            page_csv_row(&csv, row, n);
        }
    }
    json_decref(report);
    page_csv_send(&pg, &csv, "rules-broken");
}

/* Where a record that breaks rule r, requirement q at fault (NULL: its
 * fields or items), puts it right: adding the relation it lacks, or the
 * field on its edit form; NULL when it is other records that must change
 * (those that would reference it, or a relation it has too many of). */
static const char *rule_fix_href(struct page *pg, const struct model_kind *k, const char *coll,
                                 const char *id, const struct model_rule *r,
                                 const struct model_rule_relation *q)
{
    if (q && q->how == REQ_RELATION)
        return q->max < 0 ? page_url(pg, "/%s/%s?rel=%s:%s#relation-add", coll, id, q->type,
                                     q->out ? "out" : "in")
                          : page_url(pg, "/%s/%s#relations", coll, id);
    const char *field = model_rule_fix_field(r, q);
    if (q && q->how == REQ_REFERENCED_BY)
        return NULL;
    if (field && (model_field(k, field) || (k->owned && strcmp(field, "owner") == 0)))
        return page_url(pg, "/%s/%s/edit#f-%s", coll, id, field);
    return NULL;
}

int page_rule_checks(struct page *pg, const struct model_kind *k, const char *coll, const char *id,
                     const json_t *rec)
{
    struct registry *reg = pg->w->api->reg;
    const struct model *m = pg->w->api->model;
    struct err e = ERR_INIT;
    if (!pg->signed_in ||
        authz_check_everywhere(registry_rights(reg), &pg->actor, RA_RULES_REPORT, &e) < 0)
        return 0;
    /* judged as the report judges it: with its inherited items, on its judging day */
    json_t *judged = json_deep_copy(rec), *inh = NULL;
    if (k->inherit_via && registry_inherited(reg, &pg->actor, judged, &inh, &e) < 0) {
        json_decref(judged);
        return -1;
    }
    if (inh)
        json_object_set_new(judged, "inherited", inh);
    int64_t day = calsvc_local_day(pg->w->api->cal, model_judging_ms(k, judged, time_now_ms()));
    json_t *items = json_array();
    int rc = 0;
    for (size_t i = 0; i < model_n_rules(m) && rc == 0; i++) {
        const struct model_rule *r = model_rule_at(m, i);
        const struct model_rule_relation *q;
        int holds = model_rule_applies(r, judged, day)
                        ? model_rule_holds(r, judged, day, registry_count_rule, reg, &q)
                        : 1;
        if (holds < 0)
            rc = -1;
        if (holds != 0)
            continue;
        json_t *it = json_pack("{s:s, s:s, s:b}", "label", web_label(pg->lang, r->label), "layer",
                               layer_label(pg, r->layer), "warning", r->warning);
        const char *href = rule_fix_href(pg, k, coll, id, r, q);
        if (href)
            json_object_set_new(it, "href", json_string(href));
        json_array_append_new(items, it);
    }
    json_decref(judged);
    json_object_set_new(pg->data, "has_rule_checks", json_boolean(json_array_size(items) > 0));
    json_object_set_new(pg->data, "rule_checks", items);
    json_object_set_new(pg->data, "rule_checks_shown", json_true());
    json_object_set_new(pg->data, "rules_url", json_string(page_url(pg, "/rules")));
    return rc;
}

static void h_rules_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    rules_table(req, resp, ctx, false);
}

static void h_rules_xlsx(struct http_req *req, struct http_resp *resp, void *ctx)
{
    rules_table(req, resp, ctx, true);
}

static void h_rules_broken_csv(struct http_req *req, struct http_resp *resp, void *ctx)
{
    broken_table(req, resp, ctx, false);
}

static void h_rules_broken_xlsx(struct http_req *req, struct http_resp *resp, void *ctx)
{
    broken_table(req, resp, ctx, true);
}

void web_rules_routes(struct web *w, struct router *rt)
{
    web_route(rt, "GET", "/rules", h_rules, w);
    web_route(rt, "GET", "/rules.csv", h_rules_csv, w);
    web_route(rt, "GET", "/rules.xlsx", h_rules_xlsx, w);
    web_route(rt, "GET", "/rules-broken.csv", h_rules_broken_csv, w);
    web_route(rt, "GET", "/rules-broken.xlsx", h_rules_broken_xlsx, w);
}
